//! NICE CXone end to end against the simulator: access-key sign-in and tenant discovery, skills
//! summary → `queue_intervals`, agent performance → `agent_intervals`, completed contacts →
//! `contacts`, all equal to the simulated tenant's truth; old API versions (other field names,
//! strings for numbers) land the same; a wrong access key exits 3.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use arrow_array::{
    Array, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use ccetl::sim::cxone::{agent_id, contact_id, skill_id};
use ccetl::sim::{SimConfig, Simulator};
use ccetl::transform::Dataset;
use chrono::{DateTime, Duration as ChronoDuration, NaiveDate, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::util::*;

fn cxone_dir(out: &Path, dataset: &str, day: NaiveDate) -> std::path::PathBuf {
    out.join(dataset)
        .join("source=cxone")
        .join("tenant=test")
        .join(format!("date={day}"))
}

fn batches(out: &Path, dataset: &str, days: &[NaiveDate]) -> Vec<RecordBatch> {
    days.iter()
        .flat_map(|d| {
            let file =
                std::fs::File::open(cxone_dir(out, dataset, *d).join("part-00000.zstd.parquet"))
                    .expect("partition");
            ParquetRecordBatchReaderBuilder::try_new(file)
                .unwrap()
                .build()
                .unwrap()
                .map(|b| b.unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn strings(b: &RecordBatch, name: &str) -> StringArray {
    b.column_by_name(name)
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap()
        .clone()
}
fn floats(b: &RecordBatch, name: &str) -> Float64Array {
    b.column_by_name(name)
        .unwrap()
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap()
        .clone()
}
fn ints(b: &RecordBatch, name: &str) -> Int64Array {
    b.column_by_name(name)
        .unwrap()
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .clone()
}
fn times(b: &RecordBatch, name: &str) -> TimestampMicrosecondArray {
    b.column_by_name(name)
        .unwrap()
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap()
        .clone()
}

fn bucket(day_start: DateTime<Utc>, t: DateTime<Utc>) -> DateTime<Utc> {
    day_start + ChronoDuration::minutes(30) * ((t - day_start).num_seconds() / 1800) as i32
}

async fn cxone_sim(seed: u64) -> Simulator {
    sim(SimConfig {
        seed,
        rate_limit: 1_000_000,
        ..SimConfig::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::type_complexity)]
async fn skills_agents_and_contacts_equal_the_tenants_truth() {
    let sim = cxone_sim(51).await;
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-17", "2026-11-18");
    let datasets = vec![
        Dataset::QueueIntervals,
        Dataset::AgentIntervals,
        Dataset::Contacts,
    ];
    let summary = run(plan_cxone(
        cxone_settings(&sim, "v31.0"),
        out.path(),
        days.clone(),
        datasets,
    ))
    .await;
    assert_eq!(
        (summary.written, summary.failed.len()),
        (6, 0),
        "{summary:?}"
    );
    assert_eq!(sim.stats().tokens_issued, 1);
    let g = sim.cxone_generator();
    let org = g.org();

    // queue_intervals: counts exact; sums are average × count, averages whole seconds.
    let mut landed: BTreeMap<(DateTime<Utc>, String), (i64, i64, i64, f64, f64, String)> =
        BTreeMap::new();
    for b in batches(out.path(), "queue_intervals", &days) {
        let (start, queue, media) = (
            times(&b, "interval_start"),
            strings(&b, "queue_id"),
            strings(&b, "media_type"),
        );
        for i in 0..b.num_rows() {
            assert!(
                ints(&b, "transferred").is_null(i),
                "CXone does not report transfers per skill"
            );
            let key = (
                DateTime::from_timestamp_micros(start.value(i)).unwrap(),
                queue.value(i).to_string(),
            );
            let row = (
                ints(&b, "offered").value(i),
                ints(&b, "answer_count").value(i),
                ints(&b, "abandon_count").value(i),
                floats(&b, "handle_seconds_sum").value(i),
                floats(&b, "hold_seconds_sum").value(i),
                media.value(i).to_string(),
            );
            assert!(landed.insert(key, row).is_none());
        }
    }
    let mut truth: BTreeMap<(DateTime<Utc>, String), (i64, i64, i64, u64, u64, String)> =
        BTreeMap::new();
    for day in &days {
        let day_start = day.and_hms_opt(0, 0, 0).unwrap().and_utc();
        for c in g.conversations_on(*day) {
            let e = truth
                .entry((
                    bucket(day_start, c.start),
                    skill_id(c.queue, c.media_type).to_string(),
                ))
                .or_insert((0, 0, 0, 0, 0, c.media_type.to_string()));
            e.0 += 1;
            e.1 += i64::from(c.agent.is_some());
            e.2 += i64::from(c.abandoned);
            e.3 += c.handle_ms();
            e.4 += c.hold_ms;
        }
    }
    assert_eq!(
        landed.keys().collect::<Vec<_>>(),
        truth.keys().collect::<Vec<_>>()
    );
    for (key, want) in &truth {
        let got = &landed[key];
        assert_eq!(
            (got.0, got.1, got.2, &got.5),
            (want.0, want.1, want.2, &want.5),
            "{key:?}"
        );
        assert!(
            (got.3 - want.3 as f64 / 1000.0).abs() <= 0.5 * want.1 as f64 + 1e-6,
            "handle sum of {key:?}: {} vs {}",
            got.3,
            want.3
        );
        assert!(
            (got.4 - want.4 as f64 / 1000.0).abs() <= 0.5 + 1e-6,
            "hold of {key:?}"
        );
    }

    // agent_intervals: durations to the millisecond, counts exact.
    let mut agents: BTreeMap<(DateTime<Utc>, String), [f64; 6]> = BTreeMap::new();
    for b in batches(out.path(), "agent_intervals", &days) {
        let (start, user) = (times(&b, "interval_start"), strings(&b, "user_id"));
        for i in 0..b.num_rows() {
            assert!(
                floats(&b, "on_queue_seconds").is_null(i) && floats(&b, "break_seconds").is_null(i)
            );
            let v = [
                floats(&b, "login_seconds").value(i),
                floats(&b, "idle_seconds").value(i),
                floats(&b, "interacting_seconds").value(i),
                floats(&b, "off_queue_seconds").value(i),
                ints(&b, "handled").value(i) as f64,
                floats(&b, "talk_seconds").value(i),
            ];
            agents.insert(
                (
                    DateTime::from_timestamp_micros(start.value(i)).unwrap(),
                    user.value(i).to_string(),
                ),
                v,
            );
        }
    }
    let mut agent_truth: BTreeMap<(DateTime<Utc>, String), [f64; 6]> = BTreeMap::new();
    for day in &days {
        let day_start = day.and_hms_opt(0, 0, 0).unwrap().and_utc();
        for (a, spans) in g.agent_timelines(*day).into_iter().enumerate() {
            for span in spans {
                let mut t = span.start;
                while t < span.end {
                    let b = bucket(day_start, t);
                    let cut = (b + ChronoDuration::minutes(30)).min(span.end);
                    let secs = (cut - t).num_milliseconds() as f64 / 1000.0;
                    let e = agent_truth.entry((b, agent_id(a).to_string())).or_default();
                    e[0] += secs;
                    match span.routing_status {
                        "IDLE" => e[1] += secs,
                        "INTERACTING" => e[2] += secs,
                        "OFF_QUEUE" => e[3] += secs,
                        _ => {}
                    }
                    t = cut;
                }
            }
        }
        for c in g.conversations_on(*day) {
            if let Some(a) = c.agent {
                let e = agent_truth
                    .entry((bucket(day_start, c.start), agent_id(a).to_string()))
                    .or_default();
                e[4] += 1.0;
                e[5] += c.talk_ms as f64 / 1000.0;
            }
        }
    }
    assert_eq!(
        agents.keys().collect::<Vec<_>>(),
        agent_truth.keys().collect::<Vec<_>>()
    );
    for (key, want) in &agent_truth {
        for (i, (got, want)) in agents[key].iter().zip(want).enumerate() {
            assert!(
                (got - want).abs() < 1e-6,
                "column {i} of {key:?}: {got} vs {want}"
            );
        }
    }
    // Per agent and day, as a workforce analyst would total it.
    let agent0 = agent_id(0).to_string();
    let login: f64 = agents
        .iter()
        .filter(|(k, _)| k.1 == agent0)
        .map(|(_, v)| v[0])
        .sum();
    let shifts: f64 = days
        .iter()
        .filter_map(|d| g.shift(0, *d))
        .map(|s| (s.end - s.start).num_seconds() as f64)
        .sum();
    assert!((login - shifts).abs() < 1e-6);

    // contacts: every completed contact exactly once, across pages of 250.
    let mut contacts: BTreeMap<String, (f64, Option<f64>, Option<f64>, bool, Option<String>)> =
        BTreeMap::new();
    for b in batches(out.path(), "contacts", &days) {
        let ids = strings(&b, "conversation_id");
        let abandoned = b
            .column_by_name("abandoned")
            .unwrap()
            .as_any()
            .downcast_ref::<BooleanArray>()
            .unwrap()
            .clone();
        for i in 0..b.num_rows() {
            let talk = floats(&b, "talk_seconds");
            let handle = floats(&b, "handle_seconds");
            let agent = strings(&b, "last_agent_id");
            let row = (
                floats(&b, "wait_seconds").value(i),
                (!talk.is_null(i)).then(|| talk.value(i)),
                (!handle.is_null(i)).then(|| handle.value(i)),
                abandoned.value(i),
                (!agent.is_null(i)).then(|| agent.value(i).to_string()),
            );
            assert!(
                contacts.insert(ids.value(i).to_string(), row).is_none(),
                "contact {} twice",
                ids.value(i)
            );
        }
    }
    let expected: Vec<_> = days.iter().flat_map(|d| g.conversations_on(*d)).collect();
    assert_eq!(contacts.len(), expected.len());
    for c in &expected {
        let got = &contacts[&contact_id(c).to_string()];
        let answered = c.agent.is_some();
        assert_eq!(got.0, c.wait_ms as f64 / 1000.0);
        assert_eq!(got.1, answered.then(|| c.talk_ms as f64 / 1000.0));
        let handle = got.2.unwrap_or(0.0);
        assert!((handle - c.handle_ms() as f64 / 1000.0).abs() < 1e-6);
        assert_eq!(got.3, c.abandoned);
        assert_eq!(got.4, c.agent.map(|a| agent_id(a).to_string()));
    }
    let pages = sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("contacts/completed"))
        .count();
    assert!(pages > 2 * days.len(), "several pages per day: {pages}");
    let _ = org;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_api_version_with_strings_and_other_names_lands_the_same() {
    let sim = cxone_sim(52).await;
    let days = dates("2026-11-10", "2026-11-10");
    let mut landed = Vec::new();
    for version in ["v31.0", "v21.0"] {
        let out = tempfile::tempdir().unwrap();
        let summary = run(plan_cxone(
            cxone_settings(&sim, version),
            out.path(),
            days.clone(),
            vec![Dataset::Contacts, Dataset::AgentIntervals],
        ))
        .await;
        assert_eq!(
            (summary.written, summary.failed.len()),
            (2, 0),
            "{version}: {summary:?}"
        );
        let mut rows = Vec::new();
        for dataset in ["contacts", "agent_intervals"] {
            for b in batches(out.path(), dataset, &days) {
                // Compare every column but `extra` (old versions carry other leftovers) and the
                // run's stamp (`_run_id`, `_extracted_at`: two runs, two stamps).
                let columns: Vec<String> = b
                    .schema()
                    .fields()
                    .iter()
                    .filter(|f| f.name() != "extra" && !f.name().starts_with('_'))
                    .map(|f| format!("{:?}", b.column_by_name(f.name()).unwrap()))
                    .collect();
                rows.push(columns);
            }
        }
        landed.push(rows);
    }
    assert_eq!(landed[0], landed[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_access_key_exits_3_and_names_what_to_check() {
    let sim = cxone_sim(53).await;
    let dir = tempfile::tempdir().unwrap();
    let wrong = "WRONG-access-key-secret==";
    std::fs::write(
        dir.path().join("ccetl.toml"),
        format!(
            "[output]\ndir = \"{}\"\n\n[cxone.acme]\ndiscovery_url = \"{}\"\nclient_id = \"{}\"\nclient_secret = {{ env = \"CX_SECRET\" }}\naccess_key_id = \"{}\"\naccess_key_secret = {{ env = \"CX_KEY\" }}\ndatasets = [\"queue_intervals\"]\n",
            dir.path().join("out").display(),
            sim.base_url(),
            sim.config().client_id,
            sim.config().cxone_access_key_id
        ),
    )
    .unwrap();
    let secret = sim.config().client_secret.clone();
    let base = std::process::Command::new(env!("CARGO_BIN_EXE_ccetl"));
    let run = move |key: &str| {
        let mut cmd = std::process::Command::new(base.get_program());
        cmd.current_dir(dir.path())
            .args(["backfill", "--from", "2026-11-01", "--to", "2026-11-01"])
            .env("CX_SECRET", &secret)
            .env("CX_KEY", key)
            .env_remove("RUST_LOG");
        cmd.output().unwrap()
    };
    let key = sim.config().cxone_access_key_secret.clone();
    let (bad, good) = tokio::task::spawn_blocking(move || (run(wrong), run(&key)))
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&bad.stdout),
        String::from_utf8_lossy(&bad.stderr)
    );
    assert_eq!(bad.status.code(), Some(3), "{text}");
    assert!(
        text.contains("invalid_grant") && text.contains("access key"),
        "{text}"
    );
    assert!(
        !text.contains(wrong) && !text.contains(&sim.config().client_secret),
        "{text}"
    );
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let _ = Duration::ZERO;
}
