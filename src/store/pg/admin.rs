//! One learner's rows in PostgreSQL, to export, count or delete (`learner export|delete` against a PostgreSQL
//! server): the twin of SQLite's `store::admin`, found the same way from the schema itself (the catalog, not a
//! list kept here): the `learners` row, every table with a `learner_id` column, and every table with a foreign key
//! to rows already found. A table a later migration adds is exported and deleted with no change to this file.
//!
//! The work runs in a course-scoped transaction narrowed to the learner ([`scope_to`]): once the learner is
//! found by name, the transaction's row-level security admits that learner's rows only, so a condition written
//! wrong here still cannot read or delete another learner's rows. Values are exported as SQLite's export writes
//! them (booleans as 0 and 1), so one document format serves both backends.

use super::learners;
use crate::error::{Error, Result};
use crate::store::Learner;
use crate::store::admin::{LearnerTable, Row, Visit, ident, secret};
use postgres::Transaction;
use postgres::fallible_iterator::FallibleIterator;
use serde_json::Value;

/// The learner named `name`, found by the one rule of names (course scope), with the transaction narrowed to them
/// from here on: `detente.scope` cleared and `detente.learner_id` set, so every learner table's policy admits
/// their rows only. `None` if there is no such learner.
pub fn scope_to(tx: &mut Transaction<'_>, name: &str) -> Result<Option<Learner>> {
    let Some(learner) = learners::learner_by_name(tx, name)? else {
        return Ok(None);
    };
    tx.execute(
        "SELECT set_config('detente.scope', '', true), set_config('detente.learner_id', $1, true)",
        &[&learner.id.to_string()],
    )?;
    Ok(Some(learner))
}

/// The tables of the current schema, by name.
fn tables(tx: &mut Transaction<'_>) -> Result<Vec<String>> {
    Ok(tx
        .query(
            "SELECT c.relname::text FROM pg_class c
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
             ORDER BY c.relname COLLATE \"C\"",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// A table's columns in order, with their type's name (`boolean`, `bytea`, ...).
fn columns(tx: &mut Transaction<'_>, table: &str) -> Result<Vec<(String, String)>> {
    Ok(tx
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, NULL)
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = $1
               AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum",
            &[&table],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// A table's primary key columns, in the key's order.
fn primary_key(tx: &mut Transaction<'_>, table: &str) -> Result<Vec<String>> {
    Ok(tx
        .query(
            "SELECT a.attname::text
             FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = $1 AND i.indisprimary
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
            &[&table],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Every foreign key of the schema: (table, its first column, the table it points at, that table's column).
fn foreign_keys(tx: &mut Transaction<'_>) -> Result<Vec<(String, String, String, String)>> {
    Ok(tx
        .query(
            "SELECT cl.relname::text, ca.attname::text, pl.relname::text, pa.attname::text
             FROM pg_constraint k
             JOIN pg_class cl ON cl.oid = k.conrelid
             JOIN pg_class pl ON pl.oid = k.confrelid
             JOIN pg_attribute ca ON ca.attrelid = k.conrelid AND ca.attnum = k.conkey[1]
             JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1]
             WHERE k.contype = 'f' AND cl.relnamespace = current_schema()::regnamespace
             ORDER BY 1, 2",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect())
}

/// Every table that holds a learner's rows, parents before the tables that point at them (SQL conditions with
/// `$1` the learner's id): `learners`, every table with a `learner_id` column, then every table with a foreign key
/// to a table already listed; ordered so that no table comes before one it points at.
pub fn learner_tables(tx: &mut Transaction<'_>) -> Result<Vec<LearnerTable>> {
    let names = tables(tx)?;
    let keys = foreign_keys(tx)?;
    let mut found = vec![LearnerTable {
        name: "learners".to_string(),
        rows: "id = $1".to_string(),
    }];
    for name in names.iter().filter(|n| *n != "learners") {
        if columns(tx, name)?.iter().any(|(c, _)| c == "learner_id") {
            found.push(LearnerTable {
                name: name.clone(),
                rows: "learner_id = $1".to_string(),
            });
        }
    }
    // Tables that point at rows found, until none is left: each round adds one table or ends.
    while let Some(t) = keys.iter().find_map(|(child, from, parent, to)| {
        let p = found.iter().find(|f| &f.name == parent)?;
        (!found.iter().any(|f| &f.name == child)).then(|| LearnerTable {
            name: child.clone(),
            rows: format!(
                "{} IN (SELECT {} FROM {} WHERE {})",
                ident(from),
                ident(to),
                ident(&p.name),
                p.rows
            ),
        })
    }) {
        found.push(t);
    }
    // Parents first: a table goes once every table it points at (other than itself) has gone.
    let points_at = |child: &str, parent: &str| {
        child != parent && keys.iter().any(|(c, _, p, _)| c == child && p == parent)
    };
    let mut ordered: Vec<LearnerTable> = Vec::with_capacity(found.len());
    while !found.is_empty() {
        let next = found
            .iter()
            .position(|t| {
                !found
                    .iter()
                    .any(|other| other.name != t.name && points_at(&t.name, &other.name))
            })
            .ok_or_else(|| {
                Error::InvalidData(
                    "the learner tables' foreign keys form a cycle: no order deletes them"
                        .to_string(),
                )
            })?;
        ordered.push(found.remove(next));
    }
    Ok(ordered)
}

/// How many rows of the learner each table holds, in [`learner_tables`]' order.
pub fn learner_counts(tx: &mut Transaction<'_>, learner: i64) -> Result<Vec<(String, i64)>> {
    learner_tables(tx)?
        .into_iter()
        .map(|t| {
            let sql = format!("SELECT count(*) FROM {} WHERE {}", ident(&t.name), t.rows);
            Ok((t.name, tx.query_one(&sql, &[&learner])?.get(0)))
        })
        .collect()
}

/// Deletes every row of the learner in every table that holds them, children before parents and the `learners`
/// row last; returns how many rows each table lost, in [`learner_tables`]' order.
pub fn delete_learner(tx: &mut Transaction<'_>, learner: i64) -> Result<Vec<(String, i64)>> {
    let mut deleted = Vec::new();
    for t in learner_tables(tx)?.into_iter().rev() {
        let sql = format!("DELETE FROM {} WHERE {}", ident(&t.name), t.rows);
        let n = tx.execute(&sql, &[&learner])?;
        deleted.push((t.name, i64::try_from(n).unwrap_or(i64::MAX)));
    }
    deleted.reverse();
    Ok(deleted)
}

/// Every row of the learner in every table that holds them, in [`learner_tables`]' order, handed to `visit` one at
/// a time as SQLite's `learner_rows` hands them (read as they arrive, never all in memory): each an object of its
/// columns (booleans as 0 and 1), never a secret (bytes, and columns named `key`, `*token*` or `*secret*`); a row
/// with a `card_id` gets `card`: the card's deck, key in the deck and sibling (null if the card is gone).
pub fn learner_rows(
    tx: &mut Transaction<'_>,
    learner: i64,
    mut visit: impl FnMut(Visit<'_>) -> Result<()>,
) -> Result<()> {
    for t in learner_tables(tx)? {
        let cols = columns(tx, &t.name)?;
        // Each row as JSON text built by the server, its columns in the table's order.
        let mut members: Vec<String> = cols
            .iter()
            .filter(|(name, ty)| !secret(name) && ty != "bytea")
            .map(|(name, ty)| {
                let value = match ty.as_str() {
                    "boolean" => format!("t.{}::int", ident(name)),
                    _ => format!("t.{}", ident(name)),
                };
                format!("'{}', {value}", name.replace('\'', "''"))
            })
            .collect();
        if cols.iter().any(|(name, _)| name == "card_id") {
            members.push(
                "'card', (SELECT json_build_object('deck', c.deck_id, 'key', c.card_key, 'sibling', c.sibling)
                          FROM cards c WHERE c.id = t.card_id)"
                    .to_string(),
            );
        }
        let key = primary_key(tx, &t.name)?;
        let order = if key.is_empty() {
            "t.ctid".to_string()
        } else {
            key.iter()
                .map(|c| format!("t.{}", ident(c)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sql = format!(
            "SELECT json_build_object({})::text FROM {} t WHERE {} ORDER BY {order}",
            members.join(", "),
            ident(&t.name),
            t.rows
        );
        // PostgreSQL writes a whole float as `0`; SQLite's export writes `0.0`.
        let floats: Vec<&String> = cols
            .iter()
            .filter(|(_, ty)| ty == "double precision" || ty == "real")
            .map(|(name, _)| name)
            .collect();
        visit(Visit::Table(&t.name))?;
        let mut rows = tx.query_raw(&sql, [learner])?;
        while let Some(r) = rows.next()? {
            let text: String = r.try_get(0)?;
            let mut object: Row = serde_json::from_str(&text)
                .map_err(|e| Error::InvalidData(format!("a row of {} is not JSON: {e}", t.name)))?;
            for name in &floats {
                if let Some(value) = object.get_mut(name.as_str())
                    && let Some(x) = value.as_f64().and_then(serde_json::Number::from_f64)
                {
                    *value = Value::Number(x);
                }
            }
            visit(Visit::Row(object))?;
        }
        visit(Visit::End)?;
    }
    Ok(())
}
