-- ../0015_state_deck.sql in PostgreSQL: the deck of each card state, kept where the per-deck counts read it. Every
-- writer fills it; the trigger fills it for a row inserted without one, so that no state is counted under no deck.
ALTER TABLE card_states ADD COLUMN deck_id text NOT NULL DEFAULT '';
UPDATE card_states SET deck_id = c.deck_id FROM cards c WHERE c.id = card_states.card_id;
CREATE FUNCTION detente_state_deck() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.deck_id = '' THEN
        NEW.deck_id := (SELECT c.deck_id FROM cards c WHERE c.id = NEW.card_id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER card_states_deck BEFORE INSERT ON card_states
    FOR EACH ROW EXECUTE FUNCTION detente_state_deck();
CREATE INDEX card_states_deck_due ON card_states (learner_id, deck_id, phase, due);
CREATE INDEX cards_retired ON cards (deck_id) WHERE retired_at IS NOT NULL;
-- The new-card walk's index with the card's key in it, as in SQLite.
DROP INDEX cards_new_rank;
CREATE INDEX cards_new_walk ON cards (deck_id, new_rank, card_key) WHERE retired_at IS NULL;
