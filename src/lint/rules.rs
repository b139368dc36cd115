//! The item-writing rules read on one card at a time: the right answer is the longest choice, "all/none of the
//! above", an order given away by its items or prompt, a negative stem without emphasis, a number prompt that does
//! not say what form of number, a flashcard asking several questions. [`item_warnings`] gathers them with the rules
//! that compare cards ([`super::across`]).

use super::across::{leaked_answers, near_duplicates};
use crate::deck::{Body, Card, Code, Deck, normalize};

/// One item-writing warning: the card (index in the deck), the field it is about, its code, and its message.
pub(super) struct Found {
    pub card: usize,
    pub field: &'static str,
    pub code: Code,
    pub message: String,
}

impl Found {
    /// The warning's kebab-case name, which its message ends with and a card may `allow`.
    pub fn name(&self) -> &'static str {
        self.code.rule().unwrap_or_default()
    }
}

/// Every item-writing warning of a deck, before any `allow`.
pub(super) fn item_warnings(deck: &Deck) -> Vec<Found> {
    let mut found = Vec::new();
    for (i, card) in deck.cards.iter().enumerate() {
        let mut add = |field, code, message: String| {
            found.push(Found {
                card: i,
                field,
                code,
                message,
            })
        };
        if let Some(message) = longest_answer(&card.body) {
            add("answer", Code::LongestAnswer, message);
        }
        if let Body::Choice { choices, .. } | Body::Multi { choices, .. } = &card.body {
            for c in choices {
                if let Some(code) = of_the_above(c) {
                    add(
                        "choices",
                        code,
                        format!("the choice \"{c}\" is a cue, not an answer"),
                    );
                }
            }
        }
        if let Body::Order { items } = &card.body
            && let Some((field, message)) = order_cue(&card.prompt, items)
        {
            add(field, Code::OrderCue, message);
        }
        if let Some(word) = negative_stem(card) {
            add(
                "prompt",
                Code::NegativeStem,
                format!("the question is asked in the negative (\"{word}\") without emphasis"),
            );
        }
        if matches!(card.body, Body::Number { .. }) && !says_number_form(&card.prompt) {
            add(
                "prompt",
                Code::NumberForm,
                "the prompt does not say what form of number is wanted (a year, a day of the month, how many, \
                 a percentage...)"
                    .to_string(),
            );
        }
        if let Body::Flashcard { .. } = card.body
            && let Some(why) = several_questions(&card.prompt)
        {
            add(
                "prompt",
                Code::SeveralQuestions,
                format!(
                    "the flashcard asks several questions at once ({why}); its back answers them all"
                ),
            );
        }
    }
    found.extend(leaked_answers(deck));
    found.extend(near_duplicates(deck));
    found.extend(super::giveaways::giveaways(deck));
    found.sort_by_key(|f| f.card);
    found
}

/// The right answer at least this many times as long as the longest wrong choice ...
const LONGEST_RATIO: f64 = 1.5;
/// ... and longer by at least this many characters, is conspicuously the longest.
const LONGEST_MARGIN: usize = 15;

/// A `choice` card whose answer, or a `multi` card whose every right answer, is conspicuously longer than every
/// wrong choice.
pub(super) fn longest_answer(body: &Body) -> Option<String> {
    let (choices, right): (&[String], Vec<&String>) = match body {
        Body::Choice { choices, answer } => (choices, vec![answer]),
        Body::Multi { choices, answers } => (choices, answers.iter().collect()),
        _ => return None,
    };
    let len = |s: &str| s.trim().chars().count();
    let shortest_right = right.iter().map(|a| len(a)).min()?;
    let longest_wrong = choices
        .iter()
        .filter(|c| !right.contains(c))
        .map(|c| len(c))
        .max()?;
    let conspicuous = shortest_right as f64 >= LONGEST_RATIO * longest_wrong as f64
        && shortest_right >= longest_wrong + LONGEST_MARGIN;
    conspicuous.then(|| {
        let what = if right.len() == 1 {
            "the right answer is by far the longest choice"
        } else {
            "every right answer is far longer than every wrong choice"
        };
        format!("{what} ({shortest_right} characters; the longest wrong one has {longest_wrong})")
    })
}

/// "All of the above" and "none of the above" (or "... of these"), as a whole choice or its opening words.
pub(super) fn of_the_above(choice: &str) -> Option<Code> {
    let n = normalize(choice);
    let starts = |phrase: &str| n == phrase || n.starts_with(&format!("{phrase} "));
    let of = |word: &str| {
        ["of the above", "the above", "of these", "of the others"]
            .iter()
            .any(|tail| starts(&format!("{word} {tail}")))
    };
    if of("all") {
        Some(Code::AllOfTheAbove)
    } else if of("none") {
        Some(Code::NoneOfTheAbove)
    } else {
        None
    }
}

/// The first number of an order item, when it opens the item ("1997: ...", "(2) ...", "3. ...") or is a year
/// anywhere in it ("the Founding Act (1997)").
fn item_number(item: &str) -> Option<f64> {
    let mut words = item
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',' || c == ';')
        .filter(|w| !w.is_empty());
    let first = words.next()?;
    let digits = |w: &str| {
        let w = w.trim_end_matches([':', '.', ',', '-', '\u{2013}']);
        let w = ["st", "nd", "rd", "th", "s"]
            .iter()
            .find_map(|suffix| w.strip_suffix(suffix))
            .unwrap_or(w);
        (!w.is_empty() && w.chars().all(|c| c.is_ascii_digit())).then(|| w.parse::<f64>().ok())?
    };
    if let Some(n) = digits(first) {
        return Some(n);
    }
    std::iter::once(first)
        .chain(words)
        .filter_map(digits)
        .find(|n| (1000.0..=2100.0).contains(n) && n.fract() == 0.0)
}

/// The place in a sequence that the opening words of an order item announce: 0 for "first", 1 for "then", 2 for
/// "finally".
fn sequence_rank(item: &str) -> Option<u8> {
    let n = normalize(item);
    let opens = |words: &[&str]| {
        words
            .iter()
            .any(|w| n == *w || n.starts_with(&format!("{w} ")))
    };
    if opens(&[
        "first",
        "firstly",
        "initially",
        "originally",
        "at first",
        "to begin with",
    ]) {
        Some(0)
    } else if opens(&[
        "second",
        "secondly",
        "third",
        "thirdly",
        "then",
        "next",
        "later",
        "afterwards",
        "subsequently",
    ]) {
        Some(1)
    } else if opens(&[
        "finally",
        "lastly",
        "eventually",
        "ultimately",
        "in the end",
    ]) {
        Some(2)
    } else {
        None
    }
}

/// An order card whose numbers, years, labels or sequence words in the items, or whose prompt, give the order
/// away: the field it is about and the message.
pub(super) fn order_cue(prompt: &str, items: &[String]) -> Option<(&'static str, String)> {
    let in_order = |seq: &[f64]| {
        let up = seq.windows(2).all(|w| w[0] <= w[1]);
        let down = seq.windows(2).all(|w| w[0] >= w[1]);
        (up || down) && seq.first() != seq.last()
    };
    let numbers: Vec<f64> = items.iter().filter_map(|i| item_number(i)).collect();
    if numbers.len() >= 3.min(items.len()) && numbers.len() * 2 > items.len() && in_order(&numbers)
    {
        return Some((
            "items",
            format!(
                "{} of the {} items carry numbers or years, and they run in the right order",
                numbers.len(),
                items.len()
            ),
        ));
    }
    let labels: Vec<f64> = items
        .iter()
        .filter_map(|i| {
            let mut chars = i.trim_start_matches('(').chars();
            let label = chars.next().filter(char::is_ascii_alphabetic)?;
            matches!(chars.next(), Some(')' | '.'))
                .then_some(f64::from(u32::from(label.to_ascii_lowercase())))
        })
        .collect();
    if labels.len() == items.len() && in_order(&labels) {
        return Some((
            "items",
            "the items are labelled a), b), c)... in the right order".to_string(),
        ));
    }
    let ranks: Vec<f64> = items
        .iter()
        .filter_map(|i| sequence_rank(i).map(f64::from))
        .collect();
    if ranks.len() >= 2 && in_order(&ranks) && ranks.windows(2).all(|w| w[0] <= w[1]) {
        return Some((
            "items",
            "items open with sequence words (first, then, finally...) in the right order"
                .to_string(),
        ));
    }
    // The prompt names the items in the right order: three or more, or the first and the last.
    let p = normalize(prompt);
    let mut named = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let n = normalize(item);
        if n.chars().count() >= 4
            && let Some(at) = find_words(&p, &n)
        {
            named.push((i, at));
        }
    }
    let ordered = named.windows(2).all(|w| w[0].1 < w[1].1);
    let first_and_last = named.len() == 2 && named[0].0 == 0 && named[1].0 == items.len() - 1;
    if ordered && (named.len() >= 3 || first_and_last) {
        return Some((
            "prompt",
            format!(
                "the prompt names {} of the items in the right order",
                if first_and_last {
                    "the first and the last"
                } else {
                    "several"
                }
            ),
        ));
    }
    None
}

/// Where `needle` stands in `hay` as whole words (both normalized: words joined by single spaces).
fn find_words(hay: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.match_indices(needle).map(|(i, _)| i).find(|&i| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        before.is_none_or(|c| c == ' ') && after.is_none_or(|c| c == ' ')
    })
}

/// Words after which a negative belongs to a clause of its own, not to the question: "Which author concludes
/// that ... is not ...".
const SUBORDINATORS: [&str; 12] = [
    "that", "because", "if", "whether", "although", "though", "since", "while", "unless", "so",
    "as", "than",
];
/// How many words after "which", "what", "who"... a negative still belongs to the question.
const NEGATIVE_REACH: usize = 7;

/// The negative word of a question asked in the negative ("Which ... NOT ...", "... EXCEPT"), unless it is
/// emphasized: written in capitals or marked (`*not*`, `_not_`). A negative counts when it follows a question word
/// within [`NEGATIVE_REACH`] words with no subordinate clause between ("except" counts anywhere); quotations are
/// skipped, and "not only", "whether or not", "if not" are not negatives of the question. Only cards that ask a
/// question (choice, multi, text, number) are read: true/false statements and flashcards are not.
pub(super) fn negative_stem(card: &Card) -> Option<String> {
    if !matches!(
        card.body,
        Body::Choice { .. } | Body::Multi { .. } | Body::Text { .. } | Body::Number { .. }
    ) {
        return None;
    }
    const OPEN: [char; 4] = ['\'', '"', '\u{2018}', '\u{201c}'];
    const CLOSE: [char; 4] = ['\'', '"', '\u{2019}', '\u{201d}'];
    let bare = |t: &str| {
        t.trim_matches(|c: char| !c.is_alphanumeric())
            .replace('\u{2019}', "'")
            .to_lowercase()
    };
    // The words outside quotations.
    let mut words: Vec<&str> = Vec::new();
    let mut quoted = false;
    for raw in card.prompt.split_whitespace() {
        if !quoted && raw.starts_with(OPEN) {
            quoted = true;
        }
        let was_quoted = quoted;
        let core = raw.trim_end_matches(['.', ',', ';', ':', '?', '!', ')']);
        if quoted && core.chars().count() > 1 && core.ends_with(CLOSE) {
            quoted = false;
        }
        if !was_quoted {
            words.push(raw);
        }
    }
    let mut asked: Option<usize> = None; // where the question word is, while its clause goes on
    for (i, raw) in words.iter().enumerate() {
        let word = bare(raw);
        match word.as_str() {
            "which" | "what" | "who" | "whom" | "whose" | "where" | "when" | "how" => {
                asked = Some(i);
                continue;
            }
            w if SUBORDINATORS.contains(&w) => asked = None,
            _ => {}
        }
        let negative =
            matches!(word.as_str(), "not" | "never" | "except" | "cannot") || word.ends_with("n't");
        let next = words.get(i + 1).map(|t| bare(t)).unwrap_or_default();
        let prev = i.checked_sub(1).map(|j| bare(words[j])).unwrap_or_default();
        let idiom = word == "not"
            && (matches!(next.as_str(), "only" | "just" | "merely" | "least")
                || matches!(prev.as_str(), "or" | "if"));
        let of_question = word == "except" || asked.is_some_and(|q| i - q <= NEGATIVE_REACH);
        if raw.ends_with(['.', '?', '!']) {
            asked = None;
        }
        if !negative || idiom || !of_question {
            continue;
        }
        let letters: Vec<char> = raw.chars().filter(|c| c.is_alphabetic()).collect();
        let capitals = letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase());
        let core = raw.trim_end_matches(['.', ',', ';', ':', '?', '!']);
        let marked = core.starts_with(['*', '_']) && core.ends_with(['*', '_']);
        if !(capitals || marked) {
            return Some(raw.trim_matches(|c: char| !c.is_alphanumeric()).to_string());
        }
    }
    None
}

/// Whether a `number` card's prompt says what form of number is wanted: a year, a day, how many, a percentage, a
/// unit...
pub(super) fn says_number_form(prompt: &str) -> bool {
    let p = format!(" {} ", normalize(prompt));
    const WORDS: [&str; 38] = [
        "year",
        "years",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "decade",
        "decades",
        "century",
        "centuries",
        "hour",
        "hours",
        "minute",
        "minutes",
        "how many",
        "how much",
        "how long",
        "how old",
        "how far",
        "how often",
        "percent",
        "per cent",
        "percentage",
        "number of",
        "age",
        "article",
        "paragraph",
        "million",
        "billion",
        "thousand",
        "km",
        "kilometres",
        "kilometers",
        "miles",
        "dollars",
        "euros",
    ];
    prompt.contains('%')
        || prompt.contains('$')
        || prompt.contains('\u{20ac}')
        || WORDS.iter().any(|w| p.contains(&format!(" {w} ")))
}

/// Why a flashcard's prompt asks several questions: two question marks that end questions (not one inside a
/// quotation, "'Why NATO?'"), or a second question joined by ", and" ("What ..., and why does ...?") or closing it
/// ("Who proposed it and why?"). "When and where did it happen?" is one question.
pub(super) fn several_questions(prompt: &str) -> Option<&'static str> {
    let ends = prompt
        .match_indices('?')
        .filter(|(i, _)| {
            prompt[i + 1..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace)
        })
        .count();
    if ends >= 2 {
        return Some("two question marks");
    }
    const WH: [&str; 8] = [
        "what", "why", "how", "who", "whom", "which", "when", "where",
    ];
    let words: Vec<&str> = prompt.split_whitespace().collect();
    let bare = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let first_wh = words.iter().position(|w| WH.contains(&bare(w).as_str()))?;
    let joined = (first_wh + 1..words.len().saturating_sub(1)).any(|i| {
        let and = words[i];
        let wh = words[i + 1];
        let comma = i > 0 && words[i - 1].ends_with(',');
        let last = i + 2 == words.len() && wh.ends_with('?');
        bare(and) == "and" && WH.contains(&bare(wh).as_str()) && (comma || last)
    });
    joined.then_some("a second question after \"and\"")
}
