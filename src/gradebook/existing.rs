//! The gradebook a teacher downloaded from the LMS (`grades export --gradebook FILE`): its exam columns read with
//! their ids, so that a grade file writes into the columns that exist instead of making new ones. Canvas's headers
//! are `Title (assignment id)` (`lib/gradebook_exporter.rb` writes them so, `lib/gradebook_importer.rb` matches the id
//! first); Blackboard's are `Title [Total Pts: N Score] |column id` (its upload matches the column ID, and makes a new
//! text column for a header without one). Moodle's export names a grade item `Module: Item (Real)` (an activity's) or
//! `Item (Real)` (a manual item's), the names its import form lists the existing grade items by, and holds each
//! student's identifiers as Moodle matches them ([`moodle_identifiers`]). An exam is matched to the column of its
//! title, and its header is written exactly as the gradebook has it.

use super::{ExamColumn, Layout, MatchBy, RosterProblem};
use std::collections::BTreeMap;

/// One column of a downloaded gradebook that the LMS knows by id or name: its title, the header as written, and
/// (Moodle) the activity's item name without its module, matched when no column has the exam's title whole.
#[derive(Debug, Clone, PartialEq)]
pub struct LmsColumn {
    pub title: String,
    pub header: String,
    pub item: Option<String>,
    /// Moodle: the grade item's maximum grade, when the export shows it (a row with the item's `(Real)` grade and
    /// a non-zero `(Percentage)` of it); Moodle's export has no row of maximums.
    pub out_of: Option<f64>,
}

/// A gradebook's rows under its header: its text (a byte-order mark dropped, bytes that are not UTF-8 replaced) read
/// as CSV, rows of any width.
fn records(bytes: &[u8]) -> csv::Reader<std::io::Cursor<String>> {
    let text =
        String::from_utf8_lossy(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)).into_owned();
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(std::io::Cursor::new(text))
}

/// The header row of a gradebook file, as cells; the file's first line.
fn header_row(bytes: &[u8]) -> Result<csv::StringRecord, RosterProblem> {
    let bad = |message: String| RosterProblem { line: 1, message };
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes))
        .map_err(|_| bad("the file is not UTF-8".into()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    match reader.records().next() {
        Some(Ok(h)) => Ok(h),
        Some(Err(e)) => Err(bad(format!("not a CSV file: {e}"))),
        None => Err(bad("the file is empty".into())),
    }
}

/// The header Moodle's export gives the identifier `by` (`grade_export_userprofilefields`, English labels).
pub fn moodle_identifier_header(by: MatchBy) -> &'static str {
    match by {
        MatchBy::Email => "Email address",
        MatchBy::IdNumber | MatchBy::Sis => "ID number",
        MatchBy::Username => "Username",
    }
}

/// The identifiers a Moodle gradebook export holds in its `by` column (`Email address`, `ID number`, `Username`),
/// exactly as Moodle stores them, which its import matches byte for byte (`load_data.php`, `check_user_exists`:
/// `$DB->get_record('user', [field => value])`); empty cells are skipped. Fails, naming the line, when the file has
/// no such column or a row is not CSV.
pub fn moodle_identifiers(bytes: &[u8], by: MatchBy) -> Result<Vec<String>, RosterProblem> {
    let header = header_row(bytes)?;
    let label = moodle_identifier_header(by);
    let column = header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(label))
        .ok_or_else(|| RosterProblem {
            line: 1,
            message: format!(
                "the gradebook has no `{label}` column, which --match-by {} matches on: download it from Moodle \
                 with {label} among the user fields, or choose another --match-by",
                by.name()
            ),
        })?;
    let mut reader = records(bytes);
    let mut values = Vec::new();
    for (k, row) in reader.records().enumerate() {
        let row = row.map_err(|e| RosterProblem {
            line: e.position().map_or(k + 2, |p| p.line() as usize),
            message: format!("not a CSV row: {e}"),
        })?;
        if let Some(v) = row.get(column).map(str::trim).filter(|v| !v.is_empty()) {
            values.push(v.to_string());
        }
    }
    Ok(values)
}

/// The exam columns of a gradebook downloaded from `layout`'s LMS (Canvas or Blackboard): every header cell that
/// carries a column id. Fails, at line 1, when the file is not CSV or has no such column.
pub fn read_gradebook(layout: Layout, bytes: &[u8]) -> Result<Vec<LmsColumn>, RosterProblem> {
    let bad = |message: String| RosterProblem { line: 1, message };
    let header = header_row(bytes)?;
    let mut columns: Vec<LmsColumn> = header
        .iter()
        .filter_map(|cell| {
            let (title, item) = match layout {
                Layout::Canvas => (canvas_column(cell)?, None),
                Layout::Blackboard => (blackboard_column(cell)?, None),
                Layout::Moodle => moodle_column(cell)?,
                Layout::Native => return None,
            };
            Some(LmsColumn {
                title,
                header: cell.to_string(),
                item,
                out_of: None,
            })
        })
        .collect();
    if layout == Layout::Moodle {
        // An item exported in several display types has a column for each: grades go into its `(Real)` one, the
        // grade itself; `(Percentage)` stands in only when the export has no `(Real)` column of that item.
        let real: Vec<String> = columns
            .iter()
            .filter(|c| c.header.trim_end().ends_with(REAL))
            .map(|c| c.title.clone())
            .collect();
        let maxima = moodle_maxima(bytes, &header);
        columns.retain(|c| c.header.trim_end().ends_with(REAL) || !real.contains(&c.title));
        for c in &mut columns {
            c.out_of = maxima.get(&c.title).copied();
        }
    }
    if columns.is_empty() {
        return Err(bad(format!(
            "no column of this file carries {}: is it the gradebook downloaded from {}?",
            match layout {
                Layout::Blackboard => "a column ID (`Title [Total Pts: 10 Score] |123`)",
                Layout::Moodle => {
                    "a grade item (`Quiz: Week 3 (Real)`, as Export > Plain text file writes it)"
                }
                _ => "an assignment id (`Title (123)`)",
            },
            layout.name()
        )));
    }
    Ok(columns)
}

/// Each student's `by` identifier spelled as the downloaded gradebook holds it (`held`, from
/// [`moodle_identifiers`]): the same value (in normal form C), else, for an email address, the one value that differs
/// only in case (Moodle matches an email byte for byte, so `Ann@Uni.edu` on detente's roster must go out as Moodle's
/// `ann@uni.edu`). A student whose identifier the gradebook does not hold, or holds in several rows, is taken out of
/// `students` and returned: Moodle would abort the whole import on them. A student without the identifier is left for
/// [`super::matchable`] to name.
pub fn align_identifiers(
    students: &mut Vec<super::Student>,
    by: MatchBy,
    held: &[String],
) -> Vec<super::LeftOut> {
    let normal: Vec<String> = held.iter().map(|h| super::normal(h)).collect();
    let mut out = Vec::new();
    students.retain_mut(|s| {
        let Some(value) = by.value(&s.identity).map(|v| super::normal(&v)) else {
            return true;
        };
        if normal.iter().filter(|h| **h == value).count() > 1 {
            out.push(super::LeftOut::SeveralInGradebook {
                name: s.name.clone(),
                value,
            });
            return false;
        }
        let exact = normal.iter().position(|h| *h == value);
        let folded = || {
            let lower = value.to_lowercase();
            let same: Vec<usize> = (0..normal.len())
                .filter(|&i| normal[i].to_lowercase() == lower)
                .collect();
            match same.as_slice() {
                [one] if by == MatchBy::Email => Some(*one),
                _ => None,
            }
        };
        match exact.or_else(folded) {
            Some(i) => {
                let spelled = Some(held[i].clone());
                match by {
                    MatchBy::Email => s.identity.email = spelled,
                    MatchBy::IdNumber | MatchBy::Sis => s.identity.student_id = spelled,
                    MatchBy::Username => s.identity.username = spelled,
                }
                true
            }
            None => {
                out.push(super::LeftOut::NotInGradebook {
                    name: s.name.clone(),
                    value,
                });
                false
            }
        }
    });
    out
}

/// Each Moodle grade item's maximum grade, by item name, where the export shows it: the first row whose `(Real)` grade
/// and `(Percentage)` are both numbers (`7.00`, `70.00 %`; a decimal comma is read as a point), the percentage not
/// zero, gives `real * 100 / percentage`, rounded to two decimals (Moodle's default display).
fn moodle_maxima(bytes: &[u8], header: &csv::StringRecord) -> BTreeMap<String, f64> {
    let mut pairs: Vec<(String, usize, usize)> = Vec::new();
    for (i, cell) in header.iter().enumerate() {
        let Some(name) = cell.trim().strip_suffix(REAL) else {
            continue;
        };
        let pct = format!("{} (Percentage)", name.trim());
        if let Some(j) = header.iter().position(|h| h.trim() == pct) {
            pairs.push((name.trim().to_string(), i, j));
        }
    }
    let mut maxima = BTreeMap::new();
    if pairs.is_empty() {
        return maxima;
    }
    let mut reader = records(bytes);
    let num = |v: Option<&str>| -> Option<f64> {
        let v = v?.trim().trim_end_matches('%').trim().replace(',', ".");
        v.parse::<f64>().ok().filter(|x| x.is_finite())
    };
    for row in reader.records().flatten() {
        for (name, real, pct) in &pairs {
            if maxima.contains_key(name) {
                continue;
            }
            if let (Some(r), Some(p)) = (num(row.get(*real)), num(row.get(*pct)))
                && p > 0.0
            {
                maxima.insert(name.clone(), (r * 100.0 / p * 100.0).round() / 100.0);
            }
        }
        if maxima.len() == pairs.len() {
            break;
        }
    }
    maxima
}

/// The display type Moodle's export marks a grade item's points column with (`gradeexportcolumntype`).
const REAL: &str = " (Real)";

/// A Moodle export header `Module: Item (Real)` or `Item (Real)` (or `(Percentage)`): the grade item's name as the
/// import form lists it (`Module: Item`, as `fetch_grade_items` makes it), and the item name after an activity's
/// `Module: `. `(Letter)`, `(Feedback)` and the other columns are none.
fn moodle_column(cell: &str) -> Option<(String, Option<String>)> {
    let cell = cell.trim();
    let name = cell
        .strip_suffix(REAL)
        .or_else(|| cell.strip_suffix(" (Percentage)"))?
        .trim();
    // The course's and categories' totals are no items the import form offers (`fetch_grade_items` skips the
    // `course` and `category` item types).
    if name.is_empty() || name.ends_with(" total") {
        return None;
    }
    let item = name
        .split_once(": ")
        .filter(|(module, rest)| !module.contains(':') && !rest.trim().is_empty())
        .map(|(_, rest)| rest.trim().to_string());
    Some((name.to_string(), item))
}

/// A Canvas header `Title (123)`: its title.
fn canvas_column(cell: &str) -> Option<String> {
    let body = cell.trim_end().strip_suffix(')')?;
    let open = body.rfind(" (")?;
    let id = &body[open + 2..];
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
        .then(|| body[..open].trim().to_string())
}

/// A Blackboard header `Title [Total Pts: 10 Score] |123` (or `Title |123`): its title.
fn blackboard_column(cell: &str) -> Option<String> {
    let (head, id) = cell.trim_end().rsplit_once('|')?;
    let id = id.trim();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let head = head.trim_end();
    let title = match head.rfind(" [Total Pts:") {
        Some(i) if head.ends_with(']') => &head[..i],
        _ => head,
    };
    Some(title.trim().to_string())
}

/// Each exam matched to the gradebook column of its title (as the export would title it, `(self-graded)` and all),
/// else (Moodle) to the activity item of that name (`Quiz: Title`): the headers to write, by exam id, and the exams
/// no column matches. Two columns of one title are refused, naming
/// it: a grade must not go to a column chosen by chance.
pub fn match_columns(
    exams: &[ExamColumn],
    columns: &[LmsColumn],
) -> Result<(BTreeMap<String, String>, Vec<String>), String> {
    let mut headers = BTreeMap::new();
    let mut unmatched = Vec::new();
    for exam in exams {
        let heading = exam.heading();
        let mut found: Vec<&LmsColumn> = columns
            .iter()
            .filter(|c| c.title == heading.trim())
            .collect();
        if found.is_empty() {
            // Moodle: an activity's item, `Quiz: <title>`, when no item has the title whole.
            found = columns
                .iter()
                .filter(|c| c.item.as_deref() == Some(heading.trim()))
                .collect();
        }
        match found.as_slice() {
            [] => unmatched.push(exam.id.clone()),
            [one] => {
                headers.insert(exam.id.clone(), one.header.clone());
            }
            several => {
                return Err(format!(
                    "the gradebook has {} columns titled \"{heading}\" ({}): rename one in the LMS, or export exam `{}` \
                     without --gradebook",
                    several.len(),
                    several
                        .iter()
                        .map(|c| c.header.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    exam.id
                ));
            }
        }
    }
    Ok((headers, unmatched))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_with_ids_are_read() {
        assert_eq!(
            canvas_column("Week 3 quiz (2025) (4567)").as_deref(),
            Some("Week 3 quiz (2025)")
        );
        assert_eq!(
            canvas_column("Week 3 quiz (2025)").as_deref(),
            Some("Week 3 quiz")
        );
        assert_eq!(canvas_column("Current Score"), None);
        assert_eq!(
            blackboard_column("Midterm [Total Pts: 10 Score] |5678").as_deref(),
            Some("Midterm")
        );
        assert_eq!(blackboard_column("Notes |_99_1").as_deref(), Some("Notes"));
        assert_eq!(blackboard_column("Username"), None);
        assert_eq!(
            moodle_column("Quiz: Week 3 (Real)"),
            Some(("Quiz: Week 3".into(), Some("Week 3".into())))
        );
        assert_eq!(
            moodle_column("Midterm (Real)"),
            Some(("Midterm".into(), None))
        );
        assert_eq!(moodle_column("Quiz: Week 3 (Letter)"), None);
        assert_eq!(moodle_column("Email address"), None);
        assert_eq!(moodle_column("Course total (Real)"), None);
    }
}
