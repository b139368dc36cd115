//! `detente due`: what is due now and later today, per deck, for the current learner. Every count is
//! [`store::counts`]'s, the ones `study`, `stats` and the session summary show.

use super::{Context, calendar, current_learner, now, open_with_decks, print, print_json};
use crate::error::Result;
use crate::store::{self, Filter, counts};
use crate::ui::layout::{Cell, TABLE_WIDTH, Table};
use serde::Serialize;

#[derive(Serialize)]
struct Due {
    learner: String,
    /// Learning steps and reviews due now (reviews within the daily limit).
    due_now: u32,
    /// Also due before the day ends.
    later_today: u32,
    /// New cards left for today: what a session started now would introduce.
    new_today: u32,
    /// New cards that wait for the readings they draw on.
    new_waiting: u32,
    decks: Vec<store::DueCounts>,
    /// Exams ahead whose dates pace the new cards they cover, soonest first.
    exams: Vec<store::exam_dates::ExamStatus>,
}

pub fn run(ctx: &Context) -> Result<i32> {
    let mut store = open_with_decks(ctx)?;
    let learner = current_learner(ctx, &mut store)?;
    let cal = calendar(&learner);
    let now = now();
    let (queue, decks) = counts::queue(&store.conn, &learner, &Filter::default(), &cal, now)?;
    let exams = store::exam_dates::upcoming(&store.conn, learner.id, None)?;
    let statuses = store::exam_dates::statuses(&store.conn, learner.id, &exams, &cal, now)?;
    let extra = store::exam_dates::extra_today(
        &store.conn,
        &learner,
        &Filter::default(),
        &exams,
        &statuses,
        &cal,
        now,
    )?;
    let due = Due {
        learner: learner.name.clone(),
        due_now: queue.due_now,
        later_today: queue.later_today,
        new_today: queue.new_left + extra,
        new_waiting: queue.new_waiting,
        decks,
        exams: statuses,
    };
    if ctx.json {
        print_json(&due)?;
        return Ok(0);
    }
    print(&crate::ui::layout::fill(
        &format!(
            "{}: {} due now, {} more later today, {} new card(s) left for today.",
            crate::text::clean(&due.learner),
            due.due_now,
            due.later_today,
            due.new_today
        ),
        TABLE_WIDTH,
        "",
        "",
    ))?;
    for e in &due.exams {
        print(&crate::ui::layout::fill(
            &format!("{} ({}): {}", e.title(), e.date, e.line),
            TABLE_WIDTH,
            "",
            "",
        ))?;
    }
    let mut table = Table::new(&[
        ("DECK", Cell::Text),
        ("LEARNING", Cell::Number),
        ("REVIEWS", Cell::Number),
        ("LATER TODAY", Cell::Number),
        ("NEW", Cell::Number),
        ("WAITING", Cell::Number),
    ]);
    for d in &due.decks {
        table.row(vec![
            d.deck.clone(),
            d.learning_now.to_string(),
            d.reviews_now.to_string(),
            d.later_today.to_string(),
            d.new_available.to_string(),
            d.new_waiting.to_string(),
        ]);
    }
    print(&table.render(TABLE_WIDTH).join("\n"))?;
    if due.new_waiting > 0 {
        print(&crate::ui::layout::fill(
            "NEW: new cards in the deck. WAITING: new cards that cross readings, which come once you have \
             studied cards of each reading they draw on.",
            TABLE_WIDTH,
            "",
            "",
        ))?;
    }
    Ok(0)
}
