//! NICE CXone: access-key authentication, tenant discovery, and the reporting endpoints behind
//! `queue_intervals` (skills summary), `agent_intervals` (agent performance) and `contacts`
//! (completed contacts). Facts: reference/cxone.md.
//!
//! Sign-in: the token endpoint comes from `/.well-known/openid-configuration`; the password grant
//! with an access key gives a one-hour token; the tenant id in the token's claims leads to the
//! tenant's API base in `/.well-known/cxone-configuration?tenantId=` (cached for the run). Calls go
//! to `{api_endpoint}/inContactAPI/services/{version}/…`, with one pinned, configurable version.
//! Performance and summary endpoints report one row per agent or skill for the requested window,
//! so each slice is cut into intervals (30 minutes by default) and asked for one by one.

pub mod lenient;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::{OnceCell, mpsc};

use crate::auth::connection::{Connection, StoredConnectionToken};
use crate::auth::store::TokenStore;
use crate::auth::{AuthError, FetchFuture, ServiceGrant, TokenCache, TokenFetcher};
use crate::http::{ApiClient, ApiClientSettings, ApiError};

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
    /// Quota and retry bounds.
    pub http: ApiClientSettings,
}

const HINT: &str = "check the access key id and secret (the variables or files named in ccetl.toml; secrets end in '=' and are sent URL-encoded), the app's client id and secret, and that the access key's user has reporting permissions";

#[derive(Deserialize)]
struct OpenIdConfiguration {
    token_endpoint: String,
}

#[derive(Deserialize)]
struct CxoneConfiguration {
    api_endpoint: String,
}

fn unavailable(url: &str, reason: impl std::fmt::Display) -> AuthError {
    AuthError::Unavailable {
        vendor: "CXone",
        token_url: url.to_string(),
        reason: reason.to_string(),
    }
}

async fn get_document<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: Url,
) -> Result<T, AuthError> {
    let response = http
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| unavailable(url.as_str(), crate::auth::describe_reqwest_error(&e)))?;
    if !response.status().is_success() {
        let status = response.status().as_u16();
        let why = response
            .headers()
            .get("icStatusDescription")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        return Err(unavailable(url.as_str(), format!("HTTP {status} {why}")));
    }
    response.json().await.map_err(|e| AuthError::Malformed {
        vendor: "CXone",
        token_url: url.to_string(),
        reason: e.to_string(),
    })
}

/// The access-key grant, with its token endpoint discovered on first use.
struct AccessKeyGrant {
    discovery: Url,
    client_id: String,
    client_secret: SecretString,
    access_key_id: String,
    access_key_secret: SecretString,
    timeout: Duration,
    grant: OnceCell<ServiceGrant>,
}

impl TokenFetcher for AccessKeyGrant {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            let grant = self
                .grant
                .get_or_try_init(|| async {
                    let http = crate::http::build_http_client(self.timeout)
                        .map_err(|e| unavailable(self.discovery.as_str(), e))?;
                    let url = self
                        .discovery
                        .join(".well-known/openid-configuration")
                        .map_err(|e| unavailable(self.discovery.as_str(), e))?;
                    let config: OpenIdConfiguration = get_document(&http, url).await?;
                    Ok::<_, AuthError>(
                        ServiceGrant::client_credentials(
                            "CXone",
                            config.token_endpoint,
                            self.client_id.clone(),
                            self.client_secret.clone(),
                            self.timeout,
                            HINT,
                        )?
                        .with_access_key(
                            self.access_key_id.clone(),
                            self.access_key_secret.clone(),
                        ),
                    )
                })
                .await?;
            grant.fetch().await
        })
    }
}

/// One interval's report rows: (start, end, rows).
pub type ReportWindow = (DateTime<Utc>, DateTime<Utc>, Vec<Map<String, Value>>);

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

/// The `tenantId` claim of a JWT access token.
pub fn tenant_id(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims
        .get("tenantId")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A connected CXone tenant.
pub struct CxoneSource {
    client: ApiClient,
    interval: Duration,
    contacts_page_size: u64,
    api_version: String,
}

/// The UTC format CXone accepts best (a literal `Z`, reference/cxone.md §2.1).
pub fn cxone_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl CxoneSource {
    /// Signs in (so bad credentials fail before any slice), discovers the API base, and builds
    /// the rate-limited client.
    pub async fn connect(settings: &CxoneSettings) -> Result<Self, crate::Error> {
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
        let token = tokens.get().await?;
        let api = match &settings.api_base {
            Some(base) => base.clone(),
            None => {
                let tenant = tenant_id(token.secret().expose_secret()).ok_or_else(|| {
                    crate::Error::Auth(AuthError::Malformed {
                        vendor: "CXone",
                        token_url: settings.discovery_base.to_string(),
                        reason: "the access token carries no tenantId claim; set api_url in the [cxone.<tenant>] section".into(),
                    })
                })?;
                let http = crate::http::build_http_client(settings.http.request_timeout)
                    .map_err(crate::Error::Runtime)?;
                let mut url = settings
                    .discovery_base
                    .join(".well-known/cxone-configuration")
                    .map_err(|e| crate::Error::Runtime(e.to_string()))?;
                url.query_pairs_mut().append_pair("tenantId", &tenant);
                let config: CxoneConfiguration = get_document(&http, url).await?;
                crate::plan::parse_base_url("cxone api_endpoint", &config.api_endpoint)?
            }
        };
        let base = api
            .join(&format!("inContactAPI/services/{}/", settings.api_version))
            .map_err(|e| crate::Error::Runtime(format!("invalid API base: {e}")))?;
        tracing::debug!(api = %base, "CXone API base discovered.");
        let client = ApiClient::new("CXone", base, tokens, settings.http.clone())
            .map_err(crate::Error::Runtime)?;
        Ok(Self {
            client,
            interval: settings.interval,
            contacts_page_size: settings.contacts_page_size,
            api_version: settings.api_version.clone(),
        })
    }

    /// The client (for its counters).
    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// What a manifest records as the "query" of a dataset: the endpoint, and a hash of the
    /// API version and interval (a change re-fetches on `--resume`).
    pub fn request_fingerprint(&self, dataset: crate::transform::Dataset) -> (String, String) {
        use sha2::Digest;
        let endpoint = match dataset {
            crate::transform::Dataset::QueueIntervals => "skills/summary",
            crate::transform::Dataset::AgentIntervals => "agents/performance",
            _ => "contacts/completed",
        };
        let text = format!(
            "{}|{}|{}|{endpoint}",
            self.api_version,
            self.interval.as_secs(),
            self.contacts_page_size
        );
        let print = sha2::Sha256::digest(text.as_bytes())
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        (format!("{} {endpoint}", self.api_version), print)
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

    /// `GET contacts/completed` for `[start, end)`, paged by `top`/`skip` until a 204, an empty or
    /// short page, no `_links.next`, or `totalRecords` covered; pages go to `pages`.
    pub async fn completed_contacts(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        pages: mpsc::Sender<Vec<Map<String, Value>>>,
    ) -> Result<u64, ApiError> {
        let top = self.contacts_page_size.max(1);
        let mut skip = 0u64;
        loop {
            let query = [
                ("startDate", cxone_date(start)),
                ("endDate", cxone_date(end)),
                ("top", top.to_string()),
                ("skip", skip.to_string()),
                ("orderBy", "contactStartDate asc".to_string()),
            ];
            let body: Option<Value> = self.client.get_json("contacts/completed", &query).await?;
            let total = body
                .as_ref()
                .and_then(|b| lenient::number(b.get("totalRecords").unwrap_or(&Value::Null)))
                .map(|t| t as u64);
            let has_next = body
                .as_ref()
                .and_then(|b| b.pointer("/_links/next"))
                .is_some_and(|n| n.as_str().is_some_and(|s| !s.is_empty()));
            let rows = rows_under(body, "completedContacts", "contacts/completed")?;
            let n = rows.len() as u64;
            if n > 0 && pages.send(rows).await.is_err() {
                return Err(ApiError::Job {
                    message: "the consumer of contact pages stopped (see its error)".into(),
                });
            }
            skip += n;
            let covered = total.is_some_and(|t| skip >= t);
            if n == 0 || n < top || covered || (!has_next && total.is_none()) {
                return Ok(skip);
            }
        }
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
    let Some((_, list)) = object.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) else {
        return Ok(Vec::new());
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
    fn tenant_id_comes_from_the_token_claims() {
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"tenantId":"11eb660f","icBUId":4599570}"#);
        assert_eq!(
            tenant_id(&format!("eyJhbGciOiJSUzI1NiJ9.{claims}.sig")),
            Some("11eb660f".into())
        );
        assert_eq!(tenant_id("opaque-token"), None);
    }

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
    }
}
