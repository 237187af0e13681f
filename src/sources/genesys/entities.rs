//! The entity lists behind the dimension datasets (reference/genesys-entities.md): which endpoint
//! each dataset reads, how it pages, and how an entity becomes a row.
//!
//! Three paging families (§0.1): page numbers (`pageSize`, `pageNumber`; stop at `pageCount`, on
//! an empty page, or without `nextUri`), the `after` cursor of teams (read from `nextUri`), and
//! unpaged presence definitions (asked twice: active and deactivated). Users are asked with
//! `state=any`, so departed agents keep their names. Every page's rows are counted, and an entity
//! listed twice (a list that shifted while it was paged) lands once.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::http::ApiClient;
use crate::sources::lenient::{FieldError, Record};
use crate::sources::{FirstSight, RowSender, SliceReport, SourceError};
use crate::transform::dimensions::{state_of, upper_snake};
use crate::transform::{
    AgentRow, Dataset, DivisionRow, PresenceDefinitionRow, QueueRow, Rows, SkillRow, TeamRow,
    TransformError, WrapupCodeRow,
};

/// How a list pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paging {
    /// `pageSize` + `pageNumber` (family A).
    PageNumber,
    /// `pageSize` + the `after` cursor of `nextUri` (family B).
    After,
    /// One answer (family D).
    Unpaged,
}

/// One request series of a dataset: the path, fixed query parameters and paging.
struct EntityList {
    path: &'static str,
    query: &'static [(&'static str, &'static str)],
    paging: Paging,
}

/// What each dimension reads, in order.
fn lists(dataset: Dataset) -> &'static [EntityList] {
    const fn paged(path: &'static str) -> EntityList {
        EntityList {
            path,
            query: &[],
            paging: Paging::PageNumber,
        }
    }
    const QUEUES: &[EntityList] = &[paged("/api/v2/routing/queues")];
    const USERS: &[EntityList] = &[EntityList {
        path: "/api/v2/users",
        query: &[
            ("state", "any"),
            ("expand", "team"),
            ("expand", "employerInfo"),
            ("expand", "dateLastLogin"),
        ],
        paging: Paging::PageNumber,
    }];
    const WRAPUP_CODES: &[EntityList] = &[paged("/api/v2/routing/wrapupcodes")];
    const SKILLS: &[EntityList] = &[paged("/api/v2/routing/skills")];
    const TEAMS: &[EntityList] = &[EntityList {
        path: "/api/v2/teams",
        query: &[("expand", "entities.division")],
        paging: Paging::After,
    }];
    const DIVISIONS: &[EntityList] = &[paged("/api/v2/authorization/divisions")];
    const PRESENCE: &[EntityList] = &[
        EntityList {
            path: "/api/v2/presence/definitions",
            query: &[("deactivated", "false"), ("localeCode", "ALL")],
            paging: Paging::Unpaged,
        },
        EntityList {
            path: "/api/v2/presence/definitions",
            query: &[("deactivated", "true"), ("localeCode", "ALL")],
            paging: Paging::Unpaged,
        },
    ];
    match dataset {
        Dataset::Queues => QUEUES,
        Dataset::Agents => USERS,
        Dataset::WrapupCodes => WRAPUP_CODES,
        Dataset::Skills => SKILLS,
        Dataset::Teams => TEAMS,
        Dataset::Divisions => DIVISIONS,
        Dataset::PresenceDefinitions => PRESENCE,
        _ => &[],
    }
}

/// `GET /api/v2/routing/queues` …: what a dimension's manifest names as its request.
pub fn request_name(dataset: Dataset) -> String {
    let mut paths: Vec<&str> = lists(dataset).iter().map(|l| l.path).collect();
    paths.dedup();
    format!("GET {}", paths.join(" + "))
}

/// Wrap-up values Genesys sets itself, which the wrap-up code list does not hold: third-party
/// warehouse code keys on them (reference/genesys-entities.md §4; the full list is unverified).
pub const SYSTEM_WRAPUP_CODES: &[&str] = &["ININ-WRAP-UP-TIMEOUT", "ININ-WRAP-UP-DELETED"];

/// A page of any list: every member optional (a single page may lack `nextUri`, §0.1).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listing {
    #[serde(default)]
    entities: Option<Vec<Map<String, Value>>>,
    page_count: Option<u64>,
    next_uri: Option<String>,
}

/// The `after` cursor in a `nextUri` (`/api/v2/teams?pageSize=100&after=…`).
fn after_cursor(next_uri: &str) -> Option<String> {
    let url = reqwest::Url::parse("http://next.invalid/")
        .ok()?
        .join(next_uri)
        .ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// Fetches `dataset`'s lists page by page, handing each page's rows to `rows`.
pub async fn fetch(
    client: &ApiClient,
    dataset: Dataset,
    page_size: u64,
    rows: &RowSender,
) -> Result<SliceReport, SourceError> {
    let mut first = FirstSight::default();
    let (mut pages, mut received) = (0u64, 0u64);
    for list in lists(dataset) {
        let mut page_number = 1u64;
        let mut after: Option<String> = None;
        loop {
            let mut query: Vec<(&str, String)> = list
                .query
                .iter()
                .map(|(k, v)| (*k, (*v).to_string()))
                .collect();
            match list.paging {
                Paging::PageNumber => {
                    query.push(("pageSize", page_size.to_string()));
                    query.push(("pageNumber", page_number.to_string()));
                }
                Paging::After => {
                    query.push(("pageSize", page_size.to_string()));
                    if let Some(cursor) = &after {
                        query.push(("after", cursor.clone()));
                    }
                }
                Paging::Unpaged => {}
            }
            let listing: Listing = client.get_json(list.path, &query).await?;
            pages += 1;
            let entities = listing.entities.unwrap_or_default();
            let page_empty = entities.is_empty();
            received += entities.len() as u64;
            let fresh: Vec<Map<String, Value>> = entities
                .into_iter()
                .filter(|entity| first.keep(Record::new(entity).string(&["id"])))
                .collect();
            rows.send(to_rows(dataset, &fresh)?).await?;
            let next = listing.next_uri.filter(|u| !u.is_empty());
            let more = match list.paging {
                Paging::Unpaged => false,
                Paging::PageNumber => {
                    !page_empty
                        && match listing.page_count {
                            Some(count) => page_number < count,
                            None => next.is_some(),
                        }
                }
                // A cursor that does not move would page forever.
                Paging::After => match next.as_deref().and_then(after_cursor) {
                    Some(cursor) if !page_empty && after.as_deref() != Some(cursor.as_str()) => {
                        after = Some(cursor);
                        true
                    }
                    _ => false,
                },
            };
            if !more {
                break;
            }
            page_number += 1;
        }
    }
    if dataset == Dataset::WrapupCodes {
        let system: Vec<WrapupCodeRow> = SYSTEM_WRAPUP_CODES
            .iter()
            .filter(|id| !first.has(id))
            .map(|id| WrapupCodeRow {
                id: (*id).to_string(),
                name: Some((*id).to_string()),
                state: "active".into(),
                active: true,
                system: true,
                ..Default::default()
            })
            .collect();
        rows.send(system).await?;
    }
    let mut details = BTreeMap::from([
        ("method".to_string(), Value::from(request_name(dataset))),
        ("pages".to_string(), pages.into()),
        ("rows_received".to_string(), received.into()),
    ]);
    details.insert("page_size".into(), page_size.into());
    Ok(SliceReport {
        days: Default::default(),
        details,
        skipped: first.skipped(),
        provisional: Vec::new(),
    })
}

fn field_error(list: &'static str) -> impl Fn(FieldError) -> TransformError {
    move |e| TransformError::Malformed {
        field: list,
        value: e.value,
        reason: format!("{} is not {}", e.field, e.expected),
    }
}

/// The `id` of a nested object (`division`, `team`, `manager`).
fn nested_id(r: &Record<'_>, name: &str) -> Option<String> {
    r.raw(&[name])
        .and_then(|v| v.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Entities of `dataset` as its rows; an entity without an id is malformed.
pub fn to_rows(dataset: Dataset, entities: &[Map<String, Value>]) -> Result<Rows, TransformError> {
    let mut out = Rows::empty(dataset);
    for entity in entities {
        let r = Record::new(entity);
        let id = r.string(&["id"]).ok_or_else(|| TransformError::Malformed {
            field: "id",
            value: Value::Object(entity.clone()).to_string(),
            reason: format!("a {} entity without an id", dataset.name()),
        })?;
        // Links are navigation, not data.
        r.raw(&["selfUri"]);
        let rows = entity_row(dataset, id, &r, entity)?;
        out.append(rows).map_err(|_| TransformError::Undeclared {
            column: dataset.name().to_string(),
        })?;
    }
    Ok(out)
}

fn entity_row(
    dataset: Dataset,
    id: String,
    r: &Record<'_>,
    entity: &Map<String, Value>,
) -> Result<Rows, TransformError> {
    let field = field_error("entities");
    let name = r.string(&["name"]);
    let time = |names: &[&str]| r.timestamp(names).map_err(&field);
    // Lists without a state (queues, wrap-up codes, teams, divisions) hold what exists.
    let state = r
        .string(&["state"])
        .map(|s| s.to_ascii_lowercase())
        .unwrap_or_else(|| "active".into());
    let active = state == "active";
    Ok(match dataset {
        Dataset::Queues => {
            // The call service level; the other media stay in `extra` with all of mediaSettings.
            let call = entity
                .get("mediaSettings")
                .and_then(|m| m.get("call").or_else(|| m.get("CALL")))
                .and_then(|c| c.get("serviceLevel"));
            let level = |k: &str| call.and_then(|l| l.get(k)).and_then(Value::as_f64);
            let mut row = QueueRow {
                id,
                name,
                state,
                active,
                division_id: nested_id(r, "division"),
                media_type: None,
                member_count: r.integer(&["memberCount"]).map_err(&field)?,
                service_level_percent: level("percentage").map(|p| p * 100.0),
                service_level_seconds: level("durationMs").map(|ms| ms / 1000.0),
                date_created: time(&["dateCreated"])?,
                date_modified: time(&["dateModified"])?,
                extra: None,
            };
            row.extra = r.unused_json();
            vec![row].into()
        }
        Dataset::Agents => {
            let employer = entity.get("employerInfo");
            let employer = |k: &str| {
                employer
                    .and_then(|e| e.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let mut row = AgentRow {
                id,
                name,
                state,
                active,
                email: r.string(&["email"]),
                username: r.string(&["username"]),
                division_id: nested_id(r, "division"),
                team_id: nested_id(r, "team"),
                manager_id: nested_id(r, "manager"),
                department: r.string(&["department"]),
                title: r.string(&["title"]),
                employee_id: employer("employeeId"),
                hire_date: employer("dateHire"),
                last_login: time(&["dateLastLogin"])?,
                date_modified: None,
                extra: None,
            };
            row.extra = r.unused_json();
            vec![row].into()
        }
        Dataset::WrapupCodes => {
            let mut row = WrapupCodeRow {
                id,
                name,
                state,
                active,
                division_id: nested_id(r, "division"),
                classification: None,
                system: false,
                date_created: time(&["dateCreated"])?,
                date_modified: time(&["dateModified"])?,
                extra: None,
            };
            row.extra = r.unused_json();
            vec![row].into()
        }
        Dataset::Skills => {
            let mut row = SkillRow {
                id,
                name,
                state,
                active,
                date_modified: time(&["dateModified"])?,
                extra: None,
            };
            row.extra = r.unused_json();
            vec![row].into()
        }
        Dataset::Teams => {
            let mut row = TeamRow {
                id,
                name,
                state,
                active,
                division_id: nested_id(r, "division"),
                member_count: r.integer(&["memberCount"]).map_err(&field)?,
                date_created: time(&["dateCreated"])?,
                date_modified: time(&["dateModified"])?,
                extra: None,
            };
            row.extra = r.unused_json();
            vec![row].into()
        }
        Dataset::Divisions => {
            let mut row = DivisionRow {
                id,
                name,
                state,
                active,
                description: r.string(&["description"]),
                home: r
                    .boolean(&["homeDivision"])
                    .map_err(&field)?
                    .unwrap_or(false),
                extra: None,
            };
            row.extra = r.unused_json();
            vec![row].into()
        }
        Dataset::PresenceDefinitions => {
            let deactivated = r
                .boolean(&["deactivated"])
                .map_err(&field)?
                .unwrap_or(false);
            // `name` where the API has one, else the English label (labels stay in `extra`).
            let label = entity
                .get("languageLabels")
                .and_then(|l| l.get("en_US"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let mut row = PresenceDefinitionRow {
                id,
                name: name.or(label),
                state: state_of(!deactivated),
                active: !deactivated,
                system_presence: r.string(&["systemPresence"]).map(|s| upper_snake(&s)),
                kind: r.string(&["type"]),
                division_id: r.string(&["divisionId"]),
                extra: None,
            };
            row.extra = r.unused_json();
            vec![row].into()
        }
        other => {
            return Err(TransformError::Undeclared {
                column: format!("{} is not a Genesys entity list", other.name()),
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entities(v: Value) -> Vec<Map<String, Value>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_object().unwrap().clone())
            .collect()
    }

    #[test]
    fn a_queue_keeps_its_call_service_level_and_everything_else_in_extra() {
        // The reference's illustrative queue (genesys-entities.md §1).
        let page = entities(json!([{"id":"5f4c","name":"Support",
            "division":{"id":"e2a7","name":"Home"},"dateModified":"2026-01-15T10:00:00.000Z",
            "memberCount":12,"joinedMemberCount":9,
            "mediaSettings":{"call":{"alertingTimeoutSeconds":8,"serviceLevel":{"percentage":0.8,"durationMs":20000}}},
            "acwSettings":{"wrapupPrompt":"MANDATORY_TIMEOUT","timeoutMs":30000},"skillEvaluationMethod":"BEST",
            "selfUri":"/api/v2/routing/queues/5f4c"}]));
        let Rows::Queues(rows) = to_rows(Dataset::Queues, &page).unwrap() else {
            panic!("queues")
        };
        let q = &rows[0];
        assert_eq!(
            (q.id.as_str(), q.name.as_deref(), q.state.as_str(), q.active),
            ("5f4c", Some("Support"), "active", true)
        );
        assert_eq!(q.division_id.as_deref(), Some("e2a7"));
        assert_eq!(q.member_count, Some(12));
        assert_eq!(q.service_level_percent, Some(80.0));
        assert_eq!(q.service_level_seconds, Some(20.0));
        assert_eq!(q.date_modified.unwrap().to_rfc3339(), "2026-01-15T10:00:00+00:00");
        let extra: Value = serde_json::from_str(q.extra.as_deref().unwrap()).unwrap();
        let keys: Vec<&str> = extra.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "acwSettings",
                "joinedMemberCount",
                "mediaSettings",
                "skillEvaluationMethod"
            ]
        );
    }

    #[test]
    fn a_user_sample_maps_to_an_agent() {
        // Abridged from the Genesys user-export sample (genesys-entities.md §3.1).
        let page = entities(json!([{ "id": "u-1", "name": "Sample User1",
            "division": { "id": "d-5678", "name": "Home" }, "department": "Support",
            "email": "sampleuser1@domain.com", "state": "inactive", "title": "SDE",
            "username": "sampleuser1@domain.com", "manager": { "id": "m-1", "selfUri": "/api/v2/users/m-1" },
            "version": 169, "team": {"id": "t-1", "name": "Tier 1"},
            "employerInfo": { "officialName": "My HR Name", "employeeId": "E-7", "employeeType": "Full-time", "dateHire": "2020-06-08" },
            "dateLastLogin": "2026-11-30T08:01:02.000Z", "acdAutoAnswer": false }]));
        let Rows::Agents(rows) = to_rows(Dataset::Agents, &page).unwrap() else {
            panic!("agents")
        };
        let a = &rows[0];
        assert_eq!((a.state.as_str(), a.active), ("inactive", false));
        assert_eq!(
            (
                a.team_id.as_deref(),
                a.manager_id.as_deref(),
                a.division_id.as_deref()
            ),
            (Some("t-1"), Some("m-1"), Some("d-5678"))
        );
        assert_eq!(
            (a.employee_id.as_deref(), a.hire_date.as_deref()),
            (Some("E-7"), Some("2020-06-08"))
        );
        assert!(a.last_login.is_some() && a.date_modified.is_none());
        let extra = a.extra.as_deref().unwrap();
        assert!(extra.contains("\"version\":169") && extra.contains("officialName"), "{extra}");
    }

    #[test]
    fn presence_definitions_use_the_analytics_spelling_and_deactivation_is_a_state() {
        let page = entities(json!([
            {"id":"p-1","languageLabels":{"en_US":"On Queue"},"systemPresence":"OnQueue","type":"System","deactivated":false},
            {"id":"p-2","name":"Huddle","systemPresence":"Busy","type":"User","deactivated":true,"divisionId":"d-1"}
        ]));
        let Rows::PresenceDefinitions(rows) = to_rows(Dataset::PresenceDefinitions, &page).unwrap()
        else {
            panic!("presence")
        };
        assert_eq!(rows[0].name.as_deref(), Some("On Queue"));
        assert_eq!(rows[0].system_presence.as_deref(), Some("ON_QUEUE"));
        assert_eq!((rows[1].state.as_str(), rows[1].active), ("inactive", false));
        assert_eq!(rows[1].division_id.as_deref(), Some("d-1"));
    }

    #[test]
    fn an_entity_without_an_id_is_malformed_and_cursors_come_from_next_uri() {
        let err = to_rows(Dataset::Skills, &entities(json!([{"name": "x"}]))).unwrap_err();
        assert!(err.to_string().contains("without an id"), "{err}");
        assert_eq!(
            after_cursor("/api/v2/teams?pageSize=2&after=abc%3D%3D").as_deref(),
            Some("abc==")
        );
        assert_eq!(after_cursor("/api/v2/teams?pageSize=2"), None);
        assert_eq!(
            request_name(Dataset::PresenceDefinitions),
            "GET /api/v2/presence/definitions"
        );
    }
}
