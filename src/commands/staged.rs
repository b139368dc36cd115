//! Files written atomically: under a temporary name beside the target, renamed into place only when complete, and
//! removed if the command fails before, so a reader never sees half a file and a failure leaves no output.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file written under a temporary name and moved into place by [`Staged::finish`]; removed if dropped before.
pub(crate) struct Staged {
    pub(crate) temp: PathBuf,
    target: PathBuf,
    done: bool,
}

impl Staged {
    pub(crate) fn new(target: &Path, tag: &str) -> Staged {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = target.with_file_name(format!(".{name}.{tag}-{}", std::process::id()));
        Staged {
            temp,
            target: target.to_path_buf(),
            done: false,
        }
    }

    pub(crate) fn create(&self) -> Result<BufWriter<File>> {
        File::create(&self.temp)
            .map(BufWriter::new)
            .map_err(|e| Error::io(format!("cannot write {}", self.target.display()), e))
    }

    /// Syncs the temporary file to disk and renames it over the target.
    pub(crate) fn finish(mut self) -> Result<()> {
        File::open(&self.temp)
            .and_then(|f| f.sync_all())
            .and_then(|_| std::fs::rename(&self.temp, &self.target))
            .map_err(|e| Error::io(format!("cannot write {}", self.target.display()), e))?;
        self.done = true;
        Ok(())
    }
}

/// Writes a new file atomically, never over an existing one: the temporary file is linked to the target name, which
/// fails if the name is taken, then removed.
pub(crate) fn write_new(target: &Path, tag: &str, bytes: &[u8]) -> Result<()> {
    let staged = Staged::new(target, tag);
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
pub(crate) fn write(target: &Path, tag: &str, bytes: &[u8]) -> Result<()> {
    let staged = Staged::new(target, tag);
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
