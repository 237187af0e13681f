//! Vendor APIs, each behind one trait, each in its own folder.
//!
//! A vendor ([`Vendor`]) reads its own `[<vendor>.<tenant>]` sections into validated settings
//! ([`SourceSettings`]); connecting them gives a [`Source`], which fetches one slice (dataset ×
//! day) at a time and hands the rows over as it goes, as the shared typed rows of
//! [`crate::transform`]. Everything a vendor is — its config section, API client, response
//! models, and the mapping of its responses to the shared rows — lives in its folder; the
//! pipeline knows only these traits. Adding a vendor is one folder and one line in
//! [`register_vendors!`] below.

pub mod lenient;
pub mod scan;
pub mod settings;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::auth::AuthError;
use crate::config::{ConfigError, ConfigFile, Environment};
use crate::http::ApiError;
use crate::transform::{Dataset, Rows, TransformError};

/// Declares the vendor modules and the registry of their [`Vendor`] values, one line each.
macro_rules! register_vendors {
    ($($module:ident => $vendor:ident),* $(,)?) => {
        $(pub mod $module;)*
        /// Every vendor ccetl can read, in the order `ccetl` lists them.
        pub static VENDORS: &[&dyn Vendor] = &[$(&$module::$vendor),*];
    };
}

register_vendors! {
    genesys => Genesys,
    cxone => Cxone,
}

/// The vendor registered as `name`.
pub fn vendor(name: &str) -> Option<&'static dyn Vendor> {
    VENDORS.iter().copied().find(|v| v.name() == name)
}

/// A future a trait object can return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A platform ccetl reads: its name, the datasets it fills, and how its configuration is read.
pub trait Vendor: Sync {
    /// `genesys`: the config table (`[genesys.<tenant>]`) and the `source=` partition value.
    fn name(&self) -> &'static str;
    /// How documentation names it: `Genesys`.
    fn title(&self) -> &'static str;
    /// The datasets it can fill.
    fn datasets(&self) -> &'static [Dataset];
    /// Reads and validates the sections of the tenants `wanted` selects; credentials are
    /// resolved here, so nothing fails later for configuration.
    fn configure(
        &self,
        config: &ConfigFile,
        env: &Environment,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<ConfiguredSource>, ConfigError>;
    /// Where each column of `dataset` comes from in this vendor's API, for the documentation:
    /// `(column, source field)` for every column of every dataset it fills.
    fn column_sources(&self, dataset: Dataset) -> &'static [(&'static str, &'static str)];
    /// The query files its tenants run (`ccetl queries`): one listing per tenant, or for `dir`
    /// alone when given. Vendors without query files list none.
    fn query_files(
        &self,
        config: Option<&ConfigFile>,
        dir: Option<&std::path::Path>,
    ) -> Result<Vec<QueryListing>, ConfigError> {
        let _ = (config, dir);
        Ok(Vec::new())
    }
}

/// One configured tenant of a vendor, validated, before connecting.
pub struct ConfiguredSource {
    /// The tenant name (partition path `tenant=`).
    pub tenant: String,
    /// Time zone of its business dates.
    pub time_zone: Tz,
    /// Datasets to extract (as configured; the command line may narrow them).
    pub datasets: Vec<Dataset>,
    /// How to reach it.
    pub settings: Arc<dyn SourceSettings>,
}

/// What a dataset's slices ask the API for: a name for people and a fingerprint of everything
/// that shapes the answer. Manifests record both; `--resume` re-fetches when the fingerprint moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPrint {
    /// Query or endpoint name(s).
    pub name: String,
    /// Hash of the request.
    pub fingerprint: String,
}

/// A tenant's validated settings: what its slices request, and how to connect.
pub trait SourceSettings: Send + Sync {
    /// The vendor's registered name (`genesys`).
    fn vendor(&self) -> &'static str;
    /// What `dataset`'s slices request.
    fn request(&self, dataset: Dataset) -> RequestPrint;
    /// How long after a day ends its data may still change (`settle_minutes`): a slice fetched
    /// sooner is provisional, and fetched again by the next `run` or `--resume`.
    fn settle_margin(&self) -> std::time::Duration;
    /// The request budget per minute (`requests_per_minute`), for estimates.
    fn requests_per_minute(&self) -> u32;
    /// Requests one slice of `dataset` costs when no earlier run says better (`--dry-run`
    /// prefers what the manifests of this tenant recorded).
    fn estimate_requests(&self, dataset: Dataset) -> u64;
    /// Datasets the fetch of `dataset` fills as well, from the same answers (`contacts` →
    /// `contact_segments`): when both are planned for a date, one fetch writes both partitions,
    /// so the second costs no request.
    fn companions(&self, dataset: Dataset) -> &'static [Dataset] {
        let _ = dataset;
        &[]
    }
    /// How many consecutive business days, starting on `date`, one fetch of `dataset` may cover
    /// (1: a fetch per day). A vendor whose bulk path costs per request, not per day (Genesys's
    /// async jobs), covers a backfill's old days with one fetch per this many days; every day
    /// still lands in its own partition.
    fn days_per_fetch(&self, dataset: Dataset, date: NaiveDate, today: NaiveDate) -> u32 {
        let _ = (dataset, date, today);
        1
    }
    /// Whether one fetch of `dataset` starting on `date` sends its page requests several at a
    /// time (Genesys's details query, whose first page tells how many follow). The pipeline runs
    /// such a fetch with all of `concurrency` to itself ([`SliceRequest::requests_at_once`]):
    /// the requests in flight are the same, and memory holds one day's rows, not `concurrency`
    /// days'.
    fn pages_at_once(&self, dataset: Dataset, date: NaiveDate, today: NaiveDate) -> bool {
        let _ = (dataset, date, today);
        false
    }
    /// Builds the rate-limited client; vendors that need a token to find their API sign in here.
    fn connect(&self) -> BoxFuture<'_, Result<Arc<dyn Source>, SourceError>>;
}

/// A connected tenant: one OAuth client, one quota, many slices.
pub trait Source: Send + Sync {
    /// Obtains a token (cached for the slices): where it came from, for `ccetl check`.
    fn check(&self) -> BoxFuture<'_, Result<String, AuthError>>;
    /// Fetches one slice, handing rows to `rows` as they arrive (so memory holds a page, not a
    /// day), and reports the facts a manifest records.
    fn fetch<'a>(
        &'a self,
        slice: &'a SliceRequest,
        rows: RowSender,
    ) -> BoxFuture<'a, Result<SliceReport, SourceError>>;
    /// Requests, 429s, retries and tokens so far.
    fn stats(&self) -> SourceStats;
}

/// One slice to fetch: a dataset over one business day, or over consecutive days when the
/// vendor fetches several at once ([`SourceSettings::days_per_fetch`]).
#[derive(Debug, Clone)]
pub struct SliceRequest {
    /// The dataset.
    pub dataset: Dataset,
    /// The business date (the first, when the fetch covers several).
    pub date: NaiveDate,
    /// Every business date the fetch covers, in order, `date` first (most fetches: just `date`).
    pub dates: Vec<NaiveDate>,
    /// The time zone that defines it.
    pub time_zone: Tz,
    /// UTC start of the (first) day.
    pub start: DateTime<Utc>,
    /// UTC end of the (last) day (exclusive; 23 or 25 hours after its start on DST days).
    pub end: DateTime<Utc>,
    /// Today in the same time zone (how old the slice is decides some vendors' method).
    pub today: NaiveDate,
    /// Companions of `dataset` planned for the same date ([`SourceSettings::companions`]): the
    /// fetch sends their rows too.
    pub also: Vec<Dataset>,
    /// Requests the fetch may have in flight at once: 1, or the source's `concurrency` for a
    /// fetch that pages several at a time ([`SourceSettings::pages_at_once`]).
    pub requests_at_once: usize,
}

impl SliceRequest {
    /// Whether the fetch should produce rows of `dataset` (the slice's own, or a companion).
    pub fn wants(&self, dataset: Dataset) -> bool {
        self.dataset == dataset || self.also.contains(&dataset)
    }
}

/// What a fetch of several days found out about one of them: its skipped records and why it
/// may still change (the manifest of that day's partition records these instead of the fetch's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayReport {
    /// Records not turned into rows that belong to this day, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Why this day's data may still change.
    pub provisional: Vec<String>,
}

/// What fetching a slice found out, for its manifest: facts (method used, windows split, …),
/// the records that did not become rows and why, and whether the data may still change.
#[derive(Debug, Clone, Default)]
pub struct SliceReport {
    /// What belongs to each day the fetch covers (a day absent here has nothing of its own);
    /// `skipped` and `provisional` below hold what belongs to no single day.
    pub days: BTreeMap<NaiveDate, DayReport>,
    /// Dataset-specific facts.
    pub details: BTreeMap<String, Value>,
    /// Records not turned into rows, by reason (`duplicate`, `ongoing`, `outside_slice`, …).
    pub skipped: BTreeMap<String, u64>,
    /// Why the data may still change (a conversation still going on, …); empty when the source
    /// knows of no reason. The pipeline adds its own (a day too recent).
    pub provisional: Vec<String>,
}

/// Counters of one source's client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// API requests sent.
    pub requests: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Retries.
    pub retries: u64,
    /// Tokens fetched.
    pub tokens: u64,
}

impl SourceStats {
    /// The counters of a source's client.
    pub fn of(client: &crate::http::ApiClient) -> Self {
        let (requests, throttled, retries, _) = client.stats().snapshot();
        Self {
            requests,
            throttled,
            retries,
            tokens: client.tokens().fetch_count(),
        }
    }
}

/// Where a source hands its rows: a bounded channel to the partition writer(s), so a source that
/// fetches faster than rows are written waits instead of buffering a day.
pub struct RowSender {
    datasets: Vec<Dataset>,
    dates: Vec<NaiveDate>,
    tx: mpsc::Sender<(NaiveDate, Rows)>,
}

impl RowSender {
    /// A sender for the rows of `datasets` (a slice's own and its companions) on `dates` (the
    /// first is the slice's own) and the receiving end, holding at most `capacity` chunks.
    pub fn channel(
        datasets: Vec<Dataset>,
        dates: Vec<NaiveDate>,
        capacity: usize,
    ) -> (RowSender, mpsc::Receiver<(NaiveDate, Rows)>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (
            RowSender {
                datasets,
                dates,
                tx,
            },
            rx,
        )
    }

    /// Hands over a chunk of rows of the slice's (first) date (waits while the writer is
    /// behind). Fails when the writer has stopped (its own error explains why), or for rows of
    /// a dataset the slice does not write.
    pub async fn send(&self, rows: impl Into<Rows>) -> Result<(), SourceError> {
        let Some(date) = self.dates.first().copied() else {
            return Err(SourceError::Internal("a slice without a date".into()));
        };
        self.send_for(date, rows).await
    }

    /// Hands over a chunk of rows of `date`, one of the dates of a fetch of several days.
    pub async fn send_for(
        &self,
        date: NaiveDate,
        rows: impl Into<Rows>,
    ) -> Result<(), SourceError> {
        if !self.dates.contains(&date) {
            return Err(SourceError::Internal(format!(
                "a fetch of {} produced rows of {date}",
                self.dates
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let rows = rows.into();
        if !self.datasets.contains(&rows.dataset()) {
            return Err(SourceError::Internal(format!(
                "a {} slice produced {} rows",
                self.datasets
                    .iter()
                    .map(|d| d.name())
                    .collect::<Vec<_>>()
                    .join(" + "),
                rows.dataset().name()
            )));
        }
        if rows.is_empty() {
            return Ok(());
        }
        self.tx
            .send((date, rows))
            .await
            .map_err(|_| SourceError::Stopped)
    }
}

/// The first sight of each id of a list that may repeat an entity (a list that shifted while it
/// was paged, two requests that overlap), with the repeats counted for the manifest.
#[derive(Debug, Default)]
pub struct FirstSight {
    seen: std::collections::HashSet<String>,
    duplicates: u64,
}

impl FirstSight {
    /// Whether the entity with `id` is seen for the first time (one without an id is kept: its
    /// mapping refuses it with a clear error).
    pub fn keep(&mut self, id: Option<String>) -> bool {
        match id {
            Some(id) if self.seen.contains(&id) => {
                self.duplicates += 1;
                false
            }
            Some(id) => {
                self.seen.insert(id);
                true
            }
            None => true,
        }
    }

    /// Whether `id` was seen.
    pub fn has(&self, id: &str) -> bool {
        self.seen.contains(id)
    }

    /// The repeats, as a manifest's skipped records (`duplicate`).
    pub fn skipped(&self) -> BTreeMap<String, u64> {
        let mut skipped = BTreeMap::new();
        if self.duplicates > 0 {
            skipped.insert("duplicate".to_string(), self.duplicates);
        }
        skipped
    }
}

/// Why a source could not connect or fetch a slice.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// No token: credentials refused, or the token endpoint unreachable.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The API failed permanently, or retries ran out (boxed: the variant is large and rare).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// One named query of several failed.
    #[error("query {query}: {error}")]
    Query {
        /// The query.
        query: String,
        /// What happened.
        error: Box<ApiError>,
    },
    /// An answer could not become rows.
    #[error(transparent)]
    Transform(#[from] TransformError),
    /// The partition writer stopped taking rows (its error explains why).
    #[error("the partition writer stopped taking rows")]
    Stopped,
    /// A bug or a broken environment (no HTTP client, mismatched rows).
    #[error("{0}")]
    Internal(String),
}

impl From<ApiError> for SourceError {
    fn from(e: ApiError) -> Self {
        SourceError::Api(Box::new(e))
    }
}

impl SourceError {
    /// Whether the failure is about credentials or tokens (exit code 3).
    pub fn is_auth(&self) -> bool {
        match self {
            SourceError::Auth(e) => !e.is_unavailable(),
            SourceError::Api(e) | SourceError::Query { error: e, .. } => e.is_auth(),
            _ => false,
        }
    }

    /// Whether the failure is the API's (retries ran out, a request refused).
    pub fn is_api(&self) -> bool {
        let reachable = matches!(self, SourceError::Auth(e) if e.is_unavailable());
        (reachable || matches!(self, SourceError::Api(_) | SourceError::Query { .. }))
            && !self.is_auth()
    }

    /// `error` in the context of `query`.
    pub fn in_query(query: &str, error: ApiError) -> Self {
        SourceError::Query {
            query: query.to_string(),
            error: Box::new(error),
        }
    }
}

/// The query files one tenant runs, for `ccetl queries`.
#[derive(Debug, Clone)]
pub struct QueryListing {
    /// The tenant they are for (`None`: a folder or the built-ins, for no tenant in particular).
    pub tenant: Option<String>,
    /// `genesys.acme`, or the folder checked.
    pub label: String,
    /// `built-in` or the folder they come from.
    pub origin: String,
    /// One line per query: name, dataset fed, endpoint, shape, fingerprint.
    pub lines: Vec<String>,
    /// What is wrong (an invalid file, an unknown metric), one entry each.
    pub problems: Vec<String>,
    /// What the reader should know (built-ins a folder hides).
    pub notes: Vec<String>,
}

/// A markdown table of a dataset's columns with each vendor's source field (README,
/// `ccetl schema --markdown`). A vendor that does not fill the dataset shows `—`.
pub fn markdown_table(dataset: Dataset) -> String {
    let mut out = String::from("| column | type | meaning |");
    for v in VENDORS {
        out.push_str(&format!(" {} source |", v.title()));
    }
    out.push_str("\n|---|---|---|");
    for _ in VENDORS {
        out.push_str("---|");
    }
    out.push('\n');
    for c in dataset.columns() {
        out.push_str(&format!(
            "| `{}` | {}{} | {} |",
            c.name,
            c.kind.sql_name(),
            if c.nullable { "" } else { " NOT NULL" },
            c.doc
        ));
        for v in VENDORS {
            let field = if c.name.starts_with('_') {
                "set by ccetl"
            } else if v.datasets().contains(&dataset) {
                v.column_sources(dataset)
                    .iter()
                    .find(|(name, _)| *name == c.name)
                    .map(|(_, field)| *field)
                    .unwrap_or("?")
            } else {
                "—"
            };
            out.push_str(&format!(" {field} |"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::schema_fingerprint;

    #[test]
    fn every_schema_is_pinned() {
        // The warehouse contract: any change to a dataset's columns, their documentation or a
        // vendor's source fields shows up as a diff here.
        let listing: Vec<String> = Dataset::ALL
            .iter()
            .map(|d| {
                format!(
                    "{} {}\n{}",
                    d.name(),
                    schema_fingerprint(&d.schema()),
                    markdown_table(*d)
                )
            })
            .collect();
        insta::assert_snapshot!(listing.join("\n"));
    }

    #[test]
    fn every_vendor_documents_exactly_the_columns_of_its_datasets() {
        for v in VENDORS {
            for dataset in v.datasets() {
                // Columns starting with `_` (the run's stamp) are ccetl's, not the vendor's.
                let declared: Vec<&str> = dataset
                    .columns()
                    .iter()
                    .map(|c| c.name)
                    .filter(|n| !n.starts_with('_'))
                    .collect();
                let documented: Vec<&str> =
                    v.column_sources(*dataset).iter().map(|(c, _)| *c).collect();
                assert_eq!(documented, declared, "{} {}", v.name(), dataset.name());
            }
        }
    }

    #[test]
    fn vendor_names_are_unique_and_not_shared_sections() {
        let mut names: Vec<&str> = VENDORS.iter().map(|v| v.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), VENDORS.len());
        for n in names {
            assert!(!crate::config::SHARED_SECTIONS.contains(&n), "{n}");
            assert_eq!(vendor(n).map(|v| v.name()), Some(n));
        }
    }
}
