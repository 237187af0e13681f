//! `contacts`: one row per conversation, derived from Genesys conversation details.
//!
//! Totals are sums of the participants' session metrics (milliseconds → seconds): talk, hold,
//! after-call work and handle time from agent sessions, queue time from `tAcd`. The first queue is
//! the earliest segment with a queue; the last agent the agent participant whose work started last.
//! Phone numbers (ANI/DNIS) are personal data: by default they are replaced by a keyed hash
//! (HMAC-SHA-256), so the same number gives the same value across runs and tenants without being
//! readable; `raw` keeps them and `drop` leaves them null.

use std::str::FromStr;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::{ColumnSpec, ColumnType, Dataset, TransformError};
use crate::sources::genesys::details::{DetailConversation, DetailSession, metric_sums};

/// The declared columns, in file order.
pub const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec {
        name: "conversation_id",
        kind: ColumnType::Utf8,
        nullable: false,
        doc: "Conversation id; unique in the dataset.",
        genesys: "`conversationId`",
        cxone: "`contactId`",
    },
    ColumnSpec {
        name: "conversation_start",
        kind: ColumnType::TimestampUtc,
        nullable: false,
        doc: "When the conversation started (UTC); it belongs to the date of its start.",
        genesys: "`conversationStart`",
        cxone: "`contactStartDate` (`contactStart` in old versions)",
    },
    ColumnSpec {
        name: "conversation_end",
        kind: ColumnType::TimestampUtc,
        nullable: true,
        doc: "When it ended (UTC).",
        genesys: "`conversationEnd`",
        cxone: "start + `totalDurationSeconds`",
    },
    ColumnSpec {
        name: "direction",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "inbound or outbound.",
        genesys: "`originatingDirection`",
        cxone: "`isOutbound`",
    },
    ColumnSpec {
        name: "media_type",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "voice, chat, email, message, callback, ….",
        genesys: "customer session `mediaType`",
        cxone: "`mediaTypeId` (`mediaType`)",
    },
    ColumnSpec {
        name: "first_queue_id",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "The first queue the conversation entered.",
        genesys: "earliest segment `queueId`",
        cxone: "`skillId`",
    },
    ColumnSpec {
        name: "last_agent_id",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "User id of the last agent who handled it (null: never answered).",
        genesys: "last `purpose=agent` participant `userId`",
        cxone: "`agentId` (null when 0)",
    },
    ColumnSpec {
        name: "wrap_up_code",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "Wrap-up code id of the last wrap-up.",
        genesys: "last `wrapup` segment `wrapUpCode`",
        cxone: "`primaryDispositionId` (null when 0)",
    },
    ColumnSpec {
        name: "abandoned",
        kind: ColumnType::Boolean,
        nullable: false,
        doc: "The customer left while queued.",
        genesys: "`tAbandon` metric present",
        cxone: "`abandoned`",
    },
    ColumnSpec {
        name: "transferred",
        kind: ColumnType::Boolean,
        nullable: false,
        doc: "An agent transferred it.",
        genesys: "`nTransferred` metric > 0",
        cxone: "`transferIndicatorId` ≠ 0",
    },
    ColumnSpec {
        name: "disconnect_type",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "How the customer's side ended (client, endpoint, peer, transfer, …).",
        genesys: "customer's last segment `disconnectType`",
        cxone: "`endReason`",
    },
    ColumnSpec {
        name: "wait_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Time in queue, seconds (null: never queued).",
        genesys: "sum of `tAcd` / 1000",
        cxone: "`inQueueSeconds`",
    },
    ColumnSpec {
        name: "talk_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Agent talk time, seconds (null: no agent).",
        genesys: "sum of agent `tTalk` / 1000",
        cxone: "`agentSeconds`",
    },
    ColumnSpec {
        name: "hold_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Agent hold time, seconds (null: no agent).",
        genesys: "sum of agent `tHeld` / 1000",
        cxone: "`holdSeconds`",
    },
    ColumnSpec {
        name: "acw_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "After-call work, seconds (null: no agent).",
        genesys: "sum of agent `tAcw` / 1000",
        cxone: "`acwSeconds` (`ACWSeconds`)",
    },
    ColumnSpec {
        name: "handle_seconds",
        kind: ColumnType::Float64,
        nullable: true,
        doc: "Handle time (talk + hold + after-call work), seconds (null: no agent).",
        genesys: "sum of agent `tHandle` / 1000",
        cxone: "`agentSeconds` + `holdSeconds` + `acwSeconds`",
    },
    ColumnSpec {
        name: "ani",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "Caller address, pseudonymised by default (`h:` + keyed hash).",
        genesys: "customer session `ani`",
        cxone: "`fromAddress` (`fromAddr`), pseudonymised",
    },
    ColumnSpec {
        name: "dnis",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "Dialled address, pseudonymised by default.",
        genesys: "customer session `dnis`",
        cxone: "`toAddress` (`toAddr`), pseudonymised",
    },
    ColumnSpec {
        name: "extra",
        kind: ColumnType::Utf8,
        nullable: true,
        doc: "JSON: other conversation members (divisionIds, …) and participant attributes (async jobs only).",
        genesys: "everything else",
        cxone: "every other field of the completed contact",
    },
];

/// What happens to personal data (phone numbers) in `contacts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PersonalData {
    /// Replaced by a keyed hash (default).
    #[default]
    Pseudonymize,
    /// Kept as the API returned it (explicit opt-in).
    Raw,
    /// Left out (null).
    Drop,
}

impl FromStr for PersonalData {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pseudonymize" => Ok(Self::Pseudonymize),
            "raw" => Ok(Self::Raw),
            "drop" => Ok(Self::Drop),
            other => Err(format!(
                "{other:?} is not one of \"pseudonymize\", \"raw\", \"drop\""
            )),
        }
    }
}

/// Applies the personal-data policy to one value.
#[derive(Clone)]
pub struct Pseudonymizer {
    mode: PersonalData,
    key: Option<Arc<SecretString>>,
}

impl Pseudonymizer {
    /// A policy; `key` is required for `Pseudonymize`.
    pub fn new(mode: PersonalData, key: Option<SecretString>) -> Result<Self, String> {
        if mode == PersonalData::Pseudonymize
            && key.as_ref().is_none_or(|k| k.expose_secret().len() < 16)
        {
            return Err(
                "pseudonymising phone numbers needs a key of at least 16 characters".into(),
            );
        }
        Ok(Self {
            mode,
            key: key.map(Arc::new),
        })
    }

    /// The value to store.
    pub fn apply(&self, value: Option<&str>) -> Option<String> {
        let value = value?;
        match self.mode {
            PersonalData::Raw => Some(value.to_string()),
            PersonalData::Drop => None,
            PersonalData::Pseudonymize => {
                let key = self.key.as_ref()?;
                let mut mac =
                    <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret().as_bytes()).ok()?;
                mac.update(value.as_bytes());
                let digest = mac.finalize().into_bytes();
                Some(format!(
                    "h:{}",
                    digest
                        .iter()
                        .take(16)
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                ))
            }
        }
    }
}

/// Why a conversation was not turned into a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// It started outside the slice (another date's partition has it).
    OutsideSlice,
    /// No `conversationEnd` yet: a later run picks it up.
    Ongoing,
}

/// One `contacts` row.
struct Row {
    id: String,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    direction: Option<String>,
    media_type: Option<String>,
    first_queue_id: Option<String>,
    last_agent_id: Option<String>,
    wrap_up_code: Option<String>,
    abandoned: bool,
    transferred: bool,
    disconnect_type: Option<String>,
    wait: Option<f64>,
    talk: Option<f64>,
    hold: Option<f64>,
    acw: Option<f64>,
    handle: Option<f64>,
    ani: Option<String>,
    dnis: Option<String>,
    extra: Option<String>,
}

fn instant(field: &'static str, text: &str) -> Result<DateTime<Utc>, TransformError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| TransformError::Malformed {
            field,
            value: text.to_string(),
            reason: e.to_string(),
        })
}

/// Accumulates rows of one slice and hands them out as record batches.
pub struct ContactsBuilder {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pseudonymizer: Pseudonymizer,
    rows: Vec<Row>,
}

impl ContactsBuilder {
    /// Rows for conversations that started in `[start, end)`.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>, pseudonymizer: Pseudonymizer) -> Self {
        Self {
            start,
            end,
            pseudonymizer,
            rows: Vec::new(),
        }
    }

    /// Adds a conversation, or says why it does not belong here.
    pub fn push(&mut self, c: &DetailConversation) -> Result<Option<Skip>, TransformError> {
        let start_text =
            c.conversation_start
                .as_deref()
                .ok_or_else(|| TransformError::Malformed {
                    field: "conversationStart",
                    value: String::new(),
                    reason: format!("missing on conversation {}", c.conversation_id),
                })?;
        let start = instant("conversationStart", start_text)?;
        if start < self.start || start >= self.end {
            return Ok(Some(Skip::OutsideSlice));
        }
        let Some(end_text) = c.conversation_end.as_deref() else {
            return Ok(Some(Skip::Ongoing));
        };
        let end = instant("conversationEnd", end_text)?;
        let is = |purpose: &str, p: &crate::sources::genesys::details::DetailParticipant| {
            p.purpose.as_deref() == Some(purpose)
        };
        let customer: Vec<&DetailSession> = c
            .participants
            .iter()
            .filter(|p| is("customer", p))
            .flat_map(|p| &p.sessions)
            .collect();
        let agents: Vec<_> = c.participants.iter().filter(|p| is("agent", p)).collect();
        let agent_sessions = || agents.iter().flat_map(|p| &p.sessions);
        let all_sessions = || c.participants.iter().flat_map(|p| &p.sessions);
        let all_metrics = metric_sums(all_sessions());
        let agent_metrics = metric_sums(agent_sessions());
        let first_segment_start = |sessions: &mut dyn Iterator<Item = &DetailSession>| {
            sessions
                .flat_map(|s| &s.segments)
                .filter_map(|s| s.segment_start.clone())
                .min()
        };
        let last_agent = agents
            .iter()
            .max_by_key(|p| first_segment_start(&mut p.sessions.iter()))
            .and_then(|p| p.user_id.clone());
        let mut queued: Vec<(String, String)> = all_sessions()
            .flat_map(|s| &s.segments)
            .filter_map(|s| Some((s.segment_start.clone()?, s.queue_id.clone()?)))
            .collect();
        queued.sort();
        let mut wrapups: Vec<(String, String)> = agent_sessions()
            .flat_map(|s| &s.segments)
            .filter(|s| s.segment_type.as_deref() == Some("wrapup"))
            .filter_map(|s| {
                Some((
                    s.segment_start.clone().unwrap_or_default(),
                    s.wrap_up_code.clone()?,
                ))
            })
            .collect();
        wrapups.sort();
        let mut customer_segments: Vec<_> = customer.iter().flat_map(|s| &s.segments).collect();
        customer_segments.sort_by(|a, b| a.segment_start.cmp(&b.segment_start));
        let seconds = |sums: &std::collections::BTreeMap<&str, f64>, name: &str| {
            sums.get(name).copied().unwrap_or(0.0) / 1000.0
        };
        let has_agent = !agents.is_empty();
        let agent_total = |name: &str| has_agent.then(|| seconds(&agent_metrics, name));
        let media_type = customer
            .iter()
            .chain(all_sessions().collect::<Vec<_>>().iter())
            .find_map(|s| s.media_type.clone());
        let mut extra = Map::new();
        if !c.other.is_empty() {
            extra.insert("conversation".into(), Value::Object(c.other.clone()));
        }
        let attributes: Map<String, Value> = c
            .participants
            .iter()
            .filter_map(|p| {
                Some((
                    p.purpose.clone().unwrap_or_default(),
                    Value::Object(p.attributes.clone()?),
                ))
            })
            .collect();
        if !attributes.is_empty() {
            extra.insert("attributes".into(), Value::Object(attributes));
        }
        self.rows.push(Row {
            id: c.conversation_id.clone(),
            start,
            end: Some(end),
            direction: c.originating_direction.clone(),
            media_type,
            first_queue_id: queued.first().map(|(_, q)| q.clone()),
            last_agent_id: last_agent,
            wrap_up_code: wrapups.last().map(|(_, w)| w.clone()),
            abandoned: all_metrics.contains_key("tAbandon"),
            transferred: all_metrics.get("nTransferred").is_some_and(|n| *n > 0.0),
            disconnect_type: customer_segments
                .last()
                .and_then(|s| s.disconnect_type.clone()),
            wait: all_metrics
                .contains_key("tAcd")
                .then(|| seconds(&all_metrics, "tAcd")),
            talk: agent_total("tTalk"),
            hold: agent_total("tHeld"),
            acw: agent_total("tAcw"),
            handle: agent_total("tHandle"),
            ani: self
                .pseudonymizer
                .apply(customer.iter().find_map(|s| s.ani.as_deref())),
            dnis: self
                .pseudonymizer
                .apply(customer.iter().find_map(|s| s.dnis.as_deref())),
            extra: (!extra.is_empty()).then(|| Value::Object(extra).to_string()),
        });
        Ok(None)
    }

    /// Adds a CXone completed contact (any API version's field names), or says why it does not
    /// belong here. Handle time is agent (talk) + hold + after-call work seconds.
    pub fn push_cxone(
        &mut self,
        fields: &Map<String, Value>,
    ) -> Result<Option<Skip>, TransformError> {
        use crate::sources::cxone::lenient::Record;
        let field = |e: crate::sources::cxone::lenient::FieldError| TransformError::Malformed {
            field: "completedContacts",
            value: e.value.clone(),
            reason: e.to_string(),
        };
        let r = Record::new(fields);
        let id = r
            .string(&["contactId"])
            .ok_or_else(|| TransformError::Malformed {
                field: "contactId",
                value: String::new(),
                reason: "a completed contact without contactId".into(),
            })?;
        let start = r
            .timestamp(&["contactStartDate", "contactStart"])
            .map_err(field)?
            .ok_or_else(|| TransformError::Malformed {
                field: "contactStartDate",
                value: String::new(),
                reason: format!("missing on contact {id}"),
            })?;
        if start < self.start || start >= self.end {
            return Ok(Some(Skip::OutsideSlice));
        }
        let total = r.duration(&["totalDurationSeconds"]).map_err(field)?;
        let agent = r.string(&["agentId"]).filter(|a| a != "0");
        let secs = |names: &[&str]| r.duration(names).map_err(field);
        let talk = secs(&["agentSeconds"])?;
        let hold = secs(&["holdSeconds"])?;
        let acw = secs(&["acwSeconds", "ACWSeconds"])?;
        let with_agent = |v: Option<f64>| {
            if agent.is_some() {
                Some(v.unwrap_or(0.0))
            } else {
                None
            }
        };
        let handle = agent
            .as_ref()
            .map(|_| talk.unwrap_or(0.0) + hold.unwrap_or(0.0) + acw.unwrap_or(0.0));
        let media_id = r.integer(&["mediaTypeId", "mediaType"]).map_err(field)?;
        let media_name = r.string(&["mediaTypeName"]);
        let outbound = r.boolean(&["isOutbound"]).map_err(field)?;
        let transferred = r
            .integer(&["transferIndicatorId"])
            .map_err(field)?
            .is_some_and(|t| t != 0);
        let row = Row {
            id,
            start,
            end: total
                .and_then(|t| chrono::Duration::try_milliseconds((t * 1000.0).round() as i64))
                .map(|d| start + d),
            direction: outbound.map(|o| if o { "outbound" } else { "inbound" }.to_string()),
            media_type: crate::sources::cxone::media_type(media_id, media_name.as_deref()),
            first_queue_id: r.string(&["skillId"]).filter(|s| s != "0"),
            last_agent_id: agent.clone(),
            wrap_up_code: r.string(&["primaryDispositionId"]).filter(|s| s != "0"),
            abandoned: r.boolean(&["abandoned"]).map_err(field)?.unwrap_or(false),
            transferred,
            disconnect_type: r.string(&["endReason"]),
            wait: secs(&["inQueueSeconds"])?,
            talk: with_agent(talk),
            hold: with_agent(hold),
            acw: with_agent(acw),
            handle,
            ani: self
                .pseudonymizer
                .apply(r.string(&["fromAddress", "fromAddr"]).as_deref()),
            dnis: self
                .pseudonymizer
                .apply(r.string(&["toAddress", "toAddr"]).as_deref()),
            extra: None,
        };
        self.rows.push(Row {
            extra: r.unused_json(),
            ..row
        });
        Ok(None)
    }

    /// Rows waiting to be written.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no rows are waiting.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Takes the waiting rows as one batch.
    pub fn take_batch(&mut self) -> Result<RecordBatch, TransformError> {
        let rows = std::mem::take(&mut self.rows);
        let strings = |f: &dyn Fn(&Row) -> Option<&str>| -> ArrayRef {
            Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
        };
        let floats = |f: &dyn Fn(&Row) -> Option<f64>| -> ArrayRef {
            Arc::new(Float64Array::from(rows.iter().map(f).collect::<Vec<_>>()))
        };
        let times = |f: &dyn Fn(&Row) -> Option<i64>| -> ArrayRef {
            Arc::new(
                TimestampMicrosecondArray::from(rows.iter().map(f).collect::<Vec<_>>())
                    .with_timezone("UTC"),
            )
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(
                rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            )),
            times(&|r| Some(r.start.timestamp_micros())),
            times(&|r| r.end.map(|t| t.timestamp_micros())),
            strings(&|r| r.direction.as_deref()),
            strings(&|r| r.media_type.as_deref()),
            strings(&|r| r.first_queue_id.as_deref()),
            strings(&|r| r.last_agent_id.as_deref()),
            strings(&|r| r.wrap_up_code.as_deref()),
            Arc::new(BooleanArray::from(
                rows.iter().map(|r| r.abandoned).collect::<Vec<_>>(),
            )),
            Arc::new(BooleanArray::from(
                rows.iter().map(|r| r.transferred).collect::<Vec<_>>(),
            )),
            strings(&|r| r.disconnect_type.as_deref()),
            floats(&|r| r.wait),
            floats(&|r| r.talk),
            floats(&|r| r.hold),
            floats(&|r| r.acw),
            floats(&|r| r.handle),
            strings(&|r| r.ani.as_deref()),
            strings(&|r| r.dnis.as_deref()),
            strings(&|r| r.extra.as_deref()),
        ];
        Ok(RecordBatch::try_new(Dataset::Contacts.schema(), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    const EXAMPLE: &str = include_str!("../../fixtures/genesys/conversation_details.json");

    fn pseudo() -> Pseudonymizer {
        Pseudonymizer::new(
            PersonalData::Pseudonymize,
            Some(SecretString::from("a-test-key-of-some-length".to_string())),
        )
        .unwrap()
    }

    fn slice() -> (DateTime<Utc>, DateTime<Utc>) {
        (
            "2026-11-20T00:00:00Z".parse().unwrap(),
            "2026-11-21T00:00:00Z".parse().unwrap(),
        )
    }

    #[test]
    fn the_documented_example_becomes_one_row() {
        let page: Value = serde_json::from_str(EXAMPLE).unwrap();
        let conversations: Vec<DetailConversation> =
            serde_json::from_value(page["conversations"].clone()).unwrap();
        let (start, end) = slice();
        let mut builder = ContactsBuilder::new(start, end, pseudo());
        assert_eq!(builder.push(&conversations[0]).unwrap(), None);
        let batch = builder.take_batch().unwrap();
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
        assert!(
            batch
                .column_by_name("hold_seconds")
                .unwrap()
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .value(0)
                == 0.0
        );
        let ani = s("ani");
        assert!(ani.starts_with("h:") && !ani.contains("5550100"), "{ani}");
        let extra: Value = serde_json::from_str(&s("extra")).unwrap();
        assert!(extra["conversation"]["divisionIds"].is_array());
    }

    #[test]
    fn ongoing_and_foreign_conversations_are_skipped() {
        let (start, end) = slice();
        let mut builder = ContactsBuilder::new(start, end, pseudo());
        let ongoing = DetailConversation {
            conversation_id: "a".into(),
            conversation_start: Some("2026-11-20T23:59:00Z".into()),
            ..Default::default()
        };
        let yesterday = DetailConversation {
            conversation_id: "b".into(),
            conversation_start: Some("2026-11-19T23:59:00Z".into()),
            conversation_end: Some("2026-11-20T00:09:00Z".into()),
            ..Default::default()
        };
        assert_eq!(builder.push(&ongoing).unwrap(), Some(Skip::Ongoing));
        assert_eq!(builder.push(&yesterday).unwrap(), Some(Skip::OutsideSlice));
        let broken = DetailConversation {
            conversation_id: "c".into(),
            conversation_start: Some("noon".into()),
            ..Default::default()
        };
        assert!(builder.push(&broken).is_err());
        assert!(builder.is_empty());
    }

    #[test]
    fn personal_data_policies() {
        let a = pseudo().apply(Some("tel:+15145550100"));
        assert_eq!(
            a,
            pseudo().apply(Some("tel:+15145550100")),
            "stable across runs"
        );
        let other_key = Pseudonymizer::new(
            PersonalData::Pseudonymize,
            Some(SecretString::from("another-key-entirely".to_string())),
        )
        .unwrap();
        assert_ne!(a, other_key.apply(Some("tel:+15145550100")));
        assert_eq!(
            Pseudonymizer::new(PersonalData::Raw, None)
                .unwrap()
                .apply(Some("x")),
            Some("x".into())
        );
        assert_eq!(
            Pseudonymizer::new(PersonalData::Drop, None)
                .unwrap()
                .apply(Some("x")),
            None
        );
        assert!(Pseudonymizer::new(PersonalData::Pseudonymize, None).is_err());
        let batch = ContactsBuilder::new(slice().0, slice().1, pseudo())
            .take_batch()
            .unwrap();
        assert_eq!(batch.num_rows(), 0);
        assert!(batch.column(0).is_empty());
    }
}
