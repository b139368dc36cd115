//! Exam dates: scheduling for a course that ends in an exam. Pure functions of the card's state, the
//! exam's day and the learner's target retention, applied to the [`Outcome`] the scheduler computed.
//!
//! Until the exam's day, for the cards in its scope:
//! - New cards are introduced in time: [`ExamDate::new_today`] is how many to introduce today so that every card
//!   still new is seen at least `lead_days` (D, default 3) days before the exam, spread evenly over the days left.
//! - [`apply`]: a review interval that would carry the next review onto the exam day or past it, with the predicted
//!   recall on the exam morning (before that day's study) below the target retention, is shortened to the last day
//!   before the exam whose predicted recall is still at least the target (tomorrow, when even that is below it).
//!   Intervals that end before the exam day (the rule looks again at that review), or whose recall on the exam
//!   morning is high enough, are left alone; so is an answer on the exam's eve, which has no day before the exam
//!   left to move to: the rule never shortens an interval onto the exam day itself. So a learner who keeps to the
//!   plan meets the exam with every card in scope at the target or above, as the scheduler predicts it, except a
//!   card answered on the eve that even a day's wait takes below it. The shortened interval is not fuzzed: fuzz
//!   could only move it past that last day, or earlier for nothing; the fuzz of the ordinary interval (drawn from
//!   the card and its review count) is unchanged, so a replay reproduces both.
//!
//! On and after the exam's day the ordinary schedule resumes; cards outside every scope are never touched; cram
//! moves no schedule at all. The review log records the exam day in force and, when the rule shortened an
//! interval, the interval it replaced; replay ([`super::replay()`]) applies the rule exactly where the log says it
//! was in force, so it reproduces the states whatever exam dates are set when it runs.

use super::{Calendar, Outcome, Phase, Scheduler};
use crate::time::Day;
use chrono::{Datelike, NaiveDate};

/// New cards in an exam's scope are all seen this many days before it, unless said otherwise.
pub const DEFAULT_LEAD_DAYS: u32 = 3;

/// An exam's day, in the learner's calendar days ([`Calendar::day_of`]: days since 1 January of year 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExamDate {
    pub day: Day,
    /// New cards in scope are all seen at least this many days before the exam (D).
    pub lead_days: u32,
}

impl ExamDate {
    /// The exam on `date`, new cards seen `lead_days` before it.
    pub fn on(date: NaiveDate, lead_days: u32) -> ExamDate {
        ExamDate {
            day: Day(i64::from(date.num_days_from_ce())),
            lead_days,
        }
    }

    /// The exam's calendar date.
    pub fn date(&self) -> Option<NaiveDate> {
        i32::try_from(self.day.0)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
    }

    /// Whether the exam still lies ahead on `today` (the rule holds until the day before it).
    pub fn ahead(&self, today: Day) -> bool {
        today < self.day
    }

    /// Days from `today` to the exam.
    pub fn days_left(&self, today: Day) -> i64 {
        self.day.days_since(today)
    }

    /// The last day a new card in scope may be seen for the first time.
    pub fn last_new_day(&self) -> Day {
        self.day.plus(-i64::from(self.lead_days))
    }

    /// New cards in scope to introduce on `today`, when `to_go` of them were still new at the start of the day:
    /// the same number each day up to [`ExamDate::last_new_day`] (rounded up), all of them once that day is past,
    /// none on or after the exam's day.
    pub fn new_today(&self, today: Day, to_go: u32) -> u32 {
        if !self.ahead(today) || to_go == 0 {
            return 0;
        }
        let days = (self.last_new_day().days_since(today) + 1).max(1);
        u32::try_from(i64::from(to_go).div_euclid(days) + i64::from(i64::from(to_go) % days != 0))
            .unwrap_or(to_go)
    }
}

/// A user may set an exam date at most this many years ahead (`--exam-date`).
pub const MAX_YEARS_AHEAD: u32 = 5;

/// The one rule for an exam date a user sets (`study --exam-date`, `learner add|set --exam-date`): from `today`
/// (the learner's calendar day, allowed) to [`MAX_YEARS_AHEAD`] years ahead. Past exams in exam definitions and
/// bundles are not user-set dates and are not checked here. The error is one line saying what is allowed.
pub fn check_user_date(date: NaiveDate, today: Day) -> Result<(), String> {
    let Some(first) = (ExamDate {
        day: today,
        lead_days: 0,
    })
    .date() else {
        return Err(format!("--exam-date {date}: today's date is out of range"));
    };
    let last = first
        .checked_add_months(chrono::Months::new(12 * MAX_YEARS_AHEAD))
        .unwrap_or(NaiveDate::MAX);
    let allowed =
        format!("give a date from today ({first}) to {MAX_YEARS_AHEAD} years ahead ({last})");
    if date < first {
        Err(format!("--exam-date {date} is in the past; {allowed}"))
    } else if date > last {
        Err(format!(
            "--exam-date {date} is more than {MAX_YEARS_AHEAD} years ahead; {allowed}"
        ))
    } else {
        Ok(())
    }
}

/// The one rule for an exam scope a user sets (`--exam-scope`): each entry must name a loaded deck (`decks`) or
/// match, as a tag pattern with `*` and `?` wildcards, some card's tag (`tags`), the way [`crate::store::Filter`]
/// reads it. The error names the first entry that matches nothing and the nearest deck ids and tags.
pub fn check_scope(scope: &[String], decks: &[String], tags: &[String]) -> Result<(), String> {
    for entry in scope {
        if decks.iter().any(|d| d == entry) || tags.iter().any(|t| glob(entry, t)) {
            continue;
        }
        let mut near: Vec<(f64, &String)> = decks
            .iter()
            .chain(tags)
            .map(|n| (strsim::normalized_damerau_levenshtein(entry, n), n))
            .filter(|(score, _)| *score >= 0.5)
            .collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        near.dedup_by(|a, b| a.1 == b.1);
        let hint = if near.is_empty() {
            "; see `detente decks` for the deck ids".to_string()
        } else {
            let names: Vec<String> = near.iter().take(3).map(|(_, n)| format!("`{n}`")).collect();
            format!("; did you mean {}?", names.join(" or "))
        };
        return Err(format!("--exam-scope: no deck or tag `{entry}`{hint}"));
    }
    Ok(())
}

/// The line `due` and `stats` show: "exam in 12 days: 143 new cards to go, 12 a day".
pub fn line(exam: &ExamDate, today: Day, to_go: u32, per_day: u32) -> String {
    let days = exam.days_left(today);
    let when = match days {
        ..=0 => "exam today".to_string(),
        1 => "exam tomorrow".to_string(),
        n => format!("exam in {n} days"),
    };
    if to_go == 0 {
        format!("{when}: every new card seen")
    } else {
        format!(
            "{when}: {to_go} new card{} to go, {per_day} a day",
            if to_go == 1 { "" } else { "s" }
        )
    }
}

/// An exam that schedules: its name (an exam id, "learner" or "session"), its day and the cards it covers, the
/// way a [`crate::store::Filter`] selects them (deck ids, tags with `*` wildcards; both must hold when both are
/// given; neither: every card).
#[derive(Debug, Clone, PartialEq)]
pub struct Upcoming {
    pub name: String,
    pub date: ExamDate,
    pub decks: Vec<String>,
    pub tags: Vec<String>,
}

impl Upcoming {
    /// Whether a card of `deck` with `tags` is in the exam's scope.
    pub fn covers(&self, deck: &str, tags: &[String]) -> bool {
        (self.decks.is_empty() || self.decks.iter().any(|d| d == deck))
            && (self.tags.is_empty()
                || self
                    .tags
                    .iter()
                    .any(|pattern| tags.iter().any(|t| glob(pattern, t))))
    }
}

/// The exam in force for a card on `today`: the soonest of those still ahead whose scope covers it.
pub fn for_card(exams: &[Upcoming], today: Day, deck: &str, tags: &[String]) -> Option<ExamDate> {
    exams
        .iter()
        .filter(|e| e.date.ahead(today) && e.covers(deck, tags))
        .map(|e| e.date)
        .min_by_key(|d| d.day)
}

/// SQLite's GLOB for `*` and `?` (the tag filters' wildcards), case-sensitive.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Applies the exam rule to an answer's outcome (see the module's documentation). Returns the interval the rule
/// replaced, or `None` when it left the outcome alone. The outcome's day is its state's `last_day`; its due time is
/// recomputed with `cal` as [`Scheduler::answer`] computes it.
pub fn apply(
    scheduler: &Scheduler,
    outcome: &mut Outcome,
    exam: &ExamDate,
    cal: &Calendar,
) -> Option<u32> {
    let state = &mut outcome.state;
    let today = state.last_day;
    if state.phase != Phase::Review || !exam.ahead(today) {
        return None;
    }
    let to_exam = exam.days_left(today);
    // Due before the exam: the rule looks again when the card is answered then.
    if i64::from(state.interval) < to_exam {
        return None;
    }
    let target = scheduler.settings.desired_retention;
    let recall = |days: i64| scheduler.retrievability(state, days as f32);
    // Ready on the exam morning as it is; or answered on the exam's eve, with no day before the exam to move to.
    if recall(to_exam) >= target || to_exam < 2 {
        return None;
    }
    // The last day before the exam whose predicted recall is still at least the target (recall falls with time),
    // at least one day.
    let (mut lo, mut hi) = (1i64, to_exam - 1);
    let mut last = 1;
    while lo <= hi {
        let mid = (lo + hi) / 2;
        if recall(mid) >= target {
            last = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    let from = state.interval;
    state.interval = u32::try_from(last).unwrap_or(1);
    state.due = cal.start_of(today.plus(last));
    Some(from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{CardState, Settings};
    use chrono::FixedOffset;

    fn cal() -> Calendar {
        Calendar::fixed(FixedOffset::east_opt(0).expect("utc"), 4)
    }

    fn review(stability: f32, interval: u32, today: Day) -> Outcome {
        Outcome {
            state: CardState {
                phase: Phase::Review,
                step: 0,
                stability,
                difficulty: 5.0,
                due: cal().start_of(today.plus(i64::from(interval))),
                last_review: cal().start_of(today) + 3600,
                last_day: today,
                interval,
                reps: 4,
                lapses: 0,
                leech: false,
            },
            elapsed_days: 3,
            became_leech: false,
        }
    }

    fn scheduler() -> Scheduler {
        Scheduler::new(Settings::default()).expect("defaults")
    }

    const TODAY: Day = Day(739_000);

    #[test]
    fn an_interval_past_the_exam_with_low_recall_is_shortened_to_the_last_good_day() {
        let s = scheduler();
        let exam = ExamDate {
            day: TODAY.plus(30),
            lead_days: 3,
        };
        // S = 10: recall 0.9 after 10 days, below it after; a 45-day interval would leave recall on the exam day
        // (30 days on) near 0.79.
        let mut out = review(10.0, 45, TODAY);
        let from = apply(&s, &mut out, &exam, &cal());
        assert_eq!(from, Some(45));
        assert_eq!(out.state.interval, 10);
        assert_eq!(out.state.due, cal().start_of(TODAY.plus(10)));
        assert!(s.retrievability(&out.state, 10.0) >= 0.9);
        assert!(s.retrievability(&out.state, 11.0) < 0.9);
        assert!(TODAY.plus(i64::from(out.state.interval)) < exam.day);
    }

    #[test]
    fn a_card_due_on_the_exam_day_below_target_comes_the_day_before_it_or_earlier() {
        let s = scheduler();
        // Due on the exam's day itself (interval = days left), recall that morning below the target: the old
        // rule's `interval <= days left` never looked at it.
        let exam = ExamDate {
            day: TODAY.plus(14),
            lead_days: 3,
        };
        let mut out = review(10.0, 14, TODAY);
        assert!(s.retrievability(&out.state, 14.0) < 0.9);
        assert_eq!(apply(&s, &mut out, &exam, &cal()), Some(14));
        assert_eq!(out.state.interval, 10);
        assert_eq!(out.state.due, cal().start_of(TODAY.plus(10)));
        // Due on the exam's day with recall that morning still high enough: left alone.
        let exam = ExamDate {
            day: TODAY.plus(8),
            lead_days: 3,
        };
        let mut out = review(10.0, 8, TODAY);
        let before = out;
        assert_eq!(apply(&s, &mut out, &exam, &cal()), None);
        assert_eq!(out, before);
    }

    #[test]
    fn on_the_exam_eve_nothing_is_shortened_onto_the_exam_day() {
        let s = scheduler();
        let exam = ExamDate {
            day: TODAY.plus(1),
            lead_days: 3,
        };
        // A 2-day interval the day before the exam, recall a day on below the target: the old rule made it 1,
        // the exam's day itself. There is no day before the exam left; the interval stays as it was.
        let mut out = review(0.5, 2, TODAY);
        assert!(s.retrievability(&out.state, 1.0) < 0.9);
        let before = out;
        assert_eq!(apply(&s, &mut out, &exam, &cal()), None);
        assert_eq!(out, before);
        // Two days out, the same card comes tomorrow, the exam's eve.
        let exam = ExamDate {
            day: TODAY.plus(2),
            lead_days: 3,
        };
        let mut out = review(0.5, 3, TODAY);
        assert_eq!(apply(&s, &mut out, &exam, &cal()), Some(3));
        assert_eq!(out.state.interval, 1);
    }

    #[test]
    fn an_interval_is_left_alone_when_recall_on_the_exam_day_is_high_enough() {
        let s = scheduler();
        // Past the exam, but the exam comes 5 days on, when recall is still above 0.9.
        let exam = ExamDate {
            day: TODAY.plus(5),
            lead_days: 3,
        };
        let mut out = review(10.0, 12, TODAY);
        let before = out;
        assert_eq!(apply(&s, &mut out, &exam, &cal()), None);
        assert_eq!(out, before);
        // Ends before the exam.
        let exam = ExamDate {
            day: TODAY.plus(30),
            lead_days: 3,
        };
        let mut out = review(10.0, 10, TODAY);
        let before = out;
        assert_eq!(apply(&s, &mut out, &exam, &cal()), None);
        assert_eq!(out, before);
    }

    #[test]
    fn never_past_the_exam_for_any_stability_while_it_is_ahead() {
        let s = scheduler();
        let exam = ExamDate {
            day: TODAY.plus(20),
            lead_days: 3,
        };
        for day in (TODAY.0..exam.day.0).map(Day) {
            for stability in [0.5f32, 1.0, 3.0, 8.0, 19.0, 40.0, 200.0] {
                for interval in [1u32, 2, 5, 13, 30, 90, 400] {
                    let mut out = review(stability, interval, day);
                    apply(&s, &mut out, &exam, &cal());
                    let next = day.plus(i64::from(out.state.interval));
                    let recall_on_day =
                        s.retrievability(&out.state, exam.day.days_since(day) as f32);
                    let eve = day.plus(1) == exam.day;
                    assert!(
                        next < exam.day || recall_on_day >= 0.9 || eve,
                        "S {stability}, interval {interval} on day {day}: next {next}"
                    );
                    assert!(out.state.interval >= 1 && out.state.interval <= interval);
                    // A shortened interval ends before the exam, never on it.
                    assert!(out.state.interval == interval || next < exam.day);
                }
            }
        }
    }

    #[test]
    fn unchanged_on_and_after_the_exam_and_outside_review() {
        let s = scheduler();
        let exam = ExamDate {
            day: TODAY,
            lead_days: 3,
        };
        for today in [TODAY, TODAY.plus(1), TODAY.plus(40)] {
            let mut out = review(2.0, 60, today);
            let before = out;
            assert_eq!(apply(&s, &mut out, &exam, &cal()), None);
            assert_eq!(out, before);
        }
        let ahead = ExamDate {
            day: TODAY.plus(30),
            lead_days: 3,
        };
        let mut learning = review(2.0, 0, TODAY);
        learning.state.phase = Phase::Relearning;
        let before = learning;
        assert_eq!(apply(&s, &mut learning, &ahead, &cal()), None);
        assert_eq!(learning, before);
    }

    #[test]
    fn scope_and_the_exam_in_force() {
        let exams = [
            Upcoming {
                name: "final".into(),
                date: ExamDate {
                    day: TODAY.plus(30),
                    lead_days: 3,
                },
                decks: vec![],
                tags: vec!["theme:*".into()],
            },
            Upcoming {
                name: "midterm".into(),
                date: ExamDate {
                    day: TODAY.plus(10),
                    lead_days: 3,
                },
                decks: vec!["sherr".into()],
                tags: vec![],
            },
        ];
        let themed = vec!["theme:security".to_string()];
        assert_eq!(
            for_card(&exams, TODAY, "sherr", &themed).map(|d| d.day),
            Some(TODAY.plus(10))
        );
        assert_eq!(
            for_card(&exams, TODAY, "other", &themed).map(|d| d.day),
            Some(TODAY.plus(30))
        );
        // Out of scope: no exam; after the midterm, the final.
        assert_eq!(for_card(&exams, TODAY, "other", &[]), None);
        assert_eq!(
            for_card(&exams, TODAY.plus(10), "sherr", &themed).map(|d| d.day),
            Some(TODAY.plus(30))
        );
        assert_eq!(for_card(&exams, TODAY.plus(30), "sherr", &themed), None);
        assert!(glob("actor:*", "actor:nato") && !glob("actor:*", "theme:x"));
        assert!(glob("a?c", "abc") && glob("*", "") && !glob("a", "ab"));
    }

    #[test]
    fn new_cards_are_paced_to_finish_lead_days_before() {
        let exam = ExamDate {
            day: TODAY.plus(30),
            lead_days: 3,
        };
        // 240 cards, 30 days out: days TODAY..=TODAY+27 are 28 days, 9 a day (rounded up).
        assert_eq!(exam.new_today(TODAY, 240), 9);
        // Introducing that many each day sees every card by the last new day, and none is left for later.
        let mut to_go = 240;
        let mut day = TODAY;
        while to_go > 0 {
            let n = exam.new_today(day, to_go);
            assert!(n > 0);
            to_go -= n.min(to_go);
            day = day.plus(1);
        }
        assert!(
            day.plus(-1) <= exam.last_new_day(),
            "last new card on {}",
            day.plus(-1)
        );
        // Spread evenly: never more than one apart from the first day's count.
        assert!(
            (0..28)
                .all(|d| exam.new_today(TODAY.plus(d), 240u32.saturating_sub(9 * d as u32)) <= 9)
        );
        // Past the last new day: everything left, at once; none on the exam's day.
        assert_eq!(exam.new_today(TODAY.plus(28), 17), 17);
        assert_eq!(exam.new_today(TODAY.plus(30), 17), 0);
        assert_eq!(exam.new_today(TODAY, 0), 0);
        assert_eq!(
            line(&exam, TODAY.plus(18), 143, 12),
            "exam in 12 days: 143 new cards to go, 12 a day"
        );
        let date = crate::text::parse_date("2026-12-14").expect("date");
        assert_eq!(ExamDate::on(date, 3).date(), Some(date));
        assert_eq!(crate::text::parse_date("14/12/2026"), None);
    }

    #[test]
    fn a_user_set_date_runs_from_today_to_five_years_ahead() {
        let d = |t: &str| crate::text::parse_date(t).expect("date");
        let today = ExamDate::on(d("2026-12-07"), 0).day;
        assert!(check_user_date(d("2026-12-07"), today).is_ok());
        assert!(check_user_date(d("2031-12-07"), today).is_ok());
        for bad in [
            "2026-12-06",
            "1970-01-01",
            "1900-01-01",
            "2031-12-08",
            "9999-12-31",
        ] {
            let e = check_user_date(d(bad), today).expect_err(bad);
            assert!(
                e.contains("2026-12-07") && e.contains("2031-12-07") && !e.contains('\n'),
                "{e}"
            );
        }
    }

    #[test]
    fn a_scope_entry_must_name_a_deck_or_match_a_tag() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let decks = s(&["sherr-lisbon-2010", "capitals"]);
        let tags = s(&["theme:rights", "theme:law"]);
        assert!(
            check_scope(
                &s(&["sherr-lisbon-2010", "theme:*", "theme:law"]),
                &decks,
                &tags
            )
            .is_ok()
        );
        assert!(check_scope(&[], &decks, &tags).is_ok());
        let e = check_scope(&s(&["sherr-lisbn-2010"]), &decks, &tags).expect_err("typo");
        assert!(
            e.contains("no deck or tag `sherr-lisbn-2010`; did you mean `sherr-lisbon-2010`"),
            "{e}"
        );
        let e = check_scope(&s(&["capitals", "topic:*"]), &decks, &tags).expect_err("glob");
        assert!(e.contains("`topic:*`"), "{e}");
        assert!(check_scope(&s(&["Capitals"]), &decks, &[]).is_err());
    }
}
