//! The Anki text reader (`docs/formats.md` §4.1): Anki's `#key:value` headers, the columns they (or the first record) name, each note's
//! fields read as HTML or as plain text, and each note handed on as a row; or, in detente's own export, the card
//! carried whole in the `#detente card:` line before the note, and the deck's fields from `#detente deck:`.

use super::REVERSED;
use super::records::{CARRIED, Columns, DECK_LINE, Lines, Record, record, split};
use super::row::{Row, emit_row};
use crate::deck::Card;
use crate::deck::convert::html::{has_tag, to_text};
use crate::deck::convert::{
    ConvertError, DeckExtras, DeckStart, Ids, MAX_QUESTION_BYTES, Meta, Part, Sink, Warning, media,
    pass, tag,
};

/// Anki's note type that checks a typed answer; detente reads it as a (self-graded) flashcard, with a warning.
const TYPED: &str = "Basic (type in the answer)";
use std::io::BufRead;

/// Anki "Notes in Plain Text" / text import files. Streams: each note is handed to `emit` as it is read. A
/// multi-deck export is read as one deck (every deck's id in [`Meta::decks`], and a warning where each next deck
/// starts); [`read_anki_decks`] reads it as its decks.
pub fn read_anki(input: impl BufRead, emit: &mut Sink<'_>) -> Result<Meta, ConvertError> {
    read_parts(input, false, &mut |part| match part {
        Part::Card(card) => emit(card),
        Part::Deck(_) => Ok(()),
    })
}

/// An Anki text file as its decks: as [`read_anki`], but each `#detente deck:` line of detente's multi-deck export
/// starts a deck, handed to `emit` as a [`Part::Deck`] just before its first card, and card ids are unique within
/// each deck, not across the file, so each deck keeps its own ids. A deck line with no note after it is named in a
/// warning and left out. A file without such lines gives its cards alone, as one deck.
pub fn read_anki_decks(
    input: impl BufRead,
    emit: &mut dyn FnMut(Part) -> Result<(), ConvertError>,
) -> Result<Meta, ConvertError> {
    read_parts(input, true, emit)
}

/// The deck lines seen since the last record, taken in order: each readable one is counted in `meta.decks`; with
/// `split`, it becomes the `pending` deck (one still pending had no note and is named in a warning), and `ids` and
/// `home` start again; without, a later deck's start is named in a warning.
#[allow(clippy::too_many_arguments)]
fn take_decks(
    found: &mut Vec<(usize, String)>,
    split: bool,
    meta: &mut Meta,
    pending: &mut Option<(usize, DeckExtras)>,
    ids: &mut Ids,
    home: &mut Option<String>,
) {
    for (line, json) in found.drain(..) {
        let extras = match serde_json::from_str::<DeckExtras>(&json) {
            Ok(extras) => extras,
            Err(e) => {
                meta.warnings.push(Warning {
                    line,
                    message: format!("the `#detente deck:` line is not readable ({e}); ignored"),
                });
                continue;
            }
        };
        meta.decks.push(extras.id.clone());
        if meta.deck.is_none() {
            meta.deck = Some(extras.clone());
        }
        if !split {
            if meta.decks.len() > 1 {
                meta.warnings.push(Warning {
                    line,
                    message: format!(
                        "deck `{}` starts here: its cards join the deck before it (convert the file into a \
                         folder to get each deck in its own file)",
                        extras.id
                    ),
                });
            }
            continue;
        }
        if let Some((at, empty)) = pending.replace((line, extras)) {
            meta.warnings.push(Warning {
                line: at,
                message: format!("deck `{}` has no note; left out", empty.id),
            });
        }
        *ids = Ids::default();
        if meta.title.is_none() {
            meta.title = home.take();
        }
        *home = None;
    }
}

fn read_parts(
    input: impl BufRead,
    split: bool,
    emit: &mut dyn FnMut(Part) -> Result<(), ConvertError>,
) -> Result<Meta, ConvertError> {
    let mut lines = Lines::new(input);
    let mut meta = Meta::default();
    let mut head = AnkiHeader::default();
    while let Some((line, text)) = lines.next(MAX_QUESTION_BYTES, None)? {
        let bare = text.trim_end_matches(['\r', '\n']);
        if line == 1
            && let Some(tags) = bare.strip_prefix("tags:")
        {
            head.tags.extend(tags.split_whitespace().filter_map(tag));
            continue;
        }
        let Some(rest) = bare.strip_prefix('#') else {
            lines.back = Some((line, text));
            break;
        };
        if let Some(json) = bare.strip_prefix(CARRIED) {
            // The first note's carried card, among the headers.
            lines.carried.push((line, json.to_string()));
            continue;
        }
        if let Some(json) = bare.strip_prefix(DECK_LINE) {
            lines.decks.push((line, json.to_string()));
            continue;
        }
        if let Some((key, value)) = rest.split_once(':') {
            head.set(line, key, value, &mut meta.warnings)?;
        }
    }
    let mut delim = head.separator;
    let mut ids = Ids::default();
    let mut home = head.deck.clone();
    let mut pending = None;
    let mut next = record(&mut lines, &mut delim, true)?;
    let finish = |mut meta: Meta, pending: Option<(usize, DeckExtras)>, home| {
        if let Some((line, empty)) = pending {
            meta.warnings.push(Warning {
                line,
                message: format!("deck `{}` has no note; left out", empty.id),
            });
        }
        meta.title = meta.title.take().or(home);
        meta
    };
    let Some(first) = &next else {
        let (mut ids, mut home) = (Ids::default(), home);
        let mut found = std::mem::take(&mut lines.decks);
        take_decks(
            &mut found,
            split,
            &mut meta,
            &mut pending,
            &mut ids,
            &mut home,
        );
        return Ok(finish(meta, pending, home));
    };
    let cols = head.columns(first, delim.unwrap_or(b'\t'), &mut meta.warnings)?;
    while let Some(rec) = next.take() {
        cols.check_width(&rec)?;
        let mut found = std::mem::take(&mut lines.decks);
        take_decks(
            &mut found,
            split,
            &mut meta,
            &mut pending,
            &mut ids,
            &mut home,
        );
        let raw = |i: Option<usize>| {
            i.and_then(|i| rec.fields.get(i))
                .map(|f| f.trim())
                .unwrap_or("")
        };
        let text = |i: Option<usize>| {
            i.and_then(|i| rec.fields.get(i))
                .map(|f| field(f, head.html))
                .unwrap_or_default()
        };
        let mut tags = head.tags.clone();
        tags.extend(raw(cols.tags).split_whitespace().filter_map(tag));
        let deck = raw(cols.deck);
        if let Some((line, extras)) = pending.take() {
            let title = Some(deck.to_string()).filter(|d| !d.is_empty());
            emit(Part::Deck(DeckStart {
                line,
                extras,
                title,
            }))?;
        }
        if !deck.is_empty() {
            match &home {
                None => home = Some(deck.to_string()),
                Some(h) if h != deck => tags.extend(tag(deck)),
                Some(_) => {}
            }
        }
        if let Some(card) = carried(&mut lines.carried, raw(cols.id), &mut meta.warnings) {
            // detente's own export: the note shows the card as Anki can; the comment before it holds it whole.
            let id = card.id.clone();
            pass(
                card,
                rec.line,
                Some(&id),
                &mut ids,
                &mut meta.warnings,
                &mut |c| emit(Part::Card(c)),
            )?;
            next = record(&mut lines, &mut delim, true)?;
            continue;
        }
        let notetype = Some(raw(cols.notetype))
            .filter(|n| !n.is_empty())
            .or(head.notetype.as_deref());
        if notetype.is_some_and(|n| n.trim().eq_ignore_ascii_case(TYPED)) {
            meta.warnings.push(Warning {
                line: rec.line,
                message: format!(
                    "note `{}`: a `{TYPED}` note, whose answer Anki checks as typed, becomes a self-graded \
                     flashcard",
                    raw(cols.id)
                ),
            });
        }
        // A column detente does not read loses what it holds: a sound or image there is named.
        for (i, f) in rec.fields.iter().enumerate() {
            let read = [
                Some(cols.front),
                cols.back,
                cols.tags,
                cols.id,
                cols.deck,
                cols.notetype,
            ];
            if !read.contains(&Some(i))
                && let Some(found) = media(f)
            {
                meta.warnings.push(Warning {
                    line: rec.line,
                    message: format!(
                        "column {} holds `{found}`, which is left out: detente reads only the front and back \
                         columns and shows no images or sound",
                        i + 1
                    ),
                });
            }
        }
        let row = Row {
            line: rec.line,
            front: text(Some(cols.front)),
            back: text(cols.back),
            id: Some(card_id(raw(cols.id))).filter(|g| !g.is_empty()),
            tags,
            explain: None,
            hint: None,
            reverse: notetype.is_some_and(|n| n.eq_ignore_ascii_case(REVERSED)),
        };
        emit_row(row, &mut ids, &mut meta.warnings, &mut |c| {
            emit(Part::Card(c))
        })?;
        next = record(&mut lines, &mut delim, true)?;
    }
    let mut found = std::mem::take(&mut lines.decks);
    take_decks(
        &mut found,
        split,
        &mut meta,
        &mut pending,
        &mut ids,
        &mut home,
    );
    Ok(finish(meta, pending, home))
}

/// The card carried whole in the `#detente card:` comment just before a note whose GUID is `guid` (detente's own
/// export), if there is one and it is that note's card; a comment that is not readable, or names another card, is
/// named in a warning at its line and the note is read as Anki shows it.
fn carried(
    comments: &mut Vec<(usize, String)>,
    guid: &str,
    warnings: &mut Vec<Warning>,
) -> Option<Card> {
    let (line, json) = comments.drain(..).next_back()?;
    match serde_json::from_str::<Card>(&json) {
        Ok(card) if card_id(guid) == card.id => Some(card),
        Ok(card) => {
            warnings.push(Warning {
                line,
                message: format!(
                    "the `#detente card:` line holds card `{}` but the note after it is `{guid}`; ignored",
                    card.id
                ),
            });
            None
        }
        Err(e) => {
            warnings.push(Warning {
                line,
                message: format!("the `#detente card:` line is not readable ({e}); ignored"),
            });
            None
        }
    }
}

/// The card id in a GUID: the part after the last `/` when that is a detente id (a GUID detente wrote, `<deck
/// id>/<card id>`, so that a deck sent to Anki and back keeps its card ids), else the whole GUID.
fn card_id(guid: &str) -> String {
    let id = |s: &str| {
        !s.is_empty()
            && !s.starts_with('-')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    match guid.rsplit_once('/') {
        Some((deck, card)) if id(deck) && id(card) => card.to_string(),
        _ => guid.to_string(),
    }
}

/// A field's text: HTML cleaned when `html` says so (or, when unset, when the field holds a tag), trimmed.
fn field(raw: &str, html: Option<bool>) -> String {
    if html.unwrap_or_else(|| has_tag(raw)) {
        to_text(raw).trim().to_string()
    } else {
        raw.trim().to_string()
    }
}

/// The Anki `#` headers read so far.
#[derive(Default)]
struct AnkiHeader {
    separator: Option<u8>,
    html: Option<bool>,
    tags: Vec<String>,
    /// The `#columns:` labels, with their line, split once the separator is known.
    columns: Option<(usize, String)>,
    notetype: Option<String>,
    deck: Option<String>,
    /// 1-based column numbers, with the line of their header.
    guid: Option<(usize, usize)>,
    notetype_column: Option<(usize, usize)>,
    deck_column: Option<(usize, usize)>,
    tags_column: Option<(usize, usize)>,
}

impl AnkiHeader {
    /// Takes one `#key:value` header line.
    fn set(
        &mut self,
        line: usize,
        key: &str,
        value: &str,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), ConvertError> {
        let at = key.chars().count() + 3;
        let column = |v: &str| -> Result<Option<(usize, usize)>, ConvertError> {
            match v.trim().parse::<usize>() {
                Ok(n) if n >= 1 => Ok(Some((line, n))),
                _ => Err(ConvertError::at(
                    line,
                    at,
                    format!("`#{key}:` needs a column number from 1, not `{v}`"),
                )),
            }
        };
        let key = key.trim().to_ascii_lowercase();
        match key.as_str() {
            "separator" => {
                let byte = match value.trim().to_ascii_lowercase().as_str() {
                    "comma" => b',',
                    "semicolon" => b';',
                    "tab" => b'\t',
                    "space" => b' ',
                    "pipe" => b'|',
                    "colon" => b':',
                    _ if value.len() == 1 && !matches!(value, "\"" | "\r") => value.as_bytes()[0],
                    _ => {
                        return Err(ConvertError::at(
                            line,
                            at,
                            format!(
                                "unknown separator `{value}` (Comma, Semicolon, Tab, Space, Pipe, Colon or one \
                                 ASCII character)"
                            ),
                        ));
                    }
                };
                self.separator = Some(byte);
            }
            "html" => match value.trim().to_ascii_lowercase().as_str() {
                "true" => self.html = Some(true),
                "false" => self.html = Some(false),
                _ => warnings.push(Warning {
                    line,
                    message: format!("`#html:{value}` ignored (true or false)"),
                }),
            },
            "tags" => self.tags.extend(value.split_whitespace().filter_map(tag)),
            "columns" => self.columns = Some((line, value.to_string())),
            "notetype" => self.notetype = Some(value.trim().to_string()),
            "deck" => self.deck = Some(value.trim().to_string()).filter(|d| !d.is_empty()),
            "guid column" => self.guid = column(value)?,
            "notetype column" => self.notetype_column = column(value)?,
            "deck column" => self.deck_column = column(value)?,
            "tags column" => self.tags_column = column(value)?,
            _ => warnings.push(Warning {
                line,
                message: format!("unknown header `#{key}:` ignored"),
            }),
        }
        Ok(())
    }

    /// Where front, back and the meta columns are, given the first record.
    fn columns(
        &self,
        first: &Record,
        delim: u8,
        warnings: &mut Vec<Warning>,
    ) -> Result<Columns, ConvertError> {
        let width = first.fields.len();
        let labels = match &self.columns {
            Some((line, text)) => split(text, delim).map_err(|e| ConvertError::at(*line, 1, e))?,
            None => Vec::new(),
        };
        let named = |names: &[&str]| {
            labels
                .iter()
                .position(|l| names.contains(&l.trim().to_lowercase().as_str()))
                .filter(|&i| i < width)
        };
        let explicit = |c: Option<(usize, usize)>| -> Result<Option<usize>, ConvertError> {
            match c {
                Some((line, n)) if n > width => Err(ConvertError::at(
                    line,
                    1,
                    format!(
                        "column {n} is beyond the {width} fields of the first note (line {})",
                        first.line
                    ),
                )),
                Some((_, n)) => Ok(Some(n - 1)),
                None => Ok(None),
            }
        };
        let id = explicit(self.guid)?.or_else(|| named(&["guid"]));
        let notetype =
            explicit(self.notetype_column)?.or_else(|| named(&["notetype", "note type"]));
        let deck = explicit(self.deck_column)?.or_else(|| named(&["deck"]));
        let tags = explicit(self.tags_column)?.or_else(|| named(&["tags"]));
        let meta = [id, notetype, deck, tags];
        let free: Vec<usize> = (0..width).filter(|i| !meta.contains(&Some(*i))).collect();
        let front = named(&["front", "text"])
            .filter(|i| free.contains(i))
            .or_else(|| free.first().copied())
            .ok_or_else(|| {
                ConvertError::at(first.line, 1, "every column is a meta column: no front")
            })?;
        let back = named(&["back", "back extra"])
            .filter(|i| free.contains(i) && *i != front)
            .or_else(|| free.iter().copied().find(|&i| i != front));
        let unused: Vec<String> = free
            .iter()
            .filter(|&&i| i != front && Some(i) != back)
            .map(|i| (i + 1).to_string())
            .collect();
        if !unused.is_empty() {
            warnings.push(Warning {
                line: first.line,
                message: format!("columns ignored: {}", unused.join(", ")),
            });
        }
        Ok(Columns {
            width,
            first_line: first.line,
            front,
            back,
            tags,
            id,
            explain: None,
            hint: None,
            deck,
            notetype,
        })
    }
}
