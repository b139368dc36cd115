//! `detente report --html [FILE]` (or `--html -o FILE`): the current learner's progress, or with `--class` the
//! class's, as one self-contained HTML file with SVG charts; to standard output without a file.

use super::stats::{group_by, learner_stats};
use super::{Context, current_learner, now, open_with_decks};
use crate::cli::ReportArgs;
use crate::error::{Error, Result};
use crate::server::api::ClassRequest;
use crate::server::client::Server;
use crate::server::ops::class_stats;
use crate::store::Filter;

/// `detente report web`: a sign-in link to the class page, asked of the class server (teachers, on its socket).
pub fn web(server: Option<&Server>) -> Result<i32> {
    let Some(server) = server else {
        return Err(Error::Usage(
            "the class page is a class server's: `detente login` to it first (see docs/server.md)"
                .into(),
        ));
    };
    let link: crate::server::api::PageLink = server
        .post::<_, crate::server::api::Done<crate::server::api::PageLink>>("/v1/page-link", &())?
        .into_result()?;
    let minutes = link.expires_in_secs / 60;
    match &link.base {
        Some(base) => println!("{base}{}", link.path),
        None => println!("https://HOST:PORT{}", link.path),
    }
    super::say(&format!(
        "Open this link in a browser within {minutes} minutes: it works once, and signs you in to the class page for          eight hours.{}",
        if link.base.is_none() {
            " HOST:PORT is the server's TLS address (`[tls] listen`); set `[tls] url` in its configuration to have it              printed here."
        } else {
            ""
        }
    ));
    Ok(0)
}

/// `detente report --html [FILE]` or `--html -o FILE`; with `--class`, on the local database or the class server
/// (the file is written here either way). Without a file, the HTML goes to standard output.
pub fn run(ctx: &Context, server: Option<&Server>, args: &ReportArgs) -> Result<i32> {
    let Some(named) = &args.html else {
        return Err(Error::Usage(
            "say which report: `detente report --html -o FILE` or `detente report items`".into(),
        ));
    };
    let path = match (named, &args.output) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::Usage(format!(
                "two files for one report: --html {} and -o {}; give one",
                a.display(),
                b.display()
            )));
        }
        (Some(p), _) | (None, Some(p)) => Some(p.as_path()),
        (None, None) => None,
    };
    // Refused before the database is opened; the write checks again (see `staged`).
    if let Some(path) = path {
        super::staged::refuse_database(path, &ctx.db)?;
    }
    let html = if let (true, Some(server)) = (args.class, server) {
        let req = ClassRequest {
            decks: Vec::new(),
            tags: Vec::new(),
            by: group_by(args.by),
            learner: None,
        };
        let class = super::remote::call(server, "class", &req)?;
        crate::ui::html::class_report(&class)
    } else {
        let mut store = open_with_decks(ctx)?;
        let now = now();
        if args.class {
            // As `stats --class`: scans in index order, served by SQLite's default page cache.
            let class = class_stats(
                &mut &store.conn,
                &Filter::default(),
                group_by(args.by),
                None,
                now,
            )?;
            crate::ui::html::class_report(&class)
        } else {
            let learner = current_learner(ctx, &mut store)?;
            let stats = learner_stats(&store, &learner, &Filter::default(), now)?;
            crate::ui::html::learner_report(&learner.name, &stats)
        }
    };
    match path {
        Some(path) => {
            super::staged::write(path, "report", &ctx.db, html.as_bytes())?;
            super::say(&format!("Wrote {}.", path.display()));
        }
        None => super::write_stdout(html.as_bytes())?,
    }
    Ok(0)
}
