//! Gradebooks as pure functions over plain values: reading class lists (a plain roster CSV, a Moodle or a Canvas
//! gradebook export) into identities, choosing an exam's grade from closed attempts (highest, last, mean), and
//! writing grade CSVs in the exact layouts the LMS importers read (`docs/formats.md` §2 and §3): detente's native long format, Moodle, Canvas
//! and Blackboard (Original). Text cells a spreadsheet would execute are neutralized; numbers never are, and
//! identifiers are written as the LMS holds them (neutralized only when the teacher asks), since the LMS matches them.
//!
//! A grade must never reach the wrong student. Each LMS importer matches a row on one identifier ([`MatchBy`]):
//! a learner without it, or sharing it with another learner, is left out of the file and named to the caller,
//! so no row ever has an empty or ambiguous identifier. The importers' rules these layouts follow (Moodle's
//! `grade/import/csv/classes/load_data.php`, Canvas's `lib/gradebook_importer.rb`) are tested in
//! `tests/gradebook.rs`.
//!
//! Where things are: `identity` (a learner's identifiers), `roster` (reading class lists), `sheet` (the columns and
//! rows of an export, and grading), `layout` (layouts, matching, [`write()`]), `native` and `lms` (the layouts
//! themselves), `cells` (how a value is written in a cell), `existing` (a gradebook downloaded from the LMS, whose
//! columns' ids the export writes into).

mod cells;
mod existing;
mod identity;
mod layout;
mod lms;
mod native;
mod roster;
mod sheet;

pub use cells::{executable, neutralize, number};
pub use existing::{
    LmsColumn, align_identifiers, match_columns, moodle_identifier_header, moodle_identifiers,
    read_gradebook,
};
pub use identity::{Identity, RosterProblem, RosterRow, check_identifier, normal, pick_name};
pub use layout::{Layout, LeftOut, MatchBy, RiskyIdentifier, matchable, risky_identifiers, write};
pub use lms::{canvas_title, deck_titles, duplicate_titles, mastery_name};
pub use native::NATIVE_HEADER;
pub use roster::{RosterLayout, read_roster};
pub use sheet::{
    DeckColumn, DeckResult, ExamColumn, ExamResult, ExamScore, Sheet, Student, graded,
};
