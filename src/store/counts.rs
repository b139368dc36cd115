//! The counts detente shows, each defined once, here: `study` (its queue, its header and its summary), `due`,
//! `stats`, `decks` and `deck check` all take them from this module, so they agree.
//!
//! - A card is a study item: each cloze blank and each reverse side of a flashcard is a card of its own (Anki's
//!   cards, not its notes). A deck's cards in the database are its active study items; a deck file's are
//!   [`crate::deck::Deck::study_items`]. The entries as written (`[[card]]`) are counted apart as `written`.
//! - Due now: learning and relearning steps due now, plus reviews due now up to what is left of the learner's daily
//!   review limit.
//! - Later today: cards of any phase due after now and before the day ends (at the learner's rollover hour).
//! - In learning today: learning and relearning steps due before the day ends, those due now included (the card on
//!   screen when the learner quits is one of them).
//! - New available: cards new to the learner that may be introduced now. A card that crosses readings (its
//!   `source` names other decks) waits until the learner has a card state in each deck it draws on; until then it
//!   is new waiting, not available.
//! - New left today: the new cards a session started now would introduce, [`new_for_today`]: the daily new limit
//!   less the new cards introduced today in any deck, at most the new cards available in scope, never two
//!   siblings of one card on the same day.
//!
//! New cards come in [`new_cards`] order: reading decks first in the rotation (built-in ones in the course's order
//! of readings), each deck in its own order (the
//! reading's paragraph order unless the deck sets `new_order`), one card from each deck in turn. The order is
//! defined once, pure, by [`crate::lint::path::new_card_order`] (which `deck check` walks for give-aways);
//! tests/it/leaks.rs holds this queue to it.

use super::{Filter, Learner, today};
use crate::error::Result;
use crate::schedule::{Calendar, Queue};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use std::collections::{BTreeMap, HashSet, VecDeque};

/// One deck's counts for a learner (see the module's definitions).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct DueCounts {
    pub deck: String,
    pub title: String,
    /// Learning and relearning steps due now.
    pub learning_now: u32,
    /// Reviews due now (before the daily review limit).
    pub reviews_now: u32,
    /// Cards of any phase due after now and before the day ends.
    pub later_today: u32,
    /// New cards that may be introduced now.
    pub new_available: u32,
    /// Learning and relearning steps due before the day ends, those due now included.
    pub learning_today: u32,
    /// New cards that wait for the learner to see the readings they draw on.
    pub new_waiting: u32,
}

/// Values for a statement: integers first, then the filter's strings, then integers after.
fn values(before: &[i64], args: &[String], after: &[i64]) -> Vec<Value> {
    before
        .iter()
        .map(|v| Value::Integer(*v))
        .chain(args.iter().map(|a| Value::Text(a.clone())))
        .chain(after.iter().map(|v| Value::Integer(*v)))
        .collect()
}

/// The decks that cards crossing readings draw on and the learner has not finished yet (an active card of theirs
/// without a state: a synthesis waits until the readings it crosses have all been met, so that it never restates a
/// reading's answer before the reading's card asks it). A deck that is not loaded, or retired, holds nothing back.
pub fn unseen_readings(conn: &Connection, learner: i64) -> Result<Vec<String>> {
    let required: Vec<String> = conn
        .prepare_cached(
            "SELECT DISTINCT r.deck_id FROM card_requires r JOIN decks d ON d.id = r.deck_id
             WHERE d.retired_at IS NULL ORDER BY r.deck_id",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut unfinished = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM cards c WHERE c.deck_id = ?2 AND c.retired_at IS NULL
                          AND NOT EXISTS (SELECT 1 FROM card_states s
                                          WHERE s.learner_id = ?1 AND s.card_id = c.id))",
    )?;
    let mut unseen = Vec::new();
    for deck in required {
        if unfinished.query_row(rusqlite::params![learner, deck], |r| r.get::<_, bool>(0))? {
            unseen.push(deck);
        }
    }
    Ok(unseen)
}

/// Per deck in scope (every active deck, or the filter's decks): the counts of the module's definitions, with
/// `now` and `end_of_day` in Unix seconds. One grouped pass over the learner's card states.
pub fn deck_counts(
    conn: &Connection,
    learner: i64,
    filter: &Filter,
    now: i64,
    end_of_day: i64,
) -> Result<Vec<DueCounts>> {
    let (cond, args) = filter.sql();
    let mut rows: BTreeMap<String, DueCounts> = BTreeMap::new();
    let mut order = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT id, title FROM decks WHERE retired_at IS NULL ORDER BY builtin DESC, id",
        )?;
        let decks = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
        for deck in decks {
            let (deck, title) = deck?;
            if !filter.decks.is_empty() && !filter.decks.contains(&deck) {
                continue;
            }
            order.push(deck.clone());
            rows.insert(
                deck.clone(),
                DueCounts {
                    deck,
                    title,
                    ..Default::default()
                },
            );
        }
    }
    // Active cards in scope, per deck; new ones are those without a state.
    let mut active: BTreeMap<String, u32> = BTreeMap::new();
    let sql = format!(
        "SELECT c.deck_id, COUNT(*) FROM cards c WHERE c.retired_at IS NULL{cond} GROUP BY c.deck_id"
    );
    for row in conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(values(&[], &args, &[])), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
        })?
    {
        let (deck, n) = row?;
        active.insert(deck, n);
    }
    let sql = format!(
        "SELECT c.deck_id,
                SUM(s.phase IN (1, 3) AND s.due <= ?1),
                SUM(s.phase = 2 AND s.due <= ?1),
                SUM(s.due > ?1 AND s.due < ?2),
                SUM(s.phase IN (1, 3) AND s.due < ?2),
                COUNT(*)
         FROM card_states s JOIN cards c ON c.id = s.card_id
         WHERE s.learner_id = ?3 AND c.retired_at IS NULL{cond}
         GROUP BY c.deck_id"
    );
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for row in conn.prepare_cached(&sql)?.query_map(
        params_from_iter(values(&[now, end_of_day, learner], &args, &[])),
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
            ))
        },
    )? {
        let (deck, [learning_now, reviews_now, later, learning_today, states]) = row?;
        if let Some(d) = rows.get_mut(&deck) {
            d.learning_now = learning_now;
            d.reviews_now = reviews_now;
            d.later_today = later;
            d.learning_today = learning_today;
        }
        seen.insert(deck, states);
    }
    let unseen = unseen_readings(conn, learner)?;
    if !unseen.is_empty() {
        let sql = format!(
            "SELECT c.deck_id, COUNT(*) FROM cards c
             WHERE c.id IN (SELECT card_id FROM card_requires WHERE deck_id IN ({}))
               AND c.retired_at IS NULL{cond}
               AND NOT EXISTS (SELECT 1 FROM card_states s WHERE s.learner_id = ? AND s.card_id = c.id)
             GROUP BY c.deck_id",
            vec!["?"; unseen.len()].join(",")
        );
        let mut vals: Vec<Value> = unseen.iter().map(|d| Value::Text(d.clone())).collect();
        vals.extend(values(&[], &args, &[learner]));
        for row in conn
            .prepare_cached(&sql)?
            .query_map(params_from_iter(vals), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
            })?
        {
            let (deck, n) = row?;
            if let Some(d) = rows.get_mut(&deck) {
                d.new_waiting = n;
            }
        }
    }
    for d in rows.values_mut() {
        let new = active
            .get(&d.deck)
            .copied()
            .unwrap_or(0)
            .saturating_sub(seen.get(&d.deck).copied().unwrap_or(0));
        d.new_available = new.saturating_sub(d.new_waiting);
    }
    Ok(order.into_iter().filter_map(|d| rows.remove(&d)).collect())
}

/// [`deck_counts`] over every active deck.
pub fn due_counts(
    conn: &Connection,
    learner: i64,
    now: i64,
    end_of_day: i64,
) -> Result<Vec<DueCounts>> {
    deck_counts(conn, learner, &Filter::default(), now, end_of_day)
}

/// The learner's queue over `filter` at `now` (Unix seconds), totalled, with the per-deck rows it adds up.
pub fn queue(
    conn: &Connection,
    learner: &Learner,
    filter: &Filter,
    cal: &Calendar,
    now: i64,
) -> Result<(Queue, Vec<DueCounts>)> {
    let day = cal.day_of(now);
    let end = cal.start_of(day.plus(1));
    let decks = deck_counts(conn, learner.id, filter, now, end)?;
    let done = today(conn, learner.id, cal.start_of_ms(day))?;
    let sum = |f: fn(&DueCounts) -> u32| decks.iter().map(f).sum::<u32>();
    let reviews_now = sum(|d| d.reviews_now).min(reviews_left(learner, done.reviews_done));
    // Only decks with new cards available are walked: a deck whose cards are all seen has nothing to give.
    let open = Filter {
        decks: decks
            .iter()
            .filter(|d| d.new_available > 0)
            .map(|d| d.deck.clone())
            .collect(),
        tags: filter.tags.clone(),
    };
    let new_left = if open.decks.is_empty() {
        0
    } else {
        new_for_today(
            conn,
            learner.id,
            &open,
            new_limit_left(learner, done.new_done),
            &done.notes,
        )?
        .len() as u32
    };
    let q = Queue {
        due_now: sum(|d| d.learning_now) + reviews_now,
        learning_now: sum(|d| d.learning_now),
        reviews_now,
        later_today: sum(|d| d.later_today),
        learning_today: sum(|d| d.learning_today),
        new_left,
        new_available: sum(|d| d.new_available),
        new_waiting: sum(|d| d.new_waiting),
        new_done: done.new_done,
        reviews_done: done.reviews_done,
    };
    Ok((q, decks))
}

/// The counts a study session ends with, at `now` (Unix seconds): cards of any phase due tomorrow (every active
/// deck: the sum of [`DueCounts::later_today`] over the next day), and learning steps still due today in the
/// session's scope (the sum of [`DueCounts::learning_today`]). Two counts along the learner's due index, not the
/// per-deck pass of [`deck_counts`]: a session of a learner with 100,000 cards due ends at once.
pub fn session_end(
    conn: &Connection,
    learner: i64,
    filter: &Filter,
    now: i64,
    cal: &Calendar,
) -> Result<(u32, u32)> {
    let tomorrow = cal.start_of(cal.day_of(now).plus(2));
    let end_today = cal.start_of(cal.day_of(now).plus(1));
    let due_tomorrow: u32 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id JOIN decks d ON d.id = c.deck_id
             WHERE s.learner_id = ?1 AND s.due > ?2 AND s.due < ?3
               AND c.retired_at IS NULL AND d.retired_at IS NULL",
        )?
        .query_row(rusqlite::params![learner, end_today, tomorrow], |r| {
            r.get(0)
        })?;
    let (cond, args) = filter.sql();
    // `phase IN (1, 3)` as written lets SQLite use the partial index of learning steps.
    let sql = format!(
        "SELECT COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id JOIN decks d ON d.id = c.deck_id
         WHERE s.learner_id = ? AND s.phase IN (1, 3) AND s.due < ?
           AND c.retired_at IS NULL AND d.retired_at IS NULL{cond}"
    );
    let learning_today: u32 = conn.prepare_cached(&sql)?.query_row(
        params_from_iter(values(&[learner, end_today], &args, &[])),
        |r| r.get(0),
    )?;
    Ok((due_tomorrow, learning_today))
}

/// What is left of the daily new-card limit after `new_done` new cards today.
pub fn new_limit_left(learner: &Learner, new_done: u32) -> u32 {
    learner.new_per_day.saturating_sub(new_done)
}

/// What is left of the daily review limit after `reviews_done` reviews today.
pub fn reviews_left(learner: &Learner, reviews_done: u32) -> u32 {
    learner.reviews_per_day.saturating_sub(reviews_done)
}

/// The new cards to introduce now, at most `left`, in [`new_cards`] order: no two siblings of one card, and none
/// of a card studied today (`notes_today`, "deck/card" keys).
pub fn new_for_today(
    conn: &Connection,
    learner: i64,
    filter: &Filter,
    left: u32,
    notes_today: &HashSet<String>,
) -> Result<Vec<i64>> {
    let mut notes = notes_today.clone();
    let mut out = Vec::new();
    if left == 0 {
        return Ok(out);
    }
    for (id, note) in new_cards(conn, learner, filter, left.saturating_mul(4))? {
        if out.len() >= left as usize {
            break;
        }
        if notes.insert(note) {
            out.push(id);
        }
    }
    Ok(out)
}

/// One deck's new cards as [`new_cards`] reads them, a few at a time.
struct Stream {
    deck: String,
    after: i64,
    buffer: VecDeque<(i64, String)>,
    done: bool,
}

/// Cards new to the learner, at most `limit`, as (card id, "deck/card" key), in the order they are introduced:
/// one from each deck in turn, reading decks (no card drawing on another deck) first, then the built-in decks in
/// the order they ship in (the course's order of readings), then by id;
/// each deck in its new-card order (the reading's paragraph order, or the file's, as the deck sets it; ranked at
/// import). A card that crosses readings is left out until the learner has met every card of each reading it
/// draws on.
/// Each deck is read a few cards at a time along its `new_rank` index, never sorted whole, so a 100,000-card
/// database answers in about the time of a small one.
pub fn new_cards(
    conn: &Connection,
    learner: i64,
    filter: &Filter,
    limit: u32,
) -> Result<Vec<(i64, String)>> {
    let decks: Vec<String> = conn
        .prepare_cached(
            "SELECT id FROM decks WHERE retired_at IS NULL ORDER BY reading DESC, builtin DESC, offer, id",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?
        .into_iter()
        .filter(|d| filter.decks.is_empty() || filter.decks.contains(d))
        .collect();
    if decks.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let unseen = unseen_readings(conn, learner)?;
    let (cond, args) = filter.sql();
    let waits = if unseen.is_empty() {
        String::new()
    } else {
        format!(
            " AND NOT EXISTS (SELECT 1 FROM card_requires r WHERE r.card_id = c.id AND r.deck_id IN ({}))",
            vec!["?"; unseen.len()].join(",")
        )
    };
    let sql = format!(
        "SELECT c.id, c.deck_id || '/' || c.card_key, c.new_rank FROM cards c
         WHERE c.deck_id = ? AND c.retired_at IS NULL AND c.new_rank > ?{cond}{waits}
           AND NOT EXISTS (SELECT 1 FROM card_states s WHERE s.learner_id = ? AND s.card_id = c.id)
         ORDER BY c.new_rank LIMIT ?"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let chunk = (limit as usize).div_ceil(decks.len()).max(4);
    let mut streams: Vec<Stream> = decks
        .into_iter()
        .map(|deck| Stream {
            deck,
            after: -1,
            buffer: VecDeque::new(),
            done: false,
        })
        .collect();
    let mut found = Vec::new();
    loop {
        let mut took = false;
        for s in &mut streams {
            if found.len() >= limit as usize {
                return Ok(found);
            }
            if s.buffer.is_empty() && !s.done {
                let mut vals = vec![Value::Text(s.deck.clone()), Value::Integer(s.after)];
                vals.extend(args.iter().map(|a| Value::Text(a.clone())));
                vals.extend(unseen.iter().map(|d| Value::Text(d.clone())));
                vals.push(Value::Integer(learner));
                vals.push(Value::Integer(chunk as i64));
                let rows = stmt
                    .query_map(params_from_iter(vals), |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                s.done = rows.len() < chunk;
                if let Some((_, _, rank)) = rows.last() {
                    s.after = *rank;
                }
                s.buffer
                    .extend(rows.into_iter().map(|(id, key, _)| (id, key)));
            }
            if let Some(card) = s.buffer.pop_front() {
                found.push(card);
                took = true;
            }
        }
        if !took {
            return Ok(found);
        }
    }
}
