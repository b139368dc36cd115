//! The [`Scheduler`]: FSRS-6 (the `fsrs` crate) for the memory model, plus what the crate leaves out: learning and
//! relearning steps, review intervals rounded, kept apart (Hard < Good < Easy) and capped, and leeches. Answering a
//! card gives its next state as an [`Outcome`].

use super::fuzz::{round_days, with_fuzz};
use super::{Calendar, CardState, Phase, Rating, Settings};
use crate::time::Day;
use fsrs::{FSRS, MemoryState, NextStates};

/// What answering a card did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub state: CardState,
    /// Days since the previous review (calendar days), as given to FSRS.
    pub elapsed_days: u32,
    /// The card just became a leech.
    pub became_leech: bool,
}

/// FSRS-6 with the learner's settings.
#[derive(Debug, Clone)]
pub struct Scheduler {
    fsrs: FSRS,
    pub settings: Settings,
}

impl Scheduler {
    pub fn new(settings: Settings) -> crate::error::Result<Self> {
        Ok(Scheduler {
            fsrs: FSRS::new(&settings.parameters)?,
            settings,
        })
    }

    /// Answers a card (`prev` is `None` for a new card) with `rating` at Unix time `now`. `fuzz` is a
    /// number in [0, 1) drawn from a seeded RNG, or `None` for no fuzz.
    pub fn answer(
        &self,
        prev: Option<&CardState>,
        rating: Rating,
        now: i64,
        cal: &Calendar,
        fuzz: Option<f32>,
    ) -> crate::error::Result<Outcome> {
        let today = cal.day_of(now);
        let elapsed = prev.map_or(0, |p| {
            today.days_since(p.last_day).clamp(0, i64::from(u32::MAX)) as u32
        });
        let mut outcome = self.answer_with_elapsed(prev, rating, now, elapsed, fuzz)?;
        outcome.state.last_day = today;
        if outcome.state.phase == Phase::Review {
            outcome.state.due = cal.start_of(today.plus(i64::from(outcome.state.interval)));
        }
        Ok(outcome)
    }

    /// The heart of [`Scheduler::answer`], with the elapsed days given (so that reference vectors computed with
    /// another day rule can be reproduced). A review's due time here is `now` plus whole days.
    pub fn answer_with_elapsed(
        &self,
        prev: Option<&CardState>,
        rating: Rating,
        now: i64,
        elapsed_days: u32,
        fuzz: Option<f32>,
    ) -> crate::error::Result<Outcome> {
        let memory = prev.filter(|p| p.phase != Phase::New).map(|p| MemoryState {
            stability: p.stability,
            difficulty: p.difficulty,
        });
        let next = self
            .fsrs
            .next_states(memory, self.settings.desired_retention, elapsed_days)?;
        let chosen = match rating {
            Rating::Again => &next.again,
            Rating::Hard => &next.hard,
            Rating::Good => &next.good,
            Rating::Easy => &next.easy,
        };
        let phase = prev.map_or(Phase::New, |p| p.phase);
        let mut state = CardState {
            phase,
            step: prev.map_or(0, |p| p.step),
            stability: chosen.memory.stability,
            difficulty: chosen.memory.difficulty,
            due: now,
            last_review: now,
            last_day: prev.map_or(Day(0), |p| p.last_day),
            interval: 0,
            reps: prev.map_or(0, |p| p.reps) + 1,
            lapses: prev.map_or(0, |p| p.lapses),
            leech: prev.is_some_and(|p| p.leech),
        };
        let mut became_leech = false;
        let steps_for = |p: Phase| match p {
            Phase::Relearning => &self.settings.relearning_steps,
            _ => &self.settings.learning_steps,
        };
        let graduate = |state: &mut CardState| {
            let days = self.constrain(chosen.interval, 1, fuzz);
            state.phase = Phase::Review;
            state.step = 0;
            state.interval = days;
            state.due = now + i64::from(days) * 86_400;
        };
        match phase {
            Phase::New | Phase::Learning | Phase::Relearning => {
                let steps = steps_for(phase);
                let step = if phase == Phase::New {
                    0
                } else {
                    state.step as usize
                };
                match step_transition(steps, step, rating) {
                    Some((next_step, delay)) => {
                        state.phase = if phase == Phase::New {
                            Phase::Learning
                        } else {
                            phase
                        };
                        state.step = next_step as u32;
                        state.due = now + i64::from(delay);
                    }
                    None => graduate(&mut state),
                }
            }
            Phase::Review if rating == Rating::Again => {
                state.lapses += 1;
                let t = self.settings.leech_threshold.max(1);
                if state.lapses >= t && (state.lapses - t).is_multiple_of((t / 2).max(1)) {
                    became_leech = true;
                    state.leech = true;
                }
                match self.settings.relearning_steps.first() {
                    Some(&delay) => {
                        state.phase = Phase::Relearning;
                        state.step = 0;
                        state.due = now + i64::from(delay);
                    }
                    None => graduate(&mut state),
                }
            }
            Phase::Review => {
                let last = prev.map_or(0, |p| p.interval);
                let (hard, good, easy) = self.passing_intervals(&next, last, fuzz);
                let days = match rating {
                    Rating::Again | Rating::Hard => hard,
                    Rating::Good => good,
                    Rating::Easy => easy,
                };
                state.interval = days;
                state.due = now + i64::from(days) * 86_400;
            }
        }
        Ok(Outcome {
            state,
            elapsed_days,
            became_leech,
        })
    }

    /// Review intervals for Hard, Good and Easy. With fuzz, as Anki does: each at least one day more than the one
    /// before, and not fuzzed below the last interval when they grew. Without fuzz, plain rounding, as py-fsrs does
    /// (the reference vectors are computed so).
    fn passing_intervals(
        &self,
        next: &NextStates,
        last: u32,
        fuzz: Option<f32>,
    ) -> (u32, u32, u32) {
        if fuzz.is_none() {
            let max = self.settings.maximum_interval;
            let plain = |i: f32| with_fuzz(i, 1, max, None);
            return (
                plain(next.hard.interval),
                plain(next.good.interval),
                plain(next.easy.interval),
            );
        }
        let floor = |interval: f32| {
            let rounded = round_days(interval);
            if rounded > last { last + 1 } else { 0 }
        };
        let hard = self.constrain(next.hard.interval, floor(next.hard.interval).max(1), fuzz);
        let good = self.constrain(
            next.good.interval,
            floor(next.good.interval).max(hard + 1),
            fuzz,
        );
        let easy = self.constrain(
            next.easy.interval,
            floor(next.easy.interval).max(good + 1),
            fuzz,
        );
        (hard, good, easy)
    }

    fn constrain(&self, interval: f32, minimum: u32, fuzz: Option<f32>) -> u32 {
        with_fuzz(interval, minimum, self.settings.maximum_interval, fuzz)
    }

    /// Retrievability of a card `days` after its last review.
    pub fn retrievability(&self, state: &CardState, days: f32) -> f32 {
        if state.phase == Phase::New {
            return 0.0;
        }
        let decay = self
            .settings
            .parameters
            .get(20)
            .copied()
            .unwrap_or(fsrs::FSRS6_DEFAULT_DECAY);
        fsrs::current_retrievability(
            MemoryState {
                stability: state.stability,
                difficulty: state.difficulty,
            },
            days.max(0.0),
            decay,
        )
    }
}

/// The next (step, delay in seconds) within learning or relearning steps, or `None` when the card graduates.
fn step_transition(steps: &[u32], step: usize, rating: Rating) -> Option<(usize, u32)> {
    if steps.is_empty() || (step >= steps.len() && rating > Rating::Again) {
        return None;
    }
    match rating {
        Rating::Again => Some((0, steps[0])),
        Rating::Hard => {
            let delay = match (step, steps) {
                (0, [only]) => only.saturating_mul(3) / 2,
                (0, [first, second, ..]) => (first + second) / 2,
                _ => steps[step],
            };
            Some((step, delay))
        }
        Rating::Good if step + 1 < steps.len() => Some((step + 1, steps[step + 1])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leeches_at_eight_lapses() {
        let s = Scheduler::new(Settings::default()).expect("defaults");
        let mut state = CardState {
            phase: Phase::Review,
            step: 0,
            stability: 5.0,
            difficulty: 5.0,
            due: 0,
            last_review: 0,
            last_day: crate::time::Day(0),
            interval: 5,
            reps: 10,
            lapses: 7,
            leech: false,
        };
        let out = s
            .answer_with_elapsed(Some(&state), Rating::Again, 0, 5, None)
            .expect("answer");
        assert!(out.became_leech && out.state.leech && out.state.lapses == 8);
        state.lapses = 3;
        assert!(
            !s.answer_with_elapsed(Some(&state), Rating::Again, 0, 5, None)
                .expect("answer")
                .became_leech
        );
    }
}
