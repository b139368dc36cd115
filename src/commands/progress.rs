//! `detente progress export|import`: progress bundles (the format is [`crate::bundle`]'s), so students can drill on
//! their own machines. Export writes one learner's bundle, its reviews streamed from the database. Import takes
//! each file in its own transaction: it validates it (format, version, checksum and value domains, then cards,
//! decks and exams known here), re-scores its exam attempts by the teacher's copy (`session::exam::rescore`),
//! merges it and recomputes the learner's card states by replaying their merged study log through the scheduler.
//! A refused bundle is reported with its file and reason and writes nothing; the others are imported, and the
//! exit code is 65 when any was refused. On a device enrolled as the learner (`detente enrol`) the bundle is signed
//! with their key; import takes a bundle only for the learner whose key signed it (the rule is
//! [`super::enrol::admit`]).

use super::Context;
use super::staged::Staged;
use crate::bundle::{self, Bundle, BundleFlag, BundleLearner, BundleReview, Refusal};
use crate::error::{Error, Result};
use crate::exam::Exam;
use crate::gradebook::Identity;
use crate::schedule::{Scheduler, replay};
use crate::session::exam::{Rescore, admit, rescore};
use crate::store::{self, Learner, MergeReport, Store};
use rusqlite::{Connection, Transaction};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn export(ctx: &Context, output: &Path) -> Result<i32> {
    // Refused before the database is opened; the write checks again (see `staged`).
    super::staged::refuse_database(output, &ctx.db)?;
    let store = super::open_with_decks(ctx)?;
    let learner = store::learner_by_name(&store.conn, &ctx.learner)?.ok_or_else(|| {
        Error::Usage(format!(
            "no learner named {} (choose one with --learner; see `detente learner list`)",
            ctx.learner
        ))
    })?;
    let bundle = Bundle::new(
        crate::time::UnixMs(chrono::Utc::now().timestamp_millis()),
        BundleLearner {
            name: learner.name.clone(),
            username: learner.username.clone(),
            first_name: learner.first_name.clone(),
            last_name: learner.last_name.clone(),
            email: learner.email.clone(),
            student_id: learner.student_id.clone(),
            new_per_day: learner.new_per_day,
            reviews_per_day: learner.reviews_per_day,
            desired_retention: (f64::from(learner.desired_retention) * 10_000.0).round() / 10_000.0,
            rollover_hour: learner.rollover_hour,
        },
        store::bundle_decks(&store.conn, learner.id)?,
        store::bundle_attempts(&store.conn, learner.id)?,
        store::bundle_flags(&store.conn, learner.id)?,
    );
    // Signed only with the key of the learner this device was enrolled as, never another learner's bundle.
    let device = store::device_key(&store.conn)?;
    let key = device
        .as_ref()
        .filter(|d| d.learner_id == learner.id)
        .map(|d| &d.key);
    let staged = Staged::new(output, "progress", &ctx.db)?;
    let mut out = staged.create()?;
    // The reviews are streamed from the database as the file is written, never held whole.
    let reviews = bundle::write(&mut out, &bundle, key, |each| {
        store::for_each_bundle_review(&store.conn, learner.id, each)
    })
    .map_err(|e| match e {
        Error::Io { .. } => Error::io(
            format!("cannot write {}", output.display()),
            std::io::Error::other(e.to_string()),
        ),
        other => other,
    })?;
    writeln!(out)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io(format!("cannot write {}", output.display()), e))?;
    drop(out);
    staged.finish()?;
    super::say(&format!(
        "Wrote {}: learner {}, {} review(s), {} exam attempt(s), {} flag(s), {} deck(s).",
        output.display(),
        learner.name,
        reviews,
        bundle.attempts.len(),
        bundle.flags.len(),
        bundle.decks.len()
    ));
    match (&device, key) {
        (_, Some(_)) => super::say(&format!("Signed with {}'s enrolment key.", learner.name)),
        (Some(d), None) => super::say_item(
            "warning: ",
            &format!(
                "not signed: this device is enrolled as {}, not {}; a teacher takes an unsigned bundle only for a \
                 learner who never enrolled, with --accept-unenrolled",
                d.learner, learner.name
            ),
        ),
        (None, None) => super::say_item(
            "note: ",
            "not signed: this device is not enrolled (see `detente enrol`); a teacher takes an unsigned bundle \
             only for a learner who never enrolled, with --accept-unenrolled",
        ),
    }
    Ok(0)
}

/// A bundle that validated, with its cards resolved to this database's ids and its attempts re-scored.
struct Checked {
    file: PathBuf,
    bundle: Bundle,
    reviews: Vec<i64>,
    attempts: Vec<Rescore>,
    flags: Vec<i64>,
    warnings: Vec<String>,
    /// Unsigned, taken with `--accept-unenrolled`: the learner is marked unverified.
    unenrolled: bool,
}

/// Reads and validates one bundle against this database; any problem is one line naming the file (exit 65).
fn check(conn: &Connection, file: &Path, accept_unenrolled: bool) -> Result<Checked> {
    let name = file.display().to_string();
    let now_ms = crate::time::UnixMs(chrono::Utc::now().timestamp_millis());
    let bad =
        |what: String| Error::InvalidData(format!("{name}: {what}; nothing of it was imported"));
    // Two passes over the file, never the whole bundle as one value; the tag checked with the key its id names.
    let key_for = |id: &str| Ok(store::issued_key(conn, id)?.and_then(|k| k.key));
    let (bundle, seal) =
        bundle::read_sealed(|| std::fs::File::open(file), key_for).map_err(|r| match r {
            Refusal::Io(e) => Error::io(format!("cannot read {name}"), e),
            Refusal::Invalid(what) => bad(what),
            Refusal::Lookup(e) => e,
        })?;
    bundle::validate(&bundle, super::now()).map_err(bad)?;
    let admitted = super::enrol::admit(conn, &bundle, seal, accept_unenrolled)?.map_err(bad)?;
    let mut warnings = Vec::new();
    if admitted == super::enrol::Admission::Unenrolled {
        warnings.push(format!(
            "{name}: not signed, taken because {} never enrolled: what it brings is marked unverified (see \
             `detente learner list`)",
            bundle.learner.name
        ));
    }
    for d in &bundle.decks {
        match store::deck_hash(conn, &d.id)? {
            None => return Err(bad(format!("deck `{}` is not loaded here", d.id))),
            Some(h) if h != d.content_hash => warnings.push(format!(
                "{name}: deck `{}` here differs from the learner's version; progress is kept by card id",
                d.id
            )),
            Some(_) => {}
        }
    }
    let resolve = |deck: &str, card: &str, sibling: i64| -> Result<i64> {
        store::card_id(conn, deck, card, sibling)?.ok_or_else(|| {
            bad(format!(
                "card {deck}/{card} (sibling {sibling}) does not exist in this database"
            ))
        })
    };
    let mut reviews = Vec::with_capacity(bundle.reviews.len());
    for r in &bundle.reviews {
        if !(1..=4).contains(&r.rating) {
            return Err(bad(format!("a review has rating {}, not 1 to 4", r.rating)));
        }
        reviews.push(resolve(&r.deck, &r.card, r.sibling)?);
    }
    let mut exams: BTreeMap<String, Exam> = BTreeMap::new();
    let mut attempts = Vec::with_capacity(bundle.attempts.len());
    for a in &bundle.attempts {
        if !exams.contains_key(&a.exam_id) {
            let row = store::exam(conn, &a.exam_id)?
                .ok_or_else(|| bad(format!("exam `{}` is not loaded here", a.exam_id)))?;
            let exam: Exam = serde_json::from_str(&row.definition)
                .map_err(|e| bad(format!("exam `{}` is stored damaged here: {e}", a.exam_id)))?;
            exams.insert(a.exam_id.clone(), exam);
        }
        let cards = a
            .answers
            .iter()
            .map(|x| resolve(&x.deck, &x.card, x.sibling))
            .collect::<Result<Vec<_>>>()?;
        if let Some(exam) = exams.get(&a.exam_id) {
            attempts.push(rescore(conn, exam, a, &cards, now_ms)?);
        }
    }
    // The definition's limit on attempts, for the unsupervised ones this bundle adds.
    let local = learner_for(conn, &bundle.learner)?;
    for (id, exam) in &exams {
        let mut new = std::collections::BTreeSet::new();
        for (a, r) in bundle.attempts.iter().zip(&attempts) {
            if a.exam_id == *id && matches!(r, Rescore::Closed { .. }) {
                new.insert(a.started_at);
            }
        }
        let mut here = 0;
        if let Some(l) = &local {
            here = store::unsupervised_count(conn, id, l.id)?;
            for started in new.clone() {
                if store::attempt_known(conn, id, l.id, started)? {
                    new.remove(&started);
                }
            }
        }
        admit(exam, here, new.len()).map_err(bad)?;
    }
    let flags = bundle
        .flags
        .iter()
        .map(|f| resolve(&f.deck, &f.card, f.sibling))
        .collect::<Result<Vec<_>>>()?;
    Ok(Checked {
        file: file.to_path_buf(),
        bundle,
        reviews,
        attempts,
        flags,
        warnings,
        unenrolled: admitted == super::enrol::Admission::Unenrolled,
    })
}

/// The local learner a bundle's learner is: matched on identity as rosters are, then on the name.
fn learner_for(conn: &Connection, l: &BundleLearner) -> Result<Option<Learner>> {
    if let Some(found) = store::learner_by_identity(conn, &l.identity())? {
        return Ok(Some(found));
    }
    store::learner_by_name(conn, &l.name)
}

/// The bundle's identity values a local learner lacks, leaving out any another learner already carries.
fn missing_identity(conn: &Connection, local: &Learner, l: &BundleLearner) -> Result<Identity> {
    let theirs = l.identity();
    let taken = |probe: Identity| -> Result<bool> {
        Ok(store::learner_by_identity(conn, &probe)?.is_some_and(|o| o.id != local.id))
    };
    let mut fill = Identity::default();
    if local.username.is_none()
        && let Some(u) = &theirs.username
        && !taken(Identity {
            username: Some(u.clone()),
            ..Default::default()
        })?
    {
        fill.username = Some(u.clone());
    }
    if local.email.is_none()
        && let Some(e) = &theirs.email
        && !taken(Identity {
            email: Some(e.clone()),
            ..Default::default()
        })?
    {
        fill.email = Some(e.clone());
    }
    if local.student_id.is_none()
        && let Some(s) = &theirs.student_id
        && !taken(Identity {
            student_id: Some(s.clone()),
            ..Default::default()
        })?
    {
        fill.student_id = Some(s.clone());
    }
    if local.first_name.is_none() {
        fill.first_name = theirs.first_name.clone();
    }
    if local.last_name.is_none() {
        fill.last_name = theirs.last_name.clone();
    }
    Ok(fill)
}

/// What importing one bundle did.
struct Imported {
    file: String,
    learner: String,
    merged: MergeReport,
    flags: store::FlagMerge,
    warnings: Vec<String>,
}

/// Imports every bundle it can. Each file is checked and merged in a transaction of its own (with the built-in
/// decks it may refer to): a refused one is reported on one line with its file and reason and writes nothing, and
/// the next one is taken. Exit 0 when all were imported, 65 when any was refused (after importing the rest); a
/// database error stops the import (the bundles before it stay imported).
pub fn import(ctx: &Context, files: &[PathBuf], accept_unenrolled: bool) -> Result<i32> {
    let mut store = Store::open(&ctx.db)?;
    let now = super::now();
    let mut imported = Vec::new();
    let mut refused = Vec::new();
    // The built-in decks are loaded with the first bundle that commits (a refused one takes them back with it).
    let mut builtin_loaded = false;
    for file in files {
        let tx = store.write()?;
        let builtin = if builtin_loaded {
            Vec::new()
        } else {
            store::sync_builtin_tx(&tx, now)?
        };
        match import_one(&tx, file, now, accept_unenrolled) {
            Ok(done) => {
                tx.commit()?;
                builtin_loaded = true;
                for r in &builtin {
                    super::say(&format!("Loaded the built-in deck {}", r.summary()));
                }
                report(&done);
                imported.push(done);
            }
            Err(e @ (Error::InvalidData(_) | Error::Io { .. })) => {
                drop(tx);
                // One line per refused bundle, as an error is printed: `detente: FILE: reason`.
                super::say_line(&format!("detente: {e}"));
                refused.push((file.display().to_string(), e.to_string()));
            }
            Err(e) => return Err(e),
        }
    }
    if ctx.json {
        let json: Vec<_> = imported
            .iter()
            .map(|d| serde_json::json!({"file": d.file, "learner": d.learner, "merged": d.merged, "flags": d.flags}))
            .chain(
                refused
                    .iter()
                    .map(|(file, why)| serde_json::json!({"file": file, "refused": why})),
            )
            .collect();
        super::print_json(&json)?;
    }
    if refused.is_empty() {
        return Ok(0);
    }
    if !imported.is_empty() {
        super::say(&format!(
            "Imported {} bundle(s); refused {}: {}.",
            imported.len(),
            refused.len(),
            refused
                .iter()
                .map(|(f, _)| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(crate::error::exit::DATA)
}

/// Prints what importing one bundle did.
fn report(d: &Imported) {
    for w in &d.warnings {
        super::say_item("warning: ", w);
    }
    let (r, f, name) = (&d.merged, &d.flags, &d.learner);
    super::say(&format!(
        "Imported {} for {name}: {} new review(s) ({} already here), {} new exam attempt(s) ({} already here), {} new flag(s) ({} updated, {} already here).",
        d.file,
        r.reviews_added,
        r.reviews_known,
        r.attempts_added,
        r.attempts_known,
        f.added,
        f.updated,
        f.known
    ));
    if r.attempts_added > 0 {
        super::say_item(
            "note: ",
            &format!(
                "exam attempts from a bundle were sat on {name}'s own machine: they were re-scored here from their answers by this database's exam definitions, are shown apart in `detente exam results`, never use up {name}'s supervised attempts, and are left out of grades, pass/fail, item analysis and grade exports unless given --include-unsupervised"
            ),
        );
    }
    if r.answers_not_counted > 0 {
        super::say_item(
            "note: ",
            &format!(
                "{} answer(s) of those attempts did not count: not on a question of the exam here, repeated, or after its deadline",
                r.answers_not_counted
            ),
        );
    }
    if r.attempts_open > 0 {
        super::say_item(
            "note: ",
            &format!(
                "{} exam attempt(s) still open on {name}'s machine were left for a later bundle",
                r.attempts_open
            ),
        );
    }
}

/// Checks and merges one bundle in `tx`, then recomputes its learner's card states; any refusal is an
/// `InvalidData` naming the file (the caller rolls the transaction back).
fn import_one(
    tx: &Transaction<'_>,
    file: &Path,
    now: i64,
    accept_unenrolled: bool,
) -> Result<Imported> {
    let c = check(tx, file, accept_unenrolled)?;
    let name = c.file.display().to_string();
    let learner = match learner_for(tx, &c.bundle.learner)? {
        Some(l) => {
            let fill = missing_identity(tx, &l, &c.bundle.learner)?;
            store::set_identity(tx, l.id, &fill)?;
            l
        }
        None => {
            let mut l = store::add_learner(tx, &c.bundle.learner.name, now)?.ok_or_else(|| {
                Error::Usage(format!("cannot create learner {}", c.bundle.learner.name))
            })?;
            l.new_per_day = c.bundle.learner.new_per_day;
            l.reviews_per_day = c.bundle.learner.reviews_per_day;
            l.desired_retention = c.bundle.learner.desired_retention.clamp(0.7, 0.99) as f32;
            l.rollover_hour = c.bundle.learner.rollover_hour.min(23);
            store::update_learner(tx, &l)?;
            store::set_identity(tx, l.id, &c.bundle.learner.identity())?;
            l
        }
    };
    if c.unenrolled {
        store::mark_unverified(tx, learner.id, now)?;
    }
    let mut merged = MergeReport::default();
    let reviews: Vec<(i64, &BundleReview)> =
        c.reviews.iter().copied().zip(&c.bundle.reviews).collect();
    store::merge_reviews(tx, learner.id, &reviews, &mut merged)?;
    let mut attempts = Vec::new();
    for r in c.attempts {
        match r {
            Rescore::Closed {
                attempt,
                answers,
                not_counted,
            } => {
                if !store::attempt_known(tx, &attempt.exam_id, learner.id, attempt.started_at)? {
                    merged.answers_not_counted += not_counted;
                }
                attempts.push((attempt, answers));
            }
            Rescore::StillOpen => merged.attempts_open += 1,
        }
    }
    store::merge_attempts(tx, learner.id, &attempts, &mut merged)?;
    let flag_rows: Vec<(i64, &BundleFlag)> = c.flags.iter().copied().zip(&c.bundle.flags).collect();
    let flags = store::merge_flags(tx, learner.id, &flag_rows)?;
    // The cap holds for the learner's flags here, this bundle's and earlier ones' together.
    for (deck, card, n) in store::flags_over_cap(tx, learner.id, bundle::MAX_FLAGS_PER_CARD)? {
        bundle::flag_cap(&deck, &card, n).map_err(|e| {
            Error::InvalidData(format!(
                "{name}: {e} (with those already here); nothing of it was imported"
            ))
        })?;
    }
    // Progress is recomputable: the learner's states are what their merged study log implies.
    let scheduler = Scheduler::new(learner.settings())?;
    let log = store::study_log(tx, learner.id)?;
    let states = replay(&scheduler, &log, &super::calendar(&learner))?;
    store::replace_states(tx, learner.id, &states)?;
    Ok(Imported {
        file: name,
        learner: learner.name,
        merged,
        flags,
        warnings: c.warnings,
    })
}
