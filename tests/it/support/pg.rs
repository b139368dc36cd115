//! A throwaway PostgreSQL cluster for the tests (feature `server`): `initdb` into a temporary folder, run by
//! `pg_ctl` as an unprivileged system user the helper creates (PostgreSQL refuses to run as root, and the tests
//! run as root, as CI does), listening on a Unix socket in that folder only (`listen_addresses = ''`). Starting it
//! takes seconds, so one cluster serves the whole test binary ([`cluster`]) and each test takes a database of its
//! own ([`Cluster::database`]), migrated by the owner role with the app role granted its rows.
//!
//! A static is never dropped, so the cluster is stopped by a watcher process started with it: it waits for the
//! end of a pipe this process holds, which closes when the test binary exits however it exits, then stops the
//! server, removes the folder and the system user (unless another cluster still runs as it). If the cluster cannot start, the test that asked panics with PostgreSQL's log:
//! it never skips. `benches/server_load.rs` includes this file for its own cluster (with `fsync` on).

use detente::store::pg;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where Debian's PostgreSQL 15 keeps its programs (not on PATH).
const BIN: &str = "/usr/lib/postgresql/15/bin";
/// The system user the cluster runs as.
const OS_USER: &str = "detente-pgtest";
/// The cluster's superuser (made by `initdb`), the role that owns the tables, and the role the server connects as.
pub const SUPERUSER: &str = "detente_super";
pub const OWNER: &str = "detente_owner";
pub const APP: &str = "detente_app";

/// The running cluster.
pub struct Cluster {
    /// The folder that holds the data and the socket.
    pub dir: PathBuf,
    /// Closing it (dropping the cluster, or the process ending) tells the watcher to stop the cluster.
    _watcher: std::process::ChildStdin,
}

/// One test's database in the cluster.
pub struct Db {
    pub name: String,
    socket: PathBuf,
}

impl Db {
    /// A connection string for `role` (key=value form: the socket folder needs no escaping).
    pub fn url(&self, role: &str) -> String {
        format!(
            "host={} user={role} dbname={}",
            self.socket.display(),
            self.name
        )
    }

    /// A connection as `role`.
    pub fn client(&self, role: &str) -> postgres::Client {
        postgres::Client::connect(&self.url(role), postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to {} as {role}: {e}", self.name))
    }

    /// The server's pool, as the app role.
    pub fn store(&self) -> pg::Pg {
        pg::Pg::connect(&self.url(APP), 4).expect("the app role connects")
    }
}

fn run(what: &str, cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed: {said}");
    said
}

/// `program` of PostgreSQL's, run as [`OS_USER`] in `dir` (a folder that user can enter).
fn as_postgres(program: &str, dir: &Path) -> Command {
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", OS_USER, "--", &format!("{BIN}/{program}")])
        .current_dir(dir);
    cmd
}

/// The system user the cluster runs as, created if missing; its uid and gid.
fn os_user() -> (u32, u32) {
    let id = |flag: &str| {
        Command::new("id")
            .args([flag, OS_USER])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
    };
    if id("-u").is_none() {
        // Another test binary may be adding it at the same moment: the outcome is checked, not the exit status.
        let _ = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                OS_USER,
            ])
            .status();
    }
    match (id("-u"), id("-g")) {
        (Some(u), Some(g)) => (u, g),
        _ => panic!(
            "cannot create the system user {OS_USER} to run PostgreSQL (the tests need root)"
        ),
    }
}

impl Cluster {
    /// A cluster of its own, stopped when dropped; `durable`: with `fsync` on (as a real server runs, for the load
    /// bench, which includes this file), else off (the tests', which only need the rows).
    pub fn start(durable: bool) -> Cluster {
        assert!(
            Path::new(BIN).join("initdb").exists(),
            "PostgreSQL 15 is not installed ({BIN}/initdb is missing): `apt-get install postgresql-15` (.ci/run \
             does this)"
        );
        let (uid, gid) = os_user();
        let dir = tempfile::Builder::new()
            .prefix("detente-pg")
            .tempdir()
            .expect("a temporary folder")
            .keep();
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).expect("chown the cluster's folder");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let data = dir.join("data");
        let log = dir.join("log");
        // The watcher first, so that the folder goes even if starting fails below.
        let script = format!(
            "cat >/dev/null; runuser -u {OS_USER} -- {BIN}/pg_ctl -D '{}' -m immediate -w stop >/dev/null 2>&1; \
             rm -rf '{}'; userdel {OS_USER} >/dev/null 2>&1",
            data.display(),
            dir.display()
        );
        // In a process group of its own: a signal to the tests' group (Ctrl-C, a harness's time limit) ends the
        // tests, which closes the pipe, and the watcher lives on to clean up.
        // Never waited for: it outlives this process by design.
        #[allow(clippy::zombie_processes)]
        let watcher = Command::new("sh")
            .process_group(0)
            .current_dir(&dir)
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the cluster's watcher");
        let Some(stdin) = watcher.stdin else {
            panic!("the watcher has no stdin")
        };
        run(
            "initdb",
            as_postgres("initdb", &dir).args(["-D"]).arg(&data).args([
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-N",
            ]),
        );
        let options = format!(
            "-c listen_addresses='' -k {} -c fsync={} -c max_connections=100",
            dir.display(),
            if durable { "on" } else { "off" }
        );
        let started = as_postgres("pg_ctl", &dir)
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .output()
            .expect("run pg_ctl");
        if !started.status.success() {
            panic!(
                "the test PostgreSQL cluster did not start: {}{}\n{}",
                String::from_utf8_lossy(&started.stdout),
                String::from_utf8_lossy(&started.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        let cluster = Cluster {
            dir,
            _watcher: stdin,
        };
        let mut root = cluster.connect(SUPERUSER, "postgres");
        root.batch_execute(&format!(
            "CREATE ROLE {OWNER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
             CREATE ROLE {APP} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;"
        ))
        .expect("create the owner and app roles");
        cluster
    }

    fn connect(&self, role: &str, db: &str) -> postgres::Client {
        let url = format!("host={} user={role} dbname={db}", self.dir.display());
        postgres::Client::connect(&url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to the test cluster as {role}: {e}"))
    }

    /// A new database owned by the owner role, migrated by it, the app role granted its rows.
    pub fn database(&self) -> Db {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("t{}", NEXT.fetch_add(1, Ordering::Relaxed));
        self.connect(SUPERUSER, "postgres")
            .batch_execute(&format!("CREATE DATABASE {name} OWNER {OWNER}"))
            .expect("create a test database");
        let db = Db {
            name,
            socket: self.dir.clone(),
        };
        pg::migrate(&mut db.client(OWNER), APP).expect("migrate as the owner");
        db
    }
}

/// The test binary's one cluster, started on first use.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| Cluster::start(false))
}
