//! Moodle XML as a stream of small trees: the file is read with quick-xml event by event, and each `<question>`
//! element under `<quiz>` is built into a [`Node`] tree of its own and handed on, so only one question is in memory
//! at a time, and never more than [`MAX_QUESTION_BYTES`] of input: a longer one is stopped before it is held whole.
//! Every node knows the line it starts on, and an XML error is reported at the line and column where it was found.

use crate::deck::convert::{ConvertError, MAX_QUESTION_BYTES, too_long};
use quick_xml::events::Event;
use std::io::BufRead;

/// One element: its name, attributes, child elements, the text directly inside it (text, CDATA and references,
/// resolved), the comments directly inside it, and the line its start tag ends on.
#[derive(Debug, Clone, Default)]
pub(super) struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub text: String,
    pub comments: Vec<String>,
    pub line: usize,
}

impl Node {
    /// The first child element named `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child element named `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// An attribute's value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The text a Moodle field holds: its `<text>` child's, or (the old layout) its own.
    pub fn text_in(&self) -> &str {
        match self.child("text") {
            Some(t) => &t.text,
            None => &self.text,
        }
    }

    /// The text of child `name` (see [`Node::text_in`]), trimmed; empty when there is no such child.
    pub fn field(&self, name: &str) -> &str {
        self.child(name).map_or("", |c| c.text_in().trim())
    }

    /// Every element in this tree (itself included) named `name`, depth first.
    pub fn descendants<'a>(&'a self, name: &str, found: &mut Vec<&'a Node>) {
        if self.name == name {
            found.push(self);
        }
        for c in &self.children {
            c.descendants(name, found);
        }
    }
}

/// A `BufRead` that counts lines as the XML reader consumes its bytes, and refuses to hand out more than
/// [`MAX_QUESTION_BYTES`] past a mark (the start of the question being read).
struct Counted<R> {
    inner: R,
    consumed: u64,
    line: usize,
    column: usize,
    mark: Option<u64>,
}

impl<R: BufRead> std::io::Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// The io error a [`Counted`] gives when a question runs past [`MAX_QUESTION_BYTES`].
#[derive(Debug)]
struct TooLong;

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("question too long")
    }
}

impl std::error::Error for TooLong {}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if let Some(mark) = self.mark
            && self.consumed - mark > MAX_QUESTION_BYTES as u64
        {
            return Err(std::io::Error::other(TooLong));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        if let Ok(bytes) = self.inner.fill_buf() {
            for &b in &bytes[..n.min(bytes.len())] {
                if b == b'\n' {
                    self.line += 1;
                    self.column = 1;
                } else if b & 0xC0 != 0x80 {
                    // One column per character: UTF-8 continuation bytes do not count.
                    self.column += 1;
                }
            }
        }
        self.consumed += n as u64;
        self.inner.consume(n);
    }
}

/// What [`items`] hands on: a whole element directly under `<quiz>` (a `<question>` or another), or a comment there.
pub(super) enum Item {
    Element(Node),
    Comment(String),
}

/// Reads a Moodle XML file and hands `each` every element directly under `<quiz>` (its `<question>`s), whole, in file
/// order, and the comments between them. An input that is not well-formed XML, or whose root element is not
/// `<quiz>`, is an error at its line and column.
pub(super) fn items(
    input: impl BufRead,
    each: &mut dyn FnMut(Item) -> Result<(), ConvertError>,
) -> Result<(), ConvertError> {
    let mut reader = quick_xml::Reader::from_reader(Counted {
        inner: input,
        consumed: 0,
        line: 1,
        column: 1,
        mark: None,
    });
    let mut buf = Vec::new();
    let mut stack: Vec<Node> = Vec::new();
    let mut root = false;
    let mut started = 1usize;
    loop {
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(e) => {
                let counted = reader.get_ref();
                if let quick_xml::Error::Io(io) = &e
                    && io.get_ref().is_some_and(|inner| inner.is::<TooLong>())
                {
                    return Err(too_long(started));
                }
                return Err(ConvertError::at(
                    counted.line,
                    counted.column,
                    format!("not well-formed XML: {e}"),
                ));
            }
        };
        let (line, column) = (reader.get_ref().line, reader.get_ref().column);
        let at = |message: String| ConvertError::at(line, column, message);
        match event {
            Event::Start(e) | Event::Empty(e)
                if !root && stack.is_empty() && e.name().as_ref() != "quiz" =>
            {
                return Err(at(format!(
                    "not Moodle XML: the root element is <{}>, where Moodle's question bank has <quiz>",
                    e.name().as_ref()
                )));
            }
            Event::Start(_) | Event::Empty(_) if !root => root = true,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let mut node = Node {
                    name: e.name().as_ref().to_string(),
                    line,
                    ..Node::default()
                };
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| at(format!("not well-formed XML: {e}")))?;
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| at(format!("not well-formed XML: {e}")))?;
                    node.attrs
                        .push((attr.key.as_ref().to_string(), value.into_owned()));
                }
                if stack.is_empty() {
                    started = line;
                    reader.get_mut().mark = Some(reader.get_ref().consumed);
                }
                if empty {
                    close(node, &mut stack, each)?;
                    if stack.is_empty() {
                        reader.get_mut().mark = None;
                    }
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                // quick-xml checks that end tags match their start tags; the `</quiz>` has no node.
                if let Some(node) = stack.pop() {
                    close(node, &mut stack, each)?;
                    if stack.is_empty() {
                        reader.get_mut().mark = None;
                    }
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match &*r.xml10_content() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        name => {
                            return Err(at(format!(
                                "not well-formed XML: `&{name};` is no entity XML defines"
                            )));
                        }
                    },
                    Err(e) => return Err(at(format!("not well-formed XML: {e}"))),
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Comment(c) => match stack.last_mut() {
                Some(top) => top.comments.push(c.xml10_content().into_owned()),
                None if root => each(Item::Comment(c.xml10_content().into_owned()))?,
                None => {}
            },
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !root {
        let counted = reader.get_ref();
        return Err(ConvertError::at(
            counted.line,
            counted.column,
            "not Moodle XML: there is no <quiz> element",
        ));
    }
    if let Some(open) = stack.first() {
        let counted = reader.get_ref();
        return Err(ConvertError::at(
            counted.line,
            counted.column,
            format!(
                "not well-formed XML: the file ends inside the <{}> that starts on line {}",
                open.name, open.line
            ),
        ));
    }
    Ok(())
}

/// A finished element: attached to its parent, or, at the top, handed on.
fn close(
    node: Node,
    stack: &mut [Node],
    each: &mut dyn FnMut(Item) -> Result<(), ConvertError>,
) -> Result<(), ConvertError> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(node);
            Ok(())
        }
        None => each(Item::Element(node)),
    }
}
