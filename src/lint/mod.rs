//! Author warnings that need the whole deck to see (item writing, not answer checking at study time). Some rest on
//! answer checking (`answers`): choices a learner cannot tell apart, typed answers one typo away from another
//! card's answer, cards asking the same question twice. The others are the item-writing rules teachers are taught
//! ([`CARD_WARNINGS`](crate::deck::CARD_WARNINGS)), read on each card (`rules`) or across cards (`across`),
//! each with a kebab-case name shown in its message so that a card can `allow` it with a reason, and the rule that
//! themes go on the cards they describe (`themes`, [`DECK_WARNINGS`]). `deck check` and `deck import` add them to
//! the parser's diagnostics, each located by `places`.

mod across;
mod answers;
mod giveaways;
pub mod path;
mod places;
mod rules;
#[cfg(test)]
mod tests;
mod themes;

use crate::deck::{Code, Deck, Diagnostic, Severity};
use places::Places;
use std::collections::HashSet;

/// The deck-level warnings on themes, which no card can `allow`: a theme is fixed by tagging the cards about it.
pub const DECK_WARNINGS: [(&str, &str); 2] = [
    (
        "theme-coverage",
        "a theme tag on more than half of a deck's cards (decks of 10 cards or more)",
    ),
    (
        "deck-theme",
        "a `theme:` tag among the deck-level tags, which describe the deck and are not applied to its cards",
    ),
];

/// The cross-card warnings for a deck parsed from `src`, each located at the card's line it is about.
pub fn lint(file: &str, src: &str, deck: &Deck) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let places = Places::new(src);
    let text = places.lines();
    let mut push = |(line, column): (usize, usize), code: Code, message: String| {
        out.push(Diagnostic::coded(
            code,
            file,
            text.text(line),
            line,
            column,
            Severity::Warning,
            message,
        ));
    };
    for (id, code, message) in answers::answer_warnings(deck) {
        push(places.card(id), code, message);
    }
    // The item-writing rules, less what each card allows; an `allow` that allows nothing is stale.
    let mut allowed: HashSet<(usize, &str)> = HashSet::new();
    for f in rules::item_warnings(deck) {
        let card = &deck.cards[f.card];
        let name = f.name();
        if card.allow.contains_key(name) {
            allowed.insert((f.card, name));
        } else {
            // The rule's name is added to the message itself, not to a copy: a large bank raises tens of thousands.
            let mut message = f.message;
            message.push_str(" [");
            message.push_str(name);
            message.push(']');
            push(places.field(&card.id, f.field), f.code, message);
        }
    }
    for (i, card) in deck.cards.iter().enumerate() {
        // `shown-earlier` is found over the learner's path, by `deck check` alone ([`path_lint`]).
        for name in card.allow.keys().filter(|n| *n != SHOWN_EARLIER) {
            if !allowed.contains(&(i, name.as_str())) {
                push(
                    places.field(&card.id, "allow"),
                    Code::StaleAllow,
                    format!(
                        "card `{}` allows `{name}`, which it does not raise: the `allow` is stale",
                        card.id
                    ),
                );
            }
        }
    }
    for (field, code, message) in themes::theme_warnings(deck) {
        push(places.header(field), code, message);
    }
    out.sort_by(|a, b| (a.line, a.column, &a.message).cmp(&(b.line, b.column, &b.message)));
    out
}

/// The new cards a day of the learner `deck check` walks the path as: a new learner's default.
pub const PATH_NEW_PER_DAY: usize = 20;

/// The name of the warning [`path_lint`] gives.
pub const SHOWN_EARLIER: &str = "shown-earlier";

/// A deck file `deck check` was given: its name, its text and the deck parsed from it.
pub struct Given<'a> {
    pub file: &'a str,
    pub src: &'a str,
    pub deck: &'a Deck,
}

/// The `shown-earlier` warnings over the learner's path through the given decks and the `loaded` ones (those a
/// database holds besides; a given deck takes the place of a loaded deck with its id), `new_per_day` new cards a
/// day: each answer an earlier card shows, reported at the answering card when its deck was given (else at the
/// showing card), less what that card allows; an `allow` of it that allows nothing is stale.
pub fn path_lint(
    given: &[Given<'_>],
    loaded: &[(&Deck, Option<usize>)],
    new_per_day: usize,
) -> Vec<Diagnostic> {
    let mut decks: Vec<path::PathDeck<'_>> = Vec::new();
    let mut files: Vec<Option<usize>> = Vec::new();
    for (g, given) in given.iter().enumerate() {
        if decks.iter().any(|d| d.deck.id == given.deck.id) {
            continue;
        }
        let offer = loaded
            .iter()
            .find(|(d, _)| d.id == given.deck.id)
            .and_then(|(_, o)| *o);
        decks.push(path::PathDeck {
            deck: given.deck,
            offer,
        });
        files.push(Some(g));
    }
    for (deck, offer) in loaded {
        if !decks.iter().any(|d| d.deck.id == deck.id) {
            decks.push(path::PathDeck {
                deck,
                offer: *offer,
            });
            files.push(None);
        }
    }
    let order = path::new_card_order(&decks, new_per_day);
    let name = |s: path::Step| {
        format!(
            "{}/{}",
            decks[s.deck].deck.id, decks[s.deck].deck.cards[s.card].id
        )
    };
    // Each given file's places and lines, read once.
    let located: Vec<Places> = given.iter().map(|g| Places::new(g.src)).collect();
    let mut out = Vec::new();
    let mut raised: HashSet<(usize, usize)> = HashSet::new();
    for leak in path::shown_earlier(&decks, &order) {
        let (at, field) = match (files[leak.answer.deck], files[leak.shown.deck]) {
            (Some(_), _) => (leak.answer, "prompt"),
            (None, Some(_)) => (leak.shown, leak.field),
            (None, None) => continue,
        };
        let card = &decks[at.deck].deck.cards[at.card];
        raised.insert((at.deck, at.card));
        if card.allow.contains_key(SHOWN_EARLIER) {
            continue;
        }
        let Some(f) = files[at.deck] else {
            continue;
        };
        let (g, places) = (&given[f], &located[f]);
        let lines = places.lines();
        let field = if field == "title" { "prompt" } else { field };
        let (line, column) = places.field(&card.id, field);
        let apart = leak.answer_at - leak.shown_at;
        let more = match leak.more {
            0 => String::new(),
            n => format!(" (and on {n} more earlier card(s))"),
        };
        let place = if leak.field == "title" {
            "deck title, in the header".to_string()
        } else {
            format!("{} of card `{}`", leak.field, name(leak.shown))
        };
        out.push(Diagnostic::coded(
            Code::ShownEarlier,
            g.file,
            lines.text(line),
            line,
            column,
            Severity::Warning,
            format!(
                "the answer \"{}\" of card `{}` is shown {apart} card(s) earlier on a new learner's path, in the \
                 {place}{more} [{SHOWN_EARLIER}]",
                leak.form,
                name(leak.answer)
            ),
        ));
    }
    for (d, g) in files.iter().enumerate() {
        let Some(f) = *g else {
            continue;
        };
        let (g, places) = (&given[f], &located[f]);
        let lines = places.lines();
        for (c, card) in decks[d].deck.cards.iter().enumerate() {
            if card.allow.contains_key(SHOWN_EARLIER) && !raised.contains(&(d, c)) {
                let (line, column) = places.field(&card.id, "allow");
                out.push(Diagnostic::coded(
                    Code::StaleAllow,
                    g.file,
                    lines.text(line),
                    line,
                    column,
                    Severity::Warning,
                    format!(
                        "card `{}` allows `{SHOWN_EARLIER}`, which it does not raise: the `allow` is stale",
                        card.id
                    ),
                ));
            }
        }
    }
    out.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    out
}
