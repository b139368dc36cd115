//! Enrolment codes and the keys derived from them: how a learner's device proves to their teacher (and later to a
//! class server) that what it sends comes from that learner. Pure: the randomness comes from an RNG the caller
//! seeds from the operating system.
//!
//! **The code.** `NAME-XXXX-XXXX-XXXX-XXXX`: the learner's name as the teacher's database has it, then 16
//! characters of Crockford's base 32 (digits and capitals without I, L, O and U), grouped by four. The first 15 are
//! random: 75 bits, so that guessing a classmate's code, or trying every code offline against one of their signed
//! bundles, is out of reach (2^75 HMACs is about 10^5 years at 10^10 a second). The 16th is a check character
//! computed over the name and the 15, so that a mistyped character, or a name that is not the printed one, is
//! caught when the code is typed (31 times in 32). The name is in the code so that `detente enrol CODE` alone tells
//! the device who it is; it is not a secret.
//!
//! **Typing it.** [`Code::parse`] forgives case, spaces and dashes anywhere in the 16 characters, and reads `O` as
//! `0` and `I` and `L` as `1`: the last 16 letters and digits are the code, and what comes before them (separators
//! trimmed) is the name.
//!
//! **The key.** `HMAC-SHA256(code characters, "detente/enrol/v1/key" 0 name)`, the name in normal form C and
//! lowercase: 32 bytes the teacher stores in place of the code and the device stores after enrolling. Its id,
//! [`Key::id`], is 20 hex digits of `HMAC-SHA256(key, "detente/enrol/v1/key-id")`: it names the key in a bundle, so
//! the teacher's side finds the key without trusting any name or identifier the bundle states, and reveals nothing
//! about the key. What is authenticated with a key is [`Key::authenticator`]'s to say: each use has its own label
//! (`bundle` for progress bundles), so a tag made for one purpose never verifies for another.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Crockford's base 32 alphabet: no I, L, O or U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random characters in a code: 75 bits.
pub const RANDOM_CHARS: usize = 15;
/// Characters after the name: the random ones and the check character.
pub const CODE_CHARS: usize = RANDOM_CHARS + 1;
/// The version label every derivation starts with.
const LABEL: &str = "detente/enrol/v1";

type HmacSha256 = Hmac<Sha256>;

/// An enrolment code: a learner's name and 15 random characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Code {
    name: String,
    /// Canonical characters of [`ALPHABET`].
    random: String,
}

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A code is a secret: debug output never shows it.
        write!(f, "Code({:?}, …)", self.name)
    }
}

/// The name as derivations see it: normal form C, lowercase.
fn folded(name: &str) -> String {
    crate::gradebook::normal(name).to_lowercase()
}

/// The check character of a name and its random characters.
fn check_char(name: &str, random: &str) -> char {
    let digest = Sha256::new()
        .chain_update(LABEL)
        .chain_update(b"/check\0")
        .chain_update(folded(name))
        .chain_update(b"\0")
        .chain_update(random)
        .finalize();
    char::from(ALPHABET[usize::from(digest[0] & 31)])
}

/// A typed character as a code character: case ignored, `O` read as `0`, `I` and `L` as `1`; `None` for any other.
fn decode(c: char) -> Option<char> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        c => c,
    };
    (c.is_ascii() && ALPHABET.contains(&(c as u8))).then_some(c)
}

/// Separators a typed code may have anywhere.
fn separator(c: char) -> bool {
    c == '-' || c.is_whitespace()
}

impl Code {
    /// A new code for the learner `name`, its characters drawn from `rng` (seed it from the operating system).
    pub fn generate(name: &str, rng: &mut impl rand_core::Rng) -> Code {
        let random = (0..RANDOM_CHARS)
            .map(|_| char::from(ALPHABET[(rng.next_u32() & 31) as usize]))
            .collect();
        Code {
            name: crate::gradebook::normal(name),
            random,
        }
    }

    /// Reads a typed code (see the module's doc for what is forgiven). The error is one line saying what is wrong.
    pub fn parse(typed: &str) -> std::result::Result<Code, String> {
        let typed = typed.trim();
        let mut chars = Vec::with_capacity(CODE_CHARS);
        let mut start = typed.len();
        for (at, c) in typed.char_indices().rev() {
            if chars.len() == CODE_CHARS {
                break;
            }
            if separator(c) {
                start = at;
                continue;
            }
            match decode(c) {
                Some(d) => {
                    chars.push(d);
                    start = at;
                }
                None => {
                    return Err(format!(
                        "an enrolment code is a name and {CODE_CHARS} letters and digits (as \
                         ann-XXXX-XXXX-XXXX-XXXX), and `{c}` cannot be one of them; this one has {} before it",
                        chars.len()
                    ));
                }
            }
        }
        if chars.len() < CODE_CHARS {
            return Err(format!(
                "an enrolment code is a name and {CODE_CHARS} letters and digits (as ann-XXXX-XXXX-XXXX-XXXX); \
                 this one has {} after the name",
                chars.len()
            ));
        }
        chars.reverse();
        let name = typed[..start].trim_end_matches(separator);
        if name.is_empty() {
            return Err(
                "an enrolment code starts with the learner's name (as ann-XXXX-XXXX-XXXX-XXXX)"
                    .into(),
            );
        }
        crate::gradebook::check_identifier("name in the code", name)?;
        let random: String = chars[..RANDOM_CHARS].iter().collect();
        if check_char(name, &random) != chars[RANDOM_CHARS] {
            return Err(format!(
                "this enrolment code for {name} does not check out: a character is mistyped, or the name before \
                 it is not the one printed with it"
            ));
        }
        Ok(Code {
            name: crate::gradebook::normal(name),
            random,
        })
    }

    /// The learner's name the code carries.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key derived from the code.
    pub fn key(&self) -> Key {
        let mut mac = keyed(self.random.as_bytes());
        mac.update(LABEL.as_bytes());
        mac.update(b"/key\0");
        mac.update(folded(&self.name).as_bytes());
        Key(mac.finalize().into_bytes().into())
    }
}

/// `NAME-XXXX-XXXX-XXXX-XXXX`, as printed for the learner.
impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut all = self.random.clone();
        all.push(check_char(&self.name, &self.random));
        write!(f, "{}", self.name)?;
        for (i, c) in all.chars().enumerate() {
            if i % 4 == 0 {
                f.write_str("-")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// An HMAC-SHA256 keyed with `key` (any length is a valid HMAC key).
fn keyed(key: &[u8]) -> HmacSha256 {
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm is never taken.
        Err(_) => HmacSha256::new(&Default::default()),
    }
}

/// A learner's key: 32 bytes derived from their enrolment code.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", self.id())
    }
}

/// How a tag is written: this prefix, then 64 lowercase hex digits.
pub const TAG_PREFIX: &str = "hmac-sha256:";

impl Key {
    /// The key as stored: `None` unless `bytes` is 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Option<Key> {
        <[u8; 32]>::try_from(bytes).ok().map(Key)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key's public name: 20 hex digits.
    pub fn id(&self) -> String {
        let mut mac = keyed(&self.0);
        mac.update(LABEL.as_bytes());
        mac.update(b"/key-id");
        hex(&mac.finalize().into_bytes()[..10])
    }

    /// An authenticator for `purpose` (such as `bundle`): write the bytes to it, then [`Authenticator::tag`] or
    /// [`Authenticator::verify`].
    pub fn authenticator(&self, purpose: &str) -> Authenticator {
        let mut mac = keyed(&self.0);
        mac.update(LABEL.as_bytes());
        mac.update(b"/");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        Authenticator(mac)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An HMAC being computed over bytes written to it, a part at a time.
#[derive(Clone)]
pub struct Authenticator(HmacSha256);

impl Authenticator {
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The tag of what was written, as bundles state it (`hmac-sha256:` and 64 hex digits).
    pub fn tag(self) -> String {
        format!("{TAG_PREFIX}{}", hex(&self.0.finalize().into_bytes()))
    }

    /// Whether `stated` is the tag of what was written, compared in constant time.
    pub fn verify(self, stated: &str) -> bool {
        let Some(digits) = stated.strip_prefix(TAG_PREFIX) else {
            return false;
        };
        let bytes: Option<Vec<u8>> = (0..digits.len())
            .step_by(2)
            .map(|i| {
                digits
                    .get(i..i + 2)
                    .and_then(|d| u8::from_str_radix(d, 16).ok())
            })
            .collect();
        match bytes {
            Some(b) if b.len() == 32 && digits.len() == 64 => self.0.verify_slice(&b).is_ok(),
            _ => false,
        }
    }
}

impl std::io::Write for Authenticator {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn code(name: &str, seed: u8) -> Code {
        Code::generate(name, &mut ChaCha20Rng::from_seed([seed; 32]))
    }

    #[test]
    fn a_code_is_a_name_and_four_groups_of_four_and_reads_back() {
        let c = code("ann", 1);
        let text = c.to_string();
        let groups: Vec<&str> = text.split('-').collect();
        assert_eq!(groups[0], "ann");
        assert_eq!(groups.len(), 5, "{text}");
        assert!(
            groups[1..]
                .iter()
                .all(|g| g.len() == 4 && g.bytes().all(|b| ALPHABET.contains(&b)))
        );
        assert_eq!(Code::parse(&text), Ok(c.clone()));
        assert_ne!(
            code("ann", 2).to_string(),
            text,
            "another seed, another code"
        );
    }

    /// Attack: a student types the code as people do (lowercase, spaces, no dashes, O for 0, l for 1); the code
    /// must still read, and to the same key.
    #[test]
    fn typing_forgives_case_spaces_dashes_and_look_alikes() {
        let c = code("Ann", 3);
        let text = c.to_string();
        let chars: String = text["Ann-".len()..].replace('-', "");
        let variants = [
            text.to_lowercase(),
            format!("  Ann {}  ", chars.to_lowercase()),
            format!("ann{chars}"),
            format!(
                "ann - {}",
                chars.chars().map(|c| format!("{c} ")).collect::<String>()
            ),
            format!("Ann-{}", chars.replace('0', "O").replace('1', "l")),
            format!("Ann-{}", chars.replace('1', "I").replace('0', "o")),
        ];
        for v in variants {
            let read = Code::parse(&v).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(read.key(), c.key(), "{v}");
        }
    }

    /// Attack: a typo, a swapped name or a short code; each is refused with a one-line reason instead of enrolling
    /// the device with a key nobody issued.
    #[test]
    fn a_mistyped_code_or_another_name_is_refused() {
        let c = code("ann", 4);
        let text = c.to_string();
        let last = text.chars().last().unwrap_or('0');
        let other = if last == 'Z' { 'Y' } else { 'Z' };
        let typo = format!("{}{other}", &text[..text.len() - 1]);
        assert!(
            Code::parse(&typo)
                .unwrap_err()
                .contains("does not check out")
        );
        let renamed = text.replacen("ann", "bob", 1);
        assert!(Code::parse(&renamed).is_err());
        let short = Code::parse("uu-1234-5678").unwrap_err();
        assert!(
            short.contains("`u`") && short.contains("has 8 before it"),
            "{short}"
        );
        assert!(
            Code::parse("1234-5678")
                .unwrap_err()
                .contains("has 8 after the name")
        );
        assert!(
            Code::parse(&text[4..])
                .unwrap_err()
                .contains("starts with the learner's name")
        );
        assert!(
            Code::parse("ann-12U4-5678-9ABC-DEFG")
                .unwrap_err()
                .contains("`U`")
        );
        for e in [Code::parse(&typo), Code::parse("x")] {
            assert!(!e.unwrap_err().contains('\n'));
        }
    }

    #[test]
    fn keys_are_bound_to_the_code_and_the_name_and_tags_to_the_purpose() {
        let (a, b) = (code("ann", 5), code("ann", 6));
        assert_ne!(a.key(), b.key());
        assert_eq!(a.key().id().len(), 20);
        assert_ne!(a.key().id(), b.key().id());
        assert_eq!(Key::from_bytes(a.key().as_bytes()), Some(a.key()));
        assert_eq!(Key::from_bytes(&[0; 31]), None);
        // The same random characters under another name give another key.
        let renamed = Code {
            name: "bob".into(),
            random: a.random.clone(),
        };
        assert_ne!(renamed.key(), a.key());
        // The name's case does not change it.
        let upper = Code {
            name: "ANN".into(),
            random: a.random.clone(),
        };
        assert_eq!(upper.key(), a.key());
        let tag = |key: &Key, purpose: &str, text: &[u8]| {
            let mut m = key.authenticator(purpose);
            m.update(text);
            m
        };
        let t = tag(&a.key(), "bundle", b"hello").tag();
        assert!(t.starts_with(TAG_PREFIX) && t.len() == TAG_PREFIX.len() + 64);
        assert!(tag(&a.key(), "bundle", b"hello").verify(&t));
        assert!(!tag(&a.key(), "bundle", b"hellp").verify(&t));
        assert!(!tag(&b.key(), "bundle", b"hello").verify(&t));
        assert!(!tag(&a.key(), "device", b"hello").verify(&t));
        assert!(!tag(&a.key(), "bundle", b"hello").verify(&t[..t.len() - 2]));
        assert!(!tag(&a.key(), "bundle", b"hello").verify(&t.to_uppercase()));
        assert!(!tag(&a.key(), "bundle", b"hello").verify(""));
    }

    #[test]
    fn a_code_never_shows_in_debug_output() {
        let c = code("ann", 7);
        let text = c.to_string();
        let shown = format!("{c:?} {:?}", c.key());
        assert!(!shown.contains(&text[4..8]), "{shown}");
    }
}
