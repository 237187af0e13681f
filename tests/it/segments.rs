//! `contact_segments`: from the same details answers as `contacts` (query and async jobs), no
//! request of its own, and per conversation the segment durations add up to what the simulator
//! generated.

use std::collections::{BTreeMap, BTreeSet};

use ccetl::plan::WriteMode;
use ccetl::sim::SimConfig;
use ccetl::sim::generator::Generator;
use ccetl::transform::Dataset;
use chrono::{Duration, Utc};
use chrono_tz::Tz;

use super::util::*;

/// Requests that carry conversation pages: the details query and job result pages (status polls
/// depend on timing, so they are left out of the comparison).
fn page_requests(sim: &ccetl::sim::Simulator) -> usize {
    sim.requests()
        .iter()
        .filter(|r| {
            r.path == "/api/v2/analytics/conversations/details/query"
                || r.path.ends_with("/results")
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_add_up_to_the_generated_conversations_and_cost_no_request() {
    let seed = 7;
    // An old day (async jobs) and yesterday (the details query).
    let yesterday = Utc::now().date_naive() - Duration::days(1);
    let days = vec![date("2026-11-10"), yesterday];
    let (with, alone) = (
        sim(SimConfig {
            seed,
            ..SimConfig::default()
        })
        .await,
        sim(SimConfig {
            seed,
            ..SimConfig::default()
        })
        .await,
    );
    let (out, out_alone) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Both days final whatever the time of day: within two hours of midnight, yesterday would
    // still be provisional, and the resume below would rightly fetch it again.
    let settled = |sim: &ccetl::sim::Simulator| {
        let mut settings = settings(sim, fast_http());
        settings.settle = std::time::Duration::ZERO;
        settings
    };
    let plan = |sim: &ccetl::sim::Simulator, out: &std::path::Path, datasets: Vec<Dataset>| {
        plan_for(
            settled(sim),
            out,
            days.clone(),
            Tz::UTC,
            2,
            WriteMode::Replace,
            datasets,
        )
    };
    let summary = run(plan(
        &with,
        out.path(),
        vec![Dataset::Contacts, Dataset::ContactSegments],
    ))
    .await;
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert_eq!(summary.written, 4);
    let contacts_only = run(plan(&alone, out_alone.path(), vec![Dataset::Contacts])).await;
    assert!(contacts_only.failed.is_empty());
    assert_eq!(
        page_requests(&with),
        page_requests(&alone),
        "segments cost no request of their own"
    );
    assert!(page_requests(&with) > 0);

    let generator = Generator::new(seed);
    for day in &days {
        let truth: BTreeMap<String, _> = generator
            .conversations_on(*day)
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
        let contacts: BTreeSet<String> = read_rows(
            &dataset_dir(out.path(), "contacts", "test", *day),
            &["conversation_id"],
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
        // A weekday has about 1,600, a weekend day fewer (723 on a Saturday): enough to check.
        assert!(contacts.len() > 300, "{day}: {}", contacts.len());
        let segments = read_rows(
            &dataset_dir(out.path(), "contact_segments", "test", *day),
            &[
                "conversation_id",
                "purpose",
                "segment_type",
                "duration_seconds",
                "segment_index",
                "conversation_start",
            ],
        );
        // conversation → (wait, talk, hold, acw) in ms, from the segments.
        let mut sums: BTreeMap<String, [i64; 4]> = BTreeMap::new();
        let day_start = day
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_micros();
        for row in &segments {
            let start: i64 = row[5].parse().unwrap();
            assert!(
                (day_start..day_start + 86_400_000_000).contains(&start),
                "a segment of a conversation of another day: {row:?}"
            );
            let ms = (row[3].parse::<f64>().unwrap() * 1000.0).round() as i64;
            let slot = match (row[1].as_str(), row[2].as_str()) {
                ("acd", "delay") => Some(0),
                ("agent", "interact") => Some(1),
                ("agent", "hold") => Some(2),
                ("agent", "wrapup") => Some(3),
                _ => None,
            };
            let entry = sums.entry(row[0].clone()).or_default();
            if let Some(slot) = slot {
                entry[slot] += ms;
            }
        }
        let with_segments: BTreeSet<String> = sums.keys().cloned().collect();
        assert_eq!(with_segments, contacts, "{day}: the same conversations");
        for (id, [wait, talk, hold, acw]) in &sums {
            let c = &truth[id];
            assert_eq!(
                (*wait, *talk, *hold, *acw),
                (
                    c.wait_ms as i64,
                    c.talk_ms as i64,
                    c.hold_ms as i64,
                    if c.answered() { c.acw_ms as i64 } else { 0 }
                ),
                "{day} {id}"
            );
        }
        // Numbered by start within each session, from 0.
        assert!(segments.iter().any(|r| r[4] == "3"), "{day}");
    }

    // Resume: a day whose segments are missing is fetched again, both partitions from one
    // fetch; a complete day is skipped whole.
    std::fs::remove_dir_all(dataset_dir(out.path(), "contact_segments", "test", days[0])).unwrap();
    let resumed = run(plan_for(
        settled(&with),
        out.path(),
        days.clone(),
        Tz::UTC,
        2,
        WriteMode::Resume,
        vec![Dataset::Contacts, Dataset::ContactSegments],
    ))
    .await;
    assert!(resumed.failed.is_empty(), "{:?}", resumed.failed);
    let written: BTreeSet<(String, String)> = resumed
        .slices
        .iter()
        .filter(|s| s.status == ccetl::pipeline::SliceStatus::Written)
        .map(|s| (s.dataset.to_string(), s.date.to_string()))
        .collect();
    let day0 = days[0].to_string();
    assert_eq!(
        written,
        [
            ("contact_segments".to_string(), day0.clone()),
            ("contacts".to_string(), day0)
        ]
        .into_iter()
        .collect()
    );
    assert!(
        dataset_dir(out.path(), "contact_segments", "test", days[0])
            .join("_SUCCESS")
            .exists()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cxone_contact_states_add_up_to_the_completed_contacts() {
    let sim = sim(SimConfig::default()).await;
    let out = tempfile::tempdir().unwrap();
    let mut settings = cxone_settings(&sim, "v31.0");
    // States page (about 5,000 a day).
    settings.contacts_page_size = 1000;
    let day = date("2026-11-18");
    let summary = run(plan_cxone(
        settings,
        out.path(),
        vec![day],
        vec![Dataset::Contacts, Dataset::ContactSegments],
    ))
    .await;
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    let dir = |d: &str| {
        out.path()
            .join(d)
            .join(format!("source=cxone/tenant=test/date={day}"))
    };
    let contacts: BTreeMap<String, Vec<String>> = read_rows(
        &dir("contacts"),
        &[
            "conversation_id",
            "wait_seconds",
            "talk_seconds",
            "hold_seconds",
            "acw_seconds",
        ],
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1..].to_vec()))
    .collect();
    assert!(contacts.len() > 1000);
    let mut sums: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for r in read_rows(
        &dir("contact_segments"),
        &["conversation_id", "segment_type", "duration_seconds"],
    ) {
        let ms = (r[2].parse::<f64>().unwrap() * 1000.0).round() as i64;
        let entry = sums.entry(r[0].clone()).or_default();
        match r[1].as_str() {
            "InQueue" => entry[0] += ms,
            "Active" => entry[1] += ms,
            "Hold" => entry[2] += ms,
            "ACW" => entry[3] += ms,
            _ => {}
        }
    }
    assert_eq!(
        sums.keys().collect::<Vec<_>>(),
        contacts.keys().collect::<Vec<_>>(),
        "the same contacts"
    );
    let ms = |v: &str| {
        if v == "∅" {
            0
        } else {
            (v.parse::<f64>().unwrap() * 1000.0).round() as i64
        }
    };
    for (id, landed) in &sums {
        let c = &contacts[id];
        assert_eq!(
            *landed,
            [ms(&c[0]), ms(&c[1]), ms(&c[2]), ms(&c[3])],
            "{id}"
        );
    }
    // And the simulator's truth, by contact id.
    let generator = Generator::new(SimConfig::default().seed ^ ccetl::sim::cxone::CXONE_SEED_XOR);
    let truth: BTreeMap<String, [i64; 4]> = generator
        .conversations_on(day)
        .iter()
        .map(|c| {
            (
                ccetl::sim::cxone::contact_id(c).to_string(),
                [
                    c.wait_ms as i64,
                    c.talk_ms as i64,
                    c.hold_ms as i64,
                    if c.answered() { c.acw_ms as i64 } else { 0 },
                ],
            )
        })
        .collect();
    for (id, landed) in &sums {
        assert_eq!(Some(landed), truth.get(id), "{id}");
    }
}
