//! Progress bundles written and read a review at a time, so that memory stays within a small multiple of the
//! bundle's size (a bundle of 100,000 reviews is about 100 MB of JSON). The format is unchanged: the members are
//! written sorted by key, pretty-printed, and the checksum is FNV-1a 64 over the canonical JSON (keys sorted, no
//! spaces) of every member but `checksum`, hashed as it is produced, never built as one string.
//!
//! Writing makes two passes over the review log: one to hash it (the checksum comes before the reviews in the
//! file), one to write it. Reading makes two passes over the file: the first checks that it is JSON and keeps every
//! member but the reviews; the second hashes the reviews, one at a time, in their canonical form, and decodes them.

use crate::error::{Error, Result};
use crate::store::{self, BundleReview};
use crate::text::Fnv1a;
use rusqlite::Connection;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;
use std::io::{BufReader, Write};
use std::path::Path;

const REVIEWS: &str = "reviews";
const CHECKSUM: &str = "checksum";

/// A checksum as bundles state it.
pub(super) fn stated(hash: u64) -> String {
    format!("fnv1a64:{hash:016x}")
}

/// `"key":value`, compact, as part of canonical JSON.
fn member(out: &mut Vec<u8>, key: &str, value: &Value) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, key)?;
    out.push(b':');
    serde_json::to_writer(&mut *out, value)
}

/// The canonical text of a bundle's members around its reviews: `{...,"reviews":[` and `],...}`, the members
/// sorted by key (a `serde_json` map is), `checksum` left out.
fn around_reviews(members: &Map<String, Value>) -> serde_json::Result<(Vec<u8>, Vec<u8>)> {
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

/// Writes a bundle: `head` holds every member but `reviews` and `checksum`, the reviews are the learner's log,
/// read from the database twice (to hash, then to write). The checksum is taken over the numbers as they will be
/// read back from the file's text (serde_json's float parsing may differ from the value written in the last bit), so
/// each part is hashed as it reads back from its own text. Returns how many reviews were written.
pub(super) fn write(
    out: &mut impl Write,
    head: &Map<String, Value>,
    conn: &Connection,
    learner: i64,
) -> Result<usize> {
    let json = |e: serde_json::Error| Error::InvalidData(format!("progress bundle: {e}"));
    let reread: Map<String, Value> =
        serde_json::from_str(&serde_json::to_string(head).map_err(json)?).map_err(json)?;
    let (before, after) = around_reviews(&reread).map_err(json)?;
    let mut hash = Fnv1a::default();
    feed(&mut hash, &before);
    let mut count = 0usize;
    store::for_each_bundle_review(conn, learner, |r| {
        if count > 0 {
            feed(&mut hash, b",");
        }
        count += 1;
        let value: Value =
            serde_json::from_str(&serde_json::to_string(&r).map_err(json)?).map_err(json)?;
        serde_json::to_writer(&mut hash, &value).map_err(json)
    })?;
    feed(&mut hash, &after);
    let file = Bundle {
        head,
        checksum: stated(hash.value()),
        reviews: Reviews { conn, learner },
    };
    serde_json::to_writer_pretty(out, &file).map_err(|e| match e.io_error_kind() {
        Some(_) => Error::io("cannot write the bundle", e.into()),
        None => json(e),
    })?;
    Ok(count)
}

fn feed(hash: &mut Fnv1a, bytes: &[u8]) {
    // Hashing into memory cannot fail.
    let _ = hash.write_all(bytes);
}

/// A bundle as written: its members in key order, the reviews streamed from the database.
struct Bundle<'a> {
    head: &'a Map<String, Value>,
    checksum: String,
    reviews: Reviews<'a>,
}

impl Serialize for Bundle<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut keys: Vec<&str> = self.head.keys().map(String::as_str).collect();
        keys.extend([CHECKSUM, REVIEWS]);
        keys.sort_unstable();
        keys.dedup();
        let mut map = s.serialize_map(Some(keys.len()))?;
        for key in keys {
            match key {
                CHECKSUM => map.serialize_entry(key, &self.checksum)?,
                REVIEWS => map.serialize_entry(key, &self.reviews)?,
                _ => map.serialize_entry(key, &self.head[key])?,
            }
        }
        map.end()
    }
}

/// A learner's review log, serialized as it is read.
struct Reviews<'a> {
    conn: &'a Connection,
    learner: i64,
}

impl Serialize for Reviews<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        let mut failed = None;
        let read = store::for_each_bundle_review(self.conn, self.learner, |r| {
            // Each review as a map, so that its members come sorted by key, as in the canonical text.
            let written = serde_json::to_value(&r)
                .map_err(S::Error::custom)
                .and_then(|v| seq.serialize_element(&v));
            written.map_err(|e| {
                failed = Some(e);
                Error::InvalidData("the bundle could not be written".into())
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        read.map_err(S::Error::custom)?;
        seq.end()
    }
}

/// What the first pass over a bundle file found.
pub(super) enum Read {
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

/// The first pass: checks the whole file is JSON and keeps its members, skipping an array of reviews.
pub(super) fn members(file: &Path) -> std::io::Result<Read> {
    let reader = BufReader::with_capacity(1 << 16, std::fs::File::open(file)?);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let top = match (&mut de).deserialize_any(Top) {
        Ok(top) => top,
        Err(e) => return Ok(Read::Damaged(e)),
    };
    if let Err(e) = de.end() {
        return Ok(Read::Damaged(e));
    }
    Ok(match top {
        Some((members, streamed)) => Read::Object { members, streamed },
        None => Read::NotAnObject,
    })
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

/// What the second pass finds: the checksum, the reviews, and why a review is not valid (then none is kept).
pub(super) type Reviewed = (String, Vec<BundleReview>, Option<String>);

/// The second pass, over a file whose first pass found an array of reviews: the bundle's checksum, its reviews,
/// and the first review that is not a valid review (if any, the reviews are not kept).
pub(super) fn reviews(
    file: &Path,
    members: &Map<String, Value>,
) -> std::io::Result<std::result::Result<Reviewed, serde_json::Error>> {
    let (before, after) = match around_reviews(members) {
        Ok(parts) => parts,
        Err(e) => return Ok(Err(e)),
    };
    let mut prefix = Fnv1a::default();
    feed(&mut prefix, &before);
    let mut found = Found {
        prefix,
        hash: prefix,
        reviews: Vec::new(),
        invalid: None,
    };
    let reader = BufReader::with_capacity(1 << 16, std::fs::File::open(file)?);
    let mut de = serde_json::Deserializer::from_reader(reader);
    if let Err(e) = (&mut de).deserialize_map(Second(&mut found)) {
        return Ok(Err(e));
    }
    feed(&mut found.hash, &after);
    Ok(Ok((
        stated(found.hash.value()),
        found.reviews,
        found.invalid,
    )))
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
    prefix: Fnv1a,
    hash: Fnv1a,
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
        found.hash = found.prefix;
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
