//! The retry policy, kept pure so that it can be read and tested on its own: which answers are
//! worth another try, and how long the server asked us to wait.
//!
//! Retried: 429 (after `Retry-After`), 408 and 5xx except 501 (with exponential backoff), timeouts and
//! connection errors. Everything else fails at once with the server's message, because repeating a
//! bad request only burns the rate limit.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// What to do with an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// A usable answer.
    Success,
    /// The token was refused: renew it once, then give up.
    Unauthorized,
    /// Throttled: wait as the server says, then retry.
    RateLimited,
    /// The server failed transiently: back off, then retry.
    Transient,
    /// A client error or a permanent server error: fail with the server's message.
    Permanent,
}

/// Classifies a status code.
pub fn classify(status: u16) -> Disposition {
    match status {
        200..=299 => Disposition::Success,
        401 => Disposition::Unauthorized,
        408 => Disposition::Transient,
        429 => Disposition::RateLimited,
        501 => Disposition::Permanent,
        500..=599 => Disposition::Transient,
        _ => Disposition::Permanent,
    }
}

/// The wait a 429 asks for: `Retry-After` in seconds (fractional accepted) or as an HTTP-date,
/// else Genesys's `inin-ratelimit-reset` (seconds), else `None` (the caller picks a default).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(value) = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        && let Some(delay) = parse_retry_after(value, now)
    {
        return Some(delay);
    }
    headers
        .get("inin-ratelimit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_seconds)
}

/// Parses a `Retry-After` value: delta-seconds (`120`, also `1.5`) or an HTTP-date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Some(delay) = parse_seconds(value) {
        return Some(delay);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn parse_seconds(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    if (0.0..1e9).contains(&secs) {
        Some(Duration::from_secs_f64(secs))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retried_statuses_are_pinned() {
        // Any change to the retry policy shows up as a diff here.
        let retried: Vec<String> = [
            200, 204, 400, 401, 403, 404, 408, 409, 413, 415, 422, 429, 500, 501, 502, 503, 504,
            599,
        ]
        .into_iter()
        .map(|s| format!("{s}: {:?}", classify(s)))
        .collect();
        insta::assert_snapshot!(retried.join("\n"));
    }

    #[test]
    fn client_errors_fail_fast() {
        for s in [400, 403, 404, 409, 413, 415, 422, 501] {
            assert_eq!(classify(s), Disposition::Permanent, "{s}");
        }
    }

    #[test]
    fn retry_after_seconds_fraction_and_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_784_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(30)));
        // A date in the past means: retry now.
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn ratelimit_reset_is_the_fallback() {
        let now = SystemTime::now();
        let mut headers = HeaderMap::new();
        headers.insert("inin-ratelimit-reset", HeaderValue::from_static("12"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(12)));
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(2)));
        headers.insert("retry-after", HeaderValue::from_static("garbage"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(12)));
    }
}
