//! Fitting a learner's FSRS-6 parameters to their study log with the `fsrs` crate's optimizer, checking the fit on
//! later reviews it was not fitted on, and estimating the workload a desired retention implies. Pure: takes the
//! log, returns numbers.
//!
//! How the log becomes training data: the reviews are grouped per card in time order; a review's `delta_t` is the
//! difference of the calendar days of it and the card's previous review (0 for the first review and for same-day
//! reviews). Every review after a card's first gives one [`FSRSItem`]: the card's history up to and including it.
//!
//! The check: the reviews are split in time at [`TRAIN_SHARE`] of their count. The parameters are fitted on the
//! items whose last review is in the earlier part; both the default and the fitted parameters then predict the
//! later part's long-term reviews (`delta_t` > 0, as srs-benchmark scores them), each from its whole earlier
//! history, and we report log loss and RMSE(bins) of both (the crate's `evaluate`, which weights recent items more).

use crate::schedule::Rating;
use crate::time::Day;
use fsrs::{ComputeParametersInput, FSRS, FSRSItem, FSRSReview, compute_parameters};
use serde::Serialize;
use std::collections::HashMap;

/// The fewest study reviews worth fitting on. The crate returns the defaults for under 8 training items and only
/// refits the initial stabilities for under 64; 400 reviews is Anki's own floor for its optimizer, and leaves some
/// 100 later reviews to check the fit on.
pub const MIN_REVIEWS: usize = 400;
/// The share of the log (by count, in time order) the parameters are fitted on in the check.
pub const TRAIN_SHARE: f64 = 0.75;

/// One study review, in the order they happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogEntry {
    pub card_id: i64,
    pub rating: Rating,
    pub day: Day,
}

/// How well a parameter set predicts reviews.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    pub log_loss: f64,
    pub rmse_bins: f64,
}

/// The result of a fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    pub reviews: usize,
    pub train_reviews: usize,
    /// Long-term reviews in the later part, the check's test set.
    pub test_items: usize,
    pub default: Metrics,
    pub fitted: Metrics,
    /// Fitted on the earlier part only (what the check measured).
    pub checked_parameters: Vec<f32>,
    /// Fitted on the whole log: what the learner should use.
    pub parameters: Vec<f32>,
}

impl Fit {
    /// Whether the fitted parameters predicted the later reviews better than the defaults.
    pub fn improves(&self) -> bool {
        self.fitted.log_loss < self.default.log_loss
    }
}

/// Why no fit was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum NotEnough {
    /// Fewer than [`MIN_REVIEWS`] study reviews: how many there are.
    Reviews { have: usize, need: usize },
    /// The later part has no long-term review to check the fit on (everything was on one day, say).
    NothingToCheck,
}

/// One item per review after a card's first, with the card id and the review's position in `log`.
fn items(log: &[LogEntry]) -> Vec<(usize, i64, FSRSItem)> {
    let mut history: HashMap<i64, (Day, Vec<FSRSReview>)> = HashMap::new();
    let mut out = Vec::new();
    for (i, e) in log.iter().enumerate() {
        let rating = u32::from(e.rating.number());
        let entry = history.entry(e.card_id).or_insert((e.day, Vec::new()));
        let delta = if entry.1.is_empty() {
            0
        } else {
            u32::try_from(e.day.days_since(entry.0).max(0)).unwrap_or(u32::MAX)
        };
        entry.0 = e.day;
        entry.1.push(FSRSReview {
            rating,
            delta_t: delta,
        });
        if entry.1.len() > 1 {
            out.push((
                i,
                e.card_id,
                FSRSItem {
                    reviews: entry.1.clone(),
                },
            ));
        }
    }
    out
}

/// Whether an item ends on a later day than the review before it. Only those train and test the model, as in the
/// `fsrs` crate's own converter: an item ending on the same day repeats its card's first later-day review and
/// would count its failures twice (fitting on them made the initial stabilities far too low).
fn long_term(item: &FSRSItem) -> bool {
    item.reviews.last().is_some_and(|r| r.delta_t > 0)
}

fn fit_on(items: &[(usize, i64, FSRSItem)]) -> crate::error::Result<Vec<f32>> {
    let train: Vec<(i64, FSRSItem)> = items
        .iter()
        .filter(|(_, _, item)| long_term(item))
        .map(|(_, id, item)| (*id, item.clone()))
        .collect();
    let (card_ids, train_set): (Vec<i64>, Vec<FSRSItem>) = train.into_iter().unzip();
    Ok(compute_parameters(ComputeParametersInput {
        train_set,
        card_ids: Some(card_ids),
        ..ComputeParametersInput::default()
    })?)
}

fn metrics(parameters: &[f32], test: &[FSRSItem]) -> crate::error::Result<Metrics> {
    let model = FSRS::new(parameters)?;
    let e = model.evaluate(test.to_vec(), |_| true)?;
    Ok(Metrics {
        log_loss: f64::from(e.log_loss),
        rmse_bins: f64::from(e.rmse_bins),
    })
}

/// Fits parameters to a study log (in time order) and checks them on its later part. `Ok(Err(..))` when there is
/// too little history.
pub fn fit(log: &[LogEntry]) -> crate::error::Result<std::result::Result<Fit, NotEnough>> {
    if log.len() < MIN_REVIEWS {
        return Ok(Err(NotEnough::Reviews {
            have: log.len(),
            need: MIN_REVIEWS,
        }));
    }
    let all = items(log);
    let cut = (log.len() as f64 * TRAIN_SHARE) as usize;
    let (train, later): (Vec<_>, Vec<_>) = all.iter().cloned().partition(|(i, _, _)| *i < cut);
    let test: Vec<FSRSItem> = later
        .into_iter()
        .map(|(_, _, item)| item)
        .filter(long_term)
        .collect();
    if test.is_empty() {
        return Ok(Err(NotEnough::NothingToCheck));
    }
    let checked = fit_on(&train)?;
    let default = metrics(&fsrs::DEFAULT_PARAMETERS, &test)?;
    let fitted = metrics(&checked, &test)?;
    let parameters = fit_on(&all)?;
    Ok(Ok(Fit {
        reviews: log.len(),
        train_reviews: cut,
        test_items: test.len(),
        default,
        fitted,
        checked_parameters: checked,
        parameters,
    }))
}

/// The interval, in days, at which a card of stability `s` falls to retention `r` under FSRS-6 with `parameters`
/// (empty for the defaults): I = S / FACTOR * (r^(1/DECAY) - 1), DECAY = -w20, FACTOR = 0.9^(1/DECAY) - 1.
pub fn interval_for(s: f64, r: f64, parameters: &[f32]) -> f64 {
    let w20 = f64::from(
        parameters
            .get(20)
            .copied()
            .unwrap_or(fsrs::FSRS6_DEFAULT_DECAY),
    );
    let decay = -w20;
    let factor = 0.9f64.powf(1.0 / decay) - 1.0;
    s / factor * (r.powf(1.0 / decay) - 1.0)
}

/// Expected reviews per day at retention `r` for cards of the given stabilities: each card comes back once per
/// interval (at least one day), so the daily load is the sum of 1/interval. A steady-state estimate from today's
/// stabilities: it leaves out that stabilities grow, and new cards, which both retentions share.
pub fn reviews_per_day(stabilities: &[f32], r: f64, parameters: &[f32]) -> f64 {
    stabilities
        .iter()
        .map(|&s| 1.0 / interval_for(f64::from(s.max(0.001)), r, parameters).max(1.0))
        // A fold from 0.0, not `sum()`: an empty float sum is -0.0, which would print as "-0.0 reviews a day".
        .fold(0.0, |a, b| a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_matches_the_reference_ratios() {
        let p: [f32; 0] = [];
        assert!((interval_for(10.0, 0.9, &p) - 10.0).abs() < 1e-6);
        assert!((interval_for(1.0, 0.8, &p) - 3.316).abs() < 1e-3);
        assert!((interval_for(1.0, 0.95, &p) - 0.4026).abs() < 1e-3);
    }

    #[test]
    fn no_cards_means_no_reviews() {
        assert_eq!(format!("{:.1}", reviews_per_day(&[], 0.9, &[])), "0.0");
    }

    #[test]
    fn items_use_day_differences() {
        let log = [
            LogEntry {
                card_id: 1,
                rating: Rating::Good,
                day: Day(10),
            },
            LogEntry {
                card_id: 1,
                rating: Rating::Good,
                day: Day(10),
            },
            LogEntry {
                card_id: 1,
                rating: Rating::Again,
                day: Day(13),
            },
        ];
        let it = items(&log);
        assert_eq!(it.len(), 2);
        let deltas: Vec<u32> = it[1].2.reviews.iter().map(|r| r.delta_t).collect();
        assert_eq!(deltas, [0, 0, 3]);
    }

    #[test]
    fn too_little_history_is_said() {
        let log = vec![
            LogEntry {
                card_id: 1,
                rating: Rating::Good,
                day: Day(1)
            };
            10
        ];
        assert_eq!(
            fit(&log).expect("fit"),
            Err(NotEnough::Reviews {
                have: 10,
                need: MIN_REVIEWS
            })
        );
    }
}
