//! The class server's operations and one learner's data. `learner export` and `learner delete` (every build) on a
//! database where two learners did everything a learner can (study with an undo, a flag, an exam, an enrolment
//! code, this device's enrolment, an unsigned bundle taken): the tests list every table of the schema with a
//! `learner_id` column, so a table a later migration adds is checked without being named here. With the `server`
//! feature: `admin backup` while reviews are written, `admin restore` against a running server and files that are
//! not detente databases, `admin adopt` of a lab's database.
//!
//! One concern: the operations on a whole database and on one learner's rows, which share their fixture (a database
//! where every learner table has rows) and their row dumps; over 600 lines because each test spells out its attack.

use crate::support::{FirstOption, Scripted, TestClock, first_option, process, with_sample};
use detente::enrol::Key;
use detente::exam::Exam;
use detente::session::exam::{Sitting, exam_row};
use detente::session::{Action, Feedback, Reply, Session, StudyOptions};
use detente::store;
use detente::time::UnixMs;
use rusqlite::Connection;
use std::path::Path;
use std::process::Output;

const EXAM: &str = r#"{"id":"mid","title":"Midterm","decks":["sample"],"questions":8,"paper":"same","seed":0,"attempts":2,"grading":"highest","pass_mark":50.0}"#;

fn run(db: &Path, args: &[&str]) -> Output {
    process(db).args(args).output().expect("run detente")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Answers the first option and undoes the first answer (a retracted review and its retraction event).
struct UndoOnce(bool);

impl crate::support::Script for UndoOnce {
    fn answer(&mut self, ask: &crate::support::Ask) -> Reply<crate::support::Answer> {
        Reply::Answer(first_option(ask))
    }
    fn then(&mut self, _: &Feedback) -> Action {
        if std::mem::take(&mut self.0) {
            Action::Undo
        } else {
            Action::Next
        }
    }
}

/// A database where each of `names` studied (with an undo), flagged a card, sat the exam, was issued an enrolment
/// code and had an unsigned bundle taken; the device is enrolled as the first. Every learner table has rows of
/// every learner but `device_enrolment` (one row).
pub(crate) fn everything(path: &Path, names: &[&str]) {
    let mut store = with_sample(path);
    let exam: Exam = serde_json::from_str(EXAM).expect("exam");
    let tx = store.write().expect("tx");
    store::upsert_exam(&tx, &exam_row(&exam, 0).expect("row")).expect("exam");
    tx.commit().expect("commit");
    for (i, name) in names.iter().enumerate() {
        let learner = store::learner_get_or_create(&mut store, name, 0).expect("learner");
        let clock = TestClock::new(UnixMs(1_700_000_000_000 + i as i64 * 10_000_000), 4_000);
        let opts = StudyOptions {
            seed: i as u64,
            limit: Some(4),
            ..Default::default()
        };
        let cal =
            detente::schedule::Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
        Session::start(&mut store, &learner, opts, &clock, cal)
            .expect("start")
            .run(&mut Scripted::new(UndoOnce(true)))
            .expect("study");
        Sitting::new(&mut store, &exam, &learner, &clock)
            .run(&mut Scripted::new(FirstOption))
            .expect("sit");
        let card: i64 = store
            .conn
            .query_row(
                "SELECT min(id) FROM cards WHERE deck_id = 'sample'",
                [],
                |r| r.get(0),
            )
            .expect("card");
        let key = Key::from_bytes(&[i as u8 + 7; 32]).expect("key");
        let tx = store.write().expect("tx");
        store::add_flag(&tx, learner.id, card, 5, Some("unclear")).expect("flag");
        store::issue_key(&tx, learner.id, &key, 6).expect("key");
        store::mark_unverified(&tx, learner.id, 7).expect("unverified");
        if i == 0 {
            store::set_device_key(&tx, learner.id, &key, 8).expect("device");
        }
        store::insert_device(&tx, learner.id, "laptop", &[i as u8 + 1; 32], 9).expect("tls device");
        store::link_lti_user(
            &tx,
            learner.id,
            "https://lms",
            &format!("u{i}"),
            "email",
            10,
        )
        .expect("lti link");
        let score = store::NewScore {
            learner_id: learner.id,
            issuer: "https://lms".into(),
            client_id: "c".into(),
            lineitems: "https://lms/li".into(),
            resource_id: "e".into(),
            label: "E".into(),
            user_id: format!("u{i}"),
            score_given: 1.0,
            score_maximum: 2.0,
            timestamp_ms: 11,
        };
        store::queue_score(&tx, &score, 12).expect("lti score");
        let device = format!("{:032x}", i + 1);
        store::set_acked(&tx, learner.id, "/run/detente/class.sock", &device, 3).expect("acked");
        store::set_pulled(
            &tx,
            learner.id,
            "/run/detente/class.sock",
            detente::sync::Cursor(5),
        )
        .expect("pulled");
        store::set_extra_time(&tx, &exam.id, learner.id, 10, "teacher prof", UnixMs(10))
            .expect("extra time");
        tx.commit().expect("commit");
    }
}

/// Every table of the schema with a `learner_id` column, as SQLite lists them.
fn learner_id_tables(conn: &Connection) -> Vec<String> {
    conn.prepare(
        "SELECT m.name FROM sqlite_master m WHERE m.type = 'table'
         AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'learner_id') ORDER BY m.name",
    )
    .unwrap()
    .query_map([], |r| r.get(0))
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// Every row of `table` picked by `condition` (on `?1`), each as its columns quoted by SQLite: the exact bytes.
fn dump(conn: &Connection, table: &str, condition: &str, learner: i64) -> Vec<String> {
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")
        .unwrap()
        .query_map([table], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let quoted: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
    let sql = format!(
        "SELECT {} FROM \"{table}\" WHERE {condition} ORDER BY 1",
        quoted.join(" || ',' || ")
    );
    conn.prepare(&sql)
        .unwrap()
        .query_map([learner], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn learner_id(conn: &Connection, name: &str) -> i64 {
    conn.query_row("SELECT id FROM learners WHERE name = ?1", [name], |r| {
        r.get(0)
    })
    .unwrap()
}

/// Attack: a forgotten table. Deleting a learner must leave none of their rows in any table of the schema with a
/// `learner_id` column (listed from the schema, so a table a later migration adds is checked too; the fixture must
/// give it rows or this test fails), nor their exam answers, and must leave every other learner's rows
/// byte-identical. Without `--yes` nothing is deleted (exit 2, the counts printed). Their attempts leave the grade
/// export.
#[test]
fn deleting_a_learner_leaves_no_row_of_theirs_in_any_learner_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    everything(&db, &["ann", "bob", "cy"]);
    let conn = Connection::open(&db).unwrap();
    let ann = learner_id(&conn, "ann");
    let tables = learner_id_tables(&conn);
    assert!(tables.len() >= 9, "{tables:?}");
    let answers = "attempt_id IN (SELECT id FROM attempts WHERE learner_id = ?1)";
    let others_answers = "attempt_id NOT IN (SELECT id FROM attempts WHERE learner_id = ?1)";
    for t in &tables {
        assert!(
            !dump(&conn, t, "learner_id = ?1", ann).is_empty(),
            "the fixture gives ann no row in {t}: add one to `everything`"
        );
    }
    assert!(!dump(&conn, "attempt_answers", answers, ann).is_empty());
    let others = |conn: &Connection| -> Vec<Vec<String>> {
        let mut all: Vec<Vec<String>> = tables
            .iter()
            .map(|t| dump(conn, t, "learner_id <> ?1", ann))
            .collect();
        all.push(dump(conn, "attempt_answers", others_answers, ann));
        all.push(dump(conn, "learners", "id <> ?1", ann));
        all
    };
    let before = others(&conn);
    let grades = |db: &Path| {
        let out = run(
            db,
            &["grades", "export", "--format", "native", "--exam", "mid"],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    assert!(grades(&db).contains("ann"));

    let asked = run(&db, &["learner", "delete", "ann"]);
    assert_eq!(asked.status.code(), Some(2), "{}", text(&asked.stderr));
    assert!(text(&asked.stderr).contains("nothing was deleted"));
    assert!(
        text(&asked.stdout).contains("attempt_answers"),
        "{}",
        text(&asked.stdout)
    );
    assert!(!dump(&conn, "reviews", "learner_id = ?1", ann).is_empty());

    let done = run(&db, &["learner", "delete", "ann", "--yes"]);
    assert!(done.status.success(), "{}", text(&done.stderr));
    for t in &tables {
        assert_eq!(
            dump(&conn, t, "learner_id = ?1", ann),
            Vec::<String>::new(),
            "{t}"
        );
    }
    assert!(dump(&conn, "learners", "id = ?1", ann).is_empty());
    assert_eq!(
        conn.query_row("SELECT count(*) FROM attempt_answers WHERE attempt_id NOT IN (SELECT id FROM attempts)", [], |r| r.get::<_, i64>(0)).unwrap(),
        0
    );
    assert_eq!(others(&conn), before, "other learners' rows changed");
    let fk: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk, 0);
    let g = grades(&db);
    assert!(!g.contains("ann") && g.contains("bob"), "{g}");
}

/// Attack: an export that leaks a key or leaves a table out. The export holds, for every learner table (from the
/// schema), exactly the learner's rows (counted against the database), their retracted review marked, and never
/// the enrolment key's bytes nor another learner's rows.
#[test]
fn a_learner_export_holds_every_learner_table_and_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    everything(&db, &["ann", "bob"]);
    let conn = Connection::open(&db).unwrap();
    let ann = learner_id(&conn, "ann");
    let bob = learner_id(&conn, "bob");
    let file = dir.path().join("ann.json");
    let out = run(
        &db,
        &[
            "learner",
            "export",
            "ann",
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let raw = std::fs::read_to_string(&file).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(doc["format"], "detente-learner-export");
    assert_eq!(doc["learner"]["name"], "ann");
    for t in learner_id_tables(&conn) {
        let rows = doc["tables"][&t]
            .as_array()
            .unwrap_or_else(|| panic!("{t} missing"));
        assert_eq!(
            rows.len(),
            dump(&conn, &t, "learner_id = ?1", ann).len(),
            "{t}"
        );
        assert!(rows.iter().all(|r| r["learner_id"] == ann), "{t}");
    }
    assert_eq!(
        doc["tables"]["attempt_answers"].as_array().unwrap().len(),
        dump(
            &conn,
            "attempt_answers",
            "attempt_id IN (SELECT id FROM attempts WHERE learner_id = ?1)",
            ann
        )
        .len()
    );
    let reviews = doc["tables"]["reviews"].as_array().unwrap();
    assert!(reviews.iter().any(|r| r["retracted"] == 1));
    assert!(reviews.iter().all(|r| r["card"]["deck"] == "sample"));
    let keys = &doc["tables"]["enrolment_keys"][0];
    assert!(
        keys.get("key").is_none() && keys["issued_at"] == 6,
        "{keys}"
    );
    assert!(!raw.contains(&"07".repeat(32)) && !raw.to_lowercase().contains("0707070707"));
    let bob_review: i64 = conn
        .query_row(
            "SELECT min(id) FROM reviews WHERE learner_id = ?1",
            [bob],
            |r| r.get(0),
        )
        .unwrap();
    assert!(reviews.iter().all(|r| r["id"] != bob_review));
    // To standard output without --output.
    let out = run(&db, &["learner", "export", "bob"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["learner"]["name"], "bob");
}

/// Attack: an old client on a lab machine after the server was upgraded past its protocol. The (fake) server
/// refuses it with 426, its header in the client's protocol (the "server first" answer docs/server.md describes; a
/// header outside the window gets the client's own message, `server.rs` checks that); the client prints the
/// server's words, which say which detente to install, exits 69 and saves no login.
#[test]
fn an_old_client_is_told_by_a_newer_server_which_detente_to_install() {
    use std::io::{Read, Write};
    let home = tempfile::tempdir().unwrap();
    let socket = home.path().join("newer.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let body = r#"{"error":"this class server runs detente 2.0.0 and speaks protocols 2 to 3; your detente speaks protocol 1: install a detente that speaks protocols 2 to 3 (ask the server's admin)"}"#;
    let answer = format!(
        "HTTP/1.1 426 Upgrade Required\r\ndetente-protocol: 1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut head = [0u8; 4096];
        let n = stream.read(&mut head).unwrap();
        let _ = stream.write_all(answer.as_bytes());
        text(&head[..n])
    });
    let out = process(&home.path().join("unused.db"))
        .env_remove("DETENTE_DB")
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .args(["login", socket.to_str().unwrap()])
        .output()
        .unwrap();
    let request = server.join().unwrap();
    assert!(
        request.to_lowercase().contains("detente-protocol: 1"),
        "{request}"
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(
        err.contains("speaks protocols 2 to 3; your detente speaks protocol 1"),
        "{err}"
    );
    assert!(err.contains("install a detente that speaks"), "{err}");
    assert!(
        !home
            .path()
            .join("config")
            .join("detente")
            .join("server.toml")
            .exists()
    );
}

/// Attack: the upgrade order the README gives (server first). A (fake) newer server whose window reaches back to
/// this client's protocol (`protocol_min` 1, `protocol` 2, answering in the client's version) must keep serving an
/// older client: `login` and `whoami` work; the client sent its own version on every request.
#[test]
fn an_older_client_keeps_working_with_a_newer_server_whose_window_holds_it() {
    use std::io::{Read, Write};
    let home = tempfile::tempdir().unwrap();
    let socket = home.path().join("newer.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let body = r#"{"server_version":"2.0.0","protocol":2,"protocol_min":1,"user":"ann","uid":1000,"role":"learner","learner":"ann","teacher_by":null}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\ndetente-protocol: 1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let server = std::thread::spawn(move || {
        let mut requests = Vec::new();
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut head = [0u8; 4096];
            let n = stream.read(&mut head).unwrap();
            let request = text(&head[..n]);
            if request.starts_with("STOP") {
                break;
            }
            let _ = stream.write_all(answer.as_bytes());
            requests.push(request);
        }
        requests
    });
    let detente = |args: &[&str]| {
        process(&home.path().join("unused.db"))
            .env_remove("DETENTE_DB")
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .args(args)
            .output()
            .unwrap()
    };
    let login = detente(&["login", socket.to_str().unwrap()]);
    let whoami = detente(&["whoami"]);
    std::os::unix::net::UnixStream::connect(&socket)
        .unwrap()
        .write_all(b"STOP")
        .unwrap();
    let requests = server.join().unwrap();
    assert_eq!(login.status.code(), Some(0), "{}", text(&login.stderr));
    assert_eq!(whoami.status.code(), Some(0), "{}", text(&whoami.stderr));
    assert!(
        text(&whoami.stdout).contains("detente 2.0.0"),
        "{}",
        text(&whoami.stdout)
    );
    assert!(requests.len() >= 2, "{requests:?}");
    for r in &requests {
        assert!(r.to_lowercase().contains("detente-protocol: 1"), "{r}");
    }
}

#[cfg(feature = "server")]
mod server {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

    /// A server's configuration in `dir`: the state folder `dir/state`, the socket `dir/run/class.sock`.
    fn config(dir: &Path) -> PathBuf {
        let path = dir.join("serve.toml");
        std::fs::write(
            &path,
            format!(
                "state_directory = {:?}\n[socket]\npath = {:?}\n",
                dir.join("state"),
                dir.join("run").join("class.sock")
            ),
        )
        .unwrap();
        path
    }

    fn database(dir: &Path) -> PathBuf {
        dir.join("state").join("detente.db")
    }

    /// This process's uid, as `id -u` says.
    fn my_uid() -> u32 {
        let out = std::process::Command::new("id").arg("-u").output().unwrap();
        text(&out.stdout).trim().parse().unwrap()
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// Writes one review and the card's state (whose `reps` counts the reviews) in each transaction, until told to
    /// stop; `written` is the number committed.
    fn writer(
        db: PathBuf,
        stop: Arc<AtomicBool>,
        written: Arc<AtomicI64>,
    ) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let mut conn = Connection::open(&db).unwrap();
            conn.busy_timeout(std::time::Duration::from_secs(30))
                .unwrap();
            let card: i64 = conn
                .query_row("SELECT min(id) FROM cards", [], |r| r.get(0))
                .unwrap();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let tx = conn.transaction().unwrap();
                tx.execute(
                    "INSERT INTO reviews (learner_id, card_id, reviewed_at, day, mode, response, correct, rule, rating,
                        duration_ms, phase_before, phase_after, step_after, stability_after, difficulty_after,
                        due_after, interval_days, elapsed_days)
                     VALUES (1, ?1, ?2, 0, 'study', '{}', 1, 'exact', 3, 1000, 0, 2, 0, 1.0, 5.0, 0, 1, 0)",
                    rusqlite::params![card, i],
                )
                .unwrap();
                tx.execute(
                    "INSERT INTO card_states (learner_id, card_id, phase, step, stability, difficulty, due,
                        last_review, last_day, interval, reps, lapses)
                     VALUES (1, ?1, 2, 0, 1.0, 5.0, 0, 0, 0, 1, ?2, 0)
                     ON CONFLICT (learner_id, card_id) DO UPDATE SET reps = ?2",
                    rusqlite::params![card, i],
                )
                .unwrap();
                tx.commit().unwrap();
                written.store(i, Ordering::SeqCst);
            }
        })
    }

    /// Attack: a write during the backup. While another connection commits a review and the card's state in each
    /// transaction, backups are taken: each passes `integrity_check`, holds the reviews 1..n with no gap (a prefix
    /// of the writes, at least those committed before it started) and a card state counting exactly n (no torn
    /// transaction); it is mode 0600, and the output may not be the live database or its WAL.
    #[test]
    fn a_backup_taken_while_reviews_are_written_is_a_consistent_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path());
        let db = database(dir.path());
        drop(with_sample(&db));
        let learner = run(&db, &["learner", "add", "ann"]);
        assert!(learner.status.success());
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicI64::new(0));
        let handle = writer(db.clone(), stop.clone(), written.clone());
        while written.load(Ordering::SeqCst) < 20 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let mut copies = Vec::new();
        for k in 0..3 {
            let before = written.load(Ordering::SeqCst);
            let out_path = dir.path().join(format!("b{k}.db"));
            let out = run(
                &db,
                &[
                    "admin",
                    "backup",
                    "--config",
                    cfg.to_str().unwrap(),
                    out_path.to_str().unwrap(),
                ],
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
            copies.push((out_path, before));
        }
        stop.store(true, Ordering::SeqCst);
        handle.join().unwrap();
        let total = written.load(Ordering::SeqCst);
        for (path, before) in copies {
            assert_eq!(mode(&path), 0o600);
            let c = Connection::open(&path).unwrap();
            let check: String = c
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok");
            let (n, max, sum): (i64, i64, i64) = c
                .query_row(
                    "SELECT count(*), coalesce(max(reviewed_at), 0), coalesce(sum(reviewed_at), 0) FROM reviews",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .unwrap();
            assert!(
                n >= before && n <= total,
                "{n} reviews, {before} before, {total} in all"
            );
            assert_eq!(
                (max, sum),
                (n, n * (n + 1) / 2),
                "reviews 1..{n} with no gap"
            );
            let reps: i64 = c
                .query_row("SELECT reps FROM card_states", [], |r| r.get(0))
                .unwrap();
            assert_eq!(reps, n, "the state and the reviews are of one moment");
        }
        for target in [db.clone(), dir.path().join("state").join("detente.db-wal")] {
            let out = run(
                &db,
                &[
                    "admin",
                    "backup",
                    "--config",
                    cfg.to_str().unwrap(),
                    target.to_str().unwrap(),
                ],
            );
            assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        }
        assert_eq!(
            Connection::open(&db)
                .unwrap()
                .query_row("SELECT count(*) FROM reviews", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            total
        );
    }

    /// Attack: a restore under a running server, and files that are not detente databases. A running server
    /// (its socket answers) is refused and its database left as it was; a text file, an SQLite file of another
    /// program and a detente database from a newer schema are refused; a real backup replaces the database (the
    /// learner added after the backup is gone), the replaced one is kept aside with that learner, mode 0600.
    #[test]
    fn restore_refuses_a_running_server_and_files_that_are_not_detente_databases() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path());
        let cfg_s = cfg.to_str().unwrap();
        let db = database(dir.path());
        super::server_admin_roster(&db);
        let backup = dir.path().join("backup.db");
        let out = run(
            &db,
            &[
                "admin",
                "backup",
                "--config",
                cfg_s,
                backup.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(run(&db, &["learner", "add", "late"]).status.success());

        let mut server = process(&db)
            .args(["serve", "--config", cfg_s])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let socket = dir.path().join("run").join("class.sock");
        for _ in 0..600 {
            if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let refused = run(
            &db,
            &[
                "admin",
                "restore",
                "--config",
                cfg_s,
                backup.to_str().unwrap(),
            ],
        );
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status();
        let _ = server.wait();
        assert!(kill.unwrap().success());
        assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
        assert!(
            text(&refused.stderr).contains("the class server is running"),
            "{}",
            text(&refused.stderr)
        );
        let names = |path: &Path| -> Vec<String> {
            Connection::open(path)
                .unwrap()
                .prepare("SELECT name FROM learners ORDER BY name")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        assert!(names(&db).contains(&"late".to_string()));

        let not_text = dir.path().join("notes.txt");
        std::fs::write(&not_text, "not a database\n".repeat(100)).unwrap();
        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        let newer = dir.path().join("newer.db");
        std::fs::copy(&backup, &newer).unwrap();
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", 999)
            .unwrap();
        for (file, code, says) in [
            (&not_text, 65, "is not a detente database"),
            (&other, 65, "is not a detente database"),
            (&newer, 1, "newer detente"),
        ] {
            let out = run(
                &db,
                &[
                    "admin",
                    "restore",
                    "--config",
                    cfg_s,
                    file.to_str().unwrap(),
                ],
            );
            assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
            assert!(text(&out.stderr).contains(says), "{}", text(&out.stderr));
        }
        assert!(
            names(&db).contains(&"late".to_string()),
            "a refused restore changed the database"
        );

        let out = run(
            &db,
            &[
                "admin",
                "restore",
                "--config",
                cfg_s,
                backup.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            !names(&db).contains(&"late".to_string()) && names(&db).contains(&"ann".to_string())
        );
        assert_eq!(mode(&db), 0o600);
        let aside: Vec<PathBuf> = std::fs::read_dir(dir.path().join("state"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains("detente.db.before-restore-"))
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert!(names(&aside[0]).contains(&"late".to_string()));
    }

    /// Attack: a lab database that students could all read, moved in as it is, or moved over a course already on
    /// the server. Adopted, it is the server's database with mode 0600 in a 0700 folder, and the learners without
    /// a username are named with the command that sets one; a second adoption is refused unless `--replace`,
    /// which keeps the old database aside.
    #[test]
    fn adopting_a_lab_database_makes_it_private_and_names_who_cannot_be_identified() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path());
        let cfg_s = cfg.to_str().unwrap();
        let lab = dir.path().join("lab.db");
        // The state folder belongs to the server's user (here `nobody`, when the test runs as root, as CI does):
        // the adopted database must be theirs, not the admin's; the folder is made 0700.
        let state = dir.path().join("state");
        std::fs::create_dir(&state).unwrap();
        let root = my_uid() == 0;
        if root {
            std::os::unix::fs::chown(&state, Some(65534), Some(65534)).unwrap();
        }
        assert!(
            run(&lab, &["learner", "add", "ann", "--username", "ann-login"])
                .status
                .success()
        );
        assert!(run(&lab, &["learner", "add", "Bob Lee"]).status.success());
        std::fs::set_permissions(&lab, std::fs::Permissions::from_mode(0o666)).unwrap();
        let out = run(
            &lab,
            &["admin", "adopt", "--config", cfg_s, lab.to_str().unwrap()],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let db = database(dir.path());
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&state), 0o700);
        if root {
            use std::os::unix::fs::MetadataExt;
            assert_eq!(
                std::fs::metadata(&db).unwrap().uid(),
                65534,
                "the state folder's owner's"
            );
        }
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains(&format!(
                "--db {} learner set 'Bob Lee' --username LOGIN",
                db.display()
            )),
            "{stdout}"
        );
        assert!(!stdout.contains("ann"), "{stdout}");

        let again = run(
            &lab,
            &["admin", "adopt", "--config", cfg_s, lab.to_str().unwrap()],
        );
        assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
        assert!(text(&again.stderr).contains("--replace"));
        let replaced = run(
            &lab,
            &[
                "admin",
                "adopt",
                "--config",
                cfg_s,
                lab.to_str().unwrap(),
                "--replace",
            ],
        );
        assert!(replaced.status.success(), "{}", text(&replaced.stderr));
        let aside = std::fs::read_dir(dir.path().join("state"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(".before-adopt-")
            })
            .count();
        assert_eq!(aside, 1);
    }
}

/// A server's database with two learners, each with a username.
#[cfg(feature = "server")]
fn server_admin_roster(db: &Path) {
    for (name, username) in [("ann", "ann-login"), ("bob", "bob-login")] {
        let out = run(db, &["learner", "add", name, "--username", username]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
}
