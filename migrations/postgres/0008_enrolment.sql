-- ../0008_enrolment.sql in PostgreSQL: the keys of issued enrolment codes, this device's key, and learners whose
-- progress came in unsigned bundles. enrolment_keys is keyed by its public id and, learner first, by
-- (learner_id, generation).
CREATE TABLE enrolment_keys (
    key_id      text PRIMARY KEY,
    learner_id  bigint NOT NULL REFERENCES learners(id),
    key         bytea,
    generation  bigint NOT NULL,
    issued_at   bigint NOT NULL,
    reissued_at bigint,
    UNIQUE (learner_id, generation)
);
CREATE UNIQUE INDEX enrolment_keys_valid ON enrolment_keys (learner_id) WHERE reissued_at IS NULL;
ALTER TABLE enrolment_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE enrolment_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON enrolment_keys
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));

CREATE TABLE device_enrolment (
    learner_id  bigint NOT NULL REFERENCES learners(id),
    id          bigint NOT NULL CHECK (id = 1),
    key_id      text NOT NULL,
    key         bytea NOT NULL,
    enrolled_at bigint NOT NULL,
    PRIMARY KEY (learner_id, id)
);
CREATE UNIQUE INDEX device_enrolment_one ON device_enrolment (id);
ALTER TABLE device_enrolment ENABLE ROW LEVEL SECURITY;
ALTER TABLE device_enrolment FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON device_enrolment
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));

CREATE TABLE unverified_imports (
    learner_id  bigint PRIMARY KEY REFERENCES learners(id),
    first_at    bigint NOT NULL,
    last_at     bigint NOT NULL,
    bundles     bigint NOT NULL
);
ALTER TABLE unverified_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE unverified_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON unverified_imports
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));
