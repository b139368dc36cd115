//! Moodle's cloze (multianswer) questions: the embedded answers of a question text, `{1:SHORTANSWER:=Paris#Yes
//! ~%0%Lyon}`, read into detente's `{{answer|alternative}}` blanks, and written back from them. Moodle's syntax: a
//! subquestion is `{` weight `:` type `:` answers `}`; answers are separated by `~`, each marked right by `=` or
//! weighted by `%n%`, with `#feedback` after it; `\}`, `\~`, `\#`, `\\` and `\/` are escaped characters; a NUMERICAL
//! answer is `value:tolerance`.

use crate::text::plain_number;

/// The blanks of a cloze question text, read: the prompt with `{{...}}` blanks, the answers to reject, each
/// answer's feedback as explanation lines, and what was lost (each a note naming the blank).
#[derive(Debug, Default, PartialEq)]
pub(super) struct Read {
    pub prompt: String,
    pub reject: Vec<String>,
    pub feedback: Vec<String>,
    pub notes: Vec<String>,
    pub blanks: usize,
}

/// One answer of a subquestion.
struct Answer {
    fraction: f64,
    text: String,
    feedback: String,
}

/// Moodle's subquestion types, by every name it takes: shortanswer, numerical, one choice, several choices.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sub {
    Short { case: bool },
    Numerical,
    Choice,
    Multiple,
}

fn sub_type(name: &str) -> Option<Sub> {
    Some(match name {
        "SHORTANSWER" | "SA" | "MW" => Sub::Short { case: false },
        "SHORTANSWER_C" | "SAC" | "MWC" => Sub::Short { case: true },
        "NUMERICAL" | "NM" => Sub::Numerical,
        "MULTICHOICE" | "MC" | "MULTICHOICE_V" | "MCV" | "MULTICHOICE_H" | "MCH"
        | "MULTICHOICE_S" | "MCS" | "MULTICHOICE_VS" | "MCVS" | "MULTICHOICE_HS" | "MCHS" => {
            Sub::Choice
        }
        "MULTIRESPONSE" | "MR" | "MULTIRESPONSE_H" | "MRH" | "MULTIRESPONSE_S" | "MRS"
        | "MULTIRESPONSE_HS" | "MRHS" => Sub::Multiple,
        _ => return None,
    })
}

/// The subquestion starting at byte `at` of `text` (a `{`): its type, its answers' text, and the byte after its `}`.
fn subquestion(text: &str, at: usize) -> Option<(Sub, &str, usize)> {
    let rest = &text[at + 1..];
    let colon = rest.find(':')?;
    let weight = &rest[..colon];
    if !weight.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let after = &rest[colon + 1..];
    let colon2 = after.find(':')?;
    let sub = sub_type(after[..colon2].trim())?;
    let body = &after[colon2 + 1..];
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '}' => {
                let end = at + 1 + colon + 1 + colon2 + 1 + i + 1;
                return Some((sub, &body[..i], end));
            }
            _ => {}
        }
    }
    None
}

/// `s` split at every `sep` not escaped with a backslash (the backslashes kept).
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == sep => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Moodle's escapes resolved: `\}`, `\~`, `\#`, `\/`, `\"` and `\\` stand for the character.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&n)) if matches!(n, '}' | '~' | '#' | '/' | '"' | '\\') => {
                out.push(n);
                chars.next();
            }
            (c, _) => out.push(c),
        }
    }
    out.trim().to_string()
}

/// A text escaped for an embedded answer.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '}' | '~' | '#' | '\\' | '/' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn answers(body: &str) -> Vec<Answer> {
    split_unescaped(body, '~')
        .into_iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            let a = a.trim_start();
            let (fraction, a) = if let Some(rest) = a.strip_prefix('=') {
                (100.0, rest)
            } else if let Some(rest) = a.strip_prefix('%')
                && let Some(end) = rest.find('%')
                && let Ok(f) = rest[..end].replace(',', ".").parse::<f64>()
            {
                (f, &rest[end + 1..])
            } else {
                (0.0, a)
            };
            let mut parts = split_unescaped(a, '#').into_iter();
            let text = unescape(parts.next().unwrap_or(""));
            let feedback = unescape(&parts.collect::<Vec<_>>().join("#"));
            Answer {
                fraction,
                text,
                feedback,
            }
        })
        .collect()
}

/// Reads the subquestions of a cloze question's text (already plain text) into detente blanks.
pub(super) fn read(text: &str) -> Read {
    let mut read = Read::default();
    let mut last = 0;
    let mut from = 0;
    while let Some(open) = text[from..].find('{').map(|i| i + from) {
        let Some((sub, body, end)) = subquestion(text, open) else {
            from = open + 1;
            continue;
        };
        read.prompt.push_str(&text[last..open]);
        read.blanks += 1;
        let n = read.blanks;
        let all = answers(body);
        let right: Vec<&Answer> = all.iter().filter(|a| a.fraction >= 99.999).collect();
        let mut accepted: Vec<String> = Vec::new();
        match sub {
            Sub::Short { case } => {
                if case {
                    read.notes.push(format!(
                        "blank {n} is case-sensitive in Moodle; detente accepts any case"
                    ));
                }
                accepted.extend(right.iter().map(|a| a.text.clone()));
            }
            Sub::Numerical => {
                for a in &right {
                    let (value, tolerance) = a.text.split_once(':').unwrap_or((&a.text, "0"));
                    match value.trim().replace(',', ".").parse::<f64>() {
                        Ok(v) => accepted.push(plain_number(v)),
                        Err(_) => accepted.push(value.trim().to_string()),
                    }
                    if tolerance.trim().parse::<f64>().is_ok_and(|t| t.abs() > 0.0) {
                        read.notes.push(format!(
                            "blank {n}: the tolerance ±{} of `{value}` is left out: a cloze blank takes the \
                             number as written",
                            tolerance.trim()
                        ));
                    }
                }
            }
            Sub::Choice | Sub::Multiple => {
                if sub == Sub::Multiple && right.len() > 1 {
                    read.notes.push(format!(
                        "blank {n} takes several choices at once; detente's blank takes only its first right \
                         answer, `{}`",
                        right[0].text
                    ));
                    accepted.push(right[0].text.clone());
                } else {
                    accepted.extend(right.iter().map(|a| a.text.clone()));
                }
                let others: Vec<&str> = all
                    .iter()
                    .filter(|a| a.fraction < 99.999)
                    .map(|a| a.text.as_str())
                    .collect();
                if !others.is_empty() {
                    read.notes.push(format!(
                        "blank {n} is a choice in Moodle; detente's blank is typed, so its other choices ({}) \
                         are left out",
                        others.join(", ")
                    ));
                }
            }
        }
        for a in &all {
            if a.fraction > 0.0 && a.fraction < 99.999 {
                read.notes.push(format!(
                    "blank {n}: partial credit ({}%) for `{}` is left out; it counts as wrong",
                    plain_number(a.fraction),
                    a.text
                ));
            }
            let typed = matches!(sub, Sub::Short { .. });
            if typed && a.fraction <= 0.0 && a.text != "*" && !read.reject.contains(&a.text) {
                read.reject.push(a.text.clone());
            }
            if !a.feedback.is_empty() {
                read.feedback.push(if a.fraction >= 99.999 {
                    format!("Blank {n}: {}", a.feedback)
                } else if a.text == "*" {
                    format!("Blank {n}, any other answer: {}", a.feedback)
                } else {
                    format!("Blank {n}, if you answered {}: {}", a.text, a.feedback)
                });
            }
        }
        if accepted.is_empty() {
            read.notes.push(format!(
                "blank {n} has no answer worth 100%: it is left empty"
            ));
        }
        if let Some(bad) = accepted
            .iter()
            .find(|a| a.contains('|') || a.contains("}}"))
        {
            read.notes.push(format!(
                "blank {n}: the answer `{bad}` holds `|` or `}}}}`, which a detente blank cannot hold"
            ));
        }
        read.prompt.push_str("{{");
        read.prompt.push_str(&accepted.join("|"));
        read.prompt.push_str("}}");
        last = end;
        from = end;
    }
    read.prompt.push_str(&text[last..]);
    read
}

/// A detente cloze prompt as Moodle's cloze text: each `{{a|b}}` blank a SHORTANSWER subquestion that takes `a` and
/// `b` as right and every `reject` entry at 0 %.
pub(super) fn write(prompt: &str, reject: &[String]) -> String {
    let mut out = String::new();
    let mut last = 0;
    for blank in crate::deck::cloze_blanks(prompt) {
        out.push_str(&prompt[last..blank.range.start]);
        let mut parts: Vec<String> = blank
            .answers
            .iter()
            .map(|a| format!("={}", escape(a)))
            .collect();
        parts.extend(reject.iter().map(|r| format!("%0%{}", escape(r))));
        out.push_str(&format!("{{1:SHORTANSWER:{}}}", parts.join("~")));
        last = blank.range.end;
    }
    out.push_str(&prompt[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subquestions_become_blanks() {
        let r = read(
            "Capital: {1:SHORTANSWER:%100%Paris#Yes~%50%Marseille#Close~*#No} and {2:NM:=1949:0.5} and \
             {1:MC:~Oslo~=Rome#Right}.",
        );
        assert_eq!(r.prompt, "Capital: {{Paris}} and {{1949}} and {{Rome}}.");
        assert_eq!(r.blanks, 3);
        assert!(r.feedback.contains(&"Blank 1: Yes".to_string()), "{r:?}");
        assert_eq!(r.notes.len(), 3, "{:?}", r.notes);
    }

    #[test]
    fn written_blanks_read_back() {
        let prompt = "The {{Treaty|treaty}} of {{Washington}} (a/b) was signed.";
        let reject = vec!["Paris".to_string()];
        let text = write(prompt, &reject);
        let r = read(&text);
        assert_eq!(r.prompt, prompt);
        assert_eq!(r.reject, reject);
        assert!(r.notes.is_empty(), "{:?}", r.notes);
    }

    #[test]
    fn braces_that_start_no_subquestion_are_text() {
        let r = read("A set {a, b} and {1:XX:=no}");
        assert_eq!(r.prompt, "A set {a, b} and {1:XX:=no}");
        assert_eq!(r.blanks, 0);
    }
}
