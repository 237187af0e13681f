//! One writer per output: an advisory lock on `<output>/_ccetl/lock`, held for the whole run.
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
        "another ccetl run is writing to {output}: {holder}; wait for it to end (its lock goes with its process, so a run that died holds nothing), or write elsewhere with --output"
    )]
    Held {
        /// The output root.
        output: PathBuf,
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

/// The lock on one output, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct OutputLock {
    _file: File,
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

impl OutputLock {
    /// The lock file of an output.
    pub fn path(root: &Path) -> PathBuf {
        root.join(STATE_DIR).join("lock")
    }

    /// Takes the lock for `run_id`, at once or not at all.
    pub fn acquire(root: &Path, run_id: &str) -> Result<Self, LockError> {
        let path = Self::path(root);
        let io = |e: std::io::Error| LockError::Io {
            path: path.clone(),
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
            .open(&path)
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
                return Err(LockError::Held {
                    output: root.to_path_buf(),
                    holder,
                });
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
            path: path.clone(),
            reason: e.to_string(),
        })?;
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(&text).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_named_until_the_first_lets_go() {
        let root = tempfile::tempdir().unwrap();
        let first = OutputLock::acquire(root.path(), "run-one").unwrap();
        let err = OutputLock::acquire(root.path(), "run-two").unwrap_err();
        assert!(err.is_held());
        let message = err.to_string();
        assert!(
            message.contains("run run-one")
                && message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        drop(first);
        let again = OutputLock::acquire(root.path(), "run-three").unwrap();
        let text = fs::read_to_string(OutputLock::path(root.path())).unwrap();
        let holder: LockHolder = serde_json::from_str(&text).unwrap();
        assert_eq!(holder.run_id, "run-three");
        drop(again);
    }
}
