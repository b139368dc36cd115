//! detente: a terminal quiz and flashcard trainer for international-relations courses.
//!
//! The library holds all of the program; `main.rs` only parses arguments and maps errors to exit codes. The modules
//! in their layers, bottom first: a module may use only the modules listed before it. `tests/it/architecture.rs`
//! fails on any `crate::` path that runs up this list, and ARCHITECTURE.md draws the same order.
//!
//! Pure logic (no I/O, no SQL; a clock and a seeded RNG are passed in):
//!
//! 1. [`error`]: the error type and the exit code each kind of error maps to.
//! 2. [`text`]: text helpers with no `crate::` imports: cleaning outside text, shell quoting, numbers and dates
//!    as people write them, FNV-1a.
//! 3. [`time`]: units of time: a moment in Unix milliseconds ([`time::UnixMs`]) and a calendar day number
//!    ([`time::Day`]), and the conversions between them.
//! 4. [`schedule`]: FSRS-6 with learning steps, fuzz, the day calendar, daily limits, exam dates and ratings.
//! 5. [`deck`]: the deck format, parsing with located diagnostics, the foreign formats, the built-in decks.
//! 6. [`grade`]: answer normalization and checking, partial credit.
//! 7. [`lint`]: item-writing warnings over a parsed deck (`deck check` composes parsing and lint).
//! 8. [`exam`]: the exam definition format, grading methods and item analysis.
//! 9. [`stats`]: progress statistics and the FSRS optimizer over a learner's log.
//! 10. [`gradebook`]: learner identities, roster CSVs in, grade CSVs out (Moodle, Canvas, Blackboard).
//! 11. [`enrol`]: enrolment codes (generated from a passed-in RNG, typed forgivingly), the keys derived from them,
//!     their ids, and authenticating bytes with a key (HMAC-SHA256).
//! 12. [`bundle`]: the progress-bundle format: records, checksum and authentication tag, streaming reader and
//!     writer.
//! 13. [`sync`]: sync's merge rules: events keyed by (device, sequence), merging (duplicates ignored, conflicts
//!     refused), the digest of a log, retractions, the replay order of a merged log.
//!
//! Storage:
//!
//! 14. [`store`]: SQLite: open, migrations and queries, the only module with SQL; each write helper takes a
//!     transaction.
//!
//! The session:
//!
//! 15. [`session`]: the study and exam state machines over a [`session::Prompter`] and a [`session::Clock`].
//!
//! The terminal:
//!
//! 16. [`ui`]: the inquire implementation of `Prompter`, the crossterm screens of an exam, layout, colour, the text
//!     and HTML reports; the only module that draws on the terminal.
//!
//! The class server:
//!
//! 17. [`server`]: the API a class server and its clients speak, the client (every build), and with the `server`
//!     feature the daemon: its configuration, the Unix socket, identity from the kernel, the routes.
//!
//! Commands:
//!
//! 18. [`cli`]: the clap types, and only they.
//! 19. [`commands`]: one file per subcommand.

pub mod bundle;
pub mod cli;
pub mod commands;
pub mod deck;
pub mod enrol;
pub mod error;
pub mod exam;
pub mod grade;
pub mod gradebook;
pub mod lint;
pub mod schedule;
pub mod server;
pub mod session;
pub mod stats;
pub mod store;
pub mod sync;
pub mod text;
pub mod time;
pub mod ui;

pub use error::{Error, Result};
