//! `agent_status`: one row per agent status interval — a span of time in which the agent's
//! presence and routing status both stayed the same — clipped to the slice's day, so a day's rows
//! of one agent never add up to more than the day.
//!
//! Vendors report presence and routing status as two separate timelines, or as one timeline of
//! states; [`StatusTimeline`] takes both kinds of records and cuts them into the intervals of the
//! dataset. Sources fill it; nothing here knows a vendor.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

crate::declare_rows! {
    /// One row of `agent_status`.
    pub struct AgentStatusRow {
        user_id: String =>
            "The agent's user id (a row of `agents`).",
        status_start: DateTime<Utc> =>
            "Start of the interval (UTC), at or after the start of the day.",
        status_end: DateTime<Utc> =>
            "End of the interval (UTC), exclusive, at or before the end of the day.",
        duration_seconds: f64 =>
            "status_end − status_start, seconds.",
        system_presence: Option<String> =>
            "The system presence, UPPER_SNAKE (ON_QUEUE, AVAILABLE, BREAK, MEAL, …; a state such as UNAVAILABLE or INBOUND_CONTACT where the vendor has one timeline).",
        organization_presence_id: Option<String> =>
            "The organization presence (or unavailable code) id: a row of `presence_definitions`.",
        routing_status: Option<String> =>
            "IDLE, INTERACTING, NOT_RESPONDING, COMMUNICATING, OFF_QUEUE (null: the vendor reports none).",
        ongoing: bool =>
            "The status had not ended when it was fetched: status_end is the end of the day or the fetch.",
    }
}

/// A status record as a vendor reports it: a span (open when `end` is `None`) and what held.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusRecord {
    /// Start (UTC).
    pub start: DateTime<Utc>,
    /// End (UTC); `None` while it lasts.
    pub end: Option<DateTime<Utc>>,
    /// The system presence or state, UPPER_SNAKE.
    pub system_presence: Option<String>,
    /// The organization presence or reason code id.
    pub organization_presence_id: Option<String>,
    /// The routing status.
    pub routing_status: Option<String>,
}

/// One agent's records of a day: presence records and routing records (either may be empty),
/// cut into `agent_status` rows.
#[derive(Debug, Default)]
pub struct StatusTimeline {
    presence: Vec<StatusRecord>,
    routing: Vec<StatusRecord>,
}

impl StatusTimeline {
    /// A presence (or state) record.
    pub fn presence(&mut self, record: StatusRecord) {
        self.presence.push(record);
    }

    /// A routing-status record.
    pub fn routing(&mut self, record: StatusRecord) {
        self.routing.push(record);
    }

    /// The intervals of `[day_start, day_end)`: the span of every record, clipped to the day
    /// (open records end at the day's end or at `fetched_at`, whichever is first), cut wherever
    /// either timeline changes; a record listed twice (overlapping windows re-deliver it) counts
    /// once. Moments no record covers have no row.
    pub fn rows(
        mut self,
        user_id: &str,
        day_start: DateTime<Utc>,
        day_end: DateTime<Utc>,
        fetched_at: DateTime<Utc>,
    ) -> Vec<AgentStatusRow> {
        let open_end = day_end.min(fetched_at.max(day_start));
        let clip = |records: &mut Vec<StatusRecord>| {
            records.sort_by_key(|r| (r.start, r.end));
            records.dedup();
            records
                .iter()
                .filter_map(|r| {
                    let start = r.start.max(day_start);
                    let end = r.end.unwrap_or(open_end).min(day_end);
                    (start < end).then(|| (start, end, r.end.is_none(), r.clone()))
                })
                .collect::<Vec<_>>()
        };
        let presence = clip(&mut self.presence);
        let routing = clip(&mut self.routing);
        let mut cuts: BTreeSet<DateTime<Utc>> = BTreeSet::new();
        for (start, end, _, _) in presence.iter().chain(&routing) {
            cuts.insert(*start);
            cuts.insert(*end);
        }
        let at = |list: &[(DateTime<Utc>, DateTime<Utc>, bool, StatusRecord)], t: DateTime<Utc>| {
            // The latest record that started by `t` and covers it.
            list.iter()
                .rev()
                .find(|(s, e, _, _)| *s <= t && t < *e)
                .map(|(_, _, open, r)| (*open, r.clone()))
        };
        let cuts: Vec<DateTime<Utc>> = cuts.into_iter().collect();
        let mut rows: Vec<AgentStatusRow> = Vec::new();
        for pair in cuts.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let p = at(&presence, a);
            let r = at(&routing, a);
            if p.is_none() && r.is_none() {
                continue;
            }
            let ongoing = b == open_end
                && (p.as_ref().is_some_and(|(open, _)| *open)
                    || r.as_ref().is_some_and(|(open, _)| *open));
            let row = AgentStatusRow {
                user_id: user_id.to_string(),
                status_start: a,
                status_end: b,
                duration_seconds: 0.0,
                system_presence: p.as_ref().and_then(|(_, p)| p.system_presence.clone()),
                organization_presence_id: p
                    .as_ref()
                    .and_then(|(_, p)| p.organization_presence_id.clone()),
                routing_status: r
                    .as_ref()
                    .and_then(|(_, r)| r.routing_status.clone())
                    .or_else(|| p.as_ref().and_then(|(_, p)| p.routing_status.clone())),
                ongoing,
            };
            // Neighbours with the same statuses are one interval.
            match rows.last_mut() {
                Some(last)
                    if last.status_end == a
                        && last.system_presence == row.system_presence
                        && last.organization_presence_id == row.organization_presence_id
                        && last.routing_status == row.routing_status =>
                {
                    last.status_end = b;
                    last.ongoing = row.ongoing;
                }
                _ => rows.push(row),
            }
        }
        for row in &mut rows {
            row.duration_seconds =
                (row.status_end - row.status_start).num_milliseconds() as f64 / 1000.0;
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        format!("2026-11-20T{s}Z").parse().unwrap()
    }

    fn record(
        start: &str,
        end: Option<&str>,
        presence: Option<&str>,
        routing: Option<&str>,
    ) -> StatusRecord {
        StatusRecord {
            start: t(start),
            end: end.map(t),
            system_presence: presence.map(str::to_string),
            organization_presence_id: presence.map(|p| format!("id-{p}")),
            routing_status: routing.map(str::to_string),
        }
    }

    #[test]
    fn two_timelines_cut_into_intervals_clipped_to_the_day() {
        let (day_start, day_end) = (t("00:00:00"), "2026-11-21T00:00:00Z".parse().unwrap());
        let mut timeline = StatusTimeline::default();
        // From the evening before (clipped), then a break, then on queue until after midnight.
        timeline.presence(StatusRecord {
            start: "2026-11-19T23:00:00Z".parse().unwrap(),
            ..record("00:00:00", Some("09:00:00"), Some("ON_QUEUE"), None)
        });
        timeline.presence(record("09:00:00", Some("09:15:00"), Some("BREAK"), None));
        timeline.presence(record("09:15:00", None, Some("ON_QUEUE"), None));
        // The same record twice, as overlapping windows deliver it.
        timeline.presence(record("09:00:00", Some("09:15:00"), Some("BREAK"), None));
        timeline.routing(record("08:00:00", Some("08:30:00"), None, Some("IDLE")));
        timeline.routing(record(
            "08:30:00",
            Some("09:00:00"),
            None,
            Some("INTERACTING"),
        ));
        timeline.routing(record(
            "09:00:00",
            Some("09:15:00"),
            None,
            Some("OFF_QUEUE"),
        ));
        let fetched = "2026-11-21T02:00:00Z".parse().unwrap();
        let rows = timeline.rows("u", day_start, day_end, fetched);
        let shape: Vec<(String, Option<&str>, Option<&str>, bool)> = rows
            .iter()
            .map(|r| {
                (
                    format!(
                        "{}-{}",
                        r.status_start.format("%H:%M"),
                        r.status_end.format("%H:%M")
                    ),
                    r.system_presence.as_deref(),
                    r.routing_status.as_deref(),
                    r.ongoing,
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("00:00-08:00".to_string(), Some("ON_QUEUE"), None, false),
                (
                    "08:00-08:30".to_string(),
                    Some("ON_QUEUE"),
                    Some("IDLE"),
                    false
                ),
                (
                    "08:30-09:00".to_string(),
                    Some("ON_QUEUE"),
                    Some("INTERACTING"),
                    false
                ),
                (
                    "09:00-09:15".to_string(),
                    Some("BREAK"),
                    Some("OFF_QUEUE"),
                    false
                ),
                ("09:15-00:00".to_string(), Some("ON_QUEUE"), None, true),
            ]
        );
        let total: f64 = rows.iter().map(|r| r.duration_seconds).sum();
        assert_eq!(total, 86_400.0, "a day at most");
        assert_eq!(
            rows[3].organization_presence_id.as_deref(),
            Some("id-BREAK")
        );
    }

    #[test]
    fn an_open_record_of_today_ends_at_the_fetch() {
        let (day_start, day_end) = (t("00:00:00"), "2026-11-21T00:00:00Z".parse().unwrap());
        let mut timeline = StatusTimeline::default();
        timeline.presence(record("10:00:00", None, Some("AVAILABLE"), None));
        let rows = timeline.rows("u", day_start, day_end, t("12:00:00"));
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].status_end, rows[0].ongoing), (t("12:00:00"), true));
        assert_eq!(rows[0].duration_seconds, 7200.0);
    }
}
