-- ../0002_card_reset.sql in PostgreSQL: a card's last reset (Unix milliseconds), if any.
ALTER TABLE cards ADD COLUMN reset_at bigint;
