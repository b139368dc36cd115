//! `detente progress export|import`: progress bundles (the format is [`crate::bundle`]'s), so students can drill on
//! their own machines. Export writes one learner's bundle, its reviews streamed from the database. Import takes
//! each file in its own transaction, on the local database or the class server (the work, checking, admitting,
//! re-scoring and merging one bundle, is `server::ops::import_bundle`). A refused bundle is reported with its file
//! and reason and writes nothing; the others are imported, and the exit code is 65 when any was refused. On a
//! device enrolled as the learner (`detente enrol`) the bundle is signed with their key; import takes a bundle only
//! for the learner whose key signed it (the rule is `server::ops::admit`).

use super::staged::Staged;
use super::{Context, remote};
use crate::bundle::{self, Bundle, BundleLearner, Refusal};
use crate::error::{Error, Result};
use crate::server::api::{BundleImported, BundleUpload, Merged, Upload};
use crate::server::client::Server;
use crate::server::ops;
use crate::store::{self, Store};
use crate::time::UnixMs;
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

/// Imports every bundle it can, on the local database or the class server (which is sent each file's contents in
/// a request of its own). Each file is checked and merged in a transaction of its own (with the built-in decks it
/// may refer to; see `server::ops::import_bundle`): a refused one is reported on one line with its file and reason
/// and writes nothing, and the next one is taken. Exit 0 when all were imported, 65 when any was refused (after
/// importing the rest); a database error stops the import (the bundles before it stay imported).
pub fn import(
    ctx: &Context,
    server: Option<&Server>,
    files: &[PathBuf],
    accept_unenrolled: bool,
) -> Result<i32> {
    let mut store = match server {
        Some(_) => None,
        None => Some(Store::open(&ctx.db)?),
    };
    let mut imported = Vec::new();
    let mut refused = Vec::new();
    // The built-in decks are loaded with the first bundle that commits (a refused one takes them back with it).
    let mut builtin_loaded = false;
    for file in files {
        let name = file.display().to_string();
        let now = UnixMs(chrono::Utc::now().timestamp_millis());
        let done = match (server, store.as_mut()) {
            (Some(server), _) => send(server, file, accept_unenrolled)?,
            (None, Some(store)) => ops::import_bundle(
                store,
                &name,
                || std::fs::File::open(file),
                accept_unenrolled,
                !builtin_loaded,
                now,
            )?,
            (None, None) => return Err(Error::Usage("no database to import into".into())),
        };
        for line in &done.builtin {
            super::say(line);
        }
        match done.outcome {
            Ok(merged) => {
                builtin_loaded = true;
                report(&merged);
                imported.push(merged);
            }
            Err(why) => {
                // One line per refused bundle, as an error is printed: `detente: FILE: reason`.
                super::say_line(&format!("detente: {why}"));
                refused.push((name, why));
            }
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

/// Sends one bundle to the class server, which imports it as a local database does; a file that cannot be read,
/// or is not text (so no bundle), is refused here as a local import refuses it.
fn send(server: &Server, file: &Path, accept_unenrolled: bool) -> Result<BundleImported> {
    let name = file.display().to_string();
    let refused = |why: String| BundleImported {
        builtin: Vec::new(),
        outcome: Err(why),
    };
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Ok(refused(
                Error::io(format!("cannot read {name}"), e).to_string(),
            ));
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => remote::send(
            server,
            "progress-import",
            &name.clone(),
            &BundleUpload {
                bundle: Upload { name, text },
                accept_unenrolled,
            },
        ),
        Err(e) => {
            let why = match bundle::read(|| Ok(e.as_bytes())) {
                Err(Refusal::Invalid(what)) => what,
                _ => "not a progress bundle (not UTF-8 text)".to_string(),
            };
            Ok(refused(format!(
                "{name}: {why}; nothing of it was imported"
            )))
        }
    }
}

/// Prints what importing one bundle did.
fn report(d: &Merged) {
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
