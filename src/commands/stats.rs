//! `detente stats`: the current learner's progress (today's queue, card counts, true retention, the due forecast,
//! the study heatmap, streak, time spent, leeches, mastery per deck and theme), or with `--class` one row per
//! learner. The data gathering here is shared with `detente report`.

use super::{
    Context, calendar, current_learner, now, open_with_decks, print, print_json, print_styled,
};
use crate::cli::{StatsArgs, StatsBy};
use crate::error::{Error, Result};
use crate::schedule::Scheduler;
use crate::stats::{self, Class, GroupBy, Stats};
use crate::store::{self, Filter, Learner, Store};
use std::collections::BTreeMap;

pub fn run(ctx: &Context, args: &StatsArgs) -> Result<i32> {
    let mut store = open_with_decks(ctx)?;
    let filter = filter(&store, &args.decks, &args.tags)?;
    let now = now();
    if args.class {
        let class = class_stats(&store, &filter, group_by(args.by), now)?;
        if ctx.json {
            print_json(&class)?;
        } else {
            show(ctx, &crate::ui::stats::render_class(&class, ctx.color))?;
        }
        return Ok(0);
    }
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

/// The card filter of `--deck` and `--tag`; an unknown deck is a usage error.
pub(super) fn filter(store: &Store, decks: &[String], tags: &[String]) -> Result<Filter> {
    let known = store::deck_titles(&store.conn)?;
    if let Some(d) = decks.iter().find(|d| !known.contains_key(*d)) {
        return Err(Error::Usage(format!(
            "no deck `{d}` is loaded (see `detente decks`)"
        )));
    }
    Ok(Filter {
        decks: decks.to_vec(),
        tags: tags.to_vec(),
    })
}

/// The theme tags of the shared vocabulary, with their labels.
fn themes() -> BTreeMap<String, String> {
    crate::deck::builtin::vocabulary()
        .into_iter()
        .filter(|(k, _)| k.starts_with("theme:"))
        .collect()
}

/// One learner's statistics over the cards of `filter`.
pub(super) fn learner_stats(
    store: &Store,
    learner: &Learner,
    filter: &Filter,
    now: i64,
) -> Result<Stats> {
    let cards = store::stat_cards(&store.conn, filter)?;
    let states = store::state_map(&store.conn, learner.id)?;
    let cards = stats::with_states(&cards, &states);
    let reviews = store::review_log(&store.conn, learner.id)?;
    let scheduler = Scheduler::new(learner.settings())?;
    let cal = calendar(learner);
    let titles = store::deck_titles(&store.conn)?;
    let themes = themes();
    let (mut queue, _) = store::counts::queue(&store.conn, learner, filter, &cal, now)?;
    // Exams ahead raise today's new cards in their scope to their pace.
    let exams = store::exam_dates::upcoming(&store.conn, learner.id, None)?;
    let statuses = store::exam_dates::statuses(&store.conn, learner.id, &exams, &cal, now)?;
    queue.new_left +=
        store::exam_dates::extra_today(&store.conn, learner, filter, &exams, &statuses, &cal, now)?;
    Ok(stats::compute(&stats::Input {
        cards: &cards,
        reviews: &reviews,
        scheduler: &scheduler,
        calendar: &cal,
        now,
        queue: &queue,
        deck_titles: &titles,
        themes: &themes,
    }))
}

/// Every learner's mastery and activity, one learner at a time.
pub(super) fn class_stats(store: &Store, filter: &Filter, by: GroupBy, now: i64) -> Result<Class> {
    let cards = store::stat_cards(&store.conn, filter)?;
    let ids: std::collections::HashSet<i64> = cards.iter().map(|c| c.id).collect();
    let titles = store::deck_titles(&store.conn)?;
    let themes = themes();
    let mut class = stats::ClassBuilder::new(by);
    for l in store::learners(&store.conn)? {
        let cal = calendar(&l);
        let states = store::state_map(&store.conn, l.id)?;
        let reviews: Vec<_> = store::review_log(&store.conn, l.id)?
            .into_iter()
            .filter(|r| ids.contains(&r.card_id))
            .collect();
        let active = cards.iter().filter(|c| !c.retired).map(|c| {
            (
                c.deck_id.as_str(),
                c.tags.as_slice(),
                states.get(&c.id).copied(),
            )
        });
        class.add_row(
            &l.name,
            active,
            &reviews,
            (&Scheduler::new(l.settings())?, &cal),
            now,
            (&titles, &themes),
        );
    }
    Ok(class.finish())
}

/// Prints a stats screen: in colour as laid out (the layout cleans names and titles), without colour cleaned whole.
fn show(ctx: &Context, text: &str) -> Result<()> {
    if ctx.color {
        print_styled(text)
    } else {
        print(text)
    }
}
