//! Exams the class server runs, attacked where they must hold: the answer key never leaves the server (every
//! response of an open attempt is byte-identical whichever answer is right, for every card kind; no response holds
//! an exam-only card's accepted answer; an exam-only deck is never listed, pulled or synced), the clock is the
//! server's (an answer at deadline + grace + 1 ms refused; an attempt nobody finishes closed at its deadline, also
//! after a restart; a client clock a day off changes nothing; extra time extends one learner only), sequence numbers
//! (a duplicate acknowledged identically, a stale one refused), and what a student sees after submitting.
//!
//! The clock tests run the real router in-process (`detente::server::router` over an `App` whose clock is a
//! `SetClock` the test moves), the learners known by device tokens as over TLS and the teacher by the test's uid as
//! on the socket. The last test sits an exam end to end: a real `detente serve`, the real client in a terminal,
//! killed halfway and resumed.

use crate::server::daemon::{Served, me, roster};
use crate::server::{client, run, text};
use crate::support::{FirstOption, Scripted, pty};
use axum::body::Body;
use axum::http::Request;
use detente::deck::parse_deck;
use detente::server::api::PROTOCOL;
use detente::server::config::{Limits, Teachers};
use detente::server::{App, PeerUid, SetClock, TlsPeer, close_due, closer, router};
use detente::session::exam::wire::{AnswerSent, Outcome, QuestionView};
use detente::session::exam::{ExamEnd, ExamService, GRACE_MS, OffsetClock, RemoteSitting, Sent};
use detente::session::{Clock, exam::wire::Ack};
use detente::store::{self, Store};
use detente::time::UnixMs;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

/// The server's time when each course starts.
const T0: UnixMs = UnixMs(1_796_000_000_000);

/// A class server in this process: its database, the App (its clock a `SetClock`) and a runtime to run requests.
struct Course {
    _dir: tempfile::TempDir,
    db: PathBuf,
    rt: tokio::runtime::Runtime,
    app: App,
    clock: Arc<SetClock>,
}

fn token(learner: &str) -> String {
    format!("dt_{:0>64}", hex(learner))
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// A deck file's header, exam-only or not.
fn deck_head(id: &str, exam_only: bool) -> String {
    format!(
        "[deck]\nid = \"{id}\"\ntitle = \"Deck {id}\"\n{}\n",
        if exam_only { "exam_only = true" } else { "" }
    )
}

/// Loads `decks` (TOML) into a new database (published, as `deck import` over a server does), adds learners with a
/// device each, loads `exam` (TOML) as the server does, and builds the App at [`T0`].
fn course(decks: &[String], exam: &str, learners: &[&str]) -> Course {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let mut store = Store::open(&db).unwrap();
    let now_s = T0.secs();
    let tx = store.write().unwrap();
    for (i, text) in decks.iter().enumerate() {
        let file = format!("deck{i}.toml");
        let (deck, diags) = parse_deck(&file, text);
        let deck = deck.unwrap_or_else(|| panic!("{diags:?}"));
        store::import_deck(&tx, &deck, false, Some(&file), now_s).unwrap();
        store::publish_deck(&tx, &deck, &file, text, "prof", now_s).unwrap();
    }
    for name in learners {
        let l = store::add_learner(&tx, name, now_s).unwrap().unwrap();
        let hash: [u8; 32] = Sha256::digest(token(name).as_bytes()).into();
        store::insert_device(&tx, l.id, &format!("{name}-laptop"), &hash, now_s).unwrap();
    }
    tx.commit().unwrap();
    let loaded =
        detente::server::ops::exam_load(&mut store, "final.toml", exam, now_s, true).unwrap();
    loaded
        .done
        .into_result()
        .unwrap_or_else(|e| panic!("{e}: {:?}", loaded.diagnostics));
    let clock = Arc::new(SetClock::new(T0));
    let app = app_on(store, clock.clone());
    Course {
        _dir: dir,
        db,
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        app,
        clock,
    }
}

fn app_on(store: Store, clock: Arc<SetClock>) -> App {
    App::sqlite(
        store,
        &Teachers {
            users: vec![me()],
            groups: Vec::new(),
        },
        Limits::default(),
        Arc::new(|_: &str| {}),
        clock,
    )
    .unwrap()
}

impl Course {
    /// One request as `who` (a learner's device token, or `None` for the teacher on the socket): status and body.
    fn send(
        &self,
        who: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, String) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("detente-protocol", PROTOCOL.to_string())
            .header("content-type", "application/json");
        if let Some(learner) = who {
            req = req.header("authorization", format!("Bearer {}", token(learner)));
        }
        let mut req = req
            .body(Body::from(
                body.map_or(Vec::new(), |b| b.to_string().into_bytes()),
            ))
            .unwrap();
        if who.is_some() {
            req.extensions_mut()
                .insert(TlsPeer("127.0.0.1:40000".parse().unwrap()));
        } else {
            req.extensions_mut()
                .insert(PeerUid(nix::unistd::getuid().as_raw()));
        }
        let response = self
            .rt
            .block_on(router(self.app.clone()).oneshot(req))
            .unwrap();
        let status = response.status().as_u16();
        let bytes = self
            .rt
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A request that must succeed; its body.
    fn ok(&self, who: Option<&str>, method: &str, path: &str, body: Option<Value>) -> String {
        let (status, text) = self.send(who, method, path, body);
        assert_eq!(status, 200, "{method} {path}: {text}");
        text
    }

    fn at(&self, t: UnixMs) {
        self.clock.set(t);
    }

    fn close_due(&self) -> usize {
        self.rt.block_on(close_due(&self.app))
    }

    /// The learner's attempts at exam `final`, read from the server's database.
    fn attempts(&self, learner: &str) -> Vec<store::Attempt> {
        let store = Store::open(&self.db).unwrap();
        let l = store::learner_by_name(&store.conn, learner)
            .unwrap()
            .unwrap();
        store::attempts(&store.conn, "final", l.id).unwrap()
    }
}

/// An exam over `decks` with `extra` lines (TOML).
fn exam(decks: &str, questions: u32, extra: &str) -> String {
    format!(
        "id = \"final\"\ntitle = \"Final\"\ndecks = [{decks}]\nquestions = {questions}\nseed = 7\npaper = \"same\"\n\
         grading = \"highest\"\npass_mark = 50\n{extra}"
    )
}

/// Two variants of one card of each kind that differ only in which answer is right.
fn variants() -> Vec<(&'static str, String, String)> {
    let card =
        |kind: &str, rest: &str| format!("[[card]]\nid = \"q\"\nkind = \"{kind}\"\n{rest}\n");
    vec![
        (
            "choice",
            card(
                "choice",
                "prompt = \"Where was the 2010 summit?\"\nchoices = [\"Lisbon\", \"Bucharest\", \"Riga\"]\nanswer = \"Lisbon\"",
            ),
            card(
                "choice",
                "prompt = \"Where was the 2010 summit?\"\nchoices = [\"Lisbon\", \"Bucharest\", \"Riga\"]\nanswer = \"Riga\"",
            ),
        ),
        (
            "multi",
            card(
                "multi",
                "prompt = \"Which joined in 2004?\"\nchoices = [\"Latvia\", \"Estonia\", \"Poland\"]\nanswers = [\"Latvia\", \"Estonia\"]",
            ),
            card(
                "multi",
                "prompt = \"Which joined in 2004?\"\nchoices = [\"Latvia\", \"Estonia\", \"Poland\"]\nanswers = [\"Estonia\", \"Poland\"]",
            ),
        ),
        (
            "truefalse",
            card(
                "truefalse",
                "prompt = \"The NRC was founded in 2002.\"\nanswer = true",
            ),
            card(
                "truefalse",
                "prompt = \"The NRC was founded in 2002.\"\nanswer = false",
            ),
        ),
        (
            "text",
            card(
                "text",
                "prompt = \"Who was Russia's envoy to NATO in 2010?\"\nanswers = [\"Quixotlan\"]",
            ),
            card(
                "text",
                "prompt = \"Who was Russia's envoy to NATO in 2010?\"\nanswers = [\"Zarnowiec\"]",
            ),
        ),
        (
            "cloze",
            card("cloze", "prompt = \"The envoy was {{Quixotlan}}.\""),
            card("cloze", "prompt = \"The envoy was {{Zarnowiec}}.\""),
        ),
        (
            "number",
            card(
                "number",
                "prompt = \"How many members in 2010?\"\nanswer = 28",
            ),
            card(
                "number",
                "prompt = \"How many members in 2010?\"\nanswer = 31",
            ),
        ),
        (
            "order",
            card(
                "order",
                "prompt = \"Order the enlargements.\"\nitems = [\"Madrid\", \"Prague\", \"Istanbul\"]",
            ),
            card(
                "order",
                "prompt = \"Order the enlargements.\"\nitems = [\"Prague\", \"Istanbul\", \"Madrid\"]",
            ),
        ),
        (
            "match",
            card(
                "match",
                "prompt = \"Match the summit to its year.\"\npairs = [[\"Lisbon\", \"2010\"], [\"Riga\", \"2006\"], [\"Madrid\", \"1997\"]]",
            ),
            card(
                "match",
                "prompt = \"Match the summit to its year.\"\npairs = [[\"Lisbon\", \"2006\"], [\"Riga\", \"1997\"], [\"Madrid\", \"2010\"]]",
            ),
        ),
        (
            "flashcard",
            card(
                "flashcard",
                "prompt = \"The envoy in 2010?\"\nanswer = \"Quixotlan\"",
            ),
            card(
                "flashcard",
                "prompt = \"The envoy in 2010?\"\nanswer = \"Zarnowiec\"",
            ),
        ),
    ]
}

/// A response of the right shape for a served question: its first option(s), or typed text.
fn some_response(q: &QuestionView) -> Value {
    match q.kind.as_str() {
        "choice" => json!(q.options[0]),
        "multi" => json!([q.options[0]]),
        "truefalse" => json!(true),
        "order" => json!(q.options),
        "match" => json!(
            q.lefts
                .iter()
                .zip(&q.options)
                .map(|(l, r)| [l, r])
                .collect::<Vec<_>>()
        ),
        _ => json!("Quixotlan"),
    }
}

/// Every response the server gives during one open attempt at a one-question exam on `bank`: the start, the
/// question, an answer, its duplicate, a changed answer, the question again, a resume, and the summary page's data.
fn open_attempt_transcript(bank: &str) -> Vec<(u16, String)> {
    // A flashcard bank loads only with `score_flashcards`; a server still never serves one.
    let flashcards = if bank.contains("flashcard") {
        "score_flashcards = true\n"
    } else {
        ""
    };
    let c = course(
        &[format!("{}{bank}", deck_head("bank", true))],
        &exam(
            "\"bank\"",
            1,
            &format!("time_limit = 30\nnavigation = \"free\"\n{flashcards}"),
        ),
        &["ann"],
    );
    let ann = Some("ann");
    let mut out = vec![c.send(ann, "POST", "/v1/exams/final/attempt", None)];
    let (status, q) = c.send(ann, "GET", "/v1/exams/final/attempt/questions/1", None);
    out.push((status, q.clone()));
    if status == 200 {
        let q: QuestionView = serde_json::from_str(&q).unwrap();
        let first = json!({"seq": 1, "response": some_response(&q)});
        let changed = json!({"seq": 2, "response": json!("Zarnowiec")});
        for body in [first.clone(), first, changed] {
            out.push(c.send(ann, "POST", "/v1/exams/final/attempt/answers/1", Some(body)));
        }
        out.push(c.send(ann, "GET", "/v1/exams/final/attempt/questions/1", None));
        out.push(c.send(ann, "POST", "/v1/exams/final/attempt", None));
        out.push(c.send(ann, "GET", "/v1/exams", None));
    }
    out
}

/// Attack: any answer field, verdict or seed-derived trace of the key in a response during an open attempt makes
/// the two variants' transcripts differ. For every card kind, the variants differ only in which answer is right;
/// the whole open attempt (start, question, answer, duplicate, changed answer, question again, resume, listing)
/// must be byte-identical. A flashcard is never on a served paper (self-graded): both variants are refused alike.
#[test]
fn every_response_of_an_open_attempt_is_the_same_whichever_answer_is_right() {
    for (kind, a, b) in variants() {
        let ta = open_attempt_transcript(&a);
        let tb = open_attempt_transcript(&b);
        assert_eq!(ta, tb, "{kind}: the responses differ with the key");
        if kind == "flashcard" {
            assert_eq!(ta[0].0, 404, "flashcards are not served: {ta:?}");
        } else {
            assert!(
                ta.iter().all(|(s, _)| *s == 200 || *s == 422),
                "{kind}: {ta:?}"
            );
            assert!(ta.len() > 3, "{kind}: the attempt was sat: {ta:?}");
        }
    }
}

/// A bank of exam-only cards whose accepted answers are words found nowhere else, and a study deck.
fn bank_and_study() -> Vec<String> {
    vec![
        format!(
            "{}[[card]]\nid = \"envoy\"\nkind = \"text\"\nprompt = \"Who was the envoy?\"\nanswers = [\"Quixotlan\", \"Q. Quixotlan\"]\n\n\
             [[card]]\nid = \"city\"\nkind = \"cloze\"\nprompt = \"The summit met in {{{{Zarnowiec}}}}.\"\n\n\
             [[card]]\nid = \"year\"\nkind = \"number\"\nprompt = \"In which year did the council first meet?\"\nanswer = 1873\n",
            deck_head("bank", true)
        ),
        format!(
            "{}[[card]]\nid = \"s1\"\nkind = \"text\"\nprompt = \"Study question?\"\nanswers = [\"Study\"]\n",
            deck_head("study", false)
        ),
    ]
}

/// Attack: an exam-only card's accepted answer in any response while the attempt is open (a question, an
/// acknowledgement, the summary page's data, the listing), or the bank itself reaching a device (`GET /v1/decks`,
/// the deck pull, a sync push of study of it). The answers appear only in the review after the attempt, which
/// shows the test would see them.
#[test]
fn no_response_during_an_attempt_holds_an_exam_only_answer_and_the_bank_never_reaches_a_device() {
    let c = course(
        &bank_and_study(),
        &exam("\"bank\"", 3, "time_limit = 30\nnavigation = \"free\"\n"),
        &["ann"],
    );
    let ann = Some("ann");
    let secrets = ["Quixotlan", "Zarnowiec", "1873"];
    let mut seen = vec![c.ok(ann, "POST", "/v1/exams/final/attempt", None)];
    for n in 1..=3 {
        let q = c.ok(
            ann,
            "GET",
            &format!("/v1/exams/final/attempt/questions/{n}"),
            None,
        );
        seen.push(q.clone());
        let body = json!({"seq": 1, "response": "Bruges"});
        seen.push(c.ok(
            ann,
            "POST",
            &format!("/v1/exams/final/attempt/answers/{n}"),
            Some(body),
        ));
    }
    seen.push(c.ok(ann, "POST", "/v1/exams/final/attempt", None));
    seen.push(c.ok(ann, "GET", "/v1/exams", None));
    let decks = c.ok(ann, "GET", "/v1/decks", None);
    seen.push(decks.clone());
    for text in &seen {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} was sent: {text}");
        }
    }
    // The bank is neither listed nor served; the study deck is.
    assert!(
        !decks.contains("\"bank\"") && decks.contains("\"study\""),
        "{decks}"
    );
    assert_eq!(c.send(ann, "GET", "/v1/decks/bank", None).0, 404);
    assert_eq!(c.send(ann, "GET", "/v1/decks/study", None).0, 200);
    // The listing says the exam is on exam-only decks (no study deck drawn).
    let listing: Value = serde_json::from_str(&c.ok(ann, "GET", "/v1/exams", None)).unwrap();
    assert_eq!(listing[0]["study_decks"], json!([]));
    // After the attempt the review shows the right answers: they were there to be leaked.
    let outcome = c.ok(ann, "POST", "/v1/exams/final/attempt/submit", None);
    assert!(
        outcome.contains("Quixotlan") && outcome.contains("Zarnowiec"),
        "{outcome}"
    );
    // A sync push of study of a bank card is refused with its reason, nothing stored.
    let mut store = Store::open(&c.db).unwrap();
    let ann_id = store::learner_by_name(&store.conn, "ann")
        .unwrap()
        .unwrap()
        .id;
    let event: detente::sync::Event = serde_json::from_value(json!({
        "key": {"device": "0123456789abcdef0123456789abcdef", "seq": 1},
        "body": {"review": review_json("bank", "envoy")}
    }))
    .unwrap_or_else(|e| panic!("event: {e}"));
    let tx = store.write().unwrap();
    let report = store::append_events(&tx, ann_id, &[event], T0.secs() + 60).unwrap();
    tx.commit().unwrap();
    assert_eq!(report.added, 0, "{report:?}");
    assert!(report.refused[0].1.contains("for exams only"), "{report:?}");
}

/// A valid study review of `deck`/`card`, as a sync event carries it.
fn review_json(deck: &str, card: &str) -> Value {
    json!({
        "deck": deck, "card": card, "sibling": 0, "reviewed_at": T0.0, "day": 20788, "mode": "study",
        "response": "\"Quixotlan\"", "correct": true, "rule": "exact", "rating": 3, "duration_ms": 1000,
        "phase_before": 0, "step_before": null, "stability_before": null, "difficulty_before": null,
        "due_before": null, "last_review_before": null, "last_day_before": null, "interval_before": null,
        "reps_before": 0, "lapses_before": 0, "leech_before": 0, "phase_after": 1, "step_after": 0,
        "stability_after": 1.0, "difficulty_after": 5.0, "due_after": T0.secs() + 600, "interval_days": 0,
        "elapsed_days": 0
    })
}

/// Attack: `exam load` on the server must warn when an exam draws on study decks (open-book), and the listing must
/// name them.
#[test]
fn a_server_exam_on_study_decks_is_loaded_with_an_open_book_warning_and_listed_so() {
    let c = course(&bank_and_study(), &exam("\"bank\"", 1, ""), &["ann"]);
    let diagnostics = load_open(&c);
    assert!(
        diagnostics
            .iter()
            .any(|d| d.contains("warning") && d.contains("open-book") && d.contains("study")),
        "{diagnostics:?}"
    );
    assert_eq!(study_decks(&c, "open"), json!(["study"]));
}

/// Loads the exam `open`, on the decks `bank` and `study`, as the server does; its diagnostics.
fn load_open(c: &Course) -> Vec<String> {
    let mut store = Store::open(&c.db).unwrap();
    detente::server::ops::exam_load(
        &mut store,
        "open.toml",
        &exam("\"bank\", \"study\"", 2, "").replace("\"final\"", "\"open\""),
        T0.secs(),
        true,
    )
    .unwrap()
    .diagnostics
}

/// The decks students hold that the exam `id` draws on, as the listing a learner gets names them.
fn study_decks(c: &Course, id: &str) -> Value {
    let listing: Value =
        serde_json::from_str(&c.ok(Some("ann"), "GET", "/v1/exams", None)).unwrap();
    listing
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap()["study_decks"]
        .clone()
}

/// Attack: a bank students already hold. The deck `study` was published as a study deck (devices have it); the
/// teacher publishes it again with `exam_only = true`: the publication warns that students hold its questions and
/// answers, it leaves the device listing, and yet an exam drawing on it is still loaded with the open-book warning
/// and listed with it among `study_decks`. The bank `bank`, exam-only from its first publication, is never so
/// named (the exam `final` on it lists none), and republishing it warns of nothing.
#[test]
fn a_deck_made_exam_only_after_students_had_it_still_counts_as_open_book() {
    let c = course(&bank_and_study(), &exam("\"bank\"", 1, ""), &["ann"]);
    let republish = |text: String| -> Value {
        let body = json!({"decks": [{"file": "again.toml", "text": text}], "dry_run": false, "reset_changed": false});
        serde_json::from_str(&c.ok(None, "POST", "/v1/decks", Some(body))).unwrap()
    };
    let study = bank_and_study()[1].replace(
        "title = \"Deck study\"\n",
        "title = \"Deck study\"\nexam_only = true\n",
    );
    assert!(study.contains("exam_only = true"), "{study}");
    let published = republish(study);
    let summary = published[0]["summary"].as_str().unwrap();
    assert!(
        summary.contains(
            "warning: this exam-only deck was sent to students' devices as a study deck on 2026-"
        ) && summary.contains("open-book"),
        "{summary}"
    );
    let decks = c.ok(Some("ann"), "GET", "/v1/decks", None);
    assert!(!decks.contains("\"study\""), "{decks}");
    let published = republish(bank_and_study()[0].clone());
    assert!(
        !published[0]["summary"]
            .as_str()
            .unwrap()
            .contains("warning"),
        "{published}"
    );
    let diagnostics = load_open(&c);
    assert!(
        diagnostics
            .iter()
            .any(|d| d.contains("warning") && d.contains("open-book") && d.contains("(study)")),
        "{diagnostics:?}"
    );
    assert_eq!(study_decks(&c, "open"), json!(["study"]));
    assert_eq!(study_decks(&c, "final"), json!([]));
}

/// A one-minute exam of three typed questions with free navigation.
fn timed(learners: &[&str]) -> Course {
    course(
        &bank_and_study(),
        &exam("\"bank\"", 3, "time_limit = 1\nnavigation = \"free\"\n"),
        learners,
    )
}

/// The right answer to question `n` of the caller's paper (drawn in the seed's order), read from its prompt.
fn right(c: &Course, who: &str, n: u32) -> &'static str {
    let q = c.ok(
        Some(who),
        "GET",
        &format!("/v1/exams/final/attempt/questions/{n}"),
        None,
    );
    if q.contains("envoy") {
        "Quixotlan"
    } else if q.contains("summit") {
        "Zarnowiec"
    } else {
        "1873"
    }
}

fn answer(c: &Course, who: &str, n: u32, seq: u32, response: &str) -> (u16, String) {
    c.send(
        Some(who),
        "POST",
        &format!("/v1/exams/final/attempt/answers/{n}"),
        Some(json!({"seq": seq, "response": response})),
    )
}

/// Attack: the grace must end exactly at deadline + GRACE_MS: an answer then is kept, one a millisecond later is
/// refused (410) and the attempt closed at its deadline, scored on the answer kept.
#[test]
fn an_answer_at_deadline_plus_grace_plus_one_ms_is_refused() {
    let c = timed(&["ann"]);
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    let deadline = T0.plus_ms(60_000);
    assert_eq!(c.attempts("ann")[0].deadline, Some(deadline));
    c.at(deadline.plus_ms(GRACE_MS));
    let (status, body) = answer(&c, "ann", 1, 1, "Quixotlan");
    assert_eq!(status, 200, "{body}");
    c.at(deadline.plus_ms(GRACE_MS + 1));
    let (status, body) = answer(&c, "ann", 2, 1, "Zarnowiec");
    assert_eq!(status, 410, "{body}");
    let a = &c.attempts("ann")[0];
    assert_eq!(a.closed_at, Some(deadline));
    assert_eq!(a.max_score, Some(3.0));
}

/// Attack: an attempt whose client is gone must still end: the closer (the function the server runs at start-up
/// and every second) closes it with its close time equal to the deadline, not the moment it ran, and not before
/// the grace is over.
#[test]
fn an_attempt_with_no_client_is_closed_at_its_deadline() {
    let c = timed(&["ann"]);
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    answer(&c, "ann", 1, 1, right(&c, "ann", 1));
    let deadline = T0.plus_ms(60_000);
    c.at(deadline.plus_ms(GRACE_MS));
    assert_eq!(c.close_due(), 0, "not within the grace");
    c.at(deadline.plus_ms(45 * 60_000));
    assert_eq!(c.close_due(), 1);
    let a = &c.attempts("ann")[0];
    assert_eq!(a.closed_at, Some(deadline));
    assert_eq!(a.score, Some(1.0));
}

/// Attack: the closer must run by itself, with no request arriving: the task `serve` spawns, started on an App
/// whose clock is past an attempt's deadline and grace, closes it at its deadline (waited for, up to 10 s, by
/// reading the database; no assertion on how long it took).
#[test]
fn the_closer_task_closes_an_attempt_with_no_request() {
    let c = timed(&["ann"]);
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    c.at(T0.plus_ms(60_000 + GRACE_MS + 1));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let task = rt.spawn(closer(c.app.clone()));
    let mut closed = None;
    for _ in 0..100 {
        closed = c.attempts("ann")[0].closed_at;
        if closed.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    task.abort();
    assert_eq!(closed, Some(T0.plus_ms(60_000)));
}

/// Attack: a server that was down when an attempt's deadline passed must close it when it starts again: a new App
/// on the same database (as `serve` builds at start-up) and its first closing run, with the close time the
/// deadline.
#[test]
fn an_attempt_that_ran_out_while_the_server_was_down_is_closed_at_its_deadline_on_restart() {
    let c = timed(&["ann"]);
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    let Course {
        _dir, db, rt, app, ..
    } = c;
    drop(app);
    drop(rt);
    let clock = Arc::new(SetClock::new(T0.plus_ms(3 * 3_600_000)));
    let again = app_on(Store::open(&db).unwrap(), clock);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(close_due(&again)), 1);
    let store = Store::open(&db).unwrap();
    let a = &store::attempts(&store.conn, "final", 1).unwrap()[0];
    assert_eq!(a.closed_at, Some(T0.plus_ms(60_000)));
}

/// The server's side of a sitting, in-process, for [`RemoteSitting`].
struct InProcess<'a> {
    c: &'a Course,
    who: &'a str,
}

impl ExamService for InProcess<'_> {
    fn question(&mut self, number: u32) -> detente::Result<QuestionView> {
        let path = format!("/v1/exams/final/attempt/questions/{number}");
        Ok(serde_json::from_str(&self.c.ok(Some(self.who), "GET", &path, None)).unwrap())
    }

    fn answer(&mut self, number: u32, sent: &AnswerSent) -> detente::Result<Sent> {
        let path = format!("/v1/exams/final/attempt/answers/{number}");
        let (status, body) = self
            .c
            .send(Some(self.who), "POST", &path, Some(json!(sent)));
        Ok(match status {
            200 => Sent::Saved(serde_json::from_str::<Ack>(&body).unwrap()),
            410 => Sent::Late(body),
            _ => panic!("{status}: {body}"),
        })
    }

    fn submit(&mut self) -> detente::Result<Outcome> {
        let body = self.c.ok(
            Some(self.who),
            "POST",
            "/v1/exams/final/attempt/submit",
            None,
        );
        Ok(serde_json::from_str(&body).unwrap())
    }
}

/// A client clock, fixed at `at`.
struct Fixed(UnixMs);

impl Clock for Fixed {
    fn now_ms(&self) -> UnixMs {
        self.0
    }
}

/// Attack: a client whose clock is a day ahead (which would see every deadline passed) or a day behind (which would
/// see none) must sit the same attempt: the client shows the time by the server's clock, the server's deadline is
/// its start plus the limit, and every answer counts. Run through the real client loop (`RemoteSitting`) and a
/// scripted learner.
#[test]
fn a_client_clock_a_day_off_changes_nothing() {
    for skew in [86_400_000, -86_400_000] {
        let c = timed(&["ann"]);
        let view =
            serde_json::from_str(&c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None))
                .unwrap();
        let local = Fixed(T0.plus_ms(skew));
        let clock = OffsetClock::new(&local, T0, local.now_ms());
        assert_eq!(clock.now_ms(), T0);
        let mut service = InProcess { c: &c, who: "ann" };
        let mut p = Scripted::new(FirstOption);
        let end = RemoteSitting::new(&mut service, view, &clock, "again".into())
            .run(&mut p)
            .unwrap();
        let ExamEnd::Closed(summary) = end else {
            panic!("{end:?}")
        };
        assert!(!summary.timed_out, "skew {skew}");
        assert_eq!(
            summary
                .questions
                .iter()
                .filter(|q| q.given.is_some())
                .count(),
            3,
            "skew {skew}: every answer counted"
        );
        let a = &c.attempts("ann")[0];
        assert_eq!(a.deadline, Some(T0.plus_ms(60_000)), "skew {skew}");
        assert_eq!(a.closed_at, Some(T0), "skew {skew}");
    }
}

/// Attack: extra time must reach the learner it names and nobody else, open attempt included, and be recorded
/// with who gave it: after the common deadline and grace, ann (10 extra minutes) still answers, bob is refused.
#[test]
fn extra_time_extends_one_learner_only() {
    let c = timed(&["ann", "bob"]);
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    c.ok(Some("bob"), "POST", "/v1/exams/final/attempt", None);
    let said = c.ok(
        None,
        "POST",
        "/v1/teacher/exam-extra-time",
        Some(json!({"exam": "final", "learner": "ann", "minutes": 10})),
    );
    assert!(said.contains("10 extra minutes"), "{said}");
    c.at(T0.plus_ms(60_000 + GRACE_MS + 1));
    assert_eq!(answer(&c, "ann", 1, 1, "Quixotlan").0, 200);
    assert_eq!(answer(&c, "bob", 1, 1, "Quixotlan").0, 410);
    assert_eq!(c.attempts("ann")[0].deadline, Some(T0.plus_ms(11 * 60_000)));
    assert_eq!(c.attempts("bob")[0].closed_at, Some(T0.plus_ms(60_000)));
    let store = Store::open(&c.db).unwrap();
    let by: String = store
        .conn
        .query_row("SELECT granted_by FROM exam_extra_time", [], |r| r.get(0))
        .unwrap();
    assert_eq!(by, format!("teacher {}", me()));
    // A learner is refused the teacher's command.
    assert_eq!(
        c.send(
            Some("bob"),
            "POST",
            "/v1/teacher/exam-extra-time",
            Some(json!({"exam": "final", "learner": "bob", "minutes": 10}))
        )
        .0,
        403
    );
}

/// Attack: a retried answer must not be judged twice or answered differently, and an old one arriving late must
/// not replace a newer one: a duplicate gets byte-identical acknowledgements (no verdict), a changed answer takes
/// the next sequence number, the stale one is refused (409) and the kept answer is the newer.
#[test]
fn a_duplicate_is_acknowledged_identically_and_a_stale_answer_refused() {
    let c = timed(&["ann"]);
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    let first = answer(&c, "ann", 1, 1, "Bruges");
    let again = answer(&c, "ann", 1, 1, "Bruges");
    assert_eq!(first, again);
    assert_eq!(first.1, r#"{"question":1,"seq":1}"#);
    let good = right(&c, "ann", 1);
    assert_eq!(answer(&c, "ann", 1, 2, good).0, 200);
    let (status, body) = answer(&c, "ann", 1, 1, "Bruges");
    assert_eq!(status, 409, "{body}");
    let q: QuestionView = serde_json::from_str(&c.ok(
        Some("ann"),
        "GET",
        "/v1/exams/final/attempt/questions/1",
        None,
    ))
    .unwrap();
    assert_eq!((q.seq, q.answered.as_deref()), (2, Some(good)));
    let outcome: Outcome =
        serde_json::from_str(&c.ok(Some("ann"), "POST", "/v1/exams/final/attempt/submit", None))
            .unwrap();
    assert_eq!(outcome.summary.unwrap().score, 1.0);
}

/// Attack: with sequential navigation a question is answered once and in order: a second sequence number on an
/// answered question, or a question ahead of the next, is refused.
#[test]
fn sequential_questions_are_answered_once_in_order() {
    let c = course(
        &bank_and_study(),
        &exam("\"bank\"", 3, "time_limit = 5\n"),
        &["ann"],
    );
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    assert_eq!(
        c.send(
            Some("ann"),
            "GET",
            "/v1/exams/final/attempt/questions/2",
            None
        )
        .0,
        409
    );
    assert_eq!(answer(&c, "ann", 1, 1, "x").0, 200);
    assert_eq!(answer(&c, "ann", 1, 2, "y").0, 409);
    assert_eq!(
        c.send(
            Some("ann"),
            "GET",
            "/v1/exams/final/attempt/questions/2",
            None
        )
        .0,
        200
    );
}

/// Attack: with `review = "after-close"` the score and right answers must not reach the student before the exam
/// closes for everyone, and must after.
#[test]
fn results_wait_for_the_close_when_the_exam_says_so() {
    let closes = chrono::DateTime::from_timestamp_millis(T0.0 + 3_600_000)
        .unwrap()
        .to_rfc3339();
    let c = course(
        &bank_and_study(),
        &exam(
            "\"bank\"",
            3,
            &format!(
                "time_limit = 5\nnavigation = \"free\"\nreview = \"after-close\"\ncloses = \"{closes}\"\n"
            ),
        ),
        &["ann"],
    );
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    answer(&c, "ann", 1, 1, right(&c, "ann", 1));
    let submitted = c.ok(Some("ann"), "POST", "/v1/exams/final/attempt/submit", None);
    let o: Outcome = serde_json::from_str(&submitted).unwrap();
    assert!(
        o.summary.is_none() && !submitted.contains("Zarnowiec"),
        "{submitted}"
    );
    assert_eq!(o.review_from, Some(T0.plus_ms(3_600_000)));
    let early = c.ok(Some("ann"), "GET", "/v1/exams/final/review", None);
    assert!(!early.contains("Zarnowiec"), "{early}");
    c.at(T0.plus_ms(3_600_000));
    let late: Outcome =
        serde_json::from_str(&c.ok(Some("ann"), "GET", "/v1/exams/final/review", None)).unwrap();
    assert_eq!(late.summary.unwrap().score, 1.0);
    // No attempt starts after the close.
    assert_eq!(
        c.send(Some("ann"), "POST", "/v1/exams/final/attempt", None)
            .0,
        403
    );
}

/// A home logged in to `socket`, running detente as the test's user.
fn home(socket: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = run(client(dir.path()), &["login", socket.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir
}

/// `detente exam run final` from `home` in a pseudo-terminal.
fn sit(home: &Path) -> rexpect::session::PtySession {
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("stty cols 80 rows 24 && exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_detente"))
        .args(["exam", "run", "final"])
        .env_remove("DETENTE_DB")
        .env_remove("DETENTE_LEARNER")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("USER", me())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm-256color");
    rexpect::session::spawn_command(cmd, Some(20_000)).unwrap()
}

/// Attack, end to end through a real `detente serve` and the real client binary in a terminal: the teacher
/// publishes an exam-only bank and loads the exam over the socket; the student sits it with `exam run`, is killed
/// after the first answer (the attempt stays open on the server, its answer kept), resumes with the next question,
/// and finishes; the server's results count both answers. The student's copy of the course never holds the bank.
#[test]
fn an_exam_is_sat_over_a_real_server_killed_halfway_and_resumed() {
    let dir = tempfile::tempdir().unwrap();
    roster(&Served::database(dir.path()), &[("ann", &me())]);
    let served = Served::start(dir, &format!("[teachers]\nusers = [{:?}]\n", me()));
    let teacher = home(&served.socket);
    let files = tempfile::tempdir().unwrap();
    let bank = files.path().join("bank.toml");
    std::fs::write(
        &bank,
        format!(
            "{}[[card]]\nid = \"envoy\"\nkind = \"text\"\nprompt = \"Who was the envoy?\"\nanswers = [\"Quixotlan\"]\n\n\
             [[card]]\nid = \"council\"\nkind = \"text\"\nprompt = \"Who followed him?\"\nanswers = [\"Quixotlan\"]\n",
            deck_head("bank", true)
        ),
    )
    .unwrap();
    let final_toml = files.path().join("final.toml");
    std::fs::write(&final_toml, exam("\"bank\"", 2, "time_limit = 30\n")).unwrap();
    for args in [
        vec!["deck", "import", bank.to_str().unwrap()],
        vec!["exam", "load", final_toml.to_str().unwrap()],
    ] {
        let out = run(client(teacher.path()), &args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    }
    let list = run(client(teacher.path()), &["exam", "list"]);
    assert!(
        text(&list.stdout).contains("exam-only"),
        "{}",
        text(&list.stdout)
    );
    let student = home(&served.socket);
    let mut p = sit(student.path());
    pty::expect(&mut p, "Question 1 of 2");
    pty::key(&mut p, "Quixotlan\r");
    pty::expect(&mut p, "Question 2 of 2");
    // Killed halfway: the answer given is kept on the server, the attempt open.
    let _ = p.process_mut().kill(rexpect::process::Signal::SIGKILL);
    let mut p = sit(student.path());
    // The question is drawn, then the message under it: the attempt resumed at question 2, one answer kept.
    pty::expect(&mut p, "Question 2 of 2");
    pty::expect(
        &mut p,
        "Resuming attempt 1 on the class server: 1 of 2 questions answered",
    );
    pty::key(&mut p, "Quixotlan\r");
    pty::expect(&mut p, "100%");
    pty::key(&mut p, "\r");
    let _ = p.process().wait();
    let results = run(
        client(teacher.path()),
        &["--json", "exam", "results", "final"],
    );
    let v: Value = serde_json::from_slice(&results.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&results.stderr)));
    assert_eq!(
        v["learners"][0]["attempts"][0]["percent"],
        json!(100.0),
        "{v}"
    );
    // The student's sync never brings the bank.
    let out = run(client(student.path()), &["sync"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let local = Store::open(&student.path().join("data/detente/detente.db")).unwrap();
    assert!(store::deck(&local.conn, "bank").unwrap().is_none());
}
