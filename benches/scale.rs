//! Cost at scale, each measure beside its floor: the least plain SQL that produces the same output on the same
//! database (written here, not detente's own statements), and beside Anki 26.9.3 on the same collection when
//! `DETENTE_ANKI_PYTHON` names a Python with `anki` installed (`benches/anki_scale.py`). Databases are built (with
//! the builder `latency` uses) at 10,000, 100,000 and 1,000,000 cards (`DETENTE_SCALE_SIZES=10000,100000` for
//! fewer) in 20 decks, 100 learners who have each studied a tenth of the cards (10,000 at a million);
//! learner000 has every card due now (a tenth in relearning), learner099 has every card new. The first queue is
//! taken at the default 20 new cards a day and at 9,999. Per-learner measures are taken for those two; the class-wide ones (grade export, `stats --class`)
//! over the 100 learners. Commands run as the built binary, the way a teacher runs them (their peak memory is the
//! child's VmHWM); the queue and the counts are called in-process, as `due` and `study` call them.
//!
//! Each figure is the median of interleaved runs (measure, floor, Anki, measure, ...), printed with its ratio to
//! the floor and to Anki.
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
    /// Anki's median for the same measure (0 when not taken).
    anki: f64,
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

/// Runs `measure`, `floor` and Anki's measure (when given) `reps` times, interleaved; their medians.
fn interleave3(
    reps: usize,
    measure: &mut dyn FnMut() -> detente::Result<Duration>,
    floor: &mut dyn FnMut() -> detente::Result<Duration>,
    mut anki: Option<Box<dyn FnMut() -> detente::Result<Duration> + '_>>,
) -> detente::Result<Figure> {
    let (mut m, mut f, mut a) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..reps {
        m.push(measure()?.as_secs_f64());
        f.push(floor()?.as_secs_f64());
        if let Some(anki) = anki.as_mut() {
            a.push(anki()?.as_secs_f64());
        }
    }
    Ok(Figure {
        measure: median(m),
        floor: median(f),
        anki: if a.is_empty() { 0.0 } else { median(a) },
        ..Default::default()
    })
}

/// Anki 26.9.3 on the same collection (`benches/anki_scale.py`), when `DETENTE_ANKI_PYTHON` names a Python with
/// the `anki` package: one process per size, asked for one timed measure at a time. Its collections are built in
/// the bench's directory, or in `DETENTE_ANKI_DIR` (kept and reused).
struct Anki {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl Anki {
    fn start(dir: &Path, cards: usize) -> Option<Anki> {
        let python = std::env::var_os("DETENTE_ANKI_PYTHON")?;
        let started = Instant::now();
        // DETENTE_ANKI_DIR keeps Anki's collections between runs (a million cards take minutes to add).
        let dir = std::env::var_os("DETENTE_ANKI_DIR").map_or(dir.to_path_buf(), PathBuf::from);
        let mut child = Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/benches/anki_scale.py"
            ))
            .arg(&dir)
            .arg(cards.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start Anki's side");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("Anki ready");
        assert_eq!(line.trim(), "ready", "Anki's side did not start");
        println!(
            "  (Anki's collections ready in {:.1} s)",
            started.elapsed().as_secs_f64()
        );
        Some(Anki {
            child,
            stdin,
            stdout,
        })
    }

    fn time(&mut self, measure: &str, new_per_day: u32) -> detente::Result<Duration> {
        let io = |e| detente::Error::io("Anki's side", e);
        writeln!(self.stdin, "{measure} {new_per_day}").map_err(io)?;
        self.stdin.flush().map_err(io)?;
        let mut line = String::new();
        self.stdout.read_line(&mut line).map_err(io)?;
        let secs: f64 = line
            .trim()
            .parse()
            .map_err(|_| detente::Error::Usage(format!("Anki's side said {line:?}")))?;
        Ok(Duration::from_secs_f64(secs))
    }

    fn closure<'a>(
        &'a mut self,
        measure: &'a str,
        new_per_day: u32,
    ) -> Box<dyn FnMut() -> detente::Result<Duration> + 'a> {
        Box::new(move || self.time(measure, new_per_day))
    }
}

impl Drop for Anki {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
            "  {label:<36} {:>9.1} ms  floor {:>9.1} ms  x{:.2}{}{}",
            f.measure * 1000.0,
            f.floor * 1000.0,
            f.measure / f.floor,
            if f.anki > 0.0 {
                format!(
                    "  Anki {:>9.1} ms  x{:.2} Anki",
                    f.anki * 1000.0,
                    f.measure / f.anki
                )
            } else {
                String::new()
            },
            if f.size_bytes > 0 {
                format!(
                    "  peak {:.1} MB for a {:.1} MB bundle",
                    f.peak_kb as f64 / 1024.0,
                    f.size_bytes as f64 / 1e6
                )
            } else if f.peak_kb > 0 {
                format!("  peak {:.1} MB", f.peak_kb as f64 / 1024.0)
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
        // A tenth each up to 100,000 cards; at a million, 10,000 each (a million states besides learner000's).
        studied_per_learner: (cards / 10).min(10_000),
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
    let mut anki = Anki::start(dir, cards);
    let mut rows = Rows::default();
    let mut store = Store::open(&path)?;
    let due_learner = learner(&store.conn, DUE)?;
    let fresh = learner(&store.conn, FRESH)?;
    let cal = Calendar::local(ROLLOVER);
    let day = cal.day_of(now);
    let (end_today, tomorrow) = (cal.start_of(day.plus(1)), cal.start_of(day.plus(2)));

    // `due`: the queue and per-deck counts. Floor: the learner's states counted per deck in one grouped pass, the
    // active cards per deck, and today's reviews (what `due` adds up); Anki: its deck list's counts.
    let floor_due = |l: &store::Learner| -> detente::Result<()> {
        let c = &store.conn;
        sum_rows(
            c,
            "SELECT deck_id, SUM(phase IN (1, 3) AND due <= ?1), SUM(phase = 2 AND due <= ?1),
                    SUM(due > ?1 AND due < ?2), SUM(phase IN (1, 3) AND due < ?2), COUNT(*)
             FROM card_states WHERE learner_id = ?3 GROUP BY deck_id",
            (now, end_today, l.id),
        )?;
        sum_rows(
            c,
            "SELECT deck_id, COUNT(*) FROM cards WHERE retired_at IS NULL GROUP BY deck_id",
            [],
        )?;
        sum_rows(
            c,
            "SELECT COUNT(*) FROM reviews WHERE learner_id = ?1 AND reviewed_at >= ?2",
            (l.id, cal.start_of_ms(day)),
        )?;
        Ok(())
    };
    let f = interleave3(
        7,
        &mut || timed(|| counts::queue(&store.conn, &due_learner, &Filter::default(), &cal, now)),
        &mut || timed(|| floor_due(&due_learner)),
        anki.as_mut().map(|a| a.closure("due-due", 20)),
    )?;
    rows.push(("due (all due)", f));

    // The first study queue: Session::start (it writes nothing), against the least SQL that builds the same queue
    // on this database: today's reviews (new and review cards done, notes studied), learning steps due today,
    // reviews due now up to the limit, and the new cards, one deck at a time in the rotation, a deck's share
    // (the limit over the decks) along its new-card index, skipping a deck whose cards all have a state (counted
    // from the learner's states by deck, and the deck's cards only where the learner has states).
    let floor_queue = |store: &Store, l: &store::Learner, new_limit: u32| -> detente::Result<()> {
        let c = &store.conn;
        sum_rows(
            c,
            "SELECT r.phase_before, c.deck_id || '/' || c.card_key FROM reviews r JOIN cards c ON c.id = r.card_id
             WHERE r.learner_id = ?1 AND r.reviewed_at >= ?2 AND r.mode = 'study'",
            (l.id, cal.start_of_ms(day)),
        )?;
        sum_rows(
            c,
            "SELECT card_id, due FROM card_states WHERE learner_id = ?1 AND phase IN (1, 3) AND due < ?2
             ORDER BY due, card_id",
            (l.id, end_today),
        )?;
        sum_rows(
            c,
            "SELECT card_id, due FROM card_states WHERE learner_id = ?1 AND phase = 2 AND due <= ?2
             ORDER BY due, card_id LIMIT ?3",
            (l.id, now, l.reviews_per_day),
        )?;
        let seen: Vec<(String, i64)> = c
            .prepare_cached(
                "SELECT deck_id, COUNT(*) FROM card_states WHERE learner_id = ?1 GROUP BY deck_id",
            )?
            .query_map([l.id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let decks: Vec<String> = c
            .prepare_cached("SELECT id FROM decks WHERE retired_at IS NULL ORDER BY reading DESC, builtin DESC, offer, id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut open = Vec::new();
        for d in &decks {
            let states = seen.iter().find(|(s, _)| s == d).map_or(0, |(_, n)| *n);
            let all = states > 0
                && c.prepare_cached(
                    "SELECT COUNT(*) FROM cards WHERE deck_id = ?1 AND retired_at IS NULL",
                )?
                .query_row([d], |r| r.get::<_, i64>(0))?
                    == states;
            if !all {
                open.push(d);
            }
        }
        if open.is_empty() {
            return Ok(());
        }
        let share = new_limit.div_ceil(open.len() as u32);
        let mut lists = Vec::new();
        for d in open {
            let ids: Vec<i64> = c
                .prepare_cached(
                    "SELECT c.id FROM cards c WHERE c.deck_id = ?1 AND c.retired_at IS NULL
                       AND NOT EXISTS (SELECT 1 FROM card_states s WHERE s.learner_id = ?2 AND s.card_id = c.id)
                     ORDER BY c.new_rank LIMIT ?3",
                )?
                .query_map((d, l.id, share), |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            lists.push(ids);
        }
        let mut queue: Vec<i64> = Vec::new();
        for i in 0.. {
            let before = queue.len();
            queue.extend(
                lists
                    .iter()
                    .filter_map(|ids: &Vec<i64>| ids.get(i).copied()),
            );
            if queue.len() == before || queue.len() >= new_limit as usize {
                break;
            }
        }
        queue.truncate(new_limit as usize);
        Ok(())
    };
    for (label, l, new_limit, measure) in [
        ("first queue (all due)", &due_learner, 20, "queue-due"),
        ("first queue (all new)", &fresh, 20, "queue-new"),
        (
            "first queue (all new, 9,999 a day)",
            &fresh,
            9_999,
            "queue-new",
        ),
    ] {
        let clock = SystemClock;
        let store = std::cell::RefCell::new(&mut store);
        let f = interleave3(
            7,
            &mut || {
                let opts = StudyOptions {
                    exam_date: None,
                    filter: Filter::default(),
                    limit: None,
                    minutes: None,
                    new: (new_limit != 20).then_some(new_limit),
                    cram: false,
                    seed: 1,
                };
                let mut s = store.borrow_mut();
                timed(|| Session::start(&mut s, l, opts, &clock, cal).map(|_| ()))
            },
            &mut || timed(|| floor_queue(&store.borrow(), l, new_limit)),
            anki.as_mut().map(|a| a.closure(measure, new_limit)),
        )?;
        rows.push((label, f));
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
    // The teacher's commands and the progress bundle of learner000 (a review per card) stop at 100,000 cards: at a
    // million the bundle alone is most of a gigabyte.
    if cards > 100_000 {
        return Ok(Sized {
            cards,
            rows: rows.0,
        });
    }

    let conn = Connection::open(&path)?;
    conn.pragma_update(None, "cache_size", -262_144)?;
    let r = retrievability(now);
    let out = dir.join("out");

    // Grade export over the 100 learners, against a per-learner aggregate.
    let (mut grade_peak, mut class_peak) = (0u64, 0u64);
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
            let (t, peak) = run(
                &path,
                DUE,
                &["grades", "export", "--format", "native", "-o", &out_s],
            );
            grade_peak = grade_peak.max(peak);
            Ok(t)
        },
        || floor_all(&floor_grades),
    )?;
    rows.push((
        "grade export (100 learners)",
        Figure {
            measure: m,
            floor: f,
            peak_kb: grade_peak,
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
        || {
            let (t, peak) = run(&path, DUE, &["stats", "--class", "--json"]);
            class_peak = class_peak.max(peak);
            Ok(t)
        },
        || floor_all(&floor_class),
    )?;
    rows.push((
        "stats --class",
        Figure {
            measure: m,
            floor: f,
            peak_kb: class_peak,
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
            ..Default::default()
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
            ..Default::default()
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
    // DETENTE_SCALE_SIZES: the sizes to measure, comma-separated (10,000, 100,000 and 1,000,000 by default).
    let wanted: Vec<usize> = std::env::var("DETENTE_SCALE_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let mut sizes = Vec::new();
    for cards in wanted {
        sizes.push(measure_size(&dir, cards)?);
    }
    let ms = |s: f64| s * 1000.0;
    // Each size: milliseconds, the ratio to the floor, and to Anki (when measured).
    print!("\n{:<36}", "measure");
    for s in &sizes {
        print!(
            " {:>9} {:>7} {:>7}",
            format!("{}k ms", s.cards / 1000),
            "/floor",
            "/Anki"
        );
    }
    println!();
    for (label, _) in &sizes[0].rows {
        print!("{label:<36}");
        for s in &sizes {
            let Some(&(_, f)) = s.rows.iter().find(|(l, _)| l == label) else {
                print!(" {:>9} {:>7} {:>7}", "-", "-", "-");
                continue;
            };
            let anki = if f.anki > 0.0 {
                format!("{:.2}", f.measure / f.anki)
            } else {
                "-".into()
            };
            print!(
                " {:>9.1} {:>7.2} {:>7}",
                ms(f.measure),
                f.measure / f.floor,
                anki
            );
        }
        println!();
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
