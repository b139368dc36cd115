//! The `detente` binary: parses the command line, runs the command, and turns errors into one line on stderr (wrapped
//! at word boundaries when stderr is a terminal) and the exit codes documented in the README.

use detente::error::{Error, exit};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A shell asking what to complete (`COMPLETE=bash detente -- ...`) is answered, and nothing else runs.
    detente::cli::complete_if_asked();
    let cli = match detente::cli::parse() {
        Ok(cli) => cli,
        Err(code) => return ExitCode::from(u8::try_from(code).unwrap_or(2)),
    };
    let code = match detente::commands::run(cli).map_err(anyhow::Error::from) {
        Ok(code) => code,
        Err(e) => report(&e),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Prints an error as one line and returns its exit code. A closed pipe (`detente decks | head`) is success.
fn report(e: &anyhow::Error) -> i32 {
    if let Some(Error::Io { source, .. }) = e.downcast_ref::<Error>()
        && source.kind() == std::io::ErrorKind::BrokenPipe
    {
        return exit::OK;
    }
    let code = e
        .downcast_ref::<Error>()
        .map_or(exit::RUNTIME, Error::exit_code);
    if !matches!(e.downcast_ref::<Error>(), Some(Error::Interrupted)) {
        let line = format!("detente: {}", message(e));
        eprintln!("{}", shown(&line, std::io::stderr().is_terminal()));
    }
    code
}

/// The error line as it is printed: on a terminal, wrapped at word boundaries to its width (the lines after the
/// first indented), so no word is split at the edge; to a pipe or a file, one line, for scripts and logs.
fn shown(line: &str, terminal: bool) -> String {
    if !terminal {
        return line.to_string();
    }
    // The operating system's "(os error 2)" is one unit: a break inside it reads as two numbers.
    let glued = line.replace("(os error ", "(os\u{a0}error\u{a0}");
    detente::ui::layout::wrap(&glued, detente::ui::layout::width(), "", "  ").join("\n")
}

/// The error and its causes on one line, each text said once (a database error's cause repeats it, "database is
/// locked: Error code 5: database is locked"), cleaned of control characters, since file names and values in it
/// came from outside.
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        // A cause already said, or said again behind a prefix of its own ("Error code 5: ..."), adds nothing.
        if text.is_empty() || text.split(": ").any(|part| out.contains(part)) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    detente::text::clean(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Attack: a long error on a terminal must not be cut mid-word at the edge ("(os error / 2)"), and one sent to a
    /// pipe must stay one line.
    #[test]
    fn an_error_wraps_at_words_on_a_terminal_and_stays_one_line_in_a_pipe() {
        let line = "detente: cannot open /home/student/courses/international-relations/decks/nato-russia.toml (os error 2)";
        assert_eq!(shown(line, false), line);
        let wrapped = shown(line, true);
        for l in wrapped.lines() {
            assert!(l.chars().count() <= detente::ui::layout::width(), "{l:?}");
        }
        assert!(wrapped.contains("(os\u{a0}error\u{a0}2)"), "{wrapped}");
        assert_eq!(
            wrapped.split_whitespace().collect::<Vec<_>>(),
            line.split_whitespace().collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_database_error_says_its_text_once() {
        let locked = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(5),
            Some("database is locked".into()),
        );
        let e = anyhow::Error::from(Error::Sqlite(locked));
        assert_eq!(message(&e), "database: database is locked");
        let io = Error::io(
            "cannot write r.html",
            std::io::Error::other("No space left on device"),
        );
        assert_eq!(
            message(&anyhow::Error::from(io)),
            "cannot write r.html: No space left on device"
        );
    }
}
