//! Parsing and validating a deck file, reporting every problem at once with its `FILE:LINE:COL`.
//!
//! The file is first parsed into toml's spanned document tree, so a syntax error is located exactly. Each card is
//! then checked field by field (every unknown or misplaced field is named, with a suggestion) and deserialized with
//! serde on its own, so one bad card does not hide the problems of the next.

use super::{Body, Card, Deck, DeckSource, KINDS, NewOrder, SourceRef, cloze_blanks};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// How serious a problem is: errors stop an import, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a deck file, with its location.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub message: String,
    /// The line of the file the problem is on (shortened), for context.
    pub excerpt: String,
    /// How to fix it, where there is something useful to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'static str>,
    /// How many more places have this same warning, not listed one by one (see [`KEPT_REPEATS`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub more: usize,
    /// The name of an item-writing or theme warning (`longest-answer`, ...), which a card may `allow`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How many places of one same warning are kept one by one; beyond them a 100,000-card bank without sources keeps a
/// count, not a hundred thousand diagnostics.
pub const KEPT_REPEATS: usize = 1000;

impl fmt::Display for Diagnostic {
    /// The first line is `FILE:LINE:COL: severity: message`; the excerpt with a caret under the column, and the
    /// hint, follow on lines of their own.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, severity, self.message
        )?;
        if !self.excerpt.trim().is_empty() {
            let gutter = self.line.to_string().len();
            let caret = self.column.min(self.excerpt.chars().count() + 1);
            write!(
                f,
                "\n {:>gutter$} | {}\n {:>gutter$} | {:>caret$}",
                self.line, self.excerpt, "", "^"
            )?;
        }
        if let Some(hint) = self.hint {
            write!(
                f,
                "\n {:>gutter$} = hint: {hint}",
                "",
                gutter = self.line.to_string().len()
            )?;
        }
        Ok(())
    }
}

/// Advice for a problem, chosen by its message, so that every check gets its hint from one table.
fn hint_for(message: &str) -> Option<&'static str> {
    const HINTS: &[(&str, &str)] = &[
        // The item-writing warnings, by the name each message ends with.
        (
            "[longest-answer]",
            "make the wrong choices as long and as specific as the right one, or shorten it",
        ),
        (
            "[leaked-answer]",
            "reword the other card's prompt so it does not print the answer, or ask this card another way",
        ),
        (
            "[order-cue]",
            "take the numbers, years, labels or sequence words out of the items and the prompt; say them in `explain`",
        ),
        (
            "[all-of-the-above]",
            "replace it with a plausible wrong choice, or make the card a `multi` card",
        ),
        (
            "[none-of-the-above]",
            "replace it with a plausible choice: knowing what is wrong does not show knowing what is right",
        ),
        (
            "[negative-stem]",
            "ask positively, or emphasize the negative word: NOT or *not*",
        ),
        (
            "[number-form]",
            "say what is wanted: \"In what year...\", \"On which day of the month...\", \"How many...\", \"What percentage...\"",
        ),
        (
            "[near-duplicate]",
            "remove one card, or make them ask different things",
        ),
        (
            "[several-questions]",
            "split it into one flashcard per question",
        ),
        (
            "[theme-coverage]",
            "keep the theme on the cards about it; a theme every card has measures nothing",
        ),
        (
            "[deck-theme]",
            "move the theme tag onto the cards about it, and keep deck tags for what describes the deck",
        ),
        (
            "the `allow` is stale",
            "remove the entry from `allow`: the card no longer raises that warning",
        ),
        (
            "in `allow`",
            "`allow` takes the warning names listed in `docs/deck-format.md`",
        ),
        (
            "`allow` ",
            "write `allow = { longest-answer = \"why this card is right as it is\" }`",
        ),
        (
            "is not one of the choices",
            "copy the answer exactly from `choices`, or add it to them",
        ),
        (
            "are not among the choices",
            "every entry of `answers` must be copied exactly from `choices`",
        ),
        (
            "is not a number",
            "write a plain number such as 2008 or 3.5 (no units or words)",
        ),
        (
            "must be 1 to 64 characters",
            "use lower-case letters, digits and '-', such as `nrc-refresh`",
        ),
        (
            "duplicate card id",
            "give each card its own id; progress is keyed on it, so rename the newer card",
        ),
        (
            "must be one word",
            "tags have no spaces: `theme:missile-defence`, not `theme:missile defence`",
        ),
        (
            "unknown field",
            "check the spelling; `docs/deck-format.md` lists the fields of each kind",
        ),
        (
            "does not belong to",
            "remove it, or change `kind` to a kind that takes it",
        ),
        (
            "unknown kind",
            "`docs/deck-format.md` describes each kind and the fields it takes",
        ),
        (
            "needs at least one blank",
            "mark each blank in the prompt as {{answer}} or {{answer|alternative}}",
        ),
        ("not closed", "close the blank with }}"),
        ("duplicate entry", "each entry must differ from the others"),
        ("empty entry", "remove the empty entry or fill it in"),
        (
            "normalize to the same",
            "learners cannot tell these apart: reword one of them",
        ),
        (
            "would also accept",
            "make the answers distinct, or add the other card's answer to `reject`",
        ),
        (
            "the same prompt as",
            "reword one of the prompts, or remove the duplicate card",
        ),
        (
            "no `explain`",
            "add `explain = \"...\"`: a sentence on why the answer is right",
        ),
        (
            "no `source`",
            "add `source = { paragraph = N }` or `source = { locator = \"...\" }`",
        ),
        (
            "missing `",
            "add the field; `docs/deck-format.md` shows an example of each kind",
        ),
        (
            "missing [deck]",
            "start the file with [deck], an `id` and a `title`; `detente deck new` writes a template",
        ),
        (
            "no [[card]]",
            "add cards as [[card]] tables; `detente deck new` writes one of every kind",
        ),
        (
            "is also used by",
            "deck ids must be unique: rename one deck's `id`",
        ),
        (
            "long",
            "shorter prompts are easier to read in a terminal; move detail into `explain`",
        ),
        ("not UTF-8", "save the file as UTF-8 in your editor"),
        (
            "needs ",
            "see the limits of each kind in `docs/deck-format.md`",
        ),
    ];
    HINTS
        .iter()
        .find(|(pattern, _)| message.contains(pattern))
        .map(|(_, hint)| *hint)
}

impl Diagnostic {
    /// A diagnostic at a line and column, with the text of that line as its excerpt, and its hint.
    pub fn new(
        file: &str,
        text: &str,
        line: usize,
        column: usize,
        severity: Severity,
        message: String,
    ) -> Self {
        let excerpt: String = if text.chars().count() > 100 {
            text.chars().take(97).chain("...".chars()).collect()
        } else {
            text.to_string()
        };
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            severity,
            hint: hint_for(&message),
            message,
            excerpt: excerpt.trim_end().to_string(),
            more: 0,
            rule: None,
        }
    }
}

/// Prompts longer than this many characters get a warning.
const LONG_PROMPT: usize = 400;
const COMMON_FIELDS: [&str; 8] = [
    "id", "kind", "prompt", "explain", "source", "tags", "hint", "allow",
];

/// The fields a kind takes besides the common ones.
fn kind_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "flashcard" => &["answer", "reverse"],
        "choice" => &["choices", "answer"],
        "multi" => &["choices", "answers"],
        "truefalse" => &["answer"],
        "text" => &["answers", "reject"],
        "cloze" => &["reject"],
        "order" => &["items"],
        "match" => &["pairs"],
        "number" => &["answer", "tolerance"],
        _ => &[],
    }
}

const ALL_CARD_FIELDS: [&str; 16] = [
    "id",
    "allow",
    "kind",
    "prompt",
    "explain",
    "source",
    "tags",
    "hint",
    "answer",
    "answers",
    "choices",
    "reverse",
    "reject",
    "items",
    "pairs",
    "tolerance",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    id: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
    description: Option<String>,
    tags: Option<Vec<Spanned<String>>>,
    source: Option<DeckSource>,
    aliases: Option<BTreeMap<String, Vec<String>>>,
    new_order: Option<Spanned<String>>,
}

type Pairs = Spanned<Vec<Spanned<(String, String)>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCard {
    id: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    prompt: Option<Spanned<String>>,
    answer: Option<Spanned<toml::Value>>,
    answers: Option<Spanned<Vec<Spanned<String>>>>,
    choices: Option<Spanned<Vec<Spanned<String>>>>,
    reverse: Option<bool>,
    reject: Option<Vec<String>>,
    items: Option<Spanned<Vec<Spanned<String>>>>,
    pairs: Option<Pairs>,
    tolerance: Option<Spanned<f64>>,
    explain: Option<String>,
    source: Option<Spanned<toml::Value>>,
    tags: Option<Vec<Spanned<String>>>,
    hint: Option<String>,
    allow: Option<Spanned<toml::Value>>,
}

/// A text's line starts, to turn byte offsets into lines and columns in logarithmic time (a 100,000-card deck
/// may have as many warnings).
pub struct Lines<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(src: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { src, starts }
    }

    /// The 1-based line and column (in characters) of byte offset `at`.
    pub fn locate(&self, at: usize) -> (usize, usize) {
        let at = at.min(self.src.len());
        let line = self.starts.partition_point(|&s| s <= at);
        let start = self.starts[line - 1];
        let column = self.src.get(start..at).map_or(1, |t| t.chars().count() + 1);
        (line, column)
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn text(&self, line: usize) -> &'a str {
        let Some(&start) = self.starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self.starts.get(line).map_or(self.src.len(), |&e| e);
        self.src
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

struct Ctx<'a> {
    file: &'a str,
    src: &'a str,
    lines: Lines<'a>,
    /// Where the piece of `src` being parsed starts: spans are relative to it.
    base: usize,
    diags: Vec<Diagnostic>,
    /// For each warning message: how often it came, and where its last kept diagnostic is.
    repeats: HashMap<String, (usize, usize)>,
}

impl Ctx<'_> {
    fn push(&mut self, severity: Severity, at: usize, message: String) {
        if severity == Severity::Warning {
            let next = self.diags.len();
            let (count, last) = self.repeats.entry(message.clone()).or_insert((0, next));
            *count += 1;
            if *count > KEPT_REPEATS {
                if let Some(d) = self.diags.get_mut(*last) {
                    d.more += 1;
                }
                return;
            }
            *last = next;
        }
        let (line, column) = self.lines.locate(self.base + at);
        self.diags.push(Diagnostic::new(
            self.file,
            self.lines.text(line),
            line,
            column,
            severity,
            message,
        ));
    }
    fn error(&mut self, at: usize, message: impl Into<String>) {
        self.push(Severity::Error, at, message.into());
    }
    fn warn(&mut self, at: usize, message: impl Into<String>) {
        self.push(Severity::Warning, at, message.into());
    }
    fn toml_error(&mut self, e: &toml::de::Error, fallback: usize) {
        let at = e.span().map_or(fallback, |s| s.start);
        self.error(at, e.message().trim().replace('\n', " "));
    }
}

/// Parses and validates a deck. `file` is the name used in diagnostics. The deck is returned only when there is
/// no error; the diagnostics (errors and warnings) come sorted by position.
pub fn parse_deck(file: &str, src: &str) -> (Option<Deck>, Vec<Diagnostic>) {
    let mut ctx = Ctx {
        file,
        src,
        lines: Lines::new(src),
        base: 0,
        diags: Vec::new(),
        repeats: HashMap::new(),
    };
    let deck = parse_into(&mut ctx);
    let mut diags = ctx.diags;
    diags.sort_by_key(|d| (d.line, d.column, d.severity));
    let ok = !diags.iter().any(|d| d.severity == Severity::Error);
    (deck.filter(|_| ok), diags)
}

/// Where each top-level `[[card]]` table starts, when the document is a header followed only by `[[card]]`
/// tables (the shape of every deck), so that each card can be parsed on its own and a 100,000-card deck never
/// becomes one document tree; `None` for any other shape, which is parsed whole.
fn card_starts(src: &str) -> Option<Vec<usize>> {
    let mut starts = Vec::new();
    let mut open: Option<&str> = None; // the delimiter of a multi-line string that is open
    let mut offset = 0;
    for line in src.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        if open.is_none() {
            let t = line.trim_start();
            if t.starts_with("[[card]]") {
                starts.push(at);
            } else if t.starts_with('[') && !starts.is_empty() {
                return None;
            }
        }
        // Follow strings to the end of the line, to know whether a multi-line string stays open.
        let mut rest = line;
        loop {
            if let Some(delim) = open {
                let Some(i) = find_unescaped(rest, delim) else {
                    break;
                };
                rest = &rest[i + 3..];
                open = None;
                continue;
            }
            let Some(i) = rest.find(['"', '\'', '#']) else {
                break;
            };
            let tail = &rest[i..];
            if tail.starts_with('#') {
                break;
            }
            if let Some(delim) = ["\"\"\"", "\'\'\'"]
                .into_iter()
                .find(|d| tail.starts_with(d))
            {
                open = Some(delim);
                rest = &tail[3..];
                continue;
            }
            let quote = &tail[..1];
            let body = &tail[1..];
            let close = if quote == "\"" {
                find_unescaped(body, quote)
            } else {
                body.find(quote)
            };
            match close {
                Some(j) => rest = &body[j + 1..],
                None => break,
            }
        }
    }
    Some(starts)
}

/// The first `delim` in `s` not preceded by an odd number of backslashes (for basic strings).
fn find_unescaped(s: &str, delim: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find(delim).map(|i| i + from) {
        let slashes = s[..i].bytes().rev().take_while(|&b| b == b'\\').count();
        if delim.starts_with('\'') || slashes % 2 == 0 {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// The `[deck]` table and the `card` array of a document, either missing.
type TopLevel<'s> = (Option<Spanned<DeValue<'s>>>, Option<Spanned<DeValue<'s>>>);

/// A document's top-level entries: `[deck]` and the `card` array. `None` on a syntax error (reported).
fn top_level<'s>(ctx: &mut Ctx<'_>, text: &'s str) -> Option<TopLevel<'s>> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in &errors {
            ctx.toml_error(e, 0);
        }
        return None;
    }
    let (mut header, mut cards) = (None, None);
    for (key, value) in doc.into_inner() {
        match key.get_ref().as_ref() {
            "deck" => header = Some(value),
            "card" => cards = Some(value),
            other => ctx.error(
                key.span().start,
                format!("unknown top-level key `{other}` (a deck has a [deck] table and [[card]] entries)"),
            ),
        }
    }
    Some((header, cards))
}

/// Parses the `[[card]]` entries of one `card` array, noting each id and where it stands (absolute offsets).
fn parse_cards(
    ctx: &mut Ctx<'_>,
    value: Spanned<DeValue<'_>>,
    parsed: &mut Vec<Card>,
    ids: &mut Vec<(String, usize)>,
) {
    let span = value.span();
    match value.into_inner() {
        DeValue::Array(items) => {
            for item in items {
                if let DeValue::Table(t) = item.get_ref()
                    && let Some((_, id)) = t.iter().find(|(k, _)| k.get_ref().as_ref() == "id")
                    && let DeValue::String(s) = id.get_ref()
                {
                    ids.push((s.to_string(), ctx.base + id.span().start));
                }
                if let Some(card) = parse_card(ctx, item) {
                    parsed.push(card);
                }
            }
        }
        _ => ctx.error(span.start, "`card` must be written as [[card]] tables"),
    }
}

fn parse_into(ctx: &mut Ctx<'_>) -> Option<Deck> {
    let src = ctx.src;
    let starts = card_starts(src).filter(|s| !s.is_empty());
    let head = starts.as_ref().map_or(src, |s| &src[..s[0]]);
    // A syntax error in the header does not stop the cards from being checked: every problem at once.
    let top = top_level(ctx, head);
    let head_ok = top.is_some();
    let (header, mut cards) = top.unwrap_or((None, None));
    if starts.is_some() && cards.is_some() {
        // A `card = [...]` in the header as well as [[card]] tables: let the whole-document parse report it.
        return parse_whole(ctx);
    }
    let header = match header {
        Some(h) => parse_header(ctx, h),
        None if head_ok => {
            ctx.error(0, "missing [deck] table (with id and title)");
            None
        }
        None => None,
    };
    let mut parsed = Vec::new();
    let mut ids: Vec<(String, usize)> = Vec::new();
    match &starts {
        Some(starts) => {
            let mut syntax_ok = true;
            for (i, &start) in starts.iter().enumerate() {
                let end = starts.get(i + 1).copied().unwrap_or(src.len());
                ctx.base = start;
                match top_level(ctx, &src[start..end]) {
                    Some((_, Some(value))) => parse_cards(ctx, value, &mut parsed, &mut ids),
                    Some(_) => {}
                    None => syntax_ok = false,
                }
            }
            ctx.base = 0;
            if !syntax_ok || !head_ok {
                return None;
            }
        }
        None => match cards.take() {
            None => ctx.error(ctx.src.len(), "the deck has no [[card]] entries"),
            Some(value) => parse_cards(ctx, value, &mut parsed, &mut ids),
        },
    }
    finish(ctx, header, parsed, ids)
}

/// The whole document as one tree: for decks of unusual shape.
fn parse_whole(ctx: &mut Ctx<'_>) -> Option<Deck> {
    let (header, cards) = top_level(ctx, ctx.src)?;
    let header = match header {
        Some(h) => parse_header(ctx, h),
        None => {
            ctx.error(0, "missing [deck] table (with id and title)");
            None
        }
    };
    let mut parsed = Vec::new();
    let mut ids = Vec::new();
    match cards {
        None => ctx.error(ctx.src.len(), "the deck has no [[card]] entries"),
        Some(value) => parse_cards(ctx, value, &mut parsed, &mut ids),
    }
    finish(ctx, header, parsed, ids)
}

/// Duplicate ids, then the deck.
fn finish(
    ctx: &mut Ctx<'_>,
    header: Option<Header>,
    parsed: Vec<Card>,
    ids: Vec<(String, usize)>,
) -> Option<Deck> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (id, at) in &ids {
        if let Some(first) = seen.get(id.as_str()) {
            let (line, _) = ctx.lines.locate(*first);
            ctx.error(
                *at,
                format!("duplicate card id `{id}` (first used on line {line})"),
            );
        } else {
            seen.insert(id, *at);
        }
    }
    let (id, title, description, tags, source, aliases, new_order) = header?;
    Some(Deck {
        id,
        title,
        description,
        tags,
        source,
        aliases,
        new_order,
        cards: parsed,
    })
}

type Header = (
    String,
    String,
    Option<String>,
    Vec<String>,
    Option<DeckSource>,
    BTreeMap<String, Vec<String>>,
    Option<NewOrder>,
);

fn parse_header(ctx: &mut Ctx<'_>, value: Spanned<DeValue<'_>>) -> Option<Header> {
    let at = value.span().start;
    let raw = match RawHeader::deserialize(ValueDeserializer::from(value)) {
        Ok(raw) => raw,
        Err(e) => {
            ctx.toml_error(&e, at);
            return None;
        }
    };
    let id = required(ctx, raw.id, at, "[deck] is missing `id`");
    if let Some(id) = &id {
        check_slug(ctx, id, "deck id");
    }
    let title = required(ctx, raw.title, at, "[deck] is missing `title`");
    let tags = check_tags(ctx, raw.tags.unwrap_or_default());
    let mut aliases = raw.aliases.unwrap_or_default();
    aliases.retain(|_, alts| {
        alts.retain(|a| !a.trim().is_empty());
        !alts.is_empty()
    });
    let new_order = match raw.new_order {
        None => Some(None),
        Some(v) => match NewOrder::from_name(v.get_ref()) {
            Some(order) => Some(Some(order)),
            None => {
                ctx.error(
                    v.span().start,
                    format!(
                        "`new_order` must be \"paragraph\" or \"file\", not \"{}\"",
                        v.get_ref()
                    ),
                );
                None
            }
        },
    };
    Some((
        id?.into_inner(),
        title?.into_inner(),
        raw.description,
        tags,
        raw.source,
        aliases,
        new_order?,
    ))
}

fn required<T>(
    ctx: &mut Ctx<'_>,
    v: Option<Spanned<T>>,
    at: usize,
    msg: &str,
) -> Option<Spanned<T>> {
    if v.is_none() {
        ctx.error(at, msg);
    }
    v
}

fn check_slug(ctx: &mut Ctx<'_>, id: &Spanned<String>, what: &str) {
    let s = id.get_ref();
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-');
    if !ok {
        ctx.error(
            id.span().start,
            format!(
                "{what} `{s}` must be 1 to 64 characters of a-z, 0-9 and '-', not starting with '-'"
            ),
        );
    }
}

fn check_tags(ctx: &mut Ctx<'_>, tags: Vec<Spanned<String>>) -> Vec<String> {
    tags.into_iter()
        .filter_map(|t| {
            let s = t.get_ref().trim();
            if s.is_empty() || s.chars().any(char::is_whitespace) {
                ctx.error(
                    t.span().start,
                    format!("tag `{s}` must be one word, such as `org:nato`"),
                );
                None
            } else {
                Some(s.to_string())
            }
        })
        .collect()
}

/// Checks one `[[card]]`.
fn parse_card(ctx: &mut Ctx<'_>, value: Spanned<DeValue<'_>>) -> Option<Card> {
    let at = value.span().start;
    let DeValue::Table(table) = value.get_ref() else {
        ctx.error(at, "each card must be a [[card]] table");
        return None;
    };
    let kind = table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == "kind")
        .and_then(|(_, v)| match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => None,
        });
    let known_kind = kind.as_deref().filter(|k| KINDS.contains(k));
    let mut misplaced = false;
    for (key, _) in table.iter() {
        let name = key.get_ref().as_ref();
        if !ALL_CARD_FIELDS.contains(&name) {
            let hint = closest(name, &ALL_CARD_FIELDS)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            ctx.error(key.span().start, format!("unknown field `{name}`{hint}"));
            misplaced = true;
        } else if let Some(kind) = known_kind
            && !COMMON_FIELDS.contains(&name)
            && !kind_fields(kind).contains(&name)
        {
            ctx.error(
                key.span().start,
                format!(
                    "`{name}` does not belong to a {kind} card (it takes {})",
                    kind_fields(kind).join(", ")
                ),
            );
            misplaced = true;
        }
    }
    if misplaced {
        return None;
    }
    let raw = match RawCard::deserialize(ValueDeserializer::from(value)) {
        Ok(raw) => raw,
        Err(e) => {
            ctx.toml_error(&e, at);
            return None;
        }
    };
    build_card(ctx, raw, at)
}

fn closest<'a>(name: &str, options: &[&'a str]) -> Option<&'a str> {
    options
        .iter()
        .map(|o| (strsim::osa_distance(name, o), *o))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, o)| o)
}

/// A list of strings, with its span, checked for count, emptiness and duplicates.
fn string_list(
    ctx: &mut Ctx<'_>,
    list: Option<Spanned<Vec<Spanned<String>>>>,
    at: usize,
    field: &str,
    count: Range<usize>,
) -> Option<Vec<String>> {
    let Some(list) = list else {
        ctx.error(at, format!("missing `{field}`"));
        return None;
    };
    let span = list.span().start;
    let items = list.into_inner();
    let mut ok = true;
    if !count.contains(&items.len()) {
        ctx.error(
            span,
            format!(
                "`{field}` needs {} to {} entries, not {}",
                count.start,
                count.end - 1,
                items.len()
            ),
        );
        ok = false;
    }
    let mut seen = Vec::new();
    for item in &items {
        let s = item.get_ref().trim();
        if s.is_empty() {
            ctx.error(item.span().start, format!("empty entry in `{field}`"));
            ok = false;
        } else if seen.contains(&s) {
            ctx.error(
                item.span().start,
                format!("duplicate entry \"{s}\" in `{field}`"),
            );
            ok = false;
        }
        seen.push(s);
    }
    ok.then(|| {
        items
            .into_iter()
            .map(|s| s.into_inner().trim().to_string())
            .collect()
    })
}

/// Parses a number as typed in a deck or by a learner: `1999`, `-3.5`, `1,000,000`, `40%`.
pub fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim().trim_end_matches('%').trim();
    let cleaned: String = s
        .chars()
        .filter(|c| *c != ',' && *c != '_' && !c.is_whitespace())
        .collect();
    cleaned.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn build_card(ctx: &mut Ctx<'_>, raw: RawCard, at: usize) -> Option<Card> {
    let id = required(ctx, raw.id, at, "card is missing `id`");
    if let Some(id) = &id {
        check_slug(ctx, id, "card id");
    }
    let kind = required(ctx, raw.kind, at, "card is missing `kind`");
    let prompt = required(ctx, raw.prompt, at, "card is missing `prompt`");
    if let Some(p) = &prompt {
        if p.get_ref().trim().is_empty() {
            ctx.error(p.span().start, "`prompt` is empty");
        } else if p.get_ref().chars().count() > LONG_PROMPT {
            ctx.warn(
                p.span().start,
                format!(
                    "very long prompt ({} characters)",
                    p.get_ref().chars().count()
                ),
            );
        }
    }
    let kind_name = kind
        .as_ref()
        .map(|k| k.get_ref().clone())
        .unwrap_or_default();
    if let Some(k) = &kind
        && !KINDS.contains(&k.get_ref().as_str())
    {
        let hint = closest(k.get_ref(), &KINDS)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        ctx.error(
            k.span().start,
            format!(
                "unknown kind `{}` (one of {}){hint}",
                k.get_ref(),
                KINDS.join(", ")
            ),
        );
        return None;
    }
    let answer_at = raw.answer.as_ref().map_or(at, |a| a.span().start);
    let answer_str = |ctx: &mut Ctx<'_>, what: &str| -> Option<String> {
        match raw.answer.as_ref().map(|a| a.get_ref()) {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(toml::Value::String(_)) => {
                ctx.error(answer_at, "`answer` is empty");
                None
            }
            Some(other) => {
                ctx.error(
                    answer_at,
                    format!("`answer` must be {what}, not {}", other.type_str()),
                );
                None
            }
            None => {
                ctx.error(at, "missing `answer`");
                None
            }
        }
    };
    let prompt_text = prompt
        .as_ref()
        .map(|p| p.get_ref().clone())
        .unwrap_or_default();
    let body = match kind_name.as_str() {
        "flashcard" => answer_str(ctx, "the text of the back").map(|answer| Body::Flashcard {
            answer,
            reverse: raw.reverse.unwrap_or(false),
        }),
        "choice" => {
            let choices = string_list(ctx, raw.choices, at, "choices", 2..13);
            let answer = answer_str(ctx, "one of the choices");
            match (choices, answer) {
                (Some(choices), Some(answer)) => {
                    if choices.contains(&answer) {
                        Some(Body::Choice { choices, answer })
                    } else {
                        ctx.error(
                            answer_at,
                            format!("answer \"{answer}\" is not one of the choices"),
                        );
                        None
                    }
                }
                _ => None,
            }
        }
        "multi" => {
            let answers_at = raw.answers.as_ref().map_or(at, |a| a.span().start);
            let choices = string_list(ctx, raw.choices, at, "choices", 2..13);
            let answers = string_list(ctx, raw.answers, at, "answers", 1..9);
            match (choices, answers) {
                (Some(choices), Some(answers)) => {
                    let missing: Vec<_> = answers.iter().filter(|a| !choices.contains(a)).collect();
                    if missing.is_empty() {
                        Some(Body::Multi { choices, answers })
                    } else {
                        for m in missing {
                            ctx.error(
                                answers_at,
                                format!("answer \"{m}\" is not one of the choices"),
                            );
                        }
                        None
                    }
                }
                _ => None,
            }
        }
        "truefalse" => match raw.answer.as_ref().map(|a| a.get_ref()) {
            Some(toml::Value::Boolean(b)) => Some(Body::Truefalse { answer: *b }),
            Some(other) => {
                ctx.error(
                    answer_at,
                    format!("`answer` must be true or false, not {}", other.type_str()),
                );
                None
            }
            None => {
                ctx.error(at, "missing `answer` (true or false)");
                None
            }
        },
        "text" => string_list(ctx, raw.answers, at, "answers", 1..65).map(|answers| Body::Text {
            answers,
            reject: clean(raw.reject),
        }),
        "cloze" => {
            let p_at = prompt.as_ref().map_or(at, |p| p.span().start);
            let opens = prompt_text.matches("{{").count();
            let blanks = cloze_blanks(&prompt_text);
            if opens != blanks.len() || prompt_text.matches("}}").count() != blanks.len() {
                ctx.error(
                    p_at,
                    "a blank in the cloze prompt is not closed: write {{answer}}",
                );
                None
            } else if blanks.is_empty() {
                ctx.error(
                    p_at,
                    "a cloze prompt needs at least one blank, written {{answer}}",
                );
                None
            } else if blanks.iter().any(|b| b.answers.is_empty()) {
                ctx.error(
                    p_at,
                    "a cloze blank is empty: write {{answer}} or {{answer|alternative}}",
                );
                None
            } else {
                Some(Body::Cloze {
                    reject: clean(raw.reject),
                })
            }
        }
        "order" => {
            string_list(ctx, raw.items, at, "items", 3..9).map(|items| Body::Order { items })
        }
        "match" => match raw.pairs {
            None => {
                ctx.error(at, "missing `pairs`");
                None
            }
            Some(pairs) => {
                let span = pairs.span().start;
                let pairs = pairs.into_inner();
                let mut ok = true;
                if !(2..13).contains(&pairs.len()) {
                    ctx.error(
                        span,
                        format!("`pairs` needs 2 to 12 pairs, not {}", pairs.len()),
                    );
                    ok = false;
                }
                let (mut lefts, mut rights) = (Vec::new(), Vec::new());
                for p in &pairs {
                    let (l, r) = p.get_ref();
                    let (l, r) = (l.trim(), r.trim());
                    if l.is_empty() || r.is_empty() {
                        ctx.error(p.span().start, "empty side in a pair");
                        ok = false;
                    } else if lefts.contains(&l) || rights.contains(&r) {
                        ctx.error(
                            p.span().start,
                            format!("duplicate side in pair [\"{l}\", \"{r}\"]"),
                        );
                        ok = false;
                    }
                    lefts.push(l);
                    rights.push(r);
                }
                ok.then(|| Body::Match {
                    pairs: pairs
                        .into_iter()
                        .map(|p| {
                            let (l, r) = p.into_inner();
                            (l.trim().to_string(), r.trim().to_string())
                        })
                        .collect(),
                })
            }
        },
        "number" => {
            let answer = match raw.answer.as_ref().map(|a| a.get_ref()) {
                Some(toml::Value::Integer(i)) => Some(*i as f64),
                Some(toml::Value::Float(f)) if f.is_finite() => Some(*f),
                Some(toml::Value::String(s)) => {
                    let n = parse_number(s);
                    if n.is_none() {
                        ctx.error(answer_at, format!("answer \"{s}\" is not a number"));
                    }
                    n
                }
                Some(other) => {
                    ctx.error(
                        answer_at,
                        format!("`answer` must be a number, not {}", other.type_str()),
                    );
                    None
                }
                None => {
                    ctx.error(at, "missing `answer` (a number)");
                    None
                }
            };
            let tolerance = match raw.tolerance {
                Some(t) if !(t.get_ref().is_finite() && *t.get_ref() >= 0.0) => {
                    ctx.error(t.span().start, "`tolerance` must be zero or more");
                    None
                }
                Some(t) => Some(t.into_inner()),
                None => Some(0.0),
            };
            answer
                .zip(tolerance)
                .map(|(answer, tolerance)| Body::Number { answer, tolerance })
        }
        _ => None,
    };
    let source = raw.source.and_then(|s| parse_source(ctx, s));
    let explain = raw.explain.filter(|e| !e.trim().is_empty());
    let card_at = id.as_ref().map_or(at, |i| i.span().start);
    if explain.is_none() {
        ctx.warn(card_at, "card has no `explain`");
    }
    if source.as_ref().is_none_or(Vec::is_empty) {
        ctx.warn(card_at, "card has no `source`");
    }
    let tags = check_tags(ctx, raw.tags.unwrap_or_default());
    let allow = match raw.allow {
        Some(allow) => parse_allow(ctx, allow)?,
        None => BTreeMap::new(),
    };
    Some(Card {
        id: id?.into_inner(),
        prompt: prompt?.into_inner().trim().to_string(),
        body: body?,
        explain,
        source: source.unwrap_or_default(),
        tags,
        hint: raw.hint.filter(|h| !h.trim().is_empty()),
        allow,
    })
}

/// A card's `allow = { warning-name = "reason", ... }`: each name one of the item-writing warnings, each with a
/// reason. `None` (errors reported) when any entry is wrong.
fn parse_allow(ctx: &mut Ctx<'_>, value: Spanned<toml::Value>) -> Option<BTreeMap<String, String>> {
    use crate::deck::CARD_WARNINGS;
    let at = value.span().start;
    let toml::Value::Table(table) = value.into_inner() else {
        ctx.error(
            at,
            "`allow` must be a table of warning names and reasons, such as { longest-answer = \"why\" }",
        );
        return None;
    };
    let names: Vec<&str> = CARD_WARNINGS.iter().map(|(name, _)| *name).collect();
    let mut allow = BTreeMap::new();
    let mut ok = true;
    for (name, reason) in table {
        if !names.contains(&name.as_str()) {
            let hint = closest(&name, &names)
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            ctx.error(
                at,
                format!(
                    "unknown warning `{name}` in `allow`; {hint}(one of {})",
                    names.join(", ")
                ),
            );
            ok = false;
            continue;
        }
        match reason {
            toml::Value::String(r) if !r.trim().is_empty() => {
                allow.insert(name, r.trim().to_string());
            }
            _ => {
                ctx.error(
                    at,
                    format!(
                        "`allow` of `{name}` needs a reason: {name} = \"why this card is right as it is\""
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(allow)
}

fn clean(list: Option<Vec<String>>) -> Vec<String> {
    list.unwrap_or_default()
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse_source(ctx: &mut Ctx<'_>, value: Spanned<toml::Value>) -> Option<Vec<SourceRef>> {
    let at = value.span().start;
    let one = |ctx: &mut Ctx<'_>, v: &toml::Value| -> Option<SourceRef> {
        let toml::Value::Table(t) = v else {
            ctx.error(
                at,
                "`source` must be a table such as { paragraph = 3 }, or a list of them",
            );
            return None;
        };
        let mut r = SourceRef::default();
        for (k, v) in t {
            match (k.as_str(), v) {
                ("paragraph", toml::Value::Integer(n)) if *n >= 1 && *n <= i64::from(u32::MAX) => {
                    r.paragraph = Some(*n as u32)
                }
                ("paragraph", _) => {
                    ctx.error(at, "`source.paragraph` must be a paragraph number from 1")
                }
                ("locator", toml::Value::String(s)) if !s.trim().is_empty() => {
                    r.locator = Some(s.trim().into())
                }
                ("deck", toml::Value::String(s)) if !s.trim().is_empty() => {
                    r.deck = Some(s.trim().into())
                }
                ("locator" | "deck", _) => {
                    ctx.error(at, format!("`source.{k}` must be a non-empty string"))
                }
                _ => ctx.error(
                    at,
                    format!("unknown field `{k}` in source (it takes paragraph, locator, deck)"),
                ),
            }
        }
        if r.paragraph.is_none() && r.locator.is_none() {
            ctx.error(at, "`source` needs a `paragraph` or a `locator`");
            return None;
        }
        Some(r)
    };
    match value.get_ref() {
        toml::Value::Array(items) => items.iter().map(|v| one(ctx, v)).collect(),
        v => one(ctx, v).map(|r| vec![r]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(src: &str) -> Vec<String> {
        parse_deck("d.toml", src)
            .1
            .iter()
            .map(|d| d.to_string().lines().next().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn cards_are_split_at_their_headers_but_not_inside_strings() {
        let src = "[deck]\nid = \"d\" # [[card]]\ntitle = \"T\"\n[[card]]\nprompt = \"\"\"\n[[card]]\n\"\"\"\nx = '[[card]]'\n  [[card]]\ny = \"a\\\" [[card]]\"\n";
        let starts = card_starts(src).expect("deck shape");
        assert_eq!(starts.len(), 2);
        assert_eq!(&src[starts[0]..starts[0] + 8], "[[card]]");
        assert_eq!(&src[starts[1]..starts[1] + 10], "  [[card]]");
        // Any other table after the cards: the document is parsed whole.
        assert_eq!(card_starts("[[card]]\nid = \"a\"\n[deck]\n"), None);
        assert_eq!(card_starts("[[card]]\n[card.source]\n"), None);
    }

    #[test]
    fn a_warning_repeated_on_every_card_is_kept_a_thousand_times_then_counted() {
        let mut src = HEAD.to_string();
        for i in 0..1005 {
            src.push_str(&format!(
                "[[card]]\nid = \"c{i}\"\nkind = \"truefalse\"\nprompt = \"Q{i}\"\nanswer = true\nexplain = \"e\"\n"
            ));
        }
        let (deck, diags) = parse_deck("d.toml", &src);
        assert_eq!(deck.map(|d| d.cards.len()), Some(1005));
        assert_eq!(diags.len(), KEPT_REPEATS);
        assert_eq!(diags.iter().map(|d| 1 + d.more).sum::<usize>(), 1005);
        assert!(diags.iter().all(|d| d.message == "card has no `source`"));
    }

    #[test]
    fn split_and_whole_parses_agree() {
        let sample = include_str!("../../tests/data/sample.toml");
        let (split, diags) = parse_deck("s.toml", sample);
        assert!(diags.is_empty());
        // The same deck with [deck] moved to the end takes the whole-document path.
        let at = sample.find("[[card]]").expect("cards");
        let moved = format!("{}\n{}", &sample[at..], &sample[..at]);
        assert_eq!(card_starts(&moved), None);
        let (whole, diags) = parse_deck("s.toml", &moved);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(split, whole);
        // A syntax error in a later card is located in the file, and the other cards are still checked.
        let broken = sample.replacen("answer = 2008", "answer = = 2008", 1);
        let line = broken
            .lines()
            .position(|l| l.contains("= = 2008"))
            .expect("line")
            + 1;
        let (deck, diags) = parse_deck("s.toml", &broken);
        assert!(deck.is_none());
        assert!(
            diags
                .iter()
                .any(|d| d.line == line && d.severity == Severity::Error),
            "{diags:?}"
        );
    }

    #[test]
    fn a_diagnostic_shows_its_line_with_a_caret_and_a_hint() {
        let src = format!(
            "{HEAD}[[card]]\nid = \"a\"\nkind = \"choice\"\nprompt = \"Q\"\nchoices = [\"x\", \"y\"]\nanswer = \"Riga\"\nexplain = \"e\"\nsource = {{ paragraph = 1 }}\n"
        );
        let (_, diags) = parse_deck("d.toml", &src);
        assert_eq!(
            diags[0].to_string(),
            "d.toml:9:10: error: answer \"Riga\" is not one of the choices\n 9 | answer = \"Riga\"\n   |          ^\n   = hint: copy the answer exactly from `choices`, or add it to them"
        );
    }

    const HEAD: &str = "[deck]\nid = \"d\"\ntitle = \"T\"\n";

    #[test]
    fn a_valid_card_parses() {
        let src = format!(
            "{HEAD}[[card]]\nid = \"c\"\nkind = \"choice\"\nprompt = \"Q?\"\nchoices = [\"a\", \"b\"]\nanswer = \"a\"\nexplain = \"e\"\nsource = {{ paragraph = 2 }}\n"
        );
        let (deck, diags) = parse_deck("d.toml", &src);
        assert!(diags.is_empty(), "{diags:?}");
        let deck = deck.expect("valid");
        assert_eq!(
            deck.cards[0].body,
            Body::Choice {
                choices: vec!["a".into(), "b".into()],
                answer: "a".into()
            }
        );
        assert_eq!(deck.cards[0].source[0].paragraph, Some(2));
    }

    #[test]
    fn every_problem_is_reported_with_its_location() {
        let src = format!(
            "{HEAD}[[card]]\nid = \"a\"\nkind = \"choice\"\nprompt = \"Q\"\nchoices = [\"x\", \"y\"]\nanswer = \"Riga\"\n\n[[card]]\nid = \"b\"\nkind = \"text\"\nprompt = \"Q\"\nanwser = \"x\"\n\n[[card]]\nid = \"a\"\nkind = \"number\"\nprompt = \"Q\"\nanswer = \"nineteen\"\n"
        );
        let errs: Vec<_> = errors(&src)
            .into_iter()
            .filter(|e| e.contains("error"))
            .collect();
        assert_eq!(
            errs,
            vec![
                "d.toml:9:10: error: answer \"Riga\" is not one of the choices",
                "d.toml:15:1: error: unknown field `anwser`; did you mean `answer`?",
                "d.toml:18:6: error: duplicate card id `a` (first used on line 5)",
                "d.toml:21:10: error: answer \"nineteen\" is not a number",
            ]
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let errs = errors("[deck]\nid = \"d\nx = 1\n");
        assert!(errs[0].starts_with("d.toml:2:"), "{errs:?}");
    }

    #[test]
    fn kind_specific_checks() {
        let card = |body: &str| {
            format!(
                "{HEAD}[[card]]\nid = \"c\"\n{body}\nexplain = \"e\"\nsource = {{ locator = \"x\" }}\n"
            )
        };
        let cases = [
            (
                "kind = \"cloze\"\nprompt = \"no blanks\"",
                "needs at least one blank",
            ),
            ("kind = \"cloze\"\nprompt = \"open {{blank\"", "not closed"),
            (
                "kind = \"order\"\nprompt = \"Q\"\nitems = [\"a\", \"b\"]",
                "`items` needs 3 to 8 entries, not 2",
            ),
            (
                "kind = \"match\"\nprompt = \"Q\"\npairs = [[\"a\", \"1\"]]",
                "2 to 12 pairs",
            ),
            (
                "kind = \"choice\"\nprompt = \"Q\"\nchoices = [\"a\", \"a\"]\nanswer = \"a\"",
                "duplicate entry",
            ),
            (
                "kind = \"choice\"\nprompt = \"Q\"\nchoices = [\"a\", \" \"]\nanswer = \"a\"",
                "empty entry",
            ),
            (
                "kind = \"truefalse\"\nprompt = \"Q\"\nanswer = \"yes\"",
                "must be true or false",
            ),
            (
                "kind = \"text\"\nprompt = \"Q\"\nchoices = [\"a\"]",
                "does not belong to a text card",
            ),
            ("kind = \"quiz\"\nprompt = \"Q\"", "unknown kind `quiz`"),
            (
                "kind = \"multi\"\nprompt = \"Q\"\nchoices = [\"a\", \"b\"]\nanswers = [\"c\"]",
                "\"c\" is not one",
            ),
            ("prompt = \"Q\"", "missing `kind`"),
        ];
        for (body, expected) in cases {
            let errs = errors(&card(body));
            assert!(
                errs.iter().any(|e| e.contains(expected)),
                "{body}: {errs:?}"
            );
            assert!(parse_deck("d.toml", &card(body)).0.is_none());
        }
    }

    #[test]
    fn warnings_do_not_stop_a_deck() {
        let src = format!(
            "{HEAD}[[card]]\nid = \"c\"\nkind = \"truefalse\"\nprompt = \"Q\"\nanswer = true\n"
        );
        let (deck, diags) = parse_deck("d.toml", &src);
        assert!(deck.is_some());
        assert_eq!(diags.len(), 2);
        assert!(diags.iter().all(|d| d.severity == Severity::Warning));
    }

    #[test]
    fn numbers_parse_as_typed() {
        assert_eq!(parse_number("1,999"), Some(1999.0));
        assert_eq!(parse_number(" 40% "), Some(40.0));
        assert_eq!(parse_number("-2.5"), Some(-2.5));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("inf"), None);
    }
}
