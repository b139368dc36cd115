//! The subcommands, one file each. They turn parsed arguments into calls on the layers below and print results:
//! data to stdout (JSON with `--json`), messages to stderr.

mod admin;
mod convert;
mod deck;
mod decks;
mod device;
mod due;
mod enrol;
mod exam;
mod flags;
mod grades;
mod items;
mod learner;
mod login;
mod optimize;
mod progress;
mod remote;
mod report;
mod serve;
mod staged;
mod stats;
mod study;
mod sync;

use crate::cli::{AdminCommand, DeviceCommand, GradesCommand, ProgressCommand, ReportArgs};
use crate::cli::{Cli, Color, Command, DeckCommand, ExamCommand, LearnerCommand, ReportCommand};
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
    // A command given a local database (--db or DETENTE_DB) never goes to a class server.
    let local_db = cli.db.is_some();
    let db = cli.db.unwrap_or_else(store::default_path);
    // Who --learner (or DETENTE_LEARNER) names: on a class server it must be the caller (see `login`).
    let claimed = cli.learner.filter(|l| !l.trim().is_empty());
    // --learner, else the learner this device was enrolled as, else the OS user.
    let learner = claimed
        .clone()
        .or_else(|| store::enrolled_name(&db))
        .unwrap_or_else(os_user);
    let ctx = Context {
        db,
        learner,
        json: cli.json,
        color,
    };
    // A teacher's command goes to the class server after `login`, unless given a local database (see `remote`).
    let teacher = || remote::teacher(local_db, claimed.as_deref());
    match cli.command {
        Command::Study(args) => study::run(&ctx, args, local_db),
        Command::Due => due::run(&ctx),
        Command::Decks => decks::run(&ctx),
        Command::Deck(DeckCommand::New { file, title }) => deck::new(&ctx.db, &file, title),
        Command::Deck(DeckCommand::Check { files }) => deck::check(&ctx, &files),
        Command::Deck(DeckCommand::Convert {
            from,
            input,
            output,
            id,
            title,
            separator,
            row_separator,
        }) => convert::convert(
            &ctx.db,
            from.map(Into::into),
            &input,
            &output,
            id,
            title,
            convert::Separators {
                term: separator,
                row: row_separator,
            },
        ),
        Command::Deck(DeckCommand::Export {
            ids,
            format,
            output,
        }) => convert::export(&ctx, &ids, format.into(), output.as_deref()),
        Command::Deck(DeckCommand::Import {
            paths,
            dry_run,
            reset_changed,
        }) => {
            let opts = deck::ImportOptions {
                dry_run,
                reset_changed,
            };
            match login::remote(local_db)? {
                Some(server) => deck::publish(&ctx, &server, &paths, &opts),
                None => deck::import(&ctx, &paths, &opts),
            }
        }
        Command::Learner(LearnerCommand::Add {
            name,
            settings,
            identity,
        }) => learner::add(&ctx, teacher()?.as_ref(), &name, &settings, &identity),
        Command::Learner(LearnerCommand::Set {
            name,
            settings,
            identity,
        }) => learner::set(&ctx, teacher()?.as_ref(), &name, &settings, &identity),
        Command::Learner(LearnerCommand::List) => match login::remote(local_db)? {
            Some(server) => login::learner_list(&ctx, &server, claimed.as_deref()),
            None => learner::list(&ctx),
        },
        Command::Learner(LearnerCommand::Import { file }) => {
            learner::import(&ctx, teacher()?.as_ref(), &file)
        }
        Command::Learner(LearnerCommand::Export { name, output }) => {
            admin::export_learner(&ctx, teacher()?.as_ref(), &name, output.as_deref())
        }
        Command::Learner(LearnerCommand::Delete { name, yes }) => {
            admin::delete_learner(&ctx, teacher()?.as_ref(), &name, yes)
        }
        Command::Admin(AdminCommand::Backup { config, output }) => admin::backup(&config, &output),
        Command::Admin(AdminCommand::Restore { config, backup }) => {
            admin::restore(&config, &backup)
        }
        Command::Admin(AdminCommand::Adopt {
            config,
            lab,
            replace,
        }) => admin::adopt(&config, &lab, replace),
        Command::Learner(LearnerCommand::Enrol {
            names,
            all,
            reissue,
            csv,
        }) => enrol::issue(
            &ctx,
            teacher()?.as_ref(),
            &names,
            all,
            reissue,
            csv.as_deref(),
        ),
        Command::Enrol { code } => enrol::enrol(&ctx, &code.join(" ")),
        Command::Grades(GradesCommand::Export {
            format,
            exam,
            deck,
            match_by,
            study,
            include_unsupervised,
            guard_identifiers,
            gradebook,
            output,
        }) => grades::export(
            &ctx,
            teacher()?.as_ref(),
            format.into(),
            &grades::Options {
                exam: exam.as_deref(),
                deck: deck.as_deref(),
                match_by: match_by.map(Into::into),
                study,
                include_unsupervised,
                guard_identifiers,
                gradebook: gradebook.as_deref(),
            },
            output.as_deref(),
        ),
        Command::Grades(GradesCommand::Push {
            exam,
            deck,
            include_unsupervised,
        }) => grades::push(
            &ctx,
            teacher()?.as_ref(),
            crate::server::api::LtiPush {
                exam,
                deck,
                include_unsupervised,
            },
        ),
        Command::Grades(GradesCommand::Outbox) => grades::outbox(&ctx, teacher()?.as_ref()),
        Command::Progress(ProgressCommand::Export { output }) => progress::export(&ctx, &output),
        Command::Progress(ProgressCommand::Import {
            files,
            accept_unenrolled,
        }) => progress::import(&ctx, teacher()?.as_ref(), &files, accept_unenrolled),
        Command::Exam(ExamCommand::Load { file }) => exam::load(&ctx, teacher()?.as_ref(), &file),
        Command::Exam(ExamCommand::List) => match login::remote(local_db)? {
            Some(server) => exam::list_served(&ctx, &server, claimed.as_deref()),
            None => exam::list(&ctx),
        },
        Command::Exam(ExamCommand::Run { id }) => match login::remote(local_db)? {
            Some(server) => exam::run_served(&ctx, &server, claimed.as_deref(), &id),
            None => exam::run(&ctx, &id),
        },
        Command::Exam(ExamCommand::Review { id }) => match login::remote(local_db)? {
            Some(server) => exam::review(&ctx, &server, claimed.as_deref(), &id),
            None => Err(Error::Usage(
                "`exam review` is for exams a class server runs: `detente login` first (a local attempt's \
                 results are shown when it closes, and in `detente exam results`)"
                    .into(),
            )),
        },
        Command::Exam(ExamCommand::ExtraTime {
            id,
            learner,
            minutes,
        }) => exam::extra_time(&ctx, teacher()?.as_ref(), &id, &learner, minutes),
        Command::Exam(ExamCommand::Results {
            id,
            include_unsupervised,
        }) => exam::results(&ctx, teacher()?.as_ref(), &id, include_unsupervised),
        Command::Stats(args) if args.class => stats::run(&ctx, teacher()?.as_ref(), &args),
        Command::Stats(args) => stats::run(&ctx, None, &args),
        Command::Report(ReportArgs {
            command:
                Some(ReportCommand::Items {
                    exam,
                    deck,
                    include_unsupervised,
                }),
            ..
        }) => items::run(
            &ctx,
            teacher()?.as_ref(),
            exam.as_deref(),
            deck.as_deref(),
            include_unsupervised,
        ),
        Command::Report(ReportArgs {
            command: Some(ReportCommand::Flags { all, deck, resolve }),
            ..
        }) => {
            if resolve.is_empty() {
                flags::list(&ctx, teacher()?.as_ref(), all, deck.as_deref())
            } else {
                flags::resolve(&ctx, teacher()?.as_ref(), &resolve)
            }
        }
        Command::Report(ReportArgs {
            command: Some(ReportCommand::Web),
            ..
        }) => report::web(teacher()?.as_ref()),
        Command::Report(args) if args.class => report::run(&ctx, teacher()?.as_ref(), &args),
        Command::Report(args) => report::run(&ctx, None, &args),
        Command::Optimize(args) => optimize::run(&ctx, &args),
        Command::Serve { config } => serve::run(&ctx, &config),
        Command::Login {
            target,
            code,
            ca_cert,
            device_name,
            link,
        } => login::login(
            &ctx,
            &login::LoginArgs {
                target: &target,
                code: Some(code.join(" ")).as_deref().filter(|c| !c.is_empty()),
                ca_cert: ca_cert.as_deref(),
                device_name: device_name.as_deref(),
                link,
            },
            claimed.as_deref(),
        ),
        Command::Device(DeviceCommand::List { of }) => {
            device::list(&ctx, login::remote(local_db)?, claimed.as_deref(), of)
        }
        Command::Device(DeviceCommand::Revoke { ids }) => {
            device::revoke(&ctx, login::remote(local_db)?, claimed.as_deref(), &ids)
        }
        Command::Logout => login::logout(),
        Command::Whoami => login::whoami(&ctx, claimed.as_deref()),
        Command::Sync => sync::run(&ctx, claimed.as_deref()),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            crate::cli::completions(shell, &mut script)
                .map_err(|e| Error::io("completion script", e))?;
            write_stdout(&script).map(|_| 0)
        }
        Command::Man { dir: None } => {
            let mut page = Vec::new();
            crate::cli::man(&mut page).map_err(|e| Error::io("man page", e))?;
            write_stdout(&page).map(|_| 0)
        }
        Command::Man { dir: Some(dir) } => {
            let pages = crate::cli::man_pages().map_err(|e| Error::io("man page", e))?;
            std::fs::create_dir_all(&dir).map_err(|e| {
                Error::io(format!("cannot write man pages to {}", dir.display()), e)
            })?;
            // Each page is written whole and renamed into place: a symbolic link already in the folder under a
            // page's name is replaced by the page, and the file it pointed at is left as it was (see `staged`).
            for (name, roff) in &pages {
                staged::write(&dir.join(name), "man", &ctx.db, roff)?;
            }
            say(&format!(
                "Wrote {} man pages to {}.",
                pages.len(),
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

/// Prints a message for people to stderr, cleaned and wrapped at word boundaries to the terminal's width.
fn say(text: &str) {
    eprintln!(
        "{}",
        ui::layout::fill(&crate::text::clean(text), ui::layout::width(), "", "")
    );
}

/// Prints one line to stderr as it is given (a `FILE:LINE: message` for editors and scripts), cleaned.
fn say_line(text: &str) {
    eprintln!("{}", crate::text::clean(&text.replace(['\n', '\r'], " ")));
}

/// Prints a list item to stderr: wrapped, its first line after `bullet`, the rest under the item's text (a
/// hanging indent).
fn say_item(bullet: &str, text: &str) {
    eprintln!("{}", item(bullet, text, ui::layout::width()));
}

/// A list item wrapped to `width`: its first line after `bullet`, the rest indented under the item's text.
fn item(bullet: &str, text: &str, width: usize) -> String {
    let rest = " ".repeat(ui::layout::display_width(bullet));
    ui::layout::fill(&crate::text::clean(text), width, bullet, &rest)
}

/// Prints a diagnostic to stderr. Its first line, `FILE:LINE:COL: severity: message`, stays one line whatever its
/// length, since editors and scripts parse it; the source excerpt under it is cut to the width, and the hint is
/// wrapped with a hanging indent.
fn say_diagnostic(d: &impl std::fmt::Display) {
    eprintln!("{}", diagnostic_text(&d.to_string(), ui::layout::width()));
}

fn diagnostic_text(text: &str, width: usize) -> String {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.push(crate::text::clean(line));
        } else if let Some(at) = line.find(" = hint: ") {
            let (bullet, hint) = line.split_at(at + " = hint: ".len());
            out.push(item(bullet, hint, width));
        } else {
            out.push(ui::layout::truncate(&crate::text::clean(line), width));
        }
    }
    out.join("\n")
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
    for line in crate::server::ops::builtin_decks(&mut store, now())? {
        say(&line);
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

/// Writes to stdout, cleaned of control characters (see [`ui::clean`]): the one way commands print data, whatever
/// its origin. A closed pipe surfaces as an I/O error that `main` treats as success.
fn print(text: &str) -> Result<()> {
    print_styled(&crate::text::clean(text))
}

/// Writes text detente styled itself to stdout: the caller has cleaned every piece of outside text in it (the
/// stats screens, which colour their headings, clean names and titles as they lay them out).
fn print_styled(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("stdout", e))
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::io("stdout", e.into()))?;
    print(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagnostic_keeps_its_location_line_and_wraps_its_hint() {
        let text = "decks/a-very-long-file-name-for-a-reading.toml:12:5: warning: the right answer is conspicuously the longest choice\n 12 | choices = [\"a\", \"b\"]\n    |     ^\n    = hint: shorten the answer or lengthen the distractors, so that test-wise students cannot pick it by its length alone";
        let out = diagnostic_text(text, 40);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], text.lines().next().unwrap_or_default());
        assert!(
            lines[1..]
                .iter()
                .all(|l| ui::layout::display_width(l) <= 40),
            "{out}"
        );
        assert!(lines[3].starts_with("    = hint: shorten"), "{out}");
        assert!(lines[4].starts_with("            "), "{out}");
    }

    #[test]
    fn list_items_hang_under_their_text() {
        let out = item(
            "warning: ",
            "deck `sherr-lisbon-2010` changed since the bundle was made; its reviews are kept",
            40,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 1);
        assert!(lines[0].starts_with("warning: deck"));
        assert!(
            lines[1..]
                .iter()
                .all(|l| l.starts_with("         ") && l.len() <= 40)
        );
    }
}
