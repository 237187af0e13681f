//! The entity lists (reference/genesys-entities.md): queues, users, wrap-up codes, routing
//! skills, divisions (page numbers), teams (an `after` cursor) and presence definitions (not
//! paged, active or deactivated), served from the org's [`Directory`] in Genesys's shapes.
//!
//! What Genesys does and the simulator copies: users default to `state=active` (a client that
//! forgets `state=any` misses departed agents); lists without a state (queues, wrap-up codes,
//! teams, divisions) hold only what exists; `nextUri` is absent on the last page; page sizes
//! above 500 are refused with a 400.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use crate::sim::directory::{Directory, User};
use crate::sim::{SimState, error_response};

pub(crate) const QUEUES_PATH: &str = "/api/v2/routing/queues";
pub(crate) const USERS_PATH: &str = "/api/v2/users";
pub(crate) const WRAPUP_CODES_PATH: &str = "/api/v2/routing/wrapupcodes";
pub(crate) const SKILLS_PATH: &str = "/api/v2/routing/skills";
pub(crate) const DIVISIONS_PATH: &str = "/api/v2/authorization/divisions";
pub(crate) const TEAMS_PATH: &str = "/api/v2/teams";
pub(crate) const PRESENCE_PATH: &str = "/api/v2/presence/definitions";

/// The query string as pairs (repeated keys, such as `expand`, kept).
type Params = Query<Vec<(String, String)>>;

fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn expands(params: &[(String, String)], what: &str) -> bool {
    params
        .iter()
        .filter(|(k, _)| k == "expand")
        .flat_map(|(_, v)| v.split(','))
        .any(|v| v == what)
}

fn bad_request(message: &str) -> Response {
    error_response(StatusCode::BAD_REQUEST, "bad.request", message)
}

/// `pageSize` (default 25, at most 500) and `pageNumber` (default 1).
fn page_of(params: &[(String, String)]) -> Result<(usize, usize), Response> {
    let number = |key: &str, default: usize| match param(params, key) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| bad_request(&format!("Value [{v}] is not valid for field type [{key}]."))),
    };
    let size = number("pageSize", 25)?;
    let page = number("pageNumber", 1)?;
    if !(1..=500).contains(&size) || page == 0 {
        return Err(bad_request(
            "pageSize must be between 1 and 500, and pageNumber at least 1.",
        ));
    }
    Ok((size, page))
}

/// A page-number listing of `all` (`EntityListing`).
fn numbered(path: &str, all: Vec<Value>, size: usize, page: usize, query: &str) -> Value {
    let total = all.len();
    let page_count = total.div_ceil(size);
    let uri = |n: usize| format!("{path}?pageSize={size}&pageNumber={n}{query}");
    let entities: Vec<Value> = all.into_iter().skip((page - 1) * size).take(size).collect();
    let mut listing = json!({
        "entities": entities, "pageSize": size, "pageNumber": page, "total": total,
        "pageCount": page_count, "firstUri": uri(1), "selfUri": uri(page),
        "lastUri": uri(page_count.max(1)),
    });
    if page < page_count {
        listing["nextUri"] = json!(uri(page + 1));
    }
    if page > 1 {
        listing["previousUri"] = json!(uri(page - 1));
    }
    listing
}

/// Admits the request (token, rate limit), then answers with what `body` builds.
fn answer(
    state: &SimState,
    headers: &HeaderMap,
    body: impl FnOnce(&Directory) -> Result<Value, Response>,
) -> Response {
    let rate = match state.admit(headers) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let mut response = match body(&state.directory) {
        Ok(v) => axum::Json(v).into_response(),
        Err(r) => r,
    };
    response.headers_mut().extend(rate);
    response
}

/// Answers a page-number list: what `list` holds, the page `pageSize`/`pageNumber` ask for
/// (`suffix`: the query parameters the page links repeat).
fn paged(
    state: &SimState,
    headers: &HeaderMap,
    params: &[(String, String)],
    path: &str,
    list: impl FnOnce(&Directory) -> Result<(Vec<Value>, String), Response>,
) -> Response {
    answer(state, headers, |d| {
        let (size, page) = page_of(params)?;
        let (all, suffix) = list(d)?;
        Ok(numbered(path, all, size, page, &suffix))
    })
}

fn division(d: &Directory, index: usize) -> Value {
    let div = &d.divisions[index.min(d.divisions.len() - 1)];
    json!({"id": div.id, "name": div.name, "selfUri": format!("{DIVISIONS_PATH}/{}", div.id)})
}

const CREATED: &str = "2025-03-04T09:10:11.000Z";
const MODIFIED: &str = "2026-10-01T12:00:00.000Z";

pub(crate) async fn queues(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    paged(&state, &headers, &params, QUEUES_PATH, |d| {
        let org = state.generator.org();
        let all = d
            .queues
            .iter()
            .enumerate()
            .map(|(q, e)| {
                let members = org.queues.get(q).map_or(0, |q| q.agents.len());
                json!({
                    "id": e.id, "name": e.name, "division": division(d, d.queue_division[q]),
                    "dateCreated": CREATED, "dateModified": MODIFIED,
                    "memberCount": members, "userMemberCount": members, "joinedMemberCount": members,
                    "mediaSettings": {
                        "call": {"alertingTimeoutSeconds": 8, "serviceLevel": {"percentage": 0.8, "durationMs": 20000}},
                        "chat": {"alertingTimeoutSeconds": 30, "serviceLevel": {"percentage": 0.9, "durationMs": 60000}},
                    },
                    "acwSettings": {"wrapupPrompt": "MANDATORY_TIMEOUT", "timeoutMs": 90000},
                    "skillEvaluationMethod": "BEST",
                    "selfUri": format!("{QUEUES_PATH}/{}", e.id),
                })
            })
            .collect();
        Ok((all, String::new()))
    })
}

fn user_json(d: &Directory, user: &User, params: &[(String, String)]) -> Value {
    let e = &user.entity;
    let login = e.name.to_ascii_lowercase().replace(' ', ".");
    let mut v = json!({
        "id": e.id, "name": e.name, "division": division(d, 0),
        "email": format!("{login}@ccetl.example"), "username": format!("{login}@ccetl.example"),
        "state": e.state, "department": "Customer Care",
        "title": if user.agent.is_some() { "Agent" } else { "Supervisor" },
        "version": 3, "acdAutoAnswer": false,
        "selfUri": format!("{USERS_PATH}/{}", e.id),
    });
    if let Some(m) = user.manager.and_then(|m| d.users.get(m)) {
        v["manager"] =
            json!({"id": m.entity.id, "selfUri": format!("{USERS_PATH}/{}", m.entity.id)});
    }
    if expands(params, "team")
        && let Some(t) = user.team.and_then(|t| d.teams.get(t))
    {
        v["team"] =
            json!({"id": t.id, "name": t.name, "selfUri": format!("{TEAMS_PATH}/{}", t.id)});
    }
    if expands(params, "employerInfo")
        && let Some(a) = user.agent
    {
        v["employerInfo"] = json!({"employeeId": format!("E{:04}", a + 1), "employeeType": "Full-time", "dateHire": "2021-03-01"});
    }
    if expands(params, "dateLastLogin") && e.state == "active" {
        v["dateLastLogin"] = json!("2026-11-30T07:58:00.000Z");
    }
    v
}

pub(crate) async fn users(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    paged(&state, &headers, &params, USERS_PATH, |d| {
        let wanted = param(&params, "state").unwrap_or("active");
        if !["active", "inactive", "deleted", "any"].contains(&wanted) {
            return Err(bad_request(&format!("Invalid state [{wanted}].")));
        }
        let all = d
            .users
            .iter()
            .filter(|u| wanted == "any" || u.entity.state == wanted)
            .map(|u| user_json(d, u, &params))
            .collect();
        Ok((all, format!("&state={wanted}")))
    })
}

pub(crate) async fn wrapup_codes(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    paged(&state, &headers, &params, WRAPUP_CODES_PATH, |d| {
        // Wrap-up codes have no state: a retired code is gone from the list.
        let all = d
            .wrap_up_codes
            .iter()
            .filter(|e| e.state == "active")
            .map(|e| {
                json!({
                    "id": e.id, "name": e.name, "division": division(d, 0),
                    "dateCreated": CREATED, "dateModified": MODIFIED,
                    "createdBy": d.users.last().map(|u| u.entity.id.clone()),
                    "selfUri": format!("{WRAPUP_CODES_PATH}/{}", e.id),
                })
            })
            .collect();
        Ok((all, String::new()))
    })
}

pub(crate) async fn skills(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    paged(&state, &headers, &params, SKILLS_PATH, |d| {
        let all = d
            .skills
            .iter()
            .map(|e| {
                json!({
                    "id": e.id, "name": e.name, "state": e.state, "dateModified": MODIFIED,
                    "version": 1, "selfUri": format!("{SKILLS_PATH}/{}", e.id),
                })
            })
            .collect();
        Ok((all, String::new()))
    })
}

pub(crate) async fn divisions(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    paged(&state, &headers, &params, DIVISIONS_PATH, |d| {
        let all = d
            .divisions
            .iter()
            .enumerate()
            .map(|(i, e)| {
                json!({
                    "id": e.id, "name": e.name, "description": format!("{} division", e.name),
                    "homeDivision": i == 0, "selfUri": format!("{DIVISIONS_PATH}/{}", e.id),
                })
            })
            .collect();
        Ok((all, String::new()))
    })
}

/// The opaque `after` cursor of teams: where the next page starts.
fn cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("team:{offset}"))
}

fn offset_of(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("team:")?
        .parse()
        .ok()
}

pub(crate) async fn teams(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    answer(&state, &headers, |d| {
        let (size, _) = page_of(&params)?;
        let start = match param(&params, "after") {
            None => 0,
            Some(c) => offset_of(c).ok_or_else(|| bad_request("Invalid cursor [after]."))?,
        };
        let with_division = expands(&params, "entities.division");
        // Teams have no state: a disbanded team is gone from the list.
        let all: Vec<Value> = d
            .teams
            .iter()
            .enumerate()
            .filter(|(_, t)| t.state == "active")
            .map(|(i, t)| {
                let members = d.users.iter().filter(|u| u.team == Some(i)).count();
                let mut v = json!({
                    "id": t.id, "name": t.name, "dateCreated": CREATED, "dateModified": MODIFIED,
                    "memberCount": members, "selfUri": format!("{TEAMS_PATH}/{}", t.id),
                });
                if with_division {
                    v["division"] = division(d, 0);
                }
                v
            })
            .collect();
        let end = (start + size).min(all.len());
        let entities: Vec<Value> = all.get(start..end).unwrap_or_default().to_vec();
        let mut listing = json!({
            "entities": entities,
            "selfUri": format!("{TEAMS_PATH}?pageSize={size}"),
        });
        if end < all.len() {
            listing["nextUri"] = json!(format!(
                "{TEAMS_PATH}?pageSize={size}&after={}",
                cursor(end)
            ));
        }
        Ok(listing)
    })
}

pub(crate) async fn presence_definitions(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    answer(&state, &headers, |d| {
        let deactivated = match param(&params, "deactivated").map(str::to_ascii_lowercase) {
            None => false,
            Some(v) if v == "true" => true,
            Some(v) if v == "false" => false,
            Some(v) => {
                return Err(bad_request(&format!(
                    "deactivated can be TRUE or FALSE, not [{v}]."
                )));
            }
        };
        let entities: Vec<Value> = d
            .presences
            .iter()
            .filter(|p| (p.entity.state != "active") == deactivated)
            .map(|p| {
                let mut v = json!({
                    "id": p.entity.id, "type": p.kind, "systemPresence": p.system_presence,
                    "languageLabels": {"en_US": p.entity.name},
                    "divisionId": d.divisions[0].id, "deactivated": deactivated,
                    "selfUri": format!("{PRESENCE_PATH}/{}", p.entity.id),
                });
                // Built-in definitions carry labels only; the org's own have a name too.
                if p.kind == "User" {
                    v["name"] = json!(p.entity.name);
                }
                v
            })
            .collect();
        Ok(json!({"total": entities.len(), "entities": entities, "selfUri": PRESENCE_PATH}))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_link_forward_until_the_last_and_cursors_round_trip() {
        let all: Vec<Value> = (0..5).map(|i| json!({"id": i})).collect();
        let first = numbered("/x", all.clone(), 2, 1, "");
        assert_eq!(first["pageCount"], 3);
        assert_eq!(first["nextUri"], "/x?pageSize=2&pageNumber=2");
        let last = numbered("/x", all, 2, 3, "");
        assert_eq!(last["entities"].as_array().unwrap().len(), 1);
        assert!(last.get("nextUri").is_none());
        assert_eq!(offset_of(&cursor(7)), Some(7));
        assert_eq!(offset_of("garbage!"), None);
    }
}
