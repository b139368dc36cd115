//! The cost of durable answers: the write a study session makes for every answer (the review appended and the card's
//! new state, in one IMMEDIATE transaction) timed with `synchronous=FULL`, which detente uses so that an answer
//! survives a power cut, against `synchronous=NORMAL`, which it used before (durable against a killed process only).
//! The two are measured in alternating rounds on one database file, so that the machine's noise falls on both.
//!
//! Run with `cargo bench --bench durability` (a few seconds).

// A test or bench may unwrap: a panic is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use detente::deck::parse_deck;
use detente::schedule::{CardState, Phase};
use detente::store::{self, Store};
use std::time::{Duration, Instant};

const ROUNDS: usize = 10;
const COMMITS_PER_ROUND: usize = 100;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(&dir.path().join("d.db")).expect("open");
    let (deck, _) = parse_deck("sample.toml", include_str!("../tests/data/sample.toml"));
    let tx = store.write().expect("tx");
    store::import_deck(&tx, &deck.expect("valid"), false, None, 0).expect("import");
    tx.commit().expect("commit");
    let learner = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
    let cards: Vec<i64> = store
        .conn
        .prepare("SELECT id FROM cards")
        .expect("sql")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("ids");

    let mut times: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let modes = ["FULL", "NORMAL"];
    let mut n = 0i64;
    for _ in 0..ROUNDS {
        for (m, mode) in modes.iter().enumerate() {
            store
                .conn
                .pragma_update(None, "synchronous", mode)
                .expect("pragma");
            for _ in 0..COMMITS_PER_ROUND {
                n += 1;
                let card = cards[n as usize % cards.len()];
                let state = CardState {
                    phase: Phase::Review,
                    step: 0,
                    stability: 10.0,
                    difficulty: 5.0,
                    due: n * 86_400,
                    last_review: n,
                    last_day: detente::time::Day(n),
                    interval: 10,
                    reps: n as u32,
                    lapses: 0,
                    leech: false,
                };
                let review = store::Review {
                    learner_id: learner.id,
                    card_id: card,
                    session_id: None,
                    reviewed_at_ms: detente::time::UnixMs::from_secs(n),
                    day: detente::time::Day(n),
                    mode: "study".into(),
                    response: "\"x\"".into(),
                    correct: true,
                    rule: "exact".into(),
                    rating: detente::schedule::Rating::Good,
                    duration_ms: 1000,
                    before: None,
                    after: state,
                    interval_days: 10,
                    elapsed_days: 0,
                };
                let started = Instant::now();
                let tx = store.write().expect("tx");
                store::insert_review(&tx, &review).expect("review");
                store::put_state(&tx, learner.id, card, Some(&state)).expect("state");
                tx.commit().expect("commit");
                times[m].push(started.elapsed());
            }
        }
    }
    println!(
        "commit of one answer (review + card state), {} commits each, alternating rounds:",
        ROUNDS * COMMITS_PER_ROUND
    );
    let mut p = Vec::new();
    for (m, mode) in modes.iter().enumerate() {
        times[m].sort();
        let (p50, p99) = (percentile(&times[m], 0.5), percentile(&times[m], 0.99));
        println!("  synchronous={mode:<6}  p50 {p50:>10.1?}  p99 {p99:>10.1?}");
        p.push((p50, p99));
    }
    println!(
        "  FULL / NORMAL: p50 x{:.2}, p99 x{:.2}",
        p[0].0.as_secs_f64() / p[1].0.as_secs_f64(),
        p[0].1.as_secs_f64() / p[1].1.as_secs_f64()
    );
}
