//! Hostile strings through every command that prints. A deck, an exam file, a roster, a progress bundle and learner
//! names carry terminal escapes (clear screen, OSC 52 clipboard writes, OSC 8 hyperlinks, BEL, cursor moves, C1
//! controls) and bidirectional overrides; every command that shows them runs with `NO_COLOR`, so detente adds no
//! styling of its own, and the raw bytes of stdout, stderr and the HTML report must hold no ESC, no C1 control and no
//! bidirectional control.

use crate::support::as_teacher;
use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Clear the screen, write the clipboard (OSC 52), a hyperlink (OSC 8), BEL, a cursor move, a C1 CSI, a
/// right-to-left override and an isolate.
const HOSTILE: &str = "H\u{1b}[2J\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}]8;;http://evil.example\u{1b}\\link\u{1b}]8;;\u{1b}\\\u{7}\u{1b}[5A\u{9b}31m\u{202e}evil\u{202c}\u{2066}iso\u{2069}\u{200f}Z";

/// The same, spelt with TOML escapes.
const HOSTILE_TOML: &str = "H\\u001b[2J\\u001b]52;c;cHduZWQ=\\u0007\\u001b]8;;http://evil.example\\u001b\\\\link\\u001b]8;;\\u001b\\\\\\u0007\\u001b[5A\\u009b31m\\u202eevil\\u202c\\u2066iso\\u2069\\u200fZ";

/// Whether a character may reach the screen only from detente itself: ESC, C1 controls, bidirectional controls.
fn raw(c: char) -> bool {
    c == '\u{1b}'
        || ('\u{80}'..='\u{9f}').contains(&c)
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// The raw escapes in some output bytes: ESC and C1 bytes that are not UTF-8, and the characters above.
fn count_raw(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    text.chars().filter(|c| raw(*c)).count() + bytes.iter().filter(|b| **b == 0x07).count()
}

/// Runs the commands and tallies the raw escapes each printed.
struct Tally {
    found: Vec<(String, usize)>,
    runs: usize,
}

impl Tally {
    fn run(&mut self, what: &str, cmd: &mut Command) -> Output {
        let out = cmd.output().expect("run");
        self.runs += 1;
        let n = count_raw(&out.stdout) + count_raw(&out.stderr);
        if n > 0 {
            self.found.push((what.to_string(), n));
        }
        out
    }

    fn file(&mut self, what: &str, path: &Path) {
        let bytes = std::fs::read(path).unwrap_or_default();
        let n = count_raw(&bytes);
        if n > 0 {
            self.found.push((what.to_string(), n));
        }
    }
}

fn deck_file(dir: &Path) -> PathBuf {
    let h = HOSTILE_TOML;
    let text = format!(
        r#"[deck]
id = "hostile"
title = "{h}"
description = "{h}"

[[card]]
id = "one"
kind = "choice"
prompt = "Which one {h}?"
choices = ["{h} first", "second {h}", "third"]
answer = "{h} first"
explain = "{h}"
source = {{ locator = "{h}" }}

[[card]]
id = "two"
kind = "text"
prompt = "Name it {h}?"
answers = ["{h}"]
explain = "Because {h}"
"#
    );
    let path = dir.join("hostile.toml");
    std::fs::write(&path, text).expect("write deck");
    path
}

fn exam_file(dir: &Path) -> PathBuf {
    let text = format!(
        "id = \"hx\"\ntitle = \"{HOSTILE_TOML}\"\ndecks = [\"hostile\"]\nquestions = 2\npaper = \"same\"\nseed = 1\ngrading = \"highest\"\n"
    );
    let path = dir.join("exam.toml");
    std::fs::write(&path, text).expect("write exam");
    path
}

/// A learner named with the hostile string, as an older detente may have stored it, with an attempt and a flag.
fn plant_learner(db: &Path) {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.execute(
        "INSERT INTO learners (name, created_at, email, username, first_name, last_name, student_id)
         VALUES (?1, 0, 'h@x.example', 'hx', ?1, ?1, 'S9')",
        [HOSTILE],
    )
    .expect("learner");
    let learner = conn.last_insert_rowid();
    let card: i64 = conn
        .query_row(
            "SELECT id FROM cards WHERE deck_id = 'hostile' ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("card");
    conn.execute(
        "INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, closed_at, score, max_score)
         VALUES ('hx', ?1, 1, 1, ?2, 1700000000000, 1700000100000, 1, 2)",
        rusqlite::params![learner, format!("[{card}]")],
    )
    .expect("attempt");
    let attempt = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO attempt_answers (attempt_id, position, card_id, response, credit, correct, answered_at, duration_ms)
         VALUES (?1, 0, ?2, ?3, 1, 1, 1700000050000, 100)",
        rusqlite::params![attempt, card, serde_json::json!(HOSTILE).to_string()],
    )
    .expect("answer");
    conn.execute(
        "INSERT INTO flags (learner_id, card_id, flagged_at, note) VALUES (?1, ?2, 1700000000, ?3)",
        rusqlite::params![learner, card, HOSTILE],
    )
    .expect("flag");
}

#[test]
fn hostile_strings_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("h.db");
    let deck = deck_file(dir.path());
    let exam = exam_file(dir.path());
    let mut t = Tally {
        found: Vec::new(),
        runs: 0,
    };

    t.run(
        "deck check",
        as_teacher(&db).args(["deck", "check"]).arg(&deck),
    );
    t.run(
        "deck import --dry-run",
        as_teacher(&db)
            .args(["deck", "import", "--dry-run"])
            .arg(&deck),
    );
    t.run(
        "deck import",
        as_teacher(&db).args(["deck", "import"]).arg(&deck),
    );
    t.run("decks", as_teacher(&db).args(["decks"]));
    t.run("decks --json", as_teacher(&db).args(["--json", "decks"]));
    t.run("due", as_teacher(&db).args(["due"]));
    t.run("stats", as_teacher(&db).args(["stats"]));
    for format in ["toml", "gift", "anki", "quizlet", "json"] {
        t.run(
            &format!("deck export {format}"),
            as_teacher(&db).args(["deck", "export", "hostile", "--format", format]),
        );
    }
    t.run(
        "exam load",
        as_teacher(&db).args(["exam", "load"]).arg(&exam),
    );
    plant_learner(&db);
    t.run("exam list", as_teacher(&db).args(["exam", "list"]));
    t.run(
        "exam results",
        as_teacher(&db).args(["exam", "results", "hx"]),
    );
    t.run(
        "learner add",
        as_teacher(&db).args(["learner", "add", HOSTILE]),
    );
    t.run("learner list", as_teacher(&db).args(["learner", "list"]));
    t.run(
        "learner list --json",
        as_teacher(&db).args(["--json", "learner", "list"]),
    );
    let roster = dir.path().join("roster.csv");
    std::fs::write(
        &roster,
        format!("Username,E-mail,First Name,Last name,Student ID\nzed,z@x.example,{HOSTILE},{HOSTILE},S7\n"),
    )
    .expect("roster");
    t.run(
        "learner import",
        as_teacher(&db).args(["learner", "import"]).arg(&roster),
    );
    for format in ["native", "moodle", "canvas", "blackboard"] {
        t.run(
            &format!("grades export {format}"),
            as_teacher(&db).args(["grades", "export", "--format", format]),
        );
    }
    t.run("report items", as_teacher(&db).args(["report", "items"]));
    t.run("report flags", as_teacher(&db).args(["report", "flags"]));
    t.run("stats --class", as_teacher(&db).args(["stats", "--class"]));
    t.run(
        "stats as the learner",
        as_teacher(&db).args(["--learner", HOSTILE, "stats"]),
    );
    let html = dir.path().join("class.html");
    t.run(
        "report --html --class",
        as_teacher(&db)
            .args(["report", "--class", "--html"])
            .arg(&html),
    );
    t.file("report --html --class (file)", &html);
    let html = dir.path().join("me.html");
    t.run(
        "report --html",
        as_teacher(&db)
            .args(["--learner", HOSTILE, "report", "--html"])
            .arg(&html),
    );
    t.file("report --html (file)", &html);

    // A bundle naming the hostile learner, imported into another database.
    let bundle = dir.path().join("bundle.json");
    t.run(
        "progress export",
        as_teacher(&db)
            .args(["--learner", HOSTILE, "progress", "export", "-o"])
            .arg(&bundle),
    );
    let other = dir.path().join("other.db");
    t.run(
        "deck import (other)",
        as_teacher(&other).args(["deck", "import"]).arg(&deck),
    );
    t.run(
        "progress import",
        as_teacher(&other)
            .args(["progress", "import", "--accept-unenrolled"])
            .arg(&bundle),
    );
    t.run(
        "learner list (other)",
        as_teacher(&other).args(["learner", "list"]),
    );

    let total: usize = t.found.iter().map(|(_, n)| n).sum();
    eprintln!(
        "hostile strings: {} commands run, {total} raw escapes found: {:?}",
        t.runs, t.found
    );
    assert_eq!(total, 0, "raw escapes reached the output: {:?}", t.found);
}
