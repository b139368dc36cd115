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
use crate::session::exam::wire::{
    Ack, AnswerSent, AttemptView, ExamListing, ExtraTime, Outcome, QuestionView,
};
use crate::session::exam::{ExamEnd, ExamService, OffsetClock, RemoteSitting, Sent, Sitting};
use crate::session::{Clock, SystemClock};
use crate::store::{self, Store};
use crate::ui::layout::{self, Cell, Table};
use crate::ui::{self, SessionScreen};
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
            false,
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
    let mut screen = SessionScreen::new(ctx.color, &clock, free);
    let end = Sitting::new(&mut store, &exam, &learner, &clock).run(&mut screen);
    // The terminal is given back (on an error too) before anything else is printed.
    screen.finish();
    match end? {
        ExamEnd::Interrupted => Err(Error::Interrupted),
        ExamEnd::Closed(_) | ExamEnd::Paused | ExamEnd::Submitted => Ok(0),
    }
}

/// An exam id as a path segment: a slug, as every loaded exam's id is.
fn exam_path(id: &str) -> Result<&str> {
    if !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        Ok(id)
    } else {
        Err(Error::Usage(format!(
            "no exam `{}`: an exam id is a slug of a-z, 0-9, - and _ (see `detente exam list`)",
            crate::text::clean(id)
        )))
    }
}

/// The class server's side of a sitting, over HTTP.
struct Remote<'a> {
    server: &'a Server,
    id: String,
}

impl ExamService for Remote<'_> {
    fn question(&mut self, number: u32) -> Result<QuestionView> {
        self.server
            .get(&format!("/v1/exams/{}/attempt/questions/{number}", self.id))
    }

    fn answer(&mut self, number: u32, sent: &AnswerSent) -> Result<Sent> {
        let path = format!("/v1/exams/{}/attempt/answers/{number}", self.id);
        match self.server.try_call::<_, Ack>("POST", &path, Some(sent))? {
            Ok(ack) => Ok(Sent::Saved(ack)),
            Err((410, said)) => Ok(Sent::Late(said)),
            Err((401 | 403, said)) => Err(Error::Refused(said)),
            Err((status, said)) => Err(Error::Usage(format!("{said} (HTTP {status})"))),
        }
    }

    fn submit(&mut self) -> Result<Outcome> {
        self.server.post(
            &format!("/v1/exams/{}/attempt/submit", self.id),
            &serde_json::json!({}),
        )
    }
}

/// `detente exam run ID` after `login`: the class server runs the attempt (its paper, its key, its clock); this
/// terminal shows the questions one at a time on the exam screen, by the server's time.
pub fn run_served(ctx: &Context, server: &Server, claimed: Option<&str>, id: &str) -> Result<i32> {
    let id = exam_path(id)?;
    super::login::hello(server, claimed)?;
    // Before the attempt starts: its clock would run with no screen to show it.
    if !ui::is_interactive() {
        return Err(Error::NoTerminal(
            "exam run needs an interactive terminal (standard input and error are not one)".into(),
        ));
    }
    let system = SystemClock;
    let view: AttemptView =
        server.post(&format!("/v1/exams/{id}/attempt"), &serde_json::json!({}))?;
    let clock = OffsetClock::new(&system, view.server_now, system.now_ms());
    let free = view.navigation == Navigation::Free;
    let mut remote = Remote {
        server,
        id: id.to_string(),
    };
    let mut screen = SessionScreen::new(ctx.color, &clock, free);
    let again = format!("detente exam run {id}");
    let end = RemoteSitting::new(&mut remote, view, &clock, again).run(&mut screen);
    screen.finish();
    match end? {
        ExamEnd::Interrupted => Err(Error::Interrupted),
        ExamEnd::Closed(_) | ExamEnd::Paused | ExamEnd::Submitted => Ok(0),
    }
}

/// `detente exam review ID` after `login`: the last closed attempt, its results if the exam lets them be seen now.
pub fn review(ctx: &Context, server: &Server, claimed: Option<&str>, id: &str) -> Result<i32> {
    let id = exam_path(id)?;
    super::login::hello(server, claimed)?;
    let outcome: Outcome = server.get(&format!("/v1/exams/{id}/review"))?;
    if ctx.json {
        print_json(&outcome)?;
        return Ok(0);
    }
    match &outcome.summary {
        Some(summary) => {
            for line in summary.render().lines() {
                print(line)?;
            }
        }
        None => say(&format!(
            "Attempt {} at exam {} is submitted; its results are shown once the exam closes{}.",
            outcome.attempt,
            outcome.exam,
            outcome
                .review_from
                .and_then(|t| chrono::DateTime::from_timestamp_millis(t.0))
                .map_or(String::new(), |t| format!(
                    ", at {}",
                    t.format("%Y-%m-%d %H:%M UTC")
                ))
        )),
    }
    Ok(0)
}

/// `detente exam list` after `login`: the class server's exams, saying which are open-book.
pub fn list_served(ctx: &Context, server: &Server, claimed: Option<&str>) -> Result<i32> {
    super::login::hello(server, claimed)?;
    let exams: Vec<ExamListing> = server.get("/v1/exams")?;
    if ctx.json {
        print_json(&exams)?;
        return Ok(0);
    }
    if exams.is_empty() {
        say("The class server has no exams loaded.");
        return Ok(0);
    }
    let mut table = Table::new(&[
        ("EXAM", Cell::Text),
        ("QUESTIONS", Cell::Number),
        ("MIN", Cell::Number),
        ("TRIES", Cell::Number),
        ("BANK", Cell::Wrap),
        ("TITLE", Cell::Wrap),
    ]);
    for e in &exams {
        table.row(vec![
            e.id.clone(),
            e.questions.to_string(),
            e.time_limit.map_or("-".into(), |m| m.to_string()),
            e.attempts.map_or("any".into(), |a| a.to_string()),
            if e.study_decks.is_empty() {
                "exam-only".into()
            } else {
                format!(
                    "open-book: draws on study decks {}",
                    e.study_decks.join(", ")
                )
            },
            e.title.clone(),
        ]);
    }
    for line in table.render(layout::table_width()) {
        print(&line)?;
    }
    Ok(0)
}

/// `detente exam extra-time ID LEARNER MINUTES`, on the local database or the class server.
pub fn extra_time(
    ctx: &Context,
    server: Option<&Server>,
    id: &str,
    learner: &str,
    minutes: u32,
) -> Result<i32> {
    let req = ExtraTime {
        exam: id.to_string(),
        learner: learner.to_string(),
        minutes,
    };
    let said: String = match server {
        Some(server) => remote::call(server, "exam-extra-time", &req)?,
        None => ops::exam_extra_time(
            &mut open_with_decks(ctx)?,
            &req,
            "local",
            crate::time::UnixMs(now() * 1000),
        )?,
    };
    say(&said);
    Ok(0)
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
