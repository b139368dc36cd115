//! detente as an LTI 1.3 tool (`[lti]` in the configuration, served over the TLS listener): the tool's own RSA key
//! (re-read when its file changes) and key set, the platforms' key sets fetched and cached by `kid`, the launch's
//! checks ([`launch`]), the short-lived server-side state of logins in flight, launches and device links (in
//! memory: a restart forgets them, and a student launches again), the Assignment and Grade Services client with
//! its outbox ([`ags`]), and the course roster read for learners who never launched ([`nrps`]). The routes are in `routes::lti`.

pub mod ags;
pub mod jwt;
pub mod launch;
pub mod nrps;
pub mod web;

use super::Log;
use super::config;
use jwt::{PublicKey, Signer};
use std::collections::HashMap;
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

/// How long a login's state and nonce wait for the launch (seconds).
pub const STATE_SECS: i64 = 10 * 60;
/// How long a launch page may link a device (seconds).
pub const SESSION_SECS: i64 = 30 * 60;
/// How long a device's link code waits to be entered (seconds).
pub const LINK_SECS: i64 = 10 * 60;
/// Wrong codes a launch page may enter before it must be launched again.
pub const SESSION_TRIES: u32 = 5;
/// The most logins, launches or links held at once (each map): beyond, expired ones are dropped, then new ones
/// refused. Each address may hold only so many logins and links (below), so one client cannot fill them.
const HELD: usize = 10_000;
/// Logins in flight from one address at once (a class behind one NAT address starts many).
pub const LOGINS_PER_ADDRESS: usize = 500;
/// Devices waiting to be linked from one address at once.
pub const LINKS_PER_ADDRESS: usize = 50;
/// A platform's key set is fetched again for an unknown `kid` at most this often (seconds).
const REFETCH_SECS: i64 = 10;

/// What a platform says of a person, to find them on detente's roster: from a launch or the course's roster.
#[derive(Debug, Clone, Copy, Default)]
pub struct Person<'a> {
    pub email: Option<&'a str>,
    pub username: Option<&'a str>,
    pub student_id: Option<&'a str>,
}

/// The one roster learner a platform's person is, and by what: their email (case ignored), else their username,
/// else their student id, each only if exactly one learner has it. The rule of a launch and of `grades push`'s
/// look-up in the course's roster.
pub fn roster_match<'l>(
    learners: &'l [crate::store::Learner],
    p: &Person<'_>,
) -> Option<(&'l crate::store::Learner, &'static str)> {
    let same = |a: &Option<String>, b: Option<&str>, fold: bool| match (a, b) {
        (Some(a), Some(b)) if fold => a.trim().eq_ignore_ascii_case(b.trim()),
        (Some(a), Some(b)) => a.trim() == b.trim(),
        _ => false,
    };
    let by = |key: &'static str, f: &dyn Fn(&crate::store::Learner) -> bool| {
        let mut m = learners.iter().filter(|x| f(x));
        match (m.next(), m.next()) {
            (Some(x), None) => Some((x, key)),
            _ => None,
        }
    };
    by("email", &|x| same(&x.email, p.email, true))
        .or_else(|| by("username", &|x| same(&x.username, p.username, false)))
        .or_else(|| by("student id", &|x| same(&x.student_id, p.student_id, false)))
}

/// Access tokens (and their end, Unix seconds) by platform and the scopes they were asked for.
type Tokens = HashMap<(usize, &'static str), (String, i64)>;

/// A login in flight: the nonce the launch must carry, and its platform.
#[derive(Debug, Clone)]
pub struct Login {
    pub nonce: String,
    pub platform: usize,
    pub at: i64,
    /// Where the login came from (a browser's address), for the per-address limit.
    pub address: IpAddr,
}

/// A launch that may link a device: the roster learner it is.
#[derive(Debug, Clone)]
pub struct Session {
    pub learner_id: i64,
    pub learner: String,
    pub at: i64,
    pub failures: u32,
}

/// A device waiting for its code to be entered on a launch page.
#[derive(Debug, Clone)]
pub struct Link {
    /// The SHA-256 of the secret the device polls with.
    pub poll_hash: [u8; 32],
    /// Where the device asked from, for the per-address limit.
    pub address: IpAddr,
    pub device_name: String,
    pub at: i64,
    /// The registration, once a launch page entered the code (taken by the device's next poll).
    pub done: Option<crate::server::api::Registered>,
}

/// Short-lived maps keyed by a random id, each entry with its time.
pub struct Held<T> {
    entries: Mutex<HashMap<String, T>>,
    secs: i64,
}

impl<T: Clone> Held<T> {
    fn new(secs: i64) -> Held<T> {
        Held {
            entries: Mutex::new(HashMap::new()),
            secs,
        }
    }

    /// Keeps `value` under `key`; refused when the map is full of live entries.
    pub fn put(
        &self,
        key: String,
        value: T,
        at: impl Fn(&T) -> i64,
        now: i64,
    ) -> Result<(), String> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= HELD {
            entries.retain(|_, v| now - at(v) < self.secs);
        }
        if entries.len() >= HELD {
            return Err(
                "the server holds too many logins in flight: try again in a few minutes"
                    .to_string(),
            );
        }
        entries.insert(key, value);
        Ok(())
    }

    /// Takes the entry out (single use), if it is there and not expired.
    pub fn take(&self, key: &str, at: impl Fn(&T) -> i64, now: i64) -> Option<T> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.remove(key).filter(|v| now - at(v) < self.secs)
    }

    /// Changes the entry in place with `f`, if it is there and not expired; `f`'s answer.
    pub fn with<R>(
        &self,
        key: &str,
        at: impl Fn(&T) -> i64,
        now: i64,
        f: impl FnOnce(&mut T) -> R,
    ) -> Option<R> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get_mut(key) {
            Some(v) if now - at(v) < self.secs => Some(f(v)),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// How many live entries `pick` holds.
    pub fn count(&self, now: i64, at: impl Fn(&T) -> i64, pick: impl Fn(&T) -> bool) -> usize {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .values()
            .filter(|v| now - at(v) < self.secs && pick(v))
            .count()
    }

    /// Finds a live entry by a predicate: its key and a copy.
    pub fn find(
        &self,
        now: i64,
        at: impl Fn(&T) -> i64,
        pick: impl Fn(&T) -> bool,
    ) -> Option<(String, T)> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .iter()
            .find(|(_, v)| now - at(v) < self.secs && pick(v))
            .map(|(k, v)| (k.clone(), v.clone()))
    }
}

/// Random bytes as lowercase hex.
pub fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// What identifies a file's version: modification time, size, inode.
type Stamp = Option<(SystemTime, u64, u64)>;

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len(), m.ino()))
}

/// A platform's keys, and when they were last fetched.
#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, PublicKey>,
    fetched_at: Option<i64>,
}

/// The tool: its configuration, key, and what it holds for launches and grades.
pub struct Lti {
    pub config: config::Lti,
    key_path: PathBuf,
    key: Mutex<(Stamp, Arc<Signer>)>,
    pub web: web::Web,
    platform_keys: Mutex<HashMap<usize, KeyCache>>,
    /// Access tokens by platform and the scopes they were asked for.
    tokens: Mutex<Tokens>,
    pub logins: Held<Login>,
    pub sessions: Held<Session>,
    pub links: Held<Link>,
    /// Woken when scores are queued, so the sender does not wait for its next round.
    pub wake: tokio::sync::Notify,
    pub log: Log,
}

impl Lti {
    /// Reads the tool's key and sets up its HTTPS client; a key that does not load stops the server here.
    pub fn load(config: &config::Lti, log: Log) -> Result<Lti, String> {
        let seen = stamp(&config.key);
        let signer = read_key(&config.key)?;
        Ok(Lti {
            config: config.clone(),
            key_path: config.key.clone(),
            key: Mutex::new((seen, Arc::new(signer))),
            web: web::Web::new(config.ca_certificate.as_deref())?,
            platform_keys: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            logins: Held::new(STATE_SECS),
            sessions: Held::new(SESSION_SECS),
            links: Held::new(LINK_SECS),
            wake: tokio::sync::Notify::new(),
            log,
        })
    }

    /// The tool's key, re-read first if its file changed (a key that does not load keeps the previous one, said in
    /// the log).
    pub fn signer(&self) -> Arc<Signer> {
        let mut key = self.key.lock().unwrap_or_else(PoisonError::into_inner);
        let now = stamp(&self.key_path);
        if now != key.0 {
            key.0 = now;
            match read_key(&self.key_path) {
                Ok(signer) => {
                    key.1 = Arc::new(signer);
                    // Tokens were got with the old key's assertion: they stay valid; nothing else to drop.
                    (self.log)(&format!(
                        "lti: reloaded the tool's key {}",
                        self.key_path.display()
                    ));
                }
                Err(e) => (self.log)(&format!(
                    "error: lti: the changed key does not load, the previous one stays in service: {e}"
                )),
            }
        }
        key.1.clone()
    }

    /// The platform of `issuer` (and of `client_id` when given): its index in the configuration.
    pub fn platform(&self, issuer: &str, client_id: Option<&str>) -> Option<usize> {
        self.config
            .platforms
            .iter()
            .position(|p| p.issuer == issuer && client_id.is_none_or(|c| c == p.client_id))
    }

    /// The platform's key `kid` (the empty id for a key set whose keys have none), from the cache or its key set,
    /// fetched again when the id is unknown (at most every `REFETCH_SECS`). Blocking.
    pub fn platform_key(&self, platform: usize, kid: &str, now: i64) -> Result<PublicKey, String> {
        let p = &self.config.platforms[platform];
        {
            let caches = self
                .platform_keys
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(cache) = caches.get(&platform) {
                if let Some(key) = cache.keys.get(kid) {
                    return Ok(key.clone());
                }
                if cache.fetched_at.is_some_and(|t| now - t < REFETCH_SECS) {
                    return Err(format!(
                        "the platform {} has no key {kid:?} in its key set",
                        p.issuer
                    ));
                }
            }
        }
        let bytes = match (&p.key_set_url, &p.key_set_file) {
            (Some(url), _) => {
                let answer =
                    self.web
                        .request("GET", url, &[("accept", "application/json")], b"")?;
                if answer.status != 200 {
                    return Err(format!(
                        "the platform's key set {url} answered HTTP {}",
                        answer.status
                    ));
                }
                answer.body
            }
            (None, Some(file)) => {
                std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?
            }
            (None, None) => return Err(format!("the platform {} has no key set", p.issuer)),
        };
        let keys = jwt::parse_jwks(&bytes)
            .map_err(|e| format!("the platform {}'s key set: {e}", p.issuer))?;
        let found = keys.get(kid).cloned();
        let mut caches = self
            .platform_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        caches.insert(
            platform,
            KeyCache {
                keys,
                fetched_at: Some(now),
            },
        );
        found.ok_or_else(|| {
            format!(
                "the platform {} has no key {kid:?} in its key set",
                p.issuer
            )
        })
    }

    /// An access token for the platform's grade book (line items and scores), from the cache or asked for with a
    /// client assertion signed by the tool's key. Blocking.
    pub fn access_token(&self, platform: usize, now: i64) -> Result<String, String> {
        self.token_for(platform, ags::SCOPES, now)
    }

    /// An access token for the course roster (Names and Role Provisioning Services), asked for on its own so that
    /// a platform that grants detente grades only still gives the grades' token.
    pub fn roster_token(&self, platform: usize, now: i64) -> Result<String, String> {
        self.token_for(platform, ags::SCOPE_ROSTER, now)
    }

    fn token_for(&self, platform: usize, scope: &'static str, now: i64) -> Result<String, String> {
        if let Some((token, until)) = self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(platform, scope))
            && *until > now + 30
        {
            return Ok(token.clone());
        }
        let p = &self.config.platforms[platform];
        let assertion = self.signer().sign(&serde_json::json!({
            "iss": p.client_id,
            "sub": p.client_id,
            "aud": p.access_token_url,
            "iat": now,
            "exp": now + 300,
            "jti": random_hex(16)?,
        }))?;
        let form = ags::form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &assertion),
            ("scope", scope),
        ]);
        let answer = self.web.request(
            "POST",
            &p.access_token_url,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("accept", "application/json"),
            ],
            form.as_bytes(),
        )?;
        if answer.status != 200 {
            return Err(format!(
                "the platform's token endpoint {} answered HTTP {}: {}",
                p.access_token_url,
                answer.status,
                ags::said(&answer.body)
            ));
        }
        #[derive(serde::Deserialize)]
        struct Token {
            access_token: String,
            #[serde(default)]
            expires_in: Option<i64>,
        }
        let token: Token = serde_json::from_slice(&answer.body).map_err(|e| {
            format!("the platform's token endpoint answered something else than a token ({e})")
        })?;
        let until = now + token.expires_in.unwrap_or(3600);
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((platform, scope), (token.access_token.clone(), until));
        Ok(token.access_token)
    }

    /// Forgets the platform's access tokens (one was refused).
    pub fn drop_token(&self, platform: usize) {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(p, _), _| *p != platform);
    }

    /// The launch's redirect URI: the tool's address with `/lti/launch`.
    pub fn redirect_uri(&self) -> String {
        format!("{}/lti/launch", self.config.url.trim_end_matches('/'))
    }
}

/// Reads the tool's private key file.
fn read_key(path: &Path) -> Result<Signer, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read the LTI key {}: {e}", path.display()))?;
    Signer::from_pem(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(at: i64) -> Login {
        Login {
            nonce: "n".into(),
            platform: 0,
            at,
            address: IpAddr::from([10, 0, 0, 1]),
        }
    }

    /// Attack: a login's state used twice, or used after its time. Taking a state is single use, a state is dead
    /// at [`STATE_SECS`] (by the clock passed in), dead ones are not counted against an address, and a full map
    /// refuses a new entry until entries expire.
    #[test]
    fn held_entries_are_single_use_and_short_lived() {
        let held: Held<Login> = Held::new(STATE_SECS);
        held.put("a".into(), login(1000), |l| l.at, 1000).unwrap();
        held.put("b".into(), login(1000), |l| l.at, 1000).unwrap();
        assert!(held.take("a", |l| l.at, 1001).is_some());
        assert!(held.take("a", |l| l.at, 1001).is_none());
        let address = IpAddr::from([10, 0, 0, 1]);
        assert_eq!(held.count(1001, |l| l.at, |l| l.address == address), 1);
        assert_eq!(held.count(1000 + STATE_SECS, |l| l.at, |_| true), 0);
        assert!(held.take("b", |l| l.at, 1000 + STATE_SECS).is_none());
        for i in 0..HELD {
            held.put(i.to_string(), login(2000), |l| l.at, 2000)
                .unwrap();
        }
        assert!(held.put("x".into(), login(2001), |l| l.at, 2001).is_err());
        assert!(
            held.put(
                "x".into(),
                login(2000 + STATE_SECS),
                |l| l.at,
                2000 + STATE_SECS
            )
            .is_ok()
        );
    }
}
