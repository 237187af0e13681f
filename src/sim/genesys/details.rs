//! Conversation details as the simulator serves them (reference/genesys.md §2.1, §2.2):
//!
//! - `POST …/details/query`: conversations that *started on a UTC day touched by the interval* and
//!   had activity in it, ordered by start, paged by `paging{pageSize, pageNumber}` (page size at
//!   most 100, default 25) with the result window `pageSize × pageNumber` capped (100,000 by
//!   default: 400 "Pagination may not exceed 100000 results."). An empty page has no
//!   `conversations` key.
//! - Async jobs: submit → `{jobId}`; the job is QUEUED, then PENDING, then FULFILLED (or FAILED or
//!   EXPIRED when a job fault is injected); results page by opaque `cursor` until it is absent,
//!   include participant `attributes`, carry `dataAvailabilityDate`, and are capped per job
//!   (400,000 by default). Jobs return every conversation *with activity* in the interval.
//!
//! Ongoing conversations (whose last activity, wrap-up included, ends after the simulator's
//! "now") have no `conversationEnd` and lack the metrics not yet emitted.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::aggregates::{format_instant, parse_instant};
use crate::sim::generator::SimConversation;
use crate::sim::{JobOutcome, SimJob, SimState, error_response};

pub(crate) const DETAILS_QUERY_PATH: &str = "/api/v2/analytics/conversations/details/query";
pub(crate) const JOBS_PATH: &str = "/api/v2/analytics/conversations/details/jobs";
pub(crate) const AVAILABILITY_PATH: &str =
    "/api/v2/analytics/conversations/details/jobs/availability";

const MAX_PAGE_SIZE: u64 = 100;
const JOB_MAX_PAGE_SIZE: u64 = 10_000;

/// User details jobs: the same life cycle as conversation jobs, results under `userDetails`.
pub(crate) const USER_JOBS_PATH: &str = "/api/v2/analytics/users/details/jobs";

type QueryError = (StatusCode, &'static str, String);

fn bad(message: impl Into<String>) -> QueryError {
    (StatusCode::BAD_REQUEST, "bad.request", message.into())
}

fn reply(result: Result<Value, QueryError>) -> Response {
    match result {
        Ok(v) => axum::Json(v).into_response(),
        Err((status, code, message)) => error_response(status, code, &message),
    }
}

fn with_headers(mut response: Response, headers: HeaderMap) -> Response {
    response.headers_mut().extend(headers);
    response
}

fn parse_interval(obj: &Map<String, Value>) -> Result<(DateTime<Utc>, DateTime<Utc>), QueryError> {
    let interval = obj
        .get("interval")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("interval is required"))?;
    let (start, end) = interval
        .split_once('/')
        .and_then(|(a, b)| Some((parse_instant(a)?, parse_instant(b)?)))
        .ok_or_else(|| {
            (
                StatusCode::BAD_REQUEST,
                "invalid.date",
                "Dates must be specified as ISO-8601 strings. For example: yyyy-MM-ddTHH:mm:ss.SSSZ".to_string(),
            )
        })?;
    if end <= start {
        return Err(bad("The interval end must be after its start."));
    }
    Ok((start, end))
}

/// Conversation-level and segment-level filters, the subset the simulator understands.
struct DetailFilter {
    predicates: Vec<(String, String, Option<String>, bool)>, // (dimension, operator, value, conversation-level)
    any: Vec<bool>,
}

fn compile_filters(obj: &Map<String, Value>) -> Result<DetailFilter, QueryError> {
    let mut predicates = Vec::new();
    let mut any = Vec::new();
    for (key, conversation_level) in [("conversationFilters", true), ("segmentFilters", false)] {
        for filter in obj.get(key).and_then(Value::as_array).into_iter().flatten() {
            let or = filter.get("type").and_then(Value::as_str) == Some("or");
            for p in filter
                .get("predicates")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let dimension = p
                    .get("dimension")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("predicate.dimension is required"))?;
                let allowed: &[&str] = if conversation_level {
                    &["conversationEnd", "conversationId", "originatingDirection"]
                } else {
                    &["queueId", "mediaType", "userId", "purpose", "direction"]
                };
                if !allowed.contains(&dimension) {
                    return Err(bad(format!(
                        "the simulator does not support {key} dimension {dimension}"
                    )));
                }
                let operator = p
                    .get("operator")
                    .and_then(Value::as_str)
                    .unwrap_or("matches")
                    .to_string();
                let value = p.get("value").and_then(Value::as_str).map(str::to_string);
                predicates.push((dimension.to_string(), operator, value, conversation_level));
                any.push(or);
            }
        }
    }
    Ok(DetailFilter { predicates, any })
}

impl DetailFilter {
    /// All `and` predicates must hold; among `or` predicates of a filter, one (approximation:
    /// all `or` predicates are pooled).
    fn matches(&self, state: &SimState, c: &SimConversation, ongoing: bool) -> bool {
        let org = state.generator.org();
        let mut or_seen = false;
        let mut or_hit = false;
        for ((dimension, operator, value, _), is_or) in self.predicates.iter().zip(&self.any) {
            let values: Vec<String> = match dimension.as_str() {
                "conversationEnd" => (!ongoing)
                    .then(|| format_instant(c.end))
                    .into_iter()
                    .collect(),
                "conversationId" => vec![c.id.clone()],
                "originatingDirection" | "direction" => vec![c.direction.to_string()],
                "queueId" => vec![org.queues[c.queue].id.clone()],
                "mediaType" => vec![c.media_type.to_string()],
                "userId" => c
                    .agent
                    .map(|a| org.agents[a].id.clone())
                    .into_iter()
                    .collect(),
                "purpose" => {
                    let mut p = vec!["customer".to_string(), "acd".to_string()];
                    if c.agent.is_some() {
                        p.push("agent".into());
                    }
                    p
                }
                _ => Vec::new(),
            };
            let hit = match operator.as_str() {
                "exists" => !values.is_empty(),
                "notExists" => values.is_empty(),
                _ => value.as_ref().is_some_and(|v| values.contains(v)),
            };
            if *is_or {
                or_seen = true;
                or_hit |= hit;
            } else if !hit {
                return false;
            }
        }
        !or_seen || or_hit
    }
}

impl SimState {
    /// The simulator's "now": fixed by configuration, or the clock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.config.now.unwrap_or_else(Utc::now)
    }

    /// Conversations that started in `[start, end)` and have started by "now".
    pub(crate) fn visible_conversations(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<SimConversation> {
        let now = self.now();
        self.generator
            .conversations_between(start, end.min(now))
            .into_iter()
            .filter(|c| c.start < now)
            .collect()
    }
}

/// When the conversation's last activity ends (after-call work included).
fn activity_end(c: &SimConversation) -> DateTime<Utc> {
    c.end + Duration::milliseconds(c.acw_ms as i64)
}

/// Conversations with activity in `[start, end)`, started within `[from, end)`. Only the page
/// asked for is turned into JSON (a day at benchmark volume is 20,000 conversations).
fn active_conversations(
    state: &SimState,
    from: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    filter: &DetailFilter,
    now: DateTime<Utc>,
) -> Vec<SimConversation> {
    state
        .visible_conversations(from, end)
        .into_iter()
        .filter(|c| activity_end(c) > start || c.start >= start)
        .filter(|c| filter.matches(state, c, activity_end(c) > now))
        .collect()
}

fn ms(t: DateTime<Utc>, offset_ms: u64) -> String {
    format_instant(t + Duration::milliseconds(offset_ms as i64))
}

/// `AnalyticsConversation` for one generated conversation: customer, ACD and (if answered) agent
/// participants with their sessions, segments and metrics. `with_attributes` adds participant
/// data, which only the async jobs return.
pub(crate) fn conversation_json(
    state: &SimState,
    c: &SimConversation,
    now: DateTime<Utc>,
    with_attributes: bool,
) -> Value {
    let org = state.generator.org();
    let queue = &org.queues[c.queue];
    // A conversation ends for the API when its last participant is done, wrap-up included.
    let ongoing = activity_end(c) > now;
    let start = c.start;
    let mut customer_session = json!({
        "sessionId": format!("{}-s1", c.id),
        "mediaType": c.media_type,
        "direction": "inbound",
        "segments": [{
            "segmentStart": ms(start, 0),
            "segmentEnd": format_instant(c.end),
            "segmentType": "interact",
            "disconnectType": if c.abandoned { "client" } else { "endpoint" },
        }],
    });
    if let Some(ani) = &c.ani {
        customer_session["ani"] = json!(ani);
        customer_session["dnis"] = json!(queue.dnis);
    }
    let mut customer = json!({
        "participantId": format!("{}-p1", c.id),
        "participantName": "Customer",
        "purpose": "customer",
        "sessions": [customer_session],
    });
    if with_attributes {
        customer["attributes"] =
            json!({"customerTier": if c.wait_ms.is_multiple_of(2) { "gold" } else { "standard" }});
    }
    let mut acd_metrics = vec![
        json!({"name": "nOffered", "value": 1, "emitDate": ms(start, 0)}),
        json!({"name": "tAcd", "value": c.wait_ms, "emitDate": ms(start, c.wait_ms)}),
    ];
    if c.abandoned {
        acd_metrics.push(
            json!({"name": "tAbandon", "value": c.wait_ms, "emitDate": ms(start, c.wait_ms)}),
        );
    }
    let acd = json!({
        "participantId": format!("{}-p2", c.id),
        "participantName": queue.name,
        "purpose": "acd",
        "sessions": [{
            "sessionId": format!("{}-s2", c.id),
            "mediaType": c.media_type,
            "direction": "inbound",
            "segments": [{
                "segmentStart": ms(start, 0),
                "segmentEnd": ms(start, c.wait_ms),
                "segmentType": "delay",
                "queueId": queue.id,
                "disconnectType": if c.abandoned { "peer" } else { "transfer" },
            }],
            "metrics": acd_metrics,
        }],
    });
    let mut participants = vec![customer, acd];
    if let Some(a) = c.agent {
        let agent = &org.agents[a];
        let t0 = c.wait_ms;
        let first_talk = c.talk_ms / 2;
        let mut segments = vec![json!({
            "segmentStart": ms(start, t0), "segmentEnd": ms(start, t0 + first_talk),
            "segmentType": "interact", "queueId": queue.id,
        })];
        if c.hold_ms > 0 {
            segments.push(json!({
                "segmentStart": ms(start, t0 + first_talk), "segmentEnd": ms(start, t0 + first_talk + c.hold_ms),
                "segmentType": "hold", "queueId": queue.id,
            }));
        }
        segments.push(json!({
            "segmentStart": ms(start, t0 + first_talk + c.hold_ms), "segmentEnd": format_instant(c.end),
            "segmentType": "interact", "queueId": queue.id,
            "disconnectType": if c.transferred { "transfer" } else { "peer" },
        }));
        let wrapup_end = activity_end(c);
        let mut metrics =
            vec![json!({"name": "tAnswered", "value": c.wait_ms, "emitDate": ms(start, t0)})];
        if !ongoing {
            metrics.push(
                json!({"name": "tTalk", "value": c.talk_ms, "emitDate": format_instant(c.end)}),
            );
            if c.hold_ms > 0 {
                metrics.push(
                    json!({"name": "tHeld", "value": c.hold_ms, "emitDate": format_instant(c.end)}),
                );
            }
            if c.transferred {
                metrics.push(
                    json!({"name": "nTransferred", "value": 1, "emitDate": format_instant(c.end)}),
                );
            }
        }
        if wrapup_end <= now {
            segments.push(json!({
                "segmentStart": format_instant(c.end), "segmentEnd": format_instant(wrapup_end),
                "segmentType": "wrapup", "queueId": queue.id, "wrapUpCode": c.wrap_up_code,
            }));
            metrics.push(
                json!({"name": "tAcw", "value": c.acw_ms, "emitDate": format_instant(wrapup_end)}),
            );
            metrics.push(json!({"name": "tHandle", "value": c.handle_ms(), "emitDate": format_instant(wrapup_end)}));
        }
        participants.push(json!({
            "participantId": format!("{}-p3", c.id),
            "participantName": agent.name,
            "purpose": "agent",
            "userId": agent.id,
            "sessions": [{
                "sessionId": format!("{}-s3", c.id),
                "mediaType": c.media_type,
                "direction": "inbound",
                "segments": segments,
                "metrics": metrics,
            }],
        }));
    }
    let mut conversation = json!({
        "conversationId": c.id,
        "conversationStart": format_instant(c.start),
        "originatingDirection": c.direction,
        "divisionIds": ["7e1f0000-0000-4000-8000-00000000d1v1"],
        "participants": participants,
    });
    if !ongoing {
        // Ongoing conversations have no end: the member is omitted, not null.
        conversation["conversationEnd"] = json!(format_instant(c.end));
    }
    conversation
}

pub(crate) async fn details_query(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rate_headers = match state.admit(&headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    with_headers(reply(details_page(&state, &body)), rate_headers)
}

fn details_page(state: &SimState, body: &[u8]) -> Result<Value, QueryError> {
    let query: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("Unable to parse the request body: {e}")))?;
    let obj = query
        .as_object()
        .ok_or_else(|| bad("The request body must be a JSON object."))?;
    let (start, end) = parse_interval(obj)?;
    let paging = obj.get("paging");
    let page_size = paging
        .and_then(|p| p.get("pageSize"))
        .and_then(Value::as_u64)
        .unwrap_or(25);
    let page_number = paging
        .and_then(|p| p.get("pageNumber"))
        .and_then(Value::as_u64)
        .unwrap_or(1);
    if page_size == 0 || page_size > MAX_PAGE_SIZE || page_number == 0 {
        return Err(bad(format!(
            "paging.pageSize must be 1 to {MAX_PAGE_SIZE} and paging.pageNumber at least 1"
        )));
    }
    let cap = state.config.details_result_cap as u64;
    if page_size * page_number > cap {
        return Err(bad(format!(
            "Pagination may not exceed {cap} results. When extracting large chunks of data (multiple days/weeks), maximize pagination performance by querying in smaller intervals."
        )));
    }
    if obj
        .get("order")
        .and_then(Value::as_str)
        .is_some_and(|o| o == "desc")
    {
        return Err(bad("the simulator supports order asc only"));
    }
    let filter = compile_filters(obj)?;
    // Started on a (UTC) day touched by the interval, with activity in the interval.
    let first_day = start
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or(start);
    let now = state.now();
    let all = active_conversations(state, first_day, start, end, &filter, now);
    let total = all.len() as u64;
    let skip = ((page_number - 1) * page_size) as usize;
    let page: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(page_size as usize)
        .map(|c| conversation_json(state, c, now, false))
        .collect();
    let mut response = json!({ "totalHits": total });
    if !page.is_empty() {
        response["conversations"] = Value::Array(page);
    }
    Ok(response)
}

pub(crate) async fn availability(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
) -> Response {
    let rate_headers = match state.admit(&headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let date = state.now() - Duration::from_std(state.config.data_lake_lag).unwrap_or_default();
    with_headers(
        axum::Json(json!({"dataAvailabilityDate": format_instant(date)})).into_response(),
        rate_headers,
    )
}

pub(crate) async fn submit_job(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rate_headers = match state.admit(&headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let result = (|| {
        let query: Value = serde_json::from_slice(&body)
            .map_err(|e| bad(format!("Unable to parse the request body: {e}")))?;
        let obj = query
            .as_object()
            .ok_or_else(|| bad("The request body must be a JSON object."))?;
        let (start, end) = parse_interval(obj)?;
        compile_filters(obj)?;
        if obj.contains_key("paging") {
            return Err(bad(
                "Unrecognized field \"paging\": async jobs page their results by cursor",
            ));
        }
        Ok(register_job(&state, false, start, end, query.clone()))
    })();
    let response = match result {
        Ok(v) => (StatusCode::ACCEPTED, axum::Json(v)).into_response(),
        Err((status, code, message)) => error_response(status, code, &message),
    };
    with_headers(response, rate_headers)
}

/// Keeps a submitted job (its outcome the next injected one, else fulfilled); its id.
fn register_job(
    state: &SimState,
    users: bool,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    query: Value,
) -> Value {
    let mut inner = state.lock();
    inner.job_counter += 1;
    let outcome = inner.job_faults.pop_front().unwrap_or(JobOutcome::Fulfill);
    let id = format!(
        "{:08x}-{}-4000-8000-{:012x}",
        state.config.seed as u32,
        if users { 5152 } else { 5151 },
        inner.job_counter
    );
    inner.jobs.insert(
        id.clone(),
        SimJob {
            users,
            start,
            end,
            query,
            submitted: Instant::now(),
            outcome,
        },
    );
    inner.stats.jobs_submitted += 1;
    json!({ "jobId": id })
}

/// `POST /api/v2/analytics/users/details/jobs` (`AsyncUserDetailsQuery`: no paging).
pub(crate) async fn submit_user_job(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rate_headers = match state.admit(&headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let result = (|| {
        let query: Value = serde_json::from_slice(&body)
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
            "limit",
        ];
        if let Some(unknown) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(bad(format!("Unrecognized field \"{unknown}\"")));
        }
        let (start, end) = parse_interval(obj)?;
        Ok(register_job(&state, true, start, end, query.clone()))
    })();
    let response = match result {
        Ok(v) => (StatusCode::ACCEPTED, axum::Json(v)).into_response(),
        Err((status, code, message)) => error_response(status, code, &message),
    };
    with_headers(response, rate_headers)
}

fn job_state(state: &SimState, job: &SimJob) -> (&'static str, Option<String>) {
    let elapsed = job.submitted.elapsed();
    let ready = state.config.job_ready_after;
    if elapsed < ready / 3 {
        return ("QUEUED", None);
    }
    if elapsed < ready {
        return ("PENDING", None);
    }
    match job.outcome {
        JobOutcome::Fulfill => ("FULFILLED", None),
        JobOutcome::Fail => (
            "FAILED",
            Some("Injected failure: the job could not be completed.".into()),
        ),
        JobOutcome::Expire => ("EXPIRED", None),
    }
}

pub(crate) async fn job_status(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    let rate_headers = match state.admit(&headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let response = {
        let inner = state.lock();
        match inner.jobs.get(&job_id) {
            None => error_response(
                StatusCode::NOT_FOUND,
                "not.found",
                "The requested job was not found.",
            ),
            Some(job) => {
                let (job_state, error) = job_state(&state, job);
                let submitted =
                    Utc::now() - Duration::from_std(job.submitted.elapsed()).unwrap_or_default();
                let mut body =
                    json!({"state": job_state, "submissionDate": format_instant(submitted)});
                if job_state == "FULFILLED" {
                    body["completionDate"] = json!(format_instant(
                        submitted
                            + Duration::from_std(state.config.job_ready_after).unwrap_or_default()
                    ));
                    body["expirationDate"] = json!(format_instant(submitted + Duration::days(1)));
                }
                if let Some(e) = error {
                    body["errorMessage"] = json!(e);
                }
                axum::Json(body).into_response()
            }
        }
    };
    with_headers(response, rate_headers)
}

pub(crate) async fn delete_job(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    let rate_headers = match state.admit(&headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let removed = state.lock().jobs.remove(&job_id).is_some();
    let response = if removed {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error_response(
            StatusCode::NOT_FOUND,
            "not.found",
            "The requested job was not found.",
        )
    };
    with_headers(response, rate_headers)
}

#[derive(Deserialize)]
pub(crate) struct ResultsParams {
    cursor: Option<String>,
    #[serde(rename = "pageSize")]
    page_size: Option<u64>,
}

pub(crate) async fn job_results(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
    Query(params): Query<ResultsParams>,
) -> Response {
    let rate_headers = match state.admit(&headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    with_headers(reply(results_page(&state, &job_id, &params)), rate_headers)
}

fn results_page(
    state: &SimState,
    job_id: &str,
    params: &ResultsParams,
) -> Result<Value, QueryError> {
    let (users, start, end, query, job_state) = {
        let inner = state.lock();
        let job = inner.jobs.get(job_id).ok_or((
            StatusCode::NOT_FOUND,
            "not.found",
            "The requested job was not found.".to_string(),
        ))?;
        (
            job.users,
            job.start,
            job.end,
            job.query.clone(),
            job_state(state, job).0,
        )
    };
    if job_state != "FULFILLED" {
        return Err(bad(format!(
            "The job is {job_state}; results are available once it is FULFILLED."
        )));
    }
    let page_size = params.page_size.unwrap_or(1000);
    if page_size == 0 || page_size > JOB_MAX_PAGE_SIZE {
        return Err(bad(format!("pageSize must be 1 to {JOB_MAX_PAGE_SIZE}")));
    }
    let offset: u64 = match &params.cursor {
        None => 0,
        Some(c) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(c)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("offset:").and_then(|n| n.parse().ok()))
            .ok_or_else(|| bad("Invalid cursor"))?,
    };
    let now = state.now();
    let lag = Duration::from_std(state.config.data_lake_lag).unwrap_or_default();
    if users {
        let all = super::user_details::user_records(state, start, end);
        let page: Vec<Value> = all
            .iter()
            .skip(offset as usize)
            .take(page_size as usize)
            .cloned()
            .collect();
        let next = offset as usize + page.len();
        let mut response = json!({ "dataAvailabilityDate": format_instant(now - lag) });
        if !page.is_empty() {
            response["userDetails"] = Value::Array(page);
        }
        if next < all.len() {
            response["cursor"] = json!(
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{next}"))
            );
        }
        return Ok(response);
    }
    let obj = query.as_object().cloned().unwrap_or_default();
    let filter = compile_filters(&obj)?;
    // Jobs: every conversation with activity in the interval (conversations last well under a day).
    let from = start - Duration::days(1);
    let all: Vec<SimConversation> = state
        .visible_conversations(from, end)
        .into_iter()
        .filter(|c| activity_end(c) > start || c.start >= start)
        .filter(|c| filter.matches(state, c, activity_end(c) > now))
        .collect();
    let cap = state.config.job_result_cap as u64;
    if all.len() as u64 > cap && offset + page_size > cap {
        return Err(bad(format!("pagination may not exceed {cap} results")));
    }
    let page: Vec<Value> = all
        .iter()
        .skip(offset as usize)
        .take(page_size as usize)
        .map(|c| conversation_json(state, c, now, true))
        .collect();
    let next = offset + page.len() as u64;
    let mut response = json!({ "dataAvailabilityDate": format_instant(now - lag) });
    if !page.is_empty() {
        response["conversations"] = Value::Array(page);
    }
    if (next as usize) < all.len() {
        response["cursor"] = json!(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{next}"))
        );
    }
    Ok(response)
}
