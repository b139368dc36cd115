-- detente schema, version 1. Applied once, in a transaction, by rusqlite_migration (state in PRAGMA user_version).
-- Times are Unix seconds (reviews: milliseconds); days are calendar days in the learner's time zone, counted from
-- 1 January of year 1, starting at the learner's rollover hour.

CREATE TABLE learners (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    created_at       INTEGER NOT NULL,
    new_per_day      INTEGER NOT NULL DEFAULT 20,
    reviews_per_day  INTEGER NOT NULL DEFAULT 200,
    desired_retention REAL NOT NULL DEFAULT 0.9,
    rollover_hour    INTEGER NOT NULL DEFAULT 4,
    parameters       TEXT          -- FSRS parameters as a JSON array; NULL for the defaults
) STRICT;

CREATE TABLE decks (
    id           TEXT PRIMARY KEY,  -- the deck's stable slug
    title        TEXT NOT NULL,
    description  TEXT,
    source       TEXT,              -- JSON of [deck.source]
    aliases      TEXT,              -- JSON of [deck.aliases]
    tags         TEXT,              -- JSON array
    content_hash TEXT NOT NULL,
    builtin      INTEGER NOT NULL DEFAULT 0,
    file         TEXT,
    imported_at  INTEGER NOT NULL,
    retired_at   INTEGER            -- a built-in deck no longer shipped
) STRICT;

-- One row per study item: a deck card, or one sibling of it (a cloze blank, the reverse of a flashcard).
CREATE TABLE cards (
    id           INTEGER PRIMARY KEY,
    deck_id      TEXT NOT NULL REFERENCES decks(id),
    card_key     TEXT NOT NULL,     -- the card's id in the deck file
    sibling      INTEGER NOT NULL DEFAULT 0,
    kind         TEXT NOT NULL,
    position     INTEGER NOT NULL,  -- order in the deck file
    body         TEXT NOT NULL,     -- JSON of the validated card
    content_hash TEXT NOT NULL,
    answer_hash  TEXT NOT NULL,
    retired_at   INTEGER,           -- left the deck file: no longer studied, history kept
    UNIQUE (deck_id, card_key, sibling)
) STRICT;
CREATE INDEX cards_new_order ON cards (deck_id, position, sibling) WHERE retired_at IS NULL;

CREATE TABLE card_tags (
    card_id INTEGER NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    PRIMARY KEY (tag, card_id)
) WITHOUT ROWID, STRICT;

-- Each learner's state of each card they have seen. No row: the card is new to them.
CREATE TABLE card_states (
    learner_id  INTEGER NOT NULL REFERENCES learners(id),
    card_id     INTEGER NOT NULL REFERENCES cards(id),
    phase       INTEGER NOT NULL,   -- 1 learning, 2 review, 3 relearning
    step        INTEGER NOT NULL,
    stability   REAL NOT NULL,
    difficulty  REAL NOT NULL,
    due         INTEGER NOT NULL,
    last_review INTEGER NOT NULL,
    last_day    INTEGER NOT NULL,
    interval    INTEGER NOT NULL,
    reps        INTEGER NOT NULL,
    lapses      INTEGER NOT NULL,
    leech       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (learner_id, card_id)
) WITHOUT ROWID, STRICT;
-- The hot query: a learner's cards due by a time.
CREATE INDEX card_states_due ON card_states (learner_id, due);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    learner_id  INTEGER NOT NULL REFERENCES learners(id),
    mode        TEXT NOT NULL,      -- study, cram
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    filters     TEXT,               -- JSON of the options the session ran with
    seed        INTEGER NOT NULL
) STRICT;

-- The review log: append-only history (undo removes the last review of a session and restores the card).
CREATE TABLE reviews (
    id                INTEGER PRIMARY KEY,
    learner_id        INTEGER NOT NULL REFERENCES learners(id),
    card_id           INTEGER NOT NULL REFERENCES cards(id),
    session_id        INTEGER REFERENCES sessions(id),
    reviewed_at       INTEGER NOT NULL, -- Unix milliseconds
    day               INTEGER NOT NULL, -- the learner's calendar day
    mode              TEXT NOT NULL,    -- study, cram, exam
    response          TEXT NOT NULL,    -- JSON of what the learner answered
    correct           INTEGER NOT NULL,
    rule              TEXT NOT NULL,    -- exact, alias, typo, wrong, self, override
    rating            INTEGER NOT NULL, -- 1 again, 2 hard, 3 good, 4 easy
    duration_ms       INTEGER NOT NULL,
    phase_before      INTEGER NOT NULL, -- 0 new
    step_before       INTEGER,
    stability_before  REAL,
    difficulty_before REAL,
    due_before        INTEGER,
    last_review_before INTEGER,
    last_day_before   INTEGER,
    interval_before   INTEGER,
    reps_before       INTEGER,
    lapses_before     INTEGER,
    leech_before      INTEGER,
    phase_after       INTEGER NOT NULL,
    step_after        INTEGER NOT NULL,
    stability_after   REAL NOT NULL,
    difficulty_after  REAL NOT NULL,
    due_after         INTEGER NOT NULL,
    interval_days     INTEGER NOT NULL, -- the interval scheduled (0 inside learning steps)
    elapsed_days      INTEGER NOT NULL
) STRICT;
CREATE INDEX reviews_learner_time ON reviews (learner_id, reviewed_at);
CREATE INDEX reviews_card ON reviews (card_id);

CREATE TABLE flags (
    id         INTEGER PRIMARY KEY,
    learner_id INTEGER NOT NULL REFERENCES learners(id),
    card_id    INTEGER NOT NULL REFERENCES cards(id),
    flagged_at INTEGER NOT NULL,
    note       TEXT
) STRICT;
