//! The roster's reads and writes as one interface, [`RosterDb`], so that the rules over them are written once for
//! every database: a learner found by identity ([`learner_by_identity`]), a roster imported all or nothing
//! ([`import_roster`]), and the teacher's roster commands above (`server::ops`, `learner add|set|import|enrol`).
//! The SQLite body is here, on a write transaction (`&rusqlite::Transaction`; its reads also on a `&Connection`);
//! PostgreSQL's is `store::pg::roster`, on a course-scoped transaction.

use super::Learner;
use super::exam_dates::LearnerExam;
use crate::enrol::Key;
use crate::error::Result;
use crate::gradebook::{Identity, RosterProblem, RosterRow};
use rusqlite::{Connection, Transaction};
use std::collections::{BTreeSet, HashMap};

/// An identifier a learner is found by, beside the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdField {
    /// Compared exactly.
    StudentId,
    /// Compared ignoring ASCII case (SQLite's `NOCASE`).
    Email,
    /// Compared ignoring ASCII case.
    Username,
}

impl IdField {
    /// The column that holds it.
    pub fn column(self) -> &'static str {
        match self {
            IdField::StudentId => "student_id",
            IdField::Email => "email",
            IdField::Username => "username",
        }
    }
}

/// The reads the roster's rules make.
pub trait PeopleReads {
    /// Every learner, ordered by name (code points).
    fn learners(&mut self) -> Result<Vec<Learner>>;

    /// The learner of this name, by the one rule of [`crate::gradebook::pick_name`] (see `store::learner_by_name`).
    fn learner_by_name(&mut self, name: &str) -> Result<Option<Learner>>;

    /// The learner whose `field` holds `value` (see [`IdField`] for how it compares), the exact one first, then
    /// the lowest id.
    fn learner_with(&mut self, field: IdField, value: &str) -> Result<Option<Learner>>;
}

/// The reads and writes of the teacher's roster commands, in one write transaction the caller commits.
pub trait RosterDb: PeopleReads {
    /// Adds a learner with default settings (see `store::add_learner`); `None` if the name is taken.
    fn add_learner(&mut self, name: &str, now: i64) -> Result<Option<Learner>>;

    /// Adds a learner named `name` (already in normal form, checked free) at `now`; its id.
    fn insert_learner(&mut self, name: &str, now: i64) -> Result<i64>;

    /// Writes a learner's daily limits, target retention and rollover hour.
    fn update_learner(&mut self, learner: &Learner) -> Result<()>;

    /// Writes a learner's identity: given values replace the stored ones, absent ones leave them.
    fn set_identity(&mut self, learner: i64, id: &Identity) -> Result<()>;

    /// Sets (or with `None` clears) a learner's own exam.
    fn set_learner_exam(&mut self, learner: i64, exam: Option<&LearnerExam>) -> Result<()>;

    /// What an exam scope may name: every loaded deck's id and every tag a card carries, each sorted.
    fn scope_names(&mut self) -> Result<(Vec<String>, Vec<String>)>;

    /// The learners holding a valid (not reissued) enrolment key.
    fn enrolled(&mut self) -> Result<BTreeSet<i64>>;

    /// Whether a key of this id was ever issued.
    fn key_id_taken(&mut self, key_id: &str) -> Result<bool>;

    /// Stores a new code's key as the learner's valid one (an earlier one marked reissued); its generation.
    fn issue_key(&mut self, learner: i64, key: &Key, now: i64) -> Result<i64>;
}

/// The learner this identity belongs to: matched on student id, then email, then username, then the name detente
/// would give it.
pub fn learner_by_identity(
    db: &mut (impl PeopleReads + ?Sized),
    id: &Identity,
) -> Result<Option<Learner>> {
    let id = id.cleaned();
    for (field, value) in [
        (IdField::StudentId, &id.student_id),
        (IdField::Email, &id.email),
        (IdField::Username, &id.username),
    ] {
        if let Some(v) = value
            && let Some(l) = db.learner_with(field, v)?
        {
            return Ok(Some(l));
        }
    }
    match id.key_name() {
        Some(name) => db.learner_by_name(&name),
        None => Ok(None),
    }
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
    db: &mut dyn RosterDb,
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
        let existing = learner_by_identity(db, &id)?;
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
            (IdField::Email, "email", &id.email),
            (IdField::StudentId, "student id", &id.student_id),
            (IdField::Username, "username", &id.username),
        ] {
            if let Some(v) = value
                && let Some(other) = db.learner_with(column, v)?
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
                    db.set_identity(l.id, &id)?;
                    outcome.updated.push(l.name);
                }
            }
            None => {
                let added = db.insert_learner(&name, now)?;
                db.set_identity(added, &id)?;
                outcome.added.push(name);
            }
        }
    }
    Ok(Ok(outcome))
}

impl PeopleReads for &Connection {
    fn learners(&mut self) -> Result<Vec<Learner>> {
        super::learners(self)
    }

    fn learner_by_name(&mut self, name: &str) -> Result<Option<Learner>> {
        super::learner_by_name(self, name)
    }

    fn learner_with(&mut self, field: IdField, value: &str) -> Result<Option<Learner>> {
        super::people::learner_where(self, field.column(), value)
    }
}

impl PeopleReads for &Transaction<'_> {
    fn learners(&mut self) -> Result<Vec<Learner>> {
        super::learners(self)
    }

    fn learner_by_name(&mut self, name: &str) -> Result<Option<Learner>> {
        super::learner_by_name(self, name)
    }

    fn learner_with(&mut self, field: IdField, value: &str) -> Result<Option<Learner>> {
        super::people::learner_where(self, field.column(), value)
    }
}

impl RosterDb for &Transaction<'_> {
    fn add_learner(&mut self, name: &str, now: i64) -> Result<Option<Learner>> {
        super::add_learner(self, name, now)
    }

    fn insert_learner(&mut self, name: &str, now: i64) -> Result<i64> {
        super::people::insert_learner(self, name, now)
    }

    fn update_learner(&mut self, learner: &Learner) -> Result<()> {
        super::update_learner(self, learner)
    }

    fn set_identity(&mut self, learner: i64, id: &Identity) -> Result<()> {
        super::set_identity(self, learner, id)
    }

    fn set_learner_exam(&mut self, learner: i64, exam: Option<&LearnerExam>) -> Result<()> {
        super::exam_dates::set_learner_exam(self, learner, exam)
    }

    fn scope_names(&mut self) -> Result<(Vec<String>, Vec<String>)> {
        super::exam_dates::scope_names(self)
    }

    fn enrolled(&mut self) -> Result<BTreeSet<i64>> {
        Ok(super::valid_keys(self)?.into_keys().collect())
    }

    fn key_id_taken(&mut self, key_id: &str) -> Result<bool> {
        super::key_id_taken(self, key_id)
    }

    fn issue_key(&mut self, learner: i64, key: &Key, now: i64) -> Result<i64> {
        super::issue_key(self, learner, key, now)
    }
}
