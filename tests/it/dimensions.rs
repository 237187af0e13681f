//! The dimension datasets: every id the facts carry has a name, the lists land whole (inactive
//! and deleted entities included) however they page, and a snapshot is the day's.

use std::collections::BTreeSet;
use std::process::Command;

use ccetl::plan::WriteMode;
use ccetl::sim::SimConfig;
use ccetl::sim::directory::Directory;
use ccetl::sim::generator::Generator;
use ccetl::transform::Dataset;
use chrono_tz::Tz;

use super::util::*;

const DIMENSIONS: [Dataset; 7] = [
    Dataset::Queues,
    Dataset::Agents,
    Dataset::WrapupCodes,
    Dataset::Skills,
    Dataset::Teams,
    Dataset::Divisions,
    Dataset::PresenceDefinitions,
];

/// Runs a Python script with DuckDB over `root`; its stdout as JSON.
fn duckdb_json(python: &std::path::Path, script: &str) -> serde_json::Value {
    let output = Command::new(python).args(["-c", script]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_id_in_the_demo_facts_joins_to_a_name() {
    let Some(python) = python("current") else {
        eprintln!("skipped: target/py/current is missing (bash .ci/run makes it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("out");
    let output = run_demo(&root, 2).await;
    // The query the demo prints (README's first DuckDB example) shows names, not ids.
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let printed = stdout.lines().last().unwrap_or_default();
    let command = printed
        .strip_prefix("python3 ")
        .unwrap_or_else(|| panic!("the demo's last line is not the query: {printed}"));
    let shown = Command::new("sh")
        .arg("-c")
        .arg(format!("{} {command}", python.display()))
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&shown.stdout).to_string();
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let org = Generator::new(SimConfig::default().seed);
    let queue_names = org
        .org()
        .queues
        .iter()
        .filter(|q| table.contains(q.name))
        .count();
    let agent_names = org
        .org()
        .agents
        .iter()
        .filter(|a| table.contains(&format!(" {} ", a.name)))
        .count();
    assert!(queue_names > 0 && agent_names > 0, "{table}");
    assert!(
        !org.org().agents.iter().any(|a| table.contains(&a.id[..8])),
        "ids in the table: {table}"
    );
    // (fact, id column, dimension): the anti-join of each, per vendor, and how many ids it checked.
    let script = format!(
        r#"
import duckdb, json
con = duckdb.connect()
def r(d):
    return f"read_parquet('{root}/{{d}}/**/*.parquet', hive_partitioning = true)"
checks = [
    ("contacts", "first_queue_id", "queues"), ("contacts", "last_agent_id", "agents"),
    ("contacts", "wrap_up_code", "wrapup_codes"), ("queue_intervals", "queue_id", "queues"),
    ("agent_intervals", "user_id", "agents"), ("metrics", "queue_id", "queues"),
    ("metrics", "user_id", "agents"), ("agent_status", "user_id", "agents"),
    ("agent_status", "organization_presence_id", "presence_definitions"),
    ("contact_segments", "queue_id", "queues"), ("contact_segments", "user_id", "agents"),
    ("contact_segments", "wrap_up_code", "wrapup_codes"),
]
out = {{}}
for fact, column, dim in checks:
    ids = f"SELECT DISTINCT source, tenant, {{column}} AS id FROM {{r(fact)}} WHERE {{column}} IS NOT NULL"
    rows = con.execute(f"SELECT f.source, count(*), count(d.id) FROM ({{ids}}) f LEFT JOIN (SELECT DISTINCT source, tenant, id FROM {{r(dim)}}) d USING (source, tenant, id) GROUP BY ALL").fetchall()
    for source, checked, named in rows:
        out[f"{{source}} {{fact}}.{{column}}"] = [checked, named]
presence = f"SELECT DISTINCT source, tenant, unnest(json_keys(extra -> 'organization_presence_seconds')) AS id FROM {{r('agent_intervals')}} WHERE extra IS NOT NULL"
for source, checked, named in con.execute(f"SELECT f.source, count(*), count(d.id) FROM ({{presence}}) f LEFT JOIN {{r('presence_definitions')}} d USING (source, tenant, id) GROUP BY ALL").fetchall():
    out[f"{{source}} agent_intervals.organization_presence"] = [checked, named]
print(json.dumps(out))
"#,
        root = root.display()
    );
    let joins = duckdb_json(&python, &script);
    let joins = joins.as_object().unwrap();
    let expected: BTreeSet<&str> = [
        "genesys contacts.first_queue_id",
        "genesys contacts.last_agent_id",
        "genesys contacts.wrap_up_code",
        "genesys queue_intervals.queue_id",
        "genesys agent_intervals.user_id",
        "genesys metrics.queue_id",
        "genesys agent_intervals.organization_presence",
        "cxone contacts.first_queue_id",
        "cxone contacts.last_agent_id",
        "cxone contacts.wrap_up_code",
        "cxone queue_intervals.queue_id",
        "cxone agent_intervals.user_id",
        "genesys agent_status.user_id",
        "genesys agent_status.organization_presence_id",
        "cxone agent_status.user_id",
        "cxone agent_status.organization_presence_id",
        "genesys contact_segments.queue_id",
        "genesys contact_segments.user_id",
        "genesys contact_segments.wrap_up_code",
        "cxone contact_segments.queue_id",
        "cxone contact_segments.user_id",
    ]
    .into_iter()
    .collect();
    for check in &expected {
        let Some(counts) = joins.get(*check) else {
            panic!("{check}: no ids to check; got {joins:?}");
        };
        let (checked, named) = (counts[0].as_u64().unwrap(), counts[1].as_u64().unwrap());
        assert!(checked > 0, "{check}: no ids");
        assert_eq!(named, checked, "{check}: ids without a name");
    }
    for (check, counts) in joins {
        assert_eq!(counts[0], counts[1], "{check}: ids without a name");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lists_land_whole_however_small_the_pages() {
    let sim = sim(SimConfig {
        seed: 42,
        ..SimConfig::default()
    })
    .await;
    let truth = Directory::new(&Generator::new(42));
    let out = tempfile::tempdir().unwrap();
    let mut settings = settings(&sim, fast_http());
    // Two a page: every list pages (and teams follow their cursor).
    settings.entity_page_size = 2;
    let plan = plan_for(
        settings,
        out.path(),
        dates("2026-11-10", "2026-11-11"),
        Tz::UTC,
        2,
        WriteMode::Replace,
        DIMENSIONS.to_vec(),
    );
    let today = chrono::Utc::now().date_naive();
    let slices = &plan.sources[0].slices;
    assert_eq!(
        slices.len(),
        DIMENSIONS.len(),
        "one slice per list: {slices:?}"
    );
    assert!(slices.iter().all(|(_, d)| *d == today), "{slices:?}");
    let summary = run(plan).await;
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert_eq!(summary.written, 7);
    let read = |dataset: &str, columns: &[&str]| -> Vec<Vec<String>> {
        read_rows(&dataset_dir(out.path(), dataset, "test", today), columns)
    };
    let mut agents = read("agents", &["id", "name", "state"]);
    agents.sort();
    let mut want: Vec<Vec<String>> = truth
        .users
        .iter()
        .map(|u| {
            vec![
                u.entity.id.clone(),
                u.entity.name.clone(),
                u.entity.state.to_string(),
            ]
        })
        .collect();
    want.sort();
    assert_eq!(agents, want, "users with state=any, every page");
    let count = |dataset: &str| read(dataset, &["id"]).len();
    assert_eq!(count("queues"), truth.queues.len());
    assert_eq!(count("skills"), truth.skills.len());
    assert_eq!(count("divisions"), truth.divisions.len());
    assert_eq!(count("presence_definitions"), truth.presences.len());
    // Teams and wrap-up codes have no state in Genesys: what is retired is not listed.
    let active = |list: &[ccetl::sim::directory::Entity]| {
        list.iter().filter(|e| e.state == "active").count()
    };
    assert_eq!(count("teams"), active(&truth.teams));
    // The org's codes, and the two Genesys sets itself.
    assert_eq!(count("wrapup_codes"), active(&truth.wrap_up_codes) + 2);
    // Pages: ceil(n / 2) per paged list; presence definitions twice, unpaged.
    let requests = sim.requests();
    let pages = |path: &str| requests.iter().filter(|r| r.path == path).count();
    assert_eq!(pages("/api/v2/users"), truth.users.len().div_ceil(2));
    assert_eq!(pages("/api/v2/teams"), active(&truth.teams).div_ceil(2));
    assert_eq!(pages("/api/v2/presence/definitions"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cxone_lists_page_by_skip_and_keep_inactive_entities() {
    let sim = sim(SimConfig::default()).await;
    let truth = Directory::new(&Generator::new(
        SimConfig::default().seed ^ ccetl::sim::cxone::CXONE_SEED_XOR,
    ));
    let out = tempfile::tempdir().unwrap();
    let mut settings = cxone_settings(&sim, "v31.0");
    settings.entity_page_size = 5;
    let datasets = vec![
        Dataset::Queues,
        Dataset::Agents,
        Dataset::WrapupCodes,
        Dataset::Teams,
        Dataset::PresenceDefinitions,
    ];
    let summary = run(plan_cxone(
        settings,
        out.path(),
        dates("2026-11-10", "2026-11-10"),
        datasets,
    ))
    .await;
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert_eq!(summary.written, 5);
    let today = chrono::Utc::now().date_naive();
    let dir = |d: &str| {
        out.path()
            .join(d)
            .join("source=cxone/tenant=test")
            .join(format!("date={today}"))
    };
    let mut agents = read_rows(&dir("agents"), &["id", "state"]);
    agents.sort();
    let mut want: Vec<Vec<String>> = truth
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            vec![
                ccetl::sim::cxone::agent_id(i).to_string(),
                // CXone deactivates; it deletes nobody.
                if u.entity.state == "active" {
                    "active"
                } else {
                    "inactive"
                }
                .to_string(),
            ]
        })
        .collect();
    want.sort();
    assert_eq!(agents, want);
    // A skill per queue and media type, the retired queue's inactive.
    let queues = read_rows(&dir("queues"), &["id", "active"]);
    assert_eq!(queues.len(), truth.queues.len() * 4);
    assert_eq!(queues.iter().filter(|r| r[1] == "false").count(), 4);
    assert_eq!(read_rows(&dir("teams"), &["id"]).len(), truth.teams.len());
    assert_eq!(
        read_rows(&dir("wrapup_codes"), &["id"]).len(),
        truth.wrap_up_codes.len()
    );
    let requests = sim.requests();
    let agent_pages = requests
        .iter()
        .filter(|r| r.path.ends_with("/agents"))
        .count();
    // ceil(27 / 5) pages; the last is short, so no request past the end.
    assert_eq!(agent_pages, truth.users.len().div_ceil(5));
}
