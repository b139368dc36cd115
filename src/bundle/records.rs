//! The records a progress bundle is made of, as serde reads and writes them: the bundle itself, its learner, and
//! the reviews, exam attempts, deck versions and flags it carries. Cards are named by deck id + card key + sibling,
//! never by a database's row ids, so that a bundle means the same in any database that has the decks.

use super::{FORMAT, VERSION};
use crate::gradebook::Identity;
use crate::time::{Day, UnixMs};

/// A whole bundle, every member but the reviews in memory (they are streamed: see [`super::write()`] and
/// [`super::read()`]). Its members are written sorted by key.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub format: String,
    pub version: u64,
    pub exported_at: UnixMs,
    pub learner: BundleLearner,
    pub decks: Vec<BundleDeck>,
    pub reviews: Vec<BundleReview>,
    pub attempts: Vec<BundleAttempt>,
    /// The cards the learner flagged, and what became of each flag. Absent in bundles without flags (and in
    /// those of older detente versions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<BundleFlag>,
    #[serde(default)]
    pub checksum: String,
    /// The id of the learner's key ([`crate::enrol::Key::id`]) on a bundle from an enrolled device (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The HMAC-SHA256 of the canonical bytes under that key, `hmac-sha256:` and 64 hex digits (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

impl Bundle {
    /// A bundle of this format and version, its reviews left to the writer and its checksum to be computed.
    pub fn new(
        exported_at: UnixMs,
        learner: BundleLearner,
        decks: Vec<BundleDeck>,
        attempts: Vec<BundleAttempt>,
        flags: Vec<BundleFlag>,
    ) -> Bundle {
        Bundle {
            format: FORMAT.into(),
            version: VERSION,
            exported_at,
            learner,
            decks,
            reviews: Vec::new(),
            attempts,
            flags,
            checksum: String::new(),
            key_id: None,
            tag: None,
        }
    }
}

/// Who the progress belongs to, and the settings the schedule was computed with.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleLearner {
    pub name: String,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub student_id: Option<String>,
    pub new_per_day: u32,
    pub reviews_per_day: u32,
    pub desired_retention: f64,
    pub rollover_hour: u32,
}

impl BundleLearner {
    /// The learner's identity values, cleaned as rosters' are.
    pub fn identity(&self) -> Identity {
        Identity {
            username: self.username.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            student_id: self.student_id.clone(),
        }
        .cleaned()
    }
}

/// One review, every column of the review log but the local row ids (learner, card and session).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleReview {
    pub deck: String,
    pub card: String,
    pub sibling: i64,
    pub reviewed_at: UnixMs,
    pub day: Day,
    pub mode: String,
    pub response: String,
    pub correct: bool,
    pub rule: String,
    /// 1 to 4, kept as the number read so that the check can say what was wrong ([`super::validate_review`]).
    pub rating: i64,
    pub duration_ms: i64,
    pub phase_before: i64,
    pub step_before: Option<i64>,
    pub stability_before: Option<f64>,
    pub difficulty_before: Option<f64>,
    pub due_before: Option<i64>,
    pub last_review_before: Option<i64>,
    pub last_day_before: Option<Day>,
    pub interval_before: Option<i64>,
    pub reps_before: Option<i64>,
    pub lapses_before: Option<i64>,
    pub leech_before: Option<i64>,
    pub phase_after: i64,
    pub step_after: i64,
    pub stability_after: f64,
    pub difficulty_after: f64,
    pub due_after: i64,
    pub interval_days: i64,
    pub elapsed_days: i64,
    /// The exam day in force for the card (the exam rule), absent when none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exam_day: Option<Day>,
    /// The interval the exam rule replaced, when it shortened one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exam_shortened_from: Option<i64>,
}

/// One answer of an exam attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleAnswer {
    pub position: i64,
    pub deck: String,
    pub card: String,
    pub sibling: i64,
    pub response: String,
    pub credit: f64,
    pub correct: bool,
    pub answered_at: UnixMs,
    pub duration_ms: i64,
}

/// One exam attempt with its answers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleAttempt {
    pub exam_id: String,
    pub number: i64,
    pub seed: i64,
    pub paper: String,
    pub started_at: UnixMs,
    pub deadline: Option<UnixMs>,
    pub closed_at: Option<UnixMs>,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    pub answers: Vec<BundleAnswer>,
}

/// A deck version a bundle refers to.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleDeck {
    pub id: String,
    pub content_hash: String,
}

/// A flag in a progress bundle, its card named by deck id, card key and sibling.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleFlag {
    pub deck: String,
    pub card: String,
    pub sibling: i64,
    /// Unix seconds.
    pub flagged_at: i64,
    pub note: Option<String>,
    pub state: FlagState,
    pub closed_at: Option<i64>,
}

/// Where a flag stands: `open`, `withdrawn` (taken back by the learner) or `resolved` (by the teacher), in that
/// order, so that merging can keep the furthest state.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum FlagState {
    Open,
    Withdrawn,
    Resolved,
}

impl FlagState {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagState::Open => "open",
            FlagState::Withdrawn => "withdrawn",
            FlagState::Resolved => "resolved",
        }
    }

    /// The state a stored name stands for; an unknown name is `open`.
    pub(crate) fn parse(s: &str) -> FlagState {
        match s {
            "withdrawn" => FlagState::Withdrawn,
            "resolved" => FlagState::Resolved,
            _ => FlagState::Open,
        }
    }
}
