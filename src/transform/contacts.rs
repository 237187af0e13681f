//! `contacts`: one row per conversation (some platforms say contact: the grain is the same).
//!
//! A conversation belongs to the date of its start, lands once however many pages or windows
//! returned it, and only once it has ended: [`ContactAdmission`] applies these rules for every
//! source. Durations are seconds; `ani`/`dnis` are personal data and go through the privacy
//! policy when the batch is built.

use std::collections::{BTreeMap, HashSet};

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::columns::{BatchContext, ColumnValue, TextColumn, batch_of, runs};
use super::{Pseudonymizer, TransformError};

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

/// One `contacts` row borrowed from where it was read (a page of conversation details, or a
/// [`ContactRow`]), for [`ContactColumns::push`]: nothing is copied but into the columns.
#[derive(Debug, Clone, Default)]
pub struct ContactValues<'a> {
    /// See [`ContactRow::conversation_id`].
    pub conversation_id: &'a str,
    /// See [`ContactRow::conversation_start`].
    pub conversation_start: DateTime<Utc>,
    /// See [`ContactRow::conversation_end`].
    pub conversation_end: Option<DateTime<Utc>>,
    /// See [`ContactRow::direction`].
    pub direction: Option<&'a str>,
    /// See [`ContactRow::media_type`].
    pub media_type: Option<&'a str>,
    /// See [`ContactRow::first_queue_id`].
    pub first_queue_id: Option<&'a str>,
    /// See [`ContactRow::last_agent_id`].
    pub last_agent_id: Option<&'a str>,
    /// See [`ContactRow::wrap_up_code`].
    pub wrap_up_code: Option<&'a str>,
    /// See [`ContactRow::abandoned`].
    pub abandoned: bool,
    /// See [`ContactRow::transferred`].
    pub transferred: bool,
    /// See [`ContactRow::disconnect_type`].
    pub disconnect_type: Option<&'a str>,
    /// See [`ContactRow::wait_seconds`].
    pub wait_seconds: Option<f64>,
    /// See [`ContactRow::talk_seconds`].
    pub talk_seconds: Option<f64>,
    /// See [`ContactRow::hold_seconds`].
    pub hold_seconds: Option<f64>,
    /// See [`ContactRow::acw_seconds`].
    pub acw_seconds: Option<f64>,
    /// See [`ContactRow::handle_seconds`].
    pub handle_seconds: Option<f64>,
    /// See [`ContactRow::ani`] (the value as sent: the privacy policy applies in the batch).
    pub ani: Option<&'a str>,
    /// See [`ContactRow::dnis`].
    pub dnis: Option<&'a str>,
}

impl<'a> ContactValues<'a> {
    /// The values of `row` but `extra`.
    pub fn of(row: &'a ContactRow) -> Self {
        Self {
            conversation_id: &row.conversation_id,
            conversation_start: row.conversation_start,
            conversation_end: row.conversation_end,
            direction: row.direction.as_deref(),
            media_type: row.media_type.as_deref(),
            first_queue_id: row.first_queue_id.as_deref(),
            last_agent_id: row.last_agent_id.as_deref(),
            wrap_up_code: row.wrap_up_code.as_deref(),
            abandoned: row.abandoned,
            transferred: row.transferred,
            disconnect_type: row.disconnect_type.as_deref(),
            wait_seconds: row.wait_seconds,
            talk_seconds: row.talk_seconds,
            hold_seconds: row.hold_seconds,
            acw_seconds: row.acw_seconds,
            handle_seconds: row.handle_seconds,
            ani: row.ani.as_deref(),
            dnis: row.dnis.as_deref(),
        }
    }
}

/// A column of [`ContactColumns`] holding the values of a [`ContactRow`] field of type `V`.
trait ColumnOf<V> {
    /// Value `row`, as the row field holds it.
    fn value(&self, row: usize) -> V;
    /// The column as an Arrow array.
    fn array(&self) -> Result<ArrayRef, TransformError>;
}

impl ColumnOf<String> for TextColumn {
    fn value(&self, row: usize) -> String {
        self.get(row).unwrap_or_default().to_string()
    }
    fn array(&self) -> Result<ArrayRef, TransformError> {
        TextColumn::array(self)
    }
}

impl ColumnOf<Option<String>> for TextColumn {
    fn value(&self, row: usize) -> Option<String> {
        self.get(row).map(str::to_string)
    }
    fn array(&self) -> Result<ArrayRef, TransformError> {
        TextColumn::array(self)
    }
}

impl<T: ColumnValue + Clone> ColumnOf<T> for Vec<T> {
    fn value(&self, row: usize) -> T {
        self[row].clone()
    }
    fn array(&self) -> Result<ArrayRef, TransformError> {
        Ok(T::array(self.iter()))
    }
}

/// What every column of [`ContactColumns`] does whatever its values.
trait RowWise: Default {
    fn append(&mut self, other: &Self);
    fn gather(&self, rows: &[usize]) -> Self;
    fn reserve_rows(&mut self, rows: usize);
}

impl RowWise for TextColumn {
    fn append(&mut self, other: &Self) {
        TextColumn::append(self, other);
    }
    fn gather(&self, rows: &[usize]) -> Self {
        TextColumn::gather(self, rows)
    }
    fn reserve_rows(&mut self, rows: usize) {
        // The text of as many more values as are held, on average (an empty column sizes its
        // text by the first values it gets).
        let bytes = self.text_len().checked_div(self.len()).unwrap_or(0) * rows;
        self.reserve(rows, bytes);
    }
}

impl<T: Clone> RowWise for Vec<T> {
    fn append(&mut self, other: &Self) {
        self.extend_from_slice(other);
    }
    fn gather(&self, rows: &[usize]) -> Self {
        let mut out = Vec::with_capacity(rows.len());
        for run in runs(rows) {
            out.extend_from_slice(&self[run]);
        }
        out
    }
    fn reserve_rows(&mut self, rows: usize) {
        self.reserve(rows);
    }
}

/// Declares [`ContactColumns`]: one column a [`ContactRow`] field (its type `as` where its
/// values are kept), so that the two cannot disagree on a field.
macro_rules! contact_columns {
    ($( $field:ident : $ty:ty as $store:ty $([$personal:ident])? ),* $(,)?) => {
        /// `contacts` rows held column by column. A source reading pages of conversation
        /// details fills it straight from a page ([`ContactColumns::push`]: no allocation a
        /// row, where a [`ContactRow`] of nine strings took nine and freed them again), a
        /// page's rows move on as one block, and the batch is built from whole buffers. Its
        /// batch is the one a `Vec<ContactRow>` of the same rows makes (tested).
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct ContactColumns {
            $( $field: $store, )*
        }

        impl ContactColumns {
            /// Row `row` as a [`ContactRow`]. Panics past the end, as indexing does.
            pub fn row(&self, row: usize) -> ContactRow {
                ContactRow { $( $field: ColumnOf::<$ty>::value(&self.$field, row), )* }
            }

            /// Appends all of `other`'s rows.
            pub fn append(&mut self, other: &ContactColumns) {
                $( RowWise::append(&mut self.$field, &other.$field); )*
            }

            /// The rows `rows`, in that order.
            pub fn gather(&self, rows: &[usize]) -> ContactColumns {
                ContactColumns { $( $field: RowWise::gather(&self.$field, rows), )* }
            }

            /// Makes room for `rows` more rows at once.
            pub fn reserve(&mut self, rows: usize) {
                $( RowWise::reserve_rows(&mut self.$field, rows); )*
            }

            /// The array of column `name` (`None`: no such column); personal columns go
            /// through `privacy`.
            fn column(
                &self,
                name: &str,
                privacy: &Pseudonymizer,
            ) -> Result<Option<ArrayRef>, TransformError> {
                Ok(match name {
                    $( stringify!($field) => Some(
                        contact_columns!(@array self.$field, $ty, privacy $(, $personal)?)
                    ), )*
                    _ => None,
                })
            }
        }
    };
    (@array $column:expr, $ty:ty, $privacy:ident) => {
        ColumnOf::<$ty>::array(&$column)?
    };
    (@array $column:expr, $ty:ty, $privacy:ident, personal) => {
        $column.personal_array($privacy)
    };
}

contact_columns! {
    conversation_id: String as TextColumn,
    conversation_start: DateTime<Utc> as Vec<DateTime<Utc>>,
    conversation_end: Option<DateTime<Utc>> as Vec<Option<DateTime<Utc>>>,
    direction: Option<String> as TextColumn,
    media_type: Option<String> as TextColumn,
    first_queue_id: Option<String> as TextColumn,
    last_agent_id: Option<String> as TextColumn,
    wrap_up_code: Option<String> as TextColumn,
    abandoned: bool as Vec<bool>,
    transferred: bool as Vec<bool>,
    disconnect_type: Option<String> as TextColumn,
    wait_seconds: Option<f64> as Vec<Option<f64>>,
    talk_seconds: Option<f64> as Vec<Option<f64>>,
    hold_seconds: Option<f64> as Vec<Option<f64>>,
    acw_seconds: Option<f64> as Vec<Option<f64>>,
    handle_seconds: Option<f64> as Vec<Option<f64>>,
    ani: Option<String> as TextColumn [personal],
    dnis: Option<String> as TextColumn [personal],
    extra: Option<String> as TextColumn,
}

impl ContactColumns {
    /// How many rows.
    pub fn len(&self) -> usize {
        self.conversation_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.conversation_id.is_empty()
    }

    /// Appends a row: `values`, and the `extra` that `extra` writes at the end of the column's
    /// text (returning whether there is one).
    pub fn push(&mut self, values: &ContactValues<'_>, extra: impl FnOnce(&mut String) -> bool) {
        self.conversation_id.push(Some(values.conversation_id));
        self.conversation_start.push(values.conversation_start);
        self.conversation_end.push(values.conversation_end);
        self.direction.push(values.direction);
        self.media_type.push(values.media_type);
        self.first_queue_id.push(values.first_queue_id);
        self.last_agent_id.push(values.last_agent_id);
        self.wrap_up_code.push(values.wrap_up_code);
        self.abandoned.push(values.abandoned);
        self.transferred.push(values.transferred);
        self.disconnect_type.push(values.disconnect_type);
        self.wait_seconds.push(values.wait_seconds);
        self.talk_seconds.push(values.talk_seconds);
        self.hold_seconds.push(values.hold_seconds);
        self.acw_seconds.push(values.acw_seconds);
        self.handle_seconds.push(values.handle_seconds);
        self.ani.push(values.ani);
        self.dnis.push(values.dnis);
        self.extra.push_with(extra);
    }

    /// The rows as [`ContactRow`]s (to look at them; a batch is built from the columns).
    pub fn to_rows(&self) -> Vec<ContactRow> {
        (0..self.len()).map(|row| self.row(row)).collect()
    }

    /// Appends `row`.
    pub fn push_row(&mut self, row: &ContactRow) {
        self.push(&ContactValues::of(row), |out| match &row.extra {
            Some(extra) => {
                out.push_str(extra);
                true
            }
            None => false,
        });
    }

    /// How many rows it has room for without growing.
    pub fn capacity(&self) -> usize {
        self.conversation_start.capacity()
    }

    /// The id of row `row`.
    pub fn conversation_id(&self, row: usize) -> &str {
        self.conversation_id.get(row).unwrap_or_default()
    }

    /// The start of row `row`.
    pub fn conversation_start(&self, row: usize) -> DateTime<Utc> {
        self.conversation_start[row]
    }

    /// The rows split by `key` of their start, in key order; rows of one key (nearly always a
    /// page's: one day) go on as they are.
    pub fn split_by<K: Ord + Copy>(
        self,
        key: impl Fn(DateTime<Utc>) -> K,
    ) -> Vec<(K, ContactColumns)> {
        let Some(&first) = self.conversation_start.first() else {
            return Vec::new();
        };
        let first = key(first);
        if self
            .conversation_start
            .iter()
            .all(|&start| key(start) == first)
        {
            return vec![(first, self)];
        }
        let mut rows: BTreeMap<K, Vec<usize>> = BTreeMap::new();
        for (row, &start) in self.conversation_start.iter().enumerate() {
            rows.entry(key(start)).or_default().push(row);
        }
        rows.into_iter()
            .map(|(key, rows)| (key, self.gather(&rows)))
            .collect()
    }

    /// The rows as one record batch of `schema` (the `contacts` schema).
    pub fn to_batch(
        &self,
        schema: SchemaRef,
        context: &BatchContext<'_>,
    ) -> Result<RecordBatch, TransformError> {
        batch_of(schema, self.len(), context, |name| {
            self.column(name, context.privacy)
        })
    }
}

impl From<&[ContactRow]> for ContactColumns {
    fn from(rows: &[ContactRow]) -> Self {
        let mut columns = ContactColumns::default();
        columns.reserve(rows.len());
        for row in rows {
            columns.push_row(row);
        }
        columns
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
    use crate::transform::columns::{self, DatasetRow};
    use crate::transform::{Dataset, PersonalData};

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Rows with every kind of value: nulls, empty and non-ASCII text, several days.
    fn varied_rows() -> Vec<ContactRow> {
        let mut rows = Vec::new();
        for i in 0..9 {
            let text = |s: &str| (i % 3 != 1).then(|| format!("{s}-{i}"));
            rows.push(ContactRow {
                conversation_id: if i == 4 {
                    String::new()
                } else {
                    format!("c-{i}")
                },
                conversation_start: t("2026-11-20T23:59:00Z") + chrono::Duration::minutes(i),
                conversation_end: (i % 4 != 0)
                    .then(|| t("2026-11-21T00:10:00Z") + chrono::Duration::seconds(i)),
                direction: text("inbound"),
                media_type: if i == 2 {
                    Some(String::new())
                } else {
                    text("voice")
                },
                first_queue_id: text("q\u{e9}"),
                last_agent_id: (i % 2 == 0).then(|| format!("a-{i}")),
                wrap_up_code: text("w"),
                abandoned: i % 3 == 0,
                transferred: i % 5 == 0,
                disconnect_type: text("peer"),
                wait_seconds: (i % 2 == 1).then_some(i as f64 * 1.5),
                talk_seconds: text("x").map(|_| 0.25 * i as f64),
                hold_seconds: Some(-0.0),
                acw_seconds: None,
                handle_seconds: (i != 7).then_some(1e9 + i as f64),
                ani: text("tel:+1555"),
                dnis: (i == 3).then(|| "tel:+1800".to_string()),
                extra: (i % 2 == 0).then(|| format!(r#"{{"conversation":{{"n":{i}}}}}"#)),
            });
        }
        rows
    }

    #[test]
    fn columns_make_the_batch_that_rows_make() {
        let privacy = Pseudonymizer::new(
            PersonalData::Pseudonymize,
            Some("a-test-key-of-some-length".to_string().into()),
        )
        .unwrap();
        let context = BatchContext::new(&privacy, "run-1", t("2026-11-22T01:00:00Z"));
        let schema = Dataset::Contacts.schema();
        assert_eq!(schema.fields().len(), ContactRow::COLUMNS.len());
        let rows = varied_rows();
        let columns = ContactColumns::from(rows.as_slice());
        assert_eq!(columns.len(), rows.len());
        assert_eq!(
            columns.to_batch(schema.clone(), &context).unwrap(),
            columns::to_batch(schema.clone(), &rows, &context).unwrap()
        );
        assert_eq!(columns.to_rows(), rows);
        let none = ContactColumns::default();
        assert_eq!(
            none.to_batch(schema.clone(), &context).unwrap(),
            columns::to_batch(schema, &[] as &[ContactRow], &context).unwrap()
        );
    }

    #[test]
    fn columns_append_gather_and_split_by_day_as_rows_would() {
        let rows = varied_rows();
        let columns = ContactColumns::from(rows.as_slice());
        let (head, tail) = rows.split_at(4);
        let mut joined = ContactColumns::from(head);
        joined.append(&ContactColumns::from(tail));
        assert_eq!(joined, columns);
        assert_eq!(
            columns.gather(&[5, 0, 4, 4]).to_rows(),
            [&rows[5], &rows[0], &rows[4], &rows[4]].map(Clone::clone)
        );
        let picked = [1, 2, 3, 6, 7, 8, 0, 8];
        assert_eq!(
            columns.gather(&picked).to_rows(),
            picked.map(|i| rows[i].clone())
        );
        let runs: Vec<_> = runs(&[3, 4, 5, 9, 2, 2, 3]).collect();
        assert_eq!(runs, [3..6, 9..10, 2..3, 2..4]);
        assert_eq!(super::runs(&[]).count(), 0);
        // The rows start on 2026-11-20 (i = 0) and 2026-11-21 (the rest).
        let split = columns.clone().split_by(|start| start.date_naive());
        let days: Vec<_> = split.iter().map(|(day, _)| day.to_string()).collect();
        assert_eq!(days, ["2026-11-20", "2026-11-21"]);
        assert_eq!(split[0].1.to_rows(), rows[..1]);
        assert_eq!(split[1].1.to_rows(), rows[1..]);
        let one_day = ContactColumns::from(&rows[1..]).split_by(|start| start.date_naive());
        assert_eq!(one_day.len(), 1);
        assert_eq!(one_day[0].1.to_rows(), rows[1..]);
        assert!(ContactColumns::default().split_by(|s| s).is_empty());
    }

    #[test]
    fn a_value_written_into_a_column_or_refused_leaves_the_others_as_they_were() {
        let mut column = TextColumn::default();
        column.push(Some("ab"));
        column.push_with(|out| {
            out.push_str("half-written");
            false
        });
        column.push_with(|out| {
            out.push_str("{}");
            true
        });
        column.push(None);
        column.push(Some(""));
        let values: Vec<_> = column.iter().collect();
        assert_eq!(values, [Some("ab"), None, Some("{}"), None, Some("")]);
        let array = column.array().unwrap();
        assert_eq!(array.null_count(), 2);
        let mut all = TextColumn::default();
        all.push(Some("x"));
        assert_eq!(all.array().unwrap().null_count(), 0);
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
