//! `--dry-run`: what a run would do, without fetching anything — no token, no data request.
//!
//! Per source: the slices it would run (with `--resume`, those not already complete and final),
//! the requests they are expected to cost, and how long that takes at the source's quota. The
//! cost of a slice is what the latest manifests of the same source, tenant and dataset recorded
//! (their median), or the vendor's own estimate when there are none yet.

use serde::Serialize;

use super::slice::partition_complete;
use crate::plan::{Plan, WriteMode};
use crate::sink::{PartitionKey, PartitionWriter, recent_requests};
use crate::transform::Dataset;

/// Manifests consulted per (source, tenant, dataset) for the cost of a slice.
const HISTORY: usize = 14;

/// One dataset of one source in a dry run.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetEstimate {
    /// The dataset.
    pub dataset: &'static str,
    /// Slices that would run.
    pub slices: usize,
    /// Slices skipped as complete (`--resume`).
    pub complete: usize,
    /// Fetches they take: fewer than slices where one fetch covers several days
    /// (`details_job_max_days`).
    pub fetches: usize,
    /// Requests one fetch is expected to cost.
    pub requests_per_slice: u64,
    /// Where that figure comes from: `history` (the median of recent manifests) or `default`.
    pub basis: &'static str,
}

/// One source in a dry run.
#[derive(Debug, Clone, Serialize)]
pub struct SourceEstimate {
    /// Vendor.
    pub source: &'static str,
    /// Tenant.
    pub tenant: String,
    /// Per dataset.
    pub datasets: Vec<DatasetEstimate>,
    /// Requests expected in all.
    pub requests: u64,
    /// The source's quota.
    pub requests_per_minute: u32,
    /// Minutes the requests take at the quota.
    pub minutes: f64,
}

/// What a run would do.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    /// Per source.
    pub sources: Vec<SourceEstimate>,
    /// Requests expected in all.
    pub requests: u64,
    /// Minutes the run takes at the quotas: the slowest source, since sources run at once.
    pub minutes: f64,
}

fn median(mut values: Vec<u64>) -> Option<u64> {
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}

/// Estimates `plan` without fetching. Blocking (reads manifests and, with `--resume`, files).
pub fn estimate(plan: &Plan) -> DryRun {
    estimate_with(plan, plan.write_mode == WriteMode::Resume)
}

/// The same, counting every slice as to be fetched (no file is read): what a run's progress
/// starts from, lowering it as slices turn out complete.
pub fn estimate_every_slice(plan: &Plan) -> DryRun {
    estimate_with(plan, false)
}

fn estimate_with(plan: &Plan, check_complete: bool) -> DryRun {
    let writer = PartitionWriter::new(plan.output.clone());
    let mut sources = Vec::new();
    for source in &plan.sources {
        let today = chrono::Utc::now()
            .with_timezone(&source.time_zone)
            .date_naive();
        let mut datasets: Vec<DatasetEstimate> = Vec::new();
        let mut order: Vec<Dataset> = Vec::new();
        for (dataset, _) in &source.slices {
            if !order.contains(dataset) {
                order.push(*dataset);
            }
        }
        for dataset in order {
            let request = source.settings.request(dataset);
            let (mut slices, mut complete) = (0, 0);
            let mut to_fetch = Vec::new();
            for (_, date) in source.slices.iter().filter(|(d, _)| *d == dataset) {
                let key = PartitionKey {
                    dataset,
                    source: source.vendor(),
                    tenant: source.tenant.clone(),
                    date: *date,
                };
                if check_complete && partition_complete(&writer, &key, &request.fingerprint) {
                    complete += 1;
                } else {
                    slices += 1;
                    to_fetch.push((dataset, *date));
                }
            }
            let fetches = super::group_slices(source.settings.as_ref(), &to_fetch, today).len();
            let history = recent_requests(
                &plan.output,
                dataset,
                source.vendor(),
                &source.tenant,
                HISTORY,
            );
            // A companion planned with the dataset that fills it costs that dataset's requests.
            let companion = source
                .slices
                .iter()
                .any(|(d, _)| source.settings.companions(*d).contains(&dataset));
            let (requests_per_slice, basis) = match median(history) {
                _ if companion => (0, "same requests as its dataset"),
                Some(m) => (m, "history"),
                None => (source.settings.estimate_requests(dataset), "default"),
            };
            datasets.push(DatasetEstimate {
                dataset: dataset.name(),
                slices,
                complete,
                fetches,
                requests_per_slice,
                basis,
            });
        }
        let requests: u64 = datasets
            .iter()
            .map(|d| d.fetches as u64 * d.requests_per_slice)
            .sum();
        let rpm = source.settings.requests_per_minute().max(1);
        sources.push(SourceEstimate {
            source: source.vendor(),
            tenant: source.tenant.clone(),
            datasets,
            requests,
            requests_per_minute: rpm,
            minutes: requests as f64 / f64::from(rpm),
        });
    }
    DryRun {
        requests: sources.iter().map(|s| s.requests).sum(),
        minutes: sources.iter().map(|s| s.minutes).fold(0.0, f64::max),
        sources,
    }
}

impl DryRun {
    /// The estimate as text for people.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for s in &self.sources {
            out.push_str(&format!(
                "{}.{}: {} request{} ≈ {} at {} requests/minute\n",
                s.source,
                s.tenant,
                s.requests,
                if s.requests == 1 { "" } else { "s" },
                duration(s.minutes),
                s.requests_per_minute
            ));
            for d in &s.datasets {
                out.push_str(&format!(
                    "  {:<16} {} slice{} to fetch{}{}, ~{} request{} each ({})\n",
                    d.dataset,
                    d.slices,
                    if d.slices == 1 { "" } else { "s" },
                    if d.fetches != d.slices {
                        format!(
                            " in {} fetch{}",
                            d.fetches,
                            if d.fetches == 1 { "" } else { "es" }
                        )
                    } else {
                        String::new()
                    },
                    if d.complete > 0 {
                        format!(" ({} complete, skipped)", d.complete)
                    } else {
                        String::new()
                    },
                    d.requests_per_slice,
                    if d.requests_per_slice == 1 { "" } else { "s" },
                    if d.basis == "history" {
                        "from recent manifests"
                    } else {
                        "the vendor's default"
                    }
                ));
            }
        }
        out.push_str(&format!(
            "in all: {} request{}, ≈ {} (sources run at once; the slowest sets the time)\n",
            self.requests,
            if self.requests == 1 { "" } else { "s" },
            duration(self.minutes)
        ));
        out
    }
}

/// `42 s`, `12 min`, `4.9 h`.
fn duration(minutes: f64) -> String {
    if minutes < 1.0 {
        format!("{:.0} s", minutes * 60.0)
    } else if minutes < 120.0 {
        format!("{minutes:.0} min")
    } else {
        format!("{:.1} h", minutes / 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_and_durations() {
        assert_eq!(median(vec![5, 1, 9]), Some(5));
        assert_eq!(median(vec![]), None);
        assert_eq!(duration(0.5), "30 s");
        assert_eq!(duration(12.2), "12 min");
        assert_eq!(duration(294.0), "4.9 h");
    }
}
