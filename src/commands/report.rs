//! `detente report --html FILE`: the current learner's progress, or with `--class` the class's, as one
//! self-contained HTML file with SVG charts.

use super::stats::{group_by, learner_stats};
use super::{Context, current_learner, now, open_with_decks};
use crate::cli::ReportArgs;
use crate::error::{Error, Result};
use crate::server::api::ClassRequest;
use crate::server::client::Server;
use crate::server::ops::class_stats;
use crate::store::Filter;

/// `detente report --html FILE`; with `--class`, on the local database or the class server (the file is written
/// here either way).
pub fn run(ctx: &Context, server: Option<&Server>, args: &ReportArgs) -> Result<i32> {
    let Some(path) = &args.html else {
        return Err(Error::Usage(
            "say which report: `detente report --html FILE` or `detente report items`".into(),
        ));
    };
    // Refused before the database is opened; the write checks again (see `staged`).
    super::staged::refuse_database(path, &ctx.db)?;
    if let (true, Some(server)) = (args.class, server) {
        let req = ClassRequest {
            decks: Vec::new(),
            tags: Vec::new(),
            by: group_by(args.by),
        };
        let class = super::remote::call(server, "class", &req)?;
        let html = crate::ui::html::class_report(&class);
        super::staged::write(path, "report", &ctx.db, html.as_bytes())?;
        super::say(&format!("Wrote {}.", path.display()));
        return Ok(0);
    }
    let mut store = open_with_decks(ctx)?;
    let now = now();
    let html = if args.class {
        super::large_cache(&store)?;
        let class = class_stats(&store, &Filter::default(), group_by(args.by), now)?;
        crate::ui::html::class_report(&class)
    } else {
        let learner = current_learner(ctx, &mut store)?;
        let stats = learner_stats(&store, &learner, &Filter::default(), now)?;
        crate::ui::html::learner_report(&learner.name, &stats)
    };
    super::staged::write(path, "report", &ctx.db, html.as_bytes())?;
    super::say(&format!("Wrote {}.", path.display()));
    Ok(0)
}
