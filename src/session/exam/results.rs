//! Reading exams back out of the store: every learner's results at an exam graded by its method, item analysis of
//! an exam's attempts or a deck's first study answers, and the row an exam definition is stored as. Attempts
//! brought in progress bundles (unsupervised) are shown apart and left out of grades, pass/fail and item analysis
//! unless the caller counts them.

use crate::deck::{Body, cloze_question};
use crate::error::{Error, Result};
use crate::exam::Exam;
use crate::store::{self, ReportReads, Store};
use std::collections::HashMap;

/// One attempt in the results.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AttemptResult {
    /// From 1 within its kind: supervised attempts and unsupervised ones are numbered apart.
    pub number: u32,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    /// `None` while the attempt is open.
    pub percent: Option<f64>,
    pub open: bool,
    pub started_at_ms: crate::time::UnixMs,
    pub closed_at_ms: Option<crate::time::UnixMs>,
    /// Sat on the learner's own machine and brought in a progress bundle.
    pub unsupervised: bool,
}

/// A learner's results at an exam.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LearnerResult {
    pub learner: String,
    pub attempts: Vec<AttemptResult>,
    /// The grade by the exam's method, in percent, over closed supervised attempts (and unsupervised ones when
    /// counted); `None` without any.
    pub grade: Option<f64>,
    pub grading: String,
    pub passed: Option<bool>,
}

/// Every learner's results at an exam, by name; grades and pass/fail from supervised attempts only.
pub fn results(store: &Store, exam: &Exam) -> Result<Vec<LearnerResult>> {
    results_counting(store, exam, false)
}

/// Every learner's results at an exam, by name; grades and pass/fail count unsupervised attempts (brought in
/// bundles) only when `unsupervised`, all attempts then taken in the order they started.
pub fn results_counting(
    store: &Store,
    exam: &Exam,
    unsupervised: bool,
) -> Result<Vec<LearnerResult>> {
    results_read(&mut &store.conn, exam, unsupervised)
}

/// [`results_counting`] on whichever store answers the reports' reads (SQLite or the class server's PostgreSQL).
pub fn results_read(
    reads: &mut dyn ReportReads,
    exam: &Exam,
    unsupervised: bool,
) -> Result<Vec<LearnerResult>> {
    let mut out: Vec<LearnerResult> = Vec::new();
    for (name, a) in reads.exam_attempts(&exam.id)? {
        if out.last().is_none_or(|l| l.learner != name) {
            out.push(LearnerResult {
                learner: name.clone(),
                attempts: Vec::new(),
                grade: None,
                grading: exam.grading.as_str().to_string(),
                passed: None,
            });
        }
        let percent = match (a.score, a.max_score) {
            (Some(s), Some(m)) if a.closed_at.is_some() && m > 0.0 => Some(s / m * 100.0),
            _ => None,
        };
        if let Some(l) = out.last_mut() {
            let number = l
                .attempts
                .iter()
                .filter(|x| x.unsupervised == a.unsupervised)
                .count() as u32
                + 1;
            l.attempts.push(AttemptResult {
                number,
                score: a.score,
                max_score: a.max_score,
                percent,
                open: a.closed_at.is_none(),
                started_at_ms: a.started_at,
                closed_at_ms: a.closed_at,
                unsupervised: a.unsupervised,
            });
        }
    }
    for l in &mut out {
        let mut counted: Vec<&AttemptResult> = l
            .attempts
            .iter()
            .filter(|a| unsupervised || !a.unsupervised)
            .collect();
        counted.sort_by_key(|a| a.started_at_ms);
        let shares: Vec<f64> = counted
            .iter()
            .filter_map(|a| a.percent.map(|p| p / 100.0))
            .collect();
        let grade = exam.grading.combine(&shares);
        l.grade = grade.map(|g| g * 100.0);
        l.passed = grade.map(|g| exam.passes(g));
    }
    Ok(out)
}

/// What item analysis reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ItemSource<'a> {
    /// The closed supervised attempts at an exam; each attempt is a respondent and its score the total.
    Exam(&'a str),
    /// As `Exam`, with the attempts brought in progress bundles (unsupervised) too.
    ExamWithUnsupervised(&'a str),
    /// Each learner's first study answer to each card of a deck (right 1, wrong 0); each learner is a respondent
    /// and the share of their first answers that were right is the total.
    Deck(&'a str),
}

/// Item analysis of an exam's attempts or a deck's first study answers: see [`crate::exam::analysis`].
pub fn item_report(
    store: &Store,
    source: ItemSource<'_>,
) -> Result<Vec<crate::exam::analysis::ItemStats>> {
    item_report_read(&mut &store.conn, source)
}

/// [`item_report`] on whichever store answers the reports' reads (SQLite or the class server's PostgreSQL).
pub fn item_report_read(
    reads: &mut dyn ReportReads,
    source: ItemSource<'_>,
) -> Result<Vec<crate::exam::analysis::ItemStats>> {
    use crate::exam::analysis::{Item, Response, analyse};
    let (responses, mean_totals) = match source {
        ItemSource::Exam(id) => (reads.exam_responses(id, false)?, false),
        ItemSource::ExamWithUnsupervised(id) => (reads.exam_responses(id, true)?, false),
        ItemSource::Deck(id) => (reads.deck_first_responses(id)?, true),
    };
    let mut sums: HashMap<i64, (f64, u32)> = HashMap::new();
    for r in &responses {
        let e = sums.entry(r.respondent).or_default();
        e.0 += r.credit;
        e.1 += 1;
    }
    let totals: HashMap<i64, f64> = sums
        .into_iter()
        .map(|(k, (sum, n))| {
            (
                k,
                if mean_totals {
                    sum / f64::from(n.max(1))
                } else {
                    sum
                },
            )
        })
        .collect();
    let mut order: Vec<i64> = Vec::new();
    let mut by_card: HashMap<i64, Vec<Response>> = HashMap::new();
    for r in responses {
        let picked = serde_json::from_str::<serde_json::Value>(&r.response)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string));
        by_card
            .entry(r.card_id)
            .or_insert_with(|| {
                order.push(r.card_id);
                Vec::new()
            })
            .push(Response {
                respondent: r.respondent,
                credit: r.credit,
                picked,
            });
    }
    order.sort_unstable();
    let mut items = Vec::new();
    for id in order {
        let Some(card) = reads.card(id)? else {
            continue;
        };
        let (choices, answer) = match &card.card.body {
            Body::Choice { choices, answer } => (choices.clone(), Some(answer.clone())),
            _ => (Vec::new(), None),
        };
        let label = if card.sibling == 0 {
            card.note_key()
        } else {
            format!("{}#{}", card.note_key(), card.sibling)
        };
        let prompt = match (&card.card.body, card.sibling) {
            (Body::Cloze { .. }, s) => cloze_question(&card.card.prompt, s),
            _ => card.card.prompt.clone(),
        };
        items.push(Item {
            card_id: id,
            label,
            kind: card.card.body.kind().into(),
            prompt,
            choices,
            answer,
            responses: by_card.remove(&id).unwrap_or_default(),
        });
    }
    Ok(analyse(&items, &totals))
}

/// The row an exam definition is stored as.
pub fn exam_row(exam: &Exam, now: i64) -> Result<store::ExamRow> {
    Ok(store::ExamRow {
        id: exam.id.clone(),
        title: exam.title.clone(),
        definition: serde_json::to_string(exam)
            .map_err(|e| Error::InvalidData(format!("exam {}: {e}", exam.id)))?,
        content_hash: exam.content_hash(),
        questions: exam.questions,
        time_limit: exam.time_limit.map(|m| i64::from(m) * 60),
        attempts: exam.attempts,
        grading: exam.grading.as_str().into(),
        pass_mark: Some(exam.pass_mark / 100.0),
        loaded_at: now,
    })
}
