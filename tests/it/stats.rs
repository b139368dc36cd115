//! Progress statistics on a hand-built review history with known answers, the class view, the HTML report parsed
//! as well-formed with its charts, the commands run as a user would, and the optimizer on a real Anki review log
//! (py-fsrs's test log, `tests/data/review-logs-anki-josh.csv`).

use crate::support::detente;
use chrono::FixedOffset;
use detente::schedule::{Calendar, CardState, Phase, Rating, Scheduler, Settings};
use detente::stats::optimize::{self, LogEntry};
use detente::stats::{self, CardInfo, GroupBy, LearnerData, ReviewInfo, Stats};
use detente::time::{Day, UnixMs};
use std::collections::BTreeMap;
use std::path::Path;

fn utc() -> Calendar {
    Calendar::fixed(FixedOffset::east_opt(0).expect("utc"), 4)
}

/// 2024-10-06 12:00 UTC, a Sunday.
const NOW: i64 = 1_728_216_000;
const DAY: i64 = 86_400;

fn review_state(
    stability: f32,
    interval: u32,
    last_review: i64,
    due: i64,
    leech: bool,
) -> CardState {
    CardState {
        phase: Phase::Review,
        step: 0,
        stability,
        difficulty: 5.0,
        due,
        last_review,
        last_day: utc().day_of(last_review),
        interval,
        reps: 3,
        lapses: 0,
        leech,
    }
}

fn card(id: i64, deck: &str, tags: &[&str], retired: bool, state: Option<CardState>) -> CardInfo {
    CardInfo {
        id,
        deck_id: deck.to_string(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        prompt: format!("prompt {id}"),
        retired,
        state,
    }
}

fn review(
    card_id: i64,
    offset: i64,
    mode: &str,
    rating: u8,
    phase: Phase,
    interval: u32,
    ms: i64,
) -> ReviewInfo {
    let today = utc().day_of(NOW);
    ReviewInfo {
        card_id,
        reviewed_at_ms: UnixMs::from_secs(NOW + offset * DAY),
        day: today + offset,
        mode: mode.to_string(),
        rating: Rating::from_number(i64::from(rating)).expect("rating 1 to 4"),
        duration_ms: ms,
        phase_before: phase,
        interval_before: interval,
    }
}

/// Six cards in two decks and a log over 40 days; the expected numbers are worked out in the comments.
fn fixture() -> (Vec<CardInfo>, Vec<ReviewInfo>) {
    let cal = utc();
    let today = cal.day_of(NOW);
    let learning = CardState {
        phase: Phase::Learning,
        step: 1,
        stability: 1.0,
        difficulty: 5.0,
        due: NOW + 600,
        last_review: NOW - DAY,
        last_day: today - 1,
        interval: 0,
        reps: 1,
        lapses: 0,
        leech: false,
    };
    let cards = vec![
        // Mature, R = 0.9 (10 days at S = 10), due in 20 days.
        card(
            1,
            "d1",
            &["theme:iran"],
            false,
            Some(review_state(
                10.0,
                30,
                NOW - 10 * DAY,
                cal.start_of(today + 20),
                false,
            )),
        ),
        // Young, R = 0.9, due today.
        card(
            2,
            "d1",
            &["theme:iran"],
            false,
            Some(review_state(
                5.0,
                5,
                NOW - 5 * DAY,
                cal.start_of(today),
                false,
            )),
        ),
        // Learning, due in ten minutes, R = 0.9.
        card(3, "d1", &[], false, Some(learning)),
        // New.
        card(4, "d2", &["theme:arms-control"], false, None),
        // Retired.
        card(5, "d2", &["theme:arms-control"], true, None),
        // Young leech, R = 0.9, due in 2 days.
        card(
            6,
            "d2",
            &["theme:arms-control"],
            false,
            Some(review_state(
                2.0,
                2,
                NOW - 2 * DAY,
                cal.start_of(today + 2),
                true,
            )),
        ),
    ];
    let s = 10_000;
    let reviews = vec![
        review(1, -40, "study", 1, Phase::Review, 7, 7_000),
        review(1, -10, "study", 3, Phase::Review, 15, s),
        review(2, -10, "cram", 1, Phase::Review, 5, 5_000),
        review(6, -6, "study", 3, Phase::Review, 2, s),
        review(6, -5, "study", 1, Phase::Review, 2, s),
        review(1, -3, "study", 3, Phase::Review, 30, s),
        review(6, -1, "study", 1, Phase::Relearning, 0, s),
        review(3, 0, "study", 3, Phase::New, 0, s),
        review(2, 0, "study", 1, Phase::Review, 5, s),
    ];
    (cards, reviews)
}

fn themes() -> BTreeMap<String, String> {
    [
        ("theme:iran", "Iran"),
        ("theme:arms-control", "Arms control"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn titles() -> BTreeMap<String, String> {
    [("d1", "Deck <one>"), ("d2", "Deck two")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Today's queue as the store counts it (tested against the database in tests/order.rs).
fn queue() -> detente::schedule::Queue {
    detente::schedule::Queue {
        due_now: 2,
        later_today: 1,
        new_left: 1,
        ..Default::default()
    }
}

fn compute() -> Stats {
    let (cards, reviews) = fixture();
    let scheduler = Scheduler::new(Settings::default()).expect("scheduler");
    let cal = utc();
    stats::compute(&stats::Input {
        cards: &cards,
        reviews: &reviews,
        scheduler: &scheduler,
        calendar: &cal,
        now: NOW,
        queue: &queue(),
        deck_titles: &titles(),
        themes: &themes(),
    })
}

#[test]
fn counts_and_today() {
    let s = compute();
    let c = &s.counts;
    assert_eq!(
        (c.new, c.learning, c.young, c.mature, c.retired, c.leeches),
        (1, 1, 2, 1, 1, 1)
    );
    assert_eq!(
        (s.today.due, s.today.later_today, s.today.new_left),
        (2, 1, 1),
        "today's queue is the store's count"
    );
    assert_eq!(s.today.learning, 1);
    assert_eq!(s.today.reviews_done, 2);
}

#[test]
fn true_retention_young_and_mature() {
    let s = compute();
    let r7 = &s.retention_7_days;
    assert_eq!((r7.young.passed, r7.young.reviews), (1, 3));
    assert_eq!((r7.mature.passed, r7.mature.reviews), (1, 1));
    assert_eq!((r7.all.passed, r7.all.reviews), (2, 4));
    assert_eq!(r7.all.rate, Some(0.5));
    let r30 = &s.retention_30_days;
    assert_eq!((r30.young.passed, r30.young.reviews), (2, 4));
    assert_eq!((r30.all.passed, r30.all.reviews), (3, 5));
    assert_eq!(r30.all.rate, Some(0.6));
    // The weekly series ends with this week (days -6..0), the same four reviews.
    let last = s.retention_weekly.last().expect("weeks");
    assert_eq!((last.rate.passed, last.rate.reviews), (2, 4));
    assert_eq!(s.retention_weekly.len(), stats::RETENTION_WEEKS);
}

#[test]
fn forecast_streak_time_heatmap() {
    let s = compute();
    let mut expected = vec![0u32; 30];
    expected[0] = 2;
    expected[2] = 1;
    expected[20] = 1;
    assert_eq!(s.forecast, expected);
    assert_eq!(
        s.streak_days, 2,
        "today and yesterday; nothing two days ago"
    );
    assert_eq!(s.time.today_ms, 20_000);
    assert_eq!(s.time.last_7_days_ms, 60_000);
    assert_eq!(s.time.last_30_days_ms, 75_000);
    assert_eq!(s.time.total_ms, 82_000);
    let h = &s.heatmap;
    assert_eq!(stats::weekday(h.first_day), 0, "columns start on Mondays");
    assert_eq!(h.cells.len(), 7);
    assert!(h.cells.iter().all(|row| row.len() == 26));
    // 2024-10-06 is a Sunday: the last cell of the grid is today.
    assert_eq!(stats::weekday(s.today_day), 6);
    assert_eq!(h.cells[6][25], Some(2));
    assert_eq!(h.cells[5][25], Some(1), "yesterday");
    assert_eq!(h.max, 2);
    let total: u32 = h.cells.iter().flatten().flatten().sum();
    assert_eq!(total, 9);
}

#[test]
fn leeches_most_failed_and_mastery() {
    let s = compute();
    assert_eq!(s.leeches.len(), 1);
    assert_eq!((s.leeches[0].card_id, s.leeches[0].failures), (6, 2));
    let failed: Vec<(i64, u32)> = s
        .most_failed
        .iter()
        .map(|t| (t.card_id, t.failures))
        .collect();
    assert_eq!(
        failed,
        [(6, 2), (1, 1), (2, 1)],
        "cram failures do not count"
    );
    assert_eq!(s.most_failed[0].prompt, "prompt 6");

    let deck: Vec<(&str, u32, u32)> = s
        .mastery_by_deck
        .iter()
        .map(|m| (m.key.as_str(), m.cards, m.studied))
        .collect();
    assert_eq!(deck, [("d1", 3, 3), ("d2", 2, 1)]);
    // Mastery is the recall predicted 30 days ahead, for cards in the review phase; the learning card and the new
    // one count 0.
    let d1 = (r(40.0, 10.0) + r(35.0, 5.0)) / 3.0;
    assert!((s.mastery_by_deck[0].mastery - d1).abs() < 1e-4, "{d1}");
    assert!(
        (s.mastery_by_deck[1].mastery - r(32.0, 2.0) / 2.0).abs() < 1e-4,
        "a new card counts as 0"
    );
    assert_eq!(s.mastery_by_deck[0].label, "Deck <one>");
    let theme: Vec<(&str, &str)> = s
        .mastery_by_theme
        .iter()
        .map(|m| (m.key.as_str(), m.label.as_str()))
        .collect();
    assert_eq!(
        theme,
        [
            ("theme:arms-control", "Arms control"),
            ("theme:iran", "Iran")
        ]
    );
    assert!((s.mastery_by_theme[0].mastery - r(32.0, 2.0) / 2.0).abs() < 1e-4);
    let iran = (r(40.0, 10.0) + r(35.0, 5.0)) / 2.0;
    assert!((s.mastery_by_theme[1].mastery - iran).abs() < 1e-4);
}

/// Recall `days` after the last review at stability `s`: FSRS-6's forgetting curve with its default decay, written
/// out here apart from the code under test.
fn r(days: f64, s: f64) -> f64 {
    let decay = 0.1542f64;
    (1.0 + (0.9f64.powf(-1.0 / decay) - 1.0) * days / s).powf(-decay)
}

#[test]
fn class_view_puts_the_weakest_theme_first() {
    let (cards, reviews) = fixture();
    let cal = utc();
    let fresh: Vec<CardInfo> = cards
        .iter()
        .cloned()
        .map(|c| CardInfo { state: None, ..c })
        .collect();
    let learners = vec![
        LearnerData {
            name: "ann".into(),
            cards,
            reviews,
            scheduler: Scheduler::new(Settings::default()).expect("scheduler"),
            calendar: &cal,
        },
        LearnerData {
            name: "bob".into(),
            cards: fresh,
            reviews: Vec::new(),
            scheduler: Scheduler::new(Settings::default()).expect("scheduler"),
            calendar: &cal,
        },
    ];
    let class = stats::class(&learners, GroupBy::Theme, NOW, &titles(), &themes());
    assert_eq!(class.weakest, ["theme:arms-control", "theme:iran"]);
    assert!((class.columns[0].mean - r(32.0, 2.0) / 4.0).abs() < 1e-4);
    assert_eq!(class.rows[0].reviews_7_days, 6);
    assert_eq!(class.rows[0].last_active_day, Some(cal.day_of(NOW)));
    assert_eq!(class.rows[1].last_active_day, None);
    assert_eq!(class.rows[1].mastery, [0.0, 0.0]);
    let text = detente::ui::stats::render_class(&class, false);
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    let html = detente::ui::html::class_report(&class);
    assert_well_formed(&html);
    assert_eq!(html.matches("<svg").count(), 1, "the matrix");
    assert_eq!(html.matches("<meter").count(), 2, "one bar per theme");
}

#[test]
fn text_page_fits_80_columns_without_colour() {
    let text = detente::ui::stats::render("ann", &compute(), false);
    assert!(!text.contains('\x1b'));
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line:?}");
    }
    assert!(text.contains("Streak   2 days"));
    assert!(text.contains("50.0% (2/4)"));
    let coloured = detente::ui::stats::render("ann", &compute(), true);
    assert!(coloured.contains('\x1b'));
}

#[test]
fn html_report_is_well_formed_escaped_and_has_its_charts() {
    let html = detente::ui::html::learner_report("<script>alert(1)</script> & co", &compute());
    assert_well_formed(&html);
    assert!(!html.contains("<script"));
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.contains("Deck &lt;one&gt;"));
    assert_eq!(
        html.matches("<svg").count(),
        3,
        "forecast, retention, heatmap"
    );
    assert!(html.matches("<meter").count() >= 2, "themes, decks");
    assert!(html.contains("@media print"));
    assert!(
        !html.contains("http://")
            || html.matches("http://").count()
                == html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
}

/// A small XML well-formedness check: tags nest and close, attributes are quoted, `&` starts an entity.
fn assert_well_formed(doc: &str) {
    let body = doc.strip_prefix("<!DOCTYPE html>").expect("doctype");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(lt) = rest.find('<') {
        check_text(&rest[..lt]);
        let end = rest[lt..].find('>').map(|e| lt + e).expect("unclosed tag");
        let tag = &rest[lt + 1..end];
        assert!(!tag.contains('<'), "a < inside a tag: {tag}");
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().expect("close without open");
            assert_eq!(open, name.trim(), "mismatched close");
        } else {
            let name: String = tag
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '/')
                .collect();
            assert!(!name.is_empty(), "empty tag");
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
        rest = &rest[end + 1..];
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

fn check_text(text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        let after = &rest[amp + 1..];
        let semi = after.find(';').expect("& without ;");
        let entity = &after[..semi];
        assert!(
            ["amp", "lt", "gt", "quot"].contains(&entity)
                || entity
                    .strip_prefix('#')
                    .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit())),
            "bad entity &{entity};"
        );
        rest = &after[semi..];
    }
    assert!(!text.contains('>'), "bare > in text: {text}");
}

/// The Anki log (12,580 reviews) as study reviews in time order; days start at 4 am UTC.
fn anki_log() -> Vec<LogEntry> {
    let mut reader = csv::Reader::from_path("tests/data/review-logs-anki-josh.csv").expect("csv");
    let mut log = Vec::new();
    for row in reader.records() {
        let row = row.expect("row");
        let card_id: i64 = row[0].parse().expect("card id");
        let rating =
            Rating::from_number(row[1].parse::<i64>().expect("rating")).expect("rating 1 to 4");
        let at = chrono::DateTime::parse_from_rfc3339(&row[2]).expect("time");
        let day = (at.timestamp() - 4 * 3600).div_euclid(DAY);
        log.push(LogEntry {
            card_id,
            rating,
            day: Day(day),
        });
    }
    log
}

#[test]
fn optimizer_beats_the_defaults_on_later_reviews_of_a_real_log() {
    let log = anki_log();
    assert_eq!(log.len(), 12_580);
    let fit = optimize::fit(&log).expect("fit").expect("enough history");
    // The reference: the crate's own `compute_parameters` on the training items as its converter makes them (one
    // item per review after a card's first, kept only when that review falls on a later day), built here apart.
    let cut = (log.len() as f64 * 0.75) as usize;
    let mut seen: std::collections::HashMap<i64, (Day, Vec<fsrs::FSRSReview>)> = Default::default();
    let (mut card_ids, mut train_set) = (Vec::new(), Vec::new());
    for e in &log[..cut] {
        let (last_day, reviews) = seen.entry(e.card_id).or_insert((e.day, Vec::new()));
        let delta_t = if reviews.is_empty() {
            0
        } else {
            (e.day - *last_day) as u32
        };
        *last_day = e.day;
        reviews.push(fsrs::FSRSReview {
            rating: u32::from(e.rating.number()),
            delta_t,
        });
        if reviews.len() > 1 && delta_t > 0 {
            card_ids.push(e.card_id);
            train_set.push(fsrs::FSRSItem {
                reviews: reviews.clone(),
            });
        }
    }
    let reference = fsrs::compute_parameters(fsrs::ComputeParametersInput {
        train_set,
        card_ids: Some(card_ids),
        ..Default::default()
    })
    .expect("reference fit");
    for (ours, theirs) in fit.checked_parameters.iter().zip(&reference) {
        assert!(
            (ours - theirs).abs() < 1e-4,
            "{:?}\n{reference:?}",
            fit.checked_parameters
        );
    }
    // Good's initial stability is about two days on this log, not half a day.
    assert!(
        fit.checked_parameters[2] > 1.5,
        "{:?}",
        fit.checked_parameters
    );
    eprintln!(
        "held-out: default log loss {:.4} RMSE {:.4}; fitted log loss {:.4} RMSE {:.4} ({} test items)",
        fit.default.log_loss,
        fit.default.rmse_bins,
        fit.fitted.log_loss,
        fit.fitted.rmse_bins,
        fit.test_items
    );
    assert!(fit.fitted.log_loss < fit.default.log_loss);
    assert!(fit.improves());
    assert_eq!(fit.parameters.len(), 21);
    assert!(fit.test_items > 100);
    // The fitted parameters schedule: a scheduler accepts them.
    let settings = Settings {
        parameters: fit.parameters.clone(),
        ..Settings::default()
    };
    Scheduler::new(settings).expect("fitted parameters are valid");
}

#[test]
fn workload_grows_with_retention() {
    let stabilities = [10.0f32, 20.0, 40.0];
    let at_90 = optimize::reviews_per_day(&stabilities, 0.9, &[]);
    assert!((at_90 - (0.1 + 0.05 + 0.025)).abs() < 1e-6);
    let at_95 = optimize::reviews_per_day(&stabilities, 0.95, &[]);
    assert!((at_95 / at_90 - 1.0 / 0.4026).abs() < 1e-2);
}

// End to end, as a user: a database with the sample deck and a few days of study.

/// Imports the sample deck and answers its cards over the last few days through the library.
pub(crate) fn studied_db(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("d.db");
    detente(&db)
        .args(["deck", "import", "tests/data/sample.toml"])
        .assert()
        .success();
    let mut store = detente::store::Store::open(&db).expect("open");
    let now = chrono::Utc::now().timestamp();
    let learner = detente::store::learner_get_or_create(&mut store, "ann", now).expect("learner");
    let cal = Calendar::local(learner.rollover_hour);
    let scheduler = Scheduler::new(learner.settings()).expect("scheduler");
    let filter = detente::store::Filter {
        decks: vec!["sample".into()],
        tags: vec![],
    };
    let cards = detente::store::filtered_cards(&store.conn, &filter).expect("cards");
    let tx = store.write().expect("tx");
    for (i, &card) in cards.iter().enumerate() {
        let mut state: Option<CardState> = None;
        for (k, back) in [5i64, 3, 1].iter().enumerate() {
            let at = now - back * DAY + i as i64 * 60;
            let rating = if (i + k) % 4 == 0 {
                Rating::Again
            } else {
                Rating::Good
            };
            let out = scheduler
                .answer(state.as_ref(), rating, at, &cal, None)
                .expect("answer");
            detente::store::insert_review(
                &tx,
                &detente::store::Review {
                    learner_id: learner.id,
                    card_id: card,
                    session_id: None,
                    reviewed_at_ms: UnixMs::from_secs(at),
                    day: cal.day_of(at),
                    mode: "study".into(),
                    response: "null".into(),
                    correct: rating > Rating::Again,
                    rule: "self".into(),
                    rating,
                    duration_ms: 4_000,
                    before: state,
                    after: out.state,
                    interval_days: out.state.interval,
                    elapsed_days: out.elapsed_days,
                },
            )
            .expect("review");
            state = Some(out.state);
        }
        detente::store::put_state(&tx, learner.id, card, state.as_ref()).expect("state");
    }
    tx.commit().expect("commit");
    db
}

#[test]
fn stats_commands_as_a_user() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = studied_db(dir.path());
    let out = detente(&db)
        .args(["stats", "--deck", "sample"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    assert!(!text.contains('\x1b'));
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line:?}");
    }
    assert!(text.contains("True retention"));

    let out = detente(&db)
        .args(["stats", "--json", "--deck", "sample"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let c = &v["counts"];
    let total: u64 = ["new", "learning", "young", "mature"]
        .iter()
        .map(|k| c[k].as_u64().expect("n"))
        .sum();
    assert!(total > 0);
    assert_eq!(c["new"], 0, "every sample card was studied");
    assert_eq!(v["learner"], "ann");
    assert_eq!(v["mastery_by_deck"].as_array().expect("decks").len(), 1);

    detente(&db)
        .args(["stats", "--deck", "nope"])
        .assert()
        .code(2);
    let out = detente(&db)
        .args(["stats", "--class", "--by", "theme"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(text.contains("ann"));

    let html = dir.path().join("r.html");
    detente(&db)
        .args(["report", "--html"])
        .arg(&html)
        .assert()
        .success();
    let doc = std::fs::read_to_string(&html).expect("html");
    assert_well_formed(&doc);
    assert_eq!(
        doc.matches("<svg").count(),
        3,
        "forecast, retention, heatmap"
    );
    assert!(doc.contains("<meter"), "mastery by deck");
    detente(&db)
        .args(["report", "--class", "--html"])
        .arg(&html)
        .assert()
        .success();
    assert_well_formed(&std::fs::read_to_string(&html).expect("html"));
    // As every other export: `-o FILE`, or standard output without a file; two different files are refused.
    let other = dir.path().join("o.html");
    detente(&db)
        .args(["report", "--html", "-o"])
        .arg(&other)
        .assert()
        .success();
    assert_well_formed(&std::fs::read_to_string(&other).expect("html"));
    let out = detente(&db)
        .args(["report", "--class", "--html"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_well_formed(&String::from_utf8(out).expect("utf8"));
    detente(&db)
        .args(["report", "--html"])
        .arg(&html)
        .arg("-o")
        .arg(&other)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("two files for one report"));

    // Too little history: nothing changes, exit 0.
    detente(&db)
        .arg("optimize")
        .assert()
        .success()
        .stdout(predicates::str::contains("fitting needs at least 400"));
    detente(&db)
        .args(["optimize", "--retention", "1.5"])
        .assert()
        .code(2);
    detente(&db)
        .args(["optimize", "--retention", "0.85"])
        .assert()
        .success()
        .stdout(predicates::str::contains("reviews a day"));
    let store = detente::store::Store::open(&db).expect("open");
    let ann = detente::store::learner_by_name(&store.conn, "ann")
        .expect("q")
        .expect("ann");
    assert_eq!(ann.parameters, None);
    assert!((ann.desired_retention - 0.85).abs() < 1e-6);
}

/// Deck-level tags describe the deck: they are not copied onto its cards, so a theme on the deck does not make every
/// card count for it in `stats` or match `study --tag`. A database filled under the old rule (deck tags copied) is
/// put right when the unchanged deck is imported again.
#[test]
fn deck_tags_are_not_copied_onto_cards() {
    use detente::deck::parse_deck;
    use detente::store::{self, Filter, Store};
    let src = "[deck]\nid = \"d\"\ntitle = \"D\"\ntags = [\"theme:partnership\", \"org:nato\"]\n\n\
               [[card]]\nid = \"a\"\nkind = \"truefalse\"\nprompt = \"A?\"\nanswer = true\ntags = [\"theme:partnership\"]\n\n\
               [[card]]\nid = \"b\"\nkind = \"truefalse\"\nprompt = \"B?\"\nanswer = true\ntags = [\"actor:rogozin\"]\n";
    let deck = parse_deck("d.toml", src).0.expect("parses");
    let mut store = Store::open(Path::new(":memory:")).expect("db");
    let tx = store.write().expect("tx");
    store::import_deck(&tx, &deck, false, None, NOW).expect("import");
    tx.commit().expect("commit");
    let tags_of = |store: &Store| {
        let mut stmt = store
            .conn
            .prepare(
                "SELECT c.card_key, group_concat(t.tag, ' ') FROM cards c JOIN card_tags t ON t.card_id = c.id
                 GROUP BY c.id ORDER BY c.card_key",
            )
            .expect("query");
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .expect("rows")
            .collect::<Result<Vec<_>, _>>()
            .expect("rows")
    };
    assert_eq!(
        tags_of(&store),
        [
            ("a".to_string(), "theme:partnership".to_string()),
            ("b".to_string(), "actor:rogozin".to_string())
        ]
    );
    let themed = |store: &Store| {
        store::filtered_cards(
            &store.conn,
            &Filter {
                tags: vec!["theme:*".into()],
                ..Filter::default()
            },
        )
        .expect("filter")
        .len()
    };
    assert_eq!(themed(&store), 1);
    // The old rule's rows, and a deck hash as the old rule stored it: the next import of the same file clears them.
    store
        .conn
        .execute_batch(
            "INSERT OR IGNORE INTO card_tags (card_id, tag) SELECT id, 'org:nato' FROM cards;
             INSERT OR IGNORE INTO card_tags (card_id, tag) SELECT id, 'theme:partnership' FROM cards;
             UPDATE decks SET content_hash = 'imported-under-rules-1';",
        )
        .expect("old rows");
    assert_eq!(themed(&store), 2);
    let tx = store.write().expect("tx");
    let report = store::import_deck(&tx, &deck, false, None, NOW).expect("import");
    tx.commit().expect("commit");
    assert_eq!(report.unchanged, 2, "the cards themselves did not change");
    assert_eq!(
        tags_of(&store),
        [
            ("a".to_string(), "theme:partnership".to_string()),
            ("b".to_string(), "actor:rogozin".to_string())
        ]
    );
    assert_eq!(themed(&store), 1);
}

/// Attack on the class view's streamed index (`MasteryIndex::builder`, what `stats --class` builds from the cards
/// and tags read one at a time): decks and themes that come in no sorted order (numbered as they come, sorted at
/// the end), card ids that do not follow card order, tags given in reverse tag order (neither card order nor the
/// themes' order), a tag that is not a
/// theme, cards without a theme, a state of a card outside the index, and states given in no order. Every deck's
/// and theme's figures must be [`stats::mastery`]'s over the same cards to the last bit, or a card was summed under
/// the wrong deck or theme, or in another order.
#[test]
fn class_index_streamed_gives_mastery_to_the_last_bit() {
    let scheduler = Scheduler::new(Settings::default()).expect("scheduler");
    let decks = ["zeta", "alpha", "mid"];
    let themes = ["theme:z", "theme:a", "theme:m", "other:x"];
    // (id, deck, tags) in card order; ids run backwards and jump.
    let cards: Vec<(i64, String, Vec<String>)> = (0..60i64)
        .map(|i| {
            let deck = decks[(i / 20) as usize].to_string();
            let tags: Vec<String> = (0..(i % 3) as usize)
                .map(|k| themes[(i as usize + k) % themes.len()].to_string())
                .collect();
            (1000 - 7 * i, deck, tags)
        })
        .collect();
    let state = |i: i64| CardState {
        phase: if i % 5 == 0 {
            Phase::Learning
        } else {
            Phase::Review
        },
        step: 0,
        stability: 0.5 + (i as f32) * 1.37,
        difficulty: 5.0,
        due: 0,
        last_review: NOW - (i % 11) * DAY - i * 37,
        last_day: Day(0),
        interval: 0,
        reps: 0,
        lapses: 0,
        leech: false,
    };
    // Two cards in three have a state; one state is of a card outside the index.
    let states: Vec<(i64, CardState)> = cards
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 1)
        .map(|(i, c)| (c.0, state(i as i64)))
        .rev()
        .chain(std::iter::once((5, state(3))))
        .collect();
    let mut builder = stats::MasteryIndex::builder();
    for (id, deck, _) in &cards {
        builder.card(*id, deck);
    }
    let mut tags: Vec<(&str, i64)> = cards
        .iter()
        .flat_map(|(id, _, ts)| ts.iter().map(move |t| (t.as_str(), *id)))
        .collect();
    // Reverse tag order: the themes come unsorted too.
    tags.sort();
    tags.reverse();
    for (tag, id) in tags {
        builder.tag(id, tag);
    }
    let index = builder.finish();
    let at = stats::horizon(NOW);
    let mut tally = index.tally(&scheduler, at);
    for (id, s) in &states {
        tally.add(*id, s);
    }
    let streamed = tally.finish(&titles(), &self::themes());
    let by_id: BTreeMap<i64, CardState> = states.iter().cloned().collect();
    let expected = stats::mastery(
        cards
            .iter()
            .map(|(id, deck, ts)| (deck.as_str(), ts.as_slice(), by_id.get(id).copied())),
        &scheduler,
        at,
        &titles(),
        &self::themes(),
    );
    assert_eq!(streamed, expected);
    assert_eq!(streamed.0.len(), 3, "every deck");
    assert_eq!(streamed.1.len(), 3, "every theme, not the other tag");
    assert!(streamed.0.iter().all(|m| m.mastery > 0.0));
}

/// Attack: a learner's own page computed from their rows alone must not differ from their row in the whole class
/// (the class page's `/class/learner` and `/class/me` read one learner only). On a database where ann, bob and cy
/// studied, sat the exam and flagged a card (the days of their study apart), bob's row read alone equals his row
/// in the class, column for column; a name nobody has gives no row.
#[test]
fn one_learners_row_read_alone_equals_their_row_in_the_class() {
    use detente::server::api::ClassRequest;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    crate::admin::everything(&db, &["ann", "bob", "cy"]);
    let store = detente::store::Store::open(&db).unwrap();
    let now = 1_700_000_000 + 86_400 * 3;
    let request = |learner: Option<&str>| ClassRequest {
        decks: Vec::new(),
        tags: Vec::new(),
        by: GroupBy::Theme,
        learner: learner.map(str::to_string),
    };
    let class = detente::server::ops::class(&store, &request(None), now).unwrap();
    let alone = detente::server::ops::class(&store, &request(Some("bob")), now).unwrap();
    assert_eq!(class.rows.len(), 3);
    assert_eq!(alone.rows.len(), 1);
    let bob = class.rows.iter().find(|r| r.learner == "bob").unwrap();
    assert!(bob.reviews_7_days > 0 && bob.open_flags == 1, "{bob:?}");
    assert!(bob.exam_scores.iter().any(Option::is_some), "{bob:?}");
    assert_eq!(&alone.rows[0], bob);
    assert_eq!(
        alone.columns.iter().map(|c| &c.key).collect::<Vec<_>>(),
        class.columns.iter().map(|c| &c.key).collect::<Vec<_>>()
    );
    assert_eq!(alone.exams, class.exams);
    let nobody = detente::server::ops::class(&store, &request(Some("zed")), now).unwrap();
    assert!(nobody.rows.is_empty());
}
