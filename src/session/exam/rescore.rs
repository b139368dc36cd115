//! Judging an exam attempt that arrived in a progress bundle by the teacher's copy: its answers re-checked with the
//! checker a sitting uses (the deck's [`Lexicon`], [`crate::grade::credit()`]) against this database's exam
//! definition and cards, never taken at the bundle's word. The score, the maximum (the definition's questions),
//! the deadline (the definition's time limit from the attempt's start) and the number of attempts allowed are the
//! definition's; the bundle's own score, maximum, deadline and numbers are ignored.
//!
//! An answer counts as a sitting would have let it: at a position of the paper (below the definition's number of
//! questions, the first answer at each), to a card the exam draws from (its decks and tags, flashcards only when
//! it scores them, one sibling per card, each card once), given after the start and by the deadline. Any other
//! answer is not stored and earns nothing.

use super::filter;
use crate::bundle::BundleAttempt;
use crate::deck::Body;
use crate::error::Result;
use crate::exam::Exam;
use crate::grade::{self, Lexicon};
use crate::store::{Attempt, AttemptAnswer, ImportDb, StoredCard};
use crate::time::UnixMs;
use std::collections::{HashMap, HashSet};

/// An attempt from a bundle as this database judges it.
#[derive(Debug, Clone, PartialEq)]
pub enum Rescore {
    /// Closed and scored: the attempt (learner and number are the merge's to set) and the answers that count.
    Closed {
        attempt: Attempt,
        answers: Vec<AttemptAnswer>,
        /// Answers of the bundle that did not count.
        not_counted: usize,
    },
    /// Still open on the learner's machine and within its time: left for a later bundle.
    StillOpen,
}

/// Whether a stored response to a card is right, by the rules a sitting applies when it is given (see
/// `session::ask`): the same comparisons and the same deck checker.
pub fn judge(card: &StoredCard, response: &serde_json::Value, lexicon: &Lexicon) -> bool {
    fn parse<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Option<T> {
        serde_json::from_value(v.clone()).ok()
    }
    let c = &card.card;
    let typed = response.as_str().unwrap_or_default();
    match &c.body {
        // A self-graded flashcard: the learner's rating, Again (1) being wrong.
        Body::Flashcard { .. } => response.as_i64().is_some_and(|r| (2..=4).contains(&r)),
        Body::Choice { answer, .. } => response.as_str() == Some(answer.as_str()),
        Body::Multi { answers, .. } => parse::<Vec<String>>(response).is_some_and(|picked| {
            picked.len() == answers.len() && answers.iter().all(|a| picked.contains(a))
        }),
        Body::Truefalse { answer } => response.as_bool() == Some(*answer),
        Body::Text { answers, reject } => {
            lexicon
                .check_asked(typed, &c.prompt, answers, reject)
                .correct
        }
        Body::Cloze { reject } => {
            lexicon
                .check_cloze(typed, &c.prompt, card.sibling, reject)
                .correct
        }
        Body::Number { answer, tolerance } => {
            grade::check_number_asked(&c.prompt, typed, *answer, *tolerance).correct
        }
        Body::Order { items } => parse::<Vec<String>>(response).is_some_and(|g| g == *items),
        Body::Match { pairs } => {
            parse::<Vec<(String, String)>>(response).is_some_and(|g| g == *pairs)
        }
    }
}

/// Re-scores an attempt from a bundle, `cards` being the local ids of its answers' cards (in the order of
/// `a.answers`), at `now`. An attempt the bundle left open is closed at the definition's deadline if that has
/// passed, else [`Rescore::StillOpen`]; a closed one closes no later than the deadline.
pub fn rescore(
    db: &mut (impl ImportDb + ?Sized),
    exam: &Exam,
    a: &BundleAttempt,
    cards: &[i64],
    now: UnixMs,
) -> Result<Rescore> {
    let deadline = exam
        .time_limit
        .map(|m| a.started_at.plus_ms(i64::from(m) * 60_000));
    let closed_at = match (a.closed_at, deadline) {
        (Some(c), Some(d)) => c.min(d),
        (Some(c), None) => c,
        (None, Some(d)) if d <= now => d,
        (None, _) => return Ok(Rescore::StillOpen),
    };
    // The items the exam draws from, each with its card (siblings share it).
    let pool: HashMap<i64, String> = db
        .exam_pool(&filter(exam), exam.score_flashcards)?
        .into_iter()
        .collect();
    let mut order: Vec<usize> = (0..a.answers.len()).collect();
    order.sort_by_key(|&i| a.answers[i].position);
    let mut positions = HashSet::new();
    let mut notes = HashSet::new();
    let mut lexicons: HashMap<String, Lexicon> = HashMap::new();
    let mut answers = Vec::new();
    for i in order {
        let (x, card_id) = (&a.answers[i], cards.get(i).copied().unwrap_or(0));
        let Some(note) = pool.get(&card_id) else {
            continue;
        };
        // As in a sitting: an answer counts if given before the deadline (strictly), and not after the close.
        let in_time = x.answered_at >= a.started_at
            && x.answered_at <= closed_at
            && deadline.is_none_or(|d| x.answered_at < d);
        if !(0..i64::from(exam.questions)).contains(&x.position)
            || !in_time
            || !positions.insert(x.position)
            || !notes.insert(note.clone())
        {
            continue;
        }
        let Some(card) = db.card(card_id)? else {
            continue;
        };
        if !lexicons.contains_key(&card.deck_id) {
            let (aliases, known, words) = db.deck_answers(&card.deck_id)?;
            lexicons.insert(
                card.deck_id.clone(),
                Lexicon::with_known(&aliases, known).with_vocabulary(words),
            );
        }
        let empty = Lexicon::default();
        let lexicon = lexicons.get(&card.deck_id).unwrap_or(&empty);
        let response: serde_json::Value =
            serde_json::from_str(&x.response).unwrap_or(serde_json::Value::Null);
        let correct = judge(&card, &response, lexicon);
        answers.push(AttemptAnswer {
            attempt_id: 0,
            position: x.position as u32,
            card_id,
            response: x.response.clone(),
            credit: grade::credit(&card.card.body, &response, correct),
            correct,
            answered_at: x.answered_at,
            duration_ms: x.duration_ms,
        });
    }
    let score = answers.iter().map(|x| x.credit).fold(0.0, |s, c| s + c);
    let attempt = Attempt {
        id: 0,
        exam_id: exam.id.clone(),
        learner_id: 0,
        number: 0,
        seed: a.seed as u64,
        paper: answers.iter().map(|x| x.card_id).collect(),
        started_at: a.started_at,
        deadline,
        closed_at: Some(closed_at),
        score: Some(score),
        max_score: Some(f64::from(exam.questions)),
        unsupervised: true,
    };
    Ok(Rescore::Closed {
        attempt,
        not_counted: a.answers.len() - answers.len(),
        answers,
    })
}

/// The definition's limit on attempts, applied to those a learner brings in bundles (counted apart from the
/// supervised ones): `here` already imported and `new` in this bundle may not exceed it. The message names the
/// exam, the limit and the counts.
pub fn admit(exam: &Exam, here: usize, new: usize) -> std::result::Result<(), String> {
    match exam.attempts {
        Some(max) if here + new > max as usize => Err(format!(
            "exam `{}` allows {max} attempt{}; this bundle brings {new} new unsupervised attempt{} and {here} {} already here",
            exam.id,
            if max == 1 { "" } else { "s" },
            if new == 1 { "" } else { "s" },
            if here == 1 { "is" } else { "are" }
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exam::{Grading, Paper};

    fn exam(attempts: Option<u32>) -> Exam {
        Exam {
            id: "mid".into(),
            title: "Midterm".into(),
            decks: vec!["d".into()],
            tags: Vec::new(),
            questions: 2,
            paper: Paper::Same,
            seed: 1,
            time_limit: None,
            attempts,
            grading: Grading::Highest,
            pass_mark: 50.0,
            score_flashcards: false,
            date: None,
            lead_days: None,
            navigation: Default::default(),
            closes: None,
            review: Default::default(),
        }
    }

    #[test]
    fn attempts_beyond_the_definition_s_limit_are_refused() {
        assert!(admit(&exam(Some(2)), 0, 2).is_ok());
        assert!(admit(&exam(Some(2)), 1, 1).is_ok());
        let e = admit(&exam(Some(2)), 1, 2).unwrap_err();
        assert!(e.contains("allows 2 attempts"), "{e}");
        assert!(admit(&exam(None), 40, 40).is_ok());
    }
}
