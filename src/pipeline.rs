//! Runs a [`Plan`]: for each source, its slices (dataset × date) with bounded concurrency, each
//! fetched, transformed and written as one partition.
//!
//! A slice is the unit of work: independent, idempotent and recorded by its `_SUCCESS` manifest,
//! so a backfill can be resumed or re-run. A slice that fails is named in the summary and the
//! others go on; a refused credential stops the source, since every further request would fail
//! the same way. Memory holds at most `concurrency` slices' responses at a time, whatever the range.

use std::sync::Arc;
use std::time::Instant;

use std::collections::{BTreeMap, HashSet};

use arrow_array::RecordBatch;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::error::ExitStatus;
use crate::http::ApiError;
use crate::plan::{Plan, SourceKind, WriteMode, day_interval};
use crate::sink::{Manifest, PartitionInfo, PartitionKey, PartitionWriter};
use crate::sources::cxone::CxoneSource;
use crate::sources::genesys::GenesysSource;
use crate::sources::genesys::details::DetailConversation;
use crate::sources::genesys::queries::AggregateQuery;
use crate::transform::contacts::{ContactsBuilder, Pseudonymizer, Skip};
use crate::transform::metrics::MetricsBuilder;
use crate::transform::{self, Dataset, schema_fingerprint};

/// What kind of failure ended a slice (decides the exit code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Credentials or token refused.
    Auth,
    /// The API failed permanently or retries ran out.
    Api,
    /// The response could not be turned into rows.
    Transform,
    /// The partition could not be written.
    Sink,
}

/// A slice that was not written.
#[derive(Debug, Clone, Serialize)]
pub struct SliceFailure {
    /// Vendor.
    pub source: &'static str,
    /// Tenant.
    pub tenant: String,
    /// Dataset.
    pub dataset: &'static str,
    /// Date.
    pub date: NaiveDate,
    /// Kind.
    pub kind: FailureKind,
    /// The error message.
    pub error: String,
}

/// The outcome of a run, printed as one line (or JSON) for schedulers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    /// Run id (also in every manifest).
    pub run_id: String,
    /// Partitions written.
    pub written: usize,
    /// Partitions skipped because they were complete (resume).
    pub skipped: usize,
    /// Slices that failed.
    pub failed: Vec<SliceFailure>,
    /// Rows written.
    pub rows: u64,
    /// API requests sent.
    pub requests: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Retries.
    pub retries: u64,
    /// Tokens fetched.
    pub tokens: u64,
    /// Wall time, seconds.
    pub elapsed_secs: f64,
    /// Set when a source's credentials were refused.
    pub auth_error: Option<String>,
}

impl RunSummary {
    /// The exit code of this outcome.
    pub fn exit_status(&self) -> ExitStatus {
        if self.auth_error.is_some() {
            ExitStatus::Auth
        } else if self.failed.is_empty() {
            ExitStatus::Success
        } else if self.written == 0
            && self.skipped == 0
            && self.failed.iter().all(|f| f.kind == FailureKind::Api)
        {
            ExitStatus::Api
        } else {
            ExitStatus::SlicesFailed
        }
    }

    /// `ccetl: 7 written, 0 skipped, 0 failed; 2016 rows; 8 requests, 0 throttled (429), 0 retries, 1 token; 1.3 s`.
    pub fn one_line(&self) -> String {
        format!(
            "ccetl: {} slices written, {} skipped, {} failed; {} rows; {} requests, {} throttled (429), {} retries, {} token{}; {:.1} s",
            self.written,
            self.skipped,
            self.failed.len(),
            self.rows,
            self.requests,
            self.throttled,
            self.retries,
            self.tokens,
            if self.tokens == 1 { "" } else { "s" },
            self.elapsed_secs
        )
    }
}

/// Reports progress (a bar on a terminal, nothing otherwise).
pub trait Progress: Send + Sync {
    /// The number of slices is known.
    fn start(&self, total: u64);
    /// One slice finished.
    fn slice_done(&self, label: &str);
    /// The run is over.
    fn finish(&self);
}

/// No progress reporting.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64) {}
    fn slice_done(&self, _: &str) {}
    fn finish(&self) {}
}

enum SliceOutcome {
    Written { rows: u64 },
    Skipped,
}

/// A connected source.
#[derive(Clone)]
enum Connected {
    Genesys(Arc<GenesysSource>),
    Cxone(Arc<CxoneSource>),
}

impl Connected {
    fn client(&self) -> &crate::http::ApiClient {
        match self {
            Connected::Genesys(s) => s.client(),
            Connected::Cxone(s) => s.client(),
        }
    }
}

struct SliceJob {
    source: Connected,
    source_name: &'static str,
    tenant: String,
    time_zone: Tz,
    dataset: Dataset,
    date: NaiveDate,
    writer: PartitionWriter,
    write_mode: WriteMode,
    run_id: String,
    pseudonymizer: Pseudonymizer,
    today: NaiveDate,
}

fn new_run_id() -> String {
    format!(
        "{}-{}",
        Utc::now().format("%Y%m%dT%H%M%SZ"),
        std::process::id()
    )
}

/// Runs every slice of the plan.
pub async fn run(plan: Plan, progress: &dyn Progress) -> Result<RunSummary, crate::Error> {
    let started = Instant::now();
    let mut summary = RunSummary {
        run_id: new_run_id(),
        ..RunSummary::default()
    };
    let writer = PartitionWriter::new(plan.output_dir.clone());
    progress.start(plan.slice_count() as u64);
    for source_plan in &plan.sources {
        let vendor = source_plan.vendor();
        let tenant = source_plan.tenant.clone();
        let connected = match &source_plan.kind {
            SourceKind::Genesys(settings) => {
                let source = Arc::new(GenesysSource::connect(settings)?);
                match source.check_credentials().await {
                    Ok(()) => Ok(Connected::Genesys(source)),
                    Err(e) => {
                        summary.tokens += source.client().tokens().fetch_count();
                        Err(e.to_string())
                    }
                }
            }
            SourceKind::Cxone(settings) => match CxoneSource::connect(settings).await {
                Ok(source) => Ok(Connected::Cxone(Arc::new(source))),
                Err(crate::Error::Auth(e)) => Err(e.to_string()),
                Err(e) => return Err(e),
            },
        };
        let source = match connected {
            Ok(source) => source,
            Err(e) => {
                tracing::error!(source = vendor, tenant = %tenant, error = %e, "Authentication failed.");
                summary.auth_error = Some(e);
                break;
            }
        };
        let mut jobs = source_plan
            .dates
            .iter()
            .flat_map(|date| source_plan.datasets.iter().map(move |d| (*date, *d)))
            .map(|(date, dataset)| SliceJob {
                source: source.clone(),
                source_name: vendor,
                tenant: tenant.clone(),
                time_zone: source_plan.time_zone,
                dataset,
                date,
                writer: writer.clone(),
                write_mode: plan.write_mode,
                run_id: summary.run_id.clone(),
                pseudonymizer: source_plan.pseudonymizer.clone(),
                today: Utc::now()
                    .with_timezone(&source_plan.time_zone)
                    .date_naive(),
            });
        let mut running: JoinSet<(SliceFailureKey, SliceResult)> = JoinSet::new();
        let mut exhausted = false;
        loop {
            while !exhausted && running.len() < plan.concurrency {
                match jobs.next() {
                    Some(job) => {
                        running.spawn(async move {
                            let key = SliceFailureKey {
                                dataset: job.dataset,
                                date: job.date,
                            };
                            (key, run_slice(job).await)
                        });
                    }
                    None => exhausted = true,
                }
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let (key, result) = match joined {
                Ok(r) => r,
                Err(e) if e.is_cancelled() => continue,
                Err(e) => {
                    return Err(crate::Error::Runtime(format!("a slice task failed: {e}")));
                }
            };
            progress.slice_done(&format!("{tenant} {} {}", key.dataset.name(), key.date));
            match result {
                Ok(SliceOutcome::Written { rows }) => {
                    summary.written += 1;
                    summary.rows += rows;
                }
                Ok(SliceOutcome::Skipped) => summary.skipped += 1,
                Err((kind, error)) => {
                    tracing::error!(
                        source = vendor,
                        tenant = %tenant,
                        dataset = key.dataset.name(),
                        date = %key.date,
                        error = %error,
                        "Slice failed."
                    );
                    summary.failed.push(SliceFailure {
                        source: vendor,
                        tenant: tenant.clone(),
                        dataset: key.dataset.name(),
                        date: key.date,
                        kind,
                        error: error.clone(),
                    });
                    if kind == FailureKind::Auth {
                        summary.auth_error = Some(error);
                        running.abort_all();
                        exhausted = true;
                    }
                }
            }
        }
        let (requests, throttled, retries, _) = source.client().stats().snapshot();
        summary.requests += requests;
        summary.throttled += throttled;
        summary.retries += retries;
        summary.tokens += source.client().tokens().fetch_count();
        if summary.auth_error.is_some() {
            break;
        }
    }
    progress.finish();
    summary
        .failed
        .sort_by(|a, b| (&a.tenant, a.dataset, a.date).cmp(&(&b.tenant, b.dataset, b.date)));
    summary.elapsed_secs = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// A slice's result: written/skipped, or why it failed.
type SliceResult = Result<SliceOutcome, (FailureKind, String)>;

struct SliceFailureKey {
    dataset: Dataset,
    date: NaiveDate,
}

fn api_failure(e: ApiError) -> (FailureKind, String) {
    let kind = if e.is_auth() {
        FailureKind::Auth
    } else {
        FailureKind::Api
    };
    (kind, e.to_string())
}

/// Writes a whole partition from one batch, off the async threads.
async fn write_partition(
    writer: &PartitionWriter,
    key: &PartitionKey,
    batch: RecordBatch,
    info: PartitionInfo,
) -> Result<Manifest, (FailureKind, String)> {
    let writer = writer.clone();
    let key = key.clone();
    tokio::task::spawn_blocking(move || writer.write(&key, &batch, &info))
        .await
        .map_err(sink_failure)?
        .map_err(sink_failure)
}

/// Names and fingerprints of several queries, comma-separated (a manifest's `query` fields).
fn combined<'a>(queries: impl Iterator<Item = &'a AggregateQuery>) -> (String, String) {
    let (names, prints): (Vec<&str>, Vec<&str>) =
        queries.map(|q| (q.name(), q.fingerprint())).unzip();
    (names.join(","), prints.join(","))
}

fn api_failure_in(e: ApiError, query: &str) -> (FailureKind, String) {
    let (kind, message) = api_failure(e);
    (kind, format!("query {query}: {message}"))
}

fn sink_failure(e: impl std::fmt::Display) -> (FailureKind, String) {
    (FailureKind::Sink, e.to_string())
}

fn transform_failure(e: impl std::fmt::Display) -> (FailureKind, String) {
    (FailureKind::Transform, e.to_string())
}

async fn run_slice(job: SliceJob) -> SliceResult {
    let key = PartitionKey {
        dataset: job.dataset,
        source: job.source_name,
        tenant: job.tenant.clone(),
        date: job.date,
    };
    let (query_name, query_fingerprint) = match (&job.source, job.dataset) {
        (Connected::Genesys(source), Dataset::QueueIntervals) => {
            let q = source.queue_intervals_query();
            (q.name().to_string(), q.fingerprint().to_string())
        }
        (Connected::Genesys(source), Dataset::Contacts) => {
            let q = source.contacts_query();
            (q.name().to_string(), q.fingerprint().to_string())
        }
        (Connected::Genesys(source), Dataset::Metrics) => combined(source.metrics_queries().iter()),
        (Connected::Genesys(source), Dataset::AgentIntervals) => {
            combined(source.agent_queries().into_iter())
        }
        (Connected::Cxone(source), dataset) => source.request_fingerprint(dataset),
    };
    if job.write_mode == WriteMode::Resume
        && let Some(manifest) = job.writer.manifest(&key)
        && manifest.query_fingerprint == query_fingerprint
        && manifest.schema_fingerprint == schema_fingerprint(&job.dataset.schema())
    {
        tracing::debug!(source = job.source_name, tenant = %job.tenant, dataset = job.dataset.name(), date = %job.date, "Partition already complete; skipped.");
        return Ok(SliceOutcome::Skipped);
    }
    let (start, end) = day_interval(job.date, job.time_zone);
    let fetch_started = Instant::now();
    let mut info = PartitionInfo {
        interval_start: start,
        interval_end: end,
        query: query_name,
        query_fingerprint,
        run_id: job.run_id.clone(),
        extracted_at: Utc::now(),
        details: Default::default(),
    };
    let manifest = match job.source.clone() {
        Connected::Cxone(source) => cxone_slice(&job, &source, &key, start, end, info).await?,
        Connected::Genesys(source) => match job.dataset {
            Dataset::QueueIntervals => {
                let response = source
                    .queue_intervals(start, end, job.time_zone.name())
                    .await
                    .map_err(api_failure)?;
                info.extracted_at = Utc::now();
                let batch = transform::queue_intervals::from_genesys(&response)
                    .map_err(transform_failure)?;
                write_partition(&job.writer, &key, batch, info).await?
            }
            Dataset::Contacts => {
                let use_jobs = (job.today - job.date).num_days()
                    >= i64::from(source.details_settings().jobs_after_days);
                contacts_slice(
                    &job,
                    &key,
                    (start, end),
                    info,
                    |tx| async move {
                        source
                            .conversation_details(start, end, use_jobs, tx)
                            .await
                            .map(|r| r.details())
                    },
                    ContactReader {
                        id_of: |c: &DetailConversation| c.conversation_id.clone(),
                        push: ContactsBuilder::push,
                    },
                )
                .await?
            }
            Dataset::AgentIntervals => {
                let [presence_query, conversations_query] = source.agent_queries();
                let zone = job.time_zone.name();
                let presence = source
                    .aggregate(presence_query, start, end, zone)
                    .await
                    .map_err(|e| api_failure_in(e, presence_query.name()))?;
                let conversations = source
                    .aggregate(conversations_query, start, end, zone)
                    .await
                    .map_err(|e| api_failure_in(e, conversations_query.name()))?;
                info.extracted_at = Utc::now();
                let batch = transform::agent_intervals::from_genesys(&presence, &conversations)
                    .map_err(transform_failure)?;
                write_partition(&job.writer, &key, batch, info).await?
            }
            Dataset::Metrics => {
                let mut builder = MetricsBuilder::new();
                for query in source.metrics_queries() {
                    let response = source
                        .aggregate(query, start, end, job.time_zone.name())
                        .await
                        .map_err(|e| api_failure_in(e, query.name()))?;
                    builder
                        .push(query.name(), &response)
                        .map_err(transform_failure)?;
                }
                info.extracted_at = Utc::now();
                let batch = builder.take_batch().map_err(transform_failure)?;
                write_partition(&job.writer, &key, batch, info).await?
            }
        },
    };
    tracing::info!(
        source = job.source_name,
        tenant = %job.tenant,
        dataset = job.dataset.name(),
        date = %job.date,
        rows = manifest.rows,
        bytes = manifest.bytes,
        fetch_ms = fetch_started.elapsed().as_millis() as u64,
        "Wrote partition."
    );
    Ok(SliceOutcome::Written {
        rows: manifest.rows,
    })
}

/// Rows buffered before a batch goes to the partition file.
const CONTACTS_BATCH_ROWS: usize = 5000;

/// `contacts` for one slice: details pages stream from the source through a bounded channel into
/// the transform and the partition file; conversations are de-duplicated on their id and kept
/// only if they started in the slice and have ended.
/// How a vendor's contact records become rows: their id (for de-duplication) and the push.
struct ContactReader<T> {
    id_of: fn(&T) -> String,
    push: fn(&mut ContactsBuilder, &T) -> Result<Option<Skip>, crate::transform::TransformError>,
}

async fn contacts_slice<T, P, Fut>(
    job: &SliceJob,
    key: &PartitionKey,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    mut info: PartitionInfo,
    produce: P,
    reader: ContactReader<T>,
) -> Result<Manifest, (FailureKind, String)>
where
    T: Send + 'static,
    P: FnOnce(mpsc::Sender<Vec<T>>) -> Fut,
    Fut: std::future::Future<Output = Result<BTreeMap<String, serde_json::Value>, ApiError>>,
{
    let (tx, mut rx) = mpsc::channel::<Vec<T>>(4);
    let producer = produce(tx);
    let writer = job.writer.clone();
    let file_key = key.clone();
    let run_id = job.run_id.clone();
    let pseudonymizer = job.pseudonymizer.clone();
    let consumer = async move {
        let mut file = tokio::task::spawn_blocking(move || {
            writer.create(&file_key, Dataset::Contacts.schema(), &run_id)
        })
        .await
        .map_err(sink_failure)?
        .map_err(sink_failure)?;
        let mut builder = ContactsBuilder::new(start, end, pseudonymizer);
        let mut seen: HashSet<String> = HashSet::new();
        let (mut duplicates, mut ongoing, mut outside) = (0u64, 0u64, 0u64);
        while let Some(page) = rx.recv().await {
            for item in &page {
                if !seen.insert((reader.id_of)(item)) {
                    duplicates += 1;
                    continue;
                }
                match (reader.push)(&mut builder, item).map_err(transform_failure)? {
                    None => {}
                    Some(Skip::Ongoing) => ongoing += 1,
                    Some(Skip::OutsideSlice) => outside += 1,
                }
            }
            if builder.len() >= CONTACTS_BATCH_ROWS {
                let batch = builder.take_batch().map_err(transform_failure)?;
                file = tokio::task::spawn_blocking(move || file.write(&batch).map(|_| file))
                    .await
                    .map_err(sink_failure)?
                    .map_err(sink_failure)?;
            }
        }
        Ok::<_, (FailureKind, String)>((file, builder, duplicates, ongoing, outside))
    };
    let (produced, consumed) = tokio::join!(producer, consumer);
    // The consumer's error explains a producer that stopped because nobody listened any more.
    let (mut file, mut builder, duplicates, ongoing, outside) = consumed?;
    let report = produced.map_err(api_failure)?;
    info.extracted_at = Utc::now();
    if ongoing > 0 {
        tracing::info!(source = job.source_name, tenant = %job.tenant, date = %job.date, ongoing, "Ongoing conversations left for a later run (look-back).");
    }
    info.details.extend(report);
    info.details
        .insert("duplicates_dropped".into(), duplicates.into());
    info.details
        .insert("ongoing_skipped".into(), ongoing.into());
    info.details
        .insert("outside_slice_skipped".into(), outside.into());
    let batch = builder.take_batch().map_err(transform_failure)?;
    tokio::task::spawn_blocking(move || {
        file.write(&batch)?;
        file.commit(&info)
    })
    .await
    .map_err(sink_failure)?
    .map_err(sink_failure)
}

/// A CXone slice: the interval reports asked window by window, or completed contacts paged.
async fn cxone_slice(
    job: &SliceJob,
    source: &Arc<CxoneSource>,
    key: &PartitionKey,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    mut info: PartitionInfo,
) -> Result<Manifest, (FailureKind, String)> {
    match job.dataset {
        Dataset::QueueIntervals | Dataset::AgentIntervals => {
            let step = chrono::Duration::from_std(source.interval())
                .map_err(|e| (FailureKind::Api, e.to_string()))?;
            let mut windows = Vec::new();
            let mut a = start;
            while a < end {
                let b = (a + step).min(end);
                let rows = match job.dataset {
                    Dataset::QueueIntervals => source.skills_summary(a, b).await,
                    _ => source.agent_performance(a, b).await,
                }
                .map_err(api_failure)?;
                windows.push((a, b, rows));
                a = b;
            }
            info.extracted_at = Utc::now();
            let batch = match job.dataset {
                Dataset::QueueIntervals => transform::queue_intervals::from_cxone(&windows),
                _ => transform::agent_intervals::from_cxone(&windows),
            }
            .map_err(transform_failure)?;
            write_partition(&job.writer, key, batch, info).await
        }
        Dataset::Contacts => {
            let id_of = |c: &serde_json::Map<String, serde_json::Value>| {
                crate::sources::cxone::lenient::Record::new(c)
                    .string(&["contactId"])
                    .unwrap_or_default()
            };
            let src = source.clone();
            contacts_slice(
                job,
                key,
                (start, end),
                info,
                |tx| async move {
                    let rows = src.completed_contacts(start, end, tx).await?;
                    Ok(BTreeMap::from([
                        ("method".to_string(), "contacts/completed".into()),
                        ("rows_received".to_string(), rows.into()),
                    ]))
                },
                ContactReader {
                    id_of,
                    push: ContactsBuilder::push_cxone,
                },
            )
            .await
        }
        Dataset::Metrics => Err((FailureKind::Api, "CXone has no metrics dataset".into())),
    }
}
