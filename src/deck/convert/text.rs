//! Line-based banks: Anki plain-text exports with their `#` headers, Quizlet term/definition text, and CSV with a
//! header row; the Anki and Quizlet writers.
//!
//! Every row becomes a flashcard (front → prompt, back → answer), or a cloze card when the front holds Anki cloze
//! markup `{{c1::answer}}` / `{{c1::answer::hint}}`: each marked span becomes a detente blank `{{answer}}`, the hints
//! become the card's `hint`, and the back becomes the card's `explain`. Media links (`<img>`, `[sound:..]`, `[[..]]`)
//! are kept as text with a warning at their line. Rows with an empty front, or an empty back on a flashcard, are
//! skipped with a warning naming their line; a row whose field count differs from the first row's is an error.
//!
//! **Reading.** The input is read line by line with 1-based line numbers of the original file (a UTF-8 byte order mark
//! is dropped), so every error names the line of the bad byte, of the unclosed quote or of the short row. Lines are
//! joined into records while a quoted field is open, and each record is split into fields by the `csv` crate
//! (`"…"` quoting with doubled quotes; a quoted field may hold separators and newlines; CRLF becomes LF).
//!
//! * [`read_anki`] follows Anki's text import (formats.md §4.1): `#key:value` header lines at the top (the key is
//!   case-insensitive; a legacy `tags:` first line is accepted), later `#` lines are comments. `#separator:` takes
//!   Comma, Semicolon, Tab, Space, Pipe, Colon or one literal character; without it the first record's first line picks
//!   tab, else semicolon, else comma (outside quotes). `#html:true` strips tags and decodes entities (`<br>` and block
//!   tags become newlines); without `#html:` a field is treated as HTML only if it contains a tag. `#tags:` tags every
//!   note. `#guid column:`, `#notetype column:`, `#deck column:` and `#tags column:` (1-based) name the meta columns,
//!   and `#columns:` labels may name them too (GUID, Notetype, Deck, Tags) as well as the Front (or Text) and Back (or
//!   Back Extra) fields; otherwise the first two columns that are not meta columns are front and back, as in Anki.
//!   The GUID becomes the card id. The file's deck — `#deck:`, else the first row's deck — becomes [`Meta::title`];
//!   a row from another deck also gets a tag made from its deck name (`IR101::Week 2` → `ir101/week-2`), so reading
//!   stays streaming and a single-deck file gets no extra tags. A `Basic (and reversed card)` note type gives
//!   `reverse = true`.
//! * [`read_quizlet`] reads Quizlet's export: one card per line, the term and definition separated by a tab, or by a
//!   comma when the first card line has no tab (Quizlet's two choices); [`read_quizlet_with`] takes the separators
//!   Quizlet's export dialog offers (term: tab, comma or custom; rows: new line, semicolon or custom). A row is split
//!   at the first separator and nothing is quoted, as Quizlet quotes nothing.
//! * [`read_csv`] needs a header row naming `front` and `back` (or `question`/`answer`, `term`/`definition`), case
//!   insensitive; `tags` (separated by spaces, commas or semicolons), `id`, `explain` and `hint` are optional and other
//!   columns are ignored with one warning. The separator is picked from the header line as for Anki.
//!
//! Anki tags are separated by spaces; each is cleaned to one lower-case ASCII word: `::` becomes `/`, `:` and `/`
//! stay, any other run of non-alphanumerics becomes `-`.
//!
//! **Writing.** [`write_anki`] writes Anki's own self-describing layout (`#separator:tab`, `#html:false`, then GUID,
//! note type, deck, front, back and tags columns), quoting fields by Anki's (RFC 4180) rules. Every card is one note,
//! its GUID `<deck id>/<card id>` (unique across decks, stable across exports, read back as the card id); the back
//! holds the answer and then the explanation; choice, multi, match and order cards show their lists on the front and
//! their answer on the back; cloze cards become Anki cloze notes (one `cN` per blank, the hint on each, the other
//! accepted answers in Back Extra). [`write_quizlet`] writes `term<TAB>definition<LF>` for every card, laid out as
//! its Anki note, newlines inside a field becoming " / " and tabs spaces.

use super::{ConvertError, Ids, Meta, Sink, Warning, tag};
use crate::deck::{Body, Card, Deck, cloze_blanks};
use std::io::{BufRead, Write};

/// Anki "Notes in Plain Text" / text import files. Streams: each note is handed to `emit` as it is read.
pub fn read_anki(input: impl BufRead, emit: &mut Sink<'_>) -> Result<Meta, ConvertError> {
    let mut lines = Lines::new(input);
    let mut meta = Meta::default();
    let mut head = AnkiHeader::default();
    while let Some((line, text)) = lines.next()? {
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
        if let Some((key, value)) = rest.split_once(':') {
            head.set(line, key, value, &mut meta.warnings)?;
        }
    }
    let mut delim = head.separator;
    let mut ids = Ids::default();
    let mut home = head.deck.clone();
    let mut next = record(&mut lines, &mut delim, true)?;
    let Some(first) = &next else {
        meta.title = home;
        return Ok(meta);
    };
    let cols = head.columns(first, delim.unwrap_or(b'\t'), &mut meta.warnings)?;
    while let Some(rec) = next.take() {
        cols.check_width(&rec)?;
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
        if !deck.is_empty() {
            match &home {
                None => home = Some(deck.to_string()),
                Some(h) if h != deck => tags.extend(tag(deck)),
                Some(_) => {}
            }
        }
        let notetype = Some(raw(cols.notetype))
            .filter(|n| !n.is_empty())
            .or(head.notetype.as_deref());
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
        emit_row(row, &mut ids, &mut meta.warnings, emit)?;
        next = record(&mut lines, &mut delim, true)?;
    }
    meta.title = home;
    Ok(meta)
}

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
        if input.read_until(last, &mut buf)? == 0 {
            break;
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

/// The note type Anki gives a flashcard that is also studied back to front.
const REVERSED: &str = "Basic (and reversed card)";

/// Anki text as formats.md 4.1 recommends, in the column order of Anki's own "Notes in Plain Text" export: a GUID
/// column, a note type column (`Basic`, `Basic (and reversed card)` or `Cloze`), the deck title as deck column,
/// front, back, and the tags. Every card is one note. The GUID is `<deck id>/<card id>`: unique across decks (card ids
/// repeat from deck to deck) and the same on every export, so importing again updates the note instead of adding
/// one, and importing several decks into one collection overwrites nothing. The back holds the answer and then the
/// explanation; choice, multi, match and order cards show their choices, pairs or items on the front and the answer
/// on the back; a cloze card is a Cloze note (one `cN` per blank, with the card's hint) whose Back Extra holds the
/// explanation and the blanks' other accepted answers. Returns the count of notes written (one per card).
pub fn write_anki(deck: &Deck, out: &mut dyn Write) -> std::io::Result<super::Written> {
    out.write_all(
        b"#separator:tab\n#html:false\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:6\n\
          #columns:GUID\tNotetype\tDeck\tFront\tBack\tTags\n",
    )?;
    let mut written = super::Written::default();
    let mut w = csv::WriterBuilder::new().delimiter(b'\t').from_writer(out);
    for card in &deck.cards {
        let (notetype, front, back) = anki_note(card);
        w.write_record([
            anki_guid(&deck.id, &card.id).as_str(),
            notetype,
            deck.title.as_str(),
            front.as_str(),
            back.as_str(),
            card.tags.join(" ").as_str(),
        ])?;
        written.cards += 1;
        written.items += 1;
        if card.hint.is_some() && notetype != "Cloze" {
            written.warnings.push(Warning::card(
                card,
                &format!(": its hint is not written: Anki's {notetype} note has no hint field"),
            ));
        }
    }
    w.flush()?;
    Ok(written)
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

/// The GUID of a card's Anki note: `<deck id>/<card id>`.
pub fn anki_guid(deck: &str, card: &str) -> String {
    format!("{deck}/{card}")
}

/// A card as an Anki note: its note type, front and back.
fn anki_note(card: &Card) -> (&'static str, String, String) {
    let bullets = |items: &mut dyn Iterator<Item = &String>| {
        items
            .map(|i| format!("- {i}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let with_explain = |answer: String| match &card.explain {
        Some(e) if !e.trim().is_empty() => format!("{answer}\n\n{e}"),
        _ => answer,
    };
    let prompt = card.prompt.clone();
    match &card.body {
        Body::Flashcard { answer, reverse } => (
            if *reverse { REVERSED } else { "Basic" },
            prompt,
            with_explain(answer.clone()),
        ),
        Body::Choice { choices, answer } => (
            "Basic",
            format!("{prompt}\n\n{}", bullets(&mut choices.iter())),
            with_explain(answer.clone()),
        ),
        Body::Multi { choices, answers } => (
            "Basic",
            format!(
                "{prompt}\n\nTick every right choice:\n{}",
                bullets(&mut choices.iter())
            ),
            with_explain(bullets(&mut answers.iter())),
        ),
        Body::Truefalse { answer } => (
            "Basic",
            prompt,
            with_explain(if *answer { "True" } else { "False" }.to_string()),
        ),
        Body::Text { answers, .. } => {
            let mut back = answers.first().cloned().unwrap_or_default();
            if answers.len() > 1 {
                back.push_str(&format!("\n(also accepted: {})", answers[1..].join("; ")));
            }
            ("Basic", prompt, with_explain(back))
        }
        Body::Number { answer, tolerance } => (
            "Basic",
            prompt,
            with_explain(crate::text::format_number(*answer, *tolerance)),
        ),
        Body::Match { pairs } => {
            let mut rights: Vec<&String> = pairs.iter().map(|p| &p.1).collect();
            rights.sort();
            rights.dedup();
            let front = format!(
                "{prompt}\n\nMatch each of:\n{}\n\nwith one of:\n{}",
                bullets(&mut pairs.iter().map(|p| &p.0)),
                bullets(&mut rights.into_iter())
            );
            let back = pairs
                .iter()
                .map(|(l, r)| format!("{l} → {r}"))
                .collect::<Vec<_>>()
                .join("\n");
            ("Basic", front, with_explain(back))
        }
        Body::Order { items } => {
            let mut shown: Vec<&String> = items.iter().collect();
            shown.sort();
            let front = format!(
                "{prompt}\n\nPut in order:\n{}",
                bullets(&mut shown.into_iter())
            );
            let back = items
                .iter()
                .enumerate()
                .map(|(k, i)| format!("{}. {i}", k + 1))
                .collect::<Vec<_>>()
                .join("\n");
            ("Basic", front, with_explain(back))
        }
        Body::Cloze { .. } => {
            let hint = card
                .hint
                .as_deref()
                .filter(|h| !h.trim().is_empty() && !h.contains("}}"))
                .map(|h| format!("::{}", h.replace("::", ":")))
                .unwrap_or_default();
            let front = fill_blanks(&card.prompt, |n, answer| {
                format!("{{{{c{n}::{answer}{hint}}}}}")
            });
            let mut extra = card.explain.clone().unwrap_or_default();
            let others: Vec<String> = cloze_blanks(&card.prompt)
                .iter()
                .enumerate()
                .filter(|(_, b)| b.answers.len() > 1)
                .map(|(k, b)| format!("c{}: {}", k + 1, b.answers[1..].join("; ")))
                .collect();
            if !others.is_empty() {
                if !extra.is_empty() {
                    extra.push_str("\n\n");
                }
                extra.push_str(&format!("(also accepted: {})", others.join("; ")));
            }
            ("Cloze", front, extra)
        }
    }
}

/// Quizlet text: `term<TAB>definition<LF>`, newlines inside a field replaced by " / " and tabs by spaces. Every card
/// is one line, laid out as its Anki note (cloze sentences with `_____` blanks); returns the count of lines written.
pub fn write_quizlet(deck: &Deck, out: &mut dyn Write) -> std::io::Result<super::Written> {
    let mut written = super::Written::default();
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

/// A cloze prompt with each blank replaced by `fill(n, first answer)`, `n` counting blanks from 1.
fn fill_blanks(prompt: &str, mut fill: impl FnMut(usize, &str) -> String) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (i, blank) in cloze_blanks(prompt).iter().enumerate() {
        out.push_str(&prompt[last..blank.range.start]);
        out.push_str(&fill(
            i + 1,
            blank.answers.first().map_or("", String::as_str),
        ));
        last = blank.range.end;
    }
    out.push_str(&prompt[last..]);
    out
}

/// One line of Quizlet text: newlines become " / ", tabs spaces.
fn flat(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace(['\n', '\r'], " / ")
        .replace('\t', " ")
}

/// What a reader took from one row, before it becomes a card.
struct Row {
    line: usize,
    front: String,
    back: String,
    id: Option<String>,
    tags: Vec<String>,
    explain: Option<String>,
    hint: Option<String>,
    reverse: bool,
}

/// Makes a card of a row and hands it on, or warns why the row is skipped.
fn emit_row(
    row: Row,
    ids: &mut Ids,
    warnings: &mut Vec<Warning>,
    emit: &mut Sink<'_>,
) -> Result<(), ConvertError> {
    let mut warn = |message: &str| {
        warnings.push(Warning {
            line: row.line,
            message: message.to_string(),
        });
        Ok(())
    };
    if row.front.is_empty() {
        return warn("the front is empty; row skipped");
    }
    if let Some(found) = [&row.front, &row.back]
        .into_iter()
        .chain(row.explain.as_ref())
        .find_map(|t| super::media(t))
    {
        warn(&super::media_warning(row.line, &found).message)?;
    }
    let mut hint = row.hint;
    let (prompt, body, explain) = match anki_cloze(&row.front) {
        Some(Ok((prompt, hints))) => {
            let explain = row.explain.or(Some(row.back).filter(|b| !b.is_empty()));
            hint = hint.or_else(|| cloze_hint(&hints));
            (prompt, Body::Cloze { reject: Vec::new() }, explain)
        }
        Some(Err(why)) => return warn(why),
        None if row.back.is_empty() => return warn("the back is empty; row skipped"),
        None => {
            let body = Body::Flashcard {
                answer: row.back,
                reverse: row.reverse,
            };
            (row.front, body, row.explain)
        }
    };
    let mut tags: Vec<String> = Vec::new();
    for t in row.tags {
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    emit(Card {
        id: ids.claim(row.id.as_deref(), &prompt),
        prompt,
        body,
        explain,
        source: Vec::new(),
        tags,
        hint,
        allow: Default::default(),
    })
}

/// One hint for a cloze card from its blanks' Anki hints (`{{c1::answer::hint}}`): the hint itself when every blank
/// has that one, else each hinted blank's as "blank N: hint", joined by "; ".
fn cloze_hint(hints: &[Option<String>]) -> Option<String> {
    let given: Vec<(usize, &String)> = hints
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.as_ref().map(|h| (i, h)))
        .collect();
    let (_, first) = given.first()?;
    if given.len() == hints.len() && given.iter().all(|(_, h)| h == first) {
        return Some(first.to_string());
    }
    Some(
        given
            .iter()
            .map(|(i, h)| format!("blank {}: {h}", i + 1))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// A cloze prompt and the hint of each of its blanks.
type Cloze = (String, Vec<Option<String>>);

/// A front with Anki cloze markup as a detente cloze prompt and each blank's hint (`{{c1::answer::hint}}`): `None`
/// when there is no `{{cN::…}}`, an error when the result would not be a valid cloze prompt.
fn anki_cloze(front: &str) -> Option<Result<Cloze, &'static str>> {
    let mut hints = Vec::new();
    let mut out = String::new();
    let mut rest = front;
    let mut found = false;
    while let Some(open) = rest.find("{{c") {
        let after = &rest[open + 3..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let body = after[digits..].strip_prefix("::");
        let Some((inner, tail)) = body.filter(|_| digits > 0).and_then(|b| b.split_once("}}"))
        else {
            out.push_str(&rest[..open + 3]);
            rest = after;
            continue;
        };
        let mut parts = inner.splitn(2, "::");
        let answer = parts.next().unwrap_or("").trim();
        hints.push(
            parts
                .next()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty()),
        );
        out.push_str(&rest[..open]);
        out.push_str("{{");
        out.push_str(answer);
        out.push_str("}}");
        rest = tail;
        found = true;
    }
    if !found {
        return None;
    }
    out.push_str(rest);
    let blanks = cloze_blanks(&out);
    let ok = out.matches("{{").count() == blanks.len()
        && out.matches("}}").count() == blanks.len()
        && blanks.iter().all(|b| !b.answers.is_empty());
    Some(if ok {
        Ok((out, hints))
    } else {
        Err("a cloze deletion is empty or nested; row skipped")
    })
}

/// A field's text: HTML cleaned when `html` says so (or, when unset, when the field holds a tag), trimmed.
fn field(raw: &str, html: Option<bool>) -> String {
    if html.unwrap_or_else(|| has_tag(raw)) {
        strip_html(raw).trim().to_string()
    } else {
        raw.trim().to_string()
    }
}

/// The tag starting at byte `i` of `s` (`<` then a letter, `/` or `!`, up to `>`): its length and lower-case name.
fn tag_at(s: &str, i: usize) -> Option<(usize, String)> {
    let rest = s[i..].strip_prefix('<')?;
    let first = rest.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '/' || first == '!') {
        return None;
    }
    let end = rest.find('>')?;
    let name = rest[..end]
        .trim_start_matches('/')
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    Some((end + 2, name))
}

fn has_tag(s: &str) -> bool {
    s.match_indices('<').any(|(i, _)| tag_at(s, i).is_some())
}

/// Text of an HTML field: tags dropped (`<br>` a newline, block tags a line break), entities decoded.
fn strip_html(s: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if let Some((len, name)) = tag_at(s, i) {
            let block = ["div", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"]
                .contains(&name.as_str());
            if name == "br" || (block && !out.is_empty() && !out.ends_with('\n')) {
                out.push('\n');
            } else if let Some(kept) = super::media_tag(&s[i + 1..i + len - 1]) {
                out.push_str(&kept);
            }
            i += len;
        } else if let Some((len, c)) = entity(rest) {
            out.push(c);
            i += len;
        } else if let Some(c) = rest.chars().next() {
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The HTML entity at the start of `s` (named ones Anki writes, and numeric ones): its length and character.
fn entity(s: &str) -> Option<(usize, char)> {
    if !s.starts_with('&') {
        return None;
    }
    let end = s.char_indices().take(12).find(|&(_, c)| c == ';')?.0;
    let c = match &s[1..end] {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        name => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((end + 1, c))
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

/// Which field (0-based) of a record holds what.
#[derive(Default)]
struct Columns {
    width: usize,
    first_line: usize,
    front: usize,
    back: Option<usize>,
    tags: Option<usize>,
    id: Option<usize>,
    explain: Option<usize>,
    hint: Option<usize>,
    deck: Option<usize>,
    notetype: Option<usize>,
}

impl Columns {
    fn check_width(&self, rec: &Record) -> Result<(), ConvertError> {
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
struct Lines<R> {
    input: R,
    number: usize,
    back: Option<(usize, String)>,
}

impl<R: BufRead> Lines<R> {
    fn new(input: R) -> Self {
        Lines {
            input,
            number: 0,
            back: None,
        }
    }

    /// The next line with its line ending, or `None` at the end.
    fn next(&mut self) -> Result<Option<(usize, String)>, ConvertError> {
        if let Some(line) = self.back.take() {
            return Ok(Some(line));
        }
        let mut buf = Vec::new();
        if self.input.read_until(b'\n', &mut buf)? == 0 {
            return Ok(None);
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
struct Record {
    line: usize,
    fields: Vec<String>,
}

/// The next record, skipping blank lines (and `#` comment lines if `comments`), joining lines while a quoted field is
/// open. `delim` is picked from the record's first line if it is not set yet.
fn record<R: BufRead>(
    lines: &mut Lines<R>,
    delim: &mut Option<u8>,
    comments: bool,
) -> Result<Option<Record>, ConvertError> {
    let (line, mut text) = loop {
        let Some((n, t)) = lines.next()? else {
            return Ok(None);
        };
        let bare = t.trim_end_matches(['\r', '\n']);
        let comment = comments && bare.starts_with('#');
        if !comment && !bare.trim().is_empty() {
            break (n, t);
        }
    };
    let d = *delim.get_or_insert_with(|| detect(&text));
    let mut open = open_quote(&text, 0, None, d);
    while let Some(at) = open {
        let Some((_, more)) = lines.next()? else {
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
fn split(text: &str, delim: u8) -> Result<Vec<String>, String> {
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
