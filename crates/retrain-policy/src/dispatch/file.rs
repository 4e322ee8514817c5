//! The file dispatcher: appends each job as one JSON line and syncs it to disk.
//!
//! Like every dispatcher it delivers at least once (a crash between the write and the
//! queue's `complete` repeats the line), so readers deduplicate on `idempotency_key`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use super::{Dispatcher, JobMessage};
use crate::error::DispatchError;
use crate::queue::Job;

/// Appends jobs to a JSON Lines file (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDispatcher {
    /// The file, created if missing.
    pub path: PathBuf,
}

impl FileDispatcher {
    /// A dispatcher appending to `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileDispatcher { path: path.into() }
    }
}

impl Dispatcher for FileDispatcher {
    fn dispatch(&self, job: &Job) -> Result<(), DispatchError> {
        let mut line = JobMessage::of(job).to_json()?;
        line.push(b'\n');
        let io = |source| DispatchError::Io {
            path: self.path.display().to_string(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        // One write call per line, so concurrent appenders do not interleave within a line.
        file.write_all(&line).map_err(io)?;
        file.sync_data().map_err(io)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_one_json_line_per_job() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jobs.jsonl");
        let dispatcher = FileDispatcher::new(&path);
        let mut job = Job {
            id: 1,
            idempotency_key: "k1".into(),
            model: "m".into(),
            version: "v".into(),
            reason: "r".into(),
            window: "w".into(),
            payload: serde_json::json!({"a": [1, 2]}),
            state: crate::queue::JobState::Dispatched,
            attempts: 1,
            max_attempts: 3,
            created_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            updated_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            available_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            lease_expires_at: None,
            worker: None,
            last_error: None,
        };
        dispatcher.dispatch(&job).unwrap();
        job.id = 2;
        job.idempotency_key = "k2".into();
        dispatcher.dispatch(&job).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let keys: Vec<String> = text
            .lines()
            .map(|line| {
                serde_json::from_str::<JobMessage>(line)
                    .unwrap()
                    .idempotency_key
            })
            .collect();
        assert_eq!(keys, vec!["k1".to_owned(), "k2".to_owned()]);
    }

    #[test]
    fn an_unwritable_path_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let dispatcher = FileDispatcher::new(dir.path());
        let job = Job {
            id: 1,
            idempotency_key: "k".into(),
            model: "m".into(),
            version: "v".into(),
            reason: "r".into(),
            window: "w".into(),
            payload: serde_json::Value::Null,
            state: crate::queue::JobState::Dispatched,
            attempts: 1,
            max_attempts: 1,
            created_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            updated_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            available_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            lease_expires_at: None,
            worker: None,
            last_error: None,
        };
        assert!(matches!(
            dispatcher.dispatch(&job),
            Err(DispatchError::Io { .. })
        ));
    }
}
