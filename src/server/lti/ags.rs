//! Assignment and Grade Services (LTI AGS 2.0): a teacher's `grades push EXAM` queues the exam's grades (`--deck
//! ID`: the deck's mastery), one outbox row per learner linked to a platform user and per course that launched
//! detente, and the sender delivers them: an access token (client credentials with a client assertion signed by
//! the tool's key), the line item (found by its `resourceId` and tag, or created), and the score posted with the
//! counted attempt's closing time (a deck: the learner's last study) as its timestamp. A failure of the network, a 5xx, a 429 or a refused token is tried again later (the
//! configured wait, doubled each time, at most an hour; [`MAX_TRIES`] in all); the platform's answer that it has
//! a newer score (409 as Moodle answers, Canvas's 400 "before last updated timestamp", a 422 about the timestamp)
//! counts as delivered, once.

use super::{Lti, nrps};
use crate::error::{Error, Result};
use crate::server::api::{LtiOutbox, LtiPush, LtiPushed};
use crate::server::ops::{Column, LtiOps};
use crate::store::{LtiContext, LtiRecords, NewScore, OutboxRow, Tried};
use crate::time::UnixMs;
use serde_json::{Value, json};
use std::collections::HashSet;

pub const SCOPE_LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
pub const SCOPE_SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
/// The scopes of a grades token: line items and scores.
pub const SCOPES: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem \
                          https://purl.imsglobal.org/spec/lti-ags/scope/score";
/// The scope of a course roster token (Names and Role Provisioning Services).
pub const SCOPE_ROSTER: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
/// The tag of the exams' line items detente makes.
pub const TAG: &str = "detente-exam";
/// Tries of one score before it is marked failed.
pub const MAX_TRIES: i64 = 12;
/// The longest wait between two tries (seconds).
const MAX_WAIT: i64 = 3600;

/// Percent-encodes `text` for a URL's query or a form (RFC 3986 unreserved characters kept).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `application/x-www-form-urlencoded` of `pairs`.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// What a platform said, for a message: its JSON error or the start of its body, on one line.
pub fn said(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.chars().take(200).collect()
}

/// `url` with `/scores` added to its path (before any query), as AGS builds a line item's scores URL.
pub fn scores_url(line_item: &str) -> String {
    match line_item.split_once('?') {
        Some((path, query)) => format!("{}/scores?{query}", path.trim_end_matches('/')),
        None => format!("{}/scores", line_item.trim_end_matches('/')),
    }
}

/// `url` with `key=value` added to its query.
fn with_query(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}={}", encode(key), encode(value))
}

/// How long to wait after the `tries`-th failed try (1 for the first): `base` doubled each time, at most an hour.
pub fn backoff(base: u64, tries: i64) -> i64 {
    let base = i64::try_from(base).unwrap_or(MAX_WAIT);
    let doubled = base.saturating_mul(1_i64 << (tries - 1).clamp(0, 20));
    doubled.min(MAX_WAIT)
}

/// An RFC 3339 time of Unix milliseconds, as AGS writes timestamps.
pub fn timestamp(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The tag of the line items of decks' mastery.
pub const TAG_MASTERY: &str = "detente-mastery";
pub use crate::server::ops::DECK;

/// `grades push EXAM` or `grades push --deck ID`: queues the exam's grades (or the deck's mastery, as a percentage
/// with the learner's last study as its time) for every course that launched detente on a configured platform, for
/// each learner linked to a user of that platform. Scores queued or delivered before are not queued again; a newer
/// one supersedes an older one not yet delivered.
pub fn queue(repo: &dyn LtiOps, lti: &Lti, req: &LtiPush, now: UnixMs) -> Result<LtiPushed> {
    let column = repo.lti_column(req, now)?;
    let (found, problems) = from_rosters(repo, lti, &column, now)?;
    let mut pushed = None;
    repo.lti_work(&mut |records| {
        pushed = Some(queue_column(records, lti, &column, now)?);
        Ok(())
    })?;
    let pushed = pushed.map(|mut p| {
        p.found_in_roster = found.clone();
        p.roster_problems = problems.clone();
        p
    });
    lti.wake.notify_one();
    pushed.ok_or_else(|| Error::InvalidData("the push did not run".to_string()))
}

/// Links the learners of `column` who have a grade and no user of a course's platform yet, from each such course's
/// roster (Names and Role Provisioning Services, [`nrps`]): read outside any transaction, linked in one. Returns
/// the names linked, and why a roster could not be read.
fn from_rosters(
    repo: &dyn LtiOps,
    lti: &Lti,
    column: &Column,
    now: UnixMs,
) -> Result<(Vec<String>, Vec<String>)> {
    let graded: HashSet<i64> = column
        .rows
        .iter()
        .filter(|(_, _, share)| share.is_some())
        .map(|(id, _, _)| *id)
        .collect();
    let mut wanted: Vec<(LtiContext, usize, HashSet<i64>)> = Vec::new();
    repo.lti_work(&mut |records| {
        wanted.clear();
        for c in records.lti_contexts()? {
            let Some(platform) = lti.platform(&c.issuer, Some(&c.client_id)) else {
                continue;
            };
            if c.memberships.is_none() {
                continue;
            }
            let subs: HashSet<i64> = records
                .lti_subs(&c.issuer)?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            let missing: HashSet<i64> = graded.difference(&subs).copied().collect();
            if !missing.is_empty() {
                wanted.push((c, platform, missing));
            }
        }
        Ok(())
    })?;
    let (mut found, mut problems) = (Vec::new(), Vec::new());
    // Learners linked to each platform by an earlier course's roster in this push.
    let mut done: HashSet<(String, i64)> = HashSet::new();
    for (c, platform, missing) in wanted {
        let missing: HashSet<i64> = missing
            .into_iter()
            .filter(|id| !done.contains(&(c.issuer.clone(), *id)))
            .collect();
        let Some(url) = c.memberships.as_deref().filter(|_| !missing.is_empty()) else {
            continue;
        };
        let members = match nrps::members(lti, platform, url, now.secs()) {
            Ok(m) => m,
            Err(e) => {
                let course = c.title.as_deref().unwrap_or(&c.context_id);
                (lti.log)(&format!("lti: the roster of {course} was not read: {e}"));
                problems.push(format!("{course}: {e}"));
                continue;
            }
        };
        repo.lti_work(&mut |records| {
            for (id, name) in nrps::link(records, &c.issuer, &members, &missing, now.secs())? {
                done.insert((c.issuer.clone(), id));
                if !found.contains(&name) {
                    found.push(name);
                }
            }
            Ok(())
        })?;
    }
    Ok((found, problems))
}

/// Queues `column` for every course that launched detente on a configured platform (see [`queue`]).
fn queue_column(
    records: &mut dyn LtiRecords,
    lti: &Lti,
    column: &Column,
    now: UnixMs,
) -> Result<LtiPushed> {
    let contexts: Vec<_> = records
        .lti_contexts()?
        .into_iter()
        .filter(|c| lti.platform(&c.issuer, Some(&c.client_id)).is_some())
        .collect();
    if contexts.is_empty() {
        return Err(Error::Usage(
            "no course has launched detente from a configured platform yet: the grade book's address comes with \
             a launch (open detente's activity in the course once, as anyone), then push again"
                .to_string(),
        ));
    }
    let mut pushed = LtiPushed {
        resource_id: column.resource_id.clone(),
        courses: contexts.len(),
        ..LtiPushed::default()
    };
    for (n, c) in contexts.iter().enumerate() {
        let subs: std::collections::HashMap<i64, String> =
            records.lti_subs(&c.issuer)?.into_iter().collect();
        for (learner, name, result) in &column.rows {
            let Some((share, at)) = result else {
                if n == 0 {
                    pushed.no_grade.push(name.clone());
                }
                continue;
            };
            let Some(sub) = subs.get(learner) else {
                if !pushed.not_linked.contains(name) {
                    pushed.not_linked.push(name.clone());
                }
                continue;
            };
            let score = NewScore {
                learner_id: *learner,
                issuer: c.issuer.clone(),
                client_id: c.client_id.clone(),
                lineitems: c.lineitems.clone(),
                resource_id: column.resource_id.clone(),
                label: column.label.clone(),
                user_id: sub.clone(),
                score_given: (share.clamp(0.0, 1.0) * column.maximum * 1000.0).round() / 1000.0,
                score_maximum: column.maximum,
                timestamp_ms: *at,
            };
            if records.queue_score(&score, now.secs())? {
                pushed.queued += 1;
            } else {
                pushed.unchanged += 1;
            }
        }
    }
    Ok(pushed)
}

/// The outbox as the teacher sees it, with counts by state.
pub fn outbox(repo: &dyn LtiOps) -> Result<LtiOutbox> {
    let mut rows = Vec::new();
    repo.lti_work(&mut |records| {
        rows = records.outbox()?;
        Ok(())
    })?;
    let count = |s: &str| rows.iter().filter(|r| r.state == s).count();
    Ok(LtiOutbox {
        pending: count("pending"),
        delivered: count("delivered"),
        failed: count("failed"),
        superseded: count("superseded"),
        rows,
    })
}

/// Delivers every score due at `now` (Unix seconds), recording each try; answers when the next pending score is
/// due. Blocking: the database is used only to read and record, never during a request to a platform.
pub fn deliver_due(repo: &dyn LtiOps, lti: &Lti, now: i64) -> Result<Option<i64>> {
    let mut due = Vec::new();
    repo.lti_work(&mut |records| {
        due = records.due_scores(now)?;
        Ok(())
    })?;
    for row in due {
        let tried = try_one(repo, lti, &row, now);
        match &tried {
            Tried::Delivered { answer, note } => (lti.log)(&format!(
                "lti: delivered score {} ({} of exam {}) to {}: HTTP {answer}{}",
                row.id,
                row.learner,
                row.resource_id,
                row.issuer,
                note.as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            )),
            Tried::Retry {
                error, next_try_at, ..
            } => (lti.log)(&format!(
                "lti: score {} not delivered, tried again in {} s: {error}",
                row.id,
                next_try_at - now
            )),
            Tried::Failed { error, .. } => (lti.log)(&format!(
                "error: lti: score {} not delivered, given up: {error}",
                row.id
            )),
        }
        repo.lti_work(&mut |records| records.record_try(row.id, &tried, now))?;
    }
    let mut next = None;
    repo.lti_work(&mut |records| {
        next = records.next_due()?;
        Ok(())
    })?;
    Ok(next)
}

/// One try of one score.
fn try_one(repo: &dyn LtiOps, lti: &Lti, row: &OutboxRow, now: i64) -> Tried {
    let retry = |answer: Option<i64>, error: String| {
        if row.tries + 1 >= MAX_TRIES {
            Tried::Failed {
                answer,
                error: format!("{error} (after {MAX_TRIES} tries)"),
            }
        } else {
            Tried::Retry {
                answer,
                error,
                next_try_at: now + backoff(lti.config.retry_secs, row.tries + 1),
            }
        }
    };
    let Some(platform) = lti.platform(&row.issuer, Some(&row.client_id)) else {
        return Tried::Failed {
            answer: None,
            error: format!(
                "the platform {} is no longer in the server's configuration",
                row.issuer
            ),
        };
    };
    let token = match lti.access_token(platform, now) {
        Ok(t) => t,
        Err(e) => return retry(None, e),
    };
    let line_item = match line_item(repo, lti, row, &token) {
        Ok(url) => url,
        Err((answer, e)) => {
            if answer == Some(401) {
                lti.drop_token(platform);
            }
            return retry(answer, e);
        }
    };
    let body = json!({
        "userId": row.user_id,
        "scoreGiven": row.score_given,
        "scoreMaximum": row.score_maximum,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": timestamp(row.timestamp_ms),
    });
    let bearer = format!("Bearer {token}");
    let answer = match lti.web.request(
        "POST",
        &scores_url(&line_item),
        &[
            ("authorization", &bearer),
            ("content-type", "application/vnd.ims.lis.v1.score+json"),
            ("accept", "application/json"),
        ],
        body.to_string().as_bytes(),
    ) {
        Ok(a) => a,
        Err(e) => return retry(None, e),
    };
    let status = i64::from(answer.status);
    let words = said(&answer.body);
    match answer.status {
        200..=299 => Tried::Delivered {
            answer: status,
            note: None,
        },
        409 | 400 | 422 if has_newer(answer.status, &words) => Tried::Delivered {
            answer: status,
            note: Some(format!(
                "the platform has this score or a newer one: {words}"
            )),
        },
        401 => {
            lti.drop_token(platform);
            retry(
                Some(status),
                format!("the platform refused the access token: {words}"),
            )
        }
        404 => {
            // The line item was deleted in the grade book: found or made again on the next try.
            let _ = repo.lti_work(&mut |records| {
                records.set_lti_line_item(&row.lineitems, &row.resource_id, None)
            });
            retry(
                Some(status),
                format!("the line item {line_item} is gone: {words}"),
            )
        }
        429 | 500..=599 => retry(
            Some(status),
            format!("the platform answered HTTP {status}: {words}"),
        ),
        _ => Tried::Failed {
            answer: Some(status),
            error: format!("the platform refused the score with HTTP {status}: {words}"),
        },
    }
}

/// Whether a refusal says the platform already has this score or a newer one: 409 (the AGS specification's
/// answer, and Moodle's "Refusing score with an earlier timestamp"), Canvas's 400 "Provided timestamp of ... before
/// last updated timestamp of ..." (`Lti::Ims::ScoresController#verify_valid_timestamp`), or a 422 about the
/// timestamp. Any other 400 or 422 (a score the platform cannot take) is not.
fn has_newer(status: u16, words: &str) -> bool {
    let words = words.to_ascii_lowercase();
    match status {
        409 => true,
        400 => words.contains("before last updated timestamp"),
        422 => words.contains("timestamp"),
        _ => false,
    }
}

/// The exam's line item in the row's course: remembered, else found by its resource id and tag, else created.
fn line_item(
    repo: &dyn LtiOps,
    lti: &Lti,
    row: &OutboxRow,
    token: &str,
) -> std::result::Result<String, (Option<i64>, String)> {
    let mut stored = None;
    repo.lti_work(&mut |records| {
        stored = records.lti_line_item(&row.lineitems, &row.resource_id)?;
        Ok(())
    })
    .map_err(|e| (None, e.to_string()))?;
    if let Some(url) = stored {
        return Ok(url);
    }
    let bearer = format!("Bearer {token}");
    let tag = if row.resource_id.starts_with(DECK) {
        TAG_MASTERY
    } else {
        TAG
    };
    let url = with_query(
        &with_query(&row.lineitems, "resource_id", &row.resource_id),
        "tag",
        tag,
    );
    let found = lti
        .web
        .request(
            "GET",
            &url,
            &[
                ("authorization", &bearer),
                (
                    "accept",
                    "application/vnd.ims.lis.v2.lineitemcontainer+json",
                ),
            ],
            b"",
        )
        .map_err(|e| (None, e))?;
    if found.status != 200 {
        return Err((
            Some(i64::from(found.status)),
            format!(
                "the platform's line items answered HTTP {}: {}",
                found.status,
                said(&found.body)
            ),
        ));
    }
    let items: Vec<Value> = serde_json::from_slice(&found.body).unwrap_or_default();
    let existing = items.iter().find_map(|i| {
        (i.get("resourceId").and_then(Value::as_str) == Some(row.resource_id.as_str()))
            .then(|| i.get("id").and_then(Value::as_str).map(str::to_string))
            .flatten()
    });
    let url = match existing {
        Some(url) => url,
        None => {
            let body = json!({
                "scoreMaximum": row.score_maximum,
                "label": row.label,
                "resourceId": row.resource_id,
                "tag": tag,
            });
            let made = lti
                .web
                .request(
                    "POST",
                    &row.lineitems,
                    &[
                        ("authorization", &bearer),
                        ("content-type", "application/vnd.ims.lis.v2.lineitem+json"),
                        ("accept", "application/vnd.ims.lis.v2.lineitem+json"),
                    ],
                    body.to_string().as_bytes(),
                )
                .map_err(|e| (None, e))?;
            if !(200..300).contains(&made.status) {
                return Err((
                    Some(i64::from(made.status)),
                    format!(
                        "the platform did not create the line item: HTTP {}: {}",
                        made.status,
                        said(&made.body)
                    ),
                ));
            }
            serde_json::from_slice::<Value>(&made.body)
                .ok()
                .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_string))
                .ok_or_else(|| (None, "the platform's new line item has no id".to_string()))?
        }
    };
    repo.lti_work(&mut |records| {
        records.set_lti_line_item(&row.lineitems, &row.resource_id, Some(&url))
    })
    .map_err(|e| (None, e.to_string()))?;
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_an_hour_and_urls_are_built_per_ags() {
        assert_eq!(backoff(60, 1), 60);
        assert_eq!(backoff(60, 2), 120);
        assert_eq!(backoff(60, 7), 3600);
        assert_eq!(backoff(1, 40), 3600);
        assert_eq!(
            scores_url("https://l/c/1/lineitems/7?x=1"),
            "https://l/c/1/lineitems/7/scores?x=1"
        );
        assert_eq!(scores_url("https://l/li/7/"), "https://l/li/7/scores");
        assert_eq!(
            with_query("https://l/li?a=1", "tag", "d e"),
            "https://l/li?a=1&tag=d%20e"
        );
        assert_eq!(timestamp(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn only_a_newer_score_on_the_platform_counts_as_delivered() {
        assert!(has_newer(
            409,
            "Refusing score with an earlier timestamp for item 3 and user 4"
        ));
        assert!(has_newer(
            400,
            r#"{"errors":{"type":"bad_request","message":"Provided timestamp of 2023-11-14T22:13:20.000Z before last updated timestamp of 2023-11-15T08:00:00.000Z"}}"#
        ));
        assert!(!has_newer(
            400,
            "Provided timestamp of x not a valid timestamp"
        ));
        assert!(!has_newer(400, "Invalid userId"));
        assert!(!has_newer(
            422,
            "ScoreMaximum must be greater than or equal to 0"
        ));
        assert!(!has_newer(500, "timestamp"));
    }
}
