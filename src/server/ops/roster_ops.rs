//! [`RosterOps`]: the teacher's roster commands (`learner add|set|import|enrol`) as operations of the class
//! server's [`Backend`](super::Backend), one transaction each, on SQLite (the server's one [`Store`], through the
//! functions of `ops::learners`) and on PostgreSQL (the same functions' `_in` forms over `store::RosterDb` in a
//! course-scoped transaction): one body of rules, two databases.

use super::learners::{
    RosterAnswer, enrol, learner_add, learner_delete, learner_export_text, learner_set,
    roster_import,
};
use crate::error::Result;
use crate::server::api::{
    EnrolRequest, Issued, LearnerChange, LearnerData, LearnerExport, LearnerRows,
};
use crate::store::Store;
use std::sync::{Mutex, PoisonError};

/// The teacher's roster commands on the server's database; each returns what its `ops::` function returns.
pub trait RosterOps {
    /// `learner add`, with the built-in decks loaded first when an exam scope is given (as a local command has
    /// them), so that the scope may name them.
    fn learner_add(&self, change: &LearnerChange, now_s: i64) -> Result<String>;

    /// `learner set`, the built-in decks loaded as for [`Self::learner_add`].
    fn learner_set(&self, change: &LearnerChange, now_s: i64) -> Result<()>;

    /// `learner import`: the roster file `name`'s bytes, imported all or nothing.
    fn roster_import(&self, name: &str, csv: &[u8], now_s: i64) -> Result<RosterAnswer>;

    /// `learner enrol`: the codes issued, committed before they are returned.
    fn enrol(&self, req: &EnrolRequest, now_s: i64) -> Result<Vec<Issued>>;

    /// `learner export`: everything the database holds about one learner, as one document.
    fn learner_export(&self, name: &str, now_s: i64) -> Result<LearnerExport>;

    /// `learner delete`: one learner's rows per table, deleted in one transaction if `req.delete`.
    fn learner_delete(&self, req: &LearnerData) -> Result<LearnerRows>;
}

/// Whether a change names an exam scope, which may name a built-in deck.
fn needs_decks(change: &LearnerChange) -> bool {
    change.exam_date.is_some() && !change.exam_scope.is_empty()
}

impl RosterOps for Mutex<Store> {
    fn learner_add(&self, change: &LearnerChange, now_s: i64) -> Result<String> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        if needs_decks(change) {
            super::builtin_decks(&mut store, now_s)?;
        }
        learner_add(&mut store, change, now_s)
    }

    fn learner_set(&self, change: &LearnerChange, now_s: i64) -> Result<()> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        if needs_decks(change) {
            super::builtin_decks(&mut store, now_s)?;
        }
        learner_set(&mut store, change, now_s)
    }

    fn roster_import(&self, name: &str, csv: &[u8], now_s: i64) -> Result<RosterAnswer> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        roster_import(&mut store, name, csv, now_s)
    }

    fn enrol(&self, req: &EnrolRequest, now_s: i64) -> Result<Vec<Issued>> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        enrol(&mut store, req, now_s, |_| Ok(()))
    }

    fn learner_export(&self, name: &str, now_s: i64) -> Result<LearnerExport> {
        let store = self.lock().unwrap_or_else(PoisonError::into_inner);
        learner_export_text(&store, name, now_s)
    }

    fn learner_delete(&self, req: &LearnerData) -> Result<LearnerRows> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        learner_delete(&mut store, req)
    }
}

#[cfg(feature = "server")]
use super::learners::{enrol_in, learner_add_in, learner_set_in, no_learner, roster_import_in};
#[cfg(feature = "server")]
use crate::store::admin::ExportWriter;

#[cfg(feature = "server")]
impl RosterOps for crate::store::pg::Pg {
    fn learner_add(&self, change: &LearnerChange, now_s: i64) -> Result<String> {
        self.course(|tx| {
            if needs_decks(change) {
                crate::store::pg::sync_builtin(tx, now_s)?;
            }
            learner_add_in(tx, change, now_s)
        })
    }

    fn learner_set(&self, change: &LearnerChange, now_s: i64) -> Result<()> {
        self.course(|tx| {
            if needs_decks(change) {
                crate::store::pg::sync_builtin(tx, now_s)?;
            }
            learner_set_in(tx, change, now_s)
        })
    }

    fn roster_import(&self, name: &str, csv: &[u8], now_s: i64) -> Result<RosterAnswer> {
        // A refusal is found before anything is written, so committing it keeps nothing.
        self.course(|tx| roster_import_in(tx, name, csv, now_s))
    }

    fn enrol(&self, req: &EnrolRequest, now_s: i64) -> Result<Vec<Issued>> {
        self.course(|tx| enrol_in(tx, req, now_s))
    }

    fn learner_export(&self, name: &str, now_s: i64) -> Result<LearnerExport> {
        use crate::store::pg::{SCHEMA_VERSION, admin};
        self.course(|tx| {
            let learner = admin::scope_to(tx, name)?.ok_or_else(|| no_learner(name))?;
            let mut doc = ExportWriter::start(Vec::new(), "the export", now_s, SCHEMA_VERSION)?;
            admin::learner_rows(tx, learner.id, |v| doc.visit(v))?;
            Ok(LearnerExport {
                learner: learner.name,
                document: String::from_utf8_lossy(&doc.finish()?).into_owned(),
            })
        })
    }

    fn learner_delete(&self, req: &LearnerData) -> Result<LearnerRows> {
        use crate::store::pg::admin;
        self.course(|tx| {
            let learner = admin::scope_to(tx, &req.name)?.ok_or_else(|| no_learner(&req.name))?;
            let rows = if req.delete {
                admin::delete_learner(tx, learner.id)?
            } else {
                admin::learner_counts(tx, learner.id)?
            };
            Ok(LearnerRows {
                learner: learner.name,
                rows,
                deleted: req.delete,
            })
        })
    }
}
