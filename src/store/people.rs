//! Learners' identities (username, names, email, student id), roster imports that create or update learners all
//! or nothing, and the read-only queries grade exports need: exams, closed attempts and study effort per deck.

use super::Learner;
use super::learners::{LEARNER_COLUMNS, learner_row};
use crate::error::Result;
use crate::gradebook::{ExamScore, Identity, RosterProblem, RosterRow};
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
fn learner_where(conn: &Connection, column: &str, value: &str) -> Result<Option<Learner>> {
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
/// would give it (and the username as a name).
pub fn learner_by_identity(conn: &Connection, id: &Identity) -> Result<Option<Learner>> {
    let id = id.cleaned();
    let candidates = [
        ("student_id", id.student_id.clone()),
        ("email", id.email.clone()),
        ("username", id.username.clone()),
        ("name", id.key_name()),
    ];
    for (column, value) in candidates {
        if let Some(v) = value
            && let Some(l) = learner_where(conn, column, &v)?
        {
            return Ok(Some(l));
        }
    }
    Ok(None)
}

/// What a roster import did (or, on a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RosterOutcome {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: usize,
}

/// Imports a roster: matches each row to a learner (student id, then email, then username or name), updates the
/// matched ones and creates the others. Every row is checked before anything is written; if any row cannot be
/// used the problems are returned and nothing is written (the caller then drops the transaction).
pub fn import_roster(
    tx: &Transaction<'_>,
    rows: &[RosterRow],
    now: i64,
) -> Result<std::result::Result<RosterOutcome, Vec<RosterProblem>>> {
    let mut problems = Vec::new();
    // Values seen in the file so far, per field, with their line.
    let mut seen: HashMap<(&'static str, String), usize> = HashMap::new();
    let mut matched_by: HashMap<i64, usize> = HashMap::new();
    let mut plan: Vec<(Identity, Option<Learner>, String)> = Vec::new();
    for row in rows {
        let id = row.identity.cleaned();
        let problem = |message: String| RosterProblem {
            line: row.line,
            message,
        };
        if let Err(e) = id.check() {
            problems.push(problem(e));
            continue;
        }
        let Some(name) = id.key_name() else {
            problems.push(problem(
                "no username, email or student id to identify the learner".into(),
            ));
            continue;
        };
        let fields = [
            ("student id", id.student_id.clone()),
            ("email", id.email.clone()),
            ("name", Some(name.clone())),
        ];
        let mut duplicate = None;
        // Emails and names are one whatever their case.
        let fields = fields.map(|(f, v)| {
            (
                f,
                v.map(|v| {
                    if f == "student id" {
                        v
                    } else {
                        v.to_lowercase()
                    }
                }),
            )
        });
        for (field, value) in &fields {
            if let Some(v) = value
                && let Some(line) = seen.get(&(*field, v.clone()))
            {
                duplicate = Some(format!("{field} {v} is already on line {line}"));
                break;
            }
        }
        if let Some(d) = duplicate {
            problems.push(problem(format!("duplicate row: {d}")));
            continue;
        }
        for (field, value) in fields {
            if let Some(v) = value {
                seen.insert((field, v), row.line);
            }
        }
        let existing = learner_by_identity(tx, &id)?;
        let own = existing.as_ref().map(|l| l.id);
        if let Some(l) = own {
            if let Some(line) = matched_by.get(&l) {
                problems.push(problem(format!("matches the same learner as line {line}")));
                continue;
            }
            matched_by.insert(l, row.line);
        }
        // An email, student id or username already carried by another learner would break the unique indexes.
        let mut clash = None;
        for (column, label, value) in [
            ("email", "email", &id.email),
            ("student_id", "student id", &id.student_id),
            ("username", "username", &id.username),
        ] {
            if let Some(v) = value
                && let Some(other) = learner_where(tx, column, v)?
                && Some(other.id) != own
            {
                clash = Some(format!(
                    "{label} {v} belongs to another learner, {}",
                    other.name
                ));
                break;
            }
        }
        if let Some(c) = clash {
            problems.push(problem(c));
            continue;
        }
        plan.push((id, existing, name));
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let mut outcome = RosterOutcome::default();
    for (id, existing, name) in plan {
        match existing {
            Some(l) => {
                let mut merged = l.identity();
                let new = id.clone();
                for (slot, value) in [
                    (&mut merged.username, new.username),
                    (&mut merged.first_name, new.first_name),
                    (&mut merged.last_name, new.last_name),
                    (&mut merged.email, new.email),
                    (&mut merged.student_id, new.student_id),
                ] {
                    if value.is_some() {
                        *slot = value;
                    }
                }
                if merged == l.identity() {
                    outcome.unchanged += 1;
                } else {
                    set_identity(tx, l.id, &id)?;
                    outcome.updated.push(l.name);
                }
            }
            None => {
                tx.execute(
                    "INSERT INTO learners (name, created_at) VALUES (?1, ?2)",
                    params![name, now],
                )?;
                set_identity(tx, tx.last_insert_rowid(), &id)?;
                outcome.added.push(name);
            }
        }
    }
    Ok(Ok(outcome))
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
