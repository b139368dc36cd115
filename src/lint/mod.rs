//! Author warnings that need the whole deck to see (item writing, not answer checking at study time). Some rest on
//! answer checking (`answers`): choices a learner cannot tell apart, typed answers one typo away from another
//! card's answer, cards asking the same question twice. The others are the item-writing rules teachers are taught
//! ([`CARD_WARNINGS`](crate::deck::CARD_WARNINGS)), read on each card (`rules`) or across cards (`across`),
//! each with a kebab-case name shown in its message so that a card can `allow` it with a reason, and the rule that
//! themes go on the cards they describe (`themes`, [`DECK_WARNINGS`]). `deck check` and `deck import` add them to
//! the parser's diagnostics, each located by `places`.

mod across;
mod answers;
mod places;
mod rules;
#[cfg(test)]
mod tests;
mod themes;

use crate::deck::parse::Lines;
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
    let text = Lines::new(src);
    let places = Places::new(src);
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
            push(
                places.field(&card.id, f.field),
                f.code,
                format!("{} [{name}]", f.message),
            );
        }
    }
    for (i, card) in deck.cards.iter().enumerate() {
        for name in card.allow.keys() {
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
