//! `detente optimize`: fits the learner's FSRS-6 parameters to their study log (see [`crate::stats::optimize`] for
//! how, and for the check on later reviews), stores them when they predict those reviews better than the defaults,
//! and with `--retention R` sets the target retention and shows the daily workload it implies.

use super::{Context, current_learner, open_with_decks, print, print_json};
use crate::cli::OptimizeArgs;
use crate::error::{Error, Result};
use crate::schedule::Phase;
use crate::stats::optimize::{self, Fit, LogEntry, NotEnough};
use crate::store;
use crate::text::clean;
use crate::ui::layout::{self, Cell, Table};
use serde::Serialize;

#[derive(Serialize)]
struct Workload {
    old_retention: f32,
    new_retention: f32,
    /// Review cards the estimate is over.
    cards: usize,
    old_reviews_per_day: f64,
    new_reviews_per_day: f64,
}

#[derive(Serialize)]
struct Out {
    learner: String,
    study_reviews: usize,
    /// The fit and its check, when there was enough history.
    fit: Option<Fit>,
    /// Why there was no fit.
    not_enough: Option<NotEnough>,
    /// Whether the learner's parameters were replaced.
    parameters_saved: bool,
    workload: Option<Workload>,
}

pub fn run(ctx: &Context, args: &OptimizeArgs) -> Result<i32> {
    if let Some(r) = args.retention
        && !(0.7..=0.99).contains(&r)
    {
        return Err(Error::Usage(format!(
            "--retention must be between 0.7 and 0.99, not {r}"
        )));
    }
    let mut store = open_with_decks(ctx)?;
    let mut learner = current_learner(ctx, &mut store)?;
    let log: Vec<LogEntry> = store::study_log(&store.conn, learner.id)?
        .into_iter()
        .map(|r| LogEntry {
            card_id: r.card_id,
            rating: r.rating,
            day: r.day,
        })
        .collect();
    let (fit, not_enough) = match optimize::fit(&log)? {
        Ok(f) => (Some(f), None),
        Err(n) => (None, Some(n)),
    };
    let save = fit
        .as_ref()
        .filter(|f| f.improves())
        .map(|f| f.parameters.clone());
    let parameters = save
        .clone()
        .or_else(|| learner.parameters.clone())
        .unwrap_or_default();
    let workload = args.retention.map(|r| {
        let stabilities: Vec<f32> = store::state_map(&store.conn, learner.id)
            .map(|m| {
                m.values()
                    .filter(|s| s.phase == Phase::Review)
                    .map(|s| s.stability)
                    .collect()
            })
            .unwrap_or_default();
        Workload {
            old_retention: learner.desired_retention,
            new_retention: r,
            cards: stabilities.len(),
            old_reviews_per_day: optimize::reviews_per_day(
                &stabilities,
                f64::from(learner.desired_retention),
                &parameters,
            ),
            new_reviews_per_day: optimize::reviews_per_day(&stabilities, f64::from(r), &parameters),
        }
    });
    if save.is_some() || args.retention.is_some() {
        let tx = store.write()?;
        if let Some(p) = &save {
            store::save_parameters(&tx, learner.id, Some(p))?;
        }
        if let Some(r) = args.retention {
            learner.desired_retention = r;
            store::update_learner(&tx, &learner)?;
        }
        tx.commit()?;
    }
    let out = Out {
        learner: learner.name.clone(),
        study_reviews: log.len(),
        parameters_saved: save.is_some(),
        fit,
        not_enough,
        workload,
    };
    if ctx.json {
        print_json(&out)?;
    } else {
        print(&render(&out, layout::width()))?;
    }
    Ok(0)
}

/// The fit, its check and the workload as text: prose wrapped to `width`, the comparison as a table.
fn render(o: &Out, width: usize) -> String {
    let mut lines = Vec::new();
    let say =
        |lines: &mut Vec<String>, text: String| lines.extend(layout::wrap(&text, width, "", ""));
    let learner = clean(&o.learner);
    match (&o.fit, &o.not_enough) {
        (_, Some(NotEnough::Reviews { have, need })) => say(
            &mut lines,
            format!(
                "{learner} has {have} study review(s); fitting needs at least {need}: {} more.\nParameters unchanged.",
                need - have
            ),
        ),
        (_, Some(NotEnough::NothingToCheck)) => say(
            &mut lines,
            format!(
                "{learner}'s later reviews are all same-day ones: nothing to check a fit on yet.\nParameters unchanged."
            ),
        ),
        (Some(f), None) => {
            say(
                &mut lines,
                format!(
                    "Fitted on the first {} of {} study reviews; checked on {} later reviews:",
                    f.train_reviews, f.reviews, f.test_items
                ),
            );
            let mut table = Table::new(&[
                ("PARAMETERS", Cell::Text),
                ("LOG LOSS", Cell::Number),
                ("RMSE (BINS)", Cell::Number),
            ]);
            for (name, check) in [("default", &f.default), ("fitted", &f.fitted)] {
                table.row(vec![
                    name.to_string(),
                    format!("{:.4}", check.log_loss),
                    format!("{:.4}", check.rmse_bins),
                ]);
            }
            let table: Vec<String> = table
                .render(width.min(layout::TABLE_WIDTH) - 2)
                .into_iter()
                .map(|l| format!("  {l}"))
                .collect();
            lines.extend(table);
            if o.parameters_saved {
                say(
                    &mut lines,
                    format!(
                        "Saved parameters fitted on all {} reviews; {learner} studies with them from now on.",
                        f.reviews
                    ),
                );
            } else {
                say(
                    &mut lines,
                    "The fit predicts later reviews no better than the defaults: parameters unchanged."
                        .to_string(),
                );
            }
        }
        (None, None) => {}
    }
    if let Some(w) = &o.workload {
        lines.extend(layout::wrap(
            &format!(
                "Target retention {:.2} -> {:.2}: about {:.1} -> {:.1} reviews a day for the {} review card(s) now \
                 (each once per interval at today's stability; new cards come on top).",
                w.old_retention, w.new_retention, w.old_reviews_per_day, w.new_reviews_per_day, w.cards
            ),
            width,
            "",
            "",
        ));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::optimize::Metrics;

    #[test]
    fn the_check_is_a_table_and_the_prose_wraps() {
        let out = Out {
            learner: "Maximiliana Konstantinopoulou-Wittgenstein of the evening seminar".into(),
            study_reviews: 1234,
            fit: Some(Fit {
                reviews: 1234,
                train_reviews: 900,
                test_items: 300,
                default: Metrics {
                    log_loss: 0.4123,
                    rmse_bins: 0.0612,
                },
                fitted: Metrics {
                    log_loss: 0.3987,
                    rmse_bins: 0.0401,
                },
                checked_parameters: Vec::new(),
                parameters: Vec::new(),
            }),
            not_enough: None,
            parameters_saved: true,
            workload: Some(Workload {
                old_retention: 0.9,
                new_retention: 0.95,
                cards: 321,
                old_reviews_per_day: 12.3,
                new_reviews_per_day: 20.1,
            }),
        };
        for width in [80, 60] {
            let text = render(&out, width);
            assert!(
                text.lines().all(|l| layout::display_width(l) <= width),
                "{text}"
            );
            assert!(text.contains("  PARAMETERS"), "{text}");
            assert!(text.contains("fitted"), "{text}");
            assert!(text.contains("Konstantinopoulou-Wittgenstein"), "{text}");
        }
    }
}
