//! The TLS listener's certificate and key (rustls on *ring*, no OpenSSL): read from the configured PEM files when
//! the server starts (a bad pair stops it there), and re-read before a handshake when either file changed (its
//! modification time, size or inode: a file replaced by a rename counts), so that a renewed certificate is served
//! without a restart. A new pair that does not load (a key that does not match its certificate, a file half
//! written) keeps the old one in service, with one log line per change seen.

use super::Log;
use super::client::{provider, read_certificates};
use super::config;
use crate::error::{Error, Result};
use rustls::ServerConfig;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;
use tokio_rustls::TlsAcceptor;

/// What identifies a file's version: its modification time, size and inode (`None` when it cannot be read).
type Stamp = Option<(SystemTime, u64, u64)>;

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len(), m.ino()))
}

/// The certificate and key in service, and the files they come from.
pub struct Certified {
    certificate: PathBuf,
    key: PathBuf,
    log: Log,
    current: Mutex<Current>,
}

struct Current {
    acceptor: TlsAcceptor,
    /// The files' stamps when they were last read, whether or not they loaded.
    seen: (Stamp, Stamp),
}

impl Certified {
    /// Loads the configured pair; a pair that does not load is an error naming the file (the server does not
    /// start).
    pub fn load(tls: &config::Tls, log: Log) -> Result<Certified> {
        let seen = (stamp(&tls.certificate), stamp(&tls.key));
        let config = server_config(&tls.certificate, &tls.key).map_err(Error::InvalidData)?;
        Ok(Certified {
            certificate: tls.certificate.clone(),
            key: tls.key.clone(),
            log,
            current: Mutex::new(Current {
                acceptor: TlsAcceptor::from(Arc::new(config)),
                seen,
            }),
        })
    }

    /// The acceptor for the next handshake: the pair re-read first if either file changed since it was last read.
    /// (Two `stat`s per connection, and a read only after a change: cheap enough to do on the accepting task.)
    pub fn acceptor(&self) -> TlsAcceptor {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let now = (stamp(&self.certificate), stamp(&self.key));
        if now != current.seen {
            current.seen = now;
            match server_config(&self.certificate, &self.key) {
                Ok(config) => {
                    current.acceptor = TlsAcceptor::from(Arc::new(config));
                    (self.log)(&format!(
                        "tls: reloaded the certificate {} and key {}",
                        self.certificate.display(),
                        self.key.display()
                    ));
                }
                Err(e) => (self.log)(&format!(
                    "error: tls: the changed certificate or key does not load, the previous pair stays in \
                     service: {e}"
                )),
            }
        }
        current.acceptor.clone()
    }
}

/// A rustls server configuration of the certificate chain in `certificate` and the private key in `key` (both
/// PEM), checked to match; an error names the file.
fn server_config(certificate: &Path, key: &Path) -> std::result::Result<ServerConfig, String> {
    let chain = read_certificates(certificate)?;
    let bytes = std::fs::read(key).map_err(|e| format!("cannot read {}: {e}", key.display()))?;
    let private = PrivateKeyDer::from_pem_slice(&bytes)
        .map_err(|e| format!("{}: not a PEM private key ({e})", key.display()))?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            format!(
                "{} and {} are not a certificate and its key ({e})",
                certificate.display(),
                key.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
