//! Acknowledgement, and what an acknowledged alert pauses.
//!
//! `monitor alerts ack ID --by NAME --comment TEXT` ([`super::Alerting::acknowledge`])
//! records who acknowledged and why, creates an Alertmanager silence matching every label
//! of the alert (until the alert resolves, or [`super::AckOptions::silence_for`]), sends
//! PagerDuty's `acknowledge` and the webhooks' `acknowledged` event, and stops
//! re-notification: firing the alert again only updates Alertmanager (whose silence mutes
//! it), and the heartbeats go on so that Alertmanager does not resolve it behind our back.
//!
//! Automation asks whether it may go on: a rollout runner or the retraining loop calls
//! [`super::Alerting::paused`] with its action (`"rollout"`, `"retrain"`, or any name the
//! configuration uses) and the labels of what it works on (`model = "churn"`). The
//! [`PauseRule`]s decide, in the manner of Alertmanager's inhibition rules: a rule pauses
//! `action` when an acknowledged, unresolved alert carries every label of `match`, and
//! has, for each name in `equal`, the same value as the subject (a label missing on both
//! sides counts as equal, as in Alertmanager). Without `[[pause]]` in the configuration an
//! acknowledged alert about a model pauses that model's rollouts and retraining
//! ([`PauseRule::defaults`]); `pause = []` pauses nothing.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::fingerprint::Fingerprint;
use super::model::{AlertRecord, AlertState, Labels};

/// When an acknowledged alert pauses an action (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseRule {
    /// The action paused: `rollout`, `retrain`, or another name a caller asks about.
    pub action: String,
    /// Labels the acknowledged alert must carry, with these values (`alertname` and
    /// `severity` included). Empty: any alert.
    #[serde(default, rename = "match")]
    pub matchers: Labels,
    /// Labels whose values the alert and the paused subject must share.
    #[serde(default)]
    pub equal: Vec<String>,
}

impl PauseRule {
    /// A rule pausing `action` for the subject with the same `equal` labels.
    pub fn new(action: impl Into<String>, equal: &[&str]) -> PauseRule {
        PauseRule {
            action: action.into(),
            matchers: Labels::new(),
            equal: equal.iter().map(|&name| name.to_owned()).collect(),
        }
    }

    /// The default rules: an acknowledged alert pauses rollouts and retraining of the
    /// model it is about (`equal = ["model"]`).
    pub fn defaults() -> Vec<PauseRule> {
        vec![
            PauseRule::new("rollout", &["model"]),
            PauseRule::new("retrain", &["model"]),
        ]
    }

    /// Whether an acknowledged alert with `alert_labels` pauses `action` on `subject`.
    pub fn pauses(&self, action: &str, subject: &Labels, alert_labels: &Labels) -> bool {
        let value = |labels: &'_ Labels, name: &str| -> String {
            labels.get(name).cloned().unwrap_or_default()
        };
        self.action == action
            && self
                .matchers
                .iter()
                .all(|(name, wanted)| alert_labels.get(name) == Some(wanted))
            && self
                .equal
                .iter()
                .all(|name| value(subject, name) == value(alert_labels, name))
    }
}

/// Why an action is paused: the acknowledged alert and the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pause {
    /// The acknowledged alert.
    pub fingerprint: Fingerprint,
    /// Its name.
    pub alert: String,
    /// Who acknowledged it.
    pub by: String,
    /// Their comment.
    pub comment: String,
    /// When.
    pub since: Timestamp,
    /// The index of the rule in the configuration's `[[pause]]` list.
    pub rule: usize,
}

/// The first acknowledged, unresolved alert in `alerts` that pauses `action` on
/// `subject` under `rules`.
pub fn find_pause(
    rules: &[PauseRule],
    action: &str,
    subject: &Labels,
    alerts: &[AlertRecord],
) -> Option<Pause> {
    alerts
        .iter()
        .filter(|record| record.state == AlertState::Acknowledged)
        .find_map(|record| {
            let labels = record.alert.label_set();
            let rule = rules
                .iter()
                .position(|rule| rule.pauses(action, subject, &labels))?;
            let ack = record.acknowledgement.as_ref()?;
            Some(Pause {
                fingerprint: record.fingerprint,
                alert: record.alert.name.clone(),
                by: ack.by.clone(),
                comment: ack.comment.clone(),
                since: ack.at,
                rule,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::model::{Acknowledgement, Alert, Severity};

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn record(alert: Alert, state: AlertState) -> AlertRecord {
        let at: Timestamp = "2026-11-27T10:00:00Z".parse().expect("time");
        AlertRecord {
            fingerprint: alert.fingerprint(),
            state,
            alert,
            starts_at: at,
            ends_at: None,
            updated_at: at,
            notified_at: at,
            acknowledgement: Some(Acknowledgement {
                by: "ana".to_owned(),
                comment: "looking".to_owned(),
                at,
                silence_until: at,
            }),
        }
    }

    #[test]
    fn alert_ack_pauses_the_same_model_by_default() {
        let drift =
            Alert::new("DriftDetected", Severity::Warning, "drift").with_label("model", "churn");
        let acked = [record(drift.clone(), AlertState::Acknowledged)];
        let rules = PauseRule::defaults();
        let churn = labels(&[("model", "churn")]);
        let fraud = labels(&[("model", "fraud")]);
        let pause = find_pause(&rules, "rollout", &churn, &acked).expect("paused");
        assert_eq!(pause.fingerprint, drift.fingerprint());
        assert_eq!((pause.by.as_str(), pause.rule), ("ana", 0));
        assert_eq!(
            find_pause(&rules, "retrain", &churn, &acked).map(|p| p.rule),
            Some(1)
        );
        assert!(find_pause(&rules, "rollout", &fraud, &acked).is_none());
        assert!(find_pause(&rules, "deploy", &churn, &acked).is_none());
        // firing (not acknowledged) and resolved alerts pause nothing
        for state in [AlertState::Firing, AlertState::Resolved] {
            assert!(
                find_pause(&rules, "rollout", &churn, &[record(drift.clone(), state)]).is_none()
            );
        }
        assert!(find_pause(&[], "rollout", &churn, &acked).is_none());
    }

    #[test]
    fn alert_pause_rules_match_and_compare_labels() {
        let rule = PauseRule {
            action: "retrain".to_owned(),
            matchers: labels(&[("alertname", "DriftDetected"), ("severity", "critical")]),
            equal: vec!["model".to_owned(), "env".to_owned()],
        };
        let alert = labels(&[
            ("alertname", "DriftDetected"),
            ("severity", "critical"),
            ("model", "churn"),
        ]);
        // env is missing on both sides: equal, as in Alertmanager's inhibition
        assert!(rule.pauses("retrain", &labels(&[("model", "churn")]), &alert));
        assert!(!rule.pauses(
            "retrain",
            &labels(&[("model", "churn"), ("env", "prod")]),
            &alert
        ));
        let mut warning = alert.clone();
        warning.insert("severity".to_owned(), "warning".to_owned());
        assert!(!rule.pauses("retrain", &labels(&[("model", "churn")]), &warning));
        let parsed: PauseRule = toml::from_str(
            "action = \"retrain\"\nmatch = { alertname = \"DriftDetected\", severity = \"critical\" }\nequal = [\"model\", \"env\"]\n",
        )
        .expect("toml");
        assert_eq!(parsed, rule);
    }
}
