//! Sitting an exam: drawing the paper, asking its questions through the [`Prompter`] with the time left in each
//! question's header and no feedback until the end, committing each answer at once to `attempt_answers`, resuming
//! an open attempt where it stopped, closing it when the time is up (answers given after the deadline do not
//! count), refusing attempts beyond the number allowed, and scoring with partial credit ([`crate::grade::credit`]).
//! Exam answers never touch the study review log or card states.

use super::{Clock, Prompter, Question, Reply, ask, expected};
use crate::deck::{Body, cloze_question};
use crate::error::{Error, Result};
use crate::exam::Exam;
use crate::grade::{self, Lexicon};
use crate::store::{self, Attempt, AttemptAnswer, Filter, Learner, Store};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet};

/// One question of a closed attempt, for the summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QuestionResult {
    pub number: usize,
    pub kind: String,
    pub prompt: String,
    /// What was answered, as text; `None` when the question was not answered.
    pub given: Option<String>,
    pub expected: String,
    pub credit: f64,
}

/// The result of a closed attempt: the only feedback an exam gives.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExamSummary {
    pub exam: String,
    pub title: String,
    pub attempt: u32,
    pub attempts_allowed: Option<u32>,
    pub score: f64,
    pub max_score: f64,
    pub percent: f64,
    pub pass_mark: f64,
    pub passed: bool,
    /// The time limit ended the attempt.
    pub timed_out: bool,
    /// Flashcards the learner graded themselves were scored.
    pub self_graded: bool,
    pub questions: Vec<QuestionResult>,
}

impl ExamSummary {
    /// The summary as plain text: score, percent, pass or fail, then each question right or wrong with the
    /// expected answer.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.timed_out {
            out.push_str("Time is up: unanswered questions count as wrong.\n");
        }
        let of = self
            .attempts_allowed
            .map_or(String::new(), |n| format!(" of {n}"));
        out.push_str(&format!(
            "Exam over: {} (attempt {}{of})\nScore: {} / {} ({:.0}%): {} (pass mark {:.0}%)\n",
            self.title,
            self.attempt,
            points(self.score),
            points(self.max_score),
            self.percent,
            if self.passed { "PASS" } else { "FAIL" },
            self.pass_mark
        ));
        if self.self_graded {
            out.push_str("The score includes flashcards you graded yourself.\n");
        }
        for q in &self.questions {
            let mark = if q.credit >= 1.0 - 1e-9 {
                "\u{2713}".to_string()
            } else if q.credit > 0.0 {
                format!("~ {}", points(q.credit))
            } else {
                "\u{2717}".to_string()
            };
            let prompt = q.prompt.replace('\n', " ");
            out.push_str(&format!("{:>3}. {mark} {prompt}\n", q.number));
            if q.credit < 1.0 - 1e-9 {
                let given = q.given.as_deref().unwrap_or("(no answer)");
                out.push_str(&format!(
                    "       your answer: {given}\n       expected: {}\n",
                    q.expected
                ));
            }
        }
        out.trim_end().to_string()
    }
}

/// Points with at most two decimals: "7", "7.5", "6.67".
fn points(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
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
}

/// The time left, as "12:34 left" (minutes may exceed 59).
pub fn time_left(ms: i64) -> String {
    let secs = (ms.max(0) + 999) / 1000;
    format!("{}:{:02} left", secs / 60, secs % 60)
}

/// Draws a paper: the pool shuffled with the seed, then the first `n` items with no two siblings of one card
/// (a cloze's other blanks would give its answer away). Reproducible from the seed.
pub fn draw_paper(pool: &[(i64, String)], n: usize, seed: u64) -> Vec<i64> {
    let mut items: Vec<&(i64, String)> = pool.iter().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
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

/// What a stored response says, as text.
fn given_text(body: &Body, response: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(response).unwrap_or(serde_json::Value::Null);
    match (body, &v) {
        (Body::Flashcard { .. }, serde_json::Value::Number(n)) => {
            if n.as_u64().unwrap_or(0) > 1 {
                "knew it (self-graded)".into()
            } else {
                "did not know it (self-graded)".into()
            }
        }
        (_, serde_json::Value::String(s)) => s.clone(),
        (_, serde_json::Value::Bool(b)) => if *b { "True" } else { "False" }.into(),
        (_, serde_json::Value::Array(items)) if items.is_empty() => "(nothing)".into(),
        (_, serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(pair) => pair
                    .iter()
                    .filter_map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(" \u{2192} "),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        (_, other) => other.to_string(),
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
    /// says so), and runs it to its end. An open attempt past its deadline is closed and scored at once.
    pub fn run(mut self, p: &mut dyn Prompter) -> Result<ExamEnd> {
        let exam = self.exam;
        let now = self.clock.now_ms();
        let attempts = store::attempts(&self.store.conn, &exam.id, self.learner.id)?;
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
                self.start(attempts.len() as u32 + 1, now)?
            }
        };
        self.sit(&attempt, p)
    }

    fn start(&mut self, number: u32, now: i64) -> Result<Attempt> {
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
            deadline: exam.time_limit.map(|m| now + i64::from(m) * 60_000),
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
            self.lexicons.insert(
                deck.to_string(),
                super::load_lexicon(&self.store.conn, deck)?,
            );
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
            let prompt = match (&c.body, card.sibling) {
                (Body::Cloze { .. }, s) => cloze_question(&c.prompt, s),
                (Body::Flashcard { answer, .. }, 1) => answer.clone(),
                _ => c.prompt.clone(),
            };
            let mut status = format!("question {} of {total}", pos + 1);
            if let Some(d) = attempt.deadline {
                status.push_str(&format!(" \u{b7} {}", time_left(d - now)));
            }
            let q = Question {
                number: pos + 1,
                deck: self.exam.title.clone(),
                kind: c.body.kind(),
                prompt,
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
                duration_ms: (answered_at - now).max(0),
            };
            let tx = self.store.write()?;
            store::insert_answer(&tx, &row)?;
            tx.commit()?;
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
            let prompt = match (&card.card.body, card.sibling) {
                (Body::Cloze { .. }, s) => cloze_question(&card.card.prompt, s),
                (Body::Flashcard { answer, .. }, 1) => answer.clone(),
                _ => card.card.prompt.clone(),
            };
            questions.push(QuestionResult {
                number: pos + 1,
                kind: card.card.body.kind().into(),
                prompt,
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
        let tx = self.store.write()?;
        store::close_attempt(&tx, attempt.id, closed_at, score, max_score)?;
        tx.commit()?;
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

/// One attempt in the results.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AttemptResult {
    pub number: u32,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    /// `None` while the attempt is open.
    pub percent: Option<f64>,
    pub open: bool,
    pub started_at_ms: i64,
    pub closed_at_ms: Option<i64>,
    /// Sat on the learner's own machine and brought in a progress bundle.
    pub unsupervised: bool,
}

/// A learner's results at an exam.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LearnerResult {
    pub learner: String,
    pub attempts: Vec<AttemptResult>,
    /// The grade by the exam's method, in percent, over closed attempts; `None` without any.
    pub grade: Option<f64>,
    pub grading: &'static str,
    pub passed: Option<bool>,
}

/// Every learner's results at an exam, by name.
pub fn results(store: &Store, exam: &Exam) -> Result<Vec<LearnerResult>> {
    let mut out: Vec<LearnerResult> = Vec::new();
    for (name, a) in store::exam_attempts(&store.conn, &exam.id)? {
        if out.last().is_none_or(|l| l.learner != name) {
            out.push(LearnerResult {
                learner: name.clone(),
                attempts: Vec::new(),
                grade: None,
                grading: exam.grading.as_str(),
                passed: None,
            });
        }
        let percent = match (a.score, a.max_score) {
            (Some(s), Some(m)) if a.closed_at.is_some() && m > 0.0 => Some(s / m * 100.0),
            _ => None,
        };
        if let Some(l) = out.last_mut() {
            l.attempts.push(AttemptResult {
                number: a.number,
                score: a.score,
                max_score: a.max_score,
                percent,
                open: a.closed_at.is_none(),
                started_at_ms: a.started_at,
                closed_at_ms: a.closed_at,
                unsupervised: a.unsupervised,
            });
        }
    }
    for l in &mut out {
        let shares: Vec<f64> = l
            .attempts
            .iter()
            .filter_map(|a| a.percent.map(|p| p / 100.0))
            .collect();
        let grade = exam.grading.combine(&shares);
        l.grade = grade.map(|g| g * 100.0);
        l.passed = grade.map(|g| exam.passes(g));
    }
    Ok(out)
}

/// What item analysis reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ItemSource<'a> {
    /// The closed attempts at an exam; each attempt is a respondent and its score the total.
    Exam(&'a str),
    /// Each learner's first study answer to each card of a deck (right 1, wrong 0); each learner is a respondent
    /// and the share of their first answers that were right is the total.
    Deck(&'a str),
}

/// Item analysis of an exam's attempts or a deck's first study answers: see [`crate::exam::analysis`].
pub fn item_report(
    store: &Store,
    source: ItemSource<'_>,
) -> Result<Vec<crate::exam::analysis::ItemStats>> {
    use crate::exam::analysis::{Item, Response, analyse};
    let (responses, mean_totals) = match source {
        ItemSource::Exam(id) => (store::exam_responses(&store.conn, id)?, false),
        ItemSource::Deck(id) => (store::deck_first_responses(&store.conn, id)?, true),
    };
    let mut sums: HashMap<i64, (f64, u32)> = HashMap::new();
    for r in &responses {
        let e = sums.entry(r.respondent).or_default();
        e.0 += r.credit;
        e.1 += 1;
    }
    let totals: HashMap<i64, f64> = sums
        .into_iter()
        .map(|(k, (sum, n))| {
            (
                k,
                if mean_totals {
                    sum / f64::from(n.max(1))
                } else {
                    sum
                },
            )
        })
        .collect();
    let mut order: Vec<i64> = Vec::new();
    let mut by_card: HashMap<i64, Vec<Response>> = HashMap::new();
    for r in responses {
        let picked = serde_json::from_str::<serde_json::Value>(&r.response)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string));
        by_card
            .entry(r.card_id)
            .or_insert_with(|| {
                order.push(r.card_id);
                Vec::new()
            })
            .push(Response {
                respondent: r.respondent,
                credit: r.credit,
                picked,
            });
    }
    order.sort_unstable();
    let mut items = Vec::new();
    for id in order {
        let Some(card) = store::card(&store.conn, id)? else {
            continue;
        };
        let (choices, answer) = match &card.card.body {
            Body::Choice { choices, answer } => (choices.clone(), Some(answer.clone())),
            _ => (Vec::new(), None),
        };
        let label = if card.sibling == 0 {
            card.note_key()
        } else {
            format!("{}#{}", card.note_key(), card.sibling)
        };
        let prompt = match (&card.card.body, card.sibling) {
            (Body::Cloze { .. }, s) => cloze_question(&card.card.prompt, s),
            _ => card.card.prompt.clone(),
        };
        items.push(Item {
            card_id: id,
            label,
            kind: card.card.body.kind().into(),
            prompt,
            choices,
            answer,
            responses: by_card.remove(&id).unwrap_or_default(),
        });
    }
    Ok(analyse(&items, &totals))
}

/// The row an exam definition is stored as.
pub fn exam_row(exam: &Exam, now: i64) -> Result<store::ExamRow> {
    Ok(store::ExamRow {
        id: exam.id.clone(),
        title: exam.title.clone(),
        definition: serde_json::to_string(exam)
            .map_err(|e| Error::InvalidData(format!("exam {}: {e}", exam.id)))?,
        content_hash: exam.content_hash(),
        questions: exam.questions,
        time_limit: exam.time_limit.map(|m| i64::from(m) * 60),
        attempts: exam.attempts,
        grading: exam.grading.as_str().into(),
        pass_mark: Some(exam.pass_mark / 100.0),
        loaded_at: now,
    })
}
