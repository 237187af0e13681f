//! A backfill of old days fetches several days per async job (`details_job_max_days`), and still
//! lands every day in its own partition, exactly as one job per day would.

use ccetl::sim::SimConfig;
use ccetl::sink::{Manifest, PartitionKey, PartitionWriter};
use ccetl::transform::Dataset;

use super::util::*;

/// A setup whose Genesys org fetches `max_days` days per job (days older than 2 use jobs).
fn with_max_days(sim: &ccetl::sim::Simulator, max_days: u32) -> Setup {
    let setup = Setup::new(sim, "");
    let text = std::fs::read_to_string(&setup.config).unwrap();
    let edited = text.replacen(
        "details_jobs_after_days = 2",
        &format!("details_jobs_after_days = 2\ndetails_job_max_days = {max_days}"),
        1,
    );
    assert_ne!(edited, text);
    std::fs::write(&setup.config, edited).unwrap();
    setup
}

fn manifest(out: &std::path::Path, dataset: Dataset, day: &str) -> Manifest {
    PartitionWriter::new(out)
        .manifest(&PartitionKey {
            dataset,
            source: "genesys",
            tenant: "demo".into(),
            date: date(day),
        })
        .unwrap_or_else(|| panic!("no {} partition of {day}", dataset.name()))
}

fn summary(output: &std::process::Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("no JSON summary ({e}): {}", text(output)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_days_go_four_to_a_job_and_land_as_one_job_per_day_lands() {
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        job_ready_after: std::time::Duration::from_millis(100),
        ..SimConfig::default()
    })
    .await;
    let grouped = with_max_days(&sim, 4);
    let daily = with_max_days(&sim, 1);
    let args = [
        "--log-format",
        "json",
        "backfill",
        "--source",
        "genesys",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-10",
        "--dataset",
        "contacts,contact_segments",
    ];
    let jobs_before = sim.stats().jobs_submitted;
    let one_per_day = daily.run(&args).await;
    assert_eq!(one_per_day.status.code(), Some(0), "{}", text(&one_per_day));
    let jobs_daily = sim.stats().jobs_submitted - jobs_before;
    assert_eq!(jobs_daily, 10, "one job per day");
    let four_a_job = grouped.run(&args).await;
    assert_eq!(four_a_job.status.code(), Some(0), "{}", text(&four_a_job));
    let jobs_grouped = sim.stats().jobs_submitted - jobs_before - jobs_daily;
    assert_eq!(jobs_grouped, 3, "days 1-4, 5-8 and 9-10");
    let (a, b) = (summary(&four_a_job), summary(&one_per_day));
    assert_eq!(a["written"], 20, "{a}");
    assert!(
        a["requests"].as_u64().unwrap() < b["requests"].as_u64().unwrap(),
        "fewer requests: {} vs {}",
        a["requests"],
        b["requests"]
    );
    assert_same_rows(&grouped.out(), &daily.out(), "4 days a job vs 1");

    // Each day's manifest: its own interval and rows; the fetch's requests on its first day.
    let first = manifest(&grouped.out(), Dataset::Contacts, "2026-11-01");
    let second = manifest(&grouped.out(), Dataset::Contacts, "2026-11-02");
    let segments = manifest(&grouped.out(), Dataset::ContactSegments, "2026-11-02");
    let alone = manifest(&daily.out(), Dataset::Contacts, "2026-11-02");
    assert!(first.requests > 0 && second.requests == 0 && segments.requests == 0);
    assert_eq!(first.details["fetch_days"], "2026-11-01 … 2026-11-04");
    assert_eq!(second.details["fetched_with"], "contacts 2026-11-01");
    assert_eq!(
        (second.interval_start, second.interval_end, second.rows),
        (alone.interval_start, alone.interval_end, alone.rows)
    );
    assert!(
        second.is_final && first.is_final,
        "{:?}",
        second.provisional_reasons
    );
    let requests_of_fetches: u64 = ["2026-11-01", "2026-11-05", "2026-11-09"]
        .iter()
        .map(|d| manifest(&grouped.out(), Dataset::Contacts, d).requests)
        .sum();
    assert_eq!(requests_of_fetches, a["requests"].as_u64().unwrap());

    // A partition lost in the middle: --resume fetches its four days again, one job.
    std::fs::remove_file(
        grouped
            .out()
            .join("contacts/source=genesys/tenant=demo/date=2026-11-06/_SUCCESS"),
    )
    .unwrap();
    let jobs = sim.stats().jobs_submitted;
    let mut resume = args.to_vec();
    resume.push("--resume");
    let resumed = grouped.run(&resume).await;
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
    assert_eq!(sim.stats().jobs_submitted - jobs, 1);
    assert_same_rows(&grouped.out(), &daily.out(), "after the resume");
}

/// Aggregates over several days (`aggregates_max_days`): one query per query file for each
/// group of days, every bucket in the partition of the business day it starts on. The rows are
/// those of a query per day and, for `queue_intervals`, the generated truth, across a 25-hour
/// day in Berlin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregates_over_four_days_a_query_land_as_a_query_per_day_lands() {
    use ccetl::plan::WriteMode;
    let sim = sim(SimConfig {
        seed: 11,
        ..SimConfig::default()
    })
    .await;
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    // 2026-10-25 has 25 hours in Berlin.
    let days = dates("2026-10-22", "2026-10-28");
    let datasets = vec![
        Dataset::QueueIntervals,
        Dataset::AgentIntervals,
        Dataset::Metrics,
    ];
    let aggregates = || {
        sim.requests()
            .iter()
            .filter(|r| r.path.ends_with("/aggregates/query"))
            .count()
    };
    // queue_intervals, agent_presence + agent_conversations, the metrics queries (at least one).
    let queries = settings(&sim, fast_http()).queries.aggregates().len();
    assert!(queries >= 4, "{queries}");

    let (daily, grouped) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let before = aggregates();
    let one_a_day = run(plan_for(
        settings(&sim, fast_http()),
        daily.path(),
        days.clone(),
        berlin,
        2,
        WriteMode::Replace,
        datasets.clone(),
    ))
    .await;
    assert!(
        one_a_day.written == 21 && one_a_day.failed.is_empty(),
        "{one_a_day:?}"
    );
    let per_day = aggregates() - before;

    let mut four = settings(&sim, fast_http());
    four.aggregates_max_days = 4;
    let before = aggregates();
    let four_a_query = run(plan_for(
        four,
        grouped.path(),
        days.clone(),
        berlin,
        2,
        WriteMode::Replace,
        datasets,
    ))
    .await;
    assert!(
        four_a_query.written == 21 && four_a_query.failed.is_empty(),
        "{four_a_query:?}"
    );
    let grouped_requests = aggregates() - before;
    assert_eq!(per_day, 7 * queries, "a query per file and day");
    assert_eq!(grouped_requests, 2 * queries, "days 22-25 and 26-28");

    assert_same_rows(grouped.path(), daily.path(), "4 days a query vs 1");
    assert_tables_equal(
        &read_queue_intervals(grouped.path(), "test", &days),
        &truth(sim.generator(), &days, berlin),
    );
    let key = |dataset, day: &str| PartitionKey {
        dataset,
        source: "genesys",
        tenant: "test".into(),
        date: date(day),
    };
    for dataset in [
        Dataset::QueueIntervals,
        Dataset::AgentIntervals,
        Dataset::Metrics,
    ] {
        let first = PartitionWriter::new(grouped.path())
            .manifest(&key(dataset, "2026-10-22"))
            .unwrap();
        let long_day = PartitionWriter::new(grouped.path())
            .manifest(&key(dataset, "2026-10-25"))
            .unwrap();
        let alone = PartitionWriter::new(daily.path())
            .manifest(&key(dataset, "2026-10-25"))
            .unwrap();
        assert!(first.requests > 0 && long_day.requests == 0, "{dataset:?}");
        assert_eq!(
            (
                long_day.interval_start,
                long_day.interval_end,
                long_day.rows
            ),
            (alone.interval_start, alone.interval_end, alone.rows),
            "{dataset:?}"
        );
        assert_eq!(
            long_day.interval_end - long_day.interval_start,
            chrono::Duration::hours(25)
        );
        assert!(long_day.is_final, "{:?}", long_day.provisional_reasons);
    }
}
