//! Moodle GIFT: the reader (Moodle's semantics) and the writer (as Moodle's exporter writes it).
//!
//! The reader ([`read`], in `read.rs`) follows Moodle's `qformat_gift` (`docs/formats.md` §1): questions are blocks separated by blank
//! lines; `//` comment lines are dropped, but their `[id:..]` and `[tag:..]` give the next question's id and tags; a
//! `$CATEGORY:` block tags the cards after it with its path; the answer block is the first unescaped `{` to the first
//! unescaped `}`, and its type is detected in Moodle's order (numerical, multiple choice, matching, true/false, short
//! answer). A question is read as a list of characters that remember whether they were escaped and where they stood
//! in the file (`symbols.rs`), so control characters are told from escaped ones without Moodle's placeholders, and a
//! malformed question is reported at its line and column. What detente cannot hold is skipped with a warning at the
//! question's line: descriptions, essays, and questions whose card `deck check` would reject.
//!
//! Moodle's quirks are kept (`question.rs` splits a question, `answers.rs` reads each type of answer block): an
//! unescaped `~` anywhere makes a multiple-choice question, `T`/`TRUE`/`F`/`FALSE` are case-sensitive, the first `#`
//! of a true/false answer is the feedback for a wrong answer and the second for a right one, and an `=` answer of a
//! multiple-choice question takes no `%weight%`. Partial credit, which detente does not have, is dropped with a
//! warning; a `%0%` (or negative) short answer becomes one of the card's `reject` entries, except `*`, Moodle's "any
//! other answer". Several `=` answers in a multiple-choice question (Moodle: one pick, any of them right) give a
//! choice card answered by the first, the others left out of its choices with a warning. No feedback is lost:
//! `explain` holds the general feedback, the right answer's feedback, then each other answer's as "If you chose X:
//! ..." (true/false: the first `#` text is for the wrong value). Text marked `[html]` is turned into plain text by
//! the importers' one HTML conversion (`convert/html.rs`); other text is read as written. Media links stay as text,
//! with a warning at their line.
//!
//! The writer ([`write()`], in `write.rs`) writes what Moodle's exporter writes: a `$CATEGORY:` block named after the
//! deck, then each card with its `// [id:..] [tag:..]` comment, its id as the question name, escaped text and
//! Moodle's layout of the answer block. Every card is written: a cloze as one missing-word question per blank, an
//! order card as a matching question from positions to items (read back as an order card), a flashcard as a short
//! answer or, with a long back, a description. A card GIFT cannot hold (a matching side with `->`) is left out with a
//! warning naming it. What GIFT has no place for travels in `//` comment lines Moodle drops (`docs/formats.md`
//! §1.7a): `// detente deck: {...}` (the deck's fields; the first category is then its title) and, before a card,
//! `// detente: {...}` (its sources, allowed warnings, hint, flashcard kind; the whole card when Moodle gets it only in
//! part, as a description or one question per blank, whose questions the reader then skips). So a deck written and
//! read back is the same deck, card for card; the writer names each card Moodle gets only in part.

mod answers;
mod question;
mod read;
mod symbols;
mod write;

pub use read::read;
pub(crate) use write::fraction;
pub use write::{SHORT_BACK, write};

use crate::deck::{Card, SourceRef};
use std::collections::BTreeMap;

/// What a card holds that GIFT has no place for, carried in a `// detente: {...}` comment line before its question
/// (Moodle and gift-pegjs drop `//` lines; this reader reads it back).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Extras {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<SourceRef>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allow: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The short answer is a flashcard: `Some(reverse)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flashcard: Option<bool>,
    /// The whole card, when GIFT cannot hold it as one graded question (a flashcard written as a description, a
    /// cloze with several blanks written as one question per blank): the reader takes the card from here and skips
    /// the questions written for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Box<Card>>,
}

impl Extras {
    fn is_empty(&self) -> bool {
        self.source.is_empty()
            && self.allow.is_empty()
            && self.hint.is_none()
            && self.flashcard.is_none()
            && self.card.is_none()
    }
}

/// The text formats Moodle names in a `[format]` prefix. Only HTML changes how detente reads the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Html,
}

/// The `[format]` prefixes, as the reader takes them off a text and the writer guards a text that starts with one.
const FORMATS: [(&str, Format); 4] = [
    ("[moodle]", Format::Text),
    ("[plain]", Format::Text),
    ("[markdown]", Format::Text),
    ("[html]", Format::Html),
];

/// A text without its format prefix (the format is `default` when it has none), trimmed; `[html]` text turned into
/// plain text by the importers' one HTML conversion, after GIFT's own escapes (`\:`, `\#`, `\{`, ...) were resolved,
/// so `&\#233;` in an answer is `é`. Text in any other format is kept as written: `[plain]Is 1 &lt; 2?` keeps its
/// `&lt;`.
fn formatted(text: &str, default: Format) -> (String, Format) {
    let text = text.trim();
    let plain = text.starts_with("[plain]");
    let (text, format) = FORMATS
        .iter()
        .find_map(|(tag, f)| text.strip_prefix(tag).map(|t| (t, *f)))
        .unwrap_or((text, default));
    let text = match format {
        Format::Html => super::html::to_text(text),
        // Moodle shows text in its default, `[moodle]` and `[markdown]` formats as HTML, where a comment is not
        // shown: it must not end up in a card either.
        Format::Text if !plain => without_comments(text),
        Format::Text => text.to_string(),
    };
    (text.trim().to_string(), format)
}

/// A text without its HTML comments (`<!-- ... -->`; an unclosed one runs to the end).
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("<!--") {
        out.push_str(&rest[..at]);
        rest = rest[at + 4..].split_once("-->").map_or("", |(_, r)| r);
    }
    out.push_str(rest);
    out
}
