//! A whole screen as rows, before it is drawn: a header at the top, a footer at the bottom, and a body between them
//! that scrolls when it does not fit, keeping in view what must be seen (the option under the cursor, the editor
//! line) or starting at a line the learner scrolled to. Pure: the terminal I/O is in [`super::Screen`].

use super::super::layout;
use super::super::render::{Line, Style};
use crate::text::clean;

/// Which part of a body that does not fit is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    /// Lines `first..=last` must be in view (the option under the cursor).
    Focus(usize, usize),
    /// Start at this line (a page the learner scrolls).
    Top(usize),
}

/// What a screen shows. Lines are already wrapped to the width they are drawn in (see [`wrapped`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub header: Vec<Line>,
    pub body: Vec<Line>,
    pub footer: Vec<Line>,
    pub scroll: Scroll,
    /// Where the text cursor stands: (body line, column); `None` hides it.
    pub cursor: Option<(usize, usize)>,
}

/// A frame laid out in rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// Exactly the screen's height.
    pub rows: Vec<Line>,
    /// (row, column) of the text cursor, when it is in view.
    pub cursor: Option<(usize, usize)>,
    /// The largest body line a page may start at (0 when the body fits).
    pub max_top: usize,
}

/// `text`, cleaned and wrapped to `width` with the indents of [`layout::wrap`], as lines of one style.
pub fn wrapped(style: Style, text: &str, width: usize, first: &str, rest: &str) -> Vec<Line> {
    layout::wrap(&clean(text), width, first, rest)
        .into_iter()
        .map(|text| Line { text, style })
        .collect()
}

/// `left` wrapped to leave room for `right`, which ends the first line: the lines of a header that shows the
/// title and the time left, neither ever cut.
pub fn spread(left: &str, right: &str, width: usize) -> Vec<String> {
    let room = width
        .saturating_sub(layout::display_width(right) + 2)
        .max(10);
    let mut lines = layout::wrap(left, room, "", "");
    if let Some(first) = lines.first_mut() {
        let gap = width.saturating_sub(layout::display_width(first) + layout::display_width(right));
        first.push_str(&" ".repeat(gap));
        first.push_str(right);
    }
    lines
}

fn blank() -> Line {
    Line {
        text: String::new(),
        style: Style::Plain,
    }
}

impl Frame {
    /// The frame in `height` rows: the header, as much body as fits (with "more above/below" marks when it does
    /// not), blank rows, and the footer on the last rows. A header and footer taller than the screen lose their
    /// last lines first; at least one body row is kept when there is room for one.
    pub fn render(&self, height: usize) -> Drawn {
        let mut header = self.header.clone();
        let mut footer = self.footer.clone();
        while header.len() + footer.len() + 1 > height && !footer.is_empty() {
            footer.remove(0);
        }
        header.truncate(height.saturating_sub(footer.len() + 1));
        let room = height.saturating_sub(header.len() + footer.len());
        let n = self.body.len();
        let mut rows = header.clone();
        let cursor;
        let mut max_top = 0;
        let at = |line: usize, first: usize, shown: usize, offset: usize| {
            (line >= first && line < first + shown).then_some(header.len() + offset + line - first)
        };
        if n <= room {
            rows.extend(self.body.iter().cloned());
            cursor = self
                .cursor
                .and_then(|(l, c)| at(l, 0, n, 0).map(|r| (r, c)));
        } else if room < 3 {
            let top = match self.scroll {
                Scroll::Focus(first, _) => first.min(n - room),
                Scroll::Top(t) => t.min(n - room),
            };
            max_top = n - room;
            rows.extend(self.body[top..top + room].iter().cloned());
            cursor = self
                .cursor
                .and_then(|(l, c)| at(l, top, room, 0).map(|r| (r, c)));
        } else {
            // One row each for the marks above and below.
            let inner = room - 2;
            max_top = n - inner;
            let top = match self.scroll {
                Scroll::Top(t) => t.min(max_top),
                Scroll::Focus(_, last) if last < inner => 0,
                Scroll::Focus(first, last) => (last + 1 - inner).min(first).min(max_top),
            };
            let mark = |shown: bool, text: &str| {
                if shown {
                    Line {
                        text: text.to_string(),
                        style: Style::Dim,
                    }
                } else {
                    blank()
                }
            };
            rows.push(mark(top > 0, "\u{2191} more above"));
            rows.extend(self.body[top..top + inner].iter().cloned());
            rows.push(mark(top + inner < n, "\u{2193} more below"));
            cursor = self
                .cursor
                .and_then(|(l, c)| at(l, top, inner, 1).map(|r| (r, c)));
        }
        while rows.len() + footer.len() < height {
            rows.push(blank());
        }
        rows.extend(footer);
        Drawn {
            rows,
            cursor,
            max_top,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(prefix: &str, n: usize) -> Vec<Line> {
        (0..n)
            .map(|i| Line {
                text: format!("{prefix}{i}"),
                style: Style::Plain,
            })
            .collect()
    }

    fn frame(body: usize, scroll: Scroll) -> Frame {
        Frame {
            header: lines("h", 2),
            body: lines("b", body),
            footer: lines("f", 1),
            scroll,
            cursor: None,
        }
    }

    fn texts(d: &Drawn) -> Vec<&str> {
        d.rows.iter().map(|l| l.text.as_str()).collect()
    }

    /// Attack: a short body must leave the footer on the last row and the rows between blank.
    #[test]
    fn a_body_that_fits_is_shown_whole_with_the_footer_at_the_bottom() {
        let d = frame(3, Scroll::Focus(0, 0)).render(10);
        assert_eq!(
            texts(&d),
            ["h0", "h1", "b0", "b1", "b2", "", "", "", "", "f0"]
        );
        assert_eq!(d.max_top, 0);
    }

    /// Attack: the option under the cursor at the end of a long list must be on screen, with marks saying there is
    /// more above, and the screen never gets more rows than it has.
    #[test]
    fn a_long_body_scrolls_to_keep_the_focus_in_view() {
        let d = frame(30, Scroll::Focus(25, 26)).render(10);
        assert_eq!(d.rows.len(), 10);
        let t = texts(&d);
        assert_eq!(t[2], "\u{2191} more above");
        assert!(t.contains(&"b25") && t.contains(&"b26"), "{t:?}");
        assert_eq!(t[8], "\u{2193} more below");
        assert_eq!(t[9], "f0");
        // At the top: no mark above.
        let d = frame(30, Scroll::Focus(0, 1)).render(10);
        assert_eq!(texts(&d)[2], "");
        assert_eq!(texts(&d)[3], "b0");
    }

    /// Attack: paging past the end must stop at the last page (the last line in view), not show an empty screen.
    #[test]
    fn a_page_past_the_end_stops_at_the_last_line() {
        let d = frame(30, Scroll::Top(100)).render(10);
        let t = texts(&d);
        assert_eq!(t[7], "b29");
        assert_eq!(d.max_top, 25);
    }

    /// Attack: the text cursor must land on the row its body line is drawn on, and vanish when scrolled away.
    #[test]
    fn the_cursor_follows_its_line() {
        let mut f = frame(3, Scroll::Focus(2, 2));
        f.cursor = Some((2, 5));
        assert_eq!(f.render(10).cursor, Some((4, 5)));
        let mut f = frame(30, Scroll::Top(0));
        f.cursor = Some((29, 1));
        assert_eq!(f.render(10).cursor, None);
    }

    /// Attack: a header with the time on the right must fit the width exactly, a long title wrapped under it,
    /// never cut or wrapped by the terminal.
    #[test]
    fn spread_fits_the_width() {
        let s = spread(
            "A very long exam title that goes on and on",
            "4:59 left",
            30,
        );
        assert_eq!(
            s,
            [
                "A very long exam     4:59 left",
                "title that goes on",
                "and on"
            ]
        );
        assert!(s.iter().all(|l| layout::display_width(l) <= 30));
        assert_eq!(spread("Quiz", "1:00 left", 20), ["Quiz       1:00 left"]);
    }
}
