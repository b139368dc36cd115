//! The exams a class server runs, in PostgreSQL: [`ExamRecords`] on a transaction the caller scoped (a learner's
//! for an attempt and its answers, the course's for loading an exam, the closer and extra time), as the SQLite
//! `Store` does it in `store::exam_records`. Text is ordered by code point (the "C" collation) as SQLite orders it,
//! and a tag's pattern is SQLite's GLOB read as a POSIX regular expression.
//!
//! A learner's exam work is serialised per learner ([`lock_learner`], a transaction-long advisory lock): their own
//! requests, the closer closing their attempts and a teacher's extra time for them, as the SQLite server's one
//! store serialises every request, so that a sequence number is checked and kept in one step and no answer lands
//! in an attempt the closer is scoring.

use super::Transaction;
use crate::error::{Error, Result};
use crate::store::{
    Attempt, AttemptAnswer, DeckAnswers, ExamRecords, ExamRow, Filter, Learner, StoredCard, Upsert,
};
use crate::time::UnixMs;
use postgres::Row;
use postgres::types::ToSql;
use std::collections::HashMap;

/// Takes the transaction-long lock on `learner`'s exam work (see the module's doc).
pub fn lock_learner(tx: &mut Transaction<'_>, learner: i64) -> Result<()> {
    // Two keys: the namespace and the learner (folded into 31 bits: a collision only serialises two learners).
    let key = (learner & 0x7fff_ffff) as i32;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('detente.exam'), $1)",
        &[&key],
    )?;
    Ok(())
}

/// SQLite's GLOB pattern as an anchored POSIX regular expression: `*` any text, `?` one character, `[...]` a class
/// (`[^...]` its complement), everything else itself, case counting.
pub(super) fn glob_regex(glob: &str) -> String {
    let mut out = String::from("^");
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => {
                let mut class = String::from("[");
                if chars.peek() == Some(&'^') {
                    chars.next();
                    class.push('^');
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    class.push_str("\\]");
                }
                let mut closed = false;
                for c in chars.by_ref() {
                    match c {
                        ']' => {
                            closed = true;
                            break;
                        }
                        '\\' => class.push_str("\\\\"),
                        c => class.push(c),
                    }
                }
                if !closed {
                    // SQLite: a class never closed matches nothing.
                    return "$.^".to_string();
                }
                class.push(']');
                out.push_str(&class);
            }
            c if "\\.+()|{}^$[]".contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('$');
    out
}

/// The filter's conditions on the card alias `c` (as `Filter::sql` for SQLite), its parameters numbered from
/// `$from`.
fn filter_sql(filter: &Filter, from: usize) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut args = Vec::new();
    let mut n = from;
    let mut next = || {
        n += 1;
        format!("${}", n - 1)
    };
    if !filter.decks.is_empty() {
        let marks: Vec<String> = filter.decks.iter().map(|_| next()).collect();
        sql.push_str(&format!(" AND c.deck_id IN ({})", marks.join(",")));
        args.extend(filter.decks.iter().cloned());
    }
    if !filter.tags.is_empty() {
        let ors: Vec<String> = filter
            .tags
            .iter()
            .map(|_| format!("t.tag ~ {}", next()))
            .collect();
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM card_tags t WHERE t.card_id = c.id AND ({}))",
            ors.join(" OR ")
        ));
        args.extend(filter.tags.iter().map(|t| glob_regex(t)));
    }
    (sql, args)
}

fn params(args: &[String]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

const EXAM_COLUMNS: &str = "id, title, definition, content_hash, questions, time_limit, attempts, grading, pass_mark, loaded_at";

/// A count stored as bigint, as the u32 the program holds.
fn count(r: &Row, i: usize) -> Result<u32> {
    let n: i64 = r.try_get(i)?;
    u32::try_from(n).map_err(|_| Error::InvalidData(format!("a stored count {n} is out of range")))
}

fn exam_row(r: &Row) -> Result<ExamRow> {
    let attempts: Option<i64> = r.try_get(6)?;
    Ok(ExamRow {
        id: r.try_get(0)?,
        title: r.try_get(1)?,
        definition: r.try_get(2)?,
        content_hash: r.try_get(3)?,
        questions: count(r, 4)?,
        time_limit: r.try_get(5)?,
        attempts: attempts.map(|a| a as u32),
        grading: r.try_get(7)?,
        pass_mark: r.try_get(8)?,
        loaded_at: r.try_get(9)?,
    })
}

const ATTEMPT_COLUMNS: &str = "id, exam_id, learner_id, number, seed, paper, started_at, deadline, closed_at, score, max_score, unsupervised";

fn attempt_row(r: &Row) -> Result<Attempt> {
    let paper: String = r.try_get(5)?;
    let ms =
        |i: usize| -> Result<Option<UnixMs>> { Ok(r.try_get::<_, Option<i64>>(i)?.map(UnixMs)) };
    Ok(Attempt {
        id: r.try_get(0)?,
        exam_id: r.try_get(1)?,
        learner_id: r.try_get(2)?,
        number: count(r, 3)?,
        seed: r.try_get::<_, i64>(4)? as u64,
        paper: serde_json::from_str(&paper).unwrap_or_default(),
        started_at: UnixMs(r.try_get(6)?),
        deadline: ms(7)?,
        closed_at: ms(8)?,
        score: r.try_get(9)?,
        max_score: r.try_get(10)?,
        unsupervised: r.try_get(11)?,
    })
}

impl ExamRecords for Transaction<'_> {
    fn exams(&mut self) -> Result<Vec<ExamRow>> {
        self.query(
            &format!("SELECT {EXAM_COLUMNS} FROM exams ORDER BY id COLLATE \"C\""),
            &[],
        )?
        .iter()
        .map(exam_row)
        .collect()
    }

    fn exam(&mut self, id: &str) -> Result<Option<ExamRow>> {
        self.query_opt(
            &format!("SELECT {EXAM_COLUMNS} FROM exams WHERE id = $1"),
            &[&id],
        )?
        .as_ref()
        .map(exam_row)
        .transpose()
    }

    fn deck_ids(&mut self) -> Result<Vec<String>> {
        self.query("SELECT id FROM decks WHERE retired_at IS NULL", &[])?
            .iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
    }

    fn learner_by_name(&mut self, name: &str) -> Result<Option<Learner>> {
        super::learners::learner_by_name(self, name)
    }

    fn exam_pool(&mut self, filter: &Filter, flashcards: bool) -> Result<Vec<(i64, String)>> {
        let (cond, args) = filter_sql(filter, 1);
        let kinds = if flashcards {
            ""
        } else {
            " AND c.kind <> 'flashcard'"
        };
        let sql = format!(
            "SELECT c.id, c.deck_id || '/' || c.card_key FROM cards c JOIN decks d ON d.id = c.deck_id
             WHERE c.retired_at IS NULL AND d.retired_at IS NULL{kinds}{cond}
             ORDER BY c.deck_id COLLATE \"C\", c.position, c.sibling"
        );
        self.query(&sql, &params(&args))?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn study_decks_drawn(&mut self, filter: &Filter) -> Result<Vec<String>> {
        let (cond, args) = filter_sql(filter, 1);
        let sql = format!(
            "SELECT DISTINCT c.deck_id COLLATE \"C\" FROM cards c JOIN decks d ON d.id = c.deck_id
             WHERE c.retired_at IS NULL AND d.retired_at IS NULL
               AND (NOT d.exam_only OR {}){cond} ORDER BY 1",
            crate::store::SHARED_BANK
        );
        self.query(&sql, &params(&args))?
            .iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
    }

    fn upsert_exam(&mut self, e: &ExamRow) -> Result<Upsert> {
        let old: Option<String> = self
            .query_opt("SELECT content_hash FROM exams WHERE id = $1", &[&e.id])?
            .map(|r| r.try_get(0))
            .transpose()?;
        if old.as_deref() == Some(e.content_hash.as_str()) {
            return Ok(Upsert::Unchanged);
        }
        self.execute(
            &format!(
                "INSERT INTO exams ({EXAM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, definition = excluded.definition,
                   content_hash = excluded.content_hash, questions = excluded.questions,
                   time_limit = excluded.time_limit, attempts = excluded.attempts, grading = excluded.grading,
                   pass_mark = excluded.pass_mark, loaded_at = excluded.loaded_at"
            ),
            &[
                &e.id,
                &e.title,
                &e.definition,
                &e.content_hash,
                &i64::from(e.questions),
                &e.time_limit,
                &e.attempts.map(i64::from),
                &e.grading,
                &e.pass_mark,
                &e.loaded_at,
            ],
        )?;
        Ok(if old.is_some() {
            Upsert::Changed
        } else {
            Upsert::Added
        })
    }

    fn close_expired(&mut self, now: UnixMs, grace_ms: i64) -> Result<usize> {
        let due: Vec<(i64, i64)> = self
            .query(
                "SELECT id, learner_id FROM attempts
                 WHERE closed_at IS NULL AND deadline IS NOT NULL AND deadline + $2 < $1
                 ORDER BY learner_id, id",
                &[&now.0, &grace_ms],
            )?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_>>()?;
        if due.is_empty() {
            return Ok(0);
        }
        // In the learners' order (every other holder takes one learner's lock only, so no two wait on each other).
        let mut learners: Vec<i64> = due.iter().map(|&(_, l)| l).collect();
        learners.dedup();
        for learner in learners {
            lock_learner(self, learner)?;
        }
        let ids: Vec<i64> = due.iter().map(|&(id, _)| id).collect();
        // Checked again under the locks: an answer or a submission may have come first.
        Ok(self.execute(
            "UPDATE attempts SET closed_at = deadline,
                score = (SELECT coalesce(sum(a.credit), 0.0) FROM attempt_answers a
                         WHERE a.learner_id = attempts.learner_id AND a.attempt_id = attempts.id
                           AND a.answered_at <= attempts.deadline + $2),
                max_score = json_array_length(paper::json)
             WHERE id = ANY($3) AND closed_at IS NULL AND deadline IS NOT NULL AND deadline + $2 < $1",
            &[&now.0, &grace_ms, &ids],
        )? as usize)
    }

    fn supervised_attempts(&mut self, exam: &str, learner: i64) -> Result<Vec<Attempt>> {
        self.query(
            &format!(
                "SELECT {ATTEMPT_COLUMNS} FROM attempts
                 WHERE exam_id = $1 AND learner_id = $2 AND NOT unsupervised ORDER BY number"
            ),
            &[&exam, &learner],
        )?
        .iter()
        .map(attempt_row)
        .collect()
    }

    fn next_attempt_number(&mut self, exam: &str, learner: i64) -> Result<u32> {
        let row = self.query_one(
            "SELECT coalesce(max(number), 0) + 1 FROM attempts
             WHERE exam_id = $1 AND learner_id = $2 AND NOT unsupervised",
            &[&exam, &learner],
        )?;
        let mut n: i64 = row.try_get(0)?;
        while self
            .query_opt(
                "SELECT 1 FROM attempts WHERE exam_id = $1 AND learner_id = $2 AND number = $3",
                &[&exam, &learner, &n],
            )?
            .is_some()
        {
            n += 1;
        }
        u32::try_from(n)
            .map_err(|_| Error::InvalidData(format!("attempt number {n} is out of range")))
    }

    fn extra_minutes(&mut self, exam: &str, learner: i64) -> Result<u32> {
        match self.query_opt(
            "SELECT minutes FROM exam_extra_time WHERE learner_id = $1 AND exam_id = $2",
            &[&learner, &exam],
        )? {
            Some(r) => count(&r, 0),
            None => Ok(0),
        }
    }

    fn insert_attempt(&mut self, a: &Attempt) -> Result<i64> {
        let paper = serde_json::to_string(&a.paper)
            .map_err(|e| Error::InvalidData(format!("paper of exam {}: {e}", a.exam_id)))?;
        let row = self.query_one(
            "INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, deadline)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &a.exam_id,
                &a.learner_id,
                &i64::from(a.number),
                &(a.seed as i64),
                &paper,
                &a.started_at.0,
                &a.deadline.map(|d| d.0),
            ],
        )?;
        Ok(row.try_get(0)?)
    }

    fn attempt_answers(&mut self, attempt: i64) -> Result<Vec<AttemptAnswer>> {
        self.query(
            "SELECT attempt_id, position, card_id, response, credit, correct, answered_at, duration_ms
             FROM attempt_answers WHERE attempt_id = $1 ORDER BY position",
            &[&attempt],
        )?
        .iter()
        .map(|r| {
            Ok(AttemptAnswer {
                attempt_id: r.try_get(0)?,
                position: count(r, 1)?,
                card_id: r.try_get(2)?,
                response: r.try_get(3)?,
                credit: r.try_get(4)?,
                correct: r.try_get(5)?,
                answered_at: UnixMs(r.try_get(6)?),
                duration_ms: r.try_get(7)?,
            })
        })
        .collect()
    }

    fn answer_seqs(&mut self, attempt: i64) -> Result<HashMap<u32, u32>> {
        self.query(
            "SELECT position, seq FROM attempt_answers WHERE attempt_id = $1",
            &[&attempt],
        )?
        .iter()
        .map(|r| Ok((count(r, 0)?, count(r, 1)?)))
        .collect()
    }

    fn put_served_answer(&mut self, a: &AttemptAnswer, seq: u32) -> Result<()> {
        // The attempt's learner comes from the attempt itself, as row security lets this transaction see it.
        let kept = self.execute(
            "INSERT INTO attempt_answers
               (learner_id, attempt_id, position, card_id, response, credit, correct, answered_at, duration_ms,
                seq)
             SELECT learner_id, $1::bigint, $2::bigint, $3::bigint, $4::text, $5::float8, $6::boolean,
                    $7::bigint, $8::bigint, $9::bigint
             FROM attempts WHERE id = $1::bigint
             ON CONFLICT (learner_id, attempt_id, position) DO UPDATE SET card_id = excluded.card_id,
               response = excluded.response, credit = excluded.credit, correct = excluded.correct,
               answered_at = excluded.answered_at, duration_ms = excluded.duration_ms, seq = excluded.seq",
            &[
                &a.attempt_id,
                &i64::from(a.position),
                &a.card_id,
                &a.response,
                &a.credit,
                &a.correct,
                &a.answered_at.0,
                &a.duration_ms,
                &i64::from(seq),
            ],
        )?;
        if kept != 1 {
            return Err(Error::Server(format!(
                "PostgreSQL: the answer to attempt {} was not kept: no such attempt in this scope",
                a.attempt_id
            )));
        }
        Ok(())
    }

    fn close_attempt(
        &mut self,
        attempt: i64,
        closed_at: UnixMs,
        score: f64,
        max_score: f64,
    ) -> Result<()> {
        self.execute(
            "UPDATE attempts SET closed_at = $2, score = $3, max_score = $4 WHERE id = $1 AND closed_at IS NULL",
            &[&attempt, &closed_at.0, &score, &max_score],
        )?;
        Ok(())
    }

    fn grant_extra_time(
        &mut self,
        exam: &str,
        learner: i64,
        minutes: u32,
        by: &str,
        at: UnixMs,
        open: Option<(i64, Option<UnixMs>)>,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO exam_extra_time (learner_id, exam_id, minutes, granted_by, granted_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (learner_id, exam_id) DO UPDATE SET minutes = excluded.minutes,
                 granted_by = excluded.granted_by, granted_at = excluded.granted_at",
            &[&learner, &exam, &i64::from(minutes), &by, &at.0],
        )?;
        if let Some((attempt, deadline)) = open {
            self.execute(
                "UPDATE attempts SET deadline = $2 WHERE id = $1 AND closed_at IS NULL",
                &[&attempt, &deadline.map(|d| d.0)],
            )?;
        }
        Ok(())
    }

    fn card(&mut self, id: i64) -> Result<Option<StoredCard>> {
        let Some(r) = self.query_opt(
            "SELECT id, deck_id, card_key, sibling, body, retired_at IS NOT NULL FROM cards WHERE id = $1",
            &[&id],
        )?
        else {
            return Ok(None);
        };
        let (deck_id, card_key, body): (String, String, String) =
            (r.try_get(1)?, r.try_get(2)?, r.try_get(4)?);
        let card = serde_json::from_str(&body).map_err(|e| {
            Error::InvalidData(format!("card {deck_id}/{card_key} is stored damaged: {e}"))
        })?;
        Ok(Some(StoredCard {
            id: r.try_get(0)?,
            deck_id,
            card_key,
            sibling: r.try_get::<_, i64>(3)? as usize,
            card,
            retired: r.try_get(5)?,
        }))
    }

    fn deck_answers(&mut self, deck: &str) -> Result<DeckAnswers> {
        let row = self.query_opt(
            "SELECT aliases, answers, words FROM decks WHERE id = $1",
            &[&deck],
        )?;
        let (aliases, answers, words): (Option<String>, Option<String>, Option<String>) = match &row
        {
            Some(r) => (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?),
            None => (None, None, None),
        };
        let words = words
            .and_then(|w| serde_json::from_str(&w).ok())
            .unwrap_or_default();
        let aliases = aliases
            .and_then(|a| serde_json::from_str(&a).ok())
            .unwrap_or_default();
        let answers = match answers.and_then(|a| serde_json::from_str(&a).ok()) {
            Some(list) => list,
            None => {
                let cards: Vec<crate::deck::Card> = self
                    .query(
                        "SELECT body FROM cards WHERE deck_id = $1 AND sibling = 0",
                        &[&deck],
                    )?
                    .iter()
                    .filter_map(|r| {
                        r.try_get::<_, &str>(0)
                            .ok()
                            .and_then(|b| serde_json::from_str(b).ok())
                    })
                    .collect();
                crate::deck::typed_answers(&cards)
                    .iter()
                    .map(|a| crate::deck::normalize(a))
                    .collect()
            }
        };
        Ok((aliases, answers, words))
    }
}

#[cfg(test)]
mod tests {
    use super::glob_regex;

    #[test]
    fn globs_read_as_sqlite_reads_them() {
        assert_eq!(glob_regex("theme/*"), "^theme/.*$");
        assert_eq!(glob_regex("a?c"), "^a.c$");
        assert_eq!(glob_regex("v1.0"), "^v1\\.0$");
        assert_eq!(glob_regex("[^ab]x"), "^[^ab]x$");
        assert_eq!(glob_regex("[ab"), "$.^");
    }
}
