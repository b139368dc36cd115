//! The totals of a learner's queue over a scope (due now, later today, new left, done today), counted by the store
//! and shown by `due`, `stats`, the study header and the summary.

/// A learner's queue over a scope, totalled: what `due`, `stats`, the study header and the summary show.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Queue {
    /// Learning steps due now plus reviews due now, within the daily review limit.
    pub due_now: u32,
    pub learning_now: u32,
    /// Reviews due now that today's review limit leaves to do.
    pub reviews_now: u32,
    pub later_today: u32,
    pub learning_today: u32,
    /// New cards a session started now would introduce.
    pub new_left: u32,
    pub new_available: u32,
    pub new_waiting: u32,
    /// New cards introduced today, in any deck.
    pub new_done: u32,
    /// Reviews of review cards done today, in any deck.
    pub reviews_done: u32,
}
