//! The `monitor` binary: parses arguments, reads files, runs the crates, maps errors to exit codes.

mod config;
mod drift;
mod exit;
mod output;
mod progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = match cli.log_format.as_deref() {
        Some("json") => telemetry::LogFormat::Json,
        Some(_) => telemetry::LogFormat::Text,
        None if std::io::IsTerminal::is_terminal(&std::io::stderr()) => telemetry::LogFormat::Text,
        None => telemetry::LogFormat::Json,
    };
    // logging is best effort: a second subscriber cannot exist in this fresh process
    let _ = telemetry::init_logging(format);
    let result = match cli.command {
        Command::Drift(args) => drift::run(&args),
    };
    exit::report(result)
}
