//! `detente exam load|list|run|results`: exam definitions from TOML, sitting an exam on the terminal, and every
//! learner's results with the grade by the exam's method (supervised attempts; unsupervised ones, brought in
//! progress bundles, in a column of their own and counted only with `--include-unsupervised`).

use super::{Context, now, open_with_decks, print, print_json, say, say_diagnostic};
use crate::deck::{Diagnostic, Severity};
use crate::error::{Error, Result};
use crate::exam::{Exam, Navigation, parse_exam};
use crate::session::SystemClock;
use crate::session::exam::{self, ExamEnd, Sitting};
use crate::store::{self, Store, Upsert};
use crate::ui::layout::{self, Cell, Table};
use crate::ui::{self, ExamScreen};
use std::path::Path;

/// The text of a file's line (1-based), for a diagnostic's excerpt.
fn line_of(text: &str, line: usize) -> &str {
    text.lines().nth(line.saturating_sub(1)).unwrap_or("")
}

/// Reads, validates and loads an exam file. Every problem is printed as `FILE:LINE:COL`; exit 65 on errors.
pub fn load(ctx: &Context, file: &Path) -> Result<i32> {
    let name = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| Error::io(format!("cannot read {name}"), e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::InvalidData(format!("{name}: the file is not UTF-8")))?;
    let (parsed, decks, mut diags) = parse_exam(&name, &text);
    let mut store = open_with_decks(ctx)?;
    if let Some(exam) = &parsed {
        let known: Vec<String> = store::decks(&store.conn)?
            .into_iter()
            .map(|d| d.id)
            .collect();
        for d in &decks {
            if !known.contains(&d.name) {
                diags.push(Diagnostic::new(
                    &name,
                    line_of(&text, d.line),
                    d.line,
                    d.column,
                    Severity::Error,
                    format!("no deck `{}` is loaded (see `detente decks`)", d.name),
                ));
            }
        }
        if diags.is_empty() {
            let pool = store::exam_pool(&store.conn, &exam::filter(exam), exam.score_flashcards)?;
            let available = exam::draw_paper(&pool, usize::MAX, 0).len();
            if available < exam.questions as usize {
                // Pointed at the `questions` line, where the number can be changed.
                let at = text
                    .lines()
                    .position(|l| l.trim_start().starts_with("questions"))
                    .map_or(1, |i| i + 1);
                diags.push(Diagnostic::new(
                    &name,
                    line_of(&text, at),
                    at,
                    1,
                    Severity::Error,
                    format!(
                        "the exam asks {} questions but its decks and tags hold only {available}{}",
                        exam.questions,
                        if exam.score_flashcards {
                            ""
                        } else {
                            " (flashcards are self-graded and left out unless the exam sets score_flashcards = true)"
                        }
                    ),
                ));
            }
        }
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    for d in &diags {
        say_diagnostic(d);
    }
    let exam = match parsed {
        Some(e) if errors == 0 => e,
        _ => {
            return Err(Error::InvalidData(format!(
                "{name}: {errors} error(s); nothing was loaded"
            )));
        }
    };
    let row = exam::exam_row(&exam, now())?;
    let tx = store.write()?;
    let what = store::upsert_exam(&tx, &row)?;
    tx.commit()?;
    say(&format!(
        "{} exam {}: {} questions{}.",
        match what {
            Upsert::Added => "Loaded",
            Upsert::Changed => "Updated",
            Upsert::Unchanged => "Unchanged",
        },
        exam.id,
        exam.questions,
        exam.time_limit.map_or(String::new(), |m| format!(
            ", {m} minute{}",
            if m == 1 { "" } else { "s" }
        ))
    ));
    Ok(0)
}

/// A loaded exam's definition, or a usage error naming the command that lists them.
fn exam_def(store: &Store, id: &str) -> Result<Exam> {
    let row = store::exam(&store.conn, id)?.ok_or_else(|| {
        Error::Usage(format!(
            "no exam `{id}` is loaded (see `detente exam list`; load one with `detente exam load FILE`)"
        ))
    })?;
    serde_json::from_str(&row.definition)
        .map_err(|e| Error::InvalidData(format!("exam {id} is stored damaged: {e}")))
}

pub fn list(ctx: &Context) -> Result<i32> {
    let store = Store::open(&ctx.db)?;
    let mut exams = Vec::new();
    for row in store::exams(&store.conn)? {
        exams.push(exam_def(&store, &row.id)?);
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
    let exam = exam_def(&store, id)?;
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

pub fn results(ctx: &Context, id: &str, include_unsupervised: bool) -> Result<i32> {
    let mut store = open_with_decks(ctx)?;
    super::close_expired(&mut store)?;
    let exam = exam_def(&store, id)?;
    let results = exam::results_counting(&store, &exam, include_unsupervised)?;
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
