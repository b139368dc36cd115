//! `detente deck check` and `detente deck import`: validation with every problem at once, and all-or-nothing
//! imports. Files are read and validated before the database is opened, so a broken deck leaves it untouched.
//! After `login`, `deck import` publishes to the class server instead (teachers): the same checks here, then the
//! files' text sent, checked again and imported by the server, and pulled by students at their next `sync`.

use super::{Context, item, now, print, print_json, say, say_diagnostic, say_item};
use crate::deck::convert::slug;
use crate::deck::{Code, Deck, Diagnostic, Severity, parse_deck};
use crate::error::{Error, Result};
use crate::lint::{Given, PATH_NEW_PER_DAY, lint, path_lint};
use crate::store::{self, Store};
use crate::time::UnixMs;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The deck files named: files as given, folders as the `.toml` files in them, sorted.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| Error::io(format!("cannot read {}", p.display()), e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "toml") && f.is_file())
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(Error::Usage(format!(
                    "{} holds no .toml deck files",
                    p.display()
                )));
            }
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// The decks that validated, and every diagnostic of every file.
struct Loaded {
    decks: Vec<(PathBuf, Deck)>,
    /// The text of each of `decks`' files, for locating the warnings over the learner's path; empty when `load`
    /// was told the path is not walked (a real import), so that a large deck is not held as text and as cards.
    texts: Vec<String>,
    diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// Adds the `shown-earlier` warnings over a fresh learner's path through these decks and the built-in ones
    /// (which every database loads), each reported in a file given. `deck check` and `deck import --dry-run` run it;
    /// an import does not.
    fn check_path(&mut self) {
        let builtin: Vec<Deck> = crate::deck::builtin::DECKS
            .iter()
            .filter_map(|b| parse_deck(b.file, b.text).0)
            .collect();
        let loaded: Vec<(&Deck, Option<usize>)> = builtin
            .iter()
            .enumerate()
            .map(|(i, d)| (d, Some(i)))
            .collect();
        let names: Vec<String> = self
            .decks
            .iter()
            .map(|(f, _)| f.display().to_string())
            .collect();
        let given: Vec<Given<'_>> = self
            .decks
            .iter()
            .zip(&self.texts)
            .zip(&names)
            .map(|(((_, deck), src), file)| Given { file, src, deck })
            .collect();
        let found = path_lint(&given, &loaded, PATH_NEW_PER_DAY);
        self.diagnostics.extend(found);
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// Reads and validates every file: the parser's diagnostics, then the cross-card warnings, then deck ids used by
/// two files. Each file's text is dropped once its deck is checked unless `keep_texts` (the path lint needs it).
fn load(files: &[PathBuf], keep_texts: bool) -> Result<Loaded> {
    let mut loaded = Loaded {
        decks: Vec::new(),
        texts: Vec::new(),
        diagnostics: Vec::new(),
    };
    for file in files {
        let name = file.display().to_string();
        let bytes = std::fs::read(file).map_err(|e| Error::io(format!("cannot read {name}"), e))?;
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let bad = e.utf8_error().valid_up_to();
                let bytes = e.as_bytes();
                let line = bytes[..bad].iter().filter(|&&b| b == b'\n').count() + 1;
                let column = bad
                    - bytes[..bad]
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |i| i + 1)
                    + 1;
                loaded.diagnostics.push(Diagnostic::coded(
                    Code::NotUtf8,
                    &name,
                    "",
                    line,
                    column,
                    Severity::Error,
                    format!("the file is not UTF-8 (invalid byte at offset {bad})"),
                ));
                continue;
            }
        };
        let (deck, diags) = parse_deck(&name, &text);
        loaded.diagnostics.extend(diags);
        if let Some(deck) = deck {
            loaded.diagnostics.extend(lint(&name, &text, &deck));
            loaded.decks.push((file.clone(), deck));
            if keep_texts {
                loaded.texts.push(text);
            }
        }
    }
    let mut seen: Vec<(&str, &Path)> = Vec::new();
    for (file, deck) in &loaded.decks {
        if let Some((_, first)) = seen.iter().find(|(id, _)| *id == deck.id) {
            loaded.diagnostics.push(Diagnostic::coded(
                Code::DuplicateDeckId,
                &file.display().to_string(),
                "",
                1,
                1,
                Severity::Error,
                format!("deck id `{}` is also used by {}", deck.id, first.display()),
            ));
        }
        seen.push((&deck.id, file));
    }
    Ok(loaded)
}

/// Per deck of `decks`: the open flags on the cards its file holds, and on how many cards, for decks that have
/// any. Flags live in the database, so without one there is nothing to count.
fn open_flags(store: &Store, decks: &[(PathBuf, Deck)]) -> Result<Vec<(String, u32, usize)>> {
    let mut out = Vec::new();
    for (_, deck) in decks {
        let by_card = store::open_flags_by_card(&store.conn, &deck.id)?;
        let counts: Vec<u32> = deck
            .cards
            .iter()
            .filter_map(|c| by_card.get(&c.id).copied())
            .collect();
        let total: u32 = counts.iter().sum();
        if total > 0 {
            out.push((deck.id.clone(), total, counts.len()));
        }
    }
    Ok(out)
}

/// Tells the teacher about open flags on the cards just checked or imported.
fn say_flags(flags: &[(String, u32, usize)]) {
    for (deck, total, cards) in flags {
        say_item(
            "note: ",
            &format!(
                "deck {deck}: {total} open flag(s) from learners on {cards} card(s); see `detente report flags --deck {deck}`"
            ),
        );
    }
}

/// How many warnings with the same message are shown in full before the rest are counted.
const SAME_WARNINGS_SHOWN: usize = 3;

/// Prints diagnostics to stderr, each with its excerpt and hint. Every error is shown; a warning repeated on many
/// cards (a converted bank without sources, say) is shown a few times, then counted.
fn report(diagnostics: &[Diagnostic]) {
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    for d in diagnostics {
        let n = seen.entry((&d.file, &d.message)).or_default();
        *n += 1 + d.more;
        if d.severity == Severity::Error || *n - d.more <= SAME_WARNINGS_SHOWN {
            say_diagnostic(d);
        }
    }
    let mut more: Vec<_> = seen
        .into_iter()
        .filter(|(_, n)| *n > SAME_WARNINGS_SHOWN)
        .collect();
    more.sort();
    for ((file, message), n) in more {
        if diagnostics
            .iter()
            .any(|d| d.message == message && d.severity == Severity::Warning)
        {
            say_item(
                &format!("{file}: warning: "),
                &format!("{} more like this: {message}", n - SAME_WARNINGS_SHOWN),
            );
        }
    }
}

pub fn check(ctx: &Context, files: &[PathBuf]) -> Result<i32> {
    let files = expand(files)?;
    let mut loaded = load(&files, true)?;
    loaded.check_path();
    let (errors, warnings) = (
        loaded.count(Severity::Error),
        loaded.count(Severity::Warning),
    );
    let warnings = warnings + loaded.diagnostics.iter().map(|d| d.more).sum::<usize>();
    // Cards as `decks` and `study` count them (each cloze blank and reverse side), and the entries as written.
    let cards: usize = loaded.decks.iter().map(|(_, d)| d.study_items()).sum();
    let written: usize = loaded.decks.iter().map(|(_, d)| d.cards.len()).sum();
    // `deck check` needs no database; it counts open flags only when there is one, and never creates it.
    let flags = if ctx.db.exists() {
        open_flags(&Store::open(&ctx.db)?, &loaded.decks)?
    } else {
        Vec::new()
    };
    if ctx.json {
        let open_flags: Vec<_> = flags
            .iter()
            .map(|(deck, n, cards)| serde_json::json!({"deck": deck, "open_flags": n, "cards": cards}))
            .collect();
        print_json(&serde_json::json!({
            "files": files.len(),
            "decks": loaded.decks.len(),
            "cards": cards,
            "written": written,
            "errors": errors,
            "warnings": warnings,
            "diagnostics": loaded.diagnostics,
            "open_flags": open_flags,
        }))?;
    } else {
        report(&loaded.diagnostics);
        say_flags(&flags);
    }
    if errors > 0 {
        return Err(Error::InvalidData(format!(
            "{errors} error(s), {warnings} warning(s)"
        )));
    }
    if !ctx.json {
        say(&format!(
            "{} deck(s), {cards} card(s) from {written} written: no errors, {warnings} warning(s).",
            loaded.decks.len()
        ));
    }
    Ok(0)
}

/// How `deck import` should treat the database.
pub struct ImportOptions {
    /// Report what would happen, card by card, and change nothing.
    pub dry_run: bool,
    /// Reset learners' progress on cards whose answer changed, instead of keeping it.
    pub reset_changed: bool,
}

pub fn import(ctx: &Context, paths: &[PathBuf], opts: &ImportOptions) -> Result<i32> {
    let files = expand(paths)?;
    let mut loaded = load(&files, opts.dry_run)?;
    if opts.dry_run {
        loaded.check_path();
    }
    // A file cannot take a built-in deck's id: importing it would retire the built-in cards, and the next command
    // would load them back over it.
    let builtin = crate::deck::builtin::ids();
    for (file, deck) in &loaded.decks {
        if builtin.contains(&deck.id) {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(file).unwrap_or_default();
            let line = text
                .lines()
                .position(|l| {
                    l.trim_start().starts_with("id") && l.contains(&format!("\"{}\"", deck.id))
                })
                .map_or(1, |i| i + 1);
            loaded.diagnostics.push(Diagnostic::coded(
                Code::BuiltinDeckId,
                &name,
                text.lines().nth(line - 1).unwrap_or(""),
                line,
                1,
                Severity::Error,
                format!(
                    "deck id `{}` is a built-in deck's id; give this deck an id of its own",
                    deck.id
                ),
            ));
        }
    }
    report(&loaded.diagnostics);
    let errors = loaded.count(Severity::Error);
    if errors > 0 {
        return Err(Error::InvalidData(format!(
            "cannot import: {errors} error(s); nothing was imported"
        )));
    }
    // A dry run against a database that does not exist yet must not create it.
    let mut store = if opts.dry_run && !ctx.db.exists() {
        Store::open(Path::new(":memory:"))?
    } else {
        Store::open(&ctx.db)?
    };
    let tx = store.write()?;
    let mut reports = Vec::new();
    let at = now();
    for (file, deck) in &loaded.decks {
        let path = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
        let mut r = store::import_deck(&tx, deck, false, Some(&path.display().to_string()), at)?;
        if opts.reset_changed {
            r.reset_states = store::reset_cards(
                &tx,
                &deck.id,
                &r.answer_changed_items,
                UnixMs::from_secs(at),
            )?;
        }
        reports.push(r);
    }
    if opts.dry_run {
        tx.rollback()?;
    } else {
        tx.commit()?;
    }
    let flags = open_flags(&store, &loaded.decks)?;
    if ctx.json {
        let open_flags: Vec<_> = flags
            .iter()
            .map(|(deck, n, cards)| serde_json::json!({"deck": deck, "open_flags": n, "cards": cards}))
            .collect();
        return print_json(&serde_json::json!({ "dry_run": opts.dry_run, "decks": reports, "open_flags": open_flags }))
            .map(|_| 0);
    }
    say_flags(&flags);
    // The report goes to stdout one line per card, which scripts read line by line (`grep '^change'`): it is
    // wrapped only when stdout is a terminal.
    let width = std::io::stdout()
        .is_terminal()
        .then(crate::ui::layout::width);
    let line = |bullet: &str, text: &str| match width {
        Some(w) => item(bullet, text, w),
        None => format!("{bullet}{}", crate::text::clean(text)),
    };
    for r in &reports {
        if opts.dry_run {
            for (list, what) in [
                (&r.added, "add"),
                (&r.changed, "change"),
                (&r.restored, "restore"),
                (&r.retired, "retire"),
            ] {
                for key in list {
                    let note = if r.answer_changed.contains(key) {
                        if opts.reset_changed {
                            " (answer changed: progress would be reset)"
                        } else {
                            " (answer changed: progress would be kept; --reset-changed resets it)"
                        }
                    } else {
                        ""
                    };
                    print(&line(
                        &format!("{what:<8} "),
                        &format!("{}/{key}{note}", r.deck),
                    ))?;
                }
            }
            print(&format!(
                "{:<8} {} card(s) of {}",
                "leave", r.unchanged, r.deck
            ))?;
        }
        print(&line("", &r.summary()))?;
    }
    if opts.dry_run {
        print("Dry run: nothing was changed.")?;
    }
    Ok(0)
}

/// `detente deck import` after `login`: the files checked here as for a local import (every diagnostic printed,
/// nothing sent on an error), then sent whole to the class server, which checks them again, imports them with the
/// local import's code and publishes them, all or nothing; its one-line summary per deck is printed.
pub fn publish(
    ctx: &Context,
    server: &crate::server::client::Server,
    paths: &[PathBuf],
    opts: &ImportOptions,
) -> Result<i32> {
    let files = expand(paths)?;
    let loaded = load(&files, false)?;
    report(&loaded.diagnostics);
    let errors = loaded.count(Severity::Error);
    if errors > 0 {
        return Err(Error::InvalidData(format!(
            "cannot publish: {errors} error(s); nothing was sent"
        )));
    }
    let mut decks = Vec::new();
    for (file, _) in &loaded.decks {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::io(format!("cannot read {}", file.display()), e))?;
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        decks.push(crate::sync::DeckFile { file: name, text });
    }
    let published: Vec<crate::sync::Published> = server.post(
        "/v1/decks",
        &crate::sync::Publish {
            decks,
            dry_run: opts.dry_run,
            reset_changed: opts.reset_changed,
        },
    )?;
    if ctx.json {
        return print_json(&published).map(|_| 0);
    }
    for p in &published {
        print(&p.summary)?;
    }
    say(&if opts.dry_run {
        format!(
            "Dry run on the class server at {}: nothing was published.",
            server.socket().display()
        )
    } else {
        let exam_only = loaded.decks.iter().filter(|(_, d)| d.exam_only).count();
        format!(
            "Published {} deck(s) to the class server at {}: students get {} at their next `detente sync`{}.",
            published.len(),
            server.socket().display(),
            if exam_only == 0 {
                "them"
            } else {
                "the study decks"
            },
            if exam_only == 0 {
                String::new()
            } else {
                format!("; {exam_only} exam-only deck(s) stay on the server, for its exams")
            }
        )
    });
    Ok(0)
}

/// The template `deck new` writes: one example of every kind, with comments; it passes `deck check` as written.
const TEMPLATE: &str = include_str!("../deck/template.toml");

pub fn new(db: &Path, file: &Path, title: Option<String>) -> Result<i32> {
    super::staged::refuse_database(file, db)?;
    if file.exists() {
        return Err(Error::Usage(format!(
            "{} already exists; choose a new file name",
            file.display()
        )));
    }
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = Some(slug(&stem))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "my-deck".into());
    let title = title.unwrap_or_else(|| stem.replace(['-', '_'], " "));
    let text = TEMPLATE.replace("{{id}}", &id).replace(
        "{{title}}",
        &crate::text::clean(&title)
            .replace(['\n', '\t'], " ")
            .replace('\\', "\\\\")
            .replace('"', "\\\""),
    );
    super::staged::write_new(file, "new", db, text.as_bytes())?;
    say(&format!(
        "Wrote {} (deck id `{id}`): one example card of every kind. Edit it, then `detente deck check {}`.",
        file.display(),
        file.display()
    ));
    Ok(0)
}
