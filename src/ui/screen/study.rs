//! A study answer's feedback on a full screen of its own: the card's header, then the verdict and the item-by-item
//! rows first (when everything does not fit, the page opens at the verdict, with the prompt above it and the
//! explanation below, both a scroll away), and the next step by one key: Enter (or Space, or n) for the next card,
//! u to undo, f to flag or unflag (with an optional note typed on the next screen), o for "I was right" where
//! allowed, Esc to end the session.

use super::super::render::{Line, Style, render_feedback};
use super::Key;
use super::editor::LineEditor;
use super::frame::{Scroll, wrapped};
use super::session::{Head, SessionScreen};
use super::widgets::{Typing, Widget};
use crate::error::Result;
use crate::session::{Action, Feedback, Reply};

/// What a key on the feedback page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Next,
    Override,
    Undo,
    Flag,
    Unflag,
}

/// The feedback page: the prompt, a blank line, the feedback; scrolled by the arrows.
struct Verdict<'f> {
    prompt: String,
    feedback: &'f Feedback,
    top: usize,
}

impl Verdict<'_> {
    fn lines(&self, width: usize) -> Vec<Line> {
        let mut lines = wrapped(Style::Bold, &self.prompt, width, "", "");
        lines.push(Line {
            text: String::new(),
            style: Style::Plain,
        });
        lines.extend(render_feedback(self.feedback, width));
        lines
    }
}

impl Widget for Verdict<'_> {
    type Out = Step;

    fn body(&self, width: usize) -> (Vec<Line>, Scroll, Option<(usize, usize)>) {
        (self.lines(width), Scroll::Top(self.top), None)
    }

    fn key(&mut self, key: Key) -> Option<Reply<Step>> {
        let f = self.feedback;
        let step = match key {
            Key::Up => {
                self.top = self.top.saturating_sub(1);
                return None;
            }
            Key::Down => {
                self.top += 1;
                return None;
            }
            Key::PageUp => {
                self.top = self.top.saturating_sub(10);
                return None;
            }
            Key::PageDown => {
                self.top += 10;
                return None;
            }
            Key::Home => {
                self.top = 0;
                return None;
            }
            Key::End => {
                self.top = usize::MAX / 2;
                return None;
            }
            Key::Enter | Key::Char(' ' | 'n' | 'N') => Step::Next,
            Key::Char('u' | 'U') => Step::Undo,
            Key::Char('f' | 'F') if f.flagged => Step::Unflag,
            Key::Char('f' | 'F') => Step::Flag,
            Key::Char('o' | 'O') if f.can_override => Step::Override,
            Key::Esc | Key::Char('q' | 'Q') => return Some(Reply::Quit),
            _ => return None,
        };
        Some(Reply::Answer(step))
    }

    fn seen(&mut self, max_top: usize) {
        self.top = self.top.min(max_top);
    }
}

/// The one-line key help of the feedback page.
fn keys(f: &Feedback) -> String {
    let mut keys = vec!["Enter next card", "u undo"];
    keys.push(if f.flagged { "f unflag" } else { "f flag" });
    if f.can_override {
        keys.push("o I was right");
    }
    keys.push("\u{2191}\u{2193} scroll");
    keys.push("Esc end the session");
    keys.join(" \u{b7} ")
}

impl SessionScreen<'_> {
    /// The feedback of a study answer on a page of its own, under the header of the card it answers; what the
    /// learner does next.
    pub(super) fn feedback_page(&mut self, f: &Feedback) -> Result<Reply<Action>> {
        let asked = self.asked.clone().unwrap_or(Head {
            title: String::new(),
            status: String::new(),
            prompt: None,
            saved: None,
            deadline: None,
            help: String::new(),
        });
        let width = self
            .screen
            .as_ref()
            .map_or_else(super::super::layout::width, |s| s.size().0);
        let prompt = asked.prompt.clone().unwrap_or_default();
        // The page opens at the verdict: the prompt (and the blank line under it) are above, a scroll away.
        let opening = wrapped(Style::Bold, &prompt, width, "", "").len() + 1;
        let head = Head {
            prompt: None,
            saved: None,
            deadline: None,
            help: keys(f),
            ..asked.clone()
        };
        loop {
            let mut page = Verdict {
                prompt: prompt.clone(),
                feedback: f,
                top: opening,
            };
            let step = match self.wait(&head, &mut page)? {
                Reply::Answer(step) => step,
                Reply::Quit => return Ok(Reply::Quit),
                Reply::Interrupt => return Ok(Reply::Interrupt),
                Reply::TimeUp => return Ok(Reply::TimeUp),
            };
            return Ok(Reply::Answer(match step {
                Step::Next => Action::Next,
                Step::Override => Action::Override,
                Step::Undo => Action::Undo,
                Step::Unflag => Action::Unflag,
                Step::Flag => {
                    let note_head = Head {
                        status: "Flag this card for the teacher".into(),
                        prompt: Some("What is wrong with this card? (optional)".into()),
                        help: "Enter to flag it, Esc to go back without flagging".into(),
                        ..head.clone()
                    };
                    let mut typing = Typing {
                        label: "Your note:",
                        editor: LineEditor::new(""),
                    };
                    match self.wait(&note_head, &mut typing)? {
                        Reply::Answer(note) => {
                            Action::Flag(Some(note).filter(|n| !n.trim().is_empty()))
                        }
                        Reply::Quit => continue,
                        Reply::Interrupt => return Ok(Reply::Interrupt),
                        Reply::TimeUp => return Ok(Reply::TimeUp),
                    }
                }
            }));
        }
    }
}
