//! ccetl pulls contact-center reporting data out of Genesys Cloud and NICE CXone and lands
//! it as date-partitioned Parquet that a warehouse can read directly.
//!
//! The modules follow the data flow: [`auth`] gets tokens, [`http`] sends rate-limited and retried
//! requests with them, [`sources`] page through vendor queries, [`transform`] turns responses into
//! Arrow batches in one declared schema per dataset, and [`sink`] writes Hive-style partitions
//! atomically. [`config`] turns `ccetl.toml` into a validated [`plan::Plan`], [`pipeline`] runs it,
//! [`sim`] is the embedded API simulator the demo and tests run against, and [`cli`] is the
//! command line on top.

pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod http;
pub mod pipeline;
pub mod plan;
pub mod sim;
pub mod sink;
pub mod sources;
pub mod transform;

pub use error::{Error, ExitStatus};
