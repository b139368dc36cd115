//! Scheduling: FSRS-6 (the `fsrs` crate) for the memory model, plus what the crate leaves out, following Anki (the facts are in `docs/fsrs.md`):
//! learning and relearning steps, interval rounding and the maximum interval, Anki's fuzz with Hard < Good < Easy,
//! calendar days with a rollover hour, and leeches. Pure functions of the previous state, the rating, the time and
//! a fuzz factor the caller draws from a seeded RNG.
//!
//! Where things are: `state` (phases, card states, settings), `calendar`, `scheduler` (answering a card), `fuzz`,
//! `rating` (Again to Easy), `replay` (a study log to card states), [`exam_date`] (scheduling toward an exam) and `queue` (the queue's totals).

mod calendar;
pub mod exam_date;
mod fuzz;
mod queue;
mod rating;
mod replay;
mod scheduler;
mod state;

pub use calendar::Calendar;
pub use fuzz::{fuzz_factor, with_fuzz};
pub use queue::Queue;
pub use rating::Rating;
pub use replay::{LoggedReview, replay};
pub use scheduler::{Outcome, Scheduler};
pub use state::{CardState, Phase, Settings};
