-- ../0004_deck_answers.sql in PostgreSQL: each deck's normalized typed answers, and card counts from an index.
ALTER TABLE decks ADD COLUMN answers text;
CREATE INDEX cards_deck_retired ON cards (deck_id, retired_at);
