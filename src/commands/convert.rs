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
use std::io::{BufReader, Write};
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

/// Converts `input` into a deck file `output`; `db` is the database, which the output may not be.
pub fn convert(
    db: &Path,
    from: Foreign,
    input: &Path,
    output: &Path,
    id: Option<String>,
    title: Option<String>,
    separators: Separators,
) -> Result<i32> {
    let name = input.display().to_string();
    super::staged::refuse_database(output, db)?;
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
    let file = File::open(input).map_err(|e| Error::io(format!("cannot read {name}"), e))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = crate::ui::progress(size, "converting");
    let reader = BufReader::with_capacity(1 << 16, bar.wrap_read(file));

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
        return Err(Error::InvalidData(format!(
            "{name}: no question could be converted; no deck was written"
        )));
    }

    let stem = |p: &Path| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let id = id.unwrap_or_else(|| slug(&stem(output)));
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
        description: Some(format!("Converted from {}", input.display())),
        tags: Vec::new(),
        source: None,
        aliases: Default::default(),
        new_order: None,
        exam_only: false,
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
