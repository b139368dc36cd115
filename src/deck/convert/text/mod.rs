//! Line-based banks: Anki plain-text exports with their `#` headers, Quizlet term/definition text, and CSV with a
//! header row; the Anki and Quizlet writers.
//!
//! Every row becomes a flashcard (front → prompt, back → answer), or a cloze card when the front holds Anki cloze
//! markup `{{c1::answer}}` / `{{c1::answer::hint}}`: each marked span becomes a detente blank `{{answer}}`, the hints
//! become the card's `hint`, and the back becomes the card's `explain`. Media links (`<img>`, `[sound:..]`, `[[..]]`)
//! are kept as text with a warning at their line. Rows with an empty front, or an empty back on a flashcard, are
//! skipped with a warning naming their line; a row whose field count differs from the first row's is an error.
//!
//! **Reading.** The input is read line by line with 1-based line numbers of the original file (a UTF-8 byte order mark
//! is dropped), so every error names the line of the bad byte, of the unclosed quote or of the short row. Lines are
//! joined into records while a quoted field is open, and each record is split into fields by the `csv` crate
//! (`"…"` quoting with doubled quotes; a quoted field may hold separators and newlines; CRLF becomes LF).
//!
//! * [`read_anki`] follows Anki's text import: `#key:value` header lines at the top (the key is case-insensitive; a
//!   legacy `tags:` first line is accepted), later `#` lines are comments. `#separator:` takes Comma, Semicolon, Tab,
//!   Space, Pipe, Colon or one literal character; without it the first record's first line picks tab, else semicolon,
//!   else comma (outside quotes). `#html:true` strips tags and decodes entities (`<br>` and block tags become newlines)
//!   with the importers' one HTML conversion (`convert/html.rs`); without `#html:` a field is treated as HTML only if
//!   it contains a tag. `#tags:` tags every note. `#guid column:`, `#notetype column:`, `#deck column:` and
//!   `#tags column:` (1-based) name the meta columns, and `#columns:` labels may name them too (GUID, Notetype, Deck,
//!   Tags) as well as the Front (or Text) and Back (or Back Extra) fields; otherwise the first two columns that are
//!   not meta columns are front and back, as in Anki. The GUID becomes the card id. The file's deck — `#deck:`, else
//!   the first row's deck — becomes [`Meta::title`](super::Meta::title); a row from another deck also gets a tag made
//!   from its deck name (`IR101::Week 2` → `ir101/week-2`), so reading stays streaming and a single-deck file gets no
//!   extra tags. A `Basic (and reversed card)` note type gives `reverse = true`.
//! * [`read_quizlet`] reads Quizlet's export: one card per line, the term and definition separated by a tab, or by a
//!   comma when the first card line has no tab (Quizlet's two choices); [`read_quizlet_with`] takes the separators
//!   Quizlet's export dialog offers (term: tab, comma or custom; rows: new line, semicolon or custom). A row is split
//!   at the first separator and nothing is quoted, as Quizlet quotes nothing.
//! * [`read_csv`] needs a header row naming `front` and `back` (or `question`/`answer`, `term`/`definition`), case
//!   insensitive; `tags` (separated by spaces, commas or semicolons), `id`, `explain` and `hint` are optional and other
//!   columns are ignored with one warning. The separator is picked from the header line as for Anki.
//!
//! Anki tags are separated by spaces; each is cleaned to one lower-case ASCII word: `::` becomes `/`, `:` and `/`
//! stay, any other run of non-alphanumerics becomes `-`.
//!
//! **Writing.** [`write_anki`] writes Anki's own self-describing layout (`#separator:tab`, `#html:false`, then GUID,
//! note type, deck, front, back and tags columns), quoting fields by Anki's (RFC 4180) rules. Every card is one note,
//! its GUID `<deck id>/<card id>` (unique across decks, stable across exports, read back as the card id); the back
//! holds the answer and then the explanation; choice, multi, match and order cards show their lists on the front and
//! their answer on the back; cloze cards become Anki cloze notes (one `cN` per blank, the hint on each, the other
//! accepted answers in Back Extra). [`write_anki_decks`] writes several decks into one file, each deck's notes after
//! its own `#detente deck:` line, and [`read_anki_decks`] reads such a file back as its decks. [`write_quizlet`] writes
//! `term<TAB>definition<LF>` for every card, laid out as its Anki note, newlines inside a field becoming " / " and tabs
//! spaces.
//!
//! **Where.** `records.rs` splits the input into records and fields (shared by the Anki and CSV readers), `row.rs`
//! turns a row into a card (shared by all three readers), `anki_read.rs` and `anki_write.rs` hold Anki's reader and
//! writer, `quizlet.rs` Quizlet's reader and writer, and `csv.rs` the CSV reader.

mod anki_read;
mod anki_write;
mod csv;
mod quizlet;
mod records;
mod row;

pub use anki_read::{read_anki, read_anki_decks};
pub use anki_write::{anki_guid, write_anki, write_anki_decks};
pub use csv::read_csv;
pub use quizlet::{QuizletSeparators, read_quizlet, read_quizlet_with, write_quizlet};

/// The note type Anki gives a flashcard that is also studied back to front.
const REVERSED: &str = "Basic (and reversed card)";
