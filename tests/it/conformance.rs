//! The scheduler against FSRS-6 reference values (py-fsrs 6.3.2, cross-checked with fsrs-rs 6.6.2), copied from
//! the course's reference set into `tests/data/conformance-vectors.json` (see `docs/fsrs.md`). The vectors count elapsed days as py-fsrs does (whole
//! 24-hour periods), so the tests feed that rule to `answer_with_elapsed`; detente itself counts calendar days.

use detente::schedule::{CardState, Phase, Rating, Scheduler, Settings};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../data/conformance-vectors.json")).expect("vectors parse")
}

fn ts(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .expect("time")
        .timestamp()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-3 * b.abs().max(1.0)
}

/// Replays a py-fsrs trace through the scheduler, checking every step.
fn replay(name: &str, trace: &[Value]) {
    replay_with(name, trace, true)
}

fn replay_with(name: &str, trace: &[Value], intervals: bool) {
    let s = Scheduler::new(Settings::default()).expect("defaults");
    let mut prev: Option<CardState> = None;
    for (i, step) in trace.iter().enumerate() {
        let now = ts(step["review_time"].as_str().expect("time"));
        let elapsed = prev.map_or(0, |p| ((now - p.last_review) / 86_400) as u32);
        let rating =
            Rating::from_number(step["rating"].as_i64().expect("rating")).expect("rating 1 to 4");
        let out = s
            .answer_with_elapsed(prev.as_ref(), rating, now, elapsed, None)
            .expect("answer");
        let st = out.state;
        let at = format!("{name} step {i}");
        let phase = match step["state"].as_str().expect("state") {
            "Learning" => Phase::Learning,
            "Review" => Phase::Review,
            _ => Phase::Relearning,
        };
        assert_eq!(st.phase, phase, "{at}");
        if let Some(n) = step["step"].as_u64() {
            assert_eq!(u64::from(st.step), n, "{at}");
        }
        // fsrs-rs (and so detente) caps stability at 36500 days; py-fsrs does not.
        let es = step["stability"].as_f64().expect("s").min(36_500.0);
        let ed = step["difficulty"].as_f64().expect("d");
        assert!(
            close(f64::from(st.stability), es),
            "{at}: S {} vs {es}",
            st.stability
        );
        assert!(
            close(f64::from(st.difficulty), ed),
            "{at}: D {} vs {ed}",
            st.difficulty
        );
        if intervals {
            assert_eq!(
                st.due - now,
                step["interval_seconds"].as_i64().expect("interval"),
                "{at}"
            );
        }
        prev = Some(st);
    }
}

#[test]
fn vector_a_reviews_at_due() {
    let v = vectors();
    let trace = v["A_review_at_due"]["trace"].as_array().expect("trace");
    replay("A", trace);
    let days: Vec<i64> = trace
        .iter()
        .map(|t| t["interval_days_floor"].as_i64().expect("days"))
        .collect();
    assert_eq!(days, [0, 2, 11, 46, 163, 498, 0, 0, 2, 4, 7, 12, 21]);
}

#[test]
fn vector_b_memory_state() {
    let v = vectors();
    // The memory states and the intervals (the reference's last interval is 54 days: it was generated again
    // without fuzz).
    let trace = v["B_memo_state"]["trace"].as_array().expect("trace");
    replay_with("B", trace, true);
    let last = trace.last().expect("a last step");
    assert_eq!(last["interval_days_floor"].as_i64(), Some(54));
    // And the final state through the gaps alone, as fsrs-rs's test_memory_state has it.
    let s = Scheduler::new(Settings::default()).expect("defaults");
    let mut prev = None;
    for (r, gap) in [(1u8, 0u32), (3, 0), (3, 1), (3, 3), (3, 8), (3, 21)] {
        prev = Some(
            s.answer_with_elapsed(
                prev.as_ref(),
                Rating::from_number(i64::from(r)).expect("rating 1 to 4"),
                0,
                gap,
                None,
            )
            .expect("answer")
            .state,
        );
    }
    let st = prev.expect("state");
    assert!(
        (st.stability - 53.62691).abs() < 1e-4 * 53.6,
        "{}",
        st.stability
    );
    assert!(
        (st.difficulty - 6.3574867).abs() < 1e-4 * 6.4,
        "{}",
        st.difficulty
    );
}

#[test]
fn vector_e_first_review() {
    let v = vectors();
    let s = Scheduler::new(Settings::default()).expect("defaults");
    for (name, rating) in [("Again", 1u8), ("Hard", 2), ("Good", 3), ("Easy", 4)] {
        let e = &v["E_first_review"][name];
        let st = s
            .answer_with_elapsed(
                None,
                Rating::from_number(i64::from(rating)).expect("rating 1 to 4"),
                0,
                0,
                None,
            )
            .expect("answer")
            .state;
        assert!(
            close(f64::from(st.stability), e["S0"].as_f64().expect("s")),
            "{name}"
        );
        assert!(
            close(f64::from(st.difficulty), e["D0"].as_f64().expect("d")),
            "{name}"
        );
        assert_eq!(st.due, e["interval_seconds"].as_i64().expect("i"), "{name}");
        assert_eq!(st.phase == Phase::Review, e["state"] == "Review", "{name}");
    }
}

#[test]
fn vector_f_mixed_with_same_day_reviews() {
    replay(
        "F",
        vectors()["F_mixed"]["trace"].as_array().expect("trace"),
    );
}

#[test]
fn vector_g_easy_hard_and_again_then_good() {
    let v = vectors();
    replay("G easy", v["G_easy_at_due"].as_array().expect("trace"));
    replay("G hard", v["G_hard_at_due"].as_array().expect("trace"));
    replay(
        "G again then good",
        v["G_again_then_good"].as_array().expect("trace"),
    );
    let easy: Vec<i64> = v["G_easy_at_due"]
        .as_array()
        .expect("trace")
        .iter()
        .map(|t| t["interval_days_floor"].as_i64().expect("days"))
        .collect();
    assert_eq!(easy, [8, 66, 397, 1875, 7265, 23933, 36500, 36500]);
}

#[test]
fn vector_d_retrievability() {
    let s = Scheduler::new(Settings::default()).expect("defaults");
    let state = CardState {
        phase: Phase::Review,
        step: 0,
        stability: 10.0,
        difficulty: 5.0,
        due: 0,
        last_review: 0,
        last_day: detente::time::Day(0),
        interval: 10,
        reps: 1,
        lapses: 0,
        leech: false,
    };
    for pair in vectors()["D_retrievability_S10"].as_array().expect("pairs") {
        let t = pair[0].as_f64().expect("t") as f32;
        let r = f64::from(s.retrievability(&state, t));
        assert!(
            (r - pair[1].as_f64().expect("r")).abs() < 1e-5,
            "t={t}: {r}"
        );
    }
}

#[test]
fn calendar_days_differ_from_24_hour_periods() {
    // Vector F's third review comes 23 h 50 min after the second: the same day for py-fsrs, but the next calendar
    // day for detente (4 am rollover), which is what Anki users expect.
    let cal = detente::schedule::Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let a = ts("2024-01-01T09:10:00+00:00");
    let b = ts("2024-01-02T09:00:00+00:00");
    assert_eq!(cal.day_of(b) - cal.day_of(a), 1);
}
