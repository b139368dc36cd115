//! An exam's start, each answer and its end kept through a busy or full disk (the attacks of the parent module),
//! and an answer given before the deadline counted when it is written after it.

use super::{ATTACKS, Attack, Blocker, count, saw_the_attack};
use crate::support::{Answer, Ask, Script, Scripted, TestClock, first_option, sample_store};
use detente::error::Error;
use detente::exam::{Exam, parse_exam};
use detente::session::Reply;
use detente::session::exam::{ExamEnd, Sitting, exam_row};
use detente::store::{self, Store};
use detente::time::UnixMs;
use rusqlite::Connection;

/// The exam actions.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ExamAct {
    Start,
    Answer,
    /// The end of an attempt, closed when it is resumed after its deadline.
    Finish,
}

/// A student who answers the first option of everything; the disk is attacked when the attempt is about to start
/// (by the test), when the first question is answered, or when the sitting says the time ran out; they quit (Esc)
/// after `questions` questions; at the retry offer they let `wait` pass on the clock, then retry after the other
/// program lets go, or quit.
struct Student {
    act: ExamAct,
    blocker: Blocker,
    retry: bool,
    questions: usize,
    /// Question numbers asked (an order or a match prompts several times for one).
    asked: Vec<usize>,
    clock: TestClock,
    wait: i64,
}

impl Script for Student {
    fn answer(&mut self, ask: &Ask) -> Reply<Answer> {
        let n = ask.question().number;
        if self.asked.last() != Some(&n) {
            self.asked.push(n);
        }
        if self.asked.len() > self.questions {
            return Reply::Quit;
        }
        if self.act == ExamAct::Answer {
            self.blocker.arm();
        }
        Reply::Answer(first_option(ask))
    }

    fn said(&mut self, text: &str) {
        if self.act == ExamAct::Finish && text.contains("ran out of time") {
            self.blocker.arm();
        }
    }

    fn retry(&mut self, _: &str) -> Reply<bool> {
        self.clock.advance(self.wait);
        if self.retry {
            self.blocker.release();
            return Reply::Answer(true);
        }
        Reply::Quit
    }
}

/// The sample deck's quiz: three questions, in `minutes` if given.
fn quiz(store: &mut Store, minutes: Option<u32>) -> Exam {
    let limit = minutes.map_or(String::new(), |m| format!("time_limit = {m}\n"));
    let src = format!(
        "id = \"quiz\"\ntitle = \"Quiz\"\ndecks = [\"sample\"]\nquestions = 3\nseed = 11\nscore_flashcards = true\n{limit}"
    );
    let (exam, _, diags) = parse_exam("quiz.toml", &src);
    assert!(diags.is_empty(), "{diags:?}");
    let exam = exam.expect("exam");
    let tx = store.write().expect("tx");
    store::upsert_exam(&tx, &exam_row(&exam, 0).expect("row")).expect("upsert");
    tx.commit().expect("commit");
    exam
}

const START: UnixMs = UnixMs(1_700_000_000_000);

/// Sits the quiz (one minute for `Finish`, after a first sitting that answered one question and left): the
/// student does `act` under `attack`, retrying or not. Returns how the sitting ended, the student, and the store.
fn sit(
    act: ExamAct,
    attack: Attack,
    retry: bool,
) -> (
    tempfile::TempDir,
    Store,
    detente::Result<ExamEnd>,
    Scripted<Student>,
) {
    let (dir, mut store) = sample_store();
    let ann = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
    let exam = quiz(&mut store, (act == ExamAct::Finish).then_some(1));
    let clock = TestClock::new(START, 1_000);
    let blocker = Blocker::new(&mut store, attack);
    let mut p = Scripted::new(Student {
        act,
        blocker,
        retry,
        questions: 1,
        asked: Vec::new(),
        clock: clock.clone(),
        wait: 0,
    });
    if act == ExamAct::Finish {
        // One answer, then away past the deadline; the attempt is closed when the student comes back.
        let first = Sitting::new(&mut store, &exam, &ann, &clock).run(&mut p);
        assert!(matches!(first, Ok(ExamEnd::Paused)), "{first:?}");
        clock.advance(5 * 60_000);
        p.script.questions = 0;
    }
    if act == ExamAct::Start {
        p.script.blocker.arm();
    }
    let end = Sitting::new(&mut store, &exam, &ann, &clock).run(&mut p);
    p.script.blocker.release();
    (dir, store, end, p)
}

/// Whether the action is in the database, and what the error names when it is not.
fn exam_done(conn: &Connection, act: ExamAct) -> bool {
    match act {
        ExamAct::Start => count(conn, "SELECT count(*) FROM attempts") == 1,
        ExamAct::Answer => count(conn, "SELECT count(*) FROM attempt_answers") == 1,
        ExamAct::Finish => {
            count(
                conn,
                "SELECT count(*) FROM attempts WHERE closed_at IS NOT NULL",
            ) == 1
        }
    }
}

fn exam_named(act: ExamAct) -> &'static str {
    match act {
        ExamAct::Start => "the start of attempt 1 at exam quiz",
        ExamAct::Answer => "your answer to question",
        ExamAct::Finish => "the end of attempt 1 at exam quiz",
    }
}

/// Attack: an exam's start, an answer and its end each meet a busy lock held past the timeout, or a full disk;
/// the student retries once the other program lets go. Each must be saved.
#[test]
fn every_exam_action_is_saved_when_the_student_retries() {
    for attack in ATTACKS {
        for act in [ExamAct::Start, ExamAct::Answer, ExamAct::Finish] {
            let (_dir, store, end, p) = sit(act, attack, true);
            saw_the_attack(&p, attack);
            let end = end.unwrap_or_else(|e| panic!("{act:?} {attack:?}: {e}"));
            let expected_end = if act == ExamAct::Finish {
                matches!(end, ExamEnd::Closed(_))
            } else {
                end == ExamEnd::Paused
            };
            assert!(expected_end, "{act:?} {attack:?}: {end:?}");
            assert!(exam_done(&store.conn, act), "{act:?} {attack:?}: saved");
        }
    }
}

/// Attack: an exam's start, an answer and its end each meet a busy lock or a full disk and the student quits. The
/// sitting must end with a "not saved" error naming the action (exit 1 from `exam run`), the action must not be in
/// the database, and what was saved before it is kept: the attempt open, its earlier answers there.
#[test]
fn every_exam_action_the_student_gives_up_on_is_named_and_not_written() {
    for attack in ATTACKS {
        for act in [ExamAct::Start, ExamAct::Answer, ExamAct::Finish] {
            let (_dir, store, end, p) = sit(act, attack, false);
            saw_the_attack(&p, attack);
            match end {
                Err(e @ Error::NotSaved(_)) => {
                    assert_eq!(e.exit_code(), 1);
                    let m = e.to_string();
                    assert!(m.contains(exam_named(act)), "{act:?} {attack:?}: {m}");
                }
                other => panic!("{act:?} {attack:?}: expected not saved, got {other:?}"),
            }
            assert!(
                !exam_done(&store.conn, act),
                "{act:?} {attack:?}: not saved"
            );
            let (attempts, answers) = match act {
                ExamAct::Start => (0, 0),
                ExamAct::Answer => (1, 0),
                ExamAct::Finish => (1, 1),
            };
            assert_eq!(
                count(&store.conn, "SELECT count(*) FROM attempts"),
                attempts
            );
            assert_eq!(
                count(&store.conn, "SELECT count(*) FROM attempt_answers"),
                answers
            );
        }
    }
}

/// Attack: the student answers the first question in time, the write is held (busy, or a full disk) and the retry
/// comes two minutes later, past the one-minute deadline. The answer must count, with the time it was given, and
/// the attempt close as timed out with it scored.
#[test]
fn an_exam_answer_held_past_the_deadline_still_counts() {
    for attack in ATTACKS {
        let (_dir, mut store) = sample_store();
        let ann = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
        let exam = quiz(&mut store, Some(1));
        let clock = TestClock::new(START, 1_000);
        let blocker = Blocker::new(&mut store, attack);
        let mut p = Scripted::new(Student {
            act: ExamAct::Answer,
            blocker,
            retry: true,
            questions: 3,
            asked: Vec::new(),
            clock: clock.clone(),
            wait: 2 * 60_000,
        });
        let end = Sitting::new(&mut store, &exam, &ann, &clock).run(&mut p);
        saw_the_attack(&p, attack);
        let summary = match end {
            Ok(ExamEnd::Closed(s)) => s,
            other => panic!("{attack:?}: expected the attempt closed, got {other:?}"),
        };
        assert!(summary.timed_out, "{attack:?}: the time ran out");
        assert_eq!(p.script.asked.len(), 1, "no question after the deadline");
        let given = summary
            .questions
            .iter()
            .filter(|q| q.given.is_some())
            .count();
        assert_eq!(
            given, 1,
            "{attack:?}: the held answer is scored: {summary:?}"
        );
        let (credit, answered_at, deadline, closed_at): (f64, i64, i64, i64) = store
            .conn
            .query_row(
                "SELECT a.credit, a.answered_at, t.deadline, t.closed_at
                 FROM attempt_answers a JOIN attempts t ON t.id = a.attempt_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("the answer is stored");
        assert!((summary.score - credit).abs() < 1e-9, "{summary:?}");
        assert!(
            answered_at < deadline,
            "{attack:?}: answered in time, {answered_at} < {deadline}"
        );
        assert!(
            clock.get().0 > deadline,
            "the retry came after the deadline"
        );
        assert_eq!(closed_at, deadline, "{attack:?}: closed at the deadline");
    }
}
