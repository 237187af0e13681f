mod agents;
mod cli;
mod contacts;
mod duckdb;
mod metrics;
mod resilience;
mod truth;
mod util;
