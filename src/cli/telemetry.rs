//! Logs on stderr (text for people, JSON for schedulers) and a progress bar when stderr is a
//! terminal. Log lines are printed through the bar so the two never garble each other.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tracing_subscriber::EnvFilter;

use super::LogFormat;
use crate::pipeline::{NoProgress, Progress};

static BAR: OnceLock<ProgressBar> = OnceLock::new();

/// Stderr that hides the progress bar while a log line is written.
struct BarAwareStderr;

impl Write for BarAwareStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match BAR.get() {
            Some(bar) if !bar.is_hidden() => bar.suspend(|| std::io::stderr().write(buf)),
            _ => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// What `init` set up.
pub struct Telemetry {
    progress: Arc<dyn Progress>,
}

impl Telemetry {
    /// The progress reporter for the pipeline.
    pub fn progress(&self) -> &dyn Progress {
        self.progress.as_ref()
    }
}

struct BarProgress(ProgressBar);

impl Progress for BarProgress {
    fn start(&self, total: u64) {
        self.0.set_length(total);
        self.0.reset();
        self.0.enable_steady_tick(Duration::from_millis(200));
    }

    fn slice_done(&self, label: &str) {
        self.0.set_message(label.to_string());
        self.0.inc(1);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Installs the tracing subscriber and decides on a progress bar.
pub fn init(format: LogFormat, verbose: u8, quiet: bool, progress_wanted: bool) -> Telemetry {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "ccetl=info,warn",
        (false, 1) => "ccetl=debug,info",
        (false, _) => "ccetl=trace,debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let terminal = std::io::stderr().is_terminal();
    let progress: Arc<dyn Progress> = if progress_wanted && terminal && format == LogFormat::Text {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} slices  {msg}  (eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let _ = BAR.set(bar.clone());
        Arc::new(BarProgress(bar))
    } else {
        Arc::new(NoProgress)
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| BarAwareStderr);
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(false).try_init(),
        LogFormat::Text => builder.with_ansi(terminal).with_target(false).try_init(),
    };
    Telemetry { progress }
}
