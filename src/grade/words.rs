//! The words a teacher reads past when marking a typed answer, in one place: filler around an accepted answer
//! (articles, prepositions, generic heads), titles and ranks with the qualifiers that go before them, patronymics,
//! and English number words, months and decades. Also singular/plural folding, reading the one number or the month
//! and year a typed answer states, and the words that never pass: hedges, negations and negating prefixes.
//!
//! The lists only ever let an answer *through* when everything else in it is an accepted answer, so a word belongs
//! here only if adding it to a right answer can never make that answer say something else. Negations and hedges
//! ("or", "not", "maybe") are listed apart ([`HEDGES`], [`NEGATIONS`]) so that they are never let through and the
//! feedback can name them.
//!
//! One concern: the grader's vocabulary. Every rule (`lexicon`, `extra_words`, `numbers`) reads these lists
//! together, and a word's place in one list decides its place in the others.

/// Words that add nothing to an answer: articles, prepositions and possessives, and generic heads a learner may
/// put after a name ("Pristina airport", "New START treaty", "Republican party", "Lisbon summit").
pub const FILLER: &[&str] = &[
    // Articles and determiners, prepositions, possessives.
    "the",
    "a",
    "an",
    "some",
    "this",
    "these",
    "at",
    "in",
    "on",
    "of",
    "to",
    "for",
    "from",
    "by",
    "with",
    "within",
    "into",
    "under",
    "over",
    "as",
    "about",
    "its",
    "his",
    "her",
    "their", // Generic heads.
    "sam",
    "airport",
    "treaty",
    "agreement",
    "accord",
    "system",
    "approach",
    "party",
    "arrangement",
    "programme",
    "program",
    "policy",
    "missile",
    "weapon",
    "city",
    "capital",
    "region",
    "area",
    "country",
    "state",
    "summit",
    "organisation",
    "organization",
    "website",
    "site",
    "conflict",
    "air",
    "surface",
    "defence",
    "defense",
    "administration",
    "government",
    "senate",
    "model",
    "method",
];

/// Titles and ranks that may stand before a name ("President Barack Obama", "General Joulwan").
pub const TITLES: &[&str] = &[
    "president",
    "pres",
    "general",
    "gen",
    "sec",
    "sg",
    "saceur",
    "pm",
    "amb",
    "admiral",
    "colonel",
    "commander",
    "ambassador",
    "envoy",
    "secretary",
    "minister",
    "chancellor",
    "senator",
    "spokesman",
    "analyst",
    "expert",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "professor",
    "sir",
];

/// Words that qualify a title and are filler only next to one ("US President", "NATO Secretary General",
/// "Russia's Defence Minister", "envoy to NATO"). Elsewhere they are content: "US" alone is another answer.
pub const TITLE_QUALIFIERS: &[&str] = &[
    "us", "usa", "american", "russian", "russia", "russias", "nato", "natos", "un", "eu", "soviet",
    "foreign", "defence", "defense", "prime", "deputy",
];

/// Words that hedge an answer ("I think Rogozin", "maybe Iran"): never lent by a prompt, and named when they make
/// an answer wrong.
pub const HEDGES: &[&str] = &[
    "i", "think", "guess", "believe", "suppose", "unsure", "sure", "maybe", "perhaps", "possibly",
    "probably", "likely", "or", "either", "whether",
];

/// Words that turn an answer into its opposite ("not Obama", "no dual key").
pub const NEGATIONS: &[&str] = &["not", "no", "never", "non", "nor", "neither", "without"];

/// Words that hedge a number ("more than 20", "19 or 20", "not 17"): a number answer with one of them is wrong.
pub const NUMBER_HEDGES: &[&str] = &[
    "or", "not", "nor", "either", "neither", "maybe", "perhaps", "possibly", "probably", "more",
    "less", "fewer", "over", "under", "least", "most", "almost", "nearly", "than", "between",
    "except", "before", "after", "since", "until", "till", "no", "never",
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The month (0 for January) a word names, in full or abbreviated ("nov", "sept").
fn month(word: &str) -> Option<usize> {
    if word == "sept" {
        return Some(8);
    }
    MONTHS
        .iter()
        .position(|m| *m == word || (word.len() == 3 && m.starts_with(word)))
}

/// The months (0 for January) a text names, in full or abbreviated.
pub fn months_in(text: &str) -> Vec<usize> {
    let mut out: Vec<usize> = super::normalize(text)
        .split_whitespace()
        .filter_map(month)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The month (1 to 12) and year a typed answer names and nothing else, in the forms people write them: "August
/// 2008", "Aug. 2008", "2008 August", "08/2008", "8-2008", "in August of 2008". `None` for anything else.
pub fn month_year(typed: &str) -> Option<(usize, i64)> {
    let normalized = super::normalize(typed);
    let tokens: Vec<&str> = normalized
        .split_whitespace()
        .filter(|t| !matches!(*t, "in" | "of" | "the"))
        .collect();
    let year = |t: &str| {
        (t.len() == 4 && t.chars().all(|c| c.is_ascii_digit()))
            .then(|| t.parse::<i64>().ok())
            .flatten()
    };
    let month_of = |t: &str| {
        month(t).map(|m| m + 1).or_else(|| {
            (t.len() <= 2 && t.chars().all(|c| c.is_ascii_digit()))
                .then(|| t.parse::<usize>().ok())
                .flatten()
                .filter(|m| (1..=12).contains(m))
        })
    };
    match tokens.as_slice() {
        [a, b] if year(b).is_some() => Some((month_of(a)?, year(b)?)),
        [a, b] => Some((month(b)? + 1, year(a)?)),
        _ => None,
    }
}

/// Whether a name's token is a Russian patronymic ("Olegovich", "Ivanovna"): a middle name that adds nothing to
/// the name it stands in.
pub fn is_patronymic(word: &str) -> bool {
    word.chars().count() > 6
        && ["ovich", "evich", "ovna", "evna", "ichna", "inichna"]
            .iter()
            .any(|s| word.ends_with(s))
}

/// The prefixes that negate a word ("equal", "unequal"; "legal", "illegal"): adding or removing one is never a
/// typo.
const NEGATING: &[&str] = &["un", "in", "im", "ir", "il", "non", "dis"];

/// Whether `a` and `b` (normalized texts) differ by a negating prefix on some word: "inequality" and "equality",
/// "unequal partner" and "equal partner".
pub fn negates(a: &str, b: &str) -> bool {
    let (x, y): (Vec<&str>, Vec<&str>) = (
        a.split_whitespace().collect(),
        b.split_whitespace().collect(),
    );
    x.len() == y.len()
        && x.iter().zip(&y).any(|(p, q)| {
            p != q
                && NEGATING.iter().any(|n| {
                    p.strip_prefix(n).is_some_and(|rest| rest == *q)
                        || q.strip_prefix(n).is_some_and(|rest| rest == *p)
                })
        })
}

const UNITS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const UNIT_ORDINALS: &[&str] = &[
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
];
const TENS: &[&str] = &[
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const TEN_ORDINALS: &[&str] = &[
    "",
    "",
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "sixtieth",
    "seventieth",
    "eightieth",
    "ninetieth",
];

/// A word's singular: "missiles" to "missile", "S-300s" (token "300s") to "300", "processes" to "process",
/// "parties" to "party". Short words and words ending in -ss, -us or -is are left alone.
pub fn fold(word: &str) -> String {
    let n = word.chars().count();
    if n <= 3 {
        return word.to_string();
    }
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["sses", "xes", "ches", "shes"] {
        if word.ends_with(suffix) {
            return word[..word.len() - 2].to_string();
        }
    }
    if word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
    {
        return word[..word.len() - 1].to_string();
    }
    word.to_string()
}

/// Whether `word` (a normalized token) is filler wherever it stands.
pub fn is_filler(word: &str) -> bool {
    FILLER.contains(&word) || FILLER.contains(&fold(word).as_str())
}

/// Which tokens are titles or qualifiers of a title ("us president", "secretary general", "envoy to nato"): they
/// may be left out of an answer, and they never name a competing answer.
pub fn title_mask(tokens: &[&str]) -> Vec<bool> {
    let title = |t: &str| TITLES.contains(&t);
    let qualifier = |t: &str| TITLE_QUALIFIERS.contains(&t) || title(t);
    let mut mask: Vec<bool> = tokens.iter().map(|t| title(t)).collect();
    // Qualifiers spread from a title to the words next to it: "US President", "NATO Secretary General",
    // "envoy to NATO". Repeat until nothing changes (chains are short).
    loop {
        let mut changed = false;
        for k in 0..tokens.len() {
            if mask[k] || !qualifier(tokens[k]) {
                continue;
            }
            let next = k + 1 < tokens.len() && mask[k + 1];
            let prev = k >= 1 && mask[k - 1];
            let across = k >= 2 && mask[k - 2] && matches!(tokens[k - 1], "to" | "of" | "at");
            if next || prev || across {
                mask[k] = true;
                changed = true;
            }
        }
        if !changed {
            return mask;
        }
    }
}

/// A number word's value and kind, or `None`.
fn number_word(word: &str) -> Option<(f64, Kind)> {
    let find = |list: &[&str]| list.iter().position(|w| *w == word);
    if let Some(i) = find(UNITS).or_else(|| find(UNIT_ORDINALS)) {
        return Some((i as f64, if i < 10 { Kind::Unit } else { Kind::Teen }));
    }
    if let Some(i) = find(TENS)
        .or_else(|| find(TEN_ORDINALS))
        .filter(|&i| i >= 2)
    {
        return Some(((i * 10) as f64, Kind::Tens));
    }
    match word {
        "hundred" | "hundredth" => Some((100.0, Kind::Hundred)),
        "thousand" | "thousandth" => Some((1_000.0, Kind::Scale)),
        "million" | "millionth" => Some((1_000_000.0, Kind::Scale)),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Unit,
    Teen,
    Tens,
    Hundred,
    Scale,
}

/// A number written in digits, with thousands separators and an ordinal suffix allowed ("1,000", "17th", "2.5").
/// `Err` for a token that mixes digits and letters otherwise ("1990s", "s300"), which names something else.
fn digits(token: &str) -> Option<Result<f64, ()>> {
    if !token.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let body = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| token.strip_suffix(s))
        .unwrap_or(token);
    if !body.starts_with(|c: char| c.is_ascii_digit()) {
        return Some(Err(()));
    }
    let cleaned: String = body.chars().filter(|c| *c != ',').collect();
    Some(
        cleaned
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or(()),
    )
}

/// What a typed number answer states: its numbers in order, and whether it names a month (then it is a date, and a
/// day and a year in it are one answer, "17 November 2010").
#[derive(Debug, Clone, PartialEq)]
pub struct Numbers {
    pub found: Vec<f64>,
    pub month: bool,
    /// A number was written as an ordinal ("17th", "seventeenth"): a position or a day, never a count.
    pub ordinal: bool,
}

/// The numbers a typed answer states, in digits or words, with any words around them ("November 17", "on the
/// 17th", "twenty-eight", "two thousand and eight", "nineteen ninety-nine"). `None` when the answer hedges ("19
/// or 20", "more than 20", "17?") or names a number some other way ("the 1990s").
pub fn numbers_in(typed: &str) -> Option<Numbers> {
    // "17?", "20+", "<20", "> 20" hedge or bound the number rather than state it.
    if typed.contains(['?', '+', '<', '>', '\u{2264}', '\u{2265}']) {
        return None;
    }
    let normalized = super::normalize(typed);
    let tokens: Vec<&str> = normalized
        .split_whitespace()
        .map(|t| t.trim_end_matches(['.', ',']))
        .filter(|t| !t.is_empty())
        .collect();
    let mut found = Vec::new();
    let mut dated = false;
    let mut i = 0;
    let mut negative = false;
    while i < tokens.len() {
        let t = tokens[i];
        if NUMBER_HEDGES.contains(&t) {
            return None;
        }
        if month(t).is_some() {
            dated = true;
        }
        if matches!(t, "minus" | "negative") {
            negative = true;
            i += 1;
            continue;
        }
        let sign = if std::mem::take(&mut negative) {
            -1.0
        } else {
            1.0
        };
        if let Some(d) = digits(t) {
            let mut value = d.ok()?;
            // "2 thousand", "1.5 million".
            while let Some((scale, Kind::Scale | Kind::Hundred)) =
                tokens.get(i + 1).and_then(|w| number_word(w))
            {
                value *= scale;
                i += 1;
            }
            i += 1;
            // "2 decades": twenty (years).
            if tokens
                .get(i)
                .is_some_and(|w| matches!(*w, "decade" | "decades"))
            {
                value *= 10.0;
                i += 1;
            }
            found.push(sign * value);
            continue;
        }
        if number_word(t).is_some() {
            let (mut groups, mut next) = number_run(&tokens, i);
            if let Some(last) = groups.last_mut()
                && tokens
                    .get(next)
                    .is_some_and(|w| matches!(*w, "decade" | "decades"))
            {
                *last *= 10.0;
                next += 1;
            }
            found.extend(groups.into_iter().map(|g| sign * g));
            i = next;
            continue;
        }
        i += 1;
    }
    let ordinal = tokens.iter().any(|t| {
        let suffixed = ["st", "nd", "rd", "th"].iter().any(|x| t.ends_with(x))
            && t.starts_with(|c: char| c.is_ascii_digit());
        suffixed
            || UNIT_ORDINALS.contains(t)
            || TEN_ORDINALS[2..].contains(t)
            || matches!(*t, "hundredth" | "thousandth" | "millionth")
    });
    Some(Numbers {
        found,
        month: dated,
        ordinal,
    })
}

/// Reads a run of number words from `tokens[start]`: the numbers it makes ("twenty eight" is one, "nineteen
/// ninety-nine" a year, "two three" two numbers) and the index after the run.
fn number_run(tokens: &[&str], start: usize) -> (Vec<f64>, usize) {
    let mut groups = Vec::new();
    let (mut total, mut current) = (0.0, 0.0);
    let mut last: Option<Kind> = None;
    let mut i = start;
    while i < tokens.len() {
        let t = tokens[i];
        if t == "and" && matches!(last, Some(Kind::Hundred | Kind::Scale)) {
            if tokens.get(i + 1).and_then(|w| number_word(w)).is_some() {
                i += 1;
                continue;
            }
            break;
        }
        let Some((value, kind)) = number_word(t) else {
            break;
        };
        match kind {
            Kind::Unit | Kind::Teen | Kind::Tens => {
                let continues = match (last, kind) {
                    (None | Some(Kind::Hundred | Kind::Scale), _) => true,
                    (Some(Kind::Tens), Kind::Unit) => value > 0.0,
                    _ => false,
                };
                if !continues {
                    groups.push(total + current);
                    total = 0.0;
                    current = 0.0;
                }
                current += value;
            }
            Kind::Hundred => current = current.max(1.0) * value,
            Kind::Scale => {
                total += current.max(1.0) * value;
                current = 0.0;
            }
        }
        last = Some(kind);
        i += 1;
    }
    groups.push(total + current);
    // "nineteen ninety-nine", "twenty ten": two two-digit groups spoken as a year.
    if let [high, low] = groups[..]
        && (10.0..=99.0).contains(&high)
        && (10.0..=99.0).contains(&low)
    {
        return (vec![high * 100.0 + low], i);
    }
    (groups, i)
}

#[cfg(test)]
mod tests {
    #[test]
    fn months_and_years_as_people_write_them() {
        for typed in [
            "August 2008",
            "Aug. 2008",
            "2008 August",
            "08/2008",
            "8/2008",
            "in August of 2008",
            "8-2008",
        ] {
            assert_eq!(month_year(typed), Some((8, 2008)), "{typed}");
        }
        for typed in [
            "2008",
            "August",
            "13/2008",
            "August 2008 or 2009",
            "the 8th of August",
        ] {
            assert_eq!(month_year(typed), None, "{typed}");
        }
    }

    #[test]
    fn decades_and_negating_prefixes() {
        let found = |t: &str| numbers_in(t).map(|n| n.found);
        assert_eq!(found("two decades"), Some(vec![20.0]));
        assert_eq!(found("2 decades"), Some(vec![20.0]));
        assert_eq!(found("decades"), Some(vec![]));
        assert!(negates("inequality", "equality"));
        assert!(negates("unequal partner", "equal partner"));
        assert!(negates("partner", "nonpartner"));
        assert!(!negates("transnistria", "transdniestria"));
        assert!(!negates("equal partner", "equal partners"));
        assert!(is_patronymic("olegovich") && !is_patronymic("rogozin"));
    }

    use super::*;

    #[test]
    fn folding_makes_plurals_singular() {
        for (word, singular) in [
            ("missiles", "missile"),
            ("300s", "300"),
            ("processes", "process"),
            ("process", "process"),
            ("parties", "party"),
            ("republicans", "republican"),
            ("us", "us"),
            ("rasmussen", "rasmussen"),
            ("crisis", "crisis"),
        ] {
            assert_eq!(fold(word), singular, "{word}");
        }
    }

    #[test]
    fn numbers_in_words_and_digits() {
        let cases: &[(&str, Option<&[f64]>)] = &[
            ("17", Some(&[17.0])),
            ("17th", Some(&[17.0])),
            ("the 22nd", Some(&[22.0])),
            ("seventeen", Some(&[17.0])),
            ("Seventeenth", Some(&[17.0])),
            ("twenty-eight", Some(&[28.0])),
            ("twenty eight", Some(&[28.0])),
            ("twenty-ninth", Some(&[29.0])),
            ("one hundred and five", Some(&[105.0])),
            ("two thousand and eight", Some(&[2008.0])),
            ("nineteen ninety-nine", Some(&[1999.0])),
            ("twenty ten", Some(&[2010.0])),
            ("November 17", Some(&[17.0])),
            ("in 2008", Some(&[2008.0])),
            ("1,000 troops", Some(&[1000.0])),
            ("19 or 20", None),
            ("not 17", None),
            ("more than 20", None),
            ("17?", None),
            ("the 1990s", None),
            ("19 and 20", Some(&[19.0, 20.0])),
            ("two three", Some(&[2.0, 3.0])),
            ("soon", Some(&[])),
            ("minus five", Some(&[-5.0])),
        ];
        for (typed, expected) in cases {
            let found = numbers_in(typed).map(|n| n.found);
            assert_eq!(found.as_deref(), *expected, "{typed}");
        }
    }

    #[test]
    fn titles_and_their_qualifiers() {
        let tokens = ["us", "president", "barack", "obama"];
        assert_eq!(title_mask(&tokens), vec![true, true, false, false]);
        let tokens = ["envoy", "to", "nato", "rogozin"];
        assert_eq!(title_mask(&tokens), vec![true, false, true, false]);
        let tokens = ["us", "obama"];
        assert_eq!(title_mask(&tokens), vec![false, false]);
    }
}
