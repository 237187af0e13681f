//! Logs on stderr (text for people, JSON for schedulers) and progress: on a terminal, a bar per
//! source counting its requests against the requests expected (requests move steadily where
//! slices jump, so the ETA holds), plus a line for the slices; elsewhere (cron, CI, a pipe), a
//! progress line in the logs every `--progress-secs`. Log lines are printed through the bars so
//! the two never garble each other.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use tracing_subscriber::EnvFilter;

use super::LogFormat;
use crate::pipeline::{NoProgress, Progress, ProgressSnapshot};

static BARS: OnceLock<MultiProgress> = OnceLock::new();

/// Stderr that hides the progress bars while a log line is written.
struct BarAwareStderr;

impl Write for BarAwareStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match BARS.get() {
            Some(bars) => bars.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
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

/// A bar per source (requests) and one for the slices.
struct BarProgress {
    bars: MultiProgress,
    slices: ProgressBar,
    sources: Mutex<Vec<ProgressBar>>,
}

impl Progress for BarProgress {
    fn start(&self, snapshot: &ProgressSnapshot) {
        self.slices.set_length(snapshot.slices_total);
        self.slices.enable_steady_tick(Duration::from_millis(200));
        let style = ProgressStyle::with_template(
            "{prefix:>18} [{elapsed_precise}] {bar:30} {pos}/{len} requests ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let mut sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        for s in &snapshot.sources {
            let bar = self.bars.add(ProgressBar::new(s.expected_requests.max(1)));
            bar.set_style(style.clone());
            bar.set_prefix(s.label.clone());
            sources.push(bar);
        }
    }

    fn update(&self, snapshot: &ProgressSnapshot) {
        self.slices.set_position(snapshot.slices_done);
        self.slices.set_message(format!(
            "{} rows; last {}",
            snapshot.rows, snapshot.last_slice
        ));
        let sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        for (bar, s) in sources.iter().zip(&snapshot.sources) {
            bar.set_length(s.expected_requests.max(s.requests).max(1));
            bar.set_position(s.requests);
        }
    }

    fn finish(&self, _: &ProgressSnapshot) {
        for bar in self
            .sources
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            bar.finish_and_clear();
        }
        self.slices.finish_and_clear();
    }
}

/// A progress line in the logs every `every`.
struct LogProgress {
    every: Duration,
    last: Mutex<Option<Duration>>,
}

impl LogProgress {
    fn line(snapshot: &ProgressSnapshot) {
        let requests: u64 = snapshot.sources.iter().map(|s| s.requests).sum();
        let expected: u64 = snapshot.sources.iter().map(|s| s.expected_requests).sum();
        let minutes = snapshot.elapsed.as_secs_f64() / 60.0;
        let rate = if minutes > 0.0 {
            requests as f64 / minutes
        } else {
            0.0
        };
        tracing::info!(
            slices_done = snapshot.slices_done,
            slices = snapshot.slices_total,
            rows = snapshot.rows,
            requests,
            requests_expected = expected,
            requests_per_minute = rate.round() as u64,
            "Progress: {}/{} slices, {}/{} requests.",
            snapshot.slices_done,
            snapshot.slices_total,
            requests,
            expected
        );
    }
}

impl Progress for LogProgress {
    fn start(&self, _: &ProgressSnapshot) {}

    fn update(&self, snapshot: &ProgressSnapshot) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let due = last.is_none_or(|at| snapshot.elapsed >= at + self.every);
        if due && snapshot.elapsed >= self.every {
            *last = Some(snapshot.elapsed);
            Self::line(snapshot);
        }
    }

    fn finish(&self, _: &ProgressSnapshot) {}
}

/// Installs the tracing subscriber and decides how progress shows: bars on a terminal, a log
/// line every `progress_secs` elsewhere (0: none).
pub fn init(
    format: LogFormat,
    verbose: u8,
    quiet: bool,
    progress_wanted: bool,
    progress_secs: u64,
) -> Telemetry {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "ccetl=info,warn",
        (false, 1) => "ccetl=debug,info",
        (false, _) => "ccetl=trace,debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let terminal = std::io::stderr().is_terminal();
    let progress: Arc<dyn Progress> = if !progress_wanted {
        Arc::new(NoProgress)
    } else if terminal && format == LogFormat::Text {
        let bars = MultiProgress::new();
        let slices = bars.add(ProgressBar::new(0));
        slices.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} slices  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let _ = BARS.set(bars.clone());
        Arc::new(BarProgress {
            bars,
            slices,
            sources: Mutex::new(Vec::new()),
        })
    } else if progress_secs > 0 {
        Arc::new(LogProgress {
            every: Duration::from_secs(progress_secs),
            last: Mutex::new(None),
        })
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
