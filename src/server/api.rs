//! The class server's API as both sides see it: the protocol version and the window of versions each side accepts,
//! the header that carries it, the JSON values of each endpoint (`/v1/hello`, `/v1/learners`), and the roster rows
//! that `learner list` shows, built the same way from a local database and from the server's.

use crate::error::Result;
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
    /// The caller's system user name and uid, as the kernel reported the connecting process.
    pub user: String,
    pub uid: u32,
    pub role: Role,
    /// The roster learner whose username is `user`, by name (a teacher may have one too).
    pub learner: Option<String>,
    /// That learner's id in the server's database: for the server's handlers, never sent.
    #[serde(skip)]
    pub learner_id: Option<i64>,
    /// Why the caller is a teacher: `user NAME` or `group NAME` of the server's configuration.
    pub teacher_by: Option<String>,
}

impl Hello {
    /// Whether `claimed` (a `--learner` or `DETENTE_LEARNER` value) names the caller: their system user name or
    /// their roster learner's name, by the one rule for learner names ([`crate::gradebook::pick_name`]).
    pub fn is_named_by(&self, claimed: &str) -> bool {
        let names = std::iter::once(self.user.as_str()).chain(self.learner.as_deref());
        matches!(crate::gradebook::pick_name(claimed, names), Ok(Some(_)))
    }

    /// The caller as one phrase: "learner ann (user ann)", "teacher (user prof, by group staff)".
    pub fn describe(&self) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(role: Role, learner: Option<&str>) -> Hello {
        Hello {
            server_version: "0.1.0".into(),
            protocol: PROTOCOL,
            protocol_min: PROTOCOL_MIN,
            user: "s1234".into(),
            uid: 1001,
            role,
            learner: learner.map(String::from),
            learner_id: None,
            teacher_by: None,
        }
    }

    #[test]
    fn the_window_holds_this_version_and_nothing_newer_or_older() {
        assert!(accepts(PROTOCOL));
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
    fn hello_reads_back_what_it_wrote() {
        let h = hello(Role::Teacher, None);
        let text = serde_json::to_string(&h).unwrap();
        assert!(text.contains("\"role\":\"teacher\""), "{text}");
        assert_eq!(serde_json::from_str::<Hello>(&text).unwrap(), h);
    }
}
