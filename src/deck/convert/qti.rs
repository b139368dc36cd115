//! QTI 1.2 for Canvas (and the other LMSs that import IMS QTI 1.2 packages): each deck an `<assessment>` of one
//! `<item>` per card, in the layout Canvas's own quiz export writes (IMS QTI ASI 1.2.1, with Canvas's
//! `question_type` and `points_possible` item metadata), zipped with an `imsmanifest.xml` that lists each assessment
//! as an `imsqti_xmlv1p2` resource. Choice, multi, true/false, text (short answer), number (numerical, with its
//! tolerance as a range) and match cards become the question types of those names; a cloze card becomes a fill in
//! multiple blanks question (`[blank1]`, ... in its text, each blank's accepted answers); an order card a matching
//! question from each position to its item; a flashcard an essay question whose general feedback is its back (graded
//! by hand). Every loss is a warning naming the card and the reason.

use super::{Warning, Written};
use crate::deck::{Body, Card, Deck, cloze_blanks};
use std::io::Write;

/// The XML text of `s`, cleaned as every export is ([`crate::text::clean`]: no control character, which XML 1.0
/// refuses, reaches the file, since the package is written byte for byte) and escaped for element content and
/// double-quoted attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::text::clean(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// A `<material>` holding `text` as HTML (each line a paragraph), as Canvas writes its question and feedback texts.
fn material(text: &str) -> String {
    let html: String = text
        .split('\n')
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("<p>{}</p>", esc(l)))
        .collect();
    format!(
        "<material><mattext texttype=\"text/html\">{}</mattext></material>",
        esc(&html)
    )
}

/// A `<material>` holding `text` as plain text (a choice, a matching item).
fn plain(text: &str) -> String {
    format!(
        "<material><mattext texttype=\"text/plain\">{}</mattext></material>",
        esc(text)
    )
}

/// A number as QTI writes it: no exponent, no trailing `.0` noise.
fn num(x: f64) -> String {
    crate::text::format_number(x, 0.0)
}

/// `<render_choice>` of `labels`, each `(ident, text)`.
fn choices(labels: &[(String, String)]) -> String {
    let mut out = String::from("<render_choice>");
    for (ident, text) in labels {
        out.push_str(&format!(
            "<response_label ident=\"{}\">{}</response_label>",
            esc(ident),
            plain(text)
        ));
    }
    out.push_str("</render_choice>");
    out
}

/// A matching question's responses (one `response_lid` per left item, the distinct right items as labels) and
/// conditions (each right pair adds its share of 100).
fn matching(pairs: &[(String, String)]) -> (String, String) {
    let mut rights: Vec<String> = pairs.iter().map(|p| p.1.clone()).collect();
    rights.sort();
    rights.dedup();
    let labels: Vec<(String, String)> = rights
        .iter()
        .enumerate()
        .map(|(k, t)| (format!("m{}", k + 1), t.clone()))
        .collect();
    let mut response = String::new();
    let mut conditions = String::new();
    let share = 100.0 / pairs.len().max(1) as f64;
    for (k, (left, right)) in pairs.iter().enumerate() {
        let ident = format!("response_l{}", k + 1);
        response.push_str(&format!(
            "<response_lid ident=\"{ident}\">{}{}</response_lid>",
            plain(left),
            choices(&labels)
        ));
        let key = labels
            .iter()
            .find(|(_, t)| t == right)
            .map(|(i, _)| i.as_str())
            .unwrap_or_default();
        conditions.push_str(&format!(
            "<respcondition><conditionvar><varequal respident=\"{ident}\">{key}</varequal></conditionvar>\
             <setvar varname=\"SCORE\" action=\"Add\">{}</setvar></respcondition>",
            num((share * 10_000.0).round() / 10_000.0)
        ));
    }
    (response, conditions)
}

/// A condition that sets SCORE to 100.
fn full_marks(condition: &str) -> String {
    format!(
        "<respcondition continue=\"No\"><conditionvar>{condition}</conditionvar>\
         <setvar action=\"Set\" varname=\"SCORE\">100</setvar></respcondition>"
    )
}

/// One card as a QTI `<item>`; `warnings` get what the item cannot hold.
fn item(card: &Card, warnings: &mut Vec<Warning>) -> String {
    let lid = |cardinality: &str, labels: &[(String, String)]| {
        format!(
            "<response_lid ident=\"response1\" rcardinality=\"{cardinality}\">{}</response_lid>",
            choices(labels)
        )
    };
    let fib = |fibtype: Option<&str>| {
        format!(
            "<response_str ident=\"response1\" rcardinality=\"Single\"><render_fib{}>\
             <response_label ident=\"answer1\" rshuffle=\"No\"/></render_fib></response_str>",
            fibtype.map_or(String::new(), |t| format!(" fibtype=\"{t}\""))
        )
    };
    let labelled = |texts: &[String]| -> Vec<(String, String)> {
        texts
            .iter()
            .enumerate()
            .map(|(k, t)| (format!("c{}", k + 1), t.clone()))
            .collect()
    };
    let ident_of = |labels: &[(String, String)], text: &str| {
        labels
            .iter()
            .find(|(_, t)| t == text)
            .map(|(i, _)| i.clone())
            .unwrap_or_default()
    };
    let mut prompt = card.prompt.clone();
    let (question_type, response, conditions) = match &card.body {
        Body::Choice { choices, answer } => {
            let labels = labelled(choices);
            let right = ident_of(&labels, answer);
            (
                "multiple_choice_question",
                lid("Single", &labels),
                full_marks(&format!(
                    "<varequal respident=\"response1\">{right}</varequal>"
                )),
            )
        }
        Body::Truefalse { answer } => {
            let labels = labelled(&["True".to_string(), "False".to_string()]);
            let right = if *answer { "c1" } else { "c2" };
            (
                "true_false_question",
                lid("Single", &labels),
                full_marks(&format!(
                    "<varequal respident=\"response1\">{right}</varequal>"
                )),
            )
        }
        Body::Multi { choices, answers } => {
            let labels = labelled(choices);
            let mut all = String::from("<and>");
            for (ident, text) in &labels {
                let eq = format!("<varequal respident=\"response1\">{ident}</varequal>");
                if answers.contains(text) {
                    all.push_str(&eq);
                } else {
                    all.push_str(&format!("<not>{eq}</not>"));
                }
            }
            all.push_str("</and>");
            (
                "multiple_answers_question",
                lid("Multiple", &labels),
                full_marks(&all),
            )
        }
        Body::Text { answers, reject } => {
            if !reject.is_empty() {
                warnings.push(Warning::card(
                    card,
                    &format!(
                        ": its {} rejected near miss(es) are not written: a QTI short answer lists only the \
                         answers it accepts",
                        reject.len()
                    ),
                ));
            }
            let conditions: String = answers
                .iter()
                .map(|a| {
                    full_marks(&format!(
                        "<varequal respident=\"response1\">{}</varequal>",
                        esc(a)
                    ))
                })
                .collect();
            ("short_answer_question", fib(None), conditions)
        }
        Body::Number { answer, tolerance } => {
            let (low, high) = (answer - tolerance.abs(), answer + tolerance.abs());
            (
                "numerical_question",
                fib(Some("Decimal")),
                full_marks(&format!(
                    "<or><varequal respident=\"response1\">{}</varequal><and>\
                     <vargte respident=\"response1\">{}</vargte><varlte respident=\"response1\">{}</varlte>\
                     </and></or>",
                    num(*answer),
                    num(low),
                    num(high)
                )),
            )
        }
        Body::Match { pairs } => {
            let (response, conditions) = matching(pairs);
            ("matching_question", response, conditions)
        }
        Body::Order { items } => {
            warnings.push(Warning::card(
                card,
                ": becomes a matching question from each position (1, 2, ...) to its item, picked from a list \
                 rather than put in order (each position earns its share, as in a detente exam)",
            ));
            let pairs: Vec<(String, String)> = items
                .iter()
                .enumerate()
                .map(|(k, item)| ((k + 1).to_string(), item.clone()))
                .collect();
            let (response, conditions) = matching(&pairs);
            ("matching_question", response, conditions)
        }
        Body::Cloze { reject } => {
            if !reject.is_empty() {
                warnings.push(Warning::card(
                    card,
                    &format!(
                        ": its {} rejected near miss(es) are not written: a QTI blank lists only the answers it \
                         accepts",
                        reject.len()
                    ),
                ));
            }
            let blanks = cloze_blanks(&card.prompt);
            let mut shown = String::new();
            let mut last = 0;
            let mut response = String::new();
            let mut conditions = String::new();
            let share = 100.0 / blanks.len().max(1) as f64;
            for (k, blank) in blanks.iter().enumerate() {
                let name = format!("blank{}", k + 1);
                shown.push_str(&card.prompt[last..blank.range.start]);
                shown.push_str(&format!("[{name}]"));
                last = blank.range.end;
                let labels: Vec<(String, String)> = blank
                    .answers
                    .iter()
                    .enumerate()
                    .map(|(j, a)| (format!("{name}_a{}", j + 1), a.clone()))
                    .collect();
                let ident = format!("response_{name}");
                response.push_str(&format!(
                    "<response_lid ident=\"{ident}\">{}{}</response_lid>",
                    plain(&name),
                    choices(&labels)
                ));
                let any: String = labels
                    .iter()
                    .map(|(l, _)| format!("<varequal respident=\"{ident}\">{l}</varequal>"))
                    .collect();
                conditions.push_str(&format!(
                    "<respcondition><conditionvar><or>{any}</or></conditionvar>\
                     <setvar varname=\"SCORE\" action=\"Add\">{}</setvar></respcondition>",
                    num((share * 10_000.0).round() / 10_000.0)
                ));
            }
            shown.push_str(&card.prompt[last..]);
            prompt = shown;
            ("fill_in_multiple_blanks_question", response, conditions)
        }
        Body::Flashcard { answer, reverse } => {
            warnings.push(Warning::card(
                card,
                ": becomes an essay question, graded by hand; its back is the general feedback",
            ));
            if *reverse {
                warnings.push(Warning::card(
                    card,
                    ": is asked front to back only: a QTI question has one direction",
                ));
            }
            let _ = answer;
            (
                "essay_question",
                fib(None),
                "<respcondition continue=\"No\"><conditionvar><other/></conditionvar></respcondition>".into(),
            )
        }
    };
    if card.hint.is_some() {
        warnings.push(Warning::card(
            card,
            ": its hint is not written: a QTI 1.2 item has no hint",
        ));
    }
    let feedback = match (&card.body, card.explain.as_deref()) {
        (Body::Flashcard { answer, .. }, Some(e)) if !e.trim().is_empty() => {
            Some(format!("{answer}\n{e}"))
        }
        (Body::Flashcard { answer, .. }, _) => Some(answer.clone()),
        (_, Some(e)) if !e.trim().is_empty() => Some(e.to_string()),
        _ => None,
    };
    let show = if feedback.is_some() {
        "<respcondition continue=\"Yes\"><conditionvar><other/></conditionvar>\
         <displayfeedback feedbacktype=\"Response\" linkrefid=\"general_fb\"/></respcondition>"
    } else {
        ""
    };
    let feedback = feedback
        .map(|f| {
            format!(
                "<itemfeedback ident=\"general_fb\"><flow_mat>{}</flow_mat></itemfeedback>",
                material(&f)
            )
        })
        .unwrap_or_default();
    format!(
        "<item ident=\"{id}\" title=\"{id}\"><itemmetadata><qtimetadata>\
         <qtimetadatafield><fieldlabel>question_type</fieldlabel><fieldentry>{question_type}</fieldentry></qtimetadatafield>\
         <qtimetadatafield><fieldlabel>points_possible</fieldlabel><fieldentry>1.0</fieldentry></qtimetadatafield>\
         </qtimetadata></itemmetadata>\
         <presentation>{prompt}{response}</presentation>\
         <resprocessing><outcomes><decvar maxvalue=\"100\" minvalue=\"0\" varname=\"SCORE\" vartype=\"Decimal\"/></outcomes>\
         {show}{conditions}</resprocessing>{feedback}</item>\n",
        id = esc(&card.id),
        prompt = material(&prompt),
    )
}

/// One deck as a QTI 1.2 `questestinterop` document: one assessment, one section, one item per card it can hold.
pub fn write_assessment(deck: &Deck, out: &mut dyn Write) -> std::io::Result<Written> {
    let mut written = Written::default();
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(
        out,
        "<questestinterop xmlns=\"http://www.imsglobal.org/xsd/ims_qtiasiv1p2\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"http://www.imsglobal.org/xsd/ims_qtiasiv1p2 \
         http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd\">"
    )?;
    writeln!(
        out,
        "<assessment ident=\"{}\" title=\"{}\"><section ident=\"root_section\">",
        esc(&deck.id),
        esc(&deck.title)
    )?;
    for card in &deck.cards {
        out.write_all(item(card, &mut written.warnings).as_bytes())?;
        written.cards += 1;
        written.items += 1;
    }
    writeln!(out, "</section></assessment>\n</questestinterop>")?;
    Ok(written)
}

/// The package's `imsmanifest.xml`: each deck's assessment an `imsqti_xmlv1p2` resource at `<deck id>/<deck id>.xml`.
fn manifest(decks: &[Deck]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <manifest identifier=\"detente-qti\" xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\">\n\
         <metadata><schema>IMS Content</schema><schemaversion>1.1.3</schemaversion></metadata>\n\
         <organizations/>\n<resources>\n",
    );
    for deck in decks {
        out.push_str(&format!(
            "<resource identifier=\"{id}\" type=\"imsqti_xmlv1p2\"><file href=\"{id}/{id}.xml\"/></resource>\n",
            id = esc(&deck.id)
        ));
    }
    out.push_str("</resources>\n</manifest>\n");
    out
}

/// Several decks as one QTI 1.2 package (a zip file, stored): `imsmanifest.xml` and each deck's assessment. Returns
/// what was written of each deck, in order.
pub fn write_package(decks: &[Deck], out: &mut dyn Write) -> std::io::Result<Vec<Written>> {
    let mut files: Vec<(String, Vec<u8>)> =
        vec![("imsmanifest.xml".into(), manifest(decks).into_bytes())];
    let mut each = Vec::new();
    for deck in decks {
        let mut xml = Vec::new();
        each.push(write_assessment(deck, &mut xml)?);
        files.push((format!("{0}/{0}.xml", deck.id), xml));
    }
    super::zip::write_stored(&files, out)?;
    Ok(each)
}
