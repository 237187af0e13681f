//! `metrics`: every aggregates query file, losslessly, in long format — one row per query ×
//! group × interval × metric (× qualifier). Adding a query file adds rows, not code.
//!
//! Durations are in seconds in every statistic that carries a duration; `unit` says which.
//! Statistics without a column go to `extra`, never dropped. Sources fill the rows; this file only
//! declares them.

use chrono::{DateTime, Utc};

crate::declare_rows! {
    /// One row of `metrics`.
    pub struct MetricRow {
        query: String =>
            "Query file name (without `.json`).",
        interval_start: DateTime<Utc> =>
            "Start of the interval (UTC).",
        interval_end: DateTime<Utc> =>
            "End of the interval (UTC), exclusive.",
        group_keys: String =>
            "JSON object of the `groupBy` dimensions and values (`{}` when ungrouped).",
        queue_id: Option<String> =>
            "The queueId group value, when grouped by it.",
        media_type: Option<String> =>
            "The mediaType group value, when grouped by it.",
        user_id: Option<String> =>
            "The userId group value, when grouped by it.",
        metric: String =>
            "Metric name as the API spells it (tHandle, nOffered, …).",
        qualifier: Option<String> =>
            "Presence or routing status of users metrics.",
        unit: String =>
            "`seconds` for durations (t*), `count` for counts (n*), `value` otherwise.",
        count: Option<i64> =>
            "Number of observations.",
        sum: Option<f64> =>
            "Sum (seconds for durations).",
        min: Option<f64> =>
            "Minimum (seconds for durations).",
        max: Option<f64> =>
            "Maximum (seconds for durations).",
        current: Option<f64> =>
            "Current value (seconds for durations).",
        ratio: Option<f64> =>
            "Ratio (service level, …).",
        numerator: Option<f64> =>
            "Numerator of the ratio.",
        denominator: Option<f64> =>
            "Denominator of the ratio.",
        target: Option<f64> =>
            "Target of the ratio.",
        p95: Option<f64> =>
            "95th percentile (seconds for durations).",
        p99: Option<f64> =>
            "99th percentile (seconds for durations).",
        extra: Option<String> =>
            "JSON: other statistics of the metric, and the interval's views.",
    }
}
