-- detente schema, version 1, in PostgreSQL: the same tables as ../0001_init.sql (see the comments there), ported
-- by the table in docs/server.md ("PostgreSQL"): identity columns, bigint, double precision, boolean. Applied once,
-- in a transaction, by the runner in src/store/pg/migrate.rs (state in the table detente_migrations).
--
-- Every learner table is keyed by learner first (learner_id leads its primary key), so that partitioning by
-- learner later needs no schema change; row-level security scopes each one to the transaction's learner
-- (`detente.learner_id`) or to the whole course (`detente.scope = 'course'`, set only by the server), enabled and
-- forced so that the table's owner is held to it too.

-- Whether a row of `learner` may be seen or written in this transaction: the policy of every learner table.
CREATE FUNCTION detente_may_touch(learner bigint) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT learner = nullif(current_setting('detente.learner_id', true), '')::bigint
                 OR coalesce(current_setting('detente.scope', true), '') = 'course' $$;

CREATE TABLE learners (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL UNIQUE,
    created_at       bigint NOT NULL,
    new_per_day      bigint NOT NULL DEFAULT 20,
    reviews_per_day  bigint NOT NULL DEFAULT 200,
    desired_retention double precision NOT NULL DEFAULT 0.9,
    rollover_hour    bigint NOT NULL DEFAULT 4,
    parameters       text
);
ALTER TABLE learners ENABLE ROW LEVEL SECURITY;
ALTER TABLE learners FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON learners USING (detente_may_touch(id)) WITH CHECK (detente_may_touch(id));

CREATE TABLE decks (
    id           text PRIMARY KEY,
    title        text NOT NULL,
    description  text,
    source       text,
    aliases      text,
    tags         text,
    content_hash text NOT NULL,
    builtin      boolean NOT NULL DEFAULT false,
    file         text,
    imported_at  bigint NOT NULL,
    retired_at   bigint
);

CREATE TABLE cards (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deck_id      text NOT NULL REFERENCES decks(id),
    card_key     text NOT NULL,
    sibling      bigint NOT NULL DEFAULT 0,
    kind         text NOT NULL,
    position     bigint NOT NULL,
    body         text NOT NULL,
    content_hash text NOT NULL,
    answer_hash  text NOT NULL,
    retired_at   bigint,
    UNIQUE (deck_id, card_key, sibling)
);
CREATE INDEX cards_new_order ON cards (deck_id, position, sibling) WHERE retired_at IS NULL;

CREATE TABLE card_tags (
    card_id bigint NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
    tag     text NOT NULL,
    PRIMARY KEY (tag, card_id)
);

CREATE TABLE card_states (
    learner_id  bigint NOT NULL REFERENCES learners(id),
    card_id     bigint NOT NULL REFERENCES cards(id),
    phase       bigint NOT NULL,
    step        bigint NOT NULL,
    stability   double precision NOT NULL,
    difficulty  double precision NOT NULL,
    due         bigint NOT NULL,
    last_review bigint NOT NULL,
    last_day    bigint NOT NULL,
    interval    bigint NOT NULL,
    reps        bigint NOT NULL,
    lapses      bigint NOT NULL,
    leech       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (learner_id, card_id)
);
CREATE INDEX card_states_due ON card_states (learner_id, due);
ALTER TABLE card_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE card_states FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON card_states
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));

CREATE TABLE sessions (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    learner_id  bigint NOT NULL REFERENCES learners(id),
    mode        text NOT NULL,
    started_at  bigint NOT NULL,
    ended_at    bigint,
    filters     text,
    seed        bigint NOT NULL,
    PRIMARY KEY (learner_id, id)
);
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON sessions
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));

CREATE TABLE reviews (
    id                bigint GENERATED ALWAYS AS IDENTITY,
    learner_id        bigint NOT NULL REFERENCES learners(id),
    card_id           bigint NOT NULL REFERENCES cards(id),
    session_id        bigint,
    reviewed_at       bigint NOT NULL,
    day               bigint NOT NULL,
    mode              text NOT NULL,
    response          text NOT NULL,
    correct           boolean NOT NULL,
    rule              text NOT NULL,
    rating            bigint NOT NULL,
    duration_ms       bigint NOT NULL,
    phase_before      bigint NOT NULL,
    step_before       bigint,
    stability_before  double precision,
    difficulty_before double precision,
    due_before        bigint,
    last_review_before bigint,
    last_day_before   bigint,
    interval_before   bigint,
    reps_before       bigint,
    lapses_before     bigint,
    leech_before      bigint,
    phase_after       bigint NOT NULL,
    step_after        bigint NOT NULL,
    stability_after   double precision NOT NULL,
    difficulty_after  double precision NOT NULL,
    due_after         bigint NOT NULL,
    interval_days     bigint NOT NULL,
    elapsed_days      bigint NOT NULL,
    PRIMARY KEY (learner_id, id),
    FOREIGN KEY (learner_id, session_id) REFERENCES sessions (learner_id, id)
);
CREATE INDEX reviews_learner_time ON reviews (learner_id, reviewed_at);
CREATE INDEX reviews_card ON reviews (card_id);
ALTER TABLE reviews ENABLE ROW LEVEL SECURITY;
ALTER TABLE reviews FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON reviews
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));

CREATE TABLE flags (
    id         bigint GENERATED ALWAYS AS IDENTITY,
    learner_id bigint NOT NULL REFERENCES learners(id),
    card_id    bigint NOT NULL REFERENCES cards(id),
    flagged_at bigint NOT NULL,
    note       text,
    PRIMARY KEY (learner_id, id)
);
ALTER TABLE flags ENABLE ROW LEVEL SECURITY;
ALTER TABLE flags FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON flags
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));
