//! Exam attempts that arrive in progress bundles, judged by the teacher's copy, and the flag rules of bundles. Each
//! test forges a bundle the way a student could (export their own, edit the JSON, recompute the checksum) and
//! checks that the teacher's database re-scores or refuses it, and that what is refused writes nothing: the rows
//! are dumped before and after and compared. Also: unsupervised attempts counted apart from supervised ones in the
//! attempt limit, `exam results`, item analysis and grade exports; a multi-file import that keeps the valid
//! bundles beside a refused one.

use crate::support::{
    Answer, Ask, FirstOption, Scripted, TestClock, answering, as_teacher, sample_deck, with_sample,
};
use detente::deck::{Body, Card, cloze_blanks, cloze_question};
use detente::exam::Exam;
use detente::session::Reply;
use detente::session::exam::{ExamEnd, Sitting, exam_row};
use detente::store::{self, Store};
use detente::time::UnixMs;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The exam both databases hold: every question of the sample deck but the flashcard (8), two attempts, the same
/// paper for everyone.
const EXAM: &str = r#"{"id":"mid","title":"Midterm","decks":["sample"],"questions":8,"paper":"same","seed":0,"attempts":2,"grading":"highest","pass_mark":50.0}"#;

fn exam() -> Exam {
    serde_json::from_str(EXAM).expect("exam")
}

/// A database with the sample deck, the exam, and these learners.
fn database(path: &Path, learners: &[&str]) -> PathBuf {
    let mut store = with_sample(path);
    let tx = store.write().expect("tx");
    store::upsert_exam(&tx, &exam_row(&exam(), 0).expect("row")).expect("exam");
    for name in learners {
        store::add_learner(&tx, name, 0).expect("learner");
    }
    tx.commit().expect("commit");
    path.to_path_buf()
}

/// `learner` sits the exam in `db`, answering the first option to everything, starting at `start` (ms); returns
/// the score.
fn sit(db: &Path, learner: &str, start: i64) -> f64 {
    let mut store = Store::open(db).expect("open");
    let l = store::learner_by_name(&store.conn, learner)
        .expect("q")
        .expect("learner");
    let clock = TestClock::new(UnixMs(start), 3_000);
    let exam = exam();
    let end = Sitting::new(&mut store, &exam, &l, &clock)
        .run(&mut Scripted::new(FirstOption))
        .expect("sit");
    match end {
        ExamEnd::Closed(s) => s.score,
        other => panic!("{other:?}"),
    }
}

/// The right answer to every question of the sample deck, as a learner who knows it all gives it.
fn knowing(ask: &Ask) -> Reply<Answer> {
    let mut cards: HashMap<String, (Card, usize)> = HashMap::new();
    for c in sample_deck().cards {
        for s in 0..c.siblings() {
            let prompt = match &c.body {
                Body::Cloze { .. } => cloze_question(&c.prompt, s),
                _ => c.prompt.clone(),
            };
            cards.insert(prompt, (c.clone(), s));
        }
    }
    let (card, sibling) = cards.get(&ask.question().prompt).expect("a sample card");
    let at = |options: &[String], want: &str| {
        options
            .iter()
            .position(|o| o == want)
            .expect("the answer is offered")
    };
    Reply::Answer(match (ask, &card.body) {
        (Ask::Choose { options, .. }, Body::Choice { answer, .. }) => {
            Answer::Pick(at(options, answer))
        }
        (Ask::Choose { options, .. }, Body::Order { items }) => {
            // The items not yet placed are offered: the first of them in the right order goes next.
            let next = items.iter().find(|i| options.contains(i)).expect("an item");
            Answer::Pick(at(options, next))
        }
        (Ask::Choose { label, options, .. }, Body::Match { pairs }) => {
            let (_, right) = pairs
                .iter()
                .find(|(l, _)| label.starts_with(l.as_str()))
                .expect("a pair");
            Answer::Pick(at(options, right))
        }
        (Ask::ChooseMany { options, .. }, Body::Multi { answers, .. }) => {
            Answer::Tick(answers.iter().map(|a| at(options, a)).collect())
        }
        (Ask::Judge { .. }, Body::Truefalse { answer }) => Answer::Judge(*answer),
        (Ask::Type { .. }, Body::Text { answers, .. }) => Answer::Type(answers[0].clone()),
        (Ask::Type { .. }, Body::Cloze { .. }) => {
            Answer::Type(cloze_blanks(&card.prompt)[*sibling].answers[0].clone())
        }
        (Ask::Type { .. }, Body::Number { answer, .. }) => Answer::Type(answer.to_string()),
        (Ask::Reveal { .. }, _) => Answer::Grade(3),
        (other, body) => panic!("{other:?} for {body:?}"),
    })
}

/// Attack on the honest student (the checker must agree with the sitting's): a learner who answers every
/// question right, of every kind, on their own machine gets full marks from the teacher's copy too.
#[test]
fn right_answers_of_every_kind_keep_full_marks() {
    let dir = tempfile::tempdir().expect("tmp");
    let own = database(&dir.path().join("own.db"), &["hal"]);
    {
        let mut store = Store::open(&own).expect("open");
        let hal = store::learner_by_name(&store.conn, "hal")
            .expect("q")
            .expect("hal");
        let clock = TestClock::new(UnixMs(1_700_000_000_000), 3_000);
        let exam = exam();
        let mut p = answering(knowing);
        match Sitting::new(&mut store, &exam, &hal, &clock)
            .run(&mut p)
            .expect("sit")
        {
            ExamEnd::Closed(s) => assert_eq!(s.score, 8.0, "{s:?}"),
            other => panic!("{other:?}"),
        }
    }
    let bundle = write(dir.path(), "hal.json", export(&own, "hal"));
    let teacher = database(&dir.path().join("teacher.db"), &[]);
    assert!(import(&teacher, &[&bundle]).status.success());
    assert_eq!(attempts(&teacher, "hal"), [(true, Some(8.0), Some(8.0))]);
}

/// A student's database where `learner` sat the exam twice; returns it with the first attempt's score.
fn student(dir: &Path, learner: &str) -> (PathBuf, f64) {
    let db = database(&dir.join(format!("{learner}-own.db")), &[learner]);
    let first = sit(&db, learner, 1_700_000_000_000);
    sit(&db, learner, 1_700_100_000_000);
    (db, first)
}

/// The learner's bundle exported from `db`, as JSON.
fn export(db: &Path, learner: &str) -> serde_json::Value {
    let file = db.with_extension("json");
    let out = as_teacher(db)
        .args(["--learner", learner, "progress", "export", "-o"])
        .arg(&file)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json")
}

/// Writes a (forged) bundle with its checksum recomputed as detente computes it.
fn write(dir: &Path, name: &str, mut v: serde_json::Value) -> PathBuf {
    let mut bare = v.clone();
    bare.as_object_mut().expect("object").remove("checksum");
    v["checksum"] = format!(
        "fnv1a64:{:016x}",
        detente::text::fnv1a(bare.to_string().as_bytes())
    )
    .into();
    let file = dir.join(name);
    std::fs::write(&file, v.to_string()).expect("write");
    file
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn import(db: &Path, files: &[&Path]) -> std::process::Output {
    // Unsigned bundles: what is judged here is the attempts, not who signed them (see tests/it/enrolment.rs).
    as_teacher(db)
        .args(["progress", "import", "--accept-unenrolled"])
        .args(files)
        .output()
        .expect("run")
}

/// Every row that belongs to these learners (their learner row, reviews, states, attempts with their answers,
/// flags), as text: what a refused bundle must leave byte-identical.
fn rows_of(db: &Path, names: &[&str]) -> Vec<String> {
    let store = Store::open(db).expect("open");
    let mut out = Vec::new();
    for name in names {
        let Some(l) = store::learner_by_name(&store.conn, name).expect("q") else {
            out.push(format!("{name}: none"));
            continue;
        };
        for sql in [
            "SELECT * FROM learners WHERE id = ?1",
            "SELECT * FROM reviews WHERE learner_id = ?1 ORDER BY id",
            "SELECT * FROM card_states WHERE learner_id = ?1 ORDER BY card_id",
            "SELECT * FROM attempts WHERE learner_id = ?1 ORDER BY id",
            "SELECT aa.* FROM attempt_answers aa JOIN attempts a ON a.id = aa.attempt_id WHERE a.learner_id = ?1
             ORDER BY aa.attempt_id, aa.position",
            "SELECT * FROM flags WHERE learner_id = ?1 ORDER BY id",
        ] {
            let mut stmt = store.conn.prepare(sql).expect("sql");
            let n = stmt.column_count();
            let rows = stmt
                .query_map([l.id], |r| {
                    (0..n)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .expect("query")
                .collect::<rusqlite::Result<Vec<_>>>()
                .expect("rows");
            out.extend(rows.into_iter().map(|r| format!("{name}: {}", r.join("|"))));
        }
    }
    out
}

/// A learner's attempts at the exam here: (unsupervised, score, max score), in the order stored.
fn attempts(db: &Path, name: &str) -> Vec<(bool, Option<f64>, Option<f64>)> {
    let store = Store::open(db).expect("open");
    let l = store::learner_by_name(&store.conn, name)
        .expect("q")
        .expect("learner");
    store::attempts(&store.conn, "mid", l.id)
        .expect("attempts")
        .into_iter()
        .map(|a| (a.unsupervised, a.score, a.max_score))
        .collect()
}

/// Attack: a bundle that raises its attempt's score to 10 and its maximum to 1e6, marks every answer right with
/// full credit, and numbers its attempts 3 and 7 for a 2-attempt exam. The teacher's database re-scores each
/// attempt from its answers with the sitting's checker (the scores the student's own database gave), takes the
/// maximum from the definition (8), and numbers the attempts as its own unsupervised 1 and 2.
#[test]
fn a_raised_score_an_inflated_maximum_and_odd_numbers_are_judged_by_the_teacher_s_copy() {
    let dir = tempfile::tempdir().expect("tmp");
    let (own, first) = student(dir.path(), "hal");
    let second = attempts(&own, "hal")[1].1.expect("scored");
    assert!(
        first < 8.0 && second < 8.0,
        "the first options are not all right"
    );
    let mut v = export(&own, "hal");
    for (i, n) in [3, 7].into_iter().enumerate() {
        let a = &mut v["attempts"][i];
        a["number"] = n.into();
        a["score"] = 10.0.into();
        a["max_score"] = 1e6.into();
        for x in a["answers"].as_array_mut().expect("answers") {
            x["credit"] = 1.0.into();
            x["correct"] = true.into();
        }
    }
    let forged = write(dir.path(), "hal.json", v);
    let teacher = database(&dir.path().join("teacher.db"), &["ann"]);
    let out = import(&teacher, &[&forged]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got = attempts(&teacher, "hal");
    assert_eq!(got.len(), 2, "{got:?}");
    for ((unsupervised, score, max), want) in got.iter().zip([first, second]) {
        assert!(*unsupervised);
        assert!((score.expect("score") - want).abs() < 1e-9, "{got:?}");
        assert_eq!(*max, Some(8.0));
    }
    // Each answer's credit is what the sitting gave it on the student's machine.
    let credits = |db: &Path| -> Vec<f64> {
        let store = Store::open(db).expect("open");
        let mut stmt = store
            .conn
            .prepare("SELECT credit FROM attempt_answers ORDER BY attempt_id, position")
            .expect("sql");
        stmt.query_map([], |r| r.get(0))
            .expect("q")
            .collect::<rusqlite::Result<Vec<f64>>>()
            .expect("rows")
    };
    assert_eq!(credits(&teacher), credits(&own));
    let out = as_teacher(&teacher)
        .args(["--json", "exam", "results", "mid"])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let hal = &v["learners"][0];
    assert_eq!(hal["learner"], "hal");
    let numbers: Vec<_> = hal["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["number"].as_i64())
        .collect();
    assert_eq!(numbers, [Some(1), Some(2)]);
    assert!(hal["passed"].is_null() && hal["grade"].is_null(), "{hal}");
}

/// Attack: a third attempt at a 2-attempt exam (an attempt copied with another start), alone and in a second
/// bundle after two were imported. Refused with exit 65 and the exam's limit named; the teacher's rows stay
/// byte-identical.
#[test]
fn attempts_beyond_the_definition_s_limit_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let (own, _) = student(dir.path(), "hal");
    let v = export(&own, "hal");
    let mut three = v.clone();
    let mut extra = v["attempts"][1].clone();
    extra["started_at"] = 1_700_200_000_000_i64.into();
    extra["closed_at"] = 1_700_200_900_000_i64.into();
    for x in extra["answers"].as_array_mut().expect("answers") {
        x["answered_at"] = 1_700_200_100_000_i64.into();
    }
    three["attempts"]
        .as_array_mut()
        .expect("a")
        .push(extra.clone());
    let three = write(dir.path(), "three.json", three);
    let teacher = database(&dir.path().join("teacher.db"), &["ann", "hal"]);
    sit(&teacher, "ann", 1_700_000_000_000);
    let before = rows_of(&teacher, &["ann", "hal"]);
    let out = import(&teacher, &[&three]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("allows 2 attempts"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("three.json"), "{}", stderr(&out));
    assert_eq!(rows_of(&teacher, &["ann", "hal"]), before);

    // The two real ones come in; a later bundle with only the extra one is still one too many.
    let two = write(dir.path(), "two.json", v.clone());
    assert!(import(&teacher, &[&two]).status.success());
    let mut later = v;
    later["attempts"] = serde_json::json!([extra]);
    let later = write(dir.path(), "later.json", later);
    let before = rows_of(&teacher, &["ann", "hal"]);
    let out = import(&teacher, &[&later]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("2 are already here"),
        "{}",
        stderr(&out)
    );
    assert_eq!(rows_of(&teacher, &["ann", "hal"]), before);
}

/// Attack on the attempt limit: two unsupervised attempts imported for a 2-attempt exam must not use up the
/// learner's supervised ones. Hal can still sit the exam at the teacher's, as attempt 1, twice; a third is refused.
#[test]
fn unsupervised_attempts_never_use_up_supervised_ones() {
    let dir = tempfile::tempdir().expect("tmp");
    let (own, _) = student(dir.path(), "hal");
    let bundle = write(dir.path(), "hal.json", export(&own, "hal"));
    let teacher = database(&dir.path().join("teacher.db"), &["hal"]);
    assert!(import(&teacher, &[&bundle]).status.success());
    let mut store = Store::open(&teacher).expect("open");
    let hal = store::learner_by_name(&store.conn, "hal")
        .expect("q")
        .expect("hal");
    let exam = exam();
    for (n, start) in [(1, 1_700_300_000_000), (2, 1_700_400_000_000)] {
        let clock = TestClock::new(UnixMs(start), 3_000);
        let mut p = Scripted::new(FirstOption);
        match Sitting::new(&mut store, &exam, &hal, &clock)
            .run(&mut p)
            .expect("sit")
        {
            ExamEnd::Closed(s) => assert_eq!(s.attempt, n),
            other => panic!("{other:?}"),
        }
    }
    let clock = TestClock::new(UnixMs(1_700_500_000_000), 3_000);
    let refused =
        Sitting::new(&mut store, &exam, &hal, &clock).run(&mut Scripted::new(FirstOption));
    assert!(
        refused.is_err_and(|e| e.to_string().contains("all 2 attempts")),
        "a third supervised attempt is refused"
    );
    drop(store);
    let kinds: Vec<bool> = attempts(&teacher, "hal").iter().map(|a| a.0).collect();
    assert_eq!(kinds.iter().filter(|u| **u).count(), 2);
    assert_eq!(kinds.iter().filter(|u| !**u).count(), 2);
}

/// Attack on the results a teacher reads: an unsupervised attempt shown as a pass. `exam results` lists them in
/// their own column and gives no grade or pass/fail from them unless --include-unsupervised; item analysis
/// leaves them out (facility from the supervised attempt alone) unless asked; a grade export that leaves them out
/// names the learners on stderr.
#[test]
fn results_items_and_exports_keep_unsupervised_attempts_apart() {
    let dir = tempfile::tempdir().expect("tmp");
    let (own, _) = student(dir.path(), "hal");
    let bundle = write(dir.path(), "hal.json", export(&own, "hal"));
    let teacher = database(&dir.path().join("teacher.db"), &["ann"]);
    let ann = sit(&teacher, "ann", 1_700_000_000_000);
    assert!(import(&teacher, &[&bundle]).status.success());

    let text = |args: &[&str]| {
        let out = as_teacher(&teacher).args(args).output().expect("run");
        assert!(out.status.success(), "{}", stderr(&out));
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr(&out),
        )
    };
    let (table, _) = text(&["exam", "results", "mid"]);
    let header = table.lines().next().expect("header");
    assert!(
        header.contains("SUPERVISED (%)") && header.contains("UNSUPERVISED* (%)"),
        "{table}"
    );
    let hal = table.lines().find(|l| l.starts_with("hal")).expect("hal");
    let cells: Vec<&str> = hal.split_whitespace().collect();
    assert_eq!(
        &cells[1..4],
        ["-", "-", "-"],
        "no grade, no result: {table}"
    );
    assert_eq!(cells.len(), 6, "two unsupervised scores: {table}");
    let ann_row = table.lines().find(|l| l.starts_with("ann")).expect("ann");
    assert!(
        ann_row.contains("pass") || ann_row.contains("fail"),
        "{table}"
    );
    let (counted, _) = text(&["exam", "results", "mid", "--include-unsupervised"]);
    let hal = counted.lines().find(|l| l.starts_with("hal")).expect("hal");
    assert!(hal.contains("pass") || hal.contains("fail"), "{counted}");

    // Item analysis: one respondent (Ann's attempt) by default, three with the unsupervised ones.
    let items = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["--json", "report", "items", "--exam", "mid"];
        args.extend(extra);
        serde_json::from_str(&text(&args).0).expect("json")
    };
    let supervised = items(&[]);
    let items_list = supervised.as_array().expect("items");
    assert_eq!(items_list.len(), 8);
    let mut facility = 0.0;
    for i in items_list {
        assert_eq!(i["answered"], 1, "{i}");
        facility += i["facility"].as_f64().expect("facility");
    }
    assert!((facility - ann).abs() < 1e-6, "facility from Ann alone");
    for i in items(&["--include-unsupervised"])
        .as_array()
        .expect("items")
    {
        assert_eq!(i["answered"], 3, "{i}");
    }

    // The grade export says whose attempts it left out.
    let (_, err) = text(&["grades", "export", "--format", "native"]);
    assert!(
        err.contains("unsupervised")
            && err.contains("hal")
            && err.contains("--include-unsupervised"),
        "{err}"
    );
    assert!(!err.contains("ann"), "{err}");
    let (_, err) = text(&[
        "grades",
        "export",
        "--format",
        "native",
        "--include-unsupervised",
    ]);
    assert!(!err.contains("Left out of exam"), "{err}");
}

/// Attack: one bad bundle among good ones used to refuse the whole import. Three files: bo's bundle whose attempt
/// numbers collide with bo's supervised attempt here (re-numbered, imported), a forged one (over the limit) and a
/// damaged one (refused, each named with its reason), and hal's (imported). Exit 65; the refused learner's rows
/// and a bystander's stay byte-identical.
#[test]
fn a_multi_file_import_keeps_every_valid_bundle_and_names_each_refused_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let (bo_own, _) = student(dir.path(), "bo");
    let (hal_own, _) = student(dir.path(), "hal");
    let (eve_own, _) = student(dir.path(), "eve");
    let teacher = database(&dir.path().join("teacher.db"), &["ann", "bo", "eve"]);
    sit(&teacher, "ann", 1_700_000_000_000);
    sit(&teacher, "bo", 1_700_000_500_000);
    let bo = write(dir.path(), "bo.json", export(&bo_own, "bo"));
    let hal = write(dir.path(), "hal.json", export(&hal_own, "hal"));
    let mut eve = export(&eve_own, "eve");
    let copy = eve["attempts"][0].clone();
    eve["attempts"].as_array_mut().expect("a").push(copy);
    eve["attempts"][2]["started_at"] = 1_700_050_000_000_i64.into();
    eve["attempts"][2]["closed_at"] = 1_700_050_900_000_i64.into();
    let eve = write(dir.path(), "eve.json", eve);
    let damaged = dir.path().join("damaged.json");
    std::fs::write(
        &damaged,
        std::fs::read_to_string(&hal)
            .expect("read")
            .replacen("\"seed\":", "\"seed\": 1", 1),
    )
    .expect("write");
    let before = rows_of(&teacher, &["ann", "eve"]);
    let out = import(&teacher, &[&bo, &eve, &damaged, &hal]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(
        err.contains("eve.json") && err.contains("allows 2 attempts"),
        "{err}"
    );
    assert!(err.contains("damaged.json"), "{err}");
    assert!(err.contains("Imported") && err.contains("bo.json"), "{err}");
    assert!(err.contains("hal.json for hal"), "{err}");
    assert!(err.contains("refused 2"), "{err}");
    assert_eq!(rows_of(&teacher, &["ann", "eve"]), before);
    let bo_kinds: Vec<bool> = attempts(&teacher, "bo").iter().map(|a| a.0).collect();
    assert_eq!(bo_kinds, [false, true, true]);
    assert_eq!(attempts(&teacher, "hal").len(), 2);
    // Importing the same files again adds nothing and refuses the same two.
    let after = rows_of(&teacher, &["bo", "hal"]);
    let out = import(&teacher, &[&bo, &eve, &damaged, &hal]);
    assert_eq!(out.status.code(), Some(65));
    assert_eq!(rows_of(&teacher, &["bo", "hal"]), after);
}

/// Flags on one card of the sample deck, as a bundle carries them.
fn flags(n: usize, state: &str) -> serde_json::Value {
    (0..n)
        .map(|i| {
            serde_json::json!({
                "deck": "sample", "card": "nrc-refresh", "sibling": 0,
                "flagged_at": 1_700_000_000 + i as i64, "note": "wrong?",
                "state": state, "closed_at": if state == "open" { serde_json::Value::Null } else { 1_700_900_000_i64.into() },
            })
        })
        .collect()
}

/// The card the flags name, checked to exist so that the tests below fail for the right reason.
fn flagged_card(db: &Path) -> i64 {
    let store = Store::open(db).expect("open");
    store::card_id(&store.conn, "sample", "nrc-refresh", 0)
        .expect("q")
        .expect("the sample deck has the card")
}

/// Attack: a student sends their flag already "resolved", so it never reaches the teacher's open flags. It
/// arrives open; a flag the learner withdrew stays withdrawn (they could as well not have sent it).
#[test]
fn a_flag_sent_resolved_arrives_open() {
    let dir = tempfile::tempdir().expect("tmp");
    let (own, _) = student(dir.path(), "hal");
    let teacher = database(&dir.path().join("teacher.db"), &[]);
    flagged_card(&teacher);
    let mut v = export(&own, "hal");
    let mut sent = flags(1, "resolved");
    sent.as_array_mut()
        .expect("a")
        .extend(flags(2, "withdrawn").as_array().expect("a")[1..].to_vec());
    v["flags"] = sent;
    let file = write(dir.path(), "hal.json", v);
    let out = import(&teacher, &[&file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = as_teacher(&teacher)
        .args(["--json", "report", "flags", "--all"])
        .output()
        .expect("run");
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let states: Vec<&str> = all
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| f["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states, ["open", "withdrawn"], "{all}");
}

/// Attack: 5,000 flags on one card from one bundle, and a cap reached over several bundles. Refused beyond the
/// documented cap (10 per learner and card) with the card named; nothing of the bundle is written.
#[test]
fn flags_beyond_the_cap_per_learner_and_card_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let (own, _) = student(dir.path(), "hal");
    let teacher = database(&dir.path().join("teacher.db"), &["hal"]);
    flagged_card(&teacher);
    let v = export(&own, "hal");
    let before = rows_of(&teacher, &["hal"]);
    let mut flood = v.clone();
    flood["flags"] = flags(5_000, "open");
    let flood = write(dir.path(), "flood.json", flood);
    let out = import(&teacher, &[&flood]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("5000 flags on card sample/nrc-refresh"),
        "{}",
        stderr(&out)
    );
    assert_eq!(rows_of(&teacher, &["hal"]), before);

    // Ten are accepted; ten more (other seconds) in a later bundle would make twenty: refused.
    let mut ten = v.clone();
    ten["flags"] = flags(10, "open");
    let ten = write(dir.path(), "ten.json", ten);
    assert!(import(&teacher, &[&ten]).status.success());
    let mut more = v;
    let mut later = flags(10, "open");
    for f in later.as_array_mut().expect("a") {
        f["flagged_at"] = (f["flagged_at"].as_i64().expect("t") + 100).into();
    }
    more["flags"] = later;
    let more = write(dir.path(), "more.json", more);
    let before = rows_of(&teacher, &["hal"]);
    let out = import(&teacher, &[&more]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(stderr(&out).contains("20 flags"), "{}", stderr(&out));
    assert_eq!(rows_of(&teacher, &["hal"]), before);
}

/// Attack: a bundle whose answer is stamped exactly at the teacher's deadline (the student's own exam file had no
/// time limit, or a clock set back). The teacher's copy counts an answer only strictly before the deadline, as a
/// sitting does: the answer at the deadline earns nothing, the same answer a millisecond earlier counts.
#[test]
fn an_imported_answer_at_the_teacher_s_deadline_does_not_count() {
    let dir = tempfile::tempdir().expect("tmp");
    let own = database(&dir.path().join("own.db"), &["hal"]);
    {
        let mut store = Store::open(&own).expect("open");
        let hal = store::learner_by_name(&store.conn, "hal")
            .expect("q")
            .expect("hal");
        let clock = TestClock::new(UnixMs(1_700_000_000_000), 3_000);
        let mut p = answering(knowing);
        Sitting::new(&mut store, &exam(), &hal, &clock)
            .run(&mut p)
            .expect("sit");
    }
    // The teacher's definition has a one-minute limit.
    let timed: Exam =
        serde_json::from_str(&EXAM.replace(r#""attempts":2"#, r#""attempts":2,"time_limit":1"#))
            .expect("exam");
    assert_eq!(timed.time_limit, Some(1));
    let teacher_with = |name: &str, last_at: i64| -> f64 {
        let mut v = export(&own, "hal");
        let a = &mut v["attempts"][0];
        let start = a["started_at"].as_i64().expect("start");
        let answers = a["answers"].as_array_mut().expect("answers");
        let n = answers.len() as i64;
        for (i, x) in answers.iter_mut().enumerate() {
            x["answered_at"] = (start + 1_000 * (i as i64 + 1)).into();
        }
        answers[(n - 1) as usize]["answered_at"] = (start + last_at).into();
        a["closed_at"] = (start + 60_000).into();
        let bundle = write(dir.path(), &format!("{name}.json"), v);
        let db = dir.path().join(format!("{name}.db"));
        let mut store = with_sample(&db);
        let tx = store.write().expect("tx");
        store::upsert_exam(&tx, &exam_row(&timed, 0).expect("row")).expect("exam");
        tx.commit().expect("commit");
        drop(store);
        let out = import(&db, &[&bundle]);
        assert!(out.status.success(), "{}", stderr(&out));
        attempts(&db, "hal")[0].1.expect("scored")
    };
    assert_eq!(teacher_with("before", 59_999), 8.0);
    assert_eq!(teacher_with("at", 60_000), 7.0);
}
