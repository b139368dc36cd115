//! The terminal: the inquire implementation of [`Prompter`](crate::session::Prompter), how questions, feedback and
//! summaries are drawn, colour, and the removal of terminal control characters from deck text. The only module
//! that uses inquire. Prompts and messages go to stderr (as inquire draws there), so stdout stays clean for data.
//!
//! `terminal` holds the prompter, `render` the feedback and summaries as text, `tty` colour and terminal detection;
//! [`layout`] wraps text and lays out tables, [`stats`] and [`html`] render progress reports. [`screen`] draws whole
//! screens with crossterm that redraw while they wait (the exam's ticking clock): exams are sat on it
//! ([`SessionScreen`]), and study sessions one card per screen on the same layer (inquire's transcript with
//! `--plain`).

pub mod html;
pub mod layout;
mod render;
pub mod screen;
pub mod stats;
mod terminal;
mod tty;

pub use render::{Line, Style, render_feedback, render_summary};
pub use screen::SessionScreen;
pub use terminal::Terminal;
pub use tty::{ColorChoice, is_interactive, progress, use_color};

// Deck text cleaned of terminal control characters: `layout`, `stats` and `html` use it as `super::clean`.
use crate::text::clean;
