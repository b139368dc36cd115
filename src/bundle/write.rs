//! Writing a bundle a review at a time, so that memory stays within a small multiple of one review whatever the
//! log's size. The members are written sorted by key and pretty-printed; the checksum (and the tag of a bundle
//! signed with a learner's key) comes before the reviews in the file, so the reviews are walked twice: once to hash
//! them, once to write them.

use super::checksum::{CHECKSUM, Digest, KEY_ID, REVIEWS, TAG, around_reviews, feed};
use super::records::{Bundle, BundleReview};
use crate::enrol::Key;
use crate::error::{Error, Result};
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::io::Write;

/// Writes `bundle` to `out` with the reviews `reviews` walks (its `reviews`, `checksum`, `key_id` and `tag` are
/// ignored), signed with `key` when there is one (its id as `key_id`, the HMAC as `tag`): `reviews`
/// hands each review, oldest first, to the function it is given and stops at the first error that returns; it is
/// called twice and must give the same reviews both times. The checksum is taken over the numbers as they will be
/// read back from the file's text (serde_json's float parsing may differ from the value written in the last bit),
/// so each part is hashed as it reads back from its own text. Returns how many reviews were written.
pub fn write<F>(
    out: &mut impl Write,
    bundle: &Bundle,
    key: Option<&Key>,
    reviews: F,
) -> Result<usize>
where
    F: Fn(&mut dyn FnMut(BundleReview) -> Result<()>) -> Result<()>,
{
    let json = |e: serde_json::Error| Error::InvalidData(format!("progress bundle: {e}"));
    let mut head = match serde_json::to_value(bundle).map_err(json)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for member in [REVIEWS, CHECKSUM, KEY_ID, TAG] {
        head.remove(member);
    }
    if let Some(k) = key {
        head.insert(KEY_ID.into(), Value::String(k.id()));
    }
    let reread: Map<String, Value> =
        serde_json::from_str(&serde_json::to_string(&head).map_err(json)?).map_err(json)?;
    let (before, after) = around_reviews(&reread).map_err(json)?;
    let mut hash = Digest::new(key);
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
    let (checksum, mac) = hash.finish();
    if let Some(mac) = mac {
        head.insert(TAG.into(), Value::String(mac.tag()));
    }
    let file = File {
        head: &head,
        checksum,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::{BundleLearner, Refusal, read};
    use crate::time::{Day, UnixMs};

    fn review(card: &str, at: UnixMs) -> BundleReview {
        BundleReview {
            deck: "d".into(),
            card: card.into(),
            sibling: 0,
            reviewed_at: at,
            day: Day(19_676),
            mode: "study".into(),
            response: "\"é\\n\"".into(),
            correct: true,
            rule: "exact".into(),
            rating: 3,
            duration_ms: 1_200,
            phase_before: 0,
            step_before: None,
            stability_before: None,
            difficulty_before: None,
            due_before: None,
            last_review_before: None,
            last_day_before: None,
            interval_before: None,
            reps_before: None,
            lapses_before: None,
            leech_before: None,
            phase_after: 2,
            step_after: 0,
            stability_after: 1.0 / 3.0,
            difficulty_after: 1.25e-7 + 5.0,
            due_after: at.secs() + 86_400,
            interval_days: 1,
            elapsed_days: 0,
            exam_day: None,
            exam_shortened_from: None,
        }
    }

    #[test]
    fn a_written_bundle_reads_back_whole_and_an_edit_is_caught() {
        let learner = BundleLearner {
            name: "ada".into(),
            username: None,
            first_name: Some("Ada".into()),
            last_name: None,
            email: None,
            student_id: None,
            new_per_day: 20,
            reviews_per_day: 200,
            desired_retention: 0.9,
            rollover_hour: 4,
        };
        let bundle = Bundle::new(
            UnixMs(1_700_000_000_000),
            learner,
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        let log = vec![
            review("c1", UnixMs(1_700_000_000_000)),
            review("c2", UnixMs(1_700_000_001_000)),
        ];
        let mut out = Vec::new();
        let count = write(&mut out, &bundle, None, |each| {
            log.iter().try_for_each(|r| each(r.clone()))
        })
        .expect("write");
        assert_eq!(count, 2);
        let back = read(|| Ok(out.as_slice())).expect("read");
        assert_eq!(back.reviews, log);
        assert_eq!(back.learner, bundle.learner);
        assert!(back.checksum.starts_with("fnv1a64:"));
        let edited = String::from_utf8(out)
            .expect("utf-8")
            .replace("\"c2\"", "\"c3\"");
        match read(|| Ok(edited.as_bytes())) {
            Err(Refusal::Invalid(why)) => assert!(why.contains("checksum mismatch"), "{why}"),
            other => panic!("an edited bundle was not refused: {other:?}"),
        }
    }

    /// Attack: a signed bundle edited after signing (a review, the key id, the tag) or read with another key; each
    /// reads as broken, never verified, while the untouched one verifies.
    #[test]
    fn a_signed_bundle_verifies_only_untouched_and_with_its_key() {
        use crate::bundle::{Seal, read_sealed};
        use crate::enrol::{Code, Key};
        use rand_chacha::ChaCha20Rng;
        use rand_chacha::rand_core::SeedableRng;
        let key = Code::generate("ada", &mut ChaCha20Rng::from_seed([1; 32])).key();
        let other = Code::generate("ada", &mut ChaCha20Rng::from_seed([2; 32])).key();
        let learner = BundleLearner {
            name: "ada".into(),
            username: None,
            first_name: None,
            last_name: None,
            email: None,
            student_id: None,
            new_per_day: 20,
            reviews_per_day: 200,
            desired_retention: 0.9,
            rollover_hour: 4,
        };
        let bundle = Bundle::new(UnixMs(1_700_000_000_000), learner, vec![], vec![], vec![]);
        let log = [review("c1", UnixMs(1_700_000_000_000))];
        let mut out = Vec::new();
        write(&mut out, &bundle, Some(&key), |each| {
            log.iter().try_for_each(|r| each(r.clone()))
        })
        .expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        let seal = |text: &str, with: &Key| {
            read_sealed(
                || Ok(text.as_bytes()),
                |id| {
                    assert_eq!(id, key.id());
                    Ok(Some(with.clone()))
                },
            )
            .map(|(b, s)| (b.key_id, s))
        };
        assert_eq!(
            seal(&text, &key).expect("read"),
            (Some(key.id()), Seal::Verified)
        );
        assert_eq!(seal(&text, &other).expect("read").1, Seal::Broken);
        let unknown = read_sealed(|| Ok(text.as_bytes()), |_| Ok(None))
            .expect("read")
            .1;
        assert_eq!(unknown, Seal::UnknownKey);
        // A review edited and the checksum recomputed the way the format does: the tag no longer verifies.
        let mut value: serde_json::Value = serde_json::from_str(&text).expect("json");
        value["reviews"][0]["rating"] = 4.into();
        let resum = |v: &mut serde_json::Value| {
            let m = v.as_object().expect("object").clone();
            v["checksum"] = super::super::checksum::digest_of(&m, None)
                .finish()
                .0
                .into();
        };
        resum(&mut value);
        assert_eq!(
            seal(&value.to_string(), &key).expect("read").1,
            Seal::Broken
        );
        // The tag kept, the key id taken away: a tag without a key is broken too.
        let mut bare: serde_json::Value = serde_json::from_str(&text).expect("json");
        bare.as_object_mut().expect("object").remove("key_id");
        resum(&mut bare);
        let text = bare.to_string();
        let read = read_sealed(|| Ok(text.as_bytes()), |_| Ok(None));
        assert_eq!(read.expect("read").1, Seal::Broken);
        // Without its tag and key id, it is an unsigned bundle.
        bare.as_object_mut().expect("object").remove("tag");
        resum(&mut bare);
        let text = bare.to_string();
        assert_eq!(
            read_sealed(|| Ok(text.as_bytes()), |_| Ok(None))
                .expect("read")
                .1,
            Seal::Unsigned
        );
    }
}
