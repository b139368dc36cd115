//! Checking a typed answer against a card's accepted forms: the [`Lexicon`] of a deck (its aliases merged with the
//! built-in dictionary, and every answer known anywhere), exact and alias matches, cloze blanks with the prompt's
//! words around them, and near misses guarded against other known answers. The words rule is in `extra_words`.

use super::{Rule, Verdict, dictionary, normalize, tolerance, words};
use crate::deck::Deck;
use std::collections::{HashMap, HashSet};

/// What a card's prompt lends a typed answer: its words (folded), its phrases of up to eight words, and the
/// initials of its phrases ("issa" for "Institute of Strategic Studies and Analysis"). A cloze's blanks are left
/// out (another blank's answer is not lent), and so are hedges and negations ("or", "not"), which never become
/// harmless by being in the prompt.
#[derive(Debug, Default)]
pub(super) struct Asked {
    pub(super) words: HashSet<String>,
    pub(super) phrases: HashSet<String>,
    pub(super) initials: HashSet<String>,
}

impl Asked {
    pub(super) fn new(prompt: &str) -> Asked {
        let mut text = String::new();
        let mut rest = prompt;
        while let Some(open) = rest.find("{{") {
            text.push_str(&rest[..open]);
            text.push_str(" , ");
            rest = rest[open..]
                .find("}}")
                .map_or("", |close| &rest[open + close + 2..]);
        }
        text.push_str(rest);
        let mut asked = Asked::default();
        // Clauses, so that a phrase never spans a comma or a full stop.
        for clause in text.split([',', '.', ';', ':', '?', '!', '(', ')']) {
            let tokens: Vec<String> = normalize(clause)
                .split_whitespace()
                .map(str::to_string)
                .collect();
            // Never a hedge, a negation or a number: "two" in a prompt does not make "two Xs" the answer X.
            for t in &tokens {
                let number = t.chars().any(|c| c.is_ascii_digit())
                    || words::numbers_in(t).is_some_and(|n| !n.found.is_empty());
                if !words::NUMBER_HEDGES.contains(&t.as_str())
                    && !words::NEGATIONS.contains(&t.as_str())
                    && !number
                {
                    asked.words.insert(words::fold(t));
                }
            }
            for n in 1..=tokens.len().min(8) {
                for w in tokens.windows(n) {
                    asked.phrases.insert(w.join(" "));
                    if n >= 2 {
                        let all: String = w.iter().filter_map(|t| t.chars().next()).collect();
                        let content: String = w
                            .iter()
                            .filter(|t| !words::is_filler(t) && !matches!(t.as_str(), "and" | "&"))
                            .filter_map(|t| t.chars().next())
                            .collect();
                        asked.initials.insert(all);
                        if content.len() >= 2 {
                            asked.initials.insert(content);
                        }
                    }
                }
            }
        }
        asked
    }
}

/// The typed-answer context of a deck: its aliases merged with the built-in dictionary, and every answer known
/// anywhere in the deck or the dictionary, so that a near miss is never another real answer.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    /// Normalized form to the index of its alias group.
    pub(super) groups: HashMap<String, usize>,
    pub(super) members: Vec<Vec<String>>,
    /// Normalized answers known anywhere: any of them typed for another card's answer is wrong, not a typo.
    pub(super) known: HashSet<String>,
    /// The common words of the deck's own text ([`crate::deck::deck_words`]): a near miss that is one of them is
    /// that word, not a typo.
    pub(super) vocabulary: HashSet<String>,
}

impl Lexicon {
    /// The built-in dictionary plus a deck's aliases and every typed answer and `reject` entry of its cards.
    pub fn for_deck(deck: &Deck) -> Self {
        Lexicon::new(&deck.aliases, &deck.cards).with_vocabulary(crate::deck::deck_words(deck))
    }

    /// This lexicon with the common words of its deck's text (as the store keeps them, see
    /// [`crate::deck::deck_words`]).
    pub fn with_vocabulary(mut self, words: impl IntoIterator<Item = String>) -> Self {
        self.vocabulary.extend(words);
        self
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
        self.check_in(typed, accepted, reject, &[], &[], &Asked::default())
    }

    /// [`Lexicon::check`] for a card that asked `prompt`: the prompt's own words, and abbreviations and aliases of
    /// its phrases, may stand in the answer without competing ("Pristina airport in Kosovo" when the prompt names
    /// Kosovo; "Vagif Guseinov of ISSA" when it names the Institute of Strategic Studies and Analysis).
    pub fn check_asked(
        &self,
        typed: &str,
        prompt: &str,
        accepted: &[String],
        reject: &[String],
    ) -> Verdict {
        self.check_in(typed, accepted, reject, &[], &[], &Asked::new(prompt))
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
        self.check_in(
            typed,
            &b.answers,
            reject,
            &before,
            &after,
            &Asked::new(prompt),
        )
    }

    /// Checks a typed answer, `before` and `after` being words that may stand before and after an accepted form,
    /// `asked` what the card's prompt lends an answer.
    fn check_in(
        &self,
        typed: &str,
        accepted: &[String],
        reject: &[String],
        before: &[String],
        after: &[String],
        asked: &Asked,
    ) -> Verdict {
        let raw = typed;
        let typed = normalize(typed);
        if typed.is_empty() {
            return Verdict::wrong();
        }
        let direct: Vec<String> = accepted.iter().map(|a| normalize(a)).collect();
        // A question for an answer ("Iran?") hedges.
        if raw.contains('?') {
            let named = direct.iter().any(|a| typed.contains(a.as_str()));
            return Verdict {
                why: named.then(|| {
                    "It names the answer, but as a question: give the answer, not a guess."
                        .to_string()
                }),
                ..Verdict::wrong()
            };
        }
        if direct.contains(&typed) {
            return Verdict::of(true, Rule::Exact);
        }
        // A month and a year as people write them ("2008 August", "08/2008") for a month and a year.
        if let Some(when) = words::month_year(raw)
            && accepted.iter().any(|a| words::month_year(a) == Some(when))
        {
            return Verdict::of(true, Rule::Words);
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
        let words = self.with_words(raw, accepted, &all, &framed, &rejected, asked);
        if let Some(v) = words.as_ref().filter(|v| v.rule == Rule::Words) {
            return v.clone();
        }
        self.near_miss(&typed, accepted, &all, &rejected)
            .or(words)
            .unwrap_or_else(Verdict::wrong)
    }

    /// Whether `typed` differs from the answer `near` (both normalized) by a word that is a word of the deck's own
    /// text in its own right, not an inflection of the answer's word ("sanctions" for "sanction" stays a typo).
    fn other_word(&self, typed: &str, near: &str) -> bool {
        let (t, n): (Vec<&str>, Vec<&str>) = (
            typed.split_whitespace().collect(),
            near.split_whitespace().collect(),
        );
        let inflected = |a: &str, b: &str| {
            ["s", "es", "d", "ed"]
                .iter()
                .any(|end| a.strip_suffix(end) == Some(b) || b.strip_suffix(end) == Some(a))
        };
        t.len() == n.len()
            && t.iter()
                .zip(&n)
                .any(|(a, b)| a != b && self.vocabulary.contains(*a) && !inflected(a, b))
    }

    /// A near miss of one of `all` (normalized accepted forms and aliases), unless as close to another known answer.
    pub(super) fn near_miss(
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
        // Adding or removing a negating prefix is never a typo: "inequality" is not "equality" (nor of another
        // accepted form: "in Kosovo" may be one typo from "unKosovo", "Kosovo" is its negation).
        if words::negates(typed, near) || all.iter().any(|a| words::negates(typed, a)) {
            return None;
        }
        // Nor is another word of the deck's own text: "restart" is not "reset" in a deck that uses both.
        if self.other_word(typed, near) {
            return None;
        }
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
            why: None,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::testing::lexicon;

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
}
