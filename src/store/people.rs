//! Learners' identities (username, names, email, student id), roster imports that create or update learners all
//! or nothing, and the read-only queries grade exports need: exams, closed attempts and study effort per deck.

use super::Learner;
use super::learners::{LEARNER_COLUMNS, learner_row};
use crate::error::Result;
use crate::gradebook::{ExamScore, Identity};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::HashMap;

/// Writes a learner's identity: the given values replace the stored ones, absent values leave them.
pub fn set_identity(tx: &Transaction<'_>, learner: i64, id: &Identity) -> Result<()> {
    let id = id.cleaned();
    tx.execute(
        "UPDATE learners SET username = coalesce(?2, username), first_name = coalesce(?3, first_name),
            last_name = coalesce(?4, last_name), email = coalesce(?5, email), student_id = coalesce(?6, student_id)
         WHERE id = ?1",
        params![
            learner,
            id.username,
            id.first_name,
            id.last_name,
            id.email,
            id.student_id
        ],
    )?;
    Ok(())
}

/// The learner whose `column` holds `value`: emails and usernames compared without regard to case, names in normal
/// form C ignoring case (see [`super::learner_by_name`]).
pub(super) fn learner_where(
    conn: &Connection,
    column: &str,
    value: &str,
) -> Result<Option<Learner>> {
    if column == "name" {
        return super::learner_by_name(conn, value);
    }
    // `column` is one of a fixed set of names chosen below, never user input.
    let test = if matches!(column, "email" | "username") {
        format!("{column} = ?1 COLLATE NOCASE")
    } else {
        format!("{column} = ?1")
    };
    Ok(conn
        .query_row(
            &format!(
                "SELECT {LEARNER_COLUMNS} FROM learners WHERE {test} ORDER BY {column} = ?1 DESC, id LIMIT 1"
            ),
            [value],
            learner_row,
        )
        .optional()?)
}

/// The learner whose username is exactly `username` (as a system account is named: case counts), through the
/// unique index on usernames: how a class server finds the learner a connecting system user is.
pub fn learner_by_username(conn: &Connection, username: &str) -> Result<Option<Learner>> {
    Ok(conn
        .query_row(
            &format!("SELECT {LEARNER_COLUMNS} FROM learners WHERE username = ?1"),
            [username],
            learner_row,
        )
        .optional()?)
}

/// The learner this identity belongs to: matched on student id, then email, then username, then the name detente
/// would give it (the rule is [`super::roster::learner_by_identity`], written once for every database).
pub fn learner_by_identity(conn: &Connection, id: &Identity) -> Result<Option<Learner>> {
    super::roster::learner_by_identity(&mut &*conn, id)
}

/// A learner added by a roster import: `name` (already a normal learner name), created at `now`; its id.
pub(super) fn insert_learner(tx: &Transaction<'_>, name: &str, now: i64) -> Result<i64> {
    tx.execute(
        "INSERT INTO learners (name, created_at) VALUES (?1, ?2)",
        params![name, now],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The closed attempts at an exam, by learner and attempt number. Open attempts never count. Each kind is numbered
/// from 1 (an attempt brought in a bundle is stored above [`super::UNSUPERVISED_FROM`]).
pub fn exam_scores(conn: &Connection, exam: &str) -> Result<Vec<ExamScore>> {
    let mut stmt = conn.prepare(
        "SELECT learner_id, CASE WHEN unsupervised = 1 AND number > ?2 THEN number - ?2 ELSE number END,
                coalesce(score, 0), coalesce(max_score, 0), closed_at, unsupervised FROM attempts
         WHERE exam_id = ?1 AND closed_at IS NOT NULL ORDER BY learner_id, number",
    )?;
    let rows = stmt
        .query_map(rusqlite::params![exam, super::UNSUPERVISED_FROM], |r| {
            Ok(ExamScore {
                learner_id: r.get(0)?,
                number: r.get(1)?,
                score: r.get(2)?,
                max_score: r.get(3)?,
                closed_at: r.get(4)?,
                unsupervised: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A learner's study of one deck.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeckStudy {
    /// The deck's active study items (cards and siblings not retired).
    pub items: u32,
    /// Distinct study items the learner reviewed (study or cram).
    pub studied: u32,
    /// Distinct calendar days with a review in this deck.
    pub days_active: u32,
    /// The last review in this deck, Unix milliseconds.
    pub last_activity_ms: Option<crate::time::UnixMs>,
}

/// Each deck's active study items (cards and siblings not retired), by deck id; decks without any are left out.
pub fn deck_items(conn: &Connection) -> Result<HashMap<String, u32>> {
    let mut items = conn.prepare_cached(
        "SELECT deck_id, COUNT(*) FROM cards WHERE retired_at IS NULL GROUP BY deck_id",
    )?;
    let rows = items
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Every deck of `items` (its active study items, by deck id) as a learner who never studied it: what
/// [`deck_study`] fills in.
pub(super) fn unstudied(items: &HashMap<String, u32>) -> HashMap<String, DeckStudy> {
    items
        .iter()
        .map(|(deck, n)| {
            (
                deck.clone(),
                DeckStudy {
                    items: *n,
                    ..Default::default()
                },
            )
        })
        .collect()
}

/// A learner's study of every deck, by deck id, in one query whatever the number of decks (a grade export of 100
/// learners on 25 decks asked per deck would read each learner's log 25 times), given the decks' item counts
/// ([`deck_items`], counted once for every learner). Decks without cards are left out; a deck the learner never
/// studied has zero counts.
pub fn deck_study(
    conn: &Connection,
    learner: i64,
    items: &HashMap<String, u32>,
) -> Result<HashMap<String, DeckStudy>> {
    let mut out = unstudied(items);
    let mut activity = conn.prepare_cached(
        "SELECT c.deck_id, COUNT(DISTINCT r.card_id), COUNT(DISTINCT r.day), MAX(r.reviewed_at)
         FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE r.learner_id = ?1 AND r.mode IN ('study', 'cram') AND r.retracted = 0 GROUP BY c.deck_id",
    )?;
    let rows = activity.query_map([learner], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, u32>(1)?,
            r.get::<_, u32>(2)?,
            r.get::<_, Option<crate::time::UnixMs>>(3)?,
        ))
    })?;
    for row in rows {
        let (deck, studied, days, last) = row?;
        if let Some(d) = out.get_mut(&deck) {
            d.studied = studied;
            d.days_active = days;
            d.last_activity_ms = last;
        }
    }
    Ok(out)
}
