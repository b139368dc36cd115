//! The Moodle XML reader: each `<question>` tree (from `xml.rs`) made into a card by its type, with Moodle's
//! semantics (as `qformat_xml` imports them), and every part detente cannot hold named in a warning.

use super::xml::{Item, Node, items};
use super::{DeckExtras, Extras, category_path, default_penalty, is_default_combined};
use crate::deck::convert::{
    ConvertError, Ids, Meta, Sink, Warning, html, media, media_warning, pass, tag,
};
use crate::deck::{Body, Card};
use crate::text::plain_number;
use std::io::BufRead;

/// Reads a Moodle XML question bank, handing each card to `emit` as soon as its question is read. The first category
/// names the deck (its last part is [`Meta::title`]); a question in another category is tagged with that category's
/// path, relative to the first category when it lies below it.
pub fn read(input: impl BufRead, emit: &mut Sink<'_>) -> Result<Meta, ConvertError> {
    let mut reader = Reader::default();
    items(input, &mut |item| match item {
        Item::Element(node) if node.name == "question" => reader.question(node, emit),
        Item::Element(node) => {
            reader.warnings.push(Warning {
                line: node.line,
                message: format!(
                    "<{}> left out: a Moodle question bank holds only <question> elements",
                    node.name
                ),
            });
            Ok(())
        }
        Item::Comment(text) => {
            reader.deck_comment(&text);
            Ok(())
        }
    })?;
    Ok(Meta::of_one(reader.title, reader.warnings, reader.deck))
}

#[derive(Default)]
struct Reader {
    ids: Ids,
    warnings: Vec<Warning>,
    title: Option<String>,
    /// The first category's path: the deck.
    first: Option<Vec<String>>,
    /// The tag of the current category, when it is not the first.
    tag: Option<String>,
    deck: Option<DeckExtras>,
}

/// One `<answer>`: its fraction in percent, its text and its feedback, as plain text.
struct Answer {
    fraction: f64,
    text: String,
    feedback: String,
}

/// A Moodle text field as plain text: HTML (`format="html"`, or Moodle's auto-format holding a tag) through the
/// importers' one HTML conversion, any other format as written; trimmed.
fn text(node: Option<&Node>) -> String {
    let Some(node) = node else {
        return String::new();
    };
    let raw = node.text_in();
    let html_format = match node.attr("format") {
        Some("html") => true,
        Some("plain_text") | Some("markdown") => false,
        _ => html::has_tag(raw),
    };
    if html_format {
        html::to_text(raw).trim().to_string()
    } else {
        raw.trim().to_string()
    }
}

fn answers(q: &Node) -> Vec<Answer> {
    q.all("answer")
        .map(|a| Answer {
            fraction: a
                .attr("fraction")
                .and_then(|f| f.trim().parse::<f64>().ok())
                .unwrap_or(0.0),
            text: text(Some(a)),
            feedback: text(a.child("feedback")),
        })
        .collect()
}

const RIGHT: f64 = 99.999;

impl Reader {
    fn deck_comment(&mut self, comment: &str) {
        if let Some(json) = comment.trim().strip_prefix("detente deck:") {
            match serde_json::from_str::<DeckExtras>(json) {
                Ok(extras) => self.deck = Some(extras),
                Err(e) => self.warnings.push(Warning {
                    line: 0,
                    message: format!("the `detente deck:` comment is not readable ({e}); ignored"),
                }),
            }
        }
    }

    fn category(&mut self, q: &Node) {
        let Some(cat) = q.child("category") else {
            return;
        };
        let path = category_path(cat.text_in());
        match &self.first {
            None => {
                self.title = path.last().cloned();
                self.first = Some(path.clone());
                self.tag = None;
            }
            Some(first) => {
                let below = path.strip_prefix(first.as_slice()).unwrap_or(&path);
                let joined: Vec<String> = below
                    .iter()
                    .filter_map(|p| crate::deck::convert::slug(p).into())
                    .filter(|s: &String| !s.is_empty())
                    .collect();
                self.tag = (!joined.is_empty()).then(|| joined.join("/"));
            }
        }
        let info = text(q.child("info"));
        if !info.is_empty() {
            self.warnings.push(Warning {
                line: q.line,
                message: format!(
                    "category `{}`: its description is left out: detente keeps no category text",
                    path.join("/")
                ),
            });
        }
    }

    fn question(&mut self, q: Node, emit: &mut Sink<'_>) -> Result<(), ConvertError> {
        let kind = q.attr("type").unwrap_or("").to_string();
        if kind == "category" {
            self.category(&q);
            return Ok(());
        }
        let line = q.line;
        let name = q.field("name").to_string();
        let label = if name.is_empty() {
            format!("question on line {line}")
        } else {
            format!("question `{name}`")
        };
        let mut notes: Vec<String> = Vec::new();
        let converted = self.card(&q, &kind, &mut notes);
        // Media and embedded files, wherever they are in the question.
        let mut texts = Vec::new();
        q.descendants("text", &mut texts);
        let mut seen = Vec::new();
        for t in texts {
            if let Some(found) = media(&t.text)
                && !seen.contains(&found)
            {
                self.warnings.push(media_warning(t.line, &found));
                seen.push(found);
            }
        }
        let mut files = Vec::new();
        q.descendants("file", &mut files);
        for f in files {
            notes.push(format!(
                "the embedded file `{}` is left out: detente shows no images or sound",
                f.attr("name").unwrap_or("?")
            ));
        }
        let card = converted.map(|card| self.common(&q, &kind, card, &mut notes));
        self.warnings.extend(notes.into_iter().map(|n| Warning {
            line,
            message: format!("{label}: {n}"),
        }));
        let Some(card) = card else {
            return Ok(());
        };
        let given = Some(q.field("idnumber"))
            .filter(|s| !s.is_empty())
            .or(Some(name.as_str()).filter(|s| !s.is_empty()));
        pass(card, line, given, &mut self.ids, &mut self.warnings, emit)
    }

    /// What every type has: tags, hints, the detente comment, and the notes on a mark, a penalty, combined feedback
    /// and hidden questions.
    fn common(&self, q: &Node, kind: &str, mut card: Card, notes: &mut Vec<String>) -> Card {
        if let Some(t) = &self.tag {
            card.tags.push(t.clone());
        }
        if let Some(tags) = q.child("tags") {
            for t in tags.all("tag").filter_map(|t| tag(t.text_in())) {
                if !card.tags.contains(&t) {
                    card.tags.push(t);
                }
            }
        }
        let hints: Vec<String> = q
            .all("hint")
            .map(|h| text(Some(h)))
            .filter(|h| !h.is_empty())
            .collect();
        if let Some(first) = hints.first() {
            card.hint = Some(first.clone());
        }
        if hints.len() > 1 {
            notes.push(format!(
                "{} more hint(s) left out: detente shows one hint",
                hints.len() - 1
            ));
        }
        for c in &q.comments {
            if let Some(json) = c.trim().strip_prefix("detente:") {
                match serde_json::from_str::<Extras>(json) {
                    Ok(extras) => {
                        card.source = extras.source;
                        card.allow = extras.allow;
                        if let Body::Flashcard { reverse, .. } = &mut card.body {
                            *reverse = extras.reverse;
                        }
                    }
                    Err(e) => notes.push(format!(
                        "its `detente:` comment is not readable ({e}); ignored"
                    )),
                }
            }
        }
        if let Some(grade) = q
            .child("defaultgrade")
            .and_then(|g| g.text.trim().parse::<f64>().ok())
            .filter(|g| (g - 1.0).abs() > 1e-6)
        {
            notes.push(format!(
                "its mark ({}) is left out: every detente question counts one",
                plain_number(grade)
            ));
        }
        if let Some(penalty) = q
            .child("penalty")
            .and_then(|g| g.text.trim().parse::<f64>().ok())
            .filter(|p| (p - default_penalty(kind)).abs() > 1e-6)
        {
            notes.push(format!(
                "its penalty for each wrong try ({}) is left out: detente has no penalties",
                plain_number(penalty)
            ));
        }
        for field in [
            "correctfeedback",
            "partiallycorrectfeedback",
            "incorrectfeedback",
        ] {
            let t = text(q.child(field));
            if !t.is_empty() && !is_default_combined(field, &t) {
                notes.push(format!(
                    "its <{field}> `{t}` is left out: detente's feedback is the explanation"
                ));
            }
        }
        if q.field("hidden") == "1" {
            notes.push("it is hidden in Moodle; converted all the same".into());
        }
        card
    }

    /// The card of a question by its type, without what [`Reader::common`] adds; `None` (with a note) if detente
    /// cannot hold it.
    fn card(&self, q: &Node, kind: &str, notes: &mut Vec<String>) -> Option<Card> {
        let mut prompt = text(q.child("questiontext"));
        let general = text(q.child("generalfeedback"));
        let all = answers(q);
        let mut feedback: Vec<String> = Vec::new();
        let chose = |others: &mut Vec<String>, a: &Answer, verb: &str| {
            if !a.feedback.is_empty() {
                others.push(format!("If you {verb} {}: {}", a.text, a.feedback));
            }
        };
        let partial = |notes: &mut Vec<String>, a: &Answer| {
            notes.push(format!(
                "partial credit ({}%) for `{}` is left out; it counts as wrong",
                plain_number(a.fraction),
                a.text
            ));
        };
        let body = match kind {
            "multichoice" | "multichoiceset" => {
                // multichoiceset (the all-or-nothing multiple choice of Moodle's plugins) gives each right answer a
                // positive fraction and takes all of them or nothing: a multi card.
                let single = kind == "multichoice" && !matches!(q.field("single"), "false" | "0");
                let right: Vec<usize> = (0..all.len())
                    .filter(|&i| all[i].fraction >= RIGHT)
                    .collect();
                if single {
                    let Some(&first) = right.first() else {
                        notes.push("skipped: no answer is worth 100%".into());
                        return None;
                    };
                    let extra: Vec<usize> = right[1..].to_vec();
                    for &i in &extra {
                        notes.push(format!(
                            "`{}` is also right in Moodle; detente's choice has one right answer, `{}`, so it \
                             is left out of the choices",
                            all[i].text, all[first].text
                        ));
                    }
                    let mut others = Vec::new();
                    if !all[first].feedback.is_empty() {
                        feedback.push(all[first].feedback.clone());
                    }
                    for (i, a) in all.iter().enumerate() {
                        if i != first && !extra.contains(&i) {
                            if a.fraction > 0.0 {
                                partial(notes, a);
                            } else if a.fraction < 0.0 {
                                notes.push(format!(
                                    "the negative mark ({}%) for `{}` is left out; it counts as wrong",
                                    plain_number(a.fraction),
                                    a.text
                                ));
                            }
                            chose(&mut others, a, "chose");
                        }
                    }
                    feedback.extend(others);
                    Body::Choice {
                        choices: all
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| !extra.contains(i))
                            .map(|(_, a)| a.text.clone())
                            .collect(),
                        answer: all[first].text.clone(),
                    }
                } else {
                    let rights: Vec<&Answer> = all.iter().filter(|a| a.fraction > 0.0).collect();
                    if rights.is_empty() {
                        notes.push("skipped: no answer has a positive weight".into());
                        return None;
                    }
                    let share = 100.0 / rights.len() as f64;
                    if kind == "multichoice"
                        && rights.iter().any(|a| (a.fraction - share).abs() > 0.01)
                    {
                        notes.push(format!(
                            "the weights of its right answers ({}) are left out: each right answer counts \
                             the same in detente",
                            rights
                                .iter()
                                .map(|a| format!("{}%", plain_number(a.fraction)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    for a in &all {
                        chose(&mut feedback, a, "chose");
                    }
                    Body::Multi {
                        choices: all.iter().map(|a| a.text.clone()).collect(),
                        answers: rights.iter().map(|a| a.text.clone()).collect(),
                    }
                }
            }
            "truefalse" => {
                let Some(right) = all.iter().find(|a| a.fraction >= RIGHT) else {
                    notes.push("skipped: neither true nor false is worth 100%".into());
                    return None;
                };
                let answer = right.text.trim().eq_ignore_ascii_case("true");
                if !right.feedback.is_empty() {
                    feedback.push(right.feedback.clone());
                }
                for a in all.iter().filter(|a| a.fraction < RIGHT) {
                    chose(&mut feedback, a, "chose");
                }
                Body::Truefalse { answer }
            }
            "shortanswer" => {
                if q.field("usecase") == "1" {
                    notes.push("it is case-sensitive in Moodle; detente accepts any case".into());
                }
                let mut answers = Vec::new();
                let mut reject = Vec::new();
                let mut others = Vec::new();
                for a in &all {
                    if a.fraction >= RIGHT {
                        if !a.feedback.is_empty() && answers.is_empty() {
                            feedback.push(a.feedback.clone());
                        } else {
                            chose(&mut others, a, "answered");
                        }
                        answers.push(a.text.clone());
                    } else if a.text == "*" {
                        if !a.feedback.is_empty() {
                            others.push(format!("Any other answer: {}", a.feedback));
                        }
                    } else {
                        if a.fraction > 0.0 {
                            partial(notes, a);
                        }
                        reject.push(a.text.clone());
                        chose(&mut others, a, "answered");
                    }
                }
                if answers.is_empty() {
                    notes.push("skipped: no answer is worth 100%".into());
                    return None;
                }
                feedback.extend(others);
                Body::Text { answers, reject }
            }
            "numerical" => {
                let mut value = None;
                let mut others = Vec::new();
                for (a, node) in all.iter().zip(q.all("answer")) {
                    let tolerance = node
                        .child("tolerance")
                        .and_then(|t| t.text.trim().parse::<f64>().ok())
                        .unwrap_or(0.0)
                        .abs();
                    let number = a.text.replace(',', ".").trim().parse::<f64>().ok();
                    if a.text == "*" {
                        if !a.feedback.is_empty() {
                            others.push(format!("Any other answer: {}", a.feedback));
                        }
                    } else if a.fraction >= RIGHT && value.is_none() && number.is_some() {
                        value = number.map(|n| (n, tolerance));
                        if !a.feedback.is_empty() {
                            feedback.push(a.feedback.clone());
                        }
                    } else {
                        if a.fraction >= RIGHT {
                            notes.push(format!(
                                "`{}` is also right in Moodle; detente's number card has one answer",
                                a.text
                            ));
                        } else if a.fraction > 0.0 {
                            partial(notes, a);
                        }
                        chose(&mut others, a, "answered");
                    }
                }
                let Some((answer, tolerance)) = value else {
                    notes.push("skipped: no number is worth 100%".into());
                    return None;
                };
                feedback.extend(others);
                let units: Vec<(f64, String)> = q
                    .child("units")
                    .map(|u| {
                        u.all("unit")
                            .map(|unit| {
                                (
                                    unit.field("multiplier").parse::<f64>().unwrap_or(1.0),
                                    unit.field("unit_name").to_string(),
                                )
                            })
                            .filter(|(_, n)| !n.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some((_, base)) = units.iter().find(|(m, _)| (m - 1.0).abs() < 1e-9) {
                    prompt = format!("{prompt} (in {base})");
                    notes.push(format!(
                        "its unit `{base}` is named in the prompt; the answer is typed without it"
                    ));
                }
                let more: Vec<&str> = units
                    .iter()
                    .filter(|(m, _)| (m - 1.0).abs() >= 1e-9)
                    .map(|(_, n)| n.as_str())
                    .collect();
                if !more.is_empty() {
                    notes.push(format!(
                        "its other units ({}) are left out: detente takes the number in the first unit",
                        more.join(", ")
                    ));
                }
                Body::Number { answer, tolerance }
            }
            "matching" => {
                let mut pairs = Vec::new();
                for s in q.all("subquestion") {
                    let left = text(Some(s));
                    let right = s
                        .child("answer")
                        .map_or(String::new(), |a| a.text_in().trim().to_string());
                    if left.is_empty() {
                        if !right.is_empty() {
                            notes.push(format!(
                                "the extra wrong answer `{right}` is left out: detente's match has no distractors"
                            ));
                        }
                    } else {
                        pairs.push((left, right));
                    }
                }
                Body::Match { pairs }
            }
            "ordering" => {
                let mut items: Vec<(f64, String)> = q
                    .all("answer")
                    .map(|a| {
                        (
                            a.attr("fraction")
                                .and_then(|f| f.parse::<f64>().ok())
                                .unwrap_or(0.0),
                            text(Some(a)),
                        )
                    })
                    .collect();
                items.sort_by(|a, b| a.0.total_cmp(&b.0));
                let select = q.field("selecttype");
                if !select.is_empty() && select != "ALL" && select != "0" {
                    notes.push(format!(
                        "Moodle shows only some of its items (selecttype {select}); detente asks all of them"
                    ));
                }
                Body::Order {
                    items: items.into_iter().map(|(_, t)| t).collect(),
                }
            }
            "cloze" | "multianswer" => {
                let read = super::cloze::read(&prompt);
                if read.blanks == 0 {
                    notes.push("skipped: its text has no embedded answer".into());
                    return None;
                }
                prompt = read.prompt;
                notes.extend(read.notes);
                feedback.extend(read.feedback);
                Body::Cloze {
                    reject: read.reject,
                }
            }
            "essay" => {
                let back = text(q.child("graderinfo"));
                let back = if back.is_empty() {
                    text(q.child("responsetemplate"))
                } else {
                    back
                };
                if back.is_empty() {
                    notes.push(
                        "skipped: an essay without grader information has no answer for a flashcard's back"
                            .into(),
                    );
                    return None;
                }
                Body::Flashcard {
                    answer: back,
                    reverse: false,
                }
            }
            "description" => {
                notes.push("skipped: a description asks nothing".into());
                return None;
            }
            other => {
                notes.push(format!(
                    "skipped: Moodle's question type `{other}` has no detente card kind"
                ));
                return None;
            }
        };
        let explain = Some(general)
            .filter(|g| !g.is_empty())
            .into_iter()
            .chain(feedback)
            .collect::<Vec<_>>()
            .join("\n");
        Some(Card {
            id: "gate".into(),
            prompt,
            body,
            explain: Some(explain).filter(|e| !e.is_empty()),
            source: Vec::new(),
            tags: Vec::new(),
            hint: None,
            allow: Default::default(),
        })
    }
}
