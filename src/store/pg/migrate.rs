//! The PostgreSQL schema's migrations (`migrations/postgres/NNNN_*.sql`, one for each SQLite migration, with the
//! same number) and the runner that applies them as the tables' owner, recording each version applied in
//! `detente_migrations`; then the app role's grants: it reads and writes rows, owns nothing, so it can neither
//! alter nor drop a table nor turn row-level security off.

use crate::error::{Error, Result};
use postgres::GenericClient;

/// The migrations, in order: (version, name, SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "card_reset",
        include_str!("../../../migrations/postgres/0002_card_reset.sql"),
    ),
    (
        3,
        "identities_exams",
        include_str!("../../../migrations/postgres/0003_identities_exams.sql"),
    ),
    (
        4,
        "deck_answers",
        include_str!("../../../migrations/postgres/0004_deck_answers.sql"),
    ),
    (
        5,
        "new_order",
        include_str!("../../../migrations/postgres/0005_new_order.sql"),
    ),
    (
        6,
        "flag_state_unsupervised",
        include_str!("../../../migrations/postgres/0006_flag_state_unsupervised.sql"),
    ),
    (
        7,
        "exam_dates",
        include_str!("../../../migrations/postgres/0007_exam_dates.sql"),
    ),
    (
        8,
        "enrolment",
        include_str!("../../../migrations/postgres/0008_enrolment.sql"),
    ),
    (
        9,
        "sync_log",
        include_str!("../../../migrations/postgres/0009_sync_log.sql"),
    ),
    (
        10,
        "devices",
        include_str!("../../../migrations/postgres/0010_devices.sql"),
    ),
    (
        11,
        "sync_client",
        include_str!("../../../migrations/postgres/0011_sync_client.sql"),
    ),
    (
        12,
        "served_exams",
        include_str!("../../../migrations/postgres/0012_served_exams.sql"),
    ),
    (
        13,
        "lti",
        include_str!("../../../migrations/postgres/0013_lti.sql"),
    ),
    (
        14,
        "deck_words",
        include_str!("../../../migrations/postgres/0014_deck_words.sql"),
    ),
    (
        15,
        "state_deck",
        include_str!("../../../migrations/postgres/0015_state_deck.sql"),
    ),
    (
        16,
        "lti_memberships",
        include_str!("../../../migrations/postgres/0016_lti_memberships.sql"),
    ),
    (
        17,
        "shared_banks",
        include_str!("../../../migrations/postgres/0017_shared_banks.sql"),
    ),
];

/// The PostgreSQL schema version this build writes: the same number as SQLite's (`store::SCHEMA_VERSION`).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const VERSIONS: &str = "CREATE TABLE IF NOT EXISTS detente_migrations (
    version    bigint PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)";

/// The highest migration applied to the database (0 for a new one).
pub fn schema_version(client: &mut impl GenericClient) -> Result<i64> {
    let exists: bool = client
        .query_one("SELECT to_regclass('detente_migrations') IS NOT NULL", &[])?
        .try_get(0)?;
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM detente_migrations",
            &[],
        )?
        .try_get(0)?)
}

/// A role name as it may be written into a `GRANT`: lowercase letters, digits and underscores.
fn check_role(role: &str) -> Result<()> {
    let ok = !role.is_empty()
        && role.len() <= 63
        && role
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !role.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidData(format!(
            "the app role {:?} is not a plain role name (lowercase letters, digits, underscores)",
            crate::text::clean(role)
        )))
    }
}

/// Applies the migrations the database lacks, as the connected role (which becomes the tables' owner), all in one
/// transaction that holds the versions table locked (of two servers starting at once, one migrates and the other
/// finds it done), then grants `app_role` what the server needs: rows of every table, never the tables. A
/// database from a newer detente is refused untouched. Returns the number of migrations applied.
pub fn migrate(client: &mut postgres::Client, app_role: &str) -> Result<usize> {
    check_role(app_role)?;
    let mut tx = client.transaction()?;
    tx.batch_execute(VERSIONS)?;
    tx.batch_execute("LOCK TABLE detente_migrations IN EXCLUSIVE MODE")?;
    // The migrations read and write every learner's rows (0009 numbers the reviews already stored).
    tx.execute("SELECT set_config('detente.scope', 'course', true)", &[])?;
    let found = schema_version(&mut tx)?;
    if found > SCHEMA_VERSION {
        return Err(Error::InvalidData(format!(
            "the PostgreSQL database is at schema version {found}, newer than this detente's {SCHEMA_VERSION}; \
             it was left untouched"
        )));
    }
    let mut applied = 0;
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > found) {
        tx.batch_execute(sql).map_err(|e| {
            Error::Server(format!(
                "PostgreSQL: migration {version:04}_{name} failed: {e}"
            ))
        })?;
        tx.execute(
            "INSERT INTO detente_migrations (version, name) VALUES ($1, $2)",
            &[version, name],
        )?;
        applied += 1;
    }
    tx.batch_execute(&format!(
        "GRANT USAGE ON SCHEMA public TO {app_role};
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app_role};
         REVOKE INSERT, UPDATE, DELETE ON detente_migrations FROM {app_role};
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {app_role};
         GRANT EXECUTE ON FUNCTION detente_may_touch(bigint) TO {app_role};"
    ))?;
    tx.commit()?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sqlite_migration_has_its_postgresql_twin() {
        assert_eq!(SCHEMA_VERSION, crate::store::SCHEMA_VERSION);
        for (i, (version, _, sql)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i64 + 1);
            assert!(!sql.trim().is_empty());
        }
    }

    #[test]
    fn only_plain_role_names_are_written_into_grants() {
        assert!(check_role("detente_app").is_ok());
        for bad in ["", "App", "a; DROP TABLE learners", "1app", "a\"b"] {
            assert!(check_role(bad).is_err(), "{bad}");
        }
    }
}
