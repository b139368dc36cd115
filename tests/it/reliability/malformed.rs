//! The malformed-input corpus of `tests/data/malformed/`: rosters, progress bundles (a good bundle and patches that
//! put one impossible value in it, checksummed again so that only the value is wrong), deck files, exam files and
//! GIFT banks. Each is refused with exit 65 and a message naming the problem, and the database file is byte for byte
//! what it was before.

use crate::support::as_teacher;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn corpus(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/malformed")
        .join(sub)
}

fn files(sub: &str, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(corpus(sub))
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(ext))
        .collect();
    out.sort();
    out
}

/// The database's bytes, and its write-ahead log's if one is left.
fn image(db: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(db).expect("db");
    if let Ok(wal) = std::fs::read(db.with_extension("db-wal")) {
        bytes.extend(wal);
    }
    bytes
}

/// Sets the value at a JSON pointer, adding a member where the pointer names a new one.
fn set(doc: &mut serde_json::Value, pointer: &str, value: serde_json::Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    match doc.pointer_mut(parent).expect("parent") {
        serde_json::Value::Object(o) => {
            o.insert(key.to_string(), value);
        }
        serde_json::Value::Array(a) => a[key.parse::<usize>().expect("index")] = value,
        _ => panic!("{pointer} is not in a container"),
    }
}

/// The bundle's checksum, computed again over its other members.
fn recheck(doc: &mut serde_json::Value) {
    let mut bare = doc.clone();
    bare.as_object_mut().expect("object").remove("checksum");
    doc["checksum"] = format!(
        "fnv1a64:{:016x}",
        detente::text::fnv1a(bare.to_string().as_bytes())
    )
    .into();
}

/// A teacher's database: the sample deck, an exam on it and a class list.
fn teacher(dir: &Path) -> PathBuf {
    let db = dir.join("teacher.db");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for args in [
        vec!["deck".into(), "import".into(), data.join("sample.toml")],
        vec!["exam".into(), "load".into(), corpus("mid.toml")],
        vec![
            "learner".into(),
            "import".into(),
            data.join("roster/plain.csv"),
        ],
    ] {
        let out = as_teacher(&db).args(&args).output().expect("run");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    db
}

/// A success, to report a refusal that wrote a file as mishandled.
fn out_ok() -> Output {
    Command::new("true").output().expect("true")
}

/// What went wrong with one refusal, if anything.
fn judge(what: &str, out: &Output, expect: &str, before: &[u8], db: &Path) -> Option<String> {
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(65) {
        return Some(format!(
            "{what}: exit {:?}, not 65: {err}",
            out.status.code()
        ));
    }
    if !err.to_lowercase().contains(&expect.to_lowercase()) {
        return Some(format!(
            "{what}: the message does not name {expect:?}: {err}"
        ));
    }
    if image(db) != before {
        return Some(format!("{what}: the database changed"));
    }
    None
}

#[test]
fn malformed_inputs_are_refused_and_the_database_is_untouched() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = teacher(dir.path());
    let good = std::fs::read_to_string(corpus("bundle/good.json")).expect("good bundle");
    let good: serde_json::Value = serde_json::from_str(&good).expect("json");

    // Control: the good bundle imports, into a copy.
    let copy = dir.path().join("copy.db");
    std::fs::copy(&db, &copy).expect("copy");
    let out = as_teacher(&copy)
        .args(["progress", "import", "--accept-unenrolled"])
        .arg(corpus("bundle/good.json"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "the good bundle: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut wrong = Vec::new();
    let mut refused = 0;
    // Each refusal is judged against the database as it was just before it: one wrongly accepted input cannot
    // hide or fake the others.
    let mut before = image(&db);
    let mut check = |what: String, out: Output, expect: &str| {
        refused += 1;
        if let Some(w) = judge(&what, &out, expect, &before, &db) {
            wrong.push(w);
        }
        before = image(&db);
    };

    for roster in files("roster", ".csv") {
        let out = as_teacher(&db)
            .args(["learner", "import"])
            .arg(&roster)
            .output()
            .expect("run");
        let name = roster
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        check(format!("roster {name}"), out, &name);
    }
    for patch in files("bundle", ".patch.json") {
        let p: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&patch).expect("patch")).expect("patch json");
        let mut doc = good.clone();
        set(
            &mut doc,
            p["pointer"].as_str().expect("pointer"),
            p["value"].clone(),
        );
        recheck(&mut doc);
        let name = patch
            .file_name()
            .expect("name")
            .to_string_lossy()
            .replace(".patch.json", ".json");
        let file = dir.path().join(&name);
        std::fs::write(&file, doc.to_string()).expect("write");
        let out = as_teacher(&db)
            .args(["progress", "import", "--accept-unenrolled"])
            .arg(&file)
            .output()
            .expect("run");
        check(
            format!("bundle {name}"),
            out,
            p["expect"].as_str().expect("expect"),
        );
    }
    for bundle in files("bundle", ".json") {
        let name = bundle
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".patch.json") || name == "good.json" {
            continue;
        }
        // Alone: in a multi-file import each bundle stands on its own, the good ones imported beside a refused
        // one (see tests/it/attempts.rs).
        let out = as_teacher(&db)
            .args(["progress", "import", "--accept-unenrolled"])
            .arg(&bundle)
            .output()
            .expect("run");
        check(format!("bundle {name}"), out, &name);
    }
    for deck in files("deck", ".toml") {
        let name = deck
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let out = as_teacher(&db)
            .args(["deck", "import"])
            .arg(&deck)
            .output()
            .expect("run");
        check(format!("deck {name}"), out, "error");
    }
    for exam in files("exam", ".toml") {
        let name = exam
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let out = as_teacher(&db)
            .args(["exam", "load"])
            .arg(&exam)
            .output()
            .expect("run");
        check(format!("exam {name}"), out, &name);
    }
    for gift in files("gift", ".gift") {
        let name = gift
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let target = dir.path().join("converted.toml");
        let out = as_teacher(&db)
            .args(["deck", "convert", "--from", "gift", "-o"])
            .arg(&target)
            .arg(&gift)
            .output()
            .expect("run");
        let written = target.exists();
        check(format!("gift {name}"), out, &name);
        if written {
            check(
                format!("gift {name}: an output file was written"),
                out_ok(),
                "",
            );
        }
    }
    eprintln!(
        "malformed inputs: {refused} tried, {} wrongly accepted or mishandled",
        wrong.len()
    );
    assert!(refused >= 80, "the corpus is all there: {refused}");
    assert!(
        wrong.is_empty(),
        "{} of {refused}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
