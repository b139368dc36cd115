//! `detente report flags`: the cards learners flagged from the study screen, for the teacher (deck, card, learner,
//! note, when, state; `--json` for scripts), and `--resolve ID` to mark flags dealt with. A resolved flag no longer
//! shows as flagged to the learner. Flags from students' machines arrive in progress bundles. Both run
//! `server::ops` on the local database or the class server.

use super::{Context, now, open_with_decks, print, print_json, remote, say};
use crate::error::Result;
use crate::server::api::FlagsRequest;
use crate::server::client::Server;
use crate::server::ops;
use crate::store::{self, FlagState};
use crate::ui::layout::{self, Cell, Table};

/// A Unix time in seconds as `YYYY-MM-DD HH:MM` local time.
fn when(secs: i64) -> String {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_opt(secs, 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// `detente report flags`, on the local database or the class server.
pub fn list(ctx: &Context, server: Option<&Server>, all: bool, deck: Option<&str>) -> Result<i32> {
    let req = FlagsRequest {
        all,
        deck: deck.map(String::from),
    };
    let rows: Vec<store::FlagRow> = match server {
        Some(server) => remote::call(server, "flags", &req)?,
        None => ops::flags(&open_with_decks(ctx)?, &req)?,
    };
    if ctx.json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            flag: &'a store::FlagRow,
            /// RFC 3339, UTC.
            when: String,
        }
        let out: Vec<Out<'_>> = rows
            .iter()
            .map(|f| Out {
                flag: f,
                when: chrono::DateTime::from_timestamp(f.flagged_at, 0)
                    .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_default(),
            })
            .collect();
        return print_json(&out).map(|_| 0);
    }
    if rows.is_empty() {
        say(if all {
            "No card has been flagged."
        } else {
            "No open flags."
        });
        return Ok(0);
    }
    let mut table = Table::new(&[
        ("ID", Cell::Number),
        ("DECK", Cell::Id),
        ("CARD", Cell::Id),
        ("LEARNER", Cell::Text),
        // A date and time is never cut.
        ("WHEN", Cell::Number),
        ("STATE", Cell::Text),
        ("NOTE", Cell::Wrap),
    ]);
    for f in &rows {
        table.row(vec![
            f.id.to_string(),
            f.deck.clone(),
            f.card.clone(),
            f.learner.clone(),
            when(f.flagged_at),
            f.state.as_str().to_string(),
            f.note.clone().unwrap_or_default(),
        ]);
    }
    for line in table.render(layout::table_width()) {
        print(&line)?;
    }
    let open = rows.iter().filter(|f| f.state == FlagState::Open).count();
    if open > 0 {
        say(&format!(
            "{open} open flag(s). Fix the card (`detente deck import`), then `detente report flags --resolve ID`."
        ));
    }
    Ok(0)
}

/// `detente report flags --resolve ID...`, on the local database or the class server: all or none.
pub fn resolve(ctx: &Context, server: Option<&Server>, ids: &[i64]) -> Result<i32> {
    let outcomes: Vec<(i64, FlagState)> = match server {
        Some(server) => remote::call(server, "resolve-flags", &ids)?,
        None => ops::resolve_flags(&mut open_with_decks(ctx)?, ids, now())?,
    };
    for (id, before) in outcomes {
        say(&match before {
            FlagState::Open => format!("Resolved flag {id}."),
            other => format!("Flag {id} was already {}.", other.as_str()),
        });
    }
    Ok(0)
}
