//! Progress bundles, the format: how a learner carries their study between machines. A bundle is one JSON object,
//! versioned, pretty-printed with its members sorted by key: the learner's name, identity and settings, every review
//! (cards named by deck id + card key + sibling, never by a database's row ids), every exam attempt with its
//! answers, the flags the learner raised, the deck versions all of these refer to, a checksum, and (from version
//! 2, on an enrolled device) the id of the learner's key and a tag.
//!
//! The checksum is FNV-1a 64 over the canonical JSON of every member but `checksum` and `tag` (keys sorted, no
//! spaces). It proves the file is the one detente wrote: it catches truncation, damage and hand edits. It does not
//! prove who wrote it: a forger can recompute it. The tag does: it is the HMAC-SHA256 of the same canonical bytes
//! under the key derived from the learner's enrolment code ([`crate::enrol`]), and the key's id (`key_id`, inside
//! the canonical bytes) lets the teacher's side find the key without trusting the name the bundle states.
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

pub use read::{Refusal, Seal, read, read_sealed};
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
/// The bundle version this detente writes; it reads every version from 1 (no key id or tag) to this one.
pub const VERSION: u64 = 2;
