//! The sinks' wire formats: what each delivery sends to Alertmanager, PagerDuty or a
//! webhook, and how an answer is judged.
//!
//! - **Alertmanager API v2.** `POST {url}/api/v2/alerts` with one alert: every label,
//!   the annotations `summary`, `description` (the explanation) and `details` (the details
//!   as compact JSON, up to 8 KiB), `startsAt`, `generatorURL`, and `endsAt` once resolved.
//!   A firing alert carries no `endsAt`, so Alertmanager ends it after its own
//!   `resolve_timeout` unless a heartbeat posts it again first. An acknowledgement
//!   `POST`s `{url}/api/v2/silences` (one equality matcher per label, `createdBy`,
//!   `comment`, `startsAt`, `endsAt`); a resolve of an acknowledged alert expires that
//!   silence with `DELETE {url}/api/v2/silence/{id}`.
//! - **PagerDuty Events API v2.** `POST {url}` with `routing_key`, `event_action`
//!   (`trigger`, `acknowledge`, `resolve`) and `dedup_key` = the fingerprint; a trigger's
//!   `payload` has `summary` (cut to 1024 characters), `source`, `severity`, `timestamp`,
//!   `class` (the alert's name) and `custom_details` (explanation, details, labels,
//!   annotations).
//! - **Webhook.** `POST {url}` with a JSON body (`version`, `event`, `repeat`,
//!   `fingerprint`, `alert`, `starts_at`, `ends_at`, `acknowledgement`; see
//!   `docs/alerts.md`) and the headers `X-Monitor-Signature: sha256=<hex HMAC-SHA256 of
//!   the body under the sink's secret>`, `X-Monitor-Event`, `Idempotency-Key` (the same
//!   on every attempt of one delivery) and `X-Monitor-Attempt`.
//!
//! Answers: 2xx is delivered; 408, 429, 5xx and transport errors are retried (honouring
//! `Retry-After`, in seconds or as an HTTP date); any other status is final and the
//! delivery becomes a dead letter. One exception: expiring a silence Alertmanager no
//! longer knows (`404`, or its `500 "silence not found"`) counts as done.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::config::{Sink, SinkKind};
use super::model::{Acknowledgement, AlertRecord, AlertState, Labels};

pub use webhook_signature::{SIGNATURE_HEADER, sign, verify};

/// Details longer than this (as compact JSON) are not copied into Alertmanager's
/// `details` annotation, which would bloat every notification; PagerDuty and webhooks get
/// them whole.
pub const DETAILS_ANNOTATION_LIMIT: usize = 8 * 1024;
/// PagerDuty's limit on `payload.summary`.
const PAGERDUTY_SUMMARY_LIMIT: usize = 1024;
/// The longest `Retry-After` honoured: a server asking for more is retried after this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// What one delivery asks of its sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Alertmanager: post the alert's current state (firing, heartbeat, resolved).
    Post,
    /// Alertmanager: create the acknowledgement's silence.
    Silence,
    /// Alertmanager: expire that silence (the alert resolved).
    Unsilence,
    /// PagerDuty: `trigger`.
    Trigger,
    /// PagerDuty: `acknowledge`.
    Acknowledge,
    /// PagerDuty: `resolve`.
    Resolve,
    /// Webhook: the event of the alert's state (firing, acknowledged, resolved).
    Notify,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 7] = [
        Action::Post,
        Action::Silence,
        Action::Unsilence,
        Action::Trigger,
        Action::Acknowledge,
        Action::Resolve,
        Action::Notify,
    ];

    /// The name stored in the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Post => "post",
            Action::Silence => "silence",
            Action::Unsilence => "unsilence",
            Action::Trigger => "trigger",
            Action::Acknowledge => "acknowledge",
            Action::Resolve => "resolve",
            Action::Notify => "notify",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = String;

    fn from_str(text: &str) -> Result<Action, String> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == text)
            .ok_or_else(|| format!("\"{text}\" is not a delivery action"))
    }
}

/// The HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Post,
    Delete,
}

/// One request, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

/// What a delivery knows when it is sent.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    /// The alert as it was when the delivery was queued.
    pub snapshot: &'a AlertRecord,
    /// The alert as it is now (Alertmanager posts send this), if still kept.
    pub current: Option<&'a AlertRecord>,
    /// The Alertmanager silence of the acknowledgement, once created.
    pub silence_id: Option<&'a str>,
    /// A repeated notification of a still-firing alert.
    pub repeat: bool,
    /// The same on every attempt of one delivery.
    pub idempotency_key: &'a str,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// Now.
    pub now: Timestamp,
}

/// The actions a sink kind takes for an alert that fires, is acknowledged or resolves.
pub(crate) fn actions_for(kind: &SinkKind, state: AlertState, silenced: bool) -> Vec<Action> {
    match (kind, state) {
        (SinkKind::Alertmanager { .. }, AlertState::Firing) => vec![Action::Post],
        (SinkKind::Alertmanager { .. }, AlertState::Acknowledged) => vec![Action::Silence],
        (SinkKind::Alertmanager { .. }, AlertState::Resolved) if silenced => {
            vec![Action::Post, Action::Unsilence]
        }
        (SinkKind::Alertmanager { .. }, AlertState::Resolved) => vec![Action::Post],
        (SinkKind::PagerDuty { .. }, AlertState::Firing) => vec![Action::Trigger],
        (SinkKind::PagerDuty { .. }, AlertState::Acknowledged) => vec![Action::Acknowledge],
        (SinkKind::PagerDuty { .. }, AlertState::Resolved) => vec![Action::Resolve],
        (SinkKind::Webhook { .. }, _) => vec![Action::Notify],
    }
}

/// The request for `action` on `sink`, or `None` when there is nothing left to do (a
/// silence whose time is over, or one that was never created).
///
/// # Errors
/// A message when the action is not one of the sink's (the configuration changed the
/// sink's kind since the delivery was queued).
pub(crate) fn render(
    sink: &Sink,
    action: Action,
    context: &Context<'_>,
) -> Result<Option<HttpRequest>, String> {
    let json_post = |url: String, body: &Value| HttpRequest {
        method: Method::Post,
        url,
        headers: vec![("Content-Type", "application/json".to_owned())],
        body: Some(body.to_string().into_bytes()),
    };
    let record = context.snapshot;
    match (&sink.kind, action) {
        (SinkKind::Alertmanager { .. }, Action::Post) => {
            let current = context.current.unwrap_or(record);
            Ok(Some(json_post(
                format!("{}/api/v2/alerts", sink.url),
                &json!([alertmanager_alert(current)]),
            )))
        }
        (SinkKind::Alertmanager { .. }, Action::Silence) => {
            let Some(ack) = &record.acknowledgement else {
                return Err("a silence without an acknowledgement".to_owned());
            };
            if ack.silence_until <= context.now {
                return Ok(None);
            }
            Ok(Some(json_post(
                format!("{}/api/v2/silences", sink.url),
                &alertmanager_silence(&record.alert.label_set(), ack),
            )))
        }
        (SinkKind::Alertmanager { .. }, Action::Unsilence) => {
            Ok(context.silence_id.map(|id| HttpRequest {
                method: Method::Delete,
                url: format!("{}/api/v2/silence/{id}", sink.url),
                headers: Vec::new(),
                body: None,
            }))
        }
        (
            SinkKind::PagerDuty {
                routing_key,
                source,
            },
            Action::Trigger | Action::Acknowledge | Action::Resolve,
        ) => Ok(Some(json_post(
            sink.url.clone(),
            &pagerduty_event(action, record, routing_key.expose(), source),
        ))),
        (SinkKind::Webhook { secret }, Action::Notify) => {
            let body = serde_json::to_vec(&WebhookMessage::of(record, context.repeat))
                .map_err(|e| format!("serializing the webhook message: {e}"))?;
            Ok(Some(HttpRequest {
                method: Method::Post,
                url: sink.url.clone(),
                headers: vec![
                    ("Content-Type", "application/json".to_owned()),
                    (SIGNATURE_HEADER, sign(secret.expose().as_bytes(), &body)),
                    ("X-Monitor-Event", record.state.as_str().to_owned()),
                    ("Idempotency-Key", context.idempotency_key.to_owned()),
                    ("X-Monitor-Attempt", context.attempt.to_string()),
                ],
                body: Some(body),
            }))
        }
        (kind, action) => Err(format!(
            "sink \"{}\" is now a {} sink, which does not {action}",
            sink.name,
            kind.as_str()
        )),
    }
}

/// One alert of Alertmanager's `POST /api/v2/alerts`.
fn alertmanager_alert(record: &AlertRecord) -> Value {
    let alert = &record.alert;
    let mut annotations: BTreeMap<String, String> = alert.annotations.clone();
    annotations.insert("summary".to_owned(), alert.summary.clone());
    if !alert.explanation.is_empty() {
        annotations.insert("description".to_owned(), alert.explanation.clone());
    }
    if !alert.details.is_null() {
        let details = alert.details.to_string();
        let annotation = if details.len() <= DETAILS_ANNOTATION_LIMIT {
            details
        } else {
            format!(
                "({} bytes of details: PagerDuty's custom_details and the webhooks carry them)",
                details.len()
            )
        };
        annotations.insert("details".to_owned(), annotation);
    }
    let mut body = json!({
        "labels": alert.label_set(),
        "annotations": annotations,
        "startsAt": record.starts_at.to_string(),
    });
    if record.state == AlertState::Resolved {
        let ends_at = record.ends_at.unwrap_or(record.updated_at);
        body["endsAt"] = Value::String(ends_at.to_string());
    }
    if let Some(url) = &alert.generator_url {
        body["generatorURL"] = Value::String(url.clone());
    }
    body
}

/// Alertmanager's `POST /api/v2/silences` for an acknowledged alert.
fn alertmanager_silence(labels: &Labels, ack: &Acknowledgement) -> Value {
    let matchers: Vec<Value> = labels
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value, "isRegex": false, "isEqual": true}))
        .collect();
    json!({
        "matchers": matchers,
        "startsAt": ack.at.to_string(),
        "endsAt": ack.silence_until.to_string(),
        "createdBy": ack.by,
        "comment": ack.comment,
    })
}

/// A PagerDuty Events API v2 event.
fn pagerduty_event(action: Action, record: &AlertRecord, routing_key: &str, source: &str) -> Value {
    let event_action = match action {
        Action::Acknowledge => "acknowledge",
        Action::Resolve => "resolve",
        _ => "trigger",
    };
    let mut event = json!({
        "routing_key": routing_key,
        "event_action": event_action,
        "dedup_key": record.fingerprint.to_string(),
    });
    if action == Action::Trigger {
        let alert = &record.alert;
        let summary: String = alert
            .summary
            .chars()
            .take(PAGERDUTY_SUMMARY_LIMIT)
            .collect();
        event["payload"] = json!({
            "summary": summary,
            "source": source,
            "severity": alert.severity.as_str(),
            "timestamp": record.starts_at.to_string(),
            "class": alert.name,
            "custom_details": {
                "explanation": alert.explanation,
                "details": alert.details,
                "labels": alert.label_set(),
                "annotations": alert.annotations,
            },
        });
        event["client"] = Value::String("monitor".to_owned());
        if let Some(url) = &alert.generator_url {
            event["client_url"] = Value::String(url.clone());
        }
    }
    event
}

/// The webhook's JSON body (documented in `docs/alerts.md`).
#[derive(Debug, Serialize, Deserialize)]
pub struct WebhookMessage {
    /// The format's version: 1.
    pub version: u32,
    /// `firing`, `acknowledged` or `resolved`.
    pub event: AlertState,
    /// A firing alert notified again after `delivery.renotify`.
    pub repeat: bool,
    /// The alert's fingerprint.
    pub fingerprint: super::Fingerprint,
    /// The alert's name.
    pub name: String,
    /// Its severity.
    pub severity: super::Severity,
    /// Every label (with `alertname` and `severity`).
    pub labels: Labels,
    /// The summary.
    pub summary: String,
    /// The explanation.
    pub explanation: String,
    /// The details.
    pub details: Value,
    /// The caller's annotations.
    pub annotations: BTreeMap<String, String>,
    /// The generator URL.
    pub generator_url: Option<String>,
    /// When it started firing.
    pub starts_at: Timestamp,
    /// When it resolved.
    pub ends_at: Option<Timestamp>,
    /// Who acknowledged it, when it is acknowledged (or was, before resolving).
    pub acknowledgement: Option<Acknowledgement>,
}

impl WebhookMessage {
    /// The message for `record`.
    pub fn of(record: &AlertRecord, repeat: bool) -> WebhookMessage {
        let alert = &record.alert;
        WebhookMessage {
            version: 1,
            event: record.state,
            repeat,
            fingerprint: record.fingerprint,
            name: alert.name.clone(),
            severity: alert.severity,
            labels: alert.label_set(),
            summary: alert.summary.clone(),
            explanation: alert.explanation.clone(),
            details: alert.details.clone(),
            annotations: alert.annotations.clone(),
            generator_url: alert.generator_url.clone(),
            starts_at: record.starts_at,
            ends_at: record.ends_at,
            acknowledgement: record.acknowledgement.clone(),
        }
    }
}

/// How an answer is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Done.
    Delivered,
    /// Try again, not before `retry_after` if the server said so.
    Retry { retry_after: Option<Duration> },
    /// Never going to work: a dead letter.
    Dead,
}

/// Judges an HTTP answer to `action` (see the module docs).
pub(crate) fn judge(
    action: Action,
    status: u16,
    body: &str,
    retry_after: Option<&str>,
    now: Timestamp,
) -> Verdict {
    let gone_silence = action == Action::Unsilence
        && (status == 404 || (status == 500 && body.contains("silence not found")));
    match status {
        200..=299 => Verdict::Delivered,
        _ if gone_silence => Verdict::Delivered,
        408 | 429 | 500..=599 => Verdict::Retry {
            retry_after: retry_after.and_then(|value| parse_retry_after(value, now)),
        },
        _ => Verdict::Dead,
    }
}

/// `Retry-After`: a number of seconds, or an HTTP date (RFC 9110's IMF-fixdate, read as
/// RFC 2822); capped at [`MAX_RETRY_AFTER`].
pub(crate) fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(value)
            .ok()?;
        let ahead = at.duration_since(now);
        Duration::try_from(ahead).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::model::{Alert, Severity};

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a time")
    }

    fn record(state: AlertState) -> AlertRecord {
        let alert = Alert::new("DriftDetected", Severity::Warning, "drift on churn")
            .with_label("model", "churn")
            .with_explanation("psi 0.31 on age (threshold 0.1)")
            .with_details(json!({"drifted": [{"column": "age", "test": "psi", "score": 0.31}]}))
            .with_generator_url("http://grafana.example/d/drift");
        AlertRecord {
            fingerprint: alert.fingerprint(),
            state,
            alert,
            starts_at: at("2026-11-27T10:00:00Z"),
            ends_at: (state == AlertState::Resolved).then(|| at("2026-11-27T11:00:00Z")),
            updated_at: at("2026-11-27T11:00:00Z"),
            notified_at: at("2026-11-27T10:00:00Z"),
            acknowledgement: Some(Acknowledgement {
                by: "ana".to_owned(),
                comment: "looking".to_owned(),
                at: at("2026-11-27T10:30:00Z"),
                silence_until: at("2026-11-28T10:30:00Z"),
            }),
        }
    }

    fn context(record: &AlertRecord) -> Context<'_> {
        Context {
            snapshot: record,
            current: None,
            silence_id: Some("s-1"),
            repeat: false,
            idempotency_key: "key-1",
            attempt: 2,
            now: at("2026-11-27T10:45:00Z"),
        }
    }

    fn body(request: &HttpRequest) -> Value {
        serde_json::from_slice(request.body.as_ref().expect("a body")).expect("json")
    }

    #[test]
    fn alert_alertmanager_post_carries_labels_annotations_and_ends_at() {
        let sink = Sink::alertmanager("http://am:9093");
        let firing = record(AlertState::Firing);
        let request = render(&sink, Action::Post, &context(&firing))
            .expect("renders")
            .expect("a request");
        assert_eq!(request.url, "http://am:9093/api/v2/alerts");
        let alert = &body(&request)[0];
        assert_eq!(
            alert["labels"],
            json!({"alertname": "DriftDetected", "model": "churn", "severity": "warning"})
        );
        assert_eq!(alert["annotations"]["summary"], "drift on churn");
        assert_eq!(
            alert["annotations"]["description"],
            "psi 0.31 on age (threshold 0.1)"
        );
        let details: Value =
            serde_json::from_str(alert["annotations"]["details"].as_str().expect("text"))
                .expect("json");
        assert_eq!(details["drifted"][0]["score"], 0.31);
        assert_eq!(alert["startsAt"], "2026-11-27T10:00:00Z");
        assert_eq!(alert["generatorURL"], "http://grafana.example/d/drift");
        assert!(
            alert.get("endsAt").is_none(),
            "a firing alert has no endsAt"
        );
        // a post sends the alert as it is now, not as it was queued
        let resolved = record(AlertState::Resolved);
        let mut later = context(&firing);
        later.current = Some(&resolved);
        let request = render(&sink, Action::Post, &later)
            .expect("ok")
            .expect("some");
        assert_eq!(body(&request)[0]["endsAt"], "2026-11-27T11:00:00Z");
    }

    #[test]
    fn alert_silence_matches_every_label() {
        let sink = Sink::alertmanager("http://am:9093");
        let acked = record(AlertState::Acknowledged);
        let request = render(&sink, Action::Silence, &context(&acked))
            .expect("ok")
            .expect("some");
        assert_eq!(request.url, "http://am:9093/api/v2/silences");
        let silence = body(&request);
        assert_eq!(silence["createdBy"], "ana");
        assert_eq!(silence["comment"], "looking");
        assert_eq!(silence["endsAt"], "2026-11-28T10:30:00Z");
        assert_eq!(
            silence["matchers"],
            json!([
                {"name": "alertname", "value": "DriftDetected", "isRegex": false, "isEqual": true},
                {"name": "model", "value": "churn", "isRegex": false, "isEqual": true},
                {"name": "severity", "value": "warning", "isRegex": false, "isEqual": true},
            ])
        );
        // a silence whose time is over is not created
        let mut late = context(&acked);
        late.now = at("2026-11-29T00:00:00Z");
        assert!(render(&sink, Action::Silence, &late).expect("ok").is_none());
        let delete = render(&sink, Action::Unsilence, &context(&acked))
            .expect("ok")
            .expect("some");
        assert_eq!(
            (delete.method, delete.url.as_str()),
            (Method::Delete, "http://am:9093/api/v2/silence/s-1")
        );
        let mut never = context(&acked);
        never.silence_id = None;
        assert!(
            render(&sink, Action::Unsilence, &never)
                .expect("ok")
                .is_none()
        );
    }

    #[test]
    fn alert_pagerduty_events_use_the_fingerprint_as_dedup_key() {
        let sink = Sink::pagerduty("http://pd/v2/enqueue", "rk");
        let firing = record(AlertState::Firing);
        let trigger = body(
            &render(&sink, Action::Trigger, &context(&firing))
                .expect("ok")
                .expect("some"),
        );
        assert_eq!(trigger["routing_key"], "rk");
        assert_eq!(trigger["event_action"], "trigger");
        assert_eq!(trigger["dedup_key"], firing.fingerprint.to_string());
        assert_eq!(trigger["payload"]["severity"], "warning");
        assert_eq!(trigger["payload"]["source"], "monitor");
        assert_eq!(trigger["payload"]["class"], "DriftDetected");
        assert_eq!(
            trigger["payload"]["custom_details"]["details"]["drifted"][0]["column"],
            "age"
        );
        assert_eq!(trigger["client_url"], "http://grafana.example/d/drift");
        for (action, name) in [
            (Action::Acknowledge, "acknowledge"),
            (Action::Resolve, "resolve"),
        ] {
            let event = body(
                &render(&sink, action, &context(&firing))
                    .expect("ok")
                    .expect("some"),
            );
            assert_eq!(event["event_action"], name);
            assert_eq!(event["dedup_key"], firing.fingerprint.to_string());
            assert!(event.get("payload").is_none());
        }
        // a long summary is cut to PagerDuty's limit
        let mut long = record(AlertState::Firing);
        long.alert.summary = "é".repeat(2000);
        let trigger = body(
            &render(&sink, Action::Trigger, &context(&long))
                .expect("ok")
                .expect("some"),
        );
        assert_eq!(
            trigger["payload"]["summary"]
                .as_str()
                .expect("text")
                .chars()
                .count(),
            1024
        );
    }

    #[test]
    fn alert_webhook_is_signed() {
        let sink = Sink::webhook("http://hook", "s3cret");
        let acked = record(AlertState::Acknowledged);
        let request = render(&sink, Action::Notify, &context(&acked))
            .expect("ok")
            .expect("some");
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .expect(name)
        };
        let raw = request.body.clone().expect("body");
        assert!(verify(b"s3cret", &raw, &header(SIGNATURE_HEADER)));
        assert_eq!(header("X-Monitor-Event"), "acknowledged");
        assert_eq!(header("Idempotency-Key"), "key-1");
        assert_eq!(header("X-Monitor-Attempt"), "2");
        let message = body(&request);
        assert_eq!(message["version"], 1);
        assert_eq!(message["event"], "acknowledged");
        assert_eq!(message["acknowledgement"]["by"], "ana");
        assert_eq!(message["labels"]["alertname"], "DriftDetected");
        // a sink whose kind changed cannot send an older delivery
        assert!(render(&sink, Action::Trigger, &context(&acked)).is_err());
    }

    #[test]
    fn alert_answers_are_judged() {
        let now = at("2026-11-27T10:00:00Z");
        assert_eq!(judge(Action::Post, 200, "", None, now), Verdict::Delivered);
        assert_eq!(
            judge(Action::Trigger, 202, "", None, now),
            Verdict::Delivered
        );
        assert_eq!(
            judge(Action::Trigger, 429, "", Some("7"), now),
            Verdict::Retry {
                retry_after: Some(Duration::from_secs(7))
            }
        );
        assert_eq!(
            judge(
                Action::Post,
                503,
                "",
                Some("Fri, 27 Nov 2026 10:00:30 GMT"),
                now
            ),
            Verdict::Retry {
                retry_after: Some(Duration::from_secs(30))
            }
        );
        assert_eq!(
            judge(Action::Post, 408, "", Some("soon"), now),
            Verdict::Retry { retry_after: None }
        );
        for status in [400, 401, 403, 404, 413, 422, 301] {
            assert_eq!(
                judge(Action::Post, status, "", None, now),
                Verdict::Dead,
                "{status}"
            );
        }
        assert_eq!(
            judge(Action::Unsilence, 500, "\"silence not found\"", None, now),
            Verdict::Delivered
        );
        assert_eq!(
            judge(Action::Unsilence, 404, "", None, now),
            Verdict::Delivered
        );
        assert_eq!(
            judge(Action::Unsilence, 500, "boom", None, now),
            Verdict::Retry { retry_after: None }
        );
        assert_eq!(parse_retry_after("86400", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Fri, 27 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
    }
}
