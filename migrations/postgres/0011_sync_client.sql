-- ../0011_sync_client.sql in PostgreSQL: a client's acknowledged sequence and pull cursor per server (kept for the
-- same schema on both sides, though a PostgreSQL database is a server's), and the course's published decks.
CREATE TABLE sync_acked (
    learner_id bigint NOT NULL REFERENCES learners(id),
    server     text NOT NULL,
    device     text NOT NULL CHECK (length(device) = 32),
    seq        bigint NOT NULL CHECK (seq >= 0),
    PRIMARY KEY (learner_id, server, device)
);
ALTER TABLE sync_acked ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_acked FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON sync_acked
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));

CREATE TABLE sync_pulled (
    learner_id bigint NOT NULL REFERENCES learners(id),
    server     text NOT NULL,
    cursor     bigint NOT NULL CHECK (cursor >= 0),
    PRIMARY KEY (learner_id, server)
);
ALTER TABLE sync_pulled ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_pulled FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON sync_pulled
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));

-- Course data, not a learner's: no row security (the app role's grants cover it).
CREATE TABLE published_decks (
    deck_id      text PRIMARY KEY REFERENCES decks(id),
    content_hash text NOT NULL,
    file         text NOT NULL,
    text         text NOT NULL,
    published_at bigint NOT NULL,
    publisher    text NOT NULL
);
