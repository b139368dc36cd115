//! Reliability: what must hold when many processes use one database at once. Twenty processes open a database
//! that does not exist yet, or one written by an older detente, at the same moment: every one succeeds, the schema
//! is migrated once, and the built-in decks are loaded once.

use std::path::Path;
use std::process::{Command, Stdio};

const PROCESSES: usize = 20;

/// Starts `PROCESSES` `detente due --json` (each as its own learner) on `db` at once and returns how many failed, with their messages.
fn open_at_once(db: &Path) -> Vec<String> {
    let children: Vec<_> = (0..PROCESSES)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_detente"))
                .args(["due", "--json"])
                .env("DETENTE_DB", db)
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
            conn.execute_batch(include_str!("../migrations/0001_init.sql"))
                .expect("0001");
            conn.execute_batch(include_str!("../migrations/0002_card_reset.sql"))
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

    use detente::deck::parse_deck;
    use detente::schedule::Calendar;
    use detente::session::{
        Action, Clock, Feedback, Prompter, Question, Reply, Session, StudyOptions, Summary,
    };
    use detente::store::{self, Store};
    use std::cell::Cell;
    use std::time::Duration;

    struct Ticking(Cell<i64>);
    impl Clock for Ticking {
        fn now_ms(&self) -> i64 {
            let t = self.0.get();
            self.0.set(t + 3_000);
            t
        }
    }

    /// Picks the first option of everything, overrides wrong verdicts when asked to, and holds the database's
    /// write lock from another connection until it is asked to retry.
    struct Learner {
        blocker: Option<rusqlite::Connection>,
        retry: bool,
        retries: usize,
        answers: usize,
        override_wrong: bool,
        overridden: usize,
    }

    impl Learner {
        fn answer<T>(&mut self, value: T) -> detente::Result<Reply<T>> {
            self.answers += 1;
            Ok(if self.answers > 3 {
                Reply::Quit
            } else {
                Reply::Answer(value)
            })
        }
    }

    impl Prompter for Learner {
        fn choose(&mut self, _: &Question, _: &str, _: &[String]) -> detente::Result<Reply<usize>> {
            self.answer(0)
        }
        fn choose_many(
            &mut self,
            _: &Question,
            _: &[String],
        ) -> detente::Result<Reply<Vec<usize>>> {
            self.answer(vec![0])
        }
        fn judge(&mut self, _: &Question) -> detente::Result<Reply<bool>> {
            self.answer(true)
        }
        fn type_answer(&mut self, _: &Question) -> detente::Result<Reply<String>> {
            self.answer("x".into())
        }
        fn reveal(&mut self, _: &Question, _: &str) -> detente::Result<Reply<u8>> {
            self.answer(3)
        }
        fn feedback(&mut self, f: &Feedback) -> detente::Result<Reply<Action>> {
            if self.override_wrong && f.can_override {
                self.overridden += 1;
                return Ok(Reply::Answer(Action::Override));
            }
            Ok(Reply::Answer(Action::Next))
        }
        fn message(&mut self, _: &str) {}
        fn summary(&mut self, _: &Summary) {}
        fn retry(&mut self, problem: &str) -> detente::Result<Reply<bool>> {
            assert!(problem.contains("could not be saved"), "{problem}");
            self.retries += 1;
            if self.retry {
                // The other program lets go of the database.
                if let Some(b) = self.blocker.take() {
                    b.execute_batch("ROLLBACK").expect("release");
                }
                return Ok(Reply::Answer(true));
            }
            Ok(Reply::Quit)
        }
    }

    fn setup() -> (tempfile::TempDir, std::path::PathBuf, Store) {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("d.db");
        let mut store = Store::open(&path).expect("open");
        let (deck, _) = parse_deck("sample.toml", include_str!("data/sample.toml"));
        let tx = store.write().expect("tx");
        store::import_deck(&tx, &deck.expect("valid"), false, None, 0).expect("import");
        tx.commit().expect("commit");
        (dir, path, store)
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.conn.query_row(sql, [], |r| r.get(0)).expect("count")
    }

    fn run(store: &mut Store, learner: &mut Learner) -> Summary {
        let ann = store::learner_get_or_create(store, "ann", 0).expect("learner");
        let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
        let clock = Ticking(Cell::new(1_700_000_000_000));
        let opts = StudyOptions {
            seed: 7,
            ..Default::default()
        };
        let session = Session::start(store, &ann, opts, &clock, cal).expect("start");
        // Another program takes the write lock once the session has started, and keeps it.
        if let Some(b) = &learner.blocker {
            b.execute_batch("BEGIN IMMEDIATE").expect("lock");
        }
        session.run(learner).expect("run")
    }

    fn blocked(path: &std::path::Path, retry: bool) -> Learner {
        Learner {
            blocker: Some(rusqlite::Connection::open(path).expect("second connection")),
            retry,
            retries: 0,
            answers: 0,
            override_wrong: false,
            overridden: 0,
        }
    }

    #[test]
    fn a_busy_database_keeps_the_answer_until_it_can_be_saved() {
        let (_dir, path, mut store) = setup();
        store
            .conn
            .busy_timeout(Duration::from_millis(50))
            .expect("timeout");
        let mut learner = blocked(&path, true);
        let summary = run(&mut store, &mut learner);
        assert_eq!(learner.retries, 1);
        assert_eq!(summary.unsaved, None);
        assert_eq!(summary.done, 3);
        assert_eq!(count(&store, "SELECT count(*) FROM reviews"), 3);
    }

    #[test]
    fn quitting_with_an_unsaved_answer_writes_nothing_partial_and_says_which() {
        let (_dir, path, mut store) = setup();
        store
            .conn
            .busy_timeout(Duration::from_millis(50))
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
        let mut learner = Learner {
            blocker: None,
            retry: false,
            retries: 0,
            answers: 0,
            override_wrong: true,
            overridden: 0,
        };
        let summary = run(&mut store, &mut learner);
        assert!(learner.overridden > 0, "a wrong answer was overridden");
        assert_eq!(summary.done, 3);
        assert_eq!(summary.right, 3);
        assert_eq!(count(&store, "SELECT count(*) FROM reviews"), 3);
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM reviews WHERE rule = 'override'"
            ) as usize,
            learner.overridden
        );
        assert_eq!(
            count(&store, "SELECT count(*) FROM reviews WHERE rule = 'wrong'"),
            0
        );
    }
}
