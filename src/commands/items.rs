//! `detente report items`: item analysis of an exam's attempts (`--exam`) or of learners' first study answers to a
//! deck (`--deck`), broken-looking questions first, each with its n (items are flagged only from
//! [`crate::exam::analysis::MIN_ANSWERS_TO_FLAG`] answers); ids are never cut, they break onto more lines. Exam
//! attempts that came in progress bundles (unsupervised) are left out unless `--include-unsupervised`. The analysis
//! is `server::ops::items`, on the local database or the class server.

use super::{Context, print, print_json};
use crate::error::Result;
use crate::exam::analysis::ItemStats;
use crate::server::api::ItemsRequest;
use crate::server::client::Server;
use crate::server::ops;
use crate::ui::layout::{self, Cell, Table};

/// `detente report items`, on the local database or the class server.
pub fn run(
    ctx: &Context,
    server: Option<&Server>,
    exam: Option<&str>,
    deck: Option<&str>,
    include_unsupervised: bool,
) -> Result<i32> {
    let req = ItemsRequest {
        exam: exam.map(String::from),
        deck: deck.map(String::from),
        include_unsupervised,
    };
    let stats: Vec<ItemStats> = match server {
        Some(server) => super::remote::call(server, "items", &req)?,
        None => ops::items(&mut super::open_with_decks(ctx)?, &req, super::now())?,
    };
    if ctx.json {
        print_json(&stats)?;
        return Ok(0);
    }
    if stats.is_empty() {
        super::say("No answers to analyse yet.");
        return Ok(0);
    }
    if let (None, Some(d)) = (exam, deck) {
        super::say(&format!("First study answers to the cards of deck {d}:"));
    }
    let mut table = Table::new(&[
        ("", Cell::Text),
        ("ITEM", Cell::Id),
        ("N", Cell::Number),
        ("FACILITY", Cell::Number),
        ("DISCRIM", Cell::Number),
        ("PROMPT", Cell::Wrap),
    ]);
    for s in &stats {
        table.row(vec![
            if s.flags.is_empty() { "" } else { "FLAG" }.into(),
            // With --deck every item is of that deck: its id alone says which.
            deck.and_then(|d| s.item.strip_prefix(&format!("{d}/")))
                .unwrap_or(&s.item)
                .to_string(),
            s.answered.to_string(),
            format!("{:.2}", s.facility),
            s.discrimination.map_or("-".into(), |d| format!("{d:.2}")),
            s.prompt.clone(),
        ]);
        for f in &s.flags {
            table.note("      ! ", "        ", f);
        }
        if !s.options.is_empty() && !s.flags.is_empty() {
            for o in &s.options {
                let option = if o.correct {
                    format!("{}  (answer)", o.option)
                } else {
                    o.option.clone()
                };
                table.note(
                    &format!("        {:>4}  ", o.picked),
                    &" ".repeat(14),
                    &option,
                );
            }
        }
    }
    for line in table.render(layout::table_width()) {
        print(&line)?;
    }
    super::say(&format!(
        "N: answers. An item is flagged only with at least {} answers.",
        crate::exam::analysis::MIN_ANSWERS_TO_FLAG
    ));
    Ok(0)
}
