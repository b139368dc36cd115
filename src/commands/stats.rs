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
use crate::time::Day;
use std::collections::BTreeMap;

pub fn run(ctx: &Context, args: &StatsArgs) -> Result<i32> {
    let mut store = open_with_decks(ctx)?;
    let filter = filter(&store, &args.decks, &args.tags)?;
    let now = now();
    if args.class {
        super::large_cache(&store)?;
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
    let cards = stats::with_states(cards, store::states(&store.conn, learner.id)?);
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

/// Every learner's mastery, activity, exam scores and open flags: a pass over each learner's card states (the cards'
/// decks and themes are gathered once), one pass over the review log for everyone's recent activity, and one query
/// each for the exam scores, the exam activity and the open flags.
pub(super) fn class_stats(store: &Store, filter: &Filter, by: GroupBy, now: i64) -> Result<Class> {
    let cards = store::stat_cards(&store.conn, filter)?;
    let ids = stats::ById::new(cards.iter().map(|c| c.id));
    let index = stats::MasteryIndex::new(
        cards
            .iter()
            .filter(|c| !c.retired)
            .map(|c| (c.id, c.deck_id.as_str(), c.tags.as_slice())),
    );
    let titles = store::deck_titles(&store.conn)?;
    let themes = themes();
    let learners = store::learners(&store.conn)?;
    let today: Vec<Day> = learners.iter().map(|l| calendar(l).day_of(now)).collect();
    let places = stats::ById::new(learners.iter().map(|l| l.id));
    // Reviews in the last 7 days and the last active day, per learner (in `learners` order), over the cards in scope.
    let mut activity: Vec<(u32, Option<Day>)> = vec![(0, None); learners.len()];
    store::for_each_review_day(&store.conn, |learner, card, day| {
        if let Some(p) = places.position(learner)
            && ids.position(card).is_some()
        {
            let a = &mut activity[p];
            a.0 += u32::from(day > today[p] - 7);
            a.1 = Some(a.1.map_or(day, |last| last.max(day)));
        }
    })?;
    let exams = store::exams(&store.conn)?
        .into_iter()
        .map(|e| stats::ClassExam {
            id: e.id,
            title: e.title,
        })
        .collect();
    let mut beyond: Vec<stats::Beyond> = vec![stats::Beyond::default(); learners.len()];
    for (learner, exam, score) in store::best_supervised_scores(&store.conn)? {
        if let Some(p) = places.position(learner) {
            beyond[p].exam_scores.insert(exam, score);
        }
    }
    for (learner, at) in store::last_exam_activity(&store.conn)? {
        if let Some(p) = places.position(learner) {
            beyond[p].last_exam_day = Some(calendar(&learners[p]).day_of_ms(at));
        }
    }
    for (learner, open) in store::open_flag_counts(&store.conn)? {
        if let Some(p) = places.position(learner) {
            beyond[p].open_flags = open;
        }
    }
    let mut class = stats::ClassBuilder::new(by).exams(exams);
    for ((p, l), beyond) in learners.iter().enumerate().zip(beyond) {
        let states = store::memory_states(&store.conn, l.id)?;
        let mastery = index.mastery(
            states,
            &Scheduler::new(l.settings())?,
            stats::horizon(now),
            &titles,
            &themes,
        );
        let (recent, last) = activity[p];
        class.add_mastery(&l.name, mastery, recent, last, today[p], beyond);
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
