//! Study sync in-process, without a transport: devices are databases that study through real sessions (the
//! `Scripted` prompter and a `TestClock`), a server is a database that takes pushes (`store::append_events`) and
//! serves pulls (`store::events_since`) and digests. The merge laws under duplicated, lost and reordered pushes;
//! conflicts refused; a pull cursor under concurrent commits; undo after sync; the migration numbering old reviews.

use crate::support::{Answer, Ask, Script, Scripted, TestClock, first_option, with_sample};
use detente::schedule::{Calendar, CardState, LoggedReview, Rating, Scheduler, replay};
use detente::session::{Action, Feedback, Reply, Session, StudyOptions};
use detente::store::{self, Learner, Store};
use detente::sync::{Body, Cursor, Event, Log, Report};
use detente::time::UnixMs;
use proptest::prelude::*;
use std::collections::BTreeMap;

const START: i64 = 1_700_000_000_000;
/// The `now` pushes are checked against: after every review the tests make.
const NOW_S: i64 = 1_900_000_000;

fn cal() -> Calendar {
    Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4)
}

/// A database with the sample deck and the learner "ann", and what its client remembers between syncs.
struct Device {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: Store,
    learner: Learner,
    clock: TestClock,
    /// Local insertion number up to which events were pushed.
    pushed: Cursor,
    /// The server's insertion number up to which events were pulled.
    pulled: Cursor,
}

fn device() -> Device {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("d.db");
    let mut store = with_sample(&path);
    let learner = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
    Device {
        _dir: dir,
        path,
        store,
        learner,
        clock: TestClock::new(UnixMs(START), 4_000),
        pushed: Cursor(0),
        pulled: Cursor(0),
    }
}

/// Answers the first option; undoes the first `undo` answers right after their feedback.
struct UndoFirst {
    undo: usize,
}

impl Script for UndoFirst {
    fn answer(&mut self, ask: &Ask) -> Reply<Answer> {
        Reply::Answer(first_option(ask))
    }
    fn then(&mut self, _: &Feedback) -> Action {
        if self.undo > 0 {
            self.undo -= 1;
            return Action::Undo;
        }
        Action::Next
    }
}

/// A study session of up to `answers` answers on the device, as `detente study` runs one.
fn study(d: &mut Device, answers: u32, undo: usize, seed: u64) {
    let opts = StudyOptions {
        seed,
        limit: Some(answers),
        ..Default::default()
    };
    let s = Session::start(&mut d.store, &d.learner, opts, &d.clock, cal()).expect("start");
    s.run(&mut Scripted::new(UndoFirst { undo })).expect("run");
}

/// Merges events into a database's log for the learner and re-derives the card states, in one transaction.
/// A push as the server merges it: the events appended, then only the cards they touch re-derived
/// (`rederive_since`, as the push handler does), so the property test below checks that re-deriving the touched
/// cards alone always ends with the states of replaying everything.
fn append(store: &mut Store, learner: &Learner, events: &[Event], commit: bool) -> Report {
    let tx = store.write().expect("tx");
    let since = store::log_end(&tx, learner.id).expect("log end");
    let r = store::append_events(&tx, learner.id, events, NOW_S).expect("append");
    store::rederive_since(&tx, learner, &cal(), since).expect("replay");
    if commit {
        tx.commit().expect("commit");
    }
    r
}

/// Every event a database holds for the learner, by pulls of `page` events.
fn all_events(store: &Store, learner: i64) -> Vec<Event> {
    let mut out = Vec::new();
    let mut at = Cursor(0);
    loop {
        let p = store::events_since(&store.conn, learner, at, 7).expect("pull");
        out.extend(p.events);
        at = p.next;
        if !p.more {
            return out;
        }
    }
}

/// How a push reaches the server.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Clean,
    /// The connection drops before the server commits: nothing stored, the client retries later.
    LostBeforeCommit,
    /// The server commits but the answer never reaches the client: it sends the same events again later.
    LostAfterCommit,
    /// The request arrives twice.
    Duplicated,
    /// The events arrive in two requests, the second half first.
    Reordered,
}

/// Pushes what the device has not pushed yet.
fn push(d: &mut Device, server: &mut Store, server_learner: &Learner, fault: Fault) {
    let page = store::events_since(&d.store.conn, d.learner.id, d.pushed, 10_000).expect("out");
    let events = page.events;
    let mut reports = Vec::new();
    match fault {
        Fault::Clean => reports.push(append(server, server_learner, &events, true)),
        Fault::LostBeforeCommit => {
            append(server, server_learner, &events, false);
            return;
        }
        Fault::LostAfterCommit => {
            append(server, server_learner, &events, true);
            return;
        }
        Fault::Duplicated => {
            reports.push(append(server, server_learner, &events, true));
            reports.push(append(server, server_learner, &events, true));
        }
        Fault::Reordered => {
            let (a, b) = events.split_at(events.len() / 2);
            reports.push(append(server, server_learner, b, true));
            reports.push(append(server, server_learner, a, true));
        }
    }
    for r in reports {
        assert!(r.conflicts.is_empty() && r.refused.is_empty(), "{r:?}");
    }
    d.pushed = page.next;
}

/// Pulls from the server in pages of 3 until nothing is left; then, if the device's digest differs from the
/// server's, pulls everything again from the start (never overwriting). Returns whether the digests agree.
fn pull(d: &mut Device, server: &Store, server_learner: i64) -> bool {
    for from_start in [false, true] {
        if from_start {
            d.pulled = Cursor(0);
        }
        loop {
            let page =
                store::events_since(&server.conn, server_learner, d.pulled, 3).expect("pull");
            let learner = d.learner.clone();
            let r = append(&mut d.store, &learner, &page.events, true);
            assert!(r.conflicts.is_empty() && r.refused.is_empty(), "{r:?}");
            d.pulled = page.next;
            if !page.more {
                break;
            }
        }
        let ours = store::digest(&d.store.conn, d.learner.id).expect("digest");
        if ours == store::digest(&server.conn, server_learner).expect("digest") {
            return true;
        }
    }
    false
}

/// The card states replaying the union of `events` gives, by card id of `store`'s cards.
fn replay_union(store: &Store, learner: &Learner, events: &[Event]) -> BTreeMap<i64, CardState> {
    let mut log = Log::default();
    log.merge(events);
    let study: Vec<LoggedReview> = log
        .live_reviews()
        .into_iter()
        .filter(|(_, r)| r.mode == "study")
        .map(|(_, r)| LoggedReview {
            card_id: store::card_id(&store.conn, &r.deck, &r.card, r.sibling)
                .expect("card")
                .expect("known card"),
            key: format!("{}/{}/{}", r.deck, r.card, r.sibling),
            rating: Rating::from_number(r.rating).expect("rating"),
            reviewed_at_ms: r.reviewed_at,
            day: r.day,
            exam_day: r.exam_day,
        })
        .collect();
    replay(
        &Scheduler::new(learner.settings()).expect("scheduler"),
        &study,
        &cal(),
    )
    .expect("replay")
}

fn states(store: &Store, learner: i64) -> BTreeMap<i64, CardState> {
    store::states(&store.conn, learner)
        .expect("states")
        .into_iter()
        .collect()
}

#[derive(Debug, Clone)]
enum Op {
    Study {
        dev: usize,
        answers: u32,
        undo: usize,
        hours: i64,
    },
    Push {
        dev: usize,
        fault: Fault,
    },
    Pull {
        dev: usize,
    },
}

fn op(devices: usize) -> impl Strategy<Value = Op> {
    let fault = prop_oneof![
        Just(Fault::Clean),
        Just(Fault::LostBeforeCommit),
        Just(Fault::LostAfterCommit),
        Just(Fault::Duplicated),
        Just(Fault::Reordered),
    ];
    prop_oneof![
        3 => (0..devices, 1u32..5, 0usize..2, 0i64..60)
            .prop_map(|(dev, answers, undo, hours)| Op::Study { dev, answers, undo, hours }),
        2 => (0..devices, fault).prop_map(|(dev, fault)| Op::Push { dev, fault }),
        1 => (0..devices).prop_map(|dev| Op::Pull { dev }),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Op>)> {
    (2usize..=3).prop_flat_map(|n| (Just(n), proptest::collection::vec(op(n), 3..14)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Attack: random interleavings of 2-3 devices of one learner, each studying offline through real sessions
    /// (undos included), with pushes lost before or after the server's commit, duplicated and reordered, and pulls
    /// in between. After every device syncs, the server and every device must hold the same event set (the same
    /// digest and the same events), no push may have been a conflict, and every side's card states must equal
    /// replaying the union of the events.
    #[test]
    fn devices_and_server_converge_to_the_replay_of_the_union((n, ops) in scenario()) {
        let mut devices: Vec<Device> = (0..n).map(|_| device()).collect();
        let mut server = device();
        let server_learner = server.learner.clone();
        for (i, op) in ops.iter().enumerate() {
            match *op {
                Op::Study { dev, answers, undo, hours } => {
                    let d = &mut devices[dev];
                    d.clock.advance(hours * 3_600_000 + dev as i64 * 1_000);
                    study(d, answers, undo, i as u64);
                }
                Op::Push { dev, fault } => push(&mut devices[dev], &mut server.store, &server_learner, fault),
                Op::Pull { dev } => {
                    pull(&mut devices[dev], &server.store, server_learner.id);
                }
            }
        }
        // Every device syncs (push, then pull) twice: the first round brings every event to the server.
        for _ in 0..2 {
            for d in &mut devices {
                push(d, &mut server.store, &server_learner, Fault::Clean);
                prop_assert!(pull(d, &server.store, server_learner.id), "digest mismatch after a re-pull");
            }
        }
        let union = all_events(&server.store, server_learner.id);
        let mut union_log = Log::default();
        union_log.merge(&union);
        let expected = replay_union(&server.store, &server_learner, &union);
        let server_digest = store::digest(&server.store.conn, server_learner.id).unwrap();
        prop_assert_eq!(server_digest.events as usize, union.len());
        prop_assert_eq!(&states(&server.store, server_learner.id), &expected);
        for d in &devices {
            let mut theirs = Log::default();
            theirs.merge(&all_events(&d.store, d.learner.id));
            prop_assert_eq!(&theirs, &union_log);
            prop_assert_eq!(&store::digest(&d.store.conn, d.learner.id).unwrap(), &server_digest);
            prop_assert_eq!(&states(&d.store, d.learner.id), &expected);
        }
        // Every review a device recorded reached the server exactly once.
        let local: usize = devices
            .iter()
            .map(|d| {
                let own = store::device_id(&d.store.conn, store::Device::Study).unwrap();
                union.iter().filter(|e| e.key.device == own).count()
            })
            .sum();
        prop_assert_eq!(local, union.len());
    }
}

/// Attack: a push that reuses a stored key with another payload (a forged or a copied device) must be refused as
/// a conflict and overwrite nothing: the stored event, the digest and the card states stay as they were; the
/// honest duplicate in the same push is counted as a duplicate.
#[test]
fn a_different_event_under_a_stored_key_is_a_conflict_and_changes_nothing() {
    let mut a = device();
    study(&mut a, 3, 0, 1);
    let mut server = device();
    let sl = server.learner.clone();
    push(&mut a, &mut server.store, &sl, Fault::Clean);
    let before = (
        all_events(&server.store, sl.id),
        store::digest(&server.store.conn, sl.id).unwrap(),
        states(&server.store, sl.id),
    );
    let mut forged = before.0[0].clone();
    let Body::Review(r) = &mut forged.body else {
        panic!("a review first")
    };
    r.rating = if r.rating == 1 { 4 } else { 1 };
    let honest = before.0[1].clone();
    let tx = server.store.write().unwrap();
    let report = store::append_events(&tx, sl.id, &[forged.clone(), honest], NOW_S).unwrap();
    tx.commit().unwrap();
    assert_eq!(report.conflicts, vec![forged.key.clone()]);
    assert_eq!((report.added, report.duplicates), (0, 1));
    let after = (
        all_events(&server.store, sl.id),
        store::digest(&server.store.conn, sl.id).unwrap(),
        states(&server.store, sl.id),
    );
    assert_eq!(before, after);
}

/// Attack: pulls by cursor while pushes commit concurrently from another connection (one push holds the write
/// lock while a second waits for it, and a pull runs in between): the pull must never skip an event, the numbers
/// a reader sees must always run 1 to N with none missing, and pulling on from the cursor must find every event.
#[test]
fn a_pull_by_cursor_never_skips_an_event_committed_concurrently() {
    let mut a = device();
    study(&mut a, 4, 0, 1);
    let events = all_events(&a.store, a.learner.id);
    assert!(events.len() >= 4);
    let server = device();
    let sl = server.learner.clone();
    let path = server.path.clone();
    let mut reader = Store::open(&path).unwrap();
    let mut w1 = Store::open(&path).unwrap();
    let mut cursor = Cursor(0);
    let mut seen: Vec<Event> = Vec::new();
    let pull_all = |reader: &mut Store, cursor: &mut Cursor, seen: &mut Vec<Event>| {
        let p = store::events_since(&reader.conn, sl.id, *cursor, 1_000).unwrap();
        let numbers: Vec<i64> = reader
            .conn
            .prepare("SELECT learner_seq FROM sync_log WHERE learner_id = ?1 ORDER BY learner_seq")
            .unwrap()
            .query_map([sl.id], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>());
        *cursor = p.next;
        seen.extend(p.events);
    };
    // Push 1 holds the write lock, uncommitted.
    let tx1 = w1.write().unwrap();
    store::append_events(&tx1, sl.id, &events[..2], NOW_S).unwrap();
    // Push 2 starts in another thread and waits for the lock.
    let (second, path2, learner2) = (events[2..].to_vec(), path.clone(), sl.clone());
    let pusher = std::thread::spawn(move || {
        let mut w2 = Store::open(&path2).unwrap();
        let tx = w2.write().unwrap();
        store::append_events(&tx, learner2.id, &second, NOW_S).unwrap();
        tx.commit().unwrap();
    });
    pull_all(&mut reader, &mut cursor, &mut seen);
    assert!(seen.is_empty(), "nothing committed yet");
    tx1.commit().unwrap();
    pull_all(&mut reader, &mut cursor, &mut seen);
    pusher.join().unwrap();
    pull_all(&mut reader, &mut cursor, &mut seen);
    let mut got = Log::default();
    got.merge(&seen);
    let mut want = Log::default();
    want.merge(&events);
    assert_eq!(got, want);
    assert_eq!(seen.len(), events.len(), "each event pulled exactly once");
}

/// Answers the first option; after the first answer's feedback, syncs the device (push, then the second device
/// pulls), and only then takes the answer back: the undo of a review that has left the device.
struct UndoAfterSync<'a> {
    path: std::path::PathBuf,
    learner: i64,
    server: &'a mut Device,
    other: &'a mut Device,
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
        let device = Store::open(&self.path).unwrap();
        let out = store::events_since(&device.conn, self.learner, Cursor(0), 100).unwrap();
        assert_eq!(out.events.len(), 1);
        let sl = self.server.learner.clone();
        append(&mut self.server.store, &sl, &out.events, true);
        pull(self.other, &self.server.store, sl.id);
        assert_eq!(states(&self.other.store, self.other.learner.id).len(), 1);
        Action::Undo
    }
}

/// Attack: an answer synced to the server and pulled by a second device, then undone on the first: the undo must
/// travel as a retraction event that the server and the second device apply: the review counted nowhere (states,
/// today's counts, the bundle export), the event sets and digests equal, the states equal everywhere.
#[test]
fn undo_after_sync_is_a_retraction_every_side_applies() {
    let mut a = device();
    let mut b = device();
    let mut server = device();
    let sl = server.learner.clone();
    {
        let opts = StudyOptions {
            seed: 3,
            limit: Some(2),
            ..Default::default()
        };
        let script = UndoAfterSync {
            path: a.path.clone(),
            learner: a.learner.id,
            server: &mut server,
            other: &mut b,
            done: false,
        };
        let s = Session::start(&mut a.store, &a.learner, opts, &a.clock, cal()).unwrap();
        s.run(&mut Scripted::new(script)).unwrap();
    }
    a.pushed = Cursor(0);
    push(&mut a, &mut server.store, &sl, Fault::Clean);
    assert!(pull(&mut a, &server.store, sl.id));
    assert!(pull(&mut b, &server.store, sl.id));
    let events = all_events(&server.store, sl.id);
    let retractions: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::Retraction(k) => Some(k.clone()),
            Body::Review(_) => None,
        })
        .collect();
    assert_eq!(
        retractions,
        vec![events[0].key.clone()],
        "the first review is retracted"
    );
    let expected = replay_union(&server.store, &sl, &events);
    for (st, l) in [
        (&server.store, sl.id),
        (&a.store, a.learner.id),
        (&b.store, b.learner.id),
    ] {
        assert_eq!(states(st, l), expected);
        assert_eq!(
            store::digest(&st.conn, l).unwrap(),
            store::digest(&server.store.conn, sl.id).unwrap()
        );
        // Counted nowhere: three answers were given (the undone card is asked again), one taken back.
        assert_eq!(store::bundle_reviews(&st.conn, l).unwrap().len(), 2);
        let today = store::today(&st.conn, l, UnixMs(0)).unwrap();
        assert_eq!(today.new_done, 2);
    }
}

/// Attack: a database from before the sync log must come out of the migration with every review numbered: per
/// learner and device, sequences 1..n gap-free in the reviews' time order, session reviews under the study device
/// and bundle-merged ones (no session) under the import device, and insertion numbers 1..N per learner; the next
/// answer continues the study device's numbers.
#[test]
fn the_migration_numbers_existing_reviews() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in [
            include_str!("../../migrations/0001_init.sql"),
            include_str!("../../migrations/0002_card_reset.sql"),
            include_str!("../../migrations/0003_identities_exams.sql"),
            include_str!("../../migrations/0004_deck_answers.sql"),
            include_str!("../../migrations/0005_new_order.sql"),
            include_str!("../../migrations/0006_flag_state_unsupervised.sql"),
            include_str!("../../migrations/0007_exam_dates.sql"),
            include_str!("../../migrations/0008_enrolment.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 8;
             INSERT INTO learners (id, name, created_at) VALUES (1, 'ann', 0), (2, 'bo', 0);
             INSERT INTO decks (id, title, content_hash, imported_at) VALUES ('d', 'D', 'h', 0);
             INSERT INTO cards (id, deck_id, card_key, kind, position, body, content_hash, answer_hash)
                 VALUES (1, 'd', 'c', 'text', 0, '{}', 'h', 'h');
             INSERT INTO sessions (id, learner_id, mode, started_at, seed) VALUES (1, 1, 'study', 0, 0);",
        )
        .unwrap();
        // (id, learner, session, time): ids out of time order, and one bundle-merged review (no session).
        for (id, learner, session, at) in [
            (1, 1, Some(1), 3_000),
            (2, 1, Some(1), 1_000),
            (3, 2, None, 2_000),
            (4, 1, None, 2_000),
            (5, 1, Some(1), 5_000),
        ] {
            conn.execute(
                "INSERT INTO reviews (id, learner_id, card_id, session_id, reviewed_at, day, mode, response,
                    correct, rule, rating, duration_ms, phase_before, phase_after, step_after, stability_after,
                    difficulty_after, due_after, interval_days, elapsed_days)
                 VALUES (?1, ?2, 1, ?3, ?4, 0, 'study', '\"x\"', 1, 'exact', 3, 1, 0, 1, 0, 1.0, 5.0, 0, 0, 0)",
                rusqlite::params![id, learner, session, at],
            )
            .unwrap();
        }
    }
    let store = Store::open(&path).unwrap();
    let study = store::device_id(&store.conn, store::Device::Study).unwrap();
    let import = store::device_id(&store.conn, store::Device::Import).unwrap();
    assert_ne!(study, import);
    let rows: Vec<(i64, i64, String, i64, i64)> = store
        .conn
        .prepare("SELECT review_id, learner_id, device, seq, learner_seq FROM sync_log ORDER BY review_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            (1, 1, study.clone(), 2, 3),
            (2, 1, study.clone(), 1, 1),
            (3, 2, import.clone(), 1, 1),
            (4, 1, import.clone(), 1, 2),
            (5, 1, study.clone(), 3, 4),
        ]
    );
    assert_eq!(store::next_seq(&store.conn, 1, &study).unwrap(), 4);
    // Another database's device ids are its own.
    let other = device();
    assert_ne!(
        store::device_id(&other.store.conn, store::Device::Study).unwrap(),
        study
    );
}

/// Attack: a retraction that reaches the server alone, long after the review it takes back (the review pushed and
/// re-derived in an earlier push, no new answer on that card since): the server re-derives only the cards a push
/// touches, so it must count the retracted review's card as touched. Its state must go back to what the card's
/// other reviews imply (here none: no state), equal to replaying the union, and the other card's state unchanged.
#[test]
fn a_retraction_pushed_alone_re_derives_the_card_it_takes_back() {
    let mut a = device();
    let mut server = device();
    let sl = server.learner.clone();
    study(&mut a, 2, 0, 5);
    push(&mut a, &mut server.store, &sl, Fault::Clean);
    let before = states(&server.store, sl.id);
    assert_eq!(before.len(), 2, "two cards studied: {before:?}");
    // The first review is taken back on the device after it was pushed.
    let first: i64 = a
        .store
        .conn
        .query_row(
            "SELECT min(id) FROM reviews WHERE learner_id = ?1",
            [a.learner.id],
            |r| r.get(0),
        )
        .unwrap();
    {
        let tx = a.store.write().unwrap();
        let (card, _) = store::retract_review(&tx, first).unwrap().unwrap();
        tx.commit().unwrap();
        let server_card =
            store::card_id(&server.store.conn, "sample", &card_key(&a.store, card), 0)
                .unwrap()
                .unwrap();
        push(&mut a, &mut server.store, &sl, Fault::Clean);
        let after = states(&server.store, sl.id);
        let events = all_events(&server.store, sl.id);
        assert!(matches!(events.last().unwrap().body, Body::Retraction(_)));
        assert_eq!(after, replay_union(&server.store, &sl, &events));
        assert!(!after.contains_key(&server_card), "{after:?}");
        assert_eq!(after.len(), 1);
    }
}

/// The deck key of a card id in `store`.
fn card_key(store: &Store, card: i64) -> String {
    store
        .conn
        .query_row("SELECT card_key FROM cards WHERE id = ?1", [card], |r| {
            r.get(0)
        })
        .unwrap()
}
