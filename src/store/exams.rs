//! Exams in SQLite: definitions (`exams`), attempts and their answers (`attempts`, `attempt_answers`), results, and
//! the responses item analysis reads. Exam answers never touch `reviews` or `card_states`, so sitting an exam moves
//! no study schedule. Every write helper takes a transaction.

use super::Filter;
use crate::error::{Error, Result};
use crate::time::UnixMs;
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};

/// An exam as stored. `definition` is the whole validated definition as JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExamRow {
    pub id: String,
    pub title: String,
    #[serde(skip)]
    pub definition: String,
    #[serde(skip)]
    pub content_hash: String,
    pub questions: u32,
    /// Seconds; `None` for no limit.
    pub time_limit: Option<i64>,
    pub attempts: Option<u32>,
    pub grading: String,
    /// Share of the maximum, 0 to 1.
    pub pass_mark: Option<f64>,
    pub loaded_at: i64,
}

const EXAM_COLUMNS: &str = "id, title, definition, content_hash, questions, time_limit, attempts, grading, pass_mark, loaded_at";

fn exam_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ExamRow> {
    Ok(ExamRow {
        id: r.get(0)?,
        title: r.get(1)?,
        definition: r.get(2)?,
        content_hash: r.get(3)?,
        questions: r.get(4)?,
        time_limit: r.get(5)?,
        attempts: r.get(6)?,
        grading: r.get(7)?,
        pass_mark: r.get(8)?,
        loaded_at: r.get(9)?,
    })
}

/// Whether an upsert added the exam, changed it, or found it unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Added,
    Changed,
    Unchanged,
}

/// Adds an exam or replaces its definition (attempts already sat keep their papers).
pub fn upsert_exam(tx: &Transaction<'_>, e: &ExamRow) -> Result<Upsert> {
    let old: Option<String> = tx
        .query_row(
            "SELECT content_hash FROM exams WHERE id = ?1",
            [&e.id],
            |r| r.get(0),
        )
        .optional()?;
    if old.as_deref() == Some(e.content_hash.as_str()) {
        return Ok(Upsert::Unchanged);
    }
    tx.execute(
        &format!(
            "INSERT INTO exams ({EXAM_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, definition = excluded.definition,
               content_hash = excluded.content_hash, questions = excluded.questions,
               time_limit = excluded.time_limit, attempts = excluded.attempts, grading = excluded.grading,
               pass_mark = excluded.pass_mark, loaded_at = excluded.loaded_at"
        ),
        params![
            e.id,
            e.title,
            e.definition,
            e.content_hash,
            e.questions,
            e.time_limit,
            e.attempts,
            e.grading,
            e.pass_mark,
            e.loaded_at
        ],
    )?;
    Ok(if old.is_some() {
        Upsert::Changed
    } else {
        Upsert::Added
    })
}

pub fn exam(conn: &Connection, id: &str) -> Result<Option<ExamRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {EXAM_COLUMNS} FROM exams WHERE id = ?1"),
            [id],
            exam_row,
        )
        .optional()?)
}

pub fn exams(conn: &Connection) -> Result<Vec<ExamRow>> {
    let mut stmt = conn.prepare(&format!("SELECT {EXAM_COLUMNS} FROM exams ORDER BY id"))?;
    let rows = stmt
        .query_map([], exam_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The active study items an exam may draw from, as (card id, "deck/card"), in deck order. Flashcards, which the
/// learner grades themselves, only when `flashcards`.
pub fn exam_pool(
    conn: &Connection,
    filter: &Filter,
    flashcards: bool,
) -> Result<Vec<(i64, String)>> {
    let (cond, args) = filter.sql();
    let kinds = if flashcards {
        ""
    } else {
        " AND c.kind <> 'flashcard'"
    };
    let sql = format!(
        "SELECT c.id, c.deck_id || '/' || c.card_key FROM cards c JOIN decks d ON d.id = c.deck_id
         WHERE c.retired_at IS NULL AND d.retired_at IS NULL{kinds}{cond} ORDER BY c.deck_id, c.position, c.sibling"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The condition on a deck `d` that it was sent to students' devices as a study deck at some time (in SQLite and
/// PostgreSQL alike).
pub const SHARED_BANK: &str =
    "EXISTS (SELECT 1 FROM published_decks p WHERE p.deck_id = d.id AND p.shared_at IS NOT NULL)";

/// Whether `deck` is loaded as exam-only (`exam_only = true` in its file).
pub fn exam_only_deck(conn: &Connection, deck: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT exam_only FROM decks WHERE id = ?1")?
        .query_row([deck], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// The decks students' devices hold that an exam's filter draws cards from, by id: study decks, and exam-only
/// banks that were published as study decks before ([`SHARED_BANK`]). A server exam drawing on one is open-book.
pub fn study_decks_drawn(conn: &Connection, filter: &Filter) -> Result<Vec<String>> {
    let (cond, args) = filter.sql();
    let sql = format!(
        "SELECT DISTINCT c.deck_id FROM cards c JOIN decks d ON d.id = c.deck_id
         WHERE c.retired_at IS NULL AND d.retired_at IS NULL AND (d.exam_only = 0 OR {SHARED_BANK}){cond}
         ORDER BY c.deck_id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args), |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One attempt at an exam.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Attempt {
    pub id: i64,
    pub exam_id: String,
    pub learner_id: i64,
    pub number: u32,
    pub seed: u64,
    /// Card ids in the order asked.
    pub paper: Vec<i64>,
    pub started_at: UnixMs,
    pub deadline: Option<UnixMs>,
    pub closed_at: Option<UnixMs>,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    /// Sat on the learner's own machine and brought in a progress bundle.
    pub unsupervised: bool,
}

const ATTEMPT_COLUMNS: &str = "id, exam_id, learner_id, number, seed, paper, started_at, deadline, closed_at, score, max_score, unsupervised";

fn attempt_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Attempt> {
    let paper: String = r.get(5)?;
    Ok(Attempt {
        id: r.get(0)?,
        exam_id: r.get(1)?,
        learner_id: r.get(2)?,
        number: r.get(3)?,
        seed: r.get::<_, i64>(4)? as u64,
        paper: serde_json::from_str(&paper).unwrap_or_default(),
        started_at: r.get(6)?,
        deadline: r.get(7)?,
        closed_at: r.get(8)?,
        score: r.get(9)?,
        max_score: r.get(10)?,
        unsupervised: r.get(11)?,
    })
}

/// A learner's attempts at an exam, in the order sat.
pub fn attempts(conn: &Connection, exam: &str, learner: i64) -> Result<Vec<Attempt>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE exam_id = ?1 AND learner_id = ?2 ORDER BY number"
    ))?;
    let rows = stmt
        .query_map(params![exam, learner], attempt_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A learner's supervised attempts at an exam (sat here, not brought in a bundle), in the order sat: the ones the
/// exam's attempt limit counts and a sitting resumes.
pub fn supervised_attempts(conn: &Connection, exam: &str, learner: i64) -> Result<Vec<Attempt>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE exam_id = ?1 AND learner_id = ?2 AND unsupervised = 0
         ORDER BY number"
    ))?;
    let rows = stmt
        .query_map(params![exam, learner], attempt_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Attempts brought in bundles are stored with numbers above this one, so that they never take a number a
/// supervised attempt needs (the two kinds are counted apart; each is shown numbered from 1 within its kind).
pub const UNSUPERVISED_FROM: u32 = 1_000_000;

/// The number a learner's next supervised attempt at an exam gets: one more than their last supervised one,
/// skipping a number an attempt brought in a bundle by an older detente already holds.
pub fn next_attempt_number(conn: &Connection, exam: &str, learner: i64) -> Result<u32> {
    let mut n: u32 = conn.query_row(
        "SELECT coalesce(max(number), 0) + 1 FROM attempts
         WHERE exam_id = ?1 AND learner_id = ?2 AND unsupervised = 0",
        params![exam, learner],
        |r| r.get(0),
    )?;
    let mut taken = conn.prepare_cached(
        "SELECT 1 FROM attempts WHERE exam_id = ?1 AND learner_id = ?2 AND number = ?3",
    )?;
    while taken
        .query_row(params![exam, learner, n], |_| Ok(()))
        .optional()?
        .is_some()
    {
        n += 1;
    }
    Ok(n)
}

/// How many attempts at an exam a learner brought in bundles.
pub fn unsupervised_count(conn: &Connection, exam: &str, learner: i64) -> Result<usize> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM attempts WHERE exam_id = ?1 AND learner_id = ?2 AND unsupervised = 1",
        params![exam, learner],
        |r| r.get(0),
    )?;
    Ok(n as usize)
}

/// Whether this database holds a learner's attempt at an exam that started at this millisecond (of either kind):
/// how an attempt from a bundle is known, whatever number the bundle gave it.
pub fn attempt_known(
    conn: &Connection,
    exam: &str,
    learner: i64,
    started_at: UnixMs,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM attempts WHERE exam_id = ?1 AND learner_id = ?2 AND started_at = ?3",
        )?
        .query_row(params![exam, learner, started_at], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Stores a closed attempt brought in a bundle, already re-scored and numbered (by `store::import_db::merge_attempts`,
/// above [`UNSUPERVISED_FROM`]), and its answers, as an unsupervised attempt.
pub fn insert_unsupervised_attempt(
    tx: &Transaction<'_>,
    a: &Attempt,
    answers: &[AttemptAnswer],
) -> Result<()> {
    let paper = serde_json::to_string(&a.paper)
        .map_err(|e| Error::InvalidData(format!("paper of exam {}: {e}", a.exam_id)))?;
    tx.execute(
        "INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, deadline, closed_at, score,
            max_score, unsupervised) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)",
        params![
            a.exam_id,
            a.learner_id,
            a.number,
            a.seed as i64,
            paper,
            a.started_at,
            a.deadline,
            a.closed_at,
            a.score,
            a.max_score
        ],
    )?;
    let id = tx.last_insert_rowid();
    for answer in answers {
        insert_answer(
            tx,
            &AttemptAnswer {
                attempt_id: id,
                ..answer.clone()
            },
        )?;
    }
    Ok(())
}

/// Every attempt at an exam with the learner's name, by learner name and attempt number.
pub fn exam_attempts(conn: &Connection, exam: &str) -> Result<Vec<(String, Attempt)>> {
    let cols: Vec<String> = ATTEMPT_COLUMNS
        .split(", ")
        .map(|c| format!("a.{c}"))
        .collect();
    let mut stmt = conn.prepare(&format!(
        "SELECT {}, l.name FROM attempts a JOIN learners l ON l.id = a.learner_id
         WHERE a.exam_id = ?1 ORDER BY l.name, a.number",
        cols.join(", ")
    ))?;
    let rows = stmt
        // The name follows the attempt columns.
        .query_map([exam], |r| Ok((r.get(12)?, attempt_row(r)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Starts an attempt; returns its id.
pub fn insert_attempt(tx: &Transaction<'_>, a: &Attempt) -> Result<i64> {
    let paper = serde_json::to_string(&a.paper)
        .map_err(|e| Error::InvalidData(format!("paper of exam {}: {e}", a.exam_id)))?;
    tx.execute(
        "INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, deadline)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            a.exam_id,
            a.learner_id,
            a.number,
            a.seed as i64,
            paper,
            a.started_at,
            a.deadline
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Closes and scores every open attempt whose time ran out more than `grace_ms` before `now`, as the runner would have: at
/// its deadline, counting the answers given by the deadline plus the grace (an answer a class server took in
/// its grace; a local sitting keeps none after the deadline), one point possible per question. Returns how many
/// were closed, so that results and grade exports never leave out a learner who walked away from a timed exam.
pub fn close_expired_attempts(tx: &Transaction<'_>, now: UnixMs, grace_ms: i64) -> Result<usize> {
    Ok(tx.execute(
        "UPDATE attempts SET closed_at = deadline,
            score = (SELECT coalesce(sum(a.credit), 0.0) FROM attempt_answers a
                     WHERE a.attempt_id = attempts.id AND a.answered_at <= attempts.deadline + ?2),
            max_score = json_array_length(paper)
         WHERE closed_at IS NULL AND deadline IS NOT NULL AND deadline + ?2 < ?1",
        params![now, grace_ms],
    )?)
}

/// Closes an attempt with its score.
pub fn close_attempt(
    tx: &Transaction<'_>,
    attempt: i64,
    closed_at: UnixMs,
    score: f64,
    max_score: f64,
) -> Result<()> {
    tx.execute(
        "UPDATE attempts SET closed_at = ?2, score = ?3, max_score = ?4 WHERE id = ?1 AND closed_at IS NULL",
        params![attempt, closed_at, score, max_score],
    )?;
    Ok(())
}

/// One answer in an attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AttemptAnswer {
    pub attempt_id: i64,
    pub position: u32,
    pub card_id: i64,
    /// JSON, as in `reviews.response`.
    pub response: String,
    pub credit: f64,
    pub correct: bool,
    pub answered_at: UnixMs,
    pub duration_ms: i64,
}

/// Records an answer (once: a position already answered keeps its first answer).
pub fn insert_answer(tx: &Transaction<'_>, a: &AttemptAnswer) -> Result<()> {
    write_answer(
        tx,
        a,
        "INSERT OR IGNORE INTO attempt_answers
           (attempt_id, position, card_id, response, credit, correct, answered_at, duration_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
}

/// Records an answer that replaces any earlier one at its position (free navigation: the learner changed it).
pub fn replace_answer(tx: &Transaction<'_>, a: &AttemptAnswer) -> Result<()> {
    write_answer(
        tx,
        a,
        "INSERT INTO attempt_answers
           (attempt_id, position, card_id, response, credit, correct, answered_at, duration_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (attempt_id, position) DO UPDATE SET card_id = excluded.card_id,
           response = excluded.response, credit = excluded.credit, correct = excluded.correct,
           answered_at = excluded.answered_at, duration_ms = excluded.duration_ms",
    )
}

/// Runs one of the two answer writes with the answer's values bound in column order.
fn write_answer(tx: &Transaction<'_>, a: &AttemptAnswer, sql: &str) -> Result<()> {
    tx.prepare_cached(sql)?.execute(params![
        a.attempt_id,
        a.position,
        a.card_id,
        a.response,
        a.credit,
        a.correct,
        a.answered_at,
        a.duration_ms
    ])?;
    Ok(())
}

/// The answers of an attempt, by position.
pub fn attempt_answers(conn: &Connection, attempt: i64) -> Result<Vec<AttemptAnswer>> {
    let mut stmt = conn.prepare_cached(
        "SELECT attempt_id, position, card_id, response, credit, correct, answered_at, duration_ms
         FROM attempt_answers WHERE attempt_id = ?1 ORDER BY position",
    )?;
    let rows = stmt
        .query_map([attempt], |r| {
            Ok(AttemptAnswer {
                attempt_id: r.get(0)?,
                position: r.get(1)?,
                card_id: r.get(2)?,
                response: r.get(3)?,
                credit: r.get(4)?,
                correct: r.get(5)?,
                answered_at: r.get(6)?,
                duration_ms: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A response for item analysis: who (attempt or learner), which card, the credit and the response JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemResponse {
    pub respondent: i64,
    pub card_id: i64,
    pub credit: f64,
    pub response: String,
}

/// Every answer of the closed attempts at an exam; the respondent is the attempt. Attempts brought in bundles
/// (unsupervised) only when `unsupervised`.
pub fn exam_responses(
    conn: &Connection,
    exam: &str,
    unsupervised: bool,
) -> Result<Vec<ItemResponse>> {
    let mut stmt = conn.prepare(if unsupervised {
        "SELECT aa.attempt_id, aa.card_id, aa.credit, aa.response FROM attempt_answers aa
         JOIN attempts a ON a.id = aa.attempt_id
         WHERE a.exam_id = ?1 AND a.closed_at IS NOT NULL ORDER BY aa.attempt_id, aa.position"
    } else {
        "SELECT aa.attempt_id, aa.card_id, aa.credit, aa.response FROM attempt_answers aa
         JOIN attempts a ON a.id = aa.attempt_id
         WHERE a.exam_id = ?1 AND a.closed_at IS NOT NULL AND a.unsupervised = 0
         ORDER BY aa.attempt_id, aa.position"
    })?;
    item_rows(&mut stmt, [exam])
}

/// Each learner's first study answer to each active card of a deck (right = 1, wrong = 0; exam and cram answers
/// left out); the respondent is the learner.
pub fn deck_first_responses(conn: &Connection, deck: &str) -> Result<Vec<ItemResponse>> {
    let mut stmt = conn.prepare(
        "SELECT r.learner_id, r.card_id, r.correct, r.response FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE c.deck_id = ?1 AND c.retired_at IS NULL AND r.mode = 'study'
           AND r.id = (SELECT min(r2.id) FROM reviews r2
                       WHERE r2.learner_id = r.learner_id AND r2.card_id = r.card_id AND r2.mode = 'study'
                         AND r2.retracted = 0)
         ORDER BY r.learner_id, c.position, c.sibling",
    )?;
    item_rows(&mut stmt, [deck])
}

fn item_rows(stmt: &mut rusqlite::Statement<'_>, args: [&str; 1]) -> Result<Vec<ItemResponse>> {
    let rows = stmt
        .query_map(args, |r| {
            Ok(ItemResponse {
                respondent: r.get(0)?,
                card_id: r.get(1)?,
                credit: r.get(2)?,
                response: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The sequence numbers of the answers kept in an attempt the server runs, by position (0 for a local answer).
pub fn answer_seqs(conn: &Connection, attempt: i64) -> Result<std::collections::HashMap<u32, u32>> {
    let mut stmt =
        conn.prepare_cached("SELECT position, seq FROM attempt_answers WHERE attempt_id = ?1")?;
    let rows = stmt
        .query_map([attempt], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Keeps an answer of an attempt the server runs with its sequence number, replacing the answer at its position.
pub fn put_served_answer(tx: &Transaction<'_>, a: &AttemptAnswer, seq: u32) -> Result<()> {
    replace_answer(tx, a)?;
    tx.prepare_cached(
        "UPDATE attempt_answers SET seq = ?3 WHERE attempt_id = ?1 AND position = ?2",
    )?
    .execute(params![a.attempt_id, a.position, seq])?;
    Ok(())
}

/// A learner's extra minutes at an exam (0 without an override).
pub fn extra_minutes(conn: &Connection, exam: &str, learner: i64) -> Result<u32> {
    Ok(conn
        .prepare_cached(
            "SELECT minutes FROM exam_extra_time WHERE learner_id = ?1 AND exam_id = ?2",
        )?
        .query_row(params![learner, exam], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Records a teacher's extra time for one learner at one exam (replacing an earlier override), with who granted
/// it and when (Unix milliseconds).
pub fn set_extra_time(
    tx: &Transaction<'_>,
    exam: &str,
    learner: i64,
    minutes: u32,
    by: &str,
    at: UnixMs,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO exam_extra_time (learner_id, exam_id, minutes, granted_by, granted_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (learner_id, exam_id) DO UPDATE SET minutes = excluded.minutes,
             granted_by = excluded.granted_by, granted_at = excluded.granted_at",
    )?
    .execute(params![learner, exam, minutes, by, at])?;
    Ok(())
}

/// Moves an open attempt's deadline (a teacher's extra time); a closed attempt keeps its own.
pub fn set_open_deadline(
    tx: &Transaction<'_>,
    attempt: i64,
    deadline: Option<UnixMs>,
) -> Result<()> {
    tx.prepare_cached("UPDATE attempts SET deadline = ?2 WHERE id = ?1 AND closed_at IS NULL")?
        .execute(params![attempt, deadline])?;
    Ok(())
}
