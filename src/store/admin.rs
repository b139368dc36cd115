//! The administrator's queries: a consistent copy of a live database (SQLite's online backup API), the checks a
//! file must pass before it may become a server's database, and one learner's rows in every table that holds them,
//! to export, count or delete.
//!
//! A learner's rows are found from the schema itself, not from a list kept here: the `learners` row, every table
//! with a `learner_id` column, and every table with a foreign key to rows already found (an exam attempt's
//! answers), to any depth. A table that a later migration adds is exported and deleted with no change to this file.

use super::open::{BUSY_TIMEOUT, SCHEMA_VERSION};
use crate::error::{Error, Result};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Transaction};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Opens a database only to read it: nothing is created, migrated or written, whatever its version.
pub fn open_source(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Copies the database `from` into the empty or new file `to` with SQLite's online backup API, all pages in one
/// step: one read transaction on `from`, so the copy is the database at one moment, whatever other connections
/// commit meanwhile (in WAL mode they are not held up). `to` is closed when this returns.
pub fn copy_database(from: &Connection, to: &Path) -> Result<()> {
    let mut dest = Connection::open(to)?;
    {
        let backup = Backup::new(from, &mut dest)?;
        let deadline = Instant::now() + BUSY_TIMEOUT;
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More => {}
                _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                _ => {
                    return Err(Error::Usage(
                        "the database stayed locked: try again when it is less busy".to_string(),
                    ));
                }
            }
        }
    }
    dest.close().map_err(|(_, e)| Error::Sqlite(e))
}

/// Checks that the database `conn` is whole (`PRAGMA integrity_check`) and a detente database this build can
/// use (its tables, a schema version no newer than this detente's); returns its schema version. `what` names the
/// file in the messages.
pub fn check_detente(conn: &Connection, what: &Path) -> Result<i64> {
    let not_ours = |why: String| {
        Error::InvalidData(format!(
            "{} is not a detente database: {why}",
            what.display()
        ))
    };
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| not_ours(e.to_string()))?;
    if problems.first().map(String::as_str) != Some("ok") {
        return Err(Error::InvalidData(format!(
            "{} is damaged (integrity_check: {})",
            what.display(),
            problems.join("; ")
        )));
    }
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'
         AND name IN ('learners', 'decks', 'cards', 'reviews', 'card_states')",
        [],
        |r| r.get(0),
    )?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if tables < 5 || version < 1 {
        return Err(not_ours(
            "it lacks detente's tables or schema version".to_string(),
        ));
    }
    if version > SCHEMA_VERSION {
        return Err(Error::DatabaseTooNew {
            path: what.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// Whether a database holds a course already: a learner, an imported deck or an exam (a new server's database
/// has none).
pub fn holds_data(conn: &Connection) -> Result<bool> {
    let rows: i64 = conn.query_row(
        "SELECT (SELECT count(*) FROM learners) + (SELECT count(*) FROM decks WHERE builtin = 0)
              + (SELECT count(*) FROM exams)",
        [],
        |r| r.get(0),
    )?;
    Ok(rows > 0)
}

/// A table that holds a learner's rows, and the SQL condition that picks them (`?1` is the learner's id).
#[derive(Debug, Clone, PartialEq)]
pub struct LearnerTable {
    pub name: String,
    pub rows: String,
}

/// A name as an SQL identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The columns of a table, with their place in its primary key (0: not in it).
fn columns(conn: &Connection, table: &str) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare("SELECT name, pk FROM pragma_table_info(?1)")?;
    let rows = stmt
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Every table that holds a learner's rows, parents before the tables that point at them: `learners` (`id`),
/// every table with a `learner_id` column, then every table with a foreign key to a table already listed.
pub fn learner_tables(conn: &Connection) -> Result<Vec<LearnerTable>> {
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
             ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut found = vec![LearnerTable {
        name: "learners".to_string(),
        rows: "id = ?1".to_string(),
    }];
    for name in names.iter().filter(|n| *n != "learners") {
        if columns(conn, name)?.iter().any(|(c, _)| c == "learner_id") {
            found.push(LearnerTable {
                name: name.clone(),
                rows: "learner_id = ?1".to_string(),
            });
        }
    }
    // Tables that point at rows found, until none is left: each round adds at least one table or ends.
    loop {
        let mut added = None;
        'tables: for name in names
            .iter()
            .filter(|n| !found.iter().any(|f| &f.name == *n))
        {
            let keys: Vec<(String, String, Option<String>)> = conn
                .prepare("SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?1) WHERE seq = 0")?
                .query_map([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (parent, from, to) in keys {
                let Some(p) = found.iter().find(|f| f.name == parent) else {
                    continue;
                };
                // A key that names no column points at the parent's primary key (its rowid if it has none).
                let to = match to {
                    Some(t) => t,
                    None => columns(conn, &parent)?
                        .into_iter()
                        .find(|(_, pk)| *pk == 1)
                        .map_or_else(|| "rowid".to_string(), |(c, _)| c),
                };
                added = Some(LearnerTable {
                    name: name.clone(),
                    rows: format!(
                        "{} IN (SELECT {} FROM {} WHERE {})",
                        ident(&from),
                        ident(&to),
                        ident(&p.name),
                        p.rows
                    ),
                });
                break 'tables;
            }
        }
        match added {
            Some(t) => found.push(t),
            None => return Ok(found),
        }
    }
}

/// How many rows of the learner each table holds, in [`learner_tables`]' order.
pub fn learner_counts(conn: &Connection, learner: i64) -> Result<Vec<(String, i64)>> {
    learner_tables(conn)?
        .into_iter()
        .map(|t| {
            let sql = format!("SELECT count(*) FROM {} WHERE {}", ident(&t.name), t.rows);
            Ok((t.name, conn.query_row(&sql, [learner], |r| r.get(0))?))
        })
        .collect()
}

/// Deletes every row of the learner in every table that holds them, the `learners` row last; returns how many
/// rows each table lost. Foreign keys are checked at the commit, so a row left pointing at a deleted one (in a
/// table no key leads to) fails the whole transaction rather than being left behind.
pub fn delete_learner(tx: &Transaction<'_>, learner: i64) -> Result<Vec<(String, usize)>> {
    tx.pragma_update(None, "defer_foreign_keys", "ON")?;
    let mut deleted = Vec::new();
    // Children first: their condition reads the parents' rows.
    for t in learner_tables(tx)?.into_iter().rev() {
        let sql = format!("DELETE FROM {} WHERE {}", ident(&t.name), t.rows);
        deleted.push((t.name, tx.execute(&sql, [learner])?));
    }
    deleted.reverse();
    Ok(deleted)
}

/// A row as a JSON object of its columns.
pub type Row = Map<String, Value>;

/// Whether a column holds a secret that an export never contains: an enrolment key, a device token or its hash.
pub fn secret(column: &str) -> bool {
    column == "key" || column.contains("token") || column.contains("secret")
}

/// What [`learner_rows`] hands its visitor, in order: each table, then its rows, then its end.
pub enum Visit<'a> {
    Table(&'a str),
    Row(Row),
    End,
}

/// Every row of the learner in every table that holds them, in [`learner_tables`]' order, handed to `visit` one at
/// a time (never all in memory), each an object of its columns as stored (text, numbers, null). Never a secret:
/// bytes (keys) and columns named `key`, `*token*` or `*secret*` are left out. A row with a `card_id` gets `card`:
/// the card's deck, key in the deck and sibling.
pub fn learner_rows(
    conn: &Connection,
    learner: i64,
    mut visit: impl FnMut(Visit<'_>) -> Result<()>,
) -> Result<()> {
    for t in learner_tables(conn)? {
        let cols = columns(conn, &t.name)?;
        let mut key: Vec<&(String, i64)> = cols.iter().filter(|(_, pk)| *pk > 0).collect();
        key.sort_by_key(|(_, pk)| *pk);
        let order = if key.is_empty() {
            "rowid".to_string()
        } else {
            key.iter()
                .map(|(c, _)| ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sql = format!(
            "SELECT * FROM {} WHERE {} ORDER BY {order}",
            ident(&t.name),
            t.rows
        );
        let mut stmt = conn.prepare(&sql)?;
        // The columns written, by place: never a secret.
        let names: Vec<(usize, String)> = stmt
            .column_names()
            .iter()
            .enumerate()
            .filter(|(_, n)| !secret(n))
            .map(|(i, n)| (i, n.to_string()))
            .collect();
        let mut rows = stmt.query([learner])?;
        visit(Visit::Table(&t.name))?;
        while let Some(row) = rows.next()? {
            let mut object = Map::new();
            for (i, name) in &names {
                let value = match row.get_ref(*i)? {
                    ValueRef::Blob(_) => continue,
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::from(n),
                    ValueRef::Real(x) => {
                        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
                    }
                    ValueRef::Text(s) => Value::from(String::from_utf8_lossy(s).into_owned()),
                };
                object.insert(name.clone(), value);
            }
            if let Some(card) = object.get("card_id").and_then(Value::as_i64) {
                object.insert("card".to_string(), card_ref(conn, card)?);
            }
            visit(Visit::Row(object))?;
        }
        visit(Visit::End)?;
    }
    Ok(())
}

/// The learner export document (docs/formats.md, section 8), written to `out` as [`Visit`]s arrive, one row a line,
/// so that a learner with years of reviews costs no more memory than one row: [`Self::start`] writes the head, each
/// visit of [`learner_rows`] (SQLite) or `store::pg`'s twin goes to [`Self::visit`], and [`Self::finish`] closes
/// it. `target` names `out` in errors.
pub struct ExportWriter<W: Write> {
    out: W,
    target: String,
    table: String,
    first_table: bool,
    first_row: bool,
}

impl<W: Write> ExportWriter<W> {
    /// Writes the head: the format, `exported_at` (Unix seconds, written as RFC 3339 UTC), this detente's version
    /// and the database's `schema_version`.
    pub fn start(out: W, target: &str, exported_at: i64, schema_version: i64) -> Result<Self> {
        let at = chrono::DateTime::from_timestamp(exported_at, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let head = [
            ("format", json(&"detente-learner-export")),
            ("version", json(&1)),
            ("exported_at", json(&at)),
            ("detente", json(&env!("CARGO_PKG_VERSION"))),
            ("schema_version", json(&schema_version)),
        ];
        let text = head
            .iter()
            .map(|(k, v)| format!("  \"{k}\": {v}"))
            .collect::<Vec<_>>()
            .join(",\n");
        let mut writer = ExportWriter {
            out,
            target: target.to_string(),
            table: String::new(),
            first_table: true,
            first_row: true,
        };
        writer.write(&format!("{{\n{text}"))?;
        Ok(writer)
    }

    fn write(&mut self, piece: &str) -> Result<()> {
        self.out
            .write_all(piece.as_bytes())
            .map_err(|e| Error::io(format!("cannot write {}", self.target), e))
    }

    /// Writes one table's start, one row or one table's end.
    pub fn visit(&mut self, visit: Visit<'_>) -> Result<()> {
        let piece = match visit {
            Visit::Table(name) => {
                self.table = name.to_string();
                self.first_row = true;
                if name == "learners" {
                    ",\n  \"learner\": ".to_string()
                } else {
                    let open = if self.first_table {
                        ",\n  \"tables\": {\n"
                    } else {
                        ",\n"
                    };
                    self.first_table = false;
                    format!("{open}    {}: [", json(&name))
                }
            }
            Visit::Row(row) if self.table == "learners" => json(&Value::Object(row)),
            Visit::Row(row) => {
                let sep = if self.first_row { "\n" } else { ",\n" };
                self.first_row = false;
                format!("{sep}      {}", json(&Value::Object(row)))
            }
            Visit::End if self.table == "learners" => String::new(),
            Visit::End if self.first_row => "]".to_string(),
            Visit::End => "\n    ]".to_string(),
        };
        self.write(&piece)
    }

    /// Closes the document; returns `out`.
    pub fn finish(mut self) -> Result<W> {
        let close = if self.first_table {
            "\n}\n"
        } else {
            "\n  }\n}\n"
        };
        self.write(close)?;
        Ok(self.out)
    }
}

/// A value as compact JSON text (a value made of strings, numbers and maps always serializes).
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A card as people find it in deck files: its deck, its key in the deck and its sibling.
fn card_ref(conn: &Connection, card: i64) -> Result<Value> {
    let row = conn
        .prepare_cached("SELECT deck_id, card_key, sibling FROM cards WHERE id = ?1")?
        .query_row([card], |r| {
            Ok(serde_json::json!({
                "deck": r.get::<_, String>(0)?,
                "key": r.get::<_, String>(1)?,
                "sibling": r.get::<_, i64>(2)?,
            }))
        });
    match row {
        Ok(v) => Ok(v),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(Value::Null),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn every_learner_table_is_found_with_the_answers_of_attempts_through_their_key() {
        let store = Store::open(Path::new(":memory:")).unwrap();
        let tables = learner_tables(&store.conn).unwrap();
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        for t in [
            "learners",
            "reviews",
            "card_states",
            "sessions",
            "flags",
            "attempts",
            "sync_log",
        ] {
            assert!(names.contains(&t), "{t}: {names:?}");
        }
        for t in ["cards", "decks", "exams", "this_device"] {
            assert!(!names.contains(&t), "{t}: {names:?}");
        }
        let answers = tables.iter().find(|t| t.name == "attempt_answers").unwrap();
        assert_eq!(
            answers.rows,
            "\"attempt_id\" IN (SELECT \"id\" FROM \"attempts\" WHERE learner_id = ?1)"
        );
        assert_eq!(names[0], "learners");
        assert!(
            names.iter().position(|n| *n == "attempts")
                < names.iter().position(|n| *n == "attempt_answers"),
            "parents first"
        );
    }

    #[test]
    fn secrets_are_recognised_by_name() {
        assert!(
            secret("key") && secret("token_hash") && secret("device_token") && secret("secret")
        );
        assert!(!secret("key_id") && !secret("card_key") && !secret("issued_at"));
    }
}
