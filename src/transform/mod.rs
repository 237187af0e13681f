//! The warehouse contract, vendor-free: the declared schema of each dataset, one typed row struct
//! per dataset, and how rows become Arrow record batches against that schema.
//!
//! The schemas (design.md): durations in seconds (f64), timestamps UTC (`Timestamp(µs, "UTC")`),
//! counts i64, ids as strings, and anything a source sends that has no column goes to a JSON
//! `extra` column rather than being dropped. Each column is declared once, beside its row field
//! ([`declare_rows!`]); the schema, `ccetl schema` and README's column tables all come from that
//! declaration. Sources (`crate::sources`) fill the rows; nothing here knows a vendor.

pub mod agent_intervals;
pub mod agent_status;
pub mod columns;
pub mod contact_segments;
pub mod contacts;
pub mod dimensions;
pub mod metrics;
pub mod privacy;
pub mod queue_intervals;

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use sha2::{Digest, Sha256};

pub use agent_intervals::AgentIntervalRow;
pub use agent_status::AgentStatusRow;
pub use columns::BatchContext;
use columns::DatasetRow;
pub use contact_segments::ContactSegmentRow;
pub use contacts::{ContactColumns, ContactRow, ContactValues};
pub use dimensions::{
    AgentRow, DivisionRow, PresenceDefinitionRow, QueueRow, SkillRow, TeamRow, WrapupCodeRow,
};
pub use metrics::MetricRow;
pub use privacy::{PersonalData, Pseudonymizer};
pub use queue_intervals::QueueIntervalRow;

/// A dataset: one schema, one directory under the output root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dataset {
    /// Queue × media type × interval statistics.
    QueueIntervals,
    /// One row per conversation.
    Contacts,
    /// One row per conversation × participant × session × segment.
    ContactSegments,
    /// Every aggregates query file, in long format.
    Metrics,
    /// Agent × interval: presence, routing status and handled conversations.
    AgentIntervals,
    /// One row per agent status interval (presence and routing status constant).
    AgentStatus,
    /// Queue names (a snapshot of the list).
    Queues,
    /// Agent names and teams (a snapshot).
    Agents,
    /// Wrap-up code names (a snapshot).
    WrapupCodes,
    /// Routing skill names (a snapshot).
    Skills,
    /// Team names (a snapshot).
    Teams,
    /// Division names (a snapshot).
    Divisions,
    /// Presence names (a snapshot).
    PresenceDefinitions,
}

impl Dataset {
    /// Every dataset.
    pub const ALL: &'static [Dataset] = &[
        Dataset::QueueIntervals,
        Dataset::AgentIntervals,
        Dataset::AgentStatus,
        Dataset::Contacts,
        Dataset::ContactSegments,
        Dataset::Metrics,
        Dataset::Queues,
        Dataset::Agents,
        Dataset::WrapupCodes,
        Dataset::Skills,
        Dataset::Teams,
        Dataset::Divisions,
        Dataset::PresenceDefinitions,
    ];

    /// Whether the dataset is a snapshot of a list (one partition per day a run extracts it,
    /// whatever dates it covers) rather than facts of the dates asked for.
    pub fn is_snapshot(self) -> bool {
        matches!(
            self,
            Dataset::Queues
                | Dataset::Agents
                | Dataset::WrapupCodes
                | Dataset::Skills
                | Dataset::Teams
                | Dataset::Divisions
                | Dataset::PresenceDefinitions
        )
    }

    /// The directory and config name, e.g. `queue_intervals`.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::QueueIntervals => "queue_intervals",
            Dataset::Contacts => "contacts",
            Dataset::ContactSegments => "contact_segments",
            Dataset::Metrics => "metrics",
            Dataset::AgentIntervals => "agent_intervals",
            Dataset::AgentStatus => "agent_status",
            Dataset::Queues => "queues",
            Dataset::Agents => "agents",
            Dataset::WrapupCodes => "wrapup_codes",
            Dataset::Skills => "skills",
            Dataset::Teams => "teams",
            Dataset::Divisions => "divisions",
            Dataset::PresenceDefinitions => "presence_definitions",
        }
    }

    /// Parses a config or CLI name.
    pub fn parse(name: &str) -> Option<Dataset> {
        Dataset::ALL.iter().copied().find(|d| d.name() == name)
    }

    /// Every dataset's name, comma-separated (for error messages).
    pub fn names() -> String {
        Dataset::ALL
            .iter()
            .map(|d| d.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The declared columns.
    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            Dataset::QueueIntervals => QueueIntervalRow::COLUMNS,
            Dataset::Contacts => ContactRow::COLUMNS,
            Dataset::ContactSegments => ContactSegmentRow::COLUMNS,
            Dataset::Metrics => MetricRow::COLUMNS,
            Dataset::AgentIntervals => AgentIntervalRow::COLUMNS,
            Dataset::AgentStatus => AgentStatusRow::COLUMNS,
            Dataset::Queues => QueueRow::COLUMNS,
            Dataset::Agents => AgentRow::COLUMNS,
            Dataset::WrapupCodes => WrapupCodeRow::COLUMNS,
            Dataset::Skills => SkillRow::COLUMNS,
            Dataset::Teams => TeamRow::COLUMNS,
            Dataset::Divisions => DivisionRow::COLUMNS,
            Dataset::PresenceDefinitions => PresenceDefinitionRow::COLUMNS,
        }
    }

    /// The Arrow schema of the files (partition columns `source`, `tenant`, `date` are in the path).
    pub fn schema(self) -> SchemaRef {
        schema_of(self.columns())
    }
}

/// The physical type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `Timestamp(Microsecond, "UTC")`.
    TimestampUtc,
    /// UTF-8 string.
    Utf8,
    /// 64-bit integer.
    Int64,
    /// 64-bit float.
    Float64,
    /// Boolean.
    Boolean,
}

impl ColumnType {
    fn arrow(self) -> DataType {
        match self {
            ColumnType::TimestampUtc => {
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
            }
            ColumnType::Utf8 => DataType::Utf8,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Boolean => DataType::Boolean,
        }
    }

    /// How README and `ccetl schema` name the type.
    pub fn sql_name(self) -> &'static str {
        match self {
            ColumnType::TimestampUtc => "TIMESTAMP (UTC, µs)",
            ColumnType::Utf8 => "STRING",
            ColumnType::Int64 => "BIGINT",
            ColumnType::Float64 => "DOUBLE",
            ColumnType::Boolean => "BOOLEAN",
        }
    }
}

/// One declared column: its name, type and meaning. Where each source's value comes from is
/// documented by the source (`crate::sources::Vendor::column_sources`).
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// Column name.
    pub name: &'static str,
    /// Physical type.
    pub kind: ColumnType,
    /// Whether nulls occur.
    pub nullable: bool,
    /// What the value means, with its unit.
    pub doc: &'static str,
    /// Personal data: the privacy policy applies to it.
    pub personal: bool,
}

fn schema_of(columns: &[ColumnSpec]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(c.name, c.kind.arrow(), c.nullable))
            .collect::<Vec<_>>(),
    ))
}

/// A short stable hash of a schema, recorded in manifests so loaders can detect a change.
pub fn schema_fingerprint(schema: &Schema) -> String {
    let mut text = String::new();
    for f in schema.fields() {
        text.push_str(&format!(
            "{}:{}:{};",
            f.name(),
            f.data_type(),
            f.is_nullable()
        ));
    }
    hex(&Sha256::digest(text.as_bytes())[..8])
}

/// Lower-case hex of `bytes`: fingerprints, pseudonyms and file hashes all print digests so.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Rows of one dataset, as a source hands them over: the unit that travels from a source to the
/// partition writer.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    /// `queue_intervals` rows.
    QueueIntervals(Vec<QueueIntervalRow>),
    /// `agent_intervals` rows.
    AgentIntervals(Vec<AgentIntervalRow>),
    /// `agent_status` rows.
    AgentStatus(Vec<AgentStatusRow>),
    /// `contacts` rows, held column by column (boxed: a page's worth moves as a pointer).
    Contacts(Box<ContactColumns>),
    /// `contact_segments` rows.
    ContactSegments(Vec<ContactSegmentRow>),
    /// `metrics` rows.
    Metrics(Vec<MetricRow>),
    /// `queues` rows.
    Queues(Vec<QueueRow>),
    /// `agents` rows.
    Agents(Vec<AgentRow>),
    /// `wrapup_codes` rows.
    WrapupCodes(Vec<WrapupCodeRow>),
    /// `skills` rows.
    Skills(Vec<SkillRow>),
    /// `teams` rows.
    Teams(Vec<TeamRow>),
    /// `divisions` rows.
    Divisions(Vec<DivisionRow>),
    /// `presence_definitions` rows.
    PresenceDefinitions(Vec<PresenceDefinitionRow>),
}

impl Rows {
    /// No rows of `dataset`.
    pub fn empty(dataset: Dataset) -> Rows {
        match dataset {
            Dataset::QueueIntervals => Rows::QueueIntervals(Vec::new()),
            Dataset::AgentIntervals => Rows::AgentIntervals(Vec::new()),
            Dataset::AgentStatus => Rows::AgentStatus(Vec::new()),
            Dataset::Contacts => Rows::Contacts(Box::default()),
            Dataset::ContactSegments => Rows::ContactSegments(Vec::new()),
            Dataset::Metrics => Rows::Metrics(Vec::new()),
            Dataset::Queues => Rows::Queues(Vec::new()),
            Dataset::Agents => Rows::Agents(Vec::new()),
            Dataset::WrapupCodes => Rows::WrapupCodes(Vec::new()),
            Dataset::Skills => Rows::Skills(Vec::new()),
            Dataset::Teams => Rows::Teams(Vec::new()),
            Dataset::Divisions => Rows::Divisions(Vec::new()),
            Dataset::PresenceDefinitions => Rows::PresenceDefinitions(Vec::new()),
        }
    }

    /// The dataset these rows belong to.
    pub fn dataset(&self) -> Dataset {
        match self {
            Rows::QueueIntervals(_) => Dataset::QueueIntervals,
            Rows::AgentIntervals(_) => Dataset::AgentIntervals,
            Rows::AgentStatus(_) => Dataset::AgentStatus,
            Rows::Contacts(_) => Dataset::Contacts,
            Rows::ContactSegments(_) => Dataset::ContactSegments,
            Rows::Metrics(_) => Dataset::Metrics,
            Rows::Queues(_) => Dataset::Queues,
            Rows::Agents(_) => Dataset::Agents,
            Rows::WrapupCodes(_) => Dataset::WrapupCodes,
            Rows::Skills(_) => Dataset::Skills,
            Rows::Teams(_) => Dataset::Teams,
            Rows::Divisions(_) => Dataset::Divisions,
            Rows::PresenceDefinitions(_) => Dataset::PresenceDefinitions,
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        match self {
            Rows::QueueIntervals(r) => r.len(),
            Rows::AgentIntervals(r) => r.len(),
            Rows::AgentStatus(r) => r.len(),
            Rows::Contacts(r) => r.len(),
            Rows::ContactSegments(r) => r.len(),
            Rows::Metrics(r) => r.len(),
            Rows::Queues(r) => r.len(),
            Rows::Agents(r) => r.len(),
            Rows::WrapupCodes(r) => r.len(),
            Rows::Skills(r) => r.len(),
            Rows::Teams(r) => r.len(),
            Rows::Divisions(r) => r.len(),
            Rows::PresenceDefinitions(r) => r.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for `additional` more rows at once: a buffer that fills up to a batch then
    /// grows once instead of doubling (copying every row each time) on the way there.
    pub fn reserve(&mut self, additional: usize) {
        match self {
            Rows::QueueIntervals(r) => r.reserve(additional),
            Rows::AgentIntervals(r) => r.reserve(additional),
            Rows::AgentStatus(r) => r.reserve(additional),
            Rows::Contacts(r) => r.reserve(additional),
            Rows::ContactSegments(r) => r.reserve(additional),
            Rows::Metrics(r) => r.reserve(additional),
            Rows::Queues(r) => r.reserve(additional),
            Rows::Agents(r) => r.reserve(additional),
            Rows::WrapupCodes(r) => r.reserve(additional),
            Rows::Skills(r) => r.reserve(additional),
            Rows::Teams(r) => r.reserve(additional),
            Rows::Divisions(r) => r.reserve(additional),
            Rows::PresenceDefinitions(r) => r.reserve(additional),
        }
    }

    /// Appends `more` (of the same dataset; otherwise it is handed back).
    pub fn append(&mut self, more: Rows) -> Result<(), Rows> {
        match (self, more) {
            (Rows::QueueIntervals(a), Rows::QueueIntervals(mut b)) => a.append(&mut b),
            (Rows::AgentIntervals(a), Rows::AgentIntervals(mut b)) => a.append(&mut b),
            (Rows::AgentStatus(a), Rows::AgentStatus(mut b)) => a.append(&mut b),
            (Rows::Contacts(a), Rows::Contacts(b)) => {
                // Into the room made for a batch, if there is; else the rows as they are.
                if a.is_empty() && a.capacity() < b.len() {
                    *a = b;
                } else {
                    a.append(&b);
                }
            }
            (Rows::ContactSegments(a), Rows::ContactSegments(mut b)) => a.append(&mut b),
            (Rows::Metrics(a), Rows::Metrics(mut b)) => a.append(&mut b),
            (Rows::Queues(a), Rows::Queues(mut b)) => a.append(&mut b),
            (Rows::Agents(a), Rows::Agents(mut b)) => a.append(&mut b),
            (Rows::WrapupCodes(a), Rows::WrapupCodes(mut b)) => a.append(&mut b),
            (Rows::Skills(a), Rows::Skills(mut b)) => a.append(&mut b),
            (Rows::Teams(a), Rows::Teams(mut b)) => a.append(&mut b),
            (Rows::Divisions(a), Rows::Divisions(mut b)) => a.append(&mut b),
            (Rows::PresenceDefinitions(a), Rows::PresenceDefinitions(mut b)) => a.append(&mut b),
            (_, other) => return Err(other),
        }
        Ok(())
    }

    /// The rows as one record batch of their dataset's schema: personal columns under the
    /// context's privacy policy, stamped with its run.
    pub fn to_batch(&self, context: &BatchContext<'_>) -> Result<RecordBatch, TransformError> {
        let schema = self.dataset().schema();
        match self {
            Rows::QueueIntervals(r) => columns::to_batch(schema, r, context),
            Rows::AgentIntervals(r) => columns::to_batch(schema, r, context),
            Rows::AgentStatus(r) => columns::to_batch(schema, r, context),
            Rows::Contacts(r) => r.to_batch(schema, context),
            Rows::ContactSegments(r) => columns::to_batch(schema, r, context),
            Rows::Metrics(r) => columns::to_batch(schema, r, context),
            Rows::Queues(r) => columns::to_batch(schema, r, context),
            Rows::Agents(r) => columns::to_batch(schema, r, context),
            Rows::WrapupCodes(r) => columns::to_batch(schema, r, context),
            Rows::Skills(r) => columns::to_batch(schema, r, context),
            Rows::Teams(r) => columns::to_batch(schema, r, context),
            Rows::Divisions(r) => columns::to_batch(schema, r, context),
            Rows::PresenceDefinitions(r) => columns::to_batch(schema, r, context),
        }
    }
}

impl From<Vec<QueueIntervalRow>> for Rows {
    fn from(rows: Vec<QueueIntervalRow>) -> Self {
        Rows::QueueIntervals(rows)
    }
}

impl From<Vec<AgentIntervalRow>> for Rows {
    fn from(rows: Vec<AgentIntervalRow>) -> Self {
        Rows::AgentIntervals(rows)
    }
}

impl From<Vec<AgentStatusRow>> for Rows {
    fn from(rows: Vec<AgentStatusRow>) -> Self {
        Rows::AgentStatus(rows)
    }
}

impl From<Vec<ContactRow>> for Rows {
    fn from(rows: Vec<ContactRow>) -> Self {
        Rows::Contacts(Box::new(ContactColumns::from(rows.as_slice())))
    }
}

impl From<ContactColumns> for Rows {
    fn from(rows: ContactColumns) -> Self {
        Rows::Contacts(Box::new(rows))
    }
}

impl From<Vec<ContactSegmentRow>> for Rows {
    fn from(rows: Vec<ContactSegmentRow>) -> Self {
        Rows::ContactSegments(rows)
    }
}

impl From<Vec<MetricRow>> for Rows {
    fn from(rows: Vec<MetricRow>) -> Self {
        Rows::Metrics(rows)
    }
}

impl From<Vec<QueueRow>> for Rows {
    fn from(rows: Vec<QueueRow>) -> Self {
        Rows::Queues(rows)
    }
}

impl From<Vec<AgentRow>> for Rows {
    fn from(rows: Vec<AgentRow>) -> Self {
        Rows::Agents(rows)
    }
}

impl From<Vec<WrapupCodeRow>> for Rows {
    fn from(rows: Vec<WrapupCodeRow>) -> Self {
        Rows::WrapupCodes(rows)
    }
}

impl From<Vec<SkillRow>> for Rows {
    fn from(rows: Vec<SkillRow>) -> Self {
        Rows::Skills(rows)
    }
}

impl From<Vec<TeamRow>> for Rows {
    fn from(rows: Vec<TeamRow>) -> Self {
        Rows::Teams(rows)
    }
}

impl From<Vec<DivisionRow>> for Rows {
    fn from(rows: Vec<DivisionRow>) -> Self {
        Rows::Divisions(rows)
    }
}

impl From<Vec<PresenceDefinitionRow>> for Rows {
    fn from(rows: Vec<PresenceDefinitionRow>) -> Self {
        Rows::PresenceDefinitions(rows)
    }
}

/// Why a response could not become rows.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    /// A value the schema needs is malformed (an interval that is not ISO-8601, a duration out
    /// of range, say).
    #[error("malformed {field} in the API response: {value:?} ({reason})")]
    Malformed {
        /// Which field.
        field: &'static str,
        /// The offending value.
        value: String,
        /// Why.
        reason: String,
    },
    /// A schema field no row field fills (a bug: the declaration and the schema disagree).
    #[error("no row field fills column {column}")]
    Undeclared {
        /// The column.
        column: String,
    },
    /// Arrow refused the columns (a bug: columns and schema disagree).
    #[error("cannot build the record batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, Float64Array, Int64Array, StringArray};
    use queue_intervals::{DurationStats, QueueDuration};

    #[test]
    fn schema_fingerprints_are_pinned() {
        // The fingerprints in every manifest written so far: a change means `--resume` refetches.
        let prints: Vec<String> = Dataset::ALL
            .iter()
            .map(|d| format!("{} {}", d.name(), schema_fingerprint(&d.schema())))
            .collect();
        insta::assert_snapshot!(prints.join("\n"));
    }

    #[test]
    fn batches_are_built_by_column_name() {
        let prefixes = ["answer", "abandon", "wait", "talk", "hold", "acw", "handle"];
        for (i, which) in QueueDuration::ALL.iter().enumerate() {
            let mut row = QueueIntervalRow {
                queue_id: Some("q".into()),
                ..Default::default()
            };
            row.set_duration(
                *which,
                DurationStats {
                    count: Some(3),
                    sum_seconds: Some(1.5),
                    min_seconds: Some(0.25),
                    max_seconds: Some(1.0),
                },
            );
            let batch = Rows::from(vec![row])
                .to_batch(&BatchContext::new(
                    &Pseudonymizer::new(PersonalData::Drop, None).unwrap(),
                    "run",
                    chrono::Utc::now(),
                ))
                .unwrap();
            for (j, prefix) in prefixes.iter().enumerate() {
                let count = batch
                    .column_by_name(&format!("{prefix}_count"))
                    .unwrap()
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .unwrap()
                    .clone();
                let sum = batch
                    .column_by_name(&format!("{prefix}_seconds_sum"))
                    .unwrap()
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .unwrap()
                    .clone();
                if i == j {
                    assert_eq!((count.value(0), sum.value(0)), (3, 1.5), "{prefix}");
                } else {
                    assert!(count.is_null(0) && sum.is_null(0), "{prefix} for {which:?}");
                }
            }
            let queue = batch.column_by_name("queue_id").unwrap();
            let queue = queue.as_any().downcast_ref::<StringArray>().unwrap();
            assert_eq!(queue.value(0), "q");
        }
    }

    #[test]
    fn personal_columns_follow_the_policy() {
        let row = ContactRow {
            conversation_id: "c".into(),
            ani: Some("tel:+15145550100".into()),
            dnis: Some("tel:+18005550199".into()),
            ..Default::default()
        };
        let key = Pseudonymizer::new(
            PersonalData::Pseudonymize,
            Some("a-test-key-of-some-length".to_string().into()),
        )
        .unwrap();
        let batch = Rows::from(vec![row])
            .to_batch(&BatchContext::new(&key, "run", chrono::Utc::now()))
            .unwrap();
        for column in ["ani", "dnis"] {
            let values = batch.column_by_name(column).unwrap();
            let values = values.as_any().downcast_ref::<StringArray>().unwrap();
            assert!(values.value(0).starts_with("h:"), "{}", values.value(0));
            assert!(!values.value(0).contains("555"));
        }
        let personal: Vec<&str> = Dataset::Contacts
            .columns()
            .iter()
            .filter(|c| c.personal)
            .map(|c| c.name)
            .collect();
        assert_eq!(personal, ["ani", "dnis"]);
    }

    #[test]
    fn rows_of_another_dataset_are_not_appended() {
        let mut rows = Rows::empty(Dataset::Contacts);
        assert!(rows.append(Rows::empty(Dataset::Metrics)).is_err());
        assert!(rows.append(vec![ContactRow::default()].into()).is_ok());
        assert_eq!(rows.len(), 1);
    }
}
