//! The answer blocks of GIFT's question types, each read with Moodle's semantics: numerical (`{#..}`), multiple
//! choice (`{~..=..}`), matching (`{=a -> b}`), true/false (`{T}`) and short answer (`{=..}`), each answer with its
//! `%weight%` and `#feedback`.

use super::symbols::{Piece, Sym, arrow, find, pieces, split_n, string, trim};
use super::{Format, formatted};
use crate::deck::Body;
use crate::deck::convert::ConvertError;

/// A card and the feedback to use as its explanation when the question has no general feedback.
pub(super) type Parsed = Option<(Body, Option<String>)>;

/// One answer: its weight in percent, its text and its feedback.
struct Answer {
    weight: f64,
    text: String,
    feedback: String,
}

/// Reads an answer, with a `%weight%` if `weighted` (else `weight` is its weight) and a `#feedback`.
fn answer(
    piece: &Piece<'_>,
    weight: f64,
    weighted: bool,
    format: Format,
) -> Result<Answer, ConvertError> {
    let mut s = piece.syms;
    let mut weight = weight;
    if weighted
        && s.first().is_some_and(|x| x.is('%'))
        && let Some(end) = (1..s.len()).find(|&i| s[i].is('%'))
    {
        let w = string(&s[1..end]);
        weight = w
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|w| w.abs() <= 100.0)
            .ok_or_else(|| {
                s[0].error(format!(
                    "invalid weight `%{w}%`: write a percentage from -100 to 100, such as %50%"
                ))
            })?;
        s = trim(&s[end + 1..]);
    }
    let (text, feedback) = match find(s, '#') {
        Some(h) => (&s[..h], &s[h + 1..]),
        None => (s, &s[s.len()..]),
    };
    Ok(Answer {
        weight,
        text: formatted(&string(text), format).0,
        feedback: formatted(&string(feedback), format).0,
    })
}

/// `{#1945}`, `{#3.1415:0.0005}`, `{#3.141..3.142}`, `{#=1822:0 =%50%1822:2 ~#feedback}`: the 100 % answer.
pub(super) fn numerical(
    block: &[Sym],
    format: Format,
    notes: &mut Vec<String>,
) -> Result<Parsed, ConvertError> {
    let mut s = &block[1..];
    // Moodle's catch-all `~#feedback` (any other answer): its feedback is kept in the explanation.
    let mut catch_all = None;
    if let Some(wrong) = find(s, '~') {
        let rest = trim(&s[wrong + 1..]);
        let feedback = match find(rest, '#') {
            Some(h) => formatted(&string(&rest[h + 1..]), format).0,
            None => String::new(),
        };
        let text = formatted(
            &string(&rest[..find(rest, '#').unwrap_or(rest.len())]),
            format,
        )
        .0;
        if !text.is_empty() {
            notes.push(format!(
                "the `~{text}` answer of a numerical question left out: Moodle's `~` takes only feedback for any \
                 other answer"
            ));
        }
        catch_all = Some(feedback).filter(|f| !f.is_empty());
        s = &s[..wrong];
    }
    let pieces = pieces(s, &['=']);
    if pieces.is_empty() {
        return Err(block[0].error("a numerical question needs a number after `#`"));
    }
    let mut best = None;
    let mut partial = Vec::new();
    let mut wrong = Vec::new();
    let mut feedback = Vec::new();
    for piece in &pieces {
        let a = answer(piece, 100.0, true, format)?;
        let (value, tolerance) = number(&a.text)
            .ok_or_else(|| piece.at.error(format!("`{}` is not a number", a.text)))?;
        if a.weight >= 100.0 && best.is_none() {
            best = Some((value, tolerance, a.feedback));
        } else {
            if !a.feedback.is_empty() {
                feedback.push(format!("If you answered {}: {}", a.text, a.feedback));
            }
            match a.weight > 0.0 {
                true => partial.push(format!("`{}` ({}%)", a.text, a.weight)),
                false => wrong.push(format!("`{}` ({}%)", a.text, a.weight)),
            }
        }
    }
    if !partial.is_empty() {
        notes.push(format!(
            "{} partial-credit alternative(s) dropped: {}: detente keeps the 100% answer{}",
            partial.len(),
            partial.join(", "),
            if feedback.is_empty() {
                ""
            } else {
                "; their feedback is kept in the explanation"
            }
        ));
    }
    if !wrong.is_empty() {
        notes.push(format!(
            "{} wrong answer(s) of a numerical question left out: {}: a number card takes one right answer{}",
            wrong.len(),
            wrong.join(", "),
            if feedback.is_empty() { "" } else { "; their feedback is kept in the explanation" }
        ));
    }
    let Some((answer, tolerance, right)) = best else {
        notes.push("question skipped: no numerical answer is worth 100%".into());
        return Ok(None);
    };
    let explain = Some(right)
        .into_iter()
        .chain(feedback)
        .chain(catch_all.map(|f| format!("For any other answer: {f}")))
        .filter(|f| !f.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Some((Body::Number { answer, tolerance }, Some(explain))))
}

/// A numerical answer `x`, `x:tolerance` or `min..max` as its value and tolerance. A range keeps the decimals it
/// was written with: `3.141..3.142` is 3.1415 with tolerance 0.0005, never 3.1414999999999997.
fn number(text: &str) -> Option<(f64, f64)> {
    let num = |s: &str| s.trim().parse::<f64>().ok().filter(|n| n.is_finite());
    if let Some(k) = text.find("..").filter(|&k| k > 0) {
        let (min, max) = (num(&text[..k])?, num(&text[k + 2..])?);
        // Half of a number with d decimals has at most d + 1.
        let places = decimals(&text[..k]).max(decimals(&text[k + 2..])) + 1;
        Some((
            round_to((min + max) / 2.0, places),
            round_to(((max - min) / 2.0).abs(), places),
        ))
    } else if let Some(k) = text.find(':').filter(|&k| k > 0) {
        Some((num(&text[..k])?, num(&text[k + 1..])?.abs()))
    } else {
        Some((num(text)?, 0.0))
    }
}

/// How many decimal places a written number has ("3.141" has 3, "2e3" and "17" none).
fn decimals(text: &str) -> i32 {
    let text = text.trim();
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    mantissa.split_once('.').map_or(0, |(_, d)| {
        d.chars().filter(|c| c.is_ascii_digit()).count() as i32
    })
}

/// `x` rounded to `places` decimal places (at most 15, beyond which an f64 has nothing to round).
fn round_to(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places.min(15));
    let rounded = (x * scale).round() / scale;
    if rounded.is_finite() { rounded } else { x }
}

/// `{~a =b ~c}` is a choice card; with no `=`, `{~%50%a ~%50%b ~%-100%c}` is a multi card of the positive choices.
/// Moodle gives full marks for any `=` answer and shows radio buttons, so with several `=` the learner picks one of
/// them: detente keeps the first as the choice card's answer and leaves the others out of the choices (a warning
/// names them), so that picking among the choices shown is graded as Moodle grades it.
pub(super) fn multichoice(
    block: &[Sym],
    format: Format,
    notes: &mut Vec<String>,
) -> Result<Parsed, ConvertError> {
    let single = find(block, '=').is_some();
    let mut answers = Vec::new();
    for piece in pieces(block, &['~', '=']) {
        answers.push(match piece.marker {
            Some('=') => answer(&piece, 100.0, false, format)?,
            _ => answer(&piece, 0.0, true, format)?,
        });
    }
    if !single {
        let right = answers
            .iter()
            .filter(|a| a.weight > 0.0)
            .map(|a| a.text.clone())
            .collect();
        let choices = answers.iter().map(|a| a.text.clone()).collect();
        let feedback = chose(answers.iter());
        return Ok(Some((
            Body::Multi {
                choices,
                answers: right,
            },
            feedback,
        )));
    }
    let Some(right) = answers.iter().position(|a| a.weight >= 100.0) else {
        notes.push("question skipped: no answer is fully right".into());
        return Ok(None);
    };
    let also: Vec<usize> = (right + 1..answers.len())
        .filter(|&i| answers[i].weight >= 100.0)
        .collect();
    if !also.is_empty() {
        let names: Vec<String> = also
            .iter()
            .map(|&i| format!("`{}`", answers[i].text))
            .collect();
        notes.push(format!(
            "{} also fully right: Moodle gives full marks for any `=` answer, and detente's choice card takes \
             one, so the first, `{}`, is the answer and {} left out of the choices",
            names.join(", "),
            answers[right].text,
            if also.len() == 1 { "that one is" } else { "those are" }
        ));
    }
    for a in answers
        .iter()
        .filter(|a| a.weight > 0.0 && a.weight < 100.0)
    {
        notes.push(format!(
            "partial credit ({}%) for `{}` dropped: it counts as wrong",
            a.weight, a.text
        ));
    }
    let shown: Vec<&Answer> = answers
        .iter()
        .enumerate()
        .filter(|(i, _)| !also.contains(i))
        .map(|(_, a)| a)
        .collect();
    let body = Body::Choice {
        choices: shown.iter().map(|a| a.text.clone()).collect(),
        answer: answers[right].text.clone(),
    };
    // The right answer's feedback explains; the others' are kept as "If you chose X: ...".
    let mut feedback: Vec<String> = Some(answers[right].feedback.clone())
        .filter(|f| !f.is_empty())
        .into_iter()
        .collect();
    feedback.extend(chose(shown.into_iter().filter(|a| a.weight < 100.0)));
    Ok(Some((body, Some(feedback.join("\n")))))
}

/// "If you chose X: feedback", one line for each answer that has feedback; `None` when none has.
fn chose<'a>(answers: impl Iterator<Item = &'a Answer>) -> Option<String> {
    let lines: Vec<String> = answers
        .filter(|a| !a.feedback.is_empty())
        .map(|a| format!("If you chose {}: {}", a.text, a.feedback))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// `{=Canada -> Ottawa =Italy -> Rome}`; a right side alone (`= -> Chat`) is a distractor detente drops.
pub(super) fn matching(
    block: &[Sym],
    format: Format,
    notes: &mut Vec<String>,
) -> Result<Parsed, ConvertError> {
    let mut pairs = Vec::new();
    let mut distractors = 0;
    for piece in pieces(block, &['=']) {
        let Some(k) = arrow(piece.syms) else {
            return Err(piece
                .at
                .error("a matching pair needs `->` between its two sides"));
        };
        let left = formatted(&string(&piece.syms[..k]), format).0;
        let right = string(&piece.syms[k + 2..]).trim().to_string();
        if left.is_empty() {
            distractors += 1;
        } else {
            pairs.push((left, right));
        }
    }
    if distractors > 0 {
        notes.push(format!(
            "{distractors} right-side distractor(s) dropped: detente's match card has none"
        ));
    }
    // Positions `1`, `2`, ... matched to items, as detente writes an order card, read back as that order card.
    if pairs.len() >= 3
        && distractors == 0
        && pairs
            .iter()
            .enumerate()
            .all(|(k, (left, _))| *left == (k + 1).to_string())
    {
        let items = pairs.into_iter().map(|(_, item)| item).collect();
        return Ok(Some((Body::Order { items }, None)));
    }
    Ok(Some((Body::Match { pairs }, None)))
}

/// `{T}`, `{FALSE#shown when wrong#shown when right}`; `None` when the block is not true/false.
pub(super) fn truefalse(block: &[Sym], format: Format) -> Parsed {
    let parts = split_n(block, '#', 3);
    let answer = match string(parts[0]).trim() {
        "T" | "TRUE" => true,
        "F" | "FALSE" => false,
        _ => return None,
    };
    // Moodle shows the first `#` text to a learner who answered wrongly, the second to one who answered rightly.
    let text = |k: usize| {
        parts
            .get(k)
            .map(|p| formatted(&string(p), format).0)
            .filter(|t| !t.is_empty())
    };
    let wrong = if answer { "False" } else { "True" };
    let feedback = [
        text(2),
        text(1).map(|t| format!("If you chose {wrong}: {t}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("\n");
    Some((Body::Truefalse { answer }, Some(feedback)))
}

/// `{=no one =nobody =%0%Grant}`: the 100 % answers are accepted, the 0 % ones rejected. `*` is Moodle's "any
/// other answer": its feedback is kept ("For any other answer: ..."), and it is never a rejected answer. The first
/// accepted answer's feedback explains; every other answer's is kept as "If you answered X: ...".
pub(super) fn shortanswer(
    block: &[Sym],
    format: Format,
    notes: &mut Vec<String>,
) -> Result<Parsed, ConvertError> {
    let mut answers = Vec::new();
    let mut reject = Vec::new();
    let mut right = None;
    let mut others = Vec::new();
    for piece in pieces(block, &['=']) {
        let a = answer(&piece, 100.0, true, format)?;
        let said = |what: &str| (!a.feedback.is_empty()).then(|| format!("{what}: {}", a.feedback));
        if a.text == "*" {
            if a.weight > 0.0 {
                notes.push(format!(
                    "`*` ({}%) accepts any answer in Moodle; detente cannot, and leaves it out",
                    a.weight
                ));
            }
            others.extend(said("For any other answer"));
            continue;
        }
        if a.text.contains('*') {
            notes.push(format!(
                "`{}`: `*` is a wildcard in Moodle; detente reads it as a literal `*`",
                a.text
            ));
        }
        if a.weight >= 100.0 {
            if answers.is_empty() {
                right = Some(a.feedback.clone()).filter(|f| !f.is_empty());
            } else if right.as_ref() != Some(&a.feedback) {
                others.extend(said(&format!("If you answered {}", a.text)));
            }
            answers.push(a.text);
        } else if a.weight <= 0.0 {
            others.extend(said(&format!("If you answered {}", a.text)));
            if !a.text.is_empty() {
                reject.push(a.text);
            }
        } else {
            notes.push(format!(
                "partial-credit answer `{}` ({}%) dropped: detente has no partial credit",
                a.text, a.weight
            ));
            others.extend(said(&format!("If you answered {}", a.text)));
        }
    }
    if answers.is_empty() {
        notes.push("question skipped: no answer is worth 100%".into());
        return Ok(None);
    }
    let feedback = right
        .into_iter()
        .chain(others)
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Some((Body::Text { answers, reject }, Some(feedback))))
}

#[cfg(test)]
#[allow(clippy::approx_constant)] // 3.1415 is the GIFT example's value, not an approximation of pi.
mod tests {
    use super::number;

    #[test]
    fn ranges_keep_the_decimals_they_were_written_with() {
        assert_eq!(number("3.141..3.142"), Some((3.1415, 0.0005)));
        assert_eq!(number("0.1..0.2"), Some((0.15, 0.05)));
        assert_eq!(number("1..2"), Some((1.5, 0.5)));
        assert_eq!(number("1990..2000"), Some((1995.0, 5.0)));
        assert_eq!(number("3.1415:0.0005"), Some((3.1415, 0.0005)));
        assert_eq!(number("-1.5..-0.5"), Some((-1.0, 0.5)));
    }
}
