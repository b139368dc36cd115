//! The teacher's reports on PostgreSQL: [`ReportReads`] answered on a course-scoped transaction (each read the
//! twin of the SQLite function of its name, in the same order: text ordered by code point, `COLLATE "C"`), and the
//! two writes the reports make, closing expired exam attempts before results are read and resolving flags.
//! [`Pg::report`] and [`Pg::resolving_flags`] run a report's work in one transaction, the built-in decks loaded
//! first as a local command loads them. Nothing here computes a report: `server::ops` does, once, for both stores.
//!
//! Exam rows and attempts are read here for the reports only (`exams`, `exam`, `exam_attempts`, the closing of
//! expired attempts); the served exams have their own file.

use super::{Pg, decks};
use crate::error::{Error, Result};
use crate::gradebook::ExamScore;
use crate::schedule::{CardState, Phase};
use crate::store::{
    Attempt, DeckInfo, DeckStudy, ExamRow, Filter, FlagRow, FlagState, ItemResponse, Learner,
    ReportReads, StoredCard, UNSUPERVISED_FROM,
};
use crate::time::{Day, UnixMs};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Row, Transaction};
use std::collections::{BTreeMap, HashMap};

impl Pg {
    /// Runs a teacher's report in one course-scoped transaction: the built-in decks loaded (as a local command
    /// loads them when it opens its database), with `expired_grace_ms` the timed attempts whose time ran out closed
    /// as the served exams' closer closes them (`ExamRecords::close_expired`: under each learner's lock), then `work` on the reads.
    pub fn report<T>(
        &self,
        now_s: i64,
        expired_grace_ms: Option<i64>,
        work: impl FnOnce(&mut dyn ReportReads) -> Result<T>,
    ) -> Result<T> {
        self.course(|tx| {
            decks::sync_builtin(tx, now_s)?;
            if let Some(grace) = expired_grace_ms {
                crate::store::ExamRecords::close_expired(tx, UnixMs::from_secs(now_s), grace)?;
            }
            work(tx)
        })
    }

    /// Runs `work` in one course-scoped transaction (the built-in decks loaded first) with a resolver that resolves
    /// one flag at `now_s` (its state before; `None`: no such flag); what `work` resolved is committed only if it
    /// returns `Ok`, so a refusal writes nothing.
    pub fn resolving_flags<T>(
        &self,
        now_s: i64,
        work: impl FnOnce(&mut dyn FnMut(i64) -> Result<Option<FlagState>>) -> Result<T>,
    ) -> Result<T> {
        self.course(|tx| {
            decks::sync_builtin(tx, now_s)?;
            work(&mut |id| resolve_flag(tx, id, now_s))
        })
    }
}

/// A count or a number stored as `bigint` that detente holds as `u32`.
fn small(n: i64, what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::InvalidData(format!("{what} {n} is out of range")))
}

/// What mastery needs of a state, from columns 1 to 4 of a row (phase, stability, difficulty, last review), as
/// SQLite's `memory_states` reads it; the rest of the state is left at its zero.
fn memory_state(r: &Row) -> Result<CardState> {
    Ok(CardState {
        phase: Phase::from_i64(r.try_get(1)?),
        step: 0,
        stability: r.try_get::<_, f64>(2)? as f32,
        difficulty: r.try_get::<_, f64>(3)? as f32,
        due: 0,
        last_review: r.try_get(4)?,
        last_day: Day(0),
        interval: 0,
        reps: 0,
        lapses: 0,
        leech: false,
    })
}

/// The condition of a [`Filter`] on the card alias `c`, with its decks as `$1` and its tag patterns as `$2` (each
/// SQLite's GLOB read as a regular expression by `exams::glob_regex`, the one translation).
const FILTER: &str = "(cardinality($1::text[]) = 0 OR c.deck_id = ANY($1::text[]))
    AND (cardinality($2::text[]) = 0
         OR EXISTS (SELECT 1 FROM card_tags t WHERE t.card_id = c.id AND t.tag ~ ANY($2::text[])))";

/// Resolves a flag, as SQLite's `store::resolve_flag`: its state before, `None` if there is no such flag; one
/// that is not open is left as it is.
pub(super) fn resolve_flag(
    tx: &mut Transaction<'_>,
    id: i64,
    now: i64,
) -> Result<Option<FlagState>> {
    let Some(row) = tx.query_opt("SELECT state FROM flags WHERE id = $1", &[&id])? else {
        return Ok(None);
    };
    let state = FlagState::parse(&row.try_get::<_, String>(0)?);
    if state == FlagState::Open {
        tx.execute(
            "UPDATE flags SET state = 'resolved', closed_at = $2 WHERE id = $1",
            &[&id, &now],
        )?;
    }
    Ok(Some(state))
}

impl ReportReads for Transaction<'_> {
    fn deck_titles(&mut self) -> Result<BTreeMap<String, String>> {
        self.query("SELECT id, title FROM decks WHERE retired_at IS NULL", &[])?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn for_each_stat_card(
        &mut self,
        filter: &Filter,
        each: &mut dyn FnMut(i64, &str, bool),
    ) -> Result<()> {
        let tags: Vec<String> = filter
            .tags
            .iter()
            .map(|t| super::exams::glob_regex(t))
            .collect();
        // SQLite's order: built-in decks first, then by deck id (code point); in a deck the active items by position
        // and sibling, then the retired ones.
        let mut rows = self.query_raw(
            &format!(
                "SELECT c.id, c.deck_id, c.retired_at IS NOT NULL
                 FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.retired_at IS NULL AND {FILTER}
                 ORDER BY d.builtin DESC, c.deck_id COLLATE \"C\", c.retired_at IS NOT NULL, c.position,
                          c.sibling, c.id"
            ),
            [&filter.decks, &tags],
        )?;
        while let Some(r) = rows.next()? {
            each(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        }
        Ok(())
    }

    fn for_each_theme_tag(&mut self, each: &mut dyn FnMut(i64, &str)) -> Result<()> {
        let mut rows = self.query_raw(
            "SELECT card_id, tag FROM card_tags WHERE tag LIKE 'theme:%'
             ORDER BY tag COLLATE \"C\", card_id",
            std::iter::empty::<i64>(),
        )?;
        while let Some(r) = rows.next()? {
            each(r.try_get(0)?, r.try_get(1)?);
        }
        Ok(())
    }

    fn learners(&mut self) -> Result<Vec<Learner>> {
        super::learners::learners(self)
    }

    fn for_each_review_day(
        &mut self,
        learner: Option<i64>,
        each: &mut dyn FnMut(i64, i64, Day),
    ) -> Result<()> {
        let mut rows = self.query_raw(
            match learner {
                None => "SELECT learner_id, card_id, day FROM reviews WHERE NOT retracted AND $1::bigint IS NULL",
                Some(_) => "SELECT learner_id, card_id, day FROM reviews WHERE NOT retracted AND learner_id = $1",
            },
            [learner],
        )?;
        while let Some(r) = rows.next()? {
            each(r.try_get(0)?, r.try_get(1)?, Day(r.try_get(2)?));
        }
        Ok(())
    }

    fn exams(&mut self) -> Result<Vec<ExamRow>> {
        crate::store::ExamRecords::exams(self)
    }

    fn exam(&mut self, id: &str) -> Result<Option<ExamRow>> {
        crate::store::ExamRecords::exam(self, id)
    }

    fn best_supervised_scores(&mut self) -> Result<Vec<(i64, String, f64)>> {
        self.query(
            "SELECT learner_id, exam_id, MAX(score / max_score) FROM attempts
             WHERE closed_at IS NOT NULL AND NOT unsupervised AND score IS NOT NULL AND max_score > 0
             GROUP BY learner_id, exam_id ORDER BY learner_id, exam_id COLLATE \"C\"",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
    }

    fn last_exam_activity(&mut self) -> Result<HashMap<i64, UnixMs>> {
        self.query(
            "SELECT a.learner_id, MAX(GREATEST(a.started_at, coalesce(a.closed_at, 0),
                    coalesce((SELECT MAX(aa.answered_at) FROM attempt_answers aa
                              WHERE aa.learner_id = a.learner_id AND aa.attempt_id = a.id), 0)))
             FROM attempts a GROUP BY a.learner_id",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, UnixMs(r.try_get(1)?))))
        .collect()
    }

    fn open_flag_counts(&mut self) -> Result<HashMap<i64, u32>> {
        self.query(
            "SELECT learner_id, COUNT(*) FROM flags WHERE state = 'open' GROUP BY learner_id",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, small(r.try_get(1)?, "a count of flags")?)))
        .collect()
    }

    fn for_each_memory_state(
        &mut self,
        learner: i64,
        each: &mut dyn FnMut(i64, &CardState),
    ) -> Result<()> {
        let mut rows = self.query_raw(
            "SELECT card_id, phase, stability, difficulty, last_review FROM card_states
             WHERE learner_id = $1 ORDER BY card_id",
            [learner],
        )?;
        while let Some(r) = rows.next()? {
            each(r.try_get(0)?, &memory_state(&r)?);
        }
        Ok(())
    }

    fn deck_hash(&mut self, deck: &str) -> Result<Option<String>> {
        Ok(self
            .query_opt("SELECT content_hash FROM decks WHERE id = $1", &[&deck])?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn flags(&mut self, all: bool, deck: Option<&str>) -> Result<Vec<FlagRow>> {
        self.query(
            "SELECT f.id, c.deck_id, c.card_key, c.sibling, l.name, f.note, f.flagged_at, f.state, f.closed_at
             FROM flags f JOIN cards c ON c.id = f.card_id JOIN learners l ON l.id = f.learner_id
             WHERE ($1 OR f.state = 'open') AND ($2::text IS NULL OR c.deck_id = $2::text)
             ORDER BY f.flagged_at, f.id",
            &[&all, &deck],
        )?
        .iter()
        .map(|r| {
            Ok(FlagRow {
                id: r.try_get(0)?,
                deck: r.try_get(1)?,
                card: crate::store::flags::card_label(&r.try_get::<_, String>(2)?, r.try_get(3)?),
                learner: r.try_get(4)?,
                note: r.try_get(5)?,
                flagged_at: r.try_get(6)?,
                state: FlagState::parse(&r.try_get::<_, String>(7)?),
                closed_at: r.try_get(8)?,
            })
        })
        .collect()
    }

    fn exam_attempts(&mut self, exam: &str) -> Result<Vec<(String, Attempt)>> {
        self.query(
            "SELECT a.id, a.exam_id, a.learner_id, a.number, a.seed, a.paper, a.started_at, a.deadline,
                    a.closed_at, a.score, a.max_score, a.unsupervised, l.name
             FROM attempts a JOIN learners l ON l.id = a.learner_id
             WHERE a.exam_id = $1 ORDER BY l.name COLLATE \"C\", a.number",
            &[&exam],
        )?
        .iter()
        .map(|r| {
            let paper: String = r.try_get(5)?;
            let attempt = Attempt {
                id: r.try_get(0)?,
                exam_id: r.try_get(1)?,
                learner_id: r.try_get(2)?,
                number: small(r.try_get(3)?, "an attempt's number")?,
                seed: r.try_get::<_, i64>(4)? as u64,
                paper: serde_json::from_str(&paper).unwrap_or_default(),
                started_at: UnixMs(r.try_get(6)?),
                deadline: r.try_get::<_, Option<i64>>(7)?.map(UnixMs),
                closed_at: r.try_get::<_, Option<i64>>(8)?.map(UnixMs),
                score: r.try_get(9)?,
                max_score: r.try_get(10)?,
                unsupervised: r.try_get(11)?,
            };
            Ok((r.try_get(12)?, attempt))
        })
        .collect()
    }

    fn exam_responses(&mut self, exam: &str, unsupervised: bool) -> Result<Vec<ItemResponse>> {
        self.query(
            "SELECT aa.attempt_id, aa.card_id, aa.credit, aa.response FROM attempt_answers aa
             JOIN attempts a ON a.learner_id = aa.learner_id AND a.id = aa.attempt_id
             WHERE a.exam_id = $1 AND a.closed_at IS NOT NULL AND ($2 OR NOT a.unsupervised)
             ORDER BY aa.attempt_id, aa.position",
            &[&exam, &unsupervised],
        )?
        .iter()
        .map(|r| {
            Ok(ItemResponse {
                respondent: r.try_get(0)?,
                card_id: r.try_get(1)?,
                credit: r.try_get(2)?,
                response: r.try_get(3)?,
            })
        })
        .collect()
    }

    fn deck_first_responses(&mut self, deck: &str) -> Result<Vec<ItemResponse>> {
        self.query(
            // Each learner's first study answer to each card, as SQLite's `r.id = (SELECT min(id) ...)` finds it,
            // in one pass: the correlated subquery costs a scan per review here (seconds for a small class).
            "SELECT learner_id, card_id, correct, response FROM (
                 SELECT DISTINCT ON (r.learner_id, r.card_id)
                        r.learner_id, r.card_id, r.correct, r.response, c.position, c.sibling
                 FROM reviews r JOIN cards c ON c.id = r.card_id
                 WHERE c.deck_id = $1 AND c.retired_at IS NULL AND r.mode = 'study' AND NOT r.retracted
                 ORDER BY r.learner_id, r.card_id, r.id
             ) AS first ORDER BY learner_id, position, sibling",
            &[&deck],
        )?
        .iter()
        .map(|r| {
            Ok(ItemResponse {
                respondent: r.try_get(0)?,
                card_id: r.try_get(1)?,
                // Right 1, wrong 0, as SQLite reads its integer.
                credit: if r.try_get::<_, bool>(2)? { 1.0 } else { 0.0 },
                response: r.try_get(3)?,
            })
        })
        .collect()
    }

    fn card(&mut self, id: i64) -> Result<Option<StoredCard>> {
        crate::store::ExamRecords::card(self, id)
    }

    fn decks(&mut self) -> Result<Vec<DeckInfo>> {
        self.query(
            "SELECT d.id, d.title, d.source, d.aliases, d.builtin,
                    (SELECT COUNT(*) FROM cards c WHERE c.deck_id = d.id AND c.retired_at IS NULL),
                    (SELECT COUNT(*) FROM cards c WHERE c.deck_id = d.id AND c.retired_at IS NOT NULL),
                    (SELECT COUNT(*) FROM cards c
                     WHERE c.deck_id = d.id AND c.retired_at IS NULL AND c.sibling = 0)
             FROM decks d WHERE d.retired_at IS NULL ORDER BY d.builtin DESC, d.id COLLATE \"C\"",
            &[],
        )?
        .iter()
        .map(|r| {
            let source: Option<String> = r.try_get(2)?;
            let aliases: Option<String> = r.try_get(3)?;
            Ok(DeckInfo {
                id: r.try_get(0)?,
                title: r.try_get(1)?,
                source: source.and_then(|s| serde_json::from_str(&s).ok()),
                aliases: aliases
                    .and_then(|s| serde_json::from_str(&s).ok())
                    .unwrap_or_default(),
                builtin: r.try_get(4)?,
                cards: small(r.try_get(5)?, "a count of cards")?,
                written: small(r.try_get(7)?, "a count of cards")?,
                retired_cards: small(r.try_get(6)?, "a count of cards")?,
            })
        })
        .collect()
    }

    fn exam_scores(&mut self, exam: &str) -> Result<Vec<ExamScore>> {
        self.query(
            "SELECT learner_id, CASE WHEN unsupervised AND number > $2 THEN number - $2 ELSE number END,
                    coalesce(score, 0), coalesce(max_score, 0), closed_at, unsupervised FROM attempts
             WHERE exam_id = $1 AND closed_at IS NOT NULL ORDER BY learner_id, number",
            &[&exam, &i64::from(UNSUPERVISED_FROM)],
        )?
        .iter()
        .map(|r| {
            Ok(ExamScore {
                learner_id: r.try_get(0)?,
                number: r.try_get(1)?,
                score: r.try_get(2)?,
                max_score: r.try_get(3)?,
                closed_at: UnixMs(r.try_get(4)?),
                unsupervised: r.try_get(5)?,
            })
        })
        .collect()
    }

    fn deck_items(&mut self) -> Result<HashMap<String, u32>> {
        self.query(
            "SELECT deck_id, COUNT(*) FROM cards WHERE retired_at IS NULL GROUP BY deck_id",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, small(r.try_get(1)?, "a count of cards")?)))
        .collect()
    }

    fn for_each_deck_state(
        &mut self,
        learner: i64,
        each: &mut dyn FnMut(&str, &CardState),
    ) -> Result<()> {
        let mut rows = self.query_raw(
            "SELECT c.deck_id, s.phase, s.stability, s.difficulty, s.last_review
             FROM card_states s JOIN cards c ON c.id = s.card_id JOIN decks d ON d.id = c.deck_id
             WHERE s.learner_id = $1 AND c.retired_at IS NULL AND d.retired_at IS NULL ORDER BY s.card_id",
            [learner],
        )?;
        while let Some(r) = rows.next()? {
            let state = memory_state(&r)?;
            each(r.try_get(0)?, &state);
        }
        Ok(())
    }

    fn deck_study(
        &mut self,
        learner: i64,
        items: &HashMap<String, u32>,
    ) -> Result<HashMap<String, DeckStudy>> {
        let mut out = crate::store::people::unstudied(items);
        let rows = self.query(
            "SELECT c.deck_id, COUNT(DISTINCT r.card_id), COUNT(DISTINCT r.day), MAX(r.reviewed_at)
             FROM reviews r JOIN cards c ON c.id = r.card_id
             WHERE r.learner_id = $1 AND r.mode IN ('study', 'cram') AND NOT r.retracted GROUP BY c.deck_id",
            &[&learner],
        )?;
        for r in &rows {
            let deck: String = r.try_get(0)?;
            if let Some(d) = out.get_mut(&deck) {
                d.studied = small(r.try_get(1)?, "a count of cards")?;
                d.days_active = small(r.try_get(2)?, "a count of days")?;
                d.last_activity_ms = r.try_get::<_, Option<i64>>(3)?.map(UnixMs);
            }
        }
        Ok(out)
    }
}
