//! The policy: named rules over signals, the trigger that combines them, and the guardrails.
//!
//! A [`Policy`] is read from TOML by [`Policy::from_toml`] (see `docs/retrain.md` for the
//! format) and is then immutable; [`crate::decide()`] applies it.

pub mod freeze;
mod parse;

use std::collections::BTreeMap;

use jiff::SignedDuration;
use jiff::tz::TimeZone;

pub use freeze::{FreezeKind, FreezeWindow};

/// The seed's fixed thresholds as a policy file: retrain on any dataset drift, accuracy
/// below 0.78 or a p95 latency above 0.5 s, with no guardrail. [`Policy::default`] is this.
pub const DEFAULT_POLICY_TOML: &str = r#"# The default policy: the seed's fixed thresholds, no guardrails.
name = "default"

[rules.dataset_drift]
signal = "dataset_drift"

[rules.accuracy_low]
signal = "accuracy"
below = 0.78

[rules.latency_high]
signal = "latency_p95"
above = 0.5

[trigger]
any = ["dataset_drift", "accuracy_low", "latency_high"]
"#;

/// A validated retraining policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// A name for reports (`name = "..."` at the top of the file).
    pub name: Option<String>,
    /// The rules by name.
    pub rules: BTreeMap<String, Rule>,
    /// How the rules combine into "retraining is called for".
    pub trigger: Combination,
    /// What may hold a called-for retraining back.
    pub guardrails: Guardrails,
}

/// One named rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// What the rule tests.
    pub kind: RuleKind,
    /// Consecutive evaluations a leaf rule's condition must hold before it counts
    /// (hysteresis); `None` takes `guardrails.hysteresis`. Always `None` on combinations.
    pub hold_for: Option<u32>,
}

/// What a rule tests.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// The drift report's `dataset_drift` is true.
    DatasetDrift,
    /// The drift report's `drift_share` compared with a threshold (`above` or `below`).
    DriftShare(Threshold),
    /// At least `min_features` of the named columns drifted (every column when `features`
    /// is empty), each with a statistic of at least `min_score` when one is given.
    FeatureDrift {
        /// The columns to watch; empty means every column of the report.
        features: Vec<String>,
        /// The smallest statistic (distance, or test statistic) that counts.
        min_score: Option<f64>,
        /// How many of the columns must drift (default 1).
        min_features: usize,
    },
    /// At least `min_alarms` detector alarms, from the named detectors (any detector when
    /// `detectors` is empty).
    DetectorAlarm {
        /// Detector names to count; empty means every detector.
        detectors: Vec<String>,
        /// How many alarms it takes (default 1).
        min_alarms: usize,
    },
    /// A live metric compared with a threshold or with its baseline.
    Metric {
        /// The metric.
        metric: Metric,
        /// The comparison.
        comparison: Comparison,
    },
    /// A combination of other rules by name.
    Combination(Combination),
}

/// Rules combined with all/any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combination {
    /// `all` or `any`.
    pub mode: CombineMode,
    /// The rules combined, by name.
    pub rules: Vec<String>,
}

/// How a combination joins its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CombineMode {
    /// Every rule must fire.
    All,
    /// One rule firing is enough.
    Any,
}

/// A metric a rule can read from [`crate::Metrics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Accuracy (higher is better).
    Accuracy,
    /// F1 score (higher is better).
    F1,
    /// ROC AUC (higher is better).
    Auc,
    /// Mean absolute error (lower is better).
    Mae,
    /// p95 latency in seconds (lower is better).
    LatencyP95,
    /// Share of predictions with a label (higher is better).
    LabelCompleteness,
}

impl Metric {
    /// The signal name used in policy files.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::F1 => "f1",
            Metric::Auc => "auc",
            Metric::Mae => "mae",
            Metric::LatencyP95 => "latency_p95",
            Metric::LabelCompleteness => "label_completeness",
        }
    }

    /// Whether a larger value is better (accuracy) or worse (latency).
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Metric::Mae | Metric::LatencyP95)
    }

    /// Whether values live in [0, 1].
    pub fn is_unit_interval(self) -> bool {
        self.higher_is_better()
    }

    /// The metric's value in `metrics`.
    pub fn read(self, metrics: &crate::Metrics) -> Option<f64> {
        match self {
            Metric::Accuracy => metrics.accuracy,
            Metric::F1 => metrics.f1,
            Metric::Auc => metrics.auc,
            Metric::Mae => metrics.mae,
            Metric::LatencyP95 => metrics.latency_p95_seconds,
            Metric::LabelCompleteness => metrics.label_completeness,
        }
    }
}

/// A fixed threshold: the rule fires strictly above or strictly below it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// Fires when the value is greater than this.
    Above(f64),
    /// Fires when the value is less than this.
    Below(f64),
}

impl Threshold {
    /// Whether `value` is past the threshold.
    pub fn crossed(self, value: f64) -> bool {
        match self {
            Threshold::Above(limit) => value > limit,
            Threshold::Below(limit) => value < limit,
        }
    }
}

/// How a metric rule compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Comparison {
    /// Against a fixed threshold.
    Threshold(Threshold),
    /// Worse than the baseline by more than this many units (a drop for accuracy, a rise
    /// for latency).
    WorseThanBaselineBy(f64),
    /// Worse than the baseline by more than this fraction of the baseline.
    WorseThanBaselineRatio(f64),
}

/// What may hold back a retraining that the trigger calls for.
#[derive(Debug, Clone, PartialEq)]
pub struct Guardrails {
    /// Consecutive evaluations a leaf rule must hold (K); 1 means no hysteresis.
    pub hysteresis: u32,
    /// Labelled samples needed since the last training.
    pub min_new_samples: Option<u64>,
    /// Smallest label completeness at which a retraining may start.
    pub min_label_completeness: Option<f64>,
    /// Time after the last training or retrain decision during which no retrain starts.
    pub cooldown: Option<SignedDuration>,
    /// At most this many retrains in any rolling window.
    pub rate_limit: Option<RateLimit>,
    /// Windows in which no retraining starts.
    pub freeze: Vec<FreezeWindow>,
    /// Money per run and per calendar month.
    pub budget: Option<Budget>,
    /// Stop after retrained candidates keep failing their canary.
    pub circuit_breaker: Option<CircuitBreaker>,
}

impl Default for Guardrails {
    fn default() -> Self {
        Guardrails {
            hysteresis: 1,
            min_new_samples: None,
            min_label_completeness: None,
            cooldown: None,
            rate_limit: None,
            freeze: Vec::new(),
            budget: None,
            circuit_breaker: None,
        }
    }
}

/// At most `max_retrains` retrain decisions in any `window`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// The cap.
    pub max_retrains: u32,
    /// The rolling window.
    pub window: SignedDuration,
}

/// A cost per run and a cap per calendar month.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// What one retraining costs.
    pub cost_per_run: f64,
    /// What may be spent in one calendar month.
    pub monthly_cap: f64,
    /// The time zone whose calendar months count (default UTC).
    pub time_zone: TimeZone,
    /// Its IANA name, for reports.
    pub time_zone_name: String,
}

/// Open after `max_failed_canaries` retrained candidates in a row failed their canary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitBreaker {
    /// Failures in a row that open the breaker.
    pub max_failed_canaries: u32,
}

impl Default for Policy {
    /// The seed's fixed thresholds ([`DEFAULT_POLICY_TOML`]).
    fn default() -> Self {
        let leaf = |kind| Rule {
            kind,
            hold_for: None,
        };
        let rules = BTreeMap::from([
            ("dataset_drift".to_owned(), leaf(RuleKind::DatasetDrift)),
            (
                "accuracy_low".to_owned(),
                leaf(RuleKind::Metric {
                    metric: Metric::Accuracy,
                    comparison: Comparison::Threshold(Threshold::Below(0.78)),
                }),
            ),
            (
                "latency_high".to_owned(),
                leaf(RuleKind::Metric {
                    metric: Metric::LatencyP95,
                    comparison: Comparison::Threshold(Threshold::Above(0.5)),
                }),
            ),
        ]);
        Policy {
            name: Some("default".into()),
            rules,
            trigger: Combination {
                mode: CombineMode::Any,
                rules: vec![
                    "dataset_drift".into(),
                    "accuracy_low".into(),
                    "latency_high".into(),
                ],
            },
            guardrails: Guardrails::default(),
        }
    }
}

impl Policy {
    /// Reads and validates a policy file.
    ///
    /// # Errors
    /// [`crate::PolicyError`] naming the key, its line and column and the reason, for TOML
    /// syntax errors, unknown keys, wrong types and values out of range.
    pub fn from_toml(text: &str) -> Result<Policy, crate::PolicyError> {
        parse::parse_policy(text)
    }

    /// The hysteresis a leaf rule needs: its own `hold_for` or the policy's.
    pub fn hold_for(&self, rule: &Rule) -> u32 {
        rule.hold_for.unwrap_or(self.guardrails.hysteresis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_the_default_file() {
        assert_eq!(
            Policy::from_toml(DEFAULT_POLICY_TOML).unwrap(),
            Policy::default()
        );
    }

    #[test]
    fn metric_directions() {
        assert!(Metric::Accuracy.higher_is_better());
        assert!(Metric::Auc.higher_is_better());
        assert!(!Metric::Mae.higher_is_better());
        assert!(!Metric::LatencyP95.higher_is_better());
        assert!(Threshold::Below(0.78).crossed(0.77));
        assert!(!Threshold::Below(0.78).crossed(0.78));
        assert!(Threshold::Above(0.5).crossed(0.51));
        assert!(!Threshold::Above(0.5).crossed(0.5));
    }
}
