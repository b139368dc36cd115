//! The decks compiled into the binary, so that a fresh install studies at once, and the shared tag vocabulary.

/// A deck file compiled into the binary: its file name (for messages) and its text.
pub struct BuiltinDeck {
    pub file: &'static str,
    pub text: &'static str,
}

/// The built-in decks, in the order they are offered.
pub const DECKS: &[BuiltinDeck] = &[BuiltinDeck {
    file: "sample.toml",
    text: include_str!("../../tests/data/sample.toml"),
}];
