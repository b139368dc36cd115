//! A teacher's commands as work on a store, in every build: each takes the command's options (the values of
//! [`super::api`]) and a store, and returns what the command prints (a value the command's file in
//! `src/commands/` shows). A local command runs them on its database; the class server runs the same functions on
//! its own for a teacher (`routes/teacher.rs`), so a command prints the same either way. Nothing here prints, and
//! no path a request names is opened: a file comes as its contents.

mod exam_ops;
mod import_ops;
mod learners;
mod lti_ops;
mod progress;
mod report_ops;
mod reports;
mod roster_ops;

pub use exam_ops::ExamOps;
pub use import_ops::ImportOps;
pub use learners::{
    RosterAnswer, enrol, learner_add, learner_delete, learner_export, learner_set, roster_import,
};
pub use lti_ops::{Column, DECK, LtiOps, Share, column};
pub use progress::{Admission, admit, import_bundle, import_in};
pub use report_ops::ReportOps;
pub use reports::{
    class, class_read, class_stats, deck_mastery, exam_def, exam_extra_time, exam_grades,
    exam_load, exam_results, exam_results_read, filter, flags, flags_read, grades, grades_read,
    items, items_read, resolve_each, resolve_flags, themes,
};
pub use roster_ops::RosterOps;

use crate::error::Result;
use crate::store::{ClassStore, Store};
use crate::time::UnixMs;

/// Everything a class server asks of its database: the repository interface ([`ClassStore`]: identity, sync,
/// decks, devices) and the teacher's commands on it, each group a trait of its own with a SQLite body (the functions
/// of this module, on the server's one [`Store`]) and a PostgreSQL body (feature `server`). The routes hold an
/// `Arc<dyn Backend>`.
pub trait Backend: ClassStore + RosterOps + ReportOps + ExamOps + LtiOps + ImportOps {}

impl<T: ClassStore + RosterOps + ReportOps + ExamOps + LtiOps + ImportOps + ?Sized> Backend for T {}

/// Loads the built-in decks (imported on first use, refreshed when a newer detente ships changed ones), as a
/// local command does when it opens its database; returns what each import did, in words.
pub fn builtin_decks(store: &mut Store, now: i64) -> Result<Vec<String>> {
    Ok(crate::store::sync_builtin(store, now)?
        .into_iter()
        .map(|report| {
            if !report.added.is_empty()
                && report.changed.is_empty()
                && report.retired.is_empty()
                && report.unchanged == 0
            {
                format!(
                    "Loaded the built-in deck {} ({} cards).",
                    report.deck,
                    report.added.len()
                )
            } else {
                format!("Updated the built-in deck {}", report.summary())
            }
        })
        .collect())
}

/// Closes the timed exam attempts whose time ran out while nobody was sitting them, before results are read.
pub fn close_expired(store: &mut Store, now: i64) -> Result<()> {
    if store.read_only {
        return Ok(());
    }
    let tx = store.write()?;
    crate::store::close_expired_attempts(
        &tx,
        UnixMs::from_secs(now),
        crate::session::exam::GRACE_MS,
    )?;
    tx.commit()?;
    Ok(())
}
