-- As ../0017_shared_banks.sql: when a published deck was first sent to devices as a study deck.
ALTER TABLE published_decks ADD COLUMN shared_at bigint;
UPDATE published_decks SET shared_at = published_at
    WHERE deck_id IN (SELECT id FROM decks WHERE NOT exam_only);
