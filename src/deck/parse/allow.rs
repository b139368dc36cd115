//! A card's `allow` table: the item-writing warnings ([`CARD_WARNINGS`]) the card may raise, each with the
//! author's reason. Whether an entry is still needed is for `deck check` to say (see [`crate::lint`]).

use super::{Code, Ctx, closest};
use crate::deck::CARD_WARNINGS;
use std::collections::BTreeMap;
use toml::Spanned;

/// A card's `allow = { warning-name = "reason", ... }`: each name one of the item-writing warnings, each with a
/// reason. `None` (errors reported) when any entry is wrong.
pub(super) fn parse_allow(
    ctx: &mut Ctx<'_>,
    value: Spanned<toml::Value>,
) -> Option<BTreeMap<String, String>> {
    let at = value.span().start;
    let toml::Value::Table(table) = value.into_inner() else {
        ctx.error(
            Code::AllowNotTable,
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
                Code::UnknownAllowName,
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
                    Code::AllowWithoutReason,
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
