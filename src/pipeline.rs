//! Runs a [`Plan`]: for each source, its slices (dataset × date) with bounded concurrency, each
//! fetched, transformed and written as one partition.
//!
//! A slice is the unit of work: independent, idempotent and recorded by its `_SUCCESS` manifest,
//! so a backfill can be resumed or re-run. A slice that fails is named in the summary and the
//! others go on; a refused credential stops the source, since every further request would fail
//! the same way. Memory holds at most `concurrency` slices' responses at a time, whatever the range.

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tokio::task::JoinSet;

use crate::error::ExitStatus;
use crate::plan::{Plan, SourceKind, WriteMode, day_interval};
use crate::sink::{PartitionInfo, PartitionKey, PartitionWriter};
use crate::sources::genesys::GenesysSource;
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

struct SliceJob {
    source: Arc<GenesysSource>,
    source_name: &'static str,
    tenant: String,
    time_zone: Tz,
    dataset: Dataset,
    date: NaiveDate,
    writer: PartitionWriter,
    write_mode: WriteMode,
    run_id: String,
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
        let SourceKind::Genesys(settings) = &source_plan.kind;
        let source = Arc::new(GenesysSource::connect(settings)?);
        let vendor = source_plan.vendor();
        let tenant = source_plan.tenant.clone();
        if let Err(e) = source.check_credentials().await {
            tracing::error!(source = vendor, tenant = %tenant, error = %e, "Authentication failed.");
            summary.auth_error = Some(e.to_string());
            summary.tokens += source.client().tokens().fetch_count();
            break;
        }
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

async fn run_slice(job: SliceJob) -> SliceResult {
    let key = PartitionKey {
        dataset: job.dataset,
        source: job.source_name,
        tenant: job.tenant.clone(),
        date: job.date,
    };
    let query = job.source.queue_intervals_query();
    if job.write_mode == WriteMode::Resume
        && let Some(manifest) = job.writer.manifest(&key)
        && manifest.query_fingerprint == query.fingerprint()
        && manifest.schema_fingerprint == schema_fingerprint(&job.dataset.schema())
    {
        tracing::debug!(source = job.source_name, tenant = %job.tenant, dataset = job.dataset.name(), date = %job.date, "Partition already complete; skipped.");
        return Ok(SliceOutcome::Skipped);
    }
    let (start, end) = day_interval(job.date, job.time_zone);
    let fetch_started = Instant::now();
    let response = job
        .source
        .queue_intervals(start, end, job.time_zone.name())
        .await
        .map_err(|e| {
            (
                if e.is_auth() {
                    FailureKind::Auth
                } else {
                    FailureKind::Api
                },
                e.to_string(),
            )
        })?;
    let extracted_at = Utc::now();
    let batch = transform::queue_intervals::from_genesys(&response)
        .map_err(|e| (FailureKind::Transform, e.to_string()))?;
    let info = PartitionInfo {
        interval_start: start,
        interval_end: end,
        query: query.name().to_string(),
        query_fingerprint: query.fingerprint().to_string(),
        run_id: job.run_id.clone(),
        extracted_at,
        details: Default::default(),
    };
    let writer = job.writer.clone();
    let write_key = key.clone();
    let manifest = tokio::task::spawn_blocking(move || writer.write(&write_key, &batch, &info))
        .await
        .map_err(|e| (FailureKind::Sink, format!("write task failed: {e}")))?
        .map_err(|e| (FailureKind::Sink, e.to_string()))?;
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
