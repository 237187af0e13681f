//! Vendor responses → Arrow record batches in one declared schema per dataset.
//!
//! The schemas are the warehouse contract (design.md): durations in seconds (f64), timestamps UTC
//! (`Timestamp(µs, "UTC")`), counts i64, ids as strings, and anything a vendor sends that has no
//! column goes to a JSON `extra` column rather than being dropped. Each column is declared once,
//! with its documentation and vendor source, and the schema, `ccetl schema` and README's column
//! table all come from that declaration.

pub mod agent_intervals;
pub mod contacts;
pub mod metrics;
pub mod queue_intervals;

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use sha2::{Digest, Sha256};

/// A dataset: one schema, one directory under the output root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dataset {
    /// Queue × media type × interval statistics.
    QueueIntervals,
    /// One row per conversation.
    Contacts,
    /// Every aggregates query file, in long format.
    Metrics,
    /// Agent × interval: presence, routing status and handled conversations.
    AgentIntervals,
}

impl Dataset {
    /// Every dataset.
    pub const ALL: &'static [Dataset] = &[
        Dataset::QueueIntervals,
        Dataset::AgentIntervals,
        Dataset::Contacts,
        Dataset::Metrics,
    ];

    /// The directory and config name, e.g. `queue_intervals`.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::QueueIntervals => "queue_intervals",
            Dataset::Contacts => "contacts",
            Dataset::Metrics => "metrics",
            Dataset::AgentIntervals => "agent_intervals",
        }
    }

    /// Parses a config or CLI name.
    pub fn parse(name: &str) -> Option<Dataset> {
        Dataset::ALL.iter().copied().find(|d| d.name() == name)
    }

    /// The declared columns.
    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            Dataset::QueueIntervals => queue_intervals::COLUMNS,
            Dataset::Contacts => contacts::COLUMNS,
            Dataset::Metrics => metrics::COLUMNS,
            Dataset::AgentIntervals => agent_intervals::COLUMNS,
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

/// One declared column: its name, type, meaning and where each vendor's value comes from.
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
    /// The Genesys field it comes from.
    pub genesys: &'static str,
    /// The CXone field it comes from (`null (not reported)` when CXone has none).
    pub cxone: &'static str,
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
    Sha256::digest(text.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A markdown table of a dataset's columns (for README and `ccetl schema --markdown`).
pub fn markdown_table(dataset: Dataset) -> String {
    let mut out = String::from(
        "| column | type | meaning | Genesys source | CXone source |\n|---|---|---|---|---|\n",
    );
    for c in dataset.columns() {
        out.push_str(&format!(
            "| `{}` | {}{} | {} | {} | {} |\n",
            c.name,
            c.kind.sql_name(),
            if c.nullable { "" } else { " NOT NULL" },
            c.doc,
            c.genesys,
            c.cxone
        ));
    }
    out
}

/// Why a response could not become rows.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    /// A value the schema needs is malformed (an interval that is not ISO-8601, say).
    #[error("malformed {field} in the API response: {value:?} ({reason})")]
    Malformed {
        /// Which field.
        field: &'static str,
        /// The offending value.
        value: String,
        /// Why.
        reason: String,
    },
    /// Arrow refused the columns (a bug: columns and schema disagree).
    #[error("cannot build the record batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_is_pinned() {
        // The warehouse contract: any change to a dataset's columns shows up as a diff here.
        let listing: Vec<String> = Dataset::ALL
            .iter()
            .map(|d| {
                format!(
                    "{} {}\n{}",
                    d.name(),
                    schema_fingerprint(&d.schema()),
                    markdown_table(*d)
                )
            })
            .collect();
        insta::assert_snapshot!(listing.join("\n"));
    }
}
