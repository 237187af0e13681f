//! `POST /api/v2/analytics/users/aggregates/query` (reference/genesys.md §2.4): time in each
//! system presence, organization presence and routing status (`qualifier`), computed from the
//! generated agents' timelines, clipped to the interval and split by granularity.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Duration;
use serde_json::{Map, Value, json};

use super::aggregates::{
    QueryError, bad, format_instant, json_query, metric_names, parse_iso_duration, query_interval,
};
use crate::sim::SimState;
use crate::sim::directory::ORG_PRESENCES;
use crate::sim::generator::Generator;

/// (metric, qualifier) → milliseconds.
type Durations = BTreeMap<(&'static str, &'static str), i64>;

pub(crate) const USER_AGGREGATES_PATH: &str = "/api/v2/analytics/users/aggregates/query";

pub(crate) async fn user_aggregates(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    json_query(&state, &headers, &body, user_aggregate)
}

/// `UserAggregationQuery` → presence and routing-status durations from the agents' timelines,
/// clipped to the interval and split by granularity.
fn user_aggregate(generator: &Generator, body: &[u8]) -> Result<Value, QueryError> {
    let query: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("Unable to parse the request body: {e}")))?;
    let obj = query
        .as_object()
        .ok_or_else(|| bad("The request body must be a JSON object."))?;
    let allowed = [
        "interval",
        "granularity",
        "timeZone",
        "groupBy",
        "filter",
        "metrics",
        "flattenMultivaluedDimensions",
        "views",
        "alternateTimeDimension",
    ];
    if let Some(unknown) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(format!("Unrecognized field \"{unknown}\"")));
    }
    let (start, end) = query_interval(obj)?;
    let metrics = metric_names(obj)?;
    for m in &metrics {
        if ![
            "tSystemPresence",
            "tOrganizationPresence",
            "tAgentRoutingStatus",
        ]
        .contains(m)
        {
            return Err(bad(format!("Invalid metric: {m}")));
        }
    }
    // The validated names, as the static strings the accumulator keys on.
    let metrics: Vec<&'static str> = metrics
        .iter()
        .map(|m| match *m {
            "tSystemPresence" => "tSystemPresence",
            "tOrganizationPresence" => "tOrganizationPresence",
            _ => "tAgentRoutingStatus",
        })
        .collect();
    let group_by: Vec<&str> = obj
        .get("groupBy")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if group_by.iter().any(|d| *d != "userId") {
        return Err(bad(
            "Invalid groupBy dimension: users aggregates group by userId only",
        ));
    }
    let granularity = match obj.get("granularity").and_then(Value::as_str) {
        Some(g) => parse_iso_duration(g).ok_or_else(|| bad(format!("Invalid granularity: {g}")))?,
        None => end - start,
    };
    let mut wanted: Option<Vec<String>> = None;
    if let Some(filter) = obj.get("filter") {
        let mut ids = Vec::new();
        for p in filter
            .get("predicates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if p.get("dimension").and_then(Value::as_str) != Some("userId") {
                return Err(bad(
                    "Invalid filter dimension: users aggregates filter by userId only",
                ));
            }
            ids.extend(p.get("value").and_then(Value::as_str).map(str::to_string));
        }
        wanted = Some(ids);
    }
    let org = generator.org();
    let g_ms = granularity.num_milliseconds();
    // (user id or "") -> bucket -> (metric, qualifier) -> ms
    let mut acc: BTreeMap<String, BTreeMap<i64, Durations>> = BTreeMap::new();
    let mut day = start.date_naive();
    while day.and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(end) < end {
        for (a, spans) in generator.agent_timelines(day).into_iter().enumerate() {
            let id = &org.agents[a].id;
            if wanted.as_ref().is_some_and(|w| !w.contains(id)) {
                continue;
            }
            let key = if group_by.is_empty() {
                String::new()
            } else {
                id.clone()
            };
            for span in spans {
                let (mut a, b) = (span.start.max(start), span.end.min(end));
                while a < b {
                    let bucket = (a - start).num_milliseconds() / g_ms;
                    let bucket_end = (start + Duration::milliseconds((bucket + 1) * g_ms)).min(b);
                    let ms = (bucket_end - a).num_milliseconds();
                    let slot = acc
                        .entry(key.clone())
                        .or_default()
                        .entry(bucket)
                        .or_default();
                    for m in &metrics {
                        let qualifier = match *m {
                            "tSystemPresence" => span.system_presence,
                            "tOrganizationPresence" => ORG_PRESENCES
                                .iter()
                                .find(|(s, _)| *s == span.system_presence)
                                .map(|(_, id)| *id)
                                .unwrap_or("unknown"),
                            _ => span.routing_status,
                        };
                        *slot.entry((m, qualifier)).or_default() += ms;
                    }
                    a = bucket_end;
                }
            }
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    let results: Vec<Value> = acc
        .into_iter()
        .map(|(user, buckets)| {
            let data: Vec<Value> = buckets
                .into_iter()
                .map(|(bucket, values)| {
                    let b_start = start + Duration::milliseconds(bucket * g_ms);
                    let b_end = (b_start + granularity).min(end);
                    let metrics: Vec<Value> = values
                        .into_iter()
                        .map(|((metric, qualifier), ms)| json!({"metric": metric, "qualifier": qualifier, "stats": {"sum": ms}}))
                        .collect();
                    json!({"interval": format!("{}/{}", format_instant(b_start), format_instant(b_end)), "metrics": metrics})
                })
                .collect();
            let group = if user.is_empty() { json!({}) } else { json!({"userId": user}) };
            json!({"group": group, "data": data})
        })
        .collect();
    let mappings: Map<String, Value> = ORG_PRESENCES
        .iter()
        .map(|(s, id)| (s.to_string(), json!([id])))
        .collect();
    let mut response = json!({"systemToOrganizationMappings": mappings});
    if !results.is_empty() {
        response["results"] = Value::Array(results);
    }
    Ok(response)
}
