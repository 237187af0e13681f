//! `POST /api/v2/analytics/conversations/aggregates/query` (reference/genesys.md §2.3), computed
//! from the generated conversations, bucketed by conversation start.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use crate::sim::generator::{Generator, SimConversation};
use crate::sim::{SimState, error_response};

pub(crate) const CONVERSATION_AGGREGATES_PATH: &str =
    "/api/v2/analytics/conversations/aggregates/query";

/// Metrics the simulator computes.
const MODELLED_METRICS: &[&str] = &[
    "nOffered",
    "nConnected",
    "nTransferred",
    "nOverSla",
    "tAnswered",
    "tAbandon",
    "tWait",
    "tAcd",
    "tTalk",
    "tHeld",
    "tAcw",
    "tHandle",
];

/// Real metric names the simulator accepts but has no data for (reference/genesys.md §2.3).
const OTHER_KNOWN_METRICS: &[&str] = &[
    "nBlindTransferred",
    "nBotInteractions",
    "nCobrowseSessions",
    "nConsult",
    "nConsultTransferred",
    "nError",
    "nOutbound",
    "nOutboundAbandoned",
    "nOutboundAttempted",
    "nOutboundConnected",
    "nStateTransitionError",
    "oExternalMediaCount",
    "oMediaCount",
    "oMessageCount",
    "oMessageSegmentCount",
    "oMessageTurn",
    "oServiceLevel",
    "oServiceTarget",
    "tActiveCallback",
    "tActiveCallbackComplete",
    "tAgentResponseTime",
    "tAlert",
    "tAverageAgentResponseTime",
    "tAverageCustomerResponseTime",
    "tBarging",
    "tCoaching",
    "tCoachingComplete",
    "tConnected",
    "tContacting",
    "tDialing",
    "tFirstConnect",
    "tFirstDial",
    "tFirstEngagement",
    "tFirstResponse",
    "tFlowOut",
    "tHeldComplete",
    "tIvr",
    "tMonitoring",
    "tMonitoringComplete",
    "tNotResponding",
    "tPark",
    "tParkComplete",
    "tShortAbandon",
    "tTalkComplete",
    "tUserResponseTime",
    "tVoicemail",
    "nAgentDeclined",
    "nAlertExpired",
    "nCallbackAttempts",
    "nCallbackOverSla",
    "nCallbackScheduled",
    "nCfcOffered",
    "nConversations",
    "nTakeover",
];

/// `groupBy` / filter dimensions the simulator knows.
const DIMENSIONS: &[&str] = &[
    "queueId",
    "mediaType",
    "userId",
    "direction",
    "originatingDirection",
    "wrapUpCode",
    "conversationId",
    "ani",
    "dnis",
];

const QUERY_FIELDS: &[&str] = &[
    "interval",
    "granularity",
    "timeZone",
    "groupBy",
    "filter",
    "metrics",
    "flattenMultivaluedDimensions",
    "views",
    "alternateTimeDimension",
    "queryType",
    "sortMetric",
    "limit",
];

/// Service-level threshold of `nOverSla`.
const SLA_MS: u64 = 20_000;

pub(super) type QueryError = (&'static str, String);

pub(super) fn bad(message: impl Into<String>) -> QueryError {
    ("bad.request", message.into())
}

pub(crate) async fn conversation_aggregates(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    json_query(&state, &headers, &body, aggregate)
}

/// An aggregates-style endpoint: admission, then the query computed from the generated data, a
/// Genesys `ErrorBody` 400 when it is invalid.
pub(super) fn json_query(
    state: &SimState,
    headers: &HeaderMap,
    body: &[u8],
    compute: fn(&Generator, &[u8]) -> Result<Value, QueryError>,
) -> Response {
    let rate_headers = match state.admit(headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let mut response = match compute(&state.generator, body) {
        Ok(v) => axum::Json(v).into_response(),
        Err((code, message)) => error_response(StatusCode::BAD_REQUEST, code, &message),
    };
    response.headers_mut().extend(rate_headers);
    response
}

pub(super) fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// ISO-8601 duration with days, hours, minutes, seconds (`P1D`, `PT30M`, `PT1H30M`).
pub(super) fn parse_iso_duration(text: &str) -> Option<Duration> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = Duration::zero();
    let mut take = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        for ch in part.chars() {
            if ch.is_ascii_digit() {
                number.push(ch);
            } else {
                let secs = units.iter().find(|(u, _)| *u == ch)?.1;
                let n: i64 = number.parse().ok()?;
                total += Duration::seconds(n * secs);
                number.clear();
            }
        }
        number.is_empty().then_some(())
    };
    take(date, &[('W', 604_800), ('D', 86_400)])?;
    if let Some(t) = time {
        if t.is_empty() {
            return None;
        }
        take(t, &[('H', 3600), ('M', 60), ('S', 1)])?;
    }
    (total > Duration::zero()).then_some(total)
}

fn dimension(generator: &Generator, c: &SimConversation, name: &str) -> Option<String> {
    let org = generator.org();
    match name {
        "queueId" => Some(org.queues[c.queue].id.clone()),
        "mediaType" => Some(c.media_type.to_string()),
        "userId" => c.agent.map(|a| org.agents[a].id.clone()),
        "direction" | "originatingDirection" => Some(c.direction.to_string()),
        "wrapUpCode" => c.wrap_up_code.clone(),
        "conversationId" => Some(c.id.clone()),
        "ani" => c.ani.clone(),
        "dnis" => (c.media_type == "voice").then(|| org.queues[c.queue].dnis.clone()),
        _ => None,
    }
}

enum Observation {
    Count,
    Duration(u64),
}

fn observe(c: &SimConversation, metric: &str) -> Option<Observation> {
    let answered = c.answered();
    match metric {
        "nOffered" => Some(Observation::Count),
        "nConnected" => answered.then_some(Observation::Count),
        "nTransferred" => c.transferred.then_some(Observation::Count),
        "nOverSla" => (answered && c.wait_ms > SLA_MS).then_some(Observation::Count),
        "tAnswered" => answered.then_some(Observation::Duration(c.wait_ms)),
        "tAbandon" => c.abandoned.then_some(Observation::Duration(c.wait_ms)),
        "tWait" | "tAcd" => Some(Observation::Duration(c.wait_ms)),
        "tTalk" => answered.then_some(Observation::Duration(c.talk_ms)),
        "tHeld" => (answered && c.hold_ms > 0).then_some(Observation::Duration(c.hold_ms)),
        "tAcw" => (answered && c.acw_ms > 0).then_some(Observation::Duration(c.acw_ms)),
        "tHandle" => answered.then_some(Observation::Duration(c.handle_ms())),
        _ => None,
    }
}

/// A compiled filter: `{type, clauses?, predicates?}` over dimension predicates.
struct Filter {
    all: bool,
    predicates: Vec<Predicate>,
    clauses: Vec<Filter>,
}

struct Predicate {
    dimension: String,
    operator: String,
    value: Option<String>,
}

impl Filter {
    fn compile(value: &Value, depth: usize) -> Result<Filter, QueryError> {
        let obj = value
            .as_object()
            .ok_or_else(|| bad("filter must be an object"))?;
        let all = match obj.get("type").and_then(Value::as_str) {
            Some("and") => true,
            Some("or") => false,
            _ => return Err(bad("filter.type must be \"and\" or \"or\"")),
        };
        let mut predicates = Vec::new();
        for p in obj
            .get("predicates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = p.get("type").and_then(Value::as_str).unwrap_or("dimension");
            if kind != "dimension" {
                return Err(bad(format!(
                    "the simulator supports dimension predicates only, not {kind}"
                )));
            }
            let dimension = p
                .get("dimension")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("predicate.dimension is required"))?;
            if !DIMENSIONS.contains(&dimension) {
                return Err(bad(format!("Invalid dimension: {dimension}")));
            }
            let operator = p
                .get("operator")
                .and_then(Value::as_str)
                .unwrap_or("matches");
            if !["matches", "exists", "notExists"].contains(&operator) {
                return Err(bad(format!("Invalid operator: {operator}")));
            }
            let value = p.get("value").and_then(Value::as_str).map(str::to_string);
            if operator == "matches" && value.is_none() {
                return Err(bad("a matches predicate needs a value"));
            }
            predicates.push(Predicate {
                dimension: dimension.to_string(),
                operator: operator.to_string(),
                value,
            });
        }
        let mut clauses = Vec::new();
        if let Some(list) = obj.get("clauses").and_then(Value::as_array) {
            if depth >= 2 {
                return Err(bad("filters allow up to two levels of nesting"));
            }
            for c in list {
                clauses.push(Filter::compile(c, depth + 1)?);
            }
        }
        Ok(Filter {
            all,
            predicates,
            clauses,
        })
    }

    fn matches(&self, generator: &Generator, c: &SimConversation) -> bool {
        let mut results = self
            .predicates
            .iter()
            .map(|p| {
                let v = dimension(generator, c, &p.dimension);
                match p.operator.as_str() {
                    "exists" => v.is_some(),
                    "notExists" => v.is_none(),
                    _ => v.as_deref() == p.value.as_deref(),
                }
            })
            .chain(self.clauses.iter().map(|f| f.matches(generator, c)));
        if self.all {
            results.all(|r| r)
        } else {
            results.any(|r| r)
        }
    }
}

/// `groupBy` dimension → value, in `groupBy` order.
type GroupKey = Vec<(String, String)>;

#[derive(Default)]
struct Accumulator {
    count: u64,
    sum: u64,
    min: u64,
    max: u64,
    duration: bool,
}

pub(crate) fn format_instant(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The `interval` of an aggregates query, validated as Genesys does.
pub(super) fn query_interval(
    obj: &Map<String, Value>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), QueryError> {
    let interval = obj
        .get("interval")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("interval is required"))?;
    let (start, end) = interval
        .split_once('/')
        .and_then(|(a, b)| Some((parse_instant(a)?, parse_instant(b)?)))
        .ok_or_else(|| ("invalid.date", "Dates must be specified as ISO-8601 strings. For example: yyyy-MM-ddTHH:mm:ss.SSSZ".to_string()))?;
    if end <= start {
        return Err(bad("The interval end must be after its start."));
    }
    Ok((start, end))
}

/// The `metrics` of an aggregates query; at least one is required.
pub(super) fn metric_names(obj: &Map<String, Value>) -> Result<Vec<&str>, QueryError> {
    let metrics: Vec<&str> = obj
        .get("metrics")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if metrics.is_empty() {
        return Err(bad("metrics is required"));
    }
    Ok(metrics)
}

/// Validates a `ConversationAggregationQuery` and computes its answer.
fn aggregate(generator: &Generator, body: &[u8]) -> Result<Value, QueryError> {
    let query: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("Unable to parse the request body: {e}")))?;
    let obj = query
        .as_object()
        .ok_or_else(|| bad("The request body must be a JSON object."))?;
    if let Some(unknown) = obj.keys().find(|k| !QUERY_FIELDS.contains(&k.as_str())) {
        return Err(bad(format!("Unrecognized field \"{unknown}\"")));
    }
    let (start, end) = query_interval(obj)?;
    let metrics = metric_names(obj)?;
    for m in &metrics {
        if !MODELLED_METRICS.contains(m) && !OTHER_KNOWN_METRICS.contains(m) {
            return Err(bad(format!("Invalid metric: {m}")));
        }
    }
    let granularity = match obj.get("granularity").and_then(Value::as_str) {
        Some(g) => parse_iso_duration(g).ok_or_else(|| bad(format!("Invalid granularity: {g}")))?,
        None => end - start,
    };
    if (end - start).num_milliseconds() / granularity.num_milliseconds() > 10_000 {
        return Err(bad("The granularity is too fine for this interval."));
    }
    if let Some(tz) = obj.get("timeZone").and_then(Value::as_str)
        && tz.parse::<chrono_tz::Tz>().is_err()
    {
        return Err(bad(format!("Invalid timeZone: {tz}")));
    }
    if let Some(kind) = obj.get("queryType").and_then(Value::as_str)
        && kind != "groupBy"
    {
        return Err(bad(format!(
            "the simulator supports queryType groupBy only, not {kind}"
        )));
    }
    let group_by: Vec<&str> = obj
        .get("groupBy")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for d in &group_by {
        if !DIMENSIONS.contains(d) {
            return Err(bad(format!("Invalid groupBy dimension: {d}")));
        }
    }
    let filter = obj
        .get("filter")
        .map(|f| Filter::compile(f, 0))
        .transpose()?;

    let granularity_ms = granularity.num_milliseconds();
    let mut groups: BTreeMap<GroupKey, BTreeMap<i64, Vec<Accumulator>>> = BTreeMap::new();
    for c in generator.conversations_between(start, end) {
        if filter.as_ref().is_some_and(|f| !f.matches(generator, &c)) {
            continue;
        }
        let key: Vec<(String, String)> = group_by
            .iter()
            .filter_map(|d| dimension(generator, &c, d).map(|v| (d.to_string(), v)))
            .collect();
        let bucket = (c.start - start).num_milliseconds() / granularity_ms;
        let accs = groups
            .entry(key)
            .or_default()
            .entry(bucket)
            .or_insert_with(|| metrics.iter().map(|_| Accumulator::default()).collect());
        for (acc, metric) in accs.iter_mut().zip(&metrics) {
            match observe(&c, metric) {
                Some(Observation::Count) => acc.count += 1,
                Some(Observation::Duration(ms)) => {
                    acc.min = if acc.count == 0 { ms } else { acc.min.min(ms) };
                    acc.max = acc.max.max(ms);
                    acc.count += 1;
                    acc.sum += ms;
                    acc.duration = true;
                }
                None => {}
            }
        }
    }
    let mut results = Vec::new();
    for (key, buckets) in groups {
        let mut data = Vec::new();
        for (bucket, accs) in buckets {
            let b_start = start + Duration::milliseconds(bucket * granularity_ms);
            let b_end = (b_start + granularity).min(end);
            let metric_values: Vec<Value> = accs
                .iter()
                .zip(&metrics)
                .filter(|(acc, _)| acc.count > 0)
                .map(|(acc, metric)| {
                    let stats = if acc.duration {
                        json!({"max": acc.max, "min": acc.min, "count": acc.count, "sum": acc.sum})
                    } else {
                        json!({"count": acc.count})
                    };
                    json!({"metric": metric, "stats": stats})
                })
                .collect();
            if !metric_values.is_empty() {
                data.push(json!({
                    "interval": format!("{}/{}", format_instant(b_start), format_instant(b_end)),
                    "metrics": metric_values,
                }));
            }
        }
        if !data.is_empty() {
            let group: Map<String, Value> = key
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            results.push(json!({"group": group, "data": data}));
        }
    }
    // Null members are omitted by the real API: no data, no `results`.
    if results.is_empty() {
        Ok(json!({}))
    } else {
        Ok(json!({ "results": results }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_durations() {
        assert_eq!(parse_iso_duration("PT30M"), Some(Duration::minutes(30)));
        assert_eq!(parse_iso_duration("PT1H30M"), Some(Duration::minutes(90)));
        assert_eq!(parse_iso_duration("P1D"), Some(Duration::days(1)));
        assert_eq!(parse_iso_duration("P1DT12H"), Some(Duration::hours(36)));
        assert_eq!(parse_iso_duration("PT"), None);
        assert_eq!(parse_iso_duration("30M"), None);
        assert_eq!(parse_iso_duration("PT0S"), None);
    }

    #[test]
    fn validation_errors_are_genesys_style_reasons() {
        let g = Generator::new(1);
        let err = |body: &str| aggregate(&g, body.as_bytes()).unwrap_err();
        assert_eq!(
            err(r#"{"interval":"yesterday","metrics":["nOffered"]}"#).0,
            "invalid.date"
        );
        assert!(
            err(r#"{"interval":"2026-11-20T00:00:00Z/2026-11-21T00:00:00Z","metrics":["nFoo"]}"#)
                .1
                .contains("nFoo")
        );
        assert!(
            err(r#"{"interval":"2026-11-20T00:00:00Z/2026-11-21T00:00:00Z","metrics":[]}"#)
                .1
                .contains("metrics")
        );
        assert!(err(r#"{"interval":"2026-11-20T00:00:00Z/2026-11-21T00:00:00Z","metrics":["nOffered"],"groupBy":["planet"]}"#).1.contains("planet"));
    }

    #[test]
    fn filters_and_grouping_partition_the_conversations() {
        let g = Generator::new(3);
        let body = |filter: &str| {
            format!(
                r#"{{"interval":"2026-11-20T00:00:00.000Z/2026-11-21T00:00:00.000Z","granularity":"P1D","groupBy":["mediaType"],"metrics":["nOffered"]{filter}}}"#
            )
        };
        let total = |v: &Value| -> u64 {
            v["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    r["data"][0]["metrics"][0]["stats"]["count"]
                        .as_u64()
                        .unwrap()
                })
                .sum()
        };
        let all = aggregate(&g, body("").as_bytes()).unwrap();
        let voice = aggregate(&g, body(r#","filter":{"type":"and","predicates":[{"dimension":"mediaType","value":"voice"}]}"#).as_bytes()).unwrap();
        let not_voice = aggregate(&g, body(r#","filter":{"type":"or","predicates":[{"dimension":"mediaType","value":"chat"},{"dimension":"mediaType","value":"email"},{"dimension":"mediaType","value":"message"}]}"#).as_bytes()).unwrap();
        let day = "2026-11-20".parse().unwrap();
        assert_eq!(total(&all), g.conversations_on(day).len() as u64);
        assert_eq!(total(&voice) + total(&not_voice), total(&all));
        assert_eq!(voice["results"].as_array().unwrap().len(), 1);
    }
}
