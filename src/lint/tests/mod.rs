//! Tests of the item-writing lint: each warning on the decks that should and should not raise it, `allow`, and
//! (in `hints`) every diagnostic code's hint.

mod hints;
mod path;

use super::across::{near_identical, prompt_words};
use super::rules::{
    longest_answer, negative_stem, of_the_above, order_cue, says_number_form, several_questions,
};
use super::*;
use crate::deck::CARD_WARNINGS;
use crate::deck::parse_deck;
use crate::deck::{Body, Card};

#[test]
fn look_alike_choices_near_answers_and_repeated_prompts_are_warned() {
    let src = r#"[deck]
id = "d"
title = "D"

[[card]]
id = "a"
kind = "choice"
prompt = "Which?"
choices = ["NATO", "N.A.T.O.", "EU"]
answer = "EU"

[[card]]
id = "b"
kind = "text"
prompt = "Which country?"
answers = ["Iran"]

[[card]]
id = "c"
kind = "text"
prompt = "Which country?"
answers = ["Iraq"]
reject = ["Iran"]
"#;
    let (deck, _) = parse_deck("d.toml", src);
    let found = lint("d.toml", src, &deck.expect("parses"));
    let lines: Vec<String> = found
        .iter()
        .map(|d| format!("{}: {}", d.line, d.message))
        .collect();
    assert_eq!(
        lines,
        [
            "6: choices \"NATO\" and \"N.A.T.O.\" normalize to the same text",
            "13: answer \"iran\" is one typo from card `c`'s answer \"iraq\": a slip would also accept it; add \"iraq\" to `reject` to keep them apart",
            "19: card `c` has the same prompt as card `b`",
        ]
    );
    assert!(
        found
            .iter()
            .all(|d| d.severity == Severity::Warning && d.hint.is_some())
    );
}

fn card(id: &str, prompt: &str, body: Body) -> Card {
    Card {
        id: id.into(),
        prompt: prompt.into(),
        body,
        explain: None,
        source: Vec::new(),
        tags: Vec::new(),
        hint: None,
        allow: Default::default(),
    }
}

fn choice(choices: &[&str], answer: &str) -> Body {
    Body::Choice {
        choices: choices.iter().map(|c| c.to_string()).collect(),
        answer: answer.into(),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|i| i.to_string()).collect()
}

#[test]
fn longest_answer_needs_half_as_long_again_and_fifteen_characters_more() {
    let warns = [
        // 62 characters against 23 at most.
        choice(
            &[
                "A refresh of relations, not a transformation of the partnership",
                "A suspension of talks",
                "A new treaty",
            ],
            "A refresh of relations, not a transformation of the partnership",
        ),
        // Every right answer of a multi card far longer than every wrong one.
        Body::Multi {
            choices: strings(&[
                "Afghanistan and the transit of supplies to it",
                "Missile proliferation from the Middle East",
                "Iran",
                "Cuba",
            ]),
            answers: strings(&[
                "Afghanistan and the transit of supplies to it",
                "Missile proliferation from the Middle East",
            ]),
        },
    ];
    for body in &warns {
        assert!(longest_answer(body).is_some(), "{body:?}");
    }
    let passes = [
        // Longest, but not by half again.
        choice(
            &[
                "A refresh of relations, not a transformation",
                "A suspension of relations until 2012",
                "A transformation of relations",
            ],
            "A refresh of relations, not a transformation",
        ),
        // Three times as long, but short choices: 12 characters more only.
        choice(&["Iran", "Iraq", "Syria"], "North Korea!"),
        // 2x and +16, but a wrong choice is the longest.
        choice(
            &[
                "Rasmussen, NATO's Secretary General",
                "Dmitry Rogozin",
                "The Foreign Policy Blogs author, who is not named",
            ],
            "Rasmussen, NATO's Secretary General",
        ),
        Body::Multi {
            choices: strings(&[
                "A very long right answer indeed, truly",
                "Short",
                "Also right",
            ]),
            answers: strings(&["A very long right answer indeed, truly", "Also right"]),
        },
    ];
    for body in &passes {
        assert_eq!(longest_answer(body), None, "{body:?}");
    }
}

#[test]
fn all_or_none_of_the_above_are_named() {
    assert_eq!(of_the_above("All of the above"), Some(Code::AllOfTheAbove));
    assert_eq!(of_the_above("all the above."), Some(Code::AllOfTheAbove));
    assert_eq!(of_the_above("None of these"), Some(Code::NoneOfTheAbove));
    assert_eq!(
        of_the_above("None of the above: the text is silent"),
        Some(Code::NoneOfTheAbove)
    );
    for fine in [
        "All NATO members",
        "None",
        "All of Europe",
        "Nonetheless, the above",
        "The above-mentioned treaty",
    ] {
        assert_eq!(of_the_above(fine), None, "{fine}");
    }
}

#[test]
fn order_cues_in_items_and_prompt() {
    let p = "Put these events in chronological order, earliest first.";
    let warns: [(&str, &[&str]); 7] = [
        (
            p,
            &["1997: the Founding Act", "2002: the NRC", "2010: Lisbon"],
        ),
        (
            p,
            &[
                "The Founding Act (1997)",
                "The NRC (2002)",
                "Lisbon (2010)",
                "New START",
            ],
        ),
        (p, &["1. Bosnia", "2. Kosovo", "3. Georgia"]),
        (
            "Latest first.",
            &["2010 Lisbon", "2008 Georgia", "1999 Kosovo"],
        ),
        (p, &["a) Bosnia", "b) Kosovo", "c) Georgia"]),
        (
            p,
            &[
                "First, a refresh",
                "Then a partnership",
                "Finally a transformation",
            ],
        ),
        (
            "From the Founding Act through the NRC to Lisbon: put them in order.",
            &[
                "The Founding Act",
                "The NRC",
                "The Lisbon summit of NATO",
                "Lisbon",
            ],
        ),
    ];
    for (prompt, items) in warns {
        assert!(
            order_cue(prompt, &strings(items)).is_some(),
            "{prompt} {items:?}"
        );
    }
    let passes: [(&str, &[&str]); 7] = [
        (p, &["Bosnia", "Kosovo", "Georgia"]),
        // Years, but not in the right order: they teach nothing about it.
        (
            p,
            &["The NRC (2002)", "The Founding Act (1997)", "Lisbon (2010)"],
        ),
        // One year among four items.
        (p, &["Bosnia", "Kosovo (1999)", "Georgia", "Lisbon"]),
        // A sequence word in one item only.
        (p, &["First contacts", "Kosovo", "Georgia"]),
        (
            p,
            &[
                "Finally a transformation",
                "Then a partnership",
                "First, a refresh",
            ],
        ),
        // The prompt names two items, not the first and the last, or not in order.
        (
            "Kosovo and Georgia: put these four in order.",
            &["Bosnia", "Kosovo", "Georgia", "Lisbon"],
        ),
        (
            "Lisbon, then Bosnia: put these four in order.",
            &["Bosnia", "Kosovo", "Georgia", "Lisbon"],
        ),
    ];
    for (prompt, items) in passes {
        assert_eq!(
            order_cue(prompt, &strings(items)),
            None,
            "{prompt} {items:?}"
        );
    }
}

#[test]
fn negative_stems_without_emphasis() {
    let ask = |prompt: &str| negative_stem(&card("c", prompt, choice(&["a", "b"], "a")));
    for (prompt, word) in [
        (
            "Which of these is not a shared interest Sherr lists?",
            "not",
        ),
        ("Which ally didn't sign the Founding Act?", "didn't"),
        ("All of the following are Sherr's points except", "except"),
        (
            "Who, according to Pouliot, never accepted NATO's lead?",
            "never",
        ),
        ("What does Pouliot say NATO cannot accept?", "cannot"),
    ] {
        assert_eq!(ask(prompt).as_deref(), Some(word), "{prompt}");
    }
    for prompt in [
        "Which of these is NOT a shared interest Sherr lists?",
        "Which of these is *not* a shared interest Sherr lists?",
        "Which of these is _not_ a shared interest Sherr lists?",
        "All of the following are Sherr's points EXCEPT",
        // The negative is in a quotation, or in a clause of its own.
        "Who called on Russia 'to focus on real security challenges instead of ghosts that do not exist'?",
        "Who said \"We cannot outsource our collective defense obligations\"?",
        "Which author concludes that missile defence is probably not the right 'reset button'?",
        "Which reading says the NRC is not only a forum but a family?",
        "Whether or not Russia joins, which system does NATO plan?",
        // A statement, no question.
        "Sherr does not expect a transformation.",
    ] {
        assert_eq!(ask(prompt), None, "{prompt}");
    }
    // True/false statements and flashcards are not questions with choices.
    let tf = card(
        "t",
        "Which treaty did Russia not sign?",
        Body::Truefalse { answer: true },
    );
    assert_eq!(negative_stem(&tf), None);
}

#[test]
fn a_number_prompt_says_what_form_of_number() {
    for fine in [
        "In what year did the Pristina standoff happen?",
        "On which day of November did the summit open?",
        "How many equal partners does the NRC have?",
        "What percentage of Russians fear NATO?",
        "What share, in %, of respondents agreed?",
        "Which Article of the Treaty is collective defence?",
        "How long, in days, did the summit last?",
    ] {
        assert!(says_number_form(fine), "{fine}");
    }
    for vague in [
        "When did the Pristina standoff happen?",
        "What number does Pouliot give?",
        "Give the figure Sherr cites for the NRC.",
    ] {
        assert!(!says_number_form(vague), "{vague}");
    }
}

#[test]
fn a_flashcard_that_asks_two_things() {
    for prompt in [
        "What does the reading say is the alternative, and how does it judge it?",
        "Who proposed a joint system? Why did NATO refuse?",
        "Why does Pouliot call it shared, and what would they gain?",
        "Who proposed a joint system and why?",
    ] {
        assert!(several_questions(prompt).is_some(), "{prompt}");
    }
    for prompt in [
        "Who asked 'Why NATO?' at Lisbon?",
        "When and where did the NRC first meet?",
        "What does Pouliot mean by 'symbolic power struggles'?",
        "What is Naselskaya's conclusion: what must the parties keep in mind?",
        "Why do NATO and Russia disagree on missile defence?",
        "What did Sherr and Pouliot both say about the NRC?",
    ] {
        assert_eq!(several_questions(prompt), None, "{prompt}");
    }
}

/// The warnings of a deck, as "line: message" without the hint.
fn warnings(src: &str) -> Vec<String> {
    let (deck, diags) = parse_deck("d.toml", src);
    assert!(
        diags.iter().all(|d| d.severity == Severity::Warning),
        "{diags:?}"
    );
    lint("d.toml", src, &deck.expect("parses"))
        .iter()
        .map(|d| format!("{}: {}", d.line, d.message))
        .collect()
}

#[test]
fn leaked_answers_and_near_duplicates_across_cards() {
    let src = r#"[deck]
id = "d"
title = "D"

[[card]]
id = "envoy"
kind = "text"
prompt = "Who was Russia's envoy to NATO?"
answers = ["Dmitry Rogozin", "Rogozin"]

[[card]]
id = "envoy-words"
kind = "choice"
prompt = "What did Rogozin say about the NRC?"
choices = ["It works", "It fails"]
answer = "It works"

[[card]]
id = "year"
kind = "number"
prompt = "In what year was the Founding Act signed?"
answer = 1997

[[card]]
id = "act"
kind = "cloze"
prompt = "The {{Founding Act}} of 1997 set up the Permanent Joint Council."

[[card]]
id = "envoy-again"
kind = "choice"
prompt = "Who was Russia's envoy to NATO then?"
choices = ["Rogozin", "Lavrov"]
answer = "Rogozin"

[[card]]
id = "envoy-eu"
kind = "text"
prompt = "Who was Russia's envoy to the EU?"
answers = ["Rogozin"]
"#;
    assert_eq!(
        warnings(src),
        [
            "9: the answer \"Rogozin\" is printed in the prompt of card `envoy-words`: learners read it before they are asked [leaked-answer]",
            "22: the answer \"1997\" is printed in the prompt of card `act`: learners read it before they are asked [leaked-answer]",
            "27: the answer \"Founding Act\" is printed in the prompt of card `year`: learners read it before they are asked [leaked-answer]",
            "32: card `envoy-again` asks almost what card `envoy` asks, with the same answer [near-duplicate]",
            "40: the answer \"Rogozin\" is printed in the prompt of card `envoy-words`: learners read it before they are asked [leaked-answer]",
        ]
    );
    // `envoy-eu` is no near-duplicate of `envoy`: the word that differs is a name.
}

#[test]
fn allow_silences_a_warning_with_its_reason_and_a_stale_allow_is_reported() {
    let src = r#"[deck]
id = "d"
title = "D"

[[card]]
id = "who"
kind = "choice"
prompt = "Which reading calls joint missile defence an important step?"
choices = ["The Foreign Policy Blogs piece", "Pouliot", "Sherr"]
answer = "The Foreign Policy Blogs piece"
allow = { longest-answer = "the unsigned reading is known by its outlet's name" }

[[card]]
id = "when"
kind = "number"
prompt = "When was the Founding Act signed?"
answer = 1997
allow = { number-form = "a year, as every date in this deck", leaked-answer = "no longer" }
"#;
    assert_eq!(
        warnings(src),
        ["18: card `when` allows `leaked-answer`, which it does not raise: the `allow` is stale"]
    );
    let (deck, _) = parse_deck("d.toml", src);
    let deck = deck.expect("parses");
    assert_eq!(
        deck.cards[0]
            .allow
            .get("longest-answer")
            .map(String::as_str),
        Some("the unsigned reading is known by its outlet's name")
    );
    // Without the allow, the warning is there, at the answer, with its name and hint.
    let bare = src.replace(
        "allow = { longest-answer = \"the unsigned reading is known by its outlet's name\" }\n",
        "",
    );
    let (deck, _) = parse_deck("d.toml", &bare);
    let found = lint("d.toml", &bare, &deck.expect("parses"));
    assert_eq!(found[0].line, 10);
    assert_eq!(
        found[0].excerpt,
        "answer = \"The Foreign Policy Blogs piece\""
    );
    assert!(found[0].message.ends_with("[longest-answer]"));
    assert_eq!(found[0].rule, Some("longest-answer"));
    assert!(
        found[0]
            .hint
            .is_some_and(|h| h.contains("wrong choices as long"))
    );
    // An allow changes nothing the learner sees: the card's content hash stays.
    let (with, _) = parse_deck("d.toml", src);
    let (without, _) = parse_deck("d.toml", &bare);
    assert_eq!(
        with.expect("parses").cards[0].content_hash(0),
        without.expect("parses").cards[0].content_hash(0)
    );
}

#[test]
fn allow_takes_known_names_each_with_a_reason() {
    let card = |allow: &str| {
        format!(
            "[deck]\nid = \"d\"\ntitle = \"D\"\n\n[[card]]\nid = \"c\"\nkind = \"truefalse\"\nprompt = \"Q\"\nanswer = true\nallow = {allow}\n"
        )
    };
    let errors = |allow: &str| -> Vec<String> {
        let (deck, diags) = parse_deck("d.toml", &card(allow));
        assert!(deck.is_none(), "{allow}");
        diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{}: {}", d.line, d.message))
            .collect()
    };
    assert_eq!(
        errors("{ longest-answr = \"why\" }"),
        [format!(
            "10: unknown warning `longest-answr` in `allow`; did you mean `longest-answer`? (one of {})",
            CARD_WARNINGS.map(|(n, _)| n).join(", ")
        )]
    );
    assert_eq!(
        errors("{ longest-answer = \" \" }"),
        [
            "10: `allow` of `longest-answer` needs a reason: longest-answer = \"why this card is right as it is\""
        ]
    );
    assert_eq!(
        errors("{ longest-answer = true }").len(),
        1,
        "a reason is text"
    );
    assert!(errors("[\"longest-answer\"]")[0].contains("must be a table"));
    // Deck-level warnings are not a card's to allow.
    assert!(errors("{ theme-coverage = \"why\" }")[0].contains("unknown warning"));
    let (deck, diags) = parse_deck("d.toml", &card("{ negative-stem = \"why\" }"));
    assert!(deck.is_some(), "{diags:?}");
}

/// A deck of `n` cards, the first `themed` of them tagged `theme:missile-defence`, the rest `theme:status`,
/// with `theme:partnership` among the deck's tags; its answers alternate true and false (no `truefalse-lean`).
fn themed_deck(n: usize, themed: usize) -> String {
    let mut src = "[deck]\nid = \"d\"\ntitle = \"D\"\ntags = [\"org:nato\", \"theme:partnership\"]\n\n[deck.source]\nauthor = \"A\"\n".to_string();
    for i in 0..n {
        let tag = if i < themed {
            "theme:missile-defence"
        } else {
            "theme:status"
        };
        src.push_str(&format!(
            "\n[[card]]\nid = \"c{i}\"\nkind = \"truefalse\"\nprompt = \"Statement {i}.\"\nanswer = {}\ntags = [\"{tag}\", \"org:nato\"]\n",
            i % 2 == 0
        ));
    }
    src
}

#[test]
fn themes_go_on_the_cards_they_describe() {
    assert_eq!(
        warnings(&themed_deck(10, 6)),
        [
            "1: theme `theme:missile-defence` is on 6 of the deck's 10 cards (60 %): a theme on more than half of a deck measures little [theme-coverage]",
            "4: deck tag `theme:partnership` is a theme: deck tags describe the deck and are not applied to its cards [deck-theme]",
        ]
    );
    // 5 of 10 is not more than half; a deck of 9 cards is too small to say.
    assert_eq!(
        warnings(&themed_deck(10, 5)),
        [
            "4: deck tag `theme:partnership` is a theme: deck tags describe the deck and are not applied to its cards [deck-theme]",
        ]
    );
    assert_eq!(
        warnings(&themed_deck(9, 9)),
        [
            "4: deck tag `theme:partnership` is a theme: deck tags describe the deck and are not applied to its cards [deck-theme]"
        ]
    );
    // Deck tags that are not themes describe the deck, as they should.
    let plain = themed_deck(10, 4)
        .replace(", \"theme:partnership\"]", "]")
        .replace("\"theme:status\"", "\"actor:rogozin\"");
    assert_eq!(warnings(&plain), Vec::<String>::new());
}

#[test]
fn near_identical_prompts_differ_only_in_ordinary_words() {
    let same = |a: &str, b: &str| near_identical(&prompt_words(a), &prompt_words(b));
    assert!(same(
        "Who was Russia's envoy to NATO?",
        "Who was Russia's envoy to NATO then?"
    ));
    assert!(same(
        "According to Sherr, what does Russia want from NATO?",
        "What does Russia want from NATO, according to Sherr?"
    ));
    // A different name or number makes a different question, however alike the rest.
    assert!(!same(
        "What did Sherr call the NRC?",
        "What did Pouliot call the NRC?"
    ));
    assert!(!same(
        "In which year was treaty 5 signed?",
        "In which year was treaty 105 signed?"
    ));
    // Too different, or too short to say.
    assert!(!same(
        "Who was Russia's envoy to NATO?",
        "Who spoke for Russia at the Lisbon meeting of the NRC?"
    ));
    assert!(!same("Who?", "Who then?"));
}
