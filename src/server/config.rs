//! The server's configuration file (TOML; `/etc/detente/serve.toml` unless `detente serve --config` names
//! another): where its database lives, its Unix socket and the socket's mode, its teachers by user and by group,
//! its limits, optionally `[tls]`: an address to serve laptops on over TLS, with the certificate and key files, and
//! optionally `[lti]`: detente as an LTI 1.3 tool of one or more platforms (`[[lti.platform]]`), over that listener.
//! Every key has a default but the file must exist; an unknown key or a bad value is refused with
//! the file, line and column.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole configuration, defaults filled in.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The server's own folder (created 0700): it holds `detente.db` unless `database` says otherwise.
    #[serde(default = "default_state")]
    pub state_directory: PathBuf,
    /// The database file [default: `detente.db` in `state_directory`].
    pub database: Option<PathBuf>,
    #[serde(default)]
    pub socket: Socket,
    #[serde(default)]
    pub teachers: Teachers,
    #[serde(default)]
    pub limits: Limits,
    /// Laptops over TLS: served only when the table is there.
    pub tls: Option<Tls>,
    /// PostgreSQL instead of the SQLite file (see "PostgreSQL" in docs/server.md).
    pub postgres: Option<Postgres>,
    /// LTI 1.3 with Moodle, Canvas or Blackboard (see "LTI 1.3" in docs/server.md): needs `[tls]`.
    pub lti: Option<Lti>,
}

/// detente as an LTI 1.3 tool: its public address, its own RSA key, and the platforms that may launch it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lti {
    /// The address platforms and browsers reach the TLS listener at, `https://class.example.edu:8443`: the
    /// launch's redirect URI is this with `/lti/launch`.
    pub url: String,
    /// The tool's RSA private key (PEM, 2048 bits or more), re-read when the file changes: it signs the token
    /// requests, and its public half is published at `/lti/jwks`.
    pub key: PathBuf,
    /// A certificate authority (PEM) trusted for the platforms' HTTPS besides the public roots.
    pub ca_certificate: Option<PathBuf>,
    /// The first retry of a score delivery waits this long, each further one twice the last (at most an hour).
    #[serde(default = "default_retry")]
    pub retry_secs: u64,
    #[serde(default, rename = "platform")]
    pub platforms: Vec<Platform>,
}

/// A platform (an LMS site) that may launch detente, as its admin registered detente there.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// The platform's issuer (`iss`), `https://moodle.example.edu`.
    pub issuer: String,
    /// The client id the platform gave detente.
    pub client_id: String,
    /// The deployment ids of detente on the platform that may launch it.
    pub deployment_ids: Vec<String>,
    /// The platform's OIDC authentication request URL.
    pub auth_login_url: String,
    /// The platform's key set (JWKS) URL; or `key_set_file`, a JWKS file.
    pub key_set_url: Option<String>,
    pub key_set_file: Option<PathBuf>,
    /// The platform's OAuth 2 access token URL (for grades).
    pub access_token_url: String,
}

fn default_retry() -> u64 {
    60
}

/// The TLS listener: its address and its certificate (the chain, PEM) and private key (PEM) files, re-read when
/// they change.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// `127.0.0.1:8443`, `0.0.0.0:8443`, `[::]:8443`.
    pub listen: std::net::SocketAddr,
    pub certificate: PathBuf,
    pub key: PathBuf,
    /// The address browsers and laptops reach this listener at (`https://class.example.edu:8443`), printed in the
    /// class page's sign-in links.
    #[serde(default)]
    pub url: Option<String>,
}

/// The PostgreSQL database the server keeps its data in, when it is not the SQLite file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Postgres {
    /// The app role's connection string: what the server connects as.
    pub url: String,
    /// The tables' owner's connection string: when given, the server migrates the database as it at start.
    pub owner_url: Option<String>,
    /// Connections the server keeps open.
    #[serde(default = "default_pool")]
    pub pool_size: u32,
}

impl Postgres {
    /// The app role `url` names: the role the migrations grant rows to.
    pub fn app_role(&self) -> Result<String> {
        crate::store::pg::config(&self.url)?
            .get_user()
            .map(String::from)
            .ok_or_else(|| {
                Error::InvalidData("postgres.url must name the app role (user)".to_string())
            })
    }

    /// A connection as the tables' owner (`owner_url`), which migrates and adopts; `what` names the work for the
    /// refusal when no `owner_url` is configured.
    pub fn owner(&self, what: &str) -> Result<postgres::Client> {
        let Some(owner) = &self.owner_url else {
            return Err(Error::Usage(format!(
                "{what} needs postgres.owner_url in the configuration: the role that owns the tables"
            )));
        };
        Ok(crate::store::pg::config(owner)?.connect(postgres::NoTls)?)
    }
}

fn default_pool() -> u32 {
    8
}

/// The Unix socket the server listens on.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Socket {
    #[serde(default = "default_socket")]
    pub path: PathBuf,
    /// Who may connect, as file permissions (TOML octal, `0o666`): connecting needs write permission.
    #[serde(default = "default_mode")]
    pub mode: u32,
}

/// Who is a teacher: these system users, and the members of these system groups.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Teachers {
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// What one connection may cost the server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The largest request body taken; a larger one is refused (413) unread.
    #[serde(default = "default_request_bytes")]
    pub max_request_bytes: u64,
    /// How long a connection may take to send its request's head.
    #[serde(default = "default_header_timeout")]
    pub header_timeout_secs: u64,
    /// How long a request's body may take to arrive once its head has (else 408). The work the request then starts
    /// is finished and answered however long it takes (within a backstop of 15 minutes).
    #[serde(default = "default_request_timeout")]
    pub request_timeout_secs: u64,
    /// Connections served at once; more wait to be accepted.
    #[serde(default = "default_connections")]
    pub max_connections: usize,
}

fn default_state() -> PathBuf {
    PathBuf::from("/var/lib/detente")
}
fn default_socket() -> PathBuf {
    PathBuf::from("/run/detente/class.sock")
}
fn default_mode() -> u32 {
    0o666
}
fn default_request_bytes() -> u64 {
    1 << 20
}
fn default_header_timeout() -> u64 {
    10
}
fn default_request_timeout() -> u64 {
    30
}
fn default_connections() -> usize {
    256
}

impl Default for Socket {
    fn default() -> Self {
        Socket {
            path: default_socket(),
            mode: default_mode(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request_bytes: default_request_bytes(),
            header_timeout_secs: default_header_timeout(),
            request_timeout_secs: default_request_timeout(),
            max_connections: default_connections(),
        }
    }
}

impl Limits {
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs)
    }
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}

impl Config {
    /// The database file.
    pub fn database(&self) -> PathBuf {
        self.database
            .clone()
            .unwrap_or_else(|| self.state_directory.join("detente.db"))
    }
}

/// Reads and checks the configuration file `path` (exit 65 naming the file, line and column when it is wrong).
pub fn load(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::io(
            format!(
                "cannot read the server's configuration {} (see \"Running a class server\" in the README)",
                path.display()
            ),
            e,
        )
    })?;
    parse(&text).map_err(|(at, message)| {
        let before = &text[..at.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
            .chars()
            .count()
            + 1;
        Error::InvalidData(format!("{}:{line}:{column}: {message}", path.display()))
    })
}

/// Parses and checks a configuration; an error is its byte offset in `text` and its message.
fn parse(text: &str) -> std::result::Result<Config, (usize, String)> {
    let config: Config = toml::from_str(text).map_err(|e| {
        (
            e.span().map_or(0, |s| s.start),
            e.message().trim().replace('\n', " "),
        )
    })?;
    // Where a key is written, for a message about its value.
    let at = |key: &str| text.find(key).unwrap_or(0);
    let paths = [
        ("state_directory", Some(&config.state_directory)),
        ("database", config.database.as_ref()),
        ("path", Some(&config.socket.path)),
        ("certificate", config.tls.as_ref().map(|t| &t.certificate)),
        ("key", config.tls.as_ref().map(|t| &t.key)),
        ("key", config.lti.as_ref().map(|l| &l.key)),
        (
            "ca_certificate",
            config.lti.as_ref().and_then(|l| l.ca_certificate.as_ref()),
        ),
    ];
    for (key, path) in paths {
        if let Some(p) = path.filter(|p| !p.is_absolute()) {
            return Err((
                at(key),
                format!("{key} must be an absolute path, not {}", p.display()),
            ));
        }
    }
    if config.socket.mode > 0o777 {
        return Err((
            at("mode"),
            format!(
                "mode {} is not a file mode: write it in octal, as 0o666 (anyone may connect) or 0o660 (the socket's group)",
                config.socket.mode
            ),
        ));
    }
    if let Some(pg) = &config.postgres
        && pg.pool_size == 0
    {
        return Err((at("pool_size"), "pool_size must be at least 1".to_string()));
    }
    if let Some(lti) = &config.lti {
        check_lti(lti, config.tls.is_some(), text)?;
    }
    let limits = &config.limits;
    for (key, value) in [
        ("max_request_bytes", limits.max_request_bytes),
        ("header_timeout_secs", limits.header_timeout_secs),
        ("request_timeout_secs", limits.request_timeout_secs),
        ("max_connections", limits.max_connections as u64),
    ] {
        if value == 0 {
            return Err((at(key), format!("{key} must be at least 1")));
        }
    }
    Ok(config)
}

/// Checks `[lti]`: over TLS only, https URLs, at least one platform, each with one key set.
fn check_lti(lti: &Lti, tls: bool, text: &str) -> std::result::Result<(), (usize, String)> {
    let at = |key: &str| text.find(key).unwrap_or(0);
    if !tls {
        return Err((
            at("[lti]"),
            "[lti] needs [tls]: LTI is served over the TLS listener only".to_string(),
        ));
    }
    if !lti.url.starts_with("https://") || lti.url.trim_end_matches('/').len() <= "https://".len() {
        return Err((
            at("url"),
            format!(
                "url must be the https:// address the platforms reach this server at, not {:?}",
                lti.url
            ),
        ));
    }
    if lti.retry_secs == 0 {
        return Err((
            at("retry_secs"),
            "retry_secs must be at least 1".to_string(),
        ));
    }
    if lti.platforms.is_empty() {
        return Err((
            at("[lti]"),
            "[lti] needs at least one [[lti.platform]] (its issuer, client_id, deployment_ids, auth_login_url, \
             key_set_url and access_token_url)"
                .to_string(),
        ));
    }
    for p in &lti.platforms {
        let here = at(&format!("{:?}", p.issuer));
        for (key, url) in [
            ("auth_login_url", Some(&p.auth_login_url)),
            ("access_token_url", Some(&p.access_token_url)),
            ("key_set_url", p.key_set_url.as_ref()),
        ] {
            if let Some(url) = url.filter(|u| !u.starts_with("https://")) {
                return Err((here, format!("{key} must be an https:// URL, not {url:?}")));
            }
        }
        match (&p.key_set_url, &p.key_set_file) {
            (Some(_), None) => {}
            (None, Some(f)) if f.is_absolute() => {}
            (None, Some(f)) => {
                return Err((
                    here,
                    format!("key_set_file must be an absolute path, not {}", f.display()),
                ));
            }
            _ => {
                return Err((
                    here,
                    format!(
                        "platform {}: give one of key_set_url and key_set_file",
                        p.issuer
                    ),
                ));
            }
        }
        if p.deployment_ids.is_empty() || p.client_id.is_empty() || p.issuer.is_empty() {
            return Err((
                here,
                format!(
                    "platform {:?}: issuer, client_id and deployment_ids may not be empty",
                    p.issuer
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_every_default() {
        let c = parse("").unwrap();
        assert_eq!(c.database(), PathBuf::from("/var/lib/detente/detente.db"));
        assert_eq!(c.socket.path, PathBuf::from("/run/detente/class.sock"));
        assert_eq!(c.socket.mode, 0o666);
        assert_eq!(c.limits.max_request_bytes, 1 << 20);
        assert!(c.teachers.users.is_empty() && c.teachers.groups.is_empty());
        assert!(c.tls.is_none());
    }

    #[test]
    fn a_tls_table_is_read_and_checked() {
        let c = parse(
            "[tls]\nlisten = \"0.0.0.0:8443\"\ncertificate = \"/etc/detente/cert.pem\"\nkey = \"/etc/detente/key.pem\"\n",
        )
        .unwrap();
        let tls = c.tls.unwrap();
        assert_eq!(tls.listen.port(), 8443);
        assert_eq!(tls.key, PathBuf::from("/etc/detente/key.pem"));
        for (text, says) in [
            (
                "[tls]\nlisten = \"class:8443\"\ncertificate = \"/c\"\nkey = \"/k\"\n",
                "socket address",
            ),
            (
                "[tls]\nlisten = \"127.0.0.1:8443\"\ncertificate = \"c.pem\"\nkey = \"/k\"\n",
                "absolute path",
            ),
            (
                "[tls]\nlisten = \"127.0.0.1:8443\"\ncertificate = \"/c\"\n",
                "missing field `key`",
            ),
        ] {
            let (_, message) = parse(text).unwrap_err();
            assert!(message.contains(says), "{text}: {message}");
        }
    }

    #[test]
    fn an_lti_table_is_read_and_checked() {
        let tls = "[tls]\nlisten = \"0.0.0.0:8443\"\ncertificate = \"/c\"\nkey = \"/k\"\n";
        let lti = "[lti]\nurl = \"https://class.example.edu:8443\"\nkey = \"/etc/detente/lti.pem\"\n\
                   [[lti.platform]]\nissuer = \"https://moodle.example.edu\"\nclient_id = \"abc\"\n\
                   deployment_ids = [\"1\"]\nauth_login_url = \"https://moodle.example.edu/mod/lti/auth.php\"\n\
                   key_set_url = \"https://moodle.example.edu/mod/lti/certs.php\"\n\
                   access_token_url = \"https://moodle.example.edu/mod/lti/token.php\"\n";
        let c = parse(&format!("{tls}{lti}")).unwrap().lti.unwrap();
        assert_eq!(c.platforms[0].deployment_ids, ["1"]);
        assert_eq!(c.retry_secs, 60);
        for (text, says) in [
            (lti.to_string(), "needs [tls]"),
            (
                format!("{tls}{}", lti.replace("key_set_url", "key_set_file")),
                "absolute path",
            ),
            (
                format!(
                    "{tls}{}",
                    lti.replace("https://moodle.example.edu/mod/lti/token.php", "http://m/t")
                ),
                "https://",
            ),
            (
                format!("{tls}{}", lti.replace("key = ", "keys = ")),
                "unknown field",
            ),
            (
                format!("{tls}[lti]\nurl = \"https://h\"\nkey = \"/k\"\n"),
                "at least one",
            ),
        ] {
            let (_, message) = parse(&text).unwrap_err();
            assert!(message.contains(says), "{text}: {message}");
        }
    }

    #[test]
    fn a_whole_file_is_read() {
        let c = parse(
            "state_directory = \"/srv/d\"\n[socket]\npath = \"/run/d/s.sock\"\nmode = 0o660\n\
             [teachers]\nusers = [\"prof\"]\ngroups = [\"staff\"]\n\
             [limits]\nmax_request_bytes = 4096\nheader_timeout_secs = 2\nrequest_timeout_secs = 5\nmax_connections = 8\n",
        )
        .unwrap();
        assert_eq!(c.database(), PathBuf::from("/srv/d/detente.db"));
        assert_eq!(c.socket.mode, 0o660);
        assert_eq!(c.teachers.groups, ["staff"]);
        assert_eq!(c.limits.request_timeout(), Duration::from_secs(5));
        assert_eq!(c.postgres, None);
        let c =
            parse("[postgres]\nurl = \"postgres://detente_app@/detente?host=/run/postgresql\"\n")
                .unwrap();
        assert_eq!(c.postgres.map(|p| p.pool_size), Some(8));
    }

    #[test]
    fn wrong_keys_and_values_are_refused_where_they_are_written() {
        for (text, says) in [
            ("[socket]\nmod = 0o666\n", "unknown field `mod`"),
            ("[socket]\nmode = 666\n", "write it in octal"),
            ("# the file\ndatabase = \"d.db\"\n", "absolute path"),
            ("[limits]\nheader_timeout_secs = 0\n", "at least 1"),
            ("[teachers]\nusers = \"prof\"\n", "invalid type"),
            ("[postgres]\nurl = \"x\"\npool_size = 0\n", "at least 1"),
            ("# pg\n[postgres]\npool_size = 2\n", "missing field `url`"),
        ] {
            let (at, message) = parse(text).unwrap_err();
            assert!(message.contains(says), "{text}: {message}");
            assert!(at > 0, "{text}: the offset points into the file");
        }
    }
}
