//! Study sync over the class server: `POST /v1/sync/push` (one device's events into the caller's log, one
//! transaction: `ClassStore::push`) and `GET /v1/sync/pull` (a page of the caller's log after a cursor, the digest
//! on the last page: `ClassStore::pull_page`).
//! The log is always the caller's roster learner's (`Hello::learner_id`, from the kernel's uid): no field of a
//! request names a learner, and a body with any field the wire does not define is refused whole, nothing written.
//!
//! A review naming a card the server does not hold is refused with its reason (`no card DECK/CARD here`), never
//! stored: the server first loads the built-in decks it lacks and tries again, so only a deck the course has not
//! published (a student's own) is refused. Both go through the repository interface, so they are served on SQLite
//! and on PostgreSQL alike. See `docs/sync.md`.

use super::{App, problem};
use crate::server::api::Hello;
use crate::sync::{Cursor, MAX_PULL, PULL_PAGE, Pulled, Push};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// The caller's roster learner, or the refusal for a caller without one (a teacher who is not on the roster).
fn learner(me: &Hello) -> Result<i64, Response> {
    me.learner_id.ok_or_else(|| {
        problem(
            StatusCode::FORBIDDEN,
            format!(
                "sync is for learners on this server's roster, and you are {}, with no roster learner",
                me.describe()
            ),
        )
    })
}

/// `POST /v1/sync/push`.
pub async fn push(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    body: Result<Json<Push>, JsonRejection>,
) -> Response {
    let learner = match learner(&me) {
        Ok(id) => id,
        Err(refusal) => return refusal,
    };
    let push = match body {
        Ok(Json(push)) => push,
        Err(e) => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "the push was refused whole and nothing was written: {}",
                    e.body_text()
                ),
            );
        }
    };
    if let Err(why) = push.check() {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the push was refused whole and nothing was written: {why}"),
        );
    }
    let done = app
        .with_repo(move |repo| {
            let now = chrono::Utc::now().timestamp();
            repo.push(learner, &push.device, &push.events, now)
        })
        .await;
    match done {
        Ok(pushed) => Json(pushed).into_response(),
        Err(refusal) => refusal,
    }
}

/// The cursor and page size of a pull's query (`cursor=N&limit=M`, both optional); anything else is refused.
fn pull_query(uri: &Uri) -> Result<(Cursor, usize), String> {
    let (mut cursor, mut limit) = (Cursor(0), PULL_PAGE);
    for pair in uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number = |what: &str| {
            value
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| format!("{what} must be a whole number from 0, not {value:?}"))
        };
        match name {
            "cursor" => cursor = Cursor(number("cursor")?),
            "limit" => limit = number("limit")?.clamp(1, MAX_PULL as i64) as usize,
            other => return Err(format!("a pull takes cursor and limit, not {other:?}")),
        }
    }
    Ok((cursor, limit))
}

/// `GET /v1/sync/pull?cursor=N&limit=M`.
pub async fn pull(State(app): State<App>, Extension(me): Extension<Hello>, uri: Uri) -> Response {
    let learner = match learner(&me) {
        Ok(id) => id,
        Err(refusal) => return refusal,
    };
    let (cursor, limit) = match pull_query(&uri) {
        Ok(q) => q,
        Err(why) => return problem(StatusCode::BAD_REQUEST, crate::text::clean(&why)),
    };
    match app
        .with_repo(move |repo| repo.pull_page(learner, cursor, limit))
        .await
    {
        Ok((page, digest)) => Json(Pulled { page, digest }).into_response(),
        Err(refusal) => refusal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pull_query_takes_cursor_and_limit_only() {
        let q = |s: &str| pull_query(&s.parse::<Uri>().unwrap());
        assert_eq!(q("/v1/sync/pull").unwrap(), (Cursor(0), PULL_PAGE));
        assert_eq!(
            q("/v1/sync/pull?cursor=7&limit=5000").unwrap(),
            (Cursor(7), MAX_PULL)
        );
        assert!(q("/v1/sync/pull?cursor=-1").is_err());
        assert!(q("/v1/sync/pull?learner=2").is_err());
    }
}
