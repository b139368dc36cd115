//! The screen layer: whole screens drawn with crossterm that redraw while they wait for a key, for what inquire
//! cannot do (a clock that ticks while the learner reads and types). [`Screen`] owns the terminal while it exists:
//! raw mode and the alternate screen on entering, both restored when it is dropped, so every way out (an answer,
//! Esc, Ctrl-C, an error, a panic unwinding) gives the terminal back as it was. Keys come back as [`Key`]s, read
//! with a timeout so the caller can redraw between them; Ctrl-C is a key in raw mode ([`Key::Interrupt`]).
//!
//! [`frame`] lays a screen out in rows (pure), [`editor`] is the line editor of a typed answer, `widgets` the lists,
//! the typed answer and the page a screen waits on, `session` the [`Prompter`](crate::session::Prompter) of exams
//! and study built on them ([`SessionScreen`]), and `study` the feedback page of a study answer. Everything is drawn on stderr, as inquire draws, so stdout
//! stays clean for data.

pub mod editor;
pub mod frame;
mod session;
mod study;
mod widgets;

pub use frame::{Drawn, Frame, Scroll};
pub use session::SessionScreen;

use super::layout;
use super::render::{Line, Style};
use crate::error::{Error, Result};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, queue, style::Print, terminal};
use std::io::Write;
use std::time::Duration;

/// A key, as the screens see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Backspace,
    Delete,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    PageUp,
    PageDown,
    Tab,
    /// Ctrl-C.
    Interrupt,
    /// Anything else (a resize, a function key): nothing to do but redraw.
    Other,
}

fn key_of(event: Event) -> Option<Key> {
    let Event::Key(k) = event else {
        return Some(Key::Other);
    };
    if k.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    Some(match k.code {
        KeyCode::Char('c') if ctrl => Key::Interrupt,
        KeyCode::Char('a') if ctrl => Key::Home,
        KeyCode::Char('e') if ctrl => Key::End,
        KeyCode::Char(_) if ctrl => Key::Other,
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Delete => Key::Delete,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Tab => Key::Tab,
        _ => Key::Other,
    })
}

fn terminal_error(e: std::io::Error) -> Error {
    Error::Terminal(format!("cannot draw on the terminal: {e}"))
}

/// The terminal, taken over for whole screens until dropped.
pub struct Screen {
    color: bool,
    /// The rows on the terminal now, as drawn, so that a redraw writes only the rows that changed.
    shown: Vec<String>,
    size: (u16, u16),
}

impl Screen {
    /// Takes the terminal: raw mode, the alternate screen, cleared, the cursor hidden.
    pub fn enter(color: bool) -> Result<Screen> {
        terminal::enable_raw_mode().map_err(terminal_error)?;
        // From here on, dropping the screen restores the terminal.
        let screen = Screen {
            color,
            shown: Vec::new(),
            size: (0, 0),
        };
        execute!(
            std::io::stderr(),
            terminal::EnterAlternateScreen,
            cursor::Hide,
            terminal::Clear(terminal::ClearType::All)
        )
        .map_err(terminal_error)?;
        Ok(screen)
    }

    /// The width to lay text out in (the terminal's, at most [`layout::MAX_WIDTH`]) and the number of rows.
    pub fn size(&self) -> (usize, usize) {
        let (cols, rows) = terminal::size().unwrap_or((80, 24));
        (
            usize::from(cols).clamp(20, layout::MAX_WIDTH),
            usize::from(rows).max(6),
        )
    }

    fn paint(&self, line: &Line) -> String {
        let code = match line.style {
            Style::Right => "32;1",
            Style::Wrong => "31;1",
            Style::Dim => "2",
            Style::Warn => "33;1",
            Style::Bold => "1",
            Style::Selected => "36;1",
            Style::Plain => "",
        };
        let text = crate::text::clean(&line.text);
        if self.color && !code.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    }

    /// Draws `frame` over the whole screen, writing only the rows that changed (all of them after a resize).
    /// Returns the layout drawn.
    pub fn draw(&mut self, frame: &Frame) -> Result<Drawn> {
        let size = terminal::size().unwrap_or((80, 24));
        let (_, rows) = self.size();
        let mut err = std::io::stderr().lock();
        if size != self.size {
            self.size = size;
            self.shown.clear();
            queue!(err, terminal::Clear(terminal::ClearType::All)).map_err(terminal_error)?;
        }
        let drawn = frame.render(rows);
        let painted: Vec<String> = drawn.rows.iter().map(|l| self.paint(l)).collect();
        queue!(err, cursor::Hide).map_err(terminal_error)?;
        for (i, row) in painted.iter().enumerate() {
            if self.shown.get(i) == Some(row) {
                continue;
            }
            queue!(
                err,
                cursor::MoveTo(0, i as u16),
                terminal::Clear(terminal::ClearType::CurrentLine),
                Print(row)
            )
            .map_err(terminal_error)?;
        }
        if let Some((row, col)) = drawn.cursor {
            queue!(err, cursor::MoveTo(col as u16, row as u16), cursor::Show)
                .map_err(terminal_error)?;
        }
        err.flush().map_err(terminal_error)?;
        self.shown = painted;
        Ok(drawn)
    }

    /// The next key pressed within `timeout`; `None` when none was.
    pub fn key(&mut self, timeout: Duration) -> Result<Option<Key>> {
        if !event::poll(timeout).map_err(terminal_error)? {
            return Ok(None);
        }
        Ok(key_of(event::read().map_err(terminal_error)?))
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = execute!(
            std::io::stderr(),
            cursor::Show,
            terminal::LeaveAlternateScreen
        );
        let _ = terminal::disable_raw_mode();
    }
}
