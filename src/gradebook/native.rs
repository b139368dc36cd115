//! detente's native grade layout: one long row per learner and assessment (each exam, and each deck's cards
//! studied, mastery and days active, named as self-reported study), with every identifier the learner has.

use super::cells::{percent, text, timestamp};
use super::{Sheet, Student, neutralize, number};
use std::io::Write;

/// The native header.
pub const NATIVE_HEADER: [&str; 13] = [
    "student_key",
    "email",
    "sis_user_id",
    "username",
    "last_name",
    "first_name",
    "deck_id",
    "assessment",
    "attempt",
    "score",
    "max_score",
    "percent",
    "completed_at",
];

pub(super) fn write_native<W: Write>(
    w: &mut csv::Writer<W>,
    sheet: &Sheet,
    students: &[&Student],
) -> csv::Result<()> {
    w.write_record(NATIVE_HEADER)?;
    for s in students {
        let id = s.identity.cleaned();
        let person = [
            neutralize(&s.name),
            text(&id.email),
            text(&id.student_id),
            text(&id.username),
            text(&id.last_name),
            text(&id.first_name),
        ];
        for (exam, result) in sheet.exams.iter().zip(&s.exams) {
            let mut row: Vec<String> = person.to_vec();
            row.extend([String::new(), neutralize(&exam.native_name())]);
            match result {
                Some(r) => row.extend([
                    r.attempt.clone().unwrap_or_default(),
                    number(r.fraction * exam.points),
                    number(exam.points),
                    number(r.fraction * 100.0),
                    timestamp(r.closed_at_ms),
                ]),
                None => row.extend([
                    String::new(),
                    String::new(),
                    number(exam.points),
                    String::new(),
                    String::new(),
                ]),
            }
            w.write_record(&row)?;
        }
        for (deck, d) in sheet.decks.iter().zip(&s.decks) {
            let done = d.last_activity_ms.map(timestamp).unwrap_or_default();
            let mastery = number(d.mastery * 100.0);
            let mastery_name = super::lms::mastery_name();
            for (assessment, score, max, pct) in [
                (
                    "cards studied",
                    d.studied.to_string(),
                    deck.items.to_string(),
                    number(percent(d.studied, deck.items)),
                ),
                // Mastery is a percentage already: out of 100.
                (
                    mastery_name.as_str(),
                    mastery.clone(),
                    "100".to_string(),
                    mastery,
                ),
                (
                    "days active",
                    d.days_active.to_string(),
                    String::new(),
                    String::new(),
                ),
            ] {
                let mut row: Vec<String> = person.to_vec();
                row.extend([
                    neutralize(&deck.id),
                    format!("{assessment} (self-reported study)"),
                    String::new(),
                    score,
                    max,
                    pct,
                    done.clone(),
                ]);
                w.write_record(&row)?;
            }
        }
    }
    Ok(())
}
