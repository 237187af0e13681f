//! Genesys answers → the shared rows of every dataset.
//!
//! - `queue_intervals`: each `data[]` entry of each `results[]` group of the conversation
//!   aggregates query is one row. Count metrics (`n*`) give their `count`; duration metrics (`t*`)
//!   give count, sum, min and max, converted from milliseconds to seconds. A metric absent from an
//!   interval means none occurred: its count is 0, its sum 0 and its min/max null.
//! - `agent_intervals`: the users aggregates query (time per system presence and routing status,
//!   by `qualifier`) joined with the conversation aggregates query grouped by `userId`.
//! - `metrics`: every aggregates query file, losslessly, in long format.
//! - `contacts`: conversation details; totals are sums of the participants' session metrics
//!   (talk, hold, after-call work and handle time from agent sessions, queue time from `tAcd`),
//!   the first queue is the earliest segment with a queue, the last agent the agent participant
//!   whose work started last.
//!
//! Anything the API sends beyond the columns goes to `extra`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::conversation_page::{
    Conversation, ConversationPage, OtherMember, Participant, Session,
};
use super::model::{AggregateQueryResponse, StatisticalSummary};
use crate::transform::contacts::ContactAdmission;
use crate::transform::queue_intervals::{DurationStats, QueueDuration};
use crate::transform::{
    AgentIntervalRow, ContactColumns, ContactSegmentRow, ContactValues, MetricRow,
    QueueIntervalRow, TransformError,
};

/// Count metrics of `queue_intervals`.
const COUNT_METRICS: [&str; 2] = ["nOffered", "nTransferred"];

/// Duration metrics of `queue_intervals` and the column group each fills.
const DURATION_METRICS: [(&str, QueueDuration); 7] = [
    ("tAnswered", QueueDuration::Answer),
    ("tAbandon", QueueDuration::Abandon),
    ("tWait", QueueDuration::Wait),
    ("tTalk", QueueDuration::Talk),
    ("tHeld", QueueDuration::Hold),
    ("tAcw", QueueDuration::Acw),
    ("tHandle", QueueDuration::Handle),
];

/// Parses a Genesys `start/end` interval.
pub fn parse_interval(text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), TransformError> {
    let malformed = |reason: &str| TransformError::Malformed {
        field: "interval",
        value: text.to_string(),
        reason: reason.to_string(),
    };
    let (a, b) = text
        .split_once('/')
        .ok_or_else(|| malformed("expected start/end"))?;
    let start = DateTime::parse_from_rfc3339(a).map_err(|e| malformed(&e.to_string()))?;
    let end = DateTime::parse_from_rfc3339(b).map_err(|e| malformed(&e.to_string()))?;
    if end <= start {
        return Err(malformed("end is not after start"));
    }
    Ok((start.with_timezone(&Utc), end.with_timezone(&Utc)))
}

fn group_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn stats_json(stats: &StatisticalSummary, qualifier: Option<&str>) -> Value {
    let mut m = Map::new();
    if let Some(q) = qualifier {
        m.insert("qualifier".into(), Value::String(q.to_string()));
    }
    for (k, v) in [
        ("count", stats.count.map(Value::from)),
        ("sum", stats.sum.map(Value::from)),
        ("min", stats.min.map(Value::from)),
        ("max", stats.max.map(Value::from)),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    }
    for (k, v) in &stats.other {
        m.insert(k.clone(), v.clone());
    }
    Value::Object(m)
}

/// A conversation aggregates answer as `queue_intervals` rows, sorted by interval, queue and
/// media type.
pub fn queue_intervals(
    response: &AggregateQueryResponse,
) -> Result<Vec<QueueIntervalRow>, TransformError> {
    let mut rows = Vec::new();
    for result in &response.results {
        let mut group = result.group.clone();
        let queue_id = group.remove("queueId").map(|v| group_value(&v));
        let media_type = group.remove("mediaType").map(|v| group_value(&v));
        for point in &result.data {
            let (start, end) = parse_interval(&point.interval)?;
            let mut row = QueueIntervalRow {
                interval_start: start,
                interval_end: end,
                queue_id: queue_id.clone(),
                media_type: media_type.clone(),
                offered: Some(0),
                transferred: Some(0),
                ..Default::default()
            };
            for (_, which) in DURATION_METRICS {
                row.set_duration(which, DurationStats::ZERO);
            }
            let mut other_metrics = Map::new();
            let mut other_stats = Map::new();
            for metric in &point.metrics {
                let name = metric.metric.as_str();
                let stats = &metric.stats;
                let mapped = metric.qualifier.is_none();
                if mapped && COUNT_METRICS.contains(&name) {
                    let count = Some(stats.count.unwrap_or(0));
                    if name == "nOffered" {
                        row.offered = count;
                    } else {
                        row.transferred = count;
                    }
                    if stats.sum.is_some()
                        || stats.min.is_some()
                        || stats.max.is_some()
                        || !stats.other.is_empty()
                    {
                        other_stats.insert(name.to_string(), stats_json(stats, None));
                    }
                } else if let Some((_, which)) = DURATION_METRICS
                    .iter()
                    .find(|(m, _)| *m == name)
                    .filter(|_| mapped)
                {
                    row.set_duration(
                        *which,
                        DurationStats {
                            count: Some(stats.count.unwrap_or(0)),
                            sum_seconds: Some(stats.sum.unwrap_or(0.0) / 1000.0),
                            min_seconds: stats.min.map(|v| v / 1000.0),
                            max_seconds: stats.max.map(|v| v / 1000.0),
                        },
                    );
                    if !stats.other.is_empty() {
                        let other = StatisticalSummary {
                            other: stats.other.clone(),
                            ..Default::default()
                        };
                        other_stats.insert(name.to_string(), stats_json(&other, None));
                    }
                } else {
                    let entry = stats_json(stats, metric.qualifier.as_deref());
                    match other_metrics.get_mut(name) {
                        // Qualified metrics repeat per qualifier: keep all of them.
                        Some(Value::Array(list)) => list.push(entry),
                        Some(existing) => *existing = Value::Array(vec![existing.clone(), entry]),
                        None => {
                            other_metrics.insert(name.to_string(), entry);
                        }
                    }
                }
            }
            let mut extra = BTreeMap::new();
            if !group.is_empty() {
                extra.insert("group", Value::Object(group.clone().into_iter().collect()));
            }
            if !other_metrics.is_empty() {
                extra.insert("metrics", Value::Object(other_metrics));
            }
            if !other_stats.is_empty() {
                extra.insert("stats", Value::Object(other_stats));
            }
            if !point.views.is_empty() {
                extra.insert("views", Value::Array(point.views.clone()));
            }
            row.extra = if extra.is_empty() {
                None
            } else {
                serde_json::to_string(&extra).ok()
            };
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| {
        (a.interval_start, &a.queue_id, &a.media_type, a.interval_end).cmp(&(
            b.interval_start,
            &b.queue_id,
            &b.media_type,
            b.interval_end,
        ))
    });
    Ok(rows)
}

/// System presences with a column.
const PRESENCES: [&str; 8] = [
    "ON_QUEUE", "AVAILABLE", "AWAY", "BUSY", "BREAK", "MEAL", "MEETING", "TRAINING",
];

/// Routing statuses with a column.
const ROUTING_STATUSES: [&str; 5] = [
    "IDLE",
    "INTERACTING",
    "NOT_RESPONDING",
    "COMMUNICATING",
    "OFF_QUEUE",
];

/// (interval start, interval end, user id).
type AgentKey = (DateTime<Utc>, DateTime<Utc>, String);

#[derive(Default)]
struct AgentAccumulator {
    presence: BTreeMap<String, f64>,
    routing: BTreeMap<String, f64>,
    org_presence: BTreeMap<String, f64>,
    /// handled, handle, talk, hold, acw (seconds), transferred.
    conversation: BTreeMap<&'static str, f64>,
    other: Map<String, Value>,
}

/// Conversation metrics of `agent_intervals`: (metric, slot, statistic).
const CONVERSATION_METRICS: [(&str, &str, &str); 6] = [
    ("tHandle", "handled", "count"),
    ("tHandle", "handle_seconds", "sum"),
    ("tTalk", "talk_seconds", "sum"),
    ("tHeld", "hold_seconds", "sum"),
    ("tAcw", "acw_seconds", "sum"),
    ("nTransferred", "transferred", "count"),
];

/// The users aggregates answer (`presence`) joined with the conversation aggregates by `userId`
/// (`conversations`), as `agent_intervals` rows sorted by interval and user, and how many groups
/// had no `userId` (counted, since they cannot become an agent's row).
pub fn agent_intervals(
    presence: &AggregateQueryResponse,
    conversations: &AggregateQueryResponse,
) -> Result<(Vec<AgentIntervalRow>, u64), TransformError> {
    let mut without_user = 0u64;
    let mut rows: BTreeMap<AgentKey, AgentAccumulator> = BTreeMap::new();
    let user = |group: &BTreeMap<String, Value>| {
        group
            .get("userId")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    for result in &presence.results {
        let Some(user_id) = user(&result.group) else {
            without_user += 1;
            continue;
        };
        for point in &result.data {
            let (start, end) = parse_interval(&point.interval)?;
            let row = rows.entry((start, end, user_id.clone())).or_default();
            for m in &point.metrics {
                let seconds = m.stats.sum.unwrap_or(0.0) / 1000.0;
                let qualifier = m.qualifier.clone().unwrap_or_default();
                let target = match m.metric.as_str() {
                    "tSystemPresence" => &mut row.presence,
                    "tAgentRoutingStatus" => &mut row.routing,
                    "tOrganizationPresence" => &mut row.org_presence,
                    other => {
                        row.other
                            .insert(format!("{other}:{qualifier}"), Value::from(seconds));
                        continue;
                    }
                };
                *target.entry(qualifier).or_default() += seconds;
            }
        }
    }
    for result in &conversations.results {
        let Some(user_id) = user(&result.group) else {
            without_user += 1;
            continue;
        };
        for point in &result.data {
            let (start, end) = parse_interval(&point.interval)?;
            let row = rows.entry((start, end, user_id.clone())).or_default();
            for m in &point.metrics {
                let mut mapped = false;
                for (metric, slot, stat) in CONVERSATION_METRICS {
                    if m.metric == metric {
                        let value = match stat {
                            "count" => m.stats.count.unwrap_or(0) as f64,
                            _ => m.stats.sum.unwrap_or(0.0) / 1000.0,
                        };
                        row.conversation.insert(slot, value);
                        mapped = true;
                    }
                }
                if !mapped {
                    let stats = serde_json::json!({"count": m.stats.count, "sum": m.stats.sum, "min": m.stats.min, "max": m.stats.max});
                    row.other.insert(m.metric.clone(), stats);
                }
            }
        }
    }
    Ok((
        rows.into_iter()
            .map(|((start, end, user_id), acc)| agent_row(start, end, user_id, acc))
            .collect(),
        without_user,
    ))
}

fn agent_row(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    user_id: String,
    acc: AgentAccumulator,
) -> AgentIntervalRow {
    let presence = |q: &str| Some(acc.presence.get(q).copied().unwrap_or(0.0));
    let routing = |q: &str| Some(acc.routing.get(q).copied().unwrap_or(0.0));
    let conversation = |slot: &str| acc.conversation.get(slot).copied().unwrap_or(0.0);
    let mut extra = Map::new();
    let unmapped = |m: &BTreeMap<String, f64>, known: &[&str]| -> Map<String, Value> {
        m.iter()
            .filter(|(q, _)| !known.contains(&q.as_str()))
            .map(|(q, v)| (q.clone(), Value::from(*v)))
            .collect()
    };
    let other_presence = unmapped(&acc.presence, &PRESENCES);
    if !other_presence.is_empty() {
        extra.insert(
            "system_presence_seconds".into(),
            Value::Object(other_presence),
        );
    }
    let other_routing = unmapped(&acc.routing, &ROUTING_STATUSES);
    if !other_routing.is_empty() {
        extra.insert(
            "routing_status_seconds".into(),
            Value::Object(other_routing),
        );
    }
    if !acc.org_presence.is_empty() {
        extra.insert(
            "organization_presence_seconds".into(),
            Value::Object(unmapped(&acc.org_presence, &[])),
        );
    }
    if !acc.other.is_empty() {
        extra.insert("metrics".into(), Value::Object(acc.other.clone()));
    }
    AgentIntervalRow {
        interval_start: start,
        interval_end: end,
        user_id,
        login_seconds: Some(
            acc.presence
                .iter()
                .filter(|(q, _)| q.as_str() != "OFFLINE")
                .map(|(_, v)| v)
                // Not `sum()`: an empty f64 sum is -0.0, which readers print as "-0.0".
                .fold(0.0, |total, v| total + v),
        ),
        on_queue_seconds: presence("ON_QUEUE"),
        available_seconds: presence("AVAILABLE"),
        away_seconds: presence("AWAY"),
        busy_seconds: presence("BUSY"),
        break_seconds: presence("BREAK"),
        meal_seconds: presence("MEAL"),
        meeting_seconds: presence("MEETING"),
        training_seconds: presence("TRAINING"),
        idle_seconds: routing("IDLE"),
        interacting_seconds: routing("INTERACTING"),
        not_responding_seconds: routing("NOT_RESPONDING"),
        communicating_seconds: routing("COMMUNICATING"),
        off_queue_seconds: routing("OFF_QUEUE"),
        handled: Some(conversation("handled") as i64),
        handle_seconds: Some(conversation("handle_seconds")),
        talk_seconds: Some(conversation("talk_seconds")),
        hold_seconds: Some(conversation("hold_seconds")),
        acw_seconds: Some(conversation("acw_seconds")),
        transferred: Some(conversation("transferred") as i64),
        extra: (!extra.is_empty()).then(|| Value::Object(extra).to_string()),
    }
}

/// Statistics of `metrics` with a column, and whether they carry a duration.
const FLOAT_STATS: [(&str, bool); 10] = [
    ("sum", true),
    ("min", true),
    ("max", true),
    ("current", true),
    ("ratio", false),
    ("numerator", false),
    ("denominator", false),
    ("target", false),
    ("p95", true),
    ("p99", true),
];

fn float_stat<'r>(row: &'r mut MetricRow, name: &str) -> Option<&'r mut Option<f64>> {
    Some(match name {
        "sum" => &mut row.sum,
        "min" => &mut row.min,
        "max" => &mut row.max,
        "current" => &mut row.current,
        "ratio" => &mut row.ratio,
        "numerator" => &mut row.numerator,
        "denominator" => &mut row.denominator,
        "target" => &mut row.target,
        "p95" => &mut row.p95,
        "p99" => &mut row.p99,
        _ => return None,
    })
}

fn unit_of(metric: &str) -> &'static str {
    if metric.starts_with('t') {
        "seconds"
    } else if metric.starts_with('n') {
        "count"
    } else {
        "value"
    }
}

/// One aggregates query's answer as `metrics` rows (in answer order).
pub fn metrics(
    query: &str,
    response: &AggregateQueryResponse,
) -> Result<Vec<MetricRow>, TransformError> {
    let mut rows = Vec::new();
    for result in &response.results {
        let group: BTreeMap<&str, String> = result
            .group
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect();
        let group_keys = serde_json::to_string(&group).unwrap_or_else(|_| "{}".into());
        for point in &result.data {
            let (start, end) = parse_interval(&point.interval)?;
            for (i, metric) in point.metrics.iter().enumerate() {
                let unit = unit_of(&metric.metric);
                let stats = &metric.stats;
                let mut row = MetricRow {
                    query: query.to_string(),
                    interval_start: start,
                    interval_end: end,
                    group_keys: group_keys.clone(),
                    queue_id: group.get("queueId").cloned(),
                    media_type: group.get("mediaType").cloned(),
                    user_id: group.get("userId").cloned(),
                    metric: metric.metric.clone(),
                    qualifier: metric.qualifier.clone(),
                    unit: unit.to_string(),
                    count: stats.count,
                    ..Default::default()
                };
                let known = [("sum", stats.sum), ("min", stats.min), ("max", stats.max)];
                for (name, is_duration) in FLOAT_STATS {
                    let value = known
                        .iter()
                        .find(|(k, _)| *k == name)
                        .and_then(|(_, v)| *v)
                        .or_else(|| stats.other.get(name).and_then(Value::as_f64));
                    if let Some(slot) = float_stat(&mut row, name) {
                        *slot = value.map(|v| {
                            if is_duration && unit == "seconds" {
                                v / 1000.0
                            } else {
                                v
                            }
                        });
                    }
                }
                let mut extra = Map::new();
                for (k, v) in &stats.other {
                    if !FLOAT_STATS.iter().any(|(name, _)| name == k) {
                        extra.insert(k.clone(), v.clone());
                    }
                }
                // The interval's views are kept once, with its first metric.
                if i == 0 && !point.views.is_empty() {
                    extra.insert("views".into(), Value::Array(point.views.clone()));
                }
                row.extra = (!extra.is_empty()).then(|| Value::Object(extra).to_string());
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

/// An RFC 3339 time as UTC: the form Genesys writes (`2026-11-20T09:03:07.123Z`) read directly,
/// any other (an offset, a leap second, a lower-case `t`) and any error by `chrono`.
pub(crate) fn instant(field: &'static str, text: &str) -> Result<DateTime<Utc>, TransformError> {
    if let Some(t) = utc_instant(text) {
        return Ok(t);
    }
    instant_in_full(field, text)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (1 to 9 fraction digits) as the time it names; `None` for
/// any other text, which `chrono` then reads (or refuses).
fn utc_instant(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() < 20
        || b.len() == 21
        || b.len() > 30
        || (b[4], b[7], b[10], b[13], b[16]) != (b'-', b'-', b'T', b':', b':')
        || b[b.len() - 1] != b'Z'
    {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', fraction @ ..] => number(fraction)? * 10u32.pow(9 - fraction.len() as u32),
        _ => return None,
    };
    chrono::NaiveDate::from_ymd_opt(number(&b[0..4])? as i32, number(&b[5..7])?, number(&b[8..10])?)?
        .and_hms_nano_opt(number(&b[11..13])?, number(&b[14..16])?, number(&b[17..19])?, nanos)
        .map(|t| t.and_utc())
}

#[cold]
fn instant_in_full(field: &'static str, text: &str) -> Result<DateTime<Utc>, TransformError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| TransformError::Malformed {
            field,
            value: text.to_string(),
            reason: e.to_string(),
        })
}

/// The conversations of a details page, read before admission: the rows of those that started
/// in the slice and have ended, and what the admission counts the others by. Pages are read
/// where they are parsed (borrowed from the answer's bytes); the admission, which keeps state,
/// runs after.
#[derive(Debug)]
pub struct PageContacts {
    /// The `contacts` rows of the conversations that started in the slice and have ended, in
    /// page order.
    contacts: ContactColumns,
    /// Their `contact_segments` rows (when asked for), a list a `contacts` row.
    segments: Vec<Vec<ContactSegmentRow>>,
    /// Every conversation of the page, in page order.
    order: Vec<PageConversation>,
}

/// A conversation of a details page, as the admission meets it.
#[derive(Debug)]
enum PageConversation {
    /// Started in the slice and ended: its row in [`PageContacts::contacts`].
    Complete(usize),
    /// Started outside the slice, or still going on.
    Elsewhere {
        id: String,
        start: DateTime<Utc>,
        ended: bool,
    },
}

/// The conversations of a details page for the slice `[start, end)`, with their segments when
/// `segments`. A conversation without a readable start is an error, whichever slice it is for.
pub fn page_conversations(
    page: &ConversationPage<'_>,
    (slice_start, slice_end): (DateTime<Utc>, DateTime<Utc>),
    segments: bool,
) -> Result<PageContacts, TransformError> {
    let mut out = PageContacts {
        contacts: ContactColumns::default(),
        segments: Vec::new(),
        order: Vec::with_capacity(page.conversations.len()),
    };
    out.contacts.reserve(page.conversations.len());
    for c in &page.conversations {
        let start_text =
            c.conversation_start
                .as_deref()
                .ok_or_else(|| TransformError::Malformed {
                    field: "conversationStart",
                    value: String::new(),
                    reason: format!("missing on conversation {}", c.conversation_id),
                })?;
        let start = instant("conversationStart", start_text)?;
        let ended = c.conversation_end.is_some();
        if start < slice_start || start >= slice_end || !ended {
            out.order.push(PageConversation::Elsewhere {
                id: c.conversation_id.to_string(),
                start,
                ended,
            });
            continue;
        }
        contact(page, c, start, &mut out.contacts)?;
        if segments {
            out.segments.push(conversation_segments(page, c, start)?);
        }
        out.order
            .push(PageConversation::Complete(out.contacts.len() - 1));
    }
    Ok(out)
}

/// The rows of the conversations `admission` keeps (once each, started in the slice, ended):
/// `contacts` rows and their segments.
pub fn admit(
    mut page: PageContacts,
    admission: &mut ContactAdmission,
) -> (ContactColumns, Vec<ContactSegmentRow>) {
    let mut kept = Vec::with_capacity(page.contacts.len());
    for conversation in &page.order {
        match conversation {
            PageConversation::Complete(row) => {
                let row = *row;
                if admission.first_sight(page.contacts.conversation_id(row))
                    && admission.belongs(page.contacts.conversation_start(row), true)
                {
                    kept.push(row);
                }
            }
            PageConversation::Elsewhere { id, start, ended } => {
                if admission.first_sight(id) {
                    admission.belongs(*start, *ended);
                }
            }
        }
    }
    let mut segments = Vec::new();
    for &row in &kept {
        if let Some(found) = page.segments.get_mut(row) {
            segments.append(found);
        }
    }
    // Kept rows are in page order: all of them is the page's rows as they are.
    let contacts = if kept.len() == page.contacts.len() {
        page.contacts
    } else {
        page.contacts.gather(&kept)
    };
    (contacts, segments)
}

/// One conversation's segments: one row per participant × session × segment, numbered by start
/// within the session.
fn conversation_segments(
    page: &ConversationPage<'_>,
    c: &Conversation<'_>,
    start: DateTime<Utc>,
) -> Result<Vec<ContactSegmentRow>, TransformError> {
    let mut rows = Vec::new();
    for p in page.participants(c) {
        for session in page.sessions(p) {
            let mut segments = Vec::with_capacity(session.segments.len());
            for segment in page.segments(session) {
                let Some(begin) = segment.segment_start.as_deref() else {
                    return Err(TransformError::Malformed {
                        field: "segmentStart",
                        value: String::new(),
                        reason: format!("missing on a segment of {}", c.conversation_id),
                    });
                };
                let begin = instant("segmentStart", begin)?;
                let end = segment
                    .segment_end
                    .as_deref()
                    .map(|t| instant("segmentEnd", t))
                    .transpose()?;
                segments.push((begin, end, segment));
            }
            // The API has no segment id: the order by start within the session names one.
            segments.sort_by_key(|(begin, _, _)| *begin);
            for (index, (begin, end, segment)) in segments.into_iter().enumerate() {
                rows.push(ContactSegmentRow {
                    conversation_id: c.conversation_id.to_string(),
                    conversation_start: start,
                    participant_id: owned(&p.participant_id),
                    purpose: owned(&p.purpose),
                    user_id: owned(&p.user_id),
                    session_id: owned(&session.session_id),
                    media_type: owned(&session.media_type),
                    segment_index: index as i64,
                    segment_type: owned(&segment.segment_type),
                    segment_start: begin,
                    segment_end: end,
                    duration_seconds: end.map(|e| (e - begin).num_milliseconds() as f64 / 1000.0),
                    queue_id: owned(&segment.queue_id),
                    wrap_up_code: owned(&segment.wrap_up_code),
                    disconnect_type: owned(&segment.disconnect_type),
                });
            }
        }
    }
    Ok(rows)
}

/// A page's text, copied into a row.
fn owned(text: &Option<Cow<'_, str>>) -> Option<String> {
    text.as_deref().map(str::to_string)
}

/// Appends the `contacts` row of conversation `c` to `rows` (nothing on an error).
fn contact(
    page: &ConversationPage<'_>,
    c: &Conversation<'_>,
    start: DateTime<Utc>,
    rows: &mut ContactColumns,
) -> Result<(), TransformError> {
    let end = c
        .conversation_end
        .as_deref()
        .map(|t| instant("conversationEnd", t))
        .transpose()?;
    let participants = page.participants(c);
    let is = |purpose: &str, p: &Participant| p.purpose.as_deref() == Some(purpose);
    let customer = || {
        participants
            .iter()
            .filter(|p| is("customer", p))
            .flat_map(|p| page.sessions(p))
    };
    let agents = || participants.iter().filter(|p| is("agent", p));
    let agent_sessions = || agents().flat_map(|p| page.sessions(p));
    let all_sessions = || participants.iter().flat_map(|p| page.sessions(p));
    let all_metrics = ContactMetrics::of(page, all_sessions());
    let agent_metrics = ContactMetrics::of(page, agent_sessions());
    // Borrowed from the page throughout: only the values that land in the row are copied.
    let first_segment_start = |p: &Participant| {
        page.sessions(p)
            .iter()
            .flat_map(|s| page.segments(s))
            .filter_map(|s| s.segment_start.as_deref())
            .min()
    };
    let last_agent = agents()
        .max_by_key(|p| first_segment_start(p))
        .and_then(|p| p.user_id.as_deref());
    // The earliest (start, queue) and the latest (start, wrap-up code), ties broken by the value
    // as a sort of the pairs would.
    let first_queue = all_sessions()
        .flat_map(|s| page.segments(s))
        .filter_map(|s| Some((s.segment_start.as_deref()?, s.queue_id.as_deref()?)))
        .min();
    let last_wrapup = agent_sessions()
        .flat_map(|s| page.segments(s))
        .filter(|s| s.segment_type.as_deref() == Some("wrapup"))
        .filter_map(|s| {
            Some((
                s.segment_start.as_deref().unwrap_or_default(),
                s.wrap_up_code.as_deref()?,
            ))
        })
        .max();
    // The customer's last segment to start (the last of equals, as a stable sort would put it).
    let last_customer_segment = customer()
        .flat_map(|s| page.segments(s))
        .reduce(|last, s| if s.segment_start >= last.segment_start { s } else { last });
    let seconds = |total: Option<f64>| total.unwrap_or(0.0) / 1000.0;
    let has_agent = agents().next().is_some();
    let agent_total = |total: Option<f64>| has_agent.then(|| seconds(total));
    let media_type = customer()
        .chain(all_sessions())
        .find_map(|s| s.media_type.as_deref());
    // Participant data by purpose (a later participant of the same purpose wins, as a map
    // insert would).
    let attributes: BTreeMap<&str, &[OtherMember<'_>]> = participants
        .iter()
        .filter_map(|p| Some((p.purpose.as_deref().unwrap_or_default(), page.attributes(p)?)))
        .collect();
    let values = ContactValues {
        conversation_id: &c.conversation_id,
        conversation_start: start,
        conversation_end: end,
        direction: c.originating_direction.as_deref(),
        media_type,
        first_queue_id: first_queue.map(|(_, q)| q),
        last_agent_id: last_agent,
        wrap_up_code: last_wrapup.map(|(_, w)| w),
        abandoned: all_metrics.abandon.is_some(),
        transferred: all_metrics.transferred.is_some_and(|n| n > 0.0),
        disconnect_type: last_customer_segment.and_then(|s| s.disconnect_type.as_deref()),
        wait_seconds: all_metrics.acd.map(|_| seconds(all_metrics.acd)),
        talk_seconds: agent_total(agent_metrics.talk),
        hold_seconds: agent_total(agent_metrics.held),
        acw_seconds: agent_total(agent_metrics.acw),
        handle_seconds: agent_total(agent_metrics.handle),
        ani: customer().find_map(|s| s.ani.as_deref()),
        dnis: customer().find_map(|s| s.dnis.as_deref()),
    };
    rows.push(&values, |out| {
        contact_extra(&attributes, page.other(c), out).is_some()
    });
    Ok(())
}

/// The session metrics a `contacts` row reads, each summed over the sessions in their order, and
/// `None` where no session has it (absent is not zero: `abandoned`, `wait_seconds`).
#[derive(Debug, Default)]
struct ContactMetrics {
    abandon: Option<f64>,
    transferred: Option<f64>,
    acd: Option<f64>,
    talk: Option<f64>,
    held: Option<f64>,
    acw: Option<f64>,
    handle: Option<f64>,
}

impl ContactMetrics {
    fn of<'s, 'a: 's>(
        page: &ConversationPage<'a>,
        sessions: impl Iterator<Item = &'s Session<'a>>,
    ) -> Self {
        let mut m = Self::default();
        for session in sessions {
            for metric in page.metrics(session) {
                let total = match metric.name.as_ref() {
                    "tAbandon" => &mut m.abandon,
                    "nTransferred" => &mut m.transferred,
                    "tAcd" => &mut m.acd,
                    "tTalk" => &mut m.talk,
                    "tHeld" => &mut m.held,
                    "tAcw" => &mut m.acw,
                    "tHandle" => &mut m.handle,
                    _ => continue,
                };
                *total.get_or_insert(0.0) += metric.value;
            }
        }
        m
    }
}

/// Writes the `extra` of a contact to `out`: `{"attributes": {purpose: data}, "conversation": {member: value}}`,
/// each part only when there is something in it, written as `serde_json` writes a map of them
/// (keys in order, no spaces) without building one: the members are already JSON text, in key
/// order ([`ConversationPage::other`], [`ConversationPage::attributes`]).
fn contact_extra(
    attributes: &BTreeMap<&str, &[OtherMember<'_>]>,
    conversation: &[OtherMember<'_>],
    out: &mut String,
) -> Option<()> {
    if attributes.is_empty() && conversation.is_empty() {
        return None;
    }
    out.push('{');
    if !attributes.is_empty() {
        out.push_str(r#""attributes":{"#);
        for (i, (purpose, members)) in attributes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_key(out, purpose)?;
            push_object(out, members)?;
        }
        out.push('}');
    }
    if !conversation.is_empty() {
        if !attributes.is_empty() {
            out.push(',');
        }
        out.push_str(r#""conversation":"#);
        push_object(out, conversation)?;
    }
    out.push('}');
    Some(())
}

/// `"key":`, escaped as `serde_json` escapes it.
fn push_key(out: &mut String, key: &str) -> Option<()> {
    if key.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(&serde_json::to_string(key).ok()?);
    } else {
        out.push('"');
        out.push_str(key);
        out.push('"');
    }
    out.push(':');
    Some(())
}

/// An object of members whose values are JSON text already.
fn push_object(out: &mut String, members: &[OtherMember<'_>]) -> Option<()> {
    out.push('{');
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_key(out, key)?;
        out.push_str(value);
    }
    out.push('}');
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::genesys::conversation_page::read_conversation_page;
    use crate::transform::{ContactRow, Dataset, PersonalData, Pseudonymizer, Rows};
    use arrow_array::{Array, Float64Array, Int64Array, RecordBatch, StringArray};

    #[test]
    fn times_read_directly_are_the_times_chrono_reads() {
        let chrono = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        let mut texts: Vec<String> = [
            "2026-11-20T09:03:07.123Z",
            "2026-11-20T09:03:07Z",
            "2026-11-20T09:03:07.1Z",
            "2026-11-20T09:03:07.123456789Z",
            "2026-11-20T09:03:07.1234567891Z",
            "2026-11-20T09:03:07.Z",
            "2026-11-20T09:03:60Z",
            "2026-11-20T09:03:60.5Z",
            "2026-11-20T24:00:00Z",
            "2026-02-29T00:00:00Z",
            "2028-02-29T23:59:59.999Z",
            "2026-13-01T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "2026-11-20t09:03:07Z",
            "2026-11-20 09:03:07Z",
            "2026-11-20T09:03:07z",
            "2026-11-20T09:03:07.123+01:00",
            "2026-11-20T09:03:07-00:00",
            "2026-11-2OT09:03:07Z",
            "2026-11-20T09:03:0Z",
            "+026-11-20T09:03:07Z",
            "2026-11-20T09:03:07.12a3Z",
            "",
        ]
        .map(String::from)
        .to_vec();
        // Every byte of a typical time replaced by every other kind of byte.
        let typical = "2024-02-29T23:59:59.987Z";
        for i in 0..typical.len() {
            for c in ['0', '5', '9', 'Z', 'T', ':', '-', '.', ' '] {
                let mut t = typical.to_string();
                t.replace_range(i..=i, &c.to_string());
                texts.push(t);
            }
        }
        let mut read_directly = 0;
        for text in &texts {
            let direct = utc_instant(text);
            if direct.is_some() {
                read_directly += 1;
                assert_eq!(direct, chrono(text), "{text}");
            }
            assert_eq!(instant("t", text).ok(), chrono(text), "{text}");
        }
        assert!(read_directly >= 40, "{read_directly}");
    }

    fn pseudo() -> Pseudonymizer {
        Pseudonymizer::new(
            PersonalData::Pseudonymize,
            Some("a-test-key-of-some-length".to_string().into()),
        )
        .unwrap()
    }

    fn batch(rows: impl Into<Rows>) -> RecordBatch {
        rows.into()
            .to_batch(&crate::transform::BatchContext::new(
                &pseudo(),
                "run",
                chrono::Utc::now(),
            ))
            .unwrap()
    }

    const QUEUE_EXAMPLE: &str = r#"{ "results": [
        { "group": { "queueId": "q2", "mediaType": "chat" },
          "data": [ { "interval": "2026-11-20T09:00:00.000Z/2026-11-20T09:30:00.000Z",
                      "metrics": [ { "metric": "nOffered", "stats": { "count": 3 } } ] } ] },
        { "group": { "queueId": "q1", "mediaType": "voice", "direction": "inbound" },
          "data": [ { "interval": "2026-11-20T09:00:00.000Z/2026-11-20T09:30:00.000Z",
            "metrics": [ { "metric": "nOffered", "stats": { "count": 42 } },
                         { "metric": "tHandle", "stats": { "max": 912345, "min": 61234, "count": 38, "sum": 11234567, "p95": 800000 } },
                         { "metric": "oServiceLevel", "stats": { "ratio": 0.8333, "numerator": 35, "denominator": 42, "target": 0.8 } } ] } ] } ] }"#;

    #[test]
    fn converts_counts_and_milliseconds_and_keeps_the_rest_in_extra() {
        let response: AggregateQueryResponse = serde_json::from_str(QUEUE_EXAMPLE).unwrap();
        let batch = batch(queue_intervals(&response).unwrap());
        assert_eq!(batch.num_rows(), 2);
        let col = |name: &str| batch.column_by_name(name).unwrap().clone();
        let queue = col("queue_id");
        let queue = queue.as_any().downcast_ref::<StringArray>().unwrap();
        // sorted by interval then queue: q1 first
        assert_eq!(queue.value(0), "q1");
        let offered = col("offered");
        let offered = offered.as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!((offered.value(0), offered.value(1)), (42, 3));
        let sum = col("handle_seconds_sum");
        let sum = sum.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(sum.value(0), 11234.567);
        assert_eq!(sum.value(1), 0.0);
        let max = col("handle_seconds_max");
        let max = max.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(max.value(0), 912.345);
        assert!(max.is_null(1));
        let extra = col("extra");
        let extra = extra.as_any().downcast_ref::<StringArray>().unwrap();
        let parsed: Value = serde_json::from_str(extra.value(0)).unwrap();
        assert_eq!(parsed["group"]["direction"], "inbound");
        assert_eq!(parsed["metrics"]["oServiceLevel"]["numerator"], 35);
        assert_eq!(parsed["stats"]["tHandle"]["p95"], 800000);
        assert!(extra.is_null(1));
    }

    #[test]
    fn a_malformed_interval_is_an_error_not_a_dropped_row() {
        let response: AggregateQueryResponse = serde_json::from_str(
            r#"{"results":[{"group":{"queueId":"q"},"data":[{"interval":"yesterday","metrics":[]}]}]}"#,
        )
        .unwrap();
        assert!(queue_intervals(&response).is_err());
    }

    #[test]
    fn no_results_make_an_empty_batch() {
        let rows = queue_intervals(&AggregateQueryResponse::default()).unwrap();
        let batch = Rows::from(rows)
            .to_batch(&crate::transform::BatchContext::new(
                &pseudo(),
                "run",
                chrono::Utc::now(),
            ))
            .unwrap();
        assert_eq!(batch.num_rows(), 0);
        assert_eq!(
            batch.num_columns(),
            Dataset::QueueIntervals.columns().len()
        );
    }

    #[test]
    fn the_documented_users_example_fills_presence_and_routing_columns() {
        let presence: AggregateQueryResponse = serde_json::from_str(
            r#"{ "systemToOrganizationMappings": { "AVAILABLE": ["6a3af858-942f-489d-9700-5f9bcdcdae9b"] },
                "results": [ { "group": { "userId": "u-1111-2222" }, "data": [ { "interval": "2026-11-20T09:00:00.000Z/2026-11-20T09:30:00.000Z",
                  "metrics": [ { "metric": "tSystemPresence", "qualifier": "ON_QUEUE", "stats": { "sum": 1500000 } },
                               { "metric": "tSystemPresence", "qualifier": "OFFLINE", "stats": { "sum": 300000 } },
                               { "metric": "tAgentRoutingStatus", "qualifier": "INTERACTING", "stats": { "sum": 1200000 } },
                               { "metric": "tAgentRoutingStatus", "qualifier": "IDLE", "stats": { "sum": 300000 } } ] } ] } ] }"#,
        )
        .unwrap();
        let conversations: AggregateQueryResponse = serde_json::from_str(
            r#"{"results": [ { "group": { "userId": "u-1111-2222" }, "data": [ { "interval": "2026-11-20T09:00:00.000Z/2026-11-20T09:30:00.000Z",
                  "metrics": [ { "metric": "tHandle", "stats": { "count": 3, "sum": 900000, "min": 1, "max": 2 } } ] } ] } ] }"#,
        )
        .unwrap();
        let (rows, without_user) = agent_intervals(&presence, &conversations).unwrap();
        assert_eq!(without_user, 0);
        let batch = batch(rows);
        assert_eq!(batch.num_rows(), 1);
        let f = |n: &str| {
            batch
                .column_by_name(n)
                .unwrap()
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .value(0)
        };
        assert_eq!(f("login_seconds"), 1500.0, "OFFLINE is not logged in");
        assert_eq!(f("on_queue_seconds"), 1500.0);
        assert_eq!(f("interacting_seconds"), 1200.0);
        assert_eq!(f("idle_seconds"), 300.0);
        assert_eq!(f("handle_seconds"), 900.0);
        let handled = batch
            .column_by_name("handled")
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .value(0);
        assert_eq!(handled, 3);
        let extra = batch
            .column_by_name("extra")
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert!(!extra.is_null(0) && extra.value(0).contains("OFFLINE"));
    }

    #[test]
    fn an_agent_never_logged_in_has_zero_login_seconds_not_minus_zero() {
        for presence in [
            r#"{"results": []}"#,
            r#"{"results": [ { "group": { "userId": "u-1" }, "data": [ { "interval": "2026-11-20T09:00:00.000Z/2026-11-20T09:30:00.000Z",
                  "metrics": [ { "metric": "tSystemPresence", "qualifier": "OFFLINE", "stats": { "sum": 1800000 } } ] } ] } ] }"#,
        ] {
            let presence: AggregateQueryResponse = serde_json::from_str(presence).unwrap();
            let conversations: AggregateQueryResponse = serde_json::from_str(
                r#"{"results": [ { "group": { "userId": "u-1" }, "data": [ { "interval": "2026-11-20T09:00:00.000Z/2026-11-20T09:30:00.000Z",
                      "metrics": [ { "metric": "tHandle", "stats": { "count": 1, "sum": 60000 } } ] } ] } ] }"#,
            )
            .unwrap();
            let (rows, _) = agent_intervals(&presence, &conversations).unwrap();
            assert_eq!(rows.len(), 1);
            let login = rows[0].login_seconds.unwrap();
            assert!(login == 0.0 && login.is_sign_positive(), "{login:?}");
        }
    }

    #[test]
    fn every_statistic_lands_with_durations_in_seconds() {
        let response: AggregateQueryResponse = serde_json::from_str(include_str!(
            "../../../fixtures/genesys/conversation_aggregates.json"
        ))
        .unwrap();
        let batch = batch(metrics("example", &response).unwrap());
        assert_eq!(batch.num_rows(), 4);
        let s = |n: &str| {
            batch
                .column_by_name(n)
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .clone()
        };
        let f = |n: &str| {
            batch
                .column_by_name(n)
                .unwrap()
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .clone()
        };
        assert_eq!(s("metric").value(1), "tHandle");
        assert_eq!(s("unit").value(1), "seconds");
        assert_eq!(f("sum").value(1), 11234.567);
        assert_eq!(f("max").value(1), 912.345);
        assert_eq!(s("unit").value(0), "count");
        assert!(f("sum").is_null(0));
        assert_eq!(s("metric").value(3), "oServiceLevel");
        assert_eq!(f("ratio").value(3), 0.8333);
        assert_eq!(f("numerator").value(3), 35.0);
        assert_eq!(
            s("queue_id").value(0),
            "5f4c3a0e-0000-4000-8000-000000000001"
        );
        let keys: Value = serde_json::from_str(s("group_keys").value(0)).unwrap();
        assert_eq!(keys["mediaType"], "voice");
        assert!(s("user_id").is_null(0));
    }

    /// A details page as `contacts` rows for [`slice`]'s day, through the admission.
    fn contacts(
        page: &str,
        admission: &mut ContactAdmission,
    ) -> Result<Vec<ContactRow>, TransformError> {
        let day = (
            "2026-11-20T00:00:00Z".parse().unwrap(),
            "2026-11-21T00:00:00Z".parse().unwrap(),
        );
        let found = read_conversation_page(page.as_bytes(), |page| {
            page_conversations(&page, day, false)
        })
        .unwrap()?;
        Ok(admit(found, admission).0.to_rows())
    }

    fn slice() -> ContactAdmission {
        ContactAdmission::new(
            "2026-11-20T00:00:00Z".parse().unwrap(),
            "2026-11-21T00:00:00Z".parse().unwrap(),
        )
    }

    #[test]
    fn the_documented_details_example_becomes_one_row() {
        let mut page: Value = serde_json::from_str(include_str!(
            "../../../fixtures/genesys/conversation_details.json"
        ))
        .unwrap();
        page["conversations"].as_array_mut().unwrap().truncate(1);
        let rows = contacts(&page.to_string(), &mut slice()).unwrap();
        let batch = batch(rows);
        assert_eq!(batch.num_rows(), 1);
        let s = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .value(0)
                .to_string()
        };
        let f = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .value(0)
        };
        assert_eq!(s("first_queue_id"), "5f4c3a0e-0000-4000-8000-000000000001");
        assert_eq!(s("last_agent_id"), "u-1111-2222");
        assert_eq!(s("wrap_up_code"), "9a8b7c6d-wrap-code");
        assert_eq!(s("media_type"), "voice");
        assert_eq!(s("disconnect_type"), "endpoint");
        assert_eq!(f("talk_seconds"), 392.956);
        assert_eq!(f("handle_seconds"), 437.838);
        assert_eq!(f("acw_seconds"), 44.882);
        assert_eq!(f("wait_seconds"), 27.152);
        assert_eq!(f("hold_seconds"), 0.0);
        let ani = s("ani");
        assert!(ani.starts_with("h:") && !ani.contains("5550100"), "{ani}");
        let extra: Value = serde_json::from_str(&s("extra")).unwrap();
        assert!(extra["conversation"]["divisionIds"].is_array());
    }

    #[test]
    fn extra_is_the_text_serde_json_writes_for_the_members_and_attributes() {
        // The reference: the members and attributes read by serde_json into maps, written again.
        fn expected(conversation: &Value) -> Option<String> {
            let c = conversation.as_object().unwrap();
            let known = ["conversationId", "conversationStart", "conversationEnd", "participants"];
            let other: Map<String, Value> = c
                .iter()
                .filter(|(k, _)| !known.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let mut attributes = Map::new();
            for p in c["participants"].as_array().unwrap() {
                if let Some(a) = p.get("attributes").filter(|a| !a.is_null()) {
                    attributes.insert(p["purpose"].as_str().unwrap().to_string(), a.clone());
                }
            }
            let mut extra = Map::new();
            if !attributes.is_empty() {
                extra.insert("attributes".into(), Value::Object(attributes));
            }
            if !other.is_empty() {
                extra.insert("conversation".into(), Value::Object(other));
            }
            (!extra.is_empty()).then(|| Value::Object(extra).to_string())
        }
        let head = r#""conversationId": "c", "conversationStart": "2026-11-20T10:00:00Z",
            "conversationEnd": "2026-11-20T10:09:00Z""#;
        let agent = r#"{"purpose": "agent", "userId": "u", "sessions": []}"#;
        let with_data = r#"{"purpose": "customer", "attributes": {"z": 1, "a": [" x "]}}"#;
        // Two participants of one purpose (the later wins), an empty object, a null, repeated
        // and escaped keys, values that are not written as they came.
        let much_data = r#"{"purpose": "customer", "attributes": {"old": true}},
            {"purpose": "cu\"st", "attributes": {}}, {"purpose": "ivr", "attributes": null},
            {"purpose": "customer", "attributes": {"b": 1, "k\u00e9y\n": {"y": 2, "x": [1.50]},
              "b": "last", "a": -0, "c": 1e2}}"#;
        for (members, participants) in [
            ("", agent),
            (r#""divisionIds": ["d-1", "d-2"]"#, agent),
            (r#""divisionIds": ["d-1"]"#, with_data),
            ("", with_data),
            (r#""zeta": 1, "divisionIds": [ "d" ], "alpha": {"b": 2.50, "a": -0}"#, agent),
            (r#""divisionIds": ["old"], "k\"ey\u00e9": "v\/", "divisionIds": []"#, agent),
            (r#""mediaStatsMinConversationMos": 4.5e0, "n": 12345678901234567890"#, with_data),
            ("", much_data),
            (r#""divisionIds": ["d-1"]"#, much_data),
        ] {
            let sep = if members.is_empty() { "" } else { "," };
            let text = format!(
                r#"{{"conversations": [{{{head}{sep} {members}, "participants": [{participants}]}}]}}"#
            );
            let page: Value = serde_json::from_str(&text).unwrap();
            let rows = contacts(&text, &mut slice()).unwrap();
            assert_eq!(rows[0].extra, expected(&page["conversations"][0]), "{members}");
        }
    }

    #[test]
    fn the_customers_last_segment_gives_the_disconnect_type_the_later_of_equals_winning() {
        let page = r#"{"conversations": [{"conversationId": "a",
            "conversationStart": "2026-11-20T10:00:00Z", "conversationEnd": "2026-11-20T10:09:00Z",
            "participants": [
              {"purpose": "customer", "sessions": [{"segments": [
                {"segmentStart": "2026-11-20T10:05:00Z", "disconnectType": "late"},
                {"segmentStart": "2026-11-20T10:00:00Z", "disconnectType": "early"}]}]},
              {"purpose": "agent", "sessions": [{"segments": [
                {"segmentStart": "2026-11-20T10:08:00Z", "disconnectType": "agent's"}]}]},
              {"purpose": "customer", "sessions": [{"segments": [
                {"segmentStart": "2026-11-20T10:05:00Z", "disconnectType": "late, later listed"},
                {"disconnectType": "no start"}]}]}]}]}"#;
        let rows = contacts(page, &mut slice()).unwrap();
        assert_eq!(rows[0].disconnect_type.as_deref(), Some("late, later listed"));
    }

    #[test]
    fn ongoing_and_foreign_conversations_are_skipped() {
        let mut admission = slice();
        let page = r#"{"conversations": [
            {"conversationId": "a", "conversationStart": "2026-11-20T23:59:00Z"},
            {"conversationId": "b", "conversationStart": "2026-11-19T23:59:00Z",
             "conversationEnd": "2026-11-20T00:09:00Z"}]}"#;
        let rows = contacts(page, &mut admission).unwrap();
        assert!(rows.is_empty());
        let d = admission.details();
        assert_eq!(d["ongoing_skipped"], 1);
        assert_eq!(d["outside_slice_skipped"], 1);
        let broken = r#"{"conversations": [{"conversationId": "c", "conversationStart": "noon"}]}"#;
        assert!(contacts(broken, &mut admission).is_err());
    }
}
