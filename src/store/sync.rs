//! The sync log in SQL (`sync_log`, `this_device`; migration 0009): this database's device ids and the next
//! sequence number of a learner's events on a device; logging a review as an event and retracting one (undo);
//! a pull by cursor ([`events_since`]), a push ([`append_events`], by the rules of [`crate::sync`]) and the
//! [`digest`] of a learner's log; and the card states re-derived from the merged log.
//!
//! Every function takes the learner from its caller (on a server, the connection's authenticated identity); an
//! event carries no learner, so a push cannot write into another learner's log.
//!
//! Over a class server (migration 0011): the client's acknowledged sequence per server and device and its pull
//! cursor per server ([`acked`], [`pulled`]), what a server holds of a device gap-free ([`held`]), a pull page
//! with the digest read in one snapshot ([`pull_page`]), and the course's published deck texts
//! ([`publish_deck`], [`published_decks`], [`published_deck`]).

use super::bundle::{REVIEW_COLUMNS, insert_bundle_review, review_row};
use super::states::state_row;
use crate::error::Result;
use crate::schedule::{Calendar, CardState, Scheduler};
use crate::sync::{Body, Cursor, Digest, Event, Key, Merge, Page, Report, classify};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

/// One of this database's two device ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The device whose sessions record reviews.
    Study,
    /// The device progress bundles' reviews are logged under (a bundle names no device).
    Import,
}

/// This database's device id for `role` (made once, by migration 0009).
pub fn device_id(conn: &Connection, role: Device) -> Result<String> {
    let role = match role {
        Device::Study => "study",
        Device::Import => "import",
    };
    Ok(conn
        .prepare_cached("SELECT id FROM this_device WHERE role = ?1")?
        .query_row([role], |r| r.get(0))?)
}

/// The sequence number the learner's next event on `device` takes: one past the largest this database holds
/// (its own, or pulled back from a server), so a device's numbers stay gap-free and never repeat.
pub fn next_seq(conn: &Connection, learner: i64, device: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(max(seq), 0) + 1 FROM sync_log WHERE learner_id = ?1 AND device = ?2",
        )?
        .query_row(params![learner, device], |r| r.get(0))?)
}

/// Appends one row to the log under the next insertion number (the cursor). Inside the write transaction, which
/// holds SQLite's one write lock, so numbers are handed out in commit order.
fn log_row(
    tx: &Transaction<'_>,
    learner: i64,
    key: &Key,
    review: Option<i64>,
    retracts: Option<&Key>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sync_log (learner_id, device, seq, learner_seq, review_id, retracts_device, retracts_seq)
         VALUES (?1, ?2, ?3,
                 (SELECT coalesce(max(learner_seq), 0) + 1 FROM sync_log WHERE learner_id = ?1), ?4, ?5, ?6)",
    )?
    .execute(params![
        learner,
        key.device,
        key.seq,
        review,
        retracts.map(|k| &k.device),
        retracts.map(|k| k.seq)
    ])?;
    Ok(())
}

/// Logs the review row `review` as the event `key`, retracted already if the log holds a retraction of that key
/// (one that arrived before its review).
pub(super) fn log_review(tx: &Transaction<'_>, learner: i64, key: &Key, review: i64) -> Result<()> {
    log_row(tx, learner, key, Some(review), None)?;
    tx.prepare_cached(
        "UPDATE reviews SET retracted = 1 WHERE id = ?1 AND EXISTS (SELECT 1 FROM sync_log
            WHERE learner_id = ?2 AND retracts_device = ?3 AND retracts_seq = ?4)",
    )?
    .execute(params![review, learner, key.device, key.seq])?;
    Ok(())
}

/// Logs a review this database's study device just recorded; returns its key.
pub(super) fn log_study_review(tx: &Transaction<'_>, learner: i64, review: i64) -> Result<Key> {
    let device = device_id(tx, Device::Study)?;
    let key = Key {
        seq: next_seq(tx, learner, &device)?,
        device,
    };
    log_review(tx, learner, &key, review)?;
    Ok(key)
}

/// Records a retraction of `target` in the learner's log as `key`, and marks the review (if here) retracted.
fn log_retraction(tx: &Transaction<'_>, learner: i64, key: &Key, target: &Key) -> Result<()> {
    log_row(tx, learner, key, None, Some(target))?;
    tx.prepare_cached(
        "UPDATE reviews SET retracted = 1 WHERE id =
            (SELECT review_id FROM sync_log WHERE learner_id = ?1 AND device = ?2 AND seq = ?3)",
    )?
    .execute(params![learner, target.device, target.seq])?;
    Ok(())
}

/// Takes a review back (undo, or the review an "I was right" replaces): a retraction event from this database's
/// study device, since the review may already have left the device; the review stays in the log, marked
/// retracted, and every count, replay and export skips it. Returns the review's card and the card's state before
/// it, which the caller restores; `None` if there is no such review.
pub fn retract_review(
    tx: &Transaction<'_>,
    review: i64,
) -> Result<Option<(i64, Option<CardState>)>> {
    let row = tx
        .query_row(
            "SELECT r.card_id, r.phase_before, r.step_before, r.stability_before, r.difficulty_before, r.due_before,
                    r.last_review_before, r.last_day_before, r.interval_before, r.reps_before, r.lapses_before,
                    r.leech_before, r.learner_id, l.device, l.seq
             FROM reviews r JOIN sync_log l ON l.review_id = r.id WHERE r.id = ?1",
            [review],
            |r| {
                let card: i64 = r.get(0)?;
                let phase: i64 = r.get(1)?;
                let before = if phase == 0 { None } else { Some(state_row(r, 1)?) };
                let target = Key {
                    device: r.get(13)?,
                    seq: r.get(14)?,
                };
                Ok((card, before, r.get::<_, i64>(12)?, target))
            },
        )
        .optional()?;
    let Some((card, before, learner, target)) = row else {
        return Ok(None);
    };
    let device = device_id(tx, Device::Study)?;
    let key = Key {
        seq: next_seq(tx, learner, &device)?,
        device,
    };
    log_retraction(tx, learner, &key, &target)?;
    Ok(Some((card, before)))
}

/// The log's columns every event reader selects, over `sync_log l LEFT JOIN reviews r LEFT JOIN cards c`.
fn event_select() -> String {
    format!(
        "SELECT l.device, l.seq, l.learner_seq, l.retracts_device, l.retracts_seq, {REVIEW_COLUMNS}
         FROM sync_log l LEFT JOIN reviews r ON r.id = l.review_id LEFT JOIN cards c ON c.id = r.card_id"
    )
}

/// An event and its insertion number from a row of [`event_select`].
fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Event)> {
    let key = Key {
        device: r.get(0)?,
        seq: r.get(1)?,
    };
    let body = match r.get::<_, Option<String>>(3)? {
        Some(device) => Body::Retraction(Key {
            device,
            seq: r.get(4)?,
        }),
        None => Body::Review(Box::new(review_row(r, 5)?)),
    };
    Ok((r.get(2)?, Event { key, body }))
}

/// A pull: the learner's events stored after `cursor`, in the order they were stored, at most `limit` of them.
/// The insertion numbers are handed out under the write lock and become visible only at commit, in order, so
/// the events a reader sees are always numbers 1 to N with none missing: an event committed after this pull gets
/// a number above every one it returned, and the next pull from `next` finds it.
pub fn events_since(conn: &Connection, learner: i64, cursor: Cursor, limit: usize) -> Result<Page> {
    let mut stmt = conn.prepare_cached(&format!(
        "{} WHERE l.learner_id = ?1 AND l.learner_seq > ?2 ORDER BY l.learner_seq LIMIT ?3",
        event_select()
    ))?;
    let mut rows = stmt
        .query_map(params![learner, cursor.0, limit as i64 + 1], event_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = rows.last().map_or(cursor, |(n, _)| Cursor(*n));
    Ok(Page {
        events: rows.into_iter().map(|(_, e)| e).collect(),
        next,
        more,
    })
}

/// The event the learner's log holds under `key`, if any.
fn stored(tx: &Transaction<'_>, learner: i64, key: &Key) -> Result<Option<Event>> {
    Ok(tx
        .prepare_cached(&format!(
            "{} WHERE l.learner_id = ?1 AND l.device = ?2 AND l.seq = ?3",
            event_select()
        ))?
        .query_row(params![learner, key.device, key.seq], event_row)
        .optional()?
        .map(|(_, e)| e))
}

/// A push (or the events of a pull, on the client): merges events into the learner's log by the rules of
/// [`crate::sync`]: a new key is added, the same event again is a duplicate and ignored, another event under a
/// stored key is a conflict and refused with the stored one unchanged. A review must pass the bundle checks at
/// `now_s` and name a card this database holds; a retraction marks its review retracted whenever either arrives.
/// The caller re-derives the card states ([`rederive_states`]) in the same transaction.
pub fn append_events(
    tx: &Transaction<'_>,
    learner: i64,
    events: &[Event],
    now_s: i64,
) -> Result<Report> {
    let mut report = Report::default();
    for e in events {
        if let Err(why) = e.key.check() {
            report.refused.push((e.key.clone(), why));
            continue;
        }
        match classify(stored(tx, learner, &e.key)?.as_ref(), e) {
            Merge::Duplicate => report.duplicates += 1,
            Merge::Conflict => report.conflicts.push(e.key.clone()),
            Merge::Add => match &e.body {
                Body::Retraction(target) => {
                    if let Err(why) = target.check() {
                        report.refused.push((e.key.clone(), why));
                        continue;
                    }
                    log_retraction(tx, learner, &e.key, target)?;
                    report.added += 1;
                }
                Body::Review(r) => {
                    if let Err(why) = crate::bundle::validate_review(r, now_s) {
                        report.refused.push((e.key.clone(), why));
                        continue;
                    }
                    let Some(card) = super::card_id(tx, &r.deck, &r.card, r.sibling)? else {
                        let why = format!(
                            "no card {}/{} (sibling {}) here",
                            crate::text::clean(&r.deck),
                            crate::text::clean(&r.card),
                            r.sibling
                        );
                        report.refused.push((e.key.clone(), why));
                        continue;
                    };
                    if super::exam_only_deck(tx, &r.deck)? {
                        let why = format!(
                            "deck {} is for exams only: its study is never synced",
                            crate::text::clean(&r.deck)
                        );
                        report.refused.push((e.key.clone(), why));
                        continue;
                    }
                    let id = insert_bundle_review(tx, learner, card, r)?;
                    log_review(tx, learner, &e.key, id)?;
                    report.added += 1;
                }
            },
        }
    }
    Ok(report)
}

/// The [`Digest`] of the learner's whole log, as [`crate::sync::digest`] defines it.
pub fn digest(conn: &Connection, learner: i64) -> Result<Digest> {
    let mut stmt = conn.prepare_cached(&format!("{} WHERE l.learner_id = ?1", event_select()))?;
    let events = stmt
        .query_map([learner], event_row)?
        .map(|row| row.map(|(_, e)| (e.key.clone(), e.fingerprint())))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(crate::sync::digest(events))
}

/// Replaces the learner's card states with the ones their merged study log implies (`study_log`'s order: time,
/// then key, the same on every side).
pub fn rederive_states(
    tx: &Transaction<'_>,
    learner: &super::Learner,
    cal: &Calendar,
) -> Result<()> {
    let scheduler = Scheduler::new(learner.settings())?;
    let log = super::study_log(tx, learner.id)?;
    let states = crate::schedule::replay(&scheduler, &log, cal)?;
    super::replace_states(tx, learner.id, &states)
}

/// The learner's pull cursor now: the highest `learner_seq` in their log (0 for none). What a push appends comes
/// after it, so [`rederive_since`] with it re-derives exactly what the push touched.
pub fn log_end(conn: &Connection, learner: i64) -> Result<Cursor> {
    Ok(Cursor(
        conn.prepare_cached(
            "SELECT coalesce(max(learner_seq), 0) FROM sync_log WHERE learner_id = ?1",
        )?
        .query_row([learner], |r| r.get(0))?,
    ))
}

/// [`rederive_states`] for the cards that the learner's log entries after `since` touch (a review's card, or the
/// card of the review a retraction takes back), leaving every other card's state as it is: each card's state is
/// the replay of its own reviews alone, so the result is the whole re-derivation's, at the cost of the pushed
/// cards' histories instead of the learner's whole log.
pub fn rederive_since(
    tx: &Transaction<'_>,
    learner: &super::Learner,
    cal: &Calendar,
    since: Cursor,
) -> Result<()> {
    let cards = tx
        .prepare_cached(
            "SELECT r.card_id FROM sync_log l JOIN reviews r ON r.id = l.review_id
             WHERE l.learner_id = ?1 AND l.learner_seq > ?2
             UNION
             SELECT r.card_id FROM sync_log l
             JOIN sync_log t ON t.learner_id = l.learner_id AND t.device = l.retracts_device
                            AND t.seq = l.retracts_seq
             JOIN reviews r ON r.id = t.review_id
             WHERE l.learner_id = ?1 AND l.learner_seq > ?2 AND l.retracts_device IS NOT NULL",
        )?
        .query_map(params![learner.id, since.0], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if cards.is_empty() {
        return Ok(());
    }
    let scheduler = Scheduler::new(learner.settings())?;
    let log = super::reviews::study_log_of(tx, learner.id, &cards)?;
    let states = crate::schedule::replay(&scheduler, &log, cal)?;
    for card in &cards {
        super::put_state(tx, learner.id, *card, states.get(card))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------- over a class server

/// A write transaction (`BEGIN IMMEDIATE`) on a connection shared behind a lock, as the class server's is: the
/// same transaction [`super::Store::write`] begins, without needing the store mutably.
pub fn begin_write(conn: &Connection) -> Result<Transaction<'_>> {
    Ok(Transaction::new_unchecked(
        conn,
        TransactionBehavior::Immediate,
    )?)
}

/// The learner's events recorded by `device` with a sequence number above `after`, in sequence order, at most
/// `limit`: what a client pushes next.
pub fn device_events(
    conn: &Connection,
    learner: i64,
    device: &str,
    after: i64,
    limit: usize,
) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{} WHERE l.learner_id = ?1 AND l.device = ?2 AND l.seq > ?3 ORDER BY l.seq LIMIT ?4",
        event_select()
    ))?;
    Ok(stmt
        .query_map(params![learner, device, after, limit as i64], event_row)?
        .map(|row| row.map(|(_, e)| e))
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The highest sequence number `s` such that the learner's log holds every event 1 to `s` of `device` (0 if it
/// lacks the first): what a server has of a device, whatever answers were lost on the way.
pub fn held(conn: &Connection, learner: i64, device: &str) -> Result<i64> {
    let (count, max): (i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), max(seq) FROM sync_log WHERE learner_id = ?1 AND device = ?2",
        )?
        .query_row(params![learner, device], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if max.is_none_or(|m| m == count) {
        return Ok(max.unwrap_or(0));
    }
    // A gap: the first number whose successor is missing, if 1 is there at all.
    Ok(conn
        .prepare_cached(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM sync_log WHERE learner_id = ?1 AND device = ?2 AND seq = 1)
                    THEN (SELECT min(a.seq) FROM sync_log a WHERE a.learner_id = ?1 AND a.device = ?2
                          AND NOT EXISTS (SELECT 1 FROM sync_log b
                                          WHERE b.learner_id = ?1 AND b.device = ?2 AND b.seq = a.seq + 1))
                    ELSE 0 END",
        )?
        .query_row(params![learner, device], |r| r.get(0))?)
}

/// A pull page and, when it is the last, the digest of the learner's whole log, read in one snapshot, so that an
/// event committed between the two cannot make them disagree.
pub fn pull_page(
    conn: &Connection,
    learner: i64,
    cursor: Cursor,
    limit: usize,
) -> Result<(Page, Option<Digest>)> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Deferred)?;
    let page = events_since(&tx, learner, cursor, limit)?;
    let digest = if page.more {
        None
    } else {
        Some(digest(&tx, learner)?)
    };
    tx.finish()?;
    Ok((page, digest))
}

/// The client's side: the highest sequence number of `device`'s events for the learner that `server` answered.
pub fn acked(conn: &Connection, learner: i64, server: &str, device: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT seq FROM sync_acked WHERE learner_id = ?1 AND server = ?2 AND device = ?3",
        )?
        .query_row(params![learner, server, device], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Records that `server` answered `device`'s events for the learner up to `seq` (never moves back).
pub fn set_acked(
    tx: &Transaction<'_>,
    learner: i64,
    server: &str,
    device: &str,
    seq: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sync_acked (learner_id, server, device, seq) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (learner_id, server, device) DO UPDATE SET seq = max(seq, excluded.seq)",
    )?
    .execute(params![learner, server, device, seq])?;
    Ok(())
}

/// The client's side: the server's cursor up to which the learner's events were pulled from `server`.
pub fn pulled(conn: &Connection, learner: i64, server: &str) -> Result<Cursor> {
    Ok(Cursor(
        conn.prepare_cached(
            "SELECT cursor FROM sync_pulled WHERE learner_id = ?1 AND server = ?2",
        )?
        .query_row(params![learner, server], |r| r.get(0))
        .optional()?
        .unwrap_or(0),
    ))
}

/// Records the cursor up to which the learner's events were pulled from `server`.
pub fn set_pulled(tx: &Transaction<'_>, learner: i64, server: &str, cursor: Cursor) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sync_pulled (learner_id, server, cursor) VALUES (?1, ?2, ?3)
         ON CONFLICT (learner_id, server) DO UPDATE SET cursor = excluded.cursor",
    )?
    .execute(params![learner, server, cursor.0])?;
    Ok(())
}

/// A course deck as a server publishes it: its id, title and version (content hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedDeck {
    pub id: String,
    pub title: String,
    pub content_hash: String,
}

/// Records `text` (the deck file `file`, already imported in `tx` as `deck`) as the course's version of the deck,
/// and when it was first sent to devices as a study deck. Returns that time if the deck is now exam-only: a bank
/// students already hold.
pub fn publish_deck(
    tx: &Transaction<'_>,
    deck: &crate::deck::Deck,
    file: &str,
    text: &str,
    publisher: &str,
    now_s: i64,
) -> Result<Option<i64>> {
    let shared: Option<i64> = tx
        .prepare_cached(
            "INSERT INTO published_decks (deck_id, content_hash, file, text, published_at, publisher, shared_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?7 THEN NULL ELSE ?5 END)
             ON CONFLICT (deck_id) DO UPDATE SET content_hash = excluded.content_hash, file = excluded.file,
                 text = excluded.text, published_at = excluded.published_at, publisher = excluded.publisher,
                 shared_at = coalesce(published_decks.shared_at, excluded.shared_at)
             RETURNING shared_at",
        )?
        .query_row(
            params![
                deck.id,
                deck.content_hash(),
                file,
                text,
                now_s,
                publisher,
                deck.exam_only
            ],
            |r| r.get(0),
        )?;
    Ok(shared.filter(|_| deck.exam_only))
}

/// The course's published decks that devices may hold, by id: an exam-only deck is never listed.
pub fn published_decks(conn: &Connection) -> Result<Vec<PublishedDeck>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.deck_id, d.title, p.content_hash FROM published_decks p JOIN decks d ON d.id = p.deck_id
         WHERE d.exam_only = 0 ORDER BY p.deck_id",
    )?;
    Ok(stmt
        .query_map([], |r| {
            Ok(PublishedDeck {
                id: r.get(0)?,
                title: r.get(1)?,
                content_hash: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

/// A published deck's version, file name and text; `None` for an exam-only deck, which is never sent.
pub fn published_deck(conn: &Connection, id: &str) -> Result<Option<(String, String, String)>> {
    Ok(conn
        .prepare_cached("SELECT p.content_hash, p.file, p.text FROM published_decks p JOIN decks d ON d.id = p.deck_id
             WHERE p.deck_id = ?1 AND d.exam_only = 0")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}
