//! Enrolment, through the binary: the teacher issues codes (`learner enrol`: the printed list, the CSV, reissue),
//! each student enrols a device (`enrol CODE`, typed loosely, twice), exports a signed bundle as their default
//! learner, and the teacher's `progress import` takes a bundle only for the learner whose key signed it. Every
//! forged bundle is refused with exit 65 and one line naming the learner it claims, and every learner's rows (the
//! tables keyed by learner, dumped with rusqlite) are identical before and after.

use crate::support::{FirstOption, Scripted, TestClock, as_teacher, detente, with_sample};
use detente::schedule::Calendar;
use detente::session::{Session, StudyOptions};
use detente::store::{self, Store};
use detente::time::UnixMs;
use rusqlite::types::ValueRef;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// detente on a student's device: no --learner, no DETENTE_LEARNER, the OS user `student`.
fn device(db: &Path) -> assert_cmd::Command {
    let mut cmd = detente(db);
    cmd.env_remove("DETENTE_LEARNER")
        .env("USER", "student")
        .env("TZ", "UTC");
    cmd
}

/// The teacher's database: the sample deck, and four learners as a roster gives them.
fn teacher_db(dir: &Path) -> PathBuf {
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
fn issue(db: &Path, names: &[&str], extra: &[&str]) -> Vec<(String, String)> {
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
fn student_db(dir: &Path, file: &str, name: &str, code: Option<&str>) -> PathBuf {
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
fn export(db: &Path, dir: &Path, file: &str) -> PathBuf {
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
fn dump(db: &Path) -> Vec<(String, Vec<String>)> {
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
fn recheck(v: &mut Value) {
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

fn import(db: &Path, files: &[&Path], extra: &[&str]) -> Output {
    as_teacher(db)
        .args(["progress", "import"])
        .args(extra)
        .args(files)
        .output()
        .expect("run")
}

/// Imports `file` and asserts it is refused: exit 65, one line, naming the file and `claims` and containing
/// `why`, and every learner's rows unchanged.
fn refused(db: &Path, file: &Path, extra: &[&str], claims: &str, why: &str) {
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
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(
        dump(db),
        before,
        "{}: a learner's rows changed",
        file.display()
    );
}

fn write(dir: &Path, file: &str, v: &Value) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, serde_json::to_string_pretty(v).expect("json")).expect("write");
    path
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

/// The rows of every learner but `name`.
fn others(dump: &[(String, Vec<String>)], name: &str) -> Vec<(String, Vec<String>)> {
    dump.iter().filter(|(n, _)| n != name).cloned().collect()
}

/// Attack: Mallory edits her signed bundle to be Ann's, in every way the issue measured (Ann's name; Ann's email in
/// another case; Carol's student id with Ann's email; the checksum recomputed each time), or strips the signature,
/// or borrows Ann's key id, or signs with a code nobody issued, or tampers with a review after signing. Each is
/// refused naming the learner it claims and why, and no learner's rows change; Mallory's own bundle is then taken,
/// into Mallory's record only.
#[test]
fn forged_bundles_are_refused_and_the_valid_one_lands_only_on_its_learner() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let teacher = teacher_db(d);
    let codes = issue(&teacher, &["ann", "mallory", "carol"], &[]);
    let code = |n: &str| {
        codes
            .iter()
            .find(|(l, _)| l == n)
            .map(|(_, c)| c.clone())
            .expect("code")
    };
    let mallory = student_db(d, "mallory.db", "mallory", Some(&code("mallory")));
    let signed = export(&mallory, d, "mallory.json");
    let original = read(&signed);
    assert_eq!(original["version"], 2);
    assert_eq!(original["learner"]["name"], "mallory");
    assert!(
        original["tag"]
            .as_str()
            .expect("tag")
            .starts_with("hmac-sha256:")
    );
    assert_eq!(original["key_id"].as_str().expect("key id").len(), 20);

    let forge = |file: &str, edit: &dyn Fn(&mut Value)| {
        let mut v = original.clone();
        edit(&mut v);
        recheck(&mut v);
        write(d, file, &v)
    };
    let to_ann = forge("name.json", &|v| v["learner"]["name"] = "ann".into());
    refused(
        &teacher,
        &to_ann,
        &[],
        "ann",
        "does not match mallory's key",
    );
    let email = forge("email.json", &|v| {
        v["learner"]["email"] = "ANN@UNI.EXAMPLE".into();
    });
    refused(
        &teacher,
        &email,
        &[],
        "mallory (email ANN@UNI.EXAMPLE",
        "does not match mallory's key",
    );
    let mixed = forge("mixed.json", &|v| {
        v["learner"]["email"] = "ann@uni.example".into();
        v["learner"]["student_id"] = "S3".into();
    });
    refused(
        &teacher,
        &mixed,
        &[],
        "mallory (email ann@uni.example, student id S3)",
        "does not match",
    );
    let tampered = forge("tampered.json", &|v| {
        v["reviews"][0]["rating"] = 4.into();
        v["reviews"][0]["correct"] = true.into();
    });
    refused(
        &teacher,
        &tampered,
        &[],
        "mallory",
        "altered after it was signed",
    );
    // The signature stripped: an unsigned bundle of an enrolled learner.
    let stripped = forge("stripped.json", &|v| {
        let o = v.as_object_mut().expect("object");
        o.remove("tag");
        o.remove("key_id");
        v["learner"]["name"] = "ann".into();
    });
    refused(
        &teacher,
        &stripped,
        &["--accept-unenrolled"],
        "ann",
        "who is enrolled",
    );
    // Ann's key id with Mallory's tag.
    let ann_key = {
        let teacher_store = Store::open(&teacher).expect("open");
        let ann = store::learner_by_name(&teacher_store.conn, "ann")
            .expect("q")
            .expect("ann");
        store::valid_key(&teacher_store.conn, ann.id)
            .expect("q")
            .expect("key")
            .key_id
    };
    let borrowed = forge("borrowed.json", &|v| {
        v["key_id"] = ann_key.clone().into();
        v["learner"]["name"] = "ann".into();
    });
    refused(&teacher, &borrowed, &[], "ann", "does not match ann's key");
    // A device enrolled with a code the teacher never issued (its check character made right).
    let rogue = student_db(d, "rogue.db", "ann", Some(&fake_code("ann")));
    let rogue_bundle = export(&rogue, d, "rogue.json");
    refused(&teacher, &rogue_bundle, &[], "ann", "never issued");
    // A hand edit without recomputing the checksum is caught by the checksum.
    let raw = std::fs::read_to_string(&signed).expect("read").replacen(
        "\"name\": \"mallory\"",
        "\"name\": \"ann\"",
        1,
    );
    let raw_file = d.join("raw.json");
    std::fs::write(&raw_file, raw).expect("write");
    let before = dump(&teacher);
    let out = import(&teacher, &[&raw_file], &[]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        stderr(&out).contains("checksum mismatch"),
        "{}",
        stderr(&out)
    );
    assert_eq!(dump(&teacher), before);
    // One forged file among valid ones refuses them all.
    let out = import(&teacher, &[&signed, &to_ann], &[]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert_eq!(dump(&teacher), before);

    // Control: Mallory's own bundle is taken, and only Mallory's rows change.
    let out = import(&teacher, &[&signed], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("for mallory"), "{}", stderr(&out));
    let after = dump(&teacher);
    assert_eq!(others(&after, "mallory"), others(&before, "mallory"));
    let rows = |dump: &[(String, Vec<String>)]| {
        dump.iter()
            .find(|(n, _)| n == "mallory")
            .map(|(_, r)| r.iter().filter(|r| r.starts_with("reviews:")).count())
            .expect("mallory")
    };
    assert_eq!(rows(&before), 0);
    assert!(rows(&after) > 0, "Mallory's reviews were imported");
}

/// A code with a right check character that the teacher never issued: what a student who guesses the format makes.
fn fake_code(name: &str) -> String {
    use rand_chacha::rand_core::SeedableRng;
    let mut rng = rand_chacha::ChaCha20Rng::from_seed([9; 32]);
    detente::enrol::Code::generate(name, &mut rng).to_string()
}

/// Attack: a student keeps exporting with the code the teacher has since reissued (a lost device, a shared code).
/// The bundle signed with the old key is refused, naming the reissue; the device enrolled again with the new code is
/// taken.
#[test]
fn a_bundle_signed_with_a_reissued_code_is_refused_and_enrolling_again_replaces_the_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let teacher = teacher_db(d);
    let old = issue(&teacher, &["ann"], &[]);
    let ann = student_db(d, "ann.db", "ann", Some(&old[0].1));
    let stale = export(&ann, d, "stale.json");
    // Issuing again without --reissue is refused, and changes nothing.
    let before = dump(&teacher);
    let out = as_teacher(&teacher)
        .args(["learner", "enrol", "ann"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--reissue"), "{}", stderr(&out));
    assert_eq!(dump(&teacher), before);
    let new = issue(&teacher, &["ann"], &["--reissue"]);
    assert_ne!(new[0].1, old[0].1);
    refused(&teacher, &stale, &[], "ann", "reissued on");

    // Enrolling the device again: the same code changes nothing, the new one replaces the key.
    let out = device(&ann)
        .args(["enrol", &new[0].1])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("new code"), "{}", stderr(&out));
    let out = device(&ann)
        .args(["enrol", &new[0].1])
        .output()
        .expect("run");
    assert!(stderr(&out).contains("nothing changed"), "{}", stderr(&out));
    let fresh = export(&ann, d, "fresh.json");
    assert_ne!(read(&fresh)["key_id"], read(&stale)["key_id"]);
    let out = import(&teacher, &[&fresh], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Attack: a learner who never enrolled sends an unsigned bundle. Refused without --accept-unenrolled; with it,
/// taken and marked unverified in `learner list`. An unsigned bundle claiming an enrolled learner's email is refused
/// even with the flag.
#[test]
fn an_unenrolled_bundle_needs_the_flag_and_is_marked() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let teacher = teacher_db(d);
    issue(&teacher, &["ann"], &[]);
    let dave = student_db(d, "dave.db", "dave", None);
    let bundle = d.join("dave.json");
    let out = detente(&dave)
        .args(["--learner", "dave", "progress", "export", "-o"])
        .arg(&bundle)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("not signed"), "{}", stderr(&out));
    assert!(read(&bundle).get("tag").is_none());
    refused(&teacher, &bundle, &[], "dave", "--accept-unenrolled");

    let mut claims_ann = read(&bundle);
    claims_ann["learner"]["email"] = "Ann@Uni.Example".into();
    recheck(&mut claims_ann);
    let claims_ann = write(d, "claims-ann.json", &claims_ann);
    refused(
        &teacher,
        &claims_ann,
        &["--accept-unenrolled"],
        "dave",
        "ann, who is enrolled",
    );

    let mut mixed = read(&bundle);
    mixed["learner"]["student_id"] = "S3".into();
    recheck(&mut mixed);
    let mixed = write(d, "mixed.json", &mixed);
    refused(&teacher, &mixed, &["--accept-unenrolled"], "dave", "carol");

    let before = dump(&teacher);
    let out = import(&teacher, &[&bundle], &["--accept-unenrolled"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("marked unverified"),
        "{}",
        stderr(&out)
    );
    assert_eq!(others(&dump(&teacher), "dave"), others(&before, "dave"));
    let out = as_teacher(&teacher)
        .args(["--json", "learner", "list"])
        .output()
        .expect("run");
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    let row = |n: &str| {
        list.iter()
            .find(|l| l["name"] == n)
            .expect("learner")
            .clone()
    };
    assert_eq!(row("dave")["unverified_imports"], 1);
    assert_eq!(row("dave")["enrolled"], "no");
    assert_eq!(row("ann")["enrolled"], "yes");
    assert_eq!(row("ann")["unverified_imports"], 0);
    let out = as_teacher(&teacher)
        .env("COLUMNS", "120")
        .args(["learner", "list"])
        .output()
        .expect("run");
    let text = stdout(&out);
    let line = |n: &str| {
        text.lines()
            .find(|l| l.starts_with(n))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("dave").trim_end().ends_with("no*"), "{text}");
    assert!(line("ann").trim_end().ends_with("yes"), "{text}");
}

/// Attack on usability: the printed list and the CSV are the only copies of the codes, so each must carry the whole
/// code, the learner and their identifiers, and the codes must work as typed by a student (lowercase, spaces instead
/// of dashes, O for 0); `--all` skips learners who have a code; the codes are never stored in clear.
#[test]
fn the_printed_list_and_the_csv_carry_working_codes_that_are_never_stored() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let teacher = teacher_db(d);
    let csv = d.join("codes.csv");
    let out = as_teacher(&teacher)
        .env("COLUMNS", "80")
        .args(["learner", "enrol", "ann", "carol", "--csv"])
        .arg(&csv)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut reader = csv::Reader::from_path(&csv).expect("csv");
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "name",
            "username",
            "first_name",
            "last_name",
            "email",
            "student_id",
            "code",
            "command"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let (name, code) = (&row[0], &row[6]);
        assert!(code.starts_with(&format!("{name}-")), "{code}");
        assert_eq!(&row[7], format!("detente enrol {code}"));
        // The list shows the whole code on the learner's line, within 80 columns.
        let line = text.lines().find(|l| l.starts_with(name)).expect("listed");
        assert!(line.contains(code), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        // Never stored in clear.
        let bytes = std::fs::read(&teacher).expect("db");
        let wal = std::fs::read(teacher.with_extension("db-wal")).unwrap_or_default();
        for file in [&bytes, &wal] {
            assert!(
                !file.windows(code.len()).any(|w| w == code.as_bytes()),
                "the code is in the database"
            );
        }
    }
    assert!(
        stderr(&out).contains("Issued 2 enrolment code(s)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(rows[1][4].to_string(), "carol@uni.example");
    assert_eq!(rows[1][5].to_string(), "S3");

    // --all: the roster's learners without a code (mallory, dave), not ann and carol again.
    let all = issue(&teacher, &[], &["--all"]);
    let mut names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["dave", "mallory"]);

    // Carol types her code loosely, on a fresh device.
    let carol_code = rows[1][6].to_string();
    let loose: Vec<String> = carol_code
        .to_lowercase()
        .split('-')
        .map(|g| g.replace('0', "o"))
        .collect();
    let phone = d.join("phone.db");
    let out = device(&phone)
        .arg("enrol")
        .args(&loose)
        .output()
        .expect("run");
    assert!(out.status.success(), "{loose:?}: {}", stderr(&out));
    assert!(
        stderr(&out).contains("Enrolled this device as carol"),
        "{}",
        stderr(&out)
    );
    // She is the default learner from now on.
    let out = device(&phone)
        .args(["--json", "learner", "list"])
        .output()
        .expect("run");
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(list.len(), 1, "no learner `student` was created: {list:?}");
    assert_eq!(list[0]["enrolled"], "this device");
    // A typo is refused, exit 2, one line.
    let mut typo = carol_code.clone();
    let last = typo.pop().expect("char");
    typo.push(if last == 'Z' { 'Y' } else { 'Z' });
    let out = device(&phone).args(["enrol", &typo]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not check out"),
        "{}",
        stderr(&out)
    );
}

/// Attack: on a device enrolled as Mallory, `--learner ann` makes a local "ann" and exports her progress; it is
/// not signed with Mallory's key (a warning says so), so the teacher refuses it as an unsigned bundle of an enrolled
/// learner.
#[test]
fn another_learner_on_an_enrolled_device_is_exported_unsigned() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let teacher = teacher_db(d);
    let codes = issue(&teacher, &["ann", "mallory"], &[]);
    let mallory_code = &codes.iter().find(|(n, _)| n == "mallory").expect("code").1;
    let mallory = student_db(d, "mallory.db", "mallory", Some(mallory_code));
    device(&mallory)
        .args(["learner", "add", "ann"])
        .assert()
        .success();
    let bundle = d.join("as-ann.json");
    let out = device(&mallory)
        .args(["--learner", "ann", "progress", "export", "-o"])
        .arg(&bundle)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not signed: this device is enrolled as mallory, not ann"),
        "{}",
        stderr(&out)
    );
    assert!(read(&bundle).get("key_id").is_none());
    refused(
        &teacher,
        &bundle,
        &["--accept-unenrolled"],
        "ann",
        "who is enrolled",
    );
}
