//! The HTTP API under `/v1/`: the guard every request passes in order (the size limit, the protocol version, who
//! the caller is, a time limit, one log line) and the handlers behind it. The caller is known by the uid the
//! connection carries (see `listen`) or, over TLS, by the device token it sends, never by anything else in the
//! request; a device's registration (`POST /v1/devices`) is the one request that comes with neither, its
//! enrolment code checked by its handler.

use super::Log;
use super::api::{self, Hello, Problem, Role};
use super::config::Limits;
use super::identity::{self, Caller, TeacherList};
use crate::error::Result;
use crate::server::ops::Backend;
use crate::session::Clock;
use crate::store::Store;
use crate::time::UnixMs;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use std::sync::{Arc, Mutex};

mod class_page;
mod decks;
mod devices;
mod exams;
mod lti;
mod sync;
mod teacher;

pub use class_page::ClassPages;
pub use exams::{close_due, closer};

/// The uid the kernel reported for the process at the other end of the connection a request came on.
#[derive(Debug, Clone, Copy)]
pub struct PeerUid(pub u32);

/// The address a TLS connection came from (no uid: the caller is known by its device token).
#[derive(Debug, Clone, Copy)]
pub struct TlsPeer(pub std::net::SocketAddr);

/// What every request's handling shares.
#[derive(Clone)]
pub struct App {
    /// The repository every other route goes through (identity by uid or device token, `/v1/learners`, sync, the
    /// course's decks, devices, the exams the server runs): the same `store` on SQLite, or PostgreSQL.
    pub repo: Arc<dyn Backend>,
    pub teachers: Arc<TeacherList>,
    pub limits: Limits,
    pub log: Log,
    /// The LTI 1.3 tool, with `[lti]` in the configuration.
    pub lti: Option<Arc<crate::server::lti::Lti>>,
    /// The server's clock: every exam deadline, answer time and closing is read from it (the system clock in
    /// production; a [`SetClock`] in tests).
    pub clock: Arc<dyn Clock + Send + Sync>,
    /// How many requests may work on the storage at once ([`App::gate`]): the rest wait for a permit here, as
    /// tasks, holding no thread and no connection.
    pub gate: Arc<tokio::sync::Semaphore>,
    /// The class page's sign-in links and sessions (see `class_page`).
    pub pages: Arc<ClassPages>,
}

/// A clock that stands where it is set, for tests of the server's exam clock.
#[derive(Debug, Default)]
pub struct SetClock(std::sync::atomic::AtomicI64);

impl SetClock {
    pub fn new(at: UnixMs) -> SetClock {
        SetClock(std::sync::atomic::AtomicI64::new(at.0))
    }

    pub fn set(&self, at: UnixMs) {
        self.0.store(at.0, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for SetClock {
    fn now_ms(&self) -> UnixMs {
        UnixMs(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

impl App {
    /// The App of a server on the SQLite store `store` (its repository too), with `teachers`, `limits`, `log` and
    /// `clock`, and no LTI: what a test builds to run the router in-process.
    pub fn sqlite(
        store: Store,
        teachers: &crate::server::config::Teachers,
        limits: Limits,
        log: Log,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> std::result::Result<App, String> {
        let store = Arc::new(Mutex::new(store));
        Ok(App {
            repo: store,
            teachers: Arc::new(TeacherList::resolve(teachers)?),
            limits,
            log,
            clock,
            lti: None,
            gate: App::gate(None),
            pages: Arc::new(ClassPages::new(false, None)),
        })
    }

    /// The gate for a storage: on PostgreSQL, the pool's size, so that a request waits for its turn here rather
    /// than for a connection inside the pool (where it holds a blocking thread, and after the pool's timeout
    /// fails: at 500 clients pushing at once it did, answered 500); on SQLite, open (the store's one lock queues
    /// the requests).
    pub fn gate(pool_size: Option<u32>) -> Arc<tokio::sync::Semaphore> {
        Arc::new(tokio::sync::Semaphore::new(
            pool_size.map_or(tokio::sync::Semaphore::MAX_PERMITS, |n| n.max(1) as usize),
        ))
    }

    /// Runs `f`, which may block, on the blocking pool once the gate lets it in; its value, or why the task failed
    /// (a panic).
    pub(super) async fn spawn<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::result::Result<T, String> {
        let permit = self
            .gate
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        tokio::task::spawn_blocking(move || {
            let out = f();
            drop(permit);
            out
        })
        .await
        .map_err(|e| e.to_string())
    }

    /// Runs `f` on the repository on a thread where blocking is allowed. A failure is logged and answered 500
    /// without its details.
    async fn with_repo<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Backend) -> Result<T> + Send + 'static,
    ) -> std::result::Result<T, Response> {
        let repo = self.repo.clone();
        self.blocking(move || f(repo.as_ref())).await
    }

    /// Runs `f`, which may block (the database, the system's user list), on the blocking pool, through the gate. Not in place on
    /// the worker (`block_in_place`): that saves two thread wake-ups a request, but holds a thread per request in
    /// flight and takes the workers' replacements from the same pool, so at 500 requests waiting on PostgreSQL's
    /// pool the runtime ran out of threads to read requests with (docs/server.md, "Load").
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> std::result::Result<T, Response> {
        let failure = match self.spawn(f).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => e.to_string(),
            Err(e) => e,
        };
        (self.log)(&format!("error: {failure}"));
        Err(problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not read its database (the server's log says why)",
        ))
    }
}

/// The API, every route behind the guard; and the LTI routes for browsers, behind their own (TLS only).
pub fn router(app: App) -> Router {
    let body_limit = usize::try_from(app.limits.max_request_bytes).unwrap_or(usize::MAX);
    let browsers = Router::new()
        .route("/lti/login", get(lti::login_get).post(lti::login_post))
        .route("/lti/launch", post(lti::launch))
        .route("/lti/link", get(lti::link_get).post(lti::link_post))
        .route("/lti/jwks", get(lti::jwks))
        .layer(middleware::from_fn_with_state(app.clone(), lti::guard))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(app.clone());
    let class = Router::new()
        .route("/class", get(class_page::class))
        .route("/class/signin", get(class_page::sign_in))
        .route("/class/signout", post(class_page::sign_out))
        .route("/class/learner", get(class_page::learner))
        .route("/class/me", get(class_page::me))
        .route("/class/items", get(class_page::items))
        .route("/class/flags", get(class_page::flags))
        .route("/class/flags/resolve", post(class_page::resolve))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            class_page::guard,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(app.clone());
    let api = Router::new()
        .route("/v1/hello", get(hello))
        .route("/v1/learners", get(learners))
        .route("/v1/teacher/limits", get(teacher::limits))
        .route("/v1/teacher/learner-add", post(teacher::learner_add))
        .route("/v1/teacher/learner-set", post(teacher::learner_set))
        .route("/v1/teacher/learner-import", post(teacher::learner_import))
        .route("/v1/teacher/enrol", post(teacher::enrol))
        .route("/v1/teacher/learner-export", post(teacher::learner_export))
        .route("/v1/teacher/learner-delete", post(teacher::learner_delete))
        .route("/v1/teacher/class", post(teacher::class))
        .route("/v1/teacher/items", post(teacher::items))
        .route("/v1/teacher/flags", post(teacher::flags))
        .route("/v1/teacher/resolve-flags", post(teacher::resolve_flags))
        .route("/v1/teacher/exam-results", post(teacher::exam_results))
        .route("/v1/teacher/exam-load", post(teacher::exam_load))
        .route("/v1/teacher/grades", post(teacher::grades))
        .route("/v1/page-link", post(class_page::link))
        .route(
            "/v1/teacher/progress-import",
            post(teacher::progress_import),
        )
        .route("/v1/devices", devices::register_or_list())
        .route("/v1/devices/revoke", post(devices::revoke))
        .route("/v1/devices/self", delete(devices::revoke_self))
        .route("/v1/devices/link", post(lti::link_start))
        .route("/v1/devices/link/poll", post(lti::link_poll))
        .route("/v1/teacher/lti-push", post(teacher::lti_push))
        .route("/v1/teacher/lti-outbox", post(teacher::lti_outbox))
        .route("/v1/sync/push", post(sync::push))
        .route("/v1/sync/pull", get(sync::pull))
        .route("/v1/decks", get(decks::list).post(decks::publish))
        .route("/v1/decks/{id}", get(decks::text))
        .route("/v1/exams", get(exams::list))
        .route("/v1/exams/{id}/attempt", post(exams::start))
        .route("/v1/exams/{id}/attempt/questions/{n}", get(exams::question))
        .route("/v1/exams/{id}/attempt/answers/{n}", post(exams::answer))
        .route("/v1/exams/{id}/attempt/submit", post(exams::submit))
        .route("/v1/exams/{id}/review", get(exams::review))
        .route(
            "/v1/teacher/exam-extra-time",
            post(teacher::exam_extra_time),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(app);
    browsers.merge(class).merge(api)
}

/// A whole HTML page for a browser: never cached, no referrer sent on, and `csp` as its content security policy.
fn html_page(status: StatusCode, html: String, csp: &'static str) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// An answer that is not a success: the status and one line for the user, as JSON.
fn problem(status: StatusCode, error: impl Into<String>) -> Response {
    (
        status,
        Json(Problem {
            error: error.into(),
        }),
    )
        .into_response()
}

/// The checks before any handler, in order: a body over the size limit (413, unread), a client whose protocol is
/// outside this server's window (426), a caller who is not on the roster and not a teacher (403), a body that does
/// not arrive within the request time limit (408); then the handler, whose work is finished and answered however
/// long it takes. Every answer carries the protocol it is spoken in (the
/// client's, when this server accepts it), and every request is one line in the log.
async fn guard(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let uid = req.extensions().get::<PeerUid>().map(|p| p.0);
    let tls = req.extensions().get::<TlsPeer>().map(|p| p.0);
    // The path only: a query is never logged.
    let what = format!("{} {}", req.method(), req.uri().path());
    let mut who = match (uid, tls) {
        (Some(u), _) => format!("uid {u}"),
        (None, Some(addr)) => format!("tls {}", addr.ip()),
        (None, None) => "uid ?".to_string(),
    };
    let client = protocol_of(&req);
    let mut response = match admit(&app, &mut req, uid, tls.is_some()).await {
        Ok(me) => {
            match me {
                Some(me) => {
                    who = format!("{who} {}", me.describe());
                    req.extensions_mut().insert(me);
                }
                None => who = format!("{who} (registering a device)"),
            }
            match receive(&app.limits, req).await {
                // The work the request starts is never cut off: an answer of failure for work that went on to
                // commit would be a lie (the connection's backstop in `listen` is far above any real request).
                Ok(req) => next.run(req).await,
                Err(refusal) => refusal,
            }
        }
        Err(refusal) => refusal,
    };
    (app.log)(&format!("{who}: {what} {}", response.status().as_u16()));
    response.headers_mut().insert(
        api::PROTOCOL_HEADER,
        HeaderValue::from(api::answered_in(client)),
    );
    response
}

/// The request with its whole body read, within the request time limit (408) and the size limit (413: a body sent
/// without a length, or longer than its length said).
async fn receive(limits: &Limits, req: Request) -> std::result::Result<Request, Response> {
    let (parts, body) = req.into_parts();
    let max = usize::try_from(limits.max_request_bytes).unwrap_or(usize::MAX);
    match tokio::time::timeout(limits.request_timeout(), axum::body::to_bytes(body, max)).await {
        Ok(Ok(bytes)) => Ok(Request::from_parts(parts, axum::body::Body::from(bytes))),
        Ok(Err(_)) => Err(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request's body was cut off or is larger than this server takes ({} bytes; its admin can \
                 raise `limits.max_request_bytes`)",
                limits.max_request_bytes
            ),
        )),
        Err(_) => Err(problem(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request's body did not arrive within the server's limit of {} s",
                limits.request_timeout_secs
            ),
        )),
    }
}

/// The protocol version a request says its client speaks, if it says one.
fn protocol_of(req: &Request) -> Option<u32> {
    req.headers()
        .get(api::PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u32>().ok())
}

/// Who the caller is, if the request may go on (none for a device's registration, which its code authorises);
/// else the refusal to answer with.
async fn admit(
    app: &App,
    req: &mut Request,
    uid: Option<u32>,
    tls: bool,
) -> std::result::Result<Option<Hello>, Response> {
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    if let Some(length) = length.filter(|l| *l > app.limits.max_request_bytes) {
        return Err(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request is {length} bytes, and this server takes at most {} (its admin can raise \
                 `limits.max_request_bytes` in its configuration)",
                app.limits.max_request_bytes
            ),
        ));
    }
    let theirs = protocol_of(req);
    if !theirs.is_some_and(api::accepts) {
        let sent = theirs.map_or_else(
            || "sent no detente protocol version".to_string(),
            |p| format!("speaks protocol {p}"),
        );
        return Err(problem(
            StatusCode::UPGRADE_REQUIRED,
            format!(
                "this class server runs detente {} and speaks {}; your detente {sent}: install a detente that \
                 speaks {} (ask the server's admin)",
                env!("CARGO_PKG_VERSION"),
                api::window(),
                api::window()
            ),
        ));
    }
    if devices::is_registration(req) || lti::is_link(req) {
        return Ok(None);
    }
    let caller = match (uid, tls) {
        (Some(uid), _) => {
            let teachers = app.teachers.clone();
            app.with_repo(move |repo| identity::identify(uid, &teachers, repo))
                .await?
        }
        (None, true) => {
            let bearer = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::to_string);
            let now = chrono::Utc::now().timestamp();
            app.with_repo(move |repo| identity::identify_device(bearer.as_deref(), repo, now))
                .await?
        }
        (None, false) => {
            return Err(problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server does not know who is connecting",
            ));
        }
    };
    match caller {
        Caller::Known(me) => Ok(Some(me)),
        Caller::Refused(why) => Err(problem(StatusCode::FORBIDDEN, why)),
        Caller::Unauthenticated(why) => {
            let mut refusal = problem(StatusCode::UNAUTHORIZED, why);
            refusal.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"detente\""),
            );
            Err(refusal)
        }
    }
}

/// `GET /v1/hello`: who the server says the caller is, and its versions.
async fn hello(Extension(me): Extension<Hello>) -> Json<Hello> {
    Json(me)
}

/// `GET /v1/learners`: the roster with enrolment, for teachers.
async fn learners(State(app): State<App>, Extension(me): Extension<Hello>) -> Response {
    if me.role != Role::Teacher {
        return problem(
            StatusCode::FORBIDDEN,
            format!(
                "`learner list` is for this server's teachers, and you are {}",
                me.describe()
            ),
        );
    }
    match app
        .with_repo(|repo| Ok(api::listed(repo.roster()?, None)))
        .await
    {
        Ok(rows) => Json(rows).into_response(),
        Err(refusal) => refusal,
    }
}

async fn not_found(req: Request) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        format!(
            "this server has no {} {} (is this detente newer than the server?)",
            req.method(),
            req.uri().path()
        ),
    )
}
