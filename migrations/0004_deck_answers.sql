-- Each deck's typed answers and reject entries, normalized, as a JSON array: what a near miss must never be taken
-- for. Kept at import so that a session builds a large deck's answer checker without reading every card.
ALTER TABLE decks ADD COLUMN answers TEXT;

-- Card counts per deck (active and retired), answered from the index alone: `detente decks` and the start of
-- every session count them.
CREATE INDEX cards_deck_retired ON cards (deck_id, retired_at);
