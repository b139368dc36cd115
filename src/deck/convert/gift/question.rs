//! One GIFT question: its `::name::`, its text and its one answer block found, the block's type detected in Moodle's
//! order and handed to the reader of that type (`answers.rs`), and the card put together with its explanation.

use super::answers::{matching, multichoice, numerical, shortanswer, truefalse};
use super::symbols::{arrow, find, string, symbols, trim};
use super::{Format, formatted};
use crate::deck::convert::ConvertError;
use crate::deck::{Body, Card, cloze_blanks};

/// Stands for the answer block in a missing-word question's text until the block's type is known.
const MARK: char = '\u{E000}';

/// A question's name and its card (without id and tags), or `None` (with a note saying why) when it is skipped.
pub(super) fn question(
    lines: &[(usize, String)],
    notes: &mut Vec<String>,
) -> Result<Option<(Option<String>, Card)>, ConvertError> {
    let syms = symbols(lines);
    let mut text = trim(&syms);
    let mut name = None;
    if text.len() >= 2 && text[0].is(':') && text[1].is(':') {
        text = &text[2..];
        if let Some(end) = (1..text.len()).find(|&i| text[i - 1].is(':') && text[i].is(':')) {
            name = Some(string(&text[..end - 1]).trim().to_string());
            text = trim(&text[end + 1..]);
        }
    }
    let (open, close) = match (find(text, '{'), find(text, '}')) {
        (None, None) => {
            notes.push("description skipped: it has no answer block".into());
            return Ok(None);
        }
        (Some(open), Some(close)) if open < close => (open, close),
        (Some(open), None) => {
            return Err(text[open].error(
                "`{` is never closed: end the answer block with `}` (write a literal brace as \\{)",
            ));
        }
        (_, Some(close)) => {
            return Err(
                text[close].error("`}` without a `{` before it (write a literal brace as \\})")
            );
        }
    };
    if let Some(stray) =
        (open + 1..text.len()).find(|&i| i != close && (text[i].is('{') || text[i].is('}')))
    {
        return Err(text[stray]
            .error("a question has one answer block: write a literal brace as \\{ or \\}"));
    }
    let after = &text[close + 1..];
    let missing_word = !after.is_empty();
    let mut block = trim(&text[open + 1..close]);
    let mut general = None;
    if let Some(g) = (0..block.len().saturating_sub(3))
        .rev()
        .find(|&i| block[i..i + 4].iter().all(|x| x.is('#')))
    {
        general = Some(&block[g + 4..]);
        block = trim(&block[..g]);
    }
    let mut raw = string(&text[..open]);
    if missing_word {
        raw.push(MARK);
        raw.push_str(&string(after));
    }
    let (prompt, format) = formatted(&raw, Format::Text);
    let general = general.map(|g| formatted(&string(g), format).0);
    let parsed = if block.is_empty() {
        notes.push("essay question skipped: detente has no essay card".into());
        None
    } else if block[0].is('#') {
        numerical(block, format, notes)?
    } else if find(block, '~').is_some() {
        multichoice(block, format, notes)?
    } else if find(block, '=').is_some() && arrow(block).is_some() {
        matching(block, format, notes)?
    } else if let Some(truefalse) = truefalse(block, format) {
        Some(truefalse)
    } else {
        shortanswer(block, format, notes)?
    };
    let Some((body, feedback)) = parsed else {
        return Ok(None);
    };
    let (body, prompt) = match body {
        Body::Text { answers, reject } if missing_word => {
            let prompt = prompt.replace(MARK, &format!("{{{{{}}}}}", answers.join("|")));
            let blanks = cloze_blanks(&prompt);
            if blanks.len() != 1
                || blanks[0].answers != answers
                || prompt.matches("{{").count() != 1
                || prompt.matches("}}").count() != 1
            {
                notes.push(
                    "question skipped: its answers or text hold `|`, `{{` or `}}`, which a cloze blank cannot".into(),
                );
                return Ok(None);
            }
            (Body::Cloze { reject }, prompt)
        }
        body if missing_word => (body, prompt.replace(MARK, "_____")),
        body => (body, prompt),
    };
    // The general feedback, then the per-answer feedback ("If you chose X: ..."), so none of it is lost.
    let explain = [general, feedback]
        .into_iter()
        .flatten()
        .filter(|e| !e.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let card = Card {
        id: String::new(),
        prompt,
        body,
        explain: Some(explain).filter(|e| !e.is_empty()),
        source: Vec::new(),
        tags: Vec::new(),
        hint: None,
        allow: Default::default(),
    };
    Ok(Some((name, card)))
}
