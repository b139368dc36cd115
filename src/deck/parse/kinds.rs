//! The body of each card kind from the fields of its table: one function per kind, each checking the fields that
//! kind takes (counts, emptiness, duplicates, types) and reporting every problem it finds.

use super::{Code, Ctx, parse_number};
use crate::deck::{Body, cloze_blanks};
use std::ops::Range;
use toml::Spanned;

/// A `match` card's `pairs`, each pair with its place.
pub(super) type Pairs = Spanned<Vec<Spanned<(String, String)>>>;

/// A list of strings and the place of each.
type List = Spanned<Vec<Spanned<String>>>;

/// The fields of one card that a kind may take, as written, with what the kinds need to place a problem.
pub(super) struct Fields<'p> {
    /// Where the card's table starts: a missing field is reported there.
    pub at: usize,
    pub prompt: Option<&'p Spanned<String>>,
    pub answer: Option<Spanned<toml::Value>>,
    pub answers: Option<List>,
    pub choices: Option<List>,
    pub reverse: Option<bool>,
    pub reject: Option<Vec<String>>,
    pub items: Option<List>,
    pub pairs: Option<Pairs>,
    pub tolerance: Option<Spanned<f64>>,
}

impl Fields<'_> {
    /// Where `answer` is written, or the card's start.
    fn answer_at(&self) -> usize {
        self.answer.as_ref().map_or(self.at, |a| a.span().start)
    }

    /// `answer` as non-empty text; `what` says what it should be when it is not text.
    fn answer_text(&self, ctx: &mut Ctx<'_>, what: &str) -> Option<String> {
        match self.answer.as_ref().map(|a| a.get_ref()) {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(toml::Value::String(_)) => {
                ctx.error(Code::EmptyAnswer, self.answer_at(), "`answer` is empty");
                None
            }
            Some(other) => {
                ctx.error(
                    Code::AnswerType,
                    self.answer_at(),
                    format!("`answer` must be {what}, not {}", other.type_str()),
                );
                None
            }
            None => {
                ctx.error(Code::MissingField, self.at, "missing `answer`");
                None
            }
        }
    }
}

/// The body of a card of kind `kind`; `None` (problems reported) when its fields are wrong or the kind unknown.
pub(super) fn body(ctx: &mut Ctx<'_>, kind: &str, f: Fields<'_>) -> Option<Body> {
    match kind {
        "flashcard" => flashcard(ctx, f),
        "choice" => choice(ctx, f),
        "multi" => multi(ctx, f),
        "truefalse" => truefalse(ctx, f),
        "text" => text(ctx, f),
        "cloze" => cloze(ctx, f),
        "order" => order(ctx, f),
        "match" => match_pairs(ctx, f),
        "number" => number(ctx, f),
        _ => None,
    }
}

fn flashcard(ctx: &mut Ctx<'_>, f: Fields<'_>) -> Option<Body> {
    f.answer_text(ctx, "the text of the back")
        .map(|answer| Body::Flashcard {
            answer,
            reverse: f.reverse.unwrap_or(false),
        })
}

fn choice(ctx: &mut Ctx<'_>, mut f: Fields<'_>) -> Option<Body> {
    let choices = string_list(ctx, f.choices.take(), f.at, "choices", 2..13);
    let answer = f.answer_text(ctx, "one of the choices");
    let (choices, answer) = choices.zip(answer)?;
    if choices.contains(&answer) {
        Some(Body::Choice { choices, answer })
    } else {
        ctx.error(
            Code::AnswerNotAChoice,
            f.answer_at(),
            format!("answer \"{answer}\" is not one of the choices"),
        );
        None
    }
}

fn multi(ctx: &mut Ctx<'_>, f: Fields<'_>) -> Option<Body> {
    let answers_at = f.answers.as_ref().map_or(f.at, |a| a.span().start);
    let choices = string_list(ctx, f.choices, f.at, "choices", 2..13);
    let answers = string_list(ctx, f.answers, f.at, "answers", 1..9);
    let (choices, answers) = choices.zip(answers)?;
    let missing: Vec<_> = answers.iter().filter(|a| !choices.contains(a)).collect();
    if missing.is_empty() {
        return Some(Body::Multi { choices, answers });
    }
    for m in missing {
        ctx.error(
            Code::AnswerNotAChoice,
            answers_at,
            format!("answer \"{m}\" is not one of the choices"),
        );
    }
    None
}

fn truefalse(ctx: &mut Ctx<'_>, f: Fields<'_>) -> Option<Body> {
    match f.answer.as_ref().map(|a| a.get_ref()) {
        Some(toml::Value::Boolean(b)) => Some(Body::Truefalse { answer: *b }),
        Some(other) => {
            ctx.error(
                Code::AnswerType,
                f.answer_at(),
                format!("`answer` must be true or false, not {}", other.type_str()),
            );
            None
        }
        None => {
            ctx.error(Code::MissingField, f.at, "missing `answer` (true or false)");
            None
        }
    }
}

fn text(ctx: &mut Ctx<'_>, f: Fields<'_>) -> Option<Body> {
    string_list(ctx, f.answers, f.at, "answers", 1..65).map(|answers| Body::Text {
        answers,
        reject: clean(f.reject),
    })
}

fn cloze(ctx: &mut Ctx<'_>, f: Fields<'_>) -> Option<Body> {
    let p_at = f.prompt.map_or(f.at, |p| p.span().start);
    let prompt = f.prompt.map_or("", |p| p.get_ref().as_str());
    let opens = prompt.matches("{{").count();
    let blanks = cloze_blanks(prompt);
    if opens != blanks.len() || prompt.matches("}}").count() != blanks.len() {
        ctx.error(
            Code::ClozeUnclosed,
            p_at,
            "a blank in the cloze prompt is not closed: write {{answer}}",
        );
        None
    } else if blanks.is_empty() {
        ctx.error(
            Code::ClozeNoBlank,
            p_at,
            "a cloze prompt needs at least one blank, written {{answer}}",
        );
        None
    } else if blanks.iter().any(|b| b.answers.is_empty()) {
        ctx.error(
            Code::ClozeEmptyBlank,
            p_at,
            "a cloze blank is empty: write {{answer}} or {{answer|alternative}}",
        );
        None
    } else {
        Some(Body::Cloze {
            reject: clean(f.reject),
        })
    }
}

fn order(ctx: &mut Ctx<'_>, f: Fields<'_>) -> Option<Body> {
    string_list(ctx, f.items, f.at, "items", 3..9).map(|items| Body::Order { items })
}

/// A `match` card (`match` being a keyword of Rust).
fn match_pairs(ctx: &mut Ctx<'_>, f: Fields<'_>) -> Option<Body> {
    let Some(pairs) = f.pairs else {
        ctx.error(Code::MissingField, f.at, "missing `pairs`");
        return None;
    };
    let span = pairs.span().start;
    let pairs = pairs.into_inner();
    let mut ok = true;
    if !(2..13).contains(&pairs.len()) {
        ctx.error(
            Code::ListSize,
            span,
            format!("`pairs` needs 2 to 12 pairs, not {}", pairs.len()),
        );
        ok = false;
    }
    let (mut lefts, mut rights) = (Vec::new(), Vec::new());
    for p in &pairs {
        let (l, r) = p.get_ref();
        let (l, r) = (l.trim(), r.trim());
        if l.is_empty() || r.is_empty() {
            ctx.error(Code::EmptyPairSide, p.span().start, "empty side in a pair");
            ok = false;
        } else if lefts.contains(&l) || rights.contains(&r) {
            ctx.error(
                Code::DuplicatePairSide,
                p.span().start,
                format!("duplicate side in pair [\"{l}\", \"{r}\"]"),
            );
            ok = false;
        }
        lefts.push(l);
        rights.push(r);
    }
    ok.then(|| Body::Match {
        pairs: pairs
            .into_iter()
            .map(|p| {
                let (l, r) = p.into_inner();
                (l.trim().to_string(), r.trim().to_string())
            })
            .collect(),
    })
}

fn number(ctx: &mut Ctx<'_>, f: Fields<'_>) -> Option<Body> {
    let answer = match f.answer.as_ref().map(|a| a.get_ref()) {
        Some(toml::Value::Integer(i)) => Some(*i as f64),
        Some(toml::Value::Float(x)) if x.is_finite() => Some(*x),
        Some(toml::Value::String(s)) => {
            let n = parse_number(s);
            if n.is_none() {
                ctx.error(
                    Code::NotANumber,
                    f.answer_at(),
                    format!("answer \"{s}\" is not a number"),
                );
            }
            n
        }
        Some(other) => {
            ctx.error(
                Code::AnswerType,
                f.answer_at(),
                format!("`answer` must be a number, not {}", other.type_str()),
            );
            None
        }
        None => {
            ctx.error(Code::MissingField, f.at, "missing `answer` (a number)");
            None
        }
    };
    let tolerance = match f.tolerance {
        Some(t) if !(t.get_ref().is_finite() && *t.get_ref() >= 0.0) => {
            ctx.error(
                Code::BadTolerance,
                t.span().start,
                "`tolerance` must be zero or more",
            );
            None
        }
        Some(t) => Some(t.into_inner()),
        None => Some(0.0),
    };
    answer
        .zip(tolerance)
        .map(|(answer, tolerance)| Body::Number { answer, tolerance })
}

/// A list of strings, with its span, checked for count, emptiness and duplicates.
fn string_list(
    ctx: &mut Ctx<'_>,
    list: Option<List>,
    at: usize,
    field: &str,
    count: Range<usize>,
) -> Option<Vec<String>> {
    let Some(list) = list else {
        ctx.error(Code::MissingField, at, format!("missing `{field}`"));
        return None;
    };
    let span = list.span().start;
    let items = list.into_inner();
    let mut ok = true;
    if !count.contains(&items.len()) {
        ctx.error(
            Code::ListSize,
            span,
            format!(
                "`{field}` needs {} to {} entries, not {}",
                count.start,
                count.end - 1,
                items.len()
            ),
        );
        ok = false;
    }
    let mut seen = Vec::new();
    for item in &items {
        let s = item.get_ref().trim();
        if s.is_empty() {
            ctx.error(
                Code::EmptyEntry,
                item.span().start,
                format!("empty entry in `{field}`"),
            );
            ok = false;
        } else if seen.contains(&s) {
            ctx.error(
                Code::DuplicateEntry,
                item.span().start,
                format!("duplicate entry \"{s}\" in `{field}`"),
            );
            ok = false;
        }
        seen.push(s);
    }
    ok.then(|| {
        items
            .into_iter()
            .map(|s| s.into_inner().trim().to_string())
            .collect()
    })
}

/// A `reject` list without blank entries, each trimmed.
fn clean(list: Option<Vec<String>>) -> Vec<String> {
    list.unwrap_or_default()
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}
