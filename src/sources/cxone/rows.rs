//! CXone answers → the shared rows (any API version's field names, read by [`Record`]).
//!
//! - `queue_intervals` from skills summaries, one answer per interval. CXone reports averages, so
//!   sums are average × count (averages come in whole seconds: a sum is exact to half a second per
//!   conversation); statistics CXone does not report are null.
//! - `agent_intervals` from agent performance, one answer per interval. CXone has no presence
//!   breakdown, so those columns are null; `availableTime` is time ready for contacts (idle),
//!   `unavailableTime` time logged in but not ready (off queue), and handle time is the average
//!   handle time × contacts handled.
//! - `contacts` from completed contacts; handle time is agent (talk) + hold + after-call work.
//!
//! Every field without a column goes to `extra`. Values that no real answer holds (a duration of
//! ten thousand years, a non-finite number) are errors, never a wrapped or saturated value.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::lenient::{FieldError, Record};
use super::media_type;
use crate::transform::contacts::ContactAdmission;
use crate::transform::queue_intervals::{DurationStats, QueueDuration};
use crate::transform::{AgentIntervalRow, ContactRow, QueueIntervalRow, TransformError};

/// One interval's report rows: (start, end, records).
pub type ReportWindow = (DateTime<Utc>, DateTime<Utc>, Vec<Map<String, Value>>);

fn field_error(field: &'static str) -> impl Fn(FieldError) -> TransformError {
    move |e| TransformError::Malformed {
        field,
        value: e.value.clone(),
        reason: e.to_string(),
    }
}

/// Skills summaries as `queue_intervals` rows, sorted by interval, skill and media type.
pub fn queue_intervals(windows: &[ReportWindow]) -> Result<Vec<QueueIntervalRow>, TransformError> {
    let field = field_error("skillSummaries");
    let mut rows = Vec::new();
    for (start, end, records) in windows {
        for fields in records {
            let r = Record::new(fields);
            let offered = r.integer(&["contactsOffered"]).map_err(&field)?;
            let handled = r.integer(&["contactsHandled"]).map_err(&field)?;
            let times = |avg: Option<f64>, count: Option<i64>| match (avg, count) {
                (Some(a), Some(c)) => Some(a * c as f64),
                _ => None,
            };
            let asa = r.duration(&["averageSpeedToAnswer"]).map_err(&field)?;
            let in_queue = r.duration(&["averageInqueueTime"]).map_err(&field)?;
            let talk = r.duration(&["averageTalkTime"]).map_err(&field)?;
            let wrap = r.duration(&["averageWrapTime"]).map_err(&field)?;
            let aht = r.duration(&["averageHandleTime"]).map_err(&field)?;
            let hold = r.duration(&["holdTime"]).map_err(&field)?;
            let abandoned = r.integer(&["abandonCount"]).map_err(&field)?;
            let media_id = r.integer(&["mediaTypeId", "mediaType"]).map_err(&field)?;
            let media_name = r.string(&["mediaTypeName"]);
            let mut row = QueueIntervalRow {
                interval_start: *start,
                interval_end: *end,
                queue_id: r.string(&["skillId"]),
                media_type: media_type(media_id, media_name.as_deref()),
                offered,
                transferred: None,
                ..Default::default()
            };
            let stats = DurationStats::count_and_sum;
            for (which, value) in [
                (QueueDuration::Answer, stats(handled, times(asa, handled))),
                (QueueDuration::Abandon, stats(abandoned, None)),
                (QueueDuration::Wait, stats(offered, times(in_queue, offered))),
                (QueueDuration::Talk, stats(handled, times(talk, handled))),
                (QueueDuration::Hold, stats(None, hold)),
                (QueueDuration::Acw, stats(handled, times(wrap, handled))),
                (QueueDuration::Handle, stats(handled, times(aht, handled))),
            ] {
                row.set_duration(which, value);
            }
            row.extra = r.unused_json();
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| {
        (a.interval_start, &a.queue_id, &a.media_type).cmp(&(
            b.interval_start,
            &b.queue_id,
            &b.media_type,
        ))
    });
    Ok(rows)
}

/// Agent performance as `agent_intervals` rows, sorted by interval and agent.
pub fn agent_intervals(windows: &[ReportWindow]) -> Result<Vec<AgentIntervalRow>, TransformError> {
    let field = field_error("agentPerformance");
    let mut rows = Vec::new();
    for (start, end, records) in windows {
        for fields in records {
            let r = Record::new(fields);
            let Some(user_id) = r.string(&["agentId"]) else {
                return Err(TransformError::Malformed {
                    field: "agentPerformance",
                    value: Value::Object(fields.clone()).to_string(),
                    reason: "a row without agentId".into(),
                });
            };
            let d = |names: &[&str]| r.duration(names).map_err(&field);
            let inbound = d(&["inboundTime"])?;
            let outbound = d(&["outboundTime"])?;
            let handled = r.integer(&["totalHandled"]).map_err(&field)?;
            let aht = d(&["totalAvgHandleTime"])?;
            rows.push(AgentIntervalRow {
                interval_start: *start,
                interval_end: *end,
                user_id,
                login_seconds: d(&["loginTime"])?,
                idle_seconds: d(&["availableTime"])?,
                interacting_seconds: match (inbound, outbound) {
                    (None, None) => None,
                    (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
                },
                off_queue_seconds: d(&["unavailableTime"])?,
                handled,
                handle_seconds: match (aht, handled) {
                    (Some(a), Some(h)) => Some(((a * h as f64) * 1000.0).round() / 1000.0),
                    _ => None,
                },
                talk_seconds: d(&["totalTalkTime"])?,
                acw_seconds: d(&["acwTime"])?,
                extra: r.unused_json(),
                ..Default::default()
            });
        }
    }
    rows.sort_by(|a, b| {
        (a.interval_start, a.interval_end, &a.user_id).cmp(&(
            b.interval_start,
            b.interval_end,
            &b.user_id,
        ))
    });
    Ok(rows)
}

/// `start + seconds`, or an error when the result is not a representable instant.
fn end_after(start: DateTime<Utc>, seconds: f64) -> Result<DateTime<Utc>, TransformError> {
    let out_of_range = || TransformError::Malformed {
        field: "totalDurationSeconds",
        value: seconds.to_string(),
        reason: "not a duration a contact can last".into(),
    };
    // Ten years is beyond any contact; it also keeps the milliseconds far inside i64.
    if !(0.0..=10.0 * 366.0 * 86_400.0).contains(&seconds) {
        return Err(out_of_range());
    }
    let duration = chrono::Duration::try_milliseconds((seconds * 1000.0).round() as i64)
        .ok_or_else(out_of_range)?;
    start.checked_add_signed(duration).ok_or_else(out_of_range)
}

/// A completed-contacts page as `contacts` rows: each contact the admission keeps.
pub fn contacts(
    page: &[Map<String, Value>],
    admission: &mut ContactAdmission,
) -> Result<Vec<ContactRow>, TransformError> {
    let field = field_error("completedContacts");
    let mut rows = Vec::with_capacity(page.len());
    for fields in page {
        let r = Record::new(fields);
        let id = r
            .string(&["contactId"])
            .ok_or_else(|| TransformError::Malformed {
                field: "contactId",
                value: String::new(),
                reason: "a completed contact without contactId".into(),
            })?;
        if !admission.first_sight(&id) {
            continue;
        }
        let start = r
            .timestamp(&["contactStartDate", "contactStart"])
            .map_err(&field)?
            .ok_or_else(|| TransformError::Malformed {
                field: "contactStartDate",
                value: String::new(),
                reason: format!("missing on contact {id}"),
            })?;
        // Completed contacts have all ended.
        if !admission.belongs(start, true) {
            continue;
        }
        let total = r.duration(&["totalDurationSeconds"]).map_err(&field)?;
        let agent = r.string(&["agentId"]).filter(|a| a != "0");
        let secs = |names: &[&str]| r.duration(names).map_err(&field);
        let talk = secs(&["agentSeconds"])?;
        let hold = secs(&["holdSeconds"])?;
        let acw = secs(&["acwSeconds", "ACWSeconds"])?;
        let with_agent = |v: Option<f64>| agent.as_ref().map(|_| v.unwrap_or(0.0));
        let handle = agent
            .as_ref()
            .map(|_| talk.unwrap_or(0.0) + hold.unwrap_or(0.0) + acw.unwrap_or(0.0));
        let media_id = r.integer(&["mediaTypeId", "mediaType"]).map_err(&field)?;
        let media_name = r.string(&["mediaTypeName"]);
        let outbound = r.boolean(&["isOutbound"]).map_err(&field)?;
        let transferred = r
            .integer(&["transferIndicatorId"])
            .map_err(&field)?
            .is_some_and(|t| t != 0);
        let mut row = ContactRow {
            conversation_id: id,
            conversation_start: start,
            conversation_end: total.map(|t| end_after(start, t)).transpose()?,
            direction: outbound.map(|o| if o { "outbound" } else { "inbound" }.to_string()),
            media_type: media_type(media_id, media_name.as_deref()),
            first_queue_id: r.string(&["skillId"]).filter(|s| s != "0"),
            last_agent_id: agent.clone(),
            wrap_up_code: r.string(&["primaryDispositionId"]).filter(|s| s != "0"),
            abandoned: r.boolean(&["abandoned"]).map_err(&field)?.unwrap_or(false),
            transferred,
            disconnect_type: r.string(&["endReason"]),
            wait_seconds: secs(&["inQueueSeconds"])?,
            talk_seconds: with_agent(talk),
            hold_seconds: with_agent(hold),
            acw_seconds: with_agent(acw),
            handle_seconds: handle,
            ani: r.string(&["fromAddress", "fromAddr"]),
            dnis: r.string(&["toAddress", "toAddr"]),
            extra: None,
        };
        row.extra = r.unused_json();
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn admission() -> ContactAdmission {
        ContactAdmission::new(
            "2026-11-20T00:00:00Z".parse().unwrap(),
            "2026-11-21T00:00:00Z".parse().unwrap(),
        )
    }

    fn contact(overrides: Value) -> Map<String, Value> {
        let mut base = json!({
            "contactId": "1001",
            "contactStartDate": "2026-11-20T10:00:00Z",
            "totalDurationSeconds": 300,
            "agentId": "7",
            "agentSeconds": 200,
        });
        if let (Some(b), Some(o)) = (base.as_object_mut(), overrides.as_object()) {
            for (k, v) in o {
                b.insert(k.clone(), v.clone());
            }
        }
        base.as_object().cloned().unwrap()
    }

    #[test]
    fn a_contact_becomes_a_row_with_its_end_and_handle_time() {
        let rows = contacts(&[contact(json!({}))], &mut admission()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].conversation_end,
            Some("2026-11-20T10:05:00Z".parse().unwrap())
        );
        assert_eq!(rows[0].handle_seconds, Some(200.0));
    }

    #[test]
    fn hostile_numbers_are_errors_not_panics_or_wrapped_values() {
        for hostile in [
            json!({"totalDurationSeconds": 1e300}),
            json!({"totalDurationSeconds": 9.3e15}),
            json!({"totalDurationSeconds": -5}),
            json!({"totalDurationSeconds": "P99999999999W"}),
            json!({"totalDurationSeconds": "NaN"}),
            json!({"agentSeconds": "inf"}),
            json!({"transferIndicatorId": 1e300}),
            json!({"contactStartDate": "+262143-12-31T23:59:59Z"}),
        ] {
            let result = contacts(&[contact(hostile.clone())], &mut admission());
            match result {
                Err(TransformError::Malformed { .. }) => {}
                // A start outside the slice is not this slice's row: skipped, not an error.
                Ok(rows) if rows.is_empty() => {}
                other => panic!("{hostile}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_far_future_start_with_a_long_duration_does_not_overflow() {
        let mut wide = ContactAdmission::new(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        let near_the_end = (DateTime::<Utc>::MAX_UTC - chrono::Duration::seconds(10)).to_rfc3339();
        let result = contacts(
            &[contact(
                json!({"contactStartDate": near_the_end, "totalDurationSeconds": 3600}),
            )],
            &mut wide,
        );
        assert!(
            matches!(result, Err(TransformError::Malformed { .. })),
            "{result:?}"
        );
    }
}
