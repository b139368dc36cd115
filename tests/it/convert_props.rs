//! Converters never write what `deck check` refuses. Hostile GIFT, Anki, Quizlet and CSV banks (control characters,
//! bidirectional marks, invisible characters that leave two choices the same once cleaned, empty answers, huge
//! numbers, odd escapes and HTML entities) are converted as `deck convert` converts them
//! ([`convert_cards`] under the deck's header): the conversion never panics, and whatever it writes passes the
//! checker `deck check` runs (parse and lint) with no error. The U+202E case and the question size limit are also
//! driven through the binary, `deck convert` then `deck check`.

use crate::support::detente;
use detente::deck::convert::text::QuizletSeparators;
use detente::deck::convert::{
    ConvertError, Foreign, MAX_QUESTION_BYTES, convert_cards, write_toml_header,
};
use detente::deck::{Deck, Severity, parse_deck};
use proptest::prelude::*;

/// Converts `input` as `deck convert` does (header, then the cards as converted), returning the deck file's text
/// and the warnings, or the conversion's error.
fn convert(from: Foreign, input: &[u8]) -> Result<(String, usize, Vec<String>), ConvertError> {
    let mut cards = Vec::new();
    let (count, meta) = convert_cards(from, input, &QuizletSeparators::default(), &mut cards)?;
    let header = Deck {
        id: "converted".into(),
        title: meta
            .title
            .map(|t| detente::text::clean(&t).trim().to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "Converted".into()),
        description: Some("Converted from a property test".into()),
        tags: Vec::new(),
        source: None,
        aliases: Default::default(),
        new_order: None,
        exam_only: false,
        cards: Vec::new(),
    };
    let mut file = Vec::new();
    let mut clean = detente::text::CleanWriter::new(&mut file);
    write_toml_header(&mut clean, &header).expect("header");
    clean.finish().expect("header");
    file.extend_from_slice(&cards);
    let warnings = meta.warnings.into_iter().map(|w| w.message).collect();
    Ok((
        String::from_utf8(file).expect("the deck file is UTF-8"),
        count,
        warnings,
    ))
}

/// The errors `deck check` finds in a deck file: its parser's, then (on a deck that parsed) lint's.
fn check_errors(text: &str) -> Vec<String> {
    let (deck, mut diags) = parse_deck("converted.toml", text);
    if let Some(deck) = &deck {
        diags.extend(detente::lint::lint("converted.toml", text, deck));
    }
    diags
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
        .collect()
}

/// Converts and asserts that what was written (if any card was) passes the checker.
fn holds(from: Foreign, input: &[u8]) -> Result<(), TestCaseError> {
    if let Ok((text, count, _)) = convert(from, input)
        && count > 0
    {
        let errors = check_errors(&text);
        prop_assert!(
            errors.is_empty(),
            "{from:?} input {:?}\nwrote:\n{text}\nerrors: {errors:?}",
            String::from_utf8_lossy(input)
        );
    }
    Ok(())
}

/// Pieces of hostile text: controls (C0, C1, escape sequences), bidirectional and invisible marks, line and
/// paragraph separators, GIFT's special characters and escapes, HTML and its entities, numbers too big for a
/// float, cloze markup, separators of the text formats, and ordinary words to collide with.
const PIECES: &[&str] = &[
    "New York",
    "N\u{202E}ew York",
    "New\u{200B} York",
    "\u{202E}",
    "\u{2066}",
    "\u{feff}",
    "\u{200B}",
    "\u{1b}[2J",
    "\u{1b}]52;c;eA==\u{7}",
    "\u{9b}",
    "\u{9b}31m",
    "\u{9d}x",
    "\u{0}",
    "\u{7}",
    "\u{8}",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\r",
    "\\",
    "\\{",
    "\\}",
    "\\=",
    "\\~",
    "\\#",
    "\\:",
    "\\n",
    "~",
    "=",
    "#",
    "####",
    "->",
    "::",
    "%50%",
    "%-100%",
    "%100%",
    "1e308",
    "1e309",
    "99999999999999999999999999999",
    "-0",
    "NaN",
    "inf",
    "0x1F",
    "1,000",
    "T",
    "FALSE",
    "{{c1::x}}",
    "{{c2::}}",
    "{{",
    "}}",
    "|",
    "\"",
    "'",
    "\t",
    ",",
    ";",
    " ",
    "  ",
    "a",
    "A",
    "Geneva",
    "geneva",
    "<b>x</b>",
    "<br>",
    "<img src=a.png>",
    "&#0;",
    "&#x202E;",
    "&#x1b;",
    "&#133;",
    "&nbsp;",
    "&amp;",
    "[html]",
    "[plain]",
    "é",
    "e\u{301}",
    "\u{e0041}",
    "🌍",
    "[sound:a.mp3]",
    "@@PLUGINFILE@@/x",
];

/// Hostile text: a few pieces joined.
fn hostile() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..5).prop_map(|v| v.concat())
}

/// A GIFT question: an optional `// [id:..] [tag:..]` comment, an optional `::name::`, hostile text, and an
/// answer block of one of Moodle's kinds with hostile answers (or a missing-word block inside the text).
fn gift_question() -> impl Strategy<Value = String> {
    let answers = prop::collection::vec(
        (
            prop::sample::select(&["=", "~", "~%50%", "=%0%", "->", ""][..]),
            hostile(),
        ),
        0..5,
    );
    (
        prop::option::of((hostile(), hostile())),
        prop::option::of(hostile()),
        hostile(),
        0..6u8,
        answers,
        hostile(),
        hostile(),
        any::<bool>(),
        0..4u8,
    )
        .prop_map(
            |(comment, name, text, kind, answers, number, feedback, missing, raw)| {
                // Most questions have their hostile texts' backslashes and braces escaped, so that most banks hold cards to write.
                let esc = |t: &str| {
                    if raw == 0 {
                        t.to_string()
                    } else {
                        t.replace('\\', "\\\\")
                            .replace('{', "\\{")
                            .replace('}', "\\}")
                    }
                };
                let (name, text, number, feedback) = (
                    name.map(|n| esc(&n)),
                    esc(&text),
                    esc(&number),
                    esc(&feedback),
                );
                let answers: Vec<(&str, String)> =
                    answers.iter().map(|(m, a)| (*m, esc(a))).collect();
                let mut q = String::new();
                if let Some((id, tag)) = comment {
                    q.push_str(&format!("// [id:{id}] [tag:{tag}]\n"));
                }
                if let Some(name) = name {
                    q.push_str(&format!("::{name}::"));
                }
                let block = match kind {
                    0 => format!("#{number}"),
                    1 => format!("#{number}:{feedback}"),
                    2 => {
                        ["T", "F", "TRUE", "FALSE"][answers.len() % 4].to_string()
                            + &format!("#{feedback}")
                    }
                    3 => answers
                        .iter()
                        .map(|(m, a)| format!("={a} -> {m}{feedback}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    _ => answers
                        .iter()
                        .map(|(m, a)| format!("{m}{a}#{feedback}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                };
                let block = format!("{{{block}####{feedback}}}");
                if missing {
                    q.push_str(&format!("{text} {block} {number}"));
                } else {
                    q.push_str(&format!("{text}{block}"));
                }
                q.replace("\n\n", "\n")
            },
        )
}

/// A GIFT bank: questions separated by blank lines, now and then a `$CATEGORY:` or raw hostile text.
fn gift_bank() -> impl Strategy<Value = String> {
    let block = prop_oneof![
        6 => gift_question(),
        1 => hostile().prop_map(|h| format!("$CATEGORY: $course$/top/{h}")),
        1 => hostile(),
    ];
    prop::collection::vec(block, 1..4).prop_map(|v| v.join("\n\n") + "\n")
}

/// A text bank's rows: `fields` hostile fields joined by `sep`, one row a line.
fn rows(sep: &'static str, fields: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::collection::vec(hostile(), fields), 1..6).prop_map(move |rows| {
        rows.iter()
            .map(|r| r.join(sep).replace('\n', " "))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Attack: hostile GIFT. Never a panic; whatever is written passes `deck check`.
    #[test]
    fn gift_never_writes_what_deck_check_refuses(bank in gift_bank()) {
        holds(Foreign::Gift, bank.as_bytes())?;
    }

    /// Attack: hostile Anki text, with and without headers (a hostile `#deck:` title among them).
    #[test]
    fn anki_never_writes_what_deck_check_refuses(
        title in hostile(), html in any::<bool>(), body in (2..4usize).prop_flat_map(|n| rows("\t", n))
    ) {
        let bank = format!("#separator:tab\n#html:{html}\n#deck:{title}\n{body}");
        holds(Foreign::Anki, bank.as_bytes())?;
        holds(Foreign::Anki, body.as_bytes())?;
    }

    /// Attack: hostile Quizlet and CSV text.
    #[test]
    fn quizlet_and_csv_never_write_what_deck_check_refuses(
        tabbed in rows("\t", 2), csv in rows(",", 3)
    ) {
        holds(Foreign::Quizlet, tabbed.as_bytes())?;
        holds(Foreign::Csv, format!("front,back,tags\n{csv}").as_bytes())?;
    }
}

/// Attack: the case found by hand. `N<U+202E>ew York` and `New York` are two choices until the U+202E is cleaned on
/// writing; the question is skipped with a warning at its line, and the rest of the bank converts and passes.
#[test]
fn choices_the_same_once_cleaned_skip_their_question() {
    let bank = "::Ok::Where is the UN?{=New York ~Geneva}\n\n\
                ::Twice::Where is the UN?{=N\u{202E}ew York ~New York ~Geneva}\n\n\
                ::Zero width::Where is the UN?{=New York ~New\u{200B} York ~Geneva}\n";
    let (text, count, warnings) = convert(Foreign::Gift, bank.as_bytes()).expect("converts");
    assert_eq!(count, 1, "{text}");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .all(|w| w.contains("duplicate entry \"New York\"")),
        "{warnings:?}"
    );
    assert!(check_errors(&text).is_empty());
    // Through the binary: converted with the warning at line 3, and `deck check` passes what it wrote.
    let dir = tempfile::tempdir().expect("tmp");
    let (input, output) = (dir.path().join("bank.gift"), dir.path().join("bank.toml"));
    std::fs::write(&input, bank).expect("write");
    let db = dir.path().join("d.db");
    let out = detente(&db)
        .args(["deck", "convert", "--from", "gift"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bank.gift:3: warning: question skipped"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bank.gift:5: warning: question skipped"),
        "{stderr}"
    );
    detente(&db)
        .args(["deck", "check"])
        .arg(&output)
        .assert()
        .success();
}

/// Attack: the same through Anki's HTML: `&#x202E;` is an entity until the HTML is read, then a bidirectional
/// override; a cloze whose only answer is an invisible character has an empty blank once cleaned.
#[test]
fn entities_and_invisible_answers_are_checked_as_written() {
    let bank =
        "#separator:tab\n#html:true\nWho?\t&#x202E;\nThe {{c1::\u{200B}}} treaty\tx\nFine?\tYes\n";
    let (text, count, warnings) = convert(Foreign::Anki, bank.as_bytes()).expect("converts");
    assert_eq!(count, 1, "{text}\n{warnings:?}");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(check_errors(&text).is_empty(), "{text}");
    // A C1 control introducer is cleaned out of the card before it is written, not left to eat the TOML's closing
    // quote: the card is kept.
    let (text, count, warnings) =
        convert(Foreign::Quizlet, "Red\u{9b}\tColour\u{9b}31m\n".as_bytes()).expect("converts");
    assert_eq!((count, warnings.len()), (1, 0), "{warnings:?}");
    assert!(
        text.contains("prompt = \"Red\"") && text.contains("answer = \"Colour\""),
        "{text}"
    );
}

/// Attack: the size limit. A question just over `MAX_QUESTION_BYTES` (generated here) is refused with an error at
/// its line, in GIFT and in each text format, and no deck is written; one just under it converts.
#[test]
fn a_question_over_the_size_limit_is_refused_at_its_line() {
    let words = |n: usize| "w ".repeat(n / 2);
    let over = format!(
        "::First::Fine?{{T}}\n\n::Big::{}?{{T}}\n",
        words(MAX_QUESTION_BYTES)
    );
    match convert(Foreign::Gift, over.as_bytes()) {
        Err(ConvertError::Input { line, message, .. }) => {
            assert_eq!(line, 3);
            assert!(message.contains("longer than 1 MiB"), "{message}");
        }
        other => panic!("{:?}", other.map(|(_, n, w)| (n, w))),
    }
    let under = format!("::Big::{}?{{T}}\n", words(MAX_QUESTION_BYTES - 100));
    let (_, count, _) = convert(Foreign::Gift, under.as_bytes()).expect("converts");
    assert_eq!(count, 1);
    // A multi-line question counts all its lines.
    let lines = format!(
        "::Big::{}\n{}?{{T}}\n",
        words(MAX_QUESTION_BYTES / 2),
        words(MAX_QUESTION_BYTES / 2 + 64)
    );
    assert!(matches!(
        convert(Foreign::Gift, lines.as_bytes()),
        Err(ConvertError::Input { line: 1, .. })
    ));
    for (from, bank) in [
        (
            Foreign::Anki,
            format!("a\tb\n{}\tb\n", words(MAX_QUESTION_BYTES + 2)),
        ),
        (
            Foreign::Quizlet,
            format!("a\tb\n{}\tb\n", words(MAX_QUESTION_BYTES + 2)),
        ),
        (
            Foreign::Csv,
            format!("front,back\na,b\n\"{}\nx\",b\n", words(MAX_QUESTION_BYTES)),
        ),
    ] {
        match convert(from, bank.as_bytes()) {
            Err(ConvertError::Input { line, message, .. }) => {
                assert_eq!(line, 2 + usize::from(from == Foreign::Csv), "{from:?}");
                assert!(message.contains("longer than 1 MiB"), "{from:?} {message}");
            }
            other => panic!("{from:?}: {:?}", other.map(|(_, n, w)| (n, w))),
        }
    }
    // Through the binary: one line naming the file and line, exit 65, no deck.
    let dir = tempfile::tempdir().expect("tmp");
    let (input, output) = (dir.path().join("big.gift"), dir.path().join("big.toml"));
    std::fs::write(&input, &over).expect("write");
    let out = detente(&dir.path().join("d.db"))
        .args(["deck", "convert", "--from", "gift"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("big.gift:3:1: the question starting on this line is longer than 1 MiB"),
        "{stderr}"
    );
    assert!(!output.exists());
}

/// Attack: the header is the converter's too. An `--id` that is not a slug would make a deck `deck check` refuses:
/// refused with the checker's reason (exit 2), and no deck is written; a hostile title is cleaned.
#[test]
fn a_header_deck_check_would_refuse_is_not_written() {
    let dir = tempfile::tempdir().expect("tmp");
    let (input, output) = (dir.path().join("b.gift"), dir.path().join("b.toml"));
    std::fs::write(&input, "Fine?{T}\n").expect("write");
    let db = dir.path().join("d.db");
    let run = |args: &[&str]| {
        detente(&db)
            .args(["deck", "convert", "--from", "gift"])
            .arg(&input)
            .arg("-o")
            .arg(&output)
            .args(args)
            .output()
            .expect("run")
    };
    let out = run(&["--id", "Bad Id"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("deck id `Bad Id` must be"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!output.exists());
    let out = run(&["--title", "\u{202e}\u{9b}"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    detente(&db)
        .args(["deck", "check"])
        .arg(&output)
        .assert()
        .success();
}
