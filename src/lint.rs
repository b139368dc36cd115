//! Author warnings that need the whole deck to see. Some need answer checking: choices a learner cannot tell apart,
//! typed answers one typo away from another card's answer, cards asking the same question twice. The others are
//! the item-writing rules teachers are taught ([`CARD_WARNINGS`](crate::deck::CARD_WARNINGS)), each with a kebab-case name shown in its message
//! so that a card can `allow` it with a reason, and the rule that themes go on the cards they describe
//! ([`DECK_WARNINGS`]). `deck check` and `deck import` add them to the parser's diagnostics.

use crate::deck::parse::Lines;
use crate::deck::{
    Body, Card, Deck, Diagnostic, Severity, cloze_blanks, cloze_question, normalize,
};
use crate::grade::tolerance;
use std::collections::{HashMap, HashSet};

/// The deck-level warnings on themes, which no card can `allow`: a theme is fixed by tagging the cards about it.
pub const DECK_WARNINGS: [(&str, &str); 2] = [
    (
        "theme-coverage",
        "a theme tag on more than half of a deck's cards (decks of 10 cards or more)",
    ),
    (
        "deck-theme",
        "a `theme:` tag among the deck-level tags, which describe the deck and are not applied to its cards",
    ),
];

/// A theme on more than this share of a deck's cards gets a warning ...
const THEME_SHARE: f64 = 0.50;
/// ... in decks of at least this many cards.
const THEME_MIN_CARDS: usize = 10;

/// The cross-card warnings for a deck parsed from `src`, each located at the card's line it is about.
pub fn lint(file: &str, src: &str, deck: &Deck) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let text = Lines::new(src);
    let places = Places::new(src);
    let mut push = |(line, column): (usize, usize), rule: Option<&'static str>, message: String| {
        let mut d = Diagnostic::new(
            file,
            text.text(line),
            line,
            column,
            Severity::Warning,
            message,
        );
        d.rule = rule;
        out.push(d);
    };
    let mut warn = |id: &str, message: String| push(places.card(id), None, message);

    let mut prompts: HashMap<String, &str> = HashMap::new();
    for card in &deck.cards {
        if let Body::Choice { choices, .. } | Body::Multi { choices, .. } = &card.body {
            let mut seen: HashMap<String, &str> = HashMap::new();
            for c in choices {
                if let Some(first) = seen.insert(normalize(c), c) {
                    warn(
                        &card.id,
                        format!("choices \"{first}\" and \"{c}\" normalize to the same text"),
                    );
                }
            }
        }
        let prompt = normalize(&card.prompt);
        match prompts.get(&prompt) {
            Some(first) => warn(
                &card.id,
                format!("card `{}` has the same prompt as card `{first}`", card.id),
            ),
            None => {
                prompts.insert(prompt, &card.id);
            }
        }
    }

    // Typed answers of every card, normalized, with the card's own rejects.
    let typed: Vec<(&str, Vec<String>, Vec<String>)> = deck
        .cards
        .iter()
        .filter_map(|c| {
            let (answers, reject) = match &c.body {
                Body::Text { answers, reject } => (answers.clone(), reject),
                Body::Cloze { reject } => (
                    cloze_blanks(&c.prompt)
                        .into_iter()
                        .flat_map(|b| b.answers)
                        .collect(),
                    reject,
                ),
                _ => return None,
            };
            Some((
                c.id.as_str(),
                answers.iter().map(|a| normalize(a)).collect(),
                reject.iter().map(|r| normalize(r)).collect(),
            ))
        })
        .collect();
    // Pairs of answers one edit apart, found through their one-deletion variants (two strings within one
    // insertion, deletion, substitution or transposition share a variant), so a 100,000-card bank stays linear.
    let mut variants: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (c, (_, answers, _)) in typed.iter().enumerate() {
        for (a, answer) in answers.iter().enumerate() {
            // Only answers that allow a typo (no digits, 4 letters or more) can be one slip from another, and
            // that other has at most one digit and 3 letters or more: index nothing else.
            let digits = answer.chars().filter(char::is_ascii_digit).count();
            if digits > 1 || answer.chars().count() < 3 {
                continue;
            }
            let chars: Vec<char> = answer.chars().collect();
            let mut keys = vec![answer.clone()];
            keys.extend(
                (0..chars.len())
                    .map(|i| chars[..i].iter().chain(&chars[i + 1..]).collect::<String>()),
            );
            keys.sort();
            keys.dedup();
            for k in keys {
                variants.entry(k).or_default().push((c, a));
            }
        }
    }
    let mut warned = std::collections::HashSet::new();
    for group in variants.values().filter(|g| g.len() > 1) {
        for &(c, a) in group {
            let (id, answers, reject) = &typed[c];
            let mine = &answers[a];
            if tolerance(mine) == 0 {
                continue;
            }
            for &(o, b) in group {
                let (other, theirs, _) = &typed[o];
                let t = &theirs[b];
                if o == c || t == mine || answers.contains(t) || reject.contains(t) {
                    continue;
                }
                if strsim::osa_distance(mine, t) <= 1 && warned.insert((c, o)) {
                    warn(
                        id,
                        format!(
                            "answer \"{mine}\" is one typo from card `{other}`'s answer \"{t}\": a slip would also accept it; add \"{t}\" to `reject` to keep them apart"
                        ),
                    );
                }
            }
        }
    }
    // The item-writing rules, less what each card allows; an `allow` that allows nothing is stale.
    let mut allowed: HashSet<(usize, &str)> = HashSet::new();
    for f in item_warnings(deck) {
        let card = &deck.cards[f.card];
        if card.allow.contains_key(f.name) {
            allowed.insert((f.card, f.name));
        } else {
            push(
                places.field(&card.id, f.field),
                Some(f.name),
                format!("{} [{}]", f.message, f.name),
            );
        }
    }
    for (i, card) in deck.cards.iter().enumerate() {
        for name in card.allow.keys() {
            if !allowed.contains(&(i, name.as_str())) {
                push(
                    places.field(&card.id, "allow"),
                    None,
                    format!(
                        "card `{}` allows `{name}`, which it does not raise: the `allow` is stale",
                        card.id
                    ),
                );
            }
        }
    }
    for (field, rule, message) in theme_warnings(deck) {
        push(places.header(field), Some(rule), message);
    }
    out.sort_by(|a, b| (a.line, a.column, &a.message).cmp(&(b.line, b.column, &b.message)));
    out
}

/// Where things stand in a deck file: the line and column of each card's `id = "..."`, the lines of each card's
/// table, and the `[deck]` header.
struct Places<'a> {
    lines: Vec<&'a str>,
    /// Card id: the line index of its `id`, and the range of line indices of its table.
    cards: HashMap<String, (usize, std::ops::Range<usize>)>,
    /// The range of line indices of the `[deck]` table.
    header: std::ops::Range<usize>,
}

impl<'a> Places<'a> {
    fn new(src: &'a str) -> Self {
        let lines: Vec<&str> = src.lines().collect();
        let mut cards = HashMap::new();
        let mut header = 0..0;
        let mut in_header = false;
        let mut table: Option<usize> = None; // the start of the current [[card]] table
        let mut id: Option<(String, usize)> = None;
        let close = |cards: &mut HashMap<_, _>, id: &mut Option<(String, usize)>, start, end| {
            if let Some((name, at)) = id.take() {
                cards.entry(name).or_insert((at, start..end));
            }
        };
        for (n, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            if t.starts_with("[[card]]") {
                if let Some(start) = table {
                    close(&mut cards, &mut id, start, n);
                }
                table = Some(n);
                in_header = false;
            } else if t.starts_with("[deck]") {
                header = n..n + 1;
                in_header = true;
            } else if t.starts_with('[') {
                // [deck.source] and [deck.aliases] end the [deck] table proper.
                in_header = false;
            } else if in_header {
                header.end = n + 1;
            } else if table.is_some()
                && id.is_none()
                && let Some(value) = key_value(t, "id")
            {
                let name = value.trim().trim_matches(|c| c == '"' || c == '\'');
                id = Some((name.to_string(), n));
            }
        }
        if let Some(start) = table {
            close(&mut cards, &mut id, start, lines.len());
        }
        Places {
            lines,
            cards,
            header,
        }
    }

    /// The 1-based line and column of the key of `key = ...` on line index `n`.
    fn at(&self, n: usize) -> (usize, usize) {
        let line = self.lines.get(n).copied().unwrap_or("");
        (n + 1, line.len() - line.trim_start().len() + 1)
    }

    /// The `id` line of a card (line 1 when it cannot be found).
    fn card(&self, id: &str) -> (usize, usize) {
        self.cards.get(id).map_or((1, 1), |(at, _)| self.at(*at))
    }

    /// The line of a card's `field`, or its `id` line when the field is not written.
    fn field(&self, id: &str, field: &str) -> (usize, usize) {
        let Some((at, range)) = self.cards.get(id) else {
            return (1, 1);
        };
        range
            .clone()
            .find(|&n| key_value(self.lines[n].trim_start(), field).is_some())
            .map_or_else(|| self.at(*at), |n| self.at(n))
    }

    /// The line of a `[deck]` field, or of `[deck]` itself.
    fn header(&self, field: Option<&str>) -> (usize, usize) {
        self.header
            .clone()
            .find(|&n| field.is_some_and(|f| key_value(self.lines[n].trim_start(), f).is_some()))
            .map_or_else(|| self.at(self.header.start), |n| self.at(n))
    }
}

/// The value after `key =` when a (trimmed) line sets `key`.
fn key_value<'t>(line: &'t str, key: &str) -> Option<&'t str> {
    line.strip_prefix(key)?.trim_start().strip_prefix('=')
}

/// One item-writing warning: the card (index in the deck), the field it is about, its name, and its message.
struct Found {
    card: usize,
    field: &'static str,
    name: &'static str,
    message: String,
}

/// Every item-writing warning of a deck, before any `allow`.
fn item_warnings(deck: &Deck) -> Vec<Found> {
    let mut found = Vec::new();
    for (i, card) in deck.cards.iter().enumerate() {
        let mut add = |field, name, message: String| {
            found.push(Found {
                card: i,
                field,
                name,
                message,
            })
        };
        if let Some(message) = longest_answer(&card.body) {
            add("answer", "longest-answer", message);
        }
        if let Body::Choice { choices, .. } | Body::Multi { choices, .. } = &card.body {
            for c in choices {
                if let Some(name) = of_the_above(c) {
                    add(
                        "choices",
                        name,
                        format!("the choice \"{c}\" is a cue, not an answer"),
                    );
                }
            }
        }
        if let Body::Order { items } = &card.body
            && let Some((field, message)) = order_cue(&card.prompt, items)
        {
            add(field, "order-cue", message);
        }
        if let Some(word) = negative_stem(card) {
            add(
                "prompt",
                "negative-stem",
                format!("the question is asked in the negative (\"{word}\") without emphasis"),
            );
        }
        if matches!(card.body, Body::Number { .. }) && !says_number_form(&card.prompt) {
            add(
                "prompt",
                "number-form",
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
                "several-questions",
                format!(
                    "the flashcard asks several questions at once ({why}); its back answers them all"
                ),
            );
        }
    }
    found.extend(leaked_answers(deck));
    found.extend(near_duplicates(deck));
    found.sort_by_key(|f| f.card);
    found
}

/// The right answer at least this many times as long as the longest wrong choice ...
const LONGEST_RATIO: f64 = 1.5;
/// ... and longer by at least this many characters, is conspicuously the longest.
const LONGEST_MARGIN: usize = 15;

/// A `choice` card whose answer, or a `multi` card whose every right answer, is conspicuously longer than every
/// wrong choice.
fn longest_answer(body: &Body) -> Option<String> {
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
fn of_the_above(choice: &str) -> Option<&'static str> {
    let n = normalize(choice);
    let starts = |phrase: &str| n == phrase || n.starts_with(&format!("{phrase} "));
    let of = |word: &str| {
        ["of the above", "the above", "of these", "of the others"]
            .iter()
            .any(|tail| starts(&format!("{word} {tail}")))
    };
    if of("all") {
        Some("all-of-the-above")
    } else if of("none") {
        Some("none-of-the-above")
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
fn order_cue(prompt: &str, items: &[String]) -> Option<(&'static str, String)> {
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
fn negative_stem(card: &Card) -> Option<String> {
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
fn says_number_form(prompt: &str) -> bool {
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
fn several_questions(prompt: &str) -> Option<&'static str> {
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

/// The typed answers of a card a learner could read elsewhere, normalized and as written: every accepted form of
/// a `text` card and of each cloze blank, and a `number` card's answer when it is a whole number of four digits or
/// more (a year).
fn typed_forms(card: &Card) -> Vec<(String, String)> {
    let forms: Vec<String> = match &card.body {
        Body::Text { answers, .. } => answers.clone(),
        Body::Cloze { .. } => cloze_blanks(&card.prompt)
            .into_iter()
            .flat_map(|b| b.answers)
            .collect(),
        Body::Number { answer, .. } if answer.fract() == 0.0 && answer.abs() >= 1000.0 => {
            vec![format!("{answer}")]
        }
        _ => Vec::new(),
    };
    let mut forms: Vec<(String, String)> = forms
        .into_iter()
        .map(|f| (normalize(&f), f))
        // Two- and three-letter answers ("US", "EU") read as ordinary words once case is folded.
        .filter(|(n, _)| n.chars().filter(|c| c.is_alphanumeric()).count() >= 4)
        .collect();
    forms.dedup_by(|a, b| a.0 == b.0);
    forms
}

/// What a card shows the learner before they answer: its prompt, with a cloze card's blanks filled in (each of its
/// blanks is asked with the others filled).
fn shown_text(card: &Card) -> String {
    match card.body {
        Body::Cloze { .. } => normalize(&cloze_question(&card.prompt, usize::MAX)),
        _ => normalize(&card.prompt),
    }
}

/// Answers longer than this many words are not looked for in other prompts.
const LEAK_MAX_WORDS: usize = 8;

/// Typed answers printed, as whole words, in another card's prompt: the learner reads the answer before being
/// asked. Reported once per answering card, at its answers. Every run of words of every prompt is looked up in an
/// index of the answers, so a large bank stays linear.
fn leaked_answers(deck: &Deck) -> Vec<Found> {
    let mut index: HashMap<String, Vec<(usize, String)>> = HashMap::new();
    for (i, card) in deck.cards.iter().enumerate() {
        for (form, written) in typed_forms(card) {
            if form.split(' ').count() <= LEAK_MAX_WORDS {
                index.entry(form).or_default().push((i, written));
            }
        }
    }
    if index.is_empty() {
        return Vec::new();
    }
    // For each answering card: its first leaked form, the first card that prints it, and how many do.
    let mut leaks: HashMap<usize, (String, usize, usize)> = HashMap::new();
    for (j, card) in deck.cards.iter().enumerate() {
        let shown = shown_text(card);
        let words: Vec<&str> = shown.split(' ').collect();
        let mut hit: HashSet<usize> = HashSet::new();
        for start in 0..words.len() {
            for end in start + 1..=(start + LEAK_MAX_WORDS).min(words.len()) {
                let run = words[start..end].join(" ");
                for (i, written) in index.get(&run).into_iter().flatten() {
                    let i = *i;
                    if i != j && hit.insert(i) {
                        let e = leaks.entry(i).or_insert((written.clone(), j, 0));
                        e.2 += 1;
                    }
                }
            }
        }
    }
    let mut found: Vec<Found> = leaks
        .into_iter()
        .map(|(i, (form, j, count))| {
            let more = match count {
                1 => String::new(),
                2 => " and 1 more".to_string(),
                n => format!(" and {} more", n - 1),
            };
            Found {
                card: i,
                field: match deck.cards[i].body {
                    Body::Text { .. } => "answers",
                    Body::Number { .. } => "answer",
                    _ => "prompt",
                },
                name: "leaked-answer",
                message: format!(
                    "the answer \"{form}\" is printed in the prompt of card `{}`{more}: learners read it before \
                     they are asked",
                    deck.cards[j].id
                ),
            }
        })
        .collect();
    found.sort_by_key(|f| f.card);
    found
}

/// What a card's answer is, normalized, for comparing cards: every accepted form of a typed answer. `truefalse`
/// cards have none (half a deck shares each answer).
fn answer_keys(card: &Card) -> Vec<String> {
    match &card.body {
        Body::Flashcard { answer, .. } | Body::Choice { answer, .. } => vec![normalize(answer)],
        Body::Multi { answers, .. } => {
            let mut all: Vec<String> = answers.iter().map(|a| normalize(a)).collect();
            all.sort();
            vec![all.join(" | ")]
        }
        Body::Text { answers, .. } => answers.iter().map(|a| normalize(a)).collect(),
        Body::Cloze { .. } => vec![
            cloze_blanks(&card.prompt)
                .iter()
                .map(|b| b.answers.first().map_or(String::new(), |a| normalize(a)))
                .collect::<Vec<_>>()
                .join(" | "),
        ],
        Body::Order { items } => vec![
            items
                .iter()
                .map(|i| normalize(i))
                .collect::<Vec<_>>()
                .join(" | "),
        ],
        Body::Match { pairs } => {
            let mut all: Vec<String> = pairs
                .iter()
                .map(|(l, r)| format!("{} = {}", normalize(l), normalize(r)))
                .collect();
            all.sort();
            vec![all.join(" | ")]
        }
        Body::Number { answer, .. } => vec![format!("{answer}")],
        Body::Truefalse { .. } => Vec::new(),
    }
}

/// Cards sharing one answer beyond this many are not compared pair by pair (a bank's common year, say).
const DUPLICATE_GROUP: usize = 200;
/// Two prompts whose word sets overlap this much (shared words over all words) are near-identical ...
const DUPLICATE_OVERLAP: f64 = 0.75;

/// The words of a prompt as written, for comparing prompts: lower-cased, with whether each was capitalized
/// inside a sentence (a name) or holds a digit.
fn prompt_words(prompt: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut sentence_start = true;
    for raw in prompt.split_whitespace() {
        let word: String = raw
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '\'')
            .collect::<String>()
            .to_lowercase();
        let capital = raw
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .starts_with(char::is_uppercase);
        let key = (capital && !sentence_start) || word.chars().any(|c| c.is_ascii_digit());
        sentence_start = raw.ends_with(['.', '?', '!', ':']);
        if !word.is_empty() {
            out.push((normalize(&word), key));
        }
    }
    out
}

/// Whether two prompts are near-identical: they share most of their words, and every word one has and the other
/// has not is an ordinary word, neither a name nor a number (those make a different question).
fn near_identical(a: &[(String, bool)], b: &[(String, bool)]) -> bool {
    if a.len() < 3 || b.len() < 3 {
        return false;
    }
    let set_a: HashSet<&str> = a.iter().map(|(w, _)| w.as_str()).collect();
    let set_b: HashSet<&str> = b.iter().map(|(w, _)| w.as_str()).collect();
    let shared = set_a.intersection(&set_b).count();
    let all = set_a.union(&set_b).count();
    if (shared as f64) < DUPLICATE_OVERLAP * all as f64 {
        return false;
    }
    a.iter()
        .filter(|(w, _)| !set_b.contains(w.as_str()))
        .chain(b.iter().filter(|(w, _)| !set_a.contains(w.as_str())))
        .all(|(_, key)| !key)
}

/// Pairs of cards with the same answer whose prompts are near-identical (identical prompts have their own
/// warning): reported at the later card.
fn near_duplicates(deck: &Deck) -> Vec<Found> {
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, card) in deck.cards.iter().enumerate() {
        let mut keys = answer_keys(card);
        keys.sort();
        keys.dedup();
        for k in keys.into_iter().filter(|k| !k.is_empty()) {
            groups.entry(k).or_default().push(i);
        }
    }
    let mut words: HashMap<usize, Vec<(String, bool)>> = HashMap::new();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for group in groups
        .values()
        .filter(|g| (2..=DUPLICATE_GROUP).contains(&g.len()))
    {
        for (x, &i) in group.iter().enumerate() {
            for &j in &group[x + 1..] {
                let (pi, pj) = (&deck.cards[i].prompt, &deck.cards[j].prompt);
                if normalize(pi) == normalize(pj) {
                    continue;
                }
                let wi = words.entry(i).or_insert_with(|| prompt_words(pi)).clone();
                let wj = words.entry(j).or_insert_with(|| prompt_words(pj));
                if near_identical(&wi, wj) {
                    pairs.push((i.min(j), i.max(j)));
                }
            }
        }
    }
    pairs.sort();
    pairs.dedup();
    let mut reported = HashSet::new();
    pairs
        .into_iter()
        .filter(|(_, later)| reported.insert(*later))
        .map(|(first, later)| Found {
            card: later,
            field: "prompt",
            name: "near-duplicate",
            message: format!(
                "card `{}` asks almost what card `{}` asks, with the same answer",
                deck.cards[later].id, deck.cards[first].id
            ),
        })
        .collect()
}

/// The deck-level theme warnings, each with the `[deck]` field it is about and its name.
fn theme_warnings(deck: &Deck) -> Vec<(Option<&'static str>, &'static str, String)> {
    let mut out = Vec::new();
    for tag in deck.tags.iter().filter(|t| t.starts_with("theme:")) {
        out.push((
            Some("tags"),
            "deck-theme",
            format!(
                "deck tag `{tag}` is a theme: deck tags describe the deck and are not applied to its cards [deck-theme]"
            ),
        ));
    }
    let n = deck.cards.len();
    if n >= THEME_MIN_CARDS {
        let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for card in &deck.cards {
            let mut themes: Vec<&str> = card
                .tags
                .iter()
                .filter(|t| t.starts_with("theme:"))
                .map(String::as_str)
                .collect();
            themes.dedup();
            for t in themes {
                *counts.entry(t).or_default() += 1;
            }
        }
        for (tag, count) in counts {
            if count as f64 > THEME_SHARE * n as f64 {
                out.push((
                    None,
                    "theme-coverage",
                    format!(
                        "theme `{tag}` is on {count} of the deck's {n} cards ({:.0} %): a theme on more than half \
                         of a deck measures little [theme-coverage]",
                        100.0 * count as f64 / n as f64
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::CARD_WARNINGS;
    use crate::deck::parse_deck;

    #[test]
    fn look_alike_choices_near_answers_and_repeated_prompts_are_warned() {
        let src = r#"[deck]
id = "d"
title = "D"

[[card]]
id = "a"
kind = "choice"
prompt = "Which?"
choices = ["NATO", "N.A.T.O.", "EU"]
answer = "EU"

[[card]]
id = "b"
kind = "text"
prompt = "Which country?"
answers = ["Iran"]

[[card]]
id = "c"
kind = "text"
prompt = "Which country?"
answers = ["Iraq"]
reject = ["Iran"]
"#;
        let (deck, _) = parse_deck("d.toml", src);
        let found = lint("d.toml", src, &deck.expect("parses"));
        let lines: Vec<String> = found
            .iter()
            .map(|d| format!("{}: {}", d.line, d.message))
            .collect();
        assert_eq!(
            lines,
            [
                "6: choices \"NATO\" and \"N.A.T.O.\" normalize to the same text",
                "13: answer \"iran\" is one typo from card `c`'s answer \"iraq\": a slip would also accept it; add \"iraq\" to `reject` to keep them apart",
                "19: card `c` has the same prompt as card `b`",
            ]
        );
        assert!(
            found
                .iter()
                .all(|d| d.severity == Severity::Warning && d.hint.is_some())
        );
    }

    fn card(id: &str, prompt: &str, body: Body) -> Card {
        Card {
            id: id.into(),
            prompt: prompt.into(),
            body,
            explain: None,
            source: Vec::new(),
            tags: Vec::new(),
            hint: None,
            allow: Default::default(),
        }
    }

    fn choice(choices: &[&str], answer: &str) -> Body {
        Body::Choice {
            choices: choices.iter().map(|c| c.to_string()).collect(),
            answer: answer.into(),
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|i| i.to_string()).collect()
    }

    #[test]
    fn longest_answer_needs_half_as_long_again_and_fifteen_characters_more() {
        let warns = [
            // 62 characters against 23 at most.
            choice(
                &[
                    "A refresh of relations, not a transformation of the partnership",
                    "A suspension of talks",
                    "A new treaty",
                ],
                "A refresh of relations, not a transformation of the partnership",
            ),
            // Every right answer of a multi card far longer than every wrong one.
            Body::Multi {
                choices: strings(&[
                    "Afghanistan and the transit of supplies to it",
                    "Missile proliferation from the Middle East",
                    "Iran",
                    "Cuba",
                ]),
                answers: strings(&[
                    "Afghanistan and the transit of supplies to it",
                    "Missile proliferation from the Middle East",
                ]),
            },
        ];
        for body in &warns {
            assert!(longest_answer(body).is_some(), "{body:?}");
        }
        let passes = [
            // Longest, but not by half again.
            choice(
                &[
                    "A refresh of relations, not a transformation",
                    "A suspension of relations until 2012",
                    "A transformation of relations",
                ],
                "A refresh of relations, not a transformation",
            ),
            // Three times as long, but short choices: 12 characters more only.
            choice(&["Iran", "Iraq", "Syria"], "North Korea!"),
            // 2x and +16, but a wrong choice is the longest.
            choice(
                &[
                    "Rasmussen, NATO's Secretary General",
                    "Dmitry Rogozin",
                    "The Foreign Policy Blogs author, who is not named",
                ],
                "Rasmussen, NATO's Secretary General",
            ),
            Body::Multi {
                choices: strings(&[
                    "A very long right answer indeed, truly",
                    "Short",
                    "Also right",
                ]),
                answers: strings(&["A very long right answer indeed, truly", "Also right"]),
            },
        ];
        for body in &passes {
            assert_eq!(longest_answer(body), None, "{body:?}");
        }
    }

    #[test]
    fn all_or_none_of_the_above_are_named() {
        assert_eq!(of_the_above("All of the above"), Some("all-of-the-above"));
        assert_eq!(of_the_above("all the above."), Some("all-of-the-above"));
        assert_eq!(of_the_above("None of these"), Some("none-of-the-above"));
        assert_eq!(
            of_the_above("None of the above: the text is silent"),
            Some("none-of-the-above")
        );
        for fine in [
            "All NATO members",
            "None",
            "All of Europe",
            "Nonetheless, the above",
            "The above-mentioned treaty",
        ] {
            assert_eq!(of_the_above(fine), None, "{fine}");
        }
    }

    #[test]
    fn order_cues_in_items_and_prompt() {
        let p = "Put these events in chronological order, earliest first.";
        let warns: [(&str, &[&str]); 7] = [
            (
                p,
                &["1997: the Founding Act", "2002: the NRC", "2010: Lisbon"],
            ),
            (
                p,
                &[
                    "The Founding Act (1997)",
                    "The NRC (2002)",
                    "Lisbon (2010)",
                    "New START",
                ],
            ),
            (p, &["1. Bosnia", "2. Kosovo", "3. Georgia"]),
            (
                "Latest first.",
                &["2010 Lisbon", "2008 Georgia", "1999 Kosovo"],
            ),
            (p, &["a) Bosnia", "b) Kosovo", "c) Georgia"]),
            (
                p,
                &[
                    "First, a refresh",
                    "Then a partnership",
                    "Finally a transformation",
                ],
            ),
            (
                "From the Founding Act through the NRC to Lisbon: put them in order.",
                &[
                    "The Founding Act",
                    "The NRC",
                    "The Lisbon summit of NATO",
                    "Lisbon",
                ],
            ),
        ];
        for (prompt, items) in warns {
            assert!(
                order_cue(prompt, &strings(items)).is_some(),
                "{prompt} {items:?}"
            );
        }
        let passes: [(&str, &[&str]); 7] = [
            (p, &["Bosnia", "Kosovo", "Georgia"]),
            // Years, but not in the right order: they teach nothing about it.
            (
                p,
                &["The NRC (2002)", "The Founding Act (1997)", "Lisbon (2010)"],
            ),
            // One year among four items.
            (p, &["Bosnia", "Kosovo (1999)", "Georgia", "Lisbon"]),
            // A sequence word in one item only.
            (p, &["First contacts", "Kosovo", "Georgia"]),
            (
                p,
                &[
                    "Finally a transformation",
                    "Then a partnership",
                    "First, a refresh",
                ],
            ),
            // The prompt names two items, not the first and the last, or not in order.
            (
                "Kosovo and Georgia: put these four in order.",
                &["Bosnia", "Kosovo", "Georgia", "Lisbon"],
            ),
            (
                "Lisbon, then Bosnia: put these four in order.",
                &["Bosnia", "Kosovo", "Georgia", "Lisbon"],
            ),
        ];
        for (prompt, items) in passes {
            assert_eq!(
                order_cue(prompt, &strings(items)),
                None,
                "{prompt} {items:?}"
            );
        }
    }

    #[test]
    fn negative_stems_without_emphasis() {
        let ask = |prompt: &str| negative_stem(&card("c", prompt, choice(&["a", "b"], "a")));
        for (prompt, word) in [
            (
                "Which of these is not a shared interest Sherr lists?",
                "not",
            ),
            ("Which ally didn't sign the Founding Act?", "didn't"),
            ("All of the following are Sherr's points except", "except"),
            (
                "Who, according to Pouliot, never accepted NATO's lead?",
                "never",
            ),
            ("What does Pouliot say NATO cannot accept?", "cannot"),
        ] {
            assert_eq!(ask(prompt).as_deref(), Some(word), "{prompt}");
        }
        for prompt in [
            "Which of these is NOT a shared interest Sherr lists?",
            "Which of these is *not* a shared interest Sherr lists?",
            "Which of these is _not_ a shared interest Sherr lists?",
            "All of the following are Sherr's points EXCEPT",
            // The negative is in a quotation, or in a clause of its own.
            "Who called on Russia 'to focus on real security challenges instead of ghosts that do not exist'?",
            "Who said \"We cannot outsource our collective defense obligations\"?",
            "Which author concludes that missile defence is probably not the right 'reset button'?",
            "Which reading says the NRC is not only a forum but a family?",
            "Whether or not Russia joins, which system does NATO plan?",
            // A statement, no question.
            "Sherr does not expect a transformation.",
        ] {
            assert_eq!(ask(prompt), None, "{prompt}");
        }
        // True/false statements and flashcards are not questions with choices.
        let tf = card(
            "t",
            "Which treaty did Russia not sign?",
            Body::Truefalse { answer: true },
        );
        assert_eq!(negative_stem(&tf), None);
    }

    #[test]
    fn a_number_prompt_says_what_form_of_number() {
        for fine in [
            "In what year did the Pristina standoff happen?",
            "On which day of November did the summit open?",
            "How many equal partners does the NRC have?",
            "What percentage of Russians fear NATO?",
            "What share, in %, of respondents agreed?",
            "Which Article of the Treaty is collective defence?",
            "How long, in days, did the summit last?",
        ] {
            assert!(says_number_form(fine), "{fine}");
        }
        for vague in [
            "When did the Pristina standoff happen?",
            "What number does Pouliot give?",
            "Give the figure Sherr cites for the NRC.",
        ] {
            assert!(!says_number_form(vague), "{vague}");
        }
    }

    #[test]
    fn a_flashcard_that_asks_two_things() {
        for prompt in [
            "What does the reading say is the alternative, and how does it judge it?",
            "Who proposed a joint system? Why did NATO refuse?",
            "Why does Pouliot call it shared, and what would they gain?",
            "Who proposed a joint system and why?",
        ] {
            assert!(several_questions(prompt).is_some(), "{prompt}");
        }
        for prompt in [
            "Who asked 'Why NATO?' at Lisbon?",
            "When and where did the NRC first meet?",
            "What does Pouliot mean by 'symbolic power struggles'?",
            "What is Naselskaya's conclusion: what must the parties keep in mind?",
            "Why do NATO and Russia disagree on missile defence?",
            "What did Sherr and Pouliot both say about the NRC?",
        ] {
            assert_eq!(several_questions(prompt), None, "{prompt}");
        }
    }

    /// The warnings of a deck, as "line: message" without the hint.
    fn warnings(src: &str) -> Vec<String> {
        let (deck, diags) = parse_deck("d.toml", src);
        assert!(
            diags.iter().all(|d| d.severity == Severity::Warning),
            "{diags:?}"
        );
        lint("d.toml", src, &deck.expect("parses"))
            .iter()
            .map(|d| format!("{}: {}", d.line, d.message))
            .collect()
    }

    #[test]
    fn leaked_answers_and_near_duplicates_across_cards() {
        let src = r#"[deck]
id = "d"
title = "D"

[[card]]
id = "envoy"
kind = "text"
prompt = "Who was Russia's envoy to NATO?"
answers = ["Dmitry Rogozin", "Rogozin"]

[[card]]
id = "envoy-words"
kind = "choice"
prompt = "What did Rogozin say about the NRC?"
choices = ["It works", "It fails"]
answer = "It works"

[[card]]
id = "year"
kind = "number"
prompt = "In what year was the Founding Act signed?"
answer = 1997

[[card]]
id = "act"
kind = "cloze"
prompt = "The {{Founding Act}} of 1997 set up the Permanent Joint Council."

[[card]]
id = "envoy-again"
kind = "choice"
prompt = "Who was Russia's envoy to NATO then?"
choices = ["Rogozin", "Lavrov"]
answer = "Rogozin"

[[card]]
id = "envoy-eu"
kind = "text"
prompt = "Who was Russia's envoy to the EU?"
answers = ["Rogozin"]
"#;
        assert_eq!(
            warnings(src),
            [
                "9: the answer \"Rogozin\" is printed in the prompt of card `envoy-words`: learners read it before they are asked [leaked-answer]",
                "22: the answer \"1997\" is printed in the prompt of card `act`: learners read it before they are asked [leaked-answer]",
                "27: the answer \"Founding Act\" is printed in the prompt of card `year`: learners read it before they are asked [leaked-answer]",
                "32: card `envoy-again` asks almost what card `envoy` asks, with the same answer [near-duplicate]",
                "40: the answer \"Rogozin\" is printed in the prompt of card `envoy-words`: learners read it before they are asked [leaked-answer]",
            ]
        );
        // `envoy-eu` is no near-duplicate of `envoy`: the word that differs is a name.
    }

    #[test]
    fn allow_silences_a_warning_with_its_reason_and_a_stale_allow_is_reported() {
        let src = r#"[deck]
id = "d"
title = "D"

[[card]]
id = "who"
kind = "choice"
prompt = "Which reading calls joint missile defence an important step?"
choices = ["The Foreign Policy Blogs piece", "Pouliot", "Sherr"]
answer = "The Foreign Policy Blogs piece"
allow = { longest-answer = "the unsigned reading is known by its outlet's name" }

[[card]]
id = "when"
kind = "number"
prompt = "When was the Founding Act signed?"
answer = 1997
allow = { number-form = "a year, as every date in this deck", leaked-answer = "no longer" }
"#;
        assert_eq!(
            warnings(src),
            [
                "18: card `when` allows `leaked-answer`, which it does not raise: the `allow` is stale"
            ]
        );
        let (deck, _) = parse_deck("d.toml", src);
        let deck = deck.expect("parses");
        assert_eq!(
            deck.cards[0]
                .allow
                .get("longest-answer")
                .map(String::as_str),
            Some("the unsigned reading is known by its outlet's name")
        );
        // Without the allow, the warning is there, at the answer, with its name and hint.
        let bare = src.replace(
            "allow = { longest-answer = \"the unsigned reading is known by its outlet's name\" }\n",
            "",
        );
        let (deck, _) = parse_deck("d.toml", &bare);
        let found = lint("d.toml", &bare, &deck.expect("parses"));
        assert_eq!(found[0].line, 10);
        assert_eq!(
            found[0].excerpt,
            "answer = \"The Foreign Policy Blogs piece\""
        );
        assert!(found[0].message.ends_with("[longest-answer]"));
        assert_eq!(found[0].rule, Some("longest-answer"));
        assert!(
            found[0]
                .hint
                .is_some_and(|h| h.contains("wrong choices as long"))
        );
        // An allow changes nothing the learner sees: the card's content hash stays.
        let (with, _) = parse_deck("d.toml", src);
        let (without, _) = parse_deck("d.toml", &bare);
        assert_eq!(
            with.expect("parses").cards[0].content_hash(0),
            without.expect("parses").cards[0].content_hash(0)
        );
    }

    #[test]
    fn allow_takes_known_names_each_with_a_reason() {
        let card = |allow: &str| {
            format!(
                "[deck]\nid = \"d\"\ntitle = \"D\"\n\n[[card]]\nid = \"c\"\nkind = \"truefalse\"\nprompt = \"Q\"\nanswer = true\nallow = {allow}\n"
            )
        };
        let errors = |allow: &str| -> Vec<String> {
            let (deck, diags) = parse_deck("d.toml", &card(allow));
            assert!(deck.is_none(), "{allow}");
            diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| format!("{}: {}", d.line, d.message))
                .collect()
        };
        assert_eq!(
            errors("{ longest-answr = \"why\" }"),
            [format!(
                "10: unknown warning `longest-answr` in `allow`; did you mean `longest-answer`? (one of {})",
                CARD_WARNINGS.map(|(n, _)| n).join(", ")
            )]
        );
        assert_eq!(
            errors("{ longest-answer = \" \" }"),
            [
                "10: `allow` of `longest-answer` needs a reason: longest-answer = \"why this card is right as it is\""
            ]
        );
        assert_eq!(
            errors("{ longest-answer = true }").len(),
            1,
            "a reason is text"
        );
        assert!(errors("[\"longest-answer\"]")[0].contains("must be a table"));
        // Deck-level warnings are not a card's to allow.
        assert!(errors("{ theme-coverage = \"why\" }")[0].contains("unknown warning"));
        let (deck, diags) = parse_deck("d.toml", &card("{ negative-stem = \"why\" }"));
        assert!(deck.is_some(), "{diags:?}");
    }

    /// A deck of `n` cards, the first `themed` of them tagged `theme:missile-defence`, the rest `theme:status`,
    /// with `theme:partnership` among the deck's tags.
    fn themed_deck(n: usize, themed: usize) -> String {
        let mut src = "[deck]\nid = \"d\"\ntitle = \"D\"\ntags = [\"org:nato\", \"theme:partnership\"]\n\n[deck.source]\nauthor = \"A\"\n".to_string();
        for i in 0..n {
            let tag = if i < themed {
                "theme:missile-defence"
            } else {
                "theme:status"
            };
            src.push_str(&format!(
                "\n[[card]]\nid = \"c{i}\"\nkind = \"truefalse\"\nprompt = \"Statement {i}.\"\nanswer = true\ntags = [\"{tag}\", \"org:nato\"]\n"
            ));
        }
        src
    }

    #[test]
    fn themes_go_on_the_cards_they_describe() {
        assert_eq!(
            warnings(&themed_deck(10, 6)),
            [
                "1: theme `theme:missile-defence` is on 6 of the deck's 10 cards (60 %): a theme on more than half of a deck measures little [theme-coverage]",
                "4: deck tag `theme:partnership` is a theme: deck tags describe the deck and are not applied to its cards [deck-theme]",
            ]
        );
        // 5 of 10 is not more than half; a deck of 9 cards is too small to say.
        assert_eq!(
            warnings(&themed_deck(10, 5)),
            [
                "4: deck tag `theme:partnership` is a theme: deck tags describe the deck and are not applied to its cards [deck-theme]",
            ]
        );
        assert_eq!(
            warnings(&themed_deck(9, 9)),
            [
                "4: deck tag `theme:partnership` is a theme: deck tags describe the deck and are not applied to its cards [deck-theme]"
            ]
        );
        // Deck tags that are not themes describe the deck, as they should.
        let plain = themed_deck(10, 4)
            .replace(", \"theme:partnership\"]", "]")
            .replace("\"theme:status\"", "\"actor:rogozin\"");
        assert_eq!(warnings(&plain), Vec::<String>::new());
    }

    #[test]
    fn near_identical_prompts_differ_only_in_ordinary_words() {
        let same = |a: &str, b: &str| near_identical(&prompt_words(a), &prompt_words(b));
        assert!(same(
            "Who was Russia's envoy to NATO?",
            "Who was Russia's envoy to NATO then?"
        ));
        assert!(same(
            "According to Sherr, what does Russia want from NATO?",
            "What does Russia want from NATO, according to Sherr?"
        ));
        // A different name or number makes a different question, however alike the rest.
        assert!(!same(
            "What did Sherr call the NRC?",
            "What did Pouliot call the NRC?"
        ));
        assert!(!same(
            "In which year was treaty 5 signed?",
            "In which year was treaty 105 signed?"
        ));
        // Too different, or too short to say.
        assert!(!same(
            "Who was Russia's envoy to NATO?",
            "Who spoke for Russia at the Lisbon meeting of the NRC?"
        ));
        assert!(!same("Who?", "Who then?"));
    }
}
