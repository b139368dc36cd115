//! Answer checking: normalization, listed answers, aliases, near-miss tolerance with its guard against other known
//! answers, answers stated with extra words (see [`words`]), numbers in digits or words, and how a verdict becomes
//! an FSRS rating. Also how a number and a near miss are put to the learner. Pure functions only.

pub mod credit;
mod dictionary;

pub mod words;

pub use crate::deck::normalize;
use crate::deck::{Deck, parse::parse_number};
pub use credit::credit;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Which rule decided a verdict; stored with every review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// The answer matched a listed answer (after normalization), or the right choice(s).
    Exact,
    /// The answer matched an alias of a listed answer.
    Alias,
    /// The answer was a near miss of a listed answer.
    Typo,
    /// The answer stated a listed answer (or alias) with words that add nothing competing: filler, a title, a
    /// plural, an abbreviation in parentheses; or a number as an ordinal, in words or with words around it.
    Words,
    /// The answer was wrong.
    Wrong,
    /// The learner graded a flashcard themself.
    #[serde(rename = "self")]
    SelfGraded,
    /// The learner overrode a wrong verdict ("I was right").
    Override,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Exact => "exact",
            Rule::Alias => "alias",
            Rule::Typo => "typo",
            Rule::Words => "words",
            Rule::Wrong => "wrong",
            Rule::SelfGraded => "self",
            Rule::Override => "override",
        }
    }
}

/// The result of checking a typed answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub correct: bool,
    pub rule: Rule,
    /// For a near miss: the accepted form the answer was close to.
    pub near: Option<String>,
}

impl Verdict {
    fn of(correct: bool, rule: Rule) -> Self {
        Verdict {
            correct,
            rule,
            near: None,
        }
    }
    pub fn right() -> Self {
        Verdict::of(true, Rule::Exact)
    }
    pub fn wrong() -> Self {
        Verdict::of(false, Rule::Wrong)
    }
}

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

/// The typed-answer context of a deck: its aliases merged with the built-in dictionary, and every answer known
/// anywhere in the deck or the dictionary, so that a near miss is never another real answer.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    /// Normalized form to the index of its alias group.
    groups: HashMap<String, usize>,
    members: Vec<Vec<String>>,
    /// Normalized answers known anywhere: any of them typed for another card's answer is wrong, not a typo.
    known: HashSet<String>,
}

impl Lexicon {
    /// The built-in dictionary plus a deck's aliases and every typed answer and `reject` entry of its cards.
    pub fn for_deck(deck: &Deck) -> Self {
        Lexicon::new(&deck.aliases, &deck.cards)
    }

    /// The built-in dictionary plus the given aliases and every typed answer and `reject` entry of `cards`.
    pub fn new(
        aliases: &std::collections::BTreeMap<String, Vec<String>>,
        cards: &[crate::deck::Card],
    ) -> Self {
        let known: Vec<String> = crate::deck::typed_answers(cards)
            .iter()
            .map(|a| normalize(a))
            .collect();
        Lexicon::with_known(aliases, known)
    }

    /// The built-in dictionary plus the given aliases and answers already normalized (as the store keeps them
    /// for each deck, so that a 5,000-card deck's lexicon is ready in a millisecond).
    pub fn with_known(
        aliases: &std::collections::BTreeMap<String, Vec<String>>,
        known: impl IntoIterator<Item = String>,
    ) -> Self {
        static BASE: std::sync::OnceLock<Lexicon> = std::sync::OnceLock::new();
        let mut lex = BASE
            .get_or_init(|| {
                let mut base = Lexicon::default();
                for group in dictionary::ALIASES {
                    base.add_group(group.iter().map(|s| s.to_string()));
                }
                for name in dictionary::NAMES {
                    base.known.insert(normalize(name));
                }
                base
            })
            .clone();
        for (canonical, alts) in aliases {
            lex.add_group(std::iter::once(canonical.clone()).chain(alts.iter().cloned()));
        }
        lex.known.extend(known);
        lex
    }

    fn add_group(&mut self, forms: impl Iterator<Item = String>) {
        let forms: Vec<String> = forms
            .map(|f| normalize(&f))
            .filter(|f| !f.is_empty())
            .collect();
        // Groups that share a form are merged, so a deck alias extends a dictionary entry.
        let existing = forms.iter().find_map(|f| self.groups.get(f).copied());
        let index = existing.unwrap_or_else(|| {
            self.members.push(Vec::new());
            self.members.len() - 1
        });
        for f in forms {
            self.known.insert(f.clone());
            if !self.members[index].contains(&f) {
                self.members[index].push(f.clone());
            }
            self.groups.insert(f, index);
        }
    }

    /// Checks a typed answer against the accepted forms and the card's `reject` list: a listed form (exact), an
    /// alias, a near miss (typo), or a listed form with extra words that compete with nothing (words).
    pub fn check(&self, typed: &str, accepted: &[String], reject: &[String]) -> Verdict {
        self.check_in(typed, accepted, reject, &[], &[])
    }

    /// Checks a typed answer to blank `blank` (from 0) of a cloze `prompt`: as [`Lexicon::check`] with the blank's
    /// answers, and the prompt's own words next to the blank (up to three on each side, within its clause) also
    /// allowed before and after the answer: "two masters" for "there are two {{masters}}".
    pub fn check_cloze(
        &self,
        typed: &str,
        prompt: &str,
        blank: usize,
        reject: &[String],
    ) -> Verdict {
        let Some(b) = crate::deck::cloze_blanks(prompt).into_iter().nth(blank) else {
            return Verdict::wrong();
        };
        let before = context(&prompt[..b.range.start], true);
        let after = context(&prompt[b.range.end..], false);
        self.check_in(typed, &b.answers, reject, &before, &after)
    }

    /// Checks a typed answer, `before` and `after` being words that may stand before and after an accepted form.
    fn check_in(
        &self,
        typed: &str,
        accepted: &[String],
        reject: &[String],
        before: &[String],
        after: &[String],
    ) -> Verdict {
        let raw = typed;
        let typed = normalize(typed);
        // An empty answer, and a question for an answer ("Iran?"), hedge.
        if typed.is_empty() || raw.contains('?') {
            return Verdict::wrong();
        }
        let direct: Vec<String> = accepted.iter().map(|a| normalize(a)).collect();
        if direct.contains(&typed) {
            return Verdict::of(true, Rule::Exact);
        }
        let mut all = direct.clone();
        for a in &direct {
            if let Some(&g) = self.groups.get(a) {
                all.extend(self.members[g].iter().cloned());
            }
        }
        if all.contains(&typed) {
            return Verdict::of(true, Rule::Alias);
        }
        let rejected: Vec<String> = reject.iter().map(|r| normalize(r)).collect();
        if rejected.contains(&typed) || self.known.contains(&typed) {
            return Verdict::wrong();
        }
        // A plural or extra words around an exact answer are not a near miss ("Republicans" for "Republican").
        let mut framed = all.clone();
        for form in &all {
            for k in 0..=before.len() {
                for m in 0..=after.len() {
                    if k + m > 0 {
                        let mut words = before[before.len() - k..].to_vec();
                        words.push(form.clone());
                        words.extend_from_slice(&after[..m]);
                        framed.push(words.join(" "));
                    }
                }
            }
        }
        let words = self.with_words(raw, accepted, &all, &framed, &rejected);
        if let Some(v) = words.as_ref().filter(|v| v.rule == Rule::Words) {
            return v.clone();
        }
        self.near_miss(&typed, accepted, &all, &rejected)
            .or(words)
            .unwrap_or_else(Verdict::wrong)
    }

    /// A near miss of one of `all` (normalized accepted forms and aliases), unless as close to another known answer.
    fn near_miss(
        &self,
        typed: &str,
        accepted: &[String],
        all: &[String],
        rejected: &[String],
    ) -> Option<Verdict> {
        let (distance, near) = all
            .iter()
            .map(|a| (strsim::osa_distance(typed, a), a))
            .filter(|(d, a)| *d <= tolerance(a))
            .min_by_key(|(d, _)| *d)?;
        // The guard: a near miss that is as close to another known answer is that other answer, not a typo.
        let length = typed.chars().count();
        let closer_elsewhere = rejected
            .iter()
            .chain(self.known.iter())
            .filter(|k| k.len().abs_diff(typed.len()) <= distance * 4)
            .filter(|k| k.chars().count().abs_diff(length) <= distance)
            .filter(|k| !all.contains(k))
            .any(|k| strsim::osa_distance(typed, k) <= distance);
        if closer_elsewhere {
            return None;
        }
        let display = accepted
            .iter()
            .find(|a| normalize(a) == *near)
            .cloned()
            .unwrap_or_else(|| near.clone());
        Some(Verdict {
            correct: true,
            rule: Rule::Typo,
            near: Some(display),
        })
    }

    /// The words rule: the answer states one of `all` in order, every other word is filler or a title, and no
    /// part of it names another known answer or a `reject` entry. A parenthesised abbreviation of the answer is
    /// allowed; so are plurals. Words near-missed inside the answer make it a typo (with the usual guard).
    fn with_words(
        &self,
        raw: &str,
        accepted: &[String],
        all: &[String],
        framed: &[String],
        rejected: &[String],
    ) -> Option<Verdict> {
        let text = without_abbreviation(raw, all);
        let tokens: Vec<&str> = text.split_whitespace().collect();
        let titles = words::title_mask(&tokens);
        let forms: Vec<Vec<String>> = framed
            .iter()
            .map(|f| f.split_whitespace().map(words::fold).collect())
            .collect();
        let folded: Vec<String> = tokens.iter().map(|t| words::fold(t)).collect();
        let (core, exact) = forms.iter().find_map(|form| {
            let mut at = 0;
            let mut core = Vec::new();
            let mut exact = true;
            for (k, token) in folded.iter().enumerate() {
                if let Some(want) = form.get(at) {
                    if token == want {
                        core.push(tokens[k]);
                        at += 1;
                        continue;
                    }
                    let digits = |s: &str| s.chars().any(|c| c.is_ascii_digit());
                    if !digits(token)
                        && !digits(want)
                        && strsim::osa_distance(token, want) <= tolerance(want)
                    {
                        core.push(tokens[k]);
                        exact = false;
                        at += 1;
                        continue;
                    }
                }
                if !(titles[k] || words::is_filler(tokens[k])) {
                    return None;
                }
            }
            (at == form.len()).then_some((core.join(" "), exact))
        })?;
        // Nothing in the answer may name another known answer or a reject entry, except the accepted answer and
        // its parts, and titles ("US President").
        let part_of_accepted = |gram: &[String]| {
            forms
                .iter()
                .any(|f| f.windows(gram.len()).any(|w| w == gram))
        };
        for n in 1..=tokens.len().min(6) {
            for start in 0..=tokens.len() - n {
                if titles[start..start + n].iter().all(|t| *t) {
                    continue;
                }
                let gram = tokens[start..start + n].join(" ");
                let folded_gram = folded[start..start + n].join(" ");
                let named = |s: &String| *s == gram || *s == folded_gram;
                let competes = rejected.iter().any(named)
                    || self.known.contains(&gram)
                    || self.known.contains(&folded_gram);
                if competes && !part_of_accepted(&folded[start..start + n]) {
                    return None;
                }
            }
        }
        if exact {
            return Some(Verdict::of(true, Rule::Words));
        }
        if rejected.contains(&core) || self.known.contains(&core) {
            return None;
        }
        self.near_miss(&core, accepted, framed, rejected)
    }
}

/// Up to three words of a cloze prompt next to a blank, normalized: the end of `text` (`before`) or its start, within
/// the clause (punctuation and other blanks end it).
fn context(text: &str, before: bool) -> Vec<String> {
    let stop = |c: char| !(c.is_alphanumeric() || c.is_whitespace() || matches!(c, '-' | '\''));
    let clause = if before {
        text.rsplit(stop).next().unwrap_or("")
    } else {
        text.split(stop).next().unwrap_or("")
    };
    let words: Vec<String> = normalize(clause)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if before {
        words[words.len().saturating_sub(3)..].to_vec()
    } else {
        words.into_iter().take(3).collect()
    }
}

/// `typed` normalized, without a parenthesised abbreviation or full form of one of `all` ("Permanent Joint Council
/// (PJC)", "PJC (Permanent Joint Council)"); other parenthesised words are kept as words.
fn without_abbreviation(typed: &str, all: &[String]) -> String {
    let (Some(open), Some(close)) = (typed.find('('), typed.rfind(')')) else {
        return normalize(typed);
    };
    if close < open {
        return normalize(typed);
    }
    let inside = normalize(&typed[open + 1..close]);
    let outside = normalize(&format!("{} {}", &typed[..open], &typed[close + 1..]));
    let initials = |s: &str| -> String {
        s.split_whitespace()
            .filter_map(|w| w.chars().next())
            .collect()
    };
    let inside_folded = words::fold(&inside);
    let drops = all.contains(&inside)
        || all.contains(&inside_folded)
        || (!inside.contains(' ') && initials(&outside) == inside_folded)
        || all
            .iter()
            .any(|a| !inside.contains(' ') && initials(a) == inside_folded);
    if drops {
        outside
    } else {
        normalize(&typed.replace(['(', ')'], " "))
    }
}

/// Checks a typed number against the answer and its tolerance. Digits alone are exact; an ordinal ("17th"), number
/// words ("seventeen", "twenty-eight") or words around the number ("November 17", "20 years") are the words rule.
/// The answer must state exactly one number (a date's day and year count as one), and must not hedge ("19 or
/// 20", "more than 20").
pub fn check_number(typed: &str, answer: f64, tolerance: f64) -> Verdict {
    let within = |n: f64| (n - answer).abs() <= tolerance + 1e-9;
    if let Some(n) = parse_number(typed) {
        return if within(n) {
            Verdict::right()
        } else {
            Verdict::wrong()
        };
    }
    let Some(stated) = words::numbers_in(typed) else {
        return Verdict::wrong();
    };
    let mut found = stated.found;
    found.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    found.sort_by(f64::total_cmp);
    found.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    // A date: "17 November 2010" answers a day of the month, "November 2009" a year.
    if stated.month
        && let [day, year] = found[..]
        && (1.0..=31.0).contains(&day)
        && day.fract() == 0.0
        && year >= 1000.0
    {
        found = vec![if answer >= 1000.0 { year } else { day }];
    }
    match found[..] {
        [n] if within(n) => Verdict::of(true, Rule::Words),
        _ => Verdict::wrong(),
    }
}

/// Checks a typed number to a card asking `prompt`: as [`check_number`]; and when the prompt names a month ("which
/// day of November"), an answer naming another month ("17 December") is wrong, and when it asks "how many", an
/// ordinal ("second") is not a count.
pub fn check_number_asked(prompt: &str, typed: &str, answer: f64, tolerance: f64) -> Verdict {
    if normalize(prompt).contains("how many") && words::numbers_in(typed).is_some_and(|n| n.ordinal)
    {
        return Verdict::wrong();
    }
    let asked = words::months_in(prompt);
    if !asked.is_empty() && words::months_in(typed).iter().any(|m| !asked.contains(m)) {
        return Verdict::wrong();
    }
    check_number(typed, answer, tolerance)
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

/// A right answer that took longer than this is rated Hard rather than Good.
pub const SLOW_SECONDS: f64 = 60.0;

/// The FSRS rating (1 Again, 2 Hard, 3 Good) an auto-graded verdict earns.
pub fn rating(verdict: &Verdict, seconds: f64) -> u8 {
    match verdict.rule {
        _ if !verdict.correct => 1,
        Rule::Typo => 2,
        _ if seconds > SLOW_SECONDS => 2,
        _ => 3,
    }
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
#[allow(clippy::approx_constant)] // 3.1415 is the GIFT example's value, not an approximation of pi.
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        let deck: Deck = toml_deck();
        Lexicon::for_deck(&deck)
    }

    fn toml_deck() -> Deck {
        let src = r#"
[deck]
id = "t"
title = "T"
[deck.aliases]
"Dmitry Rogozin" = ["Dmitriy Rogozin"]
[[card]]
id = "a"
kind = "text"
prompt = "Q"
answers = ["Iran"]
reject = ["Iraq"]
[[card]]
id = "b"
kind = "text"
prompt = "Q"
answers = ["Serdyukov", "Anatoly Serdyukov"]
[[card]]
id = "c"
kind = "cloze"
prompt = "The envoy was {{Rogozin|Dmitry Rogozin}}."
"#;
        crate::deck::parse_deck("t.toml", src)
            .0
            .expect("valid test deck")
    }

    #[test]
    fn normalization() {
        let cases = [
            ("  The  United   Nations ", "united nations"),
            ("NATO.", "nato"),
            ("Pristina", "pristina"),
            ("Priština", "pristina"),
            ("U.S.", "us"),
            ("New-START", "new start"),
            ("ＮＡＴＯ", "nato"),
            ("a", "a"),
            ("2.5", "2.5"),
            ("'equality'", "equality"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(input), expected, "{input}");
        }
    }

    #[test]
    fn typed_answers_table() {
        let lex = lexicon();
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // (typed, accepted, reject, correct, rule)
        type Case<'a> = (&'a str, Vec<String>, Vec<String>, bool, Rule);
        let cases: Vec<Case> = vec![
            ("Iran", s(&["Iran"]), s(&["Iraq"]), true, Rule::Exact),
            ("iran!", s(&["Iran"]), s(&["Iraq"]), true, Rule::Exact),
            ("Iraq", s(&["Iran"]), s(&["Iraq"]), false, Rule::Wrong),
            ("Iraq", s(&["Iran"]), vec![], false, Rule::Wrong),
            ("Austria", s(&["Australia"]), vec![], false, Rule::Wrong),
            ("Serdyukv", s(&["Serdyukov"]), vec![], true, Rule::Typo),
            ("Serdykuov", s(&["Serdyukov"]), vec![], true, Rule::Typo),
            ("Serd", s(&["Serdyukov"]), vec![], false, Rule::Wrong),
            (
                "North Atlantic Treaty Organization",
                s(&["NATO"]),
                vec![],
                true,
                Rule::Alias,
            ),
            ("Soviet Union", s(&["USSR"]), vec![], true, Rule::Alias),
            (
                "Dmitriy Rogozin",
                s(&["Rogozin", "Dmitry Rogozin"]),
                vec![],
                true,
                Rule::Alias,
            ),
            ("Rogzin", s(&["Rogozin"]), vec![], true, Rule::Typo),
            (
                "NRC",
                s(&["NATO-Russia Council"]),
                vec![],
                true,
                Rule::Alias,
            ),
            ("EU", s(&["UN"]), vec![], false, Rule::Wrong),
            ("", s(&["Iran"]), vec![], false, Rule::Wrong),
            ("Gambia", s(&["Zambia"]), vec![], false, Rule::Wrong),
            ("Slovakia", s(&["Slovenia"]), vec![], false, Rule::Wrong),
            ("Niger", s(&["Nigeria"]), vec![], false, Rule::Wrong),
            ("1999", s(&["1998"]), vec![], false, Rule::Wrong),
        ];
        for (typed, accepted, reject, correct, rule) in cases {
            let v = lex.check(typed, &accepted, &reject);
            assert_eq!(
                (v.correct, v.rule),
                (correct, rule),
                "{typed:?} for {accepted:?}"
            );
        }
    }

    #[test]
    fn near_miss_names_the_form_it_was_near() {
        let v = lexicon().check("Serdyukv", &["Serdyukov".to_string()], &[]);
        assert_eq!(v.near.as_deref(), Some("Serdyukov"));
    }

    #[test]
    fn numbers_within_tolerance() {
        assert!(check_number("2008", 2008.0, 0.0).correct);
        assert!(!check_number("2009", 2008.0, 0.0).correct);
        assert!(check_number("2009", 2008.0, 1.0).correct);
        assert!(check_number("1,000", 1000.0, 0.0).correct);
        assert!(!check_number("soon", 2008.0, 0.0).correct);
    }

    #[test]
    fn answers_with_extra_words() {
        let lex = lexicon();
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let obama = s(&["Barack Obama", "Obama", "President Obama"]);
        let pristina = s(&["Pristina Airport", "Pristina", "Pristina airfield"]);
        let s300 = s(&["S-300", "S300", "S-300 missiles"]);
        let s300_reject = s(&["S-400", "S-200"]);
        let pjc = s(&["Permanent Joint Council", "PJC"]);
        let serdyukov = s(&["Serdyukov"]);
        let republican = s(&["Republican"]);
        let iran = s(&["Iran"]);
        let iraq = s(&["Iraq"]);
        let barack = s(&["Barack Obama"]);
        let only_pristina = s(&["Pristina"]);
        // (typed, accepted, reject, correct, rule)
        type Case<'a> = (&'a str, &'a [String], &'a [String], bool, Rule);
        let none: &[String] = &[];
        let cases: Vec<Case> = vec![
            // Titles and ranks, with the qualifier before them.
            ("President Barack Obama", &obama, none, true, Rule::Words),
            ("US President Barack Obama", &obama, none, true, Rule::Words),
            (
                "Defence Minister Serdyukov",
                &serdyukov,
                none,
                true,
                Rule::Words,
            ),
            // Prepositions and generic heads.
            ("at Pristina airport", &pristina, none, true, Rule::Words),
            (
                "the airport at Pristina",
                &pristina,
                none,
                true,
                Rule::Words,
            ),
            (
                "Pristina International Airport",
                &pristina,
                none,
                false,
                Rule::Wrong,
            ),
            // Plurals.
            ("S-300s", &s300, &s300_reject, true, Rule::Words),
            (
                "S-300 air defence missiles",
                &s300,
                &s300_reject,
                true,
                Rule::Words,
            ),
            ("the Republicans", &republican, none, true, Rule::Words),
            // A parenthesised abbreviation, either way round.
            (
                "Permanent Joint Council (PJC)",
                &pjc,
                none,
                true,
                Rule::Words,
            ),
            (
                "PJC (Permanent Joint Council)",
                &pjc,
                none,
                true,
                Rule::Words,
            ),
            (
                "Permanent Joint Council (NRC)",
                &pjc,
                none,
                false,
                Rule::Wrong,
            ),
            // A near miss with extra words is a typo.
            ("President Obamma", &obama, none, true, Rule::Typo),
            // Hedges, competing answers and rejects.
            ("Obama or Bush", &obama, none, false, Rule::Wrong),
            ("not Obama", &obama, none, false, Rule::Wrong),
            ("Obama?", &barack, none, false, Rule::Wrong),
            ("Barack Obama?", &barack, none, false, Rule::Wrong),
            ("Pres. Obama", &obama, none, true, Rule::Words),
            ("the Obama administration", &obama, none, true, Rule::Words),
            ("Iran or Iraq", &iran, &iraq, false, Rule::Wrong),
            ("in Iraq", &iran, &iraq, false, Rule::Wrong),
            (
                "the S-400 missiles",
                &s300,
                &s300_reject,
                false,
                Rule::Wrong,
            ),
            ("S-300 and S-400", &s300, &s300_reject, false, Rule::Wrong),
            ("US Obama", &obama, none, false, Rule::Wrong),
            (
                "Serdyukov and Rogozin",
                &serdyukov,
                none,
                false,
                Rule::Wrong,
            ),
            (
                "at Lisbon airport",
                &only_pristina,
                none,
                false,
                Rule::Wrong,
            ),
        ];
        for (typed, accepted, reject, correct, rule) in cases {
            let v = lex.check(typed, accepted, reject);
            assert_eq!(
                (v.correct, v.rule),
                (correct, rule),
                "{typed:?} for {accepted:?}"
            );
        }
    }

    #[test]
    fn numbers_in_words_ordinals_and_sentences() {
        let cases: &[(&str, f64, bool, Rule)] = &[
            ("17", 17.0, true, Rule::Exact),
            ("17th", 17.0, true, Rule::Words),
            ("seventeen", 17.0, true, Rule::Words),
            ("the seventeenth", 17.0, true, Rule::Words),
            ("November 17", 17.0, true, Rule::Words),
            ("17 November", 17.0, true, Rule::Words),
            ("on the 17th of November", 17.0, true, Rule::Words),
            ("17 November 2010", 17.0, true, Rule::Words),
            ("twenty-eight", 28.0, true, Rule::Words),
            ("twenty eight members", 28.0, true, Rule::Words),
            ("29 partners", 29.0, true, Rule::Words),
            ("20 years", 20.0, true, Rule::Words),
            ("in 2008", 2008.0, true, Rule::Words),
            ("autumn 2009", 2009.0, true, Rule::Words),
            ("September 2009", 2009.0, true, Rule::Words),
            ("two thousand and eight", 2008.0, true, Rule::Words),
            ("nineteen ninety-nine", 1999.0, true, Rule::Words),
            ("about 30", 30.0, true, Rule::Words),
            ("-5", -5.0, true, Rule::Exact),
            ("19 or 20", 20.0, false, Rule::Wrong),
            ("19 to 20", 20.0, false, Rule::Wrong),
            ("not 17", 17.0, false, Rule::Wrong),
            ("more than 20", 20.0, false, Rule::Wrong),
            ("17?", 17.0, false, Rule::Wrong),
            ("the 1990s", 1995.0, false, Rule::Wrong),
            ("18th", 17.0, false, Rule::Wrong),
            ("eighteen", 17.0, false, Rule::Wrong),
            ("28 partners", 29.0, false, Rule::Wrong),
            ("17 November 2010", 2010.0, true, Rule::Words),
            ("18 November 2010", 17.0, false, Rule::Wrong),
            ("seventeen", 2017.0, false, Rule::Wrong),
        ];
        for (typed, answer, correct, rule) in cases {
            let v = check_number(typed, *answer, 0.0);
            assert_eq!(
                (v.correct, v.rule),
                (*correct, *rule),
                "{typed:?} for {answer}"
            );
        }
        let prompt = "On what day of November does Sherr date it?";
        assert!(check_number_asked(prompt, "November 17", 17.0, 0.0).correct);
        assert!(check_number_asked(prompt, "Nov. 17th", 17.0, 0.0).correct);
        assert!(check_number_asked(prompt, "17", 17.0, 0.0).correct);
        assert!(!check_number_asked(prompt, "December 17", 17.0, 0.0).correct);
        assert!(check_number_asked("In what year?", "August 2008", 2008.0, 0.0).correct);
        let count = "How many frozen conflicts does the reading count?";
        assert!(check_number_asked(count, "two conflicts", 2.0, 0.0).correct);
        assert!(!check_number_asked(count, "second", 2.0, 0.0).correct);
        assert!(!check_number_asked(count, "2nd", 2.0, 0.0).correct);
        assert!(!check_number("20+", 20.0, 0.0).correct);
        assert!(!check_number("< 20", 20.0, 0.0).correct);
        assert!(check_number("three point one four one five", 3.1415, 0.0005).rule == Rule::Wrong);
        assert!(check_number("about 3.1416", 3.1415, 0.0005).correct);
    }

    #[test]
    fn cloze_answers_may_keep_the_prompts_words_next_to_the_blank() {
        let lex = lexicon();
        let prompt =
            "There are two {{masters}} but no {{apprentice}}; NATO wants to {{refresh}} relations.";
        let cases = [
            ("two masters", 0, true, Rule::Words),
            ("masters", 0, true, Rule::Exact),
            ("the masters", 0, true, Rule::Exact),
            ("two masters but no apprentice", 0, false, Rule::Wrong),
            ("no apprentice", 1, true, Rule::Words),
            ("not apprentice", 1, false, Rule::Wrong),
            ("to refresh relations", 2, true, Rule::Words),
            ("not refresh", 2, false, Rule::Wrong),
            ("refresh not", 2, false, Rule::Wrong),
            ("two apprentices", 1, false, Rule::Wrong),
        ];
        for (typed, blank, correct, rule) in cases {
            let v = lex.check_cloze(typed, prompt, blank, &[]);
            assert_eq!(
                (v.correct, v.rule),
                (correct, rule),
                "{typed:?} for blank {blank}"
            );
        }
    }

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
    fn words_is_a_rule_of_its_own_rated_good() {
        assert_eq!(Rule::Words.as_str(), "words");
        assert_eq!(
            serde_json::to_string(&Rule::Words).ok().as_deref(),
            Some("\"words\"")
        );
        let v = Verdict {
            correct: true,
            rule: Rule::Words,
            near: None,
        };
        assert_eq!(rating(&v, 3.0), 3);
    }

    #[test]
    fn ratings() {
        assert_eq!(rating(&Verdict::wrong(), 3.0), 1);
        assert_eq!(
            rating(
                &Verdict {
                    correct: true,
                    rule: Rule::Typo,
                    near: None
                },
                3.0
            ),
            2
        );
        assert_eq!(rating(&Verdict::right(), 3.0), 3);
        assert_eq!(rating(&Verdict::right(), 90.0), 2);
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
