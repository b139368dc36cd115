//! Tests of deck parsing: every kind of card, every located error, the `allow` table, repeats kept short.

use super::document::card_starts;
use super::*;
use crate::deck::Body;

fn errors(src: &str) -> Vec<String> {
    parse_deck("d.toml", src)
        .1
        .iter()
        .map(|d| d.to_string().lines().next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn cards_are_split_at_their_headers_but_not_inside_strings() {
    let src = "[deck]\nid = \"d\" # [[card]]\ntitle = \"T\"\n[[card]]\nprompt = \"\"\"\n[[card]]\n\"\"\"\nx = '[[card]]'\n  [[card]]\ny = \"a\\\" [[card]]\"\n";
    let starts = card_starts(src).expect("deck shape");
    assert_eq!(starts.len(), 2);
    assert_eq!(&src[starts[0]..starts[0] + 8], "[[card]]");
    assert_eq!(&src[starts[1]..starts[1] + 10], "  [[card]]");
    // Any other table after the cards: the document is parsed whole.
    assert_eq!(card_starts("[[card]]\nid = \"a\"\n[deck]\n"), None);
    assert_eq!(card_starts("[[card]]\n[card.source]\n"), None);
}

#[test]
fn a_warning_repeated_on_every_card_is_kept_a_thousand_times_then_counted() {
    let mut src = HEAD.to_string();
    for i in 0..1005 {
        src.push_str(&format!(
            "[[card]]\nid = \"c{i}\"\nkind = \"truefalse\"\nprompt = \"Q{i}\"\nanswer = true\nexplain = \"e\"\n"
        ));
    }
    let (deck, diags) = parse_deck("d.toml", &src);
    assert_eq!(deck.map(|d| d.cards.len()), Some(1005));
    assert_eq!(diags.len(), KEPT_REPEATS);
    assert_eq!(diags.iter().map(|d| 1 + d.more).sum::<usize>(), 1005);
    assert!(diags.iter().all(|d| d.message == "card has no `source`"));
}

#[test]
fn split_and_whole_parses_agree() {
    let sample = include_str!("../../../tests/data/sample.toml");
    let (split, diags) = parse_deck("s.toml", sample);
    assert!(diags.is_empty());
    // The same deck with [deck] moved to the end takes the whole-document path.
    let at = sample.find("[[card]]").expect("cards");
    let moved = format!("{}\n{}", &sample[at..], &sample[..at]);
    assert_eq!(card_starts(&moved), None);
    let (whole, diags) = parse_deck("s.toml", &moved);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(split, whole);
    // A syntax error in a later card is located in the file, and the other cards are still checked.
    let broken = sample.replacen("answer = 2008", "answer = = 2008", 1);
    let line = broken
        .lines()
        .position(|l| l.contains("= = 2008"))
        .expect("line")
        + 1;
    let (deck, diags) = parse_deck("s.toml", &broken);
    assert!(deck.is_none());
    assert!(
        diags
            .iter()
            .any(|d| d.line == line && d.severity == Severity::Error),
        "{diags:?}"
    );
}

#[test]
fn a_diagnostic_shows_its_line_with_a_caret_and_a_hint() {
    let src = format!(
        "{HEAD}[[card]]\nid = \"a\"\nkind = \"choice\"\nprompt = \"Q\"\nchoices = [\"x\", \"y\"]\nanswer = \"Riga\"\nexplain = \"e\"\nsource = {{ paragraph = 1 }}\n"
    );
    let (_, diags) = parse_deck("d.toml", &src);
    assert_eq!(
        diags[0].to_string(),
        "d.toml:9:10: error: answer \"Riga\" is not one of the choices\n 9 | answer = \"Riga\"\n   |          ^\n   = hint: copy the answer exactly from `choices`, or add it to them"
    );
}

const HEAD: &str = "[deck]\nid = \"d\"\ntitle = \"T\"\n";

#[test]
fn a_valid_card_parses() {
    let src = format!(
        "{HEAD}[[card]]\nid = \"c\"\nkind = \"choice\"\nprompt = \"Q?\"\nchoices = [\"a\", \"b\"]\nanswer = \"a\"\nexplain = \"e\"\nsource = {{ paragraph = 2 }}\n"
    );
    let (deck, diags) = parse_deck("d.toml", &src);
    assert!(diags.is_empty(), "{diags:?}");
    let deck = deck.expect("valid");
    assert_eq!(
        deck.cards[0].body,
        Body::Choice {
            choices: vec!["a".into(), "b".into()],
            answer: "a".into()
        }
    );
    assert_eq!(deck.cards[0].source[0].paragraph, Some(2));
}

#[test]
fn every_problem_is_reported_with_its_location() {
    let src = format!(
        "{HEAD}[[card]]\nid = \"a\"\nkind = \"choice\"\nprompt = \"Q\"\nchoices = [\"x\", \"y\"]\nanswer = \"Riga\"\n\n[[card]]\nid = \"b\"\nkind = \"text\"\nprompt = \"Q\"\nanwser = \"x\"\n\n[[card]]\nid = \"a\"\nkind = \"number\"\nprompt = \"Q\"\nanswer = \"nineteen\"\n"
    );
    let errs: Vec<_> = errors(&src)
        .into_iter()
        .filter(|e| e.contains("error"))
        .collect();
    assert_eq!(
        errs,
        vec![
            "d.toml:9:10: error: answer \"Riga\" is not one of the choices",
            "d.toml:15:1: error: unknown field `anwser`; did you mean `answer`?",
            "d.toml:18:6: error: duplicate card id `a` (first used on line 5)",
            "d.toml:21:10: error: answer \"nineteen\" is not a number",
        ]
    );
}

#[test]
fn syntax_errors_are_located() {
    let errs = errors("[deck]\nid = \"d\nx = 1\n");
    assert!(errs[0].starts_with("d.toml:2:"), "{errs:?}");
}

#[test]
fn kind_specific_checks() {
    let card = |body: &str| {
        format!(
            "{HEAD}[[card]]\nid = \"c\"\n{body}\nexplain = \"e\"\nsource = {{ locator = \"x\" }}\n"
        )
    };
    let cases = [
        (
            "kind = \"cloze\"\nprompt = \"no blanks\"",
            "needs at least one blank",
        ),
        ("kind = \"cloze\"\nprompt = \"open {{blank\"", "not closed"),
        (
            "kind = \"order\"\nprompt = \"Q\"\nitems = [\"a\", \"b\"]",
            "`items` needs 3 to 8 entries, not 2",
        ),
        (
            "kind = \"match\"\nprompt = \"Q\"\npairs = [[\"a\", \"1\"]]",
            "2 to 12 pairs",
        ),
        (
            "kind = \"choice\"\nprompt = \"Q\"\nchoices = [\"a\", \"a\"]\nanswer = \"a\"",
            "duplicate entry",
        ),
        (
            "kind = \"choice\"\nprompt = \"Q\"\nchoices = [\"a\", \" \"]\nanswer = \"a\"",
            "empty entry",
        ),
        (
            "kind = \"truefalse\"\nprompt = \"Q\"\nanswer = \"yes\"",
            "must be true or false",
        ),
        (
            "kind = \"text\"\nprompt = \"Q\"\nchoices = [\"a\"]",
            "does not belong to a text card",
        ),
        ("kind = \"quiz\"\nprompt = \"Q\"", "unknown kind `quiz`"),
        (
            "kind = \"multi\"\nprompt = \"Q\"\nchoices = [\"a\", \"b\"]\nanswers = [\"c\"]",
            "\"c\" is not one",
        ),
        ("prompt = \"Q\"", "missing `kind`"),
    ];
    for (body, expected) in cases {
        let errs = errors(&card(body));
        assert!(
            errs.iter().any(|e| e.contains(expected)),
            "{body}: {errs:?}"
        );
        assert!(parse_deck("d.toml", &card(body)).0.is_none());
    }
}

#[test]
fn warnings_do_not_stop_a_deck() {
    let src = format!(
        "{HEAD}[[card]]\nid = \"c\"\nkind = \"truefalse\"\nprompt = \"Q\"\nanswer = true\n"
    );
    let (deck, diags) = parse_deck("d.toml", &src);
    assert!(deck.is_some());
    assert_eq!(diags.len(), 2);
    assert!(diags.iter().all(|d| d.severity == Severity::Warning));
}

#[test]
fn numbers_parse_as_typed() {
    assert_eq!(parse_number("1,999"), Some(1999.0));
    assert_eq!(parse_number(" 40% "), Some(40.0));
    assert_eq!(parse_number("-2.5"), Some(-2.5));
    assert_eq!(parse_number("abc"), None);
    assert_eq!(parse_number("inf"), None);
}
