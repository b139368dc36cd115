//! The class server: one place that holds a course, reached over a Unix socket, where who is calling comes from
//! the kernel, and optionally over TLS by laptops, each known by a revocable device token. In every build: the API
//! both sides speak ([`api`]), the client commands use ([`client`], over a small HTTP/1.1 exchange, on the socket
//! or through rustls), and the teacher's commands as work on a store ([`ops`]), which a local command runs on its
//! file and the server on its database. With the `server` feature: the daemon, `detente serve` (`serve`): its
//! configuration file, the socket, the TLS listener and its reloadable certificate (`tls`), connections, identity,
//! the routes, and the LTI 1.3 tool with its grade outbox (`lti`).
//!
//! The life of a request: `listen` accepts a connection on the socket and reads the peer's uid from the kernel
//! (`SO_PEERCRED`); hyper reads the request's head within the header timeout; `routes::guard` refuses a body over
//! the size limit, a client outside the protocol window, and a caller who is neither on the roster (by
//! `username`) nor a teacher, or over TLS a request without the token of a device that is not revoked
//! (`identity`); the handler reads the store on a blocking thread, within the request
//! timeout; the answer is JSON and the connection closes.

pub mod api;
pub mod client;
mod http;
pub mod ops;

#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod identity;
#[cfg(feature = "server")]
mod listen;
#[cfg(feature = "server")]
pub mod lti;
#[cfg(feature = "server")]
mod routes;
#[cfg(feature = "server")]
mod tls;

#[cfg(feature = "server")]
pub use listen::serve;
#[cfg(feature = "server")]
pub use routes::{App, PeerUid, SetClock, TlsPeer, close_due, closer, router};

/// Where the server writes its log lines (the command prints them to stderr, for the journal).
pub type Log = std::sync::Arc<dyn Fn(&str) + Send + Sync>;
