//! Every diagnostic code with its hint, and a deck that raises it: the hint a teacher sees is chosen by what the
//! problem is, never by the words of its message.

use super::super::DECK_WARNINGS;
use crate::deck::{CARD_WARNINGS, Code, Diagnostic, parse_deck};
use crate::lint::lint;

/// The diagnostics `deck check` gives a deck: the parser's, then the lint's when it parses.
fn check(src: &str) -> Vec<Diagnostic> {
    let (deck, mut diags) = parse_deck("d.toml", src);
    if let Some(deck) = deck {
        diags.extend(lint("d.toml", src, &deck));
    }
    diags
}

const HEAD: &str = "[deck]\nid = \"d\"\ntitle = \"T\"\n";

/// A deck with one card of the given fields, with an `explain` and a `source`.
fn one(fields: &str) -> String {
    format!("{HEAD}{}", card("c", fields))
}

fn card(id: &str, fields: &str) -> String {
    format!("\n[[card]]\nid = \"{id}\"\n{fields}\nexplain = \"e\"\nsource = {{ paragraph = 1 }}\n")
}

/// A deck of `n` true/false cards, the first `themed` of them tagged `theme:status`.
fn themed(n: usize, themed: usize) -> String {
    let mut src = HEAD.to_string();
    for i in 0..n {
        let tags = if i < themed {
            "[\"theme:status\"]"
        } else {
            "[]"
        };
        src.push_str(&card(
            &format!("c{i}"),
            &format!(
                "kind = \"truefalse\"\nprompt = \"Statement {i}.\"\nanswer = true\ntags = {tags}"
            ),
        ));
    }
    src
}

/// What each code looks like: a deck that raises it (`None` for the problems `deck check` finds outside the deck
/// parser and the lint, and for files that are not decks), a piece of its message, and the hint it must get. A new
/// code does not compile until it is given its case here.
fn case(code: Code) -> (Option<String>, &'static str, Option<&'static str>) {
    let tf = "kind = \"truefalse\"\nprompt = \"Q\"\nanswer = true";
    match code {
        // Made by `deck check` and `deck import` themselves (src/commands/deck.rs), and by the exam parser.
        Code::NotUtf8 => (
            None,
            "the file is not UTF-8",
            Some("save the file as UTF-8 in your editor"),
        ),
        Code::DuplicateDeckId => (
            None,
            "is also used by",
            Some("deck ids must be unique: rename one deck's `id`"),
        ),
        Code::BuiltinDeckId => (None, "is a built-in deck's id", None),
        Code::Other => (None, "", None),
        Code::ExamUnknownField => (
            None,
            "unknown field",
            Some("check the spelling; `docs/exam-format.md` lists the fields of an exam file"),
        ),
        Code::Toml => (Some("[deck]\nid = \"d\nx = 1\n".into()), "", None),
        Code::UnknownTopLevelKey => (
            Some(format!("foo = 1\n{}", one(tf))),
            "unknown top-level key `foo`",
            None,
        ),
        Code::MissingDeckTable => (
            Some(card("c", tf)),
            "missing [deck] table",
            Some(
                "start the file with [deck], an `id` and a `title`; `detente deck new` writes a template",
            ),
        ),
        Code::NoCards => (
            Some(HEAD.into()),
            "the deck has no [[card]] entries",
            Some("add cards as [[card]] tables; `detente deck new` writes one of every kind"),
        ),
        Code::CardNotTable => (
            Some(format!("card = [1, 2]\n{HEAD}")),
            "each card must be a [[card]] table",
            None,
        ),
        Code::UnknownField => (
            Some(one("kind = \"truefalse\"\nprompt = \"Q\"\nanswr = true")),
            "unknown field `answr`; did you mean `answer`?",
            Some("check the spelling; `docs/deck-format.md` lists the fields of each kind"),
        ),
        Code::MisplacedField => (
            Some(one("kind = \"text\"\nprompt = \"Q\"\nchoices = [\"a\"]")),
            "`choices` does not belong to a text card",
            Some("remove it, or change `kind` to a kind that takes it"),
        ),
        Code::MissingField => (
            Some(one("prompt = \"Q\"\nanswer = true")),
            "card is missing `kind`",
            Some("add the field; `docs/deck-format.md` shows an example of each kind"),
        ),
        Code::BadId => (
            Some(format!(
                "[deck]\nid = \"Not A Slug\"\ntitle = \"T\"\n{}",
                card("c", tf)
            )),
            "deck id `Not A Slug` must be 1 to 64 characters",
            Some("use lower-case letters, digits and '-', such as `nrc-refresh`"),
        ),
        Code::DuplicateCardId => (
            Some(format!("{HEAD}{}{}", card("c", tf), card("c", tf))),
            "duplicate card id `c`",
            Some("give each card its own id; progress is keyed on it, so rename the newer card"),
        ),
        Code::BadTag => (
            Some(one(&format!("{tf}\ntags = [\"missile defence\"]"))),
            "tag `missile defence` must be one word",
            Some("tags have no spaces: `theme:missile-defence`, not `theme:missile defence`"),
        ),
        Code::BadNewOrder => (
            Some(format!("{HEAD}new_order = \"random\"\n{}", card("c", tf))),
            "`new_order` must be \"paragraph\" or \"file\"",
            None,
        ),
        Code::UnknownKind => (
            Some(one("kind = \"quiz\"\nprompt = \"Q\"")),
            "unknown kind `quiz`",
            Some("`docs/deck-format.md` describes each kind and the fields it takes"),
        ),
        Code::EmptyPrompt => (
            Some(one("kind = \"truefalse\"\nprompt = \" \"\nanswer = true")),
            "`prompt` is empty",
            None,
        ),
        Code::LongPrompt => (
            Some(one(&format!(
                "kind = \"truefalse\"\nprompt = \"{}\"\nanswer = true",
                "word ".repeat(81)
            ))),
            "very long prompt (405 characters)",
            Some("shorter prompts are easier to read in a terminal; move detail into `explain`"),
        ),
        Code::EmptyAnswer => (
            Some(one("kind = \"flashcard\"\nprompt = \"Q\"\nanswer = \" \"")),
            "`answer` is empty",
            None,
        ),
        Code::AnswerType => (
            Some(one(
                "kind = \"truefalse\"\nprompt = \"Q\"\nanswer = \"yes\"",
            )),
            "`answer` must be true or false, not string",
            None,
        ),
        Code::AnswerNotAChoice => (
            Some(one(
                "kind = \"multi\"\nprompt = \"Q\"\nchoices = [\"a\", \"b\"]\nanswers = [\"c\"]",
            )),
            "answer \"c\" is not one of the choices",
            Some("copy the answer exactly from `choices`, or add it to them"),
        ),
        Code::NotANumber => (
            Some(one(
                "kind = \"number\"\nprompt = \"In what year?\"\nanswer = \"nineteen\"",
            )),
            "answer \"nineteen\" is not a number",
            Some("write a plain number such as 2008 or 3.5 (no units or words)"),
        ),
        Code::BadTolerance => (
            Some(one(
                "kind = \"number\"\nprompt = \"In what year?\"\nanswer = 1997\ntolerance = -1",
            )),
            "`tolerance` must be zero or more",
            None,
        ),
        Code::ListSize => (
            Some(one(
                "kind = \"match\"\nprompt = \"Q\"\npairs = [[\"a\", \"1\"]]",
            )),
            "`pairs` needs 2 to 12 pairs, not 1",
            Some("see the limits of each kind in `docs/deck-format.md`"),
        ),
        Code::EmptyEntry => (
            Some(one(
                "kind = \"choice\"\nprompt = \"Q\"\nchoices = [\"a\", \" \"]\nanswer = \"a\"",
            )),
            "empty entry in `choices`",
            Some("remove the empty entry or fill it in"),
        ),
        Code::DuplicateEntry => (
            Some(one(
                "kind = \"order\"\nprompt = \"Q\"\nitems = [\"a\", \"b\", \"a\"]",
            )),
            "duplicate entry \"a\" in `items`",
            Some("each entry must differ from the others"),
        ),
        Code::EmptyPairSide => (
            Some(one(
                "kind = \"match\"\nprompt = \"Q\"\npairs = [[\"a\", \" \"], [\"b\", \"2\"]]",
            )),
            "empty side in a pair",
            None,
        ),
        Code::DuplicatePairSide => (
            Some(one(
                "kind = \"match\"\nprompt = \"Q\"\npairs = [[\"a\", \"1\"], [\"a\", \"2\"]]",
            )),
            "duplicate side in pair [\"a\", \"2\"]",
            None,
        ),
        Code::ClozeUnclosed => (
            Some(one("kind = \"cloze\"\nprompt = \"open {{blank\"")),
            "a blank in the cloze prompt is not closed",
            Some("close the blank with }}"),
        ),
        Code::ClozeNoBlank => (
            Some(one("kind = \"cloze\"\nprompt = \"no blanks\"")),
            "a cloze prompt needs at least one blank",
            Some("mark each blank in the prompt as {{answer}} or {{answer|alternative}}"),
        ),
        Code::ClozeEmptyBlank => (
            Some(one("kind = \"cloze\"\nprompt = \"an {{ }} blank\"")),
            "a cloze blank is empty",
            None,
        ),
        Code::NoExplain => (
            Some(format!(
                "{HEAD}\n[[card]]\nid = \"c\"\n{tf}\nsource = {{ paragraph = 1 }}\n"
            )),
            "card has no `explain`",
            Some("add `explain = \"...\"`: a sentence on why the answer is right"),
        ),
        Code::NoSource => (
            Some(format!(
                "{HEAD}\n[[card]]\nid = \"c\"\n{tf}\nexplain = \"e\"\n"
            )),
            "card has no `source`",
            Some("add `source = { paragraph = N }` or `source = { locator = \"...\" }`"),
        ),
        Code::SourceNotTable => (
            Some(format!(
                "{HEAD}\n[[card]]\nid = \"c\"\n{tf}\nexplain = \"e\"\nsource = 3\n"
            )),
            "`source` must be a table",
            None,
        ),
        Code::BadSourceValue => (
            Some(format!(
                "{HEAD}\n[[card]]\nid = \"c\"\n{tf}\nexplain = \"e\"\nsource = {{ locator = \" \" }}\n"
            )),
            "`source.locator` must be a non-empty string",
            None,
        ),
        Code::SourceWithoutLocation => (
            Some(format!(
                "{HEAD}\n[[card]]\nid = \"c\"\n{tf}\nexplain = \"e\"\nsource = {{ deck = \"other\" }}\n"
            )),
            "`source` needs a `paragraph` or a `locator`",
            Some(
                "say where in the reading: add `paragraph = N` or `locator = \"...\"` to the table, beside any `deck = \"...\"`",
            ),
        ),
        Code::AllowNotTable => (
            Some(one(&format!("{tf}\nallow = [\"longest-answer\"]"))),
            "`allow` must be a table",
            Some("write `allow = { longest-answer = \"why this card is right as it is\" }`"),
        ),
        Code::UnknownAllowName => (
            Some(one(&format!("{tf}\nallow = {{ longest-answr = \"why\" }}"))),
            "unknown warning `longest-answr` in `allow`",
            Some("`allow` takes the warning names listed in `docs/deck-format.md`"),
        ),
        Code::AllowWithoutReason => (
            Some(one(&format!("{tf}\nallow = {{ longest-answer = \" \" }}"))),
            "`allow` of `longest-answer` needs a reason",
            Some("write `allow = { longest-answer = \"why this card is right as it is\" }`"),
        ),
        Code::StaleAllow => (
            Some(one(&format!("{tf}\nallow = {{ negative-stem = \"why\" }}"))),
            "card `c` allows `negative-stem`, which it does not raise",
            Some("remove the entry from `allow`: the card no longer raises that warning"),
        ),
        Code::LookAlikeChoices => (
            Some(one(
                "kind = \"choice\"\nprompt = \"Q\"\nchoices = [\"NATO\", \"N.A.T.O.\", \"EU\"]\nanswer = \"EU\"",
            )),
            "choices \"NATO\" and \"N.A.T.O.\" normalize to the same text",
            Some("learners cannot tell these apart: reword one of them"),
        ),
        Code::SamePrompt => (
            Some(format!("{HEAD}{}{}", card("a", tf), card("b", tf))),
            "card `b` has the same prompt as card `a`",
            Some("reword one of the prompts, or remove the duplicate card"),
        ),
        Code::TypoNeighbour => (
            Some(format!(
                "{HEAD}{}{}",
                card(
                    "a",
                    "kind = \"text\"\nprompt = \"Which?\"\nanswers = [\"Iran\"]"
                ),
                card(
                    "b",
                    "kind = \"text\"\nprompt = \"Which one?\"\nanswers = [\"Iraq\"]"
                ),
            )),
            "is one typo from card",
            Some("make the answers distinct, or add the other card's answer to `reject`"),
        ),
        Code::LongestAnswer => (
            Some(one(
                "kind = \"choice\"\nprompt = \"Q\"\nchoices = [\"A refresh of relations, not a transformation of the partnership\", \"A new treaty\"]\nanswer = \"A refresh of relations, not a transformation of the partnership\"",
            )),
            "[longest-answer]",
            Some("make the wrong choices as long and as specific as the right one, or shorten it"),
        ),
        Code::LeakedAnswer => (
            Some(format!(
                "{HEAD}{}{}",
                card(
                    "a",
                    "kind = \"text\"\nprompt = \"Who was the envoy?\"\nanswers = [\"Rogozin\"]"
                ),
                card(
                    "b",
                    "kind = \"truefalse\"\nprompt = \"Rogozin spoke first.\"\nanswer = true"
                ),
            )),
            "[leaked-answer]",
            Some(
                "reword the other card's prompt so it does not print the answer, or ask this card another way",
            ),
        ),
        Code::OrderCue => (
            Some(one(
                "kind = \"order\"\nprompt = \"Q\"\nitems = [\"1. Bosnia\", \"2. Kosovo\", \"3. Georgia\"]",
            )),
            "[order-cue]",
            Some(
                "take the numbers, years, labels or sequence words out of the items and the prompt; say them in `explain`",
            ),
        ),
        Code::AllOfTheAbove => (
            Some(one(
                "kind = \"choice\"\nprompt = \"Q\"\nchoices = [\"Iran\", \"All of the above\"]\nanswer = \"Iran\"",
            )),
            "[all-of-the-above]",
            Some("replace it with a plausible wrong choice, or make the card a `multi` card"),
        ),
        Code::NoneOfTheAbove => (
            Some(one(
                "kind = \"choice\"\nprompt = \"Q\"\nchoices = [\"Iran\", \"None of the above\"]\nanswer = \"Iran\"",
            )),
            "[none-of-the-above]",
            Some(
                "replace it with a plausible choice: knowing what is wrong does not show knowing what is right",
            ),
        ),
        Code::NegativeStem => (
            Some(one(
                "kind = \"choice\"\nprompt = \"Which of these is not a partner?\"\nchoices = [\"Iran\", \"Cuba\"]\nanswer = \"Iran\"",
            )),
            "[negative-stem]",
            Some("ask positively, or emphasize the negative word: NOT or *not*"),
        ),
        Code::NumberForm => (
            Some(one(
                "kind = \"number\"\nprompt = \"When was it signed?\"\nanswer = 1997",
            )),
            "[number-form]",
            Some(
                "say what is wanted: \"In what year...\", \"On which day of the month...\", \"How many...\", \"What percentage...\"",
            ),
        ),
        Code::NearDuplicate => (
            Some(format!(
                "{HEAD}{}{}",
                card(
                    "a",
                    "kind = \"text\"\nprompt = \"Who was Russia's envoy to NATO?\"\nanswers = [\"Rogozin\"]"
                ),
                card(
                    "b",
                    "kind = \"text\"\nprompt = \"Who was Russia's envoy to NATO then?\"\nanswers = [\"Rogozin\"]"
                ),
            )),
            "[near-duplicate]",
            Some("remove one card, or make them ask different things"),
        ),
        Code::SeveralQuestions => (
            Some(one(
                "kind = \"flashcard\"\nprompt = \"Who proposed it and why?\"\nanswer = \"A\"",
            )),
            "[several-questions]",
            Some("split it into one flashcard per question"),
        ),
        // Made by `deck check` over the learner's path (`lint::path_lint`), not by `lint`.
        Code::ShownEarlier => (
            None,
            "[shown-earlier]",
            Some(
                "reword the earlier card so it does not show the answer, or have this card come first (`new_order`)",
            ),
        ),
        Code::TruefalseLean => (
            Some(themed(6, 0)),
            "[truefalse-lean]",
            Some(
                "balance the deck: rewrite some statements so that about as many are true as false",
            ),
        ),
        Code::OptionPosition => (
            Some(format!(
                "{HEAD}\n[[card]]\nid = \"c\"\nkind = \"choice\"\nprompt = \"Q\"\nchoices = [\"Lisbon\", \"Paris\"]\nanswer = \"Lisbon\"\nexplain = \"The second option is made up.\"\nsource = {{ paragraph = 1 }}\n"
            )),
            "[option-position]",
            Some(
                "name the option by its text: choices are shuffled, so \"the second option\" points at another one",
            ),
        ),
        Code::AnswerInTitle => (
            Some(format!(
                "[deck]\nid = \"d\"\ntitle = \"Pouliot: Two masters\"\n{}",
                card(
                    "c",
                    "kind = \"cloze\"\nprompt = \"NATO and Russia are {{two masters}}.\""
                )
            )),
            "[answer-in-title]",
            Some("reword the deck title or the card: the title is in the header above every card"),
        ),
        Code::AbsoluteWords => (
            Some(one(
                "kind = \"choice\"\nprompt = \"What did Sherr expect?\"\nchoices = [\"A refresh of relations\", \"A complete break that would never heal\"]\nanswer = \"A refresh of relations\"",
            )),
            "[absolute-words]",
            Some(
                "word the wrong option (or the false statement) as a plausible, qualified claim: test-wise learners rule out absolutes",
            ),
        ),
        Code::ThemeCoverage => (
            Some(themed(10, 6)),
            "[theme-coverage]",
            Some("keep the theme on the cards about it; a theme every card has measures nothing"),
        ),
        Code::DeckTheme => (
            Some(format!(
                "[deck]\nid = \"d\"\ntitle = \"T\"\ntags = [\"theme:status\"]\n{}",
                card("c", tf)
            )),
            "[deck-theme]",
            Some(
                "move the theme tag onto the cards about it, and keep deck tags for what describes the deck",
            ),
        ),
    }
}

#[test]
fn every_code_has_its_hint_and_a_deck_that_raises_it_gets_that_hint() {
    for &code in Code::ALL {
        let (deck, says, hint) = case(code);
        assert_eq!(code.hint(), hint, "{code:?}");
        let Some(src) = deck else { continue };
        let diags = check(&src);
        let Some(d) = diags.iter().find(|d| d.code == code) else {
            panic!("{code:?}: no such diagnostic in {diags:#?}");
        };
        assert!(d.message.contains(says), "{code:?}: {}", d.message);
        assert_eq!(d.hint, hint, "{code:?}: {}", d.message);
        assert_eq!(d.rule, code.rule(), "{code:?}");
    }
}

#[test]
fn a_source_without_paragraph_or_locator_is_told_where_to_say_it() {
    // Before hints were chosen by code, this error got the hint on the limits of each kind, its message holding
    // "needs ".
    let src = format!(
        "{HEAD}\n[[card]]\nid = \"c\"\nkind = \"truefalse\"\nprompt = \"Q\"\nanswer = true\nexplain = \"e\"\nsource = [{{ paragraph = 2 }}, {{ deck = \"other-deck\" }}]\n"
    );
    let diags = check(&src);
    let d = diags
        .iter()
        .find(|d| d.message == "`source` needs a `paragraph` or a `locator`")
        .expect("the error");
    assert_eq!(d.code, Code::SourceWithoutLocation);
    let hint = d.hint.expect("a hint");
    assert!(
        hint.contains("paragraph = N") && hint.contains("locator"),
        "{hint}"
    );
    assert!(!hint.contains("limits"), "{hint}");
}

#[test]
fn a_warning_name_is_a_code_and_every_named_code_is_a_warning() {
    let mut names: Vec<&str> = CARD_WARNINGS
        .iter()
        .chain(&DECK_WARNINGS)
        .map(|(name, _)| *name)
        .collect();
    let mut named: Vec<&str> = Code::ALL.iter().filter_map(|c| c.rule()).collect();
    names.sort();
    named.sort();
    assert_eq!(names, named);
}

#[test]
fn a_hint_follows_the_code_not_words_the_author_wrote() {
    // A value the author wrote that holds "long" once drew the hint on long prompts.
    let diags = check(&one(
        "kind = \"flashcard\"\nprompt = \"Q\"\nanswer = \"a\"\nreverse = \"long\"",
    ));
    assert_eq!(diags[0].code, Code::Toml, "{diags:?}");
    assert_eq!(diags[0].hint, None);
}
