//! The class view: one row per learner with their mastery per deck or theme, their recent activity (study reviews,
//! exam attempts and answers), their best supervised exam scores and their open flags, the class's mean per column,
//! and the weakest columns first; built one learner at a time by [`ClassBuilder`].

use super::{CardInfo, Mastery, ReviewInfo, mastery};
use crate::schedule::{Calendar, CardState, Scheduler};
use crate::time::Day;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the class view groups mastery by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Deck,
    Theme,
}

/// One learner's row in the class view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassRow {
    pub learner: String,
    /// Mastery per column, in the order of [`Class::columns`] (0 to 1).
    pub mastery: Vec<f64>,
    pub reviews_7_days: u32,
    /// The last calendar day with a review, an exam attempt started or closed, or an exam answer, if any.
    pub last_active_day: Option<Day>,
    /// Per exam of [`Class::exams`], the best closed supervised attempt as a share of its maximum (0 to 1); `None`
    /// when the learner has none.
    pub exam_scores: Vec<Option<f64>>,
    /// Flags the learner raised that are still open.
    pub open_flags: u32,
}

/// An exam column of the class view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassExam {
    pub id: String,
    pub title: String,
}

/// What a learner did besides study, for their class row: their best closed supervised attempt per exam id (a
/// share of the maximum), their last day of exam activity, and their open flags.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Beyond {
    pub exam_scores: BTreeMap<String, f64>,
    pub last_exam_day: Option<Day>,
    pub open_flags: u32,
}

/// A class column: a deck or a theme, with the class's mean mastery of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassColumn {
    pub key: String,
    pub label: String,
    pub mean: f64,
}

/// The class view: one row per learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Class {
    pub by: GroupBy,
    pub today_day: Day,
    pub columns: Vec<ClassColumn>,
    /// The exams loaded, in id order; each row has a score (or none) per exam.
    pub exams: Vec<ClassExam>,
    pub rows: Vec<ClassRow>,
    /// Column keys from the weakest (lowest class mean) to the strongest.
    pub weakest: Vec<String>,
}

/// One learner's data for the class view.
pub struct LearnerData<'a> {
    pub name: String,
    pub cards: Vec<CardInfo>,
    pub reviews: Vec<ReviewInfo>,
    pub scheduler: Scheduler,
    pub calendar: &'a Calendar,
}

/// The class view over every learner: mastery per deck or theme, recent activity, the weakest columns first.
pub fn class(
    learners: &[LearnerData<'_>],
    by: GroupBy,
    now: i64,
    deck_titles: &BTreeMap<String, String>,
    themes: &BTreeMap<String, String>,
) -> Class {
    let mut class = ClassBuilder::new(by);
    for l in learners {
        class.add(l, now, deck_titles, themes);
    }
    class.finish()
}

type LearnerRow = (String, BTreeMap<String, f64>, u32, Option<Day>, Beyond);

/// The class view built one learner at a time, so that a class of 100 learners on 100,000 cards never holds more
/// than one learner's cards.
#[derive(Debug, Clone)]
pub struct ClassBuilder {
    by: GroupBy,
    columns: BTreeMap<String, (String, f64)>,
    /// Name, mastery by column, reviews in the last 7 days, last day with a review, the rest.
    per_learner: Vec<LearnerRow>,
    exams: Vec<ClassExam>,
    today_day: Day,
}

impl ClassBuilder {
    pub fn new(by: GroupBy) -> Self {
        ClassBuilder {
            by,
            columns: BTreeMap::new(),
            per_learner: Vec::new(),
            exams: Vec::new(),
            today_day: Day(0),
        }
    }

    /// The exam columns (every exam loaded, whether or not anyone sat it).
    pub fn exams(mut self, exams: Vec<ClassExam>) -> Self {
        self.exams = exams;
        self
    }

    /// Adds one learner's row.
    pub fn add(
        &mut self,
        l: &LearnerData<'_>,
        now: i64,
        deck_titles: &BTreeMap<String, String>,
        themes: &BTreeMap<String, String>,
    ) {
        let cards = l
            .cards
            .iter()
            .filter(|c| !c.retired)
            .map(|c| (c.deck_id.as_str(), c.tags.as_slice(), c.state));
        self.add_row(
            &l.name,
            cards,
            &l.reviews,
            (&l.scheduler, l.calendar),
            now,
            (deck_titles, themes),
        );
    }

    /// Adds one learner's row from their active cards as (deck, tags, state), without copying the cards.
    pub fn add_row<'c>(
        &mut self,
        name: &str,
        cards: impl IntoIterator<Item = (&'c str, &'c [String], Option<CardState>)>,
        reviews: &[ReviewInfo],
        (scheduler, calendar): (&Scheduler, &Calendar),
        now: i64,
        (deck_titles, themes): (&BTreeMap<String, String>, &BTreeMap<String, String>),
    ) {
        let today = calendar.day_of(now);
        let mastery = mastery(cards, scheduler, super::horizon(now), deck_titles, themes);
        self.add_mastery(
            name,
            mastery,
            reviews.iter().filter(|r| r.day > today - 7).count() as u32,
            reviews.iter().map(|r| r.day).max(),
            today,
            Beyond::default(),
        );
    }

    /// Adds one learner's row from their mastery by deck and by theme (as [`mastery()`] or
    /// [`super::MasteryIndex::mastery`] gives it), their reviews in the 7 days ending `today` and their last active
    /// day with a review, and what they did [`Beyond`] study.
    pub fn add_mastery(
        &mut self,
        name: &str,
        (decks, theme_rows): (Vec<Mastery>, Vec<Mastery>),
        reviews_7_days: u32,
        last_active_day: Option<Day>,
        today: Day,
        beyond: Beyond,
    ) {
        self.today_day = today;
        let rows = match self.by {
            GroupBy::Deck => decks,
            GroupBy::Theme => theme_rows,
        };
        for m in &rows {
            self.columns
                .entry(m.key.clone())
                .or_insert_with(|| (m.label.clone(), 0.0))
                .1 += m.mastery;
        }
        let values: BTreeMap<String, f64> = rows.into_iter().map(|m| (m.key, m.mastery)).collect();
        self.per_learner.push((
            name.to_string(),
            values,
            reviews_7_days,
            last_active_day,
            beyond,
        ));
    }

    /// The class: columns with the class mean, one row per learner, the weakest columns first.
    pub fn finish(self) -> Class {
        let n = self.per_learner.len().max(1) as f64;
        let columns: Vec<ClassColumn> = self
            .columns
            .into_iter()
            .map(|(key, (label, sum))| ClassColumn {
                key,
                label,
                mean: sum / n,
            })
            .collect();
        let exams = self.exams;
        let rows = self
            .per_learner
            .into_iter()
            .map(
                |(learner, values, reviews_7_days, last_review_day, beyond)| ClassRow {
                    learner,
                    mastery: columns
                        .iter()
                        .map(|c| values.get(&c.key).copied().unwrap_or(0.0))
                        .collect(),
                    reviews_7_days,
                    last_active_day: last_review_day.max(beyond.last_exam_day),
                    exam_scores: exams
                        .iter()
                        .map(|e| beyond.exam_scores.get(&e.id).copied())
                        .collect(),
                    open_flags: beyond.open_flags,
                },
            )
            .collect();
        let mut order: Vec<&ClassColumn> = columns.iter().collect();
        order.sort_by(|a, b| a.mean.total_cmp(&b.mean).then(a.key.cmp(&b.key)));
        let weakest = order.iter().map(|c| c.key.clone()).collect();
        Class {
            by: self.by,
            today_day: self.today_day,
            columns,
            exams,
            rows,
            weakest,
        }
    }
}
