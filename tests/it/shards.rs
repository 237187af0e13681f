//! Scale-out: `--shard K/N` runs only its part of the configured sources, shards share an output
//! without contending (a lock per source), and their union is a single run's output.

use std::collections::BTreeSet;

use ccetl::sim::{Fault, FaultKind, SimConfig};

use super::util::*;

fn sources_of(out: &std::path::Path, run_stdout: &[u8]) -> BTreeSet<(String, String)> {
    let summary: serde_json::Value = serde_json::from_slice(run_stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON summary ({e}): {}",
            String::from_utf8_lossy(run_stdout)
        )
    });
    let id = summary["run_id"].as_str().unwrap();
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(format!("_ccetl/runs/{id}.json"))).unwrap())
            .unwrap();
    record["slices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["source"].as_str().unwrap().to_string(),
                s["tenant"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shards_write_disjoint_sources_at_once_and_together_a_single_run() {
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    // Slow answers, so the two shards' runs overlap.
    sim.inject(Fault {
        path: "/api/v2/analytics".into(),
        kind: FaultKind::Delay { ms: 300 },
        count: 10_000,
    });
    let setup = Setup::new(&sim, "");
    four_tenants(&setup);
    let day = ["--from", "2026-11-18", "--to", "2026-11-18"];
    let args = |shard: &str| -> Vec<String> {
        let mut a: Vec<String> = ["--log-format", "json", "backfill"]
            .iter()
            .chain(day.iter())
            .chain(["--dataset", "queue_intervals,agents"].iter())
            .map(|s| s.to_string())
            .collect();
        if !shard.is_empty() {
            a.extend(["--shard".to_string(), shard.to_string()]);
        }
        a
    };
    // The assignment, as --dry-run shows it.
    let mut dry = vec!["backfill", "--dry-run", "--shard", "1/2"];
    dry.extend(day);
    let shown = setup.run(&dry).await;
    assert_eq!(shown.status.code(), Some(0), "{}", text(&shown));
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("shard 1/2: genesys.west, cxone.west"),
        "{}",
        text(&shown)
    );
    let (a0, a1) = (args("0/2"), args("1/2"));
    let first = setup.spawn(&refs(&a0));
    let second = setup.spawn(&refs(&a1));
    let (first, second) = (wait_for(first).await, wait_for(second).await);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    let pair = |s: &str, t: &str| (s.to_string(), t.to_string());
    assert_eq!(
        sources_of(&setup.out(), &first.stdout),
        [pair("cxone", "demo"), pair("genesys", "demo")].into()
    );
    assert_eq!(
        sources_of(&setup.out(), &second.stdout),
        [pair("cxone", "west"), pair("genesys", "west")].into()
    );
    // One run of everything, elsewhere: the same rows.
    let single_out = setup.out().with_file_name("single");
    let everything = args("");
    let mut single = refs(&everything);
    single.extend(["--output", single_out.to_str().unwrap()]);
    let all = setup.run(&single).await;
    assert_eq!(all.status.code(), Some(0), "{}", text(&all));
    assert_eq!(sources_of(&single_out, &all.stdout).len(), 4);
    assert_same_rows(&setup.out(), &single_out, "two shards vs one run");
    // A shard with a bad index is a usage error.
    let mut bad = vec!["backfill", "--shard", "2/2"];
    bad.extend(day);
    let refused = setup.run(&bad).await;
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("K/N with 0 <= K < N"),
        "{}",
        text(&refused)
    );
}
