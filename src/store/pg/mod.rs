//! PostgreSQL as the class server's storage (feature `server`): the pool of connections as the app role (a role
//! that owns none of the tables), the schema's version checked when the server connects, and each operation of
//! [`ClassStore`] as one transaction scoped for row-level security: a learner-scoped one sets
//! `detente.learner_id` to the learner (`set_config(..., true)`: `SET LOCAL`, gone at commit), a course-scoped
//! one (the roster, adding a learner, finding who a connecting user is) sets `detente.scope = 'course'`. Every
//! learner table's policy admits only rows matching one of the two (`detente_may_touch` in
//! `migrations/postgres/0001_init.sql`), so a query that forgot its `WHERE learner_id` still sees one learner.
//!
//! The driver is the synchronous `postgres` crate with an `r2d2` pool: the server already runs every store call on
//! a blocking thread, so an async driver would only add a second runtime's worth of moving parts.
//!
//! One file per group of tables, as in `src/store/`: `migrate` (the runner and the owner/app grants), `learners`
//! (learners, the roster, issued enrolment keys), `sync` (the sync log, `held`, card states re-derived), `decks`
//! (deck import, the built-in decks, published decks), `devices` (TLS devices and their tokens' hashes), `roster`
//! (the roster's reads and writes, `store::RosterDb`, for the teacher's roster commands), `reports` (the teacher's
//! reports: their reads, closing expired exam attempts, resolving flags), `exams` (the exams the server runs:
//! `store::ExamRecords` on a scoped transaction), `adopt` (a SQLite database copied in, row for row), `admin` (one
//! learner's rows in every table, to export or delete, in a transaction narrowed to that learner).

pub mod admin;
mod adopt;
mod decks;
mod devices;
mod exams;
mod import;
mod learners;
mod lti;
mod migrate;
mod reports;
mod roster;
mod sync;

pub use adopt::{Adopted, adopt};
pub use decks::sync_builtin;
pub use exams::lock_learner;
pub use migrate::{SCHEMA_VERSION, migrate, schema_version};

use super::{ClassStore, DeviceRecord, IssuedKey, Learner, PublishedDeck, Registration, Roster};
use super::{admit_device, merged_again, publishable, shared_bank};
use crate::enrol::Key;
use crate::error::{Error, Result};
use crate::sync::{Cursor, Digest, Event, Page, Publish, Published, Pushed, Report};
use postgres::{IsolationLevel, NoTls, Transaction};
use r2d2_postgres::{PostgresConnectionManager, r2d2};
use std::time::Duration;

impl From<postgres::Error> for Error {
    /// The server's own words for a refused statement ("new row violates row-level security policy ..."), else
    /// the driver's with its cause (a connection refused, a socket missing).
    fn from(e: postgres::Error) -> Self {
        let said = match (e.as_db_error(), std::error::Error::source(&e)) {
            (Some(db), _) => db.message().to_string(),
            (None, Some(cause)) => format!("{e}: {cause}"),
            (None, None) => e.to_string(),
        };
        Error::Server(format!("PostgreSQL: {said}"))
    }
}

impl From<r2d2::Error> for Error {
    fn from(e: r2d2::Error) -> Self {
        Error::Server(format!("PostgreSQL: {e}"))
    }
}

/// How long the server waits for a free connection, or for the database when it starts.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A class server's PostgreSQL database, reached through a pool of connections as the app role.
pub struct Pg {
    pool: r2d2::Pool<PostgresConnectionManager<NoTls>>,
}

/// Parses a connection string (`postgres://detente_app@/detente?host=/run/postgresql`, or `host=... user=...`),
/// saying which key is wrong without repeating the string (it may hold a password).
pub fn config(url: &str) -> Result<postgres::Config> {
    url.parse::<postgres::Config>().map_err(|e| {
        Error::InvalidData(format!(
            "the PostgreSQL connection string is not valid: {e}"
        ))
    })
}

impl Pg {
    /// Connects a pool of at most `size` connections with `url` and checks that the database's schema is this
    /// detente's ([`SCHEMA_VERSION`]): an older one must be migrated by its owner first, a newer one belongs to a
    /// newer detente.
    pub fn connect(url: &str, size: u32) -> Result<Pg> {
        let manager = PostgresConnectionManager::new(config(url)?, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(size.max(1))
            .min_idle(Some(1))
            .connection_timeout(CONNECT_TIMEOUT)
            .build(manager)?;
        let pg = Pg { pool };
        let found = {
            let mut conn = pg.pool.get()?;
            schema_version(&mut *conn)?
        };
        if found != SCHEMA_VERSION {
            return Err(Error::InvalidData(format!(
                "the PostgreSQL database is at schema version {found} and this detente needs {SCHEMA_VERSION}: {}",
                if found < SCHEMA_VERSION {
                    "migrate it as the tables' owner first (`detente serve --migrate`, see docs/server.md)"
                } else {
                    "it was migrated by a newer detente"
                }
            )));
        }
        Ok(pg)
    }

    /// Runs `f` in one transaction scoped to the whole course (`detente.scope = 'course'`), committed if it
    /// returns `Ok` (a teacher's command runs its work here).
    pub fn course<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        self.scoped("detente.scope", "course", f)
    }

    /// Runs `f` in one transaction scoped to `learner` (`detente.learner_id`).
    pub fn learner<T>(
        &self,
        learner: i64,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        self.scoped("detente.learner_id", &learner.to_string(), f)
    }

    /// Runs `f` in one read-only transaction scoped to `learner` that reads one snapshot (REPEATABLE READ), so
    /// that two queries in it cannot disagree about what was committed.
    fn learner_snapshot<T>(
        &self,
        learner: i64,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.pool.get()?;
        let mut tx = conn
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        tx.execute(
            "SELECT set_config('detente.learner_id', $1, true)",
            &[&learner.to_string()],
        )?;
        let value = f(&mut tx)?;
        tx.commit()?;
        Ok(value)
    }

    fn scoped<T>(
        &self,
        setting: &str,
        value: &str,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.pool.get()?;
        let mut tx = conn.transaction()?;
        tx.execute("SELECT set_config($1, $2, true)", &[&setting, &value])?;
        let value = f(&mut tx)?;
        tx.commit()?;
        Ok(value)
    }
}

impl ClassStore for Pg {
    fn backend(&self) -> &'static str {
        "PostgreSQL"
    }

    fn learner_by_username(&self, username: &str) -> Result<Option<Learner>> {
        self.course(|tx| learners::learner_by_username(tx, username))
    }

    fn roster(&self) -> Result<Roster> {
        self.course(learners::roster)
    }

    fn add_learner(
        &self,
        name: &str,
        username: Option<&str>,
        now_s: i64,
    ) -> Result<Option<Learner>> {
        self.course(|tx| learners::add_learner(tx, name, username, now_s))
    }

    fn issued_key(&self, key_id: &str) -> Result<Option<IssuedKey>> {
        self.course(|tx| learners::issued_key(tx, key_id))
    }

    fn append_events(&self, learner: i64, events: &[Event], now_s: i64) -> Result<Report> {
        self.learner(learner, |tx| {
            sync::append_events(tx, learner, events, now_s)
        })
    }

    fn events_since(&self, learner: i64, cursor: Cursor, limit: usize) -> Result<Page> {
        self.learner(learner, |tx| sync::events_since(tx, learner, cursor, limit))
    }

    fn digest(&self, learner: i64) -> Result<Digest> {
        self.learner(learner, |tx| sync::digest(tx, learner))
    }

    fn push(&self, learner: i64, device: &str, events: &[Event], now_s: i64) -> Result<Pushed> {
        self.learner(learner, |tx| {
            let since = sync::log_end(tx, learner)?;
            let mut report = sync::append_events(tx, learner, events, now_s)?;
            // A card the server lacks may be a built-in deck's it never loaded (course data, no row security).
            if !report.refused.is_empty() && decks::sync_builtin(tx, now_s)?.is_some() {
                let again = sync::append_events(tx, learner, events, now_s)?;
                report = merged_again(report, again);
            }
            // Only the cards this push touched, as on SQLite (`store::rederive_since`).
            if report.added > 0
                && let Some(row) = learners::learner(tx, learner)?
            {
                sync::rederive_since(tx, &row, since)?;
            }
            let held = sync::held(tx, learner, device)?;
            Ok(Pushed { report, held })
        })
    }

    fn pull_page(
        &self,
        learner: i64,
        cursor: Cursor,
        limit: usize,
    ) -> Result<(Page, Option<Digest>)> {
        self.learner_snapshot(learner, |tx| {
            let page = sync::events_since(tx, learner, cursor, limit)?;
            let digest = if page.more {
                None
            } else {
                Some(sync::digest(tx, learner)?)
            };
            Ok((page, digest))
        })
    }

    fn learner(&self, learner: i64) -> Result<Option<Learner>> {
        self.learner(learner, |tx| learners::learner(tx, learner))
    }

    fn learner_by_name(&self, name: &str) -> Result<Option<Learner>> {
        self.course(|tx| learners::learner_by_name(tx, name))
    }

    fn published_decks(&self) -> Result<Vec<PublishedDeck>> {
        self.course(decks::published_decks)
    }

    fn published_deck(&self, id: &str) -> Result<Option<(String, String, String)>> {
        self.course(|tx| decks::published_deck(tx, id))
    }

    fn publish(&self, publish: &Publish, publisher: &str, now_s: i64) -> Result<Vec<Published>> {
        self.course(|tx| {
            decks::lock_decks(tx)?;
            // A dry run rolls back to here; the scope set before it stays until the commit.
            let mut sp = tx.savepoint("publish")?;
            let mut out = Vec::new();
            for (deck, f) in publishable(publish) {
                let mut report = decks::import_deck(&mut sp, &deck, false, Some(&f.file), now_s)?;
                if publish.reset_changed {
                    report.reset_states = decks::reset_cards(
                        &mut sp,
                        &deck.id,
                        &report.answer_changed_items,
                        crate::time::UnixMs::from_secs(now_s).0,
                    )?;
                }
                let shared =
                    decks::publish_deck(&mut sp, &deck, &f.file, &f.text, publisher, now_s)?;
                out.push(Published {
                    deck: deck.id.clone(),
                    content_hash: deck.content_hash(),
                    summary: shared_bank(report.summary(), shared),
                });
            }
            if publish.dry_run {
                sp.rollback()?;
            } else {
                sp.commit()?;
            }
            Ok(out)
        })
    }

    fn insert_device(
        &self,
        learner: i64,
        name: &str,
        token_hash: &[u8; 32],
        now_s: i64,
    ) -> Result<i64> {
        self.learner(learner, |tx| {
            devices::insert_device(tx, learner, name, token_hash, now_s)
        })
    }

    fn register_device(
        &self,
        key: &Key,
        name: &str,
        token_hash: &[u8; 32],
        now_s: i64,
    ) -> Result<Registration> {
        // Course scope: whose the code is is not known until its key is read (under `FOR SHARE`, held to the
        // commit, so a reissue's UPDATE of that row waits, and one committed before is the row read).
        self.course(|tx| {
            let issued = learners::issued_key_held(tx, &key.id())?;
            let (learner_id, learner) = match admit_device(issued, key) {
                Ok(found) => found,
                Err(refused) => return Ok(refused),
            };
            let id = devices::insert_device(tx, learner_id, name, token_hash, now_s)?;
            Ok(Registration::Registered {
                id,
                learner_id,
                learner,
            })
        })
    }

    fn device_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>> {
        self.course(|tx| devices::device_by_token(tx, token_hash))
    }

    fn touch_device(&self, learner: i64, id: i64, now_s: i64) -> Result<bool> {
        self.learner(learner, |tx| devices::touch_device(tx, id, now_s))
    }

    fn devices(&self, learner: Option<i64>) -> Result<Vec<DeviceRecord>> {
        self.course(|tx| devices::devices(tx, learner))
    }

    fn revoke_devices(
        &self,
        ids: &[i64],
        by: &str,
        now_s: i64,
    ) -> Result<std::result::Result<Vec<DeviceRecord>, Vec<i64>>> {
        self.course(|tx| devices::revoke_devices(tx, ids, by, now_s))
    }

    fn revoke_device(
        &self,
        learner: i64,
        id: i64,
        by: &str,
        now_s: i64,
    ) -> Result<Option<DeviceRecord>> {
        self.learner(learner, |tx| devices::revoke_device(tx, id, by, now_s))
    }
}
