//! NICE CXone as the simulator serves it (reference/cxone.md): discovery documents, the token
//! endpoint (password grant with an access key; no client credentials), and the reporting
//! endpoints `agents/performance`, `skills/summary` and `contacts/completed` under
//! `/inContactAPI/services/{version}/`, with CXone's habits: numbers and booleans as strings,
//! ISO-8601 durations, older field names in older API versions, 204 with no body when there is
//! nothing, and error text in the `icStatusDescription` header.
//!
//! The data is a second generated contact center (seed `seed ^ 0xC0`): each queue × media type is
//! a CXone skill, agents and contacts have numeric ids.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::SimState;
use super::generator::{Generator, SimConversation};

/// Seed offset of the CXone tenant's generator.
pub const CXONE_SEED_XOR: u64 = 0xC0;
/// The simulated tenant id (a JWT claim).
pub const TENANT_ID: &str = "11eb660f-4c6d-34a0-8733-0242ac110002";
/// Media types of the generator's media, as CXone ids and names.
pub const MEDIA: [(&str, i64, &str); 4] = [
    ("voice", 4, "Phone Call"),
    ("chat", 3, "Chat"),
    ("email", 1, "E-Mail"),
    ("message", 9, "Digital"),
];

/// The CXone skill id of a queue × media type.
pub fn skill_id(queue: usize, media: &str) -> i64 {
    8_408_900
        + queue as i64 * 10
        + MEDIA.iter().position(|(m, _, _)| *m == media).unwrap_or(0) as i64
}

/// The CXone agent id of an agent.
pub fn agent_id(agent: usize) -> i64 {
    1_234_500 + agent as i64
}

/// The CXone contact id of a conversation (from its UUID).
pub fn contact_id(c: &SimConversation) -> i64 {
    let hex: String =
        c.id.chars()
            .filter(|ch| ch.is_ascii_hexdigit())
            .take(12)
            .collect();
    i64::from_str_radix(&hex, 16).unwrap_or(0)
}

/// `PT1H2M3.456S` / `P1DT…` from milliseconds.
pub fn iso_duration(ms: i64) -> String {
    if ms <= 0 {
        return "PT0S".into();
    }
    let (days, rest) = (ms / 86_400_000, ms % 86_400_000);
    let (h, m, s) = (rest / 3_600_000, rest % 3_600_000 / 60_000, rest % 60_000);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if rest > 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 {
            let secs = format!("{}.{:03}", s / 1000, s % 1000);
            out.push_str(secs.trim_end_matches('0').trim_end_matches('.'));
            out.push('S');
        }
    }
    out
}

pub(super) fn error(status: StatusCode, description: &str) -> Response {
    let mut r = status.into_response();
    if let Ok(v) = HeaderValue::from_str(description) {
        r.headers_mut().insert("icStatusDescription", v);
    }
    r
}

pub(super) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

pub(crate) async fn openid_configuration(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    axum::Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/auth/authorize"),
        "token_endpoint": format!("{base}/auth/token"),
        "userinfo_endpoint": format!("{base}/auth/userinfo"),
        "jwks_uri": format!("{base}/auth/jwks"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "scopes_supported": ["openid"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
    }))
    .into_response()
}

pub(crate) async fn cxone_configuration(
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if q.get("tenantId").map(String::as_str) != Some(TENANT_ID) {
        return error(StatusCode::NOT_FOUND, "Unknown tenantId");
    }
    let base = base_url(&headers);
    axum::Json(json!({
        "private": false, "area": "na1", "cluster": "B32", "domain": "niceincontact.com",
        "acdDomain": "nice-incontact.com", "uhDomain": "nice-incontact.com",
        "ui_endpoint": base, "auth_endpoint": base, "api_endpoint": base, "tenantId": TENANT_ID,
    }))
    .into_response()
}

/// `POST /auth/token`: the password grant with an access key; client id and secret in HTTP Basic.
pub(crate) async fn token(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.lock().stats.token_requests += 1;
    let form: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let oauth = |status: StatusCode, e: &str, d: &str| {
        (
            status,
            axum::Json(json!({"error": e, "error_description": d})),
        )
            .into_response()
    };
    let client = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            pair.split_once(':').map(|(a, b)| {
                (
                    super::genesys::form_decode(a),
                    super::genesys::form_decode(b),
                )
            })
        });
    let config = &state.config;
    match client {
        Some((id, secret)) if id == config.client_id && secret == config.client_secret => {}
        _ => {
            return oauth(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Invalid client credentials.",
            );
        }
    }
    if form.get("grant_type").map(String::as_str) != Some("password") {
        return oauth(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Back-end apps use the password grant with an access key.",
        );
    }
    if form.get("username") != Some(&config.cxone_access_key_id)
        || form.get("password") != Some(&config.cxone_access_key_secret)
    {
        return oauth(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid access key.",
        );
    }
    let opaque = state.issue_token(super::CXONE_TOKEN_CLIENT);
    let now = Utc::now().timestamp();
    let claims = json!({"sub": "user:11ed0000-0000-4000-8000-00000000api1", "tenantId": TENANT_ID, "tenant": "sim_tenant",
                        "icBUId": 4599570, "icClusterId": "B32", "iat": now, "exp": now + config.token_ttl.as_secs() as i64, "jti": opaque});
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    // A JWT-shaped token whose signature part is the opaque token the simulator checks.
    let access_token = format!(
        "{}.{}.{}",
        b64(&json!({"alg": "RS256", "typ": "JWT"})),
        b64(&claims),
        opaque
    );
    state.lock().tokens.insert(
        access_token.clone(),
        (
            super::CXONE_TOKEN_CLIENT.into(),
            std::time::Instant::now() + config.token_ttl,
        ),
    );
    axum::Json(json!({
        "access_token": access_token, "token_type": "Bearer", "expires_in": config.token_ttl.as_secs(),
        "refresh_token": "sim-refresh-not-used", "id_token": "sim-id-token",
        "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
    }))
    .into_response()
}

/// Version number of `v31.0`.
pub(super) fn version_number(version: &str) -> Option<f64> {
    version.strip_prefix('v').and_then(|v| v.parse().ok())
}

pub(super) fn window(
    q: &BTreeMap<String, String>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), Response> {
    let parse = |k: &str| {
        q.get(k)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    match (parse("startDate"), parse("endDate")) {
        (Some(s), Some(e)) if e > s => Ok((s, e)),
        (Some(_), Some(_)) => Err(error(
            StatusCode::BAD_REQUEST,
            "endDate must be after startDate",
        )),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "startDate and endDate are required ISO-8601 dates",
        )),
    }
}

#[allow(clippy::result_large_err)]
pub(super) fn admit(
    state: &SimState,
    headers: &HeaderMap,
    version: &str,
) -> Result<HeaderMap, Response> {
    state.lock().stats.api_requests += 1;
    if version_number(version).is_none() {
        return Err(error(StatusCode::NOT_FOUND, "Unknown API version"));
    }
    let client = state
        .authorize(headers)
        .map_err(|_| error(StatusCode::UNAUTHORIZED, "Invalid or expired token"))?;
    state.rate_limit(&client, false)
}

/// A report asked for one window: admission, the window, the rows (204 when there are none).
fn interval_report(
    state: &SimState,
    headers: &HeaderMap,
    version: &str,
    q: &BTreeMap<String, String>,
    key: &str,
    rows: fn(&SimState, DateTime<Utc>, DateTime<Utc>, &str) -> Vec<Value>,
) -> Response {
    let rate = match admit(state, headers, version) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let (start, end) = match window(q) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let rows = rows(state, start, end, version);
    if rows.is_empty() {
        return with(no_content(), rate);
    }
    with(axum::Json(json!({ key: rows })).into_response(), rate)
}

pub(super) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

pub(super) fn with(mut r: Response, headers: HeaderMap) -> Response {
    r.headers_mut().extend(headers);
    r
}

/// Numbers as strings in old versions (and always in skills summary), as the fixtures show.
pub(super) fn n(value: f64, as_string: bool) -> Value {
    let v = if value.fract() == 0.0 {
        json!(value as i64)
    } else {
        json!((value * 1000.0).round() / 1000.0)
    };
    if as_string {
        Value::String(v.to_string())
    } else {
        v
    }
}

pub(crate) async fn skills_summary(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(version): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    interval_report(&state, &headers, &version, &q, "skillSummaries", skill_rows)
}

fn skill_rows(
    state: &SimState,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    _version: &str,
) -> Vec<Value> {
    let g = &state.cxone_generator;
    let mut groups: BTreeMap<(usize, &'static str), Vec<SimConversation>> = BTreeMap::new();
    for c in state.visible_cxone(start, end) {
        groups.entry((c.queue, c.media_type)).or_default().push(c);
    }
    let rows: Vec<Value> = groups
        .into_iter()
        .map(|((queue, media), convs)| {
            let (_, media_id, media_name) = MEDIA.iter().find(|(m, _, _)| *m == media).copied().unwrap_or(("voice", 4, "Phone Call"));
            let answered: Vec<&SimConversation> = convs.iter().filter(|c| c.agent.is_some()).collect();
            let handled = answered.len() as f64;
            let avg = |total_ms: u64, over: f64| if over > 0.0 { (total_ms as f64 / 1000.0 / over).round() } else { 0.0 };
            let sum = |f: &dyn Fn(&SimConversation) -> u64| answered.iter().map(|c| f(c)).sum::<u64>();
            let within = answered.iter().filter(|c| c.wait_ms <= 30_000).count() as f64;
            let offered = convs.len() as f64;
            json!({
                "businessUnitId": "4599570", "businessUnitName": "SIMULATED BU",
                "skillId": skill_id(queue, media).to_string(), "skillName": format!("{} {}", g.org().queues[queue].name, media_name),
                "mediaTypeId": media_id.to_string(), "mediaTypeName": media_name, "isOutbound": "False",
                "campaignId": "2577193", "campaignName": "Inbound",
                "contactsOffered": n(offered, true), "contactsHandled": n(handled, true),
                "abandonCount": n(convs.iter().filter(|c| c.abandoned).count() as f64, true),
                "abandonRate": n(if offered > 0.0 { (100.0 * convs.iter().filter(|c| c.abandoned).count() as f64 / offered).round() } else { 0.0 }, true),
                "averageHandleTime": n(avg(sum(&|c| c.handle_ms()), handled), true),
                "averageTalkTime": n(avg(sum(&|c| c.talk_ms), handled), true),
                "averageWrapTime": n(avg(sum(&|c| c.acw_ms), handled), true),
                "averageSpeedToAnswer": n(avg(sum(&|c| c.wait_ms), handled), true),
                "averageInqueueTime": n(avg(convs.iter().map(|c| c.wait_ms).sum(), offered), true),
                "holdTime": n((sum(&|c| c.hold_ms) as f64 / 1000.0).round(), true),
                "totalContactTime": n((sum(&|c| c.handle_ms()) as f64 / 1000.0).round(), true),
                "contactsWithinSLA": n(within, true), "contactsOutOfSLA": n(handled - within, true),
                "serviceLevel": n(if offered > 0.0 { (100.0 * within / offered).round() } else { 100.0 }, true),
                "serviceLevelGoal": "90", "serviceLevelThreshold": "30",
                "contactsActive": "0", "contactsQueued": "0", "queueCount": "0", "longestQueueDur": "0",
                "agentsLoggedIn": "8", "agentsAvailable": "3", "agentsIdle": "3", "agentsWorking": "4", "agentsAcw": "1", "agentsUnavailable": "1",
                "dials": "0", "connects": "0", "connectsAHT": "0.00", "rightPartyConnects": "0", "rightPartyConnectsAHT": "0.00",
            })
        })
        .collect();
    rows
}

pub(crate) async fn agents_performance(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(version): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    interval_report(
        &state,
        &headers,
        &version,
        &q,
        "agentPerformance",
        agent_rows,
    )
}

fn agent_rows(
    state: &SimState,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    version: &str,
) -> Vec<Value> {
    let strings = version_number(version).is_some_and(|v| v < 23.0);
    let g = &state.cxone_generator;
    let convs = state.visible_cxone(start, end);
    // Every agent's timelines of the days the window touches, computed once per day.
    let mut days = Vec::new();
    let mut day = start.date_naive();
    while day.and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(end) < end {
        days.push(g.agent_timelines(day));
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    let mut rows = Vec::new();
    for (agent, _) in g.org().agents.iter().enumerate() {
        let mut time: BTreeMap<&str, i64> = BTreeMap::new();
        for timelines in &days {
            for span in &timelines[agent] {
                let overlap = (span.end.min(end) - span.start.max(start)).num_milliseconds();
                if overlap > 0 {
                    *time.entry("login").or_default() += overlap;
                    *time.entry(span.routing_status).or_default() += overlap;
                }
            }
        }
        let mine: Vec<&SimConversation> = convs.iter().filter(|c| c.agent == Some(agent)).collect();
        if time.is_empty() && mine.is_empty() {
            continue;
        }
        let handled = mine.len() as i64;
        let talk: i64 = mine.iter().map(|c| c.talk_ms as i64).sum();
        let acw: i64 = mine.iter().map(|c| c.acw_ms as i64).sum();
        let handle: i64 = mine.iter().map(|c| c.handle_ms() as i64).sum();
        let t = |k: &str| time.get(k).copied().unwrap_or(0);
        let (idle, working, login) = (t("IDLE"), t("INTERACTING"), t("login"));
        let pct = |a: i64, b: i64| {
            if b > 0 {
                (10_000.0 * a as f64 / b as f64).round() / 100.0
            } else {
                0.0
            }
        };
        rows.push(json!({
            "agentId": n(agent_id(agent) as f64, strings), "teamId": n((2_472_300 + agent % 3) as f64, strings),
            "agentOffered": n(handled as f64, strings), "inboundHandled": n(handled as f64, strings),
            "inboundTime": iso_duration(working), "inboundTalkTime": iso_duration(talk),
            "inboundAvgTalkTime": iso_duration(if handled > 0 { talk / handled } else { 0 }),
            "outboundHandled": n(0.0, strings), "outboundTime": "PT0S", "outboundTalkTime": "PT0S", "outboundAvgTalkTime": "PT0S",
            "totalHandled": n(handled as f64, strings), "totalTalkTime": iso_duration(talk),
            "totalAvgTalkTime": iso_duration(if handled > 0 { talk / handled } else { 0 }),
            "totalAvgHandleTime": iso_duration(if handled > 0 { (handle as f64 / handled as f64).round() as i64 } else { 0 }),
            "consultTime": "PT0S", "availableTime": iso_duration(idle), "unavailableTime": iso_duration(t("OFF_QUEUE")),
            "acwTime": iso_duration(acw), "refused": n(0.0, strings), "percentRefused": n(0.0, strings),
            "loginTime": iso_duration(login), "workingRate": n(pct(idle + working, login), strings), "occupancy": n(pct(working, idle + working), strings),
        }));
    }
    rows
}

pub(crate) async fn contacts_completed(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(version): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let rate = match admit(&state, &headers, &version) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let (start, end) = match window(&q) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let top: usize = q.get("top").and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let skip: usize = q.get("skip").and_then(|v| v.parse().ok()).unwrap_or(0);
    if top == 0 || top > 10_000 {
        return with(
            error(StatusCode::BAD_REQUEST, "top must be between 1 and 10000"),
            rate,
        );
    }
    let old = version_number(&version).is_some_and(|v| v < 23.0);
    let now = state.now();
    let completed: Vec<SimConversation> = state
        .visible_cxone(start, end)
        .into_iter()
        .filter(|c| c.end + Duration::milliseconds(c.acw_ms as i64) <= now)
        .collect();
    if completed.is_empty() {
        return with(no_content(), rate);
    }
    let g = &state.cxone_generator;
    let page: Vec<Value> = completed
        .iter()
        .skip(skip)
        .take(top)
        .map(|c| completed_contact(g, c, old))
        .collect();
    let base = format!(
        "{}/inContactAPI/services/{version}/contacts/completed",
        base_url(&headers)
    );
    let link = |s: usize| {
        format!(
            "{base}?startDate={}&endDate={}&top={top}&skip={s}",
            q.get("startDate").cloned().unwrap_or_default(),
            q.get("endDate").cloned().unwrap_or_default()
        )
    };
    let next = (skip + page.len() < completed.len()).then(|| link(skip + page.len()));
    let previous = (skip > 0).then(|| link(skip.saturating_sub(top)));
    let body = json!({
        "totalRecords": completed.len(), "businessUnitId": 4599570,
        "lastPollTime": super::genesys::aggregates::format_instant(now),
        "_links": {"self": link(skip), "next": next, "previous": previous},
        "completedContacts": page,
    });
    with(axum::Json(body).into_response(), rate)
}

fn completed_contact(g: &Generator, c: &SimConversation, old: bool) -> Value {
    let secs = |ms: u64| n(ms as f64 / 1000.0, old);
    let queue = &g.org().queues[c.queue];
    let (_, media_id, media_name) = MEDIA
        .iter()
        .find(|(m, _, _)| *m == c.media_type)
        .copied()
        .unwrap_or(("voice", 4, "Phone Call"));
    let answered = c.agent.is_some();
    let wrap = c
        .wrap_up_code
        .as_ref()
        .and_then(|w| g.org().wrap_up_codes.iter().position(|x| x == w))
        .map(|i| 90 + i as i64)
        .unwrap_or(0);
    let digits = |s: &str| {
        s.chars()
            .filter(|ch| ch.is_ascii_digit())
            .collect::<String>()
    };
    let total_ms = (c.end - c.start).num_milliseconds().max(0) as u64;
    let mut record: Map<String, Value> = Map::new();
    let mut put = |new: &str, old_name: &str, v: Value| {
        record.insert(if old { old_name } else { new }.to_string(), v);
    };
    let id = contact_id(c);
    put("contactId", "contactId", n(id as f64, old));
    put("masterContactId", "masterContactId", n(id as f64, old));
    put(
        "contactStartDate",
        "contactStart",
        json!(super::genesys::aggregates::format_instant(c.start)),
    );
    put(
        "lastUpdateTime",
        "lastUpdateTime",
        json!(super::genesys::aggregates::format_instant(c.end)),
    );
    put(
        "agentId",
        "agentId",
        n(c.agent.map(agent_id).unwrap_or(0) as f64, old),
    );
    put(
        "skillId",
        "skillId",
        n(skill_id(c.queue, c.media_type) as f64, old),
    );
    put(
        "skillName",
        "skillName",
        json!(format!("{} {}", queue.name, media_name)),
    );
    put(
        "teamId",
        "teamId",
        n(
            c.agent.map(|a| 2_472_300 + a as i64 % 3).unwrap_or(0) as f64,
            old,
        ),
    );
    put("mediaTypeId", "mediaType", n(media_id as f64, old));
    put("mediaTypeName", "mediaTypeName", json!(media_name));
    put(
        "abandoned",
        "abandoned",
        if old {
            json!(if c.abandoned { "True" } else { "False" })
        } else {
            json!(c.abandoned)
        },
    );
    put(
        "abandonSeconds",
        "abandonSeconds",
        secs(if c.abandoned { c.wait_ms } else { 0 }),
    );
    put("inQueueSeconds", "inQueueSeconds", secs(c.wait_ms));
    put("agentSeconds", "agentSeconds", secs(c.talk_ms));
    put("holdSeconds", "holdSeconds", secs(c.hold_ms));
    put(
        "holdCount",
        "holdCount",
        n(if c.hold_ms > 0 { 1.0 } else { 0.0 }, old),
    );
    put(
        "acwSeconds",
        "ACWSeconds",
        secs(if answered { c.acw_ms } else { 0 }),
    );
    put("conferenceSeconds", "confSeconds", n(0.0, old));
    put(
        "totalDurationSeconds",
        "totalDurationSeconds",
        secs(total_ms),
    );
    put(
        "fromAddress",
        "fromAddr",
        json!(c.ani.as_deref().map(digits).unwrap_or_default()),
    );
    put(
        "toAddress",
        "toAddr",
        json!(if c.media_type == "voice" {
            digits(&queue.dnis)
        } else {
            String::new()
        }),
    );
    put(
        "isOutbound",
        "isOutbound",
        if old { json!("False") } else { json!(false) },
    );
    put(
        "transferIndicatorId",
        "transferIndicatorId",
        n(if c.transferred { 1.0 } else { 0.0 }, old),
    );
    put(
        "transferIndicatorName",
        "transferIndicatorName",
        json!(if c.transferred { "Transfer" } else { "None" }),
    );
    put(
        "primaryDispositionId",
        "primaryDispositionId",
        n(wrap as f64, old),
    );
    put(
        "endReason",
        "endReason",
        json!(if c.abandoned {
            "Contact Hung Up"
        } else {
            "Agent Disconnected"
        }),
    );
    put(
        "isShortAbandon",
        "isShortAbandon",
        if old { json!("False") } else { json!(false) },
    );
    put(
        "isLogged",
        "isLogged",
        if old { json!("True") } else { json!(true) },
    );
    put("pointOfContactId", "pointOfContactId", n(3_189_288.0, old));
    put(
        "dateContactWarehoused",
        "dateContactWarehoused",
        json!(super::genesys::aggregates::format_instant(
            c.end + Duration::minutes(1)
        )),
    );
    Value::Object(record)
}

impl SimState {
    /// The CXone tenant's contacts that started in `[start, end)` and by "now".
    pub(crate) fn visible_cxone(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<SimConversation> {
        let now = self.now();
        self.cxone_generator
            .conversations_between(start, end.min(now))
            .into_iter()
            .filter(|c| c.start < now)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::lenient::parse_iso_duration;

    #[test]
    fn iso_durations_round_trip_through_the_client_parser() {
        for ms in [
            0,
            1,
            999,
            1000,
            61_500,
            3_600_000,
            20_881_139,
            155_909_651,
            86_400_000,
            90_061_001,
        ] {
            let text = iso_duration(ms);
            assert_eq!(
                parse_iso_duration(&text).unwrap(),
                ms as f64 / 1000.0,
                "{text}"
            );
        }
        assert_eq!(iso_duration(155_909_651), "P1DT19H18M29.651S");
    }
}
