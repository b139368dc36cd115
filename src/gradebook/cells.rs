//! The cells of a grade file: text made safe for spreadsheets, numbers with at most two decimals, dates and
//! timestamps, and percentages.

use crate::time::UnixMs;

/// A text cell made safe for spreadsheets: one starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'`, as Canvas's own exporter does for `=`. Control and invisible format characters are removed first
/// (see [`crate::text::clean`]), so that none can hide a leading `=` from this check.
pub fn neutralize(text: &str) -> String {
    let text = crate::text::clean(text);
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text,
    }
}

/// Whether a spreadsheet would run `text` as a formula when it opens the file: it starts (once cleaned) with `=`,
/// `+`, `-`, `@`, a tab or a carriage return, the characters [`neutralize`] guards.
pub fn executable(text: &str) -> bool {
    matches!(
        crate::text::clean(text).chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    )
}

/// An identifier cell: written exactly as the LMS holds it (cleaned of control characters, as every cell), since
/// the LMS matches it byte for byte; with `guard`, neutralized as a text cell is (and the LMS will not match it).
pub(super) fn identifier(v: &Option<String>, guard: bool) -> String {
    match v.as_deref() {
        Some(v) if guard => neutralize(v),
        Some(v) => crate::text::clean(v),
        None => String::new(),
    }
}

/// A number as a grade cell: at most two decimals, no trailing zeros, `.` as the decimal point.
pub fn number(value: f64) -> String {
    let s = format!("{:.2}", (value * 100.0).round() / 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

pub(super) fn date(at: UnixMs) -> String {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_millis_opt(at.0)
        .single()
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

pub(super) fn timestamp(at: UnixMs) -> String {
    chrono::DateTime::from_timestamp_millis(at.0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

pub(super) fn text(v: &Option<String>) -> String {
    v.as_deref().map(neutralize).unwrap_or_default()
}

pub(super) fn percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        f64::from(part) * 100.0 / f64::from(whole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralizes_text_but_numbers_are_written_plainly() {
        assert_eq!(neutralize("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralize("+cmd"), "'+cmd");
        assert_eq!(neutralize("-1"), "'-1");
        assert_eq!(neutralize("@sum"), "'@sum");
        assert_eq!(neutralize("\tx"), "'\tx");
        assert_eq!(neutralize("Ann"), "Ann");
        assert_eq!(number(8.5), "8.5");
        assert_eq!(number(80.0), "80");
        assert_eq!(number(200.0 / 3.0), "66.67");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn identifiers_are_written_as_held_unless_guarded() {
        let risky = Some("+ivy@uni.example".to_string());
        assert!(executable("+ivy@uni.example") && executable("=1+1") && !executable("ann"));
        assert_eq!(identifier(&risky, false), "+ivy@uni.example");
        assert_eq!(identifier(&risky, true), "'+ivy@uni.example");
        assert_eq!(identifier(&None, true), "");
    }
}
