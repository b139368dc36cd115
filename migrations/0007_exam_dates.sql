-- Exam dates (issue 13). A learner may set the date of their exam and the decks or tags it covers; exam
-- definitions carry their own `date` in their stored JSON. Until the date, new cards in scope are introduced in time
-- and no review in scope is scheduled past it with the predicted recall on the day below the target.
ALTER TABLE learners ADD COLUMN exam_date TEXT;   -- YYYY-MM-DD, or NULL for none
ALTER TABLE learners ADD COLUMN exam_scope TEXT;  -- JSON array of deck ids and tags; NULL or [] for every deck

-- The review log records the exam rule: the exam day (the learner's calendar day number, as `day`) in force for the
-- card when it was answered, NULL when none was; and, when the rule shortened the interval, the interval the
-- ordinary schedule gave (`interval_days` then holds the shortened one). Replaying the log applies the rule exactly
-- where `exam_day` is set.
ALTER TABLE reviews ADD COLUMN exam_day INTEGER;
ALTER TABLE reviews ADD COLUMN exam_shortened_from INTEGER;
