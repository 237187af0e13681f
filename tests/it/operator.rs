//! The operator's and the analyst's view: run records, `--dry-run`, `ccetl status`, schema export,
//! selectors and completions.

use ccetl::sim::{Fault, FaultKind, SimConfig};
use serde_json::Value;

use super::util::*;

fn json_line(stdout: &[u8]) -> Value {
    let text = String::from_utf8_lossy(stdout);
    let last = text.lines().last().unwrap_or_default().to_string();
    serde_json::from_str(&last).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_record_lists_every_slice_with_the_failed_one() {
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    sim.inject(Fault {
        path: "/api/v2/analytics/users/aggregates/query".into(),
        kind: FaultKind::Status {
            status: 400,
            retry_after: None,
            message: Some("injected: bad metric".into()),
        },
        count: 1,
    });
    let setup = Setup::new(&sim, "[pipeline]\nconcurrency = 1\n");
    let summary_path = setup.dir.path().join("summary.json");
    let output = setup
        .run(&[
            "backfill",
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-03",
            "--dataset",
            "queue_intervals",
            "--dataset",
            "agent_intervals",
            "--summary-json",
            summary_path.to_str().unwrap(),
        ])
        .await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let written: Value = serde_json::from_slice(&std::fs::read(&summary_path).unwrap()).unwrap();
    let run_id = written["run_id"].as_str().unwrap().to_string();
    let kept: Value = serde_json::from_slice(
        &std::fs::read(setup.out().join(format!("_ccetl/runs/{run_id}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        kept, written,
        "the run record and --summary-json are the same document"
    );
    assert_eq!(kept["record_version"], 1);
    let command: Vec<&str> = kept["command"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        command.contains(&"backfill") && command.contains(&"2026-11-02"),
        "{command:?}"
    );
    assert!(kept["started_at"].as_str().unwrap() <= kept["ended_at"].as_str().unwrap());
    let slices = kept["slices"].as_array().unwrap();
    assert_eq!(slices.len(), 8, "2 days × 2 datasets × 2 sources");
    let failed: Vec<&Value> = slices.iter().filter(|s| s["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{slices:?}");
    assert_eq!(
        (
            &failed[0]["source"],
            &failed[0]["dataset"],
            &failed[0]["kind"]
        ),
        (&"genesys".into(), &"agent_intervals".into(), &"api".into())
    );
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("injected: bad metric")
    );
    for s in slices.iter().filter(|s| s["status"] == "written") {
        let dir = setup.out().join(s["partition"].as_str().unwrap());
        let bytes = std::fs::metadata(dir.join("part-00000.zstd.parquet"))
            .unwrap()
            .len();
        assert_eq!(s["bytes"].as_u64(), Some(bytes), "{s}");
        assert!(s["rows"].as_u64().unwrap() > 0 && s["final"] == true, "{s}");
        assert!(s["requests"].as_u64().unwrap() >= 1, "{s}");
    }
    for source in kept["sources"].as_array().unwrap() {
        assert!(source["requests"].as_u64().unwrap() > 0, "{source}");
        assert!(source.get("throttled").is_some() && source.get("retries").is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_fetches_nothing_and_estimates_the_requests_within_ten_percent() {
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    let setup = Setup::new(&sim, "");
    let datasets = ["--dataset", "contacts", "--dataset", "queue_intervals"];
    let mut history = vec!["backfill", "--from", "2026-11-02", "--to", "2026-11-05"];
    history.extend(datasets);
    let first = setup.run(&history).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let before = (sim.requests().len(), sim.stats().token_requests);
    let mut args = vec!["backfill", "--from", "2026-11-09", "--to", "2026-11-12"];
    args.extend(datasets);
    let mut dry = vec!["--log-format", "json"];
    dry.extend(args.iter().copied());
    dry.push("--dry-run");
    let estimate = setup.run(&dry).await;
    assert_eq!(estimate.status.code(), Some(0), "{}", text(&estimate));
    assert_eq!(
        (sim.requests().len(), sim.stats().token_requests),
        before,
        "a dry run sends nothing, not even a token request"
    );
    let estimate = json_line(&estimate.stdout);
    let expected = estimate["requests"].as_u64().unwrap();
    let mut real = vec!["--log-format", "json"];
    real.extend(args.iter().copied());
    let run = setup.run(&real).await;
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let actual = json_line(&run.stdout)["requests"].as_u64().unwrap();
    let off = (expected as f64 - actual as f64).abs() / actual as f64;
    assert!(
        off <= 0.10,
        "estimated {expected} requests, the run made {actual}"
    );
    // Nothing to do: --resume skips every complete partition, and the estimate says so.
    let mut resume = vec!["--log-format", "json"];
    resume.extend(args.iter().copied());
    resume.extend(["--resume", "--dry-run"]);
    let nothing = json_line(&setup.run(&resume).await.stdout);
    assert_eq!(nothing["requests"], 0, "{nothing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_coverage_and_exits_1_on_gaps() {
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    let setup = Setup::new(&sim, "");
    let backfill = setup
        .run(&[
            "backfill",
            "--from",
            "2026-11-10",
            "--to",
            "2026-11-12",
            "--dataset",
            "queue_intervals,queues",
        ])
        .await;
    assert_eq!(backfill.status.code(), Some(0), "{}", text(&backfill));
    let covered = setup
        .run(&[
            "status",
            "--from",
            "2026-11-10",
            "--to",
            "2026-11-12",
            "--dataset",
            "queue_intervals,queues",
        ])
        .await;
    let shown = text(&covered);
    assert_eq!(covered.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("3 complete, 0 provisional, 0 missing, 0 failed") && shown.contains("███"),
        "{shown}"
    );
    // A snapshot is today's, outside the days asked about, and the days without one no gap.
    let today = chrono::Utc::now().date_naive();
    assert!(
        shown.contains(&format!(
            "queues           snapshot of {today}, 5 rows (1 kept)"
        )),
        "{shown}"
    );
    assert!(shown.contains("no gaps"), "{shown}");
    let never = setup
        .run(&["status", "--source", "genesys.demo", "--dataset", "agents"])
        .await;
    assert_eq!(never.status.code(), Some(1), "{}", text(&never));
    assert!(
        text(&never).contains("agents           no snapshot yet"),
        "{}",
        text(&never)
    );
    let gappy = setup
        .run(&[
            "status",
            "--from",
            "2026-11-09",
            "--to",
            "2026-11-12",
            "--dataset",
            "queue_intervals",
            "--format",
            "json",
        ])
        .await;
    assert_eq!(gappy.status.code(), Some(1), "{}", text(&gappy));
    let report: Value = serde_json::from_slice(&gappy.stdout).unwrap();
    assert_eq!(
        report["gaps"], 2,
        "one day missing for each vendor: {report}"
    );
    for source in report["sources"].as_array().unwrap() {
        let days = source["datasets"][0]["days"].as_array().unwrap();
        let states: Vec<&str> = days.iter().map(|d| d["state"].as_str().unwrap()).collect();
        assert_eq!(
            states,
            ["missing", "complete", "complete", "complete"],
            "{source}"
        );
        assert!(days[1]["rows"].as_u64().unwrap() > 0);
    }
    // One source only, and nothing of another dataset.
    let one = setup
        .run(&[
            "status",
            "--from",
            "2026-11-10",
            "--to",
            "2026-11-12",
            "--source",
            "cxone.demo",
            "--format",
            "json",
        ])
        .await;
    let report: Value = serde_json::from_slice(&one.stdout).unwrap();
    let sources = report["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{report}");
    assert_eq!(sources[0]["source"], "cxone");
    assert_eq!(
        one.status.code(),
        Some(1),
        "agent_intervals and contacts were never fetched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selectors_pick_sources_and_datasets_and_name_what_exists() {
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    let setup = Setup::new(&sim, "");
    let day = ["--from", "2026-11-10", "--to", "2026-11-10"];
    let mut args = vec!["backfill"];
    args.extend(day);
    args.extend([
        "--source",
        "cxone.demo",
        "--dataset",
        "queue_intervals,contacts",
    ]);
    let only_cxone = setup.run(&args).await;
    assert_eq!(only_cxone.status.code(), Some(0), "{}", text(&only_cxone));
    assert!(
        String::from_utf8_lossy(&only_cxone.stdout).contains("2 slices written"),
        "{}",
        text(&only_cxone)
    );
    let out = setup.out();
    assert!(out.join("contacts/source=cxone").exists());
    assert!(out.join("queue_intervals/source=cxone").exists());
    assert!(!out.join("contacts/source=genesys").exists());
    assert!(!out.join("agent_intervals").exists());
    let mut args = vec!["backfill"];
    args.extend(day);
    args.extend(["--source", "genesys", "--dataset", "metrics"]);
    let only_genesys = setup.run(&args).await;
    assert_eq!(
        only_genesys.status.code(),
        Some(0),
        "{}",
        text(&only_genesys)
    );
    assert!(
        out.join("metrics/source=genesys/tenant=demo/date=2026-11-10")
            .exists()
    );
    let mut args = vec!["backfill"];
    args.extend(day);
    args.extend(["--source", "genesys.nope"]);
    let unknown = setup.run(&args).await;
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    assert!(
        text(&unknown).contains(
            "--source genesys.nope: no such source; configured: genesys.demo, cxone.demo"
        ),
        "{}",
        text(&unknown)
    );
    let mut args = vec!["backfill"];
    args.extend(day);
    args.extend(["--dataset", "contacts,queus"]);
    let bad_dataset = setup.run(&args).await;
    assert_eq!(bad_dataset.status.code(), Some(2));
    assert!(
        text(&bad_dataset).contains("--dataset queus: unknown dataset; known: queue_intervals"),
        "{}",
        text(&bad_dataset)
    );
    let check = setup.run(&["check", "--source", "cxone"]).await;
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        said.contains("cxone.demo: configuration valid") && !said.contains("genesys"),
        "{said}"
    );
    let queries = setup.run(&["queries", "--tenant", "demo"]).await;
    assert_eq!(queries.status.code(), Some(0), "{}", text(&queries));
    assert!(String::from_utf8_lossy(&queries.stdout).contains("genesys.demo"));
}

fn schema_output(args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ccetl"))
        .arg("schema")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    String::from_utf8(output.stdout).unwrap()
}

/// Every column each dataset must list: the declared ones, then the partition columns.
fn expected_columns(dataset: ccetl::transform::Dataset) -> Vec<(String, bool)> {
    let mut columns: Vec<(String, bool)> = dataset
        .columns()
        .iter()
        .map(|c| (c.name.to_string(), c.nullable))
        .collect();
    for p in ["source", "tenant", "date"] {
        columns.push((p.to_string(), false));
    }
    columns
}

#[test]
fn the_schema_exports_as_dbt_sources_and_ddl_that_duckdb_runs() {
    let Some(python) = python("current") else {
        eprintln!("skipped: target/py/current is missing (bash .ci/run makes it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dbt = dir.path().join("sources.yml");
    std::fs::write(&dbt, schema_output(&["--format", "dbt"])).unwrap();
    let ddl = dir.path().join("ddl.sql");
    std::fs::write(
        &ddl,
        schema_output(&["--format", "sql", "--dialect", "duckdb"]),
    )
    .unwrap();
    let script = format!(
        r#"
import json, yaml, duckdb
doc = yaml.safe_load(open({dbt:?}))
tables = {{t["name"]: [(c["name"], "not_null" in c.get("tests", []), bool(c.get("description"))) for c in t["columns"]] for t in doc["sources"][0]["tables"]}}
con = duckdb.connect()
con.execute(open({ddl:?}).read())
ddl = {{}}
for table, column, nullable in con.sql("SELECT table_name, column_name, is_nullable FROM information_schema.columns ORDER BY table_name, ordinal_position").fetchall():
    ddl.setdefault(table, []).append((column, nullable == "NO"))
print(json.dumps({{"dbt": tables, "ddl": ddl}}))
"#,
        dbt = dbt.display().to_string(),
        ddl = ddl.display().to_string()
    );
    let output = std::process::Command::new(python)
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    for dataset in ccetl::transform::Dataset::ALL {
        let expected = expected_columns(*dataset);
        let dbt: Vec<(String, bool)> = seen["dbt"][dataset.name()]
            .as_array()
            .unwrap_or_else(|| panic!("{} in the dbt sources", dataset.name()))
            .iter()
            .map(|c| {
                assert_eq!(c[2], true, "a description for {c}");
                (c[0].as_str().unwrap().to_string(), c[1] == true)
            })
            .collect();
        let not_null: Vec<(String, bool)> = expected
            .iter()
            .map(|(n, nullable)| (n.clone(), !nullable))
            .collect();
        assert_eq!(dbt, not_null, "dbt {}", dataset.name());
        let ddl: Vec<(String, bool)> = seen["ddl"][dataset.name()]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c[0].as_str().unwrap().to_string(), c[1] == true))
            .collect();
        assert_eq!(ddl, not_null, "DuckDB DDL {}", dataset.name());
    }
    // Every form says NOT NULL, and JSON lists every column with its vendors' fields.
    assert!(schema_output(&["contacts"]).contains("conversation_id        STRING NOT NULL"));
    let json: Value = serde_json::from_str(&schema_output(&["--format", "json"])).unwrap();
    let contacts = json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "contacts")
        .unwrap();
    assert_eq!(
        contacts["columns"].as_array().unwrap().len(),
        expected_columns(ccetl::transform::Dataset::Contacts).len()
    );
    assert_eq!(contacts["columns"][0]["sources"]["cxone"], "`contactId`");
    for dialect in ["snowflake", "bigquery"] {
        assert!(schema_output(&["--format", "sql", "--dialect", dialect]).contains("NOT NULL"));
    }
}

#[test]
fn queries_reports_every_bad_file_unknown_metrics_and_hidden_built_ins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.json"), "{ not json").unwrap();
    std::fs::write(
        dir.path().join("typo.json"),
        r#"{"metrics": ["nOffered", "tHandel"], "groupBy": ["queueId"]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("fine.json"),
        r#"{"metrics": ["nConnected"], "groupBy": ["queueId"]}"#,
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ccetl"))
        .args(["--config", "/nonexistent/ccetl.toml", "queries", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(
        all.contains("broken.json") && all.contains("not valid JSON"),
        "{all}"
    );
    assert!(all.contains("unknown metric \"tHandel\""), "{all}");
    assert!(
        all.contains("fine") && all.contains("-> metrics"),
        "the good file is listed: {all}"
    );
    assert!(
        all.contains(
            "no handle_by_wrapup.json: the built-in metrics query handle_by_wrapup does not run"
        ),
        "{all}"
    );
    assert!(all.contains("2 problems"), "{all}");
}

#[test]
fn completions_generate_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_ccetl"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{shell}: {}", text(&output));
        let script = String::from_utf8_lossy(&output.stdout);
        for word in [
            "ccetl",
            "backfill",
            "status",
            "dry-run",
            "summary-json",
            "completions",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
        if shell == "bash" {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("ccetl.bash");
            std::fs::write(&file, script.as_bytes()).unwrap();
            let syntax = std::process::Command::new("bash")
                .arg("-n")
                .arg(&file)
                .output()
                .unwrap();
            assert!(syntax.status.success(), "{}", text(&syntax));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_carry_progress_lines_and_json_stays_json() {
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    sim.inject(Fault {
        path: "/api/v2/analytics".into(),
        kind: FaultKind::Delay { ms: 700 },
        count: 8,
    });
    sim.inject(Fault {
        path: "/inContactAPI/services/v31.0/skills/summary".into(),
        kind: FaultKind::Status {
            status: 400,
            retry_after: None,
            message: Some("injected".into()),
        },
        count: 1,
    });
    sim.inject(Fault {
        path: "/inContactAPI/services/v31.0/skills/summary".into(),
        kind: FaultKind::Status {
            status: 503,
            retry_after: None,
            message: Some("injected".into()),
        },
        count: 1,
    });
    let setup = Setup::new(&sim, "[pipeline]\nconcurrency = 1\n");
    let output = setup
        .run(&[
            "--log-format",
            "json",
            "--progress-secs",
            "1",
            "backfill",
            "--from",
            "2026-11-10",
            "--to",
            "2026-11-13",
            "--dataset",
            "queue_intervals",
        ])
        .await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 1, "one summary line: {stdout}");
    let _: Value = serde_json::from_str(stdout.trim()).expect("the summary is JSON");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut progress = 0;
    let mut named_slices = 0;
    let mut named_retries = 0;
    for line in stderr.lines() {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|_| panic!("every stderr line is JSON: {line}"));
        let message = event["fields"]["message"].as_str().unwrap_or_default();
        if message.starts_with("Progress:") {
            progress += 1;
            assert!(event["fields"]["requests"].is_u64(), "{event}");
            assert!(event["fields"]["slices"] == 8, "{event}");
        }
        let spans = event["spans"].to_string();
        if message == "Slice failed." {
            // The failure names its source (span) and slice (fields).
            assert!(spans.contains("cxone"), "{event}");
            assert_eq!(event["fields"]["dataset"], "queue_intervals", "{event}");
            assert!(event["fields"]["date"].is_string(), "{event}");
            named_slices += 1;
        }
        if message == "Request failed; retrying." {
            // A retry names the source and the slice it belongs to.
            assert!(
                spans.contains("cxone")
                    && spans.contains("\"slice\"")
                    && spans.contains("queue_intervals"),
                "{event}"
            );
            named_retries += 1;
        }
    }
    assert!(
        progress >= 1,
        "a progress line at least every second: {stderr}"
    );
    assert_eq!((named_slices, named_retries), (1, 1), "{stderr}");
    let check = setup.run(&["--log-format", "json", "check"]).await;
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    for line in String::from_utf8_lossy(&check.stdout).lines() {
        let verdict: Value = serde_json::from_str(line).expect("check answers in JSON");
        assert_eq!(verdict["ok"], true, "{verdict}");
    }
}

#[test]
fn the_configuration_ccetl_sim_prints_passes_check() {
    use std::io::{BufRead, BufReader};
    let mut sim = std::process::Command::new(env!("CARGO_BIN_EXE_ccetl"))
        .args(["sim", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut printed = Vec::new();
    let stdout = sim.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Press Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    let config: String = printed
        .iter()
        .skip_while(|l| !l.starts_with("[output]"))
        .take_while(|l| !l.starts_with("and these variables"))
        .map(|l| format!("{l}\n"))
        .collect();
    let exports: Vec<(String, String)> = printed
        .iter()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ccetl.toml"), &config).unwrap();
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_ccetl"))
        .current_dir(dir.path())
        .env_remove("CCETL_CONFIG")
        .envs(exports.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .arg("check")
        .output()
        .unwrap();
    let _ = sim.kill();
    let _ = sim.wait();
    assert!(exports.len() >= 5, "{printed:?}");
    assert_eq!(check.status.code(), Some(0), "{config}\n{}", text(&check));
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        said.contains("genesys.sim: configuration valid")
            && said.contains("cxone.sim: configuration valid"),
        "{said}"
    );
}
