//! The `ccetl` binary: load `.env`, parse the command line, run, map to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(e) if e.not_found() => {}
        // The parser's message quotes the offending line, which may hold a secret: don't print it.
        Err(_) => {
            eprintln!(
                "ccetl: error: .env is malformed (a line is not NAME=value); fix or remove it"
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
