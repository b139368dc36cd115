//! One learner's data on a class server on PostgreSQL: `learner export` and `learner delete` as a teacher's
//! commands over a real `detente serve` on a database of the test cluster (a SQLite course with rows in every
//! learner table adopted into it), compared with the same commands run with `--db` on the SQLite file; the rows
//! left are read from PostgreSQL with the owner's client, not through the server.

use crate::admin::everything;
use crate::support::pg;
use crate::support::pg_served::PgServed;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The client with `--db` on the SQLite file `db`, from the server's client home.
fn local(served: &PgServed, db: &Path, args: &[&str]) -> Output {
    served
        .client()
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

/// The client over the server.
fn remote(served: &PgServed, args: &[&str]) -> Output {
    served.client().args(args).output().unwrap()
}

/// An export document's tables, each row without the columns PostgreSQL alone keeps (`attempt_answers` carries
/// its learner there, for row-level security).
fn tables(doc: &Value) -> serde_json::Map<String, Value> {
    let mut tables = doc["tables"].as_object().unwrap().clone();
    for row in tables["attempt_answers"].as_array_mut().unwrap() {
        row.as_object_mut().unwrap().remove("learner_id");
    }
    tables
}

/// Rows per table.
type Counts = Vec<(String, i64)>;

/// The owner's count of the rows of `learner` (by name) in every PostgreSQL table with a `learner_id` column, and
/// of every other learner's, read in the course's scope.
fn pg_counts(served: &PgServed, learner: &str) -> (Counts, Counts) {
    let mut client = postgres::Client::connect(&served.owner_url, postgres::NoTls).unwrap();
    let mut tx = client.transaction().unwrap();
    tx.batch_execute("SELECT set_config('detente.scope', 'course', true)")
        .unwrap();
    let tables: Vec<String> = tx
        .query(
            "SELECT table_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND column_name = 'learner_id' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut theirs = Vec::new();
    let mut others = Vec::new();
    for t in tables {
        let count = |tx: &mut postgres::Transaction<'_>, op: &str| -> i64 {
            tx.query_one(
                &format!(
                    "SELECT count(*) FROM \"{t}\" WHERE learner_id {op}
                     coalesce((SELECT id FROM learners WHERE name = $1), -1)"
                ),
                &[&learner],
            )
            .unwrap()
            .get(0)
        };
        let (mine, rest) = (count(&mut tx, "="), count(&mut tx, "<>"));
        theirs.push((t.clone(), mine));
        others.push((t, rest));
    }
    let named: i64 = tx
        .query_one("SELECT count(*) FROM learners WHERE name = $1", &[&learner])
        .unwrap()
        .get(0);
    theirs.push(("learners".to_string(), named));
    tx.commit().unwrap();
    (theirs, others)
}

/// Attack: a PostgreSQL server whose export differs from SQLite's, leaves a table out or leaks a key, or whose
/// delete leaves rows behind, touches another learner, or deletes without `--yes`. A course with rows of ann, bob
/// and cy in every learner table is adopted into PostgreSQL; the teacher exports ann over the server and with
/// `--db` from the SQLite file: the two documents hold the same tables with the same rows (PostgreSQL's extra
/// `learner_id` of exam answers aside), no key or token column. `learner delete ann` prints the same counts both
/// ways and exits 2, deleting nothing (the owner's counts unchanged); with `--yes` every table with a
/// `learner_id` column holds no row of ann and every other learner's counts are unchanged, and the server's log
/// names who deleted her. A student (not a teacher) is refused both commands.
#[test]
fn a_learner_is_exported_and_deleted_on_postgresql_as_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("lab.db");
    everything(&lab, &["ann", "bob", "cy"]);
    let db = pg::cluster().database();
    let served = PgServed::adopting(&db, "learnerdata", false, Some(&lab));
    served.ok(&["login", served.socket.to_str().unwrap()]);

    let from_pg = dir.path().join("ann-pg.json");
    let from_sqlite = dir.path().join("ann-sqlite.json");
    let out = remote(
        &served,
        &["learner", "export", "ann", "-o", from_pg.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stderr),
        served.said()
    );
    assert!(
        text(&out.stderr).contains("Wrote everything the class server holds about ann"),
        "{}",
        text(&out.stderr)
    );
    let out = local(
        &served,
        &lab,
        &[
            "learner",
            "export",
            "ann",
            "-o",
            from_sqlite.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let pg_doc: Value = serde_json::from_str(&std::fs::read_to_string(&from_pg).unwrap()).unwrap();
    let sqlite_doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&from_sqlite).unwrap()).unwrap();
    assert_eq!(pg_doc["format"], "detente-learner-export");
    assert_eq!(pg_doc["learner"], sqlite_doc["learner"]);
    let (pg_tables, sqlite_tables) = (tables(&pg_doc), tables(&sqlite_doc));
    let names = |t: &serde_json::Map<String, Value>| {
        let mut n: Vec<String> = t.keys().cloned().collect();
        n.sort();
        n
    };
    assert_eq!(names(&pg_tables), names(&sqlite_tables));
    for (table, rows) in &sqlite_tables {
        assert!(
            !rows.as_array().unwrap().is_empty(),
            "no row of ann in {table}"
        );
        assert_eq!(&pg_tables[table], rows, "{table}");
    }
    for (table, rows) in &pg_tables {
        for row in rows.as_array().unwrap() {
            assert!(
                row.as_object()
                    .unwrap()
                    .keys()
                    .all(|c| c != "key" && !c.contains("token") && !c.contains("secret")),
                "a secret in {table}: {row}"
            );
        }
    }
    assert_eq!(
        pg_tables["devices"][0]["name"], "laptop",
        "{}",
        pg_tables["devices"]
    );
    // To standard output as well.
    let out = remote(&served, &["learner", "export", "bob"]);
    let bob: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(bob["learner"]["name"], "bob");

    let before = pg_counts(&served, "ann");
    assert!(before.0.iter().all(|(_, n)| *n > 0), "{before:?}");
    let asked = remote(&served, &["learner", "delete", "ann"]);
    let asked_locally = local(&served, &lab, &["learner", "delete", "ann"]);
    assert_eq!(asked.status.code(), Some(2), "{}", text(&asked.stderr));
    assert_eq!(text(&asked.stderr), text(&asked_locally.stderr));
    assert_eq!(text(&asked.stdout), text(&asked_locally.stdout));
    assert!(text(&asked.stdout).contains("attempt_answers"));
    assert_eq!(pg_counts(&served, "ann"), before, "deleted without --yes");

    let done = remote(&served, &["learner", "delete", "ann", "--yes"]);
    assert!(
        done.status.success(),
        "{}\n{}",
        text(&done.stderr),
        served.said()
    );
    let after = pg_counts(&served, "ann");
    assert!(after.0.iter().all(|(_, n)| *n == 0), "{after:?}");
    assert_eq!(after.1, before.1, "another learner's rows changed");
    assert!(
        served.said().contains("deleted learner ann"),
        "{}",
        served.said()
    );
    let again = remote(&served, &["learner", "export", "ann"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("no learner named ann"));
}

/// Attack: a condition written wrong. Once the teacher's transaction is narrowed to ann (`store::pg::admin::
/// scope_to`), a query with no `WHERE` at all, through the app role, sees ann's reviews only, and a `DELETE` with
/// no `WHERE` deletes ann's only: row-level security is the second wall under the export and the delete.
#[test]
fn a_transaction_narrowed_to_one_learner_cannot_see_or_delete_another_learners_rows() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("lab.db");
    everything(&lab, &["ann", "bob"]);
    let db = pg::cluster().database();
    let served = PgServed::adopting(&db, "narrowed", false, Some(&lab));
    let (ann_before, others_before) = pg_counts(&served, "ann");
    let reviews = |counts: &[(String, i64)]| counts.iter().find(|(t, _)| t == "reviews").unwrap().1;
    let app = detente::store::pg::Pg::connect(&served.app_url, 1).unwrap();
    let seen: i64 = app
        .course(|tx| {
            detente::store::pg::admin::scope_to(tx, "ann")?.unwrap();
            let seen: i64 = tx.query_one("SELECT count(*) FROM reviews", &[])?.get(0);
            tx.execute("DELETE FROM flags", &[])?;
            Ok(seen)
        })
        .unwrap();
    assert_eq!(seen, reviews(&ann_before));
    assert!(reviews(&others_before) > 0);
    let (ann_after, others_after) = pg_counts(&served, "ann");
    assert_eq!(others_after, others_before, "bob's rows changed");
    assert_eq!(
        ann_after.iter().find(|(t, _)| t == "flags").unwrap().1,
        0,
        "ann's flags were not deleted"
    );
}
