-- ../0013_lti.sql in PostgreSQL: LTI 1.3 links of platform users to roster learners, the courses that launched
-- detente, the exams' line items there, and the outbox of scores to deliver. The learner tables (links, outbox)
-- are keyed by learner first and held to row security as every learner table is.
CREATE TABLE lti_links (
    learner_id  bigint NOT NULL REFERENCES learners(id),
    issuer      text NOT NULL,
    sub         text NOT NULL,
    linked_at   bigint NOT NULL,
    matched_by  text NOT NULL,
    PRIMARY KEY (learner_id, issuer)
);
CREATE UNIQUE INDEX lti_links_by_sub ON lti_links (issuer, sub);
ALTER TABLE lti_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE lti_links FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON lti_links
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));

-- Course data, not a learner's: no row security (the app role's grants cover it).
CREATE TABLE lti_contexts (
    issuer        text NOT NULL,
    client_id     text NOT NULL,
    deployment_id text NOT NULL,
    context_id    text NOT NULL,
    title         text,
    lineitems     text NOT NULL,
    seen_at       bigint NOT NULL,
    PRIMARY KEY (issuer, client_id, deployment_id, context_id)
);

CREATE TABLE lti_line_items (
    lineitems   text NOT NULL,
    resource_id   text NOT NULL,
    url         text NOT NULL,
    PRIMARY KEY (lineitems, resource_id)
);

CREATE TABLE lti_outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY,
    learner_id    bigint NOT NULL REFERENCES learners(id),
    issuer        text NOT NULL,
    client_id     text NOT NULL,
    lineitems     text NOT NULL,
    resource_id   text NOT NULL,
    label         text NOT NULL,
    user_id       text NOT NULL,
    score_given   double precision NOT NULL,
    score_maximum double precision NOT NULL,
    timestamp_ms  bigint NOT NULL,
    state         text NOT NULL CHECK (state IN ('pending', 'delivered', 'superseded', 'failed')),
    tries         bigint NOT NULL DEFAULT 0,
    next_try_at   bigint NOT NULL,
    answer        bigint,
    last_error    text,
    queued_at     bigint NOT NULL,
    delivered_at  bigint,
    PRIMARY KEY (learner_id, id)
);
CREATE UNIQUE INDEX lti_outbox_by_id ON lti_outbox (id);
CREATE UNIQUE INDEX lti_outbox_once ON lti_outbox (learner_id, lineitems, resource_id, timestamp_ms, score_given);
CREATE INDEX lti_outbox_due ON lti_outbox (state, next_try_at);
ALTER TABLE lti_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE lti_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON lti_outbox
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));
