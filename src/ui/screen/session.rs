//! The session's [`Prompter`] on full screens, for exams and for study: every question on a cleared screen under a
//! header. In an exam the header's clock ticks while the learner reads and types (the session's [`Clock`], so the
//! time is the one the session judges by), with warnings at 5 minutes and 1 minute, and [`Reply::TimeUp`] the moment
//! the deadline passes, whatever is being typed. Choice, multi, true/false, order and match steps are lists (arrows
//! or digits, Space to tick, Enter); typed answers use the [`LineEditor`]; a flashcard is revealed with Space or
//! Enter and graded 1 to 4. In study, a digit answers at once (as Anki's keys do) and each answer's feedback is a
//! page of its own (`study.rs`). With free navigation, the summary page and the submit confirmation. An exam's
//! result stays on a clean screen until a key is pressed; it (or a study session's summary), and any message no
//! screen showed (how to resume), are printed once the terminal is given back.

use super::super::layout;
use super::super::render::{Line, Style, indents};
use super::editor::LineEditor;
use super::frame::{Frame, Scroll, spread, wrapped};
use super::widgets::{Page, Pick, Typing, Widget};
use super::{Key, Screen};
use crate::error::Result;
use crate::schedule::Rating;
use crate::session::exam::{Countdown, ExamSummary, Warning, countdown};
use crate::session::{Action, Clock, Feedback, Go, Overview, Prompter, Question, Reply, Summary};
use crate::text::clean;
use crate::time::UnixMs;
use std::io::Write;
use std::time::Duration;

/// What the top of a screen says.
#[derive(Debug, Clone)]
pub(super) struct Head {
    pub(super) title: String,
    pub(super) status: String,
    pub(super) prompt: Option<String>,
    pub(super) saved: Option<String>,
    pub(super) deadline: Option<UnixMs>,
    pub(super) help: String,
}

/// A session on full screens, its clock read from the session's.
pub struct SessionScreen<'c> {
    color: bool,
    clock: &'c dyn Clock,
    /// Free navigation: Esc at a question goes to the summary page.
    free: bool,
    /// A study session: digits answer at once, and feedback is shown after each answer.
    pub(super) study: bool,
    pub(super) screen: Option<Screen>,
    /// Messages shown at the foot of the next screens, until a prompt ends.
    flash: Vec<String>,
    /// Messages no screen has shown yet: printed when the terminal is given back.
    unseen: Vec<String>,
    /// What stays printed after the last screen: the result's headline.
    result: Vec<String>,
    /// The header of the question last asked, which its feedback page repeats.
    pub(super) asked: Option<Head>,
    /// The screen last drawn, to show a message on at once (the wait for a busy database happens between screens).
    last: Option<Frame>,
}

impl<'c> SessionScreen<'c> {
    /// An exam's screens, whose clock is `clock`; `free` for an exam with free navigation.
    pub fn new(color: bool, clock: &'c dyn Clock, free: bool) -> Self {
        SessionScreen {
            color,
            clock,
            free,
            study: false,
            screen: None,
            flash: Vec::new(),
            unseen: Vec::new(),
            result: Vec::new(),
            asked: None,
            last: None,
        }
    }

    /// A study session's screens.
    pub fn study(color: bool, clock: &'c dyn Clock) -> Self {
        let mut screen = SessionScreen::new(color, clock, false);
        screen.study = true;
        screen
    }

    /// Gives the terminal back (leaving the alternate screen) and prints what must stay in view: any message no
    /// screen showed (how to resume a paused attempt) and the result's headline. Dropping the screen does the same.
    pub fn finish(&mut self) {
        if self.screen.take().is_none() && self.unseen.is_empty() && self.result.is_empty() {
            return;
        }
        let width = layout::width();
        let mut err = std::io::stderr().lock();
        for m in self.unseen.drain(..).chain(self.result.drain(..)) {
            for line in clean(&m).lines() {
                let (first, rest) = indents(line);
                for l in layout::wrap(line.trim_start(), width, &first, &rest) {
                    let _ = writeln!(err, "{l}");
                }
            }
        }
    }

    pub(super) fn question_head(&mut self, q: &Question, help: &str) -> Head {
        let status = q.status.as_deref().map_or_else(
            || format!("Question {}", q.number),
            |s| {
                let mut c = s.chars();
                c.next()
                    .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
            },
        );
        let esc = if self.study {
            "Esc to end the session"
        } else if self.free {
            "Esc for the summary"
        } else {
            "Esc to pause"
        };
        let reversed = if q.reversed { ", reversed" } else { "" };
        let new = if q.new { " (new)" } else { "" };
        let head = Head {
            title: q.deck.clone(),
            status: format!("{status} \u{b7} {}{reversed}{new}", q.kind),
            prompt: Some(q.prompt.clone()),
            saved: q.saved.clone(),
            deadline: q.deadline,
            help: format!("{help}, {esc}"),
        };
        self.asked = Some(head.clone());
        head
    }

    fn frame<W: Widget>(
        &self,
        head: &Head,
        clock: Option<&Countdown>,
        w: &W,
        width: usize,
    ) -> Frame {
        let style = match clock.and_then(|c| c.warning) {
            None => Style::Plain,
            Some(Warning::FiveMinutes) => Style::Warn,
            Some(Warning::OneMinute) => Style::Wrong,
        };
        let time = clock.map_or(String::new(), |c| c.text.clone());
        let mut header: Vec<Line> = spread(&clean(&head.title), &time, width)
            .into_iter()
            .map(|text| Line { text, style })
            .collect();
        header.extend(wrapped(Style::Dim, &head.status, width, "", ""));
        if let Some(warning) = clock.and_then(|c| c.warning) {
            header.extend(wrapped(style, warning.text(), width, "", ""));
        }
        header.push(Line {
            text: "\u{2500}".repeat(width),
            style: Style::Dim,
        });
        let mut body = Vec::new();
        if let Some(p) = &head.prompt {
            body.extend(wrapped(Style::Bold, p, width, "", ""));
            body.push(Line {
                text: String::new(),
                style: Style::Plain,
            });
        }
        if let Some(s) = &head.saved {
            body.extend(wrapped(
                Style::Dim,
                &format!("Your saved answer: {s}"),
                width,
                "",
                "  ",
            ));
        }
        let offset = body.len();
        let (lines, scroll, cursor) = w.body(width);
        body.extend(lines);
        let scroll = match scroll {
            Scroll::Focus(a, b) => Scroll::Focus(a + offset, b + offset),
            Scroll::Top(t) => Scroll::Top(t + offset),
        };
        let mut footer = Vec::new();
        for f in &self.flash {
            footer.extend(wrapped(Style::Warn, f, width, "", "  "));
        }
        footer.extend(wrapped(Style::Dim, &head.help, width, "", ""));
        Frame {
            header,
            body,
            footer,
            scroll,
            cursor: cursor.map(|(l, c)| (l + offset, c)),
        }
    }

    /// Draws `head` and `w`, redrawing as the clock ticks, until a key ends the wait, Ctrl-C, or the deadline.
    pub(super) fn wait<W: Widget>(&mut self, head: &Head, w: &mut W) -> Result<Reply<W::Out>> {
        if self.screen.is_none() {
            self.screen = Some(Screen::enter(self.color)?);
        }
        loop {
            let now = self.clock.now_ms();
            let clock = head.deadline.map(|d| countdown(d, now));
            if clock.as_ref().is_some_and(|c| c.over) {
                self.flash.clear();
                return Ok(Reply::TimeUp);
            }
            let Some(width) = self.screen.as_ref().map(|s| s.size().0) else {
                return Ok(Reply::Quit);
            };
            let frame = self.frame(head, clock.as_ref(), w, width);
            let Some(screen) = self.screen.as_mut() else {
                return Ok(Reply::Quit);
            };
            let drawn = screen.draw(&frame)?;
            self.last = Some(frame);
            self.unseen.clear();
            w.seen(drawn.max_top);
            // Wake when the time shown next changes (it is rounded up to the second).
            let wake = head
                .deadline
                .map_or(1000, |d| (d.since(now) - 1).rem_euclid(1000) + 5);
            match screen.key(Duration::from_millis(wake as u64))? {
                None => {}
                Some(Key::Interrupt) => return Ok(Reply::Interrupt),
                Some(k) => {
                    if let Some(r) = w.key(k) {
                        self.flash.clear();
                        return Ok(r);
                    }
                }
            }
        }
    }

    pub(super) fn pick(&mut self, head: &Head, mut pick: Pick) -> Result<Reply<usize>> {
        Ok(match self.wait(head, &mut pick)? {
            Reply::Answer(v) => Reply::Answer(v.first().copied().unwrap_or(0)),
            Reply::Quit => Reply::Quit,
            Reply::Interrupt => Reply::Interrupt,
            Reply::TimeUp => Reply::TimeUp,
        })
    }
}

impl Drop for SessionScreen<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}

const MOVE: &str = "\u{2191}\u{2193} or a digit to move, type to filter, Enter to answer";
/// In study, a digit answers at once.
const PICK: &str = "a digit to answer, type to filter, or \u{2191}\u{2193} and Enter";

impl Prompter for SessionScreen<'_> {
    fn choose(&mut self, q: &Question, label: &str, options: &[String]) -> Result<Reply<usize>> {
        let head = self.question_head(q, if self.study { PICK } else { MOVE });
        let label = if label.is_empty() {
            "Your answer:"
        } else {
            label
        };
        let options = options.iter().map(|o| o.replace('\n', " ")).collect();
        let mut pick = Pick::new(label, options);
        pick.instant = self.study;
        pick.filter = Some(String::new());
        self.pick(&head, pick)
    }

    fn choose_many(&mut self, q: &Question, options: &[String]) -> Result<Reply<Vec<usize>>> {
        let head = self.question_head(
            q,
            if self.study {
                "\u{2191}\u{2193} to move, Space or a digit to tick, Enter to answer"
            } else {
                "\u{2191}\u{2193} to move, Space to tick, Enter to answer"
            },
        );
        let options = options.iter().map(|o| o.replace('\n', " ")).collect();
        let mut pick = Pick::new("Tick every right answer:", options);
        pick.ticks = Some(vec![false; pick.options.len()]);
        pick.instant = self.study;
        pick.filter = Some(String::new());
        self.wait(&head, &mut pick)
    }

    fn judge(&mut self, q: &Question) -> Result<Reply<bool>> {
        let head = self.question_head(
            q,
            if self.study {
                "t or f to answer (or \u{2191}\u{2193} and Enter)"
            } else {
                "t or f (or \u{2191}\u{2193}) to pick, Enter to answer"
            },
        );
        let mut pick = Pick::new("True or false?", vec!["True".into(), "False".into()]);
        pick.letters = vec![('t', 0), ('y', 0), ('f', 1), ('n', 1)];
        pick.instant = self.study;
        Ok(match self.pick(&head, pick)? {
            Reply::Answer(i) => Reply::Answer(i == 0),
            Reply::Quit => Reply::Quit,
            Reply::Interrupt => Reply::Interrupt,
            Reply::TimeUp => Reply::TimeUp,
        })
    }

    fn type_answer(&mut self, q: &Question) -> Result<Reply<String>> {
        let head = self.question_head(q, "Type your answer, Enter to answer");
        let mut typing = Typing {
            label: "Your answer:",
            editor: LineEditor::new(q.saved.as_deref().unwrap_or("")),
        };
        self.wait(&head, &mut typing)
    }

    fn reveal(&mut self, q: &Question, back: &str) -> Result<Reply<Rating>> {
        let head = self.question_head(q, "Space or Enter to reveal");
        let mut show = Pick::new("Recall the answer, then:", vec!["Show the answer".into()]);
        show.numbered = false;
        show.letters = vec![(' ', 0)];
        show.instant = true;
        match self.pick(&head, show)? {
            Reply::Answer(_) => {}
            Reply::Quit => return Ok(Reply::Quit),
            Reply::Interrupt => return Ok(Reply::Interrupt),
            Reply::TimeUp => return Ok(Reply::TimeUp),
        }
        let head = self.question_head(q, "1 to 4 to grade (or \u{2191}\u{2193} and Enter)");
        let grades = vec![
            "Again: I did not know it".to_string(),
            "Hard: I recalled it with difficulty".to_string(),
            "Good: I recalled it".to_string(),
            "Easy: I knew it at once".to_string(),
        ];
        let mut pick = Pick::new(
            &format!("\u{2192} {}\nHow well did you recall it?", clean(back)),
            grades,
        );
        pick.cursor = 2;
        pick.instant = true;
        Ok(match self.pick(&head, pick)? {
            Reply::Answer(i) => Reply::Answer(Rating::ALL.get(i).copied().unwrap_or(Rating::Good)),
            Reply::Quit => Reply::Quit,
            Reply::Interrupt => Reply::Interrupt,
            Reply::TimeUp => Reply::TimeUp,
        })
    }

    fn feedback(&mut self, f: &Feedback) -> Result<Reply<Action>> {
        if self.study {
            return self.feedback_page(f);
        }
        // An exam gives no feedback until its end.
        Ok(Reply::Answer(Action::Next))
    }

    fn message(&mut self, text: &str) {
        self.flash.push(text.to_string());
        self.unseen.push(text.to_string());
        // Shown at once at the foot of the screen last drawn (a wait for the database, say); the next screen
        // shows it again until a prompt ends.
        if let (Some(screen), Some(last)) = (self.screen.as_mut(), self.last.as_mut()) {
            let width = screen.size().0;
            let mut shown = wrapped(Style::Warn, text, width, "", "  ");
            shown.append(&mut last.footer);
            last.footer = shown;
            // Still printed after the last screen unless a prompt follows (the message that ends a sitting).
            let _ = screen.draw(last);
        }
    }

    fn summary(&mut self, s: &Summary) {
        self.result.push(super::super::render_summary(s));
    }

    fn retry(&mut self, problem: &str) -> Result<Reply<bool>> {
        let head = Head {
            title: "Not saved yet".into(),
            status: String::new(),
            prompt: Some(problem.to_string()),
            saved: None,
            deadline: None,
            help: "Enter to pick, Esc to quit without saving it".into(),
        };
        let options = vec![
            "Try again".to_string(),
            "Quit (it will not be saved)".to_string(),
        ];
        Ok(
            match self.pick(
                &head,
                Pick::new("It is kept. Try to save it again?", options),
            )? {
                Reply::Answer(i) => Reply::Answer(i == 0),
                Reply::Quit | Reply::TimeUp => Reply::Quit,
                Reply::Interrupt => Reply::Interrupt,
            },
        )
    }

    fn exam_summary(&mut self, s: &ExamSummary) {
        self.result = vec![s.headline()];
        let head = Head {
            title: format!("{}: result", s.title),
            status: format!("Attempt {}", s.attempt),
            prompt: None,
            saved: None,
            deadline: None,
            help: "\u{2191}\u{2193} PgUp PgDn to scroll, any other key to leave".into(),
        };
        let mut page = Page {
            text: s.render(),
            top: 0,
        };
        // The messages before it (time up) are part of the result page.
        let _ = self.wait(&head, &mut page);
        self.unseen.clear();
    }

    fn overview(&mut self, o: &Overview) -> Result<Reply<Go>> {
        let answered = o.entries.len() - o.unanswered().len();
        let mut options: Vec<String> = o
            .entries
            .iter()
            .map(|e| {
                let prompt = clean(&e.prompt).replace('\n', " ");
                match &e.answer {
                    Some(a) => format!(
                        "{:>2}. \u{2713} {prompt}\nAnswer: {}",
                        e.number,
                        clean(a).replace('\n', " ")
                    ),
                    None => format!("{:>2}. \u{2013} {prompt}\nNot answered", e.number),
                }
            })
            .collect();
        options.push("Submit all and finish".into());
        let head = Head {
            title: o.title.clone(),
            status: format!(
                "Summary of attempt: {answered} of {} answered",
                o.entries.len()
            ),
            prompt: None,
            saved: None,
            deadline: o.deadline,
            help: "\u{2191}\u{2193} to move, Enter to open a question or submit, Esc to pause"
                .into(),
        };
        let mut pick = Pick::new(
            "Pick a question to answer or change it, or submit the attempt:",
            options,
        );
        pick.numbered = false;
        // Wrapped lines and the answer go under the prompt, after " 1. ✓ ".
        pick.hang = 6;
        pick.cursor = o
            .entries
            .iter()
            .position(|e| e.answer.is_none())
            .unwrap_or(o.entries.len());
        Ok(match self.pick(&head, pick)? {
            Reply::Answer(i) => Reply::Answer(
                o.entries
                    .get(i)
                    .map_or(Go::Submit, |e| Go::Question(e.number)),
            ),
            Reply::Quit => Reply::Quit,
            Reply::Interrupt => Reply::Interrupt,
            Reply::TimeUp => Reply::TimeUp,
        })
    }

    fn confirm_submit(&mut self, o: &Overview) -> Result<Reply<bool>> {
        let missing = o.unanswered();
        let say = if missing.is_empty() {
            "Every question is answered. Once you submit, your answers cannot be changed."
                .to_string()
        } else {
            let list: Vec<String> = missing.iter().map(|n| n.to_string()).collect();
            format!(
                "Not answered: question{} {}. Unanswered questions score nothing. Once you submit, your answers cannot be changed.",
                if missing.len() == 1 { "" } else { "s" },
                list.join(", ")
            )
        };
        let head = Head {
            title: o.title.clone(),
            status: "Submit the attempt?".into(),
            prompt: Some(say),
            saved: None,
            deadline: o.deadline,
            help: "y or n (or \u{2191}\u{2193}), Enter to confirm, Esc to go back".into(),
        };
        let mut pick = Pick::new(
            "",
            vec![
                "No, back to the summary".into(),
                "Yes, submit and finish".into(),
            ],
        );
        pick.letters = vec![('n', 0), ('y', 1)];
        Ok(match self.pick(&head, pick)? {
            Reply::Answer(i) => Reply::Answer(i == 1),
            Reply::Quit => Reply::Answer(false),
            Reply::Interrupt => Reply::Interrupt,
            Reply::TimeUp => Reply::TimeUp,
        })
    }
}
