//! Enrolment, the commands and the rule: `detente learner enrol` (the teacher issues one secret code per learner,
//! prints the list once, keeps only the derived keys), `detente enrol CODE` (the learner's device stores their
//! identity and key, and that learner becomes its default), and [`admit`], the rule by which `progress import`
//! takes a bundle only for the learner whose key signed it. The codes and keys themselves are [`crate::enrol`]'s.

use super::staged::Staged;
use super::{Context, now, print, print_json, say};
use crate::bundle::{Bundle, BundleLearner, Seal};
use crate::enrol::Code;
use crate::error::{Error, Result};
use crate::store::{self, Learner, Store};
use crate::ui::layout::{self, Cell, Table};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rusqlite::Connection;
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
fn chosen(conn: &Connection, names: &[String], all: bool, reissue: bool) -> Result<Vec<Learner>> {
    let keys = store::valid_keys(conn)?;
    if all {
        return Ok(store::learners(conn)?
            .into_iter()
            .filter(|l| on_roster(l) && (reissue || !keys.contains_key(&l.id)))
            .collect());
    }
    let (mut out, mut unknown, mut have): (Vec<Learner>, Vec<&str>, Vec<String>) =
        Default::default();
    for n in names {
        match store::learner_by_name(conn, n)? {
            None => unknown.push(n),
            Some(l) if out.iter().any(|o| o.id == l.id) => {}
            Some(l) => {
                if keys.contains_key(&l.id) && !reissue {
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

/// One code issued.
#[derive(serde::Serialize)]
struct Issued {
    learner: String,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    student_id: Option<String>,
    code: String,
    /// 1 for the learner's first code, 2 after one reissue, ...
    generation: i64,
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

/// `detente learner enrol [NAME...] [--all] [--reissue] [--csv FILE]`: issues the codes in one transaction (the CSV
/// is written beside its target first and moved into place once the keys are committed), then prints the list.
pub fn issue(
    ctx: &Context,
    names: &[String],
    all: bool,
    reissue: bool,
    csv: Option<&Path>,
) -> Result<i32> {
    if let Some(file) = csv {
        super::staged::refuse_database(file, &ctx.db)?;
    }
    let mut store = Store::open(&ctx.db)?;
    let learners = chosen(&store.conn, names, all, reissue)?;
    if learners.is_empty() {
        say(
            "Every learner with a username, email or student id already has an enrolment code (give --reissue to \
             replace them, or name learners).",
        );
        return Ok(0);
    }
    let mut rng = os_rng()?;
    let at = now();
    let tx = store.write()?;
    let mut issued = Vec::with_capacity(learners.len());
    let mut replaced = 0;
    for l in learners {
        // Key ids are 80 bits: a taken one is drawn again, which in practice never happens.
        let code = loop {
            let c = Code::generate(&l.name, &mut rng);
            if !store::key_id_taken(&tx, &c.key().id())? {
                break c;
            }
        };
        let generation = store::issue_key(&tx, l.id, &code.key(), at)?;
        if generation > 1 {
            replaced += 1;
        }
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
    let staged = match csv {
        Some(file) => {
            let staged = Staged::new(file, "codes", &ctx.db)?;
            let mut out = staged.create()?;
            out.write_all(&csv_bytes(&issued)?)
                .and_then(|_| out.flush())
                .map_err(|e| Error::io(format!("cannot write {}", file.display()), e))?;
            drop(out);
            Some(staged)
        }
        None => None,
    };
    tx.commit()?;
    if let Some(staged) = staged {
        staged.finish()?;
    }
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

/// How [`admit`] took a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Admission {
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
fn matches(conn: &Connection, l: &BundleLearner) -> Result<Vec<(&'static str, Learner)>> {
    let id = l.identity();
    let mut out = Vec::new();
    if let Some(m) = store::learner_by_name(conn, &l.name)? {
        out.push(("name", m));
    }
    for (what, found) in store::learners_by_identifier(conn, &id)? {
        out.push((what, found));
    }
    // The name a roster would give these identifiers, as the import matches a learner by.
    if let Some(n) = id.key_name()
        && let Some(m) = store::learner_by_name(conn, &n)?
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
pub(super) fn admit(
    conn: &Connection,
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
        let found = matches(conn, l)?;
        for (what, m) in &found {
            if store::valid_key(conn, m.id)?.is_some() {
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
    let Some(k) = store::issued_key(conn, key_id)? else {
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
    let found = matches(conn, l)?;
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
