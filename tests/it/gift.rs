//! The GIFT reader on a corpus of real GIFT files (Moodle's examples, its export fixture, an IR bank using every
//! construct, CRLF, BOM, skipped questions, malformed files), and the writer's layout and round trips.

use detente::deck::convert::{ConvertError, Warning, gift, write_toml};
use detente::deck::{Body, Card, Deck, Severity, parse_deck};
use std::collections::BTreeMap;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/gift");

/// Reads GIFT text, collecting the cards the reader emits.
fn read(bytes: &[u8]) -> Result<(Vec<Card>, Vec<Warning>), ConvertError> {
    let mut cards = Vec::new();
    let meta = gift::read(bytes, &mut |card| {
        cards.push(card);
        Ok(())
    })?;
    Ok((cards, meta.warnings))
}

fn corpus(name: &str) -> (Vec<Card>, Vec<Warning>) {
    let bytes = std::fs::read(format!("{DIR}/{name}")).expect("corpus file");
    read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn card<'a>(cards: &'a [Card], id: &str) -> &'a Card {
    cards
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no card `{id}` among {:?}", ids(cards)))
}

fn ids(cards: &[Card]) -> Vec<&str> {
    cards.iter().map(|c| c.id.as_str()).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn warning_lines(warnings: &[Warning]) -> Vec<usize> {
    warnings.iter().map(|w| w.line).collect()
}

fn choice(choices: &[&str], answer: &str) -> Body {
    Body::Choice {
        choices: strings(choices),
        answer: answer.into(),
    }
}

fn text(answers: &[&str], reject: &[&str]) -> Body {
    Body::Text {
        answers: strings(answers),
        reject: strings(reject),
    }
}

fn number(answer: f64, tolerance: f64) -> Body {
    Body::Number { answer, tolerance }
}

#[test]
fn the_reference_examples_read_as_moodle_reads_them() {
    let (cards, warnings) = corpus("formats-examples.gift");
    assert_eq!(ids(&cards), ["ir101-unsc-p5", "nato-art-5", "p5-set"]);

    let p5 = &cards[0];
    assert_eq!(
        p5.prompt,
        "Which state is NOT a permanent member of the UN Security Council?"
    );
    assert_eq!(
        p5.body,
        choice(&["China", "France", "Germany", "Russia"], "Germany")
    );
    // The general feedback, then every answer's feedback: the right one's, and "If you chose X" for the others.
    assert_eq!(
        p5.explain.as_deref(),
        Some(
            "Permanent members are named in Article 23 of the UN Charter.\n\
             Correct: Germany has only ever held an elected seat.\n\
             If you chose China: It is a permanent member.\n\
             If you chose France: It is a permanent member.\n\
             If you chose Russia: It is a permanent member (as successor to the USSR)."
        )
    );
    assert_eq!(p5.tags, ["ir-101/week-1-institutions", "un", "week1"]);

    let art5 = &cards[1];
    assert_eq!(art5.body, text(&["Article 5", "Art. 5", "5"], &[]));
    // Feedback on an answer detente cannot take (partial credit) is kept all the same.
    assert_eq!(
        art5.explain.as_deref(),
        Some("If you answered Article V: Roman numerals earn half credit.")
    );
    assert_eq!(art5.tags, ["ir-101/week-1-institutions"]);

    let set = &cards[2];
    assert_eq!(
        set.prompt,
        "In set notation P5 = {CN, FR, RU, UK, US}. How many members does it have?"
    );
    assert_eq!(set.body, number(5.0, 0.0));

    assert_eq!(warning_lines(&warnings), [12]);
    assert!(warnings[0].message.contains("Article V"), "{warnings:?}");
}

#[test]
#[allow(clippy::approx_constant)] // Moodle's example asks for pi to 3 decimal places.
fn moodle_examples_read_with_moodle_semantics() {
    let (cards, warnings) = corpus("moodle-examples.gift");
    let kinds: Vec<&str> = cards.iter().map(|c| c.body.kind()).collect();
    assert_eq!(
        kinds,
        [
            "choice",
            "choice",
            "truefalse",
            "text",
            "number",
            "choice",
            "choice",
            "cloze",
            "truefalse",
            "match",
            "number",
            "number",
            "number",
            "text",
            "choice",
            "text",
            "truefalse",
            "choice",
            "text",
            "multi",
            "choice",
            "choice",
            "number",
        ]
    );
    // The same question text twice gets a second id.
    assert_eq!(cards[0].id, "who-s-buried-in-grant-s-tomb");
    assert_eq!(cards[3].id, "who-s-buried-in-grant-s-tomb-2");
    assert_eq!(
        cards[0].body,
        choice(&["Grant", "Jefferson", "no one"], "no one")
    );

    // Missing word: multiple choice keeps a blank where the block was; short answer becomes a cloze.
    assert_eq!(cards[1].prompt, "Grant is _____ in Grant's tomb.");
    assert_eq!(
        cards[1].body,
        choice(&["buried", "entombed", "living"], "entombed")
    );
    assert_eq!(
        cards[5].prompt,
        "The American holiday of Thanksgiving is celebrated on the _____ Thursday of November."
    );
    assert_eq!(cards[7].prompt, "Two plus two equals {{four|4}}.");
    assert_eq!(cards[7].body, Body::Cloze { reject: vec![] });

    assert_eq!(cards[2].body, Body::Truefalse { answer: false });
    assert_eq!(cards[8].body, Body::Truefalse { answer: true });
    assert_eq!(cards[3].body, text(&["no one", "nobody"], &[]));
    assert_eq!(cards[4].body, number(1822.0, 1.0));
    assert_eq!(
        cards[9].body,
        Body::Match {
            pairs: vec![
                ("Canada".into(), "Ottawa".into()),
                ("Italy".into(), "Rome".into()),
                ("Japan".into(), "Tokyo".into()),
                ("India".into(), "New Delhi".into()),
            ]
        }
    );
    // `{#3.1415:0.0005}.` is in missing-word form: the text goes on after the block.
    assert_eq!(
        cards[10].prompt,
        "What is the value of pi (to 3 decimal places)? _____."
    );
    assert_eq!(cards[10].body, number(3.1415, 0.0005));
    // `{#3.141..3.142}` keeps the decimals it was written with: no float noise from the midpoint.
    assert_eq!(cards[11].body, number(3.1415, 0.0005));
    let Body::Number { answer, tolerance } = cards[11].body else {
        panic!("{:?}", cards[11].body)
    };
    assert_eq!(
        detente::text::format_number(answer, tolerance),
        "3.1415 \u{b1} 0.0005"
    );
    assert_eq!(cards[12].prompt, "What's 2 plus 2?");

    // A name, and a question text over two lines.
    assert_eq!(cards[13].id, "kanji-origins");
    assert_eq!(
        cards[13].prompt,
        "Japanese characters originally\ncame from what country?"
    );
    // Per-answer feedback: the right answer's explains, the wrong answers' follow as "If you chose X: ...".
    assert_eq!(
        cards[14].explain.as_deref(),
        Some(
            "Very good!\n\
             If you chose wrong answer: feedback comment on the wrong answer\n\
             If you chose another wrong answer: feedback comment on this wrong answer"
        )
    );
    assert_eq!(cards[15].prompt, "Who's buried in **Grant's tomb**?");
    assert_eq!(cards[15].explain.as_deref(), Some("excellent answer!"));
    // One `#` after FALSE is the feedback Moodle shows for a wrong answer (True), kept as such.
    assert_eq!(
        cards[16].explain.as_deref(),
        Some("If you chose True: No one is buried in Grant's tomb.")
    );
    assert_eq!(
        cards[17].body,
        choice(
            &["wrong answer", "half credit answer", "full credit answer"],
            "full credit answer"
        )
    );
    assert_eq!(cards[18].id, "jesus-hometown");
    assert_eq!(cards[18].body, text(&["Nazareth"], &[]));
    assert_eq!(
        cards[19].body,
        Body::Multi {
            choices: strings(&["No one", "Grant", "Grant's wife", "Grant's father"]),
            answers: strings(&["Grant", "Grant's wife"]),
        }
    );
    assert_eq!(
        cards[20].body,
        choice(&["= 2 + 2", "= 2 + 3", "= 2 + 4"], "= 2 + 3")
    );
    assert_eq!(
        cards[21].body,
        choice(&["~", "=", "#", "{", "}", "\\"], "\\")
    );
    assert_eq!(cards[22].id, "numerical-example");
    assert_eq!(cards[22].body, number(1822.0, 0.0));
    // The 50% alternative is dropped with a warning, but its feedback is kept.
    assert_eq!(
        cards[22].explain.as_deref(),
        Some(
            "Correct! 100% credit\nIf you answered 1822:2: He was born in 1822.\n                  You get 50% \
             credit for being close."
        )
    );

    // Partial credit, which detente does not have, is dropped with a warning at the question's line.
    assert_eq!(warning_lines(&warnings), [58, 60, 60, 88]);
    assert!(warnings[0].message.contains("half credit answer"));
    assert!(warnings[1].message.contains("Nazereth"));
    assert!(warnings[2].message.contains("Bethlehem"));
}

#[test]
fn moodle_export_fixture_reads_with_html_and_a_default_category() {
    let (cards, warnings) = corpus("moodle-export.gift");
    assert_eq!(
        ids(&cards),
        [
            "moodle-activities",
            "greeting",
            "moodle-user",
            "moodle-acronym"
        ]
    );
    // `$course$/Default for New Features` names no category of the teacher's.
    assert!(cards.iter().all(|c| c.tags.is_empty()), "{cards:?}");
    let Body::Match { pairs } = &cards[0].body else {
        panic!("{:?}", cards[0].body)
    };
    assert_eq!(pairs.len(), 4);
    assert_eq!(
        pairs[0],
        (
            "An activity supporting asynchronous discussions.".into(),
            "Forum".into()
        )
    );
    assert_eq!(
        cards[1].prompt,
        "Listen to this greeting:\n\nWhat language is being spoken?"
    );
    assert_eq!(
        cards[1].body,
        choice(&["English", "French", "German", "Spanish"], "French")
    );
    assert_eq!(
        cards[1].explain.as_deref(),
        Some(
            "Yes, well done!\n\
             If you chose English: Sorry, listen again.\n\
             If you chose German: Sorry, listen again.\n\
             If you chose Spanish: Sorry, listen again."
        )
    );
    assert_eq!(cards[2].body, text(&["Moodler"], &[]));
    assert_eq!(cards[2].explain, None);
    assert_eq!(
        cards[3].prompt,
        "Moodle is an acronym for Modular Object-Oriented Dynamic Learning Environment."
    );
    assert_eq!(cards[3].body, Body::Truefalse { answer: true });
    // The right-side distractor `= -> Chat`, and the link to an mp3 file Moodle would play (line 14).
    assert_eq!(warning_lines(&warnings), [5, 14]);
    assert!(warnings[0].message.contains("distractor"));
    assert!(
        warnings[1]
            .message
            .contains("media link kept as text: `<a href"),
        "{:?}",
        warnings[1]
    );
}

#[test]
fn every_construct_of_the_ir_bank() {
    let (cards, warnings) = corpus("ir-bank.gift");
    let week1 = "ir-101/week-1-institutions";

    // [id:] and [tag:] comments give the next question's id and tags, after the category's tag.
    let veto = card(&cards, "unsc-veto");
    assert_eq!(veto.tags, [week1, "un", "concept-veto"]);
    // T/F: the first `#` is shown when answered wrongly, the second when rightly; the right one explains, the
    // wrong one is kept as "If you chose ...".
    assert_eq!(veto.body, Body::Truefalse { answer: true });
    assert_eq!(
        veto.explain.as_deref(),
        Some(
            "Yes: Article 27(3) gives each permanent member a veto.\n\
             If you chose False: No: read Article 27(3) of the Charter again."
        )
    );
    let league = card(&cards, "league-and-us");
    assert_eq!(league.body, Body::Truefalse { answer: false });
    assert_eq!(
        league.explain.as_deref(),
        Some(
            "Wilson's League opened in 1920 without the United States.\n\
             Right.\n\
             If you chose True: It did not: the Senate rejected the Treaty of Versailles."
        )
    );

    // An escaped colon in a name; %0% answers are rejects; the right answer's feedback explains.
    let art51 = card(&cards, "art-51");
    assert_eq!(
        art51.body,
        text(&["Article 51", "Art. 51", "51"], &["Article 5"])
    );
    assert_eq!(
        art51.explain.as_deref(),
        Some(
            "Yes: \"the inherent right of individual or collective self-defence\".\n\
             If you answered Article 52: Close: Article 52 is about regional arrangements.\n\
             If you answered Article 5: That is the North Atlantic Treaty's clause."
        )
    );

    // Weighted numerical alternatives and a `~#` wrong-answer feedback: the 100% answer is kept, and every
    // feedback with it.
    let founded = card(&cards, "un-founding");
    assert_eq!(founded.tags, [week1, "un"]);
    assert_eq!(
        founded.prompt,
        "In which year was the United Nations founded?"
    );
    assert_eq!(founded.body, number(1945.0, 0.0));
    assert_eq!(
        founded.explain.as_deref(),
        Some(
            "Yes: the Charter entered into force in October 1945.\nIf you answered 1944..1946: Close.\nFor any other \
             answer: Think of the San Francisco conference."
        )
    );

    let westphalia = card(&cards, "westphalia");
    assert_eq!(
        westphalia.prompt,
        "The Peace of Westphalia was signed in _____ and ended the Thirty Years' War."
    );
    assert_eq!(westphalia.body, number(1648.0, 0.0));
    assert_eq!(card(&cards, "defcon").body, number(3.0, 2.0));
    assert_eq!(card(&cards, "stanley").body, number(-52.0, 1.0));

    let founders = card(&cards, "founders");
    assert_eq!(
        founders.body,
        Body::Match {
            pairs: vec![
                ("United Nations".into(), "1945".into()),
                ("NATO".into(), "1949".into()),
                ("European Coal and Steel Community".into(), "1951".into()),
            ]
        }
    );
    assert_eq!(
        founders.explain.as_deref(),
        Some("The League of Nations (1919) is the distractor.")
    );

    assert_eq!(
        card(&cards, "p5-pick").body,
        Body::Multi {
            choices: strings(&["France", "China", "Germany", "Japan"]),
            answers: strings(&["France", "China"]),
        }
    );
    let washington = card(&cards, "washington");
    assert_eq!(
        washington.prompt,
        "The North Atlantic Treaty was signed in _____ in April 1949."
    );
    assert_eq!(
        washington.body,
        choice(&["Paris", "Washington", "London"], "Washington")
    );

    // A missing-word short answer is a cloze; `\]` in a tag comment is a `]`.
    let secgen = card(&cards, "secgen");
    assert_eq!(
        secgen.prompt,
        "The UN Secretary-General is appointed by the General Assembly on the recommendation of the \
         {{Security Council|UNSC}} (Article 97)."
    );
    assert_eq!(
        secgen.body,
        Body::Cloze {
            reject: strings(&["General Assembly"])
        }
    );
    assert_eq!(secgen.tags, [week1, "un", "actor-s"]);

    let versailles = card(&cards, "versailles");
    assert_eq!(
        versailles.prompt,
        "The Treaty of Versailles _____ the League of Nations' Covenant as its Part I."
    );
    assert_eq!(versailles.body, Body::Truefalse { answer: true });

    let escapes = card(&cards, "escapes-all-of-them");
    assert_eq!(
        escapes.prompt,
        "In GIFT, which character escapes ~ = # { } and : ?\nPick one."
    );
    assert_eq!(escapes.body, choice(&["\\", "/", "|"], "\\"));
    assert_eq!(escapes.explain.as_deref(), Some("Yes: a backslash."));

    // `//` in the middle of a line is no comment.
    let treaties = card(&cards, "where-does-the-un-publish-its-treaty-collection");
    assert_eq!(
        treaties.body,
        text(&["https://treaties.un.org", "treaties.un.org"], &[])
    );

    // `//` in a category name is a literal `/`; raw colons; `Default for ...` and `top` are left out.
    let anarchy = card(&cards, "anarchy");
    assert_eq!(anarchy.tags, ["theory-realism-liberalism"]);
    assert_eq!(
        anarchy.prompt,
        "For realists, the international system is {{anarchic|anarchy}}."
    );
    // A comment line inside a question is dropped; [id:] wins over the name.
    let kennan = card(&cards, "kennan-telegram");
    assert_eq!(kennan.body, text(&["George Kennan", "Kennan"], &[]));
    assert_eq!(kennan.tags, ["theory-realism-liberalism"]);

    let ostpolitik = card(&cards, "ostpolitik");
    assert_eq!(ostpolitik.tags, ["week-2-detente"]);
    assert_eq!(
        ostpolitik.prompt,
        "Willy Brandt's Ostpolitik sought «Wandel durch Annäherung» — change through rapprochement."
    );

    assert_eq!(cards.len(), 17);
    assert_eq!(warning_lines(&warnings), [10, 19, 31]);
    assert!(warnings[0].message.contains("Article 52"));
    assert!(warnings[1].message.contains("partial-credit alternative"));
    assert!(warnings[2].message.contains("distractor"));
}

#[test]
fn format_prefixes_and_html() {
    let (cards, warnings) = corpus("html.gift");
    assert!(warnings.is_empty(), "{warnings:?}");
    let brussels = card(&cards, "brussels");
    assert_eq!(
        brussels.prompt,
        "Which alliance has its headquarters in Brussels & a \"one for all\" clause?"
    );
    // Answers take the question's format unless they name their own.
    assert_eq!(
        brussels.body,
        choice(&["NATO", "<b>The EU</b>", "The OSCE"], "NATO")
    );
    assert_eq!(brussels.explain.as_deref(), Some("Yes: Article 5."));
    let markdown = card(&cards, "markdown");
    assert_eq!(markdown.prompt, "Who chairs the **NATO-Russia Council**?");
    assert_eq!(
        markdown.body,
        text(&["the Secretary General", "NATO's Secretary General"], &[])
    );
    assert_eq!(card(&cards, "plain").prompt, "Is 1 &lt; 2?");
    assert_eq!(
        card(&cards, "entities").prompt,
        "The Security Council has '5' permanent members <P5>."
    );
}

#[test]
fn crlf_and_bom_files() {
    let (cards, warnings) = corpus("crlf.gift");
    assert_eq!(ids(&cards), ["crlf-choice", "crlf-short"]);
    assert_eq!(cards[0].tags, ["crlf", "windows"]);
    assert_eq!(
        cards[0].body,
        choice(&["Geneva", "Vienna", "The Hague"], "Vienna")
    );
    assert_eq!(cards[0].explain.as_deref(), Some("Yes."));
    assert_eq!(cards[1].body, text(&["Trygve Lie", "Lie"], &[]));
    assert!(cards.iter().all(|c| !c.prompt.contains('\r')));
    assert_eq!(warning_lines(&warnings), [10]);
    assert!(warnings[0].message.contains("essay"));

    // The BOM is stripped, so the first line is still a category.
    let (cards, warnings) = corpus("bom.gift");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(ids(&cards), ["bom-first"]);
    assert_eq!(cards[0].tags, ["bom"]);
}

#[test]
fn questions_detente_cannot_hold_are_skipped_with_a_warning_at_their_line() {
    let (cards, warnings) = corpus("skipped.gift");
    // The [id:] before the essay went with the essay. Two `=` answers make a choice card of the first.
    assert_eq!(ids(&cards), ["after", "two-right"]);
    assert_eq!(cards[1].body, choice(&["China", "Germany"], "China"));
    let expected = [
        (4, "essay"),
        (6, "description"),
        (10, "`choices` needs 2 to 12 entries, not 1"),
        (12, "duplicate entry \"New York\" in `choices`"),
        (14, "`choices` needs 2 to 12 entries, not 13"),
        (16, "`pairs` needs 2 to 12 pairs, not 1"),
        (18, "empty entry in `answers`"),
        (20, "`France` also fully right"),
        (22, "`Somebody` (50%) dropped"),
        (22, "no answer is worth 100%"),
        (24, "cloze blank"),
        (26, "`prompt` is empty"),
        (28, "`answers` needs 1 to 8 entries, not 0"),
    ];
    assert_eq!(warnings.len(), expected.len(), "{warnings:#?}");
    for (w, (line, text)) in warnings.iter().zip(expected) {
        assert_eq!(w.line, line, "{w:?}");
        assert!(
            w.message.contains(text),
            "{w:?} should say {text}\n{warnings:#?}"
        );
    }
}

#[test]
fn malformed_files_fail_at_the_line_and_column_of_the_problem() {
    let cases = [
        ("unclosed-brace.gift", 3, 44, "never closed"),
        ("close-without-open.gift", 4, 34, "without a `{`"),
        ("bad-weight.gift", 5, 6, "invalid weight `%abc%`"),
        (
            "not-a-number.gift",
            6,
            5,
            "`the late forties` is not a number",
        ),
        ("numerical-without-answer.gift", 3, 44, "needs a number"),
        ("category-with-text.gift", 4, 1, "$CATEGORY:"),
        ("second-block.gift", 3, 38, "one answer block"),
        ("match-without-arrow.gift", 5, 5, "needs `->`"),
        ("invalid-utf8.gift", 3, 14, "not UTF-8"),
    ];
    for (name, line, column, text) in cases {
        let bytes = std::fs::read(format!("{DIR}/bad/{name}")).expect("corpus file");
        match read(&bytes) {
            Err(ConvertError::Input {
                line: l,
                column: c,
                message,
            }) => {
                assert_eq!((l, c), (line, column), "{name}: {message}");
                assert!(message.contains(text), "{name}: {message}");
            }
            other => panic!("{name}: expected an error, got {other:?}"),
        }
    }
    let files = std::fs::read_dir(format!("{DIR}/bad"))
        .expect("bad dir")
        .count();
    assert_eq!(files, cases.len(), "every malformed file has its case");
}

#[test]
fn cards_reach_the_sink_as_their_questions_end() {
    // The question before a malformed one was already handed over when the error is found.
    let bytes = std::fs::read(format!("{DIR}/bad/unclosed-brace.gift")).expect("corpus file");
    let mut seen = Vec::new();
    let result = gift::read(&bytes[..], &mut |card| {
        seen.push(card.id);
        Ok(())
    });
    assert!(result.is_err());
    assert_eq!(seen, ["ok"]);

    // A sink's error stops the reading.
    let mut calls = 0;
    let result = gift::read(&b"A{T}\n\nB{T}\n\nC{T}\n"[..], &mut |_| {
        calls += 1;
        Err(ConvertError::at(0, 0, "stop"))
    });
    assert!(matches!(result, Err(ConvertError::Input { ref message, .. }) if message == "stop"));
    assert_eq!(calls, 1);
}

#[test]
fn every_card_read_from_the_corpus_passes_deck_check() {
    let mut total = 0;
    for entry in std::fs::read_dir(DIR).expect("corpus dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "gift") {
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let (cards, _) = corpus(name);
        total += cards.len();
        let converted = deck("converted", cards);
        let mut out = Vec::new();
        write_toml(&mut out, &converted).expect("write toml");
        let toml = String::from_utf8(out).expect("utf8");
        let (back, diags) = parse_deck(name, &toml);
        let errors: Vec<_> = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}\n{toml}");
        assert_eq!(back.expect("deck").cards, converted.cards, "{name}");
    }
    assert_eq!(total, 68, "cards in the good corpus");
}

fn deck(id: &str, cards: Vec<Card>) -> Deck {
    Deck {
        id: id.into(),
        title: "IR 101: Week 1/2".into(),
        description: None,
        tags: vec![],
        source: None,
        aliases: BTreeMap::new(),
        new_order: None,
        exam_only: false,
        cards,
    }
}

fn new_card(id: &str, prompt: &str, body: Body, explain: Option<&str>) -> Card {
    Card {
        id: id.into(),
        prompt: prompt.into(),
        body,
        explain: explain.map(str::to_string),
        source: vec![],
        tags: vec![],
        hint: None,
        allow: Default::default(),
    }
}

#[test]
fn the_writer_writes_as_moodle_exports() {
    let mut first = new_card("c1", "Who?", choice(&["A", "B=C"], "A"), Some("Because."));
    first.tags = strings(&["un", "x]y"]);
    let cards = vec![
        first,
        new_card(
            "m1",
            "Pick: all but d",
            Body::Multi {
                choices: strings(&["a", "b", "c", "d"]),
                answers: strings(&["a", "b", "c"]),
            },
            None,
        ),
        new_card(
            "t1",
            "Statement.",
            Body::Truefalse { answer: false },
            Some("No."),
        ),
        new_card(
            "x1",
            "Capital?",
            text(&["Paris", "%50 off"], &["Lyon"]),
            None,
        ),
        new_card("n1", "Year?", number(1945.0, 0.5), Some("Explain.")),
        new_card(
            "p1",
            "Match.",
            Body::Match {
                pairs: vec![("a".into(), "1".into()), ("b".into(), "2 -> 3".into())],
            },
            None,
        ),
        new_card(
            "z1",
            "The {{UN|United Nations}} was founded in 1945.",
            Body::Cloze { reject: vec![] },
            Some("San Francisco."),
        ),
        new_card(
            "z2",
            "Founded in {{1945}}",
            Body::Cloze {
                reject: strings(&["1944"]),
            },
            None,
        ),
        new_card(
            "z3",
            "{{a}} and {{b}}",
            Body::Cloze { reject: vec![] },
            None,
        ),
        new_card(
            "o1",
            "Order.",
            Body::Order {
                items: strings(&["a", "b", "c"]),
            },
            None,
        ),
        new_card(
            "f1",
            "Front",
            Body::Flashcard {
                answer: "Back".into(),
                reverse: false,
            },
            None,
        ),
        new_card(
            "f2",
            "Why?",
            Body::Flashcard {
                answer: "Because the back of this flashcard is far too long to type.".into(),
                reverse: false,
            },
            Some("See the reading."),
        ),
    ];
    let mut out = Vec::new();
    let warnings = gift::write(&deck("d", cards), &mut out).expect("write");
    let written = String::from_utf8(out).expect("utf8");
    let expected = "\
// detente deck: {\"id\":\"d\"}
// question: 0  name: switch category to $course$/top/IR 101: Week 1//2
$CATEGORY: $course$/top/IR 101: Week 1//2

// question: 1  name: c1
// [id:c1] [tag:un] [tag:x\\]y]
::c1::Who?{
\t=A
\t~B\\=C
\t####Because.
}

// question: 2  name: m1
// [id:m1]
::m1::Pick\\: all but d{
\t~%33.33333%a
\t~%33.33333%b
\t~%33.33333%c
\t~%-100%d
}

// question: 3  name: t1
// [id:t1]
::t1::Statement.{FALSE####No.}

// question: 4  name: x1
// [id:x1]
::x1::Capital?{=Paris =%100%%50 off =%0%Lyon}

// question: 5  name: n1
// [id:n1]
::n1::Year?{#1945:0.5####Explain.}

// question: 6  name: p1
// [id:p1]
::p1::Match.{
\t=a -> 1
\t=b -> 2 -> 3
}

// question: 7  name: z1
// [id:z1]
::z1::The {=UN =United Nations ####San Francisco.} was founded in 1945.

// question: 8  name: z2
// [id:z2]
::z2::Founded in {=1945 =%0%1944}\\n

// detente: {\"card\":{\"id\":\"z3\",\"prompt\":\"{{a}} and {{b}}\",\"kind\":\"cloze\"}}
// question: 9  name: z3-blank-1
// [id:z3-blank-1]
::z3-blank-1::{=a} and b

// question: 10  name: z3-blank-2
// [id:z3-blank-2]
::z3-blank-2::a and {=b}\\n

// question: 11  name: o1
// [id:o1]
::o1::Order.{
\t=1 -> a
\t=2 -> b
\t=3 -> c
}

// detente: {\"flashcard\":false}
// question: 12  name: f1
// [id:f1]
::f1::Front{=Back}

// detente: {\"card\":{\"id\":\"f2\",\"prompt\":\"Why?\",\"kind\":\"flashcard\",\"answer\":\"Because the back of this flashcard is far too long to type.\",\"reverse\":false,\"explain\":\"See the reading.\"}}
// question: 13  name: f2
// [id:f2]
::f2::Why?\\n\\nBecause the back of this flashcard is far too long to type.\\n\\nSee the reading.

";
    assert_eq!(written, expected);
    // Every card is written, and the summary counts questions, not cards; what Moodle gets only in part (a cloze as
    // one question per blank, a flashcard as an ungraded description) is named, the card kept whole in a comment.
    let named: Vec<&str> = warnings
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(
        named,
        [
            "card `z3` (cloze): Moodle gets one question per blank (2 questions); the card is kept whole for \
             detente in a comment",
            "card `f2` (flashcard): Moodle gets an ungraded description showing the back (a back over 40 \
             characters or on several lines cannot be typed); the card is kept whole for detente in a comment",
        ]
    );
    assert_eq!((warnings.cards, warnings.items), (12, 13));
}

#[test]
fn multi_weights_are_moodle_fractions() {
    let choices: Vec<String> = (1..=12).map(|i| format!("c{i}")).collect();
    let multi = |right: usize| {
        new_card(
            "m",
            "Pick.",
            Body::Multi {
                choices: choices.clone(),
                answers: choices[..right].to_vec(),
            },
            None,
        )
    };
    let weights = |right: usize| {
        let mut out = Vec::new();
        gift::write(&deck("d", vec![multi(right)]), &mut out).expect("write");
        let written = String::from_utf8(out).expect("utf8");
        let mut found: Vec<String> = written
            .lines()
            .filter_map(|l| l.strip_prefix("\t~%"))
            .filter_map(|l| l.split('%').next())
            .map(str::to_string)
            .collect();
        found.dedup();
        found
    };
    assert_eq!(weights(1), ["100", "-10"]); // 11 wrong: -9.09 is nearest -10
    assert_eq!(weights(3), ["33.33333", "-11.11111"]);
    assert_eq!(weights(6), ["16.66667", "-16.66667"]);
    assert_eq!(weights(7), ["14.28571", "-20"]);
    assert_eq!(weights(8), ["12.5", "-25"]);
}

/// Writes a deck as GIFT and reads it back: the cards read, and the reader's warnings. The writer may warn only of
/// what Moodle gets in part (a hint, a reverse side, a description, a cloze split by blank), which detente keeps.
fn round_trip(deck: &Deck) -> (Vec<Card>, Vec<Warning>) {
    let mut out = Vec::new();
    let written = gift::write(deck, &mut out).expect("write");
    assert!(
        written
            .warnings
            .iter()
            .all(|w| w.message.contains("kept for detente in a comment")
                || w.message.contains("kept whole for detente in a comment")),
        "{written:?}"
    );
    assert_eq!(written.cards, deck.cards.len());
    let (cards, read_warnings) =
        read(&out).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&out)));
    (cards, read_warnings)
}

fn assert_same(written: &[&Card], back: &[Card]) {
    assert_eq!(written.len(), back.len());
    for (a, b) in written.iter().zip(back) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.prompt, b.prompt, "{}", a.id);
        assert_eq!(a.body, b.body, "{}", a.id);
        assert_eq!(a.explain, b.explain, "{}", a.id);
    }
}

/// Attack: the sample deck's description flashcard skipped on the way back, its two-blank cloze split into two
/// cards with new ids, or a card's tags gaining the deck's category. Every card comes back whole, warning-free.
#[test]
fn the_sample_deck_round_trips() {
    let text = include_str!("../data/sample.toml");
    let (deck, diags) = parse_deck("sample.toml", text);
    assert!(diags.is_empty(), "{diags:?}");
    let deck = deck.expect("sample parses");
    let (back, warnings) = round_trip(&deck);
    assert_eq!(warnings, []);
    let written: Vec<&Card> = deck.cards.iter().collect();
    assert_same(&written, &back);
    assert_eq!(back, deck.cards);
    // Tags come back as they were (vocabulary tags keep their `:`), without the deck's category.
    assert_eq!(back[0].tags, ["org:nrc", "event:lisbon-2010"]);
}

#[test]
fn awkward_text_round_trips() {
    let nasty = "a~b=c#d{e}f:g\\h ####i \\n j -> k // l\nsecond line: «ünïcödé» 🙂";
    let cards = vec![
        new_card(
            "choice",
            nasty,
            choice(
                &[nasty, "%50% off", "=", "[html]<b>kept</b>", "T"],
                "%50% off",
            ),
            Some(nasty),
        ),
        new_card(
            "multi",
            "::not a name:: $CATEGORY: no\n// not a comment",
            Body::Multi {
                choices: strings(&["%5%", "~", "{}", "a\\"]),
                answers: strings(&["~", "a\\"]),
            },
            Some("[markdown]**kept**"),
        ),
        new_card(
            "truefalse",
            "[html]<p>kept</p>",
            Body::Truefalse { answer: true },
            Some("x####y"),
        ),
        new_card(
            "text",
            "Set {a} ends with a brace}",
            text(&["TRUE", "a:b", "%5", "#", "x\ny"], &["~no", "%0%", "F"]),
            None,
        ),
        new_card(
            "cloze-start",
            "{{Kennan|George F. Kennan}} wrote: {the X} article",
            Body::Cloze {
                reject: strings(&["Nitze"]),
            },
            Some("Foreign Affairs, 1947: «The Sources of Soviet Conduct»."),
        ),
        new_card(
            "cloze-end",
            "Détente's architect \\ was {{Kissinger}}",
            Body::Cloze { reject: vec![] },
            None,
        ),
        new_card(
            "number",
            "Negative? {#}",
            number(-0.125, 0.0625),
            Some("#5"),
        ),
        new_card(
            "match",
            "Match: {sides}",
            Body::Match {
                pairs: vec![
                    ("[plain]left=1".into(), "right -> one".into()),
                    ("left~2\n".trim().into(), "[html]<b>two</b>".into()),
                    ("ünï".into(), "\\".into()),
                ],
            },
            Some("pairs"),
        ),
    ];
    let deck = deck("awkward", cards);
    let (back, warnings) = round_trip(&deck);
    assert!(warnings.is_empty(), "{warnings:?}");
    let written: Vec<&Card> = deck.cards.iter().collect();
    assert_same(&written, &back);
}

#[test]
fn feedback_catch_alls_several_right_answers_and_media_read_as_moodle_reads_them() {
    let (cards, warnings) = corpus("feedback.gift");
    assert_eq!(
        ids(&cards),
        [
            "moodle-doc-tf",
            "two-feedback-tf",
            "per-answer",
            "catch-all",
            "star-literal",
            "several-right",
            "image",
            "wiki-link"
        ]
    );
    // `{FALSE#feedback}`, Moodle's own example: the feedback is for a learner who answered True.
    assert_eq!(cards[0].body, Body::Truefalse { answer: false });
    assert_eq!(
        cards[0].explain.as_deref(),
        Some("If you chose True: The sun rises in the East.")
    );
    // `{TRUE#wrong#right}`: the second text for a right answer, the first for a wrong one.
    assert_eq!(
        cards[1].explain.as_deref(),
        Some("Yes: April 1949.\nIf you chose False: No: the Washington Treaty is of April 1949.")
    );
    assert_eq!(
        cards[2].explain.as_deref(),
        Some(
            "Right: the Founding Act created it.\n\
             If you chose the EU: The EU has a Partnership and Cooperation Agreement instead."
        )
    );
    // `%0%*` is "any other answer": its feedback kept, never a rejected answer `*`.
    assert_eq!(cards[3].body, text(&["Lisbon", "Lisboa"], &["Riga"]));
    assert_eq!(
        cards[3].explain.as_deref(),
        Some(
            "If you answered Lisboa: Yes, in Portuguese.\n\
             If you answered Riga: Riga hosted the 2006 summit.\n\
             For any other answer: Think of Portugal."
        )
    );
    assert_eq!(cards[4].body, text(&["Rasmussen"], &[]));
    assert_eq!(cards[4].explain, None);
    // Several `=`: Moodle gives full marks for any of them with one pick; detente keeps the first as the answer
    // and leaves the others out of the choices, with a warning.
    assert_eq!(cards[5].body, choice(&["France", "Germany"], "France"));
    assert_eq!(
        cards[5].explain.as_deref(),
        Some("Yes.\nIf you chose Germany: No.")
    );
    // Media links stay as text, with a warning at their line.
    assert_eq!(
        cards[6].prompt,
        "Which alliance's headquarters is shown? [image: @@PLUGINFILE@@/hq.png]"
    );
    assert_eq!(
        cards[7].prompt,
        "Which city is on the map [[map-of-europe.png]]?"
    );
    let notes: Vec<(usize, &str)> = warnings
        .iter()
        .map(|w| (w.line, w.message.as_str()))
        .collect();
    assert_eq!(notes.len(), 3, "{notes:#?}");
    assert_eq!(notes[0].0, 22);
    assert!(notes[0].1.contains("`China` also fully right"), "{notes:?}");
    assert_eq!(
        notes[1],
        (
            28,
            "media link kept as text: `<img src=\"@@PLUGINFILE@@/hq.png\" alt=\"HQ\">` (detente shows no images or sound)"
        )
    );
    assert_eq!(
        notes[2],
        (
            30,
            "media link kept as text: `[[map-of-europe.png]]` (detente shows no images or sound)"
        )
    );
}
