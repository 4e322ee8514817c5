//! The evidence a decision is made on: a drift report, live metrics, detector alarms.
//!
//! `Signals` is what `monitor retrain decide --signals S` reads. It is a JSON object; every
//! field is optional, so a caller passes what it has:
//!
//! ```json
//! {
//!   "model": "churn", "version": "v3", "window": "2026-11-27T10:00Z/1h",
//!   "drift": { "dataset_drift": true, "drift_share": 0.6,
//!              "columns": [{"name": "age", "test": "ks", "statistic": 0.21,
//!                           "p_value": 0.0001, "drifted": true}] },
//!   "metrics":  {"accuracy": 0.74, "f1": 0.70, "auc": 0.81, "mae": null,
//!                "latency_p95_seconds": 0.62, "label_completeness": 0.93},
//!   "baseline": {"accuracy": 0.86, "f1": 0.83, "auc": 0.90},
//!   "alarms": [{"detector": "adwin", "signal": "error_rate", "at": "2026-11-27T09:41:00Z"}],
//!   "new_samples": 12000,
//!   "canary": {"version": "v3", "passed": false}
//! }
//! ```
//!
//! `drift` is a `monitor drift --format json` report as it is (fields other than the ones
//! above are ignored), and a bare drift report is accepted as the whole document too.

use serde::{Deserialize, Serialize};

use crate::error::SignalsError;

/// Everything one evaluation looks at.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Signals {
    /// The model the signals are about (goes into the job's idempotency key).
    pub model: Option<String>,
    /// The model version in production (goes into the job's idempotency key).
    pub version: Option<String>,
    /// The evaluation window, as the caller names it (goes into the idempotency key, so
    /// the same window decided twice enqueues once).
    pub window: Option<String>,
    /// A drift report (`monitor drift --format json`).
    pub drift: Option<DriftSignals>,
    /// Live performance of the production model.
    pub metrics: Metrics,
    /// The same metrics measured when the model was accepted, for `worse_than_baseline_*`.
    pub baseline: Metrics,
    /// Streaming detector alarms raised in the window.
    pub alarms: Vec<DetectorAlarm>,
    /// Labelled samples collected since the last training (for `min_new_samples`).
    pub new_samples: Option<u64>,
    /// The canary verdict of the latest retrained candidate, if one was judged (feeds the
    /// circuit breaker; the same `version` is counted once).
    pub canary: Option<CanaryOutcome>,
}

/// The part of a drift report a policy reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DriftSignals {
    /// Whether the share of drifted columns reached the report's threshold.
    pub dataset_drift: bool,
    /// Drifted columns over tested columns.
    pub drift_share: f64,
    /// Every tested column.
    #[serde(default)]
    pub columns: Vec<ColumnSignal>,
}

/// One column of a drift report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnSignal {
    /// The column's name.
    pub name: String,
    /// The test's evidently name (`ks`, `psi`, ...).
    #[serde(default)]
    pub test: String,
    /// The test's statistic or distance; `min_score` in a `feature_drift` rule compares
    /// with this.
    #[serde(default)]
    pub statistic: Option<f64>,
    /// The p-value, for p-value tests.
    #[serde(default)]
    pub p_value: Option<f64>,
    /// Whether the column drifted by its test's own threshold.
    #[serde(default)]
    pub drifted: bool,
}

impl From<&drift_core::DriftReport> for DriftSignals {
    fn from(report: &drift_core::DriftReport) -> Self {
        DriftSignals {
            dataset_drift: report.dataset_drift,
            drift_share: report.drift_share,
            columns: report
                .columns
                .iter()
                .map(|column| ColumnSignal {
                    name: column.name.clone(),
                    test: column.test.name().to_owned(),
                    statistic: column.statistic,
                    p_value: column.p_value,
                    drifted: column.drifted,
                })
                .collect(),
        }
    }
}

/// Performance figures; a missing one makes the rules on it not fire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metrics {
    /// Accuracy in [0, 1] (higher is better).
    pub accuracy: Option<f64>,
    /// F1 score in [0, 1] (higher is better).
    pub f1: Option<f64>,
    /// ROC AUC in [0, 1] (higher is better).
    pub auc: Option<f64>,
    /// Mean absolute error (lower is better).
    pub mae: Option<f64>,
    /// 95th percentile of prediction latency, in seconds (lower is better).
    pub latency_p95_seconds: Option<f64>,
    /// Share of predictions whose label has arrived, in [0, 1].
    pub label_completeness: Option<f64>,
}

/// A streaming detector's alarm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DetectorAlarm {
    /// The detector (`adwin`, `page_hinkley`, ...).
    pub detector: String,
    /// What it watched (`error_rate`, a feature name).
    #[serde(default)]
    pub signal: Option<String>,
    /// When it fired.
    #[serde(default)]
    pub at: Option<jiff::Timestamp>,
}

/// How a retrained candidate did in its canary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanaryOutcome {
    /// The candidate's version.
    pub version: String,
    /// Whether it passed.
    pub passed: bool,
}

impl Signals {
    /// Reads signals from JSON: a [`Signals`] object, or a bare drift report (an object
    /// with `dataset_drift` and `columns` at the top), which becomes `drift`.
    ///
    /// # Errors
    /// [`SignalsError::Json`] when the text is not JSON or a field has the wrong type.
    pub fn from_json(text: &str) -> Result<Signals, SignalsError> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        let is_bare_report = value.get("dataset_drift").is_some()
            && value.get("columns").is_some()
            && value.get("drift").is_none();
        if is_bare_report {
            Ok(Signals {
                drift: Some(serde_json::from_value(value)?),
                ..Signals::default()
            })
        } else {
            Ok(serde_json::from_value(value)?)
        }
    }
}

/// One line of a backtest history: when, and what was seen then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The evaluation time.
    pub at: jiff::Timestamp,
    /// The signals at that time.
    pub signals: Signals,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_document_reads_every_field() {
        let text = r#"{
          "model": "churn", "version": "v3", "window": "w1",
          "drift": {"dataset_drift": true, "drift_share": 0.6, "n_columns": 5,
                    "columns": [{"name": "age", "test": "ks", "statistic": 0.21,
                                 "p_value": 0.0001, "drifted": true, "threshold": 0.05}]},
          "metrics": {"accuracy": 0.74, "latency_p95_seconds": 0.62, "label_completeness": 0.9},
          "baseline": {"accuracy": 0.86},
          "alarms": [{"detector": "adwin", "signal": "error_rate", "at": "2026-11-27T09:41:00Z"}],
          "new_samples": 12000,
          "canary": {"version": "v3", "passed": false}
        }"#;
        let signals = Signals::from_json(text).unwrap();
        let drift = signals.drift.as_ref().unwrap();
        assert!(drift.dataset_drift);
        assert_eq!(drift.columns[0].name, "age");
        assert_eq!(drift.columns[0].statistic, Some(0.21));
        assert_eq!(signals.metrics.accuracy, Some(0.74));
        assert_eq!(signals.metrics.f1, None);
        assert_eq!(signals.baseline.accuracy, Some(0.86));
        assert_eq!(signals.alarms[0].detector, "adwin");
        assert_eq!(signals.new_samples, Some(12000));
        assert!(!signals.canary.unwrap().passed);
    }

    #[test]
    fn a_real_drift_report_is_accepted_bare() {
        use drift_core::{ColumnData, DatasetInfo, DriftOptions, DriftReport, NamedColumn};
        let column = |shift: f64| NamedColumn {
            name: "latency".into(),
            data: ColumnData::Numeric((0..200).map(|i| Some(f64::from(i % 50) + shift)).collect()),
        };
        let info = DatasetInfo {
            source: "memory".into(),
            rows: 200,
        };
        let report = DriftReport::compute(
            (&info, &[column(0.0)]),
            (&info, &[column(20.0)]),
            &DriftOptions::default(),
        )
        .unwrap();
        let json = serde_json::to_string(&report).unwrap();
        let signals = Signals::from_json(&json).unwrap();
        assert_eq!(signals.drift, Some(DriftSignals::from(&report)));
        assert!(signals.drift.unwrap().dataset_drift);
    }

    #[test]
    fn empty_object_is_no_evidence() {
        assert_eq!(Signals::from_json("{}").unwrap(), Signals::default());
    }

    #[test]
    fn wrong_types_are_errors() {
        assert!(Signals::from_json(r#"{"metrics": {"accuracy": "high"}}"#).is_err());
        assert!(Signals::from_json("not json").is_err());
    }
}
