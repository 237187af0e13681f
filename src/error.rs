//! The error type at the library's edge and the exit codes it maps to.
//!
//! Exit codes are a contract with schedulers (design.md): 0 every slice written, 1 some slices
//! failed, 2 usage or configuration error, 3 authentication failed, 4 the upstream API failed
//! permanently, 5 another run holds a source's lock, 130/143 stopped by SIGINT/SIGTERM. Every
//! error message says what to do next and never carries a secret.

use crate::auth::AuthError;
use crate::config::ConfigError;

/// What a scheduler sees: the process exit code of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    /// Every planned slice was written (or skipped because it was already complete).
    Success = 0,
    /// Some slices failed; each is named on stderr and in the summary.
    SlicesFailed = 1,
    /// The command line or the configuration is wrong; nothing was fetched.
    Usage = 2,
    /// The vendor rejected the credentials, or no token could be obtained.
    Auth = 3,
    /// The upstream API failed permanently (every slice failed on the API).
    Api = 4,
    /// Another run holds the lock of one of its sources; nothing was fetched.
    Locked = 5,
    /// Stopped by SIGINT (Ctrl-C) after the slices in flight were committed or abandoned.
    Interrupted = 130,
    /// Stopped by SIGTERM after the slices in flight were committed or abandoned.
    Terminated = 143,
}

impl ExitStatus {
    /// The numeric process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Any failure that stops a command before or instead of producing a run summary.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command-line value is invalid (dates, ranges, flags that contradict each other).
    #[error("{0}")]
    Usage(String),
    /// `ccetl.toml`, `.env` or the environment is wrong or incomplete.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No token could be obtained.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Another run holds the lock of one of the sources.
    #[error(transparent)]
    Locked(#[from] crate::sink::lock::LockError),
    /// Anything else that went wrong at run time (simulator start-up, runtime I/O).
    #[error("{0}")]
    Runtime(String),
}

impl Error {
    /// The exit code this error maps to.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Usage(_) | Error::Config(_) => ExitStatus::Usage,
            Error::Auth(_) => ExitStatus::Auth,
            Error::Locked(e) if e.is_held() => ExitStatus::Locked,
            Error::Locked(_) | Error::Runtime(_) => ExitStatus::SlicesFailed,
        }
    }
}
