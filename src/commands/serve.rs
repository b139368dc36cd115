//! `detente serve`: runs the class server of a configuration file until SIGTERM or Ctrl-C, its log lines on stderr
//! (the journal, under systemd). A build without the `server` feature says how to get one.

use super::Context;
use crate::error::Result;
use std::path::Path;

/// `detente serve --config FILE`.
#[cfg(feature = "server")]
pub fn run(_ctx: &Context, config: &Path) -> Result<i32> {
    let log: crate::server::Log = std::sync::Arc::new(|line: &str| super::say_line(line));
    crate::server::serve(config, log)?;
    Ok(0)
}

/// `detente serve` in a build without the server.
#[cfg(not(feature = "server"))]
pub fn run(_ctx: &Context, _config: &Path) -> Result<i32> {
    Err(crate::error::Error::Usage(
        "this detente was built without the class server: build it with `cargo install --features server` \
         (see \"Running a class server\" in the README)"
            .to_string(),
    ))
}
