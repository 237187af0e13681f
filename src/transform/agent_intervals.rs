//! `agent_intervals`: one row per agent × interval (30 minutes by default): time logged in, in
//! each presence and routing status, and the conversations the agent handled, in seconds. A status
//! absent from an interval took no time (0); a column a source does not report is null. Sources
//! fill the rows; this file only declares them.

use chrono::{DateTime, Utc};

crate::declare_rows! {
    /// One row of `agent_intervals`.
    pub struct AgentIntervalRow {
        interval_start: DateTime<Utc> =>
            "Start of the interval (UTC).",
        interval_end: DateTime<Utc> =>
            "End of the interval (UTC), exclusive.",
        user_id: String =>
            "The agent's user id.",
        login_seconds: Option<f64> =>
            "Time logged in (any system presence but OFFLINE), seconds. Null: the vendor does not report it (as for every column below).",
        on_queue_seconds: Option<f64> =>
            "Time on queue, seconds.",
        available_seconds: Option<f64> =>
            "Time Available (off queue), seconds.",
        away_seconds: Option<f64> =>
            "Time Away, seconds.",
        busy_seconds: Option<f64> =>
            "Time Busy, seconds.",
        break_seconds: Option<f64> =>
            "Time on Break, seconds.",
        meal_seconds: Option<f64> =>
            "Time at Meal, seconds.",
        meeting_seconds: Option<f64> =>
            "Time in Meeting, seconds.",
        training_seconds: Option<f64> =>
            "Time in Training, seconds.",
        idle_seconds: Option<f64> =>
            "On queue and waiting for a conversation, seconds.",
        interacting_seconds: Option<f64> =>
            "On queue and handling conversations, seconds.",
        not_responding_seconds: Option<f64> =>
            "Alerted but not answering, seconds.",
        communicating_seconds: Option<f64> =>
            "On a non-ACD conversation while on queue, seconds.",
        off_queue_seconds: Option<f64> =>
            "Logged in but off queue, seconds.",
        handled: Option<i64> =>
            "Conversations handled (started in the interval).",
        handle_seconds: Option<f64> =>
            "Handle time, seconds.",
        talk_seconds: Option<f64> =>
            "Talk time, seconds.",
        hold_seconds: Option<f64> =>
            "Hold time, seconds.",
        acw_seconds: Option<f64> =>
            "After-call work, seconds.",
        transferred: Option<i64> =>
            "Conversations the agent transferred.",
        extra: Option<String> =>
            "JSON: other presences and statuses (by qualifier, seconds), organization presences by id, other metrics.",
    }
}
