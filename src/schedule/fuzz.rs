//! Anki's interval fuzz: the range around an interval a review may land in, and the fuzz factor drawn from an RNG
//! seeded by the card and its review count, so that replaying a review log gives the same intervals.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

pub(super) fn round_days(interval: f32) -> u32 {
    interval.round().max(0.0) as u32
}

/// The fuzz range around an interval, as in Anki: no fuzz under 2.5 days, then one day plus 15% of the days from
/// 2.5 to 7, 10% of those from 7 to 20 and 5% of those beyond.
fn fuzz_delta(interval: f32) -> f32 {
    if interval < 2.5 {
        return 0.0;
    }
    [(2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, f32::MAX, 0.05)]
        .iter()
        .fold(1.0, |delta, &(start, end, factor)| {
            delta + factor * (interval.min(end) - start).max(0.0)
        })
}

/// An interval in whole days within [minimum, maximum], fuzzed uniformly over its fuzz range when `fuzz` is given.
pub fn with_fuzz(interval: f32, minimum: u32, maximum: u32, fuzz: Option<f32>) -> u32 {
    let minimum = minimum.min(maximum);
    let Some(f) = fuzz else {
        return round_days(interval).clamp(minimum, maximum);
    };
    let interval = interval.clamp(minimum as f32, maximum as f32);
    let delta = fuzz_delta(interval);
    let mut lower = round_days(interval - delta).clamp(minimum, maximum);
    let mut upper = round_days(interval + delta).clamp(minimum, maximum);
    if upper == lower && upper > 2 && upper < maximum {
        upper = lower + 1;
    }
    lower = lower.min(upper);
    (lower as f32 + f.clamp(0.0, 0.999_999) * (1 + upper - lower) as f32).floor() as u32
}

/// The fuzz factor for one answer: drawn from an RNG seeded by the card and its review count, so that replaying
/// a review log gives the same intervals.
pub fn fuzz_factor(card_key: &str, reps: u32) -> f32 {
    let seed = crate::text::fnv1a(format!("{card_key}#{reps}").as_bytes());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{CardState, Phase, Rating, Scheduler, Settings};

    #[test]
    fn anki_fuzz_vectors() {
        // (interval, min, max) -> results at fuzz factors 0, 0.5, 0.99 (Anki's rslib fuzz test).
        let cases: [(f32, u32, u32, [u32; 3]); 16] = [
            (1.0, 1, 1000, [1, 1, 1]),
            (2.49, 1, 1000, [2, 2, 2]),
            (2.5, 1, 1000, [2, 3, 4]),
            (7.0, 1, 1000, [5, 7, 9]),
            (17.0, 1, 1000, [14, 17, 20]),
            (37.0, 1, 1000, [33, 37, 41]),
            (2.0, 2, 1000, [2, 2, 2]),
            (2.0, 3, 1000, [3, 4, 4]),
            (2.0, 3, 3, [3, 3, 3]),
            (6.9, 3, 1000, [5, 7, 9]),
            (7.1, 3, 1000, [5, 7, 9]),
            (19.9, 3, 1000, [17, 20, 23]),
            (20.1, 3, 1000, [17, 20, 23]),
            (100.0, 101, 1000, [101, 105, 108]),
            (100.0, 1, 99, [92, 96, 99]),
            (100.0, 97, 103, [97, 100, 103]),
        ];
        for (interval, min, max, expected) in cases {
            let got = [0.0, 0.5, 0.99].map(|f| with_fuzz(interval, min, max, Some(f)));
            assert_eq!(got, expected, "interval {interval} in [{min}, {max}]");
        }
        assert_eq!(with_fuzz(1.5, 1, 100, None), 2);
        assert_eq!(with_fuzz(0.1, 1, 100, None), 1);
        assert_eq!(with_fuzz(101.0, 1, 100, None), 100);
    }

    #[test]
    fn fuzz_is_uniform_and_keeps_hard_good_easy_apart() {
        let s = Scheduler::new(Settings::default()).expect("defaults");
        let prev = CardState {
            phase: Phase::Review,
            step: 0,
            stability: 3.0,
            difficulty: 5.0,
            due: 0,
            last_review: 0,
            last_day: crate::time::Day(0),
            interval: 3,
            reps: 3,
            lapses: 0,
            leech: false,
        };
        let mut counts = std::collections::BTreeMap::new();
        for i in 0..2000u32 {
            let f = fuzz_factor("deck/card/0", i);
            assert!((0.0..1.0).contains(&f));
            let days: Vec<u32> = [Rating::Hard, Rating::Good, Rating::Easy]
                .into_iter()
                .map(|r| {
                    s.answer_with_elapsed(Some(&prev), r, 0, 3, Some(f))
                        .map(|o| o.state.interval)
                        .unwrap_or(0)
                })
                .collect();
            assert!(days[0] < days[1] && days[1] < days[2], "{days:?}");
            *counts.entry(days[1]).or_insert(0) += 1;
        }
        // Good's interval spreads over several days, none of them rare.
        assert!(counts.len() >= 3, "{counts:?}");
        assert!(counts.values().all(|&c| c > 100), "{counts:?}");
    }
}
