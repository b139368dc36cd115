//! SQLite storage: opening a database (pragmas, migrations, refusing a newer schema), and the queries. Every write
//! helper takes a transaction, so that callers compose writes and commit them at once.

mod bundle;
pub mod counts;
pub mod exam_dates;
mod exams;
mod flags;
mod import;
mod people;
mod stats;

pub use bundle::{
    BundleAnswer, BundleAttempt, BundleDeck, BundleReview, MergeReport, attempt_started,
    bundle_attempts, bundle_decks, bundle_reviews, card_id, deck_hash, exam_exists,
    for_each_bundle_review, merge_attempts, merge_reviews, replace_states,
};
pub use bundle::{CLOCK_SLACK_S, EARLIEST_S, validate_attempt, validate_flag, validate_review};
pub use counts::{DueCounts, due_counts, new_cards};
pub use exams::{
    Attempt, AttemptAnswer, ExamRow, ItemResponse, Upsert, attempt_answers, attempts,
    close_attempt, close_expired_attempts, deck_first_responses, exam, exam_attempts, exam_pool,
    exam_responses, exams, insert_answer, insert_attempt, upsert_exam,
};
pub use flags::{
    BundleFlag, FlagMerge, FlagRow, FlagState, bundle_flags, flags, merge_flags,
    open_flags_by_card, resolve_flag,
};
pub use import::{ImportReport, import_deck, sync_builtin, sync_builtin_tx};
pub use people::{
    DeckStudy, RosterOutcome, deck_items, deck_study, exam_scores, import_roster,
    learner_by_identity, set_identity,
};
pub use stats::{
    card_prompts, deck_titles, for_each_review_day, memory_states, review_log, save_parameters,
    stat_cards, state_map,
};

use crate::deck::Card;
use crate::error::{Error, Result};
use crate::schedule::{CardState, Phase, Settings};
use rusqlite::{
    Connection, OptionalExtension, Transaction, TransactionBehavior, params, params_from_iter,
};
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
        then: Some(import::order_stored_decks),
    },
    Migration {
        sql: include_str!("../../migrations/0006_flag_state_unsupervised.sql"),
        then: None,
    },
    Migration {
        sql: include_str!("../../migrations/0007_exam_dates.sql"),
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

/// How long a process waits for another to release the database before it reports it busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

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
}

/// Whether the file can be written: it has a write permission bit and opens for writing. A file without any write
/// bit counts as read-only even for a superuser, who could write it: its owner said so.
fn writable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
        && std::fs::OpenOptions::new().write(true).open(path).is_ok()
}

impl Store {
    /// Opens (creating if needed) the database at `path`, applies pending migrations, and sets the pragmas every
    /// connection needs. A database from a newer detente is refused before anything is written to it.
    /// A file that exists but is not writable is opened read-only (see [`Store::open_read_only`]).
    pub fn open(path: &Path) -> Result<Store> {
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
        })
    }

    /// Opens an existing database for reading only: nothing is migrated, no pragma is written (the journal mode
    /// stays as it is), and a database whose schema is older than this detente's is refused with a message saying
    /// it needs a writable file to be upgraded. When the file's directory does not let SQLite keep its
    /// shared-memory file, the database is read as immutable.
    pub fn open_read_only(path: &Path) -> Result<Store> {
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
        })
    }

    /// Begins a write transaction (IMMEDIATE). A database opened read-only is refused with a message.
    pub fn write(&mut self) -> Result<Transaction<'_>> {
        if self.read_only {
            return Err(Error::ReadOnly(format!(
                "{} is read-only: this command needs to write to it",
                self.path.display()
            )));
        }
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }
}

/// A learner and their settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Learner {
    pub id: i64,
    pub name: String,
    pub new_per_day: u32,
    pub reviews_per_day: u32,
    pub desired_retention: f32,
    pub rollover_hour: u32,
    pub parameters: Option<Vec<f32>>,
    /// The LMS login (Blackboard Username, Canvas SIS Login ID).
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// The institution's id (Moodle ID number, Canvas SIS User ID).
    pub student_id: Option<String>,
}

impl Learner {
    /// The identity this learner carries.
    pub fn identity(&self) -> crate::gradebook::Identity {
        crate::gradebook::Identity {
            username: self.username.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            student_id: self.student_id.clone(),
        }
    }

    /// The scheduler settings this learner studies with.
    pub fn settings(&self) -> Settings {
        Settings {
            desired_retention: self.desired_retention,
            parameters: self.parameters.clone().unwrap_or_default(),
            ..Settings::default()
        }
    }
}

const LEARNER_COLUMNS: &str =
    "id, name, new_per_day, reviews_per_day, desired_retention, rollover_hour, parameters,
    username, first_name, last_name, email, student_id";

fn learner_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Learner> {
    let params: Option<String> = r.get(6)?;
    Ok(Learner {
        id: r.get(0)?,
        name: r.get(1)?,
        new_per_day: r.get(2)?,
        reviews_per_day: r.get(3)?,
        desired_retention: r.get::<_, f64>(4)? as f32,
        rollover_hour: r.get(5)?,
        parameters: params.and_then(|p| serde_json::from_str(&p).ok()),
        username: r.get(7)?,
        first_name: r.get(8)?,
        last_name: r.get(9)?,
        email: r.get(10)?,
        student_id: r.get(11)?,
    })
}

/// The learner of this name: the name as given, else in normal form C, else one stored in another normal form (by
/// an older detente) that is the same name in normal form C.
pub fn learner_by_name(conn: &Connection, name: &str) -> Result<Option<Learner>> {
    let exact = |n: &str| -> Result<Option<Learner>> {
        Ok(conn
            .query_row(
                &format!("SELECT {LEARNER_COLUMNS} FROM learners WHERE name = ?1"),
                [n],
                learner_row,
            )
            .optional()?)
    };
    if let Some(l) = exact(name)? {
        return Ok(Some(l));
    }
    let nfc = crate::gradebook::normal(name);
    if let Some(l) = exact(&nfc)? {
        return Ok(Some(l));
    }
    Ok(learners(conn)?
        .into_iter()
        .find(|l| crate::gradebook::normal(&l.name) == nfc))
}

pub fn learners(conn: &Connection) -> Result<Vec<Learner>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {LEARNER_COLUMNS} FROM learners ORDER BY name"
    ))?;
    let rows = stmt
        .query_map([], learner_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Adds a learner with default settings; returns `None` if the name is taken.
/// The name is stored in normal form C; one with a control character is refused (exit 65), and so is one that is
/// an existing learner's name in another normal form.
pub fn add_learner(tx: &Transaction<'_>, name: &str, now: i64) -> Result<Option<Learner>> {
    let name = &crate::gradebook::normal(name);
    crate::gradebook::check_identifier("learner name", name).map_err(Error::InvalidData)?;
    if learner_by_name(tx, name)?.is_some() {
        return Ok(None);
    }
    let n = tx.execute(
        "INSERT OR IGNORE INTO learners (name, created_at) VALUES (?1, ?2)",
        params![name, now],
    )?;
    if n == 0 {
        return Ok(None);
    }
    learner_by_name(tx, name)
}

/// Changes a learner's daily limits and target retention.
pub fn update_learner(tx: &Transaction<'_>, learner: &Learner) -> Result<()> {
    tx.execute(
        "UPDATE learners SET new_per_day = ?2, reviews_per_day = ?3, desired_retention = ?4, rollover_hour = ?5
         WHERE id = ?1",
        params![
            learner.id,
            learner.new_per_day,
            learner.reviews_per_day,
            f64::from(learner.desired_retention),
            learner.rollover_hour
        ],
    )?;
    Ok(())
}

/// The learner named `name`, created with default settings on first use.
pub fn learner_get_or_create(store: &mut Store, name: &str, now: i64) -> Result<Learner> {
    if let Some(l) = learner_by_name(&store.conn, name)? {
        return Ok(l);
    }
    let tx = store.write()?;
    add_learner(&tx, name, now)?;
    let learner = learner_by_name(&tx, &crate::gradebook::normal(name))?;
    tx.commit()?;
    learner.ok_or_else(|| Error::Usage(format!("cannot create learner {name}")))
}

/// A study item as stored: which deck card and sibling, and the card itself.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCard {
    pub id: i64,
    pub deck_id: String,
    pub card_key: String,
    pub sibling: usize,
    pub card: Card,
    pub retired: bool,
}

impl StoredCard {
    /// The key siblings share ("deck/card"), so that they are not shown on the same day.
    pub fn note_key(&self) -> String {
        format!("{}/{}", self.deck_id, self.card_key)
    }
}

pub fn card(conn: &Connection, id: i64) -> Result<Option<StoredCard>> {
    let mut stmt = conn
        .prepare_cached("SELECT id, deck_id, card_key, sibling, body, retired_at IS NOT NULL FROM cards WHERE id = ?1")?;
    let row = stmt
        .query_row([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })
        .optional()?;
    let Some((id, deck_id, card_key, sibling, body, retired)) = row else {
        return Ok(None);
    };
    let card: Card = serde_json::from_str(&body).map_err(|e| {
        Error::InvalidData(format!("card {deck_id}/{card_key} is stored damaged: {e}"))
    })?;
    Ok(Some(StoredCard {
        id,
        deck_id,
        card_key,
        sibling: sibling as usize,
        card,
        retired,
    }))
}

/// The cards of a deck as written (one per card id, retired ones included), to know every answer in it.
pub fn deck_cards(conn: &Connection, deck: &str) -> Result<Vec<Card>> {
    let mut stmt =
        conn.prepare_cached("SELECT body FROM cards WHERE deck_id = ?1 AND sibling = 0")?;
    let bodies = stmt
        .query_map([deck], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(bodies
        .iter()
        .filter_map(|b| serde_json::from_str(b).ok())
        .collect())
}

/// A loaded deck as its file would have it: its header and its active cards in order; `None` if no such deck.
pub fn deck(conn: &Connection, id: &str) -> Result<Option<crate::deck::Deck>> {
    let header = conn
        .query_row(
            "SELECT title, description, source, aliases, tags, new_order FROM decks
             WHERE id = ?1 AND retired_at IS NULL",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((title, description, source, aliases, tags, new_order)) = header else {
        return Ok(None);
    };
    let json = |s: &Option<String>| -> serde_json::Value {
        s.as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    let mut stmt = conn.prepare(
        "SELECT body FROM cards WHERE deck_id = ?1 AND sibling = 0 AND retired_at IS NULL ORDER BY position",
    )?;
    let cards = stmt
        .query_map([id], |r| r.get::<_, String>(0))?
        .map(|b| {
            let b = b?;
            serde_json::from_str(&b)
                .map_err(|e| Error::InvalidData(format!("stored card of {id}: {e}")))
        })
        .collect::<Result<Vec<crate::deck::Card>>>()?;
    Ok(Some(crate::deck::Deck {
        id: id.to_string(),
        title,
        description,
        tags: serde_json::from_value(json(&tags)).unwrap_or_default(),
        source: serde_json::from_value(json(&source)).unwrap_or_default(),
        aliases: serde_json::from_value(json(&aliases)).unwrap_or_default(),
        new_order: new_order
            .as_deref()
            .and_then(crate::deck::NewOrder::from_name),
        cards,
    }))
}

/// A deck's aliases: canonical form to its alternatives.
pub type Aliases = std::collections::BTreeMap<String, Vec<String>>;

/// What a deck's answer checker needs: its aliases and its known answers, normalized (read from the card
/// bodies for a deck imported before the answers were kept).
pub fn deck_answers(conn: &Connection, deck: &str) -> Result<(Aliases, Vec<String>)> {
    let row: Option<(Option<String>, Option<String>)> = conn
        .prepare_cached("SELECT aliases, answers FROM decks WHERE id = ?1")?
        .query_row([deck], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (aliases, answers) = row.unwrap_or_default();
    let aliases = aliases
        .and_then(|a| serde_json::from_str(&a).ok())
        .unwrap_or_default();
    let answers = match answers.and_then(|a| serde_json::from_str(&a).ok()) {
        Some(list) => list,
        None => crate::deck::typed_answers(&deck_cards(conn, deck)?)
            .iter()
            .map(|a| crate::deck::normalize(a))
            .collect(),
    };
    Ok((aliases, answers))
}

/// A deck as stored, with its card counts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeckInfo {
    pub id: String,
    pub title: String,
    pub source: Option<crate::deck::DeckSource>,
    pub aliases: std::collections::BTreeMap<String, Vec<String>>,
    pub builtin: bool,
    /// Cards (study items, see [`counts`]): every cloze blank and reverse side counts.
    pub cards: u32,
    /// The cards as written in the deck file (`[[card]]` entries), each counting once however many items it makes.
    pub written: u32,
    pub retired_cards: u32,
}

pub fn decks(conn: &Connection) -> Result<Vec<DeckInfo>> {
    let mut stmt = conn.prepare(
        "SELECT d.id, d.title, d.source, d.aliases, d.builtin,
                (SELECT COUNT(*) FROM cards c WHERE c.deck_id = d.id AND c.retired_at IS NULL),
                (SELECT COUNT(*) FROM cards c WHERE c.deck_id = d.id AND c.retired_at IS NOT NULL),
                (SELECT COUNT(*) FROM cards c WHERE c.deck_id = d.id AND c.retired_at IS NULL AND c.sibling = 0)
         FROM decks d WHERE d.retired_at IS NULL ORDER BY d.builtin DESC, d.id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            let source: Option<String> = r.get(2)?;
            let aliases: Option<String> = r.get(3)?;
            Ok(DeckInfo {
                id: r.get(0)?,
                title: r.get(1)?,
                source: source.and_then(|s| serde_json::from_str(&s).ok()),
                aliases: aliases
                    .and_then(|s| serde_json::from_str(&s).ok())
                    .unwrap_or_default(),
                builtin: r.get(4)?,
                cards: r.get(5)?,
                written: r.get(7)?,
                retired_cards: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Each active deck's title and source, by id, for questions and citations (no counts: a session starts with it).
pub fn deck_sources(
    conn: &Connection,
) -> Result<std::collections::HashMap<String, (String, Option<crate::deck::DeckSource>)>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, title, source FROM decks WHERE retired_at IS NULL")?;
    let rows = stmt
        .query_map([], |r| {
            let source: Option<String> = r.get(2)?;
            Ok((
                r.get::<_, String>(0)?,
                (
                    r.get::<_, String>(1)?,
                    source.and_then(|s| serde_json::from_str(&s).ok()),
                ),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Which cards a session draws from: decks and tags (a tag may end in `*` to match a prefix).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Filter {
    pub decks: Vec<String>,
    pub tags: Vec<String>,
}

impl Filter {
    /// SQL conditions on the card alias `c`, and their parameters.
    pub(crate) fn sql(&self) -> (String, Vec<String>) {
        let mut sql = String::new();
        let mut args = Vec::new();
        if !self.decks.is_empty() {
            sql.push_str(&format!(
                " AND c.deck_id IN ({})",
                vec!["?"; self.decks.len()].join(",")
            ));
            args.extend(self.decks.iter().cloned());
        }
        if !self.tags.is_empty() {
            let ors = vec!["t.tag GLOB ?"; self.tags.len()].join(" OR ");
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM card_tags t WHERE t.card_id = c.id AND ({ors}))"
            ));
            args.extend(self.tags.iter().cloned());
        }
        (sql, args)
    }
}

const STATE_COLUMNS: &str =
    "phase, step, stability, difficulty, due, last_review, last_day, interval, reps, lapses, leech";

fn state_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<CardState> {
    Ok(CardState {
        phase: Phase::from_i64(r.get(at)?),
        step: r.get(at + 1)?,
        stability: r.get::<_, f64>(at + 2)? as f32,
        difficulty: r.get::<_, f64>(at + 3)? as f32,
        due: r.get(at + 4)?,
        last_review: r.get(at + 5)?,
        last_day: r.get(at + 6)?,
        interval: r.get(at + 7)?,
        reps: r.get(at + 8)?,
        lapses: r.get(at + 9)?,
        leech: r.get(at + 10)?,
    })
}

/// A learner's state of a card; `None` when the card is new to them.
pub fn state(conn: &Connection, learner: i64, card: i64) -> Result<Option<CardState>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {STATE_COLUMNS} FROM card_states WHERE learner_id = ?1 AND card_id = ?2"
    ))?;
    Ok(stmt
        .query_row([learner, card], |r| state_row(r, 0))
        .optional()?)
}

/// All of a learner's card states, for checks and replays.
pub fn states(conn: &Connection, learner: i64) -> Result<Vec<(i64, CardState)>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT card_id, {STATE_COLUMNS} FROM card_states WHERE learner_id = ?1 ORDER BY card_id"
    ))?;
    let rows = stmt
        .query_map([learner], |r| Ok((r.get(0)?, state_row(r, 1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Writes (or, with `None`, removes) a learner's state of a card.
pub fn put_state(
    tx: &Transaction<'_>,
    learner: i64,
    card: i64,
    state: Option<&CardState>,
) -> Result<()> {
    match state {
        None => {
            tx.prepare_cached("DELETE FROM card_states WHERE learner_id = ?1 AND card_id = ?2")?
                .execute([learner, card])?;
        }
        Some(s) => {
            tx.prepare_cached(&format!(
                "INSERT OR REPLACE INTO card_states (learner_id, card_id, {STATE_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
            ))?
            .execute(params![
                learner,
                card,
                s.phase.as_i64(),
                s.step,
                f64::from(s.stability),
                f64::from(s.difficulty),
                s.due,
                s.last_review,
                s.last_day,
                s.interval,
                s.reps,
                s.lapses,
                s.leech
            ])?;
        }
    }
    Ok(())
}

/// Cards in learning or relearning, due by `until`, soonest first.
pub fn due_learning(
    conn: &Connection,
    learner: i64,
    until: i64,
    filter: &Filter,
) -> Result<Vec<(i64, i64)>> {
    let (cond, args) = filter.sql();
    let sql = format!(
        "SELECT s.card_id, s.due FROM card_states s JOIN cards c ON c.id = s.card_id
         WHERE s.learner_id = ? AND s.due <= ? AND s.phase IN (1, 3) AND c.retired_at IS NULL{cond}
         ORDER BY s.due, s.card_id"
    );
    query_pairs(conn, &sql, learner, until, &args)
}

/// Review cards due by `until`, most overdue first, at most `limit`.
pub fn due_reviews(
    conn: &Connection,
    learner: i64,
    until: i64,
    filter: &Filter,
    limit: u32,
) -> Result<Vec<i64>> {
    let (cond, args) = filter.sql();
    let sql = format!(
        "SELECT s.card_id, s.due FROM card_states s JOIN cards c ON c.id = s.card_id
         WHERE s.learner_id = ? AND s.due <= ? AND s.phase = 2 AND c.retired_at IS NULL{cond}
         ORDER BY s.due, s.card_id LIMIT {limit}"
    );
    Ok(query_pairs(conn, &sql, learner, until, &args)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

fn query_pairs(
    conn: &Connection,
    sql: &str,
    learner: i64,
    until: i64,
    args: &[String],
) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut values: Vec<rusqlite::types::Value> = vec![learner.into(), until.into()];
    values.extend(args.iter().map(|a| rusqlite::types::Value::Text(a.clone())));
    let rows = stmt
        .query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Every active card that matches a filter, for cramming.
pub fn filtered_cards(conn: &Connection, filter: &Filter) -> Result<Vec<i64>> {
    let (cond, args) = filter.sql();
    let sql = format!(
        "SELECT c.id FROM cards c JOIN decks d ON d.id = c.deck_id
         WHERE c.retired_at IS NULL AND d.retired_at IS NULL{cond} ORDER BY c.deck_id, c.position, c.sibling"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args), |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// What a learner has done since `since_ms`: new cards introduced, reviews done, and the notes ("deck/card")
/// studied, whose siblings wait for another day.
pub struct Today {
    pub new_done: u32,
    pub reviews_done: u32,
    pub notes: std::collections::HashSet<String>,
}

pub fn today(conn: &Connection, learner: i64, since_ms: i64) -> Result<Today> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.phase_before, c.deck_id || '/' || c.card_key FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE r.learner_id = ?1 AND r.reviewed_at >= ?2 AND r.mode = 'study'",
    )?;
    let mut t = Today {
        new_done: 0,
        reviews_done: 0,
        notes: Default::default(),
    };
    let rows = stmt.query_map(params![learner, since_ms], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (phase, note) = row?;
        match Phase::from_i64(phase) {
            Phase::New => t.new_done += 1,
            Phase::Review => t.reviews_done += 1,
            _ => {}
        }
        t.notes.insert(note);
    }
    Ok(t)
}

/// One row of the review log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Review {
    pub learner_id: i64,
    pub card_id: i64,
    pub session_id: Option<i64>,
    pub reviewed_at_ms: i64,
    pub day: i64,
    pub mode: String,
    pub response: String,
    pub correct: bool,
    pub rule: String,
    pub rating: u8,
    pub duration_ms: i64,
    pub before: Option<CardState>,
    pub after: CardState,
    pub interval_days: u32,
    pub elapsed_days: u32,
}

/// Appends a review; returns its id.
pub fn insert_review(tx: &Transaction<'_>, r: &Review) -> Result<i64> {
    let b = r.before.as_ref();
    tx.prepare_cached(
        "INSERT INTO reviews (learner_id, card_id, session_id, reviewed_at, day, mode, response, correct, rule,
            rating, duration_ms, phase_before, step_before, stability_before, difficulty_before, due_before,
            last_review_before, last_day_before, interval_before, reps_before, lapses_before, leech_before,
            phase_after, step_after, stability_after, difficulty_after, due_after, interval_days, elapsed_days)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
            ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
    )?
    .execute(params![
        r.learner_id,
        r.card_id,
        r.session_id,
        r.reviewed_at_ms,
        r.day,
        r.mode,
        r.response,
        r.correct,
        r.rule,
        r.rating,
        r.duration_ms,
        b.map_or(0, |s| s.phase.as_i64()),
        b.map(|s| s.step),
        b.map(|s| f64::from(s.stability)),
        b.map(|s| f64::from(s.difficulty)),
        b.map(|s| s.due),
        b.map(|s| s.last_review),
        b.map(|s| s.last_day),
        b.map(|s| s.interval),
        b.map(|s| s.reps),
        b.map(|s| s.lapses),
        b.map(|s| s.leech),
        r.after.phase.as_i64(),
        r.after.step,
        f64::from(r.after.stability),
        f64::from(r.after.difficulty),
        r.after.due,
        r.interval_days,
        r.elapsed_days
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Removes a review (undo) and returns the card's state before it, which the caller restores.
pub fn delete_review(
    tx: &Transaction<'_>,
    review_id: i64,
) -> Result<Option<(i64, Option<CardState>)>> {
    let row = tx
        .query_row(
            "SELECT card_id, phase_before, step_before, stability_before, difficulty_before, due_before,
                    last_review_before, last_day_before, interval_before, reps_before, lapses_before, leech_before
             FROM reviews WHERE id = ?1",
            [review_id],
            |r| {
                let card: i64 = r.get(0)?;
                let phase: i64 = r.get(1)?;
                if phase == 0 { Ok((card, None)) } else { Ok((card, Some(state_row(r, 1)?))) }
            },
        )
        .optional()?;
    tx.execute("DELETE FROM reviews WHERE id = ?1", [review_id])?;
    Ok(row)
}

pub use crate::schedule::LoggedReview;

/// A learner's study reviews in order, for replaying the schedule.
pub fn study_log(conn: &Connection, learner: i64) -> Result<Vec<LoggedReview>> {
    let mut stmt = conn.prepare(
        "SELECT r.card_id, c.deck_id || '/' || c.card_key || '/' || c.sibling, r.rating, r.reviewed_at, r.day,
                r.exam_day
         FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE r.learner_id = ?1 AND r.mode = 'study' AND r.reviewed_at >= coalesce(c.reset_at, 0)
         ORDER BY r.reviewed_at, r.id",
    )?;
    let rows = stmt
        .query_map([learner], |r| {
            Ok(LoggedReview {
                card_id: r.get(0)?,
                key: r.get(1)?,
                rating: r.get(2)?,
                reviewed_at_ms: r.get(3)?,
                day: r.get(4)?,
                exam_day: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Resets every learner's progress on the given study items of a deck (card key and sibling): their states are
/// removed, so the cards are new again, and the reset is marked so that replays of the log start there.
/// Returns how many learners' states were removed.
pub fn reset_cards(
    tx: &Transaction<'_>,
    deck: &str,
    items: &[(String, usize)],
    now_ms: i64,
) -> Result<usize> {
    let mut removed = 0;
    let mut find = tx.prepare_cached(
        "SELECT id FROM cards WHERE deck_id = ?1 AND card_key = ?2 AND sibling = ?3",
    )?;
    for (key, sibling) in items {
        let Some(id): Option<i64> = find
            .query_row(params![deck, key, *sibling as i64], |r| r.get(0))
            .optional()?
        else {
            continue;
        };
        removed += tx.execute("DELETE FROM card_states WHERE card_id = ?1", [id])?;
        tx.execute(
            "UPDATE cards SET reset_at = ?2 WHERE id = ?1",
            params![id, now_ms],
        )?;
    }
    Ok(removed)
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
