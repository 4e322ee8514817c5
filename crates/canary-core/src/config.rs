//! The judge's configuration (`canary.toml`), with Kayenta's defaults.
//!
//! Field names are snake_case versions of Kayenta's canary-config keys (`nanStrategy` is
//! `nan_strategy`, `mustHaveData` is `must_have_data`); Kayenta's spellings of the enum
//! values (`meanRatio`) are accepted as aliases.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::CanaryError;

/// Kayenta's fixed confidence level for the interval of the shift
/// (`NetflixACAJudge`: `MannWhitneyClassifier(tolerance = 0.25, confLevel = 0.98, ...)`).
pub const KAYENTA_CONFIDENCE: f64 = 0.98;
/// Kayenta's fixed tolerance: the interval must clear `0.25 × |estimate|`.
pub const KAYENTA_TOLERANCE: f64 = 0.25;
/// Kayenta's `NODATA_THRESHOLD`: from this percentage of metrics without data, the
/// canary cannot pass.
pub const NO_DATA_PERCENT: f64 = 50.0;

/// Everything the judge needs besides the data.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JudgeConfig {
    /// Score thresholds for Pass and Marginal.
    pub thresholds: ScoreThresholds,
    /// Weight (percent) of each group in the score; groups without a weight share what is
    /// left of 100 equally (Kayenta's `groupWeights`).
    pub group_weights: BTreeMap<String, f64>,
    /// Confidence level of the interval for the shift and of rate intervals and tests
    /// (Kayenta: 0.98, fixed there).
    pub confidence: f64,
    /// Tolerance as a fraction of `|estimate|` (Kayenta: 0.25, fixed there).
    pub tolerance: f64,
    /// How metrics without enough data are judged.
    pub missing_data: MissingDataPolicy,
    /// The metrics, in the order they are reported.
    pub metrics: Vec<MetricConfig>,
}

impl Default for JudgeConfig {
    /// Kayenta's judge with Spinnaker's default score thresholds (pass 95, marginal 75)
    /// and our honest treatment of missing data.
    fn default() -> Self {
        JudgeConfig {
            thresholds: ScoreThresholds::default(),
            group_weights: BTreeMap::new(),
            confidence: KAYENTA_CONFIDENCE,
            tolerance: KAYENTA_TOLERANCE,
            missing_data: MissingDataPolicy::Inconclusive,
            metrics: Vec::new(),
        }
    }
}

/// Score thresholds (Kayenta's `CanaryClassifierThresholdsConfig`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreThresholds {
    /// A score at or above this passes.
    pub pass: f64,
    /// A score at or above this (and below `pass`) is marginal; below it fails.
    pub marginal: f64,
}

impl Default for ScoreThresholds {
    /// Spinnaker's canary stage defaults: pass 95, marginal 75.
    fn default() -> Self {
        ScoreThresholds {
            pass: 95.0,
            marginal: 75.0,
        }
    }
}

/// How a metric with too little data is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingDataPolicy {
    /// Ours (the default): a side with fewer than `min_samples` values (none included)
    /// makes the metric `Inconclusive { needed }`, never a failure, unless the metric
    /// says `must_have_data`; when half the metrics or more lack data, the verdict is
    /// Inconclusive rather than Kayenta's Fail.
    Inconclusive,
    /// Kayenta's rules exactly: only an empty side lacks data (`min_samples` is ignored);
    /// a critical metric without data fails the canary; half the metrics without data
    /// fail it.
    Kayenta,
}

/// One metric's configuration (Kayenta's `analysisConfigurations.canary` block).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricConfig {
    /// The metric's name, as in the data.
    pub name: String,
    /// Samples (compared by Mann-Whitney) or a rate (events over trials).
    #[serde(default)]
    pub kind: MetricKind,
    /// Which change is bad (Kayenta's default: either).
    #[serde(default)]
    pub direction: Direction,
    /// What to do with NaN values (Kayenta's default: remove).
    #[serde(default)]
    pub nan_strategy: NanStrategy,
    /// A failure of this metric fails the whole canary (Kayenta's `critical`).
    #[serde(default)]
    pub critical: bool,
    /// Missing data counts as a failure of this metric (Kayenta's `mustHaveData`).
    #[serde(default)]
    pub must_have_data: bool,
    /// Reported but left out of the score (Kayenta's `muted`).
    #[serde(default)]
    pub muted: bool,
    /// Groups the metric scores in; none means the group `default`.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Effect-size measure and limits.
    #[serde(default)]
    pub effect_size: EffectSizeConfig,
    /// Values (trials, for a rate) each side needs before the metric is judged; None
    /// means [`MetricKind::default_min_samples`].
    #[serde(default)]
    pub min_samples: Option<u64>,
}

impl MetricConfig {
    /// A metric with every setting at its default.
    pub fn new(name: impl Into<String>) -> Self {
        MetricConfig {
            name: name.into(),
            kind: MetricKind::default(),
            direction: Direction::default(),
            nan_strategy: NanStrategy::default(),
            critical: false,
            must_have_data: false,
            muted: false,
            groups: Vec::new(),
            effect_size: EffectSizeConfig::default(),
            min_samples: None,
        }
    }

    /// The groups the metric scores in (`["default"]` when none is configured).
    pub fn effective_groups(&self) -> Vec<String> {
        if self.groups.is_empty() {
            vec!["default".to_owned()]
        } else {
            self.groups.clone()
        }
    }

    /// The minimum per side, configured or the kind's default.
    pub fn effective_min_samples(&self) -> u64 {
        self.min_samples
            .unwrap_or_else(|| self.kind.default_min_samples())
    }
}

/// What a metric's data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// A sample of values per side (latencies, scores), compared by Mann-Whitney.
    #[default]
    Samples,
    /// Events over trials per side (errors over requests), compared as rates.
    Rate,
}

impl MetricKind {
    /// The default minimum per side: 10 values for samples (no peer has one; below about
    /// 5 a side the 98% interval cannot exclude zero at all, so a Pass would say nothing),
    /// 100 trials for a rate (a rate of 1% needs about that many to show one event).
    pub fn default_min_samples(self) -> u64 {
        match self {
            MetricKind::Samples => 10,
            MetricKind::Rate => 100,
        }
    }

    /// `"samples"` or `"rate"`.
    pub fn name(self) -> &'static str {
        match self {
            MetricKind::Samples => "samples",
            MetricKind::Rate => "rate",
        }
    }
}

/// Which change of the candidate's metric is a failure (Kayenta's `direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Only an increase fails (latency, errors).
    Increase,
    /// Only a decrease fails (throughput, accuracy).
    Decrease,
    /// Both fail (Kayenta's default).
    #[default]
    Either,
}

/// What to do with NaN (and, beyond Kayenta, infinite) values (Kayenta's `nanStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NanStrategy {
    /// Drop them (Kayenta's default).
    #[default]
    Remove,
    /// Replace them by 0 (for counters that report nothing when nothing happened).
    Replace,
}

/// The effect-size measure (Kayenta's `effectSize.measure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectMeasure {
    /// `mean(candidate) / mean(baseline)` (Kayenta's default, `meanRatio`).
    #[default]
    #[serde(alias = "meanRatio")]
    MeanRatio,
    /// The common-language effect size `P(candidate > baseline)` (Kayenta's `cles`).
    Cles,
}

/// Effect-size limits: a shift fails only if its effect also reaches these (Kayenta's
/// `effectSize` block). Unset limits take Kayenta's default for the measure: 1.0 for the
/// mean ratio, 0.5 for CLES, that is, no extra limit.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EffectSizeConfig {
    /// The measure.
    pub measure: EffectMeasure,
    /// An increase fails only when the effect is at least this.
    pub allowed_increase: Option<f64>,
    /// A decrease fails only when the effect is at most this.
    pub allowed_decrease: Option<f64>,
    /// A critical metric's increase fails the canary only when the effect is at least this.
    pub critical_increase: Option<f64>,
    /// A critical metric's decrease fails the canary only when the effect is at most this.
    pub critical_decrease: Option<f64>,
}

impl EffectSizeConfig {
    /// Kayenta's default for every limit of this measure (1.0 for the mean ratio, 0.5 for CLES).
    pub fn neutral(&self) -> f64 {
        match self.measure {
            EffectMeasure::MeanRatio => 1.0,
            EffectMeasure::Cles => 0.5,
        }
    }

    /// `(allowed_decrease, allowed_increase)` with defaults filled in.
    pub fn allowed(&self) -> (f64, f64) {
        let neutral = self.neutral();
        (
            self.allowed_decrease.unwrap_or(neutral),
            self.allowed_increase.unwrap_or(neutral),
        )
    }

    /// `(critical_decrease, critical_increase)` with defaults filled in.
    pub fn critical(&self) -> (f64, f64) {
        let neutral = self.neutral();
        (
            self.critical_decrease.unwrap_or(neutral),
            self.critical_increase.unwrap_or(neutral),
        )
    }
}

impl JudgeConfig {
    /// Checks every value's range and that metric names are unique.
    ///
    /// # Errors
    /// [`CanaryError::InvalidParameter`] naming the key, [`CanaryError::DuplicateMetric`].
    pub fn validate(&self) -> Result<(), CanaryError> {
        let t = self.thresholds;
        if !(t.pass.is_finite() && t.marginal.is_finite() && t.marginal <= t.pass) {
            return Err(CanaryError::invalid(
                "thresholds",
                "finite with marginal <= pass",
                format!("pass {} marginal {}", t.pass, t.marginal),
            ));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(CanaryError::invalid(
                "confidence",
                "in (0, 1)",
                self.confidence,
            ));
        }
        if !(self.tolerance >= 0.0 && self.tolerance.is_finite()) {
            return Err(CanaryError::invalid(
                "tolerance",
                "finite and >= 0",
                self.tolerance,
            ));
        }
        for (group, &weight) in &self.group_weights {
            if !(weight >= 0.0 && weight.is_finite()) {
                return Err(CanaryError::invalid(
                    format!("group_weights.{group}"),
                    "finite and >= 0",
                    weight,
                ));
            }
        }
        let mut seen = BTreeSet::new();
        for metric in &self.metrics {
            if !seen.insert(metric.name.as_str()) {
                return Err(CanaryError::DuplicateMetric {
                    metric: metric.name.clone(),
                });
            }
            let key = |field: &str| format!("metrics.{}.{field}", metric.name);
            if metric.kind == MetricKind::Rate && metric.effect_size.measure == EffectMeasure::Cles
            {
                return Err(CanaryError::invalid(
                    key("effect_size.measure"),
                    "mean_ratio for a rate metric (its effect is the rate ratio)",
                    "cles",
                ));
            }
            let e = metric.effect_size;
            for (field, value) in [
                ("allowed_increase", e.allowed_increase),
                ("allowed_decrease", e.allowed_decrease),
                ("critical_increase", e.critical_increase),
                ("critical_decrease", e.critical_decrease),
            ] {
                if let Some(v) = value.filter(|v| !v.is_finite()) {
                    return Err(CanaryError::invalid(
                        key(&format!("effect_size.{field}")),
                        "finite",
                        v,
                    ));
                }
            }
            if metric.min_samples == Some(0) {
                return Err(CanaryError::invalid(key("min_samples"), "at least 1", 0));
            }
        }
        Ok(())
    }

    /// The configuration of the metric called `name`.
    pub fn metric(&self, name: &str) -> Option<&MetricConfig> {
        self.metrics.iter().find(|m| m.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_from_toml_with_kayentas_defaults() {
        let config: JudgeConfig = toml::from_str(
            r#"
            thresholds = { pass = 90, marginal = 60 }
            group_weights = { latency = 70, errors = 30 }

            [[metrics]]
            name = "latency_ms"
            direction = "increase"
            groups = ["latency"]
            effect_size = { measure = "meanRatio", allowed_increase = 1.1 }

            [[metrics]]
            name = "errors"
            kind = "rate"
            critical = true
            min_samples = 500
            "#,
        )
        .expect("valid toml");
        config.validate().expect("valid config");
        assert_eq!(config.thresholds.pass, 90.0);
        assert_eq!(config.confidence, 0.98);
        assert_eq!(config.missing_data, MissingDataPolicy::Inconclusive);
        let latency = config.metric("latency_ms").expect("latency");
        assert_eq!(latency.direction, Direction::Increase);
        assert_eq!(latency.nan_strategy, NanStrategy::Remove);
        assert_eq!(latency.effect_size.allowed(), (1.0, 1.1));
        assert_eq!(latency.effective_min_samples(), 10);
        let errors = config.metric("errors").expect("errors");
        assert_eq!(errors.kind, MetricKind::Rate);
        assert_eq!(errors.effective_groups(), vec!["default".to_owned()]);
        assert_eq!(errors.effective_min_samples(), 500);
        assert!(
            toml::from_str::<JudgeConfig>("treshold = 3").is_err(),
            "typos are rejected"
        );
    }

    #[test]
    fn cles_limits_default_to_one_half() {
        let e = EffectSizeConfig {
            measure: EffectMeasure::Cles,
            allowed_increase: Some(0.7),
            ..EffectSizeConfig::default()
        };
        assert_eq!(e.allowed(), (0.5, 0.7));
        assert_eq!(e.critical(), (0.5, 0.5));
    }

    #[test]
    fn validation_names_the_key() {
        let mut config = JudgeConfig::default();
        config.metrics.push(MetricConfig::new("a"));
        config.metrics.push(MetricConfig::new("a"));
        assert_eq!(
            config.validate(),
            Err(CanaryError::DuplicateMetric { metric: "a".into() })
        );
        let mut rate = MetricConfig::new("errors");
        rate.kind = MetricKind::Rate;
        rate.effect_size.measure = EffectMeasure::Cles;
        let config = JudgeConfig {
            metrics: vec![rate],
            ..JudgeConfig::default()
        };
        let error = config.validate().expect_err("cles on a rate");
        assert!(
            error
                .to_string()
                .contains("metrics.errors.effect_size.measure"),
            "{error}"
        );
        let config = JudgeConfig {
            confidence: 1.0,
            ..JudgeConfig::default()
        };
        assert!(config.validate().is_err());
    }
}
