//! Typed rows to Arrow, column by column and by name.
//!
//! A dataset's row struct and its declared columns come from one [`declare_rows!`] invocation:
//! each field's Rust type decides the column's Arrow type and nullability ([`ColumnValue`]), so
//! the schema cannot drift from the struct, and a batch is built by looking every schema field up
//! by name ([`DatasetRow::column`]), never by position.

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::SchemaRef;
use chrono::{DateTime, Utc};

use super::privacy::{PSEUDONYM_LEN, Pseudonymizer};
use super::{ColumnSpec, ColumnType, TransformError};

/// A Rust type that can fill a column: its Arrow type, whether it is nullable, and how a column
/// of its values is built.
pub trait ColumnValue: Sized {
    /// The column's type.
    const KIND: ColumnType;
    /// Whether the column is nullable (`Option<…>`).
    const NULLABLE: bool;
    /// The Arrow array of these values, in order (the iterator is walked twice where that
    /// sizes the array's buffers up front).
    fn array<'a>(values: impl ExactSizeIterator<Item = &'a Self> + Clone) -> ArrayRef
    where
        Self: 'a;
}

macro_rules! column_value {
    ($plain:ty, $kind:ident, $array:ty, |$v:ident| $to:expr) => {
        impl ColumnValue for $plain {
            const KIND: ColumnType = ColumnType::$kind;
            const NULLABLE: bool = false;
            fn array<'a>(values: impl ExactSizeIterator<Item = &'a Self> + Clone) -> ArrayRef {
                Arc::new(<$array>::from_iter_values(values.map(|$v| $to)))
            }
        }
        impl ColumnValue for Option<$plain> {
            const KIND: ColumnType = ColumnType::$kind;
            const NULLABLE: bool = true;
            fn array<'a>(values: impl ExactSizeIterator<Item = &'a Self> + Clone) -> ArrayRef {
                Arc::new(<$array>::from_iter(
                    values.map(|value| value.as_ref().map(|$v| $to)),
                ))
            }
        }
    };
}

column_value!(i64, Int64, Int64Array, |v| *v);
column_value!(f64, Float64, Float64Array, |v| *v);

impl ColumnValue for String {
    const KIND: ColumnType = ColumnType::Utf8;
    const NULLABLE: bool = false;
    fn array<'a>(values: impl ExactSizeIterator<Item = &'a Self> + Clone) -> ArrayRef {
        string_array(values.map(|v| Some(v.as_str())))
    }
}

impl ColumnValue for Option<String> {
    const KIND: ColumnType = ColumnType::Utf8;
    const NULLABLE: bool = true;
    fn array<'a>(values: impl ExactSizeIterator<Item = &'a Self> + Clone) -> ArrayRef {
        string_array(values.map(Option::as_deref))
    }
}

/// A string column with its buffers sized up front: Arrow's `from_iter` starts the text buffer
/// at 1 KiB and doubles it, copying a column's bytes about twice over (a tenth of the batch
/// build's CPU in a profile).
fn string_array<'a>(values: impl ExactSizeIterator<Item = Option<&'a str>> + Clone) -> ArrayRef {
    let bytes = values.clone().map(|v| v.map_or(0, str::len)).sum();
    let mut column = StringBuilder::with_capacity(values.len(), bytes);
    for value in values {
        column.append_option(value);
    }
    Arc::new(column.finish())
}

impl ColumnValue for bool {
    const KIND: ColumnType = ColumnType::Boolean;
    const NULLABLE: bool = false;
    fn array<'a>(values: impl ExactSizeIterator<Item = &'a Self> + Clone) -> ArrayRef {
        Arc::new(BooleanArray::from_iter(values.map(|v| Some(*v))))
    }
}

impl ColumnValue for Option<bool> {
    const KIND: ColumnType = ColumnType::Boolean;
    const NULLABLE: bool = true;
    fn array<'a>(values: impl ExactSizeIterator<Item = &'a Self> + Clone) -> ArrayRef {
        Arc::new(BooleanArray::from_iter(values.copied()))
    }
}

impl ColumnValue for DateTime<Utc> {
    const KIND: ColumnType = ColumnType::TimestampUtc;
    const NULLABLE: bool = false;
    fn array<'a>(values: impl ExactSizeIterator<Item = &'a Self> + Clone) -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(values.map(DateTime::timestamp_micros))
                .with_timezone("UTC"),
        )
    }
}

impl ColumnValue for Option<DateTime<Utc>> {
    const KIND: ColumnType = ColumnType::TimestampUtc;
    const NULLABLE: bool = true;
    fn array<'a>(values: impl ExactSizeIterator<Item = &'a Self> + Clone) -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from_iter(
                values.map(|v| v.as_ref().map(DateTime::timestamp_micros)),
            )
            .with_timezone("UTC"),
        )
    }
}

/// A personal-data column (phone numbers): the values after the privacy policy, each pseudonym
/// written straight into the column.
pub fn personal_array<'a>(
    values: impl ExactSizeIterator<Item = Option<&'a str>>,
    privacy: &Pseudonymizer,
) -> ArrayRef {
    let mut column = StringBuilder::with_capacity(values.len(), values.len() * PSEUDONYM_LEN);
    let mut pseudonym = [0; PSEUDONYM_LEN];
    for value in values {
        column.append_option(privacy.apply_with(value, &mut pseudonym));
    }
    Arc::new(column.finish())
}

/// The run that wrote a partition, in every row: part of the contract, so a loader can tell
/// which rows came with which run (and its run record) without reading a manifest.
pub const RUN_ID_COLUMN: ColumnSpec = ColumnSpec {
    name: "_run_id",
    kind: ColumnType::Utf8,
    nullable: false,
    doc: "The run that wrote the partition (a UUIDv7; its record is `_ccetl/runs/<id>.json`).",
    personal: false,
};

/// When the slice's data was fetched, in every row.
pub const EXTRACTED_AT_COLUMN: ColumnSpec = ColumnSpec {
    name: "_extracted_at",
    kind: ColumnType::TimestampUtc,
    nullable: false,
    doc: "When the slice's data was fetched from the API (UTC).",
    personal: false,
};

/// What a batch needs beyond its rows: the personal-data policy, and the stamp of the run that
/// writes it (`_run_id`, `_extracted_at`).
#[derive(Clone, Copy)]
pub struct BatchContext<'a> {
    /// The personal-data policy.
    pub privacy: &'a Pseudonymizer,
    /// The run's id.
    pub run_id: &'a str,
    /// When the slice's data was fetched.
    pub extracted_at: DateTime<Utc>,
}

impl<'a> BatchContext<'a> {
    /// A context for `run_id`, stamped now.
    pub fn new(privacy: &'a Pseudonymizer, run_id: &'a str, extracted_at: DateTime<Utc>) -> Self {
        Self {
            privacy,
            run_id,
            extracted_at,
        }
    }
}

/// One dataset's row: its declared columns and each column's values by name.
pub trait DatasetRow: Sized + Send + 'static {
    /// The declared columns, in file order.
    const COLUMNS: &'static [ColumnSpec];
    /// The array of column `name` over `rows` (`None`: no such column). Personal columns go
    /// through `privacy`.
    fn column(rows: &[Self], name: &str, privacy: &Pseudonymizer) -> Option<ArrayRef>;
}

/// `rows` as one record batch of `schema`, every field looked up by name (the run's stamp from
/// `context`).
pub fn to_batch<R: DatasetRow>(
    schema: SchemaRef,
    rows: &[R],
    context: &BatchContext<'_>,
) -> Result<RecordBatch, TransformError> {
    batch_of(schema, rows.len(), context, |name| {
        Ok(R::column(rows, name, context.privacy))
    })
}

/// A record batch of `schema` over `rows` rows, each field's array from `column` by name
/// (`None`: no such column), and the run's stamp from `context`.
pub fn batch_of(
    schema: SchemaRef,
    rows: usize,
    context: &BatchContext<'_>,
    column: impl Fn(&str) -> Result<Option<ArrayRef>, TransformError>,
) -> Result<RecordBatch, TransformError> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let name = field.name().as_str();
            let array: Option<ArrayRef> = if name == RUN_ID_COLUMN.name {
                Some(string_array(std::iter::repeat_n(
                    Some(context.run_id),
                    rows,
                )))
            } else if name == EXTRACTED_AT_COLUMN.name {
                Some(Arc::new(
                    TimestampMicrosecondArray::from_iter_values(std::iter::repeat_n(
                        context.extracted_at.timestamp_micros(),
                        rows,
                    ))
                    .with_timezone("UTC"),
                ))
            } else {
                column(name)?
            };
            array.ok_or_else(|| TransformError::Undeclared {
                column: name.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// `rows` as runs of neighbours, in order: `[3, 4, 5, 9, 2]` is `3..6`, `9..10`, `2..3`.
pub fn runs(rows: &[usize]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut rest = rows;
    std::iter::from_fn(move || {
        let (&first, _) = rest.split_first()?;
        let len = rest
            .iter()
            .enumerate()
            .take_while(|&(i, &row)| row == first + i)
            .count();
        rest = &rest[len..];
        Some(first..first + len)
    })
}

/// A string column being filled: its values end to end in one `String`, where each ends, and
/// whether each is there. A value appended costs no allocation of its own (a `String` a value
/// did: a tenth of the `contacts` path's instructions went to malloc and free), and the column
/// becomes an Arrow array from these three buffers, not value by value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextColumn {
    text: String,
    ends: Vec<usize>,
    present: Vec<bool>,
}

impl TextColumn {
    /// How many values.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// When the column has no text yet: room for the text of as many values as it has room
    /// for, `per_value` bytes each, so that a column sized for a page's rows takes its text in
    /// one allocation instead of doubling its way up from a few bytes.
    fn size_text(&mut self, per_value: usize) {
        if self.text.capacity() == 0 {
            let values = self.ends.capacity().max(1);
            self.text.reserve(values.saturating_mul(per_value));
        }
    }

    /// Appends a value (`None`: null).
    pub fn push(&mut self, value: Option<&str>) {
        if let Some(value) = value {
            self.size_text(value.len() + value.len() / 4 + 8);
            self.text.push_str(value);
        }
        self.ends.push(self.text.len());
        self.present.push(value.is_some());
    }

    /// Appends the value `write` writes at the end of the text, or null when it says there is
    /// none (anything it wrote then is dropped).
    pub fn push_with(&mut self, write: impl FnOnce(&mut String) -> bool) {
        self.size_text(64);
        let start = self.text.len();
        let present = write(&mut self.text);
        if !present {
            self.text.truncate(start);
        }
        self.ends.push(self.text.len());
        self.present.push(present);
    }

    /// Value `row` (`None`: null). Panics past the end, as indexing does.
    pub fn get(&self, row: usize) -> Option<&str> {
        if !self.present[row] {
            return None;
        }
        let start = row.checked_sub(1).map_or(0, |before| self.ends[before]);
        Some(&self.text[start..self.ends[row]])
    }

    /// The values in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<&str>> + Clone {
        (0..self.len()).map(|row| self.get(row))
    }

    /// Appends all of `other`'s values.
    pub fn append(&mut self, other: &TextColumn) {
        if let Some(average) = other.text.len().checked_div(other.len()) {
            self.size_text(average + average / 4 + 8);
        }
        let base = self.text.len();
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|end| end + base));
        self.present.extend_from_slice(&other.present);
    }

    /// The values of `rows`, in that order.
    pub fn gather(&self, rows: &[usize]) -> TextColumn {
        let mut out = TextColumn::default();
        out.reserve(rows.len(), 0);
        for run in runs(rows) {
            // A run of neighbours (a day of a page sorted by start) is one copy of its text.
            let start = run
                .start
                .checked_sub(1)
                .map_or(0, |before| self.ends[before]);
            let end = self.ends[run.end - 1];
            out.size_text((end - start) / run.len() + 8);
            let base = out.text.len();
            out.text.push_str(&self.text[start..end]);
            out.ends
                .extend(self.ends[run.clone()].iter().map(|e| e - start + base));
            out.present.extend_from_slice(&self.present[run]);
        }
        out
    }

    /// Room for `rows` more values of `bytes` more text in all (`0`: as much as the first values
    /// suggest, when they come).
    pub fn reserve(&mut self, rows: usize, bytes: usize) {
        self.text.reserve(bytes);
        self.ends.reserve(rows);
        self.present.reserve(rows);
    }

    /// The bytes of text held.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// The column as an Arrow string array (an error past the 2 GiB an array's offsets reach).
    pub fn array(&self) -> Result<ArrayRef, TransformError> {
        let offsets = std::iter::once(Ok(0))
            .chain(self.ends.iter().map(|&end| i32::try_from(end)))
            .collect::<Result<Vec<i32>, _>>()
            .map_err(|_| {
                arrow_schema::ArrowError::InvalidArgumentError(format!(
                    "{} bytes of text in one string column",
                    self.text.len()
                ))
            })?;
        let nulls = self
            .present
            .contains(&false)
            .then(|| NullBuffer::from(self.present.clone()));
        Ok(Arc::new(StringArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            Buffer::from(self.text.as_bytes()),
            nulls,
        )?))
    }

    /// The column as a personal-data array: each value after the privacy policy.
    pub fn personal_array(&self, privacy: &Pseudonymizer) -> ArrayRef {
        personal_array(self.iter(), privacy)
    }
}

/// Declares a dataset's row struct and its columns in one place:
///
/// ```text
/// declare_rows! {
///     /// One row of `x`.
///     pub struct XRow {
///         id: String => "Id; unique.",
///         phone: Option<String> [personal] => "Caller address, pseudonymised by default.",
///     }
/// }
/// ```
///
/// Every field is a column named after it; its type gives the Arrow type and nullability; the
/// string is the column's documentation; `[personal]` marks personal data (an `Option<String>`)
/// that the privacy policy is applied to when the batch is built. Every dataset ends with the
/// run's stamp, `_run_id` and `_extracted_at`, which the batch takes from its context.
#[macro_export]
macro_rules! declare_rows {
    (
        $(#[$meta:meta])*
        pub struct $row:ident {
            $( $field:ident : $ty:ty $([$personal:ident])? => $doc:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $row {
            $( #[doc = $doc] pub $field: $ty, )*
        }

        impl $crate::transform::columns::DatasetRow for $row {
            const COLUMNS: &'static [$crate::transform::ColumnSpec] = &[
                $( $crate::transform::ColumnSpec {
                    name: stringify!($field),
                    kind: <$ty as $crate::transform::columns::ColumnValue>::KIND,
                    nullable: <$ty as $crate::transform::columns::ColumnValue>::NULLABLE,
                    doc: $doc,
                    personal: $crate::declare_rows!(@personal $($personal)?),
                }, )*
                $crate::transform::columns::RUN_ID_COLUMN,
                $crate::transform::columns::EXTRACTED_AT_COLUMN,
            ];

            fn column(
                rows: &[Self],
                name: &str,
                privacy: &$crate::transform::Pseudonymizer,
            ) -> Option<arrow_array::ArrayRef> {
                let _ = privacy;
                match name {
                    $( stringify!($field) => Some(
                        $crate::declare_rows!(@array rows, $field, $ty, privacy $(, $personal)?)
                    ), )*
                    _ => None,
                }
            }
        }
    };
    (@personal) => { false };
    (@personal personal) => { true };
    (@array $rows:ident, $field:ident, $ty:ty, $privacy:ident) => {
        <$ty as $crate::transform::columns::ColumnValue>::array($rows.iter().map(|r| &r.$field))
    };
    (@array $rows:ident, $field:ident, $ty:ty, $privacy:ident, personal) => {
        $crate::transform::columns::personal_array(
            $rows.iter().map(|r| r.$field.as_deref()),
            $privacy,
        )
    };
}
