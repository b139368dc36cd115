//! Files written atomically: under a temporary name beside the target, renamed into place only when complete, and
//! removed if the command fails before, so a reader never sees half a file and a failure leaves no output.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::BufWriter;
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

    pub(crate) fn finish(mut self) -> Result<()> {
        std::fs::rename(&self.temp, &self.target)
            .map_err(|e| Error::io(format!("cannot write {}", self.target.display()), e))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
