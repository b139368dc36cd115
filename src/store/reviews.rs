//! The review log (the `reviews` table): appending a review (logged as a sync event), what a learner has done today, and a
//! learner's study reviews in order for replaying the schedule.

use crate::error::Result;
use crate::schedule::{CardState, Phase};
use crate::time::{Day, UnixMs};
use rusqlite::{Connection, Transaction, params};

/// What a learner has done since `since_ms`: new cards introduced, reviews done, and the notes ("deck/card")
/// studied, whose siblings wait for another day.
pub struct Today {
    pub new_done: u32,
    pub reviews_done: u32,
    pub notes: std::collections::HashSet<String>,
}

pub fn today(conn: &Connection, learner: i64, since: UnixMs) -> Result<Today> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.phase_before, c.deck_id || '/' || c.card_key FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE r.learner_id = ?1 AND r.reviewed_at >= ?2 AND r.mode = 'study' AND r.retracted = 0",
    )?;
    let mut t = Today {
        new_done: 0,
        reviews_done: 0,
        notes: Default::default(),
    };
    let rows = stmt.query_map(params![learner, since], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (phase, note) = row?;
        match Phase::from_i64(phase) {
            Phase::New => t.new_done += 1,
            Phase::Review => t.reviews_done += 1,
            _ => {}
        }
        t.notes.insert(note);
    }
    Ok(t)
}

/// One row of the review log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Review {
    pub learner_id: i64,
    pub card_id: i64,
    pub session_id: Option<i64>,
    pub reviewed_at_ms: UnixMs,
    pub day: Day,
    pub mode: String,
    pub response: String,
    pub correct: bool,
    pub rule: String,
    pub rating: crate::schedule::Rating,
    pub duration_ms: i64,
    pub before: Option<CardState>,
    pub after: CardState,
    pub interval_days: u32,
    pub elapsed_days: u32,
}

/// Appends a review, logged as the next event of this database's study device (`store::sync`), in the caller's
/// transaction; returns its id.
pub fn insert_review(tx: &Transaction<'_>, r: &Review) -> Result<i64> {
    let b = r.before.as_ref();
    tx.prepare_cached(
        "INSERT INTO reviews (learner_id, card_id, session_id, reviewed_at, day, mode, response, correct, rule,
            rating, duration_ms, phase_before, step_before, stability_before, difficulty_before, due_before,
            last_review_before, last_day_before, interval_before, reps_before, lapses_before, leech_before,
            phase_after, step_after, stability_after, difficulty_after, due_after, interval_days, elapsed_days)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
            ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
    )?
    .execute(params![
        r.learner_id,
        r.card_id,
        r.session_id,
        r.reviewed_at_ms,
        r.day,
        r.mode,
        r.response,
        r.correct,
        r.rule,
        r.rating,
        r.duration_ms,
        b.map_or(0, |s| s.phase.as_i64()),
        b.map(|s| s.step),
        b.map(|s| f64::from(s.stability)),
        b.map(|s| f64::from(s.difficulty)),
        b.map(|s| s.due),
        b.map(|s| s.last_review),
        b.map(|s| s.last_day),
        b.map(|s| s.interval),
        b.map(|s| s.reps),
        b.map(|s| s.lapses),
        b.map(|s| s.leech),
        r.after.phase.as_i64(),
        r.after.step,
        f64::from(r.after.stability),
        f64::from(r.after.difficulty),
        r.after.due,
        r.interval_days,
        r.elapsed_days
    ])?;
    let id = tx.last_insert_rowid();
    super::sync::log_study_review(tx, r.learner_id, id)?;
    Ok(id)
}

pub use crate::schedule::LoggedReview;

/// A learner's study reviews that count (none retracted), in the order every side of a sync replays them: by time,
/// then event key (device, sequence).
pub fn study_log(conn: &Connection, learner: i64) -> Result<Vec<LoggedReview>> {
    logged(conn, learner, None)
}

/// [`study_log`] of the cards `cards` only (card ids): each card's state depends on its own reviews alone, so these
/// are what re-deriving those cards needs.
pub fn study_log_of(conn: &Connection, learner: i64, cards: &[i64]) -> Result<Vec<LoggedReview>> {
    logged(conn, learner, Some(cards))
}

fn logged(conn: &Connection, learner: i64, cards: Option<&[i64]>) -> Result<Vec<LoggedReview>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.card_id, c.deck_id || '/' || c.card_key || '/' || c.sibling, r.rating, r.reviewed_at, r.day,
                r.exam_day
         FROM reviews r JOIN cards c ON c.id = r.card_id JOIN sync_log l ON l.review_id = r.id
         WHERE r.learner_id = ?1 AND r.mode = 'study' AND r.retracted = 0
           AND r.reviewed_at >= coalesce(c.reset_at, 0)
           AND (?2 IS NULL OR r.card_id IN (SELECT value FROM json_each(?2)))
         ORDER BY r.reviewed_at, l.device, l.seq",
    )?;
    let filter = cards.map(|c| serde_json::Value::from(c.to_vec()).to_string());
    let rows = stmt
        .query_map(rusqlite::params![learner, filter], |r| {
            Ok(LoggedReview {
                card_id: r.get(0)?,
                key: r.get(1)?,
                rating: r.get(2)?,
                reviewed_at_ms: r.get(3)?,
                day: r.get(4)?,
                exam_day: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
