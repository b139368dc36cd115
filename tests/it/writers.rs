//! Nothing overwritten: no command that writes a file can write it over the database or its WAL, shared-memory or
//! journal file (by name, `./` spelling, hard link or symbolic link); `man --dir` never writes through a link
//! planted in its folder; a killed write's temporary is swept by the next write to the same target; `study` and
//! `exam run` refuse a read-only database before the first question; and clap's usage errors, which echo the value
//! given, reach the terminal cleaned.

use crate::support::pty;
use crate::support::{FirstOption, Scripted, TestClock, detente, run, sample_db, with_sample};
use detente::Error;
use detente::exam::parse_exam;
use detente::schedule::Calendar;
use detente::session::exam::{Sitting, exam_row};
use detente::session::{Session, StudyOptions};
use detente::store::{self, Store};
use detente::time::UnixMs;
use rexpect::process::WaitStatus;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const EXAM: &str =
    "id = \"quiz\"\ntitle = \"Quiz\"\ndecks = [\"sample\"]\nquestions = 2\nseed = 3\n";

fn text(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The hidden files in `dir` (temporaries left behind).
fn hidden_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// A PID no process can have: above Linux's largest `pid_max` (2^22).
const DEAD_PID: u32 = 4_194_999;

#[test]
fn no_writer_can_write_over_the_database_or_its_files() {
    let (dir, db) = sample_db();
    let out = run(detente(&db), &["learner", "add", "ann"]);
    assert!(out.status.success(), "{out:?}");
    let gift = dir.path().join("q.gift");
    std::fs::write(&gift, "::q1:: NATO was founded in 1949 {T}\n").expect("gift");
    // The test holds the database open in WAL mode, as a running session would: its -wal and -shm exist.
    let held = Store::open(&db).expect("open");
    held.conn
        .execute_batch("CREATE TABLE IF NOT EXISTS scratch (x); DROP TABLE scratch;")
        .expect("a write, so that the WAL holds something");
    let wal = dir.path().join("d.db-wal");
    let shm = dir.path().join("d.db-shm");
    assert!(wal.exists() && shm.exists(), "the store opens in WAL mode");
    let soft = dir.path().join("soft.out");
    std::os::unix::fs::symlink(&db, &soft).expect("symlink");
    let hard = dir.path().join("hard.out");
    std::fs::hard_link(&db, &hard).expect("hard link");
    let dotted = dir.path().join(".").join("d.db");
    let soft_wal = dir.path().join("soft-wal.out");
    std::os::unix::fs::symlink(&wal, &soft_wal).expect("symlink");
    let journal = dir.path().join("d.db-journal");

    let db_bytes = std::fs::read(&db).expect("db");
    let wal_bytes = std::fs::read(&wal).expect("wal");
    let writers: &[&[&str]] = &[
        &["report", "--html"],
        &["report", "--class", "--html"],
        &["grades", "export", "--format", "native", "-o"],
        &["progress", "export", "-o"],
        &["deck", "export", "sample", "--format", "gift", "-o"],
        &["deck", "convert", "--from", "gift", text(&gift), "-o"],
        &["deck", "new"],
    ];
    for target in [&db, &dotted, &wal, &shm, &journal, &soft, &hard, &soft_wal] {
        for writer in writers {
            let mut args = writer.to_vec();
            args.push(text(target));
            let out = run(detente(&db), &args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.starts_with("detente: refusing to write ") && err.lines().count() == 1,
                "{args:?}: {err}"
            );
            assert!(err.contains(text(target)), "{args:?}: {err}");
        }
    }
    // The database opened through a link: SQLite keeps its WAL beside the file the link points at.
    let linked_db = dir.path().join("linked.db");
    std::os::unix::fs::symlink(&db, &linked_db).expect("symlink");
    let out = run(detente(&linked_db), &["report", "--html", text(&wal)]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    std::fs::remove_file(&linked_db).expect("unlink");
    assert_eq!(
        std::fs::read(&db).expect("db"),
        db_bytes,
        "the database is untouched"
    );
    assert_eq!(
        std::fs::read(&wal).expect("wal"),
        wal_bytes,
        "the WAL is untouched"
    );
    assert!(!journal.exists(), "no journal was made up");
    assert!(std::fs::symlink_metadata(&soft).expect("link").is_symlink());
    drop(held);
    let out = run(detente(&db), &["decks"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("sample"),
        "{out:?}"
    );
    let left: Vec<String> = hidden_files(dir.path());
    assert!(left.is_empty(), "temporaries left: {left:?}");
    // A file beside the database, named like it, is written as usual.
    let beside = dir.path().join("d.db.html");
    let out = run(detente(&db), &["report", "--html", text(&beside)]);
    assert!(out.status.success(), "{out:?}");
    assert!(beside.exists());
}

#[test]
fn man_pages_never_write_through_a_link_in_their_folder() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let pages = dir.path().join("man");
    std::fs::create_dir(&pages).expect("dir");
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, "precious").expect("write");
    std::os::unix::fs::symlink(&outside, pages.join("detente.1")).expect("symlink");
    // A dangling link: following it would create a file outside the folder.
    let absent = dir.path().join("created-outside.txt");
    std::os::unix::fs::symlink(&absent, pages.join("detente-study.1")).expect("symlink");
    let out = run(detente(&db), &["man", "--dir", text(&pages)]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read_to_string(&outside).expect("read"), "precious");
    assert!(
        !absent.exists(),
        "nothing was written through the dangling link"
    );
    for name in ["detente.1", "detente-study.1"] {
        let page = pages.join(name);
        let meta = std::fs::symlink_metadata(&page).expect("page");
        assert!(meta.is_file(), "{name} is now a file of its own");
        assert!(
            std::fs::read_to_string(&page)
                .expect("read")
                .contains(".TH")
        );
    }
    assert!(hidden_files(&pages).is_empty());
}

#[test]
fn the_next_write_sweeps_a_killed_writes_temporaries_and_leaves_live_ones() {
    let (dir, db) = sample_db();
    let target = dir.path().join("r.html");
    let d = dir.path();
    // As `staged` names them: `.NAME.TAG-PID`, beside the target.
    let dead = d.join(format!(".r.html.report-{DEAD_PID}"));
    let dead_other_tag = d.join(format!(".r.html.grades-{}", DEAD_PID - 1));
    let live = d.join(format!(".r.html.report-{}", std::process::id()));
    let other_target = d.join(format!(".other.html.report-{DEAD_PID}"));
    let not_a_temporary = d.join(format!(".r.html.my.notes-{DEAD_PID}"));
    for f in [
        &dead,
        &dead_other_tag,
        &live,
        &other_target,
        &not_a_temporary,
    ] {
        std::fs::write(f, "half a report").expect("write");
    }
    let outside = d.join("outside.txt");
    std::fs::write(&outside, "precious").expect("write");
    let dead_link = d.join(format!(".r.html.report-{}", DEAD_PID - 2));
    std::os::unix::fs::symlink(&outside, &dead_link).expect("symlink");

    let out = run(detente(&db), &["report", "--html", text(&target)]);
    assert!(out.status.success(), "{out:?}");
    assert!(target.exists());
    assert!(!dead.exists(), "a dead writer's temporary is removed");
    assert!(!dead_other_tag.exists(), "whatever the kind of write");
    assert!(live.exists(), "a live process's temporary is left alone");
    assert!(
        other_target.exists(),
        "another target's temporary is not this write's business"
    );
    assert!(
        not_a_temporary.exists(),
        "a name staged does not make is left alone"
    );
    assert!(
        std::fs::symlink_metadata(&dead_link).is_ok(),
        "a link is never touched"
    );
    assert_eq!(std::fs::read_to_string(&outside).expect("read"), "precious");
}

/// A database with the sample deck, the learner `ann` and the exam `quiz`, made read-only (no write bit: detente
/// opens it read-only even for root, who could write it; see `store::open`).
fn read_only_db(dir: &Path) -> PathBuf {
    let db = dir.join("ro.db");
    {
        let mut store = with_sample(&db);
        store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
        let (exam, _, diags) = parse_exam("quiz.toml", EXAM);
        assert!(diags.is_empty(), "{diags:?}");
        let tx = store.write().expect("tx");
        store::upsert_exam(&tx, &exam_row(&exam.expect("exam"), 0).expect("row")).expect("upsert");
        tx.commit().expect("commit");
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    db
}

#[test]
fn a_session_or_an_exam_on_a_read_only_database_is_refused_before_anything_is_asked() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = read_only_db(dir.path());
    let before = std::fs::read(&db).expect("db");
    let mut store = Store::open(&db).expect("open");
    assert!(store.read_only);
    let learner = store::learner_by_name(&store.conn, "ann")
        .expect("query")
        .expect("ann");
    let clock = TestClock::new(UnixMs(1_700_000_000_000), 1_000);
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let opts = StudyOptions {
        seed: 1,
        ..Default::default()
    };
    match Session::start(&mut store, &learner, opts, &clock, cal) {
        Err(Error::ReadOnly(m)) => assert!(m.contains("is read-only"), "{m}"),
        Err(e) => panic!("expected a read-only refusal, got {e}"),
        Ok(_) => panic!("a session started on a read-only database"),
    }
    let (exam, _, _) = parse_exam("quiz.toml", EXAM);
    let exam = exam.expect("exam");
    let mut p = Scripted::new(FirstOption);
    match Sitting::new(&mut store, &exam, &learner, &clock).run(&mut p) {
        Err(Error::ReadOnly(m)) => assert!(m.contains("is read-only"), "{m}"),
        Err(e) => panic!("expected a read-only refusal, got {e}"),
        Ok(end) => panic!("an exam ran on a read-only database: {end:?}"),
    }
    assert!(p.asked.is_empty(), "asked {:?}", p.asked);
    assert!(p.messages.is_empty(), "said {:?}", p.messages);
    drop(store);
    assert_eq!(std::fs::read(&db).expect("db"), before);
}

#[test]
fn study_and_exam_run_in_a_terminal_refuse_a_read_only_database_at_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = read_only_db(dir.path());
    let before = std::fs::read(&db).expect("db");
    for args in [&["study"][..], &["exam", "run", "quiz"]] {
        let mut p = pty::spawn(&db, "ann", (100, 40), args);
        // Before the fix the first question waited for an answer here, and this timed out.
        let screen = pty::plain(&p.exp_eof().expect("the command ends by itself"));
        let code = match p.process().wait().expect("wait") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("not a normal exit: {other:?}"),
        };
        assert_eq!(code, 1, "{args:?}: {screen}");
        assert!(screen.contains("is read-only"), "{args:?}: {screen}");
        assert!(
            !screen.contains('?'),
            "{args:?}: a prompt was shown: {screen}"
        );
        assert_eq!(screen.trim().lines().count(), 1, "{args:?}: {screen}");
    }
    assert_eq!(std::fs::read(&db).expect("db"), before);
}

#[test]
fn usage_errors_echo_the_bad_value_cleaned_with_their_exit_code() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let hostile = "2026\u{1b}[2J\u{1b}]52;c;cHduZWQ=\u{7}-12\u{2028}-14\u{2029}\u{9b}31m";
    for args in [
        vec!["study", "--exam-date", hostile],
        vec!["learner", "set", "ann", "--exam-date", hostile],
        vec!["report", "flags", "--resolve", hostile],
        vec!["--color", hostile, "decks"],
        vec!["stats", hostile],
    ] {
        let out = run(detente(&db), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error:"), "{args:?}: {err}");
        assert!(
            !err.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{2028}', '\u{2029}']),
            "{args:?}: {err:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // Help and version are as clap prints them, on stdout, exit 0.
    for flag in ["--help", "--version"] {
        let out = run(detente(&db), &[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}: {out:?}");
        assert!(
            !out.stdout.is_empty() && out.stderr.is_empty(),
            "{flag}: {out:?}"
        );
    }
    assert!(!db.exists(), "a refused command line opens nothing");
}
