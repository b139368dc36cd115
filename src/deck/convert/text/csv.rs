//! The CSV reader: a header row naming the front and back columns (and optional id, tags, explain, hint), then one
//! card per record.

use super::records::{Columns, Lines, record};
use super::row::{Row, emit_row};
use crate::deck::convert::{ConvertError, Ids, Meta, Sink, Warning, tag};
use std::io::BufRead;

/// CSV with a header row: columns `front`, `back`, `tags` (case-insensitive; also `question`/`answer`,
/// `term`/`definition`; optional `id`, `explain`, `hint`); other columns are ignored with one warning.
pub fn read_csv(input: impl BufRead, emit: &mut Sink<'_>) -> Result<Meta, ConvertError> {
    let mut lines = Lines::new(input);
    let mut meta = Meta::default();
    let mut delim = None;
    let Some(head) = record(&mut lines, &mut delim, false)? else {
        return Err(ConvertError::at(
            1,
            1,
            "the file is empty: a CSV bank needs a header row naming front and back columns",
        ));
    };
    let mut cols = Columns {
        width: head.fields.len(),
        first_line: head.line,
        ..Columns::default()
    };
    let (mut front, mut ignored) = (None, Vec::new());
    for (i, name) in head.fields.iter().enumerate() {
        let slot = match name.trim().to_lowercase().as_str() {
            "front" | "question" | "term" => &mut front,
            "back" | "answer" | "definition" => &mut cols.back,
            "tags" | "tag" => &mut cols.tags,
            "id" => &mut cols.id,
            "explain" | "explanation" => &mut cols.explain,
            "hint" => &mut cols.hint,
            _ => {
                ignored.push(name.trim().to_string());
                continue;
            }
        };
        if slot.is_some() {
            ignored.push(name.trim().to_string());
        } else {
            *slot = Some(i);
        }
    }
    let (Some(front), true) = (front, cols.back.is_some()) else {
        return Err(ConvertError::at(
            head.line,
            1,
            format!(
                "the header row must name a front and a back column (front/question/term, back/answer/definition); \
                 it has: {}",
                head.fields.join(", ")
            ),
        ));
    };
    cols.front = front;
    if !ignored.is_empty() {
        meta.warnings.push(Warning {
            line: head.line,
            message: format!("columns ignored: {}", ignored.join(", ")),
        });
    }
    let mut ids = Ids::default();
    while let Some(rec) = record(&mut lines, &mut delim, false)? {
        cols.check_width(&rec)?;
        if rec.fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |i: Option<usize>| {
            i.and_then(|i| rec.fields.get(i))
                .map(|f| f.trim().to_string())
                .unwrap_or_default()
        };
        let row = Row {
            line: rec.line,
            front: get(Some(cols.front)),
            back: get(cols.back),
            id: Some(get(cols.id)).filter(|s| !s.is_empty()),
            tags: get(cols.tags)
                .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .filter_map(tag)
                .collect(),
            explain: Some(get(cols.explain)).filter(|s| !s.is_empty()),
            hint: Some(get(cols.hint)).filter(|s| !s.is_empty()),
            reverse: false,
        };
        emit_row(row, &mut ids, &mut meta.warnings, emit)?;
    }
    Ok(meta)
}
