//! HTML as plain text: the one conversion every importer that takes HTML uses (Anki fields read as HTML, GIFT text
//! marked `[html]`), so one input gives one text whichever format it came in; and the media references every reader
//! names in a warning. Pure: a string in, a string out.

use super::Warning;
use std::borrow::Cow;

/// HTML as plain text, in one pass:
///
/// * `<br>` (also `<br/>`, `<br />`) is a newline; the start or end of a block (`p`, `div`, `li`, `tr`, `h1` to
///   `h6`) is a line break, unless the text so far is empty or already ends with one;
/// * a media tag is kept as text, as [`media_tag`] writes it (`<img src="map.png">` becomes `[image: map.png]`);
/// * every other tag (`<` then a letter, `/` or `!`, up to the next `>`) is dropped; a `<` that starts no tag, as in
///   `1 < 2`, is text;
/// * character references are decoded once, so `&amp;lt;` is `&lt;`: every named one of HTML (`&amp;`, `&eacute;`,
///   `&rsquo;`, ...) and numeric ones (`&#233;`, `&#xE9;`), each ending with `;`; a no-break space (`&nbsp;`,
///   `&#160;`) is a plain space, as learners type one. A `&` that starts no reference, an unknown name, a reference
///   without its `;` and a number that is no character HTML allows (`&#0;`, a control character) stay as written.
///
/// Other whitespace, newlines included, is kept as written; callers trim the result. Text without tags or references
/// comes back unchanged.
pub fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    while i < html.len() {
        let rest = &html[i..];
        if let Some((len, name)) = tag_at(html, i) {
            let block = ["div", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"]
                .contains(&name.as_str());
            if name == "br" || (block && !out.is_empty() && !out.ends_with('\n')) {
                out.push('\n');
            } else if let Some(kept) = media_tag(&html[i + 1..i + len - 1]) {
                out.push_str(&kept);
            }
            i += len;
        } else if let Some((len, text)) = entity(rest) {
            out.push_str(&text);
            i += len;
        } else if let Some(c) = rest.chars().next() {
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Whether a text holds an HTML tag (`<` then a letter, `/` or `!`, up to a `>`): how the Anki reader tells an HTML
/// field when the file does not say.
pub fn has_tag(s: &str) -> bool {
    s.match_indices('<').any(|(i, _)| tag_at(s, i).is_some())
}

/// The tag starting at byte `i` of `s` (`<` then a letter, `/` or `!`, up to `>`): its length and lower-case name.
fn tag_at(s: &str, i: usize) -> Option<(usize, String)> {
    let rest = s[i..].strip_prefix('<')?;
    let first = rest.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '/' || first == '!') {
        return None;
    }
    let end = rest.find('>')?;
    let name = rest[..end]
        .trim_start_matches('/')
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    Some((end + 2, name))
}

/// The longest character reference looked for, `&` and `;` included (the longest HTML name,
/// `&CounterClockwiseContourIntegral;`, has 33 bytes).
const LONGEST_REFERENCE: usize = 40;

/// The character reference at the start of `s`, decoded: its length in bytes and its text. `None` when `s` does not
/// start with one (see [`to_text`] for which are decoded).
fn entity(s: &str) -> Option<(usize, Cow<'static, str>)> {
    if !s.starts_with('&') {
        return None;
    }
    let end = s.bytes().take(LONGEST_REFERENCE).position(|b| b == b';')?;
    let reference = &s[..=end];
    if reference[1..].contains('&') {
        return None;
    }
    // `reference` holds one `&` and ends at its first `;`: decoded at all, it is decoded whole.
    match html_escape::decode_html_entities(reference) {
        Cow::Borrowed(_) => None,
        Cow::Owned(text) if text == "\u{A0}" => Some((end + 1, Cow::Borrowed(" "))),
        Cow::Owned(text) => Some((end + 1, Cow::Owned(text))),
    }
}

/// The text an HTML media tag is kept as when HTML is turned into plain text: `<img src="map.png">` becomes
/// `[image: map.png]` (also `audio`, `video`, `source`, `embed`, `iframe`, `object`); `None` for other tags. `tag`
/// is what stands between `<` and `>`.
pub fn media_tag(tag: &str) -> Option<String> {
    let lower = tag.trim().to_ascii_lowercase();
    let name = lower
        .split(|c: char| c.is_whitespace() || c == '/')
        .next()?;
    let kind = match name {
        "img" => "image",
        "audio" => "audio",
        "video" => "video",
        "source" | "embed" | "iframe" | "object" => "media",
        _ => return None,
    };
    let at = ["src=", "data="]
        .iter()
        .find_map(|k| lower.find(k).map(|i| i + k.len()));
    let link = at.map(|i| {
        let rest = tag.trim()[i..].trim_start();
        match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or("").to_string(),
            _ => rest
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or("")
                .to_string(),
        }
    });
    Some(match link {
        Some(link) if !link.is_empty() => format!("[{kind}: {link}]"),
        _ => format!("[{kind}]"),
    })
}

/// The file endings of sound, video and image files, which a link (`<a href=...>`) to is a media reference.
const MEDIA_FILES: [&str; 14] = [
    ".mp3", ".wav", ".ogg", ".oga", ".m4a", ".flac", ".mp4", ".webm", ".mov", ".avi", ".png",
    ".jpg", ".jpeg", ".gif",
];

/// Where the first link to a sound, video or image file (`<a href="...mp3">`) starts in `lower`, a lower-cased
/// text: what it points at is not shown, so it is a media reference.
pub(super) fn media_link(lower: &str) -> Option<usize> {
    lower.match_indices("<a ").map(|(i, _)| i).find(|&i| {
        let tag = &lower[i..lower[i..].find('>').map_or(lower.len(), |e| i + e)];
        MEDIA_FILES.iter().any(|ext| {
            tag.match_indices(ext).any(|(at, _)| {
                tag[at + ext.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| matches!(c, '"' | '\'' | '?' | '#' | ' '))
            })
        })
    })
}

/// The first media reference in a text (an HTML `<img>`, a link to a sound, video or image file, `<audio>`, `<video>`,
/// `<source>`, `<embed>`, `<iframe>` or `<object>` tag, a Moodle `@@PLUGINFILE@@` link, an Anki `[sound:...]` or a
/// `[[...]]` link), cut to 60 characters: detente keeps it as text and the readers warn about it.
pub fn media(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let tags = [
        "<img", "<audio", "<video", "<source", "<embed", "<iframe", "<object",
    ];
    let start = tags
        .iter()
        .filter_map(|t| {
            lower.match_indices(t).map(|(i, _)| i).find(|&i| {
                lower[i + t.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c.is_whitespace() || c == '>' || c == '/')
            })
        })
        .chain(media_link(&lower))
        .chain(lower.find("@@pluginfile@@"))
        .chain(lower.find("[sound:"))
        .chain(
            ["[image: ", "[audio: ", "[video: ", "[media: "]
                .iter()
                .filter_map(|k| lower.find(k)),
        )
        .chain(lower.find("[[").filter(|&i| lower[i + 2..].contains("]]")))
        .min()?;
    let rest = &text[start..];
    let close = |c: &str| rest.find(c).map_or(rest.len(), |i| i + c.len());
    let end = if rest.starts_with("@@") {
        rest.find(char::is_whitespace).unwrap_or(rest.len())
    } else if rest.starts_with("[[") {
        close("]]")
    } else if rest.starts_with('[') {
        close("]")
    } else {
        close(">")
    };
    let found: String = rest[..end].chars().take(60).collect();
    Some(found)
}

/// The warning for a media reference the reader kept as text.
pub fn media_warning(line: usize, found: &str) -> Warning {
    Warning {
        line,
        message: format!(
            "media link kept as text: `{}` (detente shows no images or sound)",
            found.replace(['\n', '\r'], " ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_references_are_found() {
        assert_eq!(
            media("See <IMG src='a.png'> here").as_deref(),
            Some("<IMG src='a.png'>")
        );
        assert_eq!(
            media("@@PLUGINFILE@@/map.png shows it").as_deref(),
            Some("@@PLUGINFILE@@/map.png")
        );
        assert_eq!(
            media("[sound:x.mp3] hear").as_deref(),
            Some("[sound:x.mp3]")
        );
        assert_eq!(media("a [[b.png]] c").as_deref(), Some("[[b.png]]"));
        assert_eq!(media("<imgur> is not an image, [[ nor this"), None);
    }

    #[test]
    fn entities_named_and_numeric_are_decoded() {
        assert_eq!(
            to_text("Caf&#233; Caf&#xE9; Caf&#Xe9; Caf&eacute;"),
            "Café Café Café Café"
        );
        assert_eq!(
            to_text("&amp; &lt; &gt; &quot; &apos; &#39; &AMP;"),
            "& < > \" ' ' &"
        );
        assert_eq!(
            to_text("&rsquo;&mdash;&hellip;&euro;&CounterClockwiseContourIntegral;"),
            "\u{2019}\u{2014}\u{2026}\u{20AC}\u{2233}"
        );
        assert_eq!(
            to_text("a&nbsp;b&#160;c&#xa0;d"),
            "a b c d",
            "a no-break space is a space"
        );
    }

    #[test]
    fn what_is_no_reference_stays_as_written() {
        for text in [
            "Tom & Jerry; fun",
            "&bogus; &amp &#; &#x; &#xZZ; &#-1; &#0; &#1; &#1114112;",
            "AT&T&amp",
            "&",
            "ends with &",
        ] {
            assert_eq!(to_text(text), text);
        }
        assert_eq!(to_text("a &b &amp; c"), "a &b & c");
    }

    #[test]
    fn references_are_decoded_once() {
        assert_eq!(to_text("&amp;lt;"), "&lt;");
        assert_eq!(to_text("&amp;amp;"), "&amp;");
        assert_eq!(to_text("&amp;#233;"), "&#233;");
        // A decoded `<` is text, never a tag.
        assert_eq!(to_text("&lt;b&gt;bold&lt;/b&gt;<br>"), "<b>bold</b>\n");
    }

    #[test]
    fn line_breaks_and_blocks_are_newlines() {
        assert_eq!(to_text("a<br>b<br/>c<BR />d"), "a\nb\nc\nd");
        assert_eq!(to_text("a<br><br>b"), "a\n\nb");
        assert_eq!(to_text("<p>A</p><p>B</p>"), "A\nB\n");
        assert_eq!(to_text("A<div>B</div>C"), "A\nB\nC");
        assert_eq!(to_text("<ul><li>one</li><li>two</li></ul>"), "one\ntwo\n");
        assert_eq!(to_text("<h2>Title</h2>Text"), "Title\nText");
        // Whitespace is kept as written.
        assert_eq!(to_text("<p>A</p>\n<p>B</p>"), "A\n\nB\n");
        assert_eq!(to_text("  a  <b>b</b>  "), "  a  b  ");
    }

    #[test]
    fn nested_tags_leave_their_text() {
        assert_eq!(
            to_text("<div><p><b>Bold <i>and <u>under</u></i></b> text</p></div>"),
            "Bold and under text\n"
        );
        assert_eq!(
            to_text(r#"<span style="color: red"><a href="x.html">link</a></span>"#),
            "link"
        );
        assert_eq!(to_text("a<!-- note -->b"), "ab");
    }

    #[test]
    fn text_without_html_is_unchanged() {
        for text in [
            "",
            "Who signed the Paris Charter in 1990?",
            "Is 1 < 2 and 3 > 2?",
            "a <= b, c -> d, x<3",
            "Štefánik & Café: 50% (approx.)",
            "line one\nline two\r\n\ttabbed",
            "{{c1::cloze}} [sound:x.mp3] [[link]]",
            "unclosed <b tag",
        ] {
            assert_eq!(to_text(text), text);
            assert!(!has_tag(text), "{text}");
        }
    }

    #[test]
    fn media_tags_are_kept_as_text() {
        assert_eq!(
            to_text(r#"See <img alt="HQ" src="hq.png"> here"#),
            "See [image: hq.png] here"
        );
        assert_eq!(
            media_tag(r#"img alt="HQ" src="@@PLUGINFILE@@/hq.png""#).as_deref(),
            Some("[image: @@PLUGINFILE@@/hq.png]")
        );
        assert_eq!(
            media_tag("audio src=x.mp3 controls").as_deref(),
            Some("[audio: x.mp3]")
        );
        assert_eq!(media_tag("video").as_deref(), Some("[video]"));
        assert_eq!(media_tag("b"), None);
    }

    #[test]
    fn tags_are_told_from_comparisons() {
        assert!(has_tag("a<br>b"));
        assert!(has_tag("</p>"));
        assert!(has_tag("<!-- c -->"));
        assert!(!has_tag("1 < 2 > 0"));
        assert!(!has_tag("<3"));
        assert!(!has_tag("<b"));
    }

    #[test]
    fn the_cafe_example() {
        assert_eq!(
            to_text("Who signed in Caf&#233; Paris<br>in 1997?"),
            "Who signed in Café Paris\nin 1997?"
        );
    }
}
