//! `detente login SOCKET`, `logout` and `whoami`, and the commands that go to the class server after `login`
//! (`learner list`, unless `--db` or `DETENTE_DB` names a local file). Before each, the server says who the caller
//! is (`/v1/hello`, which also checks both sides' protocol versions), and a `--learner` or `DETENTE_LEARNER` that
//! names someone else is refused (exit 77) naming who the caller really is.

use super::{Context, print, print_json, say, staged};
use crate::error::{Error, Result};
use crate::server::api::{Hello, Role};
use crate::server::client::{self, Login, Server};
use std::path::Path;

/// The server saved by `login`, if a command should use it: none when the command was given a local database
/// (`--db` or `DETENTE_DB`).
pub fn remote(local_db: bool) -> Result<Option<Server>> {
    if local_db {
        return Ok(None);
    }
    Ok(client::saved_login()?.map(|login| Server::new(&login.socket)))
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

/// `detente login SOCKET`: checks that the server answers and knows the caller, then saves its address.
pub fn login(ctx: &Context, socket: &Path, claimed: Option<&str>) -> Result<i32> {
    let socket = std::path::absolute(socket)
        .map_err(|e| Error::io(format!("cannot use {}", socket.display()), e))?;
    let server = Server::new(&socket);
    let hello = connect(&server, claimed)?;
    let file = client::login_file().ok_or_else(|| {
        Error::Usage("cannot save the login: neither XDG_CONFIG_HOME nor HOME is set".to_string())
    })?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    let text = toml::to_string(&Login {
        socket: socket.clone(),
    })
    .map_err(|e| Error::Usage(format!("cannot save {}: {e}", socket.display())))?;
    staged::write(&file, "login", &ctx.db, text.as_bytes())?;
    say(&format!(
        "Logged in to the class server at {} as {}; it runs detente {}. `detente whoami` and `detente learner \
         list` now go to it; every other command works on the local database as before. Saved in {}.",
        socket.display(),
        hello.describe(),
        hello.server_version,
        file.display()
    ));
    Ok(0)
}

/// `detente logout`: forgets the saved server.
pub fn logout() -> Result<i32> {
    let Some(file) = client::login_file() else {
        say("Not logged in to a class server.");
        return Ok(0);
    };
    let login = client::saved_login();
    match std::fs::remove_file(&file) {
        Ok(()) => say(&match login {
            Ok(Some(l)) => format!("Logged out of the class server at {}.", l.socket.display()),
            _ => format!("Removed {}.", file.display()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            say("Not logged in to a class server.");
        }
        Err(e) => return Err(Error::io(format!("cannot remove {}", file.display()), e)),
    }
    Ok(0)
}

/// `detente whoami`: who the saved server says the caller is, and its version.
pub fn whoami(ctx: &Context, claimed: Option<&str>) -> Result<i32> {
    let Some(server) = remote(false)? else {
        return Err(Error::Usage(
            "not logged in to a class server: `detente login SOCKET` first".to_string(),
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
    print(&format!("user     {} (uid {})", hello.user, hello.uid))?;
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
