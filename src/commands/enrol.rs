//! Enrolment, the commands and the rule: `detente learner enrol` (the teacher issues one secret code per learner,
//! prints the list once, keeps only the derived keys; the work is `server::ops::enrol`, on a local database or the
//! class server) and `detente enrol CODE` (the learner's device stores their identity and key, and that learner
//! becomes its default). The rule by which `progress import` takes a bundle only for the learner whose key signed
//! it is `server::ops::admit`; the codes and keys themselves are [`crate::enrol`]'s.

use super::staged::Staged;
use super::{Context, now, print, print_json, remote, say};
use crate::enrol::Code;
use crate::error::{Error, Result};
use crate::server::api::{EnrolRequest, Issued};
use crate::server::client::Server;
use crate::server::ops;
use crate::store::{self, Store};
use crate::ui::layout::{self, Cell, Table};
use std::io::Write;
use std::path::Path;

/// `detente enrol CODE`: this device is `CODE`'s learner from now on (created here if new), with the code's key.
/// Enrolling again, with the same or a new code, replaces the key.
pub fn enrol(ctx: &Context, typed: &str) -> Result<i32> {
    let code = Code::parse(typed).map_err(Error::Usage)?;
    let key = code.key();
    let mut store = Store::open(&ctx.db)?;
    let before = store::device_key(&store.conn)?;
    let tx = store.write()?;
    let learner = match store::learner_by_name(&tx, code.name())? {
        Some(l) => l,
        None => store::add_learner(&tx, code.name(), now())?
            .ok_or_else(|| Error::Usage(format!("cannot create learner {}", code.name())))?,
    };
    store::set_device_key(&tx, learner.id, &key, now())?;
    tx.commit()?;
    let name = &learner.name;
    match before {
        Some(b) if b.key == key => say(&format!(
            "This device was already enrolled as {name} with this code; nothing changed."
        )),
        Some(b) if b.learner_id == learner.id => say(&format!(
            "Enrolled this device as {name} again, with the new code: its old key is replaced."
        )),
        Some(b) => say(&format!(
            "This device was enrolled as {}; it is now enrolled as {name}.",
            b.learner
        )),
        None => say(&format!("Enrolled this device as {name}.")),
    }
    say(&format!(
        "From now on detente acts for {name} unless --learner or DETENTE_LEARNER names someone else, and \
         `detente progress export` signs {name}'s bundles with this code's key (id {}).",
        key.id()
    ));
    Ok(0)
}

/// The codes as a CSV for a mail merge, every text cell made safe for spreadsheets.
fn csv_bytes(issued: &[Issued]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let cell = |v: &Option<String>| {
        v.as_deref()
            .map(crate::gradebook::neutralize)
            .unwrap_or_default()
    };
    let failed = |e: csv::Error| Error::io("cannot write the CSV", std::io::Error::other(e));
    w.write_record([
        "name",
        "username",
        "first_name",
        "last_name",
        "email",
        "student_id",
        "code",
        "command",
    ])
    .map_err(failed)?;
    for i in issued {
        w.write_record([
            crate::gradebook::neutralize(&i.learner),
            cell(&i.username),
            cell(&i.first_name),
            cell(&i.last_name),
            cell(&i.email),
            cell(&i.student_id),
            i.code.clone(),
            format!("detente enrol {}", crate::text::shell_word(&i.code)),
        ])
        .map_err(failed)?;
    }
    w.into_inner()
        .map_err(|e| Error::io("cannot write the CSV", std::io::Error::other(e.to_string())))
}

/// `detente learner enrol [NAME...] [--all] [--reissue] [--csv FILE]`: issues the codes in one transaction, on the
/// local database or the class server (which keeps only their keys too), then prints the list. The CSV is written
/// here, beside its target first: on a local database it is moved into place once the keys are committed; over a
/// server it is created before the codes are asked for, so a target that cannot be written issues none.
pub fn issue(
    ctx: &Context,
    server: Option<&Server>,
    names: &[String],
    all: bool,
    reissue: bool,
    csv: Option<&Path>,
) -> Result<i32> {
    if let Some(file) = csv {
        super::staged::refuse_database(file, &ctx.db)?;
    }
    let req = EnrolRequest {
        names: names.to_vec(),
        all,
        reissue,
    };
    let write_csv = |staged: &Staged, file: &Path, issued: &[Issued]| -> Result<()> {
        let mut out = staged.create()?;
        out.write_all(&csv_bytes(issued)?)
            .and_then(|_| out.flush())
            .map_err(|e| Error::io(format!("cannot write {}", file.display()), e))
    };
    let mut staged = None;
    let issued = match server {
        Some(server) => {
            if let Some(file) = csv {
                staged = Some((Staged::new(file, "codes", &ctx.db)?, file));
            }
            let issued: Vec<Issued> = remote::call(server, "enrol", &req)?;
            if let Some((s, file)) = &staged
                && !issued.is_empty()
            {
                write_csv(s, file, &issued)?;
            }
            issued
        }
        None => {
            let mut store = Store::open(&ctx.db)?;
            ops::enrol(&mut store, &req, now(), |issued| {
                if let Some(file) = csv {
                    let s = Staged::new(file, "codes", &ctx.db)?;
                    write_csv(&s, file, issued)?;
                    staged = Some((s, file));
                }
                Ok(())
            })?
        }
    };
    if issued.is_empty() {
        say(
            "Every learner with a username, email or student id already has an enrolment code (give --reissue to \
             replace them, or name learners).",
        );
        return Ok(0);
    }
    if let Some((staged, _)) = staged {
        staged.finish()?;
    }
    let replaced = issued.iter().filter(|i| i.generation > 1).count();
    if ctx.json {
        print_json(&issued)?;
    } else {
        let mut table = Table::new(&[
            ("LEARNER", Cell::Text),
            ("USERNAME", Cell::Text),
            ("STUDENT ID", Cell::Text),
            // Never cut: a code is useless without all of it (broken after a dash only if the screen is too narrow).
            ("CODE", Cell::Id),
        ]);
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        for i in &issued {
            table.row(vec![
                i.learner.clone(),
                show(&i.username),
                show(&i.student_id),
                i.code.clone(),
            ]);
        }
        for line in table.render(layout::table_width()) {
            print(&line)?;
        }
    }
    let copies = match csv {
        Some(file) => format!("this list and {} are the only copies", file.display()),
        None => "this list is the only copy".into(),
    };
    say(&format!(
        "Issued {} enrolment code(s){}. Each learner runs `detente enrol CODE` once on each of their devices. \
         detente keeps only a key derived from each code: {copies}.",
        issued.len(),
        if replaced > 0 {
            format!(" ({replaced} reissued: the old codes no longer work)")
        } else {
            String::new()
        }
    ));
    Ok(0)
}
