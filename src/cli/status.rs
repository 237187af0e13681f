//! `ccetl status`: what the output holds, per source, tenant and dataset, day by day — complete
//! (final), provisional, missing, or failed in the latest run that tried it — as a table with a
//! calendar line per dataset, or as JSON. It reads the output only (no credential, no request),
//! and exits 1 when there are gaps, so a monitor can alert on it.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Days, NaiveDate, Utc};
use serde::Serialize;

use super::{StatusArgs, StatusFormat, load_config};
use crate::error::{Error, ExitStatus};
use crate::plan;

/// Run records consulted for failures.
const RUNS: usize = 100;

/// The state of one day of one dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum DayState {
    /// Complete and final.
    Complete,
    /// Complete but provisional (fetched again by the next `run` or `--resume`).
    Provisional,
    /// Not complete, and the latest run that tried it failed.
    Failed,
    /// Not complete, and no recent run tried it.
    Missing,
}

impl DayState {
    fn glyph(self) -> char {
        match self {
            DayState::Complete => '█',
            DayState::Provisional => '▒',
            DayState::Failed => '✗',
            DayState::Missing => '·',
        }
    }
}

#[derive(Debug, Serialize)]
struct Day {
    date: NaiveDate,
    state: DayState,
    rows: Option<u64>,
}

#[derive(Debug, Default, Serialize)]
struct Counts {
    complete: usize,
    provisional: usize,
    missing: usize,
    failed: usize,
    rows: u64,
}

#[derive(Debug, Serialize)]
struct DatasetCoverage {
    dataset: &'static str,
    counts: Counts,
    days: Vec<Day>,
}

/// A snapshot dataset (a list taken on the days runs happen): its latest snapshot, not a day grid.
#[derive(Debug, Serialize)]
struct SnapshotCoverage {
    dataset: &'static str,
    /// The latest snapshot's date (`None`: none taken yet, a gap).
    latest: Option<NaiveDate>,
    /// Its rows.
    rows: Option<u64>,
    /// Snapshots kept.
    snapshots: usize,
}

#[derive(Debug, Serialize)]
struct SourceCoverage {
    source: &'static str,
    tenant: String,
    from: NaiveDate,
    to: NaiveDate,
    datasets: Vec<DatasetCoverage>,
    snapshots: Vec<SnapshotCoverage>,
}

#[derive(Debug, Serialize)]
struct Coverage {
    output: String,
    sources: Vec<SourceCoverage>,
    /// Days missing or failed, in all.
    gaps: usize,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Runs `ccetl status`.
pub fn run(config_path: &Path, args: StatusArgs) -> Result<ExitStatus, Error> {
    let config = load_config(config_path)?;
    let filter = args.sources.filter();
    let wanted = plan::parse_datasets(&args.sources.datasets)?;
    let root = config.output(args.output.as_deref())?;
    root.probe()
        .map_err(|e| plan::unreadable_output(&root, e))?;
    // The latest run's verdict on each slice: (vendor, tenant, dataset, date) → failed?
    let mut verdicts: BTreeMap<(String, String, String, String), bool> = BTreeMap::new();
    for record in crate::sink::recent_run_records(&root, RUNS) {
        for s in record["slices"].as_array().into_iter().flatten() {
            let key = |k: &str| s[k].as_str().unwrap_or_default().to_string();
            verdicts
                .entry((key("source"), key("tenant"), key("dataset"), key("date")))
                .or_insert(s["status"] == "failed");
        }
    }
    let mut coverage = Coverage {
        output: root.to_string(),
        sources: Vec::new(),
        gaps: 0,
    };
    for source in plan::outline_sources(&config, &filter)? {
        let yesterday = Utc::now()
            .with_timezone(&source.time_zone)
            .date_naive()
            .pred_opt()
            .unwrap_or(NaiveDate::MIN);
        let to = args.to.unwrap_or(yesterday);
        let from = args
            .from
            .unwrap_or_else(|| to.checked_sub_days(Days::new(29)).unwrap_or(to));
        if from > to {
            return Err(Error::Usage(format!(
                "--from {from} is after --to {to}: the range is inclusive, so give the earlier date first"
            )));
        }
        let mut datasets = Vec::new();
        let mut snapshots = Vec::new();
        for dataset in source
            .datasets
            .iter()
            .filter(|d| wanted.is_empty() || wanted.contains(d))
        {
            let partitions =
                crate::sink::partitions(&root, *dataset, source.vendor, &source.tenant);
            if dataset.is_snapshot() {
                // Only days with a run have one: a day without is no gap, a list never taken is.
                let latest = partitions.iter().next_back();
                if latest.is_none() {
                    coverage.gaps += 1;
                }
                snapshots.push(SnapshotCoverage {
                    dataset: dataset.name(),
                    latest: latest.map(|(d, _)| *d),
                    rows: latest.map(|(_, p)| p.rows),
                    snapshots: partitions.len(),
                });
                continue;
            }
            let mut counts = Counts::default();
            let mut days = Vec::new();
            for date in from.iter_days().take_while(|d| *d <= to) {
                let (state, rows) = match partitions.get(&date) {
                    Some(p) if p.is_final => (DayState::Complete, Some(p.rows)),
                    Some(p) => (DayState::Provisional, Some(p.rows)),
                    None => {
                        let key = (
                            source.vendor.to_string(),
                            source.tenant.clone(),
                            dataset.name().to_string(),
                            date.to_string(),
                        );
                        if verdicts.get(&key) == Some(&true) {
                            (DayState::Failed, None)
                        } else {
                            (DayState::Missing, None)
                        }
                    }
                };
                match state {
                    DayState::Complete => counts.complete += 1,
                    DayState::Provisional => counts.provisional += 1,
                    DayState::Failed => counts.failed += 1,
                    DayState::Missing => counts.missing += 1,
                }
                counts.rows += rows.unwrap_or(0);
                days.push(Day { date, state, rows });
            }
            coverage.gaps += counts.missing + counts.failed;
            datasets.push(DatasetCoverage {
                dataset: dataset.name(),
                counts,
                days,
            });
        }
        coverage.sources.push(SourceCoverage {
            source: source.vendor,
            tenant: source.tenant,
            from,
            to,
            datasets,
            snapshots,
        });
    }
    match args.format {
        StatusFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&coverage).unwrap_or_default()
        ),
        StatusFormat::Text => out!("{}", describe(&coverage)),
    }
    Ok(if coverage.gaps > 0 {
        ExitStatus::SlicesFailed
    } else {
        ExitStatus::Success
    })
}

fn describe(coverage: &Coverage) -> String {
    let mut out = format!("{}\n", coverage.output);
    for s in &coverage.sources {
        let days = (s.to - s.from).num_days() + 1;
        out.push_str(&format!(
            "{}.{}  {} … {} ({})\n",
            s.source,
            s.tenant,
            s.from,
            s.to,
            plural(days as usize, "day", "days")
        ));
        for d in &s.datasets {
            let c = &d.counts;
            out.push_str(&format!(
                "  {:<16} {} complete, {} provisional, {} missing, {} failed; {}\n",
                d.dataset,
                c.complete,
                c.provisional,
                c.missing,
                c.failed,
                plural(c.rows as usize, "row", "rows")
            ));
            let calendar: String = d.days.iter().map(|day| day.state.glyph()).collect();
            out.push_str(&format!("  {:<16} {calendar}\n", ""));
        }
        for snap in &s.snapshots {
            match snap.latest {
                Some(latest) => out.push_str(&format!(
                    "  {:<16} snapshot of {latest}, {} ({} kept)\n",
                    snap.dataset,
                    plural(snap.rows.unwrap_or(0) as usize, "row", "rows"),
                    snap.snapshots
                )),
                None => out.push_str(&format!(
                    "  {:<16} no snapshot yet (the next run takes one)\n",
                    snap.dataset
                )),
            }
        }
    }
    out.push_str(&format!(
        "█ complete  ▒ provisional  ✗ failed  · missing — {}\n",
        if coverage.gaps == 0 {
            "no gaps".to_string()
        } else {
            format!("{} to fetch", plural(coverage.gaps, "gap", "gaps"))
        }
    ));
    out
}
