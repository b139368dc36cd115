//! The store's side of progress bundles: reading one learner's reviews, exam attempts and the deck versions they
//! refer to, with cards named by deck id + card key + sibling; merging those into another database without
//! duplicates; and replacing a learner's card states with ones recomputed from the merged log.

use crate::error::Result;
use crate::schedule::CardState;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::BTreeMap;

/// One review, every column of the review log but the local row ids (learner, card and session).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleReview {
    pub deck: String,
    pub card: String,
    pub sibling: i64,
    pub reviewed_at: i64,
    pub day: i64,
    pub mode: String,
    pub response: String,
    pub correct: bool,
    pub rule: String,
    pub rating: i64,
    pub duration_ms: i64,
    pub phase_before: i64,
    pub step_before: Option<i64>,
    pub stability_before: Option<f64>,
    pub difficulty_before: Option<f64>,
    pub due_before: Option<i64>,
    pub last_review_before: Option<i64>,
    pub last_day_before: Option<i64>,
    pub interval_before: Option<i64>,
    pub reps_before: Option<i64>,
    pub lapses_before: Option<i64>,
    pub leech_before: Option<i64>,
    pub phase_after: i64,
    pub step_after: i64,
    pub stability_after: f64,
    pub difficulty_after: f64,
    pub due_after: i64,
    pub interval_days: i64,
    pub elapsed_days: i64,
    /// The exam day in force for the card (the exam rule), absent when none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exam_day: Option<i64>,
    /// The interval the exam rule replaced, when it shortened one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exam_shortened_from: Option<i64>,
}

/// One answer of an exam attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleAnswer {
    pub position: i64,
    pub deck: String,
    pub card: String,
    pub sibling: i64,
    pub response: String,
    pub credit: f64,
    pub correct: bool,
    pub answered_at: i64,
    pub duration_ms: i64,
}

/// One exam attempt with its answers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleAttempt {
    pub exam_id: String,
    pub number: i64,
    pub seed: i64,
    pub paper: String,
    pub started_at: i64,
    pub deadline: Option<i64>,
    pub closed_at: Option<i64>,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    pub answers: Vec<BundleAnswer>,
}

/// A deck version a bundle refers to.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleDeck {
    pub id: String,
    pub content_hash: String,
}

/// A learner's whole review log (every mode), oldest first.
pub fn bundle_reviews(conn: &Connection, learner: i64) -> Result<Vec<BundleReview>> {
    let mut out = Vec::new();
    for_each_bundle_review(conn, learner, |r| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

/// A learner's whole review log (every mode), oldest first, one review at a time: a bundle is written as it is
/// read, never held whole. Stops at the first error `each` returns.
pub fn for_each_bundle_review(
    conn: &Connection,
    learner: i64,
    mut each: impl FnMut(BundleReview) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.deck_id, c.card_key, c.sibling, r.reviewed_at, r.day, r.mode, r.response, r.correct, r.rule,
            r.rating, r.duration_ms, r.phase_before, r.step_before, r.stability_before, r.difficulty_before,
            r.due_before, r.last_review_before, r.last_day_before, r.interval_before, r.reps_before,
            r.lapses_before, r.leech_before, r.phase_after, r.step_after, r.stability_after, r.difficulty_after,
            r.due_after, r.interval_days, r.elapsed_days, r.exam_day, r.exam_shortened_from
         FROM reviews r JOIN cards c ON c.id = r.card_id WHERE r.learner_id = ?1 ORDER BY r.reviewed_at, r.id",
    )?;
    let mut rows = stmt.query([learner])?;
    while let Some(r) = rows.next()? {
        each(BundleReview {
            deck: r.get(0)?,
            card: r.get(1)?,
            sibling: r.get(2)?,
            reviewed_at: r.get(3)?,
            day: r.get(4)?,
            mode: r.get(5)?,
            response: r.get(6)?,
            correct: r.get(7)?,
            rule: r.get(8)?,
            rating: r.get(9)?,
            duration_ms: r.get(10)?,
            phase_before: r.get(11)?,
            step_before: r.get(12)?,
            stability_before: r.get(13)?,
            difficulty_before: r.get(14)?,
            due_before: r.get(15)?,
            last_review_before: r.get(16)?,
            last_day_before: r.get(17)?,
            interval_before: r.get(18)?,
            reps_before: r.get(19)?,
            lapses_before: r.get(20)?,
            leech_before: r.get(21)?,
            phase_after: r.get(22)?,
            step_after: r.get(23)?,
            stability_after: r.get(24)?,
            difficulty_after: r.get(25)?,
            due_after: r.get(26)?,
            interval_days: r.get(27)?,
            elapsed_days: r.get(28)?,
            exam_day: r.get(29)?,
            exam_shortened_from: r.get(30)?,
        })?;
    }
    Ok(())
}

/// A learner's exam attempts with their answers, by exam and number.
pub fn bundle_attempts(conn: &Connection, learner: i64) -> Result<Vec<BundleAttempt>> {
    let mut stmt = conn.prepare(
        "SELECT id, exam_id, number, seed, paper, started_at, deadline, closed_at, score, max_score
         FROM attempts WHERE learner_id = ?1 ORDER BY exam_id, number",
    )?;
    let heads = stmt
        .query_map([learner], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                BundleAttempt {
                    exam_id: r.get(1)?,
                    number: r.get(2)?,
                    seed: r.get(3)?,
                    paper: r.get(4)?,
                    started_at: r.get(5)?,
                    deadline: r.get(6)?,
                    closed_at: r.get(7)?,
                    score: r.get(8)?,
                    max_score: r.get(9)?,
                    answers: Vec::new(),
                },
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut answers = conn.prepare(
        "SELECT a.position, c.deck_id, c.card_key, c.sibling, a.response, a.credit, a.correct, a.answered_at,
            a.duration_ms
         FROM attempt_answers a JOIN cards c ON c.id = a.card_id WHERE a.attempt_id = ?1 ORDER BY a.position",
    )?;
    let mut out = Vec::with_capacity(heads.len());
    for (id, mut attempt) in heads {
        attempt.answers = answers
            .query_map([id], |r| {
                Ok(BundleAnswer {
                    position: r.get(0)?,
                    deck: r.get(1)?,
                    card: r.get(2)?,
                    sibling: r.get(3)?,
                    response: r.get(4)?,
                    credit: r.get(5)?,
                    correct: r.get(6)?,
                    answered_at: r.get(7)?,
                    duration_ms: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.push(attempt);
    }
    Ok(out)
}

/// The decks (and their content hashes) that a learner's reviews, exam answers and flags refer to.
pub fn bundle_decks(conn: &Connection, learner: i64) -> Result<Vec<BundleDeck>> {
    let mut stmt = conn.prepare(
        "SELECT d.id, d.content_hash FROM decks d WHERE d.id IN (
            SELECT c.deck_id FROM reviews r JOIN cards c ON c.id = r.card_id WHERE r.learner_id = ?1
            UNION
            SELECT c.deck_id FROM attempt_answers a JOIN attempts t ON t.id = a.attempt_id
                JOIN cards c ON c.id = a.card_id WHERE t.learner_id = ?1
            UNION
            SELECT c.deck_id FROM flags f JOIN cards c ON c.id = f.card_id WHERE f.learner_id = ?1)
         ORDER BY d.id",
    )?;
    let rows = stmt
        .query_map([learner], |r| {
            Ok(BundleDeck {
                id: r.get(0)?,
                content_hash: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The local row id of a study item; `None` if this database has no such card.
pub fn card_id(conn: &Connection, deck: &str, card: &str, sibling: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM cards WHERE deck_id = ?1 AND card_key = ?2 AND sibling = ?3",
        )?
        .query_row(params![deck, card, sibling], |r| r.get(0))
        .optional()?)
}

/// A deck's content hash; `None` if it is not loaded.
pub fn deck_hash(conn: &Connection, deck: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT content_hash FROM decks WHERE id = ?1",
            [deck],
            |r| r.get(0),
        )
        .optional()?)
}

/// Whether an exam is loaded.
pub fn exam_exists(conn: &Connection, exam: &str) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM exams WHERE id = ?1", [exam], |_| Ok(()))
        .optional()?
        .is_some())
}

/// When a learner's attempt `number` at an exam started, if this database has it.
pub fn attempt_started(
    conn: &Connection,
    learner: i64,
    exam: &str,
    number: i64,
) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT started_at FROM attempts WHERE learner_id = ?1 AND exam_id = ?2 AND number = ?3",
            params![learner, exam, number],
            |r| r.get(0),
        )
        .optional()?)
}

/// What a merge added.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MergeReport {
    pub reviews_added: usize,
    pub reviews_known: usize,
    pub attempts_added: usize,
    pub attempts_known: usize,
}

/// Adds the reviews (each with its local card id) a learner's log lacks. A review is the same review when learner,
/// card and time (milliseconds) agree; those already present are counted and left alone.
pub fn merge_reviews(
    tx: &Transaction<'_>,
    learner: i64,
    reviews: &[(i64, &BundleReview)],
    report: &mut MergeReport,
) -> Result<()> {
    let mut exists = tx.prepare_cached(
        "SELECT 1 FROM reviews WHERE learner_id = ?1 AND card_id = ?2 AND reviewed_at = ?3",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO reviews (learner_id, card_id, session_id, reviewed_at, day, mode, response, correct, rule,
            rating, duration_ms, phase_before, step_before, stability_before, difficulty_before, due_before,
            last_review_before, last_day_before, interval_before, reps_before, lapses_before, leech_before,
            phase_after, step_after, stability_after, difficulty_after, due_after, interval_days, elapsed_days,
            exam_day, exam_shortened_from)
         VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
            ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)",
    )?;
    for (card, r) in reviews {
        if exists
            .query_row(params![learner, card, r.reviewed_at], |_| Ok(()))
            .optional()?
            .is_some()
        {
            report.reviews_known += 1;
            continue;
        }
        insert.execute(params![
            learner,
            card,
            r.reviewed_at,
            r.day,
            r.mode,
            r.response,
            r.correct,
            r.rule,
            r.rating,
            r.duration_ms,
            r.phase_before,
            r.step_before,
            r.stability_before,
            r.difficulty_before,
            r.due_before,
            r.last_review_before,
            r.last_day_before,
            r.interval_before,
            r.reps_before,
            r.lapses_before,
            r.leech_before,
            r.phase_after,
            r.step_after,
            r.stability_after,
            r.difficulty_after,
            r.due_after,
            r.interval_days,
            r.elapsed_days,
            r.exam_day,
            r.exam_shortened_from
        ])?;
        report.reviews_added += 1;
    }
    Ok(())
}

/// Adds the exam attempts a learner lacks (an attempt is known by exam and number), each answer with its local
/// card id in the same order as `attempt.answers`. They are marked unsupervised: sat on the learner's own machine,
/// in a file the learner could have edited.
pub fn merge_attempts(
    tx: &Transaction<'_>,
    learner: i64,
    attempts: &[(&BundleAttempt, Vec<i64>)],
    report: &mut MergeReport,
) -> Result<()> {
    for (a, cards) in attempts {
        if attempt_started(tx, learner, &a.exam_id, a.number)?.is_some() {
            report.attempts_known += 1;
            continue;
        }
        tx.execute(
            "INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, deadline, closed_at, score,
                max_score, unsupervised) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)",
            params![
                a.exam_id,
                learner,
                a.number,
                a.seed,
                a.paper,
                a.started_at,
                a.deadline,
                a.closed_at,
                a.score,
                a.max_score
            ],
        )?;
        let attempt = tx.last_insert_rowid();
        for (answer, card) in a.answers.iter().zip(cards) {
            tx.execute(
                "INSERT INTO attempt_answers (attempt_id, position, card_id, response, credit, correct, answered_at,
                    duration_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    attempt,
                    answer.position,
                    card,
                    answer.response,
                    answer.credit,
                    answer.correct,
                    answer.answered_at,
                    answer.duration_ms
                ],
            )?;
        }
        report.attempts_added += 1;
    }
    Ok(())
}

/// Replaces all of a learner's card states with the given ones (cards absent from the map are new to them).
pub fn replace_states(
    tx: &Transaction<'_>,
    learner: i64,
    states: &BTreeMap<i64, CardState>,
) -> Result<()> {
    tx.execute("DELETE FROM card_states WHERE learner_id = ?1", [learner])?;
    for (card, state) in states {
        super::put_state(tx, learner, *card, Some(state))?;
    }
    Ok(())
}

/// 2000-01-01, Unix seconds: no review or exam in a bundle is older.
pub const EARLIEST_S: i64 = 946_684_800;
/// How far ahead of this machine's clock a bundle's moments may be (clocks differ): one day, in seconds.
pub const CLOCK_SLACK_S: i64 = 86_400;
/// The longest interval the scheduler gives, with room: 101 years in seconds.
const LONGEST_S: i64 = 101 * 366 * 86_400;

/// The modes a review can have been made in, and the rules a verdict can have been reached by.
pub const MODES: [&str; 3] = ["study", "cram", "exam"];
pub const RULES: [&str; 7] = [
    "exact", "alias", "typo", "words", "wrong", "self", "override",
];

/// Checks a moment in Unix seconds: not before 2000, not more than a day ahead of `now_s`.
fn moment(field: &str, value: i64, now_s: i64) -> std::result::Result<(), String> {
    if (EARLIEST_S..=now_s.saturating_add(CLOCK_SLACK_S)).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "`{field}` is {value}, not a moment between 2000 and tomorrow"
        ))
    }
}

/// Checks a moment in Unix milliseconds, as [`moment`].
fn moment_ms(field: &str, value: i64, now_s: i64) -> std::result::Result<(), String> {
    moment(field, value.div_euclid(1000), now_s).map_err(|_| {
        format!("`{field}` is {value}, not a moment between 2000 and tomorrow (Unix milliseconds)")
    })
}

fn at_least(field: &str, value: i64, min: i64) -> std::result::Result<(), String> {
    if value >= min {
        Ok(())
    } else {
        Err(format!("`{field}` is {value}, less than {min}"))
    }
}

fn within(field: &str, value: f64, low: f64, high: f64) -> std::result::Result<(), String> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "`{field}` is {value}, not a number from {low} to {high}"
        ))
    }
}

/// Checks every value of a bundled review against its domain: moments between 2000 and a day ahead of `now_s`
/// (Unix seconds), known modes, rules and phases, ratings 1 to 4, finite stabilities and difficulties in the
/// scheduler's range, no negative count. The message names the offending field.
pub fn validate_review(r: &BundleReview, now_s: i64) -> std::result::Result<(), String> {
    moment_ms("reviewed_at", r.reviewed_at, now_s)?;
    if !MODES.contains(&r.mode.as_str()) {
        return Err(format!(
            "`mode` is {:?}, not one of {}",
            r.mode,
            MODES.join(", ")
        ));
    }
    if !RULES.contains(&r.rule.as_str()) {
        return Err(format!(
            "`rule` is {:?}, not one of {}",
            r.rule,
            RULES.join(", ")
        ));
    }
    if !(1..=4).contains(&r.rating) {
        return Err(format!("`rating` is {}, not 1 to 4", r.rating));
    }
    if !(0..=3).contains(&r.phase_before) {
        return Err(format!("`phase_before` is {}, not 0 to 3", r.phase_before));
    }
    if !(1..=3).contains(&r.phase_after) {
        return Err(format!("`phase_after` is {}, not 1 to 3", r.phase_after));
    }
    for (field, v) in [
        ("sibling", Some(r.sibling)),
        ("day", Some(r.day)),
        ("duration_ms", Some(r.duration_ms)),
        ("step_before", r.step_before),
        ("last_day_before", r.last_day_before),
        ("interval_before", r.interval_before),
        ("reps_before", r.reps_before),
        ("lapses_before", r.lapses_before),
        ("leech_before", r.leech_before),
        ("step_after", Some(r.step_after)),
        ("interval_days", Some(r.interval_days)),
        ("elapsed_days", Some(r.elapsed_days)),
    ] {
        if let Some(v) = v {
            at_least(field, v, 0)?;
        }
    }
    for (field, v) in [
        ("stability_before", r.stability_before),
        ("stability_after", Some(r.stability_after)),
    ] {
        if let Some(v) = v {
            within(field, v, 0.0, 36_500.0 * 2.0)?;
        }
    }
    for (field, v) in [
        ("difficulty_before", r.difficulty_before),
        ("difficulty_after", Some(r.difficulty_after)),
    ] {
        if let Some(v) = v {
            within(field, v, 1.0, 10.0)?;
        }
    }
    if let Some(v) = r.last_review_before {
        moment("last_review_before", v, now_s)?;
    }
    let reviewed_s = r.reviewed_at.div_euclid(1000);
    for (field, v) in [
        ("due_before", r.due_before),
        ("due_after", Some(r.due_after)),
    ] {
        if let Some(v) = v
            && !(EARLIEST_S..=reviewed_s.saturating_add(LONGEST_S)).contains(&v)
        {
            return Err(format!(
                "`{field}` is {v}, not a moment between 2000 and a century after the review"
            ));
        }
    }
    Ok(())
}

/// Checks a bundled exam attempt and its answers, as [`validate_review`]: moments, finite scores within the
/// maximum, credits from 0 to 1.
pub fn validate_attempt(a: &BundleAttempt, now_s: i64) -> std::result::Result<(), String> {
    at_least("number", a.number, 1)?;
    moment_ms("started_at", a.started_at, now_s)?;
    if let Some(d) = a.deadline {
        moment_ms("deadline", d, now_s)?;
        at_least("deadline", d, a.started_at)?;
    }
    if let Some(c) = a.closed_at {
        moment_ms("closed_at", c, now_s)?;
        at_least("closed_at", c, a.started_at)?;
    }
    let max = a.max_score.unwrap_or(f64::MAX);
    if let Some(m) = a.max_score {
        within("max_score", m, 0.0, 1e6)?;
    }
    if let Some(s) = a.score {
        within("score", s, 0.0, max)?;
    }
    for x in &a.answers {
        at_least("answers.position", x.position, 0)?;
        at_least("answers.sibling", x.sibling, 0)?;
        at_least("answers.duration_ms", x.duration_ms, 0)?;
        within("answers.credit", x.credit, 0.0, 1.0)?;
        moment_ms("answers.answered_at", x.answered_at, now_s)?;
    }
    Ok(())
}

/// Checks a bundled flag: its moments, and its note free of control characters.
pub fn validate_flag(f: &super::BundleFlag, now_s: i64) -> std::result::Result<(), String> {
    at_least("sibling", f.sibling, 0)?;
    moment("flagged_at", f.flagged_at, now_s)?;
    if let Some(c) = f.closed_at {
        moment("closed_at", c, now_s)?;
    }
    Ok(())
}
