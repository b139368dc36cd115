//! Text layout for the terminal: the width to draw within, display width, wrapping at word boundaries with
//! hanging indents (textwrap), cutting a cell with an ellipsis, and tables that fit a width. Every line detente
//! prints for people goes through here, so nothing breaks mid-word at the terminal's edge. Text from outside
//! (decks, rosters, bundles, names) is cleaned with [`super::clean`] before it is laid out.

use unicode_width::UnicodeWidthStr;

/// The widest detente draws prose, for reading comfort, however wide the terminal.
pub const MAX_WIDTH: usize = 100;
/// The width tables are drawn within (and everything when the output is not a terminal).
pub const TABLE_WIDTH: usize = 80;

/// The width to lay text out in: the terminal's (stderr's, else stdout's), at most [`MAX_WIDTH`]; `COLUMNS` when
/// set; else 80.
pub fn width() -> usize {
    let term = terminal_size::terminal_size_of(std::io::stderr())
        .or_else(|| terminal_size::terminal_size_of(std::io::stdout()))
        .map(|(w, _)| usize::from(w.0));
    let cols = term.or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
    });
    cols.filter(|w| *w >= 20)
        .unwrap_or(TABLE_WIDTH)
        .min(MAX_WIDTH)
}

/// The number of terminal columns `s` takes (ANSI colour codes take none).
pub fn display_width(s: &str) -> usize {
    textwrap::core::display_width(s)
}

/// `text` wrapped at word boundaries to `width` columns: the first line starts with `first`, the others with
/// `rest` (a hanging indent). Newlines in the text start new paragraphs with the same indents. Only a word longer
/// than the line is broken.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let width = width
        .max(display_width(rest) + 10)
        .max(display_width(first) + 10);
    let mut lines = Vec::new();
    for (i, para) in text.split('\n').enumerate() {
        let options = textwrap::Options::new(width)
            .initial_indent(if i == 0 { first } else { rest })
            .subsequent_indent(rest)
            // Lines break at spaces only: an id or a compound such as NATO-Russia stays whole.
            .word_splitter(textwrap::WordSplitter::NoHyphenation)
            .break_words(true);
        if para.trim().is_empty() {
            lines.push(String::new());
            continue;
        }
        lines.extend(textwrap::wrap(para, options).into_iter().map(|l| {
            let l = l.into_owned();
            l.trim_end().to_string()
        }));
    }
    lines
}

/// [`wrap`] joined into one string of lines.
pub fn fill(text: &str, width: usize, first: &str, rest: &str) -> String {
    wrap(text, width, first, rest).join("\n")
}

/// The width to draw tables within: the terminal's, at most [`TABLE_WIDTH`].
pub fn table_width() -> usize {
    width().min(TABLE_WIDTH)
}

/// `s` on one line (newlines and tabs become spaces), cut to `width` columns with an ellipsis where it is cut.
pub fn truncate(s: &str, width: usize) -> String {
    let s: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect();
    if s.width() <= width {
        return s;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` padded with spaces to `width` columns, on the left (`right = true`) or the right.
pub fn pad(s: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(display_width(s)));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// `part` of `whole` as a whole percentage, rounded to the nearest (half up): 1 of 6 is 17, not 16. `None` when
/// `whole` is 0. Every percentage shown for people is rounded this way.
pub fn percent(part: u32, whole: u32) -> Option<u32> {
    (whole > 0)
        .then(|| ((u64::from(part) * 200 + u64::from(whole)) / (2 * u64::from(whole))) as u32)
}

/// How a table column behaves when the table is too wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Left-aligned; may be cut with an ellipsis down to its heading's width (at least 8 columns).
    Text,
    /// Left-aligned; wrapped onto more lines rather than cut. At most one column of a table should be `Wrap`.
    Wrap,
    /// Right-aligned (numbers); never cut.
    Number,
    /// Left-aligned identifiers people type or copy (card ids, deck ids): never cut, broken onto more lines after
    /// a `/`, `-`, `#` or `_` (or anywhere, if a part is longer than the column) when the table is too wide.
    Id,
}

/// The least width an [`Cell::Id`] column is shrunk to.
const ID_LEAST: usize = 12;

/// An identifier broken into lines of at most `width` columns, after a separator where one is in the second half
/// of the line, else exactly at the width. Joined, the lines give the identifier back.
pub fn break_id(id: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut rest: Vec<char> = id.chars().collect();
    while display_width(&rest.iter().collect::<String>()) > width {
        // The longest prefix that fits.
        let mut fit = 0;
        let mut used = 0;
        for c in &rest {
            let w = unicode_width::UnicodeWidthChar::width(*c).unwrap_or(0);
            if used + w > width {
                break;
            }
            used += w;
            fit += 1;
        }
        let fit = fit.max(1);
        let cut = rest[..fit]
            .iter()
            .rposition(|c| matches!(c, '/' | '-' | '#' | '_'))
            .map(|p| p + 1)
            .filter(|&p| p * 2 >= fit)
            .unwrap_or(fit);
        lines.push(rest[..cut].iter().collect());
        rest.drain(..cut);
    }
    lines.push(rest.into_iter().collect());
    lines
}

/// A table of columns with headings, drawn within a width: text columns are cut with an ellipsis, a wrap column
/// wraps, identifiers break onto more lines, numbers are never cut. A row may carry notes: lines of prose under it, across the whole width, wrapped
/// with their own indents. Cells and notes are cleaned of control characters.
#[derive(Debug, Clone)]
pub struct Table {
    heads: Vec<(String, Cell)>,
    rows: Vec<Vec<String>>,
    /// Per row, its notes: (first-line indent, hanging indent, text).
    notes: Vec<Vec<(String, String, String)>>,
}

impl Table {
    pub fn new(heads: &[(&str, Cell)]) -> Self {
        Table {
            heads: heads.iter().map(|(h, c)| (h.to_string(), *c)).collect(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows
            .push(cells.iter().map(|c| super::clean(c)).collect());
        self.notes.push(Vec::new());
    }

    /// Adds a note under the last row (a note before any row is dropped): `text` wrapped to the table's width,
    /// its first line after `first`, the others after `rest`.
    pub fn note(&mut self, first: &str, rest: &str, text: &str) {
        if let Some(notes) = self.notes.last_mut() {
            notes.push((first.to_string(), rest.to_string(), super::clean(text)));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table's lines, the heading first, within `width` columns (two spaces between columns).
    pub fn render(&self, width: usize) -> Vec<String> {
        let n = self.heads.len();
        let natural: Vec<usize> = (0..n)
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| display_width(&c.replace('\n', " ")))
                    .chain([display_width(&self.heads[i].0)])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut widths = natural.clone();
        let gaps = 2 * n.saturating_sub(1);
        // The longest word of each wrapping column (up to 24 columns): wrapping narrower would break words.
        let longest_word: Vec<usize> = (0..n)
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .flat_map(|c| c.split_whitespace())
                    .map(display_width)
                    .max()
                    .unwrap_or(0)
                    .min(24)
            })
            .collect();
        // Shrink the widest shrinkable column, one column at a time, until the table fits. Wrapping columns lose
        // nothing by shrinking, text columns are cut, so they take turns: wrapping columns down to a comfortable
        // width, text columns to 20, wrapping columns to 16 (never below their longest word), text columns to
        // their floor, and last wrapping columns to theirs. Identifiers break onto more lines (never cut): down to 24
        // columns once text columns are at 20, and to their floor last of all.
        const PHASES: [(Cell, usize); 7] = [
            (Cell::Wrap, 24),
            (Cell::Text, 20),
            (Cell::Id, 24),
            (Cell::Wrap, 16),
            (Cell::Text, 8),
            (Cell::Wrap, 12),
            (Cell::Id, ID_LEAST),
        ];
        for (kind, least) in PHASES {
            while widths.iter().sum::<usize>() + gaps > width {
                let floor = |i: usize| {
                    let (head, cell) = (&self.heads[i].0, self.heads[i].1);
                    match cell {
                        _ if cell != kind => widths[i],
                        Cell::Wrap if least > 12 => {
                            display_width(head).max(least).max(longest_word[i])
                        }
                        _ => display_width(head).max(least),
                    }
                };
                let Some(i) = (0..n)
                    .filter(|&i| widths[i] > floor(i))
                    .max_by_key(|&i| widths[i] - floor(i))
                else {
                    break;
                };
                widths[i] -= 1;
            }
        }
        let mut out = Vec::new();
        let heads: Vec<String> = self.heads.iter().map(|(h, _)| h.clone()).collect();
        let no_notes = Vec::new();
        let notes = std::iter::once(&no_notes).chain(self.notes.iter());
        for (row, notes) in std::iter::once(&heads).chain(self.rows.iter()).zip(notes) {
            let mut columns: Vec<Vec<String>> = Vec::new();
            for (i, (_, kind)) in self.heads.iter().enumerate() {
                let cell = row.get(i).map_or("", String::as_str);
                columns.push(match kind {
                    Cell::Wrap => wrap(cell, widths[i], "", "")
                        .into_iter()
                        .map(|l| truncate(&l, widths[i]))
                        .collect(),
                    Cell::Id => break_id(cell, widths[i]),
                    _ => vec![truncate(cell, widths[i])],
                });
            }
            let height = columns.iter().map(Vec::len).max().unwrap_or(1).max(1);
            for line in 0..height {
                let cells: Vec<String> = columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let text = c.get(line).map_or("", String::as_str);
                        pad(text, widths[i], self.heads[i].1 == Cell::Number)
                    })
                    .collect();
                out.push(cells.join("  ").trim_end().to_string());
            }
            for (first, rest, text) in notes {
                out.extend(wrap(text, width, first, rest));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_words_with_a_hanging_indent() {
        let lines = wrap(
            "Pristina airport was taken by Russian troops under General Zavarzin",
            30,
            "  - ",
            "    ",
        );
        assert_eq!(
            lines,
            vec![
                "  - Pristina airport was taken",
                "    by Russian troops under",
                "    General Zavarzin"
            ]
        );
        assert!(lines.iter().all(|l| display_width(l) <= 30));
    }

    #[test]
    fn hyphenated_words_stay_whole() {
        let lines = wrap("relations after naselskaya-missile-defence", 30, "", "");
        assert_eq!(lines, vec!["relations after", "naselskaya-missile-defence"]);
    }

    #[test]
    fn only_a_word_longer_than_the_line_is_broken() {
        let lines = wrap(&format!("a {} b", "x".repeat(25)), 20, "", "");
        assert!(lines.iter().all(|l| display_width(l) <= 20), "{lines:?}");
        assert_eq!(lines[0], "a");
    }

    #[test]
    fn percentages_are_rounded_not_truncated() {
        assert_eq!(percent(1, 6), Some(17));
        assert_eq!(percent(5, 6), Some(83));
        assert_eq!(percent(1, 8), Some(13));
        assert_eq!(percent(2, 3), Some(67));
        assert_eq!(percent(6, 6), Some(100));
        assert_eq!(percent(0, 6), Some(0));
        assert_eq!(percent(1, 0), None);
    }

    #[test]
    fn truncates_by_display_width() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(truncate("日本語です", 5), "日本…");
    }

    /// Attack: two long card ids that share their first 20 characters, in a table at 80 columns with a long
    /// prompt: each must come back whole (its lines joined), never cut with an ellipsis.
    #[test]
    fn ids_break_instead_of_being_cut() {
        let ids = [
            "sherr-lisbon-2010/enlargement-of-nato-membership-action-plan",
            "sherr-lisbon-2010/enlargement-of-nato-open-door#2",
        ];
        let mut t = Table::new(&[
            ("", Cell::Text),
            ("ITEM", Cell::Id),
            ("ANSWERED", Cell::Number),
            ("PROMPT", Cell::Wrap),
        ]);
        for id in ids {
            t.row(vec![
                "FLAG".into(),
                id.into(),
                "12".into(),
                "Which members of NATO agreed in Lisbon to what, and why? ".repeat(3),
            ]);
        }
        let lines = t.render(80);
        assert!(lines.iter().all(|l| display_width(l) <= 80), "{lines:#?}");
        assert!(lines.iter().all(|l| !l.contains('…')), "{lines:#?}");
        let col = lines[0].find("ITEM").unwrap();
        let width = lines[0].find("ANSWERED").unwrap() - col;
        let column: Vec<String> = lines[1..]
            .iter()
            .map(|l| {
                l.get(col..(col + width).min(l.len()))
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .collect();
        let joined = column.concat();
        for id in ids {
            assert!(joined.contains(id), "{id} not whole in {column:#?}");
        }
        assert_eq!(break_id("abc-defgh", 4).concat(), "abc-defgh");
        assert_eq!(break_id("abc-defgh", 4), ["abc-", "defg", "h"]);
    }

    #[test]
    fn tables_fit_their_width() {
        let mut t = Table::new(&[
            ("DECK", Cell::Text),
            ("CARDS", Cell::Number),
            ("TITLE", Cell::Wrap),
        ]);
        t.row(vec![
            "naselskaya-missile-defence".into(),
            "47".into(),
            "Missile defence and NATO-Russia relations: cooperation or confrontation after Lisbon"
                .into(),
        ]);
        t.row(vec!["x".into(), "1234".into(), "short".into()]);
        let lines = t.render(60);
        assert!(lines.iter().all(|l| display_width(l) <= 60), "{lines:#?}");
        assert!(lines[0].starts_with("DECK"));
        assert!(lines.iter().any(|l| l.contains("1234")));
        assert!(lines.iter().any(|l| l.contains("47")));
        // The title wraps instead of being cut, and the id, which people type, is shrunk only after it.
        assert!(lines.iter().any(|l| l.contains("after")), "{lines:#?}");
        assert!(lines.iter().any(|l| l.trim() == "Lisbon"), "{lines:#?}");
        assert!(
            lines[1].starts_with("naselskaya-missile-defence "),
            "{lines:#?}"
        );
        assert!(lines.iter().all(|l| !l.contains('…')), "{lines:#?}");
    }
}
