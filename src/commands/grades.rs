//! `detente grades export`: exam grades (by each exam's grading method, over closed attempts) and study effort per
//! deck (cards studied, mastery, days active, last activity) for every learner, in a gradebook layout. Every row
//! is matched on the identifier the LMS imports by (`--match-by`); learners without it, or sharing it, are left out
//! and named on stderr with the `detente learner set` command that fixes it, never written with an empty cell.
//! Mastery is [`crate::stats::card_mastery`] summed per deck, the definition `detente stats` and the HTML report use.
//! Attempts that came in progress bundles (unsupervised) count only with `--include-unsupervised`; an export that
//! leaves some out says so on stderr, naming the learners, exam by exam.
//! The CSV is built by `server::ops::grades`, on the local database or the class server, and written here.

use super::{Context, open_with_decks, say, say_item, staged};
use crate::error::{Error, Result};
use crate::gradebook::{Layout, LeftOut, MatchBy};
use crate::server::api::{GradeExport, GradesRequest};
use crate::server::client::Server;
use crate::server::ops;
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

/// `detente grades export`, on the local database or the class server (which sends the CSV; it is written here).
pub fn export(
    ctx: &Context,
    server: Option<&Server>,
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
    let req = GradesRequest {
        layout,
        exam: opts.exam.map(String::from),
        deck: opts.deck.map(String::from),
        match_by: opts.match_by,
        study: opts.study,
        include_unsupervised: opts.include_unsupervised,
    };
    let export: GradeExport = match server {
        Some(server) => super::remote::call(server, "grades", &req)?,
        None => ops::grades(
            &mut open_with_decks(ctx)?,
            &req,
            UnixMs(chrono::Utc::now().timestamp_millis()),
        )?,
    };
    match output {
        Some(path) => staged::write(path, "grades", &ctx.db, export.csv.as_bytes())?,
        None => super::write_stdout(export.csv.as_bytes())?,
    }
    let (by, left_out, unsupervised) = (opts.match_by, &export.left_out, &export.unsupervised);
    if let Some(by) = by.or(layout.default_match()) {
        report_left_out(layout, by, left_out);
    }
    for (exam, names) in unsupervised {
        say(&format!(
            "Left out of exam {exam}: the unsupervised attempts (sat on their own machines, brought in progress bundles) of {} learner(s): {}. Add --include-unsupervised to count them.",
            names.len(),
            names.join(", ")
        ));
    }
    say(&format!(
        "Exported {} learner(s), {} exam(s), {} deck(s){}.",
        export.students - left_out.len(),
        export.exams,
        export.decks,
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
