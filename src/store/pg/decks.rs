//! The course's decks in PostgreSQL (`decks`, `cards`, `card_tags`, `card_requires`, `published_decks`: course data,
//! no row security): a deck imported under the rules of SQLite's `store::import_deck` (an unchanged deck changes
//! nothing, a changed card keeps its learners' progress, a card that left the file is retired), the changed
//! cards' states reset, the built-in decks kept in step with the binary, and the published deck texts.
//!
//! The derived values (the deck's JSON columns, known answers, new-card ranks, which built-in decks are stale) come
//! from the SQLite module's pure helpers, so the two backends cannot drift apart on them. Every writer here takes
//! the course's deck lock first ([`lock_decks`]), so two imports (a publish and a push loading the built-in decks)
//! run one after the other.

use super::super::import::{
    ImportReport, builtin_stale, deck_columns, item_key, item_ranks, shipped_decks,
};
use super::super::sync::PublishedDeck;
use crate::deck::Deck;
use crate::error::{Error, Result};
use postgres::Transaction;
use std::collections::HashMap;

/// Takes the transaction-long lock every deck writer holds (an advisory lock: the tables stay readable).
pub(super) fn lock_decks(tx: &mut Transaction<'_>) -> Result<()> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('detente.decks'))",
        &[],
    )?;
    Ok(())
}

/// Imports one deck in `tx` (the caller holds [`lock_decks`]). `builtin` marks the decks compiled into the binary.
pub(super) fn import_deck(
    tx: &mut Transaction<'_>,
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
    let stored = tx.query_opt(
        "SELECT content_hash, retired_at IS NOT NULL FROM decks WHERE id = $1",
        &[&deck.id],
    )?;
    if let Some(row) = &stored
        && !row.try_get::<_, bool>(1)?
        && row.try_get::<_, String>(0)? == hash
    {
        let count: i64 = tx
            .query_one(
                "SELECT count(*) FROM cards WHERE deck_id = $1 AND retired_at IS NULL",
                &[&deck.id],
            )?
            .try_get(0)?;
        report.unchanged = count as usize;
        return Ok(report);
    }
    let c = deck_columns(deck);
    tx.execute(
        "INSERT INTO decks (id, title, description, source, aliases, tags, content_hash, builtin, file, imported_at,
                            answers, new_order, reading, exam_only, words)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description,
            source = excluded.source, aliases = excluded.aliases, tags = excluded.tags,
            content_hash = excluded.content_hash, builtin = excluded.builtin, file = excluded.file,
            imported_at = excluded.imported_at, answers = excluded.answers, new_order = excluded.new_order,
            reading = excluded.reading, exam_only = excluded.exam_only, words = excluded.words,
            retired_at = NULL",
        &[
            &deck.id,
            &deck.title,
            &deck.description,
            &c.source,
            &c.aliases,
            &c.tags,
            &hash,
            &builtin,
            &file,
            &now,
            &c.answers,
            &c.new_order,
            &c.reading,
            &deck.exam_only,
            &c.words,
        ],
    )?;
    let ranks = item_ranks(deck);
    let mut existing: HashMap<(String, usize), (i64, String, String, bool)> = HashMap::new();
    for r in tx.query(
        "SELECT id, card_key, sibling, content_hash, answer_hash, retired_at IS NOT NULL FROM cards
         WHERE deck_id = $1",
        &[&deck.id],
    )? {
        existing.insert(
            (r.try_get(1)?, r.try_get::<_, i64>(2)? as usize),
            (r.try_get(0)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?),
        );
    }
    for (position, card) in deck.cards.iter().enumerate() {
        let body = serde_json::to_string(card).map_err(|e| Error::InvalidData(e.to_string()))?;
        let draws_on = card.draws_on(&deck.id);
        for sibling in 0..card.siblings() {
            let rank = (ranks[position] + sibling) as i64;
            let content = card.content_hash(sibling);
            let answer = card.answer_hash(sibling);
            let key = item_key(&card.id, sibling);
            let id: i64 = match existing.remove(&(card.id.clone(), sibling)) {
                None => {
                    let row = tx.query_one(
                        "INSERT INTO cards (deck_id, card_key, sibling, kind, position, body, content_hash,
                                            answer_hash, new_rank)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                        &[
                            &deck.id,
                            &card.id,
                            &(sibling as i64),
                            &card.body.kind(),
                            &(position as i64),
                            &body,
                            &content,
                            &answer,
                            &rank,
                        ],
                    )?;
                    report.added.push(key);
                    row.try_get(0)?
                }
                Some((id, old_content, old_answer, retired)) => {
                    tx.execute(
                        "UPDATE cards SET kind = $2, position = $3, body = $4, content_hash = $5, answer_hash = $6,
                                          new_rank = $7, retired_at = NULL
                         WHERE id = $1",
                        &[
                            &id,
                            &card.body.kind(),
                            &(position as i64),
                            &body,
                            &content,
                            &answer,
                            &rank,
                        ],
                    )?;
                    tx.execute("DELETE FROM card_requires WHERE card_id = $1", &[&id])?;
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
                    tx.execute("DELETE FROM card_tags WHERE card_id = $1", &[&id])?;
                    id
                }
            };
            // A card carries its own tags only, as in SQLite's import.
            for tag in &card.tags {
                tx.execute(
                    "INSERT INTO card_tags (card_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&id, tag],
                )?;
            }
            for other in &draws_on {
                tx.execute(
                    "INSERT INTO card_requires (card_id, deck_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&id, other],
                )?;
            }
        }
    }
    let mut gone: Vec<_> = existing.into_iter().filter(|(_, v)| !v.3).collect();
    gone.sort();
    for ((card, sibling), (id, ..)) in gone {
        tx.execute(
            "UPDATE cards SET retired_at = $2 WHERE id = $1",
            &[&id, &now],
        )?;
        report.retired.push(item_key(&card, sibling));
    }
    Ok(report)
}

/// Resets every learner's progress on the given study items of a deck, as SQLite's `store::reset_cards` does
/// (course scope: every learner's states). Returns how many states were removed.
pub(super) fn reset_cards(
    tx: &mut Transaction<'_>,
    deck: &str,
    items: &[(String, usize)],
    now_ms: i64,
) -> Result<usize> {
    let mut removed = 0;
    for (key, sibling) in items {
        let Some(row) = tx.query_opt(
            "SELECT id FROM cards WHERE deck_id = $1 AND card_key = $2 AND sibling = $3",
            &[&deck, key, &(*sibling as i64)],
        )?
        else {
            continue;
        };
        let id: i64 = row.try_get(0)?;
        removed += tx.execute("DELETE FROM card_states WHERE card_id = $1", &[&id])? as usize;
        tx.execute(
            "UPDATE cards SET reset_at = $2 WHERE id = $1",
            &[&id, &now_ms],
        )?;
    }
    Ok(removed)
}

/// Brings the built-in decks in step with those compiled into this binary (new or changed ones imported, ones no
/// longer shipped retired, their places in the shipped list recorded); nothing is written when they match.
/// Returns `None` when they matched at this transaction's first look; else what this transaction's imports did
/// (as SQLite's `store::sync_builtin` reports them: a deck whose import changed nothing is left out), empty when
/// another transaction loaded them while this one waited for the decks' lock (whose cards the next statements
/// see): either way a merge that was refused for want of a card is worth trying again.
pub fn sync_builtin(tx: &mut Transaction<'_>, now: i64) -> Result<Option<Vec<ImportReport>>> {
    let decks = shipped_decks()?;
    let read = |tx: &mut Transaction<'_>| -> Result<HashMap<String, (String, bool)>> {
        tx.query(
            "SELECT id, content_hash, retired_at IS NOT NULL FROM decks WHERE builtin",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
        .collect()
    };
    if !builtin_stale(&decks, &read(tx)?) {
        return Ok(None);
    }
    lock_decks(tx)?;
    // Read again under the lock: another transaction may have loaded them while this one waited.
    let stored = read(tx)?;
    if !builtin_stale(&decks, &stored) {
        return Ok(Some(Vec::new()));
    }
    let mut reports = Vec::new();
    for deck in &decks {
        let report = import_deck(tx, deck, true, None, now)?;
        if !(report.added.is_empty() && report.changed.is_empty() && report.retired.is_empty()) {
            reports.push(report);
        }
    }
    for (i, deck) in decks.iter().enumerate() {
        tx.execute(
            "UPDATE decks SET offer = $2 WHERE id = $1 AND builtin",
            &[&deck.id, &(i as i64)],
        )?;
    }
    for id in stored
        .keys()
        .filter(|id| !decks.iter().any(|d| &d.id == *id))
    {
        tx.execute(
            "UPDATE decks SET retired_at = $2 WHERE id = $1 AND retired_at IS NULL",
            &[id, &now],
        )?;
        tx.execute(
            "UPDATE cards SET retired_at = $2 WHERE deck_id = $1 AND retired_at IS NULL",
            &[id, &now],
        )?;
    }
    Ok(Some(reports))
}

/// Records `text` (the file `file`, already imported in `tx` as `deck`) as the course's version of the deck.
pub(super) fn publish_deck(
    tx: &mut Transaction<'_>,
    deck: &Deck,
    file: &str,
    text: &str,
    publisher: &str,
    now_s: i64,
) -> Result<Option<i64>> {
    let shared: Option<i64> = tx
        .query_one(
            "INSERT INTO published_decks (deck_id, content_hash, file, text, published_at, publisher, shared_at)
             VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::boolean THEN NULL ELSE $5::bigint END)
             ON CONFLICT (deck_id) DO UPDATE SET content_hash = excluded.content_hash, file = excluded.file,
                 text = excluded.text, published_at = excluded.published_at, publisher = excluded.publisher,
                 shared_at = coalesce(published_decks.shared_at, excluded.shared_at)
             RETURNING shared_at",
            &[
                &deck.id,
                &deck.content_hash(),
                &file,
                &text,
                &now_s,
                &publisher,
                &deck.exam_only,
            ],
        )?
        .try_get(0)?;
    Ok(shared.filter(|_| deck.exam_only))
}

/// The course's published decks, by id (in code-point order, as SQLite sorts them); never an exam-only bank.
pub(super) fn published_decks(tx: &mut Transaction<'_>) -> Result<Vec<PublishedDeck>> {
    tx.query(
        "SELECT p.deck_id, d.title, p.content_hash FROM published_decks p JOIN decks d ON d.id = p.deck_id
         WHERE NOT d.exam_only ORDER BY p.deck_id COLLATE \"C\"",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(PublishedDeck {
            id: r.try_get(0)?,
            title: r.try_get(1)?,
            content_hash: r.try_get(2)?,
        })
    })
    .collect()
}

/// A published deck's version, file name and text; none for an exam-only bank, which never leaves the server.
pub(super) fn published_deck(
    tx: &mut Transaction<'_>,
    id: &str,
) -> Result<Option<(String, String, String)>> {
    tx.query_opt(
        "SELECT p.content_hash, p.file, p.text FROM published_decks p JOIN decks d ON d.id = p.deck_id
         WHERE p.deck_id = $1 AND NOT d.exam_only",
        &[&id],
    )?
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .transpose()
}
