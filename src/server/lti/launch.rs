//! The checks of an LTI 1.3 launch's id token after its signature (LTI 1.3 Core and the 1EdTech Security Framework,
//! "Authentication Response Validation"): the issuer is the platform the login started with, the audience holds
//! the tool's client id (and `azp` names it when there are several), the token is not expired and was not issued in
//! the future (within [`SKEW_SECS`]), its nonce is the one the login issued, its deployment is one the admin
//! configured, and it is an LTI 1.3.0 resource link launch of a user (`sub`). The clock is passed in.

use crate::server::config::Platform;
use serde_json::Value;

/// How far the platform's clock may be from the server's (seconds).
pub const SKEW_SECS: i64 = 60;

const MESSAGE_TYPE: &str = "https://purl.imsglobal.org/spec/lti/claim/message_type";
const VERSION: &str = "https://purl.imsglobal.org/spec/lti/claim/version";
const DEPLOYMENT: &str = "https://purl.imsglobal.org/spec/lti/claim/deployment_id";
const CONTEXT: &str = "https://purl.imsglobal.org/spec/lti/claim/context";
const LIS: &str = "https://purl.imsglobal.org/spec/lti/claim/lis";
const AGS: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
const NRPS: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
const ROLES: &str = "https://purl.imsglobal.org/spec/lti/claim/roles";

/// What a verified launch says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launched {
    pub issuer: String,
    pub client_id: String,
    pub deployment_id: String,
    pub sub: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The platform's login name (`preferred_username`, or Moodle's `ext.user_username`).
    pub username: Option<String>,
    /// The institution's id of the person (`lis.person_sourcedid`).
    pub student_id: Option<String>,
    /// The course: its id and title.
    pub context: Option<(String, Option<String>)>,
    /// The course's grade book line items URL (Assignment and Grade Services).
    pub lineitems: Option<String>,
    /// The course's roster URL (Names and Role Provisioning Services: `context_memberships_url`).
    pub memberships: Option<String>,
    /// The user teaches the course (an Instructor or Administrator role, of the course or the institution).
    pub instructor: bool,
}

fn text(claims: &Value, key: &str) -> Option<String> {
    claims
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Checks the claims of a launch whose signature verified with `platform`'s key, against the `nonce` its login
/// issued, at `now` (Unix seconds). An error is one line saying which check failed.
pub fn check(
    claims: &Value,
    platform: &Platform,
    nonce: &str,
    now: i64,
) -> Result<Launched, String> {
    let iss = text(claims, "iss").unwrap_or_default();
    if iss != platform.issuer {
        return Err(format!(
            "the id token's issuer is {iss:?}, and the login was started by the platform {:?}",
            platform.issuer
        ));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&platform.client_id.as_str()) {
        return Err(format!(
            "the id token is for {audiences:?}, not for this tool's client id {:?}",
            platform.client_id
        ));
    }
    let azp = text(claims, "azp");
    if (audiences.len() > 1 || azp.is_some()) && azp.as_deref() != Some(platform.client_id.as_str())
    {
        return Err(format!(
            "the id token has several audiences and its authorized party (azp) is {azp:?}, not this tool's client \
             id {:?}",
            platform.client_id
        ));
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or("the id token has no expiry (exp)")?;
    if now > exp + SKEW_SECS {
        return Err(format!("the id token expired {} s ago", now - exp));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or("the id token has no issue time (iat)")?;
    if iat > now + SKEW_SECS {
        return Err(format!(
            "the id token was issued {} s in the future",
            iat - now
        ));
    }
    if text(claims, "nonce").as_deref() != Some(nonce) {
        return Err(
            "the id token's nonce is not the one this login issued (a replayed launch?)"
                .to_string(),
        );
    }
    let deployment = text(claims, DEPLOYMENT).unwrap_or_default();
    if !platform.deployment_ids.contains(&deployment) {
        return Err(format!(
            "the deployment {deployment:?} is not one of this platform's deployments in the server's configuration"
        ));
    }
    let kind = text(claims, MESSAGE_TYPE).unwrap_or_default();
    if kind != "LtiResourceLinkRequest" {
        return Err(format!(
            "the launch is a {kind:?} message, and detente takes LtiResourceLinkRequest"
        ));
    }
    let version = text(claims, VERSION).unwrap_or_default();
    if version != "1.3.0" {
        return Err(format!(
            "the launch is LTI version {version:?}, and detente speaks 1.3.0"
        ));
    }
    let sub = text(claims, "sub")
        .ok_or("the launch names no user (sub): an anonymous launch cannot link a device")?;
    let context = claims.get(CONTEXT).and_then(|c| {
        let id = text(c, "id")?;
        Some((id, text(c, "title").or_else(|| text(c, "label"))))
    });
    let lineitems = claims.get(AGS).and_then(|a| text(a, "lineitems"));
    let memberships = claims
        .get(NRPS)
        .and_then(|n| text(n, "context_memberships_url"));
    let instructor = claims
        .get(ROLES)
        .and_then(Value::as_array)
        .is_some_and(|roles| {
            roles.iter().filter_map(Value::as_str).any(|r| {
                r.ends_with("#Instructor") || r.ends_with("#Administrator") || r == "Instructor"
            })
        });
    Ok(Launched {
        issuer: iss,
        client_id: platform.client_id.clone(),
        deployment_id: deployment,
        sub,
        name: text(claims, "name"),
        email: text(claims, "email"),
        username: text(claims, "preferred_username").or_else(|| {
            claims
                .get("https://purl.imsglobal.org/spec/lti/claim/ext")
                .and_then(|e| text(e, "user_username"))
        }),
        student_id: claims.get(LIS).and_then(|l| text(l, "person_sourcedid")),
        context,
        lineitems,
        memberships,
        instructor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn platform() -> Platform {
        Platform {
            issuer: "https://lms".into(),
            client_id: "tool".into(),
            deployment_ids: vec!["d1".into()],
            auth_login_url: "https://lms/auth".into(),
            key_set_url: Some("https://lms/jwks".into()),
            key_set_file: None,
            access_token_url: "https://lms/token".into(),
        }
    }

    fn claims() -> Value {
        json!({
            "iss": "https://lms", "aud": "tool", "sub": "u1", "exp": 1000, "iat": 900, "nonce": "n",
            DEPLOYMENT: "d1", MESSAGE_TYPE: "LtiResourceLinkRequest", VERSION: "1.3.0",
            CONTEXT: {"id": "c1", "title": "IR 101"},
            AGS: {"lineitems": "https://lms/c1/lineitems", "scope": []},
        })
    }

    /// Attack: each claim changed alone (issuer, audience, azp, expiry with the clock past the skew, a future iat,
    /// nonce, deployment, message type, version) must refuse the launch that the unchanged claims pass.
    #[test]
    fn each_claim_is_checked_with_the_clock_passed_in() {
        let good = check(&claims(), &platform(), "n", 1000 + SKEW_SECS).unwrap();
        assert_eq!(good.sub, "u1");
        assert_eq!(good.lineitems.as_deref(), Some("https://lms/c1/lineitems"));
        let change = |key: &str, value: Value| {
            let mut c = claims();
            c[key] = value;
            c
        };
        for (c, now, says) in [
            (change("iss", json!("https://evil")), 950, "issuer"),
            (change("aud", json!("other")), 950, "not for this tool"),
            (change("aud", json!(["tool", "other"])), 950, "azp"),
            (change("azp", json!("other")), 950, "azp"),
            (claims(), 1001 + SKEW_SECS, "expired"),
            (change("iat", json!(2000)), 950, "future"),
            (change("nonce", json!("m")), 950, "nonce"),
            (change(DEPLOYMENT, json!("d2")), 950, "deployment"),
            (
                change(MESSAGE_TYPE, json!("LtiDeepLinkingRequest")),
                950,
                "LtiResourceLinkRequest",
            ),
            (change(VERSION, json!("1.1")), 950, "1.3.0"),
        ] {
            let e = check(&c, &platform(), "n", now).unwrap_err();
            assert!(e.contains(says), "{says}: {e}");
        }
        let mut several = change("aud", json!(["tool", "other"]));
        several["azp"] = json!("tool");
        assert!(check(&several, &platform(), "n", 950).is_ok());
    }
}
