//! Line-based banks: Anki plain-text exports with their `#` headers, Quizlet term/definition text, and CSV with a
//! header row; the Anki and Quizlet writers.
