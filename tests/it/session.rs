//! Whole study sessions through a scripted `Prompter` against a real temporary database.

use crate::support::{
    Answer, Ask, FirstOption, Script, Scripted, TestClock, answering, first_option, sample_store,
};
use detente::schedule::{Calendar, Scheduler, replay};
use detente::session::{Action, Feedback, Reply, Session, StudyOptions};
use detente::store;
use detente::time::UnixMs;

/// Answers the first option or a fixed text, and takes back every answer that counted as right, once each time it
/// comes (three times): the summary must follow.
#[derive(Default)]
struct UndoRight {
    undone: usize,
}

impl Script for UndoRight {
    fn answer(&mut self, ask: &Ask) -> Reply<Answer> {
        Reply::Answer(first_option(ask))
    }
    fn then(&mut self, f: &Feedback) -> Action {
        if f.correct && self.undone < 3 {
            self.undone += 1;
            return Action::Undo;
        }
        Action::Next
    }
}

#[test]
fn a_session_asks_every_kind_commits_every_answer_and_replays() {
    let (_dir, mut store) = sample_store();
    let learner = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let clock = TestClock::new(UnixMs(1_700_000_000_000), 4_000);
    let opts = StudyOptions {
        seed: 7,
        ..Default::default()
    };
    let session = Session::start(&mut store, &learner, opts, &clock, cal).expect("start");
    let mut p = Scripted::new(FirstOption);
    let summary = session.run(&mut p).expect("run");
    let mut kinds: Vec<&str> = p.asked.iter().map(|q| q.kind).collect();
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
    let (_dir, mut store) = sample_store();
    let learner = store::learner_get_or_create(&mut store, "bo", 0).expect("learner");
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let clock = TestClock::new(UnixMs(1_700_000_000_000), 4_000);
    let session =
        Session::start(&mut store, &learner, StudyOptions::default(), &clock, cal).expect("start");
    // Quit at the question after the third (an order or a match asks several prompts of one question).
    let mut p = answering(|ask| {
        if ask.question().number > 3 {
            Reply::Quit
        } else {
            Reply::Answer(first_option(ask))
        }
    });
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
    let (_dir, mut store) = sample_store();
    let learner = store::learner_get_or_create(&mut store, "cy", 0).expect("learner");
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let clock = TestClock::new(UnixMs(1_700_000_000_000), 4_000);
    let opts = StudyOptions {
        seed: 7,
        ..Default::default()
    };
    let session = Session::start(&mut store, &learner, opts, &clock, cal).expect("start");
    let mut p = Scripted::new(UndoRight::default());
    let summary = session.run(&mut p).expect("run");
    assert_eq!(p.script.undone, 3, "three right answers were taken back");
    let (done, right): (i64, i64) = store
        .conn
        .query_row(
            "SELECT COUNT(*), COALESCE(SUM(correct), 0) FROM reviews WHERE retracted = 0",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count");
    assert_eq!((summary.done, summary.right), (done as u32, right as u32));
    assert!(summary.right > 0);
    // Each undo is a retraction event in the sync log, so it reaches every device the review reached.
    let retractions: i64 = store
        .conn
        .query_row(
            "SELECT COUNT(*) FROM sync_log WHERE retracts_device IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(retractions, 3);
}

/// Attack: Enter on a multi card with nothing ticked (a slip of the finger) must not be graded wrong at once: the
/// card asks again, as it does for an empty typed answer, and what is ticked then is graded; nothing ticked twice
/// gives up on the card (graded wrong). One answer is recorded either way.
#[test]
fn an_empty_multi_is_asked_again() {
    for second in [vec![0usize], vec![]] {
        let (_dir, mut store) = sample_store();
        let learner = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
        let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
        let clock = TestClock::new(UnixMs(1_700_000_000_000), 4_000);
        let opts = StudyOptions {
            seed: 7,
            ..Default::default()
        };
        let ticks = std::cell::Cell::new(0);
        let mut p = answering(|ask: &Ask| match ask {
            Ask::ChooseMany { .. } => {
                ticks.set(ticks.get() + 1);
                match ticks.get() {
                    1 => Reply::Answer(Answer::Tick(vec![])),
                    2 => Reply::Answer(Answer::Tick(second.clone())),
                    _ => Reply::Quit,
                }
            }
            _ if ticks.get() >= 2 => Reply::Quit,
            other => Reply::Answer(first_option(other)),
        });
        let session = Session::start(&mut store, &learner, opts, &clock, cal).expect("start");
        session.run(&mut p).expect("run");
        assert_eq!(ticks.get(), 2, "the multi card is asked twice");
        assert!(
            p.messages.iter().any(|m| m.contains("Nothing ticked")),
            "{:?}",
            p.messages
        );
        let verdicts: Vec<bool> = store
            .conn
            .prepare(
                "SELECT r.correct FROM reviews r JOIN cards c ON c.id = r.card_id WHERE c.kind = 'multi'",
            )
            .expect("query")
            .query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("verdicts");
        assert_eq!(verdicts.len(), 1, "one answer recorded for the multi card");
        if second.is_empty() {
            assert_eq!(verdicts, [false], "nothing ticked twice gives up, wrong");
        }
    }
}

/// Attack: a reversed flashcard shown as if it were the forward one (the learner recalls the wrong side): the
/// question of the back-to-front sibling says it is reversed, the forward one does not.
#[test]
fn a_reversed_flashcard_says_so() {
    let (_dir, mut store) = sample_store();
    let learner = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let clock = TestClock::new(UnixMs(1_700_000_000_000), 4_000);
    let mut asked = Vec::new();
    for day in 0..3 {
        clock.advance(day * 86_400_000);
        let opts = StudyOptions {
            seed: 7,
            ..Default::default()
        };
        let mut p = Scripted::new(FirstOption);
        Session::start(&mut store, &learner, opts, &clock, cal)
            .expect("start")
            .run(&mut p)
            .expect("run");
        asked.extend(p.asked);
    }
    let flashcards: Vec<_> = asked.iter().filter(|q| q.kind == "flashcard").collect();
    let back = flashcards
        .iter()
        .find(|q| q.prompt.starts_with("From hard power"))
        .expect("the reversed sibling was asked");
    assert!(back.reversed);
    let front = flashcards
        .iter()
        .find(|q| q.prompt.starts_with("What shift does Sherr"))
        .expect("the forward card was asked");
    assert!(!front.reversed);
}
