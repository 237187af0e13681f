//! `contact_segments`: one row per conversation × participant × session × segment, the grain
//! transfers, holds and per-agent handling are reported from. Rows come from the same answers
//! as `contacts` (no request of their own) and land in the partition of the conversation's start
//! date, for the conversations `contacts` admits. Sources fill the rows; this file declares them.

use chrono::{DateTime, Utc};

crate::declare_rows! {
    /// One row of `contact_segments`.
    pub struct ContactSegmentRow {
        conversation_id: String =>
            "Conversation id (a row of `contacts`).",
        conversation_start: DateTime<Utc> =>
            "When the conversation started (UTC); the partition's date is its date.",
        participant_id: Option<String> =>
            "Participant id.",
        purpose: Option<String> =>
            "What the participant is: customer, acd (the queue), agent, ivr, ….",
        user_id: Option<String> =>
            "The agent's user id (agent participants).",
        session_id: Option<String> =>
            "Session id (one media session of the participant).",
        media_type: Option<String> =>
            "voice, chat, email, message, ….",
        segment_index: i64 =>
            "Order of the segment within its session (0 first, by start).",
        segment_type: Option<String> =>
            "interact, hold, wrapup, delay, alert, dialing, ….",
        segment_start: DateTime<Utc> =>
            "Start of the segment (UTC).",
        segment_end: Option<DateTime<Utc>> =>
            "End of the segment (UTC); null while it is open.",
        duration_seconds: Option<f64> =>
            "segment_end − segment_start, seconds.",
        queue_id: Option<String> =>
            "The queue of the segment.",
        wrap_up_code: Option<String> =>
            "Wrap-up code id (on wrap-up segments).",
        disconnect_type: Option<String> =>
            "How the segment ended, when it ended the session (client, endpoint, peer, transfer, …).",
    }
}
