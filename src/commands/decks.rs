//! `detente decks`: the loaded decks with their card counts (cards as [`crate::store::counts`] defines them: each
//! cloze blank and reverse side counts; the entries as written are counted apart).

use super::{Context, open_with_decks, print, print_json};
use crate::error::Result;
use crate::store;
use crate::ui::layout::{Cell, TABLE_WIDTH, Table};

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
    let mut table = Table::new(&[
        ("DECK", Cell::Text),
        ("CARDS", Cell::Number),
        ("WRITTEN", Cell::Number),
        ("TITLE", Cell::Wrap),
    ]);
    for d in &decks {
        let retired = if d.retired_cards > 0 {
            format!(" ({} retired)", d.retired_cards)
        } else {
            String::new()
        };
        table.row(vec![
            d.id.clone(),
            d.cards.to_string(),
            d.written.to_string(),
            format!("{}{retired}", d.title),
        ]);
    }
    print(&table.render(TABLE_WIDTH).join("\n"))?;
    let cards: u32 = decks.iter().map(|d| d.cards).sum();
    let written: u32 = decks.iter().map(|d| d.written).sum();
    print(&crate::ui::layout::fill(
        &format!(
            "{cards} cards from {written} written: each cloze blank and reverse side is a card of its own."
        ),
        TABLE_WIDTH,
        "",
        "",
    ))?;
    Ok(0)
}
