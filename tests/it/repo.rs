//! The class server's repository interface (`store::ClassStore`) against both backends: every test of the
//! interface is written once over `&dyn ClassStore` and run on a SQLite file and on a PostgreSQL database of the
//! test binary's throwaway cluster (`support::pg`), both holding the sample deck's cards. Then the second wall,
//! PostgreSQL only: an app-role connection scoped to one learner sees and writes that learner's rows alone, and the
//! app role cannot change the tables.

use crate::server::daemon::me;
use crate::support::pg::{self, APP, Db, OWNER};
use crate::support::pg_served::PgServed;
use crate::support::with_sample;
use detente::bundle::BundleReview;
use detente::store::{ClassStore, Store, pg::Pg};
use detente::sync::{Body, Cursor, Event, Key, Log};
use detente::time::{Day, UnixMs};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// A push's time (Unix seconds): every review below is before it.
const NOW_S: i64 = 1_800_000_000;

/// One SQLite store and one PostgreSQL database, each with the sample deck's cards.
struct Both {
    _dir: tempfile::TempDir,
    sqlite: Arc<Mutex<Store>>,
    db: Db,
    pg: Arc<Pg>,
}

impl Both {
    fn new() -> Both {
        let dir = tempfile::tempdir().unwrap();
        let store = with_sample(&dir.path().join("d.db"));
        let db = pg::cluster().database();
        copy_cards(&store, &db);
        let pg = Arc::new(db.store());
        Both {
            _dir: dir,
            sqlite: Arc::new(Mutex::new(store)),
            db,
            pg,
        }
    }

    /// Both backends, by name.
    fn each(&self) -> [(&'static str, Arc<dyn ClassStore>); 2] {
        [
            ("SQLite", self.sqlite.clone() as Arc<dyn ClassStore>),
            ("PostgreSQL", self.pg.clone() as Arc<dyn ClassStore>),
        ]
    }
}

/// Copies the decks and cards of a SQLite store into the PostgreSQL database, as its owner, row for row (so that
/// both backends start from the same cards without going through the publishing under test).
fn copy_cards(store: &Store, db: &Db) {
    let mut owner = db.client(OWNER);
    let mut decks = store
        .conn
        .prepare("SELECT id, title, content_hash, imported_at FROM decks")
        .unwrap();
    let decks = decks
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .unwrap();
    for d in decks {
        let (id, title, hash, at) = d.unwrap();
        owner
            .execute(
                "INSERT INTO decks (id, title, content_hash, imported_at) VALUES ($1, $2, $3, $4)",
                &[&id, &title, &hash, &at],
            )
            .unwrap();
    }
    let mut cards = store
        .conn
        .prepare(
            "SELECT deck_id, card_key, sibling, kind, position, body, content_hash, answer_hash FROM cards",
        )
        .unwrap();
    let cards = cards
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })
        .unwrap();
    for c in cards {
        let c = c.unwrap();
        owner
            .execute(
                "INSERT INTO cards (deck_id, card_key, sibling, kind, position, body, content_hash, answer_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[&c.0, &c.1, &c.2, &c.3, &c.4, &c.5, &c.6, &c.7],
            )
            .unwrap();
    }
}

/// A review event from device `d` (one letter, repeated to 32 hex digits) of the sample deck's card `card`.
fn review(d: &str, seq: i64, card: &str, at_ms: i64, rating: i64) -> Event {
    Event {
        key: Key {
            device: d.repeat(32),
            seq,
        },
        body: Body::Review(Box::new(BundleReview {
            deck: "sample".into(),
            card: card.into(),
            sibling: 0,
            reviewed_at: UnixMs(1_700_000_000_000 + at_ms),
            day: Day(739_000),
            mode: "study".into(),
            response: "\"x\"".into(),
            correct: rating > 1,
            rule: if rating > 1 { "exact" } else { "wrong" }.into(),
            rating,
            duration_ms: 1500,
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
            stability_after: 2.3065,
            difficulty_after: 5.1,
            due_after: 1_700_000_600 + at_ms / 1000,
            interval_days: 0,
            elapsed_days: 0,
            exam_day: Some(Day(739_010)),
            exam_shortened_from: None,
        })),
    }
}

fn retraction(d: &str, seq: i64, of: &Event) -> Event {
    Event {
        key: Key {
            device: d.repeat(32),
            seq,
        },
        body: Body::Retraction(of.key.clone()),
    }
}

/// Every event of a learner's log, pulled in pages of `limit`.
fn pull_all(repo: &dyn ClassStore, learner: i64, limit: usize) -> Vec<Event> {
    let (mut cursor, mut out) = (Cursor(0), Vec::new());
    loop {
        let page = repo.events_since(learner, cursor, limit).unwrap();
        assert!(page.events.len() <= limit);
        out.extend(page.events);
        cursor = page.next;
        if !page.more {
            return out;
        }
    }
}

/// Attack: the server finds the connecting user by their roster username, exactly: another case or a prefix of a
/// username must not name a learner on either backend; a taken name (in another case) or username is refused, not
/// doubled; and both backends list the same roster in the same order (PostgreSQL sorting by its own collation
/// would put `ann` before `Bob`).
#[test]
fn the_roster_and_usernames_are_the_same_on_both_backends() {
    let both = Both::new();
    let mut rosters = Vec::new();
    for (name, repo) in both.each() {
        let ann = repo
            .add_learner("ann", Some("asmith"), 100)
            .unwrap()
            .unwrap();
        assert_eq!(ann.username.as_deref(), Some("asmith"), "{name}");
        repo.add_learner("Bob", Some("Bob"), 100).unwrap().unwrap();
        repo.add_learner("Zoe\u{308}", None, 100).unwrap().unwrap();
        assert_eq!(
            repo.learner_by_username("asmith").unwrap().unwrap().name,
            "ann",
            "{name}"
        );
        assert_eq!(
            repo.learner_by_username("Bob").unwrap().unwrap().name,
            "Bob",
            "{name}"
        );
        for wrong in ["ASMITH", "asmit", "asmith ", "bob", ""] {
            assert!(
                repo.learner_by_username(wrong).unwrap().is_none(),
                "{name}: {wrong:?}"
            );
        }
        let before = repo.roster().unwrap();
        assert!(
            repo.add_learner("ANN", None, 200).unwrap().is_none(),
            "{name}"
        );
        assert!(
            repo.add_learner("Zo\u{eb}", None, 200).unwrap().is_none(),
            "{name}: NFC"
        );
        assert!(
            repo.add_learner("carl", Some("asmith"), 200)
                .unwrap()
                .is_none(),
            "{name}"
        );
        assert_eq!(
            repo.roster().unwrap(),
            before,
            "{name}: a refused add changed the roster"
        );
        let names: Vec<_> = before.learners.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["Bob", "Zo\u{eb}", "ann"], "{name}");
        rosters.push(before);
    }
    assert_eq!(rosters[0], rosters[1]);
}

/// Attack: the roster's enrolment columns must come from each backend's own tables: a learner issued a valid code
/// is enrolled, one whose code was reissued is not twice, and unsigned bundles are counted per learner; a code's
/// key found by its id names the same learner and key bytes on both, and an unknown id names nobody.
#[test]
fn the_roster_carries_enrolment_on_both_backends() {
    let both = Both::new();
    for (_, repo) in both.each() {
        repo.add_learner("ann", None, 1).unwrap().unwrap();
        repo.add_learner("bob", None, 1).unwrap().unwrap();
    }
    {
        let mut store = both.sqlite.lock().unwrap();
        let tx = store.write().unwrap();
        let key = detente::enrol::Key::from_bytes(&[7; 32]).unwrap();
        detente::store::issue_key(&tx, 1, &key, 5).unwrap();
        detente::store::mark_unverified(&tx, 2, 5).unwrap();
        detente::store::mark_unverified(&tx, 2, 6).unwrap();
        tx.commit().unwrap();
    }
    let new_id = detente::enrol::Key::from_bytes(&[7; 32]).unwrap().id();
    let mut owner = both.db.client(OWNER);
    let mut tx = owner.transaction().unwrap();
    tx.batch_execute(
        "SELECT set_config('detente.scope', 'course', true);
         INSERT INTO enrolment_keys (key_id, learner_id, key, generation, issued_at, reissued_at)
             VALUES ('old', 1, NULL, 1, 1, 5);
         INSERT INTO unverified_imports VALUES (2, 5, 6, 2);",
    )
    .unwrap();
    tx.execute(
        "INSERT INTO enrolment_keys (key_id, learner_id, key, generation, issued_at) VALUES ($1, 1, $2, 2, 5)",
        &[&new_id, &vec![7u8; 32]],
    )
    .unwrap();
    tx.commit().unwrap();
    let mut keys = Vec::new();
    for (name, repo) in both.each() {
        let roster = repo.roster().unwrap();
        assert_eq!(roster.enrolled, BTreeSet::from([1]), "{name}");
        let issued = repo.issued_key(&new_id).unwrap().unwrap();
        assert_eq!(
            (issued.learner.as_str(), issued.generation),
            ("ann", 1.max(issued.generation)),
            "{name}"
        );
        assert!(
            issued.key.is_some() && issued.reissued_at.is_none(),
            "{name}"
        );
        assert!(repo.issued_key("no-such-id").unwrap().is_none(), "{name}");
        keys.push((issued.key_id, issued.learner_id, issued.key));
        assert_eq!(roster.unverified.get(&2), Some(&2), "{name}");
        assert_eq!(roster.unverified.get(&1), None, "{name}");
    }
    assert_eq!(
        keys[0], keys[1],
        "the key read back differs between the backends"
    );
}

/// Attack: a push repeated (a lost answer, a retry) must store nothing twice; a different event under a stored key
/// (a forged or corrupted push) must be refused as a conflict with the stored event and the digest unchanged; an
/// event for a card the server lacks or with a malformed key is refused, not stored; a retraction takes its review
/// back. The same on both backends.
#[test]
fn a_push_is_idempotent_and_a_conflict_overwrites_nothing() {
    let both = Both::new();
    for (name, repo) in both.each() {
        let ann = repo.add_learner("ann", Some("ann"), 1).unwrap().unwrap();
        let a1 = review("a", 1, "realpolitik", 0, 3);
        let a2 = review("a", 2, "nrc-refresh", 1000, 1);
        let undo = retraction("a", 3, &a1);
        let report = repo
            .append_events(ann.id, &[a1.clone(), a2.clone(), undo.clone()], NOW_S)
            .unwrap();
        assert_eq!(
            (report.added, report.duplicates),
            (3, 0),
            "{name}: {report:?}"
        );
        let digest = repo.digest(ann.id).unwrap();
        let again = repo
            .append_events(ann.id, &[a1.clone(), a2.clone(), undo.clone()], NOW_S)
            .unwrap();
        assert_eq!((again.added, again.duplicates), (0, 3), "{name}: {again:?}");
        let forged = review("a", 1, "realpolitik", 0, 4);
        let mut bad_key = review("a", 9, "realpolitik", 0, 3);
        bad_key.key.device = "A".repeat(32);
        let no_card = review("a", 4, "no-such-card", 0, 3);
        let r = repo
            .append_events(ann.id, &[forged, bad_key, no_card], NOW_S)
            .unwrap();
        assert_eq!(r.conflicts, vec![a1.key.clone()], "{name}");
        assert_eq!(r.refused.len(), 2, "{name}: {r:?}");
        assert_eq!(r.added, 0, "{name}");
        assert_eq!(
            repo.digest(ann.id).unwrap(),
            digest,
            "{name}: a refused push changed the log"
        );
        let stored = pull_all(repo.as_ref(), ann.id, 2);
        assert_eq!(stored, vec![a1.clone(), a2.clone(), undo.clone()], "{name}");
        let mut log = Log::default();
        log.merge(&stored);
        let live: Vec<_> = log
            .live_reviews()
            .into_iter()
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(live, vec![a2.key.clone()], "{name}");
    }
}

/// Attack: the digest of the same events must be the same on both backends and equal to the in-memory log's (a
/// float or a flag that a backend stores differently would change the fingerprint and make every client re-pull
/// forever); each backend's log is one learner's: another learner's digest stays empty.
#[test]
fn the_same_events_give_the_same_digest_and_pages_on_both_backends() {
    let both = Both::new();
    let events: Vec<Event> = (1..=12)
        .map(|i| {
            review(
                if i % 2 == 0 { "b" } else { "c" },
                (i + 1) / 2,
                "georgia-war-year",
                i * 7,
                1 + i % 4,
            )
        })
        .chain([retraction(
            "d",
            1,
            &review("c", 1, "georgia-war-year", 7, 2),
        )])
        .collect();
    let mut log = Log::default();
    log.merge(&events);
    let mut seen = Vec::new();
    for (name, repo) in both.each() {
        let ann = repo.add_learner("ann", None, 1).unwrap().unwrap();
        let bob = repo.add_learner("bob", None, 1).unwrap().unwrap();
        let (first, rest) = events.split_at(5);
        repo.append_events(ann.id, rest, NOW_S).unwrap();
        repo.append_events(ann.id, first, NOW_S).unwrap();
        assert_eq!(repo.digest(ann.id).unwrap(), log.digest(), "{name}");
        assert_eq!(
            repo.digest(bob.id).unwrap(),
            Log::default().digest(),
            "{name}"
        );
        assert!(pull_all(repo.as_ref(), bob.id, 5).is_empty(), "{name}");
        seen.push(pull_all(repo.as_ref(), ann.id, 5));
    }
    assert_eq!(seen[0], seen[1], "the pages differ between the backends");
}

/// Attack: a pull by cursor must never skip an event committed while it pulls. Two writers push one event at a
/// time for the same learner from two threads (on PostgreSQL, two connections), while a reader pulls from its
/// cursor in small pages; at the end the reader holds every event exactly once. A cursor numbered by a sequence
/// or an identity column, or handed out without the learner's lock, lets the reader pass a number that commits
/// later (or fails the push on a duplicate number).
#[test]
fn pulls_by_cursor_never_skip_events_pushed_concurrently() {
    let both = Both::new();
    const EACH: i64 = 40;
    for (name, repo) in both.each() {
        let ann = repo.add_learner("ann", None, 1).unwrap().unwrap();
        let writers: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|d| {
                let repo = repo.clone();
                std::thread::spawn(move || {
                    for seq in 1..=EACH {
                        let e = review(d, seq, "realpolitik", seq, 3);
                        let r = repo.append_events(ann.id, &[e], NOW_S).unwrap();
                        assert_eq!(r.added, 1, "{r:?}");
                    }
                })
            })
            .collect();
        let (mut cursor, mut got) = (Cursor(0), Vec::new());
        loop {
            let finished = writers.iter().all(|w| w.is_finished());
            let page = repo.events_since(ann.id, cursor, 7).unwrap();
            assert!(page.next >= cursor, "{name}: the cursor went back");
            cursor = page.next;
            let empty = page.events.is_empty();
            got.extend(page.events.into_iter().map(|e| e.key));
            if finished && empty {
                break;
            }
        }
        for w in writers {
            w.join().unwrap();
        }
        let unique: BTreeSet<_> = got.iter().cloned().collect();
        assert_eq!(unique.len(), got.len(), "{name}: an event came twice");
        assert_eq!(
            got.len() as i64,
            2 * EACH,
            "{name}: the reader missed events"
        );
        for d in ["a", "b"] {
            let seqs: Vec<_> = got
                .iter()
                .filter(|k| k.device == d.repeat(32))
                .map(|k| k.seq)
                .collect();
            assert_eq!(
                seqs,
                (1..=EACH).collect::<Vec<_>>(),
                "{name}: device {d} out of order"
            );
        }
    }
}

/// The public tables that hold a learner's rows (a `learner_id` column), and `learners` itself, with the column
/// that names the learner.
fn learner_tables(client: &mut postgres::Client) -> Vec<(String, &'static str)> {
    client
        .query(
            "SELECT c.relname::text, c.relname = 'learners' FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND (c.relname = 'learners' OR EXISTS
                 (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'learner_id'
                  AND NOT a.attisdropped))
             ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), if r.get(1) { "id" } else { "learner_id" }))
        .collect()
}

/// Attack: a learner table added without row-level security (or with it enabled but not forced, so that its
/// owner bypasses it), or keyed without the learner first (so partitioning by learner would need a new key),
/// fails here, whoever adds it.
#[test]
fn every_learner_table_is_keyed_by_learner_and_forced_under_row_level_security() {
    let db = pg::cluster().database();
    let mut owner = db.client(OWNER);
    let tables = learner_tables(&mut owner);
    assert!(tables.len() >= 11, "{tables:?}");
    for (table, column) in &tables {
        let row = owner
            .query_one(
                "SELECT c.relrowsecurity, c.relforcerowsecurity,
                        EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a
                                ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                                WHERE i.indrelid = c.oid AND i.indisunique AND a.attname = $2),
                        EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid),
                        pg_get_userbyid(c.relowner)::text
                 FROM pg_class c WHERE c.oid = $1::text::regclass",
                &[table, column],
            )
            .unwrap();
        let (rls, forced, keyed, policy): (bool, bool, bool, bool) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        assert!(
            rls && forced && policy,
            "{table}: row-level security not enabled, forced and with a policy"
        );
        assert!(keyed, "{table}: no unique key starting with {column}");
        assert_eq!(row.get::<_, String>(4), OWNER, "{table}");
    }
}

/// Fills one row (at least) of every learner table for `learner`, as the owner in the course's scope.
fn fill(owner: &mut postgres::Client, learner: i64, device_enrolled: bool) {
    let card = "(SELECT min(id) FROM cards)";
    let mut sql = format!(
        "BEGIN; SELECT set_config('detente.scope', 'course', true);
         INSERT INTO exams (id, title, definition, content_hash, questions, grading, loaded_at)
             VALUES ('e', 'E', '{{}}', 'h', 1, 'highest', 0) ON CONFLICT DO NOTHING;
         INSERT INTO card_states VALUES ({learner}, {card}, 1, 0, 1.0, 5.0, 0, 0, 0, 0, 1, 0, 0,
                                         (SELECT deck_id FROM cards WHERE id = {card}));
         INSERT INTO sessions (learner_id, mode, started_at, seed) VALUES ({learner}, 'study', 0, 1);
         INSERT INTO flags (learner_id, card_id, flagged_at) VALUES ({learner}, {card}, 0);
         WITH a AS (INSERT INTO attempts (exam_id, learner_id, number, seed, paper, started_at)
                    VALUES ('e', {learner}, 1, 1, '[]', 0) RETURNING id)
         INSERT INTO attempt_answers (learner_id, attempt_id, position, card_id, response, credit, correct,
                                      answered_at, duration_ms)
             SELECT {learner}, id, 0, {card}, '\"x\"', 1, true, 0, 1 FROM a;
         INSERT INTO enrolment_keys (key_id, learner_id, key, generation, issued_at)
             VALUES ('k{learner}', {learner}, NULL, 1, 0);
         INSERT INTO unverified_imports VALUES ({learner}, 0, 0, 1);
         INSERT INTO devices (learner_id, name, token_hash, created_at)
             VALUES ({learner}, 'laptop', decode(lpad(to_hex({learner}), 64, '0'), 'hex'), 0);
         INSERT INTO sync_acked VALUES ({learner}, 's', repeat('a', 32), 1);
         INSERT INTO sync_pulled VALUES ({learner}, 's', 1);
         INSERT INTO exam_extra_time VALUES ({learner}, 'e', 5, 'teacher prof', 0);
         INSERT INTO lti_links VALUES ({learner}, 'https://lms', 'u{learner}', 0, 'email');
         INSERT INTO lti_outbox (learner_id, issuer, client_id, lineitems, resource_id, label, user_id, score_given,
                                 score_maximum, timestamp_ms, state, next_try_at, queued_at)
             VALUES ({learner}, 'https://lms', 'c', 'https://lms/li', 'e', 'E', 'u{learner}', 1, 2, 0, 'pending',
                     0, 0);"
    );
    if device_enrolled {
        sql += &format!(
            "INSERT INTO device_enrolment (learner_id, id, key_id, key, enrolled_at)
             VALUES ({learner}, 1, 'k', '\\x00', 0);"
        );
    }
    sql += "COMMIT;";
    owner.batch_execute(&sql).unwrap();
}

/// Attack: a server query that forgets its `WHERE learner_id` (or a bug that passes the wrong id) must still see
/// one learner's rows: an app-role connection scoped to A counting every learner table with no WHERE sees exactly
/// A's rows (while B has rows in each); it cannot insert a row for B ("violates row-level security"), nor change
/// or delete B's rows; and a transaction that set no scope sees nothing at all.
#[test]
fn an_app_connection_scoped_to_a_learner_sees_and_writes_only_that_learner() {
    let both = Both::new();
    let repo = both.pg.as_ref();
    let a = repo.add_learner("ann", Some("ann"), 1).unwrap().unwrap().id;
    let b = repo.add_learner("bob", Some("bob"), 1).unwrap().unwrap().id;
    for (learner, d) in [(a, "a"), (b, "b")] {
        let e = [
            review(d, 1, "realpolitik", 0, 3),
            review(d, 2, "nrc-refresh", 5, 2),
        ];
        assert_eq!(repo.append_events(learner, &e, NOW_S).unwrap().added, 2);
    }
    let mut owner = both.db.client(OWNER);
    fill(&mut owner, a, false);
    fill(&mut owner, b, true);
    let tables = learner_tables(&mut owner);
    let mut app = both.db.client(APP);
    for (table, column) in &tables {
        let count = |client: &mut postgres::Client, scope: &str, filter: &str| -> i64 {
            let mut tx = client.transaction().unwrap();
            tx.batch_execute(scope).unwrap();
            let n = tx
                .query_one(&format!("SELECT count(*) FROM {table} {filter}"), &[])
                .unwrap()
                .get(0);
            tx.commit().unwrap();
            n
        };
        let course = "SELECT set_config('detente.scope', 'course', true)";
        let a_rows = count(&mut owner, course, &format!("WHERE {column} = {a}"));
        let b_rows = count(&mut owner, course, &format!("WHERE {column} = {b}"));
        assert!(b_rows > 0, "{table}: the test put no row of B's there");
        let scoped = format!("SELECT set_config('detente.learner_id', '{a}', true)");
        assert_eq!(
            count(&mut app, &scoped, ""),
            a_rows,
            "{table}: scoped to A, the app saw other rows"
        );
        assert_eq!(
            count(&mut app, "SELECT 1", ""),
            0,
            "{table}: no scope, and rows were seen"
        );
        assert_eq!(
            count(&mut owner, "SELECT 1", ""),
            0,
            "{table}: the owner is not held to the policy"
        );
        let mut tx = app.transaction().unwrap();
        tx.batch_execute(&scoped).unwrap();
        // `learners.id` is an identity column, which cannot be set even to itself.
        let set = if *column == "id" {
            "name = name"
        } else {
            "learner_id = learner_id"
        };
        let changed = tx
            .execute(
                &format!("UPDATE {table} SET {set} WHERE {column} = {b}"),
                &[],
            )
            .unwrap();
        let deleted = tx.execute(&format!("DELETE FROM {table} WHERE {column} = {b}"), &[]);
        assert_eq!(changed, 0, "{table}: A's scope changed B's rows");
        assert!(
            deleted.is_err() || deleted.unwrap() == 0,
            "{table}: A's scope deleted B's rows"
        );
        tx.rollback().unwrap();
    }
    let mut tx = app.transaction().unwrap();
    tx.batch_execute(&format!(
        "SELECT set_config('detente.learner_id', '{a}', true)"
    ))
    .unwrap();
    let err = tx
        .execute(
            "INSERT INTO sync_log (learner_id, device, seq, learner_seq, retracts_device, retracts_seq)
             VALUES ($1, $2, 9, 9, $2, 1)",
            &[&b, &"b".repeat(32)],
        )
        .unwrap_err();
    let message = err
        .as_db_error()
        .map(|e| e.message().to_string())
        .unwrap_or_default();
    assert!(message.contains("row-level security"), "{err}");
    drop(tx);
    assert_eq!(repo.digest(a).unwrap().events, 2, "A's log is whole");
}

/// Attack: the server's role must not be able to take the wall down: as the app role, turning row-level security
/// off, unforcing it, dropping or altering a learner table, creating a table, or writing the migrations' record
/// all fail; the owner's migration run again applies nothing; and a server pointed at a database that was never
/// migrated refuses to start, naming the versions.
#[test]
fn the_app_role_cannot_alter_or_drop_the_tables() {
    let db = pg::cluster().database();
    let mut app = db.client(APP);
    for sql in [
        "ALTER TABLE reviews DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE sync_log NO FORCE ROW LEVEL SECURITY",
        "DROP POLICY learner_rows ON card_states",
        "DROP TABLE sync_log",
        "ALTER TABLE learners ADD COLUMN x int",
        "CREATE TABLE mine (x int)",
        "INSERT INTO detente_migrations (version, name) VALUES (99, 'x')",
        "TRUNCATE reviews",
    ] {
        let err = app.batch_execute(sql).unwrap_err();
        let message = err
            .as_db_error()
            .map(|e| e.message().to_string())
            .unwrap_or_default();
        assert!(
            message.contains("must be owner") || message.contains("permission denied"),
            "{sql}: {err}"
        );
    }
    assert_eq!(
        detente::store::pg::migrate(&mut db.client(OWNER), APP).unwrap(),
        0
    );
    assert_eq!(
        detente::store::pg::schema_version(&mut app).unwrap(),
        detente::store::pg::SCHEMA_VERSION
    );
    let mut root = db.client(pg::SUPERUSER);
    root.batch_execute(&format!("CREATE DATABASE {}_empty OWNER {OWNER}", db.name))
        .unwrap();
    let empty = db.url(APP).replace(&db.name, &format!("{}_empty", db.name));
    let Err(e) = Pg::connect(&empty, 1) else {
        panic!("a server started on an unmigrated database")
    };
    assert!(e.to_string().contains("schema version 0"), "{e}");
}

/// Attack: a server configured for PostgreSQL must really serve from it, not from the SQLite file in its state
/// folder: `detente serve` migrates a new database as the owner, connects as the app role, and the caller's
/// identity (`/v1/hello`, by roster username) and the teacher's `learner list` come from PostgreSQL's rows, added
/// there after the server started; the state folder holds no database; and SIGTERM stops it cleanly (dropping the
/// pool's connections inside the async runtime would abort it).
#[test]
fn a_server_on_postgresql_identifies_callers_and_lists_the_roster_from_it() {
    let db = pg::cluster().database();
    let mut served = PgServed::start(&db, "serve", false);
    let repo = Pg::connect(&served.app_url, 1).expect("the server migrated the database");
    repo.add_learner("Root On Roster", Some(&me()), 1)
        .unwrap()
        .unwrap();
    repo.add_learner("zoe", Some("zoe-login"), 1)
        .unwrap()
        .unwrap();
    served.ok(&["login", served.socket.to_str().unwrap()]);
    let who = served.ok(&["whoami"]);
    assert!(who.contains("Root On Roster"), "{who}");
    // Requests at once, so that the pool holds several connections when the server stops.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| served.ok(&["whoami"]));
        }
    });
    let list = served.ok(&["learner", "list", "--json"]);
    assert!(
        list.contains("zoe-login") && list.contains("Root On Roster"),
        "{list}"
    );
    served.stop();
    assert!(served.said().contains("PostgreSQL"), "{}", served.said());
    assert!(!served.dir.path().join("state").join("detente.db").exists());
}

/// Attack, end to end over the socket on PostgreSQL: the teacher publishes the sample deck with the real client
/// (`deck import` after `login`), and it is in PostgreSQL's tables, not the empty SQLite store beside the pool; the
/// learner (the same user, on the roster) pushes reviews of a published card and of a built-in deck's card, and
/// the server re-derives their card states in PostgreSQL; the same push again stores nothing twice; a pull returns
/// exactly the events pushed with the digest of the same log held in memory. Over TLS, a laptop registers with an
/// enrolment code whose key is in PostgreSQL, pushes into the same learner's log by its token, shows in the
/// teacher's device list, and once revoked by the teacher its token is refused. `grades outbox` on a server without
/// `[lti]` is refused for what it is, never as a route not served on PostgreSQL.
#[test]
fn a_server_on_postgresql_publishes_decks_and_syncs_a_learner() {
    use detente::server::client::Server;
    use detente::sync::{DeckVersion, Pulled, Push, Pushed};
    let db = pg::cluster().database();
    let served = PgServed::start(&db, "sync", true);
    let repo = Pg::connect(&served.app_url, 1).unwrap();
    let ann = repo
        .add_learner("Root On Roster", Some(&me()), 1)
        .unwrap()
        .unwrap();
    served.ok(&["login", served.socket.to_str().unwrap()]);
    let said = served.ok(&["deck", "import", "tests/data/sample.toml"]);
    assert!(said.contains("sample"), "{said}");
    let server = Server::new(&served.socket);
    let decks: Vec<DeckVersion> = server.get("/v1/decks").unwrap();
    assert_eq!(
        decks.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["sample"]
    );

    let mut builtin = review("a", 2, "x", 1000, 2);
    if let Body::Review(r) = &mut builtin.body {
        r.deck = "course-nato-russia".into();
        r.card = "timeline-mid-1990s-2011".into();
    }
    let events = vec![review("a", 1, "realpolitik", 0, 3), builtin];
    let push = Push {
        device: "a".repeat(32),
        events: events.clone(),
    };
    let pushed: Pushed = server.post("/v1/sync/push", &push).unwrap();
    assert_eq!(
        (
            pushed.report.added,
            pushed.report.refused.len(),
            pushed.held
        ),
        (2, 0, 2),
        "{pushed:?}"
    );
    let again: Pushed = server.post("/v1/sync/push", &push).unwrap();
    assert_eq!(
        (again.report.added, again.report.duplicates, again.held),
        (0, 2, 2),
        "{again:?}"
    );
    let pulled: Pulled = server.get("/v1/sync/pull?cursor=0").unwrap();
    assert_eq!(pulled.page.events, events);
    let mut log = Log::default();
    log.merge(&events);
    assert_eq!(pulled.digest, Some(log.digest()));

    let mut owner = postgres::Client::connect(&served.owner_url, postgres::NoTls).unwrap();
    let mut tx = owner.transaction().unwrap();
    tx.batch_execute("SELECT set_config('detente.scope', 'course', true)")
        .unwrap();
    let states: Vec<(String, i64)> = tx
        .query(
            "SELECT c.deck_id, s.reps FROM card_states s JOIN cards c ON c.id = s.card_id
             WHERE s.learner_id = $1 ORDER BY c.deck_id",
            &[&ann.id],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        states,
        [
            ("course-nato-russia".to_string(), 1),
            ("sample".to_string(), 1)
        ]
    );
    let published: i64 = tx
        .query_one(
            "SELECT count(*) FROM published_decks WHERE deck_id = 'sample'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(published, 1);
    tx.commit().unwrap();

    // A laptop over TLS: registered with an enrolment code whose key is in PostgreSQL (the row written here, so that
    // only the registration is under test), it pushes as the same learner by its token; revoked by
    // the teacher on the socket, its token is refused.
    let mut rng =
        <rand_chacha::ChaCha8Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(3);
    let code = detente::enrol::Code::generate("Root On Roster", &mut rng);
    let key = code.key();
    let mut tx = owner.transaction().unwrap();
    tx.batch_execute("SELECT set_config('detente.scope', 'course', true)")
        .unwrap();
    tx.execute(
        "INSERT INTO enrolment_keys (key_id, learner_id, key, generation, issued_at) VALUES ($1, $2, $3, 1, 1)",
        &[&key.id(), &ann.id, &key.as_bytes()],
    )
    .unwrap();
    tx.commit().unwrap();
    let (url, ca) = served.tls.clone().unwrap();
    let anonymous = Server::tls(&url, Some(&ca), None).unwrap();
    let registered: detente::server::api::Registered = anonymous
        .post(
            "/v1/devices",
            &detente::server::api::Register {
                code: code.to_string(),
                device_name: "laptop".into(),
            },
        )
        .unwrap();
    assert_eq!(registered.learner, "Root On Roster");
    let laptop = Server::tls(&url, Some(&ca), Some(registered.token.clone())).unwrap();
    let hello = laptop.hello().unwrap();
    assert_eq!(
        (hello.learner.as_deref(), hello.device.map(|d| d.id)),
        (Some("Root On Roster"), Some(registered.device.id))
    );
    let more = Push {
        device: "b".repeat(32),
        events: vec![review("b", 1, "nrc-refresh", 5000, 3)],
    };
    let pushed: Pushed = laptop.post("/v1/sync/push", &more).unwrap();
    assert_eq!((pushed.report.added, pushed.held), (1, 1), "{pushed:?}");
    let listed: detente::server::api::Devices = server.get("/v1/devices").unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some());
    let _: detente::server::api::Devices = server
        .post(
            "/v1/devices/revoke",
            &detente::server::api::Revoke {
                ids: vec![registered.device.id],
            },
        )
        .unwrap();
    let refused = laptop.hello().unwrap_err().to_string();
    assert!(refused.contains("revoked"), "{refused}");
    let pulled: Pulled = server.get("/v1/sync/pull?cursor=0").unwrap();
    assert_eq!(pulled.page.events.len(), 3);

    let out = served.client().args(["grades", "outbox"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // Every teacher's route is served on PostgreSQL now: this server has no `[lti]`, and says so.
    assert!(
        !out.status.success()
            && !err.contains("not served by a class server on PostgreSQL")
            && err.to_lowercase().contains("lti"),
        "{err}"
    );
    let limit: detente::server::api::Done<detente::server::api::UploadLimit> =
        server.get("/v1/teacher/limits").unwrap();
    assert!(limit.into_result().unwrap().max_request_bytes > 0);
}

/// A learner's card states on one backend, by "deck/card/sibling": phase, repetitions, due. Read directly (on
/// PostgreSQL as the owner in the course's scope), not through the interface.
fn states_of(both: &Both, backend: &str, learner: i64) -> Vec<(String, i64, i64, i64)> {
    let sql = format!(
        "SELECT c.deck_id || '/' || c.card_key || '/' || c.sibling, s.phase, s.reps, s.due
         FROM card_states s JOIN cards c ON c.id = s.card_id WHERE s.learner_id = {learner}"
    );
    let mut rows: Vec<(String, i64, i64, i64)> = if backend == "SQLite" {
        let store = both.sqlite.lock().unwrap();
        let mut stmt = store.conn.prepare(&sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    } else {
        let mut owner = both.db.client(OWNER);
        let mut tx = owner.transaction().unwrap();
        tx.batch_execute("SELECT set_config('detente.scope', 'course', true)")
            .unwrap();
        tx.query(&sql, &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    };
    rows.sort();
    rows
}

/// Attack: a push is one transaction that also re-derives the learner's card states and says what the server
/// holds of the device gap-free. Pushed again (a lost answer), it stores nothing twice and leaves the states as
/// they were; a forged push by another learner naming the first one's device id, with a different review under a
/// stored key and a retraction of one of the first one's reviews, goes into the forger's own log only: the first
/// learner's digest, events and states do not move. A review of a built-in deck's card the database never loaded
/// is taken (the built-in decks loaded in the same transaction). The states come out the same on both backends
/// (the same replay), and a pull's digest comes only with its last page.
#[test]
fn a_push_rederives_states_says_what_is_held_and_touches_no_other_learner() {
    let both = Both::new();
    let mut seen = Vec::new();
    for (name, repo) in both.each() {
        let ann = repo.add_learner("ann", Some("ann"), 1).unwrap().unwrap();
        let bob = repo.add_learner("bob", Some("bob"), 1).unwrap().unwrap();
        let device = "a".repeat(32);
        let a1 = review("a", 1, "realpolitik", 0, 3);
        let a2 = review("a", 2, "nrc-refresh", 1000, 1);
        let a4 = review("a", 4, "georgia-war-year", 2000, 3);
        let sent = [a1.clone(), a2.clone(), a4.clone()];
        let p = repo.push(ann.id, &device, &sent, NOW_S).unwrap();
        assert_eq!((p.report.added, p.held), (3, 2), "{name}: {p:?}");
        let states = states_of(&both, name, ann.id);
        assert_eq!(states.len(), 3, "{name}: {states:?}");
        assert!(states.iter().all(|s| s.2 == 1), "{name}: {states:?}");
        let digest = repo.digest(ann.id).unwrap();
        let again = repo.push(ann.id, &device, &sent, NOW_S).unwrap();
        assert_eq!(
            (again.report.added, again.report.duplicates, again.held),
            (0, 3, 2),
            "{name}: {again:?}"
        );
        assert_eq!(repo.digest(ann.id).unwrap(), digest, "{name}");
        assert_eq!(states_of(&both, name, ann.id), states, "{name}");

        let forged = [review("a", 1, "realpolitik", 0, 1), retraction("a", 3, &a2)];
        let f = repo.push(bob.id, &device, &forged, NOW_S).unwrap();
        assert_eq!((f.report.added, f.held), (2, 1), "{name}: {f:?}");
        assert_eq!(
            repo.digest(ann.id).unwrap(),
            digest,
            "{name}: a push by bob changed ann's log"
        );
        assert_eq!(
            states_of(&both, name, ann.id),
            states,
            "{name}: a push by bob changed ann's states"
        );
        assert_eq!(states_of(&both, name, bob.id).len(), 1, "{name}");
        let (page, d) = repo.pull_page(ann.id, Cursor(0), 10).unwrap();
        assert_eq!(page.events, sent, "{name}");
        assert_eq!(d, Some(digest), "{name}");

        let a3 = review("a", 3, "rogozin-envoy", 1500, 3);
        let mut builtin = review("a", 5, "x", 3000, 3);
        if let Body::Review(r) = &mut builtin.body {
            r.deck = "course-nato-russia".into();
            r.card = "timeline-mid-1990s-2011".into();
        }
        let p = repo.push(ann.id, &device, &[a3, builtin], NOW_S).unwrap();
        assert_eq!(
            (
                p.report.added,
                p.report.duplicates,
                p.report.refused.len(),
                p.held
            ),
            (2, 0, 0, 5),
            "{name}: {p:?}"
        );
        let (page, d) = repo.pull_page(ann.id, Cursor(0), 2).unwrap();
        assert!(
            page.more && d.is_none(),
            "{name}: a digest before the last page"
        );
        let states = states_of(&both, name, ann.id);
        assert_eq!(states.len(), 5, "{name}: {states:?}");
        seen.push(states);
    }
    assert_eq!(seen[0], seen[1], "the states differ between the backends");
}

/// A small deck to publish, with `answer` as its one text card's answer.
fn course_deck(answer: &str) -> String {
    format!(
        "[deck]\nid = \"course-extra\"\ntitle = \"Extra\"\n\n\
         [[card]]\nid = \"envoy\"\nkind = \"text\"\nprompt = \"Russia's envoy to NATO in 2010?\"\n\
         answers = [{answer:?}]\n\n\
         [[card]]\nid = \"lisbon\"\nkind = \"truefalse\"\nprompt = \"The 2010 summit was in Lisbon.\"\nanswer = true\n"
    )
}

fn publish(text: String, dry_run: bool, reset_changed: bool) -> detente::sync::Publish {
    detente::sync::Publish {
        decks: vec![detente::sync::DeckFile {
            file: "extra.toml".into(),
            text,
        }],
        dry_run,
        reset_changed,
    }
}

/// Attack: publishing imports the deck into the backend's own tables, so a push naming its card is taken (and one
/// naming a card not yet published is refused); a dry run writes nothing (neither listed nor its cards taken); the
/// listed version is the deck's content hash and the text comes back as published; publishing a changed answer
/// with `reset_changed` resets the learners' states on that card only, and says so. The reports are the same on
/// both backends.
#[test]
fn publishing_a_deck_imports_it_and_a_dry_run_writes_nothing() {
    let both = Both::new();
    let mut said = Vec::new();
    for (name, repo) in both.each() {
        let ann = repo.add_learner("ann", Some("ann"), 1).unwrap().unwrap();
        let device = "e".repeat(32);
        let mut e1 = review("e", 1, "envoy", 0, 3);
        let mut e2 = review("e", 2, "lisbon", 10, 3);
        for e in [&mut e1, &mut e2] {
            if let Body::Review(r) = &mut e.body {
                r.deck = "course-extra".into();
            }
        }
        let dry = repo
            .publish(&publish(course_deck("Rogozin"), true, false), "prof", NOW_S)
            .unwrap();
        assert_eq!(dry.len(), 1, "{name}");
        assert!(repo.published_decks().unwrap().is_empty(), "{name}");
        let p = repo.push(ann.id, &device, &[e1.clone()], NOW_S).unwrap();
        assert_eq!((p.report.added, p.report.refused.len()), (0, 1), "{name}");

        let out = repo
            .publish(
                &publish(course_deck("Rogozin"), false, false),
                "prof",
                NOW_S,
            )
            .unwrap();
        assert_eq!(out, dry, "{name}: the dry run said something else");
        let listed = repo.published_decks().unwrap();
        assert_eq!(listed.len(), 1, "{name}");
        assert_eq!(
            (listed[0].id.as_str(), listed[0].title.as_str()),
            ("course-extra", "Extra")
        );
        assert_eq!(listed[0].content_hash, out[0].content_hash, "{name}");
        let (hash, file, text) = repo.published_deck("course-extra").unwrap().unwrap();
        assert_eq!(
            (hash, file, text),
            (
                out[0].content_hash.clone(),
                "extra.toml".into(),
                course_deck("Rogozin")
            ),
            "{name}"
        );
        assert!(repo.published_deck("sample").unwrap().is_none(), "{name}");
        let p = repo
            .push(ann.id, &device, &[e1.clone(), e2.clone()], NOW_S)
            .unwrap();
        assert_eq!((p.report.added, p.held), (2, 2), "{name}: {p:?}");
        assert_eq!(states_of(&both, name, ann.id).len(), 2, "{name}");

        let again = repo
            .publish(&publish(course_deck("Rogozin"), false, true), "prof", NOW_S)
            .unwrap();
        let changed = repo
            .publish(&publish(course_deck("Grushko"), false, true), "prof", NOW_S)
            .unwrap();
        assert!(
            changed[0].summary.contains("1 changed"),
            "{name}: {changed:?}"
        );
        assert!(
            changed[0]
                .summary
                .contains("progress reset on 1 learner card"),
            "{name}: {changed:?}"
        );
        let left = states_of(&both, name, ann.id);
        assert_eq!(
            left.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
            ["course-extra/lisbon/0"],
            "{name}"
        );
        said.push((out, again, changed));
    }
    assert_eq!(said[0], said[1], "the backends' reports differ");
}

/// Attack: a device token is known by its hash on both backends; a learner's scope must not reach another
/// learner's device (noting its use or revoking it as "self" does nothing to it); a teacher's revocation of an id
/// that names no device revokes nothing, not even the ids that exist; a revoked token is still found, revoked,
/// and the server's identity refuses it; a second device with the same token hash is refused.
#[test]
fn devices_are_registered_revoked_and_scoped_to_their_learner_on_both_backends() {
    use detente::server::identity::{Caller, identify_device, token_hash};
    let both = Both::new();
    for (name, repo) in both.each() {
        let ann = repo.add_learner("ann", Some("ann"), 1).unwrap().unwrap();
        let bob = repo.add_learner("bob", Some("bob"), 1).unwrap().unwrap();
        let (ta, tb) = ("dt_ann-token", "dt_bob-token");
        let da = repo
            .insert_device(ann.id, "laptop", &token_hash(ta), 1000)
            .unwrap();
        let db = repo
            .insert_device(bob.id, "phone", &token_hash(tb), 1000)
            .unwrap();
        assert!(
            repo.insert_device(bob.id, "copy", &token_hash(ta), 1000)
                .is_err(),
            "{name}: a token hash twice"
        );
        let found = repo.device_by_token(&token_hash(ta)).unwrap().unwrap();
        assert_eq!(
            (found.id, found.learner_id, found.learner.as_str()),
            (da, ann.id, "ann"),
            "{name}"
        );
        assert!(
            repo.device_by_token(&token_hash("dt_other"))
                .unwrap()
                .is_none()
        );
        assert!(!repo.touch_device(bob.id, da, 2000).unwrap(), "{name}");
        assert!(
            repo.revoke_device(bob.id, da, "the device (logout)", 2000)
                .unwrap()
                .is_none(),
            "{name}"
        );
        let a = repo.devices(Some(ann.id)).unwrap();
        assert_eq!(a.len(), 1, "{name}");
        assert_eq!((a[0].last_used_at, a[0].revoked_at), (None, None), "{name}");
        assert_eq!(repo.devices(None).unwrap().len(), 2, "{name}");
        assert_eq!(
            repo.learner_by_name("BOB").unwrap().map(|l| l.id),
            Some(bob.id),
            "{name}"
        );

        match identify_device(Some(ta), repo.as_ref(), 3000).unwrap() {
            Caller::Known(me) => {
                assert_eq!(
                    (me.learner_id, me.user.as_str()),
                    (Some(ann.id), "ann"),
                    "{name}"
                )
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(
            repo.devices(Some(ann.id)).unwrap()[0].last_used_at,
            Some(3000)
        );
        assert_eq!(
            repo.revoke_devices(&[db, 9999], "teacher prof", 4000)
                .unwrap(),
            Err(vec![9999]),
            "{name}"
        );
        assert_eq!(
            repo.devices(Some(bob.id)).unwrap()[0].revoked_at,
            None,
            "{name}"
        );
        let revoked = repo
            .revoke_devices(&[db], "teacher prof", 4000)
            .unwrap()
            .unwrap();
        assert_eq!(
            revoked[0].revoked_by.as_deref(),
            Some("teacher prof"),
            "{name}"
        );
        let mine = repo
            .revoke_device(ann.id, da, "the device (logout)", 5000)
            .unwrap()
            .unwrap();
        assert_eq!(mine.revoked_at, Some(5000), "{name}");
        for token in [ta, tb] {
            assert!(
                matches!(
                    identify_device(Some(token), repo.as_ref(), 6000).unwrap(),
                    Caller::Unauthenticated(why) if why.contains("revoked")
                ),
                "{name}: a revoked token was taken"
            );
        }
    }
}

/// Attack: a pull's last page and its digest must describe the same log, while pushes commit between any two
/// statements: the reader pulls small pages from its cursor while a writer pushes, and every digest it gets must be
/// the digest of exactly the events it has pulled so far (a digest read after a push that the page did not see
/// would make a client re-pull for nothing, or worse, trust a log it does not hold). On PostgreSQL this needs the
/// page and the digest in one snapshot.
#[test]
fn a_pulls_digest_always_matches_the_events_pulled() {
    let both = Both::new();
    const EVENTS: i64 = 60;
    for (name, repo) in both.each() {
        let ann = repo.add_learner("ann", None, 1).unwrap().unwrap();
        let writer = {
            let repo = repo.clone();
            std::thread::spawn(move || {
                for seq in 1..=EVENTS {
                    let e = review("a", seq, "realpolitik", seq * 10, 3);
                    let p = repo.push(ann.id, &"a".repeat(32), &[e], NOW_S).unwrap();
                    assert_eq!(p.held, seq, "{p:?}");
                }
            })
        };
        let (mut cursor, mut log, mut pulled, mut checked) = (Cursor(0), Log::default(), 0, 0);
        loop {
            let finished = writer.is_finished();
            let (page, digest) = repo.pull_page(ann.id, cursor, 5).unwrap();
            pulled += page.events.len();
            log.merge(&page.events);
            cursor = page.next;
            if let Some(d) = digest {
                assert!(!page.more, "{name}");
                assert_eq!(
                    d,
                    log.digest(),
                    "{name}: the digest is not of the events pulled ({pulled})"
                );
                checked += 1;
            }
            if finished && page.events.is_empty() {
                break;
            }
        }
        writer.join().unwrap();
        assert_eq!(pulled as i64, EVENTS, "{name}");
        assert!(checked > 1, "{name}");
    }
}

/// Attack: two learners' first pushes naming a built-in deck's card, at once, both load the built-in decks the
/// database lacks: one must wait for the other (PostgreSQL: the decks' advisory lock, then a second look), not fail
/// on a deck or card inserted twice, and both reviews are taken.
#[test]
fn two_first_pushes_naming_a_built_in_card_at_once_are_both_taken() {
    let both = Both::new();
    for (name, repo) in both.each() {
        let learners: Vec<i64> = ["ann", "bob", "cy", "di"]
            .iter()
            .map(|n| repo.add_learner(n, None, 1).unwrap().unwrap().id)
            .collect();
        let barrier = Arc::new(std::sync::Barrier::new(learners.len()));
        let pushes: Vec<_> = learners
            .into_iter()
            .map(|learner| {
                let (repo, barrier) = (repo.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut e = review("f", 1, "x", 0, 3);
                    if let Body::Review(r) = &mut e.body {
                        r.deck = "course-nato-russia".into();
                        r.card = "timeline-mid-1990s-2011".into();
                    }
                    barrier.wait();
                    repo.push(learner, &"f".repeat(32), &[e], NOW_S)
                })
            })
            .collect();
        for p in pushes {
            let p = p.join().unwrap().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                (p.report.added, p.report.refused.len()),
                (1, 0),
                "{name}: {p:?}"
            );
        }
    }
}

/// Attack: an exam-only bank published to the server must never leave it, on either backend: it is imported (its
/// cards exist for the server's exams) but not listed among the course's decks, its text is not served, and a push
/// of study on one of its cards (a student who got the bank some other way) is refused with the reason, not stored.
#[test]
fn an_exam_only_bank_is_published_but_never_listed_served_or_synced() {
    let both = Both::new();
    let bank =
        course_deck("Rogozin").replace("title = \"Extra\"", "title = \"Extra\"\nexam_only = true");
    for (name, repo) in both.each() {
        let ann = repo.add_learner("ann", Some("ann"), 1).unwrap().unwrap();
        let out = repo
            .publish(&publish(bank.clone(), false, false), "prof", NOW_S)
            .unwrap();
        assert_eq!(out.len(), 1, "{name}");
        assert!(repo.published_decks().unwrap().is_empty(), "{name}");
        assert!(
            repo.published_deck("course-extra").unwrap().is_none(),
            "{name}"
        );
        let mut e = review("e", 1, "envoy", 0, 3);
        if let Body::Review(r) = &mut e.body {
            r.deck = "course-extra".into();
        }
        let p = repo.push(ann.id, &"e".repeat(32), &[e], NOW_S).unwrap();
        assert_eq!(p.report.added, 0, "{name}");
        assert!(
            p.report.refused[0].1.contains("for exams only"),
            "{name}: {:?}",
            p.report.refused
        );
    }
}

/// The number of rows of every table of a SQLite database, by table.
fn sqlite_counts(conn: &rusqlite::Connection) -> Vec<(String, i64)> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let n = conn
                .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect()
}

/// Attack: moving a course from SQLite to PostgreSQL must lose nothing and invent nothing. A database with rows in
/// every learner table (two learners who studied with an undo, sat an exam, flagged a card, were issued codes, have
/// devices, LTI links and queued scores) is adopted with the real `detente admin adopt` into a server's fresh
/// PostgreSQL database: every table has exactly SQLite's row count (read as the owner, in course scope, so row
/// security hides nothing), the card states' floating-point memory and the devices' token hashes are equal to the
/// bit, the identity sequences moved past the copied ids (a learner added afterwards takes a new id, not a copied
/// one's), and the server then lists the adopted roster. A second adoption into the now non-empty database is
/// refused and writes nothing.
#[test]
fn adopting_a_sqlite_database_copies_every_row_into_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("lab.db");
    crate::admin::everything(&lab, &["ann", "bob"]);
    let conn = rusqlite::Connection::open(&lab).unwrap();
    conn.execute(
        "UPDATE learners SET username = ?1 WHERE name = 'ann'",
        [me()],
    )
    .unwrap();
    let counts = sqlite_counts(&conn);
    let db = pg::cluster().database();
    let served = PgServed::adopting(&db, "adopt", false, Some(&lab));
    let mut owner = postgres::Client::connect(&served.owner_url, postgres::NoTls).unwrap();
    owner
        .batch_execute("SELECT set_config('detente.scope', 'course', false)")
        .unwrap();
    for (table, n) in &counts {
        let got: i64 = owner
            .query_one(&format!("SELECT count(*) FROM \"{table}\""), &[])
            .unwrap()
            .get(0);
        assert_eq!(got, *n, "{table}");
    }
    let filled: Vec<_> = counts.iter().filter(|(_, n)| *n > 0).collect();
    assert!(filled.len() >= 20, "{counts:?}");
    let states = |sql: &str| -> Vec<(i64, i64, f64, f64)> {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let order = "SELECT learner_id, card_id, stability, difficulty FROM card_states ORDER BY 1, 2";
    let pg_states: Vec<(i64, i64, f64, f64)> = owner
        .query(order, &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert!(!pg_states.is_empty());
    assert_eq!(states(order), pg_states);
    let hashes = "SELECT id, token_hash FROM devices ORDER BY id";
    let sqlite_hashes: Vec<(i64, Vec<u8>)> = conn
        .prepare(hashes)
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let pg_hashes: Vec<(i64, Vec<u8>)> = owner
        .query(hashes, &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(sqlite_hashes, pg_hashes);
    let repo = Pg::connect(&served.app_url, 1).unwrap();
    let max: i64 = conn
        .query_row("SELECT max(id) FROM learners", [], |r| r.get(0))
        .unwrap();
    let zoe = repo.add_learner("zoe", None, 1).unwrap().unwrap();
    assert!(zoe.id > max, "{} after {max}", zoe.id);
    served.ok(&["login", served.socket.to_str().unwrap()]);
    let list = served.ok(&["learner", "list", "--json"]);
    assert!(
        list.contains("\"bob\"") && list.contains("\"zoe\""),
        "{list}"
    );

    let before: i64 = owner
        .query_one("SELECT count(*) FROM reviews", &[])
        .unwrap()
        .get(0);
    let config = served.dir.path().join("serve.toml");
    let out = served
        .client()
        .args(["admin", "adopt", "--config"])
        .arg(&config)
        .arg(&lab)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("running"), "{err}");
    drop(served);
    let again = tempfile::tempdir().unwrap();
    let moved = again.path().join("serve.toml");
    std::fs::write(
        &moved,
        format!(
            "state_directory = {:?}\n[socket]\npath = {:?}\n[postgres]\nurl = {:?}\nowner_url = {:?}\n",
            again.path().join("state"),
            again.path().join("class.sock"),
            db.url(APP).replace(&db.name, &format!("{}_adopt", db.name)),
            db.url(OWNER).replace(&db.name, &format!("{}_adopt", db.name)),
        ),
    )
    .unwrap();
    let out = crate::support::process(&again.path().join("unused.db"))
        .args(["admin", "adopt", "--config"])
        .arg(&moved)
        .arg(&lab)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("already holds rows"), "{err}");
    let after: i64 = owner
        .query_one("SELECT count(*) FROM reviews", &[])
        .unwrap()
        .get(0);
    assert_eq!(before, after);
}
