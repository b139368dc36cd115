//! `detente deck check` and `detente deck import`: validation with every problem at once, and all-or-nothing
//! imports. Files are read and validated before the database is opened, so a broken deck leaves it untouched.

use super::{Context, now, print};
use crate::deck::{Deck, Diagnostic, Severity, parse_deck};
use crate::error::{Error, Result};
use crate::store::{self, Store};
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

/// Reads and validates every file, printing every diagnostic to stderr.
/// The decks that validated, with the counts of errors and warnings.
type Loaded = (Vec<(PathBuf, Deck)>, usize, usize);

fn load(files: &[PathBuf]) -> Result<Loaded> {
    let (mut decks, mut errors, mut warnings) = (Vec::new(), 0, 0);
    for file in files {
        let name = file.display().to_string();
        let text = match std::fs::read(file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let d = Diagnostic {
                        file: name.clone(),
                        line: 1,
                        column: 1,
                        severity: Severity::Error,
                        message: format!(
                            "the file is not UTF-8 (invalid byte at offset {})",
                            e.utf8_error().valid_up_to()
                        ),
                    };
                    eprintln!("{d}");
                    errors += 1;
                    continue;
                }
            },
            Err(e) => return Err(Error::io(format!("cannot read {name}"), e)),
        };
        let (deck, diags) = parse_deck(&name, &text);
        for d in &diags {
            eprintln!("{d}");
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
        if let Some(deck) = deck {
            decks.push((file.clone(), deck));
        }
    }
    let mut seen: Vec<(&str, &Path)> = Vec::new();
    for (file, deck) in &decks {
        if let Some((_, first)) = seen.iter().find(|(id, _)| *id == deck.id) {
            eprintln!(
                "{}:1:1: error: deck id `{}` is also used by {}",
                file.display(),
                deck.id,
                first.display()
            );
            errors += 1;
        }
        seen.push((&deck.id, file));
    }
    Ok((decks, errors, warnings))
}

pub fn check(_ctx: &Context, files: &[PathBuf]) -> Result<i32> {
    let files = expand(files)?;
    let (decks, errors, warnings) = load(&files)?;
    if errors > 0 {
        return Err(Error::InvalidData(format!(
            "{errors} error(s), {warnings} warning(s)"
        )));
    }
    let cards: usize = decks.iter().map(|(_, d)| d.cards.len()).sum();
    eprintln!(
        "{} deck(s), {cards} card(s): no errors, {warnings} warning(s).",
        decks.len()
    );
    Ok(0)
}

pub fn import(ctx: &Context, paths: &[PathBuf]) -> Result<i32> {
    let files = expand(paths)?;
    let (decks, errors, _) = load(&files)?;
    if errors > 0 {
        return Err(Error::InvalidData(format!(
            "cannot import: {errors} error(s); nothing was imported"
        )));
    }
    let mut store = Store::open(&ctx.db)?;
    let tx = store.write()?;
    let mut reports = Vec::new();
    for (file, deck) in &decks {
        let path = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
        reports.push(store::import_deck(
            &tx,
            deck,
            false,
            Some(&path.display().to_string()),
            now(),
        )?);
    }
    tx.commit()?;
    if ctx.json {
        super::print_json(&reports)?;
    } else {
        for r in &reports {
            print(&r.summary())?;
        }
    }
    Ok(0)
}
