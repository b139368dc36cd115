//! Flags learners raise on cards, as the teacher sees them: listing them with deck, card, learner, note, time and
//! state; resolving one; counting the open ones per card for `deck check` and `deck import`; and carrying them in
//! progress bundles, merged idempotently. A flag is `open`, `withdrawn` (taken back by the learner) or `resolved`
//! (by the teacher); merging keeps the furthest state, so importing a bundle twice, or an older one, changes
//! nothing, and a flag arrives in the state [`crate::bundle::arriving_state`] gives it (never resolved). Every
//! write helper takes a transaction.

pub use crate::bundle::{BundleFlag, FlagState};

use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::HashMap;

/// A flag as the teacher sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FlagRow {
    pub id: i64,
    pub deck: String,
    /// The card key, with `#N` for a sibling (a cloze's second blank, a flashcard's reverse side).
    pub card: String,
    pub learner: String,
    pub note: Option<String>,
    /// Unix seconds.
    pub flagged_at: i64,
    pub state: FlagState,
    /// Unix seconds, when it was withdrawn or resolved.
    pub closed_at: Option<i64>,
}

/// A flag's card as the teacher sees it: the card key, with `#N` for a sibling.
pub(super) fn card_label(key: &str, sibling: i64) -> String {
    if sibling == 0 {
        key.to_string()
    } else {
        format!("{key}#{sibling}")
    }
}

/// Flags, oldest first: only the open ones unless `all`, only one deck's with `deck`.
pub fn flags(conn: &Connection, all: bool, deck: Option<&str>) -> Result<Vec<FlagRow>> {
    let mut stmt = conn.prepare(
        "SELECT f.id, c.deck_id, c.card_key, c.sibling, l.name, f.note, f.flagged_at, f.state, f.closed_at
         FROM flags f JOIN cards c ON c.id = f.card_id JOIN learners l ON l.id = f.learner_id
         WHERE (?1 OR f.state = 'open') AND (?2 IS NULL OR c.deck_id = ?2)
         ORDER BY f.flagged_at, f.id",
    )?;
    let rows = stmt
        .query_map(params![all, deck], |r| {
            Ok(FlagRow {
                id: r.get(0)?,
                deck: r.get(1)?,
                card: card_label(&r.get::<_, String>(2)?, r.get(3)?),
                learner: r.get(4)?,
                note: r.get(5)?,
                flagged_at: r.get(6)?,
                state: FlagState::parse(&r.get::<_, String>(7)?),
                closed_at: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Resolves a flag; returns its state before (`None`: there is no such flag). Resolving one that is not open
/// changes nothing.
pub fn resolve_flag(tx: &Transaction<'_>, id: i64, now: i64) -> Result<Option<FlagState>> {
    let state: Option<String> = tx
        .query_row("SELECT state FROM flags WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    let Some(state) = state.map(|s| FlagState::parse(&s)) else {
        return Ok(None);
    };
    if state == FlagState::Open {
        tx.execute(
            "UPDATE flags SET state = 'resolved', closed_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
    }
    Ok(Some(state))
}

/// The open flags on a deck's cards, by card key (siblings counted with their card).
pub fn open_flags_by_card(conn: &Connection, deck: &str) -> Result<HashMap<String, u32>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.card_key, COUNT(*) FROM flags f JOIN cards c ON c.id = f.card_id
         WHERE c.deck_id = ?1 AND f.state = 'open' GROUP BY c.card_key",
    )?;
    let rows = stmt
        .query_map([deck], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<HashMap<String, u32>>>()?;
    Ok(rows)
}

/// Every flag a learner raised, oldest first.
pub fn bundle_flags(conn: &Connection, learner: i64) -> Result<Vec<BundleFlag>> {
    let mut stmt = conn.prepare(
        "SELECT c.deck_id, c.card_key, c.sibling, f.flagged_at, f.note, f.state, f.closed_at
         FROM flags f JOIN cards c ON c.id = f.card_id WHERE f.learner_id = ?1 ORDER BY f.flagged_at, f.id",
    )?;
    let rows = stmt
        .query_map([learner], |r| {
            Ok(BundleFlag {
                deck: r.get(0)?,
                card: r.get(1)?,
                sibling: r.get(2)?,
                flagged_at: r.get(3)?,
                note: r.get(4)?,
                state: FlagState::parse(&r.get::<_, String>(5)?),
                closed_at: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The cards (deck id, card key; siblings counted with their card) on which a learner has more than `cap` flags,
/// with how many.
pub fn flags_over_cap(
    conn: &Connection,
    learner: i64,
    cap: usize,
) -> Result<Vec<(String, String, usize)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.deck_id, c.card_key, COUNT(*) FROM flags f JOIN cards c ON c.id = f.card_id
         WHERE f.learner_id = ?1 GROUP BY c.deck_id, c.card_key HAVING COUNT(*) > ?2 ORDER BY c.deck_id, c.card_key",
    )?;
    let rows = stmt
        .query_map(params![learner, cap as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as usize))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// What merging flags did.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FlagMerge {
    pub added: usize,
    pub updated: usize,
    pub known: usize,
}
