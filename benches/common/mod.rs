//! The database the benches share: decks of text cards, learners, and for each learner a share of the cards studied
//! (one card state and one logged review each), built with plain SQL so that a million states take seconds.
//! `latency` and `scale` use it; each bench uses only some of it. Also how a bench measures a command it runs.
#![allow(dead_code)]

use detente::deck::{Body, Card, Deck};
use detente::store::{self, Store, import_deck};

/// The shape of a bench database.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub decks: usize,
    pub cards_per_deck: usize,
    pub learners: usize,
    /// Cards each learner has studied (one state and one review each).
    pub studied_per_learner: usize,
}

impl Shape {
    pub fn cards(&self) -> usize {
        self.decks * self.cards_per_deck
    }
}

/// Bench deck `d`: `n` text cards, each tagged with one of 20 themes.
pub fn deck(d: usize, n: usize) -> Deck {
    Deck {
        id: format!("bench-{d:02}"),
        title: format!("Bench deck {d}"),
        description: None,
        tags: Vec::new(),
        source: None,
        aliases: Default::default(),
        new_order: None,
        exam_only: false,
        cards: (0..n)
            .map(|c| Card {
                id: format!("c{c}"),
                prompt: format!("Question {c} of deck {d}: which treaty?"),
                body: Body::Text {
                    answers: vec![format!("Treaty {c}")],
                    reject: Vec::new(),
                },
                explain: Some("Because.".into()),
                source: Vec::new(),
                tags: vec![format!("theme:t{}", c % 20)],
                hint: None,
                allow: Default::default(),
            })
            .collect(),
    }
}

/// The name of learner `l`.
pub fn learner_name(l: usize) -> String {
    format!("learner{l:03}")
}

/// Fills `store`: the decks, the learners, and each learner's studied cards, with due dates spread from a month ago
/// to a year ahead and one review each (a learner's reviews a millisecond apart, as no two real ones coincide).
pub fn build(store: &mut Store, shape: Shape, now: i64) -> detente::Result<()> {
    let tx = store.write()?;
    for d in 0..shape.decks {
        import_deck(&tx, &deck(d, shape.cards_per_deck), false, None, now)?;
    }
    for l in 0..shape.learners {
        store::add_learner(&tx, &learner_name(l), now)?;
    }
    tx.execute_batch(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {studied} - 1)
         INSERT INTO card_states (learner_id, card_id, phase, step, stability, difficulty, due, last_review,
                                  last_day, interval, reps, lapses, leech, deck_id)
         SELECT l.id, c.id, 2, 0, 10.0, 5.0, {now} + ((c.id * 7919 + l.id * 104729) % 400 - 30) * 86400,
                {now} - 86400 * 10, 0, 10, 3, 0, 0, c.deck_id
         FROM learners l JOIN n JOIN cards c ON c.id = 1 + (n.i * 10 + l.id) % {total};
         INSERT INTO reviews (learner_id, card_id, reviewed_at, day, mode, response, correct, rule, rating,
                              duration_ms, phase_before, phase_after, step_after, stability_after,
                              difficulty_after, due_after, interval_days, elapsed_days)
         SELECT learner_id, card_id, last_review * 1000 + card_id, 0, 'study', '\"x\"', 1, 'exact', 3, 4000, 0,
                phase, step, stability, difficulty, due, interval, 0
         FROM card_states;",
        studied = shape.studied_per_learner.min(shape.cards()),
        total = shape.cards()
    ))?;
    tx.commit()?;
    Ok(())
}

/// Gives learner `name` a state of every card, all due before `now` (one in ten in a relearning step, the others
/// review cards), each with one review: every card of the database due at once.
pub fn all_due(store: &mut Store, name: &str, now: i64) -> detente::Result<()> {
    let tx = store.write()?;
    tx.execute_batch(&format!(
        "DELETE FROM reviews WHERE learner_id = (SELECT id FROM learners WHERE name = '{name}');
         DELETE FROM card_states WHERE learner_id = (SELECT id FROM learners WHERE name = '{name}');
         INSERT INTO card_states (learner_id, card_id, phase, step, stability, difficulty, due, last_review,
                                  last_day, interval, reps, lapses, leech, deck_id)
         SELECT l.id, c.id, CASE WHEN c.id % 10 = 0 THEN 3 ELSE 2 END, 0, 10.0, 5.0,
                {now} - 60 - (c.id % 1000) * 60, {now} - 86400 * 10, 0, 10, 3, 0, 0, c.deck_id
         FROM learners l JOIN cards c WHERE l.name = '{name}' AND c.retired_at IS NULL;
         INSERT INTO reviews (learner_id, card_id, reviewed_at, day, mode, response, correct, rule, rating,
                              duration_ms, phase_before, phase_after, step_after, stability_after,
                              difficulty_after, due_after, interval_days, elapsed_days)
         SELECT learner_id, card_id, last_review * 1000 + card_id, 0, 'study', '\"x\"', 1, 'exact', 3, 4000, 0,
                phase, step, stability, difficulty, due, interval, 0
         FROM card_states WHERE learner_id = (SELECT id FROM learners WHERE name = '{name}');"
    ))?;
    tx.commit()?;
    Ok(())
}

/// Takes learner `name` back to nothing studied: every card new to them.
pub fn all_new(store: &mut Store, name: &str) -> detente::Result<()> {
    let tx = store.write()?;
    tx.execute_batch(&format!(
        "DELETE FROM reviews WHERE learner_id = (SELECT id FROM learners WHERE name = '{name}');
         DELETE FROM card_states WHERE learner_id = (SELECT id FROM learners WHERE name = '{name}');"
    ))?;
    tx.commit()?;
    Ok(())
}

/// Runs a command to its end, polling its peak resident memory (VmHWM); returns wall time and peak kB.
pub fn measure(cmd: &mut std::process::Command) -> (std::time::Duration, u64) {
    let start = std::time::Instant::now();
    let mut child = cmd.spawn().expect("spawn detente");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(kb) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "{cmd:?} failed");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    (start.elapsed(), peak)
}
