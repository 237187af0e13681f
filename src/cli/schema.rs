//! `ccetl schema`: the warehouse contract in the forms loaders consume — text, the README's
//! markdown, JSON, `CREATE TABLE` statements for DuckDB, Snowflake and BigQuery, and a dbt
//! `sources.yml` with descriptions and tests. Every form says which columns are NOT NULL, and
//! every form ends with the partition columns (`source`, `tenant`, `date`), which live in the
//! paths.

use clap::ValueEnum;
use serde::Serialize;

use super::SchemaArgs;
use crate::error::{Error, ExitStatus};
use crate::sources::{self, VENDORS};
use crate::transform::{ColumnSpec, ColumnType, Dataset};

/// How `ccetl schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaFormat {
    /// Aligned text.
    Text,
    /// README's tables (with each vendor's source field).
    Markdown,
    /// One JSON document.
    Json,
    /// `CREATE TABLE` statements (`--dialect`).
    Sql,
    /// A dbt `sources.yml`.
    Dbt,
}

/// The SQL dialect of `--format sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dialect {
    /// DuckDB (and MotherDuck).
    Duckdb,
    /// Snowflake.
    Snowflake,
    /// BigQuery (qualify the table names with your dataset).
    Bigquery,
}

/// The partition columns, in path order, with their meaning.
const PARTITIONS: [(&str, &str); 3] = [
    (
        "source",
        "The vendor (`genesys`, `cxone`): the `source=` path segment.",
    ),
    (
        "tenant",
        "The tenant name from the configuration: the `tenant=` path segment.",
    ),
    (
        "date",
        "The business date in the tenant's time zone: the `date=` path segment.",
    ),
];

/// A column to export: a declared one, or a partition column.
struct Column {
    name: &'static str,
    kind: Kind,
    nullable: bool,
    doc: &'static str,
}

#[derive(Clone, Copy)]
enum Kind {
    Declared(ColumnType),
    Date,
}

fn columns(dataset: Dataset) -> Vec<Column> {
    let mut out: Vec<Column> = dataset
        .columns()
        .iter()
        .map(|c: &ColumnSpec| Column {
            name: c.name,
            kind: Kind::Declared(c.kind),
            nullable: c.nullable,
            doc: c.doc,
        })
        .collect();
    for (name, doc) in PARTITIONS {
        out.push(Column {
            name,
            kind: if name == "date" {
                Kind::Date
            } else {
                Kind::Declared(ColumnType::Utf8)
            },
            nullable: false,
            doc,
        });
    }
    out
}

fn sql_type(kind: Kind, dialect: Dialect) -> &'static str {
    use ColumnType::*;
    match (kind, dialect) {
        (Kind::Date, _) => "DATE",
        (Kind::Declared(TimestampUtc), Dialect::Duckdb) => "TIMESTAMPTZ",
        (Kind::Declared(TimestampUtc), Dialect::Snowflake) => "TIMESTAMP_TZ",
        (Kind::Declared(TimestampUtc), Dialect::Bigquery) => "TIMESTAMP",
        (Kind::Declared(Utf8), Dialect::Bigquery) => "STRING",
        (Kind::Declared(Utf8), _) => "VARCHAR",
        (Kind::Declared(Int64), Dialect::Bigquery) => "INT64",
        (Kind::Declared(Int64), _) => "BIGINT",
        (Kind::Declared(Float64), Dialect::Bigquery) => "FLOAT64",
        (Kind::Declared(Float64), _) => "DOUBLE",
        (Kind::Declared(Boolean), Dialect::Bigquery) => "BOOL",
        (Kind::Declared(Boolean), _) => "BOOLEAN",
    }
}

fn generic_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Date => "date",
        Kind::Declared(ColumnType::TimestampUtc) => "timestamp",
        Kind::Declared(ColumnType::Utf8) => "varchar",
        Kind::Declared(ColumnType::Int64) => "bigint",
        Kind::Declared(ColumnType::Float64) => "double",
        Kind::Declared(ColumnType::Boolean) => "boolean",
    }
}

/// An identifier quoted for `dialect`: some column names (`current`, `date`, `sum`) are keywords
/// somewhere, and quoting keeps the Parquet names exactly.
fn ident(name: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Bigquery => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

fn quote_sql(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn ddl(datasets: &[Dataset], dialect: Dialect) -> String {
    let mut out = String::from(
        "-- ccetl's datasets (`ccetl schema --format sql`): columns as in the Parquet files, then the\n-- partition columns of the paths. Load or declare external tables with these types.\n",
    );
    for dataset in datasets {
        let cols = columns(*dataset);
        out.push_str(&format!(
            "\nCREATE TABLE IF NOT EXISTS {} (\n",
            ident(dataset.name(), dialect)
        ));
        let lines: Vec<String> = cols
            .iter()
            .map(|c| {
                let not_null = if c.nullable { "" } else { " NOT NULL" };
                let comment = match dialect {
                    Dialect::Duckdb => String::new(),
                    Dialect::Snowflake => format!(" COMMENT {}", quote_sql(c.doc)),
                    Dialect::Bigquery => {
                        format!(
                            " OPTIONS(description = {})",
                            serde_json::to_string(c.doc).unwrap_or_default()
                        )
                    }
                };
                format!(
                    "  {} {}{not_null}{comment}",
                    ident(c.name, dialect),
                    sql_type(c.kind, dialect)
                )
            })
            .collect();
        out.push_str(&lines.join(",\n"));
        out.push_str("\n);\n");
        if dialect == Dialect::Duckdb {
            for c in &cols {
                out.push_str(&format!(
                    "COMMENT ON COLUMN {}.{} IS {};\n",
                    ident(dataset.name(), dialect),
                    ident(c.name, dialect),
                    quote_sql(c.doc)
                ));
            }
        }
    }
    out
}

fn yaml_string(text: &str) -> String {
    // A JSON string is a valid YAML double-quoted scalar.
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

fn dbt(datasets: &[Dataset]) -> String {
    let mut out = String::from(
        "# ccetl's datasets as dbt sources (`ccetl schema --format dbt`). Point `meta.location`\n# (or your external-table set-up) at <output>/<dataset>. The uniqueness tests need dbt-utils.\nversion: 2\n\nsources:\n  - name: ccetl\n    description: \"Contact-center reporting data landed by ccetl: Hive-partitioned Parquet by source, tenant and date.\"\n    tables:\n",
    );
    for dataset in datasets {
        out.push_str(&format!("      - name: {}\n", dataset.name()));
        out.push_str(&format!(
            "        meta:\n          location: {}\n",
            yaml_string(&format!("<output>/{}", dataset.name()))
        ));
        if *dataset == Dataset::Contacts {
            out.push_str("        tests:\n          - dbt_utils.unique_combination_of_columns:\n              combination_of_columns: [source, tenant, conversation_id]\n");
        }
        out.push_str("        columns:\n");
        for c in columns(*dataset) {
            out.push_str(&format!("          - name: {}\n", c.name));
            out.push_str(&format!(
                "            description: {}\n",
                yaml_string(c.doc)
            ));
            out.push_str(&format!(
                "            data_type: {}\n",
                generic_type(c.kind)
            ));
            if !c.nullable {
                out.push_str("            tests:\n              - not_null\n");
            }
        }
    }
    out
}

#[derive(Serialize)]
struct JsonColumn {
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    nullable: bool,
    personal: bool,
    partition: bool,
    doc: &'static str,
    /// Each vendor's source field (`null`: the vendor does not fill the dataset).
    sources: std::collections::BTreeMap<&'static str, Option<&'static str>>,
}

#[derive(Serialize)]
struct JsonDataset {
    name: &'static str,
    schema_fingerprint: String,
    partitioned_by: [&'static str; 3],
    columns: Vec<JsonColumn>,
}

fn json(datasets: &[Dataset]) -> String {
    let out: Vec<JsonDataset> = datasets
        .iter()
        .map(|d| {
            let personal = |name: &str| d.columns().iter().any(|c| c.name == name && c.personal);
            JsonDataset {
                name: d.name(),
                schema_fingerprint: crate::transform::schema_fingerprint(&d.schema()),
                partitioned_by: ["source", "tenant", "date"],
                columns: columns(*d)
                    .into_iter()
                    .map(|c| JsonColumn {
                        name: c.name,
                        kind: generic_type(c.kind),
                        nullable: c.nullable,
                        personal: personal(c.name),
                        partition: PARTITIONS.iter().any(|(p, _)| *p == c.name),
                        doc: c.doc,
                        sources: VENDORS
                            .iter()
                            .map(|v| {
                                let field = v
                                    .datasets()
                                    .contains(d)
                                    .then(|| {
                                        v.column_sources(*d)
                                            .iter()
                                            .find(|(n, _)| *n == c.name)
                                            .map(|(_, f)| *f)
                                    })
                                    .flatten();
                                (v.name(), field)
                            })
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "datasets": out })).unwrap_or_default()
}

fn text(datasets: &[Dataset]) -> String {
    let mut out = String::new();
    for dataset in datasets {
        out.push_str(&format!(
            "{} (partitioned by source, tenant, date):\n",
            dataset.name()
        ));
        for c in dataset.columns() {
            let kind = format!(
                "{}{}",
                c.kind.sql_name(),
                if c.nullable { "" } else { " NOT NULL" }
            );
            out.push_str(&format!("  {:<22} {:<29} {}\n", c.name, kind, c.doc));
        }
    }
    out
}

/// Runs `ccetl schema`.
pub fn run(args: SchemaArgs) -> Result<ExitStatus, Error> {
    let datasets: Vec<Dataset> = match &args.dataset {
        Some(name) => vec![Dataset::parse(name).ok_or_else(|| {
            Error::Usage(format!(
                "unknown dataset {name:?}; known: {}",
                Dataset::names()
            ))
        })?],
        None => Dataset::ALL.to_vec(),
    };
    let format = if args.markdown {
        SchemaFormat::Markdown
    } else {
        args.format
    };
    let printed = match format {
        SchemaFormat::Text => text(&datasets),
        SchemaFormat::Markdown => datasets
            .iter()
            .map(|d| format!("### `{}`\n\n{}\n", d.name(), sources::markdown_table(*d)))
            .collect(),
        SchemaFormat::Json => format!("{}\n", json(&datasets)),
        SchemaFormat::Sql => ddl(&datasets, args.dialect),
        SchemaFormat::Dbt => dbt(&datasets),
    };
    out!("{printed}");
    Ok(ExitStatus::Success)
}
