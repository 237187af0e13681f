//! What lands in Parquet equals what the simulator's generator says, number by number.

use ccetl::plan::WriteMode;
use ccetl::sim::SimConfig;
use ccetl::sink::PartitionWriter;
use chrono_tz::Tz;

use super::util::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_lands_exactly_the_generated_truth() {
    let sim = sim(SimConfig {
        seed: 7,
        ..SimConfig::default()
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    // A weekend and weekdays, in UTC.
    let days = dates("2026-11-06", "2026-11-10");
    let summary = run(plan(
        &sim,
        out.path(),
        days.clone(),
        Tz::UTC,
        fast_http(),
        3,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(
        (summary.written, summary.failed.len()),
        (5, 0),
        "{summary:?}"
    );
    let landed = read_queue_intervals(out.path(), "test", &days);
    let expected = truth(sim.generator(), &days, Tz::UTC);
    assert!(
        expected.len() > 500,
        "the test needs a real volume, got {} rows",
        expected.len()
    );
    assert_tables_equal(&landed, &expected);
    assert_eq!(summary.rows as usize, expected.len());
    // Totals as a warehouse would see them.
    let offered: i64 = landed.values().map(|r| r.offered).sum();
    let conversations: usize = days
        .iter()
        .map(|d| sim.generator().conversations_on(*d).len())
        .sum();
    assert_eq!(offered as usize, conversations);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn business_dates_follow_the_time_zone_across_dst() {
    let sim = sim(SimConfig {
        seed: 11,
        ..SimConfig::default()
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    // 2026-10-25 has 25 hours in Berlin; its neighbours 24.
    let days = dates("2026-10-24", "2026-10-26");
    let summary = run(plan(
        &sim,
        out.path(),
        days.clone(),
        berlin,
        fast_http(),
        2,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(summary.written, 3, "{summary:?}");
    let landed = read_queue_intervals(out.path(), "test", &days);
    assert_tables_equal(&landed, &truth(sim.generator(), &days, berlin));
    // The Berlin day of 2026-10-25 runs 22:00Z to 23:00Z next day: its last, 25th hour holds data.
    let starts: Vec<_> = landed
        .keys()
        .filter(|k| k.0 == date("2026-10-25"))
        .map(|k| k.1.to_rfc3339())
        .collect();
    assert!(
        starts
            .iter()
            .all(|s| s.as_str() >= "2026-10-24T22:00:00+00:00"
                && s.as_str() < "2026-10-25T23:00:00+00:00")
    );
    assert!(
        starts
            .iter()
            .any(|s| s.as_str() >= "2026-10-25T22:00:00+00:00"),
        "{starts:?}"
    );
    let manifest = PartitionWriter::new(out.path())
        .manifest(&ccetl::sink::PartitionKey {
            dataset: ccetl::transform::Dataset::QueueIntervals,
            source: "genesys",
            tenant: "test".into(),
            date: date("2026-10-25"),
        })
        .unwrap();
    assert_eq!(
        manifest.interval_start.to_rfc3339(),
        "2026-10-24T22:00:00+00:00"
    );
    assert_eq!(
        manifest.interval_end.to_rfc3339(),
        "2026-10-25T23:00:00+00:00"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_replaces_partitions_and_resume_skips_complete_ones() {
    let sim = sim(SimConfig {
        seed: 5,
        ..SimConfig::default()
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-02", "2026-11-04");
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
    let second = run(plan(
        &sim,
        out.path(),
        days.clone(),
        Tz::UTC,
        fast_http(),
        2,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!((first.written, second.written), (3, 3));
    for day in &days {
        let files: Vec<_> = std::fs::read_dir(partition_dir(out.path(), "test", *day))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            files.len(),
            2,
            "one data file and _SUCCESS in {day}: {files:?}"
        );
    }
    // Not doubled: still exactly the truth.
    assert_tables_equal(
        &read_queue_intervals(out.path(), "test", &days),
        &truth(sim.generator(), &days, Tz::UTC),
    );

    // Resume after a "crash" that lost one partition: only that one is fetched again.
    std::fs::remove_dir_all(partition_dir(out.path(), "test", days[1])).unwrap();
    let before = sim.stats().api_requests;
    let resumed = run(plan(
        &sim,
        out.path(),
        days.clone(),
        Tz::UTC,
        fast_http(),
        2,
        WriteMode::Resume,
    ))
    .await;
    assert_eq!((resumed.written, resumed.skipped), (1, 2), "{resumed:?}");
    assert_eq!(sim.stats().api_requests - before, 1);
    assert_tables_equal(
        &read_queue_intervals(out.path(), "test", &days),
        &truth(sim.generator(), &days, Tz::UTC),
    );
}
