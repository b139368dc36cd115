//! Who is connecting, and nothing a request says can change it. On the Unix socket, from the kernel: the uid it
//! recorded for the connecting process (`SO_PEERCRED`), its user name and groups from the system's user database,
//! then a teacher if the configuration names the user or one of their groups, and a learner if the roster holds a
//! learner with that `username`. Over TLS, from the device token the request carries (`Authorization: Bearer`):
//! its SHA-256 hash names a registered device that is not revoked, and the device its learner (a learner only:
//! teachers work on the socket). The tokens themselves are made here, and never stored or logged.

use super::api::{self, DeviceRef, Hello, Role};
use super::config::Teachers;
use crate::error::Result;
use crate::store::ClassStore;
use nix::unistd::{Gid, Group, Uid, User};
use std::ffi::CString;

/// The teachers of the configuration, their groups resolved to ids when the server starts.
#[derive(Debug, Clone)]
pub struct TeacherList {
    users: Vec<String>,
    groups: Vec<(String, Gid)>,
}

impl TeacherList {
    /// Resolves the configured groups; a group the system does not know is an error naming it (a misspelt group
    /// would otherwise leave its teachers refused without a word).
    pub fn resolve(teachers: &Teachers) -> std::result::Result<TeacherList, String> {
        let mut groups = Vec::new();
        for name in &teachers.groups {
            match Group::from_name(name) {
                Ok(Some(g)) => groups.push((name.clone(), g.gid)),
                Ok(None) => return Err(format!("teachers.groups: there is no group named {name}")),
                Err(e) => return Err(format!("teachers.groups: cannot look up group {name}: {e}")),
            }
        }
        Ok(TeacherList {
            users: teachers.users.clone(),
            groups,
        })
    }

    /// Why `user` is a teacher (`user NAME` or `group NAME`), if they are one: by name, else by their primary
    /// group or a supplementary one (`SO_PEERCRED` carries only the primary group, so the others are looked up
    /// by name).
    fn teacher_by(&self, user: &User) -> Option<String> {
        if self.users.contains(&user.name) {
            return Some(format!("user {}", user.name));
        }
        if self.groups.is_empty() {
            return None;
        }
        let mut gids = vec![user.gid];
        if let Ok(name) = CString::new(user.name.as_bytes())
            && let Ok(all) = nix::unistd::getgrouplist(&name, user.gid)
        {
            gids.extend(all);
        }
        self.groups
            .iter()
            .find(|(_, gid)| gids.contains(gid))
            .map(|(name, _)| format!("group {name}"))
    }
}

/// Who a connection is: known (learner or teacher), refused with the reason to tell them (403), or, over TLS,
/// without a token the server takes (401).
#[derive(Debug, Clone)]
pub enum Caller {
    Known(Hello),
    Refused(String),
    Unauthenticated(String),
}

/// The printed form of a device token: `dt_` then 64 hex digits (256 random bits).
const TOKEN_PREFIX: &str = "dt_";

/// A new device token: 256 bits from the operating system's random source.
pub fn new_token() -> std::result::Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a device token: {e}"))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{TOKEN_PREFIX}{hex}"))
}

/// What the server stores of a token: the SHA-256 of its printed form.
pub fn token_hash(token: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).into()
}

/// A Unix-seconds moment as the server says it in messages: `2026-12-07 14:03 UTC`.
pub fn when(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(
        || format!("{secs} s"),
        |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// Identifies a request over TLS by the device token it carries (`bearer`, the value after `Bearer `), at `now`
/// (Unix seconds): the device's learner, its last use noted at most once a minute. No token, a token the server
/// does not know, and a revoked one are each refused with their reason.
pub fn identify_device(bearer: Option<&str>, repo: &dyn ClassStore, now: i64) -> Result<Caller> {
    let Some(token) = bearer.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Caller::Unauthenticated(
            "over TLS this server knows a device by its token, and none was sent: log in with \
             `detente login https://HOST:PORT CODE` (your enrolment code)"
                .to_string(),
        ));
    };
    let Some(device) = repo.device_by_token(&token_hash(token))? else {
        return Ok(Caller::Unauthenticated(
            "this device's token is not known to this server: log in again with `detente login \
             https://HOST:PORT CODE` (your enrolment code)"
                .to_string(),
        ));
    };
    if let Some(at) = device.revoked_at {
        return Ok(Caller::Unauthenticated(format!(
            "this device's token was revoked on {} by {}: log in again with a new enrolment code",
            when(at),
            device.revoked_by.as_deref().unwrap_or("the teacher")
        )));
    }
    if device
        .last_used_at
        .is_none_or(|last| now - last >= 60 || last > now)
    {
        repo.touch_device(device.learner_id, device.id, now)?;
    }
    let username = repo.learner(device.learner_id)?.and_then(|l| l.username);
    Ok(Caller::Known(Hello {
        server_version: env!("CARGO_PKG_VERSION").to_string(),
        protocol: api::PROTOCOL,
        protocol_min: api::PROTOCOL_MIN,
        user: username.unwrap_or_default(),
        uid: None,
        role: Role::Learner,
        learner: Some(device.learner),
        learner_id: Some(device.learner_id),
        teacher_by: None,
        device: Some(DeviceRef {
            id: device.id,
            name: device.name,
        }),
    }))
}

/// Identifies the process at the other end of a connection by the uid the kernel reported for it. Reads the
/// system's user database and the store: run it where blocking is allowed.
pub fn identify(uid: u32, teachers: &TeacherList, repo: &dyn ClassStore) -> Result<Caller> {
    let user = match User::from_uid(Uid::from_raw(uid)) {
        Ok(Some(user)) => user,
        Ok(None) => {
            return Ok(Caller::Refused(format!(
                "uid {uid} has no user name on the server's system, so it cannot be on the roster"
            )));
        }
        Err(e) => {
            return Ok(Caller::Refused(format!(
                "cannot look up uid {uid} on the server's system: {e}"
            )));
        }
    };
    let learner = repo.learner_by_username(&user.name)?;
    let teacher_by = teachers.teacher_by(&user);
    let role = match (&teacher_by, &learner) {
        (Some(_), _) => Role::Teacher,
        (None, Some(_)) => Role::Learner,
        (None, None) => {
            return Ok(Caller::Refused(format!(
                "you are user {} (uid {uid}), who is not on this class server's roster and is not one of its \
                 teachers: a teacher adds you with `detente learner add NAME --username {}` (or a roster with \
                 that username)",
                user.name, user.name
            )));
        }
    };
    Ok(Caller::Known(Hello {
        server_version: env!("CARGO_PKG_VERSION").to_string(),
        protocol: api::PROTOCOL,
        protocol_min: api::PROTOCOL_MIN,
        user: user.name,
        uid: Some(uid),
        role,
        learner_id: learner.as_ref().map(|l| l.id),
        learner: learner.map(|l| l.name),
        teacher_by,
        device: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_256_random_bits_in_hex_and_only_its_hash_is_kept() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with("dt_") && a.len() == 3 + 64, "{a}");
        assert!(a[3..].bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(token_hash(&a), token_hash(&a.clone()));
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
