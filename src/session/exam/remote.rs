//! Sitting an exam the class server runs, on the client's side: the same [`Prompter`] (so the same terminal screen,
//! its clock ticking, navigation where the exam allows) over an [`ExamService`] that fetches each question and
//! sends each answer with its sequence number. The client holds no answer key and no seed; its clock only draws
//! the time left, by the server's clock ([`OffsetClock`]): the deadline and every judgement are the server's.

use super::ExamEnd;
use super::summary::given_text;
use super::wire::{Ack, AnswerSent, AttemptView, Outcome, QuestionView};
use crate::deck::Body;
use crate::error::{Error, Result};
use crate::exam::Navigation;
use crate::session::ask::{pick_order, pick_pairs, typed_answer};
use crate::session::{Clock, Entry, Go, Overview, Prompter, Question, Reply};
use crate::time::UnixMs;
use serde_json::Value;

/// What the server said to an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    /// Kept (or a duplicate of the one kept).
    Saved(Ack),
    /// After the deadline and its grace: not kept, the attempt is over.
    Late(String),
}

/// The server's side of a sitting, as the client reaches it (`commands::exam` over HTTP; tests in-process).
pub trait ExamService {
    fn question(&mut self, number: u32) -> Result<QuestionView>;
    /// Sends an answer; a failure to reach the server is an error, and sending the same sequence number again is
    /// safe (a duplicate gets the first acknowledgement).
    fn answer(&mut self, number: u32, sent: &AnswerSent) -> Result<Sent>;
    fn submit(&mut self) -> Result<Outcome>;
}

/// The server's time as this machine sees it: the local clock moved by the difference measured when the attempt
/// was started or resumed. A machine whose clock is a day off shows the same time left.
pub struct OffsetClock<'a> {
    base: &'a dyn Clock,
    offset_ms: i64,
}

impl<'a> OffsetClock<'a> {
    /// The clock by which `server_now` was the time when `base` read `local_then`.
    pub fn new(base: &'a dyn Clock, server_now: UnixMs, local_then: UnixMs) -> Self {
        OffsetClock {
            base,
            offset_ms: server_now.0 - local_then.0,
        }
    }
}

impl Clock for OffsetClock<'_> {
    fn now_ms(&self) -> UnixMs {
        self.base.now_ms().plus_ms(self.offset_ms)
    }
}

/// A learner sitting an exam the class server runs.
pub struct RemoteSitting<'a> {
    service: &'a mut dyn ExamService,
    view: AttemptView,
    clock: &'a dyn Clock,
    /// How to go on, for the messages: `detente exam run ID`.
    again: String,
}

/// The kind names the screen knows, from the server's.
fn kind(name: &str) -> &'static str {
    [
        "flashcard",
        "choice",
        "multi",
        "truefalse",
        "text",
        "cloze",
        "order",
        "match",
        "number",
    ]
    .into_iter()
    .find(|k| *k == name)
    .unwrap_or("text")
}

/// A response as text, as the summary page shows it.
fn shown(response: &Value) -> String {
    given_text(&Body::Truefalse { answer: false }, &response.to_string())
}

impl<'a> RemoteSitting<'a> {
    pub fn new(
        service: &'a mut dyn ExamService,
        view: AttemptView,
        clock: &'a dyn Clock,
        again: String,
    ) -> Self {
        RemoteSitting {
            service,
            view,
            clock,
            again,
        }
    }

    /// Runs the attempt to its end: questions in order (or from the summary page with free navigation) until the
    /// learner submits, pauses, or the time is up; then submits and shows what the exam lets them see.
    pub fn run(mut self, p: &mut dyn Prompter) -> Result<ExamEnd> {
        let free = self.view.navigation == Navigation::Free;
        let total = self.view.entries.len();
        let done = self.view.entries.iter().filter(|e| e.seq > 0).count();
        p.message(&if self.view.resumed {
            format!(
                "Resuming attempt {} on the class server: {done} of {total} questions answered.",
                self.view.attempt
            )
        } else {
            format!(
                "Attempt {} on the class server: {total} questions.",
                self.view.attempt
            )
        });
        // With free navigation the summary page shows every prompt: fetched once.
        let mut prompts: Vec<Option<String>> = vec![None; total];
        if free {
            for (i, prompt) in prompts.iter_mut().enumerate() {
                *prompt = Some(self.service.question(i as u32 + 1)?.prompt);
            }
        }
        let unanswered_from = |entries: &[super::wire::EntryView], from: usize| {
            (from..entries.len()).find(|&i| entries[i].seq == 0)
        };
        let mut next = unanswered_from(&self.view.entries, 0);
        loop {
            if self.over() {
                break;
            }
            let Some(i) = next else {
                if !free {
                    break;
                }
                let overview = self.overview(&prompts);
                match p.overview(&overview)? {
                    Reply::Answer(Go::Question(n)) => {
                        next = (n >= 1 && n <= total).then(|| n - 1);
                        continue;
                    }
                    Reply::Answer(Go::Submit) => match p.confirm_submit(&overview)? {
                        Reply::Answer(true) => break,
                        Reply::Answer(false) | Reply::Quit => continue,
                        Reply::Interrupt => return Ok(ExamEnd::Interrupted),
                        Reply::TimeUp => break,
                    },
                    Reply::Quit => return Ok(self.pause(p)),
                    Reply::Interrupt => return Ok(ExamEnd::Interrupted),
                    Reply::TimeUp => break,
                }
            };
            let qv = self.service.question(i as u32 + 1)?;
            let q = Question {
                number: i + 1,
                deck: self.view.title.clone(),
                kind: kind(&qv.kind),
                prompt: qv.prompt.clone(),
                status: Some(format!("question {} of {}", i + 1, qv.of)),
                deadline: self.view.deadline,
                saved: qv.answered.clone(),
                ..Question::default()
            };
            match collect(&qv, &q, p)? {
                Reply::Answer(response) => {
                    let sent = AnswerSent {
                        seq: qv.seq + 1,
                        response,
                    };
                    match self.send(i as u32 + 1, &sent, p)? {
                        None => return Ok(self.pause(p)),
                        Some(Sent::Late(why)) => {
                            p.message(&why);
                            break;
                        }
                        Some(Sent::Saved(ack)) => {
                            let e = &mut self.view.entries[i];
                            e.seq = ack.seq;
                            e.answered = Some(shown(&sent.response));
                            next = unanswered_from(&self.view.entries, i + 1);
                        }
                    }
                }
                Reply::Quit if free => next = None,
                Reply::Quit => return Ok(self.pause(p)),
                Reply::Interrupt => return Ok(ExamEnd::Interrupted),
                Reply::TimeUp => break,
            }
        }
        let outcome = self.service.submit()?;
        Ok(match outcome.summary {
            Some(summary) => {
                p.exam_summary(&summary);
                ExamEnd::Closed(summary)
            }
            None => {
                let when = outcome
                    .review_from
                    .and_then(|t| chrono::DateTime::from_timestamp_millis(t.0))
                    .map_or("the exam closes".to_string(), |t| {
                        t.format("%Y-%m-%d %H:%M UTC").to_string()
                    });
                p.message(&format!(
                    "Attempt {} at exam {} is submitted. Your score and the right answers are shown from {when}: \
                     `detente exam review {}`.",
                    outcome.attempt, outcome.exam, outcome.exam
                ));
                ExamEnd::Submitted
            }
        })
    }

    /// Whether the deadline has passed by the server's clock.
    fn over(&self) -> bool {
        self.view.deadline.is_some_and(|d| self.clock.now_ms() >= d)
    }

    /// Sends an answer, retrying with the same sequence number while the learner asks to after a failure to reach
    /// the server; `None` when they give up (the attempt stays open on the server, its clock running).
    fn send(
        &mut self,
        number: u32,
        sent: &AnswerSent,
        p: &mut dyn Prompter,
    ) -> Result<Option<Sent>> {
        loop {
            match self.service.answer(number, sent) {
                Ok(s) => return Ok(Some(s)),
                Err(e @ Error::Server(_)) => {
                    match p.retry(&format!("Your answer was not saved: {e}"))? {
                        Reply::Answer(true) => continue,
                        _ => return Ok(None),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn overview(&self, prompts: &[Option<String>]) -> Overview {
        Overview {
            title: self.view.title.clone(),
            deadline: self.view.deadline,
            entries: self
                .view
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| Entry {
                    number: e.number as usize,
                    kind: kind(&e.kind),
                    prompt: prompts.get(i).cloned().flatten().unwrap_or_default(),
                    answer: e.answered.clone(),
                })
                .collect(),
        }
    }

    fn pause(&self, p: &mut dyn Prompter) -> ExamEnd {
        p.message(&format!(
            "Your answers are saved on the class server. Run `{}` to go on{}.",
            self.again,
            if self.view.deadline.is_some() {
                " (the server's clock keeps running)"
            } else {
                ""
            }
        ));
        ExamEnd::Paused
    }
}

/// Asks a served question through the prompter in the way its kind needs, with the options in the order the server
/// sent; returns the response as the server takes it (the same JSON a local attempt stores).
fn collect(qv: &QuestionView, q: &Question, p: &mut dyn Prompter) -> Result<Reply<Value>> {
    macro_rules! reply {
        ($e:expr) => {
            match $e? {
                Reply::Answer(a) => a,
                Reply::Quit => return Ok(Reply::Quit),
                Reply::Interrupt => return Ok(Reply::Interrupt),
                Reply::TimeUp => return Ok(Reply::TimeUp),
            }
        };
    }
    let options = &qv.options;
    Ok(Reply::Answer(match q.kind {
        "choice" => {
            let i = reply!(p.choose(q, "", options));
            Value::String(options.get(i).cloned().unwrap_or_default())
        }
        "multi" => {
            let picked: Vec<String> = reply!(p.choose_many(q, options))
                .into_iter()
                .filter_map(|i| options.get(i).cloned())
                .collect();
            serde_json::json!(picked)
        }
        "truefalse" => Value::Bool(reply!(p.judge(q))),
        "order" => serde_json::json!(reply!(pick_order(p, q, options.clone()))),
        "match" => serde_json::json!(reply!(pick_pairs(p, q, &qv.lefts, options.clone()))),
        _ => Value::String(reply!(typed_answer(p, q))),
    }))
}
