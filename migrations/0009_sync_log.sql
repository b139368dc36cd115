-- The sync log. Every review a device records is an event keyed by (learner, device, sequence); so is every undo,
-- as a retraction event pointing at the review it takes back. Events are never changed or removed, so logs merge
-- by union (docs/sync.md).
--
-- This database's two device ids, random (SQLite's randomness, seeded from the operating system), made once here:
-- `study`, the device whose sessions record reviews, and `import`, the device that progress bundles' reviews are
-- logged under (a bundle names no device).
CREATE TABLE this_device (
    role TEXT PRIMARY KEY CHECK (role IN ('study', 'import')),
    id   TEXT NOT NULL UNIQUE CHECK (length(id) = 32)   -- 32 lowercase hex digits
) STRICT;
INSERT INTO this_device (role, id) VALUES
    ('study', lower(hex(randomblob(16)))),
    ('import', lower(hex(randomblob(16))));

-- One row per event. `seq` counts a learner's events on one device, from 1, gap-free. `learner_seq` counts every
-- event this database stored for the learner, in commit order (the pull cursor): writers hold SQLite's one write
-- lock, so a number is handed out only to a row that commits before any larger one exists.
CREATE TABLE sync_log (
    learner_id      INTEGER NOT NULL REFERENCES learners(id),
    device          TEXT NOT NULL CHECK (length(device) = 32),
    seq             INTEGER NOT NULL CHECK (seq >= 1),
    learner_seq     INTEGER NOT NULL CHECK (learner_seq >= 1),
    review_id       INTEGER UNIQUE REFERENCES reviews(id),  -- a review event
    retracts_device TEXT,                                   -- a retraction event: the key it takes back
    retracts_seq    INTEGER,
    CHECK ((review_id IS NULL) = (retracts_device IS NOT NULL AND retracts_seq IS NOT NULL)),
    PRIMARY KEY (learner_id, device, seq)
) WITHOUT ROWID, STRICT;
CREATE UNIQUE INDEX sync_log_cursor ON sync_log (learner_id, learner_seq);
CREATE INDEX sync_log_retracts ON sync_log (learner_id, retracts_device, retracts_seq)
    WHERE retracts_device IS NOT NULL;

-- 1 once a retraction for the review is in the log: every count, replay, export and bundle skips it.
ALTER TABLE reviews ADD COLUMN retracted INTEGER NOT NULL DEFAULT 0 CHECK (retracted IN (0, 1));

-- The reviews already here, numbered in their order (time, then row id) per learner: those a session recorded as
-- this database's study device's events, those merged from bundles (no session) as its import device's.
INSERT INTO sync_log (learner_id, device, seq, learner_seq, review_id)
SELECT learner_id, device,
       row_number() OVER (PARTITION BY learner_id, device ORDER BY reviewed_at, id),
       row_number() OVER (PARTITION BY learner_id ORDER BY reviewed_at, id),
       id
FROM (SELECT r.id, r.learner_id, r.reviewed_at,
             (SELECT t.id FROM this_device t
              WHERE t.role = CASE WHEN r.session_id IS NULL THEN 'import' ELSE 'study' END) AS device
      FROM reviews r);
