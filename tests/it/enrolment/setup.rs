//! What the enrolment tests share: a teacher's database with a roster, codes issued through the binary, students'
//! devices that enrol and study, bundles exported, forged (the checksum recomputed as the format does) and
//! imported, and the dump of every learner's rows that a refusal must leave unchanged.

use crate::support::{FirstOption, Scripted, TestClock, as_teacher, detente, with_sample};
use detente::schedule::Calendar;
use detente::session::{Session, StudyOptions};
use detente::store::{self, Store};
use detente::time::UnixMs;
use rusqlite::types::ValueRef;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// detente on a student's device: no --learner, no DETENTE_LEARNER, the OS user `student`.
pub fn device(db: &Path) -> assert_cmd::Command {
    let mut cmd = detente(db);
    cmd.env_remove("DETENTE_LEARNER")
        .env("USER", "student")
        .env("TZ", "UTC");
    cmd
}

/// The teacher's database: the sample deck, and four learners as a roster gives them.
pub fn teacher_db(dir: &Path) -> PathBuf {
    let db = dir.join("teacher.db");
    with_sample(&db);
    for (name, email, id) in [
        ("ann", "ann@uni.example", "S1"),
        ("mallory", "mallory@uni.example", "S2"),
        ("carol", "carol@uni.example", "S3"),
        ("dave", "dave@uni.example", "S4"),
    ] {
        as_teacher(&db)
            .args(["learner", "add", name, "--email", email, "--student-id", id])
            .assert()
            .success();
    }
    db
}

/// Issues codes to `names` (with `extra` flags) and returns (learner, code) pairs from `--json`.
pub fn issue(db: &Path, names: &[&str], extra: &[&str]) -> Vec<(String, String)> {
    let out = as_teacher(db)
        .args(["--json", "learner", "enrol"])
        .args(names)
        .args(extra)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    json.iter()
        .map(|v| {
            (
                v["learner"].as_str().expect("learner").to_string(),
                v["code"].as_str().expect("code").to_string(),
            )
        })
        .collect()
}

/// A student's device: the sample deck, enrolled with `code` (when given), and two study sessions by the learner it
/// is enrolled as (or `name`).
pub fn student_db(dir: &Path, file: &str, name: &str, code: Option<&str>) -> PathBuf {
    let db = dir.join(file);
    with_sample(&db);
    if let Some(code) = code {
        device(&db).args(["enrol", code]).assert().success();
    } else {
        as_teacher(&db)
            .args(["learner", "add", name])
            .assert()
            .success();
    }
    let mut store = Store::open(&db).expect("open");
    let learner = store::learner_by_name(&store.conn, name)
        .expect("q")
        .expect("learner");
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
    db
}

/// Exports the device's default learner's bundle to `file` (in `dir`).
pub fn export(db: &Path, dir: &Path, file: &str) -> PathBuf {
    let path = dir.join(file);
    let out = device(db)
        .args(["progress", "export", "-o"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    path
}

/// Every row the teacher's database holds for each learner, in every table keyed by learner (the learner's own
/// row, reviews, states, sessions, attempts and their answers, flags, keys, marks...), by learner name.
pub fn dump(db: &Path) -> Vec<(String, Vec<String>)> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("sql")
        .query_map([], |r| r.get(0))
        .expect("q")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let learners: Vec<(i64, String)> = conn
        .prepare("SELECT id, name FROM learners ORDER BY name")
        .expect("sql")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("q")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let mut out = Vec::new();
    for (id, name) in learners {
        let mut rows = Vec::new();
        for t in &tables {
            let columns: Vec<String> = conn
                .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
                .expect("sql")
                .query_map([], |r| r.get(0))
                .expect("q")
                .collect::<rusqlite::Result<_>>()
                .expect("cols");
            let filter = if t == "learners" {
                "id = ?1"
            } else if columns.iter().any(|c| c == "learner_id") {
                "learner_id = ?1"
            } else if t == "attempt_answers" {
                "attempt_id IN (SELECT id FROM attempts WHERE learner_id = ?1)"
            } else {
                continue;
            };
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {t} WHERE {filter} ORDER BY 1, 2"))
                .expect("sql");
            let n = stmt.column_count();
            let mut q = stmt.query([id]).expect("q");
            while let Some(r) = q.next().expect("row") {
                let cells: Vec<String> = (0..n)
                    .map(|i| match r.get_ref(i).expect("cell") {
                        ValueRef::Null => "NULL".into(),
                        ValueRef::Integer(v) => v.to_string(),
                        ValueRef::Real(v) => format!("{v:?}"),
                        ValueRef::Text(v) => format!("{:?}", String::from_utf8_lossy(v)),
                        ValueRef::Blob(v) => format!("{v:?}"),
                    })
                    .collect();
                rows.push(format!("{t}: {}", cells.join("|")));
            }
        }
        out.push((name, rows));
    }
    out
}

/// Recomputes a bundle's checksum the way the format does: FNV-1a 64 over the canonical JSON (members sorted, no
/// spaces) of every member but `checksum` and `tag`.
pub fn recheck(v: &mut Value) {
    let mut bare = v.clone();
    let o = bare.as_object_mut().expect("object");
    o.remove("checksum");
    o.remove("tag");
    v["checksum"] = format!(
        "fnv1a64:{:016x}",
        detente::text::fnv1a(bare.to_string().as_bytes())
    )
    .into();
}

pub fn import(db: &Path, files: &[&Path], extra: &[&str]) -> Output {
    as_teacher(db)
        .args(["progress", "import"])
        .args(extra)
        .args(files)
        .output()
        .expect("run")
}

/// Imports `file` and asserts it is refused: exit 65, one line, naming the file and `claims` and containing
/// `why`, and every learner's rows unchanged.
pub fn refused(db: &Path, file: &Path, extra: &[&str], claims: &str, why: &str) {
    let before = dump(db);
    let out = import(db, &[file], extra);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(65), "{}: {err}", file.display());
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains(&file.display().to_string()),
        "names the file: {err}"
    );
    assert!(
        err.contains(&format!("claims to be {claims}")),
        "names {claims}: {err}"
    );
    assert!(err.contains(why), "says {why:?}: {err}");
    assert!(err.contains("nothing of it was imported"), "{err}");
    assert_eq!(
        dump(db),
        before,
        "{}: a learner's rows changed",
        file.display()
    );
}

pub fn write(dir: &Path, file: &str, v: &Value) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, serde_json::to_string_pretty(v).expect("json")).expect("write");
    path
}

pub fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

/// The rows of every learner but `name`.
pub fn others(dump: &[(String, Vec<String>)], name: &str) -> Vec<(String, Vec<String>)> {
    dump.iter().filter(|(n, _)| n != name).cloned().collect()
}
