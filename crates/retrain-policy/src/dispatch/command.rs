//! The command dispatcher: runs a configured program with the job as JSON on its stdin.
//!
//! Exit status 0 is success; anything else, a signal or the timeout is a failed attempt
//! (retried through the queue). The program also gets `MONITOR_JOB_ID`,
//! `MONITOR_IDEMPOTENCY_KEY` and `MONITOR_ATTEMPT` in its environment.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Dispatcher, JobMessage};
use crate::error::DispatchError;
use crate::queue::Job;

/// Runs a program per job (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandDispatcher {
    /// The program (a path or a name looked up in `PATH`).
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// How long it may run before it is killed and the attempt fails.
    pub timeout: Duration,
}

impl CommandDispatcher {
    /// A dispatcher running `program args...` with a timeout.
    pub fn new(program: impl Into<String>, args: Vec<String>, timeout: Duration) -> Self {
        CommandDispatcher {
            program: program.into(),
            args,
            timeout,
        }
    }
}

/// The last `limit` characters of a stream's text.
fn tail(bytes: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let skip = text.chars().count().saturating_sub(limit);
    text.chars().skip(skip).collect()
}

impl Dispatcher for CommandDispatcher {
    fn dispatch(&self, job: &Job) -> Result<(), DispatchError> {
        let body = JobMessage::of(job).to_json()?;
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .env("MONITOR_JOB_ID", job.id.to_string())
            .env("MONITOR_IDEMPOTENCY_KEY", &job.idempotency_key)
            .env("MONITOR_ATTEMPT", job.attempts.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| DispatchError::Spawn {
                program: self.program.clone(),
                source,
            })?;
        // Feed stdin and drain stderr on their own threads, so that a program that does not
        // read its input, or writes a lot, cannot block us past the timeout.
        let stdin = child.stdin.take();
        let writer = std::thread::spawn(move || {
            if let Some(mut stdin) = stdin {
                // A program that exits without reading closes the pipe: not our failure.
                let _ = stdin.write_all(&body);
            }
        });
        let stderr = child.stderr.take();
        let reader = std::thread::spawn(move || {
            let mut buffer = Vec::new();
            if let Some(mut stderr) = stderr {
                let _ = stderr.read_to_end(&mut buffer);
            }
            buffer
        });
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        let status = loop {
            let polled = child.try_wait().map_err(|source| DispatchError::Io {
                path: self.program.clone(),
                source,
            })?;
            if let Some(status) = polled {
                break Some(status);
            }
            if started.elapsed() >= self.timeout {
                // Already exited between the poll and now is fine: kill then fails harmlessly.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        };
        let _ = writer.join();
        let stderr = reader.join().unwrap_or_default();
        match status {
            Some(status) if status.success() => Ok(()),
            Some(status) => Err(DispatchError::Command {
                program: self.program.clone(),
                status: status.to_string(),
                stderr: tail(&stderr, 500),
            }),
            None => Err(DispatchError::Command {
                program: self.program.clone(),
                status: format!("timed out after {:?} and was killed", self.timeout),
                stderr: tail(&stderr, 500),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Job {
        Job {
            id: 11,
            idempotency_key: "k-11".into(),
            model: "churn".into(),
            version: "v3".into(),
            reason: "drift".into(),
            window: "w".into(),
            payload: serde_json::json!({"n": 1}),
            state: crate::queue::JobState::Dispatched,
            attempts: 1,
            max_attempts: 3,
            created_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            updated_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            available_at: "2026-11-27T12:00:00Z".parse().unwrap(),
            lease_expires_at: None,
            worker: None,
            last_error: None,
        }
    }

    fn sh(script: &str) -> CommandDispatcher {
        CommandDispatcher::new(
            "sh",
            vec!["-c".into(), script.into()],
            Duration::from_secs(20),
        )
    }

    #[test]
    fn the_job_arrives_on_stdin_and_exit_zero_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got.json");
        let script = format!(
            "cat > '{}' && test \"$MONITOR_IDEMPOTENCY_KEY\" = k-11",
            out.display()
        );
        sh(&script).dispatch(&job()).unwrap();
        let got: JobMessage = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(got, JobMessage::of(&job()));
    }

    #[test]
    fn non_zero_exit_fails_with_stderr() {
        let error = sh("echo 'trainer busy' >&2; exit 3")
            .dispatch(&job())
            .unwrap_err();
        let text = error.to_string();
        assert!(text.contains("exit status: 3"), "{text}");
        assert!(text.contains("trainer busy"), "{text}");
        assert!(!error.is_permanent());
    }

    #[test]
    fn a_program_that_hangs_is_killed_at_the_timeout() {
        let mut dispatcher = sh("exec sleep 30");
        dispatcher.timeout = Duration::from_millis(200);
        let started = Instant::now();
        let error = dispatcher.dispatch(&job()).unwrap_err();
        assert!(error.to_string().contains("timed out"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_missing_program_cannot_start() {
        let dispatcher =
            CommandDispatcher::new("/nonexistent/trainer", vec![], Duration::from_secs(1));
        assert!(matches!(
            dispatcher.dispatch(&job()),
            Err(DispatchError::Spawn { .. })
        ));
    }
}
