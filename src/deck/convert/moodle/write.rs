//! The Moodle XML writer: a deck as Moodle's exporter lays out a question bank, every card as the question type that
//! holds it, and what Moodle has no field for in `detente` comments the reader reads back.

use super::{Extras, cloze, default_penalty};
use crate::deck::convert::gift::fraction;
use crate::deck::convert::{DeckExtras, Warning, Written};
use crate::deck::{Body, Card, Deck};
use crate::text::plain_number;
use std::io::Write;

/// `s` escaped for XML text or a double-quoted attribute.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// A value as JSON fit for an XML comment: no `--` can appear (every `-` is written `\u002d`, which only strings
/// hold here).
fn comment_json(value: &impl serde::Serialize) -> std::io::Result<String> {
    let json = serde_json::to_string(value).map_err(std::io::Error::other)?;
    Ok(json.replace('-', "\\u002d"))
}

/// A text field: `<name format="plain_text"><text>...</text></name>`.
fn field(out: &mut String, indent: &str, name: &str, text: &str) {
    out.push_str(&format!(
        "{indent}<{name} format=\"plain_text\">\n{indent}  <text>{}</text>\n{indent}</{name}>\n",
        esc(text)
    ));
}

/// One `<answer>` with its fraction and text, and a `<tolerance>` for numerical ones.
fn answer(out: &mut String, fraction: &str, text: &str, tolerance: Option<f64>) {
    out.push_str(&format!(
        "    <answer fraction=\"{fraction}\" format=\"plain_text\">\n      <text>{}</text>\n",
        esc(text)
    ));
    if let Some(t) = tolerance {
        out.push_str(&format!(
            "      <tolerance>{}</tolerance>\n",
            plain_number(t)
        ));
    }
    out.push_str("      <feedback format=\"plain_text\">\n        <text></text>\n      </feedback>\n    </answer>\n");
}

/// Writes a deck as a Moodle XML question bank: the deck's category, then one question per card. Every card is
/// written; what Moodle has no field for travels in comments, and a reverse flashcard, which Moodle asks one way
/// only, is named in a warning.
pub fn write(deck: &Deck, out: &mut dyn Write) -> std::io::Result<Written> {
    let mut written = Written::default();
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n")?;
    let extras = DeckExtras::of(deck);
    out.write_all(format!("<!-- detente deck: {} -->\n", comment_json(&extras)?).as_bytes())?;
    let category = format!(
        "$course$/top/{}",
        deck.title.replace(['\r', '\n'], " ").replace('/', "//")
    );
    out.write_all(
        format!(
            "<!-- question: 0  -->\n  <question type=\"category\">\n    <category>\n      <text>{}</text>\n    \
             </category>\n  </question>\n\n",
            esc(&category)
        )
        .as_bytes(),
    )?;
    for card in &deck.cards {
        written.cards += 1;
        written.items += 1;
        let (kind, body) = question(card);
        if let Body::Flashcard { reverse: true, .. } = card.body {
            written.warnings.push(Warning::card(
                card,
                ": Moodle asks it front to back only (an essay); its reverse side is kept for detente in a comment",
            ));
        }
        let mut q = format!(
            "<!-- question: {n}  -->\n  <question type=\"{kind}\">\n",
            n = written.items
        );
        let extras = Extras {
            source: card.source.clone(),
            allow: card.allow.clone(),
            reverse: matches!(card.body, Body::Flashcard { reverse: true, .. }),
        };
        if !extras.is_empty() {
            q.push_str(&format!(
                "    <!-- detente: {} -->\n",
                comment_json(&extras)?
            ));
        }
        q.push_str(&format!(
            "    <name>\n      <text>{}</text>\n    </name>\n",
            esc(&card.id)
        ));
        let prompt = match &card.body {
            Body::Cloze { reject } => cloze::write(&card.prompt, reject),
            _ => card.prompt.clone(),
        };
        field(&mut q, "    ", "questiontext", &prompt);
        field(
            &mut q,
            "    ",
            "generalfeedback",
            card.explain.as_deref().unwrap_or(""),
        );
        q.push_str(&format!(
            "    <defaultgrade>1</defaultgrade>\n    <penalty>{}</penalty>\n    <hidden>0</hidden>\n    \
             <idnumber>{}</idnumber>\n",
            plain_number(default_penalty(kind)),
            esc(&card.id)
        ));
        q.push_str(&body);
        if let Some(hint) = &card.hint {
            field(&mut q, "    ", "hint", hint);
        }
        if !card.tags.is_empty() {
            q.push_str("    <tags>\n");
            for t in &card.tags {
                q.push_str(&format!("      <tag><text>{}</text></tag>\n", esc(t)));
            }
            q.push_str("    </tags>\n");
        }
        q.push_str("  </question>\n\n");
        out.write_all(q.as_bytes())?;
    }
    out.write_all(b"</quiz>\n")?;
    Ok(written)
}

/// A card's Moodle question type and the elements particular to it.
fn question(card: &Card) -> (&'static str, String) {
    let mut q = String::new();
    let kind = match &card.body {
        Body::Choice {
            choices,
            answer: right,
        } => {
            q.push_str("    <single>true</single>\n    <shuffleanswers>true</shuffleanswers>\n    <answernumbering>abc</answernumbering>\n");
            for c in choices {
                answer(&mut q, if c == right { "100" } else { "0" }, c, None);
            }
            "multichoice"
        }
        Body::Multi { choices, answers } => {
            // Moodle's grade fractions: the right choices share 100 %, the wrong ones -100 %.
            let right = fraction(100.0 / answers.len().max(1) as f64);
            let wrong = format!(
                "-{}",
                fraction(100.0 / choices.len().saturating_sub(answers.len()).max(1) as f64)
            );
            q.push_str("    <single>false</single>\n    <shuffleanswers>true</shuffleanswers>\n    <answernumbering>abc</answernumbering>\n");
            for c in choices {
                let f = if answers.contains(c) { right } else { &wrong };
                answer(&mut q, f, c, None);
            }
            "multichoice"
        }
        Body::Truefalse { answer: right } => {
            answer(&mut q, if *right { "100" } else { "0" }, "true", None);
            answer(&mut q, if *right { "0" } else { "100" }, "false", None);
            "truefalse"
        }
        Body::Text { answers, reject } => {
            q.push_str("    <usecase>0</usecase>\n");
            for a in answers {
                answer(&mut q, "100", a, None);
            }
            for r in reject {
                answer(&mut q, "0", r, None);
            }
            "shortanswer"
        }
        Body::Number {
            answer: value,
            tolerance,
        } => {
            answer(&mut q, "100", &plain_number(*value), Some(*tolerance));
            q.push_str("    <unitgradingtype>0</unitgradingtype>\n    <unitpenalty>0.1</unitpenalty>\n    <showunits>3</showunits>\n    <unitsleft>0</unitsleft>\n");
            "numerical"
        }
        Body::Match { pairs } => {
            q.push_str("    <shuffleanswers>true</shuffleanswers>\n");
            for (left, right) in pairs {
                q.push_str(&format!(
                    "    <subquestion format=\"plain_text\">\n      <text>{}</text>\n      <answer>\n        \
                     <text>{}</text>\n      </answer>\n    </subquestion>\n",
                    esc(left),
                    esc(right)
                ));
            }
            "matching"
        }
        Body::Order { items } => {
            q.push_str("    <layouttype>VERTICAL</layouttype>\n    <selecttype>ALL</selecttype>\n    <selectcount>0</selectcount>\n    <gradingtype>ABSOLUTE_POSITION</gradingtype>\n    <showgrading>SHOW</showgrading>\n    <numberingstyle>none</numberingstyle>\n");
            for (k, item) in items.iter().enumerate() {
                answer(&mut q, &(k + 1).to_string(), item, None);
            }
            "ordering"
        }
        Body::Cloze { .. } => "cloze",
        Body::Flashcard { answer: back, .. } => {
            q.push_str("    <responseformat>editor</responseformat>\n    <responserequired>0</responserequired>\n    <responsefieldlines>3</responsefieldlines>\n    <attachments>0</attachments>\n    <attachmentsrequired>0</attachmentsrequired>\n");
            field(&mut q, "    ", "graderinfo", back);
            field(&mut q, "    ", "responsetemplate", "");
            "essay"
        }
    };
    (kind, q)
}
