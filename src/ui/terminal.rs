//! The inquire implementation of [`Prompter`]: each kind of prompt with its keys and help line, the question header
//! drawn once per card, the menu after the feedback, and inquire's errors mapped to replies (Esc, Ctrl-C) or errors.
//! Prompts and messages go to stderr (as inquire draws there), so stdout stays clean for data.

use super::layout;
use super::render::{DOT, Line, Style, indents, render_feedback, render_summary};
use crate::error::{Error, Result};
use crate::schedule::Rating;
use crate::session::{Action, Feedback, Prompter, Question, Reply, Summary};
use crate::text::clean;
use inquire::error::InquireError;
use inquire::ui::RenderConfig;
use inquire::{Confirm, MultiSelect, Select, Text};
use std::io::Write;

/// The interactive terminal.
pub struct Terminal {
    color: bool,
    shown: Option<usize>,
    /// The feedback last drawn, so that coming back to its menu (after flagging, say) does not draw it again.
    drawn: Vec<Line>,
}

impl Terminal {
    pub fn new(color: bool) -> Self {
        let config = if color {
            RenderConfig::default_colored()
        } else {
            RenderConfig::empty()
        };
        // Esc ends a prompt without leaving "<canceled>" behind it.
        let config = config.with_canceled_prompt_indicator(inquire::ui::Styled::new(""));
        inquire::set_global_render_config(config);
        Terminal {
            color,
            shown: None,
            drawn: Vec::new(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn line(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{text}");
    }

    /// Text wrapped to the screen, cleaned (see [`clean`]), each line painted.
    fn para(&self, code: &str, text: &str, first: &str, rest: &str) {
        for l in layout::wrap(&clean(text), layout::width(), first, rest) {
            if code.is_empty() {
                self.line(&l);
            } else {
                self.line(&self.paint(code, &l));
            }
        }
    }

    /// Prints the question header once per card: progress, kind and deck on one dim line, then the prompt.
    fn header(&mut self, q: &Question) {
        if self.shown == Some(q.number) {
            return;
        }
        self.shown = Some(q.number);
        self.drawn.clear();
        let width = layout::width();
        let mut head = q
            .status
            .as_deref()
            .map_or_else(|| format!("#{}", q.number), clean);
        head.push_str(DOT);
        head.push_str(q.kind);
        if q.reversed {
            head.push_str(", reversed");
        }
        if q.new {
            head.push_str(" (new)");
        }
        head.push_str(DOT);
        let room = width.saturating_sub(layout::display_width(&head));
        if room >= 12 {
            head.push_str(&layout::truncate(&clean(&q.deck), room));
        } else {
            head.truncate(head.len() - DOT.len());
        }
        self.line("");
        self.para("2", &head, "", "");
        self.para("1", &clean(&q.prompt), "", "");
        if let Some(h) = &q.hint
            && q.kind != "text"
            && q.kind != "cloze"
            && q.kind != "number"
        {
            self.para("2", &format!("Hint: {}", clean(h)), "", "      ");
        }
    }

    /// Options wrapped to the screen with a hanging indent under inquire's `prefix` columns ("> " or "> [ ] ").
    fn options(options: &[String], prefix: usize) -> Vec<String> {
        let indent = " ".repeat(prefix);
        let width = layout::width().saturating_sub(prefix).max(20);
        options
            .iter()
            .map(|o| {
                layout::wrap(&clean(o).replace('\n', " "), width, "", "")
                    .join(&format!("\n{indent}"))
            })
            .collect()
    }
}

fn reply<T>(r: std::result::Result<T, InquireError>) -> Result<Reply<T>> {
    match r {
        Ok(v) => Ok(Reply::Answer(v)),
        Err(InquireError::OperationCanceled) => Ok(Reply::Quit),
        Err(InquireError::OperationInterrupted) => Ok(Reply::Interrupt),
        Err(InquireError::NotTTY) => Err(Error::NoTerminal(
            "detente needs an interactive terminal".into(),
        )),
        Err(e) => Err(Error::Terminal(e.to_string())),
    }
}

/// The label of a typed answer.
const TYPED: &str = "Your answer:";

/// The echo of a typed answer once answered (inquire prints it after "> LABEL "), wrapped at word boundaries to
/// `width` under its own first column, so a long answer is not split mid-word by the terminal.
fn echoed(typed: &str, label: &str, width: usize) -> String {
    let pad = " ".repeat(layout::display_width(label) + 3);
    let lines = layout::wrap(&typed.replace('\n', " "), width, &pad, &pad);
    let mut out = lines.join("\n");
    if let Some(rest) = out.strip_prefix(&pad) {
        out = rest.to_string();
    }
    out
}

/// The answer line of a list prompt once picked: the option on one line, cut to fit.
fn picked(o: inquire::list_option::ListOption<&String>) -> String {
    layout::truncate(
        &o.value
            .replace('\n', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        layout::width().saturating_sub(20),
    )
}

impl Prompter for Terminal {
    fn choose(&mut self, q: &Question, label: &str, options: &[String]) -> Result<Reply<usize>> {
        self.header(q);
        let options = Terminal::options(options, 2);
        let message = if label.is_empty() {
            "Your answer:".to_string()
        } else {
            layout::truncate(&clean(label), layout::width().saturating_sub(4))
        };
        let r = Select::new(&message, options)
            .with_help_message("\u{2191}\u{2193} to move, Enter to pick, Esc to end the session")
            .with_page_size(8)
            .with_formatter(&picked)
            .without_filtering()
            .raw_prompt()
            .map(|o| o.index);
        reply(r)
    }

    fn choose_many(&mut self, q: &Question, options: &[String]) -> Result<Reply<Vec<usize>>> {
        self.header(q);
        let options = Terminal::options(options, 6);
        let r = MultiSelect::new("Tick every right answer:", options)
            .with_help_message("Space to tick, Enter when done, Esc to end the session")
            .with_page_size(8)
            .with_formatter(&|v| {
                let ticked: Vec<String> = v.iter().map(|o| picked(o.clone())).collect();
                layout::truncate(&ticked.join("; "), layout::width().saturating_sub(28))
            })
            .without_filtering()
            .raw_prompt()
            .map(|v| v.into_iter().map(|o| o.index).collect());
        reply(r)
    }

    fn judge(&mut self, q: &Question) -> Result<Reply<bool>> {
        self.header(q);
        let r = Confirm::new("True or false?")
            .with_help_message("t or y for true, f or n for false, Esc to end the session")
            .with_parser(&|s: &str| match s.trim().to_lowercase().as_str() {
                "t" | "true" | "y" | "yes" => Ok(true),
                "f" | "false" | "n" | "no" => Ok(false),
                _ => Err(()),
            })
            .with_formatter(&|b| if b { "True".into() } else { "False".into() })
            .with_error_message("Type t (true) or f (false)")
            .prompt();
        reply(r)
    }

    fn type_answer(&mut self, q: &Question) -> Result<Reply<String>> {
        self.header(q);
        loop {
            let help = if q.hint.is_some() {
                "? and Enter for a hint, Esc to end the session"
            } else {
                "Enter to answer, Esc to end the session"
            };
            let r = Text::new(TYPED)
                .with_help_message(help)
                .with_formatter(&|typed| echoed(typed, TYPED, layout::width()))
                .prompt();
            match r {
                Ok(s) if s.trim() == "?" => {
                    let hint = q
                        .hint
                        .as_deref()
                        .map_or("There is no hint for this card.".into(), |h| {
                            format!("Hint: {}", clean(h))
                        });
                    self.para("33", &hint, "", "      ");
                }
                other => return reply(other),
            }
        }
    }

    fn reveal(&mut self, q: &Question, back: &str) -> Result<Reply<Rating>> {
        self.header(q);
        let shown = Select::new(
            "Recall the answer, then:",
            vec!["Show the answer".to_string()],
        )
        .with_help_message("Enter to reveal, Esc to end the session")
        .without_filtering()
        .raw_prompt();
        match reply(shown)? {
            Reply::Answer(_) => {}
            Reply::Quit => return Ok(Reply::Quit),
            Reply::Interrupt => return Ok(Reply::Interrupt),
            Reply::TimeUp => return Ok(Reply::TimeUp),
        }
        self.para("36", &clean(back), "\u{2192} ", "  ");
        let grades = vec![
            "Again: I did not know it".to_string(),
            "Hard: I recalled it with difficulty".to_string(),
            "Good: I recalled it".to_string(),
            "Easy: I knew it at once".to_string(),
        ];
        let r = Select::new("How well did you recall it?", grades)
            .with_starting_cursor(2)
            .with_help_message("\u{2191}\u{2193} to move, Enter to grade, Esc to end the session")
            .without_filtering()
            .raw_prompt()
            .map(|o| Rating::ALL.get(o.index).copied());
        match reply(r)? {
            Reply::Answer(Some(r)) => Ok(Reply::Answer(r)),
            Reply::Answer(None) => Err(Error::Terminal("no such rating".into())),
            Reply::Quit => Ok(Reply::Quit),
            Reply::Interrupt => Ok(Reply::Interrupt),
            Reply::TimeUp => Ok(Reply::TimeUp),
        }
    }

    fn feedback(&mut self, f: &Feedback) -> Result<Reply<Action>> {
        let lines = render_feedback(f, layout::width());
        if lines == self.drawn {
            return self.next_action(f);
        }
        for l in &lines {
            let code = match l.style {
                Style::Right => "32;1",
                Style::Wrong => "31;1",
                Style::Dim => "2",
                Style::Warn => "33",
                Style::Bold => "1",
                Style::Selected => "36;1",
                Style::Plain => "",
            };
            let shown = clean(&l.text);
            if code.is_empty() {
                self.line(&shown);
            } else {
                self.line(&self.paint(code, &shown));
            }
        }
        self.drawn = lines;
        self.next_action(f)
    }

    fn message(&mut self, text: &str) {
        // After a message (an undo, say) the question is shown again in full.
        self.shown = None;
        self.drawn.clear();
        self.notice(text);
    }

    fn notice(&mut self, text: &str) {
        // Notices carry outside text (an exam's title, prompts and expected answers in its summary).
        for line in clean(text).lines() {
            let (first, rest) = indents(line);
            self.para("", line.trim_start(), &first, &rest);
        }
    }

    fn summary(&mut self, s: &Summary) {
        self.line("");
        self.para("", &render_summary(s), "", "");
    }

    fn retry(&mut self, problem: &str) -> Result<Reply<bool>> {
        self.para("31;1", &clean(problem), "", "  ");
        let options = vec![
            "Try again".to_string(),
            "Quit (it will not be saved)".to_string(),
        ];
        let r = Select::new("It is kept. Try to save it again?", options)
            .with_help_message("Enter to pick, Esc to quit without saving it")
            .without_filtering()
            .raw_prompt()
            .map(|o| o.index == 0);
        reply(r)
    }
}

impl Terminal {
    /// The menu after the feedback. Esc at the flag note goes back to the menu without flagging.
    fn next_action(&mut self, f: &Feedback) -> Result<Reply<Action>> {
        loop {
            let mut options = vec!["Next card"];
            if f.can_override {
                options.push("I was right (override)");
            }
            options.push("Undo this answer");
            options.push(if f.flagged {
                "Unflag this card"
            } else {
                "Flag this card for the teacher"
            });
            options.push("End the session");
            let r = Select::new("Next?", options.iter().map(|s| s.to_string()).collect())
                .with_help_message("Enter for the next card, Esc to end the session")
                .without_filtering()
                .raw_prompt();
            let choice = match reply(r)? {
                Reply::Answer(o) => options[o.index],
                Reply::Quit => return Ok(Reply::Quit),
                Reply::Interrupt => return Ok(Reply::Interrupt),
                Reply::TimeUp => return Ok(Reply::TimeUp),
            };
            return Ok(Reply::Answer(match choice {
                "Next card" => Action::Next,
                "I was right (override)" => Action::Override,
                "Undo this answer" => Action::Undo,
                "Unflag this card" => Action::Unflag,
                "End the session" => Action::Quit,
                _ => {
                    let note = Text::new("What is wrong with this card? (optional)")
                        .with_help_message("Enter to flag it, Esc to go back without flagging")
                        .prompt();
                    match reply(note)? {
                        Reply::Answer(n) => Action::Flag(Some(n).filter(|n| !n.trim().is_empty())),
                        Reply::Quit => continue,
                        Reply::Interrupt => return Ok(Reply::Interrupt),
                        Reply::TimeUp => return Ok(Reply::TimeUp),
                    }
                }
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Attack: a long typed answer echoed by inquire after "> Your answer: " must break at spaces within the width,
    /// each line under the answer's first column, never mid-word.
    #[test]
    fn a_long_typed_answer_is_echoed_wrapped_at_words() {
        let typed = "Dmitry Rogozin, Russia's ambassador to NATO, later deputy prime minister in charge of defence";
        let echo = echoed(typed, TYPED, 60);
        let lines: Vec<&str> = echo.lines().collect();
        assert!(lines.len() >= 2, "{echo}");
        assert!(display(lines[0]) + 15 <= 60, "{echo}");
        for l in &lines[1..] {
            assert!(l.starts_with(&" ".repeat(15)) && display(l) <= 60, "{echo}");
        }
        let words: Vec<&str> = echo.split_whitespace().collect();
        assert_eq!(words, typed.split_whitespace().collect::<Vec<_>>());
        assert_eq!(echoed("Rogozin", TYPED, 60), "Rogozin");
    }

    fn display(s: &str) -> usize {
        layout::display_width(s)
    }
}
