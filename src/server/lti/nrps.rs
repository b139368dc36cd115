//! Names and Role Provisioning Services (LTI NRPS 2.0): the course's roster as the platform holds it, read when
//! `grades push` has a grade for a roster learner who never launched detente from that course. Each active member
//! is matched to detente's roster by the launch's own rule ([`super::roster_match`]: email, username, student id,
//! each only if exactly one learner has it) and linked, so their grade goes out with the others'. The roster is
//! read with an access token of its own scope (a platform that grants grades only still takes grades), page by page
//! (`Link: <...>; rel="next"`, at most [`MAX_PAGES`]). A platform that offers no roster, refuses or fails leaves
//! those learners "not linked" and the push says why; it never fails the push.

use super::{Lti, Person, roster_match};
use crate::error::Result;
use crate::store::LtiRecords;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// The media type of a roster page.
pub const MEDIA_TYPE: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
/// The most pages of one course's roster read (a platform's page is 10 to 100 members or more).
pub const MAX_PAGES: usize = 1000;

/// A member of the course as the platform lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Member {
    pub user_id: String,
    #[serde(default)]
    pub email: Option<String>,
    /// The institution's id of the person (Moodle's ID number, Canvas's SIS id).
    #[serde(default)]
    pub lis_person_sourcedid: Option<String>,
    /// The platform's login name, where it gives one (`ext_user_username`, as Moodle's launch does).
    #[serde(default)]
    pub ext_user_username: Option<String>,
    /// `Active`, `Inactive` or `Deleted`; absent means active.
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    members: Vec<Member>,
}

/// The `rel="next"` URL of a `Link` header, if any.
pub fn next_page(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then(|| url.to_string())
    })
}

/// Every active member of the course roster at `url`, read from `platform` with a roster token at `now` (Unix
/// seconds). Blocking. An error is one line saying what the platform answered.
pub fn members(lti: &Lti, platform: usize, url: &str, now: i64) -> Result<Vec<Member>, String> {
    let token = lti.roster_token(platform, now)?;
    let bearer = format!("Bearer {token}");
    let mut found = Vec::new();
    let mut next = Some(url.to_string());
    let mut seen = HashSet::new();
    while let Some(page_url) = next.take() {
        if !seen.insert(page_url.clone()) || seen.len() > MAX_PAGES {
            return Err(format!(
                "the course roster at {url} has more than {MAX_PAGES} pages or pages that lead back"
            ));
        }
        let answer = lti.web.request(
            "GET",
            &page_url,
            &[("authorization", &bearer), ("accept", MEDIA_TYPE)],
            b"",
        )?;
        if answer.status == 401 {
            lti.drop_token(platform);
        }
        if answer.status != 200 {
            return Err(format!(
                "the course roster at {page_url} answered HTTP {}: {}",
                answer.status,
                super::ags::said(&answer.body)
            ));
        }
        let page: Page = serde_json::from_slice(&answer.body).map_err(|e| {
            format!("the course roster at {page_url} is not a membership container ({e})")
        })?;
        found.extend(
            page.members
                .into_iter()
                .filter(|m| m.status.as_deref().is_none_or(|s| s == "Active")),
        );
        next = answer.header("link").and_then(next_page);
    }
    Ok(found)
}

/// Links to their platform user each learner of `wanted` (roster learners with a grade and no user of `issuer`)
/// whom exactly one member of `members` matches, and no other learner: a member already linked, or matching
/// several learners, is left alone. Returns the learners linked (id and name).
pub fn link(
    records: &mut dyn LtiRecords,
    issuer: &str,
    members: &[Member],
    wanted: &HashSet<i64>,
    now: i64,
) -> Result<Vec<(i64, String)>> {
    let learners = records.lti_roster()?;
    // Each member's learner, found once; a learner whom two members match is ambiguous, so neither links.
    let matched: Vec<_> = members
        .iter()
        .map(|m| {
            let person = Person {
                email: m.email.as_deref(),
                username: m.ext_user_username.as_deref(),
                student_id: m.lis_person_sourcedid.as_deref(),
            };
            roster_match(&learners, &person)
        })
        .collect();
    let mut members_of: HashMap<i64, usize> = HashMap::new();
    for (learner, _) in matched.iter().flatten() {
        *members_of.entry(learner.id).or_default() += 1;
    }
    let mut linked = Vec::new();
    for (m, found) in members.iter().zip(&matched) {
        let Some((learner, key)) = found else {
            continue;
        };
        if !wanted.contains(&learner.id)
            || members_of.get(&learner.id) != Some(&1)
            || records.lti_learner(issuer, &m.user_id)?.is_some()
        {
            continue;
        }
        records.link_lti_user(
            learner.id,
            issuer,
            &m.user_id,
            &format!("{key} (course roster)"),
            now,
        )?;
        linked.push((learner.id, learner.name.clone()));
    }
    Ok(linked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_is_found_among_other_links() {
        assert_eq!(
            next_page(
                "<https://lms/m?page=1>; rel=\"first\", <https://lms/m?page=3>; rel=\"next\", \
                 <https://lms/m?page=9>; rel=\"last\""
            )
            .as_deref(),
            Some("https://lms/m?page=3")
        );
        assert_eq!(
            next_page("<https://lms/m?p=2>;rel=next").as_deref(),
            Some("https://lms/m?p=2")
        );
        assert_eq!(next_page("<https://lms/m?page=1>; rel=\"first\""), None);
        assert_eq!(next_page("garbage"), None);
    }
}
