//! Runs a [`Plan`]: every (source, tenant) at the same time, each under its own quota and
//! concurrency, with a global cap on slices in flight; each slice fetched, turned into Arrow and
//! written as one partition.
//!
//! A slice is the unit of work: independent, idempotent and recorded by its `_SUCCESS` manifest,
//! so a backfill can be resumed or re-run. One source's refused credentials, dead API or panic
//! fails that source's slices only: each is counted and named in the summary, and every other
//! source completes. Memory holds at most a few pages per slice in flight, whatever the range.
//! Nothing here knows a vendor: sources are [`crate::sources::Source`] trait objects.

pub mod dry_run;
mod slice;
pub mod summary;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tracing::Instrument;

pub use summary::{FailureKind, RunSummary, SliceFailure, SliceRecord, SliceStatus, SourceSummary};

use crate::plan::{Plan, SourcePlan, WriteMode};
use crate::sink::PartitionWriter;
use crate::sources::{Source, SourceError, SourceSettings, SourceStats};
use crate::transform::{Dataset, Pseudonymizer};
use slice::{SliceJob, SliceOutcome, cancelled};

/// Where a run stands: slices and rows so far, and per source the requests sent against the
/// requests expected (what `--dry-run` would estimate), which move steadily where slices jump.
#[derive(Debug, Clone, Default)]
pub struct ProgressSnapshot {
    /// Slices ended (written, skipped or failed).
    pub slices_done: u64,
    /// Slices planned.
    pub slices_total: u64,
    /// Rows written.
    pub rows: u64,
    /// Per source, in plan order.
    pub sources: Vec<SourceProgress>,
    /// Since the run started.
    pub elapsed: std::time::Duration,
    /// The slice that ended last (`vendor.acme contacts 2026-11-20`).
    pub last_slice: String,
}

/// One source's part of a [`ProgressSnapshot`].
#[derive(Debug, Clone, Default)]
pub struct SourceProgress {
    /// `vendor.tenant`.
    pub label: String,
    /// Requests sent so far.
    pub requests: u64,
    /// Requests expected in all.
    pub expected_requests: u64,
}

/// Reports progress: a bar per source on a terminal, a line every so often in logs.
pub trait Progress: Send + Sync {
    /// The run starts.
    fn start(&self, snapshot: &ProgressSnapshot);
    /// Where it stands (after every slice, and every second).
    fn update(&self, snapshot: &ProgressSnapshot);
    /// The run is over.
    fn finish(&self, snapshot: &ProgressSnapshot);
}

/// No progress reporting.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &ProgressSnapshot) {}
    fn update(&self, _: &ProgressSnapshot) {}
    fn finish(&self, _: &ProgressSnapshot) {}
}

/// Connects a source and obtains a token, so refused credentials show before any slice: the one
/// way `run`, `backfill`, `check` and `demo` connect. Returns where the token came from too.
pub async fn connect(
    settings: &dyn SourceSettings,
) -> Result<(Arc<dyn Source>, String), SourceError> {
    let connected = settings.connect().await?;
    let token_endpoint = connected.check().await?;
    Ok((connected, token_endpoint))
}

/// What every slice of a run shares.
pub(crate) struct RunContext {
    pub(crate) writer: PartitionWriter,
    pub(crate) write_mode: WriteMode,
    pub(crate) run_id: String,
    pub(crate) privacy: Pseudonymizer,
    slots: Arc<Semaphore>,
    stop: StopHandle,
    stop_grace: std::time::Duration,
    /// Each source once connected, so the run can read its counters for progress.
    connected: std::sync::Mutex<Vec<Option<Arc<dyn Source>>>>,
}

/// Asks a running pipeline to stop (SIGINT, SIGTERM): no new slice starts; the slices in flight
/// get the plan's grace period to commit, then are abandoned (their temporary files removed,
/// never a `_SUCCESS`); the summary names every slice not written.
#[derive(Clone)]
pub struct StopHandle {
    tx: Arc<tokio::sync::watch::Sender<Option<String>>>,
}

impl Default for StopHandle {
    fn default() -> Self {
        Self {
            tx: Arc::new(tokio::sync::watch::channel(None).0),
        }
    }
}

impl StopHandle {
    /// A handle nobody has pulled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the run to stop, saying why (`SIGTERM`, say).
    pub fn stop(&self, why: &str) {
        self.tx.send_replace(Some(why.to_string()));
    }

    /// Why the run was asked to stop, if it was.
    pub fn reason(&self) -> Option<String> {
        self.tx.borrow().clone()
    }

    fn subscribe(&self) -> tokio::sync::watch::Receiver<Option<String>> {
        self.tx.subscribe()
    }
}

/// What source drivers tell the run loop.
enum Event {
    /// A slice ended (written, skipped or failed).
    Slice {
        source: usize,
        dataset: Dataset,
        date: NaiveDate,
        result: Result<SliceOutcome, (FailureKind, String)>,
    },
    /// A source is done: its client's counters and, if so, why its credentials were refused.
    Source {
        source: usize,
        stats: SourceStats,
        auth_error: Option<String>,
    },
}

/// A source's name and slices, kept by the run loop to account for every slice.
type Planned = (&'static str, String, Vec<(Dataset, NaiveDate)>);

/// A UUIDv7: ordered by time, unique across processes and machines.
fn new_run_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The failure kind of a source error.
fn failure_kind(e: &SourceError) -> FailureKind {
    if e.is_auth() {
        FailureKind::Auth
    } else if e.is_api() {
        FailureKind::Api
    } else {
        match e {
            SourceError::Transform(_) => FailureKind::Transform,
            _ => FailureKind::Internal,
        }
    }
}

/// A panic's message, for the summary.
fn panic_message(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into()),
        Err(e) => e.to_string(),
    }
}

/// Runs every slice of the plan.
pub async fn run(plan: Plan, progress: &dyn Progress) -> Result<RunSummary, crate::Error> {
    run_until(plan, progress, &StopHandle::new()).await
}

/// Runs every slice of the plan, or until `stop` is pulled. Holds the lock of each of its sources
/// for the run: a second run of one of them fails at once with [`crate::Error::Locked`].
pub async fn run_until(
    plan: Plan,
    progress: &dyn Progress,
    stop: &StopHandle,
) -> Result<RunSummary, crate::Error> {
    let started = Instant::now();
    let run_id = new_run_id();
    let sources: Vec<(&str, &str)> = plan
        .sources
        .iter()
        .map(|s| (s.vendor(), s.tenant.as_str()))
        .collect();
    let lock = crate::sink::lock::OutputLock::acquire(&plan.output, &run_id, &sources)?;
    let writer = PartitionWriter::new(plan.output.clone()).guarded_by(lock.lease_lost());
    // What dead runs left in flight can go; live runs (other shards) keep theirs.
    writer.remove_stale_temp_dirs();
    let ctx = Arc::new(RunContext {
        writer,
        write_mode: plan.write_mode,
        run_id,
        privacy: plan.privacy.clone(),
        slots: Arc::new(Semaphore::new(plan.max_slices_in_flight.max(1))),
        stop: stop.clone(),
        stop_grace: plan.stop_grace,
        connected: std::sync::Mutex::new(vec![None; plan.sources.len()]),
    });
    // What progress counts against; a slice found complete takes its share off again.
    let estimate = dry_run::estimate_every_slice(&plan);
    let expected: Vec<u64> = estimate.sources.iter().map(|s| s.requests).collect();
    let per_slice = |source: usize, dataset: Dataset| -> u64 {
        estimate.sources[source]
            .datasets
            .iter()
            .find(|d| d.dataset == dataset.name())
            .map_or(0, |d| {
                d.requests_per_slice * d.fetches as u64 / (d.slices.max(1) as u64)
            })
    };
    let mut summary = RunSummary {
        record_version: summary::RUN_RECORD_VERSION,
        started_at: Some(Utc::now()),
        command: plan.command.clone(),
        run_id: ctx.run_id.clone(),
        sources: plan
            .sources
            .iter()
            .map(|s| SourceSummary {
                source: s.vendor(),
                tenant: s.tenant.clone(),
                ..Default::default()
            })
            .collect(),
        ..RunSummary::default()
    };
    let mut snapshot = ProgressSnapshot {
        slices_total: plan.slice_count() as u64,
        sources: plan
            .sources
            .iter()
            .zip(&expected)
            .map(|(s, e)| SourceProgress {
                label: s.label(),
                requests: 0,
                expected_requests: *e,
            })
            .collect(),
        ..Default::default()
    };
    progress.start(&snapshot);
    let (events, mut inbox) = mpsc::unbounded_channel();
    let mut drivers = JoinSet::new();
    let mut driver_of = HashMap::new();
    let mut reported: Vec<std::collections::HashSet<(Dataset, NaiveDate)>> =
        vec![Default::default(); plan.sources.len()];
    let planned: Vec<Planned> = plan
        .sources
        .iter()
        .map(|s| (s.vendor(), s.tenant.clone(), slices_of(s)))
        .collect();
    for (index, source) in plan.sources.into_iter().enumerate() {
        let span = tracing::info_span!("source", source = source.vendor(), tenant = %source.tenant);
        let handle = drivers.spawn(
            drive_source(index, source, plan.concurrency, ctx.clone(), events.clone())
                .instrument(span),
        );
        driver_of.insert(handle.id(), index);
    }
    drop(events);
    let mut ticker = tokio::time::interval(std::time::Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let event = tokio::select! {
            event = inbox.recv() => event,
            _ = ticker.tick() => {
                refresh(&mut snapshot, &ctx, &summary, started);
                progress.update(&snapshot);
                continue;
            }
        };
        let Some(event) = event else {
            break;
        };
        match event {
            Event::Slice {
                source,
                dataset,
                date,
                result,
            } => {
                reported[source].insert((dataset, date));
                let (vendor, tenant, _) = &planned[source];
                snapshot.last_slice = format!("{vendor}.{tenant} {} {date}", dataset.name());
                snapshot.slices_done += 1;
                if matches!(result, Ok(SliceOutcome::Skipped)) {
                    let part = &mut snapshot.sources[source];
                    part.expected_requests = part
                        .expected_requests
                        .saturating_sub(per_slice(source, dataset))
                        .max(part.requests);
                }
                record(&mut summary, source, vendor, tenant, dataset, date, result);
                refresh(&mut snapshot, &ctx, &summary, started);
                progress.update(&snapshot);
            }
            Event::Source {
                source,
                stats,
                auth_error,
            } => {
                let part = &mut summary.sources[source];
                part.add_stats(stats);
                if part.auth_error.is_none() {
                    part.auth_error = auth_error;
                }
            }
        }
    }
    // A driver that panicked reported only part of its slices: the rest fail, named.
    while let Some(joined) = drivers.join_next_with_id().await {
        if let Err(e) = joined {
            let index = driver_of.get(&e.id()).copied();
            let message = format!(
                "internal error (a bug; please report it): {}",
                panic_message(e)
            );
            tracing::error!(error = %message, "A source's driver stopped.");
            if let Some(index) = index {
                let (vendor, tenant, slices) = &planned[index];
                for (dataset, date) in slices {
                    if !reported[index].contains(&(*dataset, *date)) {
                        record(
                            &mut summary,
                            index,
                            vendor,
                            tenant,
                            *dataset,
                            *date,
                            Err((FailureKind::Internal, message.clone())),
                        );
                    }
                }
            }
        }
    }
    refresh(&mut snapshot, &ctx, &summary, started);
    progress.finish(&snapshot);
    ctx.writer.remove_temp_dir(&ctx.run_id);
    summary.stopped_by = stop.reason();
    summary.finish();
    summary.elapsed_secs = started.elapsed().as_secs_f64();
    summary.ended_at = Some(Utc::now());
    match serde_json::to_vec_pretty(&summary) {
        Ok(json) => {
            if let Err(e) = ctx.writer.write_run_record(&ctx.run_id, &json) {
                tracing::warn!(error = %e, "Could not keep the run record.");
            }
        }
        Err(e) => tracing::warn!(error = %e, "Could not encode the run record."),
    }
    drop(lock);
    Ok(summary)
}

/// Brings a snapshot up to date: rows from the summary, requests from the connected sources.
fn refresh(
    snapshot: &mut ProgressSnapshot,
    ctx: &RunContext,
    summary: &RunSummary,
    started: Instant,
) {
    snapshot.elapsed = started.elapsed();
    snapshot.rows = summary.sources.iter().map(|s| s.rows).sum();
    let connected = ctx
        .connected
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for (part, source) in snapshot.sources.iter_mut().zip(connected.iter()) {
        if let Some(source) = source {
            part.requests = source.stats().requests;
            part.expected_requests = part.expected_requests.max(part.requests);
        }
    }
}

/// Every (dataset, date) of a source, date by date.
fn slices_of(source: &SourcePlan) -> Vec<(Dataset, NaiveDate)> {
    source.slices.clone()
}

/// One fetch of a source: a dataset with the companions planned with it
/// ([`SourceSettings::companions`]), over one date or several consecutive ones
/// ([`SourceSettings::days_per_fetch`]); every (dataset, date) lands in its own partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FetchGroup {
    pub(crate) dataset: Dataset,
    pub(crate) also: Vec<Dataset>,
    pub(crate) dates: Vec<NaiveDate>,
}

impl FetchGroup {
    /// Every (dataset, date) it writes, date by date, the group's own dataset first.
    pub(crate) fn partitions(&self) -> Vec<(Dataset, NaiveDate)> {
        self.dates
            .iter()
            .flat_map(|date| {
                std::iter::once(self.dataset)
                    .chain(self.also.iter().copied())
                    .map(move |d| (d, *date))
            })
            .collect()
    }
}

/// A source's slices as fetches (the run's, or those `--dry-run` would fetch): each slice with
/// the companions planned for its date, which it writes from the same answers (a companion is
/// not fetched on its own when its dataset is planned that day); then consecutive dates of a
/// dataset merged into one fetch, as many as the vendor allows from the first.
pub(crate) fn group_slices(
    settings: &dyn crate::sources::SourceSettings,
    slices: &[(Dataset, NaiveDate)],
    today: NaiveDate,
) -> Vec<FetchGroup> {
    let planned: std::collections::HashSet<(Dataset, NaiveDate)> = slices.iter().copied().collect();
    let companion_of = |dataset: Dataset, date: NaiveDate| {
        Dataset::ALL.iter().any(|other| {
            *other != dataset
                && planned.contains(&(*other, date))
                && settings.companions(*other).contains(&dataset)
        })
    };
    let mut groups: Vec<FetchGroup> = Vec::new();
    // The group of each (dataset, companions) still open to the next date.
    let mut open: HashMap<(Dataset, Vec<Dataset>), usize> = HashMap::new();
    for (dataset, date) in slices
        .iter()
        .filter(|(dataset, date)| !companion_of(*dataset, *date))
    {
        let also: Vec<Dataset> = settings
            .companions(*dataset)
            .iter()
            .copied()
            .filter(|c| planned.contains(&(*c, *date)))
            .collect();
        let key = (*dataset, also.clone());
        if let Some(group) = open.get(&key).and_then(|i| groups.get_mut(*i)) {
            let first = group.dates[0];
            let room = settings.days_per_fetch(*dataset, first, today) as usize;
            let follows = group.dates.last().and_then(|d| d.succ_opt()) == Some(*date);
            if follows
                && group.dates.len() < room
                && settings.days_per_fetch(*dataset, *date, today) > 1
            {
                group.dates.push(*date);
                continue;
            }
        }
        open.insert(key, groups.len());
        groups.push(FetchGroup {
            dataset: *dataset,
            also,
            dates: vec![*date],
        });
    }
    groups
}

fn record(
    summary: &mut RunSummary,
    source: usize,
    vendor: &'static str,
    tenant: &str,
    dataset: Dataset,
    date: NaiveDate,
    result: Result<SliceOutcome, (FailureKind, String)>,
) {
    let part = &mut summary.sources[source];
    let mut slice = SliceRecord {
        source: vendor,
        tenant: tenant.to_string(),
        dataset: dataset.name(),
        date,
        status: SliceStatus::Skipped,
        partition: format!(
            "{}/source={vendor}/tenant={tenant}/date={date}",
            dataset.name()
        ),
        rows: None,
        bytes: None,
        is_final: None,
        requests: 0,
        kind: None,
        error: None,
    };
    match result {
        Ok(SliceOutcome::Written {
            rows,
            is_final,
            skipped,
            bytes,
            requests,
        }) => {
            part.written += 1;
            part.rows += rows;
            if !is_final {
                part.provisional += 1;
            }
            for (reason, n) in skipped {
                *part.skipped_records.entry(reason).or_default() += n;
            }
            slice.status = SliceStatus::Written;
            (slice.rows, slice.bytes, slice.is_final, slice.requests) =
                (Some(rows), Some(bytes), Some(is_final), requests);
        }
        Ok(SliceOutcome::Skipped) => part.skipped += 1,
        Err((kind, error)) => {
            part.failed += 1;
            if kind == FailureKind::Auth && part.auth_error.is_none() {
                part.auth_error = Some(error.clone());
            }
            slice.status = SliceStatus::Failed;
            slice.kind = Some(kind);
            slice.error = Some(error.clone());
            summary.failed.push(SliceFailure {
                source: vendor,
                tenant: tenant.to_string(),
                dataset: dataset.name(),
                date,
                kind,
                error,
            });
        }
    }
    summary.slices.push(slice);
}

/// One source of the run: connect, then its slices with at most `concurrency` in flight (each
/// also holding one of the run's slots). Every planned slice is reported exactly once.
async fn drive_source(
    index: usize,
    source: SourcePlan,
    concurrency: usize,
    ctx: Arc<RunContext>,
    events: mpsc::UnboundedSender<Event>,
) {
    let slices = slices_of(&source);
    let fail_all = |slices: &[(Dataset, NaiveDate)], kind: FailureKind, message: &str| {
        for (dataset, date) in slices {
            let _ = events.send(Event::Slice {
                source: index,
                dataset: *dataset,
                date: *date,
                result: Err((kind, message.to_string())),
            });
        }
    };
    let connecting = {
        let settings = source.settings.clone();
        tokio::spawn(async move { connect(settings.as_ref()).await }.in_current_span())
    };
    let connected = match connecting.await {
        Ok(result) => result.map_err(|e| (failure_kind(&e), e.to_string())),
        Err(e) => Err((
            FailureKind::Internal,
            format!(
                "internal error (a bug; please report it): {}",
                panic_message(e)
            ),
        )),
    };
    let connected = match connected {
        Ok((c, _)) => {
            if let Some(slot) = ctx
                .connected
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .get_mut(index)
            {
                *slot = Some(c.clone());
            }
            c
        }
        Err((kind, error)) => {
            if kind == FailureKind::Auth {
                tracing::error!(error = %error, "Authentication failed.");
            } else {
                tracing::error!(error = %error, "Could not connect.");
            }
            fail_all(&slices, kind, &format!("not fetched: {error}"));
            let _ = events.send(Event::Source {
                source: index,
                stats: SourceStats::default(),
                auth_error: (kind == FailureKind::Auth).then_some(error),
            });
            return;
        }
    };
    let today = Utc::now().with_timezone(&source.time_zone).date_naive();
    let mut pending = group_slices(source.settings.as_ref(), &source.slices, today)
        .into_iter()
        .peekable();
    let mut running = JoinSet::new();
    let mut in_flight: HashMap<tokio::task::Id, (Vec<(Dataset, NaiveDate)>, usize)> =
        HashMap::new();
    // Days in flight count against `concurrency`, not fetches: a fetch of several days keeps a
    // partition of each open, so a week-long job runs alone where four days would run at once
    // (memory stays what `concurrency` days need). A fetch that pages `concurrency` requests at
    // once counts as `concurrency`: the requests in flight stay the same, and memory holds one
    // day.
    let mut days_in_flight = 0usize;
    // Why no further slice starts (credentials refused, or the run was asked to stop), and the
    // kind the slices not run fail with.
    let mut stopped: Option<(FailureKind, String)> = None;
    let mut stop = ctx.stop.subscribe();
    let mut abandon_at: Option<tokio::time::Instant> = None;
    // Abandons this source's slices that have not started their commit.
    let (cancel, cancel_rx) = tokio::sync::watch::channel::<Option<(FailureKind, String)>>(None);
    loop {
        if stopped.is_none()
            && let Some(reason) = stop.borrow().clone()
        {
            stopped = Some((FailureKind::Stopped, reason));
            // A grace too long to add to now means: wait for the slices in flight, however long.
            abandon_at = tokio::time::Instant::now().checked_add(ctx.stop_grace);
        }
        while stopped.is_none() {
            // A fetch that pages several requests at once takes every slot, and runs alone.
            let Some((days, paged)) = pending.peek().map(|g| {
                let paged = source.settings.pages_at_once(g.dataset, g.dates[0], today);
                (g.dates.len(), paged)
            }) else {
                break;
            };
            let requests_at_once = if paged { concurrency.max(1) } else { 1 };
            let weight = if paged { requests_at_once } else { days };
            if !running.is_empty() && days_in_flight + weight > concurrency {
                break;
            }
            let Some(group) = pending.next() else {
                break;
            };
            days_in_flight += weight;
            let (dataset, date) = (group.dataset, group.dates[0]);
            let job = SliceJob::new(
                connected.clone(),
                &source,
                group,
                today,
                requests_at_once,
                ctx.clone(),
            );
            let partitions = job.partitions();
            let span = if days > 1 {
                tracing::info_span!("slice", dataset = dataset.name(), %date, days)
            } else {
                tracing::info_span!("slice", dataset = dataset.name(), %date)
            };
            let slots = ctx.slots.clone();
            let mut cancel = cancel_rx.clone();
            let run_stop = ctx.stop.clone();
            let handle = running.spawn(
                async move {
                    let _slot = tokio::select! {
                        slot = slots.acquire_owned() => slot,
                        (kind, reason) = cancelled(&mut cancel) => {
                            return Err((kind, format!("not fetched: {reason}")));
                        }
                    };
                    // Waiting for a slot is not having started: after a stop, don't.
                    if let Some(reason) = run_stop.reason() {
                        return Err((FailureKind::Stopped, format!("not fetched: {reason}")));
                    }
                    if let Some((kind, reason)) = cancel.borrow().clone() {
                        return Err((kind, format!("not fetched: {reason}")));
                    }
                    job.run(cancel).await
                }
                .instrument(span),
            );
            in_flight.insert(handle.id(), (partitions, weight));
        }
        if running.is_empty() {
            break;
        }
        let joined = tokio::select! {
            joined = running.join_next_with_id() => joined,
            _ = stop.changed(), if stopped.is_none() => continue,
            _ = tokio::time::sleep_until(abandon_at.unwrap_or_else(tokio::time::Instant::now)),
                if abandon_at.is_some() => {
                tracing::warn!(
                    slices = running.len(),
                    "The grace period is over; abandoning the slices still running."
                );
                abandon_at = None;
                let reason = stopped
                    .as_ref()
                    .map(|(_, r)| r.clone())
                    .unwrap_or_else(|| "the run stopped".into());
                cancel.send_replace(Some((
                    FailureKind::Stopped,
                    format!("{reason}, and its grace period ran out"),
                )));
                continue;
            }
        };
        let Some(joined) = joined else {
            break;
        };
        let (id, result) = match joined {
            Ok((id, result)) => (id, result),
            Err(e) => {
                let id = e.id();
                let result = if e.is_cancelled() {
                    let (kind, reason) = stopped
                        .clone()
                        .unwrap_or((FailureKind::Stopped, "the run stopped".into()));
                    Err((kind, format!("abandoned: {reason}")))
                } else {
                    let message = format!(
                        "internal error (a bug; please report it): {}",
                        panic_message(e)
                    );
                    tracing::error!(error = %message, "A slice panicked.");
                    Err((FailureKind::Internal, message))
                };
                (id, result)
            }
        };
        let Some((partitions, weight)) = in_flight.remove(&id) else {
            continue;
        };
        days_in_flight = days_in_flight.saturating_sub(weight);
        let names = || {
            let mut datasets: Vec<&str> = Vec::new();
            for (d, _) in &partitions {
                if !datasets.contains(&d.name()) {
                    datasets.push(d.name());
                }
            }
            datasets.join(" + ")
        };
        let dates = || {
            let first = partitions.first().map(|(_, d)| *d);
            let last = partitions.last().map(|(_, d)| *d);
            match (first, last) {
                (Some(a), Some(b)) if a != b => format!("{a} … {b}"),
                (Some(a), _) => a.to_string(),
                _ => String::new(),
            }
        };
        if let Err((kind, error)) = &result {
            tracing::error!(dataset = names(), date = dates(), error = %error, "Slice failed.");
            // Every further request would be refused the same way: stop this source only.
            if *kind == FailureKind::Auth && stopped.is_none() {
                let why = (
                    FailureKind::Auth,
                    format!("credentials refused earlier in this run: {error}"),
                );
                stopped = Some(why.clone());
                cancel.send_replace(Some(why));
            }
        }
        // One outcome per partition the fetch wrote (a failed fetch fails each of them).
        let results: Vec<Result<SliceOutcome, (FailureKind, String)>> = match result {
            Ok(outcomes) if outcomes.len() == partitions.len() => {
                outcomes.into_iter().map(Ok).collect()
            }
            Ok(_) => {
                let bug = (
                    FailureKind::Internal,
                    format!(
                        "internal error (a bug; please report it): {} outcomes",
                        names()
                    ),
                );
                partitions.iter().map(|_| Err(bug.clone())).collect()
            }
            Err(e) => partitions.iter().map(|_| Err(e.clone())).collect(),
        };
        for ((dataset, date), result) in partitions.iter().zip(results) {
            let _ = events.send(Event::Slice {
                source: index,
                dataset: *dataset,
                date: *date,
                result,
            });
        }
    }
    if let Some((kind, reason)) = &stopped {
        let rest: Vec<(Dataset, NaiveDate)> = pending.flat_map(|g| g.partitions()).collect();
        fail_all(&rest, *kind, &format!("not fetched: {reason}"));
    }
    let _ = events.send(Event::Source {
        source: index,
        stats: connected.stats(),
        auth_error: None,
    });
}
