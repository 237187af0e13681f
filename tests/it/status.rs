//! `agent_status`: per agent and day, the status intervals add up to the simulator's timelines
//! and to `agent_intervals` of the same day, exactly, for both vendors, across pages.

use std::collections::BTreeMap;

use ccetl::plan::WriteMode;
use ccetl::sim::SimConfig;
use ccetl::sim::generator::Generator;
use ccetl::transform::Dataset;
use chrono_tz::Tz;

use super::util::*;

/// (agent, what) → milliseconds, from rows of `agent_status` (`what` is a system presence, a
/// routing status, or `total`).
type Totals = BTreeMap<(String, String), i64>;

fn status_totals(partition: &std::path::Path) -> Totals {
    let mut totals = Totals::new();
    let rows = read_rows(
        partition,
        &[
            "user_id",
            "system_presence",
            "routing_status",
            "duration_seconds",
            "status_start",
            "status_end",
        ],
    );
    assert!(!rows.is_empty(), "{}", partition.display());
    for r in rows {
        let ms = (r[3].parse::<f64>().unwrap() * 1000.0).round() as i64;
        let (start, end): (i64, i64) = (r[4].parse().unwrap(), r[5].parse().unwrap());
        assert_eq!((end - start) / 1000, ms, "duration is end − start");
        for what in [r[1].clone(), r[2].clone(), "total".to_string()] {
            if what != "∅" {
                *totals.entry((r[0].clone(), what)).or_default() += ms;
            }
        }
    }
    totals
}

/// The same totals from `agent_intervals` (`columns`: (status, column)).
fn interval_totals(partition: &std::path::Path, columns: &[(&str, &str)]) -> Totals {
    let names: Vec<&str> = std::iter::once("user_id")
        .chain(columns.iter().map(|(_, c)| *c))
        .collect();
    let mut totals = Totals::new();
    for r in read_rows(partition, &names) {
        for (i, (what, _)) in columns.iter().enumerate() {
            if r[i + 1] != "∅" {
                let ms = (r[i + 1].parse::<f64>().unwrap() * 1000.0).round() as i64;
                if ms != 0 {
                    *totals.entry((r[0].clone(), what.to_string())).or_default() += ms;
                }
            }
        }
    }
    totals
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn genesys_status_adds_up_to_the_timelines_and_to_agent_intervals() {
    let seed = 11;
    let sim = sim(SimConfig {
        seed,
        ..SimConfig::default()
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let mut settings = settings(&sim, fast_http());
    // Five users a query page, seven a job results page: both page.
    settings.details.page_size = 5;
    settings.details.job_page_size = 7;
    // An old day (async jobs) and yesterday (the query).
    let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let days = vec![date("2026-11-18"), yesterday];
    let summary = run(plan_for(
        settings,
        out.path(),
        days.clone(),
        Tz::UTC,
        2,
        WriteMode::Replace,
        vec![Dataset::AgentStatus, Dataset::AgentIntervals],
    ))
    .await;
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    let working = |day| {
        Generator::new(seed)
            .agent_timelines(day)
            .iter()
            .filter(|t| !t.is_empty())
            .count()
    };
    let requests = sim.requests();
    let count = |pred: &dyn Fn(&str) -> bool| requests.iter().filter(|r| pred(&r.path)).count();
    assert_eq!(
        count(&|p| p == "/api/v2/analytics/users/details/query"),
        working(yesterday).div_ceil(5),
        "every query page, once"
    );
    assert_eq!(
        count(
            &|p| p.starts_with("/api/v2/analytics/users/details/jobs/") && p.ends_with("/results")
        ),
        working(days[0]).div_ceil(7),
        "every job results page, once"
    );
    let generator = Generator::new(seed);
    for day in &days {
        let landed = status_totals(&dataset_dir(out.path(), "agent_status", "test", *day));
        // The truth: the generator's timelines of the day.
        let mut truth = Totals::new();
        for (a, spans) in generator.agent_timelines(*day).iter().enumerate() {
            let id = &generator.org().agents[a].id;
            for s in spans {
                let ms = (s.end - s.start).num_milliseconds();
                for what in [s.system_presence, s.routing_status, "total"] {
                    *truth.entry((id.clone(), what.to_string())).or_default() += ms;
                }
            }
        }
        assert_eq!(landed, truth, "{day}");
        let intervals = interval_totals(
            &dataset_dir(out.path(), "agent_intervals", "test", *day),
            &[
                ("ON_QUEUE", "on_queue_seconds"),
                ("BREAK", "break_seconds"),
                ("MEAL", "meal_seconds"),
                ("IDLE", "idle_seconds"),
                ("INTERACTING", "interacting_seconds"),
                ("NOT_RESPONDING", "not_responding_seconds"),
                ("OFF_QUEUE", "off_queue_seconds"),
                ("total", "login_seconds"),
            ],
        );
        assert_eq!(landed, intervals, "{day}: agent_status and agent_intervals");
        for ((_, what), ms) in &landed {
            assert!(*what != "total" || *ms <= 86_400_000, "a day at most");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cxone_state_history_adds_up_to_agent_performance() {
    let sim = sim(SimConfig::default()).await;
    let out = tempfile::tempdir().unwrap();
    let mut settings = cxone_settings(&sim, "v31.0");
    settings.contacts_page_size = 100;
    let days = dates("2026-11-17", "2026-11-17");
    let summary = run(plan_cxone(
        settings,
        out.path(),
        days.clone(),
        vec![Dataset::AgentStatus, Dataset::AgentIntervals],
    ))
    .await;
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    let dir = |d: &str| {
        out.path()
            .join(d)
            .join("source=cxone/tenant=test/date=2026-11-17")
    };
    let mut landed = status_totals(&dir("agent_status"));
    // The performance report has no column for refused time (it is part of the log-in time).
    landed.retain(|(_, what), _| {
        ["IDLE", "INTERACTING", "OFF_QUEUE", "total"].contains(&what.as_str())
    });
    let intervals = interval_totals(
        &dir("agent_intervals"),
        &[
            ("IDLE", "idle_seconds"),
            ("INTERACTING", "interacting_seconds"),
            ("OFF_QUEUE", "off_queue_seconds"),
            ("total", "login_seconds"),
        ],
    );
    assert_eq!(landed, intervals);
    let pages = sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/agents/state-history"))
        .count();
    assert!(pages > 2, "the day pages: {pages}");
}
