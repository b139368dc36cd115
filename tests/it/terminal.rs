//! The built binary in a real pseudo-terminal (`study --plain`, the transcript of line prompts), driven with
//! `rexpect` as a student would drive it: a session that
//! answers one card of every kind, Esc, Ctrl-C (exit 130), a SIGKILL mid-session followed by a look at the database,
//! and two sessions on one database at once.

use crate::support::pty::{self, expect, key, line_with, plain};
use crate::support::sample_db;
use rexpect::process::{Signal, WaitStatus};
use rexpect::session::PtySession;
use std::path::Path;

const DOWN: &str = "\x1b[B";
const UP: &str = "\x1b[A";
const ESC: &str = "\x1b";

/// `detente study` on the sample deck in a 100x40 terminal.
fn study(db: &Path, learner: &str, extra: &[&str]) -> PtySession {
    let mut args = vec!["study", "--plain", "--deck", "sample", "--seed", "7"];
    args.extend_from_slice(extra);
    pty::spawn(db, learner, (100, 40), &args)
}

/// The options of the list prompt on screen: waits for its help line, then reads the option lines of the last
/// rendering (`> X` for the cursor, `  X` for the rest; `[ ] ` boxes removed), and where the cursor is.
fn options(p: &mut PtySession) -> (Vec<String>, usize) {
    let raw = p.exp_string("to end the session]").expect("a list prompt");
    let text = plain(&raw);
    let last = text.rfind("? ").map_or(text.as_str(), |i| &text[i..]);
    let lines: Vec<&str> = last
        .lines()
        .filter(|l| l.starts_with("> ") || l.starts_with("  "))
        .collect();
    let cursor = lines.iter().position(|l| l.starts_with("> ")).unwrap_or(0);
    let options = lines
        .iter()
        .map(|l| {
            let l = &l[2..];
            l.strip_prefix("[ ] ")
                .or_else(|| l.strip_prefix("[x] "))
                .unwrap_or(l)
                .to_string()
        })
        .collect();
    (options, cursor)
}

/// Moves the cursor of the list prompt `message` to `wanted`, picks it, and waits until the answer is shown.
fn pick(p: &mut PtySession, message: &str, wanted: &str) {
    let (opts, cursor) = options(p);
    let at = opts
        .iter()
        .position(|o| o == wanted)
        .unwrap_or_else(|| panic!("{wanted:?} is not among {opts:?}"));
    if at >= cursor {
        key(p, &DOWN.repeat(at - cursor));
    } else {
        key(p, &UP.repeat(cursor - at));
    }
    key(p, "\r");
    let answered = format!("? {message} {wanted}");
    line_with(p, &answered, |l| l.contains(&answered));
}

/// Waits for the feedback of an answer and goes on to the next card.
fn next(p: &mut PtySession, verdict: &str) {
    expect(p, verdict);
    pick(p, "Next?", "Next card");
}

/// Types an answer at a text prompt and waits until it is shown.
fn type_line(p: &mut PtySession, text: &str) {
    p.exp_string("Your answer:").expect("text prompt");
    p.exp_string("to end the session").expect("help");
    key(p, text);
    key(p, "\r");
    let answered = format!("? Your answer: {text}");
    line_with(p, &answered, |l| l.contains(&answered));
}

fn exit_code(p: &PtySession) -> i32 {
    match p.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("not a normal exit: {other:?}"),
    }
}

/// Reviews of a learner as (card key, rule, correct), in order.
fn reviews(db: &Path, learner: &str) -> Vec<(String, String, bool)> {
    let c = rusqlite::Connection::open(db).expect("open");
    let mut s = c
        .prepare(
            "SELECT c.card_key, r.rule, r.correct FROM reviews r JOIN cards c ON c.id = r.card_id
             JOIN learners l ON l.id = r.learner_id WHERE l.name = ? ORDER BY r.id",
        )
        .expect("prepare");
    s.query_map([learner], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows")
}

fn states(db: &Path) -> i64 {
    let c = rusqlite::Connection::open(db).expect("open");
    c.query_row("SELECT count(*) FROM card_states", [], |r| r.get(0))
        .expect("count")
}

/// The first three cards of the sample deck, answered right and acknowledged.
fn answer_first_three(p: &mut PtySession) {
    p.exp_string("0 done ").expect("first card");
    pick(p, "Your answer:", "Refresh them, without transforming them");
    next(p, "\u{2713} Right");
    p.exp_string("1 done ").expect("second card");
    let (opts, _) = options(p);
    for o in &opts {
        if [
            "NATO's failure in Afghanistan",
            "Iran's nuclear ambitions",
            "The globalisation of piracy",
        ]
        .contains(&o.as_str())
        {
            key(p, " ");
        }
        key(p, DOWN);
    }
    key(p, "\r");
    line_with(p, "the ticked answers", |l| {
        l.contains("? Tick every right answer: ") && l.contains("Iran")
    });
    next(p, "\u{2713} Right");
    p.exp_string("2 done ").expect("third card");
    p.exp_string("True or false?").expect("judge");
    p.exp_string("to end the session").expect("help");
    key(p, "f\r");
    line_with(p, "the judgement", |l| l.contains("? True or false? False"));
    next(p, "\u{2713} Right");
}

#[test]
fn a_session_answers_one_card_of_every_kind() {
    let (_dir, db) = sample_db();
    let mut p = study(&db, "ann", &[]);
    answer_first_three(&mut p);

    p.exp_string("3 done ").expect("text card");
    type_line(&mut p, "Rogozim");
    expect(&mut p, "\u{2713} Right");
    p.exp_string("You typed Rogozim; the answer is Rogozin")
        .expect("diff");
    next(&mut p, "Next review");

    p.exp_string("4 done ").expect("cloze card");
    p.exp_string("Russia seeks [...]").expect("blank");
    type_line(&mut p, "Equality");
    next(&mut p, "\u{2713} Right");

    p.exp_string("5 done ").expect("order card");
    for item in [
        "The events of 9/11 take NATO onto the global arena",
        "Russia's war with Georgia",
        "The Obama administration unveils a phased missile defence programme",
    ] {
        let message = line_with(&mut p, "an order prompt", |l| {
            l.starts_with("? ") && l.contains(" of 4:")
        });
        let message = message[2..]
            .split(':')
            .next()
            .expect("position")
            .to_string()
            + ":";
        pick(&mut p, &message, item);
    }
    next(&mut p, "\u{2713} Right");

    p.exp_string("6 done ").expect("match card");
    let pairs = [
        (
            "China's 'peaceful rise'",
            "Russia has no strategy for managing it",
        ),
        ("The north Caucasus", "It is disintegrating"),
        (
            "Recovery from the financial crisis",
            "It is turning into stagnation",
        ),
        ("'Modernisation'", "It remains only a slogan"),
    ];
    for _ in 0..pairs.len() - 1 {
        let prompt = line_with(&mut p, "a left item", |l| {
            l.starts_with("? ") && l.trim_end().ends_with('\u{2192}')
        });
        let left = prompt[2..]
            .trim_end()
            .trim_end_matches('\u{2192}')
            .trim_end()
            .to_string();
        let right = pairs
            .iter()
            .find(|(l, _)| *l == left)
            .unwrap_or_else(|| panic!("unknown left item {left:?}"))
            .1;
        pick(&mut p, &format!("{left} \u{2192}"), right);
    }
    next(&mut p, "\u{2713} Right");

    p.exp_string("7 done ").expect("number card");
    type_line(&mut p, "2008");
    next(&mut p, "\u{2713} Right");

    p.exp_string("8 done ").expect("flashcard");
    pick(&mut p, "Recall the answer, then:", "Show the answer");
    p.exp_string("From hard power back to soft power")
        .expect("the back");
    pick(&mut p, "How well did you recall it?", "Good: I recalled it");
    next(&mut p, "Next review");

    // Nothing else is due for ten minutes but the learning cards: end the session at the next prompt.
    p.exp_string("9 done ").expect("a learning card comes back");
    p.exp_string("to end the session").expect("prompt");
    key(&mut p, ESC);
    p.exp_string("Session over: 9 cards done, 9 right")
        .expect("summary");
    p.exp_eof().expect("eof");
    assert_eq!(exit_code(&p), 0);

    let log = reviews(&db, "ann");
    let keys: Vec<&str> = log.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "nrc-refresh",
            "common-threats",
            "enlargement-off-table",
            "rogozin-envoy",
            "russia-seeks-equality",
            "sequence",
            "russia-problems",
            "georgia-war-year",
            "realpolitik"
        ]
    );
    assert!(log.iter().all(|(_, _, correct)| *correct));
    let rules: Vec<&str> = log.iter().map(|(_, r, _)| r.as_str()).collect();
    assert_eq!(
        rules,
        [
            "exact", "exact", "exact", "typo", "exact", "exact", "exact", "exact", "self"
        ]
    );
    assert_eq!(states(&db), 9);
}

#[test]
fn esc_at_the_first_prompt_ends_the_session_with_a_summary_and_writes_no_answer() {
    let (_dir, db) = sample_db();
    let mut p = study(&db, "ann", &[]);
    p.exp_string("0 done ").expect("first card");
    options(&mut p);
    key(&mut p, ESC);
    p.exp_string("Session over: 0 cards done").expect("summary");
    p.exp_eof().expect("eof");
    assert_eq!(exit_code(&p), 0);
    assert!(reviews(&db, "ann").is_empty());
    assert_eq!(states(&db), 0);
}

#[test]
fn ctrl_c_exits_130_and_keeps_the_answers_given() {
    let (_dir, db) = sample_db();
    let mut p = study(&db, "ann", &[]);
    p.exp_string("0 done ").expect("first card");
    pick(&mut p, "Your answer:", "Transform them into an alliance");
    next(&mut p, "\u{2717} Wrong");
    p.exp_string("1 done ").expect("second card");
    options(&mut p);
    p.send_control('c').expect("ctrl-c");
    p.exp_eof().expect("eof");
    assert_eq!(exit_code(&p), 130);
    let log = reviews(&db, "ann");
    assert_eq!(
        log,
        [("nrc-refresh".to_string(), "wrong".to_string(), false)]
    );
}

#[test]
fn sigkill_mid_session_loses_no_acknowledged_answer() {
    let (_dir, db) = sample_db();
    let mut p = study(&db, "ann", &[]);
    answer_first_three(&mut p);
    // The fourth card is on screen: three answers have been acknowledged.
    p.exp_string("3 done ").expect("fourth card");
    p.exp_string("Your answer:").expect("prompt");
    key(&mut p, "Rogo");
    p.process_mut().signal(Signal::SIGKILL).expect("kill");
    assert!(matches!(
        p.process().wait().expect("wait"),
        WaitStatus::Signaled(_, Signal::SIGKILL, _)
    ));
    let log = reviews(&db, "ann");
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log.iter().all(|(_, _, c)| *c));
    assert_eq!(states(&db), 3);
    let c = rusqlite::Connection::open(&db).expect("open");
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(ok, "ok");
}

#[test]
fn two_sessions_on_one_database_at_once_both_commit() {
    let (_dir, db) = sample_db();
    let mut ann = study(&db, "ann", &[]);
    let mut bob = study(&db, "bob", &[]);
    ann.exp_string("0 done ").expect("ann starts");
    bob.exp_string("0 done ").expect("bob starts");
    // Interleaved: each answer commits while the other session holds the database open.
    pick(
        &mut ann,
        "Your answer:",
        "Refresh them, without transforming them",
    );
    pick(&mut bob, "Your answer:", "Transform them into an alliance");
    next(&mut ann, "\u{2713} Right");
    next(&mut bob, "\u{2717} Wrong");
    ann.exp_string("1 done ").expect("ann goes on");
    bob.exp_string("1 done ").expect("bob goes on");
    for p in [&mut ann, &mut bob] {
        options(p);
        key(p, ESC);
        p.exp_string("Session over: 1 card done").expect("summary");
        p.exp_eof().expect("eof");
        assert_eq!(exit_code(p), 0);
    }
    assert_eq!(reviews(&db, "ann").len(), 1);
    assert_eq!(reviews(&db, "bob").len(), 1);
    assert!(!reviews(&db, "bob")[0].2);
}
