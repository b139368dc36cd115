//! The daemon's life: the database opened private to the server's user (its folder 0700, its files 0600), the Unix
//! socket bound with the configured mode and, with `[tls]`, a TCP address served over TLS; connections accepted
//! from both (at most `max_connections` at once between them, one request each, the TLS handshake and then the
//! head each within `header_timeout_secs`), each socket connection's uid read from the kernel (`SO_PEERCRED`), each
//! TLS one's address kept for the rate limits; and on SIGTERM or Ctrl-C, no new connection, the socket removed, and
//! the requests under way finished. With `[lti]`, the outbox's sender runs beside them.

use super::Log;
use super::config::{self, Config};
use super::identity::TeacherList;
use super::lti::{Lti, ags};
use super::routes::{self, App, ClassPages, PeerUid, TlsPeer};
use super::tls::Certified;
use crate::error::{Error, Result};
use crate::server::ops::Backend;
use crate::store::{self, Store};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, PermissionsExt};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, UnixListener};
use tokio::signal::unix::{SignalKind, signal};
use tower::ServiceExt;

/// How long a request's work may run before its connection is dropped: a backstop against a stuck thread, far above
/// any real request (the work itself is never cut off by the request time limit, which is for receiving it).
const WORK_BACKSTOP: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Runs the server of the configuration file `config_path` until SIGTERM or Ctrl-C.
pub fn serve(config_path: &Path, log: Log) -> Result<()> {
    let config = config::load(config_path)?;
    let teachers = TeacherList::resolve(&config.teachers)
        .map_err(|m| Error::InvalidData(format!("{}: {m}", config_path.display())))?;
    // Whatever the server creates (its folder, the database, its journal, the socket before its mode is set) is
    // its user's alone.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let repo = open_storage(&config)?;
    let certified = match &config.tls {
        Some(tls) => Some(Certified::load(tls, log.clone())?),
        None => None,
    };
    let lti = match &config.lti {
        Some(lti) => Some(Arc::new(Lti::load(lti, log.clone()).map_err(|e| {
            Error::InvalidData(format!("{}: [lti]: {e}", config_path.display()))
        })?)),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the server", e))?;
    let app = App {
        repo,
        teachers: Arc::new(teachers),
        limits: config.limits.clone(),
        log,
        clock: Arc::new(crate::session::SystemClock),
        lti,
        gate: App::gate(config.postgres.as_ref().map(|p| p.pool_size)),
        pages: Arc::new(ClassPages::new(
            config.tls.is_some(),
            config
                .tls
                .as_ref()
                .and_then(|t| t.url.clone())
                .or_else(|| config.lti.as_ref().map(|l| l.url.clone())),
        )),
    };
    // The accept loop runs as a task on a worker, not on this thread: a connection it spawns then starts on the
    // same worker as soon as the loop waits again, instead of waking another thread (on a busy machine, each wake-up
    // of another thread is a wait for a core, and they add up into a push's latency).
    let served = runtime.block_on(async {
        let (config, app, certified) = (config.clone(), app.clone(), certified);
        tokio::spawn(async move { run(&config, app, certified).await })
            .await
            .map_err(|e| Error::Server(format!("the server's accept loop stopped: {e}")))?
    });
    // The last handle on the storage is dropped here, outside the runtime: the PostgreSQL driver's synchronous
    // connections each own a small runtime, and dropping one inside an async context aborts the process.
    drop(runtime);
    drop(app);
    served
}

/// The server's storage: the SQLite file; or, with `[postgres]`, the PostgreSQL pool (migrated first as the owner
/// when `owner_url` is given).
fn open_storage(config: &Config) -> Result<Arc<dyn Backend>> {
    let Some(pg) = &config.postgres else {
        return Ok(Arc::new(Mutex::new(open_private(config)?)));
    };
    if pg.owner_url.is_some() {
        store::pg::migrate(&mut pg.owner("migrating")?, &pg.app_role()?)?;
    }
    Ok(Arc::new(store::pg::Pg::connect(&pg.url, pg.pool_size)?))
}

/// Opens the database, making the state folder 0700 and the database and its companion files 0600 (a database
/// brought from a lab may have been readable by everyone).
fn open_private(config: &Config) -> Result<Store> {
    let dir = &config.state_directory;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .and_then(|_| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)))
        .map_err(|e| {
            Error::io(
                format!("cannot make {} the server's own folder", dir.display()),
                e,
            )
        })?;
    let db = config.database();
    let store = Store::open(&db)?;
    if store.read_only {
        return Err(Error::ReadOnly(format!(
            "the server's database {} is not writable by the server's user",
            db.display()
        )));
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.clone().into_os_string();
        name.push(suffix);
        let file = Path::new(&name);
        if file.exists() {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| Error::io(format!("cannot make {} private", file.display()), e))?;
        }
    }
    Ok(store)
}

/// Binds the socket at `path` with `mode`. A socket left by a server that died is replaced; one that a running
/// server answers on, or a file that is not a socket, is left alone and refused.
fn bind(path: &Path, mode: u32) -> Result<UnixListener> {
    if let Some(dir) = path.parent().filter(|d| !d.exists()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .and_then(|_| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)))
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(Error::Usage(format!(
                    "a server is already listening on {}",
                    path.display()
                )));
            }
            std::fs::remove_file(path).map_err(|e| {
                Error::io(
                    format!("cannot remove the old socket {}", path.display()),
                    e,
                )
            })?;
        }
        Ok(_) => {
            return Err(Error::Usage(format!(
                "{} exists and is not a socket: it is left alone (choose another socket path)",
                path.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(format!("cannot use {}", path.display()), e)),
    }
    let listener = UnixListener::bind(path)
        .map_err(|e| Error::io(format!("cannot listen on {}", path.display()), e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(format!("cannot set the mode of {}", path.display()), e))?;
    Ok(listener)
}

/// Accepts the next TCP connection, or waits for ever when there is no TLS listener.
async fn accept_tcp(
    tcp: Option<&TcpListener>,
) -> std::io::Result<(tokio::net::TcpStream, std::net::SocketAddr)> {
    match tcp {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

async fn run(config: &Config, app: App, certified: Option<Certified>) -> Result<()> {
    let path = &config.socket.path;
    let listener = bind(path, config.socket.mode)?;
    let tcp = match &config.tls {
        Some(tls) => Some(
            TcpListener::bind(tls.listen)
                .await
                .map_err(|e| Error::io(format!("cannot listen on {}", tls.listen), e))?,
        ),
        None => None,
    };
    let certified = certified.map(Arc::new);
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| Error::io("cannot catch SIGTERM", e))?;
    (app.log)(&format!(
        "detente {} serving {} on {} (mode {:o}){}, pid {}",
        env!("CARGO_PKG_VERSION"),
        match &config.postgres {
            Some(pg) => format!("PostgreSQL ({} connections)", pg.pool_size),
            None => config.database().display().to_string(),
        },
        path.display(),
        config.socket.mode,
        match tcp.as_ref().and_then(|t| t.local_addr().ok()) {
            Some(addr) => format!(" and on {addr} over TLS"),
            None => String::new(),
        },
        std::process::id()
    ));
    // Attempts whose time ran out while the server was down are closed before the first request; then the closer
    // closes each at its deadline, whoever is online.
    let recovered = routes::close_due(&app).await;
    if recovered > 0 {
        (app.log)(&format!(
            "closer: {recovered} exam attempt(s) that ran out while the server was down closed at their deadline"
        ));
    }
    let closer = tokio::spawn(routes::closer(app.clone()));
    let router = routes::router(app.clone());
    if let Some(lti) = app.lti.clone() {
        tokio::spawn(send_scores(app.repo.clone(), lti));
    }
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(app.limits.max_connections));
    let stop = async {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "Ctrl-C",
        }
    };
    tokio::pin!(stop);
    let lifetime = app.limits.header_timeout() + app.limits.request_timeout() + WORK_BACKSTOP;
    let http = {
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(app.limits.header_timeout())
            .keep_alive(false);
        http
    };
    let reason =
        loop {
            let permit = tokio::select! {
                permit = permits.clone().acquire_owned() => permit,
                reason = &mut stop => break reason,
            };
            let Ok(permit) = permit else {
                break "no more connections";
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted.map(|(s, _)| Incoming::Socket(s)),
                accepted = accept_tcp(tcp.as_ref()) => accepted.map(|(s, a)| Incoming::Tcp(s, a)),
                reason = &mut stop => break reason,
            };
            let stream = match accepted {
                Ok(stream) => stream,
                Err(e) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    (app.log)(&format!("error: cannot accept a connection: {e}"));
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let router = router.clone();
            let watcher = graceful.watcher();
            let http = http.clone();
            match stream {
                Incoming::Socket(stream) => {
                    let uid = match stream.peer_cred() {
                        Ok(cred) => cred.uid(),
                        Err(e) => {
                            (app.log)(&format!("error: a connection without credentials: {e}"));
                            continue;
                        }
                    };
                    let service = hyper::service::service_fn(move |mut req| {
                        req.extensions_mut().insert(PeerUid(uid));
                        router.clone().oneshot(req)
                    });
                    let connection =
                        watcher.watch(http.serve_connection(TokioIo::new(stream), service));
                    tokio::spawn(async move {
                        // A connection that outlives its head's and its request's limits and the work's backstop
                        // together is dropped.
                        let _ = tokio::time::timeout(lifetime, connection).await;
                        drop(permit);
                    });
                }
                Incoming::Tcp(stream, addr) => {
                    let Some(acceptor) = certified.as_ref().map(|c| c.acceptor()) else {
                        continue;
                    };
                    let log = app.log.clone();
                    let handshake_limit = app.limits.header_timeout();
                    tokio::spawn(async move {
                        let stream =
                            match tokio::time::timeout(handshake_limit, acceptor.accept(stream))
                                .await
                            {
                                Ok(Ok(stream)) => stream,
                                Ok(Err(e)) => {
                                    log(&format!("{}: TLS handshake failed: {e}", addr.ip()));
                                    return;
                                }
                                Err(_) => {
                                    log(&format!(
                                        "{}: TLS handshake not done within {} s",
                                        addr.ip(),
                                        handshake_limit.as_secs()
                                    ));
                                    return;
                                }
                            };
                        let service = hyper::service::service_fn(move |mut req| {
                            req.extensions_mut().insert(TlsPeer(addr));
                            router.clone().oneshot(req)
                        });
                        let connection =
                            watcher.watch(http.serve_connection(TokioIo::new(stream), service));
                        let _ = tokio::time::timeout(lifetime, connection).await;
                        drop(permit);
                    });
                }
            }
        };
    closer.abort();
    let _ = closer.await;
    drop(listener);
    drop(tcp);
    let removed = std::fs::remove_file(path);
    (app.log)(&format!(
        "{reason}: stopping; socket {} {}",
        path.display(),
        match removed {
            Ok(()) => "removed".to_string(),
            Err(e) => format!("not removed: {e}"),
        }
    ));
    if tokio::time::timeout(lifetime, graceful.shutdown())
        .await
        .is_err()
    {
        (app.log)("stopped with requests still under way");
    } else {
        (app.log)("stopped");
    }
    Ok(())
}

/// The LTI outbox's sender: delivers the scores due, then sleeps until the next is due (at most a minute), or
/// until a teacher's push queues more. A failure of the database is logged and tried again a minute later.
async fn send_scores(repo: Arc<dyn Backend>, lti: Arc<Lti>) {
    loop {
        let now = chrono::Utc::now().timestamp();
        let (r, l) = (repo.clone(), lti.clone());
        let next = tokio::task::spawn_blocking(move || ags::deliver_due(r.as_ref(), &l, now)).await;
        let wait = match next {
            Ok(Ok(Some(due))) => (due - chrono::Utc::now().timestamp()).clamp(0, 60),
            Ok(Ok(None)) => 60,
            Ok(Err(e)) => {
                (lti.log)(&format!("error: lti: the outbox: {e}"));
                60
            }
            Err(e) => {
                (lti.log)(&format!("error: lti: the outbox's sender: {e}"));
                60
            }
        };
        let wait = std::time::Duration::from_secs(u64::try_from(wait).unwrap_or(60));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = lti.wake.notified() => {}
        }
    }
}

/// A connection just accepted: on the Unix socket, or over TCP (TLS to come) from an address.
enum Incoming {
    Socket(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream, std::net::SocketAddr),
}
