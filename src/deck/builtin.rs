//! The decks compiled into the binary, so that a fresh install studies at once, and the shared tag vocabulary
//! their tags come from.

use std::collections::BTreeMap;

/// A deck file compiled into the binary: its file name (for messages) and its text.
pub struct BuiltinDeck {
    pub file: &'static str,
    pub text: &'static str,
}

macro_rules! builtin {
    ($($file:literal),* $(,)?) => {
        &[$(BuiltinDeck { file: concat!("decks/", $file), text: include_str!(concat!("../../decks/", $file)) }),*]
    };
}

/// The built-in decks, in the order they are offered: the course deck across the readings, then one per reading.
pub const DECKS: &[BuiltinDeck] = builtin!(
    "course-nato-russia.toml",
    "sherr-lisbon-2010.toml",
    "fpblogs-strategic-partner.toml",
    "pouliot-two-masters.toml",
    "naselskaya-missile-defence.toml",
);

/// The ids of the built-in decks, read from their `[deck]` tables' `id = "..."` lines.
pub fn ids() -> Vec<String> {
    DECKS
        .iter()
        .filter_map(|d| {
            d.text.lines().find_map(|l| {
                let rest = l
                    .trim()
                    .strip_prefix("id")?
                    .trim_start()
                    .strip_prefix('=')?;
                Some(rest.trim().trim_matches('"').to_string())
            })
        })
        .collect()
}

/// The tag vocabulary (`decks/vocabulary/tags.toml`): every tag a built-in deck uses, with its label.
pub const VOCABULARY: &str = include_str!("../../decks/vocabulary/tags.toml");

/// The vocabulary as tag to label; empty if the file does not parse (a test guards against that).
pub fn vocabulary() -> BTreeMap<String, String> {
    #[derive(serde::Deserialize)]
    struct Vocabulary {
        tags: BTreeMap<String, String>,
    }
    toml::from_str::<Vocabulary>(VOCABULARY)
        .map(|v| v.tags)
        .unwrap_or_default()
}
