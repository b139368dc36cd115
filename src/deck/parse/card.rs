//! One `[[card]]` table: its fields named and placed (every unknown or misplaced field reported), then the fields
//! every kind shares (id, kind, prompt, explain, source, tags, hint, allow). The fields of each kind are checked in
//! [`super::kinds`], the `allow` table in [`super::allow`].

use super::allow::parse_allow;
use super::kinds::{self, Fields, Pairs};
use super::{Code, Ctx, check_slug, check_tags, closest, required};
use crate::deck::{Card, KINDS, SourceRef};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;
use toml::de::{DeValue, ValueDeserializer};

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

/// Checks one `[[card]]`.
pub(super) fn parse_card(ctx: &mut Ctx<'_>, value: Spanned<DeValue<'_>>) -> Option<Card> {
    let at = value.span().start;
    let DeValue::Table(table) = value.get_ref() else {
        ctx.error(Code::CardNotTable, at, "each card must be a [[card]] table");
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
            ctx.error(
                Code::UnknownField,
                key.span().start,
                format!("unknown field `{name}`{hint}"),
            );
            misplaced = true;
        } else if let Some(kind) = known_kind
            && !COMMON_FIELDS.contains(&name)
            && !kind_fields(kind).contains(&name)
        {
            ctx.error(
                Code::MisplacedField,
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

/// A card from its fields: the common ones here, the body by its kind's function.
fn build_card(ctx: &mut Ctx<'_>, raw: RawCard, at: usize) -> Option<Card> {
    let RawCard {
        id,
        kind,
        prompt,
        answer,
        answers,
        choices,
        reverse,
        reject,
        items,
        pairs,
        tolerance,
        explain,
        source,
        tags,
        hint,
        allow,
    } = raw;
    let id = required(ctx, id, at, "card is missing `id`");
    if let Some(id) = &id {
        check_slug(ctx, id, "card id");
    }
    let kind = required(ctx, kind, at, "card is missing `kind`");
    let prompt = required(ctx, prompt, at, "card is missing `prompt`");
    if let Some(p) = &prompt {
        if p.get_ref().trim().is_empty() {
            ctx.error(Code::EmptyPrompt, p.span().start, "`prompt` is empty");
        } else if p.get_ref().chars().count() > LONG_PROMPT {
            ctx.warn(
                Code::LongPrompt,
                p.span().start,
                format!(
                    "very long prompt ({} characters)",
                    p.get_ref().chars().count()
                ),
            );
        }
    }
    if let Some(k) = &kind
        && !KINDS.contains(&k.get_ref().as_str())
    {
        let hint = closest(k.get_ref(), &KINDS)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        ctx.error(
            Code::UnknownKind,
            k.span().start,
            format!(
                "unknown kind `{}` (one of {}){hint}",
                k.get_ref(),
                KINDS.join(", ")
            ),
        );
        return None;
    }
    let fields = Fields {
        at,
        prompt: prompt.as_ref(),
        answer,
        answers,
        choices,
        reverse,
        reject,
        items,
        pairs,
        tolerance,
    };
    let body = match &kind {
        Some(kind) => kinds::body(ctx, kind.get_ref(), fields),
        None => None,
    };
    let source = source.and_then(|s| parse_source(ctx, s));
    let explain = explain.filter(|e| !e.trim().is_empty());
    let card_at = id.as_ref().map_or(at, |i| i.span().start);
    if explain.is_none() {
        ctx.warn(Code::NoExplain, card_at, "card has no `explain`");
    }
    if source.as_ref().is_none_or(Vec::is_empty) {
        ctx.warn(Code::NoSource, card_at, "card has no `source`");
    }
    let tags = check_tags(ctx, tags.unwrap_or_default());
    let allow = match allow {
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
        hint: hint.filter(|h| !h.trim().is_empty()),
        allow,
    })
}

/// A card's `source`: one table, or a list of them, each saying where in a reading the answer stands.
fn parse_source(ctx: &mut Ctx<'_>, value: Spanned<toml::Value>) -> Option<Vec<SourceRef>> {
    let at = value.span().start;
    let one = |ctx: &mut Ctx<'_>, v: &toml::Value| -> Option<SourceRef> {
        let toml::Value::Table(t) = v else {
            ctx.error(
                Code::SourceNotTable,
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
                ("paragraph", _) => ctx.error(
                    Code::BadSourceValue,
                    at,
                    "`source.paragraph` must be a paragraph number from 1",
                ),
                ("locator", toml::Value::String(s)) if !s.trim().is_empty() => {
                    r.locator = Some(s.trim().into())
                }
                ("deck", toml::Value::String(s)) if !s.trim().is_empty() => {
                    r.deck = Some(s.trim().into())
                }
                ("locator" | "deck", _) => ctx.error(
                    Code::BadSourceValue,
                    at,
                    format!("`source.{k}` must be a non-empty string"),
                ),
                _ => ctx.error(
                    Code::UnknownField,
                    at,
                    format!("unknown field `{k}` in source (it takes paragraph, locator, deck)"),
                ),
            }
        }
        if r.paragraph.is_none() && r.locator.is_none() {
            ctx.error(
                Code::SourceWithoutLocation,
                at,
                "`source` needs a `paragraph` or a `locator`",
            );
            return None;
        }
        Some(r)
    };
    match value.get_ref() {
        toml::Value::Array(items) => items.iter().map(|v| one(ctx, v)).collect(),
        v => one(ctx, v).map(|r| vec![r]),
    }
}
