//! Natural right and wrong answers to every typed card of the built-in decks (tests/data/natural-answers.toml), run
//! through the checker a study session uses: a deck's lexicon from its aliases and normalized typed answers
//! (`Lexicon::with_known`, as `session::load_lexicon` builds it from the store), `Lexicon::check` for text,
//! `Lexicon::check_asked` for text (with the card's prompt), `Lexicon::check_cloze` for cloze blanks,
//! `grade::check_number_asked` for numbers. Every right answer is accepted and no wrong one is.

use detente::deck::builtin::DECKS;
use detente::deck::{Body, Deck, cloze_blanks, normalize, parse_deck, typed_answers};
use detente::grade::{self, Lexicon, Verdict};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Deserialize)]
struct Data {
    card: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    deck: String,
    id: String,
    #[serde(default)]
    blank: usize,
    right: Vec<String>,
    wrong: Vec<String>,
}

fn decks() -> BTreeMap<String, Deck> {
    DECKS
        .iter()
        .map(|b| {
            let deck = parse_deck(b.file, b.text)
                .0
                .unwrap_or_else(|| panic!("{} parses", b.file));
            (deck.id.clone(), deck)
        })
        .collect()
}

/// The lexicon a session builds for `deck`: its aliases and its typed answers, normalized, as the store keeps them.
fn lexicon(deck: &Deck) -> Lexicon {
    let known = typed_answers(&deck.cards)
        .iter()
        .map(|a| normalize(a))
        .collect::<Vec<_>>();
    // As the session builds it: with the common words of the deck's text (`decks.words`).
    Lexicon::with_known(&deck.aliases, known).with_vocabulary(detente::deck::deck_words(deck))
}

fn data() -> Data {
    let text = std::fs::read_to_string("tests/data/natural-answers.toml").expect("data file");
    toml::from_str(&text).expect("data parses")
}

/// Checks `typed` for the item as a session would.
fn check(deck: &Deck, lex: &Lexicon, item: &Item, typed: &str) -> Verdict {
    let card = deck
        .cards
        .iter()
        .find(|c| c.id == item.id)
        .unwrap_or_else(|| panic!("{}/{} is not a card", item.deck, item.id));
    match &card.body {
        Body::Text { answers, reject } => lex.check_asked(typed, &card.prompt, answers, reject),
        Body::Cloze { reject } => lex.check_cloze(typed, &card.prompt, item.blank, reject),
        Body::Number { answer, tolerance } => {
            grade::check_number_asked(&card.prompt, typed, *answer, *tolerance)
        }
        other => panic!(
            "{}/{} is a {} card, not typed",
            item.deck,
            item.id,
            other.kind()
        ),
    }
}

#[test]
fn every_typed_card_of_the_builtin_decks_has_natural_answers() {
    let mut listed = BTreeSet::new();
    for item in data().card {
        assert!(
            item.right.len() >= 4,
            "{}/{}: few right answers",
            item.deck,
            item.id
        );
        assert!(
            item.wrong.len() >= 4,
            "{}/{}: few wrong answers",
            item.deck,
            item.id
        );
        listed.insert((item.deck, item.id, item.blank));
    }
    for (id, deck) in decks() {
        for card in &deck.cards {
            let blanks = match &card.body {
                Body::Text { .. } | Body::Number { .. } => 1,
                Body::Cloze { .. } => cloze_blanks(&card.prompt).len(),
                _ => 0,
            };
            for blank in 0..blanks {
                assert!(
                    listed.contains(&(id.clone(), card.id.clone(), blank)),
                    "{id}/{} blank {blank} has no natural answers",
                    card.id
                );
            }
        }
    }
}

#[test]
fn natural_answers_are_graded_as_a_teacher_would() {
    let decks = decks();
    let lexicons: BTreeMap<&String, Lexicon> =
        decks.iter().map(|(id, d)| (id, lexicon(d))).collect();
    let (mut right, mut accepted) = (0, 0);
    let mut refused = Vec::new();
    let mut let_through = Vec::new();
    let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
    for item in data().card {
        let deck = &decks[&item.deck];
        let lex = &lexicons[&item.deck];
        for typed in &item.right {
            right += 1;
            let v = check(deck, lex, &item, typed);
            if v.correct {
                accepted += 1;
                *rules.entry(v.rule.as_str()).or_default() += 1;
            } else {
                refused.push(format!(
                    "{}/{}[{}]: {typed:?}",
                    item.deck, item.id, item.blank
                ));
            }
        }
        for typed in &item.wrong {
            let v = check(deck, lex, &item, typed);
            if v.correct {
                let_through.push(format!(
                    "{}/{}[{}]: {typed:?} ({})",
                    item.deck,
                    item.id,
                    item.blank,
                    v.rule.as_str()
                ));
            }
        }
    }
    let rate = accepted as f64 / right as f64;
    println!(
        "natural right answers accepted: {accepted}/{right} ({:.1} %), by rule {rules:?}",
        rate * 100.0
    );
    println!("refused right answers: {refused:#?}");
    assert!(
        let_through.is_empty(),
        "wrong answers accepted: {let_through:#?}"
    );
    assert!(
        refused.is_empty(),
        "only {:.1} % accepted; refused: {refused:#?}",
        rate * 100.0
    );
}

/// The typed study items of a deck: (card index, blank) with their accepted answers (numbers as digits).
fn items(deck: &Deck) -> Vec<(usize, usize, Vec<String>)> {
    let mut out = Vec::new();
    for (i, card) in deck.cards.iter().enumerate() {
        match &card.body {
            Body::Text { answers, .. } => out.push((i, 0, answers.clone())),
            Body::Cloze { .. } => {
                for (b, blank) in cloze_blanks(&card.prompt).into_iter().enumerate() {
                    out.push((i, b, blank.answers));
                }
            }
            Body::Number { answer, .. } => out.push((i, 0, vec![answer.to_string()])),
            _ => {}
        }
    }
    out
}

#[test]
fn another_cards_answer_and_hedges_are_refused_everywhere() {
    let decks = decks();
    let mut checked = 0;
    let mut let_through = Vec::new();
    for deck in decks.values() {
        let lex = lexicon(deck);
        let items = items(deck);
        for (i, blank, accepted) in &items {
            let card = &deck.cards[*i];
            let item = Item {
                deck: deck.id.clone(),
                id: card.id.clone(),
                blank: *blank,
                right: vec![],
                wrong: vec![],
            };
            let answer = &accepted[0];
            let mut wrong: Vec<String> = vec![format!("not {answer}"), format!("{answer}?")];
            for (j, other_blank, other) in &items {
                // Numbers compete with numbers, names with names.
                let numeric = |k: usize| matches!(deck.cards[k].body, Body::Number { .. });
                if (j, other_blank) == (i, blank) || numeric(*i) != numeric(*j) {
                    continue;
                }
                let other = &other[0];
                // Two cards may share an answer: that is no competitor.
                let v = check(deck, &lex, &item, other);
                if v.correct && matches!(v.rule.as_str(), "exact" | "alias") {
                    continue;
                }
                wrong.push(other.clone());
                wrong.push(format!("{answer} or {other}"));
                wrong.push(format!("{other} or {answer}"));
                wrong.push(format!("{answer} and {other}"));
            }
            if let Body::Number { answer, .. } = &card.body {
                for n in [answer - 1.0, answer + 1.0, answer * 10.0] {
                    wrong.push(n.to_string());
                    wrong.push(format!("{answer} or {n}"));
                }
            }
            for typed in &wrong {
                checked += 1;
                let v = check(deck, &lex, &item, typed);
                if v.correct {
                    let_through.push(format!(
                        "{}/{}[{blank}]: {typed:?} ({})",
                        deck.id,
                        card.id,
                        v.rule.as_str()
                    ));
                }
            }
        }
    }
    println!("{checked} wrong answers checked");
    assert!(
        let_through.is_empty(),
        "wrong answers accepted: {let_through:#?}"
    );
}

/// Attack: the typo allowance turning an answer into its negation. For every typed answer of the built-in decks
/// (each text card's answers, each cloze blank's), every form with a negating prefix added to or taken from one of
/// its words ("equality" → "inequality", "unequal partner" → "equal partner") must be refused.
#[test]
fn a_negating_prefix_is_never_a_typo() {
    const PREFIXES: [&str; 7] = ["un", "in", "im", "ir", "il", "non", "dis"];
    let decks = decks();
    let (mut tried, mut let_through) = (0, Vec::new());
    for deck in decks.values() {
        let lex = lexicon(deck);
        for (i, blank, accepted) in items(deck) {
            let card = &deck.cards[i];
            let item = Item {
                deck: deck.id.clone(),
                id: card.id.clone(),
                blank,
                right: vec![],
                wrong: vec![],
            };
            if matches!(card.body, Body::Number { .. }) {
                continue;
            }
            for answer in &accepted {
                let words: Vec<String> = normalize(answer)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                for (w, word) in words.iter().enumerate() {
                    if word.chars().count() < 4 || word.chars().any(|c| c.is_ascii_digit()) {
                        continue;
                    }
                    let mut variants: Vec<String> =
                        PREFIXES.iter().map(|p| format!("{p}{word}")).collect();
                    variants.extend(
                        PREFIXES
                            .iter()
                            .filter_map(|p| word.strip_prefix(p))
                            .filter(|rest| rest.chars().count() >= 4)
                            .map(str::to_string),
                    );
                    for variant in variants {
                        let mut typed = words.clone();
                        typed[w] = variant;
                        let typed = typed.join(" ");
                        // A form the card itself accepts is not a negation of it.
                        if accepted.iter().any(|a| normalize(a) == typed) {
                            continue;
                        }
                        tried += 1;
                        let v = check(deck, &lex, &item, &typed);
                        if v.correct {
                            let_through.push(format!(
                                "{}/{}[{blank}]: {typed:?} for {answer:?} ({})",
                                deck.id,
                                card.id,
                                v.rule.as_str()
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(tried > 500, "only {tried} negated forms tried");
    assert!(
        let_through.is_empty(),
        "{} of {tried} negated forms accepted: {let_through:#?}",
        let_through.len()
    );
}

/// Attack: the typo allowance taking one word of the deck for another. For every typed answer of the built-in decks
/// and every common word of the same deck's text within the typo allowance of one of the answer's words (not an
/// inflection of it: "sanctions" for "sanction" stays a typo), the answer with that word swapped in must be refused:
/// it is that other word, not a misspelling.
#[test]
fn another_word_of_the_decks_own_text_is_never_a_typo() {
    let decks = decks();
    let (mut tried, mut let_through) = (0, Vec::new());
    for deck in decks.values() {
        let lex = lexicon(deck);
        let vocabulary = detente::deck::deck_words(deck);
        for (i, blank, accepted) in items(deck) {
            let card = &deck.cards[i];
            let item = Item {
                deck: deck.id.clone(),
                id: card.id.clone(),
                blank,
                right: vec![],
                wrong: vec![],
            };
            for answer in &accepted {
                let words: Vec<String> = normalize(answer)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                for (w, word) in words.iter().enumerate() {
                    let allowed = match word.chars().count() {
                        0..=3 => continue,
                        4..=7 => 1,
                        _ => 2,
                    };
                    if word.chars().any(|c| c.is_ascii_digit()) {
                        continue;
                    }
                    let inflected = |a: &str, b: &str| {
                        ["s", "es", "d", "ed"]
                            .iter()
                            .any(|e| a.strip_suffix(e) == Some(b) || b.strip_suffix(e) == Some(a))
                    };
                    for other in vocabulary.iter().filter(|v| {
                        *v != word
                            && !inflected(v, word)
                            && strsim::osa_distance(v, word) <= allowed
                    }) {
                        let mut typed = words.clone();
                        typed[w] = other.clone();
                        let typed = typed.join(" ");
                        if accepted.iter().any(|a| normalize(a) == typed) {
                            continue;
                        }
                        tried += 1;
                        let v = check(deck, &lex, &item, &typed);
                        if v.correct {
                            let_through.push(format!(
                                "{}/{}[{blank}]: {typed:?} for {answer:?} ({})",
                                deck.id,
                                card.id,
                                v.rule.as_str()
                            ));
                        }
                    }
                }
            }
        }
    }
    println!("{tried} swapped words tried");
    assert!(tried >= 5, "only {tried} swapped words tried");
    assert!(
        let_through.is_empty(),
        "{} of {tried} swapped words accepted: {let_through:#?}",
        let_through.len()
    );
}

/// Attack: an answer that names the right answer but is refused must say why, in words: extra content, a hedge,
/// a negation, a question.
#[test]
fn a_refused_answer_that_names_the_answer_says_why() {
    let decks = decks();
    let deck = &decks["sherr-lisbon-2010"];
    let lex = lexicon(deck);
    let item = Item {
        deck: deck.id.clone(),
        id: "rogozin-name".into(),
        blank: 0,
        right: vec![],
        wrong: vec![],
    };
    let cases = [
        (
            "Dmitry Rogozin, later deputy prime minister",
            "you also wrote 'later deputy prime minister', which is not part of it",
        ),
        ("I think Rogozin", "'i' makes it a hedge"),
        ("Rogozin or Lavrov", "'or' makes it a hedge"),
        ("not Rogozin", "'not' turns it into the opposite"),
        ("Rogozin?", "as a question"),
    ];
    for (typed, why) in cases {
        let v = check(deck, &lex, &item, typed);
        assert!(!v.correct, "{typed:?} accepted");
        let said = v.why.unwrap_or_default();
        assert!(said.contains(why), "{typed:?}: {said:?}");
    }
    // A wrong answer that does not name the answer says nothing of the kind.
    assert_eq!(check(deck, &lex, &item, "Lavrov").why, None);
}
