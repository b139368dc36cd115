-- A teacher may reset learners' progress on a card whose answer changed (`deck import --reset-changed`). The
-- reviews before the reset stay as history; replays of the review log start each card afresh at its reset.
ALTER TABLE cards ADD COLUMN reset_at INTEGER; -- Unix milliseconds of the last reset, if any
