//! `detente report items`: item analysis of an exam's attempts (`--exam`) or of learners' first study answers to a
//! deck (`--deck`), broken-looking questions first.

use super::{Context, print, print_json};
use crate::error::{Error, Result};
use crate::session::exam::{ItemSource, item_report};
use crate::store::{self, Store};
use crate::ui::clean;

pub fn run(ctx: &Context, exam: Option<&str>, deck: Option<&str>) -> Result<i32> {
    let mut store = Store::open(&ctx.db)?;
    super::close_expired(&mut store)?;
    let source = match (exam, deck) {
        (Some(e), _) => {
            if store::exam(&store.conn, e)?.is_none() {
                return Err(Error::Usage(format!(
                    "no exam `{e}` is loaded (see `detente exam list`)"
                )));
            }
            ItemSource::Exam(e)
        }
        (None, Some(d)) => ItemSource::Deck(d),
        (None, None) => {
            return Err(Error::Usage(
                "say what to analyse: `--exam ID` (exam attempts) or `--deck ID` (first study answers)".into(),
            ));
        }
    };
    let stats = item_report(&store, source)?;
    if ctx.json {
        print_json(&stats)?;
        return Ok(0);
    }
    if stats.is_empty() {
        eprintln!("No answers to analyse yet.");
        return Ok(0);
    }
    print(&format!(
        "{:4}  {:48}  {:>8}  {:>8}  {:>7}  PROMPT",
        "", "ITEM", "ANSWERED", "FACILITY", "DISCRIM"
    ))?;
    for s in &stats {
        let prompt: String = clean(&s.prompt).chars().take(50).collect();
        print(&format!(
            "{:4}  {:48}  {:>8}  {:>8.2}  {:>7}  {prompt}",
            if s.flags.is_empty() { "" } else { "FLAG" },
            clean(&s.item),
            s.answered,
            s.facility,
            s.discrimination.map_or("-".into(), |d| format!("{d:.2}"))
        ))?;
        for f in &s.flags {
            print(&format!("      ! {}", clean(f)))?;
        }
        if !s.options.is_empty() && !s.flags.is_empty() {
            for o in &s.options {
                print(&format!(
                    "        {:>4}  {}{}",
                    o.picked,
                    clean(&o.option),
                    if o.correct { "  (answer)" } else { "" }
                ))?;
            }
        }
    }
    Ok(0)
}
