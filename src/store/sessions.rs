//! What a study session writes besides its reviews: the session row, started and ended, and the flags a learner
//! raises on a card or takes back.

use crate::error::Result;
use rusqlite::{Connection, Transaction, params};

pub fn start_session(
    tx: &Transaction<'_>,
    learner: i64,
    mode: &str,
    now: i64,
    filters: &str,
    seed: u64,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO sessions (learner_id, mode, started_at, filters, seed) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![learner, mode, now, filters, seed as i64],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn end_session(tx: &Transaction<'_>, session: i64, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE sessions SET ended_at = ?2 WHERE id = ?1",
        params![session, now],
    )?;
    Ok(())
}

pub fn add_flag(
    tx: &Transaction<'_>,
    learner: i64,
    card: i64,
    now: i64,
    note: Option<&str>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO flags (learner_id, card_id, flagged_at, note) VALUES (?1, ?2, ?3, ?4)",
        params![learner, card, now, note],
    )?;
    Ok(())
}

/// Whether the learner has an open flag on the card (one the teacher resolved is not).
pub fn is_flagged(conn: &Connection, learner: i64, card: i64) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM flags WHERE learner_id = ?1 AND card_id = ?2 AND state = 'open')",
    )?;
    Ok(stmt.query_row(params![learner, card], |r| r.get(0))?)
}

/// Takes back the learner's open flags on the card: they are kept as `withdrawn`, so that a progress bundle carries
/// the withdrawal to the teacher.
pub fn remove_flags(tx: &Transaction<'_>, learner: i64, card: i64) -> Result<()> {
    tx.execute(
        "UPDATE flags SET state = 'withdrawn', closed_at = CAST(strftime('%s', 'now') AS INTEGER)
         WHERE learner_id = ?1 AND card_id = ?2 AND state = 'open'",
        params![learner, card],
    )?;
    Ok(())
}
