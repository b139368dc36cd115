//! Queries for progress statistics and the optimizer: the cards with their tags (and the prompts of the few shown),
//! a learner's states and review log in the shapes `stats` computes on, deck titles, and saving fitted FSRS
//! parameters.

use super::Filter;
use super::states::{STATE_COLUMNS, state_row};
use crate::deck::{Body, Card, cloze_question};
use crate::error::Result;
use crate::schedule::{CardState, Phase};
use crate::stats::{ReviewInfo, StatCard};
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};
use std::collections::{BTreeMap, HashMap};

/// The study items of live decks that match a filter (retired cards included, for the counts), in deck order:
/// built-in decks first, then by deck id, position and sibling. The active items are read along their deck-order
/// index and the retired ones apart, so that no card row (with its body) is read and nothing is sorted in SQL.
pub fn stat_cards(conn: &Connection, filter: &Filter) -> Result<Vec<StatCard>> {
    let (cond, args) = filter.sql();
    let live: HashMap<String, bool> = conn
        .prepare_cached("SELECT id, builtin FROM decks WHERE retired_at IS NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    // (built-in, deck, position, sibling, id, retired)
    let mut rows: Vec<(bool, String, i64, i64, i64, bool)> = Vec::new();
    let mut push = |r: &rusqlite::Row<'_>, retired: bool| -> rusqlite::Result<()> {
        let deck: String = r.get(1)?;
        if let Some(builtin) = live.get(&deck) {
            rows.push((*builtin, deck, r.get(2)?, r.get(3)?, r.get(0)?, retired));
        }
        Ok(())
    };
    let sql = format!(
        "SELECT c.id, c.deck_id, c.position, c.sibling FROM cards c
         WHERE c.retired_at IS NULL{cond} ORDER BY c.deck_id, c.position, c.sibling"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut found = stmt.query(params_from_iter(args.iter()))?;
    while let Some(r) = found.next()? {
        push(r, false)?;
    }
    // The retired ones deck by deck, so that the (deck, retired) index finds them without reading the table.
    let sql = format!(
        "SELECT c.id, c.deck_id, c.position, c.sibling FROM cards c
         WHERE c.deck_id = ? AND c.retired_at IS NOT NULL{cond}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    for deck in live.keys() {
        let values = std::iter::once(deck).chain(args.iter());
        let mut found = stmt.query(params_from_iter(values))?;
        while let Some(r) = found.next()? {
            push(r, true)?;
        }
    }
    // A stable sort: the active items come in order already.
    rows.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    let places = crate::stats::ById::new(rows.iter().map(|r| r.4));
    let mut tags: Vec<Vec<String>> = vec![Vec::new(); rows.len()];
    let mut tag_stmt = conn.prepare("SELECT card_id, tag FROM card_tags ORDER BY tag")?;
    let mut found = tag_stmt.query([])?;
    while let Some(r) = found.next()? {
        if let Some(p) = places.position(r.get(0)?) {
            tags[p].push(r.get(1)?);
        }
    }
    Ok(rows
        .into_iter()
        .zip(tags)
        .map(|((_, deck_id, _, _, id, retired), tags)| StatCard {
            id,
            deck_id,
            tags,
            retired,
        })
        .collect())
}

/// The study items of [`stat_cards`], streamed as (id, deck, retired) without their tags and holding none of them:
/// first the active items in deck order (built-in decks first, then by deck id, position and sibling, read along
/// their index twice, once for the built-in decks and once for the others), then the retired ones deck by deck.
/// The class view indexes a class's cards from this and [`for_each_theme_tag`].
pub fn for_each_stat_card(
    conn: &Connection,
    filter: &Filter,
    mut each: impl FnMut(i64, &str, bool),
) -> Result<()> {
    let (cond, args) = filter.sql();
    let decks: Vec<(String, bool)> = conn
        .prepare_cached(
            "SELECT id, builtin FROM decks WHERE retired_at IS NULL ORDER BY builtin DESC, id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let builtin: HashMap<&str, bool> = decks.iter().map(|(d, b)| (d.as_str(), *b)).collect();
    // The statement of [`stat_cards`], whose plan serves a tag filter well, in two passes.
    let sql = format!(
        "SELECT c.id, c.deck_id FROM cards c
         WHERE c.retired_at IS NULL{cond} ORDER BY c.deck_id, c.position, c.sibling"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    for pass in [true, false] {
        let mut found = stmt.query(params_from_iter(args.iter()))?;
        while let Some(r) = found.next()? {
            let deck = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
            if builtin.get(deck) == Some(&pass) {
                each(r.get(0)?, deck, false);
            }
        }
    }
    let sql = format!(
        "SELECT c.id FROM cards c
         WHERE c.deck_id = ? AND c.retired_at IS NOT NULL{cond}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    for (deck, _) in &decks {
        let values = std::iter::once(deck).chain(args.iter());
        let mut found = stmt.query(params_from_iter(values))?;
        while let Some(r) = found.next()? {
            each(r.get(0)?, deck, true);
        }
    }
    Ok(())
}

/// Every theme tag of a card (a tag starting `theme:`), as (card, tag), in tag order: a range of the tags' key.
pub fn for_each_theme_tag(conn: &Connection, mut each: impl FnMut(i64, &str)) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT card_id, tag FROM card_tags WHERE tag >= 'theme:' AND tag < 'theme;' ORDER BY tag, card_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let tag: String = r.get(1)?;
        each(r.get(0)?, &tag);
    }
    Ok(())
}

/// The prompts the given study items show, by id (a card whose body is stored damaged shows its key).
pub fn card_prompts(conn: &Connection, ids: &[i64]) -> Result<HashMap<i64, String>> {
    let mut stmt = conn.prepare_cached("SELECT sibling, body FROM cards WHERE id = ?1")?;
    let mut out = HashMap::with_capacity(ids.len());
    for &id in ids {
        let row = stmt
            .query_row([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .optional()?;
        let Some((sibling, body)) = row else {
            continue;
        };
        let prompt = serde_json::from_str::<Card>(&body).map_or_else(
            |_| format!("card {id}"),
            |c| prompt_of(&c, sibling as usize),
        );
        out.insert(id, prompt);
    }
    Ok(out)
}

/// Every review in the log (every learner, every mode; with `learner`, theirs only) as (learner, card, day), in the
/// table's order: one pass over the log for the class view, not a search per learner.
pub fn for_each_review_day(
    conn: &Connection,
    learner: Option<i64>,
    mut each: impl FnMut(i64, i64, crate::time::Day),
) -> Result<()> {
    let mut stmt = conn.prepare_cached(match learner {
        None => "SELECT learner_id, card_id, day FROM reviews WHERE retracted = 0 AND ?1 IS NULL",
        Some(_) => {
            "SELECT learner_id, card_id, day FROM reviews WHERE retracted = 0 AND learner_id = ?1"
        }
    })?;
    let mut rows = stmt.query([learner])?;
    while let Some(r) = rows.next()? {
        each(r.get(0)?, r.get(1)?, r.get(2)?);
    }
    Ok(())
}

/// Every learner's best closed supervised exam attempt, per exam, as (learner, exam id, score as a share of the
/// maximum); attempts that arrived in a progress bundle (unsupervised) and open ones are left out.
pub fn best_supervised_scores(conn: &Connection) -> Result<Vec<(i64, String, f64)>> {
    let mut stmt = conn.prepare(
        "SELECT learner_id, exam_id, MAX(score / max_score) FROM attempts
         WHERE closed_at IS NOT NULL AND unsupervised = 0 AND score IS NOT NULL AND max_score > 0
         GROUP BY learner_id, exam_id",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Every learner's last moment of exam activity (Unix milliseconds): the latest start, close or answer of any of
/// their attempts, supervised or not.
pub fn last_exam_activity(conn: &Connection) -> Result<HashMap<i64, crate::time::UnixMs>> {
    let mut stmt = conn.prepare(
        "SELECT a.learner_id, MAX(MAX(a.started_at, coalesce(a.closed_at, 0),
                coalesce((SELECT MAX(answered_at) FROM attempt_answers WHERE attempt_id = a.id), 0)))
         FROM attempts a GROUP BY a.learner_id",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<HashMap<_, _>>>()?;
    Ok(rows)
}

/// Every learner's number of open flags (flags neither withdrawn nor resolved).
pub fn open_flag_counts(conn: &Connection) -> Result<HashMap<i64, u32>> {
    let mut stmt = conn.prepare(
        "SELECT learner_id, COUNT(*) FROM flags WHERE state = 'open' GROUP BY learner_id",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<HashMap<_, _>>>()?;
    Ok(rows)
}

/// The prompt a study item shows.
fn prompt_of(card: &Card, sibling: usize) -> String {
    match (&card.body, sibling) {
        (Body::Cloze { .. }, s) => cloze_question(&card.prompt, s),
        (Body::Flashcard { answer, .. }, 1) => answer.clone(),
        _ => card.prompt.clone(),
    }
}

/// A learner's states by card id.
pub fn state_map(conn: &Connection, learner: i64) -> Result<HashMap<i64, CardState>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT card_id, {STATE_COLUMNS} FROM card_states WHERE learner_id = ?1"
    ))?;
    let rows = stmt
        .query_map([learner], |r| Ok((r.get(0)?, state_row(r, 1)?)))?
        .collect::<rusqlite::Result<HashMap<i64, CardState>>>()?;
    Ok(rows)
}

/// A learner's states with only what retrievability needs (phase, stability, difficulty, last review; the other
/// fields are zero), streamed in the table's order (card id): mastery over a class reads a million of them, one at
/// a time.
pub fn for_each_memory_state(
    conn: &Connection,
    learner: i64,
    mut each: impl FnMut(i64, &CardState),
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT card_id, phase, stability, difficulty, last_review FROM card_states WHERE learner_id = ?1",
    )?;
    let mut rows = stmt.query([learner])?;
    while let Some(r) = rows.next()? {
        each(r.get(0)?, &memory_state(r)?);
    }
    Ok(())
}

/// What mastery needs of a state, from columns 1 to 4 of a row (phase, stability, difficulty, last review); the
/// rest of the state is left at its zero.
fn memory_state(r: &rusqlite::Row<'_>) -> rusqlite::Result<CardState> {
    Ok(CardState {
        phase: Phase::from_i64(r.get(1)?),
        step: 0,
        stability: r.get::<_, f64>(2)? as f32,
        difficulty: r.get::<_, f64>(3)? as f32,
        due: 0,
        last_review: r.get(4)?,
        last_day: crate::time::Day(0),
        interval: 0,
        reps: 0,
        lapses: 0,
        leech: false,
    })
}

/// A learner's states of the active cards of live decks, each with its deck id, streamed in no particular order
/// with only what mastery needs (as [`for_each_memory_state`]): a grade export sums them per deck holding nothing else.
/// The deck is the one the state carries, and the few retired cards and decks are left out by their lists, so the
/// cards table is never read row by row: a class's states stream through a small page cache.
pub fn for_each_deck_state(
    conn: &Connection,
    learner: i64,
    mut each: impl FnMut(&str, &CardState),
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.deck_id, s.phase, s.stability, s.difficulty, s.last_review FROM card_states s
         WHERE s.learner_id = ?1
           AND s.deck_id IN (SELECT id FROM decks WHERE retired_at IS NULL)
           AND s.card_id NOT IN (SELECT id FROM cards INDEXED BY cards_retired WHERE retired_at IS NOT NULL)",
    )?;
    let mut rows = stmt.query([learner])?;
    while let Some(r) = rows.next()? {
        let state = memory_state(r)?;
        let deck = r.get_ref(0)?.as_str().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })?;
        each(deck, &state);
    }
    Ok(())
}

/// A learner's whole review log (every mode), in time order.
pub fn review_log(conn: &Connection, learner: i64) -> Result<Vec<ReviewInfo>> {
    let mut stmt = conn.prepare(
        "SELECT card_id, reviewed_at, day, mode, rating, duration_ms, phase_before, coalesce(interval_before, 0)
         FROM reviews WHERE learner_id = ?1 AND retracted = 0 ORDER BY reviewed_at, id",
    )?;
    let rows = stmt
        .query_map([learner], |r| {
            Ok(ReviewInfo {
                card_id: r.get(0)?,
                reviewed_at_ms: r.get(1)?,
                day: r.get(2)?,
                mode: r.get(3)?,
                rating: r.get(4)?,
                duration_ms: r.get(5)?,
                phase_before: Phase::from_i64(r.get(6)?),
                interval_before: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Deck id to title, for every live deck.
pub fn deck_titles(conn: &Connection) -> Result<BTreeMap<String, String>> {
    let mut stmt = conn.prepare("SELECT id, title FROM decks WHERE retired_at IS NULL")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<BTreeMap<String, String>>>()?;
    Ok(rows)
}

/// Stores a learner's FSRS parameters (`None`: back to the defaults).
pub fn save_parameters(
    tx: &Transaction<'_>,
    learner: i64,
    parameters: Option<&[f32]>,
) -> Result<()> {
    let json = parameters
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| crate::error::Error::InvalidData(format!("parameters: {e}")))?;
    tx.execute(
        "UPDATE learners SET parameters = ?2 WHERE id = ?1",
        params![learner, json],
    )?;
    Ok(())
}
