//! Quizlet: the reader of its term/definition export (with the separators its export dialog offers) and the writer
//! of one `term<TAB>definition` line per card.

use super::anki_write::{anki_note, fill_blanks};
use super::row::{Row, emit_row};
use crate::deck::convert::{
    ConvertError, Ids, MAX_QUESTION_BYTES, Meta, Sink, Warning, Written, read_until_within,
    too_long,
};
use crate::deck::{Body, Card, Deck};
use std::io::{BufRead, Write};

/// Quizlet export text: one card per line, `term<TAB>definition`, or `term,definition` when the first card line holds
/// no tab. Each line is split at the first separator; nothing is quoted. Blank lines are skipped.
pub fn read_quizlet(input: impl BufRead, emit: &mut Sink<'_>) -> Result<Meta, ConvertError> {
    read_quizlet_with(input, &QuizletSeparators::default(), emit)
}

/// The separators of a Quizlet export, as its export dialog offers them: between term and definition Tab, Comma or a
/// custom string (`None`: tab, else comma, whichever the first card holds); between rows New line, Semicolon or a
/// custom string (`None`: a new line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuizletSeparators {
    pub term: Option<String>,
    pub row: Option<String>,
}

impl QuizletSeparators {
    /// The separators named as on Quizlet's export dialog: `tab`, `comma` or any other text for the term separator;
    /// `newline`, `semicolon` or any other text for the row separator. `\t` and `\n` in a custom text stand for a tab
    /// and a new line. An empty separator, or the same one for both, is an error.
    pub fn named(term: Option<&str>, row: Option<&str>) -> Result<Self, String> {
        let custom = |s: &str| s.replace("\\t", "\t").replace("\\n", "\n");
        let term = term.map(|t| match t.to_ascii_lowercase().as_str() {
            "tab" => "\t".to_string(),
            "comma" => ",".to_string(),
            _ => custom(t),
        });
        let row = row.map(|r| match r.to_ascii_lowercase().as_str() {
            "newline" | "new line" | "new-line" => "\n".to_string(),
            "semicolon" => ";".to_string(),
            _ => custom(r),
        });
        if term.as_deref() == Some("") || row.as_deref() == Some("") {
            return Err("a separator cannot be empty".into());
        }
        if term.is_some() && term == row.clone().or(Some("\n".into())) {
            return Err("the term and row separators must differ".into());
        }
        Ok(QuizletSeparators { term, row })
    }
}

/// Quizlet export text with the given separators. Streams row by row; a row's line is the line its term starts on.
pub fn read_quizlet_with(
    mut input: impl BufRead,
    seps: &QuizletSeparators,
    emit: &mut Sink<'_>,
) -> Result<Meta, ConvertError> {
    let mut meta = Meta::default();
    let mut ids = Ids::default();
    let row_sep = seps.row.clone().unwrap_or_else(|| "\n".into());
    let mut sep = seps.term.clone();
    let mut line = 1;
    let mut first = true;
    while let Some((start, text)) = next_row(&mut input, row_sep.as_bytes(), &mut line, &mut first)?
    {
        let bare = if row_sep == "\n" {
            text.strip_suffix('\r').unwrap_or(&text)
        } else {
            text.as_str()
        };
        if bare.trim().is_empty() {
            continue;
        }
        let sep =
            sep.get_or_insert_with(|| if bare.contains('\t') { "\t" } else { "," }.to_string());
        let Some((term, definition)) = bare.split_once(sep.as_str()) else {
            let name = match sep.as_str() {
                "\t" => "tab".to_string(),
                "," => "comma".to_string(),
                other => format!("`{other}`"),
            };
            return Err(ConvertError::at(
                start,
                1,
                format!(
                    "no {name} between term and definition (Quizlet text has one term and definition a row; \
                     use --separator and --row-separator for the separators chosen on export)"
                ),
            ));
        };
        let row = Row {
            line: start,
            front: term.trim().to_string(),
            back: definition.trim().to_string(),
            id: None,
            tags: Vec::new(),
            explain: None,
            hint: None,
            reverse: false,
        };
        emit_row(row, &mut ids, &mut meta.warnings, emit)?;
    }
    Ok(meta)
}

/// The next row up to `sep` (not included), and the line its first non-blank character stands on; `line` is the
/// line the input is at, `first` whether nothing was read yet (a UTF-8 byte order mark is dropped then).
fn next_row(
    input: &mut impl BufRead,
    sep: &[u8],
    line: &mut usize,
    first: &mut bool,
) -> Result<Option<(usize, String)>, ConvertError> {
    let Some(&last) = sep.last() else {
        return Ok(None);
    };
    let mut buf = Vec::new();
    let mut ended = false;
    loop {
        match read_until_within(input, last, &mut buf, MAX_QUESTION_BYTES)? {
            Some(0) => break,
            Some(_) => {}
            None => return Err(too_long(*line)),
        }
        if buf.ends_with(sep) {
            buf.truncate(buf.len() - sep.len());
            ended = true;
            break;
        }
    }
    if buf.is_empty() && !ended {
        return Ok(None);
    }
    if std::mem::take(first) && buf.starts_with(b"\xEF\xBB\xBF") {
        buf.drain(..3);
    }
    let lead = buf
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .filter(|&&b| b == b'\n')
        .count();
    let start = *line + lead;
    let breaks = buf.iter().filter(|&&b| b == b'\n').count()
        + if ended {
            sep.iter().filter(|&&b| b == b'\n').count()
        } else {
            0
        };
    let text = String::from_utf8(buf).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let at = std::str::from_utf8(good).unwrap_or("");
        let column = at.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        ConvertError::at(*line + at.matches('\n').count(), column, "invalid UTF-8")
    })?;
    *line += breaks;
    Ok(Some((start, text)))
}

/// Quizlet text: `term<TAB>definition<LF>`, newlines inside a field replaced by " / " and tabs by spaces. Every card
/// is one line, laid out as its Anki note (cloze sentences with `_____` blanks); returns the count of lines written.
pub fn write_quizlet(deck: &Deck, out: &mut dyn Write) -> std::io::Result<Written> {
    let mut written = Written::default();
    for card in &deck.cards {
        let (term, definition) = match &card.body {
            Body::Cloze { .. } => {
                let mut answers = Vec::new();
                let term = fill_blanks(&card.prompt, |_, answer| {
                    answers.push(answer.to_string());
                    "_____".to_string()
                });
                (term, answers.join(" / "))
            }
            Body::Flashcard { answer, .. } => (card.prompt.clone(), answer.clone()),
            _ => {
                let (_, front, back) = anki_note(&Card {
                    explain: None,
                    ..card.clone()
                });
                (front, back)
            }
        };
        writeln!(out, "{}\t{}", flat(&term), flat(&definition))?;
        written.cards += 1;
        written.items += 1;
        if card.hint.is_some() {
            written.warnings.push(Warning::card(
                card,
                ": its hint is not written: Quizlet has only terms and definitions",
            ));
        }
    }
    Ok(written)
}

/// One line of Quizlet text: newlines become " / ", tabs spaces.
fn flat(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace(['\n', '\r'], " / ")
        .replace('\t', " ")
}
