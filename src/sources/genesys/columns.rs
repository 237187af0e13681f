//! Where each column comes from in Genesys's API: the "Genesys source" column of README's tables
//! and `ccetl schema --markdown`. A test checks that every column of every dataset Genesys fills
//! is listed, in column order.

use crate::transform::Dataset;

/// `(column, source field)` for `dataset`.
pub fn column_sources(dataset: Dataset) -> &'static [(&'static str, &'static str)] {
    match dataset {
        Dataset::QueueIntervals => QUEUE_INTERVALS,
        Dataset::AgentIntervals => AGENT_INTERVALS,
        Dataset::AgentStatus => AGENT_STATUS,
        Dataset::Contacts => CONTACTS,
        Dataset::ContactSegments => CONTACT_SEGMENTS,
        Dataset::Metrics => METRICS,
        Dataset::Queues => QUEUES,
        Dataset::Agents => AGENTS,
        Dataset::WrapupCodes => WRAPUP_CODES,
        Dataset::Skills => SKILLS,
        Dataset::Teams => TEAMS,
        Dataset::Divisions => DIVISIONS,
        Dataset::PresenceDefinitions => PRESENCE_DEFINITIONS,
    }
}

const QUEUE_INTERVALS: &[(&str, &str)] = &[
    ("interval_start", "`data[].interval` (start)"),
    ("interval_end", "`data[].interval` (end)"),
    ("queue_id", "`group.queueId`"),
    ("media_type", "`group.mediaType`"),
    ("offered", "`nOffered` count"),
    ("transferred", "`nTransferred` count"),
    ("answer_count", "`tAnswered` count"),
    ("answer_seconds_sum", "`tAnswered` sum / 1000"),
    ("answer_seconds_min", "`tAnswered` min / 1000"),
    ("answer_seconds_max", "`tAnswered` max / 1000"),
    ("abandon_count", "`tAbandon` count"),
    ("abandon_seconds_sum", "`tAbandon` sum / 1000"),
    ("abandon_seconds_min", "`tAbandon` min / 1000"),
    ("abandon_seconds_max", "`tAbandon` max / 1000"),
    ("wait_count", "`tWait` count"),
    ("wait_seconds_sum", "`tWait` sum / 1000"),
    ("wait_seconds_min", "`tWait` min / 1000"),
    ("wait_seconds_max", "`tWait` max / 1000"),
    ("talk_count", "`tTalk` count"),
    ("talk_seconds_sum", "`tTalk` sum / 1000"),
    ("talk_seconds_min", "`tTalk` min / 1000"),
    ("talk_seconds_max", "`tTalk` max / 1000"),
    ("hold_count", "`tHeld` count"),
    ("hold_seconds_sum", "`tHeld` sum / 1000"),
    ("hold_seconds_min", "`tHeld` min / 1000"),
    ("hold_seconds_max", "`tHeld` max / 1000"),
    ("acw_count", "`tAcw` count"),
    ("acw_seconds_sum", "`tAcw` sum / 1000"),
    ("acw_seconds_min", "`tAcw` min / 1000"),
    ("acw_seconds_max", "`tAcw` max / 1000"),
    ("handle_count", "`tHandle` count"),
    ("handle_seconds_sum", "`tHandle` sum / 1000"),
    ("handle_seconds_min", "`tHandle` min / 1000"),
    ("handle_seconds_max", "`tHandle` max / 1000"),
    ("extra", "everything else"),
];

const AGENT_INTERVALS: &[(&str, &str)] = &[
    ("interval_start", "`data[].interval` (start)"),
    ("interval_end", "`data[].interval` (end)"),
    ("user_id", "`group.userId`"),
    ("login_seconds", "`tSystemPresence` sum over qualifiers ≠ OFFLINE / 1000"),
    ("on_queue_seconds", "`tSystemPresence` ON_QUEUE / 1000"),
    ("available_seconds", "`tSystemPresence` AVAILABLE / 1000"),
    ("away_seconds", "`tSystemPresence` AWAY / 1000"),
    ("busy_seconds", "`tSystemPresence` BUSY / 1000"),
    ("break_seconds", "`tSystemPresence` BREAK / 1000"),
    ("meal_seconds", "`tSystemPresence` MEAL / 1000"),
    ("meeting_seconds", "`tSystemPresence` MEETING / 1000"),
    ("training_seconds", "`tSystemPresence` TRAINING / 1000"),
    ("idle_seconds", "`tAgentRoutingStatus` IDLE / 1000"),
    ("interacting_seconds", "`tAgentRoutingStatus` INTERACTING / 1000"),
    ("not_responding_seconds", "`tAgentRoutingStatus` NOT_RESPONDING / 1000"),
    ("communicating_seconds", "`tAgentRoutingStatus` COMMUNICATING / 1000"),
    ("off_queue_seconds", "`tAgentRoutingStatus` OFF_QUEUE / 1000"),
    ("handled", "`tHandle` count (grouped by userId)"),
    ("handle_seconds", "`tHandle` sum / 1000"),
    ("talk_seconds", "`tTalk` sum / 1000"),
    ("hold_seconds", "`tHeld` sum / 1000"),
    ("acw_seconds", "`tAcw` sum / 1000"),
    ("transferred", "`nTransferred` count"),
    ("extra", "everything else"),
];

const CONTACTS: &[(&str, &str)] = &[
    ("conversation_id", "`conversationId`"),
    ("conversation_start", "`conversationStart`"),
    ("conversation_end", "`conversationEnd`"),
    ("direction", "`originatingDirection`"),
    ("media_type", "customer session `mediaType`"),
    ("first_queue_id", "earliest segment `queueId`"),
    ("last_agent_id", "last `purpose=agent` participant `userId`"),
    ("wrap_up_code", "last `wrapup` segment `wrapUpCode`"),
    ("abandoned", "`tAbandon` metric present"),
    ("transferred", "`nTransferred` metric > 0"),
    ("disconnect_type", "customer's last segment `disconnectType`"),
    ("wait_seconds", "sum of `tAcd` / 1000"),
    ("talk_seconds", "sum of agent `tTalk` / 1000"),
    ("hold_seconds", "sum of agent `tHeld` / 1000"),
    ("acw_seconds", "sum of agent `tAcw` / 1000"),
    ("handle_seconds", "sum of agent `tHandle` / 1000"),
    ("ani", "customer session `ani`"),
    ("dnis", "customer session `dnis`"),
    ("extra", "everything else"),
];

const METRICS: &[(&str, &str)] = &[
    ("query", "file name"),
    ("interval_start", "`data[].interval` (start)"),
    ("interval_end", "`data[].interval` (end)"),
    ("group_keys", "`results[].group`"),
    ("queue_id", "`group.queueId`"),
    ("media_type", "`group.mediaType`"),
    ("user_id", "`group.userId`"),
    ("metric", "`metrics[].metric`"),
    ("qualifier", "`metrics[].qualifier`"),
    ("unit", "from the metric name"),
    ("count", "`stats.count`"),
    ("sum", "`stats.sum`"),
    ("min", "`stats.min`"),
    ("max", "`stats.max`"),
    ("current", "`stats.current`"),
    ("ratio", "`stats.ratio`"),
    ("numerator", "`stats.numerator`"),
    ("denominator", "`stats.denominator`"),
    ("target", "`stats.target`"),
    ("p95", "`stats.p95`"),
    ("p99", "`stats.p99`"),
    ("extra", "everything else"),
];

const EXTRA: (&str, &str) = ("extra", "every other member of the entity (`selfUri` dropped)");

const QUEUES: &[(&str, &str)] = &[
    ("id", "`GET /api/v2/routing/queues` `entities[].id`"),
    ("name", "`name`"),
    ("state", "`active` (queues have no state since API v2 2017: listed means it exists)"),
    ("active", "true"),
    ("division_id", "`division.id`"),
    ("media_type", "— (per-media settings)"),
    ("member_count", "`memberCount`"),
    ("service_level_percent", "`mediaSettings.call.serviceLevel.percentage` × 100"),
    ("service_level_seconds", "`mediaSettings.call.serviceLevel.durationMs` / 1000"),
    ("date_created", "`dateCreated`"),
    ("date_modified", "`dateModified`"),
    EXTRA,
];

const AGENTS: &[(&str, &str)] = &[
    ("id", "`GET /api/v2/users?state=any` `entities[].id`"),
    ("name", "`name`"),
    ("state", "`state` (active, inactive, deleted)"),
    ("active", "`state` = active"),
    ("email", "`email`"),
    ("username", "`username`"),
    ("division_id", "`division.id`"),
    ("team_id", "`team.id` (expand team)"),
    ("manager_id", "`manager.id`"),
    ("department", "`department`"),
    ("title", "`title`"),
    ("employee_id", "`employerInfo.employeeId` (expand)"),
    ("hire_date", "`employerInfo.dateHire` (expand)"),
    ("last_login", "`dateLastLogin` (expand)"),
    ("date_modified", "— (users have no modification date; `version` is in extra)"),
    EXTRA,
];

const WRAPUP_CODES: &[(&str, &str)] = &[
    ("id", "`GET /api/v2/routing/wrapupcodes` `entities[].id`; plus ININ-WRAP-UP-TIMEOUT and ININ-WRAP-UP-DELETED"),
    ("name", "`name` (system codes: the id)"),
    ("state", "`active` (listed)"),
    ("active", "true"),
    ("division_id", "`division.id`"),
    ("classification", "—"),
    ("system", "true for the ININ-* codes Genesys sets itself"),
    ("date_created", "`dateCreated`"),
    ("date_modified", "`dateModified`"),
    EXTRA,
];

const SKILLS: &[(&str, &str)] = &[
    ("id", "`GET /api/v2/routing/skills` `entities[].id`"),
    ("name", "`name`"),
    ("state", "`state`"),
    ("active", "`state` = active"),
    ("date_modified", "`dateModified`"),
    EXTRA,
];

const TEAMS: &[(&str, &str)] = &[
    ("id", "`GET /api/v2/teams` `entities[].id`"),
    ("name", "`name`"),
    ("state", "`active` (listed)"),
    ("active", "true"),
    ("division_id", "`division.id` (expand entities.division)"),
    ("member_count", "`memberCount`"),
    ("date_created", "`dateCreated`"),
    ("date_modified", "`dateModified`"),
    EXTRA,
];

const DIVISIONS: &[(&str, &str)] = &[
    ("id", "`GET /api/v2/authorization/divisions` `entities[].id`"),
    ("name", "`name`"),
    ("state", "`active` (listed)"),
    ("active", "true"),
    ("description", "`description`"),
    ("home", "`homeDivision`"),
    EXTRA,
];

const PRESENCE_DEFINITIONS: &[(&str, &str)] = &[
    ("id", "`GET /api/v2/presence/definitions` (deactivated false, then true) `entities[].id`"),
    ("name", "`name`, else `languageLabels.en_US`"),
    ("state", "`deactivated` → inactive"),
    ("active", "not `deactivated`"),
    ("system_presence", "`systemPresence` in UPPER_SNAKE (OnQueue → ON_QUEUE)"),
    ("kind", "`type` (System, User)"),
    ("division_id", "`divisionId`"),
    EXTRA,
];

const CONTACT_SEGMENTS: &[(&str, &str)] = &[
    ("conversation_id", "details `conversationId` (the `contacts` answers; no request of its own)"),
    ("conversation_start", "`conversationStart`"),
    ("participant_id", "`participants[].participantId`"),
    ("purpose", "`participants[].purpose`"),
    ("user_id", "`participants[].userId`"),
    ("session_id", "`sessions[].sessionId`"),
    ("media_type", "`sessions[].mediaType`"),
    ("segment_index", "order of `segmentStart` within the session"),
    ("segment_type", "`segments[].segmentType`"),
    ("segment_start", "`segmentStart`"),
    ("segment_end", "`segmentEnd`"),
    ("duration_seconds", "`segmentEnd` − `segmentStart`"),
    ("queue_id", "`segments[].queueId`"),
    ("wrap_up_code", "`segments[].wrapUpCode`"),
    ("disconnect_type", "`segments[].disconnectType`"),
];

const AGENT_STATUS: &[(&str, &str)] = &[
    ("user_id", "`POST /api/v2/analytics/users/details/query` `userDetails[].userId`"),
    ("status_start", "`primaryPresence[]` / `routingStatus[]` `startTime`, cut where either changes, clipped to the day"),
    ("status_end", "`endTime` (the same cuts)"),
    ("duration_seconds", "status_end − status_start"),
    ("system_presence", "`primaryPresence[].systemPresence`"),
    ("organization_presence_id", "`primaryPresence[].organizationPresenceId`"),
    ("routing_status", "`routingStatus[].routingStatus`"),
    ("ongoing", "no `endTime` on the record"),
];
