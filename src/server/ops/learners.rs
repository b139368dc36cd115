//! The roster's work: `learner add` and `learner set` (settings, identity, exam date), `learner import` (a roster
//! CSV, all or nothing) and `learner enrol` (one secret code per learner, of which only the derived key is kept).
//! Each is written once over the roster's reads and writes ([`RosterDb`], one write transaction: SQLite's or
//! PostgreSQL's); the functions on a [`Store`] open the transaction, run it, and commit what it did.

use crate::enrol::Code;
use crate::error::{Error, Result};
use crate::gradebook::Identity;
use crate::server::api::{
    EnrolRequest, Issued, LearnerChange, LearnerData, LearnerExport, LearnerRows, RosterImported,
};
use crate::store::{self, Learner, RosterDb, Store};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

fn apply(learner: &mut Learner, s: &LearnerChange) -> Result<()> {
    if let Some(n) = s.new_per_day {
        learner.new_per_day = n;
    }
    if let Some(n) = s.reviews_per_day {
        learner.reviews_per_day = n;
    }
    if let Some(r) = s.retention {
        if !(0.7..=0.99).contains(&r) {
            return Err(Error::Usage(format!(
                "--retention must be between 0.7 and 0.99, not {r}"
            )));
        }
        learner.desired_retention = r;
    }
    if let Some(h) = s.day_starts_at {
        if h > 23 {
            return Err(Error::Usage(format!(
                "--day-starts-at must be an hour from 0 to 23, not {h}"
            )));
        }
        learner.rollover_hour = h;
    }
    Ok(())
}

/// `--exam-date` with its `--exam-scope`, or `--no-exam-date`. A date outside the learner's allowed range (from
/// today in their calendar to five years ahead) or a scope entry that names no loaded deck and matches no tag is
/// refused (exit 2) before anything is written: the caller's transaction is dropped.
fn set_exam(db: &mut dyn RosterDb, learner: &Learner, s: &LearnerChange, now: i64) -> Result<()> {
    if s.no_exam_date {
        return db.set_learner_exam(learner.id, None);
    }
    let Some(date) = &s.exam_date else {
        return Ok(());
    };
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| Error::Usage(format!("--exam-date must be YYYY-MM-DD, not {date}")))?;
    let today = crate::schedule::Calendar::local(learner.rollover_hour).day_of(now);
    crate::schedule::exam_date::check_user_date(date, today).map_err(Error::Usage)?;
    let scope: Vec<String> = s
        .exam_scope
        .iter()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect();
    let (decks, tags) = db.scope_names()?;
    crate::schedule::exam_date::check_scope(&scope, &decks, &tags).map_err(Error::Usage)?;
    db.set_learner_exam(
        learner.id,
        Some(&store::exam_dates::LearnerExam { date, scope }),
    )
}

/// The identity given, normalized; a value with a control character is refused (exit 65).
fn identity(given: &Identity) -> Result<Identity> {
    let id = given.cleaned();
    id.check().map_err(Error::InvalidData)?;
    Ok(id)
}

/// Refuses an email, student id or username another learner already carries.
fn check_unique(db: &mut dyn RosterDb, id: &Identity, own: Option<i64>) -> Result<()> {
    let probes = [
        (
            "--email",
            Identity {
                email: id.email.clone(),
                ..Default::default()
            },
        ),
        (
            "--student-id",
            Identity {
                student_id: id.student_id.clone(),
                ..Default::default()
            },
        ),
        (
            "--username",
            Identity {
                username: id.username.clone(),
                ..Default::default()
            },
        ),
    ];
    for (flag, probe) in probes {
        let Some(value) = probe
            .email
            .clone()
            .or(probe.student_id.clone())
            .or(probe.username.clone())
        else {
            continue;
        };
        // The probe may also match a learner merely named like the value; only a carried identifier clashes.
        if let Some(other) = store::roster::learner_by_identity(db, &probe)?
            && Some(other.id) != own
            && [&other.email, &other.student_id, &other.username]
                .iter()
                .any(|v| {
                    v.as_deref()
                        .is_some_and(|v| v.to_lowercase() == value.to_lowercase())
                })
        {
            return Err(Error::Usage(format!(
                "{flag} {value} belongs to learner {}",
                other.name
            )));
        }
    }
    Ok(())
}

/// The refusal for a name that is no learner's.
pub fn no_learner(name: &str) -> Error {
    Error::Usage(format!(
        "no learner named {name} (see `detente learner list`)"
    ))
}

/// `learner export`: the export document of the learner `name` (docs/formats.md, section 8), written to `out` as
/// the rows are read (`target` names `out` in errors); returns the learner's name as stored, and `out`.
pub fn learner_export<W: std::io::Write>(
    store: &Store,
    name: &str,
    now: i64,
    out: W,
    target: &str,
) -> Result<(String, W)> {
    let learner = store::learner_by_name(&store.conn, name)?.ok_or_else(|| no_learner(name))?;
    let mut doc = store::admin::ExportWriter::start(out, target, now, store::SCHEMA_VERSION)?;
    store::admin::learner_rows(&store.conn, learner.id, |v| doc.visit(v))?;
    Ok((learner.name, doc.finish()?))
}

/// [`learner_export`] as the server answers it: the whole document in memory.
pub fn learner_export_text(store: &Store, name: &str, now: i64) -> Result<LearnerExport> {
    let (learner, bytes) = learner_export(store, name, now, Vec::new(), "the export")?;
    Ok(LearnerExport {
        learner,
        document: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// `learner delete`: the learner's rows per table, deleted in one transaction if `req.delete`.
pub fn learner_delete(store: &mut Store, req: &LearnerData) -> Result<LearnerRows> {
    let learner =
        store::learner_by_name(&store.conn, &req.name)?.ok_or_else(|| no_learner(&req.name))?;
    let rows = if req.delete {
        let tx = store.write()?;
        let deleted = store::admin::delete_learner(&tx, learner.id)?;
        tx.commit()?;
        deleted
            .into_iter()
            .map(|(t, n)| (t, i64::try_from(n).unwrap_or(i64::MAX)))
            .collect()
    } else {
        store::admin::learner_counts(&store.conn, learner.id)?
    };
    Ok(LearnerRows {
        learner: learner.name,
        rows,
        deleted: req.delete,
    })
}

/// `learner add`: a new learner with these settings and identity; returns their name as stored.
pub fn learner_add(store: &mut Store, change: &LearnerChange, now: i64) -> Result<String> {
    let tx = store.write()?;
    let name = learner_add_in(&mut &tx, change, now)?;
    tx.commit()?;
    Ok(name)
}

/// [`learner_add`] in `db`'s transaction (nothing of it kept unless the caller commits an `Ok`).
pub fn learner_add_in(db: &mut dyn RosterDb, change: &LearnerChange, now: i64) -> Result<String> {
    let id = identity(&change.identity)?;
    let name = crate::gradebook::normal(&change.name);
    crate::gradebook::check_identifier("learner name", &name).map_err(Error::InvalidData)?;
    if name.is_empty() {
        return Err(Error::Usage("a learner needs a name".into()));
    }
    check_unique(db, &id, None)?;
    let Some(mut learner) = db.add_learner(&name, now)? else {
        return Err(Error::Usage(format!(
            "learner {name} already exists (change them with `detente learner set`)"
        )));
    };
    apply(&mut learner, change)?;
    db.update_learner(&learner)?;
    set_exam(db, &learner, change, now)?;
    db.set_identity(learner.id, &id)?;
    Ok(name)
}

/// `learner set`: changes a learner's settings and identity.
pub fn learner_set(store: &mut Store, change: &LearnerChange, now: i64) -> Result<()> {
    let tx = store.write()?;
    learner_set_in(&mut &tx, change, now)?;
    tx.commit()?;
    Ok(())
}

/// [`learner_set`] in `db`'s transaction.
pub fn learner_set_in(db: &mut dyn RosterDb, change: &LearnerChange, now: i64) -> Result<()> {
    let id = identity(&change.identity)?;
    let name = &change.name;
    let Some(mut learner) = db.learner_by_name(name)? else {
        return Err(Error::Usage(format!(
            "no learner named {name} (see `detente learner list`)"
        )));
    };
    apply(&mut learner, change)?;
    check_unique(db, &id, Some(learner.id))?;
    db.update_learner(&learner)?;
    set_exam(db, &learner, change, now)?;
    db.set_identity(learner.id, &id)?;
    Ok(())
}

/// What `learner import` answers: what it did, or the rows that cannot be used (nothing written).
pub type RosterAnswer = std::result::Result<RosterImported, Vec<String>>;

/// `learner import ROSTER.csv`: all or nothing, in one transaction. A file that is not a roster is an error naming
/// its line (exit 65); rows that cannot be used come back as `Err`, one line each naming the file and row, and
/// nothing is written.
pub fn roster_import(store: &mut Store, name: &str, csv: &[u8], now: i64) -> Result<RosterAnswer> {
    let tx = store.write()?;
    let answer = roster_import_in(&mut &tx, name, csv, now)?;
    if answer.is_ok() {
        tx.commit()?;
    }
    Ok(answer)
}

/// [`roster_import`] in `db`'s transaction; a refusal (`Ok(Err(..))`) has written nothing.
pub fn roster_import_in(
    db: &mut dyn RosterDb,
    name: &str,
    csv: &[u8],
    now: i64,
) -> Result<RosterAnswer> {
    let (layout, rows) = crate::gradebook::read_roster(csv)
        .map_err(|p| Error::InvalidData(format!("{name}:{}: {}", p.line, p.message)))?;
    let outcome = match store::import_roster(db, &rows, now)? {
        Ok(o) => o,
        Err(problems) => {
            return Ok(Err(problems
                .iter()
                .map(|p| format!("{name}:{}: {}", p.line, p.message))
                .collect()));
        }
    };
    Ok(Ok(RosterImported {
        layout: format!("{layout:?}"),
        outcome,
    }))
}

/// An RNG seeded from the operating system.
fn os_rng() -> Result<ChaCha20Rng> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| {
        Error::io(
            "cannot draw random numbers from the operating system",
            std::io::Error::other(e.to_string()),
        )
    })?;
    Ok(ChaCha20Rng::from_seed(seed))
}

/// Whether a learner carries an identity a roster gives (username, email or student id).
fn on_roster(l: &Learner) -> bool {
    l.username.is_some() || l.email.is_some() || l.student_id.is_some()
}

/// The learners `learner enrol` issues codes to: those named (each refused if unknown, or if they have a code and
/// `reissue` is not given), or with `all` every learner on the roster who has none (every one with `reissue`).
fn chosen(
    db: &mut dyn RosterDb,
    names: &[String],
    all: bool,
    reissue: bool,
) -> Result<Vec<Learner>> {
    let keys = db.enrolled()?;
    if all {
        return Ok(db
            .learners()?
            .into_iter()
            .filter(|l| on_roster(l) && (reissue || !keys.contains(&l.id)))
            .collect());
    }
    let (mut out, mut unknown, mut have): (Vec<Learner>, Vec<&str>, Vec<String>) =
        Default::default();
    for n in names {
        match db.learner_by_name(n)? {
            None => unknown.push(n),
            Some(l) if out.iter().any(|o| o.id == l.id) => {}
            Some(l) => {
                if keys.contains(&l.id) && !reissue {
                    have.push(l.name.clone());
                }
                out.push(l);
            }
        }
    }
    if !unknown.is_empty() {
        return Err(Error::Usage(format!(
            "no learner named {} (see `detente learner list`; add learners with `learner add` or `learner import`)",
            unknown.join(", ")
        )));
    }
    if !have.is_empty() {
        return Err(Error::Usage(format!(
            "{} already {} an enrolment code; give --reissue to replace it (the old code then stops working)",
            have.join(", "),
            if have.len() == 1 { "has" } else { "have" }
        )));
    }
    Ok(out)
}

/// `learner enrol`: issues the codes, keeping only their keys, in one transaction that `keep` may still refuse
/// (the local command writes its CSV there, so that codes are never committed without it). Returns the codes,
/// the only copies; none when nobody is left to enrol.
pub fn enrol(
    store: &mut Store,
    req: &EnrolRequest,
    now: i64,
    keep: impl FnOnce(&[Issued]) -> Result<()>,
) -> Result<Vec<Issued>> {
    let tx = store.write()?;
    let issued = enrol_in(&mut &tx, req, now)?;
    if issued.is_empty() {
        return Ok(issued);
    }
    keep(&issued)?;
    tx.commit()?;
    Ok(issued)
}

/// [`enrol`] in `db`'s transaction: the codes issued there (only their keys written), to be kept by its commit.
pub fn enrol_in(db: &mut dyn RosterDb, req: &EnrolRequest, now: i64) -> Result<Vec<Issued>> {
    let learners = chosen(db, &req.names, req.all, req.reissue)?;
    if learners.is_empty() {
        return Ok(Vec::new());
    }
    let mut rng = os_rng()?;
    let mut issued = Vec::with_capacity(learners.len());
    for l in learners {
        // Key ids are 80 bits: a taken one is drawn again, which in practice never happens.
        let code = loop {
            let c = Code::generate(&l.name, &mut rng);
            if !db.key_id_taken(&c.key().id())? {
                break c;
            }
        };
        let generation = db.issue_key(l.id, &code.key(), now)?;
        issued.push(Issued {
            learner: l.name,
            username: l.username,
            first_name: l.first_name,
            last_name: l.last_name,
            email: l.email,
            student_id: l.student_id,
            code: code.to_string(),
            generation,
        });
    }
    Ok(issued)
}
