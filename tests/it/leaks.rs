//! The leak check over the learner's path: the store's queue meets new cards in the one pure order
//! (`lint::path::new_card_order`), and `deck check` warns, naming both cards, of an answer shown on a card met
//! earlier, of true/false answers that lean one way, of an explanation pointing at a shuffled option by position
//! and of an answer in the deck title; a clean deck gets none of them.

use crate::support::{detente, run};
use detente::deck::builtin::DECKS;
use detente::deck::{Deck, Severity, parse_deck};
use detente::lint::path::{PathDeck, new_card_order};
use detente::schedule::{CardState, Phase};
use detente::store::{self, Filter, Store, counts};
use std::collections::HashSet;
use std::path::Path;

/// Every new card a fresh learner is offered, `per_day` a day, each day's cards seen before the next day's are
/// asked for: (deck, card, sibling), in the order the store's queue gives them.
fn store_order(path: &Path, per_day: u32) -> Vec<(String, String, usize)> {
    let mut store = Store::open(path).expect("open");
    store::sync_builtin(&mut store, 0).expect("built-in decks");
    let learner = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
    let state = CardState {
        phase: Phase::Review,
        step: 0,
        stability: 10.0,
        difficulty: 5.0,
        due: 10 * 86_400,
        last_review: 0,
        last_day: detente::time::Day(0),
        interval: 10,
        reps: 1,
        lapses: 0,
        leech: false,
    };
    let mut out = Vec::new();
    loop {
        let ids = counts::new_for_today(
            &store.conn,
            learner.id,
            &Filter::default(),
            per_day,
            &HashSet::new(),
        )
        .expect("new cards");
        if ids.is_empty() {
            return out;
        }
        let tx = store.write().expect("tx");
        for id in &ids {
            store::put_state(&tx, learner.id, *id, Some(&state)).expect("state");
        }
        tx.commit().expect("commit");
        for id in ids {
            let c = store::card(&store.conn, id).expect("card").expect("exists");
            out.push((c.deck_id, c.card_key, c.sibling));
        }
    }
}

/// Attack: the pure order and the store's queue are two implementations of one rule (rotation of decks, reading
/// decks first, paragraph order, siblings a day apart, cross-reading cards waiting on their readings); any drift
/// between them on the built-in decks, at two daily limits, fails here, card by card.
#[test]
fn the_store_queue_meets_new_cards_in_the_pure_order() {
    let decks: Vec<Deck> = DECKS
        .iter()
        .map(|b| parse_deck(b.file, b.text).0.expect("parses"))
        .collect();
    let path: Vec<PathDeck<'_>> = decks
        .iter()
        .enumerate()
        .map(|(i, deck)| PathDeck {
            deck,
            offer: Some(i),
        })
        .collect();
    let items: usize = decks.iter().map(Deck::study_items).sum();
    for per_day in [20, 7] {
        let dir = tempfile::tempdir().expect("tmp");
        let stored = store_order(&dir.path().join("d.db"), per_day);
        let pure: Vec<(String, String, usize)> = new_card_order(&path, per_day as usize)
            .into_iter()
            .map(|s| {
                (
                    decks[s.deck].id.clone(),
                    decks[s.deck].cards[s.card].id.clone(),
                    s.sibling,
                )
            })
            .collect();
        assert_eq!(pure.len(), items, "every study item is met once");
        for (i, (p, s)) in pure.iter().zip(&stored).enumerate() {
            assert_eq!(p, s, "{per_day} a day: card {i} of the path");
        }
        assert_eq!(pure.len(), stored.len(), "{per_day} a day");
    }
}

const HEAD: &str = "[deck]\nid = \"planted\"\ntitle = \"Planted\"\n";

fn card(id: &str, fields: &str, paragraph: u32) -> String {
    format!(
        "\n[[card]]\nid = \"{id}\"\n{fields}\nexplain = \"As the reading says.\"\nsource = {{ paragraph = {paragraph} }}\n"
    )
}

/// `deck check` on one deck file: its stderr and whether it succeeded.
fn check(dir: &Path, name: &str, src: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, src).expect("write");
    let out = run(
        detente(&dir.join("none.db")),
        &["deck", "check", file.to_str().expect("utf-8 path")],
    );
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Attack: one leak of each kind planted in a small deck is warned, with its rule name, both cards (and the
/// distance) where two are involved, by `deck check` and `deck import --dry-run` but not by an import; the same
/// deck with the leaks taken out gets 0 warnings, so the check does not warn on anything.
#[test]
fn planted_leaks_are_warned_with_both_cards_and_a_clean_deck_gets_none() {
    let dir = tempfile::tempdir().expect("tmp");
    // An earlier card's choices print the answer of a card two places later in the deck (further on the path,
    // where the built-in decks' cards come in turn).
    let shown = format!(
        "{HEAD}{}{}{}",
        card(
            "shows",
            "kind = \"choice\"\nprompt = \"Who chaired the council?\"\nchoices = [\"Quorwendel\", \"Brastavik\", \"Olmhaven\"]\nanswer = \"Brastavik\"",
            1
        ),
        card(
            "between",
            "kind = \"number\"\nprompt = \"How many members sat on the council?\"\nanswer = 29",
            2
        ),
        card(
            "asked",
            "kind = \"text\"\nprompt = \"Who wrote the council's first report?\"\nanswers = [\"Quorwendel\"]",
            3
        ),
    );
    let said = check(dir.path(), "shown.toml", &shown);
    // `deck import --dry-run` walks the path too; an import does not.
    let db = dir.path().join("d.db");
    let file = dir.path().join("shown.toml");
    let file = file.to_str().expect("utf-8 path");
    let dry = run(detente(&db), &["deck", "import", "--dry-run", file]);
    assert!(dry.status.success(), "{dry:?}");
    assert!(
        String::from_utf8_lossy(&dry.stderr).contains("[shown-earlier]"),
        "{dry:?}"
    );
    let real = run(detente(&db), &["deck", "import", file]);
    assert!(real.status.success(), "{real:?}");
    assert!(
        !String::from_utf8_lossy(&real.stderr).contains("[shown-earlier]"),
        "{real:?}"
    );
    assert!(
        said.contains("`planted/asked`")
            && said.contains("`planted/shows`")
            && said.contains("card(s) earlier on a new learner's path")
            && said.contains("[shown-earlier]"),
        "{said}"
    );
    // Six true/false cards, five of them false.
    let mut lean = HEAD.to_string();
    for i in 0..6 {
        lean.push_str(&card(
            &format!("tf{i}"),
            &format!(
                "kind = \"truefalse\"\nprompt = \"Statement {i} holds.\"\nanswer = {}",
                i == 0
            ),
            i + 1,
        ));
    }
    let said = check(dir.path(), "lean.toml", &lean);
    assert!(
        said.contains("5 of the deck's 6 true/false cards are false")
            && said.contains("[truefalse-lean]"),
        "{said}"
    );
    // An explanation pointing at "the second option"; an answer in the title.
    let position = format!(
        "[deck]\nid = \"planted\"\ntitle = \"The Brastavik council\"\n{}{}",
        card(
            "byline",
            "kind = \"choice\"\nprompt = \"Where did the piece appear?\"\nchoices = [\"Olmhaven Review\", \"Quorwendel Weekly\"]\nanswer = \"Olmhaven Review\"",
            1
        )
        .replace("As the reading says.", "The second option is made up."),
        card("titled", "kind = \"cloze\"\nprompt = \"The {{Brastavik}} council met twice.\"", 2),
    );
    let said = check(dir.path(), "position.toml", &position);
    assert!(
        said.contains("\"second option\"") && said.contains("[option-position]"),
        "{said}"
    );
    assert!(
        said.contains("\"Brastavik\" is in the deck title") && said.contains("[answer-in-title]"),
        "{said}"
    );
    // The same decks with the leaks taken out.
    let clean = format!(
        "{HEAD}{}{}",
        card(
            "asked",
            "kind = \"text\"\nprompt = \"Who wrote the council's first report?\"\nanswers = [\"Quorwendel\"]",
            1
        ),
        card(
            "shows",
            "kind = \"choice\"\nprompt = \"Who chaired the council?\"\nchoices = [\"Ystrelle\", \"Brastavik\", \"Olmhaven\"]\nanswer = \"Brastavik\"",
            2
        ),
    );
    let said = check(dir.path(), "clean.toml", &clean);
    assert!(said.contains("no errors, 0 warning(s)"), "{said}");
}

/// Attack: the lint's answer index chains the cards that accept one typed form (a form maps to its first and last
/// entry, one list for the deck), and the near-duplicate rule groups cards by answer as runs of one sorted list. A
/// lost link (a middle card of the four accepting "Rogozin" not reached), a chain out of deck order (the wrong
/// first card named, or a wrong "and N more" count) or a group cut short would change these warnings.
#[test]
fn a_form_many_cards_accept_is_found_for_each_in_deck_order() {
    let text = |id: &str, prompt: &str, answers: &str| {
        format!(
            "[[card]]\nid = \"{id}\"\nkind = \"text\"\nprompt = \"{prompt}\"\nanswers = [{answers}]\n\n"
        )
    };
    let mut src = String::from("[deck]\nid = \"d\"\ntitle = \"D\"\n\n");
    src += &text("a", "Who was Russia's envoy to NATO?", "\"Rogozin\"");
    src += &text(
        "b",
        "Who chaired the Permanent Joint Council?",
        "\"Primakov\", \"Rogozin\"",
    );
    src += &text("c", "Who was Russia's envoy to the EU?", "\"Rogozin\"");
    src += &text("d", "What did Rogozin say about Primakov?", "\"Nothing\"");
    src += &text("e", "What did Rogozin write?", "\"Memoirs\"");
    src += &text("f", "Who was Russia's envoy to NATO then?", "\"Rogozin\"");
    let (deck, diags) = parse_deck("d.toml", &src);
    assert!(
        diags.iter().all(|d| d.severity == Severity::Warning),
        "{diags:?}"
    );
    let found: Vec<String> = detente::lint::lint("d.toml", &src, &deck.expect("parses"))
        .iter()
        .filter(|d| {
            d.rule
                .is_some_and(|r| r == "leaked-answer" || r == "near-duplicate")
        })
        .map(|d| format!("{}: {}", d.line, d.message))
        .collect();
    let leak = |line: usize, form: &str, more: &str| {
        format!(
            "{line}: the answer \"{form}\" is printed in the prompt of card `d`{more}: learners read it before \
             they are asked [leaked-answer]"
        )
    };
    assert_eq!(
        found,
        [
            leak(9, "Rogozin", " and 1 more"),
            // Its first form printed in `d`'s prompt, of the two it accepts.
            leak(15, "Rogozin", " and 1 more"),
            leak(21, "Rogozin", " and 1 more"),
            "38: card `f` asks almost what card `a` asks, with the same answer [near-duplicate]"
                .to_string(),
            leak(39, "Rogozin", " and 1 more"),
        ]
    );
}
