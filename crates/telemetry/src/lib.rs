//! Where the monitor meets the observability world.
//!
//! Today this crate sets up logging: a `tracing` subscriber that writes JSON lines or
//! readable text to stderr, filtered by `RUST_LOG` (default `warn`). Its issue adds OTLP
//! trace export, the Prometheus registry and `/metrics`, and the alert sinks; the binary
//! and the monitoring loop depend on this crate, never the statistics crates.
//!
//! ```
//! let _ = telemetry::init_logging(telemetry::LogFormat::Json);
//! tracing::info!(column = "age", "drift computed");
//! ```

use tracing_subscriber::EnvFilter;

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object a line: `timestamp`, `level`, `target`, `fields`, `span`.
    Json,
    /// Human-readable lines (for a terminal).
    Text,
}

/// Logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// A global subscriber is already installed (logging is set up once per process).
    #[error("a log subscriber is already installed")]
    AlreadyInstalled,
}

/// Installs the process-wide log subscriber, writing to stderr.
///
/// The filter comes from `RUST_LOG` (for example `RUST_LOG=drift_core=debug`) and defaults
/// to `warn`, so that a command's normal output is not mixed with logs.
///
/// # Errors
/// [`TelemetryError::AlreadyInstalled`] when called twice in one process.
pub fn init_logging(format: LogFormat) -> Result<(), TelemetryError> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    result.map_err(|_| TelemetryError::AlreadyInstalled)
}
