//! Reading a bundle without holding it whole: two passes over the file. The first checks that it is JSON and keeps
//! every member but the reviews; the second hashes the reviews, one at a time, in their canonical form, and decodes
//! them. Memory stays within a small multiple of the bundle's size (a bundle of 100,000 reviews is about 100 MB of
//! JSON), never the whole text plus a tree of it. The tag of a bundle from an enrolled device is computed in the
//! same pass as the checksum, with the key its `key_id` names (the caller finds it between the passes).

use super::checksum::{Digest, KEY_ID, REVIEWS, TAG, around_reviews, digest_of, feed};
use super::records::{Bundle, BundleReview};
use super::{FORMAT, VERSION};
use crate::enrol::Key;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::{BufReader, Read};

/// Why a bundle was not read.
#[derive(Debug)]
pub enum Refusal {
    /// The file could not be opened.
    Io(std::io::Error),
    /// It is not a readable bundle of this version, or it was altered: the message says how.
    Invalid(String),
    /// Finding the key its `key_id` names failed (the database, say).
    Lookup(crate::error::Error),
}

/// What a bundle's tag says about who made it (the checksum has already been found right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seal {
    /// Neither a key id nor a tag: not made on an enrolled device (or made by a detente before enrolment).
    Unsigned,
    /// The tag is the HMAC of the canonical bytes under the key the key id names.
    Verified,
    /// A key id for which the caller has no key.
    UnknownKey,
    /// A key id whose key does not give the tag (or with no tag), or a tag without a key id: altered after it was
    /// signed.
    Broken,
}

/// Reads a bundle and checks its format, version, checksum and the shape of every record (the values' domains are
/// [`super::validate()`]'s), ignoring its tag. `open` gives the file's bytes from the start; it is called once per
/// pass, twice when the bundle has an array of reviews, and must give the same bytes each time.
pub fn read<R: Read>(open: impl FnMut() -> std::io::Result<R>) -> Result<Bundle, Refusal> {
    read_sealed(open, |_| Ok(None)).map(|(bundle, _)| bundle)
}

/// As [`read`], and checks its tag: `key_for` is given the bundle's `key_id`, if it has one, and returns the key it
/// names, if the caller knows it; the tag is then verified in the same pass as the checksum.
pub fn read_sealed<R: Read>(
    mut open: impl FnMut() -> std::io::Result<R>,
    key_for: impl FnOnce(&str) -> crate::error::Result<Option<Key>>,
) -> Result<(Bundle, Seal), Refusal> {
    let bad = Refusal::Invalid;
    let (members, streamed) = match members(open().map_err(Refusal::Io)?) {
        First::Damaged(e) => {
            return Err(bad(format!(
                "not a progress bundle (damaged or truncated JSON: {e})"
            )));
        }
        First::NotAnObject => (Map::new(), false),
        First::Object { members, streamed } => (members, streamed),
    };
    if members.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(bad(format!(
            "not a progress bundle (its format is not \"{FORMAT}\")"
        )));
    }
    match members.get("version").and_then(|v| v.as_u64()) {
        Some(v) if (1..=VERSION).contains(&v) => {}
        Some(v) => {
            return Err(bad(format!(
                "bundle version {v} is unknown to this detente (it reads versions 1 to {VERSION})"
            )));
        }
        None => return Err(bad("the bundle has no version".into())),
    }
    let key_id = members.get(KEY_ID).and_then(|k| k.as_str());
    let key = match key_id {
        Some(id) => key_for(id).map_err(Refusal::Lookup)?,
        None => None,
    };
    let (digest, reviews, invalid) = if streamed {
        self::reviews(open().map_err(Refusal::Io)?, &members, key.as_ref()).map_err(|e| {
            bad(format!(
                "not a progress bundle (damaged or truncated JSON: {e})"
            ))
        })?
    } else {
        (digest_of(&members, key.as_ref()), Vec::new(), None)
    };
    let (computed, mac) = digest.finish();
    let stated = members
        .get("checksum")
        .and_then(|c| c.as_str())
        .unwrap_or("");
    if stated != computed {
        return Err(bad(
            "checksum mismatch: the bundle was edited or damaged".into()
        ));
    }
    let tag = members.get(TAG).and_then(|t| t.as_str());
    let seal = match (key_id, mac) {
        (None, _) if members.contains_key(TAG) => Seal::Broken,
        (None, _) => Seal::Unsigned,
        (Some(_), None) => Seal::UnknownKey,
        (Some(_), Some(mac)) => match tag {
            Some(t) if mac.verify(t) => Seal::Verified,
            _ => Seal::Broken,
        },
    };
    let mut value = Value::Object(members);
    if streamed && let Some(o) = value.as_object_mut() {
        o.insert(REVIEWS.into(), Value::Array(Vec::new()));
    }
    let mut bundle: Bundle = serde_json::from_value(value)
        .map_err(|e| bad(format!("not a valid progress bundle: {e}")))?;
    if let Some(e) = invalid {
        return Err(bad(format!("not a valid progress bundle: {e}")));
    }
    if streamed {
        bundle.reviews = reviews;
    }
    Ok((bundle, seal))
}

/// What the first pass over a bundle found.
enum First {
    /// Not JSON, or cut short.
    Damaged(serde_json::Error),
    /// JSON, but not an object.
    NotAnObject,
    /// An object: every member but an array of reviews, and whether there was one (left to [`reviews`]).
    Object {
        members: Map<String, Value>,
        streamed: bool,
    },
}

/// The first pass: checks the whole text is JSON and keeps its members, skipping an array of reviews.
fn members(input: impl Read) -> First {
    let reader = BufReader::with_capacity(1 << 16, input);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let top = match (&mut de).deserialize_any(Top) {
        Ok(top) => top,
        Err(e) => return First::Damaged(e),
    };
    if let Err(e) = de.end() {
        return First::Damaged(e);
    }
    match top {
        Some((members, streamed)) => First::Object { members, streamed },
        None => First::NotAnObject,
    }
}

/// What the second pass finds: the digests, the reviews, and why a review is not valid (then none is kept).
type Reviewed = (Digest, Vec<BundleReview>, Option<String>);

/// The second pass, over a bundle whose first pass found an array of reviews: the bundle's digests (the tag's with
/// `key`), its reviews, and the first review that is not a valid review (if any, the reviews are not kept).
fn reviews(
    input: impl Read,
    members: &Map<String, Value>,
    key: Option<&Key>,
) -> serde_json::Result<Reviewed> {
    let (before, after) = around_reviews(members)?;
    let mut prefix = Digest::new(key);
    feed(&mut prefix, &before);
    let mut found = Found {
        hash: prefix.clone(),
        prefix,
        reviews: Vec::new(),
        invalid: None,
    };
    let reader = BufReader::with_capacity(1 << 16, input);
    let mut de = serde_json::Deserializer::from_reader(reader);
    (&mut de).deserialize_map(Second(&mut found))?;
    feed(&mut found.hash, &after);
    Ok((found.hash, found.reviews, found.invalid))
}

/// The first pass's visitor: an object's members (an array of reviews skipped), or `None` for any other value.
struct Top;

impl<'de> Visitor<'de> for Top {
    type Value = Option<(Map<String, Value>, bool)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut members = Map::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == REVIEWS {
                // As with duplicate keys in any member, the last one counts.
                match map.next_value_seed(SkipArray)? {
                    None => {
                        members.remove(REVIEWS);
                        streamed = true;
                    }
                    Some(v) => {
                        members.insert(key, v);
                        streamed = false;
                    }
                }
            } else {
                let v: Value = map.next_value()?;
                members.insert(key, v);
            }
        }
        Ok(Some((members, streamed)))
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
}

/// A `reviews` member in the first pass: an array is skipped (`None`), any other value kept.
struct SkipArray;

impl<'de> DeserializeSeed<'de> for SkipArray {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(SkipArray)
    }
}

impl<'de> Visitor<'de> for SkipArray {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Self::Value, E> {
        Ok(Some(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(Some(Value::String(v.to_string())))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Some(Value::Null))
    }
}

/// What the second pass gathers.
struct Found {
    /// The hash of the canonical text up to the reviews.
    prefix: Digest,
    hash: Digest,
    reviews: Vec<BundleReview>,
    invalid: Option<String>,
}

/// The second pass's visitor over the top-level object: every member but `reviews` skipped.
struct Second<'a>(&'a mut Found);

impl<'de> Visitor<'de> for Second<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a progress bundle")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == REVIEWS {
                map.next_value_seed(ReviewArray(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// A `reviews` member in the second pass: an array is hashed and decoded a review at a time (the last array of
/// duplicate `reviews` keys counts, as in the first pass); any other value is skipped.
struct ReviewArray<'a>(&'a mut Found);

impl<'de> DeserializeSeed<'de> for ReviewArray<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ReviewArray<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let found = self.0;
        found.hash = found.prefix.clone();
        found.reviews = Vec::new();
        found.invalid = None;
        let mut first = true;
        while let Some(value) = seq.next_element::<Value>()? {
            if !first {
                feed(&mut found.hash, b",");
            }
            first = false;
            serde_json::to_writer(&mut found.hash, &value).map_err(de::Error::custom)?;
            if found.invalid.is_none() {
                match serde_json::from_value::<BundleReview>(value) {
                    Ok(r) => found.reviews.push(r),
                    Err(e) => {
                        found.invalid = Some(e.to_string());
                        found.reviews = Vec::new();
                    }
                }
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checksum as detente computed it before bundles were streamed: over the whole bundle as one value.
    fn whole_checksum(value: &Value) -> String {
        let mut v = value.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("checksum");
        }
        format!(
            "fnv1a64:{:016x}",
            crate::text::fnv1a(v.to_string().as_bytes())
        )
    }

    fn sample() -> Value {
        serde_json::json!({
            "format": FORMAT, "version": VERSION, "exported_at": 1_700_000_000_000_i64,
            "learner": {"name": "ada", "desired_retention": 0.9, "new_per_day": 20},
            "decks": [{"id": "d", "content_hash": "h"}],
            "reviews": [
                {"deck": "d", "card": "c1", "stability_after": 10.0, "difficulty_before": null, "response": "\"é\\n\""},
                {"deck": "d", "card": "c2", "stability_after": 1.25e-7, "rating": 3}
            ],
            "attempts": [], "zzz": [1, 2.5], "checksum": "x"
        })
    }

    #[test]
    fn streamed_checksums_are_the_whole_value_checksums() {
        let value = sample();
        let text = serde_json::to_string_pretty(&value).expect("json");
        let First::Object { members, streamed } = members(text.as_bytes()) else {
            panic!("an object");
        };
        assert!(streamed);
        assert!(!members.contains_key("reviews"));
        let (sum, reviews, invalid) = reviews(text.as_bytes(), &members, None).expect("json");
        assert_eq!(sum.finish().0, whole_checksum(&value));
        // The sample's reviews are partial: the first one missing a field is reported, and none is kept.
        assert!(invalid.is_some());
        assert!(reviews.is_empty());
        let mut inline = value.clone();
        inline["reviews"] = serde_json::json!({"not": "an array"});
        let members = inline.as_object().expect("object").clone();
        assert_eq!(
            digest_of(&members, None).finish().0,
            whole_checksum(&inline)
        );
    }
}
