//! What an exam attempt shows at its end: each question's result and the attempt's [`ExamSummary`], rendered as
//! plain text, with the stored responses turned back into what the learner answered.

use crate::deck::Body;

/// One question of a closed attempt, for the summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QuestionResult {
    pub number: usize,
    pub kind: String,
    pub prompt: String,
    /// What was answered, as text; `None` when the question was not answered.
    pub given: Option<String>,
    pub expected: String,
    pub credit: f64,
}

/// The result of a closed attempt: the only feedback an exam gives.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExamSummary {
    pub exam: String,
    pub title: String,
    pub attempt: u32,
    pub attempts_allowed: Option<u32>,
    pub score: f64,
    pub max_score: f64,
    pub percent: f64,
    pub pass_mark: f64,
    pub passed: bool,
    /// The time limit ended the attempt.
    pub timed_out: bool,
    /// Flashcards the learner graded themselves were scored.
    pub self_graded: bool,
    pub questions: Vec<QuestionResult>,
}

impl ExamSummary {
    /// The summary as plain text: the [`headline`](Self::headline), then each question right or wrong with the
    /// expected answer.
    pub fn render(&self) -> String {
        format!("{}\n{}", self.headline(), self.questions())
            .trim_end()
            .to_string()
    }

    /// Whether time ran out, the score, the percent, pass or fail.
    pub fn headline(&self) -> String {
        let mut out = String::new();
        if self.timed_out {
            out.push_str(
                "Time ran out: the attempt closed by itself at the deadline. Unanswered questions count as wrong.\n",
            );
        }
        let of = self
            .attempts_allowed
            .map_or(String::new(), |n| format!(" of {n}"));
        out.push_str(&format!(
            "Exam over: {} (attempt {}{of})\nScore: {} / {} ({:.0}%): {} (pass mark {:.0}%)\n",
            self.title,
            self.attempt,
            points(self.score),
            points(self.max_score),
            self.percent,
            if self.passed { "PASS" } else { "FAIL" },
            self.pass_mark
        ));
        if self.self_graded {
            out.push_str("The score includes flashcards you graded yourself.\n");
        }
        out.trim_end().to_string()
    }

    fn questions(&self) -> String {
        let mut out = String::new();
        for q in &self.questions {
            let mark = if q.credit >= 1.0 - 1e-9 {
                "\u{2713}".to_string()
            } else if q.credit > 0.0 {
                format!("~ {}", points(q.credit))
            } else {
                "\u{2717}".to_string()
            };
            let prompt = q.prompt.replace('\n', " ");
            out.push_str(&format!("{:>3}. {mark} {prompt}\n", q.number));
            if q.credit < 1.0 - 1e-9 {
                let given = q.given.as_deref().unwrap_or("(no answer)");
                out.push_str(&format!(
                    "       your answer: {given}\n       expected: {}\n",
                    q.expected
                ));
            }
        }
        out.trim_end().to_string()
    }
}

/// Points with at most two decimals: "7", "7.5", "6.67".
fn points(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What a stored response says, as text.
pub(super) fn given_text(body: &Body, response: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(response).unwrap_or(serde_json::Value::Null);
    match (body, &v) {
        (Body::Flashcard { .. }, serde_json::Value::Number(n)) => {
            if n.as_u64().unwrap_or(0) > 1 {
                "knew it (self-graded)".into()
            } else {
                "did not know it (self-graded)".into()
            }
        }
        (_, serde_json::Value::String(s)) => s.clone(),
        (_, serde_json::Value::Bool(b)) => if *b { "True" } else { "False" }.into(),
        (_, serde_json::Value::Array(items)) if items.is_empty() => "(nothing)".into(),
        (_, serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(pair) => pair
                    .iter()
                    .filter_map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(" \u{2192} "),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        (_, other) => other.to_string(),
    }
}
