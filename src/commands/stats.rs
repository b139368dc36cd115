//! `detente stats`: the current learner's progress (today's queue, card counts, true retention, the due forecast,
//! the study heatmap, streak, time spent, leeches, mastery per deck and theme), or with `--class` one row per
//! learner (`server::ops::class`, on the local database or the class server). The data gathering here is shared
//! with `detente report`.

use super::{
    Context, calendar, current_learner, now, open_with_decks, print, print_json, print_styled,
    remote,
};
use crate::cli::{StatsArgs, StatsBy};
use crate::error::Result;
use crate::schedule::Scheduler;
use crate::server::api::ClassRequest;
use crate::server::client::Server;
use crate::server::ops;
use crate::stats::{self, Class, GroupBy, Stats};
use crate::store::{self, Filter, Learner, Store};

/// `detente stats`: the current learner's, on the local database; with `--class`, on the local database or the
/// class server.
pub fn run(ctx: &Context, server: Option<&Server>, args: &StatsArgs) -> Result<i32> {
    let now = now();
    if args.class {
        let req = ClassRequest {
            decks: args.decks.clone(),
            tags: args.tags.clone(),
            by: group_by(args.by),
            learner: None,
        };
        let class: Class = match server {
            Some(server) => remote::call(server, "class", &req)?,
            None => {
                // Every read of the class view is a scan in one index's order (states by learner, the review
                // log, the cards' deck-order index): SQLite's default page cache serves it, and a larger one would
                // only grow the command's memory with the class.
                let store = open_with_decks(ctx)?;
                ops::class(&store, &req, now)?
            }
        };
        if ctx.json {
            print_json(&class)?;
        } else {
            show(ctx, &crate::ui::stats::render_class(&class, ctx.color))?;
        }
        return Ok(0);
    }
    let mut store = open_with_decks(ctx)?;
    let filter = ops::filter(&store, &args.decks, &args.tags)?;
    let learner = current_learner(ctx, &mut store)?;
    let stats = learner_stats(&store, &learner, &filter, now)?;
    let exams = exam_statuses(&store, &learner, now)?;
    if ctx.json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            learner: &'a str,
            #[serde(flatten)]
            stats: &'a Stats,
            exams: &'a [store::exam_dates::ExamStatus],
        }
        print_json(&Out {
            learner: &learner.name,
            stats: &stats,
            exams: &exams,
        })?;
    } else {
        show(
            ctx,
            &crate::ui::stats::render(&learner.name, &stats, ctx.color),
        )?;
        for e in &exams {
            print(&format!("{} ({}): {}", e.title(), e.date, e.line))?;
        }
    }
    Ok(0)
}

/// The exams ahead that pace this learner's new cards: "exam in 12 days: 143 new cards to go, 12 a day".
fn exam_statuses(
    store: &Store,
    learner: &Learner,
    now: i64,
) -> Result<Vec<store::exam_dates::ExamStatus>> {
    let exams = store::exam_dates::upcoming(&store.conn, learner.id, None)?;
    store::exam_dates::statuses(&store.conn, learner.id, &exams, &calendar(learner), now)
}

pub(super) fn group_by(by: StatsBy) -> GroupBy {
    match by {
        StatsBy::Deck => GroupBy::Deck,
        StatsBy::Theme => GroupBy::Theme,
    }
}

/// One learner's statistics over the cards of `filter`.
pub(super) fn learner_stats(
    store: &Store,
    learner: &Learner,
    filter: &Filter,
    now: i64,
) -> Result<Stats> {
    let cards = store::stat_cards(&store.conn, filter)?;
    let cards = stats::with_states(cards, store::states(&store.conn, learner.id)?);
    let reviews = store::review_log(&store.conn, learner.id)?;
    let scheduler = Scheduler::new(learner.settings())?;
    let cal = calendar(learner);
    let titles = store::deck_titles(&store.conn)?;
    let themes = ops::themes();
    let (mut queue, _) = store::counts::queue(&store.conn, learner, filter, &cal, now)?;
    // Exams ahead raise today's new cards in their scope to their pace.
    let exams = store::exam_dates::upcoming(&store.conn, learner.id, None)?;
    let statuses = store::exam_dates::statuses(&store.conn, learner.id, &exams, &cal, now)?;
    queue.new_left +=
        store::exam_dates::extra_today(&store.conn, learner, filter, &exams, &statuses, &cal, now)?;
    let mut stats = stats::compute(&stats::Input {
        cards: &cards,
        reviews: &reviews,
        scheduler: &scheduler,
        calendar: &cal,
        now,
        queue: &queue,
        deck_titles: &titles,
        themes: &themes,
    });
    // Only the cards listed show their prompts: those are read now, not every card's body.
    let shown: Vec<i64> = stats
        .leeches
        .iter()
        .chain(&stats.most_failed)
        .map(|t| t.card_id)
        .collect();
    let prompts = store::card_prompts(&store.conn, &shown)?;
    for t in stats.leeches.iter_mut().chain(stats.most_failed.iter_mut()) {
        if let Some(p) = prompts.get(&t.card_id) {
            t.prompt.clone_from(p);
        }
    }
    Ok(stats)
}

/// Prints a stats screen: in colour as laid out (the layout cleans names and titles), without colour cleaned whole.
fn show(ctx: &Context, text: &str) -> Result<()> {
    if ctx.color {
        print_styled(text)
    } else {
        print(text)
    }
}
