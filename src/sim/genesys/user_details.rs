//! `POST /api/v2/analytics/users/details/query` (reference/genesys.md §2.4,
//! genesys-entities.md §12): each agent's `primaryPresence` and `routingStatus` records from the
//! generated timelines, paged by user.
//!
//! What the simulator does where the reference is silent: records that overlap the interval
//! come back whole (not clipped to it), so a client has to clip; the record still running at the
//! simulator's "now" has no `endTime`, and later ones are not there yet; `totalHits` counts
//! users; page sizes above 100 are refused.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::aggregates::{QueryError, bad, format_instant, query_interval};
use crate::sim::directory::ORG_PRESENCES;
use crate::sim::generator::PresenceSpan;
use crate::sim::{SimState, error_response};

pub(crate) const USER_DETAILS_PATH: &str = "/api/v2/analytics/users/details/query";

pub(crate) async fn user_details(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rate = match state.admit(&headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let mut response = match answer(&state, &body) {
        Ok(v) => axum::Json(v).into_response(),
        Err((code, message)) => error_response(StatusCode::BAD_REQUEST, code, &message),
    };
    response.headers_mut().extend(rate);
    response
}

/// Records of one kind: consecutive spans with the same value merged, as `(start, end, value)`.
fn records<'a>(
    spans: &'a [PresenceSpan],
    value: impl Fn(&'a PresenceSpan) -> &'static str,
) -> Vec<(DateTime<Utc>, DateTime<Utc>, &'static str)> {
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>, &'static str)> = Vec::new();
    for span in spans {
        let v = value(span);
        match out.last_mut() {
            Some(last) if last.1 == span.start && last.2 == v => last.1 = span.end,
            _ => out.push((span.start, span.end, v)),
        }
    }
    out
}

fn answer(state: &SimState, body: &[u8]) -> Result<Value, QueryError> {
    let query: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("Unable to parse the request body: {e}")))?;
    let obj = query
        .as_object()
        .ok_or_else(|| bad("The request body must be a JSON object."))?;
    let allowed = [
        "interval",
        "userFilters",
        "presenceFilters",
        "routingStatusFilters",
        "order",
        "presenceAggregations",
        "routingStatusAggregations",
        "paging",
    ];
    if let Some(unknown) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(format!("Unrecognized field \"{unknown}\"")));
    }
    let (start, end) = query_interval(obj)?;
    let paging = obj.get("paging");
    let number = |k: &str, default: u64| {
        paging
            .and_then(|p| p.get(k))
            .map_or(Some(default), Value::as_u64)
    };
    let (Some(size), Some(page)) = (number("pageSize", 25), number("pageNumber", 1)) else {
        return Err(bad("paging.pageSize and paging.pageNumber are numbers"));
    };
    if !(1..=100).contains(&size) || page == 0 {
        return Err(bad(
            "paging.pageSize must be between 1 and 100, pageNumber at least 1",
        ));
    }
    let users = user_records(state, start, end);
    let total = users.len();
    let details: Vec<Value> = users
        .into_iter()
        .skip(((page - 1) * size) as usize)
        .take(size as usize)
        .collect();
    let mut out = json!({"totalHits": total});
    if !details.is_empty() {
        out["userDetails"] = Value::Array(details);
    }
    Ok(out)
}

/// Every agent's records that overlap `[start, end)`, one `userDetails` entry per agent with
/// records, ordered by user id: what the query pages by user and a job by cursor.
pub(crate) fn user_records(
    state: &SimState,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<Value> {
    let now = state.now();
    let generator = &state.generator;
    let org = generator.org();
    // user → (presence records, routing records), every day the interval touches.
    let mut users: Vec<(String, Vec<Value>, Vec<Value>)> = org
        .agents
        .iter()
        .map(|a| (a.id.clone(), Vec::new(), Vec::new()))
        .collect();
    let mut day = start.date_naive();
    while day.and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(end) < end {
        for (agent, spans) in generator.agent_timelines(day).into_iter().enumerate() {
            let overlapping = |(a, b, _): &(DateTime<Utc>, DateTime<Utc>, &str)| {
                *a < end && *b > start && *a < now
            };
            let stamp = |a: DateTime<Utc>, b: DateTime<Utc>| {
                let mut v = json!({"startTime": format_instant(a)});
                if b <= now {
                    v["endTime"] = json!(format_instant(b));
                }
                v
            };
            for record in records(&spans, |s| s.system_presence)
                .iter()
                .filter(|r| overlapping(r))
            {
                let mut v = stamp(record.0, record.1);
                v["systemPresence"] = json!(record.2);
                if let Some((_, id)) = ORG_PRESENCES.iter().find(|(p, _)| *p == record.2) {
                    v["organizationPresenceId"] = json!(id);
                }
                users[agent].1.push(v);
            }
            for record in records(&spans, |s| s.routing_status)
                .iter()
                .filter(|r| overlapping(r))
            {
                let mut v = stamp(record.0, record.1);
                v["routingStatus"] = json!(record.2);
                users[agent].2.push(v);
            }
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    users.retain(|(_, p, r)| !p.is_empty() || !r.is_empty());
    users.sort_by(|a, b| a.0.cmp(&b.0));
    users
        .into_iter()
        .map(|(user, presence, routing)| {
            let mut v = json!({"userId": user});
            if !presence.is_empty() {
                v["primaryPresence"] = Value::Array(presence);
            }
            if !routing.is_empty() {
                v["routingStatus"] = Value::Array(routing);
            }
            v
        })
        .collect()
}
