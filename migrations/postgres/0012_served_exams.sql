-- ../0012_served_exams.sql in PostgreSQL: exam-only decks, the sequence number of a served attempt's answer, and a
-- teacher's extra time per learner and exam (a learner table: learner first in its key, row security forced).
ALTER TABLE decks ADD COLUMN exam_only boolean NOT NULL DEFAULT false;
ALTER TABLE attempt_answers ADD COLUMN seq bigint NOT NULL DEFAULT 0 CHECK (seq >= 0);
CREATE TABLE exam_extra_time (
    learner_id bigint NOT NULL REFERENCES learners(id),
    exam_id    text NOT NULL REFERENCES exams(id),
    minutes    bigint NOT NULL CHECK (minutes >= 0),
    granted_by text NOT NULL,
    granted_at bigint NOT NULL,
    PRIMARY KEY (learner_id, exam_id)
);
ALTER TABLE exam_extra_time ENABLE ROW LEVEL SECURITY;
ALTER TABLE exam_extra_time FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_rows ON exam_extra_time
    USING (detente_may_touch(learner_id)) WITH CHECK (detente_may_touch(learner_id));
