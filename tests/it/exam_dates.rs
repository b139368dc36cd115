//! Exam dates end to end: an exam date raises a session's new cards to its pace, the review log records
//! the exam rule and replays to the same states, and `due --json` and `stats --json` report the exam line.

use crate::support::{FirstOption, Scripted, TestClock, detente, sample_store};
use chrono::{Duration, Local};
use detente::schedule::{Calendar, CardState, Phase, Scheduler, fuzz_factor, replay};
use detente::session::{Session, StudyOptions};
use detente::store::{self, Store};
use detente::time::{Day, UnixMs};

fn new_introduced(store: &Store, learner: i64) -> i64 {
    store
        .conn
        .query_row(
            "SELECT COUNT(*) FROM reviews WHERE learner_id = ?1 AND phase_before = 0",
            [learner],
            |r| r.get(0),
        )
        .expect("count")
}

#[test]
fn an_exam_date_raises_todays_new_cards_and_replays() {
    let (_dir, mut store) = sample_store();
    let mut learner = store::learner_get_or_create(&mut store, "ann", 0).expect("learner");
    learner.new_per_day = 1;
    let tx = store.write().expect("tx");
    store::update_learner(&tx, &learner).expect("update");
    tx.commit().expect("commit");
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let start = UnixMs(1_700_000_000_000);
    let today = cal.day_of_ms(start);
    let on = |day: Day| chrono::NaiveDate::from_num_days_from_ce_opt(day.0 as i32).expect("date");
    let to_go = store::exam_dates::new_to_go(&store.conn, learner.id, &store::Filter::default())
        .expect("to go");
    assert!(to_go >= 6, "{to_go}");

    // Without an exam, the daily limit: one new card.
    let clock = TestClock::new(start, 4_000);
    let session =
        Session::start(&mut store, &learner, StudyOptions::default(), &clock, cal).expect("start");
    assert_eq!(session.counts().1, 1);
    drop(session);

    // An exam 5 days on: every new card seen 3 days before it, so over today and the next two days, a third a day.
    let exam_day = today + 5;
    let opts = StudyOptions {
        seed: 3,
        exam_date: Some(on(exam_day)),
        ..Default::default()
    };
    let session = Session::start(&mut store, &learner, opts, &clock, cal).expect("start");
    let pace = to_go.div_ceil(3);
    assert_eq!(session.counts().1, pace);
    session.run(&mut Scripted::new(FirstOption)).expect("run");
    assert_eq!(new_introduced(&store, learner.id), i64::from(pace));

    // Study on until the exam with it set, a day at a time: the new cards come at the pace. A sibling (another
    // blank of a cloze, the reverse of a flashcard) never comes on a day its note was studied, so while its note is
    // reviewed every day it waits: the sample deck's last one is still new on the eve of the exam.
    for d in 1..5 {
        let clock = TestClock::new(start.plus_ms(d * 86_400_000), 4_000);
        let opts = StudyOptions {
            seed: 3,
            exam_date: Some(on(exam_day)),
            ..Default::default()
        };
        Session::start(&mut store, &learner, opts, &clock, cal)
            .expect("start")
            .run(&mut Scripted::new(FirstOption))
            .expect("run");
        if d == 2 {
            assert!(new_introduced(&store, learner.id) >= i64::from(2 * pace));
        }
    }
    assert!(new_introduced(&store, learner.id) >= i64::from(to_go) - 1);
    // The log says the exam was in force; replaying it reproduces every state.
    let (marked, reviews): (i64, i64) = store
        .conn
        .query_row(
            "SELECT COUNT(*) FILTER (WHERE exam_day = ?1), COUNT(*) FROM reviews",
            [exam_day],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count");
    assert_eq!(marked, reviews);
    // Where the rule shortened an interval, the log holds both, and the shortened one ends before the exam.
    let shortened: Vec<(i64, i64, i64)> = store
        .conn
        .prepare("SELECT day, interval_days, exam_shortened_from FROM reviews WHERE exam_shortened_from IS NOT NULL")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    for (day, interval, from) in &shortened {
        assert!(
            interval < from && day + interval < exam_day.0,
            "{day} {interval} {from}"
        );
    }
    let scheduler = Scheduler::new(learner.settings()).expect("scheduler");
    let stored: std::collections::BTreeMap<_, _> = store::states(&store.conn, learner.id)
        .expect("states")
        .into_iter()
        .collect();
    // No review card meets the exam below the target, as the scheduler predicts it, unless it was answered on the
    // exam's eve (no day left to move it to) or is still due before the exam.
    for s in stored.values() {
        let next = s.last_day + i64::from(s.interval);
        assert!(
            s.interval == 0
                || next < exam_day
                || s.last_day + 1 == exam_day
                || scheduler.retrievability(s, (exam_day - s.last_day) as f32) >= 0.9,
            "{s:?}"
        );
    }
    let log = store::study_log(&store.conn, learner.id).expect("log");
    let replayed = replay(&scheduler, &log, &cal).expect("replay");
    assert_eq!(stored, replayed);
}

/// What [`answer_before_exam`] saw: the Good interval the scheduler gave, the last day keeping predicted recall at
/// 0.9 (0: not even one), the exam day, the review row's (interval, exam day, shortened from) and the state after.
struct Answered {
    good: u32,
    last_good: u32,
    exam_day: Day,
    row: (i64, Day, Option<i64>),
    after: CardState,
}

/// The flashcard `realpolitik` in review (`stability`, last answered `elapsed` days ago, due today), answered Good
/// (the first option) in a study session with an exam on the day `exam_in(Good interval, last good day)` gives:
/// the first review count whose Good answer `wanted(interval, last good day)` accepts is set before the session.
fn answer_before_exam(
    stability: f32,
    elapsed: i64,
    wanted: impl Fn(u32, u32) -> bool,
    exam_in: impl Fn(u32, u32) -> i64,
) -> Answered {
    let (_dir, mut store) = sample_store();
    let learner = store::learner_get_or_create(&mut store, "bo", 0).expect("learner");
    let cal = Calendar::fixed(chrono::FixedOffset::east_opt(0).expect("utc"), 4);
    let start = UnixMs(1_700_000_000_000);
    let today = cal.day_of_ms(start);
    let scheduler = Scheduler::new(learner.settings()).expect("scheduler");
    let id: i64 = store
        .conn
        .query_row(
            "SELECT id FROM cards WHERE card_key = 'realpolitik' AND sibling = 0",
            [],
            |r| r.get(0),
        )
        .expect("flashcard");
    let card = store::card(&store.conn, id).expect("card").expect("card");
    let key = format!("{}/{}/{}", card.deck_id, card.card_key, card.sibling);
    let (state, good, last_good) = (1..200u32)
        .find_map(|reps| {
            let state = CardState {
                phase: Phase::Review,
                step: 0,
                stability,
                difficulty: if stability < 1.0 { 10.0 } else { 5.0 },
                due: cal.start_of(today),
                last_review: cal.start_of(today - elapsed),
                last_day: today - elapsed,
                interval: elapsed as u32,
                reps,
                lapses: 0,
                leech: false,
            };
            let out = scheduler
                .answer(
                    Some(&state),
                    detente::schedule::Rating::Good,
                    start.secs(),
                    &cal,
                    Some(fuzz_factor(&key, reps)),
                )
                .expect("answer");
            let last_good = (1..)
                .take_while(|&t| scheduler.retrievability(&out.state, t as f32) >= 0.9)
                .last()
                .unwrap_or(0);
            wanted(out.state.interval, last_good).then_some((state, out.state.interval, last_good))
        })
        .expect("a review state with the Good interval wanted");
    let tx = store.write().expect("tx");
    store::put_state(&tx, learner.id, id, Some(&state)).expect("state");
    tx.commit().expect("commit");
    let exam_day = today + exam_in(good, last_good);
    let clock = TestClock::new(start, 4_000);
    let opts = StudyOptions {
        filter: store::Filter {
            decks: vec![card.deck_id.clone()],
            tags: vec![],
        },
        new: Some(0),
        exam_date: chrono::NaiveDate::from_num_days_from_ce_opt(exam_day.0 as i32),
        ..Default::default()
    };
    let summary = Session::start(&mut store, &learner, opts, &clock, cal)
        .expect("start")
        .run(&mut Scripted::new(FirstOption))
        .expect("run");
    assert_eq!(summary.done, 1);
    let row = store
        .conn
        .query_row(
            "SELECT interval_days, exam_day, exam_shortened_from FROM reviews WHERE card_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("review");
    let after = store::state(&store.conn, learner.id, id)
        .expect("state")
        .expect("state");
    assert_eq!(after.due, cal.start_of(today + i64::from(after.interval)));
    Answered {
        good,
        last_good,
        exam_day,
        row,
        after,
    }
}

/// Attack: an interval carrying a card past the exam with recall on the day below the target must be shortened in a
/// real session, to the last day keeping recall at the target, and the log must say so.
#[test]
fn the_exam_rule_shortens_an_interval_in_a_session_and_the_log_says_so() {
    // A Good interval, fuzzed, at least two days past the last good day: an exam the day after that last day.
    let a = answer_before_exam(
        30.0,
        30,
        |good, last| good >= last + 2,
        |_, last| i64::from(last) + 1,
    );
    assert_eq!(
        a.row,
        (i64::from(a.last_good), a.exam_day, Some(i64::from(a.good)))
    );
    assert_eq!(a.after.interval, a.last_good);
}

/// Attack: a card whose Good interval lands exactly on the exam day, with recall that morning below the target.
/// The old rule (`interval <= days left`: left alone) met the exam with it below the target; it must come on the
/// last good day before the exam.
#[test]
fn a_card_due_on_the_exam_day_below_target_comes_before_it() {
    let a = answer_before_exam(
        30.0,
        30,
        |good, last| good > last,
        |good, _| i64::from(good),
    );
    assert!(a.good > a.last_good);
    assert_eq!(
        a.row,
        (i64::from(a.last_good), a.exam_day, Some(i64::from(a.good)))
    );
    assert!(a.after.last_day + i64::from(a.after.interval) < a.exam_day);
}

/// Attack: on the exam's eve a small card's Good interval of 2 days (kept a day above Hard's 1) has recall a day on
/// below the target. The old rule "shortened" it to 1 day: onto the exam day itself. There is no day before the
/// exam left, so the interval stays as the scheduler gave it and the log records no shortening.
#[test]
fn on_the_exam_eve_no_interval_is_shortened_onto_the_exam_day() {
    let a = answer_before_exam(0.5, 1, |good, last| good == 2 && last == 0, |_, _| 1);
    assert_eq!(a.row, (2, a.exam_day, None));
    assert_eq!(a.after.interval, 2);
}

#[test]
fn due_and_stats_report_the_exam_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    // The learner's day starts at 4 am, local time.
    let today = (Local::now() - Duration::hours(4)).date_naive();
    let exam = today + Duration::days(12);
    detente(&db)
        .args(["learner", "add", "ann", "--new-per-day", "2"])
        .args(["--exam-date", &exam.format("%Y-%m-%d").to_string()])
        .args(["--exam-scope", "sherr-lisbon-2010"])
        .assert()
        .success();
    let out = detente(&db).args(["due", "--json"]).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let due: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let exams = due["exams"].as_array().expect("exams");
    assert_eq!(exams.len(), 1, "{due}");
    let e = &exams[0];
    let to_go = e["new_to_go"].as_u64().expect("n");
    let per_day = to_go.div_ceil(10);
    assert!(to_go >= 20, "{e}");
    assert_eq!(e["days_left"], 12);
    assert_eq!(e["per_day"], per_day);
    assert_eq!(
        e["line"],
        format!("exam in 12 days: {to_go} new cards to go, {per_day} a day")
    );
    // The exam's pace raises today's new cards above the learner's limit of 2: its scope gets its day's share,
    // the other decks keep what the limit gives them.
    let new_today = due["new_today"].as_u64().expect("n");
    assert!(
        (2.max(per_day)..=2 + per_day).contains(&new_today),
        "{new_today}"
    );
    let text = detente(&db).arg("due").output().expect("run");
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("Your exam ("),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
    let out = detente(&db)
        .args(["stats", "--json"])
        .output()
        .expect("run");
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(stats["exams"][0]["line"], e["line"]);
    // Cleared, no line.
    detente(&db)
        .args(["learner", "set", "ann", "--no-exam-date"])
        .assert()
        .success();
    let out = detente(&db).args(["due", "--json"]).output().expect("run");
    let due: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(due["exams"].as_array().map(Vec::len), Some(0));
    assert_eq!(due["new_today"], 2);
}

#[test]
fn an_exam_definition_with_a_date_paces_every_learner() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    let today = (Local::now() - Duration::hours(4)).date_naive();
    let file = dir.path().join("final.toml");
    std::fs::write(
        &file,
        format!(
            "id = \"final\"\ntitle = \"Final\"\ndecks = [\"sherr-lisbon-2010\"]\nquestions = 5\ndate = {}\n",
            (today + Duration::days(20)).format("%Y-%m-%d")
        ),
    )
    .expect("write");
    detente(&db)
        .args(["exam", "load"])
        .arg(&file)
        .assert()
        .success();
    let out = detente(&db).args(["due", "--json"]).output().expect("run");
    let due: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(due["exams"][0]["exam"], "final", "{due}");
    assert_eq!(due["exams"][0]["days_left"], 20);
    // A date that is not one is refused at its line.
    std::fs::write(
        &file,
        "id = \"final\"\ntitle = \"Final\"\ndecks = [\"sherr-lisbon-2010\"]\nquestions = 5\ndate = \"14 Dec\"\n",
    )
    .expect("write");
    detente(&db)
        .args(["exam", "load"])
        .arg(&file)
        .assert()
        .code(65)
        .stderr(predicates::str::contains(":5:"));
}
