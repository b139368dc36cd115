//! The library's error type and the exit codes (listed in the README) that each kind of error maps to.

use std::path::PathBuf;

/// Exit codes, as documented in the README.
pub mod exit {
    /// Success, including a session the learner ended and a closed pipe.
    pub const OK: i32 = 0;
    /// Runtime error: database, file system.
    pub const RUNTIME: i32 = 1;
    /// Usage error, or an interactive command without a terminal.
    pub const USAGE: i32 = 2;
    /// Invalid input data: a deck that does not validate.
    pub const DATA: i32 = 65;
    /// The class server cannot be reached, or speaks a protocol version outside this detente's window.
    pub const UNAVAILABLE: i32 = 69;
    /// The class server refused: the caller is not on its roster, not a teacher for a teacher's command, or named
    /// someone else with `--learner`.
    pub const REFUSED: i32 = 77;
    /// Interrupted by Ctrl-C.
    pub const INTERRUPTED: i32 = 130;
}

/// Everything that can go wrong in detente that a user can cause or meet.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command was used wrongly (an unknown deck, a bad option value).
    #[error("{0}")]
    Usage(String),
    /// An interactive command was run without a terminal.
    #[error("{0}")]
    NoTerminal(String),
    /// Input data did not validate; the diagnostics have already been printed or are in the message.
    #[error("{0}")]
    InvalidData(String),
    /// The learner pressed Ctrl-C.
    #[error("interrupted")]
    Interrupted,
    /// The database was written by a newer detente.
    #[error(
        "{path}: this database was written by a newer detente (schema version {found}, this one knows {known}); it was left untouched"
    )]
    DatabaseTooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    /// The database file is read-only and the command needs to write, or to upgrade it.
    #[error("{0}")]
    ReadOnly(String),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("scheduler: {0}")]
    Fsrs(String),
    #[error("terminal: {0}")]
    Terminal(String),
    /// The learner ended a session after an answer could not be written; the text says which answer.
    #[error("not saved: {0}")]
    NotSaved(String),
    /// The class server refused the caller; the text names who the server says they are.
    #[error("{0}")]
    Refused(String),
    /// The class server cannot be reached, failed, or speaks a protocol outside this detente's window.
    #[error("{0}")]
    Server(String),
}

impl Error {
    /// The process exit code this error ends the program with.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::NoTerminal(_) => exit::USAGE,
            Error::InvalidData(_) => exit::DATA,
            Error::Interrupted => exit::INTERRUPTED,
            Error::Refused(_) => exit::REFUSED,
            Error::Server(_) => exit::UNAVAILABLE,
            _ => exit::RUNTIME,
        }
    }

    /// Whether the database or the file system failed (busy past the timeout, disk full, an I/O error): the
    /// failed action may succeed if tried again.
    pub fn is_storage(&self) -> bool {
        matches!(self, Error::Sqlite(_) | Error::Io { .. })
    }

    /// An I/O error with what was being done when it happened.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

impl From<fsrs::FSRSError> for Error {
    fn from(e: fsrs::FSRSError) -> Self {
        Error::Fsrs(format!("{e:?}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
