//! The exams a class server runs, on PostgreSQL (`server::ops::ExamOps` on `store::pg::Pg`), attacked where
//! `exam_server.rs` attacks them on SQLite: the clock is the server's (an answer at deadline + grace + 1 ms refused;
//! the closer closes an abandoned attempt at its deadline, not within the grace), sequence numbers (a duplicate
//! acknowledged identically, a stale one refused), no answer field in any response of an open attempt, results only
//! after the close when the exam says so, extra time for one learner only. Each runs the real router in-process
//! over an `App` whose repository is a database of the test binary's PostgreSQL cluster and whose clock is a
//! `SetClock`; the course is built through the same backend interface on either database, so one test also sits the
//! same script on SQLite and PostgreSQL and compares every byte. Then row-level security (learner B can neither read
//! nor answer A's attempt), and one exam end to end over a real `detente serve` on PostgreSQL with the real client.

use crate::server::{client, run, text};
use crate::support::pg;
use crate::support::pg_served::PgServed;
use crate::support::pty;
use axum::body::Body;
use axum::http::Request;
use detente::server::api::PROTOCOL;
use detente::server::config::{Limits, Teachers};
use detente::server::identity::TeacherList;
use detente::server::ops::{Backend, ExamOps};
use detente::server::{App, PeerUid, SetClock, TlsPeer, close_due, router};
use detente::session::exam::GRACE_MS;
use detente::session::exam::wire::{Outcome, QuestionView};
use detente::store::pg::Pg;
use detente::store::{self, AttemptAnswer, ClassStore, ExamRecords, Store};
use detente::sync::{DeckFile, Publish};
use detente::time::UnixMs;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

/// The server's time when each course starts.
const T0: UnixMs = UnixMs(1_796_000_000_000);

/// Which database a course is on.
#[derive(Debug, Clone, Copy, PartialEq)]
enum On {
    Sqlite,
    Postgres,
}

/// A class server in this process on one database: the App (its clock a `SetClock`), its repository, and a
/// runtime to run requests.
struct Course {
    _dir: tempfile::TempDir,
    _db: Option<pg::Db>,
    rt: tokio::runtime::Runtime,
    app: App,
    /// The PostgreSQL pool, on PostgreSQL.
    pg: Option<Arc<Pg>>,
    clock: Arc<SetClock>,
}

fn token(learner: &str) -> String {
    let hex: String = learner.bytes().map(|b| format!("{b:02x}")).collect();
    format!("dt_{hex:0>64}")
}

fn deck_head(id: &str, exam_only: bool) -> String {
    format!(
        "[deck]\nid = \"{id}\"\ntitle = \"Deck {id}\"\n{}\n",
        if exam_only { "exam_only = true" } else { "" }
    )
}

/// A bank of exam-only cards whose accepted answers are words found nowhere else, and a study deck.
fn bank_and_study() -> Vec<String> {
    vec![
        format!(
            "{}[[card]]\nid = \"envoy\"\nkind = \"text\"\nprompt = \"Who was the envoy?\"\nanswers = [\"Quixotlan\", \"Q. Quixotlan\"]\ntags = [\"org:nato\"]\n\n\
             [[card]]\nid = \"city\"\nkind = \"cloze\"\nprompt = \"The summit met in {{{{Zarnowiec}}}}.\"\ntags = [\"org:nrc\"]\n\n\
             [[card]]\nid = \"year\"\nkind = \"number\"\nprompt = \"In which year did the council first meet?\"\nanswer = 1873\ntags = [\"event:lisbon-2010\"]\n\n\
             [[card]]\nid = \"where\"\nkind = \"choice\"\nprompt = \"Where was the 2010 summit?\"\nchoices = [\"Lisbon\", \"Bucharest\", \"Riga\"]\nanswer = \"Lisbon\"\n\n\
             [[card]]\nid = \"order\"\nkind = \"order\"\nprompt = \"Order the enlargements.\"\nitems = [\"Madrid\", \"Prague\", \"Istanbul\"]\n\n\
             [[card]]\nid = \"match\"\nkind = \"match\"\nprompt = \"Match the summit to its year.\"\npairs = [[\"Lisbon\", \"2010\"], [\"Riga\", \"2006\"]]\n",
            deck_head("bank", true)
        ),
        format!(
            "{}[[card]]\nid = \"s1\"\nkind = \"text\"\nprompt = \"Study question?\"\nanswers = [\"Study\"]\n",
            deck_head("study", false)
        ),
    ]
}

/// An exam over `decks` with `extra` lines (TOML).
fn exam(decks: &str, questions: u32, extra: &str) -> String {
    format!(
        "id = \"final\"\ntitle = \"Final\"\ndecks = [{decks}]\nquestions = {questions}\nseed = 7\npaper = \"same\"\n\
         grading = \"highest\"\npass_mark = 50\n{extra}"
    )
}

/// A course on `on`, built through the backend's own interface (decks published, learners added with a device
/// each, the exam loaded as the server loads it), and the App over it at [`T0`].
fn course(on: On, decks: &[String], exam: &str, learners: &[&str]) -> Course {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Arc::new(Mutex::new(
        Store::open(&dir.path().join("server.db")).unwrap(),
    ));
    let (db, pg, repo): (_, _, Arc<dyn Backend>) = match on {
        On::Sqlite => (None, None, sqlite.clone()),
        On::Postgres => {
            let db = pg::cluster().database();
            let pg = Arc::new(db.store());
            (Some(db), Some(pg.clone()), pg)
        }
    };
    let now_s = T0.secs();
    let files = decks
        .iter()
        .enumerate()
        .map(|(i, text)| DeckFile {
            file: format!("deck{i}.toml"),
            text: text.clone(),
        })
        .collect();
    let publish = Publish {
        decks: files,
        dry_run: false,
        reset_changed: false,
    };
    repo.publish(&publish, "prof", now_s).unwrap();
    for name in learners {
        let l = repo.add_learner(name, None, now_s).unwrap().unwrap();
        let hash: [u8; 32] = Sha256::digest(token(name).as_bytes()).into();
        repo.insert_device(l.id, &format!("{name}-laptop"), &hash, now_s)
            .unwrap();
    }
    let loaded = repo.exam_load("final.toml", exam, now_s).unwrap();
    loaded
        .done
        .into_result()
        .unwrap_or_else(|e| panic!("{e}: {:?}", loaded.diagnostics));
    let clock = Arc::new(SetClock::new(T0));
    let app = App {
        repo: repo.clone(),
        teachers: Arc::new(
            TeacherList::resolve(&Teachers {
                users: vec![me()],
                groups: Vec::new(),
            })
            .unwrap(),
        ),
        limits: Limits::default(),
        log: Arc::new(|_: &str| {}),
        lti: None,
        gate: App::gate(Some(4)),
        pages: Default::default(),
        clock: clock.clone(),
    };
    Course {
        _dir: dir,
        _db: db,
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        app,
        pg,
        clock,
    }
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

    fn pg(&self) -> &Pg {
        self.pg.as_deref().expect("a course on PostgreSQL")
    }

    /// The learner's attempts at exam `final`, read from PostgreSQL in the course's scope.
    fn attempts(&self, learner: &str) -> Vec<store::Attempt> {
        self.pg()
            .course(|tx| {
                let l = tx.learner_by_name(learner)?.unwrap();
                tx.supervised_attempts("final", l.id)
            })
            .unwrap()
    }
}

fn me() -> String {
    crate::server::daemon::me()
}

/// A one-minute exam of three typed questions with free navigation, on PostgreSQL.
fn timed(learners: &[&str]) -> Course {
    let bank = format!(
        "{}[[card]]\nid = \"envoy\"\nkind = \"text\"\nprompt = \"Who was the envoy?\"\nanswers = [\"Quixotlan\"]\n\n\
         [[card]]\nid = \"city\"\nkind = \"text\"\nprompt = \"Where did the summit meet?\"\nanswers = [\"Zarnowiec\"]\n\n\
         [[card]]\nid = \"year\"\nkind = \"text\"\nprompt = \"In which year did the council first meet?\"\nanswers = [\"1873\"]\n",
        deck_head("bank", true)
    );
    course(
        On::Postgres,
        &[bank],
        &exam("\"bank\"", 3, "time_limit = 1\nnavigation = \"free\"\n"),
        learners,
    )
}

/// The right answer to question `n` of the caller's paper, read from its prompt.
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

/// A response of the right shape for a served question.
fn some_response(q: &QuestionView) -> Value {
    match q.kind.as_str() {
        "choice" => json!(q.options[0]),
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

/// A response with the learner's own answers (a question's or an entry's `answered`) taken out: what is left must
/// hold nothing of the key.
fn without_own_answers(body: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<Value>(body) else {
        return body.to_string();
    };
    if let Some(q) = v.as_object_mut() {
        q.remove("answered");
    }
    if let Some(entries) = v.get_mut("entries").and_then(Value::as_array_mut) {
        for e in entries {
            if let Some(e) = e.as_object_mut() {
                e.remove("answered");
            }
        }
    }
    v.to_string()
}

/// Every response of one sitting of a six-question exam on `on`, in order: the listing, the start, each question
/// and an answer to it (a duplicate and a stale one on the first), the resume, the submission, the review; a
/// teacher's extra time and a learner's refusal; the closer's count. The answer key's words must not appear before
/// the submission.
fn transcript(on: On) -> Vec<(u16, String)> {
    let c = course(
        on,
        &bank_and_study(),
        &exam("\"bank\"", 6, "time_limit = 30\nnavigation = \"free\"\n"),
        &["ann", "bob"],
    );
    let ann = Some("ann");
    let mut out = vec![
        c.send(ann, "GET", "/v1/exams", None),
        c.send(ann, "GET", "/v1/exams/final/review", None),
        c.send(ann, "POST", "/v1/exams/final/attempt", None),
    ];
    for n in 1..=6 {
        c.at(T0.plus_ms(i64::from(n) * 1_000));
        let (status, q) = c.send(
            ann,
            "GET",
            &format!("/v1/exams/final/attempt/questions/{n}"),
            None,
        );
        let view: QuestionView = serde_json::from_str(&q).unwrap();
        let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(&q)
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            keys,
            [
                "answered", "kind", "lefts", "number", "of", "options", "prompt", "seq"
            ],
            "{on:?}: a question carries exactly these fields, none an answer: {q}"
        );
        out.push((status, q));
        let body = json!({"seq": 1, "response": some_response(&view)});
        let path = format!("/v1/exams/final/attempt/answers/{n}");
        out.push(c.send(ann, "POST", &path, Some(body.clone())));
        if n == 1 {
            out.push(c.send(ann, "POST", &path, Some(body)));
            out.push(c.send(
                ann,
                "POST",
                &path,
                Some(json!({"seq": 2, "response": some_response(&view)})),
            ));
            out.push(c.send(
                ann,
                "POST",
                &path,
                Some(json!({"seq": 1, "response": "stale"})),
            ));
            out.push(c.send(ann, "POST", &path, Some(json!({"seq": 3}))));
        }
    }
    out.push(c.send(ann, "POST", "/v1/exams/final/attempt", None));
    for (_, body) in &out {
        let shown = without_own_answers(body);
        for key in ["Quixotlan", "Zarnowiec", "1873", "\"Lisbon\",\"2010\""] {
            assert!(
                !shown.contains(key),
                "{on:?}: the key `{key}` in an open attempt's response: {body}"
            );
        }
    }
    c.at(T0.plus_ms(10_000));
    out.push(c.send(ann, "POST", "/v1/exams/final/attempt/submit", None));
    out.push(c.send(ann, "GET", "/v1/exams/final/review", None));
    out.push(c.send(
        None,
        "POST",
        "/v1/teacher/exam-extra-time",
        Some(json!({"exam": "final", "learner": "bob", "minutes": 5})),
    ));
    out.push(c.send(
        Some("bob"),
        "POST",
        "/v1/teacher/exam-extra-time",
        Some(json!({"exam": "final", "learner": "bob", "minutes": 5})),
    ));
    out.push(c.send(Some("bob"), "POST", "/v1/exams/final/attempt", None));
    // Exams drawn by tag (SQLite's GLOB, a class included): two cards match, so three questions are refused.
    for questions in [3, 2] {
        let tagged = exam("\"bank\"", questions, "tags = [\"org:n?[a-z]*\"]\n")
            .replace("\"final\"", "\"tagged\"");
        out.push(c.send(
            None,
            "POST",
            "/v1/teacher/exam-load",
            Some(json!({"name": "tagged.toml", "text": tagged})),
        ));
    }
    c.at(T0.plus_ms(36 * 60_000));
    out.push((200, c.close_due().to_string()));
    out.push(c.send(Some("bob"), "GET", "/v1/exams/final/review", None));
    out
}

/// Attack: a PostgreSQL body that reads or orders anything differently from SQLite (the paper drawn, the options
/// shuffled, a float, the text of a refusal, what the closer counts) makes the two transcripts differ. The same
/// sitting, with a duplicate (acknowledged byte for byte as the first), a stale answer (409), an answer with no
/// response (422), a resume, the submission, the review, a teacher's extra time and a learner refused it (403),
/// two exams loaded by tag (a GLOB pattern with a class: one refused for want of cards), a second learner's attempt
/// closed by the closer, is sat on SQLite and on PostgreSQL: every status and body must
/// be the same; no question carries an answer field, and no open attempt's response holds the key.
/// Attack: a bank students already hold, on PostgreSQL. The study deck `study`, published again with `exam_only =
/// true`, is named in the publication's warning (students hold its answers), and an exam drawing on it is still
/// loaded with the open-book warning naming it; the bank exam-only from the start republishes without a warning.
#[test]
fn a_deck_made_exam_only_after_students_had_it_still_counts_as_open_book_on_postgresql() {
    let c = course(
        On::Postgres,
        &bank_and_study(),
        &exam("\"bank\"", 1, ""),
        &["ann"],
    );
    let pg = c.pg.clone().unwrap();
    let publish = |text: String| {
        let files = vec![DeckFile {
            file: "again.toml".into(),
            text,
        }];
        let publish = Publish {
            decks: files,
            dry_run: false,
            reset_changed: false,
        };
        pg.publish(&publish, "prof", T0.secs() + 60).unwrap()[0]
            .summary
            .clone()
    };
    let study = bank_and_study()[1].replace(
        "title = \"Deck study\"\n",
        "title = \"Deck study\"\nexam_only = true\n",
    );
    let summary = publish(study);
    assert!(
        summary.contains(
            "warning: this exam-only deck was sent to students' devices as a study deck on 2026-"
        ),
        "{summary}"
    );
    assert!(!publish(bank_and_study()[0].clone()).contains("warning"));
    let open = exam("\"bank\", \"study\"", 2, "").replace("\"final\"", "\"open\"");
    let loaded = pg.exam_load("open.toml", &open, T0.secs() + 60).unwrap();
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.contains("open-book") && d.contains("(study)")),
        "{:?}",
        loaded.diagnostics
    );
}

#[test]
fn an_exam_sat_on_postgresql_answers_byte_for_byte_as_on_sqlite() {
    let sqlite = transcript(On::Sqlite);
    let postgres = transcript(On::Postgres);
    assert_eq!(sqlite.len(), postgres.len());
    for (i, (s, p)) in sqlite.iter().zip(&postgres).enumerate() {
        assert_eq!(s, p, "response {i} differs");
    }
    let statuses: Vec<u16> = postgres.iter().map(|(s, _)| *s).collect();
    assert_eq!(&statuses[..3], [200, 404, 200], "{postgres:?}");
    // The first question's duplicate, changed, stale and empty answers.
    assert_eq!(&statuses[4..9], [200, 200, 200, 409, 422], "{postgres:?}");
    assert_eq!(postgres[4].1, postgres[5].1);
    let n = statuses.len();
    // The review, extra time by the teacher, refused to a learner, bob's start; two exams by tag; bob's attempt
    // closed by the closer, then reviewed.
    assert_eq!(
        &statuses[n - 8..n - 4],
        [200, 200, 403, 200],
        "{postgres:?}"
    );
    assert_eq!(postgres[n - 2].1, "1");
    assert!(
        postgres[n - 4].1.contains("hold only 2"),
        "{}",
        postgres[n - 4].1
    );
    assert!(
        postgres[n - 3].1.contains("Loaded exam tagged"),
        "{}",
        postgres[n - 3].1
    );
    let review: Outcome = serde_json::from_str(&postgres[n - 1].1).unwrap();
    assert!(review.timed_out, "{review:?}");
}

/// Attack: the grace must end exactly at deadline + GRACE_MS on PostgreSQL too: answers within it and at its very
/// end are kept and counted (an answer acknowledged and then not counted would be a lie), one a millisecond later
/// is refused (410), and the attempt is closed at its deadline, scored on the two answers kept.
#[test]
fn an_answer_at_deadline_plus_grace_plus_one_ms_is_refused_on_postgresql() {
    let c = timed(&["ann"]);
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    let deadline = T0.plus_ms(60_000);
    assert_eq!(c.attempts("ann")[0].deadline, Some(deadline));
    let (first, second, third) = (
        right(&c, "ann", 1),
        right(&c, "ann", 2),
        right(&c, "ann", 3),
    );
    c.at(deadline.plus_ms(GRACE_MS - 1));
    let (status, body) = answer(&c, "ann", 1, 1, first);
    assert_eq!(status, 200, "{body}");
    c.at(deadline.plus_ms(GRACE_MS));
    let (status, body) = answer(&c, "ann", 2, 1, second);
    assert_eq!(status, 200, "{body}");
    c.at(deadline.plus_ms(GRACE_MS + 1));
    let (status, body) = answer(&c, "ann", 3, 1, third);
    assert_eq!(status, 410, "{body}");
    let a = &c.attempts("ann")[0];
    assert_eq!(a.closed_at, Some(deadline));
    assert_eq!((a.score, a.max_score), (Some(2.0), Some(3.0)));
}

/// Attack: an attempt whose client is gone must still end on PostgreSQL: the closer (course-scoped, as the server
/// runs it every second) closes nothing within the grace, then closes it at its deadline, not at the moment it
/// ran, scored on the answer given; a second run closes nothing more.
#[test]
fn the_closer_closes_an_abandoned_attempt_at_its_deadline_on_postgresql() {
    let c = timed(&["ann", "bob"]);
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    answer(&c, "ann", 1, 1, right(&c, "ann", 1));
    c.at(T0.plus_ms(30_000));
    c.ok(Some("bob"), "POST", "/v1/exams/final/attempt", None);
    let deadline = T0.plus_ms(60_000);
    c.at(deadline.plus_ms(GRACE_MS));
    assert_eq!(c.close_due(), 0, "not within the grace");
    c.at(deadline.plus_ms(45 * 60_000));
    assert_eq!(c.close_due(), 2);
    assert_eq!(c.close_due(), 0);
    let a = &c.attempts("ann")[0];
    assert_eq!(a.closed_at, Some(deadline));
    assert_eq!(a.score, Some(1.0));
    let b = &c.attempts("bob")[0];
    assert_eq!(b.closed_at, Some(T0.plus_ms(90_000)));
    assert_eq!(b.score, Some(0.0));
}

/// Attack: a retried answer must not be judged twice or answered differently on PostgreSQL, and an old one must not
/// replace a newer one: a duplicate gets byte-identical acknowledgements and writes nothing (its time stays the
/// first's), a changed answer takes the next number, the stale one is refused (409), and the kept answer is the
/// newer.
#[test]
fn a_duplicate_is_acknowledged_identically_and_a_stale_answer_refused_on_postgresql() {
    let c = timed(&["ann"]);
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    c.at(T0.plus_ms(1_000));
    let first = answer(&c, "ann", 1, 1, "Bruges");
    c.at(T0.plus_ms(2_000));
    let again = answer(&c, "ann", 1, 1, "Bruges");
    assert_eq!(first, again);
    assert_eq!(first.1, r#"{"question":1,"seq":1}"#);
    let id = c.attempts("ann")[0].id;
    let kept =
        |c: &Course| -> Vec<AttemptAnswer> { c.pg().course(|tx| tx.attempt_answers(id)).unwrap() };
    assert_eq!(kept(&c)[0].answered_at, T0.plus_ms(1_000));
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
    assert_eq!(kept(&c).len(), 1);
    let outcome: Outcome =
        serde_json::from_str(&c.ok(Some("ann"), "POST", "/v1/exams/final/attempt/submit", None))
            .unwrap();
    assert_eq!(outcome.summary.unwrap().score, 1.0);
}

/// Attack: with `review = "after-close"` the score and right answers must not reach the student on PostgreSQL
/// before the exam closes for everyone, and must after; before any attempt is closed there is nothing to review
/// (404); no attempt starts after the close (403).
#[test]
fn results_wait_for_the_close_on_postgresql() {
    let closes = chrono::DateTime::from_timestamp_millis(T0.0 + 3_600_000)
        .unwrap()
        .to_rfc3339();
    let c = course(
        On::Postgres,
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
    assert_eq!(
        c.send(Some("ann"), "GET", "/v1/exams/final/review", None).0,
        404
    );
    let q: QuestionView = serde_json::from_str(&c.ok(
        Some("ann"),
        "GET",
        "/v1/exams/final/attempt/questions/1",
        None,
    ))
    .unwrap();
    answer(&c, "ann", 1, 1, some_response(&q).as_str().unwrap_or("x"));
    let submitted = c.ok(Some("ann"), "POST", "/v1/exams/final/attempt/submit", None);
    let o: Outcome = serde_json::from_str(&submitted).unwrap();
    assert!(
        o.summary.is_none() && !submitted.contains("Zarnowiec") && !submitted.contains("1873"),
        "{submitted}"
    );
    assert_eq!(o.review_from, Some(T0.plus_ms(3_600_000)));
    let early = c.ok(Some("ann"), "GET", "/v1/exams/final/review", None);
    assert!(!early.contains("\"questions\""), "{early}");
    c.at(T0.plus_ms(3_600_000));
    let late: Outcome =
        serde_json::from_str(&c.ok(Some("ann"), "GET", "/v1/exams/final/review", None)).unwrap();
    assert_eq!(late.summary.unwrap().questions.len(), 3);
    assert_eq!(
        c.send(Some("ann"), "POST", "/v1/exams/final/attempt", None)
            .0,
        403
    );
}

/// Attack: extra time must reach the learner it names and nobody else on PostgreSQL, open attempt included, and be
/// recorded with who gave it: after the common deadline and grace, ann (10 extra minutes) still answers, bob is
/// refused.
#[test]
fn extra_time_extends_one_learner_only_on_postgresql() {
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
    let by: Vec<(i64, String)> = c
        .pg()
        .course(|tx| {
            Ok(tx
                .query("SELECT minutes, granted_by FROM exam_extra_time", &[])?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect())
        })
        .unwrap();
    assert_eq!(by, [(10, format!("teacher {}", me()))]);
}

/// Attack: the wall between learners must hold for exams on PostgreSQL: in learner B's scope (as the server opens
/// it for B's requests) A's attempt and answers are not there, an answer written into A's attempt is refused and
/// leaves A's answers as they were, and a score written over A's attempt changes nothing; over the router B's
/// requests see B's own attempt only (numbered 1 though A sat one first) and cannot reach A's answer.
#[test]
fn learner_b_can_neither_read_nor_answer_learner_as_attempt_on_postgresql() {
    let c = timed(&["ann", "bob"]);
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    assert_eq!(answer(&c, "ann", 1, 1, "Bruges").0, 200);
    let (ann, bob) = c
        .pg()
        .course(|tx| {
            Ok((
                tx.learner_by_name("ann")?.unwrap(),
                tx.learner_by_name("bob")?.unwrap(),
            ))
        })
        .unwrap();
    let a = c.attempts("ann")[0].clone();
    let seen = c
        .pg()
        .learner(bob.id, |tx| {
            Ok((
                tx.supervised_attempts("final", ann.id)?,
                tx.attempt_answers(a.id)?,
                tx.answer_seqs(a.id)?,
            ))
        })
        .unwrap();
    assert!(
        seen.0.is_empty() && seen.1.is_empty() && seen.2.is_empty(),
        "{seen:?}"
    );
    let forged = AttemptAnswer {
        attempt_id: a.id,
        position: 0,
        card_id: a.paper[0],
        response: json!("forged").to_string(),
        credit: 1.0,
        correct: true,
        answered_at: T0,
        duration_ms: 0,
    };
    let refused = c
        .pg()
        .learner(bob.id, |tx| tx.put_served_answer(&forged, 9));
    assert!(refused.is_err(), "{refused:?}");
    let scored = c
        .pg()
        .learner(bob.id, |tx| {
            tx.close_attempt(a.id, T0, 99.0, 99.0)?;
            Ok(tx.execute(
                "UPDATE attempt_answers SET credit = 1 WHERE attempt_id = $1",
                &[&a.id],
            )?)
        })
        .unwrap();
    assert_eq!(scored, 0);
    let kept = c
        .pg()
        .learner(ann.id, |tx| tx.attempt_answers(a.id))
        .unwrap();
    assert_eq!(
        (kept.len(), kept[0].response.as_str(), kept[0].credit),
        (1, "\"Bruges\"", 0.0)
    );
    assert_eq!(c.attempts("ann")[0], a);
    // Over the router: bob has no attempt to answer into, then one of his own.
    assert_eq!(answer(&c, "bob", 1, 1, "Quixotlan").0, 409);
    let view: Value =
        serde_json::from_str(&c.ok(Some("bob"), "POST", "/v1/exams/final/attempt", None)).unwrap();
    assert_eq!(view["attempt"], json!(1));
    assert!(
        view["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["answered"].is_null()),
        "{view}"
    );
    assert_eq!(c.attempts("bob").len(), 1);
    assert_eq!(c.attempts("bob")[0].learner_id, bob.id);
}

/// A home logged in to `socket`.
fn home(socket: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = run(client(dir.path()), &["login", socket.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir
}

/// Attack: a learner's request must run in that learner's scope, not the course's: once both deadlines and their
/// grace have passed (and no closer has run), bob's review closes bob's own expired attempt on the way, and must
/// leave ann's open, which a course-scoped transaction would have closed too; the closer then closes ann's.
#[test]
fn a_learners_request_closes_only_their_own_expired_attempt_on_postgresql() {
    let c = timed(&["ann", "bob"]);
    c.ok(Some("ann"), "POST", "/v1/exams/final/attempt", None);
    c.ok(Some("bob"), "POST", "/v1/exams/final/attempt", None);
    c.at(T0.plus_ms(60_000 + GRACE_MS + 1));
    let review: Outcome =
        serde_json::from_str(&c.ok(Some("bob"), "GET", "/v1/exams/final/review", None)).unwrap();
    assert!(review.timed_out, "{review:?}");
    assert_eq!(c.attempts("bob")[0].closed_at, Some(T0.plus_ms(60_000)));
    assert_eq!(c.attempts("ann")[0].closed_at, None);
    assert_eq!(c.close_due(), 1);
    assert_eq!(c.attempts("ann")[0].closed_at, Some(T0.plus_ms(60_000)));
}

/// Attack: one learner's requests at once (a double click, a retry racing the first) must not start two attempts
/// or fail: eight threads start ann's attempt on PostgreSQL at the same moment, each on its own connection. Without
/// the learner's lock, two transactions both see no attempt and insert number 1, and one fails on the key. All
/// eight answer the same attempt 1; one row exists.
#[test]
fn starts_at_once_give_one_attempt_on_postgresql() {
    let c = timed(&["ann"]);
    let pg = c.pg.clone().unwrap();
    let views: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let pg = pg.clone();
                s.spawn(move || pg.exam_start("final", "ann", T0))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for v in &views {
        let view = v.as_ref().expect("no start fails").as_ref().unwrap();
        assert_eq!(view.attempt, 1);
    }
    assert_eq!(
        views
            .iter()
            .filter(|v| !v.as_ref().unwrap().as_ref().unwrap().resumed)
            .count(),
        1
    );
    assert_eq!(c.attempts("ann").len(), 1);
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

/// An attempt as the owner reads it: exam, learner, score, maximum, answers kept.
type AttemptRow = (String, String, Option<f64>, Option<f64>, i64);

/// The teacher's command `args` (stdout and stderr, and whether it succeeded) on the local database `db`.
fn local(db: &Path, args: &[&str]) -> (bool, String) {
    let out = run(crate::support::process(db), args);
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// The same over the class server, from `home`.
fn remote(home: &Path, args: &[&str]) -> (bool, String) {
    let out = run(client(home), args);
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// Attack, end to end through a real `detente serve` on PostgreSQL and the real client binary. A course built in
/// SQLite (an exam-only bank published, two learners, an attempt at an older one-minute exam left open long ago) is
/// adopted into the server's database (`admin adopt`): the server closes that attempt at its deadline when it
/// starts. The teacher's `exam load` and `exam extra-time` over the server print exactly what they print with
/// `--db` on a copy of the SQLite course (a refusal, for an exam not loaded, too), with no 501. The student sits the
/// exam with `exam run` in a terminal, is killed after the first answer (the attempt stays open, its answer kept),
/// resumes at the next question and finishes at 100%. Every row is in PostgreSQL (read there as the owner), none in
/// a SQLite file beside the pool.
#[test]
fn an_exam_is_loaded_and_sat_over_a_real_server_on_postgresql() {
    let files = tempfile::tempdir().unwrap();
    let bank_text = format!(
        "{}[[card]]\nid = \"envoy\"\nkind = \"text\"\nprompt = \"Who was the envoy?\"\nanswers = [\"Quixotlan\"]\n\n\
         [[card]]\nid = \"council\"\nkind = \"text\"\nprompt = \"Who followed him?\"\nanswers = [\"Quixotlan\"]\n",
        deck_head("bank", true)
    );
    let final_toml = files.path().join("final.toml");
    std::fs::write(&final_toml, exam("\"bank\"", 2, "time_limit = 30\n")).unwrap();
    // The course in SQLite, as a teacher ran it before the move.
    let lab = files.path().join("lab.db");
    crate::server::daemon::roster(&lab, &[("Root On Roster", &me()), ("zoe", "zoe-login")]);
    let course = Mutex::new(Store::open(&lab).unwrap());
    let publish = Publish {
        decks: vec![DeckFile {
            file: "bank.toml".into(),
            text: bank_text,
        }],
        dry_run: false,
        reset_changed: false,
    };
    course.publish(&publish, "prof", 1).unwrap();
    let quiz = exam("\"bank\"", 1, "time_limit = 1\n").replace("\"final\"", "\"quiz\"");
    course.exam_load("quiz.toml", &quiz, 1).unwrap();
    course
        .exam_start("quiz", "zoe", UnixMs(1_000))
        .unwrap()
        .unwrap();
    drop(course);
    let copy = files.path().join("copy.db");
    std::fs::copy(&lab, &copy).unwrap();

    let db = pg::cluster().database();
    let served = PgServed::adopting(&db, "exams", false, Some(&lab));
    // The socket listens before the first closing is logged: waited for, up to 10 s (not a measure of time).
    let recovered = "closer: 1 exam attempt(s) that ran out while the server was down";
    for _ in 0..100 {
        if served.said().contains(recovered) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(served.said().contains(recovered), "{}", served.said());
    let teacher = home(&served.socket);
    let final_path = final_toml.to_str().unwrap();
    for args in [
        vec!["exam", "load", final_path],
        vec!["exam", "load", final_path],
        vec!["exam", "extra-time", "final", "Root On Roster", "5"],
        vec!["exam", "extra-time", "nosuch", "Root On Roster", "5"],
    ] {
        let there = remote(teacher.path(), &args);
        assert_eq!(there, local(&copy, &args), "{args:?}: {}", served.said());
    }
    let (ok, said) = remote(teacher.path(), &["exam", "load", final_path]);
    assert!(ok && said.contains("Unchanged exam final"), "{said}");

    let mut p = sit(teacher.path());
    pty::expect(&mut p, "Question 1 of 2");
    pty::key(&mut p, "Quixotlan\r");
    pty::expect(&mut p, "Question 2 of 2");
    let _ = p.process_mut().kill(rexpect::process::Signal::SIGKILL);
    let mut p = sit(teacher.path());
    pty::expect(&mut p, "Question 2 of 2");
    pty::expect(
        &mut p,
        "Resuming attempt 1 on the class server: 1 of 2 questions answered",
    );
    pty::key(&mut p, "Quixotlan\r");
    pty::expect(&mut p, "100%");
    pty::key(&mut p, "\r");
    let _ = p.process().wait();

    let mut owner = postgres::Client::connect(&served.owner_url, postgres::NoTls).unwrap();
    let mut tx = owner.transaction().unwrap();
    tx.batch_execute("SELECT set_config('detente.scope', 'course', true)")
        .unwrap();
    let rows: Vec<AttemptRow> = tx
        .query(
            "SELECT a.exam_id, l.name, a.score, a.max_score,
                    (SELECT count(*) FROM attempt_answers x WHERE x.attempt_id = a.id)
             FROM attempts a JOIN learners l ON l.id = a.learner_id ORDER BY a.exam_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "final".to_string(),
                "Root On Roster".to_string(),
                Some(2.0),
                Some(2.0),
                2
            ),
            (
                "quiz".to_string(),
                "zoe".to_string(),
                Some(0.0),
                Some(1.0),
                0
            )
        ]
    );
    let granted: String = tx
        .query_one("SELECT granted_by FROM exam_extra_time", &[])
        .unwrap()
        .get(0);
    assert_eq!(granted, format!("teacher {}", me()));
    tx.commit().unwrap();
    assert!(!served.dir.path().join("state").join("detente.db").exists());
}
