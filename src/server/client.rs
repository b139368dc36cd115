//! The client of a class server, in every build: where this user logged in (`server.toml` in the user's config
//! folder, `$XDG_CONFIG_HOME/detente` or `~/.config/detente`), and the requests commands make over the server's
//! Unix socket or over TLS (rustls, blocking, with this device's token), each checked for the server's protocol
//! version and turned into detente's errors: a refusal is [`Error::Refused`] (exit 77), a server that cannot be
//! reached, is not trusted or does not speak this detente's protocol is [`Error::Server`] (exit 69).

use super::api::{self, Hello, Listed, Problem};
use super::http;
use crate::error::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long the client waits for the server to take a request or to answer it.
const WAIT: Duration = Duration::from_secs(60);
/// How long a teacher's command waits for its answer ([`Server::patient`]): the server finishes the work a request
/// starts however long it takes (a term's progress bundles, a large roster), within its backstop of 15 minutes.
const PATIENT: Duration = Duration::from_secs(15 * 60);
/// The longest answer the client reads.
const MAX_ANSWER: usize = 64 << 20;

/// What `detente login` keeps: the server this user works with, by its Unix socket or by its `https://` URL with
/// this device's token. A file written before TLS (only `socket`) still reads.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Login {
    Socket(SocketLogin),
    Tls(TlsLogin),
}

/// A login to a server's Unix socket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocketLogin {
    /// The server's Unix socket.
    pub socket: PathBuf,
}

/// A login to a server over TLS, as a registered device.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsLogin {
    /// `https://HOST:PORT`.
    pub url: String,
    /// This device's token (`dt_` and 64 hex digits): sent as `Authorization: Bearer` on every request.
    pub token: String,
    /// The certificate authority trusted for this server (PEM), given at login; else the public roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
}

impl std::fmt::Debug for TlsLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: debug output never shows it.
        write!(f, "TlsLogin({:?}, …, {:?})", self.url, self.ca_cert)
    }
}

impl Login {
    /// The server this login names.
    pub fn server(&self) -> Result<Server> {
        match self {
            Login::Socket(l) => Ok(Server::new(&l.socket)),
            Login::Tls(l) => Server::tls(&l.url, l.ca_cert.as_deref(), Some(l.token.clone())),
        }
    }

    /// Where the server is, as the user gave it: the socket's path or the URL.
    pub fn address(&self) -> String {
        match self {
            Login::Socket(l) => l.socket.display().to_string(),
            Login::Tls(l) => l.url.clone(),
        }
    }
}

/// Where `detente login` keeps [`Login`]: `server.toml` in `$XDG_CONFIG_HOME/detente`, else in
/// `~/.config/detente`; `None` without either variable.
pub fn login_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("detente").join("server.toml"))
}

/// The login this user saved, if any. A file that cannot be read or parsed is an error naming it.
pub fn saved_login() -> Result<Option<Login>> {
    let Some(file) = login_file() else {
        return Ok(None);
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("cannot read {}", file.display()), e)),
    };
    toml::from_str(&text).map(Some).map_err(|e| {
        Error::InvalidData(format!(
            "{}: {} (log in again with `detente login SOCKET` or `detente login https://HOST:PORT CODE`, or \
             `detente logout`)",
            file.display(),
            e.message().trim()
        ))
    })
}

/// A class server, reached over its Unix socket or over TLS.
#[derive(Debug, Clone)]
pub struct Server {
    /// Where it is, as the user gave it (the socket's path, or the URL): for messages.
    address: PathBuf,
    way: Way,
    /// How long to wait for each answer.
    wait: Duration,
}

#[derive(Clone)]
enum Way {
    Socket(PathBuf),
    Tls(Box<Tls>),
}

/// A server over TLS: where to connect, the name its certificate must hold, what this client trusts, and the
/// device's token (none while registering).
#[derive(Clone)]
struct Tls {
    host: String,
    port: u16,
    name: rustls::pki_types::ServerName<'static>,
    config: Arc<rustls::ClientConfig>,
    token: Option<String>,
}

impl std::fmt::Debug for Way {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Way::Socket(path) => write!(f, "Socket({path:?})"),
            // The token is a secret: debug output never shows it.
            Way::Tls(t) => write!(f, "Tls({}:{}, …)", t.host, t.port),
        }
    }
}

/// The TLS primitives both sides use: rustls's *ring* provider. rustls 0.23.48 deprecates it for lacking
/// post-quantum key exchange, which only its aws-lc-rs provider has; *ring* is kept because it builds with a C
/// compiler alone and costs the default build far less than aws-lc.
#[allow(deprecated)]
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads the certificates of a PEM file (at least one); an error names the file.
pub fn read_certificates(
    path: &Path,
) -> std::result::Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: not a PEM certificate file ({e})", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{}: no certificate in it (a PEM file with -----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

/// The host and port of `https://HOST[:PORT][/]` (port 443 by default; an IPv6 address in brackets).
pub fn parse_url(url: &str) -> std::result::Result<(String, u16), String> {
    let rest = url.strip_prefix("https://").ok_or_else(|| {
        format!("{url} is not an https:// URL (a class server over the network speaks TLS only)")
    })?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '@', '?', '#']) {
        return Err(format!(
            "{url} is not a server's address: write https://HOST:PORT, without a path"
        ));
    }
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("{url}: an IPv6 address without its closing ]"))?;
            (host, after.strip_prefix(':'))
        }
        None => match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        },
    };
    let port = match port {
        None => 443,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("{url}: {p:?} is not a port"))?,
    };
    if host.is_empty() {
        return Err(format!("{url}: no host"));
    }
    Ok((host.to_string(), port))
}

impl Server {
    /// A server at its Unix socket.
    pub fn new(socket: &Path) -> Server {
        Server {
            address: socket.to_path_buf(),
            way: Way::Socket(socket.to_path_buf()),
            wait: WAIT,
        }
    }

    /// This server, waiting for each answer as long as the server may work on a request (15 minutes, not one):
    /// for a teacher's command, whose work on a large file can take minutes and is never cut off by the server.
    pub fn patient(mut self) -> Server {
        self.wait = PATIENT;
        self
    }

    /// A server at `url` (`https://HOST:PORT`) over TLS, its certificate checked against the CA file `ca_cert`
    /// (PEM) or, without one, the public roots; every request carries `token` if given.
    pub fn tls(url: &str, ca_cert: Option<&Path>, token: Option<String>) -> Result<Server> {
        let (host, port) = parse_url(url).map_err(Error::Usage)?;
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| Error::Usage(format!("{url}: {host:?} is not a host name ({e})")))?;
        let mut roots = rustls::RootCertStore::empty();
        match ca_cert {
            Some(file) => {
                for cert in read_certificates(file).map_err(Error::Usage)? {
                    roots.add(cert).map_err(|e| {
                        Error::Usage(format!(
                            "{}: not a certificate authority's certificate ({e})",
                            file.display()
                        ))
                    })?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Server(format!("cannot set up TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Server {
            address: PathBuf::from(url),
            way: Way::Tls(Box::new(Tls {
                host,
                port,
                name,
                config: Arc::new(config),
                token,
            })),
            wait: WAIT,
        })
    }

    /// Where the server is, as the user gave it: the socket's path, or the URL.
    pub fn socket(&self) -> &Path {
        &self.address
    }

    /// Whether this server is reached over TLS, as a device.
    pub fn is_tls(&self) -> bool {
        matches!(self.way, Way::Tls(_))
    }

    /// `GET /v1/hello`: who the server says the caller is. A server whose window (`protocol_min` to `protocol`)
    /// does not hold this build's protocol is refused here, whatever it answered.
    pub fn hello(&self) -> Result<Hello> {
        let hello: Hello = self.get("/v1/hello")?;
        if !api::served_by(hello.protocol_min, hello.protocol) {
            return Err(Error::Server(format!(
                "the class server at {} runs detente {} (protocols {} to {}), and this detente {} speaks {}: ask \
                 the server's admin which detente to install",
                self.address.display(),
                hello.server_version,
                hello.protocol_min,
                hello.protocol,
                env!("CARGO_PKG_VERSION"),
                api::window()
            )));
        }
        Ok(hello)
    }

    /// `GET /v1/learners`: the server's roster (teachers only).
    pub fn learners(&self) -> Result<Vec<Listed>> {
        self.get("/v1/learners")
    }

    /// One `GET`, its answer read as JSON of `T`.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call("GET", path, None::<&()>)
    }

    /// One `POST` of `body` as JSON, its answer read as JSON of `T`.
    pub fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.call("POST", path, Some(body))
    }

    /// One request, with `body` as JSON if any, its answer read as JSON of `T`; an answer that is not a success
    /// becomes the error its status means, with the server's own words (401 and 403 are [`Error::Refused`]).
    pub fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<T> {
        match self.try_call(method, path, body)? {
            Ok(value) => Ok(value),
            Err((status, said)) => Err(match status {
                401 | 403 => Error::Refused(said),
                status => Error::Server(format!("{said} (HTTP {status})")),
            }),
        }
    }

    /// [`call`](Server::call), with an answer that is not a success given back as its status and the server's
    /// words ("the class server at ADDRESS: ..."), for a caller that acts on the status (an exam answer refused as
    /// late, 410). Not reaching the server, or an answer this client cannot read, is an error.
    pub fn try_call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<std::result::Result<T, (u16, String)>> {
        let body = match body {
            Some(b) => serde_json::to_vec(b).map_err(|e| {
                Error::Server(format!("cannot write the request {method} {path}: {e}"))
            })?,
            None => Vec::new(),
        };
        let response = self.exchange(method, path, &body)?;
        if let Some(theirs) = response.header(api::PROTOCOL_HEADER)
            && !theirs.trim().parse().is_ok_and(api::accepts)
        {
            return Err(Error::Server(format!(
                "the class server at {} speaks detente protocol {}, and this detente {} speaks {}: ask the \
                 server's admin which detente to install",
                self.address.display(),
                theirs.trim(),
                env!("CARGO_PKG_VERSION"),
                api::window()
            )));
        }
        if !(200..300).contains(&response.status) {
            let said = serde_json::from_slice::<Problem>(&response.body)
                .map(|p| p.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&response.body).trim().to_string());
            let said = format!("the class server at {}: {said}", self.address.display());
            return Ok(Err((response.status, said)));
        }
        serde_json::from_slice(&response.body).map(Ok).map_err(|e| {
            Error::Server(format!(
                "the class server at {} answered {path} with something this detente cannot read ({e})",
                self.address.display()
            ))
        })
    }

    fn exchange(&self, method: &str, path: &str, body: &[u8]) -> Result<http::Response> {
        let unreachable = |e: std::io::Error| {
            Error::Server(format!(
                "cannot reach the class server at {}: {e} (is `detente serve` running? `detente logout` works on \
                 the local database again)",
                self.address.display()
            ))
        };
        let protocol = api::PROTOCOL.to_string();
        let bearer;
        let mut headers = vec![
            (api::PROTOCOL_HEADER, protocol.as_str()),
            ("accept", "application/json"),
            ("content-type", "application/json"),
        ];
        let answer = match &self.way {
            Way::Socket(socket) => {
                let mut stream = UnixStream::connect(socket).map_err(unreachable)?;
                stream
                    .set_read_timeout(Some(self.wait))
                    .and_then(|_| stream.set_write_timeout(Some(self.wait)))
                    .map_err(unreachable)?;
                http::exchange(&mut stream, method, path, &headers, body, MAX_ANSWER)
            }
            Way::Tls(tls) => {
                let tcp = connect(&tls.host, tls.port, self.wait).map_err(unreachable)?;
                let conn = rustls::ClientConnection::new(tls.config.clone(), tls.name.clone())
                    .map_err(|e| Error::Server(format!("cannot set up TLS: {e}")))?;
                let mut stream = rustls::StreamOwned::new(conn, tcp);
                if let Some(token) = &tls.token {
                    bearer = format!("Bearer {token}");
                    headers.push(("authorization", bearer.as_str()));
                }
                http::exchange(&mut stream, method, path, &headers, body, MAX_ANSWER)
                    .map_err(|e| self.untrusted(e))
            }
        };
        answer.map_err(|e| {
            Error::Server(format!(
                "the class server at {} did not answer {method} {path}: {e}",
                self.address.display()
            ))
        })
    }

    /// A TLS failure because the server's certificate is not trusted, said as such (exit 69); other errors as
    /// they were.
    fn untrusted(&self, e: std::io::Error) -> std::io::Error {
        let rustls_error = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        match rustls_error {
            Some(rustls::Error::InvalidCertificate(why)) => std::io::Error::other(format!(
                "its TLS certificate is not trusted ({why:?}): if the server's admin gave you their certificate \
                 authority, log in with `--ca-cert FILE`"
            )),
            _ => e,
        }
    }
}

/// A TCP connection to `host:port`, trying each of its addresses within [`WAIT`], then waiting `wait` for each
/// read or write.
fn connect(host: &str, port: u16, wait: Duration) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::other(format!("{host} has no address"));
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, WAIT) {
            Ok(stream) => {
                stream.set_read_timeout(Some(wait))?;
                stream.set_write_timeout(Some(wait))?;
                return Ok(stream);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_and_port_or_say_what_is_wrong() {
        for (url, host, port) in [
            ("https://class.example.edu:8443", "class.example.edu", 8443),
            ("https://class.example.edu/", "class.example.edu", 443),
            ("https://127.0.0.1:9000/", "127.0.0.1", 9000),
            ("https://[::1]:8443", "::1", 8443),
        ] {
            assert_eq!(parse_url(url).unwrap(), (host.to_string(), port), "{url}");
        }
        for url in [
            "http://class.example.edu",
            "https://",
            "https://h:0",
            "https://h:x",
            "https://h/v1",
            "https://u@h",
            "https://[::1",
        ] {
            assert!(parse_url(url).is_err(), "{url}");
        }
    }

    #[test]
    fn a_login_file_of_either_kind_reads_and_an_old_one_still_does() {
        let old: Login = toml::from_str("socket = \"/run/detente/class.sock\"\n").unwrap();
        assert!(matches!(old, Login::Socket(_)));
        let tls = Login::Tls(TlsLogin {
            url: "https://h:8443".into(),
            token: "dt_00".into(),
            ca_cert: Some("/etc/ca.pem".into()),
        });
        let text = toml::to_string(&tls).unwrap();
        assert_eq!(toml::from_str::<Login>(&text).unwrap(), tls);
        assert!(!format!("{tls:?}").contains("dt_00"));
        assert!(toml::from_str::<Login>("socket = \"/s\"\nurl = \"https://h\"\n").is_err());
    }
}
