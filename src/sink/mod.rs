//! Hive-style Parquet partitions, written so that a reader never sees half of one.
//!
//! Layout: `<root>/<dataset>/source=<vendor>/tenant=<name>/date=YYYY-MM-DD/part-00000.zstd.parquet`
//! plus `_SUCCESS`, a small JSON manifest (rows, bytes, schema and query fingerprints, run id,
//! extraction time) that loaders key on. The partition columns live in the path only.
//!
//! A partition is one deterministic file. It is written under a hidden temporary name (which
//! `*.parquet` globs, Spark and Hive all skip), flushed to disk, and renamed over the previous file
//! in one atomic step; `_SUCCESS` is removed before and rewritten after, so a re-run replaces a
//! partition instead of adding to it, and a crash leaves either the old or the new data.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use chrono::{DateTime, NaiveDate, Utc};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use crate::transform::{Dataset, schema_fingerprint};

/// The data file of every partition.
pub const PART_FILE: &str = "part-00000.zstd.parquet";
/// The completion marker and manifest.
pub const SUCCESS_FILE: &str = "_SUCCESS";

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

/// `<root>/<dataset>/source=<s>/tenant=<t>/date=<YYYY-MM-DD>`: the one place partition paths are built.
pub fn hive_partition_path(root: &Path, key: &PartitionKey) -> PathBuf {
    root.join(key.dataset.name())
        .join(format!("source={}", key.source))
        .join(format!("tenant={}", key.tenant))
        .join(format!("date={}", key.date.format("%Y-%m-%d")))
}

/// What `_SUCCESS` records about a written partition.
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
    /// Dataset-specific facts (e.g. ongoing conversations left for a later run).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, serde_json::Value>,
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
}

/// Writes partitions under one output root.
#[derive(Debug, Clone)]
pub struct PartitionWriter {
    root: PathBuf,
}

impl PartitionWriter {
    /// A writer for `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The output root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The manifest of a complete partition, if there is one.
    pub fn manifest(&self, key: &PartitionKey) -> Option<Manifest> {
        let path = hive_partition_path(&self.root, key).join(SUCCESS_FILE);
        let text = fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
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

    /// Starts a partition: batches are streamed into a hidden temporary file, and nothing is
    /// visible until [`PartitionFile::commit`]. Dropping it uncommitted removes the temporary file.
    /// Blocking: call from a blocking task.
    pub fn create(
        &self,
        key: &PartitionKey,
        schema: SchemaRef,
        run_id: &str,
    ) -> Result<PartitionFile, SinkError> {
        let dir = hive_partition_path(&self.root, key);
        fs::create_dir_all(&dir).map_err(|e| io_error("create directory", &dir, e))?;
        let tmp = dir.join(format!(".{PART_FILE}.{run_id}.tmp"));
        let file = File::create(&tmp).map_err(|e| io_error("create", &tmp, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
            .set_created_by(concat!("ccetl ", env!("CARGO_PKG_VERSION")).to_string())
            .build();
        let writer = match ArrowWriter::try_new(file, schema.clone(), Some(props)) {
            Ok(w) => w,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(parquet_error(&tmp, e));
            }
        };
        Ok(PartitionFile {
            key: key.clone(),
            dir,
            tmp,
            schema,
            writer: Some(writer),
            rows: 0,
        })
    }
}

/// A partition being written: rows go to a hidden temporary file until [`PartitionFile::commit`].
pub struct PartitionFile {
    key: PartitionKey,
    dir: PathBuf,
    tmp: PathBuf,
    schema: SchemaRef,
    writer: Option<ArrowWriter<File>>,
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

    /// Finishes the file, flushes it to disk, and swaps it in as the partition. Blocking.
    pub fn commit(mut self, info: &PartitionInfo) -> Result<Manifest, SinkError> {
        let result = self.commit_inner(info);
        if result.is_err() {
            let _ = fs::remove_file(&self.tmp);
        }
        result
    }

    fn commit_inner(&mut self, info: &PartitionInfo) -> Result<Manifest, SinkError> {
        let writer = self.writer.take().ok_or_else(|| SinkError::Parquet {
            path: self.tmp.clone(),
            message: "the partition file is already closed".into(),
        })?;
        let file = writer
            .into_inner()
            .map_err(|e| parquet_error(&self.tmp, e))?;
        file.sync_all()
            .map_err(|e| io_error("flush", &self.tmp, e))?;
        let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        drop(file);
        let dir = &self.dir;
        let success = dir.join(SUCCESS_FILE);
        match fs::remove_file(&success) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("remove", &success, e)),
        }
        let part = dir.join(PART_FILE);
        fs::rename(&self.tmp, &part).map_err(|e| io_error("rename into place", &part, e))?;
        remove_stale_files(dir)?;
        let manifest = Manifest {
            dataset: self.key.dataset.name().to_string(),
            source: self.key.source.to_string(),
            tenant: self.key.tenant.clone(),
            date: self.key.date,
            interval_start: info.interval_start,
            interval_end: info.interval_end,
            rows: self.rows,
            bytes,
            file: PART_FILE.to_string(),
            schema_fingerprint: schema_fingerprint(&self.schema),
            query: info.query.clone(),
            query_fingerprint: info.query_fingerprint.clone(),
            run_id: info.run_id.clone(),
            extracted_at: info.extracted_at,
            ccetl_version: env!("CARGO_PKG_VERSION").to_string(),
            details: info.details.clone(),
        };
        let text = serde_json::to_vec_pretty(&manifest).map_err(|e| SinkError::Parquet {
            path: success.clone(),
            message: e.to_string(),
        })?;
        let success_tmp = dir.join(format!(".{SUCCESS_FILE}.{}.tmp", info.run_id));
        write_synced(&success_tmp, &text)?;
        fs::rename(&success_tmp, &success)
            .map_err(|e| io_error("rename into place", &success, e))?;
        sync_dir(dir);
        Ok(manifest)
    }
}

impl Drop for PartitionFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = fs::remove_file(&self.tmp);
            // A partition this file would have created: leave no empty folder behind (a folder
            // with a previous partition in it is not empty, and stays).
            let _ = fs::remove_dir(&self.dir);
        }
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

/// Removes data files a previous layout or a crashed run left behind, so the partition holds
/// exactly one data file.
fn remove_stale_files(dir: &Path) -> Result<(), SinkError> {
    let entries = fs::read_dir(dir).map_err(|e| io_error("list", dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale_part =
            name.starts_with("part-") && name.ends_with(".parquet") && name != PART_FILE;
        let stale_tmp =
            name.starts_with('.') && name.ends_with(".tmp") && !name.contains(SUCCESS_FILE);
        if stale_part || stale_tmp {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| io_error("remove stale file", &path, e))?;
        }
    }
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
            .to_batch(&Pseudonymizer::dropping())
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
        // Make the partition directory read-only: the temp file cannot be created.
        let dir = hive_partition_path(root.path(), &key());
        let mut perms = fs::metadata(&dir).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
        fs::set_permissions(&dir, perms.clone()).unwrap();
        let result = writer.write(&key(), &batch(9), &info("run2"));
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        fs::set_permissions(&dir, perms).unwrap();
        // root ignores permissions; only check when the write was refused.
        if let Err(e) = result {
            assert!(e.to_string().contains("cannot create"), "{e}");
            assert_eq!(writer.manifest(&key()).unwrap().run_id, "run1");
        }
    }
}
