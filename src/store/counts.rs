//! The counts detente shows, each defined once, here: `study` (its queue, its header and its summary), `due`,
//! `stats`, `decks` and `deck check` all take them from this module, so they agree. One concern: the counts and
//! the new-card walk that picks today's new cards (whose length is "new left today") share their definitions and
//! their indexes; apart, they would drift.
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
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for (deck, [learning_now, reviews_now, later, learning_today, states]) in
        state_tallies(conn, learner, filter, &order, now, end_of_day)?
    {
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

/// What [`deck_counts`] tallies of a learner's states of active cards in scope, per deck: learning steps due now,
/// reviews due now, due later today, learning steps due today, and all states. Without a tag filter the states are
/// grouped by the deck they carry, along the `card_states_deck_due` index, and the states of retired cards (found
/// from the few retired cards, along their partial index, never from the states) are taken back out, so that no state is looked up in `cards`; with one, each state
/// is joined to its card for the tags.
fn state_tallies(
    conn: &Connection,
    learner: i64,
    filter: &Filter,
    scope: &[String],
    now: i64,
    end_of_day: i64,
) -> Result<BTreeMap<String, [u32; 5]>> {
    const SUMS: &str = "SUM(s.phase IN (1, 3) AND s.due <= ?1), SUM(s.phase = 2 AND s.due <= ?1),
                        SUM(s.due > ?1 AND s.due < ?2), SUM(s.phase IN (1, 3) AND s.due < ?2), COUNT(*)";
    let mut out: BTreeMap<String, [u32; 5]> = BTreeMap::new();
    let tally = |out: &mut BTreeMap<String, [u32; 5]>,
                 sql: &str,
                 vals: Vec<Value>,
                 sign: i64|
     -> Result<()> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params_from_iter(vals), |r| {
            Ok((
                r.get::<_, String>(0)?,
                [
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ],
            ))
        })?;
        for row in rows {
            let (deck, n) = row?;
            let t = out.entry(deck).or_default();
            for (t, n) in t.iter_mut().zip(n) {
                *t = u32::try_from((i64::from(*t) + sign * n).max(0)).unwrap_or(u32::MAX);
            }
        }
        Ok(())
    };
    if filter.tags.is_empty() {
        let decks = filter.state_decks_sql();
        let with = |extra: &[i64]| values(&[now, end_of_day, learner], &filter.decks, extra);
        // Per deck and phase, three counts of disjoint ranges of the `card_states_deck_due` index (due now, later
        // today, after today): each state is stepped over once, and no expression is evaluated per row.
        let mut count = conn.prepare_cached(
            "SELECT COUNT(*) FROM card_states
             WHERE learner_id = ?1 AND deck_id = ?2 AND phase = ?3 AND due > ?4 AND due <= ?5",
        )?;
        for deck in scope {
            let mut t = [0i64; 5];
            for phase in [1i64, 2, 3] {
                let mut range =
                    |from: i64, to: i64| -> Result<i64> {
                        Ok(count
                            .query_row(rusqlite::params![learner, deck, phase, from, to], |r| {
                                r.get(0)
                            })?)
                    };
                let due_now = range(i64::MIN, now)?;
                let later = range(now, end_of_day - 1)?;
                let after = range(end_of_day - 1, i64::MAX)?;
                let learning = phase != 2;
                t[0] += if learning { due_now } else { 0 };
                t[1] += if learning { 0 } else { due_now };
                t[2] += later;
                t[3] += if learning { due_now + later } else { 0 };
                t[4] += due_now + later + after;
            }
            if t[4] > 0 {
                out.insert(
                    deck.clone(),
                    t.map(|n| u32::try_from(n.max(0)).unwrap_or(u32::MAX)),
                );
            }
        }
        tally(
            &mut out,
            &format!(
                "SELECT s.deck_id, {SUMS} FROM cards c INDEXED BY cards_retired CROSS JOIN card_states s ON s.learner_id = ?3 AND s.card_id = c.id
                 WHERE c.retired_at IS NOT NULL{decks} GROUP BY s.deck_id"
            ),
            with(&[]),
            -1,
        )?;
    } else {
        let (cond, args) = filter.sql();
        tally(
            &mut out,
            &format!(
                "SELECT c.deck_id, {SUMS} FROM card_states s JOIN cards c ON c.id = s.card_id
                 WHERE s.learner_id = ?3 AND c.retired_at IS NULL{cond} GROUP BY c.deck_id"
            ),
            values(&[now, end_of_day, learner], &args, &[]),
            1,
        )?;
    }
    Ok(out)
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
    let open: BTreeMap<String, u32> = decks
        .iter()
        .map(|d| (d.deck.clone(), d.new_available))
        .collect();
    let left = new_limit_left(learner, done.new_done);
    let new_left = if left == 0 || open.values().all(|n| *n == 0) {
        0
    } else {
        pick_new(
            conn,
            learner.id,
            filter,
            left,
            &done.notes,
            Some(open),
            false,
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
/// of a card studied today (`notes_today`, "deck/card" keys). A card left out for a sibling still takes its deck's
/// turn in the rotation (the order [`new_cards`] defines); the walk goes on until `left` cards are found or no deck
/// has a new card left, so siblings at the head of a deck never shorten the day.
pub fn new_for_today(
    conn: &Connection,
    learner: i64,
    filter: &Filter,
    left: u32,
    notes_today: &HashSet<String>,
) -> Result<Vec<i64>> {
    if left == 0 {
        return Ok(Vec::new());
    }
    let new = new_per_deck(conn, learner, filter)?;
    pick_new(conn, learner, filter, left, notes_today, new, true)
}

/// [`new_for_today`] with the new cards per deck already counted (`None`: not known; `unnamed_fresh` as
/// [`walk_new`]'s).
fn pick_new(
    conn: &Connection,
    learner: i64,
    filter: &Filter,
    left: u32,
    notes_today: &HashSet<String>,
    new: Option<BTreeMap<String, u32>>,
    unnamed_fresh: bool,
) -> Result<Vec<i64>> {
    let mut notes = notes_today.clone();
    let mut out = Vec::new();
    walk_new(
        conn,
        learner,
        filter,
        new,
        unnamed_fresh,
        left,
        |id, note| {
            if notes.insert(note) {
                out.push(id);
            }
            out.len() < left as usize
        },
    )?;
    Ok(out)
}

/// Cards new to the learner, at most `limit`, as (card id, "deck/card" key), in the order they are introduced:
/// one from each deck in turn, reading decks (no card drawing on another deck) first, then the built-in decks in
/// the order they ship in (the course's order of readings), then by id;
/// each deck in its new-card order (the reading's paragraph order, or the file's, as the deck sets it; ranked at
/// import). A card that crosses readings is left out until the learner has met every card of each reading it
/// draws on.
pub fn new_cards(
    conn: &Connection,
    learner: i64,
    filter: &Filter,
    limit: u32,
) -> Result<Vec<(i64, String)>> {
    let mut found = Vec::new();
    if limit == 0 {
        return Ok(found);
    }
    let new = new_per_deck(conn, learner, filter)?;
    walk_new(conn, learner, filter, new, true, limit, |id, note| {
        found.push((id, note));
        found.len() < limit as usize
    })?;
    Ok(found)
}

/// One deck's new cards as [`walk_new`] reads them, a chunk at a time.
struct Stream {
    deck: String,
    /// Whether a card of the deck draws on another deck (only then is the reading check asked).
    draws: bool,
    /// Whether the learner has no state of an active card of the deck (then no card is looked up among them).
    fresh: bool,
    after: i64,
    chunk: usize,
    buffer: VecDeque<(i64, String)>,
    done: bool,
}

/// New cards per deck in scope (active cards without a state of the learner), as far as the walk needs to know:
/// for a deck where the learner has a state, its active cards less those states (two index counts, no
/// anti-join); a deck where they have none is left out of the map (all its cards are new: the walk finds them at
/// once). `None` under a tag filter, where the walk finds out for itself.
fn new_per_deck(
    conn: &Connection,
    learner: i64,
    filter: &Filter,
) -> Result<Option<BTreeMap<String, u32>>> {
    if !filter.tags.is_empty() {
        return Ok(None);
    }
    let decks = filter.state_decks_sql();
    // States of active cards: all the learner's states by deck, less those on the (few) retired cards.
    let mut seen: BTreeMap<String, i64> = BTreeMap::new();
    for (sql, sign) in [
        (
            format!(
                "SELECT s.deck_id, COUNT(*) FROM card_states s WHERE s.learner_id = ?1{decks} GROUP BY s.deck_id"
            ),
            1i64,
        ),
        (
            format!(
                "SELECT s.deck_id, COUNT(*) FROM cards c INDEXED BY cards_retired CROSS JOIN card_states s ON s.learner_id = ?1 AND s.card_id = c.id
                 WHERE c.retired_at IS NOT NULL{decks} GROUP BY s.deck_id"
            ),
            -1,
        ),
    ] {
        for row in conn
            .prepare_cached(&sql)?
            .query_map(params_from_iter(values(&[learner], &filter.decks, &[])), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?
        {
            let (deck, n) = row?;
            *seen.entry(deck).or_default() += sign * n;
        }
    }
    let mut active = conn.prepare_cached(
        "SELECT COUNT(*) FROM cards c WHERE c.deck_id = ?1 AND c.retired_at IS NULL",
    )?;
    let mut new = BTreeMap::new();
    for (deck, seen) in seen.into_iter().filter(|(_, n)| *n > 0) {
        let cards: i64 = active.query_row([&deck], |r| r.get(0))?;
        new.insert(
            deck,
            u32::try_from((cards - seen).max(0)).unwrap_or(u32::MAX),
        );
    }
    Ok(Some(new))
}

/// Walks the learner's new cards in [`new_cards`] order, handing each (card id, "deck/card" key) to `take` until it
/// returns false or no deck has one left. `new` counts the new cards of the decks it names (a deck it does not name
/// is walked, and with `unnamed_fresh` read as one where the learner has no state of an active card, as
/// [`new_per_deck`] leaves such decks out: its cards are not looked up among the learner's states); `want` is how many cards the caller expects to take: each deck's first read is its share of them,
/// and a deck read out asks for its share of what is still wanted (twice its last read once `want` is passed).
/// Decks without a new card are not read at all; the reading check (cards crossing readings wait) is asked only of
/// decks that have such cards. Each deck is read along its `cards_new_walk` index (rank and key), never sorted
/// whole; SQLite still reads each card taken from its row, for `retired_at`, which the partial index does not hold.
fn walk_new(
    conn: &Connection,
    learner: i64,
    filter: &Filter,
    new: Option<BTreeMap<String, u32>>,
    unnamed_fresh: bool,
    want: u32,
    mut take: impl FnMut(i64, String) -> bool,
) -> Result<()> {
    let decks: Vec<(String, bool)> = conn
        .prepare_cached(
            "SELECT id, reading = 0 FROM decks WHERE retired_at IS NULL ORDER BY reading DESC, builtin DESC, offer, id",
        )?
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .filter(|(d, _)| filter.decks.is_empty() || filter.decks.contains(d))
        .filter(|(d, _)| new.as_ref().is_none_or(|n| n.get(d).is_none_or(|n| *n > 0)))
        .collect();
    if decks.is_empty() {
        return Ok(());
    }
    let unseen = if decks.iter().any(|(_, draws)| *draws) {
        unseen_readings(conn, learner)?
    } else {
        Vec::new()
    };
    let (cond, args) = filter.sql();
    // A deck where the learner has no state of an active card (one `new` leaves out) is read without looking each
    // card up among their states: every active card of it is new.
    let select = |waits: &str, states: bool| {
        let unseen = if states {
            " AND NOT EXISTS (SELECT 1 FROM card_states s WHERE s.learner_id = ? AND s.card_id = c.id)"
        } else {
            ""
        };
        format!(
            "SELECT c.id, c.deck_id || '/' || c.card_key, c.new_rank FROM cards c
             WHERE c.deck_id = ? AND c.retired_at IS NULL AND c.new_rank > ?{cond}{waits}{unseen}
             ORDER BY c.new_rank LIMIT ?"
        )
    };
    let mut plain = conn.prepare_cached(&select("", true))?;
    let mut plain_fresh = conn.prepare_cached(&select("", false))?;
    let waits = if unseen.is_empty() {
        String::new()
    } else {
        format!(
            " AND NOT EXISTS (SELECT 1 FROM card_requires r WHERE r.card_id = c.id AND r.deck_id IN ({}))",
            vec!["?"; unseen.len()].join(",")
        )
    };
    let mut checked = conn.prepare_cached(&select(&waits, true))?;
    let mut checked_fresh = conn.prepare_cached(&select(&waits, false))?;
    let share = (want as usize).div_ceil(decks.len()).max(4);
    let mut streams: Vec<Stream> = decks
        .into_iter()
        .map(|(deck, draws)| Stream {
            fresh: unnamed_fresh && new.as_ref().is_some_and(|n| !n.contains_key(&deck)),
            deck,
            draws,
            after: -1,
            chunk: share,
            buffer: VecDeque::new(),
            done: false,
        })
        .collect();
    // Cards handed to `take` so far: a deck read out asks for its share of what is still wanted.
    let mut handed = 0usize;
    let mut first = true;
    loop {
        let mut took = false;
        let live = streams.iter().filter(|s| !s.done).count().max(1);
        for s in &mut streams {
            if s.buffer.is_empty() && !s.done {
                if !first {
                    let left = (want as usize).saturating_sub(handed);
                    // Past `want` (siblings were left out), twice the last read.
                    s.chunk = if left > 0 {
                        left.div_ceil(live).max(4)
                    } else {
                        s.chunk.saturating_mul(2)
                    };
                }
                let check = s.draws && !unseen.is_empty();
                let mut vals = vec![Value::Text(s.deck.clone()), Value::Integer(s.after)];
                vals.extend(args.iter().map(|a| Value::Text(a.clone())));
                if check {
                    vals.extend(unseen.iter().map(|d| Value::Text(d.clone())));
                }
                if !s.fresh {
                    vals.push(Value::Integer(learner));
                }
                vals.push(Value::Integer(s.chunk as i64));
                let stmt = match (check, s.fresh) {
                    (true, false) => &mut checked,
                    (true, true) => &mut checked_fresh,
                    (false, false) => &mut plain,
                    (false, true) => &mut plain_fresh,
                };
                let rows = stmt
                    .query_map(params_from_iter(vals), |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                s.done = rows.len() < s.chunk;
                if let Some((_, _, rank)) = rows.last() {
                    s.after = *rank;
                }
                s.buffer
                    .extend(rows.into_iter().map(|(id, key, _)| (id, key)));
            }
            if let Some((id, note)) = s.buffer.pop_front() {
                took = true;
                handed += 1;
                if !take(id, note) {
                    return Ok(());
                }
            }
        }
        first = false;
        if !took {
            return Ok(());
        }
    }
}
