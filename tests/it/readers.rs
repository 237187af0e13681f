//! The demo output as warehouse loaders read it: DuckDB, Polars (current and 1.30), pyarrow
//! (current and 18), pandas and DataFusion each read every dataset folder with the plain folder
//! call and agree with the files on row counts and sums; `date` reads as a date and `tenant` as a
//! string through README's recipes; every non-empty DOUBLE column chunk carries min/max; and a
//! dataset folder holds nothing but Parquet files and zero-byte `_SUCCESS` markers.
//!
//! The readers live in virtual environments `.ci/run` creates (`target/py/current`,
//! `target/py/old`); the reading itself is `tests/readers/read_dataset.py`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::util::python;
use std::process::Command as Process;

use super::util::run_demo;
use arrow_array::{Array, Float64Array, Int64Array};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

/// The columns `read_dataset.py` sums, per dataset.
const SUMS: &[(&str, &[&str])] = &[
    (
        "queue_intervals",
        &[
            "offered",
            "handle_count",
            "handle_seconds_sum",
            "wait_seconds_max",
        ],
    ),
    (
        "agent_intervals",
        &["handled", "talk_seconds", "idle_seconds"],
    ),
    ("contacts", &["talk_seconds", "wait_seconds"]),
    ("metrics", &["count", "sum"]),
    ("agent_status", &["duration_seconds"]),
    ("contact_segments", &["duration_seconds", "segment_index"]),
    ("queues", &["member_count", "service_level_seconds"]),
    ("agents", &[]),
    ("wrapup_codes", &[]),
    ("skills", &[]),
    ("teams", &["member_count"]),
    ("divisions", &[]),
    ("presence_definitions", &[]),
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Rows and sums of the dataset's files, read with the parquet crate.
fn truth(folder: &Path, columns: &[&str]) -> (u64, BTreeMap<String, f64>) {
    let mut all = Vec::new();
    files(folder, &mut all);
    let mut rows = 0u64;
    let mut sums: BTreeMap<String, f64> = columns.iter().map(|c| (c.to_string(), 0.0)).collect();
    for file in all
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "parquet"))
    {
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            rows += batch.num_rows() as u64;
            for c in columns {
                let column = batch.column_by_name(c).unwrap();
                let sum: f64 = if let Some(ints) = column.as_any().downcast_ref::<Int64Array>() {
                    ints.iter().flatten().map(|v| v as f64).sum()
                } else {
                    let floats = column.as_any().downcast_ref::<Float64Array>().unwrap();
                    floats.iter().flatten().sum()
                };
                *sums.get_mut(*c).unwrap() += sum;
            }
        }
    }
    (rows, sums)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn read(python: &Path, reader: &str, root: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readers/read_dataset.py");
    let output = Process::new(python)
        .arg(&script)
        .arg(reader)
        .arg(root)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{reader}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{reader} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Every file under a dataset folder is a Parquet data file or a zero-byte `_SUCCESS`.
fn assert_data_only(root: &Path) {
    for (dataset, _) in SUMS {
        let mut all = Vec::new();
        files(&root.join(dataset), &mut all);
        assert!(!all.is_empty(), "{dataset} is empty");
        for f in all {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let data = name.ends_with(".parquet") && !name.starts_with(['.', '_']);
            let marker = name == "_SUCCESS" && std::fs::metadata(&f).unwrap().len() == 0;
            assert!(
                data || marker,
                "not data under a dataset folder: {}",
                f.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reader_opens_every_dataset_and_agrees() {
    let (Some(current), Some(old)) = (python("current"), python("old")) else {
        eprintln!(
            "skipped: target/py/current and target/py/old are missing (bash .ci/run makes them)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("out");
    run_demo(&root, 2).await;
    assert_data_only(&root);
    let expected: BTreeMap<&str, (u64, BTreeMap<String, f64>)> = SUMS
        .iter()
        .map(|(d, cols)| (*d, truth(&root.join(d), cols)))
        .collect();
    let runs = [
        (&current, "duckdb"),
        (&current, "polars"),
        (&current, "pyarrow"),
        (&current, "pandas"),
        (&current, "datafusion"),
        (&old, "polars"),
        (&old, "pyarrow"),
    ];
    let mut failures = Vec::new();
    for (python, reader) in runs {
        let seen = read(python, reader, &root);
        let who = format!("{reader} {}", seen["version"].as_str().unwrap_or("?"));
        for (dataset, (rows, sums)) in &expected {
            let got = &seen["datasets"][dataset];
            if let Some(error) = got.get("error") {
                failures.push(format!("{who} cannot read {dataset}: {error}"));
                continue;
            }
            if got["rows"].as_u64() != Some(*rows) {
                failures.push(format!(
                    "{who} {dataset}: {} rows, the files hold {rows}",
                    got["rows"]
                ));
            }
            for (column, sum) in sums {
                let seen_sum = got["sums"][column].as_f64().unwrap_or(f64::NAN);
                if !close(seen_sum, *sum) {
                    failures.push(format!(
                        "{who} {dataset}.{column}: sum {seen_sum}, the files say {sum}"
                    ));
                }
            }
            if got["date_is_date"] != true || got["tenant_is_string"] != true {
                failures.push(format!(
                    "{who} {dataset}: date a date {}, tenant a string {}",
                    got["date_is_date"], got["tenant_is_string"]
                ));
            }
        }
    }
    for python in [&current, &old] {
        let stats = read(python, "stats", &root);
        if stats["checked"].as_u64().unwrap_or(0) == 0 || stats["missing_count"] != 0 {
            failures.push(format!("pyarrow {} min/max: {stats}", stats["pyarrow"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
