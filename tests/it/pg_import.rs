//! The teacher's `progress import` on a class server on PostgreSQL (the `ImportOps` group): learners' bundles,
//! signed and unsigned, with study, an exam attempt and flags, are imported over a real `detente serve` on a
//! database of the test cluster (a lab's SQLite course adopted into it) and with `--db` on a copy of that course,
//! in step, and must print the same; the rows are then read from PostgreSQL with the owner's client, not through
//! the server, and compared with the SQLite copy's.

use crate::enrolment::setup::{read, recheck, write};
use crate::server::client;
use crate::server::daemon::me;
use crate::support::pg;
use crate::support::pg_served::PgServed;
use crate::support::{FirstOption, Scripted, TestClock, as_teacher, process, with_sample};
use detente::schedule::Calendar;
use detente::session::{Session, StudyOptions};
use detente::store::{self, Store};
use detente::time::UnixMs;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The exam the teacher loaded: imported attempts are re-scored by it.
const MIDTERM: &str = r#"INSERT INTO exams (id, title, definition, content_hash, questions, grading, loaded_at)
    VALUES ('mid', 'Midterm', '{"id":"mid","title":"Midterm","decks":["sample"],"questions":2,"paper":"same","seed":0,"grading":"highest","pass_mark":50.0}', 'h', 2, 'highest', 0);"#;

/// A lab's course (the sample deck and the built-in ones, the exam `mid`, ann, bob and carol on the roster, bob
/// enrolled, and with `me_too` the test's user as the learner `me`) and a copy of it; bob's enrolment code.
fn course(dir: &Path, me_too: bool) -> (PathBuf, PathBuf, String) {
    let lab = dir.join("lab.db");
    let me = me();
    let mut learners = vec![
        ("ann", "ann1", "ann@uni.example"),
        ("bob", "bob2", "bob@uni.example"),
        ("carol", "carol3", "carol@uni.example"),
    ];
    if me_too {
        learners.push(("me", me.as_str(), "me@uni.example"));
    }
    crate::support::lab_course(&lab, &learners);
    Store::open(&lab)
        .unwrap()
        .conn
        .execute_batch(MIDTERM)
        .unwrap();
    let out = as_teacher(&lab)
        .args(["--json", "learner", "enrol", "bob"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let issued: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let code = issued[0]["code"].as_str().unwrap().to_string();
    let local = dir.join("local.db");
    std::fs::copy(&lab, &local).unwrap();
    (lab, local, code)
}

/// A learner's own device: `name` studied the sample deck in two sessions, sat the exam `mid` (an answer the
/// teacher's copy re-scores to nothing), and flagged a card; enrolled with `code` if given. Their bundle.
fn bundle(dir: &Path, name: &str, code: Option<&str>) -> PathBuf {
    let db = dir.join(format!("{name}.db"));
    with_sample(&db);
    match code {
        Some(code) => crate::enrolment::setup::device(&db)
            .args(["enrol", code])
            .assert()
            .success(),
        None => as_teacher(&db)
            .args([
                "learner",
                "add",
                name,
                "--email",
                &format!("{name}@uni.example"),
            ])
            .assert()
            .success(),
    };
    let mut store = Store::open(&db).unwrap();
    store.conn.execute_batch(MIDTERM).unwrap();
    let learner = store::learner_by_name(&store.conn, name).unwrap().unwrap();
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).unwrap(), 4);
    for (start, seed) in [(1_700_000_000_000, 7), (1_700_090_000_000, 8)] {
        let clock = TestClock::new(UnixMs(start), 4_000);
        let opts = StudyOptions {
            seed,
            ..Default::default()
        };
        let session = Session::start(&mut store, &learner, opts, &clock, cal).unwrap();
        session.run(&mut Scripted::new(FirstOption)).unwrap();
    }
    let card: i64 = store
        .conn
        .query_row("SELECT id FROM cards ORDER BY id LIMIT 1", [], |r| r.get(0))
        .unwrap();
    store
        .conn
        .execute(
            "INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, closed_at, score, max_score)
             VALUES ('mid', ?1, 1, 5, '[]', 1700000200000, 1700000300000, 1.5, 2)",
            [learner.id],
        )
        .unwrap();
    let attempt = store.conn.last_insert_rowid();
    store
        .conn
        .execute(
            "INSERT INTO attempt_answers (attempt_id, position, card_id, response, credit, correct, answered_at,
                duration_ms) VALUES (?1, 0, ?2, '\"x\"', 0.5, 0, 1700000250000, 100)",
            rusqlite::params![attempt, card],
        )
        .unwrap();
    store
        .conn
        .execute(
            "INSERT INTO flags (learner_id, card_id, flagged_at, note, state) VALUES (?1, ?2, 1700000260, 'typo?', 'open')",
            rusqlite::params![learner.id, card],
        )
        .unwrap();
    drop(store);
    let path = dir.join(format!("{name}.json"));
    let mut export = crate::enrolment::setup::device(&db);
    if code.is_none() {
        export.args(["--learner", name]);
    }
    let out = export
        .args(["progress", "export", "-o"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    path
}

/// What `progress import` writes, one line a row, in an order both databases give alike: reviews, card states,
/// attempts and their answers, flags, the unverified marks and the sync log, each with its learner's name.
const ROWS: &[&str] = &[
    "SELECT 'review ' || l.name || ' ' || c.deck_id || '/' || c.card_key || '/' || c.sibling || ' ' || r.reviewed_at
        || ' ' || r.rating || ' ' || r.mode || ' ' || CAST(r.retracted AS integer)
     FROM reviews r JOIN learners l ON l.id = r.learner_id JOIN cards c ON c.id = r.card_id",
    "SELECT 'state ' || l.name || ' ' || c.deck_id || '/' || c.card_key || '/' || c.sibling || ' ' || s.phase || ' '
        || s.due || ' ' || CAST(round(s.stability * 1000) AS bigint) || ' ' || s.reps || ' ' || s.lapses
     FROM card_states s JOIN learners l ON l.id = s.learner_id JOIN cards c ON c.id = s.card_id",
    "SELECT 'attempt ' || l.name || ' ' || a.exam_id || ' ' || a.number || ' ' || a.started_at || ' '
        || coalesce(a.closed_at, -1) || ' ' || CAST(round(coalesce(a.score, -1) * 1000) AS bigint) || ' '
        || CAST(a.unsupervised AS integer) || ' ' || a.paper
     FROM attempts a JOIN learners l ON l.id = a.learner_id",
    "SELECT 'answer ' || l.name || ' ' || a.number || ' ' || x.position || ' ' || x.response || ' '
        || CAST(round(x.credit * 1000) AS bigint) || ' ' || CAST(x.correct AS integer)
     FROM attempt_answers x JOIN attempts a ON a.id = x.attempt_id JOIN learners l ON l.id = a.learner_id",
    "SELECT 'flag ' || l.name || ' ' || c.deck_id || '/' || c.card_key || ' ' || f.flagged_at || ' '
        || coalesce(f.note, '') || ' ' || f.state
     FROM flags f JOIN learners l ON l.id = f.learner_id JOIN cards c ON c.id = f.card_id",
    "SELECT 'unverified ' || l.name || ' ' || u.bundles FROM unverified_imports u JOIN learners l ON l.id = u.learner_id",
    "SELECT 'log ' || l.name || ' ' || g.device || ' ' || g.seq || ' ' || g.learner_seq
     FROM sync_log g JOIN learners l ON l.id = g.learner_id",
    "SELECT 'learner ' || name || ' ' || coalesce(email, '') || ' ' || coalesce(username, '') FROM learners",
];

/// Every row of [`ROWS`] in the SQLite file, sorted.
fn sqlite_rows(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut out: Vec<String> = Vec::new();
    for sql in ROWS {
        let mut stmt = conn.prepare(sql).unwrap();
        out.extend(
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap),
        );
    }
    out.sort();
    out
}

/// Every row of [`ROWS`] in the server's PostgreSQL database, read by the owner in the course's scope, sorted.
fn pg_rows(served: &PgServed) -> Vec<String> {
    let mut client = postgres::Client::connect(&served.owner_url, postgres::NoTls).unwrap();
    let mut tx = client.transaction().unwrap();
    tx.batch_execute("SELECT set_config('detente.scope', 'course', true)")
        .unwrap();
    let mut out: Vec<String> = Vec::new();
    for sql in ROWS {
        // SQLite's text of a float and PostgreSQL's differ: every float above is rounded to an integer first.
        for r in tx.query(*sql, &[]).unwrap() {
            out.push(r.get(0));
        }
    }
    tx.commit().unwrap();
    out.sort();
    out
}

/// Restarts the server with a bundle's size allowed (two sessions' bundle is some megabytes, over the default limit
/// of a request) and, without `teachers`, its `[teachers]` dropped (the test's user then only a learner); a client
/// home logged in to it.
fn serve_again(served: &mut PgServed, teachers: bool) -> tempfile::TempDir {
    served.stop();
    let config = served.dir.path().join("serve.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    if !teachers {
        let listed = format!("[teachers]\nusers = [{:?}]\n", me());
        assert!(toml.contains(&listed), "{toml}");
        toml = toml.replace(&listed, "");
    }
    toml += "[limits]\nmax_request_bytes = 67108864\n";
    std::fs::write(&config, toml).unwrap();
    served.server = process(&served.dir.path().join("unused.db"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&served.log).unwrap())
        .spawn()
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    for _ in 0..600 {
        let out = client(home.path())
            .args(["login", served.socket.to_str().unwrap()])
            .output()
            .unwrap();
        if out.status.success() {
            return home;
        }
        assert!(
            served.server.try_wait().unwrap().is_none(),
            "{}",
            served.said()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no login: {}", served.said());
}

/// A client logged in to the PostgreSQL server and the SQLite copy `--db` runs on.
struct Pair {
    home: tempfile::TempDir,
    local: PathBuf,
}

impl Pair {
    /// Runs the command over the server and on the copy; asserts the same exit code, stdout and stderr.
    fn same(&self, args: &[&str]) -> Output {
        let remote = client(self.home.path()).args(args).output().unwrap();
        let local = client(self.home.path())
            .arg("--db")
            .arg(&self.local)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            text(&remote.stderr),
            text(&local.stderr),
            "stderr of {args:?}"
        );
        assert_eq!(
            text(&remote.stdout),
            text(&local.stdout),
            "stdout of {args:?}"
        );
        assert_eq!(remote.status.code(), local.status.code(), "{args:?}");
        remote
    }
}

/// Attack: bundles imported over a PostgreSQL server (a lab's course adopted into it) must do what they do on a
/// copy of that course: ann's unsigned bundle refused without `--accept-unenrolled` and taken with it (marked
/// unverified), bob's signed one taken (its exam attempt re-scored to nothing by the teacher's definition, stored
/// as unsupervised, its flag added, his card states replayed), both again (all known), then a copy of bob's bundle
/// with a review altered after signing, a forgery of ann's bundle claiming bob, and ann's bundle with ten more flags
/// on her flagged card (over the cap only with the one already here, found after its rows are written) are
/// refused with exit 65 and the same line. Every output is byte for byte the same both ways, and every row the import writes (reviews, card
/// states, attempts, answers, flags, the unverified mark, the sync log) read from PostgreSQL with the owner's
/// client equals the SQLite copy's, before and after the refusals: the work ran in PostgreSQL, in one transaction
/// that a refusal leaves unwritten.
#[test]
fn bundles_imported_on_a_postgresql_server_write_what_sqlite_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, local, code) = course(dir.path(), false);
    let ann = bundle(dir.path(), "ann", None);
    let bob = bundle(dir.path(), "bob", Some(&code));
    let db = pg::cluster().database();
    let mut served = PgServed::adopting(&db, "import", false, Some(&lab));
    let pair = Pair {
        home: serve_again(&mut served, true),
        local,
    };
    let (ann_s, bob_s) = (ann.to_str().unwrap(), bob.to_str().unwrap());
    let empty = pg_rows(&served);
    assert_eq!(empty, sqlite_rows(&pair.local));
    let out = pair.same(&["progress", "import", ann_s]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        text(&out.stderr).contains("--accept-unenrolled"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(pg_rows(&served), empty, "a refused bundle wrote");
    let out = pair.same(&["progress", "import", "--accept-unenrolled", ann_s]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = pair.same(&["progress", "import", bob_s]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("unsupervised"),
        "{}",
        text(&out.stderr)
    );
    pair.same(&[
        "--json",
        "progress",
        "import",
        "--accept-unenrolled",
        ann_s,
        bob_s,
    ]);
    let taken = pg_rows(&served);
    assert_eq!(taken, sqlite_rows(&pair.local));
    for kind in [
        "review ",
        "state ",
        "attempt ",
        "answer ",
        "flag ",
        "unverified ann 2",
        "log bob",
    ] {
        assert!(
            taken.iter().any(|r| r.starts_with(kind)),
            "no {kind:?} row: {taken:#?}"
        );
    }
    assert!(
        taken
            .iter()
            .any(|r| r.starts_with("attempt bob mid 1000001 ") && r.contains(" 0 1 ")),
        "bob's attempt re-scored to nothing, unsupervised: {taken:#?}"
    );
    // Ten more flags on the card ann flagged (other seconds): eleven with hers, over the cap, found only after
    // the bundle's rows are written; the transaction keeps none of them.
    let mut flood = read(&ann);
    let first = flood["flags"][0].clone();
    flood["flags"] = (1..=10)
        .map(|i| {
            let mut f = first.clone();
            f["flagged_at"] = (f["flagged_at"].as_i64().unwrap() + i).into();
            f
        })
        .collect::<Vec<_>>()
        .into();
    recheck(&mut flood);
    let flood = write(dir.path(), "flood.json", &flood);
    let out = pair.same(&[
        "progress",
        "import",
        "--accept-unenrolled",
        flood.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        text(&out.stderr).contains("11 flags"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(pg_rows(&served), taken, "a bundle over the cap wrote");
    // Altered after signing: one review's rating changed, the checksum made right again.
    let mut altered = read(&bob);
    let rating = altered["reviews"][0]["rating"].as_i64().unwrap();
    altered["reviews"][0]["rating"] = (if rating == 4 { 3 } else { rating + 1 }).into();
    recheck(&mut altered);
    let altered = write(dir.path(), "altered.json", &altered);
    let out = pair.same(&["progress", "import", altered.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        text(&out.stderr).contains("altered after it was signed"),
        "{}",
        text(&out.stderr)
    );
    let mut forged = read(&ann);
    forged["learner"]["name"] = "bob".into();
    forged["learner"]["email"] = "bob@uni.example".into();
    recheck(&mut forged);
    let forged = write(dir.path(), "forged.json", &forged);
    let out = pair.same(&[
        "progress",
        "import",
        "--accept-unenrolled",
        forged.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        text(&out.stderr).contains("who is enrolled"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(pg_rows(&served), taken, "a refused bundle wrote");
    assert_eq!(sqlite_rows(&pair.local), taken);
    assert!(
        !served.dir.path().join("state").join("detente.db").exists(),
        "the server made a SQLite database"
    );
}

/// Attack: a learner (the test's user, on the roster of a course adopted into PostgreSQL, on a server with no
/// teacher) sends a bundle, their own and with `--accept-unenrolled`: refused with exit 77 naming who the server
/// says they are, and nothing the import would write is in PostgreSQL afterwards.
#[test]
fn a_learner_is_refused_progress_import_on_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, _, _) = course(dir.path(), true);
    let ann = bundle(dir.path(), "ann", None);
    let db = pg::cluster().database();
    let mut served = PgServed::adopting(&db, "import_learner", false, Some(&lab));
    let home = serve_again(&mut served, false);

    let before = pg_rows(&served);
    for args in [
        &["progress", "import", ann.to_str().unwrap()][..],
        &[
            "progress",
            "import",
            "--accept-unenrolled",
            ann.to_str().unwrap(),
        ],
    ] {
        let out = client(home.path()).args(args).output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(77), "{args:?}: {err}");
        assert!(
            err.contains("is for this server's teachers")
                && err.contains(&format!("you are learner me (user {})", me())),
            "{args:?}: {err}"
        );
    }
    assert_eq!(pg_rows(&served), before, "a learner's import wrote");
}

/// Attack: a PostgreSQL server that loads the built-in decks for an import without saying so (or says it
/// differently from SQLite). A lab holding only the sample deck and ann is adopted (so PostgreSQL lacks the built-in
/// decks) and ann's bundle imported over the server and on a copy with `--db`: the same output, byte for byte, the
/// built-in decks named as they are loaded; a second import loads nothing and names nothing.
#[test]
fn a_postgresql_import_names_the_built_in_decks_it_loads_as_sqlite_does() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("lab.db");
    crate::support::with_sample(&lab)
        .conn
        .execute_batch(MIDTERM)
        .unwrap();
    as_teacher(&lab)
        .args(["learner", "add", "ann", "--email", "ann@uni.example"])
        .assert()
        .success();
    let local = dir.path().join("local.db");
    std::fs::copy(&lab, &local).unwrap();
    let ann = bundle(dir.path(), "ann", None);
    let db = pg::cluster().database();
    let mut served = PgServed::adopting(&db, "import_builtin", false, Some(&lab));
    let pair = Pair {
        home: serve_again(&mut served, true),
        local,
    };
    let args = [
        "progress",
        "import",
        "--accept-unenrolled",
        ann.to_str().unwrap(),
    ];
    let first = pair.same(&args);
    let said = format!("{}{}", text(&first.stdout), text(&first.stderr));
    assert!(said.contains("built-in deck sherr-lisbon-2010"), "{said}");
    let again = pair.same(&args);
    let said = format!("{}{}", text(&again.stdout), text(&again.stderr));
    assert!(!said.contains("built-in deck"), "{said}");
}
