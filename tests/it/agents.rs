//! `agent_intervals`: presence, routing status and handled conversations per agent and interval
//! equal the generator's truth.

use std::collections::BTreeMap;

use arrow_array::{Array, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
use ccetl::plan::WriteMode;
use ccetl::sim::SimConfig;
use ccetl::transform::Dataset;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::util::*;

const FLOAT_COLUMNS: [&str; 12] = [
    "on_queue_seconds",
    "break_seconds",
    "meal_seconds",
    "idle_seconds",
    "interacting_seconds",
    "not_responding_seconds",
    "off_queue_seconds",
    "handle_seconds",
    "talk_seconds",
    "hold_seconds",
    "acw_seconds",
    "login_seconds",
];

type Key = (String, DateTime<Utc>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_intervals_equal_the_generated_truth() {
    let sim = sim(SimConfig {
        seed: 41,
        ..SimConfig::default()
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-17", "2026-11-18");
    let summary = run(plan_for(
        settings(&sim, fast_http()),
        out.path(),
        days.clone(),
        Tz::UTC,
        2,
        WriteMode::Replace,
        vec![Dataset::AgentIntervals],
    ))
    .await;
    assert_eq!(
        (summary.written, summary.failed.len()),
        (2, 0),
        "{summary:?}"
    );
    let g = sim.generator();
    let org = g.org();

    for day in &days {
        // Landed: (user, interval start) -> column -> value.
        let mut landed: BTreeMap<Key, BTreeMap<&str, f64>> = BTreeMap::new();
        let file = dataset_dir(out.path(), "agent_intervals", "test", *day)
            .join("part-00000.zstd.parquet");
        for batch in ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap())
            .unwrap()
            .build()
            .unwrap()
        {
            let b = batch.unwrap();
            let user = b
                .column_by_name("user_id")
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .clone();
            let start = b
                .column_by_name("interval_start")
                .unwrap()
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
                .unwrap()
                .clone();
            for i in 0..b.num_rows() {
                let mut values = BTreeMap::new();
                for c in FLOAT_COLUMNS {
                    values.insert(
                        c,
                        b.column_by_name(c)
                            .unwrap()
                            .as_any()
                            .downcast_ref::<Float64Array>()
                            .unwrap()
                            .value(i),
                    );
                }
                for c in ["handled", "transferred"] {
                    values.insert(
                        c,
                        b.column_by_name(c)
                            .unwrap()
                            .as_any()
                            .downcast_ref::<Int64Array>()
                            .unwrap()
                            .value(i) as f64,
                    );
                }
                let key = (
                    user.value(i).to_string(),
                    DateTime::from_timestamp_micros(start.value(i)).unwrap(),
                );
                assert!(landed.insert(key, values).is_none(), "duplicate row");
            }
        }

        // Truth from the generator: timelines cut into half hours, conversations by start.
        let day_start = day.and_hms_opt(0, 0, 0).unwrap().and_utc();
        let half_hour = Duration::minutes(30);
        let mut ms: BTreeMap<Key, BTreeMap<&str, i64>> = BTreeMap::new();
        for (agent, spans) in g.agent_timelines(*day).into_iter().enumerate() {
            for span in spans {
                let mut t = span.start;
                while t < span.end {
                    let bucket =
                        day_start + half_hour * ((t - day_start).num_seconds() / 1800) as i32;
                    let cut = (bucket + half_hour).min(span.end);
                    let entry = ms
                        .entry((org.agents[agent].id.clone(), bucket))
                        .or_default();
                    let presence = match span.system_presence {
                        "ON_QUEUE" => "on_queue_seconds",
                        "BREAK" => "break_seconds",
                        _ => "meal_seconds",
                    };
                    let routing = match span.routing_status {
                        "IDLE" => "idle_seconds",
                        "INTERACTING" => "interacting_seconds",
                        "NOT_RESPONDING" => "not_responding_seconds",
                        _ => "off_queue_seconds",
                    };
                    *entry.entry(presence).or_default() += (cut - t).num_milliseconds();
                    *entry.entry(routing).or_default() += (cut - t).num_milliseconds();
                    t = cut;
                }
            }
        }
        for c in g.conversations_on(*day) {
            let Some(agent) = c.agent else { continue };
            let bucket =
                day_start + half_hour * ((c.start - day_start).num_seconds() / 1800) as i32;
            let entry = ms
                .entry((org.agents[agent].id.clone(), bucket))
                .or_default();
            *entry.entry("handled").or_default() += 1;
            *entry.entry("transferred").or_default() += i64::from(c.transferred);
            *entry.entry("handle_seconds").or_default() += c.handle_ms() as i64;
            *entry.entry("talk_seconds").or_default() += c.talk_ms as i64;
            *entry.entry("hold_seconds").or_default() += c.hold_ms as i64;
            *entry.entry("acw_seconds").or_default() += c.acw_ms as i64;
        }
        let landed_keys: Vec<_> = landed.keys().collect();
        let truth_keys: Vec<_> = ms.keys().collect();
        assert_eq!(landed_keys, truth_keys, "rows for {day}");
        for (key, values) in &ms {
            let row = &landed[key];
            for (column, value) in values {
                let want = if *column == "handled" || *column == "transferred" {
                    *value as f64
                } else {
                    *value as f64 / 1000.0
                };
                assert_eq!(row[column], want, "{column} of {key:?}");
            }
            for column in FLOAT_COLUMNS
                .iter()
                .filter(|c| !values.contains_key(*c) && **c != "login_seconds")
            {
                assert_eq!(row[column], 0.0, "{column} of {key:?}");
            }
            let logged_in = ["on_queue_seconds", "break_seconds", "meal_seconds"]
                .iter()
                .map(|c| values.get(c).copied().unwrap_or(0))
                .sum::<i64>();
            assert!(
                (row["login_seconds"] - logged_in as f64 / 1000.0).abs() < 1e-6,
                "login of {key:?}"
            );
        }
        // Per-agent day totals, as a workforce analyst would check them.
        let agent = &org.agents[0].id;
        let on_queue: f64 = landed
            .iter()
            .filter(|(k, _)| &k.0 == agent)
            .map(|(_, v)| v["on_queue_seconds"])
            .sum();
        let shift = g.shift(0, *day).unwrap();
        let pauses: i64 = shift
            .pauses
            .iter()
            .map(|(a, b, _)| (*b - *a).num_seconds())
            .sum();
        assert!(
            (on_queue - ((shift.end - shift.start).num_seconds() - pauses) as f64).abs() < 1e-6
        );
    }
}
