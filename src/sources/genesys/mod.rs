//! Genesys Cloud: client-credentials (or user) login, and the analytics queries behind each
//! dataset.
//!
//! Facts come from `reference/genesys.md`: login `POST https://login.{domain}/oauth/token`, API
//! `https://api.{domain}`; `queue_intervals`, `agent_intervals` and `metrics` from the synchronous
//! (unpaged) aggregates queries with one business day per request; `contacts` from conversation
//! details (the query for recent days, async jobs for backfills).
//!
//! Files: [`config`] reads `[genesys.<tenant>]`, [`queries`] the editable query bodies, [`model`]
//! and [`details`] are the response shapes (and the details paging), [`rows`] maps answers to the
//! shared rows, [`columns`] documents that mapping per column.

pub mod columns;
pub mod config;
pub mod conversation_page;
pub mod details;
pub mod entities;
pub mod model;
pub mod queries;
pub mod rows;
pub mod user_status;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::Url;
use secrecy::SecretString;
use tokio::sync::mpsc;

use crate::auth::connection::{Connection, StoredConnectionToken};
use crate::auth::store::TokenStore;
use crate::auth::{AuthError, ServiceGrant, TokenCache};
use crate::config::{ConfigError, ConfigFile, Environment};
use crate::http::{ApiClient, ApiClientSettings, ApiError};
use crate::sources::{
    DayReport,
    BoxFuture, ConfiguredSource, QueryListing, RequestPrint, RowSender, SliceReport, SliceRequest,
    Source, SourceError, SourceSettings, SourceStats, Vendor,
};
use crate::transform::{Dataset, Rows, TransformError};
use crate::transform::contacts::ContactAdmission;
use conversation_page::read_conversation_page;
use details::{DetailsFetcher, DetailsSettings};
use model::AggregateQueryResponse;
use queries::{AggregateEndpoint, AggregateQuery, GenesysQueries};

/// Path of the conversation aggregates query.
pub const CONVERSATION_AGGREGATES_PATH: &str = "/api/v2/analytics/conversations/aggregates/query";

/// The datasets a Genesys org fills.
pub const DATASETS: &[Dataset] = &[
    Dataset::QueueIntervals,
    Dataset::AgentIntervals,
    Dataset::AgentStatus,
    Dataset::Contacts,
    Dataset::ContactSegments,
    Dataset::Metrics,
    Dataset::Queues,
    Dataset::Agents,
    Dataset::WrapupCodes,
    Dataset::Skills,
    Dataset::Teams,
    Dataset::Divisions,
    Dataset::PresenceDefinitions,
];

/// The registry entry: `[genesys.<tenant>]`, `source=genesys`.
pub struct Genesys;

impl Vendor for Genesys {
    fn name(&self) -> &'static str {
        "genesys"
    }

    fn title(&self) -> &'static str {
        "Genesys"
    }

    fn datasets(&self) -> &'static [Dataset] {
        DATASETS
    }

    fn configure(
        &self,
        config: &ConfigFile,
        env: &Environment,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<ConfiguredSource>, ConfigError> {
        let base_dir = config.base_dir();
        crate::sources::settings::configure_tenants(
            config,
            self.name(),
            wanted,
            |tenant, section: &config::GenesysSection| {
                section.resolve(tenant, config, env, &base_dir)
            },
        )
    }

    fn column_sources(&self, dataset: Dataset) -> &'static [(&'static str, &'static str)] {
        columns::column_sources(dataset)
    }

    fn query_files(
        &self,
        config: Option<&ConfigFile>,
        dir: Option<&Path>,
    ) -> Result<Vec<QueryListing>, ConfigError> {
        if let Some(dir) = dir {
            return Ok(vec![list_queries("queries", None, Some(dir))?]);
        }
        let Some(config) = config else {
            return Ok(vec![list_queries(
                "no configuration; built-in queries",
                None,
                None,
            )?]);
        };
        let base = config.base_dir();
        config
            .tenants::<config::GenesysSection>(self.name())?
            .iter()
            .map(|(tenant, section)| {
                let dir = section.queries_dir.as_ref().map(|d| {
                    if d.is_absolute() {
                        d.clone()
                    } else {
                        base.join(d)
                    }
                });
                list_queries(&format!("genesys.{tenant}"), Some(tenant), dir.as_deref())
            })
            .collect()
    }
}

/// The query files of one folder (or the built-ins) with what they feed, every file checked on
/// its own: the problems and notes come with the listing.
fn list_queries(
    label: &str,
    tenant: Option<&str>,
    dir: Option<&Path>,
) -> Result<QueryListing, ConfigError> {
    let origin = dir
        .map(|d| d.display().to_string())
        .unwrap_or_else(|| "built-in".into());
    let check = queries::check_queries(dir);
    let mut lines = Vec::new();
    for (q, feeds) in &check.aggregates {
        let endpoint = match q.endpoint() {
            Ok(AggregateEndpoint::Conversations) => "conversations/aggregates",
            Ok(AggregateEndpoint::Users) => "users/aggregates",
            Err(_) => "?",
        };
        lines.push(format!(
            "{:<22} -> {:<16} {:<25} granularity {:<6} groupBy [{}] metrics [{}] ({})",
            q.name(),
            feeds,
            endpoint,
            q.granularity().unwrap_or("-"),
            q.group_by().join(", "),
            q.metrics().join(", "),
            q.fingerprint()
        ));
    }
    if let Some(contacts) = &check.contacts {
        lines.push(format!(
            "{:<22} -> {:<16} {:<25} ({})",
            contacts.name(),
            "contacts",
            "conversations/details",
            contacts.fingerprint()
        ));
    }
    Ok(QueryListing {
        tenant: tenant.map(str::to_string),
        label: label.to_string(),
        origin,
        lines,
        problems: check.problems,
        notes: check.notes,
    })
}

/// Everything needed to talk to one Genesys org, resolved and validated by planning.
pub struct GenesysSettings {
    /// Login base, e.g. `https://login.mypurecloud.com/`.
    pub login_base: Url,
    /// API base, e.g. `https://api.mypurecloud.com/`.
    pub api_base: Url,
    /// How the source gets its tokens.
    pub auth: GenesysAuth,
    /// Quota and retry bounds.
    pub http: ApiClientSettings,
    /// How long after a day ends its data counts as final.
    pub settle: Duration,
    /// Every query the source runs.
    pub queries: GenesysQueries,
    /// Details paging, splitting and job limits.
    pub details: DetailsSettings,
    /// Page size of the entity lists (dimension datasets).
    pub entity_page_size: u64,
    /// Consecutive days one aggregates query covers in a backfill (`aggregates_max_days`).
    pub aggregates_max_days: u32,
}

/// How a Genesys source authenticates.
pub enum GenesysAuth {
    /// Client credentials (unattended runs).
    ClientCredentials {
        /// OAuth client id.
        client_id: String,
        /// OAuth client secret.
        client_secret: SecretString,
    },
    /// A stored user connection (`ccetl auth login <name>` first).
    Connection {
        /// The connection.
        connection: Box<Connection>,
        /// Where its tokens are.
        store: TokenStore,
    },
}

impl GenesysSettings {
    /// `{login}/oauth/token`.
    pub fn token_url(&self) -> String {
        self.login_base
            .join("oauth/token")
            .map(|u| u.to_string())
            .unwrap_or_else(|_| format!("{}oauth/token", self.login_base))
    }
}

/// Names and fingerprints of several queries, comma-separated (a manifest's `query` fields).
fn combined<'a>(queries: impl Iterator<Item = &'a AggregateQuery>) -> RequestPrint {
    let (names, prints): (Vec<&str>, Vec<&str>) =
        queries.map(|q| (q.name(), q.fingerprint())).unzip();
    RequestPrint {
        name: names.join(","),
        fingerprint: prints.join(","),
    }
}

impl SourceSettings for GenesysSettings {
    fn vendor(&self) -> &'static str {
        Genesys.name()
    }

    fn request(&self, dataset: Dataset) -> RequestPrint {
        match dataset {
            Dataset::QueueIntervals => combined(std::iter::once(&self.queries.queue_intervals)),
            // Segments are read from the same details answers.
            Dataset::Contacts | Dataset::ContactSegments => RequestPrint {
                name: self.queries.contacts.name().to_string(),
                fingerprint: self.queries.contacts.fingerprint().to_string(),
            },
            Dataset::Metrics => combined(self.queries.metrics.iter()),
            Dataset::AgentIntervals => combined(
                [
                    &self.queries.agent_presence,
                    &self.queries.agent_conversations,
                ]
                .into_iter(),
            ),
            Dataset::AgentStatus => {
                let text = format!(
                    "{}|{}",
                    details::USERS.query_path,
                    self.details.page_size
                );
                RequestPrint {
                    name: "users/details/query".into(),
                    fingerprint: crate::transform::hex(
                        &<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes())[..8],
                    ),
                }
            }
            dimension => {
                let name = entities::request_name(dimension);
                let text = format!("{name}|{}", self.entity_page_size);
                RequestPrint {
                    name,
                    fingerprint: crate::transform::hex(
                        &<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes())[..8],
                    ),
                }
            }
        }
    }

    fn settle_margin(&self) -> Duration {
        self.settle
    }

    fn requests_per_minute(&self) -> u32 {
        self.http.requests_per_minute.get()
    }

    /// One aggregates query per query file and day; `contacts` pages by 100 (query) or 1,000
    /// (jobs, plus submit, polls and delete): 20 is a mid-sized contact center's day.
    fn estimate_requests(&self, dataset: Dataset) -> u64 {
        match dataset {
            Dataset::QueueIntervals => 1,
            Dataset::AgentIntervals => 2,
            Dataset::Metrics => self.queries.metrics.len() as u64,
            // Segments alone cost what contacts do (planned with contacts they cost nothing).
            Dataset::Contacts | Dataset::ContactSegments => 20,
            // One page of a mid-sized org's list; presence definitions are asked twice.
            Dataset::PresenceDefinitions => 2,
            _ => 1,
        }
    }

    fn companions(&self, dataset: Dataset) -> &'static [Dataset] {
        match dataset {
            Dataset::Contacts => &[Dataset::ContactSegments],
            _ => &[],
        }
    }

    /// Conversations of days old enough for async jobs: `details_job_max_days` per job (a job's
    /// interval is split only by its result cap). The aggregates datasets:
    /// `aggregates_max_days` per query, their buckets split by day. Everything else: a fetch
    /// per day.
    fn days_per_fetch(&self, dataset: Dataset, date: NaiveDate, today: NaiveDate) -> u32 {
        let by_jobs = self.details.by_jobs(date, today);
        match dataset {
            Dataset::Contacts | Dataset::ContactSegments if by_jobs => self.details.job_max_days,
            Dataset::QueueIntervals | Dataset::AgentIntervals | Dataset::Metrics => {
                self.aggregates_max_days
            }
            _ => 1,
        }
    }

    /// Conversations of days too recent for async jobs: the details query's pages of a day.
    fn pages_at_once(&self, dataset: Dataset, date: NaiveDate, today: NaiveDate) -> bool {
        matches!(dataset, Dataset::Contacts | Dataset::ContactSegments)
            && !self.details.by_jobs(date, today)
    }

    fn connect(&self) -> BoxFuture<'_, Result<Arc<dyn Source>, SourceError>> {
        Box::pin(async move {
            let source: Arc<dyn Source> = Arc::new(GenesysSource::connect(self)?);
            Ok(source)
        })
    }
}

/// A connected Genesys org: one OAuth client, one token cache, one rate-limited client.
pub struct GenesysSource {
    client: ApiClient,
    token_url: String,
    queries: GenesysQueries,
    details: DetailsSettings,
    entity_page_size: u64,
}

const CREDENTIALS_HINT: &str = "check the client id and secret (the variables or files named in ccetl.toml), that the OAuth client uses the Client Credentials grant, and that `region` is the org's region";

impl GenesysSource {
    /// Builds the client; fetches nothing yet.
    pub fn connect(settings: &GenesysSettings) -> Result<Self, SourceError> {
        let tokens = Arc::new(match &settings.auth {
            GenesysAuth::ClientCredentials {
                client_id,
                client_secret,
            } => TokenCache::new(ServiceGrant::client_credentials(
                "Genesys",
                settings.token_url(),
                client_id.clone(),
                client_secret.clone(),
                settings.http.request_timeout.min(Duration::from_secs(60)),
                CREDENTIALS_HINT,
            )?),
            GenesysAuth::Connection { connection, store } => TokenCache::new(
                StoredConnectionToken::new((**connection).clone(), store.clone()),
            ),
        });
        let client = ApiClient::new(
            "Genesys",
            settings.api_base.clone(),
            tokens,
            settings.http.clone(),
        )
        .map_err(SourceError::Internal)?;
        Ok(Self {
            client,
            token_url: settings.token_url(),
            queries: settings.queries.clone(),
            details: settings.details.clone(),
            entity_page_size: settings.entity_page_size,
        })
    }

    /// The client (for its counters).
    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// Conversation aggregates by queue and media type for `[start, end)`, one request (the
    /// synchronous aggregates query is not paged).
    pub async fn queue_intervals(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        time_zone: &str,
    ) -> Result<AggregateQueryResponse, ApiError> {
        let body = self.queries.queue_intervals.body_for(start, end, time_zone);
        self.client
            .post_json(CONVERSATION_AGGREGATES_PATH, &body)
            .await
    }

    /// Runs any aggregates query for `[start, end)` at the endpoint its metrics call for.
    pub async fn aggregate(
        &self,
        query: &AggregateQuery,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        time_zone: &str,
    ) -> Result<AggregateQueryResponse, SourceError> {
        let path = query
            .endpoint()
            .map(|e| e.path())
            .unwrap_or(CONVERSATION_AGGREGATES_PATH);
        self.client
            .post_json(path, &query.body_for(start, end, time_zone))
            .await
            .map_err(|e| SourceError::in_query(query.name(), e))
    }

    /// `contacts` (and `contact_segments`, when the slice wants them) of one slice: details pages
    /// stream from the API through a bounded channel into the mapping and on to the writer, each
    /// conversation admitted once; its segments land with it.
    async fn contacts(
        &self,
        slice: &SliceRequest,
        rows: &RowSender,
    ) -> Result<SliceReport, SourceError> {
        // Several days are fetched together only when every one is old enough for jobs.
        let last = slice.dates.last().copied().unwrap_or(slice.date);
        let use_jobs = self.details.by_jobs(last, slice.today);
        let time_zone = slice.time_zone;
        // A conversation belongs to the date of its start: the partition its rows go to.
        let day_of = move |t: DateTime<Utc>| t.with_timezone(&time_zone).date_naive();
        let (contacts, segments) = (
            slice.wants(Dataset::Contacts),
            slice.wants(Dataset::ContactSegments),
        );
        // Each page is read borrowed from the answer's bytes, straight into rows, where it is
        // received; the admission (which keeps state) runs in the consumer.
        let interval = (slice.start, slice.end);
        let decode = move |bytes: &[u8]| {
            read_conversation_page(bytes, |page| {
                page.decoded(|page| rows::page_conversations(page, interval, segments))
            })
        };
        let (tx, mut pages) = mpsc::channel(4);
        let mut admission = ContactAdmission::new(slice.start, slice.end);
        // The conversations of the slice (and some neighbours: the admission filters by start
        // and de-duplicates), by async jobs when `use_jobs`.
        let fetcher = DetailsFetcher {
            api: &details::CONVERSATIONS,
            client: &self.client,
            settings: &self.details,
            body: self.queries.contacts.body(),
            pages_at_once: slice.requests_at_once,
        };
        let producer = fetcher.fetch(slice.start, slice.end, use_jobs, &decode, tx);
        // The consumer owns the receiver: when it stops (on an error), the channel closes and
        // the producer's next send fails instead of waiting forever for room.
        let admitting = &mut admission;
        let consumer = async move {
            while let Some(page) = pages.recv().await {
                let (admitted, found) = rows::admit(page?, admitting);
                if segments {
                    for (day, part) in by_day(found, |r| day_of(r.conversation_start)) {
                        rows.send_for(day, part).await?;
                    }
                }
                if contacts {
                    for (day, part) in admitted.split_by(day_of) {
                        rows.send_for(day, part).await?;
                    }
                }
            }
            Ok::<_, SourceError>(())
        };
        let (produced, consumed) = tokio::join!(producer, consumer);
        // The consumer's error explains a producer that stopped because nobody listened any more.
        consumed?;
        let report = produced?;
        let ongoing = admission.ongoing();
        if ongoing > 0 {
            tracing::info!(
                ongoing,
                "Ongoing conversations left for a later run (look-back)."
            );
        }
        let mut details = report.details();
        details.extend(admission.details());
        // Each ongoing conversation makes its own day provisional, not a fetch's other days.
        let mut skipped = admission.skipped();
        skipped.remove("ongoing");
        let mut per_day: std::collections::BTreeMap<NaiveDate, u64> = Default::default();
        for start in admission.ongoing_starts() {
            *per_day.entry(day_of(*start)).or_default() += 1;
        }
        let days = per_day
            .into_iter()
            .map(|(day, n)| {
                let report = DayReport {
                    skipped: [("ongoing".to_string(), n)].into(),
                    provisional: vec![format!(
                        "{n} conversation(s) were still going on (left for a later run)"
                    )],
                };
                (day, report)
            })
            .collect();
        Ok(SliceReport {
            days,
            details,
            skipped,
            provisional: Vec::new(),
        })
    }
}

/// Hands over an aggregates query's rows: a fetch of one day sends them as they came; a fetch
/// of several days (`aggregates_max_days`) sends each to the business date its bucket starts
/// on. A bucket that ends on another date, or lies outside the dates asked for, fails the
/// fetch: its rows cannot be put in one day's partition.
async fn send_by_day<R>(
    slice: &SliceRequest,
    rows: &RowSender,
    batch: Vec<R>,
    bounds: impl Fn(&R) -> (DateTime<Utc>, DateTime<Utc>),
) -> Result<(), SourceError>
where
    Vec<R>: Into<Rows>,
{
    if slice.dates.len() <= 1 {
        return rows.send(batch).await;
    }
    let zone = slice.time_zone;
    let date_of = |t: DateTime<Utc>| t.with_timezone(&zone).date_naive();
    for row in &batch {
        let (start, end) = bounds(row);
        let date = date_of(start);
        // The bucket's last instant (a bucket of no length: its start).
        let last = date_of((end - chrono::Duration::milliseconds(1)).max(start));
        let reason = if !slice.dates.contains(&date) {
            "outside the days asked for"
        } else if last != date {
            "spans midnight in the slice's time zone: the query's granularity does not divide its days"
        } else {
            continue;
        };
        return Err(TransformError::Malformed {
            field: "data.interval",
            value: format!("{}/{}", start.to_rfc3339(), end.to_rfc3339()),
            reason: reason.to_string(),
        }
        .into());
    }
    for (date, day) in by_day(batch, |row| date_of(bounds(row).0)) {
        rows.send_for(date, day).await?;
    }
    Ok(())
}

/// `rows` split by the day `day_of` gives each, in day order.
fn by_day<R>(rows: Vec<R>, day_of: impl Fn(&R) -> NaiveDate) -> Vec<(NaiveDate, Vec<R>)> {
    // A page's rows are nearly always of one day: they go on as they are, not moved row by row.
    let first = match rows.first() {
        None => return Vec::new(),
        Some(row) => day_of(row),
    };
    if rows.iter().all(|row| day_of(row) == first) {
        return vec![(first, rows)];
    }
    let mut split: std::collections::BTreeMap<NaiveDate, Vec<R>> = Default::default();
    for row in rows {
        split.entry(day_of(&row)).or_default().push(row);
    }
    split.into_iter().collect()
}

impl Source for GenesysSource {
    fn check(&self) -> BoxFuture<'_, Result<String, AuthError>> {
        Box::pin(async move {
            self.client.tokens().get().await?;
            Ok(self.token_url.clone())
        })
    }

    fn fetch<'a>(
        &'a self,
        slice: &'a SliceRequest,
        rows: RowSender,
    ) -> BoxFuture<'a, Result<SliceReport, SourceError>> {
        Box::pin(async move {
            let (start, end) = (slice.start, slice.end);
            let zone = slice.time_zone.name();
            match slice.dataset {
                Dataset::QueueIntervals => {
                    let response = self.queue_intervals(start, end, zone).await?;
                    let intervals = rows::queue_intervals(&response)?;
                    send_by_day(slice, &rows, intervals, |r| {
                        (r.interval_start, r.interval_end)
                    })
                    .await?;
                    Ok(SliceReport::default())
                }
                Dataset::AgentIntervals => {
                    let presence = self
                        .aggregate(&self.queries.agent_presence, start, end, zone)
                        .await?;
                    let conversations = self
                        .aggregate(&self.queries.agent_conversations, start, end, zone)
                        .await?;
                    let (agents, without_user) =
                        rows::agent_intervals(&presence, &conversations)?;
                    send_by_day(slice, &rows, agents, |r| (r.interval_start, r.interval_end))
                        .await?;
                    let mut report = SliceReport::default();
                    if without_user > 0 {
                        report
                            .skipped
                            .insert("group_without_user_id".into(), without_user);
                    }
                    Ok(report)
                }
                Dataset::Metrics => {
                    for query in &self.queries.metrics {
                        let response = self.aggregate(query, start, end, zone).await?;
                        let metrics = rows::metrics(query.name(), &response)?;
                        send_by_day(slice, &rows, metrics, |r| {
                            (r.interval_start, r.interval_end)
                        })
                        .await?;
                    }
                    Ok(SliceReport::default())
                }
                Dataset::Contacts | Dataset::ContactSegments => self.contacts(slice, &rows).await,
                Dataset::AgentStatus => {
                    user_status::fetch(&self.client, &self.details, slice, &rows).await
                }
                dimension => {
                    entities::fetch(&self.client, dimension, self.entity_page_size, &rows).await
                }
            }
        })
    }

    fn stats(&self) -> SourceStats {
        SourceStats::of(&self.client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::queue_intervals::QueueIntervalRow;
    use chrono::TimeZone;

    /// A fetch of `dates` (Berlin) and the receiving end of its rows.
    fn aggregates_slice(
        dates: &[NaiveDate],
    ) -> (
        SliceRequest,
        RowSender,
        mpsc::Receiver<(NaiveDate, Rows)>,
    ) {
        let zone: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let midnight = |d: NaiveDate| {
            zone.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
                .unwrap()
                .with_timezone(&Utc)
        };
        let last = *dates.last().unwrap();
        let slice = SliceRequest {
            dataset: Dataset::QueueIntervals,
            date: dates[0],
            dates: dates.to_vec(),
            time_zone: zone,
            start: midnight(dates[0]),
            end: midnight(last.succ_opt().unwrap()),
            today: last + chrono::Days::new(30),
            also: Vec::new(),
            requests_at_once: 1,
        };
        let (tx, rx) = RowSender::channel(vec![Dataset::QueueIntervals], dates.to_vec(), 16);
        (slice, tx, rx)
    }

    fn bucket(start: &str, minutes: i64) -> QueueIntervalRow {
        let start = DateTime::parse_from_rfc3339(start).unwrap().with_timezone(&Utc);
        QueueIntervalRow {
            interval_start: start,
            interval_end: start + chrono::Duration::minutes(minutes),
            ..QueueIntervalRow::default()
        }
    }

    fn received(mut rx: mpsc::Receiver<(NaiveDate, Rows)>) -> Vec<(NaiveDate, usize)> {
        let mut got = Vec::new();
        while let Ok((date, rows)) = rx.try_recv() {
            got.push((date, rows.len()));
        }
        got
    }

    #[tokio::test]
    async fn aggregates_of_several_days_go_to_the_day_their_bucket_starts_on() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 10, d).unwrap();
        // 2026-10-25 has 25 hours in Berlin (UTC+2 until 01:00Z, then UTC+1).
        let dates = [day(24), day(25), day(26)];
        let bounds = |r: &QueueIntervalRow| (r.interval_start, r.interval_end);
        let (slice, tx, rx) = aggregates_slice(&dates);
        let rows = vec![
            bucket("2026-10-23T22:00:00Z", 30), // 00:00 on the 24th
            bucket("2026-10-24T21:30:00Z", 30), // 23:30 on the 24th
            bucket("2026-10-24T22:00:00Z", 30), // 00:00 on the 25th
            bucket("2026-10-25T22:30:00Z", 30), // 23:30 on the 25th, its 25th hour
            bucket("2026-10-24T23:00:00Z", 30), // the 25th, out of order
            bucket("2026-10-25T23:00:00Z", 30), // 00:00 on the 26th
        ];
        send_by_day(&slice, &tx, rows, bounds).await.unwrap();
        drop(tx);
        assert_eq!(
            received(rx),
            vec![(day(24), 2), (day(25), 3), (day(26), 1)]
        );

        // A bucket across midnight, or outside the days asked for: an error, nothing sent.
        for (row, reason) in [
            (bucket("2026-10-24T21:30:00Z", 60), "spans midnight"),
            (bucket("2026-10-26T23:00:00Z", 30), "outside the days"),
            (bucket("2026-10-23T21:30:00Z", 30), "outside the days"),
        ] {
            let (slice, tx, rx) = aggregates_slice(&dates);
            let rows = vec![bucket("2026-10-23T22:00:00Z", 30), row];
            let err = send_by_day(&slice, &tx, rows, bounds).await.unwrap_err();
            assert!(err.to_string().contains(reason), "{err}");
            drop(tx);
            assert!(received(rx).is_empty());
        }

        // A fetch of one day sends its rows as they came, as before.
        let (slice, tx, rx) = aggregates_slice(&dates[..1]);
        let rows = vec![bucket("2026-10-23T22:00:00Z", 30), bucket("2026-10-24T21:30:00Z", 60)];
        send_by_day(&slice, &tx, rows, bounds).await.unwrap();
        drop(tx);
        assert_eq!(received(rx), vec![(day(24), 2)]);
    }

    #[test]
    fn rows_split_by_day_in_day_order_a_single_day_as_it_came() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let of = |r: &(u32, u32)| day(r.0);
        assert!(by_day(Vec::<(u32, u32)>::new(), of).is_empty());
        let one = vec![(20, 1), (20, 2), (20, 3)];
        assert_eq!(by_day(one.clone(), of), vec![(day(20), one)]);
        let mixed = vec![(21, 1), (20, 2), (21, 3), (19, 4)];
        assert_eq!(
            by_day(mixed, of),
            vec![
                (day(19), vec![(19, 4)]),
                (day(20), vec![(20, 2)]),
                (day(21), vec![(21, 1), (21, 3)]),
            ]
        );
    }
}
