//! Shared helpers: a simulator, a plan against it, Parquet reading, and an independent
//! recomputation of the truth from the generator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use arrow_array::{
    Array, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use ccetl::http::ApiClientSettings;
use ccetl::pipeline::{self, NoProgress, RunSummary};
use ccetl::plan::{Plan, SourcePlan, WriteMode, day_interval};
use ccetl::sim::generator::Generator;
use ccetl::sim::{SimConfig, Simulator};
use ccetl::sources::genesys::details::DetailsSettings;
use ccetl::sources::genesys::queries::GenesysQueries;
use ccetl::sources::genesys::{GenesysAuth, GenesysSettings};
use ccetl::transform::Dataset;
use ccetl::transform::{PersonalData, Pseudonymizer};
use ccetl::transport::parse_base_url;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::process::{Child, Output, Stdio};

/// The Python of a virtual environment `.ci/run` makes (`target/py/<venv>`): `None` when it is
/// missing (the test says so and skips), a failure on CI, where it must be there.
pub fn python(venv: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/py")
        .join(venv)
        .join("bin/python");
    if path.exists() {
        Some(path)
    } else if std::env::var_os("CI").is_some() {
        panic!("{} is missing on CI; .ci/run creates it", path.display());
    } else {
        None
    }
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

pub fn dates(from: &str, to: &str) -> Vec<NaiveDate> {
    let (from, to) = (date(from), date(to));
    from.iter_days().take_while(|d| *d <= to).collect()
}

pub async fn sim(config: SimConfig) -> Simulator {
    Simulator::start(config).await.expect("simulator starts")
}

/// Fast retries for tests: the delays under test come from Retry-After, not from backoff.
pub fn fast_http() -> ApiClientSettings {
    ApiClientSettings {
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        max_retry_elapsed: Duration::from_secs(30),
        requests_per_minute: std::num::NonZeroU32::new(60_000).unwrap(),
        burst: std::num::NonZeroU32::new(200).unwrap(),
        ..ApiClientSettings::default()
    }
}

pub fn settings(sim: &Simulator, http: ApiClientSettings) -> GenesysSettings {
    let base = parse_base_url(&sim.base_url()).expect("url");
    GenesysSettings {
        login_base: base.clone(),
        api_base: base,
        auth: GenesysAuth::ClientCredentials {
            client_id: sim.config().client_id.clone(),
            client_secret: sim.config().client_secret.clone().into(),
        },
        http,
        settle: Duration::from_secs(7200),
        queries: GenesysQueries::load(None).expect("queries"),
        details: DetailsSettings {
            job_poll_initial: Duration::from_millis(50),
            job_poll_max: Duration::from_millis(200),
            ..DetailsSettings::default()
        },
        entity_page_size: 100,
        aggregates_max_days: 1,
    }
}

pub fn cxone_settings(sim: &Simulator, version: &str) -> ccetl::sources::cxone::CxoneSettings {
    ccetl::sources::cxone::CxoneSettings {
        discovery_base: parse_base_url(&sim.base_url()).expect("url"),
        api_base: None,
        auth: ccetl::sources::cxone::CxoneAuth::AccessKey {
            client_id: sim.config().client_id.clone(),
            client_secret: sim.config().client_secret.clone().into(),
            access_key_id: sim.config().cxone_access_key_id.clone(),
            access_key_secret: sim.config().cxone_access_key_secret.clone().into(),
        },
        api_version: version.into(),
        interval: Duration::from_secs(1800),
        contacts_page_size: 250,
        entity_page_size: 100,
        http: fast_http(),
        settle: Duration::from_secs(7200),
    }
}

pub fn plan_cxone(
    settings: ccetl::sources::cxone::CxoneSettings,
    out: &Path,
    days: Vec<NaiveDate>,
    datasets: Vec<Dataset>,
) -> Plan {
    Plan {
        concurrency: 2,
        privacy: pseudonymizer(),
        ..Plan::new(
            vec![SourcePlan::new("test", settings, Tz::UTC, datasets, days)],
            out,
        )
    }
}

pub const PSEUDONYMIZE_KEY: &str = "integration-test-pseudonymisation-key";

pub fn pseudonymizer() -> Pseudonymizer {
    Pseudonymizer::new(
        PersonalData::Pseudonymize,
        Some(PSEUDONYMIZE_KEY.to_string().into()),
    )
    .expect("key")
}

pub fn plan(
    sim: &Simulator,
    out: &Path,
    days: Vec<NaiveDate>,
    tz: Tz,
    http: ApiClientSettings,
    concurrency: usize,
    mode: WriteMode,
) -> Plan {
    plan_for(
        settings(sim, http),
        out,
        days,
        tz,
        concurrency,
        mode,
        vec![Dataset::QueueIntervals],
    )
}

pub fn plan_for(
    settings: GenesysSettings,
    out: &Path,
    days: Vec<NaiveDate>,
    tz: Tz,
    concurrency: usize,
    mode: WriteMode,
    datasets: Vec<Dataset>,
) -> Plan {
    Plan {
        concurrency,
        write_mode: mode,
        privacy: pseudonymizer(),
        ..Plan::new(
            vec![SourcePlan::new("test", settings, tz, datasets, days)],
            out,
        )
    }
}

pub async fn run(plan: Plan) -> RunSummary {
    pipeline::run(plan, &NoProgress)
        .await
        .expect("run completes")
}

/// One row of `queue_intervals`, as the tests compare it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub offered: i64,
    pub transferred: i64,
    /// Per duration metric (answer, abandon, wait, talk, hold, acw, handle): count, sum, min, max (seconds).
    pub durations: Vec<(i64, f64, Option<f64>, Option<f64>)>,
}

pub const DURATIONS: [&str; 7] = ["answer", "abandon", "wait", "talk", "hold", "acw", "handle"];

/// Key: (date, interval start, queue id, media type).
pub type Table = BTreeMap<(NaiveDate, DateTime<Utc>, String, String), QueueRow>;

pub fn partition_dir(out: &Path, tenant: &str, day: NaiveDate) -> PathBuf {
    dataset_dir(out, "queue_intervals", tenant, day)
}

pub fn dataset_dir(out: &Path, dataset: &str, tenant: &str, day: NaiveDate) -> PathBuf {
    out.join(dataset)
        .join("source=genesys")
        .join(format!("tenant={tenant}"))
        .join(format!("date={day}"))
}

fn col<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> &'a T {
    batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"))
        .as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("type of {name}"))
}

/// Reads every partition of the given days into one table (panics on duplicate keys).
pub fn read_queue_intervals(out: &Path, tenant: &str, days: &[NaiveDate]) -> Table {
    let mut table = Table::new();
    for day in days {
        let file = partition_dir(out, tenant, *day).join("part-00000.zstd.parquet");
        let reader = ParquetRecordBatchReaderBuilder::try_new(
            std::fs::File::open(&file).expect("partition file"),
        )
        .expect("parquet")
        .build()
        .expect("reader");
        for batch in reader {
            let batch = batch.expect("batch");
            let start = col::<TimestampMicrosecondArray>(&batch, "interval_start");
            let queue = col::<StringArray>(&batch, "queue_id");
            let media = col::<StringArray>(&batch, "media_type");
            let offered = col::<Int64Array>(&batch, "offered");
            let transferred = col::<Int64Array>(&batch, "transferred");
            for i in 0..batch.num_rows() {
                let durations = DURATIONS
                    .iter()
                    .map(|d| {
                        let count = col::<Int64Array>(&batch, &format!("{d}_count")).value(i);
                        let sum = col::<Float64Array>(&batch, &format!("{d}_seconds_sum")).value(i);
                        let min = col::<Float64Array>(&batch, &format!("{d}_seconds_min"));
                        let max = col::<Float64Array>(&batch, &format!("{d}_seconds_max"));
                        (
                            count,
                            sum,
                            (!min.is_null(i)).then(|| min.value(i)),
                            (!max.is_null(i)).then(|| max.value(i)),
                        )
                    })
                    .collect();
                let key = (
                    *day,
                    DateTime::from_timestamp_micros(start.value(i)).expect("timestamp"),
                    queue.value(i).to_string(),
                    media.value(i).to_string(),
                );
                let row = QueueRow {
                    offered: offered.value(i),
                    transferred: transferred.value(i),
                    durations,
                };
                assert!(
                    table.insert(key.clone(), row).is_none(),
                    "duplicate row {key:?}"
                );
            }
        }
    }
    table
}

/// The truth, recomputed from the generator without the simulator's aggregation code: every
/// conversation counted in the 30-minute interval of its start, grouped by queue and media type.
pub fn truth(generator: &Generator, days: &[NaiveDate], tz: Tz) -> Table {
    #[derive(Default)]
    struct Acc {
        offered: i64,
        transferred: i64,
        d: [(i64, u64, Option<u64>, Option<u64>); 7],
    }
    let mut accs: BTreeMap<(NaiveDate, DateTime<Utc>, String, String), Acc> = BTreeMap::new();
    for day in days {
        let (start, end) = day_interval(*day, tz);
        for c in generator.conversations_between(start, end) {
            let bucket = (c.start - start).num_milliseconds() / 1_800_000;
            let bucket_start = start + chrono::Duration::milliseconds(bucket * 1_800_000);
            let key = (
                *day,
                bucket_start,
                generator.org().queues[c.queue].id.clone(),
                c.media_type.to_string(),
            );
            let acc = accs.entry(key).or_default();
            acc.offered += 1;
            acc.transferred += i64::from(c.transferred);
            let answered = c.agent.is_some();
            let observations = [
                answered.then_some(c.wait_ms),
                c.abandoned.then_some(c.wait_ms),
                Some(c.wait_ms),
                answered.then_some(c.talk_ms),
                (answered && c.hold_ms > 0).then_some(c.hold_ms),
                (answered && c.acw_ms > 0).then_some(c.acw_ms),
                answered.then_some(c.talk_ms + c.hold_ms + c.acw_ms),
            ];
            for (slot, obs) in acc.d.iter_mut().zip(observations) {
                if let Some(ms) = obs {
                    slot.0 += 1;
                    slot.1 += ms;
                    slot.2 = Some(slot.2.map_or(ms, |m| m.min(ms)));
                    slot.3 = Some(slot.3.map_or(ms, |m| m.max(ms)));
                }
            }
        }
    }
    accs.into_iter()
        .map(|(k, a)| {
            let durations =
                a.d.iter()
                    .map(|(count, sum, min, max)| {
                        (
                            *count,
                            *sum as f64 / 1000.0,
                            min.map(|m| m as f64 / 1000.0),
                            max.map(|m| m as f64 / 1000.0),
                        )
                    })
                    .collect();
            (
                k,
                QueueRow {
                    offered: a.offered,
                    transferred: a.transferred,
                    durations,
                },
            )
        })
        .collect()
}

/// Compares two tables key by key and number by number, reporting the first differences.
pub fn assert_tables_equal(landed: &Table, expected: &Table) {
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !landed.contains_key(*k))
        .take(5)
        .collect();
    let extra: Vec<_> = landed
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .take(5)
        .collect();
    assert!(missing.is_empty(), "rows missing from Parquet: {missing:?}");
    assert!(
        extra.is_empty(),
        "rows in Parquet that the simulator never served: {extra:?}"
    );
    for (key, want) in expected {
        assert_eq!(&landed[key], want, "row {key:?}");
    }
}

/// Every row of every dataset under `root`, as text (partition path, then every column but the
/// run's stamp `_run_id`, `_extracted_at`), sorted: two outputs hold the same data exactly when
/// these are equal.
pub fn all_rows(root: &Path) -> BTreeMap<String, Vec<String>> {
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    files(&path, out);
                } else if path.extension().is_some_and(|e| e == "parquet") {
                    out.push(path);
                }
            }
        }
    }
    fn cell(array: &dyn Array, i: usize) -> String {
        use arrow_array::BooleanArray;
        if array.is_null(i) {
            return "∅".into();
        }
        let any = array.as_any();
        if let Some(a) = any.downcast_ref::<StringArray>() {
            format!("{:?}", a.value(i))
        } else if let Some(a) = any.downcast_ref::<Int64Array>() {
            a.value(i).to_string()
        } else if let Some(a) = any.downcast_ref::<Float64Array>() {
            format!("{:?}", a.value(i))
        } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
            a.value(i).to_string()
        } else if let Some(a) = any.downcast_ref::<TimestampMicrosecondArray>() {
            a.value(i).to_string()
        } else {
            panic!(
                "a column type the comparison does not know: {:?}",
                array.data_type()
            )
        }
    }
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return out;
    };
    for dataset in entries.flatten() {
        let name = dataset.file_name().to_string_lossy().to_string();
        if name.starts_with('_') || !dataset.path().is_dir() {
            continue;
        }
        let mut found = Vec::new();
        files(&dataset.path(), &mut found);
        let mut rows = Vec::new();
        for file in found {
            let partition = file
                .parent()
                .and_then(|p| p.strip_prefix(dataset.path()).ok())
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let reader =
                ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).unwrap())
                    .unwrap()
                    .build()
                    .unwrap();
            for batch in reader {
                let batch = batch.unwrap();
                for i in 0..batch.num_rows() {
                    let mut row = partition.clone();
                    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                        // The run's stamp differs from run to run by design; the data may not.
                        if field.name().starts_with('_') {
                            continue;
                        }
                        row.push_str(&format!(" {}={}", field.name(), cell(column.as_ref(), i)));
                    }
                    rows.push(row);
                }
            }
        }
        rows.sort();
        out.insert(name, rows);
    }
    out
}

/// Asserts two outputs hold the same rows, naming the first differences.
pub fn assert_same_rows(landed: &Path, expected: &Path, context: &str) {
    let (a, b) = (all_rows(landed), all_rows(expected));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "datasets differ ({context})"
    );
    for (dataset, rows) in &b {
        let got = &a[dataset];
        if got != rows {
            let missing: Vec<_> = rows.iter().filter(|r| !got.contains(r)).take(2).collect();
            let extra: Vec<_> = got.iter().filter(|r| !rows.contains(r)).take(2).collect();
            panic!(
                "{dataset}: {} rows landed, {} expected ({context}); missing {missing:?}; unexpected {extra:?}",
                got.len(),
                rows.len()
            );
        }
        assert!(!rows.is_empty(), "{dataset} is empty ({context})");
    }
}

/// A configuration for the simulator's Genesys org and CXone tenant (both tenant `demo`), with
/// `extra` appended, in a folder of its own.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Setup {
    pub fn new(sim: &Simulator, extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let client = sim.client_config("demo", 60_000, &dir.path().join("out"));
        let config = dir.path().join("ccetl.toml");
        std::fs::write(&config, format!("{}\n{extra}", client.toml)).unwrap();
        Self {
            dir,
            config,
            env: client.env,
        }
    }

    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd =
            <std::process::Command as assert_cmd::cargo::CommandCargoExt>::cargo_bin("ccetl")
                .unwrap();
        cmd.current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .env_remove("CCETL_CONFIG")
            .env_remove("CCETL_OUTPUT")
            .env_remove("CCETL_LOG_FORMAT")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .arg("--config")
            .arg(&self.config)
            .args(args);
        cmd
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = self.command(args);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    }
}

/// stdout and stderr of a finished command, for messages.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The `columns` of every row of a partition folder's data file, as text (`∅` for null).
pub fn read_rows(partition: &Path, columns: &[&str]) -> Vec<Vec<String>> {
    use arrow_array::BooleanArray;
    let file = std::fs::File::open(partition.join("part-00000.zstd.parquet"))
        .unwrap_or_else(|e| panic!("{}: {e}", partition.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        for i in 0..batch.num_rows() {
            let row = columns
                .iter()
                .map(|name| {
                    let column = batch
                        .column_by_name(name)
                        .unwrap_or_else(|| panic!("no column {name}"));
                    let any = column.as_any();
                    if column.is_null(i) {
                        "∅".to_string()
                    } else if let Some(a) = any.downcast_ref::<StringArray>() {
                        a.value(i).to_string()
                    } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
                        a.value(i).to_string()
                    } else if let Some(a) = any.downcast_ref::<Int64Array>() {
                        a.value(i).to_string()
                    } else if let Some(a) = any.downcast_ref::<Float64Array>() {
                        format!("{:?}", a.value(i))
                    } else if let Some(a) = any.downcast_ref::<TimestampMicrosecondArray>() {
                        a.value(i).to_string()
                    } else {
                        panic!("{name}: a type read_rows does not print")
                    }
                })
                .collect();
            rows.push(row);
        }
    }
    rows
}

/// Runs `ccetl -q demo --days <days> --output <root>` (the real binary) and checks it exits 0;
/// its output.
pub async fn run_demo(root: &Path, days: u32) -> Output {
    use assert_cmd::cargo::CommandCargoExt;
    let mut demo = std::process::Command::cargo_bin("ccetl").unwrap();
    demo.args(["-q", "demo", "--days", &days.to_string(), "--output"])
        .arg(root)
        .env_remove("RUST_LOG");
    let output = tokio::task::spawn_blocking(move || demo.output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Waits for a spawned command; its output.
pub async fn wait_for(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

/// A configuration of four tenants: the simulator's `demo` of both vendors, and a `west` copy of
/// each.
pub fn four_tenants(setup: &Setup) {
    let text = std::fs::read_to_string(&setup.config).unwrap();
    let mut copies = String::new();
    for vendor in ["genesys", "cxone"] {
        let header = format!("[{vendor}.demo]");
        let start = text
            .find(&header)
            .unwrap_or_else(|| panic!("no {header}: {text}"));
        let body = &text[start + header.len()..];
        let end = body.find("\n[").map_or(body.len(), |i| i + 1);
        copies.push_str(&format!("\n[{vendor}.west]{}", &body[..end]));
    }
    std::fs::write(&setup.config, format!("{text}\n{copies}")).unwrap();
}

/// Owned arguments as the `&str`s `Setup::run` takes.
pub fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}
