//! detente: a terminal quiz and flashcard trainer for international-relations courses.
//!
//! The library holds all of the program; `main.rs` only parses arguments and maps errors to exit codes. Layers, each
//! depending only on those listed before it (see DESIGN.md):
//!
//! 1. [`deck`]: the deck format, loading, validation with locations, content hashing, the built-in decks.
//!    [`exam`]: the exam definition format and validation, grading methods, and item statistics: pure.
//! 2. [`schedule`]: FSRS-6 with learning steps, fuzz and day arithmetic: pure functions over its own types (card
//!    state, settings, the logged review); it depends on no storage.
//! 3. [`store`]: SQLite: open, pragmas, migrations and queries; every write helper takes a transaction.
//! 4. [`grade`]: answer normalization and checking: pure.
//!    [`gradebook`]: roster CSVs in, grade CSVs out (native, Moodle, Canvas, Blackboard) and exam grading
//!    methods: pure functions over values the store reads.
//! 5. [`session`]: the study and exam ([`session::exam`]) state machines over a [`session::Prompter`] and a [`session::Clock`].
//! 6. [`stats`]: progress statistics and the FSRS optimizer: pure computations over a learner's log.
//! 7. [`ui`]: the inquire implementation of `Prompter`, rendering and colour; the only user of inquire.
//! 8. [`commands`]: one file per subcommand; [`cli`] holds the clap types.

pub mod bundle;
pub mod cli;
pub mod commands;
pub mod deck;
pub mod error;
pub mod exam;
pub mod grade;
pub mod gradebook;
pub mod lint;
pub mod schedule;
pub mod session;
pub mod stats;
pub mod store;
pub mod text;
pub mod ui;

pub use error::{Error, Result};
