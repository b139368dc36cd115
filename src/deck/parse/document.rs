//! The TOML document of a deck: its top level (`[deck]` and the `card` array), the `[deck]` header, the split of a
//! large file at its `[[card]]` headers so that each card is parsed on its own, and duplicate card ids.

use super::card::parse_card;
use super::{Code, Ctx, check_slug, check_tags, required};
use crate::deck::{Card, Deck, DeckSource, NewOrder};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

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
    exam_only: Option<bool>,
}

/// Where each top-level `[[card]]` table starts, when the document is a header followed only by `[[card]]`
/// tables (the shape of every deck), so that each card can be parsed on its own and a 100,000-card deck never
/// becomes one document tree; `None` for any other shape, which is parsed whole.
pub(super) fn card_starts(src: &str) -> Option<Vec<usize>> {
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
                Code::UnknownTopLevelKey,
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
        _ => ctx.error(
            Code::CardNotTable,
            span.start,
            "`card` must be written as [[card]] tables",
        ),
    }
}

pub(super) fn parse_into(ctx: &mut Ctx<'_>) -> Option<Deck> {
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
            ctx.error(
                Code::MissingDeckTable,
                0,
                "missing [deck] table (with id and title)",
            );
            None
        }
        None => None,
    };
    // One card a `[[card]]` table: the list is sized once, not doubled (and copied) as a large deck is read.
    let tables = starts.as_ref().map_or(0, Vec::len);
    let mut parsed = Vec::with_capacity(tables);
    let mut ids: Vec<(String, usize)> = Vec::with_capacity(tables);
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
            None => ctx.error(
                Code::NoCards,
                ctx.src.len(),
                "the deck has no [[card]] entries",
            ),
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
            ctx.error(
                Code::MissingDeckTable,
                0,
                "missing [deck] table (with id and title)",
            );
            None
        }
    };
    let mut parsed = Vec::new();
    let mut ids = Vec::new();
    match cards {
        None => ctx.error(
            Code::NoCards,
            ctx.src.len(),
            "the deck has no [[card]] entries",
        ),
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
            let (line, _) = ctx.report.lines.locate(*first);
            ctx.error(
                Code::DuplicateCardId,
                *at,
                format!("duplicate card id `{id}` (first used on line {line})"),
            );
        } else {
            seen.insert(id, *at);
        }
    }
    let (id, title, description, tags, source, aliases, new_order, exam_only) = header?;
    Some(Deck {
        id,
        title,
        description,
        tags,
        source,
        aliases,
        new_order,
        exam_only,
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
    bool,
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
                    Code::BadNewOrder,
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
        raw.exam_only.unwrap_or(false),
    ))
}
