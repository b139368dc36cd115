//! The reads and writes of `progress import` as one interface, [`ImportDb`], so that the rules of merging a
//! learner's bundle are written once for every database: a review known by learner, card and time and otherwise
//! logged as the import device's next event ([`merge_reviews`]), an attempt known by exam and start and otherwise
//! stored as the learner's next unsupervised attempt ([`merge_attempts`]), a flag known by card and time and moved
//! only further along ([`merge_flags`]). The checks and the rest of the command are `server::ops::progress`'s. The
//! SQLite body is here, on a write transaction; PostgreSQL's is `store::pg::import`, on a course-scoped transaction.

use super::{
    Attempt, AttemptAnswer, DeckAnswers, ExamRow, Filter, ImportReport, IssuedKey, Learner,
    LoggedReview, MergeReport, RosterDb, StoredCard, UNSUPERVISED_FROM,
};
use crate::bundle::{BundleFlag, BundleReview, FlagState};
use crate::error::Result;
use crate::gradebook::Identity;
use crate::schedule::CardState;
use crate::time::UnixMs;
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::BTreeMap;

/// What `progress import` reads and writes, in one write transaction the caller commits (or drops on a refusal).
pub trait ImportDb: RosterDb {
    /// Loads the built-in decks (see `store::sync_builtin_tx`).
    fn sync_builtin(&mut self, now: i64) -> Result<Vec<ImportReport>>;
    /// The issued key of this id, valid or reissued.
    fn issued_key(&mut self, key_id: &str) -> Result<Option<IssuedKey>>;
    /// A learner's valid key, if they were issued a code.
    fn valid_key(&mut self, learner: i64) -> Result<Option<IssuedKey>>;
    /// As `store::learners_by_identifier`: every learner each identifier belongs to, by id.
    fn learners_by_identifier(&mut self, id: &Identity) -> Result<Vec<(&'static str, Learner)>>;
    /// A deck's content hash; `None` if it is not loaded.
    fn deck_hash(&mut self, deck: &str) -> Result<Option<String>>;
    /// The local row id of a study item.
    fn card_id(&mut self, deck: &str, card: &str, sibling: i64) -> Result<Option<i64>>;
    /// One exam, if loaded.
    fn exam(&mut self, id: &str) -> Result<Option<ExamRow>>;
    /// As `store::exam_pool`.
    fn exam_pool(&mut self, filter: &Filter, flashcards: bool) -> Result<Vec<(i64, String)>>;
    /// As `store::card`.
    fn card(&mut self, id: i64) -> Result<Option<StoredCard>>;
    /// As `store::deck_answers`.
    fn deck_answers(&mut self, deck: &str) -> Result<DeckAnswers>;
    /// How many attempts at an exam a learner brought in bundles.
    fn unsupervised_count(&mut self, exam: &str, learner: i64) -> Result<usize>;
    /// Whether a learner's attempt at an exam started at this millisecond (of either kind).
    fn attempt_known(&mut self, exam: &str, learner: i64, started_at: UnixMs) -> Result<bool>;
    /// The highest number of a learner's attempts at an exam, 0 for none.
    fn last_attempt_number(&mut self, exam: &str, learner: i64) -> Result<u32>;
    /// Stores a closed attempt (its learner and number set) as unsupervised, with its answers.
    fn insert_unsupervised_attempt(&mut self, a: &Attempt, answers: &[AttemptAnswer])
    -> Result<()>;
    /// Marks a learner's progress as having come in an unsigned bundle taken at `now`.
    fn mark_unverified(&mut self, learner: i64, now: i64) -> Result<()>;
    /// Whether the learner's log holds a review of the card at this millisecond (retracted or not).
    fn review_known(&mut self, learner: i64, card: i64, at: UnixMs) -> Result<bool>;
    /// Stores a review and logs it as the import device's next event for the learner.
    fn log_imported_review(&mut self, learner: i64, card: i64, r: &BundleReview) -> Result<()>;
    /// The first of a learner's flags on a card at `flagged_at` (Unix seconds): its id and stored state.
    fn flag_at(
        &mut self,
        learner: i64,
        card: i64,
        flagged_at: i64,
    ) -> Result<Option<(i64, String)>>;
    /// Adds a flag in `state`.
    fn insert_flag(
        &mut self,
        learner: i64,
        card: i64,
        f: &BundleFlag,
        state: FlagState,
        closed_at: Option<i64>,
    ) -> Result<()>;
    /// Moves a flag to `state`.
    fn set_flag_state(
        &mut self,
        learner: i64,
        id: i64,
        state: FlagState,
        closed_at: Option<i64>,
    ) -> Result<()>;
    /// As `store::flags_over_cap`.
    fn flags_over_cap(&mut self, learner: i64, cap: usize) -> Result<Vec<(String, String, usize)>>;
    /// As `store::study_log`.
    fn study_log(&mut self, learner: i64) -> Result<Vec<LoggedReview>>;
    /// As `store::replace_states`.
    fn replace_states(&mut self, learner: i64, states: &BTreeMap<i64, CardState>) -> Result<()>;
}

/// Adds the reviews (each with its local card id) a learner's log lacks. A review is the same review when learner,
/// card and time (milliseconds) agree (a retracted one too: a bundle never brings back what was taken back here);
/// those already present are counted and left alone. A bundle names no device, so each added review is logged as
/// an event of this database's import device, numbered after that device's events for the learner.
pub fn merge_reviews(
    db: &mut (impl ImportDb + ?Sized),
    learner: i64,
    reviews: &[(i64, &BundleReview)],
    report: &mut MergeReport,
) -> Result<()> {
    for (card, r) in reviews {
        if db.review_known(learner, *card, r.reviewed_at)? {
            report.reviews_known += 1;
            continue;
        }
        db.log_imported_review(learner, *card, r)?;
        report.reviews_added += 1;
    }
    Ok(())
}

/// Adds the exam attempts a learner lacks, each already re-scored against this database's exam definition and
/// cards (see `session::exam::rescore`), with its answers. An attempt is known by exam and start (millisecond),
/// whatever number the bundle gave it; a new one is stored as the learner's next unsupervised attempt (numbered
/// above [`UNSUPERVISED_FROM`]): sat on their own machine, in a file they could have edited.
pub fn merge_attempts(
    db: &mut (impl ImportDb + ?Sized),
    learner: i64,
    attempts: &[(Attempt, Vec<AttemptAnswer>)],
    report: &mut MergeReport,
) -> Result<()> {
    for (a, answers) in attempts {
        if db.attempt_known(&a.exam_id, learner, a.started_at)? {
            report.attempts_known += 1;
            continue;
        }
        let number = db
            .last_attempt_number(&a.exam_id, learner)?
            .max(UNSUPERVISED_FROM)
            + 1;
        let a = Attempt {
            learner_id: learner,
            number,
            unsupervised: true,
            ..a.clone()
        };
        db.insert_unsupervised_attempt(&a, answers)?;
        report.attempts_added += 1;
    }
    Ok(())
}

/// Merges a learner's flags (each with its local card id): a flag is the same flag when learner, card and time
/// agree. A new one is added in the state it arrives in ([`crate::bundle::arriving_state`]: a learner cannot
/// resolve a flag); a known one moves to that state only if it is further along (open, then withdrawn), so a flag
/// the teacher resolved stays resolved.
pub fn merge_flags(
    db: &mut (impl ImportDb + ?Sized),
    learner: i64,
    flags: &[(i64, &BundleFlag)],
) -> Result<super::FlagMerge> {
    let mut out = super::FlagMerge::default();
    for (card, f) in flags {
        let (state, closed_at) = crate::bundle::arriving_state(f);
        match db.flag_at(learner, *card, f.flagged_at)? {
            None => {
                db.insert_flag(learner, *card, f, state, closed_at)?;
                out.added += 1;
            }
            Some((id, here)) if state > FlagState::parse(&here) => {
                db.set_flag_state(learner, id, state, closed_at)?;
                out.updated += 1;
            }
            Some(_) => out.known += 1,
        }
    }
    Ok(out)
}

impl ImportDb for &Transaction<'_> {
    fn sync_builtin(&mut self, now: i64) -> Result<Vec<ImportReport>> {
        super::sync_builtin_tx(self, now)
    }

    fn issued_key(&mut self, key_id: &str) -> Result<Option<IssuedKey>> {
        super::issued_key(self, key_id)
    }

    fn valid_key(&mut self, learner: i64) -> Result<Option<IssuedKey>> {
        super::valid_key(self, learner)
    }

    fn learners_by_identifier(&mut self, id: &Identity) -> Result<Vec<(&'static str, Learner)>> {
        super::learners_by_identifier(self, id)
    }

    fn deck_hash(&mut self, deck: &str) -> Result<Option<String>> {
        super::deck_hash(self, deck)
    }

    fn card_id(&mut self, deck: &str, card: &str, sibling: i64) -> Result<Option<i64>> {
        super::card_id(self, deck, card, sibling)
    }

    fn exam(&mut self, id: &str) -> Result<Option<ExamRow>> {
        super::exam(self, id)
    }

    fn exam_pool(&mut self, filter: &Filter, flashcards: bool) -> Result<Vec<(i64, String)>> {
        super::exam_pool(self, filter, flashcards)
    }

    fn card(&mut self, id: i64) -> Result<Option<StoredCard>> {
        super::card(self, id)
    }

    fn deck_answers(&mut self, deck: &str) -> Result<DeckAnswers> {
        super::deck_answers(self, deck)
    }

    fn unsupervised_count(&mut self, exam: &str, learner: i64) -> Result<usize> {
        super::unsupervised_count(self, exam, learner)
    }

    fn attempt_known(&mut self, exam: &str, learner: i64, started_at: UnixMs) -> Result<bool> {
        super::attempt_known(self, exam, learner, started_at)
    }

    fn last_attempt_number(&mut self, exam: &str, learner: i64) -> Result<u32> {
        Ok(self.query_row(
            "SELECT coalesce(max(number), 0) FROM attempts WHERE exam_id = ?1 AND learner_id = ?2",
            params![exam, learner],
            |r| r.get(0),
        )?)
    }

    fn insert_unsupervised_attempt(
        &mut self,
        a: &Attempt,
        answers: &[AttemptAnswer],
    ) -> Result<()> {
        super::insert_unsupervised_attempt(self, a, answers)
    }

    fn mark_unverified(&mut self, learner: i64, now: i64) -> Result<()> {
        super::mark_unverified(self, learner, now)
    }

    fn review_known(&mut self, learner: i64, card: i64, at: UnixMs) -> Result<bool> {
        Ok(self
            .prepare_cached(
                "SELECT 1 FROM reviews WHERE learner_id = ?1 AND card_id = ?2 AND reviewed_at = ?3",
            )?
            .query_row(params![learner, card, at], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn log_imported_review(&mut self, learner: i64, card: i64, r: &BundleReview) -> Result<()> {
        super::bundle::log_imported_review(self, learner, card, r)
    }

    fn flag_at(
        &mut self,
        learner: i64,
        card: i64,
        flagged_at: i64,
    ) -> Result<Option<(i64, String)>> {
        Ok(self
            .query_row(
                "SELECT id, state FROM flags WHERE learner_id = ?1 AND card_id = ?2 AND flagged_at = ?3
                 ORDER BY id LIMIT 1",
                params![learner, card, flagged_at],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
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
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                learner,
                card,
                f.flagged_at,
                f.note,
                state.as_str(),
                closed_at
            ],
        )?;
        Ok(())
    }

    fn set_flag_state(
        &mut self,
        _learner: i64,
        id: i64,
        state: FlagState,
        closed_at: Option<i64>,
    ) -> Result<()> {
        self.execute(
            "UPDATE flags SET state = ?2, closed_at = ?3 WHERE id = ?1",
            params![id, state.as_str(), closed_at],
        )?;
        Ok(())
    }

    fn flags_over_cap(&mut self, learner: i64, cap: usize) -> Result<Vec<(String, String, usize)>> {
        super::flags_over_cap(self, learner, cap)
    }

    fn study_log(&mut self, learner: i64) -> Result<Vec<LoggedReview>> {
        super::study_log(self, learner)
    }

    fn replace_states(&mut self, learner: i64, states: &BTreeMap<i64, CardState>) -> Result<()> {
        super::replace_states(self, learner, states)
    }
}
