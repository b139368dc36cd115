//! The LTI 1.3 routes, over the TLS listener only (`[lti]` in the configuration). For browsers, outside the API's
//! guard (no protocol header, no device token): `/lti/login` (OIDC login initiation, GET or form POST: a state and
//! a nonce kept server-side, single use, and a redirect to the platform's authentication URL), `/lti/launch` (the
//! form-posted id token, verified by `lti::jwt` and `lti::launch`, its user matched to a roster learner, its
//! course's grade book remembered, and the page where the student links a device), `/lti/link` (that page again in
//! its own window, and the code it posts) and `/lti/jwks` (the tool's public key). For devices, through the guard
//! without a token: `POST /v1/devices/link` (a short code for `detente login URL --link` to print) and
//! `POST /v1/devices/link/poll` (the device token once the code was entered on a launch page). For teachers:
//! `POST /v1/teacher/lti-push` and `/v1/teacher/lti-outbox`. The pages use no cookie (the launch page is often in
//! an iframe, where third-party cookies are blocked): the launch's session travels in the page's form.
//!
//! One concern: the LTI tool's HTTP side, the browser's pages and the device link they complete being one flow.

use super::{App, TlsPeer, problem};
use crate::error::Error;
use crate::server::api::{DeviceRef, LinkPoll, LinkPolled, LinkRequest, LinkStarted, Registered};
use crate::server::identity::{new_token, token_hash};
use crate::server::lti::{self, Link, Login, Lti, Session, ags, jwt, launch};
use crate::store::{self, LtiRecords};
use axum::Json;
use axum::extract::{Form, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;

/// The letters of a link code: no 0/O, 1/I.
const CODE_LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The LTI routes' guard: served over TLS only (404 on the socket, and on a server without `[lti]`), one log line
/// per request (the path only: a query may carry a session).
pub async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    let what = format!("{} {}", req.method(), req.uri().path());
    let Some(TlsPeer(addr)) = req.extensions().get::<TlsPeer>().copied() else {
        return problem(StatusCode::NOT_FOUND, "LTI is served over TLS only");
    };
    let response = if app.lti.is_some() {
        // The body within the request time limit and the size limit, as for the API.
        match super::receive(&app.limits, req).await {
            Ok(req) => next.run(req).await,
            Err(refusal) => refusal,
        }
    } else {
        page(
            StatusCode::NOT_FOUND,
            "Not an LTI tool",
            "<p>This class server is not set up as an LTI tool (no <code>[lti]</code> in its configuration).</p>",
        )
    };
    (app.log)(&format!(
        "tls {}: {what} {}",
        addr.ip(),
        response.status().as_u16()
    ));
    response
}

/// A whole HTML page: readable on a phone, no script, no external request, never cached, framable by the LMS.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · detente</title><style>\
         body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:1rem auto;padding:0 1rem;color:#111}}\
         h1{{font-size:1.4rem}} input{{font:inherit;font-size:1.3rem;letter-spacing:.1em;padding:.4rem;width:12ch;\
         text-transform:uppercase}} button{{font:inherit;padding:.4rem 1rem}} .error{{color:#a00}} .ok{{color:#060}}\
         code{{background:#eee;padding:0 .2em;word-break:break-all}}</style></head>\
         <body><h1>{title}</h1>{body}</body></html>\n",
        title = html_escape::encode_text(title)
    );
    super::html_page(
        status,
        html,
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    )
}

fn refused(status: StatusCode, why: &str) -> Response {
    page(
        status,
        "This launch did not work",
        &format!(
            "<p class=\"error\">{}</p><p>Open detente again from your course page. If this keeps happening, tell \
             your teacher what this page says.</p>",
            html_escape::encode_text(why)
        ),
    )
}

fn tool(app: &App) -> Result<Arc<Lti>, Response> {
    app.lti.clone().ok_or_else(|| {
        problem(
            StatusCode::NOT_FOUND,
            "this class server is not set up as an LTI tool",
        )
    })
}

/// The parameters of a third-party initiated login that detente uses (`target_link_uri` and `lti_deployment_id` are
/// taken and ignored: the launch is always `/lti/launch`, and its token names the deployment, which is checked).
#[derive(Debug, Deserialize)]
pub struct LoginParams {
    iss: String,
    login_hint: String,
    #[serde(default)]
    lti_message_hint: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
}

pub async fn login_get(
    State(app): State<App>,
    peer: Option<axum::Extension<TlsPeer>>,
    Query(params): Query<LoginParams>,
) -> Response {
    login(&app, peer, params)
}

pub async fn login_post(
    State(app): State<App>,
    peer: Option<axum::Extension<TlsPeer>>,
    Form(params): Form<LoginParams>,
) -> Response {
    login(&app, peer, params)
}

/// The address a request came from over TLS (the guard lets no other through).
fn address(peer: Option<axum::Extension<TlsPeer>>) -> std::net::IpAddr {
    peer.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |p| p.0.0.ip())
}

/// OIDC login initiation: a state and a nonce kept for [`lti::STATE_SECS`], and the redirect to the platform.
fn login(app: &App, peer: Option<axum::Extension<TlsPeer>>, params: LoginParams) -> Response {
    let lti = match tool(app) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let Some(platform) = lti.platform(&params.iss, params.client_id.as_deref()) else {
        return refused(
            StatusCode::BAD_REQUEST,
            &format!(
                "The platform {} is not one this class server is registered with.",
                params.iss
            ),
        );
    };
    let (state, nonce) = match (lti::random_hex(32), lti::random_hex(32)) {
        (Ok(s), Ok(n)) => (s, n),
        _ => {
            return refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server has no randomness.",
            );
        }
    };
    let at = now();
    let address = address(peer);
    if lti.logins.count(at, |l| l.at, |l| l.address == address) >= lti::LOGINS_PER_ADDRESS {
        return refused(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many launches were started from this address in the last 10 minutes: try again in a few minutes.",
        );
    }
    let held = Login {
        nonce: nonce.clone(),
        platform,
        at,
        address,
    };
    if let Err(e) = lti.logins.put(state.clone(), held, |l| l.at, at) {
        return refused(StatusCode::SERVICE_UNAVAILABLE, &e);
    }
    let p = &lti.config.platforms[platform];
    let mut query = vec![
        ("scope", "openid"),
        ("response_type", "id_token"),
        ("response_mode", "form_post"),
        ("prompt", "none"),
        ("client_id", p.client_id.as_str()),
        ("login_hint", params.login_hint.as_str()),
        ("state", state.as_str()),
        ("nonce", nonce.as_str()),
    ];
    let redirect = lti.redirect_uri();
    query.push(("redirect_uri", redirect.as_str()));
    if let Some(hint) = &params.lti_message_hint {
        query.push(("lti_message_hint", hint.as_str()));
    }
    let sep = if p.auth_login_url.contains('?') {
        '&'
    } else {
        '?'
    };
    let location = format!("{}{sep}{}", p.auth_login_url, ags::form(&query));
    let mut response = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(&location) {
        Ok(v) => {
            response.headers_mut().insert(header::LOCATION, v);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The platform's login URL is not usable.",
        ),
    }
}

/// The launch's form post.
#[derive(Deserialize)]
pub struct LaunchForm {
    #[serde(default)]
    id_token: String,
    #[serde(default)]
    state: String,
}

/// Who a launch turned out to be.
enum Who {
    Learner { id: i64, name: String },
    NotOnRoster(String),
}

/// `POST /lti/launch`: verifies the id token and shows the page where the student links a device.
pub async fn launch(State(app): State<App>, Form(form): Form<LaunchForm>) -> Response {
    let lti = match tool(&app) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let at = now();
    // The state is single use: taken out whether or not the launch goes on.
    let Some(login) = lti.logins.take(&form.state, |l| l.at, at) else {
        return refused(
            StatusCode::FORBIDDEN,
            "This launch was not started by this server, was used already, or took more than 10 minutes.",
        );
    };
    let checker = lti.clone();
    let verified = app
        .blocking(move || Ok(verify(&checker, &login, &form.id_token, at)))
        .await;
    let launched = match verified {
        Ok(Ok(l)) => l,
        Ok(Err(why)) => {
            (app.log)(&format!("lti: launch refused: {why}"));
            return refused(
                StatusCode::FORBIDDEN,
                &format!("The launch's token was refused: {why}."),
            );
        }
        Err(r) => return r,
    };
    let who = {
        let launched = launched.clone();
        let repo = app.repo.clone();
        app.blocking(move || {
            let mut who = None;
            repo.lti_work(&mut |records| {
                who = Some(remember(records, &launched, at)?);
                Ok(())
            })?;
            who.ok_or_else(|| Error::InvalidData("the launch was not remembered".to_string()))
        })
        .await
    };
    let (id, name) = match who {
        Ok(Who::Learner { id, name }) => (id, name),
        Ok(Who::NotOnRoster(_)) if launched.instructor => {
            return page(
                StatusCode::OK,
                "detente knows this course",
                &format!(
                    "<p class=\"ok\">{}</p><p>Students open this activity to link their computers. Grades go to \
                     this course's grade book with <code>detente grades push EXAM</code> on the class server.</p>",
                    html_escape::encode_text(&match (&launched.context, &launched.lineitems) {
                        (Some((_, title)), Some(_)) => format!(
                            "You teach {}: detente will send grades to its grade book.",
                            title.as_deref().unwrap_or("this course")
                        ),
                        _ => "You teach this course, but its launch gave no grade book (turn on the LMS's \
                              Assignment and Grade Services for detente to send grades)."
                            .to_string(),
                    })
                ),
            );
        }
        Ok(Who::NotOnRoster(why)) => {
            return page(
                StatusCode::FORBIDDEN,
                "Not on this course's roster",
                &format!(
                    "<p class=\"error\">{}</p><p>Ask your teacher to add you to detente's roster with the \
                     email address or username your course knows you by.</p>",
                    html_escape::encode_text(&why)
                ),
            );
        }
        Err(r) => return r,
    };
    let session = match lti::random_hex(32) {
        Ok(s) => s,
        Err(e) => return refused(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let held = Session {
        learner_id: id,
        learner: name.clone(),
        at,
        failures: 0,
    };
    if let Err(e) = lti.sessions.put(session.clone(), held, |s| s.at, at) {
        return refused(StatusCode::SERVICE_UNAVAILABLE, &e);
    }
    (app.log)(&format!(
        "lti: launch by {:?} ({}) as learner {name}",
        launched.sub, launched.issuer
    ));
    link_page(&lti, &session, &name, None)
}

/// The signature and claims of a launch (blocking: the platform's key set may be fetched).
fn verify(lti: &Lti, login: &Login, id_token: &str, now: i64) -> Result<launch::Launched, String> {
    let token = jwt::Unverified::parse(id_token)?;
    let platform = &lti.config.platforms[login.platform];
    let kid = token.header.kid.clone().unwrap_or_default();
    let key = lti.platform_key(login.platform, &kid, now)?;
    token.verify(&key)?;
    launch::check(&token.claims, platform, &login.nonce, now)
}

/// Finds the launch's learner (linked before, else by email, username or student id, exactly one) and links them,
/// and remembers the course's grade book.
fn remember(
    records: &mut dyn LtiRecords,
    l: &launch::Launched,
    now: i64,
) -> crate::error::Result<Who> {
    let learners = records.lti_roster()?;
    if let (Some((context, title)), Some(lineitems)) = (&l.context, &l.lineitems) {
        records.upsert_lti_context(&store::LtiContext {
            issuer: l.issuer.clone(),
            client_id: l.client_id.clone(),
            deployment_id: l.deployment_id.clone(),
            context_id: context.clone(),
            title: title.clone(),
            lineitems: lineitems.clone(),
            seen_at: now,
            memberships: l.memberships.clone(),
        })?;
    }
    let linked = records.lti_learner(&l.issuer, &l.sub)?;
    let found = match linked.and_then(|id| learners.iter().find(|x| x.id == id)) {
        Some(x) => Some(x),
        None => {
            let person = lti::Person {
                email: l.email.as_deref(),
                username: l.username.as_deref(),
                student_id: l.student_id.as_deref(),
            };
            let hit = lti::roster_match(&learners, &person);
            if let Some((x, key)) = hit {
                records.link_lti_user(x.id, &l.issuer, &l.sub, key, now)?;
            }
            hit.map(|(x, _)| x)
        }
    };
    Ok(match found {
        Some(x) => Who::Learner {
            id: x.id,
            name: x.name.clone(),
        },
        None => Who::NotOnRoster(format!(
            "Your course account ({}) matches no learner on detente's roster by email, username or student id.",
            [&l.name, &l.email, &l.username]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )),
    })
}

/// The page where a launched student enters the code `detente login --link` printed.
fn link_page(lti: &Lti, session: &str, learner: &str, said: Option<(bool, &str)>) -> Response {
    let url = lti.config.url.trim_end_matches('/');
    let message = match said {
        Some((true, m)) => format!("<p class=\"ok\">{}</p>", html_escape::encode_text(m)),
        Some((false, m)) => format!("<p class=\"error\">{}</p>", html_escape::encode_text(m)),
        None => String::new(),
    };
    let body = format!(
        "<p>You are <strong>{learner}</strong> on detente's roster.</p>{message}\
         <p>To link a computer, run this in its terminal:</p><p><code>detente login {url} --link</code></p>\
         <p>It prints a code. Enter it here:</p>\
         <form method=\"post\" action=\"/lti/link\"><input type=\"hidden\" name=\"session\" value=\"{session}\">\
         <label for=\"code\">Code</label><br><input id=\"code\" name=\"code\" autocomplete=\"off\" \
         autocapitalize=\"characters\" spellcheck=\"false\" maxlength=\"12\" required> \
         <button type=\"submit\">Link</button></form>\
         <p><small>Page inside your course not working? <a href=\"/lti/link?session={session}\" target=\"_blank\" \
         rel=\"noopener\">Open it in its own window</a>. This page is valid for 30 minutes.</small></p>",
        learner = html_escape::encode_text(learner),
        url = html_escape::encode_text(url),
        session = html_escape::encode_double_quoted_attribute(session),
    );
    page(StatusCode::OK, "Link a device to detente", &body)
}

#[derive(Deserialize)]
pub struct SessionQuery {
    #[serde(default)]
    session: String,
}

/// `GET /lti/link?session=...`: the launch page again, in its own window.
pub async fn link_get(State(app): State<App>, Query(q): Query<SessionQuery>) -> Response {
    let lti = match tool(&app) {
        Ok(l) => l,
        Err(r) => return r,
    };
    match lti
        .sessions
        .with(&q.session, |s| s.at, now(), |s| s.learner.clone())
    {
        Some(learner) => link_page(&lti, &q.session, &learner, None),
        None => refused(
            StatusCode::FORBIDDEN,
            "This page has expired (after 30 minutes).",
        ),
    }
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    session: String,
    #[serde(default)]
    code: String,
}

/// A code as typed, in its canonical form: upper case, letters and digits only.
fn canonical(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// `POST /lti/link`: the code entered on a launch page registers the waiting device as the launch's learner.
pub async fn link_post(State(app): State<App>, Form(form): Form<LinkForm>) -> Response {
    let lti = match tool(&app) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let at = now();
    let Some((learner_id, learner, failures)) = lti.sessions.with(
        &form.session,
        |s| s.at,
        at,
        |s| (s.learner_id, s.learner.clone(), s.failures),
    ) else {
        return refused(
            StatusCode::FORBIDDEN,
            "This page has expired (after 30 minutes).",
        );
    };
    if failures >= lti::SESSION_TRIES {
        return refused(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many wrong codes were entered on this page.",
        );
    }
    let code = canonical(&form.code);
    let waiting = lti.links.with(
        &code,
        |l| l.at,
        at,
        |l| (l.done.is_some(), l.device_name.clone()),
    );
    let device_name = match waiting {
        Some((false, name)) => name,
        Some((true, _)) => {
            return link_page(
                &lti,
                &form.session,
                &learner,
                Some((false, "This code was used already.")),
            );
        }
        None => {
            lti.sessions
                .with(&form.session, |s| s.at, at, |s| s.failures += 1);
            return link_page(
                &lti,
                &form.session,
                &learner,
                Some((
                    false,
                    "That code is not waiting to be linked (mistyped, or more than 10 minutes old: run the login \
                     again for a new one).",
                )),
            );
        }
    };
    let token = match new_token() {
        Ok(t) => t,
        Err(e) => return refused(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let hash = token_hash(&token);
    let name = device_name.clone();
    let repo = app.repo.clone();
    let made = app
        .blocking(move || repo.insert_device(learner_id, &name, &hash, at))
        .await;
    let id = match made {
        Ok(id) => id,
        Err(r) => return r,
    };
    let registered = Registered {
        token,
        device: DeviceRef {
            id,
            name: device_name.clone(),
        },
        learner: learner.clone(),
    };
    lti.links
        .with(&code, |l| l.at, at, |l| l.done = Some(registered));
    (app.log)(&format!(
        "lti: linked device {id} ({device_name:?}) of learner {learner} from a launch"
    ));
    link_page(
        &lti,
        &form.session,
        &learner,
        Some((
            true,
            &format!("Linked “{device_name}”: your terminal is logged in now."),
        )),
    )
}

/// `GET /lti/jwks`: the tool's public key, for the platforms to check its token requests.
pub async fn jwks(State(app): State<App>) -> Response {
    let lti = match tool(&app) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let signer = lti.signer();
    let mut response = Json(jwt::Jwks {
        keys: vec![signer.jwk()],
    })
    .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=300"),
    );
    response
}

/// `POST /v1/devices/link`: a short code for the device to show, and the secret it polls with.
pub async fn link_start(
    State(app): State<App>,
    tls: Option<axum::Extension<TlsPeer>>,
    Json(body): Json<LinkRequest>,
) -> Response {
    let lti = match tool(&app) {
        Ok(l) => l,
        Err(r) => return r,
    };
    if tls.is_none() {
        return problem(
            StatusCode::BAD_REQUEST,
            "a device links over TLS (`detente login https://HOST:PORT --link`)",
        );
    }
    let address = address(tls);
    let at = now();
    if lti.links.count(at, |l| l.at, |l| l.address == address) >= lti::LINKS_PER_ADDRESS {
        let mut refusal = problem(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many devices are waiting to be linked from this address (at most {}): enter a code that was \
                 printed, or try again in {} minutes",
                lti::LINKS_PER_ADDRESS,
                lti::LINK_SECS / 60
            ),
        );
        refusal
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(lti::LINK_SECS));
        return refusal;
    }
    let mut bytes = [0u8; 8];
    let (Ok(()), Ok(secret)) = (getrandom::fill(&mut bytes), lti::random_hex(32)) else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server has no randomness",
        );
    };
    let code: String = bytes
        .iter()
        .map(|b| char::from(CODE_LETTERS[usize::from(*b) % CODE_LETTERS.len()]))
        .collect();
    let poll = format!("lp_{secret}");
    let name: String = crate::text::clean(body.device_name.trim())
        .chars()
        .take(64)
        .collect();
    let link = Link {
        poll_hash: token_hash(&poll),
        address,
        device_name: if name.trim().is_empty() {
            "device".to_string()
        } else {
            name
        },
        at,
        done: None,
    };
    if let Err(e) = lti.links.put(code.clone(), link, |l| l.at, at) {
        return problem(StatusCode::SERVICE_UNAVAILABLE, e);
    }
    Json(LinkStarted {
        code: format!("{}-{}", &code[..4], &code[4..]),
        poll,
        expires_in: lti::LINK_SECS,
    })
    .into_response()
}

/// `POST /v1/devices/link/poll`: the device token, once (the link is forgotten when it is taken).
pub async fn link_poll(State(app): State<App>, Json(body): Json<LinkPoll>) -> Response {
    let lti = match tool(&app) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let hash = token_hash(&body.poll);
    let at = now();
    match lti.links.find(at, |l| l.at, |l| l.poll_hash == hash) {
        None => problem(
            StatusCode::NOT_FOUND,
            "this link code expired (after 10 minutes) or was never issued: run the login again for a new one",
        ),
        Some((code, link)) => {
            if link.done.is_some() {
                // Taken once: the code cannot link anything again.
                lti.links.take(&code, |l| l.at, at);
            }
            Json(LinkPolled {
                registered: link.done,
            })
            .into_response()
        }
    }
}

/// Whether a request is a device's link request or poll, which need no identity first.
pub fn is_link(req: &Request) -> bool {
    req.method() == axum::http::Method::POST
        && matches!(
            req.uri().path(),
            "/v1/devices/link" | "/v1/devices/link/poll"
        )
}

/// Refuses a teacher's LTI command on a server without `[lti]`.
pub fn configured(lti: &Option<Arc<Lti>>) -> crate::error::Result<Arc<Lti>> {
    lti.clone().ok_or_else(|| {
        Error::Usage(
            "this class server is not set up as an LTI tool: its admin adds [lti] to its configuration (see \
             \"Grades straight to the LMS\" in the README)"
                .to_string(),
        )
    })
}
