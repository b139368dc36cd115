-- The order new cards are introduced in (issue 10): reading decks first, each in its reading's paragraph order,
-- interleaved across decks; a card that crosses readings waits until the learner has seen each reading it draws on.
-- The order is worked out at import (from each card's `source`), so that a session never parses card bodies to
-- choose its new cards. A migration hook fills these columns for the decks already imported.
ALTER TABLE decks ADD COLUMN new_order TEXT;                    -- `[deck] new_order`: NULL (paragraph) or "file"
ALTER TABLE decks ADD COLUMN reading INTEGER NOT NULL DEFAULT 1; -- 1: no card draws on another deck's reading
ALTER TABLE decks ADD COLUMN offer INTEGER;                      -- place in the built-in list (the course's reading
                                                                 -- order); NULL for imported decks
ALTER TABLE cards ADD COLUMN new_rank INTEGER NOT NULL DEFAULT 0; -- place of the study item in its deck's new order

-- The other decks a card draws on (its `source` entries that name another deck). One row per study item and deck.
CREATE TABLE card_requires (
    card_id INTEGER NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
    deck_id TEXT NOT NULL,
    PRIMARY KEY (card_id, deck_id)
) WITHOUT ROWID, STRICT;
CREATE INDEX card_requires_deck ON card_requires (deck_id);

-- New cards walk a deck in this order and stop at the limit.
CREATE INDEX cards_new_rank ON cards (deck_id, new_rank) WHERE retired_at IS NULL;

-- Learning and relearning steps due, for the queue and the counts, without reading every review card.
CREATE INDEX card_states_learning ON card_states (learner_id, due) WHERE phase IN (1, 3);

-- Card counts per deck (active, retired, and as written: sibling 0) from the index alone, for `detente decks`.
DROP INDEX cards_deck_retired;
CREATE INDEX cards_deck_retired_sibling ON cards (deck_id, retired_at, sibling);
