//! The terminal: the inquire implementation of [`Prompter`], how questions, feedback and summaries are drawn, colour,
//! and the removal of terminal control characters from deck text. The only module that uses inquire. Prompts and
//! messages go to stderr (as inquire draws there), so stdout stays clean for data.

pub mod html;
pub mod stats;
pub mod text;

use crate::error::{Error, Result};
use crate::grade::{Diff, Rule, diff};
use crate::session::{Action, Feedback, Prompter, Question, Reply, Summary};
use inquire::error::InquireError;
use inquire::ui::RenderConfig;
use inquire::{Confirm, MultiSelect, Select, Text};
use std::io::{IsTerminal, Write};

/// Whether to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Decides colour: `always` and `never` as said; `auto` colours a terminal unless `NO_COLOR` is set or
/// `TERM=dumb`.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
                && std::io::stderr().is_terminal()
        }
    }
}

/// Removes terminal control characters (escape sequences, carriage returns, C1 controls) from deck text, so a
/// deck cannot rewrite the learner's screen. Newlines and tabs stay.
pub fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// Whether both standard input and standard error are terminals (what an interactive session needs).
pub fn is_interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// The interactive terminal.
pub struct Terminal {
    color: bool,
    shown: Option<usize>,
}

impl Terminal {
    pub fn new(color: bool) -> Self {
        let config = if color {
            RenderConfig::default_colored()
        } else {
            RenderConfig::empty()
        };
        inquire::set_global_render_config(config);
        Terminal { color, shown: None }
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

    /// Prints the question header once per card.
    fn header(&mut self, q: &Question) {
        if self.shown == Some(q.number) {
            return;
        }
        self.shown = Some(q.number);
        let tag = if q.new { " \u{b7} new" } else { "" };
        let status = q
            .status
            .as_deref()
            .map_or(String::new(), |s| format!(" \u{b7} {}", clean(s)));
        self.line("");
        self.line(&self.paint(
            "2",
            &format!(
                "#{} \u{b7} {} \u{b7} {}{tag}{status}",
                q.number,
                clean(&q.deck),
                q.kind
            ),
        ));
        self.line(&self.paint("1", &clean(&q.prompt)));
    }

    fn help(q: &Question, base: &str) -> String {
        match &q.hint {
            Some(h) if !base.contains('?') => format!("{base} \u{b7} hint: {}", clean(h)),
            _ => base.to_string(),
        }
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

impl Prompter for Terminal {
    fn choose(&mut self, q: &Question, label: &str, options: &[String]) -> Result<Reply<usize>> {
        self.header(q);
        let options: Vec<String> = options.iter().map(|o| clean(o)).collect();
        let message = if label.is_empty() {
            "Your answer:"
        } else {
            label
        };
        let help = Terminal::help(
            q,
            "\u{2191}\u{2193} to move, Enter to pick, Esc to end the session",
        );
        let r = Select::new(message, options)
            .with_help_message(&help)
            .with_page_size(10)
            .without_filtering()
            .raw_prompt()
            .map(|o| o.index);
        reply(r)
    }

    fn choose_many(&mut self, q: &Question, options: &[String]) -> Result<Reply<Vec<usize>>> {
        self.header(q);
        let options: Vec<String> = options.iter().map(|o| clean(o)).collect();
        let help = Terminal::help(q, "Space to tick, Enter when done, Esc to end the session");
        let r = MultiSelect::new("Tick every right answer:", options)
            .with_help_message(&help)
            .with_page_size(10)
            .without_filtering()
            .raw_prompt()
            .map(|v| v.into_iter().map(|o| o.index).collect());
        reply(r)
    }

    fn judge(&mut self, q: &Question) -> Result<Reply<bool>> {
        self.header(q);
        let help = Terminal::help(
            q,
            "t or y for true, f or n for false, Esc to end the session",
        );
        let r = Confirm::new("True or false?")
            .with_help_message(&help)
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
                "type ? for a hint, Esc to end the session"
            } else {
                "Enter to answer, Esc to end the session"
            };
            let r = Text::new("Your answer:").with_help_message(help).prompt();
            match r {
                Ok(s) if s.trim() == "?" => {
                    let hint = q
                        .hint
                        .as_deref()
                        .map_or("There is no hint for this card.".into(), |h| {
                            format!("Hint: {}", clean(h))
                        });
                    self.line(&self.paint("33", &hint));
                }
                other => return reply(other),
            }
        }
    }

    fn reveal(&mut self, q: &Question, back: &str) -> Result<Reply<u8>> {
        self.header(q);
        let shown = Select::new(
            "Recall the answer, then:",
            vec!["Show the answer".to_string()],
        )
        .with_help_message(&Terminal::help(
            q,
            "Enter to reveal, Esc to end the session",
        ))
        .without_filtering()
        .raw_prompt();
        match reply(shown)? {
            Reply::Answer(_) => {}
            Reply::Quit => return Ok(Reply::Quit),
            Reply::Interrupt => return Ok(Reply::Interrupt),
        }
        self.line(&self.paint("36", &format!("\u{2192} {}", clean(back))));
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
            .map(|o| o.index as u8 + 1);
        reply(r)
    }

    fn feedback(&mut self, f: &Feedback) -> Result<Reply<Action>> {
        let verdict = match (f.correct, f.rule) {
            (true, Rule::Typo) => self.paint("32;1", "\u{2713} Right (near miss)"),
            (true, Rule::Override) => self.paint("32;1", "\u{2713} Marked right (your override)"),
            (true, Rule::SelfGraded) => {
                self.paint("32;1", &format!("\u{2713} {}", clean(&f.given)))
            }
            (true, _) => self.paint("32;1", "\u{2713} Right"),
            (false, Rule::SelfGraded) => self.paint("31;1", "\u{2717} Again"),
            (false, _) => self.paint("31;1", "\u{2717} Wrong"),
        };
        self.line(&verdict);
        if let Some((typed, expected)) = &f.near {
            let marked: String = diff(typed, expected)
                .into_iter()
                .map(|d| match d {
                    Diff::Same(s) => clean(&s),
                    Diff::Missing(s) => self.paint("32;4", &format!("[+{}]", clean(&s))),
                    Diff::Extra(s) => self.paint("31;9", &format!("[-{}]", clean(&s))),
                })
                .collect();
            self.line(&format!(
                "  You typed {}; the spelling is {} ({marked})",
                clean(typed),
                clean(expected)
            ));
        } else if !f.correct || f.rule == Rule::Alias {
            if !f.correct && f.rule != Rule::SelfGraded {
                self.line(&format!("  Your answer: {}", clean(&f.given)));
            }
            self.line(&format!(
                "  Answer: {}",
                self.paint("1", &clean(&f.expected))
            ));
        }
        if let Some(e) = &f.explain {
            self.line(&format!("  {}", clean(e)));
        }
        if let Some(c) = &f.citation {
            self.line(&self.paint("2", &format!("  Source: {}", clean(c))));
        }
        if let Some(d) = &f.next_due {
            self.line(&self.paint("2", &format!("  Next review: {d}")));
        }
        if f.leech {
            self.line(&self.paint(
                "33",
                "  This card is a leech: you have failed it 8 times. Try a new way to remember it.",
            ));
        }
        let mut options = vec!["Next card"];
        if f.can_override {
            options.push("I was right (override)");
        }
        options.extend([
            "Undo this answer",
            "Flag this card for the teacher",
            "End the session",
        ]);
        let r = Select::new("Next?", options.iter().map(|s| s.to_string()).collect())
            .with_help_message("Enter for the next card, Esc to end the session")
            .without_filtering()
            .raw_prompt();
        let choice = match reply(r)? {
            Reply::Answer(o) => options[o.index],
            Reply::Quit => return Ok(Reply::Quit),
            Reply::Interrupt => return Ok(Reply::Interrupt),
        };
        Ok(Reply::Answer(match choice {
            "Next card" => Action::Next,
            "I was right (override)" => Action::Override,
            "Undo this answer" => Action::Undo,
            "End the session" => Action::Quit,
            _ => {
                let note = Text::new("What is wrong with this card? (optional)").prompt();
                match reply(note)? {
                    Reply::Answer(n) => Action::Flag(Some(n).filter(|n| !n.trim().is_empty())),
                    Reply::Quit => Action::Flag(None),
                    Reply::Interrupt => return Ok(Reply::Interrupt),
                }
            }
        }))
    }

    fn message(&mut self, text: &str) {
        // After a message (an undo, say) the question is shown again in full.
        self.shown = None;
        self.line(text);
    }

    fn summary(&mut self, s: &Summary) {
        self.line("");
        self.line(&render_summary(s));
    }
}

/// A progress bar over `total` bytes on stderr, drawn only when stderr is a terminal.
pub fn progress(total: u64, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:40}] {bytes}/{total_bytes} ({eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// The end-of-session summary as text.
pub fn render_summary(s: &Summary) -> String {
    let mins = s.seconds / 60;
    let secs = s.seconds % 60;
    let pct = (s.right * 100)
        .checked_div(s.done)
        .map(|p| format!(" ({p}%)"))
        .unwrap_or_default();
    let mut out = format!(
        "{}: {} card{} done, {} right{pct}, in {mins}m {secs:02}s.",
        if s.cram {
            "Cram session"
        } else {
            "Session over"
        },
        s.done,
        if s.done == 1 { "" } else { "s" },
        s.right
    );
    if !s.cram {
        if s.later_today > 0 {
            out.push_str(&format!(
                " {} card(s) in learning come back later today.",
                s.later_today
            ));
        }
        out.push_str(&format!(" Due tomorrow: {}.", s.due_tomorrow));
    } else {
        out.push_str(" Cramming moved no schedule.");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(
            clean("NATO\x1b[2J\x1b]0;pwned\x07 \u{9b}31m\r\nok\tfine"),
            "NATO[2J]0;pwned 31m\nok\tfine"
        );
    }

    #[test]
    fn summaries_read_well() {
        let s = Summary {
            done: 4,
            right: 3,
            seconds: 125,
            due_tomorrow: 2,
            ..Default::default()
        };
        assert_eq!(
            render_summary(&s),
            "Session over: 4 cards done, 3 right (75%), in 2m 05s. Due tomorrow: 2."
        );
    }
}
