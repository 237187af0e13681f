//! The command line: flags (clap), logging set-up, and one function per subcommand. `main.rs`
//! only parses and maps the returned [`ExitStatus`] to the process exit code.

/// Prints to stdout like `print!`, except that a reader who stops early (`ccetl status | head`)
/// is not an error: `print!` panics on the closed pipe (exit 101, a backtrace on stderr), this
/// drops the rest quietly and the command keeps its own exit status.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` to stdout, quiet on a closed pipe (see `out!`).
macro_rules! outln {
    () => {
        $crate::cli::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes to stdout; a broken pipe (the reader has gone) is ignored, any other failure is
/// reported on stderr once per write.
fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    match std::io::stdout().lock().write_fmt(args) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => eprintln!("ccetl: cannot write to stdout: {e}"),
    }
}

mod auth;
#[cfg(feature = "sim")]
mod demo;
pub mod schema;
mod status;
mod telemetry;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{ConfigFile, Environment};
use crate::error::{Error, ExitStatus};
use crate::pipeline::{self, RunSummary};
use crate::plan::{self, DateSelection, PlanOptions, WriteMode};
#[cfg(feature = "sim")]
use crate::sim::{SimConfig, Simulator};
use crate::sources::{self, VENDORS};

/// ccetl: contact-center reporting data (Genesys Cloud, NICE CXone) to date-partitioned Parquet.
#[derive(Debug, Parser)]
#[command(name = "ccetl", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        env = "CCETL_CONFIG",
        default_value = "ccetl.toml"
    )]
    pub config: PathBuf,
    /// Log format on stderr: `text` for people, `json` for schedulers.
    #[arg(long, global = true, env = "CCETL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More detail in logs (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only warnings and errors in logs.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Without a terminal (cron, CI, a pipe): a progress line in the logs this often, seconds
    /// (0: none). On a terminal there are bars instead.
    #[arg(long, global = true, env = "CCETL_PROGRESS_SECS", default_value_t = 30)]
    pub progress_secs: u64,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Nightly run: yesterday (in each source's time zone) plus the configured look-back days.
    Run(RunArgs),
    /// Extract an inclusive date range; --resume skips partitions already complete.
    Backfill(BackfillArgs),
    /// Check the configuration and that every source's credentials give a token.
    Check(CheckArgs),
    /// Coverage of the output: per source, tenant and dataset, which days are complete,
    /// provisional, missing or failed; exits 1 when there are gaps.
    Status(StatusArgs),
    /// Serve the embedded API simulator on 127.0.0.1 until Ctrl-C.
    #[cfg(feature = "sim")]
    Sim(SimArgs),
    /// Start the simulator and backfill 7 days of every dataset, from both vendors, into
    /// ./demo-output.
    #[cfg(feature = "sim")]
    Demo(DemoArgs),
    /// Print a dataset's columns (the warehouse contract).
    Schema(SchemaArgs),
    /// List and validate the query files (queries/genesys/*.json) each source runs.
    Queries(QueriesArgs),
    /// Print a shell completion script: `ccetl completions bash > /etc/bash_completion.d/ccetl`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// OAuth sign-in and tokens for the providers you connect (user context, PKCE, refresh).
    Auth {
        /// What to do.
        #[command(subcommand)]
        command: auth::AuthCommand,
    },
}

/// `ccetl queries`.
#[derive(Debug, Args)]
pub struct QueriesArgs {
    /// A query folder to check instead of the configured ones.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sources: SourceArgs,
}

/// `ccetl check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sources: SourceArgs,
}

/// `ccetl status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// First day (YYYY-MM-DD); default 30 days before yesterday.
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Last day (YYYY-MM-DD), inclusive; default yesterday (in each source's time zone).
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// Output root, overriding [output] dir.
    #[arg(long, env = "CCETL_OUTPUT")]
    pub output: Option<PathBuf>,
    /// `text` (a table and a calendar per dataset) or `json`.
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sources: SourceArgs,
}

/// How `ccetl status` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// A table and a calendar for people.
    Text,
    /// One JSON document.
    Json,
}

/// Which sources and datasets a command covers.
#[derive(Debug, Args, Default)]
pub struct SourceArgs {
    /// Only this source: `vendor.tenant` (`genesys.acme`) or a vendor (`cxone`); repeatable, or
    /// comma-separated; default all configured.
    #[arg(long = "source", value_name = "VENDOR[.TENANT]", value_delimiter = ',')]
    pub sources: Vec<String>,
    /// Only this tenant, of whichever vendor (repeatable, or comma-separated).
    #[arg(long = "tenant", value_delimiter = ',')]
    pub tenants: Vec<String>,
    /// Only this dataset (repeatable, or comma-separated); default as configured.
    #[arg(long = "dataset", value_delimiter = ',')]
    pub datasets: Vec<String>,
    /// Only the sources a stable hash assigns to shard K of N (K from 0, like Kubernetes'
    /// JOB_COMPLETION_INDEX): every copy of a scheduled job takes its own.
    #[arg(long, env = "CCETL_SHARD", value_name = "K/N")]
    pub shard: Option<plan::Shard>,
}

impl SourceArgs {
    fn filter(&self) -> plan::SourceFilter {
        plan::SourceFilter::new(&self.sources, &self.tenants).in_shard(self.shard)
    }
}

/// Which sources, datasets and output a run covers.
#[derive(Debug, Args)]
pub struct Selection {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sources: SourceArgs,
    /// Output root, overriding [output] dir.
    #[arg(long, env = "CCETL_OUTPUT")]
    pub output: Option<PathBuf>,
    /// Slices fetched at once per source, overriding [pipeline] concurrency.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Show the slices it would fetch, the requests they cost and the time at the quotas; fetch
    /// nothing (no token, no data request).
    #[arg(long)]
    pub dry_run: bool,
    /// Also write the run record (the JSON summary with every slice) to this file.
    #[arg(long, value_name = "PATH")]
    pub summary_json: Option<PathBuf>,
}

/// `ccetl run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Target date (YYYY-MM-DD); default yesterday in each source's time zone.
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// Days before the target date to fetch again, overriding [pipeline] lookback_days.
    #[arg(long)]
    pub lookback_days: Option<u32>,
    #[command(flatten)]
    pub selection: Selection,
}

/// `ccetl backfill`.
#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// First date (YYYY-MM-DD).
    #[arg(long)]
    pub from: NaiveDate,
    /// Last date (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub to: NaiveDate,
    /// Skip partitions already complete with the same query and schema (after a crash, say).
    #[arg(long)]
    pub resume: bool,
    #[command(flatten)]
    pub selection: Selection,
}

/// `ccetl sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0: chosen by the OS).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Seed of the generated contact center.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// API requests per client per minute before 429 (`requests_per_minute` in ccetl.toml).
    #[arg(
        long = "requests-per-minute",
        alias = "rate-limit",
        default_value_t = 300
    )]
    pub rate_limit: u32,
    /// Lifetime of issued tokens, seconds.
    #[arg(long, default_value_t = 86_400)]
    pub token_ttl_secs: u64,
    /// Conversations a day as a multiple of the default (about 1,600 a weekday per vendor):
    /// `--volume 2` for about 3,200, to benchmark at a given load.
    #[arg(long, default_value_t = 1.0, value_parser = parse_volume)]
    pub volume: f64,
}

fn parse_volume(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1000.0 => Ok(v),
        _ => Err(format!("`{raw}` is not a volume between 0 and 1000")),
    }
}

/// `ccetl demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Days to backfill, ending yesterday (UTC).
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Output root (not ./output, the production default, so demo rows never land in real
    /// queries).
    #[arg(long, default_value = "demo-output")]
    pub output: PathBuf,
    /// Seed of the simulated contact center.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Request budget per minute, of the simulator and of ccetl alike (Genesys's default is
    /// 300; the local simulator can take more, so the demo is quick).
    #[arg(long, default_value_t = 6000)]
    pub requests_per_minute: u32,
}

/// `ccetl schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Dataset (default: all).
    pub dataset: Option<String>,
    /// `text`, `markdown` (README's tables), `json`, `sql` (CREATE TABLE) or `dbt` (sources.yml).
    #[arg(long, value_enum, default_value_t = schema::SchemaFormat::Text)]
    pub format: schema::SchemaFormat,
    /// The SQL dialect of `--format sql`.
    #[arg(long, value_enum, default_value_t = schema::Dialect::Duckdb)]
    pub dialect: schema::Dialect,
    /// The same as `--format markdown`.
    #[arg(long)]
    pub markdown: bool,
}

/// Runs a parsed command line and returns the exit status.
pub fn main(cli: Cli) -> ExitStatus {
    #[cfg(feature = "sim")]
    let is_demo = matches!(cli.command, Command::Demo(_));
    #[cfg(not(feature = "sim"))]
    let is_demo = false;
    let progress_wanted = is_demo || matches!(cli.command, Command::Run(_) | Command::Backfill(_));
    let telemetry = telemetry::init(
        cli.log_format,
        cli.verbose,
        cli.quiet || (is_demo && cli.verbose == 0),
        progress_wanted,
        cli.progress_secs,
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ccetl: cannot start the async runtime: {e}");
            return ExitStatus::SlicesFailed;
        }
    };
    crate::transport::install_crypto_provider();
    let log_format = cli.log_format;
    let result = runtime.block_on(dispatch(cli, &telemetry));
    match result {
        Ok(status) => status,
        Err(e) => {
            match log_format {
                LogFormat::Json => {
                    tracing::error!(error = %e, exit_code = e.exit_status().code(), "Run stopped.")
                }
                LogFormat::Text => eprintln!("ccetl: error: {e}"),
            }
            e.exit_status()
        }
    }
}

async fn dispatch(cli: Cli, telemetry: &telemetry::Telemetry) -> Result<ExitStatus, Error> {
    match cli.command {
        Command::Run(args) => {
            let dates = DateSelection::Run {
                date: args.date,
                lookback_days: args.lookback_days,
            };
            run_plan(
                &cli.config,
                dates,
                args.selection,
                WriteMode::Replace,
                cli.log_format,
                telemetry,
            )
            .await
        }
        Command::Backfill(args) => {
            let dates = DateSelection::Range {
                from: args.from,
                to: args.to,
            };
            let mode = if args.resume {
                WriteMode::Resume
            } else {
                WriteMode::Replace
            };
            run_plan(
                &cli.config,
                dates,
                args.selection,
                mode,
                cli.log_format,
                telemetry,
            )
            .await
        }
        Command::Check(args) => check(&cli.config, args, cli.log_format).await,
        Command::Status(args) => status::run(&cli.config, args),
        #[cfg(feature = "sim")]
        Command::Sim(args) => serve_simulator(args).await,
        #[cfg(feature = "sim")]
        Command::Demo(args) => demo::run(args, cli.log_format, telemetry).await,
        Command::Schema(args) => schema::run(args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "ccetl", &mut script);
            // A closed pipe (`| head`) is the reader's choice, not an error.
            let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
            Ok(ExitStatus::Success)
        }
        Command::Queries(args) => queries(&cli.config, args),
        Command::Auth { command } => auth::run(&cli.config, command).await,
    }
}

fn load_config(path: &Path) -> Result<ConfigFile, Error> {
    Ok(ConfigFile::load(path)?)
}

async fn run_plan(
    config_path: &Path,
    dates: DateSelection,
    selection: Selection,
    write_mode: WriteMode,
    log_format: LogFormat,
    telemetry: &telemetry::Telemetry,
) -> Result<ExitStatus, Error> {
    let config = load_config(config_path)?;
    let options = PlanOptions {
        dates,
        sources: selection.sources.filter(),
        datasets: selection.sources.datasets.clone(),
        output_dir: selection.output,
        concurrency: selection.concurrency,
        write_mode,
        now: None,
    };
    let shard = options.sources.shard();
    let mut plan = plan::build(&config, &options, &Environment::process())?;
    plan.command = std::env::args().skip(1).collect();
    if let Some(shard) = shard {
        let labels: Vec<String> = plan.sources.iter().map(|s| s.label()).collect();
        tracing::info!(
            shard = %shard,
            sources = %labels.join(", "),
            "This shard's sources{}.",
            if labels.is_empty() { ": none (nothing to do)" } else { "" }
        );
        if selection.dry_run && log_format == LogFormat::Text {
            outln!(
                "shard {shard}: {}",
                if labels.is_empty() {
                    "no source (nothing to do)".to_string()
                } else {
                    labels.join(", ")
                }
            );
        }
    }
    for source in &plan.sources {
        let (from, to) = source
            .date_range()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .unwrap_or_default();
        tracing::info!(
            source = source.vendor(),
            tenant = %source.tenant,
            from = %from,
            to = %to,
            slices = source.slice_count(),
            "Planned."
        );
    }
    if selection.dry_run {
        let estimate = tokio::task::spawn_blocking(move || pipeline::dry_run::estimate(&plan))
            .await
            .map_err(|e| Error::Runtime(e.to_string()))?;
        match log_format {
            LogFormat::Json => outln!("{}", serde_json::to_string(&estimate).unwrap_or_default()),
            LogFormat::Text => out!("{}", estimate.describe()),
        }
        return Ok(ExitStatus::Success);
    }
    let stop = stop_on_signals();
    let summary = pipeline::run_until(plan, telemetry.progress(), &stop).await?;
    if let Some(path) = &selection.summary_json {
        let json = serde_json::to_vec_pretty(&summary).unwrap_or_default();
        std::fs::write(path, json).map_err(|e| {
            Error::Runtime(format!(
                "cannot write the summary to {}: {e}",
                path.display()
            ))
        })?;
    }
    Ok(report(&summary, log_format))
}

/// A stop handle pulled by SIGINT or SIGTERM: the run starts no new slice and gives the ones in
/// flight their grace period, then prints its summary. A second signal ends the process at once
/// (committed partitions stay complete; temporary files are removed by the next run).
pub(crate) fn stop_on_signals() -> pipeline::StopHandle {
    let stop = pipeline::StopHandle::new();
    let handle = stop.clone();
    tokio::spawn(async move {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            return;
        };
        let mut signals = 0;
        loop {
            let (why, code) = tokio::select! {
                _ = tokio::signal::ctrl_c() => ("SIGINT", ExitStatus::Interrupted),
                _ = term.recv() => ("SIGTERM", ExitStatus::Terminated),
            };
            signals += 1;
            if signals > 1 {
                eprintln!("ccetl: {why} again: stopping now");
                std::process::exit(i32::from(code.code()));
            }
            tracing::warn!(
                signal = why,
                "Stopping: no new slices start; the ones in flight get their grace period to finish."
            );
            handle.stop(why);
        }
    });
    stop
}

/// Prints the summary (stdout) and the failed slices (stderr); returns the exit status.
pub(crate) fn report(summary: &RunSummary, log_format: LogFormat) -> ExitStatus {
    // In JSON, the failures are in the summary (and were logged as they happened): every line
    // on stdout and stderr stays JSON.
    if log_format == LogFormat::Text {
        for f in &summary.failed {
            eprintln!(
                "ccetl: failed: {} {} {} {}: {}",
                f.source, f.tenant, f.dataset, f.date, f.error
            );
        }
        if let Some(e) = &summary.auth_error
            && summary.failed.iter().all(|f| &f.error != e)
        {
            eprintln!("ccetl: authentication failed: {e}");
        }
    }
    match log_format {
        LogFormat::Json => outln!("{}", serde_json::to_string(summary).unwrap_or_default()),
        LogFormat::Text => outln!("{}", summary.one_line()),
    }
    summary.exit_status()
}

async fn check(
    config_path: &Path,
    args: CheckArgs,
    log_format: LogFormat,
) -> Result<ExitStatus, Error> {
    let config = load_config(config_path)?;
    let options = PlanOptions {
        dates: DateSelection::Run {
            date: None,
            lookback_days: Some(0),
        },
        sources: args.sources.filter(),
        datasets: args.sources.datasets.clone(),
        output_dir: None,
        concurrency: None,
        write_mode: WriteMode::Replace,
        now: None,
    };
    let plan = plan::build(&config, &options, &Environment::process())?;
    let mut status = ExitStatus::Success;
    for source in &plan.sources {
        let checked = pipeline::connect(source.settings.as_ref()).await;
        if let Err(e) = &checked {
            status = if e.is_auth() {
                ExitStatus::Auth
            } else {
                ExitStatus::Api
            };
        }
        match (log_format, checked) {
            (LogFormat::Text, Ok((_, token_endpoint))) => outln!(
                "{}: configuration valid; token obtained from {token_endpoint}",
                source.label()
            ),
            (LogFormat::Text, Err(e)) => outln!("{}: {e}", source.label()),
            (LogFormat::Json, checked) => outln!(
                "{}",
                serde_json::json!({
                    "source": source.vendor(),
                    "tenant": source.tenant,
                    "ok": checked.is_ok(),
                    "token_endpoint": checked.as_ref().ok().map(|(_, t)| t),
                    "error": checked.as_ref().err().map(|e| e.to_string()),
                })
            ),
        }
    }
    Ok(status)
}

#[cfg(feature = "sim")]
async fn serve_simulator(args: SimArgs) -> Result<ExitStatus, Error> {
    let config = SimConfig {
        port: args.port,
        seed: args.seed,
        rate_limit: args.rate_limit.max(1),
        token_ttl: std::time::Duration::from_secs(args.token_ttl_secs.max(1)),
        volume: args.volume,
        ..SimConfig::default()
    };
    let sim = Simulator::start(config).await.map_err(|e| {
        Error::Runtime(format!(
            "cannot start the simulator on 127.0.0.1:{}: {e}",
            args.port
        ))
    })?;
    let url = sim.base_url();
    outln!(
        "ccetl simulator listening on {url} (seed {}, {} requests/minute per client)",
        args.seed,
        args.rate_limit
    );
    outln!("Genesys token endpoint: POST {url}/oauth/token (client credentials, HTTP Basic)");
    outln!(
        "Test credentials (simulator only): client id {} / client secret {}",
        sim.config().client_id,
        sim.config().client_secret
    );
    outln!(
        "CXone discovery: GET {url}/.well-known/openid-configuration; access key id {} / secret {} (password grant, same client id and secret)",
        sim.config().cxone_access_key_id,
        sim.config().cxone_access_key_secret
    );
    let client = sim.client_config("sim", args.rate_limit.max(1), Path::new("output"));
    outln!("Use it from ccetl.toml (`ccetl check` passes with it):");
    outln!();
    out!("{}", client.toml);
    outln!();
    outln!("and these variables (test values the simulator accepts):");
    for (name, value) in &client.env {
        outln!("export {name}='{value}'");
    }
    outln!(
        "Inject faults: curl -X POST {url}/__sim/faults -H 'content-type: application/json' -d '{{\"path\":\"/api/v2/analytics\",\"kind\":\"status\",\"status\":429,\"retry_after\":\"2\",\"count\":3}}'"
    );
    outln!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Error::Runtime(format!("cannot wait for Ctrl-C: {e}")))?;
    sim.shutdown().await;
    Ok(ExitStatus::Success)
}

/// Prints the listings; how many problems they hold.
fn print_listings(listings: &[sources::QueryListing]) -> usize {
    let mut problems = 0;
    for listing in listings {
        outln!("{} ({}):", listing.label, listing.origin);
        for line in &listing.lines {
            outln!("  {line}");
        }
        for note in &listing.notes {
            outln!("  note: {note}");
        }
        for problem in &listing.problems {
            outln!("  problem: {problem}");
        }
        problems += listing.problems.len();
    }
    problems
}

fn queries(config_path: &Path, args: QueriesArgs) -> Result<ExitStatus, Error> {
    let config = match ConfigFile::load(config_path) {
        Ok(config) => Some(config),
        Err(crate::config::ConfigError::NotFound { .. }) if args.dir.is_none() => None,
        Err(_) if args.dir.is_some() => None,
        Err(e) => return Err(e.into()),
    };
    let filter = args.sources.filter();
    let mut problems = 0;
    for vendor in VENDORS {
        let listings: Vec<_> = vendor
            .query_files(config.as_ref(), args.dir.as_deref())?
            .into_iter()
            .filter(|l| {
                l.tenant
                    .as_deref()
                    .is_none_or(|t| filter.matches(vendor.name(), t))
            })
            .collect();
        problems += print_listings(&listings);
    }
    if problems > 0 {
        eprintln!(
            "ccetl: {} in the query files (listed above)",
            crate::pipeline::summary::plural(problems as u64, "problem", "problems")
        );
        return Ok(ExitStatus::Usage);
    }
    Ok(ExitStatus::Success)
}
