//! The class server's API as both sides see it: the protocol version and the window of versions each side accepts,
//! the header that carries it, the JSON values of each endpoint (`/v1/hello`, `/v1/learners`, `/v1/devices`), and
//! the roster rows that `learner list` shows, built the same way from a local database and from the server's.

use crate::error::{Error, Result};
use crate::store::{self, Learner};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// The version of the API this build speaks. It changes when a request or an answer changes shape.
pub const PROTOCOL: u32 = 1;
/// The oldest version this build still accepts from the other side: a client refuses a server, and a server a
/// client, whose version is outside `PROTOCOL_MIN..=PROTOCOL`.
pub const PROTOCOL_MIN: u32 = 1;
/// The header that carries the sender's protocol version on every request and every answer.
pub const PROTOCOL_HEADER: &str = "detente-protocol";

/// Whether this build accepts a peer that speaks `theirs`.
pub fn accepts(theirs: u32) -> bool {
    (PROTOCOL_MIN..=PROTOCOL).contains(&theirs)
}

/// Whether a server whose window is `min..=max` serves this build: it accepts this build's [`PROTOCOL`], which is
/// what the exchange is then spoken in. A server upgraded first (its window reaching back to this build's version)
/// keeps serving older clients; a server older than this build's [`PROTOCOL`] refuses it (426) in its own words.
pub fn served_by(min: u32, max: u32) -> bool {
    (min..=max).contains(&PROTOCOL)
}

/// The protocol a server answers a request in: the client's, when this server accepts it; else its own.
pub fn answered_in(client: Option<u32>) -> u32 {
    client.filter(|c| accepts(*c)).unwrap_or(PROTOCOL)
}

/// What this build accepts, in words: "protocol 1", or "protocols 1 to 3".
pub fn window() -> String {
    if PROTOCOL_MIN == PROTOCOL {
        format!("protocol {PROTOCOL}")
    } else {
        format!("protocols {PROTOCOL_MIN} to {PROTOCOL}")
    }
}

/// What the caller is to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// On the roster: a learner whose `username` is the caller's system user name.
    Learner,
    /// Named in the server's configuration, by user or by group.
    Teacher,
}

/// `GET /v1/hello`: who the server says the caller is, and which detente it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// The server's detente version (`detente --version`).
    pub server_version: String,
    /// The protocol the server speaks, and the oldest it accepts.
    pub protocol: u32,
    pub protocol_min: u32,
    /// The caller's system user name and uid, as the kernel reported the connecting process on the Unix socket. A
    /// device over TLS has no uid: `user` is then its learner's roster username (empty without one).
    pub user: String,
    pub uid: Option<u32>,
    pub role: Role,
    /// The roster learner whose username is `user`, by name (a teacher may have one too).
    pub learner: Option<String>,
    /// That learner's id in the server's database: for the server's handlers, never sent.
    #[serde(skip)]
    pub learner_id: Option<i64>,
    /// Why the caller is a teacher: `user NAME` or `group NAME` of the server's configuration.
    pub teacher_by: Option<String>,
    /// The registered device the caller came in as, over TLS (always a learner); none on the Unix socket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceRef>,
}

/// A registered device as the server names it: its id (what `device revoke` takes) and the name it gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRef {
    pub id: i64,
    pub name: String,
}

/// `POST /v1/devices`: a device registers with its learner's enrolment code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    pub code: String,
    pub device_name: String,
}

impl std::fmt::Debug for Register {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The code is a secret: debug output never shows it.
        write!(f, "Register({:?}, …)", self.device_name)
    }
}

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: debug output never shows it.
        write!(f, "Registered({:?}, {:?}, …)", self.learner, self.device)
    }
}

/// The answer to a registration: the device token (shown once, kept by the device alone), the device and whose it
/// is.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    pub token: String,
    pub device: DeviceRef,
    pub learner: String,
}

/// `POST /v1/devices/link`: a device asks for a short code to enter on the LTI launch page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    pub device_name: String,
}

/// The answer to [`LinkRequest`]: the code to show the student, the secret to poll with, how long the code lasts.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStarted {
    pub code: String,
    pub poll: String,
    pub expires_in: i64,
}

/// `POST /v1/devices/link/poll`: has the code been entered? (202 `{"waiting": true}` until it has.)
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkPoll {
    pub poll: String,
}

/// The answer to [`LinkPoll`]: the registration once the code was entered (given once), else `null`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkPolled {
    pub registered: Option<Registered>,
}

/// `POST /v1/teacher/lti-push`: queue an exam's grades (or a deck's mastery) for the LMS courses that launched
/// detente.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LtiPush {
    pub exam: Option<String>,
    pub deck: Option<String>,
    pub include_unsupervised: bool,
}

/// What `grades push` queued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LtiPushed {
    /// The line items' resource id: the exam's id, or `deck:ID` for a deck's mastery.
    pub resource_id: String,
    /// The LMS courses the scores go to.
    pub courses: usize,
    /// Scores queued now.
    pub queued: usize,
    /// Scores queued or delivered before, the same.
    pub unchanged: usize,
    /// Learners with a grade but no LMS user linked yet (they have not launched detente from the LMS).
    pub not_linked: Vec<String>,
    /// Learners without a closed attempt (a deck: without study).
    pub no_grade: Vec<String>,
    /// Learners who never launched detente, found in a course's roster (Names and Role Provisioning Services) and
    /// linked by this push.
    #[serde(default)]
    pub found_in_roster: Vec<String>,
    /// Why a course's roster could not be read (one line per course), if it could not.
    #[serde(default)]
    pub roster_problems: Vec<String>,
}

/// `POST /v1/teacher/lti-outbox`: the scores to deliver and delivered, with counts by state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LtiOutbox {
    pub pending: usize,
    pub delivered: usize,
    pub failed: usize,
    pub superseded: usize,
    pub rows: Vec<crate::store::OutboxRow>,
}

/// `POST /v1/devices/revoke` (teachers): the devices to revoke, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revoke {
    pub ids: Vec<i64>,
}

/// `GET /v1/devices` (teachers), `POST /v1/devices/revoke` and `DELETE /v1/devices/self`: devices as stored.
pub type Devices = Vec<store::DeviceRecord>;

impl Hello {
    /// Whether `claimed` (a `--learner` or `DETENTE_LEARNER` value) names the caller: their system user name or
    /// their roster learner's name, by the one rule for learner names ([`crate::gradebook::pick_name`]).
    pub fn is_named_by(&self, claimed: &str) -> bool {
        let names = std::iter::once(self.user.as_str()).chain(self.learner.as_deref());
        matches!(crate::gradebook::pick_name(claimed, names), Ok(Some(_)))
    }

    /// The caller as one phrase: "learner ann (user ann)", "teacher (user prof, by group staff)".
    pub fn describe(&self) -> String {
        if let (Some(d), Some(name)) = (&self.device, &self.learner) {
            return format!("learner {name} (device {}, {:?})", d.id, d.name);
        }
        match (self.role, &self.learner, &self.teacher_by) {
            (Role::Teacher, _, Some(by)) => format!("teacher (user {}, by {by})", self.user),
            (Role::Teacher, _, None) => format!("teacher (user {})", self.user),
            (Role::Learner, Some(name), _) => format!("learner {name} (user {})", self.user),
            (Role::Learner, None, _) => format!("user {}", self.user),
        }
    }
}

/// The body of every answer that is not a success: one line for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub error: String,
}

/// A learner as `learner list` shows them (and `GET /v1/learners` sends them): their record, and where they stand
/// with enrolment. `learner list --json` prints these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listed {
    #[serde(flatten)]
    pub learner: Learner,
    /// `yes` (issued a valid code), `this device` (the learner this device was enrolled as) or `no`.
    pub enrolled: String,
    /// How many unsigned bundles were taken for them with `--accept-unenrolled`.
    pub unverified_imports: i64,
}

/// Every learner of the database, by name, with their enrolment: `device` is the learner this device was enrolled
/// as (none on a server).
pub fn roster(conn: &Connection, device: Option<i64>) -> Result<Vec<Listed>> {
    Ok(listed(store::roster(conn)?, device))
}

/// The rows of a roster read from either backend (`store::ClassStore::roster`), as `learner list` shows them.
pub fn listed(roster: store::Roster, device: Option<i64>) -> Vec<Listed> {
    let store::Roster {
        learners,
        enrolled,
        unverified,
    } = roster;
    learners
        .into_iter()
        .map(|learner| {
            let enrolled = if enrolled.contains(&learner.id) {
                "yes"
            } else if device == Some(learner.id) {
                "this device"
            } else {
                "no"
            };
            Listed {
                enrolled: enrolled.to_string(),
                unverified_imports: unverified.get(&learner.id).copied().unwrap_or(0),
                learner,
            }
        })
        .collect()
}

// Teachers' commands on the class server: what each request carries and what comes back. The work itself is
// `server::ops`, which the local commands run too, so a command prints the same over a server as on a local file.

/// What a teacher's command came to on the server: its value, or the refusal the same command gives on a local
/// database (a usage error, exit 2; invalid data, exit 65), in its own words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Done<T> {
    Ok(T),
    Usage(String),
    Data(String),
}

impl<T> Done<T> {
    /// The answer to send for `result`: a refusal a user can cause travels as one; any other error stays an error
    /// (the server logs it and answers 500).
    pub fn of(result: Result<T>) -> Result<Done<T>> {
        match result {
            Ok(v) => Ok(Done::Ok(v)),
            Err(Error::Usage(m)) => Ok(Done::Usage(m)),
            Err(Error::InvalidData(m)) => Ok(Done::Data(m)),
            Err(e) => Err(e),
        }
    }

    /// The value, or the error the local command would have given.
    pub fn into_result(self) -> Result<T> {
        match self {
            Done::Ok(v) => Ok(v),
            Done::Usage(m) => Err(Error::Usage(m)),
            Done::Data(m) => Err(Error::InvalidData(m)),
        }
    }
}

/// `POST /v1/teacher/page-link`'s answer: a sign-in link to the class page (`detente report web`), good once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageLink {
    /// The link's path and query, on the server's TLS address.
    pub path: String,
    /// The address browsers reach the server at (`[tls] url`, else `[lti] url`), when its configuration says.
    pub base: Option<String>,
    pub expires_in_secs: i64,
}

/// A file a teacher's command sends: its contents, and its name as the client knows it, used only in messages
/// (`ROSTER.csv:3: ...`); the server never opens a path a request names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub name: String,
    pub text: String,
}

/// `GET /v1/teacher/limits`: the largest request the server takes, so that a client refuses a file too large to
/// send with the limit named, before sending it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadLimit {
    pub max_request_bytes: u64,
}

/// `POST /v1/teacher/learner-add` and `/learner-set`: a learner's settings and identity, as `learner add|set`
/// takes them (`exam_date` as `YYYY-MM-DD`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LearnerChange {
    pub name: String,
    pub new_per_day: Option<u32>,
    pub reviews_per_day: Option<u32>,
    pub retention: Option<f32>,
    pub day_starts_at: Option<u32>,
    pub exam_date: Option<String>,
    pub exam_scope: Vec<String>,
    pub no_exam_date: bool,
    pub identity: crate::gradebook::Identity,
}

/// `POST /v1/teacher/learner-export` and `/learner-delete`: the learner by name and, for a delete, whether to
/// delete their rows (`false`: only count them, as `learner delete` without `--yes`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LearnerData {
    pub name: String,
    #[serde(default)]
    pub delete: bool,
}

/// `POST /v1/teacher/learner-export`'s answer: the learner's name as stored and the export document
/// (docs/formats.md, section 8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnerExport {
    pub learner: String,
    pub document: String,
}

/// `POST /v1/teacher/learner-delete`'s answer: the learner's name as stored, their rows per table (parents
/// first), and whether they were deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnerRows {
    pub learner: String,
    pub rows: Vec<(String, i64)>,
    pub deleted: bool,
}

/// `POST /v1/teacher/learner-import`'s answer: the roster's layout and what the import did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterImported {
    pub layout: String,
    pub outcome: store::RosterOutcome,
}

/// `POST /v1/teacher/enrol`: whom to issue codes to, as `learner enrol` names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub names: Vec<String>,
    pub all: bool,
    pub reissue: bool,
}

/// One enrolment code issued (`learner enrol --json` prints these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issued {
    pub learner: String,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub student_id: Option<String>,
    pub code: String,
    /// 1 for the learner's first code, 2 after one reissue, ...
    pub generation: i64,
}

/// `POST /v1/teacher/class`: the class view's scope (`stats --class`, `report --class --html`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassRequest {
    pub decks: Vec<String>,
    pub tags: Vec<String>,
    pub by: crate::stats::GroupBy,
    /// One learner only, by name (the class page's page of a learner): nothing of the others is read.
    #[serde(default)]
    pub learner: Option<String>,
}

/// `POST /v1/teacher/items`: `report items`' options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemsRequest {
    pub exam: Option<String>,
    pub deck: Option<String>,
    pub include_unsupervised: bool,
}

/// `POST /v1/teacher/flags`: `report flags`' options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagsRequest {
    pub all: bool,
    pub deck: Option<String>,
}

/// `POST /v1/teacher/exam-results`: `exam results`' options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultsRequest {
    pub id: String,
    pub include_unsupervised: bool,
}

/// `POST /v1/teacher/exam-results`' answer: the exam and every learner's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExamResults {
    pub exam: crate::exam::Exam,
    pub learners: Vec<crate::session::exam::LearnerResult>,
}

/// `POST /v1/teacher/exam-load`'s answer: the file's diagnostics as printed (`FILE:LINE:COL: ...`), then either
/// the line saying what was loaded, or the refusal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExamLoaded {
    pub diagnostics: Vec<String>,
    pub done: Done<String>,
}

/// `POST /v1/teacher/grades`: `grades export`'s options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradesRequest {
    pub layout: crate::gradebook::Layout,
    pub exam: Option<String>,
    pub deck: Option<String>,
    pub match_by: Option<crate::gradebook::MatchBy>,
    pub study: bool,
    pub include_unsupervised: bool,
    /// `--guard-identifiers`: identifier cells neutralized as text cells are (absent from older clients: false).
    #[serde(default)]
    pub guard_identifiers: bool,
    /// `--gradebook FILE`: the gradebook downloaded from the LMS, whose columns' ids the export writes into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gradebook: Option<String>,
}

/// `POST /v1/teacher/grades`' answer: the CSV as the LMS takes it, and what the command says under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeExport {
    pub csv: String,
    /// The learners the layout could not match, with why.
    pub left_out: Vec<crate::gradebook::LeftOut>,
    /// Exam by exam, the learners whose unsupervised attempts were left out.
    pub unsupervised: Vec<(String, Vec<String>)>,
    pub students: usize,
    pub exams: usize,
    pub decks: usize,
    /// The identifiers written that a spreadsheet would run as formulas (absent from older servers: none).
    #[serde(default)]
    pub risky: Vec<crate::gradebook::RiskyIdentifier>,
    /// With a gradebook: the exams (id, title) no column of it matched, which the LMS will make new columns for.
    #[serde(default)]
    pub unmatched: Vec<(String, String)>,
    /// Moodle, with a gradebook: each matched exam's id, the grade item column it goes into, and the item's maximum
    /// grade when the gradebook shows it (grades are written out of it; out of 100 when it is not shown).
    #[serde(default)]
    pub moodle_items: Vec<(String, String, Option<f64>)>,
}

/// `POST /v1/teacher/progress-import`: one progress bundle, imported in a transaction of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleUpload {
    pub bundle: Upload,
    pub accept_unenrolled: bool,
}

/// What importing one bundle did: the built-in decks loaded with it, then what it brought, or why it was refused
/// (one line naming the file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleImported {
    pub builtin: Vec<String>,
    pub outcome: std::result::Result<Merged, String>,
}

/// What one bundle brought, for the lines `progress import` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Merged {
    pub file: String,
    pub learner: String,
    pub merged: store::MergeReport,
    pub flags: store::FlagMerge,
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(role: Role, learner: Option<&str>) -> Hello {
        Hello {
            server_version: "0.1.0".into(),
            protocol: PROTOCOL,
            protocol_min: PROTOCOL_MIN,
            user: "s1234".into(),
            uid: Some(1001),
            role,
            learner: learner.map(String::from),
            learner_id: None,
            teacher_by: None,
            device: None,
        }
    }

    #[test]
    fn the_window_holds_this_version_and_nothing_newer_or_older() {
        assert!(accepts(PROTOCOL));
        // A newer server whose window reaches back to us serves us; one that moved past us, or an older one, not.
        assert!(served_by(PROTOCOL, PROTOCOL + 1));
        assert!(served_by(PROTOCOL_MIN.min(PROTOCOL), PROTOCOL + 3));
        assert!(!served_by(PROTOCOL + 1, PROTOCOL + 2));
        assert!(!served_by(0, PROTOCOL - 1));
        // The server answers in the client's version when it takes it, else in its own.
        assert_eq!(answered_in(Some(PROTOCOL)), PROTOCOL);
        assert_eq!(answered_in(Some(PROTOCOL + 7)), PROTOCOL);
        assert_eq!(answered_in(None), PROTOCOL);
        assert!(!accepts(PROTOCOL + 1));
        assert!(!accepts(PROTOCOL_MIN - 1));
    }

    #[test]
    fn a_claim_names_the_caller_by_user_or_roster_name_and_nobody_else() {
        let h = hello(Role::Learner, Some("Ann Smith"));
        assert!(h.is_named_by("s1234"));
        assert!(h.is_named_by("ann smith"));
        assert!(!h.is_named_by("bob"));
        assert!(!h.is_named_by("s12345"));
        assert!(!hello(Role::Teacher, None).is_named_by("Ann Smith"));
    }

    #[test]
    fn a_refusal_travels_with_its_exit_code_and_words_and_other_errors_stay_on_the_server() {
        let done = Done::<u32>::of(Err(Error::Usage("no exam `x` is loaded".into()))).unwrap();
        let text = serde_json::to_string(&done).unwrap();
        assert_eq!(text, r#"{"usage":"no exam `x` is loaded"}"#);
        let back = serde_json::from_str::<Done<u32>>(&text)
            .unwrap()
            .into_result();
        let e = back.unwrap_err();
        assert_eq!(
            (e.exit_code(), e.to_string().as_str()),
            (2, "no exam `x` is loaded")
        );
        let data = Done::<u32>::of(Err(Error::InvalidData("bad.csv:3: x".into()))).unwrap();
        assert_eq!(data.into_result().unwrap_err().exit_code(), 65);
        assert!(Done::<u32>::of(Err(Error::ReadOnly("disk".into()))).is_err());
        assert_eq!(Done::of(Ok(7)).unwrap().into_result().unwrap(), 7);
    }

    #[test]
    fn hello_reads_back_what_it_wrote() {
        let h = hello(Role::Teacher, None);
        let text = serde_json::to_string(&h).unwrap();
        assert!(text.contains("\"role\":\"teacher\""), "{text}");
        assert_eq!(serde_json::from_str::<Hello>(&text).unwrap(), h);
    }
}
