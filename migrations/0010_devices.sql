-- The devices a class server lets in over TLS: each registered once with its learner's enrolment code, and known
-- afterwards by a device token of 256 random bits that only the device holds. The server keeps the token's
-- SHA-256 hash, never the token (nor the code). A revoked device keeps its row, so the teacher's list and the
-- refusal it gets say when it was revoked and by whom.
CREATE TABLE devices (
    id           INTEGER PRIMARY KEY,
    learner_id   INTEGER NOT NULL REFERENCES learners(id),
    name         TEXT NOT NULL,             -- what the device called itself at registration (cleaned)
    token_hash   BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),  -- SHA-256 of the printed token
    created_at   INTEGER NOT NULL,          -- Unix seconds
    last_used_at INTEGER,                   -- Unix seconds, updated at most once a minute
    revoked_at   INTEGER,                   -- Unix seconds; NULL while the token works
    revoked_by   TEXT                       -- who revoked it: `teacher USER`, or `the device (logout)`
) STRICT;
-- Learner first, so a later partitioning by learner needs no schema change; the teacher's list reads by it.
CREATE INDEX devices_by_learner ON devices (learner_id, id);
