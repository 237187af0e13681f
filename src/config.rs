//! `ccetl.toml`: what the user writes, read strictly.
//!
//! The file says *where* data comes from and goes to; it never holds a secret. Credentials are
//! named by environment variable (`{ env = "NAME" }`, which `.env` can fill) or by file
//! (`{ file = "/run/secrets/x" }`). Every section denies unknown keys, so a typo is an error and not
//! a silently ignored setting. [`crate::plan`] turns a parsed file into a validated plan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a configuration could not be loaded or planned. Messages name the key and what to fix, and
/// never include a credential's value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No configuration file where one was expected.
    #[error(
        "no configuration file at {path}: copy ccetl.example.toml to ccetl.toml and edit it, or pass --config PATH (`ccetl demo` needs none)"
    )]
    NotFound {
        /// Where we looked.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The TOML is malformed or has an unknown or mistyped key.
    #[error("{path}{location}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// ` line N` where known.
        location: String,
        /// The parser's message (without the source line, which could hold a secret).
        message: String,
    },
    /// A value is well-formed TOML but not acceptable.
    #[error("{key}: {message}")]
    Value {
        /// Dotted key, e.g. `genesys.acme.region`.
        key: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A credential's environment variable or file is missing.
    #[error("{key}: {message}")]
    MissingCredential {
        /// Dotted key, e.g. `genesys.acme.client_secret`.
        key: String,
        /// Which variable or file, and how to provide it.
        message: String,
    },
}

/// The whole `ccetl.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Where partitions are written.
    #[serde(default)]
    pub output: OutputSection,
    /// How slices are scheduled.
    #[serde(default)]
    pub pipeline: PipelineSection,
    /// Personal data in `contacts`.
    #[serde(default)]
    pub privacy: PrivacySection,
    /// Genesys Cloud orgs, keyed by the tenant name used in partition paths.
    #[serde(default)]
    pub genesys: BTreeMap<String, GenesysSection>,
    /// NICE CXone tenants, keyed by the tenant name used in partition paths.
    #[serde(default)]
    pub cxone: BTreeMap<String, CxoneSection>,
    /// Where `ccetl auth` keeps tokens.
    #[serde(default)]
    pub auth: AuthSection,
    /// OAuth connections for `ccetl auth` (and sources running in a user's context).
    #[serde(default)]
    pub connections: BTreeMap<String, ConnectionSection>,
}

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
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// Datasets; default `queue_intervals`, `agent_intervals`, `contacts`.
    pub datasets: Option<Vec<String>>,
    /// Length of the intervals the skill and agent reports are asked for.
    #[serde(default = "default_interval_minutes")]
    pub interval_minutes: u32,
    /// `top` of completed-contact pages.
    #[serde(default = "default_cxone_page_size")]
    pub contacts_page_size: u64,
    /// Request budget (CXone publishes none; keep it modest).
    #[serde(default = "default_cxone_requests_per_minute")]
    pub requests_per_minute: u32,
    /// Requests that may go back to back.
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// Retries of one request.
    #[serde(default = "default_max_retries")]
    pub max_retries: usize,
    /// Total wait across the retries of one request.
    #[serde(default = "default_max_retry_elapsed_secs")]
    pub max_retry_elapsed_secs: u64,
    /// Longest `Retry-After` honoured.
    #[serde(default = "default_max_retry_after_secs")]
    pub max_retry_after_secs: u64,
    /// Timeout of one HTTP request.
    #[serde(default = "default_request_timeout_secs")]
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

/// `[auth]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    /// Folder of the token files; default `$XDG_CONFIG_HOME/ccetl/tokens` or `~/.config/ccetl/tokens`.
    pub token_dir: Option<PathBuf>,
}

/// `[connections.<name>]`: one OAuth client at one provider.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSection {
    /// A preset (`ccetl auth providers` lists them) or `custom`.
    pub provider: String,
    /// `authorization_code` (default) or `client_credentials`.
    pub grant: Option<String>,
    /// Client id.
    pub client_id: ValueRef,
    /// Client secret, `{ env = … }` or `{ file = … }`; omit for a public PKCE client.
    pub client_secret: Option<ValueRef>,
    /// Registered redirect URI: `http://127.0.0.1:<port>/callback` for the loopback listener
    /// (port optional), or the app's registered URL with `--paste`.
    pub redirect_uri: Option<String>,
    /// Scopes (space- or comma-separated entries are split); default the preset's.
    pub scopes: Option<Vec<String>>,
    /// Override whether PKCE is used.
    pub pkce: Option<bool>,
    /// Genesys region placeholder.
    pub region: Option<String>,
    /// Entra tenant id placeholder.
    pub tenant_id: Option<String>,
    /// ServiceNow / Salesforce instance placeholder.
    pub instance: Option<String>,
    /// SharePoint domain placeholder.
    pub domain: Option<String>,
    /// `custom`: the authorize endpoint.
    pub authorize_url: Option<String>,
    /// `custom`: the token endpoint.
    pub token_url: Option<String>,
}

/// `[privacy]`: what happens to phone numbers in `contacts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySection {
    /// `pseudonymize` (keyed hash, default), `raw` (explicit opt-in) or `drop`.
    #[serde(default = "default_personal_data")]
    pub personal_data: String,
    /// The hash key: `{ env = "NAME" }` or `{ file = "PATH" }`; keep it stable so hashes join
    /// across runs.
    pub pseudonymize_key: Option<ValueRef>,
}

impl Default for PrivacySection {
    fn default() -> Self {
        Self {
            personal_data: default_personal_data(),
            pseudonymize_key: None,
        }
    }
}

fn default_personal_data() -> String {
    "pseudonymize".to_string()
}

/// `[output]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    /// Root directory of the datasets (relative paths are relative to the working directory).
    #[serde(default = "default_output_dir")]
    pub dir: PathBuf,
}

impl Default for OutputSection {
    fn default() -> Self {
        Self {
            dir: default_output_dir(),
        }
    }
}

fn default_output_dir() -> PathBuf {
    PathBuf::from("output")
}

/// `[pipeline]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    /// Slices fetched at once per source; all of them share the source's rate limit.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Days before the target date that `ccetl run` fetches again, because vendors keep
    /// correcting recent data.
    #[serde(default = "default_lookback_days")]
    pub lookback_days: u32,
}

impl Default for PipelineSection {
    fn default() -> Self {
        Self {
            concurrency: default_concurrency(),
            lookback_days: default_lookback_days(),
        }
    }
}

fn default_concurrency() -> usize {
    4
}

fn default_lookback_days() -> u32 {
    1
}

/// A value that may be written inline or, better, read from the environment or a file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ValueRef {
    /// Written in the file. Refused for secrets.
    Inline(String),
    /// `{ env = "NAME" }`: read from this environment variable (or `.env`).
    Env {
        /// The variable's name.
        env: String,
    },
    /// `{ file = "PATH" }`: read from this file, trailing newline trimmed.
    File {
        /// The file's path.
        file: PathBuf,
    },
}

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
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// Datasets to extract; default all that this source supports.
    pub datasets: Option<Vec<String>>,
    /// Directory with the query bodies (`queue_intervals.json`, …); default the built-in ones.
    pub queries_dir: Option<PathBuf>,
    /// Request budget for this OAuth client (Genesys allows 300 per minute per token by default).
    #[serde(default = "default_requests_per_minute")]
    pub requests_per_minute: u32,
    /// Requests that may go out back to back before the per-minute pace applies.
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// Retries of one request after 429, 5xx, timeouts and connection errors.
    #[serde(default = "default_max_retries")]
    pub max_retries: usize,
    /// Total time one request may spend waiting between retries.
    #[serde(default = "default_max_retry_elapsed_secs")]
    pub max_retry_elapsed_secs: u64,
    /// A 429 asking to wait longer than this fails the slice instead (a daily quota, say).
    #[serde(default = "default_max_retry_after_secs")]
    pub max_retry_after_secs: u64,
    /// Timeout of one HTTP request.
    #[serde(default = "default_request_timeout_secs")]
    pub request_timeout_secs: u64,
    /// Page size of the synchronous details query (the API allows 100).
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

fn default_time_zone() -> String {
    "UTC".to_string()
}
fn default_requests_per_minute() -> u32 {
    300
}
fn default_burst() -> u32 {
    10
}
fn default_max_retries() -> usize {
    6
}
fn default_max_retry_elapsed_secs() -> u64 {
    300
}
fn default_max_retry_after_secs() -> u64 {
    180
}
fn default_request_timeout_secs() -> u64 {
    120
}

impl ConfigFile {
    /// Parses TOML text; `path` only names the file in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| {
            // toml's Display quotes the offending source line, which may hold a pasted secret:
            // report the line number and the message only.
            let location = e
                .span()
                .map(|span| {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    format!(" line {line}")
                })
                .unwrap_or_default();
            ConfigError::Invalid {
                path: path.to_path_buf(),
                location,
                message: e.message().trim().to_string(),
            }
        })
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ConfigError::NotFound {
                    path: path.to_path_buf(),
                }
            } else {
                ConfigError::Unreadable {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                }
            }
        })?;
        Self::parse(&text, path)
    }
}

/// Resolves a non-secret value (inline, env or file).
pub fn resolve_value(key: &str, value: &ValueRef) -> Result<String, ConfigError> {
    match value {
        ValueRef::Inline(v) => Ok(v.clone()),
        other => resolve_external(key, other),
    }
}

/// Resolves a secret: only from the environment or a file, never inline.
pub fn resolve_secret(key: &str, value: &ValueRef) -> Result<secrecy::SecretString, ConfigError> {
    match value {
        ValueRef::Inline(_) => Err(ConfigError::Value {
            key: key.to_string(),
            message: "secrets are not accepted in the configuration file; write `{ env = \"NAME\" }` and set NAME in the environment or .env, or `{ file = \"PATH\" }`".to_string(),
        }),
        other => resolve_external(key, other).map(secrecy::SecretString::from),
    }
}

fn resolve_external(key: &str, value: &ValueRef) -> Result<String, ConfigError> {
    match value {
        ValueRef::Inline(v) => Ok(v.clone()),
        ValueRef::Env { env } => match std::env::var(env) {
            Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            Ok(_) => Err(ConfigError::MissingCredential {
                key: key.to_string(),
                message: format!("environment variable {env} is empty; set it (or put it in .env)"),
            }),
            Err(_) => Err(ConfigError::MissingCredential {
                key: key.to_string(),
                message: format!(
                    "environment variable {env} is not set; export it, put `{env}=…` in .env, or use `{{ file = \"PATH\" }}`"
                ),
            }),
        },
        ValueRef::File { file } => match std::fs::read_to_string(file) {
            Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            Ok(_) => Err(ConfigError::MissingCredential {
                key: key.to_string(),
                message: format!("file {} is empty", file.display()),
            }),
            Err(e) => Err(ConfigError::MissingCredential {
                key: key.to_string(),
                message: format!("cannot read file {}: {e}", file.display()),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ccetl.example.toml");
        let config = ConfigFile::load(&path).expect("example config parses");
        assert!(config.genesys.contains_key("acme"));
        let acme = &config.genesys["acme"];
        assert!(matches!(acme.client_secret, Some(ValueRef::Env { .. })));
        assert!(config.connections.contains_key("sharepoint"));
        assert_eq!(config.cxone["acme"].api_version, "v31.0");
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line_number() {
        let text = "[output]\ndir = \"out\"\n\n[pipeline]\nconcurrancy = 3\n";
        let err = ConfigFile::parse(text, Path::new("ccetl.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 5"), "{msg}");
        assert!(msg.contains("concurrancy"), "{msg}");
    }

    #[test]
    fn parse_errors_do_not_quote_the_source_line() {
        let text = "[genesys.x]\nclient_id = \"id\"\nclient_secret = \"hunter2-very-secret\nregion = \"us_east_1\"\n";
        let err = ConfigFile::parse(text, Path::new("ccetl.toml")).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn inline_secrets_are_refused_without_echoing_them() {
        let err = resolve_secret(
            "genesys.x.client_secret",
            &ValueRef::Inline("hunter2".into()),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("env"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }

    #[test]
    fn missing_env_var_names_the_variable() {
        let err = resolve_secret(
            "genesys.x.client_secret",
            &ValueRef::Env {
                env: "CCETL_TEST_SURELY_UNSET_VAR".into(),
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("CCETL_TEST_SURELY_UNSET_VAR"));
    }
}
