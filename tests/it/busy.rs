//! Every action of a study session and of an exam is kept through a busy or a full disk: an answer, a flag, an
//! unflag, "I was right", an undo and the session's end; an exam's start, an exam answer and its end. For each, two
//! attacks at the moment of the write: another connection holds the write lock past the session's (short) busy
//! timeout, or the disk fills (SQLite's own "database or disk is full", from `max_page_count` on the session's
//! connection while another connection takes the last pages). Then the learner retries once the other program lets
//! go, and the action is in the database; or quits, and what was not saved is named, with nothing half-written. An
//! exam answer given before the deadline counts even when it is written after it. The exam's actions are in
//! `busy/exam.rs`.

use crate::support::{Answer, Ask, Script, Scripted, TestClock, first_option, sample_store};
use detente::schedule::Calendar;
use detente::session::{Action, Feedback, Reply, Session, StudyOptions, Summary, WAITING};
use detente::store::{self, Store};
use detente::time::UnixMs;
use rusqlite::Connection;
use std::time::Duration;

/// How the disk refuses the write.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Attack {
    /// Another program holds the write lock past the busy timeout.
    Busy,
    /// The disk is full.
    Full,
}

const ATTACKS: [Attack; 2] = [Attack::Busy, Attack::Full];

/// The session's busy timeout in these tests: no test waits the real 30 seconds.
const TIMEOUT: Duration = Duration::from_millis(100);

/// Pages of room the session's connection has before the disk counts as full.
const ROOM: i64 = 200;

/// The tables a session or a sitting writes: on a full disk every write to them needs a new page.
const WRITTEN: [&str; 6] = [
    "reviews",
    "card_states",
    "flags",
    "sessions",
    "attempts",
    "attempt_answers",
];

/// The other program: a second connection that takes the write lock or fills the disk when the learner's script
/// says so (`arm`), and lets go when the learner retries (`release`).
struct Blocker {
    conn: Connection,
    attack: Attack,
    /// The session connection's `max_page_count`.
    max_pages: i64,
    armed: bool,
}

impl Blocker {
    /// Gives the store the short busy timeout and, for a full disk, a page limit `ROOM` pages above its size.
    fn new(store: &mut Store, attack: Attack) -> Blocker {
        store.set_busy_timeout(TIMEOUT).expect("timeout");
        let pages: i64 = pragma(&store.conn, "page_count");
        let max_pages: i64 = store
            .conn
            .query_row(
                &format!("PRAGMA max_page_count = {}", pages + ROOM),
                [],
                |r| r.get(0),
            )
            .expect("max_page_count");
        assert_eq!(max_pages, pages + ROOM);
        Blocker {
            conn: Connection::open(&store.path).expect("second connection"),
            attack,
            max_pages,
            armed: false,
        }
    }

    /// Busy: takes the write lock and keeps it. Full: every write to the session's tables now needs new pages
    /// (a trigger spills a few pages' worth), and a ballast takes every page the session may still grow into.
    fn arm(&mut self) {
        if self.armed {
            return;
        }
        self.armed = true;
        match self.attack {
            Attack::Busy => self.conn.execute_batch("BEGIN IMMEDIATE").expect("lock"),
            Attack::Full => {
                let mut sql = String::from(
                    "CREATE TABLE IF NOT EXISTS ballast (b BLOB); CREATE TABLE IF NOT EXISTS spill (b BLOB);",
                );
                for table in WRITTEN {
                    for op in ["INSERT", "UPDATE", "DELETE"] {
                        sql.push_str(&format!(
                            "CREATE TRIGGER IF NOT EXISTS spill_{table}_{op} AFTER {op} ON {table} \
                             BEGIN INSERT INTO spill VALUES (zeroblob(4 * 4096)); END;"
                        ));
                    }
                }
                self.conn.execute_batch(&sql).expect("triggers");
                let page: i64 = pragma(&self.conn, "page_size");
                let pages: i64 = pragma(&self.conn, "page_count");
                let free: i64 = pragma(&self.conn, "freelist_count");
                let need = self.max_pages - pages + free + 64;
                self.conn
                    .execute("INSERT INTO ballast VALUES (zeroblob(?1))", [need * page])
                    .expect("fill");
                assert_eq!(pragma(&self.conn, "freelist_count"), 0);
                assert!(pragma(&self.conn, "page_count") > self.max_pages);
            }
        }
    }

    /// Lets go: the lock released, or the ballast deleted (its pages free for the session to reuse).
    fn release(&mut self) {
        if !self.armed {
            return;
        }
        self.armed = false;
        match self.attack {
            Attack::Busy => self.conn.execute_batch("ROLLBACK").expect("release"),
            Attack::Full => self
                .conn
                .execute_batch("DELETE FROM ballast")
                .expect("free"),
        }
    }
}

fn pragma(conn: &Connection, name: &str) -> i64 {
    conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        .expect("pragma")
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

/// What the learner saw of the attack: the reason of each failed write (the retry offers), and whether the
/// waiting notice came first. A busy disk is waited on and says so; a full one is not waited on.
fn saw_the_attack<S: Script>(p: &Scripted<S>, attack: Attack) {
    assert!(!p.unsaved.is_empty(), "a retry was offered");
    for problem in &p.unsaved {
        assert!(problem.contains("could not be saved"), "{problem}");
        let reason = match attack {
            Attack::Busy => "database is locked",
            Attack::Full => "database or disk is full",
        };
        assert!(problem.contains(reason), "{attack:?}: {problem}");
    }
    let waited = p.messages.iter().any(|m| m == WAITING);
    assert_eq!(waited, attack == Attack::Busy, "{:?}", p.messages);
}

// ------------------------------------------------------------------------------------------------ a study session

/// The study actions.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Act {
    Answer,
    Flag,
    Unflag,
    Override,
    Undo,
    End,
}

const ACTS: [Act; 6] = [
    Act::Answer,
    Act::Flag,
    Act::Unflag,
    Act::Override,
    Act::Undo,
    Act::End,
];

/// A learner who answers (the first option, "true", "x": the typed card's answer is wrong), does `act` once with
/// the disk attacked just before it, then ends the session; at the retry offer, retries after the other program
/// lets go, or quits.
struct Learner {
    act: Act,
    blocker: Blocker,
    retry: bool,
    /// The action was done (or at least tried).
    done: bool,
}

impl Script for Learner {
    fn answer(&mut self, ask: &Ask) -> Reply<Answer> {
        if self.done {
            // The card an undo took back, asked again.
            return Reply::Quit;
        }
        if self.act == Act::Answer {
            self.blocker.arm();
            self.done = true;
        }
        Reply::Answer(match ask {
            Ask::Judge { .. } => Answer::Judge(true),
            Ask::Type { .. } => Answer::Type("x".into()),
            _ => first_option(ask),
        })
    }

    fn then(&mut self, f: &Feedback) -> Action {
        if self.done {
            return Action::Quit;
        }
        let action = match self.act {
            Act::Answer => return Action::Quit,
            Act::Flag => Action::Flag(Some("the year is wrong".into())),
            Act::Unflag if !f.flagged => return Action::Flag(None),
            Act::Unflag => Action::Unflag,
            Act::Override if !f.can_override => return Action::Next,
            Act::Override => Action::Override,
            Act::Undo => Action::Undo,
            Act::End => Action::Quit,
        };
        self.blocker.arm();
        self.done = true;
        action
    }

    fn retry(&mut self, _: &str) -> Reply<bool> {
        if self.retry {
            self.blocker.release();
            return Reply::Answer(true);
        }
        Reply::Quit
    }
}

/// Runs a study session of the sample deck in which the learner does `act` under `attack`, retrying or not;
/// returns the summary, what the learner saw, and the store (the other program has let go).
fn study(
    act: Act,
    attack: Attack,
    retry: bool,
) -> (tempfile::TempDir, Store, Summary, Scripted<Learner>) {
    let (dir, mut store) = sample_store();
    let ann = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
    let blocker = Blocker::new(&mut store, attack);
    let mut p = Scripted::new(Learner {
        act,
        blocker,
        retry,
        done: false,
    });
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let clock = TestClock::new(UnixMs(1_700_000_000_000), 3_000);
    let opts = StudyOptions {
        seed: 7,
        ..Default::default()
    };
    let session = Session::start(&mut store, &ann, opts, &clock, cal).expect("start");
    let summary = session
        .run(&mut p)
        .expect("the session ends with its summary");
    assert!(p.script.done, "{act:?} was done");
    p.script.blocker.release();
    (dir, store, summary, p)
}

/// Whether the action is in the database.
fn study_done(conn: &Connection, act: Act) -> bool {
    match act {
        Act::Answer => count(conn, "SELECT count(*) FROM reviews WHERE retracted = 0") == 1,
        Act::Flag => count(conn, "SELECT count(*) FROM flags WHERE state = 'open'") == 1,
        Act::Unflag => count(conn, "SELECT count(*) FROM flags WHERE state = 'withdrawn'") == 1,
        Act::Override => count(conn, "SELECT count(*) FROM reviews WHERE rule = 'override'") == 1,
        Act::Undo => count(conn, "SELECT count(*) FROM reviews WHERE retracted = 0") == 0,
        Act::End => {
            count(
                conn,
                "SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL",
            ) == 1
        }
    }
}

/// What the summary calls the action when it was not saved.
fn study_named(act: Act) -> &'static str {
    match act {
        Act::Answer => "your answer \"",
        Act::Flag => "your flag on",
        Act::Unflag => "taking back your flag on",
        Act::Override => "\"I was right\" on your answer to",
        Act::Undo => "taking back your answer to",
        Act::End => "the end of this session",
    }
}

/// Nothing half-written: every card with a review has the state its last review left, no flag without its
/// answer's card, and the file is sound.
fn whole(conn: &Connection) {
    assert_eq!(
        count(
            conn,
            "SELECT count(DISTINCT card_id) FROM reviews WHERE retracted = 0"
        ),
        count(conn, "SELECT count(*) FROM card_states"),
        "every reviewed card has its state"
    );
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(ok, "ok");
}

/// Attack: each study action meets a busy lock held past the timeout, or a full disk; the learner retries once
/// the other program lets go. The action must be saved, after the waiting notice when busy, and the summary must
/// name nothing as unsaved.
#[test]
fn every_study_action_is_saved_when_the_learner_retries() {
    for attack in ATTACKS {
        for act in ACTS {
            let (_dir, store, summary, p) = study(act, attack, true);
            saw_the_attack(&p, attack);
            assert_eq!(summary.unsaved, None, "{act:?} {attack:?}");
            assert!(study_done(&store.conn, act), "{act:?} {attack:?}: saved");
            whole(&store.conn);
        }
    }
}

/// Attack: each study action meets a busy lock or a full disk and the learner quits instead of retrying. The
/// summary must name the action as not saved, and the database hold nothing of it.
#[test]
fn every_study_action_the_learner_gives_up_on_is_named_and_not_half_written() {
    for attack in ATTACKS {
        for act in ACTS {
            let (_dir, store, summary, p) = study(act, attack, false);
            saw_the_attack(&p, attack);
            let unsaved = summary.unsaved.unwrap_or_default();
            assert!(
                unsaved.contains(study_named(act)),
                "{act:?} {attack:?}: {unsaved}"
            );
            assert!(
                !study_done(&store.conn, act),
                "{act:?} {attack:?}: not saved"
            );
            whole(&store.conn);
        }
    }
}

/// The notice and the timeout are the ones the learner meets outside tests: a store opens with the 30-second
/// busy timeout, and the waiting notice is the sentence the product promises.
#[test]
fn a_store_waits_thirty_seconds_and_the_notice_says_why() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(&dir.path().join("t.db")).expect("open");
    assert_eq!(store.busy_timeout(), Duration::from_secs(30));
    store.set_busy_timeout(TIMEOUT).expect("set");
    assert_eq!(store.busy_timeout(), TIMEOUT);
    assert_eq!(
        WAITING,
        "Waiting for the database (another detente is writing)\u{2026}"
    );
}

/// An exam's start, answers and end under the same attacks.
mod exam;
