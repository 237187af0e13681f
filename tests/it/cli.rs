//! The binary as cron and analysts use it: exit codes, messages, and no secret in any output.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use ccetl::sim::{SimConfig, Simulator};

use super::util::*;

const SECRET_ENV: &str = "CCETL_TEST_GENESYS_SECRET";
const ID_ENV: &str = "CCETL_TEST_GENESYS_ID";
const KEY_ENV: &str = "CCETL_TEST_PSEUDONYMIZE_KEY";

fn write_config(dir: &Path, base_url: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join("ccetl.toml");
    std::fs::write(
        &path,
        format!(
            "[output]\ndir = \"{out}\"\n\n[privacy]\npseudonymize_key = {{ env = \"{KEY_ENV}\" }}\n\n[genesys.acme]\nlogin_url = \"{base_url}\"\napi_url = \"{base_url}\"\nclient_id = {{ env = \"{ID_ENV}\" }}\nclient_secret = {{ env = \"{SECRET_ENV}\" }}\ndetails_job_poll_secs = 0.2\n{extra}",
            out = dir.join("out").display()
        ),
    )
    .unwrap();
    path
}

fn ccetl(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ccetl").unwrap();
    cmd.current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("CCETL_CONFIG")
        .env_remove("CCETL_OUTPUT")
        .env_remove("CCETL_LOG_FORMAT")
        .env(KEY_ENV, "cli-test-pseudonymisation-key");
    cmd
}

/// `ccetl --config CONFIG ARGS…` in `dir`, a client id and secret set, run to its end.
fn with_credentials(dir: &Path, config: &Path, args: &[&str]) -> Output {
    ccetl(dir)
        .arg("--config")
        .arg(config)
        .args(args)
        .env(ID_ENV, "id")
        .env(SECRET_ENV, "x")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn blocking(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_from_the_command_line_writes_partitions_and_leaks_no_secret() {
    let secret = "s3cr3t-Value-that/must+never=appear";
    let sim = Simulator::start(SimConfig {
        client_secret: secret.into(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sim.base_url(), "");
    let mut cmd = ccetl(dir.path());
    cmd.args([
        "-vv",
        "--config",
        config.to_str().unwrap(),
        "backfill",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-03",
    ])
    .env(ID_ENV, &sim.config().client_id)
    .env(SECRET_ENV, secret);
    let output = blocking(cmd).await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("25 slices written, 0 skipped, 0 failed"),
        "{all}"
    );
    assert!(
        !all.contains(secret),
        "the client secret appeared in the output"
    );
    for token in sim.issued_tokens() {
        assert!(
            !all.contains(&token),
            "an access token appeared in the output"
        );
    }
    for day in dates("2026-11-01", "2026-11-03") {
        for dataset in ["queue_intervals", "agent_intervals", "contacts", "metrics"] {
            let dir = dataset_dir(&dir.path().join("out"), dataset, "acme", day);
            assert!(dir.join("_SUCCESS").exists(), "{}", dir.display());
        }
    }

    // JSON logs and a JSON summary for schedulers.
    let mut cmd = ccetl(dir.path());
    cmd.args([
        "--log-format",
        "json",
        "--config",
        config.to_str().unwrap(),
        "run",
        "--date",
        "2026-11-03",
        "--lookback-days",
        "1",
    ])
    .env(ID_ENV, &sim.config().client_id)
    .env(SECRET_ENV, secret);
    let output = blocking(cmd).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let summary: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON summary");
    // Two days of six datasets, and today's snapshot of the seven lists.
    assert_eq!(summary["written"], 19);
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        let _: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
    }
    assert!(!text(&output).contains(secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_exit_3_naming_what_to_check() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sim.base_url(), "");
    let wrong = "definitely-the-wrong-secret";
    let mut cmd = ccetl(dir.path());
    cmd.args([
        "--config",
        config.to_str().unwrap(),
        "backfill",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-02",
    ])
    .env(ID_ENV, &sim.config().client_id)
    .env(SECRET_ENV, wrong);
    let output = blocking(cmd).await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(3), "{all}");
    assert!(
        all.contains("invalid_client") && all.contains("client id and secret"),
        "{all}"
    );
    assert!(!all.contains(wrong), "{all}");
    assert_eq!(
        sim.stats().api_requests,
        0,
        "no API call with bad credentials"
    );

    let mut cmd = ccetl(dir.path());
    cmd.args(["--config", config.to_str().unwrap(), "check"])
        .env(ID_ENV, "x")
        .env(SECRET_ENV, wrong);
    assert_eq!(blocking(cmd).await.status.code(), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_query_fails_with_the_apis_message_and_exit_4() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("queries")).unwrap();
    std::fs::write(
        dir.path().join("queries/queue_intervals.json"),
        r#"{"granularity":"PT30M","groupBy":["queueId","mediaType"],"metrics":["nOffered","nBogus"]}"#,
    )
    .unwrap();
    let config = write_config(
        dir.path(),
        &sim.base_url(),
        "queries_dir = \"queries\"\ndatasets = [\"queue_intervals\"]\n",
    );
    let mut cmd = ccetl(dir.path());
    cmd.args([
        "--config",
        config.to_str().unwrap(),
        "backfill",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-02",
    ])
    .env(ID_ENV, &sim.config().client_id)
    .env(SECRET_ENV, &sim.config().client_secret);
    let output = blocking(cmd).await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(4), "{all}");
    assert!(all.contains("Invalid metric: nBogus"), "{all}");
    assert!(
        all.contains("2026-11-01") && all.contains("2026-11-02"),
        "each failed slice is named: {all}"
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("2 failed"),
        "{all}"
    );
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "http://127.0.0.1:9", "");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["run", "--date", "2026-13-45"], "--date"),
        (
            vec!["backfill", "--from", "2026-11-05", "--to", "2026-11-01"],
            "after --to",
        ),
        (vec!["backfill", "--from", "2026-11-01"], "--to"),
        (vec!["run", "--date", "2999-01-01"], "future"),
        (vec!["frobnicate"], "unrecognized subcommand"),
    ];
    for (args, expected) in cases {
        let output = with_credentials(dir.path(), &config, &args);
        let all = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {all}");
        assert!(
            all.contains(expected),
            "{args:?} should mention {expected:?}: {all}"
        );
    }
}

/// `aggregates_max_days` out of range, or above 1 with a query whose buckets could span
/// midnight (no granularity, or one that does not divide an hour): exit 2 before any request,
/// naming the key and the query file.
#[test]
fn aggregates_over_several_days_refuse_a_granularity_that_could_span_midnight() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("queries")).unwrap();
    let daily = dir.path().join("queries/daily_totals.json");
    let cases = [
        ("aggregates_max_days = 0\n", None, "out of range (1 to 31)"),
        ("aggregates_max_days = 32\n", None, "out of range (1 to 31)"),
        (
            "aggregates_max_days = 7\nqueries_dir = \"queries\"\n",
            Some(r#"{"granularity":"P1D","groupBy":["queueId"],"metrics":["nOffered"]}"#),
            "daily_totals.json (metrics) has \"P1D\"",
        ),
        (
            "aggregates_max_days = 7\nqueries_dir = \"queries\"\n",
            Some(r#"{"groupBy":["queueId"],"metrics":["nOffered"]}"#),
            "daily_totals.json (metrics) has none",
        ),
    ];
    for (extra, query, expected) in cases {
        if let Some(query) = query {
            std::fs::write(&daily, query).unwrap();
        }
        let config = write_config(dir.path(), "http://127.0.0.1:9", extra);
        let output = with_credentials(dir.path(), &config, &["check"]);
        let all = text(&output);
        assert_eq!(output.status.code(), Some(2), "{extra}: {all}");
        assert!(
            all.contains("aggregates_max_days") && all.contains(expected),
            "{extra} should mention {expected:?}: {all}"
        );
    }
    // The same query at one day a query is fine: `check` gets as far as the token (and fails
    // there, the server being closed: exit 3 or 4, not 2).
    let config = write_config(
        dir.path(),
        "http://127.0.0.1:9",
        "aggregates_max_days = 1\nqueries_dir = \"queries\"\n",
    );
    let output = with_credentials(dir.path(), &config, &["check"]);
    assert_ne!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        !text(&output).contains("aggregates_max_days"),
        "{}",
        text(&output)
    );
}

#[test]
fn configuration_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "http://127.0.0.1:9", "");
    let cfg = config.to_str().unwrap();
    // Missing credentials: the variable is named.
    let output = ccetl(dir.path())
        .args(["--config", cfg, "run"])
        .env_remove(SECRET_ENV)
        .env(ID_ENV, "id")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains(SECRET_ENV), "{}", text(&output));
    // No configuration file.
    let output = ccetl(dir.path())
        .args(["--config", "nope.toml", "run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("ccetl.example.toml"));
    // A secret written inline is refused without being echoed.
    let inline = dir.path().join("inline.toml");
    std::fs::write(&inline, "[genesys.x]\nregion = \"us_east_1\"\nclient_id = \"abc\"\nclient_secret = \"pasted-secret-123\"\n").unwrap();
    let output = ccetl(dir.path())
        .args(["--config", inline.to_str().unwrap(), "run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!text(&output).contains("pasted-secret-123"));
    // Plain http to a non-loopback host is refused.
    let remote = dir.path().join("remote.toml");
    std::fs::write(&remote, format!("[genesys.x]\nlogin_url = \"http://login.example.com\"\napi_url = \"http://api.example.com\"\nclient_id = \"abc\"\nclient_secret = {{ env = \"{SECRET_ENV}\" }}\n")).unwrap();
    let output = ccetl(dir.path())
        .args(["--config", remote.to_str().unwrap(), "run"])
        .env(SECRET_ENV, "x")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("https"), "{}", text(&output));
    // A typo in a key.
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "[pipeline]\nconcurency = 2\n").unwrap();
    let output = ccetl(dir.path())
        .args(["--config", typo.to_str().unwrap(), "run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("concurency"));
}

#[test]
fn schema_lists_the_declared_columns() {
    let dir = tempfile::tempdir().unwrap();
    let output = ccetl(dir.path())
        .args(["schema", "queue_intervals"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let out = String::from_utf8_lossy(&output.stdout);
    for c in ccetl::transform::Dataset::QueueIntervals.columns() {
        assert!(out.contains(c.name), "{}", c.name);
    }
}

#[test]
fn the_readme_documents_every_column() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for dataset in ccetl::transform::Dataset::ALL {
        let table = ccetl::sources::markdown_table(*dataset);
        assert!(
            readme.contains(&table),
            "README's {} table is out of date; paste `ccetl schema {} --markdown`",
            dataset.name(),
            dataset.name()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_come_from_dot_env_and_a_broken_one_is_not_echoed() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sim.base_url(), "");
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "{ID_ENV}={}\n{SECRET_ENV}={}\n",
            sim.config().client_id,
            sim.config().client_secret
        ),
    )
    .unwrap();
    let mut cmd = ccetl(dir.path());
    cmd.args(["--config", config.to_str().unwrap(), "check"])
        .env_remove(ID_ENV)
        .env_remove(SECRET_ENV);
    let output = blocking(cmd).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        text(&output).contains("token obtained"),
        "{}",
        text(&output)
    );

    std::fs::write(
        dir.path().join(".env"),
        "THIS LINE IS NOT VALID s3cret-in-a-broken-line\n",
    )
    .unwrap();
    let mut cmd = ccetl(dir.path());
    cmd.args(["--config", config.to_str().unwrap(), "check"]);
    let output = blocking(cmd).await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains(".env") && !text(&output).contains("s3cret"),
        "{}",
        text(&output)
    );
}

#[test]
fn an_output_url_of_an_unsupported_scheme_is_refused_with_exit_2_and_writes_nothing() {
    // Written as a path, `ftp://host/out` would be a local folder named `ftp:`, and a run that
    // lands there exits 0 while the warehouse sees nothing. (Object stores: tests/it/store.rs.)
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "http://127.0.0.1:9", "");
    let cfg = config.to_str().unwrap();
    let runs: [&[&str]; 4] = [
        &[
            "--config",
            cfg,
            "backfill",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-02",
            "--output",
            "ftp://host/out",
        ],
        &["--config", cfg, "run", "--output", "hdfs://namenode/out"],
        &["--config", cfg, "status", "--output", "sftp://host/out"],
        &["demo", "--output", "ftp://host/demo"],
    ];
    for args in runs {
        let output = ccetl(dir.path())
            .args(args)
            .env(ID_ENV, "id")
            .env(SECRET_ENV, "secret")
            .output()
            .unwrap();
        let all = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {all}");
        assert!(
            all.contains("--output") && all.contains("not supported") && all.contains("s3://"),
            "{args:?}: {all}"
        );
    }
    // The demo writes to a local folder only, and says so of a store URL.
    let output = ccetl(dir.path())
        .args(["demo", "--output", "s3://bucket/demo"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("local folder only"),
        "{}",
        text(&output)
    );
    // The same URL in the configuration file names its key.
    let in_file = dir.path().join("in-file.toml");
    let text_of_config = std::fs::read_to_string(&config).unwrap().replacen(
        &format!("dir = \"{}\"", dir.path().join("out").display()),
        "dir = \"ftp://bucket/out\"",
        1,
    );
    assert!(text_of_config.contains("ftp://bucket/out"));
    std::fs::write(&in_file, text_of_config).unwrap();
    let output = ccetl(dir.path())
        .args(["--config", in_file.to_str().unwrap(), "run"])
        .env(ID_ENV, "id")
        .env(SECRET_ENV, "secret")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("output.dir"), "{}", text(&output));
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        entries
            .iter()
            .all(|e| !e.ends_with(':') && e != "out" && e != "demo-output"),
        "{entries:?}"
    );
}

#[test]
fn a_reader_that_stops_early_is_not_a_crash() {
    // `ccetl status | head`: the reader closes the pipe while ccetl still writes. `println!`
    // panicked there (exit 101 and a backtrace); the command keeps its own exit status instead
    // (1: the empty output has gaps).
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "http://127.0.0.1:9", "");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ccetl"))
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .env_remove("CCETL_CONFIG")
        .env_remove("CCETL_OUTPUT")
        .env(KEY_ENV, "cli-test-pseudonymisation-key")
        .env(ID_ENV, "id")
        .env(SECRET_ENV, "secret")
        // Sixteen years of days as JSON: far more than a pipe holds, so the write after the
        // reader has gone must fail.
        .args([
            "--config",
            config.to_str().unwrap(),
            "status",
            "--format",
            "json",
        ])
        .args(["--from", "2010-01-01", "--to", "2025-12-31"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // The read end is dropped here: the pipe is closed.
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(String::from_utf8_lossy(&head).contains('{'));
}
