//! The deck-level warnings on themes ([`super::DECK_WARNINGS`]): a theme tag on most of a deck's cards, and a theme
//! among the deck's own tags.

use crate::deck::{Code, Deck};

/// A theme on more than this share of a deck's cards gets a warning ...
const THEME_SHARE: f64 = 0.50;
/// ... in decks of at least this many cards.
const THEME_MIN_CARDS: usize = 10;

/// The deck-level theme warnings, each with the `[deck]` field it is about (`None` for `[deck]` itself), its code
/// and its message.
pub(super) fn theme_warnings(deck: &Deck) -> Vec<(Option<&'static str>, Code, String)> {
    let mut out = Vec::new();
    for tag in deck.tags.iter().filter(|t| t.starts_with("theme:")) {
        out.push((
            Some("tags"),
            Code::DeckTheme,
            format!(
                "deck tag `{tag}` is a theme: deck tags describe the deck and are not applied to its cards [deck-theme]"
            ),
        ));
    }
    let n = deck.cards.len();
    if n >= THEME_MIN_CARDS {
        let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for card in &deck.cards {
            let mut themes: Vec<&str> = card
                .tags
                .iter()
                .filter(|t| t.starts_with("theme:"))
                .map(String::as_str)
                .collect();
            themes.dedup();
            for t in themes {
                *counts.entry(t).or_default() += 1;
            }
        }
        for (tag, count) in counts {
            if count as f64 > THEME_SHARE * n as f64 {
                out.push((
                    None,
                    Code::ThemeCoverage,
                    format!(
                        "theme `{tag}` is on {count} of the deck's {n} cards ({:.0} %): a theme on more than half \
                         of a deck measures little [theme-coverage]",
                        100.0 * count as f64 / n as f64
                    ),
                ));
            }
        }
    }
    out
}
