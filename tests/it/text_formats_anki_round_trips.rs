//! Anki text round trips: every built-in deck exported as Anki "Notes in Plain Text" and read back, card by card and
//! with the deck's own fields, through the `#detente` lines Anki's importer skips; and a carried card that does not
//! belong to the note after it is not trusted; and all five built-in decks in one Anki file come back through
//! `deck convert FILE -o DIR/` as five deck files, each with its own ids.

use crate::support::detente;
use detente::deck::builtin::DECKS;
use detente::deck::convert::text::{read_anki, read_anki_decks, write_anki, write_anki_decks};
use detente::deck::convert::{DeckExtras, Meta, Part};
use detente::deck::{Body, Card, Deck, parse_deck};
use predicates::prelude::*;

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
        crate::support::assert_same_deck(b.file, &deck, &back, &meta);
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

fn builtin_decks() -> Vec<Deck> {
    DECKS
        .iter()
        .map(|b| parse_deck(b.file, b.text).0.expect("built-in deck parses"))
        .collect()
}

/// Attack: a multi-deck Anki export read back as one deck (every deck's title and fields but the first lost, the cards
/// of all in one file), or a `-o FILE` that quietly merges the decks (ids that repeat across decks are attacked below,
/// on two decks that share them). All five built-in decks go out in one file through `deck export ID... --format anki`,
/// come back through `deck convert FILE -o DIR/` as five files named by their ids, and each parses as its source, deck
/// fields and cards identical, card by card; `-o FILE` is refused and writes nothing, and a second conversion into the
/// same folder writes over nothing.
#[test]
fn a_multi_deck_anki_export_comes_back_as_its_decks() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let all = dir.path().join("all.txt");
    let sources = builtin_decks();
    let ids: Vec<&str> = sources.iter().map(|d| d.id.as_str()).collect();
    detente(&db)
        .args(["deck", "export"])
        .args(&ids)
        .args(["--format", "anki", "-o"])
        .arg(&all)
        .assert()
        .success();
    let one = dir.path().join("one.toml");
    detente(&db)
        .args(["deck", "convert"])
        .arg(&all)
        .arg("-o")
        .arg(&one)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds 5 decks"));
    assert!(!one.exists());
    let out = dir.path().join("decks");
    detente(&db)
        .args(["deck", "convert"])
        .arg(&all)
        .arg("-o")
        .arg(format!("{}/", out.display()))
        .assert()
        .success()
        .stderr(predicate::str::contains("5 deck(s)"))
        .stderr(predicate::str::contains("0 warning(s)"));
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = ids.iter().map(|i| format!("{i}.toml")).collect();
    expected.sort();
    assert_eq!(files, expected, "one file per deck, nothing else left");
    for source in &sources {
        let file = out.join(format!("{}.toml", source.id));
        let text = std::fs::read_to_string(&file).expect("deck file");
        let (back, diags) = parse_deck(&file.display().to_string(), &text);
        let back = back.unwrap_or_else(|| panic!("{}: {diags:?}", source.id));
        assert_eq!(DeckExtras::of(&back), DeckExtras::of(source));
        assert_eq!(back.title, source.title);
        assert_eq!(back.cards.len(), source.cards.len(), "{}", source.id);
        for (a, b) in source.cards.iter().zip(&back.cards) {
            assert_eq!(b, a, "{}", source.id);
        }
    }
    let before = std::fs::read(out.join(format!("{}.toml", ids[0]))).expect("read");
    std::fs::write(out.join(format!("{}.toml", ids[1])), "edited").expect("edit");
    detente(&db)
        .args(["deck", "convert"])
        .arg(&all)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exist"));
    assert_eq!(
        std::fs::read(out.join(format!("{}.toml", ids[0]))).expect("read"),
        before
    );
    assert_eq!(
        std::fs::read_to_string(out.join(format!("{}.toml", ids[1]))).expect("read"),
        "edited"
    );
}

/// Attack: a reader that starts a deck only at the file's head, so the second deck's cards land in the first or a
/// deck line with no note after it vanishes without a word. Two decks sharing a card id come back as two `Deck`
/// parts, each followed by its own cards under their own ids; an empty third deck is named in a warning at its
/// line; the one-deck reader names where the second deck starts and lists both ids.
#[test]
fn the_deck_reader_starts_each_deck_and_names_an_empty_one() {
    let mut a = builtin_decks().remove(1);
    a.cards.truncate(2);
    let mut b = a.clone();
    b.id = "copy".into();
    b.title = "Copy".into();
    let empty = Deck {
        id: "empty".into(),
        cards: Vec::new(),
        ..a.clone()
    };
    let mut bytes = Vec::new();
    write_anki_decks(&[a.clone(), b.clone(), empty], &mut bytes).expect("write");
    let mut parts = Vec::new();
    let meta = read_anki_decks(&bytes[..], &mut |p| {
        parts.push(p);
        Ok(())
    })
    .expect("read");
    let shape: Vec<String> = parts
        .iter()
        .map(|p| match p {
            Part::Deck(d) => format!("deck {} {:?}", d.extras.id, d.title),
            Part::Card(c) => c.id.clone(),
        })
        .collect();
    let (c0, c1) = (&a.cards[0].id, &a.cards[1].id);
    assert_eq!(
        shape,
        [
            format!("deck {} {:?}", a.id, Some(&a.title)),
            c0.clone(),
            c1.clone(),
            "deck copy Some(\"Copy\")".into(),
            c0.clone(),
            c1.clone(),
        ]
    );
    assert_eq!(meta.decks, [a.id.as_str(), "copy", "empty"]);
    assert_eq!(meta.warnings.len(), 1, "{:?}", meta.warnings);
    assert!(
        meta.warnings[0]
            .message
            .contains("deck `empty` has no note")
    );
    let text = String::from_utf8(bytes.clone()).expect("utf8");
    let empty_line = text
        .lines()
        .position(|l| l.starts_with("#detente deck:{\"id\":\"empty\""))
        .expect("empty deck line")
        + 1;
    assert_eq!(meta.warnings[0].line, empty_line);
    let (_, merged) = read(&bytes);
    assert_eq!(merged.decks, [a.id.as_str(), "copy", "empty"]);
    assert!(
        merged
            .warnings
            .iter()
            .any(|w| w.message.contains("deck `copy` starts here")),
        "{:?}",
        merged.warnings
    );
}
