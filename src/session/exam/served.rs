//! Exams the class server runs, on the server's side: the attempt started or resumed (the paper drawn on the
//! server, its seed never sent), one question at a time with no answer field and its options shuffled here, each
//! answer checked against the attempt's sequence numbers and graded by the checker a local sitting uses, the
//! deadline the server's own (start plus the limit and any extra time, capped by the exam's close; an answer later
//! than the deadline plus [`GRACE_MS`] refused), the submission and what it shows by the exam's `review`, and the
//! closer that ends attempts at their deadline with nobody online. Every function takes the time (the server's
//! `Clock`) and the caller's roster learner; the routes are in `server::routes::exams`.
//!
//! One concern: one attempt's life on the server, start to close, whose rules (the deadline, the grace, the
//! sequence numbers, what is shown when) must be read together to be trusted.

use super::summary::given_text;
use super::wire::{
    Ack, AnswerSent, AttemptView, EntryView, ExamListing, GRACE_MS, Outcome, QuestionView,
};
use super::{ExamSummary, QuestionResult, draw_paper, filter};
use crate::deck::Body;
use crate::error::{Error, Result};
use crate::exam::{Exam, Navigation, Review};
use crate::grade::{self, Lexicon};
use crate::session::ask::{expected, prompt, shuffle};
use crate::store::{Attempt, AttemptAnswer, ExamRecords, Learner, StoredCard};
use crate::time::UnixMs;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use serde_json::Value;

/// Why the server refuses a request about an attempt; each is one HTTP status (see `docs/server.md`).
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// 404: no such exam or question.
    NotFound(String),
    /// 403: no attempt may be started (all used, or the exam closed).
    Forbidden(String),
    /// 409: no open attempt, a stale sequence number, a question sequential navigation does not allow now.
    Conflict(String),
    /// 410: the answer came after the deadline and its grace; the attempt is closed.
    Late(String),
    /// 422: a response of the wrong shape for its question.
    Invalid(String),
}

/// A served request's answer: the value, or the refusal.
pub type Served<T> = std::result::Result<T, Refused>;

/// An attempt's deadline: its start plus the time limit and the learner's extra minutes, never after the exam's
/// close; `None` for an untimed exam with no close.
pub fn deadline(exam: &Exam, started: UnixMs, extra_minutes: u32) -> Option<UnixMs> {
    let limit = exam
        .time_limit
        .map(|m| started.plus_ms((i64::from(m) + i64::from(extra_minutes)) * 60_000));
    match (limit, exam.closes) {
        (Some(l), Some(c)) => Some(UnixMs(l.0.min(c.0))),
        (l, c) => l.or(c),
    }
}

/// The options of a question as the server shows them: a choice's or multi's choices, an order's items or a
/// match's right-hand sides, sorted and then shuffled with the attempt's seed and the position, so that which one
/// is right (or the order written in the deck) changes nothing that is sent. A match's left-hand sides keep the
/// deck's order.
pub fn options(card: &StoredCard, seed: u64, pos: usize) -> (Vec<String>, Vec<String>) {
    let mut rng =
        ChaCha8Rng::seed_from_u64(seed ^ (pos as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut sorted = |mut v: Vec<String>| {
        v.sort();
        shuffle(&mut v, &mut rng);
        v
    };
    match &card.card.body {
        Body::Choice { choices, .. } | Body::Multi { choices, .. } => {
            (sorted(choices.clone()), Vec::new())
        }
        Body::Order { items } => (sorted(items.clone()), Vec::new()),
        Body::Match { pairs } => (
            sorted(pairs.iter().map(|(_, r)| r.clone()).collect()),
            pairs.iter().map(|(l, _)| l.clone()).collect(),
        ),
        _ => (Vec::new(), Vec::new()),
    }
}

/// Grades a response sent for a card with the checker a local sitting uses; `None` for a response of the wrong
/// shape for its kind.
pub fn judge(card: &StoredCard, response: &Value, lexicon: &Lexicon) -> Option<bool> {
    let c = &card.card;
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    Some(match &c.body {
        Body::Flashcard { .. } => return None,
        Body::Choice { answer, .. } => response.as_str()? == answer,
        Body::Multi { answers, .. } => {
            let picked = strings(response)?;
            picked.len() == answers.len() && answers.iter().all(|a| picked.contains(a))
        }
        Body::Truefalse { answer } => response.as_bool()? == *answer,
        Body::Text { answers, reject } => {
            lexicon.check(response.as_str()?, answers, reject).correct
        }
        Body::Cloze { reject } => {
            lexicon
                .check_cloze(response.as_str()?, &c.prompt, card.sibling, reject)
                .correct
        }
        Body::Number { answer, tolerance } => {
            grade::check_number_asked(&c.prompt, response.as_str()?, *answer, *tolerance).correct
        }
        Body::Order { items } => strings(response)? == *items,
        Body::Match { pairs } => {
            let given: Vec<(String, String)> = response
                .as_array()?
                .iter()
                .map(|p| {
                    let p = strings(p)?;
                    match p.as_slice() {
                        [l, r] => Some((l.clone(), r.clone())),
                        _ => None,
                    }
                })
                .collect::<Option<_>>()?;
            given == *pairs
        }
    })
}

/// Runs `work` on the loaded exam `id` for the roster learner `name` (`learner`: that learner as the caller's
/// database found them, before `store` was opened for them) at `now`: a missing exam is 404, a name not on the
/// roster 403, whatever the database.
pub fn sitting<T>(
    store: &mut dyn ExamRecords,
    id: &str,
    name: &str,
    learner: Option<Learner>,
    now: UnixMs,
    work: impl FnOnce(&mut dyn ExamRecords, &Exam, &Learner, UnixMs) -> Result<Served<T>>,
) -> Result<Served<T>> {
    let Some(row) = store.exam(id)? else {
        return Ok(Err(Refused::NotFound(format!(
            "this server has no exam {id} (see `detente exam list`)"
        ))));
    };
    let exam: Exam = serde_json::from_str(&row.definition)
        .map_err(|e| Error::InvalidData(format!("exam {id} is stored damaged: {e}")))?;
    let Some(learner) = learner else {
        return Ok(Err(Refused::Forbidden(format!("no roster learner {name}"))));
    };
    work(store, &exam, &learner, now)
}

/// The exams loaded on the server, as `GET /v1/exams` lists them.
pub fn listing(store: &mut dyn ExamRecords) -> Result<Vec<ExamListing>> {
    let mut out = Vec::new();
    for row in store.exams()? {
        let Ok(exam) = serde_json::from_str::<Exam>(&row.definition) else {
            continue;
        };
        out.push(ExamListing {
            study_decks: store.study_decks_drawn(&filter(&exam))?,
            id: exam.id,
            title: exam.title,
            questions: exam.questions,
            time_limit: exam.time_limit,
            attempts: exam.attempts,
            grading: exam.grading.as_str().to_string(),
            pass_mark: exam.pass_mark,
            navigation: exam.navigation,
            closes: exam.closes,
            review: exam.review,
        });
    }
    Ok(out)
}

/// Closes every attempt whose deadline and grace have passed by `now`, at its deadline (the closer, every second,
/// and at the server's start for attempts that ran out while it was down). Returns how many it closed.
pub fn close_due(store: &mut dyn ExamRecords, now: UnixMs) -> Result<usize> {
    store.close_expired(now, GRACE_MS)
}

/// The learner's open attempt at the exam, after closing any that ran out.
fn open_attempt(
    store: &mut dyn ExamRecords,
    exam: &Exam,
    learner: &Learner,
    now: UnixMs,
) -> Result<Option<Attempt>> {
    close_due(store, now)?;
    Ok(store
        .supervised_attempts(&exam.id, learner.id)?
        .into_iter()
        .find(|a| a.closed_at.is_none()))
}

/// The open attempt for a question or an answer, or the refusal: late (410) once its deadline and grace have passed,
/// whether the closer has closed it yet or not; none open (409) otherwise.
fn require_open(
    store: &mut dyn ExamRecords,
    exam: &Exam,
    learner: &Learner,
    now: UnixMs,
) -> Result<Served<Attempt>> {
    let attempts = store.supervised_attempts(&exam.id, learner.id)?;
    let last = attempts.last();
    if let Some(a) = last.filter(|a| late(a, now)) {
        if a.closed_at.is_none() {
            close_due(store, now)?;
        }
        if a.closed_at.is_none() || a.closed_at == a.deadline {
            return Ok(Err(Refused::Late(format!(
                "the time for attempt {} at exam {} is up (the deadline and its {} s grace have passed): the \
                 answer does not count, and the attempt is closed",
                a.number,
                exam.id,
                GRACE_MS / 1000
            ))));
        }
    }
    Ok(last
        .filter(|a| a.closed_at.is_none())
        .cloned()
        .ok_or_else(|| {
            Refused::Conflict(format!(
                "you have no open attempt at exam {} (`detente exam run {}` starts one if another is allowed)",
                exam.id, exam.id
            ))
        }))
}

/// The cards of a paper, by position (a card deleted since is `None`).
fn paper_cards(store: &mut dyn ExamRecords, attempt: &Attempt) -> Result<Vec<Option<StoredCard>>> {
    attempt.paper.iter().map(|&id| store.card(id)).collect()
}

/// `POST /v1/exams/ID/attempt`: resumes the learner's open attempt, or starts one (the paper drawn here from the
/// exam's seed and the learner's name, flashcards never on a served paper: they are self-graded).
pub fn start(
    store: &mut dyn ExamRecords,
    exam: &Exam,
    learner: &Learner,
    now: UnixMs,
) -> Result<Served<AttemptView>> {
    let (attempt, resumed) = match open_attempt(store, exam, learner, now)? {
        Some(open) => (open, true),
        None => {
            if exam.closes.is_some_and(|c| now >= c) {
                return Ok(Err(Refused::Forbidden(format!(
                    "exam {} has closed",
                    exam.id
                ))));
            }
            let sat = store.supervised_attempts(&exam.id, learner.id)?.len();
            if let Some(max) = exam.attempts
                && sat >= max as usize
            {
                return Ok(Err(Refused::Forbidden(format!(
                    "you have used all {max} attempt{} allowed at exam {}",
                    if max == 1 { "" } else { "s" },
                    exam.id
                ))));
            }
            let pool = store.exam_pool(&filter(exam), false)?;
            let seed = exam.paper_seed(&learner.name);
            let paper = draw_paper(&pool, exam.questions as usize, seed);
            if paper.is_empty() {
                return Ok(Err(Refused::NotFound(format!(
                    "exam {} has no questions: its decks and tags match no card",
                    exam.id
                ))));
            }
            let extra = store.extra_minutes(&exam.id, learner.id)?;
            let mut attempt = Attempt {
                id: 0,
                exam_id: exam.id.clone(),
                learner_id: learner.id,
                number: store.next_attempt_number(&exam.id, learner.id)?,
                seed,
                paper,
                started_at: now,
                deadline: deadline(exam, now, extra),
                closed_at: None,
                score: None,
                max_score: None,
                unsupervised: false,
            };
            attempt.id = store.insert_attempt(&attempt)?;
            (attempt, false)
        }
    };
    let answers = answers_by_position(store, &attempt)?;
    let seqs = store.answer_seqs(attempt.id)?;
    let mut entries = Vec::new();
    for (pos, card) in paper_cards(store, &attempt)?.into_iter().enumerate() {
        let p = pos as u32;
        entries.push(EntryView {
            number: p + 1,
            kind: card.map_or("text", |c| c.card.body.kind()).to_string(),
            seq: seqs.get(&p).copied().unwrap_or(0),
            answered: answers
                .get(&p)
                .map(|a| given_text(&Body::Truefalse { answer: false }, &a.response)),
        });
    }
    Ok(Ok(AttemptView {
        exam: exam.id.clone(),
        title: exam.title.clone(),
        attempt: attempt.number,
        attempts_allowed: exam.attempts,
        navigation: exam.navigation,
        deadline: attempt.deadline,
        server_now: now,
        grace_ms: GRACE_MS,
        resumed,
        entries,
    }))
}

fn answers_by_position(
    store: &mut dyn ExamRecords,
    attempt: &Attempt,
) -> Result<std::collections::HashMap<u32, AttemptAnswer>> {
    Ok(store
        .attempt_answers(attempt.id)?
        .into_iter()
        .map(|a| (a.position, a))
        .collect())
}

/// Whether the time for answers has gone: after the deadline and its grace.
fn late(attempt: &Attempt, now: UnixMs) -> bool {
    attempt.deadline.is_some_and(|d| now.0 > d.0 + GRACE_MS)
}

/// The position of question `number` if the learner may see or answer it now: any with free navigation; with
/// sequential navigation only the first unanswered one.
fn allowed(
    exam: &Exam,
    attempt: &Attempt,
    answered: &std::collections::HashMap<u32, AttemptAnswer>,
    number: u32,
) -> Served<usize> {
    let n = attempt.paper.len() as u32;
    if number == 0 || number > n {
        return Err(Refused::NotFound(format!(
            "the paper has questions 1 to {n}, not {number}"
        )));
    }
    if exam.navigation == Navigation::Sequential {
        let next = (0..n).find(|p| !answered.contains_key(p)).map(|p| p + 1);
        if next != Some(number) {
            return Err(Refused::Conflict(match next {
                Some(next) => format!(
                    "this exam's questions come one after another, each answered once: question {next} is next"
                ),
                None => "every question is answered: submit the attempt".to_string(),
            }));
        }
    }
    Ok(number as usize - 1)
}

/// `GET /v1/exams/ID/attempt/questions/N`: one question, no answer field.
pub fn question(
    store: &mut dyn ExamRecords,
    exam: &Exam,
    learner: &Learner,
    number: u32,
    now: UnixMs,
) -> Result<Served<QuestionView>> {
    let attempt = match require_open(store, exam, learner, now)? {
        Ok(a) => a,
        Err(r) => return Ok(Err(r)),
    };
    let answers = answers_by_position(store, &attempt)?;
    let pos = match allowed(exam, &attempt, &answers, number) {
        Ok(p) => p,
        Err(r) => return Ok(Err(r)),
    };
    let Some(card) = store.card(attempt.paper[pos])? else {
        return Ok(Err(Refused::NotFound(format!(
            "question {number} was removed from the course"
        ))));
    };
    let (options, lefts) = options(&card, attempt.seed, pos);
    let seqs = store.answer_seqs(attempt.id)?;
    Ok(Ok(QuestionView {
        number,
        of: attempt.paper.len() as u32,
        kind: card.card.body.kind().to_string(),
        prompt: prompt(&card),
        options,
        lefts,
        seq: seqs.get(&(pos as u32)).copied().unwrap_or(0),
        answered: answers
            .get(&(pos as u32))
            .map(|a| given_text(&card.card.body, &a.response)),
    }))
}

/// `POST /v1/exams/ID/attempt/answers/N`: keeps an answer, graded but never telling how. The sequence number
/// decides: the one kept again is a duplicate, acknowledged as the first was (nothing written); a lower one is
/// stale and refused; a higher one is a changed answer (free navigation only: sequential questions are answered
/// once).
pub fn answer(
    store: &mut dyn ExamRecords,
    exam: &Exam,
    learner: &Learner,
    number: u32,
    sent: &AnswerSent,
    now: UnixMs,
) -> Result<Served<Ack>> {
    let attempt = match require_open(store, exam, learner, now)? {
        Ok(a) => a,
        Err(r) => return Ok(Err(r)),
    };
    let pos = number.wrapping_sub(1);
    let kept = store
        .answer_seqs(attempt.id)?
        .get(&pos)
        .copied()
        .unwrap_or(0);
    if kept > 0 && sent.seq == kept {
        return Ok(Ok(Ack {
            question: number,
            seq: kept,
        }));
    }
    if sent.seq < kept || sent.seq == 0 {
        return Ok(Err(Refused::Conflict(format!(
            "answer {} to question {number} is stale: answer {kept} is kept",
            sent.seq
        ))));
    }
    let answers = answers_by_position(store, &attempt)?;
    if kept > 0 && exam.navigation == Navigation::Sequential {
        return Ok(Err(Refused::Conflict(format!(
            "question {number} is answered, and this exam's questions are answered once"
        ))));
    }
    let pos = match allowed(exam, &attempt, &answers, number) {
        Ok(p) => p,
        Err(r) => return Ok(Err(r)),
    };
    let Some(card) = store.card(attempt.paper[pos])? else {
        return Ok(Err(Refused::NotFound(format!(
            "question {number} was removed from the course"
        ))));
    };
    let (aliases, known, words) = store.deck_answers(&card.deck_id)?;
    let lexicon = Lexicon::with_known(&aliases, known).with_vocabulary(words);
    let Some(correct) = judge(&card, &sent.response, &lexicon) else {
        return Ok(Err(Refused::Invalid(format!(
            "that is not an answer to a {} question",
            card.card.body.kind()
        ))));
    };
    let row = AttemptAnswer {
        attempt_id: attempt.id,
        position: pos as u32,
        card_id: card.id,
        response: sent.response.to_string(),
        credit: grade::credit(&card.card.body, &sent.response, correct),
        correct,
        answered_at: now,
        // The time since the attempt's last answer (or its start): what this answer took, as the server saw it.
        duration_ms: now
            .since(
                answers
                    .values()
                    .map(|a| a.answered_at)
                    .fold(attempt.started_at, |a, b| UnixMs(a.0.max(b.0))),
            )
            .max(0),
    };
    store.put_served_answer(&row, sent.seq)?;
    Ok(Ok(Ack {
        question: number,
        seq: sent.seq,
    }))
}

/// `POST /v1/exams/ID/attempt/submit`: closes the open attempt (at the deadline if it has passed) and scores it; an
/// attempt the deadline closed already is answered as `review` answers it.
pub fn submit(
    store: &mut dyn ExamRecords,
    exam: &Exam,
    learner: &Learner,
    now: UnixMs,
) -> Result<Served<Outcome>> {
    let attempt = match require_open(store, exam, learner, now)? {
        Ok(a) => a,
        // Closed at its deadline already: what it came to.
        Err(Refused::Late(_)) => return review(store, exam, learner, now),
        Err(r) => return Ok(Err(r)),
    };
    let timed_out = attempt.deadline.is_some_and(|d| now >= d);
    let closed_at = match attempt.deadline {
        Some(d) if timed_out => d,
        _ => now,
    };
    let summary = summary(store, exam, &attempt, timed_out)?;
    store.close_attempt(attempt.id, closed_at, summary.score, summary.max_score)?;
    Ok(Ok(outcome(
        exam, &attempt, closed_at, timed_out, summary, now,
    )))
}

/// `GET /v1/exams/ID/review`: the learner's last closed attempt, with its results if the exam's `review` allows
/// them now.
pub fn review(
    store: &mut dyn ExamRecords,
    exam: &Exam,
    learner: &Learner,
    now: UnixMs,
) -> Result<Served<Outcome>> {
    close_due(store, now)?;
    let Some(attempt) = store
        .supervised_attempts(&exam.id, learner.id)?
        .into_iter()
        .rev()
        .find(|a| a.closed_at.is_some())
    else {
        return Ok(Err(Refused::NotFound(format!(
            "you have no closed attempt at exam {}",
            exam.id
        ))));
    };
    let closed_at = attempt.closed_at.unwrap_or(now);
    let timed_out = attempt.deadline.is_some_and(|d| closed_at >= d);
    let summary = summary(store, exam, &attempt, timed_out)?;
    Ok(Ok(outcome(
        exam, &attempt, closed_at, timed_out, summary, now,
    )))
}

/// What the learner is shown of a closed attempt at `now`: everything, or (with `review = "after-close"` before
/// the exam closes) only that it was submitted and when the results come.
fn outcome(
    exam: &Exam,
    attempt: &Attempt,
    closed_at: UnixMs,
    timed_out: bool,
    summary: ExamSummary,
    now: UnixMs,
) -> Outcome {
    let withheld = match (exam.review, exam.closes) {
        (Review::AfterClose, Some(c)) if now < c => Some(c),
        _ => None,
    };
    Outcome {
        exam: exam.id.clone(),
        attempt: attempt.number,
        closed_at,
        timed_out,
        summary: if withheld.is_some() {
            None
        } else {
            Some(summary)
        },
        review_from: withheld,
    }
}

/// The attempt's results: each question with the answer given (counted if kept by the end of the deadline's
/// grace), the right answer, and the credit.
fn summary(
    store: &mut dyn ExamRecords,
    exam: &Exam,
    attempt: &Attempt,
    timed_out: bool,
) -> Result<ExamSummary> {
    let answers = answers_by_position(store, attempt)?;
    let mut questions = Vec::new();
    for (pos, card) in paper_cards(store, attempt)?.into_iter().enumerate() {
        let Some(card) = card else { continue };
        let a = answers.get(&(pos as u32)).filter(|a| {
            attempt
                .deadline
                .is_none_or(|d| a.answered_at.0 <= d.0 + GRACE_MS)
        });
        questions.push(QuestionResult {
            number: pos + 1,
            kind: card.card.body.kind().into(),
            prompt: prompt(&card),
            given: a.map(|a| given_text(&card.card.body, &a.response)),
            expected: expected(&card),
            credit: a.map_or(0.0, |a| a.credit),
        });
    }
    let score: f64 = questions.iter().map(|q| q.credit).sum();
    let max_score = questions.len() as f64;
    let share = if max_score > 0.0 {
        score / max_score
    } else {
        0.0
    };
    Ok(ExamSummary {
        exam: exam.id.clone(),
        title: exam.title.clone(),
        attempt: attempt.number,
        attempts_allowed: exam.attempts,
        score,
        max_score,
        percent: share * 100.0,
        pass_mark: exam.pass_mark,
        passed: exam.passes(share),
        timed_out,
        self_graded: false,
        questions,
    })
}

/// A teacher's extra time for one learner: recorded (by whom, when), and the learner's open attempt's deadline
/// moved to match. Returns the open attempt's new deadline, if one is open.
pub fn extra_time(
    store: &mut dyn ExamRecords,
    exam: &Exam,
    learner: &Learner,
    minutes: u32,
    by: &str,
    now: UnixMs,
) -> Result<Option<UnixMs>> {
    close_due(store, now)?;
    let open = store
        .supervised_attempts(&exam.id, learner.id)?
        .into_iter()
        .find(|a| a.closed_at.is_none());
    let open = open.map(|a| (a.id, deadline(exam, a.started_at, minutes)));
    store.grant_extra_time(&exam.id, learner.id, minutes, by, now, open)?;
    Ok(open.and_then(|(_, d)| d))
}
