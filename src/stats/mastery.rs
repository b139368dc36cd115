//! Mastery: the mean retrievability now over a deck's or a theme's active cards, new cards counting 0. [`mastery`]
//! computes it from the cards; [`MasteryIndex`] gives the same figures from a learner's states alone, for a class.

use super::ById;
use crate::schedule::{CardState, Scheduler};
use serde::Serialize;
use std::collections::BTreeMap;

/// Mean retrievability now over a group of cards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mastery {
    /// The deck id or theme tag.
    pub key: String,
    pub label: String,
    pub cards: u32,
    /// Cards seen at least once.
    pub studied: u32,
    /// 0 to 1.
    pub mastery: f64,
}

/// Retrievability of a card now: 0 for new cards.
pub fn retrievability_now(scheduler: &Scheduler, state: Option<&CardState>, now: i64) -> f64 {
    match state {
        None => 0.0,
        Some(s) => {
            let days = (now - s.last_review).max(0) as f32 / 86_400.0;
            f64::from(scheduler.retrievability(s, days))
        }
    }
}

/// Mastery per deck (in deck-id order) and per theme (in theme order; themes no card carries are left out).
pub fn mastery<'c>(
    cards: impl IntoIterator<Item = (&'c str, &'c [String], Option<CardState>)>,
    scheduler: &Scheduler,
    now: i64,
    deck_titles: &BTreeMap<String, String>,
    themes: &BTreeMap<String, String>,
) -> (Vec<Mastery>, Vec<Mastery>) {
    #[derive(Default)]
    struct Acc {
        cards: u32,
        studied: u32,
        sum: f64,
    }
    let mut decks: BTreeMap<&str, Acc> = BTreeMap::new();
    let mut by_theme: BTreeMap<&str, Acc> = BTreeMap::new();
    for (deck, tags, state) in cards {
        let r = retrievability_now(scheduler, state.as_ref(), now);
        let studied = u32::from(state.is_some());
        let add = |acc: &mut Acc| {
            acc.cards += 1;
            acc.studied += studied;
            acc.sum += r;
        };
        add(decks.entry(deck).or_default());
        for t in tags.iter().filter(|t| t.starts_with("theme:")) {
            add(by_theme.entry(t.as_str()).or_default());
        }
    }
    let row = |key: &str, label: String, acc: &Acc| Mastery {
        key: key.to_string(),
        label,
        cards: acc.cards,
        studied: acc.studied,
        mastery: if acc.cards == 0 {
            0.0
        } else {
            acc.sum / f64::from(acc.cards)
        },
    };
    let deck_rows = decks
        .iter()
        .map(|(k, acc)| {
            let title = deck_titles
                .get(*k)
                .cloned()
                .unwrap_or_else(|| k.to_string());
            row(k, title, acc)
        })
        .collect();
    let theme_rows = by_theme
        .iter()
        .map(|(k, acc)| {
            let label = themes
                .get(*k)
                .cloned()
                .unwrap_or_else(|| k.trim_start_matches("theme:").to_string());
            row(k, label, acc)
        })
        .collect();
    (deck_rows, theme_rows)
}

/// The active cards' decks and themes, gathered once, so that a learner's [`mastery`] is a pass over the cards
/// they have a state of (new cards count 0), not over every card: a class of 100 learners on 100,000 cards is then
/// a million states, not ten million cards looked up by string. The figures are [`mastery`]'s, to the last bit
/// (each group's sum is taken in the same card order).
#[derive(Debug, Clone, Default)]
pub struct MasteryIndex {
    decks: Vec<String>,
    themes: Vec<String>,
    deck_cards: Vec<u32>,
    theme_cards: Vec<u32>,
    /// Card id to its place in card order, its deck and its theme columns (a theme tag twice counts twice, as in
    /// [`mastery`]).
    cards: Vec<Indexed>,
    by_id: ById,
}

/// An indexed card: its place in card order, its deck, its theme columns.
type Indexed = (usize, usize, Vec<usize>);

impl MasteryIndex {
    /// The index of the active cards, in card order, as (card id, deck, tags).
    pub fn new<'c>(cards: impl IntoIterator<Item = (i64, &'c str, &'c [String])>) -> Self {
        let cards: Vec<(i64, &str, &[String])> = cards.into_iter().collect();
        let mut decks: Vec<String> = cards.iter().map(|c| c.1.to_string()).collect();
        decks.sort();
        decks.dedup();
        let mut themes: Vec<String> = cards
            .iter()
            .flat_map(|c| c.2.iter().filter(|t| t.starts_with("theme:")).cloned())
            .collect();
        themes.sort();
        themes.dedup();
        let mut index = MasteryIndex {
            deck_cards: vec![0; decks.len()],
            theme_cards: vec![0; themes.len()],
            cards: Vec::with_capacity(cards.len()),
            by_id: ById::new(cards.iter().map(|c| c.0)),
            decks,
            themes,
        };
        for (order, (_, deck, tags)) in cards.into_iter().enumerate() {
            let d = index
                .decks
                .binary_search_by(|k| k.as_str().cmp(deck))
                .unwrap_or(0);
            index.deck_cards[d] += 1;
            let ts: Vec<usize> = tags
                .iter()
                .filter(|t| t.starts_with("theme:"))
                .filter_map(|t| index.themes.binary_search(t).ok())
                .collect();
            for t in &ts {
                index.theme_cards[*t] += 1;
            }
            index.cards.push((order, d, ts));
        }
        index
    }

    /// [`mastery`] of the indexed cards for a learner with these card states (states of other cards are ignored).
    pub fn mastery(
        &self,
        states: impl IntoIterator<Item = (i64, CardState)>,
        scheduler: &Scheduler,
        now: i64,
        deck_titles: &BTreeMap<String, String>,
        themes: &BTreeMap<String, String>,
    ) -> (Vec<Mastery>, Vec<Mastery>) {
        let mut seen: Vec<(usize, &Indexed, f64)> = states
            .into_iter()
            .filter_map(|(id, s)| {
                let card = &self.cards[self.by_id.position(id)?];
                Some((card.0, card, retrievability_now(scheduler, Some(&s), now)))
            })
            .collect();
        seen.sort_by_key(|c| c.0);
        let mut deck_acc = vec![(0u32, 0.0f64); self.decks.len()];
        let mut theme_acc = vec![(0u32, 0.0f64); self.themes.len()];
        for (_, (_, deck, ts), r) in seen {
            deck_acc[*deck].0 += 1;
            deck_acc[*deck].1 += r;
            for t in ts {
                theme_acc[*t].0 += 1;
                theme_acc[*t].1 += r;
            }
        }
        let row = |key: &str, label: String, cards: u32, (studied, sum): (u32, f64)| Mastery {
            key: key.to_string(),
            label,
            cards,
            studied,
            mastery: if cards == 0 {
                0.0
            } else {
                sum / f64::from(cards)
            },
        };
        let deck_rows = self
            .decks
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let title = deck_titles.get(k).cloned().unwrap_or_else(|| k.clone());
                row(k, title, self.deck_cards[i], deck_acc[i])
            })
            .collect();
        let theme_rows = self
            .themes
            .iter()
            .enumerate()
            .filter(|(i, _)| self.theme_cards[*i] > 0)
            .map(|(i, k)| {
                let label = themes
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| k.trim_start_matches("theme:").to_string());
                row(k, label, self.theme_cards[i], theme_acc[i])
            })
            .collect();
        (deck_rows, theme_rows)
    }
}
