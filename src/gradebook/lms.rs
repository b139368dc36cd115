//! The wide layouts LMS gradebooks import: one row per learner and one column per exam and deck figure, with
//! Moodle's, Canvas's and Blackboard's (Original) identifier columns, headers and empty cells. Also the titles
//! Canvas will not take for an existing assignment.

use super::cells::{date, identifier, percent, text};
use super::{Layout, MatchBy, Sheet, Student, neutralize, number};
use std::io::Write;

/// A title Canvas will not mistake for an existing assignment. Canvas's importer reads a header ending in
/// `(digits)` as `<title> (<assignment id>)` (`lib/gradebook_importer.rb`, `/\A(.*)\s\((\d+)\)\z/`), so a new
/// exam titled "Week 3 quiz (2025)" would be written into assignment 2025, or rejected. Such a final group is
/// written in square brackets instead: "Week 3 quiz \[2025\]".
pub fn canvas_title(title: &str) -> String {
    let t = title.trim_end();
    if let Some(body) = t.strip_suffix(')')
        && let Some(open) = body.rfind('(')
    {
        let digits = &body[open + 1..];
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            return format!("{}[{digits}]", &body[..open]);
        }
    }
    t.to_string()
}

/// An exam's column title as `layout` writes it (before Blackboard's points): the title the LMS matches an existing
/// column on, and names a new one after.
fn exam_title(layout: Layout, exam: &super::ExamColumn) -> String {
    match layout {
        Layout::Canvas => neutralize(&canvas_title(&exam.heading())),
        _ => neutralize(&exam.heading()),
    }
}

/// The exams whose columns `layout` would write under one title, each title with the ids of its exams (in sheet
/// order). An LMS takes such columns for one: Canvas reads the first column's grades for both, Moodle and Blackboard
/// map both onto one item. The native layout names exams by id and has none.
pub fn duplicate_titles(layout: Layout, sheet: &Sheet) -> Vec<(String, Vec<String>)> {
    if layout == Layout::Native {
        return Vec::new();
    }
    let mut by_title: Vec<(String, Vec<String>)> = Vec::new();
    for e in &sheet.exams {
        let title = exam_title(layout, e);
        match by_title.iter_mut().find(|(t, _)| *t == title) {
            Some((_, ids)) => ids.push(e.id.clone()),
            None => by_title.push((title, vec![e.id.clone()])),
        }
    }
    by_title.retain(|(_, ids)| ids.len() > 1);
    by_title
}

/// The study column titles of a deck, in order: cards studied, mastery, days active, last activity, each saying it is
/// self-reported study (what the learner did on their own, unlike a supervised exam score) and mastery saying its
/// horizon, the same for every learner ([`crate::stats::HORIZON_DAYS`]). In Moodle, whose grades must not exceed 100
/// (`gradevaluetoobig`), cards studied is a percentage of the deck.
pub fn deck_titles(deck: &str, layout: Layout) -> [String; 4] {
    let deck = format!("{deck} (self-reported study)");
    [
        if layout == Layout::Moodle {
            format!("{deck}: cards studied %")
        } else {
            format!("{deck}: cards studied")
        },
        format!("{deck}: {} %", mastery_name()),
        format!("{deck}: days active"),
        format!("{deck}: last activity"),
    ]
}

/// "mastery in 30 days": the mastery figure with its horizon, in every export's column or assessment name.
pub fn mastery_name() -> String {
    format!("mastery in {} days", crate::stats::HORIZON_DAYS)
}

pub(super) fn write_wide<W: Write>(
    w: &mut csv::Writer<W>,
    layout: Layout,
    by: Option<MatchBy>,
    guard: bool,
    headers: &std::collections::BTreeMap<String, String>,
    sheet: &Sheet,
    students: &[&Student],
) -> csv::Result<()> {
    let ident = |v: &Option<String>| identifier(v, guard);
    let moodle_username = layout == Layout::Moodle && by == Some(MatchBy::Username);
    let mut header: Vec<String> = match layout {
        Layout::Moodle => vec!["Email address", "ID number", "First name", "Last name"],
        Layout::Canvas => vec!["Student", "ID", "SIS User ID", "SIS Login ID", "Section"],
        _ => vec!["Last Name", "First Name", "Username", "Student ID"],
    }
    .into_iter()
    .map(str::to_string)
    .collect();
    if moodle_username {
        header.push("Username".into());
    }
    let bb = |title: &str, points: Option<f64>| match points {
        Some(p) => format!("{title} [Total Pts: {} Score]", number(p)),
        None => title.to_string(),
    };
    for e in &sheet.exams {
        header.push(match (headers.get(&e.id), layout) {
            // An existing column of the LMS's gradebook: its header as the LMS wrote it, id and all.
            (Some(existing), _) => existing.clone(),
            (None, Layout::Blackboard) => bb(&neutralize(&e.heading()), Some(e.points)),
            (None, _) => exam_title(layout, e),
        });
    }
    for d in &sheet.decks {
        let [studied, mastery, days, last] = deck_titles(&neutralize(&d.id), layout);
        match layout {
            // Counts and dates have no points: Blackboard makes them text columns.
            Layout::Blackboard => header.extend([
                bb(&studied, Some(f64::from(d.items))),
                bb(&mastery, Some(100.0)),
                days,
                last,
            ]),
            Layout::Canvas => {
                header.extend([studied, mastery, days, last].map(|t| canvas_title(&t)))
            }
            _ => header.extend([studied, mastery, days, last]),
        }
    }
    w.write_record(&header)?;
    if layout == Layout::Canvas {
        let mut row = vec![
            "    Points Possible".to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
        row.extend(sheet.exams.iter().map(|e| number(e.points)));
        for d in &sheet.decks {
            // Every column has its points or "read only": Canvas creates a new assignment for each header it does
            // not know, and one with an empty Points Possible becomes extra credit. Days active and the last
            // activity date are for reading, not grading, so Canvas skips them.
            row.extend([
                d.items.to_string(),
                "100".into(),
                "read only".into(),
                "read only".into(),
            ]);
        }
        w.write_record(&row)?;
    }
    let none = if layout == Layout::Moodle { "-" } else { "" };
    for s in students {
        let id = s.identity.cleaned();
        let mut row: Vec<String> = match layout {
            Layout::Moodle => vec![
                ident(&id.email),
                ident(&id.student_id),
                text(&id.first_name),
                text(&id.last_name),
            ],
            Layout::Canvas => {
                let sortable = match (&id.last_name, &id.first_name) {
                    (Some(l), Some(f)) => format!("{l}, {f}"),
                    (Some(n), None) | (None, Some(n)) => n.clone(),
                    (None, None) => s.name.clone(),
                };
                // Canvas matches on SIS User ID before SIS Login ID: when the teacher matches on the login, the
                // student id is left empty so that a stale one cannot take precedence.
                let sis_user = if by == Some(MatchBy::Username) {
                    String::new()
                } else {
                    ident(&id.student_id)
                };
                vec![
                    neutralize(&sortable),
                    String::new(),
                    sis_user,
                    ident(&id.username),
                    String::new(),
                ]
            }
            _ => vec![
                text(&id.last_name),
                text(&id.first_name),
                ident(&id.username),
                ident(&id.student_id),
            ],
        };
        if moodle_username {
            row.push(ident(&id.username));
        }
        for (exam, result) in sheet.exams.iter().zip(&s.exams) {
            row.push(match (result, layout) {
                (None, _) => none.to_string(),
                // Moodle bounds a grade to its item's maximum: out of the existing item's maximum when the
                // downloaded gradebook shows it, else a percentage (new items are out of 100 by default).
                (Some(r), Layout::Moodle) => number(r.fraction * exam.out_of.unwrap_or(100.0)),
                (Some(r), _) => number(r.fraction * exam.points),
            });
        }
        for (deck, d) in sheet.decks.iter().zip(&s.decks) {
            row.extend([
                if layout == Layout::Moodle {
                    number(percent(d.studied, deck.items))
                } else {
                    d.studied.to_string()
                },
                number(d.mastery * 100.0),
                d.days_active.to_string(),
                d.last_activity_ms
                    .map(date)
                    .unwrap_or_else(|| none.to_string()),
            ]);
        }
        w.write_record(&row)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canvas_titles_never_end_in_a_number_in_parentheses() {
        assert_eq!(canvas_title("Week 3 quiz (2025)"), "Week 3 quiz [2025]");
        assert_eq!(canvas_title("Quiz(7) "), "Quiz[7]");
        assert_eq!(canvas_title("Quiz (draft)"), "Quiz (draft)");
        assert_eq!(canvas_title("Quiz ()"), "Quiz ()");
        assert_eq!(canvas_title("Midterm"), "Midterm");
    }

    #[test]
    fn exams_under_one_title_are_found_as_the_layout_writes_them() {
        let exam = |id: &str, title: &str| super::super::ExamColumn {
            id: id.into(),
            title: title.into(),
            points: 10.0,
            self_graded: false,
            out_of: None,
        };
        let sheet = Sheet {
            exams: vec![
                exam("a", "Quiz (2025)"),
                exam("b", "Quiz [2025]"),
                exam("c", "Final"),
            ],
            ..Sheet::default()
        };
        // Canvas writes "Quiz (2025)" as "Quiz [2025]": the two collide there, not in Moodle.
        assert_eq!(
            duplicate_titles(Layout::Canvas, &sheet),
            vec![(
                "Quiz [2025]".to_string(),
                vec!["a".to_string(), "b".to_string()]
            )]
        );
        assert!(duplicate_titles(Layout::Moodle, &sheet).is_empty());
        assert!(duplicate_titles(Layout::Native, &sheet).is_empty());
    }
}
