//! The class page: the teacher's view of the course in a browser, over the TLS listener only (404 on the socket),
//! built from the same data as the terminal's `stats --class`, `report items` and `report flags` ([`Backend`]'s
//! reports, on SQLite or PostgreSQL alike): `/class` (learners by theme or deck, activity, exam scores), each
//! learner's page, `/class/items` (item analysis of a deck or an exam) and `/class/flags` (open flags, each with a
//! button that resolves it).
//!
//! Who may see it: teachers work on the Unix socket, so a teacher asks there for a sign-in link (`detente report
//! web`, `POST /v1/page-link`): a random code, kept hashed, good once and for ten minutes. A learner asks the same
//! way (on the socket, or from a laptop by its device) and gets a session that shows their own page, `/class/me`,
//! and sends every other page back to it. Opening it sets a
//! session cookie (random, kept hashed in memory, `HttpOnly; Secure; SameSite=Strict`, eight hours; a restart signs
//! everyone out) and forgets the code. Every page without a live session answers 401 with how to sign in; every
//! form carries the session's own token besides the cookie. Pages have no script and ask for nothing outside the
//! page (`default-src 'none'`), and are never cached.
//!
//! One concern: the class page's pages and the sign-in that guards them, which are one flow.

use super::{App, TlsPeer, problem};
use crate::error::Error;
use crate::server::api::{ClassRequest, Done, FlagsRequest, Hello, ItemsRequest, PageLink, Role};
use crate::server::identity::{new_token, token_hash};
use crate::server::ops::Backend;
use crate::stats::{Class, GroupBy};
use crate::ui::html;
use axum::extract::{Form, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a sign-in link works.
const LINK_SECS: i64 = 600;
/// How long a session lasts.
const SESSION_SECS: i64 = 8 * 3600;
const COOKIE: &str = "detente_class";
const NAV: [(&str, &str); 3] = [
    ("/class", "Class"),
    ("/class/items", "Item analysis"),
    ("/class/flags", "Flags"),
];

/// The class page's sign-in links and sessions, by the hash of their secret.
#[derive(Default)]
pub struct ClassPages {
    /// The address browsers reach the TLS listener at (`[tls] url`, else `[lti] url`), if the configuration says.
    base: Option<String>,
    /// Whether the server has a TLS listener at all.
    tls: bool,
    state: Mutex<Sessions>,
}

#[derive(Default)]
struct Sessions {
    links: HashMap<[u8; 32], Pass>,
    live: HashMap<[u8; 32], Pass>,
}

#[derive(Clone)]
struct Pass {
    /// Who signed in: a teacher's user name, or a learner's name.
    who: String,
    /// A learner's session (their own page only); none for a teacher's.
    learner: Option<String>,
    until: i64,
    /// A session's token for its forms (none for a link).
    csrf: String,
}

impl ClassPages {
    /// The class page of a server with (or without) a TLS listener, reached at `base` when the configuration says.
    pub fn new(tls: bool, base: Option<String>) -> ClassPages {
        ClassPages {
            base: base.map(|b| b.trim_end_matches('/').to_string()),
            tls,
            state: Mutex::default(),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new sign-in link's code for `who` (a teacher), or for the learner `learner`.
    fn link(
        &self,
        who: &str,
        learner: Option<&str>,
        now: i64,
    ) -> std::result::Result<String, String> {
        let code = new_token()?;
        let mut s = self.sessions();
        s.links.retain(|_, p| p.until > now);
        s.links.insert(
            token_hash(&code),
            Pass {
                who: who.to_string(),
                learner: learner.map(str::to_string),
                until: now + LINK_SECS,
                csrf: String::new(),
            },
        );
        Ok(code)
    }

    /// Trades a link's code (once) for a new session: its cookie value and pass.
    fn sign_in(&self, code: &str, now: i64) -> Option<(String, Pass)> {
        let mut s = self.sessions();
        let link = s
            .links
            .remove(&token_hash(code))
            .filter(|p| p.until > now)?;
        let (secret, csrf) = (new_token().ok()?, new_token().ok()?);
        let pass = Pass {
            who: link.who,
            learner: link.learner,
            until: now + SESSION_SECS,
            csrf,
        };
        s.live.retain(|_, p| p.until > now);
        s.live.insert(token_hash(&secret), pass.clone());
        Some((secret, pass))
    }

    /// The live session a request's cookie names.
    fn session(&self, headers: &HeaderMap, now: i64) -> Option<Pass> {
        let secret = cookie(headers)?;
        self.sessions()
            .live
            .get(&token_hash(&secret))
            .filter(|p| p.until > now)
            .cloned()
    }

    fn sign_out(&self, headers: &HeaderMap) {
        if let Some(secret) = cookie(headers) {
            self.sessions().live.remove(&token_hash(&secret));
        }
    }
}

/// The class page's session cookie in a request, if any.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(&format!("{COOKIE}="))
                .map(str::to_string)
        })
}

/// The server's clock in seconds (the one every exam deadline reads; a test's own in tests).
fn now(app: &App) -> i64 {
    app.clock.now_ms().secs()
}

/// `POST /v1/page-link` (through the API's guard): a sign-in link to the class page for a teacher, or to their
/// own page for a learner (on the roster: on the socket by their user, over TLS by their device), on a server with
/// a TLS listener.
pub async fn link(State(app): State<App>, Extension(me): Extension<Hello>) -> Response {
    let learner = match (&me.role, &me.learner) {
        (Role::Teacher, _) => None,
        (_, Some(name)) => Some(name.clone()),
        (_, None) => {
            return problem(
                StatusCode::FORBIDDEN,
                format!(
                    "`report web` needs a learner on the roster, and you are {}",
                    me.describe()
                ),
            );
        }
    };
    let pages = &app.pages;
    let done = if pages.tls {
        let who = learner.clone().unwrap_or_else(|| me.user.clone());
        match pages.link(&who, learner.as_deref(), now(&app)) {
            Ok(code) => Done::Ok(PageLink {
                path: format!("/class/signin?code={code}"),
                base: pages.base.clone(),
                expires_in_secs: LINK_SECS,
            }),
            Err(e) => {
                (app.log)(&format!("error: report web: {e}"));
                return problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the server could not make a sign-in link (the server's log says why)",
                );
            }
        }
    } else {
        Done::Usage(
            "the class page is served over TLS, and this server has no [tls] in its configuration (docs/server.md)"
                .to_string(),
        )
    };
    Json(done).into_response()
}

/// The class page's guard: over TLS only (404 on the socket), the body within the API's limits, one log line per
/// request (the path only: a sign-in link's code is in its query).
pub async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    let what = format!("{} {}", req.method(), req.uri().path());
    let Some(TlsPeer(addr)) = req.extensions().get::<TlsPeer>().copied() else {
        return problem(
            StatusCode::NOT_FOUND,
            "the class page is served over TLS only",
        );
    };
    let response = match super::receive(&app.limits, req).await {
        Ok(req) => next.run(req).await,
        Err(refusal) => refusal,
    };
    (app.log)(&format!(
        "tls {}: {what} {}",
        addr.ip(),
        response.status().as_u16()
    ));
    response
}

/// A page: never cached, no referrer, nothing loaded from anywhere, forms posted here only.
fn page(status: StatusCode, html: String) -> Response {
    super::html_page(
        status,
        html,
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
    )
}

/// A page with a message only.
fn notice(status: StatusCode, title: &str, why: &str) -> Response {
    page(
        status,
        html::site_page(
            title,
            &[],
            "",
            &format!(
                "<h1>{}</h1><p>{}</p>",
                html::escape(title),
                html::escape(why)
            ),
        ),
    )
}

/// The teacher's session a request comes with: a learner's session is sent to their own page.
fn teacher_session(app: &App, headers: &HeaderMap) -> std::result::Result<Pass, Response> {
    match app.pages.session(headers, now(app)) {
        Some(pass) if pass.learner.is_none() => Ok(pass),
        Some(_) => Err(see_other("/class/me")),
        None => Err(signed_out()),
    }
}

fn signed_out() -> Response {
    notice(
        StatusCode::UNAUTHORIZED,
        "Sign in to the class page",
        "Run `detente report web` (a teacher on the class server; a student on a device logged in to it) and open \
         the link it prints: it works once, for ten minutes.",
    )
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

#[derive(Debug, Deserialize)]
pub struct SignIn {
    #[serde(default)]
    code: String,
}

/// `GET /class/signin?code=...`: the link's code for a session cookie, then the class.
pub async fn sign_in(State(app): State<App>, Query(q): Query<SignIn>) -> Response {
    let Some((secret, pass)) = app.pages.sign_in(q.code.trim(), now(&app)) else {
        return notice(
            StatusCode::FORBIDDEN,
            "This sign-in link does not work",
            "It was used already, is more than ten minutes old, or was not made by this server. Run `detente report \
             web` on the class server for a new one.",
        );
    };
    (app.log)(&format!("class page: {} signed in", pass.who));
    let mut r = see_other(if pass.learner.is_some() {
        "/class/me"
    } else {
        "/class"
    });
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={secret}; Path=/class; HttpOnly; Secure; SameSite=Strict; Max-Age={SESSION_SECS}"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[derive(Debug, Deserialize)]
pub struct Posted {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: Option<i64>,
}

/// `POST /class/signout`: the session ended, its cookie cleared.
pub async fn sign_out(
    State(app): State<App>,
    headers: HeaderMap,
    Form(f): Form<Posted>,
) -> Response {
    match app.pages.session(&headers, now(&app)) {
        Some(pass) if pass.csrf == f.csrf => app.pages.sign_out(&headers),
        _ => return signed_out(),
    }
    let mut r = notice(
        StatusCode::OK,
        "Signed out",
        "You are signed out of the class page.",
    );
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "detente_class=; Path=/class; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
        ),
    );
    r
}

/// Runs a report on the server's [`Backend`] off the async workers; a refusal a user can cause comes back as its
/// message, any other failure is logged and answered 500.
async fn report<T: Send + 'static>(
    app: &App,
    work: impl FnOnce(&dyn Backend, crate::time::UnixMs) -> crate::error::Result<T> + Send + 'static,
) -> std::result::Result<std::result::Result<T, String>, Response> {
    let (repo, clock) = (app.repo.clone(), app.clock.clone());
    let done = app.spawn(move || work(repo.as_ref(), clock.now_ms())).await;
    match done {
        Ok(Ok(v)) => Ok(Ok(v)),
        Ok(Err(Error::Usage(m) | Error::InvalidData(m))) => Ok(Err(m)),
        Ok(Err(e)) => Err(failed(app, &e.to_string())),
        Err(e) => Err(failed(app, &e)),
    }
}

fn failed(app: &App, why: &str) -> Response {
    (app.log)(&format!("error: class page: {why}"));
    notice(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The class page could not be made",
        "The server could not read its database; the server's log says why.",
    )
}

/// A signed-in page that says why a report could not be made (a refusal a user can cause).
fn refusal(title: &str, current: &str, pass: &Pass, why: &str) -> Response {
    frame(
        title,
        current,
        pass,
        &format!("<p class=\"error\">{}</p>", html::escape(why)),
    )
}

/// The navigation and sign-out form of a signed-in page.
fn frame(title: &str, current: &str, pass: &Pass, body: &str) -> Response {
    let body = format!(
        "{body}<form method=\"post\" action=\"/class/signout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"/>\
         <p class=\"muted\">Signed in as {}. <button type=\"submit\">Sign out</button></p></form>",
        html::escape(&pass.csrf),
        html::escape(&pass.who)
    );
    let nav: &[(&str, &str)] = if pass.learner.is_some() { &[] } else { &NAV };
    page(StatusCode::OK, html::site_page(title, nav, current, &body))
}

/// `/class/learner?name=...` for a learner's name.
fn learner_href(name: &str) -> String {
    format!("/class/learner?name={}", percent(name))
}

/// A query value percent-encoded (everything but letters, digits and `-._~`).
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct ByQuery {
    #[serde(default)]
    by: Option<String>,
}

/// The class view, or with `learner` that learner's row alone (their page reads nothing of the others).
async fn class_of(
    app: &App,
    by: GroupBy,
    learner: Option<String>,
) -> std::result::Result<std::result::Result<Class, String>, Response> {
    report(app, move |repo, now| {
        repo.class(
            &ClassRequest {
                decks: Vec::new(),
                tags: Vec::new(),
                by,
                learner,
            },
            now,
        )
    })
    .await
}

/// `GET /class[?by=deck]`: the class view.
pub async fn class(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<ByQuery>,
) -> Response {
    let pass = match teacher_session(&app, &headers) {
        Ok(pass) => pass,
        Err(r) => return r,
    };
    let by = if q.by.as_deref() == Some("deck") {
        GroupBy::Deck
    } else {
        GroupBy::Theme
    };
    let class = match class_of(&app, by, None).await {
        Ok(Ok(c)) => c,
        Ok(Err(why)) => {
            return refusal("Class", "/class", &pass, &why);
        }
        Err(r) => return r,
    };
    let other = match by {
        GroupBy::Theme => "<p><a href=\"/class?by=deck\">By deck</a> · by theme</p>",
        GroupBy::Deck => "<p>By deck · <a href=\"/class\">by theme</a></p>",
    };
    let body = format!("{other}{}", html::class_sections(&class, &learner_href));
    frame("Class", "/class", &pass, &body)
}

#[derive(Debug, Deserialize)]
pub struct NameQuery {
    #[serde(default)]
    name: String,
}

/// `GET /class/learner?name=...`: one learner's page.
pub async fn learner(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<NameQuery>,
) -> Response {
    let pass = match teacher_session(&app, &headers) {
        Ok(pass) => pass,
        Err(r) => return r,
    };
    let class = match class_of(&app, GroupBy::Theme, Some(q.name.clone())).await {
        Ok(Ok(c)) => c,
        Ok(Err(why)) => {
            return refusal("Learner", "", &pass, &why);
        }
        Err(r) => return r,
    };
    match html::learner_section(&class, &q.name) {
        Some(body) => frame(&q.name, "", &pass, &body),
        None => frame(
            "No such learner",
            "",
            &pass,
            &format!(
                "<h1>No such learner</h1><p>The roster has no learner named {}.</p>",
                html::escape(&q.name)
            ),
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct ItemsQuery {
    #[serde(default)]
    deck: Option<String>,
    #[serde(default)]
    exam: Option<String>,
}

/// `GET /class/items[?deck=ID|?exam=ID]`: the decks and exams to analyse, and the chosen one's items.
pub async fn items(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<ItemsQuery>,
) -> Response {
    let pass = match teacher_session(&app, &headers) {
        Ok(pass) => pass,
        Err(r) => return r,
    };
    let class = match class_of(&app, GroupBy::Deck, None).await {
        Ok(Ok(c)) => c,
        Ok(Err(why)) => {
            return refusal("Item analysis", "/class/items", &pass, &why);
        }
        Err(r) => return r,
    };
    let mut body = String::from("<h1>Item analysis</h1><p>Exams: ");
    let links = |list: Vec<(String, String, String)>| -> String {
        if list.is_empty() {
            return "none".to_string();
        }
        list.iter()
            .map(|(href, id, label)| {
                format!(
                    "<a href=\"{}\" title=\"{}\">{}</a>",
                    html::escape(href),
                    html::escape(label),
                    html::escape(id)
                )
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    body.push_str(&links(
        class
            .exams
            .iter()
            .map(|e| {
                (
                    format!("/class/items?exam={}", percent(&e.id)),
                    e.id.clone(),
                    e.title.clone(),
                )
            })
            .collect(),
    ));
    body.push_str("</p><p>Decks (learners' first study answers): ");
    body.push_str(&links(
        class
            .columns
            .iter()
            .map(|c| {
                (
                    format!("/class/items?deck={}", percent(&c.key)),
                    c.key.clone(),
                    c.label.clone(),
                )
            })
            .collect(),
    ));
    body.push_str("</p>");
    if q.deck.is_some() || q.exam.is_some() {
        let req = ItemsRequest {
            exam: q.exam.clone(),
            deck: if q.exam.is_some() {
                None
            } else {
                q.deck.clone()
            },
            include_unsupervised: false,
        };
        let what = q
            .exam
            .as_deref()
            .or(q.deck.as_deref())
            .unwrap_or_default()
            .to_string();
        match report(&app, move |repo, now| repo.items(&req, now)).await {
            Ok(Ok(items)) => {
                body.push_str(&format!(
                    "<section><h2>{}</h2>{}</section>",
                    html::escape(&what),
                    html::items_table(&items)
                ));
            }
            Ok(Err(why)) => {
                body.push_str(&format!("<p class=\"error\">{}</p>", html::escape(&why)))
            }
            Err(r) => return r,
        }
    }
    frame("Item analysis", "/class/items", &pass, &body)
}

/// `GET /class/flags`: the open flags, each with a button that resolves it.
pub async fn flags(State(app): State<App>, headers: HeaderMap) -> Response {
    let pass = match teacher_session(&app, &headers) {
        Ok(pass) => pass,
        Err(r) => return r,
    };
    let req = FlagsRequest {
        all: false,
        deck: None,
    };
    let rows = match report(&app, move |repo, now| repo.flags(&req, now)).await {
        Ok(Ok(rows)) => rows,
        Ok(Err(why)) => {
            return refusal("Flags", "/class/flags", &pass, &why);
        }
        Err(r) => return r,
    };
    let body = format!(
        "<h1>Open flags</h1><p class=\"muted\">Cards learners flagged as wrong or unclear. Resolve one once you have \
         fixed the card (or decided it stands).</p>{}",
        html::flags_table(&rows, "/class/flags/resolve", &pass.csrf)
    );
    frame("Flags", "/class/flags", &pass, &body)
}

/// `POST /class/flags/resolve` (`id`, `csrf`): the flag resolved, then the flags again.
pub async fn resolve(
    State(app): State<App>,
    headers: HeaderMap,
    Form(f): Form<Posted>,
) -> Response {
    let pass = match teacher_session(&app, &headers) {
        Ok(pass) => pass,
        Err(r) => return r,
    };
    if f.csrf != pass.csrf {
        return notice(
            StatusCode::FORBIDDEN,
            "This form is out of date",
            "Open the flags page again and resolve the flag from there.",
        );
    }
    let Some(id) = f.id else {
        return see_other("/class/flags");
    };
    match report(&app, move |repo, now| repo.resolve_flags(&[id], now)).await {
        Ok(Ok(_)) => {
            (app.log)(&format!("class page: {} resolved flag {id}", pass.who));
            see_other("/class/flags")
        }
        Ok(Err(why)) => refusal("Flags", "/class/flags", &pass, &why),
        Err(r) => r,
    }
}

/// `GET /class/me`: a learner's own page (what their teacher sees of them on the class page).
pub async fn me(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some(pass) = app.pages.session(&headers, now(&app)) else {
        return signed_out();
    };
    let Some(name) = pass.learner.clone() else {
        return see_other("/class");
    };
    let class = match class_of(&app, GroupBy::Theme, Some(name.clone())).await {
        Ok(Ok(c)) => c,
        Ok(Err(why)) => {
            return refusal("Your progress", "", &pass, &why);
        }
        Err(r) => return r,
    };
    match html::learner_section(&class, &name) {
        Some(body) => frame("Your progress", "", &pass, &body),
        None => frame(
            "Your progress",
            "",
            &pass,
            "<p>Nothing is recorded for you yet.</p>",
        ),
    }
}
