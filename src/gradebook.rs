//! Gradebooks as pure functions over plain values: reading class lists (a plain roster CSV, a Moodle or a Canvas
//! gradebook export) into identities, choosing an exam's grade from closed attempts (highest, last, mean), and
//! writing grade CSVs in the exact layouts of `reference/formats.md`: detente's native long format, Moodle,
//! Canvas and Blackboard (Original). Text cells a spreadsheet would execute are neutralized; numbers never are.

use crate::exam::Grading;
use crate::store::{ExamScore, Identity, RosterProblem, RosterRow};
use std::io::{Read, Write};

/// A text cell made safe for spreadsheets: one starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'`, as Canvas's own exporter does for `=`.
pub fn neutralize(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
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
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut records = reader.records();
    let bad = |line: usize, message: String| RosterProblem { line, message };
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
    /// Active items whose retrievability now is at least the learner's target.
    pub mastered: u32,
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
    /// Whether a learner carries the identifier this layout needs to match them in the LMS.
    pub fn identifies(self, id: &Identity) -> bool {
        let id = id.cleaned();
        match self {
            Layout::Native => true,
            Layout::Moodle => id.email.is_some() || id.student_id.is_some(),
            Layout::Canvas => id.student_id.is_some() || id.username.is_some(),
            Layout::Blackboard => id.username.is_some(),
        }
    }

    /// What a learner must have for this layout, for messages.
    pub fn needs(self) -> &'static str {
        match self {
            Layout::Native => "nothing",
            Layout::Moodle => "an email or a student id (Moodle's ID number)",
            Layout::Canvas => "a student id (SIS User ID) or a username (SIS Login ID)",
            Layout::Blackboard => "a username",
        }
    }
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

/// Writes a sheet in a layout, UTF-8 without BOM, RFC 4180 quoting. Learners lacking the identifier the layout
/// needs are left out and returned by name, for the caller to report.
pub fn write(layout: Layout, sheet: &Sheet, out: impl Write) -> csv::Result<Vec<String>> {
    let mut w = csv::WriterBuilder::new()
        .quote_style(if layout == Layout::Blackboard {
            // Blackboard's own downloads quote every field, and its upload help asks for quoted fields.
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        })
        .from_writer(out);
    let (kept, left_out): (Vec<&Student>, Vec<&Student>) = sheet
        .students
        .iter()
        .partition(|s| layout.identifies(&s.identity));
    match layout {
        Layout::Native => write_native(&mut w, sheet)?,
        Layout::Moodle | Layout::Canvas | Layout::Blackboard => {
            write_wide(&mut w, layout, sheet, &kept)?
        }
    }
    w.flush()?;
    Ok(left_out.iter().map(|s| s.name.clone()).collect())
}

fn write_native<W: Write>(w: &mut csv::Writer<W>, sheet: &Sheet) -> csv::Result<()> {
    w.write_record(NATIVE_HEADER)?;
    for s in &sheet.students {
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
            row.extend([String::new(), neutralize(&exam.id)]);
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
            for (assessment, score, max, pct) in [
                (
                    "cards studied",
                    d.studied,
                    Some(deck.items),
                    Some(percent(d.studied, deck.items)),
                ),
                (
                    "mastery",
                    d.mastered,
                    Some(deck.items),
                    Some(percent(d.mastered, deck.items)),
                ),
                ("days active", d.days_active, None, None),
            ] {
                let mut row: Vec<String> = person.to_vec();
                row.extend([
                    neutralize(&deck.id),
                    assessment.to_string(),
                    String::new(),
                    score.to_string(),
                    max.map(|m| m.to_string()).unwrap_or_default(),
                    pct.map(number).unwrap_or_default(),
                    done.clone(),
                ]);
                w.write_record(&row)?;
            }
        }
    }
    Ok(())
}

/// The study column titles of a deck, in order: cards studied, mastery, days active, last activity.
pub fn deck_titles(deck: &str) -> [String; 4] {
    [
        format!("{deck}: cards studied"),
        format!("{deck}: mastery %"),
        format!("{deck}: days active"),
        format!("{deck}: last activity"),
    ]
}

fn write_wide<W: Write>(
    w: &mut csv::Writer<W>,
    layout: Layout,
    sheet: &Sheet,
    students: &[&Student],
) -> csv::Result<()> {
    let mut header: Vec<String> = match layout {
        Layout::Moodle => vec!["Email address", "ID number", "First name", "Last name"],
        Layout::Canvas => vec!["Student", "ID", "SIS User ID", "SIS Login ID", "Section"],
        _ => vec!["Last Name", "First Name", "Username", "Student ID"],
    }
    .into_iter()
    .map(str::to_string)
    .collect();
    let bb = |title: &str, points: Option<f64>| match points {
        Some(p) => format!("{title} [Total Pts: {} Score]", number(p)),
        None => title.to_string(),
    };
    for e in &sheet.exams {
        header.push(match layout {
            Layout::Blackboard => bb(&neutralize(&e.title), Some(e.points)),
            _ => neutralize(&e.title),
        });
    }
    for d in &sheet.decks {
        let [studied, mastery, days, last] = deck_titles(&neutralize(&d.id));
        if layout == Layout::Blackboard {
            // Counts and dates have no points: Blackboard makes them text columns.
            header.extend([
                bb(&studied, Some(f64::from(d.items))),
                bb(&mastery, Some(100.0)),
                days,
                last,
            ]);
        } else {
            header.extend([studied, mastery, days, last]);
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
            // "read only" makes Canvas skip the date column instead of creating an assignment of it.
            row.extend([
                d.items.to_string(),
                "100".into(),
                String::new(),
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
                vec![
                    neutralize(&sortable),
                    String::new(),
                    text(&id.student_id),
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
                d.studied.to_string(),
                number(percent(d.mastered, deck.items)),
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
}
