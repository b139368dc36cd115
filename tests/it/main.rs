//! The integration tests, one module per area, linked as one test binary (`cargo test --test it`). What they share
//! is in `support`. The tests of the real Anki and GIFT clients are a binary of their own (`tests/real_clients.rs`).

// Tests may unwrap: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod admin;
mod architecture;
mod attempts;
mod browser;
mod builtin_decks;
mod busy;
#[cfg(feature = "server")]
mod class_page;
mod cli;
mod conformance;
mod convert_props;
mod deck_tools;
mod domains;
mod enrolment;
mod exam_dates;
#[cfg(feature = "server")]
mod exam_server;
mod exam_terminal;
mod exams;
mod first_queue;
mod gift;
mod gift_round_trips;
mod gradebook;
mod leaks;
#[cfg(feature = "server")]
mod lti;
#[cfg(feature = "server")]
mod lti_roster;
mod mastery;
mod moodle_xml;
mod natural_answers;
mod order;
#[cfg(feature = "server")]
mod pg_admin;
#[cfg(feature = "server")]
mod pg_exams;
#[cfg(feature = "server")]
mod pg_import;
#[cfg(feature = "server")]
mod pg_lti;
#[cfg(feature = "server")]
mod pg_reports;
#[cfg(feature = "server")]
mod pg_roster;
mod qti;
mod reliability;
#[cfg(feature = "server")]
mod repo;
mod screens;
mod server;
#[cfg(feature = "server")]
mod server_teacher;
#[cfg(feature = "server")]
mod server_tls;
mod session;
mod stats;
mod study_screen;
mod sync;
#[cfg(feature = "server")]
mod sync_server;
mod tables;
mod terminal;
mod text_formats;
mod text_formats_anki_round_trips;
mod writers;
