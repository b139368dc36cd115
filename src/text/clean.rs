//! The one cleaning path for outside text: what could rewrite, reorder or hide text on a screen is removed before
//! anything from a deck, roster, bundle or exam file is printed or written.

use std::io::Write;

/// Removes what could rewrite, reorder or hide text on a screen from text that came from outside (decks, rosters,
/// bundles, exam files, learner names): whole escape sequences (CSI such as `ESC [2J`, OSC such as clipboard writes
/// and hyperlinks, up to their BEL or ST), the other C0 and C1 control characters, bidirectional overrides,
/// embeddings, isolates and marks, the invisible format characters that can hide text, and the Unicode line and
/// paragraph separators (U+2028, U+2029), which some terminals and editors break a line at. Newlines and tabs stay.
/// This is the one way detente prints outside text: [`Clean`] displays through it, the stdout helpers and exports
/// apply it to everything they write.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            // CSI: parameters and intermediates, then one final byte.
            '\u{1b}' if chars.peek() == Some(&'[') => {
                chars.next();
                skip_csi(&mut chars);
            }
            '\u{9b}' => skip_csi(&mut chars),
            // OSC, DCS, SOS, PM, APC: a string up to BEL or ST (ESC \ or U+009C).
            '\u{1b}'
                if chars
                    .peek()
                    .is_some_and(|n| matches!(n, ']' | 'P' | 'X' | '^' | '_')) =>
            {
                chars.next();
                skip_string(&mut chars);
            }
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            // Any other escape: ESC and the one character it introduces.
            '\u{1b}' => {
                if chars.peek().is_some_and(|n| (' '..='~').contains(n)) {
                    chars.next();
                }
            }
            c if c.is_control() || hidden(c) => {}
            '\u{2028}' | '\u{2029}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips a control sequence's parameter and intermediate bytes and its final byte; stops at anything else.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&n) = chars.peek() {
        if ('\u{30}'..='\u{3f}').contains(&n) || ('\u{20}'..='\u{2f}').contains(&n) {
            chars.next();
        } else {
            if ('\u{40}'..='\u{7e}').contains(&n) {
                chars.next();
            }
            return;
        }
    }
}

/// Skips a control string up to its terminator (BEL, ESC \\ or U+009C). An unterminated string ends at the line's
/// end, so a stray introducer cannot swallow the rest of a file.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&n) = chars.peek() {
        match n {
            '\n' => return,
            '\u{7}' | '\u{9c}' => {
                chars.next();
                return;
            }
            '\u{1b}' => {
                chars.next();
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {
                chars.next();
            }
        }
    }
}

/// Format characters that reorder or hide text: bidirectional embeddings, overrides, isolates and marks; zero-width
/// spaces and invisible operators; the byte order mark; interlinear annotations; tag characters. Joiners (U+200C,
/// U+200D), which some scripts and emoji need, stay.
pub fn hidden(c: char) -> bool {
    matches!(c,
        '\u{61c}' | '\u{180e}' | '\u{200b}' | '\u{200e}' | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}')
}

/// Text from outside, displayed cleaned (see [`clean`]): `format!("{}", Clean(&deck.title))`.
pub struct Clean<'a>(pub &'a str);

impl std::fmt::Display for Clean<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&clean(self.0))
    }
}

/// A writer that cleans what passes through it line by line (see [`clean`]), for exports to stdout or a file:
/// CSV, GIFT and text formats carry no control character, and JSON and TOML, which escape control characters
/// themselves, no bidirectional control. Call [`CleanWriter::finish`] (or flush) to write a last line without a
/// newline.
pub struct CleanWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> CleanWriter<W> {
    pub fn new(inner: W) -> Self {
        CleanWriter {
            inner,
            pending: Vec::new(),
        }
    }

    fn drain(&mut self, all: bool) -> std::io::Result<()> {
        let end = if all {
            self.pending.len()
        } else {
            match self.pending.iter().rposition(|b| *b == b'\n') {
                Some(i) => i + 1,
                None => return Ok(()),
            }
        };
        if end == 0 {
            return Ok(());
        }
        let chunk: Vec<u8> = self.pending.drain(..end).collect();
        let text = String::from_utf8_lossy(&chunk);
        self.inner.write_all(clean(&text).as_bytes())
    }

    /// Writes what is left and returns the inner writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.drain(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for CleanWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() > 1 << 16 || buf.contains(&b'\n') {
            self.drain(false)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.drain(true)?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(
            clean("NATO\x1b[2J\x1b]0;pwned\x07 \u{9b}31m\r\nok\tfine"),
            "NATO \nok\tfine"
        );
        assert_eq!(
            clean(
                "a\u{1b}]52;c;cHduZWQ=\u{7}b\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\c\u{1b}[5Ad"
            ),
            "ablinkcd"
        );
        assert_eq!(
            clean("\u{202e}evil\u{202c} \u{2066}x\u{2069}\u{200f}"),
            "evil x"
        );
        assert_eq!(clean("open \u{1b}]0;title\nnext"), "open \nnext");
        assert_eq!(clean("\u{1b}c reset"), " reset");
        assert_eq!(
            clean("line\u{2028}break\u{2029}para\nnext"),
            "linebreakpara\nnext"
        );
        assert_eq!(
            clean("caf\u{e9} \u{627}\u{644}\u{200d}"),
            "caf\u{e9} \u{627}\u{644}\u{200d}"
        );
    }

    #[test]
    fn line_and_paragraph_separators_are_removed_wherever_they_are() {
        assert_eq!(clean("\u{2028}"), "");
        assert_eq!(clean("a\u{2029}\u{2028}b"), "ab");
        // Inside an unterminated control string they go with it; after one they are removed as well.
        assert_eq!(clean("x\u{1b}[1m\u{2028}y"), "xy");
        let mut out = CleanWriter::new(Vec::new());
        out.write_all("one\u{2028}two\n\tthree\u{2029}".as_bytes())
            .expect("write");
        assert_eq!(out.finish().expect("finish"), b"onetwo\n\tthree");
    }
}
