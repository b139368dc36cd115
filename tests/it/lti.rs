//! LTI 1.3 end to end: a fake LMS platform in the test (its own RSA key from `tests/data/lti`, a key set, a token
//! endpoint and Assignment and Grade Services endpoints, over TLS on loopback with a certificate from rcgen) and a
//! real `detente serve` with `[tls]` and `[lti]`. The test is the student's browser: it starts the login, reads the
//! state and nonce from the redirect, and posts the id token the platform signs. The test signs and checks tokens
//! with *ring* directly, not with detente's code. Needs the `server` feature. One concern: the fake platform, the
//! browser's requests and the server are one harness for the three tests.

use crate::support::{FirstOption, Scripted, TestClock, process, with_sample};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use detente::schedule::Calendar;
use detente::session::{Session, StudyOptions};
use detente::store;
use detente::time::UnixMs;
use ring::signature::{self, RsaPublicKeyComponents};
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) const ISSUER: &str = "https://lms.example.edu";
const CLIENT: &str = "detente-client-1";
const DEPLOYMENT: &str = "deployment-1";

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub(crate) fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/lti")
        .join(name)
}

/// A certificate authority and a certificate for 127.0.0.1 signed by it, as PEM: (CA, certificate, key).
fn pki() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &Issuer::new(ca, ca_key))
        .unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

fn key_pair(file: &Path) -> ring::rsa::KeyPair {
    let der = rustls::pki_types::PrivatePkcs8KeyDer::from_pem_file(file).unwrap();
    ring::rsa::KeyPair::from_pkcs8(der.secret_pkcs8_der()).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT of `claims` signed RS256 with the key in `file`, its header naming `kid`.
pub(crate) fn sign(file: &Path, kid: &str, claims: &Value) -> String {
    let pair = key_pair(file);
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let signed = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let mut sig = vec![0; pair.public().modulus_len()];
    pair.sign(
        &signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        signed.as_bytes(),
        &mut sig,
    )
    .unwrap();
    format!("{signed}.{}", b64(&sig))
}

/// The public key of the key in `file` as a JWK under `kid`.
fn jwk(file: &Path, kid: &str) -> Value {
    let c = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(key_pair(file).public());
    json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": b64(&c.n), "e": b64(&c.e)})
}

/// The claims of `token` if its signature verifies with the key of its `kid` in the key set `jwks`.
fn verified(token: &str, jwks: &Value) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap_or_else(|| panic!("no key {} in {jwks}", header["kid"]));
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
        )
        .expect("the signature verifies");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// The pairs of a form or a query.
pub(crate) fn form(s: &str) -> HashMap<String, String> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// One request the fake platform received, and the status it answered.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    method: String,
    pub(crate) path: String,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: String,
    pub(crate) status: u16,
}

/// Per exam, the answers (status, body) its next score posts get.
type Answers = Mutex<HashMap<String, VecDeque<(u16, Value)>>>;

/// The fake LMS: key set, token endpoint, line items and scores, on 127.0.0.1 over TLS.
pub(crate) struct Platform {
    port: u16,
    /// What the course roster (`/memberships`) answers: 200, or an error status.
    pub(crate) roster_status: Arc<std::sync::atomic::AtomicU16>,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Per exam (line item resource id): the statuses its next score posts get (200 when none is left).
    answers: Arc<Answers>,
}

#[derive(Default)]
struct Book {
    /// Line items: (id URL, resourceId, body).
    items: Vec<(String, String, Value)>,
}

impl Platform {
    fn start(cert: &str, key: &str) -> Platform {
        let chain = rustls::pki_types::CertificateDer::pem_slice_iter(cert.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let private = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(detente::server::client::provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain, private)
                .unwrap(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(HashMap::new()));
        let book = Arc::new(Mutex::new(Book::default()));
        let roster_status = Arc::new(std::sync::atomic::AtomicU16::new(200));
        let (s, a, r) = (seen.clone(), answers.clone(), roster_status.clone());
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { continue };
                let (config, s, a, book) = (config.clone(), s.clone(), a.clone(), book.clone());
                let r = r.clone();
                std::thread::spawn(move || {
                    let conn = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(conn, tcp);
                    let roster = r.load(std::sync::atomic::Ordering::SeqCst);
                    let _ = serve_one(&mut tls, port, &s, &a, &book, roster);
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                });
            }
        });
        Platform {
            port,
            roster_status,
            seen,
            answers,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) fn seen(&self, method: &str, path_start: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.method == method && s.path.starts_with(path_start))
            .cloned()
            .collect()
    }

    pub(crate) fn answer(&self, exam: &str, statuses: &[u16]) {
        let answers = statuses.iter().map(|s| (*s, json!({}))).collect();
        self.answers
            .lock()
            .unwrap()
            .insert(exam.to_string(), answers);
    }

    /// The next score post for `exam` is answered `status` with `body`.
    fn answer_with(&self, exam: &str, status: u16, body: Value) {
        self.answers
            .lock()
            .unwrap()
            .insert(exam.to_string(), [(status, body)].into_iter().collect());
    }

    /// The score posts for `exam`'s line item.
    pub(crate) fn scores(&self, exam: &str) -> Vec<Seen> {
        self.seen("POST", "/lineitems/")
            .into_iter()
            .filter(|s| {
                s.path.ends_with("/scores") && s.headers.get("x-exam").is_some_and(|e| e == exam)
            })
            .collect()
    }
}

/// Reads one request and answers it as the platform.
fn serve_one(
    tls: &mut rustls::StreamOwned<rustls::ServerConnection, std::net::TcpStream>,
    port: u16,
    seen: &Mutex<Vec<Seen>>,
    answers: &Answers,
    book: &Mutex<Book>,
    roster_status: u16,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (method, path, mut headers, start) = loop {
        let n = tls.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut slots = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut slots);
        if let httparse::Status::Complete(end) = req.parse(&buf).unwrap() {
            let headers: HashMap<String, String> = req
                .headers
                .iter()
                .map(|h| (h.name.to_ascii_lowercase(), text(h.value)))
                .collect();
            break (
                req.method.unwrap().to_string(),
                req.path.unwrap().to_string(),
                headers,
                end,
            );
        }
    };
    let length: usize = headers
        .get("content-length")
        .map_or(0, |l| l.parse().unwrap());
    while buf.len() < start + length {
        let n = tls.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = text(&buf[start..]);
    let base = format!("https://127.0.0.1:{port}");
    let authorized = headers
        .get("authorization")
        .is_some_and(|a| a == "Bearer at-1");
    let (route, query) = path.split_once('?').unwrap_or((&path, ""));
    let mut link = String::new();
    let (status, answer): (u16, Value) = match (method.as_str(), route) {
        ("GET", "/jwks") => (200, json!({"keys": [jwk(&data("platform-key.pem"), "k1")]})),
        ("POST", "/token") => {
            let f = form(&body);
            // A roster token is asked for on its own scope; any other token is the grades'.
            let token = if f.get("scope").is_some_and(|s| s.contains("lti-nrps")) {
                "at-roster"
            } else {
                "at-1"
            };
            if f.get("grant_type").map(String::as_str) == Some("client_credentials") {
                (
                    200,
                    json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600}),
                )
            } else {
                (400, json!({"error": "unsupported_grant_type"}))
            }
        }
        ("GET", "/memberships")
            if headers.get("authorization").map(String::as_str) != Some("Bearer at-roster") =>
        {
            (401, json!({"error": "not a roster token"}))
        }
        ("GET", "/memberships") if roster_status != 200 => {
            (roster_status, json!({"error": "the roster is down"}))
        }
        ("GET", "/memberships") => {
            let members = if query.contains("page=2") {
                json!([
                    {"user_id": "user-carol", "name": "Carol", "lis_person_sourcedid": "S-3",
                     "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]},
                    {"user_id": "user-dave-1", "email": "dave@uni.example", "roles": []},
                    {"user_id": "user-dave-2", "email": "DAVE@uni.example", "roles": []},
                    {"user_id": "user-erin", "email": "erin@uni.example", "status": "Inactive", "roles": []}
                ])
            } else {
                link = format!("Link: <{base}/memberships?page=2>; rel=\"next\"\r\n");
                json!([
                    {"user_id": "user-ann", "email": "ann@uni.example", "status": "Active", "roles": []},
                    {"user_id": "user-prof", "email": "prof@uni.example",
                     "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]},
                    {"user_id": "user-bob", "name": "Bob", "email": "Bob@Uni.example", "status": "Active",
                     "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]}
                ])
            };
            (
                200,
                json!({"id": format!("{base}/memberships"), "context": {"id": "course-1"}, "members": members}),
            )
        }
        (_, "/lineitems") if !authorized => (401, json!({"error": "no token"})),
        ("GET", "/lineitems") => {
            let q = form(query);
            let items: Vec<Value> = book
                .lock()
                .unwrap()
                .items
                .iter()
                .filter(|(_, r, _)| q.get("resource_id").is_none_or(|x| x == r))
                .map(|(_, _, v)| v.clone())
                .collect();
            (200, Value::Array(items))
        }
        ("POST", "/lineitems") => {
            let mut item: Value = serde_json::from_str(&body).unwrap();
            let mut b = book.lock().unwrap();
            let id = format!("{base}/lineitems/{}", b.items.len() + 1);
            item["id"] = json!(id);
            let resource = item["resourceId"].as_str().unwrap_or_default().to_string();
            b.items.push((id, resource, item.clone()));
            (201, item)
        }
        ("POST", r) if r.starts_with("/lineitems/") && r.ends_with("/scores") => {
            let id = format!("{base}{}", r.trim_end_matches("/scores"));
            let exam = book
                .lock()
                .unwrap()
                .items
                .iter()
                .find(|(i, _, _)| *i == id)
                .map(|(_, r, _)| r.clone());
            match exam {
                None => (404, json!({"error": "no such line item"})),
                Some(_) if !authorized => (401, json!({"error": "no token"})),
                Some(exam) => {
                    headers.insert("x-exam".to_string(), exam.clone());
                    answers
                        .lock()
                        .unwrap()
                        .get_mut(&exam)
                        .and_then(VecDeque::pop_front)
                        .unwrap_or((200, json!({})))
                }
            }
        }
        _ => (404, json!({"error": "not found"})),
    };
    seen.lock().unwrap().push(Seen {
        method,
        path,
        headers,
        body,
        status,
    });
    let answer = answer.to_string();
    write!(
        tls,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{link}Content-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    )?;
    tls.flush()
}

/// A running `detente serve` with TLS and LTI, its folder removed when dropped (the process killed).
pub(crate) struct Served {
    child: Child,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) socket: PathBuf,
    pub(crate) url: String,
    log: PathBuf,
}

impl Served {
    pub(crate) fn database(dir: &Path) -> PathBuf {
        dir.join("state").join("detente.db")
    }

    fn start(dir: tempfile::TempDir, platform: &Platform, platform_ca: &Path) -> Served {
        Served::start_on(dir, platform, platform_ca, "", None)
    }

    /// As [`Served::start`], with `extra` added to the configuration (`[postgres]`), and the SQLite database
    /// `lab` (if given) adopted first by the real `detente admin adopt --config`.
    pub(crate) fn start_on(
        dir: tempfile::TempDir,
        platform: &Platform,
        platform_ca: &Path,
        extra: &str,
        lab: Option<&Path>,
    ) -> Served {
        let socket = dir.path().join("run").join("class.sock");
        let config = dir.path().join("serve.toml");
        let me = text(&Command::new("id").arg("-un").output().unwrap().stdout);
        std::fs::write(
            &config,
            format!(
                "state_directory = {:?}\n[socket]\npath = {:?}\n[teachers]\nusers = [{:?}]\n\
                 [tls]\nlisten = \"127.0.0.1:0\"\ncertificate = {:?}\nkey = {:?}\n\
                 [lti]\nurl = \"https://127.0.0.1:8443\"\nkey = {:?}\nca_certificate = {:?}\nretry_secs = 1\n\
                 [[lti.platform]]\nissuer = {ISSUER:?}\nclient_id = {CLIENT:?}\ndeployment_ids = [{DEPLOYMENT:?}]\n\
                 auth_login_url = {:?}\nkey_set_url = {:?}\naccess_token_url = {:?}\n",
                dir.path().join("state"),
                socket,
                me.trim(),
                dir.path().join("cert.pem"),
                dir.path().join("key.pem"),
                dir.path().join("lti-key.pem"),
                platform_ca,
                platform.url("/auth"),
                platform.url("/jwks"),
                platform.url("/token"),
            ) + extra,
        )
        .unwrap();
        if let Some(lab) = lab {
            let out = process(&dir.path().join("unused.db"))
                .args(["admin", "adopt", "--config"])
                .arg(&config)
                .arg(lab)
                .output()
                .unwrap();
            assert!(out.status.success(), "admin adopt: {}", text(&out.stderr));
        }
        let log = dir.path().join("serve.log");
        let child = process(&dir.path().join("unused.db"))
            .args(["serve", "--config", config.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut served = Served {
            child,
            dir,
            socket,
            url: String::new(),
            log,
        };
        for _ in 0..600 {
            let log = served.log();
            if let Some(port) = log
                .split(" over TLS")
                .next()
                .filter(|_| log.contains(" over TLS"))
                .and_then(|head| head.rsplit(':').next())
                && UnixStream::connect(&served.socket).is_ok()
            {
                served.url = format!("https://127.0.0.1:{port}");
                return served;
            }
            if let Some(status) = served.child.try_wait().unwrap() {
                panic!("detente serve exited ({status}): {}", served.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("detente serve did not listen: {}", served.log());
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub(crate) fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// One request over TLS as a browser would send it: (status, headers, body).
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        form: Option<&str>,
    ) -> (u16, String, String) {
        self.send(
            method,
            path,
            "application/x-www-form-urlencoded",
            form.unwrap_or(""),
        )
    }

    /// One request over TLS as detente's client sends it (its protocol header, JSON): (status, headers, body).
    pub(crate) fn api(&self, path: &str, json: &Value) -> (u16, String, String) {
        self.send(
            "POST",
            path,
            "application/json\r\ndetente-protocol: 1",
            &json.to_string(),
        )
    }

    /// One request over TLS with `content_type` (which may carry further header lines) and `body`.
    fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> (u16, String, String) {
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls::pki_types::CertificateDer::pem_file_iter(self.ca()).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let config =
            rustls::ClientConfig::builder_with_provider(detente::server::client::provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let tcp = std::net::TcpStream::connect(self.url.trim_start_matches("https://")).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: \
             {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        tls.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = tls.read_to_end(&mut answer);
        let answer = text(&answer);
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head.split(' ').nth(1).unwrap_or("0").parse().unwrap();
        (status, head.to_string(), body.to_string())
    }

    /// Starts a login as the platform would (a GET with `iss` and `login_hint`): the state and nonce of the
    /// redirect to the platform's authentication URL.
    pub(crate) fn login(&self, platform: &Platform) -> (String, String) {
        let (status, head, _) = self.request(
            "GET",
            &format!(
                "/lti/login?iss={}&login_hint=42&target_link_uri={}&lti_message_hint=m1",
                urlencode(ISSUER),
                urlencode("https://127.0.0.1:8443/lti/launch")
            ),
            None,
        );
        assert_eq!(status, 302, "{head}");
        let location = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("location: ")
                    .or_else(|| l.strip_prefix("Location: "))
            })
            .unwrap_or_else(|| panic!("no Location in {head}"));
        let (to, query) = location.split_once('?').unwrap();
        assert_eq!(to, platform.url("/auth"));
        let q = form(query);
        assert_eq!(q["client_id"], CLIENT);
        assert_eq!(q["response_mode"], "form_post");
        assert_eq!(q["lti_message_hint"], "m1");
        assert_eq!(q["login_hint"], "42");
        (q["state"].clone(), q["nonce"].clone())
    }

    /// Posts the launch form: (status, page).
    pub(crate) fn launch(&self, id_token: &str, state: &str) -> (u16, String) {
        let (status, _, body) = self.request(
            "POST",
            "/lti/launch",
            Some(&format!(
                "id_token={}&state={}",
                urlencode(id_token),
                urlencode(state)
            )),
        );
        (status, body)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The claims of a good launch of Ann (`user-ann`, her roster email) with `nonce`, issued now.
pub(crate) fn claims(platform: &Platform, nonce: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": ISSUER, "aud": CLIENT, "sub": "user-ann", "exp": now + 300, "iat": now, "nonce": nonce,
        "name": "Ann Smith", "email": "ANN@uni.example",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT,
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "rl-1"},
        "https://purl.imsglobal.org/spec/lti/claim/context": {"id": "course-1", "title": "IR 101"},
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                      "https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitems": platform.url("/lineitems"),
        },
    })
}

/// A server folder (TLS and the platform's CA written) with learners ann and bob on the roster, emails given, and
/// a running fake platform.
pub(crate) fn setup() -> (tempfile::TempDir, Platform, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = pki();
    std::fs::write(dir.path().join("ca.pem"), ca).unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert).unwrap();
    std::fs::write(dir.path().join("key.pem"), key).unwrap();
    let (pca, pcert, pkey) = pki();
    let platform_ca = dir.path().join("platform-ca.pem");
    std::fs::write(&platform_ca, pca).unwrap();
    let platform = Platform::start(&pcert, &pkey);
    std::fs::copy(data("tool-key.pem"), dir.path().join("lti-key.pem")).unwrap();
    let db = Served::database(dir.path());
    for (name, email) in [("ann", "ann@uni.example"), ("bob", "bob@uni.example")] {
        let out = process(&db)
            .args(["learner", "add", name, "--email", email])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    (dir, platform, platform_ca)
}

/// A laptop: detente with a config folder of its own.
pub(crate) struct Laptop(tempfile::TempDir);

impl Laptop {
    pub(crate) fn new() -> Laptop {
        Laptop(tempfile::tempdir().unwrap())
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let home = self.0.path();
        let mut cmd = process(&home.join("unused.db"));
        cmd.env_remove("DETENTE_DB")
            .env_remove("DETENTE_LEARNER")
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .args(args);
        cmd
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

/// The session field of a launch page.
pub(crate) fn session_of(page: &str) -> String {
    page.split("name=\"session\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no session in {page}"))
        .to_string()
}

/// Attack: forged and replayed launches. Each of these id tokens is refused (403, nothing linked, the reason in the
/// server's log): for another tool (audience), from another issuer, expired an hour ago, signed by a key the
/// platform does not publish under the platform's `kid`, naming a `kid` the platform's key set lacks, and a valid
/// launch posted a second time (its state used) or with a fresh login's state (its nonce not that login's). The
/// valid launch itself is taken, shows the learner its email matched (case aside), and does not use a cookie. The
/// Unix socket serves no LTI path.
#[test]
fn forged_and_replayed_launches_are_refused() {
    let (dir, platform, platform_ca) = setup();
    let served = Served::start(dir, &platform, &platform_ca);
    let key = data("platform-key.pem");
    #[allow(clippy::type_complexity)]
    let cases: Vec<(&str, Box<dyn Fn(&str) -> String + '_>, &str)> = vec![
        (
            "audience",
            Box::new(|nonce| {
                let mut c = claims(&platform, nonce);
                c["aud"] = json!("another-tool");
                sign(&key, "k1", &c)
            }),
            "not for this tool",
        ),
        (
            "issuer",
            Box::new(|nonce| {
                let mut c = claims(&platform, nonce);
                c["iss"] = json!("https://evil.example");
                sign(&key, "k1", &c)
            }),
            "issuer",
        ),
        (
            "expired",
            Box::new(|nonce| {
                let mut c = claims(&platform, nonce);
                let now = chrono::Utc::now().timestamp();
                c["exp"] = json!(now - 3600);
                c["iat"] = json!(now - 3900);
                sign(&key, "k1", &c)
            }),
            "expired",
        ),
        (
            "signature",
            Box::new(|nonce| sign(&data("other-key.pem"), "k1", &claims(&platform, nonce))),
            "signature",
        ),
        (
            "kid",
            Box::new(|nonce| sign(&key, "k9", &claims(&platform, nonce))),
            "no key",
        ),
    ];
    for (what, token, says) in &cases {
        let (state, nonce) = served.login(&platform);
        let (status, page) = served.launch(&token(&nonce), &state);
        assert_eq!(status, 403, "{what}: {page}");
        assert!(page.contains(says), "{what}: {page}");
        assert!(!page.contains("name=\"session\""), "{what}: {page}");
    }
    // The good launch, then its replays.
    let (state, nonce) = served.login(&platform);
    let token = sign(&key, "k1", &claims(&platform, &nonce));
    let (status, page) = served.launch(&token, &state);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You are <strong>ann</strong>"), "{page}");
    assert!(!page.contains("<script"), "{page}");
    let (status, page) = served.launch(&token, &state);
    assert_eq!(status, 403, "the same state again: {page}");
    assert!(page.contains("used already"), "{page}");
    let (fresh, _) = served.login(&platform);
    let (status, page) = served.launch(&token, &fresh);
    assert_eq!(status, 403, "an old token with a new state: {page}");
    assert!(page.contains("nonce"), "{page}");
    // Over the Unix socket there is no LTI at all.
    let mut socket = UnixStream::connect(&served.socket).unwrap();
    socket
        .write_all(b"GET /lti/jwks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    let log = served.log();
    assert_eq!(log.matches("lti: launch refused").count(), 6, "{log}");
    assert_eq!(log.matches("as learner ann").count(), 1, "{log}");
    assert!(
        !log.contains(&nonce) && !log.contains(&state),
        "no secret is logged: {log}"
    );
}

/// Attack: a device linked by someone other than the launched student, or a code used twice. `detente login URL
/// --link` prints a code; a launch page of Ann with a wrong code links nothing; her page with the printed code
/// registers the device as Ann (whoami says so over TLS); the same code entered again links nothing more. The page
/// opens in its own window by its session, and an unknown session gets no form. A teacher not on the roster gets
/// no form either (the course's grade book is known); a student not on it is refused. One address may keep only 50
/// devices waiting.
#[test]
fn a_valid_launch_links_a_device_by_its_code() {
    let (dir, platform, platform_ca) = setup();
    let served = Served::start(dir, &platform, &platform_ca);
    let (state, nonce) = served.login(&platform);
    let token = sign(&data("platform-key.pem"), "k1", &claims(&platform, &nonce));
    let (status, page) = served.launch(&token, &state);
    assert_eq!(status, 200, "{page}");
    let session = session_of(&page);
    // The same page in its own window, by the link on it; an unknown session gets none.
    let (status, _, own) = served.request("GET", &format!("/lti/link?session={session}"), None);
    assert_eq!(status, 200);
    assert_eq!(session_of(&own), session);
    let (status, _, own) = served.request("GET", "/lti/link?session=0000", None);
    assert_eq!(status, 403, "{own}");
    assert!(!own.contains("name=\"session\""), "{own}");
    let laptop = Laptop::new();
    let mut child = laptop
        .command(&[
            "login",
            &served.url,
            "--link",
            "--ca-cert",
            served.ca().to_str().unwrap(),
            "--device-name",
            "ann-laptop",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let code = line.trim().to_string();
    assert_eq!(code.len(), 9, "{code:?}");
    let wrong = if code.starts_with('A') {
        "BBBB-BBBB"
    } else {
        "AAAA-AAAA"
    };
    let (_, _, page) = served.request(
        "POST",
        "/lti/link",
        Some(&format!("session={session}&code={wrong}")),
    );
    assert!(page.contains("not waiting to be linked"), "{page}");
    let (status, _, page) = served.request(
        "POST",
        "/lti/link",
        Some(&format!("session={session}&code={}", code.to_lowercase())),
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Linked"), "{page}");
    let mut exited = None;
    for _ in 0..600 {
        if let Some(status) = child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(exited.is_some_and(|s| s.success()), "{exited:?}: {err}");
    let out = laptop.run(&["whoami"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let whoami = text(&out.stdout);
    assert!(
        whoami.contains("learner ann") && whoami.contains("ann-laptop"),
        "{whoami}"
    );
    let (_, _, page) = served.request(
        "POST",
        "/lti/link",
        Some(&format!("session={session}&code={code}")),
    );
    assert!(page.contains("not waiting to be linked"), "{page}");
    assert_eq!(served.log().matches("lti: linked device").count(), 1);
    // One address cannot fill the server with waiting devices.
    let statuses: Vec<u16> = (0..51)
        .map(|i| {
            served
                .api("/v1/devices/link", &json!({"device_name": format!("d{i}")}))
                .0
        })
        .collect();
    assert_eq!(statuses[..50], [200; 50]);
    assert_eq!(statuses[50], 429);
    // A teacher of the course who is not on the roster: told the course's grade book is known, and no device form.
    let (state, nonce) = served.login(&platform);
    let mut teacher = claims(&platform, &nonce);
    teacher["sub"] = json!("user-prof");
    teacher["email"] = json!("prof@uni.example");
    teacher["https://purl.imsglobal.org/spec/lti/claim/roles"] =
        json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]);
    let (status, page) = served.launch(&sign(&data("platform-key.pem"), "k1", &teacher), &state);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("You teach IR 101") && !page.contains("name=\"session\""),
        "{page}"
    );
    // A student not on the roster: refused, told why.
    let (state, nonce) = served.login(&platform);
    let mut stranger = claims(&platform, &nonce);
    stranger["sub"] = json!("user-eve");
    stranger["email"] = json!("eve@uni.example");
    let (status, page) = served.launch(&sign(&data("platform-key.pem"), "k1", &stranger), &state);
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("matches no learner"), "{page}");
}

/// Attack: scores lost, duplicated or sent out of order. Ann's midterm score meets a 500 first: it is tried again
/// and delivered, the platform seeing the same score twice and the outbox counting it once; her final meets a 409
/// (the platform has a newer score): delivered, posted once, and pushing it again queues nothing; a newer attempt
/// pushed later posts a newer timestamp with its score. The line item is created once per exam, by resource id
/// and tag. A deck's mastery goes to a column of its own, as a percentage, timed by the last study. A score refused
/// with a 400 fails at once, shown with the platform's words, and goes again when pushed again, where Canvas's 400
/// "before last updated timestamp" counts it delivered. Bob, who never launched, is
/// named as not linked. The token request's assertion verifies against the tool's published key set, and a new key
/// file is published without a restart.
#[test]
fn grades_reach_the_platform_through_the_outbox() {
    let (dir, platform, platform_ca) = setup();
    let db = Served::database(dir.path());
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "INSERT INTO exams (id, title, definition, content_hash, questions, grading, pass_mark, loaded_at)
             VALUES ('mid', 'Midterm', '{}', 'h', 10, 'highest', 0.5, 0),
                    ('fin', 'Final', '{}', 'h', 20, 'last', NULL, 0);
             INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, closed_at, score, max_score)
             SELECT 'mid', id, 1, 1, '[]', 0, 1700000000000, 8, 10 FROM learners;
             INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, closed_at, score, max_score)
             SELECT 'fin', id, 1, 1, '[]', 0, 1700000100000, 15, 20 FROM learners WHERE name = 'ann';",
        )
        .unwrap();
    }
    // Ann studies the sample deck (a clock of the test's), so that her mastery of it has a last study.
    let last_study = {
        let mut store = with_sample(&db);
        let ann = store::learner_by_name(&store.conn, "ann").unwrap().unwrap();
        let clock = TestClock::new(UnixMs(1_700_002_000_000), 1000);
        let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).unwrap(), 4);
        let opts = StudyOptions {
            seed: 7,
            limit: Some(4),
            ..Default::default()
        };
        Session::start(&mut store, &ann, opts, &clock, cal)
            .unwrap()
            .run(&mut Scripted::new(FirstOption))
            .unwrap();
        let at: i64 = store
            .conn
            .query_row(
                "SELECT max(reviewed_at) FROM reviews WHERE learner_id = ?1",
                [ann.id],
                |r| r.get(0),
            )
            .unwrap();
        at
    };
    let served = Served::start(dir, &platform, &platform_ca);
    let (state, nonce) = served.login(&platform);
    let token = sign(&data("platform-key.pem"), "k1", &claims(&platform, &nonce));
    assert_eq!(served.launch(&token, &state).0, 200);
    let teacher = Laptop::new();
    let out = teacher.run(&["login", served.socket.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let push = |exam: &str| -> Value {
        let out = teacher.run(&["--json", "grades", "push", exam]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Until no score is pending; the outbox as JSON.
    let settled = || -> Value {
        for _ in 0..600 {
            let out = teacher.run(&["--json", "grades", "outbox"]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            let outbox: Value = serde_json::from_slice(&out.stdout).unwrap();
            if outbox["pending"] == 0 {
                return outbox;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the outbox did not settle: {}", served.log());
    };

    platform.answer("mid", &[500]);
    let pushed = push("mid");
    assert_eq!(pushed["queued"], 1, "{pushed}");
    assert_eq!(pushed["not_linked"], json!(["bob"]), "{pushed}");
    let outbox = settled();
    assert_eq!(
        (outbox["delivered"].clone(), outbox["failed"].clone()),
        (json!(1), json!(0)),
        "{outbox}"
    );
    assert_eq!(outbox["rows"][0]["tries"], 2, "{outbox}");
    let mid = platform.scores("mid");
    assert_eq!(mid.iter().map(|s| s.status).collect::<Vec<_>>(), [500, 200]);
    assert_eq!(mid[0].body, mid[1].body, "the retry posts the same score");
    assert_eq!(
        mid[1].headers["content-type"],
        "application/vnd.ims.lis.v1.score+json"
    );
    let score: Value = serde_json::from_str(&mid[1].body).unwrap();
    assert_eq!(
        score,
        json!({"userId": "user-ann", "scoreGiven": 8.0, "scoreMaximum": 10.0, "activityProgress": "Completed",
               "gradingProgress": "FullyGraded", "timestamp": "2023-11-14T22:13:20.000Z"})
    );

    platform.answer("fin", &[409]);
    assert_eq!(push("fin")["queued"], 1);
    let outbox = settled();
    let fin: Vec<&Value> = outbox["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resource_id"] == "fin")
        .collect();
    assert_eq!(fin.len(), 1, "{outbox}");
    assert_eq!(
        (
            fin[0]["state"].clone(),
            fin[0]["tries"].clone(),
            fin[0]["answer"].clone()
        ),
        (json!("delivered"), json!(1), json!(409))
    );
    assert_eq!(outbox["delivered"], 2, "{outbox}");
    let again = push("fin");
    assert_eq!(
        (again["queued"].clone(), again["unchanged"].clone()),
        (json!(0), json!(1)),
        "{again}"
    );
    assert_eq!(platform.scores("fin").len(), 1, "a 409 is not posted again");

    {
        let conn = rusqlite::Connection::open(Served::database(served.dir.path())).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.execute(
            "INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, closed_at, score, max_score)
             SELECT 'mid', id, 2, 1, '[]', 0, 1700000500000, 9, 10 FROM learners WHERE name = 'ann'",
            [],
        )
        .unwrap();
    }
    assert_eq!(push("mid")["queued"], 1);
    let outbox = settled();
    assert_eq!(outbox["delivered"], 3, "{outbox}");
    let mid = platform.scores("mid");
    let last: Value = serde_json::from_str(&mid.last().unwrap().body).unwrap();
    assert_eq!(last["timestamp"], "2023-11-14T22:21:40.000Z");
    assert_eq!(last["scoreGiven"], 9.0);
    assert_eq!(
        platform
            .seen("POST", "/lineitems")
            .iter()
            .filter(|s| s.path == "/lineitems")
            .count(),
        2,
        "one line item per exam"
    );
    let made: Vec<Value> = platform
        .seen("POST", "/lineitems")
        .iter()
        .filter(|s| s.path == "/lineitems")
        .map(|s| serde_json::from_str(&s.body).unwrap())
        .collect();
    assert_eq!(
        made[0],
        json!({"scoreMaximum": 10.0, "label": "Midterm", "resourceId": "mid", "tag": "detente-exam"})
    );

    // A score the platform refuses for good (400) is failed at once, with the platform's words.
    {
        let conn = rusqlite::Connection::open(Served::database(served.dir.path())).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.execute_batch(
            "INSERT INTO exams (id, title, definition, content_hash, questions, grading, pass_mark, loaded_at)
             VALUES ('quiz', 'Quiz', '{}', 'h', 5, 'highest', NULL, 0);
             INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at, closed_at, score, max_score)
             SELECT 'quiz', id, 1, 1, '[]', 0, 1700000900000, 5, 5 FROM learners WHERE name = 'ann';",
        )
        .unwrap();
    }
    platform.answer("quiz", &[400]);
    assert_eq!(push("quiz")["queued"], 1);
    let outbox = settled();
    assert_eq!(
        (outbox["failed"].clone(), outbox["delivered"].clone()),
        (json!(1), json!(3)),
        "{outbox}"
    );
    assert_eq!(
        platform.scores("quiz").len(),
        1,
        "a refused score is not tried again"
    );
    let out = teacher.run(&["grades", "outbox"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert_eq!(
        shown.lines().filter(|l| l.contains("delivered")).count(),
        3,
        "{shown}"
    );
    assert!(
        shown
            .lines()
            .any(|l| l.contains("failed") && l.contains("HTTP 400")),
        "{shown}"
    );
    assert!(
        text(&out.stderr).contains("3 delivered, 0 pending, 1 failed"),
        "{}",
        text(&out.stderr)
    );
    // A deck's mastery when the teacher asks: a column of its own, a percentage, the last study as its time.
    let out = teacher.run(&["--json", "grades", "push", "--deck", "sample"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let pushed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (pushed["queued"].clone(), pushed["no_grade"].clone()),
        (json!(1), json!(["bob"])),
        "{pushed}"
    );
    assert_eq!(settled()["delivered"], 4);
    let mastery = platform.scores("deck:sample");
    assert_eq!(mastery.len(), 1);
    let score: Value = serde_json::from_str(&mastery[0].body).unwrap();
    let when = chrono::DateTime::from_timestamp_millis(last_study)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(
        (score["timestamp"].clone(), score["scoreMaximum"].clone()),
        (json!(when), json!(100.0)),
        "{score}"
    );
    assert!(
        (0.0..=100.0).contains(&score["scoreGiven"].as_f64().unwrap()),
        "{score}"
    );
    let column: Value = platform
        .seen("POST", "/lineitems")
        .iter()
        .filter(|s| s.path == "/lineitems")
        .map(|s| serde_json::from_str(&s.body).unwrap())
        .find(|c: &Value| c["resourceId"] == "deck:sample")
        .unwrap();
    assert_eq!(
        (column["tag"].clone(), column["scoreMaximum"].clone()),
        (json!("detente-mastery"), json!(100.0))
    );
    // The refused score, pushed again, goes again; the platform (as Canvas words it) has a newer score: delivered.
    platform.answer_with(
        "quiz",
        400,
        json!({"errors": {"type": "bad_request", "message": "Provided timestamp of 2023-11-14T22:28:20.000Z before \
               last updated timestamp of 2023-11-15T08:00:00.000Z"}}),
    );
    let again = push("quiz");
    assert_eq!(again["queued"], 1, "{again}");
    let outbox = settled();
    assert_eq!(
        (outbox["failed"].clone(), outbox["delivered"].clone()),
        (json!(0), json!(5)),
        "{outbox}"
    );
    assert_eq!(platform.scores("quiz").len(), 2);
    let quiz = outbox["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource_id"] == "quiz")
        .unwrap();
    assert_eq!(
        (quiz["state"].clone(), quiz["answer"].clone()),
        (json!("delivered"), json!(400)),
        "{quiz}"
    );
    // Without the class server there is nothing to push through.
    let local = teacher.run(&[
        "--db",
        served.dir.path().join("local.db").to_str().unwrap(),
        "grades",
        "push",
        "mid",
    ]);
    assert_eq!(local.status.code(), Some(2), "{}", text(&local.stderr));

    // The token request: a client assertion the tool's published key set verifies.
    let requests = platform.seen("POST", "/token");
    assert!(!requests.is_empty());
    let f = form(&requests[0].body);
    assert_eq!(
        f["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert!(
        f["scope"].contains("/scope/lineitem") && f["scope"].contains("/scope/score"),
        "{f:?}"
    );
    let (status, _, jwks) = served.request("GET", "/lti/jwks", None);
    assert_eq!(status, 200);
    let jwks: Value = serde_json::from_str(&jwks).unwrap();
    let claims = verified(&f["client_assertion"], &jwks);
    assert_eq!(
        (claims["iss"].clone(), claims["sub"].clone()),
        (json!(CLIENT), json!(CLIENT))
    );
    assert_eq!(claims["aud"], platform.url("/token"));
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    // The tool's key set is its key's public half, and nothing else.
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    let mine = jwk(&data("tool-key.pem"), "");
    assert_eq!(
        (jwks["keys"][0]["n"].clone(), jwks["keys"][0]["e"].clone()),
        (mine["n"].clone(), mine["e"].clone())
    );
    // A new key file is served from the next request on, under a new kid, without a restart.
    let file = served.dir.path().join("lti-key.pem");
    std::fs::copy(data("other-key.pem"), file.with_extension("new")).unwrap();
    std::fs::rename(file.with_extension("new"), &file).unwrap();
    let (_, _, renewed) = served.request("GET", "/lti/jwks", None);
    let renewed: Value = serde_json::from_str(&renewed).unwrap();
    assert_eq!(
        renewed["keys"][0]["n"],
        jwk(&data("other-key.pem"), "")["n"]
    );
    assert_ne!(renewed["keys"][0]["kid"], jwks["keys"][0]["kid"]);
    assert!(
        served.log().contains("lti: reloaded the tool's key"),
        "{}",
        served.log()
    );
}
