//! Progress statistics: pure computations over a learner's cards, card states and review log, given `now` and the
//! learner's calendar. No SQL and no printing: the store gathers the rows (`store/stats.rs`), the ui draws
//! the results (`ui::stats`, `ui::html`), and the commands glue them. The optimizer is in [`optimize`].
//!
//! Definitions, chosen once here:
//! - "Today" is the learner's calendar day (rollover hour included). Windows of N days are today and the N-1 days
//!   before it.
//! - True retention is the share of study reviews of cards in the review phase (not learning or relearning steps)
//!   answered Hard, Good or Easy. A review is young when the interval it was scheduled with was under 21 days.
//! - The streak counts consecutive days with at least one review, ending today, or yesterday when nothing was
//!   done yet today (the day is not over).
//! - Mastery is the recall predicted 30 days ahead, averaged over the active cards of a deck or theme, unseen cards
//!   and cards in (re)learning steps counting 0: defined once, in [`mastery`](mastery::card_mastery).

mod activity;
mod class;
mod inputs;
mod learner;
mod mastery;
pub mod optimize;

pub use activity::{Heatmap, Rate, Retention, WeekRetention, weekday};
pub use class::{
    Beyond, Class, ClassBuilder, ClassColumn, ClassExam, ClassRow, GroupBy, LearnerData, class,
};
pub use inputs::{ById, CardInfo, ReviewInfo, StatCard, with_states};
pub use learner::{CardCounts, Input, Stats, TimeSpent, TodayCounts, TroubleCard, compute};
pub use mastery::{DeckSums, HORIZON_DAYS, Mastery, MasteryIndex, card_mastery, horizon, mastery};

/// Cards with an interval of this many days or more are mature.
pub const MATURE_DAYS: u32 = 21;
/// Days in the due forecast (today first).
pub const FORECAST_DAYS: usize = 30;
/// Weeks in the study heatmap.
pub const HEATMAP_WEEKS: usize = 26;
/// Weeks in the retention-over-time series.
pub const RETENTION_WEEKS: usize = 12;
/// How many most-failed cards are listed.
pub const MOST_FAILED: usize = 5;
