//! `detente study` one card per screen, in a real pseudo-terminal rendered through a terminal emulator (`vt100`) and
//! read back as the screen a student sees: the longest built-in order, match and multi cards answered wrong keep
//! their verdict and every item row on screen at once, at 80x24 and at 100x32; Anki's keys (a digit answers, Space
//! reveals a flashcard, 1 to 4 grade it, Space goes on); colour only when asked for, never with `NO_COLOR`; the
//! summary left on the normal screen once the terminal is given back.

use crate::support::{detente, pty, run, sample_db};
use rexpect::session::PtySession;
use std::path::Path;

const ESC: &str = "\x1b";

/// A study session on full screens in a pseudo-terminal of `cols` x `rows`, and the emulated screen.
struct Study {
    p: PtySession,
    vt: vt100::Parser,
    cols: u16,
    /// Everything the program drew, as bytes.
    raw: Vec<u8>,
}

impl Study {
    fn start(db: &Path, (cols, rows): (u16, u16), args: &[&str]) -> Study {
        Study {
            p: pty::spawn(db, "ann", (cols, rows), args),
            vt: vt100::Parser::new(
                std::num::NonZeroU16::new(rows).expect("rows"),
                std::num::NonZeroU16::new(cols).expect("cols"),
                0,
            ),
            cols,
            raw: Vec::new(),
        }
    }

    /// Waits until `text` has been drawn, and renders everything drawn so far.
    fn wait(&mut self, text: &str) {
        let needle: String = text.bytes().map(char::from).collect();
        let before = self
            .p
            .exp_string(&needle)
            .unwrap_or_else(|e| panic!("waiting for {text:?}: {e}\n{}", self.text()));
        let bytes: Vec<u8> = before
            .chars()
            .chain(needle.chars())
            .map(|c| c as u8)
            .collect();
        self.vt.process(&bytes);
        self.raw.extend(bytes);
    }

    fn key(&mut self, keys: &str) {
        pty::key(&mut self.p, keys);
    }

    fn rows(&self) -> Vec<String> {
        self.vt.screen().rows(0, self.cols).collect()
    }

    fn text(&self) -> String {
        self.rows().join("\n")
    }

    /// Waits for the end of the program and renders the rest.
    fn finish(&mut self) {
        let rest = self.p.exp_eof().expect("eof");
        let bytes: Vec<u8> = rest.chars().map(|c| c as u8).collect();
        self.vt.process(&bytes);
        self.raw.extend(bytes);
    }
}

/// The built-in card of `kind` whose text is longest, as a TOML table, and its deck's header.
fn longest(kind: &str) -> (toml::Table, toml::Table) {
    let mut best: Option<(usize, toml::Table, toml::Table)> = None;
    for entry in std::fs::read_dir("decks").expect("decks") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let file: toml::Table = std::fs::read_to_string(&path)
            .expect("read")
            .parse()
            .expect("a deck");
        let deck = file["deck"].as_table().expect("[deck]").clone();
        for card in file["card"].as_array().expect("cards") {
            let card = card.as_table().expect("a card");
            if card["kind"].as_str() != Some(kind) {
                continue;
            }
            let size = card.to_string().len();
            if best.as_ref().is_none_or(|(s, _, _)| size > *s) {
                best = Some((size, card.clone(), deck.clone()));
            }
        }
    }
    let (_, card, deck) = best.expect("a card of that kind");
    (card, deck)
}

/// A database holding one deck `longest-KIND` with the longest built-in card of `kind`; the card.
fn deck_of_longest(dir: &Path, kind: &str) -> (std::path::PathBuf, toml::Table) {
    let (mut card, mut deck) = longest(kind);
    deck.insert("id".into(), format!("longest-{kind}").into());
    deck.insert("title".into(), format!("The longest {kind} card").into());
    card.insert(
        "id".into(),
        format!("{}-copy", card["id"].as_str().expect("id")).into(),
    );
    card.remove("requires");
    let mut file = toml::Table::new();
    file.insert("deck".into(), deck.into());
    file.insert("card".into(), vec![toml::Value::from(card.clone())].into());
    let path = dir.join(format!("{kind}.toml"));
    std::fs::write(&path, toml::to_string(&file).expect("toml")).expect("write");
    let db = dir.join("d.db");
    let out = run(
        detente(&db),
        &["deck", "import", path.to_str().expect("path")],
    );
    assert!(out.status.success(), "{out:?}");
    (db, card)
}

/// How many item rows the feedback of `card` answered wrong shows: a row per order item, match pair or choice.
fn items(card: &toml::Table) -> usize {
    let list = |key: &str| card.get(key).and_then(|v| v.as_array()).map_or(0, Vec::len);
    match card["kind"].as_str() {
        Some("order") => list("items"),
        Some("match") => list("pairs"),
        _ => list("choices"),
    }
}

/// The card of `kind` answered wrong at `size`: the verdict and one row per item all on the screen at once, and no
/// row wider than the screen.
fn longest_wrong(kind: &str, size: (u16, u16)) {
    let dir = tempfile::tempdir().expect("tmp");
    let (db, card) = deck_of_longest(dir.path(), kind);
    let mut s = Study::start(
        &db,
        size,
        &[
            "study",
            "--cram",
            "--deck",
            &format!("longest-{kind}"),
            "--seed",
            "1",
        ],
    );
    s.wait("to end the session");
    let n = items(&card);
    assert!(n >= 4, "{card:?}");
    match kind {
        // Each step's first option, in turn: the order the shuffle gave, or its first pairing.
        "order" | "match" => {
            for _ in 0..n {
                s.key("\r");
                std::thread::sleep(std::time::Duration::from_millis(150));
            }
        }
        // The first choice only, which no built-in multi card has as its whole answer.
        _ => s.key("1\r"),
    }
    s.wait("Enter next card");
    s.wait("session");
    let rows = s.rows();
    let text = s.text();
    assert!(
        rows.iter().any(|r| r.starts_with("\u{2717} Wrong")),
        "no verdict on screen at {size:?}:\n{text}"
    );
    let marked = |r: &&String| {
        let t = r.trim_start();
        if r.starts_with("\u{2717} Wrong") {
            return false;
        }
        match kind {
            "order" => t
                .split_whitespace()
                .nth(1)
                .is_some_and(|w| w == "\u{2713}" || w == "\u{2717}"),
            "match" => t.starts_with('\u{2713}') || t.starts_with('\u{2717}'),
            _ => t.starts_with("[x]") || t.starts_with("[ ]"),
        }
    };
    assert_eq!(
        rows.iter().filter(marked).count(),
        n,
        "not every item row on screen at {size:?}:\n{text}"
    );
    for r in &rows {
        assert!(
            unicode_width::UnicodeWidthStr::width(r.as_str()) <= size.0 as usize,
            "{r:?}"
        );
    }
    s.key(ESC);
    s.wait("1 card done, 0 right");
    s.finish();
}

/// Attack: the longest built-in order card answered wrong, whose comparison table is the tallest feedback a deck
/// has: before one card per screen its verdict and most rows scrolled off the top at 80x24.
#[test]
fn the_longest_order_card_answered_wrong_keeps_its_verdict_and_rows_on_screen() {
    for size in [(80, 24), (100, 32)] {
        longest_wrong("order", size);
    }
}

/// Attack: as above, the longest match card (a row, and a "right:" row, per wrong pair).
#[test]
fn the_longest_match_card_answered_wrong_keeps_its_verdict_and_rows_on_screen() {
    for size in [(80, 24), (100, 32)] {
        longest_wrong("match", size);
    }
}

/// Attack: as above, the longest multi card (a row per choice, ticked or not, with why).
#[test]
fn the_longest_multi_card_answered_wrong_keeps_its_verdict_and_rows_on_screen() {
    for size in [(80, 24), (100, 32)] {
        longest_wrong("multi", size);
    }
}

/// Attack: Anki's keys. A digit answers a choice at once (no Enter), a digit ticks a multi's choice, Space goes on
/// from the feedback, Space reveals a flashcard and 1 grades it Again; the reversed and new state is in the header;
/// f flags a card with a note typed under "Your note:" (not "Your answer:"), stored with the flag; Esc ends the
/// session and its summary stays on the normal screen, the alternate screen left.
#[test]
fn a_digit_answers_space_reveals_and_a_number_grades() {
    let (_dir, db) = sample_db();
    let mut s = Study::start(&db, (80, 24), &["study", "--deck", "sample", "--seed", "7"]);
    s.wait("What does Sherr expect");
    s.wait("to end the session");
    assert!(s.text().contains("choice (new)"), "{}", s.text());
    s.key("2");
    s.wait("Enter next card");
    assert!(
        s.rows()
            .iter()
            .any(|r| r.starts_with("\u{2717} Wrong") || r.starts_with("\u{2713} Right")),
        "{}",
        s.text()
    );
    s.key(" ");
    s.wait("Which threats");
    s.wait("to end the session");
    s.key("1");
    s.wait("[x]");
    assert!(s.text().contains("1. [x]"), "{}", s.text());
    s.key("\r");
    s.wait("Enter next card");
    // Through the rest of the deck to its flashcard: each answered with the keys a student would press.
    for (asked, keys) in [
        ("According to Sherr", "t"),
        ("Who was Russia's Ambassador", "x\r"),
        ("Whereas NATO seeks cooperation", "parity\r"),
        ("Put these events in the order", "111"),
        ("Match each of Russia's problems", "111"),
        ("In which year", "1\r"),
    ] {
        s.key(" ");
        s.wait(asked);
        s.wait("to end the session");
        s.key(keys);
        s.wait("Enter next card");
    }
    s.key(" ");
    s.wait("What shift does Sherr describe");
    s.wait("Space or Enter to reveal");
    s.key(" ");
    s.wait("How well did you recall it?");
    s.key("1");
    s.wait("Enter next card");
    assert!(
        s.rows().iter().any(|r| r.starts_with("\u{2717} Again")),
        "{}",
        s.text()
    );
    // f flags the card: the line typed is a note, labelled as one, and stored with the flag.
    s.key("f");
    s.wait("What is wrong with this card?");
    s.wait("Your note:");
    assert!(!s.text().contains("Your answer:"), "{}", s.text());
    s.key("the back names the wrong summit\r");
    s.wait("Enter next card");
    s.key(ESC);
    s.wait("Session over: 9 cards done");
    s.finish();
    let raw = String::from_utf8_lossy(&s.raw).into_owned();
    assert!(
        raw.contains("\x1b[?1049h") && raw.contains("\x1b[?1049l"),
        "the alternate screen was not used and left"
    );
    let after = raw.rsplit("\x1b[?1049l").next().unwrap_or_default();
    assert!(after.contains("Session over: 9 cards done"), "{after:?}");
    let conn = rusqlite::Connection::open(&db).expect("db");
    let note: String = conn
        .query_row("SELECT note FROM flags", [], |r| r.get(0))
        .expect("one flag");
    assert_eq!(note, "the back names the wrong summit");
}

/// Attack: colour. With `NO_COLOR` set (the test environment's default) a wrong answer's verdict is drawn without
/// any colour; with `--color always` it is red and a right one green.
#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    for (args, coloured) in [
        (vec!["study", "--deck", "sample", "--seed", "7"], false),
        (
            vec![
                "--color", "always", "study", "--deck", "sample", "--seed", "7",
            ],
            true,
        ),
    ] {
        let (_dir, db) = sample_db();
        let mut s = Study::start(&db, (80, 24), &args);
        s.wait("to end the session");
        s.key("1");
        s.wait("Enter next card");
        s.key(ESC);
        s.finish();
        let raw = String::from_utf8_lossy(&s.raw).into_owned();
        let red_or_green = raw.contains("\x1b[31;1m") || raw.contains("\x1b[32;1m");
        assert_eq!(red_or_green, coloured, "{args:?}");
    }
}
