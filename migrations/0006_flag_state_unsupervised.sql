-- Flags that reach the teacher, and exam attempts taken away from the teacher's machine.
--
-- A flag is `open` until the learner takes it back (`withdrawn`) or the teacher resolves it (`resolved`); the
-- study screen's Unflag menu sees only open flags. `closed_at` (Unix seconds) is when it stopped being open.
ALTER TABLE flags ADD COLUMN state TEXT NOT NULL DEFAULT 'open'
    CHECK (state IN ('open', 'withdrawn', 'resolved'));
ALTER TABLE flags ADD COLUMN closed_at INTEGER;
CREATE INDEX flags_card ON flags (card_id, state);

-- 1 for attempts that arrived in a progress bundle: sat on the learner's own machine, unsupervised. Grade exports
-- leave them out unless asked.
ALTER TABLE attempts ADD COLUMN unsupervised INTEGER NOT NULL DEFAULT 0 CHECK (unsupervised IN (0, 1));
