//! Learners' card states (the `card_states` table): reading and writing one, the learning steps and reviews due by a
//! time, and resetting the states of changed cards so that they are new again.

use super::Filter;
use crate::error::Result;
use crate::schedule::{CardState, Phase};
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};

pub(super) const STATE_COLUMNS: &str =
    "phase, step, stability, difficulty, due, last_review, last_day, interval, reps, lapses, leech";

pub(super) fn state_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<CardState> {
    Ok(CardState {
        phase: Phase::from_i64(r.get(at)?),
        step: r.get(at + 1)?,
        stability: r.get::<_, f64>(at + 2)? as f32,
        difficulty: r.get::<_, f64>(at + 3)? as f32,
        due: r.get(at + 4)?,
        last_review: r.get(at + 5)?,
        last_day: r.get(at + 6)?,
        interval: r.get(at + 7)?,
        reps: r.get(at + 8)?,
        lapses: r.get(at + 9)?,
        leech: r.get(at + 10)?,
    })
}

/// A learner's state of a card; `None` when the card is new to them.
pub fn state(conn: &Connection, learner: i64, card: i64) -> Result<Option<CardState>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {STATE_COLUMNS} FROM card_states WHERE learner_id = ?1 AND card_id = ?2"
    ))?;
    Ok(stmt
        .query_row([learner, card], |r| state_row(r, 0))
        .optional()?)
}

/// All of a learner's card states, for checks and replays.
pub fn states(conn: &Connection, learner: i64) -> Result<Vec<(i64, CardState)>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT card_id, {STATE_COLUMNS} FROM card_states WHERE learner_id = ?1 ORDER BY card_id"
    ))?;
    let rows = stmt
        .query_map([learner], |r| Ok((r.get(0)?, state_row(r, 1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Writes (or, with `None`, removes) a learner's state of a card, with the card's deck (which the counts group by).
pub fn put_state(
    tx: &Transaction<'_>,
    learner: i64,
    card: i64,
    state: Option<&CardState>,
) -> Result<()> {
    match state {
        None => {
            tx.prepare_cached("DELETE FROM card_states WHERE learner_id = ?1 AND card_id = ?2")?
                .execute([learner, card])?;
        }
        Some(s) => {
            tx.prepare_cached(&format!(
                "INSERT OR REPLACE INTO card_states (learner_id, card_id, {STATE_COLUMNS}, deck_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                         (SELECT deck_id FROM cards WHERE id = ?2))"
            ))?
            .execute(params![
                learner,
                card,
                s.phase.as_i64(),
                s.step,
                f64::from(s.stability),
                f64::from(s.difficulty),
                s.due,
                s.last_review,
                s.last_day,
                s.interval,
                s.reps,
                s.lapses,
                s.leech
            ])?;
        }
    }
    Ok(())
}

/// Cards in learning or relearning, due by `until`, soonest first.
pub fn due_learning(
    conn: &Connection,
    learner: i64,
    until: i64,
    filter: &Filter,
) -> Result<Vec<(i64, i64)>> {
    let (from, cond, args) = scoped(filter);
    let sql = format!(
        "SELECT s.card_id, s.due FROM {from}
         WHERE s.learner_id = ? AND s.due <= ? AND s.phase IN (1, 3){cond}
         ORDER BY s.due, s.card_id"
    );
    query_pairs(conn, &sql, learner, until, &args)
}

/// The states a queue reads and the condition that keeps those of active cards in scope: without a tag filter the
/// deck a state carries and the list of retired cards (few, from their partial index) decide, so that no state is
/// looked up in `cards` (100,000 learning steps due are 100,000 lookups saved); with one, each state is joined to
/// its card for the tags.
fn scoped(filter: &Filter) -> (&'static str, String, Vec<String>) {
    if filter.tags.is_empty() {
        let mut cond = String::from(
            " AND s.card_id NOT IN (SELECT id FROM cards INDEXED BY cards_retired WHERE retired_at IS NOT NULL)",
        );
        cond.push_str(&filter.state_decks_sql());
        ("card_states s", cond, filter.decks.clone())
    } else {
        let (cond, args) = filter.sql();
        (
            "card_states s JOIN cards c ON c.id = s.card_id",
            format!(" AND c.retired_at IS NULL{cond}"),
            args,
        )
    }
}

/// Review cards due by `until`, most overdue first, at most `limit`.
pub fn due_reviews(
    conn: &Connection,
    learner: i64,
    until: i64,
    filter: &Filter,
    limit: u32,
) -> Result<Vec<i64>> {
    let (from, cond, args) = scoped(filter);
    let sql = format!(
        "SELECT s.card_id, s.due FROM {from}
         WHERE s.learner_id = ? AND s.due <= ? AND s.phase = 2{cond}
         ORDER BY s.due, s.card_id LIMIT {limit}"
    );
    Ok(query_pairs(conn, &sql, learner, until, &args)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

fn query_pairs(
    conn: &Connection,
    sql: &str,
    learner: i64,
    until: i64,
    args: &[String],
) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut values: Vec<rusqlite::types::Value> = vec![learner.into(), until.into()];
    values.extend(args.iter().map(|a| rusqlite::types::Value::Text(a.clone())));
    let rows = stmt
        .query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Resets every learner's progress on the given study items of a deck (card key and sibling): their states are
/// removed, so the cards are new again, and the reset is marked so that replays of the log start there.
/// Returns how many learners' states were removed.
pub fn reset_cards(
    tx: &Transaction<'_>,
    deck: &str,
    items: &[(String, usize)],
    now: crate::time::UnixMs,
) -> Result<usize> {
    let mut removed = 0;
    let mut find = tx.prepare_cached(
        "SELECT id FROM cards WHERE deck_id = ?1 AND card_key = ?2 AND sibling = ?3",
    )?;
    for (key, sibling) in items {
        let Some(id): Option<i64> = find
            .query_row(params![deck, key, *sibling as i64], |r| r.get(0))
            .optional()?
        else {
            continue;
        };
        removed += tx.execute("DELETE FROM card_states WHERE card_id = ?1", [id])?;
        tx.execute(
            "UPDATE cards SET reset_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
    }
    Ok(removed)
}
