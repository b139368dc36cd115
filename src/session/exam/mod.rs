//! Sitting an exam: drawing the paper, asking its questions through the [`Prompter`] with the deadline in each
//! question (the prompter shows the [`countdown`] with its 5- and 1-minute warnings and ends the prompt when time is
//! up) and no feedback until the end, committing each answer at once to `attempt_answers`, free navigation (a
//! summary page, answers changed until submitted), resuming an open attempt where it stopped, closing it when the
//! time is up (an answer counts only if given before the deadline), refusing attempts beyond the number allowed,
//! and scoring with partial credit ([`crate::grade::credit()`]). Exam answers never touch the study review log or
//! card states.
//!
//! The end-of-attempt summary is in `summary`; results across attempts, item analysis and the stored exam row in
//! `results`; re-scoring an attempt brought in a progress bundle in `rescore`. Attempts brought in bundles
//! (unsupervised) are counted apart: a sitting never resumes one, and they never use up the attempts allowed.

use super::ask::{ask, expected, load_lexicon, prompt, shuffle};
use super::persist::{Writes, keep};
use super::{Clock, Entry, Go, Overview, Prompter, Question, Reply};
use crate::deck::Body;
use crate::error::{Error, Result};
use crate::exam::{Exam, Navigation};
use crate::grade::{self, Lexicon};
use crate::store::{self, Attempt, AttemptAnswer, Filter, Learner, Store, StoredCard};
use crate::time::UnixMs;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use std::collections::{HashMap, HashSet};
use summary::given_text;

mod remote;
mod rescore;
mod results;
pub mod served;
mod summary;
pub mod wire;

pub use remote::{ExamService, OffsetClock, RemoteSitting, Sent};
pub use rescore::{Rescore, admit, judge, rescore};
pub use results::{
    AttemptResult, ItemSource, LearnerResult, exam_row, item_report, item_report_read, results,
    results_counting, results_read,
};
pub use summary::{ExamSummary, QuestionResult};
pub use wire::GRACE_MS;

/// What asking one question came to: an answer to store, or the reply that ended the prompt.
enum Asked {
    Answered(AttemptAnswer),
    Reply(Reply<()>),
}

/// How a sitting ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ExamEnd {
    /// The attempt was closed and scored (finished, or its time ran out).
    Closed(ExamSummary),
    /// Esc: the attempt stays open, to be resumed; the clock keeps running.
    Paused,
    /// Ctrl-C: as `Paused`, and the program exits 130.
    Interrupted,
    /// A server exam's attempt was closed, its results withheld until the exam closes (`review = "after-close"`).
    Submitted,
}

/// The time left, as "12:34 left" (minutes may exceed 59).
pub fn time_left(ms: i64) -> String {
    let secs = crate::time::ms_to_secs_up(ms.max(0));
    format!("{}:{:02} left", secs / 60, secs % 60)
}

/// A warning the exam clock gives as the deadline nears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// 5 minutes or less left.
    FiveMinutes,
    /// 1 minute or less left.
    OneMinute,
}

impl Warning {
    /// The warning in words, for the screen.
    pub fn text(self) -> &'static str {
        match self {
            Warning::FiveMinutes => "5 minutes or less left.",
            Warning::OneMinute => {
                "1 minute or less left: an answer counts only if entered before the time is up."
            }
        }
    }
}

/// The exam clock at one moment: what the header shows while a prompt waits.
#[derive(Debug, Clone, PartialEq)]
pub struct Countdown {
    /// "4:59 left".
    pub text: String,
    pub warning: Option<Warning>,
    /// The deadline has passed: the prompt ends with [`Reply::TimeUp`].
    pub over: bool,
}

/// The exam clock at `now` for an attempt due at `deadline`: the time left, a warning from 5 minutes and from 1
/// minute before the deadline, and whether it has passed (at the deadline itself, as an answer then no longer
/// counts).
pub fn countdown(deadline: UnixMs, now: UnixMs) -> Countdown {
    let left = deadline.since(now);
    let warning = if left <= 60_000 {
        Some(Warning::OneMinute)
    } else if left <= 5 * 60_000 {
        Some(Warning::FiveMinutes)
    } else {
        None
    };
    Countdown {
        text: time_left(left),
        warning,
        over: left <= 0,
    }
}

/// Draws a paper: the pool shuffled with the seed, then the first `n` items with no two siblings of one card
/// (a cloze's other blanks would give its answer away). Reproducible from the seed.
pub fn draw_paper(pool: &[(i64, String)], n: usize, seed: u64) -> Vec<i64> {
    let mut items: Vec<&(i64, String)> = pool.iter().collect();
    shuffle(&mut items, &mut ChaCha8Rng::seed_from_u64(seed));
    let mut notes = HashSet::new();
    items
        .into_iter()
        .filter(|(_, note)| notes.insert(note.clone()))
        .map(|(id, _)| *id)
        .take(n)
        .collect()
}

/// The store's filter of an exam.
pub fn filter(exam: &Exam) -> Filter {
    Filter {
        decks: exam.decks.clone(),
        tags: exam.tags.clone(),
    }
}

/// A learner sitting an exam.
pub struct Sitting<'a> {
    store: &'a mut Store,
    exam: &'a Exam,
    learner: &'a Learner,
    clock: &'a dyn Clock,
    lexicons: HashMap<String, Lexicon>,
}

impl<'a> Sitting<'a> {
    pub fn new(
        store: &'a mut Store,
        exam: &'a Exam,
        learner: &'a Learner,
        clock: &'a dyn Clock,
    ) -> Self {
        Sitting {
            store,
            exam,
            learner,
            clock,
            lexicons: HashMap::new(),
        }
    }

    /// Resumes the learner's open attempt, or starts a new one if another is allowed (else a usage error that
    /// says so), and runs it to its end. An open attempt past its deadline is closed and scored at once. A read-only
    /// database is refused before anything is shown or asked, since every answer is written.
    pub fn run(mut self, p: &mut dyn Prompter) -> Result<ExamEnd> {
        self.store.require_writable()?;
        let exam = self.exam;
        let now = self.clock.now_ms();
        let attempts = store::supervised_attempts(&self.store.conn, &exam.id, self.learner.id)?;
        let attempt = match attempts.iter().find(|a| a.closed_at.is_none()) {
            Some(open) => {
                if open.deadline.is_some_and(|d| now >= d) {
                    p.message(&format!(
                        "Attempt {} ran out of time while you were away; it is closed and scored.",
                        open.number
                    ));
                    return self.close(open, true, p);
                }
                let done = store::attempt_answers(&self.store.conn, open.id)?.len();
                p.message(&format!(
                    "Resuming attempt {}: {done} of {} questions answered.",
                    open.number,
                    open.paper.len()
                ));
                open.clone()
            }
            None => {
                if exam.closes.is_some_and(|c| now >= c) {
                    return Err(Error::Usage(format!(
                        "exam {} has closed (its `closes` time has passed); see `detente exam results {}`",
                        exam.id, exam.id
                    )));
                }
                if let Some(max) = exam.attempts
                    && attempts.len() >= max as usize
                {
                    return Err(Error::Usage(format!(
                        "{} has used all {max} attempt{} allowed at exam {}; see `detente exam results {}`",
                        self.learner.name,
                        if max == 1 { "" } else { "s" },
                        exam.id,
                        exam.id
                    )));
                }
                // The attempt's clock starts when it is saved, after any wait for the database.
                let number =
                    store::next_attempt_number(&self.store.conn, &exam.id, self.learner.id)?;
                let what = format!("the start of attempt {number} at exam {}", exam.id);
                keep(&mut self, p, "The start of your attempt", &what, |s| {
                    s.start(number, s.clock.now_ms())
                })?
            }
        };
        self.sit(&attempt, p)
    }

    fn start(&mut self, number: u32, now: UnixMs) -> Result<Attempt> {
        let exam = self.exam;
        let pool = store::exam_pool(&self.store.conn, &filter(exam), exam.score_flashcards)?;
        let seed = exam.paper_seed(&self.learner.name);
        let paper = draw_paper(&pool, exam.questions as usize, seed);
        if paper.is_empty() {
            return Err(Error::Usage(format!(
                "exam {} has no questions: its decks and tags match no card",
                exam.id
            )));
        }
        let mut attempt = Attempt {
            id: 0,
            exam_id: exam.id.clone(),
            learner_id: self.learner.id,
            number,
            seed,
            paper,
            started_at: now,
            // The limit and any extra time a teacher gave this learner, never past the exam's close.
            deadline: served::deadline(
                exam,
                now,
                store::extra_minutes(&self.store.conn, &exam.id, self.learner.id)?,
            ),
            closed_at: None,
            score: None,
            max_score: None,
            unsupervised: false,
        };
        let tx = self.store.write()?;
        attempt.id = store::insert_attempt(&tx, &attempt)?;
        tx.commit()?;
        Ok(attempt)
    }

    fn lexicon(&mut self, deck: &str) -> Result<()> {
        if !self.lexicons.contains_key(deck) {
            self.lexicons
                .insert(deck.to_string(), load_lexicon(&self.store.conn, deck)?);
        }
        Ok(())
    }

    /// Asks the unanswered questions of an attempt in order, then closes it. With free navigation, Esc at a
    /// question and the end of the paper lead to the summary page, from which any question can be answered or
    /// changed until the learner submits. The deadline closes the attempt wherever the learner is.
    fn sit(&mut self, attempt: &Attempt, p: &mut dyn Prompter) -> Result<ExamEnd> {
        let free = self.exam.navigation == Navigation::Free;
        let mut items = Vec::new();
        for (pos, &card_id) in attempt.paper.iter().enumerate() {
            if let Some(card) = store::card(&self.store.conn, card_id)?
                && self.counts(&card.card.body)
            {
                items.push((pos, card));
            }
        }
        let mut answers: HashMap<u32, AttemptAnswer> =
            store::attempt_answers(&self.store.conn, attempt.id)?
                .into_iter()
                .map(|a| (a.position, a))
                .collect();
        // The next unanswered question at or after index `from` of `items`.
        let unanswered_from = |answers: &HashMap<u32, AttemptAnswer>, from: usize| {
            (from..items.len()).find(|&i| !answers.contains_key(&(items[i].0 as u32)))
        };
        let mut next = unanswered_from(&answers, 0);
        let timed_out = loop {
            if attempt.deadline.is_some_and(|d| self.clock.now_ms() >= d) {
                break true;
            }
            let Some(i) = next else {
                if !free {
                    break false;
                }
                let overview = self.overview(&items, &answers, attempt);
                match p.overview(&overview)? {
                    Reply::Answer(Go::Question(n)) => {
                        next = items.iter().position(|(pos, _)| pos + 1 == n);
                        continue;
                    }
                    Reply::Answer(Go::Submit) => match p.confirm_submit(&overview)? {
                        Reply::Answer(true) => break false,
                        Reply::Answer(false) | Reply::Quit => continue,
                        Reply::Interrupt => return Ok(ExamEnd::Interrupted),
                        Reply::TimeUp => break true,
                    },
                    Reply::Quit => return Ok(self.pause(attempt, p)),
                    Reply::Interrupt => return Ok(ExamEnd::Interrupted),
                    Reply::TimeUp => break true,
                }
            };
            let (pos, card) = &items[i];
            let saved = answers.get(&(*pos as u32));
            match self.ask_one(attempt, *pos, card, saved, p)? {
                Asked::Answered(row) => {
                    // Kept through a busy or full disk with the time it was given: it counts even if the deadline
                    // passes while it waits to be written.
                    let what = format!(
                        "your answer to question {} of exam {} (attempt {} stays open: `detente exam run {} \
                         --learner {}` goes on)",
                        pos + 1,
                        self.exam.id,
                        attempt.number,
                        self.exam.id,
                        crate::text::shell_word(&self.learner.name)
                    );
                    keep(self, p, "Your answer", &what, |s| {
                        let tx = s.store.write()?;
                        if free {
                            store::replace_answer(&tx, &row)?;
                        } else {
                            store::insert_answer(&tx, &row)?;
                        }
                        Ok(tx.commit()?)
                    })?;
                    answers.insert(row.position, row);
                    next = unanswered_from(&answers, i + 1);
                }
                // Esc at a question: back to the summary page with free navigation, else a pause.
                Asked::Reply(Reply::Quit) if free => next = None,
                Asked::Reply(Reply::Quit) => return Ok(self.pause(attempt, p)),
                Asked::Reply(Reply::Interrupt) => return Ok(ExamEnd::Interrupted),
                Asked::Reply(_) => break true,
            }
        };
        self.close(attempt, timed_out, p)
    }

    /// Asks one question of the paper. An answer given at or after the deadline is not kept.
    fn ask_one(
        &mut self,
        attempt: &Attempt,
        pos: usize,
        card: &StoredCard,
        saved: Option<&AttemptAnswer>,
        p: &mut dyn Prompter,
    ) -> Result<Asked> {
        let c = &card.card;
        let now = self.clock.now_ms();
        let q = Question {
            number: pos + 1,
            deck: self.exam.title.clone(),
            kind: c.body.kind(),
            prompt: prompt(card),
            status: Some(format!("question {} of {}", pos + 1, attempt.paper.len())),
            deadline: attempt.deadline,
            saved: saved.map(|a| given_text(&c.body, &a.response)),
            ..Question::default()
        };
        // Each question shuffles its choices with its own seed, so a resumed paper looks the same.
        let mut rng = ChaCha8Rng::seed_from_u64(
            attempt.seed ^ (pos as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        );
        self.lexicon(&card.deck_id)?;
        let empty = Lexicon::default();
        let lexicon = self.lexicons.get(&card.deck_id).unwrap_or(&empty);
        let answer = match ask(card, &q, p, &mut rng, lexicon)? {
            Reply::Answer(a) => a,
            Reply::Quit => return Ok(Asked::Reply(Reply::Quit)),
            Reply::Interrupt => return Ok(Asked::Reply(Reply::Interrupt)),
            Reply::TimeUp => return Ok(Asked::Reply(Reply::TimeUp)),
        };
        let answered_at = self.clock.now_ms();
        // An answer counts only if given before the deadline.
        if attempt.deadline.is_some_and(|d| answered_at >= d) {
            p.message("Time is up: that answer came after the deadline and does not count.");
            return Ok(Asked::Reply(Reply::TimeUp));
        }
        let correct = answer.verdict.correct;
        Ok(Asked::Answered(AttemptAnswer {
            attempt_id: attempt.id,
            position: pos as u32,
            card_id: card.id,
            response: answer.response.to_string(),
            credit: grade::credit(&c.body, &answer.response, correct),
            correct,
            answered_at,
            duration_ms: answered_at.since(now).max(0),
        }))
    }

    /// The summary page: every question that counts, with its stored answer.
    fn overview(
        &self,
        items: &[(usize, StoredCard)],
        answers: &HashMap<u32, AttemptAnswer>,
        attempt: &Attempt,
    ) -> Overview {
        Overview {
            title: self.exam.title.clone(),
            deadline: attempt.deadline,
            entries: items
                .iter()
                .map(|(pos, card)| Entry {
                    number: pos + 1,
                    kind: card.card.body.kind(),
                    prompt: prompt(card),
                    answer: answers
                        .get(&(*pos as u32))
                        .map(|a| given_text(&card.card.body, &a.response)),
                })
                .collect(),
        }
    }

    /// Leaves the attempt open, saying how to go on.
    fn pause(&self, attempt: &Attempt, p: &mut dyn Prompter) -> ExamEnd {
        p.message(&format!(
            "Your answers are saved. Run `detente exam run {} --learner {}` to go on{}.",
            self.exam.id,
            crate::text::shell_word(&self.learner.name),
            if attempt.deadline.is_some() {
                " (the clock keeps running)"
            } else {
                ""
            }
        ));
        ExamEnd::Paused
    }

    /// Whether a question of this kind is asked and scored: flashcards only when the exam says so (a paper drawn
    /// before the exam was changed may hold some).
    fn counts(&self, body: &Body) -> bool {
        self.exam.score_flashcards || !matches!(body, Body::Flashcard { .. })
    }

    /// Scores and closes an attempt, shows the summary and returns it.
    fn close(
        &mut self,
        attempt: &Attempt,
        timed_out: bool,
        p: &mut dyn Prompter,
    ) -> Result<ExamEnd> {
        let answers = store::attempt_answers(&self.store.conn, attempt.id)?;
        let by_pos: HashMap<u32, &AttemptAnswer> =
            answers.iter().map(|a| (a.position, a)).collect();
        let mut questions = Vec::new();
        for (pos, &card_id) in attempt.paper.iter().enumerate() {
            let Some(card) = store::card(&self.store.conn, card_id)? else {
                continue;
            };
            if !self.counts(&card.card.body) {
                continue;
            }
            let a = by_pos.get(&(pos as u32));
            questions.push(QuestionResult {
                number: pos + 1,
                kind: card.card.body.kind().into(),
                prompt: prompt(&card),
                given: a.map(|a| given_text(&card.card.body, &a.response)),
                expected: expected(&card),
                credit: a.map_or(0.0, |a| a.credit),
            });
        }
        let score: f64 = questions.iter().map(|q| q.credit).fold(0.0, |a, b| a + b);
        let max_score = questions.len() as f64;
        let now = self.clock.now_ms();
        let closed_at = match attempt.deadline {
            Some(d) if timed_out => d.min(now),
            _ => now,
        };
        let what = format!(
            "the end of attempt {} at exam {} (its answers are saved: `detente exam run {} --learner {}` scores it)",
            attempt.number,
            self.exam.id,
            self.exam.id,
            crate::text::shell_word(&self.learner.name)
        );
        keep(self, p, "The end of your attempt", &what, |s| {
            let tx = s.store.write()?;
            store::close_attempt(&tx, attempt.id, closed_at, score, max_score)?;
            Ok(tx.commit()?)
        })?;
        let share = if max_score > 0.0 {
            score / max_score
        } else {
            0.0
        };
        let summary = ExamSummary {
            exam: self.exam.id.clone(),
            title: self.exam.title.clone(),
            attempt: attempt.number,
            attempts_allowed: self.exam.attempts,
            score,
            max_score,
            percent: share * 100.0,
            pass_mark: self.exam.pass_mark,
            passed: self.exam.passes(share),
            timed_out,
            self_graded: self.exam.score_flashcards
                && questions.iter().any(|q| q.kind == "flashcard"),
            questions,
        };
        p.exam_summary(&summary);
        Ok(ExamEnd::Closed(summary))
    }
}

impl Writes for Sitting<'_> {
    fn store(&mut self) -> &mut Store {
        self.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Attack: the warnings must start exactly at 5:00 and 1:00 left, and the time is up at the deadline itself (an
    /// answer then no longer counts), never a second later; the time shown is rounded up, never negative.
    #[test]
    fn the_countdown_warns_at_five_and_one_minute_and_ends_at_the_deadline() {
        let d = UnixMs(1_000_000_000);
        let at = |left_ms: i64| countdown(d, d.plus_ms(-left_ms));
        assert_eq!(at(300_001).warning, None);
        assert_eq!(at(300_001).text, "5:01 left");
        assert_eq!(at(300_000).warning, Some(Warning::FiveMinutes));
        assert_eq!(at(300_000).text, "5:00 left");
        assert_eq!(at(60_001).warning, Some(Warning::FiveMinutes));
        assert_eq!(at(60_000).warning, Some(Warning::OneMinute));
        assert!(!at(1).over);
        assert_eq!(at(1).text, "0:01 left");
        assert!(at(0).over);
        assert_eq!(at(-5_000).text, "0:00 left");
        assert!(at(-5_000).over);
    }
}
