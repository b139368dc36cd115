//! Opening a database: the schema migrations and the version they set, the pragmas every connection needs, waiting
//! out another process's lock, refusing a newer schema, and opening a file that is not writable read-only. Also the
//! [`Store`] handle and its write transactions.

use crate::error::{Error, Result};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A migration: its SQL, and what must be computed in Rust after it (in the same transaction).
struct Migration {
    sql: &'static str,
    then: Option<fn(&Transaction<'_>) -> Result<()>>,
}

/// The schema migrations, in order. The database's `user_version` says how many have been applied.
const MIGRATIONS: &[Migration] = &[
    Migration {
        sql: include_str!("../../migrations/0001_init.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0002_card_reset.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0003_identities_exams.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0004_deck_answers.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0005_new_order.sql"),
        // Decks imported before 0005 get their new-card order.
        then: Some(super::import::order_stored_decks),
    },
    Migration {
        sql: include_str!("../../migrations/0006_flag_state_unsupervised.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0007_exam_dates.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0008_enrolment.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0009_sync_log.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0010_devices.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0011_sync_client.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0012_served_exams.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0013_lti.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0014_deck_words.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0015_state_deck.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0016_lti_memberships.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0017_shared_banks.sql"),
        then: None,
    },
];

/// The schema version this build of detente writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies the migrations after `from` up to `to` in `tx`, setting `user_version` as it goes.
fn migrate(tx: &Transaction<'_>, from: i64, to: i64) -> Result<()> {
    for (i, m) in MIGRATIONS
        .iter()
        .enumerate()
        .take(to.max(0) as usize)
        .skip(from.max(0) as usize)
    {
        tx.execute_batch(m.sql)?;
        if let Some(then) = m.then {
            then(tx)?;
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    Ok(())
}

/// The default database path: `$XDG_DATA_HOME/detente/detente.db`, else `~/.local/share/detente/detente.db`.
pub fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("detente").join("detente.db")
}

/// How long a process waits for another to release the database before it reports it busy (settable on a store:
/// [`Store::set_busy_timeout`]).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether an error is SQLite's "database is locked": another connection held the write lock for longer than this
/// one would wait.
pub fn is_busy(e: &Error) -> bool {
    matches!(e, Error::Sqlite(s) if s.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy))
}

/// Checks the version, sets the pragmas every connection needs and migrates. A database from a newer detente is
/// refused before anything is written to it.
fn prepare(conn: &mut Connection, path: &Path) -> Result<()> {
    let too_new = |found: i64| Error::DatabaseTooNew {
        path: path.to_path_buf(),
        found,
        known: SCHEMA_VERSION,
    };
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(too_new(found));
    }
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is on disk before it returns, so an answer shown as saved survives a power cut (in WAL mode
    // NORMAL may lose the last commits then).
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Every write transaction takes the write lock when it begins, so two processes wait for each other (within
    // the busy timeout) instead of failing with "database is locked" on upgrade.
    conn.set_transaction_behavior(TransactionBehavior::Immediate);
    if found < SCHEMA_VERSION {
        // The version is read again once the write lock is held, and the migrations run in that same transaction:
        // of many processes opening a new (or old) file at once, the first migrates and the others find it done.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(too_new(found));
        }
        migrate(&tx, found, SCHEMA_VERSION)?;
        tx.commit()?;
    }
    Ok(())
}

/// An open database.
pub struct Store {
    pub conn: Connection,
    pub path: PathBuf,
    /// Opened read-only (the file is not writable): reading commands work, [`Store::write`] refuses.
    pub read_only: bool,
    /// How long a write waits for another process's lock before it fails busy.
    busy_timeout: Duration,
}

/// Whether the file can be written: it has a write permission bit and opens for writing. A file without any write
/// bit counts as read-only even for a superuser, who could write it: its owner said so.
fn writable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
        && std::fs::OpenOptions::new().write(true).open(path).is_ok()
}

/// Refuses a database path that is a folder or not a regular file (a device, a FIFO, a socket; a link is followed)
/// before SQLite opens it, which would say only "disk I/O error" or block. A path that does not exist yet is left
/// to be created.
fn check_regular(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(Error::Usage(format!(
            "{} is a folder, not a database file (give --db a file, such as {})",
            path.display(),
            path.join("detente.db").display()
        ))),
        Ok(m) if !m.is_file() => Err(Error::Usage(format!(
            "{} is not a regular file, so it cannot be a database (give --db a file)",
            path.display()
        ))),
        _ => Ok(()),
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`, applies pending migrations, and sets the pragmas every
    /// connection needs. A database from a newer detente is refused before anything is written to it.
    /// A file that exists but is not writable is opened read-only (see [`Store::open_read_only`]).
    pub fn open(path: &Path) -> Result<Store> {
        check_regular(path)?;
        if path.exists() && !writable(path) {
            return Store::open_read_only(path);
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        }
        let mut conn = Connection::open(path)?;
        // A busy timeout first: another process may hold the write lock while we migrate or write.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Switching a new file to WAL, or finding another process in the middle of it, can report "busy" at once
        // instead of waiting: that is tried again, within the busy timeout.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match prepare(&mut conn, path) {
                Err(Error::Sqlite(e))
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(10));
                }
                other => break other?,
            }
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            read_only: false,
            busy_timeout: BUSY_TIMEOUT,
        })
    }

    /// Opens an existing database for reading only: nothing is migrated, no pragma is written (the journal mode
    /// stays as it is), and a database whose schema is older than this detente's is refused with a message saying
    /// it needs a writable file to be upgraded. When the file's directory does not let SQLite keep its
    /// shared-memory file, the database is read as immutable.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        check_regular(path)?;
        use rusqlite::OpenFlags;
        let probe = |conn: &Connection| -> rusqlite::Result<i64> {
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })?;
            conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let found = match probe(&conn) {
            Ok(v) => v,
            Err(_) => {
                let uri = format!("file:{}?immutable=1", path.display());
                conn = Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)?;
                probe(&conn)?
            }
        };
        if found > SCHEMA_VERSION {
            return Err(Error::DatabaseTooNew {
                path: path.to_path_buf(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        if found < SCHEMA_VERSION {
            return Err(Error::ReadOnly(format!(
                "{}: this database was written by an older detente (schema version {found}, this one needs \
                 {SCHEMA_VERSION}) and the file is read-only; make it writable once so that detente can upgrade it",
                path.display()
            )));
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            read_only: true,
            busy_timeout: BUSY_TIMEOUT,
        })
    }

    /// Refuses a database opened read-only with the message every writing command gives: for a command that
    /// must know before it asks anything (a study session, an exam) that it will be able to write.
    pub fn require_writable(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnly(format!(
                "{} is read-only: this command needs to write to it",
                self.path.display()
            )));
        }
        Ok(())
    }

    /// How long a write waits for another process to release the database before it fails busy.
    pub fn busy_timeout(&self) -> Duration {
        self.busy_timeout
    }

    /// Sets how long a write waits for another process to release the database ([`BUSY_TIMEOUT`] when opened);
    /// tests set a short one.
    pub fn set_busy_timeout(&mut self, wait: Duration) -> Result<()> {
        self.busy_timeout = wait;
        self.wait_at_most(wait)
    }

    /// Makes the next writes wait at most `wait` for the lock, without changing [`Store::busy_timeout`]: a caller
    /// that waits in steps (a short wait, then a notice, then the rest) sets each step and restores the timeout.
    pub fn wait_at_most(&mut self, wait: Duration) -> Result<()> {
        Ok(self.conn.busy_timeout(wait)?)
    }

    /// Begins a write transaction (IMMEDIATE). A database opened read-only is refused with a message.
    pub fn write(&mut self) -> Result<Transaction<'_>> {
        self.require_writable()?;
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

    #[test]
    fn migrations_are_valid() {
        let store = Store::open(Path::new(":memory:")).expect("open");
        let version: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(
            version, SCHEMA_VERSION,
            "SCHEMA_VERSION counts the migrations"
        );
    }

    #[test]
    fn upgrading_to_version_5_orders_the_decks_already_imported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.db");
        {
            // A version-4 database with a reading deck and a card of another deck that draws on it.
            let mut conn = Connection::open(&path).expect("open");
            let tx = conn.transaction().expect("tx");
            migrate(&tx, 0, 4).expect("version 4");
            tx.commit().expect("commit");
            let card = |id: &str, paragraph: u32, deck: Option<&str>| {
                serde_json::json!({"id": id, "prompt": "P", "kind": "truefalse", "answer": true,
                    "source": [{"deck": deck, "paragraph": paragraph}]})
                .to_string()
            };
            conn.execute_batch(
                "INSERT INTO decks (id, title, content_hash, imported_at) VALUES ('r', 'R', 'h', 0), ('x', 'X', 'h', 0);",
            )
            .expect("decks");
            for (deck, key, position, body) in [
                ("r", "late", 0, card("late", 5, None)),
                ("r", "early", 1, card("early", 1, None)),
                ("x", "cross", 0, card("cross", 2, Some("r"))),
            ] {
                conn.execute(
                    "INSERT INTO cards (deck_id, card_key, sibling, kind, position, body, content_hash, answer_hash)
                     VALUES (?1, ?2, 0, 'truefalse', ?3, ?4, 'h', 'h')",
                    params![deck, key, position, body],
                )
                .expect("card");
            }
        }
        let store = Store::open(&path).expect("upgrade");
        let ranks: Vec<(String, i64)> = store
            .conn
            .prepare("SELECT card_key, new_rank FROM cards WHERE deck_id = 'r' ORDER BY new_rank")
            .expect("sql")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(ranks, [("early".to_string(), 0), ("late".to_string(), 1)]);
        let (requires, reading): (String, bool) = store
            .conn
            .query_row(
                "SELECT r.deck_id, d.reading FROM card_requires r JOIN cards c ON c.id = r.card_id
                 JOIN decks d ON d.id = c.deck_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("requires");
        assert_eq!((requires.as_str(), reading), ("r", false));
    }

    #[test]
    fn a_newer_database_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("new.db");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch("CREATE TABLE x (a); PRAGMA user_version = 99;")
                .expect("setup");
        }
        let before = std::fs::read(&path).expect("read");
        match Store::open(&path) {
            Err(Error::DatabaseTooNew { found: 99, .. }) => {}
            other => panic!("expected DatabaseTooNew, got {:?}", other.map(|_| ())),
        }
        assert_eq!(std::fs::read(&path).expect("read"), before);
    }
}
