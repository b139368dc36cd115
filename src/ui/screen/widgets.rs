//! What a full screen waits on, below its header: a list to pick one option from or tick several ([`Pick`]:
//! arrows, digits, letters, Space, Enter), a typed answer ([`Typing`], on the [`LineEditor`]) and a page of text to
//! scroll and leave with a key ([`Page`]). Each lays out its lines at a width and says what a key does; pure, so
//! any screen (an exam's now, a study card's later) can reuse them.

use super::super::layout;
use super::super::render::{Line, Style, indents};
use super::Key;
use super::editor::LineEditor;
use super::frame::{Scroll, wrapped};
use crate::session::Reply;
use crate::text::clean;

/// What a screen waits on: the lines it adds below the question, and what a key does.
pub(super) trait Widget {
    type Out;
    /// The lines at `width`, the lines that must be in view, and the text cursor (line, column).
    fn body(&self, width: usize) -> (Vec<Line>, Scroll, Option<(usize, usize)>);
    /// What a key does; `Some` ends the wait.
    fn key(&mut self, key: Key) -> Option<Reply<Self::Out>>;
    /// The last line a page may start at, once drawn.
    fn seen(&mut self, _max_top: usize) {}
}

/// A list to pick one option from, or to tick several (`ticks`).
pub(super) struct Pick {
    pub(super) label: String,
    pub(super) options: Vec<String>,
    pub(super) cursor: usize,
    pub(super) ticks: Option<Vec<bool>>,
    /// Letters that move the cursor to an option (t and f for true/false).
    pub(super) letters: Vec<(char, usize)>,
    /// Options numbered for the digit keys (lists of up to 9).
    pub(super) numbered: bool,
    /// Columns the wrapped lines of an option are indented by, beyond its marker (under its own text).
    pub(super) hang: usize,
    /// A digit or letter answers at once (ticks, in a list of ticks), as Anki's keys do; else it only moves.
    pub(super) instant: bool,
    /// Typing filters the list (`Some`, with what was typed): only the options holding the text, in any case, are
    /// shown and reached by the arrows; digits pick while nothing has been typed; Backspace and Esc undo it.
    pub(super) filter: Option<String>,
}

impl Pick {
    pub(super) fn new(label: &str, options: Vec<String>) -> Pick {
        let options_len = options.len();
        Pick {
            label: label.to_string(),
            options,
            cursor: 0,
            ticks: None,
            letters: Vec::new(),
            numbered: options_len <= 9,
            hang: 0,
            instant: false,
            filter: None,
        }
    }
}

impl Widget for Pick {
    type Out = Vec<usize>;

    fn body(&self, width: usize) -> (Vec<Line>, Scroll, Option<(usize, usize)>) {
        let mut lines = Vec::new();
        if !self.label.is_empty() {
            lines.extend(wrapped(Style::Plain, &self.label, width, "", ""));
        }
        let numbered = self.numbered;
        let mut focus = (0, 0);
        if let Some(f) = self.filter.as_deref().filter(|f| !f.is_empty()) {
            let shown = self.matching().len();
            lines.extend(wrapped(
                Style::Warn,
                &format!("Filter: {f} ({shown} of {})", self.options.len()),
                width,
                "",
                "  ",
            ));
        }
        for (i, o) in self.options.iter().enumerate() {
            if !self.matches(i) {
                continue;
            }
            let mut first = if i == self.cursor { "> " } else { "  " }.to_string();
            if numbered {
                first.push_str(&format!("{}. ", i + 1));
            }
            if let Some(t) = &self.ticks {
                first.push_str(if t[i] { "[x] " } else { "[ ] " });
            }
            let rest = " ".repeat(layout::display_width(&first) + self.hang);
            let style = if i == self.cursor {
                Style::Selected
            } else {
                Style::Plain
            };
            let start = lines.len();
            lines.extend(wrapped(style, o, width, &first, &rest));
            if i == self.cursor {
                focus = (start, lines.len().saturating_sub(1));
            }
        }
        (lines, Scroll::Focus(focus.0, focus.1), None)
    }

    fn key(&mut self, key: Key) -> Option<Reply<Vec<usize>>> {
        if self.filtering(key) {
            return None;
        }
        let last = self.options.len().saturating_sub(1);
        match key {
            Key::Up => self.cursor = self.cursor.saturating_sub(1),
            Key::Down | Key::Tab => self.cursor = (self.cursor + 1).min(last),
            Key::PageUp => self.cursor = self.cursor.saturating_sub(5),
            Key::PageDown => self.cursor = (self.cursor + 5).min(last),
            Key::Home => self.cursor = 0,
            Key::End => self.cursor = last,
            Key::Char(' ') if self.ticks.is_some() => {
                if let Some(t) = self.ticks.as_mut()
                    && let Some(tick) = t.get_mut(self.cursor)
                {
                    *tick = !*tick;
                }
            }
            Key::Char(c) if self.numbered && c.is_ascii_digit() => {
                let n = c as usize - '0' as usize;
                if (1..=self.options.len()).contains(&n) {
                    self.cursor = n - 1;
                    return self.instant();
                }
            }
            Key::Char(c) => {
                if let Some(&(_, i)) = self
                    .letters
                    .iter()
                    .find(|(l, _)| *l == c.to_ascii_lowercase())
                {
                    self.cursor = i;
                    return self.instant();
                }
            }
            Key::Enter => {
                return Some(Reply::Answer(match &self.ticks {
                    Some(t) => (0..t.len()).filter(|&i| t[i]).collect(),
                    None => vec![self.cursor],
                }));
            }
            Key::Esc => return Some(Reply::Quit),
            _ => {}
        }
        None
    }
}

impl Pick {
    /// What was typed to filter the list, if anything.
    fn typed(&self) -> &str {
        self.filter.as_deref().unwrap_or("")
    }

    /// Whether option `i` is shown under the filter.
    fn matches(&self, i: usize) -> bool {
        let typed = self.typed();
        typed.is_empty()
            || self
                .options
                .get(i)
                .is_some_and(|o| o.to_lowercase().contains(&typed.to_lowercase()))
    }

    /// The options shown, in order.
    fn matching(&self) -> Vec<usize> {
        (0..self.options.len())
            .filter(|&i| self.matches(i))
            .collect()
    }

    /// A key taken by the filter, if the list has one: typed text (a digit only once some text is typed, a space
    /// only outside a list of ticks), Backspace, Esc while text is typed, the arrows among the options shown, and
    /// Enter on an option not shown. The cursor stays on a shown option.
    fn filtering(&mut self, key: Key) -> bool {
        let Some(typed) = self.filter.clone() else {
            return false;
        };
        let shown = self.matching();
        let at = shown.iter().position(|&i| i == self.cursor);
        let taken = match key {
            Key::Char(c) if c.is_ascii_digit() && typed.is_empty() => false,
            Key::Char(' ') if self.ticks.is_some() || typed.is_empty() => false,
            Key::Char(c) if !c.is_control() => {
                self.filter = Some(format!("{typed}{c}"));
                true
            }
            Key::Backspace if !typed.is_empty() => {
                let mut t = typed;
                t.pop();
                self.filter = Some(t);
                true
            }
            Key::Esc if !typed.is_empty() => {
                self.filter = Some(String::new());
                true
            }
            Key::Up | Key::Down if !typed.is_empty() => {
                let next = match (key, at) {
                    (Key::Up, Some(a)) => a.saturating_sub(1),
                    (_, Some(a)) => (a + 1).min(shown.len().saturating_sub(1)),
                    _ => 0,
                };
                if let Some(&i) = shown.get(next) {
                    self.cursor = i;
                }
                true
            }
            Key::Enter => at.is_none(),
            _ => false,
        };
        if let Some(&first) = self.matching().first()
            && !self.matches(self.cursor)
        {
            self.cursor = first;
        }
        taken
    }

    /// After a digit or letter put the cursor on an option: with `instant`, that option answered (or, in a list of
    /// ticks, ticked or unticked).
    fn instant(&mut self) -> Option<Reply<Vec<usize>>> {
        if !self.instant {
            return None;
        }
        match self.ticks.as_mut() {
            Some(t) => {
                if let Some(tick) = t.get_mut(self.cursor) {
                    *tick = !*tick;
                }
                None
            }
            None => Some(Reply::Answer(vec![self.cursor])),
        }
    }
}

/// A line typed in: an answer ("Your answer:"), or a flag's note ("Your note:").
pub(super) struct Typing {
    pub(super) label: &'static str,
    pub(super) editor: LineEditor,
}

impl Widget for Typing {
    type Out = String;

    fn body(&self, width: usize) -> (Vec<Line>, Scroll, Option<(usize, usize)>) {
        let (shown, col) = self.editor.view(width.saturating_sub(2));
        let lines = vec![
            Line {
                text: self.label.into(),
                style: Style::Plain,
            },
            Line {
                text: format!("> {shown}"),
                style: Style::Selected,
            },
        ];
        (lines, Scroll::Focus(0, 1), Some((1, col + 2)))
    }

    fn key(&mut self, key: Key) -> Option<Reply<String>> {
        match key {
            Key::Enter => Some(Reply::Answer(self.editor.text())),
            Key::Esc => Some(Reply::Quit),
            k => {
                self.editor.key(&k);
                None
            }
        }
    }
}

/// A page of text to read, scrolled with the arrows; any other key leaves it.
pub(super) struct Page {
    pub(super) text: String,
    pub(super) top: usize,
}

impl Widget for Page {
    type Out = ();

    fn body(&self, width: usize) -> (Vec<Line>, Scroll, Option<(usize, usize)>) {
        let mut lines = Vec::new();
        for line in clean(&self.text).lines() {
            let (first, rest) = indents(line);
            lines.extend(wrapped(
                Style::Plain,
                line.trim_start(),
                width,
                &first,
                &rest,
            ));
        }
        (lines, Scroll::Top(self.top), None)
    }

    fn key(&mut self, key: Key) -> Option<Reply<()>> {
        match key {
            Key::Up => self.top = self.top.saturating_sub(1),
            Key::Down => self.top += 1,
            Key::PageUp => self.top = self.top.saturating_sub(10),
            Key::PageDown | Key::Char(' ') => self.top += 10,
            Key::Home => self.top = 0,
            Key::End => self.top = usize::MAX / 2,
            Key::Other => {}
            _ => return Some(Reply::Answer(())),
        }
        None
    }

    fn seen(&mut self, max_top: usize) {
        self.top = self.top.min(max_top);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<&str> {
        lines.iter().map(|l| l.text.as_str()).collect()
    }

    /// Attack: typing filters a long list. Letters narrow it to the options holding them (in any case) and the
    /// cursor follows to a shown one; while text is typed a digit is text, not a pick; Enter answers the option
    /// under the cursor; Backspace widens the list again and Esc clears the filter before it would end anything.
    #[test]
    fn typing_filters_a_list_and_digits_pick_only_before_it() {
        let options: Vec<String> = [
            "Lisbon 2010",
            "Bucharest 2008",
            "Strasbourg-Kehl 2009",
            "Riga 2006",
            "Istanbul 2004",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut p = Pick::new("Where?", options);
        p.filter = Some(String::new());
        p.instant = true;
        for c in "BU".chars() {
            assert_eq!(p.key(Key::Char(c)), None);
        }
        let (lines, _, _) = p.body(60);
        let shown: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert!(
            shown.iter().any(|l| l.starts_with("Filter: BU (2 of 5)")),
            "{shown:?}"
        );
        assert!(shown.iter().any(|l| l.contains("Bucharest")), "{shown:?}");
        assert!(shown.iter().any(|l| l.contains("Istanbul")), "{shown:?}");
        assert!(!shown.iter().any(|l| l.contains("Lisbon")), "{shown:?}");
        assert_eq!(p.cursor, 1);
        assert_eq!(p.key(Key::Down), None);
        assert_eq!(p.cursor, 4);
        // A digit is text now: no option holds "BU2", so nothing is shown and Enter answers nothing.
        assert_eq!(p.key(Key::Char('2')), None);
        assert_eq!(p.key(Key::Enter), None);
        assert_eq!(p.key(Key::Backspace), None);
        assert_eq!(p.key(Key::Esc), None);
        assert_eq!(p.typed(), "");
        // Nothing typed: a digit picks at once.
        assert_eq!(p.key(Key::Char('3')), Some(Reply::Answer(vec![2])));
    }

    /// Attack: a long option must wrap under its own text (not under the marker), the cursor line must be the
    /// focus, and digits must move the cursor without answering.
    #[test]
    fn a_pick_wraps_options_and_digits_move_the_cursor() {
        let mut p = Pick::new(
            "Your answer:",
            vec![
                "Short".into(),
                "A much longer option that has to wrap".into(),
            ],
        );
        assert_eq!(p.key(Key::Char('2')), None);
        let (lines, scroll, cursor) = p.body(20);
        assert_eq!(
            texts(&lines),
            [
                "Your answer:",
                "  1. Short",
                "> 2. A much longer",
                "     option that has",
                "     to wrap"
            ]
        );
        assert_eq!(scroll, Scroll::Focus(2, 4));
        assert_eq!(cursor, None);
        assert!(lines.iter().all(|l| l.text.chars().count() <= 20));
        assert_eq!(p.key(Key::Enter), Some(Reply::Answer(vec![1])));
        assert_eq!(p.key(Key::Esc), Some(Reply::Quit));
    }

    /// Attack: Space must tick and untick the option under the cursor, and Enter must return the ticked ones only.
    #[test]
    fn a_multi_ticks_with_space() {
        let mut p = Pick::new("", vec!["a".into(), "b".into(), "c".into()]);
        p.ticks = Some(vec![false; 3]);
        for k in [
            Key::Char(' '),
            Key::Down,
            Key::Down,
            Key::Char(' '),
            Key::Up,
            Key::Char(' '),
            Key::Char(' '),
        ] {
            assert_eq!(p.key(k), None);
        }
        assert_eq!(texts(&p.body(40).0)[1], "> 2. [ ] b");
        assert_eq!(p.key(Key::Enter), Some(Reply::Answer(vec![0, 2])));
    }

    /// Attack: a typed answer must come back as typed, with the cursor drawn after the "> " prompt.
    #[test]
    fn typing_returns_the_edited_line() {
        let mut t = Typing {
            label: "Your answer:",
            editor: LineEditor::new("Rogozi"),
        };
        assert_eq!(t.key(Key::Char('n')), None);
        let (lines, _, cursor) = t.body(40);
        assert_eq!(texts(&lines), ["Your answer:", "> Rogozin"]);
        assert_eq!(cursor, Some((1, 9)));
        assert_eq!(t.key(Key::Enter), Some(Reply::Answer("Rogozin".into())));
    }

    /// Attack: scrolling keys must not leave a page (only another key does), and the page never scrolls past its
    /// last line once drawn.
    #[test]
    fn a_page_scrolls_and_leaves_on_another_key() {
        let mut p = Page {
            text: "one\ntwo".into(),
            top: 0,
        };
        assert_eq!(p.key(Key::PageDown), None);
        p.seen(1);
        assert_eq!(p.top, 1);
        assert_eq!(p.key(Key::Up), None);
        assert_eq!(p.top, 0);
        assert_eq!(p.key(Key::Char('q')), Some(Reply::Answer(())));
    }
}
