-- When a published deck was first sent to students' devices as a study deck (Unix seconds; NULL if never): a deck
-- made exam-only later is still in their hands, so an exam drawing on it is open-book, and `exam load` and the
-- exam's listing say so. Decks published as study decks before this migration count as sent when published.
ALTER TABLE published_decks ADD COLUMN shared_at INTEGER;
UPDATE published_decks SET shared_at = published_at
    WHERE deck_id IN (SELECT id FROM decks WHERE exam_only = 0);
