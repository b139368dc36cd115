//! Anki, Quizlet and CSV text banks: the corpus under tests/data/text read card by card, malformed files failing at
//! the right line, every card produced passing `deck check`, and writer round trips.

use detente::deck::convert::text::{
    QuizletSeparators, read_anki, read_csv, read_quizlet, read_quizlet_with, write_anki,
    write_quizlet,
};
use detente::deck::convert::{ConvertError, Meta, Warning, write_toml};
use detente::deck::{Body, Card, Deck, Severity, parse_deck};
use std::collections::BTreeMap;
use std::path::Path;

type Reader = fn(&[u8], &mut detente::deck::convert::Sink<'_>) -> Result<Meta, ConvertError>;

const ANKI: Reader = |b, e| read_anki(b, e);
const QUIZLET: Reader = |b, e| read_quizlet(b, e);
const CSV: Reader = |b, e| read_csv(b, e);

fn data(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/text")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(reader: Reader, bytes: &[u8]) -> Result<(Vec<Card>, Meta), ConvertError> {
    let mut cards = Vec::new();
    let meta = reader(bytes, &mut |c| {
        cards.push(c);
        Ok(())
    })?;
    Ok((cards, meta))
}

fn read_file(reader: Reader, name: &str) -> (Vec<Card>, Meta) {
    let (cards, meta) = read(reader, &data(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    check_deck(name, &cards);
    (cards, meta)
}

/// The cards, written as a TOML deck, pass `deck check` with no error.
fn check_deck(name: &str, cards: &[Card]) {
    let mut out = Vec::new();
    write_toml(&mut out, &deck(cards.to_vec())).expect("write toml");
    let text = String::from_utf8(out).expect("utf8");
    let (parsed, diags) = parse_deck(name, &text);
    let errors: Vec<_> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}\n{text}");
    assert_eq!(parsed.expect("parses").cards, cards, "{name}");
}

fn deck(cards: Vec<Card>) -> Deck {
    Deck {
        id: "converted".into(),
        title: "IR101 Week 1".into(),
        description: None,
        tags: Vec::new(),
        source: None,
        aliases: BTreeMap::new(),
        new_order: None,
        exam_only: false,
        cards,
    }
}

fn answer(card: &Card) -> &str {
    match &card.body {
        Body::Flashcard { answer, .. } => answer,
        other => panic!("{} is not a flashcard: {other:?}", card.id),
    }
}

fn warning(line: usize, message: &str) -> Warning {
    Warning {
        line,
        message: message.into(),
    }
}

fn card(id: &str, prompt: &str, body: Body, tags: &[&str]) -> Card {
    Card {
        id: id.into(),
        prompt: prompt.into(),
        body,
        explain: None,
        source: Vec::new(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        hint: None,
        allow: Default::default(),
    }
}

fn flash(id: &str, prompt: &str, back: &str, tags: &[&str]) -> Card {
    card(
        id,
        prompt,
        Body::Flashcard {
            answer: back.into(),
            reverse: false,
        },
        tags,
    )
}

#[test]
fn an_anki_export_with_html_guids_note_types_and_decks() {
    let (cards, meta) = read_file(ANKI, "anki-export.txt");
    assert_eq!(meta.title.as_deref(), Some("IR101::Week 1"));
    assert_eq!(
        meta.warnings,
        [warning(13, "the back is empty; row skipped")]
    );
    let ids: Vec<_> = cards.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "fx-4-kp9-a",
            "p-9xk-2lm",
            "xy7-qw8zpo",
            "k2lr5tq9zw",
            "ab1-cd2-ef"
        ]
    );
    assert_eq!(
        cards[0],
        flash(
            "fx-4-kp9-a",
            "Which article of the North Atlantic Treaty holds the collective-defence clause?",
            "Article 5",
            &["org:nato", "treaty/nato", "week1"]
        )
    );
    assert_eq!(cards[1].prompt, "Who said \"trust, but verify\"?");
    assert_eq!(
        answer(&cards[1]),
        "Ronald Reagan\n(quoting a Russian proverb)"
    );
    assert_eq!(
        cards[2].prompt,
        "What did the Helsinki Final Act's\n\"Basket III\" cover?"
    );
    assert_eq!(answer(&cards[2]), "Human rights & contacts");
    assert_eq!(cards[3].prompt, "Name the two\nsuperpowers of détente");
    assert_eq!(
        cards[3].body,
        Body::Flashcard {
            answer: "USA & USSR".into(),
            reverse: true
        }
    );
    assert_eq!(
        cards[4],
        Card {
            explain: Some("Signed by 35 states.".into()),
            hint: Some("blank 2: year".into()),
            ..card(
                "ab1-cd2-ef",
                "The {{Helsinki Final Act}} was signed in {{1975}}.",
                Body::Cloze { reject: Vec::new() },
                &["event:helsinki-1975", "ir101/week-2"]
            )
        }
    );
}

#[test]
fn an_anki_file_without_headers_detects_commas_and_html() {
    let (cards, meta) = read_file(ANKI, "anki-comma.txt");
    assert_eq!(meta, Meta::default());
    let got: Vec<_> = cards
        .iter()
        .map(|c| (c.id.as_str(), c.prompt.as_str(), answer(c)))
        .collect();
    assert_eq!(
        got,
        [
            (
                "what-year-was-nato-founded",
                "What year was NATO founded?",
                "1949"
            ),
            (
                "capital-of-the-ussr-in-1980",
                "Capital of the USSR, in 1980?",
                "Moscow"
            ),
            (
                "who-wrote-the-long-telegram",
                "Who wrote \"The Long Telegram\"?",
                "George Kennan"
            ),
            (
                "whose-policy-was-ostpolitik",
                "Whose policy was Ostpolitik?",
                "Willy Brandt"
            ),
            (
                "is-3-5-in-the-salt-count",
                "Is 3 < 5 in the SALT count?",
                "yes"
            ),
        ]
    );
}

#[test]
fn an_anki_file_with_semicolons_global_tags_and_a_deck() {
    let (cards, meta) = read_file(ANKI, "anki-semicolon.txt");
    assert_eq!(meta.title.as_deref(), Some("IR101"));
    assert_eq!(
        meta.warnings,
        [warning(4, "unknown header `#exported by:` ignored")]
    );
    assert_eq!(
        cards,
        [
            flash(
                "who-signed-the-salt-i-treaty-and-when",
                "Who signed the SALT I treaty, and when?",
                "Nixon and Brezhnev, 1972",
                &["ir101", "week-1"]
            ),
            flash(
                "a-prompt-with-a-semicolon",
                "A prompt; with a semicolon",
                "An answer <kept>",
                &["ir101", "week-1"]
            ),
        ]
    );
}

#[test]
fn anki_cloze_notes_become_cloze_cards() {
    let (cards, meta) = read_file(ANKI, "anki-cloze.txt");
    assert_eq!(meta.title.as_deref(), Some("Cold War"));
    assert_eq!(
        meta.warnings,
        [warning(
            8,
            "a cloze deletion is empty or nested; row skipped"
        )]
    );
    let cloze = Body::Cloze { reject: Vec::new() };
    assert_eq!(
        cards,
        [
            Card {
                explain: Some("It opened on 9 November.".into()),
                ..card(
                    "the-berlin-wall-fell-in-1989",
                    "The {{Berlin Wall}} fell in {{1989}}.",
                    cloze.clone(),
                    &["event:1989"]
                )
            },
            // Anki's cloze hint is kept, naming its blank when the other blank has none.
            Card {
                hint: Some("blank 1: chancellor".into()),
                ..card(
                    "willy-brandt-pursued-ostpolitik",
                    "{{Willy Brandt}} pursued {{Ostpolitik}}.",
                    cloze,
                    &["actor:brandt"]
                )
            },
        ]
    );
    assert_eq!(cards[1].siblings(), 2);
}

#[test]
fn a_quizlet_export() {
    let (cards, meta) = read_file(QUIZLET, "quizlet.txt");
    assert_eq!(
        meta.warnings,
        [warning(5, "the back is empty; row skipped")]
    );
    assert_eq!(
        cards,
        [
            flash(
                "detente",
                "détente",
                "the easing of strained relations, esp. between the USA and USSR",
                &[]
            ),
            flash("salt", "SALT", "Strategic Arms Limitation Talks", &[]),
            flash(
                "ostpolitik",
                "\"Ostpolitik\"",
                "Brandt's policy towards the East; \"change through rapprochement\"",
                &[]
            ),
        ]
    );
    // Without a tab on the first line, a comma separates term and definition.
    let (cards, _) = read(QUIZLET, b"NRC,NATO-Russia Council, founded 2002\n").expect("reads");
    assert_eq!(answer(&cards[0]), "NATO-Russia Council, founded 2002");
}

#[test]
fn a_csv_bank_with_bom_crlf_quotes_and_mixed_case_headers() {
    let (cards, meta) = read_file(CSV, "bank.csv");
    assert_eq!(
        meta.warnings,
        [
            warning(1, "columns ignored: Notes"),
            warning(6, "the back is empty; row skipped")
        ]
    );
    assert_eq!(
        cards,
        [
            flash(
                "which-treaty-signed-in-1987-removed",
                "Which treaty, signed in 1987, removed intermediate-range missiles?",
                "INF Treaty",
                &["event:inf-1987", "org:nato"]
            ),
            flash(
                "list-the-three-baskets-of-the-helsinki-final-act",
                "List the three baskets\nof the Helsinki Final Act",
                "Security; economics; human rights",
                &["theme:helsinki"]
            ),
            flash(
                "who-led-the-ussr-in-1985",
                "Who led the USSR in 1985?",
                "Mikhail Gorbachev",
                &["actor:gorbachev", "event:1985"]
            ),
        ]
    );
}

#[test]
fn csv_ids_explanations_and_hints_and_other_header_names() {
    let text = "Question;Answer;ID;Explain;Hint\n\
                Who chaired the NRC?;The NATO Secretary General;NRC chair;It is chaired by him.;Think of Brussels.\n";
    let (cards, meta) = read(CSV, text.as_bytes()).expect("reads");
    assert!(meta.warnings.is_empty(), "{:?}", meta.warnings);
    assert_eq!(
        cards,
        [Card {
            explain: Some("It is chaired by him.".into()),
            hint: Some("Think of Brussels.".into()),
            ..flash(
                "nrc-chair",
                "Who chaired the NRC?",
                "The NATO Secretary General",
                &[]
            )
        }]
    );
    check_deck("inline.csv", &cards);
}

#[test]
fn malformed_files_fail_at_their_line() {
    let cases: [(&str, Reader, usize, usize); 9] = [
        ("anki-utf8.txt", ANKI, 3, 5),
        ("anki-unterminated.txt", ANKI, 4, 1),
        ("anki-field-count.txt", ANKI, 6, 1),
        ("anki-separator.txt", ANKI, 2, 12),
        ("anki-utf8-quoted.txt", ANKI, 3, 6),
        ("csv-no-front.csv", CSV, 1, 1),
        ("csv-field-count.csv", CSV, 4, 1),
        ("csv-unterminated.csv", CSV, 3, 4),
        ("quizlet-no-tab.txt", QUIZLET, 3, 1),
    ];
    for (name, reader, line, column) in cases {
        match read(reader, &data(&format!("bad/{name}"))) {
            Err(ConvertError::Input {
                line: l, column: c, ..
            }) => assert_eq!((l, c), (line, column), "{name}"),
            other => panic!("{name}: expected an error at {line}:{column}, got {other:?}"),
        }
    }
    let err = read(ANKI, &data("bad/anki-field-count.txt")).expect_err("fails");
    assert_eq!(err.to_string(), "6:1: 3 fields where line 3 has 2");
}

/// Flashcards whose text holds everything a separator-based format finds hard.
fn awkward() -> Deck {
    let mut cards = vec![
        flash(
            "tabs",
            "A prompt\twith a tab",
            "and an\tanswer with one",
            &["org:nato", "event:lisbon-2010"],
        ),
        flash(
            "quotes",
            "\"Quoted\" at the start, and \"\" doubled",
            "She said \"no\"",
            &[],
        ),
        flash(
            "newlines",
            "Line one\nline two\r\nline three",
            "an answer\n\nwith a blank line",
            &["theme:arms-control"],
        ),
        flash(
            "separators",
            "Commas, semicolons; pipes | colons: and #hashes",
            "# not a comment; really, no",
            &["concept:detente"],
        ),
        flash(
            "unicode",
            "Qu'a dit Gorbatchev à Reykjavík ? Горбачёв 🕊",
            "«Il faut désarmer» — 和平",
            &["actor:gorbachev"],
        ),
        flash(
            "html-looking",
            "Is <b>this</b> bold &amp; escaped?",
            "No: it is <i>text</i>",
            &[],
        ),
    ];
    cards[0].body = Body::Flashcard {
        answer: "and an\tanswer with one".into(),
        reverse: true,
    };
    deck(cards)
}

#[test]
fn anki_round_trip_keeps_ids_prompts_answers_and_tags() {
    let mut deck = awkward();
    deck.cards.push(Card {
        explain: Some("Signed in \"Helsinki\", 1975.".into()),
        ..card(
            "helsinki",
            "The {{Helsinki Final Act}} was signed in {{1975}}.",
            Body::Cloze { reject: Vec::new() },
            &["event:helsinki-1975"],
        )
    });
    let mut out = Vec::new();
    let written = write_anki(&deck, &mut out).expect("write");
    assert!(written.warnings.is_empty(), "{written:?}");
    assert_eq!((written.cards, written.items), (7, 7));
    let text = String::from_utf8(out).expect("utf8");
    assert!(text.starts_with("#separator:tab\n#html:false\n"), "{text}");
    assert!(
        text.contains("converted/helsinki\tCloze\tIR101 Week 1\tThe {{c1::Helsinki Final Act}} was signed in {{c2::1975}}.\t"),
        "{text}"
    );
    let (cards, meta) = read(ANKI, text.as_bytes()).expect("reads back");
    assert_eq!(meta.title.as_deref(), Some("IR101 Week 1"));
    assert!(meta.warnings.is_empty(), "{:?}", meta.warnings);
    // CRLF inside a field comes back as LF.
    deck.cards[2].prompt = "Line one\nline two\nline three".into();
    assert_eq!(cards, deck.cards);
}

#[test]
fn quizlet_round_trip_keeps_prompts_and_answers_on_one_line() {
    let deck = awkward();
    let mut out = Vec::new();
    assert!(
        write_quizlet(&deck, &mut out)
            .expect("write")
            .warnings
            .is_empty()
    );
    let text = String::from_utf8(out).expect("utf8");
    assert_eq!(text.lines().count(), deck.cards.len(), "{text}");
    let (cards, _) = read(QUIZLET, text.as_bytes()).expect("reads back");
    let got: Vec<_> = cards
        .iter()
        .map(|c| (c.prompt.as_str(), answer(c)))
        .collect();
    assert_eq!(
        got,
        [
            ("A prompt with a tab", "and an answer with one"),
            (
                "\"Quoted\" at the start, and \"\" doubled",
                "She said \"no\""
            ),
            (
                "Line one / line two / line three",
                "an answer /  / with a blank line"
            ),
            (
                "Commas, semicolons; pipes | colons: and #hashes",
                "# not a comment; really, no"
            ),
            (
                "Qu'a dit Gorbatchev à Reykjavík ? Горбачёв 🕊",
                "«Il faut désarmer» — 和平"
            ),
            (
                "Is <b>this</b> bold &amp; escaped?",
                "No: it is <i>text</i>"
            ),
        ]
    );
    // Ids come from the front, the same on every read.
    let (again, _) = read(QUIZLET, text.as_bytes()).expect("reads back");
    assert_eq!(cards, again);
    assert_eq!(cards[1].id, "quoted-at-the-start-and-doubled");
}

#[test]
fn writers_write_every_kind_whole() {
    let mut deck = deck(vec![
        card(
            "text",
            "Who chairs the NRC?",
            Body::Text {
                answers: vec!["The Secretary General".into(), "SG".into()],
                reject: Vec::new(),
            },
            &[],
        ),
        card(
            "choice",
            "Where was the 2010 summit?",
            Body::Choice {
                choices: vec!["Lisbon".into(), "Riga".into()],
                answer: "Lisbon".into(),
            },
            &[],
        ),
        card(
            "tf",
            "The NRC was founded in 2002.",
            Body::Truefalse { answer: true },
            &[],
        ),
        card(
            "year",
            "When was NATO founded?",
            Body::Number {
                answer: 1949.0,
                tolerance: 0.0,
            },
            &[],
        ),
        card(
            "multi",
            "Which are P5?",
            Body::Multi {
                choices: vec!["France".into(), "Italy".into()],
                answers: vec!["France".into()],
            },
            &[],
        ),
        card(
            "order",
            "Order these",
            Body::Order {
                items: vec!["a".into(), "b".into(), "c".into()],
            },
            &[],
        ),
        card(
            "match",
            "Match these",
            Body::Match {
                pairs: vec![("a".into(), "1".into()), ("b".into(), "2".into())],
            },
            &[],
        ),
        card(
            "cloze",
            "{{Rogozin|Dmitry Rogozin}} was envoy to {{NATO}}.",
            Body::Cloze { reject: Vec::new() },
            &[],
        ),
    ]);
    deck.title = "IR101::Week 2".into();
    deck.cards[0].explain = Some("The NRC's chair.".into());

    // Every card is one Anki note: nothing left out, nothing to warn about.
    let mut out = Vec::new();
    let written = write_anki(&deck, &mut out).expect("write");
    assert_eq!(written.warnings, []);
    assert_eq!((written.cards, written.items), (8, 8));
    let text = String::from_utf8(out).expect("utf8");
    // Read with detente's `#detente card:` lines, the cards come back whole; without them (as Anki sees the file),
    // each note comes back as Anki shows it.
    let (whole, _) = read(ANKI, text.as_bytes()).expect("reads back");
    assert_eq!(whole, deck.cards);
    let shown: String = text
        .lines()
        .filter(|l| !l.starts_with("#detente"))
        .map(|l| format!("{l}\n"))
        .collect();
    let (back, _) = read(ANKI, shown.as_bytes()).expect("reads back");
    let got: Vec<_> = back
        .iter()
        .map(|c| {
            let back = match &c.body {
                Body::Cloze { .. } => "",
                _ => answer(c),
            };
            (c.id.as_str(), c.prompt.as_str(), back, c.explain.as_deref())
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "text",
                "Who chairs the NRC?",
                "The Secretary General\n(also accepted: SG)\n\nThe NRC's chair.",
                None
            ),
            (
                "choice",
                "Where was the 2010 summit?\n\n- Lisbon\n- Riga",
                "Lisbon",
                None
            ),
            ("tf", "The NRC was founded in 2002.", "True", None),
            ("year", "When was NATO founded?", "1949", None),
            (
                "multi",
                "Which are P5?\n\nTick every right choice:\n- France\n- Italy",
                "- France",
                None
            ),
            (
                "order",
                "Order these\n\nPut in order:\n- a\n- b\n- c",
                "1. a\n2. b\n3. c",
                None
            ),
            (
                "match",
                "Match these\n\nMatch each of:\n- a\n- b\n\nwith one of:\n- 1\n- 2",
                "a → 1\nb → 2",
                None
            ),
            (
                "cloze",
                "{{Rogozin}} was envoy to {{NATO}}.",
                "",
                Some("(also accepted: c1: Dmitry Rogozin)")
            ),
        ]
    );
    assert!(
        text.contains(
            "converted/cloze\tCloze\tIR101::Week 2\t{{c1::Rogozin}} was envoy to {{c2::NATO}}.\t"
        ),
        "{text}"
    );

    let mut out = Vec::new();
    let written = write_quizlet(&deck, &mut out).expect("write");
    assert_eq!(written.warnings, []);
    assert_eq!((written.cards, written.items), (8, 8));
    assert_eq!(
        String::from_utf8(out).expect("utf8"),
        "Who chairs the NRC?\tThe Secretary General / (also accepted: SG)\n\
         Where was the 2010 summit? /  / - Lisbon / - Riga\tLisbon\n\
         The NRC was founded in 2002.\tTrue\n\
         When was NATO founded?\t1949\n\
         Which are P5? /  / Tick every right choice: / - France / - Italy\t- France\n\
         Order these /  / Put in order: / - a / - b / - c\t1. a / 2. b / 3. c\n\
         Match these /  / Match each of: / - a / - b /  / with one of: / - 1 / - 2\ta → 1 / b → 2\n\
         _____ was envoy to _____.\tRogozin / NATO\n"
    );
}

#[test]
fn an_anki_file_mixing_decks_tags_the_other_decks() {
    let text = "#separator:tab\n#deck column:1\n#tags column:4\n#columns:Deck\tFront\tBack\tTags\n\
                IR101::Week 1\tQ1\tA1\tnato\n\
                IR101::Week 2\tQ2\tA2\t\n\
                IR101::Week 1\tQ3\tA3\t\n";
    let (cards, meta) = read(ANKI, text.as_bytes()).expect("reads");
    assert_eq!(meta.title.as_deref(), Some("IR101::Week 1"));
    let tags: Vec<_> = cards.iter().map(|c| c.tags.clone()).collect();
    assert_eq!(
        tags,
        [
            vec!["nato".to_string()],
            vec!["ir101/week-2".into()],
            vec![]
        ]
    );
}

#[test]
fn named_separators_legacy_tags_and_a_failing_sink() {
    let text = "tags:IR101 Cold_War\n#separator:Pipe\nfr,ont|ba;ck\n";
    let (cards, _) = read(ANKI, text.as_bytes()).expect("reads");
    assert_eq!(
        cards,
        [flash("fr-ont", "fr,ont", "ba;ck", &["ir101", "cold-war"])]
    );
    let err = read(ANKI, b"#guid column:0\na,b\n").expect_err("column 0");
    assert_eq!(
        err.to_string(),
        "1:14: `#guid column:` needs a column number from 1, not `0`"
    );
    let mut seen = 0;
    let result = read_anki(&b"a,b\nc,d\n"[..], &mut |_| {
        seen += 1;
        Err(ConvertError::at(0, 0, "sink full"))
    });
    assert!(result.is_err());
    assert_eq!(seen, 1);
}

fn read_quizlet_seps(
    term: Option<&str>,
    row: Option<&str>,
    text: &str,
) -> Result<(Vec<Card>, Meta), ConvertError> {
    let seps = QuizletSeparators::named(term, row).expect("separators");
    let mut cards = Vec::new();
    let meta = read_quizlet_with(text.as_bytes(), &seps, &mut |c| {
        cards.push(c);
        Ok(())
    })?;
    Ok((cards, meta))
}

#[test]
fn quizlet_separators_as_its_export_offers_them() {
    let sides = |cards: &[Card]| -> Vec<(String, String)> {
        cards
            .iter()
            .map(|c| (c.prompt.clone(), answer(c).to_string()))
            .collect()
    };
    let want = [
        ("NATO".to_string(), "founded 1949".to_string()),
        ("Warsaw Pact".into(), "founded 1955".into()),
    ];
    // Tab and new line, named or by default.
    for (term, row) in [(None, None), (Some("tab"), Some("newline"))] {
        let (cards, _) =
            read_quizlet_seps(term, row, "NATO\tfounded 1949\nWarsaw Pact\tfounded 1955\n")
                .expect("reads");
        assert_eq!(sides(&cards), want);
    }
    // Comma and semicolon: a definition may then hold a new line.
    let (cards, _) = read_quizlet_seps(
        Some("comma"),
        Some("semicolon"),
        "NATO,founded 1949;Warsaw Pact,founded 1955;Helsinki,Final Act\nsigned by 35 states;",
    )
    .expect("reads");
    assert_eq!(sides(&cards[..2]), want);
    assert_eq!(answer(&cards[2]), "Final Act\nsigned by 35 states");
    // Custom strings on both, `\t` and `\n` standing for tab and new line.
    let (cards, _) = read_quizlet_seps(
        Some(" - "),
        Some("\\n\\n"),
        "NATO - founded 1949\n\nWarsaw Pact - founded 1955\n\n",
    )
    .expect("reads");
    assert_eq!(sides(&cards), want);
    // A row without the separator fails at the line it starts on.
    let err = read_quizlet_seps(
        Some(" - "),
        Some("semicolon"),
        "NATO - 1949;\n\nWarsaw Pact 1955;",
    )
    .expect_err("no separator");
    assert_eq!(
        err.to_string().split(" (").next(),
        Some("3:1: no ` - ` between term and definition")
    );
    assert!(QuizletSeparators::named(Some(""), None).is_err());
    assert!(QuizletSeparators::named(Some("newline"), None).is_ok());
    assert!(QuizletSeparators::named(Some("\\n"), None).is_err());
}

#[test]
fn media_links_are_kept_as_text_with_a_warning() {
    let text = "#separator:tab\n#html:true\n\
                Which city? <img src=\"brussels.jpg\">\tBrussels\n\
                Listen [sound:anthem.mp3]\tThe EU anthem\n";
    let (cards, meta) = read(ANKI, text.as_bytes()).expect("reads");
    assert_eq!(cards[0].prompt, "Which city? [image: brussels.jpg]");
    assert_eq!(cards[1].prompt, "Listen [sound:anthem.mp3]");
    let lines: Vec<usize> = meta.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [3, 4]);
    assert!(meta.warnings[1].message.contains("`[sound:anthem.mp3]`"));
    let (_, meta) = read(QUIZLET, b"Map [[europe.png]]\tEurope\n").expect("reads");
    assert_eq!(
        meta.warnings,
        [warning(
            1,
            "media link kept as text: `[[europe.png]]` (detente shows no images or sound)"
        )]
    );
}
