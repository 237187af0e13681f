//! Object storage: ccetl writes to an S3-compatible server (moto, started here on 127.0.0.1 with
//! an OS-assigned port, from the virtual environment `.ci/run` makes: `target/py/store`) what it
//! writes to a local folder, with the same guarantees: partitions replaced whole, a lock per
//! source that a killed run holds only until its lease runs out, resume, and shards. What lands
//! is read back by boto3 (a copy compared row by row with a local run), by DuckDB's httpfs and by
//! pyarrow's S3 filesystem.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ccetl::sim::{Fault, FaultKind, SimConfig};

use super::util::*;

const BUCKET: &str = "warehouse";

/// A moto S3 server with one bucket, stopped when dropped.
struct MotoS3 {
    child: Child,
    python: PathBuf,
    endpoint: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/store/servers.py")
}

impl MotoS3 {
    /// `None` (the test skips) off CI when the venv is missing; on CI its absence fails.
    fn start() -> Option<Self> {
        let Some(python) = python("store") else {
            eprintln!("skipped: target/py/store is missing (bash .ci/run makes it)");
            return None;
        };
        let mut child = Command::new(&python)
            .arg(script())
            .args(["serve", BUCKET])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("moto starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("moto prints its port");
        let port: u16 = line
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("moto said {line:?}"));
        Some(Self {
            child,
            python,
            endpoint: format!("http://127.0.0.1:{port}"),
        })
    }

    /// The standard AWS environment pointing at this server.
    fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn python(&self, args: &[&str]) -> String {
        let output = Command::new(&self.python)
            .arg(script())
            .args(args)
            .output()
            .expect("python runs");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Copies everything under `url` into a fresh folder (boto3), returning it.
    fn mirror(&self, url: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        self.python(&["mirror", &self.endpoint, url, dir.path().to_str().unwrap()]);
        dir
    }

    /// Rows, dates and column sums per dataset, as DuckDB's httpfs reads them from `url`.
    fn duckdb(&self, url: &str, datasets: &str) -> serde_json::Value {
        serde_json::from_str(&self.python(&["duckdb", &self.endpoint, url, datasets])).unwrap()
    }

    /// The same digest of a local output, by the same DuckDB.
    fn duckdb_local(&self, root: &Path, datasets: &str) -> serde_json::Value {
        serde_json::from_str(&self.python(&["duckdb-local", root.to_str().unwrap(), datasets]))
            .unwrap()
    }

    fn pyarrow(&self, url: &str, datasets: &str) -> serde_json::Value {
        serde_json::from_str(&self.python(&["pyarrow", &self.endpoint, url, datasets])).unwrap()
    }
}

impl Drop for MotoS3 {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.write_all(b"");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file under `root`, relative, sorted.
fn files(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, found: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), root, found);
            } else {
                found.push(
                    e.path()
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    let mut found = Vec::new();
    walk(root, root, &mut found);
    found.sort();
    found
}

/// The datasets (top-level folders but `_ccetl`) of a local output.
fn datasets_in(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "_ccetl")
        .collect();
    names.sort();
    names
}

/// What a copy of a store output must be: partition folders holding exactly their data file and
/// `_SUCCESS`, a manifest (with the object's ETag) per partition, run records, and nothing else
/// (no temporary object, no lock left).
fn assert_store_layout(copy: &Path) -> usize {
    let mut partitions = 0;
    let mut manifests = BTreeSet::new();
    let mut folders = BTreeSet::new();
    for name in files(copy) {
        if let Some(manifest) = name.strip_prefix("_ccetl/manifests/") {
            let text = std::fs::read_to_string(copy.join(&name)).unwrap();
            let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(
                parsed["etag"].as_str().is_some_and(|e| !e.is_empty()),
                "{name}: {text}"
            );
            manifests.insert(manifest.trim_end_matches(".json").to_string());
        } else if name.starts_with("_ccetl/runs/") {
            assert!(name.ends_with(".json"), "{name}");
        } else {
            assert!(!name.starts_with("_ccetl/"), "left behind: {name}");
            let (folder, file) = name.rsplit_once('/').unwrap();
            assert!(
                file == "_SUCCESS" || file == "part-00000.zstd.parquet",
                "{name}"
            );
            if file == "_SUCCESS" {
                partitions += 1;
                assert!(
                    copy.join(folder).join("part-00000.zstd.parquet").is_file(),
                    "{folder}"
                );
            }
            folders.insert(folder.to_string());
        }
    }
    assert_eq!(folders, manifests, "one manifest per partition");
    assert_eq!(
        partitions,
        folders.len(),
        "every partition is marked complete"
    );
    partitions
}

fn with_env(mut setup_env: Vec<(String, String)>, moto: &MotoS3) -> Vec<(String, String)> {
    setup_env.extend(moto.env());
    setup_env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dataset_lands_on_s3_as_it_lands_locally_and_the_readers_read_it_there() {
    let Some(moto) = MotoS3::start() else {
        return;
    };
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    let mut setup = Setup::new(&sim, "");
    setup.env = with_env(setup.env.clone(), &moto);
    let url = format!("s3://{BUCKET}/ccetl/prod");
    // An old day (async jobs) and yesterday's neighbour (the query): every dataset.
    let days = ["backfill", "--from", "2026-11-17", "--to", "2026-11-18"];
    let local = setup.run(&days).await;
    assert_eq!(local.status.code(), Some(0), "{}", text(&local));
    let mut to_store = days.to_vec();
    to_store.extend(["--output", &url]);
    let stored = setup.run(&to_store).await;
    assert_eq!(stored.status.code(), Some(0), "{}", text(&stored));
    assert!(
        !setup.dir.path().join("s3:").exists(),
        "nothing lands in a local folder named after the URL"
    );

    let copy = moto.mirror(&url);
    let partitions = assert_store_layout(copy.path());
    let names = datasets_in(&setup.out());
    assert_eq!(names.len(), 13, "{names:?}");
    assert_eq!(datasets_in(copy.path()), names);
    assert_same_rows(copy.path(), &setup.out(), "s3 vs local");

    // DuckDB (httpfs, path-style endpoint) reads the bucket as it reads the local folder.
    let list = names.join(",");
    let from_s3 = moto.duckdb(&url, &list);
    let from_disk = moto.duckdb_local(&setup.out(), &list);
    assert_eq!(from_s3, from_disk);
    assert!(
        from_s3["contacts"]["rows"].as_f64().unwrap() > 100.0,
        "{from_s3}"
    );
    assert_eq!(
        from_s3["contacts"]["dates"].as_f64(),
        Some(2.0),
        "{from_s3}"
    );
    // pyarrow's S3 filesystem, another reader, counts the same rows.
    let arrow = moto.pyarrow(&url, &list);
    for name in &names {
        assert_eq!(arrow[name]["rows"], from_disk[name]["rows"], "{name}");
    }

    // `status` reads coverage from the store.
    let status = [
        "status",
        "--output",
        &url,
        "--from",
        "2026-11-17",
        "--to",
        "2026-11-18",
    ];
    let shown = setup.run(&status).await;
    let shown_text = text(&shown);
    assert!(
        shown_text.contains("genesys")
            && shown_text.contains("contacts")
            && shown_text.contains("snapshot of"),
        "{shown_text}"
    );
    assert!(!shown_text.contains("no snapshot yet"), "{shown_text}");

    // A re-run replaces every partition in place: the same objects, the same rows.
    let again = setup.run(&to_store).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let second = moto.mirror(&url);
    assert_eq!(assert_store_layout(second.path()), partitions);
    let without_runs = |root: &Path| -> Vec<String> {
        files(root)
            .into_iter()
            .filter(|n| !n.starts_with("_ccetl/runs/"))
            .collect()
    };
    assert_eq!(without_runs(second.path()), without_runs(copy.path()));
    assert_same_rows(second.path(), &setup.out(), "s3 re-run vs local");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_holds_its_s3_lock_until_the_lease_runs_out_then_a_resume_completes_it() {
    let Some(moto) = MotoS3::start() else {
        return;
    };
    let sim = sim(SimConfig {
        seed: 11,
        rate_limit: 100_000,
        job_ready_after: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await;
    let clean = Setup::new(&sim, "");
    let killed = Setup::new(&sim, "");
    // The store named in the file, its endpoint in [output.options] (no AWS_ENDPOINT_URL), and
    // a short lease.
    let url = format!("s3://{BUCKET}/killed");
    let text_of = std::fs::read_to_string(&killed.config).unwrap();
    let start = text_of.find("dir = ").unwrap();
    let end = start + text_of[start..].find('\n').unwrap();
    let replaced = format!(
        "{}url = \"{url}\"\nlock_lease_secs = 6\n\n[output.options]\naws_endpoint = \"{}\"\naws_allow_http = \"true\"\naws_access_key_id = \"test\"\naws_region = \"us-east-1\"\n{}",
        &text_of[..start],
        moto.endpoint,
        &text_of[end..]
    );
    std::fs::write(&killed.config, replaced).unwrap();
    let mut killed = killed;
    killed
        .env
        .push(("AWS_SECRET_ACCESS_KEY".to_string(), "test".to_string()));
    let args = [
        "backfill",
        "--from",
        "2026-11-08",
        "--to",
        "2026-11-10",
        "--resume",
    ];
    let reference = clean.run(&args).await;
    assert_eq!(reference.status.code(), Some(0), "{}", text(&reference));

    // Slow answers: the first run is still going when the second asks for the lock.
    sim.inject(Fault {
        path: "/api/v2/analytics".into(),
        kind: FaultKind::Delay { ms: 400 },
        count: 40,
    });
    let first = killed.spawn(&args);
    let lock_object = format!("{url}/_ccetl/locks/genesys.demo");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut committed = 0;
    while Instant::now() < deadline {
        let copy = moto.mirror(&url);
        let names = files(copy.path());
        committed = names.iter().filter(|n| n.ends_with("/_SUCCESS")).count();
        if names.iter().any(|n| n == "_ccetl/locks/genesys.demo") && committed >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        committed >= 3,
        "the first run committed {committed} partitions ({lock_object})"
    );
    let contender = killed.run(&args).await;
    assert_eq!(contender.status.code(), Some(5), "{}", text(&contender));
    assert!(
        text(&contender).contains("another ccetl run is writing")
            && text(&contender).contains(&url),
        "{}",
        text(&contender)
    );

    // Killed outright: its lock stays, and holds, until the lease runs out.
    let mut first = first;
    first.kill().unwrap();
    let _ = wait_for(first).await;
    // Its last renewal is at most 2 s old (a third of the 6 s lease): the lease runs at least
    // 4 s more, and this run asks at once.
    let killed_at = Instant::now();
    let early = killed.run(&args).await;
    assert_eq!(early.status.code(), Some(5), "{}", text(&early));
    assert!(text(&early).contains("running out"), "{}", text(&early));
    tokio::time::sleep(Duration::from_secs(7).saturating_sub(killed_at.elapsed())).await;
    let last = killed.run(&args).await;
    assert_eq!(last.status.code(), Some(0), "{}", text(&last));
    assert!(
        text(&last).contains("Took over a lock"),
        "the resume takes the dead run's lock over: {}",
        text(&last)
    );
    let summary = String::from_utf8_lossy(&last.stdout);
    assert!(
        !summary.contains("ccetl: 0 slices written") && !summary.contains(", 0 skipped,"),
        "the kill left work, and the resume skipped what was done: {summary}"
    );
    let copy = moto.mirror(&url);
    assert_store_layout(copy.path());
    assert_same_rows(
        copy.path(),
        &clean.out(),
        "killed and resumed on s3 vs uninterrupted",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shards_on_s3_write_disjoint_partitions_whose_union_is_a_single_run() {
    let Some(moto) = MotoS3::start() else {
        return;
    };
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    sim.inject(Fault {
        path: "/api/v2/analytics".into(),
        kind: FaultKind::Delay { ms: 200 },
        count: 10_000,
    });
    let mut setup = Setup::new(&sim, "");
    four_tenants(&setup);
    setup.env = with_env(setup.env.clone(), &moto);
    let url = format!("s3://{BUCKET}/shared");
    let args = |shard: &str, output: &str| -> Vec<String> {
        let mut a: Vec<String> = [
            "backfill",
            "--from",
            "2026-11-18",
            "--to",
            "2026-11-18",
            "--dataset",
            "queue_intervals,contacts,agents",
            "--output",
            output,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if !shard.is_empty() {
            a.extend(["--shard".to_string(), shard.to_string()]);
        }
        a
    };
    let (a0, a1) = (args("0/2", &url), args("1/2", &url));
    let first = setup.spawn(&refs(&a0));
    let second = setup.spawn(&refs(&a1));
    let (first, second) = (wait_for(first).await, wait_for(second).await);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    let single = setup.out();
    let all = setup.run(&refs(&args("", single.to_str().unwrap()))).await;
    assert_eq!(all.status.code(), Some(0), "{}", text(&all));

    let copy = moto.mirror(&url);
    assert_store_layout(copy.path());
    // Disjoint: each shard's run record names only its own tenants, and together all four.
    let mut seen = BTreeSet::new();
    for name in files(copy.path())
        .iter()
        .filter(|n| n.starts_with("_ccetl/runs/"))
    {
        let record: serde_json::Value =
            serde_json::from_slice(&std::fs::read(copy.path().join(name)).unwrap()).unwrap();
        let pairs: BTreeSet<String> = record["slices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                format!(
                    "{}.{}",
                    s["source"].as_str().unwrap(),
                    s["tenant"].as_str().unwrap()
                )
            })
            .collect();
        assert!(seen.is_disjoint(&pairs), "{seen:?} and {pairs:?}");
        seen.extend(pairs);
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_same_rows(copy.path(), &single, "two shards on s3 vs one local run");
}

#[test]
fn a_large_object_goes_to_s3_in_parts_and_lands_whole() {
    use ccetl::sink::StoreOutput;
    let Some(moto) = MotoS3::start() else {
        return;
    };
    let options: std::collections::BTreeMap<String, String> = [
        ("aws_endpoint", moto.endpoint.as_str()),
        ("aws_allow_http", "true"),
        ("aws_access_key_id", "test"),
        ("aws_secret_access_key", "test"),
        ("aws_region", "us-east-1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let url = format!("s3://{BUCKET}/parts");
    let store = StoreOutput::open(&url, &options).unwrap();
    // Two full parts and a short last one, written in the encoder's small pieces.
    let size = 2 * ccetl::sink::store::PART_SIZE + 123_457;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let data: Vec<u8> = (0..size)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect();
    let mut upload = store.upload("big/object.bin");
    for piece in data.chunks(64 * 1024) {
        upload.write_all(piece).unwrap();
    }
    let (bytes, _sha, etag) = upload.finish().unwrap();
    assert_eq!(bytes, size as u64);
    // S3 names a multipart object's ETag after its part count.
    let etag = etag.expect("an ETag");
    assert!(etag.trim_matches('"').ends_with("-3"), "{etag}");
    let copy = moto.mirror(&url);
    assert_eq!(
        std::fs::read(copy.path().join("big/object.bin")).unwrap(),
        data
    );
}

/// Azurite, the Azure Storage emulator (npm), blob service only, in memory, no telemetry;
/// stopped when dropped.
struct Azurite {
    child: Child,
    endpoint: String,
}

impl Azurite {
    fn start() -> Option<Self> {
        let bin = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/node/node_modules/.bin/azurite-blob");
        if !bin.exists() {
            if std::env::var_os("CI").is_some() {
                panic!("{} is missing on CI; .ci/run installs it", bin.display());
            }
            eprintln!(
                "skipped: {} is missing (bash .ci/run installs it)",
                bin.display()
            );
            return None;
        }
        let mut child = Command::new(bin)
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                "0",
                "--inMemoryPersistence",
                "--disableTelemetry",
                // The Python Azure SDK (the reader here) speaks a newer API version than Azurite
                // knows; ccetl's object_store speaks an older one.
                "--skipApiVersionCheck",
                "--silent",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("azurite starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let endpoint = loop {
            let line = lines
                .next()
                .expect("azurite says where it listens")
                .expect("a line");
            if let Some(at) = line.find("listens on ") {
                break line[at + "listens on ".len()..].trim().to_string();
            }
        };
        // Keep reading its output so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Some(Self { child, endpoint })
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AZURE_STORAGE_USE_EMULATOR".into(), "true".into()),
            ("AZURITE_BLOB_STORAGE_URL".into(), self.endpoint.clone()),
        ]
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_azure_blob_storage_runs_contend_for_a_lock_and_land_what_a_local_run_lands() {
    let Some(moto) = MotoS3::start() else {
        return;
    };
    let Some(azurite) = Azurite::start() else {
        return;
    };
    // The Python of target/py/store has the Azure SDK: it makes the container and reads back.
    moto.python(&["az-container", &azurite.endpoint, "ccetl"]);
    let sim = sim(SimConfig {
        rate_limit: 100_000,
        ..SimConfig::default()
    })
    .await;
    let mut setup = Setup::new(&sim, "");
    let mut env = setup.env.clone();
    env.extend(azurite.env());
    setup.env = env;
    let url = "az://ccetl/prod";
    let args = |output: &str| -> Vec<String> {
        [
            "backfill",
            "--from",
            "2026-11-17",
            "--to",
            "2026-11-18",
            "--dataset",
            "queue_intervals,contacts,contact_segments,agents",
            "--output",
            output,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let local = setup.run(&refs(&args(setup.out().to_str().unwrap()))).await;
    assert_eq!(local.status.code(), Some(0), "{}", text(&local));

    sim.inject(Fault {
        path: "/api/v2/analytics".into(),
        kind: FaultKind::Delay { ms: 300 },
        count: 30,
    });
    let to_azure = args(url);
    let first = setup.spawn(&refs(&to_azure));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut locked = false;
    while Instant::now() < deadline && !locked {
        let copy = tempfile::tempdir().unwrap();
        moto.python(&[
            "az-mirror",
            &azurite.endpoint,
            url,
            copy.path().to_str().unwrap(),
        ]);
        locked = copy.path().join("_ccetl/locks/genesys.demo").is_file();
        if !locked {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert!(locked, "the first run's lock blob appeared");
    let second = setup.run(&refs(&to_azure)).await;
    assert_eq!(second.status.code(), Some(5), "{}", text(&second));
    assert!(text(&second).contains(url), "{}", text(&second));
    let first = wait_for(first).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));

    let copy = tempfile::tempdir().unwrap();
    moto.python(&[
        "az-mirror",
        &azurite.endpoint,
        url,
        copy.path().to_str().unwrap(),
    ]);
    assert_store_layout(copy.path());
    assert_same_rows(copy.path(), &setup.out(), "azure vs local");
    // The lock went with its run: the next one takes it at once.
    let again = setup.run(&refs(&to_azure)).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_be_read_fails_the_command_at_once_with_one_message() {
    let Some(moto) = MotoS3::start() else {
        return;
    };
    let sim = sim(SimConfig::default()).await;
    let mut setup = Setup::new(&sim, "");
    setup.env = with_env(setup.env.clone(), &moto);
    let url = "s3://no-such-bucket/ccetl";
    for args in [
        vec![
            "backfill",
            "--from",
            "2026-11-18",
            "--to",
            "2026-11-18",
            "--output",
            url,
        ],
        vec!["status", "--output", url],
    ] {
        let output = setup.run(&args).await;
        let said = text(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {said}");
        assert!(
            said.contains("cannot read the output s3://no-such-bucket/ccetl")
                && said.contains("check the store's credentials"),
            "{args:?}: {said}"
        );
        assert!(
            !said.contains("missing"),
            "no coverage read as empty: {said}"
        );
    }
    assert_eq!(sim.stats().api_requests, 0, "nothing was fetched");
    assert_eq!(sim.stats().token_requests, 0, "no token asked for");
    assert!(!setup.dir.path().join("s3:").exists());
}
