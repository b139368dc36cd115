//! `detente grades export`: exam grades (by each exam's grading method, over closed attempts) and study effort per
//! deck (cards studied, mastery, days active, last activity) for every learner, in a gradebook layout. Every row
//! is matched on the identifier the LMS imports by (`--match-by`); learners without it, or sharing it, are left out
//! and named on stderr with the `detente learner set` command that fixes it, never written with an empty cell.
//! Mastery is [`crate::stats::card_mastery`] summed per deck, the definition `detente stats` and the HTML report use.
//! Attempts that came in progress bundles (unsupervised) count only with `--include-unsupervised`; an export that
//! leaves some out says so on stderr, naming the learners, exam by exam.

use super::staged::Staged;
use super::{Context, open_with_decks, say, say_item};
use crate::error::{Error, Result};
use crate::gradebook::{
    self, DeckColumn, DeckResult, ExamColumn, Layout, LeftOut, MatchBy, Sheet, Student,
};
use crate::schedule::Scheduler;
use crate::store::{self, Store};
use crate::text::shell_word;
use crate::time::UnixMs;
use std::collections::BTreeMap;
use std::path::Path;

/// What to export, besides the layout.
#[derive(Debug, Clone, Default)]
pub struct Options<'a> {
    /// Only this exam (and no study columns unless `deck` or `study`).
    pub exam: Option<&'a str>,
    /// Only this deck's study columns (and no exams unless `exam`).
    pub deck: Option<&'a str>,
    /// The identifier rows are matched on; the layout's default when `None`.
    pub match_by: Option<MatchBy>,
    /// Canvas: study columns too (other layouts have them by default).
    pub study: bool,
    /// Count attempts brought in progress bundles.
    pub include_unsupervised: bool,
}

/// Whether a stored exam definition scores self-graded flashcards. Read leniently: a definition that does not
/// parse scores none.
fn self_graded(definition: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(definition)
        .ok()
        .and_then(|v| v.get("score_flashcards").and_then(|b| b.as_bool()))
        .unwrap_or(false)
}

/// Exam by exam, the learners whose unsupervised attempts an export leaves out.
type LeftOutUnsupervised = Vec<(String, Vec<String>)>;

/// Reads everything the export writes, and, exam by exam, the learners whose unsupervised attempts it leaves out.
fn sheet(
    store: &Store,
    layout: Layout,
    opts: &Options<'_>,
    now: UnixMs,
) -> Result<(Sheet, LeftOutUnsupervised)> {
    let conn = &store.conn;
    let mut exams = store::exams(conn)?;
    if let Some(id) = opts.exam {
        exams.retain(|e| e.id == id);
        if exams.is_empty() {
            return Err(Error::Usage(format!(
                "no exam `{id}` is loaded (see `detente exam list`)"
            )));
        }
    }
    let mut decks = store::decks(conn)?;
    match opts.deck {
        Some(id) => {
            decks.retain(|d| d.id == id);
            if decks.is_empty() {
                return Err(Error::Usage(format!(
                    "no deck `{id}` is loaded (see `detente decks`)"
                )));
            }
        }
        // --exam alone asks for that exam's grades only.
        None if opts.exam.is_some() && !opts.study => decks.clear(),
        // Canvas creates a graded assignment for every column it does not know: study columns only when asked.
        None if layout == Layout::Canvas && !opts.study => decks.clear(),
        None => {}
    }
    if opts.deck.is_some() && opts.exam.is_none() {
        exams.clear();
    }
    let learners = store::learners(conn)?;
    let mut left_out = Vec::new();
    let scores: Vec<Vec<crate::gradebook::ExamScore>> = exams
        .iter()
        .map(|e| {
            let mut s = store::exam_scores(conn, &e.id)?;
            if !opts.include_unsupervised {
                let names: Vec<String> = learners
                    .iter()
                    .filter(|l| s.iter().any(|a| a.unsupervised && a.learner_id == l.id))
                    .map(|l| l.name.clone())
                    .collect();
                if !names.is_empty() {
                    left_out.push((e.id.clone(), names));
                }
                s.retain(|a| !a.unsupervised);
            }
            Ok(s)
        })
        .collect::<Result<_>>()?;
    let mut sheet = Sheet {
        exams: exams
            .iter()
            .map(|e| ExamColumn {
                id: e.id.clone(),
                title: e.title.clone(),
                points: f64::from(e.questions),
                self_graded: self_graded(&e.definition),
            })
            .collect(),
        decks: Vec::new(),
        students: Vec::new(),
    };
    // Mastery as `detente stats` measures it: the same cards (active items of live decks), the same function, summed
    // per deck from each learner's states as they stream by (no card list is held).
    let items = if decks.is_empty() {
        Default::default()
    } else {
        store::deck_items(conn)?
    };
    sheet.decks = decks
        .iter()
        .map(|d| DeckColumn {
            id: d.id.clone(),
            items: items.get(&d.id).copied().unwrap_or(0),
        })
        .collect();
    for l in &learners {
        let exam_results = exams
            .iter()
            .zip(&scores)
            .map(|(e, s)| {
                let mine: Vec<&crate::gradebook::ExamScore> =
                    s.iter().filter(|a| a.learner_id == l.id).collect();
                gradebook::graded(&e.grading, &mine)
            })
            .collect();
        let mut deck_results = Vec::new();
        if !decks.is_empty() {
            let scheduler = Scheduler::new(l.settings())?;
            let mut sums =
                crate::stats::DeckSums::new(&scheduler, crate::stats::horizon(now.secs()));
            store::for_each_deck_state(conn, l.id, |deck, state| sums.add(deck, state))?;
            let mut studies = store::deck_study(conn, l.id, &items)?;
            for d in &decks {
                let study = studies.remove(&d.id).unwrap_or_default();
                deck_results.push(DeckResult {
                    studied: study.studied,
                    mastery: sums.mastery(&d.id, items.get(&d.id).copied().unwrap_or(0)),
                    days_active: study.days_active,
                    last_activity_ms: study.last_activity_ms,
                });
            }
        }
        sheet.students.push(Student {
            name: l.name.clone(),
            identity: l.identity(),
            exams: exam_results,
            decks: deck_results,
        });
    }
    Ok((sheet, left_out))
}

pub fn export(
    ctx: &Context,
    layout: Layout,
    opts: &Options<'_>,
    output: Option<&Path>,
) -> Result<i32> {
    if let Some(by) = opts.match_by
        && !layout.accepts(by)
    {
        return Err(Error::Usage(format!(
            "{} cannot match learners by {}; choose {}",
            layout.name(),
            by.name(),
            [
                MatchBy::Email,
                MatchBy::IdNumber,
                MatchBy::Username,
                MatchBy::Sis
            ]
            .into_iter()
            .filter(|m| layout.accepts(*m))
            .map(|m| format!("--match-by {}", m.name()))
            .collect::<Vec<_>>()
            .join(" or ")
        )));
    }
    // Refused before the database is opened; the write checks again (see `staged`).
    if let Some(path) = output {
        super::staged::refuse_database(path, &ctx.db)?;
    }
    let mut store = open_with_decks(ctx)?;
    super::close_expired(&mut store)?;
    super::large_cache(&store)?;
    let (sheet, unsupervised) = sheet(
        &store,
        layout,
        opts,
        UnixMs(chrono::Utc::now().timestamp_millis()),
    )?;
    let csv_error = |target: &str, e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(format!("cannot write {target}"), io),
        other => Error::io(
            format!("cannot write {target}"),
            std::io::Error::other(format!("{other:?}")),
        ),
    };
    let by = opts.match_by;
    let left_out = match output {
        Some(path) => {
            let target = path.display().to_string();
            let staged = Staged::new(path, "grades", &ctx.db)?;
            let mut out = crate::text::CleanWriter::new(staged.create()?);
            let left = gradebook::write(layout, &sheet, by, &mut out)
                .map_err(|e| csv_error(&target, e))?;
            out.finish()
                .map_err(|e| Error::io(format!("cannot write {target}"), e))?;
            staged.finish()?;
            left
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = crate::text::CleanWriter::new(stdout.lock());
            let left = gradebook::write(layout, &sheet, by, &mut out)
                .map_err(|e| csv_error("stdout", e))?;
            drop(out.finish().map_err(|e| Error::io("stdout", e))?);
            left
        }
    };
    if let Some(by) = by.or(layout.default_match()) {
        report_left_out(layout, by, &left_out);
    }
    for (exam, names) in &unsupervised {
        say(&format!(
            "Left out of exam {exam}: the unsupervised attempts (sat on their own machines, brought in progress bundles) of {} learner(s): {}. Add --include-unsupervised to count them.",
            names.len(),
            names.join(", ")
        ));
    }
    say(&format!(
        "Exported {} learner(s), {} exam(s), {} deck(s){}.",
        sheet.students.len() - left_out.len(),
        sheet.exams.len(),
        sheet.decks.len(),
        output.map_or(String::new(), |p| format!(" to {}", p.display()))
    ));
    if layout == Layout::Canvas && opts.deck.is_none() && !opts.study {
        say_item(
            "  ",
            "(exam columns only: add --study for cards studied and mastery per deck)",
        );
    }
    Ok(0)
}

/// Names the learners left out on stderr, each with the command that fixes it.
fn report_left_out(layout: Layout, by: MatchBy, left_out: &[LeftOut]) {
    let missing: Vec<&str> = left_out
        .iter()
        .filter_map(|l| match l {
            LeftOut::Missing { name } => Some(name.as_str()),
            LeftOut::Shared { .. } => None,
        })
        .collect();
    if !missing.is_empty() {
        say(&format!(
            "Left out {} learner(s) without {}, which {} matches on (--match-by {}): {}. Give each one, then export again:",
            missing.len(),
            by.label(layout),
            layout.name(),
            by.name(),
            missing.join(", ")
        ));
        for name in &missing {
            say_item(
                "  ",
                &format!("detente learner set {} {} ...", shell_word(name), by.flag()),
            );
        }
        say_item(
            "  ",
            "(or all at once from the LMS's class list: `detente learner import ROSTER.csv`)",
        );
    }
    let mut shared: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for l in left_out {
        if let LeftOut::Shared { name, value } = l {
            shared
                .entry(value.as_str())
                .or_default()
                .push(name.as_str());
        }
    }
    for (value, names) in shared {
        say(&format!(
            "Left out {}: they share {} `{value}`, so the LMS would credit both rows to one student. Correct it with `detente learner set NAME {} ...`.",
            names.join(", "),
            by.label(layout)
                .trim_start_matches("an ")
                .trim_start_matches("a "),
            by.flag()
        ));
    }
}
