//! From a row to a card, for every text reader: a front with Anki cloze markup becomes a cloze card, any other row a
//! flashcard; empty rows are skipped and media links warned about.

use crate::deck::convert::{ConvertError, Ids, Sink, Warning, media, media_warning, pass};
use crate::deck::{Body, Card, cloze_blanks};

/// What a reader took from one row, before it becomes a card.
pub(super) struct Row {
    pub(super) line: usize,
    pub(super) front: String,
    pub(super) back: String,
    pub(super) id: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) explain: Option<String>,
    pub(super) hint: Option<String>,
    pub(super) reverse: bool,
}

/// Makes a card of a row and hands it on, or warns why the row is skipped.
pub(super) fn emit_row(
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
        .find_map(|t| media(t))
    {
        warn(&media_warning(row.line, &found).message)?;
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
    let card = Card {
        id: String::new(),
        prompt,
        body,
        explain,
        source: Vec::new(),
        tags,
        hint,
        allow: Default::default(),
    };
    pass(card, row.line, row.id.as_deref(), ids, warnings, emit)
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
