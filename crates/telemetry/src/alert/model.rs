//! The alert: what fired, how bad, why; and its life in the outbox (firing, acknowledged,
//! resolved).
//!
//! An [`Alert`] is what a caller raises: a name (the `alertname` label), a [`Severity`]
//! (the `severity` label), its own labels (model, version, feature, ...), a one-line
//! summary, an explanation of what fired and machine-readable details (a drift report's
//! drifted columns with their statistics, a canary verdict, a retrain decision: any JSON).
//! Its identity is the [`Fingerprint`] of its labels.
//!
//! Labels and annotations carry exactly what the caller gives, nothing is added from the
//! data. A clear user id must never be among them: [`Alert::validate`] rejects labels,
//! annotations and details keys named like one (`user_id`, `user`, `email`, ...), and the
//! caller sends a keyed hash ([`crate::prediction::UserIdHasher`]) if a user matters.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::AlertError;
use super::fingerprint::Fingerprint;

/// Label names and values, sorted by name.
pub type Labels = BTreeMap<String, String>;

/// How urgent an alert is: PagerDuty's four levels (Alertmanager gets it as the
/// `severity` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Act now: a model is broken for users.
    Critical,
    /// Act today.
    Error,
    /// Look at it.
    Warning,
    /// For the record.
    Info,
}

impl Severity {
    /// Every severity, most urgent first.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::Error,
        Severity::Warning,
        Severity::Info,
    ];

    /// `critical`, `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Severity, String> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                format!("\"{text}\" is not a severity (critical, error, warning or info)")
            })
    }
}

/// The label that holds the alert's name.
pub const NAME_LABEL: &str = "alertname";
/// The label that holds the alert's severity.
pub const SEVERITY_LABEL: &str = "severity";
/// Annotations the sinks fill from the alert's fields: the caller cannot set them.
pub const RESERVED_ANNOTATIONS: [&str; 3] = ["summary", "description", "details"];

/// Names that hold a clear user id once lowercased and with `-`, `.` and spaces read as
/// `_` (the hashed id goes under another name, such as `user_hash`).
const USER_ID_NAMES: [&str; 9] = [
    "user",
    "user_id",
    "userid",
    "user_name",
    "username",
    "email",
    "e_mail",
    "user_email",
    "email_address",
];

fn looks_like_user_id(name: &str) -> bool {
    let normalized: String = name
        .chars()
        .map(|c| match c {
            '-' | '.' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    USER_ID_NAMES.contains(&normalized.as_str())
}

/// A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*` (what Alertmanager 0.25 accepts).
fn valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Something that fired (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// The `alertname` label, e.g. `DriftDetected`.
    pub name: String,
    /// The `severity` label.
    pub severity: Severity,
    /// The other labels (not `alertname` or `severity`): what the alert is about.
    #[serde(default)]
    pub labels: Labels,
    /// One line for a pager: `dataset drift on churn v3: 4 of 12 columns drifted`.
    pub summary: String,
    /// What fired and why, in words (Alertmanager's `description` annotation).
    #[serde(default)]
    pub explanation: String,
    /// What fired, for machines: a drift report's drifted columns with their statistics,
    /// a canary verdict's metrics and reason, a retrain decision. `null` when none.
    #[serde(default)]
    pub details: Value,
    /// More annotations (not `summary`, `description` or `details`): a runbook URL, ...
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// A link back to what produced the alert (a dashboard, a report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
}

impl Alert {
    /// An alert with no labels beyond its name and severity.
    pub fn new(name: impl Into<String>, severity: Severity, summary: impl Into<String>) -> Alert {
        Alert {
            name: name.into(),
            severity,
            labels: Labels::new(),
            summary: summary.into(),
            explanation: String::new(),
            details: Value::Null,
            annotations: BTreeMap::new(),
            generator_url: None,
        }
    }

    /// Adds a label.
    #[must_use]
    pub fn with_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Alert {
        self.labels.insert(name.into(), value.into());
        self
    }

    /// Adds an annotation.
    #[must_use]
    pub fn with_annotation(mut self, name: impl Into<String>, value: impl Into<String>) -> Alert {
        self.annotations.insert(name.into(), value.into());
        self
    }

    /// Sets the explanation.
    #[must_use]
    pub fn with_explanation(mut self, explanation: impl Into<String>) -> Alert {
        self.explanation = explanation.into();
        self
    }

    /// Sets the details.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Alert {
        self.details = details;
        self
    }

    /// Sets the generator URL.
    #[must_use]
    pub fn with_generator_url(mut self, url: impl Into<String>) -> Alert {
        self.generator_url = Some(url.into());
        self
    }

    /// Every label as sinks send it: the alert's labels plus `alertname` and `severity`.
    pub fn label_set(&self) -> Labels {
        let mut labels = self.labels.clone();
        labels.insert(NAME_LABEL.to_owned(), self.name.clone());
        labels.insert(SEVERITY_LABEL.to_owned(), self.severity.as_str().to_owned());
        labels
    }

    /// The fingerprint of [`Alert::label_set`].
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.label_set())
    }

    /// Checks what Alertmanager and PagerDuty would reject, and that no clear user id is
    /// on board.
    ///
    /// # Errors
    /// [`AlertError::InvalidAlert`] for an empty name or summary, a label name that is not
    /// `[a-zA-Z_][a-zA-Z0-9_]*`, an empty label value (Alertmanager drops those, so the
    /// fingerprints would differ), a label `alertname` or `severity` (they come from the
    /// fields) or a reserved annotation; [`AlertError::ClearUserId`] for a label,
    /// annotation or details key named like a user id.
    pub fn validate(&self) -> Result<(), AlertError> {
        let name = self.name.as_str();
        if name.trim().is_empty() {
            return Err(AlertError::invalid(name, "the name is empty"));
        }
        if self.summary.trim().is_empty() {
            return Err(AlertError::invalid(name, "the summary is empty"));
        }
        for (label, value) in &self.labels {
            if !valid_label_name(label) {
                return Err(AlertError::invalid(
                    name,
                    format!(
                        "label \"{label}\": a name is letters, digits and _, not starting with a digit"
                    ),
                ));
            }
            if label == NAME_LABEL || label == SEVERITY_LABEL {
                return Err(AlertError::invalid(
                    name,
                    format!(
                        "label \"{label}\" comes from the alert's name and severity: do not set it"
                    ),
                ));
            }
            if value.is_empty() {
                return Err(AlertError::invalid(
                    name,
                    format!("label \"{label}\" is empty: leave the label out instead"),
                ));
            }
            if looks_like_user_id(label) {
                return Err(AlertError::ClearUserId {
                    name: name.to_owned(),
                    field: format!("label \"{label}\""),
                });
            }
        }
        for annotation in self.annotations.keys() {
            if RESERVED_ANNOTATIONS.contains(&annotation.as_str()) {
                return Err(AlertError::invalid(
                    name,
                    format!(
                        "annotation \"{annotation}\" is filled from the alert's fields: do not set it"
                    ),
                ));
            }
            if looks_like_user_id(annotation) {
                return Err(AlertError::ClearUserId {
                    name: name.to_owned(),
                    field: format!("annotation \"{annotation}\""),
                });
            }
        }
        if let Some(key) = user_id_key(&self.details) {
            return Err(AlertError::ClearUserId {
                name: name.to_owned(),
                field: format!("details key \"{key}\""),
            });
        }
        Ok(())
    }
}

/// The first object key, at any depth, named like a user id.
fn user_id_key(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) => map.iter().find_map(|(key, value)| {
            if looks_like_user_id(key) {
                Some(key.as_str())
            } else {
                user_id_key(value)
            }
        }),
        Value::Array(items) => items.iter().find_map(user_id_key),
        _ => None,
    }
}

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Fired, nobody has acknowledged it.
    Firing,
    /// Somebody acknowledged it: it still fires (Alertmanager keeps it, silenced), but
    /// nobody is notified again.
    Acknowledged,
    /// Resolved: sinks were told.
    Resolved,
}

impl AlertState {
    /// `firing`, `acknowledged` or `resolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Resolved => "resolved",
        }
    }

    /// Firing or acknowledged.
    pub fn is_active(self) -> bool {
        !matches!(self, AlertState::Resolved)
    }
}

impl fmt::Display for AlertState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AlertState {
    type Err = String;

    fn from_str(text: &str) -> Result<AlertState, String> {
        [
            AlertState::Firing,
            AlertState::Acknowledged,
            AlertState::Resolved,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| format!("\"{text}\" is not an alert state"))
    }
}

/// Who acknowledged an alert, why, and until when its silence lasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// Who (`--by`).
    pub by: String,
    /// Why (`--comment`).
    pub comment: String,
    /// When.
    pub at: Timestamp,
    /// When the Alertmanager silence ends unless the alert resolves first.
    pub silence_until: Timestamp,
}

/// An alert as the outbox keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// Its identity.
    pub fingerprint: Fingerprint,
    /// Its state.
    pub state: AlertState,
    /// The alert as last fired.
    pub alert: Alert,
    /// When it started firing (this time round).
    pub starts_at: Timestamp,
    /// When it was resolved.
    pub ends_at: Option<Timestamp>,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// When PagerDuty and webhooks were last told it fires.
    pub notified_at: Timestamp,
    /// The acknowledgement, while it is acknowledged (and after, once resolved).
    pub acknowledgement: Option<Acknowledgement>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alert() -> Alert {
        Alert::new(
            "DriftDetected",
            Severity::Warning,
            "4 of 12 columns drifted",
        )
        .with_label("model", "churn")
    }

    #[test]
    fn alert_label_set_adds_name_and_severity() {
        let labels = alert().label_set();
        assert_eq!(
            labels.into_iter().collect::<Vec<_>>(),
            [
                ("alertname".to_owned(), "DriftDetected".to_owned()),
                ("model".to_owned(), "churn".to_owned()),
                ("severity".to_owned(), "warning".to_owned()),
            ]
        );
        // annotations, summary and details do not change the identity
        let other = alert()
            .with_explanation("psi 0.31 on age")
            .with_details(json!({"drifted": ["age"]}))
            .with_annotation("runbook", "https://runbooks.example/drift");
        assert_eq!(alert().fingerprint(), other.fingerprint());
        assert_ne!(
            alert().fingerprint(),
            alert().with_label("version", "v3").fingerprint()
        );
    }

    #[test]
    fn alert_validation_names_the_problem() {
        assert!(alert().validate().is_ok());
        let err = |a: Alert| a.validate().expect_err("invalid").to_string();
        assert_eq!(
            err(alert().with_label("model-name", "x")),
            "alert \"DriftDetected\": label \"model-name\": a name is letters, digits and _, not starting with a digit"
        );
        assert!(err(alert().with_label("1st", "x")).contains("label \"1st\""));
        assert!(err(alert().with_label("version", "")).contains("is empty"));
        assert!(err(alert().with_label("severity", "critical")).contains("do not set it"));
        assert!(err(alert().with_annotation("summary", "x")).contains("annotation \"summary\""));
        let mut empty = alert();
        empty.summary = " ".to_owned();
        assert!(err(empty).contains("summary is empty"));
    }

    #[test]
    fn alert_refuses_clear_user_ids() {
        for (bad, field) in [
            (alert().with_label("user_id", "u-123"), "label \"user_id\""),
            (alert().with_label("Email", "a@b.c"), "label \"Email\""),
            (
                alert().with_annotation("user-name", "ana"),
                "annotation \"user-name\"",
            ),
            (
                alert().with_details(json!({"rows": [{"user.id": "u-1"}]})),
                "details key \"user.id\"",
            ),
        ] {
            match bad.validate() {
                Err(AlertError::ClearUserId { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        // a keyed hash under its own name is fine
        assert!(alert().with_label("user_hash", "3f9a").validate().is_ok());
        assert!(
            alert()
                .with_details(json!({"users_affected": 3}))
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn alert_json_round_trips() {
        let a = alert()
            .with_details(json!({"columns": [{"name": "age", "test": "psi", "score": 0.31}]}))
            .with_generator_url("http://grafana.example/d/drift");
        let text = serde_json::to_string(&a).expect("json");
        assert_eq!(serde_json::from_str::<Alert>(&text).expect("back"), a);
        let minimal: Alert = serde_json::from_str(
            r#"{"name": "CanaryFailed", "severity": "critical", "summary": "canary failed"}"#,
        )
        .expect("minimal");
        assert_eq!(minimal.details, Value::Null);
        assert!(
            serde_json::from_str::<Alert>(r#"{"name": "x", "severity": "urgent", "summary": "s"}"#)
                .is_err()
        );
    }
}
