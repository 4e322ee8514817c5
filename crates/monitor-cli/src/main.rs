//! The `monitor` binary: parses arguments, reads files, runs the crates, maps errors to exit codes.

mod alerts;
mod alerts_pause;
mod canary;
mod config;
mod demo;
mod detect;
mod drift;
mod exit;
mod input;
mod output;
mod profile;
mod progress;
mod retrain;
mod rollout;
mod watch;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Keeps machine learning models trustworthy in production.
#[derive(Debug, Parser)]
#[command(name = "monitor", version, about, long_about = None)]
struct Cli {
    /// Log lines as JSON (default: text on a terminal, JSON otherwise).
    #[arg(long, global = true, value_parser = ["json", "text"])]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Did the current data drift from the reference? One test per column and a verdict.
    Drift(drift::DriftArgs),
    /// Runs a streaming change detector (ADWIN, Page-Hinkley, DDM, ...) over one number a line.
    Detect(detect::DetectArgs),
    /// Builds, merges and shows mergeable column profiles (for data larger than one machine).
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// Canary analysis: judge metric samples, or drive a rollout from Prometheus.
    #[command(subcommand)]
    Canary(canary::CanaryCommand),
    /// Shadow deployment: compare a shadow model's answers with the live model's.
    #[command(subcommand)]
    Shadow(canary::ShadowCommand),
    /// Retraining: decide from signals and a policy, queue jobs durably, dispatch, backtest.
    #[command(subcommand)]
    Retrain(retrain::RetrainCommand),
    /// Alerts: list, fire, acknowledge, resolve, test the sinks, deliver the outbox.
    #[command(subcommand)]
    Alerts(alerts::AlertsCommand),
    /// A self-contained scenario: a drifting stream watched, a canary judged, what fired and why.
    Demo(demo::DemoArgs),
    /// Watches a stream of prediction and label events: windows, drift, detectors,
    /// performance, alerts and retraining, resumable after a restart.
    Watch(watch::WatchArgs),
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let format = match cli.log_format.as_deref() {
        Some("json") => telemetry::LogFormat::Json,
        Some(_) => telemetry::LogFormat::Text,
        None if std::io::IsTerminal::is_terminal(&std::io::stderr()) => telemetry::LogFormat::Text,
        None => telemetry::LogFormat::Json,
    };
    // telemetry never stops a command: with unusable OTEL_* settings, logs still work
    let config = telemetry::TelemetryConfig::new("monitor", env!("CARGO_PKG_VERSION"), format);
    let _telemetry = telemetry::init(&config).or_else(|error| {
        let mut logs_only = config.clone();
        logs_only.otlp.enabled = false;
        let guard = telemetry::init(&logs_only);
        tracing::warn!(%error, "traces are not exported");
        guard
    });
    // the root span of the command's trace, e.g. "monitor drift"
    let command = matches.subcommand_name().unwrap_or("monitor");
    let root = tracing::info_span!(
        "command",
        otel.name = format!("monitor {command}").as_str(),
        command,
        otel.status_code = tracing::field::Empty,
    );
    let result = root.in_scope(|| match cli.command {
        Command::Drift(args) => drift::run(&args),
        Command::Detect(args) => detect::run(&args),
        Command::Profile(command) => profile::run(&command),
        Command::Canary(command) => canary::run_canary(&command),
        Command::Shadow(command) => canary::run_shadow(&command),
        Command::Retrain(command) => retrain::run(&command),
        Command::Alerts(command) => alerts::run(&command),
        Command::Demo(args) => demo::run(&args),
        Command::Watch(args) => watch::run(&args),
    });
    if result.is_err() {
        root.record("otel.status_code", "ERROR");
    }
    drop(root);
    exit::report(result)
}
