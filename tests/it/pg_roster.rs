//! The teacher's roster commands on a class server on PostgreSQL (`learner add|set|import|enrol`, the
//! `RosterOps` group), and a device's registration as one transaction on both backends. Each roster command is run
//! over a real `detente serve` on a database of the test cluster and with `--db` on a SQLite file, in step, and
//! must print the same; the rows are then read from PostgreSQL with the owner's client, not through the server.

use crate::server::client;
use crate::server::daemon::me;
use crate::support::pg::{self, Db, OWNER};
use crate::support::pg_served::PgServed;
use crate::support::{process, with_sample};
use detente::enrol::Code;
use detente::server::api::EnrolRequest;
use detente::server::ops::Backend;
use detente::store::{Registration, Store};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A file of the repository, by its path from the package's root.
fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A course in a SQLite file as a lab keeps one (the sample deck, the built-in decks loaded, three learners with
/// usernames and emails, and with `me` the test's user on the roster as a learner), and a copy of it (`local.db`):
/// the first is adopted into the PostgreSQL server, the second is what `--db` runs on.
fn course(dir: &Path, me_too: bool) -> (PathBuf, PathBuf) {
    let lab = dir.join("lab.db");
    let me = me();
    let mut learners = vec![
        ("ann", "ann1", "ann@uni.example"),
        ("bob", "bob2", "bob@uni.example"),
        ("eve", "eve3", "eve@uni.example"),
    ];
    if me_too {
        learners.push(("me", me.as_str(), "me@uni.example"));
    }
    crate::support::lab_course(&lab, &learners);
    let local = dir.join("local.db");
    std::fs::copy(&lab, &local).unwrap();
    (lab, local)
}

/// The owner's connection to a server's database, for reading what it wrote.
fn owner(served: &PgServed) -> postgres::Client {
    postgres::Client::connect(&served.owner_url, postgres::NoTls).unwrap()
}

/// Rows the owner reads in the course's scope (row security is FORCEd, so even the owner needs a scope).
fn course_rows(
    client: &mut postgres::Client,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Vec<postgres::Row> {
    let mut tx = client.transaction().unwrap();
    tx.batch_execute("SELECT set_config('detente.scope', 'course', true)")
        .unwrap();
    let rows = tx.query(sql, params).unwrap();
    tx.commit().unwrap();
    rows
}

/// One client logged in to a PostgreSQL server, with a SQLite copy of the server's course the same commands run
/// on with `--db` (each in a working folder of its own, so that a relative output file has the same name in both
/// messages).
struct Pair {
    home: tempfile::TempDir,
    local: PathBuf,
    over: tempfile::TempDir,
    here: tempfile::TempDir,
}

impl Pair {
    fn login(served: &PgServed, local: PathBuf) -> Pair {
        let pair = Pair {
            home: tempfile::tempdir().unwrap(),
            local,
            over: tempfile::tempdir().unwrap(),
            here: tempfile::tempdir().unwrap(),
        };
        let out = client(pair.home.path())
            .args(["login", served.socket.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        pair
    }

    fn remote(&self, args: &[&str]) -> Output {
        client(self.home.path())
            .current_dir(self.over.path())
            .args(args)
            .output()
            .unwrap()
    }

    fn local(&self, args: &[&str]) -> Output {
        client(self.home.path())
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

/// The learners' stored columns, by name in code-point order, as text.
const LEARNERS: &str = "SELECT name, coalesce(username, ''), coalesce(first_name, ''), coalesce(last_name, ''),
    coalesce(email, ''), coalesce(student_id, ''), new_per_day, reviews_per_day, rollover_hour,
    CAST(round(desired_retention * 1000) AS bigint), coalesce(exam_date, ''), coalesce(exam_scope, '')
    FROM learners ORDER BY name";

type LearnerRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    String,
    String,
);

fn sqlite_learners(db: &Path) -> Vec<LearnerRow> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare(LEARNERS).unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
            r.get(9)?,
            r.get(10)?,
            r.get(11)?,
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn pg_learners(served: &PgServed) -> Vec<LearnerRow> {
    course_rows(
        &mut owner(served),
        &LEARNERS.replace("ORDER BY name", "ORDER BY name COLLATE \"C\""),
        &[],
    )
    .iter()
    .map(|r| {
        (
            r.get(0),
            r.get(1),
            r.get(2),
            r.get(3),
            r.get(4),
            r.get(5),
            r.get(6),
            r.get(7),
            r.get(8),
            r.get(9),
            r.get(10),
            r.get(11),
        )
    })
    .collect()
}

/// A date the exam-date rule accepts today, in a few months.
fn exam_date() -> String {
    (chrono::Local::now().date_naive() + chrono::Days::new(120))
        .format("%Y-%m-%d")
        .to_string()
}

/// Attack: the roster commands on a PostgreSQL server (a lab's SQLite course adopted into it) must do what they do
/// on a copy of that course, no more and no less: adding (and the refusals of a name differing in case and of an
/// email another learner carries in other case), changing (settings, an exam date scoped to a built-in deck, and
/// the refusals of an unknown learner, a bad retention and a misspelt scope with its suggestion), importing a
/// roster (and a bad one, with its file and line, writing nothing) print byte for byte the same both ways; then
/// every stored column of every learner read from PostgreSQL with the owner's client equals the SQLite copy's: the
/// work ran in PostgreSQL, and no SQLite file was made beside the server's pool.
#[test]
fn roster_commands_print_the_same_on_a_postgresql_server() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, local) = course(dir.path(), false);
    let db = pg::cluster().database();
    let served = PgServed::adopting(&db, "roster", false, Some(&lab));
    let pair = Pair::login(&served, local);
    let moodle = repo("tests/data/roster/moodle.csv");
    let bad = repo("tests/data/roster/bad.csv");
    let out = pair.same(&[
        "learner",
        "add",
        "carol",
        "--username",
        "carol4",
        "--student-id",
        "S3",
        "--retention",
        "0.85",
    ]);
    assert_eq!(text(&out.stderr), "Added learner carol.\n");
    assert_eq!(
        pair.same(&["learner", "add", "Carol"]).status.code(),
        Some(2)
    );
    let out = pair.same(&["learner", "add", "dan", "--email", "ANN@uni.example"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = pair.same(&[
        "learner",
        "set",
        "bob",
        "--new-per-day",
        "7",
        "--day-starts-at",
        "6",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let date = exam_date();
    let out = pair.same(&[
        "learner",
        "set",
        "eve",
        "--exam-date",
        &date,
        "--exam-scope",
        "course-nato-russia",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = pair.same(&[
        "learner",
        "set",
        "ann",
        "--exam-date",
        &date,
        "--exam-scope",
        "course-nato-rusia",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did you mean `course-nato-russia`"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        pair.same(&["learner", "set", "nobody"]).status.code(),
        Some(2)
    );
    assert_eq!(
        pair.same(&["learner", "set", "bob", "--retention", "0.5"])
            .status
            .code(),
        Some(2)
    );
    let out = pair.same(&["learner", "import", moodle.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("moodle.csv (Moodle roster)"),
        "{}",
        text(&out.stderr)
    );
    let before = pg_learners(&served);
    let out = pair.same(&["learner", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        text(&out.stderr).contains("bad.csv:3:"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(pg_learners(&served), before, "a refused roster wrote");
    pair.same(&["--json", "learner", "import", moodle.to_str().unwrap()]);
    pair.same(&["learner", "list"]);
    let rows = pg_learners(&served);
    assert_eq!(rows, sqlite_learners(&pair.local));
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["ann", "bob", "carol", "eve"]);
    let ann = &rows[0];
    assert_eq!(
        (ann.2.as_str(), ann.5.as_str()),
        ("Ann", "S1"),
        "the roster's update"
    );
    let eve = rows.iter().find(|r| r.0 == "eve").unwrap();
    assert_eq!(
        (eve.10.as_str(), eve.11.as_str()),
        (date.as_str(), "[\"course-nato-russia\"]")
    );
    assert!(
        !served.dir.path().join("state").join("detente.db").exists(),
        "the server made a SQLite database"
    );
}

/// Attack: enrolment codes made on a PostgreSQL server (a lab's course adopted into it) must be the ones the
/// teacher receives, kept in PostgreSQL only as keys, and never issued twice by accident: `learner enrol --all --csv` prints the same list and messages
/// as on a SQLite file but for the codes (random), writes the CSV here with exactly the printed codes; each printed
/// code's key id is in PostgreSQL's `enrolment_keys` (generation 1) and no row holds the code's text; a second run
/// without `--reissue` issues nothing, and naming an enrolled learner is refused, the same both ways; `--reissue`
/// replaces ann's key (generation 2, the old one marked reissued and its bytes dropped).
#[test]
fn enrolment_codes_are_made_on_a_postgresql_server() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, local) = course(dir.path(), false);
    let db = pg::cluster().database();
    let served = PgServed::adopting(&db, "enrol", false, Some(&lab));
    let pair = Pair::login(&served, local);
    let args = ["--json", "learner", "enrol", "--all", "--csv", "codes.csv"];
    let (remote, local) = (pair.remote(&args), pair.local(&args));
    assert!(remote.status.success(), "{}", text(&remote.stderr));
    assert_eq!(text(&remote.stderr), text(&local.stderr));
    let codes = |out: &Output| -> Vec<(String, String)> {
        let v: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        v.iter()
            .map(|i| {
                (
                    i["learner"].as_str().unwrap().to_string(),
                    i["code"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let (printed, here) = (codes(&remote), codes(&local));
    assert_eq!(printed.len(), 3);
    let names = |c: &[(String, String)]| c.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&printed), names(&here));
    let csv = text(&std::fs::read(pair.over.path().join("codes.csv")).unwrap());
    assert_eq!(csv.lines().count(), 4, "{csv}");
    for (name, code) in &printed {
        assert!(
            csv.contains(&format!("{name},")) && csv.contains(code.as_str()),
            "{csv}"
        );
    }
    let mut owner = owner(&served);
    let keys: Vec<(String, String, i64, bool)> = course_rows(
        &mut owner,
        "SELECT l.name, k.key_id, k.generation, k.reissued_at IS NULL
         FROM enrolment_keys k JOIN learners l ON l.id = k.learner_id ORDER BY l.name COLLATE \"C\"",
        &[],
    )
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect();
    let expected: Vec<(String, String, i64, bool)> = printed
        .iter()
        .map(|(n, c)| (n.clone(), Code::parse(c).unwrap().key().id(), 1, true))
        .collect();
    assert_eq!(keys, expected);
    for (_, code) in &printed {
        let held = course_rows(
            &mut owner,
            "SELECT count(*) FROM enrolment_keys WHERE key_id = $1 OR position(convert_to($1, 'UTF8') IN key) > 0",
            &[code],
        );
        assert_eq!(held[0].get::<_, i64>(0), 0, "the server keeps a code");
    }
    let out = pair.same(&["learner", "enrol", "--all"]);
    assert!(text(&out.stderr).contains("already has an enrolment code"));
    assert_eq!(
        pair.same(&["learner", "enrol", "ann"]).status.code(),
        Some(2)
    );
    pair.same(&["learner", "list"]);
    let out = pair.remote(&["--json", "learner", "enrol", "ann", "--reissue"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ann: Vec<(i64, bool, bool)> = course_rows(
        &mut owner,
        "SELECT k.generation, k.reissued_at IS NULL, k.key IS NULL FROM enrolment_keys k
         JOIN learners l ON l.id = k.learner_id WHERE l.name = 'ann' ORDER BY k.generation",
        &[],
    )
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect();
    assert_eq!(ann, [(1, false, true), (2, true, false)]);
}

/// Attack: a learner (on the roster of a course adopted into PostgreSQL, on a server with no teacher) runs the
/// roster commands against it: each is refused (exit 77) naming who the server says they are, and PostgreSQL's
/// learners and keys are as they were.
#[test]
fn a_learner_is_refused_the_roster_commands_on_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, _) = course(dir.path(), true);
    let db = pg::cluster().database();
    let mut served = PgServed::adopting(&db, "learner", false, Some(&lab));
    // The same server again without its `[teachers]`: the test's user is only the learner `me` now.
    served.stop();
    let config = served.dir.path().join("serve.toml");
    let toml = std::fs::read_to_string(&config).unwrap();
    let teachers = format!("[teachers]\nusers = [{:?}]\n", me());
    assert!(toml.contains(&teachers), "{toml}");
    std::fs::write(&config, toml.replace(&teachers, "")).unwrap();
    served.server = process(&served.dir.path().join("unused.db"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&served.log).unwrap())
        .spawn()
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut logged_in = false;
    for _ in 0..600 {
        let out = client(home.path())
            .args(["login", served.socket.to_str().unwrap()])
            .output()
            .unwrap();
        if out.status.success() {
            logged_in = true;
            break;
        }
        assert!(
            served.server.try_wait().unwrap().is_none(),
            "{}",
            served.said()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(logged_in, "{}", served.said());
    let snapshot = |served: &PgServed| -> Vec<String> {
        course_rows(
            &mut owner(served),
            "SELECT 'learner ' || name || ' ' || coalesce(email, '') || ' ' || new_per_day FROM learners
             UNION ALL SELECT 'key ' || key_id FROM enrolment_keys ORDER BY 1",
            &[],
        )
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    let before = snapshot(&served);
    assert_eq!(before.len(), 4, "{before:?}");
    let roster = repo("tests/data/roster/moodle.csv");
    for args in [
        &["learner", "add", "mallory"][..],
        &["learner", "set", "ann", "--email", "me@evil.example"],
        &["learner", "set", "me", "--new-per-day", "500"],
        &["learner", "import", roster.to_str().unwrap()],
        &["learner", "enrol", "--all"],
        &["learner", "enrol", "me"],
        &["learner", "export", "ann"],
        &["learner", "delete", "ann", "--yes"],
    ] {
        let out = client(home.path())
            .current_dir(home.path())
            .args(args)
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(77), "{args:?}: {err}");
        assert!(
            err.contains("is for this server's teachers")
                && err.contains(&format!("you are learner me (user {})", me())),
            "{args:?}: {err}"
        );
    }
    assert_eq!(snapshot(&served), before);
}

/// Both backends behind the server's interface: a SQLite file with the sample deck and a PostgreSQL database.
fn backends(dir: &Path, db: &Db) -> [(&'static str, Arc<dyn Backend>); 2] {
    let sqlite: Arc<Mutex<Store>> = Arc::new(Mutex::new(with_sample(&dir.join("d.db"))));
    [
        ("SQLite", sqlite as Arc<dyn Backend>),
        ("PostgreSQL", Arc::new(db.store()) as Arc<dyn Backend>),
    ]
}

/// A code issued to `name` by the teacher's `learner enrol` on `repo` (reissued with `reissue`).
fn issue(repo: &dyn Backend, name: &str, reissue: bool, now: i64) -> Code {
    let issued = repo
        .enrol(
            &EnrolRequest {
                names: vec![name.to_string()],
                all: false,
                reissue,
            },
            now,
        )
        .unwrap();
    Code::parse(&issued[0].code).unwrap()
}

/// Attack (issue 21): a device's registration is one transaction on both backends, its code's key checked and the
/// device written together. A code that was reissued is refused with the reissue's time and writes no device, and
/// so is a code no one issued; the new code registers. Then the race the old two calls lost: another connection
/// reissues the code in a transaction still open while a registration with it runs; the registration must wait
/// for it and be refused, writing nothing (reading the key without holding its row, it would see the valid key
/// and register a device for a code already replaced). Finally eight registrations with one code at once all
/// succeed, each with a device of its own, all the learner's, none lost.
#[test]
fn device_registration_is_one_transaction_on_both_backends() {
    use detente::server::identity::token_hash;
    let dir = tempfile::tempdir().unwrap();
    let db = pg::cluster().database();
    for (name, repo) in backends(dir.path(), &db) {
        let ann = repo.add_learner("ann", Some("ann1"), 1).unwrap().unwrap();
        let old = issue(repo.as_ref(), "ann", false, 100);
        let new = issue(repo.as_ref(), "ann", true, 200);
        assert_eq!(
            repo.register_device(&old.key(), "old", &token_hash("dt_old"), 300)
                .unwrap(),
            Registration::Reissued(200),
            "{name}"
        );
        let mut rng =
            <rand_chacha::ChaCha8Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(9);
        let stranger = Code::generate("ann", &mut rng);
        assert_eq!(
            repo.register_device(&stranger.key(), "x", &token_hash("dt_x"), 300)
                .unwrap(),
            Registration::Unknown,
            "{name}"
        );
        assert!(
            repo.devices(None).unwrap().is_empty(),
            "{name}: a refused code wrote"
        );
        let Registration::Registered {
            id,
            learner_id,
            learner,
        } = repo
            .register_device(&new.key(), "laptop", &token_hash("dt_laptop"), 300)
            .unwrap()
        else {
            panic!("{name}: the valid code was refused")
        };
        assert_eq!((learner_id, learner.as_str()), (ann.id, "ann"), "{name}");
        let found = repo
            .device_by_token(&token_hash("dt_laptop"))
            .unwrap()
            .unwrap();
        assert_eq!((found.id, found.learner_id), (id, ann.id), "{name}");

        // A reissue of `new` open in another connection while a registration with it runs.
        let key_id = new.key().id();
        let reissue = "UPDATE enrolment_keys SET reissued_at = 400, key = NULL WHERE key_id = ";
        let racing = {
            let repo = repo.clone();
            let key = new.key();
            move || {
                repo.register_device(&key, "late", &token_hash("dt_late"), 500)
                    .unwrap()
            }
        };
        let outcome = if name == "SQLite" {
            let conn = rusqlite::Connection::open(dir.path().join("d.db")).unwrap();
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            conn.execute(&format!("{reissue}?1"), [&key_id]).unwrap();
            let register = std::thread::spawn(racing);
            // The registration waits for the write lock (or, not started yet, comes after the commit).
            std::thread::sleep(std::time::Duration::from_millis(200));
            conn.execute_batch("COMMIT").unwrap();
            register.join().unwrap()
        } else {
            let mut owner = db.client(OWNER);
            let mut tx = owner.transaction().unwrap();
            tx.batch_execute("SELECT set_config('detente.scope', 'course', true)")
                .unwrap();
            tx.execute(&format!("{reissue}$1"), &[&key_id]).unwrap();
            let register = std::thread::spawn(racing);
            // Wait until the registration is blocked on the key's row, so that it has read nothing yet.
            let mut root = db.client(pg::SUPERUSER);
            let mut waiting = 0;
            for _ in 0..1000 {
                waiting = root
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                         AND wait_event_type = 'Lock'",
                        &[],
                    )
                    .unwrap()
                    .get::<_, i64>(0);
                if waiting > 0 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            assert_eq!(waiting, 1, "the registration did not wait for the reissue");
            tx.commit().unwrap();
            register.join().unwrap()
        };
        assert_eq!(outcome, Registration::Reissued(400), "{name}");
        assert!(
            repo.device_by_token(&token_hash("dt_late"))
                .unwrap()
                .is_none(),
            "{name}: a device registered with a replaced code"
        );

        // Eight at once with one valid code.
        let newest = issue(repo.as_ref(), "ann", true, 600);
        let done: Vec<Registration> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..8)
                .map(|i| {
                    let (repo, key) = (repo.clone(), newest.key());
                    s.spawn(move || {
                        repo.register_device(&key, "pc", &token_hash(&format!("dt_{i}")), 700)
                            .unwrap()
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let mut ids: Vec<i64> = done
            .iter()
            .map(|r| match r {
                Registration::Registered { id, learner_id, .. } if *learner_id == ann.id => *id,
                other => panic!("{name}: {other:?}"),
            })
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 8, "{name}");
        let stored = repo.devices(Some(ann.id)).unwrap();
        assert_eq!(stored.len(), 9, "{name}: the laptop and the eight");
    }
}
