//! A nightly job you can leave alone: provisional partitions fetched again, torn files noticed,
//! one writer per output, missed nights caught up, the retry budget kept, clean stops, kills that
//! lose nothing, and faults of every kind that change nothing in what lands.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use ccetl::plan::{Plan, SourcePlan, WriteMode};
use ccetl::sim::{Fault, FaultKind, JobOutcome, SimConfig, Simulator};
use ccetl::sink::{Manifest, PartitionKey, PartitionWriter};
use ccetl::transform::Dataset;
use chrono::{Days, NaiveDate, Utc};
use chrono_tz::Tz;

use super::util::*;

const AGGREGATES: &str = "/api/v2/analytics/conversations/aggregates/query";

fn manifest(
    out: &Path,
    dataset: Dataset,
    source: &'static str,
    tenant: &str,
    date: NaiveDate,
) -> Option<Manifest> {
    PartitionWriter::new(out).manifest(&PartitionKey {
        dataset,
        source,
        tenant: tenant.into(),
        date,
    })
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn ago(days: u64) -> NaiveDate {
    today() - Days::new(days)
}

/// Every file left under `_ccetl/tmp` (there should be none once a run is over).
fn temp_files(out: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.path().is_dir() {
                    walk(&e.path(), found);
                } else {
                    found.push(e.path());
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(&out.join("_ccetl/tmp"), &mut found);
    found
}

/// Every partition folder under the datasets: each must hold its data file and `_SUCCESS`, and
/// have its manifest.
fn assert_every_partition_complete(out: &Path) -> usize {
    let mut partitions = 0;
    for dataset in ["queue_intervals", "agent_intervals", "contacts", "metrics"] {
        let Ok(sources) = std::fs::read_dir(out.join(dataset)) else {
            continue;
        };
        for source in sources.flatten() {
            for tenant in std::fs::read_dir(source.path()).unwrap().flatten() {
                for date in std::fs::read_dir(tenant.path()).unwrap().flatten() {
                    let dir = date.path();
                    let mut names: Vec<String> = std::fs::read_dir(&dir)
                        .unwrap()
                        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                        .collect();
                    names.sort();
                    assert_eq!(
                        names,
                        ["_SUCCESS", "part-00000.zstd.parquet"],
                        "{}",
                        dir.display()
                    );
                    partitions += 1;
                }
            }
        }
    }
    partitions
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn todays_partition_is_provisional_and_resume_fetches_it_again() {
    let sim = sim(SimConfig::default()).await;
    let out = tempfile::tempdir().unwrap();
    let days = vec![ago(3), today()];
    let first = run(plan(
        &sim,
        out.path(),
        days.clone(),
        Tz::UTC,
        fast_http(),
        2,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!((first.written, first.provisional), (2, 1), "{first:?}");
    let done = manifest(
        out.path(),
        Dataset::QueueIntervals,
        "genesys",
        "test",
        ago(3),
    )
    .unwrap();
    assert!(done.is_final, "{done:?}");
    let partial = manifest(
        out.path(),
        Dataset::QueueIntervals,
        "genesys",
        "test",
        today(),
    )
    .unwrap();
    assert!(!partial.is_final);
    assert!(
        partial
            .provisional_reasons
            .iter()
            .any(|r| r.contains("settled")),
        "{:?}",
        partial.provisional_reasons
    );
    let again = run(plan(
        &sim,
        out.path(),
        days,
        Tz::UTC,
        fast_http(),
        2,
        WriteMode::Resume,
    ))
    .await;
    assert_eq!(
        (again.written, again.skipped, again.provisional),
        (1, 1, 1),
        "today is fetched again, the finished day skipped: {again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_file_under_a_valid_manifest_is_fetched_again() {
    let sim = sim(SimConfig::default()).await;
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-10", "2026-11-11");
    let plan_of = |mode| {
        plan(
            &sim,
            out.path(),
            days.clone(),
            Tz::UTC,
            fast_http(),
            2,
            mode,
        )
    };
    assert_eq!(run(plan_of(WriteMode::Replace)).await.written, 2);
    let part = partition_dir(out.path(), "test", days[0]).join("part-00000.zstd.parquet");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&part)
        .unwrap()
        .set_len(1000)
        .unwrap();
    let again = run(plan_of(WriteMode::Resume)).await;
    assert_eq!((again.written, again.skipped), (1, 1), "{again:?}");
    assert_tables_equal(
        &read_queue_intervals(out.path(), "test", &days),
        &truth(sim.generator(), &days, Tz::UTC),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_beyond_the_remaining_budget_fails_fast() {
    let sim = sim(SimConfig::default()).await;
    sim.inject(Fault {
        path: AGGREGATES.into(),
        kind: FaultKind::Status {
            status: 429,
            retry_after: Some("60".into()),
            message: None,
        },
        count: 1,
    });
    let out = tempfile::tempdir().unwrap();
    let mut http = fast_http();
    http.max_retry_elapsed = Duration::from_secs(5);
    let summary = run(plan(
        &sim,
        out.path(),
        dates("2026-11-10", "2026-11-10"),
        Tz::UTC,
        http,
        1,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(summary.failed.len(), 1, "{summary:?}");
    assert!(
        summary.failed[0].error.contains("retry budget"),
        "{}",
        summary.failed[0].error
    );
    let asked = sim
        .requests()
        .iter()
        .filter(|r| r.path == AGGREGATES)
        .count();
    assert_eq!(
        asked, 1,
        "no second attempt after a wait that would cross the budget"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_cool_down_beyond_the_budget_fails_fast_too() {
    // The first slice's 429 sets a cool-down of a minute; the next slice's request would wait it
    // out past its own budget, so it is not sent either.
    let sim = sim(SimConfig::default()).await;
    sim.inject(Fault {
        path: AGGREGATES.into(),
        kind: FaultKind::Status {
            status: 429,
            retry_after: Some("60".into()),
            message: None,
        },
        count: 1,
    });
    let out = tempfile::tempdir().unwrap();
    let mut http = fast_http();
    http.max_retry_elapsed = Duration::from_secs(5);
    let summary = run(plan(
        &sim,
        out.path(),
        dates("2026-11-10", "2026-11-11"),
        Tz::UTC,
        http,
        1,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(summary.failed.len(), 2, "{summary:?}");
    for f in &summary.failed {
        assert!(f.error.contains("retry budget"), "{}", f.error);
    }
    let asked = sim
        .requests()
        .iter()
        .filter(|r| r.path == AGGREGATES)
        .count();
    assert_eq!(
        asked, 1,
        "the second request was never sent into the cool-down"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_stop_no_slice_starts_even_one_waiting_for_a_slot() {
    let sim = sim(SimConfig::default()).await;
    sim.inject(Fault {
        path: AGGREGATES.into(),
        kind: FaultKind::Delay { ms: 600 },
        count: 100,
    });
    let out = tempfile::tempdir().unwrap();
    let mut plan = plan(
        &sim,
        out.path(),
        dates("2026-11-10", "2026-11-15"),
        Tz::UTC,
        fast_http(),
        4,
        WriteMode::Replace,
    );
    plan.max_slices_in_flight = 1;
    let stop = ccetl::pipeline::StopHandle::new();
    // Stopped once the first slice is surely in flight: its token fetched (a loaded machine may
    // take a while to connect), then well inside its request's 600 ms delay.
    let pull = async {
        while !sim.requests().iter().any(|r| r.path == "/oauth/token") {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        stop.stop("SIGTERM");
    };
    let (summary, ()) = tokio::join!(
        ccetl::pipeline::run_until(plan, &ccetl::pipeline::NoProgress, &stop),
        pull
    );
    let summary = summary.unwrap();
    assert_eq!(
        (summary.written, summary.failed.len()),
        (1, 5),
        "only the slice in flight commits: {summary:?}"
    );
    for f in &summary.failed {
        assert!(f.error.starts_with("not fetched: SIGTERM"), "{}", f.error);
    }
    assert_eq!(summary.exit_status(), ccetl::ExitStatus::Terminated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_same_output_exits_with_the_lock_code() {
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    // Every Genesys request takes a while, so the first run is still going when the second starts.
    sim.inject(Fault {
        path: "/api/v2/analytics".into(),
        kind: FaultKind::Delay { ms: 1200 },
        count: 10_000,
    });
    let setup = Setup::new(&sim, "");
    let (from, to) = (ago(14).to_string(), ago(7).to_string());
    let args = [
        "backfill",
        "--from",
        from.as_str(),
        "--to",
        to.as_str(),
        "--dataset",
        "queue_intervals",
    ];
    let first = setup.spawn(&args);
    let lock = setup.out().join("_ccetl/locks/genesys.demo");
    let started = Instant::now();
    while std::fs::read_to_string(&lock).map_or(true, |t| t.is_empty()) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the first run never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = setup.run(&args).await;
    assert_eq!(second.status.code(), Some(5), "{}", text(&second));
    let message = text(&second);
    assert!(
        message.contains("another ccetl run is writing")
            && message.contains(&format!("pid {}", first.id())),
        "{message}"
    );
    let first = wait_for(first).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert_eq!(assert_every_partition_complete(&setup.out()), 16);
    assert!(temp_files(&setup.out()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_catches_up_missed_nights_within_its_bound() {
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    for (extra, caught_up) in [("", 5u64), ("[pipeline]\nmax_catchup_days = 3\n", 3)] {
        let setup = Setup::new(&sim, extra);
        // Nights until six days ago ran; the last five did not.
        let (from, to) = (ago(10).to_string(), ago(6).to_string());
        let backfill = setup
            .run(&[
                "backfill",
                "--from",
                &from,
                "--to",
                &to,
                "--dataset",
                "queue_intervals",
            ])
            .await;
        assert_eq!(backfill.status.code(), Some(0), "{}", text(&backfill));
        let run = setup.run(&["run", "--dataset", "queue_intervals"]).await;
        let all = text(&run);
        assert_eq!(run.status.code(), Some(0), "{all}");
        assert!(
            all.contains(&format!("ccetl: {} slices written", caught_up * 2)),
            "{all}"
        );
        for back in 1..=5u64 {
            for source in ["genesys", "cxone"] {
                let landed = manifest(
                    &setup.out(),
                    Dataset::QueueIntervals,
                    source,
                    "demo",
                    ago(back),
                );
                assert_eq!(
                    landed.is_some(),
                    back <= caught_up,
                    "{source} {} ({extra:?})",
                    ago(back)
                );
            }
        }
        if caught_up == 3 {
            let command = format!(
                "ccetl backfill --from {} --to {} --resume --tenant demo --dataset queue_intervals",
                ago(5),
                ago(4)
            );
            assert!(
                all.contains(&command),
                "the warning names the backfill to run: {all}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_backfill_leaves_only_complete_partitions_and_prints_the_summary() {
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    sim.inject(Fault {
        path: "/api/v2/analytics".into(),
        kind: FaultKind::Delay { ms: 700 },
        count: 10_000,
    });
    let setup = Setup::new(&sim, "[pipeline]\nconcurrency = 2\nstop_grace_secs = 2\n");
    let (from, to) = (ago(30).to_string(), ago(11).to_string());
    let child = setup.spawn(&[
        "backfill",
        "--from",
        &from,
        "--to",
        &to,
        "--dataset",
        "queue_intervals",
    ]);
    let genesys = setup
        .out()
        .join("queue_intervals/source=genesys/tenant=demo");
    let started = Instant::now();
    while std::fs::read_dir(&genesys).map_or(0, |d| d.count()) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing was written"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = wait_for(child).await;
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert_eq!(output.status.code(), Some(143), "{}", text(&output));
    assert!(stdout.contains("stopped by SIGTERM"), "{stdout}");
    let written = assert_every_partition_complete(&setup.out());
    assert!((2..40).contains(&written), "{written} partitions: {stdout}");
    assert!(
        temp_files(&setup.out()).is_empty(),
        "{:?}",
        temp_files(&setup.out())
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not fetched: SIGTERM"),
        "the slices not run are named: {}",
        text(&output)
    );
}

/// A small deterministic generator for the kill moments (seeded, printed on failure).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_and_resume_lands_what_an_uninterrupted_run_lands() {
    let seed: u64 = std::env::var("CCETL_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(7)
        });
    let sim = sim(SimConfig {
        seed: 11,
        rate_limit: 100_000,
        job_ready_after: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await;
    let clean = Setup::new(&sim, "");
    let killed = Setup::new(&sim, "");
    let args = [
        "backfill",
        "--from",
        "2026-11-08",
        "--to",
        "2026-11-10",
        "--resume",
    ];
    let started = Instant::now();
    let reference = clean.run(&args).await;
    assert_eq!(reference.status.code(), Some(0), "{}", text(&reference));
    let length = started.elapsed().as_millis() as u64;
    let mut rng = Lcg(seed);
    let mut moments = Vec::new();
    for _ in 0..5 {
        // Between 3% and 15% of an uninterrupted run: five kills leave the last run work to do.
        let at = length * 3 / 100 + rng.next() % (length.max(100) * 12 / 100);
        moments.push(at);
        let mut child = killed.spawn(&args);
        tokio::time::sleep(Duration::from_millis(at)).await;
        let _ = child.kill();
        let _ = wait_for(child).await;
    }
    let last = killed.run(&args).await;
    let context = format!("seed {seed} (CCETL_KILL_SEED), kills at {moments:?} ms");
    assert_eq!(last.status.code(), Some(0), "{context}: {}", text(&last));
    assert!(
        !String::from_utf8_lossy(&last.stdout).contains("ccetl: 0 slices written"),
        "the kills left work for the last run ({context}): {}",
        text(&last)
    );
    assert_same_rows(&killed.out(), &clean.out(), &context);
    assert_eq!(
        assert_every_partition_complete(&killed.out()),
        assert_every_partition_complete(&clean.out()),
        "{context}"
    );
    assert!(temp_files(&killed.out()).is_empty(), "{context}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_every_fault_a_backfill_lands_exactly_the_truth() {
    let config = SimConfig {
        seed: 13,
        rate_limit: 100_000,
        // Tokens expire early and often (renewed a fifth of their life before), without being so
        // short that a loaded machine sees them expire between renewal and use.
        token_ttl: Duration::from_secs(10),
        job_ready_after: Duration::from_millis(200),
        ..SimConfig::default()
    };
    let faulty = sim(config.clone()).await;
    let calm = sim(config).await;
    let days = dates("2026-11-01", "2026-11-07");
    let in_two_seconds =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
    let status = |status: u16, retry_after: Option<&str>| FaultKind::Status {
        status,
        retry_after: retry_after.map(str::to_string),
        message: Some("injected".into()),
    };
    let cx = "/inContactAPI/services/v31.0";
    const QUERY: &str = "/api/v2/analytics/conversations/details/query";
    const JOBS: &str = "/api/v2/analytics/conversations/details/jobs";
    let faults: Vec<(String, FaultKind, u32)> = vec![
        (AGGREGATES.into(), status(429, Some("1")), 1),
        (AGGREGATES.into(), status(429, Some("0.5")), 1),
        (AGGREGATES.into(), status(429, Some(&in_two_seconds)), 1),
        (AGGREGATES.into(), status(429, None), 1),
        // The details faults are split between the query and the job paths so
        // that no single request can meet more of them in a row than its
        // retry budget (7 attempts): eight in a row on one path is an outage,
        // and ccetl rightly fails that slice.
        (QUERY.into(), status(500, None), 1),
        (JOBS.into(), status(502, None), 1),
        (QUERY.into(), status(503, None), 1),
        (JOBS.into(), status(504, None), 1),
        (QUERY.into(), FaultKind::ResetMidBody, 1),
        (JOBS.into(), FaultKind::ResetMidBody, 1),
        (JOBS.into(), FaultKind::MalformedJson, 1),
        (QUERY.into(), FaultKind::Delay { ms: 6000 }, 1),
        ("/api/v2/analytics/users".into(), FaultKind::ExpireTokens, 1),
        (format!("{cx}/skills/summary"), status(429, Some("1")), 1),
        (format!("{cx}/skills/summary"), status(503, None), 1),
        (format!("{cx}/skills/summary"), FaultKind::ResetMidBody, 1),
        (
            format!("{cx}/agents/performance"),
            FaultKind::MalformedJson,
            1,
        ),
        (
            format!("{cx}/agents/performance"),
            FaultKind::ExpireTokens,
            1,
        ),
        (format!("{cx}/contacts/completed"), status(502, None), 1),
        (
            format!("{cx}/contacts/completed"),
            FaultKind::Delay { ms: 6000 },
            1,
        ),
        (
            format!("{cx}/contacts/completed"),
            FaultKind::ResetMidBody,
            1,
        ),
    ];
    for (path, kind, count) in faults {
        faulty.inject(Fault { path, kind, count });
    }
    faulty.inject_job_fault(JobOutcome::Fail, 1);
    faulty.inject_job_fault(JobOutcome::Expire, 1);
    let backfill = |sim: &Simulator, out: &Path| {
        let mut http = fast_http();
        http.request_timeout = Duration::from_secs(3);
        let mut genesys = settings(sim, http.clone());
        // The older days through async jobs, the newer ones through the query.
        genesys.details.jobs_after_days =
            u32::try_from((today() - date("2026-11-04")).num_days()).unwrap_or(0);
        let mut cxone = cxone_settings(sim, "v31.0");
        cxone.http = http;
        Plan {
            concurrency: 3,
            privacy: pseudonymizer(),
            ..Plan::new(
                vec![
                    SourcePlan::new(
                        "test",
                        genesys,
                        Tz::UTC,
                        Dataset::ALL.to_vec(),
                        days.clone(),
                    ),
                    SourcePlan::new(
                        "test",
                        cxone,
                        Tz::UTC,
                        vec![
                            Dataset::QueueIntervals,
                            Dataset::AgentIntervals,
                            Dataset::Contacts,
                        ],
                        days.clone(),
                    ),
                ],
                out,
            )
        }
    };
    let (faulty_out, calm_out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let under_faults = run(backfill(&faulty, faulty_out.path())).await;
    let without = run(backfill(&calm, calm_out.path())).await;
    assert_eq!(
        // 7 days × 9 fact datasets, and the 7 Genesys lists once (today's snapshots).
        (under_faults.written, under_faults.failed.len()),
        (70, 0),
        "{under_faults:?}"
    );
    assert_eq!(without.written, 70, "{without:?}");
    assert!(
        under_faults.retries >= 15 && under_faults.throttled >= 5,
        "the faults fired: {under_faults:?}"
    );
    assert_eq!(
        faulty.stats().faults_fired,
        21,
        "every fault fired: {:?}",
        faulty.stats()
    );
    // Number by number: the same rows as without faults, and the queue intervals the generator's.
    assert_same_rows(faulty_out.path(), calm_out.path(), "faults vs none");
    assert_tables_equal(
        &read_queue_intervals(faulty_out.path(), "test", &days),
        &truth(faulty.generator(), &days, Tz::UTC),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_dropped_silently() {
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    // An agent group without userId: counted in the manifest and the summary.
    sim.inject(Fault {
        path: "/api/v2/analytics/users/aggregates/query".into(),
        kind: FaultKind::Body {
            body: r#"{"results": [{"group": {"mediaType": "voice"}, "data": []}]}"#.into(),
        },
        count: 1,
    });
    let out = tempfile::tempdir().unwrap();
    let day = date("2026-11-10");
    let summary = run(plan_for(
        settings(&sim, fast_http()),
        out.path(),
        vec![day],
        Tz::UTC,
        1,
        WriteMode::Replace,
        vec![Dataset::AgentIntervals],
    ))
    .await;
    assert_eq!(summary.written, 1, "{summary:?}");
    assert_eq!(
        summary.skipped_records.get("group_without_user_id"),
        Some(&1)
    );
    let m = manifest(out.path(), Dataset::AgentIntervals, "genesys", "test", day).unwrap();
    assert_eq!(
        m.skipped_records.get("group_without_user_id"),
        Some(&1),
        "{m:?}"
    );

    // A details page without totalHits, and a CXone answer without its list: errors, not 0 rows.
    sim.inject(Fault {
        path: "/api/v2/analytics/conversations/details/query".into(),
        kind: FaultKind::Body {
            body: r#"{"conversations": []}"#.into(),
        },
        count: 1,
    });
    sim.inject(Fault {
        path: "/inContactAPI/services/v31.0/skills/summary".into(),
        kind: FaultKind::Body {
            body: r#"{"businessUnitId": 1}"#.into(),
        },
        count: 1,
    });
    let mut genesys = settings(&sim, fast_http());
    genesys.details.jobs_after_days = 100_000;
    let out = tempfile::tempdir().unwrap();
    let summary = run(Plan {
        concurrency: 1,
        privacy: pseudonymizer(),
        ..Plan::new(
            vec![
                SourcePlan::new("test", genesys, Tz::UTC, vec![Dataset::Contacts], vec![day]),
                SourcePlan::new(
                    "test",
                    cxone_settings(&sim, "v31.0"),
                    Tz::UTC,
                    vec![Dataset::QueueIntervals],
                    vec![day],
                ),
            ],
            out.path(),
        )
    })
    .await;
    let errors: Vec<&str> = summary.failed.iter().map(|f| f.error.as_str()).collect();
    assert_eq!(errors.len(), 2, "{summary:?}");
    assert!(
        errors.iter().any(|e| e.contains("without totalHits")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("no `skillSummaries`")),
        "{errors:?}"
    );
    assert!(manifest(out.path(), Dataset::Contacts, "genesys", "test", day).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relative_paths_and_dot_env_resolve_against_the_config_folder() {
    let sim = sim(SimConfig::default()).await;
    let setup = Setup::new(&sim, "");
    // The output relative to the configuration file, the key in a file beside it, and the
    // credentials in .env beside it; the job starts elsewhere, as cron does.
    let original = std::fs::read_to_string(&setup.config).unwrap();
    let edited: String = original
        .lines()
        .map(|l| {
            if l.starts_with("dir = ") {
                "dir = \"relative-out\"".to_string()
            } else if l.starts_with("pseudonymize_key") {
                "pseudonymize_key = { file = \"key.txt\" }".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&setup.config, edited).unwrap();
    std::fs::write(
        setup.dir.path().join("key.txt"),
        "a-long-key-in-a-file-beside-the-config\n",
    )
    .unwrap();
    let dot_env: String = setup
        .env
        .iter()
        .filter(|(k, _)| k != "CCETL_SIM_PSEUDONYMIZE_KEY")
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect();
    std::fs::write(setup.dir.path().join(".env"), dot_env).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::cargo_bin("ccetl").unwrap();
    cmd.current_dir(elsewhere.path())
        .env_remove("RUST_LOG")
        .env_remove("CCETL_CONFIG")
        .env_remove("CCETL_OUTPUT")
        .args(["--config"])
        .arg(&setup.config)
        .args([
            "backfill",
            "--from",
            "2026-11-10",
            "--to",
            "2026-11-10",
            "--dataset",
            "contacts",
        ]);
    for (k, _) in &setup.env {
        cmd.env_remove(k);
    }
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        setup
            .dir
            .path()
            .join("relative-out/contacts/source=genesys/tenant=demo/date=2026-11-10/_SUCCESS")
            .exists()
    );
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}
