//! The reads and writes of the exams a class server runs, as one interface ([`ExamRecords`]) with a body per
//! database: SQLite here (each write its own transaction on the [`Store`], as the server's one store is used one
//! request at a time) and PostgreSQL in `pg::exams` (every call inside the one transaction, scoped for row-level
//! security, that the caller opened). What an attempt's rules decide with them (the paper, the deadline, the grace,
//! the sequence numbers, the grading) is written once, in `session::exam::served` and `server::ops`.

use super::{
    Attempt, AttemptAnswer, DeckAnswers, ExamRow, Filter, Learner, Store, StoredCard, Upsert,
};
use crate::error::Result;
use crate::time::UnixMs;
use std::collections::HashMap;

/// What the served exams read and write, whatever the database.
pub trait ExamRecords {
    /// Every exam loaded, by id.
    fn exams(&mut self) -> Result<Vec<ExamRow>>;
    /// One exam, if loaded.
    fn exam(&mut self, id: &str) -> Result<Option<ExamRow>>;
    /// The ids of the decks loaded (not retired).
    fn deck_ids(&mut self) -> Result<Vec<String>>;
    /// A roster learner by name.
    fn learner_by_name(&mut self, name: &str) -> Result<Option<Learner>>;
    /// As [`super::exam_pool`].
    fn exam_pool(&mut self, filter: &Filter, flashcards: bool) -> Result<Vec<(i64, String)>>;
    /// As [`super::study_decks_drawn`].
    fn study_decks_drawn(&mut self, filter: &Filter) -> Result<Vec<String>>;
    /// As [`super::upsert_exam`], committed.
    fn upsert_exam(&mut self, row: &ExamRow) -> Result<Upsert>;
    /// As [`super::close_expired_attempts`], committed: how many attempts it closed.
    fn close_expired(&mut self, now: UnixMs, grace_ms: i64) -> Result<usize>;
    /// As [`super::supervised_attempts`].
    fn supervised_attempts(&mut self, exam: &str, learner: i64) -> Result<Vec<Attempt>>;
    /// As [`super::next_attempt_number`].
    fn next_attempt_number(&mut self, exam: &str, learner: i64) -> Result<u32>;
    /// As [`super::extra_minutes`].
    fn extra_minutes(&mut self, exam: &str, learner: i64) -> Result<u32>;
    /// As [`super::insert_attempt`], committed: the new attempt's id.
    fn insert_attempt(&mut self, attempt: &Attempt) -> Result<i64>;
    /// As [`super::attempt_answers`].
    fn attempt_answers(&mut self, attempt: i64) -> Result<Vec<AttemptAnswer>>;
    /// As [`super::answer_seqs`].
    fn answer_seqs(&mut self, attempt: i64) -> Result<HashMap<u32, u32>>;
    /// As [`super::put_served_answer`], committed.
    fn put_served_answer(&mut self, answer: &AttemptAnswer, seq: u32) -> Result<()>;
    /// As [`super::close_attempt`], committed.
    fn close_attempt(
        &mut self,
        attempt: i64,
        closed_at: UnixMs,
        score: f64,
        max_score: f64,
    ) -> Result<()>;
    /// A teacher's extra time recorded ([`super::set_extra_time`]) and, with `open`, that open attempt's deadline
    /// moved ([`super::set_open_deadline`]), committed together.
    fn grant_extra_time(
        &mut self,
        exam: &str,
        learner: i64,
        minutes: u32,
        by: &str,
        at: UnixMs,
        open: Option<(i64, Option<UnixMs>)>,
    ) -> Result<()>;
    /// As [`super::card`].
    fn card(&mut self, id: i64) -> Result<Option<StoredCard>>;
    /// As [`super::deck_answers`]: the deck's aliases and known answers, for the answer checker.
    fn deck_answers(&mut self, deck: &str) -> Result<DeckAnswers>;
}

impl ExamRecords for Store {
    fn exams(&mut self) -> Result<Vec<ExamRow>> {
        super::exams(&self.conn)
    }

    fn exam(&mut self, id: &str) -> Result<Option<ExamRow>> {
        super::exam(&self.conn, id)
    }

    fn deck_ids(&mut self) -> Result<Vec<String>> {
        Ok(super::decks(&self.conn)?
            .into_iter()
            .map(|d| d.id)
            .collect())
    }

    fn learner_by_name(&mut self, name: &str) -> Result<Option<Learner>> {
        super::learner_by_name(&self.conn, name)
    }

    fn exam_pool(&mut self, filter: &Filter, flashcards: bool) -> Result<Vec<(i64, String)>> {
        super::exam_pool(&self.conn, filter, flashcards)
    }

    fn study_decks_drawn(&mut self, filter: &Filter) -> Result<Vec<String>> {
        super::study_decks_drawn(&self.conn, filter)
    }

    fn upsert_exam(&mut self, row: &ExamRow) -> Result<Upsert> {
        let tx = self.write()?;
        let what = super::upsert_exam(&tx, row)?;
        tx.commit()?;
        Ok(what)
    }

    fn close_expired(&mut self, now: UnixMs, grace_ms: i64) -> Result<usize> {
        let tx = self.write()?;
        let closed = super::close_expired_attempts(&tx, now, grace_ms)?;
        tx.commit()?;
        Ok(closed)
    }

    fn supervised_attempts(&mut self, exam: &str, learner: i64) -> Result<Vec<Attempt>> {
        super::supervised_attempts(&self.conn, exam, learner)
    }

    fn next_attempt_number(&mut self, exam: &str, learner: i64) -> Result<u32> {
        super::next_attempt_number(&self.conn, exam, learner)
    }

    fn extra_minutes(&mut self, exam: &str, learner: i64) -> Result<u32> {
        super::extra_minutes(&self.conn, exam, learner)
    }

    fn insert_attempt(&mut self, attempt: &Attempt) -> Result<i64> {
        let tx = self.write()?;
        let id = super::insert_attempt(&tx, attempt)?;
        tx.commit()?;
        Ok(id)
    }

    fn attempt_answers(&mut self, attempt: i64) -> Result<Vec<AttemptAnswer>> {
        super::attempt_answers(&self.conn, attempt)
    }

    fn answer_seqs(&mut self, attempt: i64) -> Result<HashMap<u32, u32>> {
        super::answer_seqs(&self.conn, attempt)
    }

    fn put_served_answer(&mut self, answer: &AttemptAnswer, seq: u32) -> Result<()> {
        let tx = self.write()?;
        super::put_served_answer(&tx, answer, seq)?;
        tx.commit()?;
        Ok(())
    }

    fn close_attempt(
        &mut self,
        attempt: i64,
        closed_at: UnixMs,
        score: f64,
        max_score: f64,
    ) -> Result<()> {
        let tx = self.write()?;
        super::close_attempt(&tx, attempt, closed_at, score, max_score)?;
        tx.commit()?;
        Ok(())
    }

    fn grant_extra_time(
        &mut self,
        exam: &str,
        learner: i64,
        minutes: u32,
        by: &str,
        at: UnixMs,
        open: Option<(i64, Option<UnixMs>)>,
    ) -> Result<()> {
        let tx = self.write()?;
        super::set_extra_time(&tx, exam, learner, minutes, by, at)?;
        if let Some((attempt, deadline)) = open {
            super::set_open_deadline(&tx, attempt, deadline)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn card(&mut self, id: i64) -> Result<Option<StoredCard>> {
        super::card(&self.conn, id)
    }

    fn deck_answers(&mut self, deck: &str) -> Result<DeckAnswers> {
        super::deck_answers(&self.conn, deck)
    }
}
