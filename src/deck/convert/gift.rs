//! Moodle GIFT: the reader (Moodle's semantics) and the writer (as Moodle's exporter writes it).
