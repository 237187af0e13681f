//! `contact_segments` from `GET contacts/state-history` (cxone-entities.md §10): CXone has no
//! segment tree, so each contact state is a segment (`segment_type` = `contactStateName`).
//!
//! The endpoint filters states by their start, so a contact that starts late in the day has
//! states after midnight: the slice asks for its day and the [`LATE_STATES`] after it, and keeps
//! the contacts whose first state (`stateIndex` 1) began on the day and that have ended (an
//! `EndContact` state, or every state warehoused), as `contacts` does. Values of
//! `contactStateName` are not documented; they are kept as CXone sends them. Wrap-up code, point
//! of contact and team are contact-level facts of `contacts`, not of states.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::lenient::{self, Record};
use super::{SkipPager, cxone_date};
use crate::http::ApiClient;
use crate::sources::{RowSender, SliceReport, SliceRequest, SourceError};
use crate::transform::{ContactSegmentRow, TransformError};

/// How long after the day the states of its contacts are looked for.
pub const LATE_STATES: chrono::Duration = chrono::Duration::hours(6);

/// One state: (index, start, end, name, agent, skill, warehoused).
struct State {
    index: i64,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    name: Option<String>,
    agent: Option<String>,
    skill: Option<String>,
    warehoused: bool,
}

fn malformed(field: &'static str, value: String, reason: impl Into<String>) -> TransformError {
    TransformError::Malformed {
        field,
        value,
        reason: reason.into(),
    }
}

fn state(fields: &serde_json::Map<String, Value>) -> Result<(String, State), TransformError> {
    let r = Record::new(fields);
    let field = |e: lenient::FieldError| {
        malformed(
            "contactStateHistory",
            e.value,
            format!("{} is not {}", e.field, e.expected),
        )
    };
    let contact = r.string(&["contactId"]).ok_or_else(|| {
        malformed(
            "contactId",
            Value::Object(fields.clone()).to_string(),
            "a state without contactId",
        )
    })?;
    let start = r
        .timestamp(&["startDate"])
        .map_err(field)?
        .ok_or_else(|| malformed("startDate", contact.clone(), "a state without startDate"))?;
    let end = match r.duration(&["duration"]).map_err(field)? {
        Some(s) if s <= 10.0 * 366.0 * 86_400.0 => {
            chrono::Duration::try_milliseconds((s * 1000.0).round() as i64)
                .and_then(|d| start.checked_add_signed(d))
        }
        Some(s) => {
            return Err(malformed(
                "duration",
                s.to_string(),
                "not a duration a state can last",
            ));
        }
        None => None,
    };
    Ok((
        contact,
        State {
            index: r.integer(&["stateIndex"]).map_err(field)?.unwrap_or(0),
            start,
            end,
            name: r.string(&["contactStateName"]),
            agent: r.string(&["agentId"]).filter(|a| a != "0"),
            skill: r.string(&["skillId"]).filter(|s| s != "0"),
            warehoused: r.boolean(&["isWarehoused"]).map_err(field)?.unwrap_or(false),
        },
    ))
}

/// Fetches the states of the slice's contacts, `page_size` a page, and hands over their rows.
pub async fn fetch(
    client: &ApiClient,
    slice: &SliceRequest,
    page_size: u64,
    rows: &RowSender,
) -> Result<SliceReport, SourceError> {
    let mut contacts: BTreeMap<String, Vec<State>> = BTreeMap::new();
    let until = slice
        .end
        .checked_add_signed(LATE_STATES)
        .unwrap_or(slice.end);
    let mut pager = SkipPager::new(
        client,
        "contacts/state-history",
        "contactStateHistory",
        vec![
            ("startDate", cxone_date(slice.start)),
            ("endDate", cxone_date(until)),
        ],
        page_size,
    );
    while let Some(page) = pager.next_page().await? {
        for fields in &page.rows {
            let (contact, s) = state(fields)?;
            contacts.entry(contact).or_default().push(s);
        }
    }
    let (mut earlier, mut later, mut ongoing) = (0u64, 0u64, 0u64);
    let mut out = Vec::new();
    for (contact, mut states) in contacts {
        states.sort_by_key(|s| (s.index, s.start));
        let Some(first) = states.first() else {
            continue;
        };
        // Its first state is elsewhere: the contact began before the day.
        if first.index > 1 {
            earlier += 1;
            continue;
        }
        if first.start >= slice.end {
            later += 1;
            continue;
        }
        let ended = states
            .iter()
            .any(|s| s.name.as_deref() == Some("EndContact"))
            || states.iter().all(|s| s.warehoused);
        if !ended {
            ongoing += 1;
            continue;
        }
        let conversation_start = first.start;
        for (i, s) in states.into_iter().enumerate() {
            out.push(ContactSegmentRow {
                conversation_id: contact.clone(),
                conversation_start,
                participant_id: None,
                purpose: None,
                user_id: s.agent,
                session_id: None,
                media_type: None,
                segment_index: i as i64,
                segment_type: s.name,
                segment_start: s.start,
                segment_end: s.end,
                duration_seconds: s
                    .end
                    .map(|e| (e - s.start).num_milliseconds() as f64 / 1000.0),
                queue_id: s.skill,
                wrap_up_code: None,
                disconnect_type: None,
            });
        }
        if out.len() >= 5000 {
            rows.send(std::mem::take(&mut out)).await?;
        }
    }
    rows.send(out).await?;
    let mut skipped = BTreeMap::new();
    for (reason, n) in [
        // Contacts of the neighbouring days, whose states the windows overlap: theirs, not lost.
        ("previous_day", earlier),
        ("next_day", later),
        ("ongoing", ongoing),
    ] {
        if n > 0 {
            skipped.insert(reason.to_string(), n);
        }
    }
    let mut provisional = Vec::new();
    if ongoing > 0 {
        provisional.push(format!(
            "{ongoing} contact(s) were still going on (left for a later run)"
        ));
    }
    Ok(SliceReport {
        days: Default::default(),
        details: BTreeMap::from([
            ("method".to_string(), Value::from("contacts/state-history")),
            ("pages".to_string(), pager.pages().into()),
            ("records_received".to_string(), pager.received().into()),
        ]),
        skipped,
        provisional,
    })
}
