//! `detente progress export|import`: progress bundles (the format is [`crate::bundle`]'s), so students can drill on
//! their own machines. Export writes one learner's bundle, its reviews streamed from the database. Import validates
//! every file first (format, version, checksum and value domains, then cards, decks and exams known here), then
//! merges them all in one transaction and recomputes the learners' card states by replaying their merged study logs
//! through the scheduler. On a device enrolled as the learner (`detente enrol`) the bundle is signed with their key;
//! import takes a bundle only for the learner whose key signed it (the rule is [`super::enrol::admit`]).

use super::Context;
use super::staged::Staged;
use crate::bundle::{
    self, Bundle, BundleAttempt, BundleFlag, BundleLearner, BundleReview, Refusal,
};
use crate::error::{Error, Result};
use crate::gradebook::Identity;
use crate::schedule::{Scheduler, replay};
use crate::store::{self, Learner, MergeReport, Store};
use rusqlite::Connection;
use std::collections::BTreeSet;
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

/// A bundle that validated, with its cards resolved to this database's ids.
struct Checked {
    file: PathBuf,
    bundle: Bundle,
    reviews: Vec<i64>,
    answers: Vec<Vec<i64>>,
    flags: Vec<i64>,
    warnings: Vec<String>,
    /// Unsigned, taken with `--accept-unenrolled`: the learner is marked unverified.
    unenrolled: bool,
}

/// Reads and validates one bundle against this database; any problem is one line naming the file (exit 65).
fn check(conn: &Connection, file: &Path, accept_unenrolled: bool) -> Result<Checked> {
    let name = file.display().to_string();
    let bad = |what: String| Error::InvalidData(format!("{name}: {what}; nothing was imported"));
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
    let local = learner_for(conn, &bundle.learner)?;
    let mut answers = Vec::with_capacity(bundle.attempts.len());
    for a in &bundle.attempts {
        if !store::exam_exists(conn, &a.exam_id)? {
            return Err(bad(format!("exam `{}` is not loaded here", a.exam_id)));
        }
        if let Some(l) = &local
            && let Some(started) = store::attempt_started(conn, l.id, &a.exam_id, a.number)?
            && started != a.started_at
        {
            return Err(bad(format!(
                "attempt {} at exam `{}` conflicts with a different attempt {} already here",
                a.number, a.exam_id, a.number
            )));
        }
        answers.push(
            a.answers
                .iter()
                .map(|x| resolve(&x.deck, &x.card, x.sibling))
                .collect::<Result<Vec<_>>>()?,
        );
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
        answers,
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

pub fn import(ctx: &Context, files: &[PathBuf], accept_unenrolled: bool) -> Result<i32> {
    let mut store = Store::open(&ctx.db)?;
    let now = super::now();
    // One transaction for everything: the built-in decks the bundles refer to are loaded in it, so a refused
    // bundle leaves the database exactly as it was.
    let tx = store.write()?;
    let builtin = store::sync_builtin_tx(&tx, now)?;
    let checked = files
        .iter()
        .map(|f| check(&tx, f, accept_unenrolled))
        .collect::<Result<Vec<_>>>()?;
    for r in &builtin {
        super::say(&format!("Loaded the built-in deck {}", r.summary()));
    }
    for c in &checked {
        for w in &c.warnings {
            super::say_item("warning: ", w);
        }
    }
    // Identities to fill in, decided before anything is merged.
    let mut plans = Vec::with_capacity(checked.len());
    for c in &checked {
        plans.push(match learner_for(&tx, &c.bundle.learner)? {
            Some(l) => {
                let fill = missing_identity(&tx, &l, &c.bundle.learner)?;
                (Some(l), fill)
            }
            None => (None, c.bundle.learner.identity()),
        });
    }
    let mut touched = BTreeSet::new();
    let mut reports = Vec::new();
    for (c, (local, fill)) in checked.iter().zip(plans) {
        let learner = match local {
            Some(l) => l,
            None => match store::learner_by_name(&tx, &c.bundle.learner.name)? {
                // An earlier bundle in this import created them.
                Some(l) => l,
                None => {
                    let mut l =
                        store::add_learner(&tx, &c.bundle.learner.name, now)?.ok_or_else(|| {
                            Error::Usage(format!("cannot create learner {}", c.bundle.learner.name))
                        })?;
                    l.new_per_day = c.bundle.learner.new_per_day;
                    l.reviews_per_day = c.bundle.learner.reviews_per_day;
                    l.desired_retention =
                        c.bundle.learner.desired_retention.clamp(0.7, 0.99) as f32;
                    l.rollover_hour = c.bundle.learner.rollover_hour.min(23);
                    store::update_learner(&tx, &l)?;
                    l
                }
            },
        };
        store::set_identity(&tx, learner.id, &fill)?;
        if c.unenrolled {
            store::mark_unverified(&tx, learner.id, now)?;
        }
        let mut report = MergeReport::default();
        let reviews: Vec<(i64, &BundleReview)> =
            c.reviews.iter().copied().zip(&c.bundle.reviews).collect();
        store::merge_reviews(&tx, learner.id, &reviews, &mut report)?;
        let attempts: Vec<(&BundleAttempt, Vec<i64>)> = c
            .bundle
            .attempts
            .iter()
            .zip(c.answers.iter().cloned())
            .collect();
        store::merge_attempts(&tx, learner.id, &attempts, &mut report)?;
        let flags: Vec<(i64, &BundleFlag)> = c.flags.iter().copied().zip(&c.bundle.flags).collect();
        let flagged = store::merge_flags(&tx, learner.id, &flags)?;
        touched.insert(learner.name.clone());
        reports.push((
            c.file.display().to_string(),
            learner.name.clone(),
            report,
            flagged,
        ));
    }
    // Progress is recomputable: each touched learner's states are what their merged study log implies.
    for name in &touched {
        let Some(learner) = store::learner_by_name(&tx, name)? else {
            continue;
        };
        let scheduler = Scheduler::new(learner.settings())?;
        let log = store::study_log(&tx, learner.id)?;
        let states = replay(&scheduler, &log, &super::calendar(&learner))?;
        store::replace_states(&tx, learner.id, &states)?;
    }
    tx.commit()?;
    for (file, name, r, f) in &reports {
        super::say(&format!(
            "Imported {file} for {name}: {} new review(s) ({} already here), {} new exam attempt(s) ({} already here), {} new flag(s) ({} updated, {} already here).",
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
                    "exam attempts from a bundle were sat on {name}'s own machine: they are marked unsupervised in `detente exam results`, and grade exports leave them out unless given --include-unsupervised"
                ),
            );
        }
    }
    if ctx.json {
        let json: Vec<_> = reports
            .iter()
            .map(|(file, name, r, f)| serde_json::json!({"file": file, "learner": name, "merged": r, "flags": f}))
            .collect();
        super::print_json(&json)?;
    }
    Ok(0)
}
