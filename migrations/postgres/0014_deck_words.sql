-- The twin of migrations/0014_deck_words.sql: the common words of each deck's own text, as a JSON array.
ALTER TABLE decks ADD COLUMN words text;
