//! Screens as a student sees them in the transcript of `detente study --plain`: in a real pseudo-terminal of 80x24 and of 100x32, everything it
//! draws rendered through a terminal emulator (`vt100`, with scrollback), then read back row by row. No row may be
//! one the terminal had to wrap (a line wider than the screen), no word of the deck's text may be split across rows,
//! and a card's header, prompt, choices and help line must be on screen together.

use crate::support::{pty, sample_db};
use rexpect::session::PtySession;
use std::path::Path;

const DOWN: &str = "\x1b[B";
const UP: &str = "\x1b[A";
const ESC: &str = "\x1b";

/// A study session in a pseudo-terminal of `cols` x `rows`, and the emulated screen it draws on.
struct Screen {
    p: PtySession,
    vt: vt100::Parser,
    cols: u16,
    rows: u16,
    /// Whether the help line of the prompt on screen has been read (the prompt is drawn and waits for keys).
    ready: bool,
}

impl Screen {
    fn study(db: &Path, cols: u16, rows: u16, args: &[&str]) -> Screen {
        let mut study = vec!["study", "--plain"];
        study.extend_from_slice(args);
        Screen {
            p: pty::spawn(db, "ann", (cols, rows), &study),
            vt: vt100::Parser::new(
                std::num::NonZeroU16::new(rows).expect("rows"),
                std::num::NonZeroU16::new(cols).expect("cols"),
                5_000,
            ),
            cols,
            rows,
            ready: false,
        }
    }

    /// Waits until a prompt is drawn and waiting for keys.
    fn prompt(&mut self) {
        if !self.ready {
            self.wait("to end the session]");
            self.ready = true;
        }
    }

    /// Waits until `text` has been drawn, and renders everything drawn so far.
    fn wait(&mut self, text: &str) {
        let needle: String = text.bytes().map(char::from).collect();
        let before = self
            .p
            .exp_string(&needle)
            .unwrap_or_else(|e| panic!("waiting for {text:?}: {e}"));
        let bytes: Vec<u8> = before
            .chars()
            .chain(needle.chars())
            .map(|c| c as u8)
            .collect();
        self.vt.process(&bytes);
    }

    /// Waits for the end of the program and renders the rest.
    fn finish(&mut self) {
        let rest = self.p.exp_eof().expect("eof");
        let bytes: Vec<u8> = rest.chars().map(|c| c as u8).collect();
        self.vt.process(&bytes);
    }

    fn key(&mut self, keys: &str) {
        self.ready = false;
        pty::key(&mut self.p, keys);
    }

    /// Sends keys that end a prompt (Enter or Esc last) and waits until the prompt has ended, so that what is
    /// waited for next is drawn after it (inquire ends every prompt by turning bracketed paste off).
    fn submit(&mut self, keys: &str) {
        self.key(keys);
        self.wait("\x1b[?2004l");
    }

    /// The rows on screen now.
    fn visible(&mut self) -> Vec<String> {
        self.vt.screen_mut().set_scrollback(0);
        self.vt.screen().rows(0, self.cols).collect()
    }

    /// Every row drawn, scrollback first, each with whether the terminal wrapped it.
    fn all_rows(&mut self) -> Vec<(String, bool)> {
        let screen = self.vt.screen_mut();
        screen.set_scrollback(usize::MAX);
        let back = screen.scrollback();
        let mut rows = Vec::new();
        for k in (1..=back).rev() {
            screen.set_scrollback(k);
            let row = screen.rows(0, self.cols).next().unwrap_or_default();
            rows.push((row, screen.row_wrapped(0)));
        }
        screen.set_scrollback(0);
        for (i, row) in screen.rows(0, self.cols).enumerate() {
            rows.push((row, screen.row_wrapped(i as u16)));
        }
        rows
    }

    /// The options of the list prompt on screen (the rows under its `? ` line), one string each, continuation
    /// rows joined, and the row of the cursor.
    fn options(&mut self) -> (Vec<String>, usize) {
        let rows = self.visible();
        let top = rows
            .iter()
            .rposition(|r| r.starts_with("? "))
            .expect("a prompt");
        let mut options: Vec<String> = Vec::new();
        let mut cursor = 0;
        for r in &rows[top + 1..] {
            if r.starts_with('[') || r.trim().is_empty() {
                break;
            }
            let body = r[2..].trim_start_matches("[ ] ").trim_start_matches("[x] ");
            if r.starts_with("> ") || !r.starts_with("      ") && !r.starts_with("    ") {
                if r.starts_with("> ") {
                    cursor = options.len();
                }
                options.push(body.trim().to_string());
            } else if let Some(last) = options.last_mut() {
                last.push(' ');
                last.push_str(r.trim());
            }
        }
        (options, cursor)
    }

    /// Moves the cursor of the list prompt on screen to the option that starts with `wanted`, and picks it.
    fn pick(&mut self, wanted: &str) {
        self.prompt();
        let (options, cursor) = self.options();
        let at = options
            .iter()
            .position(|o| o.starts_with(wanted))
            .unwrap_or_else(|| panic!("{wanted:?} is not among {options:?}"));
        if at >= cursor {
            self.key(&DOWN.repeat(at - cursor));
        } else {
            self.key(&UP.repeat(cursor - at));
        }
        self.submit("\r");
    }

    /// Checks that the card now asked fits the screen: its header (progress line), its prompt and the prompt's
    /// help line are all visible at once.
    fn card_fits(&mut self, prompt_start: &str) {
        self.wait(prompt_start);
        self.prompt();
        let rows = self.visible();
        let text = rows.join("\n");
        assert!(
            rows.iter().any(|r| r.contains(" done \u{b7} ")),
            "the header scrolled away at {}x{}:\n{text}",
            self.cols,
            self.rows
        );
        assert!(
            text.contains(prompt_start),
            "{prompt_start:?} not on screen:\n{text}"
        );
    }
}

/// Every row fits the screen without the terminal wrapping it, and every word of the deck's texts that was shown
/// stands whole on one row.
fn check_layout(s: &mut Screen, words_from: &[&str]) {
    let rows = s.all_rows();
    let text: Vec<&str> = rows.iter().map(|(r, _)| r.as_str()).collect();
    for (row, wrapped) in &rows {
        assert!(
            !wrapped,
            "the terminal wrapped a row at {}x{}: {row:?}\n{}",
            s.cols,
            s.rows,
            text.join("\n")
        );
        assert!(unicode_width::UnicodeWidthStr::width(row.as_str()) <= s.cols as usize);
    }
    for source in words_from {
        for word in source.split_whitespace() {
            assert!(
                text.iter().any(|r| r.split_whitespace().any(|w| w == word)),
                "{word:?} (from {source:?}) is not whole on any row at {}x{}:\n{}",
                s.cols,
                s.rows,
                text.join("\n")
            );
        }
    }
}

/// Deck text every session below shows in full, word for word.
const SHOWN: &[&str] = &[
    "What does Sherr expect the NATO-Russia Council at the close of the Lisbon summit to do to relations?",
    "Sherr thinks the Council is likely to 'refresh' relations but unlikely to transform them.",
    "Which threats do the allies believe would damage Russia's interests almost as much as their own? Tick all that Sherr lists.",
    "The allies' list also names ballistic missile proliferation; China and the north Caucasus are Russia's own problems, in a later paragraph.",
    "Who was Russia's Ambassador to NATO who called some of Europe's democracies 'new sickly democracies'?",
    "Put these events in the order Sherr's piece places them, earliest first.",
    "9/11 first, then the Georgia war (2008) and the phased programme (autumn 2009); Sherr writes as the Lisbon summit convenes.",
    "Match each of Russia's problems to how Sherr describes it.",
    "From hard power back to soft power, most successfully in Ukraine.",
];

/// Every kind answered wrong: the feedback says what was wrong, item by item.
fn every_kind_wrong(cols: u16, rows: u16) {
    let (_dir, db) = sample_db();
    let mut s = Screen::study(&db, cols, rows, &["--deck", "sample", "--seed", "7"]);

    s.card_fits("What does Sherr expect");
    s.pick("Transform them");
    s.wait("You picked: Transform them into an alliance");
    s.pick("Next card");

    s.card_fits("Which threats");
    s.submit(" \r");
    s.wait("choices right");
    s.wait("(a right answer you did not tick)");
    s.wait("(not a right answer)");
    s.pick("Next card");

    s.card_fits("According to Sherr");
    s.submit("t\r");
    s.wait("The answer: False");
    s.pick("Next card");

    s.card_fits("Who was Russia's Ambassador");
    s.submit("\r");
    s.wait("press Enter again to give up");
    s.submit("Rogov\r");
    s.wait("The answer: Dmitriy Rogozin");
    s.wait("You answered: Rogov");
    s.pick("Next card");

    s.card_fits("Whereas NATO seeks cooperation");
    s.submit("parity\r");
    s.wait("The answer: equality");
    s.pick("Next card");

    s.card_fits("Put these events in the order");
    for _ in 0..3 {
        s.pick("");
    }
    s.wait("in place");
    s.wait("where you put each");
    s.pick("Next card");

    s.card_fits("Match each of Russia's problems");
    for _ in 0..3 {
        s.pick("");
    }
    s.wait("matched");
    s.wait("right: ");
    s.pick("Next card");

    s.card_fits("In which year");
    s.submit("19 or 20\r");
    s.wait("The answer: 2008");
    s.pick("Next card");

    s.card_fits("What shift does Sherr describe");
    s.pick("Show the answer");
    s.pick("Again");
    s.wait("Again");
    s.pick("Next card");

    s.prompt();
    s.submit(ESC);
    s.wait("Session over: 9 cards done, 0 right (0%)");
    s.finish();
    check_layout(&mut s, SHOWN);
}

/// Every kind answered right.
fn every_kind_right(cols: u16, rows: u16) {
    let (_dir, db) = sample_db();
    let mut s = Screen::study(&db, cols, rows, &["--deck", "sample", "--seed", "7"]);

    s.card_fits("What does Sherr expect");
    s.pick("Refresh them");
    s.wait("\u{2713} Right");
    s.pick("Next card");

    s.card_fits("Which threats");
    let (options, _) = s.options();
    for o in &options {
        if ["NATO's failure", "Iran's nuclear", "The globalisation"]
            .iter()
            .any(|w| o.starts_with(w))
        {
            s.key(" ");
        }
        s.key(DOWN);
    }
    s.submit("\r");
    s.wait("\u{2713} Right");
    s.pick("Next card");

    s.card_fits("According to Sherr");
    s.submit("f\r");
    s.wait("\u{2713} Right");
    s.pick("Next card");

    s.card_fits("Who was Russia's Ambassador");
    s.submit("Rogozn\r");
    s.wait("You typed Rogozn; the answer is Rogozin");
    s.pick("Next card");

    s.card_fits("Whereas NATO seeks cooperation");
    s.submit("Equality\r");
    s.wait("\u{2713} Right");
    s.pick("Next card");

    s.card_fits("Put these events in the order");
    for item in ["The events of 9/11", "Russia's war", "The Obama"] {
        s.pick(item);
    }
    s.wait("\u{2713} Right");
    s.pick("Next card");

    s.card_fits("Match each of Russia's problems");
    let pairs = [
        ("China's", "Russia has no strategy"),
        ("The north Caucasus", "It is disintegrating"),
        ("Recovery from", "It is turning into"),
        ("'Modernisation'", "It remains only"),
    ];
    for _ in 0..3 {
        s.prompt();
        let rows = s.visible();
        let prompt = rows
            .iter()
            .rev()
            .find(|r| r.starts_with("? "))
            .expect("a left item")
            .clone();
        let right = pairs
            .iter()
            .find(|(l, _)| prompt[2..].starts_with(l))
            .unwrap_or_else(|| panic!("unknown left item {prompt:?}"))
            .1;
        s.pick(right);
    }
    s.wait("\u{2713} Right");
    s.pick("Next card");

    s.card_fits("In which year");
    s.submit("2008\r");
    s.wait("\u{2713} Right");
    s.pick("Next card");

    s.card_fits("What shift does Sherr describe");
    s.pick("Show the answer");
    s.pick("Good");
    s.wait("\u{2713} Good");
    s.pick("Next card");

    s.prompt();
    s.submit(ESC);
    s.wait("Session over: 9 cards done, 9 right (100%)");
    s.finish();
    check_layout(&mut s, SHOWN);
}

#[test]
fn every_kind_wrong_at_80x24() {
    every_kind_wrong(80, 24);
}

#[test]
fn every_kind_wrong_at_100x32() {
    every_kind_wrong(100, 32);
}

#[test]
fn every_kind_right_at_80x24() {
    every_kind_right(80, 24);
}

#[test]
fn every_kind_right_at_100x32() {
    every_kind_right(100, 32);
}

/// The built-in decks, whose texts are long: the first cards of a fresh session, each answered with the first
/// option or a wrong word, then Esc.
#[test]
fn built_in_cards_fit_at_80x24() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let mut s = Screen::study(&db, 80, 24, &["--seed", "3"]);
    for _ in 0..12 {
        s.prompt();
        let rows = s.visible();
        assert!(
            rows.iter().any(|r| r.contains(" done \u{b7} ")),
            "the header scrolled away:\n{}",
            rows.join("\n")
        );
        let prompt = rows
            .iter()
            .rev()
            .find(|r| r.starts_with("? "))
            .expect("a prompt")
            .clone();
        if prompt.starts_with("? Your answer:") && !rows.iter().any(|r| r.starts_with("> ")) {
            s.submit("zzz\r");
        } else if prompt.starts_with("? True or false?") {
            s.submit("t\r");
        } else if prompt.starts_with("? Tick every right answer:") {
            s.submit(" \r");
        } else {
            s.submit("\r");
        }
        // Through the answer (several picks for order and match cards) to the menu after it.
        loop {
            s.prompt();
            let rows = s.visible();
            let current = rows.iter().rev().find(|r| r.starts_with("? ")).cloned();
            s.submit("\r");
            if current.is_some_and(|c| c.starts_with("? Next?")) {
                break;
            }
        }
    }
    s.prompt();
    s.submit(ESC);
    s.wait("Session over: 12 cards done");
    s.finish();
    check_layout(&mut s, &[]);
}
