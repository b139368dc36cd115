-- ../0007_exam_dates.sql in PostgreSQL: a learner's exam date and scope; the exam rule in the review log.
ALTER TABLE learners ADD COLUMN exam_date text;
ALTER TABLE learners ADD COLUMN exam_scope text;
ALTER TABLE reviews ADD COLUMN exam_day bigint;
ALTER TABLE reviews ADD COLUMN exam_shortened_from bigint;
