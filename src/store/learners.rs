//! Learners as stored: their settings (daily limits, target retention, rollover hour, fitted parameters) and LMS
//! identity, looked up by name in any Unicode normal form, added, updated, or created on first use.

use super::Store;
use crate::error::{Error, Result};
use crate::schedule::Settings;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// A learner and their settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Learner {
    pub id: i64,
    pub name: String,
    pub new_per_day: u32,
    pub reviews_per_day: u32,
    pub desired_retention: f32,
    pub rollover_hour: u32,
    pub parameters: Option<Vec<f32>>,
    /// The LMS login (Blackboard Username, Canvas SIS Login ID).
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// The institution's id (Moodle ID number, Canvas SIS User ID).
    pub student_id: Option<String>,
}

impl Learner {
    /// The identity this learner carries.
    pub fn identity(&self) -> crate::gradebook::Identity {
        crate::gradebook::Identity {
            username: self.username.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            student_id: self.student_id.clone(),
        }
    }

    /// The scheduler settings this learner studies with.
    pub fn settings(&self) -> Settings {
        Settings {
            desired_retention: self.desired_retention,
            parameters: self.parameters.clone().unwrap_or_default(),
            ..Settings::default()
        }
    }
}

pub(super) const LEARNER_COLUMNS: &str =
    "id, name, new_per_day, reviews_per_day, desired_retention, rollover_hour, parameters,
    username, first_name, last_name, email, student_id";

pub(super) fn learner_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Learner> {
    let params: Option<String> = r.get(6)?;
    Ok(Learner {
        id: r.get(0)?,
        name: r.get(1)?,
        new_per_day: r.get(2)?,
        reviews_per_day: r.get(3)?,
        desired_retention: r.get::<_, f64>(4)? as f32,
        rollover_hour: r.get(5)?,
        parameters: params.and_then(|p| serde_json::from_str(&p).ok()),
        username: r.get(7)?,
        first_name: r.get(8)?,
        last_name: r.get(9)?,
        email: r.get(10)?,
        student_id: r.get(11)?,
    })
}

/// A new learner's day starts at this hour (the column's default).
pub const DEFAULT_ROLLOVER_HOUR: u32 = 4;

/// The learner of this name, by the one rule of [`crate::gradebook::pick_name`]: names are compared in normal form
/// C, ignoring case; when two stored learners differ only in case, the exact one is taken, and without one the name
/// is refused as ambiguous (a usage error naming both).
pub fn learner_by_name(conn: &Connection, name: &str) -> Result<Option<Learner>> {
    // A stored name equal to the wanted one in normal form C is the rule's answer whatever else is stored (the
    // exact one wins over names differing in case): one indexed lookup, as every command's start needs, and the
    // whole table read only when it misses.
    let exact = conn
        .prepare_cached(&format!(
            "SELECT {LEARNER_COLUMNS} FROM learners WHERE name = ?1"
        ))?
        .query_row([crate::gradebook::normal(name)], learner_row)
        .optional()?;
    if exact.is_some() {
        return Ok(exact);
    }
    let all = learners(conn)?;
    let picked = crate::gradebook::pick_name(name, all.iter().map(|l| l.name.as_str()))
        .map_err(Error::Usage)?;
    Ok(picked.and_then(|i| all.into_iter().nth(i)))
}

/// The learner of this id.
pub fn learner_by_id(conn: &Connection, id: i64) -> Result<Option<Learner>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {LEARNER_COLUMNS} FROM learners WHERE id = ?1"
        ))?
        .query_row([id], learner_row)
        .optional()?)
}

pub fn learners(conn: &Connection) -> Result<Vec<Learner>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {LEARNER_COLUMNS} FROM learners ORDER BY name"
    ))?;
    let rows = stmt
        .query_map([], learner_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Adds a learner with default settings; returns `None` if the name is taken.
/// The name is stored in normal form C; one with a control character is refused (exit 65), and so is one that is
/// an existing learner's name in another normal form.
pub fn add_learner(tx: &Transaction<'_>, name: &str, now: i64) -> Result<Option<Learner>> {
    let name = &crate::gradebook::normal(name);
    crate::gradebook::check_identifier("learner name", name).map_err(Error::InvalidData)?;
    if learner_by_name(tx, name)?.is_some() {
        return Ok(None);
    }
    let n = tx.execute(
        "INSERT OR IGNORE INTO learners (name, created_at) VALUES (?1, ?2)",
        params![name, now],
    )?;
    if n == 0 {
        return Ok(None);
    }
    learner_by_name(tx, name)
}

/// Changes a learner's daily limits and target retention.
pub fn update_learner(tx: &Transaction<'_>, learner: &Learner) -> Result<()> {
    tx.execute(
        "UPDATE learners SET new_per_day = ?2, reviews_per_day = ?3, desired_retention = ?4, rollover_hour = ?5
         WHERE id = ?1",
        params![
            learner.id,
            learner.new_per_day,
            learner.reviews_per_day,
            f64::from(learner.desired_retention),
            learner.rollover_hour
        ],
    )?;
    Ok(())
}

/// The learner named `name`, created with default settings on first use.
pub fn learner_get_or_create(store: &mut Store, name: &str, now: i64) -> Result<Learner> {
    if let Some(l) = learner_by_name(&store.conn, name)? {
        return Ok(l);
    }
    let tx = store.write()?;
    add_learner(&tx, name, now)?;
    let learner = learner_by_name(&tx, &crate::gradebook::normal(name))?;
    tx.commit()?;
    learner.ok_or_else(|| Error::Usage(format!("cannot create learner {name}")))
}
