//! The binary without a terminal: exit codes, errors with FILE:LINE:COL, JSON output parsed back, databases left
//! untouched by bad input, and the built-in decks' quality bars.

use crate::support::detente;
use predicates::prelude::*;

#[test]
fn study_without_a_terminal_exits_2() {
    let dir = tempfile::tempdir().expect("tmp");
    detente(&dir.path().join("d.db"))
        .arg("study")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("interactive terminal"));
}

#[test]
fn broken_deck_reports_every_error_with_location_and_leaves_the_database_unchanged() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    detente(&db)
        .args(["deck", "import", "tests/data/sample.toml"])
        .assert()
        .success();
    let before = std::fs::read(&db).expect("db");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[deck]\nid = \"bad\"\ntitle = \"Bad\"\n\n[[card]]\nid = \"a\"\nkind = \"choice\"\nprompt = \"Q\"\nchoices = [\"Tallinn\", \"Vilnius\"]\nanswer = \"Riga\"\n\n[[card]]\nid = \"b\"\nkind = \"number\"\nprompt = \"Q\"\nanswer = \"soon\"\n",
    )
    .expect("write");
    let name = bad.display().to_string();
    detente(&db)
        .args(["deck", "import"])
        .arg(&bad)
        .assert()
        .code(65)
        .stderr(predicate::str::contains(format!(
            "{name}:10:10: error: answer \"Riga\" is not one of the choices"
        )))
        .stderr(predicate::str::contains(format!(
            "{name}:16:10: error: answer \"soon\" is not a number"
        )));
    assert_eq!(std::fs::read(&db).expect("db"), before);
    detente(&db)
        .args(["deck", "check"])
        .arg(&bad)
        .assert()
        .code(65);
}

#[test]
fn import_is_idempotent_keeps_progress_and_retires() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let deck = dir.path().join("deck.toml");
    let text = std::fs::read_to_string("tests/data/sample.toml").expect("sample");
    std::fs::write(&deck, &text).expect("write");
    detente(&db)
        .args(["deck", "import"])
        .arg(&deck)
        .assert()
        .success()
        .stdout(predicate::str::contains("11 added"));
    detente(&db)
        .args(["deck", "import"])
        .arg(&deck)
        .assert()
        .success()
        .stdout(predicate::str::contains("sample: 11 unchanged"));
    let edited = text
        .replace(
            "In which year did Russia's war",
            "In what year did Russia's war",
        )
        .replace("answer = 2008", "answer = 2008\ntolerance = 0");
    let edited = edited
        .split("[[card]]\nid = \"realpolitik\"")
        .next()
        .expect("split")
        .to_string();
    std::fs::write(&deck, edited).expect("write");
    detente(&db)
        .args(["deck", "import"])
        .arg(&deck)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1 changed, 2 retired, 8 unchanged",
        ));
    let out = detente(&db)
        .args(["decks", "--json"])
        .output()
        .expect("run");
    let decks: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let sample = decks
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["id"] == "sample")
        .expect("sample");
    assert_eq!(sample["cards"], 9);
    assert_eq!(sample["retired_cards"], 2);
}

#[test]
fn due_json_lists_builtin_decks_with_new_cards() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = detente(&dir.path().join("d.db"))
        .args(["due", "--json"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let due: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(due["learner"], "ann");
    assert_eq!(due["new_today"], 20);
    let decks = due["decks"].as_array().expect("decks");
    assert_eq!(decks.len(), 5);
    for d in decks {
        let (available, waiting) = (
            d["new_available"].as_u64().expect("n"),
            d["new_waiting"].as_u64().expect("n"),
        );
        if d["deck"] == "course-nato-russia" {
            // Every course card crosses readings: none comes before the learner has seen the readings.
            assert_eq!(available, 0);
            assert!(waiting >= 25, "{d}");
        } else {
            assert!(available >= 30 && waiting == 0, "{d}");
        }
    }
}

#[test]
fn a_newer_database_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    {
        let c = rusqlite::Connection::open(&db).expect("open");
        c.execute_batch(&format!(
            "PRAGMA user_version = {};",
            detente::store::SCHEMA_VERSION + 1
        ))
        .expect("set");
    }
    let before = std::fs::read(&db).expect("db");
    detente(&db)
        .arg("decks")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("newer detente"));
    assert_eq!(std::fs::read(&db).expect("db"), before);
}

#[test]
fn learners_are_added_listed_and_configured() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    detente(&db)
        .args(["learner", "add", "bob", "--new-per-day", "5"])
        .assert()
        .success();
    detente(&db)
        .args(["learner", "add", "bob"])
        .assert()
        .code(2);
    detente(&db)
        .args(["learner", "set", "bob", "--retention", "0.5"])
        .assert()
        .code(2);
    detente(&db)
        .args(["learner", "set", "bob", "--retention", "0.85"])
        .assert()
        .success();
    let out = detente(&db)
        .args(["learner", "list", "--json"])
        .output()
        .expect("run");
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(list[0]["name"], "bob");
    assert_eq!(list[0]["new_per_day"], 5);
    assert!((list[0]["desired_retention"].as_f64().expect("r") - 0.85).abs() < 1e-6);
}

#[test]
fn builtin_decks_pass_check_without_warnings() {
    let dir = tempfile::tempdir().expect("tmp");
    for b in detente::deck::builtin::DECKS {
        detente(&dir.path().join("d.db"))
            .args(["deck", "check", b.file])
            .assert()
            .success()
            .stderr(predicate::str::contains("no errors, 0 warning(s)"));
    }
}

/// The words of a shell command line: single quotes group, a redirection ends it.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            '>' if !quoted => break,
            c if c.is_whitespace() && !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(word);
    }
    words
}

/// Attack: the man pages must carry EXAMPLES that work and an ENVIRONMENT section. Every page has ENVIRONMENT
/// naming DETENTE_DB and NO_COLOR; `detente.1` and `detente-study.1` have EXAMPLES; and every example on every page
/// parses as a detente command line (a renamed flag or command breaks this test), on the page of the command it
/// runs.
#[test]
fn man_pages_have_examples_that_parse_and_an_environment_section() {
    use clap::Parser;
    let pages = detente::cli::man_pages().expect("pages");
    let mut examples = 0;
    for (name, roff) in &pages {
        let text = String::from_utf8(roff.clone()).expect("utf-8");
        assert!(text.contains(".SH ENVIRONMENT"), "{name}");
        assert!(
            text.contains("DETENTE_DB") && text.contains("NO_COLOR"),
            "{name}"
        );
        let Some(section) = text.split(".SH EXAMPLES\n").nth(1) else {
            continue;
        };
        let section = section.split("\n.SH ").next().unwrap_or_default();
        for line in section.lines().filter(|l| l.starts_with("\\fB")) {
            let command = line
                .trim_start_matches("\\fB")
                .trim_end_matches("\\fR")
                .replace("\\-", "-")
                .replace("\\e", "\\");
            let words = shell_words(&command);
            let page = name.trim_end_matches(".1");
            assert!(
                words.join("-").starts_with(page) || page == "detente",
                "{name}: {command}"
            );
            if let Err(e) = detente::cli::Cli::try_parse_from(&words) {
                panic!("{name}: {command}: {e}");
            }
            examples += 1;
        }
    }
    assert!(examples >= 30, "{examples}");
    for page in ["detente.1", "detente-study.1"] {
        let (_, roff) = pages.iter().find(|(n, _)| n == page).expect(page);
        assert!(
            String::from_utf8_lossy(roff).contains(".SH EXAMPLES"),
            "{page}"
        );
    }
}
