//! Exam definitions: the TOML format a teacher writes (see `docs/exam-format.md`), its validation with
//! `FILE:LINE:COL` diagnostics, how a paper's seed is chosen, and how several attempts become one grade. Pure: the
//! exam flow lives in [`crate::session::exam`], the queries in `store`, item statistics in [`analysis`].
//!
//! One concern: the definition, each field's type and its validation beside it (and their tests), so that a field
//! is added in one place.

pub mod analysis;

use crate::deck::{Code, Diagnostic, Severity};
use crate::text::fnv1a;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// One paper for everyone, or one per learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Paper {
    /// Every learner gets the paper drawn from the exam's seed.
    Same,
    /// Each learner gets a paper drawn from the seed and their name: reproducible, different between learners.
    PerLearner,
}

/// How a learner moves through a paper.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Navigation {
    /// One question after another, each answered once (the default).
    #[default]
    Sequential,
    /// A summary page lists every question; any may be answered or changed until the attempt is submitted or
    /// its time runs out.
    Free,
}

/// When a student who sat a server exam sees their score, the right answers and the feedback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Review {
    /// Right after submitting (or when the time runs out): the default.
    #[default]
    AfterAttempt,
    /// Only once the exam has closed for everyone (`closes`): until then, only that the attempt was submitted.
    AfterClose,
}

impl Review {
    /// Whether this is the default, which the stored definition leaves out (so older definitions hash the same).
    pub fn is_after_attempt(&self) -> bool {
        *self == Review::AfterAttempt
    }
}

impl Navigation {
    /// Whether this is the default, which the stored definition leaves out (so older definitions hash the same).
    pub fn is_sequential(&self) -> bool {
        *self == Navigation::Sequential
    }
}

/// How a learner's attempts become one grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grading {
    Highest,
    Last,
    Mean,
}

impl Grading {
    pub fn as_str(self) -> &'static str {
        match self {
            Grading::Highest => "highest",
            Grading::Last => "last",
            Grading::Mean => "mean",
        }
    }

    /// The grade, as a share 0 to 1, from the shares of the closed attempts in the order they were sat; `None`
    /// without any.
    pub fn combine(self, shares: &[f64]) -> Option<f64> {
        self.pick(shares).map(|(grade, _)| grade)
    }

    /// The grade and the attempt it comes from (an index into `shares`; `None` for a mean). Among equal highest
    /// shares, the earliest attempt counts.
    pub fn pick(self, shares: &[f64]) -> Option<(f64, Option<usize>)> {
        let last = shares.len().checked_sub(1)?;
        Some(match self {
            Grading::Highest => {
                let best =
                    (0..shares.len()).fold(0, |b, i| if shares[i] > shares[b] { i } else { b });
                (shares[best], Some(best))
            }
            Grading::Last => (shares[last], Some(last)),
            Grading::Mean => (shares.iter().sum::<f64>() / shares.len() as f64, None),
        })
    }

    /// The method named `name` (`highest`, `last`, `mean`), if it is one.
    pub fn named(name: &str) -> Option<Grading> {
        [Grading::Highest, Grading::Last, Grading::Mean]
            .into_iter()
            .find(|g| g.as_str() == name)
    }
}

/// A validated exam definition, as stored (JSON) in `exams.definition`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exam {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decks: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    pub questions: u32,
    pub paper: Paper,
    pub seed: u64,
    /// Minutes; `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<u32>,
    /// `None` for unlimited attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    pub grading: Grading,
    /// Percent of the maximum needed to pass.
    pub pass_mark: f64,
    /// Whether flashcards may be drawn and scored. They are self-graded (the learner says whether they knew the
    /// answer), so they are left out unless the teacher says so, and results and exports are then marked
    /// self-graded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub score_flashcards: bool,
    /// The exam's date, `YYYY-MM-DD`: until then, the study schedule of the cards in its `decks` and `tags` gets
    /// them ready for it (see [`crate::schedule::exam_date`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// New cards in scope are all seen at least this many days before `date` (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_days: Option<u32>,
    /// Sequential (the default) or free, with a summary page and answers that can be changed.
    #[serde(default, skip_serializing_if = "Navigation::is_sequential")]
    pub navigation: Navigation,
    /// When the exam closes for everyone (`closes`, an RFC 3339 date and time): no attempt starts after it, and no
    /// attempt's deadline passes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes: Option<crate::time::UnixMs>,
    /// When a server exam's student sees their score, the right answers and the feedback.
    #[serde(default, skip_serializing_if = "Review::is_after_attempt")]
    pub review: Review,
}

impl Exam {
    /// The seed of a learner's paper.
    pub fn paper_seed(&self, learner: &str) -> u64 {
        match self.paper {
            Paper::Same => self.seed,
            Paper::PerLearner => self.seed ^ fnv1a(learner.as_bytes()),
        }
    }

    /// Whether a share (0 to 1) of the maximum passes.
    pub fn passes(&self, share: f64) -> bool {
        share * 100.0 + 1e-9 >= self.pass_mark
    }

    /// A hash of the definition, to tell a changed exam from an unchanged one.
    pub fn content_hash(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        format!("{:016x}", fnv1a(json.as_bytes()))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExam {
    id: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
    decks: Option<Spanned<Vec<Spanned<String>>>>,
    tags: Option<Spanned<Vec<Spanned<String>>>>,
    questions: Option<Spanned<i64>>,
    paper: Option<Spanned<String>>,
    seed: Option<Spanned<i64>>,
    time_limit: Option<Spanned<i64>>,
    attempts: Option<Spanned<i64>>,
    grading: Option<Spanned<String>>,
    pass_mark: Option<Spanned<f64>>,
    score_flashcards: Option<bool>,
    date: Option<Spanned<toml::Value>>,
    lead_days: Option<Spanned<i64>>,
    navigation: Option<Spanned<String>>,
    closes: Option<Spanned<toml::Value>>,
    review: Option<Spanned<String>>,
}

/// Where a deck name stands in the file, so that a later check (is the deck loaded?) can point at it.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub name: String,
    pub line: usize,
    pub column: usize,
}

struct Ctx<'a> {
    file: &'a str,
    src: &'a str,
    diags: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn at(&self, at: usize) -> (usize, usize) {
        let at = at.min(self.src.len());
        let before = &self.src[..at];
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, self.src[start..at].chars().count() + 1)
    }
    fn error(&mut self, at: usize, message: impl Into<String>) {
        self.coded(Code::Other, at, message);
    }
    fn coded(&mut self, code: Code, at: usize, message: impl Into<String>) {
        let (line, column) = self.at(at);
        // The excerpt is the offending line, not the file's beginning.
        let text = self.src.lines().nth(line - 1).unwrap_or("");
        self.diags.push(Diagnostic::coded(
            code,
            self.file,
            text,
            line,
            column,
            Severity::Error,
            message.into(),
        ));
    }
}

/// Parses and validates an exam file. `file` is the name used in diagnostics. Returns the exam when there is no
/// error, the location of each deck it names, and every problem found.
pub fn parse_exam(file: &str, src: &str) -> (Option<Exam>, Vec<Located>, Vec<Diagnostic>) {
    let mut ctx = Ctx {
        file,
        src,
        diags: Vec::new(),
    };
    let raw: RawExam = match toml::from_str(src) {
        Ok(r) => r,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            let message = e.message().trim().replace('\n', " ");
            // serde's words for a field the exam format does not take: a misspelling, most often.
            let code = if message.starts_with("unknown field") {
                Code::ExamUnknownField
            } else {
                Code::Other
            };
            ctx.coded(code, at, message);
            return (None, Vec::new(), ctx.diags);
        }
    };
    let end = src.len();
    let slug_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    };
    let id = match raw.id {
        Some(id) if slug_ok(id.get_ref()) => Some(id.into_inner()),
        Some(id) => {
            ctx.error(
                id.span().start,
                format!(
                    "exam id `{}` must be a slug: lowercase letters, digits, - and _",
                    id.get_ref()
                ),
            );
            None
        }
        None => {
            ctx.error(end, "missing field `id`");
            None
        }
    };
    let title = match raw.title {
        Some(t) if !t.get_ref().trim().is_empty() => Some(t.into_inner()),
        Some(t) => {
            ctx.error(t.span().start, "the title is empty");
            None
        }
        None => {
            ctx.error(end, "missing field `title`");
            None
        }
    };
    let list = |ctx: &mut Ctx<'_>, v: Option<Spanned<Vec<Spanned<String>>>>, what: &str| {
        let mut out = Vec::new();
        for s in v.map(Spanned::into_inner).unwrap_or_default() {
            if s.get_ref().trim().is_empty() {
                ctx.error(s.span().start, format!("an empty {what}"));
                continue;
            }
            let (line, column) = ctx.at(s.span().start);
            out.push(Located {
                name: s.into_inner(),
                line,
                column,
            });
        }
        out
    };
    let decks = list(&mut ctx, raw.decks, "deck id");
    let tags = list(&mut ctx, raw.tags, "tag");
    let questions = match raw.questions {
        Some(q) if (1..=500).contains(q.get_ref()) => Some(*q.get_ref() as u32),
        Some(q) => {
            ctx.error(
                q.span().start,
                format!("questions must be 1 to 500, not {}", q.get_ref()),
            );
            None
        }
        None => {
            ctx.error(end, "missing field `questions`");
            None
        }
    };
    let paper = match raw.paper {
        None => Some(Paper::Same),
        Some(p) => match p.get_ref().as_str() {
            "same" => Some(Paper::Same),
            "per-learner" => Some(Paper::PerLearner),
            other => {
                ctx.error(
                    p.span().start,
                    format!("paper must be \"same\" or \"per-learner\", not \"{other}\""),
                );
                None
            }
        },
    };
    let seed = match raw.seed {
        None => Some(0),
        Some(s) if *s.get_ref() >= 0 => Some(*s.get_ref() as u64),
        Some(s) => {
            ctx.error(s.span().start, "the seed must not be negative");
            None
        }
    };
    let positive = |ctx: &mut Ctx<'_>, v: Option<Spanned<i64>>, what: &str, max: i64| match v {
        None => Ok(None),
        Some(v) if (1..=max).contains(v.get_ref()) => Ok(Some(*v.get_ref() as u32)),
        Some(v) => {
            ctx.error(
                v.span().start,
                format!("{what} must be 1 to {max}, not {}", v.get_ref()),
            );
            Err(())
        }
    };
    let time_limit = positive(&mut ctx, raw.time_limit, "time_limit (minutes)", 24 * 60);
    let attempts = positive(&mut ctx, raw.attempts, "attempts", 1000);
    let grading = match raw.grading {
        None => Some(Grading::Highest),
        Some(g) => match g.get_ref().as_str() {
            "highest" => Some(Grading::Highest),
            "last" => Some(Grading::Last),
            "mean" => Some(Grading::Mean),
            other => {
                ctx.error(
                    g.span().start,
                    format!("grading must be \"highest\", \"last\" or \"mean\", not \"{other}\""),
                );
                None
            }
        },
    };
    let pass_mark = match raw.pass_mark {
        None => Some(50.0),
        Some(p) if (0.0..=100.0).contains(p.get_ref()) => Some(*p.get_ref()),
        Some(p) => {
            ctx.error(
                p.span().start,
                format!("pass_mark is a percentage, 0 to 100, not {}", p.get_ref()),
            );
            None
        }
    };
    // A TOML date (`date = 2026-12-14`) or a string of one.
    let date = raw.date.and_then(|d| {
        let text = match d.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
            _ => String::new(),
        };
        match crate::text::parse_date(&text) {
            Some(date) => Some(date.format("%Y-%m-%d").to_string()),
            None => {
                ctx.error(d.span().start, "date must be a date, YYYY-MM-DD");
                None
            }
        }
    });
    let lead_days = match raw.lead_days {
        None => None,
        Some(v) if (0..=365).contains(v.get_ref()) => Some(*v.get_ref() as u32),
        Some(v) => {
            ctx.error(
                v.span().start,
                format!("lead_days must be 0 to 365, not {}", v.get_ref()),
            );
            None
        }
    };
    let navigation = match raw.navigation {
        None => Some(Navigation::Sequential),
        Some(n) => match n.get_ref().as_str() {
            "sequential" => Some(Navigation::Sequential),
            "free" => Some(Navigation::Free),
            other => {
                ctx.error(
                    n.span().start,
                    format!("navigation must be \"sequential\" or \"free\", not \"{other}\""),
                );
                None
            }
        },
    };
    // A TOML offset date-time (`closes = 2026-12-18T17:00:00Z`) or a string of one; the offset is required.
    let closes = raw.closes.and_then(|c| {
        let text = match c.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(dt) => dt.to_string(),
            _ => String::new(),
        };
        match chrono::DateTime::parse_from_rfc3339(text.trim()) {
            Ok(at) => Some(crate::time::UnixMs(at.timestamp_millis())),
            Err(_) => {
                ctx.error(
                    c.span().start,
                    "closes must be a date and time with its offset, like 2026-12-18T17:00:00Z or \
                     2026-12-18T18:00:00+01:00",
                );
                None
            }
        }
    });
    let review = match raw.review {
        None => Some(Review::AfterAttempt),
        Some(r) => match r.get_ref().as_str() {
            "after-attempt" => Some(Review::AfterAttempt),
            "after-close" => Some(Review::AfterClose),
            other => {
                ctx.error(
                    r.span().start,
                    format!("review must be \"after-attempt\" or \"after-close\", not \"{other}\""),
                );
                None
            }
        },
    };
    if review == Some(Review::AfterClose) && closes.is_none() && ctx.diags.is_empty() {
        ctx.error(end, "review = \"after-close\" needs a `closes` time");
    }
    if lead_days.is_some() && date.is_none() && ctx.diags.is_empty() {
        ctx.error(end, "lead_days needs a `date`");
    }
    if decks.is_empty() && tags.is_empty() && ctx.diags.is_empty() {
        ctx.error(
            0,
            "an exam needs `decks` or `tags` to draw its questions from",
        );
    }
    let exam = match (
        id, title, questions, paper, seed, time_limit, attempts, grading, pass_mark,
    ) {
        (
            Some(id),
            Some(title),
            Some(questions),
            Some(paper),
            Some(seed),
            Ok(time_limit),
            Ok(attempts),
            Some(grading),
            Some(pass_mark),
        ) if ctx.diags.is_empty() => Some(Exam {
            id,
            title,
            decks: decks.iter().map(|d| d.name.clone()).collect(),
            tags: tags.iter().map(|t| t.name.clone()).collect(),
            questions,
            paper,
            seed,
            time_limit,
            attempts,
            grading,
            pass_mark,
            score_flashcards: raw.score_flashcards.unwrap_or(false),
            date,
            lead_days,
            navigation: navigation.unwrap_or_default(),
            closes,
            review: review.unwrap_or_default(),
        }),
        _ => None,
    };
    (exam, decks, ctx.diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "midterm"
title = "Midterm"
decks = ["sherr-lisbon-2010"]
tags = ["theme:*"]
questions = 10
paper = "per-learner"
seed = 42
time_limit = 30
attempts = 2
grading = "mean"
pass_mark = 60
"#;

    fn errors(src: &str) -> Vec<String> {
        let (_, _, d) = parse_exam("e.toml", src);
        d.iter()
            .map(|d| d.to_string().lines().next().unwrap_or("").to_string())
            .collect()
    }

    /// Attack: a close time without its offset would be read in some zone the server happens to run in, and results
    /// held back until a close that never comes would never be shown: both are refused where they stand.
    #[test]
    fn closes_needs_an_offset_and_after_close_review_needs_closes() {
        let (exam, _, d) = parse_exam(
            "e.toml",
            &format!("{GOOD}closes = 2026-12-18T18:00:00+01:00\nreview = \"after-close\"\n"),
        );
        assert!(d.is_empty(), "{d:?}");
        let exam = exam.expect("exam");
        assert_eq!(exam.closes, Some(crate::time::UnixMs(1_797_613_200_000)));
        assert_eq!(exam.review, Review::AfterClose);
        assert!(
            errors(&format!("{GOOD}closes = 2026-12-18T18:00:00\n"))[0].contains("with its offset")
        );
        assert!(
            errors(&format!("{GOOD}review = \"after-close\"\n"))[0].contains("needs a `closes`")
        );
        assert!(errors(&format!("{GOOD}review = \"later\"\n"))[0].contains("after-attempt"));
    }

    #[test]
    fn a_valid_exam_parses() {
        let (exam, decks, diags) = parse_exam("e.toml", GOOD);
        assert!(diags.is_empty(), "{diags:?}");
        let exam = exam.expect("exam");
        assert_eq!(exam.questions, 10);
        assert_eq!(exam.paper, Paper::PerLearner);
        assert_eq!(exam.grading, Grading::Mean);
        assert_eq!(exam.time_limit, Some(30));
        assert_eq!(exam.navigation, Navigation::Sequential);
        let (free, _, _) = parse_exam("e.toml", &format!("{GOOD}navigation = \"free\"\n"));
        assert_eq!(free.map(|e| e.navigation), Some(Navigation::Free));
        assert_eq!(decks[0].line, 4);
        assert_ne!(exam.paper_seed("ann"), exam.paper_seed("bob"));
        assert_eq!(exam.paper_seed("ann"), exam.paper_seed("ann"));
    }

    #[test]
    fn problems_are_located() {
        assert_eq!(
            errors(&GOOD.replace("grading = \"mean\"", "grading = \"best\"")),
            [
                "e.toml:11:11: error: grading must be \"highest\", \"last\" or \"mean\", not \"best\""
            ]
        );
        assert_eq!(
            errors(&GOOD.replace("questions = 10", "questions = 0")),
            ["e.toml:6:13: error: questions must be 1 to 500, not 0"]
        );
        let unknown = errors(&GOOD.replace("seed = 42", "sead = 42"));
        assert!(
            unknown[0].starts_with("e.toml:8:1: error: unknown field `sead`"),
            "{unknown:?}"
        );
        assert_eq!(
            errors(&format!("{GOOD}navigation = \"back\"\n")),
            ["e.toml:13:14: error: navigation must be \"sequential\" or \"free\", not \"back\""]
        );
        assert_eq!(
            errors(&GOOD.replace("pass_mark = 60", "pass_mark = 160")),
            ["e.toml:12:13: error: pass_mark is a percentage, 0 to 100, not 160"]
        );
    }

    #[test]
    fn grading_methods() {
        let shares = [0.5, 0.9, 0.4];
        assert_eq!(Grading::Highest.combine(&shares), Some(0.9));
        assert_eq!(Grading::Last.combine(&shares), Some(0.4));
        assert!((Grading::Mean.combine(&shares).unwrap_or(0.0) - 0.6).abs() < 1e-9);
        assert_eq!(Grading::Mean.combine(&[]), None);
    }

    #[test]
    fn a_misspelt_field_gets_the_exam_formats_hint() {
        let (exam, _, diags) = parse_exam("e.toml", &GOOD.replace("time_limit", "time_limt"));
        assert!(exam.is_none());
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(
            diags[0].message.starts_with("unknown field `time_limt`"),
            "{}",
            diags[0].message
        );
        assert_eq!(
            diags[0].hint,
            Some("check the spelling; `docs/exam-format.md` lists the fields of an exam file")
        );
        // Other problems of an exam file get no hint (a deck's hints would point at the wrong format).
        let (_, _, diags) = parse_exam("e.toml", &GOOD.replace("questions = 10", "questions = 0"));
        assert!(diags.iter().all(|d| d.hint.is_none()), "{diags:?}");
    }
}
