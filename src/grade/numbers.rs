//! Checking a typed number: digits within the card's tolerance, or the number stated in words, as an ordinal, or
//! with words around it (a date's day or year), and never a hedge ("19 or 20", "more than 20").

use super::{Rule, Verdict, normalize, words};
use crate::deck::parse::parse_number;

/// Checks a typed number against the answer and its tolerance. Digits alone are exact; an ordinal ("17th"), number
/// words ("seventeen", "twenty-eight") or words around the number ("November 17", "20 years") are the words rule.
/// The answer must state exactly one number (a date's day and year count as one), and must not hedge ("19 or
/// 20", "more than 20").
pub fn check_number(typed: &str, answer: f64, tolerance: f64) -> Verdict {
    let within = |n: f64| (n - answer).abs() <= tolerance + 1e-9;
    if let Some(n) = parse_number(typed) {
        return if within(n) {
            Verdict::right()
        } else {
            Verdict::wrong()
        };
    }
    let Some(stated) = words::numbers_in(typed) else {
        return Verdict::wrong();
    };
    let mut found = stated.found;
    found.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    found.sort_by(f64::total_cmp);
    found.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    // A date: "17 November 2010" answers a day of the month, "November 2009" a year.
    if stated.month
        && let [day, year] = found[..]
        && (1.0..=31.0).contains(&day)
        && day.fract() == 0.0
        && year >= 1000.0
    {
        found = vec![if answer >= 1000.0 { year } else { day }];
    }
    match found[..] {
        [n] if within(n) => Verdict::of(true, Rule::Words),
        _ => Verdict::wrong(),
    }
}

/// Checks a typed number to a card asking `prompt`: as [`check_number`]; and when the prompt names a month ("which
/// day of November"), an answer naming another month ("17 December") is wrong, and when it asks "how many", an
/// ordinal ("second") is not a count.
pub fn check_number_asked(prompt: &str, typed: &str, answer: f64, tolerance: f64) -> Verdict {
    if normalize(prompt).contains("how many") && words::numbers_in(typed).is_some_and(|n| n.ordinal)
    {
        return Verdict::wrong();
    }
    let asked = words::months_in(prompt);
    if !asked.is_empty() && words::months_in(typed).iter().any(|m| !asked.contains(m)) {
        return Verdict::wrong();
    }
    check_number(typed, answer, tolerance)
}

#[cfg(test)]
#[allow(clippy::approx_constant)] // 3.1415 is the GIFT example's value, not an approximation of pi.
mod tests {
    use super::*;

    #[test]
    fn numbers_within_tolerance() {
        assert!(check_number("2008", 2008.0, 0.0).correct);
        assert!(!check_number("2009", 2008.0, 0.0).correct);
        assert!(check_number("2009", 2008.0, 1.0).correct);
        assert!(check_number("1,000", 1000.0, 0.0).correct);
        assert!(!check_number("soon", 2008.0, 0.0).correct);
    }

    #[test]
    fn numbers_in_words_ordinals_and_sentences() {
        let cases: &[(&str, f64, bool, Rule)] = &[
            ("17", 17.0, true, Rule::Exact),
            ("17th", 17.0, true, Rule::Words),
            ("seventeen", 17.0, true, Rule::Words),
            ("the seventeenth", 17.0, true, Rule::Words),
            ("November 17", 17.0, true, Rule::Words),
            ("17 November", 17.0, true, Rule::Words),
            ("on the 17th of November", 17.0, true, Rule::Words),
            ("17 November 2010", 17.0, true, Rule::Words),
            ("twenty-eight", 28.0, true, Rule::Words),
            ("twenty eight members", 28.0, true, Rule::Words),
            ("29 partners", 29.0, true, Rule::Words),
            ("20 years", 20.0, true, Rule::Words),
            ("in 2008", 2008.0, true, Rule::Words),
            ("autumn 2009", 2009.0, true, Rule::Words),
            ("September 2009", 2009.0, true, Rule::Words),
            ("two thousand and eight", 2008.0, true, Rule::Words),
            ("nineteen ninety-nine", 1999.0, true, Rule::Words),
            ("about 30", 30.0, true, Rule::Words),
            ("-5", -5.0, true, Rule::Exact),
            ("19 or 20", 20.0, false, Rule::Wrong),
            ("19 to 20", 20.0, false, Rule::Wrong),
            ("not 17", 17.0, false, Rule::Wrong),
            ("more than 20", 20.0, false, Rule::Wrong),
            ("17?", 17.0, false, Rule::Wrong),
            ("the 1990s", 1995.0, false, Rule::Wrong),
            ("18th", 17.0, false, Rule::Wrong),
            ("eighteen", 17.0, false, Rule::Wrong),
            ("28 partners", 29.0, false, Rule::Wrong),
            ("17 November 2010", 2010.0, true, Rule::Words),
            ("18 November 2010", 17.0, false, Rule::Wrong),
            ("seventeen", 2017.0, false, Rule::Wrong),
        ];
        for (typed, answer, correct, rule) in cases {
            let v = check_number(typed, *answer, 0.0);
            assert_eq!(
                (v.correct, v.rule),
                (*correct, *rule),
                "{typed:?} for {answer}"
            );
        }
        let prompt = "On what day of November does Sherr date it?";
        assert!(check_number_asked(prompt, "November 17", 17.0, 0.0).correct);
        assert!(check_number_asked(prompt, "Nov. 17th", 17.0, 0.0).correct);
        assert!(check_number_asked(prompt, "17", 17.0, 0.0).correct);
        assert!(!check_number_asked(prompt, "December 17", 17.0, 0.0).correct);
        assert!(check_number_asked("In what year?", "August 2008", 2008.0, 0.0).correct);
        let count = "How many frozen conflicts does the reading count?";
        assert!(check_number_asked(count, "two conflicts", 2.0, 0.0).correct);
        assert!(!check_number_asked(count, "second", 2.0, 0.0).correct);
        assert!(!check_number_asked(count, "2nd", 2.0, 0.0).correct);
        assert!(!check_number("20+", 20.0, 0.0).correct);
        assert!(!check_number("< 20", 20.0, 0.0).correct);
        assert!(check_number("three point one four one five", 3.1415, 0.0005).rule == Rule::Wrong);
        assert!(check_number("about 3.1416", 3.1415, 0.0005).correct);
    }
}
