//! Mastery, defined once here; every view and export of it (`stats`, `report --html`, `stats --class`, the grade
//! exports) calls [`card_mastery`] through [`mastery`] or [`MasteryIndex`].
//!
//! One concern: the one definition of mastery and the three ways of summing it (over cards in hand, per deck from
//! streamed states, over a class's streamed index), kept together so that they give the same figures; the property
//! tests below are most of the file.
//!
//! **Mastery of a card** is the recall FSRS predicts for it at a horizon, [`HORIZON_DAYS`] (30) days from now
//! ([`horizon`]), for a card in the review phase (learned, and its last answer was right); a card never seen, or in
//! learning or relearning steps (not yet learned, or its last answer was wrong) counts 0. **Mastery of a deck or a
//! theme** is the mean of its active cards' mastery. So:
//! - a failed answer never raises it: the card goes to (relearning) steps and counts 0, a new card failed at first
//!   sight included (it goes to learning steps);
//! - a right answer never lowers it: FSRS never lowers a card's stability on Hard, Good or Easy (the same-day rule
//!   included) and the prediction is then made from the answer's moment, which is later than the last one.
//!
//! Both hold for detente's learning and relearning steps (a failure always enters them); the property tests below
//! check them over random review histories, card by card and averaged over a deck.

use super::ById;
use crate::schedule::{CardState, Phase, Scheduler};
use serde::Serialize;
use std::collections::BTreeMap;

/// Mean mastery over a group of cards.
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

/// Days ahead mastery predicts recall at, the same for every learner and every view and export.
pub const HORIZON_DAYS: i64 = 30;

/// The moment (Unix seconds) mastery predicts recall at, [`HORIZON_DAYS`] after `now`.
pub fn horizon(now: i64) -> i64 {
    now.saturating_add(HORIZON_DAYS * 86_400)
}

/// The stability range FSRS keeps a card in; a stored state outside it (a damaged or foreign row) is read inside
/// it, as FSRS itself reads it when the card is next answered.
const STABILITY: (f32, f32) = (0.001, 36_500.0);

/// A card's mastery: the recall predicted at `at` (Unix seconds, see [`horizon`]) for a card in the review phase,
/// 0 for a new card or one in learning or relearning steps.
pub fn card_mastery(scheduler: &Scheduler, state: Option<&CardState>, at: i64) -> f64 {
    match state {
        Some(s) if s.phase == Phase::Review && s.stability.is_finite() => {
            let s = CardState {
                stability: s.stability.clamp(STABILITY.0, STABILITY.1),
                ..*s
            };
            let days = at.saturating_sub(s.last_review).max(0) as f32 / 86_400.0;
            f64::from(scheduler.retrievability(&s, days))
        }
        _ => 0.0,
    }
}

/// Mastery at `at` ([`horizon`]) per deck (in deck-id order) and per theme (in theme order; themes no card carries are left out).
pub fn mastery<'c>(
    cards: impl IntoIterator<Item = (&'c str, &'c [String], Option<CardState>)>,
    scheduler: &Scheduler,
    at: i64,
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
        let r = card_mastery(scheduler, state.as_ref(), at);
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

/// Mastery per deck from a learner's states streamed one at a time with their deck, holding one sum per deck and
/// never the cards: what a grade export needs for a class of 100 learners on 100,000 cards. The figures are
/// [`mastery`]'s (the same [`card_mastery`] summed per deck, divided by the deck's active cards), up to the order of
/// the additions.
#[derive(Debug, Clone)]
pub struct DeckSums<'s> {
    scheduler: &'s Scheduler,
    at: i64,
    sums: BTreeMap<String, f64>,
}

impl<'s> DeckSums<'s> {
    /// Sums for one learner (their `scheduler`) at `at` ([`horizon`]).
    pub fn new(scheduler: &'s Scheduler, at: i64) -> Self {
        DeckSums {
            scheduler,
            at,
            sums: BTreeMap::new(),
        }
    }

    /// Adds the state of one active card of `deck`.
    pub fn add(&mut self, deck: &str, state: &CardState) {
        let m = card_mastery(self.scheduler, Some(state), self.at);
        match self.sums.get_mut(deck) {
            Some(sum) => *sum += m,
            None => {
                self.sums.insert(deck.to_string(), m);
            }
        }
    }

    /// The mastery of `deck`, which has `cards` active cards (0 for a deck without any).
    pub fn mastery(&self, deck: &str, cards: u32) -> f64 {
        match (self.sums.get(deck), cards) {
            (Some(sum), 1..) => sum / f64::from(cards),
            _ => 0.0,
        }
    }
}

/// The active cards' decks and themes, gathered once, so that a learner's [`mastery`] is a pass over the cards
/// they have a state of (new cards count 0), not over every card: a class of 100 learners on 100,000 cards is then
/// a million states, not ten million cards looked up by string. The figures are [`mastery`]'s, to the last bit
/// (each group's sum is taken in the same card order). Built from the cards streamed one at a time
/// ([`MasteryIndex::builder`]), it holds a few numbers a card, never the cards' strings.
#[derive(Debug, Clone, Default)]
pub struct MasteryIndex {
    decks: Vec<String>,
    themes: Vec<String>,
    deck_cards: Vec<u32>,
    theme_cards: Vec<u32>,
    /// Each card's deck (a place in `decks`), in card order.
    card_deck: Vec<u32>,
    /// The theme columns of the card at place `p` are `theme_of[theme_start[p]..theme_start[p + 1]]` (a theme tag
    /// given twice counts twice, as in [`mastery`]).
    theme_start: Vec<u32>,
    theme_of: Vec<u32>,
    by_id: ById,
}

/// [`MasteryIndex`] under construction: the active cards in card order ([`MasteryIndexBuilder::card`]), then their
/// tags ([`MasteryIndexBuilder::tag`]); the decks and themes are numbered as they come and sorted at the end.
#[derive(Debug, Clone, Default)]
pub struct MasteryIndexBuilder {
    ids: Vec<i64>,
    decks: Vec<String>,
    card_deck: Vec<u32>,
    by_id: Option<ById>,
    themes: Vec<String>,
    /// (card place, theme number) of each theme tag.
    tagged: Vec<(u32, u32)>,
}

/// The number of `key` in `names`, added at the end when new (a class has a few dozen decks and themes).
fn number(names: &mut Vec<String>, key: &str) -> u32 {
    match names.iter().rposition(|n| n == key) {
        Some(i) => i as u32,
        None => {
            names.push(key.to_string());
            (names.len() - 1) as u32
        }
    }
}

/// `numbers[i]`: the place of name `i` once `names` is sorted (and deduplicated, which it already is).
fn sorted(names: &mut Vec<String>) -> Vec<u32> {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| names[a].cmp(&names[b]));
    let mut numbers = vec![0u32; names.len()];
    for (place, &i) in order.iter().enumerate() {
        numbers[i] = place as u32;
    }
    let mut taken: Vec<Option<String>> = names.drain(..).map(Some).collect();
    names.extend(order.iter().filter_map(|&i| taken[i].take()));
    numbers
}

impl MasteryIndexBuilder {
    /// The next active card in card order: its id and deck.
    pub fn card(&mut self, id: i64, deck: &str) {
        let d = match self.card_deck.last() {
            Some(&last) if self.decks[last as usize] == deck => last,
            _ => number(&mut self.decks, deck),
        };
        self.ids.push(id);
        self.card_deck.push(d);
    }

    /// One tag of a card (after every card is given); only theme tags of the given cards count.
    pub fn tag(&mut self, id: i64, tag: &str) {
        if !tag.starts_with("theme:") {
            return;
        }
        let ids = &self.ids;
        let by_id = self
            .by_id
            .get_or_insert_with(|| ById::new(ids.iter().copied()));
        if let Some(p) = by_id.position(id) {
            // The tags come in tag order: most are the theme of the tag before.
            let t = match self.tagged.last() {
                Some(&(_, last)) if self.themes[last as usize] == tag => last,
                _ => number(&mut self.themes, tag),
            };
            self.tagged.push((p as u32, t));
        }
    }

    /// The index.
    pub fn finish(mut self) -> MasteryIndex {
        let by_id = self
            .by_id
            .take()
            .unwrap_or_else(|| ById::new(self.ids.iter().copied()));
        let deck_numbers = sorted(&mut self.decks);
        let theme_numbers = sorted(&mut self.themes);
        let mut deck_cards = vec![0u32; self.decks.len()];
        let card_deck: Vec<u32> = self
            .card_deck
            .iter()
            .map(|&d| {
                let d = deck_numbers[d as usize];
                deck_cards[d as usize] += 1;
                d
            })
            .collect();
        let mut theme_cards = vec![0u32; self.themes.len()];
        // Grouped by card (a stable sort keeps each card's tags in their order).
        self.tagged.sort_by_key(|&(p, _)| p);
        let mut theme_start = Vec::with_capacity(card_deck.len() + 1);
        let mut theme_of = Vec::with_capacity(self.tagged.len());
        let mut next = self.tagged.iter().peekable();
        for p in 0..card_deck.len() as u32 {
            theme_start.push(theme_of.len() as u32);
            while let Some(&(_, t)) = next.next_if(|(q, _)| *q == p) {
                let t = theme_numbers[t as usize];
                theme_cards[t as usize] += 1;
                theme_of.push(t);
            }
        }
        theme_start.push(theme_of.len() as u32);
        MasteryIndex {
            decks: self.decks,
            themes: self.themes,
            deck_cards,
            theme_cards,
            card_deck,
            theme_start,
            theme_of,
            by_id,
        }
    }
}

/// One learner's states summed over a [`MasteryIndex`] ([`MasteryIndex::tally`]): each state's mastery kept with
/// its card's place (16 bytes a state), summed in card order at the end.
#[derive(Debug)]
pub struct Tally<'i, 's> {
    index: &'i MasteryIndex,
    scheduler: &'s Scheduler,
    at: i64,
    seen: Vec<(u32, f64)>,
}

impl Tally<'_, '_> {
    /// Adds a state (of a card outside the index: ignored).
    pub fn add(&mut self, id: i64, state: &CardState) {
        if let Some(p) = self.index.by_id.position(id) {
            let r = card_mastery(self.scheduler, Some(state), self.at);
            self.seen.push((p as u32, r));
        }
    }

    /// Mastery per deck (in deck order) and per theme (themes no indexed card carries left out), as [`mastery`].
    pub fn finish(
        mut self,
        deck_titles: &BTreeMap<String, String>,
        themes: &BTreeMap<String, String>,
    ) -> (Vec<Mastery>, Vec<Mastery>) {
        let index = self.index;
        // A card has one state, so its place is unique: the sums are taken in card order.
        self.seen.sort_unstable_by_key(|c| c.0);
        let mut deck_acc = vec![(0u32, 0.0f64); index.decks.len()];
        let mut theme_acc = vec![(0u32, 0.0f64); index.themes.len()];
        for &(p, r) in &self.seen {
            let p = p as usize;
            let d = index.card_deck[p] as usize;
            deck_acc[d].0 += 1;
            deck_acc[d].1 += r;
            let (from, to) = (index.theme_start[p], index.theme_start[p + 1]);
            for &t in &index.theme_of[from as usize..to as usize] {
                theme_acc[t as usize].0 += 1;
                theme_acc[t as usize].1 += r;
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
        let deck_rows = index
            .decks
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let title = deck_titles.get(k).cloned().unwrap_or_else(|| k.clone());
                row(k, title, index.deck_cards[i], deck_acc[i])
            })
            .collect();
        let theme_rows = index
            .themes
            .iter()
            .enumerate()
            .filter(|(i, _)| index.theme_cards[*i] > 0)
            .map(|(i, k)| {
                let label = themes
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| k.trim_start_matches("theme:").to_string());
                row(k, label, index.theme_cards[i], theme_acc[i])
            })
            .collect();
        (deck_rows, theme_rows)
    }
}

impl MasteryIndex {
    /// An index built from cards streamed one at a time.
    pub fn builder() -> MasteryIndexBuilder {
        MasteryIndexBuilder::default()
    }

    /// The index of the active cards, in card order, as (card id, deck, tags).
    pub fn new<'c>(cards: impl IntoIterator<Item = (i64, &'c str, &'c [String])>) -> Self {
        let mut builder = Self::builder();
        let mut tags = Vec::new();
        for (id, deck, ts) in cards {
            builder.card(id, deck);
            tags.push((id, ts));
        }
        for (id, ts) in tags {
            for t in ts {
                builder.tag(id, t);
            }
        }
        builder.finish()
    }

    /// A learner's sums over the indexed cards, their states added one at a time (`Tally::add`).
    pub fn tally<'i, 's>(&'i self, scheduler: &'s Scheduler, at: i64) -> Tally<'i, 's> {
        Tally {
            index: self,
            scheduler,
            at,
            seen: Vec::new(),
        }
    }

    /// [`mastery`] of the indexed cards for a learner with these card states (states of other cards are ignored).
    pub fn mastery(
        &self,
        states: impl IntoIterator<Item = (i64, CardState)>,
        scheduler: &Scheduler,
        at: i64,
        deck_titles: &BTreeMap<String, String>,
        themes: &BTreeMap<String, String>,
    ) -> (Vec<Mastery>, Vec<Mastery>) {
        let mut tally = self.tally(scheduler, at);
        for (id, s) in states {
            tally.add(id, &s);
        }
        tally.finish(deck_titles, themes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Calendar, Rating, Settings};
    use chrono::FixedOffset;
    use proptest::prelude::*;

    const DAY: i64 = 86_400;
    const START: i64 = 1_728_216_000;

    fn scheduler() -> Scheduler {
        Scheduler::new(Settings::default()).unwrap()
    }

    fn utc() -> Calendar {
        Calendar::fixed(FixedOffset::east_opt(0).unwrap(), 4)
    }

    fn rating(n: u8) -> Rating {
        match n {
            0 => Rating::Again,
            1 => Rating::Hard,
            2 => Rating::Good,
            _ => Rating::Easy,
        }
    }

    /// A gap between two answers: seconds (learning steps, the same day) to a year and more.
    fn gap() -> impl Strategy<Value = i64> {
        prop_oneof![0i64..3_600, 0i64..2 * DAY, 0i64..40 * DAY, 0i64..800 * DAY]
    }

    /// One answer of a history: the gap before it, the rating (0 Again to 3 Easy), the fuzz drawn.
    fn answer() -> impl Strategy<Value = (i64, u8, Option<f32>)> {
        (
            gap(),
            0u8..4,
            prop_oneof![Just(None), (0.0f32..1.0).prop_map(Some)],
        )
    }

    /// Replays `history` on one card, checking before and after every answer (at the answer's moment) that a
    /// failure never raised the card's mastery and a right answer never lowered it.
    fn check_card(history: &[(i64, u8, Option<f32>)]) -> Result<(), TestCaseError> {
        let (s, cal) = (scheduler(), utc());
        let mut state: Option<CardState> = None;
        let mut t = START;
        for &(gap, r, fuzz) in history {
            t += gap;
            let at = horizon(t);
            let before = card_mastery(&s, state.as_ref(), at);
            let next = s
                .answer(state.as_ref(), rating(r), t, &cal, fuzz)
                .unwrap()
                .state;
            let after = card_mastery(&s, Some(&next), at);
            if r == 0 {
                prop_assert!(after <= before, "a failure raised {before} to {after}");
            } else {
                prop_assert!(
                    after >= before,
                    "a right answer lowered {before} to {after}"
                );
            }
            state = Some(next);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

        /// Attack: any review history of one card, with same-day answers, long absences and fuzz.
        #[test]
        fn a_card_falls_on_failure_and_never_on_success(history in prop::collection::vec(answer(), 1..24)) {
            check_card(&history)?;
        }

        /// Attack: answers spread over a deck of five cards; the deck's mean, as `stats` and the exports compute
        /// it, moves the way the answered card's does.
        #[test]
        fn a_deck_falls_on_failure_and_never_on_success(
            history in prop::collection::vec((0usize..5, answer()), 1..40)
        ) {
            let (s, cal) = (scheduler(), utc());
            let tags: Vec<String> = vec!["theme:t".into()];
            let mut states: Vec<Option<CardState>> = vec![None; 5];
            let no_titles = BTreeMap::new();
            let deck = |states: &[Option<CardState>], at: i64| {
                let (decks, themes) = mastery(
                    states.iter().map(|st| ("d", tags.as_slice(), *st)),
                    &s,
                    at,
                    &no_titles,
                    &no_titles,
                );
                (decks[0].mastery, themes[0].mastery)
            };
            let mut t = START;
            for (card, (gap, r, fuzz)) in history {
                t += gap;
                let at = horizon(t);
                let before = deck(&states, at);
                states[card] = Some(s.answer(states[card].as_ref(), rating(r), t, &cal, fuzz).unwrap().state);
                let after = deck(&states, at);
                if r == 0 {
                    prop_assert!(after.0 <= before.0 && after.1 <= before.1, "failure: {before:?} to {after:?}");
                } else {
                    prop_assert!(after.0 >= before.0 && after.1 >= before.1, "success: {before:?} to {after:?}");
                }
            }
        }
    }

    /// Attack: the grade export's streaming sums against [`mastery`] (what `stats` shows) on the same learner: two
    /// decks, cards learned, failed, new, in random order; the figures agree.
    #[test]
    fn deck_sums_give_the_figures_of_mastery() {
        let (s, cal) = (scheduler(), utc());
        let no_tags: Vec<String> = Vec::new();
        let mut cards: Vec<(&str, Option<CardState>)> = Vec::new();
        for i in 0..30u32 {
            let deck = if i % 3 == 0 { "a" } else { "b" };
            let mut state = None;
            for k in 0..(i % 5) {
                let r = if (i + k) % 4 == 0 {
                    Rating::Again
                } else {
                    Rating::Good
                };
                let at = START + i64::from(k) * 5 * DAY;
                state = Some(s.answer(state.as_ref(), r, at, &cal, None).unwrap().state);
            }
            cards.push((deck, state));
        }
        let at = horizon(START + 40 * DAY);
        let no_titles = BTreeMap::new();
        let (decks, _) = mastery(
            cards.iter().map(|(d, st)| (*d, no_tags.as_slice(), *st)),
            &s,
            at,
            &no_titles,
            &no_titles,
        );
        let mut sums = DeckSums::new(&s, at);
        for (deck, state) in cards.iter().rev() {
            if let Some(state) = state {
                sums.add(deck, state);
            }
        }
        for d in &decks {
            assert!(d.mastery > 0.0);
            assert!(
                (sums.mastery(&d.key, d.cards) - d.mastery).abs() < 1e-12,
                "{d:?}"
            );
        }
        assert_eq!(sums.mastery("none", 0), 0.0);
    }

    /// Attack: the case the old definition (recall now) got wrong: a card failed at first sight, or failed after
    /// a month of good reviews, shows nearly 1 "now"; its mastery must not rise, and must fall from the learned card.
    #[test]
    fn failures_at_first_sight_and_after_learning() {
        let (s, cal) = (scheduler(), utc());
        let failed = s
            .answer(None, Rating::Again, START, &cal, None)
            .unwrap()
            .state;
        assert_eq!(card_mastery(&s, Some(&failed), horizon(START)), 0.0);
        let mut state = None;
        let mut t = START;
        for _ in 0..4 {
            state = Some(
                s.answer(state.as_ref(), Rating::Good, t, &cal, None)
                    .unwrap()
                    .state,
            );
            t += 10 * DAY;
        }
        let learned = card_mastery(&s, state.as_ref(), horizon(t));
        assert!(learned > 0.5, "{learned}");
        let lapsed = s
            .answer(state.as_ref(), Rating::Again, t, &cal, None)
            .unwrap()
            .state;
        assert_eq!(card_mastery(&s, Some(&lapsed), horizon(t)), 0.0);
    }

    /// Attack: the horizon is 30 days ahead, not now: a card just learned with a short stability is far below 1.
    #[test]
    fn mastery_looks_thirty_days_ahead() {
        let s = scheduler();
        let state = CardState {
            phase: Phase::Review,
            step: 0,
            stability: 3.0,
            difficulty: 5.0,
            due: START + 3 * DAY,
            last_review: START,
            last_day: crate::time::Day(0),
            interval: 3,
            reps: 2,
            lapses: 0,
            leech: false,
        };
        let now = f64::from(s.retrievability(&state, 0.0));
        let ahead = card_mastery(&s, Some(&state), horizon(START));
        assert!(now > 0.99 && ahead < 0.8, "{now} {ahead}");
        assert!((ahead - f64::from(s.retrievability(&state, 30.0))).abs() < 1e-9);
    }
}
