//! Moodle XML, Moodle's own question-bank format (what its "Export questions" writes by default): the reader and the
//! writer. Pure: bytes in, cards out, and a deck in, bytes out.
//!
//! The reader ([`read()`], in `read.rs`) streams: `xml.rs` reads the file with quick-xml and builds one `<question>`
//! at a time into a small tree (never more than [`crate::deck::convert::MAX_QUESTION_BYTES`] of input), and each
//! tree becomes a card by its type as Moodle's `qformat_xml` imports it: multichoice (one answer: a `choice` card;
//! several, `<single>false</single>`: a `multi` card), truefalse, shortanswer (0 % answers become `reject` entries),
//! numerical (the 100 % answer and its tolerance; a unit is named in the prompt), matching, ordering, cloze (each
//! embedded answer a `{{blank}}`, `cloze.rs`), and essay (a flashcard whose back is the grader information).
//! `<generalfeedback>`, then the right answer's feedback, then each other answer's ("If you chose X: ...") make the
//! explanation; the first `<hint>` is the hint; `<tags>` are tags. The first category names the deck; a question in
//! another category is tagged with its path. Whatever detente cannot hold (partial credit, a mark, a penalty, extra
//! hints, combined feedback, units, distractors, embedded files, descriptions, other question types) is named in a
//! warning with the question's name and line, never dropped silently. A malformed file is an error at its line and
//! column.
//!
//! The writer ([`write()`], in `write.rs`) writes a deck as Moodle's exporter lays it out: one category named after
//! the deck, then each card as the question type above that holds it (a flashcard as an essay, its back as grader
//! information), its id as name and id number, its explanation as general feedback. What Moodle has no field for
//! (a card's sources, allowed warnings and reverse side; the deck's id, description, tags, sources, aliases and new
//! order) travels in XML comments (`<!-- detente: {...} -->`), which Moodle ignores and this reader reads back, so a
//! deck exported and converted back is the same deck.

mod cloze;
mod read;
mod write;
mod xml;

pub use read::read;
pub use write::write;

use crate::deck::SourceRef;
use std::collections::BTreeMap;

/// What a card holds that Moodle has no field for, carried in a `<!-- detente: {...} -->` comment in its question.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Extras {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<SourceRef>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allow: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reverse: bool,
}

impl Extras {
    fn is_empty(&self) -> bool {
        self.source.is_empty() && self.allow.is_empty() && !self.reverse
    }
}

pub use crate::deck::convert::DeckExtras;

/// A category path's parts: `$course$/top/IR 101/Week 1` gives `IR 101`, `Week 1`. `//` is a literal `/`; the
/// context (`$course$`, `$system$`, ...) and `top` are left out.
pub(super) fn category_path(path: &str) -> Vec<String> {
    super::category_parts(path)
        .into_iter()
        .map(|p| p.trim().to_string())
        .enumerate()
        .filter(|(i, p)| {
            let context = p.starts_with('$') && p.ends_with('$');
            let top = *i <= 1 && p == "top";
            !(p.is_empty() || context || top)
        })
        .map(|(_, p)| p)
        .collect()
}

/// The penalty Moodle gives a new question of `kind`: the writer writes it, and the reader warns about any other.
pub(super) fn default_penalty(kind: &str) -> f64 {
    match kind {
        "truefalse" => 1.0,
        "essay" | "description" => 0.0,
        _ => 0.3333333,
    }
}

/// Whether a combined-feedback text is Moodle's default for that field (which says nothing the card does not).
pub(super) fn is_default_combined(field: &str, text: &str) -> bool {
    let t = text.trim();
    match field {
        "correctfeedback" => t == "Your answer is correct.",
        "partiallycorrectfeedback" => t == "Your answer is partially correct.",
        "incorrectfeedback" => t == "Your answer is incorrect.",
        _ => false,
    }
}

/// Whether `head`, the start of a file, is XML whose root is Moodle's `<quiz>` (or any XML, `quiz` false).
pub fn sniff(head: &[u8]) -> Option<bool> {
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if !t.starts_with('<') {
        return None;
    }
    // Skip the declaration, comments and a doctype to the first element's name.
    let mut rest = t;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("<?") {
            rest = r.split_once("?>").map_or("", |(_, r)| r);
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.split_once("-->").map_or("", |(_, r)| r);
        } else if let Some(r) = rest.strip_prefix("<!") {
            rest = r.split_once('>').map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    let name: String = rest
        .strip_prefix('<')?
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'))
        .collect();
    if name.is_empty() && !rest.is_empty() {
        return None;
    }
    Some(name == "quiz" || (name.is_empty() && t.starts_with("<?xml")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_paths_drop_the_context() {
        assert_eq!(
            category_path("$course$/top/IR 101/Week 1"),
            vec!["IR 101", "Week 1"]
        );
        assert_eq!(category_path("$course$/a//b/c"), vec!["a/b", "c"]);
        assert_eq!(category_path("$system$/top"), Vec::<String>::new());
    }

    #[test]
    fn sniffing_finds_the_quiz() {
        assert_eq!(
            sniff(b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- c -->\n<quiz>"),
            Some(true)
        );
        assert_eq!(sniff(b"<html><body>"), Some(false));
        assert_eq!(sniff(b"::Q::What? {=a}"), None);
    }
}
