//! `ccetl demo`: the whole pipeline against the embedded simulator, with no configuration file.
//! It starts the simulator on an OS-assigned port, takes the configuration the simulator gives
//! for itself, backfills the last N days (ending yesterday, UTC) into `./output` through the same
//! planning and pipeline as `ccetl run`, and prints the summary and a DuckDB query that reads the
//! result.

use std::path::Path;

use chrono::{Days, Utc};

use super::{DemoArgs, LogFormat, report, telemetry::Telemetry};
use crate::config::{ConfigFile, Environment};
use crate::error::{Error, ExitStatus};
use crate::pipeline;
use crate::plan::{self, DateSelection, PlanOptions, WriteMode};
use crate::sim::{SimConfig, Simulator};

/// Runs the demo.
pub async fn run(
    args: DemoArgs,
    log_format: LogFormat,
    telemetry: &Telemetry,
) -> Result<ExitStatus, Error> {
    if args.days == 0 || args.days > 366 {
        return Err(Error::Usage("--days must be between 1 and 366".into()));
    }
    let output = crate::config::local_output_dir(&args.output, "--output")?;
    let sim = Simulator::start(SimConfig {
        seed: args.seed,
        rate_limit: args.requests_per_minute.max(1),
        ..SimConfig::default()
    })
    .await
    .map_err(|e| Error::Runtime(format!("cannot start the simulator: {e}")))?;
    match log_format {
        LogFormat::Json => {
            tracing::info!(url = %sim.base_url(), seed = args.seed, "Simulator listening.")
        }
        LogFormat::Text => eprintln!(
            "Simulator listening on {} (seed {}).",
            sim.base_url(),
            args.seed
        ),
    }
    let yesterday = Utc::now().date_naive() - Days::new(1);
    let first = yesterday - Days::new(u64::from(args.days) - 1);
    // The same path as `ccetl run`: a configuration (the simulator's), planned and run.
    let client = sim.client_config("demo", args.requests_per_minute.max(1), &output);
    let config = ConfigFile::parse(&client.toml, Path::new("(the simulator's configuration)"))?;
    let env = client
        .env
        .iter()
        .fold(Environment::process(), |env, (k, v)| env.with(k, v));
    let options = PlanOptions {
        dates: DateSelection::Range {
            from: first,
            to: yesterday,
        },
        sources: plan::SourceFilter::all(),
        datasets: Vec::new(),
        output_dir: None,
        concurrency: None,
        write_mode: WriteMode::Replace,
        now: None,
    };
    let plan = plan::build(&config, &options, &env)?;
    match log_format {
        LogFormat::Json => tracing::info!(
            from = %first,
            to = %yesterday,
            output = %output.display(),
            "Backfilling."
        ),
        LogFormat::Text => eprintln!(
            "Backfilling {first} to {yesterday} into {} ...",
            output.display()
        ),
    }
    let stop = super::stop_on_signals();
    let summary = pipeline::run_until(plan, telemetry.progress(), &stop).await?;
    let status = report(&summary, log_format);
    sim.shutdown().await;
    let sql = demo_query(&output);
    if log_format == LogFormat::Text {
        eprintln!();
        eprintln!("Read it with DuckDB (pip install duckdb):");
        outln!("python3 -c \"import duckdb; duckdb.sql(\\\"{sql}\\\").show()\"");
        eprintln!("or with the DuckDB CLI:  duckdb -c \"{sql}\"");
    } else {
        tracing::info!(query = %sql, "Read it with DuckDB.");
    }
    Ok(status)
}

/// The query the demo prints: the busiest queue × agent pairs, by name. The names come from the
/// dimension snapshots, the latest per id (the README explains why a snapshot is per day).
fn demo_query(output: &std::path::Path) -> String {
    let files = |dataset: &str| {
        let glob = output.join(dataset).join("**").join("*.parquet");
        format!(
            "read_parquet('{}', hive_partitioning = true)",
            glob.display().to_string().replace('\'', "''")
        )
    };
    let latest = |dataset: &str| {
        format!(
            "SELECT source, tenant, id, name FROM {} QUALIFY row_number() OVER (PARTITION BY source, tenant, id ORDER BY date DESC) = 1",
            files(dataset)
        )
    };
    format!(
        "WITH queues AS ({}), agents AS ({}) SELECT c.source, q.name AS queue, a.name AS agent, count(*) AS handled, round(avg(c.handle_seconds), 1) AS aht_seconds FROM {} c JOIN queues q ON q.source = c.source AND q.tenant = c.tenant AND q.id = c.first_queue_id JOIN agents a ON a.source = c.source AND a.tenant = c.tenant AND a.id = c.last_agent_id GROUP BY ALL ORDER BY handled DESC, agent LIMIT 10",
        latest("queues"),
        latest("agents"),
        files("contacts")
    )
}
