-- ../0005_new_order.sql in PostgreSQL: the order new cards are introduced in. (SQLite's migration also orders the
-- decks already stored, in Rust; a PostgreSQL database is made at this schema's latest version and has none.)
ALTER TABLE decks ADD COLUMN new_order text;
ALTER TABLE decks ADD COLUMN reading boolean NOT NULL DEFAULT true;
ALTER TABLE decks ADD COLUMN offer bigint;
ALTER TABLE cards ADD COLUMN new_rank bigint NOT NULL DEFAULT 0;

CREATE TABLE card_requires (
    card_id bigint NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
    deck_id text NOT NULL,
    PRIMARY KEY (card_id, deck_id)
);
CREATE INDEX card_requires_deck ON card_requires (deck_id);

CREATE INDEX cards_new_rank ON cards (deck_id, new_rank) WHERE retired_at IS NULL;
CREATE INDEX card_states_learning ON card_states (learner_id, due) WHERE phase IN (1, 3);

DROP INDEX cards_deck_retired;
CREATE INDEX cards_deck_retired_sibling ON cards (deck_id, retired_at, sibling);
