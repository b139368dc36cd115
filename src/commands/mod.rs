//! The subcommands, one file each. They turn parsed arguments into calls on the layers below and print results:
//! data to stdout (JSON with `--json`), messages to stderr.

mod convert;
mod deck;
mod decks;
mod due;
mod exam;
mod grades;
mod items;
mod learner;
mod optimize;
mod progress;
mod report;
mod staged;
mod stats;
mod study;

use crate::cli::{Cli, Color, Command, DeckCommand, ExamCommand, LearnerCommand, ReportCommand};
use crate::cli::{GradesCommand, ProgressCommand, ReportArgs};
use crate::error::{Error, Result};
use crate::schedule::Calendar;
use crate::store::{self, Learner, Store};
use crate::ui::{self, ColorChoice};
use std::io::Write;
use std::path::PathBuf;

/// What every command needs from the global options.
pub struct Context {
    pub db: PathBuf,
    pub learner: String,
    pub json: bool,
    pub color: bool,
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let color = ui::use_color(match cli.color {
        Color::Auto => ColorChoice::Auto,
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
    });
    let learner = cli
        .learner
        .filter(|l| !l.trim().is_empty())
        .unwrap_or_else(os_user);
    let ctx = Context {
        db: cli.db.unwrap_or_else(store::default_path),
        learner,
        json: cli.json,
        color,
    };
    match cli.command {
        Command::Study(args) => study::run(&ctx, args),
        Command::Due => due::run(&ctx),
        Command::Decks => decks::run(&ctx),
        Command::Deck(DeckCommand::New { file, title }) => deck::new(&file, title),
        Command::Deck(DeckCommand::Check { files }) => deck::check(&ctx, &files),
        Command::Deck(DeckCommand::Convert {
            from,
            input,
            output,
            id,
            title,
        }) => convert::convert(from.into(), &input, &output, id, title),
        Command::Deck(DeckCommand::Export { id, format, output }) => {
            convert::export(&ctx, &id, format.into(), output.as_deref())
        }
        Command::Deck(DeckCommand::Import {
            paths,
            dry_run,
            reset_changed,
        }) => deck::import(
            &ctx,
            &paths,
            &deck::ImportOptions {
                dry_run,
                reset_changed,
            },
        ),
        Command::Learner(LearnerCommand::Add {
            name,
            settings,
            identity,
        }) => learner::add(&ctx, &name, &settings, &identity),
        Command::Learner(LearnerCommand::Set {
            name,
            settings,
            identity,
        }) => learner::set(&ctx, &name, &settings, &identity),
        Command::Learner(LearnerCommand::List) => learner::list(&ctx),
        Command::Learner(LearnerCommand::Import { file }) => learner::import(&ctx, &file),
        Command::Grades(GradesCommand::Export {
            format,
            exam,
            deck,
            output,
        }) => grades::export(
            &ctx,
            format.into(),
            exam.as_deref(),
            deck.as_deref(),
            output.as_deref(),
        ),
        Command::Progress(ProgressCommand::Export { output }) => progress::export(&ctx, &output),
        Command::Progress(ProgressCommand::Import { files }) => progress::import(&ctx, &files),
        Command::Exam(ExamCommand::Load { file }) => exam::load(&ctx, &file),
        Command::Exam(ExamCommand::List) => exam::list(&ctx),
        Command::Exam(ExamCommand::Run { id }) => exam::run(&ctx, &id),
        Command::Exam(ExamCommand::Results { id }) => exam::results(&ctx, &id),
        Command::Stats(args) => stats::run(&ctx, &args),
        Command::Report(ReportArgs {
            command: Some(ReportCommand::Items { exam, deck }),
            ..
        }) => items::run(&ctx, exam.as_deref(), deck.as_deref()),
        Command::Report(args) => report::run(&ctx, &args),
        Command::Optimize(args) => optimize::run(&ctx, &args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            crate::cli::completions(shell, &mut script);
            write_stdout(&script).map(|_| 0)
        }
        Command::Man { dir: None } => {
            let mut page = Vec::new();
            crate::cli::man(&mut page).map_err(|e| Error::io("man page", e))?;
            write_stdout(&page).map(|_| 0)
        }
        Command::Man { dir: Some(dir) } => {
            let written = crate::cli::man_pages(&dir).map_err(|e| {
                Error::io(format!("cannot write man pages to {}", dir.display()), e)
            })?;
            say(&format!(
                "Wrote {} man pages to {}.",
                written.len(),
                dir.display()
            ));
            Ok(0)
        }
    }
}

/// Writes bytes to stdout as they are (scripts, man pages); a closed pipe surfaces as an I/O error that `main`
/// treats as success.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("stdout", e))
}

/// Prints a message for people to stderr, wrapped at word boundaries to the terminal's width.
fn say(text: &str) {
    eprintln!("{}", ui::text::fill(text, ui::text::width(), "", ""));
}

/// Prints a list item to stderr: wrapped, its first line after `bullet`, the rest under the item's text.
fn say_item(bullet: &str, text: &str) {
    let rest = " ".repeat(ui::text::display_width(bullet));
    eprintln!("{}", ui::text::fill(text, ui::text::width(), bullet, &rest));
}

/// The OS user name, the default learner.
fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "learner".to_string())
}

/// The current Unix time in seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Opens the database with the built-in decks loaded (imported on first use, refreshed when a newer detente ships
/// changed ones).
fn open_with_decks(ctx: &Context) -> Result<Store> {
    let mut store = Store::open(&ctx.db)?;
    for report in store::sync_builtin(&mut store, now())? {
        if !report.added.is_empty()
            && report.changed.is_empty()
            && report.retired.is_empty()
            && report.unchanged == 0
        {
            eprintln!(
                "Loaded the built-in deck {} ({} cards).",
                report.deck,
                report.added.len()
            );
        } else {
            eprintln!("Updated the built-in deck {}", report.summary());
        }
    }
    Ok(store)
}

/// The learner the command acts for, created on first use.
fn current_learner(ctx: &Context, store: &mut Store) -> Result<Learner> {
    store::learner_get_or_create(store, &ctx.learner, now())
}

fn calendar(learner: &Learner) -> Calendar {
    Calendar::local(learner.rollover_hour)
}

/// Closes the timed exam attempts whose time ran out while nobody was sitting them, before results are read.
fn close_expired(store: &mut Store) -> Result<()> {
    let tx = store.write()?;
    store::close_expired_attempts(&tx, now() * 1000)?;
    tx.commit()?;
    Ok(())
}

/// Writes to stdout; a closed pipe surfaces as an I/O error that `main` treats as success.
fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("stdout", e))
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::io("stdout", e.into()))?;
    print(&text)
}
