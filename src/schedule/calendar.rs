//! Calendar days in the learner's time zone, starting at the rollover hour: which day a time falls on, and when a
//! day starts. Days are counted from 1 January of year 1.

use crate::time::{Day, UnixMs};
use chrono::{Datelike, FixedOffset, Local, NaiveDate, TimeZone};

/// Calendar days in the learner's time zone, starting at the rollover hour (4 am, as in Anki).
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    zone: Zone,
    rollover_hour: u32,
}

#[derive(Debug, Clone, Copy)]
enum Zone {
    Local,
    Fixed(FixedOffset),
}

impl Calendar {
    /// The machine's local time zone (honouring `TZ`).
    pub fn local(rollover_hour: u32) -> Self {
        Calendar {
            zone: Zone::Local,
            rollover_hour: rollover_hour.min(23),
        }
    }
    /// A fixed offset from UTC, for tests and reproducible runs.
    pub fn fixed(offset: FixedOffset, rollover_hour: u32) -> Self {
        Calendar {
            zone: Zone::Fixed(offset),
            rollover_hour: rollover_hour.min(23),
        }
    }

    /// The calendar day that Unix time `ts` (in seconds) falls on.
    pub fn day_of(&self, ts: i64) -> Day {
        let shift = |naive: chrono::NaiveDateTime| {
            i64::from(
                (naive - chrono::Duration::hours(i64::from(self.rollover_hour)))
                    .date()
                    .num_days_from_ce(),
            )
        };
        match self.zone {
            Zone::Local => Local
                .timestamp_opt(ts, 0)
                .single()
                .map(|d| shift(d.naive_local())),
            Zone::Fixed(o) => o
                .timestamp_opt(ts, 0)
                .single()
                .map(|d| shift(d.naive_local())),
        }
        .map_or(Day(ts.div_euclid(86_400) + 719_163), Day)
    }

    /// The calendar day that the moment `at` falls on (its whole seconds, as [`Calendar::day_of`] takes them).
    pub fn day_of_ms(&self, at: UnixMs) -> Day {
        self.day_of(at.secs())
    }

    /// Unix time (in seconds) of the start of calendar day `day` (its rollover hour).
    pub fn start_of(&self, day: Day) -> i64 {
        let day = day.0;
        let naive = i32::try_from(day)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .and_then(|d| d.and_hms_opt(self.rollover_hour, 0, 0));
        let Some(naive) = naive else {
            return (day - 719_163) * 86_400;
        };
        match self.zone {
            Zone::Local => Local
                .from_local_datetime(&naive)
                .earliest()
                .map(|d| d.timestamp()),
            Zone::Fixed(o) => o
                .from_local_datetime(&naive)
                .earliest()
                .map(|d| d.timestamp()),
        }
        .unwrap_or_else(|| naive.and_utc().timestamp())
    }

    /// The moment calendar day `day` starts (its rollover hour), as [`Calendar::start_of`] gives it.
    pub fn start_of_ms(&self, day: Day) -> UnixMs {
        UnixMs::from_secs(self.start_of(day))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_days_roll_over_at_four() {
        let cal = Calendar::fixed(FixedOffset::east_opt(3600).expect("offset"), 4);
        // 2024-01-02 02:30 local (01:30 UTC) still belongs to 1 January.
        let late = chrono::DateTime::parse_from_rfc3339("2024-01-02T02:30:00+01:00")
            .expect("date")
            .timestamp();
        let early = chrono::DateTime::parse_from_rfc3339("2024-01-02T04:30:00+01:00")
            .expect("date")
            .timestamp();
        assert_eq!(cal.day_of(late).plus(1), cal.day_of(early));
        let start = cal.start_of(cal.day_of(early));
        assert_eq!(
            start,
            chrono::DateTime::parse_from_rfc3339("2024-01-02T04:00:00+01:00")
                .expect("d")
                .timestamp()
        );
    }
}
