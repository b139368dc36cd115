//! Exams the class server runs, for the learner (`/v1/exams/...`): the listing, an attempt started or resumed, one
//! question at a time, answers with their sequence numbers, the submission and the review; and the closer, which
//! ends every attempt at its deadline with nobody online (at start-up too, for attempts that ran out while the
//! server was down). The work is `session::exam::served`, on the server's database (SQLite or PostgreSQL, through
//! `server::ops::ExamOps`), timed by the App's `Clock`; the caller is always their own roster learner, never a
//! field of the request.

use super::{App, problem};
use crate::error::Result;
use crate::server::api::Hello;
use crate::server::ops::Backend;
use crate::session::exam::served::{Refused, Served};
use crate::session::exam::wire::AnswerSent;
use crate::time::UnixMs;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A refusal as its HTTP status and one line.
fn refusal(r: Refused) -> Response {
    let (status, why) = match r {
        Refused::NotFound(w) => (StatusCode::NOT_FOUND, w),
        Refused::Forbidden(w) => (StatusCode::FORBIDDEN, w),
        Refused::Conflict(w) => (StatusCode::CONFLICT, w),
        Refused::Late(w) => (StatusCode::GONE, w),
        Refused::Invalid(w) => (StatusCode::UNPROCESSABLE_ENTITY, w),
    };
    problem(status, crate::text::clean(&why))
}

/// Runs `work` on the server's [`Backend`] for the caller's roster learner at the server's time: a caller with no
/// roster learner (a teacher) is refused 403.
async fn served<T: Serialize + Send + 'static>(
    app: &App,
    me: &Hello,
    work: impl FnOnce(&dyn Backend, &str, UnixMs) -> Result<Served<T>> + Send + 'static,
) -> Response {
    let Some(name) = me.learner.clone() else {
        return problem(
            StatusCode::FORBIDDEN,
            format!(
                "exams are sat by learners on this server's roster, and you are {}, with no roster learner",
                me.describe()
            ),
        );
    };
    let clock = app.clock.clone();
    match app
        .with_repo(move |repo| work(repo, &name, clock.now_ms()))
        .await
    {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(r)) => refusal(r),
        Err(failure) => failure,
    }
}

/// `GET /v1/exams`: the exams loaded, for anyone the server knows (never a seed or an answer).
pub async fn list(State(app): State<App>) -> Response {
    match app.with_repo(|repo| repo.exam_listing()).await {
        Ok(rows) => Json(rows).into_response(),
        Err(failure) => failure,
    }
}

/// `POST /v1/exams/ID/attempt`.
pub async fn start(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Path(id): Path<String>,
) -> Response {
    served(&app, &me, move |repo, me, now| {
        repo.exam_start(&id, me, now)
    })
    .await
}

/// `GET /v1/exams/ID/attempt/questions/N`.
pub async fn question(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Path((id, n)): Path<(String, u32)>,
) -> Response {
    served(&app, &me, move |repo, me, now| {
        repo.exam_question(&id, me, n, now)
    })
    .await
}

/// `POST /v1/exams/ID/attempt/answers/N`.
pub async fn answer(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Path((id, n)): Path<(String, u32)>,
    body: std::result::Result<Json<AnswerSent>, JsonRejection>,
) -> Response {
    let sent = match body {
        Ok(Json(sent)) => sent,
        Err(e) => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the answer was not kept: {}", e.body_text()),
            );
        }
    };
    served(&app, &me, move |repo, me, now| {
        repo.exam_answer(&id, me, n, &sent, now)
    })
    .await
}

/// `POST /v1/exams/ID/attempt/submit`.
pub async fn submit(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Path(id): Path<String>,
) -> Response {
    served(&app, &me, move |repo, me, now| {
        repo.exam_submit(&id, me, now)
    })
    .await
}

/// `GET /v1/exams/ID/review`.
pub async fn review(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Path(id): Path<String>,
) -> Response {
    served(&app, &me, move |repo, me, now| {
        repo.exam_review(&id, me, now)
    })
    .await
}

/// Closes every attempt whose deadline and grace have passed by the App's clock; how many. The closer runs it at
/// start-up and every second, on SQLite or PostgreSQL (in the course's scope).
pub async fn close_due(app: &App) -> usize {
    let clock = app.clock.clone();
    app.with_repo(move |repo| repo.exam_close_due(clock.now_ms()))
        .await
        .unwrap_or(0)
}

/// The closer: [`close_due`] now (attempts that ran out while the server was down), then every second, for as long
/// as the server runs. Each closing is one line in the log.
pub async fn closer(app: App) {
    loop {
        let closed = close_due(&app).await;
        if closed > 0 {
            (app.log)(&format!(
                "closer: {closed} exam attempt(s) closed at their deadline"
            ));
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
