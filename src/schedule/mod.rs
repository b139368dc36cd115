//! Scheduling: FSRS-6 (the `fsrs` crate) for the memory model, plus what the crate leaves out, following
//! `reference/fsrs.md` and Anki: learning and relearning steps, interval rounding and the maximum interval, Anki's
//! fuzz with Hard < Good < Easy, calendar days with a rollover hour, and leeches. Pure functions of the previous
//! state, the rating, the time and a fuzz factor the caller draws from a seeded RNG.

use chrono::{Datelike, FixedOffset, Local, NaiveDate, TimeZone};
use fsrs::{FSRS, MemoryState, NextStates};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

pub mod exam_date;

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
    pub last_day: i64,
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

/// Calendar days in the learner's time zone, starting at the rollover hour (4 am, as in Anki).
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    zone: Zone,
    rollover_hour: u32,
}

#[derive(Debug, Clone, Copy)]
enum Zone {
    Local,
    Fixed(FixedOffset),
}

impl Calendar {
    /// The machine's local time zone (honouring `TZ`).
    pub fn local(rollover_hour: u32) -> Self {
        Calendar {
            zone: Zone::Local,
            rollover_hour: rollover_hour.min(23),
        }
    }
    /// A fixed offset from UTC, for tests and reproducible runs.
    pub fn fixed(offset: FixedOffset, rollover_hour: u32) -> Self {
        Calendar {
            zone: Zone::Fixed(offset),
            rollover_hour: rollover_hour.min(23),
        }
    }

    /// The calendar day (days since 1 January of year 1) that Unix time `ts` falls on.
    pub fn day_of(&self, ts: i64) -> i64 {
        let shift = |naive: chrono::NaiveDateTime| {
            i64::from(
                (naive - chrono::Duration::hours(i64::from(self.rollover_hour)))
                    .date()
                    .num_days_from_ce(),
            )
        };
        match self.zone {
            Zone::Local => Local
                .timestamp_opt(ts, 0)
                .single()
                .map(|d| shift(d.naive_local())),
            Zone::Fixed(o) => o
                .timestamp_opt(ts, 0)
                .single()
                .map(|d| shift(d.naive_local())),
        }
        .unwrap_or(ts.div_euclid(86_400) + 719_163)
    }

    /// Unix time of the start of calendar day `day` (its rollover hour).
    pub fn start_of(&self, day: i64) -> i64 {
        let naive = i32::try_from(day)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .and_then(|d| d.and_hms_opt(self.rollover_hour, 0, 0));
        let Some(naive) = naive else {
            return (day - 719_163) * 86_400;
        };
        match self.zone {
            Zone::Local => Local
                .from_local_datetime(&naive)
                .earliest()
                .map(|d| d.timestamp()),
            Zone::Fixed(o) => o
                .from_local_datetime(&naive)
                .earliest()
                .map(|d| d.timestamp()),
        }
        .unwrap_or_else(|| naive.and_utc().timestamp())
    }
}

/// What answering a card did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub state: CardState,
    /// Days since the previous review (calendar days), as given to FSRS.
    pub elapsed_days: u32,
    /// The card just became a leech.
    pub became_leech: bool,
}

/// FSRS-6 with the learner's settings.
#[derive(Debug, Clone)]
pub struct Scheduler {
    fsrs: FSRS,
    pub settings: Settings,
}

impl Scheduler {
    pub fn new(settings: Settings) -> crate::error::Result<Self> {
        Ok(Scheduler {
            fsrs: FSRS::new(&settings.parameters)?,
            settings,
        })
    }

    /// Answers a card (`prev` is `None` for a new card) with `rating` 1 to 4 at Unix time `now`. `fuzz` is a
    /// number in [0, 1) drawn from a seeded RNG, or `None` for no fuzz.
    pub fn answer(
        &self,
        prev: Option<&CardState>,
        rating: u8,
        now: i64,
        cal: &Calendar,
        fuzz: Option<f32>,
    ) -> crate::error::Result<Outcome> {
        let today = cal.day_of(now);
        let elapsed = prev.map_or(0, |p| {
            (today - p.last_day).clamp(0, i64::from(u32::MAX)) as u32
        });
        let mut outcome = self.answer_with_elapsed(prev, rating, now, elapsed, fuzz)?;
        outcome.state.last_day = today;
        if outcome.state.phase == Phase::Review {
            outcome.state.due = cal.start_of(today + i64::from(outcome.state.interval));
        }
        Ok(outcome)
    }

    /// The heart of [`Scheduler::answer`], with the elapsed days given (so that reference vectors computed with
    /// another day rule can be reproduced). A review's due time here is `now` plus whole days.
    pub fn answer_with_elapsed(
        &self,
        prev: Option<&CardState>,
        rating: u8,
        now: i64,
        elapsed_days: u32,
        fuzz: Option<f32>,
    ) -> crate::error::Result<Outcome> {
        let rating = rating.clamp(1, 4);
        let memory = prev.filter(|p| p.phase != Phase::New).map(|p| MemoryState {
            stability: p.stability,
            difficulty: p.difficulty,
        });
        let next = self
            .fsrs
            .next_states(memory, self.settings.desired_retention, elapsed_days)?;
        let chosen = match rating {
            1 => &next.again,
            2 => &next.hard,
            3 => &next.good,
            _ => &next.easy,
        };
        let phase = prev.map_or(Phase::New, |p| p.phase);
        let mut state = CardState {
            phase,
            step: prev.map_or(0, |p| p.step),
            stability: chosen.memory.stability,
            difficulty: chosen.memory.difficulty,
            due: now,
            last_review: now,
            last_day: prev.map_or(0, |p| p.last_day),
            interval: 0,
            reps: prev.map_or(0, |p| p.reps) + 1,
            lapses: prev.map_or(0, |p| p.lapses),
            leech: prev.is_some_and(|p| p.leech),
        };
        let mut became_leech = false;
        let steps_for = |p: Phase| match p {
            Phase::Relearning => &self.settings.relearning_steps,
            _ => &self.settings.learning_steps,
        };
        let graduate = |state: &mut CardState| {
            let days = self.constrain(chosen.interval, 1, fuzz);
            state.phase = Phase::Review;
            state.step = 0;
            state.interval = days;
            state.due = now + i64::from(days) * 86_400;
        };
        match phase {
            Phase::New | Phase::Learning | Phase::Relearning => {
                let steps = steps_for(phase);
                let step = if phase == Phase::New {
                    0
                } else {
                    state.step as usize
                };
                match step_transition(steps, step, rating) {
                    Some((next_step, delay)) => {
                        state.phase = if phase == Phase::New {
                            Phase::Learning
                        } else {
                            phase
                        };
                        state.step = next_step as u32;
                        state.due = now + i64::from(delay);
                    }
                    None => graduate(&mut state),
                }
            }
            Phase::Review if rating == 1 => {
                state.lapses += 1;
                let t = self.settings.leech_threshold.max(1);
                if state.lapses >= t && (state.lapses - t).is_multiple_of((t / 2).max(1)) {
                    became_leech = true;
                    state.leech = true;
                }
                match self.settings.relearning_steps.first() {
                    Some(&delay) => {
                        state.phase = Phase::Relearning;
                        state.step = 0;
                        state.due = now + i64::from(delay);
                    }
                    None => graduate(&mut state),
                }
            }
            Phase::Review => {
                let last = prev.map_or(0, |p| p.interval);
                let (hard, good, easy) = self.passing_intervals(&next, last, fuzz);
                let days = match rating {
                    2 => hard,
                    3 => good,
                    _ => easy,
                };
                state.interval = days;
                state.due = now + i64::from(days) * 86_400;
            }
        }
        Ok(Outcome {
            state,
            elapsed_days,
            became_leech,
        })
    }

    /// Review intervals for Hard, Good and Easy. With fuzz, as Anki does: each at least one day more than the one
    /// before, and not fuzzed below the last interval when they grew. Without fuzz, plain rounding, as py-fsrs does
    /// (the reference vectors are computed so).
    fn passing_intervals(
        &self,
        next: &NextStates,
        last: u32,
        fuzz: Option<f32>,
    ) -> (u32, u32, u32) {
        if fuzz.is_none() {
            let max = self.settings.maximum_interval;
            let plain = |i: f32| with_fuzz(i, 1, max, None);
            return (
                plain(next.hard.interval),
                plain(next.good.interval),
                plain(next.easy.interval),
            );
        }
        let floor = |interval: f32| {
            let rounded = round_days(interval);
            if rounded > last { last + 1 } else { 0 }
        };
        let hard = self.constrain(next.hard.interval, floor(next.hard.interval).max(1), fuzz);
        let good = self.constrain(
            next.good.interval,
            floor(next.good.interval).max(hard + 1),
            fuzz,
        );
        let easy = self.constrain(
            next.easy.interval,
            floor(next.easy.interval).max(good + 1),
            fuzz,
        );
        (hard, good, easy)
    }

    fn constrain(&self, interval: f32, minimum: u32, fuzz: Option<f32>) -> u32 {
        with_fuzz(interval, minimum, self.settings.maximum_interval, fuzz)
    }

    /// Retrievability of a card `days` after its last review.
    pub fn retrievability(&self, state: &CardState, days: f32) -> f32 {
        if state.phase == Phase::New {
            return 0.0;
        }
        let decay = self
            .settings
            .parameters
            .get(20)
            .copied()
            .unwrap_or(fsrs::FSRS6_DEFAULT_DECAY);
        fsrs::current_retrievability(
            MemoryState {
                stability: state.stability,
                difficulty: state.difficulty,
            },
            days.max(0.0),
            decay,
        )
    }
}

fn round_days(interval: f32) -> u32 {
    interval.round().max(0.0) as u32
}

/// The next (step, delay in seconds) within learning or relearning steps, or `None` when the card graduates.
fn step_transition(steps: &[u32], step: usize, rating: u8) -> Option<(usize, u32)> {
    if steps.is_empty() || (step >= steps.len() && rating > 1) {
        return None;
    }
    match rating {
        1 => Some((0, steps[0])),
        2 => {
            let delay = match (step, steps) {
                (0, [only]) => only.saturating_mul(3) / 2,
                (0, [first, second, ..]) => (first + second) / 2,
                _ => steps[step],
            };
            Some((step, delay))
        }
        3 if step + 1 < steps.len() => Some((step + 1, steps[step + 1])),
        _ => None,
    }
}

/// The fuzz range around an interval, as in Anki: no fuzz under 2.5 days, then one day plus 15% of the days from
/// 2.5 to 7, 10% of those from 7 to 20 and 5% of those beyond.
fn fuzz_delta(interval: f32) -> f32 {
    if interval < 2.5 {
        return 0.0;
    }
    [(2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, f32::MAX, 0.05)]
        .iter()
        .fold(1.0, |delta, &(start, end, factor)| {
            delta + factor * (interval.min(end) - start).max(0.0)
        })
}

/// An interval in whole days within [minimum, maximum], fuzzed uniformly over its fuzz range when `fuzz` is given.
pub fn with_fuzz(interval: f32, minimum: u32, maximum: u32, fuzz: Option<f32>) -> u32 {
    let minimum = minimum.min(maximum);
    let Some(f) = fuzz else {
        return round_days(interval).clamp(minimum, maximum);
    };
    let interval = interval.clamp(minimum as f32, maximum as f32);
    let delta = fuzz_delta(interval);
    let mut lower = round_days(interval - delta).clamp(minimum, maximum);
    let mut upper = round_days(interval + delta).clamp(minimum, maximum);
    if upper == lower && upper > 2 && upper < maximum {
        upper = lower + 1;
    }
    lower = lower.min(upper);
    (lower as f32 + f.clamp(0.0, 0.999_999) * (1 + upper - lower) as f32).floor() as u32
}

/// The fuzz factor for one answer: drawn from an RNG seeded by the card and its review count, so that replaying
/// a review log gives the same intervals.
pub fn fuzz_factor(card_key: &str, reps: u32) -> f32 {
    let seed = crate::text::fnv1a(format!("{card_key}#{reps}").as_bytes());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32
}

/// One study review, as replaying the schedule needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedReview {
    pub card_id: i64,
    /// "deck/card/sibling", the key the fuzz seed is drawn from.
    pub key: String,
    pub rating: u8,
    pub reviewed_at_ms: i64,
    pub day: i64,
    /// The exam day ([`exam::ExamDate::day`]) in force for the card when it was answered, as the log recorded it.
    pub exam_day: Option<i64>,
}

/// Replays a learner's study log (oldest first, as the store's `study_log` gives it, which already starts each
/// card afresh at its reset) through the scheduler, with the same fuzz the session drew: the card states the log
/// implies, by card id. Cards absent from the result are new to the learner. The exam rule ([`exam::apply`]) is
/// applied where the log recorded an exam day, and only there: exam dates set or changed since do not rewrite
/// history.
pub fn replay(
    scheduler: &Scheduler,
    log: &[LoggedReview],
    cal: &Calendar,
) -> crate::error::Result<std::collections::BTreeMap<i64, CardState>> {
    let mut states = std::collections::BTreeMap::new();
    for r in log {
        let prev: Option<&CardState> = states.get(&r.card_id);
        let fuzz = fuzz_factor(&r.key, prev.map_or(0, |s| s.reps));
        let mut out = scheduler.answer(prev, r.rating, r.reviewed_at_ms / 1000, cal, Some(fuzz))?;
        if let Some(day) = r.exam_day {
            exam_date::apply(
                scheduler,
                &mut out,
                &exam_date::ExamDate { day, lead_days: 0 },
                cal,
            );
        }
        states.insert(r.card_id, out.state);
    }
    Ok(states)
}

/// A learner's queue over a scope, totalled: what `due`, `stats`, the study header and the summary show.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Queue {
    /// Learning steps due now plus reviews due now, within the daily review limit.
    pub due_now: u32,
    pub learning_now: u32,
    /// Reviews due now that today's review limit leaves to do.
    pub reviews_now: u32,
    pub later_today: u32,
    pub learning_today: u32,
    /// New cards a session started now would introduce.
    pub new_left: u32,
    pub new_available: u32,
    pub new_waiting: u32,
    /// New cards introduced today, in any deck.
    pub new_done: u32,
    /// Reviews of review cards done today, in any deck.
    pub reviews_done: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anki_fuzz_vectors() {
        // (interval, min, max) -> results at fuzz factors 0, 0.5, 0.99 (Anki's rslib fuzz test).
        let cases: [(f32, u32, u32, [u32; 3]); 16] = [
            (1.0, 1, 1000, [1, 1, 1]),
            (2.49, 1, 1000, [2, 2, 2]),
            (2.5, 1, 1000, [2, 3, 4]),
            (7.0, 1, 1000, [5, 7, 9]),
            (17.0, 1, 1000, [14, 17, 20]),
            (37.0, 1, 1000, [33, 37, 41]),
            (2.0, 2, 1000, [2, 2, 2]),
            (2.0, 3, 1000, [3, 4, 4]),
            (2.0, 3, 3, [3, 3, 3]),
            (6.9, 3, 1000, [5, 7, 9]),
            (7.1, 3, 1000, [5, 7, 9]),
            (19.9, 3, 1000, [17, 20, 23]),
            (20.1, 3, 1000, [17, 20, 23]),
            (100.0, 101, 1000, [101, 105, 108]),
            (100.0, 1, 99, [92, 96, 99]),
            (100.0, 97, 103, [97, 100, 103]),
        ];
        for (interval, min, max, expected) in cases {
            let got = [0.0, 0.5, 0.99].map(|f| with_fuzz(interval, min, max, Some(f)));
            assert_eq!(got, expected, "interval {interval} in [{min}, {max}]");
        }
        assert_eq!(with_fuzz(1.5, 1, 100, None), 2);
        assert_eq!(with_fuzz(0.1, 1, 100, None), 1);
        assert_eq!(with_fuzz(101.0, 1, 100, None), 100);
    }

    #[test]
    fn fuzz_is_uniform_and_keeps_hard_good_easy_apart() {
        let s = Scheduler::new(Settings::default()).expect("defaults");
        let prev = CardState {
            phase: Phase::Review,
            step: 0,
            stability: 3.0,
            difficulty: 5.0,
            due: 0,
            last_review: 0,
            last_day: 0,
            interval: 3,
            reps: 3,
            lapses: 0,
            leech: false,
        };
        let mut counts = std::collections::BTreeMap::new();
        for i in 0..2000u32 {
            let f = fuzz_factor("deck/card/0", i);
            assert!((0.0..1.0).contains(&f));
            let days: Vec<u32> = (2..=4)
                .map(|r| {
                    s.answer_with_elapsed(Some(&prev), r, 0, 3, Some(f))
                        .map(|o| o.state.interval)
                        .unwrap_or(0)
                })
                .collect();
            assert!(days[0] < days[1] && days[1] < days[2], "{days:?}");
            *counts.entry(days[1]).or_insert(0) += 1;
        }
        // Good's interval spreads over several days, none of them rare.
        assert!(counts.len() >= 3, "{counts:?}");
        assert!(counts.values().all(|&c| c > 100), "{counts:?}");
    }

    #[test]
    fn calendar_days_roll_over_at_four() {
        let cal = Calendar::fixed(FixedOffset::east_opt(3600).expect("offset"), 4);
        // 2024-01-02 02:30 local (01:30 UTC) still belongs to 1 January.
        let late = chrono::DateTime::parse_from_rfc3339("2024-01-02T02:30:00+01:00")
            .expect("date")
            .timestamp();
        let early = chrono::DateTime::parse_from_rfc3339("2024-01-02T04:30:00+01:00")
            .expect("date")
            .timestamp();
        assert_eq!(cal.day_of(late) + 1, cal.day_of(early));
        let start = cal.start_of(cal.day_of(early));
        assert_eq!(
            start,
            chrono::DateTime::parse_from_rfc3339("2024-01-02T04:00:00+01:00")
                .expect("d")
                .timestamp()
        );
    }

    #[test]
    fn leeches_at_eight_lapses() {
        let s = Scheduler::new(Settings::default()).expect("defaults");
        let mut state = CardState {
            phase: Phase::Review,
            step: 0,
            stability: 5.0,
            difficulty: 5.0,
            due: 0,
            last_review: 0,
            last_day: 0,
            interval: 5,
            reps: 10,
            lapses: 7,
            leech: false,
        };
        let out = s
            .answer_with_elapsed(Some(&state), 1, 0, 5, None)
            .expect("answer");
        assert!(out.became_leech && out.state.leech && out.state.lapses == 8);
        state.lapses = 3;
        assert!(
            !s.answer_with_elapsed(Some(&state), 1, 0, 5, None)
                .expect("answer")
                .became_leech
        );
    }
}
