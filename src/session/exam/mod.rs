//! Sitting an exam: drawing the paper, asking its questions through the [`Prompter`] with the time left in each
//! question's header and no feedback until the end, committing each answer at once to `attempt_answers`, resuming
//! an open attempt where it stopped, closing it when the time is up (answers given after the deadline do not
//! count), refusing attempts beyond the number allowed, and scoring with partial credit ([`crate::grade::credit()`]).
//! Exam answers never touch the study review log or card states.
//!
//! The end-of-attempt summary is in `summary`; results across attempts, item analysis and the stored exam row in
//! `results`; re-scoring an attempt brought in a progress bundle in `rescore`. Attempts brought in bundles
//! (unsupervised) are counted apart: a sitting never resumes one, and they never use up the attempts allowed.

use super::ask::{ask, expected, load_lexicon, prompt, shuffle};
use super::persist::{Writes, keep};
use super::{Clock, Prompter, Question, Reply};
use crate::deck::Body;
use crate::error::{Error, Result};
use crate::exam::Exam;
use crate::grade::{self, Lexicon};
use crate::store::{self, Attempt, AttemptAnswer, Filter, Learner, Store};
use crate::time::UnixMs;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use std::collections::{HashMap, HashSet};
use summary::given_text;

mod rescore;
mod results;
mod summary;

pub use rescore::{Rescore, admit, judge, rescore};
pub use results::{
    AttemptResult, ItemSource, LearnerResult, exam_row, item_report, results, results_counting,
};
pub use summary::{ExamSummary, QuestionResult};

/// How a sitting ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ExamEnd {
    /// The attempt was closed and scored (finished, or its time ran out).
    Closed(ExamSummary),
    /// Esc: the attempt stays open, to be resumed; the clock keeps running.
    Paused,
    /// Ctrl-C: as `Paused`, and the program exits 130.
    Interrupted,
}

/// The time left, as "12:34 left" (minutes may exceed 59).
pub fn time_left(ms: i64) -> String {
    let secs = crate::time::ms_to_secs_up(ms);
    format!("{}:{:02} left", secs / 60, secs % 60)
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
            deadline: exam.time_limit.map(|m| now.plus_ms(i64::from(m) * 60_000)),
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

    /// Asks the unanswered questions of an attempt in order, then closes it.
    fn sit(&mut self, attempt: &Attempt, p: &mut dyn Prompter) -> Result<ExamEnd> {
        let answered: HashSet<u32> = store::attempt_answers(&self.store.conn, attempt.id)?
            .iter()
            .map(|a| a.position)
            .collect();
        let total = attempt.paper.len();
        let mut timed_out = false;
        for (pos, &card_id) in attempt.paper.iter().enumerate() {
            if answered.contains(&(pos as u32)) {
                continue;
            }
            let now = self.clock.now_ms();
            if attempt.deadline.is_some_and(|d| now >= d) {
                timed_out = true;
                break;
            }
            let Some(card) = store::card(&self.store.conn, card_id)? else {
                continue;
            };
            if !self.counts(&card.card.body) {
                continue;
            }
            let c = &card.card;
            let mut status = format!("question {} of {total}", pos + 1);
            if let Some(d) = attempt.deadline {
                status.push_str(&format!(" \u{b7} {}", time_left(d.since(now))));
            }
            let q = Question {
                number: pos + 1,
                deck: self.exam.title.clone(),
                kind: c.body.kind(),
                prompt: prompt(&card),
                hint: None,
                new: false,
                status: Some(status),
            };
            // Each question shuffles its choices with its own seed, so a resumed paper looks the same.
            let mut rng = ChaCha8Rng::seed_from_u64(
                attempt.seed ^ (pos as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            );
            self.lexicon(&card.deck_id)?;
            let empty = Lexicon::default();
            let lexicon = self.lexicons.get(&card.deck_id).unwrap_or(&empty);
            let answer = match ask(&card, &q, p, &mut rng, lexicon)? {
                Reply::Answer(a) => a,
                Reply::Quit => {
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
                    return Ok(ExamEnd::Paused);
                }
                Reply::Interrupt => return Ok(ExamEnd::Interrupted),
            };
            let answered_at = self.clock.now_ms();
            if attempt.deadline.is_some_and(|d| answered_at > d) {
                p.message("Time is up: that answer came after the deadline and does not count.");
                timed_out = true;
                break;
            }
            let correct = answer.verdict.correct;
            let row = AttemptAnswer {
                attempt_id: attempt.id,
                position: pos as u32,
                card_id,
                response: answer.response.to_string(),
                credit: grade::credit(&c.body, &answer.response, correct),
                correct,
                answered_at,
                duration_ms: answered_at.since(now).max(0),
            };
            // Kept through a busy or full disk with the time it was given: it counts even if the deadline passes
            // while it waits to be written.
            let what = format!(
                "your answer to question {} of exam {} (attempt {} stays open: `detente exam run {} --learner {}` \
                 goes on)",
                pos + 1,
                self.exam.id,
                attempt.number,
                self.exam.id,
                crate::text::shell_word(&self.learner.name)
            );
            keep(self, p, "Your answer", &what, |s| {
                let tx = s.store.write()?;
                store::insert_answer(&tx, &row)?;
                Ok(tx.commit()?)
            })?;
        }
        self.close(attempt, timed_out, p)
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
