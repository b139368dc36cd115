//! QTI 1.2 packages for Canvas (`deck export --format qti`): every built-in deck in one package, read back from the
//! zip as an importer reads it (central directory, stored entries, CRC-32), each assessment well-formed XML with one
//! item per card, answers keyed to the right labels, and every card changed on the way named.

use crate::support::detente;
use detente::deck::builtin::DECKS;
use detente::deck::convert::qti::write_package;
use detente::deck::{Body, Deck, cloze_blanks, parse_deck};

/// The CRC-32 zip stores (IEEE, reflected), computed bit by bit: an independent check of the writer's table.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn u16_at(b: &[u8], i: usize) -> usize {
    usize::from(u16::from_le_bytes([b[i], b[i + 1]]))
}

fn u32_at(b: &[u8], i: usize) -> usize {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize
}

/// The files of a zip of stored entries, found as an unzipper finds them: from the end record to the central
/// directory, and from each directory entry to its local header and data, whose CRC-32 must match.
fn unzip(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let end = zip.len() - 22;
    assert_eq!(u32_at(zip, end), 0x0605_4b50, "end of central directory");
    let (count, dir_size, dir_at) = (
        u16_at(zip, end + 10),
        u32_at(zip, end + 12),
        u32_at(zip, end + 16),
    );
    assert_eq!(
        dir_at + dir_size,
        end,
        "the directory ends where the end record starts"
    );
    let mut files = Vec::new();
    let mut at = dir_at;
    for _ in 0..count {
        assert_eq!(
            u32_at(zip, at),
            0x0201_4b50,
            "central directory entry at {at}"
        );
        let (method, crc, size) = (
            u16_at(zip, at + 10),
            u32_at(zip, at + 16),
            u32_at(zip, at + 24),
        );
        let (name_len, extra, comment) = (
            u16_at(zip, at + 28),
            u16_at(zip, at + 30),
            u16_at(zip, at + 32),
        );
        let local = u32_at(zip, at + 42);
        let name =
            String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).expect("utf-8 name");
        assert_eq!(method, 0, "stored");
        assert_eq!(u32_at(zip, local), 0x0403_4b50, "local header of {name}");
        let data_at = local + 30 + u16_at(zip, local + 26) + u16_at(zip, local + 28);
        let data = zip[data_at..data_at + size].to_vec();
        assert_eq!(crc32(&data) as usize, crc, "CRC-32 of {name}");
        files.push((name, data));
        at += 46 + name_len + extra + comment;
    }
    files
}

/// Reads `xml` to its end with quick-xml, which checks that every end tag closes its start tag; the count of
/// `<item>` elements.
fn items_in(xml: &str) -> usize {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut items = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) if e.name().as_ref() == "item" => items += 1,
            Ok(quick_xml::events::Event::Eof) => return items,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The `<item>` of card `id` in an assessment.
fn item<'a>(xml: &'a str, id: &str) -> &'a str {
    let start = xml
        .find(&format!("<item ident=\"{id}\""))
        .unwrap_or_else(|| panic!("no item {id}"));
    let len = xml[start..].find("</item>").expect("item end");
    &xml[start..start + len]
}

/// The plain text of label `ident` in an item.
fn label<'a>(item: &'a str, ident: &str) -> &'a str {
    let open =
        format!("<response_label ident=\"{ident}\"><material><mattext texttype=\"text/plain\">");
    let at = item
        .find(&open)
        .unwrap_or_else(|| panic!("no label {ident}"))
        + open.len();
    let len = item[at..].find("</mattext>").expect("end");
    &item[at..at + len]
}

/// The labels a condition gives full marks for (`<varequal respident="response1">c2</varequal>`).
fn keyed(item: &str) -> Vec<&str> {
    item.split("<varequal respident=\"response1\">")
        .skip(1)
        .filter_map(|s| s.split_once("</varequal>").map(|(v, _)| v))
        .collect()
}

/// Attack: a package Canvas cannot open (a bad zip directory or CRC, a manifest that names a file the zip lacks,
/// an assessment that is not well-formed), a card written as the wrong question type or with its answer keyed to
/// another choice, a number without its tolerance, a cloze blank without its answers or left as `{{...}}`, or a card
/// turned into an essay or a matching question without a warning.
/// All five built-in decks go into one package; every assessment is checked card by card.
#[test]
fn every_builtin_deck_goes_into_one_qti_package_card_by_card() {
    let decks: Vec<Deck> = DECKS
        .iter()
        .map(|b| parse_deck(b.file, b.text).0.expect("built-in deck parses"))
        .collect();
    let mut zip = Vec::new();
    let written = write_package(&decks, &mut zip).expect("write");
    let files = unzip(&zip);
    let file = |name: &str| -> String {
        let (_, data) = files
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} not in the package"));
        String::from_utf8(data.clone()).expect("utf-8")
    };
    let manifest = file("imsmanifest.xml");
    items_in(&manifest);
    assert_eq!(files.len(), decks.len() + 1);
    let mut kinds = std::collections::BTreeSet::new();
    for (deck, w) in decks.iter().zip(&written) {
        let href = format!("{0}/{0}.xml", deck.id);
        assert!(
            manifest.contains(&format!(
                "<resource identifier=\"{}\" type=\"imsqti_xmlv1p2\"><file href=\"{href}\"/>",
                deck.id
            )),
            "{manifest}"
        );
        let xml = file(&href);
        assert_eq!(items_in(&xml), deck.cards.len(), "{}", deck.id);
        assert_eq!(w.cards, deck.cards.len(), "{}", deck.id);
        let named = |id: &str, what: &str| {
            w.warnings.iter().any(|x| {
                x.message.starts_with(&format!("card `{id}` ")) && x.message.contains(what)
            })
        };
        for card in &deck.cards {
            kinds.insert(card.body.kind());
            let it = item(&xml, &card.id);
            let kind = |t: &str| {
                assert!(
                    it.contains(&format!("<fieldentry>{t}</fieldentry>")),
                    "{}: {it}",
                    card.id
                )
            };
            if !matches!(card.body, Body::Cloze { .. }) {
                let first = card.prompt.lines().next().unwrap_or_default();
                assert!(it.contains(&esc(&esc(first))), "{}", card.id);
            }
            match &card.body {
                Body::Choice { answer, .. } => {
                    kind("multiple_choice_question");
                    let keys = keyed(it);
                    assert_eq!(keys.len(), 1, "{}", card.id);
                    assert_eq!(label(it, keys[0]), esc(answer), "{}", card.id);
                }
                Body::Truefalse { answer } => {
                    kind("true_false_question");
                    let keys = keyed(it);
                    assert_eq!(label(it, keys[0]), if *answer { "True" } else { "False" });
                }
                Body::Multi { choices, answers } => {
                    kind("multiple_answers_question");
                    let keys = keyed(it);
                    assert_eq!(keys.len(), choices.len(), "{}", card.id);
                    let negated: Vec<&str> = it
                        .split("<not><varequal respident=\"response1\">")
                        .skip(1)
                        .filter_map(|s| s.split_once("</varequal>").map(|(v, _)| v))
                        .collect();
                    for key in keys {
                        let right = answers.iter().any(|a| esc(a) == label(it, key));
                        assert_eq!(right, !negated.contains(&key), "{}: {key}", card.id);
                    }
                }
                Body::Text { answers, .. } => {
                    kind("short_answer_question");
                    let keys: Vec<String> = keyed(it).into_iter().map(String::from).collect();
                    let want: Vec<String> = answers.iter().map(|a| esc(a)).collect();
                    assert_eq!(keys, want, "{}", card.id);
                }
                Body::Number { answer, tolerance } => {
                    kind("numerical_question");
                    let low = detente::text::format_number(answer - tolerance, 0.0);
                    let high = detente::text::format_number(answer + tolerance, 0.0);
                    assert!(
                        it.contains(&format!("<vargte respident=\"response1\">{low}</vargte>"))
                            && it.contains(&format!(
                                "<varlte respident=\"response1\">{high}</varlte>"
                            )),
                        "{}: {it}",
                        card.id
                    );
                }
                Body::Cloze { .. } => {
                    kind("fill_in_multiple_blanks_question");
                    for (k, blank) in cloze_blanks(&card.prompt).iter().enumerate() {
                        let name = format!("blank{}", k + 1);
                        assert!(it.contains(&format!("[{name}]")), "{}: {it}", card.id);
                        let lid = &it[it
                            .find(&format!("<response_lid ident=\"response_{name}\">"))
                            .expect("blank's response")..];
                        let lid = &lid[..lid.find("</response_lid>").expect("end")];
                        for (j, answer) in blank.answers.iter().enumerate() {
                            let ident = format!("{name}_a{}", j + 1);
                            assert_eq!(label(lid, &ident), esc(answer), "{}", card.id);
                            assert!(
                                it.contains(&format!(
                                    "<varequal respident=\"response_{name}\">{ident}</varequal>"
                                )),
                                "{}",
                                card.id
                            );
                        }
                    }
                    assert!(!it.contains("{{"), "{}: no detente blank left", card.id);
                }
                Body::Order { items } => {
                    kind("matching_question");
                    assert!(named(&card.id, "matching question"), "{}", card.id);
                    for (k, item) in items.iter().enumerate() {
                        let open = format!("<varequal respident=\"response_l{}\">", k + 1);
                        let at = it.find(&open).expect("position condition") + open.len();
                        let key = &it[at..at + it[at..].find('<').expect("end")];
                        assert_eq!(label(it, key), esc(item), "{}", card.id);
                    }
                }
                Body::Match { pairs } => {
                    kind("matching_question");
                    for (k, (_, right)) in pairs.iter().enumerate() {
                        let ident = format!("response_l{}", k + 1);
                        let open = format!("<varequal respident=\"{ident}\">");
                        let at = it.find(&open).expect("pair condition") + open.len();
                        let key = &it[at..at + it[at..].find('<').expect("end")];
                        assert_eq!(label(it, key), esc(right), "{}", card.id);
                    }
                }
                Body::Flashcard { answer, .. } => {
                    kind("essay_question");
                    assert!(named(&card.id, "essay question"), "{}", card.id);
                    assert!(
                        it.contains(&esc(&esc(answer.lines().next().unwrap_or_default()))),
                        "{}",
                        card.id
                    );
                }
            }
        }
    }
    assert_eq!(kinds.len(), 9, "every card kind is attacked: {kinds:?}");
}

/// Attack: a QTI export that writes a zip to a terminal or pipe, or takes several decks for formats that hold one.
/// Without `-o` it is refused (exit 2); through the binary, two decks make one package with both assessments.
#[test]
fn the_qti_export_needs_a_file_and_takes_several_decks() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("d.db");
    detente(&db)
        .args(["deck", "export", "sherr-lisbon-2010", "--format", "qti"])
        .assert()
        .code(2);
    let zip = dir.path().join("quiz.zip");
    detente(&db)
        .args([
            "deck",
            "export",
            "sherr-lisbon-2010",
            "pouliot-two-masters",
            "--format",
            "qti",
            "-o",
        ])
        .arg(&zip)
        .assert()
        .success();
    let names: Vec<String> = unzip(&std::fs::read(&zip).expect("read"))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        [
            "imsmanifest.xml",
            "sherr-lisbon-2010/sherr-lisbon-2010.xml",
            "pouliot-two-masters/pouliot-two-masters.xml"
        ]
    );
    detente(&db)
        .args([
            "deck",
            "export",
            "sherr-lisbon-2010",
            "pouliot-two-masters",
            "--format",
            "gift",
        ])
        .assert()
        .code(2);
}

/// Attack: a package written byte for byte (a zip cannot go through the text exports' cleaning) that lets a control
/// character or markup from a card into the XML: the file would not parse (XML 1.0 refuses most C0 characters) or
/// the escape sequence would reach whoever opens it. A card with an escape sequence, a NUL and `</mattext>` in its
/// texts still gives well-formed XML holding none of them raw.
#[test]
fn card_texts_are_cleaned_and_escaped_in_the_package() {
    let (deck, _) = parse_deck(
        "d.toml",
        "[deck]\nid = \"d\"\ntitle = \"D <&>\"\n\n[[card]]\nid = \"c\"\nkind = \"choice\"\n\
         prompt = \"Which? </mattext>\"\nchoices = [\"A & B\", \"C\"]\nanswer = \"A & B\"\n",
    );
    let mut deck = deck.expect("parses");
    deck.cards[0].prompt.push_str("\u{1b}[2J\u{0}");
    deck.cards[0].explain = Some("bell\u{7} here".into());
    let mut zip = Vec::new();
    write_package(std::slice::from_ref(&deck), &mut zip).expect("write");
    let files = unzip(&zip);
    let xml = String::from_utf8(files[1].1.clone()).expect("utf-8");
    assert_eq!(items_in(&xml), 1);
    assert!(!xml.chars().any(|c| c.is_control() && c != '\n'), "{xml:?}");
    assert!(!xml.contains("Which? </mattext>"), "{xml}");
    assert_eq!(
        label(item(&xml, "c"), keyed(item(&xml, "c"))[0]),
        "A &amp; B"
    );
    assert!(xml.contains("title=\"D &lt;&amp;&gt;\""), "{xml}");
}
