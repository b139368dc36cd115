//! The store's side of progress bundles: reading one learner's reviews, exam attempts and the deck versions they
//! refer to, with cards named by deck id + card key + sibling; merging those into another database without
//! duplicates; and replacing a learner's card states with ones recomputed from the merged log. The format itself
//! (the records, the checksum, the checks that need no database) is [`crate::bundle`]'s.

// The records and their checks are the bundle format's; they are re-exported so the store's callers find them here.
pub use crate::bundle::{
    BundleAnswer, BundleAttempt, BundleDeck, BundleReview, CLOCK_SLACK_S, EARLIEST_S,
    validate_attempt, validate_flag, validate_review,
};

use crate::error::Result;
use crate::schedule::CardState;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::BTreeMap;

/// A learner's whole review log (every mode, retracted reviews left out), oldest first.
pub fn bundle_reviews(conn: &Connection, learner: i64) -> Result<Vec<BundleReview>> {
    let mut out = Vec::new();
    for_each_bundle_review(conn, learner, |r| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

/// A learner's whole review log (every mode), oldest first, one review at a time: a bundle is written as it is
/// read, never held whole. Stops at the first error `each` returns.
pub fn for_each_bundle_review(
    conn: &Connection,
    learner: i64,
    mut each: impl FnMut(BundleReview) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REVIEW_COLUMNS} FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE r.learner_id = ?1 AND r.retracted = 0 ORDER BY r.reviewed_at, r.id"
    ))?;
    let mut rows = stmt.query([learner])?;
    while let Some(r) = rows.next()? {
        each(review_row(r, 0)?)?;
    }
    Ok(())
}

/// The columns [`review_row`] reads, over `reviews r JOIN cards c`.
pub(super) const REVIEW_COLUMNS: &str = "c.deck_id, c.card_key, c.sibling, r.reviewed_at, r.day, r.mode, r.response,
    r.correct, r.rule, r.rating, r.duration_ms, r.phase_before, r.step_before, r.stability_before,
    r.difficulty_before, r.due_before, r.last_review_before, r.last_day_before, r.interval_before, r.reps_before,
    r.lapses_before, r.leech_before, r.phase_after, r.step_after, r.stability_after, r.difficulty_after, r.due_after,
    r.interval_days, r.elapsed_days, r.exam_day, r.exam_shortened_from";

/// A review as a bundle (and a sync event) carries it, from [`REVIEW_COLUMNS`] starting at column `at`.
pub(super) fn review_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<BundleReview> {
    Ok(BundleReview {
        deck: r.get(at)?,
        card: r.get(at + 1)?,
        sibling: r.get(at + 2)?,
        reviewed_at: r.get(at + 3)?,
        day: r.get(at + 4)?,
        mode: r.get(at + 5)?,
        response: r.get(at + 6)?,
        correct: r.get(at + 7)?,
        rule: r.get(at + 8)?,
        rating: r.get(at + 9)?,
        duration_ms: r.get(at + 10)?,
        phase_before: r.get(at + 11)?,
        step_before: r.get(at + 12)?,
        stability_before: r.get(at + 13)?,
        difficulty_before: r.get(at + 14)?,
        due_before: r.get(at + 15)?,
        last_review_before: r.get(at + 16)?,
        last_day_before: r.get(at + 17)?,
        interval_before: r.get(at + 18)?,
        reps_before: r.get(at + 19)?,
        lapses_before: r.get(at + 20)?,
        leech_before: r.get(at + 21)?,
        phase_after: r.get(at + 22)?,
        step_after: r.get(at + 23)?,
        stability_after: r.get(at + 24)?,
        difficulty_after: r.get(at + 25)?,
        due_after: r.get(at + 26)?,
        interval_days: r.get(at + 27)?,
        elapsed_days: r.get(at + 28)?,
        exam_day: r.get(at + 29)?,
        exam_shortened_from: r.get(at + 30)?,
    })
}

/// A learner's exam attempts with their answers, by exam and number.
pub fn bundle_attempts(conn: &Connection, learner: i64) -> Result<Vec<BundleAttempt>> {
    let mut stmt = conn.prepare(
        "SELECT id, exam_id, number, seed, paper, started_at, deadline, closed_at, score, max_score
         FROM attempts WHERE learner_id = ?1 ORDER BY exam_id, number",
    )?;
    let heads = stmt
        .query_map([learner], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                BundleAttempt {
                    exam_id: r.get(1)?,
                    number: r.get(2)?,
                    seed: r.get(3)?,
                    paper: r.get(4)?,
                    started_at: r.get(5)?,
                    deadline: r.get(6)?,
                    closed_at: r.get(7)?,
                    score: r.get(8)?,
                    max_score: r.get(9)?,
                    answers: Vec::new(),
                },
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut answers = conn.prepare(
        "SELECT a.position, c.deck_id, c.card_key, c.sibling, a.response, a.credit, a.correct, a.answered_at,
            a.duration_ms
         FROM attempt_answers a JOIN cards c ON c.id = a.card_id WHERE a.attempt_id = ?1 ORDER BY a.position",
    )?;
    let mut out = Vec::with_capacity(heads.len());
    for (id, mut attempt) in heads {
        attempt.answers = answers
            .query_map([id], |r| {
                Ok(BundleAnswer {
                    position: r.get(0)?,
                    deck: r.get(1)?,
                    card: r.get(2)?,
                    sibling: r.get(3)?,
                    response: r.get(4)?,
                    credit: r.get(5)?,
                    correct: r.get(6)?,
                    answered_at: r.get(7)?,
                    duration_ms: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.push(attempt);
    }
    Ok(out)
}

/// The decks (and their content hashes) that a learner's reviews, exam answers and flags refer to.
pub fn bundle_decks(conn: &Connection, learner: i64) -> Result<Vec<BundleDeck>> {
    let mut stmt = conn.prepare(
        "SELECT d.id, d.content_hash FROM decks d WHERE d.id IN (
            SELECT c.deck_id FROM reviews r JOIN cards c ON c.id = r.card_id
                WHERE r.learner_id = ?1 AND r.retracted = 0
            UNION
            SELECT c.deck_id FROM attempt_answers a JOIN attempts t ON t.id = a.attempt_id
                JOIN cards c ON c.id = a.card_id WHERE t.learner_id = ?1
            UNION
            SELECT c.deck_id FROM flags f JOIN cards c ON c.id = f.card_id WHERE f.learner_id = ?1)
         ORDER BY d.id",
    )?;
    let rows = stmt
        .query_map([learner], |r| {
            Ok(BundleDeck {
                id: r.get(0)?,
                content_hash: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The local row id of a study item; `None` if this database has no such card.
pub fn card_id(conn: &Connection, deck: &str, card: &str, sibling: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM cards WHERE deck_id = ?1 AND card_key = ?2 AND sibling = ?3",
        )?
        .query_row(params![deck, card, sibling], |r| r.get(0))
        .optional()?)
}

/// A deck's content hash; `None` if it is not loaded.
pub fn deck_hash(conn: &Connection, deck: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT content_hash FROM decks WHERE id = ?1",
            [deck],
            |r| r.get(0),
        )
        .optional()?)
}

/// Whether an exam is loaded.
pub fn exam_exists(conn: &Connection, exam: &str) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM exams WHERE id = ?1", [exam], |_| Ok(()))
        .optional()?
        .is_some())
}

/// What a merge added.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MergeReport {
    pub reviews_added: usize,
    pub reviews_known: usize,
    pub attempts_added: usize,
    pub attempts_known: usize,
    /// Attempts still open on the learner's machine, left for a later bundle.
    #[serde(default)]
    pub attempts_open: usize,
    /// Answers of the added attempts that did not count (see `session::exam::rescore`).
    #[serde(default)]
    pub answers_not_counted: usize,
}

/// Stores a review from a bundle and logs it as this database's import device's next event for the learner (a
/// bundle names no device); the rule that calls it is `store::import_db::merge_reviews`.
pub(super) fn log_imported_review(
    tx: &Transaction<'_>,
    learner: i64,
    card: i64,
    r: &BundleReview,
) -> Result<()> {
    let device = super::sync::device_id(tx, super::sync::Device::Import)?;
    let id = insert_bundle_review(tx, learner, card, r)?;
    let key = crate::sync::Key {
        device: device.clone(),
        seq: super::sync::next_seq(tx, learner, &device)?,
    };
    super::sync::log_review(tx, learner, &key, id)
}

/// Inserts one review as a bundle or a sync event carries it (no session); returns its row id. The caller logs it.
pub(super) fn insert_bundle_review(
    tx: &Transaction<'_>,
    learner: i64,
    card: i64,
    r: &BundleReview,
) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO reviews (learner_id, card_id, session_id, reviewed_at, day, mode, response, correct, rule,
            rating, duration_ms, phase_before, step_before, stability_before, difficulty_before, due_before,
            last_review_before, last_day_before, interval_before, reps_before, lapses_before, leech_before,
            phase_after, step_after, stability_after, difficulty_after, due_after, interval_days, elapsed_days,
            exam_day, exam_shortened_from)
         VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
            ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)",
    )?
    .execute(params![
        learner,
        card,
        r.reviewed_at,
        r.day,
        r.mode,
        r.response,
        r.correct,
        r.rule,
        r.rating,
        r.duration_ms,
        r.phase_before,
        r.step_before,
        r.stability_before,
        r.difficulty_before,
        r.due_before,
        r.last_review_before,
        r.last_day_before,
        r.interval_before,
        r.reps_before,
        r.lapses_before,
        r.leech_before,
        r.phase_after,
        r.step_after,
        r.stability_after,
        r.difficulty_after,
        r.due_after,
        r.interval_days,
        r.elapsed_days,
        r.exam_day,
        r.exam_shortened_from
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Replaces all of a learner's card states with the given ones (cards absent from the map are new to them).
pub fn replace_states(
    tx: &Transaction<'_>,
    learner: i64,
    states: &BTreeMap<i64, CardState>,
) -> Result<()> {
    tx.execute("DELETE FROM card_states WHERE learner_id = ?1", [learner])?;
    for (card, state) in states {
        super::put_state(tx, learner, *card, Some(state))?;
    }
    Ok(())
}
