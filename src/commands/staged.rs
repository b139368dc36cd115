//! Files written atomically: under a temporary name beside the target, renamed into place only when complete, and
//! removed if the command fails before, so a reader never sees half a file and a failure leaves no output.
//!
//! Every file a command writes goes through [`Staged::new`] (or [`write`] and [`write_new`], built on it), which
//! first refuses a target that is the open database or one of its companion files ([`refuse_database`]) and removes
//! the temporaries that killed writes to the same target left behind ([`sweep_stale`]). A temporary file is created
//! new (`O_CREAT | O_EXCL`, which does not follow a link), and the rename replaces the target's directory entry: a
//! symbolic link at the target's name is replaced by the file, never written through, so a link planted in a folder
//! detente writes into (`man --dir`) cannot redirect the write to the file it points at.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The files SQLite keeps beside a database, by the suffix of their name, and how a refusal names them.
const COMPANIONS: &[(&str, &str)] = &[
    ("", "the database"),
    ("-wal", "the database's write-ahead log"),
    ("-shm", "the database's shared-memory file"),
    ("-journal", "the database's rollback journal"),
];

/// Refuses (a usage error, exit 2) a target that is the database `db` or its `-wal`, `-shm` or `-journal` file:
/// writing it would destroy the database. A file is recognised by its identity (device and inode on unix: a hard
/// link, a symbolic link or another spelling of the path is the same file), and by its name after the directories
/// are resolved (`./n.db` and `n.db`; a companion that does not exist yet; the only test on other systems). When
/// `db` is itself a symbolic link, the companions are looked for beside the file it points at too, where SQLite
/// keeps them.
pub(crate) fn refuse_database(target: &Path, db: &Path) -> Result<()> {
    let target_name = resolved(target);
    let real = std::fs::canonicalize(db).ok();
    for db in std::iter::once(db).chain(real.as_deref()) {
        let Some(db_name) = db.file_name() else {
            continue;
        };
        for (suffix, what) in COMPANIONS {
            let mut name = db_name.to_os_string();
            name.push(suffix);
            let companion = db.with_file_name(name);
            let same_name = target_name.is_some() && target_name == resolved(&companion);
            if same_name || same_file(target, &companion) {
                return Err(Error::Usage(format!(
                    "refusing to write {}: it is {what} (choose another file name)",
                    target.display()
                )));
            }
        }
    }
    Ok(())
}

/// The path with its directories resolved: the file's own canonical path if it exists (links followed), else its
/// directory's canonical path and its name. `None` if neither can be resolved.
fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Some(p);
    }
    let name = path.file_name()?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::canonicalize(dir).ok().map(|d| d.join(name))
}

/// Whether two paths name the same existing file (links followed): same device and inode.
#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// Elsewhere the resolved names of [`refuse_database`] are the test.
#[cfg(not(unix))]
fn same_file(_: &Path, _: &Path) -> bool {
    false
}

/// The temporary name of a write to `target` by this process: `.NAME.TAG-PID` beside it.
fn temp_name(target: &Path, tag: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

/// Removes the temporaries of `target` that killed writes left: the regular files beside it named
/// `.NAME.TAG-PID` (TAG a word of lowercase letters, as [`temp_name`] makes them) whose PID is no running process,
/// so that no temporary outlives the next write to the same target. A process is running if `/proc/PID` exists;
/// where there is no `/proc`, every process counts as running and nothing is removed. This process's own
/// temporaries are left to it (it may be writing another part of the same target), and a link or a folder of that
/// name is never touched. A PID reused by a new process keeps its temporary until that process ends. Failures
/// are ignored: this is tidying, not the write.
pub(crate) fn sweep_stale(target: &Path) {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = stale_pid(&file, &prefix) else {
            continue;
        };
        if pid != std::process::id()
            && !running(pid)
            && entry.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The PID in a temporary's name `PREFIX TAG-PID`, or `None` if the name is not one of them.
fn stale_pid(file: &str, prefix: &str) -> Option<u32> {
    let (tag, pid) = file.strip_prefix(prefix)?.rsplit_once('-')?;
    if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether a process with this PID is running, as far as can be told (see [`sweep_stale`]).
fn running(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

/// A file written under a temporary name and moved into place by [`Staged::finish`]; removed if dropped before.
pub(crate) struct Staged {
    pub(crate) temp: PathBuf,
    target: PathBuf,
    /// The database, refused again just before the rename: the target's name may have become a link to it while
    /// the file was written.
    db: PathBuf,
    done: bool,
}

impl Staged {
    /// A write to `target`, refused if `target` is the database `db` or one of its files; clears the target's
    /// stale temporaries. `tag` names the kind of write in the temporary's name (lowercase letters).
    pub(crate) fn new(target: &Path, tag: &str, db: &Path) -> Result<Staged> {
        refuse_database(target, db)?;
        sweep_stale(target);
        Ok(Staged {
            temp: temp_name(target, tag),
            target: target.to_path_buf(),
            db: db.to_path_buf(),
            done: false,
        })
    }

    /// Creates the temporary file, new: whatever has its name (a file this PID left in an earlier life, a planted
    /// link) is removed first, and if something takes the name again before it is created, the write fails.
    pub(crate) fn create(&self) -> Result<BufWriter<File>> {
        let _ = std::fs::remove_file(&self.temp);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.temp)
            .map(BufWriter::new)
            .map_err(|e| Error::io(format!("cannot write {}", self.target.display()), e))
    }

    /// Syncs the temporary file to disk and renames it over the target.
    pub(crate) fn finish(mut self) -> Result<()> {
        refuse_database(&self.target, &self.db)?;
        File::open(&self.temp)
            .and_then(|f| f.sync_all())
            .and_then(|_| std::fs::rename(&self.temp, &self.target))
            .map_err(|e| Error::io(format!("cannot write {}", self.target.display()), e))?;
        self.done = true;
        Ok(())
    }
}

impl Staged {
    /// Syncs the temporary file to disk and links it at the target's name, never over an existing file: a target
    /// that exists by then is a usage error naming it. The temporary name goes when `self` is dropped.
    pub(crate) fn finish_new(self) -> Result<()> {
        refuse_database(&self.target, &self.db)?;
        File::open(&self.temp)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(format!("cannot write {}", self.target.display()), e))?;
        match std::fs::hard_link(&self.temp, &self.target) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::Usage(format!(
                "{} already exists; it is left as it was",
                self.target.display()
            ))),
            Err(e) => Err(Error::io(
                format!("cannot create {}", self.target.display()),
                e,
            )),
        }
    }
}

/// Writes a new file atomically, never over an existing one: the temporary file is linked to the target name, which
/// fails if the name is taken, then removed.
pub(crate) fn write_new(target: &Path, tag: &str, db: &Path, bytes: &[u8]) -> Result<()> {
    let staged = Staged::new(target, tag, db)?;
    let mut out = staged.create()?;
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .and_then(|_| out.get_ref().sync_all())
        .map_err(|e| Error::io(format!("cannot write {}", target.display()), e))?;
    drop(out);
    match std::fs::hard_link(&staged.temp, target) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::Usage(format!(
            "{} already exists; choose a new file name",
            target.display()
        ))),
        Err(e) => Err(Error::io(format!("cannot create {}", target.display()), e)),
    }
    // Dropping `staged` removes the temporary name.
}

/// Writes a whole file atomically: to a temporary file beside `target`, synced, then renamed over it. A failure
/// (a full disk, say) leaves the previous file as it was.
pub(crate) fn write(target: &Path, tag: &str, db: &Path, bytes: &[u8]) -> Result<()> {
    let staged = Staged::new(target, tag, db)?;
    let mut out = staged.create()?;
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io(format!("cannot write {}", target.display()), e))?;
    drop(out);
    staged.finish()
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_and_its_files_are_refused_by_name_and_by_identity() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("n.db");
        std::fs::write(&db, "db").expect("db");
        let refused = |target: &Path| matches!(refuse_database(target, &db), Err(Error::Usage(m)) if m.contains("refusing to write"));
        assert!(refused(&db));
        assert!(refused(&dir.path().join("./n.db")));
        // Companions, existing or not.
        assert!(refused(&dir.path().join("n.db-wal")));
        assert!(refused(&dir.path().join("n.db-shm")));
        assert!(refused(&dir.path().join("n.db-journal")));
        let hard = dir.path().join("hard.html");
        std::fs::hard_link(&db, &hard).expect("link");
        assert!(refused(&hard));
        #[cfg(unix)]
        {
            let soft = dir.path().join("soft.html");
            std::os::unix::fs::symlink(&db, &soft).expect("symlink");
            assert!(refused(&soft));
        }
        assert!(!refused(&dir.path().join("n.db.html")));
        #[cfg(unix)]
        {
            // The database opened through a link: its companions are beside the file it points at.
            let link = dir.path().join("link.db");
            std::os::unix::fs::symlink(&db, &link).expect("symlink");
            assert!(matches!(
                refuse_database(&dir.path().join("n.db-wal"), &link),
                Err(Error::Usage(_))
            ));
        }
        assert!(!refused(&dir.path().join("other.db")));
    }

    #[cfg(unix)]
    #[test]
    fn a_write_replaces_links_and_never_writes_through_them() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("n.db");
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "precious").expect("write");
        let target = dir.path().join("page.1");
        std::os::unix::fs::symlink(&outside, &target).expect("symlink");
        // A link planted at the temporary's own name, too.
        std::os::unix::fs::symlink(&outside, temp_name(&target, "man")).expect("symlink");
        write(&target, "man", &db, b"roff").expect("write");
        assert_eq!(std::fs::read_to_string(&outside).expect("read"), "precious");
        assert!(std::fs::symlink_metadata(&target).expect("page").is_file());
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "roff");
        assert!(!temp_name(&target, "man").exists());
    }

    #[test]
    fn only_dead_writers_temporaries_of_the_target_are_swept() {
        let dir = tempfile::tempdir().expect("tmp");
        let target = dir.path().join("r.html");
        let dead = dir.path().join(".r.html.report-4194999");
        let mine = temp_name(&target, "report");
        let other = dir.path().join(".s.html.report-4194999");
        for f in [&dead, &mine, &other] {
            std::fs::write(f, "part").expect("write");
        }
        sweep_stale(&target);
        assert_eq!(dead.exists(), !Path::new("/proc/self").exists());
        assert!(mine.exists() && other.exists());
    }

    #[test]
    fn temporaries_are_recognised_by_their_name() {
        assert_eq!(stale_pid(".r.html.report-42", ".r.html."), Some(42));
        assert_eq!(stale_pid(".r.html.x.report-42", ".r.html."), None);
        assert_eq!(stale_pid(".r.html.report-", ".r.html."), None);
        assert_eq!(stale_pid(".r.html.report-4a", ".r.html."), None);
        assert_eq!(stale_pid(".r.html.-42", ".r.html."), None);
        assert_eq!(stale_pid("r.html", ".r.html."), None);
    }
}
