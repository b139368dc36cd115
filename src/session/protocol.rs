//! The protocol between a study or exam session and the learner's terminal: the [`Prompter`] a session asks
//! through, the [`Clock`] it reads the time from, and the values passed both ways (questions, replies, feedback,
//! the end-of-session summary). The terminal implementation is `ui::Terminal`; tests script their own.

use super::exam;
use crate::error::Result;
use crate::grade::Rule;
use crate::time::UnixMs;

/// The time, in Unix milliseconds.
pub trait Clock {
    fn now_ms(&self) -> UnixMs;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> UnixMs {
        UnixMs(chrono::Utc::now().timestamp_millis())
    }
}

/// What the learner did at a prompt.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply<T> {
    Answer(T),
    /// Esc: end the session.
    Quit,
    /// Ctrl-C: end the session and exit 130.
    Interrupt,
    /// The exam's deadline ([`Question::deadline`]) passed while the prompt waited: nothing was answered.
    TimeUp,
}

/// The question being asked, as the prompter shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Question {
    /// 1 for the first card of the session.
    pub number: usize,
    pub deck: String,
    pub kind: &'static str,
    pub prompt: String,
    pub hint: Option<String>,
    /// Whether this card is new to the learner.
    pub new: bool,
    /// A flashcard asked back to front (its answer shown, its prompt to recall): the header says so.
    pub reversed: bool,
    /// A status shown in the question's header, such as the progress in an exam ("question 3 of 10").
    pub status: Option<String>,
    /// In a timed exam, when the time is up: the prompter shows the time left as it runs down (from the session's
    /// [`Clock`], see [`exam::countdown`]) with its warnings, and returns [`Reply::TimeUp`] once it has passed.
    pub deadline: Option<UnixMs>,
    /// In an exam with free navigation: the answer stored for this question, as text, which a new one replaces.
    pub saved: Option<String>,
}

/// One question on the summary page of an exam with free navigation.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The question's number on the paper (1 for the first).
    pub number: usize,
    pub kind: &'static str,
    pub prompt: String,
    /// The stored answer, as text; `None` while unanswered.
    pub answer: Option<String>,
}

/// The summary page of an exam with free navigation (Moodle's "summary of attempt"): every question, answered or
/// not, from which the learner opens one to answer or change, or submits the attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub title: String,
    pub deadline: Option<UnixMs>,
    pub entries: Vec<Entry>,
}

impl Overview {
    /// The numbers of the questions not answered yet.
    pub fn unanswered(&self) -> Vec<usize> {
        self.entries
            .iter()
            .filter(|e| e.answer.is_none())
            .map(|e| e.number)
            .collect()
    }
}

/// Where the learner goes from the summary page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Go {
    /// The question with this number, to answer or change it.
    Question(usize),
    /// Submit the attempt (after [`Prompter::confirm_submit`]).
    Submit,
}

/// What to do after the feedback of an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Next,
    /// Take the answer back and ask the card again.
    Undo,
    /// "I was right": record the answer as right.
    Override,
    /// Flag the card for the teacher, with an optional note.
    Flag(Option<String>),
    /// Take back this learner's flag on the card.
    Unflag,
    Quit,
}

/// What was right and wrong in an answer, item by item, for the kinds where a whole-answer verdict says too little.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// Typed answers, true/false and flashcards: the verdict, the answer and a near miss say it all.
    Plain,
    /// The option picked.
    Choice { picked: String },
    /// Each choice, in the deck's order: whether the learner ticked it and whether it is a right answer.
    Multi(Vec<Tick>),
    /// The learner's sequence and the right one, position by position.
    Order {
        given: Vec<String>,
        right: Vec<String>,
    },
    /// Each left item with the learner's pick and the right one.
    Match(Vec<Pairing>),
}

/// One choice of a `multi` card after the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub choice: String,
    pub ticked: bool,
    pub right: bool,
}

/// One left item of a `match` card after the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Pairing {
    pub left: String,
    pub picked: String,
    pub right: String,
}

/// What the learner sees after answering.
#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    pub correct: bool,
    pub rule: Rule,
    /// What the learner answered, as text.
    pub given: String,
    pub expected: String,
    /// For a near miss: (what was typed, the form it was close to).
    pub near: Option<(String, String)>,
    /// For a wrong answer that names the answer: why it is refused all the same (the verdict's `why`).
    pub why: Option<String>,
    /// Item by item, for choice, multi, order and match cards.
    pub detail: Detail,
    pub explain: Option<String>,
    pub citation: Option<String>,
    /// When the card comes back, in words ("in 10 minutes", "in 3 days, Tue 25 Nov"); `None` when cramming.
    pub next_due: Option<String>,
    pub leech: bool,
    pub can_override: bool,
    /// Whether the learner has flagged this card (the menu then offers to unflag it).
    pub flagged: bool,
}

/// The end-of-session summary.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    pub done: u32,
    pub right: u32,
    pub seconds: u64,
    pub due_tomorrow: u32,
    /// Cards in learning that come back later today.
    pub later_today: u32,
    pub cram: bool,
    pub interrupted: bool,
    /// An answer that could not be saved when the learner chose to quit, described.
    pub unsaved: Option<String>,
}

/// The learner's side of a session. The terminal implementation is `ui::Terminal`; tests script one.
pub trait Prompter {
    /// Pick one of `options` (choice, one step of an order or a match). `label` says what is being picked.
    fn choose(&mut self, q: &Question, label: &str, options: &[String]) -> Result<Reply<usize>>;
    /// Tick any of `options` (multi).
    fn choose_many(&mut self, q: &Question, options: &[String]) -> Result<Reply<Vec<usize>>>;
    /// Judge the statement true or false.
    fn judge(&mut self, q: &Question) -> Result<Reply<bool>>;
    /// Type an answer (text, cloze, number).
    fn type_answer(&mut self, q: &Question) -> Result<Reply<String>>;
    /// Show the front, reveal `back` on request, and let the learner grade themself 1 (Again) to 4 (Easy).
    fn reveal(&mut self, q: &Question, back: &str) -> Result<Reply<crate::schedule::Rating>>;
    /// Show the feedback and ask what next.
    fn feedback(&mut self, f: &Feedback) -> Result<Reply<Action>>;
    /// A line of information; the question is shown again in full after it (an undo, say).
    fn message(&mut self, text: &str);
    /// A line of information about the question on screen, which stays.
    fn notice(&mut self, text: &str) {
        self.message(text);
    }
    fn summary(&mut self, s: &Summary);
    /// An action (an answer, a flag, an undo...) could not be written (`problem` says which and why): `true` to try
    /// again, `false` or Quit to give up.
    fn retry(&mut self, problem: &str) -> Result<Reply<bool>> {
        self.message(problem);
        Ok(Reply::Quit)
    }
    /// The result of an exam attempt, shown once at its end (the only feedback an exam gives).
    fn exam_summary(&mut self, s: &exam::ExamSummary) {
        self.message(&s.render());
    }
    /// The summary page of an exam with free navigation: open a question, or submit; Quit pauses the attempt.
    fn overview(&mut self, _: &Overview) -> Result<Reply<Go>> {
        Ok(Reply::Answer(Go::Submit))
    }
    /// Whether to submit the attempt now; the overview says which questions are unanswered.
    fn confirm_submit(&mut self, _: &Overview) -> Result<Reply<bool>> {
        Ok(Reply::Answer(true))
    }
}
