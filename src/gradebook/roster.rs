//! Reading a class list into identities: a plain roster CSV, or a Moodle or Canvas gradebook export, its layout
//! told from its header and its columns matched loosely by name. A file that is not CSV, or names no column that
//! identifies a learner, is refused with the line.

use super::{Identity, RosterProblem, RosterRow};
use std::io::Read;

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
