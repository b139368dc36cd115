//! `detente sync`, and the sync at the end of `detente study`: this database's study pushed to the class server
//! `login` saved, the learner's events from their other devices pulled back, and the course's new deck versions
//! imported. The local learner is the one every command uses (`--learner`, else the enrolled or OS user name) when
//! the server says that names the caller, else the caller's roster name (created here if missing).
//!
//! A push sends one device's events the server has not answered yet, in batches ([`PUSH_BATCH`]); what the server
//! answered is recorded locally after each answer, so an interrupted push is simply repeated (the server counts
//! what arrived twice as duplicates). A pull reads pages from the saved cursor to the end, then imports the new
//! decks, appends the events, re-derives the card states and moves the cursor in one local transaction. Its last
//! page carries the digest of the server's log: a different digest here means a pull from cursor 0 (everything
//! already here is a duplicate), never an overwrite. See `docs/sync.md`.

use super::{Context, now, open_with_decks, say};
use crate::deck::{Deck, parse_deck};
use crate::error::{Error, Result};
use crate::server::api::Hello;
use crate::server::client::{self, Server};
use crate::store::{self, Device, Learner, Store};
use crate::sync::{
    Cursor, DeckText, DeckVersion, Digest, Event, Key, PULL_PAGE, PUSH_BATCH, Pulled, Push, Pushed,
};

/// What one sync did, for its summary.
#[derive(Debug, Default)]
struct Synced {
    /// Events the server added.
    sent: usize,
    /// Events added here from the pull.
    received: usize,
    /// Decks imported because the server's version was new here.
    decks: usize,
    /// This device's events the server refused, with the reason.
    refused: Vec<(Key, String)>,
    /// This device's events whose keys the server holds with another event.
    conflicts: Vec<Key>,
    /// Pulled events refused here (a card this database lacks).
    refused_here: Vec<(Key, String)>,
    /// Both logs' digests, after a re-pull if the first comparison failed.
    ours: Option<Digest>,
    theirs: Option<Digest>,
}

/// `detente sync`: with the login `login` saved, on the database the command names (`--db` included).
pub fn run(ctx: &Context, claimed: Option<&str>) -> Result<i32> {
    let Some(login) = client::saved_login()? else {
        return Err(Error::Usage(
            "not logged in to a class server: `detente login SOCKET` first".to_string(),
        ));
    };
    let server = login.server()?;
    let synced = sync(ctx, &server, claimed)?;
    for line in synced.lines(&server) {
        say(&line);
    }
    Ok(0)
}

/// The sync after `detente study`, when a login is saved and the command named no local database: its summary,
/// or one line saying why it did not happen. The study is saved either way, and the exit code is the study's.
pub fn after_study(ctx: &Context, local_db: bool) {
    let server = match super::login::remote(local_db) {
        Ok(Some(server)) => server,
        Ok(None) => return,
        Err(e) => {
            say(&format!("Not synced: {e}"));
            return;
        }
    };
    match sync(ctx, &server, None) {
        Ok(synced) => {
            for line in synced.lines(&server) {
                say(&line);
            }
        }
        Err(e) => say(&format!(
            "Not synced: {e}. Your study is saved here; `detente sync` tries again."
        )),
    }
}

/// Who the caller is, refusing a claimed learner who is not them and a caller without a roster learner.
fn hello(server: &Server, claimed: Option<&str>) -> Result<Hello> {
    let hello = server.hello()?;
    if let Some(claimed) = claimed.filter(|c| !hello.is_named_by(c)) {
        return Err(Error::Refused(format!(
            "the class server at {} knows you as {}: --learner (or DETENTE_LEARNER) cannot name anyone else \
             there, and it names {claimed}",
            server.socket().display(),
            hello.describe()
        )));
    }
    if hello.learner.is_none() {
        return Err(Error::Refused(format!(
            "the class server at {} knows you as {}, with no learner on its roster: there is no study to sync",
            server.socket().display(),
            hello.describe()
        )));
    }
    Ok(hello)
}

/// The local learner the caller's study lives under: the command's learner if it names the caller, else the
/// caller's roster name; created if missing.
fn local_learner(ctx: &Context, hello: &Hello, store: &mut Store) -> Result<Learner> {
    let name = match &hello.learner {
        Some(roster) if !hello.is_named_by(&ctx.learner) => roster.clone(),
        _ => ctx.learner.clone(),
    };
    store::learner_get_or_create(store, &name, now())
}

fn sync(ctx: &Context, server: &Server, claimed: Option<&str>) -> Result<Synced> {
    let hello = hello(server, claimed)?;
    let mut store = open_with_decks(ctx)?;
    let learner = local_learner(ctx, &hello, &mut store)?;
    let here = server.socket().display().to_string();
    let mut synced = Synced::default();
    let decks = new_decks(server, &store)?;
    synced.decks = decks.len();
    push(server, &mut store, &learner, &here, &mut synced)?;
    let from = store::pulled(&store.conn, learner.id, &here)?;
    let theirs = pull(
        server,
        &mut store,
        &learner,
        &here,
        from,
        &decks,
        &mut synced,
    )?;
    let mut ours = store::digest(&store.conn, learner.id)?;
    if ours != theirs && from != Cursor(0) {
        let theirs = pull(
            server,
            &mut store,
            &learner,
            &here,
            Cursor(0),
            &[],
            &mut synced,
        )?;
        ours = store::digest(&store.conn, learner.id)?;
        synced.theirs = Some(theirs);
    } else {
        synced.theirs = Some(theirs);
    }
    synced.ours = Some(ours);
    Ok(synced)
}

/// The course's decks whose version this database lacks, fetched and parsed.
fn new_decks(server: &Server, store: &Store) -> Result<Vec<Deck>> {
    let versions: Vec<DeckVersion> = server.get("/v1/decks")?;
    let mut decks = Vec::new();
    for v in versions {
        if store::deck_hash(&store.conn, &v.id)?.as_ref() == Some(&v.content_hash) {
            continue;
        }
        let text: DeckText = server.get(&format!("/v1/decks/{}", v.id))?;
        let (deck, diagnostics) = parse_deck(&text.file, &text.text);
        let deck = deck.ok_or_else(|| {
            Error::Server(format!(
                "the class server's deck {} does not read in this detente: {}",
                v.id,
                diagnostics
                    .first()
                    .map(|d| d.to_string().lines().next().unwrap_or_default().to_string())
                    .unwrap_or_default()
            ))
        })?;
        decks.push(deck);
    }
    Ok(decks)
}

/// Pushes this database's events for the learner that the server has not answered, device by device, in batches;
/// records each answer as it comes.
fn push(
    server: &Server,
    store: &mut Store,
    learner: &Learner,
    here: &str,
    synced: &mut Synced,
) -> Result<()> {
    for role in [Device::Study, Device::Import] {
        let device = store::device_id(&store.conn, role)?;
        loop {
            let after = store::acked(&store.conn, learner.id, here, &device)?;
            let events = store::device_events(&store.conn, learner.id, &device, after, PUSH_BATCH)?;
            let Some(last) = events.last().map(|e| e.key.seq) else {
                break;
            };
            let answer: Pushed = server.post(
                "/v1/sync/push",
                &Push {
                    device: device.clone(),
                    events,
                },
            )?;
            let tx = store.write()?;
            store::set_acked(&tx, learner.id, here, &device, last.max(answer.held))?;
            tx.commit()?;
            synced.sent += answer.report.added;
            synced.refused.extend(answer.report.refused);
            synced.conflicts.extend(answer.report.conflicts);
        }
    }
    Ok(())
}

/// Pulls the learner's events from `from` to the end, then in one local transaction imports `decks`, appends the
/// events, re-derives the card states and moves the cursor. Returns the server's digest.
fn pull(
    server: &Server,
    store: &mut Store,
    learner: &Learner,
    here: &str,
    from: Cursor,
    decks: &[Deck],
    synced: &mut Synced,
) -> Result<Digest> {
    let mut events: Vec<Event> = Vec::new();
    let mut cursor = from;
    let digest = loop {
        let page: Pulled = server.get(&format!(
            "/v1/sync/pull?cursor={}&limit={PULL_PAGE}",
            cursor.0
        ))?;
        if page.page.next <= cursor && page.page.more {
            return Err(Error::Server(format!(
                "the class server at {here} sent a pull page that does not move on from cursor {}",
                cursor.0
            )));
        }
        cursor = page.page.next;
        events.extend(page.page.events);
        if !page.page.more {
            break page.digest.ok_or_else(|| {
                Error::Server(format!(
                    "the class server at {here} ended a pull without its digest"
                ))
            })?;
        }
    };
    let at = now();
    let tx = store.write()?;
    let source = format!("{here} (class server)");
    for deck in decks {
        store::import_deck(&tx, deck, false, Some(&source), at)?;
    }
    let report = store::append_events(&tx, learner.id, &events, at)?;
    if report.added > 0 || !decks.is_empty() {
        store::rederive_states(&tx, learner, &super::calendar(learner))?;
    }
    store::set_pulled(&tx, learner.id, here, cursor)?;
    tx.commit()?;
    synced.received += report.added;
    synced.refused_here.extend(report.refused);
    Ok(digest)
}

impl Synced {
    /// The summary: one line, and one more for each kind of trouble.
    fn lines(&self, server: &Server) -> Vec<String> {
        let decks = match self.decks {
            0 => String::new(),
            1 => " (1 deck updated)".to_string(),
            n => format!(" ({n} decks updated)"),
        };
        let events = self.ours.as_ref().map_or(0, |d| d.events);
        let matches = self.ours.is_some() && self.ours == self.theirs;
        let mut lines = vec![format!(
            "Synced with {}: sent {} events, received {}{decks}. Your log: {events} events, {}.",
            server.socket().display(),
            self.sent,
            self.received,
            if matches {
                "digest matches"
            } else {
                "digest differs"
            }
        )];
        if let Some((key, why)) = self.refused.first() {
            lines.push(format!(
                "The server refused {} of this device's events, which stay here and are not sent again (the \
                 first, {key}: {why}).",
                self.refused.len()
            ));
        }
        if let Some(key) = self.conflicts.first() {
            lines.push(format!(
                "The server holds other events under {} of this device's keys (the first, {key}): was this \
                 database copied from another device? Nothing was overwritten on either side.",
                self.conflicts.len()
            ));
        }
        if let Some((key, why)) = self.refused_here.first() {
            lines.push(format!(
                "{} pulled events were refused here (the first, {key}: {why}).",
                self.refused_here.len()
            ));
        }
        if !matches {
            let theirs = self.theirs.as_ref().map_or(0, |d| d.events);
            lines.push(format!(
                "The server's log holds {theirs} events and this one {events}, and their digests still differ \
                 after pulling everything again. Nothing was overwritten: events one side refused (reviews of a \
                 deck the server lacks, a copied database's) stay where they are and make the difference."
            ));
        }
        lines
    }
}
