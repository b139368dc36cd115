//! What the integration tests share: the binary run in one environment ([`detente`]), and pseudo-terminal helpers
//! ([`pty`]).

pub mod pty;

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Output;

/// What detente reads from the environment, and the colour detection of the libraries it prints through (clap's,
/// the progress bar's): none of it leaks in from wherever `cargo test` runs. `TZ` is not among them: the binary
/// keeps the test process's local zone, so that its "today" is the one the tests compute with `Calendar::local`
/// and `chrono::Local`; tests whose expectations are made in UTC say so (see [`as_teacher`]).
const READ_BY_DETENTE: &[&str] = &[
    "DETENTE_DB",
    "DETENTE_LEARNER",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "TERM",
    "COLUMNS",
    "XDG_DATA_HOME",
    "HOME",
    "USER",
    "LOGNAME",
    "USERNAME",
];

/// The binary under test: `DETENTE_BIN` when set (to run the checks against another build, such as an older
/// version, to measure what it let through), else this package's.
fn bin() -> PathBuf {
    std::env::var_os("DETENTE_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_detente").into(), PathBuf::from)
}

/// Gives `cmd` (detente, or a shell that starts it) the environment every test runs detente in: the variables of
/// [`READ_BY_DETENTE`] cleared, then the database `db`, learner `ann`, and `NO_COLOR`, so that what it prints is
/// plain text. Callers add what they need (another learner, `COLUMNS`, `TZ`, `TERM`).
fn environment<'a>(cmd: &'a mut std::process::Command, db: &Path) -> &'a mut std::process::Command {
    for var in READ_BY_DETENTE {
        cmd.env_remove(var);
    }
    cmd.env("DETENTE_DB", db)
        .env("DETENTE_LEARNER", "ann")
        .env("NO_COLOR", "1")
}

/// [`detente`] as a `std::process::Command`, for a test that spawns several at once.
pub fn process(db: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(bin());
    environment(&mut cmd, db);
    cmd
}

/// The detente binary on the database `db`, as learner `ann`, in the one test environment (see [`environment`]).
pub fn detente(db: &Path) -> Command {
    Command::from_std(process(db))
}

/// [`detente`] as the learner `teacher`, with `TZ=UTC`: for the gradebook's tests and the reliability checks on
/// bundles and exports, whose dates and day numbers were made with a UTC calendar (the binary replays progress in
/// the local zone).
pub fn as_teacher(db: &Path) -> Command {
    let mut cmd = detente(db);
    cmd.env("DETENTE_LEARNER", "teacher").env("TZ", "UTC");
    cmd
}

/// Runs `cmd` (from [`detente`] or [`as_teacher`]) with `args` and returns what it did.
pub fn run(mut cmd: Command, args: &[&str]) -> Output {
    cmd.args(args).output().expect("run detente")
}
