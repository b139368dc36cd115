//! `detente exam load|list|run|results`: exam definitions from TOML, sitting an exam on the terminal, and every
//! learner's results with the grade by the exam's method (supervised attempts; unsupervised ones, brought in
//! progress bundles, in a column of their own and counted only with `--include-unsupervised`). `load` and `results`
//! run `server::ops` on the local database or the class server.

use super::{Context, now, open_with_decks, print, print_json, remote, say, say_diagnostic};
use crate::error::{Error, Result};
use crate::exam::Navigation;
use crate::server::api::{ExamLoaded, ExamResults, ResultsRequest};
use crate::server::client::Server;
use crate::server::ops;
use crate::session::SystemClock;
use crate::session::exam::{ExamEnd, Sitting};
use crate::store::{self, Store};
use crate::ui::layout::{self, Cell, Table};
use crate::ui::{self, ExamScreen};
use std::path::Path;

/// Reads, validates and loads an exam file, on the local database or the class server (which is sent the file's
/// text). Every problem is printed as `FILE:LINE:COL`; exit 65 on errors.
pub fn load(ctx: &Context, server: Option<&Server>, file: &Path) -> Result<i32> {
    let upload = remote::upload(file, |name| {
        Error::InvalidData(format!("{name}: the file is not UTF-8"))
    })?;
    let loaded: ExamLoaded = match server {
        Some(server) => remote::send(server, "exam-load", &upload.name, &upload)?,
        None => ops::exam_load(
            &mut open_with_decks(ctx)?,
            &upload.name,
            &upload.text,
            now(),
        )?,
    };
    for d in &loaded.diagnostics {
        say_diagnostic(d);
    }
    say(&loaded.done.into_result()?);
    Ok(0)
}

pub fn list(ctx: &Context) -> Result<i32> {
    let store = Store::open(&ctx.db)?;
    let mut exams = Vec::new();
    for row in store::exams(&store.conn)? {
        exams.push(ops::exam_def(&store, &row.id)?);
    }
    if ctx.json {
        print_json(&exams)?;
        return Ok(0);
    }
    if exams.is_empty() {
        say(
            "No exams are loaded. Load one with `detente exam load FILE` (see exams/example.toml).",
        );
        return Ok(0);
    }
    let mut table = Table::new(&[
        ("EXAM", Cell::Text),
        ("QUESTIONS", Cell::Number),
        ("MIN", Cell::Number),
        ("TRIES", Cell::Number),
        ("GRADING", Cell::Text),
        ("PASS", Cell::Number),
        ("TITLE", Cell::Wrap),
    ]);
    for e in &exams {
        table.row(vec![
            e.id.clone(),
            e.questions.to_string(),
            e.time_limit.map_or("-".into(), |m| m.to_string()),
            e.attempts.map_or("any".into(), |a| a.to_string()),
            e.grading.as_str().to_string(),
            format!("{}%", e.pass_mark),
            e.title.clone(),
        ]);
    }
    for line in table.render(layout::table_width()) {
        print(&line)?;
    }
    Ok(0)
}

pub fn run(ctx: &Context, id: &str) -> Result<i32> {
    let mut store = open_with_decks(ctx)?;
    let exam = ops::exam_def(&store, id)?;
    // An exam is sat by a learner the teacher knows: a mistyped --learner must not open an attempt for a new one.
    let learner = store::learner_by_name(&store.conn, &ctx.learner)?.ok_or_else(|| {
        Error::Usage(format!(
            "no learner named {}: add them first with `detente learner add {}` (see `detente learner list`)",
            ctx.learner,
            crate::text::shell_word(&ctx.learner)
        ))
    })?;
    if !ui::is_interactive() {
        return Err(Error::NoTerminal(
            "exam run needs an interactive terminal (standard input and error are not one)".into(),
        ));
    }
    // One clock for the attempt and its screen: the time shown is the time the answers are judged by.
    let clock = SystemClock;
    let free = exam.navigation == Navigation::Free;
    let mut screen = ExamScreen::new(ctx.color, &clock, free);
    let end = Sitting::new(&mut store, &exam, &learner, &clock).run(&mut screen);
    // The terminal is given back (on an error too) before anything else is printed.
    screen.finish();
    match end? {
        ExamEnd::Interrupted => Err(Error::Interrupted),
        ExamEnd::Closed(_) | ExamEnd::Paused => Ok(0),
    }
}

/// `detente exam results`, on the local database or the class server.
pub fn results(
    ctx: &Context,
    server: Option<&Server>,
    id: &str,
    include_unsupervised: bool,
) -> Result<i32> {
    let req = ResultsRequest {
        id: id.to_string(),
        include_unsupervised,
    };
    let ExamResults {
        exam,
        learners: results,
    } = match server {
        Some(server) => remote::call(server, "exam-results", &req)?,
        None => ops::exam_results(&mut open_with_decks(ctx)?, &req, now())?,
    };
    if ctx.json {
        print_json(&serde_json::json!({
            "exam": exam.id,
            "title": exam.title,
            "grading": exam.grading.as_str(),
            "pass_mark": exam.pass_mark,
            "self_graded": exam.score_flashcards,
            "counts_unsupervised": include_unsupervised,
            "learners": results,
        }))?;
        return Ok(0);
    }
    let grade = exam.grading.as_str().to_uppercase();
    let mut table = Table::new(&[
        ("LEARNER", Cell::Text),
        ("SUPERVISED (%)", Cell::Wrap),
        (&grade, Cell::Number),
        ("RESULT", Cell::Text),
        ("UNSUPERVISED* (%)", Cell::Wrap),
    ]);
    for l in &results {
        let column = |unsupervised: bool| -> String {
            let marks: Vec<String> = l
                .attempts
                .iter()
                .filter(|a| a.unsupervised == unsupervised)
                .map(|a| a.percent.map_or("open".into(), |p| format!("{p:.0}")))
                .collect();
            if marks.is_empty() {
                "-".into()
            } else {
                marks.join(" ")
            }
        };
        table.row(vec![
            l.learner.clone(),
            column(false),
            l.grade.map_or("-".into(), |g| format!("{g:.0}%")),
            match l.passed {
                Some(true) => "pass",
                Some(false) => "fail",
                None => "-",
            }
            .into(),
            column(true),
        ]);
    }
    for line in table.render(layout::table_width()) {
        print(&line)?;
    }
    if results
        .iter()
        .any(|l| l.attempts.iter().any(|a| a.unsupervised))
    {
        print("* sat on the learner's own machine, brought in a progress bundle, re-scored here;")?;
        print(if include_unsupervised {
            "  counted in the grade and result (--include-unsupervised)"
        } else {
            "  not counted in the grade or result unless --include-unsupervised"
        })?;
    }
    if exam.score_flashcards {
        print(
            "Scores include flashcards the learners graded themselves (score_flashcards = true).",
        )?;
    }
    Ok(0)
}
