//! Every (source, tenant) at once and apart: one tenant's refused credentials, hostile numbers or
//! panic fail that tenant's (or that slice's) work only, each failure counted and named, and every
//! other tenant completes.

use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use assert_cmd::Command;
use ccetl::pipeline::{self, FailureKind, NoProgress};
use ccetl::plan::{Plan, SourcePlan};
use ccetl::sim::{Fault, FaultKind, SimConfig, Simulator};
use ccetl::sources::{
    BoxFuture, RequestPrint, RowSender, SliceReport, SliceRequest, Source, SourceError,
    SourceSettings, SourceStats,
};
use ccetl::transform::{Dataset, QueueIntervalRow};
use chrono::NaiveDate;
use chrono_tz::Tz;

use super::util::*;

const KEY_ENV: &str = "CCETL_TEST_SOURCES_PSEUDONYMIZE_KEY";

fn ccetl(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ccetl").unwrap();
    cmd.current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("CCETL_CONFIG")
        .env_remove("CCETL_OUTPUT")
        .env_remove("CCETL_LOG_FORMAT")
        .env(KEY_ENV, "sources-test-pseudonymisation-key");
    cmd
}

async fn blocking(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Two Genesys orgs and one CXone tenant on the simulator; `beta`'s secret is `beta_secret_env`.
fn three_tenants(dir: &Path, sim: &Simulator) -> std::path::PathBuf {
    let url = sim.base_url();
    let path = dir.join("ccetl.toml");
    let text = format!(
        r#"[output]
dir = "{out}"

[privacy]
pseudonymize_key = {{ env = "{KEY_ENV}" }}

[genesys.alpha]
login_url = "{url}"
api_url = "{url}"
client_id = {{ env = "T_GENESYS_ID" }}
client_secret = {{ env = "T_GENESYS_SECRET" }}
datasets = ["queue_intervals", "contacts"]
requests_per_minute = 6000
burst = 50

[genesys.beta]
login_url = "{url}"
api_url = "{url}"
client_id = {{ env = "T_GENESYS_ID" }}
client_secret = {{ env = "T_BETA_SECRET" }}
datasets = ["queue_intervals", "contacts"]
requests_per_minute = 6000
burst = 50

[cxone.gamma]
discovery_url = "{url}"
client_id = {{ env = "T_GENESYS_ID" }}
client_secret = {{ env = "T_GENESYS_SECRET" }}
access_key_id = {{ env = "T_CXONE_KEY_ID" }}
access_key_secret = {{ env = "T_CXONE_KEY_SECRET" }}
datasets = ["queue_intervals", "contacts"]
requests_per_minute = 6000
burst = 50
"#,
        out = dir.join("out").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn with_credentials(cmd: &mut Command, sim: &Simulator) {
    cmd.env("T_GENESYS_ID", &sim.config().client_id)
        .env("T_GENESYS_SECRET", &sim.config().client_secret)
        .env("T_BETA_SECRET", "not-the-secret")
        .env("T_CXONE_KEY_ID", &sim.config().cxone_access_key_id)
        .env("T_CXONE_KEY_SECRET", &sim.config().cxone_access_key_secret);
}

fn partition(out: &Path, dataset: &str, vendor: &str, tenant: &str, day: NaiveDate) -> bool {
    out.join(dataset)
        .join(format!("source={vendor}"))
        .join(format!("tenant={tenant}"))
        .join(format!("date={day}"))
        .join("_SUCCESS")
        .exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_tenants_refused_secret_fails_only_its_slices() {
    let sim = Simulator::start(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = three_tenants(dir.path(), &sim);
    let days = dates("2026-11-02", "2026-11-03");
    for format in ["json", "text"] {
        let mut cmd = ccetl(dir.path());
        cmd.args([
            "--log-format",
            format,
            "--config",
            config.to_str().unwrap(),
            "backfill",
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-03",
        ]);
        with_credentials(&mut cmd, &sim);
        let output = blocking(cmd).await;
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
        let out = dir.path().join("out");
        for day in &days {
            for dataset in ["queue_intervals", "contacts"] {
                assert!(partition(&out, dataset, "genesys", "alpha", *day));
                assert!(partition(&out, dataset, "cxone", "gamma", *day));
                assert!(!partition(&out, dataset, "genesys", "beta", *day));
            }
        }
        assert!(
            !out.join("queue_intervals/source=genesys/tenant=beta")
                .exists()
        );
        if format == "json" {
            let summary: serde_json::Value =
                serde_json::from_str(stdout.lines().last().expect("a summary line"))
                    .expect("the summary is JSON");
            assert_eq!(summary["written"], 8, "{summary}");
            assert_eq!(summary["failed"].as_array().unwrap().len(), 4, "{summary}");
            for f in summary["failed"].as_array().unwrap() {
                assert_eq!(
                    (&f["source"], &f["tenant"]),
                    (&"genesys".into(), &"beta".into())
                );
                assert_eq!(f["kind"], "auth", "{f}");
            }
            let sources = summary["sources"].as_array().unwrap();
            let by_tenant = |t: &str| {
                sources
                    .iter()
                    .find(|s| s["tenant"] == t)
                    .unwrap_or_else(|| panic!("{t} in {summary}"))
                    .clone()
            };
            assert_eq!(
                (
                    by_tenant("alpha")["written"].clone(),
                    by_tenant("alpha")["failed"].clone()
                ),
                (4.into(), 0.into())
            );
            assert_eq!(
                (
                    by_tenant("gamma")["written"].clone(),
                    by_tenant("gamma")["failed"].clone()
                ),
                (4.into(), 0.into())
            );
            assert_eq!(by_tenant("beta")["failed"], 4);
            assert!(
                by_tenant("beta")["auth_error"]
                    .as_str()
                    .unwrap()
                    .contains("refused")
            );
        } else {
            assert!(
                stdout.contains("8 slices written, 0 skipped, 4 failed (genesys.beta 4)"),
                "{stdout}"
            );
            for day in &days {
                assert!(
                    stderr.contains(&format!("failed: genesys beta contacts {day}")),
                    "{stderr}"
                );
            }
            assert!(!stderr.contains("not-the-secret"), "{stderr}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_cxone_numbers_fail_that_slice_and_the_rest_lands() {
    let sim = Simulator::start(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    // The first completed-contacts page: a duration chrono cannot add, and other hostile values.
    let hostile = r#"{"totalRecords": 3, "completedContacts": [
        {"contactId": "1", "contactStartDate": "2026-11-02T10:00:00Z", "totalDurationSeconds": 1e300},
        {"contactId": "2", "contactStartDate": "2026-11-02T10:00:00Z", "totalDurationSeconds": "NaN", "agentSeconds": "inf"},
        {"contactId": "3", "contactStartDate": "2026-11-02T10:00:00Z", "transferIndicatorId": 1e300, "holdSeconds": -4}
    ]}"#;
    sim.inject(Fault {
        path: "/inContactAPI/services/v31.0/contacts/completed".into(),
        kind: FaultKind::Body {
            body: hostile.into(),
        },
        count: 1,
    });
    let dir = tempfile::tempdir().unwrap();
    let config = three_tenants(dir.path(), &sim);
    let mut cmd = ccetl(dir.path());
    cmd.args([
        "--config",
        config.to_str().unwrap(),
        "backfill",
        "--from",
        "2026-11-02",
        "--to",
        "2026-11-03",
        "--tenant",
        "gamma",
        "--concurrency",
        "1",
    ]);
    with_credentials(&mut cmd, &sim);
    let output = blocking(cmd).await;
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("3 slices written, 0 skipped, 1 failed (cxone.gamma 1)"),
        "the summary is printed: {stdout}{stderr}"
    );
    assert!(
        stderr.contains("failed: cxone gamma contacts 2026-11-02: malformed totalDurationSeconds"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let out = dir.path().join("out");
    let day = |d: &str| date(d);
    assert!(!partition(
        &out,
        "contacts",
        "cxone",
        "gamma",
        day("2026-11-02")
    ));
    assert!(partition(
        &out,
        "contacts",
        "cxone",
        "gamma",
        day("2026-11-03")
    ));
    assert!(partition(
        &out,
        "queue_intervals",
        "cxone",
        "gamma",
        day("2026-11-02")
    ));
    assert!(partition(
        &out,
        "queue_intervals",
        "cxone",
        "gamma",
        day("2026-11-03")
    ));
}

/// A source whose slice for `panic_on` panics, and whose other slices write one row.
struct Brittle {
    panic_on: NaiveDate,
    panic_in_connect: bool,
}

impl SourceSettings for Brittle {
    fn vendor(&self) -> &'static str {
        "brittle"
    }

    fn request(&self, dataset: Dataset) -> RequestPrint {
        RequestPrint {
            name: dataset.name().into(),
            fingerprint: "0".into(),
        }
    }

    fn settle_margin(&self) -> std::time::Duration {
        std::time::Duration::from_secs(3600)
    }

    fn requests_per_minute(&self) -> u32 {
        60
    }

    fn estimate_requests(&self, _: Dataset) -> u64 {
        0
    }

    fn connect(&self) -> BoxFuture<'_, Result<Arc<dyn Source>, SourceError>> {
        Box::pin(async move {
            assert!(!self.panic_in_connect, "a bug while connecting");
            let source: Arc<dyn Source> = Arc::new(Brittle {
                panic_on: self.panic_on,
                panic_in_connect: false,
            });
            Ok(source)
        })
    }
}

impl Source for Brittle {
    fn check(&self) -> BoxFuture<'_, Result<String, ccetl::auth::AuthError>> {
        Box::pin(async { Ok("nowhere".to_string()) })
    }

    fn fetch<'a>(
        &'a self,
        slice: &'a SliceRequest,
        rows: RowSender,
    ) -> BoxFuture<'a, Result<SliceReport, SourceError>> {
        Box::pin(async move {
            assert_ne!(slice.date, self.panic_on, "a bug on this day's data");
            rows.send(vec![QueueIntervalRow {
                interval_start: slice.start,
                interval_end: slice.end,
                offered: Some(1),
                ..Default::default()
            }])
            .await?;
            Ok(SliceReport::default())
        })
    }

    fn stats(&self) -> SourceStats {
        SourceStats::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_fails_its_slice_or_its_source_and_the_run_goes_on() {
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-01", "2026-11-03");
    let source = |tenant: &str, panic_on: &str, panic_in_connect: bool| {
        SourcePlan::new(
            tenant,
            Brittle {
                panic_on: date(panic_on),
                panic_in_connect,
            },
            Tz::UTC,
            vec![Dataset::QueueIntervals],
            days.clone(),
        )
    };
    let plan = Plan::new(
        vec![
            source("slices", "2026-11-02", false),
            source("connect", "2026-11-02", true),
        ],
        out.path(),
    );
    let summary = pipeline::run(plan, &NoProgress).await.expect("a summary");
    assert_eq!(summary.written, 2, "{summary:?}");
    let failed: Vec<(&str, String, FailureKind)> = summary
        .failed
        .iter()
        .map(|f| (f.tenant.as_str(), f.date.to_string(), f.kind))
        .collect();
    assert_eq!(
        failed,
        vec![
            ("connect", "2026-11-01".to_string(), FailureKind::Internal),
            ("connect", "2026-11-02".to_string(), FailureKind::Internal),
            ("connect", "2026-11-03".to_string(), FailureKind::Internal),
            ("slices", "2026-11-02".to_string(), FailureKind::Internal),
        ]
    );
    assert!(
        summary.failed[3].error.contains("a bug on this day's data"),
        "{:?}",
        summary.failed[3]
    );
    assert_eq!(summary.exit_status(), ccetl::ExitStatus::SlicesFailed);
    for day in ["2026-11-01", "2026-11-03"] {
        assert!(partition(
            out.path(),
            "queue_intervals",
            "brittle",
            "slices",
            date(day)
        ));
    }
    assert!(!partition(
        out.path(),
        "queue_intervals",
        "brittle",
        "slices",
        date("2026-11-02")
    ));
}
