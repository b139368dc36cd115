//! The line editor of a typed answer on a full screen: insert, backspace, delete, left and right, home and end, on
//! characters (not bytes), with a view that scrolls sideways to keep the cursor on a line of a given width. Pure:
//! keys in, text out.

use super::Key;
use unicode_width::UnicodeWidthChar;

/// A line of text being typed, with a cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    text: Vec<char>,
    /// Characters before the cursor.
    cursor: usize,
}

fn width_of(chars: &[char]) -> usize {
    chars.iter().map(|c| c.width().unwrap_or(0)).sum()
}

impl LineEditor {
    /// An editor holding `text`, the cursor at its end.
    pub fn new(text: &str) -> Self {
        let text: Vec<char> = text.chars().filter(|c| !c.is_control()).collect();
        LineEditor {
            cursor: text.len(),
            text,
        }
    }

    pub fn text(&self) -> String {
        self.text.iter().collect()
    }

    /// Applies an editing key; `false` for a key the editor does not take (Enter, Esc, arrows up and down).
    pub fn key(&mut self, key: &Key) -> bool {
        match key {
            Key::Char(c) if !c.is_control() => {
                self.text.insert(self.cursor, *c);
                self.cursor += 1;
            }
            Key::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.text.remove(self.cursor);
            }
            Key::Delete if self.cursor < self.text.len() => {
                self.text.remove(self.cursor);
            }
            Key::Left => self.cursor = self.cursor.saturating_sub(1),
            Key::Right => self.cursor = (self.cursor + 1).min(self.text.len()),
            Key::Home => self.cursor = 0,
            Key::End => self.cursor = self.text.len(),
            Key::Backspace | Key::Delete => {}
            _ => return false,
        }
        true
    }

    /// What fits in `width` columns around the cursor, and the cursor's column in it. The text scrolls sideways
    /// so that the cursor (with one free column after it) is always in view.
    pub fn view(&self, width: usize) -> (String, usize) {
        let width = width.max(2);
        let mut start = 0;
        while width_of(&self.text[start..self.cursor]) + 1 > width {
            start += 1;
        }
        let mut shown = String::new();
        let mut used = 0;
        for c in &self.text[start..] {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                break;
            }
            shown.push(*c);
            used += w;
        }
        (shown, width_of(&self.text[start..self.cursor]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &[Key]) -> LineEditor {
        let mut e = LineEditor::default();
        for k in keys {
            e.key(k);
        }
        e
    }

    fn chars(s: &str) -> Vec<Key> {
        s.chars().map(Key::Char).collect()
    }

    /// Attack: editing in the middle of a word (a typo fixed after moving back) must change that place only.
    #[test]
    fn insert_backspace_and_moves_edit_where_the_cursor_is() {
        let mut keys = chars("Rogzin");
        keys.extend([Key::Left, Key::Left, Key::Left, Key::Char('o')]);
        assert_eq!(typed(&keys).text(), "Rogozin");
        keys.extend([
            Key::Home,
            Key::Delete,
            Key::Char('r'),
            Key::End,
            Key::Backspace,
        ]);
        assert_eq!(typed(&keys).text(), "rogozi");
        // Backspace at the start and Delete at the end change nothing.
        let e = typed(&[
            Key::Char('a'),
            Key::Home,
            Key::Backspace,
            Key::End,
            Key::Delete,
        ]);
        assert_eq!(e.text(), "a");
    }

    /// Attack: multi-byte letters must be edited as letters, never split into broken bytes.
    #[test]
    fn letters_not_bytes() {
        let mut keys = chars("Dmítrý");
        keys.extend([Key::Backspace, Key::Left, Key::Backspace]);
        assert_eq!(typed(&keys).text(), "Dmír");
    }

    /// Attack: Enter, Esc and control characters must not end up in the answer.
    #[test]
    fn keys_that_are_not_editing_are_refused() {
        let mut e = LineEditor::new("a\u{1b}b");
        assert_eq!(e.text(), "ab");
        assert!(!e.key(&Key::Enter));
        assert!(!e.key(&Key::Esc));
        assert!(!e.key(&Key::Char('\u{7}')));
        assert_eq!(e.text(), "ab");
    }

    /// Attack: an answer longer than the line must keep the cursor in view, scrolling sideways, and never draw
    /// wider than the line.
    #[test]
    fn a_long_answer_scrolls_sideways() {
        let e = LineEditor::new("abcdefghijklmnopqrstuvwxyz");
        let (shown, col) = e.view(10);
        assert_eq!(shown, "rstuvwxyz");
        assert_eq!(col, 9);
        let mut e = e;
        e.key(&Key::Home);
        let (shown, col) = e.view(10);
        assert_eq!(shown, "abcdefghij");
        assert_eq!(col, 0);
        let (shown, col) = LineEditor::new("ab").view(10);
        assert_eq!((shown.as_str(), col), ("ab", 2));
    }
}
