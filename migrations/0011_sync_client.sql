-- Sync over a class server (docs/sync.md, "The wire"). Two sides of one protocol, in one migration: every database
-- can be a client, and a server's database is one too.
--
-- The client's side: per class server (its address as `login` saved it) and local learner, how far this database's
-- events were acknowledged, per device (the highest sequence number the server answered for: added, a duplicate,
-- or refused with a reason), and the server's pull cursor up to which events were pulled. Both move only in a
-- local transaction after the server's answer arrived, so an interrupted push or pull is simply repeated.
CREATE TABLE sync_acked (
    learner_id INTEGER NOT NULL REFERENCES learners(id),
    server     TEXT NOT NULL,
    device     TEXT NOT NULL CHECK (length(device) = 32),
    seq        INTEGER NOT NULL CHECK (seq >= 0),
    PRIMARY KEY (learner_id, server, device)
) WITHOUT ROWID, STRICT;

CREATE TABLE sync_pulled (
    learner_id INTEGER NOT NULL REFERENCES learners(id),
    server     TEXT NOT NULL,
    cursor     INTEGER NOT NULL CHECK (cursor >= 0),
    PRIMARY KEY (learner_id, server)
) WITHOUT ROWID, STRICT;

-- The server's side: the course's decks as their teacher published them (`deck import` over the server), the TOML
-- text as written, so that a student's `sync` imports exactly what a local `deck import` of that file would. A
-- version is its content hash (the deck's `content_hash`, as in `decks`).
CREATE TABLE published_decks (
    deck_id      TEXT PRIMARY KEY REFERENCES decks(id),
    content_hash TEXT NOT NULL,
    file         TEXT NOT NULL,      -- the file name the teacher published, for messages
    text         TEXT NOT NULL,
    published_at INTEGER NOT NULL,   -- Unix seconds
    publisher    TEXT NOT NULL       -- the teacher's system user name
) STRICT;
