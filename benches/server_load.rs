//! The class server under load: a real `detente serve` (this package's binary) on a temporary socket with a SQLite
//! database, and simulated students, each a thread that connects as a system user of its own (the kernel is who
//! the server asks, so the bench makes `STUDENTS` system users and removes them at the end), pushing batches of
//! `BATCH` review events and pulling their log, at 50 and at 500 concurrent clients. It prints events per second,
//! p50 and p99 push and pull latency and the server's peak memory (VmHWM), beside the floor: the same appends
//! (`store::append_events`, one transaction per batch) and pulls (`store::pull_page`) made directly on a database
//! file, and the floor with the touched cards' states re-derived as the push handler does (`store::rederive_since`).
//! The deck has `DECK_CARDS` cards, so a push touches cards with short histories, as a real sync does. Then the cost per event and what
//! it means for 20,000 students x 200 reviews a day.
//!
//! Those runs are closed loops: every client pushes again as soon as it is answered, so 500 clients keep 500
//! requests queued and latency is queueing, not service. The open-loop runs after them measure latency at a given
//! load: 500 connected clients whose pushes (of `OPEN_BATCH` events, a student's sync) arrive at random (Poisson)
//! at a fixed total rate: the research's worst hour for 20,000 students (17 pushes/s: 60,000 pushes a day all in one
//! hour), and 5 and 10 times that.
//!
//! Needs root (it creates system users, and each client thread takes its student's uid with a per-thread
//! `setresuid`). Run with `cargo bench --features server --bench server_load` (about a minute). It never runs in
//! `cargo test`, and asserts nothing about time.

// A bench may unwrap: a panic is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use detente::bundle::BundleReview;
use detente::deck::parse_deck;
use detente::server::client::Server;
use detente::store::{self, Store};
use detente::sync::{Body, Cursor, Event, Key, PULL_PAGE, Pulled, Push, Pushed};
use detente::time::{Day, UnixMs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// System users (roster learners); client `i` is student `i % STUDENTS`, so at 500 clients each has 10 devices.
const STUDENTS: usize = 50;
/// Events per push, and pushes per client (each followed by a pull to the end).
const BATCH: usize = 50;
const ROUNDS: usize = 3;
const CLIENTS: [usize; 2] = [50, 500];
/// The open-loop runs: clients, events per push, pushes per client, and the total arrival rates (pushes/s).
const OPEN_CLIENTS: usize = 500;
const OPEN_BATCH: usize = 67;
const OPEN_PUSHES: usize = 2;
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
    let mut text = String::from("[deck]\nid = \"sample\"\ntitle = \"Load\"\n");
    for i in 0..DECK_CARDS {
        text.push_str(&format!(
            "\n[[card]]\nid = \"c{i}\"\nkind = \"text\"\nprompt = \"Question {i}?\"\nanswers = [\"answer {i}\"]\n"
        ));
    }
    parse_deck("load.toml", &text).0.unwrap()
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

/// The floor: the same batches appended directly on a database file (one transaction each), optionally with the
/// learner's states re-derived as the push handler does, and each client's pull to the end after each batch.
fn floor(dir: &Path, clients: usize, rederive: bool, cards: &[String]) -> Measured {
    let path = dir.join(format!("floor-{clients}-{rederive}.db"));
    let mut store = Store::open(&path).unwrap();
    let tx = store.write().unwrap();
    store::import_deck(&tx, &sample(), false, None, 0).unwrap();
    tx.commit().unwrap();
    let learners: Vec<_> = (0..STUDENTS)
        .map(|i| store::learner_get_or_create(&mut store, &format!("s{i}"), 0).unwrap())
        .collect();
    let now = chrono::Utc::now().timestamp();
    let cal = detente::schedule::Calendar::local(4);
    let mut m = Measured {
        events: 0,
        wall: Duration::ZERO,
        push: Vec::new(),
        pull: Vec::new(),
    };
    let mut cursors = vec![Cursor(0); clients];
    let start = Instant::now();
    for round in 0..ROUNDS {
        for (i, cursor) in cursors.iter_mut().enumerate() {
            let learner = &learners[i % STUDENTS];
            let batch = events(&device(9, i), (round * BATCH) as i64 + 1, BATCH, cards);
            let t = Instant::now();
            let tx = store.write().unwrap();
            let since = store::log_end(&tx, learner.id).unwrap();
            let r = store::append_events(&tx, learner.id, &batch, now).unwrap();
            if rederive {
                store::rederive_since(&tx, learner, &cal, since).unwrap();
            }
            store::held(&tx, learner.id, &batch[0].key.device).unwrap();
            tx.commit().unwrap();
            m.push.push(t.elapsed());
            m.events += r.added;
            loop {
                let t = Instant::now();
                let (page, _) =
                    store::pull_page(&store.conn, learner.id, *cursor, PULL_PAGE).unwrap();
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

/// Client `i` of an open-loop run: takes its student's uid, then makes `OPEN_PUSHES` pushes, each after a wait
/// drawn from an exponential distribution with mean `mean` (seeded by `i`), so that `OPEN_CLIENTS` clients together
/// offer pushes at random at the run's rate. Returns each push's latency.
fn open_client(
    socket: &Path,
    run: usize,
    i: usize,
    uid: u32,
    mean: Duration,
    cards: &[String],
) -> Vec<Duration> {
    use rand_core::{Rng, SeedableRng};
    // SAFETY: as in `client`: setresuid on this thread alone.
    let rc = unsafe { nix::libc::syscall(nix::libc::SYS_setresuid, -1i64, i64::from(uid), -1i64) };
    assert_eq!(rc, 0, "setresuid");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64((run * 100_000 + i) as u64);
    let server = Server::new(socket);
    let dev = device(run, i);
    let mut latencies = Vec::new();
    for round in 0..OPEN_PUSHES {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        std::thread::sleep(mean.mul_f64(-(1.0 - u).ln()));
        let batch = events(&dev, (round * OPEN_BATCH) as i64 + 1, OPEN_BATCH, cards);
        let t = Instant::now();
        let _: Pushed = server
            .post(
                "/v1/sync/push",
                &Push {
                    device: dev.clone(),
                    events: batch,
                },
            )
            .unwrap();
        latencies.push(t.elapsed());
    }
    latencies
}

/// An open-loop run at `rate` pushes/s in total; returns the latencies and the rate achieved.
fn open_loop(
    socket: &Path,
    run: usize,
    rate: f64,
    users: &Users,
    cards: &[String],
) -> (Vec<Duration>, f64) {
    let mean = Duration::from_secs_f64(OPEN_CLIENTS as f64 / rate);
    let start = Instant::now();
    let handles: Vec<_> = (0..OPEN_CLIENTS)
        .map(|i| {
            let socket = socket.to_path_buf();
            let uid = users.0[i % STUDENTS].1;
            let cards = cards.to_vec();
            std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || open_client(&socket, run, i, uid, mean, &cards))
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

fn main() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!(
            "server_load needs root: it creates {STUDENTS} system users for the simulated students"
        );
        std::process::exit(1);
    }
    let users = Users::create(STUDENTS);
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_detente"));
    let state = dir.path().join("state");
    let db = state.join("detente.db");
    {
        let mut store = Store::open(&db).unwrap();
        let tx = store.write().unwrap();
        store::import_deck(&tx, &sample(), false, None, 0).unwrap();
        tx.commit().unwrap();
    }
    for (i, (name, _)) in users.0.iter().enumerate() {
        let ok = Command::new(&bin)
            .args([
                "--db",
                db.to_str().unwrap(),
                "learner",
                "add",
                &format!("s{i}"),
                "--username",
                name,
            ])
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let socket = dir.path().join("run").join("class.sock");
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "state_directory = {state:?}\n[socket]\npath = {socket:?}\nmode = 0o666\n[limits]\nmax_connections = 1024\n\
             request_timeout_secs = 120\n"
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
    // The run/ folder the server made is 0755; the socket 0666.
    let cards: Vec<String> = sample().cards.iter().map(|c| c.id.clone()).collect();
    println!(
        "server_load: {STUDENTS} students, a deck of {DECK_CARDS} cards, batches of {BATCH} events, {ROUNDS} push+pull rounds per client; SQLite, \
         synchronous=FULL; {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for (run, &clients) in CLIENTS.iter().enumerate() {
        let served = over_server(&socket, run, clients, &users, &cards);
        let rss = peak_rss_kb(pid);
        let bare = floor(dir.path(), clients, false, &cards);
        let replayed = floor(dir.path(), clients, true, &cards);
        let (p50, p99) = latencies(served.push.clone());
        let (q50, q99) = latencies(served.pull.clone());
        println!(
            "\n{clients} concurrent clients ({} events pushed):",
            served.events
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
        for (name, f) in [("floor (append)", &bare), ("floor + re-derive", &replayed)] {
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
    println!(
        "\nOpen loop: {OPEN_CLIENTS} connected clients, pushes of {OPEN_BATCH} events arriving at random (Poisson) at a \
         fixed total rate, {OPEN_PUSHES} per client:"
    );
    for (k, &rate) in OPEN_RATES.iter().enumerate() {
        let (lat, achieved) = open_loop(&socket, 10 + k, rate, &users, &cards);
        let (p50, p99) = latencies(lat.clone());
        println!(
            "  offered {rate:>5.0} pushes/s ({:>4.1}x the worst hour of 20,000 students): {} pushes at {achieved:.1}/s, \
             push p50 {} p99 {}   peak RSS {} MB",
            rate / 17.0,
            lat.len(),
            ms(p50),
            ms(p99),
            peak_rss_kb(pid) / 1024
        );
    }
}
