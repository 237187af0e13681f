//! `agent_intervals`: one row per agent × interval (30 minutes by default), joining the users
//! aggregates query (time in each system presence and routing status, per `qualifier`) with the
//! conversation aggregates query grouped by `userId` (handled conversations and their times).
//! Durations in seconds; a status absent from an interval took no time (0).

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

/// System presences with a column: (qualifier, column).
pub const PRESENCE_COLUMNS: [(&str, &str); 8] = [
    ("ON_QUEUE", "on_queue_seconds"),
    ("AVAILABLE", "available_seconds"),
    ("AWAY", "away_seconds"),
    ("BUSY", "busy_seconds"),
    ("BREAK", "break_seconds"),
    ("MEAL", "meal_seconds"),
    ("MEETING", "meeting_seconds"),
    ("TRAINING", "training_seconds"),
];

/// Routing statuses with a column: (qualifier, column).
pub const ROUTING_COLUMNS: [(&str, &str); 5] = [
    ("IDLE", "idle_seconds"),
    ("INTERACTING", "interacting_seconds"),
    ("NOT_RESPONDING", "not_responding_seconds"),
    ("COMMUNICATING", "communicating_seconds"),
    ("OFF_QUEUE", "off_queue_seconds"),
];

/// Conversation metrics with a column: (metric, column, statistic).
pub const CONVERSATION_COLUMNS: [(&str, &str, &str); 6] = [
    ("tHandle", "handled", "count"),
    ("tHandle", "handle_seconds", "sum"),
    ("tTalk", "talk_seconds", "sum"),
    ("tHeld", "hold_seconds", "sum"),
    ("tAcw", "acw_seconds", "sum"),
    ("nTransferred", "transferred", "count"),
];

/// The declared columns, in file order.
pub const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec {
        name: "interval_start",
        kind: ColumnType::TimestampUtc,
        nullable: false,
        doc: "Start of the interval (UTC).",
        genesys: "`data[].interval` (start)",
        cxone: "requested `startDate`",
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
        name: "user_id",
        kind: ColumnType::Utf8,
        nullable: false,
        doc: "The agent's user id.",
        genesys: "`group.userId`",
        cxone: "`agentId`",
    },
    ColumnSpec {
        name: "login_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Time logged in (any system presence but OFFLINE), seconds. Null: the vendor does not report it (as for every column below).",
        genesys: "`tSystemPresence` sum over qualifiers ≠ OFFLINE / 1000",
        cxone: "`loginTime`",
    },
    ColumnSpec {
        name: "on_queue_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Time on queue, seconds.",
        genesys: "`tSystemPresence` ON_QUEUE / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "available_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Time Available (off queue), seconds.",
        genesys: "`tSystemPresence` AVAILABLE / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "away_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Time Away, seconds.",
        genesys: "`tSystemPresence` AWAY / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "busy_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Time Busy, seconds.",
        genesys: "`tSystemPresence` BUSY / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "break_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Time on Break, seconds.",
        genesys: "`tSystemPresence` BREAK / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "meal_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Time at Meal, seconds.",
        genesys: "`tSystemPresence` MEAL / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "meeting_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Time in Meeting, seconds.",
        genesys: "`tSystemPresence` MEETING / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "training_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Time in Training, seconds.",
        genesys: "`tSystemPresence` TRAINING / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "idle_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "On queue and waiting for a conversation, seconds.",
        genesys: "`tAgentRoutingStatus` IDLE / 1000",
        cxone: "`availableTime`",
    },
    ColumnSpec {
        name: "interacting_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "On queue and handling conversations, seconds.",
        genesys: "`tAgentRoutingStatus` INTERACTING / 1000",
        cxone: "`inboundTime` + `outboundTime`",
    },
    ColumnSpec {
        name: "not_responding_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Alerted but not answering, seconds.",
        genesys: "`tAgentRoutingStatus` NOT_RESPONDING / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "communicating_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "On a non-ACD conversation while on queue, seconds.",
        genesys: "`tAgentRoutingStatus` COMMUNICATING / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "off_queue_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Logged in but off queue, seconds.",
        genesys: "`tAgentRoutingStatus` OFF_QUEUE / 1000",
        cxone: "`unavailableTime`",
    },
    ColumnSpec {
        name: "handled",
        kind: ColumnType::Int64,
        nullable: true,
        doc: "Conversations handled (started in the interval).",
        genesys: "`tHandle` count (grouped by userId)",
        cxone: "`totalHandled`",
    },
    ColumnSpec {
        name: "handle_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Handle time, seconds.",
        genesys: "`tHandle` sum / 1000",
        cxone: "`totalAvgHandleTime` × `totalHandled`",
    },
    ColumnSpec {
        name: "talk_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Talk time, seconds.",
        genesys: "`tTalk` sum / 1000",
        cxone: "`totalTalkTime`",
    },
    ColumnSpec {
        name: "hold_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Hold time, seconds.",
        genesys: "`tHeld` sum / 1000",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "acw_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "After-call work, seconds.",
        genesys: "`tAcw` sum / 1000",
        cxone: "`acwTime`",
    },
    ColumnSpec {
        name: "transferred",
        kind: ColumnType::Int64,
        nullable: true,
        doc: "Conversations the agent transferred.",
        genesys: "`nTransferred` count",
        cxone: "null (not reported)",
    },
    ColumnSpec {
        name: "extra",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "JSON: other presences and statuses (by qualifier, seconds), organization presences by id, other metrics.",
        genesys: "everything else",
        cxone: "every other field (agentOffered, refused, occupancy, workingRate, teamId, …)",
    },
];

/// (interval start, interval end, user id).
type RowKey = (DateTime<Utc>, DateTime<Utc>, String);

#[derive(Default)]
struct Row {
    presence: BTreeMap<String, f64>,
    routing: BTreeMap<String, f64>,
    org_presence: BTreeMap<String, f64>,
    conversation: BTreeMap<&'static str, f64>,
    other: Map<String, Value>,
}

/// Joins the two answers into rows sorted by interval and user.
pub fn from_genesys(
    presence: &AggregateQueryResponse,
    conversations: &AggregateQueryResponse,
) -> Result<RecordBatch, TransformError> {
    let mut rows: BTreeMap<RowKey, Row> = BTreeMap::new();
    let user = |group: &BTreeMap<String, Value>| {
        group
            .get("userId")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    for result in &presence.results {
        let Some(user_id) = user(&result.group) else {
            continue;
        };
        for point in &result.data {
            let (start, end) = parse_interval(&point.interval)?;
            let row = rows.entry((start, end, user_id.clone())).or_default();
            for m in &point.metrics {
                let seconds = m.stats.sum.unwrap_or(0.0) / 1000.0;
                let qualifier = m.qualifier.clone().unwrap_or_default();
                let target = match m.metric.as_str() {
                    "tSystemPresence" => &mut row.presence,
                    "tAgentRoutingStatus" => &mut row.routing,
                    "tOrganizationPresence" => &mut row.org_presence,
                    other => {
                        row.other
                            .insert(format!("{other}:{qualifier}"), Value::from(seconds));
                        continue;
                    }
                };
                *target.entry(qualifier).or_default() += seconds;
            }
        }
    }
    for result in &conversations.results {
        let Some(user_id) = user(&result.group) else {
            continue;
        };
        for point in &result.data {
            let (start, end) = parse_interval(&point.interval)?;
            let row = rows.entry((start, end, user_id.clone())).or_default();
            for m in &point.metrics {
                let mut mapped = false;
                for (metric, column, stat) in CONVERSATION_COLUMNS {
                    if m.metric == metric {
                        let value = match stat {
                            "count" => m.stats.count.unwrap_or(0) as f64,
                            _ => m.stats.sum.unwrap_or(0.0) / 1000.0,
                        };
                        row.conversation.insert(column, value);
                        mapped = true;
                    }
                }
                if !mapped {
                    let stats = serde_json::json!({"count": m.stats.count, "sum": m.stats.sum, "min": m.stats.min, "max": m.stats.max});
                    row.other.insert(m.metric.clone(), stats);
                }
            }
        }
    }
    let keys: Vec<_> = rows.keys().cloned().collect();
    let rows: Vec<_> = rows.into_values().collect();
    let times = |f: &dyn Fn(&RowKey) -> i64| -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from(keys.iter().map(f).collect::<Vec<_>>())
                .with_timezone("UTC"),
        )
    };
    let mut columns: Vec<ArrayRef> = vec![
        times(&|k| k.0.timestamp_micros()),
        times(&|k| k.1.timestamp_micros()),
        Arc::new(StringArray::from(
            keys.iter().map(|k| k.2.as_str()).collect::<Vec<_>>(),
        )),
        Arc::new(Float64Array::from(
            rows.iter()
                .map(|r| {
                    r.presence
                        .iter()
                        .filter(|(q, _)| q.as_str() != "OFFLINE")
                        .map(|(_, v)| v)
                        .sum::<f64>()
                })
                .collect::<Vec<_>>(),
        )),
    ];
    for (qualifier, _) in PRESENCE_COLUMNS {
        columns.push(Arc::new(Float64Array::from(
            rows.iter()
                .map(|r| r.presence.get(qualifier).copied().unwrap_or(0.0))
                .collect::<Vec<_>>(),
        )));
    }
    for (qualifier, _) in ROUTING_COLUMNS {
        columns.push(Arc::new(Float64Array::from(
            rows.iter()
                .map(|r| r.routing.get(qualifier).copied().unwrap_or(0.0))
                .collect::<Vec<_>>(),
        )));
    }
    for (_, column, stat) in CONVERSATION_COLUMNS {
        let values = rows
            .iter()
            .map(|r| r.conversation.get(column).copied().unwrap_or(0.0));
        if stat == "count" {
            columns.push(Arc::new(Int64Array::from(
                values.map(|v| v as i64).collect::<Vec<_>>(),
            )));
        } else {
            columns.push(Arc::new(Float64Array::from(values.collect::<Vec<_>>())));
        }
    }
    let extras: Vec<Option<String>> = rows
        .iter()
        .map(|r| {
            let mut extra = Map::new();
            let unmapped = |m: &BTreeMap<String, f64>, known: &[&str]| -> Map<String, Value> {
                m.iter()
                    .filter(|(q, _)| !known.contains(&q.as_str()))
                    .map(|(q, v)| (q.clone(), Value::from(*v)))
                    .collect()
            };
            let presence_known: Vec<&str> = PRESENCE_COLUMNS.iter().map(|(q, _)| *q).collect();
            let routing_known: Vec<&str> = ROUTING_COLUMNS.iter().map(|(q, _)| *q).collect();
            let other_presence = unmapped(&r.presence, &presence_known);
            if !other_presence.is_empty() {
                extra.insert(
                    "system_presence_seconds".into(),
                    Value::Object(other_presence),
                );
            }
            let other_routing = unmapped(&r.routing, &routing_known);
            if !other_routing.is_empty() {
                extra.insert(
                    "routing_status_seconds".into(),
                    Value::Object(other_routing),
                );
            }
            if !r.org_presence.is_empty() {
                extra.insert(
                    "organization_presence_seconds".into(),
                    Value::Object(unmapped(&r.org_presence, &[])),
                );
            }
            if !r.other.is_empty() {
                extra.insert("metrics".into(), Value::Object(r.other.clone()));
            }
            (!extra.is_empty()).then(|| Value::Object(extra).to_string())
        })
        .collect();
    columns.push(Arc::new(StringArray::from(extras)));
    Ok(RecordBatch::try_new(
        Dataset::AgentIntervals.schema(),
        columns,
    )?)
}

/// Turns CXone agent performance (one answer per interval) into `agent_intervals` rows. CXone has
/// no presence breakdown, so those columns are null; `availableTime` is time ready for contacts
/// (idle), `unavailableTime` time logged in but not ready (off queue), and handle time is the
/// average handle time × contacts handled. Every field without a column goes to `extra`.
pub fn from_cxone(
    windows: &[crate::sources::cxone::ReportWindow],
) -> Result<RecordBatch, TransformError> {
    use crate::sources::cxone::lenient::Record;
    let field = |e: crate::sources::cxone::lenient::FieldError| TransformError::Malformed {
        field: "agentPerformance",
        value: e.value.clone(),
        reason: e.to_string(),
    };
    struct CxRow {
        key: RowKey,
        values: Vec<Option<f64>>,
        handled: Option<i64>,
        extra: Option<String>,
    }
    let mut rows = Vec::new();
    for (start, end, records) in windows {
        for fields in records {
            let r = Record::new(fields);
            let Some(user) = r.string(&["agentId"]) else {
                return Err(TransformError::Malformed {
                    field: "agentPerformance",
                    value: Value::Object(fields.clone()).to_string(),
                    reason: "a row without agentId".into(),
                });
            };
            let d = |names: &[&str]| r.duration(names).map_err(field);
            let login = d(&["loginTime"])?;
            let idle = d(&["availableTime"])?;
            let off_queue = d(&["unavailableTime"])?;
            let inbound = d(&["inboundTime"])?;
            let outbound = d(&["outboundTime"])?;
            let interacting = match (inbound, outbound) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
            };
            let handled = r.integer(&["totalHandled"]).map_err(field)?;
            let aht = d(&["totalAvgHandleTime"])?;
            let handle = match (aht, handled) {
                (Some(a), Some(h)) => Some(((a * h as f64) * 1000.0).round() / 1000.0),
                _ => None,
            };
            let talk = d(&["totalTalkTime"])?;
            let acw = d(&["acwTime"])?;
            // Column order: login, 8 presences, 5 routing statuses, handle, talk, hold, acw.
            let mut values = vec![login];
            values.extend([None; PRESENCE_COLUMNS.len()]);
            values.extend([idle, interacting, None, None, off_queue]);
            values.extend([handle, talk, None, acw]);
            rows.push(CxRow {
                key: (*start, *end, user),
                values,
                handled,
                extra: r.unused_json(),
            });
        }
    }
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    let times = |f: &dyn Fn(&RowKey) -> i64| -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from(rows.iter().map(|r| f(&r.key)).collect::<Vec<_>>())
                .with_timezone("UTC"),
        )
    };
    let float = |i: usize| -> ArrayRef {
        Arc::new(Float64Array::from(
            rows.iter().map(|r| r.values[i]).collect::<Vec<_>>(),
        ))
    };
    let mut columns: Vec<ArrayRef> = vec![
        times(&|k| k.0.timestamp_micros()),
        times(&|k| k.1.timestamp_micros()),
        Arc::new(StringArray::from(
            rows.iter().map(|r| r.key.2.as_str()).collect::<Vec<_>>(),
        )),
    ];
    for i in 0..1 + PRESENCE_COLUMNS.len() + ROUTING_COLUMNS.len() {
        columns.push(float(i));
    }
    let conversation_base = 1 + PRESENCE_COLUMNS.len() + ROUTING_COLUMNS.len();
    columns.push(Arc::new(Int64Array::from(
        rows.iter().map(|r| r.handled).collect::<Vec<_>>(),
    )));
    for i in 0..4 {
        columns.push(float(conversation_base + i));
    }
    columns.push(Arc::new(Int64Array::from(vec![None::<i64>; rows.len()])));
    columns.push(Arc::new(StringArray::from(
        rows.iter().map(|r| r.extra.as_deref()).collect::<Vec<_>>(),
    )));
    Ok(RecordBatch::try_new(
        Dataset::AgentIntervals.schema(),
        columns,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    #[test]
    fn the_documented_users_example_fills_presence_and_routing_columns() {
        let presence: AggregateQueryResponse = serde_json::from_str(
            r#"{ "systemToOrganizationMappings": { "AVAILABLE": ["6a3af858-942f-489d-9700-5f9bcdcdae9b"] },
                "results": [ { "group": { "userId": "u-1111-2222" }, "data": [ { "interval": "2026-11-20T09:00:00.000Z/2026-11-20T09:30:00.000Z",
                  "metrics": [ { "metric": "tSystemPresence", "qualifier": "ON_QUEUE", "stats": { "sum": 1500000 } },
                               { "metric": "tSystemPresence", "qualifier": "OFFLINE", "stats": { "sum": 300000 } },
                               { "metric": "tAgentRoutingStatus", "qualifier": "INTERACTING", "stats": { "sum": 1200000 } },
                               { "metric": "tAgentRoutingStatus", "qualifier": "IDLE", "stats": { "sum": 300000 } } ] } ] } ] }"#,
        )
        .unwrap();
        let conversations: AggregateQueryResponse = serde_json::from_str(
            r#"{"results": [ { "group": { "userId": "u-1111-2222" }, "data": [ { "interval": "2026-11-20T09:00:00.000Z/2026-11-20T09:30:00.000Z",
                  "metrics": [ { "metric": "tHandle", "stats": { "count": 3, "sum": 900000, "min": 1, "max": 2 } } ] } ] } ] }"#,
        )
        .unwrap();
        let batch = from_genesys(&presence, &conversations).unwrap();
        assert_eq!(batch.num_rows(), 1);
        let f = |n: &str| {
            batch
                .column_by_name(n)
                .unwrap()
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .value(0)
        };
        assert_eq!(f("login_seconds"), 1500.0, "OFFLINE is not logged in");
        assert_eq!(f("on_queue_seconds"), 1500.0);
        assert_eq!(f("interacting_seconds"), 1200.0);
        assert_eq!(f("idle_seconds"), 300.0);
        assert_eq!(f("handle_seconds"), 900.0);
        let handled = batch
            .column_by_name("handled")
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .value(0);
        assert_eq!(handled, 3);
        let extra = batch
            .column_by_name("extra")
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert!(!extra.is_null(0) && extra.value(0).contains("OFFLINE"));
    }
}
