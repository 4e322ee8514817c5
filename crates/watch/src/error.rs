//! The failures of the monitoring loop.

use std::path::PathBuf;

use telemetry::alert::AlertError;

/// The monitoring loop could not go on.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// Reading the input failed.
    #[error("{name}: {source}")]
    Input {
        /// The input's name (a path, or `stdin`).
        name: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint's position does not fit the input it is resumed on.
    #[error("{path}: cannot resume: {reason}")]
    Resume {
        /// The input.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// A `[watch]` value is unusable (the key, then why).
    #[error("{key}: {reason}")]
    Config {
        /// The key, e.g. `watch.window.events`.
        key: String,
        /// Why it is refused.
        reason: String,
    },
    /// The reference could not be read, or has nothing to compare with.
    #[error("reference {path}: {reason}")]
    Reference {
        /// The reference file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A line is not a usable event and `--strict` asks to stop on it.
    #[error("{name}:{line}:{column}: {reason}")]
    BadLine {
        /// The input's name.
        name: String,
        /// The line number (1-based).
        line: u64,
        /// The column (1-based) where parsing failed, 0 when the whole line is at fault.
        column: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// Writing the output directory (reports, rejected lines, checkpoint) failed.
    #[error("{path}: {source}")]
    Output {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The checkpoint exists but cannot be used.
    #[error("{path}: {reason}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// Why (unreadable, another version, another configuration).
        reason: String,
    },
    /// The retrain policy file could not be read.
    #[error("{path}: {reason}")]
    Policy {
        /// The policy file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The job queue failed.
    #[error("retrain queue {path}: {source}")]
    Queue {
        /// The queue's file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: retrain_policy::QueueError,
    },
    /// The alerts configuration or outbox failed.
    #[error("alerts: {0}")]
    Alerts(#[from] AlertError),
}

impl WatchError {
    /// Whether the user's input or configuration is at fault (exit 2), rather than the
    /// machine (I/O, a database: exit 3).
    pub fn is_input(&self) -> bool {
        match self {
            WatchError::Config { .. }
            | WatchError::Reference { .. }
            | WatchError::BadLine { .. }
            | WatchError::Checkpoint { .. }
            | WatchError::Policy { .. }
            | WatchError::Resume { .. } => true,
            WatchError::Alerts(e) => matches!(
                e,
                AlertError::ReadConfig { .. }
                    | AlertError::ParseConfig { .. }
                    | AlertError::Config { .. }
            ),
            WatchError::Input { .. } | WatchError::Output { .. } | WatchError::Queue { .. } => {
                false
            }
        }
    }
}
