//! `detente exam run` in a real pseudo-terminal of 80x24, everything it draws rendered through a terminal emulator
//! (`vt100`) and read back as the screen a student sees: the clock in the header ticks while the student reads and
//! types, the deadline closes the attempt on a clear screen by itself, free navigation goes back to an answered
//! question and changes it, and the result stays on screen until a key is pressed. Results are read back through
//! `exam results --json` and the database, never from the raw terminal stream. No test asserts on a duration: a
//! tick is checked as a change of the header.

use crate::support::{detente, pty, run};
use detente::store::Store;
use rexpect::process::WaitStatus;
use rexpect::session::PtySession;
use std::path::Path;
use std::time::{Duration, Instant};

const COLS: u16 = 80;
const ROWS: u16 = 24;
const ESC: &str = "\x1b";
const HOME: &str = "\x1b[H";
const END: &str = "\x1b[F";
const UP: &str = "\x1b[A";
const BACKSPACE: &str = "\x7f";

/// Two typed questions: Rogozin, and a blank of the equality cloze.
fn exam(extra: &str) -> String {
    format!(
        "id = \"pty-quiz\"\ntitle = \"Terminal quiz\"\ndecks = [\"sample\"]\n\
         tags = [\"actor:rogozin\", \"concept:equality\"]\nquestions = 2\nseed = 5\ntime_limit = 5\n{extra}"
    )
}

/// A database with the sample deck, the exam loaded and the learner ann.
fn setup(extra: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let out = run(detente(&db), &["deck", "import", "tests/data/sample.toml"]);
    assert!(out.status.success(), "{out:?}");
    let file = dir.path().join("quiz.toml");
    std::fs::write(&file, exam(extra)).expect("write");
    let out = run(
        detente(&db),
        &["exam", "load", file.to_str().expect("path")],
    );
    assert!(out.status.success(), "{out:?}");
    let out = run(detente(&db), &["learner", "add", "ann"]);
    assert!(out.status.success(), "{out:?}");
    (dir, db)
}

/// `exam run pty-quiz` as ann on an emulated 80x24 screen.
struct Sitting {
    p: PtySession,
    vt: vt100::Parser,
}

impl Sitting {
    fn start(db: &Path) -> Sitting {
        Sitting {
            p: pty::spawn(db, "ann", (COLS, ROWS), &["exam", "run", "pty-quiz"]),
            vt: vt100::Parser::new(
                std::num::NonZeroU16::new(ROWS).expect("rows"),
                std::num::NonZeroU16::new(COLS).expect("cols"),
                0,
            ),
        }
    }

    /// Renders what has been drawn so far.
    fn pump(&mut self) {
        let mut bytes = Vec::new();
        while let Some(c) = self.p.try_read() {
            bytes.push(c as u8);
        }
        self.vt.process(&bytes);
    }

    fn rows(&self) -> Vec<String> {
        self.vt.screen().rows(0, COLS).collect()
    }

    fn text(&self) -> String {
        self.vt.screen().contents()
    }

    /// Waits (up to 20 s) until the screen satisfies `want`.
    fn until(&mut self, what: &str, want: impl Fn(&Sitting) -> bool) {
        let start = Instant::now();
        loop {
            self.pump();
            if want(self) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "waiting for {what}; the screen:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn wait(&mut self, text: &str) {
        self.until(text, |s| s.text().contains(text));
    }

    fn key(&mut self, keys: &str) {
        pty::key(&mut self.p, keys);
    }

    /// Nothing on screen was wrapped by the terminal: every row fits the 80 columns.
    fn fits(&self) {
        for r in 0..ROWS {
            assert!(
                !self.vt.screen().row_wrapped(r),
                "row {r} was wrapped by the terminal:\n{}",
                self.text()
            );
        }
    }

    /// The answer the question on screen wants.
    fn answer(&self) -> &'static str {
        let text = self.text();
        if text.contains("Ambassador") {
            "Rogozin"
        } else if text.contains("seeks [...]") {
            "equality"
        } else {
            "action"
        }
    }

    fn exit_code(mut self) -> i32 {
        self.p.exp_eof().expect("eof");
        match self.p.process().wait().expect("wait") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("not a normal exit: {other:?}"),
        }
    }
}

fn results(db: &Path) -> serde_json::Value {
    let out = run(detente(db), &["exam", "results", "pty-quiz", "--json"]);
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Attack: a clock drawn once (the old prompt) fails the tick check, a score drawn into scrollback fails the
/// result check, and a program that leaves on its own fails "stays until a key". The header must change on its
/// own while the student types, the answers must be taken, every row must fit 80 columns, and the result must
/// wait for a key, then exit 0 with the grade stored.
#[test]
fn the_clock_ticks_while_typing_and_the_result_stays_until_a_key() {
    let (_dir, db) = setup("");
    let mut s = Sitting::start(&db);
    s.wait("Question 1 of 2");
    s.wait("left");
    let header = s.rows()[0].clone();
    assert!(header.starts_with("Terminal quiz"), "{header}");
    assert!(header.trim_end().ends_with(" left"), "{header}");
    s.key("Rog");
    // The header changes while the prompt waits: the clock ticks.
    s.until("the clock to tick", |s| s.rows()[0] != header);
    s.fits();
    let answer = s.answer();
    s.key(&format!("{BACKSPACE}{BACKSPACE}{BACKSPACE}{answer}\r"));
    s.wait("Question 2 of 2");
    let answer = s.answer();
    s.key(&format!("{answer}\r"));
    s.wait("Score: 2 / 2 (100%): PASS");
    s.fits();
    // The result is on a clean screen: its title on the first row, nothing of the questions above it.
    assert!(
        s.rows()[0].starts_with("Terminal quiz: result"),
        "{}",
        s.text()
    );
    assert!(!s.text().contains("Your answer:"), "{}", s.text());
    // It stays: the program is still waiting a while later, the result still on screen.
    std::thread::sleep(Duration::from_millis(1200));
    s.pump();
    assert!(s.text().contains("Score: 2 / 2"), "{}", s.text());
    assert!(
        s.p.process()
            .status()
            .is_some_and(|st| st == WaitStatus::StillAlive)
    );
    s.key("q");
    assert_eq!(s.exit_code(), 0);
    let v = results(&db);
    assert_eq!(v["learners"][0]["grade"], 100.0);
    assert_eq!(v["learners"][0]["passed"], true);
}

/// Attack: the deadline must close the attempt by itself while the student is still typing (no Enter), on a clear
/// screen that says time ran out, with the answer being typed not counted. The attempt is started, paused, and its
/// deadline moved to a couple of seconds ahead in the database, so the test need not wait minutes.
#[test]
fn the_deadline_closes_the_attempt_with_the_answer_being_typed_not_counted() {
    let (_dir, db) = setup("");
    let mut s = Sitting::start(&db);
    s.wait("Question 1 of 2");
    s.key(ESC);
    assert_eq!(s.exit_code(), 0);
    {
        let store = Store::open(&db).expect("open");
        let now = chrono::Utc::now().timestamp_millis();
        let changed = store
            .conn
            .execute(
                "UPDATE attempts SET started_at = ?1 - 300000 + 2500, deadline = ?1 + 2500",
                [now],
            )
            .expect("move the deadline");
        assert_eq!(changed, 1);
    }
    let mut s = Sitting::start(&db);
    s.wait("Question 1 of 2");
    // Under a minute left: the warning is on screen.
    s.wait("1 minute or less left");
    let answer = s.answer();
    s.key(answer);
    s.wait("Time ran out");
    s.wait("Score: 0 / 2 (0%): FAIL");
    s.fits();
    assert!(
        s.rows()[0].starts_with("Terminal quiz: result"),
        "{}",
        s.text()
    );
    assert!(s.text().contains("(no answer)"), "{}", s.text());
    s.key("\r");
    assert_eq!(s.exit_code(), 0);
    let v = results(&db);
    assert_eq!(v["learners"][0]["attempts"][0]["open"], false);
    assert_eq!(v["learners"][0]["grade"], 0.0);
    let store = Store::open(&db).expect("open");
    let answers: i64 = store
        .conn
        .query_row("SELECT count(*) FROM attempt_answers", [], |r| r.get(0))
        .expect("count");
    assert_eq!(
        answers, 0,
        "the answer being typed at the deadline is not stored"
    );
}

/// Attack: with `navigation = "free"` the summary page must come after the last question and list both as
/// answered, opening an answered question must show its saved answer, a changed answer must replace it (the grade
/// goes from 50 to 100), and submitting must ask for confirmation first.
#[test]
fn free_navigation_end_to_end_changes_an_answer_from_the_summary_page() {
    let (_dir, db) = setup("navigation = \"free\"\n");
    let mut s = Sitting::start(&db);
    s.wait("Question 1 of 2");
    let first = s.answer();
    // Question 1 wrong, question 2 right.
    s.key("Lavrov\r");
    s.wait("Question 2 of 2");
    let answer = s.answer();
    s.key(&format!("{answer}\r"));
    s.wait("Summary of attempt: 2 of 2 answered");
    assert!(s.text().contains("Answer: Lavrov"), "{}", s.text());
    s.fits();
    // To question 1: it shows the saved answer, in the editor too.
    s.key(HOME);
    s.key("\r");
    s.wait("Your saved answer: Lavrov");
    s.wait("> Lavrov");
    s.key(&format!("{END}{}{first}\r", BACKSPACE.repeat(6)));
    s.wait("Summary of attempt: 2 of 2 answered");
    s.wait(&format!("Answer: {first}"));
    // Submit: the cursor is on "Submit all and finish"; a confirmation comes first.
    s.key(END);
    s.key("\r");
    s.wait("Every question is answered");
    s.key(&format!("{UP}y\r"));
    s.wait("Score: 2 / 2 (100%): PASS");
    s.key("\r");
    assert_eq!(s.exit_code(), 0);
    assert_eq!(results(&db)["learners"][0]["grade"], 100.0);
}

/// Attack: Ctrl-C in raw mode is a key, not a signal; it must still end with exit 130, the attempt left open with
/// the answer already given, and the terminal given back (the main screen, the cursor shown). Esc then `exam run`
/// again resumes at the question after it.
#[test]
fn ctrl_c_exits_130_and_gives_the_terminal_back() {
    let (_dir, db) = setup("");
    let mut s = Sitting::start(&db);
    s.wait("Question 1 of 2");
    assert!(s.vt.screen().alternate_screen());
    let answer = s.answer();
    s.key(&format!("{answer}\r"));
    s.wait("Question 2 of 2");
    s.key("\x03");
    let rest = s.p.exp_eof().expect("eof");
    s.vt.process(&rest.chars().map(|c| c as u8).collect::<Vec<u8>>());
    let code = match s.p.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("not a normal exit: {other:?}"),
    };
    assert_eq!(code, 130);
    assert!(!s.vt.screen().alternate_screen(), "{}", s.text());
    assert!(!s.vt.screen().hide_cursor());
    assert_eq!(results(&db)["learners"][0]["attempts"][0]["open"], true);
    let mut s = Sitting::start(&db);
    s.wait("Question 2 of 2");
    s.wait("Resuming attempt 1: 1 of 2 questions answered.");
    s.key(ESC);
    s.wait("to go on");
    assert_eq!(s.exit_code(), 0);
}
