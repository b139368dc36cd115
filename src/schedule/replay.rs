//! Replaying a learner's study log through the scheduler, with the fuzz the session drew and the exam rule where
//! the log recorded it: the card states the log implies.

use super::exam_date;
use super::{Calendar, CardState, Scheduler, fuzz_factor};
use crate::time::{Day, UnixMs};

/// One study review, as replaying the schedule needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedReview {
    pub card_id: i64,
    /// "deck/card/sibling", the key the fuzz seed is drawn from.
    pub key: String,
    pub rating: super::Rating,
    pub reviewed_at_ms: UnixMs,
    pub day: Day,
    /// The exam day ([`exam_date::ExamDate::day`]) in force for the card when it was answered, as the log recorded it.
    pub exam_day: Option<Day>,
}

/// Replays a learner's study log (oldest first, as the store's `study_log` gives it, which already starts each
/// card afresh at its reset) through the scheduler, with the same fuzz the session drew: the card states the log
/// implies, by card id. Cards absent from the result are new to the learner. The exam rule ([`exam_date::apply`]) is
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
        let mut out = scheduler.answer(prev, r.rating, r.reviewed_at_ms.secs(), cal, Some(fuzz))?;
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
