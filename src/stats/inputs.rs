//! What statistics compute on, as the store gives it: the study items with a learner's states of them, the rows of
//! the review log, and [`ById`], the card-id lookup that keeps a class view over many cards fast.

use crate::schedule::{CardState, Phase};
use std::collections::HashMap;

/// One study item, with the learner's state of it (`None`: new to them).
#[derive(Debug, Clone, PartialEq)]
pub struct CardInfo {
    pub id: i64,
    pub deck_id: String,
    pub tags: Vec<String>,
    /// The prompt as shown (the blank's sentence for a cloze, the back for a reversed flashcard).
    pub prompt: String,
    pub retired: bool,
    pub state: Option<CardState>,
}

/// A study item without a learner's state: id, deck, tags, retired. Its prompt is read apart, for the few cards
/// shown ([`crate::store::card_prompts`]): parsing 100,000 card bodies was most of the time of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct StatCard {
    pub id: i64,
    pub deck_id: String,
    pub tags: Vec<String>,
    pub retired: bool,
}

/// One row of the review log, as statistics need it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewInfo {
    pub card_id: i64,
    pub reviewed_at_ms: crate::time::UnixMs,
    pub day: crate::time::Day,
    /// study, cram or exam.
    pub mode: String,
    pub rating: crate::schedule::Rating,
    pub duration_ms: i64,
    pub phase_before: Phase,
    /// The interval the card had before this review, in days (0 for a new card).
    pub interval_before: u32,
}

/// The store's cards joined with a learner's states (the cards are moved, not copied; states of other cards are
/// ignored).
pub fn with_states(
    cards: Vec<StatCard>,
    states: impl IntoIterator<Item = (i64, CardState)>,
) -> Vec<CardInfo> {
    let places = ById::new(cards.iter().map(|c| c.id));
    let mut slots: Vec<Option<CardState>> = vec![None; cards.len()];
    for (id, s) in states {
        if let Some(p) = places.position(id) {
            slots[p] = Some(s);
        }
    }
    cards
        .into_iter()
        .zip(slots)
        .map(|(c, state)| CardInfo {
            state,
            id: c.id,
            deck_id: c.deck_id,
            tags: c.tags,
            // Filled in for the few cards that are shown ([`crate::store::card_prompts`]).
            prompt: String::new(),
            retired: c.retired,
        })
        .collect()
}

/// Card ids to their place in a list: a table indexed by id when the ids are dense (they are the cards table's row
/// ids), a hash map otherwise. A class view looks a million card ids up.
#[derive(Debug, Clone, Default)]
pub struct ById {
    dense: Vec<u32>,
    sparse: HashMap<i64, usize>,
}

impl ById {
    /// The positions of `ids` in their order (a repeated id keeps its first place).
    pub fn new(ids: impl IntoIterator<Item = i64>) -> Self {
        let ids: Vec<i64> = ids.into_iter().collect();
        let max = ids.iter().copied().max().unwrap_or(0);
        let dense_enough = ids.iter().all(|&i| i >= 0) && max <= 4 * ids.len() as i64 + 1024;
        let mut by = ById::default();
        if dense_enough && ids.len() < u32::MAX as usize {
            by.dense = vec![u32::MAX; max as usize + 1];
            for (place, id) in ids.iter().enumerate().rev() {
                by.dense[*id as usize] = place as u32;
            }
        } else {
            for (place, id) in ids.iter().enumerate().rev() {
                by.sparse.insert(*id, place);
            }
        }
        by
    }

    /// The place of `id`, if it is one of the ids.
    pub fn position(&self, id: i64) -> Option<usize> {
        if self.dense.is_empty() {
            return self.sparse.get(&id).copied();
        }
        let place = *self.dense.get(usize::try_from(id).ok()?)?;
        (place != u32::MAX).then_some(place as usize)
    }
}
