//! The failures of the alert module: bad configuration or alerts, and the outbox's store.
//!
//! Kept apart from [`crate::TelemetryError`], whose variants are about setting up logs,
//! traces and metrics: alerting runs later and fails in its own ways. Delivery failures
//! (a sink down, a 4xx answer) are not errors: the outbox retries them or keeps them as
//! dead letters, and [`super::DeliveryReport`] says what happened.

/// Alerting could not be configured, an alert or a command was unusable, or the outbox's
/// database failed.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The configuration file could not be read.
    #[error("reading {path}: {source}")]
    ReadConfig {
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The configuration is not valid TOML or has an unknown key or a value of the wrong
    /// type (the message names the line and the key).
    #[error("{path}: {message}")]
    ParseConfig {
        /// The file, or `alerts.toml` for text given directly.
        path: String,
        /// The TOML reader's message, with line and key.
        message: String,
    },
    /// A setting is unusable (a bad URL, a missing secret, a heartbeat slower than the
    /// resolve timeout).
    #[error("{key}: {reason}")]
    Config {
        /// The key, e.g. `sinks[1].routing_key_env`.
        key: String,
        /// What is wrong with its value.
        reason: String,
    },
    /// An alert is unusable: a bad label name, an empty value, a reserved name.
    #[error("alert \"{name}\": {reason}")]
    InvalidAlert {
        /// The alert's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An alert's label, annotation or details key looks like a clear user id, which must
    /// never leave the process.
    #[error(
        "alert \"{name}\": {field} looks like a clear user id, which must never leave the process; \
         send a keyed hash (telemetry::prediction::UserIdHasher) under another name, such as user_hash"
    )]
    ClearUserId {
        /// The alert's name.
        name: String,
        /// Where: `label "user_id"`, `annotation "email"`, `details key "user.id"`.
        field: String,
    },
    /// No alert has this fingerprint (or fingerprint prefix).
    #[error("no alert with fingerprint {id} (see `monitor alerts list --all`)")]
    NotFound {
        /// The fingerprint or prefix asked for.
        id: String,
    },
    /// A fingerprint prefix matches more than one alert.
    #[error("fingerprint prefix {id} matches {matches} alerts: give more digits")]
    Ambiguous {
        /// The prefix asked for.
        id: String,
        /// How many alerts it matches.
        matches: usize,
    },
    /// The alert is not in a state the action applies to (acknowledging a resolved alert).
    #[error("alert {fingerprint} is {state}: cannot {action} it")]
    WrongState {
        /// The alert's fingerprint.
        fingerprint: String,
        /// Its state.
        state: &'static str,
        /// What was asked: `acknowledge`, `resolve`.
        action: &'static str,
    },
    /// The outbox's SQLite database failed (cannot open, locked past the busy timeout,
    /// disk full).
    #[error("alert outbox: {0}")]
    Database(#[from] rusqlite::Error),
    /// A row of the outbox does not hold what this version writes (edited by hand, or
    /// written by a newer version).
    #[error("alert outbox: {table} row {id}: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The row's key.
        id: String,
        /// What could not be read.
        reason: String,
    },
    /// The HTTP client could not be built (no TLS backend).
    #[error("building the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

impl AlertError {
    /// An [`AlertError::Config`] for `key`.
    pub(crate) fn config(key: impl Into<String>, reason: impl Into<String>) -> Self {
        AlertError::Config {
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// An [`AlertError::InvalidAlert`] for the alert `name`.
    pub(crate) fn invalid(name: &str, reason: impl Into<String>) -> Self {
        AlertError::InvalidAlert {
            name: name.to_owned(),
            reason: reason.into(),
        }
    }
}
