//! Decks and cards as stored: one study item with its card, a deck rebuilt as its file would have it, the answers
//! and aliases a deck's checker needs, the deck list with its counts, and the active cards a filter selects.

use super::Filter;
use crate::deck::Card;
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params_from_iter};

/// A study item as stored: which deck card and sibling, and the card itself.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCard {
    pub id: i64,
    pub deck_id: String,
    pub card_key: String,
    pub sibling: usize,
    pub card: Card,
    pub retired: bool,
}

impl StoredCard {
    /// The key siblings share ("deck/card"), so that they are not shown on the same day.
    pub fn note_key(&self) -> String {
        format!("{}/{}", self.deck_id, self.card_key)
    }
}

pub fn card(conn: &Connection, id: i64) -> Result<Option<StoredCard>> {
    let mut stmt = conn
        .prepare_cached("SELECT id, deck_id, card_key, sibling, body, retired_at IS NOT NULL FROM cards WHERE id = ?1")?;
    let row = stmt
        .query_row([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })
        .optional()?;
    let Some((id, deck_id, card_key, sibling, body, retired)) = row else {
        return Ok(None);
    };
    let card: Card = serde_json::from_str(&body).map_err(|e| {
        Error::InvalidData(format!("card {deck_id}/{card_key} is stored damaged: {e}"))
    })?;
    Ok(Some(StoredCard {
        id,
        deck_id,
        card_key,
        sibling: sibling as usize,
        card,
        retired,
    }))
}

/// The cards of a deck as written (one per card id, retired ones included), to know every answer in it.
pub fn deck_cards(conn: &Connection, deck: &str) -> Result<Vec<Card>> {
    let mut stmt =
        conn.prepare_cached("SELECT body FROM cards WHERE deck_id = ?1 AND sibling = 0")?;
    let bodies = stmt
        .query_map([deck], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(bodies
        .iter()
        .filter_map(|b| serde_json::from_str(b).ok())
        .collect())
}

/// A loaded deck as its file would have it: its header and its active cards in order; `None` if no such deck.
pub fn deck(conn: &Connection, id: &str) -> Result<Option<crate::deck::Deck>> {
    // `exam_only` is read only once migration 12 added it: an earlier migration's step reads decks too.
    let flagged: i64 = conn.query_row(
        "SELECT count(*) FROM pragma_table_info('decks') WHERE name = 'exam_only'",
        [],
        |r| r.get(0),
    )?;
    let exam_only = if flagged > 0 { "exam_only" } else { "0" };
    let header = conn
        .query_row(
            &format!(
                "SELECT title, description, source, aliases, tags, new_order, {exam_only} FROM decks
                 WHERE id = ?1 AND retired_at IS NULL"
            ),
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, bool>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((title, description, source, aliases, tags, new_order, exam_only)) = header else {
        return Ok(None);
    };
    let json = |s: &Option<String>| -> serde_json::Value {
        s.as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    let mut stmt = conn.prepare(
        "SELECT body FROM cards WHERE deck_id = ?1 AND sibling = 0 AND retired_at IS NULL ORDER BY position",
    )?;
    let cards = stmt
        .query_map([id], |r| r.get::<_, String>(0))?
        .map(|b| {
            let b = b?;
            serde_json::from_str(&b)
                .map_err(|e| Error::InvalidData(format!("stored card of {id}: {e}")))
        })
        .collect::<Result<Vec<crate::deck::Card>>>()?;
    Ok(Some(crate::deck::Deck {
        id: id.to_string(),
        title,
        description,
        tags: serde_json::from_value(json(&tags)).unwrap_or_default(),
        source: serde_json::from_value(json(&source)).unwrap_or_default(),
        aliases: serde_json::from_value(json(&aliases)).unwrap_or_default(),
        new_order: new_order
            .as_deref()
            .and_then(crate::deck::NewOrder::from_name),
        exam_only,
        cards,
    }))
}

/// A deck's aliases: canonical form to its alternatives.
pub type Aliases = std::collections::BTreeMap<String, Vec<String>>;

/// A deck's aliases, its known answers and the common words of its text: what [`deck_answers`] reads.
pub type DeckAnswers = (Aliases, Vec<String>, Vec<String>);

/// What a deck's answer checker needs: its aliases, its known answers, normalized (read from the card bodies for a
/// deck imported before the answers were kept), and the common words of its text (none for a deck imported before
/// they were kept, until it is imported again).
pub fn deck_answers(conn: &Connection, deck: &str) -> Result<DeckAnswers> {
    let row: Option<(Option<String>, Option<String>, Option<String>)> = conn
        .prepare_cached("SELECT aliases, answers, words FROM decks WHERE id = ?1")?
        .query_row([deck], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (aliases, answers, words) = row.unwrap_or_default();
    let words = words
        .and_then(|w| serde_json::from_str(&w).ok())
        .unwrap_or_default();
    let aliases = aliases
        .and_then(|a| serde_json::from_str(&a).ok())
        .unwrap_or_default();
    let answers = match answers.and_then(|a| serde_json::from_str(&a).ok()) {
        Some(list) => list,
        None => crate::deck::typed_answers(&deck_cards(conn, deck)?)
            .iter()
            .map(|a| crate::deck::normalize(a))
            .collect(),
    };
    Ok((aliases, answers, words))
}

/// A deck as stored, with its card counts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeckInfo {
    pub id: String,
    pub title: String,
    pub source: Option<crate::deck::DeckSource>,
    pub aliases: std::collections::BTreeMap<String, Vec<String>>,
    pub builtin: bool,
    /// Cards (study items, see [`super::counts`]): every cloze blank and reverse side counts.
    pub cards: u32,
    /// The cards as written in the deck file (`[[card]]` entries), each counting once however many items it makes.
    pub written: u32,
    pub retired_cards: u32,
}

pub fn decks(conn: &Connection) -> Result<Vec<DeckInfo>> {
    let mut stmt = conn.prepare(
        "SELECT d.id, d.title, d.source, d.aliases, d.builtin,
                (SELECT COUNT(*) FROM cards c WHERE c.deck_id = d.id AND c.retired_at IS NULL),
                (SELECT COUNT(*) FROM cards c WHERE c.deck_id = d.id AND c.retired_at IS NOT NULL),
                (SELECT COUNT(*) FROM cards c WHERE c.deck_id = d.id AND c.retired_at IS NULL AND c.sibling = 0)
         FROM decks d WHERE d.retired_at IS NULL ORDER BY d.builtin DESC, d.id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            let source: Option<String> = r.get(2)?;
            let aliases: Option<String> = r.get(3)?;
            Ok(DeckInfo {
                id: r.get(0)?,
                title: r.get(1)?,
                source: source.and_then(|s| serde_json::from_str(&s).ok()),
                aliases: aliases
                    .and_then(|s| serde_json::from_str(&s).ok())
                    .unwrap_or_default(),
                builtin: r.get(4)?,
                cards: r.get(5)?,
                written: r.get(7)?,
                retired_cards: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Each active deck's title and source, by id, for questions and citations (no counts: a session starts with it).
pub fn deck_sources(
    conn: &Connection,
) -> Result<std::collections::HashMap<String, (String, Option<crate::deck::DeckSource>)>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, title, source FROM decks WHERE retired_at IS NULL")?;
    let rows = stmt
        .query_map([], |r| {
            let source: Option<String> = r.get(2)?;
            Ok((
                r.get::<_, String>(0)?,
                (
                    r.get::<_, String>(1)?,
                    source.and_then(|s| serde_json::from_str(&s).ok()),
                ),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Every active card that matches a filter, for cramming.
pub fn filtered_cards(conn: &Connection, filter: &Filter) -> Result<Vec<i64>> {
    let (cond, args) = filter.sql();
    let sql = format!(
        "SELECT c.id FROM cards c JOIN decks d ON d.id = c.deck_id
         WHERE c.retired_at IS NULL AND d.retired_at IS NULL{cond} ORDER BY c.deck_id, c.position, c.sibling"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args), |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
