//! The dimension datasets: the names behind the ids of the fact datasets (queues, agents, wrap-up
//! codes, skills, teams, divisions, presence definitions), one row per entity.
//!
//! Each is a daily **snapshot**: the whole list as the API returns it on the day a run extracts
//! it (`date=` is that day in the source's time zone), inactive and deleted entities included
//! when the API still lists them, so the facts of departed agents and retired queues keep their
//! names. A backfill of past dates does not invent past snapshots. Every dimension shares
//! `id`, `name`, `state`, `active` and `extra`; the other columns are what both vendors (or the
//! one that has the entity) report. Sources fill the rows; this file only declares them.

use chrono::{DateTime, Utc};

crate::declare_rows! {
    /// One row of `queues`.
    pub struct QueueRow {
        id: String =>
            "Queue id: the `queue_id` / `first_queue_id` of the facts (where a skill is the routing unit, the skill's id).",
        name: Option<String> =>
            "Queue name.",
        state: String =>
            "active, inactive or deleted (a vendor without a state reports active for what it lists).",
        active: bool =>
            "state is active.",
        division_id: Option<String> =>
            "The owning division.",
        media_type: Option<String> =>
            "voice, chat, email, message, … when the queue serves one media type.",
        member_count: Option<i64> =>
            "Members of the queue.",
        service_level_percent: Option<f64> =>
            "Service-level goal, percent of conversations answered within the threshold.",
        service_level_seconds: Option<f64> =>
            "Service-level threshold, seconds.",
        date_created: Option<DateTime<Utc>> =>
            "When the queue was created (UTC).",
        date_modified: Option<DateTime<Utc>> =>
            "When the queue was last changed (UTC).",
        extra: Option<String> =>
            "JSON: the entity's other members, as the API sent them.",
    }
}

crate::declare_rows! {
    /// One row of `agents`.
    pub struct AgentRow {
        id: String =>
            "Agent (user) id: the `user_id` / `last_agent_id` of the facts.",
        name: Option<String> =>
            "Display name.",
        state: String =>
            "active, inactive or deleted.",
        active: bool =>
            "state is active.",
        email: Option<String> =>
            "E-mail address.",
        username: Option<String> =>
            "Login name.",
        division_id: Option<String> =>
            "The agent's division.",
        team_id: Option<String> =>
            "The agent's team (a row of `teams`).",
        manager_id: Option<String> =>
            "The agent's manager (another row of `agents`).",
        department: Option<String> =>
            "Department.",
        title: Option<String> =>
            "Job title.",
        employee_id: Option<String> =>
            "The employer's id for the person.",
        hire_date: Option<String> =>
            "Hire date, YYYY-MM-DD as the vendor gives it.",
        last_login: Option<DateTime<Utc>> =>
            "Last log-in (UTC).",
        date_modified: Option<DateTime<Utc>> =>
            "When the agent was last changed (UTC).",
        extra: Option<String> =>
            "JSON: the entity's other members, as the API sent them.",
    }
}

crate::declare_rows! {
    /// One row of `wrapup_codes`.
    pub struct WrapupCodeRow {
        id: String =>
            "Wrap-up code id: the `wrap_up_code` of the facts.",
        name: Option<String> =>
            "Wrap-up code name.",
        state: String =>
            "active, inactive or deleted.",
        active: bool =>
            "state is active.",
        division_id: Option<String> =>
            "The owning division (`*`: every division).",
        classification: Option<String> =>
            "The outcome class the code reports under.",
        system: bool =>
            "A code the platform sets itself, not one of the org's list (its name is its id).",
        date_created: Option<DateTime<Utc>> =>
            "When the code was created (UTC).",
        date_modified: Option<DateTime<Utc>> =>
            "When the code was last changed (UTC).",
        extra: Option<String> =>
            "JSON: the entity's other members, as the API sent them.",
    }
}

crate::declare_rows! {
    /// One row of `skills`.
    pub struct SkillRow {
        id: String =>
            "Routing skill id (the requested skill ids of conversations).",
        name: Option<String> =>
            "Skill name.",
        state: String =>
            "active, inactive or deleted.",
        active: bool =>
            "state is active.",
        date_modified: Option<DateTime<Utc>> =>
            "When the skill was last changed (UTC).",
        extra: Option<String> =>
            "JSON: the entity's other members, as the API sent them.",
    }
}

crate::declare_rows! {
    /// One row of `teams`.
    pub struct TeamRow {
        id: String =>
            "Team id: the `team_id` of `agents`.",
        name: Option<String> =>
            "Team name.",
        state: String =>
            "active, inactive or deleted.",
        active: bool =>
            "state is active.",
        division_id: Option<String> =>
            "The owning division.",
        member_count: Option<i64> =>
            "Members of the team.",
        date_created: Option<DateTime<Utc>> =>
            "When the team was created (UTC).",
        date_modified: Option<DateTime<Utc>> =>
            "When the team was last changed (UTC).",
        extra: Option<String> =>
            "JSON: the entity's other members, as the API sent them.",
    }
}

crate::declare_rows! {
    /// One row of `divisions`.
    pub struct DivisionRow {
        id: String =>
            "Division id: the `division_id` of the other dimensions.",
        name: Option<String> =>
            "Division name.",
        state: String =>
            "active, inactive or deleted.",
        active: bool =>
            "state is active.",
        description: Option<String> =>
            "Description.",
        home: bool =>
            "The org's home division.",
        extra: Option<String> =>
            "JSON: the entity's other members, as the API sent them.",
    }
}

crate::declare_rows! {
    /// One row of `presence_definitions`.
    pub struct PresenceDefinitionRow {
        id: String =>
            "Presence id: the organization presence ids in `agent_intervals.extra`, or the id of an unavailable (reason) code.",
        name: Option<String> =>
            "Presence name (the label agents pick).",
        state: String =>
            "active, inactive or deleted.",
        active: bool =>
            "state is active (not deactivated).",
        system_presence: Option<String> =>
            "The system presence it rolls up to, UPPER_SNAKE (ON_QUEUE, BREAK, MEAL, UNAVAILABLE, …).",
        kind: Option<String> =>
            "System (built in) or User (defined by the org).",
        division_id: Option<String> =>
            "The owning division.",
        extra: Option<String> =>
            "JSON: the entity's other members, as the API sent them.",
    }
}

/// `active`/`inactive` from a vendor's active flag: the `state` of vendors without states.
pub fn state_of(active: bool) -> String {
    if active { "active" } else { "inactive" }.to_string()
}

/// `OnQueue` → `ON_QUEUE`: presence definitions spell system presences in camel case, the
/// analytics data in upper snake case; the dataset uses the analytics spelling.
pub fn upper_snake(text: &str) -> String {
    if text.contains('_') || !text.chars().any(|c| c.is_ascii_lowercase()) {
        return text.to_ascii_uppercase();
    }
    let mut out = String::with_capacity(text.len() + 4);
    for (i, c) in text.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_presences_read_in_the_analytics_spelling() {
        for (given, expected) in [
            ("OnQueue", "ON_QUEUE"),
            ("Available", "AVAILABLE"),
            ("ON_QUEUE", "ON_QUEUE"),
            ("BREAK", "BREAK"),
            ("on_queue", "ON_QUEUE"),
            ("Meal", "MEAL"),
        ] {
            assert_eq!(upper_snake(given), expected, "{given}");
        }
        assert_eq!(state_of(false), "inactive");
    }
}
