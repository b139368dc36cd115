//! Records and fields of line-based text, for the Anki and CSV readers: lines numbered as in the file and checked for
//! UTF-8, lines joined into a record while a quoted field is open, records split into fields by the `csv` crate, the
//! separator detected, and which field holds what.

use crate::deck::convert::{ConvertError, MAX_QUESTION_BYTES, read_until_within, too_long};
use std::io::BufRead;

/// Which field (0-based) of a record holds what.
#[derive(Default)]
pub(super) struct Columns {
    pub(super) width: usize,
    pub(super) first_line: usize,
    pub(super) front: usize,
    pub(super) back: Option<usize>,
    pub(super) tags: Option<usize>,
    pub(super) id: Option<usize>,
    pub(super) explain: Option<usize>,
    pub(super) hint: Option<usize>,
    pub(super) deck: Option<usize>,
    pub(super) notetype: Option<usize>,
}

impl Columns {
    pub(super) fn check_width(&self, rec: &Record) -> Result<(), ConvertError> {
        if rec.fields.len() == self.width {
            return Ok(());
        }
        Err(ConvertError::at(
            rec.line,
            1,
            format!(
                "{} fields where line {} has {}",
                rec.fields.len(),
                self.first_line,
                self.width
            ),
        ))
    }
}

/// The input's lines with their 1-based numbers, checked for UTF-8, a leading byte order mark dropped; one line can be
/// put back.
pub(super) struct Lines<R> {
    input: R,
    number: usize,
    pub(super) back: Option<(usize, String)>,
    /// detente's own `#detente card:` comment lines skipped since it was last emptied, with their line (only these
    /// are kept, so other comments cost no memory).
    pub(super) carried: Vec<(usize, String)>,
    /// detente's own `#detente deck:` comment lines skipped between records, with their line, until taken: where a
    /// multi-deck export starts its next deck.
    pub(super) decks: Vec<(usize, String)>,
}

impl<R: BufRead> Lines<R> {
    pub(super) fn new(input: R) -> Self {
        Lines {
            input,
            number: 0,
            back: None,
            carried: Vec::new(),
            decks: Vec::new(),
        }
    }

    /// The next line with its line ending, or `None` at the end; a line longer than `room` bytes is an error
    /// ([`too_long`]) at `start`, the line of the record it belongs to (its own line when `None`).
    pub(super) fn next(
        &mut self,
        room: usize,
        start: Option<usize>,
    ) -> Result<Option<(usize, String)>, ConvertError> {
        if let Some(line) = self.back.take() {
            return Ok(Some(line));
        }
        let mut buf = Vec::new();
        match read_until_within(&mut self.input, b'\n', &mut buf, room)? {
            Some(0) => return Ok(None),
            Some(_) => {}
            None => return Err(too_long(start.unwrap_or(self.number + 1))),
        }
        self.number += 1;
        if self.number == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
            buf.drain(..3);
        }
        match String::from_utf8(buf) {
            Ok(s) => Ok(Some((self.number, s))),
            Err(e) => {
                let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let column = std::str::from_utf8(good).map_or(0, |s| s.chars().count()) + 1;
                Err(ConvertError::at(self.number, column, "invalid UTF-8"))
            }
        }
    }
}

/// One record: the line it starts on and its fields.
pub(super) struct Record {
    pub(super) line: usize,
    pub(super) fields: Vec<String>,
}

/// The comment line that carries a whole card ahead of its Anki note: `#detente card:{json}` (Anki skips `#` lines).
pub(super) const CARRIED: &str = "#detente card:";

/// The comment line that carries a deck's own fields ahead of its notes: `#detente deck:{json}`.
pub(super) const DECK_LINE: &str = "#detente deck:";

/// The next record, skipping blank lines (and `#` comment lines if `comments`), joining lines while a quoted field is
/// open. `delim` is picked from the record's first line if it is not set yet.
pub(super) fn record<R: BufRead>(
    lines: &mut Lines<R>,
    delim: &mut Option<u8>,
    comments: bool,
) -> Result<Option<Record>, ConvertError> {
    let (line, mut text) = loop {
        let Some((n, t)) = lines.next(MAX_QUESTION_BYTES, None)? else {
            return Ok(None);
        };
        let bare = t.trim_end_matches(['\r', '\n']);
        let comment = comments && bare.starts_with('#');
        if comment && bare.starts_with(CARRIED) {
            lines.carried.push((n, bare[CARRIED.len()..].to_string()));
        }
        if comment && bare.starts_with(DECK_LINE) {
            lines.decks.push((n, bare[DECK_LINE.len()..].to_string()));
        }
        if !comment && !bare.trim().is_empty() {
            break (n, t);
        }
    };
    let d = *delim.get_or_insert_with(|| detect(&text));
    let mut open = open_quote(&text, 0, None, d);
    while let Some(at) = open {
        let room = MAX_QUESTION_BYTES.saturating_sub(text.len());
        let Some((_, more)) = lines.next(room, Some(line))? else {
            let before = &text[..at];
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            return Err(ConvertError::at(
                line + before.matches('\n').count(),
                column,
                "unterminated quote: this quoted field is never closed",
            ));
        };
        let from = text.len();
        text.push_str(&more);
        open = open_quote(&text, from, Some(at), d);
    }
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let body = body.strip_suffix('\r').unwrap_or(body);
    let fields = split(body, d).map_err(|e| ConvertError::at(line, 1, e))?;
    Ok(Some(Record { line, fields }))
}

/// The fields of one record's text, split by the `csv` crate (CRLF inside quoted fields becomes LF).
pub(super) fn split(text: &str, delim: u8) -> Result<Vec<String>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(text.len() + 64)
        .from_reader(text.as_bytes());
    let mut rec = csv::StringRecord::new();
    reader.read_record(&mut rec).map_err(|e| e.to_string())?;
    Ok(rec.iter().map(|f| f.replace("\r\n", "\n")).collect())
}

/// Where the quoted field still open at the end of `text` began, scanning from byte `from` in the state `open` (the
/// start of an open quoted field) as the csv crate does: a quote opens a field only at its start, `""` inside is a
/// quote, and an unquoted line ending ends the record.
fn open_quote(text: &str, from: usize, mut open: Option<usize>, delim: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut field_start = from == 0;
    let mut i = from;
    while i < bytes.len() {
        let c = bytes[i];
        if open.is_some() {
            if c == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    open = None;
                }
            }
        } else if field_start && c == b'"' {
            open = Some(i);
            field_start = false;
        } else {
            field_start = c == delim || c == b'\n';
        }
        i += 1;
    }
    open
}

/// The separator of a file without `#separator:`: tab, else semicolon, else comma, whichever first occurs outside
/// quotes in its first line; tab if none does.
fn detect(line: &str) -> u8 {
    let mut quoted = false;
    let outside: String = line
        .chars()
        .filter(|&c| {
            if c == '"' {
                quoted = !quoted;
            }
            !quoted
        })
        .collect();
    [b'\t', b';', b',']
        .into_iter()
        .find(|&d| outside.contains(char::from(d)))
        .unwrap_or(b'\t')
}
