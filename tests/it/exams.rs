//! Exams end to end against a real temporary database: a class of 30 simulated learners studies the sample deck
//! and sits an exam through a scripted `Prompter` with a seeded mix of right, partly right and wrong answers.
//! Scores, partial credit, grading methods, the attempts limit, closing on time-out, resuming after an
//! interruption, study schedules left untouched, and item analysis on a crafted case.

use crate::support::{
    Answer, Ask, Script, Scripted, TestClock, answering, as_teacher, detente, first_option, run,
    sample_deck, sample_store,
};
use detente::deck::{Body, Card, cloze_blanks, cloze_question};
use detente::exam::{Exam, Grading, parse_exam};
use detente::schedule::Calendar;
use detente::session::exam::{
    ExamEnd, ExamSummary, ItemSource, Sitting, Warning, exam_row, item_report, results,
};
use detente::session::{Go, Overview, Question, Reply, Session, StudyOptions};
use detente::store::{self, Learner, Store};
use detente::time::UnixMs;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Right,
    Partial,
    Wrong,
}

/// The credit a mode earns on a card kind (partial answers: multi misses one of three right answers; order and
/// match swap the first two).
fn credit_of(kind: &str, mode: Mode) -> f64 {
    match (mode, kind) {
        (Mode::Right, _) => 1.0,
        (Mode::Wrong, _) => 0.0,
        (Mode::Partial, "multi") => 2.0 / 3.0,
        (Mode::Partial, "order" | "match") => 0.5,
        (Mode::Partial, _) => 0.0,
    }
}

/// A simulated learner: knows every card of the deck, and answers each question right, partly or wrong as its
/// plan (by prompt) or its seeded skill says.
struct Student {
    cards: HashMap<String, (Card, usize)>,
    rng: ChaCha8Rng,
    skill: f64,
    plan: HashMap<String, Mode>,
    /// Mode chosen for the current question (by prompt).
    current: HashMap<String, Mode>,
    /// (question number, kind, mode) of every question asked.
    asked: Vec<(usize, &'static str, Mode)>,
    /// Quit (Esc) at the question with this number.
    quit_at: Option<usize>,
    /// At the question with this number, let this many milliseconds pass on this clock before answering.
    stall: Option<(usize, i64, TestClock)>,
    statuses: Vec<Option<String>>,
}

/// A [`Student`] of the deck `deck` with this seed and skill, as a prompter.
fn student(deck: &[Card], seed: u64, skill: f64) -> Scripted<Student> {
    let mut cards = HashMap::new();
    for c in deck {
        for s in 0..c.siblings() {
            let prompt = match (&c.body, s) {
                (Body::Cloze { .. }, s) => cloze_question(&c.prompt, s),
                (Body::Flashcard { answer, .. }, 1) => answer.clone(),
                _ => c.prompt.clone(),
            };
            cards.insert(prompt, (c.clone(), s));
        }
    }
    Scripted::new(Student {
        cards,
        rng: ChaCha8Rng::seed_from_u64(seed),
        skill,
        plan: HashMap::new(),
        current: HashMap::new(),
        asked: Vec::new(),
        quit_at: None,
        stall: None,
        statuses: Vec::new(),
    })
}

impl Student {
    /// The mode for a question, decided once per question; `None` to quit.
    fn mode(&mut self, q: &Question) -> Option<Mode> {
        if let Some(m) = self.current.get(&q.prompt) {
            return Some(*m);
        }
        if self.quit_at == Some(q.number) {
            return None;
        }
        if let Some((n, ms, clock)) = &self.stall
            && *n == q.number
        {
            clock.advance(*ms);
        }
        let m = self.plan.get(&q.prompt).copied().unwrap_or_else(|| {
            let x = (self.rng.next_u64() % 1000) as f64 / 1000.0;
            if x < self.skill {
                Mode::Right
            } else if x < self.skill + (1.0 - self.skill) / 3.0 {
                Mode::Partial
            } else {
                Mode::Wrong
            }
        });
        self.current.insert(q.prompt.clone(), m);
        self.asked.push((q.number, q.kind, m));
        self.statuses.push(q.status.clone());
        Some(m)
    }

    fn card(&self, q: &Question) -> (Card, usize) {
        self.cards.get(&q.prompt).cloned().expect("a known card")
    }

    fn done(&mut self, q: &Question) {
        self.current.remove(&q.prompt);
    }

    fn choose(&mut self, q: &Question, label: &str, options: &[String], mode: Mode) -> usize {
        let (card, _) = self.card(q);
        let find = |want: &str| options.iter().position(|o| o == want).unwrap_or(0);
        let i = match &card.body {
            Body::Choice { answer, .. } => match mode {
                Mode::Right => find(answer),
                _ => options.iter().position(|o| o != answer).unwrap_or(0),
            },
            Body::Order { items } => {
                let mut target = items.clone();
                match mode {
                    Mode::Right => {}
                    Mode::Partial => target.swap(0, 1),
                    Mode::Wrong => target.reverse(),
                }
                let placed = items.len() - options.len();
                if options.len() == 2 {
                    self.done(q);
                }
                find(&target[placed])
            }
            Body::Match { pairs } => {
                let left = label.trim_end_matches('\u{2192}').trim();
                let at = pairs.iter().position(|(l, _)| l == left).unwrap_or(0);
                let n = pairs.len();
                let target = match mode {
                    Mode::Right => at,
                    Mode::Partial if at < 2 => 1 - at,
                    Mode::Partial => at,
                    Mode::Wrong => (at + 1) % n,
                };
                if at == n - 2 {
                    self.done(q);
                }
                find(&pairs[target].1)
            }
            _ => 0,
        };
        if matches!(card.body, Body::Choice { .. }) {
            self.done(q);
        }
        i
    }

    fn choose_many(&mut self, q: &Question, options: &[String], mode: Mode) -> Vec<usize> {
        self.done(q);
        let (card, _) = self.card(q);
        let Body::Multi { answers, .. } = &card.body else {
            return vec![];
        };
        match mode {
            Mode::Right => options
                .iter()
                .enumerate()
                .filter(|(_, o)| answers.contains(o))
                .map(|(i, _)| i)
                .collect(),
            Mode::Partial => options
                .iter()
                .enumerate()
                .filter(|(_, o)| answers[..answers.len() - 1].contains(o))
                .map(|(i, _)| i)
                .collect(),
            Mode::Wrong => options
                .iter()
                .position(|o| !answers.contains(o))
                .into_iter()
                .collect(),
        }
    }

    fn judge(&mut self, q: &Question, mode: Mode) -> bool {
        self.done(q);
        let (card, _) = self.card(q);
        let Body::Truefalse { answer } = card.body else {
            return true;
        };
        if mode == Mode::Right { answer } else { !answer }
    }

    fn type_answer(&mut self, q: &Question, mode: Mode) -> String {
        self.done(q);
        let (card, sibling) = self.card(q);
        let right = match &card.body {
            Body::Text { answers, .. } => answers[0].clone(),
            Body::Cloze { .. } => cloze_blanks(&card.prompt)[sibling].answers[0].clone(),
            Body::Number { answer, .. } => answer.to_string(),
            _ => String::new(),
        };
        if mode == Mode::Right {
            right
        } else if matches!(card.body, Body::Number { .. }) {
            "1789".into()
        } else {
            "Zzyzx Qwrtp".into()
        }
    }
}

impl Script for Student {
    fn answer(&mut self, ask: &Ask) -> Reply<Answer> {
        let Some(mode) = self.mode(ask.question()) else {
            return Reply::Quit;
        };
        Reply::Answer(match *ask {
            Ask::Choose { q, label, options } => Answer::Pick(self.choose(q, label, options, mode)),
            Ask::ChooseMany { q, options } => Answer::Tick(self.choose_many(q, options, mode)),
            Ask::Judge { q } => Answer::Judge(self.judge(q, mode)),
            Ask::Type { q } => Answer::Type(self.type_answer(q, mode)),
            Ask::Reveal { q } => {
                self.done(q);
                Answer::Grade(if mode == Mode::Right { 3 } else { 1 })
            }
        })
    }
}

/// The flashcard has no partial answer: self-graded Good (right) or Again.
fn expected_score(asked: &[(usize, &'static str, Mode)]) -> f64 {
    asked.iter().map(|(_, k, m)| credit_of(k, *m)).sum()
}

struct World {
    _dir: tempfile::TempDir,
    store: Store,
    cards: Vec<Card>,
    clock: TestClock,
}

fn world() -> World {
    let (dir, store) = sample_store();
    World {
        _dir: dir,
        store,
        cards: sample_deck().cards,
        clock: TestClock::new(UnixMs(1_700_000_000_000), 1_000),
    }
}

fn load(store: &mut Store, extra: &str) -> Exam {
    let questions = if extra.contains("questions") {
        ""
    } else {
        "questions = 9\n"
    };
    // The sample deck's nine questions include its flashcard, which an exam scores only when it says so.
    let flashcards = if extra.contains("score_flashcards") {
        ""
    } else {
        "score_flashcards = true\n"
    };
    let src = format!(
        "id = \"quiz\"\ntitle = \"Sample quiz\"\ndecks = [\"sample\"]\n{questions}seed = 11\n{flashcards}{extra}"
    );
    let (exam, _, diags) = parse_exam("quiz.toml", &src);
    assert!(diags.is_empty(), "{diags:?}");
    let exam = exam.expect("exam");
    let tx = store.write().expect("tx");
    store::upsert_exam(&tx, &exam_row(&exam, 0).expect("row")).expect("upsert");
    tx.commit().expect("commit");
    exam
}

fn learner(store: &mut Store, name: &str) -> Learner {
    store::learner_get_or_create(store, name, 0).expect("learner")
}

fn sit<S: Script>(
    w: &mut World,
    exam: &Exam,
    l: &Learner,
    s: &mut Scripted<S>,
) -> detente::Result<ExamEnd> {
    Sitting::new(&mut w.store, exam, l, &w.clock).run(s)
}

fn closed(end: ExamEnd) -> ExamSummary {
    match end {
        ExamEnd::Closed(s) => s,
        other => panic!("expected a closed attempt, got {other:?}"),
    }
}

fn study_snapshot(store: &Store) -> (i64, Vec<(i64, i64, i64, String)>) {
    let reviews: i64 = store
        .conn
        .query_row("SELECT count(*) FROM reviews", [], |r| r.get(0))
        .expect("count");
    let mut stmt = store
        .conn
        .prepare("SELECT learner_id, card_id, due, printf('%.6f %.6f %d', stability, difficulty, reps) FROM card_states ORDER BY 1, 2")
        .expect("prepare");
    let states = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows");
    (reviews, states)
}

#[test]
fn a_class_of_thirty_studies_then_sits_an_exam_twice_and_a_third_time_is_refused() {
    let mut w = world();
    let exam = load(
        &mut w.store,
        "attempts = 2\ngrading = \"highest\"\npass_mark = 50\n",
    );
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let mut class = Vec::new();
    for i in 0..30u64 {
        let l = learner(&mut w.store, &format!("student{i:02}"));
        let skill = 0.2 + 0.025 * i as f64;
        // Study first: a session of every new card.
        let mut s = student(&w.cards, 1000 + i, skill);
        let opts = StudyOptions {
            seed: i,
            ..Default::default()
        };
        let session = Session::start(&mut w.store, &l, opts, &w.clock, cal).expect("start");
        let summary = session.run(&mut s).expect("study");
        assert!(summary.done >= 9);
        class.push((l, skill));
    }
    let before = study_snapshot(&w.store);
    assert!(before.0 >= 270);

    let mut first_scores = Vec::new();
    let mut papers = Vec::new();
    for (i, (l, skill)) in class.iter().enumerate() {
        let mut grades = Vec::new();
        for attempt in 1..=2u32 {
            let mut s = student(&w.cards, 7 * i as u64 + u64::from(attempt), *skill);
            let summary = closed(sit(&mut w, &exam, l, &mut s).expect("sit"));
            assert_eq!(summary.attempt, attempt);
            assert_eq!(s.feedback.len(), 0, "no feedback during an exam");
            assert_eq!(s.script.asked.len(), 9);
            let want = expected_score(&s.script.asked);
            assert!(
                (summary.score - want).abs() < 1e-9,
                "{} vs {want}: {:?}",
                summary.score,
                s.script.asked
            );
            assert_eq!(summary.max_score, 9.0);
            assert_eq!(summary.passed, summary.percent >= 50.0);
            assert_eq!(s.exam_summaries.len(), 1);
            assert_eq!(summary.questions.len(), 9);
            grades.push(summary.percent);
            if attempt == 1 {
                first_scores.push(summary.score);
            }
            let attempts = store::attempts(&w.store.conn, &exam.id, l.id).expect("attempts");
            papers.push(attempts[attempt as usize - 1].paper.clone());
        }
        // A third attempt is refused, with a message that says why.
        let mut s = student(&w.cards, 0, 1.0);
        match sit(&mut w, &exam, l, &mut s) {
            Err(detente::Error::Usage(m)) => assert!(m.contains("all 2 attempts"), "{m}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(s.script.asked.is_empty());
        let r = results(&w.store, &exam).expect("results");
        let mine = r.iter().find(|r| r.learner == l.name).expect("mine");
        let best = grades.iter().copied().fold(f64::MIN, f64::max);
        assert!((mine.grade.expect("grade") - best).abs() < 1e-9);
        assert_eq!(mine.passed, Some(best >= 50.0));
    }
    // One paper for everyone ("same"), with one question per card of the deck.
    assert!(papers.iter().all(|p| *p == papers[0]));
    // Stronger students score more on average: the seeded mix is not noise.
    let weak: f64 = first_scores[..10].iter().sum();
    let strong: f64 = first_scores[20..].iter().sum();
    assert!(strong > weak, "{weak} vs {strong}");
    // Exam answers never touched the study log or any card state.
    assert_eq!(study_snapshot(&w.store), before);
    let exam_reviews: i64 = w
        .store
        .conn
        .query_row(
            "SELECT count(*) FROM reviews WHERE mode = 'exam'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(exam_reviews, 0);
    // Item analysis of the exam: every question answered in all 60 attempts.
    let items = item_report(&w.store, ItemSource::Exam("quiz")).expect("items");
    assert_eq!(items.len(), 9);
    assert!(items.iter().all(|i| i.answered == 60));
    let choice = items.iter().find(|i| i.kind == "choice").expect("choice");
    assert_eq!(choice.options.iter().map(|o| o.picked).sum::<u32>(), 60);
    // And of the deck, from each learner's first study answers.
    let deck_items = item_report(&w.store, ItemSource::Deck("sample")).expect("deck items");
    assert!(
        deck_items.iter().all(|i| i.answered == 30),
        "{deck_items:?}"
    );
}

#[test]
fn per_learner_papers_differ_and_are_reproducible() {
    let mut w = world();
    let exam = load(&mut w.store, "paper = \"per-learner\"\nquestions = 5\n");
    let mut papers = Vec::new();
    for name in ["ann", "bob", "ann"] {
        let l = learner(&mut w.store, name);
        let mut s = student(&w.cards, 1, 1.0);
        let summary = closed(sit(&mut w, &exam, &l, &mut s).expect("sit"));
        assert_eq!(summary.score, 5.0);
        let a = store::attempts(&w.store.conn, &exam.id, l.id).expect("attempts");
        papers.push(a.last().expect("attempt").paper.clone());
    }
    assert_eq!(papers[0].len(), 5);
    assert_eq!(
        papers[0], papers[2],
        "the same learner gets the same paper again"
    );
    assert_ne!(papers[0], papers[1]);
}

#[test]
fn partial_credit_and_every_grading_method() {
    let mut w = world();
    let mut exam = load(&mut w.store, "");
    let l = learner(&mut w.store, "ann");
    let mut shares = Vec::new();
    for mode in [Mode::Partial, Mode::Right, Mode::Wrong] {
        let mut s = student(&w.cards, 1, 0.0);
        for (prompt, _) in s.script.cards.clone() {
            s.script.plan.insert(prompt, mode);
        }
        let summary = closed(sit(&mut w, &exam, &l, &mut s).expect("sit"));
        if mode == Mode::Partial {
            // multi 2/3, order 1/2, match 1/2; the rest nothing.
            assert!(
                (summary.score - (2.0 / 3.0 + 0.5 + 0.5)).abs() < 1e-9,
                "{}",
                summary.score
            );
            let partial: Vec<&str> = summary
                .questions
                .iter()
                .filter(|q| q.credit > 0.0 && q.credit < 1.0)
                .map(|q| q.kind.as_str())
                .collect();
            assert_eq!(partial.len(), 3, "{partial:?}");
        }
        shares.push(summary.score / 9.0);
    }
    for (grading, want) in [
        (Grading::Highest, 1.0),
        (Grading::Last, 0.0),
        (Grading::Mean, (shares[0] + 1.0) / 3.0),
    ] {
        exam.grading = grading;
        let r = results(&w.store, &exam).expect("results");
        assert_eq!(r[0].attempts.len(), 3);
        assert!(
            (r[0].grade.expect("grade") / 100.0 - want).abs() < 1e-9,
            "{grading:?}"
        );
    }
}

#[test]
fn running_out_of_time_closes_the_attempt_and_a_late_answer_does_not_count() {
    let mut w = world();
    let exam = load(&mut w.store, "time_limit = 10\n");
    let l = learner(&mut w.store, "ann");
    let mut s = student(&w.cards, 1, 1.0);
    // At the fourth question the learner dawdles eleven minutes.
    s.script.stall = Some((4, 11 * 60_000, w.clock.clone()));
    let summary = closed(sit(&mut w, &exam, &l, &mut s).expect("sit"));
    assert!(summary.timed_out);
    assert_eq!(summary.score, 3.0, "only the three answers in time count");
    assert_eq!(s.script.asked.len(), 4);
    let answers = store::attempts(&w.store.conn, &exam.id, l.id).expect("attempts");
    assert_eq!(
        store::attempt_answers(&w.store.conn, answers[0].id)
            .expect("answers")
            .len(),
        3
    );
    assert_eq!(answers[0].closed_at, answers[0].deadline);
    // Every question carries the deadline, for the screen's clock, and its place in the paper.
    assert!(
        s.asked
            .iter()
            .all(|q| q.deadline == answers[0].deadline && q.deadline.is_some()),
        "{:?}",
        s.asked
    );
    assert_eq!(s.script.statuses[0].as_deref(), Some("question 1 of 9"));
}

#[test]
fn an_interrupted_attempt_resumes_where_it_stopped_or_closes_past_its_deadline() {
    let mut w = world();
    let exam = load(&mut w.store, "time_limit = 30\n");
    let ann = learner(&mut w.store, "ann");
    let mut s = student(&w.cards, 1, 1.0);
    s.script.quit_at = Some(4);
    assert_eq!(
        sit(&mut w, &exam, &ann, &mut s).expect("sit"),
        ExamEnd::Paused
    );
    let a = store::attempts(&w.store.conn, &exam.id, ann.id).expect("attempts");
    assert_eq!(a.len(), 1);
    assert!(a[0].closed_at.is_none());
    assert_eq!(
        store::attempt_answers(&w.store.conn, a[0].id)
            .expect("answers")
            .len(),
        3
    );
    // Again: the same attempt goes on at question 4.
    let mut s = student(&w.cards, 1, 1.0);
    let summary = closed(sit(&mut w, &exam, &ann, &mut s).expect("resume"));
    assert_eq!(s.script.asked.first().map(|a| a.0), Some(4));
    assert_eq!(summary.attempt, 1);
    assert_eq!(summary.score, 9.0);

    // Bob stops after two answers and comes back after the deadline: closed and scored, nothing asked.
    let bob = learner(&mut w.store, "bob");
    let mut s = student(&w.cards, 1, 1.0);
    s.script.quit_at = Some(3);
    assert_eq!(
        sit(&mut w, &exam, &bob, &mut s).expect("sit"),
        ExamEnd::Paused
    );
    w.clock.advance(31 * 60_000);
    let mut s = student(&w.cards, 1, 1.0);
    let summary = closed(sit(&mut w, &exam, &bob, &mut s).expect("late"));
    assert!(s.script.asked.is_empty());
    assert!(summary.timed_out);
    assert_eq!(summary.score, 2.0);
}

#[test]
fn item_analysis_flags_a_question_weak_students_get_right() {
    let mut w = world();
    let exam = load(&mut w.store, "");
    let choice_prompt = w
        .cards
        .iter()
        .find(|c| c.id == "nrc-refresh")
        .expect("choice card")
        .prompt
        .clone();
    for i in 0..10 {
        let l = learner(&mut w.store, &format!("s{i}"));
        let strong = i >= 5;
        let mut s = student(&w.cards, 1, 0.0);
        for (prompt, _) in s.script.cards.clone() {
            let mode = if prompt == choice_prompt {
                if strong { Mode::Wrong } else { Mode::Right }
            } else if strong {
                Mode::Right
            } else {
                Mode::Wrong
            };
            s.script.plan.insert(prompt, mode);
        }
        closed(sit(&mut w, &exam, &l, &mut s).expect("sit"));
    }
    let items = item_report(&w.store, ItemSource::Exam("quiz")).expect("items");
    let first = &items[0];
    assert_eq!(first.item, "sample/nrc-refresh");
    assert_eq!(first.discrimination, Some(-1.0));
    assert!((first.facility - 0.5).abs() < 1e-9);
    assert!(
        first
            .flags
            .iter()
            .any(|f| f.contains("negative discrimination"))
    );
    // The strong students all picked the same distractor (the first wrong option shown to them).
    assert_eq!(first.options.iter().map(|o| o.picked).sum::<u32>(), 10);
    for other in &items[1..] {
        assert!(other.flags.is_empty(), "{other:?}");
        assert_eq!(other.discrimination, Some(1.0));
    }
}

#[test]
fn exam_load_reports_problems_with_file_line_col_and_exits_65() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "id = \"bad\"\ntitle = \"Bad\"\ndecks = [\"no-such-deck\"]\nquestions = 3\n",
    )
    .expect("write");
    let out = run(
        detente(&db),
        &["exam", "load", file.to_str().expect("path")],
    );
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:3:10: error: no deck `no-such-deck` is loaded"),
        "{err}"
    );
    let list = run(detente(&db), &["exam", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    assert_eq!(v, serde_json::json!([]), "nothing was loaded");
    let ok = run(detente(&db), &["exam", "load", "exams/example.toml"]);
    assert!(ok.status.success(), "{ok:?}");
}

#[test]
fn an_abandoned_timed_attempt_is_closed_at_its_deadline_before_results_are_read() {
    let mut w = world();
    let exam = load(&mut w.store, "time_limit = 30\n");
    let cy = learner(&mut w.store, "cy");
    let mut s = student(&w.cards, 1, 1.0);
    s.script.quit_at = Some(3);
    assert_eq!(
        sit(&mut w, &exam, &cy, &mut s).expect("sit"),
        ExamEnd::Paused
    );
    // Before the deadline nothing is closed.
    let now = w.clock.get();
    let tx = w.store.write().expect("tx");
    assert_eq!(
        store::close_expired_attempts(&tx, now, 0).expect("close"),
        0
    );
    tx.commit().expect("commit");
    // After it, the attempt is closed at the deadline and scored on the two answers given.
    let later = now.plus_ms(31 * 60_000);
    let tx = w.store.write().expect("tx");
    assert_eq!(
        store::close_expired_attempts(&tx, later, 0).expect("close"),
        1
    );
    tx.commit().expect("commit");
    let a = store::attempts(&w.store.conn, &exam.id, cy.id).expect("attempts");
    assert_eq!(a[0].closed_at, a[0].deadline);
    assert_eq!(a[0].score, Some(2.0));
    assert_eq!(a[0].max_score, Some(a[0].paper.len() as f64));
    let results = detente::session::exam::results(&w.store, &exam).expect("results");
    assert!(results[0].grade.is_some());
}

#[test]
fn flashcards_are_scored_only_when_the_exam_says_so_and_then_marked_self_graded() {
    let mut w = world();
    // Without score_flashcards the flashcard is never drawn: eight questions, none of them self-graded.
    let exam = load(&mut w.store, "score_flashcards = false\nquestions = 8\n");
    assert!(!exam.score_flashcards);
    let ann = learner(&mut w.store, "ann");
    let mut s = student(&w.cards, 1, 1.0);
    let summary = closed(sit(&mut w, &exam, &ann, &mut s).expect("sit"));
    assert!(
        s.script.asked.iter().all(|(_, k, _)| *k != "flashcard"),
        "{:?}",
        s.script.asked
    );
    assert_eq!(summary.max_score, 8.0);
    assert!(!summary.self_graded);
    assert!(!summary.render().contains("graded yourself"));
    // Asking for nine from a deck with eight scorable questions is refused at load time, naming the field.
    let file = w.store.path.with_file_name("nine.toml");
    std::fs::write(
        &file,
        "id = \"nine\"\ntitle = \"Nine\"\ndecks = [\"sample\"]\nquestions = 9\n",
    )
    .expect("write");
    let out = run(
        as_teacher(&w.store.path),
        &["exam", "load", file.to_str().expect("path")],
    );
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("score_flashcards = true"));

    // With it, the flashcard counts, and the summary, results and grade exports say the score is self-graded.
    let exam = load(&mut w.store, "score_flashcards = true\n");
    let bob = learner(&mut w.store, "bob");
    let mut s = student(&w.cards, 2, 1.0);
    let summary = closed(sit(&mut w, &exam, &bob, &mut s).expect("sit"));
    assert!(s.script.asked.iter().any(|(_, k, _)| *k == "flashcard"));
    assert!(summary.self_graded);
    assert!(summary.render().contains("graded yourself"));
    let out = run(
        as_teacher(&w.store.path),
        &["--json", "exam", "results", "quiz"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["self_graded"], true);
    let out = run(
        as_teacher(&w.store.path),
        &["learner", "set", "bob", "--student-id", "S9"],
    );
    assert!(out.status.success());
    let out = run(
        as_teacher(&w.store.path),
        &["grades", "export", "--format", "canvas"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .next()
            .is_some_and(|h| h.ends_with("Sample quiz (self-graded)")),
        "{text}"
    );
}

#[test]
fn a_paused_exam_names_the_learner_and_an_unknown_learner_is_refused() {
    let mut w = world();
    let exam = load(&mut w.store, "");
    let ann = learner(&mut w.store, "Ann Lee");
    let mut s = student(&w.cards, 1, 1.0);
    s.script.quit_at = Some(2);
    assert_eq!(
        sit(&mut w, &exam, &ann, &mut s).expect("sit"),
        ExamEnd::Paused
    );
    assert!(
        s.messages
            .iter()
            .any(|m| m.contains("detente exam run quiz --learner 'Ann Lee'")),
        "{:?}",
        s.messages
    );
    // A mistyped learner opens no attempt and creates nobody.
    let before = store::learners(&w.store.conn).expect("learners").len();
    let out = run(
        as_teacher(&w.store.path),
        &["--learner", "Ann Le", "exam", "run", "quiz"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("detente learner add 'Ann Le'"), "{err}");
    assert_eq!(
        store::learners(&w.store.conn).expect("learners").len(),
        before
    );
}

/// A learner on a free-navigation exam: answers with `answer`, takes the next step of `route` at each summary page
/// (then submits), and gives the next of `confirms` when asked to confirm the submit (then yes).
struct Route<F> {
    answer: F,
    route: Vec<Reply<Go>>,
    confirms: Vec<Reply<bool>>,
}

impl<F: FnMut(&Ask) -> Reply<Answer>> Script for Route<F> {
    fn answer(&mut self, ask: &Ask) -> Reply<Answer> {
        (self.answer)(ask)
    }

    fn overview(&mut self, _: &Overview) -> Reply<Go> {
        if self.route.is_empty() {
            Reply::Answer(Go::Submit)
        } else {
            self.route.remove(0)
        }
    }

    fn confirm_submit(&mut self, _: &Overview) -> Reply<bool> {
        if self.confirms.is_empty() {
            Reply::Answer(true)
        } else {
            self.confirms.remove(0)
        }
    }
}

fn route<F: FnMut(&Ask) -> Reply<Answer>>(
    answer: F,
    route: Vec<Reply<Go>>,
    confirms: Vec<Reply<bool>>,
) -> Scripted<Route<F>> {
    Scripted::new(Route {
        answer,
        route,
        confirms,
    })
}

/// Attack: the clock must warn at 5 minutes and at 1 minute while questions are on screen, and when the time runs
/// out while the learner is still typing, the attempt must close by itself at the deadline, scored on the answers
/// given before it, the one being typed not counted. The screen's clock is the session's (a `TestClock` here).
#[test]
fn the_clock_warns_at_five_and_one_minute_and_closes_the_attempt_when_time_runs_out() {
    let mut w = world();
    let exam = load(&mut w.store, "time_limit = 10\n");
    let l = learner(&mut w.store, "ann");
    let clock = w.clock.clone();
    let mut seen = 0;
    let mut s = answering(move |ask: &Ask| {
        let n = ask.question().number;
        if n != seen {
            seen = n;
            match n {
                // Reading the first question takes five and a half minutes, the second four more.
                1 => clock.advance(330_000),
                2 => clock.advance(240_000),
                // The fourth is still being typed when the time runs out.
                4 => {
                    clock.advance(120_000);
                    return Reply::TimeUp;
                }
                _ => {}
            }
        }
        Reply::Answer(first_option(ask))
    })
    .on_clock(&w.clock);
    let summary = closed(sit(&mut w, &exam, &l, &mut s).expect("sit"));
    assert!(summary.timed_out);
    assert!(
        summary.render().starts_with("Time ran out"),
        "{}",
        summary.render()
    );
    let attempt = &store::attempts(&w.store.conn, &exam.id, l.id).expect("attempts")[0];
    let answers = store::attempt_answers(&w.store.conn, attempt.id).expect("answers");
    assert_eq!(
        answers.iter().map(|a| a.position).collect::<Vec<_>>(),
        [0, 1, 2],
        "the answer being typed at the deadline is not stored"
    );
    assert_eq!(attempt.closed_at, attempt.deadline);
    let stored: f64 = answers.iter().map(|a| a.credit).sum();
    assert!((summary.score - stored).abs() < 1e-9);
    // What the screen showed at each question: no warning at first, then 5 minutes, then 1 minute.
    let warnings: Vec<Option<Warning>> = s.countdowns.iter().map(|c| c.warning).collect();
    assert_eq!(warnings.first(), Some(&None), "{:?}", s.countdowns);
    assert!(
        warnings.contains(&Some(Warning::FiveMinutes)),
        "{:?}",
        s.countdowns
    );
    assert!(
        warnings.contains(&Some(Warning::OneMinute)),
        "{:?}",
        s.countdowns
    );
    let five = warnings
        .iter()
        .position(|w| *w == Some(Warning::FiveMinutes));
    let one = warnings.iter().position(|w| *w == Some(Warning::OneMinute));
    assert!(
        five < one,
        "5 minutes comes before 1 minute: {:?}",
        s.countdowns
    );
    assert!(s.countdowns[0].text.ends_with(" left"));
}

/// Attack: an answer entered exactly at the deadline must not count (only answers before it do), while one a
/// millisecond earlier does; both attempts close at the deadline.
#[test]
fn an_answer_at_the_deadline_does_not_count_and_one_just_before_does() {
    let mut w = world();
    let exam = load(&mut w.store, "time_limit = 10\n");
    for (name, early_ms) in [("ann", 0), ("bob", 1)] {
        let l = learner(&mut w.store, name);
        let clock = w.clock.clone();
        // The first question after the first asked in one prompt (not an order or a match) is answered
        // `early_ms` before the deadline.
        let mut late = None;
        let mut s = answering(move |ask: &Ask| {
            let q = ask.question();
            if late.is_none() && q.number > 1 && !["order", "match"].contains(&q.kind) {
                late = Some(q.number);
                // The deadline each question carries, as the screen shows it.
                let deadline = q.deadline.expect("a timed exam");
                clock.set(deadline.plus_ms(-early_ms));
            }
            Reply::Answer(first_option(ask))
        })
        .on_clock(&w.clock);
        let summary = closed(sit(&mut w, &exam, &l, &mut s).expect("sit"));
        assert!(summary.timed_out, "{name}");
        let late = s.asked.last().expect("asked").number;
        let attempt = &store::attempts(&w.store.conn, &exam.id, l.id).expect("attempts")[0];
        assert_eq!(
            attempt.deadline,
            Some(attempt.started_at.plus_ms(600_000)),
            "{name}"
        );
        let answers = store::attempt_answers(&w.store.conn, attempt.id).expect("answers");
        let kept = if early_ms == 0 { late - 1 } else { late };
        assert_eq!(answers.len(), kept, "{name}");
        assert_eq!(attempt.closed_at, attempt.deadline);
        assert_eq!(
            s.messages.iter().any(|m| m.contains("does not count")),
            early_ms == 0,
            "{name}: {:?}",
            s.messages
        );
        w.clock.advance(3_600_000);
    }
}

/// Attack: with free navigation, going back from the summary page to an answered question and changing its answer
/// must replace the stored answer (one row, the new response) and change the score by exactly that question's
/// credit, against a learner who answered the same paper the same way without going back.
#[test]
fn free_navigation_changing_an_earlier_answer_changes_the_score() {
    let mut w = world();
    let exam = load(&mut w.store, "navigation = \"free\"\n");
    let deck = sample_deck();
    let truth = deck
        .cards
        .iter()
        .find_map(|c| match c.body {
            Body::Truefalse { answer } => Some((c.prompt.clone(), answer)),
            _ => None,
        })
        .expect("a true/false card");
    let mut scores = Vec::new();
    for (name, go_back) in [("ann", false), ("bob", true)] {
        let l = learner(&mut w.store, name);
        // The true/false question's number on the (same) paper.
        let attempt_paper = |w: &World| {
            store::attempts(&w.store.conn, &exam.id, l.id).expect("attempts")[0]
                .paper
                .clone()
        };
        let mut judged = 0;
        let truth = truth.clone();
        let mut s = route(
            move |ask: &Ask| match ask {
                Ask::Judge { q } if q.prompt == truth.0 => {
                    judged += 1;
                    // Wrong at first, right when it is changed.
                    Reply::Answer(Answer::Judge(if judged == 1 { !truth.1 } else { truth.1 }))
                }
                _ => Reply::Answer(first_option(ask)),
            },
            Vec::new(),
            Vec::new(),
        );
        if go_back {
            // The true/false question's number, found on a first summary page.
            let n = {
                let mut probe = route(
                    |a: &Ask| Reply::Answer(first_option(a)),
                    vec![Reply::Quit],
                    vec![],
                );
                // A throwaway learner with the same paper shows where the question stands.
                let other = learner(&mut w.store, "probe");
                assert_eq!(
                    sit(&mut w, &exam, &other, &mut probe).expect("probe"),
                    ExamEnd::Paused
                );
                probe.overviews[0]
                    .entries
                    .iter()
                    .find(|e| e.kind == "truefalse")
                    .expect("on the paper")
                    .number
            };
            s.script.route = vec![Reply::Answer(Go::Question(n))];
        }
        let summary = closed(sit(&mut w, &exam, &l, &mut s).expect("sit"));
        assert!(!summary.timed_out);
        let paper = attempt_paper(&w);
        let attempt = &store::attempts(&w.store.conn, &exam.id, l.id).expect("attempts")[0];
        let answers = store::attempt_answers(&w.store.conn, attempt.id).expect("answers");
        assert_eq!(answers.len(), paper.len(), "one row per question");
        let tf = answers
            .iter()
            .find(|a| {
                s.asked
                    .iter()
                    .any(|q| q.number == a.position as usize + 1 && q.kind == "truefalse")
            })
            .expect("the true/false answer");
        assert_eq!(
            tf.correct, go_back,
            "{name}: the last answer is the one stored"
        );
        if go_back {
            let revisit = s
                .asked
                .iter()
                .rfind(|q| q.kind == "truefalse")
                .expect("asked");
            assert_eq!(
                revisit.saved.as_deref(),
                Some(if truth.1 { "False" } else { "True" })
            );
        }
        scores.push(summary.score);
    }
    assert!((scores[1] - scores[0] - 1.0).abs() < 1e-9, "{scores:?}");
}

/// Attack: the summary page must list every question with the unanswered ones as such, the submit confirmation
/// must see them, saying no must go back to the summary, Esc there must pause the attempt, and a resumed
/// free-navigation attempt must start at the first unanswered question.
#[test]
fn the_summary_lists_unanswered_questions_and_a_paused_free_attempt_resumes() {
    let mut w = world();
    let exam = load(&mut w.store, "navigation = \"free\"\ntime_limit = 30\n");
    let l = learner(&mut w.store, "ann");
    // Question 1 answered, Esc at question 2 (to the summary page), then Esc there (pause).
    let mut s = route(
        |ask: &Ask| {
            if ask.question().number == 2 {
                Reply::Quit
            } else {
                Reply::Answer(first_option(ask))
            }
        },
        vec![Reply::Quit],
        vec![],
    );
    assert_eq!(
        sit(&mut w, &exam, &l, &mut s).expect("sit"),
        ExamEnd::Paused
    );
    let total = s.overviews[0].entries.len();
    assert_eq!(total, 9);
    assert_eq!(s.overviews[0].unanswered(), (2..=9).collect::<Vec<_>>());
    assert!(s.overviews[0].entries[0].answer.is_some());
    assert!(
        s.messages.iter().any(|m| m.contains("to go on")),
        "{:?}",
        s.messages
    );
    // Resumed: question 2 first, Esc at 5 (to the summary), 6 to 9 from the summary, submit but no, 7 changed,
    // submit and yes.
    let mut s = route(
        |ask: &Ask| {
            if ask.question().number == 5 {
                Reply::Quit
            } else {
                Reply::Answer(first_option(ask))
            }
        },
        vec![
            Reply::Answer(Go::Question(6)),
            Reply::Answer(Go::Submit),
            Reply::Answer(Go::Question(7)),
            Reply::Answer(Go::Submit),
        ],
        vec![Reply::Answer(false)],
    );
    let summary = closed(sit(&mut w, &exam, &l, &mut s).expect("resume"));
    assert_eq!(s.asked.first().map(|q| q.number), Some(2));
    // Question 5 was skipped with Esc and then left unanswered: the confirmation names it, twice.
    assert_eq!(s.confirms.len(), 2);
    assert!(s.confirms.iter().all(|o| o.unanswered() == [5]));
    // Going to question 7 again shows its saved answer.
    let seven = s.asked.iter().rfind(|q| q.number == 7).expect("7 again");
    assert!(seven.saved.is_some());
    assert!(!summary.timed_out);
    let five = summary.questions.iter().find(|q| q.number == 5).expect("5");
    assert_eq!(five.given, None);
    assert_eq!(five.credit, 0.0);
}
