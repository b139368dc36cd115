//! Progress bundles, the format: how a learner carries their study between machines. A bundle is one JSON object,
//! versioned, pretty-printed with its members sorted by key: the learner's name, identity and settings, every review
//! (cards named by deck id + card key + sibling, never by a database's row ids), every exam attempt with its
//! answers, the flags the learner raised, the deck versions all of these refer to, and a checksum.
//!
//! The checksum is FNV-1a 64 over the canonical JSON of every other member (keys sorted, no spaces). It proves the
//! file is the one detente wrote: it catches truncation, damage and hand edits. It does not prove who wrote it: a
//! forger can recompute it, so a teacher who needs that should collect bundles over an authenticated channel.
//!
//! This module is pure: the records ([`Bundle`] and what it holds), the checksum, a streaming writer and reader
//! generic over `std::io::Write` and `Read` that never hold the review log whole, and the checks that need no
//! database ([`validate()`]). Reading a learner's rows into these records, and merging them into a database, is the
//! store's.

mod checksum;
mod read;
mod records;
mod validate;
mod write;

pub use read::{Refusal, read};
pub use records::{
    Bundle, BundleAnswer, BundleAttempt, BundleDeck, BundleFlag, BundleLearner, BundleReview,
    FlagState,
};
pub use validate::{
    CLOCK_SLACK_S, EARLIEST_S, MAX_FLAGS_PER_CARD, MODES, RULES, arriving_state, flag_cap,
    validate, validate_attempt, validate_flag, validate_review,
};
pub use write::write;

/// The bundle's `format` value.
pub const FORMAT: &str = "detente-progress";
/// The bundle version this detente writes and reads.
pub const VERSION: u64 = 1;
