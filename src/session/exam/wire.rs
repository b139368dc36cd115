//! The JSON values of exams the class server runs (`/v1/exams/...`, see `docs/server.md`), shared by the server's
//! side (`served`) and the client's (`remote`). No value sent while an attempt is open carries an answer field, a
//! verdict or the paper's seed.

use super::ExamSummary;
use crate::exam::{Navigation, Review};
use crate::time::UnixMs;
use serde::{Deserialize, Serialize};

/// An answer that reaches the server up to this long after the deadline still counts (the time for a request
/// sent just before the deadline to arrive); a later one is refused. The closer closes an attempt this long after
/// its deadline, with its close time the deadline itself.
pub const GRACE_MS: i64 = 2_000;

/// One exam as `GET /v1/exams` lists it (never its seed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExamListing {
    pub id: String,
    pub title: String,
    pub questions: u32,
    pub time_limit: Option<u32>,
    pub attempts: Option<u32>,
    pub grading: String,
    pub pass_mark: f64,
    pub navigation: Navigation,
    pub closes: Option<UnixMs>,
    pub review: Review,
    /// The study decks (not exam-only) it draws on: when any, the exam is open-book.
    pub study_decks: Vec<String>,
}

/// `POST /v1/exams/ID/attempt`: the learner's open attempt, started or resumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptView {
    pub exam: String,
    pub title: String,
    pub attempt: u32,
    pub attempts_allowed: Option<u32>,
    pub navigation: Navigation,
    /// The server's deadline (start + limit + any extra time, capped by the exam's close); `None` untimed.
    pub deadline: Option<UnixMs>,
    /// The server's clock when it answered: the client shows the time left by it, never by its own clock.
    pub server_now: UnixMs,
    pub grace_ms: i64,
    /// Whether the attempt was open already (resumed).
    pub resumed: bool,
    pub entries: Vec<EntryView>,
}

/// One question of an open attempt, as the summary page needs it: never its prompt's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryView {
    /// 1 for the first question.
    pub number: u32,
    pub kind: String,
    /// The sequence number of the answer kept (0: unanswered).
    pub seq: u32,
    /// The answer kept, as text.
    pub answered: Option<String>,
}

/// `GET /v1/exams/ID/attempt/questions/N`: one question with no answer field, its options already in the order
/// shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionView {
    pub number: u32,
    pub of: u32,
    pub kind: String,
    pub prompt: String,
    /// Choices, items to order, or a match's right-hand sides, shuffled on the server.
    pub options: Vec<String>,
    /// A match's left-hand sides, in the deck's order.
    pub lefts: Vec<String>,
    pub seq: u32,
    pub answered: Option<String>,
}

/// `POST /v1/exams/ID/attempt/answers/N`: an answer with its sequence number on that question (1 for the first,
/// one more for each change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerSent {
    pub seq: u32,
    pub response: serde_json::Value,
}

/// The acknowledgement of an answer kept: the same for a duplicate of it, and never a verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    pub question: u32,
    pub seq: u32,
}

/// `POST /v1/exams/ID/attempt/submit` and `GET /v1/exams/ID/review`: a closed attempt, with its results when the
/// exam's `review` allows them now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub exam: String,
    pub attempt: u32,
    pub closed_at: UnixMs,
    pub timed_out: bool,
    /// Score, right answers and feedback; `None` until the exam closes when its `review` is `after-close`.
    pub summary: Option<ExamSummary>,
    /// When the results can be seen, if not yet.
    pub review_from: Option<UnixMs>,
}

/// `POST /v1/teacher/exam-extra-time`: extra minutes for one learner at one exam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtraTime {
    pub exam: String,
    pub learner: String,
    pub minutes: u32,
}
