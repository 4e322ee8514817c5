//! Retraining decisions from drift reports, live performance and business guardrails, and
//! a durable job queue that delivers each decided job neither lost nor twice.
//!
//! Three parts, from pure to I/O:
//!
//! - **Policy and decisions** (pure). A [`Policy`] is read from TOML
//!   ([`Policy::from_toml`]; the format is in `docs/retrain.md`): named rules over
//!   [`Signals`] (dataset drift, drift share, drift of named features, detector alarms,
//!   accuracy/F1/AUC/MAE/latency against a threshold or a baseline, label completeness)
//!   combined with `all`/`any`, and guardrails (hysteresis, minimum new samples, label
//!   completeness, cooldown, rolling rate limit, freeze windows in a time zone, monthly
//!   budget, circuit breaker). [`decide()`] takes the time as an argument and an explicit
//!   [`PolicyState`], and returns a [`RetrainDecision`] (`retrain`, `hold` or `blocked`)
//!   that names the rules that fired, their evidence, and the guardrails that held it
//!   back and until when. [`Policy::default`] is the seed's fixed thresholds.
//! - **The queue** (durable). [`JobQueue`] is the trait; [`SqliteQueue`] keeps jobs in
//!   one SQLite file (WAL, atomic claims under a lease, exponential backoff with seeded
//!   jitter, idempotency keys so the same decision enqueues once).
//! - **Dispatchers**. [`WebhookDispatcher`] (HMAC-SHA256 signed POST),
//!   [`CommandDispatcher`] (job JSON on a program's stdin), [`FileDispatcher`] (JSON
//!   Lines, fsynced), driven by [`dispatch_once`] and [`run`].
//!
//! Depend on it to make the `monitor` binary's retraining calls from your own service;
//! `monitor retrain ...` is a thin layer over it.
//!
//! ```
//! use retrain_policy::{decide, Outcome, Policy, PolicyState, Signals};
//!
//! let policy = Policy::from_toml(r#"
//!     [rules.accuracy_low]
//!     signal = "accuracy"
//!     below = 0.78
//!
//!     [guardrails]
//!     cooldown = "24h"
//! "#)?;
//! let signals = Signals::from_json(r#"{"model": "churn", "metrics": {"accuracy": 0.74}}"#)?;
//! let now: jiff::Timestamp = "2026-11-27T12:00:00Z".parse()?;
//!
//! let (decision, state) = decide(&policy, &signals, PolicyState::default(), now);
//! assert_eq!(decision.decision, Outcome::Retrain);
//! assert_eq!(decision.summary, "retrain: accuracy_low (accuracy 0.74 below 0.78)");
//!
//! // An hour later the cooldown holds the same evidence back, and says until when.
//! let later: jiff::Timestamp = "2026-11-27T13:00:00Z".parse()?;
//! let (decision, _state) = decide(&policy, &signals, state, later);
//! assert_eq!(decision.decision, Outcome::Blocked);
//! assert_eq!(decision.until, Some("2026-11-28T12:00:00Z".parse()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Enqueueing and dispatching:
//!
//! ```
//! use std::time::Duration;
//! use retrain_policy::{
//!     decide, dispatch_once, FileDispatcher, JobQueue, JobState, Policy, PolicyState,
//!     QueueOptions, Signals, SqliteQueue, WorkerOptions,
//! };
//!
//! let dir = tempfile::tempdir()?;
//! let queue = SqliteQueue::open(dir.path().join("queue.db"), QueueOptions::default())?;
//! let signals = Signals::from_json(r#"{"model": "churn", "window": "w1", "metrics": {"accuracy": 0.7}}"#)?;
//! let (decision, _) = decide(&Policy::default(), &signals, PolicyState::default(), jiff::Timestamp::UNIX_EPOCH);
//! let job = decision.to_job(None).expect("a retrain decision");
//! queue.enqueue(&job)?;
//! queue.enqueue(&job)?; // the same decision again: still one job
//!
//! let jobs = FileDispatcher::new(dir.path().join("jobs.jsonl"));
//! let report = dispatch_once(&queue, &jobs, &WorkerOptions::default())?.expect("a due job");
//! assert_eq!(report.state, JobState::Succeeded);
//! assert_eq!(queue.list(None, 10)?.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Layout: [`policy`] (types and the TOML reader, [`policy::freeze`]), [`signals`],
//! [`decide`](mod@decide) (evaluation, state, backtest), [`queue`], [`dispatch`],
//! [`clock`], [`error`].

pub mod clock;
pub mod decide;
pub mod dispatch;
pub mod error;
pub mod policy;
pub mod queue;
pub mod signals;

pub use clock::{Clock, ManualClock, SystemClock};
pub use decide::{
    DECISION_SCHEMA_VERSION, Guardrail, GuardrailBlock, Outcome, PolicyAlert, PolicyState,
    RetrainDecision, RetrainRecord, RuleOutcome, backtest, decide,
};
pub use dispatch::{
    CommandDispatcher, DispatchReport, Dispatcher, FileDispatcher, JobMessage, RunSummary,
    SIGNATURE_HEADER, WebhookDispatcher, WorkerOptions, dispatch_once, run, sign, verify,
};
pub use error::{DispatchError, PolicyError, QueueError, SignalsError};
pub use policy::{DEFAULT_POLICY_TOML, Policy};
pub use queue::{
    Backoff, Enqueued, IdempotencyKey, Job, JobQueue, JobState, Lease, NewJob, QueueOptions,
    SqliteQueue,
};
pub use signals::{
    CanaryOutcome, ColumnSignal, DetectorAlarm, DriftSignals, HistoryEntry, Metrics, Signals,
};
