//! `detente grades export`: exam grades (by each exam's grading method, over closed attempts) and study effort per
//! deck (cards studied, mastery, days active, last activity) for every learner, in a gradebook layout. Every row
//! is matched on the identifier the LMS imports by (`--match-by`); learners without it, or sharing it, are left out
//! and named on stderr with the `detente learner set` command that fixes it, never written with an empty cell.
//! Mastery is [`crate::stats::card_mastery`] summed per deck, the definition `detente stats` and the HTML report use.
//! Attempts that came in progress bundles (unsupervised) count only with `--include-unsupervised`; an export that
//! leaves some out says so on stderr, naming the learners, exam by exam.
//! The CSV is built by `server::ops::grades`, on the local database or the class server, and written here.
//! `detente grades push EXAM` and `grades outbox`: the same exam grades sent to the LMS by LTI 1.3 grade
//! passback, through the class server's outbox (a server with `[lti]` only).

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
    /// `--guard-identifiers`: neutralize identifiers a spreadsheet would run.
    pub guard_identifiers: bool,
    /// `--gradebook FILE`: the gradebook downloaded from the LMS.
    pub gradebook: Option<&'a Path>,
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
        guard_identifiers: opts.guard_identifiers,
        gradebook: match opts.gradebook {
            None => None,
            Some(path) => {
                let name = path.display();
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error::io(format!("cannot read the gradebook {name}"), e))?;
                // Read here first, so that a file that is no gradebook is refused with its name.
                if layout != Layout::Native {
                    crate::gradebook::read_gradebook(layout, text.as_bytes()).map_err(|p| {
                        Error::InvalidData(format!("{name}:{}: {}", p.line, p.message))
                    })?;
                }
                if layout == Layout::Moodle
                    && let Some(by) = opts.match_by.or(layout.default_match())
                {
                    crate::gradebook::moodle_identifiers(text.as_bytes(), by).map_err(|p| {
                        Error::InvalidData(format!("{name}:{}: {}", p.line, p.message))
                    })?;
                }
                Some(text)
            }
        },
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
    report_risky(&export.risky, opts.guard_identifiers);
    for (id, header, out_of) in &export.moodle_items {
        say(&match out_of {
            Some(max) => format!(
                "Exam `{id}` goes into \"{header}\", out of {} (the item's maximum grade, as the gradebook shows it).",
                crate::gradebook::number(*max)
            ),
            None => format!(
                "Exam `{id}` goes into \"{header}\" as a percentage, out of 100: the gradebook does not show the \
                 item's maximum grade, and Moodle caps a grade at it. Check that the item's maximum is 100, or \
                 download the gradebook with the Percentage display type too and export again."
            ),
        });
    }
    for (id, title) in &export.unmatched {
        say(&format!(
            "Exam `{id}` (\"{title}\") matches no column of the gradebook: {}",
            match layout {
                Layout::Canvas => "Canvas will create a new assignment for it",
                Layout::Moodle => "map its column to a new grade item in Moodle's import form",
                _ => "Blackboard will create a new column for it",
            }
        ));
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

/// Names each identifier written that a spreadsheet would run as a formula, and what was done with it.
fn report_risky(risky: &[crate::gradebook::RiskyIdentifier], guarded: bool) {
    if risky.is_empty() {
        return;
    }
    say(&if guarded {
        format!(
            "Neutralized {} identifier(s) a spreadsheet would run as formulas, with a leading ' \
             (--guard-identifiers): the LMS will not match these rows until the ' is taken off:",
            risky.len()
        )
    } else {
        format!(
            "Warning: {} identifier(s) would run as formulas if this file is opened in a spreadsheet. They are \
             written exactly as the LMS holds them, so that it matches them: upload the file as it is, or export \
             with --guard-identifiers to open it in a spreadsheet first:",
            risky.len()
        )
    });
    for r in risky {
        say_item(
            "  ",
            &format!(
                "{}: {} `{}`",
                r.name,
                r.column,
                crate::text::clean(&r.value)
            ),
        );
    }
}

/// Names the learners left out on stderr, each with the command that fixes it.
fn report_left_out(layout: Layout, by: MatchBy, left_out: &[LeftOut]) {
    let missing: Vec<&str> = left_out
        .iter()
        .filter_map(|l| match l {
            LeftOut::Missing { name } => Some(name.as_str()),
            LeftOut::Shared { .. }
            | LeftOut::NotInGradebook { .. }
            | LeftOut::SeveralInGradebook { .. } => None,
        })
        .collect();
    let several: Vec<String> = left_out
        .iter()
        .filter_map(|l| match l {
            LeftOut::SeveralInGradebook { name, value } => Some(format!("{name} ({value})")),
            _ => None,
        })
        .collect();
    if !several.is_empty() {
        say(&format!(
            "Left out {} learner(s) whose {} is in several rows of the gradebook: {} would find several users and \
             abort the whole import. Match by another identifier (--match-by): {}",
            several.len(),
            by.label(layout)
                .trim_start_matches("an ")
                .trim_start_matches("a "),
            layout.name(),
            several.join(", ")
        ));
    }
    let absent: Vec<String> = left_out
        .iter()
        .filter_map(|l| match l {
            LeftOut::NotInGradebook { name, value } => Some(format!("{name} ({value})")),
            _ => None,
        })
        .collect();
    if !absent.is_empty() {
        say(&format!(
            "Left out {} learner(s) whose {} is in no row of the gradebook: {} would abort the whole import on \
             them. Enrol them in the course (or correct their {}), download the gradebook again, and export again: {}",
            absent.len(),
            by.label(layout)
                .trim_start_matches("an ")
                .trim_start_matches("a "),
            layout.name(),
            by.flag().trim_start_matches("--"),
            absent.join(", ")
        ));
    }
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

/// The server a grade passback command needs: the class server, never a local file.
fn lms_server<'a>(server: Option<&'a Server>, what: &str) -> Result<&'a Server> {
    server.ok_or_else(|| {
        Error::Usage(format!(
            "`grades {what}` works on a class server set up as an LTI tool: `detente login SOCKET` first (without \
             --db); `grades export` writes a CSV from a local database"
        ))
    })
}

/// `detente grades push EXAM` (or `--deck ID`): queues the exam's grades (the deck's mastery) on the class server
/// for the LMS courses that launched detente, and says what was queued and who was left out.
pub fn push(
    ctx: &Context,
    server: Option<&Server>,
    req: crate::server::api::LtiPush,
) -> Result<i32> {
    let server = lms_server(server, "push")?;
    let pushed: crate::server::api::LtiPushed =
        crate::commands::remote::call(server, "lti-push", &req)?;
    if ctx.json {
        super::print_json(&pushed)?;
        return Ok(0);
    }
    let what = match &req.deck {
        Some(deck) => format!("deck {deck}'s mastery"),
        None => format!("exam {}", pushed.resource_id),
    };
    say(&format!(
        "Queued {} score{} of {what} for {} LMS course{} ({} unchanged since they were queued). The server \
         delivers them and retries on failure: `detente grades outbox` shows how it went.",
        pushed.queued,
        if pushed.queued == 1 { "" } else { "s" },
        pushed.courses,
        if pushed.courses == 1 { "" } else { "s" },
        pushed.unchanged
    ));
    if !pushed.found_in_roster.is_empty() {
        say(&format!(
            "Found in the course's roster and linked (they never opened detente from the course): {}",
            pushed.found_in_roster.join(", ")
        ));
    }
    for problem in &pushed.roster_problems {
        say(&format!("The course's roster could not be read: {problem}"));
    }
    if !pushed.not_linked.is_empty() {
        say(&format!(
            "Not sent (the LMS user is unknown: they have not opened detente from the course, and the course's roster \
             does not name them by email, username or student id): {}",
            pushed.not_linked.join(", ")
        ));
    }
    if !pushed.no_grade.is_empty() {
        say(&format!(
            "{}: {}",
            if req.deck.is_some() {
                "No study of the deck yet"
            } else {
                "No grade yet (no closed attempt)"
            },
            pushed.no_grade.join(", ")
        ));
    }
    Ok(0)
}

/// `detente grades outbox`: the scores queued for the LMS, one line each, and counts by state.
pub fn outbox(ctx: &Context, server: Option<&Server>) -> Result<i32> {
    let server = lms_server(server, "outbox")?;
    let outbox: crate::server::api::LtiOutbox =
        crate::commands::remote::call(server, "lti-outbox", &serde_json::json!({}))?;
    if ctx.json {
        super::print_json(&outbox)?;
        return Ok(0);
    }
    for r in &outbox.rows {
        let when = |s: i64| {
            chrono::DateTime::from_timestamp(s, 0)
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default()
        };
        let detail = match r.state.as_str() {
            "delivered" => r
                .delivered_at
                .map(|t| format!("on {}", when(t)))
                .unwrap_or_default(),
            "pending" if r.tries > 0 => format!(
                "try {} at {}: {}",
                r.tries + 1,
                when(r.next_try_at),
                r.last_error.as_deref().unwrap_or("")
            ),
            "failed" => r.last_error.clone().unwrap_or_default(),
            _ => String::new(),
        };
        super::print(&format!(
            "{:>5}  {:<10} {:<16} {:<12} {:>6}/{:<6} {}",
            r.id,
            r.state,
            r.learner,
            r.resource_id,
            crate::gradebook::number(r.score_given),
            crate::gradebook::number(r.score_maximum),
            detail
        ))?;
    }
    say(&format!(
        "{} delivered, {} pending, {} failed, {} superseded by a newer score.",
        outbox.delivered, outbox.pending, outbox.failed, outbox.superseded
    ));
    Ok(0)
}
