//! The deck format: the validated types a deck file becomes, the study items ("siblings") a card expands into, and
//! content hashing. Parsing and validation with file locations live in [`parse`]; the decks compiled into the binary
//! in [`builtin`].

pub mod builtin;
pub mod convert;
pub mod parse;

use crate::text::{Fnv1a, fnv1a};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use unicode_normalization::UnicodeNormalization;

pub use parse::{Code, Diagnostic, Severity, parse_deck};

/// A validated deck.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deck {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<DeckSource>,
    /// Extra accepted spellings: canonical form to its alternatives.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aliases: BTreeMap<String, Vec<String>>,
    /// The order new cards are introduced in (`new_order`); `None` for the default, paragraph order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_order: Option<NewOrder>,
    /// `exam_only = true`: the deck is a bank for exams the class server runs. The server never sends it to a
    /// device, never syncs study of it, and shows its answers only in an attempt's review.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exam_only: bool,
    pub cards: Vec<Card>,
}

/// The order a deck's new cards are introduced in, as `[deck] new_order` sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NewOrder {
    /// The reading's order: by each card's first source paragraph, then file position (the default). A card
    /// without a paragraph keeps its place after the card before it.
    #[default]
    Paragraph,
    /// As the cards are written in the file.
    File,
}

impl NewOrder {
    /// The order named in a deck file (`"paragraph"` or `"file"`).
    pub fn from_name(name: &str) -> Option<NewOrder> {
        match name {
            "paragraph" => Some(NewOrder::Paragraph),
            "file" => Some(NewOrder::File),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NewOrder::Paragraph => "paragraph",
            NewOrder::File => "file",
        }
    }
}

/// The reading a deck is derived from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeckSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl DeckSource {
    /// A short citation such as "Sherr, Chatham House 2010": the author's surname, the outlet and the year, leaving
    /// out whatever the reading does not state.
    pub fn citation(&self) -> String {
        let stated = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty() && !s.to_lowercase().starts_with("not stated"))
                .map(str::to_string)
        };
        let mut parts = Vec::new();
        if let Some(author) = stated(&self.author) {
            // The first author's surname: "James Sherr; Vincent Pouliot" gives "Sherr et al."
            let several = author.contains(';');
            let first = author.split(';').next().unwrap_or(&author).trim();
            let surname = first.split_whitespace().last().unwrap_or(first);
            parts.push(if several {
                format!("{surname} et al.")
            } else {
                surname.to_string()
            });
        }
        let mut tail = stated(&self.outlet).unwrap_or_default();
        if let Some(year) = stated(&self.published).and_then(|p| {
            p.split(|c: char| !c.is_ascii_digit())
                .find(|s| s.len() == 4)
                .map(str::to_string)
        }) {
            if !tail.is_empty() {
                tail.push(' ');
            }
            tail.push_str(&year);
        }
        if !tail.is_empty() {
            parts.push(tail);
        }
        parts.join(", ")
    }
}

/// One card as the teacher wrote it. A card becomes one or more study items: see [`Card::siblings`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub id: String,
    pub prompt: String,
    #[serde(flatten)]
    pub body: Body,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<SourceRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Item-writing warnings of `deck check` this card is allowed to raise, each with the author's reason (see
    /// [`crate::deck::CARD_WARNINGS`]). Not part of what the learner sees, so not of [`Card::content_hash`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allow: BTreeMap<String, String>,
}

/// What is specific to each of the nine card kinds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Body {
    Flashcard {
        answer: String,
        #[serde(default)]
        reverse: bool,
    },
    Choice {
        choices: Vec<String>,
        answer: String,
    },
    Multi {
        choices: Vec<String>,
        answers: Vec<String>,
    },
    Truefalse {
        answer: bool,
    },
    Text {
        answers: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reject: Vec<String>,
    },
    Cloze {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reject: Vec<String>,
    },
    Order {
        items: Vec<String>,
    },
    Match {
        pairs: Vec<(String, String)>,
    },
    Number {
        answer: f64,
        #[serde(default)]
        tolerance: f64,
    },
}

impl Body {
    /// The kind's name as written in deck files.
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Flashcard { .. } => "flashcard",
            Body::Choice { .. } => "choice",
            Body::Multi { .. } => "multi",
            Body::Truefalse { .. } => "truefalse",
            Body::Text { .. } => "text",
            Body::Cloze { .. } => "cloze",
            Body::Order { .. } => "order",
            Body::Match { .. } => "match",
            Body::Number { .. } => "number",
        }
    }
}

/// Where in a reading a card's answer stands.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SourceRef {
    /// Another deck whose reading this points at; `None` for the card's own deck.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deck: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paragraph: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locator: Option<String>,
}

/// The card kinds, in the order the format documents them.
pub const KINDS: [&str; 9] = [
    "flashcard",
    "choice",
    "multi",
    "truefalse",
    "text",
    "cloze",
    "order",
    "match",
    "number",
];

/// One blank of a cloze prompt: its position in the prompt (byte range of `{{...}}`) and its accepted answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Blank {
    pub range: std::ops::Range<usize>,
    pub answers: Vec<String>,
}

/// The blanks of a cloze prompt, `{{answer}}` or `{{answer|alternative}}`, in order.
pub fn cloze_blanks(prompt: &str) -> Vec<Blank> {
    let mut blanks = Vec::new();
    let mut from = 0;
    while let Some(open) = prompt[from..].find("{{").map(|i| i + from) {
        let Some(close) = prompt[open + 2..].find("}}").map(|i| i + open + 2) else {
            break;
        };
        let answers = prompt[open + 2..close]
            .split('|')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect();
        blanks.push(Blank {
            range: open..close + 2,
            answers,
        });
        from = close + 2;
    }
    blanks
}

/// A cloze prompt with blank `ask` shown as `[...]` and every other blank filled with its first answer.
pub fn cloze_question(prompt: &str, ask: usize) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (i, blank) in cloze_blanks(prompt).iter().enumerate() {
        out.push_str(&prompt[last..blank.range.start]);
        if i == ask {
            out.push_str("[...]");
        } else {
            out.push_str(blank.answers.first().map(String::as_str).unwrap_or(""));
        }
        last = blank.range.end;
    }
    out.push_str(&prompt[last..]);
    out
}

impl Card {
    /// The other decks whose readings this card draws on (its `source` entries that name a deck other than
    /// `own`), sorted and without repeats: a card that crosses readings when not empty.
    pub fn draws_on(&self, own: &str) -> Vec<String> {
        let mut decks: Vec<String> = self
            .source
            .iter()
            .filter_map(|s| s.deck.clone())
            .filter(|d| d != own)
            .collect();
        decks.sort();
        decks.dedup();
        decks
    }

    /// How many study items this card becomes: one per cloze blank, two for a reversible flashcard, else one.
    pub fn siblings(&self) -> usize {
        match &self.body {
            Body::Cloze { .. } => cloze_blanks(&self.prompt).len(),
            Body::Flashcard { reverse: true, .. } => 2,
            _ => 1,
        }
    }

    /// A hash of everything the learner sees for sibling `sibling`: a change means the text changed.
    pub fn content_hash(&self, sibling: usize) -> String {
        let json = if self.allow.is_empty() {
            serde_json::to_string(&(self, sibling))
        } else {
            let seen = Card {
                allow: BTreeMap::new(),
                ..self.clone()
            };
            serde_json::to_string(&(seen, sibling))
        }
        .unwrap_or_default();
        format!("{:016x}", fnv1a(json.as_bytes()))
    }

    /// A hash of what counts as the right answer for sibling `sibling`: a change means the answer itself changed,
    /// not just its wording around it.
    pub fn answer_hash(&self, sibling: usize) -> String {
        let answer = match &self.body {
            Body::Flashcard { answer, .. } => answer.clone(),
            Body::Choice { answer, .. } => answer.clone(),
            Body::Multi { answers, .. } => answers.join("\u{1f}"),
            Body::Truefalse { answer } => answer.to_string(),
            Body::Text { answers, .. } => answers.join("\u{1f}"),
            Body::Cloze { .. } => cloze_blanks(&self.prompt)
                .get(sibling)
                .map(|b| b.answers.join("\u{1f}"))
                .unwrap_or_default(),
            Body::Order { items } => items.join("\u{1f}"),
            Body::Match { pairs } => pairs
                .iter()
                .map(|(l, r)| format!("{l}\u{1e}{r}"))
                .collect::<Vec<_>>()
                .join("\u{1f}"),
            Body::Number { answer, tolerance } => format!("{answer}\u{1f}{tolerance}"),
        };
        format!("{:016x}", fnv1a(answer.as_bytes()))
    }
}

/// Normalizes an answer for comparison: NFKC, case folding, accents folded, punctuation removed (hyphens and
/// slashes count as spaces), spaces collapsed, and a leading article (the, a, an) dropped.
pub fn normalize(s: &str) -> String {
    let nfkc: String = s.nfkc().collect();
    let folded = deunicode::deunicode(&nfkc).to_lowercase();
    let mut out = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if c.is_whitespace() || matches!(c, '-' | '/' | '_' | '\u{2013}' | '\u{2014}') {
            out.push(' ');
        } else if c == '.' || c == ',' {
            // Keep decimal points and thousands separators inside numbers ("2.5", "1,000"); drop them elsewhere.
            if out.chars().last().is_some_and(|p| p.is_ascii_digit()) {
                out.push(c);
            }
        }
    }
    let out = out.trim_end_matches(['.', ',']).to_string();
    let words: Vec<&str> = out.split_whitespace().collect();
    let words = match words.as_slice() {
        [first, rest @ ..] if !rest.is_empty() && matches!(*first, "the" | "a" | "an") => rest,
        all => all,
    };
    words.join(" ")
}

/// Every typed answer and `reject` entry of the `text` and `cloze` cards, as written: the answers a near miss
/// must never be taken for.
pub fn typed_answers(cards: &[Card]) -> Vec<String> {
    let mut out = Vec::new();
    for card in cards {
        match &card.body {
            Body::Text { answers, reject } => out.extend(answers.iter().chain(reject).cloned()),
            Body::Cloze { reject } => {
                out.extend(
                    cloze_blanks(&card.prompt)
                        .into_iter()
                        .flat_map(|b| b.answers),
                );
                out.extend(reject.iter().cloned());
            }
            _ => {}
        }
    }
    out
}

/// The common words of a deck's own text (its title, description, and every card's prompt, choices, items, pairs,
/// back, explanation and hint), normalized, sorted and deduplicated: words of four letters or more written in lower
/// case, so not names (a name's spelling variants, "Dmitry" for "Dmitriy", stay typos). A near miss that is one of
/// these words is that word, not a typo of the answer ("restart" is not "reset").
pub fn deck_words(deck: &Deck) -> Vec<String> {
    let mut texts: Vec<&str> = vec![&deck.title];
    texts.extend(deck.description.as_deref());
    for card in &deck.cards {
        texts.push(&card.prompt);
        texts.extend(card.explain.as_deref());
        texts.extend(card.hint.as_deref());
        match &card.body {
            Body::Flashcard { answer, .. } => texts.push(answer),
            Body::Choice { choices, .. } | Body::Multi { choices, .. } => {
                texts.extend(choices.iter().map(String::as_str))
            }
            Body::Order { items } => texts.extend(items.iter().map(String::as_str)),
            Body::Match { pairs } => {
                texts.extend(pairs.iter().flat_map(|(a, b)| [a.as_str(), b.as_str()]))
            }
            Body::Truefalse { .. }
            | Body::Text { .. }
            | Body::Cloze { .. }
            | Body::Number { .. } => {}
        }
    }
    let mut words: Vec<String> = texts
        .iter()
        .flat_map(|t| t.split(|c: char| !c.is_alphabetic() && c != '-' && c != '\''))
        .filter(|w| w.chars().next().is_some_and(char::is_lowercase))
        .map(normalize)
        .filter(|w| w.chars().count() >= 4 && w.chars().all(char::is_alphabetic))
        .collect();
    words.sort();
    words.dedup();
    words
}

/// The version of what importing a deck writes besides its cards' text. A deck's [`Deck::content_hash`] includes it,
/// so that a database imported under older rules takes every deck again on the next import or start, even when the
/// file has not changed. 2: deck-level tags are no longer copied onto the cards. 3: the deck's words are kept
/// ([`deck_words`]).
const IMPORT_RULES: u32 = 3;

/// The item-writing warnings, by name, with what each catches. A card may `allow` any of them with a reason:
/// `allow = { longest-answer = "the reading's own wording" }`. docs/deck-format.md documents each.
pub const CARD_WARNINGS: [(&str, &str); 14] = [
    (
        "longest-answer",
        "the right answer is conspicuously the longest choice",
    ),
    (
        "leaked-answer",
        "a typed answer is printed in another card's prompt",
    ),
    (
        "order-cue",
        "an order card whose prompt or item labels give the order away",
    ),
    ("all-of-the-above", "a choice \"all of the above\""),
    ("none-of-the-above", "a choice \"none of the above\""),
    (
        "negative-stem",
        "a question asked in the negative without emphasis on the negative word",
    ),
    (
        "number-form",
        "a number card whose prompt does not say what form of number is wanted",
    ),
    (
        "near-duplicate",
        "two cards with the same answer and near-identical prompts",
    ),
    (
        "several-questions",
        "a flashcard that asks several questions at once",
    ),
    (
        "shown-earlier",
        "an answer shown on a card a new learner meets earlier (`deck check` only)",
    ),
    (
        "truefalse-lean",
        "6 or more true/false cards whose answers lean more than 65/35 either way",
    ),
    (
        "option-position",
        "an explanation that refers to a shuffled option by its position",
    ),
    (
        "answer-in-title",
        "an answer printed in the deck title, which the header shows above every card",
    ),
    (
        "absolute-words",
        "an absolute word (always, never, only, ...) in a wrong choice or a false statement, and none in the right one",
    ),
];

impl Deck {
    /// How many study items (cards, as learners study and count them) the deck's cards become: each cloze blank
    /// and each reverse side is a card of its own. The one definition of a deck's card count.
    pub fn study_items(&self) -> usize {
        self.cards.iter().map(Card::siblings).sum()
    }

    /// The place of each card (by index in [`Deck::cards`]) in the order its new cards are introduced: 0 first.
    pub fn new_ranks(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.cards.len()).collect();
        if self.new_order.unwrap_or_default() == NewOrder::Paragraph {
            let mut last = 0;
            let keys: Vec<u32> = self
                .cards
                .iter()
                .map(|c| {
                    if let Some(p) = c.source.iter().find_map(|s| s.paragraph) {
                        last = p;
                    }
                    last
                })
                .collect();
            // A stable sort: cards of one paragraph keep their file order.
            order.sort_by_key(|&i| keys[i]);
        }
        let mut ranks = vec![0; self.cards.len()];
        for (rank, i) in order.into_iter().enumerate() {
            ranks[i] = rank;
        }
        ranks
    }

    /// A hash of the whole deck (and of the version of the import rules), to skip re-importing an unchanged deck.
    pub fn content_hash(&self) -> String {
        let mut h = Fnv1a::default();
        let _ = std::io::Write::write_all(&mut h, &IMPORT_RULES.to_le_bytes());
        // Serializing a deck to a hasher cannot fail: it has no maps with non-string keys.
        let _ = serde_json::to_writer(&mut h, self);
        format!("{:016x}", h.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloze_blanks_and_questions() {
        let p = "{{Rogozin|Dmitry Rogozin}} was envoy to {{NATO}}.";
        let blanks = cloze_blanks(p);
        assert_eq!(blanks.len(), 2);
        assert_eq!(blanks[0].answers, vec!["Rogozin", "Dmitry Rogozin"]);
        assert_eq!(cloze_question(p, 0), "[...] was envoy to NATO.");
        assert_eq!(cloze_question(p, 1), "Rogozin was envoy to [...].");
    }

    #[test]
    fn citation_leaves_out_what_is_not_stated() {
        let s = DeckSource {
            author: Some("James Sherr".into()),
            outlet: Some("not stated".into()),
            published: Some("2010-11".into()),
            title: None,
        };
        assert_eq!(s.citation(), "Sherr, 2010");
        let s = DeckSource {
            outlet: Some("Chatham House".into()),
            ..s
        };
        assert_eq!(s.citation(), "Sherr, Chatham House 2010");
    }
}
