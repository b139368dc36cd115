//! `detente learner add|set|list|import`: learners, their identities (username, names, email, student id) and
//! their daily limits, target retention and day start; class lists imported from roster CSVs; who is enrolled
//! (`learner enrol` itself is in `enrol.rs`).

use super::{Context, now, print, print_json, say};
use crate::cli::{IdentityArgs, LearnerSettings};
use crate::error::{Error, Result};
use crate::gradebook::Identity;
use crate::server::api::Listed;
use crate::store::{self, Learner, Store};
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

fn apply(learner: &mut Learner, s: &LearnerSettings) -> Result<()> {
    if let Some(n) = s.new_per_day {
        learner.new_per_day = n;
    }
    if let Some(n) = s.reviews_per_day {
        learner.reviews_per_day = n;
    }
    if let Some(r) = s.retention {
        if !(0.7..=0.99).contains(&r) {
            return Err(Error::Usage(format!(
                "--retention must be between 0.7 and 0.99, not {r}"
            )));
        }
        learner.desired_retention = r;
    }
    if let Some(h) = s.day_starts_at {
        if h > 23 {
            return Err(Error::Usage(format!(
                "--day-starts-at must be an hour from 0 to 23, not {h}"
            )));
        }
        learner.rollover_hour = h;
    }
    Ok(())
}

/// `--exam-date` with its `--exam-scope`, or `--no-exam-date`. A date outside the learner's allowed range (from
/// today in their calendar to five years ahead) or a scope entry that names no loaded deck and matches no tag is
/// refused (exit 2) before anything is written: the caller's transaction is dropped.
fn set_exam(tx: &rusqlite::Transaction<'_>, learner: &Learner, s: &LearnerSettings) -> Result<()> {
    if s.no_exam_date {
        return store::exam_dates::set_learner_exam(tx, learner.id, None);
    }
    let Some(date) = s.exam_date else {
        return Ok(());
    };
    let today = super::calendar(learner).day_of(now());
    crate::schedule::exam_date::check_user_date(date, today).map_err(Error::Usage)?;
    let scope: Vec<String> = s
        .exam_scope
        .iter()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect();
    let (decks, tags) = store::exam_dates::scope_names(tx)?;
    crate::schedule::exam_date::check_scope(&scope, &decks, &tags).map_err(Error::Usage)?;
    let learner = learner.id;
    store::exam_dates::set_learner_exam(
        tx,
        learner,
        Some(&store::exam_dates::LearnerExam { date, scope }),
    )
}

/// The identity given on the command line, normalized; a value with a control character is refused (exit 65).
fn identity(args: &IdentityArgs) -> Result<Identity> {
    let id = Identity {
        username: args.username.clone(),
        first_name: args.first_name.clone(),
        last_name: args.last_name.clone(),
        email: args.email.clone(),
        student_id: args.student_id.clone(),
    }
    .cleaned();
    id.check().map_err(Error::InvalidData)?;
    Ok(id)
}

/// Refuses an email, student id or username another learner already carries.
fn check_unique(store: &Store, id: &Identity, own: Option<i64>) -> Result<()> {
    let probes = [
        (
            "--email",
            Identity {
                email: id.email.clone(),
                ..Default::default()
            },
        ),
        (
            "--student-id",
            Identity {
                student_id: id.student_id.clone(),
                ..Default::default()
            },
        ),
        (
            "--username",
            Identity {
                username: id.username.clone(),
                ..Default::default()
            },
        ),
    ];
    for (flag, probe) in probes {
        let Some(value) = probe
            .email
            .clone()
            .or(probe.student_id.clone())
            .or(probe.username.clone())
        else {
            continue;
        };
        // The probe may also match a learner merely named like the value; only a carried identifier clashes.
        if let Some(other) = store::learner_by_identity(&store.conn, &probe)?
            && Some(other.id) != own
            && [&other.email, &other.student_id, &other.username]
                .iter()
                .any(|v| {
                    v.as_deref()
                        .is_some_and(|v| v.to_lowercase() == value.to_lowercase())
                })
        {
            return Err(Error::Usage(format!(
                "{flag} {value} belongs to learner {}",
                other.name
            )));
        }
    }
    Ok(())
}

pub fn add(
    ctx: &Context,
    name: &str,
    settings: &LearnerSettings,
    identity_args: &IdentityArgs,
) -> Result<i32> {
    let id = identity(identity_args)?;
    let name = &crate::gradebook::normal(name);
    crate::gradebook::check_identifier("learner name", name).map_err(Error::InvalidData)?;
    if name.is_empty() {
        return Err(Error::Usage("a learner needs a name".into()));
    }
    let mut store = open_for(ctx, settings)?;
    check_unique(&store, &id, None)?;
    let tx = store.write()?;
    let Some(mut learner) = store::add_learner(&tx, name, now())? else {
        return Err(Error::Usage(format!(
            "learner {name} already exists (change them with `detente learner set`)"
        )));
    };
    apply(&mut learner, settings)?;
    store::update_learner(&tx, &learner)?;
    set_exam(&tx, &learner, settings)?;
    store::set_identity(&tx, learner.id, &id)?;
    tx.commit()?;
    say(&format!("Added learner {name}."));
    Ok(0)
}

pub fn set(
    ctx: &Context,
    name: &str,
    settings: &LearnerSettings,
    identity_args: &IdentityArgs,
) -> Result<i32> {
    let id = identity(identity_args)?;
    let mut store = open_for(ctx, settings)?;
    let Some(mut learner) = store::learner_by_name(&store.conn, name)? else {
        return Err(Error::Usage(format!(
            "no learner named {name} (see `detente learner list`)"
        )));
    };
    apply(&mut learner, settings)?;
    check_unique(&store, &id, Some(learner.id))?;
    let tx = store.write()?;
    store::update_learner(&tx, &learner)?;
    set_exam(&tx, &learner, settings)?;
    store::set_identity(&tx, learner.id, &id)?;
    tx.commit()?;
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

/// `detente learner import ROSTER.csv`: all or nothing, in one transaction.
pub fn import(ctx: &Context, file: &Path) -> Result<i32> {
    let name = file.display().to_string();
    let input =
        std::fs::File::open(file).map_err(|e| Error::io(format!("cannot read {name}"), e))?;
    let (layout, rows) = crate::gradebook::read_roster(std::io::BufReader::new(input))
        .map_err(|p| Error::InvalidData(format!("{name}:{}: {}", p.line, p.message)))?;
    let mut store = Store::open(&ctx.db)?;
    let tx = store.write()?;
    let outcome = match store::import_roster(&tx, &rows, now())? {
        Ok(o) => o,
        Err(problems) => {
            drop(tx);
            for p in &problems {
                super::say_line(&format!("{name}:{}: {}", p.line, p.message));
            }
            return Err(Error::InvalidData(format!(
                "{name}: {} row(s) cannot be used; no learner was imported",
                problems.len()
            )));
        }
    };
    tx.commit()?;
    if ctx.json {
        print_json(&outcome)?;
    }
    say(&format!(
        "Imported {name} ({layout:?} roster): {} added, {} updated, {} unchanged.",
        outcome.added.len(),
        outcome.updated.len(),
        outcome.unchanged
    ));
    Ok(0)
}
