//! The durable job queue: jobs, their states, the idempotency key, backoff, and the trait.
//!
//! A job moves `pending → dispatched → succeeded`; a failed attempt goes to `failed` and
//! comes back after an exponential backoff with jitter, until `max_attempts` are used and
//! it is `dead`. A dispatcher holds a job under a lease: if it crashes, the lease expires
//! and the next claim takes the job again. Delivery is therefore at least once; receivers
//! deduplicate with the job's idempotency key, which makes the effect exactly once.

mod sqlite;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::QueueError;

pub use sqlite::SqliteQueue;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting to be claimed.
    Pending,
    /// Claimed by a dispatcher under a lease.
    Dispatched,
    /// Delivered.
    Succeeded,
    /// The last attempt failed; it is retried after its backoff.
    Failed,
    /// Given up: attempts exhausted or a permanent failure. `retry` brings it back.
    Dead,
}

impl JobState {
    /// Every state, in lifecycle order.
    pub const ALL: [JobState; 5] = [
        JobState::Pending,
        JobState::Dispatched,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Dead,
    ];

    /// The state's name (`pending`, ...), as stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Dispatched => "dispatched",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Dead => "dead",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        JobState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "unknown job state \"{text}\" (pending, dispatched, succeeded, failed, dead)"
                )
            })
    }
}

/// The key that makes the same decision enqueue once: a SHA-256 over (model, version,
/// reason, window), as 64 lowercase hex digits (safe in any HTTP header).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key of these four parts. Each part is length-prefixed before hashing, so
    /// `("a", "bc")` and `("ab", "c")` differ.
    pub fn new(model: &str, version: &str, reason: &str, window: &str) -> Self {
        let mut hasher = Sha256::new();
        for part in [model, version, reason, window] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        IdempotencyKey(hex(&hasher.finalize()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewJob {
    /// The model to retrain.
    pub model: String,
    /// The version the decision was about.
    pub version: String,
    /// Why (the fired rules, comma-separated).
    pub reason: String,
    /// The evaluation window.
    pub window: String,
    /// What the dispatcher delivers (the decision's JSON).
    pub payload: serde_json::Value,
    /// Attempts before the job is dead; `None` takes the queue's default.
    pub max_attempts: Option<u32>,
}

impl NewJob {
    /// The job's idempotency key.
    pub fn key(&self) -> IdempotencyKey {
        IdempotencyKey::new(&self.model, &self.version, &self.reason, &self.window)
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The queue's id.
    pub id: i64,
    /// The idempotency key (unique in the queue).
    pub idempotency_key: String,
    /// The model.
    pub model: String,
    /// The version.
    pub version: String,
    /// Why.
    pub reason: String,
    /// The window.
    pub window: String,
    /// What is delivered.
    pub payload: serde_json::Value,
    /// Its state.
    pub state: JobState,
    /// Attempts started so far (a claim starts one).
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// When it was enqueued.
    pub created_at: Timestamp,
    /// When its state last changed.
    pub updated_at: Timestamp,
    /// When it may be claimed (after a backoff, later than `updated_at`).
    pub available_at: Timestamp,
    /// When the current lease ends (dispatched jobs only).
    pub lease_expires_at: Option<Timestamp>,
    /// The dispatcher that claimed it last.
    pub worker: Option<String>,
    /// The last attempt's error.
    pub last_error: Option<String>,
}

/// A claimed job: the lease's token must accompany `complete` and `fail`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    /// The job, as claimed (its `attempts` counts this attempt).
    pub job: Job,
    /// Proves this claim is the current one.
    pub token: String,
    /// When the lease ends and another claim may take the job.
    pub expires_at: Timestamp,
}

/// What `enqueue` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Enqueued {
    /// A new job.
    Created(Job),
    /// A job with the same idempotency key existed; it is returned unchanged.
    Duplicate(Job),
}

impl Enqueued {
    /// The job, new or existing.
    pub fn job(&self) -> &Job {
        match self {
            Enqueued::Created(job) | Enqueued::Duplicate(job) => job,
        }
    }
}

/// Exponential backoff with jitter: attempt `n` (1-based) waits
/// `min(max, base * factor^(n-1))`, shortened by a random share of up to `jitter`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The first delay.
    pub base: Duration,
    /// The longest delay.
    pub max: Duration,
    /// Growth per attempt.
    pub factor: f64,
    /// Share of the delay that is random, in [0, 1]: 0 is none, 1 is "full jitter"
    /// (AWS's name for a delay uniform in [0, d]).
    pub jitter: f64,
}

impl Default for Backoff {
    /// 5 s, doubling, at most 1 h, half of it random.
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(5),
            max: Duration::from_secs(3600),
            factor: 2.0,
            jitter: 0.5,
        }
    }
}

impl Backoff {
    /// The delay before the attempt after failed attempt `attempt`, before jitter.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let seconds = self.base.as_secs_f64() * self.factor.powi(exponent);
        if !seconds.is_finite() || seconds >= self.max.as_secs_f64() {
            self.max
        } else {
            Duration::from_secs_f64(seconds)
        }
    }

    /// The delay for `attempt` given a uniform draw `unit` in [0, 1): within
    /// `[ceiling * (1 - jitter), ceiling]`.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        let unit = unit.clamp(0.0, 1.0);
        ceiling.mul_f64(1.0 - self.jitter.clamp(0.0, 1.0) * unit)
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`QueueError::InvalidParameter`] for a factor below 1 or a jitter outside [0, 1].
    pub fn validate(&self) -> Result<(), QueueError> {
        if !(self.factor >= 1.0 && self.factor.is_finite()) {
            return Err(QueueError::InvalidParameter {
                name: "backoff factor",
                expected: "a finite number of at least 1",
            });
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(QueueError::InvalidParameter {
                name: "backoff jitter",
                expected: "between 0 and 1",
            });
        }
        if self.base > self.max {
            return Err(QueueError::InvalidParameter {
                name: "backoff base",
                expected: "at most the backoff max",
            });
        }
        Ok(())
    }
}

/// How a queue behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueOptions {
    /// Attempts before a job is dead, unless the job says otherwise (default 8).
    pub max_attempts: u32,
    /// Delays between attempts.
    pub backoff: Backoff,
    /// Seed of the jitter's generator (default 0; tests pin it, services may vary it).
    pub seed: u64,
    /// How long a write waits for another process's lock (default 5 s).
    pub busy_timeout: Duration,
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            max_attempts: 8,
            backoff: Backoff::default(),
            seed: 0,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// A durable job queue. [`SqliteQueue`] is the embedded implementation; a server
/// database can implement the same operations.
///
/// Every operation is atomic: a claim either takes a job with a fresh lease or takes
/// nothing, even with several dispatcher processes on the same queue.
pub trait JobQueue: Send + Sync {
    /// Adds a job, unless one with the same idempotency key exists (in any state).
    ///
    /// # Errors
    /// [`QueueError::Database`] when the queue cannot be written.
    fn enqueue(&self, job: &NewJob) -> Result<Enqueued, QueueError>;

    /// Takes the next job that is due (pending, failed after its backoff, or dispatched
    /// under an expired lease) and leases it to `worker` for `lease`; `None` when nothing
    /// is due. A job whose lease expired on its last attempt goes to `dead` instead.
    ///
    /// # Errors
    /// [`QueueError::Database`]; [`QueueError::InvalidParameter`] for a zero lease.
    fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Lease>, QueueError>;

    /// Marks a claimed job succeeded.
    ///
    /// # Errors
    /// [`QueueError::LeaseLost`] when another claim took the job over;
    /// [`QueueError::Database`].
    fn complete(&self, lease: &Lease) -> Result<Job, QueueError>;

    /// Records a failed attempt: `failed` with a backoff, or `dead` when the attempts are
    /// used up or `permanent` is set.
    ///
    /// # Errors
    /// [`QueueError::LeaseLost`]; [`QueueError::Database`].
    fn fail(&self, lease: &Lease, error: &str, permanent: bool) -> Result<Job, QueueError>;

    /// Jobs in `state` (every state when `None`), oldest first, at most `limit`.
    ///
    /// # Errors
    /// [`QueueError::Database`].
    fn list(&self, state: Option<JobState>, limit: usize) -> Result<Vec<Job>, QueueError>;

    /// One job.
    ///
    /// # Errors
    /// [`QueueError::NotFound`]; [`QueueError::Database`].
    fn show(&self, id: i64) -> Result<Job, QueueError>;

    /// Sends a failed or dead job back to `pending`, due now, with its attempts reset.
    ///
    /// # Errors
    /// [`QueueError::WrongState`] for other states; [`QueueError::NotFound`].
    fn retry(&self, id: i64) -> Result<Job, QueueError>;

    /// Deletes jobs in `state` (succeeded, failed or dead) last changed at least
    /// `older_than` ago (all of them when `None`); returns how many.
    ///
    /// # Errors
    /// [`QueueError::NotPurgeable`] for pending and dispatched jobs.
    fn purge(&self, state: JobState, older_than: Option<Duration>) -> Result<usize, QueueError>;

    /// How many jobs are in each state (states with none are left out).
    ///
    /// # Errors
    /// [`QueueError::Database`].
    fn counts(&self) -> Result<Vec<(JobState, usize)>, QueueError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_depends_on_every_part_and_is_unambiguous() {
        let key = IdempotencyKey::new("churn", "v3", "accuracy_low", "2026-11-27");
        assert_eq!(key.as_str().len(), 64);
        assert!(key.as_str().chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            key,
            IdempotencyKey::new("churn", "v3", "accuracy_low", "2026-11-27")
        );
        for other in [
            IdempotencyKey::new("churn2", "v3", "accuracy_low", "2026-11-27"),
            IdempotencyKey::new("churn", "v4", "accuracy_low", "2026-11-27"),
            IdempotencyKey::new("churn", "v3", "drift", "2026-11-27"),
            IdempotencyKey::new("churn", "v3", "accuracy_low", "2026-11-28"),
            IdempotencyKey::new("chur", "nv3", "accuracy_low", "2026-11-27"),
        ] {
            assert_ne!(key, other);
        }
    }

    #[test]
    fn sha256_of_the_empty_parts_matches_the_standard() {
        // Four zero-length parts hash 32 zero bytes; SHA-256 of 32 zero bytes is a
        // published constant.
        assert_eq!(
            IdempotencyKey::new("", "", "", "").as_str(),
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
    }

    #[test]
    fn backoff_grows_caps_and_stays_within_jitter_bounds() {
        let backoff = Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(60),
            factor: 2.0,
            jitter: 0.25,
        };
        assert_eq!(backoff.ceiling(1), Duration::from_secs(2));
        assert_eq!(backoff.ceiling(2), Duration::from_secs(4));
        assert_eq!(backoff.ceiling(5), Duration::from_secs(32));
        assert_eq!(backoff.ceiling(6), Duration::from_secs(60));
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(60));
        let mut rng = drift_core::rng::SeededRng::new(7);
        for attempt in 1..12 {
            let ceiling = backoff.ceiling(attempt);
            for _ in 0..200 {
                let delay = backoff.delay(attempt, rng.uniform());
                assert!(delay <= ceiling, "{delay:?} > {ceiling:?}");
                assert!(
                    delay >= ceiling.mul_f64(0.75),
                    "{delay:?} < 0.75 * {ceiling:?}"
                );
            }
        }
        assert_eq!(backoff.delay(3, 0.0), Duration::from_secs(8));
        assert_eq!(backoff.delay(3, 1.0), Duration::from_secs(6));
    }

    #[test]
    fn backoff_validation() {
        assert!(Backoff::default().validate().is_ok());
        let bad = Backoff {
            factor: 0.5,
            ..Backoff::default()
        };
        assert!(bad.validate().is_err());
        let bad = Backoff {
            jitter: 1.5,
            ..Backoff::default()
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn states_round_trip_through_text() {
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
        }
        assert!("running".parse::<JobState>().is_err());
    }
}
