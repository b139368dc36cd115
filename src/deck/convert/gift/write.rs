//! The GIFT writer: a deck written as Moodle's exporter writes GIFT, every card as at least one question, with
//! Moodle's escapes and answer-block layout.

use super::{Extras, FORMATS};
use crate::deck::convert::{DeckExtras, Warning, Written};
use crate::deck::{Body, Card, Deck, cloze_blanks};
use crate::text::plain_number;
use std::io::Write;

/// Writes a deck as Moodle's exporter writes GIFT. Every card becomes at least one question: a cloze card one
/// missing-word question per blank (named `<id>-blank-<n>` when it has several), a flashcard a short-answer question
/// when its back is short enough to type (at most [`SHORT_BACK`] characters on one line) and otherwise a description
/// that shows the back, an order card a matching question from each position (`1`, `2`, ...) to its item. A card
/// GIFT cannot hold whole is left out or written in part, with a warning (line 0) naming it and saying why.
pub fn write(deck: &Deck, out: &mut dyn Write) -> std::io::Result<Written> {
    let category = format!(
        "$course$/top/{}",
        deck.title.replace(['\r', '\n'], " ").replace('/', "//")
    );
    // The deck's fields besides its title (which is the category) travel in a comment line.
    let deck_json = serde_json::to_string(&DeckExtras::of(deck)).map_err(std::io::Error::other)?;
    write!(
        out,
        "// detente deck: {deck_json}\n// question: 0  name: switch category to {category}\n$CATEGORY: {category}\n\n"
    )?;
    let mut written = Written::default();
    for card in &deck.cards {
        let questions = match gift_questions(card) {
            Ok(questions) => questions,
            Err(why) => {
                written
                    .warnings
                    .push(Warning::card(card, &format!(" left out: {why}")));
                continue;
            }
        };
        written.cards += 1;
        let mut extras = Extras::default();
        let described = matches!(&card.body, Body::Flashcard { answer, .. } if !typed(answer));
        if described || questions.len() > 1 {
            extras.card = Some(Box::new(card.clone()));
        } else {
            extras.source = card.source.clone();
            extras.allow = card.allow.clone();
            extras.hint = card.hint.clone();
            if let Body::Flashcard { reverse, .. } = card.body {
                extras.flashcard = Some(reverse);
            }
        }
        if card.hint.is_some() {
            written.warnings.push(Warning::card(
                card,
                ": its hint is not written: GIFT has no hints (it is kept for detente in a comment)",
            ));
        }
        if described {
            written.warnings.push(Warning::card(
                card,
                &format!(
                    ": Moodle gets an ungraded description showing the back (a back over {SHORT_BACK} characters \
                     or on several lines cannot be typed); the card is kept whole for detente in a comment"
                ),
            ));
        }
        if matches!(card.body, Body::Flashcard { reverse: true, .. }) {
            written.warnings.push(Warning::card(
                card,
                ": Moodle asks it front to back only; its reverse side is kept for detente in a comment",
            ));
        }
        if questions.len() > 1 {
            written.warnings.push(Warning::card(
                card,
                &format!(
                    ": Moodle gets one question per blank ({} questions); the card is kept whole for detente \
                     in a comment",
                    questions.len()
                ),
            ));
        }
        if !extras.is_empty() {
            let json = serde_json::to_string(&extras).map_err(std::io::Error::other)?;
            writeln!(out, "// detente: {json}")?;
        }
        let tags: String = card
            .tags
            .iter()
            .map(|t| format!(" [tag:{}]", t.replace(']', "\\]")))
            .collect();
        for (id, text) in questions {
            written.items += 1;
            write!(
                out,
                "// question: {n}  name: {id}\n// [id:{bracketed}]{tags}\n::{name}::{text}\n\n",
                n = written.items,
                bracketed = id.replace(']', "\\]"),
                name = escape(&id),
            )?;
        }
    }
    Ok(written)
}

/// The longest flashcard back written as a short-answer question; a longer one becomes a description.
pub const SHORT_BACK: usize = 40;

/// A card's questions in GIFT (its id or a sibling's, and the question text with its answer block), or why GIFT
/// cannot hold the card.
fn gift_questions(card: &Card) -> Result<Vec<(String, String)>, String> {
    let prompt = text(&card.prompt);
    let explain = card
        .explain
        .as_deref()
        .map(|e| format!("####{}", text(e)))
        .unwrap_or_default();
    // Moodle writes the answers of choice and matching questions one to a tab-indented line.
    let lines = |answers: Vec<String>| {
        let mut block = String::from("{\n");
        for line in answers
            .iter()
            .chain(Some(&explain).filter(|e| !e.is_empty()))
        {
            block.push('\t');
            block.push_str(line);
            block.push('\n');
        }
        block.push('}');
        format!("{prompt}{block}")
    };
    let one = |text: String| Ok(vec![(card.id.clone(), text)]);
    match &card.body {
        Body::Choice { choices, answer } => one(lines(
            choices
                .iter()
                .map(|c| match c {
                    c if c == answer => format!("={}", text(c)),
                    c if c.starts_with('%') => format!("~%0%{}", text(c)),
                    c => format!("~{}", text(c)),
                })
                .collect(),
        )),
        Body::Multi { choices, answers } => {
            // Every weight must be one of Moodle's grade fractions: the right choices share 100 %, the wrong -100 %.
            let right = fraction(100.0 / answers.len().max(1) as f64);
            let wrong = fraction(100.0 / choices.len().saturating_sub(answers.len()).max(1) as f64);
            one(lines(
                choices
                    .iter()
                    .map(|c| match answers.contains(c) {
                        true => format!("~%{right}%{}", text(c)),
                        false => format!("~%-{wrong}%{}", text(c)),
                    })
                    .collect(),
            ))
        }
        Body::Truefalse { answer } => one(format!(
            "{prompt}{{{}{explain}}}",
            if *answer { "TRUE" } else { "FALSE" }
        )),
        Body::Text { answers, reject } => {
            one(format!("{prompt}{}", short(answers, reject, &explain)?))
        }
        Body::Cloze { reject } => {
            // Each blank is a missing-word short answer, its block where the blank was and the other blanks filled
            // in. A blank at the end gets an escaped newline after it (which Moodle trims away), or the question
            // would not be a missing-word one.
            let blanks = cloze_blanks(&card.prompt);
            let mut questions = Vec::new();
            for (k, blank) in blanks.iter().enumerate() {
                let mut before = String::new();
                let mut last = 0;
                for other in &blanks[..k] {
                    before.push_str(&card.prompt[last..other.range.start]);
                    before.push_str(other.answers.first().map_or("", String::as_str));
                    last = other.range.end;
                }
                before.push_str(&card.prompt[last..blank.range.start]);
                let mut after = String::new();
                let mut last = blank.range.end;
                for other in &blanks[k + 1..] {
                    after.push_str(&card.prompt[last..other.range.start]);
                    after.push_str(other.answers.first().map_or("", String::as_str));
                    last = other.range.end;
                }
                after.push_str(&card.prompt[last..]);
                let id = match blanks.len() {
                    1 => card.id.clone(),
                    _ => format!("{}-blank-{}", card.id, k + 1),
                };
                questions.push((
                    id,
                    format!(
                        "{}{}{}{}",
                        text(&before),
                        short(&blank.answers, reject, &explain)?,
                        escape(&after),
                        if after.trim().is_empty() { "\\n" } else { "" }
                    ),
                ));
            }
            Ok(questions)
        }
        Body::Number { answer, tolerance } => {
            let (answer, tolerance) = (plain_number(*answer), plain_number(*tolerance));
            one(format!("{prompt}{{#{answer}:{tolerance}{explain}}}"))
        }
        Body::Match { pairs } => {
            if let Some((left, _)) = pairs.iter().find(|(left, _)| left.contains("->")) {
                return Err(format!(
                    "the left side `{left}` holds `->`, which GIFT cannot escape"
                ));
            }
            one(lines(
                pairs
                    .iter()
                    .map(|(left, right)| format!("={} -> {}", text(left), escape(right)))
                    .collect(),
            ))
        }
        Body::Order { items } => one(lines(
            items
                .iter()
                .enumerate()
                .map(|(k, item)| format!("={} -> {}", k + 1, escape(item)))
                .collect(),
        )),
        Body::Flashcard { answer, .. } => {
            if typed(answer) {
                one(format!(
                    "{prompt}{}",
                    short(std::slice::from_ref(answer), &[], &explain)?
                ))
            } else {
                // A description has no answer block and no feedback: the back, then the explanation, in its text.
                let mut shown = format!("{}\n\n{}", card.prompt, answer);
                if let Some(e) = &card.explain {
                    shown.push_str("\n\n");
                    shown.push_str(e);
                }
                one(text(&shown))
            }
        }
    }
}

/// Whether a flashcard's back is written as a short answer (short enough to type, on one line, and without the `->`
/// GIFT would read as matching); otherwise the card is a description.
fn typed(answer: &str) -> bool {
    answer.chars().count() <= SHORT_BACK && !answer.contains('\n') && !answer.contains("->")
}

/// A short-answer block: the accepted answers, the rejected ones at 0 %, then the general feedback.
fn short(answers: &[String], reject: &[String], explain: &str) -> Result<String, String> {
    if let Some(a) = answers.iter().chain(reject).find(|a| a.contains("->")) {
        return Err(format!(
            "the answer `{a}` holds `->`, which GIFT would read as a matching question"
        ));
    }
    let mut parts: Vec<String> = answers
        .iter()
        .map(|a| match a.starts_with('%') {
            true => format!("=%100%{}", text(a)),
            false => format!("={}", text(a)),
        })
        .collect();
    parts.extend(reject.iter().map(|r| format!("=%0%{}", text(r))));
    if !explain.is_empty() {
        parts.push(explain.to_string());
    }
    Ok(format!("{{{}}}", parts.join(" ")))
}

/// The grade fraction Moodle accepts nearest to `percent` (for 100/n: 100, 50, 33.33333, 25, ...).
pub(crate) fn fraction(percent: f64) -> &'static str {
    const FRACTIONS: [&str; 20] = [
        "100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333", "30",
        "25", "20", "16.66667", "14.28571", "12.5", "11.11111", "10", "5",
    ];
    let distance = |f: &&str| (f.parse::<f64>().unwrap_or(0.0) - percent).abs();
    FRACTIONS
        .iter()
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
        .copied()
        .unwrap_or("100")
}

/// A text as Moodle's exporter writes it, with `[moodle]` before a text that itself starts with a format tag so that
/// the reader keeps that tag.
fn text(s: &str) -> String {
    let escaped = escape(s);
    if FORMATS
        .iter()
        .any(|(tag, _)| s.trim_start().starts_with(tag))
    {
        format!("[moodle]{escaped}")
    } else {
        escaped
    }
}

/// Moodle's `repchar`: `\ # = ~ { } :` escaped with a backslash, newlines as `\n`, carriage returns dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '#' | '=' | '~' | '{' | '}' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}
