//! A bundle's checksum and authentication tag, over the same canonical bytes: the canonical JSON (members sorted
//! by key, no spaces) of every member but `checksum` and `tag`. The checksum is FNV-1a 64, stated as `fnv1a64:` and
//! 16 hex digits; the tag, on a bundle from an enrolled device, is the HMAC-SHA256 of the learner's key
//! ([`crate::enrol::Key::authenticator`], purpose `bundle`). The canonical text is hashed as it is produced, a part
//! at a time, never built as one string: the reviews are hashed one by one between the text before them and after
//! them, into both digests at once.

use crate::enrol::{Authenticator, Key};
use crate::text::Fnv1a;
use serde_json::{Map, Value};
use std::io::Write;

pub(super) const REVIEWS: &str = "reviews";
pub(super) const CHECKSUM: &str = "checksum";
pub(super) const TAG: &str = "tag";
pub(super) const KEY_ID: &str = "key_id";
/// The purpose a bundle's tag is made for (see [`Key::authenticator`]).
const PURPOSE: &str = "bundle";

/// A checksum as bundles state it.
pub(super) fn stated(hash: u64) -> String {
    format!("fnv1a64:{hash:016x}")
}

/// The two digests of a bundle's canonical bytes: the checksum, and the tag when there is a key.
#[derive(Clone)]
pub(super) struct Digest {
    fnv: Fnv1a,
    mac: Option<Authenticator>,
}

impl Digest {
    pub(super) fn new(key: Option<&Key>) -> Digest {
        Digest {
            fnv: Fnv1a::default(),
            mac: key.map(|k| k.authenticator(PURPOSE)),
        }
    }

    /// The checksum as stated, and the authenticator (to make or verify the tag) when there was a key.
    pub(super) fn finish(self) -> (String, Option<Authenticator>) {
        (stated(self.fnv.value()), self.mac)
    }
}

impl Write for Digest {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.fnv.write_all(buf)?;
        if let Some(m) = &mut self.mac {
            m.update(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(super) fn feed(hash: &mut Digest, bytes: &[u8]) {
    // Hashing into memory cannot fail.
    let _ = hash.write_all(bytes);
}

/// Whether a member is left out of the canonical bytes.
fn outside(key: &str) -> bool {
    key == CHECKSUM || key == TAG
}

/// `"key":value`, compact, as part of canonical JSON.
fn member(out: &mut Vec<u8>, key: &str, value: &Value) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, key)?;
    out.push(b':');
    serde_json::to_writer(&mut *out, value)
}

/// The canonical text of a bundle's members around its reviews: `{...,"reviews":[` and `],...}`, the members
/// sorted by key (a `serde_json` map is), `checksum` and `tag` left out.
pub(super) fn around_reviews(
    members: &Map<String, Value>,
) -> serde_json::Result<(Vec<u8>, Vec<u8>)> {
    let (mut before, mut after) = (b"{".to_vec(), b"]".to_vec());
    for (key, value) in members.iter().filter(|(k, _)| !outside(k) && *k != REVIEWS) {
        if key.as_str() < REVIEWS {
            member(&mut before, key, value)?;
            before.push(b',');
        } else {
            after.push(b',');
            member(&mut after, key, value)?;
        }
    }
    serde_json::to_writer(&mut before, REVIEWS)?;
    before.extend_from_slice(b":[");
    after.push(b'}');
    Ok((before, after))
}

/// The digests of a bundle whose members are all in `members` (no array of reviews streamed).
pub(super) fn digest_of(members: &Map<String, Value>, key: Option<&Key>) -> Digest {
    let mut hash = Digest::new(key);
    let mut first = true;
    feed(&mut hash, b"{");
    for (key, value) in members.iter().filter(|(k, _)| !outside(k)) {
        if !first {
            feed(&mut hash, b",");
        }
        first = false;
        let mut text = Vec::new();
        // Writing a parsed value into memory cannot fail; an error would only change the checksum, refusing the file.
        let _ = member(&mut text, key, value);
        feed(&mut hash, &text);
    }
    feed(&mut hash, b"}");
    hash
}
