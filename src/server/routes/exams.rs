//! Exams the class server runs, for the learner (`/v1/exams/...`): the listing, an attempt started or resumed, one
//! question at a time, answers with their sequence numbers, the submission and the review; and the closer, which
//! ends every attempt at its deadline with nobody online (at start-up too, for attempts that ran out while the
//! server was down). The work is `session::exam::served`, on the SQLite store, timed by the App's `Clock`; the
//! caller is always their own roster learner, never a field of the request.

use super::{App, problem};
use crate::error::{Error, Result};
use crate::exam::Exam;
use crate::server::api::Hello;
use crate::session::exam::served::{self, Refused, Served};
use crate::session::exam::wire::AnswerSent;
use crate::store::{self, Learner, Store};
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

/// Runs `work` on the exam `id` for the caller's roster learner at the server's time.
async fn served<T: Serialize + Send + 'static>(
    app: &App,
    me: &Hello,
    id: String,
    work: impl FnOnce(&mut Store, &Exam, &Learner, UnixMs) -> Result<Served<T>> + Send + 'static,
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
    let done = app
        .with_store(move |store| {
            let Some(row) = store::exam(&store.conn, &id)? else {
                return Ok(Err(Refused::NotFound(format!(
                    "this server has no exam {id} (see `detente exam list`)"
                ))));
            };
            let exam: Exam = serde_json::from_str(&row.definition)
                .map_err(|e| Error::InvalidData(format!("exam {id} is stored damaged: {e}")))?;
            let Some(learner) = store::learner_by_name(&store.conn, &name)? else {
                return Ok(Err(Refused::Forbidden(format!("no roster learner {name}"))));
            };
            work(store, &exam, &learner, clock.now_ms())
        })
        .await;
    match done {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(r)) => refusal(r),
        Err(failure) => failure,
    }
}

/// `GET /v1/exams`: the exams loaded, for anyone the server knows (never a seed or an answer).
pub async fn list(State(app): State<App>) -> Response {
    match app.with_store(|store| served::listing(store)).await {
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
    served(&app, &me, id, served::start).await
}

/// `GET /v1/exams/ID/attempt/questions/N`.
pub async fn question(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Path((id, n)): Path<(String, u32)>,
) -> Response {
    served(&app, &me, id, move |s, e, l, now| {
        served::question(s, e, l, n, now)
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
    served(&app, &me, id, move |s, e, l, now| {
        served::answer(s, e, l, n, &sent, now)
    })
    .await
}

/// `POST /v1/exams/ID/attempt/submit`.
pub async fn submit(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Path(id): Path<String>,
) -> Response {
    served(&app, &me, id, served::submit).await
}

/// `GET /v1/exams/ID/review`.
pub async fn review(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Path(id): Path<String>,
) -> Response {
    served(&app, &me, id, served::review).await
}

/// Closes every attempt whose deadline and grace have passed by the App's clock; how many. The closer runs it at
/// start-up and every second; a PostgreSQL server (whose exam routes answer 501) closes none.
pub async fn close_due(app: &App) -> usize {
    let clock = app.clock.clone();
    app.with_store(move |store| served::close_due(store, clock.now_ms()))
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
