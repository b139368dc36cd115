//! JSON Web Tokens as LTI 1.3 uses them, RS256 only (RSA PKCS#1 v1.5 with SHA-256, on *ring*, which the TLS
//! listener already uses): a token split into its header, claims and signature; its signature checked against a
//! platform's public key from its key set (JWKS), found by `kid`; and the tool's own tokens signed with its
//! private key, whose public half is the tool's key set. Any other algorithm (`none`, HS256) is refused before a
//! key is looked at, so a token cannot choose how it is checked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Base64url without padding, as JWTs and JWKs write bytes.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads base64url (padding tolerated).
pub fn unb64(text: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| format!("not base64url ({e})"))
}

/// An RSA public key: its modulus and exponent, big-endian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

/// A JSON Web Key of an RSA public key, as a key set lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub usage: Option<String>,
    #[serde(default)]
    pub n: String,
    #[serde(default)]
    pub e: String,
}

/// A key set: `{"keys": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// The RSA signing keys of a key set, by `kid` (a key without one is listed under the empty id); keys of other
/// types or for encryption are skipped.
pub fn parse_jwks(bytes: &[u8]) -> Result<HashMap<String, PublicKey>, String> {
    let set: Jwks =
        serde_json::from_slice(bytes).map_err(|e| format!("not a JSON Web Key Set ({e})"))?;
    let mut keys = HashMap::new();
    for k in set.keys {
        if k.kty != "RSA" || k.usage.as_deref().is_some_and(|u| u != "sig") {
            continue;
        }
        let key = PublicKey {
            n: unb64(&k.n)?,
            e: unb64(&k.e)?,
        };
        keys.insert(k.kid.unwrap_or_default(), key);
    }
    Ok(keys)
}

/// A token's header fields detente reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
}

/// A token read but not yet verified: nothing in it may be trusted before [`Unverified::verify`].
#[derive(Debug, Clone)]
pub struct Unverified {
    pub header: Header,
    pub claims: serde_json::Value,
    signed: String,
    signature: Vec<u8>,
}

impl Unverified {
    /// Splits a compact JWT (`header.claims.signature`); an algorithm other than RS256 is refused here.
    pub fn parse(token: &str) -> Result<Unverified, String> {
        let mut parts = token.trim().split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(
                "the id token is not a signed JWT (three parts separated by dots)".to_string(),
            );
        };
        let header: Header = serde_json::from_slice(&unb64(h)?)
            .map_err(|e| format!("the id token's header is not JSON ({e})"))?;
        if header.alg != "RS256" {
            return Err(format!(
                "the id token is signed with {:?}, and LTI 1.3 tokens are RS256",
                header.alg
            ));
        }
        let claims: serde_json::Value = serde_json::from_slice(&unb64(c)?)
            .map_err(|e| format!("the id token's claims are not JSON ({e})"))?;
        if !claims.is_object() {
            return Err("the id token's claims are not a JSON object".to_string());
        }
        Ok(Unverified {
            header,
            claims,
            signed: format!("{h}.{c}"),
            signature: unb64(s)?,
        })
    }

    /// Checks the signature with `key` (RSA of 2048 bits or more, SHA-256).
    pub fn verify(&self, key: &PublicKey) -> Result<(), String> {
        RsaPublicKeyComponents {
            n: &key.n,
            e: &key.e,
        }
        .verify(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            self.signed.as_bytes(),
            &self.signature,
        )
        .map_err(|_| "the id token's signature does not verify with the platform's key".to_string())
    }
}

/// The tool's private key, and the key id it is published under.
pub struct Signer {
    pair: ring::rsa::KeyPair,
    kid: String,
}

impl Signer {
    /// Reads a PEM private key (PKCS#8, as `openssl genpkey` writes, or PKCS#1).
    pub fn from_pem(pem: &[u8]) -> Result<Signer, String> {
        use rustls::pki_types::PrivateKeyDer;
        use rustls::pki_types::pem::PemObject;
        let der = PrivateKeyDer::from_pem_slice(pem)
            .map_err(|e| format!("not a PEM private key ({e})"))?;
        let pair = match &der {
            PrivateKeyDer::Pkcs8(k) => ring::rsa::KeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => ring::rsa::KeyPair::from_der(k.secret_pkcs1_der()),
            _ => {
                return Err(
                    "not an RSA private key (make one with `openssl genpkey -algorithm RSA -pkeyopt \
                     rsa_keygen_bits:2048`)"
                        .to_string(),
                );
            }
        }
        .map_err(|e| format!("not a usable RSA private key of 2048 bits or more ({e})"))?;
        let public = Self::components(&pair);
        let mut hash = Sha256::new();
        hash.update(&public.n);
        hash.update(&public.e);
        let kid = b64(&hash.finalize()[..16]);
        Ok(Signer { pair, kid })
    }

    fn components(pair: &ring::rsa::KeyPair) -> PublicKey {
        let c = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
        PublicKey { n: c.n, e: c.e }
    }

    /// The key id of the tool's key (derived from the public key, so it changes with the key).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half as a key set entry.
    pub fn jwk(&self) -> Jwk {
        let public = Self::components(&self.pair);
        Jwk {
            kty: "RSA".to_string(),
            kid: Some(self.kid.clone()),
            alg: Some("RS256".to_string()),
            usage: Some("sig".to_string()),
            n: b64(&public.n),
            e: b64(&public.e),
        }
    }

    /// A compact JWT of `claims`, signed RS256 with this key and naming its `kid`.
    pub fn sign(&self, claims: &serde_json::Value) -> Result<String, String> {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signed.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "cannot sign with the tool's key".to_string())?;
        Ok(format!("{signed}.{}", b64(&signature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_algorithms_and_malformed_tokens_are_refused_before_any_key() {
        let h = |alg: &str| b64(format!("{{\"alg\":\"{alg}\"}}").as_bytes());
        let c = b64(b"{\"iss\":\"x\"}");
        for token in [
            format!("{}.{c}.", h("none")),
            format!("{}.{c}.c2ln", h("HS256")),
            format!("{}.{c}", h("RS256")),
            format!("{}.{}.c2ln", h("RS256"), b64(b"[1]")),
            "a.b.c.d".to_string(),
        ] {
            assert!(Unverified::parse(&token).is_err(), "{token}");
        }
    }
}
