//! The class server's repository interface: [`ClassStore`], every operation the server's routes make on what the
//! server stores, with two backends: the SQLite [`Store`] (behind the server's one mutex, delegating to the
//! functions of this module's siblings: no second copy of any SQL) and PostgreSQL (`store::pg`, feature
//! `server`). The routes hold an `Arc<dyn ClassStore>` and never know which one they have.
//!
//! Extending it: one method per operation, named as the SQLite function it delegates to; every learner-scoped
//! method takes the learner's id as its first argument (on a server, the caller's authenticated identity, never a
//! request field), so that the PostgreSQL backend can scope the transaction to that learner (row-level security);
//! every method is one transaction; a write method takes the time as `now_s` (Unix seconds) rather than reading a
//! clock. Add the method here, its SQLite body (a call to the store function), its PostgreSQL body in
//! `src/store/pg/` (in the file of its table group), and a test in `tests/it/repo.rs`, which runs every test
//! against both backends.

use super::{IssuedKey, Learner, Store};
use crate::error::{Error, Result};
use crate::sync::{Cursor, Digest, Event, Page, Report};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};

/// The roster as `learner list` shows it, before it is laid out: every learner by name, who holds a valid
/// enrolment key, and how many unsigned bundles were taken for whom.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Roster {
    /// Every learner, ordered by name.
    pub learners: Vec<Learner>,
    /// The ids of the learners issued a code that is still valid.
    pub enrolled: BTreeSet<i64>,
    /// Unsigned bundles taken (`--accept-unenrolled`), by learner id.
    pub unverified: BTreeMap<i64, i64>,
}

/// What the class server stores and reads, whichever database holds it. Object-safe and shareable between the
/// server's threads. Course-scoped methods (the roster, adding a learner, finding the caller by username) are for
/// the server itself and its teachers; learner-scoped ones take the learner first.
pub trait ClassStore: Send + Sync {
    /// `SQLite` or `PostgreSQL`, for the server's log.
    fn backend(&self) -> &'static str;

    /// The learner whose roster `username` is exactly `username` (case and all): who a connecting system user is.
    fn learner_by_username(&self, username: &str) -> Result<Option<Learner>>;

    /// Every learner with their enrolment, as `learner list` shows them.
    fn roster(&self) -> Result<Roster>;

    /// Adds a learner named `name` (stored in normal form C) with `username`, at `now_s`; `None` if the name or
    /// the username is taken.
    fn add_learner(
        &self,
        name: &str,
        username: Option<&str>,
        now_s: i64,
    ) -> Result<Option<Learner>>;

    /// The enrolment key issued under `key_id` (a code's public id), valid or reissued: whom a code names.
    fn issued_key(&self, key_id: &str) -> Result<Option<IssuedKey>>;

    /// A push: merges `events` into `learner`'s sync log in one transaction, by the rules of [`crate::sync`] (a
    /// new key added, the same event again a duplicate, another event under a stored key a conflict, refused,
    /// nothing overwritten). Reviews must pass the bundle checks at `now_s` and name a card the database holds.
    /// The card-state cache is not touched.
    fn append_events(&self, learner: i64, events: &[Event], now_s: i64) -> Result<Report>;

    /// A pull: `learner`'s events stored after `cursor`, in the order they were stored, at most `limit`.
    fn events_since(&self, learner: i64, cursor: Cursor, limit: usize) -> Result<Page>;

    /// The [`Digest`] of `learner`'s whole log.
    fn digest(&self, learner: i64) -> Result<Digest>;
}

/// The roster of a SQLite database.
pub fn roster(conn: &rusqlite::Connection) -> Result<Roster> {
    Ok(Roster {
        learners: super::learners(conn)?,
        enrolled: super::valid_keys(conn)?.into_keys().collect(),
        unverified: super::unverified_imports(conn)?,
    })
}

/// The SQLite backend: the server's one [`Store`], one request at a time (as `App::with_store` uses it), so the
/// routes on this interface and those still on the `Store` share one connection and one lock.
impl ClassStore for Mutex<Store> {
    fn backend(&self) -> &'static str {
        "SQLite"
    }

    fn learner_by_username(&self, username: &str) -> Result<Option<Learner>> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        super::learner_by_username(&store.conn, username)
    }

    fn roster(&self) -> Result<Roster> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        roster(&store.conn)
    }

    fn add_learner(
        &self,
        name: &str,
        username: Option<&str>,
        now_s: i64,
    ) -> Result<Option<Learner>> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = store.write()?;
        if let Some(u) = username
            && super::learner_by_username(&tx, u)?.is_some()
        {
            return Ok(None);
        }
        let Some(added) = super::add_learner(&tx, name, now_s)? else {
            return Ok(None);
        };
        let id = crate::gradebook::Identity {
            username: username.map(String::from),
            ..Default::default()
        };
        super::set_identity(&tx, added.id, &id)?;
        let learner = super::learner_by_name(&tx, &added.name)?;
        tx.commit()?;
        learner
            .map(Some)
            .ok_or_else(|| Error::InvalidData(format!("cannot add learner {name}")))
    }

    fn issued_key(&self, key_id: &str) -> Result<Option<IssuedKey>> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        super::issued_key(&store.conn, key_id)
    }

    fn append_events(&self, learner: i64, events: &[Event], now_s: i64) -> Result<Report> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = store.write()?;
        let report = super::append_events(&tx, learner, events, now_s)?;
        tx.commit()?;
        Ok(report)
    }

    fn events_since(&self, learner: i64, cursor: Cursor, limit: usize) -> Result<Page> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        super::events_since(&store.conn, learner, cursor, limit)
    }

    fn digest(&self, learner: i64) -> Result<Digest> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        super::digest(&store.conn, learner)
    }
}
