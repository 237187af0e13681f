//! The output as a warehouse reads it: DuckDB (Python package, installed by .ci/run) over the
//! Hive-partitioned files.

use std::process::Command;

use ccetl::plan::WriteMode;
use ccetl::sim::SimConfig;
use chrono_tz::Tz;

use super::util::*;

/// The Python with DuckDB that `.ci/run` installs (`target/py/current`); on CI its absence fails
/// the test instead of skipping it.
fn duckdb_python() -> Option<std::path::PathBuf> {
    python("current")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duckdb_reads_the_partitions_with_hive_partitioning() {
    let Some(python) = duckdb_python() else {
        eprintln!("skipped: target/py/current is missing (bash .ci/run makes it)");
        return;
    };
    let sim = sim(SimConfig {
        seed: 9,
        ..SimConfig::default()
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-10", "2026-11-12");
    let summary = run(plan(
        &sim,
        out.path(),
        days.clone(),
        Tz::UTC,
        fast_http(),
        2,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(summary.written, 3);
    let script = format!(
        r#"
import duckdb, json
rel = duckdb.sql("SELECT source, tenant, CAST(date AS VARCHAR) AS date, sum(offered) AS offered, sum(handle_seconds_sum) AS handle, count(*) AS n, typeof(any_value(interval_start)) AS ts FROM read_parquet('{root}/queue_intervals/**/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY date")
print(json.dumps([list(map(lambda v: v if isinstance(v, (str, int, float)) else float(v), r)) for r in rel.fetchall()]))
"#,
        root = out.path().display()
    );
    let output = Command::new(&python)
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let expected = truth(sim.generator(), &days, Tz::UTC);
    assert_eq!(rows.len(), 3);
    for (row, day) in rows.iter().zip(&days) {
        assert_eq!(row[0], "genesys");
        assert_eq!(row[1], "test");
        assert_eq!(row[2], day.to_string());
        let want_offered: i64 = expected
            .iter()
            .filter(|(k, _)| k.0 == *day)
            .map(|(_, r)| r.offered)
            .sum();
        let want_rows = expected.keys().filter(|k| k.0 == *day).count();
        assert_eq!(row[3].as_f64().unwrap() as i64, want_offered);
        assert_eq!(row[5].as_i64().unwrap() as usize, want_rows);
        let want_handle: f64 = expected
            .iter()
            .filter(|(k, _)| k.0 == *day)
            .map(|(_, r)| r.durations[6].1)
            .sum();
        assert!((row[4].as_f64().unwrap() - want_handle).abs() < 1e-6);
        assert_eq!(row[6], "TIMESTAMP WITH TIME ZONE");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_duckdb_query_reads_both_vendors_with_the_same_columns() {
    let Some(python) = duckdb_python() else {
        eprintln!("skipped: target/py/current is missing (bash .ci/run makes it)");
        return;
    };
    let sim = sim(SimConfig {
        seed: 61,
        rate_limit: 1_000_000,
        ..SimConfig::default()
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-12", "2026-11-12");
    let genesys = run(plan(
        &sim,
        out.path(),
        days.clone(),
        Tz::UTC,
        fast_http(),
        2,
        WriteMode::Replace,
    ))
    .await;
    let cxone = run(plan_cxone(
        cxone_settings(&sim, "v31.0"),
        out.path(),
        days.clone(),
        vec![ccetl::transform::Dataset::QueueIntervals],
    ))
    .await;
    assert_eq!((genesys.written, cxone.written), (1, 1));
    let script = format!(
        r#"
import duckdb, json
path = '{root}/queue_intervals/**/*.parquet'
files = duckdb.sql(f"SELECT DISTINCT file FROM glob('{{path}}')").fetchall()
schemas = set()
for (f,) in files:
    schemas.add(str(duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{{f}}')").fetchall()))
rows = duckdb.sql(f"SELECT source, sum(offered), sum(answer_count), round(sum(handle_seconds_sum) / sum(handle_count)) FROM read_parquet('{{path}}', hive_partitioning = true) GROUP BY source ORDER BY source").fetchall()
print(json.dumps({{"schemas": len(schemas), "files": len(files), "rows": [[r[0], int(r[1]), int(r[2]), float(r[3])] for r in rows]}}))
"#,
        root = out.path().display()
    );
    let output = Command::new(&python)
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["files"], 2);
    assert_eq!(
        result["schemas"], 1,
        "both vendors' files have the same columns and types"
    );
    let rows = result["rows"].as_array().unwrap();
    assert_eq!(rows[0][0], "cxone");
    assert_eq!(rows[1][0], "genesys");
    let offered = |g: &ccetl::sim::generator::Generator| g.conversations_on(days[0]).len() as i64;
    assert_eq!(rows[0][1].as_i64().unwrap(), offered(sim.cxone_generator()));
    assert_eq!(rows[1][1].as_i64().unwrap(), offered(sim.generator()));
    // Same units: average handle time in seconds, in the same range for both simulated centers.
    for r in rows {
        let aht = r[3].as_f64().unwrap();
        assert!((200.0..600.0).contains(&aht), "AHT in seconds: {aht}");
    }
}
