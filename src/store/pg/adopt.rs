//! Moving a SQLite detente database into PostgreSQL (`detente admin adopt` on a server with `[postgres]`): every
//! row of every table copied, as the tables' owner, in one transaction, into a migrated database that holds no
//! rows yet (but the device ids its migrations made, replaced by the lab's, which its log's events name); the
//! identity columns' sequences moved past the copied ids. Nothing is guessed: a SQLite table or
//! column that PostgreSQL's schema lacks, or a database at another schema version, refuses the whole copy.

use crate::error::{Error, Result};
use postgres::types::ToSql;
use rusqlite::types::ValueRef;
use std::collections::{BTreeMap, BTreeSet};

/// Rows sent in one `INSERT` (each row's values are parameters; PostgreSQL takes at most 65,535 a statement).
const ROWS_A_STATEMENT: usize = 500;

/// Columns PostgreSQL's schema adds to a SQLite table (every learner table is keyed by learner there), with the
/// SQLite expression that gives each row's value.
const DERIVED: &[(&str, &str, &str)] = &[(
    "attempt_answers",
    "learner_id",
    "(SELECT a.learner_id FROM attempts a WHERE a.id = attempt_answers.attempt_id)",
)];

/// What was copied: rows by table, in the order the tables were filled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Adopted {
    pub rows: Vec<(String, usize)>,
}

impl Adopted {
    /// Rows of `table` copied.
    pub fn of(&self, table: &str) -> usize {
        self.rows
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, n)| *n)
    }
}

/// A PostgreSQL column: its name, type (as `information_schema` writes it) and whether it is an identity.
struct Column {
    name: String,
    ty: String,
    identity: bool,
}

/// The tables of the PostgreSQL schema (the migrations' own table aside), each with its columns in order.
fn pg_tables(tx: &mut postgres::Transaction<'_>) -> Result<BTreeMap<String, Vec<Column>>> {
    let mut tables: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for r in tx.query(
        "SELECT table_name::text, column_name::text, data_type::text, is_identity::text = 'YES'
         FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name <> 'detente_migrations'
         ORDER BY table_name, ordinal_position",
        &[],
    )? {
        tables.entry(r.try_get(0)?).or_default().push(Column {
            name: r.try_get(1)?,
            ty: r.try_get(2)?,
            identity: r.try_get(3)?,
        });
    }
    Ok(tables)
}

/// The SQLite database's tables (SQLite's own aside), ordered so that a table comes after every table its foreign
/// keys name.
fn sqlite_tables(from: &rusqlite::Connection) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut stmt = from.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )?;
    for name in stmt.query_map([], |r| r.get::<_, String>(0))? {
        names.push(name?);
    }
    let mut needs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in &names {
        let mut fk = from.prepare("SELECT \"table\" FROM pragma_foreign_key_list(?1)")?;
        let parents = fk
            .query_map([t], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<BTreeSet<_>>>()?;
        needs.insert(t.clone(), parents);
    }
    let mut ordered: Vec<String> = Vec::new();
    while ordered.len() < names.len() {
        let before = ordered.len();
        for t in &names {
            if !ordered.contains(t)
                && needs[t]
                    .iter()
                    .all(|p| p == t || ordered.contains(p) || !names.contains(p))
            {
                ordered.push(t.clone());
            }
        }
        if ordered.len() == before {
            return Err(Error::InvalidData(
                "the SQLite database's foreign keys form a cycle; it is not a detente database"
                    .into(),
            ));
        }
    }
    Ok(ordered)
}

/// A SQLite value as a parameter of the PostgreSQL column type `ty`.
fn param(v: ValueRef<'_>, ty: &str, at: &str) -> Result<Box<dyn ToSql + Sync>> {
    let wrong = || {
        Error::InvalidData(format!(
            "{at}: a {} value where PostgreSQL keeps {ty}",
            match v {
                ValueRef::Null => "null",
                ValueRef::Integer(_) => "integer",
                ValueRef::Real(_) => "real",
                ValueRef::Text(_) => "text",
                ValueRef::Blob(_) => "blob",
            }
        ))
    };
    Ok(match (v, ty) {
        (ValueRef::Null, "bigint") => Box::new(None::<i64>),
        (ValueRef::Null, "integer") => Box::new(None::<i32>),
        (ValueRef::Null, "smallint") => Box::new(None::<i16>),
        (ValueRef::Null, "double precision") => Box::new(None::<f64>),
        (ValueRef::Null, "real") => Box::new(None::<f32>),
        (ValueRef::Null, "boolean") => Box::new(None::<bool>),
        (ValueRef::Null, "bytea") => Box::new(None::<Vec<u8>>),
        (ValueRef::Null, _) => Box::new(None::<String>),
        (ValueRef::Integer(i), "bigint") => Box::new(i),
        (ValueRef::Integer(i), "integer") => Box::new(i32::try_from(i).map_err(|_| wrong())?),
        (ValueRef::Integer(i), "smallint") => Box::new(i16::try_from(i).map_err(|_| wrong())?),
        (ValueRef::Integer(i), "boolean") => Box::new(i != 0),
        (ValueRef::Integer(i), "double precision") => Box::new(i as f64),
        (ValueRef::Integer(i), "real") => Box::new(i as f32),
        (ValueRef::Real(f), "double precision") => Box::new(f),
        (ValueRef::Real(f), "real") => Box::new(f as f32),
        (ValueRef::Text(t), "text") => Box::new(String::from_utf8_lossy(t).into_owned()),
        (ValueRef::Blob(b), "bytea") => Box::new(b.to_vec()),
        (ValueRef::Text(t), "bytea") => Box::new(t.to_vec()),
        _ => return Err(wrong()),
    })
}

/// Copies every row of the SQLite detente database `from` into the PostgreSQL database `owner` is connected to,
/// as the tables' owner, in one transaction: the database must be migrated to this detente's schema and hold no
/// rows (an adoption never merges into a course). `from` must be at this detente's schema version too (the
/// caller migrates a copy). Returns the rows copied by table.
pub fn adopt(owner: &mut postgres::Client, from: &rusqlite::Connection) -> Result<Adopted> {
    let version: i64 = from.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != crate::store::SCHEMA_VERSION {
        return Err(Error::InvalidData(format!(
            "the SQLite database is at schema version {version}, not this detente's {}",
            crate::store::SCHEMA_VERSION
        )));
    }
    let found = super::schema_version(owner)?;
    if found != super::SCHEMA_VERSION {
        return Err(Error::InvalidData(format!(
            "the PostgreSQL database is at schema version {found}, not this detente's {}: migrate it first",
            super::SCHEMA_VERSION
        )));
    }
    let mut tx = owner.transaction()?;
    // Every learner's rows: the owner is under row-level security too (FORCE), so the copy takes course scope.
    tx.execute("SELECT set_config('detente.scope', 'course', true)", &[])?;
    let pg = pg_tables(&mut tx)?;
    // The database's own device ids, made by its migrations: the adopted log's events name the lab's.
    tx.execute("DELETE FROM this_device", &[])?;
    for table in pg.keys() {
        let any: bool = tx
            .query_one(&format!("SELECT EXISTS (SELECT 1 FROM \"{table}\")"), &[])?
            .try_get(0)?;
        if any {
            return Err(Error::Usage(format!(
                "the PostgreSQL database already holds rows (in `{table}`): adopt into a new, empty database"
            )));
        }
    }
    let mut adopted = Adopted::default();
    let order = sqlite_tables(from)?;
    let from_order: Vec<&String> = order.iter().collect();
    for table in from_order {
        let Some(columns) = pg.get(table) else {
            return Err(Error::InvalidData(format!(
                "the SQLite table `{table}` has no PostgreSQL twin; nothing was copied"
            )));
        };
        let derived: String = DERIVED
            .iter()
            .filter(|(t, _, _)| t == table)
            .map(|(_, column, expr)| format!(", {expr} AS \"{column}\""))
            .collect();
        let mut stmt = from.prepare(&format!("SELECT *{derived} FROM \"{table}\""))?;
        let names: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let types: Vec<&Column> = names
            .iter()
            .map(|n| {
                columns.iter().find(|c| &c.name == n).ok_or_else(|| {
                    Error::InvalidData(format!(
                        "the SQLite column `{table}.{n}` has no PostgreSQL twin; nothing was copied"
                    ))
                })
            })
            .collect::<Result<_>>()?;
        let overriding = if types.iter().any(|c| c.identity) {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        };
        let head = format!(
            "INSERT INTO \"{table}\" ({}){overriding} VALUES ",
            names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut batch: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        let mut count = 0;
        let mut pending = 0;
        let mut rows = stmt.query([])?;
        loop {
            let row = rows.next()?;
            if let Some(row) = row {
                for (i, c) in types.iter().enumerate() {
                    let at = format!("`{table}.{}`", c.name);
                    batch.push(param(row.get_ref(i)?, &c.ty, &at)?);
                }
                pending += 1;
                count += 1;
            }
            if pending > 0 && (row.is_none() || pending == ROWS_A_STATEMENT) {
                let width = types.len();
                let values = (0..pending)
                    .map(|r| {
                        let cells: Vec<String> =
                            (1..=width).map(|c| format!("${}", r * width + c)).collect();
                        format!("({})", cells.join(", "))
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let params: Vec<&(dyn ToSql + Sync)> = batch.iter().map(|b| b.as_ref()).collect();
                tx.execute(&format!("{head}{values}"), &params)?;
                batch.clear();
                pending = 0;
            }
            if row.is_none() {
                break;
            }
        }
        drop(rows);
        for c in columns.iter().filter(|c| c.identity) {
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('\"{table}\"', $1), \
                     coalesce((SELECT max(\"{col}\") FROM \"{table}\"), 0) + 1, false)",
                    col = c.name
                ),
                &[&c.name],
            )?;
        }
        adopted.rows.push((table.clone(), count));
    }
    tx.commit()?;
    Ok(adopted)
}
