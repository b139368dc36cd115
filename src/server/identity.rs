//! Who is connecting, from the kernel and nowhere else: the uid the kernel recorded for the connecting process
//! (`SO_PEERCRED`), its user name and groups from the system's user database, then a teacher if the configuration
//! names the user or one of their groups, and a learner if the roster holds a learner with that `username`. No
//! request field can change it.

use super::api::{self, Hello, Role};
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

/// Who a connection is: known (learner or teacher), or refused with the reason to tell them.
#[derive(Debug, Clone)]
pub enum Caller {
    Known(Hello),
    Refused(String),
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
        uid,
        role,
        learner_id: learner.as_ref().map(|l| l.id),
        learner: learner.map(|l| l.name),
        teacher_by,
    }))
}
