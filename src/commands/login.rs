//! `detente login SOCKET` and `detente login https://HOST:PORT CODE`, `logout` and `whoami`, and which server a
//! command after `login` goes to (`remote`: none when `--db` or `DETENTE_DB` names a local file). Before each, the
//! server says who the caller is (`/v1/hello`, which also checks both sides' protocol versions), and a `--learner`
//! or `DETENTE_LEARNER` that names someone else is refused (exit 77) naming who the caller really is. Over TLS, `login` registers this device with the learner's enrolment code
//! and keeps the device token it gets in the login file (mode 0600), revoking the token of the login it replaces;
//! `logout` revokes that token on the server. `login https://HOST:PORT --link` registers the device without a code
//! of the teacher's: it prints a short code the student enters on detente's LTI launch page in their course, and
//! waits for it.

use super::{Context, print, print_json, say, staged};
use crate::error::{Error, Result};
use crate::server::api::{self, Hello, Role};
use crate::server::client::{self, Login, Server, SocketLogin, TlsLogin};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The server saved by `login`, if a command should use it: none when the command was given a local database
/// (`--db` or `DETENTE_DB`).
pub fn remote(local_db: bool) -> Result<Option<Server>> {
    if local_db {
        return Ok(None);
    }
    client::saved_login()?
        .map(|login| login.server())
        .transpose()
}

/// Says hello to `server` and refuses a claimed learner who is not the caller.
fn connect(server: &Server, claimed: Option<&str>) -> Result<Hello> {
    let hello = server.hello()?;
    if let Some(claimed) = claimed.filter(|c| !hello.is_named_by(c)) {
        return Err(Error::Refused(format!(
            "the class server at {} knows you as {}: --learner (or DETENTE_LEARNER) cannot name anyone else \
             there, and it names {claimed}",
            server.socket().display(),
            hello.describe()
        )));
    }
    Ok(hello)
}

/// What `detente login` was given.
pub struct LoginArgs<'a> {
    /// A socket's path, or an `https://` URL.
    pub target: &'a str,
    /// The enrolment code (over TLS only).
    pub code: Option<&'a str>,
    /// The certificate authority to trust for the server (over TLS only).
    pub ca_cert: Option<&'a Path>,
    /// What this device calls itself on the server (over TLS only).
    pub device_name: Option<&'a str>,
    /// Over TLS, link this device through the LTI launch page instead of an enrolment code.
    pub link: bool,
}

/// `detente login SOCKET` or `detente login https://HOST:PORT CODE`: checks that the server answers and knows the
/// caller (over TLS: registers this device with the code first), then saves how to reach it.
pub fn login(ctx: &Context, args: &LoginArgs<'_>, claimed: Option<&str>) -> Result<i32> {
    let tls = args.target.contains("://");
    let (login, hello, server) = if tls {
        login_tls(args, claimed)?
    } else {
        if args.code.is_some() || args.ca_cert.is_some() || args.device_name.is_some() || args.link
        {
            return Err(Error::Usage(format!(
                "{} is a socket: an enrolment code, --link, --ca-cert and --device-name are for a server over TLS \
                 (`detente login https://HOST:PORT CODE`)",
                args.target
            )));
        }
        let socket = std::path::absolute(args.target)
            .map_err(|e| Error::io(format!("cannot use {}", args.target), e))?;
        let server = Server::new(&socket);
        let hello = connect(&server, claimed)?;
        (Login::Socket(SocketLogin { socket }), hello, server)
    };
    // A device logged in again leaves no live token behind: the one it replaces is revoked (if the server answers).
    if let Ok(Some(previous @ Login::Tls(_))) = client::saved_login()
        && previous != login
    {
        let _ = previous
            .server()
            .and_then(|s| s.call::<(), api::Devices>("DELETE", "/v1/devices/self", None));
    }
    let file = save(ctx, &login)?;
    let now = match hello.role {
        Role::Teacher => {
            "The teacher's commands (`learner`, `deck import`, `exam load`, `exam results`, `exam extra-time`, \
             `stats --class`, `report`, `grades export`, `progress import`, `device`) now act on its database"
        }
        Role::Learner => {
            "Your study stays on this device and syncs with it when a `detente study` session ends, or with \
             `detente sync`; `exam list`, `exam run` and `exam review` are the server's exams"
        }
    };
    say(&format!(
        "Logged in to the class server at {} as {}; it runs detente {}. {now}; `--db FILE` works on a local file \
         instead. Saved in {}{}.",
        server.socket().display(),
        hello.describe(),
        hello.server_version,
        file.display(),
        if tls {
            " (readable by you alone: it holds this device's token)"
        } else {
            ""
        }
    ));
    Ok(0)
}

/// Registers this device with the enrolment code over TLS, then says hello with its new token.
fn login_tls(args: &LoginArgs<'_>, claimed: Option<&str>) -> Result<(Login, Hello, Server)> {
    let url = args.target.trim_end_matches('/').to_string();
    let code = args.code.filter(|c| !c.trim().is_empty());
    if code.is_none() && !args.link {
        return Err(Error::Usage(format!(
            "a server over TLS takes this device once your enrolment code is given: `detente login {url} CODE` \
             (the code your teacher gave you, as for `detente enrol`), or with `detente login {url} --link` \
             through detente's page in your course"
        )));
    }
    let ca_cert = args
        .ca_cert
        .map(|f| {
            std::path::absolute(f).map_err(|e| Error::io(format!("cannot use {}", f.display()), e))
        })
        .transpose()?;
    let anonymous = Server::tls(&url, ca_cert.as_deref(), None)?;
    let device_name = args
        .device_name
        .map(str::to_string)
        .unwrap_or_else(host_name);
    let registered: api::Registered = match code {
        Some(code) => anonymous.post(
            "/v1/devices",
            &api::Register {
                code: code.to_string(),
                device_name,
            },
        )?,
        None => link(&anonymous, &url, device_name)?,
    };
    let server = Server::tls(&url, ca_cert.as_deref(), Some(registered.token.clone()))?;
    let hello = match connect(&server, claimed) {
        Ok(hello) => hello,
        Err(e) => {
            // The device is not kept: its token goes with it.
            let _ = server.call::<(), api::Devices>("DELETE", "/v1/devices/self", None);
            return Err(e);
        }
    };
    let login = Login::Tls(TlsLogin {
        url,
        token: registered.token,
        ca_cert,
    });
    Ok((login, hello, server))
}

/// How often a linking device asks whether its code was entered.
const POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// Registers this device through the LTI launch page: asks the server for a short code, prints it, and asks every
/// [`POLL`] until the code was entered on detente's page in the course (or it expired).
fn link(server: &Server, url: &str, device_name: String) -> Result<api::Registered> {
    let started: api::LinkStarted =
        server.post("/v1/devices/link", &api::LinkRequest { device_name })?;
    say(&format!(
        "Open detente from your course (Moodle, Canvas or Blackboard) and enter this code on its page within {} \
         minutes: {}",
        started.expires_in / 60,
        started.code
    ));
    // Alone on standard output too, for a script (or a test) that reads it.
    print(&started.code)?;
    let poll = api::LinkPoll { poll: started.poll };
    loop {
        std::thread::sleep(POLL);
        let polled: api::LinkPolled = server.post("/v1/devices/link/poll", &poll).map_err(|e| match e {
            Error::Server(m) if m.contains("expired") => Error::Refused(format!(
                "{m} (the code was not entered on detente's page within {} minutes; `detente login {url} --link` \
                 again)",
                started.expires_in / 60
            )),
            e => e,
        })?;
        if let Some(registered) = polled.registered {
            return Ok(registered);
        }
    }
}

/// This machine's name, for the device's name on the server: the kernel's host name, else "this device".
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this device".to_string())
}

/// Writes the login file, readable by this user alone from its first byte (it may hold a device token).
fn save(ctx: &Context, login: &Login) -> Result<std::path::PathBuf> {
    let file = client::login_file().ok_or_else(|| {
        Error::Usage("cannot save the login: neither XDG_CONFIG_HOME nor HOME is set".to_string())
    })?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    let text = toml::to_string(login)
        .map_err(|e| Error::Usage(format!("cannot save {}: {e}", file.display())))?;
    let staged = staged::Staged::new(&file, "login", &ctx.db)?;
    let mut out = staged.create()?;
    out.get_ref()
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|_| out.write_all(text.as_bytes()))
        .and_then(|_| out.flush())
        .map_err(|e| Error::io(format!("cannot write {}", file.display()), e))?;
    drop(out);
    staged.finish()?;
    Ok(file)
}

/// `detente logout`: over TLS, revokes this device's token on the server; then forgets the saved server. A token
/// the server could not be asked to revoke is said, with its device for the teacher to revoke.
pub fn logout() -> Result<i32> {
    let Some(file) = client::login_file() else {
        say("Not logged in to a class server.");
        return Ok(0);
    };
    let login = client::saved_login();
    let mut not_revoked = None;
    if let Ok(Some(login @ Login::Tls(_))) = &login {
        match login
            .server()
            .and_then(|s| s.call::<(), api::Devices>("DELETE", "/v1/devices/self", None))
        {
            // Refused: the token is revoked or unknown already.
            Ok(_) | Err(Error::Refused(_)) => {}
            Err(e) => not_revoked = Some(e),
        }
    }
    match std::fs::remove_file(&file) {
        Ok(()) => say(&match &login {
            Ok(Some(l)) => format!("Logged out of the class server at {}.", l.address()),
            _ => format!("Removed {}.", file.display()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            say("Not logged in to a class server.");
        }
        Err(e) => return Err(Error::io(format!("cannot remove {}", file.display()), e)),
    }
    match not_revoked {
        None => Ok(0),
        Some(e) => Err(Error::Server(format!(
            "the saved login is removed, but this device's token could not be revoked on the server ({e}): ask \
             your teacher to revoke this device (`detente device revoke ID`)"
        ))),
    }
}

/// `detente whoami`: who the saved server says the caller is, and its version.
pub fn whoami(ctx: &Context, claimed: Option<&str>) -> Result<i32> {
    let Some(server) = remote(false)? else {
        return Err(Error::Usage(
            "not logged in to a class server: `detente login SOCKET` (or `detente login https://HOST:PORT \
             CODE`) first"
                .to_string(),
        ));
    };
    let hello = connect(&server, claimed)?;
    if ctx.json {
        print_json(&hello)?;
        return Ok(0);
    }
    let role = match (&hello.role, &hello.learner, &hello.teacher_by) {
        (Role::Teacher, learner, by) => format!(
            "teacher{}{}",
            by.as_ref()
                .map(|b| format!(" (by {b})"))
                .unwrap_or_default(),
            learner
                .as_ref()
                .map(|l| format!(", and learner {l} on the roster"))
                .unwrap_or_default()
        ),
        (Role::Learner, Some(l), _) => format!("learner {l}"),
        (Role::Learner, None, _) => "learner".to_string(),
    };
    match (&hello.device, hello.uid) {
        (Some(device), _) => print(&format!(
            "device   {} (id {}), registered over TLS",
            device.name, device.id
        ))?,
        (None, Some(uid)) => print(&format!("user     {} (uid {uid})", hello.user))?,
        (None, None) => print(&format!("user     {}", hello.user))?,
    }
    print(&format!("role     {role}"))?;
    print(&format!(
        "server   {} (detente {}, protocol {})",
        server.socket().display(),
        hello.server_version,
        hello.protocol
    ))?;
    Ok(0)
}

/// `detente learner list` on the class server (teachers only).
pub fn learner_list(ctx: &Context, server: &Server, claimed: Option<&str>) -> Result<i32> {
    connect(server, claimed)?;
    let rows = server.learners()?;
    super::learner::show(ctx, &rows)
}

/// Says hello to the saved server before a teacher's command on it (the protocol check, and `--learner`).
pub fn hello(server: &Server, claimed: Option<&str>) -> Result<Hello> {
    connect(server, claimed)
}
