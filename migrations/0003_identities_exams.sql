-- Learners with identities for gradebooks and rosters; exams and their attempts. Exam answers live apart from the
-- study review log, so sitting an exam never moves a study schedule.
ALTER TABLE learners ADD COLUMN username TEXT;    -- the LMS login (Blackboard Username, Canvas SIS Login ID)
ALTER TABLE learners ADD COLUMN first_name TEXT;
ALTER TABLE learners ADD COLUMN last_name TEXT;
ALTER TABLE learners ADD COLUMN email TEXT;
ALTER TABLE learners ADD COLUMN student_id TEXT;  -- the institution's id (Moodle ID number, Canvas SIS User ID)
CREATE UNIQUE INDEX learners_email ON learners (email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX learners_student_id ON learners (student_id) WHERE student_id IS NOT NULL;
CREATE UNIQUE INDEX learners_username ON learners (username) WHERE username IS NOT NULL;

CREATE TABLE exams (
    id           TEXT PRIMARY KEY,  -- the exam's slug, from its TOML file
    title        TEXT NOT NULL,
    definition   TEXT NOT NULL,     -- the whole definition as JSON
    content_hash TEXT NOT NULL,
    questions    INTEGER NOT NULL,  -- questions per paper
    time_limit   INTEGER,           -- seconds; NULL for none
    attempts     INTEGER,           -- attempts allowed; NULL for unlimited
    grading      TEXT NOT NULL,     -- highest, last or mean
    pass_mark    REAL,              -- share of the maximum, 0 to 1
    loaded_at    INTEGER NOT NULL   -- Unix seconds
) STRICT;

CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY,
    exam_id     TEXT NOT NULL REFERENCES exams(id),
    learner_id  INTEGER NOT NULL REFERENCES learners(id),
    number      INTEGER NOT NULL,   -- 1, 2, ... for this learner and exam
    seed        INTEGER NOT NULL,   -- the paper's seed
    paper       TEXT NOT NULL,      -- JSON array of card ids, in the order asked
    started_at  INTEGER NOT NULL,   -- Unix milliseconds
    deadline    INTEGER,            -- Unix milliseconds when the time limit ends; NULL for none
    closed_at   INTEGER,            -- Unix milliseconds; NULL while the attempt is open
    score       REAL,               -- points earned (partial credit counts), set when closed
    max_score   REAL,               -- points possible (one per question)
    UNIQUE (exam_id, learner_id, number)
) STRICT;
CREATE INDEX attempts_learner ON attempts (learner_id, exam_id);

CREATE TABLE attempt_answers (
    attempt_id  INTEGER NOT NULL REFERENCES attempts(id),
    position    INTEGER NOT NULL,   -- 0-based place in the paper
    card_id     INTEGER NOT NULL REFERENCES cards(id),  -- one study item (a card row is one sibling)
    response    TEXT NOT NULL,      -- JSON of what was answered, as in reviews.response
    credit      REAL NOT NULL,      -- 0 to 1
    correct     INTEGER NOT NULL,
    answered_at INTEGER NOT NULL,   -- Unix milliseconds
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, position)
) STRICT;
CREATE INDEX attempt_answers_card ON attempt_answers (card_id);
