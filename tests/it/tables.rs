//! Every table command on an 80-column screen: learners with long names and emails, an exam with a very long
//! title, study answers and exam attempts from a scripted prompter. No line may be wider than the screen, no word
//! may be cut across two lines (a cut word ends with an ellipsis), and `--json` still parses. Also: shell
//! completions and the man page.

use crate::support::{self, Answer, Ask, Script, Scripted, TestClock, answering, first_option};
use assert_cmd::Command;
use detente::exam::parse_exam;
use detente::schedule::Calendar;
use detente::session::exam::{ExamEnd, Sitting};
use detente::session::{Reply, Session, StudyOptions};
use detente::store::{self, Filter, Store};
use detente::time::UnixMs;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use unicode_width::UnicodeWidthStr;

const SCREEN: usize = 80;

const LONG: &str = "Maximiliana Konstantinopoulou-Wittgenstein";
const LONG_EXAM_TITLE: &str = "Final examination on NATO and Russia after the Lisbon summit of 2010: missile defence, the NATO-Russia Council, strategic partnership and the apprehensions of the new member states";

/// detente as the learner with the long name, on a screen of `SCREEN` columns.
fn detente(db: &Path) -> Command {
    let mut cmd = support::detente(db);
    cmd.env("DETENTE_LEARNER", LONG)
        .env("COLUMNS", SCREEN.to_string());
    cmd
}

/// Picks the `pick`-th option (modulo), judges true when `pick` is even, types a year, grades Good.
fn answers(pick: usize) -> Scripted<impl Script> {
    answering(move |ask| {
        Reply::Answer(match ask {
            Ask::Choose { options, .. } => Answer::Pick(pick % options.len().max(1)),
            Ask::Judge { .. } => Answer::Judge(pick.is_multiple_of(2)),
            Ask::Type { .. } => Answer::Type("2010".into()),
            Ask::ChooseMany { .. } | Ask::Reveal { .. } => first_option(ask),
        })
    })
}

/// A database with three learners (two with long identities), the example exam and a long-titled one, study
/// answers to the Sherr deck and an attempt at each exam by each learner.
fn class() -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    detente(&db)
        .args(["learner", "add", LONG, "--email"])
        .arg("maximiliana.konstantinopoulou-wittgenstein@students.example-university.edu")
        .args(["--first-name", "Maximiliana Alexandra Theodora"])
        .args(["--last-name", "Konstantinopoulou-Wittgenstein"])
        .args(["--username", "mkonstantinopoulou-wittgenstein"])
        .args(["--student-id", "2026-000123456-LAW-INTL"])
        .assert()
        .success();
    detente(&db)
        .args([
            "learner",
            "add",
            "Bartholomew Fitzgerald-Montgomery",
            "--email",
        ])
        .arg("bartholomew.fitzgerald-montgomery@example.org")
        .assert()
        .success();
    detente(&db)
        .args(["learner", "add", "李小龍"])
        .assert()
        .success();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    detente(&db)
        .arg("exam")
        .arg("load")
        .arg(root.join("exams/example.toml"))
        .assert()
        .success();
    let example = std::fs::read_to_string(root.join("exams/example.toml")).expect("example exam");
    let long = example
        .replace(
            "id = \"midterm-nato-russia\"",
            "id = \"final-examination-nato-russia-relations-after-lisbon\"",
        )
        .replace(
            "title = \"Midterm: NATO and Russia after Lisbon\"",
            &format!("title = \"{LONG_EXAM_TITLE}\""),
        );
    let long_file = dir.path().join("final.toml");
    std::fs::write(&long_file, &long).expect("write exam");
    detente(&db)
        .arg("exam")
        .arg("load")
        .arg(&long_file)
        .assert()
        .success();

    let mut store = Store::open(&db).expect("open");
    let now = UnixMs(chrono::Utc::now().timestamp_millis());
    let clock = TestClock::new(now.plus_ms(-3_600_000), 3_000);
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let names = [LONG, "Bartholomew Fitzgerald-Montgomery", "李小龍"];
    for (i, name) in names.iter().enumerate() {
        let learner = store::learner_get_or_create(&mut store, name, 0).expect("learner");
        let opts = StudyOptions {
            filter: Filter {
                decks: vec!["sherr-lisbon-2010".into()],
                tags: Vec::new(),
            },
            limit: Some(12),
            seed: 3 + i as u64,
            ..Default::default()
        };
        Session::start(&mut store, &learner, opts, &clock, cal)
            .expect("start")
            .run(&mut answers(i))
            .expect("study");
        for (file, text) in [("example.toml", example.as_str()), ("final.toml", &long)] {
            let (exam, _, diags) = parse_exam(file, text);
            assert!(diags.is_empty(), "{diags:?}");
            let exam = exam.expect("exam");
            let end = Sitting::new(&mut store, &exam, &learner, &clock)
                .run(&mut answers(i + 1))
                .expect("sit");
            assert!(matches!(end, ExamEnd::Closed(_)), "{end:?}");
        }
    }
    (
        dir,
        db,
        "final-examination-nato-russia-relations-after-lisbon".into(),
    )
}

/// Every string anywhere in a JSON value.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Runs a command and returns its stdout and stderr, after checking it succeeded.
fn run(db: &Path, args: &[&str]) -> (String, String) {
    let out = detente(db).args(args).output().expect("run");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(out.status.success(), "{args:?}: {stderr}");
    (stdout, stderr)
}

/// The words of the texts the command drew from, read from its `--json` output (which must parse).
fn words_of_json(db: &Path, args: &[&str]) -> HashSet<String> {
    let mut with_json = vec!["--json"];
    with_json.extend_from_slice(args);
    let (stdout, _) = run(db, &with_json);
    let value: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?} --json does not parse: {e}\n{stdout}"));
    let mut texts = Vec::new();
    strings(&value, &mut texts);
    texts
        .iter()
        .flat_map(|t| t.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// No line wider than the screen; no word of `words` cut across two lines (the end of one line and the start of
/// the next making up a word), unless marked with an ellipsis.
fn assert_fits(what: &str, text: &str, words: &HashSet<String>) {
    let lines: Vec<&str> = text.lines().collect();
    for l in &lines {
        assert!(
            l.width() <= SCREEN,
            "{what}: a line of {} columns:\n{l}\n\n{text}",
            l.width()
        );
    }
    for pair in lines.windows(2) {
        let (Some(end), Some(start)) = (
            pair[0].split_whitespace().last(),
            pair[1].split_whitespace().next(),
        ) else {
            continue;
        };
        if end.ends_with('…') {
            continue;
        }
        let joined = format!("{end}{start}");
        assert!(
            !words.contains(&joined),
            "{what}: the word {joined} is split across lines:\n{}\n{}\n\n{text}",
            pair[0],
            pair[1]
        );
    }
}

fn check(db: &Path, args: &[&str], words: &HashSet<String>) -> String {
    let (stdout, stderr) = run(db, args);
    let what = args.join(" ");
    println!("$ detente {what}\n{stdout}{stderr}");
    assert_fits(&what, &stdout, words);
    assert_fits(&what, &stderr, words);
    stdout
}

#[test]
fn every_table_fits_80_columns_and_splits_no_word() {
    let (_dir, db, long_exam) = class();
    let mut words = HashSet::new();
    for args in [
        vec!["learner", "list"],
        vec!["exam", "list"],
        vec!["exam", "results", "midterm-nato-russia"],
        vec!["exam", "results", &long_exam],
        vec!["report", "items", "--deck", "sherr-lisbon-2010"],
        vec!["report", "items", "--exam", "midterm-nato-russia"],
        vec!["report", "items", "--exam", &long_exam],
        vec!["stats"],
        vec!["stats", "--class"],
        vec!["stats", "--class", "--by", "theme"],
        vec!["optimize"],
    ] {
        words.extend(words_of_json(&db, &args));
    }
    assert!(words.contains("Konstantinopoulou-Wittgenstein"));

    let learners = check(&db, &["learner", "list"], &words);
    assert!(learners.contains("Maximilia…"), "{learners}");
    assert!(learners.contains("李小龍"), "{learners}");
    assert!(
        learners.contains('…'),
        "long identities are cut: {learners}"
    );

    let exams = check(&db, &["exam", "list"], &words);
    assert!(exams.contains("midterm-nato-russia "), "{exams}");
    // The long title wraps rather than being cut: its last word is there.
    assert!(exams.contains("states"), "{exams}");

    for id in ["midterm-nato-russia", long_exam.as_str()] {
        let results = check(&db, &["exam", "results", id], &words);
        assert_eq!(
            results
                .lines()
                .filter(|l| l.contains("pass") || l.contains("fail"))
                .count(),
            3,
            "{results}"
        );
    }

    let items = check(
        &db,
        &["report", "items", "--deck", "sherr-lisbon-2010"],
        &words,
    );
    assert!(
        items.starts_with("      ITEM") || items.contains("PROMPT"),
        "{items}"
    );
    for id in ["midterm-nato-russia", long_exam.as_str()] {
        let items = check(&db, &["report", "items", "--exam", id], &words);
        assert!(items.contains("FACILITY"), "{items}");
    }

    let stats = check(&db, &["stats"], &words);
    assert!(stats.contains("Progress of Maximiliana"), "{stats}");
    let class = check(&db, &["stats", "--class"], &words);
    assert!(class.contains("MASTERY %"), "{class}");
    check(&db, &["stats", "--class", "--by", "theme"], &words);
    check(&db, &["optimize"], &words);
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let (bash, _) = run(&db, &["completions", "bash"]);
    assert!(
        bash.contains("COMPLETE=\"bash\"") || bash.contains("COMPLETE=bash"),
        "{bash}"
    );
    assert!(bash.contains("complete -o nospace"), "{bash}");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let (script, _) = run(&db, &["completions", shell]);
        assert!(
            script.contains("COMPLETE") && script.contains("detente"),
            "{shell}: {script}"
        );
    }
    let (man, _) = run(&db, &["man"]);
    // clap_mangen opens with the two-line definition of the apostrophe string, then the title.
    let first_macro = man
        .lines()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"))
        .unwrap_or_default();
    assert!(first_macro.starts_with(".TH"), "{man}");
    assert!(man.contains("detente\\-study"), "{man}");
    assert!(!db.exists(), "completions and man do not create a database");

    let pages = dir.path().join("man1");
    let (_, said) = run(&db, &["man", "--dir", pages.to_str().expect("utf-8 path")]);
    assert!(said.contains("man pages"), "{said}");
    let study = std::fs::read_to_string(pages.join("detente-study.1")).expect("study page");
    assert!(study.contains(".TH"), "{study}");
    assert!(study.contains("\\-\\-deck"), "{study}");
    assert!(pages.join("detente-deck-check.1").exists());
}

/// The pieces of an identifier column, joined: every run of non-blank text that starts exactly at the column
/// `heading` starts at (after a blank), line after line. An id broken onto several lines comes back whole.
fn id_column(text: &str, heading: &str) -> String {
    let mut lines = text.lines();
    let head = lines.next().unwrap_or_default();
    let col = head
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading} in {text}"));
    lines
        .filter(|l| col == 0 || l.as_bytes().get(col - 1) == Some(&b' '))
        .filter_map(|l| l.get(col..))
        .filter_map(|rest| rest.split(' ').next())
        .collect()
}

/// Attack: `report items` and `report flags` at 80 columns, with a long learner name and long prompts crowding
/// the id columns: the issue saw "sherr-lisbon-2010/e…" for two different cards. Every item id and every flagged
/// card id must be there whole (broken onto more lines, never cut), and each item's n shown.
#[test]
fn report_items_and_flags_never_cut_an_id() {
    let (_dir, db, long_exam) = class();
    let mut store = Store::open(&db).expect("open");
    let learner = store::learner_get_or_create(&mut store, LONG, 0).expect("learner");
    let cards = store::stat_cards(
        &store.conn,
        &Filter {
            decks: vec!["sherr-lisbon-2010".into()],
            tags: Vec::new(),
        },
    )
    .expect("cards");
    let tx = store.write().expect("tx");
    for c in cards.iter().take(6) {
        store::add_flag(
            &tx,
            learner.id,
            c.id,
            1_700_000_000,
            Some("The date in this question does not match the reading's second paragraph at all"),
        )
        .expect("flag");
    }
    tx.commit().expect("commit");
    drop(store);
    for exam in ["midterm-nato-russia", long_exam.as_str()] {
        let args = ["report", "items", "--exam", exam];
        let (json, _) = run(&db, &["--json", "report", "items", "--exam", exam]);
        let items: serde_json::Value = serde_json::from_str(&json).expect("json");
        let (text, note) = run(&db, &args);
        assert!(text.lines().all(|l| l.width() <= SCREEN), "{text}");
        let column = id_column(&text, "ITEM");
        assert!(!column.contains('…'), "{text}");
        for item in items.as_array().expect("items") {
            let id = item["item"].as_str().expect("id");
            assert!(column.contains(id), "{id} is not whole:\n{text}");
        }
        assert!(
            text.lines().next().unwrap_or_default().contains(" N "),
            "{text}"
        );
        assert!(note.contains("at least 10 answers"), "{note}");
    }
    let (json, _) = run(&db, &["--json", "report", "flags"]);
    let flags: serde_json::Value = serde_json::from_str(&json).expect("json");
    let (text, _) = run(&db, &["report", "flags"]);
    println!("{text}");
    assert!(text.lines().all(|l| l.width() <= SCREEN), "{text}");
    let (decks, cards) = (id_column(&text, "DECK"), id_column(&text, "CARD"));
    assert!(!decks.contains('…') && !cards.contains('…'), "{text}");
    let flags = flags.as_array().expect("flags");
    assert_eq!(flags.len(), 6);
    for f in flags {
        let (deck, card) = (
            f["deck"].as_str().expect("deck"),
            f["card"].as_str().expect("card"),
        );
        assert!(decks.contains(deck), "{deck} is not whole:\n{text}");
        assert!(cards.contains(card), "{card} is not whole:\n{text}");
    }
}

/// What bash's completion asks `detente` for `words` (the last one being completed), as the script
/// `completions bash` registers asks it.
fn completed(db: &Path, words: &[&str]) -> Vec<String> {
    let out = detente(db)
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{words:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Where a value may go, the flags that may too are offered after the values.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|c| !c.starts_with('-'))
        .map(String::from)
        .collect()
}

/// Attack: completion that offered file names for `--deck` and never exam ids or learners. Against a database
/// with a deck of its own, an exam and two learners: `--deck` completes the database's deck ids and the built-in
/// ones (never a file of the folder), an exam id where an exam goes, learner names where a learner goes, and
/// subcommands by prefix; and completing never creates or changes the database.
#[test]
fn completion_offers_the_databases_decks_exams_and_learners() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let out = detente(&db)
        .args(["deck", "import", "tests/data/sample.toml"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let exam = dir.path().join("quiz.toml");
    std::fs::write(
        &exam,
        "id = \"week3-quiz\"\ntitle = \"Week 3\"\ndecks = [\"sample\"]\nquestions = 2\nseed = 1\n",
    )
    .expect("write");
    for args in [
        vec!["exam", "load", exam.to_str().expect("path")],
        vec!["learner", "add", "Ann Smith"],
        vec!["learner", "add", "Bob Lee"],
    ] {
        let out = detente(&db).args(&args).output().expect("run");
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    let before = std::fs::read(&db).expect("db");
    let decks = completed(&db, &["detente", "study", "--deck", ""]);
    assert!(decks.contains(&"sample".to_string()), "{decks:?}");
    assert!(
        decks.contains(&"sherr-lisbon-2010".to_string()),
        "{decks:?}"
    );
    assert!(
        !decks
            .iter()
            .any(|d| d.contains("Cargo") || d.contains("src")),
        "{decks:?}"
    );
    let prefixed = completed(&db, &["detente", "deck", "export", "sh"]);
    assert_eq!(prefixed, ["sherr-lisbon-2010"], "{prefixed:?}");
    let exams = completed(&db, &["detente", "exam", "run", ""]);
    assert_eq!(exams, ["week3-quiz"], "{exams:?}");
    let learners = completed(&db, &["detente", "learner", "set", ""]);
    assert_eq!(learners, ["Ann Smith", "Bob Lee"], "{learners:?}");
    let commands = completed(&db, &["detente", "stu"]);
    assert_eq!(commands, ["study"], "{commands:?}");
    assert_eq!(std::fs::read(&db).expect("db"), before);
}
