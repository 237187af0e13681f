//! The client against a misbehaving API: throttling, server errors, expired tokens, bad requests.

use std::time::Duration;

use ccetl::error::ExitStatus;
use ccetl::pipeline::FailureKind;
use ccetl::plan::{WriteMode, day_interval};
use ccetl::sim::{Fault, FaultKind, SimConfig};
use ccetl::sources::genesys::GenesysSource;
use chrono_tz::Tz;

use super::util::*;

const AGGREGATES: &str = "/api/v2/analytics/conversations/aggregates/query";

fn fault(kind: FaultKind, count: u32) -> Fault {
    Fault {
        path: AGGREGATES.into(),
        kind,
        count,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_by_every_task() {
    let sim = sim(SimConfig::default()).await;
    sim.inject(fault(
        FaultKind::Status {
            status: 429,
            retry_after: Some("2".into()),
            message: None,
        },
        1,
    ));
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-01", "2026-11-06");
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
        (summary.written, summary.throttled, summary.retries),
        (6, 1, 1),
        "{summary:?}"
    );
    let log: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path == AGGREGATES)
        .collect();
    let throttled = log
        .iter()
        .find(|r| r.status == 429)
        .expect("a 429 was served");
    // Requests already in flight when the 429 went out may still arrive; everything sent after
    // the client saw it waits out the 2 s, whichever task sends it.
    let later: Vec<Duration> = log
        .iter()
        .filter(|r| r.at > throttled.at + Duration::from_millis(500))
        .map(|r| r.at - throttled.at)
        .collect();
    assert!(!later.is_empty());
    assert!(
        later.iter().all(|d| *d >= Duration::from_secs(2)),
        "requests during the cool-down: {later:?}"
    );
    assert_tables_equal(
        &read_queue_intervals(out.path(), "test", &days),
        &truth(sim.generator(), &days, Tz::UTC),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulators_own_rate_limit_is_survived() {
    // No `inin-ratelimit-*` headers: the 429s are the client's only way to learn the limit.
    let sim = sim(SimConfig {
        rate_limit: 3,
        rate_window: Duration::from_secs(1),
        announce_rate_limits: false,
        ..SimConfig::default()
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-01", "2026-11-08");
    let summary = run(plan(
        &sim,
        out.path(),
        days.clone(),
        Tz::UTC,
        fast_http(),
        4,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(summary.written, 8, "{summary:?}");
    assert!(
        summary.throttled >= 1 && sim.stats().throttled == summary.throttled,
        "{summary:?}"
    );
    assert_tables_equal(
        &read_queue_intervals(out.path(), "test", &days),
        &truth(sim.generator(), &days, Tz::UTC),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announced_limit_is_spent_without_a_429_after_the_first_answer() {
    // 2 requests a second, announced on every answer; the client is configured at 60,000 a minute.
    // Only the requests sent before the first answer (one per task) can meet a full window; after
    // it, the client counts down the room the server announced and waits for each reset.
    let sim = sim(SimConfig {
        rate_limit: 2,
        rate_window: Duration::from_secs(1),
        ..SimConfig::default()
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-01", "2026-11-20");
    let tasks = 4;
    let summary = run(plan(
        &sim,
        out.path(),
        days.clone(),
        Tz::UTC,
        fast_http(),
        tasks,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(summary.written, 20, "{summary:?}");
    let served = sim.requests().len();
    assert!(
        served >= 20,
        "the run spans ten windows or more: {served} requests"
    );
    assert!(
        summary.throttled <= tasks as u64,
        "429s after the limit was announced: {summary:?}"
    );
    assert_eq!(sim.stats().throttled, summary.throttled);
    assert_tables_equal(
        &read_queue_intervals(out.path(), "test", &days),
        &truth(sim.generator(), &days, Tz::UTC),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_serves_a_multi_day_backfill() {
    let sim = sim(SimConfig::default()).await;
    let out = tempfile::tempdir().unwrap();
    let summary = run(plan(
        &sim,
        out.path(),
        dates("2026-11-01", "2026-11-10"),
        Tz::UTC,
        fast_http(),
        4,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(summary.written, 10);
    assert_eq!((sim.stats().token_requests, summary.tokens), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_renews_the_token_once() {
    let sim = sim(SimConfig::default()).await;
    sim.inject(fault(FaultKind::ExpireTokens, 1));
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-01", "2026-11-03");
    let summary = run(plan(
        &sim,
        out.path(),
        days.clone(),
        Tz::UTC,
        fast_http(),
        1,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(
        (summary.written, summary.failed.len()),
        (3, 0),
        "{summary:?}"
    );
    assert_eq!(sim.stats().tokens_issued, 2);
    assert_eq!(sim.requests().iter().filter(|r| r.status == 401).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_renewed_before_it_expires() {
    // Tokens live 2 s; ccetl renews a fifth of the lifetime early, so after 1.7 s it fetches anew
    // without ever sending the API an expired token.
    let sim = sim(SimConfig {
        token_ttl: Duration::from_secs(2),
        ..SimConfig::default()
    })
    .await;
    let source = GenesysSource::connect(&settings(&sim, fast_http())).unwrap();
    let (start, end) = day_interval(date("2026-11-03"), Tz::UTC);
    source.queue_intervals(start, end, "UTC").await.unwrap();
    source.queue_intervals(start, end, "UTC").await.unwrap();
    assert_eq!(sim.stats().tokens_issued, 1);
    tokio::time::sleep(Duration::from_millis(1700)).await;
    source.queue_intervals(start, end, "UTC").await.unwrap();
    assert_eq!(sim.stats().tokens_issued, 2);
    assert_eq!(sim.requests().iter().filter(|r| r.status == 401).count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_truncated_bodies_are_retried() {
    let sim = sim(SimConfig::default()).await;
    sim.inject(fault(
        FaultKind::Status {
            status: 503,
            retry_after: None,
            message: Some("overloaded".into()),
        },
        2,
    ));
    sim.inject(fault(FaultKind::MalformedJson, 1));
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-01", "2026-11-02");
    let summary = run(plan(
        &sim,
        out.path(),
        days.clone(),
        Tz::UTC,
        fast_http(),
        1,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!((summary.written, summary.retries), (2, 3), "{summary:?}");
    assert_tables_equal(
        &read_queue_intervals(out.path(), "test", &days),
        &truth(sim.generator(), &days, Tz::UTC),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_fails_its_slice_with_the_servers_message_and_nothing_else() {
    let sim = sim(SimConfig::default()).await;
    sim.inject(fault(
        FaultKind::Status {
            status: 400,
            retry_after: None,
            message: Some("Invalid metric: nBogus".into()),
        },
        1,
    ));
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-01", "2026-11-03");
    let summary = run(plan(
        &sim,
        out.path(),
        days.clone(),
        Tz::UTC,
        fast_http(),
        1,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(
        (summary.written, summary.failed.len(), summary.retries),
        (2, 1, 0),
        "{summary:?}"
    );
    let failure = &summary.failed[0];
    assert_eq!(
        (failure.kind, failure.date),
        (FailureKind::Api, date("2026-11-01"))
    );
    assert!(
        failure.error.contains("Invalid metric: nBogus") && failure.error.contains("400"),
        "{}",
        failure.error
    );
    assert_eq!(summary.exit_status(), ExitStatus::SlicesFailed);
    // The failed day has no partition; the others are complete and correct.
    assert!(
        !partition_dir(out.path(), "test", days[0])
            .join("_SUCCESS")
            .exists()
    );
    assert_tables_equal(
        &read_queue_intervals(out.path(), "test", &days[1..]),
        &truth(sim.generator(), &days[1..], Tz::UTC),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_beyond_the_cap_fails_fast() {
    let sim = sim(SimConfig::default()).await;
    sim.inject(fault(
        FaultKind::Status {
            status: 429,
            retry_after: Some("3600".into()),
            message: None,
        },
        1,
    ));
    let out = tempfile::tempdir().unwrap();
    let summary = run(plan(
        &sim,
        out.path(),
        dates("2026-11-01", "2026-11-01"),
        Tz::UTC,
        fast_http(),
        1,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(summary.failed.len(), 1);
    assert!(
        summary.failed[0].error.contains("resume"),
        "{}",
        summary.failed[0].error
    );
    assert_eq!(summary.exit_status(), ExitStatus::Api);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_are_bounded() {
    let sim = sim(SimConfig::default()).await;
    sim.inject(fault(
        FaultKind::Status {
            status: 502,
            retry_after: None,
            message: None,
        },
        100,
    ));
    let out = tempfile::tempdir().unwrap();
    let http = ccetl::http::ApiClientSettings {
        max_retries: 3,
        ..fast_http()
    };
    let summary = run(plan(
        &sim,
        out.path(),
        dates("2026-11-01", "2026-11-01"),
        Tz::UTC,
        http,
        1,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(summary.failed.len(), 1);
    assert!(
        summary.failed[0].error.contains("gave up after 4 attempts"),
        "{}",
        summary.failed[0].error
    );
    assert_eq!(
        sim.requests()
            .iter()
            .filter(|r| r.path == AGGREGATES)
            .count(),
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_shape_fails_the_slice_and_unknown_members_do_not() {
    let sim = sim(SimConfig::default()).await;
    // Day 1: `results` is not a list: a clear error, no retry, no partition.
    sim.inject(fault(
        FaultKind::Body {
            body: r#"{"results": "oops"}"#.into(),
        },
        1,
    ));
    // Day 2: the documented example with members from a future API release: it lands.
    sim.inject(fault(
        FaultKind::Body {
            body: include_str!("../../fixtures/genesys/conversation_aggregates.json").into(),
        },
        1,
    ));
    let out = tempfile::tempdir().unwrap();
    let days = dates("2026-11-01", "2026-11-02");
    let summary = run(plan(
        &sim,
        out.path(),
        days.clone(),
        Tz::UTC,
        fast_http(),
        1,
        WriteMode::Replace,
    ))
    .await;
    assert_eq!(
        (summary.written, summary.failed.len(), summary.retries),
        (1, 1, 0),
        "{summary:?}"
    );
    assert!(
        summary.failed[0].error.contains("malformed JSON"),
        "{}",
        summary.failed[0].error
    );
    assert!(!partition_dir(out.path(), "test", days[0]).exists());
    let landed = read_queue_intervals(out.path(), "test", &days[1..]);
    assert_eq!(landed.len(), 1);
    let row = landed.values().next().unwrap();
    assert_eq!(row.offered, 42);
    assert_eq!(
        row.durations[6],
        (38, 11234.567, Some(61.234), Some(912.345))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_page_fails_its_slice_at_once_however_many_pages_follow() {
    let sim = sim(SimConfig::default()).await;
    // The first page is malformed and claims that many more follow, one conversation a page.
    sim.inject(Fault {
        path: "/api/v2/analytics/conversations/details/query".into(),
        kind: FaultKind::Body {
            body: r#"{"totalHits": 5000, "conversations": [{"conversationId": "x", "conversationStart": "not a date", "conversationEnd": "2026-11-20T10:00:00Z"}]}"#.into(),
        },
        count: 1,
    });
    let out = tempfile::tempdir().unwrap();
    let mut settings = settings(&sim, fast_http());
    settings.details.page_size = 1;
    // Recent enough for the query.
    let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let plan = plan_for(
        settings,
        out.path(),
        vec![yesterday],
        Tz::UTC,
        1,
        WriteMode::Replace,
        vec![ccetl::transform::Dataset::Contacts],
    );
    let summary = tokio::time::timeout(Duration::from_secs(60), run(plan))
        .await
        .expect("the slice fails instead of waiting for a consumer that is gone");
    assert_eq!(summary.failed.len(), 1, "{summary:?}");
    assert!(
        summary.failed[0].error.contains("not a date"),
        "{}",
        summary.failed[0].error
    );
    let pages = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v2/analytics/conversations/details/query")
        .count();
    assert!(
        pages < 20,
        "the fetch stopped with its consumer: {pages} pages"
    );
}
