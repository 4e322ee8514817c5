//! The statistical canary judge: Kayenta's NetflixACAJudge, metric by metric, then scored.
//!
//! Per metric, as Kayenta's `MannWhitneyClassifier.classify` (kayenta-judge, Scala):
//! clean NaN values (remove, or replace by 0); a side without data is `NoData` (or
//! `NoDataFail` for `must_have_data`); identical samples and samples of one single value
//! pass; otherwise the 98% interval of the Hodges-Lehmann shift (see [`crate::shift`]) is
//! compared with the tolerance band `±0.25·|estimate|`: entirely above it is `High`,
//! entirely below `Low`, if the direction cares about that side and the effect size
//! reaches its allowed limit; anything else passes. A critical metric fails the canary
//! when its High (Low) effect also reaches the critical limit.
//!
//! Then `WeightedSumScorer`: muted metrics are left out; per group, the share of `Pass`
//! among `Pass`, `High`, `Low`, `NoDataFail` (a group with none of these scores 100);
//! the score is the weighted sum of the group scores, rounded half-up to two decimals;
//! a failing critical metric, or half the metrics without data, override it.
//!
//! Beyond Kayenta: rate metrics are tested as rates ([`crate::proportion::compare_rates`]);
//! under the default [`MissingDataPolicy::Inconclusive`], a side with fewer than
//! `min_samples` values is `Inconclusive { needed }` instead of a failure, a critical
//! metric that is inconclusive makes the verdict inconclusive, and so does half the
//! metrics lacking data. Kayenta adds Gaussian noise of scale `1e-5 × value` when both
//! sides are constant (and different); we take the limit of that noise, every pairwise
//! difference equal to the difference of the constants, which is deterministic.

use std::collections::BTreeMap;

use crate::analysis::{Measurement, MeasurementPhase};
use crate::config::{
    Direction, EffectMeasure, JudgeConfig, MetricConfig, MetricKind, MissingDataPolicy,
    NO_DATA_PERCENT, NanStrategy, ScoreThresholds,
};
use crate::error::CanaryError;
use crate::proportion::{Proportion, RateTest, compare_rates};
use crate::shift::{ShiftTest, cles, mean_ratio, shift_test};

/// The version of the verdict's JSON layout.
pub const SCHEMA_VERSION: u32 = 1;

/// One metric's data for the judge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricData<'a> {
    /// A sample of values per side, in any order; NaN and ±inf are handled by the
    /// metric's `nan_strategy`.
    Samples {
        /// The baseline's values.
        baseline: &'a [f64],
        /// The candidate's values.
        candidate: &'a [f64],
    },
    /// Events over trials per side.
    Rate {
        /// The baseline's counts.
        baseline: Proportion,
        /// The candidate's counts.
        candidate: Proportion,
    },
}

/// A metric's name and data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricInput<'a> {
    /// The metric's name; it must be configured.
    pub name: &'a str,
    /// The data.
    pub data: MetricData<'a>,
}

/// A metric's classification (Kayenta's labels, plus `Inconclusive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "label", rename_all = "snake_case")]
pub enum Classification {
    /// No significant change (or none the configuration cares about).
    Pass,
    /// The candidate is significantly higher.
    High,
    /// The candidate is significantly lower.
    Low,
    /// A side has no data; left out of the group scores (Kayenta's `Nodata`).
    NoData,
    /// A side has no (or too little) data and the metric must have data: counts as a
    /// failure in its groups (Kayenta's `NodataFailMetric`).
    NoDataFail,
    /// Too few values to judge; left out of the group scores; never a failure.
    Inconclusive {
        /// Values (trials, for a rate) still needed on the side that lacks most.
        needed: u64,
    },
}

impl Classification {
    /// The label as it appears in JSON and group counts.
    pub fn label(self) -> &'static str {
        match self {
            Classification::Pass => "pass",
            Classification::High => "high",
            Classification::Low => "low",
            Classification::NoData => "no_data",
            Classification::NoDataFail => "no_data_fail",
            Classification::Inconclusive { .. } => "inconclusive",
        }
    }

    /// Without (enough) data to judge: `NoData` or `Inconclusive`.
    pub fn lacks_data(self) -> bool {
        matches!(
            self,
            Classification::NoData | Classification::Inconclusive { .. }
        )
    }
}

/// The rule that decided a metric's classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricRule {
    /// A side is empty (Kayenta: `Missing data for ...`).
    NoData,
    /// A side lacks data and the metric has `must_have_data`.
    MustHaveData,
    /// A side is empty under `nan_strategy = "replace"`: Kayenta passes it.
    NoDataReplaced,
    /// A side has fewer than `min_samples` values.
    TooFewSamples,
    /// Both sides hold the same values (Kayenta: `... data are identical`).
    Identical,
    /// Every value on both sides is the same.
    SingleValue,
    /// The interval lies above `tolerance × |estimate|` and the effect reaches its limit.
    ShiftAboveTolerance,
    /// The interval lies below `-tolerance × |estimate|` and the effect reaches its limit.
    ShiftBelowTolerance,
    /// The interval meets the tolerance band.
    WithinTolerance,
    /// The interval clears the band but the effect stays within the allowed limit.
    EffectWithinLimit,
    /// The interval clears the band on the side the metric's direction ignores.
    IgnoredDirection,
    /// The rate test rejects equal rates and the candidate's rate is higher.
    RateHigher,
    /// The rate test rejects equal rates and the candidate's rate is lower.
    RateLower,
    /// The rate test does not reject equal rates at `1 - confidence`.
    RateNotSignificant,
}

/// The test behind a metric's classification.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "test", rename_all = "snake_case")]
pub enum TestDetails {
    /// Mann-Whitney with Kayenta's interval for the shift.
    MannWhitney {
        /// U, p-value, estimate and interval.
        #[serde(flatten)]
        shift: ShiftTest,
        /// `tolerance × |estimate|`: the interval must clear `±` this.
        tolerance_bound: f64,
    },
    /// The rate test.
    Rate {
        /// Method, p-value, rates and interval of their difference.
        #[serde(flatten)]
        rate: RateTest,
    },
}

/// One metric's outcome, with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetricResult {
    /// The metric's name.
    pub name: String,
    /// Samples or rate.
    pub kind: MetricKind,
    /// The groups it scores in.
    pub groups: Vec<String>,
    /// Configured as critical.
    pub critical: bool,
    /// Configured as muted (reported, not scored).
    pub muted: bool,
    /// Values used on the baseline side (trials, for a rate).
    pub n_baseline: u64,
    /// Values used on the candidate side (trials, for a rate).
    pub n_candidate: u64,
    /// NaN or infinite values removed (or replaced by 0) on the baseline side.
    pub non_finite_baseline: u64,
    /// NaN or infinite values removed (or replaced by 0) on the candidate side.
    pub non_finite_candidate: u64,
    /// The estimated change: the Hodges-Lehmann shift, or the difference of rates.
    pub estimate: Option<f64>,
    /// The confidence interval of `estimate`.
    pub interval: Option<[f64; 2]>,
    /// The test's two-sided p-value.
    pub p_value: Option<f64>,
    /// The effect-size measure used.
    pub effect_measure: EffectMeasure,
    /// The effect size (None where Kayenta's is NaN: a mean of 0).
    pub effect: Option<f64>,
    /// `mean(candidate) / mean(baseline)` (the rate ratio for a rate), Kayenta's
    /// reported `ratio`, whatever the measure.
    pub mean_ratio: Option<f64>,
    /// The classification.
    pub classification: Classification,
    /// This result alone fails (or, when inconclusive, holds) the canary (Kayenta's
    /// result-level `critical` flag).
    pub decisive: bool,
    /// The rule that decided.
    pub rule: MetricRule,
    /// The decision in words.
    pub reason: String,
    /// The test's details, when a test ran.
    pub test: Option<TestDetails>,
}

/// The canary's overall decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Score at or above the pass threshold, no override.
    Pass,
    /// Score between the marginal and pass thresholds.
    Marginal,
    /// Score below the marginal threshold, or an override that fails.
    Fail,
    /// Not enough data to judge (never under Kayenta's policy).
    Inconclusive,
}

/// The rule that decided the overall verdict.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum VerdictRule {
    /// The score against the thresholds.
    Score,
    /// A critical metric failed (Kayenta: score 0).
    CriticalFailure {
        /// The first such metric.
        metric: String,
    },
    /// A critical metric is inconclusive (ours).
    CriticalInconclusive {
        /// The first such metric.
        metric: String,
    },
    /// Half the scored metrics or more lack data (Kayenta: score 0, fail; ours: inconclusive).
    TooManyWithoutData {
        /// Scored metrics without (enough) data.
        without_data: u64,
        /// Scored (unmuted) metrics.
        scored: u64,
    },
    /// No metric is scored (ours: inconclusive).
    NoMetrics,
}

/// A group's score.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupScore {
    /// The group's name.
    pub name: String,
    /// `100 × pass / (pass + high + low + no_data_fail)`, 0 when that is empty.
    pub score: f64,
    /// None of its metrics counted (it then contributes 100, as in Kayenta).
    pub no_data: bool,
    /// The weight (percent) it carries in the summary score.
    pub weight: f64,
    /// Classifications by label.
    pub counts: BTreeMap<String, u64>,
}

/// The judge's verdict on a candidate.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CanaryVerdict {
    /// The JSON layout's version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Pass, Marginal, Fail or Inconclusive.
    pub decision: Decision,
    /// The score in `[0, 100]` (0 when Kayenta's overrides apply).
    pub score: f64,
    /// The thresholds applied.
    pub thresholds: ScoreThresholds,
    /// The rule that decided.
    pub rule: VerdictRule,
    /// The decision in words.
    pub reason: String,
    /// Group scores, by name.
    pub groups: Vec<GroupScore>,
    /// Every configured metric, in configuration order.
    pub metrics: Vec<MetricResult>,
}

/// Judges a candidate against its baseline.
///
/// Every configured metric is judged; one without input is judged as having no data on
/// either side.
///
/// # Errors
/// An invalid configuration ([`JudgeConfig::validate`]), input for an unknown metric or
/// given twice, data of the wrong kind, or a rate with more events than trials.
pub fn judge(
    config: &JudgeConfig,
    inputs: &[MetricInput<'_>],
) -> Result<CanaryVerdict, CanaryError> {
    config.validate()?;
    let mut by_name: BTreeMap<&str, &MetricData<'_>> = BTreeMap::new();
    for input in inputs {
        if config.metric(input.name).is_none() {
            return Err(CanaryError::UnknownMetric {
                metric: input.name.to_owned(),
            });
        }
        if by_name.insert(input.name, &input.data).is_some() {
            return Err(CanaryError::DuplicateMetric {
                metric: input.name.to_owned(),
            });
        }
    }
    let metrics = config
        .metrics
        .iter()
        .map(|metric| classify(config, metric, by_name.get(metric.name.as_str()).copied()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(score(config, metrics))
}

/// Classifies one metric (see the module docs).
///
/// # Errors
/// Data of the wrong kind, or a rate with more events than trials.
pub fn classify(
    config: &JudgeConfig,
    metric: &MetricConfig,
    data: Option<&MetricData<'_>>,
) -> Result<MetricResult, CanaryError> {
    let empty = match metric.kind {
        MetricKind::Samples => MetricData::Samples {
            baseline: &[],
            candidate: &[],
        },
        MetricKind::Rate => MetricData::Rate {
            baseline: Proportion {
                events: 0,
                trials: 0,
            },
            candidate: Proportion {
                events: 0,
                trials: 0,
            },
        },
    };
    let data = data.copied().unwrap_or(empty);
    let mut result = MetricResult {
        name: metric.name.clone(),
        kind: metric.kind,
        groups: metric.effective_groups(),
        critical: metric.critical,
        muted: metric.muted,
        n_baseline: 0,
        n_candidate: 0,
        non_finite_baseline: 0,
        non_finite_candidate: 0,
        estimate: None,
        interval: None,
        p_value: None,
        effect_measure: metric.effect_size.measure,
        effect: None,
        mean_ratio: None,
        classification: Classification::Pass,
        decisive: false,
        rule: MetricRule::WithinTolerance,
        reason: String::new(),
        test: None,
    };
    match (metric.kind, data) {
        (
            MetricKind::Samples,
            MetricData::Samples {
                baseline,
                candidate,
            },
        ) => {
            let (baseline, dropped_b) = clean(baseline, metric.nan_strategy);
            let (candidate, dropped_c) = clean(candidate, metric.nan_strategy);
            result.n_baseline = baseline.len() as u64;
            result.n_candidate = candidate.len() as u64;
            result.non_finite_baseline = dropped_b;
            result.non_finite_candidate = dropped_c;
            if !lacks_data(config, metric, &mut result) {
                classify_samples(config, metric, &baseline, &candidate, &mut result);
            }
        }
        (
            MetricKind::Rate,
            MetricData::Rate {
                baseline,
                candidate,
            },
        ) => {
            for (side, p) in [("baseline", baseline), ("candidate", candidate)] {
                if p.events > p.trials {
                    return Err(CanaryError::EventsExceedTrials {
                        metric: metric.name.clone(),
                        side,
                        events: p.events,
                        trials: p.trials,
                    });
                }
            }
            result.n_baseline = baseline.trials;
            result.n_candidate = candidate.trials;
            if !lacks_data(config, metric, &mut result) {
                classify_rate(config, metric, baseline, candidate, &mut result);
            }
        }
        (configured, given) => {
            return Err(CanaryError::KindMismatch {
                metric: metric.name.clone(),
                configured: configured.name(),
                given: match given {
                    MetricData::Samples { .. } => "samples",
                    MetricData::Rate { .. } => "a rate",
                },
            });
        }
    }
    Ok(result)
}

/// Sorted finite values, with the count of NaN/±inf removed or replaced by 0.
fn clean(values: &[f64], strategy: NanStrategy) -> (Vec<f64>, u64) {
    let non_finite = values.iter().filter(|v| !v.is_finite()).count() as u64;
    let mut out: Vec<f64> = match strategy {
        NanStrategy::Remove => values.iter().copied().filter(|v| v.is_finite()).collect(),
        NanStrategy::Replace => values
            .iter()
            .map(|&v| if v.is_finite() { v } else { 0.0 })
            .collect(),
    };
    out.sort_by(f64::total_cmp);
    (out, non_finite)
}

/// Applies the missing-data rules; true when they decided the metric.
fn lacks_data(config: &JudgeConfig, metric: &MetricConfig, result: &mut MetricResult) -> bool {
    let (nb, nc) = (result.n_baseline, result.n_candidate);
    let name = &metric.name;
    match config.missing_data {
        MissingDataPolicy::Kayenta => {
            if nb > 0 && nc > 0 {
                return false;
            }
            // MannWhitneyClassifier.classify: the no-data branch
            if metric.nan_strategy == NanStrategy::Replace {
                result.classification = Classification::Pass;
                result.rule = MetricRule::NoDataReplaced;
                result.reason =
                    format!("{name}: a side is empty; nan_strategy = replace passes it (Kayenta)");
            } else if metric.must_have_data && !metric.critical {
                result.classification = Classification::NoDataFail;
                result.rule = MetricRule::MustHaveData;
                result.reason = format!("Missing data for {name} (must have data)");
            } else {
                result.classification = Classification::NoData;
                result.rule = MetricRule::NoData;
                result.decisive = metric.critical;
                result.reason = if metric.critical {
                    format!("Missing data for {name} (critical)")
                } else {
                    format!("Missing data for {name}")
                };
            }
            true
        }
        MissingDataPolicy::Inconclusive => {
            let min = metric.effective_min_samples();
            if nb >= min && nc >= min {
                return false;
            }
            if metric.must_have_data {
                result.classification = Classification::NoDataFail;
                result.rule = MetricRule::MustHaveData;
                result.decisive = metric.critical;
                result.reason = format!(
                    "{name}: {nb} baseline and {nc} candidate values, {min} needed a side, and it must have data"
                );
            } else {
                let needed = min.saturating_sub(nb).max(min.saturating_sub(nc));
                result.classification = Classification::Inconclusive { needed };
                result.rule = MetricRule::TooFewSamples;
                result.decisive = metric.critical;
                result.reason = format!(
                    "{name}: {nb} baseline and {nc} candidate values, {min} needed a side ({needed} more)"
                );
            }
            true
        }
    }
}

fn classify_samples(
    config: &JudgeConfig,
    metric: &MetricConfig,
    baseline: &[f64],
    candidate: &[f64],
    result: &mut MetricResult,
) {
    let name = &metric.name;
    result.mean_ratio = mean_ratio(candidate, baseline);
    if baseline == candidate {
        result.classification = Classification::Pass;
        result.rule = MetricRule::Identical;
        result.reason = format!("The canary and baseline data of {name} are identical");
        return;
    }
    if baseline[0] == baseline[baseline.len() - 1]
        && candidate[0] == candidate[candidate.len() - 1]
        && baseline[0] == candidate[0]
    {
        result.classification = Classification::Pass;
        result.rule = MetricRule::SingleValue;
        result.reason = format!("{name}: every value is {}", baseline[0]);
        return;
    }
    let Ok(shift) = shift_test(candidate, baseline, config.confidence) else {
        // both sides hold values once the missing-data rules let a metric through
        result.classification = Classification::NoData;
        result.rule = MetricRule::NoData;
        result.reason = format!("Missing data for {name}");
        return;
    };
    let effect = match metric.effect_size.measure {
        EffectMeasure::MeanRatio => result.mean_ratio,
        EffectMeasure::Cles => Some(cles(shift.u, candidate.len(), baseline.len())),
    };
    let bound = config.tolerance * shift.estimate.abs();
    result.estimate = Some(shift.estimate);
    result.interval = Some([shift.lower, shift.upper]);
    result.p_value = Some(shift.p_value);
    result.effect = effect;
    result.test = Some(TestDetails::MannWhitney {
        shift,
        tolerance_bound: bound,
    });
    let above = shift.lower > bound;
    let below = shift.upper < -bound;
    let interval = format!(
        "{:.0}% interval [{:.6}, {:.6}] of the shift {:.6}",
        config.confidence * 100.0,
        shift.lower,
        shift.upper,
        shift.estimate
    );
    decide(
        metric,
        (above, below, effect),
        result,
        [
            MetricRule::ShiftAboveTolerance,
            MetricRule::ShiftBelowTolerance,
            MetricRule::WithinTolerance,
        ],
        &format!(
            "{interval} {} ±{bound:.6}",
            if above || below { "clears" } else { "meets" }
        ),
    );
}

fn classify_rate(
    config: &JudgeConfig,
    metric: &MetricConfig,
    baseline: Proportion,
    candidate: Proportion,
    result: &mut MetricResult,
) {
    let test = compare_rates(baseline, candidate, config.confidence);
    let (rb, rc) = (test.rate_baseline, test.rate_candidate);
    let ratio = (rb != 0.0 && rc != 0.0).then(|| rc / rb);
    result.mean_ratio = ratio;
    result.effect = ratio;
    result.estimate = Some(test.difference);
    result.interval = Some([test.lower, test.upper]);
    result.p_value = Some(test.p_value);
    result.test = Some(TestDetails::Rate { rate: test });
    let significant = test.p_value < 1.0 - config.confidence;
    let (above, below) = (significant && rc > rb, significant && rc < rb);
    let words = format!(
        "rate {rc:.6} against {rb:.6}, p = {:.3e} ({})",
        test.p_value,
        if significant {
            "significant"
        } else {
            "not significant"
        }
    );
    decide(
        metric,
        (above, below, ratio),
        result,
        [
            MetricRule::RateHigher,
            MetricRule::RateLower,
            MetricRule::RateNotSignificant,
        ],
        &words,
    );
}

/// Kayenta's `compare` and the critical check, once the test says which side (if any)
/// the candidate clears.
///
/// `outcome` is (clears the band upwards, clears it downwards, effect size); `rules` are the
/// rules for High, Low and neither.
fn decide(
    metric: &MetricConfig,
    outcome: (bool, bool, Option<f64>),
    result: &mut MetricResult,
    rules: [MetricRule; 3],
    words: &str,
) {
    let (above, below, effect) = outcome;
    let name = &metric.name;
    let (allowed_decrease, allowed_increase) = metric.effect_size.allowed();
    let (critical_decrease, critical_increase) = metric.effect_size.critical();
    let up_counts = matches!(metric.direction, Direction::Increase | Direction::Either);
    let down_counts = matches!(metric.direction, Direction::Decrease | Direction::Either);
    // an effect that cannot be computed is ignored, as Kayenta does with NaN
    let is_high = up_counts && above && effect.is_none_or(|e| e >= allowed_increase);
    let is_low = down_counts && below && effect.is_none_or(|e| e <= allowed_decrease);
    let effect_words = effect.map_or("no effect size (a mean is 0)".to_owned(), |e| {
        format!("effect {e:.4}")
    });
    if is_high || is_low {
        let (label, rule, critical_limit_reached) = if is_high {
            (
                Classification::High,
                rules[0],
                effect.is_none_or(|e| e >= critical_increase),
            )
        } else {
            (
                Classification::Low,
                rules[1],
                effect.is_none_or(|e| e <= critical_decrease),
            )
        };
        result.classification = label;
        result.rule = rule;
        result.decisive = metric.critical && critical_limit_reached;
        let word = if is_high { "High" } else { "Low" };
        result.reason = if result.decisive {
            format!(
                "The metric {name} was classified as {word} (Critical): {words}, {effect_words}"
            )
        } else {
            format!("{name} was classified as {word}: {words}, {effect_words}")
        };
        return;
    }
    result.classification = Classification::Pass;
    let (rule, why) = if (above && !up_counts) || (below && !down_counts) {
        (
            MetricRule::IgnoredDirection,
            " in the direction the metric ignores",
        )
    } else if above || below {
        (
            MetricRule::EffectWithinLimit,
            " but the effect is within the allowed limit",
        )
    } else {
        (rules[2], "")
    };
    result.rule = rule;
    result.reason = format!("{name} passed: {words}{why}, {effect_words}");
}

/// Kayenta's `WeightedSumScorer` and `ThresholdScoreClassifier`, with our
/// missing-data overrides under [`MissingDataPolicy::Inconclusive`].
pub fn score(config: &JudgeConfig, metrics: Vec<MetricResult>) -> CanaryVerdict {
    let scored: Vec<&MetricResult> = metrics.iter().filter(|m| !m.muted).collect();
    // group scores
    let mut labels: BTreeMap<&str, Vec<Classification>> = BTreeMap::new();
    for metric in &scored {
        for group in &metric.groups {
            labels.entry(group).or_default().push(metric.classification);
        }
    }
    let configured_sum: f64 = config.group_weights.values().sum();
    let unweighted = labels
        .keys()
        .filter(|g| !config.group_weights.contains_key(**g))
        .count();
    let shared = if unweighted > 0 {
        (100.0 - configured_sum) / unweighted as f64
    } else {
        0.0
    };
    let groups: Vec<GroupScore> = labels
        .iter()
        .map(|(name, classes)| {
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for c in classes {
                *counts.entry(c.label().to_owned()).or_default() += 1;
            }
            let count = |label: &str| counts.get(label).copied().unwrap_or(0);
            let total = count("pass") + count("high") + count("low") + count("no_data_fail");
            let no_data = total == 0;
            GroupScore {
                name: (*name).to_owned(),
                score: if no_data {
                    0.0
                } else {
                    count("pass") as f64 / total as f64 * 100.0
                },
                no_data,
                weight: config.group_weights.get(*name).copied().unwrap_or(shared),
                counts,
            }
        })
        .collect();
    let summary = round_half_up_2(
        groups
            .iter()
            .map(|g| if g.no_data { 100.0 } else { g.score } * (g.weight / 100.0))
            .sum(),
    );

    let thresholds = config.thresholds;
    let by_score = || {
        let decision = if summary >= thresholds.pass {
            Decision::Pass
        } else if summary >= thresholds.marginal {
            Decision::Marginal
        } else {
            Decision::Fail
        };
        let reason = format!(
            "score {summary} against pass {} and marginal {}",
            thresholds.pass, thresholds.marginal
        );
        (decision, summary, VerdictRule::Score, reason)
    };
    let kayenta = config.missing_data == MissingDataPolicy::Kayenta;
    let critical_failure = scored
        .iter()
        .find(|m| m.decisive && m.classification.fails_when_critical(kayenta));
    let without_data = scored
        .iter()
        .filter(|m| m.classification.lacks_data())
        .count() as u64;
    let too_many =
        !scored.is_empty() && without_data as f64 / scored.len() as f64 * 100.0 >= NO_DATA_PERCENT;
    let (decision, score, rule, reason) = if let Some(m) = critical_failure {
        (
            Decision::Fail,
            0.0,
            VerdictRule::CriticalFailure {
                metric: m.name.clone(),
            },
            format!("Canary Failed: {}", m.reason),
        )
    } else if kayenta {
        if too_many {
            (
                Decision::Fail,
                0.0,
                VerdictRule::TooManyWithoutData {
                    without_data,
                    scored: scored.len() as u64,
                },
                format!(
                    "Canary Failed: {NO_DATA_PERCENT}% or more metrics returned NODATA ({without_data} of {})",
                    scored.len()
                ),
            )
        } else {
            by_score()
        }
    } else if let Some(m) = scored
        .iter()
        .find(|m| m.decisive && matches!(m.classification, Classification::Inconclusive { .. }))
    {
        (
            Decision::Inconclusive,
            summary,
            VerdictRule::CriticalInconclusive {
                metric: m.name.clone(),
            },
            format!("Canary inconclusive: critical metric {}", m.reason),
        )
    } else if scored.is_empty() {
        (
            Decision::Inconclusive,
            summary,
            VerdictRule::NoMetrics,
            "Canary inconclusive: no metric is scored".to_owned(),
        )
    } else if too_many {
        (
            Decision::Inconclusive,
            summary,
            VerdictRule::TooManyWithoutData {
                without_data,
                scored: scored.len() as u64,
            },
            format!(
                "Canary inconclusive: {without_data} of {} metrics lack data ({NO_DATA_PERCENT}% or more)",
                scored.len()
            ),
        )
    } else {
        by_score()
    };
    CanaryVerdict {
        schema_version: SCHEMA_VERSION,
        decision,
        score,
        thresholds,
        rule,
        reason,
        groups,
        metrics,
    }
}

impl CanaryVerdict {
    /// The verdict as one measurement for the rollout machine: Pass is Successful,
    /// Marginal and Inconclusive are Inconclusive (a human decides), Fail is Failed.
    pub fn measurement_phase(&self) -> MeasurementPhase {
        match self.decision {
            Decision::Pass => MeasurementPhase::Successful,
            Decision::Marginal | Decision::Inconclusive => MeasurementPhase::Inconclusive,
            Decision::Fail => MeasurementPhase::Failed,
        }
    }

    /// [`CanaryVerdict::measurement_phase`] with the verdict's reason, under `metric`.
    pub fn measurement(&self, metric: &str) -> Measurement {
        Measurement::new(metric, self.measurement_phase(), self.reason.clone())
    }
}

impl MetricResult {
    /// This metric's result as a measurement (for dry-run or per-metric analyses): Pass
    /// is Successful, High, Low and NoDataFail are Failed, NoData and Inconclusive are
    /// Inconclusive.
    pub fn measurement(&self) -> Measurement {
        let phase = match self.classification {
            Classification::Pass => MeasurementPhase::Successful,
            Classification::High | Classification::Low | Classification::NoDataFail => {
                MeasurementPhase::Failed
            }
            Classification::NoData | Classification::Inconclusive { .. } => {
                MeasurementPhase::Inconclusive
            }
        };
        Measurement::new(self.name.clone(), phase, self.reason.clone())
    }
}

impl Classification {
    /// Kayenta's critical-failure test is `critical && classification != Pass`; under our
    /// policy an inconclusive critical metric holds the verdict instead of failing it.
    fn fails_when_critical(self, kayenta: bool) -> bool {
        match self {
            Classification::Pass => false,
            Classification::Inconclusive { .. } => kayenta,
            _ => true,
        }
    }
}

/// Rounds half-up to two decimals on the shortest decimal form of `x`, as Apache Commons
/// Math's `Precision.round(x, 2)` (which rounds `new BigDecimal(Double.toString(x))`), so
/// that `66.665` becomes `66.67` although its binary value is slightly below.
pub fn round_half_up_2(x: f64) -> f64 {
    if !x.is_finite() || x.abs() >= 1e15 {
        return x;
    }
    let text = format!("{:e}", x.abs()); // shortest round-trip digits: d.ddddde±k
    let (mantissa, exponent) = text.split_once('e').expect("{:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("integer exponent");
    let digits: Vec<u8> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    // value = 0.d1 d2 d3 ... × 10^(exponent + 1); keep digits up to 10^-2
    let keep = exponent + 1 + 2; // digits before the cut
    if keep < 0 {
        return 0.0f64.copysign(x);
    }
    let keep = keep as usize;
    let mut kept: Vec<u8> = digits.iter().copied().take(keep).collect();
    kept.resize(keep, 0);
    let round_up = digits.get(keep).is_some_and(|&d| d >= 5);
    let mut integer: u128 = kept.iter().fold(0u128, |acc, &d| acc * 10 + u128::from(d));
    if round_up {
        integer += 1;
    }
    let value = integer as f64 / 100.0;
    value.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::EffectSizeConfig;

    fn samples<'a>(name: &'a str, baseline: &'a [f64], candidate: &'a [f64]) -> MetricInput<'a> {
        MetricInput {
            name,
            data: MetricData::Samples {
                baseline,
                candidate,
            },
        }
    }

    fn rate(name: &str, baseline: (u64, u64), candidate: (u64, u64)) -> MetricInput<'_> {
        MetricInput {
            name,
            data: MetricData::Rate {
                baseline: Proportion {
                    events: baseline.0,
                    trials: baseline.1,
                },
                candidate: Proportion {
                    events: candidate.0,
                    trials: candidate.1,
                },
            },
        }
    }

    fn config(metrics: Vec<MetricConfig>) -> JudgeConfig {
        JudgeConfig {
            metrics,
            ..JudgeConfig::default()
        }
    }

    fn kayenta(metrics: Vec<MetricConfig>) -> JudgeConfig {
        JudgeConfig {
            missing_data: MissingDataPolicy::Kayenta,
            ..config(metrics)
        }
    }

    fn one(config: &JudgeConfig, input: MetricInput<'_>) -> MetricResult {
        let verdict = judge(config, &[input]).expect("valid");
        verdict.metrics.into_iter().next().expect("one metric")
    }

    /// 1, 1, ... (10 times) then 2 (10 times): the baseline of the tie cases.
    fn steps(low: f64, high: f64) -> Vec<f64> {
        [vec![low; 10], vec![high; 10]].concat()
    }

    #[test]
    fn classifies_the_reference_cases_as_kayentas_rule() {
        // the reference script applies MannWhitneyClassifier's rule (direction either, mean
        // ratio limits 1.0, tolerance 0.25) to scipy's and Kayenta's numbers
        let reference = test_support::load_reference("scipy_canary.json");
        let mut labels = std::collections::BTreeSet::new();
        for case in reference["shift"].as_array().expect("shift cases") {
            let name = case["name"].as_str().expect("name");
            let x = test_support::numbers(&case["candidate"]);
            let y = test_support::numbers(&case["baseline"]);
            let mut m = MetricConfig::new("m");
            m.min_samples = Some(1);
            let result = one(&config(vec![m]), samples("m", &y, &x));
            let expected = case["kayenta_label"].as_str().expect("label");
            assert_eq!(result.classification.label(), expected, "{name}");
            labels.insert(expected);
        }
        assert_eq!(labels.len(), 3, "pass, high and low all occur: {labels:?}");
    }

    #[test]
    fn identical_samples_pass() {
        // MannWhitneyClassifier.classify: sorted sameElements -> Pass ("... data are identical")
        let c = config(vec![MetricConfig::new("m")]);
        let values: Vec<f64> = (0..20).map(f64::from).collect();
        let mut shuffled = values.clone();
        shuffled.reverse();
        let result = one(&c, samples("m", &values, &shuffled));
        assert_eq!(result.classification, Classification::Pass);
        assert_eq!(result.rule, MetricRule::Identical);
        assert_eq!(result.test, None);
    }

    #[test]
    fn one_single_value_passes() {
        // classify: union of both sides has one distinct value -> Pass
        let c = config(vec![MetricConfig::new("m")]);
        let result = one(&c, samples("m", &[5.0; 12], &[5.0; 15]));
        assert_eq!(result.classification, Classification::Pass);
        assert_eq!(result.rule, MetricRule::SingleValue);
    }

    #[test]
    fn different_constants_are_a_shift() {
        // Kayenta adds noise of scale 1e-5 x value to two constant sides: every pairwise
        // difference is then about 2 - 1 = 1, so the interval is about [1, 1], which clears
        // the tolerance 0.25 x 1, and the mean ratio 2 >= 1: High
        let c = config(vec![MetricConfig::new("m")]);
        let result = one(&c, samples("m", &[1.0; 20], &[2.0; 20]));
        assert_eq!(result.classification, Classification::High);
        assert_eq!(result.rule, MetricRule::ShiftAboveTolerance);
        assert_eq!(result.interval, Some([1.0, 1.0]));
        assert_eq!(result.mean_ratio, Some(2.0));
    }

    #[test]
    fn tied_samples_worked_by_hand() {
        // baseline ten 1s and ten 2s, candidate ten 2s and ten 3s. The 400 differences are
        // 0 (100 times), 1 (200) and 2 (100): the median is 1. Within-sample ties give
        // sigma^2 = 400/12 (41 - 3960/1560) = 1282.05. Lower end (zq = 2.3263): the least
        // count c with (c - 200.5)/sigma > zq is 284, the root the (400 - 284)th = 116th
        // smallest difference, 1; upper end (zq = -2.3263): c = 117, the 283rd, 1.
        // Interval [1, 1] clears 0.25 x 1; mean ratio 2.5/1.5 >= 1: High.
        let c = config(vec![MetricConfig::new("m")]);
        let (b, k) = (steps(1.0, 2.0), steps(2.0, 3.0));
        let result = one(&c, samples("m", &b, &k));
        assert_eq!(result.estimate, Some(1.0));
        assert_eq!(result.interval, Some([1.0, 1.0]));
        assert_eq!(result.classification, Classification::High);
        // the same data as a decrease (candidate and baseline swapped): Low
        let result = one(&c, samples("m", &k, &b));
        assert_eq!(result.interval, Some([-1.0, -1.0]));
        assert_eq!(result.classification, Classification::Low);
        assert_eq!(result.rule, MetricRule::ShiftBelowTolerance);
    }

    #[test]
    fn direction_and_effect_limits() {
        let (b, k) = (steps(1.0, 2.0), steps(2.0, 3.0));
        // compare(): isHigh needs direction increase or either
        let mut m = MetricConfig::new("m");
        m.direction = Direction::Decrease;
        let result = one(&config(vec![m]), samples("m", &b, &k));
        assert_eq!(result.classification, Classification::Pass);
        assert_eq!(result.rule, MetricRule::IgnoredDirection);
        // ... and effectSize >= allowedIncrease: 1.667 < 2 passes
        let mut m = MetricConfig::new("m");
        m.effect_size.allowed_increase = Some(2.0);
        let result = one(&config(vec![m]), samples("m", &b, &k));
        assert_eq!(result.classification, Classification::Pass);
        assert_eq!(result.rule, MetricRule::EffectWithinLimit);
        // CLES: every candidate value >= every baseline value, ties half: U/(nm) =
        // (300 + 100/2)/400 = 0.875 >= 0.5 (CLES's default limit): High
        let mut m = MetricConfig::new("m");
        m.effect_size = EffectSizeConfig {
            measure: EffectMeasure::Cles,
            ..EffectSizeConfig::default()
        };
        let result = one(&config(vec![m]), samples("m", &b, &k));
        assert_eq!(result.effect, Some(0.875));
        assert_eq!(result.classification, Classification::High);
    }

    #[test]
    fn a_mean_of_zero_ignores_the_effect() {
        // EffectSizes.meanRatio is NaN when a mean is 0, and compare() then ignores it
        let mut m = MetricConfig::new("m");
        m.effect_size.allowed_increase = Some(100.0);
        let zeros = [vec![-1.0; 10], vec![1.0; 10]].concat(); // mean 0
        let high = vec![5.0; 20];
        let result = one(&config(vec![m]), samples("m", &zeros, &high));
        assert_eq!(result.effect, None);
        assert_eq!(result.classification, Classification::High);
    }

    #[test]
    fn empty_sides_under_kayentas_rules() {
        let values = vec![1.0; 20];
        // Remove: Nodata, not critical
        let result = one(
            &kayenta(vec![MetricConfig::new("m")]),
            samples("m", &[], &values),
        );
        assert_eq!(result.classification, Classification::NoData);
        assert!(!result.decisive);
        // mustHaveData and not critical: NodataFailMetric
        let mut m = MetricConfig::new("m");
        m.must_have_data = true;
        let result = one(&kayenta(vec![m]), samples("m", &values, &[]));
        assert_eq!(result.classification, Classification::NoDataFail);
        // critical (with or without mustHaveData): Nodata with the critical flag
        let mut m = MetricConfig::new("m");
        m.critical = true;
        m.must_have_data = true;
        let verdict =
            judge(&kayenta(vec![m]), &[samples("m", &[f64::NAN], &values)]).expect("valid");
        assert_eq!(verdict.metrics[0].classification, Classification::NoData);
        assert!(verdict.metrics[0].decisive);
        // WeightedSumScorer.criticalFailures: critical and not Pass -> score 0
        assert_eq!(verdict.decision, Decision::Fail);
        assert_eq!(verdict.score, 0.0);
        assert_eq!(
            verdict.rule,
            VerdictRule::CriticalFailure { metric: "m".into() }
        );
        // Replace: Pass
        let mut m = MetricConfig::new("m");
        m.nan_strategy = NanStrategy::Replace;
        let result = one(&kayenta(vec![m]), samples("m", &[], &values));
        assert_eq!(result.classification, Classification::Pass);
        assert_eq!(result.rule, MetricRule::NoDataReplaced);
    }

    #[test]
    fn too_few_values_are_inconclusive_never_a_failure() {
        let mut m = MetricConfig::new("m");
        m.critical = true;
        let c = config(vec![m]);
        let verdict = judge(&c, &[samples("m", &[1.0, 2.0, 3.0, 4.0], &[9.0; 20])]).expect("valid");
        let result = &verdict.metrics[0];
        assert_eq!(
            result.classification,
            Classification::Inconclusive { needed: 6 }
        );
        assert_eq!(result.rule, MetricRule::TooFewSamples);
        assert_eq!(verdict.decision, Decision::Inconclusive);
        assert_eq!(
            verdict.rule,
            VerdictRule::CriticalInconclusive { metric: "m".into() }
        );
        // a metric missing from the input has no data at all
        let verdict = judge(&c, &[]).expect("valid");
        assert_eq!(
            verdict.metrics[0].classification,
            Classification::Inconclusive { needed: 10 }
        );
        // NaN values are removed first and counted
        let mut values = vec![1.0; 12];
        values[..5].fill(f64::NAN);
        let result = one(
            &config(vec![MetricConfig::new("m")]),
            samples("m", &values, &[1.0; 12]),
        );
        assert_eq!(result.non_finite_baseline, 5);
        assert_eq!(
            result.classification,
            Classification::Inconclusive { needed: 3 }
        );
    }

    fn labelled(name: &str, groups: &[&str]) -> MetricConfig {
        let mut m = MetricConfig::new(name);
        m.groups = groups.iter().map(|g| (*g).to_owned()).collect();
        m
    }

    #[test]
    fn group_weights_and_score() {
        // group a (weight 60): pass + high -> 50; group b (unweighted: 100 - 60 = 40):
        // pass, pass, and one without data (left out) -> 100; 50 x 0.6 + 100 x 0.4 = 70
        let mut c = config(vec![
            labelled("a1", &["a"]),
            labelled("a2", &["a"]),
            labelled("b1", &["b"]),
            labelled("b2", &["b"]),
            labelled("b3", &["b"]),
        ]);
        c.group_weights.insert("a".into(), 60.0);
        let same: Vec<f64> = (0..20).map(f64::from).collect();
        let (low, high) = (steps(1.0, 2.0), steps(2.0, 3.0));
        let inputs = [
            samples("a1", &same, &same),
            samples("a2", &low, &high),
            samples("b1", &same, &same),
            samples("b2", &low, &low),
            samples("b3", &[], &[]),
        ];
        let verdict = judge(&c, &inputs).expect("valid");
        assert_eq!(verdict.score, 70.0);
        assert_eq!(verdict.decision, Decision::Fail); // below marginal 75
        let b = &verdict.groups[1];
        assert_eq!((b.name.as_str(), b.score, b.weight), ("b", 100.0, 40.0));
        assert_eq!(b.counts.get("inconclusive"), Some(&1));
        c.thresholds.marginal = 70.0;
        assert_eq!(
            judge(&c, &inputs).expect("valid").decision,
            Decision::Marginal
        );
    }

    #[test]
    fn score_rounds_half_up_and_empty_groups_count_full() {
        // one group, 2 of 3 pass: 66.666... -> 66.67 (Precision.round(x, 2))
        let same: Vec<f64> = (0..20).map(f64::from).collect();
        let (low, high) = (steps(1.0, 2.0), steps(2.0, 3.0));
        let c = config(vec![
            labelled("x", &["g"]),
            labelled("y", &["g"]),
            labelled("z", &["g"]),
        ]);
        let inputs = [
            samples("x", &same, &same),
            samples("y", &same, &same),
            samples("z", &low, &high),
        ];
        assert_eq!(judge(&c, &inputs).expect("valid").score, 66.67);
        // a group whose metrics all lack data contributes 100 (calculateSummaryScore):
        // g (x high) 0, h (y pass) 100, k (z without data) 100, a third each: 66.67
        let c = config(vec![
            labelled("x", &["g"]),
            labelled("y", &["h"]),
            labelled("z", &["k"]),
        ]);
        let verdict =
            judge(&c, &[samples("x", &low, &high), samples("y", &same, &same)]).expect("valid");
        assert!(verdict.groups[2].no_data && !verdict.groups[1].no_data);
        assert_eq!(verdict.score, 66.67);
        assert_eq!(round_half_up_2(66.665), 66.67);
        assert_eq!(round_half_up_2(1.005), 1.01);
        assert_eq!(round_half_up_2(99.994), 99.99);
        assert_eq!(round_half_up_2(0.001), 0.0);
    }

    #[test]
    fn half_the_metrics_without_data() {
        let same: Vec<f64> = (0..20).map(f64::from).collect();
        let metrics = vec![MetricConfig::new("a"), MetricConfig::new("b")];
        let inputs = [samples("a", &same, &same), samples("b", &same, &[])];
        // tooManyNodata: 1 of 2 = 50% >= NODATA_THRESHOLD -> score 0, fail
        let verdict = judge(&kayenta(metrics.clone()), &inputs).expect("valid");
        assert_eq!((verdict.decision, verdict.score), (Decision::Fail, 0.0));
        // ours: inconclusive, with the score of the metrics that had data
        let verdict = judge(&config(metrics), &inputs).expect("valid");
        assert_eq!(
            (verdict.decision, verdict.score),
            (Decision::Inconclusive, 100.0)
        );
        assert_eq!(
            verdict.rule,
            VerdictRule::TooManyWithoutData {
                without_data: 1,
                scored: 2
            }
        );
    }

    #[test]
    fn critical_limits_and_muted_metrics() {
        let (low, high) = (steps(1.0, 2.0), steps(2.0, 3.0));
        let same: Vec<f64> = (0..20).map(f64::from).collect();
        // High with effect 1.667 below criticalIncrease 2: a plain High, not decisive
        let mut m = MetricConfig::new("m");
        m.critical = true;
        m.effect_size.critical_increase = Some(2.0);
        let result = one(&config(vec![m.clone()]), samples("m", &low, &high));
        assert_eq!(
            (result.classification, result.decisive),
            (Classification::High, false)
        );
        // at the limit it fails the canary
        m.effect_size.critical_increase = Some(1.5);
        let verdict = judge(
            &config(vec![m.clone(), MetricConfig::new("ok")]),
            &[samples("m", &low, &high), samples("ok", &same, &same)],
        )
        .expect("valid");
        assert_eq!(
            verdict.rule,
            VerdictRule::CriticalFailure { metric: "m".into() }
        );
        assert!(
            verdict
                .reason
                .starts_with("Canary Failed: The metric m was classified as High (Critical)")
        );
        // muted: reported, not scored, not even when critical
        m.muted = true;
        let verdict = judge(
            &config(vec![m, MetricConfig::new("ok")]),
            &[samples("m", &low, &high), samples("ok", &same, &same)],
        )
        .expect("valid");
        assert_eq!(verdict.metrics[0].classification, Classification::High);
        assert_eq!((verdict.decision, verdict.score), (Decision::Pass, 100.0));
    }

    #[test]
    fn rates_are_tested_as_rates() {
        let mut m = MetricConfig::new("errors");
        m.kind = MetricKind::Rate;
        m.direction = Direction::Increase;
        let c = config(vec![m]);
        // 5% against 1% of 1000: z-test, p far below 0.02, ratio 5: High
        let result = one(&c, rate("errors", (10, 1000), (50, 1000)));
        assert_eq!(result.classification, Classification::High);
        assert_eq!(result.rule, MetricRule::RateHigher);
        assert_eq!(result.effect, Some(5.0));
        assert!(matches!(
            result.test,
            Some(TestDetails::Rate { rate }) if rate.method == crate::proportion::RateTestMethod::TwoProportionZ
        ));
        // the same rates from 100 requests a side: Fisher's test, not significant
        let result = one(&c, rate("errors", (1, 100), (5, 100)));
        assert_eq!(result.classification, Classification::Pass);
        assert_eq!(result.rule, MetricRule::RateNotSignificant);
        // a drop in errors is ignored for direction = increase
        let result = one(&c, rate("errors", (50, 1000), (10, 1000)));
        assert_eq!(result.rule, MetricRule::IgnoredDirection);
        // too few requests: inconclusive with the requests still needed
        let result = one(&c, rate("errors", (0, 40), (3, 1000)));
        assert_eq!(
            result.classification,
            Classification::Inconclusive { needed: 60 }
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        let mut m = MetricConfig::new("errors");
        m.kind = MetricKind::Rate;
        let c = config(vec![m]);
        assert!(matches!(
            judge(&c, &[rate("errors", (5, 4), (0, 10))]),
            Err(CanaryError::EventsExceedTrials { .. })
        ));
        assert!(matches!(
            judge(&c, &[samples("errors", &[1.0], &[1.0])]),
            Err(CanaryError::KindMismatch { .. })
        ));
        assert!(matches!(
            judge(&c, &[rate("other", (0, 1), (0, 1))]),
            Err(CanaryError::UnknownMetric { .. })
        ));
        assert!(matches!(
            judge(
                &c,
                &[
                    rate("errors", (0, 1), (0, 1)),
                    rate("errors", (0, 1), (0, 1))
                ]
            ),
            Err(CanaryError::DuplicateMetric { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_values(
            baseline in proptest::collection::vec(proptest::num::f64::ANY, 0..40),
            candidate in proptest::collection::vec(proptest::num::f64::ANY, 0..40),
            replace in proptest::bool::ANY,
        ) {
            let mut m = MetricConfig::new("m");
            m.min_samples = Some(2);
            if replace {
                m.nan_strategy = NanStrategy::Replace;
            }
            let verdict = judge(&config(vec![m]), &[samples("m", &baseline, &candidate)]).expect("valid");
            proptest::prop_assert!((0.0..=100.0).contains(&verdict.score));
        }
    }

    #[test]
    fn verdict_serializes_with_labels_and_rules() {
        let (low, high) = (steps(1.0, 2.0), steps(2.0, 3.0));
        let c = config(vec![MetricConfig::new("m"), MetricConfig::new("few")]);
        let verdict = judge(
            &c,
            &[samples("m", &low, &high), samples("few", &[1.0], &[2.0])],
        )
        .expect("valid");
        let json = serde_json::to_value(&verdict).expect("serializable");
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["metrics"][0]["classification"]["label"], "high");
        assert_eq!(json["metrics"][0]["rule"], "shift_above_tolerance");
        assert_eq!(json["metrics"][0]["test"]["test"], "mann_whitney");
        assert_eq!(json["metrics"][0]["interval"][0], 1.0);
        assert_eq!(json["metrics"][1]["classification"]["needed"], 9);
        let back: CanaryVerdict = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, verdict);
        // for the rollout machine: too little data holds, a High fails
        assert_eq!(verdict.decision, Decision::Inconclusive);
        assert_eq!(
            verdict.measurement("canary").phase,
            MeasurementPhase::Inconclusive
        );
        assert_eq!(
            verdict.metrics[0].measurement().phase,
            MeasurementPhase::Failed
        );
        assert_eq!(
            verdict.metrics[1].measurement().phase,
            MeasurementPhase::Inconclusive
        );
    }
}
