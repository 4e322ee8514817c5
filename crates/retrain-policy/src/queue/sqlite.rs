//! The embedded queue: one SQLite file in WAL mode, safe for several processes at once.
//!
//! Each operation is one transaction. A claim runs under `BEGIN IMMEDIATE`, which takes
//! the database's write lock before reading, so two dispatchers can never lease the same
//! job. Commits use `synchronous = FULL`: a job acknowledged by `enqueue` or `complete`
//! survives a crash of the process and of the machine.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use drift_core::rng::SeededRng;
use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{Enqueued, Job, JobQueue, JobState, Lease, NewJob, QueueOptions};
use crate::clock::{Clock, SystemClock};
use crate::error::QueueError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS retrain_jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key  TEXT    NOT NULL UNIQUE,
    model            TEXT    NOT NULL,
    version          TEXT    NOT NULL,
    reason           TEXT    NOT NULL,
    time_window      TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    state            TEXT    NOT NULL
        CHECK (state IN ('pending', 'dispatched', 'succeeded', 'failed', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    available_at     INTEGER NOT NULL,
    lease_token      TEXT,
    lease_expires_at INTEGER,
    worker           TEXT,
    last_error       TEXT
);
CREATE INDEX IF NOT EXISTS retrain_jobs_due ON retrain_jobs (state, available_at);
";

const COLUMNS: &str = "id, idempotency_key, model, version, reason, time_window, payload, state, \
     attempts, max_attempts, created_at, updated_at, available_at, lease_expires_at, worker, last_error";

/// The SQLite job queue (see the module docs).
pub struct SqliteQueue {
    connection: Mutex<Connection>,
    options: QueueOptions,
    clock: Arc<dyn Clock>,
    rng: Mutex<SeededRng>,
}

impl std::fmt::Debug for SqliteQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteQueue")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

fn from_millis(id: i64, field: &'static str, ms: i64) -> Result<Timestamp, QueueError> {
    Timestamp::from_millisecond(ms).map_err(|e| QueueError::Corrupt {
        id,
        field,
        reason: e.to_string(),
    })
}

fn plus(at: Timestamp, duration: Duration) -> Timestamp {
    let duration = SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX);
    at.saturating_add(duration).unwrap_or(Timestamp::MAX)
}

/// A row as stored, before its text and numbers are checked.
struct RawJob {
    id: i64,
    idempotency_key: String,
    model: String,
    version: String,
    reason: String,
    window: String,
    payload: String,
    state: String,
    attempts: i64,
    max_attempts: i64,
    created_at: i64,
    updated_at: i64,
    available_at: i64,
    lease_expires_at: Option<i64>,
    worker: Option<String>,
    last_error: Option<String>,
}

fn raw_job(row: &Row<'_>) -> rusqlite::Result<RawJob> {
    Ok(RawJob {
        id: row.get(0)?,
        idempotency_key: row.get(1)?,
        model: row.get(2)?,
        version: row.get(3)?,
        reason: row.get(4)?,
        window: row.get(5)?,
        payload: row.get(6)?,
        state: row.get(7)?,
        attempts: row.get(8)?,
        max_attempts: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
        available_at: row.get(12)?,
        lease_expires_at: row.get(13)?,
        worker: row.get(14)?,
        last_error: row.get(15)?,
    })
}

impl RawJob {
    fn into_job(self) -> Result<Job, QueueError> {
        let id = self.id;
        let corrupt = |field, reason: String| QueueError::Corrupt { id, field, reason };
        Ok(Job {
            id,
            payload: serde_json::from_str(&self.payload)
                .map_err(|e| corrupt("payload", e.to_string()))?,
            state: self.state.parse().map_err(|e| corrupt("state", e))?,
            attempts: u32::try_from(self.attempts)
                .map_err(|e| corrupt("attempts", e.to_string()))?,
            max_attempts: u32::try_from(self.max_attempts)
                .map_err(|e| corrupt("max_attempts", e.to_string()))?,
            created_at: from_millis(id, "created_at", self.created_at)?,
            updated_at: from_millis(id, "updated_at", self.updated_at)?,
            available_at: from_millis(id, "available_at", self.available_at)?,
            lease_expires_at: self
                .lease_expires_at
                .map(|ms| from_millis(id, "lease_expires_at", ms))
                .transpose()?,
            idempotency_key: self.idempotency_key,
            model: self.model,
            version: self.version,
            reason: self.reason,
            window: self.window,
            worker: self.worker,
            last_error: self.last_error,
        })
    }
}

fn load(connection: &Connection, id: i64) -> Result<Job, QueueError> {
    connection
        .query_row(
            &format!("SELECT {COLUMNS} FROM retrain_jobs WHERE id = ?1"),
            [id],
            raw_job,
        )
        .optional()?
        .ok_or(QueueError::NotFound(id))?
        .into_job()
}

impl SqliteQueue {
    /// Opens (creating if needed) the queue at `path`, with the system clock.
    ///
    /// # Errors
    /// [`QueueError::Database`] when the file cannot be opened or is not a queue;
    /// [`QueueError::InvalidParameter`] for bad options.
    pub fn open(path: impl AsRef<Path>, options: QueueOptions) -> Result<SqliteQueue, QueueError> {
        SqliteQueue::open_with_clock(path, options, Arc::new(SystemClock))
    }

    /// Opens the queue at `path` with the given clock (tests pass a
    /// [`crate::ManualClock`]).
    ///
    /// # Errors
    /// As [`SqliteQueue::open`].
    pub fn open_with_clock(
        path: impl AsRef<Path>,
        options: QueueOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<SqliteQueue, QueueError> {
        options.backoff.validate()?;
        if options.max_attempts == 0 {
            return Err(QueueError::InvalidParameter {
                name: "max_attempts",
                expected: "at least 1",
            });
        }
        let connection = Connection::open(path)?;
        connection.busy_timeout(options.busy_timeout)?;
        let mode: String =
            connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
            return Err(QueueError::InvalidParameter {
                name: "queue database",
                expected: "a file that supports WAL mode",
            });
        }
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.execute_batch(SCHEMA)?;
        Ok(SqliteQueue {
            connection: Mutex::new(connection),
            rng: Mutex::new(SeededRng::new(options.seed)),
            options,
            clock,
        })
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (the
        // transaction rolls back), so a poisoned lock is safe to take over.
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn jitter_unit(&self) -> f64 {
        self.rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .uniform()
    }

    fn token(&self, worker: &str, id: i64, attempt: i64) -> String {
        let nonce = self
            .rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .next_u64();
        format!("{worker}/{id}/{attempt}/{nonce:016x}")
    }

    /// Checks that `lease` is the job's current lease; the error says why not.
    fn check_lease(connection: &Connection, lease: &Lease) -> Result<(), QueueError> {
        let id = lease.job.id;
        let current: Option<(String, Option<String>)> = connection
            .query_row(
                "SELECT state, lease_token FROM retrain_jobs WHERE id = ?1",
                [id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        match current {
            None => Err(QueueError::NotFound(id)),
            Some((state, Some(token))) if state == "dispatched" && token == lease.token => Ok(()),
            Some(_) => Err(QueueError::LeaseLost { id }),
        }
    }
}

impl JobQueue for SqliteQueue {
    fn enqueue(&self, job: &NewJob) -> Result<Enqueued, QueueError> {
        let key = job.key();
        let max_attempts = job.max_attempts.unwrap_or(self.options.max_attempts);
        if max_attempts == 0 {
            return Err(QueueError::InvalidParameter {
                name: "max_attempts",
                expected: "at least 1",
            });
        }
        let payload = serde_json::to_string(&job.payload).map_err(|e| QueueError::Corrupt {
            id: 0,
            field: "payload",
            reason: e.to_string(),
        })?;
        let now = millis(self.clock.now());
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT INTO retrain_jobs (idempotency_key, model, version, reason, time_window, payload, \
                 state, attempts, max_attempts, created_at, updated_at, available_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?8, ?8, ?8) \
             ON CONFLICT (idempotency_key) DO NOTHING",
            params![key.as_str(), job.model, job.version, job.reason, job.window, payload, max_attempts, now],
        )?;
        let id: i64 = tx.query_row(
            "SELECT id FROM retrain_jobs WHERE idempotency_key = ?1",
            [key.as_str()],
            |row| row.get(0),
        )?;
        let stored = load(&tx, id)?;
        tx.commit()?;
        Ok(if inserted == 1 {
            Enqueued::Created(stored)
        } else {
            Enqueued::Duplicate(stored)
        })
    }

    fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Lease>, QueueError> {
        if lease.is_zero() {
            return Err(QueueError::InvalidParameter {
                name: "lease",
                expected: "longer than zero",
            });
        }
        let now_ts = self.clock.now();
        let now = millis(now_ts);
        let expires_at = plus(now_ts, lease);
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // A dispatcher died holding the job on its last attempt: give up on it.
        tx.execute(
            "UPDATE retrain_jobs SET state = 'dead', lease_token = NULL, lease_expires_at = NULL, \
                 updated_at = ?1, \
                 last_error = 'the lease expired on the last attempt (the dispatcher stopped or hung)' \
             WHERE state = 'dispatched' AND lease_expires_at <= ?1 AND attempts >= max_attempts",
            [now],
        )?;
        let next: Option<(i64, i64)> = tx
            .query_row(
                "SELECT id, attempts FROM retrain_jobs \
                 WHERE (state IN ('pending', 'failed') AND available_at <= ?1) \
                    OR (state = 'dispatched' AND lease_expires_at <= ?1) \
                 ORDER BY available_at, id LIMIT 1",
                [now],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((id, attempts)) = next else {
            tx.commit()?;
            return Ok(None);
        };
        let token = self.token(worker, id, attempts + 1);
        tx.execute(
            "UPDATE retrain_jobs SET state = 'dispatched', attempts = attempts + 1, lease_token = ?1, \
                 lease_expires_at = ?2, worker = ?3, updated_at = ?4, available_at = ?4 \
             WHERE id = ?5",
            params![token, millis(expires_at), worker, now, id],
        )?;
        let job = load(&tx, id)?;
        tx.commit()?;
        Ok(Some(Lease {
            job,
            token,
            expires_at,
        }))
    }

    fn complete(&self, lease: &Lease) -> Result<Job, QueueError> {
        let now = millis(self.clock.now());
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        SqliteQueue::check_lease(&tx, lease)?;
        tx.execute(
            "UPDATE retrain_jobs SET state = 'succeeded', lease_token = NULL, lease_expires_at = NULL, \
                 updated_at = ?1 WHERE id = ?2",
            params![now, lease.job.id],
        )?;
        let job = load(&tx, lease.job.id)?;
        tx.commit()?;
        Ok(job)
    }

    fn fail(&self, lease: &Lease, error: &str, permanent: bool) -> Result<Job, QueueError> {
        let now_ts = self.clock.now();
        let now = millis(now_ts);
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        SqliteQueue::check_lease(&tx, lease)?;
        let (attempts, max_attempts): (u32, u32) = tx.query_row(
            "SELECT attempts, max_attempts FROM retrain_jobs WHERE id = ?1",
            [lease.job.id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        if permanent || attempts >= max_attempts {
            tx.execute(
                "UPDATE retrain_jobs SET state = 'dead', lease_token = NULL, lease_expires_at = NULL, \
                     updated_at = ?1, last_error = ?2 WHERE id = ?3",
                params![now, error, lease.job.id],
            )?;
        } else {
            let delay = self.options.backoff.delay(attempts, self.jitter_unit());
            tx.execute(
                "UPDATE retrain_jobs SET state = 'failed', lease_token = NULL, lease_expires_at = NULL, \
                     updated_at = ?1, available_at = ?2, last_error = ?3 WHERE id = ?4",
                params![now, millis(plus(now_ts, delay)), error, lease.job.id],
            )?;
        }
        let job = load(&tx, lease.job.id)?;
        tx.commit()?;
        Ok(job)
    }

    fn list(&self, state: Option<JobState>, limit: usize) -> Result<Vec<Job>, QueueError> {
        let connection = self.connection();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<RawJob> = match state {
            Some(state) => connection
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM retrain_jobs WHERE state = ?1 ORDER BY id LIMIT ?2"
                ))?
                .query_map(params![state.as_str(), limit], raw_job)?
                .collect::<Result<_, _>>()?,
            None => connection
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM retrain_jobs ORDER BY id LIMIT ?1"
                ))?
                .query_map([limit], raw_job)?
                .collect::<Result<_, _>>()?,
        };
        rows.into_iter().map(RawJob::into_job).collect()
    }

    fn show(&self, id: i64) -> Result<Job, QueueError> {
        load(&self.connection(), id)
    }

    fn retry(&self, id: i64) -> Result<Job, QueueError> {
        let now = millis(self.clock.now());
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let job = load(&tx, id)?;
        if !matches!(job.state, JobState::Failed | JobState::Dead) {
            return Err(QueueError::WrongState {
                id,
                state: job.state,
                action: "retry",
                expected: "failed or dead",
            });
        }
        tx.execute(
            "UPDATE retrain_jobs SET state = 'pending', attempts = 0, available_at = ?1, updated_at = ?1, \
                 lease_token = NULL, lease_expires_at = NULL WHERE id = ?2",
            params![now, id],
        )?;
        let job = load(&tx, id)?;
        tx.commit()?;
        Ok(job)
    }

    fn purge(&self, state: JobState, older_than: Option<Duration>) -> Result<usize, QueueError> {
        if matches!(state, JobState::Pending | JobState::Dispatched) {
            return Err(QueueError::NotPurgeable(state));
        }
        let now = self.clock.now();
        let cutoff = match older_than {
            Some(age) => {
                let age = SignedDuration::try_from(age).unwrap_or(SignedDuration::MAX);
                now.saturating_sub(age).unwrap_or(Timestamp::MIN)
            }
            None => now,
        };
        let connection = self.connection();
        let deleted = connection.execute(
            "DELETE FROM retrain_jobs WHERE state = ?1 AND updated_at <= ?2",
            params![state.as_str(), millis(cutoff)],
        )?;
        Ok(deleted)
    }

    fn counts(&self) -> Result<Vec<(JobState, usize)>, QueueError> {
        let connection = self.connection();
        let mut statement =
            connection.prepare("SELECT state, COUNT(*) FROM retrain_jobs GROUP BY state")?;
        let rows: Vec<(String, i64)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut counts: Vec<(JobState, usize)> = rows
            .into_iter()
            .filter_map(|(state, n)| Some((state.parse().ok()?, usize::try_from(n).ok()?)))
            .collect();
        counts.sort();
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::queue::Backoff;

    const START: &str = "2026-11-27T12:00:00Z";

    struct Fixture {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
        clock: Arc<ManualClock>,
        queue: SqliteQueue,
    }

    fn options() -> QueueOptions {
        QueueOptions {
            max_attempts: 3,
            backoff: Backoff {
                base: Duration::from_secs(10),
                max: Duration::from_secs(60),
                factor: 2.0,
                jitter: 0.5,
            },
            seed: 42,
            busy_timeout: Duration::from_secs(5),
        }
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.db");
        let clock = Arc::new(ManualClock::new(START.parse().unwrap()));
        let queue = SqliteQueue::open_with_clock(&path, options(), clock.clone()).unwrap();
        Fixture {
            _dir: dir,
            path,
            clock,
            queue,
        }
    }

    fn job(window: &str) -> NewJob {
        NewJob {
            model: "churn".into(),
            version: "v3".into(),
            reason: "accuracy_low".into(),
            window: window.into(),
            payload: serde_json::json!({"decision": "retrain"}),
            max_attempts: None,
        }
    }

    const LEASE: Duration = Duration::from_secs(30);

    #[test]
    fn the_same_decision_enqueues_once() {
        let f = fixture();
        let first = f.queue.enqueue(&job("w1")).unwrap();
        assert!(matches!(first, Enqueued::Created(_)));
        let again = f.queue.enqueue(&job("w1")).unwrap();
        assert!(matches!(again, Enqueued::Duplicate(_)));
        assert_eq!(first.job().id, again.job().id);
        // Even after it succeeded, the same key does not come back.
        let lease = f.queue.claim("a", LEASE).unwrap().unwrap();
        f.queue.complete(&lease).unwrap();
        assert!(matches!(
            f.queue.enqueue(&job("w1")).unwrap(),
            Enqueued::Duplicate(_)
        ));
        assert!(matches!(
            f.queue.enqueue(&job("w2")).unwrap(),
            Enqueued::Created(_)
        ));
        assert_eq!(f.queue.list(None, 100).unwrap().len(), 2);
    }

    #[test]
    fn claim_complete_lifecycle() {
        let f = fixture();
        let id = f.queue.enqueue(&job("w1")).unwrap().job().id;
        assert_eq!(f.queue.show(id).unwrap().state, JobState::Pending);
        let lease = f.queue.claim("worker-a", LEASE).unwrap().unwrap();
        assert_eq!(lease.job.state, JobState::Dispatched);
        assert_eq!(lease.job.attempts, 1);
        assert_eq!(lease.job.worker.as_deref(), Some("worker-a"));
        assert_eq!(lease.expires_at, "2026-11-27T12:00:30Z".parse().unwrap());
        // Held: nobody else can claim it.
        assert!(f.queue.claim("worker-b", LEASE).unwrap().is_none());
        let done = f.queue.complete(&lease).unwrap();
        assert_eq!(done.state, JobState::Succeeded);
        assert_eq!(done.lease_expires_at, None);
        assert!(f.queue.claim("worker-b", LEASE).unwrap().is_none());
        assert_eq!(f.queue.counts().unwrap(), vec![(JobState::Succeeded, 1)]);
    }

    #[test]
    fn failures_back_off_within_bounds_then_die() {
        let f = fixture();
        let id = f.queue.enqueue(&job("w1")).unwrap().job().id;
        for attempt in 1..=2u32 {
            let lease = f.queue.claim("a", LEASE).unwrap().unwrap();
            assert_eq!(lease.job.attempts, attempt);
            let failed = f.queue.fail(&lease, "connection refused", false).unwrap();
            assert_eq!(failed.state, JobState::Failed);
            assert_eq!(failed.last_error.as_deref(), Some("connection refused"));
            let wait = failed.available_at.duration_since(f.clock.now());
            let ceiling = options().backoff.ceiling(attempt);
            let ceiling = SignedDuration::try_from(ceiling).unwrap();
            assert!(
                wait <= ceiling && wait >= ceiling / 2,
                "attempt {attempt}: waited {wait:?}"
            );
            // Not due before its backoff ends.
            f.clock.set(
                failed
                    .available_at
                    .checked_sub(SignedDuration::from_millis(1))
                    .unwrap(),
            );
            assert!(f.queue.claim("a", LEASE).unwrap().is_none());
            f.clock.set(failed.available_at);
        }
        let lease = f.queue.claim("a", LEASE).unwrap().unwrap();
        let dead = f.queue.fail(&lease, "still refused", false).unwrap();
        assert_eq!((dead.state, dead.attempts), (JobState::Dead, 3));
        f.clock.advance(Duration::from_secs(3600));
        assert!(f.queue.claim("a", LEASE).unwrap().is_none());
        // Retry brings it back with fresh attempts.
        let retried = f.queue.retry(id).unwrap();
        assert_eq!((retried.state, retried.attempts), (JobState::Pending, 0));
        assert_eq!(f.queue.claim("a", LEASE).unwrap().unwrap().job.attempts, 1);
    }

    #[test]
    fn permanent_failure_goes_straight_to_dead() {
        let f = fixture();
        f.queue.enqueue(&job("w1")).unwrap();
        let lease = f.queue.claim("a", LEASE).unwrap().unwrap();
        let dead = f.queue.fail(&lease, "status 400", true).unwrap();
        assert_eq!((dead.state, dead.attempts), (JobState::Dead, 1));
    }

    #[test]
    fn an_expired_lease_returns_the_job_and_the_old_holder_loses_it() {
        let f = fixture();
        f.queue.enqueue(&job("w1")).unwrap();
        let first = f.queue.claim("crashed", LEASE).unwrap().unwrap();
        f.clock.advance(Duration::from_secs(29));
        assert!(f.queue.claim("b", LEASE).unwrap().is_none());
        f.clock.advance(Duration::from_secs(1));
        let second = f.queue.claim("b", LEASE).unwrap().unwrap();
        assert_eq!(second.job.attempts, 2);
        assert!(matches!(
            f.queue.complete(&first),
            Err(QueueError::LeaseLost { .. })
        ));
        assert!(matches!(
            f.queue.fail(&first, "late", false),
            Err(QueueError::LeaseLost { .. })
        ));
        assert_eq!(
            f.queue.complete(&second).unwrap().state,
            JobState::Succeeded
        );
    }

    #[test]
    fn a_lease_that_expires_on_the_last_attempt_makes_the_job_dead() {
        let f = fixture();
        f.queue.enqueue(&job("w1")).unwrap();
        for _ in 0..3 {
            f.queue.claim("crashing", LEASE).unwrap().unwrap();
            f.clock.advance(LEASE);
        }
        assert!(f.queue.claim("b", LEASE).unwrap().is_none());
        let jobs = f.queue.list(Some(JobState::Dead), 10).unwrap();
        assert_eq!(jobs.len(), 1);
        assert!(
            jobs[0]
                .last_error
                .as_deref()
                .unwrap()
                .contains("lease expired")
        );
    }

    #[test]
    fn completing_after_expiry_but_before_a_new_claim_is_accepted() {
        let f = fixture();
        f.queue.enqueue(&job("w1")).unwrap();
        let lease = f.queue.claim("slow", LEASE).unwrap().unwrap();
        f.clock.advance(Duration::from_secs(45));
        assert_eq!(f.queue.complete(&lease).unwrap().state, JobState::Succeeded);
    }

    #[test]
    fn claims_are_in_due_order() {
        let f = fixture();
        let a = f.queue.enqueue(&job("a")).unwrap().job().id;
        f.clock.advance(Duration::from_secs(1));
        let b = f.queue.enqueue(&job("b")).unwrap().job().id;
        assert_eq!(f.queue.claim("w", LEASE).unwrap().unwrap().job.id, a);
        assert_eq!(f.queue.claim("w", LEASE).unwrap().unwrap().job.id, b);
    }

    #[test]
    fn retry_and_purge_guard_live_jobs() {
        let f = fixture();
        let id = f.queue.enqueue(&job("w1")).unwrap().job().id;
        assert!(matches!(
            f.queue.retry(id),
            Err(QueueError::WrongState { .. })
        ));
        assert!(matches!(f.queue.retry(999), Err(QueueError::NotFound(999))));
        assert!(matches!(
            f.queue.purge(JobState::Pending, None),
            Err(QueueError::NotPurgeable(_))
        ));
        let lease = f.queue.claim("w", LEASE).unwrap().unwrap();
        f.queue.complete(&lease).unwrap();
        f.queue.enqueue(&job("w2")).unwrap();
        let lease = f.queue.claim("w", LEASE).unwrap().unwrap();
        f.clock.advance(Duration::from_secs(3600));
        f.queue.complete(&lease).unwrap();
        // Only the job finished at least an hour ago is purged.
        assert_eq!(
            f.queue
                .purge(JobState::Succeeded, Some(Duration::from_secs(1800)))
                .unwrap(),
            1
        );
        assert_eq!(
            f.queue.list(Some(JobState::Succeeded), 10).unwrap().len(),
            1
        );
        assert_eq!(f.queue.purge(JobState::Succeeded, None).unwrap(), 1);
        assert!(f.queue.list(None, 10).unwrap().is_empty());
    }

    #[test]
    fn the_queue_survives_reopening_and_is_in_wal_mode() {
        let f = fixture();
        f.queue.enqueue(&job("w1")).unwrap();
        let lease = f.queue.claim("w", LEASE).unwrap().unwrap();
        let reopened = SqliteQueue::open_with_clock(&f.path, options(), f.clock.clone()).unwrap();
        let job = reopened.show(lease.job.id).unwrap();
        assert_eq!(job.state, JobState::Dispatched);
        reopened.complete(&lease).unwrap();
        let mode: String = reopened
            .connection()
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn two_connections_never_lease_the_same_job() {
        let f = fixture();
        for i in 0..40 {
            f.queue.enqueue(&job(&format!("w{i}"))).unwrap();
        }
        let other = SqliteQueue::open_with_clock(&f.path, options(), f.clock.clone()).unwrap();
        let claimed = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for (name, queue) in [("a", &f.queue), ("b", &other)] {
                let claimed = &claimed;
                scope.spawn(move || {
                    while let Some(lease) = queue.claim(name, LEASE).unwrap() {
                        claimed.lock().unwrap().push(lease.job.id);
                    }
                });
            }
        });
        let mut ids = claimed.into_inner().unwrap();
        ids.sort();
        assert_eq!(ids, (1..=40).collect::<Vec<i64>>());
    }

    #[test]
    fn zero_lease_and_zero_attempts_are_rejected() {
        let f = fixture();
        assert!(matches!(
            f.queue.claim("w", Duration::ZERO),
            Err(QueueError::InvalidParameter { .. })
        ));
        let mut zero = job("w1");
        zero.max_attempts = Some(0);
        assert!(matches!(
            f.queue.enqueue(&zero),
            Err(QueueError::InvalidParameter { .. })
        ));
    }
}
