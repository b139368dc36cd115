//! Dates as people write them: `YYYY-MM-DD` in, ISO dates of day numbers out.

use chrono::NaiveDate;

/// Parses an exam date, `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// A calendar day as an ISO date (days counted from 1 January of year 1).
pub fn iso_date(day: i64) -> String {
    i32::try_from(day)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .map_or_else(
            || format!("day {day}"),
            |d| d.format("%Y-%m-%d").to_string(),
        )
}
