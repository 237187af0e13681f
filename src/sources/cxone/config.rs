//! `[cxone.<tenant>]`: one CXone business unit reached with one app and one API user's access
//! key (or a stored user connection), read strictly and resolved into [`CxoneSettings`].

use std::time::Duration;

use serde::Deserialize;

use super::{CxoneAuth, CxoneSettings, DATASETS};
use crate::auth::resolve;
use crate::config::{ConfigError, ConfigFile, Environment, ValueRef, value_error};
use crate::sources::settings::{self, HttpKeys};

/// `[cxone.<tenant>]`: one CXone business unit reached with one app and one API user's access key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CxoneSection {
    /// Where the discovery documents are; default `https://cxone.niceincontact.com`
    /// (government: `https://cxone-gov.niceincontact.com`).
    pub discovery_url: Option<String>,
    /// The API base, overriding discovery from the token's tenant id.
    pub api_url: Option<String>,
    /// The registered app's client id.
    pub client_id: Option<ValueRef>,
    /// The app's client secret (`{ env = … }` or `{ file = … }`).
    pub client_secret: Option<ValueRef>,
    /// The API user's access key id.
    pub access_key_id: Option<ValueRef>,
    /// The API user's access key secret (`{ env = … }` or `{ file = … }`).
    pub access_key_secret: Option<ValueRef>,
    /// Run in a user's context with this `[connections.<name>]` (after `ccetl auth login`)
    /// instead of the access key.
    pub connection: Option<String>,
    /// The pinned API version, e.g. `v31.0`.
    #[serde(default = "default_cxone_version")]
    pub api_version: String,
    /// IANA time zone of business dates.
    #[serde(default = "settings::default_time_zone")]
    pub time_zone: String,
    /// Datasets; default `queue_intervals`, `agent_intervals`, `contacts`.
    pub datasets: Option<Vec<String>>,
    /// Length of the intervals the skill and agent reports are asked for.
    #[serde(default = "default_interval_minutes")]
    pub interval_minutes: u32,
    /// `top` of completed-contact and agent state-history pages.
    #[serde(default = "default_cxone_page_size")]
    pub contacts_page_size: u64,
    /// `top` of the Admin lists behind the dimension datasets (skills, agents, …): 1 to 100.
    #[serde(default = "settings::default_entity_page_size")]
    pub entity_page_size: u64,
    /// Minutes after a day ends before its data counts as final (the vendor keeps correcting
    /// a day for a while after it ends; see README "Failure and recovery").
    #[serde(default = "settings::default_settle_minutes")]
    pub settle_minutes: u64,
    /// Request budget (CXone publishes none; keep it modest).
    #[serde(default = "default_cxone_requests_per_minute")]
    pub requests_per_minute: u32,
    /// Requests that may go back to back.
    #[serde(default = "settings::default_burst")]
    pub burst: u32,
    /// Retries of one request.
    #[serde(default = "settings::default_max_retries")]
    pub max_retries: usize,
    /// Total wait across the retries of one request.
    #[serde(default = "settings::default_max_retry_elapsed_secs")]
    pub max_retry_elapsed_secs: u64,
    /// Longest `Retry-After` honoured.
    #[serde(default = "settings::default_max_retry_after_secs")]
    pub max_retry_after_secs: u64,
    /// Timeout of one HTTP request.
    #[serde(default = "settings::default_request_timeout_secs")]
    pub request_timeout_secs: u64,
}

fn default_cxone_version() -> String {
    "v31.0".to_string()
}
fn default_interval_minutes() -> u32 {
    30
}
fn default_cxone_page_size() -> u64 {
    1000
}
fn default_cxone_requests_per_minute() -> u32 {
    120
}

impl CxoneSection {
    /// Resolves the section of `tenant`.
    pub fn resolve(
        &self,
        tenant: &str,
        config: &ConfigFile,
        env: &Environment,
    ) -> Result<(CxoneSettings, chrono_tz::Tz, Vec<crate::transform::Dataset>), ConfigError> {
        let key = |k: &str| format!("cxone.{tenant}.{k}");
        let keys = (
            &self.client_id,
            &self.client_secret,
            &self.access_key_id,
            &self.access_key_secret,
        );
        let auth = match (&self.connection, keys) {
            (Some(name), (None, None, None, None)) => CxoneAuth::Connection {
                connection: Box::new(resolve::connection(config, name, env)?),
                store: resolve::token_store(config),
            },
            (None, (Some(id), Some(secret), Some(key_id), Some(key_secret))) => {
                CxoneAuth::AccessKey {
                    client_id: env.value(&key("client_id"), id)?,
                    client_secret: env.secret(&key("client_secret"), secret)?,
                    access_key_id: env.value(&key("access_key_id"), key_id)?,
                    access_key_secret: env.secret(&key("access_key_secret"), key_secret)?,
                }
            }
            (Some(_), _) => {
                return Err(value_error(
                    &key("connection"),
                    "a source uses either a stored connection or the access key, not both",
                ));
            }
            (None, _) => {
                return Err(value_error(
                    &key("access_key_secret"),
                    "set client_id, client_secret, access_key_id and access_key_secret (the app and an API user's access key), or connection = \"<name>\" for a user login",
                ));
            }
        };
        let discovery_base = settings::base_url(
            &key("discovery_url"),
            self.discovery_url
                .as_deref()
                .unwrap_or("https://cxone.niceincontact.com"),
        )?;
        let api_base = self
            .api_url
            .as_deref()
            .map(|u| settings::base_url(&key("api_url"), u))
            .transpose()?;
        let time_zone = settings::time_zone(&key("time_zone"), &self.time_zone)?;
        let datasets =
            settings::datasets(&key("datasets"), self.datasets.as_deref(), DATASETS, "CXone")?;
        let version_ok = self
            .api_version
            .strip_prefix('v')
            .is_some_and(|v| v.parse::<f64>().is_ok());
        if !version_ok {
            return Err(value_error(
                &key("api_version"),
                format!(
                    "{:?} is not an API version like \"v31.0\"",
                    self.api_version
                ),
            ));
        }
        if self.interval_minutes == 0 || 1440 % self.interval_minutes != 0 {
            return Err(value_error(
                &key("interval_minutes"),
                "must divide a day evenly (15, 30, 60, …)",
            ));
        }
        let http = HttpKeys {
            requests_per_minute: self.requests_per_minute,
            burst: self.burst,
            max_retries: self.max_retries,
            max_retry_elapsed_secs: self.max_retry_elapsed_secs,
            max_retry_after_secs: self.max_retry_after_secs,
            request_timeout_secs: self.request_timeout_secs,
        }
        .settings(&key)?;
        let entity_page_size =
            settings::entity_page_size(&key("entity_page_size"), self.entity_page_size, 100)?;
        let settings = CxoneSettings {
            discovery_base,
            api_base,
            auth,
            api_version: self.api_version.clone(),
            interval: Duration::from_secs(u64::from(self.interval_minutes) * 60),
            contacts_page_size: self.contacts_page_size.clamp(1, 10_000),
            entity_page_size,
            http,
            settle: Duration::from_secs(self.settle_minutes.saturating_mul(60)),
        };
        Ok((settings, time_zone, datasets))
    }
}
