//! Where each column comes from in CXone's API: the "CXone source" column of README's tables
//! and `ccetl schema --markdown`. A test checks that every column of every dataset CXone fills
//! is listed, in column order.

use crate::transform::Dataset;

/// `(column, source field)` for `dataset`.
pub fn column_sources(dataset: Dataset) -> &'static [(&'static str, &'static str)] {
    match dataset {
        Dataset::QueueIntervals => QUEUE_INTERVALS,
        Dataset::AgentIntervals => AGENT_INTERVALS,
        Dataset::AgentStatus => AGENT_STATUS,
        Dataset::ContactSegments => CONTACT_SEGMENTS,
        Dataset::Contacts => CONTACTS,
        Dataset::Queues => QUEUES,
        Dataset::Agents => AGENTS,
        Dataset::WrapupCodes => WRAPUP_CODES,
        Dataset::Teams => TEAMS,
        Dataset::PresenceDefinitions => PRESENCE_DEFINITIONS,
        Dataset::Metrics | Dataset::Skills | Dataset::Divisions => &[],
    }
}

const QUEUE_INTERVALS: &[(&str, &str)] = &[
    ("interval_start", "requested `startDate` of the interval"),
    ("interval_end", "requested `endDate`"),
    ("queue_id", "`skillId`"),
    ("media_type", "`mediaTypeId` (4 voice, 3 chat, 1 email, 9 message, …)"),
    ("offered", "`contactsOffered`"),
    ("transferred", "null (not reported)"),
    ("answer_count", "`contactsHandled`"),
    ("answer_seconds_sum", "`averageSpeedToAnswer` × `contactsHandled`"),
    ("answer_seconds_min", "null (not reported)"),
    ("answer_seconds_max", "null (not reported)"),
    ("abandon_count", "`abandonCount`"),
    ("abandon_seconds_sum", "null (not reported)"),
    ("abandon_seconds_min", "null (not reported)"),
    ("abandon_seconds_max", "null (not reported)"),
    ("wait_count", "`contactsOffered`"),
    ("wait_seconds_sum", "`averageInqueueTime` × `contactsOffered`"),
    ("wait_seconds_min", "null (not reported)"),
    ("wait_seconds_max", "null (not reported)"),
    ("talk_count", "`contactsHandled`"),
    ("talk_seconds_sum", "`averageTalkTime` × `contactsHandled`"),
    ("talk_seconds_min", "null (not reported)"),
    ("talk_seconds_max", "null (not reported)"),
    ("hold_count", "null (not reported)"),
    ("hold_seconds_sum", "`holdTime`"),
    ("hold_seconds_min", "null (not reported)"),
    ("hold_seconds_max", "null (not reported)"),
    ("acw_count", "`contactsHandled`"),
    ("acw_seconds_sum", "`averageWrapTime` × `contactsHandled`"),
    ("acw_seconds_min", "null (not reported)"),
    ("acw_seconds_max", "null (not reported)"),
    ("handle_count", "`contactsHandled`"),
    ("handle_seconds_sum", "`averageHandleTime` × `contactsHandled` (averages are whole seconds)"),
    ("handle_seconds_min", "null (not reported)"),
    ("handle_seconds_max", "null (not reported)"),
    ("extra", "every other field of the skill summary (SLA counts, agent counts, dialer stats, …)"),
];

const AGENT_INTERVALS: &[(&str, &str)] = &[
    ("interval_start", "requested `startDate`"),
    ("interval_end", "requested `endDate`"),
    ("user_id", "`agentId`"),
    ("login_seconds", "`loginTime`"),
    ("on_queue_seconds", "null (not reported)"),
    ("available_seconds", "null (not reported)"),
    ("away_seconds", "null (not reported)"),
    ("busy_seconds", "null (not reported)"),
    ("break_seconds", "null (not reported)"),
    ("meal_seconds", "null (not reported)"),
    ("meeting_seconds", "null (not reported)"),
    ("training_seconds", "null (not reported)"),
    ("idle_seconds", "`availableTime`"),
    ("interacting_seconds", "`inboundTime` + `outboundTime`"),
    ("not_responding_seconds", "null (not reported)"),
    ("communicating_seconds", "null (not reported)"),
    ("off_queue_seconds", "`unavailableTime`"),
    ("handled", "`totalHandled`"),
    ("handle_seconds", "`totalAvgHandleTime` × `totalHandled`"),
    ("talk_seconds", "`totalTalkTime`"),
    ("hold_seconds", "null (not reported)"),
    ("acw_seconds", "`acwTime`"),
    ("transferred", "null (not reported)"),
    ("extra", "every other field (agentOffered, refused, occupancy, workingRate, teamId, …)"),
];

const CONTACTS: &[(&str, &str)] = &[
    ("conversation_id", "`contactId`"),
    ("conversation_start", "`contactStartDate` (`contactStart` in old versions)"),
    ("conversation_end", "start + `totalDurationSeconds`"),
    ("direction", "`isOutbound`"),
    ("media_type", "`mediaTypeId` (`mediaType`)"),
    ("first_queue_id", "`skillId`"),
    ("last_agent_id", "`agentId` (null when 0)"),
    ("wrap_up_code", "`primaryDispositionId` (null when 0)"),
    ("abandoned", "`abandoned`"),
    ("transferred", "`transferIndicatorId` ≠ 0"),
    ("disconnect_type", "`endReason`"),
    ("wait_seconds", "`inQueueSeconds`"),
    ("talk_seconds", "`agentSeconds`"),
    ("hold_seconds", "`holdSeconds`"),
    ("acw_seconds", "`acwSeconds` (`ACWSeconds`)"),
    ("handle_seconds", "`agentSeconds` + `holdSeconds` + `acwSeconds`"),
    ("ani", "`fromAddress` (`fromAddr`), pseudonymised"),
    ("dnis", "`toAddress` (`toAddr`), pseudonymised"),
    ("extra", "every other field of the completed contact"),
];

const EXTRA: (&str, &str) = ("extra", "every other field of the entity (`businessUnitId` dropped)");

const QUEUES: &[(&str, &str)] = &[
    ("id", "`GET skills` `skills[].skillId` (a CXone skill is the queue)"),
    ("name", "`skillName`"),
    ("state", "`isActive` → active / inactive"),
    ("active", "`isActive`"),
    ("division_id", "`divisionId` (not on every version's list)"),
    ("media_type", "`mediaTypeId` / `mediaTypeName`"),
    ("member_count", "—"),
    ("service_level_percent", "`serviceLevelGoal` (percent, inferred)"),
    ("service_level_seconds", "`serviceLevelThreshold` (seconds, inferred)"),
    ("date_created", "—"),
    ("date_modified", "—"),
    EXTRA,
];

const AGENTS: &[(&str, &str)] = &[
    ("id", "`GET agents` `agents[].agentId`"),
    ("name", "`firstName` + ' ' + `lastName`"),
    ("state", "`isActive` → active / inactive"),
    ("active", "`isActive`"),
    ("email", "`emailAddress` (v6: `Email`)"),
    ("username", "`userName`"),
    ("division_id", "`divisionNo` / `DivisionNo`"),
    ("team_id", "`teamId`"),
    ("manager_id", "`reportToId`"),
    ("department", "—"),
    ("title", "—"),
    ("employee_id", "`internalId`"),
    ("hire_date", "`hireDate` (date part)"),
    ("last_login", "`lastLogin`"),
    ("date_modified", "`lastUpdated` (v6: `LastModified`)"),
    EXTRA,
];

const WRAPUP_CODES: &[(&str, &str)] = &[
    ("id", "`GET dispositions` `dispositions[].dispositionId`"),
    ("name", "`dispositionName`"),
    ("state", "`isActive` → active / inactive"),
    ("active", "`isActive`"),
    ("division_id", "—"),
    ("classification", "`classificationId`"),
    ("system", "false"),
    ("date_created", "—"),
    ("date_modified", "`lastUpdated`"),
    EXTRA,
];

const TEAMS: &[(&str, &str)] = &[
    ("id", "`GET teams` `teams[].teamId`"),
    ("name", "`teamName`"),
    ("state", "`isActive` → active / inactive"),
    ("active", "`isActive`"),
    ("division_id", "`divisionNo`"),
    ("member_count", "`agentCount`"),
    ("date_created", "—"),
    ("date_modified", "`lastUpdateTime`"),
    EXTRA,
];

const PRESENCE_DEFINITIONS: &[(&str, &str)] = &[
    ("id", "`GET unavailable-codes` `unavailableCodes[].id` (or `unavailableCodeId`)"),
    ("name", "`name` (or `unavailableCode`)"),
    ("state", "`isActive` → active / inactive"),
    ("active", "`isActive`"),
    ("system_presence", "UNAVAILABLE (an unavailable code is a reason for it)"),
    ("kind", "User"),
    ("division_id", "—"),
    EXTRA,
];

const AGENT_STATUS: &[(&str, &str)] = &[
    ("user_id", "`GET agents/state-history` `agentStateHistory[].agentId`"),
    ("status_start", "`startDate`, clipped to the day"),
    ("status_end", "`startDate` + `duration`, clipped to the day"),
    ("duration_seconds", "status_end − status_start"),
    ("system_presence", "`agentStateName` in UPPER_SNAKE (Unavailable → UNAVAILABLE)"),
    ("organization_presence_id", "`outStateId` (an unavailable code; 0 → null)"),
    ("routing_status", "inferred from the state: Available → IDLE, contacts → INTERACTING, Unavailable → OFF_QUEUE, Refused → NOT_RESPONDING"),
    ("ongoing", "the state was still running when fetched"),
];

const CONTACT_SEGMENTS: &[(&str, &str)] = &[
    ("conversation_id", "`GET contacts/state-history` `contactStateHistory[].contactId`"),
    ("conversation_start", "`startDate` of the contact's first state (`stateIndex` 1)"),
    ("participant_id", "—"),
    ("purpose", "—"),
    ("user_id", "`agentId` (0 → null)"),
    ("session_id", "—"),
    ("media_type", "—"),
    ("segment_index", "order of `stateIndex`, from 0"),
    ("segment_type", "`contactStateName`"),
    ("segment_start", "`startDate`"),
    ("segment_end", "`startDate` + `duration`"),
    ("duration_seconds", "`duration`"),
    ("queue_id", "`skillId` (0 → null)"),
    ("wrap_up_code", "— (contact-level: `contacts.wrap_up_code`)"),
    ("disconnect_type", "—"),
];
