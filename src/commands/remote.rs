//! The teacher's commands over a class server, after `detente login` and without `--db` or `DETENTE_DB`: which
//! server a command goes to ([`teacher`]: the server must know the caller, and `--learner` may name no one else),
//! and one request to it ([`call`]: `POST /v1/teacher/OP` with the command's options as JSON; the answer is the
//! value the command shows, or the refusal the local command gives, with its exit code). The server runs the
//! same work on its database as a local command on a file (`server::ops`); each command's file shows the result,
//! so a command prints the same either way. A file a command reads is sent as its contents ([`upload`]); a file it
//! writes is written here.

use crate::error::{Error, Result};
use crate::server::api::{Done, Upload, UploadLimit};
use crate::server::client::Server;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;

/// The class server a teacher's command goes to: the one saved by `login`, unless the command was given a local
/// database (`--db` or `DETENTE_DB`). The server is asked who the caller is first (which checks both sides'
/// protocol versions), and a `--learner` or `DETENTE_LEARNER` that names someone else is refused (exit 77).
pub fn teacher(local_db: bool, claimed: Option<&str>) -> Result<Option<Server>> {
    let Some(server) = super::login::remote(local_db)? else {
        return Ok(None);
    };
    super::login::hello(&server, claimed)?;
    Ok(Some(server.patient()))
}

/// `POST /v1/teacher/{op}` with `body`: the value the command shows, or the error the local command would give (a
/// usage error, exit 2; invalid data, exit 65). A caller who is not a teacher is refused (exit 77).
pub fn call<B: Serialize, T: DeserializeOwned>(server: &Server, op: &str, body: &B) -> Result<T> {
    server
        .post::<B, Done<T>>(&format!("/v1/teacher/{op}"), body)?
        .into_result()
}

/// [`call`] with a file's contents in `body`: refused here, before anything is sent, when the request would be
/// larger than the server takes (`GET /v1/teacher/limits`), with the limit named (exit 69).
pub fn send<B: Serialize, T: DeserializeOwned>(
    server: &Server,
    op: &str,
    file: &str,
    body: &B,
) -> Result<T> {
    let size = serde_json::to_vec(body)
        .map_err(|e| Error::Server(format!("cannot write the request for {file}: {e}")))?
        .len();
    let limit: UploadLimit = server
        .get::<Done<UploadLimit>>("/v1/teacher/limits")?
        .into_result()?;
    if u64::try_from(size).unwrap_or(u64::MAX) > limit.max_request_bytes {
        return Err(Error::Server(format!(
            "{file}: sending it takes a request of {size} bytes, and the class server at {} takes at most {} (its \
             admin can raise `limits.max_request_bytes` in the server's configuration)",
            server.socket().display(),
            limit.max_request_bytes
        )));
    }
    call(server, op, body)
}

/// A file to send: its text and its name as given. A file that is not UTF-8 is refused here as `not_text` says.
pub fn upload(file: &Path, not_text: impl FnOnce(&str) -> Error) -> Result<Upload> {
    let name = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| Error::io(format!("cannot read {name}"), e))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Upload { name, text }),
        Err(_) => Err(not_text(&name)),
    }
}
