//! Units of time the program counts in: a moment in Unix milliseconds ([`UnixMs`]) and a calendar day number
//! ([`Day`]). Every conversion between milliseconds, seconds and days goes through these types' methods, so a bare
//! `* 1000` or `/ 1000` does not appear elsewhere. Pure: no clock, no time zone (the day a moment falls on is the
//! scheduler's `Calendar`'s business).

use serde::{Deserialize, Serialize};

/// A moment, in milliseconds since the Unix epoch. Serialized as the bare number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UnixMs(pub i64);

impl UnixMs {
    /// The moment `secs` Unix seconds.
    pub const fn from_secs(secs: i64) -> UnixMs {
        UnixMs(secs.saturating_mul(1000))
    }

    /// This moment in whole Unix seconds, truncated toward zero (as `ms / 1000`).
    pub const fn secs(self) -> i64 {
        self.0 / 1000
    }

    /// Milliseconds from `earlier` to this moment (negative if `earlier` is later).
    pub const fn since(self, earlier: UnixMs) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The moment `ms` milliseconds later (earlier if negative).
    pub const fn plus_ms(self, ms: i64) -> UnixMs {
        UnixMs(self.0.saturating_add(ms))
    }

    /// The moment `secs` seconds later (earlier if negative).
    pub const fn plus_secs(self, secs: i64) -> UnixMs {
        UnixMs(self.0.saturating_add(secs.saturating_mul(1000)))
    }
}

impl std::fmt::Display for UnixMs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Whole seconds in a span of `ms` milliseconds, truncated toward zero (as `ms / 1000`).
pub const fn ms_to_secs(ms: i64) -> i64 {
    ms / 1000
}

/// Whole seconds in a span of `ms` milliseconds, rounded up (a started second counts; negative spans are 0).
pub const fn ms_to_secs_up(ms: i64) -> i64 {
    (if ms > 0 { ms } else { 0 } + 999) / 1000
}

/// A span of `ms` milliseconds in seconds, with the fraction.
pub fn ms_as_secs_f64(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// A calendar day number: days since 1 January of year 1 (that day is 1), as the scheduler's `Calendar` counts
/// them. Serialized as the bare number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Day(pub i64);

impl Day {
    /// The day `days` days later (earlier if negative).
    pub const fn plus(self, days: i64) -> Day {
        Day(self.0.saturating_add(days))
    }

    /// Days from `earlier` to this day (negative if `earlier` is later).
    pub const fn days_since(self, earlier: Day) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The day as an ISO date (`2025-03-14`).
    pub fn iso(self) -> String {
        crate::text::iso_date(self.0)
    }
}

/// `day + n`: the day `n` days later, as [`Day::plus`].
impl std::ops::Add<i64> for Day {
    type Output = Day;
    fn add(self, days: i64) -> Day {
        self.plus(days)
    }
}

/// `day - n`: the day `n` days earlier.
impl std::ops::Sub<i64> for Day {
    type Output = Day;
    fn sub(self, days: i64) -> Day {
        self.plus(days.saturating_neg())
    }
}

/// `later - earlier`: the days between them, as [`Day::days_since`].
impl std::ops::Sub<Day> for Day {
    type Output = i64;
    fn sub(self, earlier: Day) -> i64 {
        self.days_since(earlier)
    }
}

impl std::ops::AddAssign<i64> for Day {
    fn add_assign(&mut self, days: i64) {
        *self = self.plus(days);
    }
}

impl std::ops::SubAssign<i64> for Day {
    fn sub_assign(&mut self, days: i64) {
        *self = self.plus(days.saturating_neg());
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_truncate_as_integer_division() {
        for ms in [0, 999, 1000, 1_700_000_000_999, -1, -999, -1000, -1001] {
            assert_eq!(UnixMs(ms).secs(), ms / 1000);
        }
        assert_eq!(UnixMs::from_secs(1_700_000_000), UnixMs(1_700_000_000_000));
        assert_eq!(UnixMs(5_000).since(UnixMs(1_500)), 3_500);
        assert_eq!(UnixMs(5_000).plus_ms(-1), UnixMs(4_999));
        assert_eq!(UnixMs(5_000).plus_secs(2), UnixMs(7_000));
        assert_eq!(
            (ms_to_secs(1_999), ms_to_secs_up(1_001), ms_to_secs_up(-5)),
            (1, 2, 0)
        );
        assert_eq!(ms_as_secs_f64(1_500), 1.5);
    }

    #[test]
    fn days_count_and_print() {
        assert_eq!(Day(10).plus(3), Day(13));
        assert_eq!(Day(13).days_since(Day(10)), 3);
        assert_eq!(Day(13) - Day(10), 3);
        assert_eq!(Day(13) - 3 + 1, Day(11));
        assert_eq!(Day(739_000).iso(), crate::text::iso_date(739_000));
    }

    #[test]
    fn serde_is_the_bare_number() -> serde_json::Result<()> {
        assert_eq!(
            serde_json::to_string(&UnixMs(1_700_000_000_123))?,
            "1700000000123"
        );
        assert_eq!(serde_json::from_str::<Day>("739000")?, Day(739_000));
        Ok(())
    }
}
