//! The learner's path: the order in which a fresh learner meets new cards ([`new_card_order`], the one definition
//! the store's queue follows), and the `shown-earlier` warning over it ([`shown_earlier`]): an answer a learner
//! reads on a card met earlier, in its prompt, choices, items, pairs, answer, explanation or hint, or in the deck
//! title the header shows. `deck check` runs it over the decks it is given and the built-in ones; an import does
//! not.

use crate::deck::{Body, Card, Deck, cloze_blanks, cloze_question, normalize};
use std::collections::{HashMap, HashSet};

/// A deck on the path: the deck, and its place in the list the built-in decks ship in (`None` for any other).
pub struct PathDeck<'a> {
    pub deck: &'a Deck,
    pub offer: Option<usize>,
}

/// One study item on the path: the deck (index in the slice given), the card (index in the deck) and the sibling
/// (cloze blank or flashcard side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Step {
    pub deck: usize,
    pub card: usize,
    pub sibling: usize,
}

/// Whether a deck is a reading deck: none of its cards draws on another deck. Reading decks come first.
pub fn is_reading(deck: &Deck) -> bool {
    deck.cards.iter().all(|c| c.draws_on(&deck.id).is_empty())
}

/// A deck's study items in its new-card order: the cards by [`Deck::new_ranks`], each followed by its siblings.
/// The store ranks them the same way at import (`new_rank`).
pub fn deck_items(deck: &Deck) -> Vec<(usize, usize)> {
    let ranks = deck.new_ranks();
    let mut cards: Vec<usize> = (0..deck.cards.len()).collect();
    cards.sort_by_key(|&i| ranks[i]);
    cards
        .into_iter()
        .flat_map(|i| (0..deck.cards[i].siblings()).map(move |s| (i, s)))
        .collect()
}

/// The order in which a fresh learner who studies every new card offered meets them, `new_per_day` a day (at
/// least 1): each day one card from each deck in turn, reading decks first, then the built-in decks in the order
/// they ship in, then by id; each deck in its new-card order ([`deck_items`]). A card whose `source` draws on
/// another deck of the path waits until a day starts with every card of that deck met (a synthesis comes after
/// the readings it crosses, so it never restates a reading's answers before they are asked); no two siblings of one card
/// on one day (the later waits for a later day, and passing it over uses its deck's turn). Each day takes
/// `new_per_day` cards so, as `store::new_for_today` takes them.
pub fn new_card_order(decks: &[PathDeck<'_>], new_per_day: usize) -> Vec<Step> {
    let per_day = new_per_day.max(1);
    let mut rotation: Vec<usize> = (0..decks.len()).collect();
    let reading: Vec<bool> = decks.iter().map(|d| is_reading(d.deck)).collect();
    rotation.sort_by(|&a, &b| {
        let key = |i: usize| {
            (
                !reading[i],
                decks[i].offer.is_none(),
                decks[i].offer.unwrap_or(0),
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| decks[a].deck.id.cmp(&decks[b].deck.id))
    });
    let present: HashSet<&str> = decks.iter().map(|d| d.deck.id.as_str()).collect();
    // Per deck, in rotation order: its items, the decks each waits on, which are taken, and the first not taken.
    struct Stream {
        deck: usize,
        items: Vec<(usize, usize, Vec<usize>)>,
        taken: Vec<bool>,
        start: usize,
    }
    let index: HashMap<&str, usize> = decks
        .iter()
        .enumerate()
        .map(|(i, d)| (d.deck.id.as_str(), i))
        .collect();
    let mut streams: Vec<Stream> = rotation
        .iter()
        .map(|&d| {
            let deck = decks[d].deck;
            let items: Vec<(usize, usize, Vec<usize>)> = deck_items(deck)
                .into_iter()
                .map(|(c, s)| {
                    let waits = deck.cards[c]
                        .draws_on(&deck.id)
                        .iter()
                        .filter(|r| present.contains(r.as_str()))
                        .filter_map(|r| index.get(r.as_str()).copied())
                        .collect();
                    (c, s, waits)
                })
                .collect();
            let n = items.len();
            Stream {
                deck: d,
                items,
                taken: vec![false; n],
                start: 0,
            }
        })
        .collect();
    let mut seen = vec![false; decks.len()];
    let mut out = Vec::new();
    loop {
        let seen_today = seen.clone();
        let ready = |waits: &[usize]| waits.iter().all(|&w| seen_today[w]);
        // The day's cards, one from each deck in turn; a sibling of a card already taken today is passed over
        // and uses its deck's turn (as the store's walk does), until the day's number is taken.
        let mut cursors: Vec<usize> = streams.iter().map(|s| s.start).collect();
        let mut notes: HashSet<(usize, usize)> = HashSet::new();
        let mut today = 0;
        'fill: loop {
            let mut took = false;
            for (k, s) in streams.iter_mut().enumerate() {
                if today >= per_day {
                    break 'fill;
                }
                while cursors[k] < s.items.len()
                    && (s.taken[cursors[k]] || !ready(&s.items[cursors[k]].2))
                {
                    cursors[k] += 1;
                }
                if cursors[k] < s.items.len() {
                    let i = cursors[k];
                    cursors[k] += 1;
                    took = true;
                    let (card, sibling, _) = s.items[i];
                    if notes.insert((s.deck, card)) {
                        s.taken[i] = true;
                        out.push(Step {
                            deck: s.deck,
                            card,
                            sibling,
                        });
                        today += 1;
                    }
                }
            }
            if !took {
                break;
            }
        }
        if today == 0 {
            return out;
        }
        for s in &mut streams {
            while s.start < s.items.len() && s.taken[s.start] {
                s.start += 1;
            }
            seen[s.deck] = s.start == s.items.len();
        }
    }
}

/// Answers longer than this many words are not looked for in shown text.
const MAX_WORDS: usize = 8;

/// The answers of one study item a learner could read elsewhere, normalized, with the form as written: a text
/// card's accepted forms, the blank's (cloze), the back or, for the reverse side, the front (flashcard), the right
/// choice or choices, a whole number of four digits or more (a year). True/false, order and match cards have none
/// a single phrase could give away. Forms shorter than 4 letters or digits ("US") or longer than 8 words are left
/// out.
pub fn answer_forms(card: &Card, sibling: usize) -> Vec<(String, String)> {
    let forms: Vec<String> = match &card.body {
        Body::Text { answers, .. } => answers.clone(),
        Body::Cloze { .. } => cloze_blanks(&card.prompt)
            .into_iter()
            .nth(sibling)
            .map(|b| b.answers)
            .unwrap_or_default(),
        Body::Flashcard { answer, .. } if sibling == 0 => vec![answer.clone()],
        Body::Flashcard { .. } => vec![card.prompt.clone()],
        Body::Choice { answer, .. } => vec![answer.clone()],
        Body::Multi { answers, .. } => answers.clone(),
        Body::Number { answer, .. } if answer.fract() == 0.0 && answer.abs() >= 1000.0 => {
            vec![format!("{answer}")]
        }
        _ => Vec::new(),
    };
    let mut out: Vec<(String, String)> = forms
        .into_iter()
        .map(|f| (normalize(&f), f))
        .filter(|(n, _)| {
            n.chars().filter(|c| c.is_alphanumeric()).count() >= 4
                && n.split(' ').count() <= MAX_WORDS
        })
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// Everything a card shows the learner, before and after they answer, with the field it is in: the prompt (a
/// cloze with its blanks filled, as the feedback shows it), choices, order items, match pairs, the answer the
/// feedback shows, the explanation and the hint.
pub fn shown_fields(card: &Card) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    match &card.body {
        Body::Cloze { .. } => out.push(("prompt", cloze_question(&card.prompt, usize::MAX))),
        _ => out.push(("prompt", card.prompt.clone())),
    }
    match &card.body {
        Body::Choice { choices, .. } | Body::Multi { choices, .. } => {
            out.extend(choices.iter().map(|c| ("choices", c.clone())));
        }
        Body::Order { items } => out.extend(items.iter().map(|i| ("items", i.clone()))),
        Body::Match { pairs } => {
            for (l, r) in pairs {
                out.push(("pairs", l.clone()));
                out.push(("pairs", r.clone()));
            }
        }
        Body::Flashcard { answer, .. } => out.push(("answer", answer.clone())),
        Body::Text { answers, .. } => {
            out.extend(answers.first().map(|a| ("answers", a.clone())));
        }
        Body::Number { answer, .. } => out.push(("answer", format!("{answer}"))),
        Body::Truefalse { .. } | Body::Cloze { .. } => {}
    }
    out.extend(card.explain.iter().map(|e| ("explain", e.clone())));
    out.extend(card.hint.iter().map(|h| ("hint", h.clone())));
    out
}

/// Every run of up to [`MAX_WORDS`] words of normalized `text` that is a key of `index`, each key once.
fn runs_in<'i, T>(text: &str, index: &'i HashMap<String, T>) -> Vec<&'i T> {
    let normalized = normalize(text);
    let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
    let mut found = Vec::new();
    let mut keys: HashSet<String> = HashSet::new();
    for start in 0..words.len() {
        for end in start + 1..=(start + MAX_WORDS).min(words.len()) {
            let run = words[start..end].join(" ");
            if let Some(v) = index.get(&run)
                && keys.insert(run)
            {
                found.push(v);
            }
        }
    }
    found
}

/// An answer shown before it is asked: the answering item and the earlier item that shows it (by place on the
/// path), the field it is shown in (`title` for the deck title), the answer as written, and how many other
/// earlier items show it too.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownEarlier {
    pub answer: Step,
    pub answer_at: usize,
    pub shown: Step,
    pub shown_at: usize,
    pub field: &'static str,
    pub form: String,
    pub more: usize,
}

/// For each card answered on `order`, its first study item whose answer an earlier item shows as whole words (a
/// sibling of the same card does not count; a deck title counts from the deck's first item on, for the cards of
/// other decks: `answer-in-title` covers a deck's own). The answers are indexed and each shown text scanned once,
/// so the time is linear in the text of the path.
pub fn shown_earlier(decks: &[PathDeck<'_>], order: &[Step]) -> Vec<ShownEarlier> {
    let mut index: HashMap<String, Vec<(usize, String)>> = HashMap::new();
    for (at, step) in order.iter().enumerate() {
        let card = &decks[step.deck].deck.cards[step.card];
        for (form, written) in answer_forms(card, step.sibling) {
            index.entry(form).or_default().push((at, written));
        }
    }
    // Per answering card: the first leak found (the earliest shown place, as the scan runs forward) and a count.
    let mut leaks: HashMap<(usize, usize), ShownEarlier> = HashMap::new();
    let mut record = |at: usize, field: &'static str, text: &str, same_deck_ok: bool| {
        let step = order[at];
        for hits in runs_in(text, &index) {
            for (later, written) in hits {
                let answer = order[*later];
                if *later <= at
                    || (answer.deck == step.deck && answer.card == step.card)
                    || (!same_deck_ok && answer.deck == step.deck)
                {
                    continue;
                }
                leaks
                    .entry((answer.deck, answer.card))
                    .and_modify(|l| {
                        if l.shown_at != at {
                            l.more += 1;
                        }
                    })
                    .or_insert(ShownEarlier {
                        answer,
                        answer_at: *later,
                        shown: step,
                        shown_at: at,
                        field,
                        form: written.clone(),
                        more: 0,
                    });
            }
        }
    };
    let mut titled = vec![false; decks.len()];
    for (at, step) in order.iter().enumerate() {
        if !titled[step.deck] {
            titled[step.deck] = true;
            record(at, "title", &decks[step.deck].deck.title, false);
        }
        for (field, text) in shown_fields(&decks[step.deck].deck.cards[step.card]) {
            record(at, field, &text, true);
        }
    }
    let mut out: Vec<ShownEarlier> = leaks.into_values().collect();
    out.sort_by_key(|l| l.answer_at);
    out
}
