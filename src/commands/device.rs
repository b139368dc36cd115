//! `detente device list [LEARNER]` and `detente device revoke ID...`: the devices registered with a class server
//! over TLS, for its teachers. After `login` they go to the server (teachers only, over its Unix socket); given
//! `--db` they work on that database directly (the server's user, on the server's own file).

use super::{Context, login, now, os_user, print, print_json, say};
use crate::error::{Error, Result};
use crate::server::api::{self, Role};
use crate::server::client::Server;
use crate::store::{self, DeviceRecord, Store};
use crate::ui::layout::{self, Cell, Table};

/// `detente device list [LEARNER]`.
pub fn list(
    ctx: &Context,
    server: Option<Server>,
    claimed: Option<&str>,
    learner: Option<String>,
) -> Result<i32> {
    let rows = match server {
        Some(server) => {
            teacher(&server, claimed)?;
            let path = match &learner {
                Some(name) => format!("/v1/devices?learner={}", percent_encode(name)),
                None => "/v1/devices".to_string(),
            };
            server.get::<api::Devices>(&path)?
        }
        None => {
            let store = Store::open(&ctx.db)?;
            let id = match &learner {
                Some(name) => Some(
                    store::learner_by_name(&store.conn, name)?
                        .ok_or_else(|| Error::Usage(format!("no learner named {name}")))?
                        .id,
                ),
                None => None,
            };
            store::devices(&store.conn, id)?
        }
    };
    show(ctx, &rows)
}

/// `detente device revoke ID...`: every id must name a device, or nothing is revoked.
pub fn revoke(
    ctx: &Context,
    server: Option<Server>,
    claimed: Option<&str>,
    ids: &[i64],
) -> Result<i32> {
    let rows = match server {
        Some(server) => {
            teacher(&server, claimed)?;
            server
                .post::<_, api::Devices>("/v1/devices/revoke", &api::Revoke { ids: ids.to_vec() })?
        }
        None => {
            let mut store = Store::open(&ctx.db)?;
            let by = format!("teacher {} (on the database)", os_user());
            let tx = store.write()?;
            let rows = store::revoke_devices(&tx, ids, &by, now())?.map_err(|missing| {
                Error::Usage(format!(
                    "no device with id {}: nothing was revoked (`detente device list` shows the ids)",
                    missing
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            tx.commit()?;
            rows
        }
    };
    for row in &rows {
        say(&format!(
            "Device {} ({:?} of {}) is revoked{}: its token is refused from its next request.",
            row.id,
            row.name,
            row.learner,
            row.revoked_by
                .as_ref()
                .map(|by| format!(" (by {by}, {})", moment(row.revoked_at)))
                .unwrap_or_default()
        ));
    }
    Ok(0)
}

/// Refuses a caller the server does not call a teacher, before the request (the server refuses them too).
fn teacher(server: &Server, claimed: Option<&str>) -> Result<()> {
    let me = login::hello(server, claimed)?;
    if me.role != Role::Teacher {
        return Err(Error::Refused(format!(
            "`device list` and `device revoke` are for the class server's teachers, and you are {}",
            me.describe()
        )));
    }
    Ok(())
}

fn show(ctx: &Context, rows: &[DeviceRecord]) -> Result<i32> {
    if ctx.json {
        print_json(&rows)?;
        return Ok(0);
    }
    if rows.is_empty() {
        say("No devices are registered.");
        return Ok(0);
    }
    let mut table = Table::new(&[
        ("ID", Cell::Number),
        ("LEARNER", Cell::Text),
        ("DEVICE", Cell::Text),
        ("CREATED", Cell::Text),
        ("LAST USED", Cell::Text),
        ("REVOKED", Cell::Text),
    ]);
    for d in rows {
        table.row(vec![
            d.id.to_string(),
            d.learner.clone(),
            d.name.clone(),
            moment(Some(d.created_at)),
            moment(d.last_used_at),
            moment(d.revoked_at),
        ]);
    }
    for line in table.render(layout::table_width()) {
        print(&line)?;
    }
    Ok(0)
}

/// A moment in Unix seconds as UTC minutes (`2026-12-07 14:03`), or `-`.
fn moment(secs: Option<i64>) -> String {
    secs.map_or_else(
        || "-".to_string(),
        |s| {
            chrono::DateTime::from_timestamp(s, 0)
                .map_or_else(|| s.to_string(), |d| d.format("%Y-%m-%d %H:%M").to_string())
        },
    )
}

/// A query value percent-encoded: letters, digits and `-._~` as they are, every other byte as `%XX`.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_sent_percent_encoded() {
        assert_eq!(percent_encode("Ann Smith-é"), "Ann%20Smith-%C3%A9");
    }
}
