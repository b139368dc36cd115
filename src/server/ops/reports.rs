//! The teacher's reports as values: the class view (`stats --class`, `report --class --html`), item analysis
//! (`report items`), flags (`report flags`, `--resolve`), an exam's results (`exam results`), loading an exam
//! (`exam load`, from the file's text) and the grade CSV (`grades export`).
//!
//! One concern: each report is computed once, here, from the reads of [`ReportReads`]: the `*_read` functions take whichever
//! store answers them (SQLite's connection, or a class server's PostgreSQL transaction), and the functions without
//! the suffix run them on a local [`Store`] (closing expired attempts first where results are read).

use crate::deck::{Diagnostic, Severity};
use crate::error::{Error, Result};
use crate::exam::{Exam, parse_exam};
use crate::gradebook::{self, DeckColumn, DeckResult, ExamColumn, Layout, Sheet, Student};
use crate::schedule::{Calendar, Scheduler};
use crate::server::api::{
    ClassRequest, ExamLoaded, ExamResults, FlagsRequest, GradeExport, GradesRequest, ItemsRequest,
    ResultsRequest,
};
use crate::session::exam::{self, ItemSource, item_report_read};
use crate::stats::{self, Class, GroupBy};
use crate::store::{self, ExamRecords, Filter, FlagRow, FlagState, ReportReads, Store, Upsert};
use crate::time::{Day, UnixMs};
use std::collections::BTreeMap;

/// `stats --class`: the class view over the cards of the request's decks and tags.
pub fn class(store: &Store, req: &ClassRequest, now: i64) -> Result<Class> {
    class_read(&mut &store.conn, req, now)
}

/// [`class`] on whichever store answers the reports' reads.
pub fn class_read(reads: &mut dyn ReportReads, req: &ClassRequest, now: i64) -> Result<Class> {
    let filter = filter_read(reads, &req.decks, &req.tags)?;
    class_stats(reads, &filter, req.by, req.learner.as_deref(), now)
}

/// The card filter of `--deck` and `--tag`; an unknown deck is a usage error.
pub fn filter(store: &Store, decks: &[String], tags: &[String]) -> Result<Filter> {
    filter_read(&mut &store.conn, decks, tags)
}

/// [`filter`] on whichever store answers the reports' reads.
fn filter_read(reads: &mut dyn ReportReads, decks: &[String], tags: &[String]) -> Result<Filter> {
    let known = reads.deck_titles()?;
    if let Some(d) = decks.iter().find(|d| !known.contains_key(*d)) {
        return Err(Error::Usage(format!(
            "no deck `{d}` is loaded (see `detente decks`)"
        )));
    }
    Ok(Filter {
        decks: decks.to_vec(),
        tags: tags.to_vec(),
    })
}

/// The theme tags of the shared vocabulary, with their labels.
pub fn themes() -> BTreeMap<String, String> {
    crate::deck::builtin::vocabulary()
        .into_iter()
        .filter(|(k, _)| k.starts_with("theme:"))
        .collect()
}

/// Every learner's mastery, activity, exam scores and open flags: a pass over each learner's card states streamed
/// (the cards' decks and themes indexed once, from the cards streamed, a few numbers a card), one pass over the
/// review log for everyone's recent activity, and one query each for the exam scores, the exam activity and the
/// open flags. With `only`, the learner of that name alone (the others' states and reviews are not read).
pub fn class_stats(
    reads: &mut dyn ReportReads,
    filter: &Filter,
    by: GroupBy,
    only: Option<&str>,
    now: i64,
) -> Result<Class> {
    // The cards in scope, streamed: the active ones indexed in card order, every id (retired ones too) for the
    // activity; no card's strings are kept.
    let mut builder = stats::MasteryIndex::builder();
    let mut all = Vec::new();
    reads.for_each_stat_card(filter, &mut |id, deck, retired| {
        all.push(id);
        if !retired {
            builder.card(id, deck);
        }
    })?;
    reads.for_each_theme_tag(&mut |id, tag| builder.tag(id, tag))?;
    let index = builder.finish();
    let ids = stats::ById::new(all);
    let titles = reads.deck_titles()?;
    let themes = themes();
    let mut learners = reads.learners()?;
    if let Some(name) = only {
        learners.retain(|l| l.name == name);
    }
    // The reviews read: everyone's, or the one learner's (none when no learner has that name: no row has id 0).
    let one = only.map(|_| learners.first().map_or(0, |l| l.id));
    let today: Vec<Day> = learners
        .iter()
        .map(|l| Calendar::local(l.rollover_hour).day_of(now))
        .collect();
    let places = stats::ById::new(learners.iter().map(|l| l.id));
    // Reviews in the last 7 days and the last active day, per learner (in `learners` order), over the cards in scope.
    let mut activity: Vec<(u32, Option<Day>)> = vec![(0, None); learners.len()];
    reads.for_each_review_day(one, &mut |learner, card, day| {
        if let Some(p) = places.position(learner)
            && ids.position(card).is_some()
        {
            let a = &mut activity[p];
            a.0 += u32::from(day > today[p] - 7);
            a.1 = Some(a.1.map_or(day, |last| last.max(day)));
        }
    })?;
    let exams = reads
        .exams()?
        .into_iter()
        .map(|e| stats::ClassExam {
            id: e.id,
            title: e.title,
        })
        .collect();
    let mut beyond: Vec<stats::Beyond> = vec![stats::Beyond::default(); learners.len()];
    for (learner, exam, score) in reads.best_supervised_scores()? {
        if let Some(p) = places.position(learner) {
            beyond[p].exam_scores.insert(exam, score);
        }
    }
    for (learner, at) in reads.last_exam_activity()? {
        if let Some(p) = places.position(learner) {
            beyond[p].last_exam_day =
                Some(Calendar::local(learners[p].rollover_hour).day_of_ms(at));
        }
    }
    for (learner, open) in reads.open_flag_counts()? {
        if let Some(p) = places.position(learner) {
            beyond[p].open_flags = open;
        }
    }
    let mut class = stats::ClassBuilder::new(by).exams(exams);
    for ((p, l), beyond) in learners.iter().enumerate().zip(beyond) {
        let scheduler = Scheduler::new(l.settings())?;
        let mut tally = index.tally(&scheduler, stats::horizon(now));
        reads.for_each_memory_state(l.id, &mut |id, s| tally.add(id, s))?;
        let mastery = tally.finish(&titles, &themes);
        let (recent, last) = activity[p];
        class.add_mastery(&l.name, mastery, recent, last, today[p], beyond);
    }
    Ok(class.finish())
}

/// `report items`: item analysis of an exam's attempts or of a deck's first study answers (expired attempts
/// closed first).
pub fn items(
    store: &mut Store,
    req: &ItemsRequest,
    now: i64,
) -> Result<Vec<crate::exam::analysis::ItemStats>> {
    super::close_expired(store, now)?;
    items_read(&mut &store.conn, req)
}

/// [`items`] on whichever store answers the reports' reads (its expired attempts closed by the caller).
pub fn items_read(
    reads: &mut dyn ReportReads,
    req: &ItemsRequest,
) -> Result<Vec<crate::exam::analysis::ItemStats>> {
    let source = match (&req.exam, &req.deck) {
        (Some(e), _) => {
            if reads.exam(e)?.is_none() {
                return Err(Error::Usage(format!(
                    "no exam `{e}` is loaded (see `detente exam list`)"
                )));
            }
            if req.include_unsupervised {
                ItemSource::ExamWithUnsupervised(e)
            } else {
                ItemSource::Exam(e)
            }
        }
        (None, Some(d)) => ItemSource::Deck(d),
        (None, None) => {
            return Err(Error::Usage(
                "say what to analyse: `--exam ID` (exam attempts) or `--deck ID` (first study answers)".into(),
            ));
        }
    };
    item_report_read(reads, source)
}

/// `report flags`: the open flags (every flag with `all`), of one deck if given.
pub fn flags(store: &Store, req: &FlagsRequest) -> Result<Vec<FlagRow>> {
    flags_read(&mut &store.conn, req)
}

/// [`flags`] on whichever store answers the reports' reads.
pub fn flags_read(reads: &mut dyn ReportReads, req: &FlagsRequest) -> Result<Vec<FlagRow>> {
    if let Some(d) = &req.deck
        && reads.deck_hash(d)?.is_none()
    {
        return Err(Error::Usage(format!(
            "no deck `{d}` is loaded (see `detente decks`)"
        )));
    }
    reads.flags(req.all, req.deck.as_deref())
}

/// `report flags --resolve ID...`: every flag resolved, or none when one id is wrong; returns each flag's state
/// before.
pub fn resolve_flags(store: &mut Store, ids: &[i64], now: i64) -> Result<Vec<(i64, FlagState)>> {
    let tx = store.write()?;
    // Nothing is written when one id is wrong: the transaction is dropped, so rolled back.
    let outcomes = resolve_each(ids, |id| store::resolve_flag(&tx, id, now))?;
    tx.commit()?;
    Ok(outcomes)
}

/// Resolves each flag of `ids` with `resolve` (a store's `resolve_flag` in the caller's transaction), stopping with
/// the refusal at the first id that names no flag: the caller commits only what comes back `Ok`.
pub fn resolve_each(
    ids: &[i64],
    mut resolve: impl FnMut(i64) -> Result<Option<FlagState>>,
) -> Result<Vec<(i64, FlagState)>> {
    let mut outcomes = Vec::new();
    for &id in ids {
        match resolve(id)? {
            None => {
                return Err(Error::Usage(format!(
                    "no flag {id} (see `detente report flags --all`); nothing was resolved"
                )));
            }
            Some(before) => outcomes.push((id, before)),
        }
    }
    Ok(outcomes)
}

/// A loaded exam's definition, or a usage error naming the command that lists them.
pub fn exam_def(store: &Store, id: &str) -> Result<Exam> {
    exam_def_read(&mut &store.conn, id)
}

/// [`exam_def`] on whichever store answers the reports' reads.
fn exam_def_read(reads: &mut dyn ReportReads, id: &str) -> Result<Exam> {
    defined(id, reads.exam(id)?)
}

/// The definition of the exam `id` read as `row`, or the usage error of [`exam_def`].
fn defined(id: &str, row: Option<store::ExamRow>) -> Result<Exam> {
    let row = row.ok_or_else(|| {
        Error::Usage(format!(
            "no exam `{id}` is loaded (see `detente exam list`; load one with `detente exam load FILE`)"
        ))
    })?;
    serde_json::from_str(&row.definition)
        .map_err(|e| Error::InvalidData(format!("exam {id} is stored damaged: {e}")))
}

/// `exam results`: every learner's results of an exam (its expired attempts closed first).
pub fn exam_results(store: &mut Store, req: &ResultsRequest, now: i64) -> Result<ExamResults> {
    super::close_expired(store, now)?;
    exam_results_read(&mut &store.conn, req)
}

/// [`exam_results`] on whichever store answers the reports' reads (its expired attempts closed by the caller).
pub fn exam_results_read(reads: &mut dyn ReportReads, req: &ResultsRequest) -> Result<ExamResults> {
    let exam = exam_def_read(reads, &req.id)?;
    let learners = exam::results_read(reads, &exam, req.include_unsupervised)?;
    Ok(ExamResults { exam, learners })
}

/// `exam extra-time`: records a teacher's extra time for one learner at one exam (by whom, when) and moves their open
/// attempt's deadline; says what it did.
pub fn exam_extra_time(
    store: &mut dyn ExamRecords,
    req: &crate::session::exam::wire::ExtraTime,
    by: &str,
    now: crate::time::UnixMs,
) -> Result<String> {
    let exam = defined(&req.exam, store.exam(&req.exam)?)?;
    let learner = store.learner_by_name(&req.learner)?.ok_or_else(|| {
        Error::Usage(format!(
            "no learner named {} (see `detente learner list`)",
            crate::text::clean(&req.learner)
        ))
    })?;
    let moved = exam::served::extra_time(store, &exam, &learner, req.minutes, by, now)?;
    Ok(format!(
        "{} has {} extra minute{} at exam {}{}.",
        learner.name,
        req.minutes,
        if req.minutes == 1 { "" } else { "s" },
        exam.id,
        match moved {
            Some(d) => chrono::DateTime::from_timestamp_millis(d.0).map_or(String::new(), |t| {
                format!(
                    "; their open attempt now ends at {}",
                    t.format("%Y-%m-%d %H:%M:%S UTC")
                )
            }),
            None => String::new(),
        }
    ))
}

/// The text of a file's line (1-based), for a diagnostic's excerpt.
fn line_of(text: &str, line: usize) -> &str {
    text.lines().nth(line.saturating_sub(1)).unwrap_or("")
}

/// `exam load`: validates an exam file's text (`name` is its file, for the diagnostics) and loads it. The
/// diagnostics come back as printed (`FILE:LINE:COL: ...`), then the line saying what was loaded, or with any error
/// the refusal (exit 65), nothing loaded. On the class server (`served`), an exam that draws on study decks (not
/// exam-only) is loaded with a warning that it is open-book: every student's device holds those answers.
pub fn exam_load(
    store: &mut dyn ExamRecords,
    name: &str,
    text: &str,
    now: i64,
    served: bool,
) -> Result<ExamLoaded> {
    let name = name.to_string();
    let (parsed, decks, mut diags) = parse_exam(&name, text);
    if let Some(exam) = &parsed {
        let known = store.deck_ids()?;
        for d in &decks {
            if !known.contains(&d.name) {
                diags.push(Diagnostic::new(
                    &name,
                    line_of(text, d.line),
                    d.line,
                    d.column,
                    Severity::Error,
                    format!("no deck `{}` is loaded (see `detente decks`)", d.name),
                ));
            }
        }
        if diags.is_empty() {
            let pool = store.exam_pool(&exam::filter(exam), exam.score_flashcards)?;
            let available = exam::draw_paper(&pool, usize::MAX, 0).len();
            if available < exam.questions as usize {
                // Pointed at the `questions` line, where the number can be changed.
                let at = text
                    .lines()
                    .position(|l| l.trim_start().starts_with("questions"))
                    .map_or(1, |i| i + 1);
                diags.push(Diagnostic::new(
                    &name,
                    line_of(text, at),
                    at,
                    1,
                    Severity::Error,
                    format!(
                        "the exam asks {} questions but its decks and tags hold only {available}{}",
                        exam.questions,
                        if exam.score_flashcards {
                            ""
                        } else {
                            " (flashcards are self-graded and left out unless the exam sets score_flashcards = true)"
                        }
                    ),
                ));
            }
            let study = store.study_decks_drawn(&exam::filter(exam))?;
            if served && !study.is_empty() {
                let at = text
                    .lines()
                    .position(|l| {
                        let l = l.trim_start();
                        l.starts_with("decks") || l.starts_with("tags")
                    })
                    .map_or(1, |i| i + 1);
                diags.push(Diagnostic::new(
                    &name,
                    line_of(text, at),
                    at,
                    1,
                    Severity::Warning,
                    format!(
                        "the exam draws on decks students' devices hold ({}): it is open-book; keep an exam's \
                         questions in a bank with `exam_only = true` in its deck file that was never published as a \
                         study deck, so that its answers stay on the server",
                        study.join(", ")
                    ),
                ));
            }
        }
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let diagnostics = diags.iter().map(ToString::to_string).collect();
    let exam = match parsed {
        Some(e) if errors == 0 => e,
        _ => {
            return Ok(ExamLoaded {
                diagnostics,
                done: crate::server::api::Done::Data(format!(
                    "{name}: {errors} error(s); nothing was loaded"
                )),
            });
        }
    };
    let row = exam::exam_row(&exam, now)?;
    let what = store.upsert_exam(&row)?;
    Ok(ExamLoaded {
        diagnostics,
        done: crate::server::api::Done::Ok(format!(
            "{} exam {}: {} questions{}.",
            match what {
                Upsert::Added => "Loaded",
                Upsert::Changed => "Updated",
                Upsert::Unchanged => "Unchanged",
            },
            exam.id,
            exam.questions,
            exam.time_limit.map_or(String::new(), |m| format!(
                ", {m} minute{}",
                if m == 1 { "" } else { "s" }
            ))
        )),
    })
}

/// Whether a stored exam definition scores self-graded flashcards. Read leniently: a definition that does not
/// parse scores none.
fn self_graded(definition: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(definition)
        .ok()
        .and_then(|v| v.get("score_flashcards").and_then(|b| b.as_bool()))
        .unwrap_or(false)
}

/// Exam by exam, the learners whose unsupervised attempts an export leaves out.
type LeftOutUnsupervised = Vec<(String, Vec<String>)>;

/// Reads everything the export writes, and, exam by exam, the learners whose unsupervised attempts it leaves out.
fn sheet(
    reads: &mut dyn ReportReads,
    layout: Layout,
    opts: &GradesRequest,
    now: UnixMs,
) -> Result<(Sheet, LeftOutUnsupervised)> {
    let mut exams = reads.exams()?;
    if let Some(id) = opts.exam.as_deref() {
        exams.retain(|e| e.id == id);
        if exams.is_empty() {
            return Err(Error::Usage(format!(
                "no exam `{id}` is loaded (see `detente exam list`)"
            )));
        }
    }
    let mut decks = reads.decks()?;
    match opts.deck.as_deref() {
        Some(id) => {
            decks.retain(|d| d.id == id);
            if decks.is_empty() {
                return Err(Error::Usage(format!(
                    "no deck `{id}` is loaded (see `detente decks`)"
                )));
            }
        }
        // --exam alone asks for that exam's grades only.
        None if opts.exam.as_deref().is_some() && !opts.study => decks.clear(),
        // Canvas creates a graded assignment for every column it does not know: study columns only when asked.
        None if layout == Layout::Canvas && !opts.study => decks.clear(),
        None => {}
    }
    if opts.deck.as_deref().is_some() && opts.exam.as_deref().is_none() {
        exams.clear();
    }
    let learners = reads.learners()?;
    let mut left_out = Vec::new();
    let scores: Vec<Vec<crate::gradebook::ExamScore>> = exams
        .iter()
        .map(|e| {
            let mut s = reads.exam_scores(&e.id)?;
            if !opts.include_unsupervised {
                let names: Vec<String> = learners
                    .iter()
                    .filter(|l| s.iter().any(|a| a.unsupervised && a.learner_id == l.id))
                    .map(|l| l.name.clone())
                    .collect();
                if !names.is_empty() {
                    left_out.push((e.id.clone(), names));
                }
                s.retain(|a| !a.unsupervised);
            }
            Ok(s)
        })
        .collect::<Result<_>>()?;
    let mut sheet = Sheet {
        exams: exams
            .iter()
            .map(|e| ExamColumn {
                id: e.id.clone(),
                title: e.title.clone(),
                points: f64::from(e.questions),
                self_graded: self_graded(&e.definition),
                out_of: None,
            })
            .collect(),
        decks: Vec::new(),
        students: Vec::new(),
    };
    // Mastery as `detente stats` measures it: the same cards (active items of live decks), the same function, summed
    // per deck from each learner's states as they stream by (no card list is held).
    let items = if decks.is_empty() {
        Default::default()
    } else {
        reads.deck_items()?
    };
    sheet.decks = decks
        .iter()
        .map(|d| DeckColumn {
            id: d.id.clone(),
            items: items.get(&d.id).copied().unwrap_or(0),
        })
        .collect();
    for l in &learners {
        let exam_results = exams
            .iter()
            .zip(&scores)
            .map(|(e, s)| {
                let mine: Vec<&crate::gradebook::ExamScore> =
                    s.iter().filter(|a| a.learner_id == l.id).collect();
                gradebook::graded(&e.grading, &mine)
            })
            .collect();
        let mut deck_results = Vec::new();
        if !decks.is_empty() {
            let scheduler = Scheduler::new(l.settings())?;
            let mut sums =
                crate::stats::DeckSums::new(&scheduler, crate::stats::horizon(now.secs()));
            reads.for_each_deck_state(l.id, &mut |deck, state| sums.add(deck, state))?;
            let mut studies = reads.deck_study(l.id, &items)?;
            for d in &decks {
                let study = studies.remove(&d.id).unwrap_or_default();
                deck_results.push(DeckResult {
                    studied: study.studied,
                    mastery: sums.mastery(&d.id, items.get(&d.id).copied().unwrap_or(0)),
                    days_active: study.days_active,
                    last_activity_ms: study.last_activity_ms,
                });
            }
        }
        sheet.students.push(Student {
            name: l.name.clone(),
            identity: l.identity(),
            exams: exam_results,
            decks: deck_results,
        });
    }
    Ok((sheet, left_out))
}

/// `grades export`: the grade CSV in the request's layout, cleaned, and what the command says under it.
pub fn grades(store: &mut Store, req: &GradesRequest, now: UnixMs) -> Result<GradeExport> {
    super::close_expired(store, now.secs())?;
    // A pass over every learner's states, each with the deck it carries: no card is looked up, so SQLite's default
    // page cache (2 MB) is enough and the export's memory does not grow with the class.
    grades_read(&mut &store.conn, req, now)
}

/// [`grades`] on whichever store answers the reports' reads (its expired attempts closed by the caller).
pub fn grades_read(
    reads: &mut dyn ReportReads,
    req: &GradesRequest,
    now: UnixMs,
) -> Result<GradeExport> {
    let (mut sheet, unsupervised) = sheet(reads, req.layout, req, now)?;
    let twins = gradebook::duplicate_titles(req.layout, &sheet);
    if !twins.is_empty() {
        return Err(Error::InvalidData(format!(
            "{} would take exams with one title for one column: {}; give each exam a title of its own (its \
             file's `title`, then `exam load`), or export them one at a time with --exam; no grades were written",
            req.layout.name(),
            twins
                .iter()
                .map(|(title, ids)| format!("\"{title}\" ({})", ids.join(", ")))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let mut not_in_gradebook = Vec::new();
    let mut moodle_items = Vec::new();
    let (headers, unmatched) = match &req.gradebook {
        None => Default::default(),
        Some(text) => {
            if req.layout == Layout::Native {
                return Err(Error::Usage(
                    "--gradebook is for moodle, canvas and blackboard: the native layout has no LMS columns"
                        .into(),
                ));
            }
            if req.layout == Layout::Moodle
                && let Some(by) = req.match_by.or(req.layout.default_match())
            {
                // Moodle aborts the whole import on a user it cannot find: only learners the gradebook holds are
                // written, each identifier spelled as Moodle holds it.
                let held = gradebook::moodle_identifiers(text.as_bytes(), by).map_err(|p| {
                    Error::InvalidData(format!("the gradebook:{}: {}", p.line, p.message))
                })?;
                not_in_gradebook = gradebook::align_identifiers(&mut sheet.students, by, &held);
            }
            let columns = gradebook::read_gradebook(req.layout, text.as_bytes()).map_err(|p| {
                Error::InvalidData(format!("the gradebook:{}: {}", p.line, p.message))
            })?;
            let (headers, unmatched) = gradebook::match_columns(&sheet.exams, &columns)
                .map_err(|e| Error::InvalidData(format!("{e}; no grades were written")))?;
            if req.layout == Layout::Moodle {
                for exam in &mut sheet.exams {
                    if let Some(header) = headers.get(&exam.id) {
                        exam.out_of = columns
                            .iter()
                            .find(|c| c.header == *header)
                            .and_then(|c| c.out_of);
                        moodle_items.push((exam.id.clone(), header.clone(), exam.out_of));
                    }
                }
            }
            let titled: Vec<(String, String)> = unmatched
                .into_iter()
                .map(|id| {
                    let title = sheet
                        .exams
                        .iter()
                        .find(|e| e.id == id)
                        .map(|e| e.title.clone())
                        .unwrap_or_default();
                    (id, title)
                })
                .collect();
            (headers, titled)
        }
    };
    let failed = |e: String| Error::io("cannot write the grades", std::io::Error::other(e));
    let mut out = crate::text::CleanWriter::new(Vec::new());
    let mut left_out = gradebook::write(
        req.layout,
        &sheet,
        req.match_by,
        req.guard_identifiers,
        &headers,
        &mut out,
    )
    .map_err(|e| failed(e.to_string()))?;
    let removed = not_in_gradebook.len();
    left_out.extend(not_in_gradebook);
    let risky = gradebook::risky_identifiers(req.layout, &sheet, req.match_by);
    let csv = out.finish().map_err(|e| failed(e.to_string()))?;
    Ok(GradeExport {
        csv: String::from_utf8(csv).map_err(|e| failed(e.to_string()))?,
        students: sheet.students.len() + removed,
        exams: sheet.exams.len(),
        decks: sheet.decks.len(),
        left_out,
        unsupervised,
        risky,
        unmatched,
        moodle_items,
    })
}

/// Every learner's grade of one exam: their id, name and result if they have one.
pub type ExamGrades = Vec<(i64, String, Option<gradebook::ExamResult>)>;

/// One exam's grades as `grades export --exam` computes them (closed attempts, the exam's grading method,
/// unsupervised attempts left out unless asked): its column and, for every learner on the roster (by id, in the
/// roster's order), their result if they have one (its expired attempts closed by the caller). The LTI grade
/// passback posts these.
pub fn exam_grades(
    reads: &mut dyn ReportReads,
    exam: &str,
    include_unsupervised: bool,
    now: UnixMs,
) -> Result<(ExamColumn, ExamGrades)> {
    let req = GradesRequest {
        layout: Layout::Native,
        exam: Some(exam.to_string()),
        deck: None,
        match_by: None,
        study: false,
        include_unsupervised,
        guard_identifiers: false,
        gradebook: None,
    };
    let (sheet, _) = sheet(reads, Layout::Native, &req, now)?;
    let column = sheet.exams.into_iter().next().ok_or_else(|| {
        Error::Usage(format!(
            "no exam `{exam}` is loaded (see `detente exam list`)"
        ))
    })?;
    let learners = reads.learners()?;
    let rows = learners
        .into_iter()
        .zip(sheet.students)
        .map(|(l, s)| (l.id, l.name, s.exams.into_iter().next().flatten()))
        .collect();
    Ok((column, rows))
}

/// Every learner's study of one deck: their id, name and study (mastery, last activity).
pub type DeckGrades = Vec<(i64, String, DeckResult)>;

/// One deck's study columns as `grades export --deck` computes them: the deck and, for every learner on the roster
/// (by id, in the roster's order), their mastery as `detente stats` measures it and their last activity. The LTI
/// grade passback posts the mastery when the teacher asks.
pub fn deck_mastery(
    reads: &mut dyn ReportReads,
    deck: &str,
    now: UnixMs,
) -> Result<(DeckColumn, DeckGrades)> {
    let req = GradesRequest {
        layout: Layout::Native,
        exam: None,
        deck: Some(deck.to_string()),
        match_by: None,
        study: true,
        include_unsupervised: false,
        guard_identifiers: false,
        gradebook: None,
    };
    let (sheet, _) = sheet(reads, Layout::Native, &req, now)?;
    let column =
        sheet.decks.into_iter().next().ok_or_else(|| {
            Error::Usage(format!("no deck `{deck}` is loaded (see `detente decks`)"))
        })?;
    let learners = reads.learners()?;
    let rows = learners
        .into_iter()
        .zip(sheet.students)
        .map(|(l, s)| (l.id, l.name, s.decks.into_iter().next().unwrap_or_default()))
        .collect();
    Ok((column, rows))
}
