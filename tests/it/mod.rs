mod cli;
mod duckdb;
mod resilience;
mod truth;
mod util;
