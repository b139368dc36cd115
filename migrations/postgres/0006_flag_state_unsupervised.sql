-- ../0006_flag_state_unsupervised.sql in PostgreSQL: a flag's state, and attempts sat away from the teacher.
ALTER TABLE flags ADD COLUMN state text NOT NULL DEFAULT 'open'
    CHECK (state IN ('open', 'withdrawn', 'resolved'));
ALTER TABLE flags ADD COLUMN closed_at bigint;
CREATE INDEX flags_card ON flags (card_id, state);

ALTER TABLE attempts ADD COLUMN unsupervised boolean NOT NULL DEFAULT false;
