//! The item-writing rules that compare cards: a typed answer printed in another card's prompt (`leaked-answer`),
//! and two cards asking almost the same thing with the same answer (`near-duplicate`). Both index the deck, so a
//! 100,000-card bank stays linear.

use super::rules::Found;
use crate::deck::{Body, Card, Code, Deck, cloze_blanks, cloze_question, normalize};
use std::collections::{HashMap, HashSet};

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

/// The typed forms of a deck's answers (see [`typed_forms`]), each with the cards that accept it in deck order and
/// the form as each wrote it. A form maps to the first and last of its entries, chained in one list: a 100,000-card
/// bank whose forms are nearly all one card's holds one entry per form, not a list of its own per form.
struct AnswerIndex {
    forms: HashMap<String, (usize, usize)>,
    /// Card index, the form as written, and the next entry of the same form (`NO_NEXT` for the last).
    entries: Vec<(usize, String, usize)>,
}

const NO_NEXT: usize = usize::MAX;

impl AnswerIndex {
    fn new(deck: &Deck) -> Self {
        let mut index = AnswerIndex {
            forms: HashMap::new(),
            entries: Vec::new(),
        };
        for (i, card) in deck.cards.iter().enumerate() {
            for (form, written) in typed_forms(card) {
                if form.split(' ').count() <= LEAK_MAX_WORDS {
                    let at = index.entries.len();
                    index.entries.push((i, written, NO_NEXT));
                    match index.forms.get_mut(&form) {
                        Some((_, last)) => {
                            index.entries[*last].2 = at;
                            *last = at;
                        }
                        None => {
                            index.forms.insert(form, (at, at));
                        }
                    }
                }
            }
        }
        index
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The cards that accept `form`, in deck order, each with the form as it wrote it.
    fn get<'a>(&'a self, form: &str) -> impl Iterator<Item = (usize, &'a String)> + 'a {
        let mut next = self.forms.get(form).map_or(NO_NEXT, |(first, _)| *first);
        std::iter::from_fn(move || {
            let (card, written, after) = self.entries.get(next)?;
            next = *after;
            Some((*card, written))
        })
    }
}

/// Typed answers printed, as whole words, in another card's prompt: the learner reads the answer before being
/// asked. Reported once per answering card, at its answers. Every run of words of every prompt is looked up in an
/// index of the answers, so a large bank stays linear.
pub(super) fn leaked_answers(deck: &Deck) -> Vec<Found> {
    let index = AnswerIndex::new(deck);
    if index.is_empty() {
        return Vec::new();
    }
    // For each answering card: its first leaked form, the first card that prints it, and how many do.
    let mut leaks: HashMap<usize, (String, usize, usize)> = HashMap::new();
    let mut run = String::new();
    for (j, card) in deck.cards.iter().enumerate() {
        let shown = shown_text(card);
        let words: Vec<&str> = shown.split(' ').collect();
        let mut hit: HashSet<usize> = HashSet::new();
        for start in 0..words.len() {
            // Each run grows word by word in one buffer: no string is allocated per run.
            run.clear();
            for (n, word) in words[start..(start + LEAK_MAX_WORDS).min(words.len())]
                .iter()
                .enumerate()
            {
                if n > 0 {
                    run.push(' ');
                }
                run.push_str(word);
                for (i, written) in index.get(run.as_str()) {
                    if i != j && hit.insert(i) {
                        let e = leaks.entry(i).or_insert((written.clone(), j, 0));
                        e.2 += 1;
                    }
                }
            }
        }
    }
    // The index is let go before the messages are written: a large bank's index and its warnings need not be
    // held at once.
    drop(index);
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
                code: Code::LeakedAnswer,
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
pub(super) fn prompt_words(prompt: &str) -> Vec<(String, bool)> {
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
pub(super) fn near_identical(a: &[(String, bool)], b: &[(String, bool)]) -> bool {
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
pub(super) fn near_duplicates(deck: &Deck) -> Vec<Found> {
    // Each card under each of its answer keys, sorted: a group of cards with the same answer is a run of this list,
    // in deck order. One list sized by the deck, not a table of lists (most answers belong to one card).
    let mut keyed: Vec<(String, usize)> = Vec::with_capacity(deck.cards.len());
    for (i, card) in deck.cards.iter().enumerate() {
        let mut keys = answer_keys(card);
        keys.sort();
        keys.dedup();
        keyed.extend(keys.into_iter().filter(|k| !k.is_empty()).map(|k| (k, i)));
    }
    keyed.sort_unstable();
    // Each card's normalized prompt and words, worked out once for all the groups it is in.
    let mut prompts: HashMap<usize, (String, Vec<(String, bool)>)> = HashMap::new();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for group in keyed
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|g| (2..=DUPLICATE_GROUP).contains(&g.len()))
    {
        for &(_, i) in group {
            prompts.entry(i).or_insert_with(|| {
                let p = &deck.cards[i].prompt;
                (normalize(p), prompt_words(p))
            });
        }
        for (x, &(_, i)) in group.iter().enumerate() {
            for &(_, j) in &group[x + 1..] {
                let (Some((ni, wi)), Some((nj, wj))) = (prompts.get(&i), prompts.get(&j)) else {
                    continue;
                };
                if ni == nj {
                    continue;
                }
                if near_identical(wi, wj) {
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
            code: Code::NearDuplicate,
            message: format!(
                "card `{}` asks almost what card `{}` asks, with the same answer",
                deck.cards[later].id, deck.cards[first].id
            ),
        })
        .collect()
}
