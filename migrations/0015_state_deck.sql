-- The deck of each card state, kept where `due` reads it (issue 26): the per-deck counts group a learner's states
-- by deck along one covering index, without looking each state's card up in `cards`. A card never changes deck
-- (`cards.deck_id` is part of its identity), so the copy cannot go stale. Every writer fills it (the store's
-- `put_state` with the card's deck); the trigger fills it for any row inserted without one (older tools, tests'
-- raw inserts), so that no state is ever counted under no deck.
ALTER TABLE card_states ADD COLUMN deck_id TEXT NOT NULL DEFAULT '';
UPDATE card_states SET deck_id = (SELECT c.deck_id FROM cards c WHERE c.id = card_states.card_id);
CREATE TRIGGER card_states_deck AFTER INSERT ON card_states WHEN NEW.deck_id = ''
BEGIN
    UPDATE card_states SET deck_id = (SELECT c.deck_id FROM cards c WHERE c.id = NEW.card_id)
     WHERE learner_id = NEW.learner_id AND card_id = NEW.card_id;
END;
-- A learner's states per deck by phase and due: what the counts read, and nothing else.
CREATE INDEX card_states_deck_due ON card_states (learner_id, deck_id, phase, due);
-- Retired cards per deck (few): the states on them are taken out of the counts without reading the others.
CREATE INDEX cards_retired ON cards (deck_id) WHERE retired_at IS NOT NULL;
-- The new-card walk reads each card's key (siblings share it) with its rank: from the index alone, never from the
-- card rows (their bodies), so that 10,000 new cards a day cost 10,000 index entries.
DROP INDEX cards_new_rank;
CREATE INDEX cards_new_walk ON cards (deck_id, new_rank, card_key) WHERE retired_at IS NULL;
