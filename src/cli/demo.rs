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
    let glob = output.join("queue_intervals").join("**").join("*.parquet");
    let glob = glob.display().to_string().replace('\'', "''");
    let sql = format!(
        "SELECT source, tenant, date, sum(offered) AS offered, sum(answer_count) AS answered, round(sum(handle_seconds_sum) / sum(handle_count), 1) AS aht_seconds FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY ALL ORDER BY date"
    );
    if log_format == LogFormat::Text {
        eprintln!();
        eprintln!("Read it with DuckDB (pip install duckdb):");
        println!("python3 -c \"import duckdb; duckdb.sql(\\\"{sql}\\\").show()\"");
        eprintln!("or with the DuckDB CLI:  duckdb -c \"{sql}\"");
    } else {
        tracing::info!(query = %sql, "Read it with DuckDB.");
    }
    Ok(status)
}
