//! Study latency at scale: 100,000 cards and 100 learners in one database, 10,000 cards studied by each learner
//! (a million card states and a million logged reviews). Real sessions run through a prompter that answers at once,
//! and the bench times the two steps a learner waits for: choosing and showing the next card, and grading and
//! committing an answer. The figures are compared with the target, one millisecond, as ratios.
//!
//! Run with `cargo bench --bench latency` (about a minute, most of it building the database); set
//! `DETENTE_BENCH_KEEP=1` to keep the database afterwards.

// A test or bench may unwrap: a panic is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use detente::schedule::Calendar;
use detente::session::{
    Action, Feedback, Prompter, Question, Reply, Session, StudyOptions, SystemClock,
};
use detente::store::{self, Filter, Store};
use std::time::{Duration, Instant};

const DECKS: usize = 20;
const CARDS_PER_DECK: usize = 5_000;
const LEARNERS: usize = 100;
const STUDIED_PER_LEARNER: usize = 10_000;
const SESSIONS: usize = 5;
const TARGET: Duration = Duration::from_millis(1);

/// Answers every question at once and notes when each prompt came and each answer went.
#[derive(Default)]
struct Timed {
    answered_at: Option<Instant>,
    next_at: Option<Instant>,
    choose: Vec<Duration>,
    commit: Vec<Duration>,
}

impl Timed {
    fn asked(&mut self) {
        if let Some(t) = self.next_at.take() {
            self.choose.push(t.elapsed());
        }
        self.answered_at = Some(Instant::now());
    }
}

impl Prompter for Timed {
    fn choose(&mut self, _: &Question, _: &str, _: &[String]) -> detente::Result<Reply<usize>> {
        self.asked();
        Ok(Reply::Answer(0))
    }
    fn choose_many(&mut self, _: &Question, _: &[String]) -> detente::Result<Reply<Vec<usize>>> {
        self.asked();
        Ok(Reply::Answer(vec![0]))
    }
    fn judge(&mut self, _: &Question) -> detente::Result<Reply<bool>> {
        self.asked();
        Ok(Reply::Answer(true))
    }
    fn type_answer(&mut self, _: &Question) -> detente::Result<Reply<String>> {
        self.asked();
        Ok(Reply::Answer("treaty".into()))
    }
    fn reveal(
        &mut self,
        _: &Question,
        _: &str,
    ) -> detente::Result<Reply<detente::schedule::Rating>> {
        self.asked();
        Ok(Reply::Answer(detente::schedule::Rating::Good))
    }
    fn feedback(&mut self, _: &Feedback) -> detente::Result<Reply<Action>> {
        if let Some(t) = self.answered_at.take() {
            self.commit.push(t.elapsed());
        }
        self.next_at = Some(Instant::now());
        Ok(Reply::Answer(Action::Next))
    }
    fn message(&mut self, _: &str) {}
    fn summary(&mut self, _: &detente::session::Summary) {}
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let (p50, p95, p99) = (
        percentile(&samples, 0.5),
        percentile(&samples, 0.95),
        percentile(&samples, 0.99),
    );
    let max = samples.last().copied().unwrap_or_default();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{what:<34} n={:<5} p50 {:>7.1} µs  p95 {:>7.1} µs  p99 {:>7.1} µs  max {:>7.1} µs  p99/target {:.3}",
        samples.len(),
        us(p50),
        us(p95),
        us(p99),
        us(max),
        p99.as_secs_f64() / TARGET.as_secs_f64()
    );
}

fn main() -> detente::Result<()> {
    let dir = std::env::temp_dir().join(format!("detente-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| detente::Error::io("temp dir", e))?;
    let path = dir.join("bench.db");
    let now = chrono::Utc::now().timestamp();
    let mut store = Store::open(&path)?;
    let started = Instant::now();
    common::build(
        &mut store,
        common::Shape {
            decks: DECKS,
            cards_per_deck: CARDS_PER_DECK,
            learners: LEARNERS,
            studied_per_learner: STUDIED_PER_LEARNER,
        },
        now,
    )?;
    println!(
        "database: {} cards, {LEARNERS} learners, {} card states, {} reviews; built in {:.1} s",
        DECKS * CARDS_PER_DECK,
        LEARNERS * STUDIED_PER_LEARNER,
        LEARNERS * STUDIED_PER_LEARNER,
        started.elapsed().as_secs_f64()
    );

    let clock = SystemClock;
    let mut prompter = Timed::default();
    let mut starts = Vec::new();
    for l in 0..SESSIONS {
        let learner = store::learner_by_name(&store.conn, &format!("learner{:03}", l * 17))?
            .ok_or_else(|| detente::Error::Usage("no learner".into()))?;
        let opts = StudyOptions {
            filter: Filter::default(),
            limit: Some(250),
            minutes: None,
            new: None,
            cram: false,
            seed: l as u64,
            exam_date: None,
        };
        let t = Instant::now();
        let session = Session::start(&mut store, &learner, opts, &clock, Calendar::local(4))?;
        starts.push(t.elapsed());
        prompter.next_at = None;
        session.run(&mut prompter)?;
    }
    println!("target: each step well under {TARGET:?}");
    report("start a session (build the queue)", starts);
    report("choose and show the next card", prompter.choose);
    report("grade and commit an answer", prompter.commit);
    drop(store);
    // DETENTE_BENCH_KEEP=1 keeps the database, to try other commands at this size (`detente --db PATH stats --class`).
    if std::env::var_os("DETENTE_BENCH_KEEP").is_some() {
        println!("database kept at {}", path.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
