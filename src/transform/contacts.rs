//! `contacts`: one row per conversation (some platforms say contact: the grain is the same).
//!
//! A conversation belongs to the date of its start, lands once however many pages or windows
//! returned it, and only once it has ended: [`ContactAdmission`] applies these rules for every
//! source. Durations are seconds; `ani`/`dnis` are personal data and go through the privacy
//! policy when the batch is built.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

crate::declare_rows! {
    /// One row of `contacts`.
    pub struct ContactRow {
        conversation_id: String =>
            "Conversation id; unique in the dataset.",
        conversation_start: DateTime<Utc> =>
            "When the conversation started (UTC); it belongs to the date of its start.",
        conversation_end: Option<DateTime<Utc>> =>
            "When it ended (UTC).",
        direction: Option<String> =>
            "inbound or outbound.",
        media_type: Option<String> =>
            "voice, chat, email, message, callback, ….",
        first_queue_id: Option<String> =>
            "The first queue the conversation entered.",
        last_agent_id: Option<String> =>
            "User id of the last agent who handled it (null: never answered).",
        wrap_up_code: Option<String> =>
            "Wrap-up code id of the last wrap-up.",
        abandoned: bool =>
            "The customer left while queued.",
        transferred: bool =>
            "An agent transferred it.",
        disconnect_type: Option<String> =>
            "How the customer's side ended (client, endpoint, peer, transfer, …).",
        wait_seconds: Option<f64> =>
            "Time in queue, seconds (null: never queued).",
        talk_seconds: Option<f64> =>
            "Agent talk time, seconds (null: no agent).",
        hold_seconds: Option<f64> =>
            "Agent hold time, seconds (null: no agent).",
        acw_seconds: Option<f64> =>
            "After-call work, seconds (null: no agent).",
        handle_seconds: Option<f64> =>
            "Handle time (talk + hold + after-call work), seconds (null: no agent).",
        ani: Option<String> [personal] =>
            "Caller address, pseudonymised by default (`h:` + keyed hash).",
        dnis: Option<String> [personal] =>
            "Dialled address, pseudonymised by default.",
        extra: Option<String> =>
            "JSON: other conversation members (divisionIds, …) and participant attributes (async jobs only).",
    }
}

/// A conversation id as the admission remembers it: a UUID in its canonical text (lowercase,
/// hyphenated: what both vendors send) as its 128 bits, with no allocation; any other id as its
/// text. Each text maps to one key and back, so two ids are the same key only when equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SeenId {
    Uuid(u128),
    Text(Box<str>),
}

impl SeenId {
    fn of(id: &str) -> Self {
        let bytes = id.as_bytes();
        // `uuid` reads 36 bytes only as the hyphenated form, in either case: upper case is left
        // to the text key, so that each key has one text.
        if bytes.len() == 36
            && !bytes.iter().any(u8::is_ascii_uppercase)
            && let Ok(uuid) = uuid::Uuid::try_parse_ascii(bytes)
        {
            return SeenId::Uuid(uuid.as_u128());
        }
        SeenId::Text(id.into())
    }
}

/// Which conversations a `contacts` partition keeps: each id once, started in the slice's
/// interval, and ended (an ongoing one waits for a later run). It counts what it turns away, so
/// the manifest can say so.
#[derive(Debug)]
pub struct ContactAdmission {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// Ids seen, under a fast seeded hash (SipHash was 3% of a backfill's CPU).
    seen: HashSet<SeenId, foldhash::fast::RandomState>,
    duplicates: u64,
    outside: u64,
    ongoing: u64,
    ongoing_starts: Vec<DateTime<Utc>>,
}

impl ContactAdmission {
    /// The rules for the slice `[start, end)`.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self {
            start,
            end,
            seen: HashSet::default(),
            duplicates: 0,
            outside: 0,
            ongoing: 0,
            ongoing_starts: Vec::new(),
        }
    }

    /// Whether the conversation `id` becomes a row. Call first with the id alone
    /// ([`ContactAdmission::first_sight`]), then with its start and whether it has ended.
    pub fn first_sight(&mut self, id: &str) -> bool {
        let id = SeenId::of(id);
        if self.seen.contains(&id) {
            self.duplicates += 1;
            return false;
        }
        self.seen.insert(id);
        true
    }

    /// Whether a conversation seen for the first time belongs to this slice and is complete.
    pub fn belongs(&mut self, start: DateTime<Utc>, ended: bool) -> bool {
        if start < self.start || start >= self.end {
            self.outside += 1;
            false
        } else if !ended {
            self.ongoing += 1;
            self.ongoing_starts.push(start);
            false
        } else {
            true
        }
    }

    /// Conversations left for a later run because they had not ended.
    pub fn ongoing(&self) -> u64 {
        self.ongoing
    }

    /// When each of them started (the day they would land on).
    pub fn ongoing_starts(&self) -> &[DateTime<Utc>] {
        &self.ongoing_starts
    }

    /// Records turned away, by reason (reasons with none left out).
    pub fn skipped(&self) -> BTreeMap<String, u64> {
        [
            ("duplicate", self.duplicates),
            ("ongoing", self.ongoing),
            ("outside_slice", self.outside),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| (k.to_string(), n))
        .collect()
    }

    /// What the manifest records: duplicates dropped, ongoing and outside-the-slice skipped.
    pub fn details(&self) -> BTreeMap<String, Value> {
        BTreeMap::from([
            ("duplicates_dropped".to_string(), self.duplicates.into()),
            ("ongoing_skipped".to_string(), self.ongoing.into()),
            ("outside_slice_skipped".to_string(), self.outside.into()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn ids_are_the_same_key_only_when_they_are_the_same_text() {
        let uuid = "88c05a76-96d9-43e5-8022-9d51e1e6235d";
        assert_eq!(
            SeenId::of(uuid),
            SeenId::Uuid(0x88c05a76_96d9_43e5_8022_9d51e1e6235d)
        );
        let others = [
            "88C05A76-96D9-43E5-8022-9D51E1E6235D",
            "88c05a7696d943e580229d51e1e6235d",
            "{88c05a76-96d9-43e5-8022-9d51e1e6235}",
            "88c05a76-96d9-43e5-8022-9d51e1e6235g",
            "88c05a76-96d9-43e5-8022_9d51e1e6235d",
            "88c05a76-96d9-43e5-8022-9d51e1e6235D",
            "88c05a7-696d9-43e5-8022-9d51e1e6235d",
            "88c05a76-96d9-43e5-8022-9d51e1e6235\u{e9}",
            "88c05a76-96d9-43e5-8022-9d51e1e6235d ",
            "c-1",
            "",
        ];
        let mut a = ContactAdmission::new(t("2026-11-20T00:00:00Z"), t("2026-11-21T00:00:00Z"));
        assert!(a.first_sight(uuid));
        for other in others {
            assert!(matches!(SeenId::of(other), SeenId::Text(_)), "{other}");
            assert!(a.first_sight(other), "{other} is another conversation");
            assert!(!a.first_sight(other), "{other} seen twice");
        }
        assert!(!a.first_sight(uuid));
        assert_eq!(a.duplicates, 1 + others.len() as u64);
    }

    #[test]
    fn each_conversation_once_started_in_the_slice_and_ended() {
        let mut a = ContactAdmission::new(t("2026-11-20T00:00:00Z"), t("2026-11-21T00:00:00Z"));
        assert!(a.first_sight("x"));
        assert!(a.belongs(t("2026-11-20T23:59:00Z"), true));
        assert!(!a.first_sight("x"), "a duplicate");
        assert!(a.first_sight("y"));
        assert!(!a.belongs(t("2026-11-19T23:59:00Z"), true), "yesterday's");
        assert!(a.first_sight("z"));
        assert!(
            !a.belongs(t("2026-11-21T00:00:00Z"), true),
            "the end is exclusive"
        );
        assert!(a.first_sight("w"));
        assert!(!a.belongs(t("2026-11-20T12:00:00Z"), false), "ongoing");
        assert_eq!(a.ongoing(), 1);
        let d = a.details();
        assert_eq!(
            (
                d["duplicates_dropped"].as_u64(),
                d["outside_slice_skipped"].as_u64(),
                d["ongoing_skipped"].as_u64()
            ),
            (Some(1), Some(2), Some(1))
        );
        let skipped = a.skipped();
        assert_eq!(
            (
                skipped["duplicate"],
                skipped["outside_slice"],
                skipped["ongoing"]
            ),
            (1, 2, 1)
        );
    }
}
