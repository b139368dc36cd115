//! What scheduling works on: where a card is in its life ([`Phase`]), one learner's state of one card
//! ([`CardState`]), and a learner's scheduling [`Settings`].

use crate::time::Day;
use serde::{Deserialize, Serialize};

/// Where a card is in its life. A card a learner has never seen has no state at all ("new").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    New,
    Learning,
    Review,
    Relearning,
}

impl Phase {
    pub fn as_i64(self) -> i64 {
        match self {
            Phase::New => 0,
            Phase::Learning => 1,
            Phase::Review => 2,
            Phase::Relearning => 3,
        }
    }
    pub fn from_i64(v: i64) -> Phase {
        match v {
            1 => Phase::Learning,
            2 => Phase::Review,
            3 => Phase::Relearning,
            _ => Phase::New,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::New => "new",
            Phase::Learning => "learning",
            Phase::Review => "review",
            Phase::Relearning => "relearning",
        }
    }
}

/// One learner's state of one card.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CardState {
    pub phase: Phase,
    /// The learning or relearning step the card is at.
    pub step: u32,
    pub stability: f32,
    pub difficulty: f32,
    /// When the card is next due, in Unix seconds. Review cards fall due at the start of their day.
    pub due: i64,
    /// When it was last reviewed, in Unix seconds, and on which calendar day.
    pub last_review: i64,
    pub last_day: Day,
    /// The interval last scheduled, in days (0 while in learning steps).
    pub interval: u32,
    pub reps: u32,
    pub lapses: u32,
    pub leech: bool,
}

/// A learner's scheduling settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Learning steps in seconds (default 1 min, 10 min).
    pub learning_steps: Vec<u32>,
    /// Relearning steps in seconds (default 10 min).
    pub relearning_steps: Vec<u32>,
    pub desired_retention: f32,
    pub maximum_interval: u32,
    /// FSRS parameters; empty for the defaults.
    pub parameters: Vec<f32>,
    /// A card failed this many times is a leech.
    pub leech_threshold: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            learning_steps: vec![60, 600],
            relearning_steps: vec![600],
            desired_retention: 0.9,
            maximum_interval: 36500,
            parameters: Vec::new(),
            leech_threshold: 8,
        }
    }
}
