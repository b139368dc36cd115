//! `progress import`'s work on one bundle, and the rule it admits a bundle by. Each bundle is checked and merged
//! in a transaction of its own: it is validated (format, version, checksum and value domains, then cards, decks and
//! exams known here), admitted only for the learner whose enrolment key signed it ([`admit`]), its exam attempts
//! re-scored by the teacher's copy (`session::exam::rescore`), merged, and its learner's card states recomputed by
//! replaying their merged study log. A refused bundle is one line naming the file and why, and writes nothing. The
//! work ([`import_in`]) runs on any database's `store::ImportDb` (SQLite's here, PostgreSQL's through
//! `ImportOps`), so each rule is written once.

use crate::bundle::{self, Bundle, BundleFlag, BundleLearner, BundleReview, Refusal, Seal};
use crate::error::{Error, Result};
use crate::exam::Exam;
use crate::gradebook::Identity;
use crate::schedule::{Calendar, Scheduler, replay};
use crate::server::api::{BundleImported, Merged};
use crate::session::exam::{Rescore, admit as admit_attempts, rescore};
use crate::store::{self, ImportDb, Learner, MergeReport, Store};
use crate::time::UnixMs;
use std::collections::BTreeMap;
use std::io::Read;

/// Imports one bundle, named `name` in messages, its bytes given by `open` (called once per pass over them), in a
/// transaction of its own, with the built-in decks it may refer to when `builtin` (the first bundle of a command).
/// A refusal (invalid data, or a file that cannot be read) is `outcome: Err(line)` and writes nothing; a database
/// error is an error.
pub fn import_bundle<R: Read>(
    store: &mut Store,
    name: &str,
    open: impl FnMut() -> std::io::Result<R>,
    accept_unenrolled: bool,
    builtin: bool,
    now: UnixMs,
) -> Result<BundleImported> {
    let tx = store.write()?;
    let done = import_in(&mut &tx, name, open, accept_unenrolled, builtin, now)?;
    if done.outcome.is_ok() {
        tx.commit()?;
    }
    Ok(done)
}

/// [`import_bundle`]'s work in the caller's write transaction, on any database: the caller commits it if the
/// outcome is `Ok`, and drops it (writing nothing) on a refusal.
pub fn import_in<R: Read>(
    db: &mut dyn ImportDb,
    name: &str,
    open: impl FnMut() -> std::io::Result<R>,
    accept_unenrolled: bool,
    builtin: bool,
    now: UnixMs,
) -> Result<BundleImported> {
    let loaded = if builtin {
        db.sync_builtin(now.secs())?
    } else {
        Vec::new()
    };
    match import_one(db, name, open, now, accept_unenrolled) {
        Ok(done) => Ok(BundleImported {
            builtin: loaded
                .iter()
                .map(|r| format!("Loaded the built-in deck {}", r.summary()))
                .collect(),
            outcome: Ok(done),
        }),
        Err(e @ (Error::InvalidData(_) | Error::Io { .. })) => Ok(BundleImported {
            builtin: Vec::new(),
            outcome: Err(e.to_string()),
        }),
        Err(e) => Err(e),
    }
}

/// A bundle that validated, with its cards resolved to this database's ids and its attempts re-scored.
struct Checked {
    bundle: Bundle,
    reviews: Vec<i64>,
    attempts: Vec<Rescore>,
    flags: Vec<i64>,
    warnings: Vec<String>,
    /// Unsigned, taken with `--accept-unenrolled`: the learner is marked unverified.
    unenrolled: bool,
}

/// Reads and validates one bundle against this database; any problem is one line naming the file (exit 65).
fn check<R: Read>(
    db: &mut dyn ImportDb,
    name: &str,
    open: impl FnMut() -> std::io::Result<R>,
    accept_unenrolled: bool,
    now_ms: UnixMs,
) -> Result<Checked> {
    let bad =
        |what: String| Error::InvalidData(format!("{name}: {what}; nothing of it was imported"));
    // Two passes over the file, never the whole bundle as one value; the tag checked with the key its id names.
    let key_for = |id: &str| Ok(db.issued_key(id)?.and_then(|k| k.key));
    let (bundle, seal) = bundle::read_sealed(open, key_for).map_err(|r| match r {
        Refusal::Io(e) => Error::io(format!("cannot read {name}"), e),
        Refusal::Invalid(what) => bad(what),
        Refusal::Lookup(e) => e,
    })?;
    bundle::validate(&bundle, now_ms.secs()).map_err(bad)?;
    let admitted = admit(db, &bundle, seal, accept_unenrolled)?.map_err(bad)?;
    let mut warnings = Vec::new();
    if admitted == Admission::Unenrolled {
        warnings.push(format!(
            "{name}: not signed, taken because {} never enrolled: what it brings is marked unverified (see \
             `detente learner list`)",
            bundle.learner.name
        ));
    }
    for d in &bundle.decks {
        match db.deck_hash(&d.id)? {
            None => return Err(bad(format!("deck `{}` is not loaded here", d.id))),
            Some(h) if h != d.content_hash => warnings.push(format!(
                "{name}: deck `{}` here differs from the learner's version; progress is kept by card id",
                d.id
            )),
            Some(_) => {}
        }
    }
    let resolve = |db: &mut dyn ImportDb, deck: &str, card: &str, sibling: i64| -> Result<i64> {
        db.card_id(deck, card, sibling)?.ok_or_else(|| {
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
        reviews.push(resolve(db, &r.deck, &r.card, r.sibling)?);
    }
    let mut exams: BTreeMap<String, Exam> = BTreeMap::new();
    let mut attempts = Vec::with_capacity(bundle.attempts.len());
    for a in &bundle.attempts {
        if !exams.contains_key(&a.exam_id) {
            let row = db
                .exam(&a.exam_id)?
                .ok_or_else(|| bad(format!("exam `{}` is not loaded here", a.exam_id)))?;
            let exam: Exam = serde_json::from_str(&row.definition)
                .map_err(|e| bad(format!("exam `{}` is stored damaged here: {e}", a.exam_id)))?;
            exams.insert(a.exam_id.clone(), exam);
        }
        let cards = a
            .answers
            .iter()
            .map(|x| resolve(db, &x.deck, &x.card, x.sibling))
            .collect::<Result<Vec<_>>>()?;
        if let Some(exam) = exams.get(&a.exam_id) {
            attempts.push(rescore(db, exam, a, &cards, now_ms)?);
        }
    }
    // The definition's limit on attempts, for the unsupervised ones this bundle adds.
    let local = learner_for(db, &bundle.learner)?;
    for (id, exam) in &exams {
        let mut new = std::collections::BTreeSet::new();
        for (a, r) in bundle.attempts.iter().zip(&attempts) {
            if a.exam_id == *id && matches!(r, Rescore::Closed { .. }) {
                new.insert(a.started_at);
            }
        }
        let mut here = 0;
        if let Some(l) = &local {
            here = db.unsupervised_count(id, l.id)?;
            for started in new.clone() {
                if db.attempt_known(id, l.id, started)? {
                    new.remove(&started);
                }
            }
        }
        admit_attempts(exam, here, new.len()).map_err(bad)?;
    }
    let flags = bundle
        .flags
        .iter()
        .map(|f| resolve(db, &f.deck, &f.card, f.sibling))
        .collect::<Result<Vec<_>>>()?;
    Ok(Checked {
        bundle,
        reviews,
        attempts,
        flags,
        warnings,
        unenrolled: admitted == Admission::Unenrolled,
    })
}

/// The local learner a bundle's learner is: matched on identity as rosters are, then on the name.
fn learner_for(db: &mut dyn ImportDb, l: &BundleLearner) -> Result<Option<Learner>> {
    if let Some(found) = store::roster::learner_by_identity(db, &l.identity())? {
        return Ok(Some(found));
    }
    db.learner_by_name(&l.name)
}

/// The bundle's identity values a local learner lacks, leaving out any another learner already carries.
fn missing_identity(db: &mut dyn ImportDb, local: &Learner, l: &BundleLearner) -> Result<Identity> {
    let theirs = l.identity();
    let mut taken = |probe: Identity| -> Result<bool> {
        Ok(store::roster::learner_by_identity(db, &probe)?.is_some_and(|o| o.id != local.id))
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

/// Checks and merges one bundle in `tx`, then recomputes its learner's card states; any refusal is an
/// `InvalidData` naming the file (the caller rolls the transaction back).
fn import_one<R: Read>(
    db: &mut dyn ImportDb,
    name: &str,
    open: impl FnMut() -> std::io::Result<R>,
    now: UnixMs,
    accept_unenrolled: bool,
) -> Result<Merged> {
    let c = check(db, name, open, accept_unenrolled, now)?;
    let now = now.secs();
    let learner = match learner_for(db, &c.bundle.learner)? {
        Some(l) => {
            let fill = missing_identity(db, &l, &c.bundle.learner)?;
            db.set_identity(l.id, &fill)?;
            l
        }
        None => {
            let mut l = db
                .add_learner(&c.bundle.learner.name, now)?
                .ok_or_else(|| {
                    Error::Usage(format!("cannot create learner {}", c.bundle.learner.name))
                })?;
            l.new_per_day = c.bundle.learner.new_per_day;
            l.reviews_per_day = c.bundle.learner.reviews_per_day;
            l.desired_retention = c.bundle.learner.desired_retention.clamp(0.7, 0.99) as f32;
            l.rollover_hour = c.bundle.learner.rollover_hour.min(23);
            db.update_learner(&l)?;
            db.set_identity(l.id, &c.bundle.learner.identity())?;
            l
        }
    };
    if c.unenrolled {
        db.mark_unverified(learner.id, now)?;
    }
    let mut merged = MergeReport::default();
    let reviews: Vec<(i64, &BundleReview)> =
        c.reviews.iter().copied().zip(&c.bundle.reviews).collect();
    store::merge_reviews(db, learner.id, &reviews, &mut merged)?;
    let mut attempts = Vec::new();
    for r in c.attempts {
        match r {
            Rescore::Closed {
                attempt,
                answers,
                not_counted,
            } => {
                if !db.attempt_known(&attempt.exam_id, learner.id, attempt.started_at)? {
                    merged.answers_not_counted += not_counted;
                }
                attempts.push((attempt, answers));
            }
            Rescore::StillOpen => merged.attempts_open += 1,
        }
    }
    store::merge_attempts(db, learner.id, &attempts, &mut merged)?;
    let flag_rows: Vec<(i64, &BundleFlag)> = c.flags.iter().copied().zip(&c.bundle.flags).collect();
    let flags = store::merge_flags(db, learner.id, &flag_rows)?;
    // The cap holds for the learner's flags here, this bundle's and earlier ones' together.
    for (deck, card, n) in db.flags_over_cap(learner.id, bundle::MAX_FLAGS_PER_CARD)? {
        bundle::flag_cap(&deck, &card, n).map_err(|e| {
            Error::InvalidData(format!(
                "{name}: {e} (with those already here); nothing of it was imported"
            ))
        })?;
    }
    // Progress is recomputable: the learner's states are what their merged study log implies.
    let scheduler = Scheduler::new(learner.settings())?;
    let log = db.study_log(learner.id)?;
    let states = replay(&scheduler, &log, &Calendar::local(learner.rollover_hour))?;
    db.replace_states(learner.id, &states)?;
    Ok(Merged {
        file: name.to_string(),
        learner: learner.name,
        merged,
        flags,
        warnings: c.warnings,
    })
}

/// How [`admit`] took a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Signed with the valid key of the learner it claims to be.
    Enrolled,
    /// Unsigned, from a learner who was never issued a code, taken with `--accept-unenrolled`: what it brings is
    /// marked unverified.
    Unenrolled,
}

/// Who a bundle says it is: its name and the identifiers it states.
fn claimed(l: &BundleLearner) -> String {
    let id = l.identity();
    let shown: Vec<String> = [
        ("username", &id.username),
        ("email", &id.email),
        ("student id", &id.student_id),
    ]
    .into_iter()
    .filter_map(|(field, v)| v.as_ref().map(|v| format!("{field} {v}")))
    .collect();
    if shown.is_empty() {
        format!("it claims to be {}", l.name)
    } else {
        format!("it claims to be {} ({})", l.name, shown.join(", "))
    }
}

/// The local learners a bundle's name and each identifier it states belong to, with what matched.
fn matches(db: &mut dyn ImportDb, l: &BundleLearner) -> Result<Vec<(&'static str, Learner)>> {
    let id = l.identity();
    let mut out = Vec::new();
    if let Some(m) = db.learner_by_name(&l.name)? {
        out.push(("name", m));
    }
    for (what, found) in db.learners_by_identifier(&id)? {
        out.push((what, found));
    }
    // The name a roster would give these identifiers, as the import matches a learner by.
    if let Some(n) = id.key_name()
        && let Some(m) = db.learner_by_name(&n)?
    {
        out.push(("identifiers' name", m));
    }
    Ok(out)
}

/// Whether a stated identifier differs from the one a learner's record holds (ignoring case but for the student
/// id); a value the record lacks does not differ.
fn contradicts(l: &BundleLearner, local: &Learner) -> Option<&'static str> {
    let id = l.identity();
    let differ = |theirs: &Option<String>, ours: &Option<String>, case: bool| match (theirs, ours) {
        (Some(t), Some(o)) if case => t != o,
        (Some(t), Some(o)) => t.to_lowercase() != o.to_lowercase(),
        _ => false,
    };
    if differ(&id.username, &local.username, false) {
        Some("username")
    } else if differ(&id.email, &local.email, false) {
        Some("email")
    } else if differ(&id.student_id, &local.student_id, true) {
        Some("student id")
    } else {
        None
    }
}

/// A moment in Unix seconds as a UTC date.
fn date(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map_or_else(|| secs.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// The rule `progress import` takes a bundle by (after its checksum and values were checked). The learner is found
/// by the bundle's key id, never by what it states: a signed bundle is taken only if its key is a valid issued key,
/// its tag verifies with it, and its name and identifiers are that learner's (identifiers their record lacks may be
/// added, if no other learner has them). An unsigned bundle is taken only if no learner its name or identifiers
/// match was issued a code, they all match one learner (or none), and `accept_unenrolled` is given. `Ok(Err(why))`
/// is a refusal: one line naming the learner the bundle claims to be and why.
pub fn admit(
    db: &mut dyn ImportDb,
    bundle: &Bundle,
    seal: Seal,
    accept_unenrolled: bool,
) -> Result<std::result::Result<Admission, String>> {
    let l = &bundle.learner;
    let claims = claimed(l);
    let Some(key_id) = &bundle.key_id else {
        if seal == Seal::Broken {
            return Ok(Err(format!("{claims}, but it has a tag and no key id")));
        }
        let found = matches(db, l)?;
        for (what, m) in &found {
            if db.valid_key(m.id)?.is_some() {
                return Ok(Err(format!(
                    "{claims}, but it is not signed, and its {what} is that of {}, who is enrolled: their bundles \
                     must come signed from a device enrolled with `detente enrol`",
                    m.name
                )));
            }
        }
        if let Some((what, m)) = found.iter().find(|(_, m)| m.id != found[0].1.id) {
            return Ok(Err(format!(
                "{claims}, but its {} is {}'s and its {what} is {}'s",
                found[0].0, found[0].1.name, m.name
            )));
        }
        if let Some((_, m)) = found.first()
            && let Some(field) = contradicts(l, m)
        {
            return Ok(Err(format!(
                "{claims}, but its {field} is not the one {}'s record holds",
                m.name
            )));
        }
        if !accept_unenrolled {
            return Ok(Err(format!(
                "{claims}, but it is not signed and {} was never issued an enrolment code; give \
                 --accept-unenrolled to import it anyway, marked unverified",
                found
                    .first()
                    .map_or(l.name.as_str(), |(_, m)| m.name.as_str())
            )));
        }
        return Ok(Ok(Admission::Unenrolled));
    };
    let Some(k) = db.issued_key(key_id)? else {
        return Ok(Err(format!(
            "{claims}, but it is signed with a key this database never issued (key id {key_id})"
        )));
    };
    if let Some(at) = k.reissued_at {
        return Ok(Err(format!(
            "{claims}, but it is signed with {}'s enrolment code {}, which was reissued on {}: the old code no \
             longer counts",
            k.learner,
            k.generation,
            date(at)
        )));
    }
    if seal != Seal::Verified {
        return Ok(Err(format!(
            "{claims}, but its tag does not match {}'s key: it was altered after it was signed",
            k.learner
        )));
    }
    let found = matches(db, l)?;
    let name_matches = found
        .iter()
        .any(|(w, m)| *w == "name" && m.id == k.learner_id);
    if !name_matches {
        return Ok(Err(format!(
            "{claims}, but it is signed with {}'s key",
            k.learner
        )));
    }
    if let Some((what, m)) = found.iter().find(|(_, m)| m.id != k.learner_id) {
        return Ok(Err(format!(
            "{claims}, but it is signed with {}'s key and its {what} is {}'s",
            k.learner, m.name
        )));
    }
    if let Some((_, m)) = found.first()
        && let Some(field) = contradicts(l, m)
    {
        return Ok(Err(format!(
            "{claims}, but it is signed with {}'s key and its {field} is not the one their record holds",
            k.learner
        )));
    }
    Ok(Ok(Admission::Enrolled))
}
