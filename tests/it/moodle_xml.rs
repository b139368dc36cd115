//! Moodle XML both ways: a bank of our own that holds every question type and field Moodle's `qformat_xml` imports
//! (read question by question, every card and every warning asserted), malformed files (an error at the line and
//! column), the question-size limit, every built-in deck exported and read back card by card, and `deck convert` /
//! `deck export` on the command line, with the format recognised from the content.

use crate::support::detente;
use detente::deck::builtin::DECKS;
use detente::deck::convert::{ConvertError, DeckExtras, Meta, moodle};
use detente::deck::{Body, Card, parse_deck};
use predicates::prelude::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/moodle");

fn read(bytes: &[u8]) -> Result<(Vec<Card>, Meta), ConvertError> {
    let mut cards = Vec::new();
    let meta = moodle::read(bytes, &mut |card| {
        cards.push(card);
        Ok(())
    })?;
    Ok((cards, meta))
}

fn fixture(name: &str) -> (Vec<Card>, Meta) {
    let bytes = std::fs::read(format!("{DIR}/{name}")).expect("fixture");
    read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn card(id: &str, prompt: &str, body: Body, explain: Option<&str>, tags: &[&str]) -> Card {
    Card {
        id: id.into(),
        prompt: prompt.into(),
        body,
        explain: explain.map(str::to_string),
        source: Vec::new(),
        tags: strings(tags),
        hint: None,
        allow: Default::default(),
    }
}

/// Attack: a reader that drops or mistranslates any part of a question (a type, an answer's weight, a feedback, a
/// hint, a tag, a category, HTML and entities, units, a distractor, an embedded answer) or that loses something
/// without a warning naming the question. Every card of the bank is compared whole, and every warning by its text.
#[test]
fn every_question_of_the_ir_bank_reads_as_moodle_imports_it() {
    let (cards, meta) = fixture("ir-bank.xml");
    assert_eq!(meta.title.as_deref(), Some("IR 101: Institutions"));
    assert_eq!(meta.deck, None);
    let mut expected = vec![
        card(
            "ir101-unsc-p5",
            "Which state is not a permanent member of the UN Security Council?",
            Body::Choice {
                choices: strings(&["China", "Germany", "Russia"]),
                answer: "Germany".into(),
            },
            Some(
                "Article 23 of the UN Charter names the five.\nRight: Germany has only held elected seats.\n\
                 If you chose China: It is a permanent member.",
            ),
            &["un", "week-1"],
        ),
        card(
            "founding-members",
            "Which of these signed the North Atlantic Treaty in 1949?",
            Body::Multi {
                choices: strings(&["Norway", "Portugal", "Spain"]),
                answers: strings(&["Norway", "Portugal"]),
            },
            Some(
                "If you chose Portugal: Yes, under Salazar.\nIf you chose Spain: Spain joined in 1982.",
            ),
            &[],
        ),
        card(
            "capital-of-the-alliance",
            "Where is NATO headquartered?",
            Body::Choice {
                choices: strings(&["Brussels", "Mons", "Paris"]),
                answer: "Brussels".into(),
            },
            Some("If you chose Mons: That is SHAPE."),
            &[],
        ),
        card(
            "nrc-founded-2002",
            "The NATO\u{2013}Russia Council was founded in 1997.",
            Body::Truefalse { answer: false },
            Some(
                "Right: Rome, 2002.\nIf you chose true: 1997 is the Founding Act; the Council came in 2002.",
            ),
            &[],
        ),
        card(
            "treaty-of-1987",
            "Which treaty of 1987 banned intermediate-range missiles?",
            Body::Text {
                answers: strings(&["INF Treaty", "INF"]),
                reject: strings(&["Intermediate Treaty", "START"]),
            },
            Some(
                "Signed by Reagan & Gorbachev.\nYes.\nIf you answered Intermediate Treaty: Nearly: its name has \
                 \"Nuclear Forces\".\nIf you answered START: START is strategic.\nAny other answer: Think of \
                 Reykjavik.",
            ),
            &["week-2"],
        ),
        card(
            "inf-range",
            "What was the upper range limit of the INF Treaty? (in km)",
            Body::Number {
                answer: 5500.0,
                tolerance: 100.0,
            },
            Some(
                "5,500 km.\nIf you answered 5000: Close.\nAny other answer: Between 500 and 5,500 km.",
            ),
            &["week-2"],
        ),
        card(
            "treaties-and-years",
            "Match each treaty to its year.",
            Body::Match {
                pairs: vec![
                    ("North Atlantic Treaty".into(), "1949".into()),
                    ("INF Treaty".into(), "1987".into()),
                    ("New START".into(), "2010".into()),
                ],
            },
            None,
            &["week-2"],
        ),
        card(
            "enlargement-order",
            "Put these accessions in order, earliest first.",
            Body::Order {
                items: strings(&["The twelve founders", "Greece and Turkey", "West Germany"]),
            },
            None,
            &["week-2"],
        ),
        card(
            "lisbon-summit",
            "At Lisbon in {{2010}} NATO adopted a new {{Strategic Concept|strategic concept}} and invited \
             {{Russia}} to cooperate on missile defence.",
            Body::Cloze {
                reject: strings(&["Charter"]),
            },
            Some(
                "Sherr, 2010.\nBlank 2: Yes\nBlank 2, if you answered Charter: No, a concept.\nBlank 3: Right\n\
                 Blank 3, if you answered Ukraine: No",
            ),
            &["week-2"],
        ),
        card(
            "realpolitik",
            "Define Realpolitik.",
            Body::Flashcard {
                answer: "Politics based on power and interests\nrather than ideals.".into(),
                reverse: false,
            },
            None,
            &["glossary"],
        ),
        card(
            "act-paris",
            "In which city was the NATO-Russia Founding Act signed?",
            Body::Text {
                answers: strings(&["Paris"]),
                reject: Vec::new(),
            },
            None,
            &["glossary"],
        ),
    ];
    expected[0].hint = Some("Think of 1945.".into());
    expected[1].hint = Some("Twelve states signed.".into());
    for (want, got) in expected.iter().zip(&cards) {
        assert_eq!(got, want);
    }
    assert_eq!(cards.len(), expected.len());

    let said: Vec<(usize, &str)> = meta
        .warnings
        .iter()
        .map(|w| (w.line, w.message.as_str()))
        .collect();
    let want: Vec<(usize, &str)> = vec![
        (
            73,
            "question `Founding members`: 1 more hint(s) left out: detente shows one hint",
        ),
        (
            73,
            "question `Founding members`: its mark (2) is left out: every detente question counts one",
        ),
        (
            73,
            "question `Founding members`: its penalty for each wrong try (0.1) is left out: detente has no penalties",
        ),
        (
            73,
            "question `Founding members`: its <correctfeedback> `Well done: all twelve founders.` is left out: \
             detente's feedback is the explanation",
        ),
        (
            116,
            "question `Capital of the alliance`: `Evere` is also right in Moodle; detente's choice has one right \
             answer, `Brussels`, so it is left out of the choices",
        ),
        (
            116,
            "question `Capital of the alliance`: partial credit (50%) for `Mons` is left out; it counts as wrong",
        ),
        (
            116,
            "question `Capital of the alliance`: it is hidden in Moodle; converted all the same",
        ),
        (
            167,
            "category `IR 101: Institutions/Week 2`: its description is left out: detente keeps no category text",
        ),
        (
            177,
            "question `Treaty of 1987`: it is case-sensitive in Moodle; detente accepts any case",
        ),
        (
            177,
            "question `Treaty of 1987`: partial credit (50%) for `Intermediate Treaty` is left out; it counts as \
             wrong",
        ),
        (
            215,
            "question `INF range`: partial credit (50%) for `5000` is left out; it counts as wrong",
        ),
        (
            215,
            "question `INF range`: its unit `km` is named in the prompt; the answer is typed without it",
        ),
        (
            215,
            "question `INF range`: its other units (m) are left out: detente takes the number in the first unit",
        ),
        (
            261,
            "question `Treaties and years`: the extra wrong answer `1972` is left out: detente's match has no \
             distractors",
        ),
        (
            335,
            "question `Lisbon summit`: blank 3 is a choice in Moodle; detente's blank is typed, so its other \
             choices (Ukraine) are left out",
        ),
        (
            385,
            "question `Open essay`: skipped: an essay without grader information has no answer for a flashcard's \
             back",
        ),
        (
            403,
            "media link kept as text: `<img src=\"@@PLUGINFILE@@/map.png\" alt=\"map\">` (detente shows no images \
             or sound)",
        ),
        (
            398,
            "question `Reading note`: skipped: a description asks nothing",
        ),
        (
            398,
            "question `Reading note`: the embedded file `map.png` is left out: detente shows no images or sound",
        ),
        (
            410,
            "question `Defence spending`: skipped: Moodle's question type `calculated` has no detente card kind",
        ),
        (
            420,
            "question `Founding Act`: the embedded file `paris.jpg` is left out: detente shows no images or sound",
        ),
    ];
    for (i, (w, g)) in want.iter().zip(&said).enumerate() {
        assert_eq!(g, w, "warning {i}");
    }
    assert_eq!(said.len(), want.len(), "{said:#?}");
}

/// Attack: a reader that knows only the current layout (`<category><text>`), or that reads `//` as a path
/// separator: Moodle 1.9 wrote the path as the element's own text, and `//` is a `/` inside one name.
#[test]
fn the_old_category_layout_names_the_deck() {
    let (cards, meta) = fixture("old-category.xml");
    assert_eq!(meta.title.as_deref(), Some("Old layout/Archive"));
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].body, Body::Truefalse { answer: true });
    assert!(meta.warnings.is_empty(), "{:?}", meta.warnings);
}

/// Attack: an XML error reported without its place, or at the wrong line; a file of another kind read as an empty
/// bank; a file cut short accepted.
#[test]
fn malformed_files_fail_at_the_line_and_column_of_the_problem() {
    let cases: [(&[u8], usize, usize, &str); 5] = [
        (
            &std::fs::read(format!("{DIR}/malformed.xml")).expect("fixture"),
            6,
            27,
            "not well-formed XML",
        ),
        (b"<html>\n<body>", 1, 7, "the root element is <html>"),
        (b"::Q::What? {=a}\n", 2, 1, "there is no <quiz> element"),
        (
            b"<quiz>\n<question type=\"truefalse\">\n<name><text>x</text></name>\n",
            4,
            1,
            "the file ends inside the <question> that starts on line 2",
        ),
        (
            b"<quiz>\n<question type=\"truefalse\">\n<questiontext><text>a &nbsp; b</text></questiontext>",
            3,
            0,
            "`&nbsp;` is no entity XML defines",
        ),
    ];
    for (bytes, line, column, text) in cases {
        match read(bytes) {
            Err(ConvertError::Input {
                line: l,
                column: c,
                message,
            }) => {
                assert_eq!(l, line, "{message}");
                if column > 0 {
                    assert_eq!(c, column, "{message}");
                }
                assert!(message.contains(text), "{message}");
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }
}

/// Attack: a reader that holds a question of any size (an embedded video) in memory whole; the limit must stop it
/// at the question's line, and a bank of small questions must pass.
#[test]
fn a_question_over_the_size_limit_stops_at_its_line() {
    let mut xml = String::from(
        "<quiz>\n<question type=\"essay\">\n<name><text>big</text></name>\n<questiontext>",
    );
    xml.push_str("<text>");
    xml.push_str(&"x".repeat(detente::deck::convert::MAX_QUESTION_BYTES + 10));
    xml.push_str("</text></questiontext></question></quiz>\n");
    match read(xml.as_bytes()) {
        Err(ConvertError::Input { line, message, .. }) => {
            assert_eq!(line, 2, "{message}");
            assert!(message.contains("longer than 1 MiB"), "{message}");
        }
        other => panic!("expected the limit, got {other:?}"),
    }
}

/// Attack: a writer or reader that loses anything of a card (an id, a kind, a prompt, an answer, a reject, a
/// tolerance, an explanation, a hint, tags, sources, allowed warnings, a reverse side) or of the deck (its id, title,
/// description, tags, source, aliases, new order) on the way through Moodle XML. Every built-in deck goes out and
/// comes back; every card must come back identical, and the only writer warnings allowed name a card whose reverse
/// side Moodle cannot ask.
#[test]
fn every_builtin_deck_round_trips_through_moodle_xml() {
    let mut total = 0;
    for b in DECKS {
        let (deck, _) = parse_deck(b.file, b.text);
        let deck = deck.expect("built-in deck parses");
        let mut out = Vec::new();
        let written = moodle::write(&deck, &mut out).expect("write");
        assert_eq!(written.cards, deck.cards.len(), "{}", b.file);
        for w in &written.warnings {
            assert!(
                w.message.contains("its reverse side is kept for detente"),
                "{}: {w:?}",
                b.file
            );
        }
        let (back, meta) = read(&out)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", b.file, String::from_utf8_lossy(&out)));
        crate::support::assert_same_deck(b.file, &deck, &back, &meta);
        let reverse = deck
            .cards
            .iter()
            .filter(|c| matches!(c.body, Body::Flashcard { reverse: true, .. }))
            .count();
        assert_eq!(written.warnings.len(), reverse, "{}", b.file);
        total += back.len();
    }
    assert!(total > 150, "{total} cards");
}

/// Attack: text that breaks XML or Moodle's cloze syntax on the way out (`<`, `&`, `]]>`, `}`, `~`, `#`, `/`, `"`,
/// `--` in a comment, newlines, a leading format tag) and does not come back as written.
#[test]
fn awkward_text_round_trips() {
    let text = r#"[deck]
id = "awkward"
title = "A/B <&> tests"
description = "Has -- dashes -- and ]]> too"

[[card]]
id = "cloze-escapes"
kind = "cloze"
prompt = "Use {{a}b|c~d}} and {{e#f/g\"h}} <b>&amp;</b>"
reject = ["x}y"]
source = [{ locator = "p. 3 -- note" }]

[[card]]
id = "lines"
kind = "flashcard"
prompt = "Two\nlines & <tags>"
answer = "]]> and -->"
reverse = true
hint = "A <hint>"

[[card]]
id = "number"
kind = "number"
prompt = "Pi?"
answer = -3.14159
tolerance = 0.001
"#;
    let (deck, diags) = parse_deck("awkward.toml", text);
    let deck = deck.unwrap_or_else(|| panic!("{diags:?}"));
    let mut out = Vec::new();
    moodle::write(&deck, &mut out).expect("write");
    let (back, meta) =
        read(&out).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&out)));
    assert!(meta.warnings.is_empty(), "{:?}", meta.warnings);
    assert_eq!(meta.title.as_deref(), Some("A/B <&> tests"));
    assert_eq!(meta.deck, Some(DeckExtras::of(&deck)));
    assert_eq!(back, deck.cards);
}

/// Attack: `deck convert` that reads a Moodle XML file as the format asked and reports a misleading "no question
/// could be converted", or that cannot tell the format without `--from`; `deck export --format moodle-xml` whose
/// output `deck convert` does not read back into a deck `deck check` accepts.
#[test]
fn the_command_line_recognises_moodle_xml_and_round_trips_a_deck() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let bank = format!("{DIR}/ir-bank.xml");
    let out = dir.path().join("out.toml");
    detente(&db)
        .args(["deck", "convert", "--from", "gift", &bank, "-o"])
        .arg(&out)
        .assert()
        .code(65)
        .stderr(predicate::str::contains(
            "ir-bank.xml is Moodle XML, not Moodle GIFT: convert it with `--from moodle-xml`",
        ));
    assert!(!out.exists());
    let gift = dir.path().join("bank.gift");
    std::fs::write(&gift, "::Q1::Who? {=Me}\n").expect("write");
    detente(&db)
        .args(["deck", "convert", "--from", "moodle-xml"])
        .arg(&gift)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(65)
        .stderr(predicate::str::contains(
            "is not Moodle XML: it looks like Moodle GIFT; convert it with `--from gift`",
        ));
    detente(&db)
        .args(["deck", "convert", &bank, "-o"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("as Moodle XML (recognised"))
        .stderr(predicate::str::contains("11 card(s), 21 warning(s)"))
        .stderr(predicate::str::contains(
            "ir-bank.xml:73: warning: question `Founding members`",
        ));
    detente(&db)
        .args(["deck", "check"])
        .arg(&out)
        .assert()
        .success();

    // A built-in deck out as Moodle XML and back in: the same deck, by `deck check` and by its TOML export.
    let xml = dir.path().join("sherr.xml");
    detente(&db)
        .args([
            "deck",
            "export",
            "sherr-lisbon-2010",
            "--format",
            "moodle-xml",
            "-o",
        ])
        .arg(&xml)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("as").and(predicate::str::contains("Moodle XML question(s)")),
        );
    let back = dir.path().join("back.toml");
    detente(&db)
        .args(["deck", "convert", "--from", "moodle-xml"])
        .arg(&xml)
        .arg("-o")
        .arg(&back)
        .assert()
        .success()
        .stderr(predicate::str::contains("(deck `sherr-lisbon-2010`)"));
    let (deck, diags) = parse_deck("back.toml", &std::fs::read_to_string(&back).expect("read"));
    assert!(
        diags
            .iter()
            .all(|d| d.severity != detente::deck::Severity::Error),
        "{diags:?}"
    );
    let original = DECKS
        .iter()
        .find(|b| b.file.contains("sherr"))
        .map(|b| parse_deck(b.file, b.text).0.expect("parses"))
        .expect("sherr deck");
    assert_eq!(deck.expect("parses"), original);
}

/// Attack: a negative mark on a one-answer question dropped without a word, and the all-or-nothing multiple choice
/// of Moodle's plugins (`multichoiceset`) skipped or read with weights it does not have.
#[test]
fn negative_marks_are_named_and_all_or_nothing_choice_is_a_multi_card() {
    let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="multichoice">
    <name><text>Penalised</text></name>
    <questiontext format="html"><text>Who chairs the NRC?</text></questiontext>
    <single>true</single>
    <answer fraction="100"><text>NATO's Secretary General</text></answer>
    <answer fraction="-33.33333"><text>Russia's foreign minister</text></answer>
  </question>
  <question type="multichoiceset">
    <name><text>All or nothing</text></name>
    <questiontext format="html"><text>Which are NATO members?</text></questiontext>
    <answer fraction="100"><text>Norway</text></answer>
    <answer fraction="100"><text>Turkey</text></answer>
    <answer fraction="0"><text>Sweden (before 2024)</text></answer>
  </question>
</quiz>
"#;
    let (cards, meta) = read(xml).expect("reads");
    assert_eq!(
        cards[0].body,
        Body::Choice {
            choices: strings(&["NATO's Secretary General", "Russia's foreign minister"]),
            answer: "NATO's Secretary General".into(),
        }
    );
    assert_eq!(
        cards[1].body,
        Body::Multi {
            choices: strings(&["Norway", "Turkey", "Sweden (before 2024)"]),
            answers: strings(&["Norway", "Turkey"]),
        }
    );
    let said: Vec<&str> = meta.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        said,
        [
            "question `Penalised`: the negative mark (-33.33333%) for `Russia's foreign minister` is left out; it counts \
          as wrong"
        ]
    );
}
