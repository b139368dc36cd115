//! The sync log in PostgreSQL: a push ([`append_events`]) by the rules of [`crate::sync`], a pull by cursor
//! ([`events_since`]) and the [`digest`], what the log holds of a device gap-free ([`held`]), and the states of
//! the cards a push touched re-derived from the merged log ([`rederive_since`]), each in a transaction scoped to
//! the learner (see `super`).
//!
//! The cursor (`learner_seq`) is gap-free per learner and never skipped by a pull: a push first takes the
//! learner's row lock (`SELECT ... FROM learners WHERE id = $1 FOR UPDATE`), and only then reads
//! `max(learner_seq) + 1` for each event it adds. Two pushes for one learner therefore run one after the other;
//! under READ COMMITTED the second one's statements, run after it got the lock, see every row the first committed,
//! so its numbers follow them. A number is only handed out by a transaction that holds the lock, and the lock is
//! released at commit: every transaction that can hold a number below N has committed (or rolled back, and then N
//! was never given) before N exists, so a pull that sees N sees every number below it. A sequence or an identity
//! column would not do: their numbers are taken at insert and become visible at commit, in any order.

use super::super::bundle::REVIEW_COLUMNS;
use crate::bundle::BundleReview;
use crate::error::{Error, Result};
use crate::schedule::{Calendar, CardState, LoggedReview, Rating, Scheduler};
use crate::store::Learner;
use crate::sync::{Body, Cursor, Digest, Event, Key, Merge, Page, Report, classify};
use crate::time::{Day, UnixMs};
use postgres::{Row, Statement, Transaction};

/// The log's columns every event reader selects, over `sync_log l LEFT JOIN reviews r LEFT JOIN cards c`.
fn event_select() -> String {
    format!(
        "SELECT l.device, l.seq, l.learner_seq, l.retracts_device, l.retracts_seq, {REVIEW_COLUMNS}
         FROM sync_log l LEFT JOIN reviews r ON r.learner_id = l.learner_id AND r.id = l.review_id
         LEFT JOIN cards c ON c.id = r.card_id"
    )
}

/// A review from [`REVIEW_COLUMNS`] starting at column `at`.
fn review_row(r: &Row, at: usize) -> Result<BundleReview> {
    let day =
        |i: usize| -> Result<Option<Day>> { Ok(r.try_get::<_, Option<i64>>(at + i)?.map(Day)) };
    Ok(BundleReview {
        deck: r.try_get(at)?,
        card: r.try_get(at + 1)?,
        sibling: r.try_get(at + 2)?,
        reviewed_at: UnixMs(r.try_get(at + 3)?),
        day: Day(r.try_get(at + 4)?),
        mode: r.try_get(at + 5)?,
        response: r.try_get(at + 6)?,
        correct: r.try_get(at + 7)?,
        rule: r.try_get(at + 8)?,
        rating: r.try_get(at + 9)?,
        duration_ms: r.try_get(at + 10)?,
        phase_before: r.try_get(at + 11)?,
        step_before: r.try_get(at + 12)?,
        stability_before: r.try_get(at + 13)?,
        difficulty_before: r.try_get(at + 14)?,
        due_before: r.try_get(at + 15)?,
        last_review_before: r.try_get(at + 16)?,
        last_day_before: day(17)?,
        interval_before: r.try_get(at + 18)?,
        reps_before: r.try_get(at + 19)?,
        lapses_before: r.try_get(at + 20)?,
        leech_before: r.try_get(at + 21)?,
        phase_after: r.try_get(at + 22)?,
        step_after: r.try_get(at + 23)?,
        stability_after: r.try_get(at + 24)?,
        difficulty_after: r.try_get(at + 25)?,
        due_after: r.try_get(at + 26)?,
        interval_days: r.try_get(at + 27)?,
        elapsed_days: r.try_get(at + 28)?,
        exam_day: day(29)?,
        exam_shortened_from: r.try_get(at + 30)?,
    })
}

/// An event and its insertion number from a row of [`event_select`].
fn event_row(r: &Row) -> Result<(i64, Event)> {
    let key = Key {
        device: r.try_get(0)?,
        seq: r.try_get(1)?,
    };
    let body = match r.try_get::<_, Option<String>>(3)? {
        Some(device) => Body::Retraction(Key {
            device,
            seq: r.try_get(4)?,
        }),
        None => Body::Review(Box::new(review_row(r, 5)?)),
    };
    Ok((r.try_get(2)?, Event { key, body }))
}

pub(super) fn events_since(
    tx: &mut Transaction<'_>,
    learner: i64,
    cursor: Cursor,
    limit: usize,
) -> Result<Page> {
    let rows = tx.query(
        &format!(
            "{} WHERE l.learner_id = $1 AND l.learner_seq > $2 ORDER BY l.learner_seq LIMIT $3",
            event_select()
        ),
        &[&learner, &cursor.0, &(limit as i64 + 1)],
    )?;
    let mut rows = rows.iter().map(event_row).collect::<Result<Vec<_>>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = rows.last().map_or(cursor, |(n, _)| Cursor(*n));
    Ok(Page {
        events: rows.into_iter().map(|(_, e)| e).collect(),
        next,
        more,
    })
}

pub(super) fn digest(tx: &mut Transaction<'_>, learner: i64) -> Result<Digest> {
    let events = tx
        .query(
            &format!("{} WHERE l.learner_id = $1", event_select()),
            &[&learner],
        )?
        .iter()
        .map(|r| event_row(r).map(|(_, e)| (e.key.clone(), e.fingerprint())))
        .collect::<Result<Vec<_>>>()?;
    Ok(crate::sync::digest(events))
}

/// The statements a push runs once per event, prepared once per push: each then costs one round trip to the
/// server instead of two (a statement given as text is parsed and described first, every time).
struct Prepared {
    stored: Statement,
    card: Statement,
    review: Statement,
    log: Statement,
    retracted_late: Statement,
    retracted: Statement,
}

impl Prepared {
    fn new(tx: &mut Transaction<'_>) -> Result<Prepared> {
        Ok(Prepared {
            stored: tx.prepare(&format!(
                "{} WHERE l.learner_id = $1 AND l.device = $2 AND l.seq = $3",
                event_select()
            ))?,
            card: tx.prepare(
                "SELECT c.id, d.exam_only FROM cards c JOIN decks d ON d.id = c.deck_id
                 WHERE c.deck_id = $1 AND c.card_key = $2 AND c.sibling = $3",
            )?,
            review: tx.prepare(INSERT_REVIEW)?,
            log: tx.prepare(
                "INSERT INTO sync_log (learner_id, device, seq, learner_seq, review_id, retracts_device, retracts_seq)
                 VALUES ($1, $2, $3,
                         (SELECT coalesce(max(learner_seq), 0) + 1 FROM sync_log WHERE learner_id = $1), $4, $5, $6)",
            )?,
            retracted_late: tx.prepare(
                "UPDATE reviews SET retracted = true WHERE learner_id = $1 AND id = $2 AND EXISTS
                    (SELECT 1 FROM sync_log
                     WHERE learner_id = $1 AND retracts_device = $3 AND retracts_seq = $4)",
            )?,
            retracted: tx.prepare(
                "UPDATE reviews SET retracted = true WHERE learner_id = $1 AND id =
                    (SELECT review_id FROM sync_log WHERE learner_id = $1 AND device = $2 AND seq = $3)",
            )?,
        })
    }
}

/// The event the learner's log holds under `key`, if any.
fn stored(
    tx: &mut Transaction<'_>,
    sql: &Prepared,
    learner: i64,
    key: &Key,
) -> Result<Option<Event>> {
    tx.query_opt(&sql.stored, &[&learner, &key.device, &key.seq])?
        .as_ref()
        .map(|r| event_row(r).map(|(_, e)| e))
        .transpose()
}

/// Appends one row to the log under the learner's next insertion number (the caller holds the learner's lock).
fn log_row(
    tx: &mut Transaction<'_>,
    sql: &Prepared,
    learner: i64,
    key: &Key,
    review: Option<i64>,
    retracts: Option<&Key>,
) -> Result<()> {
    tx.execute(
        &sql.log,
        &[
            &learner,
            &key.device,
            &key.seq,
            &review,
            &retracts.map(|k| &k.device),
            &retracts.map(|k| k.seq),
        ],
    )?;
    Ok(())
}

/// Stores a review: the statement.
const INSERT_REVIEW: &str =
    "INSERT INTO reviews (learner_id, card_id, session_id, reviewed_at, day, mode, response, correct, rule,
        rating, duration_ms, phase_before, step_before, stability_before, difficulty_before, due_before,
        last_review_before, last_day_before, interval_before, reps_before, lapses_before, leech_before,
        phase_after, step_after, stability_after, difficulty_after, due_after, interval_days, elapsed_days,
        exam_day, exam_shortened_from)
     VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
        $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)
     RETURNING id";

/// Stores a review from a bundle for `learner` on `card` and logs it as the event `key`, retracted already if the
/// log holds a retraction of that key (SQLite's `store::sync::log_review`).
pub(super) fn log_review(
    tx: &mut Transaction<'_>,
    learner: i64,
    card: i64,
    r: &BundleReview,
    key: &Key,
) -> Result<()> {
    let sql = Prepared::new(tx)?;
    let id = insert_review(tx, &sql, learner, card, r)?;
    log_row(tx, &sql, learner, key, Some(id), None)?;
    tx.execute(
        "UPDATE reviews SET retracted = true WHERE learner_id = $1 AND id = $2 AND EXISTS
            (SELECT 1 FROM sync_log WHERE learner_id = $1 AND retracts_device = $3 AND retracts_seq = $4)",
        &[&learner, &id, &key.device, &key.seq],
    )?;
    Ok(())
}

/// Stores a review for `learner` on `card`; returns its id.
fn insert_review(
    tx: &mut Transaction<'_>,
    sql: &Prepared,
    learner: i64,
    card: i64,
    r: &BundleReview,
) -> Result<i64> {
    let row = tx.query_one(
        &sql.review,
        &[
            &learner,
            &card,
            &r.reviewed_at.0,
            &r.day.0,
            &r.mode,
            &r.response,
            &r.correct,
            &r.rule,
            &r.rating,
            &r.duration_ms,
            &r.phase_before,
            &r.step_before,
            &r.stability_before,
            &r.difficulty_before,
            &r.due_before,
            &r.last_review_before,
            &r.last_day_before.map(|d| d.0),
            &r.interval_before,
            &r.reps_before,
            &r.lapses_before,
            &r.leech_before,
            &r.phase_after,
            &r.step_after,
            &r.stability_after,
            &r.difficulty_after,
            &r.due_after,
            &r.interval_days,
            &r.elapsed_days,
            &r.exam_day.map(|d| d.0),
            &r.exam_shortened_from,
        ],
    )?;
    Ok(row.try_get(0)?)
}

pub(super) fn append_events(
    tx: &mut Transaction<'_>,
    learner: i64,
    events: &[Event],
    now_s: i64,
) -> Result<Report> {
    // The learner's lock, held to commit: pushes for one learner run one at a time (see the module's doc).
    if tx
        .query_opt(
            "SELECT id FROM learners WHERE id = $1 FOR UPDATE",
            &[&learner],
        )?
        .is_none()
    {
        return Err(Error::InvalidData(format!("there is no learner {learner}")));
    }
    let sql = Prepared::new(tx)?;
    let mut report = Report::default();
    for e in events {
        if let Err(why) = e.key.check() {
            report.refused.push((e.key.clone(), why));
            continue;
        }
        match classify(stored(tx, &sql, learner, &e.key)?.as_ref(), e) {
            Merge::Duplicate => report.duplicates += 1,
            Merge::Conflict => report.conflicts.push(e.key.clone()),
            Merge::Add => match &e.body {
                Body::Retraction(target) => {
                    if let Err(why) = target.check() {
                        report.refused.push((e.key.clone(), why));
                        continue;
                    }
                    log_row(tx, &sql, learner, &e.key, None, Some(target))?;
                    tx.execute(&sql.retracted, &[&learner, &target.device, &target.seq])?;
                    report.added += 1;
                }
                Body::Review(r) => {
                    if let Err(why) = crate::bundle::validate_review(r, now_s) {
                        report.refused.push((e.key.clone(), why));
                        continue;
                    }
                    let card: Option<(i64, bool)> = tx
                        .query_opt(&sql.card, &[&r.deck, &r.card, &r.sibling])?
                        .map(|row| Ok::<_, postgres::Error>((row.try_get(0)?, row.try_get(1)?)))
                        .transpose()?;
                    if let Some((_, true)) = card {
                        let why = format!(
                            "deck {} is for exams only: its study is never synced",
                            crate::text::clean(&r.deck)
                        );
                        report.refused.push((e.key.clone(), why));
                        continue;
                    }
                    let Some((card, _)) = card else {
                        let why = format!(
                            "no card {}/{} (sibling {}) here",
                            crate::text::clean(&r.deck),
                            crate::text::clean(&r.card),
                            r.sibling
                        );
                        report.refused.push((e.key.clone(), why));
                        continue;
                    };
                    let id = insert_review(tx, &sql, learner, card, r)?;
                    log_row(tx, &sql, learner, &e.key, Some(id), None)?;
                    // A retraction that arrived before its review.
                    tx.execute(
                        &sql.retracted_late,
                        &[&learner, &id, &e.key.device, &e.key.seq],
                    )?;
                    report.added += 1;
                }
            },
        }
    }
    Ok(report)
}

/// The highest sequence number `s` such that the learner's log holds every event 1 to `s` of `device` (see SQLite's
/// `store::held`).
pub(super) fn held(tx: &mut Transaction<'_>, learner: i64, device: &str) -> Result<i64> {
    Ok(tx
        .query_one(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM sync_log WHERE learner_id = $1 AND device = $2 AND seq = 1)
                    THEN (SELECT min(a.seq) FROM sync_log a WHERE a.learner_id = $1 AND a.device = $2
                          AND NOT EXISTS (SELECT 1 FROM sync_log b
                                          WHERE b.learner_id = $1 AND b.device = $2 AND b.seq = a.seq + 1))
                    ELSE 0 END",
            &[&learner, &device],
        )?
        .try_get(0)?)
}

/// The learner's study log as a replay reads it (SQLite's `store::study_log`: live study reviews since each card's
/// reset, by time, then key), of the cards `cards` only when given.
pub(super) fn study_log(
    tx: &mut Transaction<'_>,
    learner: i64,
    cards: Option<&[i64]>,
) -> Result<Vec<LoggedReview>> {
    let cards: Option<Vec<i64>> = cards.map(<[i64]>::to_vec);
    tx.query(
        "SELECT r.card_id, c.deck_id || '/' || c.card_key || '/' || c.sibling, r.rating, r.reviewed_at, r.day,
                r.exam_day
         FROM reviews r JOIN cards c ON c.id = r.card_id
         JOIN sync_log l ON l.learner_id = r.learner_id AND l.review_id = r.id
         WHERE r.learner_id = $1 AND r.mode = 'study' AND NOT r.retracted
           AND r.reviewed_at >= coalesce(c.reset_at, 0)
           AND ($2::bigint[] IS NULL OR r.card_id = ANY($2))
         ORDER BY r.reviewed_at, l.device COLLATE \"C\", l.seq",
        &[&learner, &cards],
    )?
    .iter()
    .map(|r| {
        let rating: i64 = r.try_get(2)?;
        Ok(LoggedReview {
            card_id: r.try_get(0)?,
            key: r.try_get(1)?,
            rating: Rating::from_number(rating).ok_or_else(|| {
                Error::InvalidData(format!("a stored review has rating {rating}"))
            })?,
            reviewed_at_ms: UnixMs(r.try_get(3)?),
            day: Day(r.try_get(4)?),
            exam_day: r.try_get::<_, Option<i64>>(5)?.map(Day),
        })
    })
    .collect()
}

/// The learner's pull cursor now (SQLite's `store::log_end`): the highest `learner_seq` in their log, 0 for none.
pub(super) fn log_end(tx: &mut Transaction<'_>, learner: i64) -> Result<Cursor> {
    Ok(Cursor(
        tx.query_one(
            "SELECT coalesce(max(learner_seq), 0)::bigint FROM sync_log WHERE learner_id = $1",
            &[&learner],
        )?
        .try_get(0)?,
    ))
}

/// SQLite's `store::rederive_since`: the states of the cards that the learner's log entries after `since` touch
/// (a review's card, or the card of the review a retraction takes back), replayed from those cards' reviews alone.
pub(super) fn rederive_since(
    tx: &mut Transaction<'_>,
    learner: &Learner,
    since: Cursor,
) -> Result<()> {
    let cards: Vec<i64> = tx
        .query(
            "SELECT r.card_id FROM sync_log l JOIN reviews r ON r.learner_id = l.learner_id AND r.id = l.review_id
             WHERE l.learner_id = $1 AND l.learner_seq > $2
             UNION
             SELECT r.card_id FROM sync_log l
             JOIN sync_log t ON t.learner_id = l.learner_id AND t.device = l.retracts_device
                            AND t.seq = l.retracts_seq
             JOIN reviews r ON r.learner_id = t.learner_id AND r.id = t.review_id
             WHERE l.learner_id = $1 AND l.learner_seq > $2 AND l.retracts_device IS NOT NULL",
            &[&learner.id, &since.0],
        )?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
    if cards.is_empty() {
        return Ok(());
    }
    let scheduler = Scheduler::new(learner.settings())?;
    let cal = Calendar::local(learner.rollover_hour);
    let log = study_log(tx, learner.id, Some(&cards))?;
    let states = crate::schedule::replay(&scheduler, &log, &cal)?;
    tx.execute(
        "DELETE FROM card_states WHERE learner_id = $1 AND card_id = ANY($2)",
        &[&learner.id, &cards],
    )?;
    // Prepared once: one round trip per card, not two.
    let insert = tx.prepare(PUT_STATE)?;
    for (card, s) in &states {
        put_state_with(tx, &insert, learner.id, *card, s)?;
    }
    Ok(())
}

/// Stores a learner's state of a card, with the card's deck: the statement.
const PUT_STATE: &str =
    "INSERT INTO card_states (learner_id, card_id, phase, step, stability, difficulty, due, last_review,
                              last_day, interval, reps, lapses, leech, deck_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, (SELECT deck_id FROM cards WHERE id = $2))";

/// Writes a learner's state of a card (the row `rederive_states` and `rederive_since` insert).
pub(super) fn put_state(
    tx: &mut Transaction<'_>,
    learner: i64,
    card: i64,
    s: &CardState,
) -> Result<()> {
    let insert = tx.prepare(PUT_STATE)?;
    put_state_with(tx, &insert, learner, card, s)
}

/// [`put_state`] with the prepared `insert` ([`PUT_STATE`]).
fn put_state_with(
    tx: &mut Transaction<'_>,
    insert: &Statement,
    learner: i64,
    card: i64,
    s: &CardState,
) -> Result<()> {
    tx.execute(
        insert,
        &[
            &learner,
            &card,
            &s.phase.as_i64(),
            &i64::from(s.step),
            &f64::from(s.stability),
            &f64::from(s.difficulty),
            &s.due,
            &s.last_review,
            &s.last_day.0,
            &i64::from(s.interval),
            &i64::from(s.reps),
            &i64::from(s.lapses),
            &i64::from(s.leech),
        ],
    )?;
    Ok(())
}
