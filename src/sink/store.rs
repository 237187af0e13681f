//! Object storage (S3 and S3-compatible stores, Google Cloud Storage, Azure Blob Storage / ADLS
//! Gen2) as an output, through the `object_store` crate.
//!
//! The sink is blocking (Parquet encoding runs in blocking tasks), `object_store` is async: every
//! store call runs on a small runtime of its own ([`wait`]), so a blocking thread, a runtime
//! worker or a plain `main` can all wait for one, and the HTTP connections outlive each call.
//!
//! What differs from a local folder, and how the guarantees hold anyway:
//! - an object is replaced in one step by a `PUT` or a completed multipart upload, so the data
//!   file needs no temporary name: an upload in flight is invisible, and one abandoned by a
//!   killed run is never completed (an `AbortIncompleteMultipartUpload` lifecycle rule reclaims
//!   its parts on S3; GCS and Azure expire uncommitted blocks on their own);
//! - there is no `flock`: the lock of a source is an object created only if absent, holding a
//!   lease that its run renews ([`super::lock`]);
//! - a listing is a request, so coverage reads one listing per (dataset, source, tenant) and the
//!   manifests concurrently.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path as StorePath;
use object_store::{
    MultipartUpload, ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    PutResult, UpdateVersion,
};
use sha2::{Digest, Sha256};

/// Parts of a multipart upload: S3's minimum for every part but the last. A partition smaller
/// than this is sent in one `PUT`.
pub const PART_SIZE: usize = 5 * 1024 * 1024;

/// Store calls in flight at once when many small objects are read (manifests, run records).
const CONCURRENT_READS: usize = 16;

/// An output root on an object store: the store, the prefix under which the datasets live, and
/// the URL it was named by (for messages and `status`).
#[derive(Debug, Clone)]
pub struct StoreOutput {
    url: String,
    store: Arc<dyn ObjectStore>,
    prefix: StorePath,
    lease: Duration,
}

/// How long a lock's lease lasts unless configured (`[output] lock_lease_secs`).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// Why a store operation failed: what, where, and the store's own message, with the query of
/// every URL in it cut off (an Azure SAS token travels in the query: see [`redact_queries`]).
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {location}: {message}")]
pub struct StoreError {
    /// What we were doing.
    pub action: &'static str,
    /// The object's URL.
    pub location: String,
    /// The store's message.
    pub message: String,
    /// Whether the object was absent, or a condition on it failed (`Create` / `Update`).
    pub kind: StoreErrorKind,
}

/// Why a store output could not be opened: the setting at fault (`None`: the URL itself) and
/// what is wrong with it. The configuration turns it into its own error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OpenError {
    /// The option at fault (`output.options.<name>`), or `None` for the URL.
    pub option: Option<String>,
    /// What is wrong.
    pub message: String,
}

fn open_error(message: String) -> OpenError {
    OpenError {
        option: None,
        message,
    }
}

/// The failures a caller decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// The object does not exist.
    NotFound,
    /// A conditional write lost: the object exists (`Create`) or changed (`Update`).
    Conflict,
    /// Anything else (network, permissions, a store that refuses the operation).
    Other,
}

/// The URL schemes ccetl writes to, and what each is.
pub const SCHEMES: &[(&str, &str)] = &[
    ("s3", "Amazon S3 or an S3-compatible store"),
    ("s3a", "Amazon S3 (Hadoop's name)"),
    ("gs", "Google Cloud Storage"),
    ("az", "Azure Blob Storage"),
    ("azure", "Azure Blob Storage"),
    ("abfs", "Azure Data Lake Storage Gen2"),
    ("abfss", "Azure Data Lake Storage Gen2"),
];

/// The runtime every store call runs on: two threads, started on first use, alive for the
/// process (the store's pooled connections belong to it).
fn io_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ccetl-store")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start the object-store runtime: {e}"))
    })
}

/// Runs `future` on the store runtime and waits for it, from any thread: a blocking task, a
/// runtime worker (which steps aside for the wait, so its other tasks move on), or no runtime.
pub fn wait<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    io_runtime().spawn(async move {
        let _ = tx.send(future.await);
    });
    let receive = move || {
        rx.recv()
            .unwrap_or_else(|_| panic!("the object-store runtime dropped a call"))
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(receive)
        }
        _ => receive(),
    }
}

/// Runs `future` on the store runtime in the background (lease renewals).
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    io_runtime().spawn(future)
}

/// Whether `text` names an object store (`s3://…`, `gs://…`, `az://…`, `abfss://…`).
pub fn is_store_url(text: &str) -> bool {
    text.split_once("://")
        .is_some_and(|(scheme, _)| SCHEMES.iter().any(|(s, _)| scheme.eq_ignore_ascii_case(s)))
}

fn store_error(action: &'static str, location: String, e: object_store::Error) -> StoreError {
    let kind = match e {
        object_store::Error::NotFound { .. } => StoreErrorKind::NotFound,
        object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. } => {
            StoreErrorKind::Conflict
        }
        _ => StoreErrorKind::Other,
    };
    StoreError {
        action,
        location,
        message: redact_queries(&e.to_string()),
        kind,
    }
}

/// `message` with the query of every URL in it replaced by `?…`: `object_store` names the
/// request's URL in its errors, and with SAS authentication (Azure) the URL carries the token.
pub fn redact_queries(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("://") {
        let (before, url) = rest.split_at(at);
        out.push_str(before);
        let end = url
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(url.len());
        let (whole, after) = url.split_at(end);
        match whole.split_once('?') {
            Some((path, _)) => {
                out.push_str(path);
                out.push_str("?…");
            }
            None => out.push_str(whole),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

impl StoreOutput {
    /// Opens the store `url` names, with `options` (the store's own configuration keys, e.g.
    /// `aws_endpoint`, `aws_allow_http`, `google_service_account`, `azure_storage_account_name`)
    /// over the standard environment variables (`AWS_*`, `GOOGLE_*`, `AZURE_*`) and, where none
    /// are set, the instance metadata chains.
    pub fn open(url: &str, options: &BTreeMap<String, String>) -> Result<Self, OpenError> {
        crate::transport::install_crypto_provider();
        let parsed = url::Url::parse(url)
            .map_err(|e| open_error(format!("`{url}` is not a valid URL: {e}")))?;
        let scheme = parsed.scheme().to_ascii_lowercase();
        let option_error = |name: &str, e: object_store::Error| OpenError {
            option: Some(format!("output.options.{name}")),
            message: format!("not an option of {scheme}:// stores: {e}"),
        };
        let build_error = |e: object_store::Error| open_error(format!("cannot open `{url}`: {e}"));
        let store: Arc<dyn ObjectStore> = match scheme.as_str() {
            "s3" | "s3a" => {
                let mut builder = object_store::aws::AmazonS3Builder::from_env().with_url(url);
                for (name, value) in options {
                    let config_key = name.parse().map_err(|e| option_error(name, e))?;
                    builder = builder.with_config(config_key, value);
                }
                Arc::new(builder.build().map_err(build_error)?)
            }
            "gs" => {
                let mut builder =
                    object_store::gcp::GoogleCloudStorageBuilder::from_env().with_url(url);
                for (name, value) in options {
                    let config_key = name.parse().map_err(|e| option_error(name, e))?;
                    builder = builder.with_config(config_key, value);
                }
                Arc::new(builder.build().map_err(build_error)?)
            }
            "az" | "azure" | "abfs" | "abfss" => {
                let mut builder =
                    object_store::azure::MicrosoftAzureBuilder::from_env().with_url(url);
                for (name, value) in options {
                    let config_key = name.parse().map_err(|e| option_error(name, e))?;
                    builder = builder.with_config(config_key, value);
                }
                Arc::new(builder.build().map_err(build_error)?)
            }
            other => {
                return Err(open_error(format!(
                    "`{url}`: writing to `{other}://` is not supported; {}",
                    supported()
                )));
            }
        };
        // The bucket (or container) is the URL's host; the prefix is its path. (Azure's
        // `abfss://container@account.dfs.core.windows.net/path` names the container before `@`.)
        let prefix = StorePath::parse(parsed.path().trim_matches('/'))
            .map_err(|e| open_error(format!("`{url}`: its path is not valid: {e}")))?;
        Ok(Self {
            url: url.trim_end_matches('/').to_string(),
            store,
            prefix,
            lease: DEFAULT_LEASE,
        })
    }

    /// A store output over an existing store (tests use `object_store`'s in-memory store).
    pub fn with_store(url: &str, store: Arc<dyn ObjectStore>, prefix: &str) -> Self {
        Self {
            url: url.trim_end_matches('/').to_string(),
            store,
            prefix: StorePath::from(prefix),
            lease: DEFAULT_LEASE,
        }
    }

    /// The same output, its locks leased for `lease`.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long a lock's lease lasts without renewal.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// The URL the output was named by, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The store path of `relative` (slash-separated, under the prefix).
    fn path(&self, relative: &str) -> StorePath {
        let mut path = self.prefix.clone();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            path = path.clone().join(part);
        }
        path
    }

    /// The URL of `relative`, for messages.
    pub fn location(&self, relative: &str) -> String {
        format!("{}/{relative}", self.url)
    }

    /// The object at `relative`, or `None` when there is none.
    pub fn get(&self, relative: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get_with_meta(relative)?.map(|(bytes, _)| bytes))
    }

    /// The object at `relative` with its metadata (ETag), or `None`.
    pub fn get_with_meta(
        &self,
        relative: &str,
    ) -> Result<Option<(Vec<u8>, ObjectMeta)>, StoreError> {
        let store = self.store.clone();
        let path = self.path(relative);
        wait(async move { read_object(store.as_ref(), &path).await })
            .map_err(|e| store_error("read", self.location(relative), e))
    }

    /// Many objects at once (at most [`CONCURRENT_READS`] in flight), in the order asked; `None`
    /// for those absent.
    pub fn get_many(&self, relatives: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let store = self.store.clone();
        let paths: Vec<(usize, StorePath)> =
            relatives.iter().map(|r| self.path(r)).enumerate().collect();
        let results = wait(async move {
            futures_util::stream::iter(paths)
                .map(|(i, path)| {
                    let store = store.clone();
                    async move {
                        let got = read_object(store.as_ref(), &path).await;
                        (i, got.map(|o| o.map(|(bytes, _)| bytes)))
                    }
                })
                .buffer_unordered(CONCURRENT_READS)
                .collect::<Vec<_>>()
                .await
        });
        let mut out = vec![None; relatives.len()];
        for (i, got) in results {
            out[i] = got.map_err(|e| store_error("read", self.location(&relatives[i]), e))?;
        }
        Ok(out)
    }

    /// The metadata of the object at `relative`, or `None`.
    pub fn head(&self, relative: &str) -> Result<Option<ObjectMeta>, StoreError> {
        let store = self.store.clone();
        let path = self.path(relative);
        wait(async move {
            match store.head(&path).await {
                Ok(meta) => Ok(Some(meta)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .map_err(|e| store_error("look up", self.location(relative), e))
    }

    /// [`StoreOutput::put`], awaited on the caller's runtime (for tasks already on the store
    /// runtime).
    pub async fn put_async(
        &self,
        relative: &str,
        bytes: Vec<u8>,
        mode: PutMode,
    ) -> Result<PutResult, StoreError> {
        let options = PutOptions {
            mode,
            ..Default::default()
        };
        self.store
            .put_opts(&self.path(relative), PutPayload::from(bytes), options)
            .await
            .map_err(|e| store_error("write", self.location(relative), e))
    }

    /// Writes `bytes` to `relative` in one request, under `mode` (`Create`: only if absent;
    /// `Update`: only if unchanged since the version given).
    pub fn put(
        &self,
        relative: &str,
        bytes: Vec<u8>,
        mode: PutMode,
    ) -> Result<PutResult, StoreError> {
        let output = self.clone();
        let relative = relative.to_string();
        wait(async move { output.put_async(&relative, bytes, mode).await })
    }

    /// Removes the object at `relative`; an absent one is no error.
    pub fn delete(&self, relative: &str) -> Result<(), StoreError> {
        let store = self.store.clone();
        let path = self.path(relative);
        wait(async move {
            match store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e),
            }
        })
        .map_err(|e| store_error("remove", self.location(relative), e))
    }

    /// Every object under `relative` (recursively), with paths relative to the output root.
    pub fn list(&self, relative: &str) -> Result<Vec<(String, ObjectMeta)>, StoreError> {
        let store = self.store.clone();
        let path = self.path(relative);
        let listed = wait(async move { store.list(Some(&path)).try_collect::<Vec<_>>().await })
            .map_err(|e| store_error("list", self.location(relative), e))?;
        let prefix = self.prefix.as_ref().to_string();
        Ok(listed
            .into_iter()
            .map(|meta| {
                let full = meta.location.as_ref();
                let rel = if prefix.is_empty() {
                    full.to_string()
                } else {
                    full.strip_prefix(&prefix)
                        .map(|r| r.trim_start_matches('/').to_string())
                        .unwrap_or_else(|| full.to_string())
                };
                (rel, meta)
            })
            .collect())
    }

    /// Starts an upload to `relative`: bytes are buffered up to [`PART_SIZE`], then sent part by
    /// part; nothing is visible until [`StoreUpload::finish`].
    pub fn upload(&self, relative: &str) -> StoreUpload {
        StoreUpload {
            store: self.store.clone(),
            path: self.path(relative),
            location: self.location(relative),
            buffer: Vec::new(),
            multipart: None,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }
}

/// The object at `path` and its metadata; `None` when there is none.
async fn read_object(
    store: &dyn ObjectStore,
    path: &StorePath,
) -> Result<Option<(Vec<u8>, ObjectMeta)>, object_store::Error> {
    match store.get(path).await {
        Ok(got) => {
            let meta = got.meta.clone();
            got.bytes().await.map(|b| Some((b.to_vec(), meta)))
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The URL schemes ccetl writes to, as a sentence for messages.
pub fn supported() -> String {
    let names: Vec<String> = SCHEMES.iter().map(|(s, _)| format!("{s}://")).collect();
    format!(
        "it writes to local folders (a path or file:///path) and to {}",
        names.join(", ")
    )
}

/// An object being uploaded: a `Write` for the Parquet encoder that counts and hashes what it
/// is given, keeps at most one part in memory, and sends full parts as it goes.
pub struct StoreUpload {
    store: Arc<dyn ObjectStore>,
    path: StorePath,
    location: String,
    buffer: Vec<u8>,
    multipart: Option<Box<dyn MultipartUpload>>,
    hasher: Sha256,
    bytes: u64,
}

impl StoreUpload {
    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The object's URL.
    pub fn location(&self) -> &str {
        &self.location
    }

    fn send_part(&mut self) -> std::io::Result<()> {
        let part = std::mem::replace(&mut self.buffer, Vec::with_capacity(PART_SIZE));
        let mut upload = match self.multipart.take() {
            Some(upload) => upload,
            None => {
                let store = self.store.clone();
                let path = self.path.clone();
                wait(async move { store.put_multipart(&path).await })
                    .map_err(std::io::Error::other)?
            }
        };
        let (upload, sent) = wait(async move {
            let sent = upload.put_part(PutPayload::from(part)).await;
            (upload, sent)
        });
        self.multipart = Some(upload);
        sent.map_err(std::io::Error::other)
    }

    /// Sends what is left and makes the object visible in one step; returns its size, SHA-256
    /// (hex) and the store's ETag.
    pub fn finish(mut self) -> Result<(u64, String, Option<String>), StoreError> {
        let location = self.location.clone();
        let sha256 = crate::transform::hex(&std::mem::take(&mut self.hasher).finalize());
        let result = match self.multipart.take() {
            None => {
                let store = self.store.clone();
                let path = self.path.clone();
                let body = std::mem::take(&mut self.buffer);
                wait(async move { store.put(&path, PutPayload::from(body)).await })
            }
            Some(mut upload) => {
                let body = std::mem::take(&mut self.buffer);
                wait(async move {
                    if !body.is_empty() {
                        upload.put_part(PutPayload::from(body)).await?;
                    }
                    match upload.complete().await {
                        Ok(done) => Ok(done),
                        Err(e) => {
                            let _ = upload.abort().await;
                            Err(e)
                        }
                    }
                })
            }
        };
        let done = result.map_err(|e| store_error("upload", location, e))?;
        Ok((self.bytes, sha256, done.e_tag))
    }
}

impl Write for StoreUpload {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        self.hasher.update(buf);
        self.bytes += buf.len() as u64;
        if self.buffer.len() >= PART_SIZE {
            self.send_part()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for StoreUpload {
    fn drop(&mut self) {
        // Not finished: the parts sent so far are abandoned, never visible.
        if let Some(mut upload) = self.multipart.take() {
            let _ = wait(async move { upload.abort().await });
        }
    }
}

/// The version a write left, to condition the next update on.
pub fn version_after(done: PutResult) -> UpdateVersion {
    UpdateVersion {
        e_tag: done.e_tag,
        version: done.version,
    }
}

/// The version of an object to condition an update on.
pub fn version_of(meta: &ObjectMeta) -> UpdateVersion {
    UpdateVersion {
        e_tag: meta.e_tag.clone(),
        version: meta.version.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    fn store() -> StoreOutput {
        StoreOutput::with_store("memory://bucket/out", Arc::new(InMemory::new()), "out")
    }

    #[test]
    fn small_objects_go_in_one_put_and_large_ones_in_parts_with_the_same_bytes() {
        let out = store();
        for size in [0usize, 10, PART_SIZE - 1, PART_SIZE, 2 * PART_SIZE + 17] {
            let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            let mut upload = out.upload("a/b.bin");
            for chunk in data.chunks(8192) {
                upload.write_all(chunk).unwrap();
            }
            let (bytes, sha, _) = upload.finish().unwrap();
            assert_eq!(bytes, size as u64);
            assert_eq!(sha, crate::transform::hex(&Sha256::digest(&data)));
            assert_eq!(out.get("a/b.bin").unwrap().unwrap(), data, "size {size}");
        }
    }

    #[test]
    fn an_unfinished_upload_leaves_nothing_and_the_previous_object_stays() {
        let out = store();
        out.put("a/b.bin", b"old".to_vec(), PutMode::Overwrite)
            .unwrap();
        let mut upload = out.upload("a/b.bin");
        upload.write_all(&vec![1u8; PART_SIZE + 5]).unwrap();
        drop(upload);
        assert_eq!(out.get("a/b.bin").unwrap().unwrap(), b"old");
    }

    #[test]
    fn listing_names_objects_relative_to_the_output_and_create_refuses_twice() {
        let out = store();
        out.put("x/1", vec![1], PutMode::Create).unwrap();
        out.put("x/y/2", vec![2], PutMode::Create).unwrap();
        let again = out.put("x/1", vec![3], PutMode::Create).unwrap_err();
        assert_eq!(again.kind, StoreErrorKind::Conflict);
        let mut names: Vec<String> = out.list("x").unwrap().into_iter().map(|(n, _)| n).collect();
        names.sort();
        assert_eq!(names, ["x/1", "x/y/2"]);
        assert_eq!(out.get("x/1").unwrap().unwrap(), vec![1]);
        assert!(out.get("nothing").unwrap().is_none());
        out.delete("x/1").unwrap();
        out.delete("x/1").unwrap();
        assert!(out.head("x/1").unwrap().is_none());
    }

    #[test]
    fn urls_in_store_messages_lose_their_query_where_a_sas_token_would_be() {
        let said = "Error performing PUT https://acct.blob.core.windows.net/c/x?sv=2022&sig=SECRET%3D in 1s - 403";
        let shown = redact_queries(said);
        assert_eq!(
            shown,
            "Error performing PUT https://acct.blob.core.windows.net/c/x?… in 1s - 403"
        );
        assert_eq!(redact_queries("no url here"), "no url here");
        assert_eq!(redact_queries("at s3://b/k."), "at s3://b/k.");
    }

    #[test]
    fn store_urls_are_recognised_by_scheme_and_others_are_refused() {
        assert!(
            is_store_url("s3://b/p") && is_store_url("GS://b") && is_store_url("abfss://c@a/p")
        );
        assert!(
            !is_store_url("/data/out") && !is_store_url("file:///x") && !is_store_url("ftp://h/p")
        );
        let error = StoreOutput::open("ftp://h/p", &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("ftp://") && error.contains("s3://"),
            "{error}"
        );
        let mut bad = BTreeMap::new();
        bad.insert("aws_no_such_thing".to_string(), "1".to_string());
        let error = StoreOutput::open("s3://b/p", &bad).unwrap_err();
        assert_eq!(
            error.option.as_deref(),
            Some("output.options.aws_no_such_thing")
        );
    }
}
