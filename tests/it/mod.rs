mod cli;
mod contacts;
mod duckdb;
mod resilience;
mod truth;
mod util;
