//! Where things stand in a deck file, to point a warning at the line of the card, field or `[deck]` entry it is
//! about.

use crate::deck::parse::Lines;
use std::collections::HashMap;

/// Where things stand in a deck file: the line and column of each card's `id = "..."`, the lines of each card's
/// table, and the `[deck]` header. The file's lines are kept as their starts alone ([`Lines`], which the
/// warnings' quoted lines are read from as well), not as a second list of slices: one word a line, not three.
pub(super) struct Places<'a> {
    lines: Lines<'a>,
    /// Card id (as written in the file, not copied): the line index of its `id`, and the range of line indices of
    /// its table.
    cards: HashMap<&'a str, (usize, std::ops::Range<usize>)>,
    /// The range of line indices of the `[deck]` table.
    header: std::ops::Range<usize>,
}

impl<'a> Places<'a> {
    pub fn new(src: &'a str) -> Self {
        let lines = Lines::new(src);
        let mut cards = HashMap::new();
        let mut header = 0..0;
        let mut in_header = false;
        let mut table: Option<usize> = None; // the start of the current [[card]] table
        let mut id: Option<(&'a str, usize)> = None;
        let close = |cards: &mut HashMap<_, _>, id: &mut Option<(&'a str, usize)>, start, end| {
            if let Some((name, at)) = id.take() {
                cards.entry(name).or_insert((at, start..end));
            }
        };
        for n in 0..lines.count() {
            let t = lines.text(n + 1).trim_start();
            if t.starts_with("[[card]]") {
                if let Some(start) = table {
                    close(&mut cards, &mut id, start, n);
                }
                table = Some(n);
                in_header = false;
            } else if t.starts_with("[deck]") {
                header = n..n + 1;
                in_header = true;
            } else if t.starts_with('[') {
                // [deck.source] and [deck.aliases] end the [deck] table proper.
                in_header = false;
            } else if in_header {
                header.end = n + 1;
            } else if table.is_some()
                && id.is_none()
                && let Some(value) = key_value(t, "id")
            {
                let name = value.trim().trim_matches(|c| c == '"' || c == '\'');
                id = Some((name, n));
            }
        }
        if let Some(start) = table {
            close(&mut cards, &mut id, start, lines.count());
        }
        Places {
            lines,
            cards,
            header,
        }
    }

    /// The file's lines.
    pub fn lines(&self) -> &Lines<'a> {
        &self.lines
    }

    /// The 1-based line and column of the key of `key = ...` on line index `n`.
    fn at(&self, n: usize) -> (usize, usize) {
        let line = self.lines.text(n + 1);
        (n + 1, line.len() - line.trim_start().len() + 1)
    }

    /// The `id` line of a card (line 1 when it cannot be found).
    pub fn card(&self, id: &str) -> (usize, usize) {
        self.cards.get(id).map_or((1, 1), |(at, _)| self.at(*at))
    }

    /// The line of a card's `field`, or its `id` line when the field is not written.
    pub fn field(&self, id: &str, field: &str) -> (usize, usize) {
        let Some((at, range)) = self.cards.get(id) else {
            return (1, 1);
        };
        range
            .clone()
            .find(|&n| key_value(self.lines.text(n + 1).trim_start(), field).is_some())
            .map_or_else(|| self.at(*at), |n| self.at(n))
    }

    /// The line of a `[deck]` field, or of `[deck]` itself.
    pub fn header(&self, field: Option<&str>) -> (usize, usize) {
        self.header
            .clone()
            .find(|&n| {
                field.is_some_and(|f| key_value(self.lines.text(n + 1).trim_start(), f).is_some())
            })
            .map_or_else(|| self.at(self.header.start), |n| self.at(n))
    }
}

/// The value after `key =` when a (trimmed) line sets `key`.
fn key_value<'t>(line: &'t str, key: &str) -> Option<&'t str> {
    line.strip_prefix(key)?.trim_start().strip_prefix('=')
}
