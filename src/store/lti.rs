//! LTI 1.3's tables (`lti_links`, `lti_contexts`, `lti_line_items`, `lti_outbox`): which platform user is which
//! roster learner, the courses that launched detente with their grade book's line items URL, the line item of each
//! exam there, and the outbox of scores for the class server's sender to deliver, with each try's outcome.

use crate::error::Result;
use crate::store::Learner;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// LTI's records as one transaction of a class server's database sees them: the functions of this file on SQLite
/// (a write transaction), their PostgreSQL twins in `pg::lti` (a course-scoped transaction). The launch's
/// matching and the grade passback (`server::lti`) run once on either.
pub trait LtiRecords {
    /// The roster, by name (`learners`).
    fn lti_roster(&mut self) -> Result<Vec<Learner>>;
    /// [`lti_learner`].
    fn lti_learner(&mut self, issuer: &str, sub: &str) -> Result<Option<i64>>;
    /// [`link_lti_user`].
    fn link_lti_user(
        &mut self,
        learner: i64,
        issuer: &str,
        sub: &str,
        matched_by: &str,
        now: i64,
    ) -> Result<()>;
    /// [`lti_subs`].
    fn lti_subs(&mut self, issuer: &str) -> Result<Vec<(i64, String)>>;
    /// [`upsert_lti_context`].
    fn upsert_lti_context(&mut self, c: &LtiContext) -> Result<()>;
    /// [`lti_contexts`].
    fn lti_contexts(&mut self) -> Result<Vec<LtiContext>>;
    /// [`lti_line_item`].
    fn lti_line_item(&mut self, lineitems: &str, exam: &str) -> Result<Option<String>>;
    /// [`set_lti_line_item`].
    fn set_lti_line_item(&mut self, lineitems: &str, exam: &str, url: Option<&str>) -> Result<()>;
    /// [`queue_score`].
    fn queue_score(&mut self, score: &NewScore, now: i64) -> Result<bool>;
    /// [`outbox`].
    fn outbox(&mut self) -> Result<Vec<OutboxRow>>;
    /// [`due_scores`].
    fn due_scores(&mut self, now: i64) -> Result<Vec<OutboxRow>>;
    /// [`next_due`].
    fn next_due(&mut self) -> Result<Option<i64>>;
    /// [`record_try`].
    fn record_try(&mut self, id: i64, tried: &Tried, now: i64) -> Result<()>;
}

impl LtiRecords for Transaction<'_> {
    fn lti_roster(&mut self) -> Result<Vec<Learner>> {
        crate::store::learners(self)
    }
    fn lti_learner(&mut self, issuer: &str, sub: &str) -> Result<Option<i64>> {
        lti_learner(self, issuer, sub)
    }
    fn link_lti_user(
        &mut self,
        learner: i64,
        issuer: &str,
        sub: &str,
        matched_by: &str,
        now: i64,
    ) -> Result<()> {
        link_lti_user(self, learner, issuer, sub, matched_by, now)
    }
    fn lti_subs(&mut self, issuer: &str) -> Result<Vec<(i64, String)>> {
        lti_subs(self, issuer)
    }
    fn upsert_lti_context(&mut self, c: &LtiContext) -> Result<()> {
        upsert_lti_context(self, c)
    }
    fn lti_contexts(&mut self) -> Result<Vec<LtiContext>> {
        lti_contexts(self)
    }
    fn lti_line_item(&mut self, lineitems: &str, exam: &str) -> Result<Option<String>> {
        lti_line_item(self, lineitems, exam)
    }
    fn set_lti_line_item(&mut self, lineitems: &str, exam: &str, url: Option<&str>) -> Result<()> {
        set_lti_line_item(self, lineitems, exam, url)
    }
    fn queue_score(&mut self, score: &NewScore, now: i64) -> Result<bool> {
        queue_score(self, score, now)
    }
    fn outbox(&mut self) -> Result<Vec<OutboxRow>> {
        outbox(self)
    }
    fn due_scores(&mut self, now: i64) -> Result<Vec<OutboxRow>> {
        due_scores(self, now)
    }
    fn next_due(&mut self) -> Result<Option<i64>> {
        next_due(self)
    }
    fn record_try(&mut self, id: i64, tried: &Tried, now: i64) -> Result<()> {
        record_try(self, id, tried, now)
    }
}

/// The learner a platform's user (`issuer`, `sub`) was linked to, if any.
pub fn lti_learner(conn: &Connection, issuer: &str, sub: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT learner_id FROM lti_links WHERE issuer = ?1 AND sub = ?2")?
        .query_row(params![issuer, sub], |r| r.get(0))
        .optional()?)
}

/// Links the platform's user `sub` of `issuer` to `learner`, replacing the learner's earlier link on that platform
/// and any other learner's link of that user.
pub fn link_lti_user(
    tx: &Transaction<'_>,
    learner: i64,
    issuer: &str,
    sub: &str,
    matched_by: &str,
    now: i64,
) -> Result<()> {
    tx.execute(
        "DELETE FROM lti_links WHERE issuer = ?1 AND (sub = ?2 OR learner_id = ?3)",
        params![issuer, sub, learner],
    )?;
    tx.execute(
        "INSERT INTO lti_links (learner_id, issuer, sub, linked_at, matched_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![learner, issuer, sub, now, matched_by],
    )?;
    Ok(())
}

/// The platform users linked to learners on `issuer`: `(learner id, sub)`.
pub fn lti_subs(conn: &Connection, issuer: &str) -> Result<Vec<(i64, String)>> {
    let mut stmt =
        conn.prepare_cached("SELECT learner_id, sub FROM lti_links WHERE issuer = ?1")?;
    let rows = stmt
        .query_map([issuer], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A course of a platform that launched detente with a grade book detente may write to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LtiContext {
    pub issuer: String,
    pub client_id: String,
    pub deployment_id: String,
    pub context_id: String,
    pub title: Option<String>,
    /// The Assignment and Grade Services line items URL.
    pub lineitems: String,
    /// Unix seconds of its last launch.
    pub seen_at: i64,
    /// The course's roster URL (Names and Role Provisioning Services), if the platform offers it.
    #[serde(default)]
    pub memberships: Option<String>,
}

/// Records a launch's course, its line items URL and its roster URL (the last launch's URLs win).
pub fn upsert_lti_context(tx: &Transaction<'_>, c: &LtiContext) -> Result<()> {
    tx.execute(
        "INSERT INTO lti_contexts (issuer, client_id, deployment_id, context_id, title, lineitems, seen_at,
            memberships)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (issuer, client_id, deployment_id, context_id)
         DO UPDATE SET title = excluded.title, lineitems = excluded.lineitems, seen_at = excluded.seen_at,
            memberships = excluded.memberships",
        params![
            c.issuer,
            c.client_id,
            c.deployment_id,
            c.context_id,
            c.title,
            c.lineitems,
            c.seen_at,
            c.memberships
        ],
    )?;
    Ok(())
}

/// Every course that launched detente with a grade book, by issuer and context.
pub fn lti_contexts(conn: &Connection) -> Result<Vec<LtiContext>> {
    let mut stmt = conn.prepare_cached(
        "SELECT issuer, client_id, deployment_id, context_id, title, lineitems, seen_at, memberships
         FROM lti_contexts ORDER BY issuer, context_id, deployment_id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok(LtiContext {
                issuer: r.get(0)?,
                client_id: r.get(1)?,
                deployment_id: r.get(2)?,
                context_id: r.get(3)?,
                title: r.get(4)?,
                lineitems: r.get(5)?,
                seen_at: r.get(6)?,
                memberships: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The line item of `exam` in the line items container `lineitems`, if detente made or found it before.
pub fn lti_line_item(conn: &Connection, lineitems: &str, exam: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT url FROM lti_line_items WHERE lineitems = ?1 AND resource_id = ?2")?
        .query_row(params![lineitems, exam], |r| r.get(0))
        .optional()?)
}

/// Remembers (or forgets, with `None`) the line item of `exam` in `lineitems`.
pub fn set_lti_line_item(
    tx: &Transaction<'_>,
    lineitems: &str,
    exam: &str,
    url: Option<&str>,
) -> Result<()> {
    match url {
        Some(url) => tx.execute(
            "INSERT INTO lti_line_items (lineitems, resource_id, url) VALUES (?1, ?2, ?3)
             ON CONFLICT (lineitems, resource_id) DO UPDATE SET url = excluded.url",
            params![lineitems, exam, url],
        )?,
        None => tx.execute(
            "DELETE FROM lti_line_items WHERE lineitems = ?1 AND resource_id = ?2",
            params![lineitems, exam],
        )?,
    };
    Ok(())
}

/// A score to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewScore {
    pub learner_id: i64,
    pub issuer: String,
    pub client_id: String,
    pub lineitems: String,
    pub resource_id: String,
    pub label: String,
    pub user_id: String,
    pub score_given: f64,
    pub score_maximum: f64,
    pub timestamp_ms: i64,
}

/// Queues `score` unless the same score of the same attempt is queued or delivered already (then `false`); the same
/// score that failed before is queued again, its tries from zero. Rows of the same learner, course and exam still
/// pending with an older (or the same) timestamp are superseded: only the newest goes.
pub fn queue_score(tx: &Transaction<'_>, score: &NewScore, now: i64) -> Result<bool> {
    let added = tx.execute(
        "INSERT INTO lti_outbox (learner_id, issuer, client_id, lineitems, resource_id, label, user_id, score_given,
             score_maximum, timestamp_ms, state, next_try_at, queued_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?11, ?11)
         ON CONFLICT (learner_id, lineitems, resource_id, timestamp_ms, score_given)
         DO UPDATE SET state = 'pending', tries = 0, next_try_at = excluded.next_try_at, answer = NULL,
             last_error = NULL, queued_at = excluded.queued_at
         WHERE lti_outbox.state = 'failed'",
        params![
            score.learner_id,
            score.issuer,
            score.client_id,
            score.lineitems,
            score.resource_id,
            score.label,
            score.user_id,
            score.score_given,
            score.score_maximum,
            score.timestamp_ms,
            now
        ],
    )? == 1;
    if added {
        tx.execute(
            "UPDATE lti_outbox SET state = 'superseded'
             WHERE learner_id = ?1 AND lineitems = ?2 AND resource_id = ?3 AND state = 'pending' AND timestamp_ms <= ?4
               AND NOT (timestamp_ms = ?4 AND score_given = ?5)",
            params![
                score.learner_id,
                score.lineitems,
                score.resource_id,
                score.timestamp_ms,
                score.score_given
            ],
        )?;
    }
    Ok(added)
}

/// A row of the outbox, with its learner's name.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutboxRow {
    pub id: i64,
    pub learner_id: i64,
    pub learner: String,
    pub issuer: String,
    pub client_id: String,
    pub lineitems: String,
    pub resource_id: String,
    pub label: String,
    pub user_id: String,
    pub score_given: f64,
    pub score_maximum: f64,
    pub timestamp_ms: i64,
    /// `pending`, `delivered`, `superseded` (a newer score of the same exam replaced it before it went) or `failed`
    /// (the platform refused it for good, or every try failed).
    pub state: String,
    pub tries: i64,
    /// Unix seconds.
    pub next_try_at: i64,
    /// The HTTP status of the last try.
    pub answer: Option<i64>,
    pub last_error: Option<String>,
    pub queued_at: i64,
    pub delivered_at: Option<i64>,
}

const OUTBOX: &str = "SELECT o.id, o.learner_id, l.name, o.issuer, o.client_id, o.lineitems, o.resource_id, o.label,
     o.user_id, o.score_given, o.score_maximum, o.timestamp_ms, o.state, o.tries, o.next_try_at, o.answer,
     o.last_error, o.queued_at, o.delivered_at FROM lti_outbox o JOIN learners l ON l.id = o.learner_id";

fn outbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        learner_id: r.get(1)?,
        learner: r.get(2)?,
        issuer: r.get(3)?,
        client_id: r.get(4)?,
        lineitems: r.get(5)?,
        resource_id: r.get(6)?,
        label: r.get(7)?,
        user_id: r.get(8)?,
        score_given: r.get(9)?,
        score_maximum: r.get(10)?,
        timestamp_ms: r.get(11)?,
        state: r.get(12)?,
        tries: r.get(13)?,
        next_try_at: r.get(14)?,
        answer: r.get(15)?,
        last_error: r.get(16)?,
        queued_at: r.get(17)?,
        delivered_at: r.get(18)?,
    })
}

/// The outbox, oldest first.
pub fn outbox(conn: &Connection) -> Result<Vec<OutboxRow>> {
    let mut stmt = conn.prepare_cached(&format!("{OUTBOX} ORDER BY o.id"))?;
    let rows = stmt
        .query_map([], outbox_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The pending scores due at `now` (Unix seconds), oldest first.
pub fn due_scores(conn: &Connection, now: i64) -> Result<Vec<OutboxRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{OUTBOX} WHERE o.state = 'pending' AND o.next_try_at <= ?1 ORDER BY o.id"
    ))?;
    let rows = stmt
        .query_map([now], outbox_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// When the next pending score is due (Unix seconds), if any is pending.
pub fn next_due(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT min(next_try_at) FROM lti_outbox WHERE state = 'pending'")?
        .query_row([], |r| r.get(0))?)
}

/// What a try of a score came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Tried {
    /// The platform took it (or has a newer score already): `answer` is its HTTP status.
    Delivered { answer: i64, note: Option<String> },
    /// To try again at `next_try_at` (Unix seconds).
    Retry {
        answer: Option<i64>,
        error: String,
        next_try_at: i64,
    },
    /// Refused for good, or out of tries.
    Failed { answer: Option<i64>, error: String },
}

/// The columns a try writes: its state, HTTP answer, error, next try and delivery time.
pub fn tried_columns(
    tried: &Tried,
    now: i64,
) -> (
    &'static str,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
) {
    match tried {
        Tried::Delivered { answer, note } => (
            "delivered",
            Some(*answer),
            note.clone(),
            None::<i64>,
            Some(now),
        ),
        Tried::Retry {
            answer,
            error,
            next_try_at,
        } => (
            "pending",
            *answer,
            Some(error.clone()),
            Some(*next_try_at),
            None,
        ),
        Tried::Failed { answer, error } => ("failed", *answer, Some(error.clone()), None, None),
    }
}

/// Records a try of the pending score `id` at `now`. A row that is no longer pending (superseded meanwhile) keeps
/// its state; the try is counted all the same.
pub fn record_try(tx: &Transaction<'_>, id: i64, tried: &Tried, now: i64) -> Result<()> {
    let (state, answer, error, next, delivered) = tried_columns(tried, now);
    tx.execute(
        "UPDATE lti_outbox SET tries = tries + 1, answer = ?2, last_error = ?3,
             next_try_at = coalesce(?4, next_try_at), delivered_at = coalesce(?5, delivered_at),
             state = CASE WHEN state = 'pending' OR ?1 = 'delivered' THEN ?1 ELSE state END
         WHERE id = ?6",
        params![state, answer, error, next, delivered, id],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, add_learner};

    fn score(learner: i64, at: i64, given: f64) -> NewScore {
        NewScore {
            learner_id: learner,
            issuer: "https://lms".into(),
            client_id: "c".into(),
            lineitems: "https://lms/li".into(),
            resource_id: "mid".into(),
            label: "Midterm".into(),
            user_id: "u1".into(),
            score_given: given,
            score_maximum: 10.0,
            timestamp_ms: at,
        }
    }

    /// Attack: a score sent twice, or an older score sent after a newer one. The same score of the same attempt is
    /// queued once; a newer one supersedes the pending older one (only the newest is due); a try recorded on a row
    /// superseded meanwhile does not bring it back; a delivered row is no longer due, and its delivery is kept; a
    /// failed one is queued again by the next push, and only once.
    #[test]
    fn a_score_is_queued_once_and_only_the_newest_pending_one_goes() {
        let mut store = Store::open(std::path::Path::new(":memory:")).unwrap();
        let tx = store.write().unwrap();
        let ann = add_learner(&tx, "ann", 0).unwrap().unwrap().id;
        assert!(queue_score(&tx, &score(ann, 1_000, 8.0), 5).unwrap());
        assert!(!queue_score(&tx, &score(ann, 1_000, 8.0), 6).unwrap());
        assert!(queue_score(&tx, &score(ann, 2_000, 9.0), 7).unwrap());
        let due = due_scores(&tx, 10).unwrap();
        assert_eq!(
            due.iter().map(|r| r.timestamp_ms).collect::<Vec<_>>(),
            [2_000]
        );
        let first = outbox(&tx).unwrap()[0].id;
        let retry = Tried::Retry {
            answer: Some(500),
            error: "HTTP 500".into(),
            next_try_at: 99,
        };
        record_try(&tx, first, &retry, 10).unwrap();
        assert_eq!(outbox(&tx).unwrap()[0].state, "superseded");
        let newest = due[0].id;
        record_try(&tx, newest, &retry, 10).unwrap();
        assert!(due_scores(&tx, 98).unwrap().is_empty());
        assert_eq!(next_due(&tx).unwrap(), Some(99));
        let done = Tried::Delivered {
            answer: 409,
            note: Some("newer".into()),
        };
        record_try(&tx, newest, &done, 99).unwrap();
        let rows = outbox(&tx).unwrap();
        assert_eq!(
            (rows[1].state.as_str(), rows[1].tries, rows[1].delivered_at),
            ("delivered", 2, Some(99))
        );
        assert!(due_scores(&tx, 1_000).unwrap().is_empty());
        assert_eq!(next_due(&tx).unwrap(), None);
        // A score that failed for good is queued again by the next push, from its first try.
        let failed = Tried::Failed {
            answer: Some(400),
            error: "refused".into(),
        };
        assert!(queue_score(&tx, &score(ann, 3_000, 7.0), 100).unwrap());
        let third = outbox(&tx).unwrap()[2].id;
        record_try(&tx, third, &failed, 100).unwrap();
        assert!(due_scores(&tx, 1_000).unwrap().is_empty());
        assert!(queue_score(&tx, &score(ann, 3_000, 7.0), 200).unwrap());
        let rows = outbox(&tx).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (rows[2].state.as_str(), rows[2].tries, rows[2].next_try_at),
            ("pending", 0, 200)
        );
        assert!(!queue_score(&tx, &score(ann, 3_000, 7.0), 300).unwrap());
    }
}
