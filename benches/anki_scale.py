#!/usr/bin/env python3
"""Anki's side of `cargo bench --bench scale` (issue 26): the same collection, the same measures, timed by the
bench's turn so that detente, its floor and Anki run interleaved.

Usage (the scale bench runs it when DETENTE_ANKI_PYTHON names a Python with `anki` installed, e.g. after
`pip install anki==26.9.3`):

    python benches/anki_scale.py DIR CARDS

Builds two collections in DIR for CARDS cards in 20 decks (children of one parent deck, one Basic note and one card
per question, as the bench's text cards): in `due`, every card due now (one in ten in relearning, due within the
last 1,000 minutes; the others reviews due today or before), as detente's learner000; in `new`, every card new, as
learner099. Prints `ready`, then answers each line read from stdin, `MEASURE NEW_PER_DAY`, with the seconds it took:

- `due-due`: the deck list's counts (`deck_due_tree`), what `detente due` shows, on the all-due collection;
- `queue-due`, `queue-new`: the first study queue built from nothing (a child deck selected then the parent, which
  drops Anki's cached queue, then `get_queued_cards`), on either collection.

Limits as detente's: NEW_PER_DAY new cards a day (20 by default, 9999 for the many-new case), 200 reviews (on the all-new
collection, which has no reviews, as many as new cards: Anki holds new cards to the review limit, detente does not).
"""

import os
import sys
import time

from anki.collection import AddNoteRequest, Collection

DECKS = 20


def build(path, cards, all_due):
    if os.path.exists(path):
        return Collection(path)
    col = Collection(path)
    basic = col.models.by_name("Basic")
    parent = col.decks.id("bench")
    per_deck = cards // DECKS
    for d in range(DECKS):
        did = col.decks.id(f"bench::bench-{d:02}")
        batch = []
        for c in range(per_deck):
            note = col.new_note(basic)
            note["Front"] = f"Question {c} of deck {d}: which treaty?"
            note["Back"] = f"Treaty {c}"
            note.tags = [f"theme:t{c % 20}"]
            batch.append(AddNoteRequest(note=note, deck_id=did))
            if len(batch) == 10_000:
                col.add_notes(batch)
                batch = []
        if batch:
            col.add_notes(batch)
    if all_due:
        today = col.sched.today
        now = int(time.time())
        col.db.execute(
            "update cards set type = 2, queue = 2, ivl = 10, factor = 2500, reps = 3, due = ? - (id % 30)"
            " where id % 10 != 0",
            today,
        )
        col.db.execute(
            "update cards set type = 3, queue = 1, ivl = 10, factor = 2500, reps = 3, left = 1001,"
            " due = ? - 60 - (id % 1000) * 60 where id % 10 = 0",
            now,
        )
    col.decks.select(parent)
    col.close()
    return Collection(path)


def limits(col, new_per_day, reviews):
    conf = col.decks.config_dict_for_deck_id(col.decks.id("bench"))
    if conf["new"]["perDay"] != new_per_day or conf["rev"]["perDay"] != reviews:
        conf["new"]["perDay"] = new_per_day
        conf["rev"]["perDay"] = reviews
        col.decks.update_config(conf)


def main():
    out, cards = sys.argv[1], int(sys.argv[2])
    cols = {
        "due": build(os.path.join(out, f"anki-{cards}-due.anki2"), cards, True),
        "new": build(os.path.join(out, f"anki-{cards}-new.anki2"), cards, False),
    }
    print("ready", flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        measure, new_per_day = line.split()
        which = measure.split("-")[1]
        col = cols[which]
        # Anki holds new cards to the review limit too, detente does not: the all-new collection, which has no
        # reviews, gets a review limit as high as the new one.
        n = int(new_per_day)
        limits(col, n, 200 if which == "due" else max(200, n))
        # Another deck selected and the parent again: Anki drops its cached queue on a change of deck.
        col.decks.select(col.decks.id("bench::bench-00"))
        col.decks.select(col.decks.id("bench"))
        if measure == "due-due":
            t = time.perf_counter()
            col.sched.deck_due_tree()
            took = time.perf_counter() - t
        else:
            t = time.perf_counter()
            col.sched.get_queued_cards(fetch_limit=1)
            took = time.perf_counter() - t
        print(f"{took:.9f}", flush=True)
    for col in cols.values():
        col.close()


if __name__ == "__main__":
    main()
