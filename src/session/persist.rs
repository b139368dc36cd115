//! Keeping a learner's action through a busy or full disk: the one path every write of a study session or an exam
//! sitting goes through (an answer, a flag, an unflag, "I was right", an undo, an exam's start, answers and end).
//!
//! A write first waits a moment for another process's lock ([`FIRST_WAIT`]); if the database is still busy the
//! learner is told so ([`WAITING`]) and the write waits on, up to the store's busy timeout. A write that still
//! fails for a reason of storage (busy, disk full, an I/O error) is kept, and the learner chooses: try again, or
//! quit, and then [`Error::NotSaved`] says what was not saved. Nothing is half-written: each write is one
//! transaction, tried whole each time.

use super::{Prompter, Reply};
use crate::error::{Error, Result};
use crate::store::{self, Store};
use std::time::Duration;

/// How long a write waits for the lock before the learner is told that it is waiting.
pub const FIRST_WAIT: Duration = Duration::from_millis(300);

/// What the learner sees while a write waits for another process's lock.
pub const WAITING: &str = "Waiting for the database (another detente is writing)\u{2026}";

/// A session or a sitting: what writes through [`keep`].
pub(super) trait Writes {
    fn store(&mut self) -> &mut Store;
}

/// Runs `write` (one transaction) until it is saved. `action` names it for the learner ("Your flag"), `what`
/// describes it in full for the summary when they quit instead: that ends in [`Error::NotSaved`] with `what` and
/// the reason. Errors that are not of storage are returned as they are.
pub(super) fn keep<W: Writes + ?Sized, T>(
    w: &mut W,
    p: &mut dyn Prompter,
    action: &str,
    what: &str,
    mut write: impl FnMut(&mut W) -> Result<T>,
) -> Result<T> {
    loop {
        let full = w.store().busy_timeout();
        let first = FIRST_WAIT.min(full);
        w.store().wait_at_most(first)?;
        let mut done = write(w);
        if done.as_ref().is_err_and(store::is_busy) {
            p.notice(WAITING);
            w.store().wait_at_most(full.saturating_sub(first))?;
            done = write(w);
        }
        w.store().wait_at_most(full)?;
        match done {
            Ok(v) => return Ok(v),
            Err(e) if e.is_storage() => {
                // SQLite says it in its own words ("database is locked", "database or disk is full").
                let why = match &e {
                    Error::Sqlite(s) => s.to_string(),
                    other => other.to_string(),
                };
                let problem = format!("{action} could not be saved: {why}");
                if p.retry(&problem)? != Reply::Answer(true) {
                    return Err(Error::NotSaved(format!("{what}: {why}")));
                }
            }
            Err(e) => return Err(e),
        }
    }
}
