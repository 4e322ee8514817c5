//! The errors retrain-policy returns: a bad policy or signals file, a queue or a dispatch failure.

/// A policy file that cannot be used, located at the key that is wrong.
///
/// Both TOML syntax errors and semantic errors (a negative cooldown, an unknown rule name)
/// come back as this one variant, so that a user always sees where to look.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}line {line}, column {column}: {reason}", key_prefix(.key))]
pub struct PolicyError {
    /// The dotted path of the offending key (`guardrails.cooldown`,
    /// `guardrails.freeze[1].start`), or `None` when the text is not TOML at all.
    pub key: Option<String>,
    /// 1-based line of the offending key or value.
    pub line: usize,
    /// 1-based column (in characters) of the offending key or value.
    pub column: usize,
    /// What is wrong, in lowercase words.
    pub reason: String,
}

fn key_prefix(key: &Option<String>) -> String {
    match key {
        Some(key) => format!("key `{key}`, "),
        None => String::new(),
    }
}

/// A signals or history document that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SignalsError {
    /// The text is not JSON, or a field has the wrong type.
    #[error("signals: {0}")]
    Json(#[from] serde_json::Error),
}

/// A job-queue operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The database could not be opened, read or written.
    #[error("queue database: {0}")]
    Database(#[from] rusqlite::Error),
    /// No job has this id.
    #[error("no job with id {0}")]
    NotFound(i64),
    /// The job's lease was taken over by another claim (it expired), so this dispatcher may
    /// no longer complete or fail it; the other claim will.
    #[error("job {id}: the lease is no longer held (the job was claimed again or finished)")]
    LeaseLost {
        /// The job's id.
        id: i64,
    },
    /// The operation does not apply to the job's current state (retrying a succeeded job).
    #[error("job {id} is {state}: {action} needs a job that is {expected}")]
    WrongState {
        /// The job's id.
        id: i64,
        /// Its current state.
        state: crate::queue::JobState,
        /// What was asked.
        action: &'static str,
        /// The states that allow it, in words.
        expected: &'static str,
    },
    /// Purging is only for finished or given-up jobs (succeeded, failed, dead); live jobs
    /// are never dropped.
    #[error("cannot purge {0} jobs: only succeeded, failed and dead jobs can be purged")]
    NotPurgeable(crate::queue::JobState),
    /// A stored job's payload or a column is not what this version wrote (a corrupt or
    /// foreign database).
    #[error("job {id}: stored {field} is unreadable: {reason}")]
    Corrupt {
        /// The job's id.
        id: i64,
        /// The column.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A parameter is out of range (zero max attempts, a zero lease).
    #[error("{name} must be {expected}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// The valid range, in words.
        expected: &'static str,
    },
}

/// One delivery attempt that failed; the queue decides whether it is retried.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The HTTP request could not be made or timed out (connection refused, DNS, TLS,
    /// timeout): worth retrying.
    #[error("webhook {url}: {source}")]
    Http {
        /// The endpoint.
        url: String,
        /// The client's error.
        source: reqwest::Error,
    },
    /// The receiver answered with a status other than 2xx. 408, 429 and 5xx are retried;
    /// other 4xx are permanent (the job goes straight to `dead`).
    #[error("webhook {url}: status {status}: {body}")]
    Status {
        /// The endpoint.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The command could not be started.
    #[error("command {program}: cannot start: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The command exited with a non-zero status, was killed by a signal or timed out.
    #[error("command {program}: {status}; stderr: {stderr}")]
    Command {
        /// The program.
        program: String,
        /// How it ended, in words (`exit status 3`, `timed out after 30s`).
        status: String,
        /// The end of its standard error.
        stderr: String,
    },
    /// Reading or writing a file (the file dispatcher's output, a pipe) failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or stream.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The job could not be encoded as JSON.
    #[error("job {id}: cannot encode as JSON: {source}")]
    Encode {
        /// The job's id.
        id: i64,
        /// The encoder's error.
        source: serde_json::Error,
    },
}

impl DispatchError {
    /// Whether another attempt cannot help (a 4xx other than 408 and 429): the job then
    /// goes to `dead` without waiting for its remaining attempts.
    pub fn is_permanent(&self) -> bool {
        match self {
            DispatchError::Status { status, .. } => {
                (400..500).contains(status) && *status != 408 && *status != 429
            }
            DispatchError::Encode { .. } => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_error_names_key_line_and_column() {
        let error = PolicyError {
            key: Some("guardrails.cooldown".into()),
            line: 4,
            column: 12,
            reason: "must not be negative".into(),
        };
        assert_eq!(
            error.to_string(),
            "key `guardrails.cooldown`, line 4, column 12: must not be negative"
        );
    }

    #[test]
    fn only_client_errors_are_permanent() {
        let status = |status| DispatchError::Status {
            url: "u".into(),
            status,
            body: String::new(),
        };
        assert!(status(400).is_permanent());
        assert!(status(404).is_permanent());
        assert!(!status(408).is_permanent());
        assert!(!status(429).is_permanent());
        assert!(!status(500).is_permanent());
        assert!(!status(503).is_permanent());
    }
}
