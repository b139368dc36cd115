//! One learner's statistics, everything `detente stats` shows: [`compute`] takes the cards, the review log and
//! today's queue and returns [`Stats`] (card counts, retention, forecast, heatmap, streak, time spent, trouble
//! cards, mastery).

use super::activity::{heatmap, retention_between};
use super::{
    ById, CardInfo, FORECAST_DAYS, Heatmap, MATURE_DAYS, MOST_FAILED, Mastery, RETENTION_WEEKS,
    Retention, ReviewInfo, WeekRetention, mastery,
};
use crate::schedule::{Calendar, Phase, Queue, Scheduler};
use crate::time::Day;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

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

/// Everything `detente stats` shows for one learner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub today_day: Day,
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
    let mut per_day: HashMap<Day, u32> = HashMap::new();
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
        .filter(|r| r.mode == "study" && r.rating == crate::schedule::Rating::Again)
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
        super::horizon(input.now),
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
