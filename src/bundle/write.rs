//! Writing a bundle a review at a time, so that memory stays within a small multiple of one review whatever the
//! log's size. The members are written sorted by key and pretty-printed; the checksum comes before the reviews in
//! the file, so the reviews are walked twice: once to hash them, once to write them.

use super::checksum::{CHECKSUM, REVIEWS, around_reviews, feed, stated};
use super::records::{Bundle, BundleReview};
use crate::error::{Error, Result};
use crate::text::Fnv1a;
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::io::Write;

/// Writes `bundle` to `out` with the reviews `reviews` walks (its `reviews` and `checksum` are ignored): `reviews`
/// hands each review, oldest first, to the function it is given and stops at the first error that returns; it is
/// called twice and must give the same reviews both times. The checksum is taken over the numbers as they will be
/// read back from the file's text (serde_json's float parsing may differ from the value written in the last bit),
/// so each part is hashed as it reads back from its own text. Returns how many reviews were written.
pub fn write<F>(out: &mut impl Write, bundle: &Bundle, reviews: F) -> Result<usize>
where
    F: Fn(&mut dyn FnMut(BundleReview) -> Result<()>) -> Result<()>,
{
    let json = |e: serde_json::Error| Error::InvalidData(format!("progress bundle: {e}"));
    let mut head = match serde_json::to_value(bundle).map_err(json)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    head.remove(REVIEWS);
    head.remove(CHECKSUM);
    let reread: Map<String, Value> =
        serde_json::from_str(&serde_json::to_string(&head).map_err(json)?).map_err(json)?;
    let (before, after) = around_reviews(&reread).map_err(json)?;
    let mut hash = Fnv1a::default();
    feed(&mut hash, &before);
    let mut count = 0usize;
    reviews(&mut |r| {
        if count > 0 {
            feed(&mut hash, b",");
        }
        count += 1;
        let value: Value =
            serde_json::from_str(&serde_json::to_string(&r).map_err(json)?).map_err(json)?;
        serde_json::to_writer(&mut hash, &value).map_err(json)
    })?;
    feed(&mut hash, &after);
    let file = File {
        head: &head,
        checksum: stated(hash.value()),
        reviews: Streamed(&reviews),
    };
    serde_json::to_writer_pretty(out, &file).map_err(|e| match e.io_error_kind() {
        Some(_) => Error::io("cannot write the bundle", e.into()),
        None => json(e),
    })?;
    Ok(count)
}

/// A bundle as written: its members in key order, the reviews streamed.
struct File<'a, F> {
    head: &'a Map<String, Value>,
    checksum: String,
    reviews: Streamed<'a, F>,
}

impl<F> Serialize for File<'_, F>
where
    F: Fn(&mut dyn FnMut(BundleReview) -> Result<()>) -> Result<()>,
{
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

/// The review log, serialized as it is walked.
struct Streamed<'a, F>(&'a F);

impl<F> Serialize for Streamed<'_, F>
where
    F: Fn(&mut dyn FnMut(BundleReview) -> Result<()>) -> Result<()>,
{
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        let mut failed = None;
        let read = (self.0)(&mut |r| {
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
