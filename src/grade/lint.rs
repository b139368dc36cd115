//! Author warnings that need answer checking to see: choices a learner cannot tell apart, typed answers one typo
//! away from another card's answer, and cards asking the same question twice. `deck check` and `deck import` add
//! them to the parser's diagnostics.

use super::{normalize, tolerance};
use crate::deck::parse::Lines;
use crate::deck::{Body, Deck, Diagnostic, Severity, cloze_blanks};
use std::collections::HashMap;

/// The cross-card warnings for a deck parsed from `src`, located at each card's `id` line.
pub fn lint(file: &str, src: &str, deck: &Deck) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let text = Lines::new(src);
    let lines = id_lines(src);
    let at = |id: &str| lines.get(id).copied().unwrap_or((1, 1));
    let mut warn = |id: &str, message: String| {
        let (line, column) = at(id);
        out.push(Diagnostic::new(
            file,
            text.text(line),
            line,
            column,
            Severity::Warning,
            message,
        ));
    };

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
    out.sort_by(|a, b| (a.line, a.column, &a.message).cmp(&(b.line, b.column, &b.message)));
    out
}

/// The line and column of each card's `id = "..."`.
fn id_lines(src: &str) -> HashMap<String, (usize, usize)> {
    let mut found = HashMap::new();
    let mut in_card = false;
    for (n, line) in src.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("[[card]]") {
            in_card = true;
        } else if in_card
            && let Some(rest) = t.strip_prefix("id")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            let id = value.trim().trim_matches(|c| c == '"' || c == '\'');
            found
                .entry(id.to_string())
                .or_insert((n + 1, line.len() - t.len() + 1));
            in_card = false;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
