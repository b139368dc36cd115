//! Reliability: what must hold when many processes use one database at once, when an action is stopped half way,
//! and when the input is hostile or malformed. Twenty processes open a database that does not exist yet, or one
//! written by an older detente, at the same moment: every one succeeds, the schema is migrated once, and the
//! built-in decks are loaded once. An answer that cannot be saved is kept; an override or an undo stopped between
//! its halves leaves nothing partial. Hostile strings never reach the output raw (`reliability/hostile.rs`); the
//! malformed-input corpus is refused with exit 65 and the database unchanged (`reliability/malformed.rs`). Reading
//! commands work on a read-only database, and files are written whole.

use crate::support::process;
use std::path::Path;
use std::process::Stdio;

const PROCESSES: usize = 20;

/// Starts `PROCESSES` `detente due --json` (each as its own learner) on `db` at once and returns how many failed, with their messages.
fn open_at_once(db: &Path) -> Vec<String> {
    let children: Vec<_> = (0..PROCESSES)
        .map(|i| {
            process(db)
                .args(["due", "--json"])
                .env("DETENTE_LEARNER", format!("learner{i}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .filter(|o| !o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .collect()
}

fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .expect("open")
        .query_row(sql, [], |r| r.get(0))
        .expect("count")
}

fn check(db: &Path) {
    let failures = open_at_once(db);
    assert!(
        failures.is_empty(),
        "{} of {PROCESSES} failed: {failures:#?}",
        failures.len()
    );
    assert_eq!(
        count(db, "PRAGMA user_version"),
        detente::store::SCHEMA_VERSION
    );
    assert_eq!(count(db, "SELECT count(*) FROM decks WHERE builtin = 1"), 5);
    assert_eq!(count(db, "SELECT count(*) FROM learners"), PROCESSES as i64);
    let ok: String = rusqlite::Connection::open(db)
        .expect("open")
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(ok, "ok");
}

#[test]
fn many_processes_create_a_new_database_at_once() {
    for round in 0..3 {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join(format!("new{round}.db"));
        check(&db);
    }
}

#[test]
fn many_processes_upgrade_an_old_database_at_once() {
    for round in 0..3 {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join(format!("old{round}.db"));
        {
            let conn = rusqlite::Connection::open(&db).expect("open");
            conn.execute_batch(include_str!("../../migrations/0001_init.sql"))
                .expect("0001");
            conn.execute_batch(include_str!("../../migrations/0002_card_reset.sql"))
                .expect("0002");
            conn.execute_batch("PRAGMA user_version = 2")
                .expect("version");
        }
        check(&db);
    }
}

mod answers {
    //! An answer that cannot be written is kept: the learner may retry, or quit knowing it was not saved. An
    //! override replaces the wrong verdict in one transaction.

    use crate::support::{Answer, Ask, Script, Scripted, TestClock, first_option, sample_store};
    use detente::schedule::Calendar;
    use detente::session::{Action, Feedback, Reply, Session, StudyOptions, Summary};
    use detente::store::{self, Store};
    use detente::time::UnixMs;
    use std::time::Duration;

    /// Picks the first option of everything, judges true, types "x", quits after three answers, overrides wrong
    /// verdicts when asked to, and holds the database's write lock from another connection until it is asked to
    /// retry.
    #[derive(Default)]
    struct Learner {
        blocker: Option<rusqlite::Connection>,
        retry: bool,
        answers: usize,
        override_wrong: bool,
        overridden: usize,
        /// Undo the first answer.
        undo_first: bool,
        /// SQL run from another connection just before the learner overrides or undoes: triggers that make the
        /// action's second half fail, as a kill between its halves would stop it.
        sabotage: Option<(rusqlite::Connection, &'static str)>,
    }

    impl Script for Learner {
        fn answer(&mut self, ask: &Ask) -> Reply<Answer> {
            self.answers += 1;
            if self.answers > 3 {
                return Reply::Quit;
            }
            Reply::Answer(match ask {
                Ask::Judge { .. } => Answer::Judge(true),
                Ask::Type { .. } => Answer::Type("x".into()),
                _ => first_option(ask),
            })
        }
        fn then(&mut self, f: &Feedback) -> Action {
            let wants_override = self.override_wrong && f.can_override;
            if (wants_override || self.undo_first)
                && let Some((conn, sql)) = self.sabotage.take()
            {
                conn.execute_batch(sql).expect("sabotage");
            }
            if self.undo_first {
                self.undo_first = false;
                return Action::Undo;
            }
            if wants_override {
                self.overridden += 1;
                return Action::Override;
            }
            Action::Next
        }
        fn retry(&mut self, problem: &str) -> Reply<bool> {
            assert!(problem.contains("could not be saved"), "{problem}");
            if self.retry {
                // The other program lets go of the database.
                if let Some(b) = self.blocker.take() {
                    b.execute_batch("ROLLBACK").expect("release");
                }
                return Reply::Answer(true);
            }
            Reply::Quit
        }
    }

    fn setup() -> (tempfile::TempDir, std::path::PathBuf, Store) {
        let (dir, store) = sample_store();
        let path = store.path.clone();
        (dir, path, store)
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.conn.query_row(sql, [], |r| r.get(0)).expect("count")
    }

    fn run(store: &mut Store, learner: &mut Scripted<Learner>) -> Summary {
        let ann = store::learner_get_or_create(store, "ann", 0).expect("learner");
        let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
        let clock = TestClock::new(UnixMs(1_700_000_000_000), 3_000);
        let opts = StudyOptions {
            seed: 7,
            ..Default::default()
        };
        let session = Session::start(store, &ann, opts, &clock, cal).expect("start");
        // Another program takes the write lock once the session has started, and keeps it.
        if let Some(b) = &learner.script.blocker {
            b.execute_batch("BEGIN IMMEDIATE").expect("lock");
        }
        session.run(learner).expect("run")
    }

    fn blocked(path: &std::path::Path, retry: bool) -> Scripted<Learner> {
        Scripted::new(Learner {
            blocker: Some(rusqlite::Connection::open(path).expect("second connection")),
            retry,
            ..Default::default()
        })
    }

    #[test]
    fn a_busy_database_keeps_the_answer_until_it_can_be_saved() {
        let (_dir, path, mut store) = setup();
        store
            .set_busy_timeout(Duration::from_millis(50))
            .expect("timeout");
        let mut learner = blocked(&path, true);
        let summary = run(&mut store, &mut learner);
        assert_eq!(learner.unsaved.len(), 1);
        assert_eq!(summary.unsaved, None);
        assert_eq!(summary.done, 3);
        assert_eq!(count(&store, "SELECT count(*) FROM reviews"), 3);
    }

    #[test]
    fn quitting_with_an_unsaved_answer_writes_nothing_partial_and_says_which() {
        let (_dir, path, mut store) = setup();
        store
            .set_busy_timeout(Duration::from_millis(50))
            .expect("timeout");
        let mut learner = blocked(&path, false);
        let summary = run(&mut store, &mut learner);
        drop(learner);
        assert_eq!(summary.done, 0);
        let unsaved = summary.unsaved.expect("the unsaved answer is named");
        assert!(unsaved.contains("sample/nrc-refresh"), "{unsaved}");
        assert_eq!(count(&store, "SELECT count(*) FROM reviews"), 0);
        assert_eq!(count(&store, "SELECT count(*) FROM card_states"), 0);
    }

    #[test]
    fn an_override_replaces_the_wrong_verdict_in_the_log() {
        let (_dir, _path, mut store) = setup();
        let mut learner = Scripted::new(Learner {
            override_wrong: true,
            ..Default::default()
        });
        let summary = run(&mut store, &mut learner);
        assert!(
            learner.script.overridden > 0,
            "a wrong answer was overridden"
        );
        assert_eq!(summary.done, 3);
        assert_eq!(summary.right, 3);
        assert_eq!(
            count(&store, "SELECT count(*) FROM reviews WHERE retracted = 0"),
            3
        );
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM reviews WHERE rule = 'override'"
            ) as usize,
            learner.script.overridden
        );
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM reviews WHERE rule = 'wrong' AND retracted = 0"
            ),
            0
        );
    }

    /// Triggers that stop any write to the card states: the second half of an override (after its review is
    /// replaced) and of an undo (after its review is deleted).
    const STOP_STATES: &str = "
        CREATE TRIGGER stop_insert BEFORE INSERT ON card_states BEGIN SELECT RAISE(ABORT, 'killed'); END;
        CREATE TRIGGER stop_update BEFORE UPDATE ON card_states BEGIN SELECT RAISE(ABORT, 'killed'); END;
        CREATE TRIGGER stop_delete BEFORE DELETE ON card_states BEGIN SELECT RAISE(ABORT, 'killed'); END;";

    /// The review log and the card states, as rows of text.
    fn snapshot(store: &Store) -> (Vec<String>, Vec<String>) {
        let rows = |sql: &str| -> Vec<String> {
            let mut stmt = store.conn.prepare(sql).expect("prepare");
            stmt.query_map([], |r| r.get::<_, String>(0))
                .expect("query")
                .map(|r| r.expect("row"))
                .collect()
        };
        (
            rows(
                "SELECT id || ' ' || card_id || ' ' || rule || ' ' || rating FROM reviews ORDER BY id",
            ),
            rows(
                "SELECT card_id || ' ' || phase || ' ' || due || ' ' || reps FROM card_states ORDER BY card_id",
            ),
        )
    }

    #[test]
    fn an_override_stopped_between_its_halves_leaves_the_wrong_verdict_whole() {
        let (_dir, path, mut store) = setup();
        let mut learner = Scripted::new(Learner {
            override_wrong: true,
            sabotage: Some((
                rusqlite::Connection::open(&path).expect("conn"),
                STOP_STATES,
            )),
            ..Default::default()
        });
        let ann = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
        let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
        let clock = TestClock::new(UnixMs(1_700_000_000_000), 3_000);
        let opts = StudyOptions {
            seed: 7,
            ..Default::default()
        };
        let session = Session::start(&mut store, &ann, opts, &clock, cal).expect("start");
        // The session may end with the error, or keep the answer and offer to retry: either way nothing partial.
        let result = session.run(&mut learner);
        assert!(
            learner.script.sabotage.is_none(),
            "a wrong answer was overridden: {result:?}"
        );
        let (reviews, states) = snapshot(&store);
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM reviews WHERE rule = 'override'"
            ),
            0,
            "{reviews:?}"
        );
        assert_eq!(
            count(&store, "SELECT count(*) FROM reviews WHERE rule = 'wrong'"),
            1,
            "the wrong verdict is still in the log: {reviews:?}"
        );
        // Every reviewed card still has the state its last review left.
        assert_eq!(
            count(
                &store,
                "SELECT count(DISTINCT card_id) FROM reviews WHERE card_id NOT IN (SELECT card_id FROM card_states)"
            ),
            0,
            "{states:?}"
        );
        assert_eq!(reviews.len(), states.len(), "{reviews:?} {states:?}");
    }

    #[test]
    fn an_undo_stopped_between_its_halves_takes_nothing_back() {
        let (_dir, path, mut store) = setup();
        let mut learner = Scripted::new(Learner {
            undo_first: true,
            sabotage: Some((
                rusqlite::Connection::open(&path).expect("conn"),
                STOP_STATES,
            )),
            ..Default::default()
        });
        let ann = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
        let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
        let clock = TestClock::new(UnixMs(1_700_000_000_000), 3_000);
        let opts = StudyOptions {
            seed: 7,
            ..Default::default()
        };
        let session = Session::start(&mut store, &ann, opts, &clock, cal).expect("start");
        let result = session.run(&mut learner);
        assert!(learner.script.sabotage.is_none(), "the undo was tried");
        let (reviews, states) = snapshot(&store);
        // However the session ended, the undo happened whole or not at all: the review and the state it set
        // are both there, or both gone.
        assert_eq!(
            reviews.len(),
            states.len(),
            "{result:?}: {reviews:?} {states:?}"
        );
        assert_eq!(reviews.len(), 1, "{result:?}: the undo was refused whole");
    }

    /// No user action is left in two transactions: the session's writes go through `Session::commit` (answer,
    /// override) and `Session::undo`, one transaction each. A new `store.write()` inside the answer loop would show
    /// here first.
    #[test]
    fn every_action_of_the_session_is_one_transaction() {
        let src = include_str!("../../src/session/mod.rs");
        let undo = src
            .split("fn undo(")
            .nth(1)
            .and_then(|s| s.split("\n    fn ").next())
            .expect("undo");
        assert_eq!(undo.matches("store.write()").count(), 1, "undo: {undo}");
        assert_eq!(undo.matches("commit()").count(), 1, "undo: {undo}");
    }
}

/// Hostile strings through every command that prints.
mod hostile;

/// Malformed rosters, bundles, decks, exams and GIFT files are refused, exit 65, the database byte for byte unchanged.
mod malformed;

mod files {
    //! Reading commands on a read-only database, and files written whole or not at all.

    use crate::support::{as_teacher, run};
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    fn sample() -> String {
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sample.toml").to_string()
    }

    fn read_only(path: &Path) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    }

    #[test]
    fn reading_commands_work_on_a_read_only_database() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("ro.db");
        for args in [vec!["deck", "import", &sample()], vec!["due"]] {
            let out = run(as_teacher(&db), &args);
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        read_only(&db);
        let before = std::fs::read(&db).expect("db");
        for args in [
            vec!["decks"],
            vec!["due"],
            vec!["stats"],
            vec!["stats", "--class"],
            vec!["learner", "list"],
            vec!["exam", "list"],
            vec!["grades", "export", "--format", "native"],
            vec!["report", "flags"],
            vec!["report", "items", "--deck", "sample"],
            vec!["deck", "export", "sample", "--format", "gift"],
        ] {
            let out = run(as_teacher(&db), &args);
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let out = run(as_teacher(&db), &["learner", "add", "zed"]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is read-only"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(std::fs::read(&db).expect("db"), before);
    }

    #[test]
    fn a_read_only_database_of_an_older_version_is_not_migrated_and_says_why() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("old.db");
        {
            let conn = rusqlite::Connection::open(&db).expect("open");
            conn.execute_batch(include_str!("../../migrations/0001_init.sql"))
                .expect("0001");
            conn.execute_batch("PRAGMA user_version = 1")
                .expect("version");
        }
        read_only(&db);
        let before = std::fs::read(&db).expect("db");
        let out = run(as_teacher(&db), &["decks"]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("older detente") && err.contains("writable"),
            "{err}"
        );
        assert_eq!(std::fs::read(&db).expect("db"), before);
        assert!(!db.with_extension("db-wal").exists(), "no WAL was set up");
    }

    #[test]
    fn reports_and_new_decks_are_written_whole_and_never_over_a_deck() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("w.db");
        let html = dir.path().join("report.html");
        std::fs::write(&html, "old report").expect("write");
        let out = run(
            as_teacher(&db),
            &["report", "--html", html.to_str().expect("utf-8")],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            std::fs::read_to_string(&html)
                .expect("read")
                .starts_with("<!")
        );
        let deck = dir.path().join("mine.toml");
        std::fs::write(&deck, "my own deck").expect("write");
        let out = run(
            as_teacher(&db),
            &["deck", "new", deck.to_str().expect("utf-8")],
        );
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(std::fs::read_to_string(&deck).expect("read"), "my own deck");
        let fresh = dir.path().join("fresh.toml");
        let out = run(
            as_teacher(&db),
            &["deck", "new", fresh.to_str().expect("utf-8")],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            std::fs::read_to_string(&fresh)
                .expect("read")
                .contains("[deck]")
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }
}
