//! The roster's reads and writes in PostgreSQL ([`RosterDb`] on a course-scoped transaction): the rules of
//! `learner add|set|import|enrol` run over them as they run over SQLite's, written once (`store::roster`,
//! `server::ops`). Names are ordered by code point (the "C" collation, as SQLite orders them), and emails and
//! usernames compared ignoring ASCII case only, as SQLite's `NOCASE` compares them.

use super::learners;
use crate::enrol::Key;
use crate::error::Result;
use crate::gradebook::Identity;
use crate::store::exam_dates::LearnerExam;
use crate::store::{IdField, Learner, PeopleReads, RosterDb};
use postgres::Transaction;
use std::collections::BTreeSet;

/// SQLite's `NOCASE` in PostgreSQL: ASCII letters folded, nothing else (PostgreSQL's `lower` folds more).
const FOLD: &str = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'";

impl PeopleReads for Transaction<'_> {
    fn learners(&mut self) -> Result<Vec<Learner>> {
        learners::learners(self)
    }

    fn learner_by_name(&mut self, name: &str) -> Result<Option<Learner>> {
        learners::learner_by_name(self, name)
    }

    fn learner_with(&mut self, field: IdField, value: &str) -> Result<Option<Learner>> {
        let column = field.column();
        // `column` is one of IdField's fixed names, never input.
        let test = match field {
            IdField::StudentId => format!("{column} = $1"),
            IdField::Email | IdField::Username => {
                format!("translate({column}, {FOLD}) = translate($1, {FOLD})")
            }
        };
        learners::learner_where(
            self,
            &format!("{test} ORDER BY {column} = $1 DESC, id LIMIT 1"),
            value,
        )
    }
}

impl RosterDb for Transaction<'_> {
    fn add_learner(&mut self, name: &str, now: i64) -> Result<Option<Learner>> {
        learners::add_learner(self, name, None, now)
    }

    fn insert_learner(&mut self, name: &str, now: i64) -> Result<i64> {
        Ok(self
            .query_one(
                "INSERT INTO learners (name, created_at) VALUES ($1, $2) RETURNING id",
                &[&name, &now],
            )?
            .try_get(0)?)
    }

    fn update_learner(&mut self, l: &Learner) -> Result<()> {
        self.execute(
            "UPDATE learners SET new_per_day = $2, reviews_per_day = $3, desired_retention = $4,
             rollover_hour = $5 WHERE id = $1",
            &[
                &l.id,
                &i64::from(l.new_per_day),
                &i64::from(l.reviews_per_day),
                &f64::from(l.desired_retention),
                &i64::from(l.rollover_hour),
            ],
        )?;
        Ok(())
    }

    fn set_identity(&mut self, learner: i64, id: &Identity) -> Result<()> {
        let id = id.cleaned();
        self.execute(
            "UPDATE learners SET username = coalesce($2, username), first_name = coalesce($3, first_name),
                last_name = coalesce($4, last_name), email = coalesce($5, email),
                student_id = coalesce($6, student_id)
             WHERE id = $1",
            &[
                &learner,
                &id.username,
                &id.first_name,
                &id.last_name,
                &id.email,
                &id.student_id,
            ],
        )?;
        Ok(())
    }

    fn set_learner_exam(&mut self, learner: i64, exam: Option<&LearnerExam>) -> Result<()> {
        let date = exam.map(|e| e.date.format("%Y-%m-%d").to_string());
        let scope = exam.map(|e| serde_json::to_string(&e.scope).unwrap_or_else(|_| "[]".into()));
        self.execute(
            "UPDATE learners SET exam_date = $2, exam_scope = $3 WHERE id = $1",
            &[&learner, &date, &scope],
        )?;
        Ok(())
    }

    fn scope_names(&mut self) -> Result<(Vec<String>, Vec<String>)> {
        let column = |tx: &mut Self, sql: &str| -> Result<Vec<String>> {
            tx.query(sql, &[])?
                .iter()
                .map(|r| Ok(r.try_get(0)?))
                .collect()
        };
        let decks = column(
            self,
            "SELECT id FROM decks WHERE retired_at IS NULL ORDER BY id COLLATE \"C\"",
        )?;
        let tags = column(
            self,
            "SELECT DISTINCT tag COLLATE \"C\" FROM card_tags ORDER BY 1",
        )?;
        Ok((decks, tags))
    }

    fn enrolled(&mut self) -> Result<BTreeSet<i64>> {
        self.query(
            "SELECT learner_id FROM enrolment_keys WHERE reissued_at IS NULL",
            &[],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    fn key_id_taken(&mut self, key_id: &str) -> Result<bool> {
        Ok(self
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM enrolment_keys WHERE key_id = $1)",
                &[&key_id],
            )?
            .try_get(0)?)
    }

    fn issue_key(&mut self, learner: i64, key: &Key, now: i64) -> Result<i64> {
        self.execute(
            "UPDATE enrolment_keys SET reissued_at = $2, key = NULL WHERE learner_id = $1 AND reissued_at IS NULL",
            &[&learner, &now],
        )?;
        let generation: i64 = self
            .query_one(
                "SELECT coalesce(max(generation), 0) + 1 FROM enrolment_keys WHERE learner_id = $1",
                &[&learner],
            )?
            .try_get(0)?;
        self.execute(
            "INSERT INTO enrolment_keys (key_id, learner_id, key, generation, issued_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[&key.id(), &learner, &key.as_bytes(), &generation, &now],
        )?;
        Ok(generation)
    }
}
