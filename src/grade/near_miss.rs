//! Near misses: how many edits an answer tolerates, and how a near miss is put to the learner (a note such as "one
//! letter missing", and a letter-by-letter diff against the answer).

/// How many edits a near miss of `answer` (normalized) may be: 0 under 4 letters, 1 for 4 to 7, 2 for 8 or more,
/// and never any for numbers.
pub(crate) fn tolerance(answer: &str) -> usize {
    if answer.chars().any(|c| c.is_ascii_digit()) {
        return 0;
    }
    match answer.chars().filter(|c| c.is_alphanumeric()).count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The difference between a near miss and the answer as a learner understands it: "one letter off", "one letter
/// missing", "one letter too many", "two letters swapped", "two letters off", ... (letters compared ignoring case).
pub fn near_miss_note(typed: &str, expected: &str) -> String {
    let a: Vec<char> = typed.to_lowercase().chars().collect();
    let b: Vec<char> = expected.to_lowercase().chars().collect();
    if a == b {
        return "only capitals differ".into();
    }
    let count = |n: usize| -> String {
        const WORDS: [&str; 10] = [
            "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        ];
        WORDS
            .get(n)
            .map_or_else(|| n.to_string(), |w| w.to_string())
    };
    let letters = |n: usize| if n == 1 { "letter" } else { "letters" };
    let distance = strsim::osa_distance(&typed.to_lowercase(), &expected.to_lowercase());
    let (la, lb) = (a.len(), b.len());
    if la == lb && distance == 1 {
        let differ: Vec<usize> = (0..la).filter(|&i| a[i] != b[i]).collect();
        if differ.len() == 2 {
            return "two letters swapped".into();
        }
        return "one letter off".into();
    }
    if la + distance == lb {
        return format!("{} {} missing", count(distance), letters(distance));
    }
    if lb + distance == la {
        return format!("{} {} too many", count(distance), letters(distance));
    }
    format!("{} {} off", count(distance), letters(distance))
}

/// One step of a character diff between what was typed and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diff {
    Same(String),
    /// Letters the learner typed that the answer does not have.
    Extra(String),
    /// Letters of the answer the learner left out.
    Missing(String),
}

/// A character diff (longest common subsequence) between `typed` and `expected`, compared case-insensitively.
pub fn diff(typed: &str, expected: &str) -> Vec<Diff> {
    let a: Vec<char> = typed.chars().collect();
    let b: Vec<char> = expected.chars().collect();
    let eq = |x: char, y: char| x.to_lowercase().eq(y.to_lowercase());
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if eq(a[i], b[j]) {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out: Vec<Diff> = Vec::new();
    let mut push = |d: Diff| match (out.last_mut(), d) {
        (Some(Diff::Same(s)), Diff::Same(t)) | (Some(Diff::Extra(s)), Diff::Extra(t)) => {
            s.push_str(&t)
        }
        (Some(Diff::Missing(s)), Diff::Missing(t)) => s.push_str(&t),
        (_, d) => out.push(d),
    };
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && eq(a[i], b[j]) {
            push(Diff::Same(b[j].to_string()));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            push(Diff::Missing(b[j].to_string()));
            j += 1;
        } else {
            push(Diff::Extra(a[i].to_string()));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_in_words() {
        for (typed, expected, note) in [
            ("Lisboa", "Lisbon", "one letter off"),
            ("Rogzin", "Rogozin", "one letter missing"),
            ("Serdyukovv", "Serdyukov", "one letter too many"),
            ("Serdykuov", "Serdyukov", "two letters swapped"),
            ("Joulwen", "Joulwan", "one letter off"),
            ("Guseinof", "Guseynov", "two letters off"),
            ("Rasmusen", "Rasmussen", "one letter missing"),
            ("lisbon", "Lisbon", "only capitals differ"),
            ("Arbatva", "Arbatova", "one letter missing"),
        ] {
            assert_eq!(
                near_miss_note(typed, expected),
                note,
                "{typed} for {expected}"
            );
        }
    }

    #[test]
    fn diffs_show_missing_and_extra_letters() {
        assert_eq!(
            diff("Rogzin", "Rogozin"),
            vec![
                Diff::Same("Rog".into()),
                Diff::Missing("o".into()),
                Diff::Same("zin".into())
            ]
        );
        assert_eq!(
            diff("Serdyukovv", "Serdyukov"),
            vec![Diff::Same("Serdyukov".into()), Diff::Extra("v".into())]
        );
    }
}
