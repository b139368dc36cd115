//! The exams a class server runs, as one group of the [`super::Backend`]'s operations ([`ExamOps`]): the teacher's
//! `exam load` and `exam extra-time`, the learner's listing, attempt, questions, answers, submission and review,
//! and the closer. Each has a SQLite body (the server's one `Store`, locked) and a PostgreSQL body (feature
//! `server`): both run the same work (`session::exam::served`, [`super::exam_load`], [`super::exam_extra_time`]) on
//! the database's [`ExamRecords`]. On PostgreSQL an attempt and its answers are a learner's rows, read and written
//! in that learner's row-security scope with their exam work serialised (`pg::lock_learner`); loading an exam,
//! extra time and the closer are the course's.

use super::{builtin_decks, exam_extra_time, exam_load};
use crate::error::Result;
use crate::exam::Exam;
use crate::server::api::ExamLoaded;
use crate::session::exam::served::{self, Served};
use crate::session::exam::wire::{
    Ack, AnswerSent, AttemptView, ExamListing, ExtraTime, Outcome, QuestionView,
};
use crate::store::{ExamRecords, Learner, Store};
use crate::time::UnixMs;
use std::sync::{Mutex, PoisonError};

/// The exams' operations on a class server's database. `learner` is the caller's roster name (never a field of the
/// request); the time is the server's clock.
pub trait ExamOps {
    /// `exam load` on the server: the built-in decks loaded first, then [`super::exam_load`], served (an exam on
    /// study decks is loaded with the open-book warning).
    fn exam_load(&self, name: &str, text: &str, now_s: i64) -> Result<ExamLoaded>;
    /// `exam extra-time`: [`super::exam_extra_time`].
    fn exam_extra_time(&self, req: &ExtraTime, by: &str, now: UnixMs) -> Result<String>;
    /// `GET /v1/exams`: [`served::listing`].
    fn exam_listing(&self) -> Result<Vec<ExamListing>>;
    /// The closer: [`served::close_due`].
    fn exam_close_due(&self, now: UnixMs) -> Result<usize>;
    /// `POST /v1/exams/ID/attempt`: [`served::start`].
    fn exam_start(&self, exam: &str, learner: &str, now: UnixMs) -> Result<Served<AttemptView>>;
    /// `GET /v1/exams/ID/attempt/questions/N`: [`served::question`].
    fn exam_question(
        &self,
        exam: &str,
        learner: &str,
        number: u32,
        now: UnixMs,
    ) -> Result<Served<QuestionView>>;
    /// `POST /v1/exams/ID/attempt/answers/N`: [`served::answer`].
    fn exam_answer(
        &self,
        exam: &str,
        learner: &str,
        number: u32,
        sent: &AnswerSent,
        now: UnixMs,
    ) -> Result<Served<Ack>>;
    /// `POST /v1/exams/ID/attempt/submit`: [`served::submit`].
    fn exam_submit(&self, exam: &str, learner: &str, now: UnixMs) -> Result<Served<Outcome>>;
    /// `GET /v1/exams/ID/review`: [`served::review`].
    fn exam_review(&self, exam: &str, learner: &str, now: UnixMs) -> Result<Served<Outcome>>;
}

/// A learner's request on the SQLite store, the store locked for all of it.
fn sit_sqlite<T>(
    store: &Mutex<Store>,
    exam: &str,
    name: &str,
    now: UnixMs,
    work: impl FnOnce(&mut dyn ExamRecords, &Exam, &Learner, UnixMs) -> Result<Served<T>>,
) -> Result<Served<T>> {
    let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
    let learner = store.learner_by_name(name)?;
    served::sitting(&mut *store, exam, name, learner, now, work)
}

impl ExamOps for Mutex<Store> {
    fn exam_load(&self, name: &str, text: &str, now_s: i64) -> Result<ExamLoaded> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        builtin_decks(&mut store, now_s)?;
        exam_load(&mut *store, name, text, now_s, true)
    }

    fn exam_extra_time(&self, req: &ExtraTime, by: &str, now: UnixMs) -> Result<String> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        exam_extra_time(&mut *store, req, by, now)
    }

    fn exam_listing(&self) -> Result<Vec<ExamListing>> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        served::listing(&mut *store)
    }

    fn exam_close_due(&self, now: UnixMs) -> Result<usize> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        served::close_due(&mut *store, now)
    }

    fn exam_start(&self, exam: &str, learner: &str, now: UnixMs) -> Result<Served<AttemptView>> {
        sit_sqlite(self, exam, learner, now, served::start)
    }

    fn exam_question(
        &self,
        exam: &str,
        learner: &str,
        number: u32,
        now: UnixMs,
    ) -> Result<Served<QuestionView>> {
        sit_sqlite(self, exam, learner, now, move |s, e, l, now| {
            served::question(s, e, l, number, now)
        })
    }

    fn exam_answer(
        &self,
        exam: &str,
        learner: &str,
        number: u32,
        sent: &AnswerSent,
        now: UnixMs,
    ) -> Result<Served<Ack>> {
        sit_sqlite(self, exam, learner, now, move |s, e, l, now| {
            served::answer(s, e, l, number, sent, now)
        })
    }

    fn exam_submit(&self, exam: &str, learner: &str, now: UnixMs) -> Result<Served<Outcome>> {
        sit_sqlite(self, exam, learner, now, served::submit)
    }

    fn exam_review(&self, exam: &str, learner: &str, now: UnixMs) -> Result<Served<Outcome>> {
        sit_sqlite(self, exam, learner, now, served::review)
    }
}

#[cfg(feature = "server")]
mod pg {
    use super::*;
    use crate::store::pg::{Pg, lock_learner, sync_builtin};

    /// A learner's request on PostgreSQL: the learner found in the course's scope, then the work in one transaction
    /// in theirs, their exam work held to one request at a time. A name not on the roster is refused (as
    /// [`served::sitting`] refuses it) without any learner's rows in scope.
    fn sit_pg<T>(
        pg: &Pg,
        exam: &str,
        name: &str,
        now: UnixMs,
        work: impl FnOnce(&mut dyn ExamRecords, &Exam, &Learner, UnixMs) -> Result<Served<T>>,
    ) -> Result<Served<T>> {
        match pg.course(|tx| tx.learner_by_name(name))? {
            Some(learner) => pg.learner(learner.id, |tx| {
                lock_learner(tx, learner.id)?;
                served::sitting(tx, exam, name, Some(learner), now, work)
            }),
            None => pg.course(|tx| served::sitting(tx, exam, name, None, now, work)),
        }
    }

    impl ExamOps for Pg {
        fn exam_load(&self, name: &str, text: &str, now_s: i64) -> Result<ExamLoaded> {
            self.course(|tx| {
                sync_builtin(tx, now_s)?;
                exam_load(tx, name, text, now_s, true)
            })
        }

        fn exam_extra_time(&self, req: &ExtraTime, by: &str, now: UnixMs) -> Result<String> {
            self.course(|tx| {
                // The learner's own requests wait while their deadline moves.
                if let Some(learner) = tx.learner_by_name(&req.learner)? {
                    lock_learner(tx, learner.id)?;
                }
                exam_extra_time(tx, req, by, now)
            })
        }

        fn exam_listing(&self) -> Result<Vec<ExamListing>> {
            self.course(|tx| served::listing(tx))
        }

        fn exam_close_due(&self, now: UnixMs) -> Result<usize> {
            self.course(|tx| served::close_due(tx, now))
        }

        fn exam_start(
            &self,
            exam: &str,
            learner: &str,
            now: UnixMs,
        ) -> Result<Served<AttemptView>> {
            sit_pg(self, exam, learner, now, served::start)
        }

        fn exam_question(
            &self,
            exam: &str,
            learner: &str,
            number: u32,
            now: UnixMs,
        ) -> Result<Served<QuestionView>> {
            sit_pg(self, exam, learner, now, move |s, e, l, now| {
                served::question(s, e, l, number, now)
            })
        }

        fn exam_answer(
            &self,
            exam: &str,
            learner: &str,
            number: u32,
            sent: &AnswerSent,
            now: UnixMs,
        ) -> Result<Served<Ack>> {
            sit_pg(self, exam, learner, now, move |s, e, l, now| {
                served::answer(s, e, l, number, sent, now)
            })
        }

        fn exam_submit(&self, exam: &str, learner: &str, now: UnixMs) -> Result<Served<Outcome>> {
            sit_pg(self, exam, learner, now, served::submit)
        }

        fn exam_review(&self, exam: &str, learner: &str, now: UnixMs) -> Result<Served<Outcome>> {
            sit_pg(self, exam, learner, now, served::review)
        }
    }
}
