//! [`ImportOps`]: the teacher's `progress import` as an operation of the class server's [`Backend`](super::Backend),
//! one bundle in one transaction, on SQLite (the server's one [`Store`], through [`super::import_bundle`]) and on
//! PostgreSQL (the same work, [`super::progress::import_in`] over `store::ImportDb`, in a course-scoped transaction
//! whose writes are kept only when the bundle is taken): one body of rules, two databases.

use super::progress::import_bundle;
use crate::error::Result;
use crate::server::api::BundleImported;
use crate::store::Store;
use crate::time::UnixMs;
use std::sync::{Mutex, PoisonError};

/// `progress import` on the server's database.
pub trait ImportOps {
    /// Imports the bundle `name` (its bytes), the built-in decks loaded first when `builtin`: what
    /// [`super::import_bundle`] returns. A refused bundle writes nothing.
    fn progress_import(
        &self,
        name: &str,
        bundle: &[u8],
        accept_unenrolled: bool,
        builtin: bool,
        now: UnixMs,
    ) -> Result<BundleImported>;
}

impl ImportOps for Mutex<Store> {
    fn progress_import(
        &self,
        name: &str,
        bundle: &[u8],
        accept_unenrolled: bool,
        builtin: bool,
        now: UnixMs,
    ) -> Result<BundleImported> {
        let mut store = self.lock().unwrap_or_else(PoisonError::into_inner);
        import_bundle(
            &mut store,
            name,
            || Ok(bundle),
            accept_unenrolled,
            builtin,
            now,
        )
    }
}

#[cfg(feature = "server")]
impl ImportOps for crate::store::pg::Pg {
    fn progress_import(
        &self,
        name: &str,
        bundle: &[u8],
        accept_unenrolled: bool,
        builtin: bool,
        now: UnixMs,
    ) -> Result<BundleImported> {
        self.course(|tx| {
            // A refusal may come after writes (the cap on flags): its savepoint is dropped, so nothing is kept. The
            // learner's row is held while their log and states are written (`pg::import`), as a push holds it.
            let mut held = tx.transaction()?;
            let done = super::progress::import_in(
                &mut held,
                name,
                || Ok(bundle),
                accept_unenrolled,
                builtin,
                now,
            )?;
            if done.outcome.is_ok() {
                held.commit()?;
            }
            Ok(done)
        })
    }
}
