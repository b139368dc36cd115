//! Which card comes next in a study session: today's queue built within the daily limits (learning steps due today,
//! due reviews, new cards raised by exams ahead, or the shuffled cram set), the order cards are taken from it, and
//! learning steps requeued as they are answered or taken back.

use super::ask::shuffle;
use super::{Clock, Session, StudyOptions};
use crate::error::Result;
use crate::schedule::exam_date::Upcoming;
use crate::schedule::{Calendar, CardState, Outcome, Phase};
use crate::store::{self, Learner, StoredCard, counts};
use crate::time::UnixMs;
use rand_chacha::ChaCha8Rng;
use std::collections::{HashSet, VecDeque};

/// Learning cards due within this many seconds are shown early when nothing else is left (Anki's learn-ahead).
const LEARN_AHEAD: i64 = 20 * 60;

/// The cards still to ask this session, by card id.
pub(super) struct Queue {
    /// Learning and relearning steps due before the end of the day, with their due time.
    learning: Vec<(i64, i64)>,
    reviews: VecDeque<i64>,
    new: VecDeque<i64>,
    cram: VecDeque<i64>,
    /// Cards to ask again first (after an undo).
    again: VecDeque<i64>,
    /// The notes studied today: a sibling of one waits for another day.
    notes_today: HashSet<String>,
    /// Reviews asked since the last new card, to spread new cards evenly.
    since_new: u32,
}

impl Queue {
    /// Today's queue at `now` (seconds): the cram set shuffled with `rng` and cut to the session's limit, or learning
    /// steps due today, reviews due now within what is left of the daily review limit, and new cards within what is
    /// left of the daily new limit (or `--new`) raised to the pace of the exams ahead. Also returns those exams (none
    /// when cramming), which the scheduler applies to the answers.
    pub(super) fn build(
        conn: &rusqlite::Connection,
        learner: &Learner,
        opts: &StudyOptions,
        cal: &Calendar,
        now: i64,
        rng: &mut ChaCha8Rng,
    ) -> Result<(Queue, Vec<Upcoming>)> {
        let today_start = cal.start_of_ms(cal.day_of(now));
        let done = store::today(conn, learner.id, today_start)?;
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
            let mut cards = store::filtered_cards(conn, &opts.filter)?;
            shuffle(&mut cards, rng);
            if let Some(limit) = opts.limit {
                cards.truncate(limit as usize);
            }
            queue.cram = cards.into();
        } else {
            let end_of_day = cal.start_of(cal.day_of(now).plus(1));
            queue.learning = store::due_learning(conn, learner.id, end_of_day, &opts.filter)?
                .into_iter()
                .map(|(card, due)| (due, card))
                .collect();
            let reviews_left = counts::reviews_left(learner, done.reviews_done);
            queue.reviews =
                store::due_reviews(conn, learner.id, now, &opts.filter, reviews_left)?.into();
            let new_left = opts
                .new
                .unwrap_or(counts::new_limit_left(learner, done.new_done));
            let mut new =
                counts::new_for_today(conn, learner.id, &opts.filter, new_left, &done.notes)?;
            // Exams ahead raise the day's new cards in their scope to their pace (unless --new says how many).
            exams = store::exam_dates::upcoming(
                conn,
                learner.id,
                opts.exam_date.map(|d| (d, &opts.filter)),
            )?;
            if opts.new.is_none() {
                let statuses = store::exam_dates::statuses(conn, learner.id, &exams, cal, now)?;
                new.extend(store::exam_dates::extra_new(
                    conn,
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
        Ok((queue, exams))
    }

    /// How many cards are queued (learning due today, reviews, new, cram).
    pub(super) fn len(&self) -> usize {
        self.learning.len() + self.reviews.len() + self.new.len() + self.cram.len()
    }

    /// Whether a card taken back waits to be asked again.
    pub(super) fn retaking(&self) -> bool {
        !self.again.is_empty()
    }

    /// Learning steps and reviews due at `now` (seconds), and new cards still to introduce.
    fn due_now(&self, now: i64) -> (u32, u32) {
        let learning = self.learning.iter().filter(|(due, _)| *due <= now).count();
        (
            (learning + self.reviews.len()) as u32,
            self.new.len() as u32,
        )
    }

    /// Picks the next card: an undone card, learning steps due now, then due reviews with new cards interleaved,
    /// then learning steps due within the learn-ahead window. The time is read only once the card taken back and
    /// the cram set have been looked at.
    pub(super) fn next(
        &mut self,
        conn: &rusqlite::Connection,
        learner: i64,
        cram: bool,
        clock: &dyn Clock,
    ) -> Result<Option<StoredCard>> {
        if let Some(id) = self.again.pop_front() {
            return store::card(conn, id);
        }
        if cram {
            while let Some(id) = self.cram.pop_front() {
                if let Some(card) = store::card(conn, id)? {
                    return Ok(Some(card));
                }
            }
            return Ok(None);
        }
        let now = clock.now_ms().secs();
        for ahead in [0, LEARN_AHEAD] {
            self.learning.sort();
            while let Some(&(due, id)) = self.learning.first() {
                if due > now + ahead {
                    break;
                }
                self.learning.remove(0);
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
                let reviews = self.reviews.len() as u32;
                let new = self.new.len() as u32;
                if reviews + new == 0 {
                    break;
                }
                let take_new = new > 0 && (reviews == 0 || self.since_new >= reviews / new.max(1));
                let id = if take_new {
                    self.since_new = 0;
                    self.new.pop_front()
                } else {
                    self.since_new += 1;
                    self.reviews.pop_front()
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
                if still_due && !self.notes_today.contains(&card.note_key()) {
                    return Ok(Some(card));
                }
            }
        }
        Ok(None)
    }

    /// After an answer outside cram: the note counts as studied today, and a card still in learning comes back
    /// when its next step is due, if that is today.
    pub(super) fn answered(&mut self, card: &StoredCard, outcome: &Outcome, cal: &Calendar) {
        self.notes_today.insert(card.note_key());
        self.learning.retain(|(_, id)| *id != card.id);
        let s = &outcome.state;
        if matches!(s.phase, Phase::Learning | Phase::Relearning) {
            let end_of_day = cal.start_of(cal.day_of(s.last_review).plus(1));
            if s.due < end_of_day {
                self.learning.push((s.due, card.id));
            }
        }
    }

    /// After an undo: the card's learning step is as it was `before` the answer, and the card is asked again first.
    pub(super) fn taken_back(&mut self, card: i64, before: Option<CardState>) {
        self.learning.retain(|(_, id)| *id != card);
        if before.is_some_and(|b| matches!(b.phase, Phase::Learning | Phase::Relearning)) {
            self.learning.push((before.map_or(0, |b| b.due), card));
        }
        self.again.push_front(card);
    }
}

impl Session<'_> {
    /// What is left in the queue, for the study header ("8 due · 5 new left"): learning steps and reviews due
    /// now (the definitions of [`store::counts`]), and new cards still to introduce this session.
    pub fn counts(&self) -> (u32, u32) {
        self.queue.due_now(self.clock.now_ms().secs())
    }

    /// How many cards are queued now (learning due today, reviews, new, cram).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// The header's progress, counting the card on screen: "12 done · 8 due · 5 new left", and the time left when
    /// the session has a time limit.
    pub(super) fn progress(&self, started: UnixMs, current_new: bool) -> String {
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
            let left = i64::from(m) * 60_000 - self.clock.now_ms().since(started);
            let mins = (left.max(0) + 59_999) / 60_000;
            parts.push(format!("{mins} min left"));
        }
        parts.join(" \u{b7} ")
    }

    /// The message shown when nothing is due.
    pub(super) fn nothing_due_message(&self) -> Result<String> {
        if self.opts.cram {
            return Ok("No cards match; check --deck and --tag (see `detente decks`).".into());
        }
        let now = self.clock.now_ms().secs();
        let end_today = self.cal.start_of(self.cal.day_of(now).plus(1));
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
                "Nothing is due now. {waiting} new card(s) here draw on readings you have not finished yet: \
                 study those readings' decks first (`detente study`), or practise these with --cram."
            ));
        }
        Ok("Nothing is due now, and today's new cards are done. Come back later, or practise with --cram.".into())
    }
}
