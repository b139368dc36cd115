//! Questions' feedback, session summaries and notices as text: pure string building within a width, with the
//! marks and styles the terminal paints. Deck text is cleaned of control characters here.

use super::layout;
use crate::grade::Rule;
use crate::session::{Detail, Feedback, Summary};
use crate::text::clean;

/// Marks.
const RIGHT: &str = "\u{2713}";
const WRONG: &str = "\u{2717}";
/// The separator of items on one line.
pub(super) const DOT: &str = " \u{b7} ";

/// The indent of a line of plain text, and the hanging indent its wrapped lines get: under the text after a list
/// marker ("- ", "3. ", "✓ ") when it has one.
pub(super) fn indents(line: &str) -> (String, String) {
    let lead = &line[..line.len() - line.trim_start().len()];
    let body = line.trim_start();
    let marker = body.split_once(' ').map(|(m, _)| m).filter(|m| {
        ["-", "*", "\u{2022}", RIGHT, WRONG, "~"].contains(m)
            || (m.ends_with('.') || m.ends_with(')'))
                && m.len() <= 4
                && m[..m.len() - 1].chars().all(|c| c.is_ascii_digit())
    });
    let hang = marker.map_or(0, |m| layout::display_width(m) + 1);
    (lead.to_string(), format!("{lead}{}", " ".repeat(hang)))
}

/// How a line of feedback is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Right,
    Wrong,
    Dim,
    Warn,
    /// Stands out: a question's prompt.
    Bold,
    /// The option under the cursor on a full screen.
    Selected,
    Plain,
}

/// A line of feedback, wrapped, with its style.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub text: String,
    pub style: Style,
}

/// The feedback after an answer, laid out within `width` columns: the verdict and the expected answer first, then
/// what was right and wrong item by item, then the explanation, then the source and the next review. Deck text is
/// cleaned.
pub fn render_feedback(f: &Feedback, width: usize) -> Vec<Line> {
    let mut out = Vec::new();
    let mut add = |style: Style, text: &str, first: &str, rest: &str| {
        for t in layout::wrap(text, width, first, rest) {
            out.push(Line { text: t, style });
        }
    };
    let verdict = if f.correct {
        Style::Right
    } else {
        Style::Wrong
    };
    let expected = clean(&f.expected);
    let head = match (f.correct, f.rule, &f.detail) {
        (true, Rule::SelfGraded, _) => format!("{RIGHT} {}", clean(&f.given)),
        (false, Rule::SelfGraded, _) => format!("{WRONG} Again"),
        (true, Rule::Override, _) => format!("{RIGHT} Marked right (your override)"),
        (true, _, Detail::Plain | Detail::Choice { .. }) if f.rule == Rule::Exact => {
            format!("{RIGHT} Right")
        }
        (true, _, Detail::Plain | Detail::Choice { .. }) => {
            format!("{RIGHT} Right: {expected}")
        }
        (true, _, _) => format!("{RIGHT} Right"),
        (false, _, Detail::Order { given, right }) => {
            let placed = given.iter().zip(right).filter(|(g, r)| g == r).count();
            format!("{WRONG} Wrong: {placed} of {} in place", right.len())
        }
        (false, _, Detail::Match(rows)) => {
            let ok = rows.iter().filter(|r| r.picked == r.right).count();
            format!("{WRONG} Wrong: {ok} of {} matched", rows.len())
        }
        (false, _, Detail::Multi(ticks)) => {
            let ok = ticks.iter().filter(|t| t.ticked == t.right).count();
            format!(
                "{WRONG} Wrong: you judged {ok} of {} choices right",
                ticks.len()
            )
        }
        (false, _, _) => format!("{WRONG} Wrong. The answer: {expected}"),
    };
    add(verdict, &head, "", "  ");
    match &f.detail {
        Detail::Choice { picked } if !f.correct => {
            add(
                Style::Plain,
                &format!("You picked: {}", clean(picked)),
                "  ",
                "    ",
            );
        }
        Detail::Order { given, right } if !f.correct => {
            // The right order, one column (it fits a small screen where two columns side by side do not), each
            // item marked and, when misplaced, where the learner put it.
            add(
                Style::Plain,
                "The right order, and where you put each:",
                "  ",
                "  ",
            );
            for (i, r) in right.iter().enumerate() {
                let placed = given.iter().position(|g| g == r);
                let (mark, style, note) = match placed {
                    Some(p) if p == i => (RIGHT, Style::Right, String::new()),
                    Some(p) => (
                        WRONG,
                        Style::Wrong,
                        format!(" (you put it {})", ordinal(p + 1)),
                    ),
                    None => (WRONG, Style::Wrong, " (you left it out)".to_string()),
                };
                let first = format!("  {:>2}. {mark} ", i + 1);
                let rest = " ".repeat(layout::display_width(&first));
                add(style, &format!("{}{note}", clean(r)), &first, &rest);
            }
        }
        Detail::Match(rows) if !f.correct => {
            for r in rows {
                let ok = r.picked == r.right;
                let mark = if ok { RIGHT } else { WRONG };
                let picked = if r.picked.is_empty() {
                    "(nothing)".to_string()
                } else {
                    clean(&r.picked)
                };
                let indent = "    ";
                add(
                    if ok { Style::Right } else { Style::Wrong },
                    &format!("{mark} {} \u{2192} {picked}", clean(&r.left)),
                    "  ",
                    indent,
                );
                if !ok {
                    add(
                        Style::Plain,
                        &format!("right: {}", clean(&r.right)),
                        indent,
                        "           ",
                    );
                }
            }
        }
        Detail::Multi(ticks) if !f.correct => {
            for t in ticks {
                let boxed = if t.ticked { "[x]" } else { "[ ]" };
                let mark = if t.ticked == t.right { RIGHT } else { WRONG };
                let note = match (t.ticked, t.right) {
                    (true, false) => " (not a right answer)",
                    (false, true) => " (a right answer you did not tick)",
                    _ => "",
                };
                add(
                    if t.ticked == t.right {
                        Style::Right
                    } else {
                        Style::Wrong
                    },
                    &format!("{boxed} {mark} {}{note}", clean(&t.choice)),
                    "  ",
                    "        ",
                );
            }
        }
        _ => {}
    }
    if let Some((typed, near)) = &f.near {
        add(
            Style::Plain,
            &format!(
                "You typed {}; the answer is {} ({}).",
                clean(typed),
                clean(near),
                crate::grade::near_miss_note(typed, near)
            ),
            "  ",
            "  ",
        );
    } else if !f.correct
        && f.rule != Rule::SelfGraded
        && matches!(f.detail, Detail::Plain)
        && !f.given.trim().is_empty()
    {
        add(
            Style::Plain,
            &format!("You answered: {}", clean(&f.given)),
            "  ",
            "    ",
        );
        if let Some(why) = &f.why {
            add(Style::Plain, &clean(why), "  ", "  ");
        }
    }
    if let Some(e) = &f.explain {
        add(Style::Plain, &clean(e), "  ", "  ");
    }
    let mut tail = Vec::new();
    if let Some(c) = &f.citation {
        tail.push(format!("Source: {}", clean(c)));
    }
    if let Some(d) = &f.next_due {
        tail.push(format!("Next review: {d}"));
    }
    let joined = tail.join(DOT);
    if layout::display_width(&joined) + 2 <= width {
        add(Style::Dim, &joined, "  ", "  ");
    } else {
        for t in &tail {
            add(Style::Dim, t, "  ", "    ");
        }
    }
    if f.leech {
        add(
            Style::Warn,
            "This card is a leech: you have failed it 8 times. Try a new way to remember it.",
            "  ",
            "  ",
        );
    }
    out
}

/// The end-of-session summary as text.
pub fn render_summary(s: &Summary) -> String {
    let mins = s.seconds / 60;
    let secs = s.seconds % 60;
    let pct = layout::percent(s.right, s.done)
        .map(|p| format!(" ({p}%)"))
        .unwrap_or_default();
    let mut out = format!(
        "{}: {} card{} done, {} right{pct}, in {mins}m {secs:02}s.",
        if s.cram {
            "Cram session"
        } else {
            "Session over"
        },
        s.done,
        if s.done == 1 { "" } else { "s" },
        s.right
    );
    if !s.cram {
        let plural = |n: u32| if n == 1 { "card" } else { "cards" };
        out.push('\n');
        if s.later_today > 0 {
            out.push_str(&format!(
                "{} {} in learning come back later today. ",
                s.later_today,
                plural(s.later_today)
            ));
        }
        out.push_str(&format!("Due tomorrow: {}.", s.due_tomorrow));
    } else {
        out.push_str(" Cramming moved no schedule.");
    }
    if let Some(u) = &s.unsaved {
        out.push_str(&format!("\nNot saved: {}.", clean(u)));
    }
    out
}

/// 1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, ... 21st.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_well() {
        let s = Summary {
            done: 4,
            right: 3,
            seconds: 125,
            due_tomorrow: 2,
            ..Default::default()
        };
        assert_eq!(
            render_summary(&s),
            "Session over: 4 cards done, 3 right (75%), in 2m 05s.\nDue tomorrow: 2."
        );
    }
}
