//! The class server end to end: a real `detente serve` on a socket in a temporary folder, started and stopped by
//! each test, and clients run as the test's own user and, as root (CI runs as root), as system users the test
//! creates and removes. The tests of the daemon need the `server` feature (`cargo test --all-features`); the
//! client's own refusals run in every build.

use crate::support::process;
use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// detente as a client of a class server: the test environment without `DETENTE_DB` (a local database would keep
/// commands off the server) and without a learner, its login kept in `config` (`XDG_CONFIG_HOME`) and its local
/// data in `data` (`XDG_DATA_HOME`).
pub(crate) fn client(home: &Path) -> Command {
    let mut cmd = process(&home.join("unused.db"));
    cmd.env_remove("DETENTE_DB")
        .env_remove("DETENTE_LEARNER")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"));
    cmd
}

pub(crate) fn run(mut cmd: Command, args: &[&str]) -> Output {
    cmd.args(args).output().expect("run detente")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fake class server that answers one request with `answer`, on a socket in `dir`; returns the socket's path.
fn fake_server(dir: &Path, answer: String) -> PathBuf {
    let socket = dir.join("fake.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head);
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    socket
}

/// Attack: a server from another protocol version (an old one left running, or a newer one) is not trusted to mean
/// what this client means: `login` refuses it, naming both versions, before saving anything.
#[test]
fn the_client_refuses_a_server_of_another_protocol_version() {
    let home = tempfile::tempdir().unwrap();
    let body = r#"{"server_version":"9.0.0","protocol":99,"protocol_min":99,"user":"ann","uid":1000,"role":"learner","learner":"ann","teacher_by":null}"#;
    let socket = fake_server(
        home.path(),
        format!(
            "HTTP/1.1 200 OK\r\ndetente-protocol: 99\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    let out = run(client(home.path()), &["login", socket.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(err.contains("speaks detente protocol 99"), "{err}");
    assert!(err.contains("speaks protocol 1"), "{err}");
    assert!(!home.path().join("config/detente/server.toml").exists());
}

/// Attack: a command run before `login`, or against a socket nobody serves, must not quietly fall back to acting on
/// something else: `whoami` says how to log in (exit 2), and `login` to a dead socket says it cannot reach it
/// (exit 69) and saves nothing.
#[test]
fn whoami_before_login_and_login_to_nothing_say_so() {
    let home = tempfile::tempdir().unwrap();
    let out = run(client(home.path()), &["whoami"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("detente login SOCKET"));
    let nothing = home.path().join("nobody.sock");
    let out = run(client(home.path()), &["login", nothing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(69), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("cannot reach the class server"));
    assert!(!home.path().join("config/detente/server.toml").exists());
}

/// Attack: an admin who runs `detente serve` on a build without the server must be told how to get one, not see a
/// usage error that hides it.
#[cfg(not(feature = "server"))]
#[test]
fn serve_without_the_feature_says_how_to_build_it() {
    let home = tempfile::tempdir().unwrap();
    let out = run(
        client(home.path()),
        &["serve", "--config", "/nonexistent.toml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--features server"));
}

#[cfg(feature = "server")]
pub(crate) mod daemon {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::net::UnixStream;
    use std::process::{Child, Stdio};
    use std::time::Duration;

    /// A running `detente serve`, its folder (configuration, state, socket) removed when dropped; the process is
    /// killed if the test did not stop it.
    pub struct Served {
        child: Option<Child>,
        pub dir: tempfile::TempDir,
        pub socket: PathBuf,
        log: PathBuf,
    }

    impl Served {
        /// The database the server will use (`state/detente.db`): fill it before [`Served::start`].
        pub fn database(dir: &Path) -> PathBuf {
            dir.join("state").join("detente.db")
        }

        /// Starts a server whose configuration is `extra` (TOML tables: teachers, limits) after the state folder
        /// and socket in `dir`, and waits for its socket.
        pub fn start(dir: tempfile::TempDir, extra: &str) -> Served {
            let socket = dir.path().join("run").join("class.sock");
            let config = dir.path().join("serve.toml");
            std::fs::write(
                &config,
                format!(
                    "state_directory = {:?}\n[socket]\npath = {:?}\nmode = 0o666\n{extra}",
                    dir.path().join("state"),
                    socket
                ),
            )
            .unwrap();
            let log = dir.path().join("serve.log");
            let child = process(&dir.path().join("unused.db"))
                .args(["serve", "--config", config.to_str().unwrap()])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap();
            let mut served = Served {
                child: Some(child),
                dir,
                socket,
                log,
            };
            // Bounded: the server is up when its socket answers; a server that exits is a failure with its log.
            for _ in 0..600 {
                if UnixStream::connect(&served.socket).is_ok() {
                    return served;
                }
                if let Some(status) = served.child.as_mut().unwrap().try_wait().unwrap() {
                    panic!("detente serve exited ({status}): {}", served.log());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            panic!("detente serve did not listen: {}", served.log());
        }

        pub fn log(&self) -> String {
            std::fs::read_to_string(&self.log).unwrap_or_default()
        }

        /// Sends SIGTERM and waits for the server to end; returns its exit code.
        pub fn stop(&mut self) -> Option<i32> {
            let mut child = self.child.take()?;
            let term = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(term.success());
            child.wait().unwrap().code()
        }
    }

    impl Drop for Served {
        fn drop(&mut self) {
            if let Some(mut child) = self.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    /// A database `db` with learners added through the binary, each `(name, username)`.
    pub fn roster(db: &Path, learners: &[(&str, &str)]) {
        for (name, username) in learners {
            let out = run(
                process(db),
                &["learner", "add", name, "--username", username],
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
    }

    /// This process's user name, as the server will find it.
    pub fn me() -> String {
        let out = Command::new("id").arg("-un").output().unwrap();
        text(&out.stdout).trim().to_string()
    }

    /// Sends raw bytes on the socket and reads the answer until the server closes (or resets) the connection.
    fn raw(socket: &Path, request: &[u8]) -> String {
        let mut stream = UnixStream::connect(socket).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let _ = stream.write_all(request);
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
        text(&answer)
    }

    /// Attack: the teacher's command goes to the server's database, not to a local file the caller controls:
    /// after `login`, `learner list` prints the server's roster; with `--db` it prints the local one.
    #[test]
    fn after_login_a_teacher_lists_the_servers_roster() {
        let dir = tempfile::tempdir().unwrap();
        roster(&Served::database(dir.path()), &[("zoe", "zoe-login")]);
        let served = Served::start(dir, &format!("[teachers]\nusers = [{:?}]\n", me()));
        let home = tempfile::tempdir().unwrap();
        let local = home.path().join("local.db");
        roster(&local, &[("localonly", "nobody-here")]);
        let out = run(
            client(home.path()),
            &["login", served.socket.to_str().unwrap()],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let out = run(client(home.path()), &["learner", "list"]);
        let list = text(&out.stdout);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(list.contains("zoe") && list.contains("zoe-login"), "{list}");
        assert!(!list.contains("localonly"), "{list}");
        let out = run(
            client(home.path()),
            &["--db", local.to_str().unwrap(), "learner", "list"],
        );
        assert!(text(&out.stdout).contains("localonly"));
        let out = run(client(home.path()), &["--json", "whoami"]);
        let hello: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(hello["role"], "teacher");
        assert_eq!(hello["user"], me());
        assert_eq!(hello["server_version"], env!("CARGO_PKG_VERSION"));
        let out = run(client(home.path()), &["logout"]);
        assert!(out.status.success());
        assert!(!home.path().join("config/detente/server.toml").exists());
    }

    /// Attack: a client sends a body far over the limit (a memory exhaustion attempt): it is refused from its
    /// declared length, 413 with the limit in words, before any of it is read or the caller looked up.
    #[test]
    fn a_request_over_the_size_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let served = Served::start(dir, "[limits]\nmax_request_bytes = 1024\n");
        let mut request =
            b"POST /v1/hello HTTP/1.1\r\nHost: x\r\ndetente-protocol: 1\r\nContent-Length: 2000000\r\n\r\n".to_vec();
        request.extend(std::iter::repeat_n(b'x', 2000));
        let answer = raw(&served.socket, &request);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(
            answer.contains("this server takes at most 1024"),
            "{answer}"
        );
        assert!(answer.contains("detente-protocol: 1"), "{answer}");
    }

    /// Attack: a client of another protocol version (an old detente on a lab machine, or none at all) is refused
    /// with a message that names both versions, before its request is looked at.
    #[test]
    fn a_client_of_another_protocol_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let served = Served::start(dir, &format!("[teachers]\nusers = [{:?}]\n", me()));
        let answer = raw(
            &served.socket,
            b"GET /v1/learners HTTP/1.1\r\nHost: x\r\ndetente-protocol: 99\r\n\r\n",
        );
        assert!(answer.starts_with("HTTP/1.1 426"), "{answer}");
        assert!(
            answer.contains("speaks protocol 1; your detente speaks protocol 99"),
            "{answer}"
        );
        assert!(!answer.contains("zoe"));
        let answer = raw(&served.socket, b"GET /v1/hello HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 426"), "{answer}");
        assert!(
            answer.contains("sent no detente protocol version"),
            "{answer}"
        );
    }

    /// Attack: a body trickled slower than the limit (slowloris after the head) must not hold a slot: the caller is
    /// a teacher, the head is whole, 10 of the 100 bytes promised arrive, then nothing: 408 after the request time
    /// limit, with the limit in words.
    #[test]
    fn a_body_that_does_not_arrive_in_time_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let served = Served::start(
            dir,
            &format!(
                "[teachers]\nusers = [{:?}]\n[limits]\nrequest_timeout_secs = 1\n",
                me()
            ),
        );
        let mut stream = UnixStream::connect(&served.socket).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream
            .write_all(
                b"POST /v1/teacher/learner-add HTTP/1.1\r\nhost: x\r\ndetente-protocol: 1\r\n\
                  content-type: application/json\r\ncontent-length: 100\r\n\r\n{\"name\": \"",
            )
            .unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
        let answer = text(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(
            answer.contains("within the server's limit of 1 s"),
            "{answer}"
        );
    }

    /// Attack: work that outlasts the request time limit (here the database held by another writer for 3 s, with a
    /// 1 s limit) must not be answered as a failure while it goes on to commit: the teacher's `learner add` waits,
    /// succeeds (exit 0), and the learner is in the server's database exactly once.
    #[test]
    fn work_past_the_time_limit_is_finished_and_answered() {
        let dir = tempfile::tempdir().unwrap();
        let db = Served::database(dir.path());
        roster(&db, &[("zoe", "zoe-login")]);
        let served = Served::start(
            dir,
            &format!(
                "[teachers]\nusers = [{:?}]\n[limits]\nrequest_timeout_secs = 1\n",
                me()
            ),
        );
        let home = tempfile::tempdir().unwrap();
        let out = run(
            client(home.path()),
            &["login", served.socket.to_str().unwrap()],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let holder = rusqlite::Connection::open(&db).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            holder.execute_batch("COMMIT").unwrap();
        });
        let out = run(
            client(home.path()),
            &["learner", "add", "Late Comer", "--username", "late"],
        );
        release.join().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let n: i64 = rusqlite::Connection::open(&db)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM learners WHERE username = 'late'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
        assert!(
            served.log().contains("POST /v1/teacher/learner-add 200"),
            "{}",
            served.log()
        );
    }

    /// Attack: a connection that sends nothing (slowloris) must not hold a slot for ever: the server closes it after
    /// its header timeout. (The read's own 60 s limit only keeps a broken server from hanging the test.)
    #[test]
    fn a_silent_connection_is_closed() {
        let dir = tempfile::tempdir().unwrap();
        let served = Served::start(dir, "[limits]\nheader_timeout_secs = 1\n");
        let mut stream = UnixStream::connect(&served.socket).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut buf = [0u8; 64];
        match stream.read(&mut buf) {
            Ok(n) => assert!(n < buf.len()),
            Err(e) => assert!(
                !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "the server kept a silent connection open: {e}"
            ),
        }
    }

    /// Attack: a stopped server must not leave its socket for clients to hang on, nor may a start destroy a file
    /// that is not its socket: SIGTERM ends it (exit 0) with the socket removed; a socket left by a dead server is
    /// replaced; a regular file at the socket's path is refused and left as it was.
    #[test]
    fn sigterm_removes_the_socket_and_a_start_replaces_only_a_dead_socket() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("run").join("class.sock");
        std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
        drop(UnixListener::bind(&socket).unwrap());
        assert!(socket.exists(), "a dead server's socket is left behind");
        let mut served = Served::start(dir, "");
        assert_eq!(
            std::fs::metadata(&served.socket)
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o666
        );
        assert_eq!(served.stop(), Some(0), "{}", served.log());
        assert!(!served.socket.exists(), "{}", served.log());
        assert!(
            served.log().contains("SIGTERM: stopping"),
            "{}",
            served.log()
        );
        std::fs::write(&served.socket, "not a socket").unwrap();
        let config = served.dir.path().join("serve.toml");
        let out = run(
            process(&served.dir.path().join("unused.db")),
            &["serve", "--config", config.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("is not a socket"));
        assert_eq!(
            std::fs::read_to_string(&served.socket).unwrap(),
            "not a socket"
        );
    }

    /// Attack: a configuration with a misspelt key would silently serve with a default (say, a socket open to all):
    /// it is refused with its file, line and column, exit 65, and nothing is served.
    #[test]
    fn a_wrong_configuration_is_refused_where_it_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("serve.toml");
        std::fs::write(&config, "[socket]\npath = \"/tmp/x.sock\"\nmod = 0o600\n").unwrap();
        let out = run(
            process(&dir.path().join("unused.db")),
            &["serve", "--config", config.to_str().unwrap()],
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(65), "{err}");
        assert!(
            err.contains(&format!("{}:3:1: unknown field `mod`", config.display())),
            "{err}"
        );
    }

    /// System users made for one test and removed when it ends, even when it fails.
    struct SystemUsers {
        users: Vec<String>,
        groups: Vec<String>,
    }

    impl SystemUsers {
        fn group(&mut self, name: &str) {
            let ok = Command::new("groupadd").arg(name).status().unwrap();
            assert!(ok.success(), "groupadd {name}");
            self.groups.push(name.to_string());
        }

        /// Adds a user with a group of their own, and `extra` as a supplementary group; returns (uid, gid).
        fn user(&mut self, name: &str, extra: Option<&str>) -> (u32, u32) {
            let mut cmd = Command::new("useradd");
            cmd.args([
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
            ]);
            if let Some(g) = extra {
                cmd.args(["--groups", g]);
            }
            let ok = cmd.arg(name).status().unwrap();
            assert!(ok.success(), "useradd {name}");
            self.users.push(name.to_string());
            let id = |flag: &str| -> u32 {
                let out = Command::new("id").args([flag, name]).output().unwrap();
                text(&out.stdout).trim().parse().unwrap()
            };
            (id("-u"), id("-g"))
        }
    }

    impl Drop for SystemUsers {
        fn drop(&mut self) {
            for u in &self.users {
                let _ = Command::new("userdel").arg(u).status();
            }
            for g in &self.groups {
                let _ = Command::new("groupdel").arg(g).status();
            }
        }
    }

    /// One of the test's system users, with a config folder of their own and the copied binary.
    struct As<'a> {
        bin: &'a Path,
        uid: u32,
        gid: u32,
        home: PathBuf,
    }

    impl As<'_> {
        fn new<'a>(bin: &'a Path, root: &Path, name: &str, (uid, gid): (u32, u32)) -> As<'a> {
            let home = root.join(name);
            std::fs::create_dir(&home).unwrap();
            std::os::unix::fs::chown(&home, Some(uid), Some(gid)).unwrap();
            As {
                bin,
                uid,
                gid,
                home,
            }
        }

        /// Runs the copied binary as this user, in a clean environment of their own; `env` adds variables.
        fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
            use std::os::unix::process::CommandExt;
            let mut cmd = Command::new(self.bin);
            cmd.env_clear()
                .env("HOME", &self.home)
                .env("NO_COLOR", "1")
                .envs(env.iter().copied())
                .current_dir(&self.home)
                .uid(self.uid)
                .gid(self.gid)
                .args(args);
            cmd.output().unwrap()
        }
    }

    /// Attack, as real system users against a real server (as root, as CI runs): identity comes from the kernel and
    /// nothing the client says changes it. B cannot act as A with `--learner` or `DETENTE_LEARNER` (refused, exit
    /// 77, naming B); B's `whoami` says B; B cannot open the server's database file (0600, in a 0700 folder); a
    /// learner is refused the teacher's command; a teacher named by user and one named by group get it; a user on
    /// no roster is refused. Fails, never skips, when not root.
    #[test]
    fn system_users_are_who_the_kernel_says() {
        let root = Command::new("id").arg("-u").output().unwrap();
        assert_eq!(
            text(&root.stdout).trim(),
            "0",
            "this test creates system users and must run as root, as CI does (sudo -E cargo test --all-features)"
        );
        let tag = format!(
            "dt{}{}",
            std::process::id() % 100_000,
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
                % 1000
        );
        let (a, b, t, g, staff) = (
            format!("{tag}a"),
            format!("{tag}b"),
            format!("{tag}t"),
            format!("{tag}g"),
            format!("{tag}staff"),
        );
        let mut users = SystemUsers {
            users: Vec::new(),
            groups: Vec::new(),
        };
        users.group(&staff);
        let ids_a = users.user(&a, None);
        let ids_b = users.user(&b, None);
        let ids_t = users.user(&t, None);
        let ids_g = users.user(&g, Some(&staff));

        // The binary, copied where every user can run it.
        let shared = tempfile::tempdir().unwrap();
        std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let bin = shared.path().join("detente");
        std::fs::copy(env!("CARGO_BIN_EXE_detente"), &bin).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();

        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = Served::database(dir.path());
        roster(&db, &[("ann", &a), ("bob", &b)]);
        let served = Served::start(
            dir,
            &format!("[teachers]\nusers = [{t:?}]\ngroups = [{staff:?}]\n"),
        );
        let socket = served.socket.to_str().unwrap();

        let user_a = As::new(&bin, shared.path(), &a, ids_a);
        let user_b = As::new(&bin, shared.path(), &b, ids_b);
        let teacher = As::new(&bin, shared.path(), &t, ids_t);
        let member = As::new(&bin, shared.path(), &g, ids_g);
        for who in [&user_a, &user_b, &teacher, &member] {
            let out = who.run(&["login", socket], &[]);
            assert!(out.status.success(), "{}: {}", who.uid, text(&out.stderr));
        }

        // B is B, whatever B claims.
        let out = user_b.run(&["whoami"], &[]);
        let said = text(&out.stdout);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            said.contains(&format!("user     {b} (uid {})", ids_b.0)),
            "{said}"
        );
        assert!(
            said.contains("learner bob") && !said.contains("ann"),
            "{said}"
        );
        let out = user_b.run(&["--learner", "ann", "whoami"], &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(77), "{err}");
        assert!(
            err.contains(&format!("knows you as learner bob (user {b})")),
            "{err}"
        );
        assert!(out.stdout.is_empty());
        let out = user_b.run(&["learner", "list"], &[("DETENTE_LEARNER", &a)]);
        assert_eq!(out.status.code(), Some(77), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(&format!("user {b}")));
        assert!(!text(&out.stdout).contains("ann"));

        // A learner is refused the teacher's command; B cannot open the server's database either.
        let out = user_b.run(&["learner", "list"], &[]);
        assert_eq!(out.status.code(), Some(77), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("is for this server's teachers"));
        assert!(!text(&out.stdout).contains("ann"));
        let out = user_b.run(&["--db", db.to_str().unwrap(), "learner", "list"], &[]);
        assert_ne!(out.status.code(), Some(0));
        assert!(!text(&out.stdout).contains("ann"), "{}", text(&out.stdout));
        assert!(
            text(&out.stderr)
                .to_lowercase()
                .contains("permission denied")
                || text(&out.stderr).contains("unable to open"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(std::fs::metadata(&db).unwrap().mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::metadata(db.parent().unwrap()).unwrap().mode() & 0o777,
            0o700
        );

        // Teachers by user and by group see the server's roster.
        for who in [&teacher, &member] {
            let out = who.run(&["learner", "list"], &[]);
            let list = text(&out.stdout);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert!(list.contains(&a) && list.contains(&b), "{list}");
        }
        let out = member.run(&["whoami"], &[]);
        assert!(
            text(&out.stdout).contains(&format!("teacher (by group {staff})")),
            "{}",
            text(&out.stdout)
        );

        // Someone on no roster and in no teacher group: refused, told who they are.
        let nobody = As::new(&bin, shared.path(), "nobody-home", (65534, 65534));
        let out = nobody.run(&["login", socket], &[]);
        assert_eq!(out.status.code(), Some(77), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("not on this class server's roster"));
        let log = served.log();
        assert!(
            log.contains(&format!(
                "uid {} learner bob (user {b}): GET /v1/learners 403",
                ids_b.0
            )),
            "{log}"
        );
    }
}
