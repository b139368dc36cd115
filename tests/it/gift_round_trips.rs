//! GIFT round trips: every built-in deck exported as GIFT and read back, card by card and with the deck's own fields
//! (title, id, description, tags, sources, aliases, new order), and the writer's warning for each card Moodle gets
//! in part (a flashcard as an ungraded description, a cloze as one question per blank, a reverse side, a hint).

use detente::deck::builtin::DECKS;
use detente::deck::convert::{Meta, Written, gift};
use detente::deck::{Body, Card, Deck, cloze_blanks, parse_deck};

fn round_trip(deck: &Deck) -> (Written, Vec<u8>, Vec<Card>, Meta) {
    let mut out = Vec::new();
    let written = gift::write(deck, &mut out).expect("write");
    let mut cards = Vec::new();
    let meta = gift::read(&out[..], &mut |card| {
        cards.push(card);
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{}: {e}\n{}", deck.id, String::from_utf8_lossy(&out)));
    (written, out, cards, meta)
}

/// The writer warnings a card must raise: one per thing Moodle does not get of it.
fn expected_warnings(card: &Card) -> usize {
    let mut n = usize::from(card.hint.is_some());
    match &card.body {
        Body::Flashcard { answer, reverse } => {
            n += usize::from(*reverse);
            n += usize::from(
                answer.chars().count() > gift::SHORT_BACK
                    || answer.contains('\n')
                    || answer.contains("->"),
            );
        }
        Body::Cloze { .. } => n += usize::from(cloze_blanks(&card.prompt).len() > 1),
        _ => {}
    }
    n
}

/// Attack: a writer or reader that loses anything of a card (id, kind, prompt, answers, rejects, tolerance,
/// explanation, hint, tags, sources, allowed warnings, a flashcard's kind or reverse side, a two-blank cloze's id)
/// or of the deck (title, id, description, tags, sources, aliases, new order) on the way through GIFT, or that
/// drops a card Moodle gets only in part without a warning naming it. Every built-in deck goes out and comes back;
/// every card must come back identical, and each writer warning must name a card that has the loss it states.
#[test]
fn every_builtin_deck_round_trips_through_gift() {
    let (mut total, mut described, mut blanks) = (0, 0, 0);
    for b in DECKS {
        let (deck, _) = parse_deck(b.file, b.text);
        let deck = deck.expect("built-in deck parses");
        let (written, out, back, meta) = round_trip(&deck);
        assert_eq!(written.cards, deck.cards.len(), "{}", b.file);
        crate::support::assert_same_deck(b.file, &deck, &back, &meta);
        let expected: usize = deck.cards.iter().map(expected_warnings).sum();
        assert_eq!(
            written.warnings.len(),
            expected,
            "{}: {:?}",
            b.file,
            written.warnings
        );
        for w in &written.warnings {
            assert!(
                deck.cards
                    .iter()
                    .any(|c| w.message.starts_with(&format!("card `{}` ", c.id))),
                "{w:?}"
            );
            described += usize::from(w.message.contains("ungraded description"));
            blanks += usize::from(w.message.contains("one question per blank"));
        }
        // Moodle still gets every card as GIFT it grades or shows: the comments carry, they do not replace.
        let text = String::from_utf8_lossy(&out);
        for card in &deck.cards {
            assert!(text.contains(&format!("// [id:{}", card.id)), "{}", card.id);
        }
        total += back.len();
    }
    assert!(total > 150, "{total} cards");
    assert!(
        described > 0 && blanks > 0,
        "{described} descriptions, {blanks} clozes"
    );
}

/// Attack: a reader that trusts the carried card over a question whose comment does not carry one, or that skips a
/// question a teacher added after a multi-blank cloze because its id merely looks like a blank's. Only the blanks
/// that follow the cloze's own comment are skipped.
#[test]
fn only_the_blanks_of_a_carried_cloze_are_skipped() {
    let text = r#"[deck]
id = "t"
title = "T"

[[card]]
id = "two"
kind = "cloze"
prompt = "The {{NRC}} met in {{Lisbon}}."
"#;
    let (deck, _) = parse_deck("t.toml", text);
    let deck = deck.expect("parses");
    let mut out = Vec::new();
    gift::write(&deck, &mut out).expect("write");
    let mut gift_text = String::from_utf8(out).expect("utf-8");
    gift_text.push_str("// [id:two-blank-9]\n::two-blank-9::Who met? {=the NRC}\n\n");
    let mut cards = Vec::new();
    gift::read(gift_text.as_bytes(), &mut |card| {
        cards.push(card);
        Ok(())
    })
    .expect("read");
    let ids: Vec<&str> = cards.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["two", "two-blank-9"]);
    assert_eq!(cards[0], deck.cards[0]);
}

/// Attack: the four GIFT inputs that lost content silently (issue 25): Moodle's catch-all `~#feedback` of a
/// numerical question, an `<a href=...mp3>` audio link, an HTML comment leaking into the explanation, a 0 %
/// numerical answer with feedback. Each is kept (the feedback in the explanation, the comment left out as Moodle
/// does not show it) or named in a warning at its question's line with the reason.
#[test]
fn inputs_that_lost_content_silently_are_kept_or_named() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/gift/silent-losses.gift"
    ))
    .expect("fixture");
    let mut cards = Vec::new();
    let meta = gift::read(&bytes[..], &mut |card| {
        cards.push(card);
        Ok(())
    })
    .expect("reads");
    let by = |id: &str| cards.iter().find(|c| c.id == id).expect(id);
    assert_eq!(
        by("catch-all").explain.as_deref(),
        Some("For any other answer: Completely wrong: think of San Francisco.")
    );
    assert_eq!(
        by("comment").explain.as_deref(),
        Some("It met at the summit.")
    );
    assert_eq!(
        by("zero").explain.as_deref(),
        Some("Right.\nIf you answered 1997:0: That is the Founding Act.")
    );
    let warnings: Vec<(usize, &str)> = meta
        .warnings
        .iter()
        .map(|w| (w.line, w.message.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [
            (
                5,
                "media link kept as text: `<a href\\=\"http\\://example.org/media/rogozin.mp3\">` (detente \
                 shows no images or sound)"
            ),
            (
                9,
                "1 wrong answer(s) of a numerical question left out: `1997:0` (0%): a number card takes one \
                 right answer; their feedback is kept in the explanation"
            ),
        ]
    );
}
