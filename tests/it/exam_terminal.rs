//! `detente exam run` in a real pseudo-terminal, driven with `rexpect`: the countdown in each question's header,
//! no feedback until the end, the final score, and the result read back through `exam results --json`.

use crate::support::pty::{self, expect, key, line_with};
use crate::support::{detente, run};
use rexpect::process::WaitStatus;

const EXAM: &str = r#"
id = "pty-quiz"
title = "Terminal quiz"
decks = ["sample"]
tags = ["actor:rogozin", "concept:equality"]
questions = 2
seed = 5
time_limit = 5
"#;

#[test]
fn an_exam_in_a_terminal_shows_the_time_left_and_the_score_at_the_end() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let out = run(detente(&db), &["deck", "import", "tests/data/sample.toml"]);
    assert!(out.status.success(), "{out:?}");
    let file = dir.path().join("quiz.toml");
    std::fs::write(&file, EXAM).expect("write");
    let out = run(
        detente(&db),
        &["exam", "load", file.to_str().expect("path")],
    );
    assert!(out.status.success(), "{out:?}");
    // `exam run` never creates the learner it is told to sit the exam as.
    let out = run(detente(&db), &["learner", "add", "ann"]);
    assert!(out.status.success(), "{out:?}");

    let mut p = pty::spawn(&db, "ann", (100, 40), &["exam", "run", "pty-quiz"]);
    for n in 1..=2 {
        let header = line_with(&mut p, "a question header", |l| {
            l.contains(&format!("question {n} of 2"))
        });
        assert!(
            header.contains(":5") || header.contains("4:5") || header.contains("5:00 left"),
            "{header}"
        );
        assert!(header.contains(" left \u{b7} "), "{header}");
        let prompt = line_with(&mut p, "the prompt", |l| !l.trim().is_empty());
        let answer = if prompt.contains("Ambassador") {
            "Rogozin"
        } else if prompt.contains("seeks [...]") {
            "equality"
        } else {
            "action"
        };
        expect(&mut p, "to end the session");
        key(&mut p, answer);
        key(&mut p, "\r");
        line_with(&mut p, "the answer", |l| {
            l.contains(&format!("Your answer: {answer}"))
        });
    }
    expect(&mut p, "Score: 2 / 2 (100%): PASS");
    expect(&mut p, "\u{2713}");
    p.exp_eof().expect("eof");
    match p.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => assert_eq!(code, 0),
        other => panic!("not a normal exit: {other:?}"),
    }
    let out = run(detente(&db), &["exam", "results", "pty-quiz", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["learners"][0]["learner"], "ann");
    assert_eq!(v["learners"][0]["grade"], 100.0);
    assert_eq!(v["learners"][0]["passed"], true);
}
