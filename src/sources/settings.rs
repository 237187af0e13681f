//! What every vendor's `[<vendor>.<tenant>]` section has in common, read one way: the time zone
//! of business dates, the datasets, the request budget and retry bounds, base URLs, and the
//! defaults of those keys. A vendor's own section type names these keys itself (serde cannot
//! flatten into a strict section) and calls these helpers, so the checks and messages are the
//! same for every vendor.

use std::num::NonZeroU32;
use std::time::Duration;

use chrono_tz::Tz;
use reqwest::Url;

use crate::config::{ConfigError, ConfigFile, value_error};
use crate::http::ApiClientSettings;
use crate::sources::{ConfiguredSource, SourceSettings};
use crate::transform::Dataset;

/// Every `[<vendor>.<tenant>]` section that `wanted` selects, read into the vendor's section type
/// `S` and resolved by `resolve` into its settings, time zone and datasets: the part of
/// `Vendor::configure` every vendor shares.
pub fn configure_tenants<S, T>(
    config: &ConfigFile,
    vendor: &str,
    wanted: &dyn Fn(&str) -> bool,
    mut resolve: impl FnMut(&str, &S) -> Result<(T, Tz, Vec<Dataset>), ConfigError>,
) -> Result<Vec<ConfiguredSource>, ConfigError>
where
    S: serde::de::DeserializeOwned,
    T: SourceSettings + 'static,
{
    let mut sources = Vec::new();
    for (tenant, section) in config.tenants::<S>(vendor)? {
        if !wanted(&tenant) {
            continue;
        }
        let (settings, time_zone, datasets) = resolve(&tenant, &section)?;
        sources.push(ConfiguredSource {
            tenant,
            time_zone,
            datasets,
            settings: std::sync::Arc::new(settings),
        });
    }
    Ok(sources)
}

/// `time_zone`: an IANA name.
pub fn time_zone(key: &str, text: &str) -> Result<Tz, ConfigError> {
    text.parse().map_err(|_| {
        value_error(
            key,
            format!("{text:?} is not an IANA time zone (e.g. \"UTC\", \"Europe/Berlin\")"),
        )
    })
}

/// `datasets`: names of datasets the vendor fills; `None` = all of them.
pub fn datasets(
    key: &str,
    names: Option<&[String]>,
    supported: &[Dataset],
    vendor_title: &str,
) -> Result<Vec<Dataset>, ConfigError> {
    let Some(names) = names else {
        return Ok(supported.to_vec());
    };
    let mut datasets: Vec<Dataset> = names
        .iter()
        .map(|n| {
            Dataset::parse(n)
                .filter(|d| supported.contains(d))
                .ok_or_else(|| {
                    value_error(
                        key,
                        format!(
                            "unknown dataset {n:?}; {vendor_title} supports: {}",
                            supported
                                .iter()
                                .map(|d| d.name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })
        })
        .collect::<Result<_, _>>()?;
    // Each once: two slices of one partition would write over each other.
    let mut seen = Vec::new();
    datasets.retain(|d| {
        let first = !seen.contains(d);
        seen.push(*d);
        first
    });
    Ok(datasets)
}

/// A base URL: https, or plain http on loopback (the simulator).
pub fn base_url(key: &str, text: &str) -> Result<Url, ConfigError> {
    crate::transport::parse_base_url(text).map_err(|message| value_error(key, message))
}

/// The quota and retry keys every vendor section has.
#[derive(Debug, Clone, Copy)]
pub struct HttpKeys {
    /// `requests_per_minute`.
    pub requests_per_minute: u32,
    /// `burst`.
    pub burst: u32,
    /// `max_retries`.
    pub max_retries: usize,
    /// `max_retry_elapsed_secs`.
    pub max_retry_elapsed_secs: u64,
    /// `max_retry_after_secs`.
    pub max_retry_after_secs: u64,
    /// `request_timeout_secs`.
    pub request_timeout_secs: u64,
}

impl HttpKeys {
    /// The client settings; `key` makes the dotted key of a value in errors.
    pub fn settings(&self, key: &dyn Fn(&str) -> String) -> Result<ApiClientSettings, ConfigError> {
        let nonzero = |name: &str, value: u32| {
            NonZeroU32::new(value).ok_or_else(|| value_error(&key(name), "must be at least 1"))
        };
        Ok(ApiClientSettings {
            requests_per_minute: nonzero("requests_per_minute", self.requests_per_minute)?,
            burst: nonzero("burst", self.burst)?,
            max_retries: self.max_retries,
            max_retry_elapsed: Duration::from_secs(self.max_retry_elapsed_secs),
            max_retry_after: Duration::from_secs(self.max_retry_after_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            ..ApiClientSettings::default()
        })
    }
}

/// Default of `settle_minutes`: neither vendor documents when a day's analytics stop changing;
/// two hours covers wrap-ups and conversations running past midnight (Genesys's data lake, read
/// by async jobs, has its own availability date, checked separately).
pub fn default_settle_minutes() -> u64 {
    120
}
/// Default of `entity_page_size`: the page size the references find safe on every list.
pub fn default_entity_page_size() -> u64 {
    100
}

/// `entity_page_size`: the page size of the entity lists behind the dimension datasets, 1 to
/// `max` (the largest the vendor's reference allows).
pub fn entity_page_size(key: &str, value: u64, max: u64) -> Result<u64, ConfigError> {
    if value == 0 || value > max {
        return Err(value_error(
            key,
            format!("{value} is out of range (1 to {max})"),
        ));
    }
    Ok(value)
}

/// Default of `time_zone`.
pub fn default_time_zone() -> String {
    "UTC".to_string()
}
/// Default of `burst`.
pub fn default_burst() -> u32 {
    10
}
/// Default of `max_retries`.
pub fn default_max_retries() -> usize {
    6
}
/// Default of `max_retry_elapsed_secs`.
pub fn default_max_retry_elapsed_secs() -> u64 {
    300
}
/// Default of `max_retry_after_secs`.
pub fn default_max_retry_after_secs() -> u64 {
    180
}
/// Default of `request_timeout_secs`.
pub fn default_request_timeout_secs() -> u64 {
    120
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datasets_outside_the_vendors_list_are_refused_with_the_list() {
        let supported = [Dataset::QueueIntervals, Dataset::Contacts];
        assert_eq!(
            datasets("x.datasets", None, &supported, "X").unwrap(),
            supported.to_vec()
        );
        let err = datasets("x.datasets", Some(&["metrics".into()]), &supported, "X")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x.datasets") && err.contains("queue_intervals, contacts"),
            "{err}"
        );
        assert_eq!(
            datasets(
                "x.datasets",
                Some(&["contacts".into(), "contacts".into()]),
                &supported,
                "X"
            )
            .unwrap(),
            vec![Dataset::Contacts],
            "each once"
        );
        assert!(time_zone("x.time_zone", "Mars/Olympus").is_err());
        assert_eq!(
            time_zone("x.time_zone", "Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
    }

    #[test]
    fn a_zero_quota_is_refused_by_key() {
        let keys = HttpKeys {
            requests_per_minute: 0,
            burst: 1,
            max_retries: 1,
            max_retry_elapsed_secs: 1,
            max_retry_after_secs: 1,
            request_timeout_secs: 0,
        };
        let err = keys
            .settings(&|k| format!("x.t.{k}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.t.requests_per_minute"), "{err}");
    }
}
