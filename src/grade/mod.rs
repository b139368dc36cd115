//! Answer checking: normalization, listed answers, aliases, near-miss tolerance with its guard against other known
//! answers, answers stated with extra words (see [`words`]), numbers in digits or words, and how a verdict becomes
//! an FSRS rating. Also how a number and a near miss are put to the learner. Pure functions only.
//!
//! Where things are: `verdict` (the verdict, its rule and rating), `lexicon` (checking typed and cloze answers),
//! `extra_words` (the words rule), `numbers`, `near_miss` (tolerance and how a near miss is shown), `credit`
//! (partial credit in exams), `dictionary` (built-in aliases and names) and [`words`] (filler, titles, numbers in
//! words).

pub mod credit;
mod dictionary;
mod extra_words;
mod lexicon;
mod near_miss;
mod numbers;
mod verdict;
pub mod words;

pub use crate::deck::normalize;
pub use credit::credit;
pub use lexicon::Lexicon;
pub(crate) use near_miss::tolerance;
pub use near_miss::{Diff, diff, near_miss_note};
pub use numbers::{check_number, check_number_asked};
pub use verdict::{Rule, SLOW_SECONDS, Verdict, rating};

/// The lexicon the unit tests check answers with: a small deck (an alias, a `reject` entry, a cloze) and the
/// built-in dictionary.
#[cfg(test)]
mod testing {
    use super::Lexicon;
    use crate::deck::Deck;

    pub(super) fn lexicon() -> Lexicon {
        let deck: Deck = toml_deck();
        Lexicon::for_deck(&deck)
    }

    fn toml_deck() -> Deck {
        let src = r#"
[deck]
id = "t"
title = "T"
[deck.aliases]
"Dmitry Rogozin" = ["Dmitriy Rogozin"]
[[card]]
id = "a"
kind = "text"
prompt = "Q"
answers = ["Iran"]
reject = ["Iraq"]
[[card]]
id = "b"
kind = "text"
prompt = "Q"
answers = ["Serdyukov", "Anatoly Serdyukov"]
[[card]]
id = "c"
kind = "cloze"
prompt = "The envoy was {{Rogozin|Dmitry Rogozin}}."
"#;
        crate::deck::parse_deck("t.toml", src)
            .0
            .expect("valid test deck")
    }
}
