//! A GIFT question as a list of symbols: each character remembers whether it was escaped (`\~`, `\{`, `\n`, ...) and
//! where it stood in the file, so the parser tells control characters from escaped ones and reports errors at a line
//! and column. Also the slice helpers the parser splits answer blocks with.

use crate::deck::convert::ConvertError;

/// A character of a question: whether it was escaped (`\~`, `\n`, ...) and where it stood in the file (1-based).
#[derive(Debug, Clone, Copy)]
pub(super) struct Sym {
    c: char,
    esc: bool,
    line: usize,
    col: usize,
}

impl Sym {
    /// Whether this is the control character `c`, unescaped.
    pub(super) fn is(&self, c: char) -> bool {
        !self.esc && self.c == c
    }

    pub(super) fn blank(&self) -> bool {
        !self.esc && self.c.is_whitespace()
    }

    pub(super) fn error(&self, message: impl Into<String>) -> ConvertError {
        ConvertError::at(self.line, self.col, message)
    }
}

/// The characters of a block's lines joined by newlines, escapes resolved (`\\` first, as Moodle does).
pub(super) fn symbols(lines: &[(usize, String)]) -> Vec<Sym> {
    let mut out = Vec::new();
    for (k, (line, text)) in lines.iter().enumerate() {
        let line = *line;
        if k > 0 {
            out.push(Sym {
                c: '\n',
                esc: false,
                line,
                col: 1,
            });
        }
        let mut chars = text.chars().zip(1..).peekable();
        while let Some((c, col)) = chars.next() {
            if c == '\\'
                && let Some(&(next, _)) = chars.peek()
                && "\\~=#{}:n".contains(next)
            {
                chars.next();
                let c = if next == 'n' { '\n' } else { next };
                out.push(Sym {
                    c,
                    esc: true,
                    line,
                    col,
                });
            } else {
                out.push(Sym {
                    c,
                    esc: false,
                    line,
                    col,
                });
            }
        }
    }
    out
}

pub(super) fn trim(s: &[Sym]) -> &[Sym] {
    let start = s.iter().position(|x| !x.blank()).unwrap_or(s.len());
    let end = s.iter().rposition(|x| !x.blank()).map_or(start, |i| i + 1);
    &s[start..end]
}

pub(super) fn find(s: &[Sym], c: char) -> Option<usize> {
    s.iter().position(|x| x.is(c))
}

pub(super) fn string(s: &[Sym]) -> String {
    s.iter().map(|x| x.c).collect()
}

/// Where an unescaped `->` starts.
pub(super) fn arrow(s: &[Sym]) -> Option<usize> {
    (1..s.len())
        .find(|&i| s[i - 1].is('-') && s[i].is('>'))
        .map(|i| i - 1)
}

/// Splits at the first `n - 1` unescaped `c`.
pub(super) fn split_n(s: &[Sym], c: char, n: usize) -> Vec<&[Sym]> {
    let mut out = Vec::new();
    let mut rest = s;
    while out.len() + 1 < n
        && let Some(i) = find(rest, c)
    {
        out.push(&rest[..i]);
        rest = &rest[i + 1..];
    }
    out.push(rest);
    out
}

/// One answer of an answer block: the text after its marker (`~`, `=`), trimmed, and where it starts.
pub(super) struct Piece<'a> {
    pub(super) marker: Option<char>,
    pub(super) at: Sym,
    pub(super) syms: &'a [Sym],
}

/// Splits an answer block before each unescaped marker. Text before the first marker is an answer too unless it is
/// blank, as in Moodle.
pub(super) fn pieces<'a>(s: &'a [Sym], markers: &[char]) -> Vec<Piece<'a>> {
    let cuts: Vec<usize> = (0..s.len())
        .filter(|&i| !s[i].esc && markers.contains(&s[i].c))
        .collect();
    let mut out = Vec::new();
    let head = trim(&s[..cuts.first().copied().unwrap_or(s.len())]);
    if let Some(at) = head.first() {
        out.push(Piece {
            marker: None,
            at: *at,
            syms: head,
        });
    }
    for (k, &i) in cuts.iter().enumerate() {
        let end = cuts.get(k + 1).copied().unwrap_or(s.len());
        out.push(Piece {
            marker: Some(s[i].c),
            at: s[i],
            syms: trim(&s[i + 1..end]),
        });
    }
    out
}
