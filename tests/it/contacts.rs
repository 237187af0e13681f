//! `contacts`: every conversation lands exactly once, through the details query and async jobs,
//! across page, cursor, window and midnight boundaries.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use arrow_array::{Array, BooleanArray, Float64Array, StringArray, TimestampMicrosecondArray};
use ccetl::pipeline::RunSummary;
use ccetl::plan::WriteMode;
use ccetl::sim::generator::Generator;
use ccetl::sim::{JobOutcome, SimConfig};
use ccetl::sink::Manifest;
use ccetl::sources::genesys::GenesysSettings;
use ccetl::transform::Dataset;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::util::*;

/// A `contacts` row as the tests compare it.
#[derive(Debug, Clone, PartialEq)]
struct Contact {
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    media_type: Option<String>,
    first_queue_id: Option<String>,
    last_agent_id: Option<String>,
    wrap_up_code: Option<String>,
    abandoned: bool,
    transferred: bool,
    wait: Option<f64>,
    talk: Option<f64>,
    hold: Option<f64>,
    acw: Option<f64>,
    handle: Option<f64>,
    ani: Option<String>,
}

fn opt_str(a: &StringArray, i: usize) -> Option<String> {
    (!a.is_null(i)).then(|| a.value(i).to_string())
}

fn opt_f64(a: &Float64Array, i: usize) -> Option<f64> {
    (!a.is_null(i)).then(|| a.value(i))
}

/// The record batches of a day's `contacts` file, in the file's order.
fn contacts_batches(
    out: &Path,
    day: NaiveDate,
) -> parquet::arrow::arrow_reader::ParquetRecordBatchReader {
    let file = dataset_dir(out, "contacts", "test", day).join("part-00000.zstd.parquet");
    ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).expect("contacts file"))
        .unwrap()
        .build()
        .unwrap()
}

/// Reads the contacts partitions of `days`: id → (partition date, row). Panics on a duplicate id.
fn read_contacts(out: &Path, days: &[NaiveDate]) -> BTreeMap<String, (NaiveDate, Contact)> {
    let mut rows = BTreeMap::new();
    for day in days {
        for batch in contacts_batches(out, *day) {
            let b = batch.unwrap();
            let s = |n: &str| {
                b.column_by_name(n)
                    .unwrap()
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .unwrap()
                    .clone()
            };
            let f = |n: &str| {
                b.column_by_name(n)
                    .unwrap()
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .unwrap()
                    .clone()
            };
            let t = |n: &str| {
                b.column_by_name(n)
                    .unwrap()
                    .as_any()
                    .downcast_ref::<TimestampMicrosecondArray>()
                    .unwrap()
                    .clone()
            };
            let bo = |n: &str| {
                b.column_by_name(n)
                    .unwrap()
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .unwrap()
                    .clone()
            };
            let (id, start, end) = (
                s("conversation_id"),
                t("conversation_start"),
                t("conversation_end"),
            );
            for i in 0..b.num_rows() {
                let row = Contact {
                    start: DateTime::from_timestamp_micros(start.value(i)).unwrap(),
                    end: (!end.is_null(i))
                        .then(|| DateTime::from_timestamp_micros(end.value(i)).unwrap()),
                    media_type: opt_str(&s("media_type"), i),
                    first_queue_id: opt_str(&s("first_queue_id"), i),
                    last_agent_id: opt_str(&s("last_agent_id"), i),
                    wrap_up_code: opt_str(&s("wrap_up_code"), i),
                    abandoned: bo("abandoned").value(i),
                    transferred: bo("transferred").value(i),
                    wait: opt_f64(&f("wait_seconds"), i),
                    talk: opt_f64(&f("talk_seconds"), i),
                    hold: opt_f64(&f("hold_seconds"), i),
                    acw: opt_f64(&f("acw_seconds"), i),
                    handle: opt_f64(&f("handle_seconds"), i),
                    ani: opt_str(&s("ani"), i),
                };
                let previous = rows.insert(id.value(i).to_string(), (*day, row));
                assert!(
                    previous.is_none(),
                    "conversation {} landed twice",
                    id.value(i)
                );
            }
        }
    }
    rows
}

/// The truth: every generated conversation that started on `days` (UTC) and ended by `now`.
fn expected_contacts(
    g: &Generator,
    days: &[NaiveDate],
    now: DateTime<Utc>,
) -> BTreeMap<String, (NaiveDate, Contact)> {
    let org = g.org();
    let key = pseudonymizer();
    let mut out = BTreeMap::new();
    for day in days {
        for c in g.conversations_on(*day) {
            if c.start >= now || c.end + chrono::Duration::milliseconds(c.acw_ms as i64) > now {
                continue;
            }
            let answered = c.agent.is_some();
            let secs = |ms: u64| answered.then_some(ms as f64 / 1000.0);
            out.insert(
                c.id.clone(),
                (
                    *day,
                    Contact {
                        start: c.start,
                        end: Some(c.end),
                        media_type: Some(c.media_type.to_string()),
                        first_queue_id: Some(org.queues[c.queue].id.clone()),
                        last_agent_id: c.agent.map(|a| org.agents[a].id.clone()),
                        wrap_up_code: c.wrap_up_code.clone(),
                        abandoned: c.abandoned,
                        transferred: c.transferred,
                        wait: Some(c.wait_ms as f64 / 1000.0),
                        talk: secs(c.talk_ms),
                        hold: secs(c.hold_ms),
                        acw: secs(c.acw_ms),
                        handle: secs(c.handle_ms()),
                        ani: key.apply(c.ani.as_deref()),
                    },
                ),
            );
        }
    }
    out
}

fn assert_contacts_equal(
    landed: &BTreeMap<String, (NaiveDate, Contact)>,
    expected: &BTreeMap<String, (NaiveDate, Contact)>,
) {
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !landed.contains_key(*k))
        .take(3)
        .collect();
    let extra: Vec<_> = landed
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .take(3)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} landed vs {} expected; missing {missing:?}, unexpected {extra:?}",
        landed.len(),
        expected.len()
    );
    for (id, want) in expected {
        assert_eq!(&landed[id], want, "conversation {id}");
    }
}

fn manifest(out: &Path, day: NaiveDate) -> Manifest {
    ccetl::sink::PartitionWriter::new(out)
        .manifest(&ccetl::sink::PartitionKey {
            dataset: Dataset::Contacts,
            source: "genesys",
            tenant: "test".into(),
            date: day,
        })
        .expect("a complete partition with its manifest")
}

async fn run_contacts(
    settings: GenesysSettings,
    out: &Path,
    days: &[NaiveDate],
    concurrency: usize,
) -> RunSummary {
    run(plan_for(
        settings,
        out,
        days.to_vec(),
        Tz::UTC,
        concurrency,
        WriteMode::Replace,
        vec![Dataset::Contacts],
    ))
    .await
}

fn sim_config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        rate_limit: 1_000_000,
        job_ready_after: Duration::from_millis(150),
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_and_async_jobs_land_every_conversation_exactly_once() {
    let sim = sim(sim_config(21)).await;
    let days = dates("2026-11-03", "2026-11-05");
    let expected = expected_contacts(sim.generator(), &days, Utc::now());
    // Conversations crossing midnight exist and belong to the day they started.
    assert!(
        expected
            .values()
            .any(|(d, c)| c.end.is_some_and(|e| e.date_naive() > *d)),
        "the test needs a conversation across midnight"
    );
    for use_jobs in [false, true] {
        let out = tempfile::tempdir().unwrap();
        let mut settings = settings(&sim, fast_http());
        settings.details.jobs_after_days = if use_jobs { 0 } else { 100_000 };
        settings.details.job_page_size = 300; // many cursor boundaries
        let summary = run_contacts(settings, out.path(), &days, 2).await;
        assert_eq!(
            (summary.written, summary.failed.len()),
            (3, 0),
            "{summary:?}"
        );
        assert_contacts_equal(&read_contacts(out.path(), &days), &expected);
        let m = manifest(out.path(), days[1]);
        assert_eq!(m.details["method"], if use_jobs { "jobs" } else { "query" });
        if use_jobs {
            // Jobs return conversations with activity in the window: yesterday's late ones are dropped.
            assert!(
                m.details["outside_slice_skipped"].as_u64().unwrap() > 0,
                "{:?}",
                m.details
            );
        }
    }
}

/// The conversation ids of a day's `contacts` file, in the file's order.
fn ids_in_file_order(out: &Path, day: NaiveDate) -> Vec<String> {
    let mut ids = Vec::new();
    for batch in contacts_batches(out, day) {
        let b = batch.unwrap();
        let column = b.column_by_name("conversation_id").unwrap();
        let column = column.as_any().downcast_ref::<StringArray>().unwrap();
        ids.extend(column.iter().map(|id| id.unwrap_or_default().to_string()));
    }
    ids
}

/// A day's query pages are asked for several at a time, and land in page order: the partition
/// is, row for row, what paging one by one writes, with as many requests; even when an earlier
/// page answers after later ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_pages_asked_several_at_a_time_land_in_page_order() {
    let sim = sim(sim_config(23)).await;
    let days = dates("2026-11-04", "2026-11-04");
    let expected = expected_contacts(sim.generator(), &days, Utc::now());
    let mut runs = Vec::new();
    for concurrency in [1, 4] {
        if concurrency > 1 {
            // The first page, and one of the three asked for with the second, answer late.
            sim.inject(ccetl::sim::Fault {
                path: "/api/v2/analytics/conversations/details/query".into(),
                kind: ccetl::sim::FaultKind::Delay { ms: 400 },
                count: 2,
            });
        }
        let out = tempfile::tempdir().unwrap();
        let mut settings = settings(&sim, fast_http());
        settings.details.jobs_after_days = 100_000;
        settings.details.page_size = 25;
        let summary = run_contacts(settings, out.path(), &days, concurrency).await;
        assert_eq!(
            (summary.written, summary.failed.len()),
            (1, 0),
            "{summary:?}"
        );
        assert_contacts_equal(&read_contacts(out.path(), &days), &expected);
        let m = manifest(out.path(), days[0]);
        runs.push((ids_in_file_order(out.path(), days[0]), m.requests));
    }
    let (one_by_one, at_once) = (&runs[0], &runs[1]);
    assert!(
        one_by_one.1 > 20,
        "the test needs many pages: {}",
        one_by_one.1
    );
    assert_eq!(one_by_one.1, at_once.1, "requests");
    assert_eq!(one_by_one.0.len(), expected.len());
    assert!(one_by_one.0 == at_once.0, "rows in another order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_beyond_the_result_caps_are_split_not_truncated() {
    let sim = sim(SimConfig {
        details_result_cap: 400,
        job_result_cap: 500,
        ..sim_config(22)
    })
    .await;
    let days = dates("2026-11-04", "2026-11-04");
    let expected = expected_contacts(sim.generator(), &days, Utc::now());
    assert!(expected.len() > 1000);
    // The query's pages one by one, and three at a time.
    for (use_jobs, concurrency) in [(false, 1), (false, 3), (true, 1)] {
        let out = tempfile::tempdir().unwrap();
        let mut settings = settings(&sim, fast_http());
        settings.details.jobs_after_days = if use_jobs { 0 } else { 100_000 };
        settings.details.result_cap = 400;
        // The job cap is not configured: ccetl learns it from the API's refusal.
        settings.details.job_page_size = 200;
        let summary = run_contacts(settings, out.path(), &days, concurrency).await;
        assert_eq!(summary.written, 1, "{summary:?}");
        assert_contacts_equal(&read_contacts(out.path(), &days), &expected);
        let m = manifest(out.path(), days[0]);
        assert!(
            m.details["window_splits"].as_u64().unwrap() >= 2,
            "{:?}",
            m.details
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_and_expired_jobs_are_resubmitted_and_land_once() {
    let sim = sim(sim_config(23)).await;
    sim.inject_job_fault(JobOutcome::Fail, 1);
    sim.inject_job_fault(JobOutcome::Expire, 1);
    let days = dates("2026-11-06", "2026-11-06");
    let out = tempfile::tempdir().unwrap();
    let mut settings = settings(&sim, fast_http());
    settings.details.jobs_after_days = 0;
    let summary = run_contacts(settings, out.path(), &days, 1).await;
    assert_eq!(summary.written, 1, "{summary:?}");
    assert_eq!(sim.stats().jobs_submitted, 3);
    assert_eq!(manifest(out.path(), days[0]).details["job_resubmits"], 2);
    assert_contacts_equal(
        &read_contacts(out.path(), &days),
        &expected_contacts(sim.generator(), &days, Utc::now()),
    );

    // A job that keeps failing fails its slice with a clear message, after a bounded number of tries.
    sim.inject_job_fault(JobOutcome::Fail, 10);
    let out = tempfile::tempdir().unwrap();
    let mut settings = super::util::settings(&sim, fast_http());
    settings.details.jobs_after_days = 0;
    settings.details.job_resubmits = 1;
    let summary = run_contacts(settings, out.path(), &days, 1).await;
    assert_eq!(summary.failed.len(), 1);
    let error = &summary.failed[0].error;
    assert!(
        error.contains("ended FAILED") && error.contains("2 times"),
        "{error}"
    );
    assert!(
        !dataset_dir(out.path(), "contacts", "test", days[0])
            .join("_SUCCESS")
            .exists()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ongoing_conversations_wait_for_a_later_run() {
    let now: DateTime<Utc> = "2026-11-05T12:00:00Z".parse().unwrap();
    let sim = sim(SimConfig {
        now: Some(now),
        ..sim_config(24)
    })
    .await;
    let days = dates("2026-11-05", "2026-11-05");
    let out = tempfile::tempdir().unwrap();
    let summary = run_contacts(settings(&sim, fast_http()), out.path(), &days, 1).await;
    assert_eq!(summary.written, 1, "{summary:?}");
    let expected = expected_contacts(sim.generator(), &days, now);
    assert_contacts_equal(&read_contacts(out.path(), &days), &expected);
    let running = sim
        .generator()
        .conversations_on(days[0])
        .iter()
        .filter(|c| c.start < now && c.end + chrono::Duration::milliseconds(c.acw_ms as i64) > now)
        .count();
    assert!(running > 0);
    assert_eq!(
        manifest(out.path(), days[0]).details["ongoing_skipped"]
            .as_u64()
            .unwrap() as usize,
        running
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_wait_for_the_data_lake_and_the_query_fills_in() {
    let sim = sim(SimConfig {
        data_lake_lag: Duration::from_secs(400 * 86_400),
        ..sim_config(25)
    })
    .await;
    let days = dates("2026-11-02", "2026-11-02");
    let out = tempfile::tempdir().unwrap();
    let mut settings = settings(&sim, fast_http());
    settings.details.jobs_after_days = 0;
    let summary = run_contacts(settings, out.path(), &days, 1).await;
    assert_eq!(summary.written, 1, "{summary:?}");
    let m = manifest(out.path(), days[0]);
    assert_eq!(m.details["method"], "query");
    assert!(
        m.details["jobs_fallback"]
            .as_str()
            .unwrap()
            .contains("data lake")
    );
    assert_eq!(sim.stats().jobs_submitted, 0);
    assert_contacts_equal(
        &read_contacts(out.path(), &days),
        &expected_contacts(sim.generator(), &days, Utc::now()),
    );
}

/// A backfill's last days are not in the data lake yet: the job covers the days before the
/// lake's last midnight and the query the rest, instead of the whole group going to the query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_stops_where_the_data_lake_does_and_the_query_takes_the_rest() {
    let now: DateTime<Utc> = "2026-11-05T12:00:00Z".parse().unwrap();
    let sim = sim(SimConfig {
        now: Some(now),
        // The lake has data until 2026-11-04T06:00Z: jobs up to that day's midnight.
        data_lake_lag: Duration::from_secs(30 * 3600),
        ..sim_config(27)
    })
    .await;
    let days = dates("2026-11-02", "2026-11-04");
    let out = tempfile::tempdir().unwrap();
    let mut settings = settings(&sim, fast_http());
    settings.details.jobs_after_days = 0;
    let summary = run_contacts(settings, out.path(), &days, 1).await;
    assert_eq!(
        (summary.written, summary.failed.len()),
        (3, 0),
        "{summary:?}"
    );
    assert_contacts_equal(
        &read_contacts(out.path(), &days),
        &expected_contacts(sim.generator(), &days, now),
    );
    assert_eq!(sim.stats().jobs_submitted, 1);
    for day in &days {
        let m = manifest(out.path(), *day);
        assert_eq!(m.details["method"], "jobs", "{day}");
        assert_eq!(m.details["query_from"], "2026-11-04T00:00:00Z", "{day}");
        assert!(!m.details.contains_key("jobs_fallback"), "{:?}", m.details);
    }
    // The query paged through the last day alone: 100 conversations a page.
    let last_day = sim.generator().conversations_on(days[2]).len();
    let query_pages = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v2/analytics/conversations/details/query")
        .count();
    assert_eq!(
        query_pages,
        last_day.div_ceil(100),
        "{last_day} conversations"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_phone_numbers_never_reach_parquet_by_default() {
    let sim = sim(sim_config(26)).await;
    let days = dates("2026-11-02", "2026-11-03");
    let out = tempfile::tempdir().unwrap();
    let summary = run_contacts(settings(&sim, fast_http()), out.path(), &days, 2).await;
    assert_eq!(summary.written, 2);
    let numbers: Vec<String> = days
        .iter()
        .flat_map(|d| sim.generator().conversations_on(*d))
        .flat_map(|c| {
            c.ani.into_iter().chain(std::iter::once(
                sim.generator().org().queues[c.queue].dnis.clone(),
            ))
        })
        .map(|n| n.trim_start_matches("tel:+").to_string())
        .collect();
    assert!(numbers.len() > 100);
    for day in &days {
        let dir = dataset_dir(out.path(), "contacts", "test", *day);
        // Every string value, decompressed, and the raw file bytes.
        let reader = ParquetRecordBatchReaderBuilder::try_new(
            std::fs::File::open(dir.join("part-00000.zstd.parquet")).unwrap(),
        )
        .unwrap()
        .build()
        .unwrap();
        let mut text = String::new();
        for batch in reader {
            let batch = batch.unwrap();
            for column in batch.columns() {
                if let Some(strings) = column.as_any().downcast_ref::<StringArray>() {
                    for v in strings.iter().flatten() {
                        text.push_str(v);
                        text.push('\n');
                    }
                }
            }
        }
        let bytes =
            String::from_utf8_lossy(&std::fs::read(dir.join("part-00000.zstd.parquet")).unwrap())
                .into_owned();
        for n in &numbers {
            assert!(
                !text.contains(n.as_str()) && !bytes.contains(n.as_str()),
                "raw number {n} in {day}"
            );
        }
        assert!(text.contains("h:"), "pseudonymised values are present");
    }
}
