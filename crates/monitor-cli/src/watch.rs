//! `monitor watch`: the monitoring loop of the `watch` crate over a file or stdin, wired to
//! `monitor.toml`, SIGINT/SIGTERM, `/metrics` and the exit codes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, anyhow};
use telemetry::metrics::Metrics;
use watch::source::Input;
use watch::watcher::{Summary, Watch, WatchSettings};

use crate::config::{DriftOverrides, Kind, MonitorConfig};
use crate::exit::{Failure, Outcome};

/// How often a followed file is looked at when it has no new line.
const POLL: Duration = Duration::from_millis(100);

/// Arguments of `monitor watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// A monitor.toml with a `[watch]` section (docs/watch.md); its `[drift]` and
    /// `[[features]]` choose each window's tests.
    #[arg(long)]
    config: PathBuf,
    /// Prediction and label events, one JSON object a line; `-` reads stdin.
    #[arg(long)]
    input: String,
    /// Keep reading as the file grows, across rotation and truncation, until SIGINT or
    /// SIGTERM.
    #[arg(long)]
    follow: bool,
    /// Where windows.jsonl, rejected.jsonl and checkpoint.json go [default: `[watch]
    /// output_dir`].
    #[arg(long)]
    output_dir: Option<PathBuf>,
    /// Serve the metrics at `http://ADDR/metrics` while watching, e.g. `127.0.0.1:9464`.
    #[arg(long)]
    metrics_addr: Option<SocketAddr>,
    /// Exit 2 at the first line that is not a usable event (naming its line and column)
    /// instead of writing it to rejected.jsonl and going on.
    #[arg(long)]
    strict: bool,
}

/// Runs `monitor watch`.
pub fn run(args: &WatchArgs) -> Result<Outcome, Failure> {
    let input = match args.input.as_str() {
        "-" if args.follow => {
            return Err(Failure::Input(anyhow!(
                "--follow follows a file; stdin is read to its end anyway"
            )));
        }
        "-" => Input::Stdin,
        path => Input::File {
            path: PathBuf::from(path),
            follow: args.follow,
        },
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("installing the SIGINT/SIGTERM handlers")
            .map_err(Failure::Runtime)?;
    }
    let metrics = Arc::new(Metrics::new());
    let _metrics_server = match args.metrics_addr {
        Some(addr) => Some(
            telemetry::metrics::serve(addr, Arc::clone(&metrics))
                .map_err(|e| Failure::Input(e.into()))?,
        ),
        None => None,
    };
    let summary = watch_file(
        &args.config,
        input,
        args.output_dir.clone(),
        args.strict,
        metrics,
        &stop,
    )?;
    print_summary(&summary);
    Ok(Outcome::Clean)
}

/// Runs the loop of the `[watch]` section of `config` over `input` until its end or
/// `stop` (also for `monitor demo`).
pub fn watch_file(
    config: &Path,
    input: Input,
    output_dir: Option<PathBuf>,
    strict: bool,
    metrics: Arc<Metrics>,
    stop: &AtomicBool,
) -> Result<Summary, Failure> {
    let file = MonitorConfig::load(config).map_err(Failure::Input)?;
    let mut watch_config = file.watch.clone().ok_or_else(|| {
        Failure::Input(anyhow!(
            "{}: no [watch] section (docs/watch.md)",
            config.display()
        ))
    })?;
    watch_config.resolve(config.parent().unwrap_or(Path::new(".")));
    if let Some(dir) = output_dir {
        watch_config.output_dir = dir;
    }
    let settings = WatchSettings {
        config: watch_config,
        drift: file
            .drift_options(&DriftOverrides::default())
            .with_context(|| config.display().to_string())
            .map_err(Failure::Input)?,
        read_options: read_options(&file),
        strict,
        poll: POLL,
    };
    let fail = |e: watch::WatchError| {
        let input = e.is_input();
        let e = anyhow::Error::new(e);
        if input {
            Failure::Input(e)
        } else {
            Failure::Runtime(e)
        }
    };
    let mut watch = Watch::open(settings, metrics).map_err(fail)?;
    let _span = tracing::info_span!("watch").entered();
    watch.run(input, stop).map_err(fail)
}

#[allow(clippy::print_stdout)] // the command's one line of output
fn print_summary(summary: &Summary) {
    let t = &summary.totals;
    println!(
        "watch {}: {} windows, {} events, {} labels joined, {} rejected lines, {} alerts raised ({} resolved), {} retraining jobs",
        if summary.stopped {
            "stopped"
        } else {
            "finished"
        },
        t.windows,
        t.events,
        t.labels_joined,
        t.rejected,
        t.alerts_raised,
        t.alerts_resolved,
        t.jobs
    );
}

/// Reading a data reference: kinds forced by `[[features]]`.
fn read_options(config: &MonitorConfig) -> tabular::ReadOptions {
    tabular::ReadOptions {
        categorical: config.forced(Kind::Categorical),
        numeric: config.forced(Kind::Numeric),
        ..tabular::ReadOptions::default()
    }
}
