//! The client of a class server, in every build: where this user logged in (`server.toml` in the user's config
//! folder, `$XDG_CONFIG_HOME/detente` or `~/.config/detente`), and the requests commands make over the server's
//! Unix socket, each checked for the server's protocol version and turned into detente's errors: a refusal is
//! [`Error::Refused`] (exit 77), a server that cannot be reached or does not speak this detente's protocol is
//! [`Error::Server`] (exit 69).

use super::api::{self, Hello, Listed, Problem};
use super::http;
use crate::error::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long the client waits for the server to take a request or to answer it.
const WAIT: Duration = Duration::from_secs(60);
/// The longest answer the client reads.
const MAX_ANSWER: usize = 64 << 20;

/// What `detente login` keeps: the server this user works with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The server's Unix socket.
    pub socket: PathBuf,
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
            "{}: {} (log in again with `detente login SOCKET`, or `detente logout`)",
            file.display(),
            e.message().trim()
        ))
    })
}

/// A class server reached over its Unix socket.
#[derive(Debug, Clone)]
pub struct Server {
    socket: PathBuf,
}

impl Server {
    pub fn new(socket: &Path) -> Server {
        Server {
            socket: socket.to_path_buf(),
        }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `GET /v1/hello`: who the server says the caller is. A server whose protocol is outside this build's window
    /// is refused here, whatever it answered.
    pub fn hello(&self) -> Result<Hello> {
        let hello: Hello = self.get("/v1/hello")?;
        if !api::accepts(hello.protocol) {
            return Err(Error::Server(format!(
                "the class server at {} runs detente {} (protocol {}), and this detente {} speaks {}: ask the \
                 server's admin which detente to install",
                self.socket.display(),
                hello.server_version,
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
    /// becomes the error its status means, with the server's own words (403 is [`Error::Refused`]).
    pub fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<T> {
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
                self.socket.display(),
                theirs.trim(),
                env!("CARGO_PKG_VERSION"),
                api::window()
            )));
        }
        if !(200..300).contains(&response.status) {
            let said = serde_json::from_slice::<Problem>(&response.body)
                .map(|p| p.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&response.body).trim().to_string());
            let said = format!("the class server at {}: {said}", self.socket.display());
            return Err(match response.status {
                403 => Error::Refused(said),
                status => Error::Server(format!("{said} (HTTP {status})")),
            });
        }
        serde_json::from_slice(&response.body).map_err(|e| {
            Error::Server(format!(
                "the class server at {} answered {path} with something this detente cannot read ({e})",
                self.socket.display()
            ))
        })
    }

    fn exchange(&self, method: &str, path: &str, body: &[u8]) -> Result<http::Response> {
        let unreachable = |e: std::io::Error| {
            Error::Server(format!(
                "cannot reach the class server at {}: {e} (is `detente serve` running? `detente logout` works on \
                 the local database again)",
                self.socket.display()
            ))
        };
        let mut stream = UnixStream::connect(&self.socket).map_err(unreachable)?;
        stream
            .set_read_timeout(Some(WAIT))
            .and_then(|_| stream.set_write_timeout(Some(WAIT)))
            .map_err(unreachable)?;
        let protocol = api::PROTOCOL.to_string();
        http::exchange(
            &mut stream,
            method,
            path,
            &[
                (api::PROTOCOL_HEADER, &protocol),
                ("accept", "application/json"),
                ("content-type", "application/json"),
            ],
            body,
            MAX_ANSWER,
        )
        .map_err(|e| {
            Error::Server(format!(
                "the class server at {} did not answer {method} {path}: {e}",
                self.socket.display()
            ))
        })
    }
}
