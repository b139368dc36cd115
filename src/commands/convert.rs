//! `detente deck convert` and `detente deck export`: question banks in and out. Conversion streams the input into
//! a temporary file beside the output, with a progress bar on a terminal, and renames it into place only when the
//! whole input converted: a malformed bank leaves no output file.

use super::staged::Staged;
use super::{Context, open_with_decks, say, say_line};
use crate::deck::Deck;
use crate::deck::convert::{
    self, ConvertError, DeckExtras, DeckStart, Foreign, Format, Ids, Part, Warning, slug,
};
use crate::error::{Error, Result};
use crate::store;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

/// Each warning on one line (`FILE:LINE: warning: ...`, for editors and scripts), cleaned of control characters.
fn print_warnings(file: &str, warnings: &[Warning]) {
    for w in warnings {
        let line = if w.line > 0 {
            format!("{file}:{}: warning: {}", w.line, w.message)
        } else {
            format!("{file}: warning: {}", w.message)
        };
        super::say_line(&line);
    }
}

/// The separators given on the command line (`--separator`, `--row-separator`), for Quizlet text.
#[derive(Debug, Default)]
pub struct Separators {
    pub term: Option<String>,
    pub row: Option<String>,
}

/// A format's name as `--from` and `--format` spell it.
fn spelled(from: Foreign) -> &'static str {
    match from {
        Foreign::Gift => "gift",
        Foreign::MoodleXml => "moodle-xml",
        Foreign::Anki => "anki",
        Foreign::Quizlet => "quizlet",
        Foreign::Csv => "csv",
    }
}

/// A format's name for people.
fn named(from: Foreign) -> &'static str {
    match from {
        Foreign::Gift => "Moodle GIFT",
        Foreign::MoodleXml => "Moodle XML",
        Foreign::Anki => "Anki text",
        Foreign::Quizlet => "Quizlet text",
        Foreign::Csv => "CSV",
    }
}

/// The format the start of a file shows, if it shows one: Moodle XML (an XML file whose root is `<quiz>`), Anki text
/// (its `#separator:`, `#html:`, `#notetype:`, `#deck:` or `#columns:` headers), GIFT (a `$CATEGORY:`, a `::name::`
/// or a `// [id:...]` line).
pub fn recognise(head: &[u8]) -> Option<Foreign> {
    if convert::moodle::sniff(head) == Some(true) {
        return Some(Foreign::MoodleXml);
    }
    let text = String::from_utf8_lossy(head);
    let lines: Vec<&str> = text
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .take(200)
        .collect();
    if lines.iter().take(8).any(|l| {
        [
            "#separator:",
            "#html:",
            "#notetype",
            "#deck:",
            "#columns:",
            "#guid column:",
        ]
        .iter()
        .any(|h| l.starts_with(h))
    }) {
        return Some(Foreign::Anki);
    }
    if lines.iter().any(|l| {
        l.starts_with("$CATEGORY:")
            || (l.starts_with("::") && l[2..].contains("::"))
            || l.starts_with("// [id:")
    }) {
        return Some(Foreign::Gift);
    }
    None
}

/// Converts `input` into a deck file `output`; `db` is the database, which the output may not be. `from` `None`: the
/// format is recognised from the content.
pub fn convert(
    db: &Path,
    from: Option<Foreign>,
    input: &Path,
    output: &Path,
    id: Option<String>,
    title: Option<String>,
    separators: Separators,
) -> Result<i32> {
    let name = input.display().to_string();
    super::staged::refuse_database(output, db)?;
    let file = File::open(input).map_err(|e| Error::io(format!("cannot read {name}"), e))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = crate::ui::progress(size, "converting");
    let mut reader = BufReader::with_capacity(1 << 16, bar.wrap_read(file));
    let head = reader
        .fill_buf()
        .map_err(|e| Error::io(format!("cannot read {name}"), e))?
        .to_vec();
    let seen = recognise(&head);
    let from = match (from, seen) {
        (Some(asked), Some(Foreign::MoodleXml)) if asked != Foreign::MoodleXml => {
            bar.finish_and_clear();
            return Err(Error::InvalidData(format!(
                "{name} is Moodle XML, not {}: convert it with `--from moodle-xml`; no deck was written",
                named(asked)
            )));
        }
        (Some(Foreign::MoodleXml), Some(other)) if other != Foreign::MoodleXml => {
            bar.finish_and_clear();
            return Err(Error::InvalidData(format!(
                "{name} is not Moodle XML: it looks like {}; convert it with `--from {}`; no deck was written",
                named(other),
                spelled(other)
            )));
        }
        (Some(asked), _) => asked,
        (None, Some(found)) => {
            say(&format!(
                "Reading {name} as {} (recognised from its content; give --from to choose).",
                named(found)
            ));
            found
        }
        (None, None) => {
            bar.finish_and_clear();
            return Err(Error::Usage(format!(
                "cannot tell the format of {name} from its content: give --from gift, moodle-xml, anki, quizlet \
                 or csv"
            )));
        }
    };
    if from != Foreign::Quizlet && (separators.term.is_some() || separators.row.is_some()) {
        return Err(Error::Usage(
            "--separator and --row-separator are for --from quizlet: an Anki file names its separator in \
             `#separator:`, and a CSV file's is found from its header row"
                .into(),
        ));
    }
    let seps = convert::text::QuizletSeparators::named(
        separators.term.as_deref(),
        separators.row.as_deref(),
    )
    .map_err(|e| Error::Usage(format!("--separator/--row-separator: {e}")))?;

    if is_folder(output) {
        let cleared = || bar.finish_and_clear();
        return convert_into_folder(
            db, from, reader, input, output, id, title, &seps, seen, &cleared,
        );
    }
    // The cards go to a scratch file as they are read; the deck header, which may need the input's own title,
    // is written first into the output once the input is done.
    let cards = Staged::new(output, "cards", db)?;
    let mut sink_out = cards.create()?;
    let result = convert::convert_cards(from, reader, &seps, &mut sink_out);
    bar.finish_and_clear();
    let (count, meta) = result.map_err(|e| input_error(&name, output, e))?;
    sink_out
        .flush()
        .map_err(|e| Error::io(format!("cannot write {}", output.display()), e))?;
    drop(sink_out);
    if meta.decks.len() > 1 {
        return Err(Error::Usage(format!(
            "{name} holds {} decks ({}): give a folder (`-o DIR/`) to write each deck to its own file; no deck \
             was written",
            meta.decks.len(),
            meta.decks.join(", ")
        )));
    }
    print_warnings(&name, &meta.warnings);
    if count == 0 {
        return Err(nothing_converted(&name, from, seen));
    }
    let extras = meta.deck.clone();
    let header = header(
        input,
        extras,
        id,
        [title, meta.title.clone()],
        &stem(output),
    );
    write_deck(db, input, from, output, &header, &cards.temp, false)?;
    say(&format!(
        "Wrote {} (deck `{}`): {count} card(s), {} warning(s).",
        output.display(),
        header.id,
        meta.warnings.len()
    ));
    Ok(0)
}

/// Whether `-o` names a folder: one that exists, or a path that ends in `/` (created if missing).
fn is_folder(output: &Path) -> bool {
    output.is_dir()
        || output
            .as_os_str()
            .to_string_lossy()
            .ends_with(std::path::MAIN_SEPARATOR)
}

/// A file name without its folder and extension.
fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A reader's error as the command's: the input's line and column, or the output that could not be written.
fn input_error(name: &str, output: &Path, e: ConvertError) -> Error {
    match e {
        ConvertError::Input {
            line,
            column,
            message,
        } => Error::InvalidData(format!(
            "{name}:{line}:{column}: {message}; no deck was written"
        )),
        ConvertError::Io(e) => Error::io(format!("cannot write {}", output.display()), e),
    }
}

/// The error for an input none of whose questions converted, with a hint when its content looks like another format.
fn nothing_converted(name: &str, from: Foreign, seen: Option<Foreign>) -> Error {
    let hint = match seen {
        Some(other) if other != from => format!(
            " (it looks like {}, not {}: try `--from {}`)",
            named(other),
            named(from),
            spelled(other)
        ),
        _ => String::new(),
    };
    Error::InvalidData(format!(
        "{name}: no question could be converted{hint}; no deck was written"
    ))
}

/// A converted deck's header: the fields the file carries (`extras`, from a file detente wrote), the id given, else
/// theirs, else a slug of `fallback`; the first non-empty title of `titles`, else the input's file name.
fn header(
    input: &Path,
    extras: Option<DeckExtras>,
    id: Option<String>,
    titles: [Option<String>; 2],
    fallback: &str,
) -> Deck {
    let carried = extras.is_some();
    let extras = extras.unwrap_or_default();
    let id = id
        .or(Some(extras.id.clone()).filter(|i| !i.is_empty()))
        .unwrap_or_else(|| slug(fallback));
    let id = if id.is_empty() {
        "converted".into()
    } else {
        id
    };
    // Cleaned before it is written, so that the file's cleaning leaves its TOML as it is; never empty.
    let title = titles
        .into_iter()
        .chain([Some(stem(input))])
        .flatten()
        .map(|t| crate::text::clean(&t).trim().to_string())
        .find(|t| !t.is_empty())
        .unwrap_or_else(|| "Converted".into());
    Deck {
        id,
        title,
        description: extras
            .description
            .or_else(|| (!carried).then(|| format!("Converted from {}", input.display()))),
        tags: extras.tags,
        source: extras.source,
        aliases: extras.aliases,
        new_order: extras.new_order,
        exam_only: extras.exam_only,
        cards: Vec::new(),
    }
}

/// Writes the deck file `output`: a comment naming the input, `header`'s `[deck]` table, and the `[[card]]` tables
/// converted into the scratch file `cards`. `new_only`: never over an existing file.
fn write_deck(
    db: &Path,
    input: &Path,
    from: Foreign,
    output: &Path,
    header: &Deck,
    cards: &Path,
    new_only: bool,
) -> Result<()> {
    if let Some(why) = convert::header_refused(header) {
        return Err(Error::Usage(format!("{why}; no deck was written")));
    }
    let deck_file = Staged::new(output, "deck", db)?;
    let mut out = crate::text::CleanWriter::new(deck_file.create()?);
    let io = |e: std::io::Error| Error::io(format!("cannot write {}", output.display()), e);
    writeln!(
        out,
        "# Converted by detente from {} ({:?}). Check it with `detente deck check`.",
        input.display(),
        from
    )
    .map_err(io)?;
    convert::write_toml_header(&mut out, header).map_err(io)?;
    let mut body = File::open(cards).map_err(io)?;
    std::io::copy(&mut body, &mut out).map_err(io)?;
    out.finish().map_err(io)?;
    if new_only {
        deck_file.finish_new()
    } else {
        deck_file.finish()
    }
}

/// One deck of a file being converted into a folder: where it starts (for a deck of detente's multi-deck Anki
/// export), its cards so far in a scratch file, and the ids they took.
struct Section {
    start: Option<DeckStart>,
    cards: Staged,
    out: crate::text::CleanWriter<std::io::BufWriter<File>>,
    count: usize,
    ids: Ids,
}

/// `deck convert FILE -o DIR/`: each deck the file holds (the decks of detente's multi-deck Anki export, else the
/// one deck of any file) written as `DIR/ID.toml` with its own id and card ids, never over an existing file; every
/// target is checked before any is written.
#[allow(clippy::too_many_arguments)]
fn convert_into_folder(
    db: &Path,
    from: Foreign,
    reader: impl BufRead,
    input: &Path,
    dir: &Path,
    id: Option<String>,
    title: Option<String>,
    seps: &convert::text::QuizletSeparators,
    seen: Option<Foreign>,
    read_done: &dyn Fn(),
) -> Result<i32> {
    let name = input.display().to_string();
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    let mut sections: Vec<Section> = Vec::new();
    let open = |sections: &mut Vec<Section>, start: Option<DeckStart>| -> std::io::Result<()> {
        let scratch = dir.join(format!("{}.toml", sections.len() + 1));
        let cards = Staged::new(&scratch, "cards", db).map_err(std::io::Error::other)?;
        let out = crate::text::CleanWriter::new(cards.create().map_err(std::io::Error::other)?);
        sections.push(Section {
            start,
            cards,
            out,
            count: 0,
            ids: Ids::default(),
        });
        Ok(())
    };
    let mut on = |part: Part| -> std::result::Result<(), ConvertError> {
        match part {
            Part::Deck(start) => open(&mut sections, Some(start))?,
            Part::Card(mut card) => {
                if sections.is_empty() {
                    open(&mut sections, None)?;
                }
                if let Some(s) = sections.last_mut() {
                    card.id = s.ids.claim(Some(&card.id), &card.prompt);
                    convert::write_toml_card(&mut s.out, &card)?;
                    s.count += 1;
                }
            }
        }
        Ok(())
    };
    let result = match from {
        Foreign::Anki => convert::text::read_anki_decks(reader, &mut on),
        other => convert::read(other, reader, seps, &mut |card| on(Part::Card(card))),
    };
    read_done();
    let meta = result.map_err(|e| input_error(&name, dir, e))?;
    print_warnings(&name, &meta.warnings);
    if sections.len() > 1 && (id.is_some() || title.is_some()) {
        return Err(Error::Usage(format!(
            "{name} holds {} decks: --id and --title name one deck, and each deck keeps its own; no deck was \
             written",
            sections.len()
        )));
    }
    let mut decks = Vec::new();
    for s in sections {
        s.out
            .finish()
            .and_then(|mut w| w.flush())
            .map_err(|e| Error::io(format!("cannot write into {}", dir.display()), e))?;
        let header = match &s.start {
            Some(start) => header(
                input,
                Some(start.extras.clone()),
                id.clone(),
                [title.clone(), start.title.clone()],
                &start.extras.id,
            ),
            None => header(
                input,
                meta.deck.clone(),
                id.clone(),
                [title.clone(), meta.title.clone()],
                &stem(input),
            ),
        };
        if s.count == 0 {
            say_line(&format!(
                "{name}: warning: deck `{}`: no card could be converted; no file written for it",
                header.id
            ));
            continue;
        }
        decks.push((header, s.cards, s.count));
    }
    if decks.is_empty() {
        return Err(nothing_converted(&name, from, seen));
    }
    // Every target is checked before any is written: a deck id that is no file name, two decks of one id, a file
    // that exists.
    let mut targets: Vec<std::path::PathBuf> = Vec::new();
    for (header, _, _) in &decks {
        if let Some(why) = convert::header_refused(header) {
            return Err(Error::Usage(format!(
                "deck `{}`: {why}; no deck was written",
                header.id
            )));
        }
        let target = dir.join(format!("{}.toml", header.id));
        if targets.contains(&target) {
            return Err(Error::InvalidData(format!(
                "{name} holds deck `{}` twice; no deck was written",
                header.id
            )));
        }
        targets.push(target);
    }
    let taken: Vec<String> = targets
        .iter()
        .filter(|t| t.exists())
        .map(|t| t.display().to_string())
        .collect();
    if !taken.is_empty() {
        return Err(Error::Usage(format!(
            "{} already exist(s): detente never writes over a deck file; choose another folder or move them; no \
             deck was written",
            taken.join(", ")
        )));
    }
    for ((header, cards, count), target) in decks.iter().zip(&targets) {
        write_deck(db, input, from, target, header, &cards.temp, true)?;
        say(&format!(
            "Wrote {} (deck `{}`): {count} card(s).",
            target.display(),
            header.id
        ));
    }
    say(&format!(
        "{} deck(s) from {name}, {} warning(s).",
        decks.len(),
        meta.warnings.len()
    ));
    Ok(0)
}

/// `deck export`: one deck in any format, or several decks (`ids`) into one Anki text file.
pub fn export(ctx: &Context, ids: &[String], format: Format, output: Option<&Path>) -> Result<i32> {
    if ids.len() > 1 && !matches!(format, Format::Anki | Format::Qti) {
        return Err(Error::Usage(format!(
            "{} decks given: several decks go into one file only as Anki text (`--format anki`) or a QTI package \
             (`--format qti`); export each deck on its own for {format:?}",
            ids.len()
        )));
    }
    if format == Format::Qti && output.is_none() {
        return Err(Error::Usage(
            "a QTI package is a zip file: give the file to write with -o FILE.zip".into(),
        ));
    }
    if let Some(twice) = ids.iter().enumerate().find(|(k, i)| ids[..*k].contains(i)) {
        return Err(Error::Usage(format!("deck `{}` is given twice", twice.1)));
    }
    // Refused before the database is opened; the write checks again (see `staged`).
    if let Some(path) = output {
        super::staged::refuse_database(path, &ctx.db)?;
    }
    let store = open_with_decks(ctx)?;
    let mut decks = Vec::new();
    for id in ids {
        decks.push(store::deck(&store.conn, id)?.ok_or_else(|| {
            Error::Usage(format!("no deck `{id}` is loaded (see `detente decks`)"))
        })?);
    }
    let write = |out: &mut dyn Write| -> std::io::Result<Vec<convert::Written>> {
        let whole = |deck: &Deck, items: usize| convert::Written {
            cards: deck.cards.len(),
            items,
            warnings: Vec::new(),
        };
        let Some(deck) = decks.first() else {
            return Ok(Vec::new());
        };
        let one = match format {
            Format::Anki => return convert::text::write_anki_decks(&decks, out),
            Format::Qti => return convert::qti::write_package(&decks, out),
            Format::Toml => convert::write_toml(out, deck).map(|_| whole(deck, deck.cards.len())),
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, deck)?;
                writeln!(out).map(|_| whole(deck, deck.cards.len()))
            }
            Format::Gift => convert::gift::write(deck, out),
            Format::MoodleXml => convert::moodle::write(deck, out),
            Format::Quizlet => convert::text::write_quizlet(deck, out),
        }?;
        Ok(vec![one])
    };
    let written = match output {
        Some(path) => {
            let staged = Staged::new(path, "export", &ctx.db)?;
            let file = staged.create()?;
            let io = |e| Error::io(format!("cannot write {}", path.display()), e);
            let written = if format == Format::Qti {
                // A zip file, written byte for byte (its texts are the decks', cleaned when they were loaded).
                let mut out = file;
                write(&mut out).and_then(|w| out.flush().map(|_| w))
            } else {
                let mut out = crate::text::CleanWriter::new(file);
                write(&mut out).and_then(|w| out.finish().map(|_| w))
            }
            .map_err(io)?;
            staged.finish()?;
            written
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = crate::text::CleanWriter::new(stdout.lock());
            write(&mut out)
                .and_then(|w| out.finish().map(|_| w))
                .map_err(|e| Error::io("stdout", e))?
        }
    };
    let unit = match format {
        Format::Gift => "GIFT question(s)",
        Format::MoodleXml => "Moodle XML question(s)",
        Format::Anki => "Anki note(s)",
        Format::Quizlet => "Quizlet line(s)",
        Format::Qti => "QTI question(s)",
        Format::Toml | Format::Json => "card(s)",
    };
    for (deck, written) in decks.iter().zip(&written) {
        let id = &deck.id;
        print_warnings(id, &written.warnings);
        let left_out = deck.cards.len().saturating_sub(written.cards);
        say(&format!(
            "Exported {} of {} card(s) of `{id}` as {} {unit}{}{}.",
            written.cards,
            deck.cards.len(),
            written.items,
            output.map_or(String::new(), |p| format!(" to {}", p.display())),
            match left_out {
                0 => String::new(),
                n => format!("; {n} left out (see the warnings)"),
            }
        ));
    }
    Ok(0)
}
