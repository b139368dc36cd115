//! The class server over TLS, end to end: a real `detente serve` with a `[tls]` listener on 127.0.0.1 (port 0, the
//! port read from its log), a certificate authority and a server certificate made in the test (rcgen), enrolment
//! codes issued on the server's database with `learner enrol`, and laptops that `login https://... CODE
//! --ca-cert` from folders of their own. A teacher works on the Unix socket. Needs the `server` feature.

use crate::support::process;
use detente::enrol::Code;
use rand_chacha::rand_core::SeedableRng;
use sha2::{Digest, Sha256};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A certificate authority and a server certificate for 127.0.0.1 signed by it, as PEM: (CA, certificate, key).
pub fn pki() -> (String, String, String) {
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

/// Writes `contents` to `path` by a rename, as an admin's renewal script would.
fn replace(path: &Path, contents: &str) {
    let temp = path.with_extension("new");
    std::fs::write(&temp, contents).unwrap();
    std::fs::rename(&temp, path).unwrap();
}

/// A running `detente serve` with TLS, its folder removed when dropped (the process killed).
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

    /// Starts the server of `dir` with `cert.pem` and `key.pem` there, the test's user a teacher; waits for both
    /// listeners.
    pub(crate) fn start(dir: tempfile::TempDir) -> Served {
        let socket = dir.path().join("run").join("class.sock");
        let config = dir.path().join("serve.toml");
        let me = text(&Command::new("id").arg("-un").output().unwrap().stdout);
        std::fs::write(
            &config,
            format!(
                "state_directory = {:?}\n[socket]\npath = {:?}\n[teachers]\nusers = [{:?}]\n\
                 [tls]\nlisten = \"127.0.0.1:0\"\ncertificate = {:?}\nkey = {:?}\n",
                dir.path().join("state"),
                socket,
                me.trim(),
                dir.path().join("cert.pem"),
                dir.path().join("key.pem"),
            ),
        )
        .unwrap();
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
        // Bounded: up when the socket answers and the log names the TLS port.
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

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The server's database files' bytes, the WAL included.
    fn database_bytes(&self) -> Vec<u8> {
        let db = Served::database(self.dir.path());
        let mut bytes = std::fs::read(&db).unwrap();
        bytes.extend(std::fs::read(db.with_extension("db-wal")).unwrap_or_default());
        bytes
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server folder with the PKI written (returns the CA's PEM), and a roster of `names` with codes issued on the
/// server's database; returns the folder, the CA file and each learner's code.
pub(crate) fn setup(names: &[&str]) -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = pki();
    std::fs::write(dir.path().join("ca.pem"), ca).unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert).unwrap();
    std::fs::write(dir.path().join("key.pem"), key).unwrap();
    let db = Served::database(dir.path());
    let codes = names.iter().map(|name| {
        let out = process(&db)
            .args(["learner", "add", name])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        issue(&db, name, &[])
    });
    let codes = codes.collect();
    let ca = dir.path().join("ca.pem");
    (dir, ca, codes)
}

/// Issues `name` an enrolment code on `db` (`extra`: `--reissue`); returns it as printed.
pub(crate) fn issue(db: &Path, name: &str, extra: &[&str]) -> String {
    let out = process(db)
        .args(["learner", "enrol", name])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{name}-")) && w.len() == name.len() + 20)
        .unwrap_or_else(|| panic!("no code in {}", text(&out.stdout)))
        .to_string()
}

/// A laptop: detente with a config folder of its own (its login file) and no local database in the way.
pub(crate) struct Laptop(tempfile::TempDir);

impl Laptop {
    pub(crate) fn new() -> Laptop {
        Laptop(tempfile::tempdir().unwrap())
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        let home = self.0.path();
        process(&home.join("unused.db"))
            .env_remove("DETENTE_DB")
            .env_remove("DETENTE_LEARNER")
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .args(args)
            .output()
            .unwrap()
    }

    fn login_file(&self) -> PathBuf {
        self.0.path().join("config/detente/server.toml")
    }

    /// The device token its login file holds.
    fn token(&self) -> String {
        let login: toml::Table =
            toml::from_str(&std::fs::read_to_string(self.login_file()).unwrap()).unwrap();
        login["token"].as_str().unwrap().to_string()
    }
}

pub(crate) fn login(laptop: &Laptop, served: &Served, code: &str, ca: &Path) -> Output {
    laptop.run(&[
        "login",
        &served.url,
        code,
        "--ca-cert",
        ca.to_str().unwrap(),
    ])
}

/// The teacher on the server's socket.
pub(crate) fn teacher(served: &Served) -> Laptop {
    let t = Laptop::new();
    let out = t.run(&["login", served.socket.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    t
}

/// Attack: a laptop claims to be a learner. It is that learner only by the code its teacher gave: `login` with the
/// code makes `whoami` say learner ann over TLS (no uid), the token is kept in a file only its user can read, and
/// the teacher sees the device in `device list`. A `--learner` naming someone else is refused (exit 77). A second
/// `login` revokes the token it replaces.
#[test]
fn a_laptop_logs_in_with_its_code_and_is_that_learner() {
    let (dir, ca, codes) = setup(&["ann", "bob"]);
    let served = Served::start(dir);
    let laptop = Laptop::new();
    let out = login(&laptop, &served, &codes[0], &ca);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stderr),
        served.log()
    );
    let mode = std::fs::metadata(laptop.login_file())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let out = laptop.run(&["whoami"]);
    let said = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(said.contains("role     learner ann"), "{said}");
    assert!(
        said.contains("registered over TLS") && !said.contains("uid"),
        "{said}"
    );
    let out = laptop.run(&["--json", "whoami"]);
    let hello: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hello["uid"], serde_json::Value::Null);
    assert_eq!(hello["learner"], "ann");
    let out = laptop.run(&["--learner", "bob", "whoami"]);
    assert_eq!(out.status.code(), Some(77), "{}", text(&out.stderr));
    // A device is a learner: the teacher's list is refused to it.
    let out = laptop.run(&["device", "list"]);
    assert_eq!(out.status.code(), Some(77), "{}", text(&out.stderr));
    let out = teacher(&served).run(&["device", "list"]);
    let list = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(list.contains("ann") && !list.contains("bob"), "{list}");
    // Logging in again leaves no live token behind: the replaced one is revoked.
    let first = laptop.token();
    assert!(login(&laptop, &served, &codes[0], &ca).status.success());
    assert_ne!(laptop.token(), first);
    let out = teacher(&served).run(&["--json", "device", "list"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let revoked: Vec<bool> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revoked_by"] == "the device (logout)")
        .collect();
    assert_eq!(revoked, [true, false], "{rows}");
}

/// Attack: guessing codes. A wrong code is refused (exit 77) and registers nothing; the sixth wrong try on one code
/// gets the rate-limit message (429, Retry-After) even with the right learner name; another learner's right code
/// from the same address still works (others' failures on other codes do not block a success).
#[test]
fn wrong_codes_are_refused_and_hammering_one_code_is_rate_limited() {
    let (dir, ca, codes) = setup(&["ann", "bob"]);
    let served = Served::start(dir);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    // Well formed (its check character right), but not the code the server issued.
    let wrong = Code::generate("ann", &mut rng).to_string();
    let laptop = Laptop::new();
    for _ in 0..5 {
        let out = login(&laptop, &served, &wrong, &ca);
        assert_eq!(out.status.code(), Some(77), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("not one this server issued"),
            "{}",
            text(&out.stderr)
        );
    }
    let out = login(&laptop, &served, &wrong, &ca);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(
        err.contains("too many wrong enrolment codes") && err.contains("HTTP 429"),
        "{err}"
    );
    assert!(!laptop.login_file().exists());
    let out = login(&laptop, &served, &codes[1], &ca);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&laptop.run(&["whoami"]).stdout).contains("learner bob"));
    assert!(
        !text(&teacher(&served).run(&["device", "list"]).stdout).contains("ann"),
        "a wrong code registered a device"
    );
}

/// Attack: a stolen or lost laptop. Once the teacher revokes its device, its token is refused at once (exit 77,
/// saying when and by whom it was revoked), while the same learner's other device keeps working; a request with no
/// token at all is refused (401) before anything is read.
#[test]
fn a_revoked_device_is_refused_and_the_learners_other_device_still_works() {
    let (dir, ca, codes) = setup(&["ann"]);
    let served = Served::start(dir);
    let (lost, kept) = (Laptop::new(), Laptop::new());
    for (laptop, name) in [(&lost, "lost"), (&kept, "kept")] {
        let out = laptop.run(&[
            "login",
            &served.url,
            &codes[0],
            "--ca-cert",
            ca.to_str().unwrap(),
            "--device-name",
            name,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let t = teacher(&served);
    let out = t.run(&["--json", "device", "list", "ann"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "lost")
        .unwrap()["id"]
        .to_string();
    let out = t.run(&["device", "revoke", &id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = lost.run(&["whoami"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(77), "{err}");
    assert!(
        err.contains("this device's token was revoked on") && err.contains("by teacher"),
        "{err}"
    );
    let out = kept.run(&["whoami"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("learner ann"));
    // No token: a login file without one does not parse, so ask by hand over TLS.
    let answer = tls_request(
        &served,
        &ca,
        "GET /v1/hello HTTP/1.1\r\nHost: x\r\ndetente-protocol: 1\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("none was sent"), "{answer}");
    let answer = tls_request(
        &served,
        &ca,
        "GET /v1/hello HTTP/1.1\r\nHost: x\r\ndetente-protocol: 1\r\nAuthorization: Bearer dt_00\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

/// One raw request over TLS (trusting `ca`), the answer read to the end.
pub(crate) fn tls_request(served: &Served, ca: &Path, request: &str) -> String {
    use rustls::pki_types::pem::PemObject;
    use std::io::{Read, Write};
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(detente::server::client::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(served.url.trim_start_matches("https://")).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer);
    text(&answer)
}

/// Attack: a man in the middle with a certificate the laptop does not trust. Without the department's CA the
/// client refuses to talk (exit 69, saying the certificate is not trusted) and the code never leaves it: the
/// server logs no registration, and nothing is saved.
#[test]
fn a_client_that_does_not_trust_the_certificate_refuses_to_talk() {
    let (dir, _ca, codes) = setup(&["ann"]);
    let served = Served::start(dir);
    let laptop = Laptop::new();
    let out = laptop.run(&["login", &served.url, &codes[0]]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(
        err.contains("certificate is not trusted") && err.contains("--ca-cert"),
        "{err}"
    );
    assert!(!laptop.login_file().exists());
    let (other_ca, _, _) = pki();
    let other = served.file("other-ca.pem");
    std::fs::write(&other, other_ca).unwrap();
    let out = login(&laptop, &served, &codes[0], &other);
    assert_eq!(out.status.code(), Some(69), "{}", text(&out.stderr));
    assert!(
        !served.log().contains("POST /v1/devices"),
        "{}",
        served.log()
    );
}

/// Attack: reading the server's log or its database file (a backup, a shared disk) to steal a device's token or a
/// learner's code. After a registration, requests, a wrong code and a logout, neither the token nor the code (nor
/// its 16 characters) appears in the log or the database's bytes; the token's SHA-256 does, so the search looked in
/// the right place. After `logout` the token is revoked on the server.
#[test]
fn tokens_and_codes_are_neither_logged_nor_stored() {
    let (dir, ca, codes) = setup(&["ann"]);
    let served = Served::start(dir);
    let laptop = Laptop::new();
    assert!(login(&laptop, &served, &codes[0], &ca).status.success());
    let token = laptop.token();
    assert!(laptop.run(&["whoami"]).status.success());
    let mut wrong = codes[0].clone();
    wrong.replace_range(
        4..8,
        if &wrong[4..8] == "AAAA" {
            "BBBB"
        } else {
            "AAAA"
        },
    );
    let _ = Laptop::new().run(&[
        "login",
        &served.url,
        &wrong,
        "--ca-cert",
        ca.to_str().unwrap(),
    ]);
    let hash = Sha256::digest(token.as_bytes());
    assert!(
        served
            .database_bytes()
            .windows(32)
            .any(|w| w == hash.as_slice()),
        "the token's hash is stored"
    );
    let out = laptop.run(&["logout"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!laptop.login_file().exists());
    let log = served.log();
    assert!(log.contains("DELETE /v1/devices/self 200"), "{log}");
    let bytes = served.database_bytes();
    let chars: String = codes[0][4..].chars().filter(|c| *c != '-').collect();
    for secret in [
        token.as_str(),
        &token[3..],
        codes[0].as_str(),
        &chars,
        &wrong,
    ] {
        assert!(!log.contains(secret), "{secret} in the log: {log}");
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} in the database"
        );
    }
    // The revoked token is refused.
    let answer = tls_request(
        &served,
        &ca,
        &format!(
            "GET /v1/hello HTTP/1.1\r\nHost: x\r\ndetente-protocol: 1\r\nAuthorization: Bearer {token}\r\n\r\n"
        ),
    );
    assert!(
        answer.contains("revoked") && answer.contains("the device (logout)"),
        "{answer}"
    );
}

/// Attack (on availability): a renewed certificate must not need a restart that drops every connection, and a bad
/// renewal must not take the server down. A mismatched pair is refused with one log line and the old pair stays in
/// service; then a pair from a new CA is served without a restart: a client trusting the new CA works, one trusting
/// only the old one is refused.
#[test]
fn a_renewed_certificate_is_served_without_a_restart() {
    let (dir, ca, codes) = setup(&["ann"]);
    let served = Served::start(dir);
    let before = Laptop::new();
    assert!(login(&before, &served, &codes[0], &ca).status.success());
    let (new_ca, new_cert, new_key) = pki();
    // The new certificate with the old key: does not load.
    replace(&served.file("cert.pem"), &new_cert);
    let out = before.run(&["whoami"]);
    assert!(
        out.status.success(),
        "the old pair stays: {}",
        text(&out.stderr)
    );
    assert!(
        served
            .log()
            .contains("does not load, the previous pair stays in service"),
        "{}",
        served.log()
    );
    replace(&served.file("key.pem"), &new_key);
    let new_ca_file = served.file("new-ca.pem");
    std::fs::write(&new_ca_file, new_ca).unwrap();
    let after = Laptop::new();
    let out = login(&after, &served, &codes[0], &new_ca_file);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stderr),
        served.log()
    );
    assert!(text(&after.run(&["whoami"]).stdout).contains("learner ann"));
    let out = before.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(69), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("certificate"));
    assert!(served.log().contains("tls: reloaded"), "{}", served.log());
}

/// Attack: a code the teacher replaced (it leaked, say) is used to register a new device: refused (exit 77, saying
/// it was replaced), while the new code works.
#[test]
fn a_reissued_codes_old_code_cannot_register_a_device() {
    let (dir, ca, codes) = setup(&["ann"]);
    let new = issue(&Served::database(dir.path()), "ann", &["--reissue"]);
    let served = Served::start(dir);
    let laptop = Laptop::new();
    let out = login(&laptop, &served, &codes[0], &ca);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(77), "{err}");
    assert!(err.contains("replaced by a new one"), "{err}");
    assert!(!laptop.login_file().exists());
    let out = login(&laptop, &served, &new, &ca);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
