//! Tests of the learner's path: the new-card order (rotation, paragraph order, siblings, cards that wait on a
//! reading) and `shown-earlier` over it, with both cards and the distance named and `allow` honoured.

use crate::deck::{Deck, Severity, parse_deck};
use crate::lint::path::{PathDeck, Step, new_card_order};
use crate::lint::{Given, path_lint};

fn deck(src: &str) -> Deck {
    let (deck, diags) = parse_deck("t.toml", src);
    assert!(
        diags.iter().all(|d| d.severity != Severity::Error),
        "{diags:?}"
    );
    deck.expect("parses")
}

fn card(id: &str, fields: &str, paragraph: u32) -> String {
    format!(
        "\n[[card]]\nid = \"{id}\"\n{fields}\nexplain = \"Said so.\"\nsource = {{ paragraph = {paragraph} }}\n"
    )
}

fn names(decks: &[PathDeck<'_>], order: &[Step]) -> Vec<String> {
    order
        .iter()
        .map(|s| {
            format!(
                "{}/{}#{}",
                decks[s.deck].deck.id, decks[s.deck].deck.cards[s.card].id, s.sibling
            )
        })
        .collect()
}

/// Attack: a card written first but sourced to a later paragraph must come later; decks alternate, reading
/// decks first; a card drawing on another deck waits for a day that starts with that deck seen; two blanks of
/// one cloze never fall on one day.
#[test]
fn the_order_follows_paragraphs_rotation_waits_and_siblings() {
    let a = deck(&format!(
        "[deck]\nid = \"a\"\ntitle = \"A\"\n{}{}",
        card(
            "late",
            "kind = \"truefalse\"\nprompt = \"Late.\"\nanswer = true",
            3
        ),
        card(
            "early",
            "kind = \"cloze\"\nprompt = \"{{One}} and {{two}}.\"",
            1
        ),
    ));
    let x = deck(&format!(
        "[deck]\nid = \"x\"\ntitle = \"X\"\n{}",
        "\n[[card]]\nid = \"cross\"\nkind = \"truefalse\"\nprompt = \"Cross.\"\nanswer = true\nexplain = \"e\"\nsource = [{ deck = \"a\", paragraph = 1 }]\n"
    ));
    let decks = [
        PathDeck {
            deck: &x,
            offer: None,
        },
        PathDeck {
            deck: &a,
            offer: None,
        },
    ];
    assert_eq!(
        names(&decks, &new_card_order(&decks, 2)),
        // Day 1: a's first blank and `late` (its second blank waits: a sibling), `cross` waits on a.
        // Day 2: a's second blank, then `cross`.
        ["a/early#0", "a/late#0", "a/early#1", "x/cross#0"]
    );
}

/// Attack: a leak planted in each field a learner sees, and in the deck title, is reported at the answering card
/// with the showing card and the distance; a card that allows it is not; the same deck without the leak is clean.
#[test]
fn each_shown_field_leaks_and_allow_is_honoured() {
    let answer = card(
        "asked",
        "kind = \"text\"\nprompt = \"Who wrote it?\"\nanswers = [\"Naselskaya\"]",
        9,
    );
    let fields = [
        (
            "prompt",
            "kind = \"truefalse\"\nprompt = \"Naselskaya wrote it.\"\nanswer = true",
        ),
        (
            "choices",
            "kind = \"choice\"\nprompt = \"Who?\"\nchoices = [\"Naselskaya\", \"Sherr\"]\nanswer = \"Sherr\"",
        ),
        (
            "items",
            "kind = \"order\"\nprompt = \"Order them.\"\nitems = [\"Sherr\", \"Naselskaya\", \"Pouliot\"]",
        ),
        (
            "pairs",
            "kind = \"match\"\nprompt = \"Match.\"\npairs = [[\"Sherr\", \"Lisbon\"], [\"Naselskaya\", \"Moscow\"]]",
        ),
        (
            "explain",
            "kind = \"truefalse\"\nprompt = \"It was written.\"\nanswer = true\nhint = \"h\"\nexplain = \"As Naselskaya says.\"",
        ),
        (
            "hint",
            "kind = \"truefalse\"\nprompt = \"It was written.\"\nanswer = true\nhint = \"Think of Naselskaya.\"",
        ),
    ];
    for (field, shown) in fields {
        // `explain` is written once: the planted one replaces the helper's.
        let shown = card("shows", shown, 1).replacen(
            "explain = \"Said so.\"\n",
            "",
            usize::from(field == "explain"),
        );
        let src = format!("[deck]\nid = \"d\"\ntitle = \"D\"\n{shown}{answer}");
        let d = deck(&src);
        let given = [Given {
            file: "t.toml",
            src: &src,
            deck: &d,
        }];
        let warnings = path_lint(&given, &[], 20);
        assert_eq!(warnings.len(), 1, "{field}: {warnings:?}");
        let m = &warnings[0].message;
        assert!(
            m.contains("`d/asked`") && m.contains("`d/shows`"),
            "{field}: {m}"
        );
        assert!(
            m.contains(&format!("in the {field} of card")),
            "{field}: {m}"
        );
        assert!(
            m.contains("shown 1 card(s) earlier") && m.ends_with("[shown-earlier]"),
            "{m}"
        );
        let allowed = src.replace(
            "answers = [\"Naselskaya\"]",
            "answers = [\"Naselskaya\"]\nallow = { shown-earlier = \"asked after on purpose\" }",
        );
        let d = deck(&allowed);
        let given = [Given {
            file: "t.toml",
            src: &allowed,
            deck: &d,
        }];
        assert!(path_lint(&given, &[], 20).is_empty(), "{field}: allowed");
    }
    // The title of another deck met earlier, shown in the header.
    let titled = deck(&format!(
        "[deck]\nid = \"b\"\ntitle = \"Naselskaya on defence\"\n{}",
        card(
            "b1",
            "kind = \"truefalse\"\nprompt = \"Yes.\"\nanswer = true",
            1
        )
    ));
    let src = format!("[deck]\nid = \"d\"\ntitle = \"D\"\n{answer}");
    let d = deck(&src);
    let given = [Given {
        file: "t.toml",
        src: &src,
        deck: &d,
    }];
    let warnings = path_lint(&given, &[(&titled, Some(0))], 20);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].message.contains("deck title"),
        "{}",
        warnings[0].message
    );
    // Clean: nothing earlier shows the answer (a later card may).
    let src = format!(
        "[deck]\nid = \"d\"\ntitle = \"D\"\n{answer}{}",
        card(
            "after",
            "kind = \"truefalse\"\nprompt = \"Naselskaya wrote it.\"\nanswer = true",
            10
        )
    );
    let d = deck(&src);
    let given = [Given {
        file: "t.toml",
        src: &src,
        deck: &d,
    }];
    assert!(path_lint(&given, &[], 20).is_empty());
    // A stale allow is named.
    let stale = src.replace(
        "answers = [\"Naselskaya\"]",
        "answers = [\"Naselskaya\"]\nallow = { shown-earlier = \"no longer needed\" }",
    );
    let d = deck(&stale);
    let given = [Given {
        file: "t.toml",
        src: &stale,
        deck: &d,
    }];
    let warnings = path_lint(&given, &[], 20);
    assert!(
        warnings.len() == 1 && warnings[0].message.contains("stale"),
        "{warnings:?}"
    );
}
