//! The words rule: an answer that states an accepted form with words that add nothing competing (filler, a title, a
//! plural, an abbreviation in parentheses) is right; one in which another known answer or a `reject` entry appears
//! is not. The words themselves (filler, titles, folding) are in [`super::words`].

use super::lexicon::Asked;
use super::{Lexicon, Rule, Verdict, dictionary, normalize, tolerance, words};

impl Lexicon {
    /// The words rule: the answer states one of `all` in order, every other word is filler, a title, or lent by
    /// the card's prompt (`asked`: its words, its phrases' initials or aliases) or by the answer itself (a
    /// patronymic in a name, the country a place is in), and no part of it names another known answer or a
    /// `reject` entry. A parenthesised abbreviation of the answer is allowed; so are plurals and an initial for a
    /// first name. Words near-missed inside the answer make it a typo (with the usual guard).
    ///
    /// An answer that states an accepted form with other words besides comes back wrong with `why` saying which
    /// words (or that they make it a hedge or the opposite).
    pub(super) fn with_words(
        &self,
        raw: &str,
        accepted: &[String],
        all: &[String],
        framed: &[String],
        rejected: &[String],
        asked: &Asked,
    ) -> Option<Verdict> {
        let text = without_abbreviation(raw, all);
        let tokens: Vec<&str> = text.split_whitespace().collect();
        let titles = words::title_mask(&tokens);
        let lent = self.lent(&tokens, all, asked);
        let forms: Vec<Vec<String>> = framed
            .iter()
            .map(|f| f.split_whitespace().map(words::fold).collect())
            .collect();
        let folded: Vec<String> = tokens.iter().map(|t| words::fold(t)).collect();
        // The refusals met on the way: (words that are not the answer, which tokens matched the form).
        let mut refused: Vec<(Vec<usize>, Vec<bool>)> = Vec::new();
        let found = forms.iter().find_map(|form| {
            let mut at = 0;
            let mut core = Vec::new();
            let mut exact = true;
            let mut extra = Vec::new();
            let mut matched = vec![false; tokens.len()];
            for (k, token) in folded.iter().enumerate() {
                if let Some(want) = form.get(at) {
                    // An initial for a first name: "D. Rogozin".
                    let initial = token.chars().count() == 1
                        && want.chars().count() > 1
                        && form.len() > at + 1
                        && want.starts_with(token.as_str());
                    if token == want || initial {
                        core.push(if initial { want.as_str() } else { tokens[k] });
                        matched[k] = true;
                        at += 1;
                        continue;
                    }
                    let digits = |s: &str| s.chars().any(|c| c.is_ascii_digit());
                    if !digits(token)
                        && !digits(want)
                        && strsim::osa_distance(token, want) <= tolerance(want)
                        && !words::negates(token, want)
                    {
                        core.push(tokens[k]);
                        matched[k] = true;
                        exact = false;
                        at += 1;
                        continue;
                    }
                }
                if !(titles[k] || lent[k] || words::is_filler(tokens[k])) {
                    extra.push(k);
                }
            }
            if at < form.len() {
                return None;
            }
            if !extra.is_empty() {
                refused.push((extra, matched));
                return None;
            }
            Some((core.join(" "), exact))
        });
        let Some((core, exact)) = found else {
            // The form the answer came closest to: the fewest words besides it.
            return refused
                .into_iter()
                .min_by_key(|(extra, _)| extra.len())
                .map(|(extra, matched)| Verdict {
                    why: Some(Self::why(&tokens, &extra, &matched)),
                    ..Verdict::wrong()
                });
        };
        // Nothing in the answer may name another known answer or a reject entry, except the accepted answer and
        // its parts, titles ("US President") and what the prompt or the answer lends.
        let part_of_accepted = |gram: &[String]| {
            forms
                .iter()
                .any(|f| f.windows(gram.len()).any(|w| w == gram))
        };
        for n in 1..=tokens.len().min(6) {
            for start in 0..=tokens.len() - n {
                if (start..start + n).all(|k| titles[k] || lent[k]) {
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
        if exact || all.contains(&core) || framed.contains(&core) {
            return Some(Verdict::of(true, Rule::Words));
        }
        if rejected.contains(&core) || self.known.contains(&core) {
            return None;
        }
        self.near_miss(&core, accepted, framed, rejected)
    }

    /// Which tokens of an answer are lent to it: words of the prompt, initials of the prompt's phrases, aliases of
    /// the prompt's phrases ("IMEMO" for "Institute of World Economy and International Relations"), a patronymic,
    /// and the country or region an accepted place is in ("Transnistria (Moldova)"). Hedges and negations never are.
    fn lent(&self, tokens: &[&str], all: &[String], asked: &Asked) -> Vec<bool> {
        let mut lent: Vec<bool> = tokens
            .iter()
            .map(|t| {
                !words::NUMBER_HEDGES.contains(t)
                    && !words::HEDGES.contains(t)
                    && (asked.words.contains(&words::fold(t))
                        || (t.chars().count() >= 2 && asked.initials.contains(*t))
                        || words::is_patronymic(t))
            })
            .collect();
        for n in 1..=tokens.len().min(4) {
            for start in 0..=tokens.len() - n {
                let gram = tokens[start..start + n].join(" ");
                let alias_of_asked = self
                    .groups
                    .get(&gram)
                    .is_some_and(|&g| self.members[g].iter().any(|m| asked.phrases.contains(m)));
                let container = dictionary::CONTAINED.iter().any(|(place, within)| {
                    normalize(within) == gram && all.iter().any(|a| a.contains(&normalize(place)))
                });
                if alias_of_asked || container {
                    lent[start..start + n].iter_mut().for_each(|l| *l = true);
                }
            }
        }
        lent
    }

    /// Why an answer that states an accepted form with the words at `extra` (indexes into `tokens`; `matched`
    /// marks the form's own words) is refused: a negation makes it the opposite, a hedge makes it a guess, other
    /// words add something that is not the answer (quoted as written, with the titles and words around them that
    /// are not the answer: "later deputy prime minister").
    pub(super) fn why(tokens: &[&str], extra: &[usize], matched: &[bool]) -> String {
        if let Some(k) = extra
            .iter()
            .find(|&&k| words::NEGATIONS.contains(&tokens[k]))
        {
            return format!(
                "It names the answer, but '{}' turns it into the opposite.",
                tokens[*k]
            );
        }
        if let Some(k) = extra.iter().find(|&&k| {
            words::HEDGES.contains(&tokens[k]) || words::NUMBER_HEDGES.contains(&tokens[k])
        }) {
            return format!(
                "It names the answer, but '{}' makes it a hedge: give one answer.",
                tokens[*k]
            );
        }
        // Runs of words that are not the answer, each kept if it holds an extra word, without filler at its ends.
        let mut runs: Vec<String> = Vec::new();
        let mut k = 0;
        while k < tokens.len() {
            if matched[k] {
                k += 1;
                continue;
            }
            let start = k;
            while k < tokens.len() && !matched[k] {
                k += 1;
            }
            if !extra.iter().any(|e| (start..k).contains(e)) {
                continue;
            }
            let run: Vec<&str> = tokens[start..k].to_vec();
            let first = run.iter().position(|t| !words::is_filler(t)).unwrap_or(0);
            let last = run
                .iter()
                .rposition(|t| !words::is_filler(t))
                .unwrap_or(run.len() - 1);
            runs.push(run[first..=last].join(" "));
        }
        let quoted: Vec<String> = runs.iter().map(|r| format!("'{r}'")).collect();
        format!(
            "It names the answer, but you also wrote {}, which {} not part of it.",
            quoted.join(" and "),
            if quoted.len() == 1 { "is" } else { "are" }
        )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::testing::lexicon;

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
}
