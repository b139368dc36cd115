//! `detente learner add|set|list`: learners and their daily limits, target retention and day start.

use super::{Context, now, print, print_json};
use crate::cli::LearnerSettings;
use crate::error::{Error, Result};
use crate::store::{self, Learner, Store};

fn apply(learner: &mut Learner, s: &LearnerSettings) -> Result<()> {
    if let Some(n) = s.new_per_day {
        learner.new_per_day = n;
    }
    if let Some(n) = s.reviews_per_day {
        learner.reviews_per_day = n;
    }
    if let Some(r) = s.retention {
        if !(0.7..=0.99).contains(&r) {
            return Err(Error::Usage(format!(
                "--retention must be between 0.7 and 0.99, not {r}"
            )));
        }
        learner.desired_retention = r;
    }
    if let Some(h) = s.day_starts_at {
        if h > 23 {
            return Err(Error::Usage(format!(
                "--day-starts-at must be an hour from 0 to 23, not {h}"
            )));
        }
        learner.rollover_hour = h;
    }
    Ok(())
}

pub fn add(ctx: &Context, name: &str, settings: &LearnerSettings) -> Result<i32> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::Usage("a learner needs a name".into()));
    }
    let mut store = Store::open(&ctx.db)?;
    let tx = store.write()?;
    let Some(mut learner) = store::add_learner(&tx, name, now())? else {
        return Err(Error::Usage(format!(
            "learner {name} already exists (change them with `detente learner set`)"
        )));
    };
    apply(&mut learner, settings)?;
    store::update_learner(&tx, &learner)?;
    tx.commit()?;
    eprintln!("Added learner {name}.");
    Ok(0)
}

pub fn set(ctx: &Context, name: &str, settings: &LearnerSettings) -> Result<i32> {
    let mut store = Store::open(&ctx.db)?;
    let Some(mut learner) = store::learner_by_name(&store.conn, name)? else {
        return Err(Error::Usage(format!(
            "no learner named {name} (see `detente learner list`)"
        )));
    };
    apply(&mut learner, settings)?;
    let tx = store.write()?;
    store::update_learner(&tx, &learner)?;
    tx.commit()?;
    eprintln!("Updated learner {name}.");
    Ok(0)
}

pub fn list(ctx: &Context) -> Result<i32> {
    let store = Store::open(&ctx.db)?;
    let learners = store::learners(&store.conn)?;
    if ctx.json {
        print_json(&learners)?;
        return Ok(0);
    }
    print(&format!(
        "{:20}  {:>7}  {:>7}  {:>9}  {:>9}",
        "LEARNER", "NEW/DAY", "REV/DAY", "RETENTION", "DAY START"
    ))?;
    for l in &learners {
        print(&format!(
            "{:20}  {:>7}  {:>7}  {:>9.2}  {:>7}:00",
            crate::ui::clean(&l.name),
            l.new_per_day,
            l.reviews_per_day,
            l.desired_retention,
            l.rollover_hour
        ))?;
    }
    Ok(0)
}
