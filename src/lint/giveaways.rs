//! Item-writing rules on habits a deck teaches by accident: true/false answers that lean one way
//! (`truefalse-lean`), explanations that point at a shuffled option by its position (`option-position`), an
//! answer printed in the deck title the header shows above every card (`answer-in-title`), and absolute words that
//! mark a wrong choice or a false statement (`absolute-words`).

use super::path::answer_forms;
use super::rules::Found;
use crate::deck::{Body, Code, Deck, normalize};

/// A deck with at least this many true/false cards ...
const LEAN_MIN: usize = 6;
/// ... whose more common answer is more than this share of them leans: answering it always scores that much.
const LEAN_SHARE: f64 = 0.65;

/// The four rules over one deck, before any `allow`.
pub(super) fn giveaways(deck: &Deck) -> Vec<Found> {
    let mut found = Vec::new();
    let tf: Vec<(usize, bool)> = deck
        .cards
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c.body {
            Body::Truefalse { answer } => Some((i, answer)),
            _ => None,
        })
        .collect();
    let trues = tf.iter().filter(|(_, a)| *a).count();
    let falses = tf.len() - trues;
    if tf.len() >= LEAN_MIN && trues.max(falses) as f64 > LEAN_SHARE * tf.len() as f64 {
        let (more, word) = if trues > falses {
            (trues, "true")
        } else {
            (falses, "false")
        };
        found.push(Found {
            card: tf[0].0,
            field: "answer",
            code: Code::TruefalseLean,
            message: format!(
                "{more} of the deck's {} true/false cards are {word}: answering \"{word}\" always scores {}% \
                 (reported at its first true/false card)",
                tf.len(),
                (100 * more) / tf.len()
            ),
        });
    }
    let title = format!(" {} ", normalize(&deck.title));
    for (i, card) in deck.cards.iter().enumerate() {
        if matches!(card.body, Body::Choice { .. } | Body::Multi { .. })
            && let Some(explain) = &card.explain
            && let Some(words) = position_words(explain)
        {
            found.push(Found {
                card: i,
                field: "explain",
                code: Code::OptionPosition,
                message: format!(
                    "the explanation refers to an option by its position (\"{words}\"), but choices are shown \
                     shuffled"
                ),
            });
        }
        if let Some((field, word)) = absolute_cue(&card.body, &card.prompt) {
            found.push(Found {
                card: i,
                field,
                code: Code::AbsoluteWords,
                message: if field == "prompt" {
                    format!(
                        "the false statement says \"{word}\": an absolute gives a false statement away"
                    )
                } else {
                    format!(
                        "a wrong choice says \"{word}\" and no right one has such a word: absolutes mark wrong options"
                    )
                },
            });
        }
        let in_title = (0..card.siblings())
            .flat_map(|s| answer_forms(card, s))
            .find(|(form, _)| title.contains(&format!(" {form} ")));
        if let Some((_, written)) = in_title {
            found.push(Found {
                card: i,
                field: "prompt",
                code: Code::AnswerInTitle,
                message: format!(
                    "the answer \"{written}\" is in the deck title \"{}\", shown above the card",
                    deck.title
                ),
            });
        }
    }
    found
}

const ORDINALS: [&str; 9] = [
    "first", "second", "third", "fourth", "fifth", "sixth", "last", "top", "bottom",
];
const OPTION_WORDS: [&str; 4] = ["option", "choice", "answer", "alternative"];

/// Words that claim without exception: a wrong choice or a false statement that has one is ruled out by a
/// test-wise learner without knowing the reading.
const ABSOLUTES: [&str; 16] = [
    "always",
    "never",
    "only",
    "every",
    "everyone",
    "everything",
    "nothing",
    "nobody",
    "entirely",
    "completely",
    "totally",
    "automatically",
    "solely",
    "invariably",
    "wholly",
    "exclusively",
];

/// The first absolute word of a text, as written (lowercase).
fn absolute_in(text: &str) -> Option<&'static str> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(str::to_lowercase)
        .collect();
    ABSOLUTES
        .iter()
        .find(|a| words.iter().any(|w| w == *a))
        .copied()
}

/// An absolute word that gives a card away: in a `false` true/false statement (field `prompt`), or in a wrong
/// choice of a `choice` or `multi` card whose right choices have none (field `choices`).
fn absolute_cue(body: &Body, prompt: &str) -> Option<(&'static str, &'static str)> {
    match body {
        Body::Truefalse { answer: false } => absolute_in(prompt).map(|w| ("prompt", w)),
        Body::Choice { choices, answer } => {
            if absolute_in(answer).is_some() {
                return None;
            }
            choices
                .iter()
                .filter(|c| *c != answer)
                .find_map(|c| absolute_in(c))
                .map(|w| ("choices", w))
        }
        Body::Multi { choices, answers } => {
            if answers.iter().any(|a| absolute_in(a).is_some()) {
                return None;
            }
            choices
                .iter()
                .filter(|c| !answers.contains(c))
                .find_map(|c| absolute_in(c))
                .map(|w| ("choices", w))
        }
        _ => None,
    }
}

/// The words by which an explanation points at an option's position: "the second option", "the last choice",
/// "option b", "choice 3".
fn position_words(explain: &str) -> Option<String> {
    let words: Vec<String> = explain
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect();
    for pair in words.windows(2) {
        let (a, b) = (pair[0].as_str(), pair[1].as_str());
        let b_singular = b.trim_end_matches('s');
        if ORDINALS.contains(&a) && OPTION_WORDS.contains(&b_singular) {
            return Some(format!("{a} {b}"));
        }
        // "option b", "choice 3"; not "a" ("an option a learner..." is no position).
        let label = ["b", "c", "d", "1", "2", "3", "4", "5"].contains(&b);
        if (a == "option" || a == "choice") && label {
            return Some(format!("{a} {b}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::position_words;

    /// Attack: the phrasings of `sherr-byline` and its kin are caught; an ordinal about something else is not.
    #[test]
    fn positions_are_found_and_other_ordinals_are_not() {
        assert_eq!(
            position_words("The second option is made up.").as_deref(),
            Some("second option")
        );
        assert_eq!(
            position_words("Option B is the reading's.").as_deref(),
            Some("option b")
        );
        assert_eq!(position_words("The first summit was in 2002."), None);
        assert_eq!(position_words("Not an option at all for Moscow."), None);
    }
}
