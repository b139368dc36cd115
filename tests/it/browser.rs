//! The HTML pages in a real headless browser (Debian's Chromium, [`crate::support::browser`]): what a teacher and a
//! student see at a desktop's width (1280 px) and a phone's (390 px). Attack: each page loaded from the real command's
//! output, at both widths, must report no error, must not scroll sideways (no box past the right edge outside a chart
//! that scrolls on its own), and must show no text under 12 px as rendered (SVG text measured through its drawing's
//! scale: a chart shrunk to a phone's width fails); a chart with nothing to draw must say so. Screenshots are kept
//! in `target/screenshots/` for a reader.

use crate::support::browser::{Browser, file_url};
use crate::support::detente;
use std::path::Path;

/// Checks one page at both widths and returns its text at the desktop width.
fn read_at_both_widths(browser: &mut Browser, file: &Path, name: &str) -> String {
    let mut text = String::new();
    for width in [1280, 390] {
        let mut page = browser.open(&file_url(file), width);
        page.assert_reads_well(name, width);
        if width == 1280 {
            text = page.text();
        }
    }
    text
}

#[test]
fn the_html_reports_read_at_desktop_and_phone_width_with_their_empty_states_explained() {
    let dir = tempfile::tempdir().expect("dir");
    let studied = crate::stats::studied_db(dir.path());
    // Long deck and theme labels: the built-in decks beside the sample (`decks` loads them).
    detente(&studied).arg("decks").assert().success();
    let fresh = dir.path().join("fresh.db");
    let pages = [
        (&fresh, vec!["report", "--html"], "report-fresh"),
        (&studied, vec!["report", "--html"], "report-studied"),
        (
            &studied,
            vec!["report", "--class", "--html"],
            "class-by-theme",
        ),
        (
            &studied,
            vec!["report", "--class", "--by", "deck", "--html"],
            "class-by-deck",
        ),
    ];
    let mut browser = Browser::start();
    for (db, args, name) in pages {
        let file = dir.path().join(format!("{name}.html"));
        detente(db)
            .env("DETENTE_LEARNER", "ann")
            .args(&args)
            .arg("-o")
            .arg(&file)
            .assert()
            .success();
        let text = read_at_both_widths(&mut browser, &file, name);
        match name {
            "report-fresh" => {
                for says in [
                    "Nothing is due in the next 30 days.",
                    "No reviews yet",
                    "No study in the last 26 weeks.",
                ] {
                    assert!(text.contains(says), "{name}: {says:?} missing in\n{text}");
                }
            }
            "report-studied" => {
                assert!(!text.contains("No reviews yet"), "{text}");
                assert!(!text.contains("No study in the last"), "{text}");
            }
            _ => {
                // Labels are whole, never cut with an ellipsis.
                assert!(!text.contains('…'), "{name}: a cut label in\n{text}");
            }
        }
    }
}
