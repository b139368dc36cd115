//! Parsing and validating a deck file, reporting every problem at once with its `FILE:LINE:COL`.
//!
//! The file is first parsed into toml's spanned document tree, so a syntax error is located exactly
//! (`document`). Each card is then checked field by field (every unknown or misplaced field is named, with a
//! suggestion) and deserialized with serde on its own, so one bad card does not hide the problems of the next
//! (`card`, with the fields of each kind in `kinds` and the `allow` table in `allow`). Every problem is a
//! [`Diagnostic`] with a [`Code`] that chooses its hint (`diagnostic`).

mod allow;
mod card;
mod diagnostic;
mod document;
mod kinds;
#[cfg(test)]
mod tests;

pub use diagnostic::{Code, Diagnostic, KEPT_REPEATS, Lines, Severity};

use diagnostic::Report;
use toml::Spanned;

/// Parses and validates a deck. `file` is the name used in diagnostics. The deck is returned only when there is
/// no error; the diagnostics (errors and warnings) come sorted by position.
pub fn parse_deck(file: &str, src: &str) -> (Option<super::Deck>, Vec<Diagnostic>) {
    let mut ctx = Ctx {
        src,
        base: 0,
        report: Report::new(file, src),
    };
    let deck = document::parse_into(&mut ctx);
    let diags = ctx.report.into_sorted();
    let ok = !diags.iter().any(|d| d.severity == Severity::Error);
    (deck.filter(|_| ok), diags)
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

/// The file being parsed and the problems found so far.
struct Ctx<'a> {
    src: &'a str,
    /// Where the piece of `src` being parsed starts: spans are relative to it.
    base: usize,
    report: Report<'a>,
}

impl Ctx<'_> {
    fn error(&mut self, code: Code, at: usize, message: impl Into<String>) {
        self.report
            .push(code, Severity::Error, self.base + at, message.into());
    }
    fn warn(&mut self, code: Code, at: usize, message: impl Into<String>) {
        self.report
            .push(code, Severity::Warning, self.base + at, message.into());
    }
    fn toml_error(&mut self, e: &toml::de::Error, fallback: usize) {
        let at = e.span().map_or(fallback, |s| s.start);
        let message = e.message().trim().replace('\n', " ");
        // serde's words for a field `[deck]` or `[deck.source]` does not take: the problem of an unknown card field.
        let code = if message.starts_with("unknown field") {
            Code::UnknownField
        } else {
            Code::Toml
        };
        self.error(code, at, message);
    }
}

/// A required field, reported missing (at `at`) when it is not there.
fn required<T>(
    ctx: &mut Ctx<'_>,
    v: Option<Spanned<T>>,
    at: usize,
    msg: &str,
) -> Option<Spanned<T>> {
    if v.is_none() {
        ctx.error(Code::MissingField, at, msg);
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
            Code::BadId,
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
                    Code::BadTag,
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

/// The option nearest to a misspelt name, within two edits.
fn closest<'a>(name: &str, options: &[&'a str]) -> Option<&'a str> {
    options
        .iter()
        .map(|o| (strsim::osa_distance(name, o), *o))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, o)| o)
}
