//! `detente deck convert` and `detente deck export`: question banks in and out. Conversion streams the input into
//! a temporary file beside the output, with a progress bar on a terminal, and renames it into place only when the
//! whole input converted: a malformed bank leaves no output file.

use super::staged::Staged;
use super::{Context, open_with_decks, say};
use crate::deck::Deck;
use crate::deck::convert::{self, ConvertError, Foreign, Format, Warning, slug};
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

    // The cards go to a scratch file as they are read; the deck header, which may need the input's own title,
    // is written first into the output once the input is done.
    let cards = Staged::new(output, "cards", db)?;
    let mut sink_out = cards.create()?;
    let result = convert::convert_cards(from, reader, &seps, &mut sink_out);
    bar.finish_and_clear();
    let (count, meta) = result.map_err(|e| match e {
        ConvertError::Input {
            line,
            column,
            message,
        } => Error::InvalidData(format!(
            "{name}:{line}:{column}: {message}; no deck was written"
        )),
        ConvertError::Io(e) => Error::io(format!("cannot write {}", output.display()), e),
    })?;
    sink_out
        .flush()
        .map_err(|e| Error::io(format!("cannot write {}", output.display()), e))?;
    drop(sink_out);
    print_warnings(&name, &meta.warnings);
    if count == 0 {
        let hint = match seen {
            Some(other) if other != from => format!(
                " (it looks like {}, not {}: try `--from {}`)",
                named(other),
                named(from),
                spelled(other)
            ),
            _ => String::new(),
        };
        return Err(Error::InvalidData(format!(
            "{name}: no question could be converted{hint}; no deck was written"
        )));
    }

    let stem = |p: &Path| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    // A file detente wrote carries the deck's own fields: its id unless `--id` is given, and the rest.
    let extras = meta.deck.clone().unwrap_or_default();
    let id = id
        .or(Some(extras.id.clone()).filter(|i| !i.is_empty()))
        .unwrap_or_else(|| slug(&stem(output)));
    let id = if id.is_empty() {
        "converted".into()
    } else {
        id
    };
    // Cleaned before it is written, so that the file's cleaning leaves its TOML as it is; never empty.
    let title = [title, meta.title.clone(), Some(stem(input))]
        .into_iter()
        .flatten()
        .map(|t| crate::text::clean(&t).trim().to_string())
        .find(|t| !t.is_empty())
        .unwrap_or_else(|| "Converted".into());
    let header = Deck {
        id: id.clone(),
        title,
        description: extras.description.or_else(|| {
            meta.deck
                .is_none()
                .then(|| format!("Converted from {}", input.display()))
        }),
        tags: extras.tags,
        source: extras.source,
        aliases: extras.aliases,
        new_order: extras.new_order,
        exam_only: extras.exam_only,
        cards: Vec::new(),
    };
    if let Some(why) = convert::header_refused(&header) {
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
    convert::write_toml_header(&mut out, &header).map_err(io)?;
    let mut body = File::open(&cards.temp).map_err(io)?;
    std::io::copy(&mut body, &mut out).map_err(io)?;
    out.finish().map_err(io)?;
    deck_file.finish()?;
    say(&format!(
        "Wrote {} (deck `{id}`): {count} card(s), {} warning(s).",
        output.display(),
        meta.warnings.len()
    ));
    Ok(0)
}

pub fn export(ctx: &Context, id: &str, format: Format, output: Option<&Path>) -> Result<i32> {
    // Refused before the database is opened; the write checks again (see `staged`).
    if let Some(path) = output {
        super::staged::refuse_database(path, &ctx.db)?;
    }
    let store = open_with_decks(ctx)?;
    let deck = store::deck(&store.conn, id)?
        .ok_or_else(|| Error::Usage(format!("no deck `{id}` is loaded (see `detente decks`)")))?;
    let whole = |items: usize| convert::Written {
        cards: deck.cards.len(),
        items,
        warnings: Vec::new(),
    };
    let write = |out: &mut dyn Write| -> std::io::Result<convert::Written> {
        match format {
            Format::Toml => convert::write_toml(out, &deck).map(|_| whole(deck.cards.len())),
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, &deck)?;
                writeln!(out).map(|_| whole(deck.cards.len()))
            }
            Format::Gift => convert::gift::write(&deck, out),
            Format::MoodleXml => convert::moodle::write(&deck, out),
            Format::Anki => convert::text::write_anki(&deck, out),
            Format::Quizlet => convert::text::write_quizlet(&deck, out),
        }
    };
    let written = match output {
        Some(path) => {
            let staged = Staged::new(path, "export", &ctx.db)?;
            let mut out = crate::text::CleanWriter::new(staged.create()?);
            let written = write(&mut out)
                .and_then(|w| out.finish().map(|_| w))
                .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
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
    print_warnings(id, &written.warnings);
    let unit = match format {
        Format::Gift => "GIFT question(s)",
        Format::MoodleXml => "Moodle XML question(s)",
        Format::Anki => "Anki note(s)",
        Format::Quizlet => "Quizlet line(s)",
        Format::Toml | Format::Json => "card(s)",
    };
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
    Ok(0)
}
