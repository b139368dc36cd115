//! Progress statistics as terminal text: the one-learner page of `detente stats` and the class matrix of
//! `stats --class`. Everything fits 80 columns; colour (ANSI) only when asked for, and the text reads the same
//! without it. Deck text (titles, prompts, labels) is cleaned of control characters and cut to fit.

use super::clean;
use super::layout::{Cell, Table, display_width, pad, truncate, wrap};
use crate::stats::{Class, FORECAST_DAYS, Heatmap, Mastery, Rate, Retention, Stats, TroubleCard};
use crate::time::Day;

/// The width everything is drawn within.
pub const WIDTH: usize = 80;

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn heading(&self, text: &str) -> String {
        self.paint("1", text)
    }
}

/// Text from outside (deck titles, prompts, names) cleaned and cut to `width` columns (an ellipsis marks the cut).
fn cut(s: &str, width: usize) -> String {
    truncate(&clean(s), width)
}

/// A line of prose wrapped to [`WIDTH`], its continuation lines under the text after its label.
fn prose(label: &str, text: &str) -> Vec<String> {
    let rest = " ".repeat(display_width(label));
    wrap(text, WIDTH, label, &rest)
}

/// A duration in milliseconds as "1h 05m", "3m 07s" or "12s".
pub fn duration(ms: i64) -> String {
    let s = crate::time::ms_to_secs(ms.max(0));
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, _) => format!("{h}h {m:02}m"),
    }
}

/// A share as "93.3%", or "-" when there is nothing to measure.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn rate_cell(r: &Rate) -> String {
    match r.rate {
        None => "-".to_string(),
        Some(_) => format!("{} ({}/{})", percent(r.rate), r.passed, r.reviews),
    }
}

/// A horizontal bar of `width` cells for a share 0..1.
fn bar(share: f64, width: usize) -> String {
    let filled = ((share.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

/// Lines joined, without trailing spaces.
fn lines(out: &[String]) -> String {
    out.iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The one-learner page.
pub fn render(learner: &str, s: &Stats, color: bool) -> String {
    let p = Painter { color };
    let mut out = Vec::new();
    out.push(p.heading(&cut(
        &format!("Progress of {learner}, {}", s.today_day.iso()),
        WIDTH,
    )));
    out.push(String::new());
    out.extend(prose(
        "Today    ",
        &format!(
            "{} due, {} in learning, {} new left; {} {} done",
            s.today.due,
            s.today.learning,
            s.today.new_left,
            s.today.reviews_done,
            if s.today.reviews_done == 1 {
                "review"
            } else {
                "reviews"
            }
        ),
    ));
    let c = &s.counts;
    out.extend(prose(
        "Cards    ",
        &format!(
            "{} new, {} learning, {} young, {} mature, {} retired, {} leeches",
            c.new, c.learning, c.young, c.mature, c.retired, c.leeches
        ),
    ));
    out.push(format!(
        "Streak   {} day{}",
        s.streak_days,
        if s.streak_days == 1 { "" } else { "s" }
    ));
    out.extend(prose(
        "Time     ",
        &format!(
            "today {}, 7 days {}, 30 days {}, total {}",
            duration(s.time.today_ms),
            duration(s.time.last_7_days_ms),
            duration(s.time.last_30_days_ms),
            duration(s.time.total_ms)
        ),
    ));
    out.push(String::new());
    out.push(p.heading("True retention (reviews passed)"));
    out.push(format!(
        "  {:<8}{:<24}{:<24}",
        "", "last 7 days", "last 30 days"
    ));
    let row = |name: &str, f: fn(&Retention) -> &Rate| {
        format!(
            "  {:<8}{:<24}{:<24}",
            name,
            rate_cell(f(&s.retention_7_days)),
            rate_cell(f(&s.retention_30_days))
        )
    };
    out.push(row("young", |r| &r.young));
    out.push(row("mature", |r| &r.mature));
    out.push(row("all", |r| &r.all));
    out.push(String::new());
    out.push(p.heading("Due in the next 30 days"));
    out.extend(forecast(&s.forecast, &p));
    out.push(String::new());
    out.push(p.heading("Study over the last 26 weeks (reviews per day)"));
    out.extend(heatmap(&s.heatmap, &p));
    out.push(String::new());
    out.push(p.heading(&format!(
        "Mastery by deck (recall predicted {} days ahead)",
        crate::stats::HORIZON_DAYS
    )));
    out.extend(mastery(&s.mastery_by_deck, &p));
    if !s.mastery_by_theme.is_empty() {
        out.push(String::new());
        out.push(p.heading("Mastery by theme"));
        out.extend(mastery(&s.mastery_by_theme, &p));
    }
    out.push(String::new());
    out.push(p.heading("Leeches"));
    out.extend(trouble(&s.leeches, &p, "  none"));
    out.push(String::new());
    out.push(p.heading("Most failed"));
    out.extend(trouble(&s.most_failed, &p, "  none"));
    lines(&out)
}

/// A vertical bar chart: one column (two cells wide) per day, six rows of eighth blocks.
fn forecast(days: &[u32], p: &Painter) -> Vec<String> {
    const ROWS: usize = 6;
    const BLOCKS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = days.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return vec!["  nothing due".to_string()];
    }
    let mut lines = Vec::new();
    for row in (0..ROWS).rev() {
        let label = if row == ROWS - 1 {
            format!("{max:>5} ")
        } else {
            "      ".to_string()
        };
        let cells: String = days
            .iter()
            .map(|&d| {
                let eighths = (f64::from(d) / f64::from(max) * (ROWS * 8) as f64).round() as usize;
                let here = eighths.saturating_sub(row * 8).min(8);
                let here = if d > 0 && row == 0 && here == 0 {
                    1
                } else {
                    here
                };
                let c = BLOCKS[here];
                format!("{c}{c}")
            })
            .collect();
        lines.push(format!("{label}│{}", p.paint("36", &cells)));
    }
    let mut axis = format!("      └{}", "─".repeat(days.len() * 2));
    axis.truncate(axis.trim_end().len());
    lines.push(axis);
    let width = days.len() * 2;
    let mut labels = format!(
        "       today{:>w$}",
        format!("+{}", days.len() - 1),
        w = width - 5
    );
    if days.len() != FORECAST_DAYS {
        labels = "       today".to_string();
    }
    lines.push(labels);
    lines.extend(prose(
        "       ",
        &format!(
            "today {}, tomorrow {}, next 7 days {}, next 30 days {}",
            days.first().copied().unwrap_or(0),
            days.get(1).copied().unwrap_or(0),
            days.iter().take(7).sum::<u32>(),
            days.iter().sum::<u32>()
        ),
    ));
    lines
}

/// The heatmap: weekdays down, weeks across (two cells each), shades by quarter of the busiest day.
fn heatmap(h: &Heatmap, p: &Painter) -> Vec<String> {
    const NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let shade = |n: u32| -> &'static str {
        if n == 0 {
            return "· ";
        }
        match (n * 4).div_ceil(h.max.max(1)) {
            0 | 1 => "░░",
            2 => "▒▒",
            3 => "▓▓",
            _ => "██",
        }
    };
    let mut lines: Vec<String> = h
        .cells
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let cells: String = row
                .iter()
                .map(|c| match c {
                    None => "  ",
                    Some(n) => shade(*n),
                })
                .collect();
            format!(
                "  {} {}",
                NAMES.get(i).copied().unwrap_or("   "),
                p.paint("32", cells.trim_end())
            )
        })
        .collect();
    lines.extend(prose(
        "      ",
        &format!(
            "from {} to today; · none  ░░ ▒▒ ▓▓ ██ up to {} reviews",
            h.first_day.iso(),
            h.max
        ),
    ));
    lines
}

fn mastery(rows: &[Mastery], p: &Painter) -> Vec<String> {
    if rows.is_empty() {
        return vec!["  no cards".to_string()];
    }
    // "  " + label 36 + " " + bar 20 + " " + " 100%" + "  " + "1234/1234"
    rows.iter()
        .map(|m| {
            format!(
                "  {} {} {:>4}%  {:>4}/{}",
                pad(&cut(&m.label, 36), 36, false),
                p.paint("36", &bar(m.mastery, 20)),
                (m.mastery * 100.0).round() as u32,
                m.studied,
                m.cards
            )
        })
        .collect()
}

fn trouble(cards: &[TroubleCard], p: &Painter, none: &str) -> Vec<String> {
    if cards.is_empty() {
        return vec![none.to_string()];
    }
    cards
        .iter()
        .map(|t| {
            let mark = if t.leech {
                p.paint("31", "leech")
            } else {
                "     ".to_string()
            };
            let head = format!("  {:>3}x {mark} ", t.failures);
            let deck = cut(&t.deck_id, 20);
            let room = WIDTH.saturating_sub(2 + 4 + 1 + 5 + 1 + display_width(&deck) + 2);
            format!("{head}{deck}: {}", cut(&t.prompt, room))
        })
        .collect()
}

/// The class view: activity per learner (last active counting study and exams, open flags), their best supervised
/// exam scores, then the mastery matrix in blocks of columns that fit, the weakest columns first, with a legend.
pub fn render_class(c: &Class, color: bool) -> String {
    let p = Painter { color };
    let by = match c.by {
        crate::stats::GroupBy::Deck => "deck",
        crate::stats::GroupBy::Theme => "theme",
    };
    let mut out = vec![p.heading(&format!(
        "Class: {} learner{}, mastery by {by} ({} days ahead), {}",
        c.rows.len(),
        if c.rows.len() == 1 { "" } else { "s" },
        crate::stats::HORIZON_DAYS,
        c.today_day.iso()
    ))];
    if c.rows.is_empty() {
        out.push("No learners yet.".to_string());
        return out.join("\n");
    }
    // The columns, weakest first.
    let order: Vec<usize> = c
        .weakest
        .iter()
        .filter_map(|k| c.columns.iter().position(|col| &col.key == k))
        .collect();
    out.push(String::new());
    out.push(p.heading(&format!("Weakest {by}s first (class mean mastery)")));
    for (n, &i) in order.iter().enumerate() {
        let col = &c.columns[i];
        let key = col.key.trim_start_matches("theme:");
        out.push(format!(
            "  #{:<3}{:>4}%  {}",
            n + 1,
            (col.mean * 100.0).round() as u32,
            cut(&format!("{key}: {}", col.label), WIDTH - 13)
        ));
    }
    out.push(String::new());
    out.push(p.heading("Activity"));
    let mut activity = Table::new(&[
        ("LEARNER", Cell::Text),
        ("REVIEWS (7 DAYS)", Cell::Number),
        ("LAST ACTIVE", Cell::Number),
        ("MEAN", Cell::Number),
        ("OPEN FLAGS", Cell::Number),
    ]);
    for r in &c.rows {
        let mean = if r.mastery.is_empty() {
            0.0
        } else {
            r.mastery.iter().sum::<f64>() / r.mastery.len() as f64
        };
        activity.row(vec![
            r.learner.clone(),
            r.reviews_7_days.to_string(),
            r.last_active_day
                .map_or_else(|| "never".to_string(), Day::iso),
            format!("{}%", (mean * 100.0).round() as u32),
            r.open_flags.to_string(),
        ]);
    }
    out.extend(
        activity
            .render(WIDTH - 2)
            .into_iter()
            .map(|l| format!("  {l}")),
    );
    out.extend(class_exams(c, &p));
    // Matrix blocks: learner 16 + 6 per column.
    const NAME: usize = 16;
    const CELL: usize = 6;
    let per_block = ((WIDTH - 2 - NAME) / CELL).max(1);
    for block in order.chunks(per_block) {
        out.push(String::new());
        let mut head = format!("  {:<NAME$}", "MASTERY %");
        for &i in block {
            let n = order.iter().position(|&j| j == i).unwrap_or(0) + 1;
            head.push_str(&format!("{:>CELL$}", format!("#{n}")));
        }
        out.push(p.heading(&head));
        for r in &c.rows {
            let mut line = format!("  {}", pad(&cut(&r.learner, NAME - 1), NAME, false));
            for &i in block {
                let v = r.mastery.get(i).copied().unwrap_or(0.0);
                line.push_str(&format!("{:>CELL$}", (v * 100.0).round() as u32));
            }
            out.push(line);
        }
    }
    lines(&out)
}

/// The exam scores block: a legend of the exams, then the best closed supervised attempt of each learner, in
/// percent of the maximum, in blocks of columns that fit ("-": no such attempt).
fn class_exams(c: &Class, p: &Painter) -> Vec<String> {
    if c.exams.is_empty() {
        return Vec::new();
    }
    let mut out = vec![
        String::new(),
        p.heading("Exams (best supervised attempt, % of the maximum)"),
    ];
    for (n, e) in c.exams.iter().enumerate() {
        out.push(cut(
            &format!("  E{:<3} {}: {}", n + 1, e.id, e.title),
            WIDTH,
        ));
    }
    const NAME: usize = 16;
    const CELL: usize = 6;
    let per_block = ((WIDTH - 2 - NAME) / CELL).max(1);
    let all: Vec<usize> = (0..c.exams.len()).collect();
    for block in all.chunks(per_block) {
        let mut head = format!("  {:<NAME$}", "EXAM %");
        for &i in block {
            head.push_str(&format!("{:>CELL$}", format!("E{}", i + 1)));
        }
        out.push(p.heading(&head));
        for r in &c.rows {
            let mut line = format!("  {}", pad(&cut(&r.learner, NAME - 1), NAME, false));
            for &i in block {
                let v = r.exam_scores.get(i).copied().flatten();
                let cell = v.map_or_else(
                    || "-".to_string(),
                    |v| format!("{}", (v * 100.0).round() as u32),
                );
                line.push_str(&format!("{cell:>CELL$}"));
            }
            out.push(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_cuts_with_an_ellipsis_and_cleans() {
        assert_eq!(cut("abc\x1b[2Jdef", 20), "abcdef");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("日本語です", 5), "日本…");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(12_000), "12s");
        assert_eq!(duration(187_000), "3m 07s");
        assert_eq!(duration(3_900_000), "1h 05m");
    }
}
