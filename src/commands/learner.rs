//! `detente learner add|set|list|import`: learners, their identities (username, names, email, student id) and
//! their daily limits, target retention and day start; class lists imported from roster CSVs; who is enrolled
//! (`learner enrol` itself is in `enrol.rs`). `add`, `set` and `import` run `server::ops` on the local database or,
//! after `login`, on the class server (see `remote`), and print the same either way.

use super::{Context, now, print, print_json, remote, say};
use crate::cli::{IdentityArgs, LearnerSettings};
use crate::error::{Error, Result};
use crate::gradebook::Identity;
use crate::server::api::{LearnerChange, Listed, Upload};
use crate::server::client::Server;
use crate::server::ops;
use crate::store::{self, Store};
use crate::ui::layout::{self, Cell, Table};
use std::path::Path;

/// Opens the store, with the built-in decks loaded when an exam scope is given (it may name one of them).
fn open_for(ctx: &Context, s: &LearnerSettings) -> Result<Store> {
    if s.exam_date.is_some() && !s.exam_scope.is_empty() {
        super::open_with_decks(ctx)
    } else {
        Store::open(&ctx.db)
    }
}

/// The settings and identity of `learner add|set` as the work on the store takes them.
fn change(name: &str, s: &LearnerSettings, id: &IdentityArgs) -> LearnerChange {
    LearnerChange {
        name: name.to_string(),
        new_per_day: s.new_per_day,
        reviews_per_day: s.reviews_per_day,
        retention: s.retention,
        day_starts_at: s.day_starts_at,
        exam_date: s.exam_date.map(|d| d.format("%Y-%m-%d").to_string()),
        exam_scope: s.exam_scope.clone(),
        no_exam_date: s.no_exam_date,
        identity: Identity {
            username: id.username.clone(),
            first_name: id.first_name.clone(),
            last_name: id.last_name.clone(),
            email: id.email.clone(),
            student_id: id.student_id.clone(),
        },
    }
}

/// `detente learner add`, on the local database or the class server.
pub fn add(
    ctx: &Context,
    server: Option<&Server>,
    name: &str,
    settings: &LearnerSettings,
    identity: &IdentityArgs,
) -> Result<i32> {
    let change = change(name, settings, identity);
    let name: String = match server {
        Some(server) => remote::call(server, "learner-add", &change)?,
        None => ops::learner_add(&mut open_for(ctx, settings)?, &change, now())?,
    };
    say(&format!("Added learner {name}."));
    Ok(0)
}

/// `detente learner set`, on the local database or the class server.
pub fn set(
    ctx: &Context,
    server: Option<&Server>,
    name: &str,
    settings: &LearnerSettings,
    identity: &IdentityArgs,
) -> Result<i32> {
    let change = change(name, settings, identity);
    match server {
        Some(server) => remote::call(server, "learner-set", &change)?,
        None => ops::learner_set(&mut open_for(ctx, settings)?, &change, now())?,
    }
    say(&format!("Updated learner {name}."));
    Ok(0)
}

/// `detente learner list` on the local database.
pub fn list(ctx: &Context) -> Result<i32> {
    let store = Store::open(&ctx.db)?;
    let device = store::device_key(&store.conn)?.map(|d| d.learner_id);
    show(ctx, &crate::server::api::roster(&store.conn, device)?)
}

/// Prints learners as `learner list` does, from the local database or a class server: JSON with `--json`, else a
/// table and what it means, and where the learners stand with enrolment.
pub(super) fn show(ctx: &Context, rows: &[Listed]) -> Result<i32> {
    if ctx.json {
        print_json(&rows)?;
        return Ok(0);
    }
    let mut table = Table::new(&[
        ("LEARNER", Cell::Text),
        ("NEW", Cell::Number),
        ("REV", Cell::Number),
        ("RETAIN", Cell::Number),
        ("DAY", Cell::Number),
        ("USERNAME", Cell::Text),
        ("NAME", Cell::Text),
        ("EMAIL", Cell::Text),
        ("STUDENT ID", Cell::Text),
    ]);
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    for row in rows {
        let l = &row.learner;
        let full = match (&l.first_name, &l.last_name) {
            (None, None) => "-".to_string(),
            (f, l) => [f.as_deref(), l.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        };
        table.row(vec![
            l.name.clone(),
            l.new_per_day.to_string(),
            l.reviews_per_day.to_string(),
            format!("{:.2}", l.desired_retention),
            format!("{}:00", l.rollover_hour),
            show(&l.username),
            full,
            show(&l.email),
            show(&l.student_id),
        ]);
    }
    for line in table.render(layout::table_width()) {
        print(&line)?;
    }
    if !rows.is_empty() {
        say(
            "NEW and REV are the daily limits of new cards and reviews; DAY is the hour a study day starts.",
        );
        for line in enrolment_lines(rows) {
            say(&line);
        }
    }
    Ok(0)
}

/// Where the learners stand with enrolment, as lines under the list: this device's learner, how many were issued
/// codes and who was not, and whose progress came in unsigned bundles. Nothing when no one is enrolled and nothing
/// came unsigned.
fn enrolment_lines(rows: &[Listed]) -> Vec<String> {
    let names = |keep: &dyn Fn(&Listed) -> bool| -> Vec<String> {
        rows.iter()
            .filter(|r| keep(r))
            .map(|r| r.learner.name.clone())
            .collect()
    };
    let mut lines = Vec::new();
    if let Some(r) = rows.iter().find(|r| r.enrolled == "this device") {
        lines.push(format!(
            "This device is enrolled as {} (`detente enrol`).",
            r.learner.name
        ));
    }
    let issued = names(&|r| r.enrolled == "yes");
    if !issued.is_empty() {
        let not = names(&|r| r.enrolled == "no");
        lines.push(if not.is_empty() {
            format!("Enrolled (issued a code): all {} learners.", issued.len())
        } else {
            format!(
                "Enrolled (issued a code): {} of {} learners; not enrolled: {}.",
                issued.len(),
                rows.len(),
                not.join(", ")
            )
        });
    }
    let unsigned = names(&|r| r.unverified_imports > 0);
    if !unsigned.is_empty() {
        lines.push(format!(
            "Unverified: progress of {} came in unsigned bundles (progress import --accept-unenrolled).",
            unsigned.join(", ")
        ));
    }
    lines
}

/// A warning for each identifier of a roster that a spreadsheet would run as a formula: kept as the LMS holds it,
/// since grade files must match it byte for byte (`FILE:LINE: warning: ...`).
fn risky_rows(name: &str, rows: &[crate::gradebook::RosterRow]) -> Vec<String> {
    let mut out = Vec::new();
    for row in rows {
        let id = &row.identity;
        for (what, value) in [
            ("username", &id.username),
            ("email", &id.email),
            ("student id", &id.student_id),
        ] {
            if let Some(v) = value.as_deref().filter(|v| crate::gradebook::executable(v)) {
                out.push(format!(
                    "{name}:{}: warning: the {what} `{}` would run as a formula in a spreadsheet; it is kept as the \
                     LMS holds it, and grade exports write it so (or neutralized with --guard-identifiers)",
                    row.line,
                    crate::text::clean(v)
                ));
            }
        }
    }
    out
}

/// `detente learner import ROSTER.csv`: all or nothing, in one transaction, on the local database or the class
/// server (the client reads the file and sends its contents).
pub fn import(ctx: &Context, server: Option<&Server>, file: &Path) -> Result<i32> {
    let name = file.display().to_string();
    let mut risky = Vec::new();
    let imported = match server {
        Some(server) => {
            let bytes =
                std::fs::read(file).map_err(|e| Error::io(format!("cannot read {name}"), e))?;
            // Read here first, so that a file that is no roster is refused as on a local database.
            let (_, rows) = crate::gradebook::read_roster(bytes.as_slice())
                .map_err(|p| Error::InvalidData(format!("{name}:{}: {}", p.line, p.message)))?;
            risky = risky_rows(&name, &rows);
            let text = String::from_utf8(bytes)
                .map_err(|_| Error::InvalidData(format!("{name}: the file is not UTF-8")))?;
            remote::send(
                server,
                "learner-import",
                &name,
                &Upload {
                    name: name.clone(),
                    text,
                },
            )?
        }
        None => {
            let bytes =
                std::fs::read(file).map_err(|e| Error::io(format!("cannot read {name}"), e))?;
            if let Ok((_, rows)) = crate::gradebook::read_roster(bytes.as_slice()) {
                risky = risky_rows(&name, &rows);
            }
            ops::roster_import(&mut Store::open(&ctx.db)?, &name, &bytes, now())?
        }
    };
    let imported = match imported {
        Ok(imported) => imported,
        Err(problems) => {
            for p in &problems {
                super::say_line(p);
            }
            return Err(Error::InvalidData(format!(
                "{name}: {} row(s) cannot be used; no learner was imported",
                problems.len()
            )));
        }
    };
    let outcome = &imported.outcome;
    if ctx.json {
        print_json(outcome)?;
    }
    for line in &risky {
        super::say_line(line);
    }
    say(&format!(
        "Imported {name} ({} roster): {} added, {} updated, {} unchanged.",
        imported.layout,
        outcome.added.len(),
        outcome.updated.len(),
        outcome.unchanged
    ));
    Ok(0)
}
