//! A real headless browser for the tests: Debian's Chromium driven over the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`: JSON messages ended by a NUL byte, on the browser's file descriptors 3 and 4, which a
//! shell maps onto the child's stdin and stdout), so no WebDriver, no websocket and no crate beyond serde_json.
//!
//! [`Browser::open`] loads a page at a given width and collects what the page reported as errors (uncaught
//! exceptions, `console.error`, failed loads and security violations from the browser's log); [`Page::eval`] runs a
//! script and returns its value; [`Page::screenshot`] keeps a PNG under `target/screenshots/` as the test's artifact;
//! [`Page::layout`] measures what the issue's readers check: horizontal overflow and the smallest text on screen.
//!
//! Chromium is started as the probe of this machine starts it as root (`--no-sandbox`, no background networking,
//! a fresh profile). Without `/usr/bin/chromium` the test fails saying how to install it (`.ci/run` does).

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
/// How long one protocol step may take before the test fails (a page load on a loaded machine included).
const STEP: Duration = Duration::from_secs(60);

/// One headless Chromium, closed when dropped.
pub struct Browser {
    child: Child,
    input: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

/// One tab, at one viewport width, with what it reported as errors since it was opened.
pub struct Page<'b> {
    browser: &'b mut Browser,
    session: String,
    /// Uncaught exceptions, `console.error` calls and the browser's error log entries, in order.
    pub errors: Vec<String>,
}

/// What a page's layout shows at its width.
#[derive(Debug)]
pub struct Layout {
    /// The viewport's width in CSS pixels.
    pub width: f64,
    /// The document's scroll width: more than `width` means the page scrolls sideways.
    pub scroll_width: f64,
    /// Elements whose box reaches past the viewport's right edge (outside a sideways-scrolling box).
    pub overflowing: Vec<String>,
    /// The smallest rendered text on the page, in CSS pixels, with the text it belongs to.
    pub smallest_text: (f64, String),
}

impl Browser {
    /// Starts Chromium, or fails the test saying how to install it.
    pub fn start() -> Browser {
        assert!(
            Path::new(CHROMIUM).exists(),
            "the browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium (.ci/run installs it)"
        );
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("exec \"$0\" \"$@\" 3<&0 4>&1 1>/dev/null")
            .arg(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                // The class server's certificate is the test's own CA's (loopback only).
                "--ignore-certificate-errors",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let input = child.stdin.take().expect("stdin");
        let output = child.stdout.take().expect("stdout");
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(output);
            let mut buf = Vec::new();
            while reader.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&buf)
                    && tx.send(v).is_err()
                {
                    return;
                }
                buf.clear();
            }
        });
        Browser {
            child,
            input,
            messages,
            next_id: 0,
            _profile: profile,
        }
    }

    fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> u64 {
        self.next_id += 1;
        let mut m = json!({ "id": self.next_id, "method": method, "params": params });
        if let Some(s) = session {
            m["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&m).expect("json");
        bytes.push(0);
        self.input.write_all(&bytes).expect("write to chromium");
        self.input.flush().expect("flush");
        self.next_id
    }

    /// Waits for the next message, failing the test after [`STEP`].
    fn next(&mut self) -> Value {
        self.messages
            .recv_timeout(STEP)
            .expect("chromium answered nothing in time (or exited)")
    }

    /// Calls a method and returns its result; events that arrive meanwhile go to `events`.
    fn call(
        &mut self,
        method: &str,
        params: Value,
        session: Option<&str>,
        events: &mut Vec<Value>,
    ) -> Value {
        let id = self.send(method, params, session);
        loop {
            let m = self.next();
            if m["id"].as_u64() == Some(id) {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
            events.push(m);
        }
    }

    /// Opens `url` in a new tab `width` CSS pixels wide (a phone below 600: touch, mobile viewport) and waits for
    /// its load event.
    pub fn open(&mut self, url: &str, width: u32) -> Page<'_> {
        let mut events = Vec::new();
        let target = self.call(
            "Target.createTarget",
            json!({ "url": "about:blank" }),
            None,
            &mut events,
        );
        let session = self.call(
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
            None,
            &mut events,
        )["sessionId"]
            .as_str()
            .expect("session")
            .to_string();
        for m in ["Page.enable", "Runtime.enable", "Log.enable"] {
            self.call(m, json!({}), Some(&session), &mut events);
        }
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600 }),
            Some(&session),
            &mut events,
        );
        let mut page = Page {
            browser: self,
            session,
            errors: Vec::new(),
        };
        page.navigate(url);
        page
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.send("Browser.close", json!({}), None);
        std::thread::sleep(Duration::from_millis(100));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Page<'_> {
    /// Loads `url` in this tab and waits for its load event.
    pub fn navigate(&mut self, url: &str) {
        let mut events = Vec::new();
        let session = self.session.clone();
        self.browser.call(
            "Page.navigate",
            json!({ "url": url }),
            Some(&session),
            &mut events,
        );
        self.wait_for_load(events);
    }

    fn wait_for_load(&mut self, mut events: Vec<Value>) {
        loop {
            let loaded = events
                .iter()
                .any(|m| m["method"] == "Page.loadEventFired" && m["sessionId"] == *self.session);
            self.note_errors(&events);
            if loaded {
                return;
            }
            events = vec![self.browser.next()];
        }
    }

    fn note_errors(&mut self, events: &[Value]) {
        for m in events.iter().filter(|m| m["sessionId"] == *self.session) {
            let p = &m["params"];
            match m["method"].as_str() {
                Some("Runtime.exceptionThrown") => self
                    .errors
                    .push(format!("exception: {}", p["exceptionDetails"])),
                Some("Runtime.consoleAPICalled") if p["type"] == "error" => {
                    self.errors.push(format!("console.error: {}", p["args"]))
                }
                Some("Log.entryAdded") if p["entry"]["level"] == "error" => {
                    self.errors.push(format!("log: {}", p["entry"]["text"]))
                }
                _ => {}
            }
        }
    }

    /// Runs `script` in the page and returns its value (awaited if it is a promise).
    pub fn eval(&mut self, script: &str) -> Value {
        let mut events = Vec::new();
        let session = self.session.clone();
        let r = self.browser.call(
            "Runtime.evaluate",
            json!({ "expression": script, "returnByValue": true, "awaitPromise": true }),
            Some(&session),
            &mut events,
        );
        self.note_errors(&events);
        assert!(
            r.get("exceptionDetails").is_none(),
            "{script}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Runs `script`, which makes the page navigate (a form submitted, a link followed), and waits for the new page.
    /// (The class page's tests use it, and they need the server.)
    #[cfg(feature = "server")]
    pub fn eval_and_wait(&mut self, script: &str) {
        let mut events = Vec::new();
        let session = self.session.clone();
        self.browser.call(
            "Runtime.evaluate",
            json!({ "expression": script }),
            Some(&session),
            &mut events,
        );
        self.wait_for_load(events);
    }

    /// The address the page is at now (after redirects).
    #[cfg(feature = "server")]
    pub fn url(&mut self) -> String {
        self.eval("location.href")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The page's text as a reader sees it.
    pub fn text(&mut self) -> String {
        self.eval("document.body.innerText")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Saves a full-page screenshot as `target/screenshots/NAME.png` and returns its path.
    pub fn screenshot(&mut self, name: &str) -> PathBuf {
        let mut events = Vec::new();
        let session = self.session.clone();
        let r = self.browser.call(
            "Page.captureScreenshot",
            json!({ "format": "png", "captureBeyondViewport": true }),
            Some(&session),
            &mut events,
        );
        self.note_errors(&events);
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        let png = decode_base64(r["data"].as_str().expect("png data"));
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Asserts what a reader at this width needs, the screenshot `target/screenshots/NAME-WIDTH.png` kept: no error
    /// reported, no sideways scrolling, every button and link in view, no text under 12 px.
    pub fn assert_reads_well(&mut self, name: &str, width: u32) {
        let layout = self.layout();
        let reachable = self.eval(
            "[...document.querySelectorAll('button, a')].every(b => b.getBoundingClientRect().right <= innerWidth)",
        );
        let shot = self.screenshot(&format!("{name}-{width}"));
        assert!(
            self.errors.is_empty(),
            "{name} at {width}px: {:?}",
            self.errors
        );
        assert!(
            layout.scroll_width <= layout.width && layout.overflowing.is_empty(),
            "{name} at {width}px overflows: {layout:?}; see {}",
            shot.display()
        );
        assert_eq!(
            reachable,
            true,
            "{name} at {width}px: a button or link is off screen; see {}",
            shot.display()
        );
        assert!(
            layout.smallest_text.0 >= 12.0,
            "{name} at {width}px: text of {:.1}px ({}); see {}",
            layout.smallest_text.0,
            layout.smallest_text.1,
            shot.display()
        );
    }

    /// Measures the page: its scroll width against the viewport, the elements that reach past the right edge (a box
    /// inside an element that scrolls sideways on its own does not count: the page itself does not move), and the
    /// smallest text as rendered (SVG text scaled by its drawing's transform).
    pub fn layout(&mut self) -> Layout {
        let v = self.eval(LAYOUT_SCRIPT);
        Layout {
            width: v["width"].as_f64().expect("width"),
            scroll_width: v["scrollWidth"].as_f64().expect("scrollWidth"),
            overflowing: v["overflowing"]
                .as_array()
                .expect("overflowing")
                .iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect(),
            smallest_text: (
                v["smallest"].as_f64().expect("smallest"),
                v["smallestText"].as_str().unwrap_or_default().to_string(),
            ),
        }
    }
}

const LAYOUT_SCRIPT: &str = r#"(() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className : '')
    + ': ' + (el.textContent || '').trim().slice(0, 40);
  const overflowing = [];
  let smallest = 1e9, smallestText = '';
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > width + 0.5 && !scrolls(el)) overflowing.push(name(el));
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    let size = parseFloat(style.fontSize);
    if (el instanceof SVGElement && el.ownerSVGElement) {
      const m = el.ownerSVGElement.getScreenCTM();
      if (m) size *= Math.sqrt(m.a * m.d);
    }
    if (size < smallest) { smallest = size; smallestText = name(el); }
  }
  return { width, scrollWidth: document.documentElement.scrollWidth, overflowing, smallest, smallestText };
})()"#;

/// Standard base64 (the protocol's screenshots), without a crate: four characters make three bytes.
fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks(4) {
        let pad = chunk.iter().filter(|&&c| c == b'=').count();
        let n = chunk
            .iter()
            .map(|&c| if c == b'=' { 0 } else { val(c) })
            .fold(0u32, |acc, v| (acc << 6) | v);
        let n = n << (6 * (4 - chunk.len()));
        let three = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&three[..3 - pad]);
    }
    out
}

/// `file://` URL of a local file.
pub fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}
