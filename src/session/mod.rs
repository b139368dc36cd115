//! The study session: the loop that asks the next card, commits each answer with the card's new state in one
//! transaction before the next card appears, and handles undo, "I was right", flags and quitting. Time comes from a
//! [`Clock`] and shuffling from a seeded RNG, so whole sessions run in tests with a scripted prompter.
//!
//! Around the loop: `protocol` is what passes between a session and the terminal, `queue` decides which card
//! comes next, `ask` asks a card and checks the reply, `feedback` describes the verdict, `persist` keeps every
//! write through a busy or full disk, and [`exam`] sits exams.

use crate::deck::DeckSource;
use crate::error::{Error, Result};
use crate::grade::{self, Lexicon, Rule, Verdict};
use crate::schedule::{Calendar, CardState, Outcome, Scheduler, fuzz_factor};
use crate::store::{self, Filter, Learner, Store, StoredCard, counts};
use crate::time::{UnixMs, ms_as_secs_f64, ms_to_secs};
use ask::{Answered, answered_clone};
use persist::{Writes, keep};
use queue::Queue;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use std::collections::HashMap;

mod ask;
pub mod exam;
mod feedback;
mod persist;
mod protocol;
mod queue;

pub use feedback::{detail, when};
pub use persist::{FIRST_WAIT, WAITING};
pub use protocol::{
    Action, Clock, Detail, Entry, Feedback, Go, Overview, Pairing, Prompter, Question, Reply,
    Summary, SystemClock, Tick,
};

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

/// The last committed answer, which undo and override act on.
struct Last {
    review_id: i64,
    /// Whether the answer counted as right, so that an undo takes exactly it back from the summary.
    correct: bool,
    card: StoredCard,
    before: Option<CardState>,
    answered_at: UnixMs,
    duration_ms: i64,
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
    /// Starts a session: records it and builds the queue of today's cards. A read-only database is refused here,
    /// before the first card, since every answer is written.
    pub fn start(
        store: &'a mut Store,
        learner: &'a Learner,
        opts: StudyOptions,
        clock: &'a dyn Clock,
        cal: Calendar,
    ) -> Result<Session<'a>> {
        store.require_writable()?;
        let now = clock.now_ms().secs();
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
        let (queue, exams) = Queue::build(&store.conn, learner, &opts, &cal, now, &mut rng)?;
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

    /// Runs the session to its end and returns the summary (also shown through the prompter).
    pub fn run(mut self, prompter: &mut dyn Prompter) -> Result<Summary> {
        let started = self.clock.now_ms();
        self.summary.cram = self.opts.cram;
        if self.queued() == 0 {
            prompter.message(&self.nothing_due_message()?);
        }
        let mut number = 0;
        'cards: loop {
            if self.opts.limit.is_some_and(|l| self.summary.done >= l) && !self.queue.retaking() {
                break;
            }
            if let Some(m) = self.opts.minutes
                && self.clock.now_ms().since(started) >= i64::from(m) * 60_000
            {
                prompter.message(&format!("{m} minutes are up."));
                break;
            }
            let next = self.queue.next(
                &self.store.conn,
                self.learner.id,
                self.opts.cram,
                self.clock,
            )?;
            let Some(card) = next else {
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
                // A study prompt has no deadline: only an exam's time runs up.
                Reply::Quit | Reply::TimeUp => break,
                Reply::Interrupt => {
                    self.summary.interrupted = true;
                    break;
                }
            };
            let answered_at = self.clock.now_ms();
            let duration_ms = answered_at.since(shown_at).max(0);
            let saved = self.save(
                &card,
                before.as_ref(),
                &answered,
                answered_at,
                duration_ms,
                prompter,
            )?;
            let Some((review_id, outcome)) = saved else {
                break 'cards;
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
                        let what =
                            format!("taking back your answer to {}", card_named(&current.card));
                        let done = self.kept(prompter, "Taking the answer back", &what, |s| {
                            s.undo(&current)
                        });
                        if done?.is_none() {
                            break 'cards;
                        }
                        prompter.message("Answer taken back.");
                        number -= 1;
                        continue 'cards;
                    }
                    Reply::Answer(Action::Override) if feedback.can_override => {
                        let what = format!(
                            "\"I was right\" on your answer to {}",
                            card_named(&current.card)
                        );
                        let done = self.kept(prompter, "\"I was right\"", &what, |s| {
                            s.mark_right(&mut current, &answered)
                        });
                        match done? {
                            Some(f) => feedback = f,
                            None => break 'cards,
                        }
                    }
                    Reply::Answer(Action::Override) => {}
                    Reply::Answer(Action::Flag(note)) => {
                        let what = format!("your flag on {}", card_named(&current.card));
                        let done = self.kept(prompter, "Your flag", &what, |s| {
                            let tx = s.store.write()?;
                            store::add_flag(
                                &tx,
                                s.learner.id,
                                current.card.id,
                                answered_at.secs(),
                                note.as_deref(),
                            )?;
                            Ok(tx.commit()?)
                        });
                        if done?.is_none() {
                            break 'cards;
                        }
                        feedback.flagged = true;
                        prompter.notice("Card flagged for your teacher.");
                    }
                    Reply::Answer(Action::Unflag) => {
                        let what =
                            format!("taking back your flag on {}", card_named(&current.card));
                        let done = self.kept(prompter, "Taking the flag back", &what, |s| {
                            let tx = s.store.write()?;
                            store::remove_flags(&tx, s.learner.id, current.card.id)?;
                            Ok(tx.commit()?)
                        });
                        if done?.is_none() {
                            break 'cards;
                        }
                        feedback.flagged = false;
                        prompter.notice("Flag taken back.");
                    }
                    Reply::Answer(Action::Quit) => break 'cards,
                    Reply::Quit | Reply::TimeUp => break 'cards,
                    Reply::Interrupt => {
                        self.summary.interrupted = true;
                        break 'cards;
                    }
                }
            }
        }
        self.end(started, prompter)
    }

    /// Commits an answer, kept through a busy or full disk (see [`persist`]); `None` when the learner quit instead
    /// of retrying, with the summary saying which answer was not saved.
    fn save(
        &mut self,
        card: &StoredCard,
        before: Option<&CardState>,
        answered: &Answered,
        answered_at: UnixMs,
        duration_ms: i64,
        prompter: &mut dyn Prompter,
    ) -> Result<Option<(i64, Outcome)>> {
        let what = format!("your answer {:?} to {}", answered.given, card_named(card));
        self.kept(prompter, "Your answer", &what, |s| {
            s.commit(card, before, answered, answered_at, duration_ms, None)
        })
    }

    /// An action kept through a busy or full disk (see [`persist`]): `None` when the learner quit instead of
    /// retrying, with the summary naming the action as not saved.
    fn kept<T>(
        &mut self,
        prompter: &mut dyn Prompter,
        action: &str,
        what: &str,
        write: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<Option<T>> {
        match keep(self, prompter, action, what, write) {
            Ok(v) => Ok(Some(v)),
            Err(Error::NotSaved(what)) => {
                self.summary.unsaved = Some(what);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// "I was right": records the last answer as right, in one transaction that replaces the wrong verdict's review
    /// with the override's, and returns the new feedback.
    fn mark_right(&mut self, current: &mut Last, answered: &Answered) -> Result<Feedback> {
        let overridden = Answered {
            verdict: Verdict {
                correct: true,
                rule: Rule::Override,
                near: None,
                why: None,
            },
            rating: Some(crate::schedule::Rating::Good),
            ..answered_clone(answered)
        };
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
        self.feedback(&current.card, &overridden, &outcome)
    }

    /// Ends the session: its length and the counts left for later in the summary, its row closed (if an answer
    /// recorded it), and the summary shown.
    fn end(mut self, started: UnixMs, prompter: &mut dyn Prompter) -> Result<Summary> {
        let now = self.clock.now_ms();
        self.summary.seconds = ms_to_secs(now.since(started).max(0)) as u64;
        // The counts `due` shows, from the store after the last answer: the card on screen at Esc counts too.
        (self.summary.due_tomorrow, self.summary.later_today) = counts::session_end(
            &self.store.conn,
            self.learner.id,
            &self.opts.filter,
            now.secs(),
            &self.cal,
        )?;
        let end = |s: &mut Self| match s.record.id {
            Some(id) => {
                let tx = s.store.write()?;
                store::end_session(&tx, id, now.secs())?;
                Ok(tx.commit()?)
            }
            None => Ok(()),
        };
        // After an action that could not be saved, the database may still refuse writes: the summary is shown
        // all the same, and the caller reports what was not saved.
        if self.summary.unsaved.is_some() {
            // One brief try: the learner chose to quit and is not kept waiting again.
            let full = self.store.busy_timeout();
            let _ = self.store.wait_at_most(FIRST_WAIT.min(full));
            let _ = end(&mut self);
            let _ = self.store.wait_at_most(full);
        } else {
            let what = "the end of this session (its answers are saved)";
            self.kept(prompter, "The end of the session", what, end)?;
        }
        prompter.summary(&self.summary);
        Ok(self.summary)
    }

    /// Counts a committed answer in the summary and, outside cram, in the queue.
    fn count(&mut self, card: &StoredCard, correct: bool, outcome: &Outcome) {
        self.summary.done += 1;
        if correct {
            self.summary.right += 1;
        }
        if self.opts.cram {
            return;
        }
        self.queue.answered(card, outcome, &self.cal);
    }

    /// Takes the last answer back: its review deleted and the card's state restored in one transaction, the summary
    /// and the queue as before it, and the card asked again next.
    fn undo(&mut self, last: &Last) -> Result<()> {
        let tx = self.store.write()?;
        store::retract_review(&tx, last.review_id)?;
        if !self.opts.cram {
            store::put_state(&tx, self.learner.id, last.card.id, last.before.as_ref())?;
        }
        tx.commit()?;
        self.summary.done = self.summary.done.saturating_sub(1);
        if last.correct {
            self.summary.right = self.summary.right.saturating_sub(1);
        }
        self.queue.taken_back(last.card.id, last.before);
        Ok(())
    }

    /// Stores an answer and the card's new state in one transaction, replacing the review `replacing` (an override)
    /// in the same transaction.
    fn commit(
        &mut self,
        card: &StoredCard,
        before: Option<&CardState>,
        answered: &Answered,
        at: UnixMs,
        duration_ms: i64,
        replacing: Option<i64>,
    ) -> Result<(i64, crate::schedule::Outcome)> {
        let rating = answered
            .rating
            .unwrap_or_else(|| grade::rating(&answered.verdict, ms_as_secs_f64(duration_ms)));
        let now = at.secs();
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
            reviewed_at_ms: at,
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
            store::retract_review(&tx, old)?;
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
}

impl Writes for Session<'_> {
    fn store(&mut self) -> &mut Store {
        self.store
    }
}

/// A card as a message names it: its prompt, deck and key.
fn card_named(card: &StoredCard) -> String {
    format!(
        "{:?} ({}/{})",
        ask::prompt(card),
        card.deck_id,
        card.card_key
    )
}
