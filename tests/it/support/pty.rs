//! Helpers for driving the built binary in a pseudo-terminal with rexpect, shared by the real-terminal tests.

use rexpect::session::{PtySession, spawn_command};
use std::path::Path;
use std::process::Command;

/// The text of terminal output with escape sequences removed (rexpect hands over each byte as a char).
pub fn plain(raw: &str) -> String {
    let bytes: Vec<u8> = raw.chars().map(|c| c as u8).collect();
    let raw = String::from_utf8_lossy(&bytes);
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() || d == '~' {
                        break;
                    }
                }
            } else {
                chars.next();
            }
        } else if c != '\r' {
            out.push(c);
        }
    }
    out
}

pub fn line_with(p: &mut PtySession, what: &str, want: impl Fn(&str) -> bool) -> String {
    loop {
        let line = plain(
            &p.read_line()
                .unwrap_or_else(|e| panic!("waiting for {what}: {e}")),
        );
        if want(&line) {
            return line;
        }
    }
}

/// Waits for a text on screen (rexpect matches bytes, one char each, so non-ASCII text is matched as such).
pub fn expect(p: &mut PtySession, text: &str) {
    let bytes: String = text.bytes().map(char::from).collect();
    p.exp_string(&bytes)
        .unwrap_or_else(|e| panic!("waiting for {text:?}: {e}"));
}

pub fn key(p: &mut PtySession, keys: &str) {
    p.send(keys).expect("send");
    p.flush().expect("flush");
}

/// `detente args` on `db` as `learner`, in a pseudo-terminal of `cols` x `rows` (set with `stty` before detente
/// starts), in the test environment with `TERM=xterm-256color`.
pub fn spawn(db: &Path, learner: &str, (cols, rows): (u16, u16), args: &[&str]) -> PtySession {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("stty cols {cols} rows {rows} && exec \"$@\""))
        .arg("sh")
        .arg(super::bin())
        .args(args);
    super::environment(&mut cmd, db)
        .env("DETENTE_LEARNER", learner)
        .env("TERM", "xterm-256color");
    spawn_command(cmd, Some(20_000)).expect("spawn")
}
