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
//!
//! On an object store there is no `flock`: the lock is the object `_ccetl/locks/<vendor>.<tenant>`,
//! created only if absent (`If-None-Match: *` on S3, generation preconditions on GCS, `If-None-Match`
//! on Azure). It holds a lease: its run rewrites it every third of the lease, each time on the
//! condition that it is unchanged (`If-Match` its ETag), and deletes it at the end. A run killed
//! outright leaves it; another run takes it over once the lease has run out (measured from the
//! object's last modification, by the taker's clock: keep clocks in sync), again conditionally,
//! so of two runs taking over at once one wins. A run whose renewal finds the lock changed has
//! lost it, and commits nothing more.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use object_store::{PutMode, UpdateVersion};
use serde::{Deserialize, Serialize};

use super::store::{StoreErrorKind, StoreOutput, version_after, version_of};
use super::{Output, STATE_DIR};

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
        output: String,
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
/// (or when the process ends; on a store, when the lease runs out).
#[derive(Debug)]
pub struct OutputLock {
    _files: Vec<File>,
    leases: Option<Leases>,
}

/// What a store lock object holds: the holder, and how long its lease lasts from the object's
/// last modification.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LeaseRecord {
    #[serde(flatten)]
    holder: LockHolder,
    /// Seconds the lease lasts without renewal.
    lease_secs: u64,
    /// When it was last renewed (for people reading it; expiry uses the object's own time).
    renewed_at: String,
}

/// The store locks a run holds and the task that renews them.
#[derive(Debug)]
struct Leases {
    store: StoreOutput,
    names: Vec<String>,
    lost: Arc<AtomicBool>,
    renewal: tokio::task::JoinHandle<()>,
}

impl Drop for Leases {
    fn drop(&mut self) {
        self.renewal.abort();
        if self.lost.load(Ordering::SeqCst) {
            return;
        }
        for name in &self.names {
            if let Err(e) = self.store.delete(name) {
                tracing::warn!(error = %e, "Cannot release a lock; it lapses with its lease.");
            }
        }
    }
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

/// How long a lock recorded as this process's is waited for, and how often it is tried again.
const SAME_PROCESS_WAIT: Duration = Duration::from_secs(1);
const SAME_PROCESS_POLL: Duration = Duration::from_millis(10);

/// Takes the lock of `path` for `run_id`, at once or not at all; `None` when another holds it
/// (with what its file says of the holder). A lock recorded as this process's is tried again for
/// up to [`SAME_PROCESS_WAIT`] first.
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
    let mut waited = Duration::ZERO;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.rewind();
                let _ = file.read_to_string(&mut text);
                let recorded = serde_json::from_str::<LockHolder>(&text).ok();
                // A lock this process's last run held may outlive it for an instant: a child
                // forked meanwhile (by anything in the process) shares the lock until it execs.
                let ours = recorded
                    .as_ref()
                    .is_some_and(|h| h.pid == std::process::id() && h.host == host_name());
                if ours && waited < SAME_PROCESS_WAIT {
                    std::thread::sleep(SAME_PROCESS_POLL);
                    waited += SAME_PROCESS_POLL;
                    continue;
                }
                let holder = match recorded {
                    Some(h) => format!(
                        "run {} (pid {} on {}), started {}",
                        h.run_id, h.pid, h.host, h.started_at
                    ),
                    None => "a run that is just starting".to_string(),
                };
                return Ok(Err(holder));
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
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

    /// Takes the locks of every `(vendor, tenant)` of `output` for `run_id`, all at once or
    /// none.
    pub fn acquire(
        output: &Output,
        run_id: &str,
        sources: &[(&str, &str)],
    ) -> Result<Self, LockError> {
        match output {
            Output::Local(root) => Self::acquire_local(root, run_id, sources),
            Output::Store(store) => Self::acquire_store(store, run_id, sources),
        }
    }

    /// The flag a lost lease sets (store locks only): what the writer checks before it commits.
    pub fn lease_lost(&self) -> Option<Arc<AtomicBool>> {
        self.leases.as_ref().map(|l| l.lost.clone())
    }

    fn acquire_local(
        root: &Path,
        run_id: &str,
        sources: &[(&str, &str)],
    ) -> Result<Self, LockError> {
        let mut files = Vec::with_capacity(sources.len() + 1);
        let mut sorted: Vec<&(&str, &str)> = sources.iter().collect();
        sorted.sort();
        sorted.dedup();
        for (vendor, tenant) in sorted {
            match try_lock(&Self::path(root, vendor, tenant), run_id)? {
                Ok(file) => files.push(file),
                Err(holder) => {
                    return Err(LockError::Held {
                        output: root.display().to_string(),
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
        Ok(Self {
            _files: files,
            leases: None,
        })
    }

    fn acquire_store(
        store: &StoreOutput,
        run_id: &str,
        sources: &[(&str, &str)],
    ) -> Result<Self, LockError> {
        let mut sorted: Vec<&(&str, &str)> = sources.iter().collect();
        sorted.sort();
        sorted.dedup();
        let lease = store.lease();
        let mut held: Vec<(String, UpdateVersion)> = Vec::new();
        let release = |held: &[(String, UpdateVersion)]| {
            for (name, _) in held {
                let _ = store.delete(name);
            }
        };
        for (vendor, tenant) in sorted {
            let name = format!("{STATE_DIR}/locks/{vendor}.{tenant}");
            match take_lease(store, &name, run_id, lease) {
                Ok(Ok(version)) => held.push((name, version)),
                Ok(Err(holder)) => {
                    release(&held);
                    return Err(LockError::Held {
                        output: store.url().to_string(),
                        scope: format!("{vendor}.{tenant}"),
                        holder,
                    });
                }
                Err(e) => {
                    release(&held);
                    return Err(e);
                }
            }
        }
        let lost = Arc::new(AtomicBool::new(false));
        let renewal = super::store::spawn(renew(
            store.clone(),
            held.clone(),
            run_id.to_string(),
            lease,
            lost.clone(),
        ));
        Ok(Self {
            _files: Vec::new(),
            leases: Some(Leases {
                store: store.clone(),
                names: held.into_iter().map(|(n, _)| n).collect(),
                lost,
                renewal,
            }),
        })
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

fn lease_record(run_id: &str, lease: Duration) -> Vec<u8> {
    let record = LeaseRecord {
        holder: LockHolder {
            pid: std::process::id(),
            host: host_name(),
            run_id: run_id.to_string(),
            started_at: Utc::now().to_rfc3339(),
        },
        lease_secs: lease.as_secs(),
        renewed_at: Utc::now().to_rfc3339(),
    };
    serde_json::to_vec(&record).unwrap_or_default()
}

/// Takes the lock object `name` for `run_id`: creates it if absent, or takes it over if its
/// lease has run out. `Ok(Err(holder))` when another run holds it.
fn take_lease(
    store: &StoreOutput,
    name: &str,
    run_id: &str,
    lease: Duration,
) -> Result<Result<UpdateVersion, String>, LockError> {
    let io = |e: super::StoreError| LockError::Io {
        path: PathBuf::from(store.location(name)),
        reason: format!(
            "{e} (check the store's credentials, endpoint and permissions; a lock on a store also needs conditional writes: If-None-Match and If-Match on S3)"
        ),
    };
    // Twice at most: a lock released between our create and our read is created again.
    for _ in 0..2 {
        match store.put(name, lease_record(run_id, lease), PutMode::Create) {
            Ok(done) => return Ok(Ok(version_after(done))),
            Err(e) if e.kind == StoreErrorKind::Conflict => {}
            Err(e) => return Err(io(e)),
        }
        let Some((text, meta)) = store.get_with_meta(name).map_err(io)? else {
            continue;
        };
        let record = serde_json::from_slice::<LeaseRecord>(&text).ok();
        let lease_secs = record.as_ref().map_or(lease.as_secs(), |r| r.lease_secs);
        let expires: DateTime<Utc> = meta.last_modified
            + chrono::Duration::seconds(i64::try_from(lease_secs).unwrap_or(i64::MAX / 2));
        let holder = match &record {
            Some(r) => format!(
                "run {} (pid {} on {}), started {}, its lease renewed {} and running out {}",
                r.holder.run_id,
                r.holder.pid,
                r.holder.host,
                r.holder.started_at,
                meta.last_modified.to_rfc3339(),
                expires.to_rfc3339()
            ),
            None => format!("a lock object ccetl cannot read, running out {expires}"),
        };
        if Utc::now() < expires {
            return Ok(Err(holder));
        }
        match store.put(
            name,
            lease_record(run_id, lease),
            PutMode::Update(version_of(&meta)),
        ) {
            Ok(done) => {
                tracing::warn!(lock = %store.location(name), previous = %holder, "Took over a lock whose lease had run out (its run ended without releasing it).");
                return Ok(Ok(version_after(done)));
            }
            Err(e) if matches!(e.kind, StoreErrorKind::Conflict | StoreErrorKind::NotFound) => {
                return Ok(Err(format!(
                    "another run that took it over just now ({holder})"
                )));
            }
            Err(e) => return Err(io(e)),
        }
    }
    Ok(Err("a run that is just starting".to_string()))
}

/// Renews the leases every third of their length, each on the condition that the lock is as this
/// run left it; sets `lost` (and stops) when one was taken over.
async fn renew(
    store: StoreOutput,
    mut held: Vec<(String, UpdateVersion)>,
    run_id: String,
    lease: Duration,
    lost: Arc<AtomicBool>,
) {
    let period = (lease / 3).max(Duration::from_millis(500));
    loop {
        tokio::time::sleep(period).await;
        for (name, version) in &mut held {
            let body = lease_record(&run_id, lease);
            match store
                .put_async(name, body, PutMode::Update(version.clone()))
                .await
            {
                Ok(done) => *version = version_after(done),
                Err(e)
                    if e.kind == StoreErrorKind::Conflict || e.kind == StoreErrorKind::NotFound =>
                {
                    lost.store(true, Ordering::SeqCst);
                    tracing::error!(lock = %store.location(name), "This run's lease ran out and another run took the lock over; nothing more is committed.");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "Cannot renew a lock's lease; trying again.");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A forked child shares its parent's lock until it execs: a run that has ended may still
    /// seem to hold its lock for that instant, and the next run of the process waits it out.
    #[test]
    fn a_lock_a_forked_child_still_shares_is_waited_for() {
        let root = tempfile::tempdir().unwrap();
        let acme = [("genesys", "acme")];
        let first = OutputLock::acquire(&Output::from(root.path()), "run-one", &acme).unwrap();
        // What fork does to the descriptor: another one on the same open file, same lock.
        let child = first._files[0].try_clone().unwrap();
        drop(first);
        let exec = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(child);
        });
        let next = OutputLock::acquire(&Output::from(root.path()), "run-two", &acme);
        exec.join().unwrap();
        assert!(next.is_ok(), "{:?}", next.err());
    }

    #[test]
    fn a_second_holder_is_refused_and_named_until_the_first_lets_go() {
        let root = tempfile::tempdir().unwrap();
        let acme = [("genesys", "acme")];
        let first = OutputLock::acquire(&Output::from(root.path()), "run-one", &acme).unwrap();
        assert!(OutputLock::run_is_alive(root.path(), "run-one"));
        let err = OutputLock::acquire(
            &Output::from(root.path()),
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
        let other = OutputLock::acquire(&Output::from(root.path()), "run-four", &[("cxone", "eu")])
            .unwrap();
        drop(first);
        assert!(!OutputLock::run_is_alive(root.path(), "run-one"));
        let again = OutputLock::acquire(&Output::from(root.path()), "run-three", &acme).unwrap();
        let text = fs::read_to_string(OutputLock::path(root.path(), "genesys", "acme")).unwrap();
        let holder: LockHolder = serde_json::from_str(&text).unwrap();
        assert_eq!(holder.run_id, "run-three");
        drop((again, other));
    }

    fn memory_store(lease: Duration) -> StoreOutput {
        StoreOutput::with_store(
            "memory://bucket/out",
            Arc::new(object_store::memory::InMemory::new()),
            "out",
        )
        .with_lease(lease)
    }

    #[test]
    fn a_store_lock_is_held_while_renewed_and_released_at_the_end() {
        let store = memory_store(Duration::from_secs(3));
        let output = Output::Store(store.clone());
        let acme = [("genesys", "acme")];
        let first = OutputLock::acquire(&output, "run-one", &acme).unwrap();
        // Renewed (every second) past the lease: still held.
        std::thread::sleep(Duration::from_millis(3500));
        let err = OutputLock::acquire(&output, "run-two", &[("cxone", "eu"), ("genesys", "acme")])
            .unwrap_err();
        assert!(err.is_held(), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("run run-one") && message.contains("running out"),
            "{message}"
        );
        // The refused run let go of what it had taken (cxone.eu) at once.
        let eu = OutputLock::acquire(&output, "run-three", &[("cxone", "eu")]).unwrap();
        drop(eu);
        drop(first);
        assert!(
            store.get("_ccetl/locks/genesys.acme").unwrap().is_none(),
            "released"
        );
    }

    #[test]
    fn a_lapsed_lease_is_taken_over_and_its_run_learns_it_lost() {
        let store = memory_store(Duration::from_secs(3));
        let output = Output::Store(store.clone());
        let acme = [("genesys", "acme")];
        // A lock left by a run that died: written by hand, its lease long over.
        let stale = serde_json::json!({
            "pid": 1, "host": "gone", "run_id": "run-dead", "started_at": "2026-01-01T00:00:00Z",
            "lease_secs": 0, "renewed_at": "2026-01-01T00:00:00Z"
        });
        store
            .put(
                "_ccetl/locks/genesys.acme",
                stale.to_string().into_bytes(),
                PutMode::Create,
            )
            .unwrap();
        let taker = OutputLock::acquire(&output, "run-new", &acme).unwrap();
        let text = store.get("_ccetl/locks/genesys.acme").unwrap().unwrap();
        assert!(String::from_utf8_lossy(&text).contains("run-new"));
        // Someone overwrites the lock behind the holder's back: its next renewal finds out.
        store
            .put(
                "_ccetl/locks/genesys.acme",
                b"{}".to_vec(),
                PutMode::Overwrite,
            )
            .unwrap();
        let lost = taker.lease_lost().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !lost.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            lost.load(Ordering::SeqCst),
            "the renewal noticed the lock was no longer its own"
        );
        drop(taker);
        // A lost lock is not deleted on the way out: it is someone else's now.
        assert_eq!(
            store.get("_ccetl/locks/genesys.acme").unwrap().unwrap(),
            b"{}"
        );
    }
}
