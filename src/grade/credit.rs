//! Exam credit: how much of one point an answer earns. Most kinds are all-or-nothing; `multi`, `order` and `match`
//! earn partial credit. Pure functions of the card and the stored response (the JSON written to
//! `attempt_answers.response`, the same shape as `reviews.response`).

use crate::deck::Body;

/// Credit for `multi`: (right ticks - wrong ticks) / number of right answers, never below 0.
pub fn multi(answers: &[String], ticked: &[String]) -> f64 {
    if answers.is_empty() {
        return 0.0;
    }
    let right = ticked.iter().filter(|t| answers.contains(t)).count() as f64;
    let wrong = ticked.iter().filter(|t| !answers.contains(t)).count() as f64;
    ((right - wrong) / answers.len() as f64).clamp(0.0, 1.0)
}

/// Credit for `order`: the share of items in their correct position.
pub fn order(items: &[String], given: &[String]) -> f64 {
    if items.is_empty() {
        return 0.0;
    }
    let placed = items
        .iter()
        .zip(given)
        .filter(|(want, got)| want == got)
        .count();
    placed as f64 / items.len() as f64
}

/// Credit for `match`: the share of pairs matched right.
pub fn matching(pairs: &[(String, String)], given: &[(String, String)]) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    let right = pairs.iter().filter(|p| given.contains(p)).count();
    right as f64 / pairs.len() as f64
}

/// The credit, 0 to 1, that a response to a card earns in an exam. `correct` is the all-or-nothing verdict (for a
/// flashcard: the learner graded themself right); it decides every kind without partial credit. A response that
/// does not parse earns nothing.
pub fn credit(body: &Body, response: &serde_json::Value, correct: bool) -> f64 {
    fn parse<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Option<T> {
        serde_json::from_value(v.clone()).ok()
    }
    match body {
        Body::Multi { answers, .. } => {
            parse::<Vec<String>>(response).map_or(0.0, |t| multi(answers, &t))
        }
        Body::Order { items } => parse::<Vec<String>>(response).map_or(0.0, |g| order(items, &g)),
        Body::Match { pairs } => {
            parse::<Vec<(String, String)>>(response).map_or(0.0, |g| matching(pairs, &g))
        }
        _ => {
            if correct {
                1.0
            } else {
                0.0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn credit_by_kind() {
        let multi_card = Body::Multi {
            choices: s(&["a", "b", "c", "d", "e"]),
            answers: s(&["a", "b", "c"]),
        };
        let order_card = Body::Order {
            items: s(&["1", "2", "3", "4"]),
        };
        let pairs = vec![
            ("x".to_string(), "1".to_string()),
            ("y".to_string(), "2".to_string()),
            ("z".to_string(), "3".to_string()),
            ("w".to_string(), "4".to_string()),
        ];
        let match_card = Body::Match { pairs };
        let choice = Body::Choice {
            choices: s(&["a", "b"]),
            answer: "a".into(),
        };
        let flash = Body::Flashcard {
            answer: "x".into(),
            reverse: false,
        };
        let number = Body::Number {
            answer: 2008.0,
            tolerance: 0.0,
        };
        let table: Vec<(&str, &Body, serde_json::Value, bool, f64)> = vec![
            (
                "multi all right",
                &multi_card,
                json!(["a", "b", "c"]),
                true,
                1.0,
            ),
            (
                "multi two of three",
                &multi_card,
                json!(["a", "b"]),
                false,
                2.0 / 3.0,
            ),
            (
                "multi two right one wrong",
                &multi_card,
                json!(["a", "b", "d"]),
                false,
                1.0 / 3.0,
            ),
            (
                "multi one right two wrong",
                &multi_card,
                json!(["a", "d", "e"]),
                false,
                0.0,
            ),
            (
                "multi everything ticked",
                &multi_card,
                json!(["a", "b", "c", "d", "e"]),
                false,
                1.0 / 3.0,
            ),
            ("multi nothing ticked", &multi_card, json!([]), false, 0.0),
            ("multi garbage", &multi_card, json!(7), false, 0.0),
            (
                "order right",
                &order_card,
                json!(["1", "2", "3", "4"]),
                true,
                1.0,
            ),
            (
                "order two swapped",
                &order_card,
                json!(["2", "1", "3", "4"]),
                false,
                0.5,
            ),
            (
                "order reversed",
                &order_card,
                json!(["4", "3", "2", "1"]),
                false,
                0.0,
            ),
            (
                "order rotated",
                &order_card,
                json!(["2", "3", "4", "1"]),
                false,
                0.0,
            ),
            (
                "match right",
                &match_card,
                json!([["x", "1"], ["y", "2"], ["z", "3"], ["w", "4"]]),
                true,
                1.0,
            ),
            (
                "match one swap",
                &match_card,
                json!([["x", "2"], ["y", "1"], ["z", "3"], ["w", "4"]]),
                false,
                0.5,
            ),
            (
                "match three wrong",
                &match_card,
                json!([["x", "2"], ["y", "3"], ["z", "1"], ["w", "4"]]),
                false,
                0.25,
            ),
            ("choice right", &choice, json!("a"), true, 1.0),
            ("choice wrong", &choice, json!("b"), false, 0.0),
            ("flashcard graded good", &flash, json!(3), true, 1.0),
            ("flashcard graded again", &flash, json!(1), false, 0.0),
            ("number wrong", &number, json!("2007"), false, 0.0),
        ];
        for (name, body, response, correct, want) in table {
            let got = credit(body, &response, correct);
            assert!((got - want).abs() < 1e-9, "{name}: got {got}, want {want}");
        }
    }
}
