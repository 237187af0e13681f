//! The ACD Admin lists behind the dimension datasets (reference/cxone-entities.md): skills (the
//! CXone queue), agents, teams, dispositions (wrap-up codes) and unavailable codes (presence
//! definitions), read without an `isActive` filter so inactive entities keep their names.
//!
//! Paging (§0): `top` and `skip`, `skip` advanced by the rows received; stop on a 204, an empty
//! page, `skip >= totalRecords`, or no `_links.next`. CXone has no divisions, routing skills
//! apart from its skills, or Genesys-style presence definitions: those datasets are Genesys's.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::lenient::{FieldError, Record};
use super::{SkipPager, media_type};
use crate::http::ApiClient;
use crate::sources::{FirstSight, RowSender, SliceReport, SourceError};
use crate::transform::dimensions::state_of;
use crate::transform::{
    AgentRow, Dataset, PresenceDefinitionRow, QueueRow, Rows, TeamRow, TransformError,
    WrapupCodeRow,
};

/// `(resource path, array key, id field names)` of a dimension.
pub fn list(dataset: Dataset) -> Option<(&'static str, &'static str, &'static [&'static str])> {
    Some(match dataset {
        Dataset::Queues => ("skills", "skills", &["skillId"]),
        Dataset::Agents => ("agents", "agents", &["agentId"]),
        Dataset::WrapupCodes => ("dispositions", "dispositions", &["dispositionId"]),
        Dataset::Teams => ("teams", "teams", &["teamId"]),
        Dataset::PresenceDefinitions => (
            "unavailable-codes",
            "unavailableCodes",
            &["id", "unavailableCodeId"],
        ),
        _ => return None,
    })
}

/// Fetches `dataset`'s list page by page (`top` = `page_size`), handing each page's rows to
/// `rows`.
pub async fn fetch(
    client: &ApiClient,
    dataset: Dataset,
    page_size: u64,
    rows: &RowSender,
) -> Result<SliceReport, SourceError> {
    let (path, key, id_names) = list(dataset).ok_or_else(|| {
        SourceError::Internal(format!("CXone has no {} list", dataset.name()))
    })?;
    let mut pager = SkipPager::new(client, path, key, Vec::new(), page_size);
    let mut first = FirstSight::default();
    while let Some(page) = pager.next_page().await? {
        let fresh: Vec<Map<String, Value>> = page
            .rows
            .into_iter()
            .filter(|entity| first.keep(Record::new(entity).string(id_names)))
            .collect();
        rows.send(to_rows(dataset, &fresh)?).await?;
    }
    Ok(SliceReport {
        days: Default::default(),
        details: BTreeMap::from([
            ("method".to_string(), Value::from(format!("GET {path}"))),
            ("pages".to_string(), pager.pages().into()),
            ("rows_received".to_string(), pager.received().into()),
            ("page_size".to_string(), page_size.into()),
        ]),
        skipped: first.skipped(),
        provisional: Vec::new(),
    })
}

fn field_error(e: FieldError) -> TransformError {
    TransformError::Malformed {
        field: "entity",
        value: e.value,
        reason: format!("{} is not {}", e.field, e.expected),
    }
}

/// A CXone id: `0` (and empty) means none.
fn id_of(r: &Record<'_>, names: &[&str]) -> Option<String> {
    r.string(names).filter(|s| s != "0")
}

/// Entities of `dataset` as its rows; an entity without its id is malformed.
pub fn to_rows(dataset: Dataset, entities: &[Map<String, Value>]) -> Result<Rows, TransformError> {
    let mut out = Rows::empty(dataset);
    let Some((_, _, id_names)) = list(dataset) else {
        return Ok(out);
    };
    for entity in entities {
        let r = Record::new(entity);
        let id = r.string(id_names).ok_or_else(|| TransformError::Malformed {
            field: "id",
            value: Value::Object(entity.clone()).to_string(),
            reason: format!("a {} entity without {}", dataset.name(), id_names[0]),
        })?;
        // The business unit is the tenant's, the same on every row.
        r.raw(&["businessUnitId"]);
        let active = r
            .boolean(&["isActive"])
            .map_err(field_error)?
            .unwrap_or(true);
        let state = state_of(active);
        let time = |names: &[&str]| r.timestamp(names).map_err(field_error);
        let rows: Rows = match dataset {
            Dataset::Queues => {
                let media_id = r.integer(&["mediaTypeId"]).map_err(field_error)?;
                let media_name = r.string(&["mediaTypeName"]);
                let mut row = QueueRow {
                    id,
                    name: r.string(&["skillName"]),
                    state,
                    active,
                    division_id: id_of(&r, &["divisionId"]),
                    media_type: media_type(media_id, media_name.as_deref()),
                    member_count: None,
                    service_level_percent: r.number(&["serviceLevelGoal"]).map_err(field_error)?,
                    service_level_seconds: r
                        .number(&["serviceLevelThreshold"])
                        .map_err(field_error)?,
                    date_created: None,
                    date_modified: None,
                    extra: None,
                };
                row.extra = r.unused_json();
                vec![row].into()
            }
            Dataset::Agents => {
                let first = r.string(&["firstName"]);
                let last = r.string(&["lastName"]);
                let name = match (first, last) {
                    (Some(f), Some(l)) => Some(format!("{f} {l}")),
                    (f, l) => f.or(l),
                };
                let mut row = AgentRow {
                    id,
                    name,
                    state,
                    active,
                    email: r.string(&["emailAddress", "email"]),
                    username: r.string(&["userName"]),
                    division_id: id_of(&r, &["divisionNo"]),
                    team_id: id_of(&r, &["teamId"]),
                    manager_id: id_of(&r, &["reportToId"]),
                    department: None,
                    title: None,
                    employee_id: r.string(&["internalId"]),
                    hire_date: r
                        .string(&["hireDate"])
                        .map(|d| d.chars().take(10).collect()),
                    last_login: time(&["lastLogin"])?,
                    date_modified: time(&["lastUpdated", "lastModified"])?,
                    extra: None,
                };
                row.extra = r.unused_json();
                vec![row].into()
            }
            Dataset::WrapupCodes => {
                let mut row = WrapupCodeRow {
                    id,
                    name: r.string(&["dispositionName"]),
                    state,
                    active,
                    division_id: None,
                    classification: id_of(&r, &["classificationId"]),
                    system: false,
                    date_created: None,
                    date_modified: time(&["lastUpdated"])?,
                    extra: None,
                };
                row.extra = r.unused_json();
                vec![row].into()
            }
            Dataset::Teams => {
                let mut row = TeamRow {
                    id,
                    name: r.string(&["teamName"]),
                    state,
                    active,
                    division_id: id_of(&r, &["divisionNo"]),
                    member_count: r.integer(&["agentCount"]).map_err(field_error)?,
                    date_created: None,
                    date_modified: time(&["lastUpdateTime"])?,
                    extra: None,
                };
                row.extra = r.unused_json();
                vec![row].into()
            }
            Dataset::PresenceDefinitions => {
                let mut row = PresenceDefinitionRow {
                    id,
                    name: r.string(&["name", "unavailableCode"]),
                    state,
                    active,
                    system_presence: Some("UNAVAILABLE".into()),
                    kind: Some("User".into()),
                    division_id: None,
                    extra: None,
                };
                row.extra = r.unused_json();
                vec![row].into()
            }
            _ => return Ok(out),
        };
        out.append(rows).map_err(|_| TransformError::Undeclared {
            column: dataset.name().to_string(),
        })?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(v: Value) -> Vec<Map<String, Value>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_object().unwrap().clone())
            .collect()
    }

    #[test]
    fn the_old_pascal_case_all_strings_fixtures_map() {
        // v6.0 fixtures (cxone-entities.md §1, §2).
        let skills = page(json!([{"BusinessUnitId":"9999999","SkillId":"999999","SkillName":"Test",
            "MediaTypeId":"4","MediaTypeName":"Phone Call","IsActive":"True","CampaignId":"123456",
            "CampaignName":"Test Campaign","IsOutbound":"False"}]));
        let Rows::Queues(q) = to_rows(Dataset::Queues, &skills).unwrap() else {
            panic!("queues")
        };
        assert_eq!(
            (q[0].id.as_str(), q[0].name.as_deref(), q[0].active),
            ("999999", Some("Test"), true)
        );
        assert_eq!(q[0].media_type.as_deref(), Some("voice"));
        assert!(q[0].extra.as_deref().unwrap().contains("CampaignName"));
        let agents = page(json!([{"BusinessUnitId":9999999,"AgentId":999999,"UserName":"",
            "FirstName":"Administrator","LastName":"","Email":"","IsActive":false,"TeamId":999999,
            "TeamName":"Admin","ReportToId":null,"IsSupervisor":true,"LastLogin":null,
            "LastModified":"2015-08-18T19:03:46.21Z","InternalId":""}]));
        let Rows::Agents(a) = to_rows(Dataset::Agents, &agents).unwrap() else {
            panic!("agents")
        };
        let a = &a[0];
        assert_eq!(
            (a.id.as_str(), a.name.as_deref(), a.state.as_str()),
            ("999999", Some("Administrator"), "inactive")
        );
        assert_eq!(a.team_id.as_deref(), Some("999999"));
        assert_eq!(a.manager_id, None);
        assert_eq!(
            a.date_modified.unwrap().to_rfc3339(),
            "2015-08-18T19:03:46.210+00:00"
        );
    }

    #[test]
    fn unavailable_codes_accept_both_spellings_and_a_missing_id_is_malformed() {
        let codes = page(json!([
            {"id": 7, "name": "Lunch", "isActive": true, "isACW": false},
            {"unavailableCodeId": "8", "unavailableCode": "Training", "isActive": "False"}
        ]));
        let Rows::PresenceDefinitions(p) = to_rows(Dataset::PresenceDefinitions, &codes).unwrap()
        else {
            panic!("presence")
        };
        assert_eq!(
            p.iter()
                .map(|r| (r.id.as_str(), r.name.as_deref(), r.active))
                .collect::<Vec<_>>(),
            [("7", Some("Lunch"), true), ("8", Some("Training"), false)]
        );
        assert!(p[0].extra.as_deref().unwrap().contains("isACW"));
        let err = to_rows(Dataset::Teams, &page(json!([{"teamName": "x"}]))).unwrap_err();
        assert!(err.to_string().contains("without teamId"), "{err}");
    }
}
