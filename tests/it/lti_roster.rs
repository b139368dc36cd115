//! The course roster (LTI Names and Role Provisioning Services) against the fake platform of `lti.rs`: a grade of a
//! roster learner who never launched detente reaches the platform once the course's roster names them, and never
//! reaches the wrong user; on SQLite and on PostgreSQL (the course adopted into it).

use crate::lti::{Laptop, Served, claims, data, setup, sign, text};
use crate::support::pg::{self, APP, OWNER, SUPERUSER};
use crate::support::process;
use serde_json::{Value, json};
use std::time::Duration;

/// Attack: grades of learners who never launched, some of whom a roster could mistake. Ann launches from a course
/// whose launch names its roster; bob (an email in another case), carol (a student id only), dave (two platform
/// users share his email) and erin (her member is inactive) never launch, and each has a graded attempt. A push
/// reads the roster (two pages, `Link: rel="next"`) with a token asked for on the roster's scope alone (the grades'
/// token is asked for without it), links bob and carol, and queues four scores; dave and erin are named as not
/// sent, never linked to a guess. The scores reach the platform with bob's and carol's platform ids. A second push
/// links no one again; with the roster answering 500, a push still queues a new grade, says why the roster was not
/// read, and leaves dave and erin unlinked.
#[test]
fn grades_of_learners_who_never_launched_follow_the_course_roster() {
    roster_run(false);
}

/// Attack: as [`grades_of_learners_who_never_launched_follow_the_course_roster`], with the course in PostgreSQL:
/// the roster's address is kept in PostgreSQL's `lti_contexts` and the links it makes in its `lti_links`.
#[test]
fn grades_of_learners_who_never_launched_follow_the_course_roster_on_postgresql() {
    roster_run(true);
}

/// Rows of the course's database: `sql` on SQLite, or on PostgreSQL (as its superuser) when `pg` is given.
fn rows(db: &std::path::Path, pg: Option<&pg::Db>, sql: &str) -> Vec<(String, String, String)> {
    match pg {
        Some(pg) => pg
            .client(SUPERUSER)
            .query(sql, &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect(),
        None => {
            let conn = rusqlite::Connection::open(db).unwrap();
            conn.busy_timeout(Duration::from_secs(10)).unwrap();
            conn.prepare(sql)
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        }
    }
}

fn roster_run(on_pg: bool) {
    let (dir, platform, platform_ca) = setup();
    let db = Served::database(dir.path());
    for args in [
        &["learner", "add", "carol", "--student-id", "S-3"][..],
        &["learner", "add", "dave", "--email", "dave@uni.example"],
        &["learner", "add", "erin", "--email", "erin@uni.example"],
    ] {
        let out = process(&db).args(args).output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "INSERT INTO exams (id, title, definition, content_hash, questions, grading, pass_mark, loaded_at)
             VALUES ('mid', 'Midterm', '{}', 'h', 10, 'highest', 0.5, 0);
             INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, closed_at, score, max_score)
             SELECT 'mid', id, 1, 1, '[]', 0, 1700000000000 + id, 5 + id, 10 FROM learners;",
        )
        .unwrap();
    }
    let (served, pg_db) = if on_pg {
        let lab = dir.path().join("lab.db");
        std::fs::rename(&db, &lab).unwrap();
        let pg_db = pg::cluster().database();
        let extra = format!(
            "[postgres]\nurl = {:?}\nowner_url = {:?}\npool_size = 4\n",
            pg_db.url(APP),
            pg_db.url(OWNER)
        );
        let served = Served::start_on(dir, &platform, &platform_ca, &extra, Some(&lab));
        (served, Some(pg_db))
    } else {
        (
            Served::start_on(dir, &platform, &platform_ca, "", None),
            None,
        )
    };
    let db = Served::database(served.dir.path());
    let (state, nonce) = served.login(&platform);
    let mut launch = claims(&platform, &nonce);
    launch["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = json!({
        "context_memberships_url": platform.url("/memberships"),
        "service_versions": ["2.0"],
    });
    let token = sign(&data("platform-key.pem"), "k1", &launch);
    assert_eq!(served.launch(&token, &state).0, 200);
    let teacher = Laptop::new();
    let out = teacher.run(&["login", served.socket.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let push = |exam: &str| -> Value {
        let out = teacher.run(&["--json", "grades", "push", exam]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };

    let pushed = push("mid");
    assert_eq!(
        pushed["found_in_roster"],
        json!(["bob", "carol"]),
        "{pushed}"
    );
    assert_eq!(pushed["not_linked"], json!(["dave", "erin"]), "{pushed}");
    assert_eq!(pushed["queued"], 3, "{pushed}");
    assert_eq!(pushed["roster_problems"], json!([]), "{pushed}");
    let pages = platform.seen("GET", "/memberships");
    assert_eq!(pages.len(), 2, "both pages read");
    assert_eq!(
        pages[0].headers["accept"],
        "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    );
    assert!(pages.iter().all(|p| p.status == 200));
    let scopes: Vec<String> = platform
        .seen("POST", "/token")
        .iter()
        .map(|t| {
            crate::lti::form(&t.body)
                .get("scope")
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert!(
        scopes
            .iter()
            .any(|s| s
                == "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"),
        "{scopes:?}"
    );
    // Until every score is delivered.
    let mut users = Vec::new();
    for _ in 0..600 {
        users = platform
            .scores("mid")
            .iter()
            .filter(|s| s.status == 200)
            .map(|s| serde_json::from_str::<Value>(&s.body).unwrap()["userId"].clone())
            .collect::<Vec<_>>();
        if users.len() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    users.sort_by_key(|u| u.to_string());
    assert_eq!(
        users,
        [json!("user-ann"), json!("user-bob"), json!("user-carol")]
    );
    assert!(
        scopes
            .iter()
            .all(|s| !s.contains("lti-ags") || !s.contains("lti-nrps")),
        "one token for both: {scopes:?}"
    );

    let again = push("mid");
    assert_eq!(again["found_in_roster"], json!([]), "{again}");
    assert_eq!(again["unchanged"], 3, "{again}");

    platform
        .roster_status
        .store(500, std::sync::atomic::Ordering::SeqCst);
    let second = "INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, closed_at, score,
            max_score)
         SELECT 'mid', id, 2, 1, '[]', 0, 1700000900000, 10, 10 FROM learners WHERE name = 'bob'";
    match &pg_db {
        Some(pg) => {
            pg.client(SUPERUSER).execute(second, &[]).unwrap();
        }
        None => {
            let conn = rusqlite::Connection::open(&db).unwrap();
            conn.busy_timeout(Duration::from_secs(10)).unwrap();
            conn.execute(second, []).unwrap();
        }
    }
    let out = teacher.run(&["grades", "push", "mid"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(
        said.contains("The course's roster could not be read: IR 101:")
            && said.contains("HTTP 500"),
        "{said}"
    );
    assert!(said.contains("Queued 1 score"), "{said}");
    assert!(
        said.contains("Not sent") && said.contains("dave, erin"),
        "{said}"
    );
    let links = rows(
        &db,
        pg_db.as_ref(),
        "SELECT l.name, k.sub, k.matched_by FROM lti_links k JOIN learners l ON l.id = k.learner_id
         ORDER BY l.name",
    );
    assert_eq!(
        links,
        [
            ("ann".into(), "user-ann".into(), "email".into()),
            (
                "bob".into(),
                "user-bob".into(),
                "email (course roster)".into()
            ),
            (
                "carol".into(),
                "user-carol".into(),
                "student id (course roster)".into()
            ),
        ]
    );
}
