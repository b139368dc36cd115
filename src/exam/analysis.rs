//! Item analysis, pure statistics: per question, how many answered it, its facility (mean credit, partial credit
//! counted), its discrimination (mean credit of the upper 27% of respondents by total score minus that of the lower
//! 27%), and for `choice` questions how often each option was picked. Questions that look broken (negative
//! discrimination, or a distractor picked more often than the answer) are flagged and listed first, once they have
//! [`MIN_ANSWERS_TO_FLAG`] answers.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// One respondent's answer to one item.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Who answered: an attempt (exams) or a learner (study).
    pub respondent: i64,
    /// Credit earned, 0 to 1.
    pub credit: f64,
    /// For a `choice` item, the option picked.
    pub picked: Option<String>,
}

/// One item (a study item: card and sibling) with what is known of it and its responses.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub card_id: i64,
    /// "deck/card" or "deck/card#sibling".
    pub label: String,
    pub kind: String,
    pub prompt: String,
    /// For `choice`: the options and the right one.
    pub choices: Vec<String>,
    pub answer: Option<String>,
    pub responses: Vec<Response>,
}

/// How often an option of a `choice` item was picked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionCount {
    pub option: String,
    pub correct: bool,
    pub picked: u32,
}

/// The statistics of one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemStats {
    pub card_id: i64,
    pub item: String,
    pub kind: String,
    pub prompt: String,
    pub answered: u32,
    /// Mean credit, 0 to 1.
    pub facility: f64,
    /// Upper-group mean credit minus lower-group mean credit, -1 to 1; `None` with fewer than 2 respondents.
    pub discrimination: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub options: Vec<OptionCount>,
    /// Why the item looks broken; empty when it does not.
    pub flags: Vec<String>,
}

/// The share of respondents in each of the upper and lower groups.
pub const GROUP_SHARE: f64 = 0.27;

/// An item is flagged only with at least this many answers. With fewer, the upper and lower 27% groups hold one or
/// two respondents each, so one answer alone decides the sign of discrimination, and one pick makes a distractor
/// "more popular" than the answer; from 10 the groups hold 3 each. Every item's figures are still shown, with its n.
pub const MIN_ANSWERS_TO_FLAG: u32 = 10;

/// Upper minus lower 27% mean credit, over the respondents of one item ranked by their total score. Ties in the
/// total are broken by respondent id, so the result is reproducible.
pub fn discrimination(responses: &[Response], totals: &HashMap<i64, f64>) -> Option<f64> {
    if responses.len() < 2 {
        return None;
    }
    let mut ranked: Vec<(f64, i64, f64)> = responses
        .iter()
        .map(|r| {
            (
                totals.get(&r.respondent).copied().unwrap_or(0.0),
                r.respondent,
                r.credit,
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let n = ((ranked.len() as f64 * GROUP_SHARE).round() as usize).clamp(1, ranked.len() / 2);
    let mean = |g: &[(f64, i64, f64)]| g.iter().map(|x| x.2).sum::<f64>() / g.len() as f64;
    Some(mean(&ranked[..n]) - mean(&ranked[ranked.len() - n..]))
}

/// The statistics of every item, broken-looking ones first (most negative discrimination first), then the rest in
/// the order given. `totals` is each respondent's total score.
pub fn analyse(items: &[Item], totals: &HashMap<i64, f64>) -> Vec<ItemStats> {
    let mut out: Vec<ItemStats> = items
        .iter()
        .filter(|i| !i.responses.is_empty())
        .map(|item| {
            let answered = item.responses.len() as u32;
            let facility =
                item.responses.iter().map(|r| r.credit).sum::<f64>() / f64::from(answered);
            let discrimination = discrimination(&item.responses, totals);
            let mut flags = Vec::new();
            let enough = answered >= MIN_ANSWERS_TO_FLAG;
            if enough && discrimination.is_some_and(|d| d < 0.0) {
                flags.push(
                    "negative discrimination: weaker students do better than stronger ones".into(),
                );
            }
            let mut options = Vec::new();
            if item.kind == "choice" {
                let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
                for r in &item.responses {
                    if let Some(p) = &r.picked {
                        *counts.entry(p.as_str()).or_default() += 1;
                    }
                }
                options = item
                    .choices
                    .iter()
                    .map(|c| OptionCount {
                        option: c.clone(),
                        correct: item.answer.as_deref() == Some(c.as_str()),
                        picked: counts.get(c.as_str()).copied().unwrap_or(0),
                    })
                    .collect();
                let right = options
                    .iter()
                    .filter(|o| o.correct)
                    .map(|o| o.picked)
                    .max()
                    .unwrap_or(0);
                for o in options
                    .iter()
                    .filter(|o| enough && !o.correct && o.picked > right)
                {
                    flags.push(format!(
                        "distractor \"{}\" picked more often ({}) than the answer ({right})",
                        o.option, o.picked
                    ));
                }
            }
            ItemStats {
                card_id: item.card_id,
                item: item.label.clone(),
                kind: item.kind.clone(),
                prompt: item.prompt.clone(),
                answered,
                facility,
                discrimination,
                options,
                flags,
            }
        })
        .collect();
    // A stable sort: flagged first, the worst discrimination first among them.
    out.sort_by(|a, b| {
        a.flags.is_empty().cmp(&b.flags.is_empty()).then_with(|| {
            if a.flags.is_empty() {
                std::cmp::Ordering::Equal
            } else {
                let d = |s: &ItemStats| s.discrimination.unwrap_or(0.0);
                d(a).total_cmp(&d(b))
            }
        })
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(respondent: i64, credit: f64, picked: Option<&str>) -> Response {
        Response {
            respondent,
            credit,
            picked: picked.map(str::to_string),
        }
    }

    #[test]
    fn a_question_weak_students_get_right_is_flagged_first() {
        // Ten respondents with totals 1..=10.
        let totals: HashMap<i64, f64> = (1..=10).map(|i| (i, i as f64)).collect();
        let good = Item {
            card_id: 1,
            label: "d/good".into(),
            kind: "text".into(),
            prompt: "good".into(),
            choices: vec![],
            answer: None,
            responses: (1..=10)
                .map(|i| r(i, if i > 5 { 1.0 } else { 0.0 }, None))
                .collect(),
        };
        let bad = Item {
            card_id: 2,
            label: "d/bad".into(),
            kind: "choice".into(),
            prompt: "bad".into(),
            choices: vec!["A".into(), "B".into(), "C".into()],
            answer: Some("A".into()),
            responses: (1..=10)
                .map(|i| {
                    if i <= 3 {
                        r(i, 1.0, Some("A"))
                    } else {
                        r(i, 0.0, Some("B"))
                    }
                })
                .collect(),
        };
        let stats = analyse(&[good, bad], &totals);
        assert_eq!(stats[0].item, "d/bad");
        // 27% of 10 is 3: upper {10, 9, 8} got it wrong, lower {1, 2, 3} right.
        assert_eq!(stats[0].discrimination, Some(-1.0));
        assert!((stats[0].facility - 0.3).abs() < 1e-9);
        assert_eq!(stats[0].flags.len(), 2, "{:?}", stats[0].flags);
        assert_eq!(
            stats[0]
                .options
                .iter()
                .map(|o| o.picked)
                .collect::<Vec<_>>(),
            [3, 7, 0]
        );
        assert_eq!(stats[1].item, "d/good");
        assert_eq!(stats[1].discrimination, Some(1.0));
        assert!(stats[1].flags.is_empty());
        assert!((stats[1].facility - 0.5).abs() < 1e-9);
    }

    /// Attack: the same broken-looking answers from 9 respondents (one short of the minimum) are shown, with
    /// their n, but not flagged; from 10 they are.
    #[test]
    fn an_item_is_flagged_only_with_enough_answers() {
        let item = |n: i64| Item {
            card_id: 1,
            label: "d/x".into(),
            kind: "choice".into(),
            prompt: "x".into(),
            choices: vec!["A".into(), "B".into()],
            answer: Some("A".into()),
            responses: (1..=n)
                .map(|i| {
                    if i <= 2 {
                        r(i, 1.0, Some("A"))
                    } else {
                        r(i, 0.0, Some("B"))
                    }
                })
                .collect(),
        };
        let totals: HashMap<i64, f64> = (1..=10).map(|i| (i, i as f64)).collect();
        let few = analyse(&[item(9)], &totals);
        assert_eq!(few[0].answered, 9);
        assert!(few[0].discrimination.is_some_and(|d| d < 0.0));
        assert!(few[0].flags.is_empty(), "{:?}", few[0].flags);
        let enough = analyse(&[item(i64::from(MIN_ANSWERS_TO_FLAG))], &totals);
        assert_eq!(enough[0].flags.len(), 2, "{:?}", enough[0].flags);
    }

    #[test]
    fn one_respondent_has_no_discrimination() {
        assert_eq!(discrimination(&[r(1, 1.0, None)], &HashMap::new()), None);
    }
}
