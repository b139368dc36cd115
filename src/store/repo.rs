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

use super::{DeviceRecord, IssuedKey, Learner, PublishedDeck, Store};
use crate::deck::Deck;
use crate::enrol::Key;
use crate::error::{Error, Result};
use crate::sync::{Cursor, DeckFile, Digest, Event, Page, Publish, Published, Pushed, Report};
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

/// What a device's registration found for its enrolment code's key ([`ClassStore::register_device`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// The key was valid: the device `id` was registered for the learner `learner_id`, named `learner`.
    Registered {
        id: i64,
        learner_id: i64,
        learner: String,
    },
    /// The code was reissued at this moment (Unix seconds): the old one no longer counts, nothing was written.
    Reissued(i64),
    /// No valid key of this server's is the code's: nothing was written.
    Unknown,
}

/// The one rule a registration admits a code by, whichever database holds the keys: the key issued under the
/// code's id, still valid (not reissued), and the very key the code derives. `Ok(learner id, name)` or the refusal.
pub fn admit_device(
    issued: Option<IssuedKey>,
    key: &Key,
) -> std::result::Result<(i64, String), Registration> {
    let Some(issued) = issued else {
        return Err(Registration::Unknown);
    };
    if let Some(at) = issued.reissued_at {
        return Err(Registration::Reissued(at));
    }
    if issued.key.as_ref() != Some(key) {
        return Err(Registration::Unknown);
    }
    Ok((issued.learner_id, issued.learner))
}

/// What the class server stores and reads, whichever database holds it. Object-safe and shareable between the
/// server's threads. Course-scoped methods (the roster, adding a learner, finding the caller by username or a device
/// by its token's hash, the course's decks and publishing them, the teacher's device list and revocations) are for
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

    /// `POST /v1/sync/push`, one transaction: `device`'s `events` merged into `learner`'s log (as
    /// [`Self::append_events`]); if some were refused, the built-in decks the database lacks loaded and the events
    /// merged again (what was added is counted once); the learner's card states re-derived from the merged log when
    /// events were added;
    /// and what the log now holds of `device` gap-free (`held`).
    fn push(&self, learner: i64, device: &str, events: &[Event], now_s: i64) -> Result<Pushed>;

    /// `GET /v1/sync/pull`: a page of `learner`'s log after `cursor` (at most `limit`) and, on the last page, the
    /// digest of the whole log, read in one snapshot.
    fn pull_page(
        &self,
        learner: i64,
        cursor: Cursor,
        limit: usize,
    ) -> Result<(Page, Option<Digest>)>;

    /// The learner of this id (the learner's own row, in their scope).
    fn learner(&self, learner: i64) -> Result<Option<Learner>>;

    /// The learner of this name, by the one rule of `store::learner_by_name` (course scope: a teacher's lookup).
    fn learner_by_name(&self, name: &str) -> Result<Option<Learner>>;

    /// The course's published decks, by id.
    fn published_decks(&self) -> Result<Vec<PublishedDeck>>;

    /// One published deck's version, file name and text.
    fn published_deck(&self, id: &str) -> Result<Option<(String, String, String)>>;

    /// `POST /v1/decks`, one transaction (rolled back for a dry run): each deck file that parses imported under the
    /// rules of `store::import_deck` (its changed answers' states reset with `reset_changed`) and recorded as the
    /// course's published text, by `publisher`. The caller has refused files that do not parse.
    fn publish(&self, publish: &Publish, publisher: &str, now_s: i64) -> Result<Vec<Published>>;

    /// Registers a device of `learner` known by `token_hash`; returns its id.
    fn insert_device(
        &self,
        learner: i64,
        name: &str,
        token_hash: &[u8; 32],
        now_s: i64,
    ) -> Result<i64>;

    /// `POST /v1/devices`, one transaction: the key issued under `key`'s id checked by [`admit_device`] and, if it
    /// admits it, a device named `name` known by `token_hash` registered for its learner. The key's row is held
    /// until the commit, so a reissue cannot come between the check and the insert: a code reissued before is
    /// refused with nothing written, a reissue after waits for the registration.
    fn register_device(
        &self,
        key: &Key,
        name: &str,
        token_hash: &[u8; 32],
        now_s: i64,
    ) -> Result<Registration>;

    /// The device whose token hashes to `token_hash`, revoked or not (course scope: who is connecting is not known
    /// yet).
    fn device_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>>;

    /// Notes that `learner`'s device `id` made a request at `now_s` (at most once a minute); whether it wrote.
    fn touch_device(&self, learner: i64, id: i64, now_s: i64) -> Result<bool>;

    /// The devices of one learner, or of every learner (a teacher's list), by learner name then id.
    fn devices(&self, learner: Option<i64>) -> Result<Vec<DeviceRecord>>;

    /// A teacher revokes devices `ids` by `by` (one already revoked keeps its first revocation): them as they are
    /// now, or, if an id names no device, nothing written and the missing ids.
    fn revoke_devices(
        &self,
        ids: &[i64],
        by: &str,
        now_s: i64,
    ) -> Result<std::result::Result<Vec<DeviceRecord>, Vec<i64>>>;

    /// A device revokes itself: `learner`'s device `id`, as it is now; `None` (nothing written) if `learner` has no
    /// such device.
    fn revoke_device(
        &self,
        learner: i64,
        id: i64,
        by: &str,
        now_s: i64,
    ) -> Result<Option<DeviceRecord>>;
}

/// The deck files of a publish that parse, with their decks (a route refuses the others before it publishes).
pub fn publishable(publish: &Publish) -> Vec<(Deck, &DeckFile)> {
    publish
        .decks
        .iter()
        .filter_map(|f| crate::deck::parse_deck(&f.file, &f.text).0.map(|d| (d, f)))
        .collect()
}

/// A publication's summary, with a warning when the deck is an exam-only bank that was sent to students' devices
/// as a study deck at `shared` (Unix seconds): they hold its questions and answers.
pub fn shared_bank(summary: String, shared: Option<i64>) -> String {
    match shared {
        None => summary,
        Some(at) => format!(
            "{summary}\nwarning: this exam-only deck was sent to students' devices as a study deck on {}: they hold \
             its questions and answers, so an exam drawing on it is open-book; give an exam a bank that was never \
             published as a study deck",
            chrono::DateTime::from_timestamp(at, 0)
                .unwrap_or_default()
                .format("%Y-%m-%d")
        ),
    }
}

/// Adds a second merge's report to the first: what the first added is a duplicate in the second, and counted once.
pub fn merged_again(first: Report, again: Report) -> Report {
    Report {
        added: first.added + again.added,
        duplicates: again.duplicates.saturating_sub(first.added),
        ..again
    }
}

/// The roster of a SQLite database.
pub fn roster(conn: &rusqlite::Connection) -> Result<Roster> {
    Ok(Roster {
        learners: super::learners(conn)?,
        enrolled: super::valid_keys(conn)?.into_keys().collect(),
        unverified: super::unverified_imports(conn)?,
    })
}

/// The SQLite backend: the server's one [`Store`], one request at a time (as the teacher's routes lock it), so the
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

    fn push(&self, learner: i64, device: &str, events: &[Event], now_s: i64) -> Result<Pushed> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = super::begin_write(&store.conn)?;
        let since = super::log_end(&tx, learner)?;
        let mut report = super::append_events(&tx, learner, events, now_s)?;
        // A card the server lacks may be a built-in deck's it never loaded: load them, then merge again.
        if !report.refused.is_empty() && !super::sync_builtin_tx(&tx, now_s)?.is_empty() {
            let again = super::append_events(&tx, learner, events, now_s)?;
            report = merged_again(report, again);
        }
        // Only the cards this push touched: the rest of the learner's states are what they were.
        if report.added > 0
            && let Some(row) = super::learner_by_id(&tx, learner)?
        {
            let cal = crate::schedule::Calendar::local(row.rollover_hour);
            super::rederive_since(&tx, &row, &cal, since)?;
        }
        let held = super::held(&tx, learner, device)?;
        tx.commit()?;
        Ok(Pushed { report, held })
    }

    fn pull_page(
        &self,
        learner: i64,
        cursor: Cursor,
        limit: usize,
    ) -> Result<(Page, Option<Digest>)> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        super::pull_page(&store.conn, learner, cursor, limit)
    }

    fn learner(&self, learner: i64) -> Result<Option<Learner>> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        super::learner_by_id(&store.conn, learner)
    }

    fn learner_by_name(&self, name: &str) -> Result<Option<Learner>> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        super::learner_by_name(&store.conn, name)
    }

    fn published_decks(&self) -> Result<Vec<PublishedDeck>> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        super::published_decks(&store.conn)
    }

    fn published_deck(&self, id: &str) -> Result<Option<(String, String, String)>> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        super::published_deck(&store.conn, id)
    }

    fn publish(&self, publish: &Publish, publisher: &str, now_s: i64) -> Result<Vec<Published>> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = super::begin_write(&store.conn)?;
        let mut out = Vec::new();
        for (deck, f) in publishable(publish) {
            let mut report = super::import_deck(&tx, &deck, false, Some(&f.file), now_s)?;
            if publish.reset_changed {
                report.reset_states = super::reset_cards(
                    &tx,
                    &deck.id,
                    &report.answer_changed_items,
                    crate::time::UnixMs::from_secs(now_s),
                )?;
            }
            let shared = super::publish_deck(&tx, &deck, &f.file, &f.text, publisher, now_s)?;
            out.push(Published {
                deck: deck.id.clone(),
                content_hash: deck.content_hash(),
                summary: shared_bank(report.summary(), shared),
            });
        }
        if publish.dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
        }
        Ok(out)
    }

    fn insert_device(
        &self,
        learner: i64,
        name: &str,
        token_hash: &[u8; 32],
        now_s: i64,
    ) -> Result<i64> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = super::begin_write(&store.conn)?;
        let id = super::insert_device(&tx, learner, name, token_hash, now_s)?;
        tx.commit()?;
        Ok(id)
    }

    fn register_device(
        &self,
        key: &Key,
        name: &str,
        token_hash: &[u8; 32],
        now_s: i64,
    ) -> Result<Registration> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        // IMMEDIATE: the write lock is taken before the key is read, so no other connection reissues it between.
        let tx = super::begin_write(&store.conn)?;
        let (learner_id, learner) = match admit_device(super::issued_key(&tx, &key.id())?, key) {
            Ok(found) => found,
            Err(refused) => return Ok(refused),
        };
        let id = super::insert_device(&tx, learner_id, name, token_hash, now_s)?;
        tx.commit()?;
        Ok(Registration::Registered {
            id,
            learner_id,
            learner,
        })
    }

    fn device_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        super::device_by_token(&store.conn, token_hash)
    }

    fn touch_device(&self, learner: i64, id: i64, now_s: i64) -> Result<bool> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        if super::device(&store.conn, id)?.is_none_or(|d| d.learner_id != learner) {
            return Ok(false);
        }
        let tx = super::begin_write(&store.conn)?;
        let touched = super::touch_device(&tx, id, now_s)?;
        tx.commit()?;
        Ok(touched)
    }

    fn devices(&self, learner: Option<i64>) -> Result<Vec<DeviceRecord>> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        super::devices(&store.conn, learner)
    }

    fn revoke_devices(
        &self,
        ids: &[i64],
        by: &str,
        now_s: i64,
    ) -> Result<std::result::Result<Vec<DeviceRecord>, Vec<i64>>> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = super::begin_write(&store.conn)?;
        let rows = super::revoke_devices(&tx, ids, by, now_s)?;
        tx.commit()?;
        Ok(rows)
    }

    fn revoke_device(
        &self,
        learner: i64,
        id: i64,
        by: &str,
        now_s: i64,
    ) -> Result<Option<DeviceRecord>> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = super::begin_write(&store.conn)?;
        // Another learner's device is not this learner's to revoke, as PostgreSQL's row security has it.
        if super::device(&tx, id)?.is_none_or(|d| d.learner_id != learner) {
            return Ok(None);
        }
        super::revoke_device(&tx, id, by, now_s)?;
        let row = super::device(&tx, id)?;
        tx.commit()?;
        Ok(row)
    }
}
