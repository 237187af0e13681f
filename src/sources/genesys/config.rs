//! `[genesys.<tenant>]`: one Genesys Cloud org reached with one OAuth client, read strictly and
//! resolved into [`GenesysSettings`] (region or explicit URLs, credentials, query files, quota,
//! details limits).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::details::DetailsSettings;
use super::queries::GenesysQueries;
use super::{DATASETS, GenesysAuth, GenesysSettings};
use crate::auth::regions::{REGIONS, Region};
use crate::auth::resolve;
use crate::config::{ConfigError, ConfigFile, Environment, ValueRef, value_error};
use crate::sources::settings::{self, HttpKeys};

/// `[genesys.<tenant>]`: one Genesys Cloud org reached with one OAuth client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesysSection {
    /// Region as SDK name (`eu_central_1`), AWS region (`eu-central-1`) or domain (`mypurecloud.de`).
    pub region: Option<String>,
    /// Login base URL, overriding the region's (e.g. the simulator's). Needs `api_url` too.
    pub login_url: Option<String>,
    /// API base URL, overriding the region's. Needs `login_url` too.
    pub api_url: Option<String>,
    /// OAuth client id (client credentials grant).
    pub client_id: Option<ValueRef>,
    /// OAuth client secret: `{ env = "NAME" }` or `{ file = "PATH" }` only.
    pub client_secret: Option<ValueRef>,
    /// Run in a user's context with this `[connections.<name>]` (after `ccetl auth login`)
    /// instead of client credentials.
    pub connection: Option<String>,
    /// IANA time zone that defines the business date of a partition.
    #[serde(default = "settings::default_time_zone")]
    pub time_zone: String,
    /// Datasets to extract; default all that this source supports.
    pub datasets: Option<Vec<String>>,
    /// Directory with the query bodies (`queue_intervals.json`, …); default the built-in ones.
    pub queries_dir: Option<PathBuf>,
    /// Minutes after a day ends before its data counts as final (the vendor keeps correcting
    /// a day for a while after it ends; see README "Failure and recovery").
    #[serde(default = "settings::default_settle_minutes")]
    pub settle_minutes: u64,
    /// Request budget for this OAuth client (Genesys allows 300 per minute per token by default).
    #[serde(default = "default_requests_per_minute")]
    pub requests_per_minute: u32,
    /// Requests that may go out back to back before the per-minute pace applies.
    #[serde(default = "settings::default_burst")]
    pub burst: u32,
    /// Retries of one request after 429, 5xx, timeouts and connection errors.
    #[serde(default = "settings::default_max_retries")]
    pub max_retries: usize,
    /// Total time one request may spend waiting between retries.
    #[serde(default = "settings::default_max_retry_elapsed_secs")]
    pub max_retry_elapsed_secs: u64,
    /// A 429 asking to wait longer than this fails the slice instead (a daily quota, say).
    #[serde(default = "settings::default_max_retry_after_secs")]
    pub max_retry_after_secs: u64,
    /// Timeout of one HTTP request.
    #[serde(default = "settings::default_request_timeout_secs")]
    pub request_timeout_secs: u64,
    /// Page size of the entity lists behind the dimension datasets (queues, users, …): 1 to 500.
    #[serde(default = "settings::default_entity_page_size")]
    pub entity_page_size: u64,
    /// Page size of the synchronous details queries: conversations (the API allows 100), and users
    /// for `agent_status`.
    #[serde(default = "default_details_page_size")]
    pub details_page_size: u64,
    /// Result window of the details query (`pageSize × pageNumber`); larger windows are split.
    #[serde(default = "default_details_result_cap")]
    pub details_result_cap: u64,
    /// `contacts` for dates at least this many days old use async jobs; newer ones the query.
    #[serde(default = "default_details_jobs_after_days")]
    pub details_jobs_after_days: u32,
    /// Page size of async job results.
    #[serde(default = "default_details_job_page_size")]
    pub details_job_page_size: u64,
    /// Results one async job may return; larger windows are split.
    #[serde(default = "default_details_job_result_cap")]
    pub details_job_result_cap: u64,
    /// First wait between job status polls, seconds (grows by half up to 30 s).
    #[serde(default = "default_details_job_poll_secs")]
    pub details_job_poll_secs: f64,
    /// A job not done after this long fails the slice.
    #[serde(default = "default_details_job_timeout_secs")]
    pub details_job_timeout_secs: u64,
    /// Resubmissions of a job that ends FAILED, CANCELLED or EXPIRED.
    #[serde(default = "default_details_job_resubmits")]
    pub details_job_resubmits: u32,
    /// Consecutive days one async job covers in a backfill (1 to 31): fewer requests (a job's
    /// submit and polls once per this many days), and this many days' partitions open at once.
    #[serde(default = "default_details_job_max_days")]
    pub details_job_max_days: u32,
    /// Consecutive days one aggregates query covers in a backfill (1 to 31; 1 by default, since
    /// the references give no maximum interval for these queries): `queue_intervals`,
    /// `agent_intervals` and `metrics` cost one request per query per this many days.
    #[serde(default = "default_aggregates_max_days")]
    pub aggregates_max_days: u32,
}

fn default_aggregates_max_days() -> u32 {
    1
}

fn default_details_job_max_days() -> u32 {
    7
}

fn default_details_page_size() -> u64 {
    100
}
fn default_details_result_cap() -> u64 {
    100_000
}
fn default_details_jobs_after_days() -> u32 {
    7
}
fn default_details_job_page_size() -> u64 {
    1000
}
fn default_details_job_result_cap() -> u64 {
    400_000
}
fn default_details_job_poll_secs() -> f64 {
    3.0
}
fn default_details_job_timeout_secs() -> u64 {
    1800
}
fn default_details_job_resubmits() -> u32 {
    2
}

fn default_requests_per_minute() -> u32 {
    300
}

impl GenesysSection {
    /// Resolves the section of `tenant` (relative `queries_dir` against `base_dir`).
    pub fn resolve(
        &self,
        tenant: &str,
        config: &ConfigFile,
        env: &Environment,
        base_dir: &Path,
    ) -> Result<(GenesysSettings, chrono_tz::Tz, Vec<crate::transform::Dataset>), ConfigError> {
        let key = |k: &str| format!("genesys.{tenant}.{k}");
        let (login_base, api_base) = match (&self.region, &self.login_url, &self.api_url) {
            (_, Some(login), Some(api)) => (
                settings::base_url(&key("login_url"), login)?,
                settings::base_url(&key("api_url"), api)?,
            ),
            (Some(region), None, None) => {
                let r = Region::find(region).ok_or_else(|| {
                    value_error(
                        &key("region"),
                        format!(
                            "unknown region {region:?}; use one of: {}",
                            REGIONS.iter().map(|r| r.name).collect::<Vec<_>>().join(", ")
                        ),
                    )
                })?;
                (
                    settings::base_url(&key("region"), &r.login_base())?,
                    settings::base_url(&key("region"), &r.api_base())?,
                )
            }
            (_, Some(_), None) | (_, None, Some(_)) => {
                return Err(value_error(
                    &key("login_url"),
                    "login_url and api_url go together; set both, or set region instead",
                ));
            }
            (None, None, None) => {
                return Err(value_error(
                    &key("region"),
                    "set region (e.g. \"us_east_1\") or both login_url and api_url",
                ));
            }
        };
        let time_zone = settings::time_zone(&key("time_zone"), &self.time_zone)?;
        let datasets = settings::datasets(
            &key("datasets"),
            self.datasets.as_deref(),
            DATASETS,
            "Genesys",
        )?;
        let queries_dir = self.queries_dir.as_ref().map(|d| {
            if d.is_absolute() {
                d.clone()
            } else {
                base_dir.join(d)
            }
        });
        let queries = GenesysQueries::load(queries_dir.as_deref())?;
        if self.details_page_size == 0 || self.details_job_page_size == 0 {
            return Err(value_error(
                &key("details_page_size"),
                "page sizes must be at least 1",
            ));
        }
        if !(self.details_job_poll_secs.is_finite()
            && self.details_job_poll_secs > 0.0
            && self.details_job_poll_secs <= 3600.0)
        {
            return Err(value_error(
                &key("details_job_poll_secs"),
                "must be a positive number of seconds, at most 3600",
            ));
        }
        if !(1..=31).contains(&self.details_job_max_days) {
            return Err(value_error(
                &key("details_job_max_days"),
                format!("{} is out of range (1 to 31)", self.details_job_max_days),
            ));
        }
        if !(1..=31).contains(&self.aggregates_max_days) {
            return Err(value_error(
                &key("aggregates_max_days"),
                format!("{} is out of range (1 to 31)", self.aggregates_max_days),
            ));
        }
        if self.aggregates_max_days > 1 {
            queries.check_days_apart().map_err(|message| {
                value_error(&key("aggregates_max_days"), message)
            })?;
        }
        let details = DetailsSettings {
            page_size: self.details_page_size,
            result_cap: self.details_result_cap.max(self.details_page_size),
            jobs_after_days: self.details_jobs_after_days,
            job_page_size: self.details_job_page_size,
            job_result_cap: self.details_job_result_cap.max(self.details_job_page_size),
            job_poll_initial: Duration::from_secs_f64(self.details_job_poll_secs),
            job_poll_max: Duration::from_secs(30)
                .max(Duration::from_secs_f64(self.details_job_poll_secs)),
            job_timeout: Duration::from_secs(self.details_job_timeout_secs),
            job_resubmits: self.details_job_resubmits,
            job_max_days: self.details_job_max_days,
        };
        let entity_page_size =
            settings::entity_page_size(&key("entity_page_size"), self.entity_page_size, 500)?;
        let http = HttpKeys {
            requests_per_minute: self.requests_per_minute,
            burst: self.burst,
            max_retries: self.max_retries,
            max_retry_elapsed_secs: self.max_retry_elapsed_secs,
            max_retry_after_secs: self.max_retry_after_secs,
            request_timeout_secs: self.request_timeout_secs,
        }
        .settings(&key)?;
        // Credentials last, so a wrong region is reported before a missing variable.
        let auth = match (&self.connection, &self.client_id, &self.client_secret) {
            (Some(name), None, None) => GenesysAuth::Connection {
                connection: Box::new(resolve::connection(config, name, env)?),
                store: resolve::token_store(config),
            },
            (None, Some(id), Some(secret)) => GenesysAuth::ClientCredentials {
                client_id: env.value(&key("client_id"), id)?,
                client_secret: env.secret(&key("client_secret"), secret)?,
            },
            (Some(_), _, _) => {
                return Err(value_error(
                    &key("connection"),
                    "a source uses either a stored connection or client_id/client_secret, not both",
                ));
            }
            (None, _, _) => {
                return Err(value_error(
                    &key("client_secret"),
                    "set client_id and client_secret (client credentials), or connection = \"<name>\" for a user login",
                ));
            }
        };
        Ok((
            GenesysSettings {
                login_base,
                api_base,
                auth,
                http,
                settle: Duration::from_secs(self.settle_minutes.saturating_mul(60)),
                queries,
                details,
                entity_page_size,
                aggregates_max_days: self.aggregates_max_days,
            },
            time_zone,
            datasets,
        ))
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_key_in_a_tenant_section_is_an_error_with_its_line() {
        let text = "[output]\ndir = \"out\"\n\n[genesys.acme]\nregion = \"us_east_1\"\nregoin = \"eu_central_1\"\n";
        let config = ConfigFile::parse(text, Path::new("ccetl.toml")).unwrap();
        let err = config
            .tenants::<GenesysSection>("genesys")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 6") && err.contains("regoin"), "{err}");
    }
}
