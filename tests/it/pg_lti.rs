//! LTI 1.3 on a class server on PostgreSQL: the fake LMS platform of `lti.rs` against a real `detente serve` with
//! `[tls]`, `[lti]` and `[postgres]`, its course adopted from a SQLite database by `detente admin adopt`. The
//! launch's link, the course's grade book and the outbox are read back from PostgreSQL's rows (as its superuser,
//! row security aside), and the SQLite database the course came from is checked to have none of them: the work
//! runs in PostgreSQL. Needs the `server` feature.

use crate::lti::{Laptop, Served, claims, data, session_of, setup, sign, text};
use crate::support::pg::{self, APP, OWNER, SUPERUSER};
use serde_json::{Value, json};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// The server's folder and platform of [`setup`], its SQLite course (ann and bob, and with `exams` a midterm each
/// closed at 8 of 10) moved to `lab.db` and adopted into a fresh PostgreSQL database the server is configured on.
fn served_on_pg(exams: bool) -> (Served, crate::lti::Platform, pg::Db, PathBuf) {
    let (dir, platform, platform_ca) = setup();
    let db_file = Served::database(dir.path());
    if exams {
        rusqlite::Connection::open(&db_file)
            .unwrap()
            .execute_batch(
                "INSERT INTO exams (id, title, definition, content_hash, questions, grading, pass_mark, loaded_at)
                 VALUES ('mid', 'Midterm', '{}', 'h', 10, 'highest', 0.5, 0);
                 INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, closed_at, score,
                     max_score)
                 SELECT 'mid', id, 1, 1, '[]', 0, 1700000000000, 8, 10 FROM learners;",
            )
            .unwrap();
    }
    let lab = dir.path().join("lab.db");
    std::fs::rename(&db_file, &lab).unwrap();
    let db = pg::cluster().database();
    let extra = format!(
        "[postgres]\nurl = {:?}\nowner_url = {:?}\npool_size = 4\n",
        db.url(APP),
        db.url(OWNER)
    );
    let served = Served::start_on(dir, &platform, &platform_ca, &extra, Some(&lab));
    (served, platform, db, lab)
}

/// How many rows `table` has in PostgreSQL (as the superuser: every learner's rows).
fn pg_count(db: &pg::Db, table: &str) -> i64 {
    db.client(SUPERUSER)
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

/// How many rows `table` has in the SQLite database the course came from.
fn lab_count(lab: &Path, table: &str) -> i64 {
    rusqlite::Connection::open(lab)
        .unwrap()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// Attack: LTI on PostgreSQL only pretending (the work landing in an empty SQLite store, or refused 501), and a
/// score lost or posted twice. A launch of Ann (matched by her email) links her platform user to her roster row in
/// PostgreSQL's `lti_links` and remembers the course's grade book in `lti_contexts`; `grades push mid` queues her
/// score in PostgreSQL's `lti_outbox` (Bob, never launched, named as not linked); the sender meets a 500 first,
/// tries again and delivers: the fake LMS sees the same score twice, the outbox counts it delivered after 2 tries,
/// and pushing again queues nothing. The SQLite database the course came from holds no LTI row.
#[test]
fn a_launch_links_and_grades_reach_the_platform_from_postgres() {
    let (served, platform, db, lab) = served_on_pg(true);
    let (state, nonce) = served.login(&platform);
    let token = sign(&data("platform-key.pem"), "k1", &claims(&platform, &nonce));
    let (status, page) = served.launch(&token, &state);
    assert_eq!(status, 200, "{page}\n{}", served.log());
    assert!(page.contains("You are <strong>ann</strong>"), "{page}");
    let links: Vec<(String, String, String)> = db
        .client(SUPERUSER)
        .query(
            "SELECT l.name, k.sub, k.matched_by FROM lti_links k JOIN learners l ON l.id = k.learner_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        links,
        [(
            "ann".to_string(),
            "user-ann".to_string(),
            "email".to_string()
        )]
    );
    let context: (String, Option<String>) = {
        let row = db
            .client(SUPERUSER)
            .query_one("SELECT context_id, title FROM lti_contexts", &[])
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(
        context,
        ("course-1".to_string(), Some("IR 101".to_string()))
    );

    let teacher = Laptop::new();
    let out = teacher.run(&["login", served.socket.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let push = || -> Value {
        let out = teacher.run(&["--json", "grades", "push", "mid"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    platform.answer("mid", &[500]);
    let pushed = push();
    assert_eq!(pushed["queued"], 1, "{pushed}");
    assert_eq!(pushed["not_linked"], json!(["bob"]), "{pushed}");
    let mut outbox = Value::Null;
    for _ in 0..600 {
        let out = teacher.run(&["--json", "grades", "outbox"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        outbox = serde_json::from_slice(&out.stdout).unwrap();
        if outbox["pending"] == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(outbox["delivered"], 1, "{outbox}\n{}", served.log());
    assert_eq!(outbox["rows"][0]["tries"], 2, "{outbox}");
    let mid = platform.scores("mid");
    assert_eq!(mid.iter().map(|s| s.status).collect::<Vec<_>>(), [500, 200]);
    assert_eq!(mid[0].body, mid[1].body, "the retry posts the same score");
    let score: Value = serde_json::from_str(&mid[1].body).unwrap();
    assert_eq!(score["scoreGiven"], 8.0, "{score}");
    assert_eq!(score["userId"], "user-ann", "{score}");
    let row: (String, i64, i64, Option<i64>) = {
        let r = db
            .client(SUPERUSER)
            .query_one(
                "SELECT state, tries, answer, delivered_at FROM lti_outbox",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1), r.get(2), r.get(3))
    };
    assert_eq!((row.0.as_str(), row.1, row.2), ("delivered", 2, 200));
    assert!(row.3.is_some());
    assert_eq!(pg_count(&db, "lti_line_items"), 1);
    let again = push();
    assert_eq!(
        (again["queued"].clone(), again["unchanged"].clone()),
        (json!(0), json!(1)),
        "{again}"
    );
    assert_eq!(pg_count(&db, "lti_outbox"), 1);
    for table in ["lti_links", "lti_contexts", "lti_outbox", "lti_line_items"] {
        assert_eq!(lab_count(&lab, table), 0, "{table} in SQLite");
    }
}

/// Attack: a forged launch on PostgreSQL. An id token signed by a key the platform does not publish, though its
/// claims are Ann's, is refused (403, no session form) and writes nothing: no link, no course in PostgreSQL.
#[test]
fn a_forged_launch_on_postgres_writes_nothing() {
    let (served, platform, db, _lab) = served_on_pg(false);
    let (state, nonce) = served.login(&platform);
    let forged = sign(&data("other-key.pem"), "k1", &claims(&platform, &nonce));
    let (status, page) = served.launch(&forged, &state);
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("signature"), "{page}");
    assert!(!page.contains("name=\"session\""), "{page}");
    assert_eq!(pg_count(&db, "lti_links"), 0);
    assert_eq!(pg_count(&db, "lti_contexts"), 0);
    assert_eq!(pg_count(&db, "learners"), 2, "the course was adopted");
}

/// Attack: a device link on PostgreSQL landing in the empty store beside the pool (or refused). Ann's launch page
/// with the code `detente login URL --link` printed registers the device as Ann: the login ends, `whoami` over TLS
/// names her and the device, and PostgreSQL's `devices` holds that one device of hers.
#[test]
fn a_launch_links_a_device_in_postgres() {
    let (served, platform, db, _lab) = served_on_pg(false);
    let (state, nonce) = served.login(&platform);
    let token = sign(&data("platform-key.pem"), "k1", &claims(&platform, &nonce));
    let (status, page) = served.launch(&token, &state);
    assert_eq!(status, 200, "{page}");
    let session = session_of(&page);
    let laptop = Laptop::new();
    let mut child = laptop
        .command(&[
            "login",
            &served.url,
            "--link",
            "--ca-cert",
            served.ca().to_str().unwrap(),
            "--device-name",
            "ann-laptop",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let code = line.trim().to_string();
    let (status, _, page) = served.request(
        "POST",
        "/lti/link",
        Some(&format!("session={session}&code={code}")),
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Linked"), "{page}\n{}", served.log());
    let mut exited = None;
    for _ in 0..600 {
        if let Some(status) = child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(exited.is_some_and(|s| s.success()), "{exited:?}: {err}");
    let out = laptop.run(&["whoami"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let whoami = text(&out.stdout);
    assert!(
        whoami.contains("learner ann") && whoami.contains("ann-laptop"),
        "{whoami}"
    );
    let devices: Vec<(String, String)> = db
        .client(SUPERUSER)
        .query(
            "SELECT l.name, d.name FROM devices d JOIN learners l ON l.id = d.learner_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(devices, [("ann".to_string(), "ann-laptop".to_string())]);
}

/// Attack: the outbox's PostgreSQL twin drifting from SQLite's (a score sent twice, an older one after a newer one,
/// a superseded row brought back, a failed one never sent again). On the backend directly, as the app role under
/// row security: the same score of the same attempt is queued once; a newer one supersedes the pending older one;
/// a retry recorded on the superseded row keeps it superseded; a delivered row is no longer due and keeps its
/// delivery time; a failed score is queued again by the next push, from its first try, and only once.
#[test]
fn the_outbox_on_postgres_queues_once_and_sends_only_the_newest() {
    use detente::server::ops::LtiOps;
    use detente::store::{ClassStore, LtiRecords, NewScore, OutboxRow, Tried};
    let db = pg::cluster().database();
    let repo = db.store();
    let ann = repo.add_learner("ann", None, 0).unwrap().unwrap().id;
    let score = |at: i64, given: f64| NewScore {
        learner_id: ann,
        issuer: "https://lms".into(),
        client_id: "c".into(),
        lineitems: "https://lms/li".into(),
        resource_id: "mid".into(),
        label: "Midterm".into(),
        user_id: "u1".into(),
        score_given: given,
        score_maximum: 10.0,
        timestamp_ms: at,
    };
    let work = |f: &mut dyn FnMut(&mut dyn LtiRecords) -> detente::error::Result<()>| {
        repo.lti_work(f).unwrap()
    };
    let queue = |at: i64, given: f64, now: i64| {
        let mut added = false;
        work(&mut |r| {
            added = r.queue_score(&score(at, given), now)?;
            Ok(())
        });
        added
    };
    let rows = || {
        let mut rows: Vec<OutboxRow> = Vec::new();
        work(&mut |r| {
            rows = r.outbox()?;
            Ok(())
        });
        rows
    };
    let due = |now: i64| {
        let mut due: Vec<OutboxRow> = Vec::new();
        work(&mut |r| {
            due = r.due_scores(now)?;
            Ok(())
        });
        due
    };
    let next = || {
        let mut next = None;
        work(&mut |r| {
            next = r.next_due()?;
            Ok(())
        });
        next
    };
    let tried = |id: i64, t: Tried, now: i64| work(&mut |r| r.record_try(id, &t, now));
    assert!(queue(1_000, 8.0, 5));
    assert!(!queue(1_000, 8.0, 6));
    assert!(queue(2_000, 9.0, 7));
    let first_due = due(10);
    assert_eq!(
        first_due.iter().map(|r| r.timestamp_ms).collect::<Vec<_>>(),
        [2_000]
    );
    let first = rows()[0].id;
    let retry = || Tried::Retry {
        answer: Some(500),
        error: "HTTP 500".into(),
        next_try_at: 99,
    };
    tried(first, retry(), 10);
    assert_eq!(rows()[0].state, "superseded");
    let newest = first_due[0].id;
    tried(newest, retry(), 10);
    assert!(due(98).is_empty());
    assert_eq!(next(), Some(99));
    tried(
        newest,
        Tried::Delivered {
            answer: 409,
            note: Some("newer".into()),
        },
        99,
    );
    let r = rows();
    assert_eq!(
        (
            r[1].state.as_str(),
            r[1].tries,
            r[1].delivered_at,
            r[1].learner.as_str()
        ),
        ("delivered", 2, Some(99), "ann")
    );
    assert!(due(1_000).is_empty());
    assert_eq!(next(), None);
    assert!(queue(3_000, 7.0, 100));
    let third = rows()[2].id;
    tried(
        third,
        Tried::Failed {
            answer: Some(400),
            error: "refused".into(),
        },
        100,
    );
    assert!(due(1_000).is_empty());
    assert!(queue(3_000, 7.0, 200));
    let r = rows();
    assert_eq!(r.len(), 3);
    assert_eq!(
        (r[2].state.as_str(), r[2].tries, r[2].next_try_at),
        ("pending", 0, 200)
    );
    assert!(!queue(3_000, 7.0, 300));
}
