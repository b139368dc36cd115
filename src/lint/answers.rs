//! The warnings that rest on answer checking: choices a learner cannot tell apart once normalized, cards asking the
//! same question twice, and typed answers one typo from another card's answer (a slip would be accepted for it).

use crate::deck::{Body, Code, Deck, cloze_blanks, normalize};
use crate::grade::tolerance;
use std::collections::{HashMap, HashSet};

/// One answer-checking warning: the id of the card it is about, its code and its message.
pub(super) type Warning<'d> = (&'d str, Code, String);

/// Every answer-checking warning of a deck.
pub(super) fn answer_warnings(deck: &Deck) -> Vec<Warning<'_>> {
    let mut out = indistinguishable(deck);
    out.extend(typo_neighbours(deck));
    out
}

/// Choices of one card that normalize to the same text, and cards whose prompts do.
fn indistinguishable(deck: &Deck) -> Vec<Warning<'_>> {
    let mut out = Vec::new();
    let mut prompts: HashMap<String, &str> = HashMap::new();
    for card in &deck.cards {
        if let Body::Choice { choices, .. } | Body::Multi { choices, .. } = &card.body {
            let mut seen: HashMap<String, &str> = HashMap::new();
            for c in choices {
                if let Some(first) = seen.insert(normalize(c), c) {
                    out.push((
                        card.id.as_str(),
                        Code::LookAlikeChoices,
                        format!("choices \"{first}\" and \"{c}\" normalize to the same text"),
                    ));
                }
            }
        }
        let prompt = normalize(&card.prompt);
        match prompts.get(&prompt) {
            Some(first) => out.push((
                card.id.as_str(),
                Code::SamePrompt,
                format!("card `{}` has the same prompt as card `{first}`", card.id),
            )),
            None => {
                prompts.insert(prompt, &card.id);
            }
        }
    }
    out
}

/// Typed answers (of `text` and `cloze` cards) one typo from another card's typed answer that the card does not
/// already accept or reject.
fn typo_neighbours(deck: &Deck) -> Vec<Warning<'_>> {
    let mut out = Vec::new();
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
    let mut warned = HashSet::new();
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
                    out.push((
                        *id,
                        Code::TypoNeighbour,
                        format!(
                            "answer \"{mine}\" is one typo from card `{other}`'s answer \"{t}\": a slip would also accept it; add \"{t}\" to `reject` to keep them apart"
                        ),
                    ));
                }
            }
        }
    }
    out
}
