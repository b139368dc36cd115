//! Cost at scale, each measure beside the floor: the same work done with plain SQL on the same database. Two
//! databases are built (with the builder `latency` uses): 10,000 and 100,000 cards in 20 decks, 100 learners who
//! have each studied a tenth of the cards; learner000 has every card due now (a tenth in relearning), learner099 has
//! every card new. Per-learner measures are taken for those two; the class-wide ones (grade export, `stats --class`)
//! over the 100 learners. Commands run as the built binary, the way a teacher runs them (their peak memory is the
//! child's VmHWM); the queue and the counts are called in-process, as `due` and `study` call them.
//!
//! Each figure is the median of interleaved runs (measure, floor, measure, ...). The last column is the ratio of the
//! 100,000-card figure to the 10,000-card one: near 10 is linear.
//!
//! Run with `cargo bench --bench scale` (a few minutes, most of it building the databases). Set
//! `DETENTE_BENCH_KEEP=1` to keep the databases.

// A test or bench may unwrap: a panic is how it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use detente::schedule::Calendar;
use detente::session::{Session, StudyOptions, SystemClock};
use detente::store::{self, Filter, Store, counts};
use rusqlite::Connection;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DUE: &str = "learner000";
const FRESH: &str = "learner099";
const ROLLOVER: u32 = 4;

/// Decay and factor of FSRS-6's forgetting curve with the default parameters, for the SQL floors.
const DECAY: f64 = 0.1542;

/// One measure at one size: median seconds of the measure and of the floor, and peak memory in kB when taken.
#[derive(Debug, Clone, Copy, Default)]
struct Figure {
    measure: f64,
    floor: f64,
    peak_kb: u64,
    size_bytes: u64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `measure` and `floor` `reps` times, interleaved; returns their medians (seconds).
fn interleave(
    reps: usize,
    mut measure: impl FnMut() -> detente::Result<Duration>,
    mut floor: impl FnMut() -> detente::Result<Duration>,
) -> detente::Result<(f64, f64)> {
    let (mut m, mut f) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        m.push(measure()?.as_secs_f64());
        f.push(floor()?.as_secs_f64());
    }
    Ok((median(m), median(f)))
}

fn timed<T>(work: impl FnOnce() -> detente::Result<T>) -> detente::Result<Duration> {
    let t = Instant::now();
    work()?;
    Ok(t.elapsed())
}

/// Runs the binary to its end, polling its peak resident memory; returns wall time and peak kB.
fn run(db: &Path, learner: &str, args: &[&str]) -> (Duration, u64) {
    common::measure(
        Command::new(env!("CARGO_BIN_EXE_detente"))
            .args(args)
            .env("DETENTE_DB", db)
            .env("DETENTE_LEARNER", learner)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
}

/// Sums the integer columns of every row of `sql`, so that the floor reads what it selects.
fn sum_rows(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> detente::Result<f64> {
    let mut stmt = conn.prepare_cached(sql)?;
    let n = stmt.column_count();
    let mut rows = stmt.query(params)?;
    let mut total = 0.0;
    while let Some(r) = rows.next()? {
        for i in 0..n {
            if let Ok(v) = r.get::<_, f64>(i) {
                total += v;
            }
        }
    }
    Ok(total)
}

fn learner(conn: &Connection, name: &str) -> detente::Result<store::Learner> {
    store::learner_by_name(conn, name)?.ok_or_else(|| detente::Error::Usage(format!("no {name}")))
}

/// Mastery of the state `s` in SQL, as `stats::mastery` defines it: the recall predicted 30 days after `now` for a
/// card in the review phase, 0 for one in (re)learning steps. SQLite here has no `pow`, so the floor uses the
/// first-order expansion of FSRS-6's curve (1 + factor t / S)^-decay, which costs the same to compute per row.
fn retrievability(now: i64) -> String {
    let factor = 0.9f64.powf(-1.0 / DECAY) - 1.0;
    let at = now + 30 * 86_400;
    format!(
        "(CASE WHEN s.phase = 2 THEN 1.0 / (1.0 + {DECAY} * {factor} * max({at} - s.last_review, 0) / 86400.0 / s.stability) ELSE 0.0 END)"
    )
}

/// The figures of one size, each printed as it is taken.
#[derive(Default)]
struct Rows(Vec<(&'static str, Figure)>);

impl Rows {
    fn push(&mut self, (label, f): (&'static str, Figure)) {
        println!(
            "  {label:<32} {:>9.1} ms  floor {:>9.1} ms  x{:.2}{}",
            f.measure * 1000.0,
            f.floor * 1000.0,
            f.measure / f.floor,
            if f.size_bytes > 0 {
                format!(
                    "  peak {:.1} MB for a {:.1} MB bundle",
                    f.peak_kb as f64 / 1024.0,
                    f.size_bytes as f64 / 1e6
                )
            } else {
                String::new()
            }
        );
        self.0.push((label, f));
    }
}

struct Sized {
    cards: usize,
    rows: Vec<(&'static str, Figure)>,
}

fn measure_size(dir: &Path, cards: usize) -> detente::Result<Sized> {
    let path = dir.join(format!("scale{cards}.db"));
    let now = chrono::Utc::now().timestamp();
    let shape = common::Shape {
        decks: 20,
        cards_per_deck: cards / 20,
        learners: 100,
        studied_per_learner: cards / 10,
    };
    let started = Instant::now();
    {
        let mut store = Store::open(&path)?;
        common::build(&mut store, shape, now)?;
        common::all_due(&mut store, DUE, now)?;
        common::all_new(&mut store, FRESH)?;
    }
    // The first command loads the built-in decks; every measure runs after it. A second shows what any command
    // holds before it does anything (the binary, the built-in decks' check): the floor of every peak below.
    run(&path, DUE, &["decks"]);
    let (_, idle_kb) = run(&path, DUE, &["decks"]);
    println!(
        "\n{cards} cards, 100 learners ({} has all {cards} due, {} none studied, the others {} each); built in {:.1} s",
        DUE,
        FRESH,
        shape.studied_per_learner,
        started.elapsed().as_secs_f64()
    );
    println!(
        "  (peak memory of `detente decks` on this database: {:.1} MB)",
        idle_kb as f64 / 1024.0
    );
    let mut rows = Rows::default();
    let mut store = Store::open(&path)?;
    let due_learner = learner(&store.conn, DUE)?;
    let fresh = learner(&store.conn, FRESH)?;
    let cal = Calendar::local(ROLLOVER);
    let day = cal.day_of(now);
    let (end_today, tomorrow) = (cal.start_of(day.plus(1)), cal.start_of(day.plus(2)));

    // `due`: the queue and per-deck counts, against one grouped query.
    let floor_due =
        "SELECT c.deck_id, COUNT(*), COUNT(s.card_id), SUM(s.phase IN (1, 3) AND s.due <= ?1),
                SUM(s.phase = 2 AND s.due <= ?1), SUM(s.due > ?1 AND s.due < ?2), SUM(s.phase IN (1, 3) AND s.due < ?2)
         FROM cards c LEFT JOIN card_states s ON s.learner_id = ?3 AND s.card_id = c.id
         WHERE c.retired_at IS NULL GROUP BY c.deck_id";
    let (m, f) = interleave(
        7,
        || timed(|| counts::queue(&store.conn, &due_learner, &Filter::default(), &cal, now)),
        || timed(|| sum_rows(&store.conn, floor_due, (now, end_today, due_learner.id))),
    )?;
    rows.push((
        "due (all due)",
        Figure {
            measure: m,
            floor: f,
            ..Default::default()
        },
    ));

    // The first study queue: Session::start, against the same selects (and the session row) in plain SQL.
    for (label, l) in [
        ("first queue (all due)", &due_learner),
        ("first queue (all new)", &fresh),
    ] {
        let clock = SystemClock;
        let mut measures = Vec::new();
        let mut floors = Vec::new();
        for rep in 0..7 {
            let opts = StudyOptions {
                exam_date: None,
                filter: Filter::default(),
                limit: None,
                minutes: None,
                new: None,
                cram: false,
                seed: rep,
            };
            let t = Instant::now();
            let session = Session::start(&mut store, l, opts, &clock, cal)?;
            measures.push(t.elapsed().as_secs_f64());
            drop(session);
            let t = Instant::now();
            {
                let tx = store.write()?;
                tx.execute(
                    "INSERT INTO sessions (learner_id, mode, started_at, filters, seed) VALUES (?1, 'study', ?2, '{}', 0)",
                    (l.id, now),
                )?;
                tx.commit()?;
            }
            let c = &store.conn;
            sum_rows(
                c,
                "SELECT r.phase_before, c.deck_id || '/' || c.card_key FROM reviews r JOIN cards c ON c.id = r.card_id
                 WHERE r.learner_id = ?1 AND r.reviewed_at >= ?2 AND r.mode = 'study'",
                (l.id, cal.start_of_ms(day)),
            )?;
            sum_rows(
                c,
                "SELECT s.card_id, s.due FROM card_states s JOIN cards c ON c.id = s.card_id
                 WHERE s.learner_id = ?1 AND s.due <= ?2 AND s.phase IN (1, 3) AND c.retired_at IS NULL
                 ORDER BY s.due, s.card_id",
                (l.id, end_today),
            )?;
            sum_rows(
                c,
                "SELECT s.card_id, s.due FROM card_states s JOIN cards c ON c.id = s.card_id
                 WHERE s.learner_id = ?1 AND s.due <= ?2 AND s.phase = 2 AND c.retired_at IS NULL
                 ORDER BY s.due, s.card_id LIMIT ?3",
                (l.id, now, l.reviews_per_day),
            )?;
            sum_rows(
                c,
                "SELECT c.id FROM cards c WHERE c.retired_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM card_states s WHERE s.learner_id = ?1 AND s.card_id = c.id)
                 ORDER BY c.deck_id, c.new_rank LIMIT ?2",
                (l.id, l.new_per_day),
            )?;
            floors.push(t.elapsed().as_secs_f64());
        }
        rows.push((
            label,
            Figure {
                measure: median(measures),
                floor: median(floors),
                ..Default::default()
            },
        ));
    }

    // The counts a session ends with (due tomorrow, learning later today), against two counts in SQL.
    let (m, f) = interleave(
        7,
        || {
            timed(|| {
                counts::session_end(&store.conn, due_learner.id, &Filter::default(), now, &cal)
            })
        },
        || {
            timed(|| {
                sum_rows(
                    &store.conn,
                    "SELECT COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id
                     WHERE s.learner_id = ?1 AND s.due > ?2 AND s.due < ?3 AND c.retired_at IS NULL",
                    (due_learner.id, end_today, tomorrow),
                )?;
                sum_rows(
                    &store.conn,
                    "SELECT COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id
                     WHERE s.learner_id = ?1 AND s.phase IN (1, 3) AND s.due < ?2 AND c.retired_at IS NULL",
                    (due_learner.id, end_today),
                )
            })
        },
    )?;
    rows.push((
        "end-of-session counts",
        Figure {
            measure: m,
            floor: f,
            ..Default::default()
        },
    ));
    drop(store);

    let conn = Connection::open(&path)?;
    conn.pragma_update(None, "cache_size", -262_144)?;
    let r = retrievability(now);
    let out = dir.join("out");

    // Grade export over the 100 learners, against a per-learner aggregate.
    let floor_grades = [
        format!(
            "SELECT s.learner_id, c.deck_id, COUNT(*), SUM({r}) FROM card_states s JOIN cards c ON c.id = s.card_id
             WHERE c.retired_at IS NULL GROUP BY s.learner_id, c.deck_id"
        ),
        "SELECT r.learner_id, c.deck_id, COUNT(DISTINCT r.card_id), COUNT(DISTINCT r.day), MAX(r.reviewed_at)
         FROM reviews r JOIN cards c ON c.id = r.card_id WHERE r.mode IN ('study', 'cram')
         GROUP BY r.learner_id, c.deck_id"
            .to_string(),
        "SELECT deck_id, COUNT(*) FROM cards WHERE retired_at IS NULL GROUP BY deck_id".to_string(),
    ];
    let out_s = out.to_string_lossy().to_string();
    let floor_all = |sqls: &[String]| {
        timed(|| {
            for sql in sqls {
                sum_rows(&conn, sql, [])?;
            }
            Ok(())
        })
    };
    let (m, f) = interleave(
        3,
        || {
            Ok(run(
                &path,
                DUE,
                &["grades", "export", "--format", "native", "-o", &out_s],
            )
            .0)
        },
        || floor_all(&floor_grades),
    )?;
    rows.push((
        "grade export (100 learners)",
        Figure {
            measure: m,
            floor: f,
            ..Default::default()
        },
    ));

    // stats --class, against mastery per learner and deck and recent activity in SQL.
    let floor_class = [
        floor_grades[0].clone(),
        format!(
            "SELECT learner_id, SUM(day > {} - 7), MAX(day) FROM reviews GROUP BY learner_id",
            day
        ),
    ];
    let (m, f) = interleave(
        3,
        || Ok(run(&path, DUE, &["stats", "--class", "--json"]).0),
        || floor_all(&floor_class),
    )?;
    rows.push((
        "stats --class",
        Figure {
            measure: m,
            floor: f,
            ..Default::default()
        },
    ));

    // report --html for learner000 (every card studied), against its aggregates in SQL.
    let l = due_learner.id;
    let floor_report = [
        format!("SELECT phase, interval >= 21, leech, COUNT(*) FROM card_states WHERE learner_id = {l} GROUP BY 1, 2, 3"),
        format!("SELECT due / 86400, COUNT(*) FROM card_states WHERE learner_id = {l} GROUP BY 1"),
        format!(
            "SELECT day, COUNT(*), SUM(duration_ms), SUM(rating > 1) FROM reviews WHERE learner_id = {l} GROUP BY day"
        ),
        format!(
            "SELECT c.deck_id, COUNT(*), SUM({r}) FROM card_states s JOIN cards c ON c.id = s.card_id
             WHERE s.learner_id = {l} AND c.retired_at IS NULL GROUP BY c.deck_id"
        ),
        format!(
            "SELECT t.tag, COUNT(*), SUM({r}) FROM card_states s JOIN card_tags t ON t.card_id = s.card_id
             WHERE s.learner_id = {l} AND t.tag GLOB 'theme:*' GROUP BY t.tag"
        ),
    ];
    let html = dir.join("report.html").to_string_lossy().to_string();
    let (m, f) = interleave(
        3,
        || Ok(run(&path, DUE, &["report", "--html", &html]).0),
        || floor_all(&floor_report),
    )?;
    rows.push((
        "report --html (one learner)",
        Figure {
            measure: m,
            floor: f,
            ..Default::default()
        },
    ));

    // Progress export and import of learner000's bundle (every card reviewed once).
    let bundle = dir.join("bundle.json");
    let bundle_s = bundle.to_string_lossy().to_string();
    let lines = dir.join("floor.txt");
    let export_sql = format!(
        "SELECT c.deck_id, c.card_key, c.sibling, r.reviewed_at, r.day, r.mode, r.response, r.correct, r.rule,
            r.rating, r.duration_ms, r.phase_before, r.step_before, r.stability_before, r.difficulty_before,
            r.due_before, r.last_review_before, r.last_day_before, r.interval_before, r.reps_before,
            r.lapses_before, r.leech_before, r.phase_after, r.step_after, r.stability_after, r.difficulty_after,
            r.due_after, r.interval_days, r.elapsed_days
         FROM reviews r JOIN cards c ON c.id = r.card_id WHERE r.learner_id = {l} ORDER BY r.reviewed_at, r.id"
    );
    let mut peaks = Vec::new();
    let (m, f) = interleave(
        3,
        || {
            let (t, peak) = run(&path, DUE, &["progress", "export", "-o", &bundle_s]);
            peaks.push(peak);
            Ok(t)
        },
        || {
            timed(|| {
                let mut w = std::io::BufWriter::new(
                    std::fs::File::create(&lines).map_err(|e| detente::Error::io("floor", e))?,
                );
                let mut stmt = conn.prepare_cached(&export_sql)?;
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    let cols: Vec<String> = (0..29)
                        .map(|i| match row.get_ref(i) {
                            Ok(rusqlite::types::ValueRef::Text(t)) => {
                                String::from_utf8_lossy(t).into_owned()
                            }
                            Ok(rusqlite::types::ValueRef::Integer(i)) => i.to_string(),
                            Ok(rusqlite::types::ValueRef::Real(f)) => f.to_string(),
                            _ => String::new(),
                        })
                        .collect();
                    writeln!(w, "{}", cols.join("\t"))
                        .map_err(|e| detente::Error::io("floor", e))?;
                }
                w.flush().map_err(|e| detente::Error::io("floor", e))
            })
        },
    )?;
    let size = std::fs::metadata(&bundle).map(|m| m.len()).unwrap_or(0);
    rows.push((
        "progress export (one learner)",
        Figure {
            measure: m,
            floor: f,
            peak_kb: peaks.iter().copied().max().unwrap_or(0),
            size_bytes: size,
        },
    ));
    let mut peaks = Vec::new();
    let (m, f) = interleave(
        3,
        || {
            let (t, peak) = run(
                &path,
                DUE,
                &["progress", "import", "--accept-unenrolled", &bundle_s],
            );
            peaks.push(peak);
            Ok(t)
        },
        || {
            // Read the rows back, find each card, and rewrite the learner's states in one transaction.
            timed(|| {
                let file =
                    std::fs::File::open(&lines).map_err(|e| detente::Error::io("floor", e))?;
                conn.execute_batch("BEGIN IMMEDIATE")?;
                let mut find = conn.prepare_cached(
                    "SELECT id FROM cards WHERE deck_id = ?1 AND card_key = ?2 AND sibling = ?3",
                )?;
                let mut found = 0i64;
                for line in std::io::BufReader::new(file).lines() {
                    let line = line.map_err(|e| detente::Error::io("floor", e))?;
                    let cols: Vec<&str> = line.split('\t').collect();
                    found += find.query_row((cols[0], cols[1], cols[2]), |r| r.get::<_, i64>(0))?;
                }
                conn.execute_batch(&format!(
                    "CREATE TEMP TABLE IF NOT EXISTS keep AS SELECT * FROM card_states WHERE 0;
                     DELETE FROM temp.keep;
                     INSERT INTO temp.keep SELECT * FROM card_states WHERE learner_id = {l};
                     DELETE FROM card_states WHERE learner_id = {l};
                     INSERT INTO card_states SELECT * FROM temp.keep;
                     COMMIT;"
                ))?;
                Ok(found)
            })
        },
    )?;
    rows.push((
        "progress import (one learner)",
        Figure {
            measure: m,
            floor: f,
            peak_kb: peaks.iter().copied().max().unwrap_or(0),
            size_bytes: size,
        },
    ));
    Ok(Sized {
        cards,
        rows: rows.0,
    })
}

fn main() -> detente::Result<()> {
    let dir: PathBuf = std::env::temp_dir().join(format!("detente-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| detente::Error::io("temp dir", e))?;
    let started = Instant::now();
    let sizes = [measure_size(&dir, 10_000)?, measure_size(&dir, 100_000)?];
    let ms = |s: f64| s * 1000.0;
    println!(
        "\n{:<32} {:>10} {:>10} {:>7} {:>11} {:>10} {:>10} {:>7} {:>11} {:>9}",
        "measure",
        "10k ms",
        "floor ms",
        "ratio",
        "peak/size",
        "100k ms",
        "floor ms",
        "ratio",
        "peak/size",
        "100k/10k"
    );
    for (i, (label, small)) in sizes[0].rows.iter().enumerate() {
        let large = sizes[1].rows[i].1;
        let mem = |f: &Figure| {
            if f.size_bytes == 0 {
                "-".to_string()
            } else {
                format!("{:.2}", f.peak_kb as f64 * 1024.0 / f.size_bytes as f64)
            }
        };
        println!(
            "{label:<32} {:>10.1} {:>10.1} {:>7.2} {:>11} {:>10.1} {:>10.1} {:>7.2} {:>11} {:>9.1}",
            ms(small.measure),
            ms(small.floor),
            small.measure / small.floor,
            mem(small),
            ms(large.measure),
            ms(large.floor),
            large.measure / large.floor,
            mem(&large),
            large.measure / small.measure
        );
    }
    for s in &sizes {
        for (label, f) in &s.rows {
            if f.size_bytes > 0 {
                println!(
                    "{} cards, {label}: bundle {:.1} MB, peak {:.1} MB",
                    s.cards,
                    f.size_bytes as f64 / 1e6,
                    f.peak_kb as f64 / 1024.0
                );
            }
        }
    }
    println!("whole run {:.0} s", started.elapsed().as_secs_f64());
    if std::env::var_os("DETENTE_BENCH_KEEP").is_some() {
        println!("databases kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
