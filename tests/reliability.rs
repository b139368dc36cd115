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
