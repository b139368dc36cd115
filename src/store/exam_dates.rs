//! Exam dates in the store: the learner's own exam date and scope, the exams that schedule a learner's
//! cards (loaded exam definitions with a `date`, the learner's, a session's `--exam-date`), how many new cards each
//! still has to introduce and how many today, the new cards a session adds to meet that pace, and the exam rule's
//! columns in the review log. The rule itself is pure, in [`crate::schedule::exam_date`].

use super::{Filter, counts};
use crate::error::Result;
use crate::schedule::Calendar;
use crate::schedule::exam_date::{self, DEFAULT_LEAD_DAYS, ExamDate, Upcoming};
use crate::time::{Day, UnixMs};
use chrono::NaiveDate;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};
use std::collections::HashSet;

/// A learner's own exam: its date and the deck ids or tags it covers (empty: every deck).
#[derive(Debug, Clone, PartialEq)]
pub struct LearnerExam {
    pub date: NaiveDate,
    pub scope: Vec<String>,
}

/// The learner's own exam, if they set one.
pub fn learner_exam(conn: &Connection, learner: i64) -> Result<Option<LearnerExam>> {
    let row: Option<(Option<String>, Option<String>)> = conn
        .query_row(
            "SELECT exam_date, exam_scope FROM learners WHERE id = ?1",
            [learner],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row.and_then(|(date, scope)| {
        Some(LearnerExam {
            date: crate::text::parse_date(&date?)?,
            scope: scope
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default(),
        })
    }))
}

/// Sets (or with `None` clears) the learner's own exam.
pub fn set_learner_exam(
    tx: &Transaction<'_>,
    learner: i64,
    exam: Option<&LearnerExam>,
) -> Result<()> {
    tx.execute(
        "UPDATE learners SET exam_date = ?2, exam_scope = ?3 WHERE id = ?1",
        params![
            learner,
            exam.map(|e| e.date.format("%Y-%m-%d").to_string()),
            exam.map(|e| serde_json::to_string(&e.scope).unwrap_or_else(|_| "[]".into()))
        ],
    )?;
    Ok(())
}

/// What an exam scope may name: every loaded deck's id and every tag a card carries, sorted.
pub fn scope_names(conn: &Connection) -> Result<(Vec<String>, Vec<String>)> {
    let decks = super::deck_titles(conn)?.into_keys().collect();
    let mut stmt = conn.prepare("SELECT DISTINCT tag FROM card_tags ORDER BY tag")?;
    let tags = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((decks, tags))
}

/// A scope of deck ids and tags as a filter: the entries naming a loaded deck are decks, the others tags.
pub fn scope_filter(conn: &Connection, scope: &[String]) -> Result<Filter> {
    let decks = super::deck_titles(conn)?;
    let (decks, tags): (Vec<String>, Vec<String>) =
        scope.iter().cloned().partition(|s| decks.contains_key(s));
    Ok(Filter { decks, tags })
}

/// The exams that schedule a learner's cards: every loaded exam definition with a date, the learner's own exam,
/// and `session` (a `study --exam-date` over that session's filter). Past ones are included; the rule ignores them.
pub fn upcoming(
    conn: &Connection,
    learner: i64,
    session: Option<(NaiveDate, &Filter)>,
) -> Result<Vec<Upcoming>> {
    let mut out = Vec::new();
    for row in super::exams(conn)? {
        let Ok(def) = serde_json::from_str::<crate::exam::Exam>(&row.definition) else {
            continue;
        };
        let Some(date) = def.date.as_deref().and_then(crate::text::parse_date) else {
            continue;
        };
        out.push(Upcoming {
            name: def.id.clone(),
            date: ExamDate::on(date, def.lead_days.unwrap_or(DEFAULT_LEAD_DAYS)),
            decks: def.decks.clone(),
            tags: def.tags.clone(),
        });
    }
    if let Some(own) = learner_exam(conn, learner)? {
        let f = scope_filter(conn, &own.scope)?;
        out.push(Upcoming {
            name: "learner".into(),
            date: ExamDate::on(own.date, DEFAULT_LEAD_DAYS),
            decks: f.decks,
            tags: f.tags,
        });
    }
    if let Some((date, f)) = session {
        out.push(Upcoming {
            name: "session".into(),
            date: ExamDate::on(date, DEFAULT_LEAD_DAYS),
            decks: f.decks.clone(),
            tags: f.tags.clone(),
        });
    }
    Ok(out)
}

/// Where an exam stands for a learner today: what `due` and `stats` show.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExamStatus {
    /// The exam's id, "learner" for the learner's own, "session" for `study --exam-date`.
    pub exam: String,
    pub date: String,
    pub days_left: i64,
    /// New cards in scope not seen yet.
    pub new_to_go: u32,
    /// New cards in scope to introduce today (those introduced today included).
    pub per_day: u32,
    /// What is left of that today.
    pub new_left_today: u32,
    /// "exam in 12 days: 143 new cards to go, 12 a day".
    pub line: String,
}

impl ExamStatus {
    /// The exam's name as shown: its id (cleaned), or "your exam" for the learner's own.
    pub fn title(&self) -> String {
        match self.exam.as_str() {
            "learner" => "Your exam".into(),
            "session" => "This session's exam".into(),
            id => crate::text::clean(id),
        }
    }
}

fn filter_of(e: &Upcoming) -> Filter {
    Filter {
        decks: e.decks.clone(),
        tags: e.tags.clone(),
    }
}

/// New cards in scope the learner has not seen (active cards of active decks without a card state).
pub fn new_to_go(conn: &Connection, learner: i64, filter: &Filter) -> Result<u32> {
    let (cond, args) = filter.sql();
    let sql = format!(
        "SELECT COUNT(*) FROM cards c JOIN decks d ON d.id = c.deck_id
         WHERE c.retired_at IS NULL AND d.retired_at IS NULL{cond}
           AND NOT EXISTS (SELECT 1 FROM card_states s WHERE s.learner_id = ? AND s.card_id = c.id)"
    );
    let mut vals: Vec<Value> = args.into_iter().map(Value::Text).collect();
    vals.push(Value::Integer(learner));
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(vals), |r| r.get(0))?)
}

/// New cards in scope the learner has introduced (studied for the first time) since `since`.
pub fn new_done_since(
    conn: &Connection,
    learner: i64,
    filter: &Filter,
    since: UnixMs,
) -> Result<u32> {
    let (cond, args) = filter.sql();
    let sql = format!(
        "SELECT COUNT(DISTINCT r.card_id) FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE r.learner_id = ? AND r.reviewed_at >= ? AND r.mode = 'study' AND r.phase_before = 0
           AND r.retracted = 0{cond}"
    );
    let mut vals = vec![Value::Integer(learner), Value::Integer(since.0)];
    vals.extend(args.into_iter().map(Value::Text));
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(vals), |r| r.get(0))?)
}

/// The status of each exam still ahead on the learner's day at `now`, soonest first.
pub fn statuses(
    conn: &Connection,
    learner: i64,
    exams: &[Upcoming],
    cal: &Calendar,
    now: i64,
) -> Result<Vec<ExamStatus>> {
    let today = cal.day_of(now);
    let since = cal.start_of_ms(today);
    let mut ahead: Vec<&Upcoming> = exams.iter().filter(|e| e.date.ahead(today)).collect();
    ahead.sort_by_key(|e| (e.date.day, e.name.clone()));
    let mut out = Vec::new();
    for e in ahead {
        let f = filter_of(e);
        let to_go = new_to_go(conn, learner, &f)?;
        let done = new_done_since(conn, learner, &f, since)?;
        let per_day = e.date.new_today(today, to_go + done);
        out.push(ExamStatus {
            exam: e.name.clone(),
            date: e
                .date
                .date()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            days_left: e.date.days_left(today),
            new_to_go: to_go,
            per_day,
            new_left_today: per_day.saturating_sub(done),
            line: exam_date::line(&e.date, today, to_go, per_day),
        });
    }
    Ok(out)
}

/// Both filters at once, as nearly as a [`Filter`] says it: the decks of both (either's when the other names
/// none), the tags of both (likewise); `None` when they share no deck or no tag, so that nothing matches both.
fn both(a: &Filter, b: &Filter) -> Option<Filter> {
    let meet = |x: &[String], y: &[String]| -> Option<Vec<String>> {
        match (x.is_empty(), y.is_empty()) {
            (true, _) => Some(y.to_vec()),
            (_, true) => Some(x.to_vec()),
            _ => Some(
                x.iter()
                    .filter(|v| y.contains(v))
                    .cloned()
                    .collect::<Vec<_>>(),
            )
            .filter(|v| !v.is_empty()),
        }
    };
    Some(Filter {
        decks: meet(&a.decks, &b.decks)?,
        tags: meet(&a.tags, &b.tags)?,
    })
}

/// Which of `ids` match `filter`.
fn matching(conn: &Connection, ids: &[i64], filter: &Filter) -> Result<HashSet<i64>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let (cond, args) = filter.sql();
    let sql = format!(
        "SELECT c.id FROM cards c WHERE c.id IN ({}){cond}",
        vec!["?"; ids.len()].join(",")
    );
    let mut vals: Vec<Value> = ids.iter().map(|i| Value::Integer(*i)).collect();
    vals.extend(args.into_iter().map(Value::Text));
    Ok(conn
        .prepare(&sql)?
        .query_map(params_from_iter(vals), |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// The new cards to add to `ordinary` (today's new cards by the daily limit, within the session's `filter`) so
/// that each exam ahead gets its day's share ([`ExamStatus::new_left_today`]) from its scope: the exam's pace
/// raises the day's count, never lowers it.
pub fn extra_new(
    conn: &Connection,
    learner: i64,
    filter: &Filter,
    ordinary: &[i64],
    exams: &[Upcoming],
    statuses: &[ExamStatus],
    notes_today: &HashSet<String>,
) -> Result<Vec<i64>> {
    let mut picked: Vec<i64> = ordinary.to_vec();
    let mut extra = Vec::new();
    for s in statuses.iter().filter(|s| s.new_left_today > 0) {
        let Some(e) = exams.iter().find(|e| e.name == s.exam) else {
            continue;
        };
        let Some(scoped) = both(filter, &filter_of(e)) else {
            continue;
        };
        let have = matching(conn, &picked, &scoped)?.len() as u32;
        let need = s.new_left_today.saturating_sub(have);
        if need == 0 {
            continue;
        }
        let already: HashSet<i64> = picked.iter().copied().collect();
        let more: Vec<i64> = counts::new_for_today(
            conn,
            learner,
            &scoped,
            need + picked.len() as u32,
            notes_today,
        )?
        .into_iter()
        .filter(|id| !already.contains(id))
        .take(need as usize)
        .collect();
        picked.extend(&more);
        extra.extend(more);
    }
    Ok(extra)
}

/// Records the exam rule on a review: the exam day in force, and the interval it replaced when it shortened one.
pub fn mark_review(
    tx: &Transaction<'_>,
    review: i64,
    exam_day: Day,
    shortened_from: Option<u32>,
) -> Result<()> {
    tx.prepare_cached("UPDATE reviews SET exam_day = ?2, exam_shortened_from = ?3 WHERE id = ?1")?
        .execute(params![review, exam_day, shortened_from])?;
    Ok(())
}

/// The tags of a card, for [`Upcoming::covers`].
pub fn card_tags(conn: &Connection, card: i64) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached("SELECT tag FROM card_tags WHERE card_id = ?1")?
        .query_map([card], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// How many new cards the exams ahead add to what a session started now over `filter` would introduce (see
/// [`extra_new`]): what `due` and `stats` add to today's new cards.
pub fn extra_today(
    conn: &Connection,
    learner: &super::Learner,
    filter: &Filter,
    exams: &[Upcoming],
    statuses: &[ExamStatus],
    cal: &Calendar,
    now: i64,
) -> Result<u32> {
    if statuses.iter().all(|s| s.new_left_today == 0) {
        return Ok(0);
    }
    let done = super::today(conn, learner.id, cal.start_of_ms(cal.day_of(now)))?;
    let ordinary = counts::new_for_today(
        conn,
        learner.id,
        filter,
        counts::new_limit_left(learner, done.new_done),
        &done.notes,
    )?;
    Ok(extra_new(
        conn,
        learner.id,
        filter,
        &ordinary,
        exams,
        statuses,
        &done.notes,
    )?
    .len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(decks: &[&str], tags: &[&str]) -> Filter {
        Filter {
            decks: decks.iter().map(|s| s.to_string()).collect(),
            tags: tags.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_session_and_an_exam_meet() {
        assert_eq!(both(&f(&[], &[]), &f(&["a"], &[])), Some(f(&["a"], &[])));
        assert_eq!(
            both(&f(&["a", "b"], &["t"]), &f(&["b"], &[])),
            Some(f(&["b"], &["t"]))
        );
        // No deck in common: nothing in both, not everything.
        assert_eq!(both(&f(&["a"], &[]), &f(&["b"], &[])), None);
    }
}
