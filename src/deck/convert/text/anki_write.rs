//! The Anki text writer: a deck as Anki's self-describing "Notes in Plain Text" layout, each card one note whose
//! front and back show it as Anki can (also the layout the Quizlet writer reuses).

use super::REVERSED;
use super::records::CARRIED;
use crate::deck::convert::{DeckExtras, Warning, Written};
use crate::deck::{Body, Card, Deck, cloze_blanks};
use std::io::Write;

/// Anki text in the column order of Anki's own "Notes in Plain Text" export: a GUID
/// column, a note type column (`Basic`, `Basic (and reversed card)` or `Cloze`), the deck title as deck column,
/// front, back, and the tags. Every card is one note. The GUID is `<deck id>/<card id>`: unique across decks (card ids
/// repeat from deck to deck) and the same on every export, so importing again updates the note instead of adding
/// one, and importing several decks into one collection overwrites nothing. The back holds the answer and then the
/// explanation; choice, multi, match and order cards show their choices, pairs or items on the front and the answer
/// on the back; a cloze card is a Cloze note (one `cN` per blank, with the card's hint) whose Back Extra holds the
/// explanation and the blanks' other accepted answers. The deck's fields travel in a `#detente deck:` header and
/// each card whole in a `#detente card:` line before its note, which Anki skips and [`super::read_anki`] reads back.
/// Returns the count of notes written (one per card).
pub fn write_anki(deck: &Deck, out: &mut dyn Write) -> std::io::Result<Written> {
    let mut each = write_anki_decks(std::slice::from_ref(deck), out)?;
    Ok(each.pop().unwrap_or_default())
}

/// Several decks as one Anki text file: the headers once, then each deck's `#detente deck:` line and its notes (each
/// note's deck column names its deck, so Anki files every note in its own deck). [`super::read_anki_decks`] reads
/// the file back as its decks, each with its own card ids. Returns what was written of each deck, in order.
pub fn write_anki_decks(decks: &[Deck], out: &mut dyn Write) -> std::io::Result<Vec<Written>> {
    out.write_all(
        b"#separator:tab\n#html:false\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:6\n\
          #columns:GUID\tNotetype\tDeck\tFront\tBack\tTags\n",
    )?;
    let mut each = Vec::new();
    for deck in decks {
        let mut written = Written::default();
        write_notes(deck, out, &mut written)?;
        each.push(written);
    }
    out.flush()?;
    Ok(each)
}

/// One deck's `#detente deck:` line and notes, counted and warned about in `written`.
fn write_notes(deck: &Deck, out: &mut dyn Write, written: &mut Written) -> std::io::Result<()> {
    // What a note cannot show (the deck's fields, each card whole) travels in `#` lines: Anki's importer ignores a
    // header with a key it does not know, and skips `#` lines between records as comments.
    let extras = serde_json::to_string(&DeckExtras::of(deck)).map_err(std::io::Error::other)?;
    writeln!(out, "#detente deck:{extras}")?;
    for card in &deck.cards {
        let whole = serde_json::to_string(card).map_err(std::io::Error::other)?;
        writeln!(out, "{CARRIED}{whole}")?;
        let (notetype, front, back) = anki_note(card);
        let mut w = csv::WriterBuilder::new()
            .delimiter(b'\t')
            .from_writer(&mut *out);
        w.write_record([
            anki_guid(&deck.id, &card.id).as_str(),
            notetype,
            deck.title.as_str(),
            front.as_str(),
            back.as_str(),
            card.tags.join(" ").as_str(),
        ])?;
        w.flush()?;
        drop(w);
        written.cards += 1;
        written.items += 1;
        if card.hint.is_some() && notetype != "Cloze" {
            written.warnings.push(Warning::card(
                card,
                &format!(
                    ": its hint is not written: Anki's {notetype} note has no hint field (it is kept for detente \
                     in a comment)"
                ),
            ));
        }
    }
    Ok(())
}

/// The GUID of a card's Anki note: `<deck id>/<card id>`.
pub fn anki_guid(deck: &str, card: &str) -> String {
    format!("{deck}/{card}")
}

/// A card as an Anki note: its note type, front and back.
pub(super) fn anki_note(card: &Card) -> (&'static str, String, String) {
    let bullets = |items: &mut dyn Iterator<Item = &String>| {
        items
            .map(|i| format!("- {i}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let with_explain = |answer: String| match &card.explain {
        Some(e) if !e.trim().is_empty() => format!("{answer}\n\n{e}"),
        _ => answer,
    };
    let prompt = card.prompt.clone();
    match &card.body {
        Body::Flashcard { answer, reverse } => (
            if *reverse { REVERSED } else { "Basic" },
            prompt,
            with_explain(answer.clone()),
        ),
        Body::Choice { choices, answer } => (
            "Basic",
            format!("{prompt}\n\n{}", bullets(&mut choices.iter())),
            with_explain(answer.clone()),
        ),
        Body::Multi { choices, answers } => (
            "Basic",
            format!(
                "{prompt}\n\nTick every right choice:\n{}",
                bullets(&mut choices.iter())
            ),
            with_explain(bullets(&mut answers.iter())),
        ),
        Body::Truefalse { answer } => (
            "Basic",
            prompt,
            with_explain(if *answer { "True" } else { "False" }.to_string()),
        ),
        Body::Text { answers, .. } => {
            let mut back = answers.first().cloned().unwrap_or_default();
            if answers.len() > 1 {
                back.push_str(&format!("\n(also accepted: {})", answers[1..].join("; ")));
            }
            ("Basic", prompt, with_explain(back))
        }
        Body::Number { answer, tolerance } => (
            "Basic",
            prompt,
            with_explain(crate::text::format_number(*answer, *tolerance)),
        ),
        Body::Match { pairs } => {
            let mut rights: Vec<&String> = pairs.iter().map(|p| &p.1).collect();
            rights.sort();
            rights.dedup();
            let front = format!(
                "{prompt}\n\nMatch each of:\n{}\n\nwith one of:\n{}",
                bullets(&mut pairs.iter().map(|p| &p.0)),
                bullets(&mut rights.into_iter())
            );
            let back = pairs
                .iter()
                .map(|(l, r)| format!("{l} → {r}"))
                .collect::<Vec<_>>()
                .join("\n");
            ("Basic", front, with_explain(back))
        }
        Body::Order { items } => {
            let mut shown: Vec<&String> = items.iter().collect();
            shown.sort();
            let front = format!(
                "{prompt}\n\nPut in order:\n{}",
                bullets(&mut shown.into_iter())
            );
            let back = items
                .iter()
                .enumerate()
                .map(|(k, i)| format!("{}. {i}", k + 1))
                .collect::<Vec<_>>()
                .join("\n");
            ("Basic", front, with_explain(back))
        }
        Body::Cloze { .. } => {
            let hint = card
                .hint
                .as_deref()
                .filter(|h| !h.trim().is_empty() && !h.contains("}}"))
                .map(|h| format!("::{}", h.replace("::", ":")))
                .unwrap_or_default();
            let front = fill_blanks(&card.prompt, |n, answer| {
                format!("{{{{c{n}::{answer}{hint}}}}}")
            });
            let mut extra = card.explain.clone().unwrap_or_default();
            let others: Vec<String> = cloze_blanks(&card.prompt)
                .iter()
                .enumerate()
                .filter(|(_, b)| b.answers.len() > 1)
                .map(|(k, b)| format!("c{}: {}", k + 1, b.answers[1..].join("; ")))
                .collect();
            if !others.is_empty() {
                if !extra.is_empty() {
                    extra.push_str("\n\n");
                }
                extra.push_str(&format!("(also accepted: {})", others.join("; ")));
            }
            ("Cloze", front, extra)
        }
    }
}

/// A cloze prompt with each blank replaced by `fill(n, first answer)`, `n` counting blanks from 1.
pub(super) fn fill_blanks(prompt: &str, mut fill: impl FnMut(usize, &str) -> String) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (i, blank) in cloze_blanks(prompt).iter().enumerate() {
        out.push_str(&prompt[last..blank.range.start]);
        out.push_str(&fill(
            i + 1,
            blank.answers.first().map_or("", String::as_str),
        ));
        last = blank.range.end;
    }
    out.push_str(&prompt[last..]);
    out
}
