//! `monitor demo`: a self-contained scenario on embedded defaults. It writes a seeded
//! prediction stream (data and concept drift at a known event, delayed labels, a slower
//! canary), a reference and the configuration into a directory, runs the watch loop over
//! the stream and the canary analysis over its latencies, and says what fired and why.
//! `--generate-only` stops after writing the files (the benchmarks and tests use them).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use watch::scenario::{ScenarioOptions, reference_csv, write_stream};

use crate::exit::{Failure, Outcome};

/// Rows of the scenario's reference table.
const REFERENCE_ROWS: usize = 5_000;

/// Arguments of `monitor demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the scenario's files and the outputs go (created; earlier outputs there are
    /// replaced).
    #[arg(long, default_value = "monitor-demo")]
    dir: PathBuf,
    /// Prediction events in the stream.
    #[arg(long, default_value_t = 100_000)]
    events: u64,
    /// The 0-based prediction event where data and concept drift begin (default: 64% of
    /// the stream, inside a window rather than on its edge).
    #[arg(long)]
    shift_at: Option<u64>,
    /// The seed of every draw.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Write the scenario's files and stop.
    #[arg(long)]
    generate_only: bool,
}

/// The scenario's `monitor.toml`: windows of 10,000 events, Bonferroni-corrected column
/// tests, dataset drift when half the columns drift, ADWIN on the per-event error and
/// Page-Hinkley on latency, alerts into a local outbox, retraining into a SQLite queue.
const MONITOR_TOML: &str = r#"# monitor demo's configuration (docs/watch.md)
[drift]
correction = "bonferroni"
drift_share = 0.5

[watch]
reference = "reference.csv"
output_dir = "watch-out"
window = { events = 10000 }
task = "classification"
threshold = 0.5
label_wait_windows = 1

[[watch.detectors]]
name = "adwin"
on = "error"

[[watch.detectors]]
name = "page-hinkley"
on = "latency_ms"

[watch.alerts]
config = "alerts.toml"

[watch.retrain]
policy = "policy.toml"
queue = "queue.sqlite"
"#;

/// Alerts go to a local outbox only (add `[[sinks]]` to reach Alertmanager or PagerDuty).
const ALERTS_TOML: &str = r#"# monitor demo's alerts (docs/alerts.md): an outbox, no sinks
[outbox]
path = "alerts.db"
"#;

/// Retrain on dataset drift or on accuracy below 0.78, at most once a day.
const POLICY_TOML: &str = r#"# monitor demo's retraining policy (docs/retrain.md)
name = "churn"

[rules.drift]
signal = "dataset_drift"

[rules.accuracy_low]
signal = "accuracy"
below = 0.78

[trigger]
any = ["drift", "accuracy_low"]

[guardrails]
cooldown = "24h"
"#;

/// The files the demo writes, and the outputs it clears before a run.
const INPUTS: [&str; 5] = [
    "events.jsonl",
    "reference.csv",
    "monitor.toml",
    "alerts.toml",
    "policy.toml",
];
const OUTPUTS: [&str; 7] = [
    "watch-out",
    "queue.sqlite",
    "queue.sqlite-wal",
    "queue.sqlite-shm",
    "alerts.db",
    "alerts.db-wal",
    "alerts.db-shm",
];

/// Runs `monitor demo`.
pub fn run(args: &DemoArgs) -> Result<Outcome, Failure> {
    if args.events == 0 {
        return Err(Failure::Input(anyhow!("--events must be at least 1")));
    }
    let shift_at = args.shift_at.unwrap_or(args.events / 25 * 16);
    let options = ScenarioOptions {
        events: args.events,
        shift_at: Some(shift_at),
        seed: args.seed,
        ..ScenarioOptions::default()
    };
    let summary = generate(&args.dir, &options).map_err(Failure::Runtime)?;
    tracing::info!(
        dir = %args.dir.display(),
        predictions = summary.predictions,
        labels = summary.labels,
        shift_at,
        "scenario written"
    );
    if args.generate_only {
        say(&format!(
            "wrote {} prediction and {} label events (shift at prediction {shift_at}, line {}) and their configuration to {}\n",
            summary.predictions,
            summary.labels,
            summary.shift_line.unwrap_or(0),
            args.dir.display()
        ));
        return Ok(Outcome::Clean);
    }
    let _ = (&options, Path::new(""), String::new().write_str(""));
    Err(Failure::Runtime(anyhow!("the demo's watch run is being wired")))
}

/// Writes the scenario's inputs into `dir` and clears earlier outputs there.
fn generate(
    dir: &Path,
    options: &ScenarioOptions,
) -> anyhow::Result<watch::scenario::ScenarioSummary> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for name in OUTPUTS {
        let path = dir.join(name);
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match removed {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err).with_context(|| format!("removing {}", path.display())),
        }
    }
    let [events, reference, monitor, alerts, policy] = INPUTS.map(|name| dir.join(name));
    let file = std::fs::File::create(&events)
        .with_context(|| format!("creating {}", events.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let summary = write_stream(options, &mut out)
        .and_then(|summary| std::io::Write::flush(&mut out).map(|()| summary))
        .with_context(|| format!("writing {}", events.display()))?;
    for (path, text) in [
        (&reference, reference_csv(REFERENCE_ROWS, options.seed)),
        (&monitor, MONITOR_TOML.to_owned()),
        (&alerts, ALERTS_TOML.to_owned()),
        (&policy, POLICY_TOML.to_owned()),
    ] {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(summary)
}

#[allow(clippy::print_stdout)] // the demo's story is its output
fn say(text: &str) {
    print!("{text}");
}
