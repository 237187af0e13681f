//! One slice, end to end: the resume check, the source's rows streamed through a bounded channel
//! into Arrow batches and the partition file, and the commit with its manifest.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use tokio::sync::mpsc;

use super::{FailureKind, RunContext, failure_kind};
use crate::plan::{SourcePlan, WriteMode, day_interval};
use crate::sink::{PartitionFile, PartitionInfo, PartitionKey, PartitionWriter};
use crate::sources::{RequestPrint, RowSender, SliceRequest, Source};
use crate::transform::{Dataset, Rows, schema_fingerprint};

/// Rows buffered before a batch goes to the partition file.
const BATCH_ROWS: usize = 5000;

/// Chunks of rows a source may hand over ahead of the writer.
const CHANNEL_CHUNKS: usize = 4;

/// How a slice ended when it did not fail.
pub(crate) enum SliceOutcome {
    /// A partition was written.
    Written {
        /// Its rows.
        rows: u64,
        /// Whether it is final (else provisional: fetched again later).
        is_final: bool,
        /// Records not turned into rows, by reason.
        skipped: BTreeMap<String, u64>,
        /// Bytes of the data file.
        bytes: u64,
        /// API requests the slice sent.
        requests: u64,
    },
    /// The partition was complete already (`--resume`).
    Skipped,
}

/// Why a slice failed: the kind (for the exit code) and the message.
pub(crate) type SliceFailed = (FailureKind, String);

/// Whether a partition is complete as it is: final, fetched with the request `fingerprint` and
/// today's schema, and its data file the one its manifest describes (size and SHA-256).
/// Blocking (reads the file).
pub(crate) fn partition_complete(
    writer: &PartitionWriter,
    key: &PartitionKey,
    fingerprint: &str,
) -> bool {
    let Some(manifest) = writer.manifest(key) else {
        return false;
    };
    if manifest.sha256.is_empty() {
        tracing::debug!(
            "The partition was written by ccetl before 0.2 (no checksum); fetching it again."
        );
        return false;
    }
    if !writer.is_intact(key, &manifest) {
        tracing::warn!("The partition's file does not match its manifest; fetching it again.");
        return false;
    }
    manifest.is_final
        && manifest.query_fingerprint == fingerprint
        && manifest.schema_fingerprint == schema_fingerprint(&key.dataset.schema())
}

/// What abandons the slices of a source: set (with the kind and reason the slices not written
/// fail with) when its credentials are refused, or when a stop's grace period runs out.
pub(crate) type Cancel = tokio::sync::watch::Receiver<Option<(FailureKind, String)>>;

/// Waits until `cancel` is set; never, if its sender is gone without setting it.
pub(crate) async fn cancelled(cancel: &mut Cancel) -> (FailureKind, String) {
    loop {
        if let Some(why) = cancel.borrow_and_update().clone() {
            return why;
        }
        if cancel.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// One partition of a fetched slice, ready to commit.
struct Prepared {
    file: PartitionFile,
    batch: arrow_array::RecordBatch,
    info: PartitionInfo,
}

/// One partition a slice writes: its key and what its manifest names as the request.
struct Output {
    key: PartitionKey,
    request: RequestPrint,
}

/// A slice to run: one fetch, writing the partition of its dataset and of the companions
/// planned with it (same answers), on each date it covers (one, or several consecutive days).
pub(crate) struct SliceJob {
    /// When the slice was started (its fetch follows): its rows' `_extracted_at` and its
    /// manifest's.
    extracted_at: chrono::DateTime<Utc>,
    source: Arc<dyn Source>,
    settle: Duration,
    /// Date by date, the slice's own partition first, then the companions'.
    outputs: Vec<Output>,
    slice: SliceRequest,
    ctx: Arc<RunContext>,
}

fn sink_failure(e: impl std::fmt::Display) -> SliceFailed {
    (FailureKind::Sink, e.to_string())
}

fn transform_failure(e: impl std::fmt::Display) -> SliceFailed {
    (FailureKind::Transform, e.to_string())
}

impl SliceJob {
    /// The fetch `group` (a dataset, its companions, its dates) of `plan`'s source.
    pub(crate) fn new(
        source: Arc<dyn Source>,
        plan: &SourcePlan,
        group: super::FetchGroup,
        today: NaiveDate,
        requests_at_once: usize,
        ctx: Arc<RunContext>,
    ) -> Self {
        let dataset = group.dataset;
        let date = group.dates[0];
        let last = group.dates.last().copied().unwrap_or(date);
        let (start, _) = day_interval(date, plan.time_zone);
        let (_, end) = day_interval(last, plan.time_zone);
        let outputs = group
            .partitions()
            .into_iter()
            .map(|(d, day)| Output {
                key: PartitionKey {
                    dataset: d,
                    source: plan.vendor(),
                    tenant: plan.tenant.clone(),
                    date: day,
                },
                request: plan.settings.request(d),
            })
            .collect();
        let also = group.also;
        Self {
            extracted_at: Utc::now(),
            source,
            settle: plan.settings.settle_margin(),
            outputs,
            slice: SliceRequest {
                dataset,
                date,
                dates: group.dates,
                time_zone: plan.time_zone,
                start,
                end,
                today,
                also,
                requests_at_once,
            },
            ctx,
        }
    }

    /// The datasets it writes, its own first.
    fn datasets(&self) -> Vec<Dataset> {
        let mut datasets = Vec::new();
        for o in &self.outputs {
            if !datasets.contains(&o.key.dataset) {
                datasets.push(o.key.dataset);
            }
        }
        datasets
    }

    /// The partitions it writes, as (dataset, date), date by date, its own dataset first.
    pub(crate) fn partitions(&self) -> Vec<(Dataset, NaiveDate)> {
        self.outputs
            .iter()
            .map(|o| (o.key.dataset, o.key.date))
            .collect()
    }

    /// Runs it: skipped when complete (resume), else fetched and written; one outcome per
    /// partition, in [`SliceJob::partitions`] order. Until its commit starts, `cancel` abandons it
    /// (its temporary files removed); a commit, once started, is finished, so an abandoned slice
    /// never leaves a partition half-swapped.
    pub(crate) async fn run(self, mut cancel: Cancel) -> Result<Vec<SliceOutcome>, SliceFailed> {
        let fetch_started = Instant::now();
        let prepared = tokio::select! {
            prepared = self.prepare() => prepared?,
            (kind, reason) = cancelled(&mut cancel) => {
                return Err((kind, format!("abandoned: {reason}")));
            }
        };
        let Some(prepared) = prepared else {
            return Ok(self.outputs.iter().map(|_| SliceOutcome::Skipped).collect());
        };
        let mut outcomes = Vec::with_capacity(prepared.len());
        for Prepared {
            mut file,
            batch,
            info,
        } in prepared
        {
            let skipped = info.skipped_records.clone();
            let manifest = tokio::task::spawn_blocking(move || {
                file.write(&batch)?;
                file.commit(&info)
            })
            .await
            .map_err(sink_failure)?
            .map_err(sink_failure)?;
            tracing::info!(
                rows = manifest.rows,
                bytes = manifest.bytes,
                r#final = manifest.is_final,
                fetch_ms = fetch_started.elapsed().as_millis() as u64,
                "Wrote partition."
            );
            outcomes.push(SliceOutcome::Written {
                rows: manifest.rows,
                is_final: manifest.is_final,
                skipped,
                bytes: manifest.bytes,
                requests: manifest.requests,
            });
        }
        Ok(outcomes)
    }

    /// Everything before the commit: the resume check (`None`: complete already), the fetch,
    /// the rows written so far, and per partition the last batch and the manifest's facts.
    async fn prepare(&self) -> Result<Option<Vec<Prepared>>, SliceFailed> {
        let dataset = self.slice.dataset;
        if self.ctx.write_mode == WriteMode::Resume && self.is_complete().await {
            tracing::debug!("Partition already complete; skipped.");
            return Ok(None);
        }
        // Stamped when the slice was started: data fetched before a day settled is provisional.
        let extracted_at = self.extracted_at;
        let (rows, inbox) =
            RowSender::channel(self.datasets(), self.slice.dates.clone(), CHANNEL_CHUNKS);
        let counter = Arc::new(crate::http::WorkRequests::default());
        let producer = crate::http::counting(counter.clone(), self.source.fetch(&self.slice, rows));
        let consumer = self.write_rows(inbox);
        let (produced, consumed) = tokio::join!(producer, consumer);
        // The writer's error explains a source that stopped because nobody took its rows.
        let open = consumed?;
        let report = produced.map_err(|e| (failure_kind(&e), e.to_string()))?;
        let requests = counter.requests.load(std::sync::atomic::Ordering::Relaxed);
        let several_days = self.slice.dates.len() > 1;
        let mut prepared = Vec::with_capacity(open.len());
        for (index, (output, (file, pending))) in self.outputs.iter().zip(open).enumerate() {
            let file = match file {
                Some(file) => file,
                None => self.create_file(index).await?,
            };
            let date = output.key.date;
            let (interval_start, interval_end) = day_interval(date, self.slice.time_zone);
            let mut provisional = report.provisional.clone();
            // Records skipped that belong to no single day of several are counted on the first
            // partition.
            let mut skipped = if index == 0 || !several_days {
                report.skipped.clone()
            } else {
                BTreeMap::new()
            };
            if let Some(day) = report.days.get(&date) {
                provisional.extend(day.provisional.iter().cloned());
                for (reason, n) in &day.skipped {
                    *skipped.entry(reason.clone()).or_default() += n;
                }
            }
            let settled_at = chrono::Duration::from_std(self.settle)
                .ok()
                .and_then(|settle| interval_end.checked_add_signed(settle));
            // A snapshot is the list as it was when fetched: final as such (the next run that
            // day replaces it all the same).
            if !dataset.is_snapshot() && settled_at.is_none_or(|at| extracted_at < at) {
                provisional.push(format!(
                    "extracted before the day had settled ({} min after its end)",
                    self.settle.as_secs() / 60
                ));
            }
            let mut details = report.details.clone();
            if index > 0 {
                // The requests are the fetch's, counted once, on the slice's own partition.
                let with = if several_days {
                    format!("{} {}", dataset.name(), self.slice.date)
                } else {
                    dataset.name().to_string()
                };
                details.insert("fetched_with".into(), with.into());
            }
            if several_days {
                details.insert(
                    "fetch_days".into(),
                    format!(
                        "{} … {}",
                        self.slice.date,
                        self.slice.dates.last().copied().unwrap_or(self.slice.date)
                    )
                    .into(),
                );
            }
            let info = PartitionInfo {
                interval_start,
                interval_end,
                query: output.request.name.clone(),
                query_fingerprint: output.request.fingerprint.clone(),
                run_id: self.ctx.run_id.clone(),
                extracted_at,
                details,
                skipped_records: skipped,
                provisional_reasons: provisional,
                requests: if index == 0 { requests } else { 0 },
            };
            let batch = pending
                .to_batch(&self.batch_context())
                .map_err(transform_failure)?;
            prepared.push(Prepared { file, batch, info });
        }
        Ok(Some(prepared))
    }

    /// Whether every partition it writes is complete as it is (see [`partition_complete`]).
    async fn is_complete(&self) -> bool {
        let writer = self.ctx.writer.clone();
        let keys: Vec<(PartitionKey, String)> = self
            .outputs
            .iter()
            .map(|o| (o.key.clone(), o.request.fingerprint.clone()))
            .collect();
        tokio::task::spawn_blocking(move || {
            keys.iter()
                .all(|(key, fingerprint)| partition_complete(&writer, key, fingerprint))
        })
        .await
        .unwrap_or(false)
    }

    /// The privacy policy and the run's stamp for this slice's batches.
    fn batch_context(&self) -> crate::transform::BatchContext<'_> {
        crate::transform::BatchContext::new(&self.ctx.privacy, &self.ctx.run_id, self.extracted_at)
    }

    /// Starts the temporary file of output `index` (nothing is visible until the commit).
    async fn create_file(&self, index: usize) -> Result<PartitionFile, SliceFailed> {
        let writer = self.ctx.writer.clone();
        let key = self.outputs[index].key.clone();
        let run_id = self.ctx.run_id.clone();
        tokio::task::spawn_blocking(move || writer.create(&key, key.dataset.schema(), &run_id))
            .await
            .map_err(sink_failure)?
            .map_err(sink_failure)
    }

    /// Takes the source's rows as they come, writing a batch to its dataset's file whenever
    /// enough are buffered (a file is started with its first batch, so a slice that fails early
    /// leaves nothing); hands back, per output, the file if started and the rows not yet written.
    async fn write_rows(
        &self,
        mut inbox: mpsc::Receiver<(NaiveDate, Rows)>,
    ) -> Result<Vec<(Option<PartitionFile>, Rows)>, SliceFailed> {
        let mut open: Vec<(Option<PartitionFile>, Rows)> = self
            .outputs
            .iter()
            .map(|o| (None, Rows::empty(o.key.dataset)))
            .collect();
        while let Some((date, rows)) = inbox.recv().await {
            let index = self
                .outputs
                .iter()
                .position(|o| o.key.dataset == rows.dataset() && o.key.date == date)
                .ok_or_else(|| {
                    (
                        FailureKind::Internal,
                        format!(
                            "a {} slice produced {} rows of {date}",
                            self.slice.dataset.name(),
                            rows.dataset().name()
                        ),
                    )
                })?;
            let (file, pending) = &mut open[index];
            if pending.is_empty() && rows.len() < BATCH_ROWS {
                // Room for a batch (or a slice's rows, if fewer): address space until written.
                pending.reserve(BATCH_ROWS);
            }
            pending.append(rows).map_err(|other| {
                (
                    FailureKind::Internal,
                    format!("rows of {} in the wrong buffer", other.dataset().name()),
                )
            })?;
            if pending.len() >= BATCH_ROWS {
                let batch = pending
                    .to_batch(&self.batch_context())
                    .map_err(transform_failure)?;
                *pending = Rows::empty(pending.dataset());
                let mut started = match file.take() {
                    Some(started) => started,
                    None => self.create_file(index).await?,
                };
                started =
                    tokio::task::spawn_blocking(move || started.write(&batch).map(|_| started))
                        .await
                        .map_err(sink_failure)?
                        .map_err(sink_failure)?;
                *file = Some(started);
            }
        }
        Ok(open)
    }
}
