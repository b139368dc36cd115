-- The common words of each deck's own text (prompts, choices, items, pairs, backs, explanations, hints), normalized,
-- as a JSON array: a typed near miss that is one of them is that word, not a typo of the answer. Filled when a deck
-- is imported (the import rules' version changed with it, so every deck is taken again at the next start).
ALTER TABLE decks ADD COLUMN words TEXT;
