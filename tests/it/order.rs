//! New-card order on a fresh database with the built-in decks: reading decks first, interleaved, each in
//! its reading's paragraph order; no card that crosses readings before each of its readings has been seen; a
//! deck's own `new_order` honoured. And the counts: one definition, the same figure in the session summary,
//! `due`, `stats` and `decks`.

use crate::support::{Answer, Ask, Script, Scripted, TestClock, answering, detente, run};
use detente::deck::{Body, parse_deck};
use detente::schedule::{Calendar, CardState, Phase};
use detente::session::{Reply, Session, StudyOptions};
use detente::store::{self, Filter, Learner, Store, counts};
use detente::time::UnixMs;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

fn fresh(path: &Path) -> Store {
    let mut store = Store::open(path).expect("open");
    store::sync_builtin(&mut store, 0).expect("built-in decks");
    store
}

/// The new cards of a session started now: (deck, card key, first source paragraph, study item).
fn first_new(store: &Store, learner: &Learner, n: u32) -> Vec<(String, String, Option<u32>, i64)> {
    counts::new_for_today(
        &store.conn,
        learner.id,
        &Filter::default(),
        n,
        &HashSet::new(),
    )
    .expect("new cards")
    .into_iter()
    .map(|id| {
        let c = store::card(&store.conn, id).expect("card").expect("exists");
        let paragraph = c.card.source.first().and_then(|s| s.paragraph);
        (c.deck_id, c.card_key, paragraph, id)
    })
    .collect()
}

/// Marks cards as seen (in review, due in ten days), as answering them would.
fn see(store: &mut Store, learner: &Learner, ids: &[i64], now: i64) {
    let state = CardState {
        phase: Phase::Review,
        step: 0,
        stability: 10.0,
        difficulty: 5.0,
        due: now + 10 * 86_400,
        last_review: now,
        last_day: detente::time::Day(0),
        interval: 10,
        reps: 1,
        lapses: 0,
        leech: false,
    };
    let tx = store.write().expect("tx");
    for id in ids {
        store::put_state(&tx, learner.id, *id, Some(&state)).expect("state");
    }
    tx.commit().expect("commit");
}

const COURSE: &str = "course-nato-russia";

#[test]
fn a_fresh_first_day_starts_at_the_beginning_of_the_readings() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = fresh(&dir.path().join("d.db"));
    let learner = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
    let first = first_new(&store, &learner, 20);
    assert_eq!(first.len(), 20);
    // No card of the course deck, whose cards all cross readings: none has been seen.
    assert!(first.iter().all(|(d, ..)| d != COURSE), "{first:#?}");
    // Interleaved: one card from each reading in turn, in the course's order of readings (a sibling of a card
    // already taken waits for another day, so later turns may shift).
    let readings = [
        "sherr-lisbon-2010",
        "fpblogs-strategic-partner",
        "pouliot-two-masters",
        "naselskaya-missile-defence",
    ];
    for (i, (deck, ..)) in first.iter().take(8).enumerate() {
        assert_eq!(deck, readings[i % 4], "card {i}: {first:#?}");
    }
    for reading in readings {
        let n = first.iter().filter(|(d, ..)| d == reading).count();
        assert!((4..=6).contains(&n), "{reading}: {n} of {first:#?}");
    }
    // Each deck in its reading's paragraph order, starting at its first paragraph.
    for reading in readings {
        let paragraphs: Vec<u32> = first
            .iter()
            .filter(|(d, ..)| d == reading)
            .map(|(_, _, p, _)| p.expect("paragraph"))
            .collect();
        assert_eq!(paragraphs[0], 1, "{reading}: {paragraphs:?}");
        assert!(
            paragraphs.windows(2).all(|w| w[0] <= w[1]),
            "{reading}: {paragraphs:?}"
        );
    }
    // The very first card is a short one from a reading, not the course's 7-event chronology.
    let card = store::card(&store.conn, first[0].3)
        .expect("card")
        .expect("exists");
    assert!(
        !matches!(card.card.body, Body::Order { .. } | Body::Match { .. }),
        "{card:?}"
    );
    assert!(card.card.prompt.chars().count() <= 100, "{card:?}");
    assert_eq!(first[0].1, "alliance-condition");
    // A whole session's queue is the same list.
    let cal = Calendar::local(4);
    let clock = TestClock::new(UnixMs(1_700_000_000_000), 4_000);
    let session =
        Session::start(&mut store, &learner, StudyOptions::default(), &clock, cal).expect("start");
    assert_eq!(session.counts(), (0, 20));
}

/// Attack: a synthesis card shown before the readings it crosses are finished (it would restate their answers before
/// their cards ask them). Part of a reading met opens nothing; every card of two readings met opens exactly the
/// course cards drawing on those two; the counts agree; every reading met opens the whole course.
#[test]
fn a_card_that_crosses_readings_waits_for_each_of_them_to_be_finished() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = fresh(&dir.path().join("d.db"));
    let learner = store::learner_get_or_create(&mut store, "bo", 0).expect("learner");
    let course = store::deck(&store.conn, COURSE)
        .expect("deck")
        .expect("course");
    let draws_on: BTreeMap<String, Vec<String>> = course
        .cards
        .iter()
        .map(|c| (c.id.clone(), c.draws_on(COURSE)))
        .collect();
    assert!(draws_on.values().all(|d| !d.is_empty()));
    // Seeing the first card of Sherr and of the blog opens nothing: a synthesis waits for whole readings.
    let first = first_new(&store, &learner, 2);
    assert_eq!(first[0].0, "sherr-lisbon-2010");
    assert_eq!(first[1].0, "fpblogs-strategic-partner");
    see(&mut store, &learner, &[first[0].3, first[1].3], 0);
    let filter = Filter {
        decks: vec![COURSE.into()],
        tags: Vec::new(),
    };
    let open_now = |store: &Store| -> BTreeSet<String> {
        store::new_cards(&store.conn, learner.id, &filter, 500)
            .expect("new")
            .into_iter()
            .map(|(_, key)| key.trim_start_matches(&format!("{COURSE}/")).to_string())
            .collect()
    };
    assert!(open_now(&store).is_empty(), "{:?}", open_now(&store));
    // Every card of Sherr and of the blog seen opens exactly the course cards that draw on those two alone.
    let cards_of = |store: &Store, decks: &[&str]| -> Vec<i64> {
        let mut ids = Vec::new();
        for d in decks {
            let mut stmt = store
                .conn
                .prepare("SELECT id FROM cards WHERE deck_id = ?1 AND retired_at IS NULL")
                .expect("sql");
            ids.extend(
                stmt.query_map([d], |r| r.get::<_, i64>(0))
                    .expect("ids")
                    .map(|r| r.expect("id")),
            );
        }
        ids
    };
    let two = ["sherr-lisbon-2010", "fpblogs-strategic-partner"];
    let ids = cards_of(&store, &two);
    see(&mut store, &learner, &ids, 0);
    let open = open_now(&store);
    let expected: BTreeSet<String> = draws_on
        .iter()
        .filter(|(_, d)| d.iter().all(|r| two.contains(&r.as_str())))
        .map(|(k, _)| k.clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(open, expected);
    // The counts say the same: the rest of the course waits.
    let rows = counts::due_counts(&store.conn, learner.id, 0, 86_400).expect("counts");
    let row = rows.iter().find(|r| r.deck == COURSE).expect("course row");
    let items: u32 = course.study_items() as u32;
    let open_items = store::new_cards(&store.conn, learner.id, &filter, 500)
        .expect("new")
        .len() as u32;
    assert_eq!(row.new_available, open_items);
    assert_eq!(row.new_waiting, items - open_items);
    // Every reading met: the whole course is open, and nothing waits.
    let ids = cards_of(
        &store,
        &["pouliot-two-masters", "naselskaya-missile-defence"],
    );
    see(&mut store, &learner, &ids, 0);
    let next = first_new(&store, &learner, 10);
    assert!(next.iter().all(|c| c.0 == COURSE), "{next:?}");
    assert_eq!(next.len(), 10);
    let rows = counts::due_counts(&store.conn, learner.id, 0, 86_400).expect("counts");
    assert!(rows.iter().all(|r| r.new_waiting == 0), "{rows:#?}");
}

const ORDERED: &str = r#"
[deck]
id = "ordered"
title = "Ordered"
new_order = "ORDER"

[[card]]
id = "third"
kind = "truefalse"
prompt = "Paragraph three."
answer = true
source = { paragraph = 3 }

[[card]]
id = "no-source"
kind = "truefalse"
prompt = "Follows paragraph three."
answer = true

[[card]]
id = "first"
kind = "cloze"
prompt = "{{One}} and {{two}}."
source = { paragraph = 1 }

[[card]]
id = "second"
kind = "truefalse"
prompt = "Paragraph two."
answer = true
source = { paragraph = 2 }
"#;

#[test]
fn a_deck_sets_its_own_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(&dir.path().join("d.db")).expect("open");
    let learner = store::learner_get_or_create(&mut store, "cy", 0).expect("learner");
    let order = |store: &mut Store, text: &str| -> Vec<String> {
        let (deck, diags) = parse_deck("ordered.toml", text);
        let deck = deck.unwrap_or_else(|| panic!("{diags:?}"));
        let tx = store.write().expect("tx");
        store::import_deck(&tx, &deck, false, None, 0).expect("import");
        tx.commit().expect("commit");
        store::new_cards(&store.conn, learner.id, &Filter::default(), 10)
            .expect("new")
            .into_iter()
            .map(|(id, _)| {
                let c = store::card(&store.conn, id).expect("card").expect("exists");
                format!("{}#{}", c.card_key, c.sibling)
            })
            .collect()
    };
    assert_eq!(
        order(&mut store, &ORDERED.replace("ORDER", "paragraph")),
        ["first#0", "first#1", "second#0", "third#0", "no-source#0"]
    );
    // Re-imported with the file's order: the same cards, in the order written.
    assert_eq!(
        order(&mut store, &ORDERED.replace("ORDER", "file")),
        ["third#0", "no-source#0", "first#0", "first#1", "second#0"]
    );
    // Without the field, paragraph order.
    assert_eq!(
        order(&mut store, &ORDERED.replace("new_order = \"ORDER\"\n", "")),
        ["first#0", "first#1", "second#0", "third#0", "no-source#0"]
    );
    // A session never shows both blanks of one cloze on the same day.
    let new = counts::new_for_today(
        &store.conn,
        learner.id,
        &Filter::default(),
        10,
        &HashSet::new(),
    )
    .expect("new");
    assert_eq!(new.len(), 4);
    // An unknown order is an error at its place in the file.
    let (deck, diags) = parse_deck("ordered.toml", &ORDERED.replace("ORDER", "random"));
    assert!(deck.is_none());
    assert!(
        diags
            .iter()
            .any(|d| d.to_string().contains("ordered.toml:5:13")
                && d.to_string().contains("`new_order` must be")),
        "{diags:?}"
    );
}

// ---------------------------------------------------------------------------------------------------- counts

/// Answers everything (wrongly where it can, so that cards stay in learning) and quits at prompt `quit_at`.
fn quitter(quit_at: usize) -> Scripted<impl Script> {
    let mut asked = 0;
    answering(move |ask| {
        asked += 1;
        if asked >= quit_at {
            return Reply::Quit;
        }
        Reply::Answer(match ask {
            Ask::Choose { options, .. } => Answer::Pick(options.len().saturating_sub(1)),
            Ask::ChooseMany { .. } => Answer::Tick(Vec::new()),
            Ask::Judge { .. } => Answer::Judge(true),
            Ask::Type { .. } => Answer::Type("no idea".into()),
            Ask::Reveal { .. } => Answer::Grade(1),
        })
    })
}

fn cli(db: &Path, args: &[&str]) -> serde_json::Value {
    let out = run(detente(db), args);
    assert!(out.status.success(), "{args:?}: {out:?}");
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn every_command_counts_alike_and_the_summary_counts_the_card_on_screen() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let mut store = fresh(&db);
    let learner = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
    let cal = Calendar::local(learner.rollover_hour);
    // Half an hour ago, a first session: twenty new cards answered, most of them wrongly (they stay in learning).
    // (Never before today's rollover: the commands below count today.)
    let now = chrono::Utc::now().timestamp();
    let start = UnixMs::from_secs((now - 30 * 60).max(cal.start_of(cal.day_of(now)) + 1));
    let clock = TestClock::new(start, 4_000);
    let opts = StudyOptions {
        new: Some(12),
        limit: Some(12),
        ..Default::default()
    };
    let session = Session::start(&mut store, &learner, opts, &clock, cal).expect("start");
    let mut p = quitter(usize::MAX);
    session.run(&mut p).expect("run");
    // Twenty minutes later, a second session: the learning cards are due; quit (Esc) on the second question,
    // a learning card on screen.
    clock.set(start.plus_ms(20 * 60_000));
    let (before, _) = counts::queue(
        &store.conn,
        &learner,
        &Filter::default(),
        &cal,
        clock.get().secs(),
    )
    .expect("queue");
    assert!(before.new_done > 0 && before.learning_now > 0, "{before:?}");
    assert_eq!(before.new_left, 20 - before.new_done);
    let session =
        Session::start(&mut store, &learner, StudyOptions::default(), &clock, cal).expect("start");
    assert_eq!(session.counts(), (before.due_now, before.new_left));
    let mut p = quitter(2);
    let summary = session.run(&mut p).expect("run");
    assert_eq!(summary.done, 1);
    let ended = clock.get().secs();
    let (queue, _) =
        counts::queue(&store.conn, &learner, &Filter::default(), &cal, ended).expect("queue");
    assert!(queue.learning_today > 0);
    assert_eq!(
        summary.later_today, queue.learning_today,
        "the card on screen at Esc counts"
    );
    assert_eq!(p.summaries.last(), Some(&summary));
    drop(store);

    // The commands, now: the same definitions give the same figures.
    let due = cli(&db, &["due", "--json"]);
    let stats = cli(&db, &["stats", "--json"]);
    let decks = cli(&db, &["decks", "--json"]);
    let sum = |field: &str| -> u64 {
        due["decks"]
            .as_array()
            .expect("decks")
            .iter()
            .map(|d| d[field].as_u64().expect("n"))
            .sum()
    };
    let learning_today = sum("learning_today");
    assert_eq!(learning_today, u64::from(summary.later_today));
    assert_eq!(due["new_today"].as_u64(), Some(u64::from(queue.new_left)));
    assert_eq!(stats["today"]["new_left"], due["new_today"]);
    assert_eq!(stats["today"]["due"], due["due_now"]);
    assert_eq!(stats["today"]["later_today"], due["later_today"]);
    assert_eq!(
        due["due_now"].as_u64().expect("n"),
        sum("learning_now") + sum("reviews_now")
    );
    // Cards per deck: `decks`, `stats` (mastery rows) and `deck check` count study items alike.
    let per_deck: BTreeMap<String, u64> = decks
        .as_array()
        .expect("decks")
        .iter()
        .map(|d| {
            (
                d["id"].as_str().expect("id").to_string(),
                d["cards"].as_u64().expect("n"),
            )
        })
        .collect();
    for m in stats["mastery_by_deck"].as_array().expect("mastery") {
        assert_eq!(
            Some(&m["cards"].as_u64().expect("n")),
            per_deck.get(m["key"].as_str().expect("key")),
            "{m}"
        );
    }
    let check = detente(&db)
        .args(["--json", "deck", "check"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("decks"))
        .output()
        .expect("run");
    let check: serde_json::Value = serde_json::from_slice(&check.stdout).expect("json");
    assert_eq!(
        check["cards"].as_u64(),
        Some(per_deck.values().sum::<u64>())
    );
    let written: u64 = decks
        .as_array()
        .expect("decks")
        .iter()
        .map(|d| d["written"].as_u64().expect("n"))
        .sum();
    assert_eq!(check["written"].as_u64(), Some(written));
    assert!(written < per_deck.values().sum::<u64>());
    // `stats --deck` counts new cards left against the same daily limit as `due`.
    let sherr = cli(&db, &["stats", "--json", "--deck", "sherr-lisbon-2010"]);
    assert!(sherr["today"]["new_left"].as_u64() <= due["new_today"].as_u64());
}

/// `due` at scale: 100,000 cards, all due (once 0.95 s, with four correlated subqueries per deck).
/// Run with `cargo test --release --test order -- --ignored --nocapture`.
#[test]
#[ignore]
fn counts_at_scale() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(&dir.path().join("d.db")).expect("open");
    let learner = store::learner_get_or_create(&mut store, "big", 0).expect("learner");
    let now = 1_700_000_000;
    let tx = store.write().expect("tx");
    for d in 0..20 {
        let text = format!(
            "[deck]\nid = \"bench-{d:02}\"\ntitle = \"Bench {d}\"\n{}",
            (0..5_000)
                .map(|c| format!(
                    "[[card]]\nid = \"c{c}\"\nkind = \"truefalse\"\nprompt = \"Q{c}\"\nanswer = true\nsource = {{ paragraph = {} }}\n",
                    c % 50 + 1
                ))
                .collect::<String>()
        );
        let (deck, diags) = parse_deck("bench.toml", &text);
        let deck = deck.unwrap_or_else(|| panic!("{:?}", diags.first()));
        store::import_deck(&tx, &deck, false, None, 0).expect("import");
    }
    // Every card seen and due (DETENTE_SEEN=10: every tenth card, due over a year, as in the latency bench).
    let every: i64 = std::env::var("DETENTE_SEEN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    tx.execute(
        &format!(
            "INSERT INTO card_states (learner_id, card_id, phase, step, stability, difficulty, due, last_review,
                                      last_day, interval, reps, lapses, leech, deck_id)
             SELECT {}, id, CASE WHEN id % 10 = 0 THEN 1 ELSE 2 END, 0, 10.0, 5.0,
                    {now} - id * (CASE WHEN {every} = 1 THEN 1 ELSE -300 END), {now} - 864000,
                    0, 10, 3, 0, 0, deck_id FROM cards WHERE id % {every} = 0",
            learner.id
        ),
        [],
    )
    .expect("states");
    tx.commit().expect("commit");
    // No ANALYZE: detente never runs it, so the planner works without statistics, as on a learner's machine.
    if let Some(keep) = std::env::var_os("DETENTE_KEEP_DB") {
        let keep = keep.to_string_lossy().to_string();
        store.conn.execute("VACUUM INTO ?1", [keep]).expect("keep");
    }
    let time = |what: &str, f: &mut dyn FnMut()| {
        f();
        let t = std::time::Instant::now();
        for _ in 0..5 {
            f();
        }
        println!(
            "{what:40} {:8.1} ms",
            t.elapsed().as_secs_f64() * 1000.0 / 5.0
        );
    };
    let old = "SELECT d.id, d.title,
            (SELECT COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id
              WHERE s.learner_id = ?1 AND c.deck_id = d.id AND c.retired_at IS NULL AND s.phase IN (1, 3) AND s.due <= ?2),
            (SELECT COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id
              WHERE s.learner_id = ?1 AND c.deck_id = d.id AND c.retired_at IS NULL AND s.phase = 2 AND s.due <= ?2),
            (SELECT COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id
              WHERE s.learner_id = ?1 AND c.deck_id = d.id AND c.retired_at IS NULL AND s.due > ?2 AND s.due < ?3),
            (SELECT COUNT(*) FROM cards c WHERE c.deck_id = d.id AND c.retired_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM card_states s WHERE s.learner_id = ?1 AND s.card_id = c.id))
         FROM decks d WHERE d.retired_at IS NULL ORDER BY d.builtin DESC, d.id";
    time("old due_counts (correlated subqueries)", &mut || {
        let n: Vec<i64> = store
            .conn
            .prepare_cached(old)
            .expect("sql")
            .query_map(rusqlite::params![learner.id, now, now + 86_400], |r| {
                r.get(2)
            })
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(n.len(), 20);
    });
    time("due_counts (one grouped pass)", &mut || {
        let rows = counts::due_counts(&store.conn, learner.id, now, now + 86_400).expect("counts");
        assert!(every != 1 || rows.iter().map(|r| r.reviews_now).sum::<u32>() == 90_000);
    });
    // The session's new-card step as it once was: the first deck's cards in file order, 80 at most.
    time("old new_cards (first deck, file order, 80)", &mut || {
        let n: Vec<i64> = store
            .conn
            .prepare_cached(
                "SELECT c.id FROM cards c WHERE c.deck_id = ?1 AND c.retired_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM card_states s WHERE s.learner_id = ?2 AND s.card_id = c.id)
                 ORDER BY c.position, c.sibling LIMIT 80",
            )
            .expect("sql")
            .query_map(rusqlite::params!["bench-00", learner.id], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(n.len(), if every == 1 { 0 } else { 80 });
    });
    time("new_cards (20 decks in turn, 80)", &mut || {
        let n = store::new_cards(&store.conn, learner.id, &Filter::default(), 80).expect("new");
        assert_eq!(n.len(), if every == 1 { 0 } else { 80 });
    });
    time("new_for_today (a session's new cards)", &mut || {
        let new = counts::new_for_today(
            &store.conn,
            learner.id,
            &Filter::default(),
            20,
            &HashSet::new(),
        )
        .expect("new");
        assert_eq!(new.len(), if every == 1 { 0 } else { 20 });
    });
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    time("queue (what `due` runs)", &mut || {
        let (q, _) =
            counts::queue(&store.conn, &learner, &Filter::default(), &cal, now).expect("queue");
        assert!(every != 1 || q.learning_now == 10_000);
    });
}

#[test]
fn the_due_and_decks_tables_fit_80_columns() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    for args in [["due"], ["decks"]] {
        let out = detente(&db)
            .env("COLUMNS", "200")
            .args(args)
            .output()
            .expect("run");
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert!(text.lines().count() > 5, "{text}");
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{args:?}: {line:?}");
        }
    }
}
