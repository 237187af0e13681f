//! `agent_status` from `GET agents/state-history` (reference/cxone.md §2.6,
//! cxone-entities.md §9): one timeline of ACD states per agent, paged by `top`/`skip`, each state
//! ending at `startDate + duration`, cut and clipped to the day by [`StatusTimeline`].
//!
//! CXone has one timeline where Genesys has two. The state name becomes `system_presence`
//! (`InboundContact` → INBOUND_CONTACT), the unavailable code `organization_presence_id`, and the
//! routing status is inferred from the state the way `agent_intervals` reads the performance
//! report (Available → IDLE, a contact or consult → INTERACTING, Unavailable → OFF_QUEUE,
//! Refused → NOT_RESPONDING). Whether the endpoint also returns a state that began before
//! `startDate` is unverified; what it returns is clipped to the day either way.

use std::collections::BTreeMap;

use serde_json::Value;

use super::lenient::{self, Record};
use super::{SkipPager, cxone_date};
use crate::http::ApiClient;
use crate::sources::{RowSender, SliceReport, SliceRequest, SourceError};
use crate::transform::TransformError;
use crate::transform::agent_status::{StatusRecord, StatusTimeline};
use crate::transform::dimensions::upper_snake;

/// The routing status a CXone state stands for.
fn routing_of(state: &str) -> Option<&'static str> {
    let s = state.to_ascii_lowercase().replace([' ', '_'], "");
    Some(match s.as_str() {
        "available" => "IDLE",
        "unavailable" => "OFF_QUEUE",
        "refused" => "NOT_RESPONDING",
        _ if s.contains("contact") || s.contains("consult") || s == "dialer" => "INTERACTING",
        _ => return None,
    })
}

fn malformed(field: &'static str, value: String, reason: impl Into<String>) -> TransformError {
    TransformError::Malformed {
        field,
        value,
        reason: reason.into(),
    }
}

/// One state-history row as a status record, with its agent.
fn record(fields: &serde_json::Map<String, Value>) -> Result<(String, StatusRecord), TransformError> {
    let r = Record::new(fields);
    let field = |e: lenient::FieldError| malformed("agentStateHistory", e.value, format!("{} is not {}", e.field, e.expected));
    let agent = r
        .string(&["agentId"])
        .ok_or_else(|| malformed("agentId", Value::Object(fields.clone()).to_string(), "a state without agentId"))?;
    let start = r
        .timestamp(&["startDate"])
        .map_err(field)?
        .ok_or_else(|| malformed("startDate", agent.clone(), "a state without startDate"))?;
    let seconds = r.duration(&["duration"]).map_err(field)?;
    let end = match seconds {
        Some(s) if s <= 10.0 * 366.0 * 86_400.0 => chrono::Duration::try_milliseconds((s * 1000.0).round() as i64)
            .and_then(|d| start.checked_add_signed(d)),
        Some(s) => return Err(malformed("duration", s.to_string(), "not a duration a state can last")),
        None => None,
    };
    let name = r.string(&["agentStateName"]);
    Ok((
        agent,
        StatusRecord {
            start,
            end,
            system_presence: name.as_deref().map(|n| upper_snake(&n.replace(' ', ""))),
            organization_presence_id: r.string(&["outStateId"]).filter(|s| s != "0"),
            routing_status: name.as_deref().and_then(routing_of).map(str::to_string),
        },
    ))
}

/// Fetches one day of state history, `page_size` states a page (`contacts_page_size`, the
/// reporting page size), and hands over its `agent_status` rows, agent by agent.
pub async fn fetch(
    client: &ApiClient,
    slice: &SliceRequest,
    page_size: u64,
    rows: &RowSender,
) -> Result<SliceReport, SourceError> {
    let mut timelines: BTreeMap<String, StatusTimeline> = BTreeMap::new();
    let mut pager = SkipPager::new(
        client,
        "agents/state-history",
        "agentStateHistory",
        vec![
            ("startDate", cxone_date(slice.start)),
            ("endDate", cxone_date(slice.end)),
        ],
        page_size,
    );
    while let Some(page) = pager.next_page().await? {
        for fields in &page.rows {
            let (agent, state) = record(fields)?;
            // A state that lasts until the server's "now" is still running (its duration is the
            // time so far), so it is open.
            let state = if state.end.zip(page.polled).is_some_and(|(e, p)| e >= p) {
                StatusRecord { end: None, ..state }
            } else {
                state
            };
            timelines.entry(agent).or_default().presence(state);
        }
    }
    let fetched_at = chrono::Utc::now();
    let mut ongoing = 0u64;
    for (agent, timeline) in timelines {
        let agent_rows = timeline.rows(&agent, slice.start, slice.end, fetched_at);
        ongoing += agent_rows.iter().filter(|r| r.ongoing).count() as u64;
        rows.send(agent_rows).await?;
    }
    let mut provisional = Vec::new();
    if ongoing > 0 {
        provisional.push(format!(
            "{ongoing} state(s) were still going on (fetched again by a later run)"
        ));
    }
    Ok(SliceReport {
        days: Default::default(),
        details: BTreeMap::from([
            ("method".to_string(), Value::from("agents/state-history")),
            ("pages".to_string(), pager.pages().into()),
            ("records_received".to_string(), pager.received().into()),
        ]),
        skipped: BTreeMap::new(),
        provisional,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_reference_row_reads_as_an_unavailable_state_with_its_code() {
        // cxone.md §2.6's illustrative row.
        let row = json!({"stateIndex": 3, "startDate": "2024-05-01T13:02:11.123Z", "agentId": 1234567,
            "agentStateId": 2, "agentStateName": "Unavailable", "agentSessionId": 912345678,
            "contactId": 0, "outStateId": 15, "outStateDescription": "Lunch", "duration": "1800"});
        let (agent, state) = record(row.as_object().unwrap()).unwrap();
        assert_eq!(agent, "1234567");
        assert_eq!(state.system_presence.as_deref(), Some("UNAVAILABLE"));
        assert_eq!(state.routing_status.as_deref(), Some("OFF_QUEUE"));
        assert_eq!(state.organization_presence_id.as_deref(), Some("15"));
        assert_eq!(
            (state.end.unwrap() - state.start).num_seconds(),
            1800,
            "plain seconds"
        );
        for (name, routing) in [
            ("InboundContact", Some("INTERACTING")),
            ("OutboundConsult", Some("INTERACTING")),
            ("Available", Some("IDLE")),
            ("LoggedIn", None),
        ] {
            assert_eq!(routing_of(name), routing, "{name}");
        }
        assert_eq!(upper_snake("InboundContact"), "INBOUND_CONTACT");
    }
}
