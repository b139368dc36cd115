//! A bundle's checksum: FNV-1a 64 over the canonical JSON (members sorted by key, no spaces) of every member but
//! `checksum`, stated as `fnv1a64:` and 16 hex digits. The canonical text is hashed as it is produced, a part at a
//! time, never built as one string: the reviews are hashed one by one between the text before them and after them.

use crate::text::Fnv1a;
use serde_json::{Map, Value};
use std::io::Write;

pub(super) const REVIEWS: &str = "reviews";
pub(super) const CHECKSUM: &str = "checksum";

/// A checksum as bundles state it.
pub(super) fn stated(hash: u64) -> String {
    format!("fnv1a64:{hash:016x}")
}

pub(super) fn feed(hash: &mut Fnv1a, bytes: &[u8]) {
    // Hashing into memory cannot fail.
    let _ = hash.write_all(bytes);
}

/// `"key":value`, compact, as part of canonical JSON.
fn member(out: &mut Vec<u8>, key: &str, value: &Value) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, key)?;
    out.push(b':');
    serde_json::to_writer(&mut *out, value)
}

/// The canonical text of a bundle's members around its reviews: `{...,"reviews":[` and `],...}`, the members
/// sorted by key (a `serde_json` map is), `checksum` left out.
pub(super) fn around_reviews(
    members: &Map<String, Value>,
) -> serde_json::Result<(Vec<u8>, Vec<u8>)> {
    let (mut before, mut after) = (b"{".to_vec(), b"]".to_vec());
    for (key, value) in members
        .iter()
        .filter(|(k, _)| *k != CHECKSUM && *k != REVIEWS)
    {
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

/// The checksum of a bundle whose members are all in `members` (no array of reviews streamed).
pub(super) fn checksum_of(members: &Map<String, Value>) -> String {
    let mut hash = Fnv1a::default();
    let mut first = true;
    feed(&mut hash, b"{");
    for (key, value) in members.iter().filter(|(k, _)| *k != CHECKSUM) {
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
    stated(hash.value())
}
