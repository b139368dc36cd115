//! The HTML progress report of `detente report --html`: one self-contained file (inline CSS; no scripts, fonts or
//! network), with hand-drawn SVG charts (the due forecast, retention per week, the study heatmap, the class matrix)
//! and mastery by theme and deck as HTML bars. Every piece of text from decks or learners is escaped. The markup is
//! well-formed XML (void elements self-closed), and prints cleanly. It reads at any width: text never under 12 px,
//! tables and labels wrap, a chart keeps its size and scrolls sideways inside its own box on a phone; a chart with
//! nothing to draw says so instead. The class server's class page is made of the same pieces (`site_page` and the
//! sections after it).
//!
//! One concern: detente's HTML, one style for the file reports and the class page alike.

use crate::stats::{Class, GroupBy, Heatmap, Mastery, Stats, TroubleCard, WeekRetention};
use crate::time::Day;
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values, cleaned first (see [`super::clean`]).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in super::clean(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font-family: system-ui, sans-serif; font-size: 16px; color: #222; background: #fff; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; max-width: 100%; } td, th { padding: 0.2rem 0.6rem; text-align: left; border-bottom: 1px solid #eee; overflow-wrap: break-word; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart, .wide { overflow-x: auto; max-width: 100%; }
svg { display: block; } svg text { font-family: system-ui, sans-serif; font-size: 12px; fill: #333; }
.bars { display: grid; grid-template-columns: minmax(6rem, 22rem) minmax(4rem, 1fr) 3.5rem; gap: 0.3rem 0.8rem; align-items: center; }
.bars meter { width: 100%; height: 1rem; } .bars .n { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #666; } .key { overflow-wrap: anywhere; }
nav { display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; padding: 0.5rem 0; border-bottom: 1px solid #ccc; }
form { margin: 0; } button { font: inherit; padding: 0.2rem 0.8rem; }
ul.flags { list-style: none; padding: 0; } ul.flags li { border-bottom: 1px solid #eee; padding: 0.5rem 0; }
ul.flags p { margin: 0.2rem 0; overflow-wrap: anywhere; }
.error { color: #a00; } .ok { color: #060; }
section { break-inside: avoid; page-break-inside: avoid; }
@media (max-width: 600px) { body { margin: 1rem auto; } td, th { padding: 0.2rem 0.3rem; } }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  .chart, .wide { overflow: visible; } svg { max-width: 100%; height: auto; }
  nav, form { display: none; }
}
";
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<link rel=\"icon\" href=\"data:,\"/>\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

fn pct(v: f64) -> String {
    format!("{}%", (v * 100.0).round() as i64)
}

/// The one-learner report.
pub fn learner_report(learner: &str, s: &Stats) -> String {
    let mut b = String::new();
    let title = format!("Progress of {learner}");
    let _ = writeln!(
        b,
        "<h1>{}</h1>\n<p class=\"muted\">{}</p>",
        escape(&title),
        s.today_day.iso()
    );
    let c = &s.counts;
    let _ = writeln!(
        b,
        "<section><h2>Summary</h2><table>\
<tr><th>Due today</th><td class=\"n\">{}</td><th>New</th><td class=\"n\">{}</td></tr>\
<tr><th>In learning</th><td class=\"n\">{}</td><th>Young</th><td class=\"n\">{}</td></tr>\
<tr><th>New left today</th><td class=\"n\">{}</td><th>Mature</th><td class=\"n\">{}</td></tr>\
<tr><th>Streak (days)</th><td class=\"n\">{}</td><th>Leeches</th><td class=\"n\">{}</td></tr>\
<tr><th>Time, last 7 days</th><td class=\"n\">{}</td><th>Time, total</th><td class=\"n\">{}</td></tr>\
<tr><th>Retention, 7 days</th><td class=\"n\">{}</td><th>Retention, 30 days</th><td class=\"n\">{}</td></tr>\
</table></section>",
        s.today.due,
        c.new,
        s.today.learning,
        c.young,
        s.today.new_left,
        c.mature,
        s.streak_days,
        c.leeches,
        escape(&super::stats::duration(s.time.last_7_days_ms)),
        escape(&super::stats::duration(s.time.total_ms)),
        escape(&super::stats::percent(s.retention_7_days.all.rate)),
        escape(&super::stats::percent(s.retention_30_days.all.rate)),
    );
    let _ = writeln!(
        b,
        "<section><h2>Due in the next 30 days</h2>\n{}</section>",
        if s.forecast.iter().all(|&d| d == 0) {
            empty("Nothing is due in the next 30 days.")
        } else {
            chart(forecast_svg(&s.forecast))
        }
    );
    let _ = writeln!(
        b,
        "<section><h2>True retention per week</h2>\n{}</section>",
        if s.retention_weekly.iter().all(|w| w.rate.rate.is_none()) {
            empty(
                "No reviews yet: the share of cards remembered when they come back for review shows here once \
                 cards learned earlier come due.",
            )
        } else {
            chart(retention_svg(&s.retention_weekly))
        }
    );
    let _ = writeln!(
        b,
        "<section><h2>Study over the last 26 weeks</h2>\n{}</section>",
        if s.heatmap.max == 0 {
            empty("No study in the last 26 weeks.")
        } else {
            chart(heatmap_svg(&s.heatmap))
        }
    );
    if !s.mastery_by_theme.is_empty() {
        let _ = writeln!(
            b,
            "<section><h2>Mastery by theme (recall predicted {} days ahead)</h2>\n{}</section>",
            crate::stats::HORIZON_DAYS,
            bars(&s.mastery_by_theme)
        );
    }
    let _ = writeln!(
        b,
        "<section><h2>Mastery by deck (recall predicted {} days ahead)</h2>\n{}</section>",
        crate::stats::HORIZON_DAYS,
        bars(&s.mastery_by_deck)
    );
    let _ = writeln!(
        b,
        "<section><h2>Leeches and most-failed cards</h2>\n{}</section>",
        trouble_table(&s.leeches, &s.most_failed)
    );
    page(&title, &b)
}

/// The class report: the weakest columns and the matrix.
pub fn class_report(c: &Class) -> String {
    page(&class_title(c), &class_body(c, None))
}

fn class_title(c: &Class) -> String {
    let by = match c.by {
        GroupBy::Deck => "deck",
        GroupBy::Theme => "theme",
    };
    format!("Class progress by {by}")
}

/// A link to a learner's page, by name (the class page's; none in a file).
pub type LearnerLink<'a> = &'a dyn Fn(&str) -> String;

/// The class report's sections, each learner's name a link when `link` gives one.
fn class_body(c: &Class, link: Option<LearnerLink>) -> String {
    let title = class_title(c);
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<h1>{}</h1>\n<p class=\"muted\">{}, {} learner(s)</p>",
        escape(&title),
        c.today_day.iso(),
        c.rows.len()
    );
    let order: Vec<usize> = c
        .weakest
        .iter()
        .filter_map(|k| c.columns.iter().position(|col| &col.key == k))
        .collect();
    let means: Vec<Mastery> = order
        .iter()
        .map(|&i| Mastery {
            key: c.columns[i].key.clone(),
            label: c.columns[i].label.clone(),
            cards: 0,
            studied: 0,
            mastery: c.columns[i].mean,
        })
        .collect();
    let _ = writeln!(
        b,
        "<section><h2>Class mean mastery, weakest first</h2>\n{}</section>",
        bars(&means)
    );
    let _ = writeln!(
        b,
        "<section><h2>Mastery matrix</h2>\n{}</section>",
        if c.rows.is_empty() {
            empty("No learners yet.")
        } else {
            matrix_svg(c, &order)
        }
    );
    let mut t = String::from(
        "<table><tr><th>Learner</th><th class=\"n\">Reviews, 7 days</th><th>Last active (study or exam)</th><th class=\"n\">Open flags</th>",
    );
    for e in &c.exams {
        let _ = write!(
            t,
            "<th class=\"n\" title=\"{}\">{} %</th>",
            escape(&e.title),
            escape(&e.id)
        );
    }
    t.push_str("</tr>");
    for r in &c.rows {
        let _ = write!(
            t,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td>",
            link.map_or_else(
                || escape(&r.learner),
                |link| format!(
                    "<a href=\"{}\">{}</a>",
                    escape(&link(&r.learner)),
                    escape(&r.learner)
                )
            ),
            r.reviews_7_days,
            r.last_active_day
                .map_or_else(|| "never".to_string(), Day::iso),
            r.open_flags
        );
        for s in &r.exam_scores {
            let _ = write!(
                t,
                "<td class=\"n\">{}</td>",
                s.map_or_else(|| "-".to_string(), pct)
            );
        }
        t.push_str("</tr>");
    }
    t.push_str("</table>");
    let _ = writeln!(
        b,
        "<section><h2>Activity, open flags and exams</h2>\n<p class=\"muted\">Exam columns: each learner's best \
         closed supervised attempt, in percent of its maximum (attempts imported from a student's machine are left \
         out).</p>\n<div class=\"wide\">{t}</div></section>"
    );
    b
}

// ------------------------------------------------------------------------------------------ the class page's parts

/// One page of the class server's class page: the report's style, a navigation bar of `(href, label)` links (the
/// current one marked), and `body`. No script, no external request.
pub fn site_page(title: &str, nav: &[(&str, &str)], current: &str, body: &str) -> String {
    let mut links = String::from("<nav>");
    for (href, label) in nav {
        if *href == current {
            let _ = write!(links, "<strong>{}</strong>", escape(label));
        } else {
            let _ = write!(links, "<a href=\"{}\">{}</a>", escape(href), escape(label));
        }
    }
    links.push_str("</nav>\n");
    page(title, &format!("{links}{body}"))
}

/// The class report's sections for the class page, each learner's name a link to their page.
pub fn class_sections(c: &Class, link: LearnerLink) -> String {
    class_body(c, Some(link))
}

/// One learner's row of the class view as a page's body: mastery per column as bars, activity, exam scores and open
/// flags. `None` when the class has no such learner.
pub fn learner_section(c: &Class, name: &str) -> Option<String> {
    let row = c.rows.iter().find(|r| r.learner == name)?;
    let mut b = format!(
        "<h1>{}</h1>\n<p class=\"muted\">{}</p>\n",
        escape(&format!("Progress of {name}")),
        c.today_day.iso()
    );
    let mastery: Vec<Mastery> = c
        .columns
        .iter()
        .zip(&row.mastery)
        .map(|(col, &m)| Mastery {
            key: col.key.clone(),
            label: col.label.clone(),
            cards: 0,
            studied: 0,
            mastery: m,
        })
        .collect();
    let _ = writeln!(
        b,
        "<section><h2>Mastery (recall predicted {} days ahead)</h2>\n{}</section>",
        crate::stats::HORIZON_DAYS,
        bars(&mastery)
    );
    let _ = write!(
        b,
        "<section><h2>Activity</h2><table><tr><th>Reviews, last 7 days</th><td class=\"n\">{}</td></tr>\
         <tr><th>Last active (study or exam)</th><td>{}</td></tr><tr><th>Open flags</th><td class=\"n\">{}</td></tr>",
        row.reviews_7_days,
        row.last_active_day
            .map_or_else(|| "never".to_string(), Day::iso),
        row.open_flags
    );
    for (e, score) in c.exams.iter().zip(&row.exam_scores) {
        let _ = write!(
            b,
            "<tr><th>{} ({})</th><td class=\"n\">{}</td></tr>",
            escape(&e.title),
            escape(&e.id),
            score.map_or_else(|| "-".to_string(), pct)
        );
    }
    b.push_str("</table></section>\n");
    Some(b)
}

/// Item analysis as a table: broken-looking items first, as the terminal's `report items` lists them.
pub fn items_table(items: &[crate::exam::analysis::ItemStats]) -> String {
    if items.is_empty() {
        return empty("No answers to analyse yet.");
    }
    let mut t = String::from(
        "<div class=\"wide\"><table><tr><th>Item</th><th>Question</th><th class=\"n\">Answers</th>\
         <th class=\"n\">Facility</th><th class=\"n\">Discrimination</th><th>Looks broken because</th></tr>",
    );
    for i in items {
        let _ = write!(
            t,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            escape(&i.item),
            escape(&i.prompt),
            i.answered,
            pct(i.facility),
            i.discrimination
                .map_or_else(|| "-".to_string(), |d| format!("{d:+.2}")),
            escape(&i.flags.join("; "))
        );
    }
    t.push_str("</table></div>");
    t
}

/// The flags learners raised, one block each (readable at any width); each with a form that resolves it,
/// carrying `csrf` (the session's token) and posting to `resolve`.
pub fn flags_table(flags: &[crate::store::FlagRow], resolve: &str, csrf: &str) -> String {
    if flags.is_empty() {
        return empty("No open flags.");
    }
    let mut t = String::from("<ul class=\"flags\">");
    for f in flags {
        let when = chrono::DateTime::from_timestamp(f.flagged_at, 0)
            .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string());
        let _ = write!(
            t,
            "<li><p><strong>{}/{}</strong> <span class=\"muted\">flag {}, by {} on {when}</span></p><p>{}</p>\
             <form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"id\" value=\"{}\"/>\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"/><button type=\"submit\">Resolve</button></form></li>",
            escape(&f.deck),
            escape(&f.card),
            f.id,
            escape(&f.learner),
            f.note.as_deref().map_or_else(
                || "<span class=\"muted\">(no note)</span>".to_string(),
                escape
            ),
            escape(resolve),
            f.id,
            escape(csrf)
        );
    }
    t.push_str("</ul>");
    t
}

/// A paragraph in place of a chart with nothing to draw.
fn empty(why: &str) -> String {
    format!("<p class=\"muted\">{}</p>", escape(why))
}

/// A chart at its own size, scrolling sideways on its own where the page is narrower (a phone), so that its text
/// keeps its size and the page does not scroll.
fn chart(svg: String) -> String {
    format!("<div class=\"chart\">{svg}</div>")
}

fn forecast_svg(days: &[u32]) -> String {
    let (w, h, left, bottom) = (640.0, 180.0, 36.0, 24.0);
    let max = days.iter().copied().max().unwrap_or(0).max(1);
    let slot = (w - left) / days.len().max(1) as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Cards due per day\">"
    );
    let _ = write!(
        s,
        "<text x=\"0\" y=\"12\">{max}</text><text x=\"0\" y=\"{}\">0</text>",
        h - bottom
    );
    for (i, &d) in days.iter().enumerate() {
        let bh = f64::from(d) / f64::from(max) * (h - bottom - 10.0);
        let x = left + i as f64 * slot;
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#4a7fb5\"><title>+{i} days: {d}</title></rect>",
            h - bottom - bh,
            slot * 0.8
        );
        if i % 5 == 0 {
            let label = if i == 0 {
                "today".to_string()
            } else {
                format!("+{i}")
            };
            let _ = write!(s, "<text x=\"{x:.1}\" y=\"{}\">{label}</text>", h - 6.0);
        }
    }
    s.push_str("</svg>");
    s
}

fn retention_svg(weeks: &[WeekRetention]) -> String {
    let (w, h, left, bottom) = (640.0, 180.0, 40.0, 24.0);
    let n = weeks.len().max(2);
    let x = |i: usize| left + i as f64 * (w - left - 20.0) / (n - 1) as f64;
    // Retention from 50% to 100%.
    let y = |r: f64| 10.0 + (1.0 - (r.clamp(0.5, 1.0) - 0.5) * 2.0) * (h - bottom - 10.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"True retention per week\">"
    );
    for r in [0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#ddd\"/><text x=\"0\" y=\"{2:.1}\">{3}</text>",
            y(r),
            w - 10.0,
            y(r) + 4.0,
            pct(r)
        );
    }
    // Weeks without reviews break the line.
    let mut segment: Vec<String> = Vec::new();
    let flush = |segment: &mut Vec<String>, s: &mut String| {
        if segment.len() > 1 {
            let _ = write!(
                s,
                "<polyline fill=\"none\" stroke=\"#2e7d32\" stroke-width=\"2\" points=\"{}\"/>",
                segment.join(" ")
            );
        }
        segment.clear();
    };
    for (i, wk) in weeks.iter().enumerate() {
        match wk.rate.rate {
            Some(r) => {
                segment.push(format!("{:.1},{:.1}", x(i), y(r)));
                let _ = write!(
                    s,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#2e7d32\"><title>week to {}: {} ({}/{})</title></circle>",
                    x(i),
                    y(r),
                    wk.last_day.iso(),
                    pct(r),
                    wk.rate.passed,
                    wk.rate.reviews
                );
            }
            None => flush(&mut segment, &mut s),
        }
        if i % 3 == 0 || i + 1 == weeks.len() {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{}\">{}</text>",
                x(i) - 14.0,
                h - 6.0,
                &wk.last_day.iso().get(5..).unwrap_or("")
            );
        }
    }
    flush(&mut segment, &mut s);
    s.push_str("</svg>");
    s
}

fn heatmap_svg(hm: &Heatmap) -> String {
    const NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const SHADES: [&str; 5] = ["#ebedf0", "#c6e48b", "#7bc96f", "#239a3b", "#196127"];
    let cell = 14.0;
    let left = 32.0;
    let cols = hm.cells.first().map_or(0, Vec::len);
    let w = left + cols as f64 * cell + 4.0;
    let h = 7.0 * cell + 20.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Reviews per day\">"
    );
    for (row, cells) in hm.cells.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{:.1}\">{}</text>",
            row as f64 * cell + 11.0,
            NAMES.get(row).copied().unwrap_or("")
        );
        for (col, c) in cells.iter().enumerate() {
            let Some(n) = c else { continue };
            let level = if *n == 0 {
                0
            } else {
                ((n * 4).div_ceil(hm.max.max(1))).clamp(1, 4) as usize
            };
            let day = hm.first_day + (col * 7 + row) as i64;
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {n}</title></rect>",
                left + col as f64 * cell,
                row as f64 * cell,
                cell - 2.0,
                cell - 2.0,
                SHADES[level],
                day.iso()
            );
        }
    }
    let _ = write!(
        s,
        "<text x=\"{left}\" y=\"{}\">from {} to today, up to {} reviews a day</text></svg>",
        h - 4.0,
        hm.first_day.iso(),
        hm.max
    );
    s
}

/// Mastery as bars in HTML (labels wrap, text keeps its size at any width): one row per deck or theme, the bar a
/// `<meter>`.
fn bars(rows: &[Mastery]) -> String {
    if rows.is_empty() {
        return empty("No cards yet.");
    }
    let mut s = String::from("<div class=\"bars\">");
    for m in rows {
        let label = if m.key.starts_with("theme:") {
            format!("{}: {}", m.key.trim_start_matches("theme:"), m.label)
        } else {
            m.label.clone()
        };
        let _ = write!(
            s,
            "<span title=\"{}\">{}</span><meter min=\"0\" max=\"1\" value=\"{:.3}\">{}</meter><span class=\"n\">{}</span>",
            escape(&m.key),
            escape(&label),
            m.mastery.clamp(0.0, 1.0),
            pct(m.mastery),
            pct(m.mastery)
        );
    }
    s.push_str("</div>");
    s
}

fn matrix_svg(c: &Class, order: &[usize]) -> String {
    let (cell_w, cell_h, name_w, head_h) = (44.0, 20.0, 160.0, 20.0);
    let w = name_w + order.len() as f64 * cell_w + 4.0;
    let h = head_h + c.rows.len() as f64 * cell_h + 4.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Mastery per learner\">"
    );
    for (n, &i) in order.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"14\">#{}<title>{}</title></text>",
            name_w + n as f64 * cell_w + 10.0,
            n + 1,
            escape(&format!("{}: {}", c.columns[i].key, c.columns[i].label))
        );
    }
    for (r, row) in c.rows.iter().enumerate() {
        let y = head_h + r as f64 * cell_h;
        let name: String = row.learner.chars().take(24).collect();
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{:.1}\">{}</text>",
            y + 14.0,
            escape(&name)
        );
        for (n, &i) in order.iter().enumerate() {
            let v = row.mastery.get(i).copied().unwrap_or(0.0).clamp(0.0, 1.0);
            // From pale red (0%) to green (100%).
            let (red, green) = ((230.0 - 150.0 * v) as u8, (120.0 + 100.0 * v) as u8);
            let x = name_w + n as f64 * cell_w;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"rgb({red},{green},120)\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                cell_w - 2.0,
                cell_h - 2.0,
                x + 8.0,
                y + 14.0,
                pct(v)
            );
        }
    }
    s.push_str("</svg>");
    let mut legend = String::from(
        "<table><tr><th>#</th><th>Column (label, key)</th><th class=\"n\">Class mean</th></tr>",
    );
    for (n, &i) in order.iter().enumerate() {
        let col = &c.columns[i];
        let _ = write!(
            legend,
            "<tr><td>{}</td><td>{}<br/><span class=\"key muted\">{}</span></td><td class=\"n\">{}</td></tr>",
            n + 1,
            escape(&col.label),
            escape(&col.key),
            pct(col.mean)
        );
    }
    legend.push_str("</table>");
    format!("{}\n{legend}", chart(s))
}

fn trouble_table(leeches: &[TroubleCard], failed: &[TroubleCard]) -> String {
    if leeches.is_empty() && failed.is_empty() {
        return "<p>None.</p>".to_string();
    }
    let mut t = String::from(
        "<table><tr><th class=\"n\">Failed</th><th>Leech</th><th>Deck</th><th>Prompt</th></tr>",
    );
    let mut seen = std::collections::HashSet::new();
    for c in leeches.iter().chain(failed) {
        if !seen.insert(c.card_id) {
            continue;
        }
        let _ = write!(
            t,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.failures,
            if c.leech { "yes" } else { "" },
            escape(&c.deck_id),
            escape(&c.prompt)
        );
    }
    t.push_str("</table>");
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<b>\"NATO\" & 'Russia'</b>"),
            "&lt;b&gt;&quot;NATO&quot; &amp; &#39;Russia&#39;&lt;/b&gt;"
        );
    }
}
