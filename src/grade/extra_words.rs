//! The words rule: an answer that states an accepted form with words that add nothing competing (filler, a title, a
//! plural, an abbreviation in parentheses) is right; one in which another known answer or a `reject` entry appears
//! is not. The words themselves (filler, titles, folding) are in [`super::words`].

use super::{Lexicon, Rule, Verdict, normalize, tolerance, words};

impl Lexicon {
    /// The words rule: the answer states one of `all` in order, every other word is filler or a title, and no
    /// part of it names another known answer or a `reject` entry. A parenthesised abbreviation of the answer is
    /// allowed; so are plurals. Words near-missed inside the answer make it a typo (with the usual guard).
    pub(super) fn with_words(
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
