//! Moodle GIFT: the reader (Moodle's semantics) and the writer (as Moodle's exporter writes it).
//!
//! The reader follows Moodle's `qformat_gift` (see `formats.md` §1): questions are blocks separated by blank lines;
//! `//` comment lines are dropped, but their `[id:..]` and `[tag:..]` give the next question's id and tags; a
//! `$CATEGORY:` block tags the cards after it with its path; the answer block is the first unescaped `{` to the first
//! unescaped `}`, and its type is detected in Moodle's order (numerical, multiple choice, matching, true/false, short
//! answer). A question is read as a list of characters that remember whether they were escaped and where they stood
//! in the file, so control characters are told from escaped ones without Moodle's placeholders, and a malformed
//! question is reported at its line and column. What detente cannot hold is skipped with a warning at the question's
//! line: descriptions, essays, and questions whose card `deck check` would reject.
//!
//! Moodle's quirks are kept: an unescaped `~` anywhere makes a multiple-choice question, `T`/`TRUE`/`F`/`FALSE` are
//! case-sensitive, the first `#` of a true/false answer is the feedback for a wrong answer and the second for a right
//! one, and an `=` answer of a multiple-choice question takes no `%weight%`. Partial credit, which detente does not
//! have, is dropped with a warning; a `%0%` (or negative) short answer becomes one of the card's `reject` entries,
//! except `*`, Moodle's "any other answer". Several `=` answers in a multiple-choice question (Moodle: one pick, any
//! of them right) give a choice card answered by the first, the others left out of its choices with a warning.
//! No feedback is lost: `explain` holds the general feedback, the right answer's feedback, then each other answer's
//! as "If you chose X: ..." (true/false: the first `#` text is for the wrong value). Media links stay as text, with a
//! warning at their line.
//!
//! The writer writes what Moodle's exporter writes: a `$CATEGORY:` block named after the deck, then each card with
//! its `// [id:..] [tag:..]` comment, its id as the question name, escaped text and Moodle's layout of the answer
//! block. Every card is written: a cloze as one missing-word question per blank, an order card as a matching question
//! from positions to items (read back as an order card), a flashcard as a short answer or, with a long back, a
//! description. A card GIFT cannot hold (a matching side with `->`) is left out with a warning naming it. Written
//! cards read back with the same id, kind, prompt, answers and explanation (descriptions are skipped on reading).

use super::{ConvertError, Ids, Meta, Sink, Warning, slug};
use crate::deck::{Body, Card, Deck, cloze_blanks};
use crate::text::plain_number;
use std::io::{BufRead, Write};
use std::ops::Range;

/// Reads a GIFT bank, handing each card to `emit` as soon as its question is complete (stream by
/// blank-line-separated blocks; never hold the whole file's cards).
pub fn read(mut input: impl BufRead, emit: &mut Sink<'_>) -> Result<Meta, ConvertError> {
    let mut reader = Reader::default();
    let mut block: Vec<(usize, String)> = Vec::new();
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        let bytes = match buf.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) if line_no == 1 => rest,
            _ => &buf[..],
        };
        let line = std::str::from_utf8(bytes).map_err(|e| {
            let column =
                std::str::from_utf8(&bytes[..e.valid_up_to()]).map_or(0, |s| s.chars().count()) + 1;
            ConvertError::at(
                line_no,
                column,
                "the file is not UTF-8: save it as UTF-8 and convert again",
            )
        })?;
        let line = line.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            reader.block(&block, emit)?;
            block.clear();
        } else if trimmed.starts_with("//") {
            reader.comment(trimmed);
        } else {
            block.push((line_no, line.to_string()));
        }
    }
    reader.block(&block, emit)?;
    Ok(Meta {
        title: None,
        warnings: reader.warnings,
    })
}

/// What the reader carries from one block to the next.
#[derive(Default)]
struct Reader {
    ids: Ids,
    /// The tag of the current `$CATEGORY:`.
    category: Option<String>,
    /// The `[id:..]` and `[tag:..]` of the comments since the last question.
    id: Option<String>,
    tags: Vec<String>,
    warnings: Vec<Warning>,
}

impl Reader {
    fn comment(&mut self, line: &str) {
        if let Some(id) = bracketed(line, "[id:").pop() {
            self.id = Some(id);
        }
        self.tags.extend(bracketed(line, "[tag:"));
    }

    /// One question, or a category, from its non-comment lines (numbered as in the file).
    fn block(
        &mut self,
        lines: &[(usize, String)],
        emit: &mut Sink<'_>,
    ) -> Result<(), ConvertError> {
        let Some((line, head)) = lines.first() else {
            return Ok(());
        };
        let line = *line;
        if let Some(path) = head.trim().strip_prefix("$CATEGORY:") {
            if let Some((n, text)) = lines.get(1) {
                let column = text.chars().take_while(|c| c.is_whitespace()).count() + 1;
                return Err(ConvertError::at(
                    *n,
                    column,
                    "a `$CATEGORY:` block holds nothing else: put a blank line after it",
                ));
            }
            self.category = category_tag(path);
            return Ok(());
        }
        let given = self.id.take();
        let tags = std::mem::take(&mut self.tags);
        for (n, text) in lines {
            if let Some(found) = super::media(text) {
                self.warnings.push(super::media_warning(*n, &found));
            }
        }
        let mut notes = Vec::new();
        let parsed = question(lines, &mut notes);
        self.warnings
            .extend(notes.into_iter().map(|message| Warning { line, message }));
        let Some((name, mut card)) = parsed? else {
            return Ok(());
        };
        if let Some(why) = invalid(&card) {
            self.warnings.push(Warning {
                line,
                message: format!("question skipped: {why}"),
            });
            return Ok(());
        }
        card.id = self
            .ids
            .claim(given.as_deref().or(name.as_deref()), &card.prompt);
        for tag in self
            .category
            .iter()
            .cloned()
            .chain(tags.iter().filter_map(|t| super::tag(t)))
        {
            if !tag.is_empty() && !card.tags.contains(&tag) {
                card.tags.push(tag);
            }
        }
        emit(card)
    }
}

/// The values of every `[key:value]` in a comment line, `\]` standing for `]`.
fn bracketed(line: &str, open: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find(open) {
        rest = &rest[at + open.len()..];
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' if rest[i + 1..].starts_with(']') => {
                    value.push(']');
                    chars.next();
                }
                ']' => {
                    end = Some(i);
                    break;
                }
                c => value.push(c),
            }
        }
        let Some(end) = end else { break };
        found.push(value.trim().to_string());
        rest = &rest[end + 1..];
    }
    found
}

/// The tag for a category path: `$course$/top/IR 101/Week 1` gives `ir-101/week-1`. `//` is a literal `/`; the
/// context (`$course$`, `$system$`, ...), `top` and Moodle's `Default for ...` categories are left out.
fn category_tag(path: &str) -> Option<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut chars = path.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                chars.next();
                part.push('/');
            }
            '/' => parts.push(std::mem::take(&mut part)),
            c => part.push(c),
        }
    }
    parts.push(part);
    let tag = parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| {
            !(p.starts_with('$') && p.ends_with('$'))
                && *p != "top"
                && !p.starts_with("Default for ")
        })
        .map(slug)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    (!tag.is_empty()).then_some(tag)
}

/// A character of a question: whether it was escaped (`\~`, `\n`, ...) and where it stood in the file (1-based).
#[derive(Debug, Clone, Copy)]
struct Sym {
    c: char,
    esc: bool,
    line: usize,
    col: usize,
}

impl Sym {
    /// Whether this is the control character `c`, unescaped.
    fn is(&self, c: char) -> bool {
        !self.esc && self.c == c
    }

    fn blank(&self) -> bool {
        !self.esc && self.c.is_whitespace()
    }

    fn error(&self, message: impl Into<String>) -> ConvertError {
        ConvertError::at(self.line, self.col, message)
    }
}

/// The characters of a block's lines joined by newlines, escapes resolved (`\\` first, as Moodle does).
fn symbols(lines: &[(usize, String)]) -> Vec<Sym> {
    let mut out = Vec::new();
    for (k, (line, text)) in lines.iter().enumerate() {
        let line = *line;
        if k > 0 {
            out.push(Sym {
                c: '\n',
                esc: false,
                line,
                col: 1,
            });
        }
        let mut chars = text.chars().zip(1..).peekable();
        while let Some((c, col)) = chars.next() {
            if c == '\\'
                && let Some(&(next, _)) = chars.peek()
                && "\\~=#{}:n".contains(next)
            {
                chars.next();
                let c = if next == 'n' { '\n' } else { next };
                out.push(Sym {
                    c,
                    esc: true,
                    line,
                    col,
                });
            } else {
                out.push(Sym {
                    c,
                    esc: false,
                    line,
                    col,
                });
            }
        }
    }
    out
}

fn trim(s: &[Sym]) -> &[Sym] {
    let start = s.iter().position(|x| !x.blank()).unwrap_or(s.len());
    let end = s.iter().rposition(|x| !x.blank()).map_or(start, |i| i + 1);
    &s[start..end]
}

fn find(s: &[Sym], c: char) -> Option<usize> {
    s.iter().position(|x| x.is(c))
}

fn string(s: &[Sym]) -> String {
    s.iter().map(|x| x.c).collect()
}

/// Where an unescaped `->` starts.
fn arrow(s: &[Sym]) -> Option<usize> {
    (1..s.len())
        .find(|&i| s[i - 1].is('-') && s[i].is('>'))
        .map(|i| i - 1)
}

/// Splits at the first `n - 1` unescaped `c`.
fn split_n(s: &[Sym], c: char, n: usize) -> Vec<&[Sym]> {
    let mut out = Vec::new();
    let mut rest = s;
    while out.len() + 1 < n
        && let Some(i) = find(rest, c)
    {
        out.push(&rest[..i]);
        rest = &rest[i + 1..];
    }
    out.push(rest);
    out
}

/// One answer of an answer block: the text after its marker (`~`, `=`), trimmed, and where it starts.
struct Piece<'a> {
    marker: Option<char>,
    at: Sym,
    syms: &'a [Sym],
}

/// Splits an answer block before each unescaped marker. Text before the first marker is an answer too unless it is
/// blank, as in Moodle.
fn pieces<'a>(s: &'a [Sym], markers: &[char]) -> Vec<Piece<'a>> {
    let cuts: Vec<usize> = (0..s.len())
        .filter(|&i| !s[i].esc && markers.contains(&s[i].c))
        .collect();
    let mut out = Vec::new();
    let head = trim(&s[..cuts.first().copied().unwrap_or(s.len())]);
    if let Some(at) = head.first() {
        out.push(Piece {
            marker: None,
            at: *at,
            syms: head,
        });
    }
    for (k, &i) in cuts.iter().enumerate() {
        let end = cuts.get(k + 1).copied().unwrap_or(s.len());
        out.push(Piece {
            marker: Some(s[i].c),
            at: s[i],
            syms: trim(&s[i + 1..end]),
        });
    }
    out
}

/// The text formats Moodle names in a `[format]` prefix. Only HTML changes how detente reads the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Html,
}

const FORMATS: [(&str, Format); 4] = [
    ("[moodle]", Format::Text),
    ("[plain]", Format::Text),
    ("[markdown]", Format::Text),
    ("[html]", Format::Html),
];

/// A text without its format prefix (the format is `default` when it has none), HTML turned into plain text, trimmed.
fn formatted(text: &str, default: Format) -> (String, Format) {
    let text = text.trim();
    let (text, format) = FORMATS
        .iter()
        .find_map(|(tag, f)| text.strip_prefix(tag).map(|t| (t, *f)))
        .unwrap_or((text, default));
    let text = match format {
        Format::Html => plain(text),
        Format::Text => text.to_string(),
    };
    (text.trim().to_string(), format)
}

/// HTML as plain text: tags dropped (a line break or paragraph end becomes a newline), common entities decoded.
fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        if tag.starts_with("br") || tag == "/p" {
            out.push('\n');
        } else if let Some(kept) = super::media_tag(&rest[open + 1..open + close]) {
            out.push_str(&kept);
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    [
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#039;", "'"),
        ("&apos;", "'"),
        ("&nbsp;", " "),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(out, |s, (entity, c)| s.replace(entity, c))
}

/// Stands for the answer block in a missing-word question's text until the block's type is known.
const MARK: char = '\u{E000}';

/// A card and the feedback to use as its explanation when the question has no general feedback.
type Parsed = Option<(Body, Option<String>)>;

/// A question's name and its card (without id and tags), or `None` (with a note saying why) when it is skipped.
fn question(
    lines: &[(usize, String)],
    notes: &mut Vec<String>,
) -> Result<Option<(Option<String>, Card)>, ConvertError> {
    let syms = symbols(lines);
    let mut text = trim(&syms);
    let mut name = None;
    if text.len() >= 2 && text[0].is(':') && text[1].is(':') {
        text = &text[2..];
        if let Some(end) = (1..text.len()).find(|&i| text[i - 1].is(':') && text[i].is(':')) {
            name = Some(string(&text[..end - 1]).trim().to_string());
            text = trim(&text[end + 1..]);
        }
    }
    let (open, close) = match (find(text, '{'), find(text, '}')) {
        (None, None) => {
            notes.push("description skipped: it has no answer block".into());
            return Ok(None);
        }
        (Some(open), Some(close)) if open < close => (open, close),
        (Some(open), None) => {
            return Err(text[open].error(
                "`{` is never closed: end the answer block with `}` (write a literal brace as \\{)",
            ));
        }
        (_, Some(close)) => {
            return Err(
                text[close].error("`}` without a `{` before it (write a literal brace as \\})")
            );
        }
    };
    if let Some(stray) =
        (open + 1..text.len()).find(|&i| i != close && (text[i].is('{') || text[i].is('}')))
    {
        return Err(text[stray]
            .error("a question has one answer block: write a literal brace as \\{ or \\}"));
    }
    let after = &text[close + 1..];
    let missing_word = !after.is_empty();
    let mut block = trim(&text[open + 1..close]);
    let mut general = None;
    if let Some(g) = (0..block.len().saturating_sub(3))
        .rev()
        .find(|&i| block[i..i + 4].iter().all(|x| x.is('#')))
    {
        general = Some(&block[g + 4..]);
        block = trim(&block[..g]);
    }
    let mut raw = string(&text[..open]);
    if missing_word {
        raw.push(MARK);
        raw.push_str(&string(after));
    }
    let (prompt, format) = formatted(&raw, Format::Text);
    let general = general.map(|g| formatted(&string(g), format).0);
    let parsed = if block.is_empty() {
        notes.push("essay question skipped: detente has no essay card".into());
        None
    } else if block[0].is('#') {
        numerical(block, format, notes)?
    } else if find(block, '~').is_some() {
        multichoice(block, format, notes)?
    } else if find(block, '=').is_some() && arrow(block).is_some() {
        matching(block, format, notes)?
    } else if let Some(truefalse) = truefalse(block, format) {
        Some(truefalse)
    } else {
        shortanswer(block, format, notes)?
    };
    let Some((body, feedback)) = parsed else {
        return Ok(None);
    };
    let (body, prompt) = match body {
        Body::Text { answers, reject } if missing_word => {
            let prompt = prompt.replace(MARK, &format!("{{{{{}}}}}", answers.join("|")));
            let blanks = cloze_blanks(&prompt);
            if blanks.len() != 1
                || blanks[0].answers != answers
                || prompt.matches("{{").count() != 1
                || prompt.matches("}}").count() != 1
            {
                notes.push(
                    "question skipped: its answers or text hold `|`, `{{` or `}}`, which a cloze blank cannot".into(),
                );
                return Ok(None);
            }
            (Body::Cloze { reject }, prompt)
        }
        body if missing_word => (body, prompt.replace(MARK, "_____")),
        body => (body, prompt),
    };
    // The general feedback, then the per-answer feedback ("If you chose X: ..."), so none of it is lost.
    let explain = [general, feedback]
        .into_iter()
        .flatten()
        .filter(|e| !e.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let card = Card {
        id: String::new(),
        prompt,
        body,
        explain: Some(explain).filter(|e| !e.is_empty()),
        source: Vec::new(),
        tags: Vec::new(),
        hint: None,
        allow: Default::default(),
    };
    Ok(Some((name, card)))
}

/// One answer: its weight in percent, its text and its feedback.
struct Answer {
    weight: f64,
    text: String,
    feedback: String,
}

/// Reads an answer, with a `%weight%` if `weighted` (else `weight` is its weight) and a `#feedback`.
fn answer(
    piece: &Piece<'_>,
    weight: f64,
    weighted: bool,
    format: Format,
) -> Result<Answer, ConvertError> {
    let mut s = piece.syms;
    let mut weight = weight;
    if weighted
        && s.first().is_some_and(|x| x.is('%'))
        && let Some(end) = (1..s.len()).find(|&i| s[i].is('%'))
    {
        let w = string(&s[1..end]);
        weight = w
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|w| w.abs() <= 100.0)
            .ok_or_else(|| {
                s[0].error(format!(
                    "invalid weight `%{w}%`: write a percentage from -100 to 100, such as %50%"
                ))
            })?;
        s = trim(&s[end + 1..]);
    }
    let (text, feedback) = match find(s, '#') {
        Some(h) => (&s[..h], &s[h + 1..]),
        None => (s, &s[s.len()..]),
    };
    Ok(Answer {
        weight,
        text: formatted(&string(text), format).0,
        feedback: formatted(&string(feedback), format).0,
    })
}

/// `{#1945}`, `{#3.1415:0.0005}`, `{#3.141..3.142}`, `{#=1822:0 =%50%1822:2 ~#feedback}`: the 100 % answer.
fn numerical(
    block: &[Sym],
    format: Format,
    notes: &mut Vec<String>,
) -> Result<Parsed, ConvertError> {
    let mut s = &block[1..];
    if let Some(wrong) = find(s, '~') {
        s = &s[..wrong];
    }
    let pieces = pieces(s, &['=']);
    if pieces.is_empty() {
        return Err(block[0].error("a numerical question needs a number after `#`"));
    }
    let mut best = None;
    let mut others = 0;
    for piece in &pieces {
        let a = answer(piece, 100.0, true, format)?;
        let (value, tolerance) = number(&a.text)
            .ok_or_else(|| piece.at.error(format!("`{}` is not a number", a.text)))?;
        if a.weight >= 100.0 && best.is_none() {
            best = Some((value, tolerance, a.feedback));
        } else {
            others += 1;
        }
    }
    if others > 0 {
        notes.push(format!(
            "{others} partial-credit alternative(s) dropped: detente keeps the 100% answer"
        ));
    }
    let Some((answer, tolerance, feedback)) = best else {
        notes.push("question skipped: no numerical answer is worth 100%".into());
        return Ok(None);
    };
    Ok(Some((Body::Number { answer, tolerance }, Some(feedback))))
}

/// A numerical answer `x`, `x:tolerance` or `min..max` as its value and tolerance. A range keeps the decimals it
/// was written with: `3.141..3.142` is 3.1415 with tolerance 0.0005, never 3.1414999999999997.
fn number(text: &str) -> Option<(f64, f64)> {
    let num = |s: &str| s.trim().parse::<f64>().ok().filter(|n| n.is_finite());
    if let Some(k) = text.find("..").filter(|&k| k > 0) {
        let (min, max) = (num(&text[..k])?, num(&text[k + 2..])?);
        // Half of a number with d decimals has at most d + 1.
        let places = decimals(&text[..k]).max(decimals(&text[k + 2..])) + 1;
        Some((
            round_to((min + max) / 2.0, places),
            round_to(((max - min) / 2.0).abs(), places),
        ))
    } else if let Some(k) = text.find(':').filter(|&k| k > 0) {
        Some((num(&text[..k])?, num(&text[k + 1..])?.abs()))
    } else {
        Some((num(text)?, 0.0))
    }
}

/// How many decimal places a written number has ("3.141" has 3, "2e3" and "17" none).
fn decimals(text: &str) -> i32 {
    let text = text.trim();
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    mantissa.split_once('.').map_or(0, |(_, d)| {
        d.chars().filter(|c| c.is_ascii_digit()).count() as i32
    })
}

/// `x` rounded to `places` decimal places (at most 15, beyond which an f64 has nothing to round).
fn round_to(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places.min(15));
    let rounded = (x * scale).round() / scale;
    if rounded.is_finite() { rounded } else { x }
}

/// `{~a =b ~c}` is a choice card; with no `=`, `{~%50%a ~%50%b ~%-100%c}` is a multi card of the positive choices.
/// Moodle gives full marks for any `=` answer and shows radio buttons, so with several `=` the learner picks one of
/// them: detente keeps the first as the choice card's answer and leaves the others out of the choices (a warning
/// names them), so that picking among the choices shown is graded as Moodle grades it.
fn multichoice(
    block: &[Sym],
    format: Format,
    notes: &mut Vec<String>,
) -> Result<Parsed, ConvertError> {
    let single = find(block, '=').is_some();
    let mut answers = Vec::new();
    for piece in pieces(block, &['~', '=']) {
        answers.push(match piece.marker {
            Some('=') => answer(&piece, 100.0, false, format)?,
            _ => answer(&piece, 0.0, true, format)?,
        });
    }
    if !single {
        let right = answers
            .iter()
            .filter(|a| a.weight > 0.0)
            .map(|a| a.text.clone())
            .collect();
        let choices = answers.iter().map(|a| a.text.clone()).collect();
        let feedback = chose(answers.iter());
        return Ok(Some((
            Body::Multi {
                choices,
                answers: right,
            },
            feedback,
        )));
    }
    let Some(right) = answers.iter().position(|a| a.weight >= 100.0) else {
        notes.push("question skipped: no answer is fully right".into());
        return Ok(None);
    };
    let also: Vec<usize> = (right + 1..answers.len())
        .filter(|&i| answers[i].weight >= 100.0)
        .collect();
    if !also.is_empty() {
        let names: Vec<String> = also
            .iter()
            .map(|&i| format!("`{}`", answers[i].text))
            .collect();
        notes.push(format!(
            "{} also fully right: Moodle gives full marks for any `=` answer, and detente's choice card takes \
             one, so the first, `{}`, is the answer and {} left out of the choices",
            names.join(", "),
            answers[right].text,
            if also.len() == 1 { "that one is" } else { "those are" }
        ));
    }
    for a in answers
        .iter()
        .filter(|a| a.weight > 0.0 && a.weight < 100.0)
    {
        notes.push(format!(
            "partial credit ({}%) for `{}` dropped: it counts as wrong",
            a.weight, a.text
        ));
    }
    let shown: Vec<&Answer> = answers
        .iter()
        .enumerate()
        .filter(|(i, _)| !also.contains(i))
        .map(|(_, a)| a)
        .collect();
    let body = Body::Choice {
        choices: shown.iter().map(|a| a.text.clone()).collect(),
        answer: answers[right].text.clone(),
    };
    // The right answer's feedback explains; the others' are kept as "If you chose X: ...".
    let mut feedback: Vec<String> = Some(answers[right].feedback.clone())
        .filter(|f| !f.is_empty())
        .into_iter()
        .collect();
    feedback.extend(chose(shown.into_iter().filter(|a| a.weight < 100.0)));
    Ok(Some((body, Some(feedback.join("\n")))))
}

/// "If you chose X: feedback", one line for each answer that has feedback; `None` when none has.
fn chose<'a>(answers: impl Iterator<Item = &'a Answer>) -> Option<String> {
    let lines: Vec<String> = answers
        .filter(|a| !a.feedback.is_empty())
        .map(|a| format!("If you chose {}: {}", a.text, a.feedback))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// `{=Canada -> Ottawa =Italy -> Rome}`; a right side alone (`= -> Chat`) is a distractor detente drops.
fn matching(
    block: &[Sym],
    format: Format,
    notes: &mut Vec<String>,
) -> Result<Parsed, ConvertError> {
    let mut pairs = Vec::new();
    let mut distractors = 0;
    for piece in pieces(block, &['=']) {
        let Some(k) = arrow(piece.syms) else {
            return Err(piece
                .at
                .error("a matching pair needs `->` between its two sides"));
        };
        let left = formatted(&string(&piece.syms[..k]), format).0;
        let right = string(&piece.syms[k + 2..]).trim().to_string();
        if left.is_empty() {
            distractors += 1;
        } else {
            pairs.push((left, right));
        }
    }
    if distractors > 0 {
        notes.push(format!(
            "{distractors} right-side distractor(s) dropped: detente's match card has none"
        ));
    }
    // Positions `1`, `2`, ... matched to items, as detente writes an order card, read back as that order card.
    if pairs.len() >= 3
        && distractors == 0
        && pairs
            .iter()
            .enumerate()
            .all(|(k, (left, _))| *left == (k + 1).to_string())
    {
        let items = pairs.into_iter().map(|(_, item)| item).collect();
        return Ok(Some((Body::Order { items }, None)));
    }
    Ok(Some((Body::Match { pairs }, None)))
}

/// `{T}`, `{FALSE#shown when wrong#shown when right}`; `None` when the block is not true/false.
fn truefalse(block: &[Sym], format: Format) -> Parsed {
    let parts = split_n(block, '#', 3);
    let answer = match string(parts[0]).trim() {
        "T" | "TRUE" => true,
        "F" | "FALSE" => false,
        _ => return None,
    };
    // Moodle shows the first `#` text to a learner who answered wrongly, the second to one who answered rightly.
    let text = |k: usize| {
        parts
            .get(k)
            .map(|p| formatted(&string(p), format).0)
            .filter(|t| !t.is_empty())
    };
    let wrong = if answer { "False" } else { "True" };
    let feedback = [
        text(2),
        text(1).map(|t| format!("If you chose {wrong}: {t}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("\n");
    Some((Body::Truefalse { answer }, Some(feedback)))
}

/// `{=no one =nobody =%0%Grant}`: the 100 % answers are accepted, the 0 % ones rejected. `*` is Moodle's "any
/// other answer": its feedback is kept ("For any other answer: ..."), and it is never a rejected answer. The first
/// accepted answer's feedback explains; every other answer's is kept as "If you answered X: ...".
fn shortanswer(
    block: &[Sym],
    format: Format,
    notes: &mut Vec<String>,
) -> Result<Parsed, ConvertError> {
    let mut answers = Vec::new();
    let mut reject = Vec::new();
    let mut right = None;
    let mut others = Vec::new();
    for piece in pieces(block, &['=']) {
        let a = answer(&piece, 100.0, true, format)?;
        let said = |what: &str| (!a.feedback.is_empty()).then(|| format!("{what}: {}", a.feedback));
        if a.text == "*" {
            if a.weight > 0.0 {
                notes.push(format!(
                    "`*` ({}%) accepts any answer in Moodle; detente cannot, and leaves it out",
                    a.weight
                ));
            }
            others.extend(said("For any other answer"));
            continue;
        }
        if a.text.contains('*') {
            notes.push(format!(
                "`{}`: `*` is a wildcard in Moodle; detente reads it as a literal `*`",
                a.text
            ));
        }
        if a.weight >= 100.0 {
            if answers.is_empty() {
                right = Some(a.feedback.clone()).filter(|f| !f.is_empty());
            } else if right.as_ref() != Some(&a.feedback) {
                others.extend(said(&format!("If you answered {}", a.text)));
            }
            answers.push(a.text);
        } else if a.weight <= 0.0 {
            others.extend(said(&format!("If you answered {}", a.text)));
            if !a.text.is_empty() {
                reject.push(a.text);
            }
        } else {
            notes.push(format!(
                "partial-credit answer `{}` ({}%) dropped: detente has no partial credit",
                a.text, a.weight
            ));
            others.extend(said(&format!("If you answered {}", a.text)));
        }
    }
    if answers.is_empty() {
        notes.push("question skipped: no answer is worth 100%".into());
        return Ok(None);
    }
    let feedback = right
        .into_iter()
        .chain(others)
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Some((Body::Text { answers, reject }, Some(feedback))))
}

/// Why `deck check` would reject the card, if it would.
fn invalid(card: &Card) -> Option<String> {
    if card.prompt.trim().is_empty() {
        return Some("its question text is empty".into());
    }
    match &card.body {
        Body::Choice { choices, .. } => list(choices, "choices", 2..13),
        Body::Multi { choices, answers } => {
            list(choices, "choices", 2..13).or_else(|| list(answers, "right choices", 1..9))
        }
        Body::Text { answers, .. } => list(answers, "answers", 1..65),
        Body::Order { items } => list(items, "items", 3..9),
        Body::Match { pairs } => {
            if !(2..13).contains(&pairs.len()) {
                return Some(format!(
                    "its matching pairs number {}; detente takes 2 to 12",
                    pairs.len()
                ));
            }
            let lefts: Vec<String> = pairs.iter().map(|p| p.0.clone()).collect();
            let rights: Vec<String> = pairs.iter().map(|p| p.1.clone()).collect();
            list(&lefts, "left sides", 2..13).or_else(|| list(&rights, "right sides", 2..13))
        }
        _ => None,
    }
}

/// Why a list of entries is not one `deck check` accepts: its length outside `count`, an empty or repeated entry.
fn list(items: &[String], what: &str, count: Range<usize>) -> Option<String> {
    if !count.contains(&items.len()) {
        return Some(format!(
            "its {what} number {}; detente takes {} to {}",
            items.len(),
            count.start,
            count.end - 1
        ));
    }
    if items.iter().any(|i| i.trim().is_empty()) {
        return Some(format!("an empty entry among the {what}"));
    }
    (1..items.len())
        .find(|&i| items[..i].contains(&items[i]))
        .map(|i| format!("`{}` appears twice among the {what}", items[i]))
}

/// Writes a deck as Moodle's exporter writes GIFT. Every card becomes at least one question: a cloze card one
/// missing-word question per blank (named `<id>-blank-<n>` when it has several), a flashcard a short-answer question
/// when its back is short enough to type (at most [`SHORT_BACK`] characters on one line) and otherwise a description
/// that shows the back, an order card a matching question from each position (`1`, `2`, ...) to its item. A card
/// GIFT cannot hold whole is left out or written in part, with a warning (line 0) naming it and saying why.
pub fn write(deck: &Deck, out: &mut dyn Write) -> std::io::Result<super::Written> {
    let category = format!(
        "$course$/top/{}",
        deck.title.replace(['\r', '\n'], " ").replace('/', "//")
    );
    write!(
        out,
        "// question: 0  name: switch category to {category}\n$CATEGORY: {category}\n\n"
    )?;
    let mut written = super::Written::default();
    for card in &deck.cards {
        let questions = match gift_questions(card) {
            Ok(questions) => questions,
            Err(why) => {
                written
                    .warnings
                    .push(Warning::card(card, &format!(" left out: {why}")));
                continue;
            }
        };
        written.cards += 1;
        if card.hint.is_some() {
            written.warnings.push(Warning::card(
                card,
                ": its hint is not written: GIFT has no hints",
            ));
        }
        let tags: String = card
            .tags
            .iter()
            .map(|t| format!(" [tag:{}]", t.replace(']', "\\]")))
            .collect();
        for (id, text) in questions {
            written.items += 1;
            write!(
                out,
                "// question: {n}  name: {id}\n// [id:{bracketed}]{tags}\n::{name}::{text}\n\n",
                n = written.items,
                bracketed = id.replace(']', "\\]"),
                name = escape(&id),
            )?;
        }
    }
    Ok(written)
}

/// The longest flashcard back written as a short-answer question; a longer one becomes a description.
pub const SHORT_BACK: usize = 40;

/// A card's questions in GIFT (its id or a sibling's, and the question text with its answer block), or why GIFT
/// cannot hold the card.
fn gift_questions(card: &Card) -> Result<Vec<(String, String)>, String> {
    let prompt = text(&card.prompt);
    let explain = card
        .explain
        .as_deref()
        .map(|e| format!("####{}", text(e)))
        .unwrap_or_default();
    // Moodle writes the answers of choice and matching questions one to a tab-indented line.
    let lines = |answers: Vec<String>| {
        let mut block = String::from("{\n");
        for line in answers
            .iter()
            .chain(Some(&explain).filter(|e| !e.is_empty()))
        {
            block.push('\t');
            block.push_str(line);
            block.push('\n');
        }
        block.push('}');
        format!("{prompt}{block}")
    };
    let one = |text: String| Ok(vec![(card.id.clone(), text)]);
    match &card.body {
        Body::Choice { choices, answer } => one(lines(
            choices
                .iter()
                .map(|c| match c {
                    c if c == answer => format!("={}", text(c)),
                    c if c.starts_with('%') => format!("~%0%{}", text(c)),
                    c => format!("~{}", text(c)),
                })
                .collect(),
        )),
        Body::Multi { choices, answers } => {
            // Every weight must be one of Moodle's grade fractions: the right choices share 100 %, the wrong -100 %.
            let right = fraction(100.0 / answers.len().max(1) as f64);
            let wrong = fraction(100.0 / choices.len().saturating_sub(answers.len()).max(1) as f64);
            one(lines(
                choices
                    .iter()
                    .map(|c| match answers.contains(c) {
                        true => format!("~%{right}%{}", text(c)),
                        false => format!("~%-{wrong}%{}", text(c)),
                    })
                    .collect(),
            ))
        }
        Body::Truefalse { answer } => one(format!(
            "{prompt}{{{}{explain}}}",
            if *answer { "TRUE" } else { "FALSE" }
        )),
        Body::Text { answers, reject } => {
            one(format!("{prompt}{}", short(answers, reject, &explain)?))
        }
        Body::Cloze { reject } => {
            // Each blank is a missing-word short answer, its block where the blank was and the other blanks filled
            // in. A blank at the end gets an escaped newline after it (which Moodle trims away), or the question
            // would not be a missing-word one.
            let blanks = cloze_blanks(&card.prompt);
            let mut questions = Vec::new();
            for (k, blank) in blanks.iter().enumerate() {
                let mut before = String::new();
                let mut last = 0;
                for other in &blanks[..k] {
                    before.push_str(&card.prompt[last..other.range.start]);
                    before.push_str(other.answers.first().map_or("", String::as_str));
                    last = other.range.end;
                }
                before.push_str(&card.prompt[last..blank.range.start]);
                let mut after = String::new();
                let mut last = blank.range.end;
                for other in &blanks[k + 1..] {
                    after.push_str(&card.prompt[last..other.range.start]);
                    after.push_str(other.answers.first().map_or("", String::as_str));
                    last = other.range.end;
                }
                after.push_str(&card.prompt[last..]);
                let id = match blanks.len() {
                    1 => card.id.clone(),
                    _ => format!("{}-blank-{}", card.id, k + 1),
                };
                questions.push((
                    id,
                    format!(
                        "{}{}{}{}",
                        text(&before),
                        short(&blank.answers, reject, &explain)?,
                        escape(&after),
                        if after.trim().is_empty() { "\\n" } else { "" }
                    ),
                ));
            }
            Ok(questions)
        }
        Body::Number { answer, tolerance } => {
            let (answer, tolerance) = (plain_number(*answer), plain_number(*tolerance));
            one(format!("{prompt}{{#{answer}:{tolerance}{explain}}}"))
        }
        Body::Match { pairs } => {
            if let Some((left, _)) = pairs.iter().find(|(left, _)| left.contains("->")) {
                return Err(format!(
                    "the left side `{left}` holds `->`, which GIFT cannot escape"
                ));
            }
            one(lines(
                pairs
                    .iter()
                    .map(|(left, right)| format!("={} -> {}", text(left), escape(right)))
                    .collect(),
            ))
        }
        Body::Order { items } => one(lines(
            items
                .iter()
                .enumerate()
                .map(|(k, item)| format!("={} -> {}", k + 1, escape(item)))
                .collect(),
        )),
        Body::Flashcard { answer, .. } => {
            let typed = (answer.chars().count() <= SHORT_BACK && !answer.contains('\n'))
                .then(|| short(std::slice::from_ref(answer), &[], &explain).ok())
                .flatten();
            if let Some(block) = typed {
                one(format!("{prompt}{block}"))
            } else {
                // A description has no answer block and no feedback: the back, then the explanation, in its text.
                let mut shown = format!("{}\n\n{}", card.prompt, answer);
                if let Some(e) = &card.explain {
                    shown.push_str("\n\n");
                    shown.push_str(e);
                }
                one(text(&shown))
            }
        }
    }
}

/// A short-answer block: the accepted answers, the rejected ones at 0 %, then the general feedback.
fn short(answers: &[String], reject: &[String], explain: &str) -> Result<String, String> {
    if let Some(a) = answers.iter().chain(reject).find(|a| a.contains("->")) {
        return Err(format!(
            "the answer `{a}` holds `->`, which GIFT would read as a matching question"
        ));
    }
    let mut parts: Vec<String> = answers
        .iter()
        .map(|a| match a.starts_with('%') {
            true => format!("=%100%{}", text(a)),
            false => format!("={}", text(a)),
        })
        .collect();
    parts.extend(reject.iter().map(|r| format!("=%0%{}", text(r))));
    if !explain.is_empty() {
        parts.push(explain.to_string());
    }
    Ok(format!("{{{}}}", parts.join(" ")))
}

/// The grade fraction Moodle accepts nearest to `percent` (for 100/n: 100, 50, 33.33333, 25, ...).
fn fraction(percent: f64) -> &'static str {
    const FRACTIONS: [&str; 20] = [
        "100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333", "30",
        "25", "20", "16.66667", "14.28571", "12.5", "11.11111", "10", "5",
    ];
    let distance = |f: &&str| (f.parse::<f64>().unwrap_or(0.0) - percent).abs();
    FRACTIONS
        .iter()
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
        .copied()
        .unwrap_or("100")
}

/// A text as Moodle's exporter writes it, with `[moodle]` before a text that itself starts with a format tag so that
/// the reader keeps that tag.
fn text(s: &str) -> String {
    let escaped = escape(s);
    if FORMATS
        .iter()
        .any(|(tag, _)| s.trim_start().starts_with(tag))
    {
        format!("[moodle]{escaped}")
    } else {
        escaped
    }
}

/// Moodle's `repchar`: `\ # = ~ { } :` escaped with a backslash, newlines as `\n`, carriage returns dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '#' | '=' | '~' | '{' | '}' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::approx_constant)] // 3.1415 is the GIFT example's value, not an approximation of pi.
mod tests {
    use super::number;

    #[test]
    fn ranges_keep_the_decimals_they_were_written_with() {
        assert_eq!(number("3.141..3.142"), Some((3.1415, 0.0005)));
        assert_eq!(number("0.1..0.2"), Some((0.15, 0.05)));
        assert_eq!(number("1..2"), Some((1.5, 0.5)));
        assert_eq!(number("1990..2000"), Some((1995.0, 5.0)));
        assert_eq!(number("3.1415:0.0005"), Some((3.1415, 0.0005)));
        assert_eq!(number("-1.5..-0.5"), Some((-1.0, 0.5)));
    }
}
