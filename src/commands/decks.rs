//! `detente decks`: the loaded decks with their card counts.

use super::{Context, open_with_decks, print, print_json};
use crate::error::Result;
use crate::store;
use crate::ui::clean;

pub fn run(ctx: &Context) -> Result<i32> {
    let store = open_with_decks(ctx)?;
    let decks = store::decks(&store.conn)?;
    if ctx.json {
        print_json(&decks)?;
        return Ok(0);
    }
    if decks.is_empty() {
        print("No decks are loaded. Import one with `detente deck import FILE`.")?;
        return Ok(0);
    }
    let width = decks.iter().map(|d| d.id.len()).max().unwrap_or(0).max(4);
    print(&format!("{:width$}  {:>5}  {}", "DECK", "CARDS", "TITLE"))?;
    for d in &decks {
        let retired = if d.retired_cards > 0 {
            format!(" ({} retired)", d.retired_cards)
        } else {
            String::new()
        };
        print(&format!(
            "{:width$}  {:>5}  {}{retired}",
            d.id,
            d.cards,
            clean(&d.title)
        ))?;
    }
    Ok(0)
}
