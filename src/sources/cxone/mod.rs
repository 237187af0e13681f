//! NICE CXone: access-key sign-in with tenant discovery, and the reporting endpoints behind
//! `queue_intervals` (skills summary), `agent_intervals` (agent performance) and `contacts`
//! (completed contacts). Facts: reference/cxone.md.
//!
//! Calls go to `{api_endpoint}/inContactAPI/services/{version}/…`, with one pinned, configurable
//! version. Performance and summary endpoints report one row per agent or skill for the requested
//! window, so each slice is cut into intervals (30 minutes by default) and asked for one by one.
//!
//! Files: [`config`] reads `[cxone.<tenant>]`, [`signin`] gets tokens and the API base,
//! [`lenient`] reads values the way CXone writes them, [`rows`] maps answers to the shared rows,
//! [`columns`] documents that mapping per column.

pub mod columns;
pub mod config;
pub mod contact_states;
pub mod entities;
pub mod rows;
pub mod signin;
pub mod state_history;

/// CXone writes values loosely; the shared lenient reader reads them (it began here).
pub use crate::sources::lenient;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Url;
use secrecy::SecretString;
use serde_json::{Map, Value};
use sha2::Digest;
use tokio::sync::{OnceCell, mpsc};

use crate::auth::connection::{Connection, StoredConnectionToken};
use crate::auth::store::TokenStore;
use crate::auth::{AuthError, TokenCache};
use crate::config::{ConfigError, ConfigFile, Environment};
use crate::http::{ApiClient, ApiClientSettings, ApiError};
use crate::sources::{
    BoxFuture, ConfiguredSource, RequestPrint, RowSender, SliceReport, SliceRequest, Source,
    SourceError, SourceSettings, SourceStats, Vendor,
};
use crate::transform::Dataset;
use crate::transform::contacts::ContactAdmission;
use signin::{AccessKeyGrant, discover_api_base};

/// The datasets a CXone tenant fills (`metrics` is made of Genesys query files).
pub const DATASETS: &[Dataset] = &[
    Dataset::QueueIntervals,
    Dataset::AgentIntervals,
    Dataset::AgentStatus,
    Dataset::Contacts,
    Dataset::ContactSegments,
    Dataset::Queues,
    Dataset::Agents,
    Dataset::WrapupCodes,
    Dataset::Teams,
    Dataset::PresenceDefinitions,
];

/// The registry entry: `[cxone.<tenant>]`, `source=cxone`.
pub struct Cxone;

impl Vendor for Cxone {
    fn name(&self) -> &'static str {
        "cxone"
    }

    fn title(&self) -> &'static str {
        "CXone"
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
        crate::sources::settings::configure_tenants(
            config,
            self.name(),
            wanted,
            |tenant, section: &config::CxoneSection| section.resolve(tenant, config, env),
        )
    }

    fn column_sources(&self, dataset: Dataset) -> &'static [(&'static str, &'static str)] {
        columns::column_sources(dataset)
    }
}

/// How a CXone source authenticates.
pub enum CxoneAuth {
    /// The password grant with an API user's access key (unattended runs).
    AccessKey {
        /// The app's client id.
        client_id: String,
        /// The app's client secret.
        client_secret: SecretString,
        /// The API user's access key id.
        access_key_id: String,
        /// The API user's access key secret.
        access_key_secret: SecretString,
    },
    /// A stored user connection (`ccetl auth login <name>` first).
    Connection {
        /// The connection.
        connection: Box<Connection>,
        /// Where its tokens are.
        store: TokenStore,
    },
}

/// Everything needed to reach one CXone tenant, resolved by planning.
pub struct CxoneSettings {
    /// Where discovery documents live (`https://cxone.niceincontact.com/`).
    pub discovery_base: Url,
    /// The API base, overriding discovery from the token's tenant id.
    pub api_base: Option<Url>,
    /// How the source gets its tokens.
    pub auth: CxoneAuth,
    /// Pinned API version, e.g. `v31.0`.
    pub api_version: String,
    /// Interval of `queue_intervals` and `agent_intervals`.
    pub interval: Duration,
    /// `top` of completed-contact pages.
    pub contacts_page_size: u64,
    /// `top` of the Admin lists (dimension datasets).
    pub entity_page_size: u64,
    /// Quota and retry bounds.
    pub http: ApiClientSettings,
    /// How long after a day ends its data counts as final.
    pub settle: Duration,
}

impl SourceSettings for CxoneSettings {
    fn vendor(&self) -> &'static str {
        Cxone.name()
    }

    /// The endpoint, and a hash of the API version, interval and page size (a change re-fetches
    /// on `--resume`).
    fn request(&self, dataset: Dataset) -> RequestPrint {
        let endpoint = match dataset {
            Dataset::QueueIntervals => "skills/summary",
            Dataset::AgentIntervals => "agents/performance",
            Dataset::AgentStatus => "agents/state-history",
            Dataset::ContactSegments => "contacts/state-history",
            Dataset::Contacts | Dataset::Metrics => "contacts/completed",
            dimension => entities::list(dimension).map_or("?", |(path, _, _)| path),
        };
        let text = if dataset.is_snapshot() {
            format!("{}|{}|{endpoint}", self.api_version, self.entity_page_size)
        } else {
            format!(
                "{}|{}|{}|{endpoint}",
                self.api_version,
                self.interval.as_secs(),
                self.contacts_page_size
            )
        };
        let fingerprint = crate::transform::hex(&sha2::Sha256::digest(text.as_bytes())[..8]);
        RequestPrint {
            name: format!("{} {endpoint}", self.api_version),
            fingerprint,
        }
    }

    fn settle_margin(&self) -> Duration {
        self.settle
    }

    fn requests_per_minute(&self) -> u32 {
        self.http.requests_per_minute.get()
    }

    /// The interval reports are asked once per interval of the day; completed contacts page by
    /// `contacts_page_size` (a day of a mid-sized tenant: a few pages).
    fn estimate_requests(&self, dataset: Dataset) -> u64 {
        match dataset {
            Dataset::QueueIntervals | Dataset::AgentIntervals => {
                86_400 / self.interval.as_secs().max(60)
            }
            Dataset::Contacts => 3,
            Dataset::AgentStatus => 2,
            Dataset::ContactSegments => 6,
            Dataset::Metrics => 0,
            // A mid-sized tenant's list fits a page or two.
            _ => 2,
        }
    }

    fn connect(&self) -> BoxFuture<'_, Result<Arc<dyn Source>, SourceError>> {
        Box::pin(async move {
            let source: Arc<dyn Source> = Arc::new(CxoneSource::connect(self).await?);
            Ok(source)
        })
    }
}

/// The media type in the words the datasets use, from CXone's media type id (or its name).
pub fn media_type(id: Option<i64>, name: Option<&str>) -> Option<String> {
    let known = match id {
        Some(1) => Some("email"),
        Some(3) => Some("chat"),
        Some(4) => Some("voice"),
        Some(5) => Some("voicemail"),
        Some(6) => Some("work_item"),
        Some(7) => Some("sms"),
        Some(8) => Some("social"),
        Some(9) => Some("message"),
        _ => None,
    };
    known
        .map(str::to_string)
        .or_else(|| name.map(|n| n.trim().to_ascii_lowercase().replace(' ', "_")))
}

/// A connected CXone tenant.
pub struct CxoneSource {
    client: ApiClient,
    discovery_base: Url,
    interval: Duration,
    contacts_page_size: u64,
    entity_page_size: u64,
}

/// The UTC format CXone accepts best (a literal `Z`, reference/cxone.md §2.1).
pub fn cxone_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl CxoneSource {
    /// Signs in (so bad credentials fail before any slice), discovers the API base, and builds
    /// the rate-limited client.
    pub async fn connect(settings: &CxoneSettings) -> Result<Self, SourceError> {
        let tokens = Arc::new(match &settings.auth {
            CxoneAuth::AccessKey {
                client_id,
                client_secret,
                access_key_id,
                access_key_secret,
            } => TokenCache::new(AccessKeyGrant {
                discovery: settings.discovery_base.clone(),
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                access_key_id: access_key_id.clone(),
                access_key_secret: access_key_secret.clone(),
                timeout: settings.http.request_timeout.min(Duration::from_secs(60)),
                grant: OnceCell::new(),
            }),
            CxoneAuth::Connection { connection, store } => TokenCache::new(
                StoredConnectionToken::new((**connection).clone(), store.clone()),
            ),
        });
        let api = match &settings.api_base {
            Some(base) => {
                tokens.get().await?;
                base.clone()
            }
            None => {
                discover_api_base(
                    &tokens,
                    &settings.discovery_base,
                    settings.http.request_timeout,
                )
                .await?
            }
        };
        let base = api
            .join(&format!("inContactAPI/services/{}/", settings.api_version))
            .map_err(|e| SourceError::Internal(format!("invalid API base {api}: {e}")))?;
        tracing::debug!(api = %base, "CXone API base discovered.");
        let client = ApiClient::new("CXone", base, tokens, settings.http.clone())
            .map_err(SourceError::Internal)?;
        Ok(Self {
            client,
            discovery_base: settings.discovery_base.clone(),
            interval: settings.interval,
            contacts_page_size: settings.contacts_page_size,
            entity_page_size: settings.entity_page_size,
        })
    }

    /// The client (for its counters).
    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// The interval slices are cut into.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    async fn window_rows(
        &self,
        path: &str,
        key: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<Map<String, Value>>, ApiError> {
        let query = [
            ("startDate", cxone_date(start)),
            ("endDate", cxone_date(end)),
        ];
        let body: Option<Value> = self.client.get_json(path, &query).await?;
        rows_under(body, key, path)
    }

    /// `GET skills/summary` for one window: one row per skill.
    pub async fn skills_summary(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<Map<String, Value>>, ApiError> {
        self.window_rows("skills/summary", "skillSummaries", start, end)
            .await
    }

    /// `GET agents/performance` for one window: one row per agent.
    pub async fn agent_performance(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<Map<String, Value>>, ApiError> {
        self.window_rows("agents/performance", "agentPerformance", start, end)
            .await
    }

    /// `GET contacts/completed` for `[start, end)`, paged by `top`/`skip` ([`SkipPager`]); pages
    /// go to `pages`.
    pub async fn completed_contacts(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        pages: mpsc::Sender<Vec<Map<String, Value>>>,
    ) -> Result<u64, SourceError> {
        let mut pager = SkipPager::new(
            &self.client,
            "contacts/completed",
            "completedContacts",
            vec![
                ("startDate", cxone_date(start)),
                ("endDate", cxone_date(end)),
                ("orderBy", "contactStartDate asc".to_string()),
            ],
            self.contacts_page_size,
        );
        while let Some(page) = pager.next_page().await? {
            if pages.send(page.rows).await.is_err() {
                return Err(SourceError::Stopped);
            }
        }
        Ok(pager.received())
    }

    /// `queue_intervals` or `agent_intervals` of one slice: the report asked window by window.
    async fn interval_report(
        &self,
        slice: &SliceRequest,
        rows: &RowSender,
    ) -> Result<SliceReport, SourceError> {
        let step = chrono::Duration::from_std(self.interval)
            .map_err(|e| SourceError::Internal(e.to_string()))?;
        let mut windows = Vec::new();
        let mut a = slice.start;
        while a < slice.end {
            let b = a
                .checked_add_signed(step)
                .map_or(slice.end, |b| b.min(slice.end));
            let records = match slice.dataset {
                Dataset::QueueIntervals => self.skills_summary(a, b).await?,
                _ => self.agent_performance(a, b).await?,
            };
            windows.push((a, b, records));
            a = b;
        }
        match slice.dataset {
            Dataset::QueueIntervals => rows.send(rows::queue_intervals(&windows)?).await?,
            _ => rows.send(rows::agent_intervals(&windows)?).await?,
        }
        Ok(SliceReport::default())
    }

    /// `contacts` of one slice: completed-contact pages stream through a bounded channel into
    /// the mapping and on to the writer, each contact admitted once.
    async fn contacts(
        &self,
        slice: &SliceRequest,
        rows: &RowSender,
    ) -> Result<SliceReport, SourceError> {
        let (tx, mut pages) = mpsc::channel::<Vec<Map<String, Value>>>(4);
        let mut admission = ContactAdmission::new(slice.start, slice.end);
        let producer = self.completed_contacts(slice.start, slice.end, tx);
        // The consumer owns the receiver: when it stops, the producer's next send fails.
        let admitting = &mut admission;
        let consumer = async move {
            while let Some(page) = pages.recv().await {
                rows.send(rows::contacts(&page, admitting)?).await?;
            }
            Ok::<_, SourceError>(())
        };
        let (produced, consumed) = tokio::join!(producer, consumer);
        consumed?;
        let received = produced?;
        let mut details = std::collections::BTreeMap::from([
            ("method".to_string(), "contacts/completed".into()),
            ("rows_received".to_string(), received.into()),
        ]);
        details.extend(admission.details());
        Ok(SliceReport {
            days: Default::default(),
            details,
            skipped: admission.skipped(),
            provisional: Vec::new(),
        })
    }
}

impl Source for CxoneSource {
    fn check(&self) -> BoxFuture<'_, Result<String, AuthError>> {
        Box::pin(async move {
            self.client.tokens().get().await?;
            Ok(self.discovery_base.to_string())
        })
    }

    fn fetch<'a>(
        &'a self,
        slice: &'a SliceRequest,
        rows: RowSender,
    ) -> BoxFuture<'a, Result<SliceReport, SourceError>> {
        Box::pin(async move {
            match slice.dataset {
                Dataset::QueueIntervals | Dataset::AgentIntervals => {
                    self.interval_report(slice, &rows).await
                }
                Dataset::Contacts => self.contacts(slice, &rows).await,
                Dataset::ContactSegments => {
                    contact_states::fetch(&self.client, slice, self.contacts_page_size, &rows).await
                }
                Dataset::AgentStatus => {
                    state_history::fetch(&self.client, slice, self.contacts_page_size, &rows).await
                }
                Dataset::Metrics => Err(SourceError::Internal(
                    "CXone has no metrics dataset".into(),
                )),
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

/// One page of a `top`/`skip` list: its rows, and the server's `lastPollTime` (its "now").
pub struct SkipPage {
    /// The records.
    pub rows: Vec<Map<String, Value>>,
    /// `lastPollTime`, when the answer has one.
    pub polled: Option<DateTime<Utc>>,
}

/// Pages any CXone list by `top` and `skip` (reference/cxone.md §2, cxone-entities.md §0):
/// `skip` advances by the rows received, and the list ends on a 204 or an empty page, when
/// `skip` reaches `totalRecords`, or, without a total, on a short page or no `_links.next`. A
/// short page with a total to reach is not the end: a server may cap `top` below what was asked.
pub struct SkipPager<'a> {
    client: &'a ApiClient,
    path: &'static str,
    key: &'static str,
    query: Vec<(&'static str, String)>,
    top: u64,
    skip: u64,
    pages: u64,
    done: bool,
}

impl<'a> SkipPager<'a> {
    /// The pages of `path` (records under `key`), `top` a page, with `query` on every request.
    pub fn new(
        client: &'a ApiClient,
        path: &'static str,
        key: &'static str,
        query: Vec<(&'static str, String)>,
        top: u64,
    ) -> Self {
        Self {
            client,
            path,
            key,
            query,
            top: top.max(1),
            skip: 0,
            pages: 0,
            done: false,
        }
    }

    /// The next page, or `None` at the end.
    pub async fn next_page(&mut self) -> Result<Option<SkipPage>, ApiError> {
        if self.done {
            return Ok(None);
        }
        let mut query = self.query.clone();
        query.push(("top", self.top.to_string()));
        query.push(("skip", self.skip.to_string()));
        let body: Option<Value> = self.client.get_json(self.path, &query).await?;
        self.pages += 1;
        let field = |name: &str| {
            body.as_ref()
                .and_then(|b| b.get(name).or_else(|| b.get("resultSet")?.get(name)))
        };
        let total = field("totalRecords")
            .and_then(lenient::number)
            .map(|t| t as u64);
        let polled = field("lastPollTime")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        let has_next = body
            .as_ref()
            .and_then(|b| b.pointer("/_links/next"))
            .is_some_and(|n| n.as_str().is_some_and(|s| !s.is_empty()));
        let rows = rows_under(body, self.key, self.path)?;
        let n = rows.len() as u64;
        self.skip += n;
        self.done = n == 0
            || match total {
                Some(total) => self.skip >= total,
                None => n < self.top || !has_next,
            };
        Ok((n > 0).then_some(SkipPage { rows, polled }))
    }

    /// Rows received so far.
    pub fn received(&self) -> u64 {
        self.skip
    }

    /// Requests sent so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }
}

/// The array under `key` (case-insensitive), or nothing for a 204. Old versions wrap it in
/// `resultSet`.
fn rows_under(
    body: Option<Value>,
    key: &str,
    path: &str,
) -> Result<Vec<Map<String, Value>>, ApiError> {
    let Some(body) = body else {
        return Ok(Vec::new());
    };
    let body = match body.get("resultSet") {
        Some(inner) => inner.clone(),
        None => body,
    };
    let malformed = |reason: String| ApiError::Malformed {
        method: "GET".into(),
        path: path.into(),
        reason,
        truncated: false,
    };
    let object = body
        .as_object()
        .ok_or_else(|| malformed("the answer is not a JSON object".into()))?;
    // A 200 answer without its list is not "no rows" (that is a 204): refuse it.
    let Some((_, list)) = object.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) else {
        return Err(malformed(format!("the answer has no `{key}`")));
    };
    let list = list
        .as_array()
        .ok_or_else(|| malformed(format!("`{key}` is not a list")))?;
    list.iter()
        .map(|v| {
            v.as_object()
                .cloned()
                .ok_or_else(|| malformed(format!("an entry of `{key}` is not an object")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_found_case_insensitively_and_in_old_wrappers() {
        let rows = rows_under(
            Some(json!({"resultSet": {"CompletedContacts": [{"contactId": "1"}]}})),
            "completedContacts",
            "x",
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert!(
            rows_under(None, "completedContacts", "x")
                .unwrap()
                .is_empty()
        );
        assert!(
            rows_under(
                Some(json!({"completedContacts": "nope"})),
                "completedContacts",
                "x"
            )
            .is_err()
        );
        let missing = rows_under(
            Some(json!({"totalRecords": 5})),
            "completedContacts",
            "contacts/completed",
        )
        .unwrap_err()
        .to_string();
        assert!(missing.contains("no `completedContacts`"), "{missing}");
    }
}
