//! The devices a class server lets in over TLS (`devices`): registered with an enrolment code, known afterwards by
//! the SHA-256 hash of their device token (the token itself is never stored), listed and revoked by the teacher.

use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// A registered device, with its learner's name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceRecord {
    pub id: i64,
    pub learner_id: i64,
    /// The learner's name.
    pub learner: String,
    /// What the device called itself when it registered.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; `None` before its first request after registering.
    pub last_used_at: Option<i64>,
    /// Unix seconds; `None` while its token works.
    pub revoked_at: Option<i64>,
    /// Who revoked it: `teacher USER`, or `the device (logout)`.
    pub revoked_by: Option<String>,
}

const DEVICES: &str =
    "SELECT d.id, d.learner_id, l.name, d.name, d.created_at, d.last_used_at, d.revoked_at,
     d.revoked_by FROM devices d JOIN learners l ON l.id = d.learner_id";

fn device_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: r.get(0)?,
        learner_id: r.get(1)?,
        learner: r.get(2)?,
        name: r.get(3)?,
        created_at: r.get(4)?,
        last_used_at: r.get(5)?,
        revoked_at: r.get(6)?,
        revoked_by: r.get(7)?,
    })
}

/// Registers a device of `learner` known by `token_hash` (32 bytes); returns its id.
pub fn insert_device(
    tx: &Transaction<'_>,
    learner: i64,
    name: &str,
    token_hash: &[u8; 32],
    now: i64,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO devices (learner_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![learner, name, token_hash.as_slice(), now],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The device whose token hashes to `token_hash`, revoked or not.
pub fn device_by_token(conn: &Connection, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>> {
    Ok(conn
        .prepare_cached(&format!("{DEVICES} WHERE d.token_hash = ?1"))?
        .query_row([token_hash.as_slice()], device_row)
        .optional()?)
}

/// The devices of one learner, or of every learner, by learner then id.
pub fn devices(conn: &Connection, learner: Option<i64>) -> Result<Vec<DeviceRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{DEVICES} WHERE ?1 IS NULL OR d.learner_id = ?1 ORDER BY l.name, d.id"
    ))?;
    let rows = stmt
        .query_map([learner], device_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The device of this id, revoked or not.
pub fn device(conn: &Connection, id: i64) -> Result<Option<DeviceRecord>> {
    Ok(conn
        .prepare_cached(&format!("{DEVICES} WHERE d.id = ?1"))?
        .query_row([id], device_row)
        .optional()?)
}

/// Notes that device `id` made a request at `now`, unless it was noted less than a minute before (a busy device
/// does not write on every request). Returns whether a row was written.
pub fn touch_device(tx: &Transaction<'_>, id: i64, now: i64) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE devices SET last_used_at = ?2
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at <= ?2 - 60 OR last_used_at > ?2)",
        params![id, now],
    )? > 0)
}

/// Revokes device `id` at `now` by `by`; a device already revoked keeps its first revocation. Returns whether it was
/// revoked now.
pub fn revoke_device(tx: &Transaction<'_>, id: i64, by: &str, now: i64) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE devices SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, now, by],
    )? > 0)
}

/// Revokes the devices `ids` at `now` by `by` (one already revoked keeps its first revocation) and returns them as
/// they are now; if an id names no device, nothing is written and the missing ids are returned instead.
pub fn revoke_devices(
    tx: &Transaction<'_>,
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
        revoke_device(tx, *id, by, now)?;
        rows.extend(device(tx, *id)?);
    }
    Ok(Ok(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use std::path::Path;

    #[test]
    fn a_device_is_found_by_its_hash_touched_once_a_minute_and_revoked_once() {
        let mut store = Store::open(Path::new(":memory:")).unwrap();
        let tx = store.write().unwrap();
        let ann = crate::store::add_learner(&tx, "ann", 0)
            .unwrap()
            .unwrap()
            .id;
        let id = insert_device(&tx, ann, "laptop", &[7; 32], 1000).unwrap();
        assert!(insert_device(&tx, ann, "copy", &[7; 32], 1000).is_err());
        assert!(touch_device(&tx, id, 1001).unwrap());
        assert!(!touch_device(&tx, id, 1030).unwrap());
        assert!(touch_device(&tx, id, 1061).unwrap());
        assert!(revoke_device(&tx, id, "teacher prof", 2000).unwrap());
        assert!(!revoke_device(&tx, id, "the device (logout)", 3000).unwrap());
        tx.commit().unwrap();
        let d = device_by_token(&store.conn, &[7; 32]).unwrap().unwrap();
        assert_eq!((d.learner.as_str(), d.name.as_str()), ("ann", "laptop"));
        assert_eq!(d.last_used_at, Some(1061));
        assert_eq!(d.revoked_at, Some(2000));
        assert_eq!(d.revoked_by.as_deref(), Some("teacher prof"));
        assert!(device_by_token(&store.conn, &[8; 32]).unwrap().is_none());
        let tx = store.write().unwrap();
        assert_eq!(
            revoke_devices(&tx, &[id, 99], "x", 4000).unwrap(),
            Err(vec![99])
        );
        let again = revoke_devices(&tx, &[id], "x", 4000).unwrap().unwrap();
        assert_eq!(again[0].revoked_at, Some(2000));
        drop(tx);
        assert_eq!(devices(&store.conn, Some(ann)).unwrap(), vec![d.clone()]);
        assert!(devices(&store.conn, Some(ann + 1)).unwrap().is_empty());
        assert_eq!(device(&store.conn, id).unwrap(), Some(d));
    }
}
