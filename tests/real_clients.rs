//! The real clients read what detente exports: every built-in deck's Anki export is imported into one fresh
//! collection by Anki itself (the PyPI package `anki`, pinned in tests/clients/requirements.txt), and every built-in
//! deck's GIFT export is parsed by the npm package `gift-pegjs` (pinned in tests/clients/package-lock.json).
//!
//! The clients are installed on first run into `target/clients/` (a Python virtual environment and a node_modules),
//! and reused while the pinned versions stay the same. Python 3 with pip and venv, and Node with npm, must be on the
//! PATH, and the package registries reachable: if a client cannot be installed, this test fails and says why. It never
//! passes without having run both clients. The checks themselves are tests/clients/anki_import.py and
//! tests/clients/gift_parse.mjs.

// A test or bench may unwrap: a panic is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DECKS: [&str; 5] = [
    "course-nato-russia",
    "fpblogs-strategic-partner",
    "naselskaya-missile-defence",
    "pouliot-two-masters",
    "sherr-lisbon-2010",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn clients() -> PathBuf {
    root().join("tests/clients")
}

/// Where the installed clients are kept between runs.
fn cache() -> PathBuf {
    root().join("target/clients")
}

fn shown(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs a setup command; a failure is a loud test failure naming the client that could not be installed.
fn install(what: &str, cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "\n\nCANNOT INSTALL {what}: {cmd:?} did not start: {e}\n\
             The real-client check cannot run, so it fails. Install the tool it needs and run the tests again.\n"
        )
    });
    assert!(
        out.status.success(),
        "\n\nCANNOT INSTALL {what}: {cmd:?} failed ({}):\n{}\n\
         The real-client check cannot run, so it fails. Check the network access to the package registry.\n",
        out.status,
        shown(&out)
    );
}

/// The stamp that says a cache directory holds what `pins` pin: the pin files' contents.
fn stamp(pins: &[&Path]) -> String {
    pins.iter()
        .map(|p| std::fs::read_to_string(p).expect("pin file"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn up_to_date(dir: &Path, stamp: &str) -> bool {
    std::fs::read_to_string(dir.join(".detente-stamp")).is_ok_and(|s| s == stamp)
}

/// The Python of a virtual environment with the pinned `anki` installed.
fn anki_python() -> PathBuf {
    let venv = cache().join("venv");
    let requirements = clients().join("requirements.txt");
    let stamp = stamp(&[&requirements]);
    let python = venv.join("bin/python");
    if !(up_to_date(&venv, &stamp) && python.exists()) {
        let _ = std::fs::remove_dir_all(&venv);
        std::fs::create_dir_all(cache()).expect("target/clients");
        install(
            "the Anki client (Python venv)",
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
        );
        install(
            "the Anki client (pip install anki)",
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "-q",
                    "-r",
                ])
                .arg(&requirements),
        );
        std::fs::write(venv.join(".detente-stamp"), &stamp).expect("stamp");
    }
    python
}

/// A directory with the pinned `gift-pegjs` in its node_modules and the check script beside it (Node resolves
/// packages from the script's own directory).
fn gift_dir() -> PathBuf {
    let dir = cache().join("node");
    let pins = [
        clients().join("package.json"),
        clients().join("package-lock.json"),
    ];
    let stamp = stamp(&[&pins[0], &pins[1]]);
    if !(up_to_date(&dir, &stamp) && dir.join("node_modules/gift-pegjs").exists()) {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("target/clients/node");
        for pin in &pins {
            std::fs::copy(pin, dir.join(pin.file_name().expect("name"))).expect("copy pin");
        }
        install(
            "the GIFT client (npm ci gift-pegjs)",
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir),
        );
        std::fs::write(dir.join(".detente-stamp"), &stamp).expect("stamp");
    }
    std::fs::copy(clients().join("gift_parse.mjs"), dir.join("gift_parse.mjs"))
        .expect("copy gift_parse.mjs");
    dir
}

/// Exports a built-in deck with the built binary; returns the count of units detente says it wrote (the `as N ...`
/// of its summary), after checking that it left no card out.
fn export(db: &Path, deck: &str, format: &str, file: &Path) -> usize {
    let out = Command::new(env!("CARGO_BIN_EXE_detente"))
        .arg("--db")
        .arg(db)
        .args(["deck", "export", deck, "--format", format, "-o"])
        .arg(file)
        .env("NO_COLOR", "1")
        .output()
        .expect("run detente");
    let said = String::from_utf8_lossy(&out.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(out.status.success(), "{deck} as {format}: {said}");
    assert!(!said.contains("left out"), "{deck} as {format}: {said}");
    let words: Vec<&str> = said.split(' ').collect();
    let at = words
        .iter()
        .position(|w| *w == "as")
        .unwrap_or_else(|| panic!("no count in {said:?}"));
    words[at + 1]
        .parse()
        .unwrap_or_else(|_| panic!("no count in {said:?}"))
}

#[test]
fn anki_and_gift_clients_read_every_built_in_deck_as_exported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("detente.db");

    // Anki: all five exports into one fresh collection.
    let mut anki_files = Vec::new();
    let mut notes = 0;
    for deck in DECKS {
        let file = tmp.path().join(format!("{deck}.txt"));
        notes += export(&db, deck, "anki", &file);
        anki_files.push(file);
    }
    let python = anki_python();
    let out = Command::new(&python)
        .arg(clients().join("anki_import.py"))
        .arg(tmp.path().join("anki-collection"))
        .args(&anki_files)
        .output()
        .expect("run anki_import.py");
    let text = shown(&out);
    println!("{text}");
    assert!(
        out.status.success(),
        "Anki's importer disagrees with detente's export:\n{text}"
    );
    assert!(
        text.contains(&format!(
            "{notes} row(s), {notes} note(s) in one collection, 0 problem(s)"
        )),
        "detente said it wrote {notes} notes:\n{text}"
    );

    // GIFT: every export parsed, question by question against the deck.
    let mut args = Vec::new();
    let mut questions = 0;
    for deck in DECKS {
        let gift = tmp.path().join(format!("{deck}.gift"));
        let json = tmp.path().join(format!("{deck}.json"));
        let count = export(&db, deck, "gift", &gift);
        export(&db, deck, "json", &json);
        questions += count;
        args.push(format!("{}:{}:{count}", gift.display(), json.display()));
    }
    let dir = gift_dir();
    let out = Command::new("node")
        .arg(dir.join("gift_parse.mjs"))
        .args(&args)
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("\n\nCANNOT RUN the GIFT client: node did not start: {e}\n"));
    let text = shown(&out);
    println!("{text}");
    assert!(
        out.status.success(),
        "gift-pegjs disagrees with detente's export:\n{text}"
    );
    assert!(
        text.contains(&format!("5 file(s), {questions} question(s), 0 problem(s)")),
        "detente said it wrote {questions} questions:\n{text}"
    );
}
