//! Every input checked against its domain: exam dates a user sets, exam scopes that match nothing,
//! learner names that differ only in case, and a `--db` that is not a regular file. Each refusal is one line, exit 2,
//! and leaves what is stored as it was.

use crate::support::{detente, run, sample_db};
use chrono::{Duration, Local, Months, NaiveDate};
use std::path::Path;

/// Today in the learner's calendar (their day starts at 4 am, local time, by default).
fn today() -> NaiveDate {
    (Local::now() - Duration::hours(4)).date_naive()
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Every learner's name, settings, exam date and scope, in a fixed order: what a refusal must leave alone.
fn learners(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT name, new_per_day, reviews_per_day, desired_retention, rollover_hour, exam_date, exam_scope
             FROM learners ORDER BY id",
        )
        .expect("prepare");
    stmt.query_map([], |r| {
        Ok(format!(
            "{}|{}|{}|{}|{}|{:?}|{:?}",
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, f64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })
    .expect("query")
    .collect::<rusqlite::Result<Vec<_>>>()
    .expect("rows")
}

/// Asserts a refusal: exit 2, one line on stderr containing `want`, nothing on stdout.
fn refused(out: &std::process::Output, want: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{want}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(want), "want {want:?} in {err}");
    assert!(out.stdout.is_empty());
    err
}

/// A sample database with learner `ann` who has an exam date already.
fn with_ann() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, db) = sample_db();
    let exam = ymd(today() + Duration::days(30));
    let out = run(
        detente(&db),
        &[
            "learner",
            "add",
            "ann",
            "--exam-date",
            &exam,
            "--exam-scope",
            "sherr-lisbon-2010",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    (dir, db)
}

#[test]
fn exam_dates_in_the_past_or_over_five_years_ahead_are_refused() {
    let (dir, db) = with_ann();
    let before = learners(&db);
    let last = today().checked_add_months(Months::new(60)).expect("date");
    let bad = [
        ymd(today() - Duration::days(1)),
        "1900-01-01".to_string(),
        "1970-01-01".to_string(),
        ymd(last + Duration::days(1)),
        "9999-12-31".to_string(),
    ];
    for date in &bad {
        let out = run(
            detente(&db),
            &["learner", "set", "ann", "--exam-date", date],
        );
        let err = refused(&out, &format!("--exam-date {date}"));
        assert!(
            err.contains(&ymd(today())) && err.contains(&ymd(last)),
            "{err}"
        );
        let out = run(
            detente(&db),
            &["learner", "add", "bob", "--exam-date", date],
        );
        refused(&out, "--exam-date");
        // study refuses it before asking for a terminal.
        let out = run(detente(&db), &["study", "--exam-date", date]);
        refused(&out, "--exam-date");
        assert_eq!(learners(&db), before, "{date}");
    }
    // On a database not made yet, study refuses the date without creating it.
    let fresh = dir.path().join("fresh.db");
    let out = run(detente(&fresh), &["study", "--exam-date", "1970-01-01"]);
    refused(&out, "--exam-date 1970-01-01 is in the past");
    assert!(!fresh.exists());
    // Today and five years ahead are allowed.
    for date in [ymd(today()), ymd(last)] {
        let out = run(
            detente(&db),
            &["learner", "set", "ann", "--exam-date", &date],
        );
        assert!(out.status.success(), "{date}: {out:?}");
        let out = run(detente(&db), &["study", "--exam-date", &date]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("--exam-date"), "{date}: {err}");
        assert!(err.contains("terminal"), "{date}: {err}");
    }
}

#[test]
fn the_help_and_readme_state_the_exam_date_limit() {
    let out = run(detente(Path::new("unused.db")), &["study", "--help"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 years ahead"));
    let out = run(
        detente(Path::new("unused.db")),
        &["learner", "set", "--help"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 years ahead"));
    let readme = std::fs::read_to_string("README.md").expect("readme");
    assert!(readme.contains("from today (in your study day) to 5 years ahead"));
}

#[test]
fn an_exam_scope_that_matches_nothing_is_refused_with_the_nearest_names() {
    let (_dir, db) = with_ann();
    let before = learners(&db);
    let exam = ymd(today() + Duration::days(40));
    let out = run(
        detente(&db),
        &[
            "learner",
            "set",
            "ann",
            "--exam-date",
            &exam,
            "--exam-scope",
            "sherr-lisbn-2010",
        ],
    );
    refused(
        &out,
        "no deck or tag `sherr-lisbn-2010`; did you mean `sherr-lisbon-2010`",
    );
    // A tag pattern that matches no card's tag, even beside a good entry.
    let out = run(
        detente(&db),
        &["learner", "set", "ann", "--exam-date", &exam]
            .into_iter()
            .chain([
                "--exam-scope",
                "sherr-lisbon-2010",
                "--exam-scope",
                "thme:*",
            ])
            .collect::<Vec<_>>(),
    );
    refused(&out, "no deck or tag `thme:*`");
    // A new learner with a bad scope is not created.
    let out = run(
        detente(&db),
        &[
            "learner",
            "add",
            "bob",
            "--exam-date",
            &exam,
            "--exam-scope",
            "nosuchthing",
        ],
    );
    refused(&out, "no deck or tag `nosuchthing`");
    assert_eq!(learners(&db), before);
    // A deck id, a tag and a tag pattern that match are taken.
    let out = run(
        detente(&db),
        &["learner", "set", "ann", "--exam-date", &exam]
            .into_iter()
            .chain([
                "--exam-scope",
                "sherr-lisbon-2010",
                "--exam-scope",
                "theme:*",
            ])
            .chain(["--exam-scope", "org:nato"])
            .collect::<Vec<_>>(),
    );
    assert!(out.status.success(), "{out:?}");
    assert_ne!(learners(&db), before);
}

#[test]
fn a_learner_name_differing_only_in_case_is_the_same_learner() {
    let (_dir, db) = with_ann();
    let count = || learners(&db).len();
    assert_eq!(count(), 1);
    for name in ["aNn", "ANN", " Ann "] {
        let mut cmd = detente(&db);
        cmd.env("DETENTE_LEARNER", name);
        let out = run(cmd, &["due", "--json"]);
        assert!(out.status.success(), "{name}: {out:?}");
        assert_eq!(count(), 1, "{name} made a second learner");
        let out = run(detente(&db), &["--learner", name, "due"]);
        assert!(out.status.success(), "{name}: {out:?}");
        assert_eq!(count(), 1, "{name} made a second learner");
    }
    let out = run(
        detente(&db),
        &["learner", "set", "ANN", "--new-per-day", "7"],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        learners(&db)[0].starts_with("ann|7|"),
        "{:?}",
        learners(&db)
    );
    let before = learners(&db);
    let out = run(detente(&db), &["learner", "add", "Ann"]);
    refused(&out, "already exists");
    assert_eq!(learners(&db), before);
}

#[test]
fn two_stored_learners_differing_in_case_take_the_exact_one_or_are_ambiguous() {
    let (_dir, db) = with_ann();
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute(
            "INSERT INTO learners (name, created_at) VALUES ('Bea', 0), ('bea', 0)",
            [],
        )
        .expect("insert");
    }
    let before = learners(&db);
    for args in [
        vec!["--learner", "BEA", "due"],
        vec!["learner", "set", "bEA", "--new-per-day", "3"],
        vec!["learner", "add", "BEA"],
    ] {
        let out = run(detente(&db), &args);
        let err = refused(&out, "ambiguous");
        assert!(err.contains("`Bea`") && err.contains("`bea`"), "{err}");
        assert!(err.contains("exactly as written"), "{err}");
        assert_eq!(learners(&db), before, "{args:?}");
    }
    // The exact name picks its learner.
    let out = run(
        detente(&db),
        &["learner", "set", "bea", "--new-per-day", "3"],
    );
    assert!(out.status.success(), "{out:?}");
    let after = learners(&db);
    assert_eq!(after.len(), 3);
    assert!(after[2].starts_with("bea|3|"), "{after:?}");
    assert_eq!(after[..2], before[..2], "only `bea` changed");
}

#[test]
fn a_folder_or_a_device_as_db_is_refused_before_sqlite_opens_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let folder = dir.path().join("data");
    std::fs::create_dir(&folder).expect("mkdir");
    for args in [vec!["decks"], vec!["learner", "list"], vec!["due"]] {
        let out = run(detente(&folder), &args);
        refused(&out, "is a folder, not a database file");
        assert_eq!(
            std::fs::read_dir(&folder).expect("ls").count(),
            0,
            "{args:?} wrote into the folder"
        );
        let mut cmd = detente(Path::new("unused.db"));
        cmd.arg("--db").arg(&folder);
        let out = run(cmd, &args);
        refused(&out, "is a folder, not a database file");
    }
    #[cfg(unix)]
    {
        let out = run(detente(Path::new("/dev/null")), &["decks"]);
        refused(&out, "/dev/null is not a regular file");
        let out = run(detente(Path::new("/dev/zero")), &["learner", "list"]);
        refused(&out, "is not a regular file");
    }
}

/// Attack: a system user whose name differs from a roster username only in case (`Ann` beside `ann`), or is a
/// prefix of one, is not that learner to a class server: the lookup is exact, through the unique index.
#[test]
fn a_class_server_finds_a_learner_by_the_exact_username() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = detente::store::Store::open(&dir.path().join("d.db")).unwrap();
    let tx = store.write().unwrap();
    let ann = detente::store::add_learner(&tx, "Ann Smith", 0)
        .unwrap()
        .unwrap();
    detente::store::set_identity(
        &tx,
        ann.id,
        &detente::gradebook::Identity {
            username: Some("ann".into()),
            ..Default::default()
        },
    )
    .unwrap();
    tx.commit().unwrap();
    let find = |u: &str| {
        detente::store::learner_by_username(&store.conn, u)
            .unwrap()
            .map(|l| l.name)
    };
    assert_eq!(find("ann"), Some("Ann Smith".to_string()));
    assert_eq!(find("Ann"), None);
    assert_eq!(find("an"), None);
    assert_eq!(find("ann "), None);
}
