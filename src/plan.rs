//! Parse → plan → run: the plan is the configuration and the command line, validated and resolved
//! (credentials read, URLs checked, dates turned into UTC intervals, queries loaded). After
//! planning nothing fails because of configuration.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use reqwest::Url;

use crate::auth::connection::{Connection, Grant};
use crate::auth::providers::{self, Placeholders};
use crate::auth::store::TokenStore;
use crate::config::{
    ConfigError, ConfigFile, CxoneSection, GenesysSection, resolve_secret, resolve_value,
};
use crate::http::ApiClientSettings;
use crate::sources::cxone::{CxoneAuth, CxoneSettings};
use crate::sources::genesys::details::DetailsSettings;
use crate::sources::genesys::queries::GenesysQueries;
use crate::sources::genesys::regions::Region;
use crate::sources::genesys::{GenesysAuth, GenesysSettings};
use crate::transform::Dataset;
use crate::transform::contacts::{PersonalData, Pseudonymizer};

/// The longest range one backfill may cover, to catch typos like `--from 2016-…`.
pub const MAX_RANGE_DAYS: u64 = 3700;

/// Which dates to extract, as the command line said.
#[derive(Debug, Clone)]
pub enum DateSelection {
    /// `ccetl run`: one date (default yesterday in the source's time zone) plus `lookback_days`
    /// days before it.
    Run {
        /// The target date; `None` = yesterday.
        date: Option<NaiveDate>,
        /// Days before the target to fetch again; `None` = the configured value.
        lookback_days: Option<u32>,
    },
    /// `ccetl backfill`: an inclusive range.
    Range {
        /// First date.
        from: NaiveDate,
        /// Last date (inclusive).
        to: NaiveDate,
    },
}

/// What to do with partitions that already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Fetch and replace every planned partition.
    Replace,
    /// Skip partitions already complete with the same query and schema (resume a backfill).
    Resume,
}

/// A vendor connection, resolved.
// Built once per run and never moved around in bulk: boxing a variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum SourceKind {
    /// A Genesys Cloud org.
    Genesys(GenesysSettings),
    /// A NICE CXone tenant.
    Cxone(CxoneSettings),
}

/// One source of the plan.
pub struct SourcePlan {
    /// The tenant name (partition path `tenant=`).
    pub tenant: String,
    /// How to reach it.
    pub kind: SourceKind,
    /// Time zone of business dates.
    pub time_zone: Tz,
    /// Datasets to extract.
    pub datasets: Vec<Dataset>,
    /// Dates to extract, ascending.
    pub dates: Vec<NaiveDate>,
    /// The personal-data policy for `contacts`.
    pub pseudonymizer: Pseudonymizer,
}

impl SourcePlan {
    /// `genesys`, `cxone`.
    pub fn vendor(&self) -> &'static str {
        match self.kind {
            SourceKind::Genesys(_) => "genesys",
            SourceKind::Cxone(_) => "cxone",
        }
    }
}

/// The validated plan of a run.
pub struct Plan {
    /// Sources with their slices.
    pub sources: Vec<SourcePlan>,
    /// Output root.
    pub output_dir: PathBuf,
    /// Slices in flight per source.
    pub concurrency: usize,
    /// Replace or resume.
    pub write_mode: WriteMode,
}

impl Plan {
    /// Number of slices.
    pub fn slice_count(&self) -> usize {
        self.sources
            .iter()
            .map(|s| s.dates.len() * s.datasets.len())
            .sum()
    }
}

/// Options from the command line that shape a plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Dates.
    pub dates: DateSelection,
    /// Only these tenants (empty = all).
    pub tenants: Vec<String>,
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

/// The UTC interval `[start, end)` of a business date in a time zone (23 or 25 hours on
/// daylight-saving days).
pub fn day_interval(date: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = local_midnight(date, tz);
    let end = local_midnight(date + Days::new(1), tz);
    (start, end)
}

fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    // Where midnight does not exist (a DST gap at 00:00), the day starts at the first valid minute.
    for minutes in 0..=180u32 {
        let time = NaiveTime::from_num_seconds_from_midnight_opt(minutes * 60, 0)
            .unwrap_or(NaiveTime::MIN);
        if let Some(t) = tz.from_local_datetime(&date.and_time(time)).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    date.and_time(NaiveTime::MIN).and_utc()
}

fn usage(message: String) -> crate::Error {
    crate::Error::Usage(message)
}

/// Resolves the dates of one source.
fn plan_dates(
    selection: &DateSelection,
    lookback_default: u32,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<NaiveDate>, crate::Error> {
    let today = now.with_timezone(&tz).date_naive();
    let (from, to) = match selection {
        DateSelection::Run {
            date,
            lookback_days,
        } => {
            let target = match date {
                Some(d) => *d,
                None => today
                    .pred_opt()
                    .ok_or_else(|| usage("cannot compute yesterday".into()))?,
            };
            let lookback = lookback_days.unwrap_or(lookback_default) as u64;
            let from = target
                .checked_sub_days(Days::new(lookback))
                .ok_or_else(|| usage("--lookback-days goes before the calendar starts".into()))?;
            (from, target)
        }
        DateSelection::Range { from, to } => {
            if from > to {
                return Err(usage(format!(
                    "--from {from} is after --to {to}: the range is inclusive, so give the earlier date first"
                )));
            }
            (*from, *to)
        }
    };
    if to > today {
        return Err(usage(format!(
            "{to} is in the future in time zone {tz} (today is {today}); there is no data to extract yet"
        )));
    }
    let days = (to - from).num_days() as u64 + 1;
    if days > MAX_RANGE_DAYS {
        return Err(usage(format!(
            "{from}..{to} covers {days} days, more than {MAX_RANGE_DAYS}; split the backfill"
        )));
    }
    Ok(from.iter_days().take(days as usize).collect())
}

/// Checks a base URL: https, or http on a loopback address only (the simulator).
pub fn parse_base_url(key: &str, text: &str) -> Result<Url, ConfigError> {
    let invalid = |message: String| ConfigError::Value {
        key: key.to_string(),
        message,
    };
    let mut url =
        Url::parse(text.trim()).map_err(|e| invalid(format!("{text:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            if !loopback {
                return Err(invalid(format!(
                    "{text:?} uses plain http: only https is allowed, except for the simulator on 127.0.0.1/localhost"
                )));
            }
        }
        other => {
            return Err(invalid(format!(
                "{text:?}: unsupported scheme {other}; use https"
            )));
        }
    }
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "the URL must not carry credentials or a query string".into(),
        ));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn valid_tenant(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A source's quota and retry bounds: `[requests_per_minute, burst]`, max retries, and
/// `[max_retry_elapsed_secs, max_retry_after_secs, request_timeout_secs]`.
fn http_settings(
    key: &dyn Fn(&str) -> String,
    [rpm, burst]: [u32; 2],
    max_retries: usize,
    [elapsed, after, timeout]: [u64; 3],
) -> Result<ApiClientSettings, ConfigError> {
    Ok(ApiClientSettings {
        requests_per_minute: nonzero(&key("requests_per_minute"), rpm)?,
        burst: nonzero(&key("burst"), burst)?,
        max_retries,
        max_retry_elapsed: Duration::from_secs(elapsed),
        max_retry_after: Duration::from_secs(after),
        request_timeout: Duration::from_secs(timeout.max(1)),
        ..ApiClientSettings::default()
    })
}

fn nonzero(key: &str, value: u32) -> Result<NonZeroU32, ConfigError> {
    NonZeroU32::new(value).ok_or_else(|| ConfigError::Value {
        key: key.to_string(),
        message: "must be at least 1".into(),
    })
}

fn plan_genesys(
    config: &ConfigFile,
    tenant: &str,
    section: &GenesysSection,
    base_dir: &Path,
) -> Result<(GenesysSettings, Tz, Vec<Dataset>), ConfigError> {
    let key = |k: &str| format!("genesys.{tenant}.{k}");
    let (login_base, api_base) = match (&section.region, &section.login_url, &section.api_url) {
        (_, Some(login), Some(api)) => (
            parse_base_url(&key("login_url"), login)?,
            parse_base_url(&key("api_url"), api)?,
        ),
        (Some(region), None, None) => {
            let r = Region::find(region).ok_or_else(|| ConfigError::Value {
                key: key("region"),
                message: format!(
                    "unknown region {region:?}; use one of: {}",
                    crate::sources::genesys::regions::REGIONS
                        .iter()
                        .map(|r| r.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
            (
                parse_base_url(&key("region"), &r.login_base())?,
                parse_base_url(&key("region"), &r.api_base())?,
            )
        }
        (_, Some(_), None) | (_, None, Some(_)) => {
            return Err(ConfigError::Value {
                key: key("login_url"),
                message: "login_url and api_url go together; set both, or set region instead"
                    .into(),
            });
        }
        (None, None, None) => {
            return Err(ConfigError::Value {
                key: key("region"),
                message: "set region (e.g. \"us_east_1\") or both login_url and api_url".into(),
            });
        }
    };
    let time_zone: Tz = section.time_zone.parse().map_err(|_| ConfigError::Value {
        key: key("time_zone"),
        message: format!(
            "{:?} is not an IANA time zone (e.g. \"UTC\", \"Europe/Berlin\")",
            section.time_zone
        ),
    })?;
    let datasets = match &section.datasets {
        None => Dataset::ALL.to_vec(),
        Some(names) => names
            .iter()
            .map(|n| {
                Dataset::parse(n).ok_or_else(|| ConfigError::Value {
                    key: key("datasets"),
                    message: format!(
                        "unknown dataset {n:?}; Genesys supports: {}",
                        Dataset::ALL
                            .iter()
                            .map(|d| d.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let queries_dir = section.queries_dir.as_ref().map(|d| {
        if d.is_absolute() {
            d.clone()
        } else {
            base_dir.join(d)
        }
    });
    let queries = GenesysQueries::load(queries_dir.as_deref())?;
    if section.details_page_size == 0 || section.details_job_page_size == 0 {
        return Err(ConfigError::Value {
            key: key("details_page_size"),
            message: "page sizes must be at least 1".into(),
        });
    }
    if !(section.details_job_poll_secs.is_finite() && section.details_job_poll_secs > 0.0) {
        return Err(ConfigError::Value {
            key: key("details_job_poll_secs"),
            message: "must be a positive number of seconds".into(),
        });
    }
    let details = DetailsSettings {
        page_size: section.details_page_size,
        result_cap: section.details_result_cap.max(section.details_page_size),
        jobs_after_days: section.details_jobs_after_days,
        job_page_size: section.details_job_page_size,
        job_result_cap: section
            .details_job_result_cap
            .max(section.details_job_page_size),
        job_poll_initial: Duration::from_secs_f64(section.details_job_poll_secs),
        job_poll_max: Duration::from_secs(30)
            .max(Duration::from_secs_f64(section.details_job_poll_secs)),
        job_timeout: Duration::from_secs(section.details_job_timeout_secs),
        job_resubmits: section.details_job_resubmits,
    };
    let http = http_settings(
        &key,
        [section.requests_per_minute, section.burst],
        section.max_retries,
        [
            section.max_retry_elapsed_secs,
            section.max_retry_after_secs,
            section.request_timeout_secs,
        ],
    )?;
    // Credentials last, so a wrong region is reported before a missing variable.
    let auth = match (
        &section.connection,
        &section.client_id,
        &section.client_secret,
    ) {
        (Some(name), None, None) => GenesysAuth::Connection {
            connection: Box::new(connection(config, name)?),
            store: token_store(config),
        },
        (None, Some(id), Some(secret)) => GenesysAuth::ClientCredentials {
            client_id: resolve_value(&key("client_id"), id)?,
            client_secret: resolve_secret(&key("client_secret"), secret)?,
        },
        (Some(_), _, _) => {
            return Err(ConfigError::Value {
                key: key("connection"),
                message:
                    "a source uses either a stored connection or client_id/client_secret, not both"
                        .into(),
            });
        }
        (None, _, _) => {
            return Err(ConfigError::Value {
                key: key("client_secret"),
                message: "set client_id and client_secret (client credentials), or connection = \"<name>\" for a user login".into(),
            });
        }
    };
    Ok((
        GenesysSettings {
            login_base,
            api_base,
            auth,
            http,
            queries,
            details,
        },
        time_zone,
        datasets,
    ))
}

/// Datasets a CXone tenant can fill.
pub const CXONE_DATASETS: &[Dataset] = &[
    Dataset::QueueIntervals,
    Dataset::AgentIntervals,
    Dataset::Contacts,
];

fn plan_cxone(
    config: &ConfigFile,
    tenant: &str,
    section: &CxoneSection,
) -> Result<(CxoneSettings, Tz, Vec<Dataset>), ConfigError> {
    let key = |k: &str| format!("cxone.{tenant}.{k}");
    let keys = (
        &section.client_id,
        &section.client_secret,
        &section.access_key_id,
        &section.access_key_secret,
    );
    let auth = match (&section.connection, keys) {
        (Some(name), (None, None, None, None)) => CxoneAuth::Connection {
            connection: Box::new(connection(config, name)?),
            store: token_store(config),
        },
        (None, (Some(id), Some(secret), Some(key_id), Some(key_secret))) => CxoneAuth::AccessKey {
            client_id: resolve_value(&key("client_id"), id)?,
            client_secret: resolve_secret(&key("client_secret"), secret)?,
            access_key_id: resolve_value(&key("access_key_id"), key_id)?,
            access_key_secret: resolve_secret(&key("access_key_secret"), key_secret)?,
        },
        (Some(_), _) => {
            return Err(ConfigError::Value {
                key: key("connection"),
                message: "a source uses either a stored connection or the access key, not both"
                    .into(),
            });
        }
        (None, _) => {
            return Err(ConfigError::Value {
                key: key("access_key_secret"),
                message: "set client_id, client_secret, access_key_id and access_key_secret (the app and an API user's access key), or connection = \"<name>\" for a user login".into(),
            });
        }
    };
    let discovery_base = parse_base_url(
        &key("discovery_url"),
        section
            .discovery_url
            .as_deref()
            .unwrap_or("https://cxone.niceincontact.com"),
    )?;
    let api_base = section
        .api_url
        .as_deref()
        .map(|u| parse_base_url(&key("api_url"), u))
        .transpose()?;
    let time_zone: Tz = section.time_zone.parse().map_err(|_| ConfigError::Value {
        key: key("time_zone"),
        message: format!(
            "{:?} is not an IANA time zone (e.g. \"UTC\", \"America/New_York\")",
            section.time_zone
        ),
    })?;
    let datasets = match &section.datasets {
        None => CXONE_DATASETS.to_vec(),
        Some(names) => names
            .iter()
            .map(|n| {
                Dataset::parse(n)
                    .filter(|d| CXONE_DATASETS.contains(d))
                    .ok_or_else(|| ConfigError::Value {
                        key: key("datasets"),
                        message: format!(
                            "{n:?}: CXone supports {}",
                            CXONE_DATASETS
                                .iter()
                                .map(|d| d.name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let version_ok = section
        .api_version
        .strip_prefix('v')
        .is_some_and(|v| v.parse::<f64>().is_ok());
    if !version_ok {
        return Err(ConfigError::Value {
            key: key("api_version"),
            message: format!(
                "{:?} is not an API version like \"v31.0\"",
                section.api_version
            ),
        });
    }
    if section.interval_minutes == 0 || 1440 % section.interval_minutes != 0 {
        return Err(ConfigError::Value {
            key: key("interval_minutes"),
            message: "must divide a day evenly (15, 30, 60, …)".into(),
        });
    }
    let http = http_settings(
        &key,
        [section.requests_per_minute, section.burst],
        section.max_retries,
        [
            section.max_retry_elapsed_secs,
            section.max_retry_after_secs,
            section.request_timeout_secs,
        ],
    )?;
    let settings = CxoneSettings {
        discovery_base,
        api_base,
        auth,
        api_version: section.api_version.clone(),
        interval: Duration::from_secs(u64::from(section.interval_minutes) * 60),
        contacts_page_size: section.contacts_page_size.clamp(1, 10_000),
        http,
    };
    Ok((settings, time_zone, datasets))
}

/// The token store of `[auth] token_dir` (relative paths from the working directory).
pub fn token_store(config: &ConfigFile) -> TokenStore {
    TokenStore::new(
        config
            .auth
            .token_dir
            .clone()
            .unwrap_or_else(crate::auth::store::default_dir),
    )
}

/// Checks an endpoint URL: https, or http on a loopback address only.
fn endpoint_url(key: &str, text: &str) -> Result<String, ConfigError> {
    let url = parse_base_url(key, text)?;
    // parse_base_url adds a trailing slash for joining; endpoints are used as written.
    Ok(if text.trim().ends_with('/') {
        url.to_string()
    } else {
        url.as_str().trim_end_matches('/').to_string()
    })
}

/// Resolves `[connections.<name>]`.
pub fn connection(config: &ConfigFile, name: &str) -> Result<Connection, ConfigError> {
    let key = |k: &str| format!("connections.{name}.{k}");
    let section = config
        .connections
        .get(name)
        .ok_or_else(|| ConfigError::Value {
            key: format!("connections.{name}"),
            message: format!(
                "no such connection; configured: {}",
                if config.connections.is_empty() {
                    "none".to_string()
                } else {
                    config
                        .connections
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        })?;
    if !valid_tenant(name) {
        return Err(ConfigError::Value {
            key: format!("connections.{name}"),
            message: "connection names may use letters, digits, '-' and '_' only (they become file names)".into(),
        });
    }
    let grant = match section.grant.as_deref().unwrap_or("authorization_code") {
        "authorization_code" => Grant::AuthorizationCode,
        "client_credentials" => Grant::ClientCredentials,
        other => {
            return Err(ConfigError::Value {
                key: key("grant"),
                message: format!(
                    "{other:?} is not \"authorization_code\" or \"client_credentials\""
                ),
            });
        }
    };
    let values = Placeholders {
        region: section.region.clone(),
        tenant_id: section.tenant_id.clone(),
        instance: section.instance.clone(),
        domain: section.domain.clone(),
    };
    let placeholder_error = |k: &'static str| {
        move |message: String| ConfigError::Value {
            key: key(k),
            message,
        }
    };
    let (authorize_url, token_url, default_scopes, pkce, params) =
        if section.provider == "custom" {
            let token = section
                .token_url
                .as_deref()
                .ok_or_else(|| ConfigError::Value {
                    key: key("token_url"),
                    message:
                        "a custom provider needs token_url (and authorize_url for a user login)"
                            .into(),
                })?;
            let authorize = section
                .authorize_url
                .as_deref()
                .map(|a| endpoint_url(&key("authorize_url"), a))
                .transpose()?;
            (
                authorize,
                endpoint_url(&key("token_url"), token)?,
                Vec::new(),
                true,
                Vec::new(),
            )
        } else {
            let preset = providers::preset(&section.provider).ok_or_else(|| ConfigError::Value {
            key: key("provider"),
            message: format!(
                "unknown provider {:?}; use one of: {}, custom (see `ccetl auth providers`)",
                section.provider,
                providers::PRESETS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
            ),
        })?;
            if section.authorize_url.is_some() || section.token_url.is_some() {
                return Err(ConfigError::Value {
                    key: key("token_url"),
                    message: "explicit URLs go with provider = \"custom\"".into(),
                });
            }
            let scopes = preset
                .default_scopes
                .iter()
                .map(|s| providers::fill(s, &values))
                .collect::<Result<Vec<_>, _>>()
                .map_err(placeholder_error("scopes"))?;
            (
                Some(
                    providers::fill(preset.authorize_url, &values)
                        .map_err(placeholder_error("provider"))?,
                ),
                providers::fill(preset.token_url, &values)
                    .map_err(placeholder_error("provider"))?,
                scopes,
                preset.pkce,
                preset
                    .authorize_params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
    // Scopes are space-separated on the wire; some UIs use commas: normalise.
    let scopes = match &section.scopes {
        Some(list) => list
            .iter()
            .flat_map(|s| s.split([' ', ',']))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None => default_scopes,
    };
    let redirect_uri = section
        .redirect_uri
        .as_deref()
        .map(|r| {
            Url::parse(r).map_err(|e| ConfigError::Value {
                key: key("redirect_uri"),
                message: format!("{r:?} is not a URL: {e}"),
            })
        })
        .transpose()?;
    Ok(Connection {
        name: name.to_string(),
        provider: section.provider.clone(),
        authorize_url,
        token_url,
        client_id: resolve_value(&key("client_id"), &section.client_id)?,
        client_secret: section
            .client_secret
            .as_ref()
            .map(|s| resolve_secret(&key("client_secret"), s))
            .transpose()?,
        redirect_uri,
        scopes,
        pkce: section.pkce.unwrap_or(pkce),
        authorize_params: params,
        grant,
    })
}

/// The `[privacy]` policy; a key is required to pseudonymise.
fn privacy(config: &ConfigFile) -> Result<Pseudonymizer, ConfigError> {
    let mode: PersonalData =
        config
            .privacy
            .personal_data
            .parse()
            .map_err(|message| ConfigError::Value {
                key: "privacy.personal_data".into(),
                message,
            })?;
    let key = match (&config.privacy.pseudonymize_key, mode) {
        (Some(k), _) => Some(resolve_secret("privacy.pseudonymize_key", k)?),
        (None, PersonalData::Pseudonymize) => {
            return Err(ConfigError::Value {
                key: "privacy.pseudonymize_key".into(),
                message: "contacts pseudonymises phone numbers with a keyed hash: set pseudonymize_key = { env = \"CCETL_PSEUDONYMIZE_KEY\" } (a long random string; keep it stable so hashes join across runs), or personal_data = \"drop\" (or \"raw\" to keep them)".into(),
            });
        }
        (None, _) => None,
    };
    Pseudonymizer::new(mode, key).map_err(|message| ConfigError::Value {
        key: "privacy.pseudonymize_key".into(),
        message,
    })
}

/// Builds the plan from a parsed configuration. `base_dir` resolves relative `queries_dir`.
pub fn build(
    config: &ConfigFile,
    base_dir: &Path,
    options: &PlanOptions,
) -> Result<Plan, crate::Error> {
    let now = options.now.unwrap_or_else(Utc::now);
    if config.genesys.is_empty() && config.cxone.is_empty() {
        return Err(ConfigError::Value {
            key: "genesys".into(),
            message: "no source is configured; add a [genesys.<tenant>] or [cxone.<tenant>] section (see ccetl.example.toml)".into(),
        }
        .into());
    }
    for t in &options.tenants {
        if !config.genesys.contains_key(t) && !config.cxone.contains_key(t) {
            return Err(usage(format!(
                "--tenant {t}: no such source; configured: {}",
                config
                    .genesys
                    .keys()
                    .chain(config.cxone.keys())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let mut wanted_datasets = Vec::new();
    for d in &options.datasets {
        wanted_datasets.push(
            Dataset::parse(d).ok_or_else(|| usage(format!("--dataset {d}: unknown dataset")))?,
        );
    }
    let concurrency = options.concurrency.unwrap_or(config.pipeline.concurrency);
    if concurrency == 0 || concurrency > 64 {
        return Err(usage(format!(
            "concurrency {concurrency} is out of range (1 to 64)"
        )));
    }
    let mut sources = Vec::new();
    let selected = |tenant: &String| options.tenants.is_empty() || options.tenants.contains(tenant);
    let check_name = |vendor: &str, tenant: &str| {
        if valid_tenant(tenant) {
            Ok(())
        } else {
            Err(ConfigError::Value {
                key: format!("{vendor}.{tenant}"),
                message: "tenant names may use letters, digits, '-' and '_' only (they become directory names)".into(),
            })
        }
    };
    let mut planned = Vec::new();
    for (tenant, section) in config.genesys.iter().filter(|(t, _)| selected(t)) {
        check_name("genesys", tenant)?;
        let (settings, time_zone, datasets) = plan_genesys(config, tenant, section, base_dir)?;
        planned.push((
            tenant.clone(),
            SourceKind::Genesys(settings),
            time_zone,
            datasets,
        ));
    }
    for (tenant, section) in config.cxone.iter().filter(|(t, _)| selected(t)) {
        check_name("cxone", tenant)?;
        let (settings, time_zone, datasets) = plan_cxone(config, tenant, section)?;
        planned.push((
            tenant.clone(),
            SourceKind::Cxone(settings),
            time_zone,
            datasets,
        ));
    }
    for (tenant, kind, time_zone, mut datasets) in planned {
        if !wanted_datasets.is_empty() {
            datasets.retain(|d| wanted_datasets.contains(d));
        }
        let dates = plan_dates(
            &options.dates,
            config.pipeline.lookback_days,
            time_zone,
            now,
        )?;
        let pseudonymizer = if datasets.contains(&Dataset::Contacts) {
            privacy(config)?
        } else {
            Pseudonymizer::new(PersonalData::Drop, None).map_err(crate::Error::Runtime)?
        };
        sources.push(SourcePlan {
            tenant,
            kind,
            time_zone,
            datasets,
            dates,
            pseudonymizer,
        });
    }
    Ok(Plan {
        sources,
        output_dir: options
            .output_dir
            .clone()
            .unwrap_or_else(|| config.output.dir.clone()),
        concurrency,
        write_mode: options.write_mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn dst_days_have_23_and_25_hours() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let (s, e) = day_interval(d("2026-03-29"), tz);
        assert_eq!((e - s).num_hours(), 23);
        assert_eq!(s.to_rfc3339(), "2026-03-28T23:00:00+00:00");
        let (s, e) = day_interval(d("2026-10-25"), tz);
        assert_eq!((e - s).num_hours(), 25);
        let (s, e) = day_interval(d("2026-11-20"), Tz::UTC);
        assert_eq!(
            (s.to_rfc3339().as_str(), (e - s).num_hours()),
            ("2026-11-20T00:00:00+00:00", 24)
        );
    }

    #[test]
    fn run_defaults_to_yesterday_in_the_time_zone() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T23:30:00Z")
            .unwrap()
            .to_utc();
        let sel = DateSelection::Run {
            date: None,
            lookback_days: Some(0),
        };
        assert_eq!(
            plan_dates(&sel, 1, Tz::UTC, now).unwrap(),
            vec![d("2026-11-21")]
        );
        // In Tokyo it is already the 23rd.
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        assert_eq!(
            plan_dates(&sel, 1, tokyo, now).unwrap(),
            vec![d("2026-11-22")]
        );
        let sel = DateSelection::Run {
            date: None,
            lookback_days: None,
        };
        assert_eq!(
            plan_dates(&sel, 1, Tz::UTC, now).unwrap(),
            vec![d("2026-11-20"), d("2026-11-21")]
        );
    }

    #[test]
    fn ranges_are_inclusive_and_checked() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .to_utc();
        let sel = DateSelection::Range {
            from: d("2026-11-01"),
            to: d("2026-11-07"),
        };
        assert_eq!(plan_dates(&sel, 0, Tz::UTC, now).unwrap().len(), 7);
        let backwards = DateSelection::Range {
            from: d("2026-11-07"),
            to: d("2026-11-01"),
        };
        assert!(
            plan_dates(&backwards, 0, Tz::UTC, now)
                .unwrap_err()
                .to_string()
                .contains("after --to")
        );
        let future = DateSelection::Range {
            from: d("2026-11-20"),
            to: d("2026-11-30"),
        };
        assert!(
            plan_dates(&future, 0, Tz::UTC, now)
                .unwrap_err()
                .to_string()
                .contains("future")
        );
    }

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(parse_base_url("k", "http://127.0.0.1:8080").is_ok());
        assert!(parse_base_url("k", "http://localhost:8080/").is_ok());
        assert!(parse_base_url("k", "http://api.mypurecloud.com").is_err());
        assert!(parse_base_url("k", "https://user:pw@api.mypurecloud.com").is_err());
        assert_eq!(
            parse_base_url("k", "https://gw.example.com/genesys")
                .unwrap()
                .as_str(),
            "https://gw.example.com/genesys/"
        );
    }
}
