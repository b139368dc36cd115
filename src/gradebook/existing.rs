//! The gradebook a teacher downloaded from the LMS (`grades export --gradebook FILE`): its exam columns read with
//! their ids, so that a grade file writes into the columns that exist instead of making new ones. Canvas's headers
//! are `Title (assignment id)` (`lib/gradebook_exporter.rb` writes them so, `lib/gradebook_importer.rb` matches the id
//! first); Blackboard's are `Title [Total Pts: N Score] |column id` (its upload matches the column ID, and makes a new
//! text column for a header without one). An exam is matched to the column of its title, and its header is written
//! exactly as the gradebook has it.

use super::{ExamColumn, Layout, RosterProblem};
use std::collections::BTreeMap;

/// One column of a downloaded gradebook that the LMS knows by id: its title and the header as written.
#[derive(Debug, Clone, PartialEq)]
pub struct LmsColumn {
    pub title: String,
    pub header: String,
}

/// The exam columns of a gradebook downloaded from `layout`'s LMS (Canvas or Blackboard): every header cell that
/// carries a column id. Fails, at line 1, when the file is not CSV or has no such column.
pub fn read_gradebook(layout: Layout, bytes: &[u8]) -> Result<Vec<LmsColumn>, RosterProblem> {
    let bad = |message: String| RosterProblem { line: 1, message };
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes))
        .map_err(|_| bad("the file is not UTF-8".into()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = match reader.records().next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(bad(format!("not a CSV file: {e}"))),
        None => return Err(bad("the file is empty".into())),
    };
    let columns: Vec<LmsColumn> = header
        .iter()
        .filter_map(|cell| {
            let title = match layout {
                Layout::Canvas => canvas_column(cell),
                Layout::Blackboard => blackboard_column(cell),
                Layout::Moodle | Layout::Native => None,
            }?;
            Some(LmsColumn {
                title,
                header: cell.to_string(),
            })
        })
        .collect();
    if columns.is_empty() {
        return Err(bad(format!(
            "no column of this file carries {}: is it the gradebook downloaded from {}?",
            match layout {
                Layout::Blackboard => "a column ID (`Title [Total Pts: 10 Score] |123`)",
                _ => "an assignment id (`Title (123)`)",
            },
            layout.name()
        )));
    }
    Ok(columns)
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

/// Each exam matched to the gradebook column of its title (as the export would title it, `(self-graded)` and all):
/// the headers to write, by exam id, and the exams no column matches. Two columns of one title are refused, naming
/// it: a grade must not go to a column chosen by chance.
pub fn match_columns(
    exams: &[ExamColumn],
    columns: &[LmsColumn],
) -> Result<(BTreeMap<String, String>, Vec<String>), String> {
    let mut headers = BTreeMap::new();
    let mut unmatched = Vec::new();
    for exam in exams {
        let heading = exam.heading();
        let found: Vec<&LmsColumn> = columns
            .iter()
            .filter(|c| c.title == heading.trim())
            .collect();
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
    }
}
