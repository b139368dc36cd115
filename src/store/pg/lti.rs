//! LTI 1.3's records on PostgreSQL ([`LtiRecords`] for a transaction): the links of platform users to roster
//! learners, the courses that launched detente, the exams' line items and the outbox of scores, with the same SQL
//! meaning as `store::lti` on SQLite. The links and the outbox are learner rows under row security: the server
//! reads and writes them in a course-scoped transaction (`Pg::course`).

use crate::error::Result;
use crate::store::{Learner, LtiContext, LtiRecords, NewScore, OutboxRow, Tried};
use postgres::{Row, Transaction};

const OUTBOX: &str = "SELECT o.id, o.learner_id, l.name, o.issuer, o.client_id, o.lineitems, o.resource_id, o.label,
     o.user_id, o.score_given, o.score_maximum, o.timestamp_ms, o.state, o.tries, o.next_try_at, o.answer,
     o.last_error, o.queued_at, o.delivered_at FROM lti_outbox o JOIN learners l ON l.id = o.learner_id";

fn outbox_row(r: &Row) -> Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.try_get(0)?,
        learner_id: r.try_get(1)?,
        learner: r.try_get(2)?,
        issuer: r.try_get(3)?,
        client_id: r.try_get(4)?,
        lineitems: r.try_get(5)?,
        resource_id: r.try_get(6)?,
        label: r.try_get(7)?,
        user_id: r.try_get(8)?,
        score_given: r.try_get(9)?,
        score_maximum: r.try_get(10)?,
        timestamp_ms: r.try_get(11)?,
        state: r.try_get(12)?,
        tries: r.try_get(13)?,
        next_try_at: r.try_get(14)?,
        answer: r.try_get(15)?,
        last_error: r.try_get(16)?,
        queued_at: r.try_get(17)?,
        delivered_at: r.try_get(18)?,
    })
}

impl LtiRecords for Transaction<'_> {
    fn lti_roster(&mut self) -> Result<Vec<Learner>> {
        super::learners::learners(self)
    }

    fn lti_learner(&mut self, issuer: &str, sub: &str) -> Result<Option<i64>> {
        Ok(self
            .query_opt(
                "SELECT learner_id FROM lti_links WHERE issuer = $1 AND sub = $2",
                &[&issuer, &sub],
            )?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn link_lti_user(
        &mut self,
        learner: i64,
        issuer: &str,
        sub: &str,
        matched_by: &str,
        now: i64,
    ) -> Result<()> {
        self.execute(
            "DELETE FROM lti_links WHERE issuer = $1 AND (sub = $2 OR learner_id = $3)",
            &[&issuer, &sub, &learner],
        )?;
        self.execute(
            "INSERT INTO lti_links (learner_id, issuer, sub, linked_at, matched_by) VALUES ($1, $2, $3, $4, $5)",
            &[&learner, &issuer, &sub, &now, &matched_by],
        )?;
        Ok(())
    }

    fn lti_subs(&mut self, issuer: &str) -> Result<Vec<(i64, String)>> {
        self.query(
            "SELECT learner_id, sub FROM lti_links WHERE issuer = $1",
            &[&issuer],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
    }

    fn upsert_lti_context(&mut self, c: &LtiContext) -> Result<()> {
        self.execute(
            "INSERT INTO lti_contexts (issuer, client_id, deployment_id, context_id, title, lineitems, seen_at,
                memberships)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (issuer, client_id, deployment_id, context_id)
             DO UPDATE SET title = excluded.title, lineitems = excluded.lineitems, seen_at = excluded.seen_at,
                memberships = excluded.memberships",
            &[
                &c.issuer,
                &c.client_id,
                &c.deployment_id,
                &c.context_id,
                &c.title,
                &c.lineitems,
                &c.seen_at,
                &c.memberships,
            ],
        )?;
        Ok(())
    }

    fn lti_contexts(&mut self) -> Result<Vec<LtiContext>> {
        self.query(
            "SELECT issuer, client_id, deployment_id, context_id, title, lineitems, seen_at, memberships
             FROM lti_contexts ORDER BY issuer COLLATE \"C\", context_id COLLATE \"C\", deployment_id COLLATE \"C\"",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(LtiContext {
                issuer: r.try_get(0)?,
                client_id: r.try_get(1)?,
                deployment_id: r.try_get(2)?,
                context_id: r.try_get(3)?,
                title: r.try_get(4)?,
                lineitems: r.try_get(5)?,
                seen_at: r.try_get(6)?,
                memberships: r.try_get(7)?,
            })
        })
        .collect()
    }

    fn lti_line_item(&mut self, lineitems: &str, exam: &str) -> Result<Option<String>> {
        Ok(self
            .query_opt(
                "SELECT url FROM lti_line_items WHERE lineitems = $1 AND resource_id = $2",
                &[&lineitems, &exam],
            )?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn set_lti_line_item(&mut self, lineitems: &str, exam: &str, url: Option<&str>) -> Result<()> {
        match url {
            Some(url) => self.execute(
                "INSERT INTO lti_line_items (lineitems, resource_id, url) VALUES ($1, $2, $3)
                 ON CONFLICT (lineitems, resource_id) DO UPDATE SET url = excluded.url",
                &[&lineitems, &exam, &url],
            )?,
            None => self.execute(
                "DELETE FROM lti_line_items WHERE lineitems = $1 AND resource_id = $2",
                &[&lineitems, &exam],
            )?,
        };
        Ok(())
    }

    fn queue_score(&mut self, score: &NewScore, now: i64) -> Result<bool> {
        let added = self.execute(
            "INSERT INTO lti_outbox (learner_id, issuer, client_id, lineitems, resource_id, label, user_id,
                 score_given, score_maximum, timestamp_ms, state, next_try_at, queued_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $11)
             ON CONFLICT (learner_id, lineitems, resource_id, timestamp_ms, score_given)
             DO UPDATE SET state = 'pending', tries = 0, next_try_at = excluded.next_try_at, answer = NULL,
                 last_error = NULL, queued_at = excluded.queued_at
             WHERE lti_outbox.state = 'failed'",
            &[
                &score.learner_id,
                &score.issuer,
                &score.client_id,
                &score.lineitems,
                &score.resource_id,
                &score.label,
                &score.user_id,
                &score.score_given,
                &score.score_maximum,
                &score.timestamp_ms,
                &now,
            ],
        )? == 1;
        if added {
            self.execute(
                "UPDATE lti_outbox SET state = 'superseded'
                 WHERE learner_id = $1 AND lineitems = $2 AND resource_id = $3 AND state = 'pending'
                   AND timestamp_ms <= $4 AND NOT (timestamp_ms = $4 AND score_given = $5)",
                &[
                    &score.learner_id,
                    &score.lineitems,
                    &score.resource_id,
                    &score.timestamp_ms,
                    &score.score_given,
                ],
            )?;
        }
        Ok(added)
    }

    fn outbox(&mut self) -> Result<Vec<OutboxRow>> {
        self.query(&format!("{OUTBOX} ORDER BY o.id"), &[])?
            .iter()
            .map(outbox_row)
            .collect()
    }

    fn due_scores(&mut self, now: i64) -> Result<Vec<OutboxRow>> {
        self.query(
            &format!("{OUTBOX} WHERE o.state = 'pending' AND o.next_try_at <= $1 ORDER BY o.id"),
            &[&now],
        )?
        .iter()
        .map(outbox_row)
        .collect()
    }

    fn next_due(&mut self) -> Result<Option<i64>> {
        Ok(self
            .query_one(
                "SELECT min(next_try_at) FROM lti_outbox WHERE state = 'pending'",
                &[],
            )?
            .try_get(0)?)
    }

    fn record_try(&mut self, id: i64, tried: &Tried, now: i64) -> Result<()> {
        let (state, answer, error, next, delivered) = crate::store::tried_columns(tried, now);
        self.execute(
            "UPDATE lti_outbox SET tries = tries + 1, answer = $2, last_error = $3,
                 next_try_at = coalesce($4, next_try_at), delivered_at = coalesce($5, delivered_at),
                 state = CASE WHEN state = 'pending' OR $1 = 'delivered' THEN $1 ELSE state END
             WHERE id = $6",
            &[&state, &answer, &error, &next, &delivered, &id],
        )?;
        Ok(())
    }
}
