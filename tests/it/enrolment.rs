//! Enrolment, through the binary: the teacher issues codes (`learner enrol`: the printed list, the CSV, reissue),
//! each student enrols a device (`enrol CODE`, typed loosely, twice), exports a signed bundle as their default
//! learner, and the teacher's `progress import` takes a bundle only for the learner whose key signed it. Every
//! forged bundle is refused with exit 65 and one line naming the learner it claims, and every learner's rows (the
//! tables keyed by learner, dumped with rusqlite) are identical before and after.

pub(crate) mod setup;

use crate::support::{as_teacher, detente};
use detente::store::{self, Store};
use serde_json::Value;
use setup::{
    device, dump, export, import, issue, others, read, recheck, refused, stderr, stdout,
    student_db, teacher_db, write,
};

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
    // A forged file beside a valid one: the forged one is refused and named (exit 65), the valid one is taken,
    // and only Mallory's rows change.
    let out = import(&teacher, &[&to_ann, &signed], &[]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&to_ann.display().to_string()),
        "{}",
        stderr(&out)
    );
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
    let text = stderr(&out);
    assert!(
        text.contains(
            "Enrolled (issued a code): 1 of 4 learners; not enrolled: carol, dave, mallory."
        ),
        "{text}"
    );
    assert!(
        text.contains("Unverified: progress of dave came in unsigned bundles"),
        "{text}"
    );
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
