//! A real `detente serve` on PostgreSQL for the tests ([`PgServed`]), on a database of the test cluster
//! (`support::pg`), with a SQLite course adopted into it first when a test asks (`detente admin adopt`). Kept apart
//! from `support::pg`, which the load bench includes on its own.

use super::pg::{APP, Db, OWNER, SUPERUSER};
use std::path::Path;

/// `detente serve` on a fresh PostgreSQL database of the test cluster (migrated by the server as the owner), on a
/// socket in a folder of its own (and with `tls`, on 127.0.0.1 over TLS with a certificate authority made here),
/// the test's user its teacher; stopped with SIGTERM when dropped.
pub struct PgServed {
    pub dir: tempfile::TempDir,
    pub server: std::process::Child,
    pub socket: std::path::PathBuf,
    pub log: std::path::PathBuf,
    /// The app role's connection string to the server's database.
    pub app_url: String,
    /// The owner's.
    pub owner_url: String,
    /// With TLS: `https://127.0.0.1:PORT` and the certificate authority's PEM file.
    pub tls: Option<(String, std::path::PathBuf)>,
}

impl PgServed {
    pub fn start(db: &Db, suffix: &str, tls: bool) -> PgServed {
        PgServed::adopting(db, suffix, tls, None)
    }

    /// As [`PgServed::start`], with the SQLite detente database `lab` (if given) adopted into the fresh database
    /// first by the real `detente admin adopt --config`, as an admin moves a course onto PostgreSQL.
    pub fn adopting(db: &Db, suffix: &str, tls: bool, lab: Option<&Path>) -> PgServed {
        use std::process::Stdio;
        let mut root = db.client(SUPERUSER);
        let fresh = format!("{}_{suffix}", db.name);
        root.batch_execute(&format!("CREATE DATABASE {fresh} OWNER {OWNER}"))
            .unwrap();
        let url = |role: &str| db.url(role).replace(&db.name, &fresh);
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("class.sock");
        let config = dir.path().join("serve.toml");
        let mut toml = format!(
            "state_directory = {:?}\n[socket]\npath = {socket:?}\n[teachers]\nusers = [{:?}]\n\
             [postgres]\nurl = {:?}\nowner_url = {:?}\npool_size = 4\n",
            dir.path().join("state"),
            crate::server::daemon::me(),
            url(APP),
            url(OWNER)
        );
        if tls {
            let (ca, cert, key) = crate::server_tls::pki();
            for (name, pem) in [("ca.pem", ca), ("cert.pem", cert), ("key.pem", key)] {
                std::fs::write(dir.path().join(name), pem).unwrap();
            }
            std::fs::set_permissions(
                dir.path().join("key.pem"),
                std::os::unix::fs::PermissionsExt::from_mode(0o600),
            )
            .unwrap();
            toml += &format!(
                "[tls]\nlisten = \"127.0.0.1:0\"\ncertificate = {:?}\nkey = {:?}\n",
                dir.path().join("cert.pem"),
                dir.path().join("key.pem")
            );
        }
        std::fs::write(&config, toml).unwrap();
        if let Some(lab) = lab {
            let out = crate::support::process(&dir.path().join("unused.db"))
                .args(["admin", "adopt", "--config"])
                .arg(&config)
                .arg(lab)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "admin adopt: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let log = dir.path().join("serve.log");
        let server = crate::support::process(&dir.path().join("unused.db"))
            .args(["serve", "--config", config.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut served = PgServed {
            dir,
            server,
            socket,
            log,
            app_url: url(APP),
            owner_url: url(OWNER),
            tls: None,
        };
        for _ in 0..600 {
            let said = served.said();
            let port = said
                .split(" over TLS")
                .next()
                .filter(|_| said.contains(" over TLS"))
                .and_then(|head| head.rsplit(':').next());
            if std::os::unix::net::UnixStream::connect(&served.socket).is_ok()
                && (!tls || port.is_some())
            {
                if let Some(port) = port.filter(|_| tls) {
                    served.tls = Some((
                        format!("https://127.0.0.1:{port}"),
                        served.dir.path().join("ca.pem"),
                    ));
                }
                return served;
            }
            if let Some(status) = served.server.try_wait().unwrap() {
                panic!("detente serve exited ({status}): {}", served.said());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("detente serve did not listen: {}", served.said())
    }

    pub fn said(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The client, logged in to this server from a config and data folder of its own.
    pub fn client(&self) -> std::process::Command {
        let mut cmd = crate::support::process(&self.dir.path().join("unused.db"));
        cmd.env_remove("DETENTE_DB")
            .env_remove("DETENTE_LEARNER")
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"));
        cmd
    }

    /// Runs the client with `args`, which must succeed; its output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.client().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{args:?}: {err}\n{}", self.said());
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// Stops the server with SIGTERM and waits for it.
    pub fn stop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.server.id().to_string()])
            .status();
        let _ = self.server.wait();
    }
}

impl Drop for PgServed {
    fn drop(&mut self) {
        if self.server.try_wait().ok().flatten().is_none() {
            self.stop();
        }
    }
}
