//! The tool's outgoing HTTPS to platforms (their key sets, token endpoints and grade books): one blocking request
//! per connection over rustls (*ring*), trusting the public roots and the configured certificate authority, with
//! the same small HTTP/1.1 exchange the client uses. It runs on the server's blocking threads.

use crate::server::client::{provider, read_certificates};
use crate::server::http;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long a platform may take to connect, and then to answer each read.
const WAIT: Duration = Duration::from_secs(30);
/// The longest answer read from a platform.
const MAX_ANSWER: usize = 8 << 20;

/// What the tool trusts for the platforms' certificates.
#[derive(Clone)]
pub struct Web {
    config: Arc<rustls::ClientConfig>,
}

/// An https URL's parts: host, port and the path with its query.
pub fn split_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| format!("{url} is not an https:// URL"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    let (host, port) = crate::server::client::parse_url(&format!("https://{authority}"))
        .map_err(|e| format!("{url}: {e}"))?;
    Ok((host, port, path))
}

impl Web {
    /// Trusts the public roots and, if given, the certificate authorities of the PEM file `ca`.
    pub fn new(ca: Option<&Path>) -> Result<Web, String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(file) = ca {
            for cert in read_certificates(file)? {
                roots.add(cert).map_err(|e| {
                    format!(
                        "{}: not a certificate authority's certificate ({e})",
                        file.display()
                    )
                })?;
            }
        }
        let config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Web {
            config: Arc::new(config),
        })
    }

    /// One request to `url`; the answer whatever its status. An error says what went wrong on the way.
    pub fn request(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<http::Response, String> {
        let (host, port, path) = split_url(url)?;
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| format!("{url}: {host:?} is not a host name ({e})"))?;
        let tcp = connect(&host, port).map_err(|e| format!("cannot reach {host}:{port}: {e}"))?;
        let conn = rustls::ClientConnection::new(self.config.clone(), name)
            .map_err(|e| format!("cannot set up TLS: {e}"))?;
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        let authority = if port == 443 {
            host.clone()
        } else if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        http::exchange_at(
            &mut stream,
            &authority,
            method,
            &path,
            headers,
            body,
            MAX_ANSWER,
        )
        .map_err(|e| format!("{method} {url}: {e}"))
    }
}

fn connect(host: &str, port: u16) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::other(format!("{host} has no address"));
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, WAIT) {
            Ok(stream) => {
                stream.set_read_timeout(Some(WAIT))?;
                stream.set_write_timeout(Some(WAIT))?;
                return Ok(stream);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_their_path_and_query() {
        assert_eq!(
            split_url("https://lms.example.edu/api/lti/courses/3/line_items?tag=x").unwrap(),
            (
                "lms.example.edu".into(),
                443,
                "/api/lti/courses/3/line_items?tag=x".into()
            )
        );
        assert_eq!(
            split_url("https://127.0.0.1:9443").unwrap(),
            ("127.0.0.1".into(), 9443, "/".into())
        );
        assert!(split_url("http://lms.example.edu/x").is_err());
    }
}
