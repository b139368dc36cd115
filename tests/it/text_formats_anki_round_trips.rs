//! Anki text round trips: every built-in deck exported as Anki "Notes in Plain Text" and read back, card by card and
//! with the deck's own fields, through the `#detente` lines Anki's importer skips; and a carried card that does not
//! belong to the note after it is not trusted.

use detente::deck::builtin::DECKS;
use detente::deck::convert::text::{read_anki, write_anki};
use detente::deck::convert::{DeckExtras, Meta};
use detente::deck::{Body, Card, parse_deck};

fn read(bytes: &[u8]) -> (Vec<Card>, Meta) {
    let mut cards = Vec::new();
    let meta = read_anki(bytes, &mut |card| {
        cards.push(card);
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(bytes)));
    (cards, meta)
}

/// Attack: an Anki export read back that loses a card's kind (a choice, multi, match, order, number or text card
/// shown as a Basic note comes back a flashcard), its explanation (folded into the back), hint, sources, allowed
/// warnings or id, or the deck's title, id, description, tags, sources, aliases or new order. Every built-in deck
/// goes out and comes back identical, with no reader warning; the only writer warnings name a hint.
#[test]
fn every_builtin_deck_round_trips_through_anki_text() {
    let mut total = 0;
    for b in DECKS {
        let (deck, _) = parse_deck(b.file, b.text);
        let deck = deck.expect("built-in deck parses");
        let mut out = Vec::new();
        let written = write_anki(&deck, &mut out).expect("write");
        assert_eq!(written.cards, deck.cards.len(), "{}", b.file);
        let hints = deck
            .cards
            .iter()
            .filter(|c| c.hint.is_some() && !matches!(c.body, Body::Cloze { .. }))
            .count();
        assert_eq!(
            written.warnings.len(),
            hints,
            "{}: {:?}",
            b.file,
            written.warnings
        );
        let (back, meta) = read(&out);
        assert!(meta.warnings.is_empty(), "{}: {:?}", b.file, meta.warnings);
        assert_eq!(
            meta.title.as_deref(),
            Some(deck.title.as_str()),
            "{}",
            b.file
        );
        assert_eq!(meta.deck, Some(DeckExtras::of(&deck)), "{}", b.file);
        assert_eq!(back.len(), deck.cards.len(), "{}", b.file);
        for (a, b2) in deck.cards.iter().zip(&back) {
            assert_eq!(b2, a, "{}", b.file);
        }
        total += back.len();
    }
    assert!(total > 150, "{total} cards");
}

/// Attack: a reader that takes a carried card for whatever note follows it (a hand-edited file whose note was
/// replaced), or that fails on a carried line it cannot read. Both are named in a warning at the comment's line and
/// the note is read as Anki shows it.
#[test]
fn a_carried_card_of_another_note_or_unreadable_is_named_and_ignored() {
    let text = "#separator:tab\n#html:false\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:6\n\
                #columns:GUID\tNotetype\tDeck\tFront\tBack\tTags\n\
                #detente card:{\"id\":\"other\",\"prompt\":\"P\",\"kind\":\"truefalse\",\"answer\":true}\n\
                d/one\tBasic\tD\tFront one\tBack one\t\n\
                #detente card:{not json\n\
                d/two\tBasic\tD\tFront two\tBack two\t\n";
    let (cards, meta) = read(text.as_bytes());
    let ids: Vec<&str> = cards.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["one", "two"]);
    assert!(matches!(cards[0].body, Body::Flashcard { .. }));
    let lines: Vec<usize> = meta.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [8, 10], "{:?}", meta.warnings);
    assert!(meta.warnings[0].message.contains("holds card `other`"));
    assert!(meta.warnings[1].message.contains("not readable"));
}

/// Attack: an Anki "Basic (type in the answer)" note read as a self-graded flashcard without a word, and a
/// `[sound:...]` in a column detente does not read dropped with only "columns ignored". Each note is named in a
/// warning at its line with the reason.
#[test]
fn typed_answer_notes_and_sound_columns_are_named() {
    let text = "#separator:tab\n#html:false\n#guid column:1\n#notetype column:2\n\
                #columns:GUID\tNotetype\tFront\tBack\tAudio\n\
                g1\tBasic (type in the answer)\tCapital of Portugal?\tLisbon\t\n\
                g2\tBasic\tNRC founded?\t2002\t[sound:nrc.mp3]\n";
    let (cards, meta) = read(text.as_bytes());
    assert_eq!(cards.len(), 2);
    assert!(matches!(cards[0].body, Body::Flashcard { .. }));
    let warnings: Vec<(usize, &str)> = meta
        .warnings
        .iter()
        .map(|w| (w.line, w.message.as_str()))
        .filter(|(_, m)| !m.starts_with("columns ignored"))
        .collect();
    assert_eq!(
        warnings,
        [
            (
                6,
                "note `g1`: a `Basic (type in the answer)` note, whose answer Anki checks as typed, becomes a \
                 self-graded flashcard"
            ),
            (
                7,
                "column 5 holds `[sound:nrc.mp3]`, which is left out: detente reads only the front and back \
                 columns and shows no images or sound"
            ),
        ]
    );
}
