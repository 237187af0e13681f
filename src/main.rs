//! The `ccetl` binary: load `.env` beside the configuration file, parse the command line, run,
//! map to an exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

/// The configuration file the command line names (`--config`, `CCETL_CONFIG`, or `ccetl.toml`),
/// read before the full parse so that `.env` beside it can fill the environment first.
fn config_path() -> PathBuf {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == "--config" {
            if let Some(path) = args.next() {
                return PathBuf::from(path);
            }
        } else if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--config=")) {
            return PathBuf::from(path);
        }
    }
    std::env::var_os("CCETL_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("ccetl.toml"))
}

/// Gives glibc's malloc one arena unless `MALLOC_ARENA_MAX` says otherwise. glibc gives each
/// thread that allocates its own arena (up to eight per core), and the blocking threads that
/// encode Parquet come and go over a long run, each leaving an arena of freed but kept memory.
/// The one arena is the main heap, whose free top glibc hands back to the kernel: a 30-day
/// backfill then peaks within about a tenth of a 1-day one, for no measurable CPU (README,
/// Performance).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; no other thread exists yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> ExitCode {
    limit_malloc_arenas();
    // `.env` lives beside the configuration file, not wherever cron happens to start the job.
    let dir = config_path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    match dotenvy::from_path(dir.join(".env")) {
        Ok(()) => {}
        Err(e) if e.not_found() => {}
        // The parser's message quotes the offending line, which may hold a secret: don't print it.
        Err(_) => {
            eprintln!(
                "ccetl: error: {} is malformed (a line is not NAME=value); fix or remove it",
                dir.join(".env").display()
            );
            return ExitCode::from(ccetl::ExitStatus::Usage.code());
        }
    }
    let cli = match ccetl::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                ccetl::ExitStatus::Usage.code()
            } else {
                0
            });
        }
    };
    ExitCode::from(ccetl::cli::main(cli).code())
}
