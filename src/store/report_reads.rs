//! What the teacher's reports read ([`ReportReads`]): the class view, item analysis, flags, an exam's results and
//! the grade export ask a store only these questions, so that each report is computed once (`server::ops`,
//! `session::exam`) on whichever database answers them. SQLite answers with the functions of this module's siblings
//! (the impl here, on a connection); PostgreSQL in `store::pg::reports` (feature `server`), on a course-scoped
//! transaction. Each method answers exactly as the SQLite function of its name does, in the same order.

use super::StoredCard;
use super::{Attempt, DeckInfo, DeckStudy, ExamRow, Filter, FlagRow, ItemResponse, Learner};
use crate::error::Result;
use crate::gradebook::ExamScore;
use crate::schedule::CardState;
use crate::time::{Day, UnixMs};
use rusqlite::Connection;
use std::collections::{BTreeMap, HashMap};

/// The reads of the teacher's reports, one method per store function they call (see each function for what it
/// answers). `&mut self`, as a PostgreSQL transaction queries.
pub trait ReportReads {
    /// [`super::deck_titles`].
    fn deck_titles(&mut self) -> Result<BTreeMap<String, String>>;
    /// [`super::for_each_stat_card`].
    fn for_each_stat_card(
        &mut self,
        filter: &Filter,
        each: &mut dyn FnMut(i64, &str, bool),
    ) -> Result<()>;
    /// [`super::for_each_theme_tag`].
    fn for_each_theme_tag(&mut self, each: &mut dyn FnMut(i64, &str)) -> Result<()>;
    /// [`super::learners`]: every learner, by name.
    fn learners(&mut self) -> Result<Vec<Learner>>;
    /// [`super::for_each_review_day`].
    fn for_each_review_day(
        &mut self,
        learner: Option<i64>,
        each: &mut dyn FnMut(i64, i64, Day),
    ) -> Result<()>;
    /// [`super::exams`]: every exam, by id.
    fn exams(&mut self) -> Result<Vec<ExamRow>>;
    /// [`super::exam`].
    fn exam(&mut self, id: &str) -> Result<Option<ExamRow>>;
    /// [`super::best_supervised_scores`].
    fn best_supervised_scores(&mut self) -> Result<Vec<(i64, String, f64)>>;
    /// [`super::last_exam_activity`].
    fn last_exam_activity(&mut self) -> Result<HashMap<i64, UnixMs>>;
    /// [`super::open_flag_counts`].
    fn open_flag_counts(&mut self) -> Result<HashMap<i64, u32>>;
    /// [`super::for_each_memory_state`].
    fn for_each_memory_state(
        &mut self,
        learner: i64,
        each: &mut dyn FnMut(i64, &CardState),
    ) -> Result<()>;
    /// [`super::deck_hash`].
    fn deck_hash(&mut self, deck: &str) -> Result<Option<String>>;
    /// [`super::flags`].
    fn flags(&mut self, all: bool, deck: Option<&str>) -> Result<Vec<FlagRow>>;
    /// [`super::exam_attempts`].
    fn exam_attempts(&mut self, exam: &str) -> Result<Vec<(String, Attempt)>>;
    /// [`super::exam_responses`].
    fn exam_responses(&mut self, exam: &str, unsupervised: bool) -> Result<Vec<ItemResponse>>;
    /// [`super::deck_first_responses`].
    fn deck_first_responses(&mut self, deck: &str) -> Result<Vec<ItemResponse>>;
    /// [`super::card`].
    fn card(&mut self, id: i64) -> Result<Option<StoredCard>>;
    /// [`super::decks`].
    fn decks(&mut self) -> Result<Vec<DeckInfo>>;
    /// [`super::exam_scores`].
    fn exam_scores(&mut self, exam: &str) -> Result<Vec<ExamScore>>;
    /// [`super::deck_items`].
    fn deck_items(&mut self) -> Result<HashMap<String, u32>>;
    /// [`super::for_each_deck_state`].
    fn for_each_deck_state(
        &mut self,
        learner: i64,
        each: &mut dyn FnMut(&str, &CardState),
    ) -> Result<()>;
    /// [`super::deck_study`].
    fn deck_study(
        &mut self,
        learner: i64,
        items: &HashMap<String, u32>,
    ) -> Result<HashMap<String, DeckStudy>>;
}

/// SQLite: each read is the store function of its name.
impl ReportReads for &Connection {
    fn deck_titles(&mut self) -> Result<BTreeMap<String, String>> {
        super::deck_titles(self)
    }
    fn for_each_stat_card(
        &mut self,
        filter: &Filter,
        each: &mut dyn FnMut(i64, &str, bool),
    ) -> Result<()> {
        super::for_each_stat_card(self, filter, each)
    }
    fn for_each_theme_tag(&mut self, each: &mut dyn FnMut(i64, &str)) -> Result<()> {
        super::for_each_theme_tag(self, each)
    }
    fn learners(&mut self) -> Result<Vec<Learner>> {
        super::learners(self)
    }
    fn for_each_review_day(
        &mut self,
        learner: Option<i64>,
        each: &mut dyn FnMut(i64, i64, Day),
    ) -> Result<()> {
        super::for_each_review_day(self, learner, each)
    }
    fn exams(&mut self) -> Result<Vec<ExamRow>> {
        super::exams(self)
    }
    fn exam(&mut self, id: &str) -> Result<Option<ExamRow>> {
        super::exam(self, id)
    }
    fn best_supervised_scores(&mut self) -> Result<Vec<(i64, String, f64)>> {
        super::best_supervised_scores(self)
    }
    fn last_exam_activity(&mut self) -> Result<HashMap<i64, UnixMs>> {
        super::last_exam_activity(self)
    }
    fn open_flag_counts(&mut self) -> Result<HashMap<i64, u32>> {
        super::open_flag_counts(self)
    }
    fn for_each_memory_state(
        &mut self,
        learner: i64,
        each: &mut dyn FnMut(i64, &CardState),
    ) -> Result<()> {
        super::for_each_memory_state(self, learner, each)
    }
    fn deck_hash(&mut self, deck: &str) -> Result<Option<String>> {
        super::deck_hash(self, deck)
    }
    fn flags(&mut self, all: bool, deck: Option<&str>) -> Result<Vec<FlagRow>> {
        super::flags(self, all, deck)
    }
    fn exam_attempts(&mut self, exam: &str) -> Result<Vec<(String, Attempt)>> {
        super::exam_attempts(self, exam)
    }
    fn exam_responses(&mut self, exam: &str, unsupervised: bool) -> Result<Vec<ItemResponse>> {
        super::exam_responses(self, exam, unsupervised)
    }
    fn deck_first_responses(&mut self, deck: &str) -> Result<Vec<ItemResponse>> {
        super::deck_first_responses(self, deck)
    }
    fn card(&mut self, id: i64) -> Result<Option<StoredCard>> {
        super::card(self, id)
    }
    fn decks(&mut self) -> Result<Vec<DeckInfo>> {
        super::decks(self)
    }
    fn exam_scores(&mut self, exam: &str) -> Result<Vec<ExamScore>> {
        super::exam_scores(self, exam)
    }
    fn deck_items(&mut self) -> Result<HashMap<String, u32>> {
        super::deck_items(self)
    }
    fn for_each_deck_state(
        &mut self,
        learner: i64,
        each: &mut dyn FnMut(&str, &CardState),
    ) -> Result<()> {
        super::for_each_deck_state(self, learner, each)
    }
    fn deck_study(
        &mut self,
        learner: i64,
        items: &HashMap<String, u32>,
    ) -> Result<HashMap<String, DeckStudy>> {
        super::deck_study(self, learner, items)
    }
}
