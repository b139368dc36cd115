//! Enrolment as stored. The teacher's side: the keys derived from the enrolment codes issued, found by key id (a
//! bundle's `key_id`) or by learner, and replaced on reissue. The learner's side: the key this device was enrolled
//! with, and a read-only look at whom it was enrolled as (the default learner). And the mark left on a learner whose
//! progress came in an unsigned bundle. The codes themselves are never stored.

use crate::enrol::Key;
use crate::error::Result;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use std::collections::BTreeMap;
use std::path::Path;

/// A key the teacher issued (through its code).
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedKey {
    pub key_id: String,
    pub learner_id: i64,
    /// The learner's name.
    pub learner: String,
    /// `None` once the code was reissued.
    pub key: Option<Key>,
    pub generation: i64,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds; `None` while the code is valid.
    pub reissued_at: Option<i64>,
}

const ISSUED: &str =
    "SELECT k.key_id, k.learner_id, l.name, k.key, k.generation, k.issued_at, k.reissued_at
     FROM enrolment_keys k JOIN learners l ON l.id = k.learner_id";

fn issued_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IssuedKey> {
    let key: Option<Vec<u8>> = r.get(3)?;
    Ok(IssuedKey {
        key_id: r.get(0)?,
        learner_id: r.get(1)?,
        learner: r.get(2)?,
        key: key.as_deref().and_then(Key::from_bytes),
        generation: r.get(4)?,
        issued_at: r.get(5)?,
        reissued_at: r.get(6)?,
    })
}

/// The issued key of this id, valid or reissued.
pub fn issued_key(conn: &Connection, key_id: &str) -> Result<Option<IssuedKey>> {
    Ok(conn
        .prepare_cached(&format!("{ISSUED} WHERE k.key_id = ?1"))?
        .query_row([key_id], issued_row)
        .optional()?)
}

/// A learner's valid key, if they were issued a code.
pub fn valid_key(conn: &Connection, learner: i64) -> Result<Option<IssuedKey>> {
    Ok(conn
        .prepare_cached(&format!(
            "{ISSUED} WHERE k.learner_id = ?1 AND k.reissued_at IS NULL"
        ))?
        .query_row([learner], issued_row)
        .optional()?)
}

/// Every learner's valid key, by learner id.
pub fn valid_keys(conn: &Connection) -> Result<BTreeMap<i64, IssuedKey>> {
    let mut stmt = conn.prepare(&format!("{ISSUED} WHERE k.reissued_at IS NULL"))?;
    let rows = stmt
        .query_map([], issued_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows.into_iter().map(|k| (k.learner_id, k)).collect())
}

/// Whether a key of this id was ever issued (ids are derived from keys: a new code whose id is taken is drawn again).
pub fn key_id_taken(conn: &Connection, key_id: &str) -> Result<bool> {
    Ok(issued_key(conn, key_id)?.is_some())
}

/// Stores the key of a newly issued code as the learner's valid one: their earlier key, if any, is marked reissued
/// at `now` and its bytes dropped. Returns the new key's generation (1 for a first code).
pub fn issue_key(tx: &Transaction<'_>, learner: i64, key: &Key, now: i64) -> Result<i64> {
    tx.execute(
        "UPDATE enrolment_keys SET reissued_at = ?2, key = NULL WHERE learner_id = ?1 AND reissued_at IS NULL",
        params![learner, now],
    )?;
    let generation: i64 = tx.query_row(
        "SELECT coalesce(max(generation), 0) + 1 FROM enrolment_keys WHERE learner_id = ?1",
        [learner],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO enrolment_keys (key_id, learner_id, key, generation, issued_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![key.id(), learner, key.as_bytes(), generation, now],
    )?;
    Ok(generation)
}

/// The key this device was enrolled with, and whose it is.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceKey {
    pub learner_id: i64,
    pub learner: String,
    pub key: Key,
    /// Unix seconds.
    pub enrolled_at: i64,
}

/// The key this device was enrolled with, if it was (a stored key of the wrong length counts as none).
pub fn device_key(conn: &Connection) -> Result<Option<DeviceKey>> {
    let row = conn
        .query_row(
            "SELECT e.learner_id, l.name, e.key, e.enrolled_at FROM device_enrolment e
             JOIN learners l ON l.id = e.learner_id WHERE e.id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()?;
    Ok(row.and_then(|(learner_id, learner, key, enrolled_at)| {
        Key::from_bytes(&key).map(|key| DeviceKey {
            learner_id,
            learner,
            key,
            enrolled_at,
        })
    }))
}

/// Enrols this device as `learner` with `key`, replacing any earlier enrolment.
pub fn set_device_key(tx: &Transaction<'_>, learner: i64, key: &Key, now: i64) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO device_enrolment (id, learner_id, key_id, key, enrolled_at) VALUES (1, ?1, ?2, ?3, ?4)",
        params![learner, key.id(), key.as_bytes(), now],
    )?;
    Ok(())
}

/// The name of the learner the database at `path` was enrolled as, read without creating, migrating or writing
/// anything: `None` when the file does not exist, cannot be read, predates enrolment or was never enrolled.
pub fn enrolled_name(path: &Path) -> Option<String> {
    if !path.is_file() {
        return None;
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).ok()?;
    conn.query_row(
        "SELECT l.name FROM device_enrolment e JOIN learners l ON l.id = e.learner_id WHERE e.id = 1",
        [],
        |r| r.get(0),
    )
    .ok()
}

/// Marks a learner's progress as having come (at least once) in an unsigned bundle taken at `now`.
pub fn mark_unverified(tx: &Transaction<'_>, learner: i64, now: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO unverified_imports (learner_id, first_at, last_at, bundles) VALUES (?1, ?2, ?2, 1)
         ON CONFLICT (learner_id) DO UPDATE SET last_at = ?2, bundles = bundles + 1",
        params![learner, now],
    )?;
    Ok(())
}

/// The learners whose progress came in unsigned bundles, with how many were taken.
pub fn unverified_imports(conn: &Connection) -> Result<BTreeMap<i64, i64>> {
    let mut stmt = conn.prepare("SELECT learner_id, bundles FROM unverified_imports")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(i64, i64)>>>()?;
    Ok(rows.into_iter().collect())
}

/// The learners each identifier of `id` belongs to, matched as rosters match them (usernames and emails ignoring
/// case, student ids exactly), each with the identifier's name (`username`, `email`, `student id`). The name is not
/// probed: see [`super::learner_by_name`].
pub fn learners_by_identifier(
    conn: &Connection,
    id: &crate::gradebook::Identity,
) -> Result<Vec<(&'static str, super::Learner)>> {
    use super::learners::{LEARNER_COLUMNS, learner_row};
    let id = id.cleaned();
    let mut out = Vec::new();
    for (what, test, value) in [
        ("username", "username = ?1 COLLATE NOCASE", &id.username),
        ("email", "email = ?1 COLLATE NOCASE", &id.email),
        ("student id", "student_id = ?1", &id.student_id),
    ] {
        let Some(v) = value else { continue };
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {LEARNER_COLUMNS} FROM learners WHERE {test} ORDER BY id"
        ))?;
        for l in stmt.query_map([v], learner_row)? {
            out.push((what, l?));
        }
    }
    Ok(out)
}
