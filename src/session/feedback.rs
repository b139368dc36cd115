//! Describing an answer to the learner: turning a verdict and the card's new schedule into the [`Feedback`] the
//! terminal shows, with the item-by-item [`Detail`], the source citation and when the card comes back.

use super::ask::{Answered, expected};
use super::{Detail, Feedback, Pairing, Session, Tick};
use crate::deck::{Body, DeckSource};
use crate::error::Result;
use crate::grade::Rule;
use crate::schedule::{Calendar, Outcome};
use crate::store::{self, StoredCard};
use std::collections::HashMap;

impl Session<'_> {
    /// The feedback after an answer (or its override), with the card's new schedule.
    pub(super) fn feedback(
        &self,
        card: &StoredCard,
        a: &Answered,
        outcome: &Outcome,
    ) -> Result<Feedback> {
        let c = &card.card;
        let expected = expected(card);
        let next_due = (!self.opts.cram)
            .then(|| when(outcome.state.due, outcome.state.last_review, &self.cal));
        Ok(Feedback {
            correct: a.verdict.correct,
            rule: a.verdict.rule,
            given: a.given.clone(),
            expected,
            near: a.verdict.near.clone().map(|n| (a.given.clone(), n)),
            why: a.verdict.why.clone(),
            detail: detail(card, &a.response),
            explain: c.explain.clone(),
            citation: self.citation(card),
            next_due,
            leech: outcome.became_leech,
            can_override: !a.verdict.correct && a.verdict.rule == Rule::Wrong,
            flagged: store::is_flagged(&self.store.conn, self.learner.id, card.id)?,
        })
    }

    /// "Sherr, Chatham House 2010, para. 3", from the deck's source and the card's locators; several locators in
    /// one reading are listed once ("Sherr, paras. 2, 6 and 1").
    fn citation(&self, card: &StoredCard) -> Option<String> {
        let mut readings: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
        for s in &card.card.source {
            let deck = s.deck.as_deref().unwrap_or(&card.deck_id);
            let name = self
                .sources
                .get(deck)
                .and_then(|(_, src)| src.as_ref().map(DeckSource::citation))
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| deck.to_string());
            let at = match readings.iter().position(|(n, _, _)| *n == name) {
                Some(at) => at,
                None => {
                    readings.push((name, Vec::new(), Vec::new()));
                    readings.len() - 1
                }
            };
            if let Some(p) = s.paragraph {
                readings[at].1.push(p.to_string());
            }
            if let Some(l) = &s.locator {
                readings[at].2.push(l.clone());
            }
        }
        let parts: Vec<String> = readings
            .into_iter()
            .map(|(name, paras, locators)| {
                let mut text = name;
                match paras.as_slice() {
                    [] => {}
                    [one] => text.push_str(&format!(", para. {one}")),
                    [init @ .., last] => {
                        text.push_str(&format!(", paras. {} and {last}", init.join(", ")))
                    }
                }
                for l in locators {
                    text.push_str(&format!(", {l}"));
                }
                text
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// What was right and wrong item by item, from a card and the response stored for it.
pub fn detail(card: &StoredCard, response: &serde_json::Value) -> Detail {
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    match &card.card.body {
        Body::Choice { .. } => Detail::Choice {
            picked: response.as_str().unwrap_or_default().to_string(),
        },
        Body::Multi { choices, answers } => {
            let ticked = strings(response);
            Detail::Multi(
                choices
                    .iter()
                    .map(|c| Tick {
                        choice: c.clone(),
                        ticked: ticked.contains(c),
                        right: answers.contains(c),
                    })
                    .collect(),
            )
        }
        Body::Order { items } => Detail::Order {
            given: strings(response),
            right: items.clone(),
        },
        Body::Match { pairs } => {
            let chosen: HashMap<String, String> = response
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| {
                            let pair = strings(p);
                            Some((pair.first()?.clone(), pair.get(1)?.clone()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Detail::Match(
                pairs
                    .iter()
                    .map(|(l, r)| Pairing {
                        left: l.clone(),
                        picked: chosen.get(l).cloned().unwrap_or_default(),
                        right: r.clone(),
                    })
                    .collect(),
            )
        }
        _ => Detail::Plain,
    }
}

/// When a card is due, in words, relative to when it was answered.
pub fn when(due: i64, now: i64, cal: &Calendar) -> String {
    let secs = due - now;
    if secs < 3600 {
        let m = (secs + 59) / 60;
        return format!("in {m} minute{}", if m == 1 { "" } else { "s" });
    }
    let days = cal.day_of(due).days_since(cal.day_of(now));
    match days {
        0 => format!("in {} hours", (secs + 1800) / 3600),
        1 => "tomorrow".into(),
        d => {
            let date = chrono::DateTime::from_timestamp(due, 0)
                .map(|d| {
                    d.with_timezone(&chrono::Local)
                        .format("%a %-d %b %Y")
                        .to_string()
                })
                .unwrap_or_default();
            format!("in {d} days ({date})")
        }
    }
}
