//! The grade CSV layouts (native, Moodle, Canvas, Blackboard), the identifier each LMS matches a row on, leaving
//! out the learners who lack it or share it, and [`write()`], which writes a sheet in a layout.

use super::lms::write_wide;
use super::native::write_native;
use super::{Identity, Sheet, Student};
use std::io::Write;

/// The identifier an LMS matches a grade row on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MatchBy {
    /// The email address (Moodle's "Email address"; Moodle compares it case-sensitively).
    Email,
    /// The institution's id as Moodle's "ID number".
    IdNumber,
    /// The LMS login: Moodle's "Username", Canvas's "SIS Login ID", Blackboard's "Username".
    Username,
    /// The institution's id as Canvas's "SIS User ID".
    Sis,
}

impl MatchBy {
    /// The learner's value of this identifier, trimmed; `None` when absent or empty.
    pub fn value(self, id: &Identity) -> Option<String> {
        let id = id.cleaned();
        match self {
            MatchBy::Email => id.email,
            MatchBy::IdNumber | MatchBy::Sis => id.student_id,
            MatchBy::Username => id.username,
        }
    }

    /// The `detente learner set` option that gives a learner this identifier.
    pub fn flag(self) -> &'static str {
        match self {
            MatchBy::Email => "--email",
            MatchBy::IdNumber | MatchBy::Sis => "--student-id",
            MatchBy::Username => "--username",
        }
    }

    /// The identifier as the LMS names it, for messages.
    pub fn label(self, layout: Layout) -> &'static str {
        match (self, layout) {
            (MatchBy::Email, _) => "an email address",
            (MatchBy::IdNumber, Layout::Canvas) | (MatchBy::Sis, _) => "a SIS User ID (student id)",
            (MatchBy::IdNumber, _) => "an ID number (student id)",
            (MatchBy::Username, Layout::Canvas) => "a SIS Login ID (username)",
            (MatchBy::Username, _) => "a username",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MatchBy::Email => "email",
            MatchBy::IdNumber => "idnumber",
            MatchBy::Username => "username",
            MatchBy::Sis => "sis",
        }
    }
}

/// Why a learner is not in a grade file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum LeftOut {
    /// They have no value for the identifier the LMS matches on.
    Missing { name: String },
    /// Another learner has the same value: the LMS would credit both rows to one student.
    Shared { name: String, value: String },
    /// Their identifier is in no row of the gradebook downloaded from the LMS: Moodle aborts the whole import on a
    /// user it cannot find (`usermappingerror`).
    NotInGradebook { name: String, value: String },
    /// Their identifier is in several rows of the gradebook: Moodle's lookup finds several users and aborts the
    /// whole import.
    SeveralInGradebook { name: String, value: String },
}

/// The grade CSV layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Layout {
    Native,
    Moodle,
    Canvas,
    Blackboard,
}

impl Layout {
    /// What the LMS's importer matches on unless the teacher says otherwise: Moodle's CSV import is mapped from
    /// "Email address", Canvas tries "SIS User ID" before "SIS Login ID", Blackboard keys every row on "Username".
    /// The native layout holds every learner.
    pub fn default_match(self) -> Option<MatchBy> {
        match self {
            Layout::Native => None,
            Layout::Moodle => Some(MatchBy::Email),
            Layout::Canvas => Some(MatchBy::Sis),
            Layout::Blackboard => Some(MatchBy::Username),
        }
    }

    /// The identifiers this layout has a column the importer can match on.
    pub fn accepts(self, by: MatchBy) -> bool {
        match self {
            Layout::Native => true,
            Layout::Moodle => matches!(by, MatchBy::Email | MatchBy::IdNumber | MatchBy::Username),
            Layout::Canvas => matches!(by, MatchBy::Sis | MatchBy::IdNumber | MatchBy::Username),
            Layout::Blackboard => by == MatchBy::Username,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Layout::Native => "native",
            Layout::Moodle => "moodle",
            Layout::Canvas => "canvas",
            Layout::Blackboard => "blackboard",
        }
    }
}

/// Splits the students into those who can be written and those left out: without the identifier, or sharing
/// its value with another learner. With no identifier (the native layout's default) everyone is kept.
pub fn matchable(students: &[Student], by: Option<MatchBy>) -> (Vec<&Student>, Vec<LeftOut>) {
    let Some(by) = by else {
        return (students.iter().collect(), Vec::new());
    };
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for s in students {
        if let Some(v) = by.value(&s.identity) {
            *seen.entry(v).or_default() += 1;
        }
    }
    let mut kept = Vec::new();
    let mut left = Vec::new();
    for s in students {
        match by.value(&s.identity) {
            None => left.push(LeftOut::Missing {
                name: s.name.clone(),
            }),
            Some(v) if seen.get(&v).copied().unwrap_or(0) > 1 => left.push(LeftOut::Shared {
                name: s.name.clone(),
                value: v,
            }),
            Some(_) => kept.push(s),
        }
    }
    (kept, left)
}

/// An identifier written in a grade file that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return): whose it is, the column, and the value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RiskyIdentifier {
    pub name: String,
    pub column: String,
    pub value: String,
}

/// The identifier columns `layout` writes for a learner (matched on `by`), by their header, with the values.
fn identifier_columns(
    layout: Layout,
    by: Option<MatchBy>,
    id: &Identity,
) -> Vec<(&'static str, Option<String>)> {
    let id = id.cleaned();
    match layout {
        Layout::Native => Vec::new(),
        Layout::Moodle => {
            let mut cols = vec![("Email address", id.email), ("ID number", id.student_id)];
            if by == Some(MatchBy::Username) {
                cols.push(("Username", id.username));
            }
            cols
        }
        Layout::Canvas => {
            let sis = if by == Some(MatchBy::Username) {
                None
            } else {
                id.student_id
            };
            vec![("SIS User ID", sis), ("SIS Login ID", id.username)]
        }
        Layout::Blackboard => vec![("Username", id.username), ("Student ID", id.student_id)],
    }
}

/// The identifiers of the learners `write` keeps that a spreadsheet would run as formulas, in roster order: each is
/// written as the LMS holds it (or neutralized with `--guard-identifiers`), and named to the teacher either way.
pub fn risky_identifiers(
    layout: Layout,
    sheet: &Sheet,
    by: Option<MatchBy>,
) -> Vec<RiskyIdentifier> {
    let by = by.or(layout.default_match());
    let (kept, _) = matchable(&sheet.students, by);
    let mut out = Vec::new();
    for s in kept {
        for (column, value) in identifier_columns(layout, by, &s.identity) {
            if let Some(v) = value.filter(|v| super::cells::executable(v)) {
                out.push(RiskyIdentifier {
                    name: s.name.clone(),
                    column: column.to_string(),
                    value: v,
                });
            }
        }
    }
    out
}

/// Writes a sheet in a layout, UTF-8 without BOM, RFC 4180 quoting, every row matched on `by` (the layout's
/// [`Layout::default_match`] when `None`). Learners without that identifier, or sharing its value, are left out and
/// returned, for the caller to report: no row ever has an empty or ambiguous identifier. Identifier columns are
/// written exactly as the LMS holds them, since it matches them byte for byte; with `guard` they are neutralized as
/// text cells are (for a file to be opened in a spreadsheet first). Names, titles and other text are always
/// neutralized. `headers` gives, by exam id, the header of an existing LMS column to write an exam's grades into
/// (from [`super::match_columns`]); other exams get a header of their title.
pub fn write(
    layout: Layout,
    sheet: &Sheet,
    by: Option<MatchBy>,
    guard: bool,
    headers: &std::collections::BTreeMap<String, String>,
    out: impl Write,
) -> csv::Result<Vec<LeftOut>> {
    let by = by.or(layout.default_match());
    let mut w = csv::WriterBuilder::new()
        .quote_style(if layout == Layout::Blackboard {
            // Blackboard's own downloads quote every field, and its upload help asks for quoted fields.
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        })
        .from_writer(out);
    let (kept, left_out) = matchable(&sheet.students, by);
    match layout {
        Layout::Native => write_native(&mut w, sheet, &kept)?,
        Layout::Moodle | Layout::Canvas | Layout::Blackboard => {
            write_wide(&mut w, layout, by, guard, headers, sheet, &kept)?
        }
    }
    w.flush()?;
    Ok(left_out)
}
