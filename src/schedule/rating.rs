//! The learner's (or the grader's) answer to "how well did you know it": a [`Rating`], Again to Easy, stored and
//! serialized as the number 1 to 4 that FSRS and Anki use. A number outside 1 to 4 is refused where it enters the
//! program; inside, every rating is a `Rating`.

use serde::{Deserialize, Serialize};

/// An FSRS rating. Serialized as its number (1 to 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Rating {
    Again = 1,
    Hard = 2,
    Good = 3,
    Easy = 4,
}

impl Rating {
    /// All four, in order.
    pub const ALL: [Rating; 4] = [Rating::Again, Rating::Hard, Rating::Good, Rating::Easy];

    /// The rating numbered `n` (1 to 4), or `None` outside that range.
    pub fn from_number(n: i64) -> Option<Rating> {
        match n {
            1 => Some(Rating::Again),
            2 => Some(Rating::Hard),
            3 => Some(Rating::Good),
            4 => Some(Rating::Easy),
            _ => None,
        }
    }

    /// Its number, 1 to 4.
    pub const fn number(self) -> u8 {
        self as u8
    }

    /// Its name, lower case ("again", "hard", "good", "easy").
    pub const fn name(self) -> &'static str {
        match self {
            Rating::Again => "again",
            Rating::Hard => "hard",
            Rating::Good => "good",
            Rating::Easy => "easy",
        }
    }
}

impl TryFrom<u8> for Rating {
    type Error = String;

    fn try_from(n: u8) -> Result<Self, Self::Error> {
        Rating::from_number(i64::from(n)).ok_or_else(|| format!("rating {n} is not 1 to 4"))
    }
}

impl From<Rating> for u8 {
    fn from(r: Rating) -> u8 {
        r.number()
    }
}

impl std::fmt::Display for Rating {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.number().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_outsiders_are_refused() -> serde_json::Result<()> {
        for r in Rating::ALL {
            assert_eq!(Rating::from_number(i64::from(r.number())), Some(r));
            assert_eq!(serde_json::to_string(&r)?, r.number().to_string());
        }
        assert_eq!(Rating::from_number(0), None);
        assert_eq!(Rating::from_number(5), None);
        assert!(serde_json::from_str::<Rating>("5").is_err());
        assert_eq!(serde_json::from_str::<Rating>("3")?, Rating::Good);
        Ok(())
    }
}
