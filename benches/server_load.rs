//! The class server under load, on SQLite and on PostgreSQL: a real `detente serve` (this package's binary) on a
//! temporary socket, and simulated students, each a thread that connects as a system user of its own (the kernel
//! is who the server asks, so the bench makes `STUDENTS` system users and removes them at the end), pushing batches
//! of `BATCH` review events and pulling their log, at 50 and at 500 concurrent clients. It prints events per
//! second, p50 and p99 push and pull latency and the server's peak memory (VmHWM), beside the floor: the same
//! pushes and pulls made directly on the repository the server uses (`ClassStore::push` and `pull_page` in this
//! process, no HTTP; and `append_events` alone), on a database of their own, measured just before and just after
//! the server in the same run so that the ratio holds on a machine whose other load comes and goes. The deck has
//! `DECK_CARDS` cards, so a push touches cards with short histories, as a real sync does. Then the cost per event
//! and what it means for 20,000 students x 200 reviews a day.
//!
//! Those runs are closed loops: every client pushes again as soon as it is answered, so 500 clients keep 500
//! requests queued and latency is queueing, not service. The open-loop runs after them measure latency at a given
//! load: 500 connected clients whose pushes (of `OPEN_BATCH` events, a student's sync) arrive at random (Poisson)
//! at a fixed total rate: the research's worst hour for 20,000 students (17 pushes/s: 60,000 pushes a day all in one
//! hour), and 5 and 10 times that.
//!
//! PostgreSQL runs on a throwaway cluster (`tests/it/support/pg.rs`, included here: `initdb` in a temporary folder
//! as an unprivileged system user, Unix socket only) with `fsync` on, as SQLite runs with synchronous=FULL.
//!
//! Needs root (it creates system users, and each client thread takes its student's uid with a per-thread
//! `setresuid`) and, for PostgreSQL, PostgreSQL 15's programs. Run with
//! `cargo bench --all-features --bench server_load` (a few minutes; `-- --help` for its options). It never runs in
//! `cargo test`, and asserts nothing about time.
//!
//! One concern: one measurement (the server against its floor, per backend), whose setup, clients and report
//! only make sense together.

// A bench may unwrap: a panic is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../tests/it/support/pg.rs"]
mod pg;

use detente::bundle::BundleReview;
use detente::deck::parse_deck;
use detente::server::client::Server;
use detente::store::pg::Pg;
use detente::store::{ClassStore, Store};
use detente::sync::{Body, Cursor, DeckFile, Event, Key, PULL_PAGE, Publish, Pulled, Push, Pushed};
use detente::time::{Day, UnixMs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// System users (roster learners); client `i` is student `i % STUDENTS`, so at 500 clients each has 10 devices.
const STUDENTS: usize = 50;
/// Events per push, and pushes per client (each followed by a pull to the end).
const BATCH: usize = 50;
const ROUNDS: usize = 3;
const CLIENTS: [usize; 2] = [50, 500];
/// The open-loop runs: clients, events per push, how long, and the total arrival rates (pushes/s).
const OPEN_CLIENTS: usize = 500;
const OPEN_BATCH: usize = 67;
/// The floor measures its rate on at most this many events (its first pushes, in the server's order): enough for a
/// rate, and on PostgreSQL under load the floor's 75,000 events at 500 clients would take most of an hour.
const FLOOR_EVENTS: usize = 10_000;
/// How long each open-loop run offers pushes.
const OPEN_SECS: u64 = 20;
const OPEN_RATES: [f64; 3] = [17.0, 85.0, 170.0];

/// The simulated students' system users, removed when dropped (even on a panic).
struct Users(Vec<(String, u32)>);

impl Users {
    fn create(n: usize) -> Users {
        let tag = std::process::id() % 100_000;
        let mut users = Users(Vec::new());
        for i in 0..n {
            let name = format!("dtload{tag}u{i}");
            let ok = Command::new("useradd")
                .args(["-M", "-N", "-s", "/usr/sbin/nologin", &name])
                .status()
                .unwrap();
            assert!(ok.success(), "useradd {name}");
            let uid = nix::unistd::User::from_name(&name)
                .unwrap()
                .unwrap()
                .uid
                .as_raw();
            users.0.push((name, uid));
        }
        users
    }
}

impl Drop for Users {
    fn drop(&mut self) {
        for (name, _) in &self.0 {
            let _ = Command::new("userdel").arg(name).status();
        }
    }
}

/// A running `detente serve`, killed when dropped.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Cards in the bench's deck: a term's worth, so that a push of a few dozen reviews touches as many cards, each
/// with a short history, as a student's sync does (the sample deck's 11 cards would put every review on the same
/// few cards and make each push re-derive a learner's whole log).
const DECK_CARDS: usize = 2_000;

/// The bench's deck ("sample", `DECK_CARDS` text cards).
fn sample() -> detente::deck::Deck {
    parse_deck("load.toml", &sample_text()).0.unwrap()
}

/// `n` review events of `device` from sequence `from`, on the deck's cards in turn, a minute apart, ending
/// before now.
fn events(device: &str, from: i64, n: usize, cards: &[String]) -> Vec<Event> {
    let now = chrono::Utc::now().timestamp_millis();
    (0..n as i64)
        .map(|k| {
            let seq = from + k;
            let at = now - 86_400_000 * 30 + seq * 60_000;
            Event {
                key: Key {
                    device: device.to_string(),
                    seq,
                },
                body: Body::Review(Box::new(BundleReview {
                    deck: "sample".into(),
                    card: cards[seq as usize % cards.len()].clone(),
                    sibling: 0,
                    reviewed_at: UnixMs(at),
                    day: Day(at / 86_400_000),
                    mode: "study".into(),
                    response: "\"x\"".into(),
                    correct: true,
                    rule: "exact".into(),
                    rating: 3,
                    duration_ms: 4_000,
                    phase_before: 0,
                    step_before: None,
                    stability_before: None,
                    difficulty_before: None,
                    due_before: None,
                    last_review_before: None,
                    last_day_before: None,
                    interval_before: None,
                    reps_before: None,
                    lapses_before: None,
                    leech_before: None,
                    phase_after: 1,
                    step_after: 0,
                    stability_after: 1.0,
                    difficulty_after: 5.0,
                    due_after: at / 1000 + 600,
                    interval_days: 0,
                    elapsed_days: 0,
                    exam_day: None,
                    exam_shortened_from: None,
                })),
            }
        })
        .collect()
}

/// A device id for client `i` of a run.
fn device(run: usize, i: usize) -> String {
    format!("{:016x}{:016x}", run as u64 + 1, i as u64)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// What one run measured.
struct Measured {
    events: usize,
    wall: Duration,
    push: Vec<Duration>,
    pull: Vec<Duration>,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.events as f64 / self.wall.as_secs_f64()
    }
}

/// Sorts and names the latencies.
fn latencies(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (percentile(&v, 0.5), percentile(&v, 0.99))
}

/// The deck's text, as a teacher publishes it.
fn sample_text() -> String {
    let mut text = String::from("[deck]\nid = \"sample\"\ntitle = \"Load\"\n");
    for i in 0..DECK_CARDS {
        text.push_str(&format!(
            "\n[[card]]\nid = \"c{i}\"\nkind = \"text\"\nprompt = \"Question {i}?\"\nanswers = [\"answer {i}\"]\n"
        ));
    }
    text
}

/// The floor: the same batches pushed directly on the repository the server uses (`ClassStore`, in this process,
/// one transaction per batch, no HTTP, no identity, no thread hop), either appended only (`append_events`) or as
/// the push handler does (`push`: append, re-derive the touched cards, `held`), and each client's pull to the end
/// (`pull_page`) after each batch. `learners` are the repository's learner ids of the students.
fn floor(
    repo: &dyn ClassStore,
    learners: &[i64],
    clients: usize,
    rederive: bool,
    cards: &[String],
) -> Measured {
    let now = chrono::Utc::now().timestamp();
    let mut m = Measured {
        events: 0,
        wall: Duration::ZERO,
        push: Vec::new(),
        pull: Vec::new(),
    };
    let mut cursors = vec![Cursor(0); clients];
    let start = Instant::now();
    'all: for round in 0..ROUNDS {
        for (i, cursor) in cursors.iter_mut().enumerate() {
            if m.events >= FLOOR_EVENTS {
                break 'all;
            }
            let learner = learners[i % STUDENTS];
            let dev = device(9, i);
            let batch = events(&dev, (round * BATCH) as i64 + 1, BATCH, cards);
            let t = Instant::now();
            let added = if rederive {
                repo.push(learner, &dev, &batch, now).unwrap().report.added
            } else {
                repo.append_events(learner, &batch, now).unwrap().added
            };
            m.push.push(t.elapsed());
            m.events += added;
            loop {
                let t = Instant::now();
                let (page, _) = repo.pull_page(learner, *cursor, PULL_PAGE).unwrap();
                m.pull.push(t.elapsed());
                *cursor = page.next;
                if !page.more {
                    break;
                }
            }
        }
    }
    m.wall = start.elapsed();
    m
}

/// A fresh database of `backend` holding the deck and the students (named `s0`.., with `usernames` if given):
/// its repository and the students' learner ids.
/// For PostgreSQL, also the database's URL for the app role.
fn fresh(
    backend: &Backend,
    dir: &Path,
    name: &str,
    usernames: Option<&Users>,
) -> (Arc<dyn ClassStore>, Vec<i64>, Option<String>) {
    let publish = Publish {
        decks: vec![DeckFile {
            file: "load.toml".into(),
            text: sample_text(),
        }],
        dry_run: false,
        reset_changed: false,
    };
    let (repo, url): (Arc<dyn ClassStore>, _) = match backend {
        Backend::Sqlite => (
            Arc::new(Mutex::new(
                Store::open(&dir.join(format!("{name}.db"))).unwrap(),
            )),
            None,
        ),
        Backend::Postgres(cluster) => {
            let db = cluster.database();
            let url = db.url(pg::APP);
            (Arc::new(Pg::connect(&url, 8).unwrap()), Some(url))
        }
    };
    repo.publish(&publish, "bench", 0).unwrap();
    let learners = (0..STUDENTS)
        .map(|i| {
            let username = usernames.map(|u| u.0[i].0.as_str());
            repo.add_learner(&format!("s{i}"), username, 0)
                .unwrap()
                .unwrap()
                .id
        })
        .collect();
    (repo, learners, url)
}

/// Client `i` of a run: takes its student's uid (this thread only), then pushes and pulls `ROUNDS` times.
fn client(
    socket: &Path,
    run: usize,
    i: usize,
    uid: u32,
    cards: &[String],
) -> (Vec<Duration>, Vec<Duration>, usize) {
    // SAFETY: a raw syscall with integer arguments only: setresuid on this thread alone (glibc's setuid would
    // change every thread of the process).
    let rc = unsafe { nix::libc::syscall(nix::libc::SYS_setresuid, -1i64, i64::from(uid), -1i64) };
    assert_eq!(rc, 0, "setresuid");
    let server = Server::new(socket);
    let dev = device(run, i);
    let (mut push, mut pull, mut added) = (Vec::new(), Vec::new(), 0);
    let mut cursor = Cursor(0);
    for round in 0..ROUNDS {
        let batch = events(&dev, (round * BATCH) as i64 + 1, BATCH, cards);
        let t = Instant::now();
        let answer: Pushed = server
            .post(
                "/v1/sync/push",
                &Push {
                    device: dev.clone(),
                    events: batch,
                },
            )
            .unwrap();
        push.push(t.elapsed());
        added += answer.report.added;
        loop {
            let t = Instant::now();
            let page: Pulled = server
                .get(&format!(
                    "/v1/sync/pull?cursor={}&limit={PULL_PAGE}",
                    cursor.0
                ))
                .unwrap();
            pull.push(t.elapsed());
            cursor = page.page.next;
            if !page.page.more {
                break;
            }
        }
    }
    (push, pull, added)
}

fn over_server(
    socket: &Path,
    run: usize,
    clients: usize,
    users: &Users,
    cards: &[String],
) -> Measured {
    let start = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|i| {
            let socket = socket.to_path_buf();
            let uid = users.0[i % STUDENTS].1;
            let cards = cards.to_vec();
            std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || client(&socket, run, i, uid, &cards))
                .unwrap()
        })
        .collect();
    let mut m = Measured {
        events: 0,
        wall: Duration::ZERO,
        push: Vec::new(),
        pull: Vec::new(),
    };
    for h in handles {
        let (push, pull, added) = h.join().unwrap();
        m.push.extend(push);
        m.pull.extend(pull);
        m.events += added;
    }
    m.wall = start.elapsed();
    m
}

/// Where an open-loop client sends its pushes: the server, or straight to the repository (the open loop's floor:
/// the same arrivals, threads and transactions, without HTTP, identity or the server's threads).
#[derive(Clone)]
enum Target {
    Server(PathBuf),
    Repo(Arc<dyn ClassStore>, Arc<Vec<i64>>),
}

/// Client `i` of an open-loop run: takes its student's uid, then pushes, each push after a wait drawn from an
/// exponential distribution with mean `mean` (seeded by `i`), until `OPEN_SECS` have passed, so that
/// `OPEN_CLIENTS` clients together offer pushes at random at the run's rate. Returns each push's latency.
fn open_client(
    target: &Target,
    run: usize,
    i: usize,
    uid: u32,
    mean: Duration,
    cards: &[String],
) -> Vec<Duration> {
    use rand_core::{Rng, SeedableRng};
    let server = match target {
        Target::Server(socket) => {
            // SAFETY: as in `client`: setresuid on this thread alone.
            let rc = unsafe {
                nix::libc::syscall(nix::libc::SYS_setresuid, -1i64, i64::from(uid), -1i64)
            };
            assert_eq!(rc, 0, "setresuid");
            Some(Server::new(socket))
        }
        Target::Repo(..) => None,
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64((run * 100_000 + i) as u64);
    let dev = device(run, i);
    let mut latencies = Vec::new();
    let start = Instant::now();
    for round in 0.. {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let wait = mean.mul_f64(-(1.0 - u).ln());
        if start.elapsed() + wait > Duration::from_secs(OPEN_SECS) {
            break;
        }
        std::thread::sleep(wait);
        let batch = events(&dev, (round * OPEN_BATCH) as i64 + 1, OPEN_BATCH, cards);
        let t = Instant::now();
        match (&server, target) {
            (Some(server), _) => {
                let _: Pushed = server
                    .post(
                        "/v1/sync/push",
                        &Push {
                            device: dev.clone(),
                            events: batch,
                        },
                    )
                    .unwrap();
            }
            (None, Target::Repo(repo, learners)) => {
                let now = chrono::Utc::now().timestamp();
                repo.push(learners[i % STUDENTS], &dev, &batch, now)
                    .unwrap();
            }
            (None, Target::Server(_)) => unreachable!(),
        }
        latencies.push(t.elapsed());
    }
    latencies
}

/// An open-loop run at `rate` pushes/s in total for `OPEN_SECS`; returns the latencies and the rate achieved.
fn open_loop(
    target: &Target,
    run: usize,
    rate: f64,
    users: &Users,
    cards: &[String],
) -> (Vec<Duration>, f64) {
    let mean = Duration::from_secs_f64(OPEN_CLIENTS as f64 / rate);
    let start = Instant::now();
    let handles: Vec<_> = (0..OPEN_CLIENTS)
        .map(|i| {
            let target = target.clone();
            let uid = users.0[i % STUDENTS].1;
            let cards = cards.to_vec();
            std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || open_client(&target, run, i, uid, mean, &cards))
                .unwrap()
        })
        .collect();
    let all: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let achieved = all.len() as f64 / start.elapsed().as_secs_f64();
    (all, achieved)
}

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The storage a run is on.
enum Backend {
    Sqlite,
    /// A throwaway cluster with `fsync` on, each floor and the server on a database of their own.
    Postgres(pg::Cluster),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite (synchronous=FULL, WAL)",
            Backend::Postgres(_) => "PostgreSQL 15 (fsync on, Unix socket, pool of 8)",
        }
    }
}

const HELP: &str = "server_load: the class server under load, beside the floor, on SQLite and PostgreSQL.

cargo bench --all-features --bench server_load [-- OPTIONS]   (as root)

  --backend sqlite|postgres|both   which storage (default both)
  --closed-only                    skip the open-loop runs
  --rates R1,R2,..                 the open loops' offered rates, pushes/s (default 17,85,170)
  --help                           this text

Prints, per backend and client count, the server's events/s, push and pull p50/p99 and peak memory beside its
floor (the same pushes and pulls made directly on the repository, measured just before and just after the server
in the same run), the server's rate as a ratio of the floor's, and the cost per event for 20,000 students x 200
reviews a day. Asserts nothing about time.";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}");
        return;
    }
    let which = args
        .iter()
        .position(|a| a == "--backend")
        .and_then(|i| args.get(i + 1))
        .map_or("both", String::as_str)
        .to_string();
    let closed_only = args.iter().any(|a| a == "--closed-only");
    let rates: Vec<f64> = args
        .iter()
        .position(|a| a == "--rates")
        .and_then(|i| args.get(i + 1))
        .map_or(OPEN_RATES.to_vec(), |r| {
            r.split(',').map(|x| x.trim().parse().unwrap()).collect()
        });
    if !nix::unistd::geteuid().is_root() {
        eprintln!(
            "server_load needs root: it creates {STUDENTS} system users for the simulated students"
        );
        std::process::exit(1);
    }
    let users = Users::create(STUDENTS);
    let cards: Vec<String> = sample().cards.iter().map(|c| c.id.clone()).collect();
    println!(
        "server_load: {STUDENTS} students, a deck of {DECK_CARDS} cards, batches of {BATCH} events, {ROUNDS} push+pull \
         rounds per client; {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    if which == "sqlite" || which == "both" {
        run_backend(&Backend::Sqlite, &users, &cards, closed_only, &rates);
    }
    if which == "postgres" || which == "both" {
        let cluster = pg::Cluster::start(true);
        run_backend(
            &Backend::Postgres(cluster),
            &users,
            &cards,
            closed_only,
            &rates,
        );
    }
    println!("\nload average at the end: {}", load_average());
}

/// The 1-, 5- and 15-minute load averages, as `/proc/loadavg` has them.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One backend's runs: a `detente serve` on it, the closed loops at 50 and 500 clients between their floors, then
/// the open loops.
fn run_backend(
    backend: &Backend,
    users: &Users,
    cards: &[String],
    closed_only: bool,
    rates: &[f64],
) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_detente"));
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let (repo, _, url) = fresh(backend, &state, "detente", Some(users));
    drop(repo);
    let socket = dir.path().join("run").join("class.sock");
    let config = dir.path().join("serve.toml");
    let postgres = url.map_or(String::new(), |u| {
        format!("[postgres]\nurl = {u:?}\npool_size = 8\n")
    });
    std::fs::write(
        &config,
        format!(
            "state_directory = {state:?}\n[socket]\npath = {socket:?}\nmode = 0o666\n[limits]\nmax_connections = 1024\n\
             request_timeout_secs = 120\n{postgres}"
        ),
    )
    .unwrap();
    let child = Command::new(&bin)
        .args(["serve", "--config", config.to_str().unwrap()])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let _served = Served(child);
    for _ in 0..200 {
        if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("\n== {} ==", backend.name());
    for (run, &clients) in CLIENTS.iter().enumerate() {
        let (repo, learners, _) = fresh(backend, dir.path(), &format!("floor-{clients}"), None);
        let bare = floor(repo.as_ref(), &learners, clients, false, cards);
        drop(repo);
        let (repo, learners, _) = fresh(backend, dir.path(), &format!("before-{clients}"), None);
        let before = floor(repo.as_ref(), &learners, clients, true, cards);
        drop(repo);
        let served = over_server(&socket, run, clients, users, cards);
        let rss = peak_rss_kb(pid);
        let (repo, learners, _) = fresh(backend, dir.path(), &format!("after-{clients}"), None);
        let after = floor(repo.as_ref(), &learners, clients, true, cards);
        drop(repo);
        let (p50, p99) = latencies(served.push.clone());
        let (q50, q99) = latencies(served.pull.clone());
        println!(
            "\n{clients} concurrent clients ({} events pushed; load average {}):",
            served.events,
            load_average()
        );
        println!(
            "  server:              {:>9.0} events/s  push p50 {} p99 {}   pull p50 {} p99 {}   peak RSS {} MB",
            served.rate(),
            ms(p50),
            ms(p99),
            ms(q50),
            ms(q99),
            rss / 1024
        );
        for (name, f) in [
            ("floor (append)", &bare),
            ("floor (push) before", &before),
            ("floor (push) after", &after),
        ] {
            let (f50, f99) = latencies(f.push.clone());
            let (g50, g99) = latencies(f.pull.clone());
            println!(
                "  {name:<20} {:>9.0} events/s  push p50 {} p99 {}   pull p50 {} p99 {}   server's rate / floor's {:.2}",
                f.rate(),
                ms(f50),
                ms(f99),
                ms(g50),
                ms(g99),
                served.rate() / f.rate()
            );
        }
        let mean = 2.0 / (1.0 / before.rate() + 1.0 / after.rate());
        println!(
            "  server / floor (push, mean of before and after): {:.2}x   server / floor (append): {:.2}x",
            served.rate() / mean,
            served.rate() / bare.rate()
        );
        let per_event = served.wall.as_secs_f64() / served.events as f64;
        let day = 20_000.0 * 200.0;
        println!(
            "  cost per event (push and pull, wall): {:.1} us; 20,000 students x 200 reviews = {day:.0} events/day \
             = {:.0} s of server time a day ({:.1}% of 6 evening hours)",
            per_event * 1e6,
            per_event * day,
            per_event * day / (6.0 * 3600.0) * 100.0
        );
    }
    if closed_only {
        return;
    }
    println!(
        "\nOpen loop: {OPEN_CLIENTS} connected clients, pushes of {OPEN_BATCH} events arriving at random (Poisson) at a \
         fixed total rate for {OPEN_SECS} s; the floor: the same arrivals pushed straight to the repository:"
    );
    for (k, &rate) in rates.iter().enumerate() {
        let (lat, achieved) =
            open_loop(&Target::Server(socket.clone()), 10 + k, rate, users, cards);
        let (p50, p99) = latencies(lat);
        let (repo, learners, _) = fresh(backend, dir.path(), &format!("open-{k}"), None);
        let (flat, _) = open_loop(
            &Target::Repo(repo, Arc::new(learners)),
            10 + k,
            rate,
            users,
            cards,
        );
        let (f50, f99) = latencies(flat);
        println!(
            "  offered {rate:>5.0} pushes/s ({:>4.1}x the worst hour of 20,000 students): server {achieved:.1}/s, \
             push p50 {} p99 {}; floor p50 {} p99 {}; peak RSS {} MB; load average {}",
            rate / 17.0,
            ms(p50),
            ms(p99),
            ms(f50),
            ms(f99),
            peak_rss_kb(pid) / 1024,
            load_average()
        );
    }
}
