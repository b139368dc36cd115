//! Statistics read off the review log day by day: true retention over a window of days (all, young, mature) and
//! week by week, and the study heatmap of the last weeks.

use super::{HEATMAP_WEEKS, MATURE_DAYS, ReviewInfo};
use crate::schedule::Phase;
use crate::time::Day;
use serde::Serialize;
use std::collections::HashMap;

/// Reviews passed out of reviews done; `rate` is `None` when there were none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rate {
    pub reviews: u32,
    pub passed: u32,
    pub rate: Option<f64>,
}

impl Rate {
    fn add(&mut self, passed: bool) {
        self.reviews += 1;
        self.passed += u32::from(passed);
        self.rate = Some(f64::from(self.passed) / f64::from(self.reviews));
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Retention {
    pub all: Rate,
    pub young: Rate,
    pub mature: Rate,
}

/// Study activity as a 7 x 26 grid: `cells[weekday][week]`, Monday first, the last column the current week;
/// `None` for days after today.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Heatmap {
    pub first_day: Day,
    pub cells: Vec<Vec<Option<u32>>>,
    pub max: u32,
}

/// Retention of one week (the 7 days ending on `last_day`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekRetention {
    pub last_day: Day,
    pub rate: Rate,
}

/// The weekday of a calendar day counted from 1 January of year 1 (a Monday): 0 Monday .. 6 Sunday.
pub fn weekday(day: Day) -> usize {
    (day.0 - 1).rem_euclid(7) as usize
}

/// True retention of the study reviews of review-phase cards made from day `first` to day `last`.
pub(super) fn retention_between(reviews: &[&ReviewInfo], first: Day, last: Day) -> Retention {
    let mut r = Retention::default();
    for review in reviews.iter().filter(|r| {
        r.mode == "study" && r.phase_before == Phase::Review && r.day >= first && r.day <= last
    }) {
        let passed = review.rating > crate::schedule::Rating::Again;
        r.all.add(passed);
        if review.interval_before >= MATURE_DAYS {
            r.mature.add(passed);
        } else {
            r.young.add(passed);
        }
    }
    r
}

pub(super) fn heatmap(per_day: &HashMap<Day, u32>, today: Day) -> Heatmap {
    let first_day = today - weekday(today) as i64 - 7 * (HEATMAP_WEEKS as i64 - 1);
    let cells: Vec<Vec<Option<u32>>> = (0..7)
        .map(|row| {
            (0..HEATMAP_WEEKS)
                .map(|col| {
                    let day = first_day + (col * 7 + row) as i64;
                    (day <= today).then(|| per_day.get(&day).copied().unwrap_or(0))
                })
                .collect()
        })
        .collect();
    let max = cells.iter().flatten().flatten().copied().max().unwrap_or(0);
    Heatmap {
        first_day,
        cells,
        max,
    }
}
