//! Genesys Cloud: regions, client-credentials login, and the analytics queries behind each dataset.
//!
//! Facts come from `reference/genesys.md`: login `POST https://login.{domain}/oauth/token`, API
//! `https://api.{domain}`, and for `queue_intervals` the synchronous (unpaged)
//! `POST /api/v2/analytics/conversations/aggregates/query` with one business day per request.

pub mod details;
pub mod model;
pub mod queries;
pub mod regions;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Url;
use secrecy::SecretString;

use crate::auth::connection::{Connection, StoredConnectionToken};
use crate::auth::store::TokenStore;
use crate::auth::{AuthError, ServiceGrant, TokenCache};
use crate::http::{ApiClient, ApiClientSettings, ApiError};
use details::{DetailConversation, DetailsFetcher, DetailsReport, DetailsSettings};
use model::AggregateQueryResponse;
use queries::{AggregateQuery, GenesysQueries};

/// Path of the conversation aggregates query.
pub const CONVERSATION_AGGREGATES_PATH: &str = "/api/v2/analytics/conversations/aggregates/query";

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
    /// Every query the source runs.
    pub queries: GenesysQueries,
    /// Details paging, splitting and job limits.
    pub details: DetailsSettings,
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

/// A connected Genesys org: one OAuth client, one token cache, one rate-limited client.
pub struct GenesysSource {
    client: ApiClient,
    queries: GenesysQueries,
    details: DetailsSettings,
}

const CREDENTIALS_HINT: &str = "check the client id and secret (the variables or files named in ccetl.toml), that the OAuth client uses the Client Credentials grant, and that `region` is the org's region";

impl GenesysSource {
    /// Builds the client; fetches nothing yet.
    pub fn connect(settings: &GenesysSettings) -> Result<Self, crate::Error> {
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
        .map_err(crate::Error::Runtime)?;
        Ok(Self {
            client,
            queries: settings.queries.clone(),
            details: settings.details.clone(),
        })
    }

    /// Obtains a token now, so that bad credentials stop a run before any slice starts.
    pub async fn check_credentials(&self) -> Result<(), AuthError> {
        self.client.tokens().get().await.map(|_| ())
    }

    /// The client (for its counters).
    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// The query behind `queue_intervals`.
    pub fn queue_intervals_query(&self) -> &AggregateQuery {
        &self.queries.queue_intervals
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

    /// The two queries behind `agent_intervals`: presence, then conversations.
    pub fn agent_queries(&self) -> [&AggregateQuery; 2] {
        [
            &self.queries.agent_presence,
            &self.queries.agent_conversations,
        ]
    }

    /// The `metrics` queries.
    pub fn metrics_queries(&self) -> &[AggregateQuery] {
        &self.queries.metrics
    }

    /// Runs any aggregates query for `[start, end)` at the endpoint its metrics call for.
    pub async fn aggregate(
        &self,
        query: &AggregateQuery,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        time_zone: &str,
    ) -> Result<AggregateQueryResponse, ApiError> {
        let path = query
            .endpoint()
            .map(|e| e.path())
            .unwrap_or(CONVERSATION_AGGREGATES_PATH);
        self.client
            .post_json(path, &query.body_for(start, end, time_zone))
            .await
    }

    /// The query behind `contacts`.
    pub fn contacts_query(&self) -> &queries::QueryFile {
        &self.queries.contacts
    }

    /// Details limits.
    pub fn details_settings(&self) -> &DetailsSettings {
        &self.details
    }

    /// Streams the conversations of `[start, end)` (and some neighbours: the consumer filters by
    /// start and de-duplicates) into `pages`, by async jobs when `use_jobs`.
    pub async fn conversation_details(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        use_jobs: bool,
        pages: tokio::sync::mpsc::Sender<Vec<DetailConversation>>,
    ) -> Result<DetailsReport, ApiError> {
        DetailsFetcher {
            client: &self.client,
            settings: &self.details,
            body: self.queries.contacts.body(),
        }
        .fetch(start, end, use_jobs, pages)
        .await
    }
}
