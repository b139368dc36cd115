//! What checking an answer decides: the [`Verdict`] (right or wrong, and by which [`Rule`], stored with every review)
//! and the FSRS rating an auto-graded verdict earns.

use crate::schedule::Rating;
use serde::{Deserialize, Serialize};

/// Which rule decided a verdict; stored with every review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// The answer matched a listed answer (after normalization), or the right choice(s).
    Exact,
    /// The answer matched an alias of a listed answer.
    Alias,
    /// The answer was a near miss of a listed answer.
    Typo,
    /// The answer stated a listed answer (or alias) with words that add nothing competing: filler, a title, a
    /// plural, an abbreviation in parentheses; or a number as an ordinal, in words or with words around it.
    Words,
    /// The answer was wrong.
    Wrong,
    /// The learner graded a flashcard themself.
    #[serde(rename = "self")]
    SelfGraded,
    /// The learner overrode a wrong verdict ("I was right").
    Override,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Exact => "exact",
            Rule::Alias => "alias",
            Rule::Typo => "typo",
            Rule::Words => "words",
            Rule::Wrong => "wrong",
            Rule::SelfGraded => "self",
            Rule::Override => "override",
        }
    }
}

/// The result of checking a typed answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub correct: bool,
    pub rule: Rule,
    /// For a near miss: the accepted form the answer was close to.
    pub near: Option<String>,
    /// For a wrong answer that names an accepted answer: why it is refused all the same, as a sentence ("It names
    /// the answer, but 'or' makes it a hedge: give one answer.").
    pub why: Option<String>,
}

impl Verdict {
    pub(super) fn of(correct: bool, rule: Rule) -> Self {
        Verdict {
            correct,
            rule,
            near: None,
            why: None,
        }
    }
    pub fn right() -> Self {
        Verdict::of(true, Rule::Exact)
    }
    pub fn wrong() -> Self {
        Verdict::of(false, Rule::Wrong)
    }
}

/// A right answer that took longer than this is rated Hard rather than Good.
pub const SLOW_SECONDS: f64 = 60.0;

/// The FSRS rating (1 Again, 2 Hard, 3 Good) an auto-graded verdict earns.
pub fn rating(verdict: &Verdict, seconds: f64) -> Rating {
    match verdict.rule {
        _ if !verdict.correct => Rating::Again,
        Rule::Typo => Rating::Hard,
        _ if seconds > SLOW_SECONDS => Rating::Hard,
        _ => Rating::Good,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_is_a_rule_of_its_own_rated_good() {
        assert_eq!(Rule::Words.as_str(), "words");
        assert_eq!(
            serde_json::to_string(&Rule::Words).ok().as_deref(),
            Some("\"words\"")
        );
        let v = Verdict {
            correct: true,
            rule: Rule::Words,
            near: None,
            why: None,
        };
        assert_eq!(rating(&v, 3.0), Rating::Good);
    }

    #[test]
    fn ratings() {
        assert_eq!(rating(&Verdict::wrong(), 3.0), Rating::Again);
        assert_eq!(
            rating(
                &Verdict {
                    correct: true,
                    rule: Rule::Typo,
                    near: None,
                    why: None
                },
                3.0
            ),
            Rating::Hard
        );
        assert_eq!(rating(&Verdict::right(), 3.0), Rating::Good);
        assert_eq!(rating(&Verdict::right(), 90.0), Rating::Hard);
    }
}
