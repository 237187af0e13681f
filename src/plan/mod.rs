//! Parse → plan → run: the plan is the configuration and the command line, validated and resolved
//! (every vendor's sections read by the vendor, credentials read, dates turned into UTC intervals,
//! the selection applied). After planning nothing fails because of configuration.
//!
//! This module knows no vendor: it asks the registry ([`crate::sources::VENDORS`]) to read their
//! sections, and works on what they hand back.

pub mod dates;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

pub use dates::{DateSelection, MAX_RANGE_DAYS, day_interval};

use crate::config::{ConfigError, ConfigFile, Environment, SHARED_SECTIONS, value_error};
use crate::sink::Output;
use crate::sources::{ConfiguredSource, SourceSettings, VENDORS};
use crate::transform::{Dataset, PersonalData, Pseudonymizer};

/// What to do with partitions that already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Fetch and replace every planned partition.
    Replace,
    /// Skip partitions already complete with the same query and schema (resume a backfill).
    Resume,
}

/// One (source, tenant) of the plan: what to fetch, and how to reach it.
pub struct SourcePlan {
    /// The tenant name (partition path `tenant=`).
    pub tenant: String,
    /// Time zone of business dates.
    pub time_zone: Tz,
    /// The slices to fetch: (dataset, date), date by date.
    pub slices: Vec<(Dataset, NaiveDate)>,
    /// The vendor's validated settings.
    pub settings: Arc<dyn SourceSettings>,
}

/// Every fact dataset on every date, date by date, and every snapshot dataset once, on `today`
/// (a list is as it is now, whatever dates a run covers); each (dataset, date) once: two slices
/// of one partition would write over each other.
fn grid(datasets: &[Dataset], dates: &[NaiveDate], today: NaiveDate) -> Vec<(Dataset, NaiveDate)> {
    let mut seen = std::collections::HashSet::new();
    let facts: Vec<Dataset> = datasets
        .iter()
        .copied()
        .filter(|d| !d.is_snapshot())
        .collect();
    let mut slices: Vec<(Dataset, NaiveDate)> = dates
        .iter()
        .flat_map(|date| facts.iter().map(move |d| (*d, *date)))
        .collect();
    slices.extend(
        datasets
            .iter()
            .filter(|d| d.is_snapshot())
            .map(|d| (*d, today)),
    );
    slices.retain(|slice| seen.insert(*slice));
    slices
}

impl SourcePlan {
    /// A source of `settings`' vendor: every fact dataset on every date, and the snapshot
    /// datasets on today (in `time_zone`).
    pub fn new(
        tenant: impl Into<String>,
        settings: impl SourceSettings + 'static,
        time_zone: Tz,
        datasets: Vec<Dataset>,
        dates: Vec<NaiveDate>,
    ) -> Self {
        Self {
            tenant: tenant.into(),
            time_zone,
            slices: grid(
                &datasets,
                &dates,
                Utc::now().with_timezone(&time_zone).date_naive(),
            ),
            settings: Arc::new(settings),
        }
    }

    /// The first and last date of the slices.
    pub fn date_range(&self) -> Option<(NaiveDate, NaiveDate)> {
        let first = self.slices.iter().map(|(_, d)| *d).min()?;
        let last = self.slices.iter().map(|(_, d)| *d).max()?;
        Some((first, last))
    }

    /// The vendor's registered name: the partition path's `source=`.
    pub fn vendor(&self) -> &'static str {
        self.settings.vendor()
    }

    /// `vendor.tenant`, how messages name the source.
    pub fn label(&self) -> String {
        format!("{}.{}", self.vendor(), self.tenant)
    }

    /// Slices of this source.
    pub fn slice_count(&self) -> usize {
        self.slices.len()
    }
}

/// The validated plan of a run.
pub struct Plan {
    /// Sources with their slices.
    pub sources: Vec<SourcePlan>,
    /// Where the datasets go (a local folder or a store prefix).
    pub output: Output,
    /// Slices in flight per source.
    pub concurrency: usize,
    /// Slices in flight across all sources.
    pub max_slices_in_flight: usize,
    /// Replace or resume.
    pub write_mode: WriteMode,
    /// The personal-data policy.
    pub privacy: Pseudonymizer,
    /// How long slices in flight may finish after a stop is asked for.
    pub stop_grace: std::time::Duration,
    /// The command line that asked for it (for the run record).
    pub command: Vec<String>,
}

impl Plan {
    /// A plan of `sources` into `output` (a local folder: a `PathBuf` or `&Path` will do) with
    /// the default scheduling, replacing partitions and dropping personal data (set `privacy` to
    /// keep or pseudonymise it).
    pub fn new(sources: Vec<SourcePlan>, output: impl Into<Output>) -> Self {
        Self {
            sources,
            output: output.into(),
            concurrency: 4,
            max_slices_in_flight: 16,
            write_mode: WriteMode::Replace,
            privacy: drop_personal_data(),
            stop_grace: std::time::Duration::from_secs(30),
            command: Vec::new(),
        }
    }

    /// Number of slices.
    pub fn slice_count(&self) -> usize {
        self.sources.iter().map(SourcePlan::slice_count).sum()
    }
}

/// The policy when no dataset holds personal data.
fn drop_personal_data() -> Pseudonymizer {
    Pseudonymizer::dropping()
}

/// What `run` adds to its days so that missed nights are caught up: for one source's dataset,
/// every day since its first partition that is missing, and every provisional one, within the
/// `max_days` days that end yesterday (beyond them, a warning names the backfill to run).
struct CatchUp<'a> {
    output: &'a Output,
    vendor: &'static str,
    tenant: &'a str,
    yesterday: NaiveDate,
    max_days: u32,
}

impl CatchUp<'_> {
    fn dates(&self, dataset: Dataset) -> Vec<NaiveDate> {
        let states = crate::sink::partition_states(self.output, dataset, self.vendor, self.tenant);
        let window_start = self
            .yesterday
            .checked_sub_days(chrono::Days::new(u64::from(self.max_days.max(1)) - 1))
            .unwrap_or(self.yesterday);
        let mut dates: Vec<NaiveDate> = states
            .iter()
            .filter(|(d, is_final)| !**is_final && **d >= window_start && **d <= self.yesterday)
            .map(|(d, _)| *d)
            .collect();
        // Missing days count from the first partition there is: a fresh output has nothing to
        // catch up, and a gap is a gap whether or not a final day follows it.
        if let Some(earliest) = states.keys().next().copied() {
            dates.extend(
                earliest
                    .max(window_start)
                    .iter_days()
                    .take_while(|d| *d <= self.yesterday)
                    .filter(|d| !states.contains_key(d)),
            );
            let before_window = earliest
                .iter_days()
                .take_while(|d| *d < window_start)
                .find(|d| !states.contains_key(d));
            if let Some(first_missing) = before_window {
                let before = window_start.pred_opt().unwrap_or(window_start);
                tracing::warn!(
                    source = self.vendor,
                    tenant = self.tenant,
                    dataset = dataset.name(),
                    max_catchup_days = self.max_days,
                    "More days are missing than `run` catches up; run `ccetl backfill --from {first_missing} --to {before} --resume --tenant {} --dataset {}` for the rest.",
                    self.tenant,
                    dataset.name()
                );
            }
        }
        dates.sort();
        dates.dedup();
        dates
    }
}

/// Options from the command line that shape a plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Dates.
    pub dates: DateSelection,
    /// Which sources (all when empty).
    pub sources: SourceFilter,
    /// Only these datasets (empty = as configured).
    pub datasets: Vec<String>,
    /// Overrides `[output] dir`.
    pub output_dir: Option<PathBuf>,
    /// Overrides `[pipeline] concurrency`.
    pub concurrency: Option<usize>,
    /// Replace or resume.
    pub write_mode: WriteMode,
    /// "Today", for tests; `None` = the clock.
    pub now: Option<DateTime<Utc>>,
}

fn usage(message: String) -> crate::Error {
    crate::Error::Usage(message)
}

/// Tenant (and vendor) names become directory names and partition values: a letter first, then
/// letters, digits, `_` or `-`, so that every reader types them as strings (`0042` would read
/// as the number 42, `2026-11-01` as a date).
pub fn valid_partition_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The `[privacy]` policy; a key is required to pseudonymise.
fn privacy(config: &ConfigFile, env: &Environment) -> Result<Pseudonymizer, ConfigError> {
    let mode: PersonalData = config
        .privacy
        .personal_data
        .parse()
        .map_err(|message: String| value_error("privacy.personal_data", message))?;
    let key = match (&config.privacy.pseudonymize_key, mode) {
        (Some(k), _) => Some(env.secret("privacy.pseudonymize_key", k)?),
        (None, PersonalData::Pseudonymize) => {
            return Err(value_error(
                "privacy.pseudonymize_key",
                "contacts pseudonymises phone numbers with a keyed hash: set pseudonymize_key = { env = \"CCETL_PSEUDONYMIZE_KEY\" } (a long random string; keep it stable so hashes join across runs), or personal_data = \"drop\" (or \"raw\" to keep them)",
            ));
        }
        (None, _) => None,
    };
    Pseudonymizer::new(mode, key)
        .map_err(|message| value_error("privacy.pseudonymize_key", message))
}

/// Checks that every top-level table is a shared section or a registered vendor.
fn check_vendor_tables(config: &ConfigFile) -> Result<(), ConfigError> {
    for (name, line) in config.vendor_tables() {
        if crate::sources::vendor(name).is_none() {
            return Err(ConfigError::Invalid {
                path: config.path().to_path_buf(),
                location: format!(" line {line}"),
                message: format!(
                    "unknown section `{name}`; known: {}, {}",
                    SHARED_SECTIONS.join(", "),
                    VENDORS
                        .iter()
                        .map(|v| v.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// Every configured `vendor.tenant` (for selection and its messages).
fn configured_tenants(config: &ConfigFile) -> Result<Vec<(&'static str, String)>, ConfigError> {
    let mut all = Vec::new();
    for v in VENDORS {
        for tenant in config.tenants::<toml::Table>(v.name())?.into_keys() {
            all.push((v.name(), tenant));
        }
    }
    Ok(all)
}

/// One shard of N (`--shard K/N`, `CCETL_SHARD`): the (source, tenant) pairs a stable hash of
/// `vendor.tenant` assigns to shard K, K counting from 0 like Kubernetes'
/// `JOB_COMPLETION_INDEX`. Every copy of a scheduler's job reads the same configuration, takes its
/// own shard, and none shares a source with another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, 0 to `count − 1`.
    pub index: u32,
    /// How many.
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "{text:?} is not a shard: K/N with 0 <= K < N (e.g. 0/4; K counts from 0, like JOB_COMPLETION_INDEX)"
            )
        };
        let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The shard `vendor.tenant` belongs to: the first 8 bytes of its SHA-256, modulo the count
    /// (the same on every machine and release, whatever else the configuration holds).
    pub fn of(vendor: &str, tenant: &str, count: u32) -> u32 {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(format!("{vendor}.{tenant}").as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32
    }

    /// Whether this shard runs `vendor.tenant`.
    pub fn owns(&self, vendor: &str, tenant: &str) -> bool {
        Self::of(vendor, tenant, self.count) == self.index
    }
}

/// Which sources a command covers: `--source genesys.acme` (one tenant of one vendor),
/// `--source genesys` (every tenant of a vendor), `--tenant acme` (that tenant of any vendor);
/// nothing given means all; `--shard` keeps this shard's part of that.
#[derive(Debug, Clone, Default)]
pub struct SourceFilter {
    selectors: Vec<(Option<String>, Option<String>)>,
    shard: Option<Shard>,
}

impl SourceFilter {
    /// From `--source` and `--tenant` values (each may hold several, comma-separated).
    pub fn new(sources: &[String], tenants: &[String]) -> Self {
        let split = |values: &[String]| -> Vec<String> {
            values
                .iter()
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect()
        };
        let mut selectors: Vec<(Option<String>, Option<String>)> = split(sources)
            .into_iter()
            .map(|s| match s.split_once('.') {
                Some((vendor, tenant)) => (Some(vendor.to_string()), Some(tenant.to_string())),
                None => (Some(s), None),
            })
            .collect();
        selectors.extend(split(tenants).into_iter().map(|t| (None, Some(t))));
        Self {
            selectors,
            shard: None,
        }
    }

    /// The same sources, only those of `shard`.
    pub fn in_shard(mut self, shard: Option<Shard>) -> Self {
        self.shard = shard;
        self
    }

    /// The shard, if one is asked for.
    pub fn shard(&self) -> Option<Shard> {
        self.shard
    }

    /// Everything.
    pub fn all() -> Self {
        Self::default()
    }

    /// Whether `vendor.tenant` is selected.
    pub fn matches(&self, vendor: &str, tenant: &str) -> bool {
        let selected = self.selectors.is_empty()
            || self.selectors.iter().any(|(v, t)| {
                v.as_deref().is_none_or(|v| v == vendor) && t.as_deref().is_none_or(|t| t == tenant)
            });
        selected && self.shard.is_none_or(|s| s.owns(vendor, tenant))
    }

    /// Checks that every selector names something configured.
    fn check(&self, configured: &[(&'static str, String)]) -> Result<(), crate::Error> {
        let known = || {
            configured
                .iter()
                .map(|(v, t)| format!("{v}.{t}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (vendor, tenant) in &self.selectors {
            let hit = configured.iter().any(|(v, t)| {
                vendor.as_deref().is_none_or(|x| x == *v)
                    && tenant.as_deref().is_none_or(|x| x == t)
            });
            if !hit {
                let flag = match (vendor, tenant) {
                    (Some(v), Some(t)) => format!("--source {v}.{t}"),
                    (Some(v), None) => format!("--source {v}"),
                    (None, Some(t)) => format!("--tenant {t}"),
                    (None, None) => continue,
                };
                return Err(usage(format!(
                    "{flag}: no such source; configured: {}",
                    known()
                )));
            }
        }
        Ok(())
    }
}

/// A configured source as far as its table says, without resolving anything (no credential is
/// read): what `ccetl status` covers.
#[derive(Debug, Clone)]
pub struct SourceOutline {
    /// Vendor.
    pub vendor: &'static str,
    /// Tenant.
    pub tenant: String,
    /// Time zone of its business dates (UTC when the table's is not a zone).
    pub time_zone: Tz,
    /// Its datasets (the table's `datasets`, else all the vendor fills).
    pub datasets: Vec<Dataset>,
}

/// Every configured source `filter` selects, read without credentials.
pub fn outline_sources(
    config: &ConfigFile,
    filter: &SourceFilter,
) -> Result<Vec<SourceOutline>, crate::Error> {
    check_vendor_tables(config)?;
    filter.check(&configured_tenants(config)?)?;
    let mut out = Vec::new();
    for v in VENDORS {
        for (tenant, table) in config.tenants::<toml::Table>(v.name())? {
            if !filter.matches(v.name(), &tenant) {
                continue;
            }
            let time_zone = table
                .get("time_zone")
                .and_then(|z| z.as_str())
                .and_then(|z| z.parse().ok())
                .unwrap_or(Tz::UTC);
            let datasets = match table.get("datasets").and_then(|d| d.as_array()) {
                Some(names) => names
                    .iter()
                    .filter_map(|n| n.as_str().and_then(Dataset::parse))
                    .filter(|d| v.datasets().contains(d))
                    .collect(),
                None => v.datasets().to_vec(),
            };
            out.push(SourceOutline {
                vendor: v.name(),
                tenant,
                time_zone,
                datasets,
            });
        }
    }
    Ok(out)
}

/// Reads every vendor's sections that `filter` selects, checking tenant names.
pub fn configure_sources(
    config: &ConfigFile,
    env: &Environment,
    filter: &SourceFilter,
) -> Result<Vec<ConfiguredSource>, crate::Error> {
    check_vendor_tables(config)?;
    let env = &env.clone().relative_to(config.base_dir());
    let configured = configured_tenants(config)?;
    if configured.is_empty() {
        return Err(ConfigError::Value {
            key: VENDORS
                .first()
                .map(|v| v.name())
                .unwrap_or("sources")
                .into(),
            message: format!(
                "no source is configured; add a {} section (see ccetl.example.toml)",
                VENDORS
                    .iter()
                    .map(|v| format!("[{}.<tenant>]", v.name()))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        }
        .into());
    }
    filter.check(&configured)?;
    for (vendor, tenant) in &configured {
        if !valid_partition_name(tenant) {
            return Err(ConfigError::Value {
                key: format!("{vendor}.{tenant}"),
                message: "a tenant name starts with a letter, then letters, digits, '_' or '-' (it becomes the tenant= partition value, and readers would type a name like 0042 as a number); rename the section".into(),
            }
            .into());
        }
    }
    let mut sources = Vec::new();
    for v in VENDORS {
        let wanted = |tenant: &str| filter.matches(v.name(), tenant);
        sources.extend(v.configure(config, env, &wanted)?);
    }
    Ok(sources)
}

/// `--dataset` values (repeated, or comma-separated) as datasets; an unknown name is a usage
/// error that lists the known ones.
pub fn parse_datasets(values: &[String]) -> Result<Vec<Dataset>, crate::Error> {
    let mut datasets = Vec::new();
    for name in values.iter().flat_map(|v| v.split(',')).map(str::trim) {
        if name.is_empty() {
            continue;
        }
        let d = Dataset::parse(name).ok_or_else(|| {
            usage(format!(
                "--dataset {name}: unknown dataset; known: {}",
                Dataset::names()
            ))
        })?;
        if !datasets.contains(&d) {
            datasets.push(d);
        }
    }
    Ok(datasets)
}

/// What a store that cannot be read fails a command with (exit 1): the store's own message, and
/// where to look.
pub fn unreadable_output(output: &Output, e: crate::sink::StoreError) -> crate::Error {
    crate::Error::Runtime(format!(
        "cannot read the output {output}: {e}; check the store's credentials (the AWS_*, GOOGLE_* or AZURE_* variables, or the instance's identity), its endpoint and the bucket's name"
    ))
}

/// Builds the plan from a parsed configuration.
pub fn build(
    config: &ConfigFile,
    options: &PlanOptions,
    env: &Environment,
) -> Result<Plan, crate::Error> {
    let now = options.now.unwrap_or_else(Utc::now);
    let configured = configure_sources(config, env, &options.sources)?;
    let env = &env.clone().relative_to(config.base_dir());
    let wanted_datasets = parse_datasets(&options.datasets)?;
    let concurrency = options.concurrency.unwrap_or(config.pipeline.concurrency);
    if concurrency == 0 || concurrency > 64 {
        return Err(usage(format!(
            "concurrency {concurrency} is out of range (1 to 64)"
        )));
    }
    if config.pipeline.stop_grace_secs > 86_400 {
        return Err(ConfigError::Value {
            key: "pipeline.stop_grace_secs".into(),
            message: "at most 86400 (a day)".into(),
        }
        .into());
    }
    let max_slices_in_flight = config.pipeline.max_slices_in_flight;
    if max_slices_in_flight == 0 || max_slices_in_flight > 1024 {
        return Err(ConfigError::Value {
            key: "pipeline.max_slices_in_flight".into(),
            message: format!("{max_slices_in_flight} is out of range (1 to 1024)"),
        }
        .into());
    }
    let output = config.output(options.output_dir.as_deref())?;
    output.probe().map_err(|e| unreadable_output(&output, e))?;
    let mut sources = Vec::new();
    for ConfiguredSource {
        tenant,
        time_zone,
        mut datasets,
        settings,
    } in configured
    {
        if !wanted_datasets.is_empty() {
            datasets.retain(|d| wanted_datasets.contains(d));
        }
        let dates = dates::plan_dates(
            &options.dates,
            config.pipeline.lookback_days,
            time_zone,
            now,
        )?;
        let today = now.with_timezone(&time_zone).date_naive();
        let mut slices = grid(&datasets, &dates, today);
        if let DateSelection::Run { date: None, .. } = options.dates {
            let catch_up = CatchUp {
                output: &output,
                vendor: settings.vendor(),
                tenant: &tenant,
                yesterday: today.pred_opt().unwrap_or(today),
                max_days: config.pipeline.max_catchup_days,
            };
            // Snapshots are not caught up: a list cannot be read as it was.
            for dataset in datasets.iter().filter(|d| !d.is_snapshot()) {
                for date in catch_up.dates(*dataset) {
                    if !slices.contains(&(*dataset, date)) {
                        slices.push((*dataset, date));
                    }
                }
            }
            let order = |d: &Dataset| datasets.iter().position(|x| x == d);
            slices.sort_by_key(|(d, date)| (*date, order(d)));
        }
        sources.push(SourcePlan {
            tenant,
            time_zone,
            slices,
            settings,
        });
    }
    let holds_personal_data = sources.iter().any(|s| {
        s.slices
            .iter()
            .any(|(d, _)| d.columns().iter().any(|c| c.personal))
    });
    let privacy = if holds_personal_data {
        privacy(config, env)?
    } else {
        drop_personal_data()
    };
    Ok(Plan {
        sources,
        output,
        concurrency,
        max_slices_in_flight,
        write_mode: options.write_mode,
        privacy,
        stop_grace: std::time::Duration::from_secs(config.pipeline.stop_grace_secs),
        command: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn write_partition(root: &Path, date: NaiveDate, provisional: bool) {
        use crate::sink::{PartitionInfo, PartitionKey, PartitionWriter};
        use crate::transform::{QueueIntervalRow, Rows};
        let key = PartitionKey {
            dataset: Dataset::QueueIntervals,
            source: "genesys",
            tenant: "acme".into(),
            date,
        };
        let batch = Rows::from(vec![QueueIntervalRow::default()])
            .to_batch(&crate::transform::BatchContext::new(
                &Pseudonymizer::dropping(),
                "r",
                Utc::now(),
            ))
            .unwrap();
        let info = PartitionInfo {
            interval_start: Utc::now(),
            interval_end: Utc::now(),
            query: "q".into(),
            query_fingerprint: "f".into(),
            run_id: "r".into(),
            extracted_at: Utc::now(),
            details: Default::default(),
            skipped_records: Default::default(),
            provisional_reasons: if provisional {
                vec!["too soon".into()]
            } else {
                Vec::new()
            },
            requests: 1,
        };
        PartitionWriter::new(root)
            .write(&key, &batch, &info)
            .unwrap();
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn catch_up_fills_every_gap_after_the_last_final_day_and_every_provisional_one() {
        let root = tempfile::tempdir().unwrap();
        let output = Output::from(root.path());
        let catch_up = |max_days| CatchUp {
            output: &output,
            vendor: "genesys",
            tenant: "acme",
            yesterday: d("2026-11-20"),
            max_days,
        };
        assert!(
            catch_up(31).dates(Dataset::QueueIntervals).is_empty(),
            "nothing yet"
        );
        // Only provisional partitions: the gaps after the first still count.
        write_partition(root.path(), d("2026-11-16"), true);
        assert_eq!(
            catch_up(31).dates(Dataset::QueueIntervals),
            [
                "2026-11-16",
                "2026-11-17",
                "2026-11-18",
                "2026-11-19",
                "2026-11-20"
            ]
            .map(d)
        );
        // A final day later on: the gap and the provisional day before it count all the same.
        write_partition(root.path(), d("2026-11-18"), false);
        assert_eq!(
            catch_up(31).dates(Dataset::QueueIntervals),
            ["2026-11-16", "2026-11-17", "2026-11-19", "2026-11-20"].map(d)
        );
        // The window bounds it.
        assert_eq!(
            catch_up(2).dates(Dataset::QueueIntervals),
            ["2026-11-19", "2026-11-20"].map(d)
        );
    }

    /// `int.from_bytes(hashlib.sha256(b"genesys.t{i}").digest()[:8], "big") % 4` for i in 0..8,
    /// computed with Python.
    const PINNED_SHARDS: [u32; 8] = [3, 3, 0, 1, 3, 2, 3, 2];

    #[test]
    fn shards_split_the_sources_between_them_and_parse_strictly() {
        let tenants: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
        let count = 4;
        let mut seen = vec![0; count as usize];
        for t in &tenants {
            let owners: Vec<u32> = (0..count)
                .filter(|k| Shard { index: *k, count }.owns("genesys", t))
                .collect();
            assert_eq!(owners.len(), 1, "{t} belongs to exactly one shard");
            seen[owners[0] as usize] += 1;
        }
        assert!(
            seen.iter().all(|n| *n > 0),
            "every shard gets some: {seen:?}"
        );
        // Pinned: a release that moved tenants between shards would double or drop them.
        assert_eq!(
            Shard::of("genesys", "acme", 4),
            Shard::of("genesys", "acme", 4)
        );
        assert_eq!(
            (0..8)
                .map(|i| Shard::of("genesys", &format!("t{i}"), 4))
                .collect::<Vec<_>>(),
            PINNED_SHARDS
        );
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        for bad in ["4/4", "1", "a/4", "0/0", "-1/4"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let filter = SourceFilter::all().in_shard(Some(Shard { index: 0, count: 1 }));
        assert!(filter.matches("cxone", "anything"));
    }

    #[test]
    fn partition_names_read_as_strings() {
        for good in ["acme", "Acme-EU", "a0042", "x_1"] {
            assert!(valid_partition_name(good), "{good}");
        }
        for bad in [
            "0042",
            "",
            "-acme",
            "_acme",
            "acme.eu",
            "ac me",
            "2026-11-01",
            "é",
        ] {
            assert!(!valid_partition_name(bad), "{bad}");
        }
        for v in VENDORS {
            assert!(valid_partition_name(v.name()), "{}", v.name());
        }
    }

    #[test]
    fn a_tenant_named_like_a_number_is_refused_by_key() {
        let config = ConfigFile::parse(
            "[genesys.0042]\nregion = \"us_east_1\"\n",
            Path::new("ccetl.toml"),
        )
        .unwrap();
        let err = configure_sources(&config, &Environment::process(), &SourceFilter::all())
            .err()
            .expect("refused");
        assert_eq!(err.exit_status(), crate::ExitStatus::Usage);
        let message = err.to_string();
        assert!(
            message.starts_with("genesys.0042:") && message.contains("starts with a letter"),
            "{message}"
        );
    }

    #[test]
    fn an_unknown_top_level_table_names_its_line_and_the_known_ones() {
        let config = ConfigFile::parse(
            "[output]\ndir = \"out\"\n\n[genesis.acme]\nregion = \"us_east_1\"\n",
            Path::new("ccetl.toml"),
        )
        .unwrap();
        let message = configure_sources(&config, &Environment::process(), &SourceFilter::all())
            .err()
            .expect("refused")
            .to_string();
        assert!(
            message.contains("line 4")
                && message.contains("genesis")
                && message.contains("genesys, cxone"),
            "{message}"
        );
    }
}
