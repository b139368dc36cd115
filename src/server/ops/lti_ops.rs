//! LTI 1.3 as one group of the [`super::Backend`]'s operations ([`LtiOps`]): the launch's links and courses, the
//! grade passback's queue, the teacher's outbox and the sender's tries all run as work on the database's
//! [`LtiRecords`] (the logic once, in `server::lti` and `routes::lti`), and a push reads its column with the
//! reports' reads. SQLite body: the server's one `Store`, locked, in one write transaction; PostgreSQL body
//! (feature `server`): one course-scoped transaction (the links and the outbox are learner rows under row
//! security).

use crate::error::{Error, Result};
use crate::server::api::LtiPush;
use crate::store::{LtiRecords, ReportReads, Store};
use crate::time::UnixMs;
use std::sync::{Mutex, PoisonError};

/// The resource id prefix of a deck's mastery line item.
pub const DECK: &str = "deck:";

/// A learner's share of the maximum (0 to 1) and its time (Unix milliseconds), if they have one.
pub type Share = Option<(f64, i64)>;

/// A line item to post to: its resource id, label and maximum, and each learner's id, name and share.
pub struct Column {
    pub resource_id: String,
    pub label: String,
    pub maximum: f64,
    pub rows: Vec<(i64, String, Share)>,
}

/// The column a push posts: the exam's grades or the deck's mastery, read from `reads` (an exam's expired
/// attempts closed by the caller).
pub fn column(reads: &mut dyn ReportReads, req: &LtiPush, now: UnixMs) -> Result<Column> {
    Ok(match (&req.exam, &req.deck) {
        (Some(exam), None) => {
            let (column, rows) = super::exam_grades(reads, exam, req.include_unsupervised, now)?;
            Column {
                resource_id: column.id.clone(),
                label: column.title.clone(),
                maximum: column.points,
                rows: rows
                    .into_iter()
                    .map(|(id, name, r)| (id, name, r.map(|r| (r.fraction, r.closed_at_ms.0))))
                    .collect(),
            }
        }
        (None, Some(deck)) => {
            let (column, rows) = super::deck_mastery(reads, deck, now)?;
            Column {
                resource_id: format!("{DECK}{}", column.id),
                label: format!("{} ({})", column.id, crate::gradebook::mastery_name()),
                maximum: 100.0,
                rows: rows
                    .into_iter()
                    .map(|(id, name, d)| (id, name, d.last_activity_ms.map(|at| (d.mastery, at.0))))
                    .collect(),
            }
        }
        _ => {
            return Err(Error::Usage(
                "say what to push: an exam (`grades push EXAM`) or a deck's mastery (`grades push --deck ID`)"
                    .to_string(),
            ));
        }
    })
}

/// LTI's operations on a class server's database.
pub trait LtiOps {
    /// Runs `work` on the LTI records in one transaction, committed if it returns `Ok` (nothing is written
    /// otherwise).
    fn lti_work(&self, work: &mut dyn FnMut(&mut dyn LtiRecords) -> Result<()>) -> Result<()>;
    /// The column `grades push` posts ([`column()`]), an exam's expired attempts closed first.
    fn lti_column(&self, req: &LtiPush, now: UnixMs) -> Result<Column>;
}

impl LtiOps for Mutex<Store> {
    fn lti_work(&self, work: &mut dyn FnMut(&mut dyn LtiRecords) -> Result<()>) -> Result<()> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        let mut tx = store.write()?;
        work(&mut tx)?;
        tx.commit()?;
        Ok(())
    }

    fn lti_column(&self, req: &LtiPush, now: UnixMs) -> Result<Column> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        super::close_expired(&mut store, now.secs())?;
        column(&mut &store.conn, req, now)
    }
}

/// PostgreSQL: each in one course-scoped transaction; a push's column as the reports read it (built-in decks
/// loaded, expired attempts closed).
#[cfg(feature = "server")]
impl LtiOps for crate::store::pg::Pg {
    fn lti_work(&self, work: &mut dyn FnMut(&mut dyn LtiRecords) -> Result<()>) -> Result<()> {
        self.course(|tx| work(tx))
    }

    fn lti_column(&self, req: &LtiPush, now: UnixMs) -> Result<Column> {
        self.report(now.secs(), Some(crate::session::exam::GRACE_MS), |reads| {
            column(reads, req, now)
        })
    }
}
