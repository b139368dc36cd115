//! The devices a class server lets in over TLS, in PostgreSQL (`devices`, migration 0010): registered in the
//! learner's scope, found by the hash of their token and listed or revoked by a teacher in the course's scope, and
//! noted or revoked by the device itself in its learner's scope (where another learner's device is not even seen).
//! The same rows and rules as SQLite's `store::devices`.

use crate::error::Result;
use crate::store::DeviceRecord;
use postgres::{Row, Transaction};

const DEVICES: &str =
    "SELECT d.id, d.learner_id, l.name, d.name, d.created_at, d.last_used_at, d.revoked_at,
     d.revoked_by FROM devices d JOIN learners l ON l.id = d.learner_id";

fn device_row(r: &Row) -> Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: r.try_get(0)?,
        learner_id: r.try_get(1)?,
        learner: r.try_get(2)?,
        name: r.try_get(3)?,
        created_at: r.try_get(4)?,
        last_used_at: r.try_get(5)?,
        revoked_at: r.try_get(6)?,
        revoked_by: r.try_get(7)?,
    })
}

pub(super) fn insert_device(
    tx: &mut Transaction<'_>,
    learner: i64,
    name: &str,
    token_hash: &[u8; 32],
    now: i64,
) -> Result<i64> {
    Ok(tx
        .query_one(
            "INSERT INTO devices (learner_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)
             RETURNING id",
            &[&learner, &name, &token_hash.as_slice(), &now],
        )?
        .try_get(0)?)
}

pub(super) fn device_by_token(
    tx: &mut Transaction<'_>,
    token_hash: &[u8; 32],
) -> Result<Option<DeviceRecord>> {
    tx.query_opt(
        &format!("{DEVICES} WHERE d.token_hash = $1"),
        &[&token_hash.as_slice()],
    )?
    .as_ref()
    .map(device_row)
    .transpose()
}

/// The devices of one learner, or of every learner, by learner name (code-point order, as SQLite) then id.
pub(super) fn devices(tx: &mut Transaction<'_>, learner: Option<i64>) -> Result<Vec<DeviceRecord>> {
    let order = "ORDER BY l.name COLLATE \"C\", d.id";
    match learner {
        Some(id) => tx.query(
            &format!("{DEVICES} WHERE d.learner_id = $1 {order}"),
            &[&id],
        )?,
        None => tx.query(&format!("{DEVICES} {order}"), &[])?,
    }
    .iter()
    .map(device_row)
    .collect()
}

fn device(tx: &mut Transaction<'_>, id: i64) -> Result<Option<DeviceRecord>> {
    tx.query_opt(&format!("{DEVICES} WHERE d.id = $1"), &[&id])?
        .as_ref()
        .map(device_row)
        .transpose()
}

/// Notes a request of device `id` at `now`, at most once a minute (see SQLite's `store::touch_device`).
pub(super) fn touch_device(tx: &mut Transaction<'_>, id: i64, now: i64) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE devices SET last_used_at = $2::bigint
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $2::bigint - 60 OR last_used_at > $2::bigint)",
        &[&id, &now],
    )? > 0)
}

/// Revokes device `id` (one already revoked keeps its first revocation) and returns it as it is now; `None` if no
/// device of this id is seen in the transaction's scope.
pub(super) fn revoke_device(
    tx: &mut Transaction<'_>,
    id: i64,
    by: &str,
    now: i64,
) -> Result<Option<DeviceRecord>> {
    tx.execute(
        "UPDATE devices SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL",
        &[&id, &now, &by],
    )?;
    device(tx, id)
}

/// Revokes the devices `ids`, or, if an id names no device, nothing (the missing ids returned instead).
pub(super) fn revoke_devices(
    tx: &mut Transaction<'_>,
    ids: &[i64],
    by: &str,
    now: i64,
) -> Result<std::result::Result<Vec<DeviceRecord>, Vec<i64>>> {
    let mut missing = Vec::new();
    for id in ids {
        if device(tx, *id)?.is_none() {
            missing.push(*id);
        }
    }
    if !missing.is_empty() {
        return Ok(Err(missing));
    }
    let mut rows = Vec::new();
    for id in ids {
        rows.extend(revoke_device(tx, *id, by, now)?);
    }
    Ok(Ok(rows))
}
