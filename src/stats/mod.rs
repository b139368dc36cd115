//! Progress statistics: pure computations over a learner's cards, card states and review log, given `now` and the
//! learner's calendar. No SQL and no printing: the store gathers the rows ([`crate::store::stats`]), the ui draws
//! the results (`ui::stats`, `ui::html`), and the commands glue them. The optimizer is in [`optimize`].
//!
//! Definitions, chosen once here:
//! - "Today" is the learner's calendar day (rollover hour included). Windows of N days are today and the N-1 days
//!   before it.
//! - True retention is the share of study reviews of cards in the review phase (not learning or relearning steps)
//!   answered Hard, Good or Easy. A review is young when the interval it was scheduled with was under 21 days.
//! - The streak counts consecutive days with at least one review, ending today, or yesterday when nothing was
//!   done yet today (the day is not over).
//! - Mastery is the mean retrievability now over the active cards of a deck or theme, new cards counting as 0.

pub mod optimize;

use crate::schedule::{Calendar, CardState, Phase, Queue, Scheduler};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Cards with an interval of this many days or more are mature.
pub const MATURE_DAYS: u32 = 21;
/// Days in the due forecast (today first).
pub const FORECAST_DAYS: usize = 30;
/// Weeks in the study heatmap.
pub const HEATMAP_WEEKS: usize = 26;
/// Weeks in the retention-over-time series.
pub const RETENTION_WEEKS: usize = 12;
/// How many most-failed cards are listed.
pub const MOST_FAILED: usize = 5;

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

/// One row of the review log, as the store gives it.
/// A study item without a learner's state: id, deck, tags, retired. Its prompt is read apart, for the few cards
/// shown ([`card_prompts`]): parsing 100,000 card bodies was most of the time of a report.
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
    pub reviewed_at_ms: i64,
    pub day: i64,
    /// study, cram or exam.
    pub mode: String,
    pub rating: u8,
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

/// What the numbers are about.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub cards: &'a [CardInfo],
    pub reviews: &'a [ReviewInfo],
    pub scheduler: &'a Scheduler,
    pub calendar: &'a Calendar,
    /// Unix seconds.
    pub now: i64,
    /// Today's queue over the same cards, counted by the store ([`crate::store::counts::queue`]).
    pub queue: &'a Queue,
    /// Deck id to title, for mastery rows.
    pub deck_titles: &'a BTreeMap<String, String>,
    /// Theme tag (`theme:...`) to label.
    pub themes: &'a BTreeMap<String, String>,
}

/// Today's queue. `due`, `later_today` and `new_left` are [`crate::store::counts`]'s, the figures `due` and
/// `study` show.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TodayCounts {
    /// Cards due now: learning steps and reviews (within the daily review limit).
    pub due: u32,
    /// Cards in learning or relearning steps.
    pub learning: u32,
    /// New cards left for today: what a session started now would introduce.
    pub new_left: u32,
    pub reviews_done: u32,
    /// Cards due after now and before the day ends.
    pub later_today: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CardCounts {
    pub new: u32,
    pub learning: u32,
    /// Review cards with an interval under 21 days.
    pub young: u32,
    pub mature: u32,
    pub retired: u32,
    pub leeches: u32,
}

/// Reviews passed out of reviews done; `rate` is `None` when there were none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rate {
    pub reviews: u32,
    pub passed: u32,
    pub rate: Option<f64>,
}

impl Rate {
    fn add(&mut self, passed: bool) {
        self.reviews += 1;
        self.passed += u32::from(passed);
        self.rate = Some(f64::from(self.passed) / f64::from(self.reviews));
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Retention {
    pub all: Rate,
    pub young: Rate,
    pub mature: Rate,
}

/// Time spent, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TimeSpent {
    pub today_ms: i64,
    pub last_7_days_ms: i64,
    pub last_30_days_ms: i64,
    pub total_ms: i64,
}

/// A card worth a look: how often it was failed, and whether it is a leech.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TroubleCard {
    pub card_id: i64,
    pub deck_id: String,
    pub prompt: String,
    pub failures: u32,
    pub leech: bool,
}

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

/// Study activity as a 7 x 26 grid: `cells[weekday][week]`, Monday first, the last column the current week;
/// `None` for days after today.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Heatmap {
    pub first_day: i64,
    pub cells: Vec<Vec<Option<u32>>>,
    pub max: u32,
}

/// Retention of one week (the 7 days ending on `last_day`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekRetention {
    pub last_day: i64,
    pub rate: Rate,
}

/// Everything `detente stats` shows for one learner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub today_day: i64,
    pub today: TodayCounts,
    pub counts: CardCounts,
    pub retention_7_days: Retention,
    pub retention_30_days: Retention,
    pub retention_weekly: Vec<WeekRetention>,
    /// Cards due per day, today (overdue included) first.
    pub forecast: Vec<u32>,
    pub heatmap: Heatmap,
    pub streak_days: u32,
    pub time: TimeSpent,
    pub leeches: Vec<TroubleCard>,
    pub most_failed: Vec<TroubleCard>,
    pub mastery_by_deck: Vec<Mastery>,
    pub mastery_by_theme: Vec<Mastery>,
}

/// The weekday of a calendar day counted from 1 January of year 1 (a Monday): 0 Monday .. 6 Sunday.
pub fn weekday(day: i64) -> usize {
    (day - 1).rem_euclid(7) as usize
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

/// Computes every statistic.
pub fn compute(input: &Input<'_>) -> Stats {
    let cal = input.calendar;
    let today = cal.day_of(input.now);
    let active: Vec<&CardInfo> = input.cards.iter().filter(|c| !c.retired).collect();
    let card_ids = ById::new(input.cards.iter().map(|c| c.id));
    let reviews: Vec<&ReviewInfo> = input
        .reviews
        .iter()
        .filter(|r| card_ids.position(r.card_id).is_some())
        .collect();

    // Card counts and today's queue.
    let mut counts = CardCounts::default();
    let mut today_counts = TodayCounts::default();
    let mut forecast = vec![0u32; FORECAST_DAYS];
    for c in input.cards {
        if c.retired {
            counts.retired += 1;
            continue;
        }
        let Some(s) = &c.state else {
            counts.new += 1;
            continue;
        };
        match s.phase {
            Phase::Learning | Phase::Relearning => {
                counts.learning += 1;
                today_counts.learning += 1;
            }
            Phase::Review if s.interval >= MATURE_DAYS => counts.mature += 1,
            Phase::Review => counts.young += 1,
            Phase::New => counts.new += 1,
        }
        if s.leech {
            counts.leeches += 1;
        }
        if s.phase != Phase::New {
            let offset = (cal.day_of(s.due) - today).max(0);
            if let Some(slot) = usize::try_from(offset)
                .ok()
                .and_then(|o| forecast.get_mut(o))
            {
                *slot += 1;
            }
        }
    }
    today_counts.reviews_done = reviews.iter().filter(|r| r.day == today).count() as u32;
    today_counts.due = input.queue.due_now;
    today_counts.later_today = input.queue.later_today;
    today_counts.new_left = input.queue.new_left;

    // Retention.
    let retention = |days: i64| retention_between(&reviews, today - days + 1, today);
    let retention_weekly = (0..RETENTION_WEEKS as i64)
        .rev()
        .map(|w| {
            let last = today - 7 * w;
            WeekRetention {
                last_day: last,
                rate: retention_between(&reviews, last - 6, last).all,
            }
        })
        .collect();

    // Activity per day.
    let mut per_day: HashMap<i64, u32> = HashMap::new();
    for r in &reviews {
        *per_day.entry(r.day).or_default() += 1;
    }
    let heatmap = heatmap(&per_day, today);
    let mut streak = 0u32;
    let mut day = if per_day.contains_key(&today) {
        today
    } else {
        today - 1
    };
    while per_day.contains_key(&day) {
        streak += 1;
        day -= 1;
    }

    let mut time = TimeSpent::default();
    for r in &reviews {
        let d = r.duration_ms.max(0);
        time.total_ms += d;
        if r.day > today - 30 {
            time.last_30_days_ms += d;
        }
        if r.day > today - 7 {
            time.last_7_days_ms += d;
        }
        if r.day == today {
            time.today_ms += d;
        }
    }

    // Trouble cards.
    let mut failures: HashMap<i64, u32> = HashMap::new();
    for r in reviews
        .iter()
        .filter(|r| r.mode == "study" && r.rating == 1)
    {
        *failures.entry(r.card_id).or_default() += 1;
    }
    let trouble = |c: &CardInfo| TroubleCard {
        card_id: c.id,
        deck_id: c.deck_id.clone(),
        prompt: c.prompt.clone(),
        failures: failures.get(&c.id).copied().unwrap_or(0),
        leech: c.state.is_some_and(|s| s.leech),
    };
    let mut leeches: Vec<TroubleCard> = active
        .iter()
        .filter(|c| c.state.is_some_and(|s| s.leech))
        .map(|c| trouble(c))
        .collect();
    leeches.sort_by(|a, b| b.failures.cmp(&a.failures).then(a.card_id.cmp(&b.card_id)));
    let mut most_failed: Vec<TroubleCard> = active
        .iter()
        .map(|c| trouble(c))
        .filter(|t| t.failures > 0)
        .collect();
    most_failed.sort_by(|a, b| b.failures.cmp(&a.failures).then(a.card_id.cmp(&b.card_id)));
    most_failed.truncate(MOST_FAILED);

    let (mastery_by_deck, mastery_by_theme) = mastery(
        active
            .iter()
            .map(|c| (c.deck_id.as_str(), c.tags.as_slice(), c.state)),
        input.scheduler,
        input.now,
        input.deck_titles,
        input.themes,
    );

    Stats {
        today_day: today,
        today: today_counts,
        counts,
        retention_7_days: retention(7),
        retention_30_days: retention(30),
        retention_weekly,
        forecast,
        heatmap,
        streak_days: streak,
        time,
        leeches,
        most_failed,
        mastery_by_deck,
        mastery_by_theme,
    }
}

/// True retention of the study reviews of review-phase cards made from day `first` to day `last`.
fn retention_between(reviews: &[&ReviewInfo], first: i64, last: i64) -> Retention {
    let mut r = Retention::default();
    for review in reviews.iter().filter(|r| {
        r.mode == "study" && r.phase_before == Phase::Review && r.day >= first && r.day <= last
    }) {
        let passed = review.rating > 1;
        r.all.add(passed);
        if review.interval_before >= MATURE_DAYS {
            r.mature.add(passed);
        } else {
            r.young.add(passed);
        }
    }
    r
}

fn heatmap(per_day: &HashMap<i64, u32>, today: i64) -> Heatmap {
    let first_day = today - weekday(today) as i64 - 7 * (HEATMAP_WEEKS as i64 - 1);
    let cells: Vec<Vec<Option<u32>>> = (0..7)
        .map(|row| {
            (0..HEATMAP_WEEKS)
                .map(|col| {
                    let day = first_day + (col * 7 + row) as i64;
                    (day <= today).then(|| per_day.get(&day).copied().unwrap_or(0))
                })
                .collect()
        })
        .collect();
    let max = cells.iter().flatten().flatten().copied().max().unwrap_or(0);
    Heatmap {
        first_day,
        cells,
        max,
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

/// What the class view groups mastery by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Deck,
    Theme,
}

/// One learner's row in the class view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassRow {
    pub learner: String,
    /// Mastery per column, in the order of [`Class::columns`] (0 to 1).
    pub mastery: Vec<f64>,
    pub reviews_7_days: u32,
    /// The last calendar day with a review, if any.
    pub last_active_day: Option<i64>,
}

/// A class column: a deck or a theme, with the class's mean mastery of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassColumn {
    pub key: String,
    pub label: String,
    pub mean: f64,
}

/// The class view: one row per learner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Class {
    pub by: GroupBy,
    pub today_day: i64,
    pub columns: Vec<ClassColumn>,
    pub rows: Vec<ClassRow>,
    /// Column keys from the weakest (lowest class mean) to the strongest.
    pub weakest: Vec<String>,
}

/// One learner's data for the class view.
pub struct LearnerData<'a> {
    pub name: String,
    pub cards: Vec<CardInfo>,
    pub reviews: Vec<ReviewInfo>,
    pub scheduler: Scheduler,
    pub calendar: &'a Calendar,
}

/// The class view over every learner: mastery per deck or theme, recent activity, the weakest columns first.
pub fn class(
    learners: &[LearnerData<'_>],
    by: GroupBy,
    now: i64,
    deck_titles: &BTreeMap<String, String>,
    themes: &BTreeMap<String, String>,
) -> Class {
    let mut class = ClassBuilder::new(by);
    for l in learners {
        class.add(l, now, deck_titles, themes);
    }
    class.finish()
}

type LearnerRow = (String, BTreeMap<String, f64>, u32, Option<i64>);

/// The class view built one learner at a time, so that a class of 100 learners on 100,000 cards never holds more
/// than one learner's cards.
#[derive(Debug, Clone)]
pub struct ClassBuilder {
    by: GroupBy,
    columns: BTreeMap<String, (String, f64)>,
    /// Name, mastery by column, reviews in the last 7 days, last active day.
    per_learner: Vec<LearnerRow>,
    today_day: i64,
}

impl ClassBuilder {
    pub fn new(by: GroupBy) -> Self {
        ClassBuilder {
            by,
            columns: BTreeMap::new(),
            per_learner: Vec::new(),
            today_day: 0,
        }
    }

    /// Adds one learner's row.
    pub fn add(
        &mut self,
        l: &LearnerData<'_>,
        now: i64,
        deck_titles: &BTreeMap<String, String>,
        themes: &BTreeMap<String, String>,
    ) {
        let cards = l
            .cards
            .iter()
            .filter(|c| !c.retired)
            .map(|c| (c.deck_id.as_str(), c.tags.as_slice(), c.state));
        self.add_row(
            &l.name,
            cards,
            &l.reviews,
            (&l.scheduler, l.calendar),
            now,
            (deck_titles, themes),
        );
    }

    /// Adds one learner's row from their active cards as (deck, tags, state), without copying the cards.
    pub fn add_row<'c>(
        &mut self,
        name: &str,
        cards: impl IntoIterator<Item = (&'c str, &'c [String], Option<CardState>)>,
        reviews: &[ReviewInfo],
        (scheduler, calendar): (&Scheduler, &Calendar),
        now: i64,
        (deck_titles, themes): (&BTreeMap<String, String>, &BTreeMap<String, String>),
    ) {
        let today = calendar.day_of(now);
        let mastery = mastery(cards, scheduler, now, deck_titles, themes);
        self.add_mastery(
            name,
            mastery,
            reviews.iter().filter(|r| r.day > today - 7).count() as u32,
            reviews.iter().map(|r| r.day).max(),
            today,
        );
    }

    /// Adds one learner's row from their mastery by deck and by theme (as [`mastery`] or
    /// [`MasteryIndex::mastery`] gives it), their reviews in the 7 days ending `today` and their last active day.
    pub fn add_mastery(
        &mut self,
        name: &str,
        (decks, theme_rows): (Vec<Mastery>, Vec<Mastery>),
        reviews_7_days: u32,
        last_active_day: Option<i64>,
        today: i64,
    ) {
        self.today_day = today;
        let rows = match self.by {
            GroupBy::Deck => decks,
            GroupBy::Theme => theme_rows,
        };
        for m in &rows {
            self.columns
                .entry(m.key.clone())
                .or_insert_with(|| (m.label.clone(), 0.0))
                .1 += m.mastery;
        }
        let values: BTreeMap<String, f64> = rows.into_iter().map(|m| (m.key, m.mastery)).collect();
        self.per_learner
            .push((name.to_string(), values, reviews_7_days, last_active_day));
    }

    /// The class: columns with the class mean, one row per learner, the weakest columns first.
    pub fn finish(self) -> Class {
        let n = self.per_learner.len().max(1) as f64;
        let columns: Vec<ClassColumn> = self
            .columns
            .into_iter()
            .map(|(key, (label, sum))| ClassColumn {
                key,
                label,
                mean: sum / n,
            })
            .collect();
        let rows = self
            .per_learner
            .into_iter()
            .map(
                |(learner, values, reviews_7_days, last_active_day)| ClassRow {
                    learner,
                    mastery: columns
                        .iter()
                        .map(|c| values.get(&c.key).copied().unwrap_or(0.0))
                        .collect(),
                    reviews_7_days,
                    last_active_day,
                },
            )
            .collect();
        let mut order: Vec<&ClassColumn> = columns.iter().collect();
        order.sort_by(|a, b| a.mean.total_cmp(&b.mean).then(a.key.cmp(&b.key)));
        let weakest = order.iter().map(|c| c.key.clone()).collect();
        Class {
            by: self.by,
            today_day: self.today_day,
            columns,
            rows,
            weakest,
        }
    }
}
