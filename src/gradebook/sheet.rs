//! What a grade export writes, before any layout: the exam and deck columns, one [`Student`] row per learner with
//! their exam results and deck study, and how an exam's grade is chosen from closed attempts (highest, last, mean).

use super::Identity;
use crate::exam::Grading;
use crate::time::UnixMs;

/// One closed attempt's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ExamScore {
    pub learner_id: i64,
    pub number: i64,
    pub score: f64,
    pub max_score: f64,
    pub closed_at: UnixMs,
    /// Sat on the learner's own machine and brought in a progress bundle.
    pub unsupervised: bool,
}

/// An exam's grade for one learner, as a share of the maximum.
#[derive(Debug, Clone, PartialEq)]
pub struct ExamResult {
    /// 0 to 1.
    pub fraction: f64,
    /// The attempt the grade is from, as shown ("2", or "1 (unsupervised)" for one brought in a bundle); `None`
    /// for a mean.
    pub attempt: Option<String>,
    /// When the counted attempt (for a mean, the last one) closed.
    pub closed_at_ms: UnixMs,
}

/// The grade from a learner's closed attempts by the exam's grading method: `highest`, `last`, or `mean` (of the
/// shares of the maximum). `None` without a closed attempt. An unknown method counts as `highest`.
pub fn graded(grading: &str, attempts: &[&ExamScore]) -> Option<ExamResult> {
    let mut attempts = attempts.to_vec();
    // In the order they were sat: "last" is the latest attempt, of either kind when unsupervised ones count.
    attempts.sort_by_key(|a| (a.closed_at, a.number));
    let shares: Vec<f64> = attempts
        .iter()
        .map(|a| {
            if a.max_score > 0.0 {
                (a.score / a.max_score).clamp(0.0, 1.0)
            } else {
                0.0
            }
        })
        .collect();
    let method = Grading::named(grading).unwrap_or(Grading::Highest);
    let (fraction, counted) = method.pick(&shares)?;
    let closed = attempts[counted.unwrap_or(attempts.len() - 1)];
    Some(ExamResult {
        fraction,
        attempt: counted.map(|i| {
            let a = attempts[i];
            if a.unsupervised {
                format!("{} (unsupervised)", a.number)
            } else {
                a.number.to_string()
            }
        }),
        closed_at_ms: closed.closed_at,
    })
}

/// An exam column: its id, the title shown in the LMS, and its points (one per question).
#[derive(Debug, Clone, PartialEq)]
pub struct ExamColumn {
    pub id: String,
    pub title: String,
    pub points: f64,
    /// The exam scores flashcards the learners graded themselves: its column says so.
    pub self_graded: bool,
    /// Moodle: the maximum grade of the existing grade item its grades go into, when the downloaded gradebook shows
    /// it; grades are then written out of it, else out of 100 (a percentage: Moodle's default maximum).
    pub out_of: Option<f64>,
}

impl ExamColumn {
    /// The title as written in a header: marked when self-graded flashcards count.
    pub(super) fn heading(&self) -> String {
        if self.self_graded {
            format!("{} (self-graded)", self.title)
        } else {
            self.title.clone()
        }
    }

    /// The assessment name of the native layout: the exam id, marked as the title is.
    pub(super) fn native_name(&self) -> String {
        if self.self_graded {
            format!("{} (self-graded)", self.id)
        } else {
            self.id.clone()
        }
    }
}

/// A deck's study columns, and how many active study items it has.
#[derive(Debug, Clone, PartialEq)]
pub struct DeckColumn {
    pub id: String,
    pub items: u32,
}

/// A learner's study of one deck.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DeckResult {
    pub studied: u32,
    /// Mastery as `detente stats` computes it ([`crate::stats::card_mastery`]): the recall predicted
    /// [`crate::stats::HORIZON_DAYS`] ahead (the same horizon for every learner), averaged over the deck's active
    /// items, unseen ones and those in (re)learning steps counting 0; 0 to 1.
    pub mastery: f64,
    pub days_active: u32,
    pub last_activity_ms: Option<crate::time::UnixMs>,
}

/// One learner's row: detente's name, identity, and one value per exam and per deck of the [`Sheet`].
#[derive(Debug, Clone, PartialEq)]
pub struct Student {
    pub name: String,
    pub identity: Identity,
    pub exams: Vec<Option<ExamResult>>,
    pub decks: Vec<DeckResult>,
}

/// Everything a grade export writes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheet {
    pub exams: Vec<ExamColumn>,
    pub decks: Vec<DeckColumn>,
    pub students: Vec<Student>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grading_methods() {
        let a = |number, score| ExamScore {
            learner_id: 1,
            number,
            score,
            max_score: 10.0,
            closed_at: UnixMs::from_secs(number),
            unsupervised: false,
        };
        let (one, two, three) = (a(1, 6.0), a(2, 9.0), a(3, 3.0));
        let all = [&one, &two, &three];
        assert_eq!(
            graded("highest", &all).map(|r| r.attempt),
            Some(Some("2".to_string()))
        );
        assert_eq!(graded("last", &all).map(|r| r.fraction), Some(0.3));
        let mean = graded("mean", &all).expect("mean");
        assert!((mean.fraction - 0.6).abs() < 1e-9);
        assert_eq!(graded("mean", &[]), None);
    }

    /// An attempt brought in a bundle, counted with `--include-unsupervised`: "last" is the latest sat, whatever
    /// its kind's numbering, and the attempt column says which kind it was.
    #[test]
    fn last_is_the_latest_sat_and_an_unsupervised_attempt_says_so() {
        let supervised = ExamScore {
            learner_id: 1,
            number: 2,
            score: 4.0,
            max_score: 10.0,
            closed_at: UnixMs::from_secs(100),
            unsupervised: false,
        };
        let later = ExamScore {
            number: 1,
            score: 9.0,
            closed_at: UnixMs::from_secs(200),
            unsupervised: true,
            ..supervised.clone()
        };
        let last = graded("last", &[&later, &supervised]).expect("last");
        assert_eq!(last.fraction, 0.9);
        assert_eq!(last.attempt.as_deref(), Some("1 (unsupervised)"));
    }
}
