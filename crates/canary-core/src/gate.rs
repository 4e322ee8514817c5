//! The simple gate: fixed thresholds on accuracy, latency and error rate, each with its reason.
//!
//! For when a statistical judgment is more than is wanted: the candidate passes when its
//! accuracy is at least a floor, its latency rose by at most a fraction of the baseline's,
//! and its error rate is at most a multiple of the baseline's. Only configured checks run;
//! a check whose figure is missing on a side fails, and says so.

use crate::error::CanaryError;

/// The gate's thresholds (`[gate]` in `canary.toml`); unset checks are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateConfig {
    /// The candidate's accuracy must be at least this (in `[0, 1]`).
    pub min_accuracy: Option<f64>,
    /// The candidate's latency may exceed the baseline's by at most this fraction
    /// (`0.1`: 10% slower at most).
    pub max_latency_increase: Option<f64>,
    /// The candidate's error rate may be at most this multiple of the baseline's.
    pub max_error_rate_ratio: Option<f64>,
}

/// One variant's figures.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct VariantSummary {
    /// Share of correct answers, when labels are known.
    pub accuracy: Option<f64>,
    /// A latency figure (the caller chooses it: a mean, a p95), in any unit both share.
    pub latency: Option<f64>,
    /// Errors over requests.
    pub error_rate: Option<f64>,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GateCheck {
    /// `min_accuracy`, `max_latency_increase` or `max_error_rate_ratio`.
    pub check: String,
    /// The configured threshold.
    pub threshold: f64,
    /// The observed figure compared with it (accuracy, relative increase, ratio); None
    /// when a side lacks the figure.
    pub observed: Option<f64>,
    /// Whether the check passed.
    pub passed: bool,
    /// The outcome in words.
    pub reason: String,
}

/// The gate's verdict.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GateVerdict {
    /// Every check passed (true when none is configured).
    pub passed: bool,
    /// The checks, in the order above.
    pub checks: Vec<GateCheck>,
}

impl GateConfig {
    /// Checks the thresholds' ranges.
    ///
    /// # Errors
    /// [`CanaryError::InvalidParameter`] naming the key.
    pub fn validate(&self) -> Result<(), CanaryError> {
        if let Some(v) = self.min_accuracy.filter(|v| !(0.0..=1.0).contains(v)) {
            return Err(CanaryError::invalid("gate.min_accuracy", "in [0, 1]", v));
        }
        if let Some(v) = self
            .max_latency_increase
            .filter(|v| !(*v >= 0.0 && v.is_finite()))
        {
            return Err(CanaryError::invalid(
                "gate.max_latency_increase",
                "finite and >= 0",
                v,
            ));
        }
        if let Some(v) = self
            .max_error_rate_ratio
            .filter(|v| !(*v >= 0.0 && v.is_finite()))
        {
            return Err(CanaryError::invalid(
                "gate.max_error_rate_ratio",
                "finite and >= 0",
                v,
            ));
        }
        Ok(())
    }
}

/// Runs the configured checks.
///
/// The latency increase is `candidate / baseline - 1` (a baseline of 0 makes any positive
/// candidate latency an infinite increase); the error-rate ratio is
/// `candidate / baseline`, taken as 1 when both are 0 and infinite when only the baseline
/// is 0.
///
/// # Errors
/// An invalid configuration ([`GateConfig::validate`]).
pub fn gate(
    config: &GateConfig,
    baseline: &VariantSummary,
    candidate: &VariantSummary,
) -> Result<GateVerdict, CanaryError> {
    config.validate()?;
    let mut checks = Vec::new();
    if let Some(floor) = config.min_accuracy {
        checks.push(match candidate.accuracy {
            Some(a) => GateCheck {
                check: "min_accuracy".into(),
                threshold: floor,
                observed: Some(a),
                passed: a >= floor,
                reason: format!(
                    "candidate accuracy {a:.4} {} the floor {floor:.4}",
                    if a >= floor { "meets" } else { "is below" }
                ),
            },
            None => missing(
                "min_accuracy",
                floor,
                "the candidate has no accuracy (no labels)",
            ),
        });
    }
    if let Some(limit) = config.max_latency_increase {
        checks.push(match (baseline.latency, candidate.latency) {
            (Some(b), Some(c)) => {
                let increase = if b == 0.0 {
                    if c > 0.0 { f64::INFINITY } else { 0.0 }
                } else {
                    c / b - 1.0
                };
                let passed = increase <= limit;
                GateCheck {
                    check: "max_latency_increase".into(),
                    threshold: limit,
                    observed: Some(increase),
                    passed,
                    reason: format!(
                        "latency {c} against {b}: {:+.1}% {} the allowed +{:.1}%",
                        increase * 100.0,
                        if passed { "within" } else { "above" },
                        limit * 100.0
                    ),
                }
            }
            _ => missing("max_latency_increase", limit, "a side has no latency"),
        });
    }
    if let Some(limit) = config.max_error_rate_ratio {
        checks.push(match (baseline.error_rate, candidate.error_rate) {
            (Some(b), Some(c)) => {
                let ratio = match (b == 0.0, c == 0.0) {
                    (true, true) => 1.0,
                    (true, false) => f64::INFINITY,
                    _ => c / b,
                };
                let passed = ratio <= limit;
                GateCheck {
                    check: "max_error_rate_ratio".into(),
                    threshold: limit,
                    observed: Some(ratio),
                    passed,
                    reason: format!(
                        "error rate {c:.4} against {b:.4}: ratio {ratio:.2} {} the allowed {limit:.2}",
                        if passed { "within" } else { "above" }
                    ),
                }
            }
            _ => missing("max_error_rate_ratio", limit, "a side has no error rate"),
        });
    }
    Ok(GateVerdict {
        passed: checks.iter().all(|c| c.passed),
        checks,
    })
}

fn missing(check: &str, threshold: f64, why: &str) -> GateCheck {
    GateCheck {
        check: check.into(),
        threshold,
        observed: None,
        passed: false,
        reason: why.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(accuracy: f64, latency: f64, error_rate: f64) -> VariantSummary {
        VariantSummary {
            accuracy: Some(accuracy),
            latency: Some(latency),
            error_rate: Some(error_rate),
        }
    }

    #[test]
    fn each_threshold_with_its_reason() {
        let config = GateConfig {
            min_accuracy: Some(0.9),
            max_latency_increase: Some(0.1),
            max_error_rate_ratio: Some(1.5),
        };
        let baseline = summary(0.93, 100.0, 0.010);
        let good = gate(&config, &baseline, &summary(0.92, 109.0, 0.014)).expect("valid");
        assert!(good.passed, "{good:?}");
        assert_eq!(good.checks.len(), 3);
        let bad = gate(&config, &baseline, &summary(0.85, 125.0, 0.020)).expect("valid");
        assert!(!bad.passed);
        assert!(bad.checks.iter().all(|c| !c.passed));
        assert_eq!(bad.checks[1].observed, Some(0.25));
        assert_eq!(bad.checks[2].observed, Some(2.0));
        assert!(
            bad.checks[0].reason.contains("below the floor"),
            "{}",
            bad.checks[0].reason
        );
        // zero baselines, missing figures, nothing configured
        let zero = gate(&config, &summary(0.9, 0.0, 0.0), &summary(0.9, 0.0, 0.0)).expect("valid");
        assert!(zero.passed);
        let blind = gate(&config, &baseline, &VariantSummary::default()).expect("valid");
        assert!(!blind.passed && blind.checks.iter().all(|c| c.observed.is_none()));
        assert!(
            gate(&GateConfig::default(), &baseline, &baseline)
                .expect("valid")
                .passed
        );
        let invalid = GateConfig {
            min_accuracy: Some(90.0),
            ..GateConfig::default()
        };
        assert!(gate(&invalid, &baseline, &baseline).is_err());
    }
}
