//! The client's HTTP/1.1 exchange, one request per connection: the request written whole with `Connection: close`,
//! the answer read to the end of the stream (at most a limit), its head parsed by `httparse` (hyper's parser) and
//! its body taken by `Content-Length`, by chunks, or to the end. Blocking and small, so that the client in the
//! default build needs no async runtime.

use std::io::{self, Read, Write};

/// An answer: its status, headers (names in lowercase) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of this name (any case), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request over `stream` and reads the whole answer, at most `limit` bytes of it (head and body).
/// Header values must be printable ASCII: a value with a line break would start a header of its own.
pub fn exchange<S: Read + Write>(
    stream: &mut S,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    limit: usize,
) -> io::Result<Response> {
    exchange_at(stream, "localhost", method, path, headers, body, limit)
}

/// [`exchange`] with `host` as the request's `Host` (a platform's name, for the LTI tool's outgoing requests).
#[allow(clippy::too_many_arguments)]
pub fn exchange_at<S: Read + Write>(
    stream: &mut S,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    limit: usize,
) -> io::Result<Response> {
    stream.write_all(&request(host, method, path, headers, body)?)?;
    stream.flush()?;
    let mut answer = Vec::new();
    stream
        .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut answer)?;
    if answer.len() > limit {
        return Err(invalid(format!("the answer is longer than {limit} bytes")));
    }
    parse(&answer)
}

/// The bytes of a request: request line, `Host`, `Connection: close`, `Content-Length`, the given headers, body.
fn request(
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Vec<u8>> {
    let printable = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b));
    if !printable(path) || path.contains(' ') {
        return Err(invalid(format!("not a request path: {path:?}")));
    }
    if !printable(host) || host.contains([' ', '/']) {
        return Err(invalid(format!("not a host: {host:?}")));
    }
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        if !printable(name) || name.contains(':') || !printable(value) {
            return Err(invalid(format!("not a header: {name:?}: {value:?}")));
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    Ok(bytes)
}

/// Parses a whole answer as read to the end of the stream.
fn parse(answer: &[u8]) -> io::Result<Response> {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut head = httparse::Response::new(&mut slots);
    let end = match head.parse(answer) {
        Ok(httparse::Status::Complete(end)) => end,
        Ok(httparse::Status::Partial) => {
            return Err(invalid("the answer ended inside its head".to_string()));
        }
        Err(e) => return Err(invalid(format!("not an HTTP answer ({e})"))),
    };
    let headers: Vec<(String, String)> = head
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let mut response = Response {
        status: head.code.unwrap_or(0),
        headers,
        body: Vec::new(),
    };
    let rest = &answer[end..];
    response.body = if response
        .header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    {
        dechunk(rest)?
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length
            .trim()
            .parse()
            .map_err(|_| invalid(format!("a Content-Length that is not a number: {length}")))?;
        rest.get(..length)
            .ok_or_else(|| {
                invalid(format!(
                    "the answer ended after {} of its {length} bytes",
                    rest.len()
                ))
            })?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(response)
}

/// The body of a chunked answer: each chunk's size in hex on its own line, the chunk, a line end; size 0 ends it.
fn dechunk(mut rest: &[u8]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end =
            find(rest, b"\r\n").ok_or_else(|| invalid("a chunk size without its line end"))?;
        let line = String::from_utf8_lossy(&rest[..line_end]);
        let hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(hex, 16)
            .map_err(|_| invalid(format!("not a chunk size: {hex:?}")))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest
            .get(..size)
            .ok_or_else(|| invalid("the answer ended inside a chunk"))?;
        body.extend_from_slice(chunk);
        rest = rest
            .get(size..)
            .and_then(|r| r.strip_prefix(b"\r\n"))
            .ok_or_else(|| invalid("a chunk without its line end"))?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that records what is written and answers with canned bytes.
    struct Canned {
        written: Vec<u8>,
        answer: io::Cursor<Vec<u8>>,
    }

    impl Read for Canned {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.answer.read(buf)
        }
    }

    impl Write for Canned {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn canned(answer: &str) -> Canned {
        Canned {
            written: Vec::new(),
            answer: io::Cursor::new(answer.as_bytes().to_vec()),
        }
    }

    #[test]
    fn a_request_is_written_whole_and_a_sized_answer_read() {
        let mut s = canned(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 2\r\n\r\n{}trailing",
        );
        let r = exchange(
            &mut s,
            "GET",
            "/v1/hello",
            &[("detente-protocol", "1")],
            b"",
            1 << 20,
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"{}");
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        let sent = String::from_utf8(s.written).unwrap();
        assert_eq!(
            sent,
            "GET /v1/hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n\
             detente-protocol: 1\r\n\r\n"
        );
    }

    #[test]
    fn a_chunked_answer_is_put_back_together() {
        let mut s = canned(
            "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n0\r\n\r\n",
        );
        let r = exchange(&mut s, "GET", "/", &[], b"", 1 << 20).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (403, &b"{\"a\":1}"[..]));
    }

    #[test]
    fn an_answer_without_a_length_runs_to_the_end() {
        let mut s = canned("HTTP/1.1 200 OK\r\n\r\nall of it");
        assert_eq!(
            exchange(&mut s, "GET", "/", &[], b"", 100).unwrap().body,
            b"all of it"
        );
    }

    #[test]
    fn short_long_and_foreign_answers_are_errors_not_panics() {
        for (answer, limit) in [
            ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 100),
            ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 10),
            ("HTTP/1.1 200 OK\r\nContent-Le", 100),
            ("SSH-2.0-OpenSSH_9.2\r\n", 100),
            ("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 100),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                100,
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nabc",
                100,
            ),
        ] {
            let e = exchange(&mut canned(answer), "GET", "/", &[], b"", limit).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{answer:?}: {e}");
        }
    }

    #[test]
    fn a_header_value_cannot_start_a_header_of_its_own() {
        let e = exchange(
            &mut canned(""),
            "GET",
            "/",
            &[("x-name", "ann\r\nx-admin: yes")],
            b"",
            100,
        )
        .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }
}
