//! Learners in PostgreSQL (course-scoped: the server's own lookups and its teachers'): the caller by roster
//! username, the roster with its enrolment (valid keys, unsigned bundles taken), an issued key by its id (held, for
//! a device's registration), and adding a learner by the one rule for names that SQLite's `add_learner` applies.

use super::super::learners::LEARNER_COLUMNS;
use crate::error::{Error, Result};
use crate::store::{IssuedKey, Learner, Roster};
use postgres::{Row, Transaction};

/// A learner from the columns of [`LEARNER_COLUMNS`].
fn learner_row(r: &Row) -> Result<Learner> {
    let count = |i: usize| -> Result<u32> {
        let n: i64 = r.try_get(i)?;
        u32::try_from(n)
            .map_err(|_| Error::InvalidData(format!("a learner's limit {n} is out of range")))
    };
    let parameters: Option<String> = r.try_get(6)?;
    Ok(Learner {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        new_per_day: count(2)?,
        reviews_per_day: count(3)?,
        desired_retention: r.try_get::<_, f64>(4)? as f32,
        rollover_hour: count(5)?,
        parameters: parameters.and_then(|p| serde_json::from_str(&p).ok()),
        username: r.try_get(7)?,
        first_name: r.try_get(8)?,
        last_name: r.try_get(9)?,
        email: r.try_get(10)?,
        student_id: r.try_get(11)?,
    })
}

pub(super) fn learner_by_username(
    tx: &mut Transaction<'_>,
    username: &str,
) -> Result<Option<Learner>> {
    tx.query_opt(
        &format!("SELECT {LEARNER_COLUMNS} FROM learners WHERE username = $1"),
        &[&username],
    )?
    .as_ref()
    .map(learner_row)
    .transpose()
}

/// Every learner, ordered by name as SQLite orders them (by code point: the "C" collation, whatever the
/// database's own).
pub(super) fn learners(tx: &mut Transaction<'_>) -> Result<Vec<Learner>> {
    tx.query(
        &format!("SELECT {LEARNER_COLUMNS} FROM learners ORDER BY name COLLATE \"C\""),
        &[],
    )?
    .iter()
    .map(learner_row)
    .collect()
}

pub(super) fn roster(tx: &mut Transaction<'_>) -> Result<Roster> {
    let learners = learners(tx)?;
    let enrolled = tx
        .query(
            "SELECT learner_id FROM enrolment_keys WHERE reissued_at IS NULL",
            &[],
        )?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
    let unverified = tx
        .query("SELECT learner_id, bundles FROM unverified_imports", &[])?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<std::result::Result<_, postgres::Error>>()?;
    Ok(Roster {
        learners,
        enrolled,
        unverified,
    })
}

/// Adds a learner (name in normal form C, refused with a control character; `None` when the name, in any normal
/// form and case the name rule matches, or the username is taken).
pub(super) fn add_learner(
    tx: &mut Transaction<'_>,
    name: &str,
    username: Option<&str>,
    now_s: i64,
) -> Result<Option<Learner>> {
    let name = crate::gradebook::normal(name);
    crate::gradebook::check_identifier("learner name", &name).map_err(Error::InvalidData)?;
    let all = learners(tx)?;
    if crate::gradebook::pick_name(&name, all.iter().map(|l| l.name.as_str()))
        .map_err(Error::Usage)?
        .is_some()
    {
        return Ok(None);
    }
    let username = crate::gradebook::Identity {
        username: username.map(String::from),
        ..Default::default()
    }
    .cleaned()
    .username;
    tx.query_opt(
        &format!(
            "INSERT INTO learners (name, created_at, username) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING RETURNING {LEARNER_COLUMNS}"
        ),
        &[&name, &now_s, &username],
    )?
    .as_ref()
    .map(learner_row)
    .transpose()
}

const ISSUED: &str =
    "SELECT k.key_id, k.learner_id, l.name, k.key, k.generation, k.issued_at, k.reissued_at
     FROM enrolment_keys k JOIN learners l ON l.id = k.learner_id WHERE k.key_id = $1";

/// A learner's valid (not reissued) key, if they were issued a code.
pub(super) fn valid_key(tx: &mut Transaction<'_>, learner: i64) -> Result<Option<IssuedKey>> {
    tx.query_opt(
        "SELECT k.key_id, k.learner_id, l.name, k.key, k.generation, k.issued_at, k.reissued_at
         FROM enrolment_keys k JOIN learners l ON l.id = k.learner_id
         WHERE k.learner_id = $1 AND k.reissued_at IS NULL",
        &[&learner],
    )?
    .as_ref()
    .map(issued_row)
    .transpose()
}

/// Every learner `WHERE {test}` (`$1` bound to `value`; `test` a fixed text, never input, with its order) selects.
pub(super) fn learners_where(
    tx: &mut Transaction<'_>,
    test: &str,
    value: &str,
) -> Result<Vec<Learner>> {
    tx.query(
        &format!("SELECT {LEARNER_COLUMNS} FROM learners WHERE {test}"),
        &[&value],
    )?
    .iter()
    .map(learner_row)
    .collect()
}

/// The first learner `WHERE {test}` (`$1` bound to `value`; `test` a fixed text, never input) selects.
pub(super) fn learner_where(
    tx: &mut Transaction<'_>,
    test: &str,
    value: &str,
) -> Result<Option<Learner>> {
    tx.query_opt(
        &format!("SELECT {LEARNER_COLUMNS} FROM learners WHERE {test}"),
        &[&value],
    )?
    .as_ref()
    .map(learner_row)
    .transpose()
}

/// The key issued under `key_id`, valid or reissued, with its learner's name.
pub(super) fn issued_key(tx: &mut Transaction<'_>, key_id: &str) -> Result<Option<IssuedKey>> {
    tx.query_opt(ISSUED, &[&key_id])?
        .as_ref()
        .map(issued_row)
        .transpose()
}

/// [`issued_key`], its row locked (`FOR SHARE OF k`) until the transaction ends: a reissue (an UPDATE of the row)
/// waits for it, and one committed before is the version read.
pub(super) fn issued_key_held(tx: &mut Transaction<'_>, key_id: &str) -> Result<Option<IssuedKey>> {
    tx.query_opt(&format!("{ISSUED} FOR SHARE OF k"), &[&key_id])?
        .as_ref()
        .map(issued_row)
        .transpose()
}

fn issued_row(r: &Row) -> Result<IssuedKey> {
    let key: Option<Vec<u8>> = r.try_get(3)?;
    Ok(IssuedKey {
        key_id: r.try_get(0)?,
        learner_id: r.try_get(1)?,
        learner: r.try_get(2)?,
        key: key.as_deref().and_then(crate::enrol::Key::from_bytes),
        generation: r.try_get(4)?,
        issued_at: r.try_get(5)?,
        reissued_at: r.try_get(6)?,
    })
}

/// The learner of this id (in a learner's scope, only that learner is seen).
pub(super) fn learner(tx: &mut Transaction<'_>, id: i64) -> Result<Option<Learner>> {
    tx.query_opt(
        &format!("SELECT {LEARNER_COLUMNS} FROM learners WHERE id = $1"),
        &[&id],
    )?
    .as_ref()
    .map(learner_row)
    .transpose()
}

/// The learner of this name by the one rule of SQLite's `store::learner_by_name` (normal form C, case ignored, the
/// exact one first, two differing in case refused as ambiguous).
pub(super) fn learner_by_name(tx: &mut Transaction<'_>, name: &str) -> Result<Option<Learner>> {
    let exact = tx
        .query_opt(
            &format!("SELECT {LEARNER_COLUMNS} FROM learners WHERE name = $1"),
            &[&crate::gradebook::normal(name)],
        )?
        .as_ref()
        .map(learner_row)
        .transpose()?;
    if exact.is_some() {
        return Ok(exact);
    }
    let all = learners(tx)?;
    let picked = crate::gradebook::pick_name(name, all.iter().map(|l| l.name.as_str()))
        .map_err(Error::Usage)?;
    Ok(picked.and_then(|i| all.into_iter().nth(i)))
}
