//! The outcome of a run: what was written, what failed and why, per source and in total, and the
//! exit code a scheduler sees.
//!
//! Exit policy with several sources: 0 when every slice was written (or skipped as complete);
//! 3 only when every source's credentials were refused; 4 when every slice failed on the API;
//! otherwise 1. Each failed slice is named, so one tenant's failure never hides in a total.

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::ExitStatus;
use crate::sources::SourceStats;

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
    /// A bug: a panic or a broken invariant, caught at the slice's boundary.
    Internal,
    /// The run was asked to stop (SIGINT, SIGTERM) before the slice was written.
    Stopped,
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

/// How a slice ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SliceStatus {
    /// Its partition was written.
    Written,
    /// Its partition was complete already (`--resume`).
    Skipped,
    /// It failed (see `kind` and `error`).
    Failed,
}

/// One slice of the run, as the run record lists it.
#[derive(Debug, Clone, Serialize)]
pub struct SliceRecord {
    /// Vendor.
    pub source: &'static str,
    /// Tenant.
    pub tenant: String,
    /// Dataset.
    pub dataset: &'static str,
    /// Business date.
    pub date: NaiveDate,
    /// How it ended.
    pub status: SliceStatus,
    /// The partition's folder, relative to the output root.
    pub partition: String,
    /// Rows written (written slices).
    pub rows: Option<u64>,
    /// Bytes of the data file (written slices).
    pub bytes: Option<u64>,
    /// Whether the partition is final (written slices).
    #[serde(rename = "final")]
    pub is_final: Option<bool>,
    /// API requests the slice sent (written slices; the source's totals count every request).
    pub requests: u64,
    /// Why it failed.
    pub kind: Option<FailureKind>,
    /// The error message.
    pub error: Option<String>,
}

/// One (source, tenant)'s part of the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceSummary {
    /// Vendor.
    pub source: &'static str,
    /// Tenant.
    pub tenant: String,
    /// Partitions written.
    pub written: usize,
    /// Partitions skipped because they were complete.
    pub skipped: usize,
    /// Written partitions that are provisional (fetched again by the next `run` or `--resume`).
    pub provisional: usize,
    /// Slices that failed.
    pub failed: usize,
    /// Records received but not turned into rows, by reason.
    pub skipped_records: std::collections::BTreeMap<String, u64>,
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
    /// Set when the source's credentials were refused (at connect or during the run).
    pub auth_error: Option<String>,
}

impl SourceSummary {
    /// `vendor.tenant`.
    pub fn label(&self) -> String {
        format!("{}.{}", self.source, self.tenant)
    }

    /// Adds a source's client counters.
    pub fn add_stats(&mut self, stats: SourceStats) {
        self.requests += stats.requests;
        self.throttled += stats.throttled;
        self.retries += stats.retries;
        self.tokens += stats.tokens;
    }
}

/// `1 slice`, `2 slices`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The version of the run record's JSON shape (README "Run records"); a field removed or
/// renamed changes it, a field added does not.
pub const RUN_RECORD_VERSION: u32 = 1;

/// The outcome of a run, printed as one line (or JSON) for schedulers, and kept as its run
/// record (`<output>/_ccetl/runs/<run id>.json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    /// [`RUN_RECORD_VERSION`].
    pub record_version: u32,
    /// Run id (also in every manifest).
    pub run_id: String,
    /// Partitions written.
    pub written: usize,
    /// Partitions skipped because they were complete (resume).
    pub skipped: usize,
    /// Written partitions that are provisional.
    pub provisional: usize,
    /// Records received but not turned into rows, by reason.
    pub skipped_records: std::collections::BTreeMap<String, u64>,
    /// Slices that failed, sorted by source, tenant, dataset and date.
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
    /// The first source's refused credentials, if any (every source's is in `sources`).
    pub auth_error: Option<String>,
    /// Per (source, tenant), in plan order.
    pub sources: Vec<SourceSummary>,
    /// Set when the run was asked to stop (`SIGINT`, `SIGTERM`).
    pub stopped_by: Option<String>,
    /// When the run started and ended (UTC).
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the run ended (UTC).
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The command line (`backfill --from … --to …`), when the CLI ran it.
    pub command: Vec<String>,
    /// Every slice, sorted by source, tenant, dataset and date.
    pub slices: Vec<SliceRecord>,
}

impl RunSummary {
    /// Totals from the per-source parts, and failures in a stable order.
    pub fn finish(&mut self) {
        self.written = self.sources.iter().map(|s| s.written).sum();
        self.skipped = self.sources.iter().map(|s| s.skipped).sum();
        self.provisional = self.sources.iter().map(|s| s.provisional).sum();
        self.skipped_records.clear();
        for s in &self.sources {
            for (reason, n) in &s.skipped_records {
                *self.skipped_records.entry(reason.clone()).or_default() += n;
            }
        }
        self.rows = self.sources.iter().map(|s| s.rows).sum();
        self.requests = self.sources.iter().map(|s| s.requests).sum();
        self.throttled = self.sources.iter().map(|s| s.throttled).sum();
        self.retries = self.sources.iter().map(|s| s.retries).sum();
        self.tokens = self.sources.iter().map(|s| s.tokens).sum();
        self.auth_error = self.sources.iter().find_map(|s| s.auth_error.clone());
        self.slices.sort_by(|a, b| {
            (a.source, &a.tenant, a.dataset, a.date).cmp(&(b.source, &b.tenant, b.dataset, b.date))
        });
        self.failed.sort_by(|a, b| {
            (a.source, &a.tenant, a.dataset, a.date).cmp(&(b.source, &b.tenant, b.dataset, b.date))
        });
    }

    /// The exit code of this outcome.
    pub fn exit_status(&self) -> ExitStatus {
        match self.stopped_by.as_deref() {
            Some("SIGINT") => return ExitStatus::Interrupted,
            Some(_) => return ExitStatus::Terminated,
            None => {}
        }
        if !self.sources.is_empty() && self.sources.iter().all(|s| s.auth_error.is_some()) {
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

    /// `ccetl: 7 slices written, 0 skipped, 2 failed (vendor.acme 2); 2016 rows; 8 requests, 0 throttled (429), 0 retries, 1 token; 1.3 s`.
    pub fn one_line(&self) -> String {
        let failing: Vec<String> = self
            .sources
            .iter()
            .filter(|s| s.failed > 0)
            .map(|s| format!("{} {}", s.label(), s.failed))
            .collect();
        format!(
            "ccetl: {} written, {} skipped, {} failed{}{}; {}{}; {}, {} throttled (429), {}, {}; {:.1} s{}",
            plural(self.written as u64, "slice", "slices"),
            self.skipped,
            self.failed.len(),
            if failing.is_empty() {
                String::new()
            } else {
                format!(" ({})", failing.join(", "))
            },
            if self.provisional > 0 {
                format!("; {} provisional", self.provisional)
            } else {
                String::new()
            },
            plural(self.rows, "row", "rows"),
            if self.skipped_records.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} skipped: {})",
                    plural(
                        self.skipped_records.values().sum::<u64>(),
                        "record",
                        "records"
                    ),
                    self.skipped_records
                        .iter()
                        .map(|(k, n)| format!("{k} {n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            plural(self.requests, "request", "requests"),
            self.throttled,
            plural(self.retries, "retry", "retries"),
            plural(self.tokens, "token", "tokens"),
            self.elapsed_secs,
            match &self.stopped_by {
                Some(signal) => format!("; stopped by {signal}"),
                None => String::new(),
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(tenant: &str, written: usize, failed: usize, auth: bool) -> SourceSummary {
        SourceSummary {
            source: "vendor",
            tenant: tenant.into(),
            written,
            failed,
            auth_error: auth.then(|| "refused".to_string()),
            ..Default::default()
        }
    }

    fn failure(tenant: &str, kind: FailureKind) -> SliceFailure {
        SliceFailure {
            source: "vendor",
            tenant: tenant.into(),
            dataset: "contacts",
            date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
            kind,
            error: "x".into(),
        }
    }

    fn summary(sources: Vec<SourceSummary>, failed: Vec<SliceFailure>) -> RunSummary {
        let mut s = RunSummary {
            sources,
            failed,
            ..Default::default()
        };
        s.finish();
        s
    }

    #[test]
    fn exit_codes_with_several_sources() {
        let ok = summary(vec![source("a", 3, 0, false)], vec![]);
        assert_eq!(ok.exit_status(), ExitStatus::Success);
        let one_refused = summary(
            vec![source("a", 3, 0, false), source("b", 0, 3, true)],
            vec![failure("b", FailureKind::Auth); 3],
        );
        assert_eq!(one_refused.exit_status(), ExitStatus::SlicesFailed);
        assert!(
            one_refused.one_line().contains("3 failed (vendor.b 3)"),
            "{}",
            one_refused.one_line()
        );
        let all_refused = summary(
            vec![source("a", 0, 3, true), source("b", 0, 3, true)],
            vec![
                failure("a", FailureKind::Auth),
                failure("b", FailureKind::Auth),
            ],
        );
        assert_eq!(all_refused.exit_status(), ExitStatus::Auth);
        let api_down = summary(
            vec![source("a", 0, 1, false), source("b", 0, 1, false)],
            vec![
                failure("a", FailureKind::Api),
                failure("b", FailureKind::Api),
            ],
        );
        assert_eq!(api_down.exit_status(), ExitStatus::Api);
        let mixed = summary(
            vec![source("a", 0, 1, false), source("b", 0, 1, true)],
            vec![
                failure("a", FailureKind::Api),
                failure("b", FailureKind::Auth),
            ],
        );
        assert_eq!(mixed.exit_status(), ExitStatus::SlicesFailed);
    }

    #[test]
    fn the_summary_line_counts_in_words_that_agree() {
        let mut one = summary(vec![source("a", 1, 0, false)], vec![]);
        one.rows = 1;
        one.requests = 1;
        one.tokens = 1;
        let line = one.one_line();
        assert!(
            line.starts_with("ccetl: 1 slice written, 0 skipped, 0 failed; 1 row; 1 request, 0 throttled (429), 0 retries, 1 token;"),
            "{line}"
        );
        let mut many = summary(vec![source("a", 12, 0, false)], vec![]);
        many.rows = 2016;
        let line = many.one_line();
        assert!(
            line.contains("12 slices written") && line.contains("2016 rows"),
            "{line}"
        );
    }
}
