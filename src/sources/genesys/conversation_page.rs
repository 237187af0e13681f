//! A page of conversation details (`AnalyticsConversation`s, reference/genesys.md §2.1, §2.2) as
//! the `contacts` and `contact_segments` rows need it, read in one pass over the answer's text.
//!
//! The page is flat: conversations, participants, sessions, segments and metrics each sit in one
//! list of the page, and a parent names its children by their range there. A page of 100 (or a
//! job's 1,000) conversations is then five allocations, not five per conversation, and strings
//! are borrowed from the answer's text unless they hold an escape. It is read by
//! [`JsonCursor`], which takes the members a row reads and checks and skips the others, at
//! about twice the speed of `serde_json` into nested structs (`scripts/bench-cpu.sh` prints both;
//! the README gives the figures). Members of a conversation that are not read (`divisionIds`,
//! `mediaStats…`) are kept for the row's `extra` as the JSON text `serde_json` would write for
//! them: usually their own text, borrowed.

use std::borrow::Cow;
use std::cell::Cell;
use std::ops::Range;

use super::details::DecodedPage;
use crate::sources::scan::{JsonCursor, ScanError, answer_text};

/// A member of a conversation that no column reads: its key and its value as JSON text (as
/// `serde_json` writes it).
pub type OtherMember<'a> = (Cow<'a, str>, Cow<'a, str>);

type Scan<T> = Result<T, ScanError>;

/// One conversation of a page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation<'a> {
    /// Conversation id.
    pub conversation_id: Cow<'a, str>,
    /// ISO-8601 start.
    pub conversation_start: Option<Cow<'a, str>>,
    /// ISO-8601 end; absent while the conversation is ongoing.
    pub conversation_end: Option<Cow<'a, str>>,
    /// `inbound` / `outbound`.
    pub originating_direction: Option<Cow<'a, str>>,
    /// Its participants in the page's list.
    pub participants: Range<u32>,
    /// Every other member (divisionIds, mediaStats…) in the page's list, kept for `extra`:
    /// sorted by key, each key once (the last of a repeated key wins, as in `serde_json`).
    pub other: Range<u32>,
}

/// A participant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Participant<'a> {
    /// Participant id.
    pub participant_id: Option<Cow<'a, str>>,
    /// customer, acd, agent, ivr, …
    pub purpose: Option<Cow<'a, str>>,
    /// The agent's user id.
    pub user_id: Option<Cow<'a, str>>,
    /// Its sessions in the page's list.
    pub sessions: Range<u32>,
    /// Participant data (async jobs only) in the page's list of members, as
    /// [`ConversationPage::attributes`] gives them: sorted by key, each key once.
    pub attributes: Option<Range<u32>>,
}

/// A session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Session<'a> {
    /// Session id.
    pub session_id: Option<Cow<'a, str>>,
    /// voice, chat, email, message, …
    pub media_type: Option<Cow<'a, str>>,
    /// Caller address.
    pub ani: Option<Cow<'a, str>>,
    /// Dialled address.
    pub dnis: Option<Cow<'a, str>>,
    /// Its segments in the page's list.
    pub segments: Range<u32>,
    /// Its metrics in the page's list.
    pub metrics: Range<u32>,
}

/// A segment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Segment<'a> {
    /// ISO-8601 start.
    pub segment_start: Option<Cow<'a, str>>,
    /// ISO-8601 end; absent while the segment is open.
    pub segment_end: Option<Cow<'a, str>>,
    /// interact, hold, wrapup, delay, …
    pub segment_type: Option<Cow<'a, str>>,
    /// Queue.
    pub queue_id: Option<Cow<'a, str>>,
    /// Wrap-up code.
    pub wrap_up_code: Option<Cow<'a, str>>,
    /// How the segment ended.
    pub disconnect_type: Option<Cow<'a, str>>,
}

/// A session metric: `n*` counts, `t*` milliseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metric<'a> {
    /// Metric name.
    pub name: Cow<'a, str>,
    /// Value.
    pub value: f64,
}

/// A page of conversation details: the query's (`totalHits`) or a job's (`cursor`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversationPage<'a> {
    /// The query's total: without it, paging cannot know where the results end.
    pub total_hits: Option<u64>,
    /// A job's next page.
    pub cursor: Option<String>,
    /// The page's conversations, in its order.
    pub conversations: Vec<Conversation<'a>>,
    participants: Vec<Participant<'a>>,
    sessions: Vec<Session<'a>>,
    segments: Vec<Segment<'a>>,
    metrics: Vec<Metric<'a>>,
    others: Vec<OtherMember<'a>>,
    attributes: Vec<OtherMember<'a>>,
}

/// The items of `list` in `range` (empty for a range the list does not hold, which no reader
/// makes).
fn part<'p, T>(list: &'p [T], range: &Range<u32>) -> &'p [T] {
    list.get(range.start as usize..range.end as usize)
        .unwrap_or_default()
}

impl<'a> ConversationPage<'a> {
    /// A conversation's participants.
    pub fn participants(&self, c: &Conversation<'_>) -> &[Participant<'a>] {
        part(&self.participants, &c.participants)
    }

    /// A participant's sessions.
    pub fn sessions(&self, p: &Participant<'_>) -> &[Session<'a>] {
        part(&self.sessions, &p.sessions)
    }

    /// A session's segments.
    pub fn segments(&self, s: &Session<'_>) -> &[Segment<'a>] {
        part(&self.segments, &s.segments)
    }

    /// A session's metrics.
    pub fn metrics(&self, s: &Session<'_>) -> &[Metric<'a>] {
        part(&self.metrics, &s.metrics)
    }

    /// A conversation's other members, sorted by key.
    pub fn other(&self, c: &Conversation<'_>) -> &[OtherMember<'a>] {
        part(&self.others, &c.other)
    }

    /// A participant's data, sorted by key (`None`: absent or `null`).
    pub fn attributes(&self, p: &Participant<'_>) -> Option<&[OtherMember<'a>]> {
        p.attributes.as_ref().map(|range| part(&self.attributes, range))
    }

    /// What paging needs of the page, with what `read` makes of it.
    pub fn decoded<O>(self, read: impl FnOnce(&Self) -> O) -> DecodedPage<O> {
        DecodedPage {
            results: self.conversations.len() as u64,
            out: read(&self),
            total_hits: self.total_hits,
            cursor: self.cursor,
        }
    }
}

thread_local! {
    /// The list sizes of the last page read on this thread and the length of its text. The next
    /// page's lists start at those sizes scaled to its own length (pages of a run are alike in
    /// density, not in length: a job's pages hold 1,000 conversations, the query's 100, and one
    /// thread reads both), so no list grows, copying itself, while a page is read.
    static LAST_SIZES: Cell<([usize; 7], usize)> = const { Cell::new(([0; 7], 0)) };
}

/// Room for a list of a page of `bytes` of text, given `last` items in the last page's `last_bytes`
/// (a sixteenth more, for a page a little denser), and never more than an item per 16 bytes of
/// text (no item of a real page is that small; a list that needs more grows).
fn scaled(last: usize, last_bytes: usize, bytes: usize) -> usize {
    if last_bytes == 0 {
        return 0;
    }
    let estimate = last.saturating_mul(bytes) / last_bytes;
    estimate.saturating_add(estimate / 16).min(bytes / 16)
}

/// Reads a page of conversation details from an answer's bytes, borrowed, and hands it to
/// `read` (which makes what is kept of it). An answer that is not such a page is an error as
/// `serde_json` reports it (truncation included: worth asking again).
pub fn read_conversation_page<R>(
    bytes: &[u8],
    read: impl FnOnce(ConversationPage<'_>) -> R,
) -> Result<R, serde_json::Error> {
    let text = answer_text(bytes)?;
    let (last, last_bytes) = LAST_SIZES.get();
    let [conversations, participants, sessions, segments, metrics, others, attributes] =
        last.map(|n| scaled(n, last_bytes, text.len()));
    let mut page = ConversationPage {
        total_hits: None,
        cursor: None,
        conversations: Vec::with_capacity(conversations),
        participants: Vec::with_capacity(participants),
        sessions: Vec::with_capacity(sessions),
        segments: Vec::with_capacity(segments),
        metrics: Vec::with_capacity(metrics),
        others: Vec::with_capacity(others),
        attributes: Vec::with_capacity(attributes),
    };
    let mut cursor = JsonCursor::new(text);
    page.read(&mut cursor)
        .and_then(|()| cursor.end())
        .map_err(|e| e.into_json(text))?;
    let sizes = [
        page.conversations.len(),
        page.participants.len(),
        page.sessions.len(),
        page.segments.len(),
        page.metrics.len(),
        page.others.len(),
        page.attributes.len(),
    ];
    LAST_SIZES.set((sizes, text.len()));
    Ok(read(page))
}

impl<'a> ConversationPage<'a> {
    fn read(&mut self, cursor: &mut JsonCursor<'a>) -> Scan<()> {
        cursor.object(|cursor, key| {
            match key.as_ref() {
                "conversations" => cursor.list(|cursor| self.conversation(cursor))?,
                "totalHits" => self.total_hits = cursor.optional_u64()?,
                "cursor" => self.cursor = cursor.optional_string()?.map(Cow::into_owned),
                _ => cursor.skip()?,
            }
            Ok(())
        })
    }

    fn conversation(&mut self, cursor: &mut JsonCursor<'a>) -> Scan<()> {
        let mut c = Conversation::default();
        let mut id = None;
        let others = MemberList::start(&self.others);
        cursor.object(|cursor, key| {
            match key.as_ref() {
                "conversationId" => id = Some(cursor.string()?),
                "conversationStart" => c.conversation_start = cursor.optional_string()?,
                "conversationEnd" => c.conversation_end = cursor.optional_string()?,
                "originatingDirection" => c.originating_direction = cursor.optional_string()?,
                "participants" => {
                    let start = self.participants.len() as u32;
                    cursor.list(|cursor| self.participant(cursor))?;
                    c.participants = start..self.participants.len() as u32;
                }
                _ => others.add(&mut self.others, key, cursor)?,
            }
            Ok(())
        })?;
        c.other = others.finish(&mut self.others);
        c.conversation_id = match id {
            Some(id) => id,
            None => return cursor_error(cursor, "member conversationId in every conversation"),
        };
        self.conversations.push(c);
        Ok(())
    }

    fn participant(&mut self, cursor: &mut JsonCursor<'a>) -> Scan<()> {
        let mut p = Participant::default();
        cursor.object(|cursor, key| {
            match key.as_ref() {
                "participantId" => p.participant_id = cursor.optional_string()?,
                "purpose" => p.purpose = cursor.optional_string()?,
                "userId" => p.user_id = cursor.optional_string()?,
                "sessions" => {
                    let start = self.sessions.len() as u32;
                    cursor.list(|cursor| self.session(cursor))?;
                    p.sessions = start..self.sessions.len() as u32;
                }
                "attributes" => p.attributes = self.participant_data(cursor)?,
                _ => cursor.skip()?,
            }
            Ok(())
        })?;
        self.participants.push(p);
        Ok(())
    }

    /// A participant's `attributes` (kept out of line: only job pages have them).
    #[inline(never)]
    fn participant_data(&mut self, cursor: &mut JsonCursor<'a>) -> Scan<Option<Range<u32>>> {
        if cursor.null()? {
            return Ok(None);
        }
        let members = MemberList::start(&self.attributes);
        cursor.object(|cursor, key| members.add(&mut self.attributes, key, cursor))?;
        Ok(Some(members.finish(&mut self.attributes)))
    }

    fn session(&mut self, cursor: &mut JsonCursor<'a>) -> Scan<()> {
        let mut s = Session::default();
        cursor.object(|cursor, key| {
            match key.as_ref() {
                "sessionId" => s.session_id = cursor.optional_string()?,
                "mediaType" => s.media_type = cursor.optional_string()?,
                "ani" => s.ani = cursor.optional_string()?,
                "dnis" => s.dnis = cursor.optional_string()?,
                "segments" => {
                    let start = self.segments.len() as u32;
                    cursor.list(|cursor| self.segment(cursor))?;
                    s.segments = start..self.segments.len() as u32;
                }
                "metrics" => {
                    let start = self.metrics.len() as u32;
                    cursor.list(|cursor| self.metric(cursor))?;
                    s.metrics = start..self.metrics.len() as u32;
                }
                _ => cursor.skip()?,
            }
            Ok(())
        })?;
        self.sessions.push(s);
        Ok(())
    }

    fn segment(&mut self, cursor: &mut JsonCursor<'a>) -> Scan<()> {
        let mut s = Segment::default();
        cursor.object(|cursor, key| {
            match key.as_ref() {
                "segmentStart" => s.segment_start = cursor.optional_string()?,
                "segmentEnd" => s.segment_end = cursor.optional_string()?,
                "segmentType" => s.segment_type = cursor.optional_string()?,
                "queueId" => s.queue_id = cursor.optional_string()?,
                "wrapUpCode" => s.wrap_up_code = cursor.optional_string()?,
                "disconnectType" => s.disconnect_type = cursor.optional_string()?,
                _ => cursor.skip()?,
            }
            Ok(())
        })?;
        self.segments.push(s);
        Ok(())
    }

    fn metric(&mut self, cursor: &mut JsonCursor<'a>) -> Scan<()> {
        let mut name = None;
        let mut value = 0.0;
        cursor.object(|cursor, key| {
            match key.as_ref() {
                "name" => name = Some(cursor.string()?),
                "value" => value = cursor.f64()?,
                _ => cursor.skip()?,
            }
            Ok(())
        })?;
        match name {
            Some(name) => self.metrics.push(Metric { name, value }),
            None => return cursor_error(cursor, "member name in every metric"),
        }
        Ok(())
    }
}

/// The members of one JSON object being read into the page's list of members: each value as
/// the JSON text `serde_json` writes for it, in key order once finished, each key once (the
/// last of a repeated key wins), as `serde_json`'s map holds them (`extra` is compared byte for
/// byte).
struct MemberList {
    start: usize,
}

impl MemberList {
    fn start(list: &[OtherMember<'_>]) -> Self {
        Self { start: list.len() }
    }

    fn add<'a>(
        &self,
        list: &mut Vec<OtherMember<'a>>,
        key: Cow<'a, str>,
        cursor: &mut JsonCursor<'a>,
    ) -> Scan<()> {
        let value = cursor.canonical_json("a JSON value")?;
        match list[self.start..].iter_mut().find(|(k, _)| *k == key) {
            Some((_, earlier)) => *earlier = value,
            None => list.push((key, value)),
        }
        Ok(())
    }

    fn finish(self, list: &mut [OtherMember<'_>]) -> Range<u32> {
        list[self.start..].sort_by(|(a, _), (b, _)| a.cmp(b));
        self.start as u32..list.len() as u32
    }
}

/// An error where the cursor is (after the object that lacks something).
fn cursor_error<T>(cursor: &JsonCursor<'_>, expected: &'static str) -> Scan<T> {
    Err(ScanError {
        offset: cursor.offset(),
        expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value};

    /// A page with every member a row reads, members it does not read at every level (one of
    /// them twice), escapes, `null`s, whitespace, a non-ASCII name and numbers of every form.
    const PAGE: &str = r#"{"totalHits": 3, "conversations": [
        {"conversationId": "c-1", "conversationStart": "2026-11-20T09:00:00.000Z",
         "conversationEnd": "2026-11-20T09:05:00.000Z", "originatingDirection": "inbound",
         "divisionIds": ["d-0"], "divisionIds": ["d-1"], "mediaStatsMinConversationMos": 4.5,
         "participants": [{"purpose": "customer", "participantName": "Caf\u00e9 \"Ana\" é",
           "participantId": "p-1", "userId": null, "attributes": {"tier": "gold", "n": [1, {}]},
           "sessions": [{"mediaType": "voice", "ani": "tel:+1555\u0030100", "segments": null,
             "dnis": "tel:+15550199", "sessionId": "s-1", "flowOutType": {"a": [true, false]},
             "metrics": [{"name": "tTalk", "value": 1234, "emitDate": "x"},
                         {"value": -2.5e1, "name": "tHeld"}, {"name": "nX", "value": 0.125}]},
             {"segments": [{"segmentStart": "2026-11-20T09:01:00Z", "segmentEnd": null,
               "segmentType": "interact", "queueId": "q-\/1", "wrapUpCode": "w",
               "disconnectType": "peer", "properties": [], "conference": false}]}]},
           {"purpose": "agent", "userId": "u-1", "sessions": []}]},
        {"conversationId": "c-\u0032", "participants": null},
        {"participants": [{"sessions": [{"metrics": []}]}], "conversationId": "c-3",
         "conversationEnd": null, "evaluations": [{"score": 1E+2}]}
    ]}"#;

    /// A conversation with its children nested, owned: what a page says, however it is read.
    #[derive(Debug, PartialEq)]
    struct Nested {
        fields: [Option<String>; 4],
        /// The other members' keys and JSON texts, in order.
        other: Vec<(String, String)>,
        participants: Vec<NestedParticipant>,
    }

    /// A participant's ids, attributes (keys and JSON texts, in order) and sessions.
    type NestedParticipant = (
        [Option<String>; 3],
        Option<Vec<(String, String)>>,
        Vec<NestedSession>,
    );

    #[derive(Debug, PartialEq)]
    struct NestedSession {
        fields: [Option<String>; 4],
        segments: Vec<[Option<String>; 6]>,
        metrics: Vec<(String, u64)>,
    }

    type Read = (Option<u64>, Option<String>, Vec<Nested>);

    fn text(t: &Option<Cow<'_, str>>) -> Option<String> {
        t.as_deref().map(str::to_string)
    }

    /// The page as ccetl reads it, nested.
    fn ours(bytes: &[u8]) -> Result<Read, serde_json::Error> {
        read_conversation_page(bytes, |page| {
            let conversations = page.conversations.iter().map(|c| Nested {
                fields: [
                    Some(c.conversation_id.to_string()),
                    text(&c.conversation_start),
                    text(&c.conversation_end),
                    text(&c.originating_direction),
                ],
                other: page
                    .other(c)
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                participants: page
                    .participants(c)
                    .iter()
                    .map(|p| {
                        let sessions = page.sessions(p).iter().map(|s| NestedSession {
                            fields: [&s.session_id, &s.media_type, &s.ani, &s.dnis].map(text),
                            segments: page
                                .segments(s)
                                .iter()
                                .map(|g| {
                                    [
                                        &g.segment_start,
                                        &g.segment_end,
                                        &g.segment_type,
                                        &g.queue_id,
                                        &g.wrap_up_code,
                                        &g.disconnect_type,
                                    ]
                                    .map(text)
                                })
                                .collect(),
                            metrics: page
                                .metrics(s)
                                .iter()
                                .map(|m| (m.name.to_string(), m.value.to_bits()))
                                .collect(),
                        });
                        (
                            [&p.participant_id, &p.purpose, &p.user_id].map(text),
                            page.attributes(p).map(|members| {
                                members
                                    .iter()
                                    .map(|(k, v)| (k.to_string(), v.to_string()))
                                    .collect()
                            }),
                            sessions.collect(),
                        )
                    })
                    .collect(),
            });
            (page.total_hits, page.cursor.clone(), conversations.collect())
        })
    }

    /// The page as `serde_json` reads it into `Value`s, nested the same way: the reference the
    /// cursor is held to. `None` where the page is not a page of conversations.
    fn reference(bytes: &[u8]) -> Option<Read> {
        let page: Value = serde_json::from_slice(bytes).ok()?;
        let page = page.as_object()?;
        fn string(v: Option<&Value>) -> Option<Option<String>> {
            match v {
                None | Some(Value::Null) => Some(None),
                Some(Value::String(s)) => Some(Some(s.clone())),
                Some(_) => None,
            }
        }
        fn list(v: Option<&Value>) -> Option<Vec<&Map<String, Value>>> {
            match v {
                None | Some(Value::Null) => Some(Vec::new()),
                Some(Value::Array(items)) => items.iter().map(Value::as_object).collect(),
                Some(_) => None,
            }
        }
        fn strings<const N: usize>(o: &Map<String, Value>, keys: [&str; N]) -> Option<[Option<String>; N]> {
            let mut out = [(); N].map(|()| None);
            for (slot, key) in out.iter_mut().zip(keys) {
                *slot = string(o.get(key))?;
            }
            Some(out)
        }
        let total_hits = match page.get("totalHits") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64()?),
        };
        let cursor = string(page.get("cursor"))?;
        let mut conversations = Vec::new();
        for c in list(page.get("conversations"))? {
            let id = c.get("conversationId")?.as_str()?.to_string();
            let [start, end, direction] =
                strings(c, ["conversationStart", "conversationEnd", "originatingDirection"])?;
            let known = [
                "conversationId",
                "conversationStart",
                "conversationEnd",
                "originatingDirection",
                "participants",
            ];
            let other = c
                .iter()
                .filter(|(k, _)| !known.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect();
            let mut participants = Vec::new();
            for p in list(c.get("participants"))? {
                let attributes = match p.get("attributes") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(
                        v.as_object()?
                            .iter()
                            .map(|(k, v)| (k.clone(), v.to_string()))
                            .collect(),
                    ),
                };
                let mut sessions = Vec::new();
                for s in list(p.get("sessions"))? {
                    let segments = list(s.get("segments"))?
                        .into_iter()
                        .map(|g| {
                            strings(
                                g,
                                [
                                    "segmentStart",
                                    "segmentEnd",
                                    "segmentType",
                                    "queueId",
                                    "wrapUpCode",
                                    "disconnectType",
                                ],
                            )
                        })
                        .collect::<Option<_>>()?;
                    let metrics = list(s.get("metrics"))?
                        .into_iter()
                        .map(|m| {
                            let name = m.get("name")?.as_str()?.to_string();
                            let value = match m.get("value") {
                                None => 0.0,
                                Some(v) => v.as_f64()?,
                            };
                            Some((name, value.to_bits()))
                        })
                        .collect::<Option<_>>()?;
                    sessions.push(NestedSession {
                        fields: strings(s, ["sessionId", "mediaType", "ani", "dnis"])?,
                        segments,
                        metrics,
                    });
                }
                participants.push((
                    strings(p, ["participantId", "purpose", "userId"])?,
                    attributes,
                    sessions,
                ));
            }
            conversations.push(Nested {
                fields: [Some(id), start, end, direction],
                other,
                participants,
            });
        }
        Some((total_hits, cursor, conversations))
    }

    #[test]
    fn a_page_reads_as_serde_json_reads_it() {
        let read = ours(PAGE.as_bytes()).unwrap();
        assert_eq!(Some(&read), reference(PAGE.as_bytes()).as_ref());
        // And what that is, spelled out for the members that matter most.
        let (total_hits, _, conversations) = read;
        assert_eq!(total_hits, Some(3));
        assert_eq!(conversations.len(), 3);
        let c = &conversations[0];
        let other = [
            ("divisionIds".to_string(), r#"["d-1"]"#.to_string()),
            ("mediaStatsMinConversationMos".to_string(), "4.5".to_string()),
        ];
        assert_eq!(c.other, other);
        let (ids, attributes, sessions) = &c.participants[0];
        assert_eq!(ids, &[Some("p-1".into()), Some("customer".into()), None]);
        let sorted = [
            ("n".to_string(), "[1,{}]".to_string()),
            ("tier".to_string(), r#""gold""#.to_string()),
        ];
        assert_eq!(attributes.as_deref(), Some(&sorted[..]));
        assert_eq!(sessions[0].fields[2].as_deref(), Some("tel:+15550100"), "escapes are read");
        assert!(sessions[0].segments.is_empty(), "null is an empty list");
        let metrics: Vec<(&str, f64)> = sessions[0]
            .metrics
            .iter()
            .map(|(n, v)| (n.as_str(), f64::from_bits(*v)))
            .collect();
        assert_eq!(metrics, [("tTalk", 1234.0), ("tHeld", -25.0), ("nX", 0.125)]);
        assert_eq!(sessions[1].segments[0][3].as_deref(), Some("q-/1"));
        assert_eq!(conversations[1].fields[0].as_deref(), Some("c-2"));
        assert!(conversations[1].participants.is_empty());
        assert_eq!(conversations[2].participants[0].2[0].metrics, []);
        assert_eq!(c.participants[1].2, []);
    }

    #[test]
    fn strings_without_escapes_are_borrowed_at_every_level() {
        fn borrowed(text: &Option<Cow<'_, str>>) -> bool {
            matches!(text, Some(Cow::Borrowed(_)))
        }
        let page = r#"{"conversations": [{"conversationId": "c-1",
            "conversationStart": "2026-11-20T09:00:00.000Z",
            "participants": [{"participantId": "p-1", "purpose": "agent", "userId": "u-1",
              "sessions": [{"sessionId": "s-1", "mediaType": "voice", "ani": "tel:1", "dnis": "tel:2",
                "segments": [{"segmentStart": "a", "segmentEnd": "b", "segmentType": "interact",
                  "queueId": "q", "wrapUpCode": "w", "disconnectType": "peer"}],
                "metrics": [{"name": "tTalk", "value": 1}]}]}]}]}"#;
        read_conversation_page(page.as_bytes(), |page| {
            let c = &page.conversations[0];
            assert!(matches!(c.conversation_id, Cow::Borrowed(_)));
            assert!(borrowed(&c.conversation_start));
            let p = &page.participants[0];
            assert!([&p.participant_id, &p.purpose, &p.user_id].into_iter().all(borrowed));
            let s = &page.sessions[0];
            assert!([&s.session_id, &s.media_type, &s.ani, &s.dnis].into_iter().all(borrowed));
            let g = &page.segments[0];
            let texts = [
                &g.segment_start,
                &g.segment_end,
                &g.segment_type,
                &g.queue_id,
                &g.wrap_up_code,
                &g.disconnect_type,
            ];
            assert!(texts.into_iter().all(borrowed), "{g:?}");
            assert!(matches!(page.metrics[0].name, Cow::Borrowed(_)));
        })
        .unwrap();
    }

    /// A small deterministic generator (xorshift) for the mutations below.
    struct Mutations(u64);

    impl Mutations {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    #[test]
    fn mutated_pages_read_as_serde_json_reads_them_or_fail_as_it_does() {
        // Bytes cut, doubled, swapped and changed: whatever the page becomes, the cursor reads
        // what serde_json reads, or refuses what it refuses (or what is not a page). No digits
        // or exponents are added: serde_json's default float parsing is not correctly rounded
        // for large exponents (-2.5e61 and 12e34 come out one unit in the last place off), the
        // cursor's is.
        const BYTES: &[u8] = b"{}[],:\"\\ .-+nulltrfasUbcd\n\xc3\xa9";
        let mut random = Mutations(0x9E37_79B9_7F4A_7C15);
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..20_000 {
            let mut page = PAGE.as_bytes().to_vec();
            for _ in 0..1 + random.below(3) {
                let at = random.below(page.len());
                match random.below(4) {
                    0 => {
                        let to = (at + 1 + random.below(8)).min(page.len());
                        page.drain(at..to);
                    }
                    1 => page.insert(at, BYTES[random.below(BYTES.len())]),
                    2 => page[at] = BYTES[random.below(BYTES.len())],
                    _ => {
                        let other = random.below(page.len());
                        page.swap(at, other);
                    }
                }
            }
            let ours = ours(&page);
            let theirs = reference(&page);
            match (&ours, &theirs) {
                (Ok(a), Some(b)) => {
                    assert_eq!(a, b, "{}", String::from_utf8_lossy(&page));
                    accepted += 1;
                }
                (Err(_), None) => refused += 1,
                _ => panic!(
                    "ours {:?}, serde_json's {:?}: {}",
                    ours.err(),
                    theirs.is_some(),
                    String::from_utf8_lossy(&page)
                ),
            }
        }
        // Both kinds were met, many times.
        assert!(accepted > 1000 && refused > 1000, "{accepted} accepted, {refused} refused");
    }

    #[test]
    fn a_jobs_page_of_a_thousand_conversations_reads_as_one_does() {
        let one = r#"{"conversationId": "c", "conversationStart": "2026-11-20T09:00:00.000Z",
            "divisionIds": ["d-1"], "participants": [{"purpose": "agent", "userId": "u",
            "sessions": [{"mediaType": "voice", "metrics": [{"name": "tTalk", "value": 7}]}]}]}"#;
        let page = format!(r#"{{"cursor": "next", "conversations": [{}]}}"#, vec![one; 1000].join(","));
        let (_, cursor, all) = ours(page.as_bytes()).unwrap();
        let (_, _, single) = ours(format!(r#"{{"conversations": [{one}]}}"#).as_bytes()).unwrap();
        assert_eq!(cursor.as_deref(), Some("next"));
        assert_eq!(all.len(), 1000);
        assert!(all.iter().all(|c| c == &single[0]));
    }

    #[test]
    fn errors_are_serde_jsons_truncations_included() {
        let cut = &PAGE[..PAGE.len() / 2];
        let e = ours(cut.as_bytes()).unwrap_err();
        assert!(e.is_eof(), "{e}");
        let e = ours(br#"{"conversations": [{"conversationStart": "x"}]}"#).unwrap_err();
        assert!(e.is_data() && e.to_string().contains("conversationId"), "{e}");
        let e = ours(br#"{"conversations": [{"conversationId": 7}]}"#).unwrap_err();
        assert!(e.is_data(), "{e}");
        assert_eq!(e.to_string(), "expected a string at line 1 column 39");
        let e = ours(br#"{"conversations": [{"conversationId": "c", "participants": [{"sessions":
            [{"metrics": [{"value": 1}]}]}]}]}"#)
        .unwrap_err();
        assert!(e.is_data() && e.to_string().contains("member name"), "{e}");
        let e = ours(br#"{"totalHits": 1, "conversations": [}"#).unwrap_err();
        assert!(e.is_syntax(), "{e}");
        // Invalid UTF-8 is an error that says where.
        let e = ours(b"{\"conversations\": [{\"conversationId\": \"\xff\"}]}").unwrap_err();
        assert!(e.is_syntax() && e.to_string().contains("invalid unicode"), "{e}");
    }

    #[test]
    fn a_pages_lists_start_at_the_last_pages_density_scaled_to_its_length() {
        assert_eq!(scaled(600, 200_000, 2_000_000), 6_375, "ten times the text: ten times the room");
        assert_eq!(scaled(6_000, 2_000_000, 200_000), 637);
        assert_eq!(scaled(5, 100, 0), 0);
        assert_eq!(scaled(5, 0, 1_000), 0, "no page read yet");
        assert_eq!(scaled(90_000, 100, 1_600_000), 100_000, "at most an item per 16 bytes");
        assert_eq!(scaled(usize::MAX, 1, 1 << 20), 1 << 16, "no overflow");
    }

    #[test]
    fn an_empty_page_has_no_results_member() {
        let decoded = read_conversation_page(br#"{"totalHits": 0}"#, |page| {
            page.decoded(|page| page.conversations.len())
        })
        .unwrap();
        assert_eq!((decoded.results, decoded.total_hits, decoded.out), (0, Some(0), 0));
    }
}
