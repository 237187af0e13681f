//! `ccetl demo`: the whole pipeline against the embedded simulator, with no configuration file.
//! It starts the simulator on an OS-assigned port, backfills the last N days (ending yesterday,
//! UTC) into `./output`, and prints the summary and a DuckDB query that reads the result.

use std::num::NonZeroU32;
use std::time::Duration;

use chrono::{Days, Utc};
use chrono_tz::Tz;

use super::{DemoArgs, LogFormat, report, telemetry::Telemetry};
use crate::error::{Error, ExitStatus};
use crate::http::ApiClientSettings;
use crate::pipeline;
use crate::plan::{CXONE_DATASETS, Plan, SourceKind, SourcePlan, WriteMode, parse_base_url};
use crate::sim::{SimConfig, Simulator};
use crate::sources::cxone::{CxoneAuth, CxoneSettings};
use crate::sources::genesys::details::DetailsSettings;
use crate::sources::genesys::queries::GenesysQueries;
use crate::sources::genesys::{GenesysAuth, GenesysSettings};
use crate::transform::Dataset;
use crate::transform::contacts::{PersonalData, Pseudonymizer};

/// Runs the demo.
pub async fn run(
    args: DemoArgs,
    log_format: LogFormat,
    telemetry: &Telemetry,
) -> Result<ExitStatus, Error> {
    if args.days == 0 || args.days > 366 {
        return Err(Error::Usage("--days must be between 1 and 366".into()));
    }
    let sim = Simulator::start(SimConfig {
        seed: args.seed,
        rate_limit: args.requests_per_minute.max(1),
        ..SimConfig::default()
    })
    .await
    .map_err(|e| Error::Runtime(format!("cannot start the simulator: {e}")))?;
    let base = parse_base_url("simulator", &sim.base_url())?;
    eprintln!(
        "Simulator listening on {} (seed {}).",
        sim.base_url(),
        args.seed
    );
    let yesterday = Utc::now().date_naive() - Days::new(1);
    let first = yesterday - Days::new(u64::from(args.days) - 1);
    let settings = GenesysSettings {
        login_base: base.clone(),
        api_base: base,
        auth: GenesysAuth::ClientCredentials {
            client_id: sim.config().client_id.clone(),
            client_secret: sim.config().client_secret.clone().into(),
        },
        http: ApiClientSettings {
            requests_per_minute: NonZeroU32::new(args.requests_per_minute)
                .unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            ..ApiClientSettings::default()
        },
        queries: GenesysQueries::load(None)?,
        // Days before yesterday come from async jobs (few requests); yesterday from the query.
        details: DetailsSettings {
            jobs_after_days: 2,
            job_poll_initial: Duration::from_millis(300),
            ..DetailsSettings::default()
        },
    };
    // Synthetic data: a fixed demo key, so the hashes are stable between demo runs.
    let pseudonymizer = Pseudonymizer::new(
        PersonalData::Pseudonymize,
        Some("ccetl-demo-pseudonymisation-key".to_string().into()),
    )
    .map_err(Error::Runtime)?;
    let dates: Vec<_> = first.iter_days().take(args.days as usize).collect();
    let cxone = CxoneSettings {
        discovery_base: parse_base_url("simulator", &sim.base_url())?,
        api_base: None,
        auth: CxoneAuth::AccessKey {
            client_id: sim.config().client_id.clone(),
            client_secret: sim.config().client_secret.clone().into(),
            access_key_id: sim.config().cxone_access_key_id.clone(),
            access_key_secret: sim.config().cxone_access_key_secret.clone().into(),
        },
        api_version: "v31.0".into(),
        interval: Duration::from_secs(1800),
        contacts_page_size: 1000,
        http: settings.http.clone(),
    };
    let plan = Plan {
        sources: vec![
            SourcePlan {
                tenant: "demo".into(),
                kind: SourceKind::Genesys(settings),
                time_zone: Tz::UTC,
                datasets: Dataset::ALL.to_vec(),
                dates: dates.clone(),
                pseudonymizer: pseudonymizer.clone(),
            },
            SourcePlan {
                tenant: "demo".into(),
                kind: SourceKind::Cxone(cxone),
                time_zone: Tz::UTC,
                datasets: CXONE_DATASETS.to_vec(),
                dates,
                pseudonymizer,
            },
        ],
        output_dir: args.output.clone(),
        concurrency: 4,
        write_mode: WriteMode::Replace,
    };
    eprintln!(
        "Backfilling {first} to {yesterday} into {} ...",
        args.output.display()
    );
    let summary = pipeline::run(plan, telemetry.progress()).await?;
    let status = report(&summary, log_format);
    sim.shutdown().await;
    let glob = args
        .output
        .join("queue_intervals")
        .join("**")
        .join("*.parquet");
    let glob = glob.display().to_string().replace('\'', "''");
    let sql = format!(
        "SELECT source, tenant, date, sum(offered) AS offered, sum(answer_count) AS answered, round(sum(handle_seconds_sum) / sum(handle_count), 1) AS aht_seconds FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY ALL ORDER BY date"
    );
    eprintln!();
    eprintln!("Read it with DuckDB (pip install duckdb):");
    println!("python3 -c \"import duckdb; duckdb.sql(\\\"{sql}\\\").show()\"");
    eprintln!("or with the DuckDB CLI:  duckdb -c \"{sql}\"");
    Ok(status)
}
