//! The teacher's commands on the server, `POST /v1/teacher/OP`: each takes the command's options as JSON (a file
//! as its contents, never a path), refuses a caller who is not a teacher (403, naming who they are; `learner
//! export` also serves a learner their own data), and runs the same work a local command runs on its database
//! (`server::ops`) on the server's store, one request at a time. The answer is [`Done`]: the value the client
//! shows, or the refusal the local command would give. The roster's commands (`learner
//! add|set|import|enrol|export|delete`), the reports (`stats --class`, `report items`, `report flags` and
//! `--resolve`, `exam results`, `grades export`), `exam load`, `exam extra-time`, `progress import`, and LTI's
//! `grades push` and `grades outbox` run on the server's [`Backend`] ([`teach_repo`]: SQLite or PostgreSQL alike);
//! `GET /v1/teacher/limits` reads only the configuration.

use super::{App, problem};
use crate::error::Result;
use crate::server::api::{
    BundleUpload, ClassRequest, Done, EnrolRequest, FlagsRequest, GradesRequest, Hello,
    ItemsRequest, LearnerChange, LearnerData, ResultsRequest, Role, Upload, UploadLimit,
};
use crate::server::ops::Backend;
use crate::session::exam::wire::ExtraTime;
use crate::time::UnixMs;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;

/// The refusal for a caller who is not a teacher.
fn teachers_only(me: &Hello, what: &str) -> Option<Response> {
    (me.role != Role::Teacher).then(|| {
        problem(
            StatusCode::FORBIDDEN,
            format!(
                "`{what}` is for this server's teachers, and you are {}",
                me.describe()
            ),
        )
    })
}

/// Runs `work` for the command `what` on the server's [`Backend`] (SQLite or PostgreSQL), on a thread where blocking
/// is allowed, if the caller is a teacher. A refusal a user can cause is answered 200 as [`Done`]; any other
/// failure is logged and answered 500 without its details.
async fn teach_repo<T: Serialize + Send + 'static>(
    app: &App,
    me: &Hello,
    what: &str,
    work: impl FnOnce(&dyn Backend, UnixMs) -> Result<T> + Send + 'static,
) -> Response {
    if let Some(refusal) = teachers_only(me, what) {
        return refusal;
    }
    on_repo(app, what, work).await
}

/// Runs `work` for the command `what` on the server's [`Backend`], whoever the caller is (the caller is checked
/// before): as [`teach_repo`] answers.
async fn on_repo<T: Serialize + Send + 'static>(
    app: &App,
    what: &str,
    work: impl FnOnce(&dyn Backend, UnixMs) -> Result<T> + Send + 'static,
) -> Response {
    let repo = app.repo.clone();
    let clock = app.clock.clone();
    let done = app
        .spawn(move || Done::of(work(repo.as_ref(), clock.now_ms())))
        .await;
    answered(app, what, done)
}

/// The answer to a teacher's command: its [`Done`], or a failure logged and answered 500 without its details.
fn answered<T: Serialize>(
    app: &App,
    what: &str,
    done: std::result::Result<Result<Done<T>>, String>,
) -> Response {
    let failure = match done {
        Ok(Ok(done)) => return Json(done).into_response(),
        Ok(Err(e)) => e.to_string(),
        Err(e) => e.to_string(),
    };
    (app.log)(&format!("error: {what}: {failure}"));
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the server could not do `{what}` (the server's log says why)"),
    )
}

/// `GET /v1/teacher/limits`: the server's configuration only, no store, so served on PostgreSQL too.
pub async fn limits(State(app): State<App>, Extension(me): Extension<Hello>) -> Response {
    if let Some(refusal) = teachers_only(&me, "limits") {
        return refusal;
    }
    Json(Done::Ok(UploadLimit {
        max_request_bytes: app.limits.max_request_bytes,
    }))
    .into_response()
}

pub async fn learner_add(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<LearnerChange>,
) -> Response {
    teach_repo(&app, &me, "learner add", move |repo, now| {
        repo.learner_add(&req, now.secs())
    })
    .await
}

pub async fn learner_set(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<LearnerChange>,
) -> Response {
    teach_repo(&app, &me, "learner set", move |repo, now| {
        repo.learner_set(&req, now.secs())
    })
    .await
}

pub async fn learner_import(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(file): Json<Upload>,
) -> Response {
    teach_repo(&app, &me, "learner import", move |repo, now| {
        repo.roster_import(&file.name, file.text.as_bytes(), now.secs())
    })
    .await
}

pub async fn enrol(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<EnrolRequest>,
) -> Response {
    teach_repo(&app, &me, "learner enrol", move |repo, now| {
        repo.enrol(&req, now.secs())
    })
    .await
}

pub async fn class(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<ClassRequest>,
) -> Response {
    teach_repo(&app, &me, "stats --class", move |repo, now| {
        repo.class(&req, now)
    })
    .await
}

/// `learner export`: a teacher's, or a learner's of their own data (a subject access request needs no teacher).
pub async fn learner_export(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<LearnerData>,
) -> Response {
    let own = me.role != Role::Teacher && me.learner.as_deref() == Some(req.name.as_str());
    let work = move |repo: &dyn Backend, now: UnixMs| repo.learner_export(&req.name, now.secs());
    if own {
        return on_repo(&app, "learner export", work).await;
    }
    teach_repo(&app, &me, "learner export", work).await
}

/// `learner delete`: counted, or deleted with `delete`; a deletion is written to the server's log with who asked.
pub async fn learner_delete(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<LearnerData>,
) -> Response {
    let log = app.log.clone();
    let who = me.describe();
    teach_repo(&app, &me, "learner delete", move |repo, _| {
        let done = repo.learner_delete(&req)?;
        if done.deleted {
            log(&format!(
                "learner delete: {who} deleted learner {} and {} rows",
                done.learner,
                done.rows.iter().map(|(_, n)| n).sum::<i64>()
            ));
        }
        Ok(done)
    })
    .await
}

pub async fn items(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<ItemsRequest>,
) -> Response {
    teach_repo(&app, &me, "report items", move |repo, now| {
        repo.items(&req, now)
    })
    .await
}

pub async fn flags(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<FlagsRequest>,
) -> Response {
    teach_repo(&app, &me, "report flags", move |repo, now| {
        repo.flags(&req, now)
    })
    .await
}

pub async fn resolve_flags(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(ids): Json<Vec<i64>>,
) -> Response {
    teach_repo(&app, &me, "report flags --resolve", move |repo, now| {
        repo.resolve_flags(&ids, now)
    })
    .await
}

pub async fn exam_results(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<ResultsRequest>,
) -> Response {
    teach_repo(&app, &me, "exam results", move |repo, now| {
        repo.exam_results(&req, now)
    })
    .await
}

pub async fn exam_load(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(file): Json<Upload>,
) -> Response {
    teach_repo(&app, &me, "exam load", move |repo, now| {
        repo.exam_load(&file.name, &file.text, now.secs())
    })
    .await
}

pub async fn exam_extra_time(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<ExtraTime>,
) -> Response {
    let by = format!("teacher {}", me.user);
    teach_repo(&app, &me, "exam extra-time", move |repo, now| {
        repo.exam_extra_time(&req, &by, now)
    })
    .await
}

pub async fn grades(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<GradesRequest>,
) -> Response {
    teach_repo(&app, &me, "grades export", move |repo, now| {
        repo.grades(&req, now)
    })
    .await
}

pub async fn progress_import(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<BundleUpload>,
) -> Response {
    teach_repo(&app, &me, "progress import", move |repo, now| {
        repo.progress_import(
            &req.bundle.name,
            req.bundle.text.as_bytes(),
            req.accept_unenrolled,
            true,
            now,
        )
    })
    .await
}

/// `grades push EXAM` or `--deck ID`: queues the exam's grades (or the deck's mastery) for the LMS courses that
/// launched detente.
pub async fn lti_push(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(req): Json<crate::server::api::LtiPush>,
) -> Response {
    let lti = app.lti.clone();
    teach_repo(&app, &me, "grades push", move |repo, now| {
        let lti = super::lti::configured(&lti)?;
        crate::server::lti::ags::queue(repo, &lti, &req, now)
    })
    .await
}

/// `grades outbox`: the scores queued for the LMS, delivered or not.
pub async fn lti_outbox(State(app): State<App>, Extension(me): Extension<Hello>) -> Response {
    let lti = app.lti.clone();
    teach_repo(&app, &me, "grades outbox", move |repo, _| {
        super::lti::configured(&lti)?;
        crate::server::lti::ags::outbox(repo)
    })
    .await
}
