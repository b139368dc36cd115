//! Importing a validated deck into the database under the rules teachers rely on: an unchanged deck changes
//! nothing, a changed card keeps its learners' progress, a card that left the file is retired (history kept), and
//! the whole import is one transaction. Also keeps the built-in decks in step with the binary.

use crate::deck::{Deck, NewOrder, builtin, parse_deck};
use crate::error::{Error, Result};
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::HashMap;

/// What an import did to one deck.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImportReport {
    pub deck: String,
    pub added: Vec<String>,
    pub changed: Vec<String>,
    /// Changed cards whose answer itself changed, not just the wording around it.
    pub answer_changed: Vec<String>,
    /// The answer-changed study items as (card id, sibling), for `--reset-changed`.
    #[serde(skip)]
    pub answer_changed_items: Vec<(String, usize)>,
    /// Learners' card states reset because the answer changed (`--reset-changed`).
    pub reset_states: usize,
    pub retired: Vec<String>,
    pub restored: Vec<String>,
    pub unchanged: usize,
}

impl ImportReport {
    /// One line for the user: "sample: 2 added, 1 changed, 1 retired, 5 unchanged".
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (n, what) in [
            (self.added.len(), "added"),
            (self.changed.len(), "changed"),
            (self.retired.len(), "retired"),
            (self.restored.len(), "restored"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        parts.push(format!("{} unchanged", self.unchanged));
        let mut line = format!("{}: {}", self.deck, parts.join(", "));
        if !self.answer_changed.is_empty() {
            line.push_str(&format!(
                " (answer changed: {})",
                self.answer_changed.join(", ")
            ));
        }
        if self.reset_states > 0 {
            line.push_str(&format!(
                "; progress reset on {} learner card(s)",
                self.reset_states
            ));
        }
        line
    }
}

/// A study item as reports name it: `card`, or `card#2` for a second sibling.
pub(super) fn item_key(card: &str, sibling: usize) -> String {
    if sibling == 0 {
        card.to_string()
    } else {
        format!("{card}#{}", sibling + 1)
    }
}

/// The deck's typed answers and rejects, normalized and deduplicated, as JSON (see [`super::deck_answers`]).
fn known_answers(deck: &Deck) -> String {
    let mut known: Vec<String> = crate::deck::typed_answers(&deck.cards)
        .iter()
        .map(|a| crate::deck::normalize(a))
        .collect();
    known.sort();
    known.dedup();
    serde_json::to_string(&known).unwrap_or_else(|_| "[]".into())
}

/// Whether a deck is a reading deck: none of its cards draws on another deck's reading. Reading decks come first
/// in the rotation of new cards.
fn is_reading(deck: &Deck) -> bool {
    deck.cards.iter().all(|c| c.draws_on(&deck.id).is_empty())
}

/// The new-card rank of each card's first study item, by card index: the cards in the deck's new order, each
/// taking as many ranks as it has study items (siblings follow each other).
pub(super) fn item_ranks(deck: &Deck) -> Vec<usize> {
    let ranks = deck.new_ranks();
    let mut by_rank: Vec<usize> = (0..deck.cards.len()).collect();
    by_rank.sort_by_key(|&i| ranks[i]);
    let mut first = vec![0; deck.cards.len()];
    let mut next = 0;
    for i in by_rank {
        first[i] = next;
        next += deck.cards[i].siblings();
    }
    first
}

/// The derived columns of a deck's row, the same on both backends: its source, aliases and tags as JSON (`None`
/// when empty), its known answers, its new-card order and whether it is a reading deck.
pub(super) struct DeckColumns {
    pub source: Option<String>,
    pub aliases: Option<String>,
    pub tags: Option<String>,
    pub answers: String,
    /// The common words of the deck's text as JSON ([`crate::deck::deck_words`]).
    pub words: String,
    pub new_order: Option<&'static str>,
    pub reading: bool,
}

pub(super) fn deck_columns(deck: &Deck) -> DeckColumns {
    let json = |v: &dyn erased::Json| v.json();
    DeckColumns {
        source: json(&deck.source),
        aliases: json(&deck.aliases),
        tags: json(&deck.tags),
        answers: known_answers(deck),
        words: serde_json::to_string(&crate::deck::deck_words(deck))
            .unwrap_or_else(|_| "[]".into()),
        new_order: deck.new_order.map(NewOrder::as_str),
        reading: is_reading(deck),
    }
}

/// Records the built-in decks' places in the list they are shipped in (the course's order of readings), which the
/// rotation of new cards follows.
fn set_offers(tx: &Transaction<'_>, shipped: &[&str]) -> Result<()> {
    let mut offer = tx.prepare("UPDATE decks SET offer = ?2 WHERE id = ?1 AND builtin = 1")?;
    for (i, id) in shipped.iter().enumerate() {
        offer.execute(params![id, i as i64])?;
    }
    Ok(())
}

/// Works out the new-card order of every deck already in the database (migration 0005): ranks, requirements and
/// whether each deck is a reading deck, from the stored cards.
pub(super) fn order_stored_decks(tx: &Transaction<'_>) -> Result<()> {
    let ids: Vec<String> = tx
        .prepare("SELECT id FROM decks WHERE retired_at IS NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut rank = tx.prepare(
        "UPDATE cards SET new_rank = ?4 WHERE deck_id = ?1 AND card_key = ?2 AND sibling = ?3 AND retired_at IS NULL",
    )?;
    let mut require = tx.prepare(
        "INSERT OR IGNORE INTO card_requires (card_id, deck_id)
         SELECT id, ?4 FROM cards WHERE deck_id = ?1 AND card_key = ?2 AND sibling = ?3",
    )?;
    for id in ids {
        let Some(deck) = super::deck(tx, &id)? else {
            continue;
        };
        let first = item_ranks(&deck);
        for (i, card) in deck.cards.iter().enumerate() {
            let draws_on = card.draws_on(&deck.id);
            for sibling in 0..card.siblings() {
                let item = params![
                    deck.id,
                    card.id,
                    sibling as i64,
                    (first[i] + sibling) as i64
                ];
                rank.execute(item)?;
                for other in &draws_on {
                    require.execute(params![deck.id, card.id, sibling as i64, other])?;
                }
            }
        }
        tx.execute(
            "UPDATE decks SET reading = ?2 WHERE id = ?1",
            params![deck.id, is_reading(&deck)],
        )?;
    }
    let shipped: Vec<String> = builtin::DECKS
        .iter()
        .filter_map(|b| parse_deck(b.file, b.text).0.map(|d| d.id))
        .collect();
    set_offers(tx, &shipped.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Imports one deck in `tx`. `builtin` marks the decks compiled into the binary.
pub fn import_deck(
    tx: &Transaction<'_>,
    deck: &Deck,
    builtin: bool,
    file: Option<&str>,
    now: i64,
) -> Result<ImportReport> {
    let hash = deck.content_hash();
    let mut report = ImportReport {
        deck: deck.id.clone(),
        ..Default::default()
    };
    let stored: Option<(String, bool)> = tx
        .query_row(
            "SELECT content_hash, retired_at IS NOT NULL FROM decks WHERE id = ?1",
            [&deck.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((stored_hash, false)) = &stored
        && *stored_hash == hash
    {
        let count: i64 = tx.query_row(
            "SELECT COUNT(*) FROM cards WHERE deck_id = ?1 AND retired_at IS NULL",
            [&deck.id],
            |r| r.get(0),
        )?;
        report.unchanged = count as usize;
        return Ok(report);
    }
    let columns = deck_columns(deck);
    tx.execute(
        "INSERT INTO decks (id, title, description, source, aliases, tags, content_hash, builtin, file, imported_at,
                            answers, new_order, reading, exam_only, words)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description,
            source = excluded.source, aliases = excluded.aliases, tags = excluded.tags,
            content_hash = excluded.content_hash, builtin = excluded.builtin, file = excluded.file,
            imported_at = excluded.imported_at, answers = excluded.answers, new_order = excluded.new_order,
            reading = excluded.reading, exam_only = excluded.exam_only, words = excluded.words,
            retired_at = NULL",
        params![
            deck.id,
            deck.title,
            deck.description,
            columns.source,
            columns.aliases,
            columns.tags,
            hash,
            builtin,
            file,
            now,
            columns.answers,
            columns.new_order,
            columns.reading,
            deck.exam_only,
            columns.words
        ],
    )?;
    let ranks = item_ranks(deck);
    let mut existing: HashMap<(String, usize), (i64, String, String, bool)> = HashMap::new();
    {
        let mut stmt = tx.prepare(
            "SELECT id, card_key, sibling, content_hash, answer_hash, retired_at IS NOT NULL FROM cards
             WHERE deck_id = ?1",
        )?;
        let rows = stmt.query_map([&deck.id], |r| {
            Ok((
                (r.get::<_, String>(1)?, r.get::<_, i64>(2)? as usize),
                (r.get(0)?, r.get(3)?, r.get(4)?, r.get(5)?),
            ))
        })?;
        for row in rows {
            let (k, v) = row?;
            existing.insert(k, v);
        }
    }
    let mut insert = tx.prepare(
        "INSERT INTO cards (deck_id, card_key, sibling, kind, position, body, content_hash, answer_hash, new_rank)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut update = tx.prepare(
        "UPDATE cards SET kind = ?2, position = ?3, body = ?4, content_hash = ?5, answer_hash = ?6, new_rank = ?7,
                          retired_at = NULL
         WHERE id = ?1",
    )?;
    let mut clear_requires = tx.prepare("DELETE FROM card_requires WHERE card_id = ?1")?;
    let mut add_require =
        tx.prepare("INSERT OR IGNORE INTO card_requires (card_id, deck_id) VALUES (?1, ?2)")?;
    let mut clear_tags = tx.prepare("DELETE FROM card_tags WHERE card_id = ?1")?;
    let mut add_tag =
        tx.prepare("INSERT OR IGNORE INTO card_tags (card_id, tag) VALUES (?1, ?2)")?;
    for (position, card) in deck.cards.iter().enumerate() {
        let body = serde_json::to_string(card).map_err(|e| Error::InvalidData(e.to_string()))?;
        let draws_on = card.draws_on(&deck.id);
        for sibling in 0..card.siblings() {
            let rank = (ranks[position] + sibling) as i64;
            let content = card.content_hash(sibling);
            let answer = card.answer_hash(sibling);
            let key = item_key(&card.id, sibling);
            let id = match existing.remove(&(card.id.clone(), sibling)) {
                None => {
                    insert.execute(params![
                        deck.id,
                        card.id,
                        sibling as i64,
                        card.body.kind(),
                        position as i64,
                        body,
                        content,
                        answer,
                        rank
                    ])?;
                    report.added.push(key);
                    tx.last_insert_rowid()
                }
                Some((id, old_content, old_answer, retired)) => {
                    update.execute(params![
                        id,
                        card.body.kind(),
                        position as i64,
                        body,
                        content,
                        answer,
                        rank
                    ])?;
                    clear_requires.execute([id])?;
                    if retired {
                        report.restored.push(key.clone());
                    } else if old_content != content {
                        if old_answer != answer {
                            report.answer_changed.push(key.clone());
                            report.answer_changed_items.push((card.id.clone(), sibling));
                        }
                        report.changed.push(key);
                    } else {
                        report.unchanged += 1;
                    }
                    clear_tags.execute([id])?;
                    id
                }
            };
            // A card carries its own tags only: deck-level tags describe the deck, and copied onto every card they
            // would make a theme cover the whole deck in `stats` and `study --tag`.
            for tag in &card.tags {
                add_tag.execute(params![id, tag])?;
            }
            for other in &draws_on {
                add_require.execute(params![id, other])?;
            }
        }
    }
    let mut retire = tx.prepare("UPDATE cards SET retired_at = ?2 WHERE id = ?1")?;
    let mut gone: Vec<_> = existing.into_iter().filter(|(_, v)| !v.3).collect();
    gone.sort();
    for ((card, sibling), (id, ..)) in gone {
        retire.execute(params![id, now])?;
        report.retired.push(item_key(&card, sibling));
    }
    Ok(report)
}

/// Brings the built-in decks in the database in step with those compiled into this binary: new or changed ones
/// are imported under the usual rules, and built-in decks no longer shipped are retired. Does nothing (and takes
/// no write lock) when they already match.
pub fn sync_builtin(store: &mut super::Store, now: i64) -> Result<Vec<ImportReport>> {
    // A read-only database shows the built-in decks it has.
    if store.read_only {
        return Ok(Vec::new());
    }
    let Some(plan) = builtin_plan(&store.conn)? else {
        return Ok(Vec::new());
    };
    let tx = store.write()?;
    let reports = apply_builtin(&tx, &plan, now)?;
    tx.commit()?;
    Ok(reports)
}

/// As [`sync_builtin`], inside the caller's transaction: for a command that must write nothing at all when its
/// input is refused, the built-in decks it needs are loaded and rolled back with the rest.
pub fn sync_builtin_tx(tx: &Transaction<'_>, now: i64) -> Result<Vec<ImportReport>> {
    match builtin_plan(tx)? {
        Some(plan) => apply_builtin(tx, &plan, now),
        None => Ok(Vec::new()),
    }
}

/// The shipped decks and the stored built-in deck ids, when the stored ones are stale; `None` when up to date.
struct BuiltinPlan {
    decks: Vec<Deck>,
    stored: Vec<String>,
}

/// The built-in decks compiled into this binary, parsed.
pub(super) fn shipped_decks() -> Result<Vec<Deck>> {
    let mut decks = Vec::new();
    for b in builtin::DECKS {
        let (deck, diags) = parse_deck(b.file, b.text);
        let deck = deck.ok_or_else(|| {
            let first = diags.first().map(ToString::to_string).unwrap_or_default();
            Error::InvalidData(format!(
                "built-in deck {} does not validate: {first}",
                b.file
            ))
        })?;
        decks.push(deck);
    }
    Ok(decks)
}

/// Whether the stored built-in decks (id to content hash and whether retired) differ from the shipped ones: one
/// missing, changed or retired, or one no longer shipped still active.
pub(super) fn builtin_stale(decks: &[Deck], stored: &HashMap<String, (String, bool)>) -> bool {
    let shipped: Vec<&str> = decks.iter().map(|d| d.id.as_str()).collect();
    decks
        .iter()
        .any(|d| stored.get(&d.id) != Some(&(d.content_hash(), false)))
        || stored
            .iter()
            .any(|(id, (_, retired))| !retired && !shipped.contains(&id.as_str()))
}

fn builtin_plan(conn: &rusqlite::Connection) -> Result<Option<BuiltinPlan>> {
    let decks = shipped_decks()?;
    let stored: HashMap<String, (String, bool)> = {
        let mut stmt = conn.prepare(
            "SELECT id, content_hash, retired_at IS NOT NULL FROM decks WHERE builtin = 1",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if !builtin_stale(&decks, &stored) {
        return Ok(None);
    }
    Ok(Some(BuiltinPlan {
        stored: stored.into_keys().collect(),
        decks,
    }))
}

fn apply_builtin(tx: &Transaction<'_>, plan: &BuiltinPlan, now: i64) -> Result<Vec<ImportReport>> {
    let shipped: Vec<&str> = plan.decks.iter().map(|d| d.id.as_str()).collect();
    let mut reports = Vec::new();
    for deck in &plan.decks {
        let report = import_deck(tx, deck, true, None, now)?;
        if !(report.added.is_empty() && report.changed.is_empty() && report.retired.is_empty()) {
            reports.push(report);
        }
    }
    set_offers(tx, &shipped)?;
    for id in plan
        .stored
        .iter()
        .filter(|id| !shipped.contains(&id.as_str()))
    {
        tx.execute(
            "UPDATE decks SET retired_at = ?2 WHERE id = ?1 AND retired_at IS NULL",
            params![id, now],
        )?;
        tx.execute(
            "UPDATE cards SET retired_at = ?2 WHERE deck_id = ?1 AND retired_at IS NULL",
            params![id, now],
        )?;
    }
    Ok(reports)
}

/// JSON text for optional deck fields, without a dependency on their concrete types.
mod erased {
    pub trait Json {
        fn json(&self) -> Option<String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Option<String> {
            serde_json::to_string(self)
                .ok()
                .filter(|s| s != "null" && s != "{}" && s != "[]")
        }
    }
}
