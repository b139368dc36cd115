//! Whole study sessions through a scripted `Prompter` against a real temporary database.

use detente::deck::parse_deck;
use detente::schedule::{Calendar, Scheduler, replay};
use detente::session::{
    Action, Clock, Feedback, Prompter, Question, Reply, Session, StudyOptions, Summary,
};
use detente::store::{self, Store};
use std::cell::Cell;

struct FixedClock(Cell<i64>);
impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        let t = self.0.get();
        self.0.set(t + 4_000);
        t
    }
}

/// Answers every question with the first option or a fixed text, and records what it was asked.
#[derive(Default)]
struct Scripted {
    asked: Vec<&'static str>,
    feedback: Vec<bool>,
    quit_after: Option<usize>,
    /// Take back every answer that counted as right, once each time it comes: the summary must follow.
    undo_right: bool,
    undone: usize,
}

impl Scripted {
    fn ask(&mut self, q: &Question) -> bool {
        self.asked.push(q.kind);
        // Quit at the question after the `n`th (an order or a match asks several prompts of one question).
        self.quit_after.is_some_and(|n| q.number > n)
    }
}

impl Prompter for Scripted {
    fn choose(&mut self, q: &Question, _: &str, _: &[String]) -> detente::Result<Reply<usize>> {
        Ok(if self.ask(q) {
            Reply::Quit
        } else {
            Reply::Answer(0)
        })
    }
    fn choose_many(&mut self, q: &Question, _: &[String]) -> detente::Result<Reply<Vec<usize>>> {
        Ok(if self.ask(q) {
            Reply::Quit
        } else {
            Reply::Answer(vec![0])
        })
    }
    fn judge(&mut self, q: &Question) -> detente::Result<Reply<bool>> {
        Ok(if self.ask(q) {
            Reply::Quit
        } else {
            Reply::Answer(false)
        })
    }
    fn type_answer(&mut self, q: &Question) -> detente::Result<Reply<String>> {
        Ok(if self.ask(q) {
            Reply::Quit
        } else {
            Reply::Answer("2008".into())
        })
    }
    fn reveal(&mut self, q: &Question, _: &str) -> detente::Result<Reply<u8>> {
        Ok(if self.ask(q) {
            Reply::Quit
        } else {
            Reply::Answer(3)
        })
    }
    fn feedback(&mut self, f: &Feedback) -> detente::Result<Reply<Action>> {
        self.feedback.push(f.correct);
        if self.undo_right && f.correct && self.undone < 3 {
            self.undone += 1;
            return Ok(Reply::Answer(Action::Undo));
        }
        Ok(Reply::Answer(Action::Next))
    }
    fn message(&mut self, _: &str) {}
    fn summary(&mut self, _: &Summary) {}
}

fn setup() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(&dir.path().join("d.db")).expect("open");
    let (deck, _) = parse_deck("sample.toml", include_str!("../data/sample.toml"));
    let tx = store.write().expect("tx");
    store::import_deck(&tx, &deck.expect("valid"), false, None, 0).expect("import");
    tx.commit().expect("commit");
    (dir, store)
}

#[test]
fn a_session_asks_every_kind_commits_every_answer_and_replays() {
    let (_dir, mut store) = setup();
    let learner = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let clock = FixedClock(Cell::new(1_700_000_000_000));
    let opts = StudyOptions {
        seed: 7,
        ..Default::default()
    };
    let session = Session::start(&mut store, &learner, opts, &clock, cal).expect("start");
    let mut p = Scripted::default();
    let summary = session.run(&mut p).expect("run");
    let mut kinds = p.asked.clone();
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds.len(), 9, "{kinds:?}");
    let reviews: i64 = store
        .conn
        .query_row("SELECT COUNT(*) FROM reviews", [], |r| r.get(0))
        .expect("count");
    assert_eq!(reviews as u32, summary.done);
    assert_eq!(p.feedback.len() as u32, summary.done);
    // Replaying the review log through the scheduler reproduces every stored state.
    let scheduler = Scheduler::new(learner.settings()).expect("scheduler");
    let log = store::study_log(&store.conn, learner.id).expect("log");
    let replayed = replay(&scheduler, &log, &cal).expect("replay");
    let stored: std::collections::BTreeMap<_, _> = store::states(&store.conn, learner.id)
        .expect("states")
        .into_iter()
        .collect();
    assert!(!stored.is_empty());
    assert_eq!(stored, replayed);
}

#[test]
fn quitting_keeps_what_was_answered() {
    let (_dir, mut store) = setup();
    let learner = store::learner_get_or_create(&mut store, "bo", 0).expect("learner");
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let clock = FixedClock(Cell::new(1_700_000_000_000));
    let session =
        Session::start(&mut store, &learner, StudyOptions::default(), &clock, cal).expect("start");
    let mut p = Scripted {
        quit_after: Some(3),
        ..Default::default()
    };
    let summary = session.run(&mut p).expect("run");
    assert_eq!(summary.done, 3);
    assert_eq!(
        store::states(&store.conn, learner.id)
            .expect("states")
            .len(),
        3
    );
}

#[test]
fn undone_answers_leave_the_log_and_the_summary_alike() {
    let (_dir, mut store) = setup();
    let learner = store::learner_get_or_create(&mut store, "cy", 0).expect("learner");
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let clock = FixedClock(Cell::new(1_700_000_000_000));
    let opts = StudyOptions {
        seed: 7,
        ..Default::default()
    };
    let session = Session::start(&mut store, &learner, opts, &clock, cal).expect("start");
    let mut p = Scripted {
        undo_right: true,
        ..Default::default()
    };
    let summary = session.run(&mut p).expect("run");
    assert_eq!(p.undone, 3, "three right answers were taken back");
    let (done, right): (i64, i64) = store
        .conn
        .query_row(
            "SELECT COUNT(*), COALESCE(SUM(correct), 0) FROM reviews",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count");
    assert_eq!((summary.done, summary.right), (done as u32, right as u32));
    assert!(summary.right > 0);
}
