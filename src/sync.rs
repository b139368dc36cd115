//! Sync's merge rules, pure: the event a device records (a review, or a retraction taking one back), keyed by
//! (device, sequence) within one learner's log; what merging an event into a log does (added, a duplicate ignored,
//! a conflict refused, never an overwrite); the digest of a whole log; which reviews a log's retractions take back;
//! and the order every side replays a merged log in. The store (`store::sync`) keeps the same rules in SQL.
//!
//! An event carries no learner: the log it goes into is the caller's (on a server, the authenticated identity's),
//! so a push cannot name another learner. See `docs/sync.md` for the model, the cursor and the digest.
//!
//! Also the values sync carries over a class server (the wire: [`Push`], [`Pushed`], [`Pulled`], and the course's
//! decks, [`DeckVersion`], [`DeckText`], [`Publish`]), which both the client and the server's routes use.

use crate::bundle::BundleReview;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// An event's key within one learner's log: the device that recorded it (32 lowercase hex digits, random, made
/// once per database) and the event's number among that learner's events on that device (from 1, gap-free).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    pub device: String,
    pub seq: i64,
}

impl Key {
    /// Whether the key is well formed: a device id of 32 lowercase hex digits and a sequence number from 1.
    pub fn check(&self) -> Result<(), String> {
        let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        if self.device.len() != 32 || !self.device.chars().all(hex) {
            return Err(format!(
                "device {:?} is not 32 lowercase hex digits",
                crate::text::clean(&self.device)
            ));
        }
        if self.seq < 1 {
            return Err(format!("sequence number {} is below 1", self.seq));
        }
        Ok(())
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.device, self.seq)
    }
}

/// What an event says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Body {
    /// A review, every column of the log as a bundle carries it (cards named by deck, card key and sibling).
    Review(Box<BundleReview>),
    /// An undo: the review with this key is taken back, wherever and whenever it arrives.
    Retraction(Key),
}

/// One event of a learner's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub key: Key,
    pub body: Body,
}

impl Event {
    /// The event's payload as a SHA-256 hash: what makes two events with one key the same event. A review's facts
    /// are hashed (card, time, day, mode, response, verdict, rating, duration, exam day); the states before and
    /// after, which are the recording device's view and which replay derives again, are not, so a float that a
    /// transport rounded differently is never a conflict.
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        let mut text = |s: &str| {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        match &self.body {
            Body::Review(r) => {
                text("review");
                text(&r.deck);
                text(&r.card);
                text(&r.mode);
                text(&r.response);
                text(&r.rule);
                for n in [
                    r.sibling,
                    r.reviewed_at.0,
                    r.day.0,
                    i64::from(r.correct),
                    r.rating,
                    r.duration_ms,
                    r.exam_day.map_or(i64::MIN, |d| d.0),
                ] {
                    h.update(n.to_le_bytes());
                }
            }
            Body::Retraction(k) => {
                text("retraction");
                text(&k.device);
                h.update(k.seq.to_le_bytes());
            }
        }
        h.finalize().into()
    }
}

/// What merging one event into a log does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// The key is new to the log: the event is added.
    Add,
    /// The log holds the same event (same key, same payload): nothing changes.
    Duplicate,
    /// The log holds another event under this key: the incoming one is refused and the stored one kept.
    Conflict,
}

/// The rule for one incoming event against what the log holds under its key.
pub fn classify(stored: Option<&Event>, incoming: &Event) -> Merge {
    match stored {
        None => Merge::Add,
        Some(s) if s.fingerprint() == incoming.fingerprint() => Merge::Duplicate,
        Some(_) => Merge::Conflict,
    }
}

/// What a push or a pull did to a log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub added: usize,
    pub duplicates: usize,
    /// Keys already holding another event: refused, the stored event unchanged.
    pub conflicts: Vec<Key>,
    /// Events refused for what they are (a malformed key, a review that fails the bundle checks, a card this
    /// database lacks), with the reason.
    pub refused: Vec<(Key, String)>,
}

/// The digest of a learner's whole log: how many events, and SHA-256 over every event's key and
/// [`Event::fingerprint`] in key order. Key order, not arrival order, so any two logs holding the same set agree;
/// a hash over the sorted list rather than a XOR or sum of per-event hashes, so no two different sets can cancel
/// out to the same value by construction (a XOR of a set with one event duplicated into it would not change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    pub events: u64,
    pub sha256: String,
}

/// Computes the [`Digest`] of a set of events given as (key, fingerprint) pairs, in any order.
pub fn digest(mut events: Vec<(Key, [u8; 32])>) -> Digest {
    events.sort();
    let mut h = Sha256::new();
    for (k, f) in &events {
        h.update((k.device.len() as u64).to_le_bytes());
        h.update(k.device.as_bytes());
        h.update(k.seq.to_le_bytes());
        h.update(f);
    }
    Digest {
        events: events.len() as u64,
        sha256: h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// A pull's position in a learner's log on the side that serves it: the last insertion number the puller has
/// received (0 before the first pull). See `docs/sync.md` for why a pull by it never skips an event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cursor(pub i64);

/// One page of a pull: events in insertion order, the cursor to pull from next, and whether more wait.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub events: Vec<Event>,
    pub next: Cursor,
    pub more: bool,
}

/// One learner's event set held in memory: the merge rules applied to a map. The store keeps the same set in
/// SQL; this is the model tests compare it with, and what a client that holds a pull in memory can use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Log {
    pub events: BTreeMap<Key, Event>,
}

impl Log {
    /// Merges events in, one at a time by [`classify`]: idempotent (merging the same events again adds nothing)
    /// and commutative (any order of merges gives the same set, since a key's first event is the only one kept
    /// and a second, different one is refused wherever it arrives).
    pub fn merge<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) -> Report {
        let mut report = Report::default();
        for e in events {
            if let Err(why) = e.key.check() {
                report.refused.push((e.key.clone(), why));
                continue;
            }
            match classify(self.events.get(&e.key), e) {
                Merge::Add => {
                    self.events.insert(e.key.clone(), e.clone());
                    report.added += 1;
                }
                Merge::Duplicate => report.duplicates += 1,
                Merge::Conflict => report.conflicts.push(e.key.clone()),
            }
        }
        report
    }

    /// The log's [`Digest`].
    pub fn digest(&self) -> Digest {
        digest(
            self.events
                .values()
                .map(|e| (e.key.clone(), e.fingerprint()))
                .collect(),
        )
    }

    /// The reviews that count, in replay order: see [`live_reviews`].
    pub fn live_reviews(&self) -> Vec<(&Key, &BundleReview)> {
        live_reviews(self.events.values())
    }
}

/// The keys a set of events retracts.
pub fn retracted<'a>(events: impl IntoIterator<Item = &'a Event>) -> BTreeSet<&'a Key> {
    events
        .into_iter()
        .filter_map(|e| match &e.body {
            Body::Retraction(k) => Some(k),
            Body::Review(_) => None,
        })
        .collect()
}

/// The reviews of a set of events that no retraction in it takes back, in the order every side replays a merged
/// log: by review time, then key (the store's `study_log` sorts the same way).
pub fn live_reviews<'a>(
    events: impl IntoIterator<Item = &'a Event> + Clone,
) -> Vec<(&'a Key, &'a BundleReview)> {
    let gone = retracted(events.clone());
    let mut out: Vec<_> = events
        .into_iter()
        .filter_map(|e| match &e.body {
            Body::Review(r) if !gone.contains(&e.key) => Some((&e.key, r.as_ref())),
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| (a.1.reviewed_at, a.0).cmp(&(b.1.reviewed_at, b.0)));
    out
}

// ------------------------------------------------------------------------------------------------------- the wire

/// The most events one push may carry (a client sends [`PUSH_BATCH`]); more is refused whole.
pub const MAX_PUSH: usize = 1_000;
/// How many events a client puts in one push: well under the server's default request limit of 1 MiB (an event
/// is about 900 bytes of JSON).
pub const PUSH_BATCH: usize = 200;
/// The most events one pull page may hold, and the page a client asks for.
pub const MAX_PULL: usize = 1_000;
pub const PULL_PAGE: usize = 500;

/// `POST /v1/sync/push`: events one device recorded, in its sequence order. No learner: the log is the caller's.
/// Read strictly: a field that is not one of these (a `learner`, an `attempt`) refuses the whole push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Push {
    pub device: String,
    pub events: Vec<Event>,
}

impl Push {
    /// Why the push is refused whole, if it is: too many events, or an event another device recorded.
    pub fn check(&self) -> Result<(), String> {
        if self.events.len() > MAX_PUSH {
            return Err(format!(
                "a push carries at most {MAX_PUSH} events, and this one {}",
                self.events.len()
            ));
        }
        if let Some(e) = self.events.iter().find(|e| e.key.device != self.device) {
            return Err(format!(
                "event {} was recorded by another device than the push's ({})",
                crate::text::clean(&e.key.to_string()),
                crate::text::clean(&self.device)
            ));
        }
        Ok(())
    }
}

/// The answer to a push: what merging did to each event, and the highest sequence number `held` such that the
/// server holds every event 1 to `held` of the push's device (an answer lost on the way is made good by the next).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pushed {
    #[serde(flatten)]
    pub report: Report,
    pub held: i64,
}

/// The answer to `GET /v1/sync/pull?cursor=N&limit=M`: a page of the caller's events after the cursor and, on the
/// last page (`more` false), the digest of the caller's whole log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pulled {
    #[serde(flatten)]
    pub page: Page,
    pub digest: Option<Digest>,
}

/// A course deck in `GET /v1/decks`: its id, title and version (content hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeckVersion {
    pub id: String,
    pub title: String,
    pub content_hash: String,
}

/// `GET /v1/decks/ID`: the deck file as its teacher published it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeckText {
    pub id: String,
    pub content_hash: String,
    pub file: String,
    pub text: String,
}

/// `POST /v1/decks` (teachers): deck files to check, import and publish, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    pub decks: Vec<DeckFile>,
    pub dry_run: bool,
    pub reset_changed: bool,
}

/// One deck file of a [`Publish`]: its name (for messages) and its TOML text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeckFile {
    pub file: String,
    pub text: String,
}

/// What publishing did to one deck: its version and the import's one-line summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub deck: String,
    pub content_hash: String,
    pub summary: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Day, UnixMs};

    fn review(device: &str, seq: i64, at: i64, rating: i64) -> Event {
        Event {
            key: Key {
                device: device.repeat(32),
                seq,
            },
            body: Body::Review(Box::new(BundleReview {
                deck: "d".into(),
                card: "c".into(),
                sibling: 0,
                reviewed_at: UnixMs(at),
                day: Day(1),
                mode: "study".into(),
                response: "\"x\"".into(),
                correct: rating > 1,
                rule: "exact".into(),
                rating,
                duration_ms: 1000,
                phase_before: 0,
                step_before: None,
                stability_before: None,
                difficulty_before: None,
                due_before: None,
                last_review_before: None,
                last_day_before: None,
                interval_before: None,
                reps_before: None,
                lapses_before: None,
                leech_before: None,
                phase_after: 1,
                step_after: 0,
                stability_after: 1.0,
                difficulty_after: 5.0,
                due_after: 0,
                interval_days: 0,
                elapsed_days: 0,
                exam_day: None,
                exam_shortened_from: None,
            })),
        }
    }

    /// Attack: a second push of the same events must add nothing, and a different event under a taken key must be
    /// refused with the stored one unchanged.
    #[test]
    fn duplicates_are_ignored_and_conflicts_refused() {
        let a = review("a", 1, 10, 3);
        let mut log = Log::default();
        assert_eq!(log.merge([&a]).added, 1);
        let again = log.merge([&a]);
        assert_eq!((again.added, again.duplicates), (0, 1));
        let forged = review("a", 1, 10, 4);
        let r = log.merge([&forged]);
        assert_eq!(r.conflicts, vec![a.key.clone()]);
        assert_eq!(log.events[&a.key], a);
    }

    /// Attack: the derived states are not the payload: a float rounded by a transport is a duplicate, not a
    /// conflict; a changed fact (the time) is a conflict.
    #[test]
    fn fingerprint_covers_the_facts_only() {
        let a = review("a", 1, 10, 3);
        let mut b = a.clone();
        if let Body::Review(r) = &mut b.body {
            r.stability_after = f64::from_bits(r.stability_after.to_bits() + 1);
        }
        assert_eq!(classify(Some(&a), &b), Merge::Duplicate);
        let c = review("a", 1, 11, 3);
        assert_eq!(classify(Some(&a), &c), Merge::Conflict);
    }

    /// Attack: the digest must not depend on the order events arrived in, and must change with any event.
    #[test]
    fn digest_is_order_independent() {
        let (a, b) = (review("a", 1, 10, 3), review("b", 1, 5, 1));
        let (mut x, mut y) = (Log::default(), Log::default());
        x.merge([&a, &b]);
        y.merge([&b, &a]);
        assert_eq!(x.digest(), y.digest());
        y.merge([&review("b", 2, 20, 3)]);
        assert_ne!(x.digest(), y.digest());
    }

    /// Attack: a retraction that arrives before its review must still take the review out of the replay.
    #[test]
    fn a_retraction_applies_whenever_its_review_arrives() {
        let a = review("a", 1, 10, 3);
        let undo = Event {
            key: Key {
                device: "a".repeat(32),
                seq: 2,
            },
            body: Body::Retraction(a.key.clone()),
        };
        let b = review("b", 1, 5, 1);
        let mut log = Log::default();
        log.merge([&undo, &b]);
        log.merge([&a]);
        let live: Vec<_> = log
            .live_reviews()
            .iter()
            .map(|(k, _)| (*k).clone())
            .collect();
        assert_eq!(live, vec![b.key.clone()]);
    }

    /// Attack: a malformed device id or a sequence number of 0 must be refused, not stored.
    #[test]
    fn malformed_keys_are_refused() {
        let mut e = review("a", 0, 1, 3);
        let mut log = Log::default();
        assert_eq!(log.merge([&e]).refused.len(), 1);
        e.key = Key {
            device: "A".repeat(32),
            seq: 1,
        };
        assert_eq!(log.merge([&e]).refused.len(), 1);
        assert!(log.events.is_empty());
    }
}
