//! `queue_intervals`: one row per queue × media type × interval (30 minutes by default).
//!
//! From Genesys, each row is one `data[]` entry of one `results[]` group of the conversation
//! aggregates query. Count metrics (`n*`) give their `count`; duration metrics (`t*`) give count,
//! sum, min and max, converted from milliseconds to seconds. A metric absent from an interval
//! means none occurred: its count is 0, its sum 0 and its min/max null.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{ColumnSpec, ColumnType, Dataset, TransformError};
use crate::sources::genesys::model::{AggregateQueryResponse, StatisticalSummary};

/// Count metrics with a column: (Genesys metric, column).
pub const COUNT_METRICS: [(&str, &str); 2] =
    [("nOffered", "offered"), ("nTransferred", "transferred")];

/// Duration metrics with four columns each: (Genesys metric, column prefix).
pub const DURATION_METRICS: [(&str, &str); 7] = [
    ("tAnswered", "answer"),
    ("tAbandon", "abandon"),
    ("tWait", "wait"),
    ("tTalk", "talk"),
    ("tHeld", "hold"),
    ("tAcw", "acw"),
    ("tHandle", "handle"),
];

/// The declared columns, in file order.
pub const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec {
        name: "interval_start",
        kind: ColumnType::TimestampUtc,
        nullable: false,
        doc: "Start of the interval (UTC).",
        genesys: "`data[].interval` (start)",
        cxone: "requested `startDate` of the interval",
    },
    ColumnSpec {
        name: "interval_end",
        kind: ColumnType::TimestampUtc,
        nullable: false,
        doc: "End of the interval (UTC), exclusive.",
        genesys: "`data[].interval` (end)",
        cxone: "requested `endDate`",
    },
    ColumnSpec {
        name: "queue_id",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "Queue id (null: not routed through a queue).",
        genesys: "`group.queueId`",
        cxone: "`skillId`",
    },
    ColumnSpec {
        name: "media_type",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "Media type: voice, chat, email, message, callback, ….",
        genesys: "`group.mediaType`",
        cxone: "`mediaTypeId` (4 voice, 3 chat, 1 email, 9 message, …)",
    },
    ColumnSpec {
        name: "offered",
        kind: ColumnType::Int64,
        nullable: true,
        doc: "Conversations offered to the queue.",
        genesys: "`nOffered` count",
        cxone: "`contactsOffered`",
    },
    ColumnSpec {
        name: "transferred",
        kind: ColumnType::Int64,
        nullable: true,
        doc: "Conversations transferred out.",
        genesys: "`nTransferred` count",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "answer_count",
        kind: ColumnType::Int64,
        nullable: true,
        doc: "Conversations answered.",
        genesys: "`tAnswered` count",
        cxone: "`contactsHandled`",
    },
    ColumnSpec {
        name: "answer_seconds_sum",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Total time from entering the queue to being answered, seconds.",
        genesys: "`tAnswered` sum / 1000",
        cxone: "`averageSpeedToAnswer` × `contactsHandled`",
    },
    ColumnSpec {
        name: "answer_seconds_min",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Shortest time from entering the queue to being answered, seconds (null when count is 0).",
        genesys: "`tAnswered` min / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "answer_seconds_max",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Longest time from entering the queue to being answered, seconds (null when count is 0).",
        genesys: "`tAnswered` max / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "abandon_count",
        kind: ColumnType::Int64,
        nullable: true,
        doc: "Conversations abandoned in queue.",
        genesys: "`tAbandon` count",
        cxone: "`abandonCount`",
    },
    ColumnSpec {
        name: "abandon_seconds_sum",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Total time before the customer hung up, seconds.",
        genesys: "`tAbandon` sum / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "abandon_seconds_min",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Shortest time before the customer hung up, seconds (null when count is 0).",
        genesys: "`tAbandon` min / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "abandon_seconds_max",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Longest time before the customer hung up, seconds (null when count is 0).",
        genesys: "`tAbandon` max / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "wait_count",
        kind: ColumnType::Int64,
        nullable: true,
        doc: "Conversations waited in queue (answered, abandoned or flowed out).",
        genesys: "`tWait` count",
        cxone: "`contactsOffered`",
    },
    ColumnSpec {
        name: "wait_seconds_sum",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Total time waiting, seconds.",
        genesys: "`tWait` sum / 1000",
        cxone: "`averageInqueueTime` × `contactsOffered`",
    },
    ColumnSpec {
        name: "wait_seconds_min",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Shortest time waiting, seconds (null when count is 0).",
        genesys: "`tWait` min / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "wait_seconds_max",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Longest time waiting, seconds (null when count is 0).",
        genesys: "`tWait` max / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "talk_count",
        kind: ColumnType::Int64,
        nullable: true,
        doc: "Conversations talk segments.",
        genesys: "`tTalk` count",
        cxone: "`contactsHandled`",
    },
    ColumnSpec {
        name: "talk_seconds_sum",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Total time talking, seconds.",
        genesys: "`tTalk` sum / 1000",
        cxone: "`averageTalkTime` × `contactsHandled`",
    },
    ColumnSpec {
        name: "talk_seconds_min",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Shortest time talking, seconds (null when count is 0).",
        genesys: "`tTalk` min / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "talk_seconds_max",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Longest time talking, seconds (null when count is 0).",
        genesys: "`tTalk` max / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "hold_count",
        kind: ColumnType::Int64,
        nullable: true,
        doc: "Conversations put on hold.",
        genesys: "`tHeld` count",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "hold_seconds_sum",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Total time on hold, seconds.",
        genesys: "`tHeld` sum / 1000",
        cxone: "`holdTime`",
    },
    ColumnSpec {
        name: "hold_seconds_min",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Shortest time on hold, seconds (null when count is 0).",
        genesys: "`tHeld` min / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "hold_seconds_max",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Longest time on hold, seconds (null when count is 0).",
        genesys: "`tHeld` max / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "acw_count",
        kind: ColumnType::Int64,
        nullable: true,
        doc: "Conversations after-call work.",
        genesys: "`tAcw` count",
        cxone: "`contactsHandled`",
    },
    ColumnSpec {
        name: "acw_seconds_sum",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Total time in wrap-up, seconds.",
        genesys: "`tAcw` sum / 1000",
        cxone: "`averageWrapTime` × `contactsHandled`",
    },
    ColumnSpec {
        name: "acw_seconds_min",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Shortest time in wrap-up, seconds (null when count is 0).",
        genesys: "`tAcw` min / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "acw_seconds_max",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Longest time in wrap-up, seconds (null when count is 0).",
        genesys: "`tAcw` max / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "handle_count",
        kind: ColumnType::Int64,
        nullable: true,
        doc: "Conversations handled.",
        genesys: "`tHandle` count",
        cxone: "`contactsHandled`",
    },
    ColumnSpec {
        name: "handle_seconds_sum",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Total talk + hold + after-call work, seconds.",
        genesys: "`tHandle` sum / 1000",
        cxone: "`averageHandleTime` × `contactsHandled` (averages are whole seconds)",
    },
    ColumnSpec {
        name: "handle_seconds_min",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Shortest talk + hold + after-call work, seconds (null when count is 0).",
        genesys: "`tHandle` min / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "handle_seconds_max",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Longest talk + hold + after-call work, seconds (null when count is 0).",
        genesys: "`tHandle` max / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "extra",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "JSON object with what the response had beyond these columns: other group dimensions, other metrics, other statistics, views. Null when nothing.",
        genesys: "everything else",
        cxone: "every other field of the skill summary (SLA counts, agent counts, dialer stats, …)",
    },
];

#[derive(Clone, Copy)]
struct DurationStats {
    count: Option<i64>,
    sum_seconds: Option<f64>,
    min_seconds: Option<f64>,
    max_seconds: Option<f64>,
}

impl DurationStats {
    /// Nothing occurred (Genesys omits such metrics).
    const ZERO: DurationStats = DurationStats {
        count: Some(0),
        sum_seconds: Some(0.0),
        min_seconds: None,
        max_seconds: None,
    };
}

struct Row {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    queue_id: Option<String>,
    media_type: Option<String>,
    counts: [Option<i64>; COUNT_METRICS.len()],
    durations: [DurationStats; DURATION_METRICS.len()],
    extra: Option<String>,
}

/// Parses a Genesys `start/end` interval.
pub fn parse_interval(text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), TransformError> {
    let malformed = |reason: &str| TransformError::Malformed {
        field: "interval",
        value: text.to_string(),
        reason: reason.to_string(),
    };
    let (a, b) = text
        .split_once('/')
        .ok_or_else(|| malformed("expected start/end"))?;
    let start = DateTime::parse_from_rfc3339(a).map_err(|e| malformed(&e.to_string()))?;
    let end = DateTime::parse_from_rfc3339(b).map_err(|e| malformed(&e.to_string()))?;
    if end <= start {
        return Err(malformed("end is not after start"));
    }
    Ok((start.with_timezone(&Utc), end.with_timezone(&Utc)))
}

fn group_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn stats_json(stats: &StatisticalSummary, qualifier: Option<&str>) -> Value {
    let mut m = Map::new();
    if let Some(q) = qualifier {
        m.insert("qualifier".into(), Value::String(q.to_string()));
    }
    for (k, v) in [
        ("count", stats.count.map(Value::from)),
        ("sum", stats.sum.map(Value::from)),
        ("min", stats.min.map(Value::from)),
        ("max", stats.max.map(Value::from)),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    }
    for (k, v) in &stats.other {
        m.insert(k.clone(), v.clone());
    }
    Value::Object(m)
}

/// Turns a conversation aggregates answer into `queue_intervals` rows, sorted by interval, queue
/// and media type.
pub fn from_genesys(response: &AggregateQueryResponse) -> Result<RecordBatch, TransformError> {
    let mut rows = Vec::new();
    for result in &response.results {
        let mut group = result.group.clone();
        let queue_id = group.remove("queueId").map(|v| group_value(&v));
        let media_type = group.remove("mediaType").map(|v| group_value(&v));
        for point in &result.data {
            let (start, end) = parse_interval(&point.interval)?;
            let mut counts = [Some(0i64); COUNT_METRICS.len()];
            let mut durations = [DurationStats::ZERO; DURATION_METRICS.len()];
            let mut other_metrics = Map::new();
            let mut other_stats = Map::new();
            for metric in &point.metrics {
                let name = metric.metric.as_str();
                let stats = &metric.stats;
                let mapped = metric.qualifier.is_none();
                if let Some(i) = COUNT_METRICS
                    .iter()
                    .position(|(m, _)| *m == name)
                    .filter(|_| mapped)
                {
                    counts[i] = Some(stats.count.unwrap_or(0));
                    if stats.sum.is_some()
                        || stats.min.is_some()
                        || stats.max.is_some()
                        || !stats.other.is_empty()
                    {
                        other_stats.insert(name.to_string(), stats_json(stats, None));
                    }
                } else if let Some(i) = DURATION_METRICS
                    .iter()
                    .position(|(m, _)| *m == name)
                    .filter(|_| mapped)
                {
                    durations[i] = DurationStats {
                        count: Some(stats.count.unwrap_or(0)),
                        sum_seconds: Some(stats.sum.unwrap_or(0.0) / 1000.0),
                        min_seconds: stats.min.map(|v| v / 1000.0),
                        max_seconds: stats.max.map(|v| v / 1000.0),
                    };
                    if !stats.other.is_empty() {
                        let other = StatisticalSummary {
                            other: stats.other.clone(),
                            ..Default::default()
                        };
                        other_stats.insert(name.to_string(), stats_json(&other, None));
                    }
                } else {
                    let entry = stats_json(stats, metric.qualifier.as_deref());
                    match other_metrics.get_mut(name) {
                        // Qualified metrics repeat per qualifier: keep all of them.
                        Some(Value::Array(list)) => list.push(entry),
                        Some(existing) => *existing = Value::Array(vec![existing.clone(), entry]),
                        None => {
                            other_metrics.insert(name.to_string(), entry);
                        }
                    }
                }
            }
            let mut extra = BTreeMap::new();
            if !group.is_empty() {
                extra.insert("group", Value::Object(group.clone().into_iter().collect()));
            }
            if !other_metrics.is_empty() {
                extra.insert("metrics", Value::Object(other_metrics));
            }
            if !other_stats.is_empty() {
                extra.insert("stats", Value::Object(other_stats));
            }
            if !point.views.is_empty() {
                extra.insert("views", Value::Array(point.views.clone()));
            }
            let extra = if extra.is_empty() {
                None
            } else {
                serde_json::to_string(&extra).ok()
            };
            rows.push(Row {
                start,
                end,
                queue_id: queue_id.clone(),
                media_type: media_type.clone(),
                counts,
                durations,
                extra,
            });
        }
    }
    rows.sort_by(|a, b| {
        (a.start, &a.queue_id, &a.media_type, a.end).cmp(&(
            b.start,
            &b.queue_id,
            &b.media_type,
            b.end,
        ))
    });
    to_batch(&rows)
}

/// Turns CXone skills summaries (one answer per interval) into `queue_intervals` rows. CXone
/// reports averages, so sums are average × count (averages come in whole seconds: a sum is exact
/// to half a second per conversation); statistics CXone does not report are null, and every field
/// without a column goes to `extra`.
pub fn from_cxone(
    windows: &[crate::sources::cxone::ReportWindow],
) -> Result<RecordBatch, TransformError> {
    use crate::sources::cxone::lenient::Record;
    let field = |e: crate::sources::cxone::lenient::FieldError| TransformError::Malformed {
        field: "skillSummaries",
        value: e.value.clone(),
        reason: e.to_string(),
    };
    let mut rows = Vec::new();
    for (start, end, records) in windows {
        for fields in records {
            let r = Record::new(fields);
            let offered = r.integer(&["contactsOffered"]).map_err(field)?;
            let handled = r.integer(&["contactsHandled"]).map_err(field)?;
            let times = |avg: Option<f64>, count: Option<i64>| match (avg, count) {
                (Some(a), Some(c)) => Some(a * c as f64),
                _ => None,
            };
            let stats = |count: Option<i64>, sum: Option<f64>| DurationStats {
                count,
                sum_seconds: sum,
                min_seconds: None,
                max_seconds: None,
            };
            let asa = r.duration(&["averageSpeedToAnswer"]).map_err(field)?;
            let in_queue = r.duration(&["averageInqueueTime"]).map_err(field)?;
            let talk = r.duration(&["averageTalkTime"]).map_err(field)?;
            let wrap = r.duration(&["averageWrapTime"]).map_err(field)?;
            let aht = r.duration(&["averageHandleTime"]).map_err(field)?;
            let hold = r.duration(&["holdTime"]).map_err(field)?;
            let abandoned = r.integer(&["abandonCount"]).map_err(field)?;
            let media_id = r.integer(&["mediaTypeId", "mediaType"]).map_err(field)?;
            let media_name = r.string(&["mediaTypeName"]);
            rows.push(Row {
                start: *start,
                end: *end,
                queue_id: r.string(&["skillId"]),
                media_type: crate::sources::cxone::media_type(media_id, media_name.as_deref()),
                counts: [offered, None],
                durations: [
                    stats(handled, times(asa, handled)),
                    stats(abandoned, None),
                    stats(offered, times(in_queue, offered)),
                    stats(handled, times(talk, handled)),
                    stats(None, hold),
                    stats(handled, times(wrap, handled)),
                    stats(handled, times(aht, handled)),
                ],
                extra: r.unused_json(),
            });
        }
    }
    rows.sort_by(|a, b| {
        (a.start, &a.queue_id, &a.media_type).cmp(&(b.start, &b.queue_id, &b.media_type))
    });
    to_batch(&rows)
}

fn timestamps(values: impl Iterator<Item = DateTime<Utc>>) -> ArrayRef {
    Arc::new(
        TimestampMicrosecondArray::from(values.map(|t| t.timestamp_micros()).collect::<Vec<_>>())
            .with_timezone("UTC"),
    )
}

fn to_batch(rows: &[Row]) -> Result<RecordBatch, TransformError> {
    let mut columns: Vec<ArrayRef> = vec![
        timestamps(rows.iter().map(|r| r.start)),
        timestamps(rows.iter().map(|r| r.end)),
        Arc::new(StringArray::from(
            rows.iter()
                .map(|r| r.queue_id.as_deref())
                .collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            rows.iter()
                .map(|r| r.media_type.as_deref())
                .collect::<Vec<_>>(),
        )),
    ];
    for i in 0..COUNT_METRICS.len() {
        columns.push(Arc::new(Int64Array::from(
            rows.iter().map(|r| r.counts[i]).collect::<Vec<_>>(),
        )));
    }
    for i in 0..DURATION_METRICS.len() {
        columns.push(Arc::new(Int64Array::from(
            rows.iter()
                .map(|r| r.durations[i].count)
                .collect::<Vec<_>>(),
        )));
        columns.push(Arc::new(Float64Array::from(
            rows.iter()
                .map(|r| r.durations[i].sum_seconds)
                .collect::<Vec<_>>(),
        )));
        columns.push(Arc::new(Float64Array::from(
            rows.iter()
                .map(|r| r.durations[i].min_seconds)
                .collect::<Vec<_>>(),
        )));
        columns.push(Arc::new(Float64Array::from(
            rows.iter()
                .map(|r| r.durations[i].max_seconds)
                .collect::<Vec<_>>(),
        )));
    }
    columns.push(Arc::new(StringArray::from(
        rows.iter().map(|r| r.extra.as_deref()).collect::<Vec<_>>(),
    )));
    Ok(RecordBatch::try_new(
        Dataset::QueueIntervals.schema(),
        columns,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    const EXAMPLE: &str = r#"{ "results": [
        { "group": { "queueId": "q2", "mediaType": "chat" },
          "data": [ { "interval": "2026-11-20T09:00:00.000Z/2026-11-20T09:30:00.000Z",
                      "metrics": [ { "metric": "nOffered", "stats": { "count": 3 } } ] } ] },
        { "group": { "queueId": "q1", "mediaType": "voice", "direction": "inbound" },
          "data": [ { "interval": "2026-11-20T09:00:00.000Z/2026-11-20T09:30:00.000Z",
            "metrics": [ { "metric": "nOffered", "stats": { "count": 42 } },
                         { "metric": "tHandle", "stats": { "max": 912345, "min": 61234, "count": 38, "sum": 11234567, "p95": 800000 } },
                         { "metric": "oServiceLevel", "stats": { "ratio": 0.8333, "numerator": 35, "denominator": 42, "target": 0.8 } } ] } ] } ] }"#;

    #[test]
    fn the_schema_is_the_declared_contract() {
        let schema = Dataset::QueueIntervals.schema();
        let listing: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| {
                format!(
                    "{} {}{}",
                    f.name(),
                    f.data_type(),
                    if f.is_nullable() { "" } else { " NOT NULL" }
                )
            })
            .collect();
        insta::assert_snapshot!(listing.join("\n"));
    }

    #[test]
    fn converts_counts_and_milliseconds_and_keeps_the_rest_in_extra() {
        let response: AggregateQueryResponse = serde_json::from_str(EXAMPLE).unwrap();
        let batch = from_genesys(&response).unwrap();
        assert_eq!(batch.num_rows(), 2);
        let col = |name: &str| batch.column_by_name(name).unwrap().clone();
        let queue = col("queue_id");
        let queue = queue.as_any().downcast_ref::<StringArray>().unwrap();
        // sorted by interval then queue: q1 first
        assert_eq!(queue.value(0), "q1");
        let offered = col("offered");
        let offered = offered.as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!((offered.value(0), offered.value(1)), (42, 3));
        let sum = col("handle_seconds_sum");
        let sum = sum.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(sum.value(0), 11234.567);
        assert_eq!(sum.value(1), 0.0);
        let max = col("handle_seconds_max");
        let max = max.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(max.value(0), 912.345);
        assert!(max.is_null(1));
        let extra = col("extra");
        let extra = extra.as_any().downcast_ref::<StringArray>().unwrap();
        let parsed: Value = serde_json::from_str(extra.value(0)).unwrap();
        assert_eq!(parsed["group"]["direction"], "inbound");
        assert_eq!(parsed["metrics"]["oServiceLevel"]["numerator"], 35);
        assert_eq!(parsed["stats"]["tHandle"]["p95"], 800000);
        assert!(extra.is_null(1));
    }

    #[test]
    fn a_malformed_interval_is_an_error_not_a_dropped_row() {
        let response: AggregateQueryResponse = serde_json::from_str(
            r#"{"results":[{"group":{"queueId":"q"},"data":[{"interval":"yesterday","metrics":[]}]}]}"#,
        )
        .unwrap();
        assert!(from_genesys(&response).is_err());
    }

    #[test]
    fn no_results_make_an_empty_batch() {
        let batch = from_genesys(&AggregateQueryResponse::default()).unwrap();
        assert_eq!(batch.num_rows(), 0);
        assert_eq!(batch.num_columns(), COLUMNS.len());
    }
}
