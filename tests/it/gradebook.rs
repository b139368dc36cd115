//! Rosters, grade exports and progress bundles, through the binary against temporary databases: every grade layout
//! parsed back with the csv crate column by column, roster imports all or nothing, and bundles that merge
//! idempotently and reproduce the source's card states, or are refused leaving the database byte for byte unchanged.

use crate::support::{FirstOption, Scripted, TestClock, as_teacher, with_sample};
use detente::schedule::Calendar;
use detente::session::{Session, StudyOptions};
use detente::store::{self, Store};
use detente::time::UnixMs;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn learners(db: &Path) -> Vec<serde_json::Value> {
    let out = as_teacher(db)
        .args(["--json", "learner", "list"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json")
}

fn learner<'a>(all: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    all.iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no learner {name} in {all:?}"))
}

// ---- rosters ----

#[test]
fn plain_roster_creates_learners_with_identities_and_reimport_updates() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let out = as_teacher(&db)
        .args(["learner", "import"])
        .arg(data("roster/plain.csv"))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let all = learners(&db);
    assert_eq!(all.len(), 4, "{all:?}");
    let ann = learner(&all, "ann");
    assert_eq!(ann["email"], "ann@uni.example");
    assert_eq!(ann["student_id"], "S1");
    assert_eq!(ann["first_name"], "Ann");
    assert_eq!(ann["last_name"], "Arbor");
    // No username: the email's local part, then the student id.
    assert_eq!(learner(&all, "cy")["email"], "cy@uni.example");
    assert_eq!(learner(&all, "S4")["first_name"], "Dee");

    // Importing again changes nothing; a Moodle export updates Ann and adds Eve.
    as_teacher(&db)
        .args(["learner", "import"])
        .arg(data("roster/plain.csv"))
        .assert()
        .success();
    assert_eq!(learners(&db).len(), 4);
    as_teacher(&db)
        .args(["learner", "import"])
        .arg(data("roster/moodle.csv"))
        .assert()
        .success();
    let all = learners(&db);
    assert_eq!(all.len(), 5, "{all:?}");
    let eve = learner(&all, "eve");
    assert_eq!(eve["student_id"], "S5");
    assert_eq!(eve["last_name"], "Evans");
}

#[test]
fn moodle_and_canvas_exports_are_class_lists() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    as_teacher(&db)
        .args(["learner", "import"])
        .arg(data("roster/moodle.csv"))
        .assert()
        .success();
    let all = learners(&db);
    assert_eq!(all.len(), 2);
    let ann = learner(&all, "ann");
    assert_eq!(ann["student_id"], "S1");
    assert_eq!(ann["first_name"], "Ann");
    assert_eq!(ann["username"], serde_json::Value::Null);

    // Canvas: "Last, First", SIS User ID, SIS Login ID; the Points Possible row is no student. Ann is matched on
    // her student id and gains her login.
    as_teacher(&db)
        .args(["learner", "import"])
        .arg(data("roster/canvas.csv"))
        .assert()
        .success();
    let all = learners(&db);
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(learner(&all, "ann")["username"], "ann");
    let fay = learner(&all, "fay");
    assert_eq!(fay["first_name"], "Fay");
    assert_eq!(fay["last_name"], "Fox");
    assert_eq!(fay["student_id"], "S6");
    assert!(
        all.iter()
            .all(|l| !l["name"].as_str().unwrap_or("").contains("Points"))
    );
}

#[test]
fn bad_roster_rows_are_reported_by_line_and_nothing_is_imported() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    as_teacher(&db)
        .args(["learner", "import"])
        .arg(data("roster/plain.csv"))
        .assert()
        .success();
    let before = learners(&db);
    let out = as_teacher(&db)
        .args(["learner", "import"])
        .arg(data("roster/bad.csv"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(65));
    let err = stderr(&out);
    assert!(
        err.contains("bad.csv:3: no username, email or student id"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:5: duplicate row: email bo@uni.example is already on line 4"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:6: email cy@uni.example belongs to another learner, cy"),
        "{err}"
    );
    assert!(
        !err.contains("bad.csv:2:") && !err.contains("bad.csv:4:"),
        "{err}"
    );
    assert_eq!(learners(&db), before, "nothing was imported");
}

// ---- grades ----

fn exam_db(dir: &Path) -> PathBuf {
    let db = dir.join("g.db");
    with_sample(&db);
    as_teacher(&db)
        .args(["learner", "import"])
        .arg(data("roster/plain.csv"))
        .assert()
        .success();
    // Ann and Bo have identities; "nobody" has none at all.
    as_teacher(&db)
        .args(["learner", "add", "nobody"])
        .assert()
        .success();
    let store = Store::open(&db).expect("open");
    let id = |name: &str| -> i64 {
        store::learner_by_name(&store.conn, name)
            .expect("query")
            .expect("learner")
            .id
    };
    store
        .conn
        .execute_batch(
            "INSERT INTO exams (id, title, definition, content_hash, questions, grading, pass_mark, loaded_at)
             VALUES ('mid', 'Midterm', '{}', 'h', 10, 'highest', 0.5, 0),
                    ('fin', '=Final', '{}', 'h', 20, 'mean', NULL, 0);",
        )
        .expect("exams");
    let attempt = |exam: &str,
                   learner: i64,
                   number: i64,
                   score: f64,
                   max: f64,
                   closed: Option<i64>| {
        store
            .conn
            .execute(
                "INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, closed_at, score, max_score)
                 VALUES (?1, ?2, ?3, 1, '[]', 0, ?4, ?5, ?6)",
                rusqlite::params![exam, learner, number, closed, score, max],
            )
            .expect("attempt");
    };
    let (ann, bo) = (id("ann"), id("bo"));
    attempt("mid", ann, 1, 6.0, 10.0, Some(1_700_000_000_000));
    attempt("mid", ann, 2, 8.5, 10.0, Some(1_700_000_100_000));
    attempt("mid", ann, 3, 10.0, 10.0, None); // open: never counts
    attempt("fin", ann, 1, 10.0, 20.0, Some(1_700_000_200_000));
    attempt("fin", ann, 2, 15.0, 20.0, Some(1_700_000_300_000));
    attempt("mid", bo, 1, 3.0, 10.0, Some(1_700_000_000_000));
    db
}

fn export(db: &Path, format: &str, extra: &[&str]) -> (Vec<Vec<String>>, String) {
    let out = as_teacher(db)
        .args(["grades", "export", "--format", format])
        .args(extra)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!out.stdout.starts_with(b"\xef\xbb\xbf"), "no BOM");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(out.stdout.as_slice());
    let rows = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect();
    (rows, stderr(&out))
}

fn row<'a>(rows: &'a [Vec<String>], col: usize, value: &str) -> &'a Vec<String> {
    rows.iter()
        .find(|r| r[col] == value)
        .unwrap_or_else(|| panic!("no row with {value} in column {col}: {rows:?}"))
}

#[test]
fn moodle_layout_percent_dash_and_neutralized_names() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = exam_db(dir.path());
    let (rows, err) = export(&db, "moodle", &["--deck", "sample"]);
    // --deck alone: study columns only.
    assert_eq!(
        rows[0],
        [
            "Email address",
            "ID number",
            "First name",
            "Last name",
            "sample (self-reported study): cards studied %",
            "sample (self-reported study): mastery in 30 days %",
            "sample (self-reported study): days active",
            "sample (self-reported study): last activity"
        ]
    );
    // By default Moodle rows are matched on the email: Bo and Dee have none and are left out, each named with the
    // command that fixes it.
    let (rows, err_email) = export(&db, "moodle", &[]);
    assert!(rows.iter().skip(1).all(|r| !r[0].is_empty()), "{rows:?}");
    assert!(
        rows.iter().all(|r| r[1] != "S2" && r[1] != "S4"),
        "{rows:?}"
    );
    for fix in [
        "detente learner set bo --email ...",
        "detente learner set S4 --email ...",
        "detente learner set nobody --email ...",
    ] {
        assert!(err_email.contains(fix), "{err_email}");
    }
    let (rows, err2) = export(&db, "moodle", &["--match-by", "idnumber"]);
    assert_eq!(
        rows[0][..6],
        [
            "Email address",
            "ID number",
            "First name",
            "Last name",
            "'=Final",
            "Midterm"
        ]
    );
    let ann = row(&rows, 1, "S1");
    assert_eq!(ann[0], "ann@uni.example");
    assert_eq!(ann[4], "62.5", "mean of 50% and 75%");
    assert_eq!(ann[5], "85", "highest closed attempt, as a percentage");
    let bo = row(&rows, 1, "S2");
    assert_eq!(bo[3], "'=HYPERLINK(\"http://evil.example\")");
    assert_eq!(bo[4], "-", "no grade");
    assert_eq!(bo[5], "30");
    assert_eq!(bo[9], "-", "no last activity");
    // Cy has an email but no ID number: matched on the ID number, Cy is left out.
    assert!(rows.iter().all(|r| r[0] != "cy@uni.example"), "{rows:?}");
    assert!(
        err2.contains("detente learner set cy --student-id ..."),
        "{err2}"
    );
    let (rows, _) = export(&db, "moodle", &[]);
    let cy = row(&rows, 0, "cy@uni.example");
    assert_eq!(cy[2], "'+cmd");
    // "nobody" has neither email nor ID number: left out and named.
    assert!(rows.iter().all(|r| !r.iter().any(|c| c == "nobody")));
    for e in [&err, &err2] {
        assert!(e.contains("Left out") && e.contains("nobody"), "{e}");
    }
}

#[test]
fn canvas_layout_points_possible_and_empty_for_no_grade() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = exam_db(dir.path());
    let (rows, err) = export(&db, "canvas", &["--exam", "mid"]);
    assert_eq!(
        rows[0],
        [
            "Student",
            "ID",
            "SIS User ID",
            "SIS Login ID",
            "Section",
            "Midterm"
        ]
    );
    assert_eq!(rows[1], ["    Points Possible", "", "", "", "", "10"]);
    let ann = row(&rows, 2, "S1");
    assert_eq!(ann[0], "Arbor, Ann");
    assert_eq!(ann[3], "ann");
    assert_eq!(ann[5], "8.5", "points");
    let bo = row(&rows, 2, "S2");
    assert_eq!(bo[0], "'=HYPERLINK(\"http://evil.example\"), Bo");
    assert_eq!(bo[5], "3");
    let cy = rows
        .iter()
        .find(|r| r[0] == "Cy, '+cmd" || r[0].contains("+cmd"));
    assert!(cy.is_none(), "cy has no SIS ids and is left out");
    let dee = row(&rows, 2, "S4");
    assert_eq!(dee[5], "", "no grade is empty in Canvas");
    assert!(err.contains("cy") && err.contains("nobody"), "{err}");
}

#[test]
fn blackboard_layout_needs_usernames() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = exam_db(dir.path());
    let out = as_teacher(&db)
        .args([
            "grades",
            "export",
            "--format",
            "blackboard",
            "--exam",
            "fin",
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.starts_with(
            "\"Last Name\",\"First Name\",\"Username\",\"Student ID\",\"'=Final [Total Pts: 20 Score]\"\n"
        ),
        "{text}"
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2, "only ann and bo have usernames");
    assert_eq!(&rows[0][2], "ann");
    assert_eq!(&rows[0][4], "12.5");
    assert_eq!(&rows[1][0], "'=HYPERLINK(\"http://evil.example\")");
    assert_eq!(&rows[1][4], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cy") && err.contains("S4") && err.contains("nobody"),
        "{err}"
    );
}

#[test]
fn native_long_format_and_atomic_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = exam_db(dir.path());
    let file = dir.path().join("grades.csv");
    as_teacher(&db)
        .args(["grades", "export", "--format", "native", "-o"])
        .arg(&file)
        .assert()
        .success();
    let mut reader = csv::Reader::from_path(&file).expect("read");
    assert_eq!(
        reader.headers().expect("header").iter().collect::<Vec<_>>(),
        [
            "student_key",
            "email",
            "sis_user_id",
            "username",
            "last_name",
            "first_name",
            "deck_id",
            "assessment",
            "attempt",
            "score",
            "max_score",
            "percent",
            "completed_at"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let ann_mid = rows
        .iter()
        .find(|r| &r[0] == "ann" && &r[7] == "mid")
        .expect("ann mid");
    assert_eq!(&ann_mid[8], "2");
    assert_eq!(&ann_mid[9], "8.5");
    assert_eq!(&ann_mid[10], "10");
    assert_eq!(&ann_mid[11], "85");
    assert_eq!(&ann_mid[12], "2023-11-14T22:15:00Z");
    let ann_fin = rows
        .iter()
        .find(|r| &r[0] == "ann" && &r[7] == "fin")
        .expect("ann fin");
    assert_eq!(&ann_fin[8], "", "a mean has no single attempt");
    assert_eq!(&ann_fin[11], "62.5");
    // Everyone is in the native file, identifiers or not.
    assert!(rows.iter().any(|r| &r[0] == "nobody"
        && &r[6] == "sample"
        && &r[7] == "mastery in 30 days (self-reported study)"));
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").all(|e| !e
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .starts_with('.')),
        "no temporary file is left"
    );
}

// ---- progress bundles ----

/// A student's database: Ann studied the sample deck twice, a day apart, and sat an exam.
fn student_db(dir: &Path) -> PathBuf {
    let db = dir.join("student.db");
    with_sample(&db);
    as_teacher(&db)
        .args([
            "learner",
            "add",
            "ann",
            "--email",
            "ann@uni.example",
            "--student-id",
            "S1",
        ])
        .assert()
        .success();
    let mut store = Store::open(&db).expect("open");
    let learner = store::learner_by_name(&store.conn, "ann")
        .expect("q")
        .expect("ann");
    // The binary replays in the local zone, which the tests set to UTC.
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    for (start, seed) in [(1_700_000_000_000, 7), (1_700_090_000_000, 8)] {
        let clock = TestClock::new(UnixMs(start), 4_000);
        let opts = StudyOptions {
            seed,
            ..Default::default()
        };
        let session = Session::start(&mut store, &learner, opts, &clock, cal).expect("start");
        session.run(&mut Scripted::new(FirstOption)).expect("run");
    }
    store
        .conn
        .execute_batch(
            "INSERT INTO exams (id, title, definition, content_hash, questions, grading, loaded_at)
             VALUES ('mid', 'Midterm', '{}', 'h', 2, 'highest', 0);",
        )
        .expect("exam");
    let card: i64 = store
        .conn
        .query_row("SELECT id FROM cards ORDER BY id LIMIT 1", [], |r| r.get(0))
        .expect("card");
    store
        .conn
        .execute(
            "INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, closed_at, score, max_score)
             VALUES ('mid', ?1, 1, 5, '[]', 1700000200000, 1700000300000, 1.5, 2)",
            [learner.id],
        )
        .expect("attempt");
    let attempt = store.conn.last_insert_rowid();
    store
        .conn
        .execute(
            "INSERT INTO attempt_answers (attempt_id, position, card_id, response, credit, correct, answered_at, duration_ms)
             VALUES (?1, 0, ?2, '\"x\"', 0.5, 0, 1700000250000, 100)",
            rusqlite::params![attempt, card],
        )
        .expect("answer");
    db
}

fn teacher_db(dir: &Path) -> PathBuf {
    let db = dir.join("teacher.db");
    with_sample(&db);
    // The teacher's definition: imported attempts are re-scored by it.
    Store::open(&db)
        .expect("open")
        .conn
        .execute_batch(
            r#"INSERT INTO exams (id, title, definition, content_hash, questions, grading, loaded_at)
             VALUES ('mid', 'Midterm', '{"id":"mid","title":"Midterm","decks":["sample"],"questions":2,"paper":"same","seed":0,"grading":"highest","pass_mark":50.0}', 'h', 2, 'highest', 0);"#,
        )
        .expect("exam");
    db
}

fn states_of(db: &Path, name: &str) -> Vec<(String, detente::schedule::CardState)> {
    let store = Store::open(db).expect("open");
    let learner = store::learner_by_name(&store.conn, name)
        .expect("q")
        .expect("learner");
    store::states(&store.conn, learner.id)
        .expect("states")
        .into_iter()
        .map(|(card, s)| {
            let c = store::card(&store.conn, card).expect("q").expect("card");
            (format!("{}/{}/{}", c.deck_id, c.card_key, c.sibling), s)
        })
        .collect()
}

fn counts(db: &Path) -> (i64, i64, i64) {
    let store = Store::open(db).expect("open");
    let n = |t: &str| -> i64 {
        store
            .conn
            .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
            .expect("count")
    };
    (n("reviews"), n("attempts"), n("attempt_answers"))
}

#[test]
fn bundles_reproduce_states_and_importing_twice_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let student = student_db(dir.path());
    let teacher = teacher_db(dir.path());
    let bundle = dir.path().join("ann.json");
    as_teacher(&student)
        .args(["--learner", "ann", "progress", "export", "-o"])
        .arg(&bundle)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bundle).expect("read")).expect("json");
    assert_eq!(json["format"], "detente-progress");
    assert_eq!(json["version"], 2);
    assert_eq!(json["learner"]["email"], "ann@uni.example");
    assert_eq!(json["decks"][0]["id"], "sample");
    assert_eq!(json["attempts"][0]["answers"][0]["credit"], 0.5);
    assert!(
        json["checksum"]
            .as_str()
            .expect("checksum")
            .starts_with("fnv1a64:")
    );

    as_teacher(&teacher)
        .args(["progress", "import", "--accept-unenrolled"])
        .arg(&bundle)
        .assert()
        .success();
    let source = states_of(&student, "ann");
    assert!(!source.is_empty());
    assert_eq!(states_of(&teacher, "ann"), source);
    let once = counts(&teacher);
    assert_eq!(once, counts(&student));
    assert_eq!(learner(&learners(&teacher), "ann")["student_id"], "S1");

    as_teacher(&teacher)
        .args(["progress", "import", "--accept-unenrolled"])
        .arg(&bundle)
        .arg(&bundle)
        .assert()
        .success();
    assert_eq!(counts(&teacher), once, "importing again adds nothing");
    assert_eq!(states_of(&teacher, "ann"), source);
}

#[test]
fn bad_bundles_are_refused_and_the_database_is_untouched() {
    let dir = tempfile::tempdir().expect("tmp");
    let student = student_db(dir.path());
    let teacher = teacher_db(dir.path());
    let good = dir.path().join("ann.json");
    as_teacher(&student)
        .args(["--learner", "ann", "progress", "export", "-o"])
        .arg(&good)
        .assert()
        .success();
    let text = std::fs::read_to_string(&good).expect("read");
    let mut bad: Vec<(&str, String)> = vec![
        ("truncated", text[..text.len() / 2].to_string()),
        ("corrupt", text.replace('{', "<")),
        (
            "edited",
            text.replacen("\"rating\": 1", "\"rating\": 4", 1).replacen(
                "\"rating\": 3",
                "\"rating\": 4",
                1,
            ),
        ),
        (
            "version",
            text.replacen("\"version\": 2", "\"version\": 3", 1),
        ),
    ];
    // A bundle that refers to a card this database lacks, with a valid checksum.
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("json");
    value["reviews"][0]["card"] = "no-such-card".into();
    let recheck = |v: &mut serde_json::Value| {
        let mut bare = v.clone();
        bare.as_object_mut().expect("object").remove("checksum");
        v["checksum"] = format!(
            "fnv1a64:{:016x}",
            detente::text::fnv1a(bare.to_string().as_bytes())
        )
        .into();
    };
    recheck(&mut value);
    bad.push(("missing-card", value.to_string()));
    // Control: the same rewrite with a real card is accepted by the checksum rule.
    let before = std::fs::read(&teacher).expect("db");
    for (what, body) in bad {
        let file = dir.path().join(format!("{what}.json"));
        std::fs::write(&file, body).expect("write");
        // Alone: each bundle of a multi-file import stands on its own (see tests/it/attempts.rs).
        let out = as_teacher(&teacher)
            .args(["progress", "import", "--accept-unenrolled"])
            .arg(&file)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(65), "{what}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{what}: one line: {err}");
        assert!(err.contains(&format!("{what}.json")), "{what}: {err}");
        assert_eq!(
            std::fs::read(&teacher).expect("db"),
            before,
            "{what}: database unchanged"
        );
    }
}

// ---- the LMS importers' rules, checked on the exported files ----

/// The cells of an export, the exit code and stderr; unlike [`export`], a refusal is returned, not a panic.
fn try_export(db: &Path, format: &str, extra: &[&str]) -> (Option<i32>, Vec<Vec<String>>, String) {
    let out = as_teacher(db)
        .args(["grades", "export", "--format", format])
        .args(extra)
        .output()
        .expect("run");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(out.stdout.as_slice());
    let rows = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect();
    (out.status.code(), rows, stderr(&out))
}

/// A class in which every identifier is missing for someone: the plain roster (Ann has all, Bo no email, Cy only an
/// email, S4 only a student id), "nobody" with none, and Fay and Gus sharing one email (written behind detente's
/// back, with a trailing space that the unique index does not see but an LMS trims).
fn class_db(dir: &Path) -> PathBuf {
    let db = exam_db(dir);
    for (name, email) in [("fay", "twin@uni.example"), ("gus", "gus@uni.example")] {
        as_teacher(&db)
            .args(["learner", "add", name, "--email", email, "--username", name])
            .args(["--student-id", &format!("ID-{name}")])
            .assert()
            .success();
    }
    Store::open(&db)
        .expect("open")
        .conn
        .execute_batch("UPDATE learners SET email = 'twin@uni.example ' WHERE name = 'gus'")
        .expect("twin");
    db
}

/// The column an LMS matches rows on, in each layout, for each `--match-by` (`None`: the layout's default).
fn id_column(format: &str, by: Option<&str>) -> usize {
    match (format, by) {
        ("native", None) => 0,
        ("native", Some("email")) => 1,
        ("native", Some("idnumber" | "sis")) => 2,
        ("native", Some("username")) => 3,
        ("moodle", None | Some("email")) => 0,
        ("moodle", Some("idnumber")) => 1,
        ("moodle", Some("username")) => 4,
        ("canvas", None | Some("sis" | "idnumber")) => 2,
        ("canvas", Some("username")) => 3,
        ("blackboard", None | Some("username")) => 2,
        other => panic!("no identifier column for {other:?}"),
    }
}

/// Moodle's CSV grade import (`grade/import/csv/classes/load_data.php` @ 0289d8c7, quoted in
/// docs/formats.md 2.1) looks the user up only when the mapped cell is non-empty; `$this->studentid` is reset
/// once per import, not per row, so a row with an empty identifier is credited to the previous row's student.
/// Canvas (`lib/gradebook_importer.rb` @ 00b222d7, `process_student`) matches on ID, then SIS User ID, then SIS
/// Login ID, then the name; Blackboard keys rows on Username. So: in every layout and with every identifier, no
/// row may have an empty identifier, and no two rows the same one.
#[test]
fn a_class_with_missing_identifiers_never_yields_a_row_with_an_empty_identifier() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = class_db(dir.path());
    for format in ["native", "moodle", "canvas", "blackboard"] {
        for by in [
            None,
            Some("email"),
            Some("idnumber"),
            Some("username"),
            Some("sis"),
        ] {
            let mut args = vec!["--study"];
            if let Some(b) = by {
                args.extend(["--match-by", b]);
            }
            let (code, rows, err) = try_export(&db, format, &args);
            let accepted = match (format, by) {
                (_, None) | ("native", _) => true,
                ("moodle", Some(b)) => ["email", "idnumber", "username"].contains(&b),
                ("canvas", Some(b)) => ["sis", "idnumber", "username"].contains(&b),
                (_, Some(b)) => b == "username",
            };
            if !accepted {
                assert_eq!(code, Some(2), "{format} {by:?}: {err}");
                assert!(rows.is_empty(), "{format} {by:?}: nothing written");
                assert!(err.contains("--match-by"), "{err}");
                continue;
            }
            assert_eq!(code, Some(0), "{format} {by:?}: {err}");
            let col = id_column(format, by);
            let skip = if format == "canvas" { 2 } else { 1 };
            let data = &rows[skip..];
            assert!(!data.is_empty(), "{format} {by:?}: someone is exported");
            let mut ids: Vec<&str> = Vec::new();
            for r in data {
                assert!(
                    !r[col].trim().is_empty(),
                    "{format} {by:?}: a row with an empty identifier: {r:?}"
                );
                if format != "native" {
                    assert!(
                        !ids.contains(&r[col].as_str()),
                        "{format} {by:?}: {r:?} twice"
                    );
                    ids.push(&r[col]);
                }
            }
            if format == "native" && by.is_none() {
                assert!(err.is_empty() || !err.contains("Left out"), "{err}");
                continue;
            }
            // Everyone left out is named with the exact command that gives them the identifier.
            let flag = match by.unwrap_or(match format {
                "moodle" => "email",
                "canvas" => "sis",
                _ => "username",
            }) {
                "email" => "--email",
                "username" => "--username",
                _ => "--student-id",
            };
            assert!(
                err.contains(&format!("detente learner set nobody {flag} ...")),
                "{format} {by:?}: {err}"
            );
            if by == Some("email") || (by.is_none() && format == "moodle") {
                // Fay and Gus share an email: Moodle would credit both rows to one of them.
                assert!(
                    data.iter()
                        .all(|r| !r.contains(&"twin@uni.example".to_string()))
                );
                assert!(err.contains("fay, gus") && err.contains("share"), "{err}");
            }
        }
    }
}

/// Moodle's import (`load_data.php`): `''` or `-` means no grade, anything else must be a number no greater than
/// the item's maximum (100 by default: `gradevaluetoobig` aborts the whole import), and a "Last downloaded from
/// this course" column would be checked against grade changes, so it is never written.
#[test]
fn moodle_grades_are_numbers_within_100_or_a_dash() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = class_db(dir.path());
    let (rows, _) = export(&db, "moodle", &["--match-by", "idnumber"]);
    assert!(
        rows[0]
            .iter()
            .all(|h| !h.contains("Last downloaded from this course"))
    );
    for r in &rows[1..] {
        for (h, cell) in rows[0].iter().zip(r).skip(4) {
            if h.ends_with("last activity") || h.ends_with("days active") {
                continue;
            }
            let ok = cell == "-"
                || cell
                    .parse::<f64>()
                    .is_ok_and(|v| (0.0..=100.0).contains(&v));
            assert!(ok, "{h}: {cell:?}");
        }
    }
}

/// Canvas's importer (`lib/gradebook_importer.rb` @ 00b222d7, quoted in docs/formats.md 3.2): the header
/// must start `Student`, `ID`, then `SIS User ID` followed by `SIS Login ID`, and the last student column must be
/// `Section`; a header ending in `(digits)` (`/\A(.*)\s\((\d+)\)\z/`) is read as an existing assignment's id; any
/// other header it does not know becomes a new assignment whose points come from the "Points Possible" row, and
/// one with an empty cell there becomes extra credit, unless the cell reads "read only". So: exam columns by
/// default, study columns only with --study, and every column with points or "read only".
#[test]
fn canvas_columns_are_exams_by_default_each_with_points_and_no_title_reads_as_an_id() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = class_db(dir.path());
    Store::open(&db)
        .expect("open")
        .conn
        .execute_batch(
            "INSERT INTO exams (id, title, definition, content_hash, questions, grading, pass_mark, loaded_at)
             VALUES ('w3', 'Week 3 quiz (2025)', '{}', 'h', 4, 'highest', 0.5, 0);",
        )
        .expect("exam");
    let is_id = |h: &str| {
        h.strip_suffix(')')
            .and_then(|b| b.rsplit_once(" ("))
            .is_some_and(|(_, d)| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
    };
    for (args, study) in [(vec![], false), (vec!["--study"], true)] {
        let (rows, err) = export(&db, "canvas", &args);
        let header = &rows[0];
        assert_eq!(
            header[..5],
            ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        );
        assert!(
            header.contains(&"Week 3 quiz [2025]".to_string()),
            "{header:?}"
        );
        assert!(header.iter().all(|h| !is_id(h)), "{header:?}");
        assert_eq!(
            header.iter().any(|h| h.contains("mastery")),
            study,
            "study columns only with --study: {header:?}"
        );
        if !study {
            assert_eq!(header.len(), 5 + 3, "three exams: {header:?}");
            assert!(err.contains("--study"), "{err}");
        }
        let points = &rows[1];
        assert_eq!(points[0], "    Points Possible");
        for (h, p) in header.iter().zip(points).skip(5) {
            assert!(
                p == "read only" || p.parse::<f64>().is_ok_and(|v| v > 0.0),
                "{h}: Points Possible {p:?}"
            );
        }
    }
}

/// Blackboard (docs/formats.md 3.4) keys every row on Username and needs points in a column's title
/// (`<Title> [Total Pts: <max> Score]`) for a graded column.
#[test]
fn blackboard_columns_carry_their_points_and_every_row_a_username() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = class_db(dir.path());
    let (rows, _) = export(&db, "blackboard", &[]);
    assert_eq!(
        rows[0][..4],
        ["Last Name", "First Name", "Username", "Student ID"]
    );
    for h in &rows[0][4..] {
        let graded = !h.ends_with("days active") && !h.ends_with("last activity");
        assert_eq!(h.contains(" [Total Pts: "), graded, "{h}");
    }
    assert!(rows[1..].iter().all(|r| !r[2].is_empty()));
}

/// Mastery in a grade export is the number `detente stats` shows: the recall predicted 30 days ahead, averaged over
/// the deck's cards, new cards counting 0; the assessment says it is self-reported study, and its horizon.
#[test]
fn grade_export_mastery_is_the_mastery_of_stats() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = student_db(dir.path());
    let out = as_teacher(&db)
        .args(["--learner", "ann", "--json", "stats", "--deck", "sample"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let deck = stats["mastery_by_deck"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|m| m["key"] == "sample")
        .expect("sample");
    let expected = deck["mastery"].as_f64().expect("mastery") * 100.0;
    assert!(expected > 0.0 && expected < 100.0, "{expected}");
    let (rows, _) = export(&db, "native", &["--deck", "sample"]);
    let row = rows
        .iter()
        .find(|r| r[0] == "ann" && r[7] == "mastery in 30 days (self-reported study)")
        .expect("ann's mastery");
    let exported: f64 = row[9].parse().expect("number");
    assert!(
        (exported - expected).abs() < 0.02,
        "{exported} vs {expected}"
    );
    assert_eq!(row[10], "100");
    let (rows, _) = export(&db, "moodle", &["--deck", "sample"]);
    let moodle: f64 = rows[1][5].parse().expect("number");
    assert!((moodle - expected).abs() < 0.02, "{moodle} vs {expected}");
}

// ---- flags, unsupervised attempts and built-in decks in bundles ----

fn flags_json(db: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let out = as_teacher(db)
        .args(["--json", "report", "flags"])
        .args(extra)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json")
}

fn card_named(db: &Path, key: &str) -> i64 {
    Store::open(db)
        .expect("open")
        .conn
        .query_row(
            "SELECT id FROM cards WHERE deck_id = 'sample' AND card_key = ?1 AND sibling = 0",
            [key],
            |r| r.get(0),
        )
        .expect("card")
}

#[test]
fn flags_travel_in_bundles_reach_the_teacher_and_can_be_resolved() {
    let dir = tempfile::tempdir().expect("tmp");
    let student = student_db(dir.path());
    let (first, second) = {
        let store = Store::open(&student).expect("open");
        let mut stmt = store
            .conn
            .prepare("SELECT card_key FROM cards WHERE deck_id = 'sample' AND sibling = 0 ORDER BY id LIMIT 2")
            .expect("q");
        let keys: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .expect("q")
            .map(|k| k.expect("key"))
            .collect();
        (keys[0].clone(), keys[1].clone())
    };
    {
        let mut store = Store::open(&student).expect("open");
        let ann = store::learner_by_name(&store.conn, "ann")
            .expect("q")
            .expect("ann")
            .id;
        let (a, b) = (card_named(&student, &first), card_named(&student, &second));
        let tx = store.write().expect("tx");
        store::add_flag(&tx, ann, a, 1_700_000_500, Some("the date is 2009")).expect("flag");
        store::add_flag(&tx, ann, b, 1_700_000_600, None).expect("flag");
        // Ann takes the second one back: it is no longer flagged for her.
        store::remove_flags(&tx, ann, b).expect("unflag");
        tx.commit().expect("commit");
        assert!(store::is_flagged(&store.conn, ann, a).expect("q"));
        assert!(!store::is_flagged(&store.conn, ann, b).expect("q"));
    }
    let bundle = dir.path().join("ann.json");
    as_teacher(&student)
        .args(["--learner", "ann", "progress", "export", "-o"])
        .arg(&bundle)
        .assert()
        .success();
    let teacher = teacher_db(dir.path());
    for round in 0..2 {
        let out = as_teacher(&teacher)
            .args(["progress", "import", "--accept-unenrolled"])
            .arg(&bundle)
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", stderr(&out));
        let want = if round == 0 {
            "2 new flag(s)"
        } else {
            "0 new flag(s)"
        };
        assert!(stderr(&out).contains(want), "{}", stderr(&out));
    }
    let open = flags_json(&teacher, &[]);
    assert_eq!(open.len(), 1, "{open:?}");
    let f = &open[0];
    assert_eq!(f["deck"], "sample");
    assert_eq!(f["card"], first.as_str());
    assert_eq!(f["learner"], "ann");
    assert_eq!(f["note"], "the date is 2009");
    assert_eq!(f["state"], "open");
    assert_eq!(f["when"], "2023-11-14T22:21:40Z");
    let all = flags_json(&teacher, &["--all"]);
    assert_eq!(all.len(), 2);
    assert_eq!(all[1]["state"], "withdrawn");
    // The text list has the same columns.
    let out = as_teacher(&teacher)
        .args(["report", "flags"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "DECK",
        "CARD",
        "LEARNER",
        "WHEN",
        "STATE",
        "NOTE",
        "the date is 2009",
        "ann",
    ] {
        assert!(text.contains(word), "{word}: {text}");
    }

    // deck check and deck import count the open flags on the cards they touch; check without a database makes none.
    let out = as_teacher(&teacher)
        .args(["deck", "check"])
        .arg(data("sample.toml"))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("1 open flag(s)"), "{}", stderr(&out));
    let none = dir.path().join("none.db");
    let out = as_teacher(&none)
        .args(["deck", "check"])
        .arg(data("sample.toml"))
        .output()
        .expect("run");
    assert!(out.status.success() && !stderr(&out).contains("flag"));
    assert!(!none.exists(), "deck check creates no database");
    let out = as_teacher(&teacher)
        .args(["deck", "import"])
        .arg(data("sample.toml"))
        .output()
        .expect("run");
    assert!(stderr(&out).contains("1 open flag(s)"), "{}", stderr(&out));

    // The teacher resolves it: no longer open, nor flagged for Ann; an unknown id is refused and writes nothing.
    let id = f["id"].as_i64().expect("id");
    let out = as_teacher(&teacher)
        .args(["report", "flags", "--resolve", "999999", "--resolve"])
        .arg(id.to_string())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(flags_json(&teacher, &[]).len(), 1);
    as_teacher(&teacher)
        .args(["report", "flags", "--resolve"])
        .arg(id.to_string())
        .assert()
        .success();
    assert!(flags_json(&teacher, &[]).is_empty());
    let store = Store::open(&teacher).expect("open");
    let ann = store::learner_by_name(&store.conn, "ann")
        .expect("q")
        .expect("ann")
        .id;
    assert!(!store::is_flagged(&store.conn, ann, card_named(&teacher, &first)).expect("q"));
    drop(store);
    // The old bundle, imported again, does not reopen it.
    as_teacher(&teacher)
        .args(["progress", "import", "--accept-unenrolled"])
        .arg(&bundle)
        .assert()
        .success();
    assert!(flags_json(&teacher, &[]).is_empty());
    assert_eq!(flags_json(&teacher, &["--all"])[0]["state"], "resolved");
}

#[test]
fn exam_attempts_from_a_bundle_are_unsupervised_and_left_out_of_grades_unless_asked() {
    let dir = tempfile::tempdir().expect("tmp");
    let student = student_db(dir.path());
    let bundle = dir.path().join("ann.json");
    as_teacher(&student)
        .args(["--learner", "ann", "progress", "export", "-o"])
        .arg(&bundle)
        .assert()
        .success();
    let teacher = teacher_db(dir.path());
    Store::open(&teacher)
        .expect("open")
        .conn
        .execute_batch(
            r#"UPDATE exams SET definition = '{"id":"mid","title":"Midterm","decks":["sample"],"questions":2,"paper":"same","seed":0,"grading":"highest","pass_mark":50.0}'"#,
        )
        .expect("definition");
    let out = as_teacher(&teacher)
        .args(["progress", "import", "--accept-unenrolled"])
        .arg(&bundle)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("unsupervised"), "{}", stderr(&out));
    let out = as_teacher(&teacher)
        .args(["--json", "exam", "results", "mid"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["learners"][0]["learner"], "ann");
    assert_eq!(v["learners"][0]["attempts"][0]["unsupervised"], true);
    let out = as_teacher(&teacher)
        .args(["exam", "results", "mid"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    // The bundle said 1.5 of 2 for an answer ("x") that earns nothing: re-scored by the teacher's copy.
    let ann_row = text.lines().find(|l| l.starts_with("ann")).expect("ann");
    assert!(
        ann_row.ends_with(" 0") && text.contains("unsupervised"),
        "{text}"
    );

    let ann_score = |extra: &[&str]| {
        let mut args = vec!["--exam", "mid"];
        args.extend(extra);
        let (rows, _) = export(&teacher, "native", &args);
        rows.iter()
            .find(|r| r[0] == "ann" && r[7] == "mid")
            .expect("ann")[9]
            .clone()
    };
    assert_eq!(ann_score(&[]), "", "left out by default");
    assert_eq!(ann_score(&["--include-unsupervised"]), "0");
}

#[test]
fn progress_import_into_a_fresh_database_loads_the_built_in_decks_first() {
    let dir = tempfile::tempdir().expect("tmp");
    let student = dir.path().join("student.db");
    as_teacher(&student).arg("decks").assert().success();
    as_teacher(&student)
        .args(["learner", "add", "ann"])
        .assert()
        .success();
    {
        let mut store = Store::open(&student).expect("open");
        let learner = store::learner_by_name(&store.conn, "ann")
            .expect("q")
            .expect("ann");
        let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
        let clock = TestClock::new(UnixMs(1_700_000_000_000), 4_000);
        let opts = StudyOptions {
            filter: store::Filter {
                decks: vec!["sherr-lisbon-2010".into()],
                tags: Vec::new(),
            },
            limit: Some(3),
            seed: 3,
            ..Default::default()
        };
        let session = Session::start(&mut store, &learner, opts, &clock, cal).expect("start");
        session.run(&mut Scripted::new(FirstOption)).expect("run");
    }
    let bundle = dir.path().join("ann.json");
    as_teacher(&student)
        .args(["--learner", "ann", "progress", "export", "-o"])
        .arg(&bundle)
        .assert()
        .success();
    let teacher = dir.path().join("fresh.db");
    let out = as_teacher(&teacher)
        .args(["progress", "import", "--accept-unenrolled"])
        .arg(&bundle)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("3 new review(s)"), "{}", stderr(&out));
}

/// Attack: identifiers neutralized like names (Moodle then aborts the import on `'+ivy@...`, Blackboard misses the
/// row `'-jo`), a risky identifier that goes by unnamed at roster import or at export, names left unneutralized, or
/// `--guard-identifiers` that does not guard. Each layout's identifier columns are read back with the csv crate.
#[test]
fn identifiers_are_written_as_the_lms_holds_them_and_named_when_a_spreadsheet_would_run_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("g.db");
    with_sample(&db);
    let out = as_teacher(&db)
        .args(["learner", "import"])
        .arg(data("roster/risky.csv"))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    for (line, what) in [
        (2, "the email `+ivy@uni.example`"),
        (2, "the student id `=1+1`"),
        (3, "the username `-jo`"),
    ] {
        assert!(
            err.contains(&format!(
                "risky.csv:{line}: warning: {what} would run as a formula"
            )),
            "{err}"
        );
    }
    assert!(!err.contains("jo@uni.example`"), "{err}");

    // Moodle, matched on the email: the email and ID number as held, the name neutralized, both named on stderr.
    let (rows, err) = export(&db, "moodle", &["--deck", "sample"]);
    let ivy = row(&rows, 2, "Ivy");
    assert_eq!(ivy[0], "+ivy@uni.example");
    assert_eq!(ivy[1], "=1+1");
    let jo = row(&rows, 0, "jo@uni.example");
    assert_eq!(jo[3], "'=Jones", "a name stays neutralized");
    assert!(
        err.contains("2 identifier(s) would run as formulas"),
        "{err}"
    );
    assert!(
        err.contains("ivy: Email address `+ivy@uni.example`"),
        "{err}"
    );
    assert!(err.contains("ivy: ID number `=1+1`"), "{err}");

    // Blackboard keys every row on the username: `-jo` as held.
    let (rows, err) = export(&db, "blackboard", &["--deck", "sample"]);
    let jo = row(&rows, 2, "-jo");
    assert_eq!(jo[0], "'=Jones");
    assert_eq!(row(&rows, 2, "ivy")[3], "=1+1");
    assert!(
        err.contains("-jo: Username `-jo`") || err.contains("jo: Username `-jo`"),
        "{err}"
    );

    // Canvas: the SIS User ID as held.
    let (rows, _) = export(&db, "canvas", &["--deck", "sample"]);
    assert_eq!(row(&rows, 3, "ivy")[2], "=1+1");

    // --guard-identifiers: every risky identifier neutralized, and said so.
    let (rows, err) = export(&db, "moodle", &["--deck", "sample", "--guard-identifiers"]);
    let ivy = row(&rows, 2, "Ivy");
    assert_eq!(ivy[0], "'+ivy@uni.example");
    assert_eq!(ivy[1], "'=1+1");
    assert_eq!(
        row(&rows, 0, "jo@uni.example")[1],
        "S9",
        "a safe identifier is untouched"
    );
    assert!(err.contains("Neutralized 2 identifier(s)"), "{err}");
}

/// Attack: two exams under one title written as two columns of one name, which Canvas reads as one (the first
/// column's grades for both) and Moodle and Blackboard map onto one item: the export must refuse, name both exams,
/// and write nothing; one exam at a time must still export.
#[test]
fn exams_sharing_a_title_are_refused_in_lms_layouts() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = exam_db(dir.path());
    let store = Store::open(&db).expect("open");
    store
        .conn
        .execute_batch(
            "INSERT INTO exams (id, title, definition, content_hash, questions, grading, pass_mark, loaded_at)
             VALUES ('mid2', 'Midterm', '{}', 'h', 10, 'highest', 0.5, 0);",
        )
        .expect("exam");
    drop(store);
    let file = dir.path().join("grades.csv");
    for format in ["moodle", "canvas", "blackboard"] {
        let out = as_teacher(&db)
            .args(["grades", "export", "--format", format, "-o"])
            .arg(&file)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(65), "{format}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("\"Midterm\" (mid, mid2)"), "{format}: {err}");
        assert!(!file.exists(), "{format}: nothing written");
    }
    let (rows, _) = export(&db, "canvas", &["--exam", "mid2"]);
    assert_eq!(rows[0][5], "Midterm");
    let (rows, _) = export(&db, "native", &[]);
    assert!(
        rows.iter().any(|r| r[7] == "mid2"),
        "native names exams by id"
    );
}

/// Attack: `--gradebook` that still writes a new-column header for an exam the LMS has (Canvas creates a duplicate
/// assignment, Blackboard a new text column), that matches an exam to a column silently when the gradebook has two of
/// its title, or that lets an unmatched exam go by unnamed. The headers are Canvas's `Title (id)` and Blackboard's
/// `Title [Total Pts: N Score] |id`, as their downloads write them.
#[test]
fn a_downloaded_gradebook_puts_exams_into_their_existing_columns() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = exam_db(dir.path());
    let canvas = data("gradebook/canvas.csv");
    let canvas = canvas.to_str().expect("path");
    let (rows, err) = export(&db, "canvas", &["--gradebook", canvas]);
    let err = err.replace('\n', " ");
    assert!(
        rows[0].contains(&"Midterm (1234)".to_string()),
        "{:?}",
        rows[0]
    );
    assert!(!rows[0].contains(&"Midterm".to_string()), "{:?}", rows[0]);
    let at = rows[0]
        .iter()
        .position(|h| h == "Midterm (1234)")
        .expect("column");
    assert_eq!(
        row(&rows, 2, "S1")[at],
        "8.5",
        "ann's grade in the existing column"
    );
    assert!(
        err.contains(
            "Exam `fin` (\"=Final\") matches no column of the gradebook: Canvas will create a new"
        ),
        "{err}"
    );

    let bb = data("gradebook/blackboard.csv");
    let (rows, err) = export(
        &db,
        "blackboard",
        &["--gradebook", bb.to_str().expect("path")],
    );
    assert!(
        rows[0].contains(&"Midterm [Total Pts: 10 Score] |5678".to_string()),
        "{:?}",
        rows[0]
    );
    let err = err.replace('\n', " ");
    assert!(err.contains("Blackboard will create a new column"), "{err}");

    // Two columns of one title: refused, naming both, nothing written.
    let twice = data("gradebook/canvas-twice.csv");
    let out = as_teacher(&db)
        .args(["grades", "export", "--format", "canvas", "--gradebook"])
        .arg(&twice)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).replace('\n', " ").contains(
            "the gradebook has 2 columns titled \"Midterm\" (Midterm (1234), Midterm (1235))"
        ),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());

    // A Canvas gradebook is no Moodle gradebook: it names no grade item as Moodle's export does.
    let out = as_teacher(&db)
        .args([
            "grades",
            "export",
            "--format",
            "moodle",
            "--gradebook",
            canvas,
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .replace('\n', " ")
            .contains("no column of this file carries a grade item"),
        "{}",
        stderr(&out)
    );
    let out = as_teacher(&db)
        .args(["grades", "export", "--format", "canvas", "--gradebook"])
        .arg(data("roster/plain.csv"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .replace('\n', " ")
            .contains("plain.csv:1: no column of this file carries an assignment id"),
        "{}",
        stderr(&out)
    );
}

/// Moodle's CSV grade import (`grade/import/csv/classes/load_data.php` @ 0289d8c7, docs/formats.md 2.4): the import
/// form lists existing grade items as `Module: Item` (`fetch_grade_items`), the names its export titles columns with
/// (`Quiz: Midterm (Real)`); a row's user is looked up by the mapped field's exact value (`check_user_exists`) and one
/// it cannot find aborts the whole import (`usermappingerror`).
///
/// Attack: `--gradebook` for Moodle that writes the exam under its own title instead of the grade item's column
/// (`Midterm`, which the teacher must map by hand or becomes a new item), writes into the `(Percentage)` column or a
/// course total, writes a percentage into an item out of 10 (Moodle caps it: full marks) when the gradebook shows the
/// maximum, or says nothing when it cannot, spells an email as detente's roster has it rather than as Moodle holds it
/// (`ann@` where Moodle has `Ann@`: no user found, import aborted), writes a learner Moodle does not hold or holds
/// twice (import aborted), lets an unmatched exam go by unnamed, or matches an exam silently when two activities have
/// its name.
#[test]
fn a_moodle_gradebook_gives_its_item_columns_and_identifiers() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = exam_db(dir.path());
    let moodle = data("gradebook/moodle.csv");
    let moodle = moodle.to_str().expect("path");
    let (rows, err) = export(&db, "moodle", &["--exam", "mid", "--gradebook", moodle]);
    let err = err.replace('\n', " ");
    assert_eq!(
        rows[0],
        [
            "Email address",
            "ID number",
            "First name",
            "Last name",
            "Quiz: Midterm (Real)"
        ]
    );
    // Ann is `ann@uni.example` on detente's roster and `Ann@Uni.example` in Moodle: written as Moodle has it.
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][0], "Ann@Uni.example");
    // The item is out of 10 (Ann's 7.00 is 70.00 %): her 85 % goes in as 8.5, not as 85, which Moodle would cap at
    // 10, full marks.
    assert_eq!(rows[1][4], "8.5");
    assert!(
        err.contains("Exam `mid` goes into \"Quiz: Midterm (Real)\", out of 10"),
        "{err}"
    );
    // Cy has an email Moodle does not hold: left out and named, with the reason.
    assert!(
        err.contains("whose email address is in no row of the gradebook")
            && err.contains("cy (cy@uni.example)"),
        "{err}"
    );

    // Every exam: the one no item matches is named, and keeps its own (neutralized) title.
    let (rows, err) = export(&db, "moodle", &["--gradebook", moodle]);
    let err = err.replace('\n', " ");
    assert_eq!(rows[0][4..6], ["'=Final", "Quiz: Midterm (Real)"]);
    assert!(
        err.contains(
            "Exam `fin` (\"=Final\") matches no column of the gradebook: map its column to a new grade item"
        ),
        "{err}"
    );

    // By ID number: Bo is in the gradebook (S2), Dee (S4) is not.
    let (rows, err) = export(
        &db,
        "moodle",
        &[
            "--exam",
            "mid",
            "--match-by",
            "idnumber",
            "--gradebook",
            moodle,
        ],
    );
    let ids: Vec<&str> = rows.iter().skip(1).map(|r| r[1].as_str()).collect();
    assert_eq!(ids, ["S1", "S2"], "{rows:?}");
    assert!(err.replace('\n', " ").contains("S4 (S4)"), "{err}");

    // Two Moodle users with Ann's email (a site that allows it): Moodle's lookup would find both and abort.
    let shared = dir.path().join("moodle-shared.csv");
    std::fs::write(
        &shared,
        "Email address,Quiz: Midterm (Real)\nann@uni.example,-\nANN@uni.example,-\nann@uni.example,-\n",
    )
    .expect("write");
    let (rows, err) = export(
        &db,
        "moodle",
        &[
            "--exam",
            "mid",
            "--gradebook",
            shared.to_str().expect("path"),
        ],
    );
    assert_eq!(rows.len(), 1, "only the header: {rows:?}");
    assert!(
        err.replace('\n', " ")
            .contains("whose email address is in several rows of the gradebook"),
        "{err}"
    );

    // Two activities named Midterm: refused, naming both, nothing written.
    let twice = dir.path().join("moodle-twice.csv");
    std::fs::write(
        &twice,
        "First name,Last name,ID number,Email address,Quiz: Midterm (Real),Assignment: Midterm (Real)\n\
         Ann,Arbor,S1,ann@uni.example,-,-\n",
    )
    .expect("write");
    let out = as_teacher(&db)
        .args(["grades", "export", "--format", "moodle", "--gradebook"])
        .arg(&twice)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).replace('\n', " ").contains(
            "the gradebook has 2 columns titled \"Midterm\" (Quiz: Midterm (Real), Assignment: Midterm (Real))"
        ),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());

    // A manual item named as the exam is taken before an activity of that name.
    let both = dir.path().join("moodle-both.csv");
    std::fs::write(
        &both,
        "Email address,Quiz: Midterm (Real),Midterm (Real)\nann@uni.example,-,-\n",
    )
    .expect("write");
    let (rows, err) = export(
        &db,
        "moodle",
        &["--exam", "mid", "--gradebook", both.to_str().expect("path")],
    );
    assert_eq!(rows[0][4], "Midterm (Real)");
    // No Percentage column: the maximum is unknown, the grade goes in as a percentage, and the note says so.
    assert_eq!(rows[1][4], "85");
    assert!(
        err.replace('\n', " ").contains(
            "as a percentage, out of 100: the gradebook does not show the item's maximum grade"
        ),
        "{err}"
    );

    // A gradebook without the column rows are matched on is refused, naming it.
    let no_email = dir.path().join("moodle-no-email.csv");
    std::fs::write(&no_email, "ID number,Quiz: Midterm (Real)\nS1,-\n").expect("write");
    let out = as_teacher(&db)
        .args(["grades", "export", "--format", "moodle", "--gradebook"])
        .arg(&no_email)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .replace('\n', " ")
            .contains("the gradebook has no `Email address` column"),
        "{}",
        stderr(&out)
    );
}
