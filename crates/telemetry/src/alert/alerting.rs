//! [`Alerting`]: fire, acknowledge and resolve alerts through the outbox, and deliver
//! them to the sinks with retries and heartbeats.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::ack::{Pause, find_pause};
use super::config::{AlertsConfig, DeliveryOptions, Sink, show};
use super::error::AlertError;
use super::fingerprint::Fingerprint;
use super::model::{Alert, AlertRecord, Labels, Severity};
use super::outbox::{Claim, Fired, Outbox};
use super::sinks::{Action, Context, Method, Verdict, judge, render};
use crate::metrics::Metrics;

/// The current time, for the parts that stamp rows and schedule retries; tests move it
/// by hand.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// Now, to the millisecond (what the outbox stores, and what Alertmanager shows).
    fn now(&self) -> Timestamp {
        let now = Timestamp::now();
        Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum AttemptOutcome {
    /// The sink took it (or there was nothing left to send).
    Delivered,
    /// It failed and is tried again at `at`.
    Retry {
        /// The next attempt.
        at: Timestamp,
    },
    /// It will not be tried again: a dead letter.
    Dead,
    /// Another deliverer took the row over (this one's lease ran out): it records the
    /// outcome.
    LeaseLost,
}

/// One delivery attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// The delivery's id in the outbox.
    pub delivery: i64,
    /// The sink's name.
    pub sink: String,
    /// The alert.
    pub fingerprint: Fingerprint,
    /// What was asked of the sink.
    pub action: Action,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: AttemptOutcome,
    /// The HTTP status, when the sink answered.
    pub status: Option<u16>,
    /// The error, or what the sink said.
    pub detail: String,
}

/// What a delivery pass did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeliveryReport {
    /// Heartbeat posts queued.
    pub heartbeats: usize,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// Deliveries still pending at the end (of the alert asked about, or all).
    pub pending: usize,
}

impl DeliveryReport {
    fn count(&self, wanted: fn(&AttemptOutcome) -> bool) -> usize {
        self.attempts.iter().filter(|a| wanted(&a.outcome)).count()
    }

    /// Attempts that delivered.
    pub fn delivered(&self) -> usize {
        self.count(|o| matches!(o, AttemptOutcome::Delivered))
    }

    /// Attempts that failed and will be retried.
    pub fn retried(&self) -> usize {
        self.count(|o| matches!(o, AttemptOutcome::Retry { .. }))
    }

    /// Attempts that became dead letters.
    pub fn dead(&self) -> usize {
        self.count(|o| matches!(o, AttemptOutcome::Dead))
    }

    fn extend(&mut self, other: DeliveryReport) {
        self.heartbeats += other.heartbeats;
        self.attempts.extend(other.attempts);
        self.pending = other.pending;
    }
}

/// The backoff before attempt `attempt + 1`: `retry_initial × 2^(attempt − 1)`, capped at
/// `retry_max`, times `0.5 + 0.5 × unit` ("equal jitter": at least half the step, so
/// retries of many deliveries spread out but never come sooner than half the schedule).
pub fn backoff(options: &DeliveryOptions, attempt: u32, unit: f64) -> Duration {
    let doublings = i32::try_from(attempt.saturating_sub(1).min(60)).unwrap_or(60);
    let step = (options.retry_initial.as_secs_f64() * 2f64.powi(doublings))
        .min(options.retry_max.as_secs_f64());
    Duration::from_secs_f64(step * (0.5 + 0.5 * unit.clamp(0.0, 1.0)))
}

/// A uniform number in `[0, 1)` from a seed, a delivery and an attempt (SplitMix64): the
/// jitter needs no shared generator, and is the same for the same inputs.
fn jitter_unit(seed: u64, delivery: i64, attempt: u32) -> f64 {
    let mut z = seed
        ^ (delivery as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ u64::from(attempt).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn plus(at: Timestamp, duration: Duration) -> Timestamp {
    let duration = SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX);
    at.saturating_add(duration).unwrap_or(Timestamp::MAX)
}

/// The alert `monitor alerts test` sends: `MonitorTest`, severity `info`, with a `test_id`
/// label so that every test is its own alert.
pub fn test_alert(test_id: &str) -> Alert {
    Alert::new(
        "MonitorTest",
        Severity::Info,
        "test alert from `monitor alerts test`: delivery works",
    )
    .with_label("test_id", test_id)
    .with_explanation(
        "Sent on request to check that every configured sink receives alerts; nothing is wrong.",
    )
}

/// Alerting for one process: the configuration, its outbox and an HTTP client.
///
/// ```
/// use telemetry::alert::{Alert, Alerting, AlertsConfig, Severity};
///
/// let dir = tempfile::tempdir()?;
/// // no sinks: alerts are recorded, nothing is sent
/// let alerting = Alerting::open(AlertsConfig::new(dir.path().join("alerts.db")))?;
/// let alert = Alert::new("DriftDetected", Severity::Warning, "4 of 12 columns drifted")
///     .with_label("model", "churn")
///     .with_explanation("psi on age 0.31 > 0.1; ks on income p = 0.002 < 0.05")
///     .with_details(serde_json::json!({"drifted": ["age", "income"]}));
/// let fired = alerting.fire(&alert)?;
/// alerting.acknowledge(&fired.fingerprint.to_string(), "ana", "looking at it", None)?;
///
/// // the rollout of churn waits while the alert is acknowledged
/// let subject = [("model".to_owned(), "churn".to_owned())].into_iter().collect();
/// assert!(alerting.paused("rollout", &subject)?.is_some());
/// alerting.resolve(&fired.fingerprint.to_string())?;
/// assert!(alerting.paused("rollout", &subject)?.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Alerting {
    config: AlertsConfig,
    outbox: Outbox,
    client: reqwest::blocking::Client,
    clock: Arc<dyn Clock>,
    metrics: Option<Arc<Metrics>>,
    seed: u64,
    nonce: AtomicU64,
    last_prune: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Alerting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerting")
            .field("config", &self.config)
            .field("outbox", &self.outbox)
            .finish_non_exhaustive()
    }
}

impl Alerting {
    /// Opens the outbox of `config` (creating it) and builds the HTTP client.
    ///
    /// # Errors
    /// [`AlertError::Database`] when the outbox cannot be opened, [`AlertError::Http`]
    /// when the client cannot be built.
    pub fn open(config: AlertsConfig) -> Result<Alerting, AlertError> {
        let outbox = Outbox::open(&config.outbox)?;
        let client = reqwest::blocking::Client::builder()
            .timeout(config.delivery.timeout)
            .connect_timeout(config.delivery.timeout)
            .user_agent(concat!("monitor-alerts/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let seed = config.delivery.seed.unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            nanos ^ u64::from(std::process::id()).rotate_left(32)
        });
        Ok(Alerting {
            config,
            outbox,
            client,
            clock: Arc::new(SystemClock),
            metrics: None,
            seed,
            nonce: AtomicU64::new(0),
            last_prune: Mutex::new(None),
        })
    }

    /// Uses `clock` for timestamps and schedules (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Alerting {
        self.clock = clock;
        self
    }

    /// Counts deliveries in `monitor_alerts_sent_total{sink, outcome}` (`sent`, `retried`,
    /// `dead`; `sink` is the sink's kind).
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Alerting {
        self.metrics = Some(metrics);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &AlertsConfig {
        &self.config
    }

    /// The outbox, for queries.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Records that `alert` fires and queues its notifications: a new alert goes to every
    /// sink; one already firing updates Alertmanager, and pages again (PagerDuty,
    /// webhooks) only once `delivery.renotify` has passed and only if nobody acknowledged
    /// it. Nothing is sent here: call [`Alerting::deliver_due`].
    ///
    /// # Errors
    /// [`AlertError::InvalidAlert`] or [`AlertError::ClearUserId`] for an unusable alert,
    /// or a database error.
    pub fn fire(&self, alert: &Alert) -> Result<Fired, AlertError> {
        let fired = self.outbox.fire(
            alert,
            &self.config.sinks,
            self.config.delivery.renotify,
            self.clock.now(),
        )?;
        tracing::info!(
            target: "telemetry::alert",
            fingerprint = %fired.fingerprint,
            alert = %alert.name,
            severity = %alert.severity,
            change = ?fired.change,
            queued = fired.queued,
            "alert fired"
        );
        Ok(fired)
    }

    /// Acknowledges the alert `id` (a fingerprint or a unique prefix of one): records who
    /// and why, and queues the Alertmanager silence (for `silence_for`, default
    /// `ack.silence_for`, or until the alert resolves), PagerDuty's `acknowledge` and the
    /// webhooks' `acknowledged` event.
    ///
    /// # Errors
    /// [`AlertError::NotFound`], [`AlertError::Ambiguous`], [`AlertError::WrongState`]
    /// (not firing), [`AlertError::InvalidAlert`] for an empty `by`, a database error.
    pub fn acknowledge(
        &self,
        id: &str,
        by: &str,
        comment: &str,
        silence_for: Option<Duration>,
    ) -> Result<AlertRecord, AlertError> {
        let record = self.outbox.find(id)?;
        if by.trim().is_empty() {
            return Err(AlertError::invalid(
                &record.alert.name,
                "an acknowledgement needs a name (--by)",
            ));
        }
        let comment = if comment.trim().is_empty() {
            "acknowledged with monitor alerts ack"
        } else {
            comment
        };
        let silence_for = silence_for.unwrap_or(self.config.ack.silence_for);
        let record = self.outbox.acknowledge(
            record.fingerprint,
            by,
            comment,
            silence_for,
            &self.config.sinks,
            self.clock.now(),
        )?;
        tracing::info!(
            target: "telemetry::alert",
            fingerprint = %record.fingerprint,
            by,
            silence_for = %show(silence_for),
            "alert acknowledged"
        );
        Ok(record)
    }

    /// Resolves the alert `id` (a fingerprint or a unique prefix): Alertmanager gets it
    /// with `endsAt` (and its silence expires), PagerDuty `resolve`, webhooks `resolved`.
    ///
    /// # Errors
    /// [`AlertError::NotFound`], [`AlertError::Ambiguous`], [`AlertError::WrongState`]
    /// (already resolved), a database error.
    pub fn resolve(&self, id: &str) -> Result<AlertRecord, AlertError> {
        let record = self.outbox.find(id)?;
        let record =
            self.outbox
                .resolve(record.fingerprint, &self.config.sinks, self.clock.now())?;
        tracing::info!(target: "telemetry::alert", fingerprint = %record.fingerprint, "alert resolved");
        Ok(record)
    }

    /// Resolves the alert with `alert`'s labels if it is active: what a caller does when
    /// the condition it fired for is gone. Returns `None` when nothing was active.
    ///
    /// # Errors
    /// A database error.
    pub fn resolve_alert(&self, alert: &Alert) -> Result<Option<AlertRecord>, AlertError> {
        let fingerprint = alert.fingerprint();
        match self.outbox.record(fingerprint)? {
            Some(record) if record.state.is_active() => self
                .outbox
                .resolve(fingerprint, &self.config.sinks, self.clock.now())
                .map(Some),
            _ => Ok(None),
        }
    }

    /// Whether the alert is acknowledged (and not resolved).
    ///
    /// # Errors
    /// A database error.
    pub fn is_acknowledged(&self, fingerprint: Fingerprint) -> Result<bool, AlertError> {
        self.outbox.is_acknowledged(fingerprint)
    }

    /// Whether an acknowledged alert pauses `action` (`"rollout"`, `"retrain"`, ...) on
    /// the subject with `labels` (`model = "churn"`), under the `[[pause]]` rules; the
    /// answer names the alert and who acknowledged it. A rollout runner or the retraining
    /// loop asks before each step.
    ///
    /// # Errors
    /// A database error.
    pub fn paused(&self, action: &str, labels: &Labels) -> Result<Option<Pause>, AlertError> {
        let alerts = self.outbox.alerts(false)?;
        Ok(find_pause(&self.config.pause, action, labels, &alerts))
    }

    /// One pass: queues due heartbeats, then sends every delivery due now, once each.
    ///
    /// # Errors
    /// A database error (delivery failures are in the report, not errors).
    pub fn deliver_due(&self) -> Result<DeliveryReport, AlertError> {
        let mut report = DeliveryReport {
            heartbeats: self
                .outbox
                .enqueue_heartbeats(&self.config.sinks, self.clock.now())?,
            ..DeliveryReport::default()
        };
        let lease = self.config.delivery.timeout * 2 + Duration::from_secs(5);
        // bounded, in case the clock stands still and a row keeps coming back due
        for _ in 0..10_000 {
            let nonce = self.nonce.fetch_add(1, Ordering::Relaxed) ^ self.seed;
            let Some(claim) = self.outbox.claim(self.clock.now(), lease, nonce)? else {
                break;
            };
            report.attempts.push(self.send(&claim)?);
        }
        self.prune_now_and_then()?;
        report.pending = self.outbox.pending(None)?.len();
        Ok(report)
    }

    /// Delivers until nothing is pending (for the alert `scope`, or at all) or `limit`
    /// has passed, waiting for retries in between.
    ///
    /// # Errors
    /// A database error.
    pub fn deliver_until_settled(
        &self,
        limit: Duration,
        scope: Option<Fingerprint>,
    ) -> Result<DeliveryReport, AlertError> {
        let started = Instant::now();
        let mut report = DeliveryReport::default();
        loop {
            report.extend(self.deliver_due()?);
            let pending = self.outbox.pending(scope)?.len();
            report.pending = pending;
            let elapsed = started.elapsed();
            if pending == 0 || elapsed >= limit {
                return Ok(report);
            }
            std::thread::sleep(self.wait(limit - elapsed)?);
        }
    }

    /// Delivers until `stop` is set: heartbeats, retries and whatever other processes
    /// queue, looking for work every `delivery.poll`.
    ///
    /// # Errors
    /// A database error.
    pub fn follow(&self, stop: &AtomicBool) -> Result<(), AlertError> {
        while !stop.load(Ordering::SeqCst) {
            self.deliver_due()?;
            std::thread::sleep(self.wait(self.config.delivery.poll)?);
        }
        Ok(())
    }

    /// How long to wait for the next due delivery: at most `limit` and the poll interval,
    /// at least 10 ms.
    fn wait(&self, limit: Duration) -> Result<Duration, AlertError> {
        let poll = self.config.delivery.poll.min(limit);
        let until_due = match self.outbox.next_due()? {
            Some(due) => {
                Duration::try_from(due.duration_since(self.clock.now())).unwrap_or(Duration::ZERO)
            }
            None => poll,
        };
        Ok(until_due.min(poll).max(Duration::from_millis(10)))
    }

    fn prune_now_and_then(&self) -> Result<(), AlertError> {
        let mut last = self
            .last_prune
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.is_some_and(|at| at.elapsed() < Duration::from_secs(60)) {
            return Ok(());
        }
        *last = Some(Instant::now());
        self.outbox
            .prune(self.config.keep_delivered, self.clock.now())?;
        Ok(())
    }

    fn count(&self, sink: Option<&Sink>, outcome: &str) {
        if let (Some(metrics), Some(sink)) = (&self.metrics, sink) {
            metrics.record_alert_sent(sink.kind.as_str(), outcome);
        }
    }

    /// Sends one claimed delivery and records the outcome.
    fn send(&self, claim: &Claim) -> Result<Attempt, AlertError> {
        let delivery = &claim.delivery;
        let now = self.clock.now();
        let mut attempt = Attempt {
            delivery: delivery.id,
            sink: delivery.sink.clone(),
            fingerprint: delivery.fingerprint,
            action: delivery.action,
            attempt: delivery.attempts,
            outcome: AttemptOutcome::Delivered,
            status: None,
            detail: String::new(),
        };
        let sink = self.config.sinks.iter().find(|s| s.name == delivery.sink);
        let request = match sink {
            None => Err(format!(
                "sink \"{}\" is not in the configuration any more",
                delivery.sink
            )),
            Some(sink) => render(
                sink,
                delivery.action,
                &Context {
                    snapshot: &delivery.message.record,
                    current: claim.current.as_ref(),
                    silence_id: claim.silence_id.as_deref(),
                    repeat: delivery.message.repeat,
                    idempotency_key: &delivery.idempotency_key,
                    attempt: delivery.attempts,
                    now,
                },
            ),
        };
        let request = match request {
            Err(reason) => {
                attempt.detail = reason;
                return self.finish_dead(claim, sink, attempt, now);
            }
            Ok(None) => {
                attempt.detail = "nothing left to send".to_owned();
                let kept = self.outbox.delivered(claim, None, None, now)?;
                if !kept {
                    attempt.outcome = AttemptOutcome::LeaseLost;
                }
                return Ok(attempt);
            }
            Ok(Some(request)) => request,
        };
        let mut builder = match request.method {
            Method::Post => self.client.post(&request.url),
            Method::Delete => self.client.delete(&request.url),
        };
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = match builder.send() {
            Ok(response) => response,
            Err(error) => {
                attempt.detail = describe(&error);
                return self.finish_retry(claim, sink, attempt, None, now);
            }
        };
        let status = response.status().as_u16();
        attempt.status = Some(status);
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().unwrap_or_default();
        let now = self.clock.now();
        match judge(delivery.action, status, &body, retry_after.as_deref(), now) {
            Verdict::Delivered => {
                let silence_id = (delivery.action == Action::Silence)
                    .then(|| {
                        serde_json::from_str::<serde_json::Value>(&body)
                            .ok()
                            .and_then(|v| v["silenceID"].as_str().map(str::to_owned))
                    })
                    .flatten();
                if let Some(id) = &silence_id {
                    attempt.detail = format!("silence {id}");
                }
                if !self
                    .outbox
                    .delivered(claim, Some(status), silence_id.as_deref(), now)?
                {
                    attempt.outcome = AttemptOutcome::LeaseLost;
                    return Ok(attempt);
                }
                self.count(sink, "sent");
                tracing::debug!(
                    target: "telemetry::alert",
                    delivery = delivery.id,
                    sink = %delivery.sink,
                    action = %delivery.action,
                    status,
                    "alert delivered"
                );
                Ok(attempt)
            }
            Verdict::Retry { retry_after } => {
                attempt.detail = format!("HTTP {status}: {}", excerpt(&body));
                self.finish_retry(claim, sink, attempt, retry_after, now)
            }
            Verdict::Dead => {
                attempt.detail = format!("HTTP {status}: {}", excerpt(&body));
                self.finish_dead(claim, sink, attempt, now)
            }
        }
    }

    fn finish_retry(
        &self,
        claim: &Claim,
        sink: Option<&Sink>,
        mut attempt: Attempt,
        retry_after: Option<Duration>,
        now: Timestamp,
    ) -> Result<Attempt, AlertError> {
        let delivery = &claim.delivery;
        let options = &self.config.delivery;
        let unit = jitter_unit(self.seed, delivery.id, delivery.attempts);
        let delay = backoff(options, delivery.attempts, unit).max(retry_after.unwrap_or_default());
        let at = plus(now, delay);
        if at > plus(delivery.created_at, options.give_up_after) {
            attempt.detail = format!(
                "gave up after {} attempts in {}: {}",
                delivery.attempts,
                show(options.give_up_after),
                attempt.detail
            );
            return self.finish_dead(claim, sink, attempt, now);
        }
        if !self
            .outbox
            .retry_at(claim, at, attempt.status, &attempt.detail, now)?
        {
            attempt.outcome = AttemptOutcome::LeaseLost;
            return Ok(attempt);
        }
        self.count(sink, "retried");
        tracing::warn!(
            target: "telemetry::alert",
            delivery = delivery.id,
            sink = %delivery.sink,
            action = %delivery.action,
            attempt = delivery.attempts,
            retry_at = %at,
            error = %attempt.detail,
            "alert delivery failed; retrying"
        );
        attempt.outcome = AttemptOutcome::Retry { at };
        Ok(attempt)
    }

    fn finish_dead(
        &self,
        claim: &Claim,
        sink: Option<&Sink>,
        mut attempt: Attempt,
        now: Timestamp,
    ) -> Result<Attempt, AlertError> {
        if !self
            .outbox
            .dead(claim, attempt.status, &attempt.detail, now)?
        {
            attempt.outcome = AttemptOutcome::LeaseLost;
            return Ok(attempt);
        }
        self.count(sink, "dead");
        tracing::error!(
            target: "telemetry::alert",
            delivery = claim.delivery.id,
            sink = %claim.delivery.sink,
            action = %claim.delivery.action,
            reason = %attempt.detail,
            "alert delivery is a dead letter"
        );
        attempt.outcome = AttemptOutcome::Dead;
        Ok(attempt)
    }
}

/// A transport error with its causes, on one line.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The first 200 characters of an answer, on one line.
fn excerpt(body: &str) -> String {
    body.chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_backoff_doubles_up_to_the_cap_with_equal_jitter() {
        let options = DeliveryOptions {
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            ..DeliveryOptions::default()
        };
        assert_eq!(backoff(&options, 1, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(&options, 1, 0.0), Duration::from_millis(500));
        assert_eq!(backoff(&options, 4, 1.0), Duration::from_secs(8));
        assert_eq!(backoff(&options, 7, 1.0), Duration::from_secs(60));
        assert_eq!(backoff(&options, 1000, 0.0), Duration::from_secs(30));
    }

    #[test]
    fn alert_jitter_is_uniform_and_reproducible() {
        let units: Vec<f64> = (0..10_000).map(|id| jitter_unit(42, id, 1)).collect();
        assert!(units.iter().all(|u| (0.0..1.0).contains(u)));
        let mean = units.iter().sum::<f64>() / units.len() as f64;
        // the mean of 10 000 uniforms is 0.5 with a standard error of 0.0029
        assert!((mean - 0.5).abs() < 0.015, "{mean}");
        assert_eq!(jitter_unit(42, 7, 3), jitter_unit(42, 7, 3));
        assert_ne!(jitter_unit(42, 7, 3), jitter_unit(42, 7, 4));
        assert_ne!(jitter_unit(42, 7, 3), jitter_unit(43, 7, 3));
    }
}
