//! The failures of setting up telemetry, serving metrics and pushing them.

/// Telemetry could not be set up, served or pushed.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// A global subscriber is already installed (telemetry is set up once per process).
    #[error("a log subscriber is already installed")]
    AlreadyInstalled,
    /// A setting, from the configuration or an `OTEL_*` environment variable, is unusable.
    #[error("{setting}: {reason}")]
    Config {
        /// The variable or configuration key, e.g. `OTEL_EXPORTER_OTLP_PROTOCOL`.
        setting: String,
        /// What is wrong with its value.
        reason: String,
    },
    /// The OTLP exporter could not be built (an endpoint the exporter rejects, no runtime).
    #[error("building the OTLP {signal} exporter: {reason}")]
    Exporter {
        /// `traces` or `logs`.
        signal: &'static str,
        /// The exporter's own message.
        reason: String,
    },
    /// The key of the user-id hash is too short to keep ids private.
    #[error("user-id hash key: expected at least {min} bytes, got {got}")]
    WeakKey {
        /// The minimum length in bytes.
        min: usize,
        /// The key's length in bytes.
        got: usize,
    },
    /// The `/metrics` endpoint could not listen (address in use, no permission).
    #[error("serving metrics on {addr}: {source}")]
    Serve {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A push to the Pushgateway failed: unreachable, timed out, or answered with an error.
    #[error("pushing metrics to {url}: {reason}")]
    Push {
        /// The URL pushed to.
        url: String,
        /// The transport error or the gateway's status and answer.
        reason: String,
    },
}

impl TelemetryError {
    /// A [`TelemetryError::Config`] for `setting`.
    pub(crate) fn config(setting: &str, reason: impl Into<String>) -> Self {
        TelemetryError::Config {
            setting: setting.to_owned(),
            reason: reason.into(),
        }
    }
}
