//! `metrics`: every aggregates query file, losslessly, in long format — one row per query ×
//! group × interval × metric (× qualifier). Adding a query file adds rows, not code.
//!
//! Durations (`t*` metrics) are converted from milliseconds to seconds in every statistic that
//! carries a duration (sum, min, max, current, p95, p99); `unit` says which. Statistics without a
//! column (and `views`) go to `extra`, never dropped.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::queue_intervals::parse_interval;
use super::{ColumnSpec, ColumnType, Dataset, TransformError};
use crate::sources::genesys::model::AggregateQueryResponse;

/// The declared columns, in file order.
pub const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec {
        name: "query",
        kind: ColumnType::Utf8,
        nullable: false,
        doc: "Query file name (without `.json`).",
        genesys: "file name",
        cxone: "—",
    },
    ColumnSpec {
        name: "interval_start",
        kind: ColumnType::TimestampUtc,
        nullable: false,
        doc: "Start of the interval (UTC).",
        genesys: "`data[].interval` (start)",
        cxone: "—",
    },
    ColumnSpec {
        name: "interval_end",
        kind: ColumnType::TimestampUtc,
        nullable: false,
        doc: "End of the interval (UTC), exclusive.",
        genesys: "`data[].interval` (end)",
        cxone: "—",
    },
    ColumnSpec {
        name: "group_keys",
        kind: ColumnType::Utf8,
        nullable: false,
        doc: "JSON object of the `groupBy` dimensions and values (`{}` when ungrouped).",
        genesys: "`results[].group`",
        cxone: "—",
    },
    ColumnSpec {
        name: "queue_id",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "The queueId group value, when grouped by it.",
        genesys: "`group.queueId`",
        cxone: "—",
    },
    ColumnSpec {
        name: "media_type",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "The mediaType group value, when grouped by it.",
        genesys: "`group.mediaType`",
        cxone: "—",
    },
    ColumnSpec {
        name: "user_id",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "The userId group value, when grouped by it.",
        genesys: "`group.userId`",
        cxone: "—",
    },
    ColumnSpec {
        name: "metric",
        kind: ColumnType::Utf8,
        nullable: false,
        doc: "Metric name as the API spells it (tHandle, nOffered, …).",
        genesys: "`metrics[].metric`",
        cxone: "—",
    },
    ColumnSpec {
        name: "qualifier",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "Presence or routing status of users metrics.",
        genesys: "`metrics[].qualifier`",
        cxone: "—",
    },
    ColumnSpec {
        name: "unit",
        kind: ColumnType::Utf8,
        nullable: false,
        doc: "`seconds` for durations (t*), `count` for counts (n*), `value` otherwise.",
        genesys: "from the metric name",
        cxone: "—",
    },
    ColumnSpec {
        name: "count",
        kind: ColumnType::Int64,
        nullable: true,
        doc: "Number of observations.",
        genesys: "`stats.count`",
        cxone: "—",
    },
    ColumnSpec {
        name: "sum",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Sum (seconds for durations).",
        genesys: "`stats.sum`",
        cxone: "—",
    },
    ColumnSpec {
        name: "min",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Minimum (seconds for durations).",
        genesys: "`stats.min`",
        cxone: "—",
    },
    ColumnSpec {
        name: "max",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Maximum (seconds for durations).",
        genesys: "`stats.max`",
        cxone: "—",
    },
    ColumnSpec {
        name: "current",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Current value (seconds for durations).",
        genesys: "`stats.current`",
        cxone: "—",
    },
    ColumnSpec {
        name: "ratio",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Ratio (service level, …).",
        genesys: "`stats.ratio`",
        cxone: "—",
    },
    ColumnSpec {
        name: "numerator",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Numerator of the ratio.",
        genesys: "`stats.numerator`",
        cxone: "—",
    },
    ColumnSpec {
        name: "denominator",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Denominator of the ratio.",
        genesys: "`stats.denominator`",
        cxone: "—",
    },
    ColumnSpec {
        name: "target",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Target of the ratio.",
        genesys: "`stats.target`",
        cxone: "—",
    },
    ColumnSpec {
        name: "p95",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "95th percentile (seconds for durations).",
        genesys: "`stats.p95`",
        cxone: "—",
    },
    ColumnSpec {
        name: "p99",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "99th percentile (seconds for durations).",
        genesys: "`stats.p99`",
        cxone: "—",
    },
    ColumnSpec {
        name: "extra",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "JSON: other statistics of the metric, and the interval's views.",
        genesys: "everything else",
        cxone: "—",
    },
];

/// Statistics with a column; the duration ones are converted to seconds.
const FLOAT_STATS: [(&str, bool); 10] = [
    ("sum", true),
    ("min", true),
    ("max", true),
    ("current", true),
    ("ratio", false),
    ("numerator", false),
    ("denominator", false),
    ("target", false),
    ("p95", true),
    ("p99", true),
];

struct Row {
    query: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    group_keys: String,
    queue_id: Option<String>,
    media_type: Option<String>,
    user_id: Option<String>,
    metric: String,
    qualifier: Option<String>,
    unit: &'static str,
    count: Option<i64>,
    floats: [Option<f64>; FLOAT_STATS.len()],
    extra: Option<String>,
}

fn unit_of(metric: &str) -> &'static str {
    if metric.starts_with('t') {
        "seconds"
    } else if metric.starts_with('n') {
        "count"
    } else {
        "value"
    }
}

/// Accumulates the rows of one slice across its queries.
#[derive(Default)]
pub struct MetricsBuilder {
    rows: Vec<Row>,
}

impl MetricsBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one query's answer.
    pub fn push(
        &mut self,
        query: &str,
        response: &AggregateQueryResponse,
    ) -> Result<(), TransformError> {
        for result in &response.results {
            let group: BTreeMap<&str, String> = result
                .group
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect();
            let group_keys = serde_json::to_string(&group).unwrap_or_else(|_| "{}".into());
            for point in &result.data {
                let (start, end) = parse_interval(&point.interval)?;
                for (i, metric) in point.metrics.iter().enumerate() {
                    let unit = unit_of(&metric.metric);
                    let mut floats = [None; FLOAT_STATS.len()];
                    let mut extra = Map::new();
                    let stats = &metric.stats;
                    let known = [("sum", stats.sum), ("min", stats.min), ("max", stats.max)];
                    for (slot, (name, is_duration)) in floats.iter_mut().zip(FLOAT_STATS) {
                        let value = known
                            .iter()
                            .find(|(k, _)| *k == name)
                            .and_then(|(_, v)| *v)
                            .or_else(|| stats.other.get(name).and_then(Value::as_f64));
                        *slot = value.map(|v| {
                            if is_duration && unit == "seconds" {
                                v / 1000.0
                            } else {
                                v
                            }
                        });
                    }
                    for (k, v) in &stats.other {
                        if !FLOAT_STATS.iter().any(|(name, _)| name == k) {
                            extra.insert(k.clone(), v.clone());
                        }
                    }
                    // The interval's views are kept once, with its first metric.
                    if i == 0 && !point.views.is_empty() {
                        extra.insert("views".into(), Value::Array(point.views.clone()));
                    }
                    self.rows.push(Row {
                        query: query.to_string(),
                        start,
                        end,
                        group_keys: group_keys.clone(),
                        queue_id: group.get("queueId").cloned(),
                        media_type: group.get("mediaType").cloned(),
                        user_id: group.get("userId").cloned(),
                        metric: metric.metric.clone(),
                        qualifier: metric.qualifier.clone(),
                        unit,
                        count: stats.count,
                        floats,
                        extra: (!extra.is_empty()).then(|| Value::Object(extra).to_string()),
                    });
                }
            }
        }
        Ok(())
    }

    /// Takes the rows as one batch.
    pub fn take_batch(&mut self) -> Result<RecordBatch, TransformError> {
        let rows = std::mem::take(&mut self.rows);
        let strings = |f: &dyn Fn(&Row) -> Option<&str>| -> ArrayRef {
            Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
        };
        let times = |f: &dyn Fn(&Row) -> i64| -> ArrayRef {
            Arc::new(
                TimestampMicrosecondArray::from(rows.iter().map(f).collect::<Vec<_>>())
                    .with_timezone("UTC"),
            )
        };
        let mut columns: Vec<ArrayRef> = vec![
            strings(&|r| Some(r.query.as_str())),
            times(&|r| r.start.timestamp_micros()),
            times(&|r| r.end.timestamp_micros()),
            strings(&|r| Some(r.group_keys.as_str())),
            strings(&|r| r.queue_id.as_deref()),
            strings(&|r| r.media_type.as_deref()),
            strings(&|r| r.user_id.as_deref()),
            strings(&|r| Some(r.metric.as_str())),
            strings(&|r| r.qualifier.as_deref()),
            strings(&|r| Some(r.unit)),
            Arc::new(Int64Array::from(
                rows.iter().map(|r| r.count).collect::<Vec<_>>(),
            )),
        ];
        for i in 0..FLOAT_STATS.len() {
            columns.push(Arc::new(Float64Array::from(
                rows.iter().map(|r| r.floats[i]).collect::<Vec<_>>(),
            )));
        }
        columns.push(strings(&|r| r.extra.as_deref()));
        Ok(RecordBatch::try_new(Dataset::Metrics.schema(), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    #[test]
    fn every_statistic_lands_with_durations_in_seconds() {
        let response: AggregateQueryResponse = serde_json::from_str(include_str!(
            "../../fixtures/genesys/conversation_aggregates.json"
        ))
        .unwrap();
        let mut builder = MetricsBuilder::new();
        builder.push("example", &response).unwrap();
        let batch = builder.take_batch().unwrap();
        assert_eq!(batch.num_rows(), 4);
        let s = |n: &str| {
            batch
                .column_by_name(n)
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .clone()
        };
        let f = |n: &str| {
            batch
                .column_by_name(n)
                .unwrap()
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .clone()
        };
        assert_eq!(s("metric").value(1), "tHandle");
        assert_eq!(s("unit").value(1), "seconds");
        assert_eq!(f("sum").value(1), 11234.567);
        assert_eq!(f("max").value(1), 912.345);
        assert_eq!(s("unit").value(0), "count");
        assert!(f("sum").is_null(0));
        assert_eq!(s("metric").value(3), "oServiceLevel");
        assert_eq!(f("ratio").value(3), 0.8333);
        assert_eq!(f("numerator").value(3), 35.0);
        assert_eq!(
            s("queue_id").value(0),
            "5f4c3a0e-0000-4000-8000-000000000001"
        );
        let keys: Value = serde_json::from_str(s("group_keys").value(0)).unwrap();
        assert_eq!(keys["mediaType"], "voice");
        assert!(s("user_id").is_null(0));
    }
}
