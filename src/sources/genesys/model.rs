//! Response shapes of the Genesys analytics API, read leniently: null fields are omitted by the
//! API (so every field defaults), an empty answer may be `{}`, and unknown members are ignored
//! here but statistics we do not map are kept (`other`) so the transform can put them in `extra`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `ConversationAggregateQueryResponse` (also the shape of users aggregates).
#[derive(Debug, Default, Deserialize)]
pub struct AggregateQueryResponse {
    /// One entry per group (combination of `groupBy` values). Absent when there is no data.
    #[serde(default)]
    pub results: Vec<AggregateResult>,
}

/// One group of an aggregates answer.
#[derive(Debug, Default, Deserialize)]
pub struct AggregateResult {
    /// `groupBy` dimension → value. Values are strings in the API; anything else is kept as JSON.
    #[serde(default)]
    pub group: BTreeMap<String, serde_json::Value>,
    /// One entry per granularity interval that has data.
    #[serde(default)]
    pub data: Vec<AggregateDataPoint>,
}

/// One interval of one group.
#[derive(Debug, Default, Deserialize)]
pub struct AggregateDataPoint {
    /// ISO-8601 `start/end`.
    pub interval: String,
    /// The metrics with data in this interval.
    #[serde(default)]
    pub metrics: Vec<AggregateMetric>,
    /// Named views (`rangeBound` buckets), kept verbatim.
    #[serde(default)]
    pub views: Vec<serde_json::Value>,
}

/// One metric of one interval.
#[derive(Debug, Default, Deserialize)]
pub struct AggregateMetric {
    /// Metric name, e.g. `tHandle`.
    pub metric: String,
    /// Presence or routing status for users metrics.
    #[serde(default)]
    pub qualifier: Option<String>,
    /// The statistics.
    #[serde(default)]
    pub stats: StatisticalSummary,
}

/// `StatisticalSummary`: `t*` metrics fill count/sum/min/max (milliseconds), `n*` metrics count.
#[derive(Debug, Default, Deserialize)]
pub struct StatisticalSummary {
    /// Number of observations.
    #[serde(default)]
    pub count: Option<i64>,
    /// Sum of the observations.
    #[serde(default)]
    pub sum: Option<f64>,
    /// Smallest observation.
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest observation.
    #[serde(default)]
    pub max: Option<f64>,
    /// Any other statistic (ratio, numerator, target, p95, …), kept for `extra`.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_example_and_keeps_other_stats() {
        let json = include_str!("../../../fixtures/genesys/conversation_aggregates.json");
        let r: AggregateQueryResponse = serde_json::from_str(json).unwrap();
        let point = &r.results[0].data[0];
        assert_eq!(point.metrics[0].stats.count, Some(42));
        assert_eq!(point.metrics[1].stats.sum, Some(11234567.0));
        assert_eq!(point.metrics[2].stats.min, Some(3021.0));
        assert!(point.metrics[3].stats.other.contains_key("ratio"));
    }

    #[test]
    fn an_empty_answer_is_no_results() {
        let r: AggregateQueryResponse = serde_json::from_str("{}").unwrap();
        assert!(r.results.is_empty());
    }
}
