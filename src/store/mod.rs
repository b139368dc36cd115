//! SQLite storage: opening a database (pragmas, migrations, refusing a newer schema), and the queries. All SQL in
//! detente lives under this module. Every write helper takes a transaction, so that callers compose writes and
//! commit them at once.
//!
//! One file per group of tables: `open` (the [`Store`] handle), `learners`, `cards` (decks and cards), `states`
//! (card states), `reviews` (the review log), `sessions` (sessions and the flags a learner raises), `filter`,
//! then the larger features: [`counts`], [`exam_dates`], `exams` (and `exam_records`: what the served exams
//! read and write, on either database), `people` (identities and rosters), `roster` (the roster's reads and writes
//! as one interface, [`RosterDb`], with the rules written once over it), `stats`, `import`, `bundle` and `flags` (the
//! teacher's side), `enrolment` (issued keys, this device's key), `lti` (LTI 1.3 links, courses and the score
//! outbox), `sync` (the sync log: device ids, events, pulls, pushes, digests), `units` (how the time units and
//! ratings are stored), `report_reads` (what the teacher's reports read, answered by SQLite and PostgreSQL alike),
//! and [`admin`] (backups, one learner's rows in every table).
//!
//! The class server reaches its storage through one interface, [`ClassStore`] (`repo`), with two backends: the
//! SQLite [`Store`] and, with the `server` feature, PostgreSQL (`pg`).

pub mod admin;
mod bundle;
mod cards;
pub mod counts;
mod devices;
mod enrolment;
pub mod exam_dates;
mod exam_records;
mod exams;
mod filter;
mod flags;
mod import;
mod import_db;
mod learners;
mod lti;
mod open;
mod people;
#[cfg(feature = "server")]
pub mod pg;
mod repo;
mod report_reads;
mod reviews;
pub mod roster;
mod sessions;
mod states;
mod stats;
mod sync;
mod units;

pub use bundle::{
    BundleAnswer, BundleAttempt, BundleDeck, BundleReview, MergeReport, bundle_attempts,
    bundle_decks, bundle_reviews, card_id, deck_hash, exam_exists, for_each_bundle_review,
    replace_states,
};
pub use bundle::{CLOCK_SLACK_S, EARLIEST_S, validate_attempt, validate_flag, validate_review};
pub use cards::{
    Aliases, DeckAnswers, DeckInfo, StoredCard, card, deck, deck_answers, deck_cards, deck_sources,
    decks, filtered_cards,
};
pub use counts::{DueCounts, due_counts, new_cards};
pub use devices::{
    DeviceRecord, device, device_by_token, devices, insert_device, revoke_device, revoke_devices,
    touch_device,
};
pub use enrolment::{
    DeviceKey, IssuedKey, device_key, enrolled_name, issue_key, issued_key, key_id_taken,
    learners_by_identifier, mark_unverified, set_device_key, unverified_imports, valid_key,
    valid_keys,
};
pub use exam_records::ExamRecords;
pub use exams::{
    Attempt, AttemptAnswer, ExamRow, ItemResponse, SHARED_BANK, UNSUPERVISED_FROM, Upsert,
    answer_seqs, attempt_answers, attempt_known, attempts, close_attempt, close_expired_attempts,
    deck_first_responses, exam, exam_attempts, exam_only_deck, exam_pool, exam_responses, exams,
    extra_minutes, insert_answer, insert_attempt, insert_unsupervised_attempt, next_attempt_number,
    put_served_answer, replace_answer, set_extra_time, set_open_deadline, study_decks_drawn,
    supervised_attempts, unsupervised_count, upsert_exam,
};
pub use filter::Filter;
pub use flags::{
    BundleFlag, FlagMerge, FlagRow, FlagState, bundle_flags, flags, flags_over_cap,
    open_flags_by_card, resolve_flag,
};
pub use import::{ImportReport, import_deck, sync_builtin, sync_builtin_tx};
pub use import_db::{ImportDb, merge_attempts, merge_flags, merge_reviews};
pub use learners::{
    DEFAULT_ROLLOVER_HOUR, Learner, add_learner, learner_by_id, learner_by_name,
    learner_get_or_create, learners, update_learner,
};
pub use lti::{
    LtiContext, LtiRecords, NewScore, OutboxRow, Tried, due_scores, link_lti_user, lti_contexts,
    lti_learner, lti_line_item, lti_subs, next_due, outbox, queue_score, record_try,
    set_lti_line_item, tried_columns, upsert_lti_context,
};
pub use open::{BUSY_TIMEOUT, SCHEMA_VERSION, Store, default_path, is_busy};
pub use people::{
    DeckStudy, deck_items, deck_study, exam_scores, learner_by_identity, learner_by_username,
    set_identity,
};
pub use repo::{
    ClassStore, Registration, Roster, admit_device, merged_again, publishable, roster, shared_bank,
};
pub use report_reads::ReportReads;
pub use reviews::{LoggedReview, Review, Today, insert_review, study_log, today};
pub use roster::{IdField, PeopleReads, RosterDb, RosterOutcome, import_roster};
pub use sessions::{add_flag, end_session, is_flagged, remove_flags, start_session};
pub use states::{due_learning, due_reviews, put_state, reset_cards, state, states};
pub use stats::{
    best_supervised_scores, card_prompts, deck_titles, for_each_deck_state, for_each_memory_state,
    for_each_review_day, for_each_stat_card, for_each_theme_tag, last_exam_activity,
    open_flag_counts, review_log, save_parameters, stat_cards, state_map,
};
pub use sync::{
    Device, append_events, device_id, digest, events_since, log_end, next_seq, rederive_since,
    rederive_states, retract_review,
};
pub use sync::{
    PublishedDeck, acked, begin_write, device_events, held, publish_deck, published_deck,
    published_decks, pull_page, pulled, set_acked, set_pulled,
};
