-- ../0009_sync_log.sql in PostgreSQL: this database's two device ids, and the sync log, one row per event keyed by
-- (learner, device, sequence). `learner_seq` is the pull cursor: a per-learner gap-free number, handed out while
-- the transaction holds the learner's row lock (`SELECT ... FROM learners WHERE id = $1 FOR UPDATE`, see
-- src/store/pg/sync.rs), never from a sequence or an identity column, which can commit out of order.
CREATE TABLE this_device (
    role text PRIMARY KEY CHECK (role IN ('study', 'import')),
    id   text NOT NULL UNIQUE CHECK (length(id) = 32)
);
INSERT INTO this_device (role, id) VALUES
    ('study', replace(gen_random_uuid()::text, '-', '')),
    ('import', replace(gen_random_uuid()::text, '-', ''));

ALTER TABLE reviews ADD COLUMN retracted boolean NOT NULL DEFAULT false;

CREATE TABLE sync_log (
    learner_id      bigint NOT NULL REFERENCES learners(id),
    device          text NOT NULL CHECK (length(device) = 32),
    seq             bigint NOT NULL CHECK (seq >= 1),
    learner_seq     bigint NOT NULL CHECK (learner_seq >= 1),
    review_id       bigint,
    retracts_device text,
    retracts_seq    bigint,
    CHECK ((review_id IS NULL) = (retracts_device IS NOT NULL AND retracts_seq IS NOT NULL)),
    PRIMARY KEY (learner_id, device, seq),
    UNIQUE (learner_id, review_id),
    FOREIGN KEY (learner_id, review_id) REFERENCES reviews (learner_id, id)
);
CREATE UNIQUE INDEX sync_log_cursor ON sync_log (learner_id, learner_seq);
CREATE INDEX sync_log_retracts ON sync_log (learner_id, retracts_device, retracts_seq)
    WHERE retracts_device IS NOT NULL;
ALTER TABLE sync_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_log FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON sync_log
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));

-- The reviews already here (none in a new database), numbered as SQLite's migration numbers them.
INSERT INTO sync_log (learner_id, device, seq, learner_seq, review_id)
SELECT learner_id, device,
       row_number() OVER (PARTITION BY learner_id, device ORDER BY reviewed_at, id),
       row_number() OVER (PARTITION BY learner_id ORDER BY reviewed_at, id),
       id
FROM (SELECT r.id, r.learner_id, r.reviewed_at,
             (SELECT t.id FROM this_device t
              WHERE t.role = CASE WHEN r.session_id IS NULL THEN 'import' ELSE 'study' END) AS device
      FROM reviews r) AS numbered;
