//! `detente grades export`: exam grades (by each exam's grading method, over closed attempts) and study effort per
//! deck (cards studied, mastery, days active, last activity) for every learner, in a gradebook layout. Learners
//! lacking the identifier the layout needs are named on stderr, never silently dropped.

use super::staged::Staged;
use super::{Context, open_with_decks, say, say_item};
use crate::error::{Error, Result};
use crate::gradebook::{self, DeckColumn, DeckResult, ExamColumn, Layout, Sheet, Student};
use crate::schedule::Scheduler;
use crate::store::{self, Identity, Store};
use std::io::Write;
use std::path::Path;

/// Reads everything the export writes.
fn sheet(store: &Store, exam: Option<&str>, deck: Option<&str>, now_ms: i64) -> Result<Sheet> {
    let conn = &store.conn;
    let mut exams = store::exams(conn)?;
    if let Some(id) = exam {
        exams.retain(|e| e.id == id);
        if exams.is_empty() {
            return Err(Error::Usage(format!("no exam `{id}` is loaded")));
        }
    }
    let mut decks = store::decks(conn)?;
    match deck {
        Some(id) => {
            decks.retain(|d| d.id == id);
            if decks.is_empty() {
                return Err(Error::Usage(format!(
                    "no deck `{id}` is loaded (see `detente decks`)"
                )));
            }
        }
        // --exam alone asks for that exam's grades only.
        None if exam.is_some() => decks.clear(),
        None => {}
    }
    if deck.is_some() && exam.is_none() {
        exams.clear();
    }
    let learners = store::learners(conn)?;
    let scores: Vec<Vec<store::ExamScore>> = exams
        .iter()
        .map(|e| store::exam_scores(conn, &e.id))
        .collect::<Result<_>>()?;
    let mut sheet = Sheet {
        exams: exams
            .iter()
            .map(|e| ExamColumn {
                id: e.id.clone(),
                title: e.title.clone(),
                points: f64::from(e.questions),
            })
            .collect(),
        decks: Vec::new(),
        students: Vec::new(),
    };
    sheet.decks = decks
        .iter()
        .map(|d| DeckColumn {
            id: d.id.clone(),
            items: d.cards,
        })
        .collect();
    for l in &learners {
        let scheduler = Scheduler::new(l.settings())?;
        let exam_results = exams
            .iter()
            .zip(&scores)
            .map(|(e, s)| {
                let mine: Vec<&store::ExamScore> =
                    s.iter().filter(|a| a.learner_id == l.id).collect();
                gradebook::graded(&e.grading, &mine)
            })
            .collect();
        let mut deck_results = Vec::new();
        let mut studies = store::deck_study(conn, l.id)?;
        for d in &decks {
            let study = studies.remove(&d.id).unwrap_or_default();
            let mastered = study
                .states
                .iter()
                .filter(|s| {
                    crate::stats::retrievability_now(&scheduler, Some(s), now_ms / 1000)
                        >= f64::from(l.desired_retention)
                })
                .count() as u32;
            deck_results.push(DeckResult {
                studied: study.studied,
                mastered,
                days_active: study.days_active,
                last_activity_ms: study.last_activity_ms,
            });
        }
        sheet.students.push(Student {
            name: l.name.clone(),
            identity: Identity::of(l),
            exams: exam_results,
            decks: deck_results,
        });
    }
    Ok(sheet)
}

pub fn export(
    ctx: &Context,
    layout: Layout,
    exam: Option<&str>,
    deck: Option<&str>,
    output: Option<&Path>,
) -> Result<i32> {
    let mut store = open_with_decks(ctx)?;
    super::close_expired(&mut store)?;
    let sheet = sheet(&store, exam, deck, chrono::Utc::now().timestamp_millis())?;
    let csv_error = |target: &str, e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(format!("cannot write {target}"), io),
        other => Error::io(
            format!("cannot write {target}"),
            std::io::Error::other(format!("{other:?}")),
        ),
    };
    let left_out = match output {
        Some(path) => {
            let target = path.display().to_string();
            let staged = Staged::new(path, "grades");
            let mut out = staged.create()?;
            let left =
                gradebook::write(layout, &sheet, &mut out).map_err(|e| csv_error(&target, e))?;
            out.flush()
                .map_err(|e| Error::io(format!("cannot write {target}"), e))?;
            drop(out);
            staged.finish()?;
            left
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            let left =
                gradebook::write(layout, &sheet, &mut out).map_err(|e| csv_error("stdout", e))?;
            out.flush().map_err(|e| Error::io("stdout", e))?;
            left
        }
    };
    if !left_out.is_empty() {
        say(&format!(
            "Left out {} learner(s) without {}: {}",
            left_out.len(),
            layout.needs(),
            left_out.join(", ")
        ));
        say_item(
            "  ",
            "(add it with `detente learner set NAME --email ...` or `detente learner import ROSTER.csv`)",
        );
    }
    say(&format!(
        "Exported {} learner(s), {} exam(s), {} deck(s){}.",
        sheet.students.len() - left_out.len(),
        sheet.exams.len(),
        sheet.decks.len(),
        output.map_or(String::new(), |p| format!(" to {}", p.display()))
    ));
    Ok(0)
}
