//! The GIFT reader's outer loop: the file streamed as blank-line-separated blocks, `//` comments giving the next
//! question's `[id:..]` and `[tag:..]`, `$CATEGORY:` blocks tagging the cards after them, and each question's card
//! checked as `deck check` would before it is handed on.

use super::Extras;
use super::question::question;
use crate::deck::Body;
use crate::deck::convert::{
    ConvertError, DeckExtras, Ids, MAX_QUESTION_BYTES, Meta, Sink, Warning, media, media_warning,
    pass, read_until_within, slug, tag, too_long,
};
use std::io::BufRead;

/// Reads a GIFT bank, handing each card to `emit` as soon as its question is complete (stream by
/// blank-line-separated blocks; never hold the whole file's cards).
pub fn read(mut input: impl BufRead, emit: &mut Sink<'_>) -> Result<Meta, ConvertError> {
    let mut reader = Reader::default();
    let mut block: Vec<(usize, String)> = Vec::new();
    let mut buf = Vec::new();
    let mut line_no = 0;
    // The bytes of the question being read: it may hold at most `MAX_QUESTION_BYTES`.
    let mut held = 0;
    loop {
        buf.clear();
        let room = MAX_QUESTION_BYTES - held;
        match read_until_within(&mut input, b'\n', &mut buf, room)? {
            Some(0) => break,
            Some(_) => {}
            None => return Err(too_long(block.first().map_or(line_no + 1, |b| b.0))),
        }
        line_no += 1;
        let bytes = match buf.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) if line_no == 1 => rest,
            _ => &buf[..],
        };
        let line = std::str::from_utf8(bytes).map_err(|e| {
            let column =
                std::str::from_utf8(&bytes[..e.valid_up_to()]).map_or(0, |s| s.chars().count()) + 1;
            ConvertError::at(
                line_no,
                column,
                "the file is not UTF-8: save it as UTF-8 and convert again",
            )
        })?;
        let line = line.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            reader.block(&block, emit)?;
            block.clear();
            held = 0;
        } else if trimmed.starts_with("//") {
            held += buf.len();
            reader.comment(line_no, trimmed);
        } else {
            held += buf.len();
            block.push((line_no, line.to_string()));
        }
    }
    reader.block(&block, emit)?;
    Ok(Meta::of_one(reader.title, reader.warnings, reader.deck))
}

/// What the reader carries from one block to the next.
#[derive(Default)]
struct Reader {
    ids: Ids,
    /// The tag of the current `$CATEGORY:`.
    category: Option<String>,
    /// The `[id:..]` and `[tag:..]` of the comments since the last question.
    id: Option<String>,
    tags: Vec<String>,
    warnings: Vec<Warning>,
    /// The deck's fields from a `// detente deck:` comment; its first `$CATEGORY:` is then the deck's title.
    deck: Option<DeckExtras>,
    title: Option<String>,
    /// The `// detente:` comment since the last question, and the line it stood on.
    extras: Option<(usize, String)>,
    /// The ids (`<id>-blank-2`, ...) of the questions still to come that were written for a cloze card read whole
    /// from its comment.
    part_of: std::collections::VecDeque<String>,
}

impl Reader {
    fn comment(&mut self, line_no: usize, line: &str) {
        let body = line.trim_start_matches('/').trim_start();
        if let Some(json) = body.strip_prefix("detente deck:") {
            match serde_json::from_str::<DeckExtras>(json) {
                Ok(extras) => self.deck = Some(extras),
                Err(e) => self.warnings.push(Warning {
                    line: line_no,
                    message: format!("the `detente deck:` comment is not readable ({e}); ignored"),
                }),
            }
            return;
        }
        if let Some(json) = body.strip_prefix("detente:") {
            self.extras = Some((line_no, json.to_string()));
            return;
        }
        if let Some(id) = bracketed(line, "[id:").pop() {
            self.id = Some(id);
        }
        for tag in bracketed(line, "[tag:") {
            if !self.tags.contains(&tag) {
                self.tags.push(tag);
            }
        }
    }

    /// One question, or a category, from its non-comment lines (numbered as in the file).
    fn block(
        &mut self,
        lines: &[(usize, String)],
        emit: &mut Sink<'_>,
    ) -> Result<(), ConvertError> {
        let Some((line, head)) = lines.first() else {
            return Ok(());
        };
        let line = *line;
        if let Some(path) = head.trim().strip_prefix("$CATEGORY:") {
            if let Some((n, text)) = lines.get(1) {
                let column = text.chars().take_while(|c| c.is_whitespace()).count() + 1;
                return Err(ConvertError::at(
                    *n,
                    column,
                    "a `$CATEGORY:` block holds nothing else: put a blank line after it",
                ));
            }
            if self.deck.is_some() && self.title.is_none() {
                // detente's own export: the first category is the deck's title, not a tag.
                let title = crate::deck::convert::moodle::category_path(path).join("/");
                self.title = Some(title);
                self.category = None;
            } else {
                self.category = category_tag(path);
            }
            return Ok(());
        }
        let given = self.id.take();
        let tags = std::mem::take(&mut self.tags);
        let extras = match self.extras.take() {
            None => None,
            Some((n, json)) => match serde_json::from_str::<Extras>(&json) {
                Ok(extras) => Some(extras),
                Err(e) => {
                    self.warnings.push(Warning {
                        line: n,
                        message: format!("the `detente:` comment is not readable ({e}); ignored"),
                    });
                    None
                }
            },
        };
        if extras.is_none() && given.is_some() && self.part_of.front() == given.as_ref() {
            // The next blank of a cloze card already read whole from its comment.
            self.part_of.pop_front();
            return Ok(());
        }
        self.part_of.clear();
        let mut extras = extras.unwrap_or_default();
        if let Some(card) = extras.card.take() {
            // A card GIFT cannot hold as one question, read whole from its comment; the questions written for it
            // (a description, one question per blank) are not read again.
            if let Body::Cloze { .. } = card.body {
                let blanks = crate::deck::cloze_blanks(&card.prompt).len();
                self.part_of = (2..=blanks)
                    .map(|k| format!("{}-blank-{k}", card.id))
                    .collect();
            }
            let id = card.id.clone();
            return pass(
                *card,
                line,
                Some(&id),
                &mut self.ids,
                &mut self.warnings,
                emit,
            );
        }
        for (n, text) in lines {
            if let Some(found) = media(text) {
                self.warnings.push(media_warning(*n, &found));
            }
        }
        let mut notes = Vec::new();
        let parsed = question(lines, &mut notes);
        self.warnings
            .extend(notes.into_iter().map(|message| Warning { line, message }));
        let Some((name, mut card)) = parsed? else {
            return Ok(());
        };
        card.source = std::mem::take(&mut extras.source);
        card.allow = std::mem::take(&mut extras.allow);
        card.hint = extras.hint.take().or(card.hint.take());
        if let Some(reverse) = extras.flashcard
            && let Body::Text { answers, reject } = &card.body
            && answers.len() == 1
            && reject.is_empty()
        {
            card.body = Body::Flashcard {
                answer: answers[0].clone(),
                reverse,
            };
        }
        for tag in self
            .category
            .iter()
            .cloned()
            .chain(tags.iter().filter_map(|t| tag(t)))
        {
            if !tag.is_empty() && !card.tags.contains(&tag) {
                card.tags.push(tag);
            }
        }
        pass(
            card,
            line,
            given.as_deref().or(name.as_deref()),
            &mut self.ids,
            &mut self.warnings,
            emit,
        )
    }
}

/// The values of every `[key:value]` in a comment line, `\]` standing for `]`.
fn bracketed(line: &str, open: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find(open) {
        rest = &rest[at + open.len()..];
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' if rest[i + 1..].starts_with(']') => {
                    value.push(']');
                    chars.next();
                }
                ']' => {
                    end = Some(i);
                    break;
                }
                c => value.push(c),
            }
        }
        let Some(end) = end else { break };
        found.push(value.trim().to_string());
        rest = &rest[end + 1..];
    }
    found
}

/// The tag for a category path: `$course$/top/IR 101/Week 1` gives `ir-101/week-1`. `//` is a literal `/`; the
/// context (`$course$`, `$system$`, ...), `top` and Moodle's `Default for ...` categories are left out.
fn category_tag(path: &str) -> Option<String> {
    let tag = super::super::category_parts(path)
        .iter()
        .map(|p| p.trim())
        .filter(|p| {
            !(p.starts_with('$') && p.ends_with('$'))
                && *p != "top"
                && !p.starts_with("Default for ")
        })
        .map(slug)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    (!tag.is_empty()).then_some(tag)
}
