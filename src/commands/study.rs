//! `detente study`: an interactive session on the terminal, one card per screen (`--plain`, or `TERM=dumb`: a
//! transcript of line prompts without colour); after it, a sync with the class server when `login`
//! saved one and the command named no local database (see `sync`).

use super::{Context, calendar, current_learner, now, open_with_decks};
use crate::cli::StudyArgs;
use crate::error::{Error, Result};
use crate::session::{Session, StudyOptions, SystemClock};
use crate::store::{self, Filter, Store};
use crate::ui::{self, SessionScreen, Terminal};

pub fn run(ctx: &Context, args: StudyArgs, local_db: bool) -> Result<i32> {
    if let Some(date) = args.exam_date {
        check_exam_date(ctx, date)?;
    }
    if !ui::is_interactive() {
        return Err(Error::NoTerminal(
            "study needs an interactive terminal (standard input and error are not one); \
             for scripts use `detente due --json`"
                .into(),
        ));
    }
    let mut store = open_with_decks(ctx)?;
    let known: Vec<String> = store::decks(&store.conn)?
        .into_iter()
        .map(|d| d.id)
        .collect();
    for d in &args.decks {
        if !known.contains(d) {
            return Err(Error::Usage(format!(
                "no deck `{d}` is loaded (see `detente decks`)"
            )));
        }
    }
    let learner = current_learner(ctx, &mut store)?;
    let opts = StudyOptions {
        filter: Filter {
            decks: args.decks,
            tags: args.tags,
        },
        limit: args.limit,
        minutes: args.minutes,
        new: args.new,
        cram: args.cram,
        exam_date: args.exam_date,
        seed: args
            .seed
            .unwrap_or_else(|| chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) as u64),
    };
    let clock = SystemClock;
    let session = Session::start(&mut store, &learner, opts, &clock, calendar(&learner))?;
    let plain = args.plain || std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    let summary = if plain {
        session.run(&mut Terminal::new(false))?
    } else {
        let mut screen = SessionScreen::study(ctx.color, &clock);
        let summary = session.run(&mut screen);
        // The terminal given back, and the summary printed on it, before anything else is said.
        screen.finish();
        summary?
    };
    if let Some(unsaved) = summary.unsaved {
        return Err(Error::NotSaved(unsaved));
    }
    if summary.interrupted {
        return Err(Error::Interrupted);
    }
    drop(store);
    super::sync::after_study(ctx, local_db);
    Ok(0)
}

/// Refuses an `--exam-date` outside the allowed range, in the learner's calendar (the default day start for a
/// learner not created yet), before the terminal is asked for and before anything is written.
fn check_exam_date(ctx: &Context, date: chrono::NaiveDate) -> Result<()> {
    let learner = if ctx.db.exists() {
        let store = Store::open(&ctx.db)?;
        store::learner_by_name(&store.conn, &ctx.learner)?
    } else {
        None
    };
    let cal = match learner {
        Some(learner) => calendar(&learner),
        None => crate::schedule::Calendar::local(store::DEFAULT_ROLLOVER_HOUR),
    };
    crate::schedule::exam_date::check_user_date(date, cal.day_of(now())).map_err(Error::Usage)
}
