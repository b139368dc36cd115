"""Imports detente's Anki exports into one fresh collection with the real Anki (the PyPI package `anki`).

Usage: python anki_import.py COLLECTION_DIR EXPORT.txt...

Each file is read as Anki's desktop importer reads a "Notes in Plain Text" file: `Collection.get_csv_metadata`
takes the settings from the file's `#` headers, and `Collection.import_csv` imports it with Anki's defaults
(existing notes: update). The script then checks, for all files together:

* every row became its own note: as many notes as rows, every GUID distinct, nothing updated or skipped;
* each note has the note type, deck, fields and tags the row gave (fields as Anki stores plain text: HTML-escaped,
  newlines as <br>).

It prints one line per file and a summary, and exits 1 with every problem listed when anything differs.
"""

import csv
import html
import io
import os
import sys

from anki.collection import Collection, ImportCsvRequest


def rows_of(path):
    """The header lines and the rows of a detente Anki export, read with RFC 4180 quoting and tabs."""
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    headers = {}
    body = []
    lines = text.split("\n")
    i = 0
    while i < len(lines) and lines[i].startswith("#"):
        key, _, value = lines[i][1:].partition(":")
        headers[key.strip().lower()] = value
        i += 1
    body = "\n".join(lines[i:])
    # Anki's reader skips a record that starts with `#` as a comment (rslib text/csv/import.rs, build_csv_reader:
    # `.comment(Some(b'#'))`): detente's `#detente card:` lines.
    rows = [r for r in csv.reader(io.StringIO(body, newline=""), delimiter="\t") if r and not r[0].startswith("#")]
    return headers, rows


def stored(field):
    """A plain-text field as Anki stores it when the file says `#html:false`."""
    return html.escape(field).replace("\n", "<br>")


def main():
    if len(sys.argv) < 3:
        print("usage: anki_import.py COLLECTION_DIR EXPORT.txt...", file=sys.stderr)
        return 2
    folder, files = sys.argv[1], sys.argv[2:]
    os.makedirs(folder, exist_ok=True)
    col = Collection(os.path.join(folder, "collection.anki2"))
    problems = []
    expected = {}
    total_rows = 0
    for path in files:
        headers, rows = rows_of(path)
        for key in ("guid column", "notetype column", "deck column", "tags column", "columns"):
            if key not in headers:
                problems.append(f"{path}: no `#{key}:` header")
        guid_col = int(headers.get("guid column", "1")) - 1
        type_col = int(headers.get("notetype column", "2")) - 1
        deck_col = int(headers.get("deck column", "3")) - 1
        tags_col = int(headers.get("tags column", "0")) - 1
        field_cols = [i for i in range(len(rows[0]) if rows else 0) if i not in (guid_col, type_col, deck_col, tags_col)]
        for n, row in enumerate(rows, 1):
            guid = row[guid_col]
            if guid in expected:
                problems.append(f"{path}: row {n}: GUID {guid!r} also in {expected[guid]['file']}")
            expected[guid] = {
                "file": path,
                "row": n,
                "notetype": row[type_col],
                "deck": row[deck_col],
                "fields": [row[i] for i in field_cols],
                "tags": row[tags_col].split() if tags_col >= 0 else [],
            }
        total_rows += len(rows)
        metadata = col.get_csv_metadata(path=os.path.abspath(path), delimiter=None)
        log = col.import_csv(ImportCsvRequest(path=os.path.abspath(path), metadata=metadata)).log
        counts = {
            "new": len(log.new),
            "updated": len(log.updated),
            "duplicate": len(log.duplicate),
            "conflicting": len(log.conflicting),
            "first_field_match": len(log.first_field_match),
            "missing_notetype": len(log.missing_notetype),
            "missing_deck": len(log.missing_deck),
            "empty_first_field": len(log.empty_first_field),
        }
        print(f"anki: {os.path.basename(path)}: {len(rows)} row(s): " + ", ".join(f"{k} {v}" for k, v in counts.items() if v or k == "new"))
        if counts["new"] != len(rows) or any(v for k, v in counts.items() if k != "new"):
            problems.append(f"{path}: {len(rows)} rows but Anki reports {counts}")

    notes = col.note_count()
    if notes != total_rows:
        problems.append(f"{total_rows} rows in all files but {notes} notes in the collection")
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        want = expected.pop(note.guid, None)
        if want is None:
            problems.append(f"note {nid} has GUID {note.guid!r}, which no file wrote")
            continue
        where = f"{want['file']}: row {want['row']} (GUID {note.guid})"
        notetype = note.note_type()["name"]
        if notetype != want["notetype"]:
            problems.append(f"{where}: note type {notetype!r}, not {want['notetype']!r}")
        deck = col.decks.name(note.cards()[0].did) if note.cards() else None
        if deck != want["deck"]:
            problems.append(f"{where}: deck {deck!r}, not {want['deck']!r}")
        wanted = [stored(f) for f in want["fields"]]
        got = list(note.fields)
        # A note type with fewer fields than the file has columns keeps the first ones.
        if got != wanted[: len(got)] or any(wanted[len(got):]):
            problems.append(f"{where}: fields {got!r}, not {wanted!r}")
        if sorted(note.tags) != sorted(want["tags"]):
            problems.append(f"{where}: tags {note.tags!r}, not {want['tags']!r}")
    for guid, want in expected.items():
        problems.append(f"{want['file']}: row {want['row']} (GUID {guid}) is not in the collection")
    col.close()
    print(f"anki: {len(files)} file(s), {total_rows} row(s), {notes} note(s) in one collection, {len(problems)} problem(s)")
    for p in problems:
        print(f"anki: PROBLEM: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
