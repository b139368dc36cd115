//! The class server's operations on its machine, and one learner's data on any database.
//!
//! `detente admin backup | restore | adopt` find the server's database through its configuration file (the
//! parser is the daemon's, so they need the `server` feature; a build without it says how to get one). A backup is
//! taken while the server runs (SQLite's online backup API, one read transaction: a consistent moment) into a
//! temporary file beside the output, mode 0600, synced and renamed into place. A restore or an adoption refuses
//! while the server answers on its socket, checks the file (`integrity_check`, detente's tables, a schema no newer
//! than this build), copies it into a temporary file in the state folder, migrates it, gives it the owner of the
//! state folder (the server's user) and mode 0600, sets the replaced database (and any journal of it) aside as
//! `detente.db.before-restore-TIMESTAMP` (or `before-adopt`), and renames the copy into place.
//!
//! `detente learner export` writes every row the database holds about one learner as one JSON document, and
//! `learner delete` deletes them all in one transaction (without `--yes` it prints the counts per table and exits
//! 2); both find the learner's tables from the schema (`store::admin::learner_tables`, and `store::pg::admin` for a
//! PostgreSQL server). After `login` (and without `--db`) both go to the class server as a teacher's command, so
//! a PostgreSQL server's learners are exported and deleted the same way.

use super::{Context, print, remote, say, staged};
use crate::error::{Error, Result};
use crate::server::api::{LearnerData, LearnerExport};
use crate::server::client::Server;
use crate::server::ops::{learner_delete as delete_rows, learner_export as write_export};
use crate::store::Store;
use std::io::Write;
use std::path::Path;

#[cfg(feature = "server")]
pub use ops::{adopt, backup, restore};

/// `detente learner export NAME [--output FILE]`, on the local database or, after `login`, on the class server
/// (SQLite or PostgreSQL): the same document either way. Locally the rows are written as they are read.
pub fn export_learner(
    ctx: &Context,
    server: Option<&Server>,
    name: &str,
    output: Option<&Path>,
) -> Result<i32> {
    let now = chrono::Utc::now().timestamp();
    let from_server = |server: &Server| -> Result<LearnerExport> {
        let req = LearnerData {
            name: name.to_string(),
            delete: false,
        };
        remote::call(server, "learner-export", &req)
    };
    match output {
        None => {
            let mut out = crate::text::CleanWriter::new(std::io::stdout().lock());
            match server {
                Some(server) => {
                    let done = from_server(server)?;
                    out.write_all(done.document.as_bytes())
                        .map_err(|e| Error::io("stdout", e))?;
                }
                None => {
                    let store = Store::open(&ctx.db)?;
                    write_export(&store, name, now, &mut out, "stdout")?;
                }
            }
            drop(out.finish().map_err(|e| Error::io("stdout", e))?);
        }
        Some(path) => {
            let target = path.display().to_string();
            let staged = staged::Staged::new(path, "export", &ctx.db)?;
            let mut out = crate::text::CleanWriter::new(staged.create()?);
            let (learner, place) = match server {
                Some(server) => {
                    let done = from_server(server)?;
                    out.write_all(done.document.as_bytes())
                        .map_err(|e| Error::io(format!("cannot write {target}"), e))?;
                    (done.learner, "the class server".to_string())
                }
                None => {
                    let store = Store::open(&ctx.db)?;
                    let (learner, _) = write_export(&store, name, now, &mut out, &target)?;
                    (learner, ctx.db.display().to_string())
                }
            };
            out.finish()
                .map_err(|e| Error::io(format!("cannot write {target}"), e))?;
            staged.finish()?;
            say(&format!(
                "Wrote everything {place} holds about {learner} to {}.",
                path.display()
            ));
        }
    }
    Ok(0)
}

/// `detente learner delete NAME [--yes]`, on the local database or, after `login`, on the class server: without
/// `--yes` the rows per table are printed and nothing is deleted (exit 2).
pub fn delete_learner(
    ctx: &Context,
    server: Option<&Server>,
    name: &str,
    yes: bool,
) -> Result<i32> {
    let req = LearnerData {
        name: name.to_string(),
        delete: yes,
    };
    let done = match server {
        Some(server) => remote::call(server, "learner-delete", &req)?,
        None => delete_rows(&mut Store::open(&ctx.db)?, &req)?,
    };
    // By table, the learner's own row first: the same lines from either backend, whatever order it found them in.
    let mut rows = done.rows.clone();
    rows.sort_by(|a, b| (a.0 != "learners", &a.0).cmp(&(b.0 != "learners", &b.0)));
    let table = rows
        .iter()
        .map(|(table, n)| format!("{table:<24}{n:>8}"))
        .collect::<Vec<_>>()
        .join("\n");
    print(&table)?;
    if !done.deleted {
        return Err(Error::Usage(format!(
            "nothing was deleted: these are {}'s rows; to delete them all, run `detente learner delete {} --yes`",
            done.learner,
            crate::text::shell_word(&done.learner)
        )));
    }
    say(&format!(
        "Deleted {} and every row of theirs ({} in all).",
        done.learner,
        done.rows.iter().map(|(_, n)| n).sum::<i64>()
    ));
    Ok(0)
}

#[cfg(not(feature = "server"))]
fn without_server() -> Error {
    Error::Usage(
        "this detente was built without the class server: build it with `cargo install --features server` \
         (see \"Running a class server\" in the README)"
            .to_string(),
    )
}

/// `detente admin backup` in a build without the server.
#[cfg(not(feature = "server"))]
pub fn backup(_config: &Path, _output: &Path) -> Result<i32> {
    Err(without_server())
}

/// `detente admin restore` in a build without the server.
#[cfg(not(feature = "server"))]
pub fn restore(_config: &Path, _backup: &Path) -> Result<i32> {
    Err(without_server())
}

/// `detente admin adopt` in a build without the server.
#[cfg(not(feature = "server"))]
pub fn adopt(_config: &Path, _lab: &Path, _replace: bool) -> Result<i32> {
    Err(without_server())
}

#[cfg(feature = "server")]
mod ops {
    use super::{print, say, staged};
    use crate::error::{Error, Result};
    use crate::server::config::{self, Config};
    use crate::store::{self, Store};
    use std::fs::{File, OpenOptions, Permissions};
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::{Path, PathBuf};

    /// The suffixes of the files SQLite keeps beside a database.
    const COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

    /// `path` with `suffix` added to its name.
    fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    }

    /// Makes a rename in `path`'s folder durable.
    fn sync_dir(path: &Path) -> Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(format!("cannot sync {}", dir.display()), e))
    }

    /// Refuses (exit 2) while a server answers on the configured socket: a restore or an adoption would replace
    /// the database under it.
    fn refuse_running(config: &Config) -> Result<()> {
        let socket = &config.socket.path;
        if std::os::unix::net::UnixStream::connect(socket).is_ok() {
            return Err(Error::Usage(format!(
                "the class server is running (it answers on {}): stop it first (`systemctl stop detente-serve`), \
                 then run this again",
                socket.display()
            )));
        }
        Ok(())
    }

    /// `detente admin backup --config FILE OUT`.
    pub fn backup(config_path: &Path, output: &Path) -> Result<i32> {
        let config = config::load(config_path)?;
        let db = config.database();
        if !db.is_file() {
            return Err(Error::Usage(format!(
                "the server's database {} does not exist (has the server run?)",
                db.display()
            )));
        }
        let source = store::admin::open_source(&db)?;
        let staged = staged::Staged::new(output, "backup", &db)?;
        let file = staged.create()?;
        file.get_ref()
            .set_permissions(Permissions::from_mode(0o600))
            .map_err(|e| Error::io(format!("cannot write {}", output.display()), e))?;
        drop(file);
        let copied = store::admin::copy_database(&source, &staged.temp);
        for suffix in COMPANIONS {
            let _ = std::fs::remove_file(with_suffix(&staged.temp, suffix));
        }
        copied?;
        let bytes = std::fs::metadata(&staged.temp).map_or(0, |m| m.len());
        staged.finish()?;
        sync_dir(output)?;
        say(&format!(
            "Backed up {} to {} ({} KiB, mode 0600).",
            db.display(),
            output.display(),
            bytes.div_ceil(1024)
        ));
        Ok(0)
    }

    /// `detente admin restore --config FILE BACKUP`.
    pub fn restore(config_path: &Path, backup: &Path) -> Result<i32> {
        let config = config::load(config_path)?;
        refuse_running(&config)?;
        let aside = install(&config, backup, "restore")?;
        say(&format!(
            "Restored {} from {}.",
            config.database().display(),
            backup.display()
        ));
        if let Some(aside) = aside {
            say(&format!(
                "The database it replaced is kept as {}.",
                aside.display()
            ));
        }
        Ok(0)
    }

    /// `detente admin adopt --config FILE LAB.db [--replace]`.
    pub fn adopt(config_path: &Path, lab: &Path, replace: bool) -> Result<i32> {
        let config = config::load(config_path)?;
        refuse_running(&config)?;
        if let Some(pg) = &config.postgres {
            return adopt_into_postgres(pg, lab);
        }
        let db = config.database();
        if std::fs::canonicalize(lab).ok() == std::fs::canonicalize(&db).ok() && db.exists() {
            return Err(Error::Usage(format!(
                "{} is already the server's database",
                lab.display()
            )));
        }
        if db.exists() && !replace {
            let current = store::admin::open_source(&db)?;
            if store::admin::holds_data(&current)? {
                return Err(Error::Usage(format!(
                    "the server's database {} already holds learners, decks or exams: to set it aside (as \
                     {}.before-adopt-TIMESTAMP) and adopt {}, add --replace",
                    db.display(),
                    db.display(),
                    lab.display()
                )));
            }
        }
        let aside = install(&config, lab, "adopt")?;
        // Read through a connection that may write, so that closing it removes the journal files it made.
        let learners = store::learners(&Store::open(&db)?.conn)?;
        say(&format!(
            "{} is now the server's database {} ({} learner{}; mode 0600).",
            lab.display(),
            db.display(),
            learners.len(),
            if learners.len() == 1 { "" } else { "s" }
        ));
        if let Some(aside) = aside {
            say(&format!(
                "The database it replaced is kept as {}.",
                aside.display()
            ));
        }
        let unnamed: Vec<_> = learners.iter().filter(|l| l.username.is_none()).collect();
        if unnamed.is_empty() {
            say("Every learner has a username: the server knows each one by their system user.");
            return Ok(0);
        }
        say(&format!(
            "{} no username, so the server cannot tell who they are on its socket. Set each one's system user \
             name (a name that is already a system user is suggested; else replace LOGIN):",
            match unnamed.len() {
                1 => "1 learner has".to_string(),
                n => format!("{n} learners have"),
            }
        ));
        let owner = std::fs::metadata(&db)
            .ok()
            .and_then(|m| {
                nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(m.uid()))
                    .ok()
                    .flatten()
            })
            .filter(|u| !u.uid.is_root())
            .map_or(String::new(), |u| {
                format!("sudo -u {} ", crate::text::shell_word(&u.name))
            });
        let mut lines = Vec::new();
        for l in unnamed {
            let login = match nix::unistd::User::from_name(&l.name) {
                Ok(Some(_)) => crate::text::shell_word(&l.name),
                _ => "LOGIN".to_string(),
            };
            lines.push(format!(
                "{owner}detente --db {} learner set {} --username {login}",
                crate::text::shell_word(&db.to_string_lossy()),
                crate::text::shell_word(&l.name)
            ));
        }
        print(&lines.join("\n"))?;
        Ok(0)
    }

    /// `detente admin adopt LAB.db` on a server with `[postgres]`: the lab's database copied (SQLite's backup
    /// API) into a private temporary file, migrated there, then every row copied into the PostgreSQL database as
    /// the tables' owner (`owner_url`), which is migrated first and must hold no rows. The lab's file is only read.
    fn adopt_into_postgres(pg: &config::Postgres, lab: &Path) -> Result<i32> {
        if !lab.is_file() {
            return Err(Error::Usage(format!("{} is not a file", lab.display())));
        }
        let from = store::admin::open_source(lab)?;
        store::admin::check_detente(&from, lab)?;
        let mut owner = pg.owner("adopting into PostgreSQL")?;
        let temp = Temp(
            std::env::temp_dir().join(format!(".detente-adopt-{}.db", std::process::id())),
            false,
        );
        let _ = std::fs::remove_file(&temp.0);
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp.0)
            .map_err(|e| Error::io(format!("cannot write {}", temp.0.display()), e))?;
        store::admin::copy_database(&from, &temp.0)?;
        let copy = Store::open(&temp.0)?;
        store::pg::migrate(&mut owner, &pg.app_role()?)?;
        let adopted = store::pg::adopt(&mut owner, &copy.conn)?;
        let unnamed = store::learners(&copy.conn)?
            .into_iter()
            .filter(|l| l.username.is_none())
            .count();
        say(&format!(
            "{} is now in the server's PostgreSQL database: {} learner{}, {} cards, {} reviews, {} exam attempts.",
            lab.display(),
            adopted.of("learners"),
            if adopted.of("learners") == 1 { "" } else { "s" },
            adopted.of("cards"),
            adopted.of("reviews"),
            adopted.of("attempts"),
        ));
        if unnamed > 0 {
            say(&format!(
                "{unnamed} of them have no username, so the server cannot tell who they are on its socket: set each \
                 one's with `detente learner set NAME --username LOGIN` as a teacher, over the server."
            ));
        }
        Ok(0)
    }

    /// A temporary database file in the state folder, removed with its journals unless it was moved into place
    /// (`.1`).
    struct Temp(PathBuf, bool);

    impl Drop for Temp {
        fn drop(&mut self) {
            if self.1 {
                return;
            }
            let _ = std::fs::remove_file(&self.0);
            for suffix in COMPANIONS {
                let _ = std::fs::remove_file(with_suffix(&self.0, suffix));
            }
        }
    }

    /// Makes the database `source` the server's: checked, copied into the state folder, migrated, given the state
    /// folder's owner and mode 0600, and renamed over the server's database, which is set aside first (with any
    /// journal of it) as `detente.db.before-KIND-TIMESTAMP`, whose path is returned.
    fn install(config: &Config, source: &Path, kind: &str) -> Result<Option<PathBuf>> {
        if !source.is_file() {
            return Err(Error::Usage(format!("{} is not a file", source.display())));
        }
        let from = store::admin::open_source(source)?;
        store::admin::check_detente(&from, source)?;
        let dir = &config.state_directory;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .and_then(|_| std::fs::set_permissions(dir, Permissions::from_mode(0o700)))
            .map_err(|e| {
                Error::io(
                    format!("cannot make {} the server's own folder", dir.display()),
                    e,
                )
            })?;
        let db = config.database();
        let db_dir = db.parent().unwrap_or(dir);
        staged::sweep_stale(&db);
        let name = db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut temp = Temp(
            db_dir.join(format!(".{name}.{kind}-{}", std::process::id())),
            false,
        );
        // Whatever this process id left under the name in an earlier life.
        let _ = std::fs::remove_file(&temp.0);
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp.0)
            .map_err(|e| Error::io(format!("cannot create {}", temp.0.display()), e))?;
        store::admin::copy_database(&from, &temp.0)?;
        drop(from);
        // The migrations this detente knows, applied to the copy before it is in place.
        let migrated = Store::open(&temp.0)?;
        if migrated.read_only {
            return Err(Error::ReadOnly(format!(
                "cannot write {}",
                temp.0.display()
            )));
        }
        drop(migrated);
        // The owner the server expects: the replaced database's, else the state folder's (the server's user).
        let owner = std::fs::metadata(&db)
            .or_else(|_| std::fs::metadata(db_dir))
            .map_err(|e| Error::io(format!("cannot read {}", db_dir.display()), e))?;
        let mine = std::fs::metadata(&temp.0)
            .map_err(|e| Error::io(format!("cannot read {}", temp.0.display()), e))?;
        if (mine.uid(), mine.gid()) != (owner.uid(), owner.gid()) {
            std::os::unix::fs::chown(&temp.0, Some(owner.uid()), Some(owner.gid())).map_err(|e| {
                Error::io(
                    format!(
                        "cannot give {} to the server's user (uid {}); run this as root or as that user",
                        temp.0.display(),
                        owner.uid()
                    ),
                    e,
                )
            })?;
        }
        std::fs::set_permissions(&temp.0, Permissions::from_mode(0o600))
            .and_then(|_| File::open(&temp.0)?.sync_all())
            .map_err(|e| Error::io(format!("cannot write {}", temp.0.display()), e))?;
        let aside = if db.exists() {
            // Its write-ahead log folded in first, so that the file set aside is whole on its own; a log that
            // cannot be folded in (a damaged database) is set aside beside it.
            if let Ok(conn) = rusqlite::Connection::open_with_flags(
                &db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE,
            ) {
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
                let _ = conn.close();
            }
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let aside = with_suffix(&db, &format!(".before-{kind}-{stamp}"));
            for suffix in COMPANIONS {
                let companion = with_suffix(&db, suffix);
                if companion.exists() {
                    std::fs::rename(&companion, with_suffix(&aside, suffix)).map_err(|e| {
                        Error::io(format!("cannot set {} aside", companion.display()), e)
                    })?;
                }
            }
            std::fs::rename(&db, &aside)
                .map_err(|e| Error::io(format!("cannot set {} aside", db.display()), e))?;
            Some(aside)
        } else {
            None
        };
        std::fs::rename(&temp.0, &db)
            .map_err(|e| Error::io(format!("cannot move the copy to {}", db.display()), e))?;
        temp.1 = true;
        sync_dir(&db)?;
        Ok(aside)
    }
}
