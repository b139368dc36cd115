//! The teacher's reports on a class server kept in PostgreSQL: a course built in SQLite (the sample deck and the
//! built-in ones, three learners, study sessions, flags, an exam with supervised, unsupervised, open and expired
//! attempts) is adopted into a PostgreSQL server's database, and every report (`stats --class`, `report --class
//! --html`, `report items`, `report flags` and `--resolve`, `exam results`, `grades export`) over that server prints
//! and writes exactly what the same command prints with `--db` on the SQLite copy. A learner is refused them and
//! nothing is written; flags resolved over the server are resolved in PostgreSQL's rows.

use crate::server::daemon::me;
use crate::support::pg;
use crate::support::pg_served::PgServed;
use crate::support::{FirstOption, Scripted, TestClock, process};
use detente::schedule::Calendar;
use detente::session::{Session, StudyOptions};
use detente::store::{self, Store};
use detente::time::UnixMs;
use std::path::{Path, PathBuf};
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A file of the repository, by its path from the package's root.
fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs a local command on `db`, which must succeed.
fn ok(db: &Path, args: &[&str]) {
    let out = process(db).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
}

/// An attempt at the exam: learner, number, started, deadline, closed, score, unsupervised, how many of its
/// answers are right, how many questions were answered.
type Sitting = (
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<f64>,
    bool,
    usize,
    usize,
);

/// A course in SQLite (`course.db` in `dir`): the sample deck and the built-in decks, ann, bob and eve (with
/// usernames and emails); ann and bob studied (two sessions each); three flags, one withdrawn; the example exam
/// loaded, with ann's closed attempt and her timed attempt whose time ran out while it was open (nobody closed
/// it), bob's closed attempt and one he brought in a bundle (unsupervised), and eve's open attempt without a limit.
fn course(dir: &Path) -> PathBuf {
    let db = dir.join("course.db");
    crate::support::lab_course(
        &db,
        &[
            ("ann", "ann1", "ann@uni.example"),
            ("bob", "bob2", "bob@uni.example"),
            ("eve", "eve3", "eve@uni.example"),
        ],
    );
    ok(
        &db,
        &["exam", "load", repo("exams/example.toml").to_str().unwrap()],
    );
    let mut store = Store::open(&db).unwrap();
    let id =
        |store: &Store, name: &str| store::learner_by_name(&store.conn, name).unwrap().unwrap();
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).unwrap(), 4);
    for (name, seeds) in [("ann", [3, 4]), ("bob", [5, 6])] {
        let learner = id(&store, name);
        for (start, seed) in [(1_700_000_000_000, seeds[0]), (1_700_090_000_000, seeds[1])] {
            let clock = TestClock::new(UnixMs(start), 4_000);
            let opts = StudyOptions {
                seed,
                filter: store::Filter {
                    decks: vec!["sample".into()],
                    tags: Vec::new(),
                },
                ..Default::default()
            };
            let session = Session::start(&mut store, &learner, opts, &clock, cal).unwrap();
            session.run(&mut Scripted::new(FirstOption)).unwrap();
        }
    }
    let (ann, bob, eve) = (
        id(&store, "ann").id,
        id(&store, "bob").id,
        id(&store, "eve").id,
    );
    let sample: Vec<i64> = store
        .conn
        .prepare("SELECT id FROM cards WHERE deck_id = 'sample' ORDER BY id LIMIT 3")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let pool: Vec<i64> = store::exam_pool(
        &store.conn,
        &store::Filter {
            decks: vec![
                "sherr-lisbon-2010".into(),
                "naselskaya-missile-defence".into(),
            ],
            tags: Vec::new(),
        },
        false,
    )
    .unwrap()
    .into_iter()
    .map(|(id, _)| id)
    .take(10)
    .collect();
    assert_eq!(pool.len(), 10);
    let tx = store.write().unwrap();
    store::add_flag(&tx, ann, sample[0], 1_700_000_500, Some("the date is 2009")).unwrap();
    store::add_flag(&tx, bob, sample[1], 1_700_000_600, None).unwrap();
    store::add_flag(&tx, bob, sample[2], 1_700_000_700, Some("typo")).unwrap();
    store::remove_flags(&tx, bob, sample[2]).unwrap();
    let paper = serde_json::to_string(&pool).unwrap();
    let attempts: [Sitting; 5] = [
        (
            ann,
            1,
            1_700_000_000_000,
            Some(1_700_001_200_000),
            Some(1_700_000_900_000),
            Some(7.0),
            false,
            7,
            10,
        ),
        (
            ann,
            2,
            1_700_100_000_000,
            Some(1_700_101_200_000),
            None,
            None,
            false,
            2,
            4,
        ),
        (
            bob,
            1,
            1_700_000_000_000,
            Some(1_700_001_200_000),
            Some(1_700_000_800_000),
            Some(4.0),
            false,
            4,
            10,
        ),
        (
            bob,
            1_000_001,
            1_699_000_000_000,
            None,
            Some(1_699_000_600_000),
            Some(9.0),
            true,
            9,
            10,
        ),
        (eve, 1, 1_700_200_000_000, None, None, None, false, 1, 3),
    ];
    for (learner, number, started, deadline, closed, score, unsupervised, right, answered) in
        attempts
    {
        tx.execute(
            "INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, deadline, closed_at,
                                   score, max_score, unsupervised)
             VALUES ('midterm-nato-russia', ?1, ?2, 7, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?6 IS NULL THEN NULL ELSE 10.0 END, ?8)",
            rusqlite::params![learner, number, paper, started, deadline, closed, score, unsupervised],
        )
        .unwrap();
        let attempt = tx.last_insert_rowid();
        for (position, card) in pool.iter().take(answered).enumerate() {
            let credit = if position < right { 1.0 } else { 0.0 };
            tx.execute(
                "INSERT INTO attempt_answers (attempt_id, position, card_id, response, credit, correct, answered_at,
                                              duration_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 9000)",
                rusqlite::params![
                    attempt,
                    position as i64,
                    card,
                    format!("\"choice {}\"", position % 3),
                    credit,
                    credit > 0.5,
                    started + 60_000 * (position as i64 + 1)
                ],
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
    db
}

/// A client logged in to a PostgreSQL server, and the SQLite copy its database was adopted from: each command is
/// run over the server in one working folder and with `--db` on the copy in another.
struct Pair<'a> {
    served: &'a PgServed,
    local: PathBuf,
    over: tempfile::TempDir,
    here: tempfile::TempDir,
}

impl Pair<'_> {
    fn remote(&self, args: &[&str]) -> Output {
        self.served
            .client()
            .current_dir(self.over.path())
            .args(args)
            .output()
            .unwrap()
    }

    fn local(&self, args: &[&str]) -> Output {
        self.served
            .client()
            .current_dir(self.here.path())
            .arg("--db")
            .arg(&self.local)
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs the command both ways and asserts the same exit code, stdout and stderr; returns the server's.
    fn same(&self, args: &[&str]) -> Output {
        let (remote, local) = (self.remote(args), self.local(args));
        assert_eq!(
            text(&remote.stderr),
            text(&local.stderr),
            "stderr of {args:?}\n{}",
            self.served.said()
        );
        assert_eq!(
            text(&remote.stdout),
            text(&local.stdout),
            "stdout of {args:?}"
        );
        assert_eq!(remote.status.code(), local.status.code(), "{args:?}");
        remote
    }

    fn files(&self, name: &str) -> (Vec<u8>, Vec<u8>) {
        (
            std::fs::read(self.over.path().join(name)).unwrap(),
            std::fs::read(self.here.path().join(name)).unwrap(),
        )
    }
}

/// A connection to the server's PostgreSQL database as the tables' owner.
fn owner(served: &PgServed) -> postgres::Client {
    postgres::Client::connect(&served.owner_url, postgres::NoTls).unwrap()
}

/// A PostgreSQL server of the test cluster with the SQLite database `lab` adopted into its database (by `detente
/// admin adopt`), the test's user its teacher, and a client logged in to it.
fn adopted(lab: &Path, suffix: &str) -> PgServed {
    let served = PgServed::adopting(&pg::cluster().database(), suffix, false, Some(lab));
    served.ok(&["login", served.socket.to_str().unwrap()]);
    served
}

/// Every flag's (id, state, closed_at) in PostgreSQL, read as the owner in the course's scope.
fn pg_flags(served: &PgServed) -> Vec<(i64, String, Option<i64>)> {
    let mut owner = owner(served);
    let mut tx = owner.transaction().unwrap();
    tx.execute("SELECT set_config('detente.scope', 'course', true)", &[])
        .unwrap();
    tx.query("SELECT id, state, closed_at FROM flags ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// An attempt's id, closed_at, score and max_score.
type AttemptRow = (i64, Option<i64>, Option<f64>, Option<f64>);

/// Every attempt's (id, closed_at, score, max_score) in PostgreSQL, read as the owner in the course's scope.
fn pg_attempts(served: &PgServed) -> Vec<AttemptRow> {
    let mut owner = owner(served);
    let mut tx = owner.transaction().unwrap();
    tx.execute("SELECT set_config('detente.scope', 'course', true)", &[])
        .unwrap();
    tx.query(
        "SELECT id, closed_at, score, max_score FROM attempts ORDER BY id",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect()
}

/// The same attempts in the SQLite copy.
fn sqlite_attempts(db: &Path) -> Vec<AttemptRow> {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.prepare("SELECT id, closed_at, score, max_score FROM attempts ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// Attack: the reports must be computed from PostgreSQL's rows exactly as from SQLite's (same order of names and
/// ids, same rounding, same text): over a PostgreSQL server adopted from a SQLite course, `stats --class` (by deck
/// and by theme, JSON too), `report --class --html`, `report items` (of a deck, of the exam, with unsupervised
/// attempts, an unknown exam), `report flags` (open, all, of a deck, an unknown deck), `exam results` (JSON too, with
/// unsupervised attempts, an unknown exam) and `grades export` (Moodle, native to a file, Canvas with study
/// columns, one deck, an unknown exam) print and write byte for byte what they print with `--db` on the SQLite
/// copy. The timed attempt whose time ran out is closed and scored in PostgreSQL's rows as in SQLite's (the close
/// ran on PostgreSQL, by the server's closer or the report, not on the empty SQLite beside the pool).
#[test]
fn reports_over_postgresql_print_what_they_print_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let local = course(dir.path());
    let served = adopted(&local, "reports");
    let pair = Pair {
        served: &served,
        local,
        over: tempfile::tempdir().unwrap(),
        here: tempfile::tempdir().unwrap(),
    };
    // The lab's copy holds ann's expired attempt open; the server closes it in PostgreSQL (its closer at start-up
    // or the first report that reads attempts), never in the empty SQLite beside the pool.
    assert_eq!(
        sqlite_attempts(&pair.local)
            .iter()
            .filter(|a| a.1.is_none())
            .count(),
        2,
        "ann's expired attempt and eve's are open in the lab's copy"
    );
    for args in [
        &["stats", "--class"][..],
        &["stats", "--class", "--by", "theme"],
        &["--json", "stats", "--class"],
        &["stats", "--class", "--deck", "sample"],
        &["stats", "--class", "--deck", "nope"],
        &["stats", "--class", "--tag", "theme:*", "--by", "theme"],
        &["stats", "--class", "--tag", "theme:?ran"],
        &["report", "--class", "--html", "class.html"],
        &["report", "items", "--deck", "sample"],
        &["--json", "report", "items", "--deck", "sample"],
        &["report", "items", "--exam", "midterm-nato-russia"],
        &[
            "report",
            "items",
            "--exam",
            "midterm-nato-russia",
            "--include-unsupervised",
        ],
        &["report", "items", "--exam", "nope"],
        &["report", "flags"],
        &["report", "flags", "--all"],
        &["--json", "report", "flags", "--all"],
        &["report", "flags", "--deck", "sample"],
        &["report", "flags", "--deck", "nope"],
        &["exam", "results", "midterm-nato-russia"],
        &["--json", "exam", "results", "midterm-nato-russia"],
        &[
            "exam",
            "results",
            "midterm-nato-russia",
            "--include-unsupervised",
        ],
        &["exam", "results", "nope"],
        &["grades", "export", "--format", "moodle"],
        &["grades", "export", "--format", "native", "-o", "grades.csv"],
        &["grades", "export", "--format", "canvas", "--study"],
        &["grades", "export", "--format", "native", "--deck", "sample"],
        &["grades", "export", "--format", "moodle", "--exam", "nope"],
    ] {
        pair.same(args);
    }
    let stats = text(&pair.remote(&["stats", "--class"]).stdout);
    assert!(stats.contains("ann") && stats.contains("bob"), "{stats}");
    let (a, b) = pair.files("class.html");
    assert_eq!(a, b);
    let (a, b) = pair.files("grades.csv");
    assert_eq!(a, b);
    assert!(text(&a).contains("ann"), "{}", text(&a));
    let results = text(
        &pair
            .remote(&["exam", "results", "midterm-nato-russia"])
            .stdout,
    );
    assert!(results.contains("eve"), "{results}");
    // The expired attempt was closed in PostgreSQL, as in SQLite; eve's (no limit) is still open.
    let closed = pg_attempts(&served);
    assert_eq!(closed.iter().filter(|a| a.1.is_none()).count(), 1);
    assert_eq!(
        closed.iter().map(|a| (a.1, a.2, a.3)).collect::<Vec<_>>(),
        sqlite_attempts(&pair.local)
            .iter()
            .map(|a| (a.1, a.2, a.3))
            .collect::<Vec<_>>()
    );
}

/// Attack: resolving flags over a PostgreSQL server must write PostgreSQL's rows, all or nothing: a list with a
/// wrong id is refused as on SQLite and no flag changes in PostgreSQL; then resolving ann's open flag and bob's
/// withdrawn one prints what SQLite prints, PostgreSQL's row of the open flag is `resolved` at the time of the
/// request (the withdrawn one left as it was), and `report flags` then shows what SQLite shows.
#[test]
fn flags_resolved_over_postgresql_are_resolved_in_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let local = course(dir.path());
    let served = adopted(&local, "flags");
    let pair = Pair {
        served: &served,
        local,
        over: tempfile::tempdir().unwrap(),
        here: tempfile::tempdir().unwrap(),
    };
    let before = pg_flags(&served);
    assert_eq!(
        before.iter().map(|f| f.1.as_str()).collect::<Vec<_>>(),
        ["open", "open", "withdrawn"]
    );
    let (open, withdrawn) = (before[0].0, before[2].0);
    let out = pair.same(&[
        "report",
        "flags",
        "--resolve",
        &open.to_string(),
        "--resolve",
        "999999",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(pg_flags(&served), before, "a refused resolve wrote nothing");
    let started = chrono::Utc::now().timestamp();
    let out = pair.same(&[
        "report",
        "flags",
        "--resolve",
        &open.to_string(),
        "--resolve",
        &withdrawn.to_string(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let after = pg_flags(&served);
    assert_eq!(after[0].1, "resolved");
    assert!(after[0].2.is_some_and(|t| t >= started), "{after:?}");
    assert_eq!(after[1], before[1]);
    assert_eq!(after[2], before[2]);
    pair.same(&["report", "flags", "--all"]);
    pair.same(&["report", "flags"]);
}

/// Attack: a learner on the roster of a PostgreSQL server runs every report: each is refused (exit 77) naming who
/// the server says they are, nothing is printed or written here, and PostgreSQL's flags and attempts (which the
/// reports would resolve or close) are as they were.
#[test]
fn a_learner_is_refused_the_reports_on_postgresql_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let local = course(dir.path());
    ok(&local, &["learner", "add", "me", "--username", &me()]);
    let mut served = adopted(&local, "learner");
    // The same server again without teachers: the test's user is only the learner `me` on its roster.
    served.stop();
    let config = served.dir.path().join("serve.toml");
    let toml = std::fs::read_to_string(&config).unwrap();
    let without = toml.replace(&format!("[teachers]\nusers = [{:?}]\n", me()), "");
    assert_ne!(toml, without);
    std::fs::write(&config, without).unwrap();
    let _ = std::fs::remove_file(&served.socket);
    served.server = process(&served.dir.path().join("unused.db"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&served.log).unwrap())
        .spawn()
        .unwrap();
    let mut tries = 0;
    while std::os::unix::net::UnixStream::connect(&served.socket).is_err() {
        assert!(
            served.server.try_wait().unwrap().is_none(),
            "{}",
            served.said()
        );
        tries += 1;
        assert!(
            tries < 600,
            "detente serve did not listen: {}",
            served.said()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (flags, attempts) = (pg_flags(&served), pg_attempts(&served));
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["stats", "--class"][..],
        &["report", "--class", "--html", "x.html"],
        &["report", "items", "--exam", "midterm-nato-russia"],
        &["report", "flags"],
        &["report", "flags", "--resolve", &flags[0].0.to_string()],
        &["exam", "results", "midterm-nato-russia"],
        &["grades", "export", "--format", "moodle", "-o", "g.csv"],
    ] {
        let out = served
            .client()
            .current_dir(home.path())
            .args(args)
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(77), "{args:?}: {err}");
        assert!(err.contains("is for this server's teachers"), "{err}");
        assert!(
            err.contains(&format!("you are learner me (user {})", me())),
            "{err}"
        );
        assert!(text(&out.stdout).is_empty());
    }
    assert!(!home.path().join("x.html").exists());
    assert!(!home.path().join("g.csv").exists());
    assert_eq!(pg_flags(&served), flags);
    assert_eq!(pg_attempts(&served), attempts);
}
