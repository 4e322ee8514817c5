//! Alerts: a model with a stable fingerprint, three sinks (Alertmanager, PagerDuty, a
//! signed webhook), a durable SQLite outbox, and acknowledgement that pauses automation.
//!
//! - [`model`]: an [`Alert`] (name, [`Severity`], labels, summary, explanation, details)
//!   and its [`AlertRecord`] in the outbox (firing, acknowledged, resolved).
//! - [`fingerprint`]: the [`Fingerprint`], Alertmanager's own hash of the labels.
//! - [`sinks`]: what each sink receives, and how an answer is judged.
//! - [`outbox`]: the SQLite file where every change and every send is a row: at-least-once
//!   delivery, ordered per sink and alert, retries with jittered exponential backoff that
//!   honour `Retry-After`, dead letters for other 4xx answers, nothing lost across restarts.
//! - [`ack`]: acknowledgement and the [`PauseRule`]s that say what it pauses.
//! - [`config`]: `alerts.toml` ([`AlertsConfig`]).
//! - [`explain`](mod@explain): the explanation and compact details of a drift report, a canary
//!   verdict or a retrain decision.
//!
//! [`Alerting`] ties them together: `fire`, `acknowledge`, `resolve` write the outbox;
//! `deliver_due` (once), `deliver_until_settled` (a command) or `follow` (a long-running
//! process, which also sends the Alertmanager heartbeats) send what is due.
//!
//! Labels and annotations are exactly what the caller gives. A clear user id must never be
//! one of them: [`Alert::validate`] refuses names like `user_id` or `email` (also as keys
//! of the details), and a caller that needs a user sends
//! [`crate::prediction::UserIdHasher`]'s keyed hash under another name.

pub mod ack;
mod alerting;
pub mod config;
mod error;
pub mod explain;
pub mod fingerprint;
pub mod model;
pub mod outbox;
pub mod sinks;

pub use ack::{Pause, PauseRule};
pub use alerting::{
    Alerting, Attempt, AttemptOutcome, Clock, DeliveryReport, SystemClock, backoff, test_alert,
};
pub use config::{AckOptions, AlertsConfig, DeliveryOptions, Secret, Sink, SinkKind};
pub use error::AlertError;
pub use explain::{Explained, explain};
pub use fingerprint::Fingerprint;
pub use model::{Acknowledgement, Alert, AlertRecord, AlertState, Labels, Severity};
pub use outbox::{DeadLetter, Delivery, FireChange, Fired, Outbox};
pub use sinks::{Action, SIGNATURE_HEADER, WebhookMessage, sign, verify};
