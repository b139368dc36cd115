-- Exams the class server runs (docs/server.md, "Exams on the server"). One migration for the three things they need:
--
-- A deck marked `exam_only = true` in its file: a bank for server exams, never sent to a device, never synced.
ALTER TABLE decks ADD COLUMN exam_only INTEGER NOT NULL DEFAULT 0 CHECK (exam_only IN (0, 1));
-- The sequence number of the answer kept at a question of an attempt the server runs (1 for the first answer, one
-- more for each change); 0 for an answer sat locally, which has none.
ALTER TABLE attempt_answers ADD COLUMN seq INTEGER NOT NULL DEFAULT 0 CHECK (seq >= 0);
-- A teacher's extra time for one learner at one exam, recorded with who granted it and when: added to the time
-- limit of every attempt of theirs, the open one included (never beyond the exam's close).
CREATE TABLE exam_extra_time (
    learner_id INTEGER NOT NULL REFERENCES learners(id),
    exam_id    TEXT NOT NULL REFERENCES exams(id),
    minutes    INTEGER NOT NULL CHECK (minutes >= 0),
    granted_by TEXT NOT NULL,                   -- `teacher USER`, or `local` on a local database
    granted_at INTEGER NOT NULL,                -- Unix milliseconds
    PRIMARY KEY (learner_id, exam_id)
) STRICT;
