//! ccetl pulls contact-center reporting data out of Genesys Cloud and NICE CXone and lands
//! it as date-partitioned Parquet that a warehouse can read directly.
//!
//! The modules follow the data flow: [`auth`] gets tokens, [`http`] sends rate-limited and retried
//! requests with them (both reach servers through [`transport`]), [`sources`] holds one folder per
//! vendor behind one trait and hands over typed rows, [`transform`] declares each dataset's schema
//! and turns rows into Arrow batches, and [`sink`] writes Hive-style partitions atomically.
//! [`config`] reads `ccetl.toml`, [`plan`] validates it into a [`plan::Plan`], [`pipeline`] runs
//! it, [`sim`] is the embedded API simulator the demo and tests run against, and [`cli`] is the
//! command line on top. ARCHITECTURE.md draws the same in one page.

pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod http;
pub mod pipeline;
pub mod plan;
#[cfg(feature = "sim")]
pub mod sim;
pub mod sink;
pub mod sources;
pub mod transform;
pub mod transport;

pub use error::{Error, ExitStatus};
