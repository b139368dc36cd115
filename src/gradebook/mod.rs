//! Gradebooks as pure functions over plain values: reading class lists (a plain roster CSV, a Moodle or a Canvas
//! gradebook export) into identities, choosing an exam's grade from closed attempts (highest, last, mean), and
//! writing grade CSVs in the exact layouts of `reference/formats.md`: detente's native long format, Moodle,
//! Canvas and Blackboard (Original). Text cells a spreadsheet would execute are neutralized; numbers never are.
//!
//! A grade must never reach the wrong student. Each LMS importer matches a row on one identifier ([`MatchBy`]):
//! a learner without it, or sharing it with another learner, is left out of the file and named to the caller,
//! so no row ever has an empty or ambiguous identifier. The importers' rules these layouts follow (Moodle's
//! `grade/import/csv/classes/load_data.php`, Canvas's `lib/gradebook_importer.rb`) are quoted in
//! `reference/formats.md` sections 2 and 3 and tested in `tests/gradebook.rs`.

use crate::exam::Grading;
mod identity;

pub use identity::{Identity, RosterProblem, RosterRow, check_identifier, normal};
use std::io::{Read, Write};

/// A text cell made safe for spreadsheets: one starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'`, as Canvas's own exporter does for `=`. Control and invisible format characters are removed first
/// (see [`crate::text::clean`]), so that none can hide a leading `=` from this check.
pub fn neutralize(text: &str) -> String {
    let text = crate::text::clean(text);
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text,
    }
}

/// The line on which a quoted CSV field opens and is never closed, if one is.
fn unterminated_quote(bytes: &[u8]) -> Option<usize> {
    let mut line = 1;
    let mut field_start = true;
    let mut open: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match (open, b) {
            (Some(_), b'"') if bytes.get(i + 1) == Some(&b'"') => i += 1,
            (Some(_), b'"') => open = None,
            (None, b'"') if field_start => open = Some(line),
            _ => {}
        }
        if b == b'\n' {
            line += 1;
        }
        field_start = open.is_none() && matches!(b, b',' | b'\n' | b'\r');
        i += 1;
    }
    open
}

/// A number as a grade cell: at most two decimals, no trailing zeros, `.` as the decimal point.
pub fn number(value: f64) -> String {
    let s = format!("{:.2}", (value * 100.0).round() / 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// Which layout a roster file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RosterLayout {
    Plain,
    Moodle,
    Canvas,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Username,
    First,
    Last,
    Email,
    StudentId,
    /// Canvas's "Student": "Last, First".
    SortableName,
}

/// A header as a loose key: lower case, letters and digits only.
fn loose(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn field_of(key: &str, layout: RosterLayout) -> Option<Field> {
    Some(match key {
        "username" | "user" | "login" | "loginid" | "sisloginid" | "userlogin" => Field::Username,
        "firstname" | "first" | "givenname" | "forename" | "firstnames" => Field::First,
        "lastname" | "last" | "surname" | "familyname" => Field::Last,
        "email" | "emailaddress" | "mail" | "emailaddr" => Field::Email,
        "studentid"
        | "idnumber"
        | "sisuserid"
        | "studentnumber"
        | "matriculationnumber"
        | "sisid" => Field::StudentId,
        // Canvas's ID is its own user id, useless elsewhere; in a plain roster it is the student id.
        "id" if layout == RosterLayout::Plain => Field::StudentId,
        "student" if layout == RosterLayout::Canvas => Field::SortableName,
        _ => return None,
    })
}

/// Reads a roster: its layout, and one row per line that has any value (lines counted from 1, the header).
/// Canvas's "Points Possible" (and "Muted"/"Manual Posting") rows are skipped. Fails, with the line, when the
/// file is not CSV or its header has no column that identifies a learner.
pub fn read_roster(
    input: impl Read,
) -> std::result::Result<(RosterLayout, Vec<RosterRow>), RosterProblem> {
    let bad = |line: usize, message: String| RosterProblem { line, message };
    let mut input = input;
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| bad(0, format!("cannot read the file: {e}")))?;
    // The csv crate reads an unterminated quote as a field running to the end of the file: refuse it.
    if let Some(line) = unterminated_quote(&bytes) {
        return Err(bad(
            line,
            "a quoted field is never closed: its opening \" has no closing \"".into(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(bad(1, format!("not a CSV file: {e}"))),
        None => return Err(bad(1, "the file is empty".into())),
    };
    let keys: Vec<String> = header.iter().map(loose).collect();
    let layout = if keys.first().is_some_and(|k| k.contains("student"))
        && keys.get(1).is_some_and(|k| k == "id")
    {
        RosterLayout::Canvas
    } else if keys.iter().any(|k| k == "emailaddress" || k == "idnumber")
        && keys.iter().any(|k| k == "firstname")
    {
        RosterLayout::Moodle
    } else {
        RosterLayout::Plain
    };
    let fields: Vec<Option<Field>> = keys.iter().map(|k| field_of(k, layout)).collect();
    if !fields
        .iter()
        .any(|f| matches!(f, Some(Field::Username | Field::Email | Field::StudentId)))
    {
        return Err(bad(
            1,
            "the header has no username, email or student id column".into(),
        ));
    }
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            bad(line, format!("not a CSV file: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let first = record.get(0).unwrap_or("").trim();
        if layout == RosterLayout::Canvas
            && (first.starts_with("Points Possible")
                || first == "Muted"
                || first == "Manual Posting")
        {
            continue;
        }
        let mut id = Identity::default();
        for (cell, field) in record.iter().zip(&fields) {
            let value = Some(cell.trim().to_string()).filter(|v| !v.is_empty());
            match field {
                Some(Field::Username) => id.username = value,
                Some(Field::First) => id.first_name = value,
                Some(Field::Last) => id.last_name = value,
                Some(Field::Email) => id.email = value,
                Some(Field::StudentId) => id.student_id = value,
                Some(Field::SortableName) => {
                    if let Some(v) = value {
                        match v.split_once(',') {
                            Some((last, first)) => {
                                id.last_name =
                                    Some(last.trim().to_string()).filter(|s| !s.is_empty());
                                id.first_name =
                                    Some(first.trim().to_string()).filter(|s| !s.is_empty());
                            }
                            None => id.last_name = Some(v),
                        }
                    }
                }
                None => {}
            }
        }
        rows.push(RosterRow { line, identity: id });
    }
    Ok((layout, rows))
}

/// An exam's grade for one learner, as a share of the maximum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExamResult {
    /// 0 to 1.
    pub fraction: f64,
    /// The attempt the grade is from; `None` for a mean.
    pub attempt: Option<i64>,
    /// When the counted attempt (for a mean, the last one) closed, Unix milliseconds.
    pub closed_at_ms: i64,
}

/// The grade from a learner's closed attempts by the exam's grading method: `highest`, `last`, or `mean` (of the
/// shares of the maximum). `None` without a closed attempt. An unknown method counts as `highest`.
pub fn graded(grading: &str, attempts: &[&ExamScore]) -> Option<ExamResult> {
    let mut attempts = attempts.to_vec();
    attempts.sort_by_key(|a| a.number);
    let shares: Vec<f64> = attempts
        .iter()
        .map(|a| {
            if a.max_score > 0.0 {
                (a.score / a.max_score).clamp(0.0, 1.0)
            } else {
                0.0
            }
        })
        .collect();
    let method = Grading::named(grading).unwrap_or(Grading::Highest);
    let (fraction, counted) = method.pick(&shares)?;
    let closed = attempts[counted.unwrap_or(attempts.len() - 1)];
    Some(ExamResult {
        fraction,
        attempt: counted.map(|i| attempts[i].number),
        closed_at_ms: closed.closed_at,
    })
}

/// An exam column: its id, the title shown in the LMS, and its points (one per question).
#[derive(Debug, Clone, PartialEq)]
pub struct ExamColumn {
    pub id: String,
    pub title: String,
    pub points: f64,
    /// The exam scores flashcards the learners graded themselves: its column says so.
    pub self_graded: bool,
}

impl ExamColumn {
    /// The title as written in a header: marked when self-graded flashcards count.
    fn heading(&self) -> String {
        if self.self_graded {
            format!("{} (self-graded)", self.title)
        } else {
            self.title.clone()
        }
    }

    /// The assessment name of the native layout: the exam id, marked as the title is.
    fn native_name(&self) -> String {
        if self.self_graded {
            format!("{} (self-graded)", self.id)
        } else {
            self.id.clone()
        }
    }
}

/// A title Canvas will not mistake for an existing assignment. Canvas's importer reads a header ending in
/// `(digits)` as `<title> (<assignment id>)` (`lib/gradebook_importer.rb`, `/\A(.*)\s\((\d+)\)\z/`), so a new
/// exam titled "Week 3 quiz (2025)" would be written into assignment 2025, or rejected. Such a final group is
/// written in square brackets instead: "Week 3 quiz [2025]".
pub fn canvas_title(title: &str) -> String {
    let t = title.trim_end();
    if let Some(body) = t.strip_suffix(')')
        && let Some(open) = body.rfind('(')
    {
        let digits = &body[open + 1..];
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            return format!("{}[{digits}]", &body[..open]);
        }
    }
    t.to_string()
}

/// The identifier an LMS matches a grade row on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq)]
pub enum LeftOut {
    /// They have no value for the identifier the LMS matches on.
    Missing { name: String },
    /// Another learner has the same value: the LMS would credit both rows to one student.
    Shared { name: String, value: String },
}

/// A deck's study columns, and how many active study items it has.
#[derive(Debug, Clone, PartialEq)]
pub struct DeckColumn {
    pub id: String,
    pub items: u32,
}

/// A learner's study of one deck.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DeckResult {
    pub studied: u32,
    /// Mastery as `detente stats` computes it ([`crate::stats::mastery`]): the mean predicted recall now of the
    /// deck's active items, new ones counting 0; 0 to 1.
    pub mastery: f64,
    pub days_active: u32,
    pub last_activity_ms: Option<i64>,
}

/// One learner's row: detente's name, identity, and one value per exam and per deck of the [`Sheet`].
#[derive(Debug, Clone, PartialEq)]
pub struct Student {
    pub name: String,
    pub identity: Identity,
    pub exams: Vec<Option<ExamResult>>,
    pub decks: Vec<DeckResult>,
}

/// Everything a grade export writes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheet {
    pub exams: Vec<ExamColumn>,
    pub decks: Vec<DeckColumn>,
    pub students: Vec<Student>,
}

/// The grade CSV layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Native,
    Moodle,
    Canvas,
    Blackboard,
}

impl Layout {
    /// What the LMS's importer matches on unless the teacher says otherwise: Moodle's CSV import is mapped from
    /// "Email address" (`reference/formats.md` 2.3), Canvas tries "SIS User ID" before "SIS Login ID" (3.2),
    /// Blackboard keys every row on "Username" (3.4). The native layout holds every learner.
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

/// The native header.
pub const NATIVE_HEADER: [&str; 13] = [
    "student_key",
    "email",
    "sis_user_id",
    "username",
    "last_name",
    "first_name",
    "deck_id",
    "assessment",
    "attempt",
    "score",
    "max_score",
    "percent",
    "completed_at",
];

fn date(ms: i64) -> String {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn timestamp(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn text(v: &Option<String>) -> String {
    v.as_deref().map(neutralize).unwrap_or_default()
}

fn percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        f64::from(part) * 100.0 / f64::from(whole)
    }
}

/// Writes a sheet in a layout, UTF-8 without BOM, RFC 4180 quoting, every row matched on `by` (the layout's
/// [`Layout::default_match`] when `None`). Learners without that identifier, or sharing its value, are left out and
/// returned, for the caller to report: no row ever has an empty or ambiguous identifier.
pub fn write(
    layout: Layout,
    sheet: &Sheet,
    by: Option<MatchBy>,
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
            write_wide(&mut w, layout, by, sheet, &kept)?
        }
    }
    w.flush()?;
    Ok(left_out)
}

fn write_native<W: Write>(
    w: &mut csv::Writer<W>,
    sheet: &Sheet,
    students: &[&Student],
) -> csv::Result<()> {
    w.write_record(NATIVE_HEADER)?;
    for s in students {
        let id = s.identity.cleaned();
        let person = [
            neutralize(&s.name),
            text(&id.email),
            text(&id.student_id),
            text(&id.username),
            text(&id.last_name),
            text(&id.first_name),
        ];
        for (exam, result) in sheet.exams.iter().zip(&s.exams) {
            let mut row: Vec<String> = person.to_vec();
            row.extend([String::new(), neutralize(&exam.native_name())]);
            match result {
                Some(r) => row.extend([
                    r.attempt.map(|a| a.to_string()).unwrap_or_default(),
                    number(r.fraction * exam.points),
                    number(exam.points),
                    number(r.fraction * 100.0),
                    timestamp(r.closed_at_ms),
                ]),
                None => row.extend([
                    String::new(),
                    String::new(),
                    number(exam.points),
                    String::new(),
                    String::new(),
                ]),
            }
            w.write_record(&row)?;
        }
        for (deck, d) in sheet.decks.iter().zip(&s.decks) {
            let done = d.last_activity_ms.map(timestamp).unwrap_or_default();
            let mastery = number(d.mastery * 100.0);
            for (assessment, score, max, pct) in [
                (
                    "cards studied",
                    d.studied.to_string(),
                    deck.items.to_string(),
                    number(percent(d.studied, deck.items)),
                ),
                // Mastery is a percentage already: out of 100.
                ("mastery", mastery.clone(), "100".to_string(), mastery),
                (
                    "days active",
                    d.days_active.to_string(),
                    String::new(),
                    String::new(),
                ),
            ] {
                let mut row: Vec<String> = person.to_vec();
                row.extend([
                    neutralize(&deck.id),
                    assessment.to_string(),
                    String::new(),
                    score,
                    max,
                    pct,
                    done.clone(),
                ]);
                w.write_record(&row)?;
            }
        }
    }
    Ok(())
}

/// The study column titles of a deck, in order: cards studied, mastery, days active, last activity. In Moodle,
/// whose grades must not exceed 100 (`gradevaluetoobig`), cards studied is a percentage of the deck.
pub fn deck_titles(deck: &str, layout: Layout) -> [String; 4] {
    [
        if layout == Layout::Moodle {
            format!("{deck}: cards studied %")
        } else {
            format!("{deck}: cards studied")
        },
        format!("{deck}: mastery %"),
        format!("{deck}: days active"),
        format!("{deck}: last activity"),
    ]
}

fn write_wide<W: Write>(
    w: &mut csv::Writer<W>,
    layout: Layout,
    by: Option<MatchBy>,
    sheet: &Sheet,
    students: &[&Student],
) -> csv::Result<()> {
    let moodle_username = layout == Layout::Moodle && by == Some(MatchBy::Username);
    let mut header: Vec<String> = match layout {
        Layout::Moodle => vec!["Email address", "ID number", "First name", "Last name"],
        Layout::Canvas => vec!["Student", "ID", "SIS User ID", "SIS Login ID", "Section"],
        _ => vec!["Last Name", "First Name", "Username", "Student ID"],
    }
    .into_iter()
    .map(str::to_string)
    .collect();
    if moodle_username {
        header.push("Username".into());
    }
    let bb = |title: &str, points: Option<f64>| match points {
        Some(p) => format!("{title} [Total Pts: {} Score]", number(p)),
        None => title.to_string(),
    };
    for e in &sheet.exams {
        header.push(match layout {
            Layout::Blackboard => bb(&neutralize(&e.heading()), Some(e.points)),
            Layout::Canvas => neutralize(&canvas_title(&e.heading())),
            _ => neutralize(&e.heading()),
        });
    }
    for d in &sheet.decks {
        let [studied, mastery, days, last] = deck_titles(&neutralize(&d.id), layout);
        match layout {
            // Counts and dates have no points: Blackboard makes them text columns.
            Layout::Blackboard => header.extend([
                bb(&studied, Some(f64::from(d.items))),
                bb(&mastery, Some(100.0)),
                days,
                last,
            ]),
            Layout::Canvas => {
                header.extend([studied, mastery, days, last].map(|t| canvas_title(&t)))
            }
            _ => header.extend([studied, mastery, days, last]),
        }
    }
    w.write_record(&header)?;
    if layout == Layout::Canvas {
        let mut row = vec![
            "    Points Possible".to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
        row.extend(sheet.exams.iter().map(|e| number(e.points)));
        for d in &sheet.decks {
            // Every column has its points or "read only": Canvas creates a new assignment for each header it does
            // not know, and one with an empty Points Possible becomes extra credit. Days active and the last
            // activity date are for reading, not grading, so Canvas skips them.
            row.extend([
                d.items.to_string(),
                "100".into(),
                "read only".into(),
                "read only".into(),
            ]);
        }
        w.write_record(&row)?;
    }
    let none = if layout == Layout::Moodle { "-" } else { "" };
    for s in students {
        let id = s.identity.cleaned();
        let mut row: Vec<String> = match layout {
            Layout::Moodle => vec![
                text(&id.email),
                text(&id.student_id),
                text(&id.first_name),
                text(&id.last_name),
            ],
            Layout::Canvas => {
                let sortable = match (&id.last_name, &id.first_name) {
                    (Some(l), Some(f)) => format!("{l}, {f}"),
                    (Some(n), None) | (None, Some(n)) => n.clone(),
                    (None, None) => s.name.clone(),
                };
                // Canvas matches on SIS User ID before SIS Login ID: when the teacher matches on the login, the
                // student id is left empty so that a stale one cannot take precedence.
                let sis_user = if by == Some(MatchBy::Username) {
                    String::new()
                } else {
                    text(&id.student_id)
                };
                vec![
                    neutralize(&sortable),
                    String::new(),
                    sis_user,
                    text(&id.username),
                    String::new(),
                ]
            }
            _ => vec![
                text(&id.last_name),
                text(&id.first_name),
                text(&id.username),
                text(&id.student_id),
            ],
        };
        if moodle_username {
            row.push(text(&id.username));
        }
        for (exam, result) in sheet.exams.iter().zip(&s.exams) {
            row.push(match (result, layout) {
                (None, _) => none.to_string(),
                // Moodle's items are out of 100 by default: a percentage always fits.
                (Some(r), Layout::Moodle) => number(r.fraction * 100.0),
                (Some(r), _) => number(r.fraction * exam.points),
            });
        }
        for (deck, d) in sheet.decks.iter().zip(&s.decks) {
            row.extend([
                if layout == Layout::Moodle {
                    number(percent(d.studied, deck.items))
                } else {
                    d.studied.to_string()
                },
                number(d.mastery * 100.0),
                d.days_active.to_string(),
                d.last_activity_ms
                    .map(date)
                    .unwrap_or_else(|| none.to_string()),
            ]);
        }
        w.write_record(&row)?;
    }
    Ok(())
}

/// One closed attempt's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ExamScore {
    pub learner_id: i64,
    pub number: i64,
    pub score: f64,
    pub max_score: f64,
    /// Unix milliseconds.
    pub closed_at: i64,
    /// Sat on the learner's own machine and brought in a progress bundle.
    pub unsupervised: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralizes_text_but_numbers_are_written_plainly() {
        assert_eq!(neutralize("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralize("+cmd"), "'+cmd");
        assert_eq!(neutralize("-1"), "'-1");
        assert_eq!(neutralize("@sum"), "'@sum");
        assert_eq!(neutralize("\tx"), "'\tx");
        assert_eq!(neutralize("Ann"), "Ann");
        assert_eq!(number(8.5), "8.5");
        assert_eq!(number(80.0), "80");
        assert_eq!(number(200.0 / 3.0), "66.67");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn grading_methods() {
        let a = |number, score| ExamScore {
            learner_id: 1,
            number,
            score,
            max_score: 10.0,
            closed_at: number * 1000,
            unsupervised: false,
        };
        let (one, two, three) = (a(1, 6.0), a(2, 9.0), a(3, 3.0));
        let all = [&one, &two, &three];
        assert_eq!(graded("highest", &all).map(|r| r.attempt), Some(Some(2)));
        assert_eq!(graded("last", &all).map(|r| r.fraction), Some(0.3));
        let mean = graded("mean", &all).expect("mean");
        assert!((mean.fraction - 0.6).abs() < 1e-9);
        assert_eq!(graded("mean", &[]), None);
    }

    #[test]
    fn canvas_titles_never_end_in_a_number_in_parentheses() {
        assert_eq!(canvas_title("Week 3 quiz (2025)"), "Week 3 quiz [2025]");
        assert_eq!(canvas_title("Quiz(7) "), "Quiz[7]");
        assert_eq!(canvas_title("Quiz (draft)"), "Quiz (draft)");
        assert_eq!(canvas_title("Quiz ()"), "Quiz ()");
        assert_eq!(canvas_title("Midterm"), "Midterm");
    }
}
