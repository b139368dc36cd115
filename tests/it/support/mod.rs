//! What the integration tests share: the binary run in one environment ([`detente`]); the learner's side of a
//! session scripted ([`Scripted`]), on a clock the test moves ([`TestClock`]); the sample deck in a database
//! ([`sample_store`]); and pseudo-terminal helpers ([`pty`]).

pub mod browser;
#[cfg(feature = "server")]
pub mod pg;
#[cfg(feature = "server")]
pub mod pg_served;
pub mod pty;

use assert_cmd::Command;
use detente::deck::{Deck, parse_deck};
use detente::schedule::Rating;
use detente::session::exam::{Countdown, ExamSummary, countdown};
use detente::session::{Action, Clock, Feedback, Go, Overview, Prompter, Question, Reply, Summary};
use detente::store::{self, Store};
use detente::time::UnixMs;
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::rc::Rc;

// ---------------------------------------------------------------------------------------------------- the binary

/// What detente reads from the environment, and the colour detection of the libraries it prints through (clap's,
/// the progress bar's): none of it leaks in from wherever `cargo test` runs. `TZ` is not among them: the binary
/// keeps the test process's local zone, so that its "today" is the one the tests compute with `Calendar::local`
/// and `chrono::Local`; tests whose expectations are made in UTC say so (see [`as_teacher`]).
const READ_BY_DETENTE: &[&str] = &[
    "DETENTE_DB",
    "DETENTE_LEARNER",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "TERM",
    "COLUMNS",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "HOME",
    "USER",
    "LOGNAME",
    "USERNAME",
];

/// The binary under test: `DETENTE_BIN` when set (to run the checks against another build, such as an older
/// version, to measure what it let through), else this package's.
fn bin() -> PathBuf {
    std::env::var_os("DETENTE_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_detente").into(), PathBuf::from)
}

/// Gives `cmd` (detente, or a shell that starts it) the environment every test runs detente in: the variables of
/// [`READ_BY_DETENTE`] cleared, then the database `db`, learner `ann`, and `NO_COLOR`, so that what it prints is
/// plain text. Callers add what they need (another learner, `COLUMNS`, `TZ`, `TERM`).
fn environment<'a>(cmd: &'a mut std::process::Command, db: &Path) -> &'a mut std::process::Command {
    for var in READ_BY_DETENTE {
        cmd.env_remove(var);
    }
    cmd.env("DETENTE_DB", db)
        .env("DETENTE_LEARNER", "ann")
        .env("NO_COLOR", "1")
}

/// A course in the SQLite file `db` as a lab (or a SQLite class server) keeps one: the sample deck, `learners`
/// (name, username, email) added with the real command, and the built-in decks loaded (so that no side of a
/// comparison loads them during it).
#[cfg(feature = "server")]
pub fn lab_course(db: &Path, learners: &[(&str, &str, &str)]) {
    drop(with_sample(db));
    for (name, user, email) in learners {
        let out = process(db)
            .args(["learner", "add", name, "--username", user, "--email", email])
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = process(db).arg("decks").output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// [`detente`] as a `std::process::Command`, for a test that spawns several at once.
pub fn process(db: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(bin());
    environment(&mut cmd, db);
    cmd
}

/// The detente binary on the database `db`, as learner `ann`, in the one test environment (see [`environment`]).
pub fn detente(db: &Path) -> Command {
    Command::from_std(process(db))
}

/// [`detente`] as the learner `teacher`, in `TZ=UTC`: the teacher's commands (rosters, grades, bundles, exams,
/// reports). The gradebook's bundles and expected dates are made with a UTC calendar, and the binary replays
/// progress and writes dates in its local zone.
pub fn as_teacher(db: &Path) -> Command {
    let mut cmd = detente(db);
    cmd.env("DETENTE_LEARNER", "teacher").env("TZ", "UTC");
    cmd
}

/// Runs `cmd` (from [`detente`] or [`as_teacher`]) with `args` and returns what it did.
pub fn run(mut cmd: Command, args: &[&str]) -> Output {
    cmd.args(args).output().expect("run detente")
}

/// A temporary database `d.db` with the sample deck (every card kind) imported through the binary (the built-in
/// decks load too, on first use).
pub fn sample_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let out = run(detente(&db), &["deck", "import", "tests/data/sample.toml"]);
    assert!(out.status.success(), "{out:?}");
    (dir, db)
}

// ---------------------------------------------------------------------------------------------------- the library

/// The sample deck of `tests/data/sample.toml`: one card of every kind.
pub fn sample_deck() -> Deck {
    let (deck, _) = parse_deck("sample.toml", include_str!("../../data/sample.toml"));
    deck.expect("valid")
}

/// Opens (creating) the database `db` and imports the sample deck through the library (no built-in decks).
pub fn with_sample(db: &Path) -> Store {
    let mut store = Store::open(db).expect("open");
    let tx = store.write().expect("tx");
    store::import_deck(&tx, &sample_deck(), false, None, 0).expect("import");
    tx.commit().expect("commit");
    store
}

/// A temporary database `d.db` with the sample deck, see [`with_sample`].
pub fn sample_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = with_sample(&dir.path().join("d.db"));
    (dir, store)
}

/// A clock the test sets: each reading returns the time and moves it on by `tick` milliseconds (the time a learner
/// takes over a prompt). Clones share the time, so a test can move it while a session holds the clock.
#[derive(Clone)]
pub struct TestClock {
    now: Rc<Cell<UnixMs>>,
    tick: i64,
}

impl TestClock {
    /// A clock at `start` that moves on `tick_ms` milliseconds at each reading.
    pub fn new(start: UnixMs, tick_ms: i64) -> Self {
        TestClock {
            now: Rc::new(Cell::new(start)),
            tick: tick_ms,
        }
    }

    /// The time, without moving it.
    pub fn get(&self) -> UnixMs {
        self.now.get()
    }

    pub fn set(&self, at: UnixMs) {
        self.now.set(at);
    }

    /// Lets `ms` milliseconds pass.
    pub fn advance(&self, ms: i64) {
        self.now.set(self.now.get().plus_ms(ms));
    }
}

impl Clock for TestClock {
    fn now_ms(&self) -> UnixMs {
        let t = self.now.get();
        self.now.set(t.plus_ms(self.tick));
        t
    }
}

// ---------------------------------------------------------------------------------------------------- the learner

/// What a session asks its learner: the prompts of [`Prompter`], each with the question on screen.
#[derive(Debug)]
pub enum Ask<'a> {
    /// Pick one of `options` (a choice, or one step of an order or a match); `label` says what is being picked.
    Choose {
        q: &'a Question,
        label: &'a str,
        options: &'a [String],
    },
    /// Tick any of `options` (a multi).
    ChooseMany {
        q: &'a Question,
        options: &'a [String],
    },
    /// True or false.
    Judge { q: &'a Question },
    /// Type an answer (text, cloze, number).
    Type { q: &'a Question },
    /// Grade oneself 1 (Again) to 4 (Easy) once the back of a flashcard is revealed.
    Reveal { q: &'a Question },
}

impl Ask<'_> {
    pub fn question(&self) -> &Question {
        match self {
            Ask::Choose { q, .. }
            | Ask::ChooseMany { q, .. }
            | Ask::Judge { q }
            | Ask::Type { q }
            | Ask::Reveal { q } => q,
        }
    }
}

/// An answer to an [`Ask`], of its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Pick(usize),
    Tick(Vec<usize>),
    Judge(bool),
    Type(String),
    Grade(u8),
}

/// The plain answer to anything: the first option, "false", "2008" (a year of the sample deck), Good.
pub fn first_option(ask: &Ask) -> Answer {
    match ask {
        Ask::Choose { .. } => Answer::Pick(0),
        Ask::ChooseMany { .. } => Answer::Tick(vec![0]),
        Ask::Judge { .. } => Answer::Judge(false),
        Ask::Type { .. } => Answer::Type("2008".into()),
        Ask::Reveal { .. } => Answer::Grade(3),
    }
}

/// How a scripted learner behaves: what it answers (`Reply::Quit` for Esc), what it does after the feedback of an
/// answer, and whether it tries again when an answer could not be saved. A closure over [`Ask`] is a script that
/// goes on to the next card and gives up on an unsaved answer.
pub trait Script {
    fn answer(&mut self, ask: &Ask) -> Reply<Answer>;

    fn then(&mut self, _: &Feedback) -> Action {
        Action::Next
    }

    fn retry(&mut self, _: &str) -> Reply<bool> {
        Reply::Quit
    }

    /// At the summary page of an exam with free navigation: submit.
    fn overview(&mut self, _: &Overview) -> Reply<Go> {
        Reply::Answer(Go::Submit)
    }

    /// Asked to confirm submitting: yes.
    fn confirm_submit(&mut self, _: &Overview) -> Reply<bool> {
        Reply::Answer(true)
    }

    /// A message or notice the session showed (kept in [`Scripted::messages`] as well).
    fn said(&mut self, _: &str) {}
}

impl<F: FnMut(&Ask) -> Reply<Answer>> Script for F {
    fn answer(&mut self, ask: &Ask) -> Reply<Answer> {
        self(ask)
    }
}

/// Answers [`first_option`] to everything.
pub struct FirstOption;

impl Script for FirstOption {
    fn answer(&mut self, ask: &Ask) -> Reply<Answer> {
        Reply::Answer(first_option(ask))
    }
}

/// The tests' [`Prompter`]: answers as its `script` says, and keeps everything the session showed it.
pub struct Scripted<S> {
    pub script: S,
    /// The question of every prompt, in order (an order or a match prompts several times for one question).
    pub asked: Vec<Question>,
    pub feedback: Vec<Feedback>,
    pub messages: Vec<String>,
    pub summaries: Vec<Summary>,
    pub exam_summaries: Vec<ExamSummary>,
    /// Why each answer that could not be saved was not.
    pub unsaved: Vec<String>,
    /// The exam clock, read as the screen reads it (see [`Scripted::on_clock`]).
    pub clock: Option<TestClock>,
    /// The exam clock as each prompt with a deadline showed it when it was drawn.
    pub countdowns: Vec<Countdown>,
    /// Every summary page of a free-navigation exam shown, and every one a submit was confirmed from.
    pub overviews: Vec<Overview>,
    pub confirms: Vec<Overview>,
}

impl<S: Script> Scripted<S> {
    pub fn new(script: S) -> Self {
        Scripted {
            script,
            asked: Vec::new(),
            feedback: Vec::new(),
            messages: Vec::new(),
            summaries: Vec::new(),
            exam_summaries: Vec::new(),
            unsaved: Vec::new(),
            clock: None,
            countdowns: Vec::new(),
            overviews: Vec::new(),
            confirms: Vec::new(),
        }
    }

    /// Reads the exam clock from `clock` as the screen does: each prompt with a deadline records the countdown it
    /// would show, and a prompt drawn once the deadline has passed ends with `Reply::TimeUp` before the script is
    /// asked (the answer being typed is lost).
    pub fn on_clock(mut self, clock: &TestClock) -> Self {
        self.clock = Some(clock.clone());
        self
    }

    /// Records the countdown at `deadline`; `true` when the time is up.
    fn time_up(&mut self, deadline: Option<UnixMs>) -> bool {
        let (Some(clock), Some(d)) = (&self.clock, deadline) else {
            return false;
        };
        let c = countdown(d, clock.get());
        let over = c.over;
        self.countdowns.push(c);
        over
    }

    /// Asks the script, and takes its answer as the kind the prompt wants.
    fn ask<T>(&mut self, ask: Ask, kind: fn(Answer) -> Option<T>) -> detente::Result<Reply<T>> {
        self.asked.push(ask.question().clone());
        if self.time_up(ask.question().deadline) {
            return Ok(Reply::TimeUp);
        }
        Ok(match self.script.answer(&ask) {
            Reply::Answer(a) => Reply::Answer(
                kind(a.clone()).unwrap_or_else(|| panic!("{a:?} does not answer {ask:?}")),
            ),
            Reply::Quit => Reply::Quit,
            Reply::Interrupt => Reply::Interrupt,
            Reply::TimeUp => Reply::TimeUp,
        })
    }
}

/// A scripted learner that answers with `answer` (a closure, typed here so that its argument need not be).
pub fn answering<F: FnMut(&Ask) -> Reply<Answer>>(answer: F) -> Scripted<F> {
    Scripted::new(answer)
}

impl<S: Script> Prompter for Scripted<S> {
    fn choose(
        &mut self,
        q: &Question,
        label: &str,
        options: &[String],
    ) -> detente::Result<Reply<usize>> {
        let ask = Ask::Choose { q, label, options };
        self.ask(ask, |a| match a {
            Answer::Pick(i) => Some(i),
            _ => None,
        })
    }

    fn choose_many(
        &mut self,
        q: &Question,
        options: &[String],
    ) -> detente::Result<Reply<Vec<usize>>> {
        self.ask(Ask::ChooseMany { q, options }, |a| match a {
            Answer::Tick(v) => Some(v),
            _ => None,
        })
    }

    fn judge(&mut self, q: &Question) -> detente::Result<Reply<bool>> {
        self.ask(Ask::Judge { q }, |a| match a {
            Answer::Judge(b) => Some(b),
            _ => None,
        })
    }

    fn type_answer(&mut self, q: &Question) -> detente::Result<Reply<String>> {
        self.ask(Ask::Type { q }, |a| match a {
            Answer::Type(s) => Some(s),
            _ => None,
        })
    }

    fn reveal(&mut self, q: &Question, _: &str) -> detente::Result<Reply<Rating>> {
        self.ask(Ask::Reveal { q }, |a| match a {
            Answer::Grade(g) => Rating::from_number(i64::from(g)),
            _ => None,
        })
    }

    fn feedback(&mut self, f: &Feedback) -> detente::Result<Reply<Action>> {
        self.feedback.push(f.clone());
        Ok(Reply::Answer(self.script.then(f)))
    }

    fn message(&mut self, text: &str) {
        self.messages.push(text.to_string());
        self.script.said(text);
    }

    fn summary(&mut self, s: &Summary) {
        self.summaries.push(s.clone());
    }

    fn retry(&mut self, problem: &str) -> detente::Result<Reply<bool>> {
        self.unsaved.push(problem.to_string());
        Ok(self.script.retry(problem))
    }

    fn exam_summary(&mut self, s: &ExamSummary) {
        self.exam_summaries.push(s.clone());
    }

    fn overview(&mut self, o: &Overview) -> detente::Result<Reply<Go>> {
        self.overviews.push(o.clone());
        if self.time_up(o.deadline) {
            return Ok(Reply::TimeUp);
        }
        Ok(self.script.overview(o))
    }

    fn confirm_submit(&mut self, o: &Overview) -> detente::Result<Reply<bool>> {
        self.confirms.push(o.clone());
        if self.time_up(o.deadline) {
            return Ok(Reply::TimeUp);
        }
        Ok(self.script.confirm_submit(o))
    }
}

/// Asserts that a deck read back from an export (`back`, with the reader's `meta`) is `deck` again, where `file` names
/// it: no reader warning, the title and the deck's extras carried, and every card identical, in order.
pub fn assert_same_deck(
    file: &str,
    deck: &Deck,
    back: &[detente::deck::Card],
    meta: &detente::deck::convert::Meta,
) {
    assert!(meta.warnings.is_empty(), "{file}: {:?}", meta.warnings);
    assert_eq!(meta.title.as_deref(), Some(deck.title.as_str()), "{file}");
    assert_eq!(
        meta.deck,
        Some(detente::deck::convert::DeckExtras::of(deck)),
        "{file}"
    );
    assert_eq!(back.len(), deck.cards.len(), "{file}");
    for (a, b) in deck.cards.iter().zip(back) {
        assert_eq!(b, a, "{file}");
    }
}
