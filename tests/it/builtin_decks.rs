//! The quality bars of the built-in course decks: they parse clean, each reading's deck has at least 30 cards of at
//! least six kinds, the course deck at least 25, every tag is in the shared vocabulary, every card has its explanation
//! and source paragraph, and every typed answer accepts its listed forms and refuses its `reject` entries.

use detente::deck::builtin::{DECKS, vocabulary};
use detente::deck::{Body, Deck, Severity, cloze_blanks, parse_deck};
use detente::grade::Lexicon;
use std::collections::BTreeSet;

fn decks() -> Vec<Deck> {
    DECKS
        .iter()
        .map(|b| {
            let (deck, diags) = parse_deck(b.file, b.text);
            assert!(diags.is_empty(), "{}: {diags:?}", b.file);
            deck.unwrap_or_else(|| panic!("{} does not parse", b.file))
        })
        .collect()
}

#[test]
fn every_builtin_deck_parses_without_errors_or_warnings() {
    for b in DECKS {
        let (deck, diags) = parse_deck(b.file, b.text);
        let errors = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        assert_eq!(errors, 0, "{}", b.file);
        assert!(diags.is_empty(), "{}: {:?}", b.file, diags);
        assert!(deck.is_some());
    }
}

#[test]
fn reading_decks_have_thirty_cards_of_six_kinds_and_the_course_deck_twenty_five() {
    let decks = decks();
    assert_eq!(decks.len(), 5, "the course deck and one deck per reading");
    for deck in &decks {
        let kinds: BTreeSet<&str> = deck.cards.iter().map(|c| c.body.kind()).collect();
        if deck.id == "course-nato-russia" {
            assert!(deck.cards.len() >= 25, "{}: {}", deck.id, deck.cards.len());
        } else {
            assert!(deck.cards.len() >= 30, "{}: {}", deck.id, deck.cards.len());
            assert!(kinds.len() >= 6, "{}: only {kinds:?}", deck.id);
            let source = deck
                .source
                .as_ref()
                .expect("reading decks cite their reading");
            assert!(source.author.is_some(), "{}: author", deck.id);
            assert!(source.outlet.is_some(), "{}: outlet", deck.id);
            assert!(source.published.is_some(), "{}: date", deck.id);
        }
    }
}

#[test]
fn every_card_explains_itself_and_names_its_source_paragraph() {
    let ids: BTreeSet<String> = decks().iter().map(|d| d.id.clone()).collect();
    for deck in decks() {
        for card in &deck.cards {
            let what = format!("{}/{}", deck.id, card.id);
            assert!(
                card.explain.as_deref().is_some_and(|e| e.len() > 20),
                "{what}: explain"
            );
            assert!(!card.source.is_empty(), "{what}: source");
            for s in &card.source {
                assert!(s.paragraph.is_some_and(|p| p >= 1), "{what}: paragraph");
                // The course deck cites the reading decks; a reading deck cites its own reading.
                if let Some(other) = &s.deck {
                    assert!(ids.contains(other), "{what}: cites unknown deck {other}");
                }
            }
            if deck.id == "course-nato-russia" {
                assert!(
                    card.source.iter().all(|s| s.deck.is_some()),
                    "{what}: course cards name the reading they come from"
                );
            }
        }
    }
}

#[test]
fn every_tag_is_in_the_vocabulary_with_a_label() {
    let vocabulary = vocabulary();
    assert!(vocabulary.len() > 20, "the vocabulary parses");
    let prefixes = ["actor:", "org:", "event:", "concept:", "theme:"];
    for (tag, label) in &vocabulary {
        assert!(
            prefixes.iter().any(|p| tag.starts_with(p)),
            "vocabulary tag {tag} has no known prefix"
        );
        assert!(!label.trim().is_empty(), "{tag} has no label");
    }
    let mut used = BTreeSet::new();
    for deck in decks() {
        for card in &deck.cards {
            assert!(!card.tags.is_empty(), "{}/{}: no tags", deck.id, card.id);
            for tag in card.tags.iter().chain(&deck.tags) {
                assert!(
                    vocabulary.contains_key(tag),
                    "{}/{}: tag {tag} is not in decks/vocabulary/tags.toml",
                    deck.id,
                    card.id
                );
                used.insert(tag.clone());
            }
        }
    }
    let unused: Vec<_> = vocabulary.keys().filter(|t| !used.contains(*t)).collect();
    assert!(
        unused.is_empty(),
        "vocabulary tags no card uses: {unused:?}"
    );
}

#[test]
fn typed_answers_accept_their_listed_forms_and_refuse_their_rejects() {
    let mut checked = 0;
    for deck in decks() {
        let lexicon = Lexicon::for_deck(&deck);
        for card in &deck.cards {
            let what = format!("{}/{}", deck.id, card.id);
            let (blanks, reject): (Vec<Vec<String>>, &[String]) = match &card.body {
                Body::Text { answers, reject } => (vec![answers.clone()], reject),
                Body::Cloze { reject } => (
                    cloze_blanks(&card.prompt)
                        .into_iter()
                        .map(|b| b.answers)
                        .collect(),
                    reject,
                ),
                _ => continue,
            };
            for answers in &blanks {
                assert!(!answers.is_empty(), "{what}: a blank without an answer");
                for form in answers {
                    let v = lexicon.check(form, answers, reject);
                    assert!(v.correct, "{what}: listed form {form:?} is refused");
                    checked += 1;
                }
                for near in reject {
                    let v = lexicon.check(near, answers, reject);
                    assert!(!v.correct, "{what}: reject entry {near:?} is accepted");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} forms checked");
}

#[test]
fn choice_answers_are_among_their_choices_and_distractors_differ() {
    for deck in decks() {
        for card in &deck.cards {
            let what = format!("{}/{}", deck.id, card.id);
            if let Body::Choice { choices, answer } = &card.body {
                assert!(choices.len() >= 3, "{what}: too few choices");
                assert!(choices.contains(answer), "{what}");
                let distinct: BTreeSet<String> = choices
                    .iter()
                    .map(|c| detente::grade::normalize(c))
                    .collect();
                assert_eq!(distinct.len(), choices.len(), "{what}: duplicate choices");
            }
        }
    }
}

/// Themes go on the cards they describe: across the built-in decks no theme covers more than 40 % of the cards,
/// and no deck carries a theme among its own tags.
#[test]
fn no_theme_covers_more_than_two_fifths_of_the_builtin_cards() {
    let decks = decks();
    let cards: Vec<_> = decks.iter().flat_map(|d| &d.cards).collect();
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for card in &cards {
        let themes: BTreeSet<&str> = card
            .tags
            .iter()
            .map(String::as_str)
            .filter(|t| t.starts_with("theme:"))
            .collect();
        for t in themes {
            *counts.entry(t).or_default() += 1;
        }
    }
    assert!(counts.len() >= 5, "{counts:?}");
    for (theme, n) in &counts {
        assert!(
            *n * 5 <= cards.len() * 2,
            "{theme} on {n} of {} cards",
            cards.len()
        );
    }
    for deck in &decks {
        assert!(
            deck.tags.iter().all(|t| !t.starts_with("theme:")),
            "{}: {:?}",
            deck.id,
            deck.tags
        );
    }
}
