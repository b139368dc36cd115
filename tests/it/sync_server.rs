//! Study sync over a real class server: `detente serve` on a socket (the `Served` of `server.rs`, run as the
//! test's own user, who is on the roster as learner `ann` and is the server's teacher), devices that are local
//! databases of their own (a config and data folder each, the same login), studying offline through real sessions
//! (the `Scripted` prompter) and syncing with the real binary (`detente sync`). A fault-injecting proxy on a Unix
//! socket of its own sits in front of the server where a test needs the connection to drop.
//!
//! A pull never skipping an event committed concurrently is proved at the store level by `sync.rs`
//! (`a_pull_by_cursor_never_skips_an_event_committed_concurrently`): the pull endpoint is `store::pull_page`, the
//! same `events_since` read in one snapshot with the digest.

use crate::server::daemon::{Served, me, roster};
use crate::server::{client, run, text};
use crate::support::{Answer, Ask, Script, Scripted, first_option, process};
use detente::schedule::Calendar;
use detente::session::{Action, Feedback, Reply, Session, StudyOptions};
use detente::store::{self, Store};
use detente::sync::{Cursor, Push};
use detente::time::UnixMs;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A class server with the roster learner `ann` (the test's user) and the test's user as teacher; the sample
/// deck published through `deck import` by that teacher (from a home of its own).
fn course() -> Served {
    let dir = tempfile::tempdir().unwrap();
    roster(&Served::database(dir.path()), &[("ann", &me())]);
    let served = Served::start(dir, &format!("[teachers]\nusers = [{:?}]\n", me()));
    let teacher = Home::new(&served.socket);
    teacher.ok(&["deck", "import", "tests/data/sample.toml"]);
    served
}

/// A device: a home with its own config (the login) and data (the default database) folders, logged in to
/// `socket`, running detente as the test's user (`USER`, so its learner is the one the server knows).
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(socket: &Path) -> Home {
        let home = Home {
            dir: tempfile::tempdir().unwrap(),
        };
        home.ok(&["login", socket.to_str().unwrap()]);
        home
    }

    fn cmd(&self) -> Command {
        let mut cmd = client(self.dir.path());
        cmd.env("USER", me());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        run(self.cmd(), args)
    }

    /// Runs detente and asserts it succeeded; returns its stderr, its wrapped lines joined.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stderr)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The device's database (the default path under its data folder).
    fn db(&self) -> PathBuf {
        self.dir.path().join("data/detente/detente.db")
    }

    /// A study session of `answers` answers on this device, its clock `hours_ago` hours back, answering the first
    /// option; `script` may replace what happens after each feedback.
    fn study(&self, answers: u32, hours_ago: i64, script: impl Script) {
        self.study_in(&[], answers, hours_ago, script);
    }

    /// [`Home::study`] on the decks `decks` only (all when empty).
    fn study_in(&self, decks: &[&str], answers: u32, hours_ago: i64, script: impl Script) {
        let mut store = Store::open(&self.db()).unwrap();
        let learner = store::learner_by_name(&store.conn, &me()).unwrap().unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        let clock = crate::support::TestClock::new(UnixMs(now - hours_ago * 3_600_000), 4_000);
        let opts = StudyOptions {
            seed: 7,
            limit: Some(answers),
            filter: store::Filter {
                decks: decks.iter().map(|d| d.to_string()).collect(),
                tags: Vec::new(),
            },
            ..Default::default()
        };
        let cal = Calendar::local(learner.rollover_hour);
        let s = Session::start(&mut store, &learner, opts, &clock, cal).unwrap();
        s.run(&mut Scripted::new(script)).unwrap();
    }
}

/// Every row of the learner `name`'s card states in the database `db`, keyed by deck, card and sibling (ids differ
/// between databases), floats by their bits.
fn states(db: &Path, name: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.prepare(
        "SELECT c.deck_id, c.card_key, c.sibling, s.phase, s.step, s.stability, s.difficulty, s.due,
                s.last_review, s.last_day, s.interval, s.reps, s.lapses, s.leech
         FROM card_states s JOIN cards c ON c.id = s.card_id JOIN learners l ON l.id = s.learner_id
         WHERE l.name = ?1 ORDER BY 1, 2, 3",
    )
    .unwrap()
    .query_map([name], |r| {
        let stability: f64 = r.get(5)?;
        let difficulty: f64 = r.get(6)?;
        Ok(format!(
            "{}/{}/{} {} {} {:x} {:x} {} {} {} {} {} {} {}",
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            stability.to_bits(),
            difficulty.to_bits(),
            r.get::<_, i64>(7)?,
            r.get::<_, i64>(8)?,
            r.get::<_, i64>(9)?,
            r.get::<_, i64>(10)?,
            r.get::<_, i64>(11)?,
            r.get::<_, i64>(12)?,
            r.get::<_, i64>(13)?
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The digest of the learner `name`'s log in the database `db`.
fn digest(db: &Path, name: &str) -> detente::sync::Digest {
    let store = Store::open(db).unwrap();
    let learner = store::learner_by_name(&store.conn, name).unwrap().unwrap();
    store::digest(&store.conn, learner.id).unwrap()
}

/// One number from the database `db`.
fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Every row of every table of the database `db`, as text: what "byte-identical" compares.
fn dump(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let cells: Vec<String> = (0..n)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            out.push(format!("{t}: {}", cells.join(" | ")));
        }
    }
    out
}

/// Answers the first option and goes on.
struct Plain;

impl Script for Plain {
    fn answer(&mut self, ask: &Ask) -> Reply<Answer> {
        Reply::Answer(first_option(ask))
    }
}

/// Attack: one learner studies the same card offline on two devices, then A syncs, B syncs, A syncs. Merging by
/// last writer or by arrival order would leave the sides with different states; replaying the merged log must give
/// A, B and the server the same card-state rows and the same digest.
#[test]
fn two_devices_that_studied_the_same_card_offline_end_identical() {
    let served = course();
    let server_db = Served::database(served.dir.path());
    let (a, b) = (Home::new(&served.socket), Home::new(&served.socket));
    for d in [&a, &b] {
        let said = d.ok(&["sync"]);
        assert!(said.contains("received 0 (1 deck updated)"), "{said}");
    }
    a.study(2, 5, Plain);
    b.study(2, 3, Plain);
    let before = (states(&a.db(), &me()), states(&b.db(), &me()));
    assert_ne!(before.0, before.1, "the devices studied at different times");
    assert_eq!(before.0.len(), 2, "{:?}", before.0);
    let said = a.ok(&["sync"]);
    assert!(said.contains("sent 2 events, received 0"), "{said}");
    let said = b.ok(&["sync"]);
    assert!(said.contains("sent 2 events, received 2"), "{said}");
    assert!(
        said.contains("Your log: 4 events, digest matches"),
        "{said}"
    );
    let said = a.ok(&["sync"]);
    assert!(said.contains("sent 0 events, received 2"), "{said}");
    let server = states(&server_db, "ann");
    assert_eq!(server.len(), 2);
    assert_eq!(states(&a.db(), &me()), server);
    assert_eq!(states(&b.db(), &me()), server);
    let d = digest(&server_db, "ann");
    assert_eq!(d.events, 4);
    assert_eq!(digest(&a.db(), &me()), d);
    assert_eq!(digest(&b.db(), &me()), d);
    // The same card was studied twice, once on each device: its state has seen both.
    assert!(
        server.iter().all(|s| s.split(' ').nth(9) == Some("2")),
        "{server:?}"
    );
}

/// What the proxy does to the next push.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Closes the client's connection before forwarding the push.
    BeforeForward,
    /// Forwards the push, reads the server's answer, and closes the client's connection without it.
    AfterAnswer,
}

/// A Unix-socket proxy in front of `upstream`: every request is forwarded whole and its answer sent back, except
/// the next push, which is dropped as `fault` says.
fn proxy(dir: &Path, upstream: PathBuf, fault: Arc<Mutex<Option<Fault>>>) -> PathBuf {
    let socket = dir.join("proxy.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let request = read_request(&mut conn);
            let push = request.starts_with(b"POST /v1/sync/push ");
            let drop = if push {
                fault.lock().unwrap().take()
            } else {
                None
            };
            if let Some(Fault::BeforeForward) = drop {
                continue;
            }
            let mut up = UnixStream::connect(&upstream).unwrap();
            up.write_all(&request).unwrap();
            let mut answer = Vec::new();
            up.read_to_end(&mut answer).unwrap();
            if drop.is_none() {
                let _ = conn.write_all(&answer);
            }
        }
    });
    socket
}

/// One HTTP request read whole: the head, then as many body bytes as its Content-Length says.
fn read_request(conn: &mut UnixStream) -> Vec<u8> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).unwrap_or(0) == 0 {
            return buf;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).unwrap();
    buf.extend(body);
    buf
}

/// Attack: the connection drops (i) before the push reaches the server and (ii) after the server committed it,
/// before the client hears back. Each time the client's sync fails with exit 69 and the next sync succeeds; the
/// server stores every event exactly once (its log and review rows counted), and the final states and digest equal
/// those of a device that synced cleanly.
#[test]
fn a_push_dropped_before_or_after_the_commit_is_stored_once_on_retry() {
    let served = course();
    let server_db = Served::database(served.dir.path());
    let fault = Arc::new(Mutex::new(None));
    let socket = proxy(served.dir.path(), served.socket.clone(), fault.clone());
    let a = Home::new(&socket);
    a.ok(&["sync"]);
    let events = "SELECT count(*) FROM sync_log";
    let reviews = "SELECT count(*) FROM reviews";

    a.study(3, 6, Plain);
    *fault.lock().unwrap() = Some(Fault::BeforeForward);
    let out = a.run(&["sync"]);
    assert_eq!(out.status.code(), Some(69), "{}", text(&out.stderr));
    assert_eq!(count(&server_db, events), 0);
    let said = a.ok(&["sync"]);
    assert!(said.contains("sent 3 events"), "{said}");
    assert_eq!(count(&server_db, events), 3);

    a.study(2, 2, Plain);
    *fault.lock().unwrap() = Some(Fault::AfterAnswer);
    let out = a.run(&["sync"]);
    assert_eq!(out.status.code(), Some(69), "{}", text(&out.stderr));
    assert_eq!(count(&server_db, events), 5, "committed before the drop");
    let said = a.ok(&["sync"]);
    assert!(
        said.contains("sent 0 events") && said.contains("digest matches"),
        "{said}"
    );
    assert_eq!(count(&server_db, events), 5);
    assert_eq!(count(&server_db, reviews), 5);
    assert!(fault.lock().unwrap().is_none(), "both faults were used");

    let clean = Home::new(&served.socket);
    let said = clean.ok(&["sync"]);
    assert!(said.contains("received 5"), "{said}");
    let server = states(&server_db, "ann");
    assert!(!server.is_empty());
    assert_eq!(states(&a.db(), &me()), server);
    assert_eq!(states(&clean.db(), &me()), server);
    assert_eq!(digest(&a.db(), &me()), digest(&server_db, "ann"));
    assert_eq!(digest(&clean.db(), &me()), digest(&server_db, "ann"));
}

/// Sends one request with a JSON body straight to the socket; returns the answer's status line and body.
fn raw_post(socket: &Path, path: &str, body: &str) -> String {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\ndetente-protocol: 1\r\ncontent-type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// Attack: forged pushes. A body that names a learner (any `learner` field, at the top or in an event), carries
/// an exam attempt (as a field, or as an event's body), or holds another device's events, is refused whole with one
/// line, and the server's rows are identical before and after; a learner who is not a teacher cannot publish a
/// deck either. The same events without the forgery are then taken, so the refusals were not for anything else.
#[test]
fn a_forged_push_is_refused_whole_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server_db = Served::database(dir.path());
    roster(&server_db, &[("ann", &me()), ("bob", "bob-login")]);
    let out = run(
        process(&server_db),
        &["deck", "import", "tests/data/sample.toml"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let served = Served::start(dir, "");
    let a = Home::new(&served.socket);
    let out = a.run(&["deck", "import", "tests/data/sample.toml"]);
    assert_eq!(out.status.code(), Some(77), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("publishing decks is for this server's teachers"));
    let local = tempfile::tempdir().unwrap();
    let db = local.path().join("d.db");
    let mut store = crate::support::with_sample(&db);
    let learner = store::learner_get_or_create(&mut store, &me(), 0).unwrap();
    drop(store);
    let home = Home {
        dir: tempfile::tempdir().unwrap(),
    };
    std::fs::create_dir_all(home.db().parent().unwrap()).unwrap();
    std::fs::copy(&db, home.db()).unwrap();
    home.study(2, 2, Plain);
    let store = Store::open(&home.db()).unwrap();
    let events = store::events_since(&store.conn, learner.id, Cursor(0), 100)
        .unwrap()
        .events;
    assert_eq!(events.len(), 2);
    let push = Push {
        device: events[0].key.device.clone(),
        events,
    };
    let honest = serde_json::to_value(&push).unwrap();

    let before = dump(&server_db);
    let mut forgeries = Vec::new();
    let mut named = honest.clone();
    named["learner"] = serde_json::json!(2);
    forgeries.push(named);
    let mut in_event = honest.clone();
    in_event["events"][0]["learner"] = serde_json::json!("bob");
    forgeries.push(in_event);
    let mut attempt = honest.clone();
    attempt["attempts"] = serde_json::json!([{"exam": "midterm", "score": 100}]);
    forgeries.push(attempt);
    let mut attempt_event = honest.clone();
    attempt_event["events"][1]["body"] =
        serde_json::json!({"attempt": {"exam": "midterm", "number": 1, "score": 100}});
    forgeries.push(attempt_event);
    let mut other_device = honest.clone();
    other_device["device"] = serde_json::json!("0".repeat(32));
    forgeries.push(other_device);
    for forged in &forgeries {
        let answer = raw_post(&served.socket, "/v1/sync/push", &forged.to_string());
        assert!(answer.starts_with("HTTP/1.1 422"), "{forged}: {answer}");
        assert!(
            answer.contains("the push was refused whole and nothing was written"),
            "{answer}"
        );
        assert_eq!(dump(&server_db), before, "{forged}");
    }
    let answer = raw_post(&served.socket, "/v1/sync/push", &honest.to_string());
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"added\":2"), "{answer}");
    assert_eq!(
        count(
            &server_db,
            "SELECT count(*) FROM sync_log JOIN learners l ON l.id = learner_id WHERE l.name = 'ann'"
        ),
        2
    );
}

/// After the first feedback: syncs this device and then the other one with the real binary (the review has left
/// the device and reached the other), and only then takes the answer back.
struct UndoAfterSync<'a> {
    this: &'a Home,
    other: &'a Home,
    done: bool,
}

impl Script for UndoAfterSync<'_> {
    fn answer(&mut self, ask: &Ask) -> Reply<Answer> {
        Reply::Answer(first_option(ask))
    }
    fn then(&mut self, _: &Feedback) -> Action {
        if self.done {
            return Action::Next;
        }
        self.done = true;
        let said = self.this.ok(&["sync"]);
        assert!(said.contains("sent 1 events"), "{said}");
        let said = self.other.ok(&["sync"]);
        assert!(said.contains("received 1"), "{said}");
        assert_eq!(states(&self.other.db(), &me()).len(), 1);
        Action::Undo
    }
}

/// Attack: an answer synced to the server and pulled by a second device, then undone on the first. Deleting it
/// locally would leave it counted everywhere else; the undo must travel as a retraction that the server and the
/// second device apply: the same states and digest on all three, and the review counted nowhere.
#[test]
fn an_undo_after_sync_reaches_the_other_device() {
    let served = course();
    let server_db = Served::database(served.dir.path());
    let (a, b) = (Home::new(&served.socket), Home::new(&served.socket));
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    a.study(
        2,
        2,
        UndoAfterSync {
            this: &a,
            other: &b,
            done: false,
        },
    );
    a.ok(&["sync"]);
    let said = b.ok(&["sync"]);
    assert!(said.contains("digest matches"), "{said}");
    let retractions = "SELECT count(*) FROM sync_log WHERE retracts_device IS NOT NULL";
    for db in [&server_db, &a.db(), &b.db()] {
        assert_eq!(count(db, retractions), 1, "{}", db.display());
        assert_eq!(
            count(db, "SELECT count(*) FROM reviews WHERE retracted = 0"),
            2
        );
    }
    let server = states(&server_db, "ann");
    assert_eq!(server.len(), 2, "{server:?}");
    assert_eq!(states(&a.db(), &me()), server);
    assert_eq!(states(&b.db(), &me()), server);
    assert_eq!(digest(&b.db(), &me()), digest(&server_db, "ann"));
}

/// Attack: a student who keeps the deck version they first pulled would study a card the teacher corrected. A deck
/// the teacher publishes must reach the student's local database at their next sync, and a changed version must
/// replace it there (the new content hash, the corrected question), while an unchanged one is not fetched again.
#[test]
fn a_published_deck_and_its_new_version_reach_the_student() {
    let served = course();
    let student = Home::new(&served.socket);
    let said = student.ok(&["sync"]);
    assert!(said.contains("(1 deck updated)"), "{said}");
    let hash = |db: &Path| -> String {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.query_row(
            "SELECT content_hash FROM decks WHERE id = 'sample'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    let server_db = Served::database(served.dir.path());
    assert_eq!(hash(&student.db()), hash(&server_db));
    let said = student.ok(&["sync"]);
    assert!(!said.contains("deck updated"), "{said}");

    let original = std::fs::read_to_string("tests/data/sample.toml").unwrap();
    let question = "What does Sherr expect the NATO-Russia Council";
    assert!(original.contains(question));
    let corrected = original.replace(question, "What did Sherr expect the NATO-Russia Council");
    let file = served.dir.path().join("sample.toml");
    std::fs::write(&file, corrected).unwrap();
    let teacher = Home::new(&served.socket);
    let out = teacher.run(&["deck", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("sample: 1 changed"),
        "{}",
        text(&out.stdout)
    );
    let old = hash(&student.db());
    let said = student.ok(&["sync"]);
    assert!(said.contains("(1 deck updated)"), "{said}");
    assert_ne!(hash(&student.db()), old);
    assert_eq!(hash(&student.db()), hash(&server_db));
    let body = count(
        &student.db(),
        "SELECT count(*) FROM cards WHERE deck_id = 'sample' AND body LIKE '%What did Sherr expect%'",
    );
    assert_eq!(body, 1);
}

/// Attack: a caller the server knows but who has no learner on its roster (a teacher) must not get a log of their
/// own, nor anyone's: a push and a pull are refused (403) and write nothing, and `detente sync` says why (exit 77).
#[test]
fn a_caller_without_a_roster_learner_cannot_sync() {
    let dir = tempfile::tempdir().unwrap();
    let server_db = Served::database(dir.path());
    roster(&server_db, &[("bob", "bob-login")]);
    let served = Served::start(dir, &format!("[teachers]\nusers = [{:?}]\n", me()));
    let before = dump(&server_db);
    let push = serde_json::json!({"device": "a".repeat(32), "events": []});
    let answer = raw_post(&served.socket, "/v1/sync/push", &push.to_string());
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(
        answer.contains("sync is for learners on this server's roster"),
        "{answer}"
    );
    let home = Home::new(&served.socket);
    let out = home.run(&["sync"]);
    assert_eq!(out.status.code(), Some(77), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("with no learner on its roster"));
    assert_eq!(dump(&server_db), before);
}

/// Attack: reviews of a deck the server does not hold (a student's own) must neither be stored under a card the
/// server cannot replay nor be sent again at every sync: they are refused with the reason, said once in the
/// summary, kept on the device, and the digests are said to differ (after a full re-pull) without the sync failing
/// or anything being overwritten.
#[test]
fn reviews_of_a_deck_the_server_lacks_are_refused_once_and_said() {
    let served = course();
    let server_db = Served::database(served.dir.path());
    let a = Home::new(&served.socket);
    a.ok(&["sync"]);
    let mine = served.dir.path().join("mine.toml");
    let text = std::fs::read_to_string("tests/data/sample.toml").unwrap();
    std::fs::write(&mine, text.replacen("id = \"sample\"", "id = \"mine\"", 1)).unwrap();
    a.ok(&[
        "--db",
        a.db().to_str().unwrap(),
        "deck",
        "import",
        mine.to_str().unwrap(),
    ]);
    a.study_in(&["mine"], 2, 2, Plain);
    let said = a.ok(&["sync"]);
    assert!(said.contains("sent 0 events"), "{said}");
    assert!(
        said.contains("The server refused 2 of this device's events")
            && said.contains("no card mine/"),
        "{said}"
    );
    assert!(
        said.contains("digest differs") && said.contains("holds 0 events and this one 2"),
        "{said}"
    );
    let said = a.ok(&["sync"]);
    assert!(
        !said.contains("The server refused") && said.contains("sent 0 events"),
        "not sent again: {said}"
    );
    assert_eq!(count(&server_db, "SELECT count(*) FROM sync_log"), 0);
    assert_eq!(count(&a.db(), "SELECT count(*) FROM sync_log"), 2);
}
