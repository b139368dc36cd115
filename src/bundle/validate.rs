//! The checks a bundle's values must pass before anything is resolved against a database: every moment between
//! 2000 and a day ahead of this machine's clock, every setting, rating, phase, mode and rule in its domain, every
//! count non-negative, and the learner's name and identity free of control characters. Each message names the
//! offending field (and, for [`validate`], its place in the bundle). The flag rules are here too: the state a
//! learner's flag arrives in ([`arriving_state`]) and the cap on one learner's flags on one card
//! ([`MAX_FLAGS_PER_CARD`], [`flag_cap`]).

use super::records::{Bundle, BundleAttempt, BundleFlag, BundleReview, FlagState};
use crate::time::UnixMs;
use std::collections::BTreeMap;

/// 2000-01-01, Unix seconds: no review or exam in a bundle is older.
pub const EARLIEST_S: i64 = 946_684_800;
/// How far ahead of this machine's clock a bundle's moments may be (clocks differ): one day, in seconds.
pub const CLOCK_SLACK_S: i64 = 86_400;
/// The longest interval the scheduler gives, with room: 101 years in seconds.
const LONGEST_S: i64 = 101 * 366 * 86_400;
/// The longest time an answer may have taken, in milliseconds: a year. A prompt left open over a holiday still
/// fits; a longer value is damaged or forged, and summed over a log it would overflow the learner's totals.
const LONGEST_DURATION_MS: i64 = 366 * 86_400_000;

/// The most flags one learner may have on one card (its siblings counted with it), from bundles and this database
/// together. A learner flags a card, the teacher resolves it, the learner may flag it again: ten is more than a
/// term gives; thousands are a forged or broken bundle, refused whole.
pub const MAX_FLAGS_PER_CARD: usize = 10;

/// The modes a review can have been made in, and the rules a verdict can have been reached by.
pub const MODES: [&str; 3] = ["study", "cram", "exam"];
pub const RULES: [&str; 7] = [
    "exact", "alias", "typo", "words", "wrong", "self", "override",
];

/// Checks every value of a bundle against its domain, `now_s` being this machine's clock (Unix seconds): the
/// learner's name present and, with their identity, free of control characters, settings in range, and each
/// review, attempt and flag (see [`validate_review`]). The message names the offending field and its place.
pub fn validate(b: &Bundle, now_s: i64) -> std::result::Result<(), String> {
    let l = &b.learner;
    if l.name.trim().is_empty() {
        return Err("the bundle's learner has no name".into());
    }
    crate::gradebook::check_identifier("learner name", &l.name)
        .and_then(|_| l.identity().check())
        .map_err(|e| format!("learner: {e}"))?;
    if !(l.desired_retention.is_finite() && (0.7..=0.99).contains(&l.desired_retention)) {
        return Err(format!(
            "learner: `desired_retention` is {}, not a number from 0.7 to 0.99",
            l.desired_retention
        ));
    }
    if l.rollover_hour > 23 {
        return Err(format!(
            "learner: `rollover_hour` is {}, not an hour from 0 to 23",
            l.rollover_hour
        ));
    }
    if !(UnixMs::from_secs(EARLIEST_S)..=UnixMs::from_secs(now_s + CLOCK_SLACK_S))
        .contains(&b.exported_at)
    {
        return Err(format!(
            "`exported_at` is {}, not a moment between 2000 and tomorrow",
            b.exported_at
        ));
    }
    for (i, r) in b.reviews.iter().enumerate() {
        validate_review(r, now_s).map_err(|e| format!("review {}: {e}", i + 1))?;
    }
    for (i, a) in b.attempts.iter().enumerate() {
        validate_attempt(a, now_s).map_err(|e| format!("attempt {}: {e}", i + 1))?;
    }
    let mut per_card: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (i, f) in b.flags.iter().enumerate() {
        validate_flag(f, now_s).map_err(|e| format!("flag {}: {e}", i + 1))?;
        *per_card.entry((&f.deck, &f.card)).or_default() += 1;
    }
    for ((deck, card), n) in per_card {
        flag_cap(deck, card, n)?;
    }
    Ok(())
}

/// The cap on one learner's flags on one card: `count` flags on `deck`/`card` are refused above
/// [`MAX_FLAGS_PER_CARD`], with a message naming the card.
pub fn flag_cap(deck: &str, card: &str, count: usize) -> std::result::Result<(), String> {
    if count > MAX_FLAGS_PER_CARD {
        Err(format!(
            "{count} flags on card {deck}/{card} from one learner, more than the {MAX_FLAGS_PER_CARD} allowed"
        ))
    } else {
        Ok(())
    }
}

/// The state a flag from a bundle arrives in, and when it closed: a learner's own states (`open`, `withdrawn`:
/// taken back, which they could as well have done by not sending it) as sent; `resolved` is the teacher's alone, so
/// a flag sent resolved arrives open, and a bundle never resolves a flag.
pub fn arriving_state(f: &BundleFlag) -> (FlagState, Option<i64>) {
    match f.state {
        FlagState::Withdrawn => (FlagState::Withdrawn, f.closed_at),
        FlagState::Open | FlagState::Resolved => (FlagState::Open, None),
    }
}

/// Checks a moment in Unix seconds: not before 2000, not more than a day ahead of `now_s`.
fn moment(field: &str, value: i64, now_s: i64) -> std::result::Result<(), String> {
    if (EARLIEST_S..=now_s.saturating_add(CLOCK_SLACK_S)).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "`{field}` is {value}, not a moment between 2000 and tomorrow"
        ))
    }
}

/// Checks a moment in Unix milliseconds, as [`moment`].
fn moment_ms(field: &str, value: UnixMs, now_s: i64) -> std::result::Result<(), String> {
    moment(field, value.secs(), now_s).map_err(|_| {
        format!("`{field}` is {value}, not a moment between 2000 and tomorrow (Unix milliseconds)")
    })
}

/// Checks how long an answer took: from 0 to [`LONGEST_DURATION_MS`].
fn duration(field: &str, value: i64) -> std::result::Result<(), String> {
    if (0..=LONGEST_DURATION_MS).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "`{field}` is {value}, not a duration from 0 to a year ({LONGEST_DURATION_MS} ms)"
        ))
    }
}

fn at_least(field: &str, value: i64, min: i64) -> std::result::Result<(), String> {
    if value >= min {
        Ok(())
    } else {
        Err(format!("`{field}` is {value}, less than {min}"))
    }
}

fn within(field: &str, value: f64, low: f64, high: f64) -> std::result::Result<(), String> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "`{field}` is {value}, not a number from {low} to {high}"
        ))
    }
}

/// Checks every value of a bundled review against its domain: moments between 2000 and a day ahead of `now_s`
/// (Unix seconds), known modes, rules and phases, ratings 1 to 4, finite stabilities and difficulties in the
/// scheduler's range, no negative count. The message names the offending field.
pub fn validate_review(r: &BundleReview, now_s: i64) -> std::result::Result<(), String> {
    moment_ms("reviewed_at", r.reviewed_at, now_s)?;
    if !MODES.contains(&r.mode.as_str()) {
        return Err(format!(
            "`mode` is {:?}, not one of {}",
            r.mode,
            MODES.join(", ")
        ));
    }
    if !RULES.contains(&r.rule.as_str()) {
        return Err(format!(
            "`rule` is {:?}, not one of {}",
            r.rule,
            RULES.join(", ")
        ));
    }
    if !(1..=4).contains(&r.rating) {
        return Err(format!("`rating` is {}, not 1 to 4", r.rating));
    }
    if !(0..=3).contains(&r.phase_before) {
        return Err(format!("`phase_before` is {}, not 0 to 3", r.phase_before));
    }
    if !(1..=3).contains(&r.phase_after) {
        return Err(format!("`phase_after` is {}, not 1 to 3", r.phase_after));
    }
    for (field, v) in [
        ("sibling", Some(r.sibling)),
        ("day", Some(r.day.0)),
        ("step_before", r.step_before),
        ("last_day_before", r.last_day_before.map(|d| d.0)),
        ("interval_before", r.interval_before),
        ("reps_before", r.reps_before),
        ("lapses_before", r.lapses_before),
        ("leech_before", r.leech_before),
        ("step_after", Some(r.step_after)),
        ("interval_days", Some(r.interval_days)),
        ("elapsed_days", Some(r.elapsed_days)),
    ] {
        if let Some(v) = v {
            at_least(field, v, 0)?;
        }
    }
    for (field, v) in [
        ("stability_before", r.stability_before),
        ("stability_after", Some(r.stability_after)),
    ] {
        if let Some(v) = v {
            within(field, v, 0.0, 36_500.0 * 2.0)?;
        }
    }
    for (field, v) in [
        ("difficulty_before", r.difficulty_before),
        ("difficulty_after", Some(r.difficulty_after)),
    ] {
        if let Some(v) = v {
            within(field, v, 1.0, 10.0)?;
        }
    }
    duration("duration_ms", r.duration_ms)?;
    if let Some(v) = r.last_review_before {
        moment("last_review_before", v, now_s)?;
    }
    let reviewed_s = r.reviewed_at.secs();
    for (field, v) in [
        ("due_before", r.due_before),
        ("due_after", Some(r.due_after)),
    ] {
        if let Some(v) = v
            && !(EARLIEST_S..=reviewed_s.saturating_add(LONGEST_S)).contains(&v)
        {
            return Err(format!(
                "`{field}` is {v}, not a moment between 2000 and a century after the review"
            ));
        }
    }
    Ok(())
}

/// Checks a bundled exam attempt and its answers, as [`validate_review`]: moments, finite scores within the
/// maximum, credits from 0 to 1.
pub fn validate_attempt(a: &BundleAttempt, now_s: i64) -> std::result::Result<(), String> {
    at_least("number", a.number, 1)?;
    moment_ms("started_at", a.started_at, now_s)?;
    if let Some(d) = a.deadline {
        moment_ms("deadline", d, now_s)?;
        at_least("deadline", d.0, a.started_at.0)?;
    }
    if let Some(c) = a.closed_at {
        moment_ms("closed_at", c, now_s)?;
        at_least("closed_at", c.0, a.started_at.0)?;
    }
    let max = a.max_score.unwrap_or(f64::MAX);
    if let Some(m) = a.max_score {
        within("max_score", m, 0.0, 1e6)?;
    }
    if let Some(s) = a.score {
        within("score", s, 0.0, max)?;
    }
    for x in &a.answers {
        at_least("answers.position", x.position, 0)?;
        at_least("answers.sibling", x.sibling, 0)?;
        duration("answers.duration_ms", x.duration_ms)?;
        within("answers.credit", x.credit, 0.0, 1.0)?;
        moment_ms("answers.answered_at", x.answered_at, now_s)?;
    }
    Ok(())
}

/// Checks a bundled flag: its moments, and its note free of control characters.
pub fn validate_flag(f: &BundleFlag, now_s: i64) -> std::result::Result<(), String> {
    at_least("sibling", f.sibling, 0)?;
    moment("flagged_at", f.flagged_at, now_s)?;
    if let Some(c) = f.closed_at {
        moment("closed_at", c, now_s)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(state: FlagState) -> BundleFlag {
        BundleFlag {
            deck: "d".into(),
            card: "c".into(),
            sibling: 0,
            flagged_at: 1_700_000_000,
            note: None,
            state,
            closed_at: Some(1_700_000_100),
        }
    }

    #[test]
    fn a_flag_sent_resolved_arrives_open_and_a_withdrawn_one_stays_withdrawn() {
        assert_eq!(
            arriving_state(&flag(FlagState::Resolved)),
            (FlagState::Open, None)
        );
        assert_eq!(
            arriving_state(&flag(FlagState::Open)),
            (FlagState::Open, None)
        );
        assert_eq!(
            arriving_state(&flag(FlagState::Withdrawn)),
            (FlagState::Withdrawn, Some(1_700_000_100))
        );
    }

    #[test]
    fn the_flag_cap_allows_ten_per_card_and_refuses_more() {
        assert!(flag_cap("d", "c", MAX_FLAGS_PER_CARD).is_ok());
        let e = flag_cap("d", "c", 5_000).unwrap_err();
        assert!(e.contains("5000 flags on card d/c"), "{e}");
    }

    #[test]
    fn durations_run_from_zero_to_a_year() {
        assert!(duration("duration_ms", 0).is_ok());
        assert!(duration("duration_ms", 4_000).is_ok());
        assert!(duration("duration_ms", LONGEST_DURATION_MS).is_ok());
        for bad in [-1, LONGEST_DURATION_MS + 1, i64::MAX] {
            let e = duration("duration_ms", bad).unwrap_err();
            assert!(
                e.starts_with(&format!("`duration_ms` is {bad}, not a duration")),
                "{e}"
            );
        }
    }
}
