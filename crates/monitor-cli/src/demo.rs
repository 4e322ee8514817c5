//! `monitor demo`: a self-contained scenario on embedded defaults. It writes a seeded
//! prediction stream (data and concept drift at a known event, delayed labels, a slower
//! canary), a reference and the configuration into a directory, runs the watch loop over
//! the stream and the canary analysis over its latencies, and says what fired and why.
//! `--generate-only` stops after writing the files (the benchmarks and tests use them).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, anyhow};
use canary_core::config::{Direction, JudgeConfig, MetricConfig};
use canary_core::judge::{CanaryVerdict, Decision, MetricData, MetricInput, judge};
use retrain_policy::Outcome as RetrainOutcome;
use watch::report::WindowReport;
use watch::scenario::{ScenarioOptions, ScenarioSummary, reference_csv, write_stream};
use watch::source::Input;
use watch::watcher::Summary;

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
/// tests, dataset drift when half the columns drift, ADWIN on the per-event error, alerts
/// into a local outbox, retraining into a SQLite queue.
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
    let stop = AtomicBool::new(false);
    let metrics = Arc::new(telemetry::metrics::Metrics::new());
    let summary_of_run = crate::watch::watch_file(
        &args.dir.join("monitor.toml"),
        Input::File {
            path: args.dir.join("events.jsonl"),
            follow: false,
        },
        None,
        false,
        metrics,
        &stop,
    )?;
    let windows = read_windows(&args.dir.join("watch-out/windows.jsonl"))?;
    let canary = judge_canary(&args.dir.join("events.jsonl"))?;
    say(&story(
        &options,
        &summary,
        &summary_of_run,
        &windows,
        &canary,
        &args.dir,
    ));
    Ok(Outcome::Clean)
}

/// The window reports the loop appended.
fn read_windows(path: &Path) -> Result<Vec<WindowReport>, Failure> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))
        .map_err(Failure::Runtime)?;
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .with_context(|| format!("{}:{}: not a window report", path.display(), i + 1))
                .map_err(Failure::Runtime)
        })
        .collect()
}

/// The canary analysis: the canary's latencies against the baseline's, judged as Kayenta
/// would (Mann-Whitney, Hodges-Lehmann shift; an increase fails and is critical).
fn judge_canary(events: &Path) -> Result<CanaryVerdict, Failure> {
    #[derive(serde::Deserialize)]
    struct Served {
        variant: Option<String>,
        latency_ms: Option<f64>,
    }
    let text = std::fs::read_to_string(events)
        .with_context(|| format!("reading {}", events.display()))
        .map_err(Failure::Runtime)?;
    let (mut baseline, mut candidate) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let Ok(Served {
            variant: Some(variant),
            latency_ms: Some(latency),
        }) = serde_json::from_str::<Served>(line)
        else {
            continue; // a label event
        };
        match variant.as_str() {
            "baseline" => baseline.push(latency),
            "canary" => candidate.push(latency),
            _ => {}
        }
    }
    let mut metric = MetricConfig::new("latency_ms");
    metric.direction = Direction::Increase;
    metric.critical = true;
    let config = JudgeConfig {
        metrics: vec![metric],
        ..JudgeConfig::default()
    };
    let inputs = [MetricInput {
        name: "latency_ms",
        data: MetricData::Samples {
            baseline: &baseline,
            candidate: &candidate,
        },
    }];
    judge(&config, &inputs).map_err(|e| Failure::Runtime(e.into()))
}

/// What happened, window by window, then what fired and why.
fn story(
    options: &ScenarioOptions,
    stream: &ScenarioSummary,
    run: &Summary,
    windows: &[WindowReport],
    canary: &CanaryVerdict,
    dir: &Path,
) -> String {
    let mut out = String::new();
    let shift_at = options.shift_at.unwrap_or(0);
    let _ = writeln!(
        out,
        "monitor demo: {} predictions of model {} {} ({:.0}% served by a canary {:.1}x slower), {} labels {} predictions later.\n\
         From prediction {shift_at} on, age rises by 0.8 sd, plans shift towards pro and enterprise, and tenure's effect on churn flips.\n",
        stream.predictions,
        options.model,
        options.version,
        options.canary_share * 100.0,
        options.canary_latency_factor,
        stream.labels,
        options.label_delay,
    );
    let _ = writeln!(
        out,
        "{:>6}  {:>15}  {:>11}  {:>8}  {:>8}  {:<15}  alerts raised",
        "window", "predictions", "drift share", "accuracy", "labelled", "retrain"
    );
    let mut first = 0u64;
    for w in windows {
        let drift = drift_of(w);
        let share = drift["drift_share"].as_f64();
        let drifted = drift["dataset_drift"].as_bool();
        let _ = writeln!(
            out,
            "{:>6}  {:>15}  {:>11}  {:>8}  {:>7.0}%  {:<15}  {}",
            w.index,
            format!("{first}-{}", first + w.n - 1),
            match (share, drifted) {
                (Some(share), Some(true)) => format!("{share:.2} drift"),
                (Some(share), _) => format!("{share:.2}"),
                _ => "-".to_owned(),
            },
            w.performance
                .accuracy
                .map_or_else(|| "-".to_owned(), |a| format!("{a:.3}")),
            w.label_completeness * 100.0,
            w.retrain.as_ref().map_or_else(
                || "-".to_owned(),
                |r| match r.job_id {
                    Some(id) => format!("{} (job {id})", decision_name(r.decision)),
                    None => decision_name(r.decision).to_owned(),
                }
            ),
            if w.alerts.raised.is_empty() {
                "-".to_owned()
            } else {
                w.alerts.raised.join(", ")
            },
        );
        first += w.n;
    }
    out.push_str("\nWhat fired, and why:\n");
    let mut first = 0u64;
    for w in windows {
        let range = format!(
            "window {} (predictions {first}-{})",
            w.index,
            first + w.n - 1
        );
        let holds_shift = (first..first + w.n).contains(&shift_at);
        first += w.n;
        for alert in &w.alerts.raised {
            let why = match alert.as_str() {
                watch::watcher::DRIFT_ALERT => drifted_columns(w),
                watch::watcher::PERFORMANCE_ALERT => format!(
                    "accuracy {} on {} labelled predictions fell below the baseline",
                    w.performance
                        .accuracy
                        .map_or_else(|| "-".to_owned(), |a| format!("{a:.3}")),
                    w.performance.labelled
                ),
                _ => w
                    .alarms
                    .iter()
                    .map(|a| {
                        format!(
                            "{} on the per-event {} signalled a change after {} predictions",
                            a.detector, a.on, a.events
                        )
                    })
                    .take(3)
                    .collect::<Vec<_>>()
                    .join("; "),
            };
            let _ = writeln!(
                out,
                "- {range}{}: {alert}: {why}",
                if holds_shift {
                    ", which holds the shift"
                } else {
                    ""
                }
            );
        }
        if let Some(retrain) = &w.retrain
            && retrain.job_id.is_some()
        {
            let _ = writeln!(
                out,
                "- {range}: retraining queued as job {} ({})",
                retrain.job_id.unwrap_or_default(),
                retrain.summary
            );
        }
    }
    if let Some(blocked) = windows.iter().rev().find_map(|w| {
        w.retrain
            .as_ref()
            .filter(|r| r.decision == RetrainOutcome::Blocked)
            .map(|r| (w.index, r))
    }) {
        let _ = writeln!(
            out,
            "- window {}: retraining {}",
            blocked.0, blocked.1.summary
        );
    }
    let _ = writeln!(
        out,
        "- canary: {:?}, score {:.0}: {}; {}",
        canary.decision,
        canary.score,
        match canary.decision {
            Decision::Pass => "promote it",
            Decision::Marginal => "hold it where it is",
            Decision::Fail => "roll it back",
            Decision::Inconclusive => "wait for more traffic",
        },
        canary.reason
    );
    for metric in &canary.metrics {
        let _ = writeln!(
            out,
            "  {}: {} (n {}/{}, shift {}{})",
            metric.name,
            metric.classification.label(),
            metric.n_baseline,
            metric.n_candidate,
            metric
                .estimate
                .map_or_else(|| "-".to_owned(), |e| format!("{e:+.2} ms")),
            metric.interval.map_or_else(String::new, |[lo, hi]| format!(
                ", 98% interval [{lo:+.2}, {hi:+.2}]"
            )),
        );
    }
    let _ = writeln!(
        out,
        "\n{} windows, {} events, {} labels joined, {} alerts raised, {} retraining jobs. \
         Window reports: {}; the queue: monitor retrain queue list --queue {}; alerts: monitor alerts list --config {}",
        run.totals.windows,
        run.totals.events,
        run.totals.labels_joined,
        run.totals.alerts_raised,
        run.totals.jobs,
        dir.join("watch-out/windows.jsonl").display(),
        dir.join("queue.sqlite").display(),
        dir.join("alerts.toml").display(),
    );
    out
}

/// A window's drift report as JSON (null when it has none).
fn drift_of(window: &WindowReport) -> serde_json::Value {
    serde_json::to_value(&window.drift).unwrap_or_default()
}

fn decision_name(decision: RetrainOutcome) -> &'static str {
    match decision {
        RetrainOutcome::Retrain => "retrain",
        RetrainOutcome::Hold => "hold",
        RetrainOutcome::Blocked => "blocked",
    }
}

/// The drifted columns of a window's drift report, with their tests.
fn drifted_columns(window: &WindowReport) -> String {
    let drift = drift_of(window);
    if drift.is_null() {
        return "no drift report".to_owned();
    }
    let columns: Vec<String> = drift["columns"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|c| c["drifted"] == true)
        .map(|c| {
            format!(
                "{} ({} {})",
                c["name"].as_str().unwrap_or("?"),
                c["test"].as_str().unwrap_or("?"),
                match c["p_value"].as_f64() {
                    Some(p) => format!("p {p:.2e}"),
                    None => format!("{:.3}", c["statistic"].as_f64().unwrap_or(f64::NAN)),
                }
            )
        })
        .collect();
    format!(
        "{} of {} columns drifted (share {:.2} >= {}): {}",
        drift["n_drifted"],
        drift["n_columns"],
        drift["drift_share"].as_f64().unwrap_or(f64::NAN),
        drift["drift_share_threshold"],
        columns.join(", ")
    )
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
    let file =
        std::fs::File::create(&events).with_context(|| format!("creating {}", events.display()))?;
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
