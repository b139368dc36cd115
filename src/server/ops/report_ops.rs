//! The teacher's reports as a group of the class server's [`Backend`](super::Backend): [`ReportOps`], one method per
//! route (`stats --class` and `report --class --html`, `report items`, `report flags` and `--resolve`, `exam
//! results`, `grades export`), each run as its route runs it: the built-in decks loaded first, as a local command
//! loads them when it opens its database, and expired exam attempts closed before results are read. On SQLite the
//! body is the `ops::` function on the server's one [`Store`]; on PostgreSQL (feature `server`) it is the same
//! function's `*_read` twin on a course-scoped transaction (`store::pg::reports`): the reports are computed once.

use crate::error::Result;
use crate::exam::analysis::ItemStats;
use crate::server::api::{
    ClassRequest, ExamResults, FlagsRequest, GradeExport, GradesRequest, ItemsRequest,
    ResultsRequest,
};
use crate::stats::Class;
use crate::store::{FlagRow, FlagState, Store};
use crate::time::UnixMs;
use std::sync::{Mutex, PoisonError};

/// The teacher's reports on a class server's store; each returns what the `ops::` function of its name returns.
pub trait ReportOps {
    /// `stats --class` (and `report --class --html`): the class view.
    fn class(&self, req: &ClassRequest, now: UnixMs) -> Result<Class>;

    /// `report items`: item analysis of an exam's attempts or a deck's first study answers.
    fn items(&self, req: &ItemsRequest, now: UnixMs) -> Result<Vec<ItemStats>>;

    /// `report flags`: the open flags (every flag with `all`), of one deck if given.
    fn flags(&self, req: &FlagsRequest, now: UnixMs) -> Result<Vec<FlagRow>>;

    /// `report flags --resolve ID...`: every flag resolved, or none when one id is wrong; each flag's state before.
    fn resolve_flags(&self, ids: &[i64], now: UnixMs) -> Result<Vec<(i64, FlagState)>>;

    /// `exam results`: every learner's results of an exam.
    fn exam_results(&self, req: &ResultsRequest, now: UnixMs) -> Result<ExamResults>;

    /// `grades export`: the grade CSV and what the command says under it.
    fn grades(&self, req: &GradesRequest, now: UnixMs) -> Result<GradeExport>;
}

/// The server's one SQLite [`Store`], locked for the whole report.
fn locked(store: &Mutex<Store>, now: UnixMs) -> Result<std::sync::MutexGuard<'_, Store>> {
    let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
    super::builtin_decks(&mut store, now.secs())?;
    Ok(store)
}

impl ReportOps for Mutex<Store> {
    fn class(&self, req: &ClassRequest, now: UnixMs) -> Result<Class> {
        let store = locked(self, now)?;
        super::class(&store, req, now.secs())
    }

    fn items(&self, req: &ItemsRequest, now: UnixMs) -> Result<Vec<ItemStats>> {
        let mut store = locked(self, now)?;
        super::items(&mut store, req, now.secs())
    }

    fn flags(&self, req: &FlagsRequest, now: UnixMs) -> Result<Vec<FlagRow>> {
        let store = locked(self, now)?;
        super::flags(&store, req)
    }

    fn resolve_flags(&self, ids: &[i64], now: UnixMs) -> Result<Vec<(i64, FlagState)>> {
        let mut store = locked(self, now)?;
        super::resolve_flags(&mut store, ids, now.secs())
    }

    fn exam_results(&self, req: &ResultsRequest, now: UnixMs) -> Result<ExamResults> {
        let mut store = locked(self, now)?;
        super::exam_results(&mut store, req, now.secs())
    }

    fn grades(&self, req: &GradesRequest, now: UnixMs) -> Result<GradeExport> {
        let mut store = locked(self, now)?;
        super::grades(&mut store, req, now)
    }
}

/// PostgreSQL: each report in one course-scoped transaction, its expired attempts closed first where it reads
/// results (as `ops::close_expired` closes them on SQLite).
#[cfg(feature = "server")]
impl ReportOps for crate::store::pg::Pg {
    fn class(&self, req: &ClassRequest, now: UnixMs) -> Result<Class> {
        self.report(now.secs(), None, |reads| {
            super::class_read(reads, req, now.secs())
        })
    }

    fn items(&self, req: &ItemsRequest, now: UnixMs) -> Result<Vec<ItemStats>> {
        self.report(now.secs(), Some(GRACE_MS), |reads| {
            super::items_read(reads, req)
        })
    }

    fn flags(&self, req: &FlagsRequest, now: UnixMs) -> Result<Vec<FlagRow>> {
        self.report(now.secs(), None, |reads| super::flags_read(reads, req))
    }

    fn resolve_flags(&self, ids: &[i64], now: UnixMs) -> Result<Vec<(i64, FlagState)>> {
        self.resolving_flags(now.secs(), |resolve| super::resolve_each(ids, resolve))
    }

    fn exam_results(&self, req: &ResultsRequest, now: UnixMs) -> Result<ExamResults> {
        self.report(now.secs(), Some(GRACE_MS), |reads| {
            super::exam_results_read(reads, req)
        })
    }

    fn grades(&self, req: &GradesRequest, now: UnixMs) -> Result<GradeExport> {
        self.report(now.secs(), Some(GRACE_MS), |reads| {
            super::grades_read(reads, req, now)
        })
    }
}

/// How long after its deadline an attempt stays open for answers in flight (`session::exam::GRACE_MS`).
#[cfg(feature = "server")]
const GRACE_MS: i64 = crate::session::exam::GRACE_MS;
