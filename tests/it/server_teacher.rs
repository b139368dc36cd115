//! The teacher's commands over a class server: after `detente login`, `learner add|set|import|enrol`, `stats
//! --class`, `report --class --html`, `report items|flags`, `exam load|results`, `grades export` and `progress
//! import` act on the server's database, and print exactly what the same command prints on a copy of that
//! database given with `--db` (each pair run in step, so both databases stay the same). A learner is refused every
//! one of them (exit 77) and the server's database is left byte for byte as it was.

use crate::enrolment::setup::{read, recheck, write};
use crate::server::client;
use crate::server::daemon::{Served, me};
use crate::support::process;
use std::path::{Path, PathBuf};
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A file of the repository, by its path from the package's root.
fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A server's database with the sample deck, the built-in decks and three learners, and a copy of it made before
/// the server starts (`local.db` in `dir`).
fn course(served_dir: &Path, dir: &Path) -> PathBuf {
    let db = Served::database(served_dir);
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    crate::support::lab_course(
        &db,
        &[
            ("ann", "ann1", "ann@uni.example"),
            ("bob", "bob2", "bob@uni.example"),
            ("eve", "eve3", "eve@uni.example"),
        ],
    );
    let local = dir.join("local.db");
    std::fs::copy(&db, &local).unwrap();
    local
}

/// One client logged in to a server, with a local copy of the server's database: each command is run over the
/// server in one working folder and with `--db` on the copy in another, so that a relative output file has the
/// same name in both messages.
struct Pair {
    home: tempfile::TempDir,
    local: PathBuf,
    over: tempfile::TempDir,
    here: tempfile::TempDir,
}

impl Pair {
    fn login(served: &Served, local: PathBuf) -> Pair {
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

    /// The command over the server.
    fn remote(&self, args: &[&str]) -> Output {
        client(self.home.path())
            .current_dir(self.over.path())
            .args(args)
            .output()
            .unwrap()
    }

    /// The command on the local copy, after the same login.
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

    /// A file the command wrote over the server and the same file written locally, as bytes.
    fn files(&self, name: &str) -> (Vec<u8>, Vec<u8>) {
        (
            std::fs::read(self.over.path().join(name)).unwrap(),
            std::fs::read(self.here.path().join(name)).unwrap(),
        )
    }
}

fn teacher_config() -> String {
    format!("[teachers]\nusers = [{:?}]\n", me())
}

/// Attack: a teacher's command over the server must do what it does on a file, no more and no less: every
/// roster command (adding, changing, importing a roster, and the refusals of a duplicate, an unknown learner and a
/// bad roster with its file and line) prints byte for byte what it prints on a copy of the server's database; the
/// server's roster then equals the copy's; and `--db` still works on the local file after login, leaving the
/// server alone.
#[test]
fn roster_commands_print_the_same_over_the_server() {
    let served_dir = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let local = course(served_dir.path(), dir.path());
    let served = Served::start(served_dir, &teacher_config());
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
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "Added learner carol.\n");
    let out = pair.same(&["learner", "add", "carol"]);
    assert_eq!(out.status.code(), Some(2));
    let out = pair.same(&["learner", "add", "dan", "--email", "ann@uni.example"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        pair.same(&[
            "learner",
            "set",
            "bob",
            "--new-per-day",
            "7",
            "--day-starts-at",
            "6"
        ])
        .status
        .success()
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
    let out = pair.same(&["learner", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        text(&out.stderr).contains("bad.csv:3:"),
        "{}",
        text(&out.stderr)
    );
    pair.same(&["--json", "learner", "import", moodle.to_str().unwrap()]);
    let list = pair.same(&["--json", "learner", "list"]);
    assert!(text(&list.stdout).contains("carol4"));
    // --db after login: the local file is changed and the server is not.
    let out = pair.local(&["learner", "add", "onlyhere"]);
    assert!(out.status.success());
    let remote = text(&pair.remote(&["learner", "list"]).stdout);
    assert!(
        remote.contains("carol") && !remote.contains("onlyhere"),
        "{remote}"
    );
    let out = client(pair.home.path())
        .env("DETENTE_DB", &pair.local)
        .args(["learner", "list"])
        .output()
        .unwrap();
    assert!(text(&out.stdout).contains("onlyhere"));
}

/// Attack: enrolment codes made on the server must be the ones the teacher receives, kept on the server only as
/// keys, and never issued twice by accident: over the server `learner enrol --all --csv` prints the same list and
/// messages as locally but for the codes themselves (random), writes the CSV here with exactly the printed codes,
/// stores none of them on the server, and a second run without `--reissue` issues nothing, the same as locally.
#[test]
fn enrolment_codes_are_made_on_the_server_and_written_here() {
    let served_dir = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let local = course(served_dir.path(), dir.path());
    let db = Served::database(served_dir.path());
    let mut served = Served::start(served_dir, &teacher_config());
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
    let (csv_over, csv_here) = pair.files("codes.csv");
    let (csv_over, csv_here) = (text(&csv_over), text(&csv_here));
    assert_eq!(csv_over.lines().count(), 4, "{csv_over}");
    for (name, code) in &printed {
        assert!(csv_over.contains(&format!("{name},")), "{csv_over}");
        assert!(csv_over.contains(code.as_str()), "{csv_over}");
    }
    let strip = |csv: &str, codes: &[(String, String)]| {
        codes
            .iter()
            .fold(csv.to_string(), |t, (_, c)| t.replace(c.as_str(), "CODE"))
    };
    assert_eq!(strip(&csv_over, &printed), strip(&csv_here, &here));
    // Again: nobody left to enrol, on both sides.
    let out = pair.same(&["learner", "enrol", "--all"]);
    assert!(text(&out.stderr).contains("already has an enrolment code"));
    let out = pair.same(&["learner", "enrol", "ann"]);
    assert_eq!(out.status.code(), Some(2));
    let out = pair.same(&["learner", "list"]);
    assert!(
        text(&out.stderr).contains("all 3 learners"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(served.stop(), Some(0));
    let bytes = std::fs::read(&db).unwrap();
    for (_, code) in &printed {
        assert!(
            !bytes.windows(code.len()).any(|w| w == code.as_bytes()),
            "the server keeps a code"
        );
    }
}

/// Attack: the teacher's reports and exports must be computed from the server's data as from a file, and written
/// by the client only: `exam load` (a good file, and a bad one with its diagnostics at FILE:LINE:COL), `stats
/// --class` (by deck and theme, JSON too), `report --class --html`, `report items`, `report flags` (and a wrong
/// `--resolve`), `exam results` and `grades export` (stdout and `-o FILE`) print and write byte for byte what they
/// do on a copy of the server's database; progress bundles are taken, and a forged one refused (exit 65) with the
/// same line, over the server as locally.
#[test]
fn reports_exports_exams_and_bundles_are_the_same_over_the_server() {
    let served_dir = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let local = course(served_dir.path(), dir.path());
    // A student's bundle: dave studied the sample deck on his own machine, unsigned (never enrolled).
    let student = crate::enrolment::setup::student_db(dir.path(), "dave.db", "dave", None);
    let bundle = dir.path().join("dave.json");
    let out = process(&student)
        .env("DETENTE_LEARNER", "dave")
        .args(["progress", "export", "-o"])
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A bundle of two sessions is some megabytes: over the default limit of a request (1 MiB).
    let limits = "[limits]\nmax_request_bytes = 67108864\n";
    let served = Served::start(served_dir, &format!("{}{limits}", teacher_config()));
    let pair = Pair::login(&served, local);
    let exam = repo("exams/example.toml");
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        std::fs::read_to_string(&exam)
            .unwrap()
            .replace("sherr-lisbon-2010", "no-such-deck"),
    )
    .unwrap();
    // The one difference: the server warns that an exam drawing on study decks (here the built-in ones every
    // device holds) is open-book; what follows is the local command's output.
    let args = ["exam", "load", exam.to_str().unwrap()];
    let (out, local) = (pair.remote(&args), pair.local(&args));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, local.stdout);
    let said = text(&out.stderr);
    assert!(
        said.contains("warning: the exam draws on decks students' devices hold")
            && said.contains("open-book"),
        "{said}"
    );
    assert!(said.ends_with(&text(&local.stderr)), "{said}");
    let out = pair.same(&["exam", "load", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        text(&out.stderr).contains("broken.toml:"),
        "{}",
        text(&out.stderr)
    );
    // Bundles: dave's, taken unverified; then a forgery claiming ann, who is enrolled, refused.
    let out = pair.same(&["progress", "import", bundle.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65), "unsigned without the flag");
    let out = pair.same(&[
        "progress",
        "import",
        "--accept-unenrolled",
        bundle.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("for dave"),
        "{}",
        text(&out.stderr)
    );
    // Codes are random: issued on both sides, not compared.
    assert!(pair.remote(&["learner", "enrol", "ann"]).status.success());
    assert!(pair.local(&["learner", "enrol", "ann"]).status.success());
    let mut forged = read(&bundle);
    forged["learner"]["name"] = "ann".into();
    forged["learner"]["username"] = "ann1".into();
    recheck(&mut forged);
    let forged = write(dir.path(), "forged.json", &forged);
    let out = pair.same(&[
        "progress",
        "import",
        "--accept-unenrolled",
        forged.to_str().unwrap(),
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        text(&out.stderr).contains("who is enrolled"),
        "{}",
        text(&out.stderr)
    );
    for args in [
        &["stats", "--class"][..],
        &["stats", "--class", "--by", "theme"],
        &["--json", "stats", "--class"],
        &["report", "--class", "--html", "class.html"],
        &["report", "items", "--deck", "sample"],
        &["--json", "report", "items", "--deck", "sample"],
        &["report", "items", "--exam", "midterm-nato-russia"],
        &["report", "items", "--exam", "nope"],
        &["report", "flags", "--all"],
        &["--json", "report", "flags", "--all"],
        &["report", "flags", "--resolve", "999"],
        &["exam", "results", "midterm-nato-russia"],
        &["--json", "exam", "results", "midterm-nato-russia"],
        &["exam", "results", "nope"],
        &["grades", "export", "--format", "moodle"],
        &["grades", "export", "--format", "native", "-o", "grades.csv"],
        &["grades", "export", "--format", "canvas", "--study"],
        &["grades", "export", "--format", "moodle", "--exam", "nope"],
    ] {
        pair.same(args);
    }
    let stats = text(&pair.remote(&["stats", "--class"]).stdout);
    assert!(stats.contains("dave"), "{stats}");
    let (a, b) = pair.files("class.html");
    assert_eq!(a, b);
    assert!(text(&a).contains("dave"));
    let (a, b) = pair.files("grades.csv");
    assert_eq!(a, b);
    assert!(text(&a).contains("dave"), "{}", text(&a));
    // One learner's data: exported alike (the same tables and rows per table: the two databases took dave at
    // different moments), counted, then deleted on both.
    let export = |out: Output| -> Vec<(String, usize)> {
        assert!(out.status.success(), "{}", text(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["learner"]["name"], "dave");
        let tables = doc["tables"].as_object().unwrap();
        tables
            .iter()
            .map(|(t, rows)| (t.clone(), rows.as_array().unwrap().len()))
            .collect()
    };
    let remote = export(pair.remote(&["learner", "export", "dave"]));
    assert_eq!(remote, export(pair.local(&["learner", "export", "dave"])));
    assert!(
        remote.iter().any(|(t, n)| t == "reviews" && *n > 0),
        "{remote:?}"
    );
    let out = pair.same(&["learner", "delete", "dave"]);
    assert_eq!(out.status.code(), Some(2));
    let out = pair.same(&["learner", "delete", "dave", "--yes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = pair.same(&["stats", "--class"]);
    assert!(!text(&out.stdout).contains("dave"), "{}", text(&out.stdout));
    pair.same(&["learner", "export", "dave"]);
}

/// Attack: a learner on the roster runs the teacher's commands against the server: each is refused (exit 77) with
/// a message naming who the server says they are (exporting or deleting ann's data included), and the server's
/// database is byte for byte as it was; exporting their own data is allowed and holds nobody else's.
#[test]
fn a_learner_is_refused_every_teacher_command_and_nothing_changes() {
    let served_dir = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    course(served_dir.path(), dir.path());
    let db = Served::database(served_dir.path());
    let out = process(&db)
        .args(["learner", "add", "me", "--username", &me()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = std::fs::read(&db).unwrap();
    let mut served = Served::start(served_dir, "");
    let home = tempfile::tempdir().unwrap();
    let roster = repo("tests/data/roster/moodle.csv");
    let exam = repo("exams/example.toml");
    let out = client(home.path())
        .args(["login", served.socket.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    for args in [
        &["learner", "add", "mallory"][..],
        &["learner", "set", "ann", "--email", "me@evil.example"],
        &["learner", "import", roster.to_str().unwrap()],
        &["learner", "enrol", "--all"],
        &["stats", "--class"],
        &["report", "--class", "--html", "x.html"],
        &["report", "items", "--deck", "sample"],
        &["report", "flags"],
        &["report", "flags", "--resolve", "1"],
        &["exam", "load", exam.to_str().unwrap()],
        &["exam", "results", "midterm-nato-russia"],
        &["grades", "export", "--format", "moodle"],
        &["progress", "import", roster.to_str().unwrap()],
        &["learner", "export", "ann"],
        &["learner", "delete", "ann"],
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
            err.contains("is for this server's teachers"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains(&format!("you are learner me (user {})", me())),
            "{err}"
        );
        assert!(text(&out.stdout).is_empty());
    }
    assert!(!home.path().join("x.html").exists());
    // Their own data is theirs to export (a subject access request needs no teacher), and only theirs.
    let out = client(home.path())
        .args(["learner", "export", "me"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["learner"]["name"], "me");
    assert!(!text(&out.stdout).contains("\"ann\""));
    assert_eq!(served.stop(), Some(0));
    assert!(
        std::fs::read(&db).unwrap() == before,
        "the server's database changed"
    );
}

/// Attack: a roster (or bundle) larger than the server takes must be refused with the limit named and how to raise
/// it, not cut, half imported or lost in a broken connection: with `max_request_bytes = 4096`, a 10 kB roster and
/// a bundle of some megabytes are refused (exit 69) naming 4096, and no learner of them is on the server.
#[test]
fn a_file_over_the_servers_request_limit_is_refused_with_the_limit() {
    let served_dir = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let local = course(served_dir.path(), dir.path());
    let served = Served::start(
        served_dir,
        &format!("{}[limits]\nmax_request_bytes = 4096\n", teacher_config()),
    );
    let pair = Pair::login(&served, local);
    let mut roster = String::from("username,email\n");
    for i in 0..400 {
        roster.push_str(&format!("big{i},big{i}@uni.example\n"));
    }
    let file = dir.path().join("big.csv");
    std::fs::write(&file, roster).unwrap();
    let out = pair.remote(&["learner", "import", file.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(err.contains("takes at most 4096"), "{err}");
    assert!(err.contains("max_request_bytes"), "{err}");
    let student = crate::enrolment::setup::student_db(dir.path(), "dave.db", "dave", None);
    let bundle = dir.path().join("dave.json");
    let out = process(&student)
        .env("DETENTE_LEARNER", "dave")
        .args(["progress", "export", "-o"])
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = pair.remote(&[
        "progress",
        "import",
        "--accept-unenrolled",
        bundle.to_str().unwrap(),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(
        err.contains("dave.json: sending it takes a request of"),
        "{err}"
    );
    assert!(err.contains("takes at most 4096"), "{err}");
    let list = text(&pair.remote(&["learner", "list"]).stdout);
    assert!(!list.contains("big0") && !list.contains("dave"), "{list}");
}
