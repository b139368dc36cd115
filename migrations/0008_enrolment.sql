-- Enrolment. The teacher's side: the key derived from each enrolment code issued (never the code), by its public
-- id, one valid key per learner; a reissued key keeps its row (so a bundle signed with it is refused by name) but
-- loses its bytes. The learner's side: the one key this device was enrolled with, and whose it is. And the learners
-- whose progress came in unsigned bundles taken with `progress import --accept-unenrolled`.
CREATE TABLE enrolment_keys (
    key_id      TEXT PRIMARY KEY,   -- 20 hex digits, derived from the key
    learner_id  INTEGER NOT NULL REFERENCES learners(id),
    key         BLOB,               -- 32 bytes; NULL once the code is reissued
    generation  INTEGER NOT NULL,   -- 1 for a learner's first code, 2 after one reissue, ...
    issued_at   INTEGER NOT NULL,   -- Unix seconds
    reissued_at INTEGER,            -- Unix seconds; NULL while the code is valid
    UNIQUE (learner_id, generation)
) STRICT;
CREATE UNIQUE INDEX enrolment_keys_valid ON enrolment_keys (learner_id) WHERE reissued_at IS NULL;

CREATE TABLE device_enrolment (
    id          INTEGER PRIMARY KEY CHECK (id = 1),  -- one row: a device is enrolled as one learner
    learner_id  INTEGER NOT NULL REFERENCES learners(id),
    key_id      TEXT NOT NULL,
    key         BLOB NOT NULL,      -- 32 bytes
    enrolled_at INTEGER NOT NULL    -- Unix seconds
) STRICT;

CREATE TABLE unverified_imports (
    learner_id  INTEGER PRIMARY KEY REFERENCES learners(id),
    first_at    INTEGER NOT NULL,   -- Unix seconds of the first unsigned bundle taken
    last_at     INTEGER NOT NULL,
    bundles     INTEGER NOT NULL    -- how many were taken
) STRICT;
