//! Hive-style Parquet partitions, written so that a reader never sees half of one, in dataset
//! folders that hold data only.
//!
//! Layout under the output root:
//!
//! ```text
//! <dataset>/source=<s>/tenant=<t>/date=<YYYY-MM-DD>/part-00000.zstd.parquet   the data
//! <dataset>/source=<s>/tenant=<t>/date=<YYYY-MM-DD>/_SUCCESS                  zero bytes, last
//! _ccetl/manifests/<dataset>/source=<s>/tenant=<t>/date=<YYYY-MM-DD>.json     the manifest
//! _ccetl/tmp/<run id>/…                                                       files being written
//! ```
//!
//! Every reader opens every file of a dataset folder (Polars and DataFusion read every non-empty
//! file; DuckDB's `**` every file), so nothing else lives there: the manifest (rows, bytes,
//! SHA-256, schema and query fingerprints, run id, extraction time) and the temporary files sit
//! under `_ccetl/` on the same filesystem, so the rename into place stays atomic. The partition
//! columns live in the path only.
//!
//! A partition is one deterministic file, streamed into a temporary file, flushed to disk, and
//! renamed over the previous one in one step. `_SUCCESS` and the manifest are removed before and
//! written after (manifest, then `_SUCCESS`), so a re-run replaces a partition instead of adding
//! to it, a crash leaves either the old or the new data, and a partition with `_SUCCESS` has its
//! manifest.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use chrono::{DateTime, NaiveDate, Utc};
use object_store::PutMode;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::transform::{Dataset, hex, schema_fingerprint};

pub mod lock;
pub mod store;

use store::StoreUpload;
pub use store::{StoreError, StoreOutput};

/// The data file of every partition.
pub const PART_FILE: &str = "part-00000.zstd.parquet";
/// The completion marker: zero bytes, written last.
pub const SUCCESS_FILE: &str = "_SUCCESS";
/// ccetl's own folder under the output root (manifests, temporary files); never a dataset.
pub const STATE_DIR: &str = "_ccetl";

/// How the Parquet files name their writer: `<name> version <x> (build <commit>)`, the form
/// parquet-java parses (it distrusts string statistics of writers it cannot parse).
pub const CREATED_BY: &str = concat!(
    "ccetl version ",
    env!("CARGO_PKG_VERSION"),
    " (build ",
    env!("CCETL_BUILD"),
    ")"
);

/// Why a partition could not be written. The previous partition, if any, is left as it was
/// unless the failure came after the atomic rename.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// A file-system operation failed.
    #[error("cannot {action} {path}: {source}{hint}")]
    Io {
        /// What we were doing.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
        /// What to do about it, when we know.
        hint: &'static str,
    },
    /// An object-store operation failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The run's lease on a store lock lapsed and another run took the lock over: this run
    /// commits nothing more.
    #[error(
        "the lock on {output} was taken over by another run after this run's lease lapsed; nothing more is committed (see the other run)"
    )]
    LeaseLost {
        /// The output.
        output: String,
    },
    /// The Parquet encoder failed.
    #[error("cannot encode Parquet for {path}: {message}")]
    Parquet {
        /// The file being written.
        path: PathBuf,
        /// The encoder's message.
        message: String,
    },
}

fn io_error(action: &'static str, path: &Path, source: std::io::Error) -> SinkError {
    let hint = match source.raw_os_error() {
        Some(28) => {
            " (the disk is full: free space or point [output] dir elsewhere, then re-run; the previous partition is untouched)"
        }
        Some(13) | Some(1) => " (permission denied: check the output directory's owner and mode)",
        _ => "",
    };
    SinkError::Io {
        action,
        path: path.to_path_buf(),
        source,
        hint,
    }
}

/// Identifies a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionKey {
    /// The dataset.
    pub dataset: Dataset,
    /// `genesys` or `cxone`.
    pub source: &'static str,
    /// The tenant name from the configuration.
    pub tenant: String,
    /// The business date.
    pub date: NaiveDate,
}

/// `<root>/<dataset>/source=<s>/tenant=<t>/date=<YYYY-MM-DD>` (from [`PartitionKey::store_dir`],
/// the one place partition paths are built).
pub fn hive_partition_path(root: &Path, key: &PartitionKey) -> PathBuf {
    root.join(key.store_dir())
}

/// `<root>/_ccetl/manifests/<dataset>/source=<s>/tenant=<t>/date=<YYYY-MM-DD>.json`.
pub fn manifest_path(root: &Path, key: &PartitionKey) -> PathBuf {
    root.join(key.store_manifest())
}

/// Where the datasets go: a local folder, or a prefix on an object store. Everything that reads
/// or writes the output (partitions, manifests, locks, run records, coverage) takes one.
#[derive(Debug, Clone)]
pub enum Output {
    /// A local (or mounted) folder.
    Local(PathBuf),
    /// A bucket or container and a prefix.
    Store(StoreOutput),
}

impl From<PathBuf> for Output {
    fn from(path: PathBuf) -> Self {
        Output::Local(path)
    }
}

impl From<&Path> for Output {
    fn from(path: &Path) -> Self {
        Output::Local(path.to_path_buf())
    }
}

impl From<StoreOutput> for Output {
    fn from(store: StoreOutput) -> Self {
        Output::Store(store)
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Local(path) => write!(f, "{}", path.display()),
            Output::Store(store) => write!(f, "{}", store.url()),
        }
    }
}

impl Output {
    /// Checks that the output can be read (one listing on a store; nothing locally), so that a
    /// store without credentials or out of reach fails at once with one message, instead of
    /// reading as empty.
    pub fn probe(&self) -> Result<(), StoreError> {
        match self {
            Output::Local(_) => Ok(()),
            Output::Store(store) => store.list(&format!("{STATE_DIR}/locks")).map(|_| ()),
        }
    }

    /// The local folder, when the output is one.
    pub fn local(&self) -> Option<&Path> {
        match self {
            Output::Local(path) => Some(path),
            Output::Store(_) => None,
        }
    }
}

/// `<dataset>/source=<s>/tenant=<t>`, slash-separated: a prefix on a store.
fn tenant_prefix(dataset: Dataset, source: &str, tenant: &str) -> String {
    format!("{}/source={source}/tenant={tenant}", dataset.name())
}

/// `_ccetl/manifests/<dataset>/source=<s>/tenant=<t>`, slash-separated.
fn manifest_prefix(dataset: Dataset, source: &str, tenant: &str) -> String {
    format!(
        "{STATE_DIR}/manifests/{}",
        tenant_prefix(dataset, source, tenant)
    )
}

impl PartitionKey {
    /// `<dataset>/source=<s>/tenant=<t>/date=<d>`, slash-separated: the partition's folder or
    /// prefix.
    fn store_dir(&self) -> String {
        format!(
            "{}/date={}",
            tenant_prefix(self.dataset, self.source, &self.tenant),
            self.date.format("%Y-%m-%d")
        )
    }

    /// `_ccetl/manifests/<dataset>/source=<s>/tenant=<t>/date=<d>.json`, slash-separated.
    fn store_manifest(&self) -> String {
        format!(
            "{}/date={}.json",
            manifest_prefix(self.dataset, self.source, &self.tenant),
            self.date.format("%Y-%m-%d")
        )
    }
}

/// What a partition's manifest records (`<root>/_ccetl/manifests/…/date=<d>.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Dataset name.
    pub dataset: String,
    /// Vendor.
    pub source: String,
    /// Tenant.
    pub tenant: String,
    /// Business date.
    pub date: NaiveDate,
    /// UTC start of the slice's interval.
    pub interval_start: DateTime<Utc>,
    /// UTC end of the slice's interval (exclusive).
    pub interval_end: DateTime<Utc>,
    /// Rows in the file.
    pub rows: u64,
    /// Bytes of the file.
    pub bytes: u64,
    /// SHA-256 of the file, hex (absent in manifests of ccetl before 0.2).
    #[serde(default)]
    pub sha256: String,
    /// The file's name.
    pub file: String,
    /// Hash of the Arrow schema.
    pub schema_fingerprint: String,
    /// Query name.
    pub query: String,
    /// Hash of the query body.
    pub query_fingerprint: String,
    /// Identifies the run that wrote it.
    pub run_id: String,
    /// When the data was fetched.
    pub extracted_at: DateTime<Utc>,
    /// ccetl's version.
    pub ccetl_version: String,
    /// Whether the data is final: the day ended more than the source's settle margin before
    /// extraction and nothing in it was still going on. `run` and `--resume` fetch a
    /// provisional partition again. (Manifests of ccetl before 0.2 have none: not final.)
    #[serde(default, rename = "final")]
    pub is_final: bool,
    /// Why it is provisional (empty when final).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provisional_reasons: Vec<String>,
    /// Records the source received but did not turn into rows, by reason.
    #[serde(default)]
    pub skipped_records: BTreeMap<String, u64>,
    /// API requests the slice sent (retries included); what `--dry-run` estimates from.
    #[serde(default)]
    pub requests: u64,
    /// Dataset-specific facts (e.g. ongoing conversations left for a later run).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, serde_json::Value>,
    /// On an object store, the data object's ETag as the store returned it on upload: a
    /// replaced object has another, so a resume can tell without downloading it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

impl Manifest {
    /// Whether `path` is the file this manifest describes: same size and SHA-256 (a torn or
    /// replaced file is not). Reads the file.
    pub fn matches_file(&self, path: &Path) -> bool {
        if self.sha256.is_empty() {
            return false;
        }
        let Ok(mut file) = File::open(path) else {
            return false;
        };
        if file.metadata().map(|m| m.len()).ok() != Some(self.bytes) {
            return false;
        }
        let mut hasher = Sha256::new();
        if std::io::copy(&mut file, &mut hasher).is_err() {
            return false;
        }
        hex(&hasher.finalize()) == self.sha256
    }
}

/// What the caller knows about a partition before writing it.
#[derive(Debug, Clone)]
pub struct PartitionInfo {
    /// UTC start of the slice.
    pub interval_start: DateTime<Utc>,
    /// UTC end of the slice.
    pub interval_end: DateTime<Utc>,
    /// Query name.
    pub query: String,
    /// Hash of the query body.
    pub query_fingerprint: String,
    /// Run id.
    pub run_id: String,
    /// Fetch time.
    pub extracted_at: DateTime<Utc>,
    /// Dataset-specific facts for the manifest.
    pub details: BTreeMap<String, serde_json::Value>,
    /// Records not turned into rows, by reason.
    pub skipped_records: BTreeMap<String, u64>,
    /// Why the data may still change; empty = final.
    pub provisional_reasons: Vec<String>,
    /// API requests the slice sent.
    pub requests: u64,
}

/// What `ccetl status` and catch-up need to know of one complete partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionSummary {
    /// Whether it is final.
    pub is_final: bool,
    /// Its rows.
    pub rows: u64,
}

/// The partitions of one (dataset, source, tenant) that are complete (`_SUCCESS` and a
/// manifest), by date. Partitions of ccetl before 0.2 count as present but not final. On a store,
/// one listing and the manifests read concurrently; a store that cannot be read counts as
/// holding nothing, with a warning (the run then fetches, which replaces, never duplicates).
pub fn partitions(
    output: &Output,
    dataset: Dataset,
    source: &str,
    tenant: &str,
) -> BTreeMap<NaiveDate, PartitionSummary> {
    match output {
        Output::Local(root) => local_partitions(root, dataset, source, tenant),
        Output::Store(store) => match store_partitions(store, dataset, source, tenant) {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "Cannot read which partitions the store holds; counting none.");
                BTreeMap::new()
            }
        },
    }
}

fn summary_of(manifest: Option<Manifest>, data_len: Option<u64>) -> Option<PartitionSummary> {
    // A data file gone or cut short is no partition, whatever its markers say.
    manifest
        .filter(|m| data_len.is_some_and(|len| m.bytes == 0 || len == m.bytes))
        .map(|m| PartitionSummary {
            is_final: m.is_final,
            rows: m.rows,
        })
}

fn local_partitions(
    root: &Path,
    dataset: Dataset,
    source: &str,
    tenant: &str,
) -> BTreeMap<NaiveDate, PartitionSummary> {
    let mut found = BTreeMap::new();
    let data_dir = root.join(tenant_prefix(dataset, source, tenant));
    let manifests_dir = root.join(manifest_prefix(dataset, source, tenant));
    let Ok(entries) = fs::read_dir(&data_dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(date) = name
            .to_str()
            .and_then(|n| n.strip_prefix("date="))
            .and_then(|d| d.parse::<NaiveDate>().ok())
        else {
            continue;
        };
        let Ok(marker) = fs::read(entry.path().join(SUCCESS_FILE)) else {
            continue;
        };
        let manifest: Option<Manifest> = if marker.is_empty() {
            fs::read(manifests_dir.join(format!("date={date}.json")))
                .ok()
                .and_then(|t| serde_json::from_slice(&t).ok())
        } else {
            serde_json::from_slice(&marker).ok()
        };
        let data_len = fs::metadata(entry.path().join(PART_FILE))
            .map(|m| m.len())
            .ok();
        if let Some(summary) = summary_of(manifest, data_len) {
            found.insert(date, summary);
        }
    }
    found
}

fn store_partitions(
    store: &StoreOutput,
    dataset: Dataset,
    source: &str,
    tenant: &str,
) -> Result<BTreeMap<NaiveDate, PartitionSummary>, StoreError> {
    // date -> (marked complete, data size)
    let mut seen: BTreeMap<NaiveDate, (bool, Option<u64>)> = BTreeMap::new();
    for (name, meta) in store.list(&tenant_prefix(dataset, source, tenant))? {
        let mut parts = name.rsplit('/');
        let (Some(file), Some(folder)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Some(date) = folder
            .strip_prefix("date=")
            .and_then(|d| d.parse::<NaiveDate>().ok())
        else {
            continue;
        };
        let entry = seen.entry(date).or_default();
        if file == SUCCESS_FILE {
            entry.0 = true;
        } else if file == PART_FILE {
            entry.1 = Some(meta.size);
        }
    }
    let complete: Vec<(NaiveDate, Option<u64>)> = seen
        .into_iter()
        .filter(|(_, (marked, _))| *marked)
        .map(|(date, (_, len))| (date, len))
        .collect();
    let names: Vec<String> = complete
        .iter()
        .map(|(date, _)| {
            format!(
                "{}/date={date}.json",
                manifest_prefix(dataset, source, tenant)
            )
        })
        .collect();
    let manifests = store.get_many(&names)?;
    Ok(complete
        .into_iter()
        .zip(manifests)
        .filter_map(|((date, len), text)| {
            let manifest = text.and_then(|t| serde_json::from_slice::<Manifest>(&t).ok());
            summary_of(manifest, len).map(|s| (date, s))
        })
        .collect())
}

/// Whether each complete partition of one (dataset, source, tenant) is final, by date: what
/// `run` consults to catch up.
pub fn partition_states(
    output: &Output,
    dataset: Dataset,
    source: &str,
    tenant: &str,
) -> BTreeMap<NaiveDate, bool> {
    partitions(output, dataset, source, tenant)
        .into_iter()
        .map(|(d, p)| (d, p.is_final))
        .collect()
}

/// The most recent run records of an output, newest first (run ids are UUIDv7: their names sort
/// by time), at most `limit`.
pub fn recent_run_records(output: &Output, limit: usize) -> Vec<serde_json::Value> {
    let texts: Vec<Vec<u8>> = match output {
        Output::Local(root) => {
            let Ok(entries) = fs::read_dir(root.join(STATE_DIR).join("runs")) else {
                return Vec::new();
            };
            let mut paths: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            paths.sort();
            paths
                .iter()
                .rev()
                .take(limit)
                .filter_map(|p| fs::read(p).ok())
                .collect()
        }
        Output::Store(store) => {
            let newest = || -> Result<Vec<Vec<u8>>, StoreError> {
                let mut names: Vec<String> = store
                    .list(&format!("{STATE_DIR}/runs"))?
                    .into_iter()
                    .map(|(name, _)| name)
                    .filter(|n| n.ends_with(".json"))
                    .collect();
                names.sort();
                names.reverse();
                names.truncate(limit);
                Ok(store.get_many(&names)?.into_iter().flatten().collect())
            };
            match newest() {
                Ok(texts) => texts,
                Err(e) => {
                    tracing::warn!(error = %e, "Cannot read the run records.");
                    Vec::new()
                }
            }
        }
    };
    texts
        .iter()
        .filter_map(|t| serde_json::from_slice(t).ok())
        .collect()
}

/// The requests the most recent complete partitions of one (dataset, source, tenant) recorded,
/// newest first, at most `limit` (partitions of ccetl before 0.2 recorded none).
pub fn recent_requests(
    output: &Output,
    dataset: Dataset,
    source: &str,
    tenant: &str,
    limit: usize,
) -> Vec<u64> {
    let manifests: Vec<Manifest> = match output {
        Output::Local(root) => {
            let dir = root.join(manifest_prefix(dataset, source, tenant));
            let Ok(entries) = fs::read_dir(&dir) else {
                return Vec::new();
            };
            let mut named: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            // `date=YYYY-MM-DD.json`: the names sort by date.
            named.sort();
            named
                .iter()
                .rev()
                .filter_map(|p| fs::read(p).ok())
                .filter_map(|t| serde_json::from_slice::<Manifest>(&t).ok())
                .filter(|m| m.requests > 0)
                .take(limit)
                .collect()
        }
        Output::Store(store) => {
            let newest = || -> Result<Vec<Manifest>, StoreError> {
                let mut names: Vec<String> = store
                    .list(&manifest_prefix(dataset, source, tenant))?
                    .into_iter()
                    .map(|(name, _)| name)
                    .collect();
                names.sort();
                names.reverse();
                // Twice the limit: partitions of old versions recorded no requests.
                names.truncate(limit.saturating_mul(2));
                Ok(store
                    .get_many(&names)?
                    .into_iter()
                    .flatten()
                    .filter_map(|t| serde_json::from_slice::<Manifest>(&t).ok())
                    .filter(|m| m.requests > 0)
                    .take(limit)
                    .collect())
            };
            newest().unwrap_or_default()
        }
    };
    manifests.into_iter().map(|m| m.requests).collect()
}

/// Writes partitions under one output (a local folder or a store prefix).
#[derive(Debug, Clone)]
pub struct PartitionWriter {
    output: Output,
    /// Set when the run's lease on a store lock was lost (another run took it over): from then
    /// on nothing is committed.
    lease_lost: Option<Arc<AtomicBool>>,
}

/// Counts and hashes what goes to the file, so the manifest can record size and checksum
/// without reading the file back.
struct HashingFile {
    file: File,
    hasher: Sha256,
    bytes: u64,
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Where a partition's bytes go while it is written: a temporary local file, or an upload.
enum PartSink {
    File(HashingFile),
    Store(StoreUpload),
}

impl Write for PartSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            PartSink::File(f) => f.write(buf),
            PartSink::Store(u) => u.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            PartSink::File(f) => f.flush(),
            PartSink::Store(u) => u.flush(),
        }
    }
}

impl PartitionWriter {
    /// A writer for `output` (a local folder: a `PathBuf` or `&Path` will do).
    pub fn new(output: impl Into<Output>) -> Self {
        Self {
            output: output.into(),
            lease_lost: None,
        }
    }

    /// The same writer, committing nothing once `lost` is set (a store lock's lease lost).
    pub fn guarded_by(mut self, lost: Option<Arc<AtomicBool>>) -> Self {
        self.lease_lost = lost;
        self
    }

    /// The output.
    pub fn output(&self) -> &Output {
        &self.output
    }

    /// The folder of a run's temporary files (a local output's; a store has none: an upload in
    /// flight is invisible).
    pub fn temp_dir(&self, run_id: &str) -> Option<PathBuf> {
        self.output
            .local()
            .map(|root| root.join(STATE_DIR).join("tmp").join(run_id))
    }

    /// Removes a run's temporary folder (call when the run is over; what is left in it was never
    /// committed).
    pub fn remove_temp_dir(&self, run_id: &str) {
        if let (Some(root), Some(dir)) = (self.output.local(), self.temp_dir(run_id)) {
            let _ = fs::remove_dir_all(dir);
            let _ = fs::remove_file(lock::OutputLock::temp_lock_path(root, run_id));
        }
    }

    /// Keeps a run's record under `_ccetl/runs/<run id>.json` (written whole, then renamed into
    /// place, or put in one request); returns where.
    pub fn write_run_record(&self, run_id: &str, json: &[u8]) -> Result<String, SinkError> {
        match &self.output {
            Output::Local(root) => {
                let path = root
                    .join(STATE_DIR)
                    .join("runs")
                    .join(format!("{run_id}.json"));
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                fs::create_dir_all(&dir).map_err(|e| io_error("create directory", &dir, e))?;
                let tmp = dir.join(format!(".{run_id}.json.tmp"));
                write_synced(&tmp, json)?;
                fs::rename(&tmp, &path).map_err(|e| io_error("rename into place", &path, e))?;
                Ok(path.display().to_string())
            }
            Output::Store(store) => {
                let name = format!("{STATE_DIR}/runs/{run_id}.json");
                store.put(&name, json.to_vec(), PutMode::Overwrite)?;
                Ok(store.location(&name))
            }
        }
    }

    /// Removes the temporary folders of runs that died: what they left in flight. A live run
    /// (a shard, another tenant's run) holds the lock of its folder, and keeps it. (A store has
    /// no temporary files: see [`store`].)
    pub fn remove_stale_temp_dirs(&self) {
        let Some(root) = self.output.local() else {
            return;
        };
        let tmp = root.join(STATE_DIR).join("tmp");
        let Ok(entries) = fs::read_dir(&tmp) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let run_id = name.strip_suffix(".lock").unwrap_or(&name).to_string();
            if lock::OutputLock::run_is_alive(root, &run_id) {
                continue;
            }
            // A dead run's folder and its lock file go together, whichever is listed first.
            let dir = tmp.join(&run_id);
            if dir.is_dir() {
                tracing::info!(path = %dir.display(), "Removing what a run that ended early left in flight.");
                let _ = fs::remove_dir_all(&dir);
            }
            let _ = fs::remove_file(lock::OutputLock::temp_lock_path(root, &run_id));
        }
    }

    /// The manifest of a complete partition, if there is one: its `_SUCCESS` and its data file
    /// exist and its manifest parses. A partition written by ccetl before 0.2 (the manifest in a
    /// non-empty `_SUCCESS`) counts too, until it is rewritten.
    pub fn manifest(&self, key: &PartitionKey) -> Option<Manifest> {
        match &self.output {
            Output::Local(root) => {
                let dir = hive_partition_path(root, key);
                let success = fs::read(dir.join(SUCCESS_FILE)).ok()?;
                if !dir.join(PART_FILE).is_file() {
                    return None;
                }
                let text = if success.is_empty() {
                    fs::read(manifest_path(root, key)).ok()?
                } else {
                    success
                };
                serde_json::from_slice(&text).ok()
            }
            Output::Store(store) => {
                let dir = key.store_dir();
                store.head(&format!("{dir}/{SUCCESS_FILE}")).ok()??;
                store.head(&format!("{dir}/{PART_FILE}")).ok()??;
                let text = store.get(&key.store_manifest()).ok()??;
                serde_json::from_slice(&text).ok()
            }
        }
    }

    /// Whether the partition's data file is the one `manifest` describes: locally, the same size
    /// and SHA-256 (the file is read); on a store, the same size and ETag (one `HEAD`). A torn
    /// or replaced file is not.
    pub fn is_intact(&self, key: &PartitionKey, manifest: &Manifest) -> bool {
        match &self.output {
            Output::Local(root) => {
                manifest.matches_file(&hive_partition_path(root, key).join(PART_FILE))
            }
            Output::Store(store) => {
                let Ok(Some(meta)) = store.head(&format!("{}/{PART_FILE}", key.store_dir())) else {
                    return false;
                };
                !manifest.sha256.is_empty()
                    && meta.size == manifest.bytes
                    && manifest.etag.is_some()
                    && meta.e_tag == manifest.etag
            }
        }
    }

    /// Writes (or replaces) one partition with `batch`. Blocking: call from a blocking task.
    pub fn write(
        &self,
        key: &PartitionKey,
        batch: &RecordBatch,
        info: &PartitionInfo,
    ) -> Result<Manifest, SinkError> {
        let mut file = self.create(key, batch.schema(), &info.run_id)?;
        file.write(batch)?;
        file.commit(info)
    }

    /// Starts a partition: batches are streamed into a temporary file under `_ccetl/tmp/` (or an
    /// upload, on a store), and nothing is visible until [`PartitionFile::commit`]. Dropping it
    /// uncommitted removes the temporary file (abandons the upload). Blocking: call from a
    /// blocking task.
    pub fn create(
        &self,
        key: &PartitionKey,
        schema: SchemaRef,
        run_id: &str,
    ) -> Result<PartitionFile, SinkError> {
        let (sink, tmp) = match &self.output {
            Output::Local(root) => {
                let tmp_dir = root.join(STATE_DIR).join("tmp").join(run_id);
                fs::create_dir_all(&tmp_dir)
                    .map_err(|e| io_error("create directory", &tmp_dir, e))?;
                let tmp = tmp_dir.join(format!(
                    "{}~{}~{}~{}.parquet.tmp",
                    key.dataset.name(),
                    key.source,
                    key.tenant,
                    key.date
                ));
                let file = File::create(&tmp).map_err(|e| io_error("create", &tmp, e))?;
                let file = HashingFile {
                    file,
                    hasher: Sha256::new(),
                    bytes: 0,
                };
                (PartSink::File(file), tmp)
            }
            Output::Store(store) => {
                let name = format!("{}/{PART_FILE}", key.store_dir());
                let upload = store.upload(&name);
                let location = PathBuf::from(upload.location());
                (PartSink::Store(upload), location)
            }
        };
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
            // A dictionary of unique ids only adds its indices; plain + zstd is smaller.
            .set_column_dictionary_enabled("conversation_id".into(), false);
        for column in plain_columns(key.dataset) {
            props = props.set_column_dictionary_enabled((*column).into(), false);
        }
        let props = props
            // Min/max per column chunk (what DuckDB, Spark, Snowflake and BigQuery prune on), not
            // per page as well: a partition's columns are mostly one page each. Measured with
            // scripts/bench-cpu.sh's query run: 2.7% smaller contacts files, no more CPU.
            .set_statistics_enabled(parquet::file::properties::EnabledStatistics::Chunk)
            .set_created_by(CREATED_BY.to_string())
            .build();
        let writer = match ArrowWriter::try_new(sink, schema.clone(), Some(props)) {
            Ok(w) => w,
            Err(e) => {
                if self.output.local().is_some() {
                    let _ = fs::remove_file(&tmp);
                }
                return Err(parquet_error(&tmp, e));
            }
        };
        Ok(PartitionFile {
            key: key.clone(),
            output: self.output.clone(),
            lease_lost: self.lease_lost.clone(),
            tmp,
            schema,
            writer: Some(writer),
            rows: 0,
        })
    }
}

/// The columns of `dataset` written without a dictionary: their values are nearly all distinct
/// (a conversation's own times, durations and caller), so a dictionary only adds its indices.
/// Measured on 30 days of `contacts` from the simulator: 11% smaller files (every one of these
/// columns smaller), the same CPU.
fn plain_columns(dataset: Dataset) -> &'static [&'static str] {
    match dataset {
        Dataset::Contacts => &[
            "conversation_start",
            "conversation_end",
            "wait_seconds",
            "talk_seconds",
            "hold_seconds",
            "acw_seconds",
            "handle_seconds",
            "ani",
        ],
        _ => &[],
    }
}

/// A partition being written: rows go to a temporary file (or an upload) until
/// [`PartitionFile::commit`].
pub struct PartitionFile {
    key: PartitionKey,
    output: Output,
    lease_lost: Option<Arc<AtomicBool>>,
    /// The temporary file (locally) or the object's URL (on a store), for messages.
    tmp: PathBuf,
    schema: SchemaRef,
    writer: Option<ArrowWriter<PartSink>>,
    rows: u64,
}

impl PartitionFile {
    /// Appends a batch. Blocking.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(SinkError::Parquet {
                path: self.tmp.clone(),
                message: "the partition file is already closed".into(),
            });
        };
        writer
            .write(batch)
            .map_err(|e| parquet_error(&self.tmp, e))?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Finishes the file, flushes it to disk (or completes the upload), and swaps it in as the
    /// partition. Blocking.
    pub fn commit(mut self, info: &PartitionInfo) -> Result<Manifest, SinkError> {
        let result = self.commit_inner(info);
        if result.is_err() && self.output.local().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
        result
    }

    fn manifest_of(
        &self,
        info: &PartitionInfo,
        bytes: u64,
        sha256: String,
        etag: Option<String>,
    ) -> Manifest {
        Manifest {
            dataset: self.key.dataset.name().to_string(),
            source: self.key.source.to_string(),
            tenant: self.key.tenant.clone(),
            date: self.key.date,
            interval_start: info.interval_start,
            interval_end: info.interval_end,
            rows: self.rows,
            bytes,
            sha256,
            file: PART_FILE.to_string(),
            schema_fingerprint: schema_fingerprint(&self.schema),
            query: info.query.clone(),
            query_fingerprint: info.query_fingerprint.clone(),
            run_id: info.run_id.clone(),
            extracted_at: info.extracted_at,
            ccetl_version: env!("CARGO_PKG_VERSION").to_string(),
            is_final: info.provisional_reasons.is_empty(),
            provisional_reasons: info.provisional_reasons.clone(),
            skipped_records: info.skipped_records.clone(),
            requests: info.requests,
            details: info.details.clone(),
            etag,
        }
    }

    fn commit_inner(&mut self, info: &PartitionInfo) -> Result<Manifest, SinkError> {
        let writer = self.writer.take().ok_or_else(|| SinkError::Parquet {
            path: self.tmp.clone(),
            message: "the partition file is already closed".into(),
        })?;
        let sink = writer
            .into_inner()
            .map_err(|e| parquet_error(&self.tmp, e))?;
        if self
            .lease_lost
            .as_ref()
            .is_some_and(|lost| lost.load(Ordering::SeqCst))
        {
            return Err(SinkError::LeaseLost {
                output: self.output.to_string(),
            });
        }
        match (sink, self.output.clone()) {
            (PartSink::File(hashed), Output::Local(root)) => self.commit_local(&root, hashed, info),
            (PartSink::Store(upload), Output::Store(store)) => {
                self.commit_store(&store, upload, info)
            }
            _ => Err(SinkError::Parquet {
                path: self.tmp.clone(),
                message: "the partition's sink does not match its output".into(),
            }),
        }
    }

    fn commit_local(
        &mut self,
        root: &Path,
        hashed: HashingFile,
        info: &PartitionInfo,
    ) -> Result<Manifest, SinkError> {
        hashed
            .file
            .sync_all()
            .map_err(|e| io_error("flush", &self.tmp, e))?;
        let bytes = hashed.bytes;
        let sha256 = hex(&hashed.hasher.finalize());
        drop(hashed.file);
        let dir = hive_partition_path(root, &self.key);
        let manifest_file = manifest_path(root, &self.key);
        let success = dir.join(SUCCESS_FILE);
        // Unmark first: from here until the marker is back, the partition is not complete.
        remove_if_present(&success)?;
        remove_if_present(&manifest_file)?;
        fs::create_dir_all(&dir).map_err(|e| io_error("create directory", &dir, e))?;
        let part = dir.join(PART_FILE);
        fs::rename(&self.tmp, &part).map_err(|e| io_error("rename into place", &part, e))?;
        remove_stale_files(&dir)?;
        sync_dir(&dir);
        let manifest = self.manifest_of(info, bytes, sha256, None);
        let text = serde_json::to_vec_pretty(&manifest).map_err(|e| SinkError::Parquet {
            path: manifest_file.clone(),
            message: e.to_string(),
        })?;
        let manifest_dir = manifest_file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| root.to_path_buf());
        fs::create_dir_all(&manifest_dir)
            .map_err(|e| io_error("create directory", &manifest_dir, e))?;
        let manifest_tmp = self.tmp.with_extension("json.tmp");
        write_synced(&manifest_tmp, &text)?;
        fs::rename(&manifest_tmp, &manifest_file)
            .map_err(|e| io_error("rename into place", &manifest_file, e))?;
        sync_dir(&manifest_dir);
        write_synced(&success, b"")?;
        sync_dir(&dir);
        Ok(manifest)
    }

    /// The same steps on a store: unmark (`_SUCCESS`, then the manifest), complete the upload
    /// (the data object is replaced in one step), remove what else the folder holds, then the
    /// manifest and `_SUCCESS`.
    fn commit_store(
        &mut self,
        store: &StoreOutput,
        upload: StoreUpload,
        info: &PartitionInfo,
    ) -> Result<Manifest, SinkError> {
        let dir = self.key.store_dir();
        let success = format!("{dir}/{SUCCESS_FILE}");
        let manifest_name = self.key.store_manifest();
        store.delete(&success)?;
        store.delete(&manifest_name)?;
        let (bytes, sha256, etag) = upload.finish()?;
        for (name, _) in store.list(&dir)? {
            let file = name.rsplit('/').next().unwrap_or_default();
            if file != PART_FILE && file != SUCCESS_FILE {
                store.delete(&name)?;
            }
        }
        let manifest = self.manifest_of(info, bytes, sha256, etag);
        let text = serde_json::to_vec_pretty(&manifest).map_err(|e| SinkError::Parquet {
            path: PathBuf::from(store.location(&manifest_name)),
            message: e.to_string(),
        })?;
        store.put(&manifest_name, text, PutMode::Overwrite)?;
        store.put(&success, Vec::new(), PutMode::Overwrite)?;
        Ok(manifest)
    }
}

impl Drop for PartitionFile {
    fn drop(&mut self) {
        if self.writer.is_some() && self.output.local().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
        // An unfinished upload is abandoned when the writer (and its `StoreUpload`) drops.
    }
}

fn parquet_error(path: &Path, e: parquet::errors::ParquetError) -> SinkError {
    match e {
        parquet::errors::ParquetError::External(inner) => {
            match inner.downcast::<std::io::Error>() {
                Ok(io) => io_error("write", path, *io),
                Err(other) => SinkError::Parquet {
                    path: path.to_path_buf(),
                    message: other.to_string(),
                },
            }
        }
        other => SinkError::Parquet {
            path: path.to_path_buf(),
            message: other.to_string(),
        },
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SinkError> {
    let mut file = File::create(path).map_err(|e| io_error("create", path, e))?;
    file.write_all(bytes)
        .map_err(|e| io_error("write", path, e))?;
    file.sync_all().map_err(|e| io_error("flush", path, e))
}

/// Removes what earlier layouts or crashed runs of earlier versions left in a partition folder
/// (other `part-*.parquet` files, hidden temporary files), so it holds exactly one data file.
fn remove_stale_files(dir: &Path) -> Result<(), SinkError> {
    let entries = fs::read_dir(dir).map_err(|e| io_error("list", dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale_part =
            name.starts_with("part-") && name.ends_with(".parquet") && name != PART_FILE;
        let stale_tmp = name.starts_with('.') && name.ends_with(".tmp");
        if stale_part || stale_tmp {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| io_error("remove stale file", &path, e))?;
        }
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), SinkError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("remove", path, e)),
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dead_runs_lose_their_temporary_files() {
        let root = tempfile::tempdir().unwrap();
        let writer = PartitionWriter::new(root.path());
        let live =
            lock::OutputLock::acquire(&Output::from(root.path()), "live-run", &[("genesys", "a")])
                .unwrap();
        let dead =
            lock::OutputLock::acquire(&Output::from(root.path()), "dead-run", &[("genesys", "b")])
                .unwrap();
        for run in ["live-run", "dead-run", "old-run"] {
            fs::create_dir_all(writer.temp_dir(run).unwrap()).unwrap();
            fs::write(writer.temp_dir(run).unwrap().join("x.parquet.tmp"), b"x").unwrap();
        }
        drop(dead);
        writer.remove_stale_temp_dirs();
        let mut left: Vec<String> = fs::read_dir(root.path().join(STATE_DIR).join("tmp"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        left.sort();
        // The live run keeps its folder and lock; a dead run's (and a lock-less old one's) go.
        assert_eq!(left, ["live-run", "live-run.lock"]);
        drop(live);
    }
    use crate::transform::{Pseudonymizer, QueueIntervalRow, Rows};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn key() -> PartitionKey {
        PartitionKey {
            dataset: Dataset::QueueIntervals,
            source: "genesys",
            tenant: "acme".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        }
    }

    fn info(run: &str) -> PartitionInfo {
        PartitionInfo {
            interval_start: DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z")
                .unwrap()
                .to_utc(),
            interval_end: DateTime::parse_from_rfc3339("2026-11-21T00:00:00Z")
                .unwrap()
                .to_utc(),
            query: "queue_intervals".into(),
            query_fingerprint: "abc".into(),
            run_id: run.into(),
            extracted_at: Utc::now(),
            details: BTreeMap::new(),
            skipped_records: BTreeMap::new(),
            provisional_reasons: Vec::new(),
            requests: 3,
        }
    }

    fn batch(offered: i64) -> RecordBatch {
        let row = QueueIntervalRow {
            interval_start: DateTime::parse_from_rfc3339("2026-11-20T09:00:00Z")
                .unwrap()
                .to_utc(),
            interval_end: DateTime::parse_from_rfc3339("2026-11-20T09:30:00Z")
                .unwrap()
                .to_utc(),
            queue_id: Some("q".into()),
            media_type: Some("voice".into()),
            offered: Some(offered),
            ..Default::default()
        };
        Rows::from(vec![row])
            .to_batch(&crate::transform::BatchContext::new(
                &Pseudonymizer::dropping(),
                "test-run",
                Utc::now(),
            ))
            .unwrap()
    }

    #[test]
    fn a_full_disk_says_so_and_what_to_do() {
        let e = io_error(
            "write",
            Path::new("/out/x"),
            std::io::Error::from_raw_os_error(28),
        );
        let msg = e.to_string();
        assert!(
            msg.contains("disk is full") && msg.contains("previous partition is untouched"),
            "{msg}"
        );
    }

    #[test]
    fn paths_are_hive_style() {
        let p = hive_partition_path(Path::new("/out"), &key());
        assert_eq!(
            p,
            Path::new("/out/queue_intervals/source=genesys/tenant=acme/date=2026-11-20")
        );
    }

    #[test]
    fn a_rerun_replaces_the_partition() {
        let root = tempfile::tempdir().unwrap();
        let writer = PartitionWriter::new(root.path());
        writer.write(&key(), &batch(5), &info("run1")).unwrap();
        // a crashed run's leftovers and an old layout's file
        let dir = hive_partition_path(root.path(), &key());
        fs::write(dir.join(".part-00000.zstd.parquet.crashed.tmp"), b"junk").unwrap();
        fs::write(dir.join("part-00001.parquet"), b"junk").unwrap();
        let manifest = writer.write(&key(), &batch(7), &info("run2")).unwrap();
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec![SUCCESS_FILE.to_string(), PART_FILE.to_string()]);
        assert_eq!(manifest.rows, 1);
        assert_eq!(writer.manifest(&key()).unwrap().run_id, "run2");
        let file = File::open(dir.join(PART_FILE)).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
        let offered = batches[0].column_by_name("offered").unwrap();
        let offered = offered
            .as_any()
            .downcast_ref::<arrow_array::Int64Array>()
            .unwrap();
        assert_eq!(offered.value(0), 7);
    }

    #[test]
    fn a_failed_write_leaves_the_previous_partition() {
        let root = tempfile::tempdir().unwrap();
        let writer = PartitionWriter::new(root.path());
        writer.write(&key(), &batch(5), &info("run1")).unwrap();
        // The temporary folder cannot be made (a file is in its way, whoever runs the test).
        fs::remove_dir_all(root.path().join(STATE_DIR).join("tmp")).unwrap();
        fs::write(root.path().join(STATE_DIR).join("tmp"), b"in the way").unwrap();
        let e = writer
            .write(&key(), &batch(9), &info("run2"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot create directory"), "{e}");
        assert_eq!(writer.manifest(&key()).unwrap().run_id, "run1");
        // A write whose batch does not fit the file fails before anything is swapped.
        fs::remove_file(root.path().join(STATE_DIR).join("tmp")).unwrap();
        let mut file = writer
            .create(&key(), Dataset::Contacts.schema(), "run3")
            .unwrap();
        assert!(file.write(&batch(11)).is_err());
        drop(file);
        assert_eq!(writer.manifest(&key()).unwrap().run_id, "run1");
        assert_eq!(
            fs::read_dir(writer.temp_dir("run3").unwrap())
                .unwrap()
                .count(),
            0,
            "the temporary file is gone"
        );
    }

    #[test]
    fn dataset_folders_hold_data_only_and_the_manifest_sits_beside() {
        let root = tempfile::tempdir().unwrap();
        let writer = PartitionWriter::new(root.path());
        let manifest = writer.write(&key(), &batch(5), &info("run1")).unwrap();
        let dir = hive_partition_path(root.path(), &key());
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [SUCCESS_FILE, PART_FILE]);
        assert_eq!(fs::metadata(dir.join(SUCCESS_FILE)).unwrap().len(), 0);
        let data = fs::read(dir.join(PART_FILE)).unwrap();
        assert_eq!(manifest.bytes, data.len() as u64);
        assert_eq!(manifest.sha256, hex(&Sha256::digest(&data)));
        let on_disk: Manifest =
            serde_json::from_slice(&fs::read(manifest_path(root.path(), &key())).unwrap()).unwrap();
        assert_eq!(on_disk, manifest);
        assert_eq!(
            manifest_path(root.path(), &key()),
            root.path().join(
                "_ccetl/manifests/queue_intervals/source=genesys/tenant=acme/date=2026-11-20.json"
            )
        );
        assert_eq!(
            fs::read_dir(writer.temp_dir("run1").unwrap())
                .unwrap()
                .count(),
            0
        );
        writer.remove_temp_dir("run1");
        assert!(!writer.temp_dir("run1").unwrap().exists());
    }

    #[test]
    fn a_contacts_partition_writes_its_distinct_valued_columns_without_a_dictionary() {
        use crate::transform::{BatchContext, ContactRow, PersonalData};
        use parquet::basic::Encoding;
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let declared: Vec<&str> = Dataset::Contacts.columns().iter().map(|c| c.name).collect();
        for column in plain_columns(Dataset::Contacts) {
            assert!(
                declared.contains(column),
                "{column} is not a contacts column"
            );
        }
        let start = DateTime::parse_from_rfc3339("2026-11-20T09:00:00Z")
            .unwrap()
            .to_utc();
        let rows: Vec<ContactRow> = (0..50)
            .map(|i| ContactRow {
                conversation_id: format!("c-{i}"),
                conversation_start: start + chrono::Duration::seconds(i),
                conversation_end: Some(start + chrono::Duration::seconds(100 + i)),
                direction: Some("inbound".into()),
                wait_seconds: Some(i as f64 / 3.0),
                ani: Some(format!("tel:+1555{i:04}")),
                ..Default::default()
            })
            .collect();
        let privacy = Pseudonymizer::new(PersonalData::Raw, None).unwrap();
        let batch = Rows::from(rows)
            .to_batch(&BatchContext::new(&privacy, "run1", Utc::now()))
            .unwrap();
        let key = PartitionKey {
            dataset: Dataset::Contacts,
            ..key()
        };
        let root = tempfile::tempdir().unwrap();
        PartitionWriter::new(root.path())
            .write(&key, &batch, &info("run1"))
            .unwrap();
        let file = File::open(hive_partition_path(root.path(), &key).join(PART_FILE)).unwrap();
        let reader = SerializedFileReader::new(file).unwrap();
        let group = reader.metadata().row_group(0);
        let dictionary: BTreeMap<&str, bool> = group
            .columns()
            .iter()
            .map(|c| {
                let name = c.column_descr().name();
                let encoded = c.encodings().any(|e| e == Encoding::RLE_DICTIONARY);
                (
                    declared.iter().copied().find(|d| *d == name).unwrap_or("_"),
                    encoded,
                )
            })
            .collect();
        for column in plain_columns(Dataset::Contacts) {
            assert!(!dictionary[column], "{column}");
        }
        assert!(!dictionary["conversation_id"]);
        assert!(
            dictionary["direction"],
            "repeated values keep their dictionary"
        );
    }

    #[test]
    fn a_torn_or_replaced_file_does_not_match_its_manifest() {
        let root = tempfile::tempdir().unwrap();
        let writer = PartitionWriter::new(root.path());
        let manifest = writer.write(&key(), &batch(5), &info("run1")).unwrap();
        let part = hive_partition_path(root.path(), &key()).join(PART_FILE);
        assert!(manifest.matches_file(&part));
        assert!(manifest.is_final);
        let data = fs::read(&part).unwrap();
        fs::write(&part, &data[..data.len() / 2]).unwrap();
        assert!(!manifest.matches_file(&part), "torn");
        let mut flipped = data.clone();
        flipped[10] ^= 1;
        fs::write(&part, &flipped).unwrap();
        assert!(!manifest.matches_file(&part), "same size, other bytes");
        fs::write(&part, &data).unwrap();
        assert!(manifest.matches_file(&part));
        let legacy = Manifest {
            sha256: String::new(),
            ..manifest
        };
        assert!(!legacy.matches_file(&part), "nothing to verify against");
    }

    #[test]
    fn a_partition_without_its_marker_or_data_is_not_complete() {
        let root = tempfile::tempdir().unwrap();
        let writer = PartitionWriter::new(root.path());
        writer.write(&key(), &batch(5), &info("run1")).unwrap();
        let dir = hive_partition_path(root.path(), &key());
        fs::remove_file(dir.join(SUCCESS_FILE)).unwrap();
        assert!(writer.manifest(&key()).is_none());
        writer.write(&key(), &batch(5), &info("run2")).unwrap();
        fs::remove_file(dir.join(PART_FILE)).unwrap();
        assert!(writer.manifest(&key()).is_none());
    }

    #[test]
    fn a_manifest_in_an_old_success_file_still_counts() {
        let root = tempfile::tempdir().unwrap();
        let writer = PartitionWriter::new(root.path());
        let manifest = writer.write(&key(), &batch(5), &info("old")).unwrap();
        let dir = hive_partition_path(root.path(), &key());
        fs::remove_file(manifest_path(root.path(), &key())).unwrap();
        let mut legacy = serde_json::to_value(&manifest).unwrap();
        legacy.as_object_mut().unwrap().remove("sha256");
        fs::write(dir.join(SUCCESS_FILE), legacy.to_string()).unwrap();
        let read = writer.manifest(&key()).unwrap();
        assert_eq!((read.run_id.as_str(), read.sha256.as_str()), ("old", ""));
    }

    #[test]
    fn files_name_their_writer_the_way_parquet_java_parses() {
        // parquet-java's VersionParser: `<application> version <semver> (build <hash>)`.
        let rest = CREATED_BY.strip_prefix("ccetl version ").unwrap();
        let (version, build) = rest.split_once(" (build ").unwrap();
        assert_eq!(version, env!("CARGO_PKG_VERSION"));
        let build = build.strip_suffix(')').unwrap();
        assert!(!build.is_empty() && !build.contains(' '), "{CREATED_BY}");
        let root = tempfile::tempdir().unwrap();
        PartitionWriter::new(root.path())
            .write(&key(), &batch(5), &info("run1"))
            .unwrap();
        let file = File::open(hive_partition_path(root.path(), &key()).join(PART_FILE)).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        assert_eq!(
            reader.metadata().file_metadata().created_by(),
            Some(CREATED_BY)
        );
    }

    fn memory_output() -> (Output, StoreOutput) {
        let store = StoreOutput::with_store(
            "memory://bucket/out",
            Arc::new(object_store::memory::InMemory::new()),
            "out",
        );
        (Output::Store(store.clone()), store)
    }

    fn read_back(bytes: Vec<u8>) -> Vec<i64> {
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
            .unwrap()
            .build()
            .unwrap();
        let mut offered = Vec::new();
        for batch in reader {
            let batch = batch.unwrap();
            let column = batch
                .column_by_name("offered")
                .unwrap()
                .as_any()
                .downcast_ref::<arrow_array::Int64Array>()
                .unwrap()
                .clone();
            offered.extend(column.iter().flatten());
        }
        offered
    }

    #[test]
    fn on_a_store_a_partition_is_one_object_replaced_whole_with_its_manifest_beside() {
        let (output, store) = memory_output();
        let writer = PartitionWriter::new(output.clone());
        let first = writer.write(&key(), &batch(5), &info("run1")).unwrap();
        let second = writer.write(&key(), &batch(7), &info("run2")).unwrap();
        let mut names: Vec<String> = store
            .list("")
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "_ccetl/manifests/queue_intervals/source=genesys/tenant=acme/date=2026-11-20.json",
                "queue_intervals/source=genesys/tenant=acme/date=2026-11-20/_SUCCESS",
                "queue_intervals/source=genesys/tenant=acme/date=2026-11-20/part-00000.zstd.parquet",
            ]
        );
        let data = store
            .get("queue_intervals/source=genesys/tenant=acme/date=2026-11-20/part-00000.zstd.parquet")
            .unwrap()
            .unwrap();
        assert_eq!(read_back(data.clone()), [7], "the re-run replaced the data");
        assert_eq!(second.bytes, data.len() as u64);
        assert_eq!(second.sha256, hex(&Sha256::digest(&data)));
        assert!(second.etag.is_some() && second.etag != first.etag);
        let manifest = writer.manifest(&key()).unwrap();
        assert_eq!(manifest, second);
        assert!(writer.is_intact(&key(), &manifest));
        assert!(
            !writer.is_intact(&key(), &first),
            "the first run's object is gone"
        );
        let found = partitions(&output, Dataset::QueueIntervals, "genesys", "acme");
        assert_eq!(found.len(), 1);
        assert_eq!(found[&key().date].rows, 1);
        assert_eq!(
            recent_requests(&output, Dataset::QueueIntervals, "genesys", "acme", 5),
            [3]
        );
    }

    #[test]
    fn on_a_store_a_replaced_object_or_a_missing_marker_is_no_partition() {
        let (output, store) = memory_output();
        let writer = PartitionWriter::new(output.clone());
        let manifest = writer.write(&key(), &batch(5), &info("run1")).unwrap();
        let dir = "queue_intervals/source=genesys/tenant=acme/date=2026-11-20";
        // Replaced by someone else (same size even): another ETag, not intact.
        let data = store.get(&format!("{dir}/{PART_FILE}")).unwrap().unwrap();
        store
            .put(
                &format!("{dir}/{PART_FILE}"),
                data.clone(),
                PutMode::Overwrite,
            )
            .unwrap();
        assert!(!writer.is_intact(&key(), &manifest));
        store.delete(&format!("{dir}/{SUCCESS_FILE}")).unwrap();
        assert!(writer.manifest(&key()).is_none());
        assert!(partitions(&output, Dataset::QueueIntervals, "genesys", "acme").is_empty());
    }

    #[test]
    fn on_a_store_an_uncommitted_partition_leaves_the_previous_one() {
        let (output, store) = memory_output();
        let writer = PartitionWriter::new(output);
        writer.write(&key(), &batch(5), &info("run1")).unwrap();
        let mut file = writer.create(&key(), batch(9).schema(), "run2").unwrap();
        file.write(&batch(9)).unwrap();
        drop(file);
        let dir = "queue_intervals/source=genesys/tenant=acme/date=2026-11-20";
        let data = store.get(&format!("{dir}/{PART_FILE}")).unwrap().unwrap();
        assert_eq!(read_back(data), [5]);
        assert!(writer.manifest(&key()).is_some());
    }

    #[test]
    fn after_a_lost_lease_nothing_is_committed() {
        let (output, _store) = memory_output();
        let lost = Arc::new(AtomicBool::new(false));
        let writer = PartitionWriter::new(output).guarded_by(Some(lost.clone()));
        writer.write(&key(), &batch(5), &info("run1")).unwrap();
        lost.store(true, Ordering::SeqCst);
        let error = writer.write(&key(), &batch(6), &info("run1")).unwrap_err();
        assert!(error.to_string().contains("taken over"), "{error}");
        assert_eq!(writer.manifest(&key()).unwrap().run_id, "run1");
    }
}
