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
//! (learners, the roster, issued enrolment keys), `sync` (the sync log).

mod learners;
mod migrate;
mod sync;

pub use migrate::{SCHEMA_VERSION, migrate, schema_version};

use super::{ClassStore, IssuedKey, Learner, Roster};
use crate::error::{Error, Result};
use crate::sync::{Cursor, Digest, Event, Page, Report};
use postgres::{NoTls, Transaction};
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

    /// Runs `f` in one transaction scoped to the whole course (`detente.scope = 'course'`).
    fn course<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        self.scoped("detente.scope", "course", f)
    }

    /// Runs `f` in one transaction scoped to `learner` (`detente.learner_id`).
    fn learner<T>(
        &self,
        learner: i64,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        self.scoped("detente.learner_id", &learner.to_string(), f)
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
}
