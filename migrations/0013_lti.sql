-- LTI 1.3: who a platform's user is on the roster, the courses (contexts) that launched detente with their grade
-- book's line items URL, the line item detente made or found for each exam (or deck's mastery) there, and the outbox of scores to
-- deliver to them (Assignment and Grade Services), one row per score, retried until the platform takes it.

-- A platform's user (`sub` of the launch's id token) linked to a roster learner at their first launch.
CREATE TABLE lti_links (
    learner_id  INTEGER NOT NULL REFERENCES learners(id),
    issuer      TEXT NOT NULL,              -- the platform (`iss`)
    sub         TEXT NOT NULL,              -- the platform's id of the user: the `userId` of a score
    linked_at   INTEGER NOT NULL,           -- Unix seconds
    matched_by  TEXT NOT NULL,              -- how the roster learner was found: `email`, `username`, `student id`
    PRIMARY KEY (learner_id, issuer)
) STRICT;
CREATE UNIQUE INDEX lti_links_by_sub ON lti_links (issuer, sub);

-- A course of a platform that launched detente, with its Assignment and Grade Services line items URL.
CREATE TABLE lti_contexts (
    issuer        TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    context_id    TEXT NOT NULL,
    title         TEXT,
    lineitems     TEXT NOT NULL,            -- the line items container URL of the last launch
    seen_at       INTEGER NOT NULL,         -- Unix seconds of the last launch
    PRIMARY KEY (issuer, client_id, deployment_id, context_id)
) STRICT;

-- The line item (a grade book column) of an exam, or of a deck's mastery, in a course's line items container.
CREATE TABLE lti_line_items (
    lineitems   TEXT NOT NULL,
    resource_id TEXT NOT NULL,              -- the exam's id, or `deck:ID` for a deck's mastery
    url         TEXT NOT NULL,              -- the line item's own URL (`id`)
    PRIMARY KEY (lineitems, resource_id)
) STRICT;

-- A score to deliver: one row per learner, course, exam (or deck) and counted attempt (or last study). A newer
-- row supersedes an older one not yet delivered.
CREATE TABLE lti_outbox (
    id            INTEGER PRIMARY KEY,
    learner_id    INTEGER NOT NULL REFERENCES learners(id),
    issuer        TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    lineitems     TEXT NOT NULL,
    resource_id   TEXT NOT NULL,            -- the line item's resourceId: the exam's id, or `deck:ID`
    label         TEXT NOT NULL,            -- the line item's label if detente creates it
    user_id       TEXT NOT NULL,            -- the platform's `sub` of the learner
    score_given   REAL NOT NULL,
    score_maximum REAL NOT NULL,
    timestamp_ms  INTEGER NOT NULL,         -- the score's timestamp: the counted attempt's close, the last study
    state         TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'superseded', 'failed')),
    tries         INTEGER NOT NULL DEFAULT 0,
    next_try_at   INTEGER NOT NULL,         -- Unix seconds
    answer        INTEGER,                  -- the HTTP status of the last try
    last_error    TEXT,
    queued_at     INTEGER NOT NULL,
    delivered_at  INTEGER
) STRICT;
CREATE UNIQUE INDEX lti_outbox_once ON lti_outbox (learner_id, lineitems, resource_id, timestamp_ms, score_given);
CREATE INDEX lti_outbox_due ON lti_outbox (state, next_try_at);
