//! LTI 1.3 as one group of the [`super::Backend`]'s operations ([`LtiOps`]): the launch's links and courses, the
//! grade passback's queue, the teacher's outbox and the sender's tries all run as work on the database's
//! [`LtiRecords`] (the logic once, in `server::lti` and `routes::lti`), and a push reads its column with the
//! reports' reads. SQLite body: the server's one `Store`, locked, in one write transaction; PostgreSQL body
//! (feature `server`): one course-scoped transaction (the links and the outbox are learner rows under row
//! security).

use crate::error::Result;
use crate::server::api::LtiPush;
use crate::server::lti::ags::{self, Column};
use crate::store::{LtiRecords, Store};
use crate::time::UnixMs;
use std::sync::{Mutex, PoisonError};

/// LTI's operations on a class server's database.
pub trait LtiOps {
    /// Runs `work` on the LTI records in one transaction, committed if it returns `Ok` (nothing is written
    /// otherwise).
    fn lti_work(&self, work: &mut dyn FnMut(&mut dyn LtiRecords) -> Result<()>) -> Result<()>;
    /// The column `grades push` posts ([`ags::column`]), an exam's expired attempts closed first.
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
        ags::column(&mut &store.conn, req, now)
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
            ags::column(reads, req, now)
        })
    }
}
