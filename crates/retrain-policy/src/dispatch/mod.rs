//! Delivering jobs: the dispatchers (webhook, command, file) and the loop that drives them.
//!
//! [`dispatch_once`] claims one due job, hands it to a [`Dispatcher`], and completes or
//! fails it; [`run`] repeats that. What every dispatcher delivers is the same JSON
//! document, [`JobMessage`].

mod command;
mod file;
mod webhook;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::{DispatchError, QueueError};
use crate::queue::{Job, JobQueue, JobState};

pub use command::CommandDispatcher;
pub use file::FileDispatcher;
pub use webhook::{SIGNATURE_HEADER, WebhookDispatcher, sign, verify};

/// What a dispatcher delivers: the webhook's body, the command's stdin, the file's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobMessage {
    /// The queue's id of the job.
    pub id: i64,
    /// Deduplicate on this: a job may be delivered more than once (after a crash), never
    /// with a different key.
    pub idempotency_key: String,
    /// The model to retrain.
    pub model: String,
    /// The version the decision was about.
    pub version: String,
    /// Why.
    pub reason: String,
    /// The evaluation window.
    pub window: String,
    /// This delivery's attempt number (1 for the first).
    pub attempt: u32,
    /// When the job was enqueued.
    pub created_at: Timestamp,
    /// The payload (the decision).
    pub payload: serde_json::Value,
}

impl JobMessage {
    /// The message for a claimed job.
    pub fn of(job: &Job) -> JobMessage {
        JobMessage {
            id: job.id,
            idempotency_key: job.idempotency_key.clone(),
            model: job.model.clone(),
            version: job.version.clone(),
            reason: job.reason.clone(),
            window: job.window.clone(),
            attempt: job.attempts,
            created_at: job.created_at,
            payload: job.payload.clone(),
        }
    }

    /// The message as compact JSON bytes.
    ///
    /// # Errors
    /// [`DispatchError::Encode`] if the payload cannot be encoded.
    pub fn to_json(&self) -> Result<Vec<u8>, DispatchError> {
        serde_json::to_vec(self).map_err(|source| DispatchError::Encode {
            id: self.id,
            source,
        })
    }
}

/// Delivers one job; an error means the attempt failed.
pub trait Dispatcher: Send + Sync {
    /// Delivers `job` once.
    ///
    /// # Errors
    /// A [`DispatchError`] describing the failed attempt; [`DispatchError::is_permanent`]
    /// says whether retrying can help.
    fn dispatch(&self, job: &Job) -> Result<(), DispatchError>;
}

/// How a dispatch loop identifies itself and leases jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerOptions {
    /// This dispatcher's name, recorded on the jobs it claims.
    pub worker_id: String,
    /// How long a claim holds a job: longer than one delivery can take (the webhook's
    /// timeout plus margin), since a job is handed to another dispatcher after it.
    pub lease: Duration,
    /// How long [`run`] waits when nothing is due.
    pub idle_wait: Duration,
    /// Whether [`run`] returns once every job is finished (succeeded or dead) rather
    /// than waiting for new ones.
    pub drain: bool,
}

impl Default for WorkerOptions {
    /// Lease 60 s, idle wait 1 s, keep running.
    fn default() -> Self {
        WorkerOptions {
            worker_id: "monitor".into(),
            lease: Duration::from_secs(60),
            idle_wait: Duration::from_secs(1),
            drain: false,
        }
    }
}

/// What happened to one claimed job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchReport {
    /// The job's id.
    pub id: i64,
    /// The attempt number.
    pub attempt: u32,
    /// Its state afterwards: succeeded, failed (will be retried) or dead; dispatched when
    /// the lease was lost meanwhile (another claim owns the job now).
    pub state: JobState,
    /// The attempt's error, if it failed.
    pub error: Option<String>,
    /// When a failed job is due again.
    pub retry_at: Option<Timestamp>,
}

/// Claims one due job and dispatches it; `None` when nothing is due.
///
/// # Errors
/// [`QueueError`] when the queue cannot be read or written. A lost lease is not an error
/// here: it is reported with state `dispatched`.
pub fn dispatch_once(
    queue: &dyn JobQueue,
    dispatcher: &dyn Dispatcher,
    options: &WorkerOptions,
) -> Result<Option<DispatchReport>, QueueError> {
    let Some(lease) = queue.claim(&options.worker_id, options.lease)? else {
        return Ok(None);
    };
    let attempt = lease.job.attempts;
    let outcome = dispatcher.dispatch(&lease.job);
    let (recorded, error) = match &outcome {
        Ok(()) => (queue.complete(&lease), None),
        Err(error) => {
            let message = error.to_string();
            (
                queue.fail(&lease, &message, error.is_permanent()),
                Some(message),
            )
        }
    };
    match recorded {
        Ok(job) => Ok(Some(DispatchReport {
            id: job.id,
            attempt,
            state: job.state,
            error,
            retry_at: (job.state == JobState::Failed).then_some(job.available_at),
        })),
        Err(QueueError::LeaseLost { id }) => Ok(Some(DispatchReport {
            id,
            attempt,
            state: JobState::Dispatched,
            error,
            retry_at: None,
        })),
        Err(other) => Err(other),
    }
}

/// What a [`run`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Jobs delivered.
    pub succeeded: usize,
    /// Attempts that failed and will be retried.
    pub failed: usize,
    /// Jobs given up.
    pub dead: usize,
    /// Deliveries whose lease was lost meanwhile.
    pub lease_lost: usize,
}

/// Dispatches until `stop` is set, or, with `options.drain`, until no job is pending,
/// dispatched or failed. Waits `options.idle_wait` (on `clock`) when nothing is due.
///
/// # Errors
/// [`QueueError`] when the queue cannot be read or written.
pub fn run(
    queue: &dyn JobQueue,
    dispatcher: &dyn Dispatcher,
    options: &WorkerOptions,
    clock: &dyn Clock,
    stop: &AtomicBool,
) -> Result<RunSummary, QueueError> {
    let mut summary = RunSummary::default();
    while !stop.load(Ordering::SeqCst) {
        match dispatch_once(queue, dispatcher, options)? {
            Some(report) => match report.state {
                JobState::Succeeded => summary.succeeded += 1,
                JobState::Failed => summary.failed += 1,
                JobState::Dead => summary.dead += 1,
                JobState::Dispatched | JobState::Pending => summary.lease_lost += 1,
            },
            None => {
                if options.drain {
                    let outstanding = queue
                        .counts()?
                        .iter()
                        .filter(|(state, _)| {
                            matches!(
                                state,
                                JobState::Pending | JobState::Dispatched | JobState::Failed
                            )
                        })
                        .map(|(_, n)| n)
                        .sum::<usize>();
                    if outstanding == 0 {
                        break;
                    }
                }
                clock.sleep(options.idle_wait);
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::clock::ManualClock;
    use crate::queue::{Backoff, NewJob, QueueOptions, SqliteQueue};

    /// Fails the first `failures` deliveries of each job, with the given permanence.
    struct Flaky {
        failures: u32,
        status: u16,
        delivered: Mutex<Vec<(i64, u32)>>,
    }

    impl Dispatcher for Flaky {
        fn dispatch(&self, job: &Job) -> Result<(), DispatchError> {
            self.delivered.lock().unwrap().push((job.id, job.attempts));
            if job.attempts <= self.failures {
                Err(DispatchError::Status {
                    url: "http://test".into(),
                    status: self.status,
                    body: String::new(),
                })
            } else {
                Ok(())
            }
        }
    }

    fn queue(clock: Arc<ManualClock>) -> (tempfile::TempDir, SqliteQueue) {
        let dir = tempfile::tempdir().unwrap();
        let options = QueueOptions {
            max_attempts: 4,
            backoff: Backoff {
                base: Duration::from_secs(1),
                max: Duration::from_secs(8),
                factor: 2.0,
                jitter: 0.5,
            },
            seed: 3,
            busy_timeout: Duration::from_secs(5),
        };
        let queue = SqliteQueue::open_with_clock(dir.path().join("q.db"), options, clock).unwrap();
        for i in 0..3 {
            queue
                .enqueue(&NewJob {
                    model: "m".into(),
                    version: "v".into(),
                    reason: "r".into(),
                    window: format!("w{i}"),
                    payload: serde_json::json!({}),
                    max_attempts: None,
                })
                .unwrap();
        }
        (dir, queue)
    }

    fn options() -> WorkerOptions {
        WorkerOptions {
            worker_id: "test".into(),
            lease: Duration::from_secs(30),
            idle_wait: Duration::from_millis(500),
            drain: true,
        }
    }

    #[test]
    fn run_retries_through_the_queue_until_drained() {
        let clock = Arc::new(ManualClock::new("2026-11-27T12:00:00Z".parse().unwrap()));
        let (_dir, queue) = queue(clock.clone());
        let flaky = Flaky {
            failures: 2,
            status: 503,
            delivered: Mutex::new(Vec::new()),
        };
        let summary = run(
            &queue,
            &flaky,
            &options(),
            clock.as_ref(),
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(
            summary,
            RunSummary {
                succeeded: 3,
                failed: 6,
                dead: 0,
                lease_lost: 0
            }
        );
        assert_eq!(flaky.delivered.lock().unwrap().len(), 9);
        assert!(queue.list(Some(JobState::Succeeded), 10).unwrap().len() == 3);
    }

    #[test]
    fn permanent_errors_and_exhausted_attempts_end_dead() {
        let clock = Arc::new(ManualClock::new("2026-11-27T12:00:00Z".parse().unwrap()));
        let (_dir, queue) = queue(clock.clone());
        let rejecting = Flaky {
            failures: u32::MAX,
            status: 422,
            delivered: Mutex::new(Vec::new()),
        };
        let summary = run(
            &queue,
            &rejecting,
            &options(),
            clock.as_ref(),
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!((summary.dead, summary.failed), (3, 0));
        let (_dir, queue) = self::queue(clock.clone());
        let down = Flaky {
            failures: u32::MAX,
            status: 503,
            delivered: Mutex::new(Vec::new()),
        };
        let summary = run(
            &queue,
            &down,
            &options(),
            clock.as_ref(),
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!((summary.dead, summary.failed), (3, 9));
    }

    #[test]
    fn dispatch_once_reports_nothing_due() {
        let clock = Arc::new(ManualClock::new("2026-11-27T12:00:00Z".parse().unwrap()));
        let (_dir, queue) = queue(clock.clone());
        let ok = Flaky {
            failures: 0,
            status: 500,
            delivered: Mutex::new(Vec::new()),
        };
        for _ in 0..3 {
            let report = dispatch_once(&queue, &ok, &options()).unwrap().unwrap();
            assert_eq!((report.state, report.attempt), (JobState::Succeeded, 1));
        }
        assert_eq!(dispatch_once(&queue, &ok, &options()).unwrap(), None);
    }

    #[test]
    fn a_stop_flag_ends_the_loop() {
        let clock = Arc::new(ManualClock::new("2026-11-27T12:00:00Z".parse().unwrap()));
        let (_dir, queue) = queue(clock.clone());
        let ok = Flaky {
            failures: 0,
            status: 500,
            delivered: Mutex::new(Vec::new()),
        };
        let summary = run(
            &queue,
            &ok,
            &options(),
            clock.as_ref(),
            &AtomicBool::new(true),
        )
        .unwrap();
        assert_eq!(summary, RunSummary::default());
        assert!(ok.delivered.lock().unwrap().is_empty());
    }

    #[test]
    fn message_carries_the_key_and_attempt() {
        let clock = Arc::new(ManualClock::new("2026-11-27T12:00:00Z".parse().unwrap()));
        let (_dir, queue) = queue(clock);
        let lease = queue.claim("w", Duration::from_secs(5)).unwrap().unwrap();
        let message = JobMessage::of(&lease.job);
        let json: serde_json::Value = serde_json::from_slice(&message.to_json().unwrap()).unwrap();
        assert_eq!(json["idempotency_key"], lease.job.idempotency_key.as_str());
        assert_eq!(json["attempt"], 1);
        assert_eq!(json["window"], "w0");
    }
}
