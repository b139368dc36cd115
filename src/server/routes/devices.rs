//! Devices over TLS. `POST /v1/devices`: a device registers with its learner's enrolment code (checked as
//! `progress import` checks keys: the key derived from the code, found by its id among the valid keys the server
//! issued; the check and the device's row one transaction, `ClassStore::register_device`) and gets a device token, shown once and stored only as its hash; failures are rate-limited per code and
//! per client address. `GET /v1/devices` and `POST /v1/devices/revoke`: the teacher's list and revocation.
//! `DELETE /v1/devices/self`: a device revokes its own token (`detente logout`).

use super::{App, PeerUid, TlsPeer, problem};
use crate::enrol::Code;
use crate::server::api::{self, DeviceRef, Hello, Register, Registered, Role};
use crate::server::identity::{new_token, token_hash, when};
use crate::store::Registration;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Extension, Json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Failed registrations allowed per code within [`WINDOW`].
const PER_CODE: usize = 5;
/// Failed registrations allowed per client address (or socket user) within [`WINDOW`].
const PER_ADDRESS: usize = 20;
/// How long a failure counts.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// The longest name a device keeps.
const NAME_CHARS: usize = 64;

/// Whether a request is a device's registration, the one request that needs no identity first.
pub fn is_registration(req: &Request) -> bool {
    req.method() == Method::POST && req.uri().path() == "/v1/devices"
}

/// `/v1/devices`: `POST` registers (its failures counted by one [`Tries`] for the server's life), `GET` lists.
pub fn register_or_list() -> MethodRouter<App> {
    get(list)
        .post(register)
        .layer(Extension(Arc::new(Tries::default())))
}

/// Recent failed registrations, by code (its key id: the code itself is not kept) and by client address, in
/// memory: a restart forgets them.
#[derive(Default)]
pub struct Tries {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Tries {
    /// How long until `keys` may try again, if one of them is at its limit (`(key, limit)` pairs).
    fn wait(&self, keys: &[(&str, usize)], now: Instant) -> Option<Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        keys.iter()
            .filter_map(|(key, limit)| {
                let times = failures.get_mut(*key)?;
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= WINDOW)
                {
                    times.pop_front();
                }
                (times.len() >= *limit)
                    .then(|| {
                        times
                            .front()
                            .map(|t| WINDOW.saturating_sub(now.duration_since(*t)))
                    })
                    .flatten()
            })
            .max()
    }

    /// Counts a failure against each of `keys`. Keys whose failures are all old are dropped now and then, so an
    /// attacker's many codes do not grow the map without end.
    fn fail(&self, keys: &[&str], now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() > 10_000 {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
        }
        for key in keys {
            failures
                .entry((*key).to_string())
                .or_default()
                .push_back(now);
        }
    }
}

/// `POST /v1/devices {code, device_name}`: a device registers with its learner's enrolment code.
async fn register(
    State(app): State<App>,
    Extension(tries): Extension<Arc<Tries>>,
    uid: Option<Extension<PeerUid>>,
    tls: Option<Extension<TlsPeer>>,
    Json(body): Json<Register>,
) -> Response {
    let address = match (tls, uid) {
        (Some(Extension(TlsPeer(addr))), _) => format!("address {}", addr.ip()),
        (None, Some(Extension(PeerUid(uid)))) => format!("uid {uid}"),
        (None, None) => "unknown".to_string(),
    };
    let code = Code::parse(&body.code);
    let code_key = code.as_ref().ok().map(|c| format!("code {}", c.key().id()));
    let mut keys = vec![(address.as_str(), PER_ADDRESS)];
    if let Some(k) = &code_key {
        keys.push((k.as_str(), PER_CODE));
    }
    let now = Instant::now();
    if let Some(wait) = tries.wait(&keys, now) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let mut refusal = problem(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many wrong enrolment codes were tried (at most {PER_CODE} per code and {PER_ADDRESS} per \
                 address in {} minutes): try again in {minutes} minute{}, and check the code with your teacher",
                WINDOW.as_secs() / 60,
                if minutes == 1 { "" } else { "s" }
            ),
        );
        refusal.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return refusal;
    }
    let refuse = |why: String| {
        let failed: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
        tries.fail(&failed, now);
        problem(StatusCode::FORBIDDEN, why)
    };
    let code = match code {
        Ok(code) => code,
        Err(why) => return refuse(format!("not an enrolment code: {why}")),
    };
    let name: String = crate::text::clean(body.device_name.trim())
        .chars()
        .take(NAME_CHARS)
        .collect();
    let name = if name.trim().is_empty() {
        "device".to_string()
    } else {
        name
    };
    let key = code.key();
    let at = chrono::Utc::now().timestamp();
    let token = match new_token() {
        Ok(token) => token,
        Err(e) => {
            (app.log)(&format!("error: device registration: {e}"));
            return problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server could not make a device token (the server's log says why)",
            );
        }
    };
    let hash = token_hash(&token);
    let kept = name.clone();
    let found = app
        .with_repo(move |repo| repo.register_device(&key, &kept, &hash, at))
        .await;
    match found {
        Ok(Registration::Registered { id, learner, .. }) => {
            (app.log)(&format!(
                "{address}: registered device {id} ({name:?}) of learner {learner}"
            ));
            Json(Registered {
                token,
                device: DeviceRef { id, name },
                learner,
            })
            .into_response()
        }
        Ok(Registration::Reissued(at)) => refuse(format!(
            "this enrolment code was replaced by a new one on {}: log in with the new code your teacher gives you",
            when(at)
        )),
        Ok(Registration::Unknown) => refuse(
            "this enrolment code is not one this server issued (a character mistyped, or another course's \
             code): check it with your teacher"
                .to_string(),
        ),
        Err(refusal) => refusal,
    }
}

/// Refuses a caller who is not a teacher (a device over TLS never is).
fn teachers_only(me: &Hello, what: &str) -> Option<Response> {
    (me.role != Role::Teacher).then(|| {
        problem(
            StatusCode::FORBIDDEN,
            format!(
                "`{what}` is for this server's teachers, on its Unix socket, and you are {}",
                me.describe()
            ),
        )
    })
}

#[derive(serde::Deserialize)]
struct ListQuery {
    learner: Option<String>,
}

/// `GET /v1/devices[?learner=NAME]` (teachers): the registered devices, revoked ones included.
async fn list(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Query(query): Query<ListQuery>,
) -> Response {
    if let Some(refusal) = teachers_only(&me, "device list") {
        return refusal;
    }
    let rows = app
        .with_repo(move |repo| {
            let learner = match &query.learner {
                Some(name) => match repo.learner_by_name(name)? {
                    Some(l) => Some(l.id),
                    None => return Ok(Err(format!("this server has no learner named {name}"))),
                },
                None => None,
            };
            Ok(Ok(repo.devices(learner)?))
        })
        .await;
    match rows {
        Ok(Ok(rows)) => Json::<api::Devices>(rows).into_response(),
        Ok(Err(why)) => problem(StatusCode::NOT_FOUND, why),
        Err(refusal) => refusal,
    }
}

/// `POST /v1/devices/revoke {ids}` (teachers): revokes these devices, or none if an id names no device.
pub async fn revoke(
    State(app): State<App>,
    Extension(me): Extension<Hello>,
    Json(body): Json<api::Revoke>,
) -> Response {
    if let Some(refusal) = teachers_only(&me, "device revoke") {
        return refusal;
    }
    let by = format!("teacher {}", me.user);
    let now = chrono::Utc::now().timestamp();
    let done = app
        .with_repo(move |repo| repo.revoke_devices(&body.ids, &by, now))
        .await;
    match done {
        Ok(Ok(rows)) => {
            for d in &rows {
                (app.log)(&format!(
                    "device {} ({:?}) of learner {} revoked",
                    d.id, d.name, d.learner
                ));
            }
            Json::<api::Devices>(rows).into_response()
        }
        Ok(Err(missing)) => problem(
            StatusCode::NOT_FOUND,
            format!(
                "no device with id {}: nothing was revoked (`detente device list` shows the ids)",
                missing
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Err(refusal) => refusal,
    }
}

/// `DELETE /v1/devices/self`: the calling device revokes its own token.
pub async fn revoke_self(State(app): State<App>, Extension(me): Extension<Hello>) -> Response {
    let Some(device) = me.device.clone() else {
        return problem(
            StatusCode::BAD_REQUEST,
            format!(
                "you are {}, on the Unix socket: only a device registered over TLS has a token to revoke",
                me.describe()
            ),
        );
    };
    let now = chrono::Utc::now().timestamp();
    let done = app
        .with_repo(move |repo| {
            let row = match me.learner_id {
                Some(learner) => {
                    repo.revoke_device(learner, device.id, "the device (logout)", now)?
                }
                None => None,
            };
            Ok(row.into_iter().collect::<Vec<_>>())
        })
        .await;
    match done {
        Ok(rows) => Json::<api::Devices>(rows).into_response(),
        Err(refusal) => refusal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_per_key_and_forgotten_after_the_window() {
        let tries = Tries::default();
        let t0 = Instant::now();
        for _ in 0..PER_CODE {
            assert!(tries.wait(&[("code a", PER_CODE)], t0).is_none());
            tries.fail(&["code a", "address x"], t0);
        }
        let wait = tries.wait(&[("code a", PER_CODE)], t0).unwrap();
        assert_eq!(wait, WINDOW);
        assert!(tries.wait(&[("code b", PER_CODE)], t0).is_none());
        assert!(tries.wait(&[("address x", PER_ADDRESS)], t0).is_none());
        assert!(tries.wait(&[("code a", PER_CODE)], t0 + WINDOW).is_none());
    }
}
