//! One writer per (output, source, tenant): an advisory lock on
//! `<output>/_ccetl/locks/<vendor>.<tenant>` for every source a run covers, held for the whole
//! run, so shards (`--shard`) and runs of other tenants share an output without contending, and
//! two runs of one tenant never write its partitions at once. A run also holds
//! `_ccetl/tmp/<run id>.lock`: while it is held, its temporary folder belongs to a live run.
//!
//! The lock is the operating system's (`flock`), taken on an open file: when the holder exits,
//! however it dies, the lock is released with its file descriptor, so nothing stale is ever left
//! to clean by hand. The file also says who holds it (pid, host, run id, start time), so a second
//! run can name the holder in its error. On filesystems without `flock` (some network mounts),
//! taking the lock fails with a message saying so.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::STATE_DIR;

/// Who holds a lock, as its file records it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LockHolder {
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// The holder's run id.
    pub run_id: String,
    /// When it took the lock (RFC 3339, UTC).
    pub started_at: String,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it.
    #[error(
        "another ccetl run is writing {scope} to {output}: {holder}; wait for it to end (its lock goes with its process, so a run that died holds nothing), or write elsewhere with --output"
    )]
    Held {
        /// The output root.
        output: PathBuf,
        /// What the lock guards (`genesys.acme`).
        scope: String,
        /// Who, as far as the lock file says.
        holder: String,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock {path}: {reason}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
}

impl LockError {
    /// Whether another run holds the lock (exit code 5), as opposed to an I/O failure.
    pub fn is_held(&self) -> bool {
        matches!(self, LockError::Held { .. })
    }
}

/// A run's locks on the sources it writes (and on its temporary folder), released when dropped
/// (or when the process ends).
#[derive(Debug)]
pub struct OutputLock {
    _files: Vec<File>,
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .unwrap_or_else(|| "an unknown host".into())
}

/// Takes the lock of `path` for `run_id`, at once or not at all; `None` when another holds it
/// (with what its file says of the holder).
fn try_lock(path: &Path, run_id: &str) -> Result<Result<File, String>, LockError> {
    let io = |e: std::io::Error| LockError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io)?;
    }
    // Not truncated on open: the holder's record must survive until the lock is ours.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let holder = match serde_json::from_str::<LockHolder>(&text) {
                Ok(h) => format!(
                    "run {} (pid {} on {}), started {}",
                    h.run_id, h.pid, h.host, h.started_at
                ),
                Err(_) => "a run that is just starting".to_string(),
            };
            return Ok(Err(holder));
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    let holder = LockHolder {
        pid: std::process::id(),
        host: host_name(),
        run_id: run_id.to_string(),
        started_at: Utc::now().to_rfc3339(),
    };
    let text = serde_json::to_vec(&holder).map_err(|e| LockError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    file.write_all(&text).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(Ok(file))
}

impl OutputLock {
    /// The lock file of one source of an output.
    pub fn path(root: &Path, vendor: &str, tenant: &str) -> PathBuf {
        root.join(STATE_DIR)
            .join("locks")
            .join(format!("{vendor}.{tenant}"))
    }

    /// The lock a live run holds on its temporary folder.
    pub fn temp_lock_path(root: &Path, run_id: &str) -> PathBuf {
        root.join(STATE_DIR)
            .join("tmp")
            .join(format!("{run_id}.lock"))
    }

    /// Takes the locks of every `(vendor, tenant)` for `run_id`, all at once or none.
    pub fn acquire(root: &Path, run_id: &str, sources: &[(&str, &str)]) -> Result<Self, LockError> {
        let mut files = Vec::with_capacity(sources.len() + 1);
        let mut sorted: Vec<&(&str, &str)> = sources.iter().collect();
        sorted.sort();
        sorted.dedup();
        for (vendor, tenant) in sorted {
            match try_lock(&Self::path(root, vendor, tenant), run_id)? {
                Ok(file) => files.push(file),
                Err(holder) => {
                    return Err(LockError::Held {
                        output: root.to_path_buf(),
                        scope: format!("{vendor}.{tenant}"),
                        holder,
                    });
                }
            }
        }
        let temp = Self::temp_lock_path(root, run_id);
        match try_lock(&temp, run_id)? {
            Ok(file) => files.push(file),
            Err(holder) => {
                return Err(LockError::Io {
                    path: temp,
                    reason: format!("held by {holder}: a run id used twice"),
                });
            }
        }
        Ok(Self { _files: files })
    }

    /// Whether a live run holds the temporary folder of `run_id` (its lock cannot be taken).
    pub fn run_is_alive(root: &Path, run_id: &str) -> bool {
        let path = Self::temp_lock_path(root, run_id);
        let Ok(file) = OpenOptions::new().read(true).write(true).open(&path) else {
            return false;
        };
        matches!(file.try_lock(), Err(TryLockError::WouldBlock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_named_until_the_first_lets_go() {
        let root = tempfile::tempdir().unwrap();
        let acme = [("genesys", "acme")];
        let first = OutputLock::acquire(root.path(), "run-one", &acme).unwrap();
        assert!(OutputLock::run_is_alive(root.path(), "run-one"));
        let err = OutputLock::acquire(
            root.path(),
            "run-two",
            &[("cxone", "eu"), ("genesys", "acme")],
        )
        .unwrap_err();
        assert!(err.is_held());
        let message = err.to_string();
        assert!(
            message.contains("run run-one")
                && message.contains("genesys.acme")
                && message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        // Another tenant of the same output is free.
        let other = OutputLock::acquire(root.path(), "run-four", &[("cxone", "eu")]).unwrap();
        drop(first);
        assert!(!OutputLock::run_is_alive(root.path(), "run-one"));
        let again = OutputLock::acquire(root.path(), "run-three", &acme).unwrap();
        let text = fs::read_to_string(OutputLock::path(root.path(), "genesys", "acme")).unwrap();
        let holder: LockHolder = serde_json::from_str(&text).unwrap();
        assert_eq!(holder.run_id, "run-three");
        drop((again, other));
    }
}
