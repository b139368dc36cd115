//! `detente due`: what is due now and later today, per deck, for the current learner.

use super::{Context, calendar, current_learner, now, open_with_decks, print, print_json};
use crate::error::Result;
use crate::store;
use serde::Serialize;

#[derive(Serialize)]
struct Due {
    learner: String,
    /// Learning steps and reviews due now.
    due_now: u32,
    /// Also due before the day ends.
    later_today: u32,
    /// New cards left for today (the daily limit, or what remains).
    new_today: u32,
    decks: Vec<store::DueCounts>,
}

pub fn run(ctx: &Context) -> Result<i32> {
    let mut store = open_with_decks(ctx)?;
    let learner = current_learner(ctx, &mut store)?;
    let cal = calendar(&learner);
    let now = now();
    let today = cal.day_of(now);
    let end = cal.start_of(today + 1);
    let decks = store::due_counts(&store.conn, learner.id, now, end)?;
    let done = store::today(&store.conn, learner.id, cal.start_of(today) * 1000)?;
    let available: u32 = decks.iter().map(|d| d.new_available).sum();
    let due = Due {
        learner: learner.name.clone(),
        due_now: decks.iter().map(|d| d.learning_now + d.reviews_now).sum(),
        later_today: decks.iter().map(|d| d.later_today).sum(),
        new_today: learner
            .new_per_day
            .saturating_sub(done.new_done)
            .min(available),
        decks,
    };
    if ctx.json {
        print_json(&due)?;
        return Ok(0);
    }
    print(&format!(
        "{}: {} due now, {} more later today, {} new card(s) left for today.",
        due.learner, due.due_now, due.later_today, due.new_today
    ))?;
    let width = due
        .decks
        .iter()
        .map(|d| d.deck.len())
        .max()
        .unwrap_or(4)
        .max(4);
    print(&format!(
        "{:width$}  {:>8}  {:>7}  {:>11}  {:>5}",
        "DECK", "LEARNING", "REVIEWS", "LATER TODAY", "NEW"
    ))?;
    for d in &due.decks {
        print(&format!(
            "{:width$}  {:>8}  {:>7}  {:>11}  {:>5}",
            d.deck, d.learning_now, d.reviews_now, d.later_today, d.new_available
        ))?;
    }
    Ok(0)
}
