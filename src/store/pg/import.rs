//! `progress import`'s reads and writes in PostgreSQL ([`ImportDb`] on a course-scoped transaction): the rules of
//! checking and merging a learner's bundle run over them as they run over SQLite's, written once
//! (`store::import_db`, `server::ops::progress`). The learner's rows are merged under their lock (the one a sync
//! push holds), so their log's numbers are handed out one writer at a time.

use super::{decks, learners, sync};
use crate::bundle::{BundleFlag, BundleReview, FlagState};
use crate::error::{Error, Result};
use crate::gradebook::Identity;
use crate::schedule::CardState;
use crate::store::{
    Attempt, AttemptAnswer, DeckAnswers, ExamRecords, ExamRow, Filter, ImportDb, ImportReport,
    IssuedKey, Learner, LoggedReview, ReportReads, StoredCard,
};
use crate::time::UnixMs;
use postgres::Transaction;
use std::collections::BTreeMap;

/// SQLite's `NOCASE` in PostgreSQL: ASCII letters folded, nothing else.
const FOLD: &str = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'";

/// Holds the learner's row until the transaction ends, as a sync push does (`pg::sync::append_events`).
fn hold(tx: &mut Transaction<'_>, learner: i64) -> Result<()> {
    tx.query_opt(
        "SELECT id FROM learners WHERE id = $1 FOR UPDATE",
        &[&learner],
    )?
    .ok_or_else(|| Error::InvalidData(format!("there is no learner {learner}")))?;
    Ok(())
}

impl ImportDb for Transaction<'_> {
    fn sync_builtin(&mut self, now: i64) -> Result<Vec<ImportReport>> {
        Ok(decks::sync_builtin(self, now)?.unwrap_or_default())
    }

    fn issued_key(&mut self, key_id: &str) -> Result<Option<IssuedKey>> {
        learners::issued_key(self, key_id)
    }

    fn valid_key(&mut self, learner: i64) -> Result<Option<IssuedKey>> {
        learners::valid_key(self, learner)
    }

    fn learners_by_identifier(&mut self, id: &Identity) -> Result<Vec<(&'static str, Learner)>> {
        let id = id.cleaned();
        let username = format!("translate(username, {FOLD}) = translate($1, {FOLD})");
        let email = format!("translate(email, {FOLD}) = translate($1, {FOLD})");
        let mut out = Vec::new();
        for (what, test, value) in [
            ("username", username.as_str(), &id.username),
            ("email", email.as_str(), &id.email),
            ("student id", "student_id = $1", &id.student_id),
        ] {
            let Some(v) = value else { continue };
            for l in learners::learners_where(self, &format!("{test} ORDER BY id"), v)? {
                out.push((what, l));
            }
        }
        Ok(out)
    }

    fn deck_hash(&mut self, deck: &str) -> Result<Option<String>> {
        ReportReads::deck_hash(self, deck)
    }

    fn card_id(&mut self, deck: &str, card: &str, sibling: i64) -> Result<Option<i64>> {
        Ok(self
            .query_opt(
                "SELECT id FROM cards WHERE deck_id = $1 AND card_key = $2 AND sibling = $3",
                &[&deck, &card, &sibling],
            )?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn exam(&mut self, id: &str) -> Result<Option<ExamRow>> {
        ExamRecords::exam(self, id)
    }

    fn exam_pool(&mut self, filter: &Filter, flashcards: bool) -> Result<Vec<(i64, String)>> {
        ExamRecords::exam_pool(self, filter, flashcards)
    }

    fn card(&mut self, id: i64) -> Result<Option<StoredCard>> {
        ExamRecords::card(self, id)
    }

    fn deck_answers(&mut self, deck: &str) -> Result<DeckAnswers> {
        ExamRecords::deck_answers(self, deck)
    }

    fn unsupervised_count(&mut self, exam: &str, learner: i64) -> Result<usize> {
        let n: i64 = self
            .query_one(
                "SELECT count(*) FROM attempts WHERE exam_id = $1 AND learner_id = $2 AND unsupervised",
                &[&exam, &learner],
            )?
            .try_get(0)?;
        Ok(n as usize)
    }

    fn attempt_known(&mut self, exam: &str, learner: i64, started_at: UnixMs) -> Result<bool> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM attempts WHERE exam_id = $1 AND learner_id = $2 AND started_at = $3",
                &[&exam, &learner, &started_at.0],
            )?
            .is_some())
    }

    fn last_attempt_number(&mut self, exam: &str, learner: i64) -> Result<u32> {
        let n: i64 = self
            .query_one(
                "SELECT coalesce(max(number), 0)::bigint FROM attempts WHERE exam_id = $1 AND learner_id = $2",
                &[&exam, &learner],
            )?
            .try_get(0)?;
        u32::try_from(n)
            .map_err(|_| Error::InvalidData(format!("attempt number {n} is out of range")))
    }

    fn insert_unsupervised_attempt(
        &mut self,
        a: &Attempt,
        answers: &[AttemptAnswer],
    ) -> Result<()> {
        let paper = serde_json::to_string(&a.paper)
            .map_err(|e| Error::InvalidData(format!("paper of exam {}: {e}", a.exam_id)))?;
        let id: i64 = self
            .query_one(
                "INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, deadline, closed_at,
                    score, max_score, unsupervised) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, true)
                 RETURNING id",
                &[
                    &a.exam_id,
                    &a.learner_id,
                    &i64::from(a.number),
                    &(a.seed as i64),
                    &paper,
                    &a.started_at.0,
                    &a.deadline.map(|d| d.0),
                    &a.closed_at.map(|d| d.0),
                    &a.score,
                    &a.max_score,
                ],
            )?
            .try_get(0)?;
        for x in answers {
            // As SQLite's `INSERT OR IGNORE`: the first answer at a position is kept.
            self.execute(
                "INSERT INTO attempt_answers (learner_id, attempt_id, position, card_id, response, credit, correct,
                    answered_at, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT DO NOTHING",
                &[
                    &a.learner_id,
                    &id,
                    &i64::from(x.position),
                    &x.card_id,
                    &x.response,
                    &x.credit,
                    &x.correct,
                    &x.answered_at.0,
                    &x.duration_ms,
                ],
            )?;
        }
        Ok(())
    }

    fn mark_unverified(&mut self, learner: i64, now: i64) -> Result<()> {
        self.execute(
            "INSERT INTO unverified_imports (learner_id, first_at, last_at, bundles) VALUES ($1, $2, $2, 1)
             ON CONFLICT (learner_id) DO UPDATE SET last_at = $2, bundles = unverified_imports.bundles + 1",
            &[&learner, &now],
        )?;
        Ok(())
    }

    fn review_known(&mut self, learner: i64, card: i64, at: UnixMs) -> Result<bool> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM reviews WHERE learner_id = $1 AND card_id = $2 AND reviewed_at = $3",
                &[&learner, &card, &at.0],
            )?
            .is_some())
    }

    fn log_imported_review(&mut self, learner: i64, card: i64, r: &BundleReview) -> Result<()> {
        hold(self, learner)?;
        let device: String = self
            .query_one("SELECT id FROM this_device WHERE role = 'import'", &[])?
            .try_get(0)?;
        let seq: i64 = self
            .query_one(
                "SELECT coalesce(max(seq), 0)::bigint + 1 FROM sync_log WHERE learner_id = $1 AND device = $2",
                &[&learner, &device],
            )?
            .try_get(0)?;
        let key = crate::sync::Key { device, seq };
        sync::log_review(self, learner, card, r, &key)
    }

    fn flag_at(
        &mut self,
        learner: i64,
        card: i64,
        flagged_at: i64,
    ) -> Result<Option<(i64, String)>> {
        Ok(self
            .query_opt(
                "SELECT id, state FROM flags WHERE learner_id = $1 AND card_id = $2 AND flagged_at = $3
                 ORDER BY id LIMIT 1",
                &[&learner, &card, &flagged_at],
            )?
            .map(|r| Ok::<_, postgres::Error>((r.try_get(0)?, r.try_get(1)?)))
            .transpose()?)
    }

    fn insert_flag(
        &mut self,
        learner: i64,
        card: i64,
        f: &BundleFlag,
        state: FlagState,
        closed_at: Option<i64>,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO flags (learner_id, card_id, flagged_at, note, state, closed_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &learner,
                &card,
                &f.flagged_at,
                &f.note,
                &state.as_str(),
                &closed_at,
            ],
        )?;
        Ok(())
    }

    fn set_flag_state(
        &mut self,
        learner: i64,
        id: i64,
        state: FlagState,
        closed_at: Option<i64>,
    ) -> Result<()> {
        self.execute(
            "UPDATE flags SET state = $3, closed_at = $4 WHERE learner_id = $1 AND id = $2",
            &[&learner, &id, &state.as_str(), &closed_at],
        )?;
        Ok(())
    }

    fn flags_over_cap(&mut self, learner: i64, cap: usize) -> Result<Vec<(String, String, usize)>> {
        self.query(
            "SELECT c.deck_id, c.card_key, count(*) FROM flags f JOIN cards c ON c.id = f.card_id
             WHERE f.learner_id = $1 GROUP BY c.deck_id, c.card_key HAVING count(*) > $2
             ORDER BY c.deck_id COLLATE \"C\", c.card_key COLLATE \"C\"",
            &[&learner, &(cap as i64)],
        )?
        .iter()
        .map(|r| {
            let n: i64 = r.try_get(2)?;
            Ok((r.try_get(0)?, r.try_get(1)?, n as usize))
        })
        .collect()
    }

    fn study_log(&mut self, learner: i64) -> Result<Vec<LoggedReview>> {
        sync::study_log(self, learner, None)
    }

    fn replace_states(&mut self, learner: i64, states: &BTreeMap<i64, CardState>) -> Result<()> {
        hold(self, learner)?;
        self.execute("DELETE FROM card_states WHERE learner_id = $1", &[&learner])?;
        for (card, s) in states {
            sync::put_state(self, learner, *card, s)?;
        }
        Ok(())
    }
}
