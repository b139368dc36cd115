//! The command line, as clap types: the only module that knows clap. `main.rs` parses these and hands them to
//! [`crate::commands::run`].
//!
//! One concern: the whole command-line grammar, every subcommand's arguments and their help, kept in one file so
//! that `--help`, the man pages and the completions read from one place. It holds declarations only; each
//! command's behaviour is in its own file under `commands/`.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// detente: drill course readings in the terminal, scheduled by FSRS-6.
#[derive(Debug, Parser)]
#[command(name = "detente", version, about, long_about = None)]
pub struct Cli {
    /// The database file [default: $XDG_DATA_HOME/detente/detente.db or ~/.local/share/detente/detente.db]
    #[arg(long, global = true, env = "DETENTE_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Who is studying [default: the learner `detente enrol` set, else the OS user name; created on first use]
    #[arg(long, global = true, env = "DETENTE_LEARNER", value_name = "NAME", add = clap_complete::ArgValueCandidates::new(complete::learners))]
    pub learner: Option<String>,
    /// Machine-readable JSON output, for commands that print data
    #[arg(long, global = true)]
    pub json: bool,
    /// When to use colour (NO_COLOR is honoured)
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    #[command(subcommand)]
    pub command: Command,
}

/// Parses the process's arguments. On `--help` or `--version` clap's text is printed as clap prints it and the
/// exit code is 0; on a usage error clap's message, which echoes the value given, is printed to stderr through the
/// cleaning path ([`crate::text::clean`]: no escape sequence or line separator from the command line reaches the
/// terminal), and the exit code is clap's (2). `Err` holds the exit code.
pub fn parse() -> Result<Cli, i32> {
    parse_from(std::env::args_os())
}

/// As [`parse`], from the given arguments (the first is the program's name).
pub fn parse_from<I, T>(args: I) -> Result<Cli, i32>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    Cli::try_parse_from(args).map_err(|e| {
        if e.use_stderr() {
            eprint!("{}", error_text(&e));
        } else {
            // Help and version: detente's own text, styled as clap styles it.
            let _ = e.print();
        }
        e.exit_code()
    })
}

/// A usage error's message as clap words it, without styling, cleaned.
fn error_text(e: &clap::Error) -> String {
    crate::text::clean(&e.render().to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Drill: due reviews and new cards, one answer at a time (needs a terminal)
    Study(StudyArgs),
    /// Show what is due now and later today, per deck
    Due,
    /// List the loaded decks with their card counts
    Decks,
    /// Check and import deck files
    #[command(subcommand)]
    Deck(DeckCommand),
    /// Add, list and configure learners
    #[command(subcommand)]
    Learner(LearnerCommand),
    /// Export grades and study effort for Moodle, Canvas, Blackboard or as a long CSV
    #[command(subcommand)]
    Grades(GradesCommand),
    /// Move a learner's progress between machines as a JSON bundle
    #[command(subcommand)]
    Progress(ProgressCommand),
    /// Enrol this device, once, with the code a teacher gave: its learner becomes the default and signs bundles
    Enrol {
        /// The code as printed, `NAME-XXXX-XXXX-XXXX-XXXX` (case, spaces and dashes do not matter)
        #[arg(required = true, value_name = "CODE")]
        code: Vec<String>,
    },
    /// Load, list, sit and score exams
    #[command(subcommand)]
    Exam(ExamCommand),
    /// Show progress: today's queue, retention, forecast, study heatmap, mastery; `--class` for every learner
    Stats(StatsArgs),
    /// Reports: `--html FILE` for a learner's or the class's progress as one HTML file; `items` for item analysis;
    /// `flags` for the cards learners flagged
    Report(ReportArgs),
    /// Fit the learner's FSRS parameters to their review log; optionally change their target retention
    Optimize(OptimizeArgs),
    /// Run a class server over a Unix socket (an admin's command; built with the `server` feature)
    Serve {
        /// The server's configuration (TOML)
        #[arg(long, value_name = "FILE", default_value = "/etc/detente/serve.toml")]
        config: PathBuf,
    },
    /// Administer a class server on its machine: online backup, restore, adopt a lab's database (run as root or
    /// the server's user; built with the `server` feature)
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Log in to a class server, at its Unix socket or (a laptop) at its https:// URL with your enrolment code
    Login {
        /// The server's Unix socket, or its URL `https://HOST:PORT`
        #[arg(value_name = "SOCKET|URL")]
        target: String,
        /// Your enrolment code, for a server over TLS (as your teacher printed it)
        #[arg(value_name = "CODE")]
        code: Vec<String>,
        /// The certificate authority (PEM) to trust for the server, if its admin gave you one
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
        /// What this device is called on the server [default: the host name]
        #[arg(long, value_name = "NAME")]
        device_name: Option<String>,
        /// Over TLS, without an enrolment code: print a short code to enter on detente's page in your course
        /// (Moodle, Canvas, Blackboard), and log in once it is entered
        #[arg(long, conflicts_with = "code")]
        link: bool,
    },
    /// Forget the class server `login` saved (over TLS: revoke this device's token): every command works locally
    Logout,
    /// A class server's registered devices (laptops over TLS): list them, revoke their tokens (teachers)
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Show who the class server says you are (learner or teacher), and its version
    Whoami,
    /// Sync your study with the class server `login` saved: push this device's reviews, pull your other devices'
    /// and the course's new decks (also run at the end of `study`)
    Sync,
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell) to standard output
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff) to standard output, or write one page per command into a folder
    Man {
        /// Write detente.1 and one page per subcommand (detente-study.1, ...) into this folder
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// The shells `detente completions` writes scripts for.
pub use clap_complete::Shell;

/// Writes the completion script for `shell`: a short script that asks `detente` itself what to complete (clap's
/// dynamic completion, `COMPLETE=SHELL detente -- WORDS`), so subcommands and flags come from these definitions and
/// deck ids, exam ids and learner names from the database ([`complete`]).
pub fn completions(shell: Shell, out: &mut impl std::io::Write) -> std::io::Result<()> {
    use clap_complete::env::EnvCompleter;
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &clap_complete::env::Bash,
        Shell::Zsh => &clap_complete::env::Zsh,
        Shell::Fish => &clap_complete::env::Fish,
        Shell::Elvish => &clap_complete::env::Elvish,
        Shell::PowerShell => &clap_complete::env::Powershell,
        _ => &clap_complete::env::Bash,
    };
    completer.write_registration("COMPLETE", "detente", "detente", "detente", out)
}

/// Answers a shell's completion request (`COMPLETE=SHELL` in the environment, as the script [`completions`]
/// writes sets it) and exits; does nothing otherwise.
pub fn complete_if_asked() {
    clap_complete::CompleteEnv::with_factory(Cli::command).complete();
}

/// The values the shell completes from the database: the one `DETENTE_DB` names, else the default one, opened
/// read-only (a completion never writes, nor migrates). A `--db` typed on the same line is not seen.
pub mod complete {
    use clap_complete::CompletionCandidate;

    fn from_db(
        read: impl Fn(&rusqlite::Connection) -> crate::error::Result<Vec<(String, String)>>,
    ) -> Vec<(String, String)> {
        let path = std::env::var_os("DETENTE_DB")
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
            .unwrap_or_else(crate::store::default_path);
        if !path.is_file() {
            return Vec::new();
        }
        crate::store::admin::open_source(&path)
            .and_then(|conn| read(&conn))
            .unwrap_or_default()
    }

    fn candidates(values: Vec<(String, String)>) -> Vec<CompletionCandidate> {
        values
            .into_iter()
            .map(|(value, help)| CompletionCandidate::new(value).help(Some(help.into())))
            .collect()
    }

    /// Deck ids: the database's decks, and the built-in ones (loaded on first use).
    pub fn decks() -> Vec<CompletionCandidate> {
        let mut decks = from_db(|conn| {
            Ok(crate::store::decks(conn)?
                .into_iter()
                .map(|d| (d.id, d.title))
                .collect())
        });
        for id in crate::deck::builtin::ids() {
            if !decks.iter().any(|(d, _)| *d == id) {
                decks.push((id, "built-in deck".into()));
            }
        }
        candidates(decks)
    }

    /// Exam ids, with their titles.
    pub fn exams() -> Vec<CompletionCandidate> {
        candidates(from_db(|conn| {
            Ok(crate::store::exams(conn)?
                .into_iter()
                .map(|e| (e.id, e.title))
                .collect())
        }))
    }

    /// Learner names, with their usernames.
    pub fn learners() -> Vec<CompletionCandidate> {
        candidates(from_db(|conn| {
            Ok(crate::store::learners(conn)?
                .into_iter()
                .map(|l| {
                    let help = l.username.clone().unwrap_or_else(|| "learner".into());
                    (l.name, help)
                })
                .collect())
        }))
    }
}

/// Examples for the man pages, by page: each a command line and what it does. Every one works as written on the
/// built-in decks (the files and names are the reader's own).
const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "detente",
        &[
            (
                "detente study",
                "Study what is due, on the built-in decks (loaded on first use).",
            ),
            ("detente due", "How many cards are due now, deck by deck."),
            (
                "detente stats",
                "Your progress: retention, reviews a day, what comes due.",
            ),
        ],
    ),
    (
        "detente-study",
        &[
            (
                "detente study",
                "Study what is due and today's new cards, one card per screen.",
            ),
            (
                "detente study --deck sherr-lisbon-2010 --limit 20",
                "Twenty answers from one reading's deck.",
            ),
            (
                "detente study --tag actor:rogozin --cram",
                "Practise one actor's cards without moving any schedule.",
            ),
            (
                "detente study --exam-date 2027-01-15 --deck course-nato-russia",
                "Pace the course deck for an exam.",
            ),
            (
                "detente study --plain",
                "A transcript of line prompts, for a screen reader.",
            ),
        ],
    ),
    (
        "detente-due",
        &[("detente due --json", "What is due, for a script.")],
    ),
    (
        "detente-stats",
        &[
            ("detente stats", "Your progress on every deck."),
            (
                "detente stats --class",
                "Every learner's progress (teachers).",
            ),
        ],
    ),
    (
        "detente-deck-import",
        &[
            (
                "detente deck import my-deck.toml",
                "Load a deck written in detente's format.",
            ),
            (
                "detente deck import --dry-run my-deck.toml",
                "What an import would change, changing nothing.",
            ),
        ],
    ),
    (
        "detente-deck-check",
        &[(
            "detente deck check decks/*.toml",
            "Every problem of every file as FILE:LINE:COL.",
        )],
    ),
    (
        "detente-deck-new",
        &[(
            "detente deck new week3.toml",
            "A template with one example of every card kind.",
        )],
    ),
    (
        "detente-deck-convert",
        &[
            (
                "detente deck convert quiz.gift -o quiz.toml",
                "A Moodle GIFT bank as a deck file (the format told from the content).",
            ),
            (
                "detente deck convert course.txt -o decks/",
                "Each deck of a multi-deck Anki export as its own file in decks/.",
            ),
        ],
    ),
    (
        "detente-deck-export",
        &[
            (
                "detente deck export sherr-lisbon-2010 --format gift -o sherr.gift",
                "A deck as a Moodle GIFT file.",
            ),
            (
                "detente deck export sherr-lisbon-2010 pouliot-two-masters --format anki -o course.txt",
                "Several decks in one Anki file (back with `deck convert course.txt -o decks/`).",
            ),
        ],
    ),
    (
        "detente-exam-load",
        &[(
            "detente exam load midterm.toml",
            "Load (or update) an exam definition.",
        )],
    ),
    (
        "detente-exam-run",
        &[(
            "detente exam run midterm-nato-russia",
            "Sit an exam; Esc pauses, the same command resumes.",
        )],
    ),
    (
        "detente-exam-results",
        &[(
            "detente exam results midterm-nato-russia",
            "Every learner's score on an exam (teachers).",
        )],
    ),
    (
        "detente-grades-export",
        &[
            (
                "detente grades export --format moodle -o grades.csv",
                "Grades for Moodle's CSV import.",
            ),
            (
                "detente grades export --format canvas --exam midterm-nato-russia",
                "One exam's column for Canvas.",
            ),
            (
                "detente grades export --format moodle --gradebook moodle-download.csv -o grades.csv",
                "Into the grade items Moodle has, its identifiers as it spells them.",
            ),
        ],
    ),
    (
        "detente-learner-add",
        &[(
            "detente learner add 'Ann Smith' --username ann --email ann@uni.example",
            "Add a learner.",
        )],
    ),
    (
        "detente-learner-import",
        &[(
            "detente learner import roster.csv",
            "Create or update learners from a class list.",
        )],
    ),
    (
        "detente-learner-enrol",
        &[(
            "detente learner enrol --all --csv codes.csv",
            "A code for every learner without one, also as CSV.",
        )],
    ),
    (
        "detente-enrol",
        &[(
            "detente enrol ANN-K7Q2-M4PX-9HTR-2WQA",
            "Take the code your teacher printed, on this machine.",
        )],
    ),
    (
        "detente-progress-export",
        &[(
            "detente progress export -o ann.json",
            "Your progress as a signed bundle for your teacher.",
        )],
    ),
    (
        "detente-progress-import",
        &[(
            "detente progress import bundles/*.json",
            "Students' bundles into the class database (teachers).",
        )],
    ),
    (
        "detente-login",
        &[
            (
                "detente login /run/detente/class.sock",
                "Use the lab's class server (over its socket).",
            ),
            (
                "detente login https://detente.uni.example:8443 ANN-K7Q2-M4PX-9HTR-2WQA",
                "Register a laptop.",
            ),
        ],
    ),
    (
        "detente-sync",
        &[(
            "detente sync",
            "Push this device's reviews and pull your others'.",
        )],
    ),
    (
        "detente-serve",
        &[(
            "detente serve --config /etc/detente/serve.toml",
            "Run the class server.",
        )],
    ),
    (
        "detente-report-items",
        &[(
            "detente report items --exam midterm-nato-russia",
            "Item analysis: difficulty and discrimination.",
        )],
    ),
    (
        "detente-completions",
        &[(
            "detente completions bash > ~/.local/share/bash-completion/completions/detente",
            "Tab completion for bash.",
        )],
    ),
    (
        "detente-man",
        &[(
            "detente man --dir ~/.local/share/man/man1",
            "Install these pages for `man detente-study`.",
        )],
    ),
];

/// The environment detente reads, for every man page.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "DETENTE_DB",
        "The database file, as --db (default: $XDG_DATA_HOME/detente/detente.db).",
    ),
    (
        "DETENTE_LEARNER",
        "Who is studying, as --learner (default: the code taken by `detente enrol`, else the OS user).",
    ),
    (
        "NO_COLOR",
        "Set and not empty: no colour, whatever the terminal (--color always overrides it).",
    ),
    ("TERM", "dumb: study as a plain transcript, as --plain."),
    (
        "COLUMNS",
        "The width to wrap text at when it is not a terminal's (at most 100).",
    ),
    (
        "XDG_DATA_HOME",
        "Where the default database lives (default: ~/.local/share).",
    ),
    (
        "XDG_CONFIG_HOME",
        "Where `login` saves the class server and device token (default: ~/.config).",
    ),
];

/// Text escaped for roff: backslashes and hyphens, and a line that would start with a control character.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// The man page of `cmd`, named `name` (`detente`, `detente-study`, ...): clap_mangen's sections, then EXAMPLES
/// (where [`EXAMPLES`] has some) and ENVIRONMENT.
fn render_page(
    cmd: &clap::Command,
    name: &str,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone().name(name.to_string()));
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(out)?;
    }
    if let Some((_, examples)) = EXAMPLES.iter().find(|(page, _)| *page == name) {
        writeln!(out, ".SH EXAMPLES")?;
        for (line, what) in examples.iter() {
            writeln!(out, ".TP\n\\fB{}\\fR\n{}", roff_text(line), roff_text(what))?;
        }
    }
    writeln!(out, ".SH ENVIRONMENT")?;
    for (var, what) in ENVIRONMENT {
        writeln!(out, ".TP\n\\fB{var}\\fR\n{}", roff_text(what))?;
    }
    if cmd.get_version().is_some() {
        man.render_version_section(out)?;
    }
    Ok(())
}

/// Writes the man page of detente (every subcommand listed) as roff.
pub fn man(out: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut cmd = Cli::command();
    cmd.build();
    render_page(&cmd, "detente", out)
}

/// The man pages of `detente` and of each subcommand, nested ones included, as (file name, roff):
/// `detente.1`, `detente-deck-check.1`, ... The command writes them (`man --dir`).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut pages = Vec::new();
    render_pages(&cmd, "detente", &mut pages)?;
    Ok(pages)
}

fn render_pages(
    cmd: &clap::Command,
    name: &str,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    let mut roff = Vec::new();
    render_page(cmd, name, &mut roff)?;
    pages.push((format!("{name}.1"), roff));
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        render_pages(sub, &format!("{name}-{}", sub.get_name()), pages)?;
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct StudyArgs {
    /// Only this deck (repeatable); see `detente decks`
    #[arg(long = "deck", value_name = "ID", add = clap_complete::ArgValueCandidates::new(complete::decks))]
    pub decks: Vec<String>,
    /// Only cards with this tag (repeatable; `actor:*` matches a prefix)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// End the session after this many answers
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
    /// End the session after this many minutes
    #[arg(long, value_name = "M")]
    pub minutes: Option<u32>,
    /// Introduce this many new cards in this session, instead of what is left of today's limit
    #[arg(long, value_name = "N")]
    pub new: Option<u32>,
    /// Practise the chosen cards in random order without moving any schedule
    #[arg(long)]
    pub cram: bool,
    /// An exam on this date (YYYY-MM-DD) covers this session's cards (--deck, --tag): new cards come in time to
    /// be seen 3 days before it, and no review is put off past it with your recall on the day below your target.
    /// From today to 5 years ahead
    #[arg(long, value_name = "DATE", value_parser = exam_date, conflicts_with = "cram")]
    pub exam_date: Option<chrono::NaiveDate>,
    /// Seed for the order of choices and cram cards (default: from the clock)
    #[arg(long, hide = true)]
    pub seed: Option<u64>,
    /// A transcript that scrolls, with line prompts and no colour, instead of one card per screen: for screen
    /// readers and scrollback (also when TERM is dumb)
    #[arg(long)]
    pub plain: bool,
}

#[derive(Debug, Subcommand)]
pub enum DeckCommand {
    /// Write a deck template with one commented example of every card kind
    New {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The deck's title [default: from the file name]
        #[arg(long)]
        title: Option<String>,
    },
    /// Validate deck files: every problem at once as FILE:LINE:COL; exit 65 on errors
    ///
    /// Warnings include the item-writing rules, each named in its message: longest-answer, leaked-answer,
    /// order-cue, all-of-the-above, none-of-the-above, negative-stem, number-form, near-duplicate,
    /// several-questions; and the theme rules, deck-theme and theme-coverage. A card that is right as it is says
    /// why with `allow = { longest-answer = "reason" }`. docs/deck-format.md describes each.
    Check {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Import deck files or folders of them: all or nothing; progress is kept when cards change
    Import {
        #[arg(required = true, value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
        /// Print, card by card, what the import would add, change, retire or leave, and change nothing
        #[arg(long)]
        dry_run: bool,
        /// Reset learners' progress on cards whose answer changed (default: keep it)
        #[arg(long)]
        reset_changed: bool,
    },
    /// Turn a Moodle GIFT or Moodle XML, Anki, Quizlet or CSV question bank into a detente deck
    Convert {
        /// The format of the input [default: recognised from its content: Moodle XML, GIFT or Anki text]
        #[arg(long, value_enum)]
        from: Option<ConvertFrom>,
        #[arg(value_name = "FILE")]
        input: PathBuf,
        /// The deck file to write (not written at all if the input is malformed); or a folder (an existing one, or
        /// a path ending in /) to write each deck of the file into as ID.toml, never over an existing file: how a
        /// multi-deck Anki export comes back as its decks
        #[arg(short, long, value_name = "DECK.toml|DIR/")]
        output: PathBuf,
        /// The deck id [default: from the output file name]
        #[arg(long)]
        id: Option<String>,
        /// The deck title [default: from the input, or its file name]
        #[arg(long)]
        title: Option<String>,
        /// Quizlet: what separates term and definition, as chosen on Quizlet's export: tab, comma, or any other
        /// text (\t is a tab) [default: tab, else comma, as the first card has]
        #[arg(long, value_name = "tab|comma|TEXT", allow_hyphen_values = true)]
        separator: Option<String>,
        /// Quizlet: what separates cards, as chosen on Quizlet's export: newline, semicolon, or any other text
        /// (\n is a new line) [default: newline]
        #[arg(
            long,
            value_name = "newline|semicolon|TEXT",
            allow_hyphen_values = true
        )]
        row_separator: Option<String>,
    },
    /// Write a loaded deck as TOML, GIFT or Moodle XML (for Moodle), Anki or Quizlet text, JSON, or a QTI 1.2 package
    /// (for Canvas); several decks into one Anki file or QTI package
    Export {
        /// The deck; several only with `--format anki` (one file, each note in its own deck) or `--format qti` (one
        /// package, a quiz per deck)
        #[arg(value_name = "ID", required = true, add = clap_complete::ArgValueCandidates::new(complete::decks))]
        ids: Vec<String>,
        #[arg(long, value_enum, default_value_t = ExportFormat::Toml)]
        format: ExportFormat,
        /// The file to write [default: standard output]
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Only this deck (repeatable)
    #[arg(long = "deck", value_name = "ID", add = clap_complete::ArgValueCandidates::new(complete::decks))]
    pub decks: Vec<String>,
    /// Only cards with this tag (repeatable; `theme:*` matches a prefix)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// One row per learner: mastery per deck or theme and recent activity
    #[arg(long)]
    pub class: bool,
    /// What the class view's columns are
    #[arg(long, value_enum, default_value_t = StatsBy::Deck, requires = "class")]
    pub by: StatsBy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsBy {
    Deck,
    Theme,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: Option<ReportCommand>,
    /// The report as one HTML file: to FILE (or `-o FILE`), else to standard output
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    pub html: Option<Option<PathBuf>>,
    /// The file to write the HTML report to, as for every other export (with `--html`)
    #[arg(short, long, value_name = "FILE", requires = "html")]
    pub output: Option<PathBuf>,
    /// The class report (every learner) instead of the current learner's
    #[arg(long)]
    pub class: bool,
    /// What the class report's columns are
    #[arg(long, value_enum, default_value_t = StatsBy::Theme)]
    pub by: StatsBy,
}

#[derive(Debug, Args)]
pub struct OptimizeArgs {
    /// Also set the target probability of recall at review time, 0.7 to 0.99, and show the workload it implies
    #[arg(long, value_name = "R")]
    pub retention: Option<f32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConvertFrom {
    /// Moodle GIFT
    Gift,
    /// Moodle XML (what Moodle's "Export questions" writes by default)
    MoodleXml,
    /// Anki plain text (Notes in Plain Text, with its # headers)
    Anki,
    /// Quizlet export: term TAB definition, one per line
    Quizlet,
    /// CSV with a header row: front, back, tags
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Toml,
    Gift,
    /// Moodle XML, for Moodle's "Import questions"
    MoodleXml,
    Anki,
    Quizlet,
    Json,
    /// A QTI 1.2 package (.zip) for Canvas's "QTI .zip file" import: one quiz per deck
    Qti,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List the devices registered over TLS: id, learner, name, created, last used, revoked
    List {
        /// Only this learner's devices
        #[arg(value_name = "LEARNER")]
        of: Option<String>,
    },
    /// Revoke devices' tokens, by id (from `device list`): they are refused from their next request
    Revoke {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum LearnerCommand {
    /// Add a learner
    Add {
        name: String,
        #[command(flatten)]
        settings: LearnerSettings,
        #[command(flatten)]
        identity: IdentityArgs,
    },
    /// Change a learner's daily limits, target retention, exam date or identity
    Set {
        #[arg(add = clap_complete::ArgValueCandidates::new(complete::learners))]
        name: String,
        #[command(flatten)]
        settings: LearnerSettings,
        #[command(flatten)]
        identity: IdentityArgs,
    },
    /// List learners, their identities, settings and enrolment
    List,
    /// Issue secret enrolment codes, printed once; only a key derived from each is kept (see --reissue)
    Enrol {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        names: Vec<String>,
        /// Every learner with a username, email or student id who has no code (with --reissue: every one)
        #[arg(long)]
        all: bool,
        /// Replace the codes of learners who have one (the old codes stop working)
        #[arg(long)]
        reissue: bool,
        /// Also write the codes to this CSV file, for a mail merge
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
    },
    /// Write everything the database holds about a learner as one JSON document (their record, reviews, card
    /// states, sync events, sessions, exam attempts, flags, enrolment dates; never a key)
    Export {
        #[arg(add = clap_complete::ArgValueCandidates::new(complete::learners))]
        name: String,
        /// Write to this file (atomically) instead of standard output
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Delete every row of a learner in every table, in one transaction (their exam attempts too). Without --yes,
    /// print what would be deleted and exit 2
    Delete {
        #[arg(add = clap_complete::ArgValueCandidates::new(complete::learners))]
        name: String,
        /// Delete: without it nothing is deleted
        #[arg(long)]
        yes: bool,
    },
    /// Create or update learners from a class list: a plain roster CSV, or a Moodle or Canvas gradebook export.
    /// All or nothing: any unusable row is reported with its line and nothing is imported (exit 65)
    Import {
        #[arg(value_name = "ROSTER.csv")]
        file: PathBuf,
    },
}

/// `detente admin`: the class server's database, found through its configuration file.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Copy the server's database to a new file while it runs (SQLite's online backup API: one consistent
    /// moment), written atomically with mode 0600
    Backup {
        /// The server's configuration (TOML)
        #[arg(long, value_name = "FILE", default_value = "/etc/detente/serve.toml")]
        config: PathBuf,
        #[arg(value_name = "OUT")]
        output: PathBuf,
    },
    /// Replace the server's database with a backup (the server stopped); the replaced one is kept as
    /// `detente.db.before-restore-TIMESTAMP`
    Restore {
        /// The server's configuration (TOML)
        #[arg(long, value_name = "FILE", default_value = "/etc/detente/serve.toml")]
        config: PathBuf,
        #[arg(value_name = "BACKUP")]
        backup: PathBuf,
    },
    /// Make a lab's shared database the server's (the server stopped), then list the learners it cannot identify
    Adopt {
        /// The server's configuration (TOML)
        #[arg(long, value_name = "FILE", default_value = "/etc/detente/serve.toml")]
        config: PathBuf,
        #[arg(value_name = "LAB.db")]
        lab: PathBuf,
        /// Replace a server database that already holds learners, decks or exams (kept as
        /// `detente.db.before-adopt-TIMESTAMP`)
        #[arg(long)]
        replace: bool,
    },
}

/// Who a learner is to a gradebook.
#[derive(Debug, Args, Default)]
pub struct IdentityArgs {
    /// The LMS login (Blackboard Username, Canvas SIS Login ID)
    #[arg(long)]
    pub username: Option<String>,
    #[arg(long)]
    pub first_name: Option<String>,
    #[arg(long)]
    pub last_name: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    /// The institution's id (Moodle ID number, Canvas SIS User ID)
    #[arg(long)]
    pub student_id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum GradesCommand {
    /// Write exam grades and study effort per deck as CSV. Without --exam or --deck: every exam, and every deck's
    /// study columns (in Canvas only with --study). Learners without the identifier the LMS matches on are left
    /// out and named on stderr
    Export {
        #[arg(long, value_enum)]
        format: GradeFormat,
        /// Only this exam
        #[arg(long, value_name = "ID", add = clap_complete::ArgValueCandidates::new(complete::exams))]
        exam: Option<String>,
        /// Only this deck's study columns
        #[arg(long, value_name = "ID", add = clap_complete::ArgValueCandidates::new(complete::decks))]
        deck: Option<String>,
        /// The identifier the LMS matches rows on [default: email for Moodle, sis for Canvas, username for
        /// Blackboard; native: every learner]
        #[arg(long, value_enum, value_name = "ID")]
        match_by: Option<MatchBy>,
        /// Canvas: add the study columns (cards studied, mastery, ...) to the exam columns
        #[arg(long)]
        study: bool,
        /// Count exam attempts that came in progress bundles (sat unsupervised on learners' own machines)
        #[arg(long)]
        include_unsupervised: bool,
        /// Neutralize identifiers a spreadsheet would run as formulas (a leading '), for a file to be opened in a
        /// spreadsheet first: the LMS will then not match those rows. Without it, identifiers are written exactly
        /// as the LMS holds them, and each risky one is named on stderr
        #[arg(long)]
        guard_identifiers: bool,
        /// The gradebook downloaded from the LMS. Canvas, Blackboard: each exam's grades go into its existing
        /// column (by the column's id); an exam no column matches is named, and becomes a new column. Moodle
        /// (Export > Plain text file): each exam's column is titled as the export names its grade item ("Quiz:
        /// Week 3 (Real)"), identifiers are spelled as Moodle holds them, and learners it does not hold are left out
        /// and named
        #[arg(long, value_name = "FILE")]
        gradebook: Option<PathBuf>,
        /// The file to write [default: standard output]
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Send an exam's grades straight to the LMS courses that launched detente (LTI 1.3 grade passback, on a class
    /// server with `[lti]`): queued, then delivered and retried by the server. Learners must have launched detente
    /// from the course once
    Push {
        /// The exam
        #[arg(value_name = "EXAM", required_unless_present = "deck", add = clap_complete::ArgValueCandidates::new(complete::exams))]
        exam: Option<String>,
        /// Instead of an exam: this deck's mastery, as a percentage (a grade book column of its own, with each
        /// learner's last study as its time)
        #[arg(long, value_name = "ID", conflicts_with = "exam", add = clap_complete::ArgValueCandidates::new(complete::decks))]
        deck: Option<String>,
        /// Count exam attempts that came in progress bundles (sat unsupervised on learners' own machines)
        #[arg(long)]
        include_unsupervised: bool,
    },
    /// The scores queued for the LMS on the class server: delivered, pending (with the next try), failed
    Outbox,
}

/// The identifier a gradebook import matches learners on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatchBy {
    /// Email address (Moodle)
    Email,
    /// The student id as Moodle's ID number
    Idnumber,
    /// The LMS login (Moodle Username, Canvas SIS Login ID, Blackboard Username)
    Username,
    /// The student id as Canvas's SIS User ID
    Sis,
}

impl From<MatchBy> for crate::gradebook::MatchBy {
    fn from(m: MatchBy) -> Self {
        match m {
            MatchBy::Email => Self::Email,
            MatchBy::Idnumber => Self::IdNumber,
            MatchBy::Username => Self::Username,
            MatchBy::Sis => Self::Sis,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GradeFormat {
    /// One row per learner and assessment
    Native,
    /// Moodle gradebook CSV import (map Email address or ID number)
    Moodle,
    /// Canvas gradebook import
    Canvas,
    /// Blackboard Learn (Original) Grade Center upload
    Blackboard,
}

impl From<GradeFormat> for crate::gradebook::Layout {
    fn from(f: GradeFormat) -> Self {
        match f {
            GradeFormat::Native => Self::Native,
            GradeFormat::Moodle => Self::Moodle,
            GradeFormat::Canvas => Self::Canvas,
            GradeFormat::Blackboard => Self::Blackboard,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ProgressCommand {
    /// Write the learner's (--learner) reviews and exam attempts as a checksummed JSON bundle (signed if enrolled)
    Export {
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Merge progress bundles: idempotent; card states are recomputed from the merged review log; exam attempts
    /// are re-scored by this database's exam definitions and kept as unsupervised. Each bundle is imported on its
    /// own: one that does not validate or is not signed by the learner it claims is refused with its file and
    /// reason and nothing of it is written, and the others are imported. Exit 0 when every bundle was imported, 65
    /// when any was refused
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Also take unsigned bundles of learners never issued a code, marked unverified (`learner list`)
        #[arg(long)]
        accept_unenrolled: bool,
    },
}

#[derive(Debug, Args, Default)]
pub struct LearnerSettings {
    /// New cards per day [default: 20]
    #[arg(long, value_name = "N")]
    pub new_per_day: Option<u32>,
    /// Reviews per day [default: 200]
    #[arg(long, value_name = "N")]
    pub reviews_per_day: Option<u32>,
    /// Target probability of recall at review time, 0.7 to 0.99 [default: 0.9]
    #[arg(long, value_name = "R")]
    pub retention: Option<f32>,
    /// The hour a new study day starts, 0 to 23 [default: 4]
    #[arg(long, value_name = "H")]
    pub day_starts_at: Option<u32>,
    /// The date of the learner's exam (YYYY-MM-DD), from today to 5 years ahead: until then, the cards it covers
    /// are scheduled to be ready
    #[arg(long, value_name = "DATE", value_parser = exam_date)]
    pub exam_date: Option<chrono::NaiveDate>,
    /// A deck id or tag the exam covers (repeatable; `theme:*` matches a prefix; each must name a loaded deck or
    /// match some card's tag) [default: every deck]
    #[arg(long, value_name = "DECK-OR-TAG", requires = "exam_date")]
    pub exam_scope: Vec<String>,
    /// Remove the learner's exam date
    #[arg(long, conflicts_with = "exam_date")]
    pub no_exam_date: bool,
}

/// An exam date, `YYYY-MM-DD`.
fn exam_date(text: &str) -> Result<chrono::NaiveDate, String> {
    crate::text::parse_date(text)
        .ok_or_else(|| format!("`{text}` is not a date: write it YYYY-MM-DD, as 2026-12-14"))
}

impl From<ConvertFrom> for crate::deck::convert::Foreign {
    fn from(f: ConvertFrom) -> Self {
        match f {
            ConvertFrom::Gift => Self::Gift,
            ConvertFrom::MoodleXml => Self::MoodleXml,
            ConvertFrom::Anki => Self::Anki,
            ConvertFrom::Quizlet => Self::Quizlet,
            ConvertFrom::Csv => Self::Csv,
        }
    }
}

impl From<ExportFormat> for crate::deck::convert::Format {
    fn from(f: ExportFormat) -> Self {
        match f {
            ExportFormat::Toml => Self::Toml,
            ExportFormat::Gift => Self::Gift,
            ExportFormat::MoodleXml => Self::MoodleXml,
            ExportFormat::Anki => Self::Anki,
            ExportFormat::Quizlet => Self::Quizlet,
            ExportFormat::Json => Self::Json,
            ExportFormat::Qti => Self::Qti,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ExamCommand {
    /// Validate an exam file (FILE:LINE:COL errors, exit 65) and load it, replacing an exam with the same id
    Load {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// List the loaded exams (after `login`, the class server's, with the study decks that make one open-book)
    List,
    /// Sit an exam as the learner (needs a terminal); an open attempt is resumed. After `login`, the class server
    /// runs it: one question at a time, by the server's clock
    Run {
        #[arg(value_name = "ID", add = clap_complete::ArgValueCandidates::new(complete::exams))]
        id: String,
    },
    /// After `login`: your last closed attempt at a server exam, with the score and right answers once the exam
    /// lets you see them
    Review {
        #[arg(value_name = "ID", add = clap_complete::ArgValueCandidates::new(complete::exams))]
        id: String,
    },
    /// Give one learner extra minutes at an exam (recorded with who gave them and when); their open attempt's
    /// deadline moves too, never past the exam's close. 0 takes the extra time away
    ExtraTime {
        #[arg(value_name = "ID", add = clap_complete::ArgValueCandidates::new(complete::exams))]
        id: String,
        #[arg(value_name = "LEARNER", add = clap_complete::ArgValueCandidates::new(complete::learners))]
        learner: String,
        #[arg(value_name = "MINUTES")]
        minutes: u32,
    },
    /// Every learner's attempts, scores, grade by the exam's method, and pass or fail. Attempts that came in
    /// progress bundles (unsupervised) are listed in their own column and count towards neither grade nor pass or
    /// fail unless --include-unsupervised
    Results {
        #[arg(value_name = "ID", add = clap_complete::ArgValueCandidates::new(complete::exams))]
        id: String,
        /// Count exam attempts that came in progress bundles (sat unsupervised on learners' own machines) in the
        /// grade and pass or fail
        #[arg(long)]
        include_unsupervised: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Item analysis: per question, facility, discrimination and choice counts; broken-looking questions first
    Items {
        /// Analyse the closed supervised attempts at this exam
        #[arg(long, value_name = "ID", conflicts_with = "deck", add = clap_complete::ArgValueCandidates::new(complete::exams))]
        exam: Option<String>,
        /// Analyse learners' first study answers to this deck's cards
        #[arg(long, value_name = "ID", add = clap_complete::ArgValueCandidates::new(complete::decks))]
        deck: Option<String>,
        /// With --exam: also the attempts that came in progress bundles (sat unsupervised on learners' own
        /// machines), left out by default
        #[arg(long, requires = "exam")]
        include_unsupervised: bool,
    },
    /// The cards learners flagged: deck, card, learner, note, when, state; open flags only unless --all.
    /// `--resolve ID` marks flags dealt with
    Flags {
        /// Also the flags learners took back and those already resolved
        #[arg(long, conflicts_with = "resolve")]
        all: bool,
        /// Only flags on this deck's cards
        #[arg(long, value_name = "ID", conflicts_with = "resolve", add = clap_complete::ArgValueCandidates::new(complete::decks))]
        deck: Option<String>,
        /// Resolve these flags (repeatable; the ids are in the list's ID column)
        #[arg(long, value_name = "ID")]
        resolve: Vec<i64>,
    },
    /// A link that signs you in to the class page in a browser, on a class server with TLS: for a teacher the
    /// class, each learner, item analysis and open flags; for a student their own page (the link works once, for
    /// ten minutes)
    Web,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_usage_error_echoes_the_value_cleaned() {
        let bad = "2026-\u{1b}[2J\u{1b}]52;c;cHduZWQ=\u{7}12\u{2028}-14\u{2029}";
        let e = Cli::try_parse_from(["detente", "study", "--exam-date", bad])
            .expect_err("a bad date is refused");
        assert!(e.use_stderr());
        let text = error_text(&e);
        assert!(text.contains("2026-12-14"), "{text}");
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\u{2028}', '\u{2029}']),
            "{text:?}"
        );
        assert_eq!(e.exit_code(), 2);
    }
}
