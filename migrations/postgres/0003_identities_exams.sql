-- ../0003_identities_exams.sql in PostgreSQL: learners' identities; exams, attempts and their answers. One change
-- of shape: attempt_answers carries its attempt's learner_id (kept equal by the foreign key), so that it too is
-- keyed by learner first and scoped by row-level security like every learner table.
ALTER TABLE learners ADD COLUMN username text;
ALTER TABLE learners ADD COLUMN first_name text;
ALTER TABLE learners ADD COLUMN last_name text;
ALTER TABLE learners ADD COLUMN email text;
ALTER TABLE learners ADD COLUMN student_id text;
CREATE UNIQUE INDEX learners_email ON learners (email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX learners_student_id ON learners (student_id) WHERE student_id IS NOT NULL;
CREATE UNIQUE INDEX learners_username ON learners (username) WHERE username IS NOT NULL;

CREATE TABLE exams (
    id           text PRIMARY KEY,
    title        text NOT NULL,
    definition   text NOT NULL,
    content_hash text NOT NULL,
    questions    bigint NOT NULL,
    time_limit   bigint,
    attempts     bigint,
    grading      text NOT NULL,
    pass_mark    double precision,
    loaded_at    bigint NOT NULL
);

CREATE TABLE attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    exam_id     text NOT NULL REFERENCES exams(id),
    learner_id  bigint NOT NULL REFERENCES learners(id),
    number      bigint NOT NULL,
    seed        bigint NOT NULL,
    paper       text NOT NULL,
    started_at  bigint NOT NULL,
    deadline    bigint,
    closed_at   bigint,
    score       double precision,
    max_score   double precision,
    PRIMARY KEY (learner_id, id),
    UNIQUE (learner_id, exam_id, number)
);
ALTER TABLE attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON attempts
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));

CREATE TABLE attempt_answers (
    learner_id  bigint NOT NULL,
    attempt_id  bigint NOT NULL,
    position    bigint NOT NULL,
    card_id     bigint NOT NULL REFERENCES cards(id),
    response    text NOT NULL,
    credit      double precision NOT NULL,
    correct     boolean NOT NULL,
    answered_at bigint NOT NULL,
    duration_ms bigint NOT NULL,
    PRIMARY KEY (learner_id, attempt_id, position),
    FOREIGN KEY (learner_id, attempt_id) REFERENCES attempts (learner_id, id)
);
CREATE INDEX attempt_answers_card ON attempt_answers (card_id);
ALTER TABLE attempt_answers ENABLE ROW LEVEL SECURITY;
ALTER TABLE attempt_answers FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON attempt_answers
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));
