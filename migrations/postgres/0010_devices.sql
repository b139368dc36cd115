-- ../0010_devices.sql in PostgreSQL: the devices a class server lets in over TLS, each known by the SHA-256 of its
-- token (never the token). Learner first in its index; row security as on every learner table, so a device's row
-- is seen in a learner's scope or the course's.
CREATE TABLE devices (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    learner_id   bigint NOT NULL REFERENCES learners(id),
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at   bigint NOT NULL,
    last_used_at bigint,
    revoked_at   bigint,
    revoked_by   text,
    PRIMARY KEY (learner_id, id)
);
-- A teacher revokes by the device's id alone.
CREATE UNIQUE INDEX devices_by_id ON devices (id);
ALTER TABLE devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE devices FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON devices
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));
