//! The study session: which card comes next (learning steps due, then due reviews with new cards interleaved, within
//! the daily limits and never two siblings on one day), asking it through a [`Prompter`], grading, committing the
//! answer with the card's new state before the next card appears, and undo, override, flag and quit. Time comes
//! from a [`Clock`] and shuffling from a seeded RNG, so whole sessions run in tests with a scripted prompter.

use crate::deck::{Body, DeckSource, cloze_blanks, cloze_question};
use crate::error::Result;
use crate::grade::{self, Lexicon, Rule, Verdict};
use crate::schedule::{Calendar, CardState, Phase, Scheduler, fuzz_factor};
use crate::store::{self, Filter, Learner, Store, StoredCard, counts};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet, VecDeque};

pub mod exam;

/// The time, in Unix milliseconds.
pub trait Clock {
    fn now_ms(&self) -> i64;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
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
}

/// The question being asked, as the prompter shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// 1 for the first card of the session.
    pub number: usize,
    pub deck: String,
    pub kind: &'static str,
    pub prompt: String,
    pub hint: Option<String>,
    /// Whether this card is new to the learner.
    pub new: bool,
    /// A status shown in the question's header, such as the time left in an exam ("12:34 left").
    pub status: Option<String>,
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
    fn reveal(&mut self, q: &Question, back: &str) -> Result<Reply<u8>>;
    /// Show the feedback and ask what next.
    fn feedback(&mut self, f: &Feedback) -> Result<Reply<Action>>;
    /// A line of information; the question is shown again in full after it (an undo, say).
    fn message(&mut self, text: &str);
    /// A line of information about the question on screen, which stays.
    fn notice(&mut self, text: &str) {
        self.message(text);
    }
    fn summary(&mut self, s: &Summary);
    /// An answer could not be written (`problem` says why): `true` to try again, `false` or Quit to give up.
    fn retry(&mut self, problem: &str) -> Result<Reply<bool>> {
        self.message(problem);
        Ok(Reply::Quit)
    }
    /// The result of an exam attempt, shown once at its end (the only feedback an exam gives).
    fn exam_summary(&mut self, s: &exam::ExamSummary) {
        self.message(&s.render());
    }
}

/// How a study session runs.
#[derive(Debug, Clone, Default)]
pub struct StudyOptions {
    pub filter: Filter,
    /// Stop after this many answers.
    pub limit: Option<u32>,
    /// Stop after this many minutes.
    pub minutes: Option<u32>,
    /// New cards to introduce this session, instead of what is left of today's limit.
    pub new: Option<u32>,
    /// Practise the chosen cards without moving any schedule.
    pub cram: bool,
    /// Seed for shuffling choices and cram order.
    pub seed: u64,
    /// `--exam-date`: an exam on this date over this session's filter (see [`crate::schedule::exam_date`]).
    pub exam_date: Option<chrono::NaiveDate>,
}

/// Learning cards due within this many seconds are shown early when nothing else is left (Anki's learn-ahead).
const LEARN_AHEAD: i64 = 20 * 60;

/// A card asked and how it was answered, before it is stored.
pub(crate) struct Answered {
    pub(crate) response: serde_json::Value,
    pub(crate) given: String,
    pub(crate) verdict: Verdict,
    pub(crate) rating: u8,
}

/// The last committed answer, which undo and override act on.
struct Last {
    review_id: i64,
    /// Whether the answer counted as right, so that an undo takes exactly it back from the summary.
    correct: bool,
    card: StoredCard,
    before: Option<CardState>,
    answered_at: i64,
    duration_ms: i64,
}

struct Queue {
    learning: Vec<(i64, i64)>,
    reviews: VecDeque<i64>,
    new: VecDeque<i64>,
    cram: VecDeque<i64>,
    /// Cards to ask again first (after an undo).
    again: VecDeque<i64>,
    notes_today: HashSet<String>,
    since_new: u32,
}

/// The session's row in the store, written with its first answer.
struct SessionRecord {
    id: Option<i64>,
    started_at: i64,
    filters: String,
}

/// A running study session.
pub struct Session<'a> {
    store: &'a mut Store,
    learner: &'a Learner,
    opts: StudyOptions,
    clock: &'a dyn Clock,
    cal: Calendar,
    scheduler: Scheduler,
    rng: ChaCha8Rng,
    lexicons: HashMap<String, Lexicon>,
    sources: HashMap<String, (String, Option<DeckSource>)>,
    record: SessionRecord,
    queue: Queue,
    summary: Summary,
    /// The exams that schedule this learner's cards (none when cramming).
    exams: Vec<crate::schedule::exam_date::Upcoming>,
}

impl<'a> Session<'a> {
    /// Starts a session: records it and builds the queue of today's cards.
    pub fn start(
        store: &'a mut Store,
        learner: &'a Learner,
        opts: StudyOptions,
        clock: &'a dyn Clock,
        cal: Calendar,
    ) -> Result<Session<'a>> {
        let now_ms = clock.now_ms();
        let now = now_ms / 1000;
        let scheduler = Scheduler::new(learner.settings())?;
        let sources = store::deck_sources(&store.conn)?;
        // The session is recorded with its first answer, in that answer's transaction: starting writes nothing
        // (and waits for no disk sync), and a session ended before any answer leaves no trace.
        let filters = serde_json::json!({
            "decks": opts.filter.decks, "tags": opts.filter.tags, "limit": opts.limit,
            "minutes": opts.minutes, "new": opts.new, "cram": opts.cram,
            "exam_date": opts.exam_date.map(|d| d.format("%Y-%m-%d").to_string()),
        });
        let record = SessionRecord {
            id: None,
            started_at: now,
            filters: filters.to_string(),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        let today_start = cal.start_of(cal.day_of(now));
        let done = store::today(&store.conn, learner.id, today_start * 1000)?;
        let mut queue = Queue {
            learning: Vec::new(),
            reviews: VecDeque::new(),
            new: VecDeque::new(),
            cram: VecDeque::new(),
            again: VecDeque::new(),
            notes_today: done.notes.clone(),
            since_new: 0,
        };
        let mut exams = Vec::new();
        if opts.cram {
            let mut cards = store::filtered_cards(&store.conn, &opts.filter)?;
            shuffle(&mut cards, &mut rng);
            if let Some(limit) = opts.limit {
                cards.truncate(limit as usize);
            }
            queue.cram = cards.into();
        } else {
            let end_of_day = cal.start_of(cal.day_of(now) + 1);
            queue.learning =
                store::due_learning(&store.conn, learner.id, end_of_day, &opts.filter)?
                    .into_iter()
                    .map(|(card, due)| (due, card))
                    .collect();
            let reviews_left = counts::reviews_left(learner, done.reviews_done);
            queue.reviews =
                store::due_reviews(&store.conn, learner.id, now, &opts.filter, reviews_left)?
                    .into();
            let new_left = opts
                .new
                .unwrap_or(counts::new_limit_left(learner, done.new_done));
            let mut new = counts::new_for_today(
                &store.conn,
                learner.id,
                &opts.filter,
                new_left,
                &done.notes,
            )?;
            // Exams ahead raise the day's new cards in their scope to their pace (unless --new says how many).
            exams = store::exam_dates::upcoming(
                &store.conn,
                learner.id,
                opts.exam_date.map(|d| (d, &opts.filter)),
            )?;
            if opts.new.is_none() {
                let statuses =
                    store::exam_dates::statuses(&store.conn, learner.id, &exams, &cal, now)?;
                new.extend(store::exam_dates::extra_new(
                    &store.conn,
                    learner.id,
                    &opts.filter,
                    &new,
                    &exams,
                    &statuses,
                    &done.notes,
                )?);
            }
            queue.new = new.into();
        }
        Ok(Session {
            store,
            learner,
            opts,
            clock,
            cal,
            scheduler,
            rng,
            lexicons: HashMap::new(),
            sources,
            record,
            queue,
            summary: Summary::default(),
            exams,
        })
    }

    /// What is left in the queue, for the study header ("8 due · 5 new left"): learning steps and reviews due
    /// now (the definitions of [`store::counts`]), and new cards still to introduce this session.
    pub fn counts(&self) -> (u32, u32) {
        let now = self.clock.now_ms() / 1000;
        let learning = self
            .queue
            .learning
            .iter()
            .filter(|(due, _)| *due <= now)
            .count();
        (
            (learning + self.queue.reviews.len()) as u32,
            self.queue.new.len() as u32,
        )
    }

    /// How many cards are queued now (learning due today, reviews, new, cram).
    pub fn queued(&self) -> usize {
        self.queue.learning.len()
            + self.queue.reviews.len()
            + self.queue.new.len()
            + self.queue.cram.len()
    }

    /// Runs the session to its end and returns the summary (also shown through the prompter).
    pub fn run(mut self, prompter: &mut dyn Prompter) -> Result<Summary> {
        let started = self.clock.now_ms();
        self.summary.cram = self.opts.cram;
        if self.queued() == 0 {
            prompter.message(&self.nothing_due_message()?);
        }
        let mut number = 0;
        'cards: loop {
            if self.opts.limit.is_some_and(|l| self.summary.done >= l)
                && self.queue.again.is_empty()
            {
                break;
            }
            if let Some(m) = self.opts.minutes
                && self.clock.now_ms() - started >= i64::from(m) * 60_000
            {
                prompter.message(&format!("{m} minutes are up."));
                break;
            }
            let Some(card) = self.next_card()? else {
                if self.summary.done > 0 {
                    prompter.message("No more cards for now.");
                }
                break;
            };
            number += 1;
            let before = store::state(&self.store.conn, self.learner.id, card.id)?;
            let mut question = self.question(&card, number, before.is_none());
            question.status = Some(self.progress(started, before.is_none()));
            let shown_at = self.clock.now_ms();
            let answered = match self.ask(&card, &question, prompter)? {
                Reply::Answer(a) => a,
                Reply::Quit => break,
                Reply::Interrupt => {
                    self.summary.interrupted = true;
                    break;
                }
            };
            let answered_at = self.clock.now_ms();
            let duration_ms = (answered_at - shown_at).max(0);
            // An answer that cannot be written (the database busy past the timeout, a full disk) is kept, and the
            // learner may retry; quitting ends the session saying which answer was not saved.
            let (review_id, outcome) = loop {
                match self.commit(
                    &card,
                    before.as_ref(),
                    &answered,
                    answered_at,
                    duration_ms,
                    None,
                ) {
                    Ok(done) => break done,
                    Err(e) if e.is_storage() => {
                        let problem = format!("Your answer could not be saved: {e}");
                        if prompter.retry(&problem)? != Reply::Answer(true) {
                            self.summary.unsaved = Some(format!(
                                "your answer {:?} to {:?} ({}/{}): {e}",
                                answered.given, question.prompt, card.deck_id, card.card_key
                            ));
                            break 'cards;
                        }
                    }
                    Err(e) => return Err(e),
                }
            };
            self.count(&card, answered.verdict.correct, &outcome);
            let mut current = Last {
                review_id,
                correct: answered.verdict.correct,
                card,
                before,
                answered_at,
                duration_ms,
            };
            let mut feedback = self.feedback(&current.card, &answered, &outcome)?;
            loop {
                match prompter.feedback(&feedback)? {
                    Reply::Answer(Action::Next) => break,
                    Reply::Answer(Action::Undo) => {
                        self.undo(&current)?;
                        prompter.message("Answer taken back.");
                        self.queue.again.push_front(current.card.id);
                        number -= 1;
                        continue 'cards;
                    }
                    Reply::Answer(Action::Override) if feedback.can_override => {
                        let overridden = Answered {
                            verdict: Verdict {
                                correct: true,
                                rule: Rule::Override,
                                near: None,
                            },
                            rating: 3,
                            ..answered_clone(&answered)
                        };
                        // One transaction: the wrong verdict's review is replaced by the override's.
                        let (id, outcome) = self.commit(
                            &current.card,
                            current.before.as_ref(),
                            &overridden,
                            current.answered_at,
                            current.duration_ms,
                            Some(current.review_id),
                        )?;
                        self.summary.done = self.summary.done.saturating_sub(1);
                        self.count(&current.card, true, &outcome);
                        current.review_id = id;
                        current.correct = true;
                        feedback = self.feedback(&current.card, &overridden, &outcome)?;
                    }
                    Reply::Answer(Action::Override) => {}
                    Reply::Answer(Action::Flag(note)) => {
                        let tx = self.store.write()?;
                        store::add_flag(
                            &tx,
                            self.learner.id,
                            current.card.id,
                            answered_at / 1000,
                            note.as_deref(),
                        )?;
                        tx.commit()?;
                        feedback.flagged = true;
                        prompter.notice("Card flagged for your teacher.");
                    }
                    Reply::Answer(Action::Unflag) => {
                        let tx = self.store.write()?;
                        store::remove_flags(&tx, self.learner.id, current.card.id)?;
                        tx.commit()?;
                        feedback.flagged = false;
                        prompter.notice("Flag taken back.");
                    }
                    Reply::Answer(Action::Quit) => break 'cards,
                    Reply::Quit => break 'cards,
                    Reply::Interrupt => {
                        self.summary.interrupted = true;
                        break 'cards;
                    }
                }
            }
        }
        let now = self.clock.now_ms();
        self.summary.seconds = ((now - started).max(0) / 1000) as u64;
        // The counts `due` shows, from the store after the last answer: the card on screen at Esc counts too.
        (self.summary.due_tomorrow, self.summary.later_today) = counts::session_end(
            &self.store.conn,
            self.learner.id,
            &self.opts.filter,
            now / 1000,
            &self.cal,
        )?;
        let ended = match self.record.id {
            Some(id) => self.store.write().and_then(|tx| {
                store::end_session(&tx, id, now / 1000)?;
                Ok(tx.commit()?)
            }),
            None => Ok(()),
        };
        // After an answer that could not be saved, the database may still refuse writes: the summary is shown
        // all the same, and the caller reports the unsaved answer.
        if self.summary.unsaved.is_none() {
            ended?;
        }
        prompter.summary(&self.summary);
        Ok(self.summary)
    }

    fn count(&mut self, card: &StoredCard, correct: bool, outcome: &crate::schedule::Outcome) {
        self.summary.done += 1;
        if correct {
            self.summary.right += 1;
        }
        if self.opts.cram {
            return;
        }
        self.queue.notes_today.insert(card.note_key());
        self.queue.learning.retain(|(_, id)| *id != card.id);
        let s = &outcome.state;
        if matches!(s.phase, Phase::Learning | Phase::Relearning) {
            let end_of_day = self.cal.start_of(self.cal.day_of(s.last_review) + 1);
            if s.due < end_of_day {
                self.queue.learning.push((s.due, card.id));
            }
        }
    }

    fn undo(&mut self, last: &Last) -> Result<()> {
        let tx = self.store.write()?;
        store::delete_review(&tx, last.review_id)?;
        if !self.opts.cram {
            store::put_state(&tx, self.learner.id, last.card.id, last.before.as_ref())?;
        }
        tx.commit()?;
        self.summary.done = self.summary.done.saturating_sub(1);
        if last.correct {
            self.summary.right = self.summary.right.saturating_sub(1);
        }
        self.queue.learning.retain(|(_, id)| *id != last.card.id);
        if last
            .before
            .is_some_and(|b| matches!(b.phase, Phase::Learning | Phase::Relearning))
        {
            self.queue
                .learning
                .push((last.before.map_or(0, |b| b.due), last.card.id));
        }
        Ok(())
    }

    /// The header's progress, counting the card on screen: "12 done · 8 due · 5 new left", and the time left when
    /// the session has a time limit.
    fn progress(&self, started_ms: i64, current_new: bool) -> String {
        let done = self.summary.done;
        let mut parts = vec![format!("{done} done")];
        if self.opts.cram {
            parts.push(format!("{} left", self.queue.cram.len() + 1));
        } else {
            let (due, new) = self.counts();
            let mut due = due as usize + self.queue.again.len();
            let mut new = new as usize;
            if current_new {
                new += 1;
            } else {
                due += 1;
            }
            parts.push(format!("{due} due"));
            parts.push(format!("{new} new left"));
        }
        if let Some(m) = self.opts.minutes {
            let left = i64::from(m) * 60_000 - (self.clock.now_ms() - started_ms);
            let mins = (left.max(0) + 59_999) / 60_000;
            parts.push(format!("{mins} min left"));
        }
        parts.join(" \u{b7} ")
    }

    /// The message shown when nothing is due.
    fn nothing_due_message(&self) -> Result<String> {
        if self.opts.cram {
            return Ok("No cards match; check --deck and --tag (see `detente decks`).".into());
        }
        let now = self.clock.now_ms() / 1000;
        let end_today = self.cal.start_of(self.cal.day_of(now) + 1);
        let waiting: u32 = counts::deck_counts(
            &self.store.conn,
            self.learner.id,
            &self.opts.filter,
            now,
            end_today,
        )?
        .iter()
        .map(|c| c.new_waiting)
        .sum();
        if waiting > 0 {
            return Ok(format!(
                "Nothing is due now. {waiting} new card(s) here draw on readings you have not studied yet: \
                 study those readings' decks first (`detente study`), or practise these with --cram."
            ));
        }
        Ok("Nothing is due now, and today's new cards are done. Come back later, or practise with --cram.".into())
    }

    /// Picks the next card: an undone card, learning steps due now, then due reviews with new cards interleaved,
    /// then learning steps due within the learn-ahead window.
    fn next_card(&mut self) -> Result<Option<StoredCard>> {
        let conn = &self.store.conn;
        let learner = self.learner.id;
        if let Some(id) = self.queue.again.pop_front() {
            return store::card(conn, id);
        }
        if self.opts.cram {
            while let Some(id) = self.queue.cram.pop_front() {
                if let Some(card) = store::card(conn, id)? {
                    return Ok(Some(card));
                }
            }
            return Ok(None);
        }
        let now = self.clock.now_ms() / 1000;
        for ahead in [0, LEARN_AHEAD] {
            self.queue.learning.sort();
            while let Some(&(due, id)) = self.queue.learning.first() {
                if due > now + ahead {
                    break;
                }
                self.queue.learning.remove(0);
                // Another process (the learner's second terminal) may have answered it meanwhile.
                let fresh = store::state(conn, learner, id)?;
                if fresh.is_some_and(|s| {
                    matches!(s.phase, Phase::Learning | Phase::Relearning) && s.due <= now + ahead
                }) && let Some(card) = store::card(conn, id)?
                {
                    return Ok(Some(card));
                }
            }
            if ahead > 0 {
                break;
            }
            // Interleave new cards evenly among the reviews.
            loop {
                let reviews = self.queue.reviews.len() as u32;
                let new = self.queue.new.len() as u32;
                if reviews + new == 0 {
                    break;
                }
                let take_new =
                    new > 0 && (reviews == 0 || self.queue.since_new >= reviews / new.max(1));
                let id = if take_new {
                    self.queue.since_new = 0;
                    self.queue.new.pop_front()
                } else {
                    self.queue.since_new += 1;
                    self.queue.reviews.pop_front()
                };
                let Some(id) = id else { continue };
                let Some(card) = store::card(conn, id)? else {
                    continue;
                };
                if card.retired {
                    continue;
                }
                let fresh = store::state(conn, learner, id)?;
                let still_due = if take_new {
                    fresh.is_none()
                } else {
                    fresh.is_some_and(|s| s.due <= now)
                };
                // A sibling studied today waits for another day, as in Anki.
                if still_due && !self.queue.notes_today.contains(&card.note_key()) {
                    return Ok(Some(card));
                }
            }
        }
        Ok(None)
    }

    fn lexicon(&mut self, deck: &str) -> Result<&Lexicon> {
        if !self.lexicons.contains_key(deck) {
            self.lexicons
                .insert(deck.to_string(), load_lexicon(&self.store.conn, deck)?);
        }
        Ok(&self.lexicons[deck])
    }

    fn question(&self, card: &StoredCard, number: usize, new: bool) -> Question {
        let c = &card.card;
        let prompt = match (&c.body, card.sibling) {
            (Body::Cloze { .. }, s) => cloze_question(&c.prompt, s),
            (Body::Flashcard { answer, .. }, 1) => answer.clone(),
            _ => c.prompt.clone(),
        };
        Question {
            number,
            deck: self
                .sources
                .get(&card.deck_id)
                .map_or(card.deck_id.clone(), |(t, _)| t.clone()),
            kind: c.body.kind(),
            prompt,
            hint: c.hint.clone(),
            new,
            status: None,
        }
    }

    /// Asks a card and grades the reply.
    fn ask(
        &mut self,
        card: &StoredCard,
        q: &Question,
        p: &mut dyn Prompter,
    ) -> Result<Reply<Answered>> {
        self.lexicon(&card.deck_id)?;
        let empty = Lexicon::default();
        let lexicon = self.lexicons.get(&card.deck_id).unwrap_or(&empty);
        ask(card, q, p, &mut self.rng, lexicon)
    }

    /// Stores an answer and the card's new state in one transaction, replacing the review `replacing` (an override)
    /// in the same transaction.
    fn commit(
        &mut self,
        card: &StoredCard,
        before: Option<&CardState>,
        answered: &Answered,
        at_ms: i64,
        duration_ms: i64,
        replacing: Option<i64>,
    ) -> Result<(i64, crate::schedule::Outcome)> {
        let rating = if answered.rating > 0 {
            answered.rating
        } else {
            grade::rating(&answered.verdict, duration_ms as f64 / 1000.0)
        };
        let now = at_ms / 1000;
        let key = format!("{}/{}/{}", card.deck_id, card.card_key, card.sibling);
        let fuzz = fuzz_factor(&key, before.map_or(0, |b| b.reps));
        let mut outcome = self
            .scheduler
            .answer(before, rating, now, &self.cal, Some(fuzz))?;
        // The exam rule, for the cards an exam ahead covers (never when cramming: `exams` is empty then).
        let exam = crate::schedule::exam_date::for_card(
            &self.exams,
            outcome.state.last_day,
            &card.deck_id,
            &card.card.tags,
        );
        let shortened = exam.and_then(|e| {
            crate::schedule::exam_date::apply(&self.scheduler, &mut outcome, &e, &self.cal)
        });
        let review = store::Review {
            learner_id: self.learner.id,
            card_id: card.id,
            session_id: self.record.id,
            reviewed_at_ms: at_ms,
            day: self.cal.day_of(now),
            mode: if self.opts.cram { "cram" } else { "study" }.into(),
            response: answered.response.to_string(),
            correct: answered.verdict.correct,
            rule: answered.verdict.rule.as_str().into(),
            rating,
            duration_ms,
            before: before.copied(),
            after: outcome.state,
            interval_days: outcome.state.interval,
            elapsed_days: outcome.elapsed_days,
        };
        let tx = self.store.write()?;
        let session_id = match self.record.id {
            Some(id) => id,
            None => store::start_session(
                &tx,
                self.learner.id,
                &review.mode,
                self.record.started_at,
                &self.record.filters,
                self.opts.seed,
            )?,
        };
        let review = store::Review {
            session_id: Some(session_id),
            ..review
        };
        if let Some(old) = replacing {
            store::delete_review(&tx, old)?;
        }
        let id = store::insert_review(&tx, &review)?;
        if let Some(e) = exam {
            store::exam_dates::mark_review(&tx, id, e.day, shortened)?;
        }
        if !self.opts.cram {
            store::put_state(&tx, self.learner.id, card.id, Some(&outcome.state))?;
        }
        tx.commit()?;
        self.record.id = Some(session_id);
        Ok((id, outcome))
    }

    fn feedback(
        &self,
        card: &StoredCard,
        a: &Answered,
        outcome: &crate::schedule::Outcome,
    ) -> Result<Feedback> {
        let c = &card.card;
        let expected = expected(card);
        let next_due = (!self.opts.cram)
            .then(|| when(outcome.state.due, outcome.state.last_review, &self.cal));
        Ok(Feedback {
            correct: a.verdict.correct,
            rule: a.verdict.rule,
            given: a.given.clone(),
            expected,
            near: a.verdict.near.clone().map(|n| (a.given.clone(), n)),
            detail: detail(card, &a.response),
            explain: c.explain.clone(),
            citation: self.citation(card),
            next_due,
            leech: outcome.became_leech,
            can_override: !a.verdict.correct && a.verdict.rule == Rule::Wrong,
            flagged: store::is_flagged(&self.store.conn, self.learner.id, card.id)?,
        })
    }

    /// "Sherr, Chatham House 2010, para. 3", from the deck's source and the card's locators; several locators in
    /// one reading are listed once ("Sherr, paras. 2, 6 and 1").
    fn citation(&self, card: &StoredCard) -> Option<String> {
        let mut readings: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
        for s in &card.card.source {
            let deck = s.deck.as_deref().unwrap_or(&card.deck_id);
            let name = self
                .sources
                .get(deck)
                .and_then(|(_, src)| src.as_ref().map(DeckSource::citation))
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| deck.to_string());
            let at = match readings.iter().position(|(n, _, _)| *n == name) {
                Some(at) => at,
                None => {
                    readings.push((name, Vec::new(), Vec::new()));
                    readings.len() - 1
                }
            };
            if let Some(p) = s.paragraph {
                readings[at].1.push(p.to_string());
            }
            if let Some(l) = &s.locator {
                readings[at].2.push(l.clone());
            }
        }
        let parts: Vec<String> = readings
            .into_iter()
            .map(|(name, paras, locators)| {
                let mut text = name;
                match paras.as_slice() {
                    [] => {}
                    [one] => text.push_str(&format!(", para. {one}")),
                    [init @ .., last] => {
                        text.push_str(&format!(", paras. {} and {last}", init.join(", ")))
                    }
                }
                for l in locators {
                    text.push_str(&format!(", {l}"));
                }
                text
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Asks a card through the prompter (choices shuffled with `rng`) and grades the reply; nothing is stored.
pub(crate) fn ask(
    card: &StoredCard,
    q: &Question,
    p: &mut dyn Prompter,
    rng: &mut ChaCha8Rng,
    lexicon: &Lexicon,
) -> Result<Reply<Answered>> {
    let c = &card.card;
    macro_rules! reply {
        ($e:expr) => {
            match $e? {
                Reply::Answer(a) => a,
                Reply::Quit => return Ok(Reply::Quit),
                Reply::Interrupt => return Ok(Reply::Interrupt),
            }
        };
    }
    let auto = |correct: bool| {
        if correct {
            Verdict::right()
        } else {
            Verdict::wrong()
        }
    };
    let answered = match &c.body {
        Body::Flashcard { answer, .. } => {
            let back = if card.sibling == 1 {
                c.prompt.clone()
            } else {
                answer.clone()
            };
            let rating = reply!(p.reveal(q, &back));
            let verdict = Verdict {
                correct: rating > 1,
                rule: Rule::SelfGraded,
                near: None,
            };
            Answered {
                response: rating.into(),
                given: rating_name(rating).into(),
                verdict,
                rating,
            }
        }
        Body::Choice { choices, answer } => {
            let mut options = choices.clone();
            shuffle(&mut options, rng);
            let i = reply!(p.choose(q, "", &options));
            let picked = options.get(i).cloned().unwrap_or_default();
            graded(
                picked.clone().into(),
                picked.clone(),
                auto(picked == *answer),
            )
        }
        Body::Multi { choices, answers } => {
            let mut options = choices.clone();
            shuffle(&mut options, rng);
            let picked: Vec<String> = reply!(p.choose_many(q, &options))
                .into_iter()
                .filter_map(|i| options.get(i).cloned())
                .collect();
            let right = picked.len() == answers.len() && answers.iter().all(|a| picked.contains(a));
            graded(serde_json::json!(picked), picked.join("; "), auto(right))
        }
        Body::Truefalse { answer } => {
            let judged = reply!(p.judge(q));
            graded(
                judged.into(),
                true_false(judged).into(),
                auto(judged == *answer),
            )
        }
        Body::Text { answers, reject } => {
            let typed = reply!(typed_answer(p, q));
            let verdict = lexicon.check(&typed, answers, reject);
            graded(typed.clone().into(), typed, verdict)
        }
        Body::Cloze { reject } => {
            let typed = reply!(typed_answer(p, q));
            let verdict = lexicon.check_cloze(&typed, &c.prompt, card.sibling, reject);
            graded(typed.clone().into(), typed, verdict)
        }
        Body::Number { answer, tolerance } => {
            let typed = reply!(typed_answer(p, q));
            let verdict = grade::check_number_asked(&c.prompt, &typed, *answer, *tolerance);
            graded(typed.clone().into(), typed, verdict)
        }
        Body::Order { items } => {
            let mut remaining = items.clone();
            shuffle(&mut remaining, rng);
            let mut picked = Vec::new();
            while remaining.len() > 1 {
                let label = format!("{} of {}:", ordinal(picked.len() + 1), items.len());
                let i = reply!(p.choose(q, &label, &remaining));
                if i < remaining.len() {
                    picked.push(remaining.remove(i));
                }
            }
            picked.append(&mut remaining);
            let right = picked == *items;
            graded(serde_json::json!(picked), numbered(&picked), auto(right))
        }
        Body::Match { pairs } => {
            let mut rights: Vec<String> = pairs.iter().map(|(_, r)| r.clone()).collect();
            shuffle(&mut rights, rng);
            let mut chosen = Vec::new();
            for (left, _) in pairs {
                let r = if rights.len() == 1 {
                    rights.remove(0)
                } else {
                    let i = reply!(p.choose(q, &format!("{left} \u{2192}"), &rights));
                    if i < rights.len() {
                        rights.remove(i)
                    } else {
                        continue;
                    }
                };
                chosen.push((left.clone(), r));
            }
            let right = chosen == *pairs;
            graded(serde_json::json!(chosen), matched(&chosen), auto(right))
        }
    };
    Ok(Reply::Answer(answered))
}

/// A typed answer. An empty one (an accidental Enter) is asked for once more before it counts as given up.
fn typed_answer(p: &mut dyn Prompter, q: &Question) -> Result<Reply<String>> {
    match p.type_answer(q)? {
        Reply::Answer(typed) if typed.trim().is_empty() => {
            p.notice(
                "Nothing typed. Type your answer, or press Enter again to give up on this card.",
            );
            p.type_answer(q)
        }
        other => Ok(other),
    }
}

fn graded(response: serde_json::Value, given: String, verdict: Verdict) -> Answered {
    // The duration is not known yet; the slow-answer rule is applied at commit.
    Answered {
        response,
        given,
        rating: 0,
        verdict,
    }
}

/// The expected answer of a study item, as text.
pub(crate) fn expected(card: &StoredCard) -> String {
    let c = &card.card;
    match &c.body {
        Body::Flashcard { answer, .. } => {
            if card.sibling == 1 {
                c.prompt.clone()
            } else {
                answer.clone()
            }
        }
        Body::Choice { answer, .. } => answer.clone(),
        Body::Multi { answers, .. } => answers.join("; "),
        Body::Truefalse { answer } => true_false(*answer).into(),
        Body::Text { answers, .. } => answers.first().cloned().unwrap_or_default(),
        Body::Cloze { .. } => cloze_blanks(&c.prompt)
            .get(card.sibling)
            .and_then(|b| b.answers.first().cloned())
            .unwrap_or_default(),
        Body::Order { items } => numbered(items),
        Body::Match { pairs } => matched(pairs),
        Body::Number { answer, tolerance } => crate::text::format_number(*answer, *tolerance),
    }
}

/// What was right and wrong item by item, from a card and the response stored for it.
pub fn detail(card: &StoredCard, response: &serde_json::Value) -> Detail {
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    match &card.card.body {
        Body::Choice { .. } => Detail::Choice {
            picked: response.as_str().unwrap_or_default().to_string(),
        },
        Body::Multi { choices, answers } => {
            let ticked = strings(response);
            Detail::Multi(
                choices
                    .iter()
                    .map(|c| Tick {
                        choice: c.clone(),
                        ticked: ticked.contains(c),
                        right: answers.contains(c),
                    })
                    .collect(),
            )
        }
        Body::Order { items } => Detail::Order {
            given: strings(response),
            right: items.clone(),
        },
        Body::Match { pairs } => {
            let chosen: HashMap<String, String> = response
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| {
                            let pair = strings(p);
                            Some((pair.first()?.clone(), pair.get(1)?.clone()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Detail::Match(
                pairs
                    .iter()
                    .map(|(l, r)| Pairing {
                        left: l.clone(),
                        picked: chosen.get(l).cloned().unwrap_or_default(),
                        right: r.clone(),
                    })
                    .collect(),
            )
        }
        _ => Detail::Plain,
    }
}

fn answered_clone(a: &Answered) -> Answered {
    Answered {
        response: a.response.clone(),
        given: a.given.clone(),
        verdict: a.verdict.clone(),
        rating: a.rating,
    }
}

/// A deck's answer checker from what the store keeps for it (aliases and normalized known answers), for study and
/// exams alike.
pub(crate) fn load_lexicon(conn: &rusqlite::Connection, deck: &str) -> Result<Lexicon> {
    let (aliases, known) = store::deck_answers(conn, deck)?;
    Ok(Lexicon::with_known(&aliases, known))
}

/// Fisher-Yates with the session's RNG.
fn shuffle<T>(items: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

fn rating_name(r: u8) -> &'static str {
    match r {
        1 => "Again",
        2 => "Hard",
        3 => "Good",
        _ => "Easy",
    }
}

fn true_false(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn numbered(items: &[String]) -> String {
    items
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {s}", i + 1))
        .collect::<Vec<_>>()
        .join("  ")
}

fn matched(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(l, r)| format!("{l} \u{2192} {r}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// When a card is due, in words, relative to when it was answered.
pub fn when(due: i64, now: i64, cal: &Calendar) -> String {
    let secs = due - now;
    if secs < 3600 {
        let m = (secs + 59) / 60;
        return format!("in {m} minute{}", if m == 1 { "" } else { "s" });
    }
    let days = cal.day_of(due) - cal.day_of(now);
    match days {
        0 => format!("in {} hours", (secs + 1800) / 3600),
        1 => "tomorrow".into(),
        d => {
            let date = chrono::DateTime::from_timestamp(due, 0)
                .map(|d| {
                    d.with_timezone(&chrono::Local)
                        .format("%a %-d %b %Y")
                        .to_string()
                })
                .unwrap_or_default();
            format!("in {d} days ({date})")
        }
    }
}
