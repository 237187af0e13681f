//! CXone's ACD Admin lists (reference/cxone-entities.md): `skills`, `agents`, `teams`,
//! `dispositions` and `unavailable-codes`, served from the tenant's [`Directory`] with the ids
//! the reporting endpoints use (skill = queue × media type, numeric agents and teams).
//!
//! What CXone does and the simulator copies: `top`/`skip` paging (at most 100 a page) with
//! `totalRecords` and `_links.next`, a 204 with no body past the end, inactive entities listed
//! with `isActive: false` unless `isActive` filters them, numbers as strings in old versions.
//! Also `agents/state-history` (the agents' ACD states from the generated timelines) and
//! `contacts/state-history` (each contact's states).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Duration, Utc};
use serde_json::{Value, json};

use super::SimState;
use super::cxone::{
    MEDIA, admit, agent_id, base_url, error, n, no_content, skill_id, version_number, with,
};
use super::directory::Directory;
use super::generator::{PresenceSpan, SimConversation};
use super::genesys::aggregates::format_instant;

type Handler = fn(
    State<Arc<SimState>>,
    HeaderMap,
    Path<String>,
    Query<BTreeMap<String, String>>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>;

/// `(resource, handler)` of every Admin list.
pub(super) const RESOURCES: &[(&str, Handler)] = &[
    ("skills", |s, h, v, q| Box::pin(list(s, h, v, q, "skills"))),
    ("agents", |s, h, v, q| Box::pin(list(s, h, v, q, "agents"))),
    ("teams", |s, h, v, q| Box::pin(list(s, h, v, q, "teams"))),
    ("dispositions", |s, h, v, q| {
        Box::pin(list(s, h, v, q, "dispositions"))
    }),
    ("unavailable-codes", |s, h, v, q| {
        Box::pin(list(s, h, v, q, "unavailable-codes"))
    }),
];

/// The CXone team id of a directory team.
pub fn team_id(team: usize) -> i64 {
    2_472_300 + team as i64
}

/// The CXone disposition id of a directory wrap-up code.
pub fn disposition_id(code: usize) -> i64 {
    90 + code as i64
}

const UPDATED: &str = "2026-10-01T12:00:00.000Z";

/// `(array key, every entity with its isActive)` of `resource`.
fn entities(d: &Directory, resource: &str, strings: bool) -> (&'static str, Vec<(bool, Value)>) {
    let b = |v: bool| {
        if strings {
            json!(if v { "True" } else { "False" })
        } else {
            json!(v)
        }
    };
    let num = |v: i64| n(v as f64, strings);
    match resource {
        "skills" => {
            let mut out = Vec::new();
            for (q, queue) in d.queues.iter().enumerate() {
                for (media, media_id, media_name) in MEDIA {
                    let active = queue.state == "active";
                    out.push((
                        active,
                        json!({
                            "skillId": num(skill_id(q, media)),
                            "skillName": format!("{} {media_name}", queue.name),
                            "mediaTypeId": num(media_id), "mediaTypeName": media_name,
                            "isActive": b(active), "isOutbound": b(false), "outboundStrategy": "",
                            "campaignId": num(300 + q as i64), "campaignName": queue.name,
                            "serviceLevelThreshold": num(30), "serviceLevelGoal": num(80),
                            "requireDisposition": b(true),
                        }),
                    ));
                }
            }
            ("skills", out)
        }
        "agents" => {
            let agents = d.users.iter().filter(|u| u.agent.is_some()).count();
            let out = d
                .users
                .iter()
                .enumerate()
                .map(|(i, u)| {
                    // Supervisors and the departed user are CXone agents too (ids after the
                    // generator's); CXone deletes nobody, it deactivates.
                    let active = u.entity.state == "active";
                    let (first, last) = u
                        .entity
                        .name
                        .split_once(' ')
                        .unwrap_or((u.entity.name.as_str(), ""));
                    let login = u.entity.name.to_ascii_lowercase().replace(' ', ".");
                    let mut v = json!({
                        "agentId": num(agent_id(i)), "userID": u.entity.id,
                        "userName": format!("{login}@ccetl.example"),
                        "emailAddress": format!("{login}@ccetl.example"),
                        "firstName": first, "lastName": last, "isActive": b(active),
                        "isSupervisor": b(i >= agents), "internalId": format!("E{:04}", i + 1),
                        "hireDate": "2021-03-01T00:00:00Z", "lastUpdated": UPDATED,
                        "profileName": if i >= agents { "Supervisor" } else { "Agent" },
                    });
                    if let Some(t) = u.team {
                        v["teamId"] = num(team_id(t));
                        v["teamName"] = json!(d.teams[t].name);
                    }
                    if let Some(m) = u.manager {
                        v["reportToId"] = num(agent_id(m));
                    }
                    if active {
                        v["lastLogin"] = json!("2026-11-30T07:58:00.000Z");
                    }
                    (active, v)
                })
                .collect();
            ("agents", out)
        }
        "teams" => {
            let out = d
                .teams
                .iter()
                .enumerate()
                .map(|(t, team)| {
                    let active = team.state == "active";
                    let members = d.users.iter().filter(|u| u.team == Some(t)).count();
                    (
                        active,
                        json!({
                            "teamId": num(team_id(t)), "teamName": team.name, "teamUuid": team.id,
                            "isActive": b(active), "agentCount": num(members as i64),
                            "lastUpdateTime": UPDATED,
                        }),
                    )
                })
                .collect();
            ("teams", out)
        }
        "dispositions" => {
            let out = d
                .wrap_up_codes
                .iter()
                .enumerate()
                .map(|(i, code)| {
                    let active = code.state == "active";
                    (
                        active,
                        json!({
                            "dispositionId": num(disposition_id(i)), "dispositionName": code.name,
                            "classificationId": num(1 + i as i64 % 2), "isActive": b(active),
                            "isPreviewDisposition": b(false), "lastUpdated": UPDATED,
                        }),
                    )
                })
                .collect();
            ("dispositions", out)
        }
        _ => {
            let codes = [
                ("Break", true),
                ("Lunch", true),
                ("Training", true),
                ("Team Huddle", false),
            ];
            let out = codes
                .iter()
                .enumerate()
                .map(|(i, (name, active))| {
                    (
                        *active,
                        json!({
                            "id": num(i as i64 + 1), "name": name, "isActive": b(*active),
                            "isACW": b(false), "agentTimeout": num(0),
                        }),
                    )
                })
                .collect();
            ("unavailableCodes", out)
        }
    }
}

/// `top` (`default` when absent, at most `max`) and `skip` of a request, or the 400 to answer.
fn top_skip(
    q: &BTreeMap<String, String>,
    default: usize,
    max: usize,
) -> Result<(usize, usize), Response> {
    let top = match q.get("top").map(|v| v.parse::<usize>()) {
        None => default,
        Some(Ok(t)) if (1..=max).contains(&t) => t,
        Some(_) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                &format!("top must be between 1 and {max}"),
            ));
        }
    };
    let skip = q
        .get("skip")
        .map_or(Ok(0), |v| v.parse::<usize>())
        .map_err(|_| error(StatusCode::BAD_REQUEST, "skip must be a number"))?;
    Ok((top, skip))
}

/// The page `skip`, `skip + top` of `all` under `key` in CXone's envelope (`totalRecords`,
/// `_links`, and the fields of `envelope`), or a 204 with no body past the end.
fn skip_page(
    headers: &HeaderMap,
    version: &str,
    resource: &str,
    (top, skip): (usize, usize),
    key: &str,
    all: &[Value],
    mut envelope: serde_json::Map<String, Value>,
) -> Response {
    if skip >= all.len() {
        return no_content();
    }
    let page: Vec<Value> = all.iter().skip(skip).take(top).cloned().collect();
    let base = format!(
        "{}/inContactAPI/services/{version}/{resource}",
        base_url(headers)
    );
    let link = |s: usize| format!("{base}?top={top}&skip={s}");
    let next = (skip + page.len() < all.len()).then(|| link(skip + page.len()));
    let previous = (skip > 0).then(|| link(skip.saturating_sub(top)));
    envelope.insert("totalRecords".into(), json!(all.len()));
    envelope.insert(
        "_links".into(),
        json!({"self": link(skip), "next": next, "previous": previous}),
    );
    envelope.insert(key.into(), Value::Array(page));
    axum::Json(Value::Object(envelope)).into_response()
}

async fn list(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(version): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
    resource: &'static str,
) -> Response {
    let rate = match admit(&state, &headers, &version) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let paging = match top_skip(&q, 50, 100) {
        Ok(p) => p,
        Err(r) => return with(r, rate),
    };
    let strings = version_number(&version).is_some_and(|v| v < 23.0);
    let wanted = q.get("isActive").map(|v| v.eq_ignore_ascii_case("true"));
    let (key, all) = entities(&state.cxone_directory, resource, strings);
    let all: Vec<Value> = all
        .into_iter()
        .filter(|(active, _)| wanted.is_none_or(|w| w == *active))
        .map(|(_, v)| v)
        .collect();
    let envelope = serde_json::Map::from_iter([
        ("businessUnitId".to_string(), json!(4599570)),
        ("lastPollTime".to_string(), json!(UPDATED)),
    ]);
    with(
        skip_page(&headers, &version, resource, paging, key, &all, envelope),
        rate,
    )
}

/// `(agentStateId, agentStateName, outStateId, outStateDescription)`.
type CxoneState = (i64, &'static str, i64, &'static str);

/// The CXone state of a timeline span: `(agentStateId, agentStateName, outStateId,
/// outStateDescription)`. Breaks and meals are Unavailable with their unavailable code; a missed
/// alert puts the agent in Refused, as CXone does.
fn cxone_state(span: &PresenceSpan) -> CxoneState {
    match (span.routing_status, span.system_presence) {
        ("IDLE", _) => (1, "Available", 0, ""),
        ("INTERACTING", _) => (3, "InboundContact", 0, ""),
        ("NOT_RESPONDING", _) => (2, "Refused", 0, ""),
        (_, "MEAL") => (2, "Unavailable", 2, "Lunch"),
        _ => (2, "Unavailable", 1, "Break"),
    }
}

/// What a state-history request asks: its admission (the rate headers), the window, `top` and
/// `skip`, and whether the version writes numbers as strings; or the answer to give instead.
type HistoryRequest = (
    HeaderMap,
    (DateTime<Utc>, DateTime<Utc>),
    (usize, usize),
    bool,
);

fn history_request(
    state: &SimState,
    headers: &HeaderMap,
    version: &str,
    q: &BTreeMap<String, String>,
) -> Result<HistoryRequest, Response> {
    let rate = admit(state, headers, version)?;
    let window = super::cxone::window(q).map_err(|r| with(r, rate.clone()))?;
    let paging = top_skip(q, 100, 10_000).map_err(|r| with(r, rate.clone()))?;
    let strings = version_number(version).is_some_and(|v| v < 23.0);
    Ok((rate, window, paging, strings))
}

/// `GET agents/state-history`: every agent's states that overlap `[startDate, endDate)` (whole,
/// not clipped), paged by `top`/`skip`; the state running at "now" has the duration so far.
pub(super) async fn agent_state_history(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(version): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let (rate, (start, end), paging, strings) =
        match history_request(&state, &headers, &version, &q) {
            Ok(r) => r,
            Err(r) => return r,
        };
    let now = state.now();
    let g = &state.cxone_generator;
    let mut all = Vec::new();
    let mut day = start.date_naive();
    while day.and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(end) < end {
        for (agent, spans) in g.agent_timelines(day).into_iter().enumerate() {
            // Consecutive spans in the same CXone state are one state.
            let mut states: Vec<(DateTime<Utc>, DateTime<Utc>, CxoneState)> = Vec::new();
            for span in &spans {
                let s = cxone_state(span);
                match states.last_mut() {
                    Some(last) if last.1 == span.start && last.2 == s => last.1 = span.end,
                    _ => states.push((span.start, span.end, s)),
                }
            }
            let session = i64::from(day.num_days_from_ce()) * 100 + agent as i64;
            for (index, (a, b, (id, name, out_id, out_name))) in states.into_iter().enumerate() {
                if a >= end || b <= start || a >= now {
                    continue;
                }
                let ms = (b.min(now) - a).num_milliseconds();
                all.push(json!({
                    "stateIndex": n(index as f64 + 1.0, strings), "startDate": format_instant(a),
                    "agentId": n(agent_id(agent) as f64, strings), "agentStateId": n(id as f64, strings),
                    "agentStateName": name, "agentSessionId": n(session as f64, strings),
                    "outStateId": n(out_id as f64, strings), "outStateDescription": out_name,
                    "duration": n(ms as f64 / 1000.0, true),
                    "teamId": n(team_id(agent % 3) as f64, strings),
                }));
            }
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    let envelope = serde_json::Map::from_iter([
        ("businessUnitId".to_string(), json!(4599570)),
        ("lastPollTime".to_string(), json!(format_instant(now))),
    ]);
    with(
        skip_page(
            &headers,
            &version,
            "agents/state-history",
            paging,
            "agentStateHistory",
            &all,
            envelope,
        ),
        rate,
    )
}

/// One contact's states: `(start, end, name, agent)`, as the simulator names them (CXone lists
/// no state names; these are its choice): InQueue, then Active / Hold / Active and ACW when
/// answered, and EndContact (no duration) last.
fn contact_states(c: &SimConversation) -> Vec<(DateTime<Utc>, DateTime<Utc>, &'static str, i64)> {
    let at = |ms: u64| c.start + Duration::milliseconds(ms as i64);
    let mut states = vec![(c.start, at(c.wait_ms), "InQueue", 0)];
    let mut t = c.wait_ms;
    if let Some(agent) = c.agent {
        let agent = agent_id(agent);
        let first = if c.hold_ms > 0 {
            c.talk_ms / 2
        } else {
            c.talk_ms
        };
        states.push((at(t), at(t + first), "Active", agent));
        t += first;
        if c.hold_ms > 0 {
            states.push((at(t), at(t + c.hold_ms), "Hold", agent));
            t += c.hold_ms;
            states.push((at(t), at(t + c.talk_ms - first), "Active", agent));
            t += c.talk_ms - first;
        }
        states.push((at(t), at(t + c.acw_ms), "ACW", agent));
        t += c.acw_ms;
    }
    states.push((at(t), at(t), "EndContact", 0));
    states
}

/// `GET contacts/state-history`: the states that began in `[startDate, endDate)` and by "now",
/// of every contact, paged by `top`/`skip`; a state still running has its duration so far.
pub(super) async fn contact_state_history(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(version): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let (rate, (start, end), paging, strings) =
        match history_request(&state, &headers, &version, &q) {
            Ok(r) => r,
            Err(r) => return r,
        };
    let now = state.now();
    let g = &state.cxone_generator;
    let mut all = Vec::new();
    // Contacts of the day before too: their late states may begin in the window.
    for c in g.conversations_between(start - Duration::days(1), end.min(now)) {
        let skill = skill_id(c.queue, c.media_type);
        let warehoused = c.end + Duration::milliseconds(c.acw_ms as i64 + 60_000) <= now;
        for (index, (a, b, name, agent)) in contact_states(&c).into_iter().enumerate() {
            if a < start || a >= end || a >= now {
                continue;
            }
            let ms = (b.min(now) - a).num_milliseconds();
            all.push(json!({
                "stateIndex": n(index as f64 + 1.0, strings),
                "contactId": super::cxone::contact_id(&c).to_string(),
                "contactStateName": name, "startDate": format_instant(a),
                "duration": n(ms as f64 / 1000.0, true), "isWarehoused": flag(warehoused, strings),
                "agentId": n(agent as f64, strings), "skillId": n(skill as f64, strings),
            }));
        }
    }
    let envelope = serde_json::Map::from_iter([
        ("businessUnit".to_string(), json!(4599570)),
        ("lastPollTime".to_string(), json!(format_instant(now))),
    ]);
    with(
        skip_page(
            &headers,
            &version,
            "contacts/state-history",
            paging,
            "contactStateHistory",
            &all,
            envelope,
        ),
        rate,
    )
}

/// A boolean as the version writes it (a string in old versions).
fn flag(v: bool, strings: bool) -> Value {
    if strings {
        json!(if v { "True" } else { "False" })
    } else {
        json!(v)
    }
}
