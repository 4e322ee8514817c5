//! Tests and intervals for proportions: rate metrics, agreement rates, McNemar's test.
//!
//! Each function names the statsmodels or scipy call it matches; the reference script
//! `reference/scripts/scipy_canary.py` computes the expected values with them.

use drift_core::special::{chi2_sf, ln_binomial, norm_sf};
use drift_core::stattest::fisher::fisher_exact_2x2;

use crate::normal::norm_ppf;

/// A count of events among trials: errors among requests, correct answers among
/// labelled predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Proportion {
    /// Events counted (at most `trials`).
    pub events: u64,
    /// Trials counted.
    pub trials: u64,
}

impl Proportion {
    /// `events / trials`; NaN when there are no trials.
    pub fn rate(self) -> f64 {
        if self.trials == 0 {
            f64::NAN
        } else {
            self.events as f64 / self.trials as f64
        }
    }
}

/// Wilson's score interval for a proportion at `confidence`, as
/// `statsmodels.stats.proportion.proportion_confint(count, nobs, alpha, method="wilson")`:
/// centre `(p + z²/2n) / (1 + z²/n)`, half-width `z/(1 + z²/n) · sqrt(p(1-p)/n + z²/4n²)`,
/// `z = Φ⁻¹(1 - α/2)`. `(NaN, NaN)` without trials.
pub fn wilson_interval(p: Proportion, confidence: f64) -> (f64, f64) {
    if p.trials == 0 {
        return (f64::NAN, f64::NAN);
    }
    let z = norm_ppf(1.0 - (1.0 - confidence) / 2.0);
    let n = p.trials as f64;
    let rate = p.rate();
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (rate + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (rate * (1.0 - rate) / n + z2 / (4.0 * n * n)).sqrt();
    (centre - half, centre + half)
}

/// Newcombe's hybrid score interval (his method 10) for the difference of two
/// proportions `a - b`, as statsmodels'
/// `confint_proportions_2indep(a.events, a.trials, b.events, b.trials, method="newcomb",
/// compare="diff")`: from the Wilson intervals `(l₁, u₁)` of `a` and `(l₂, u₂)` of `b`,
/// `d - sqrt((p₁ - l₁)² + (u₂ - p₂)²)` and `d + sqrt((u₁ - p₁)² + (p₂ - l₂)²)`.
pub fn newcombe_difference_interval(a: Proportion, b: Proportion, confidence: f64) -> (f64, f64) {
    let (p1, p2) = (a.rate(), b.rate());
    let (l1, u1) = wilson_interval(a, confidence);
    let (l2, u2) = wilson_interval(b, confidence);
    let d = p1 - p2;
    (
        d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt(),
        d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt(),
    )
}

/// How two rates were compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateTestMethod {
    /// The pooled two-proportion z-test, as
    /// `statsmodels.stats.proportion.proportions_ztest([a, b], [n_a, n_b])`.
    TwoProportionZ,
    /// Fisher's exact test on the 2x2 table, as `scipy.stats.fisher_exact` (two-sided).
    FisherExact,
}

/// A comparison of a candidate's rate with a baseline's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RateTest {
    /// The test used (see [`compare_rates`] for the rule).
    pub method: RateTestMethod,
    /// The z statistic of the two-proportion test (None for Fisher's test).
    pub z: Option<f64>,
    /// The two-sided p-value of the test of equal rates.
    pub p_value: f64,
    /// The baseline's rate.
    pub rate_baseline: f64,
    /// The candidate's rate.
    pub rate_candidate: f64,
    /// `rate_candidate - rate_baseline`.
    pub difference: f64,
    /// Lower end of Newcombe's interval for the difference.
    pub lower: f64,
    /// Upper end of Newcombe's interval for the difference.
    pub upper: f64,
    /// The interval's confidence level.
    pub confidence: f64,
}

/// The smallest expected count in every cell for which the z-test is used (Cochran's rule
/// of thumb for the normal approximation to a 2x2 table).
pub const MIN_EXPECTED_FOR_Z: f64 = 5.0;

/// Compares a candidate's rate with a baseline's, both with at least one trial.
///
/// Under equal rates the expected counts are the pooled rate times each side's trials
/// (events) and its complement (non-events). When all four are at least
/// [`MIN_EXPECTED_FOR_Z`], the pooled two-proportion z-test
/// `z = (p_c - p_b) / sqrt(p(1 - p)(1/n_c + 1/n_b))`, `p = 2Φ(-|z|)`; otherwise Fisher's
/// exact test, which holds at any count (a handful of errors among a few hundred
/// requests is the usual case for a young canary).
pub fn compare_rates(baseline: Proportion, candidate: Proportion, confidence: f64) -> RateTest {
    let (nb, nc) = (baseline.trials as f64, candidate.trials as f64);
    let pooled = (baseline.events + candidate.events) as f64 / (nb + nc);
    let min_expected = [nb, nc]
        .iter()
        .flat_map(|&n| [n * pooled, n * (1.0 - pooled)])
        .fold(f64::INFINITY, f64::min);
    let (rate_baseline, rate_candidate) = (baseline.rate(), candidate.rate());
    let (method, z, p_value) = if min_expected >= MIN_EXPECTED_FOR_Z {
        let se = (pooled * (1.0 - pooled) * (1.0 / nc + 1.0 / nb)).sqrt();
        let z = (rate_candidate - rate_baseline) / se;
        (
            RateTestMethod::TwoProportionZ,
            Some(z),
            (2.0 * norm_sf(z.abs())).min(1.0),
        )
    } else {
        let table = [
            [candidate.events, candidate.trials - candidate.events],
            [baseline.events, baseline.trials - baseline.events],
        ];
        (
            RateTestMethod::FisherExact,
            None,
            fisher_exact_2x2(table).p_value,
        )
    };
    let (lower, upper) = newcombe_difference_interval(candidate, baseline, confidence);
    RateTest {
        method,
        z,
        p_value,
        rate_baseline,
        rate_candidate,
        difference: rate_candidate - rate_baseline,
        lower,
        upper,
        confidence,
    }
}

/// How McNemar's test was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McNemarMethod {
    /// The exact binomial test of the discordant counts against `Binomial(b + c, 1/2)`.
    ExactBinomial,
    /// The chi-square approximation with Edwards' continuity correction.
    ChiSquareCorrected,
}

/// McNemar's test of two classifiers on the same labelled requests.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct McNemarTest {
    /// Requests the live model got right and the shadow got wrong.
    pub live_only_correct: u64,
    /// Requests the shadow model got right and the live got wrong.
    pub shadow_only_correct: u64,
    /// How the p-value was computed.
    pub method: McNemarMethod,
    /// `min(b, c)` for the exact test, `(|b - c| - 1)² / (b + c)` for the chi-square.
    pub statistic: f64,
    /// Two-sided p-value; 1 when there is no discordant pair.
    pub p_value: f64,
}

/// Discordant pairs below which McNemar's test is exact (the usual rule: the chi-square
/// approximation wants `b + c >= 25`).
pub const MCNEMAR_EXACT_BELOW: u64 = 25;

/// McNemar's test from the discordant counts `b` (live right, shadow wrong) and `c`
/// (shadow right, live wrong).
///
/// Below [`MCNEMAR_EXACT_BELOW`] discordant pairs, the exact binomial test, as
/// `statsmodels.stats.contingency_tables.mcnemar(table, exact=True)`:
/// `p = min(1, 2·P(X <= min(b, c)))`, `X ~ Binomial(b + c, 1/2)`. From there on, as
/// `mcnemar(table, exact=False, correction=True)`: `(|b - c| - 1)² / (b + c)` against
/// chi-square with one degree of freedom.
pub fn mcnemar(b: u64, c: u64) -> McNemarTest {
    let n = b + c;
    let (method, statistic, p_value) = if n < MCNEMAR_EXACT_BELOW {
        let k = b.min(c);
        let p = if n == 0 {
            1.0
        } else {
            // P(X <= k) for X ~ Binomial(n, 1/2), summed term by term (n < 25)
            let ln_half_n = n as f64 * std::f64::consts::LN_2;
            (0..=k)
                .map(|i| (ln_binomial(n as f64, i as f64) - ln_half_n).exp())
                .sum::<f64>()
        };
        (McNemarMethod::ExactBinomial, k as f64, (2.0 * p).min(1.0))
    } else {
        let diff = (b as f64 - c as f64).abs() - 1.0;
        let statistic = diff * diff / n as f64;
        (
            McNemarMethod::ChiSquareCorrected,
            statistic,
            chi2_sf(statistic, 1.0),
        )
    };
    McNemarTest {
        live_only_correct: b,
        shadow_only_correct: c,
        method,
        statistic,
        p_value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use test_support::{assert_close, load_reference, number};

    fn count(v: &serde_json::Value) -> u64 {
        v.as_u64().expect("count")
    }

    #[test]
    fn rates_match_statsmodels_and_scipy() {
        let reference = load_reference("scipy_canary.json");
        let cases = reference["rates"].as_array().expect("rate cases");
        for case in cases {
            let name = case["name"].as_str().expect("name");
            let baseline = Proportion {
                events: count(&case["baseline"][0]),
                trials: count(&case["baseline"][1]),
            };
            let candidate = Proportion {
                events: count(&case["candidate"][0]),
                trials: count(&case["candidate"][1]),
            };
            let test = compare_rates(baseline, candidate, 0.98);
            let expected_method = match case["method"].as_str().expect("method") {
                "z" => RateTestMethod::TwoProportionZ,
                _ => RateTestMethod::FisherExact,
            };
            assert_eq!(test.method, expected_method, "{name}");
            if let Some(z) = test.z {
                assert_close(z, number(&case["z"]), 1e-12, 1e-14, &format!("{name}: z"));
            }
            assert_close(
                test.p_value,
                number(&case["p_value"]),
                1e-9,
                1e-15,
                &format!("{name}: p"),
            );
            assert_close(
                test.lower,
                number(&case["newcombe"][0]),
                1e-12,
                1e-14,
                &format!("{name}: lower"),
            );
            assert_close(
                test.upper,
                number(&case["newcombe"][1]),
                1e-12,
                1e-14,
                &format!("{name}: upper"),
            );
        }
    }

    #[test]
    fn wilson_matches_statsmodels() {
        let reference = load_reference("scipy_canary.json");
        for case in reference["wilson"].as_array().expect("wilson cases") {
            let p = Proportion {
                events: count(&case["events"]),
                trials: count(&case["trials"]),
            };
            let confidence = number(&case["confidence"]);
            let (lo, hi) = wilson_interval(p, confidence);
            let what = format!("wilson {p:?} at {confidence}");
            assert_close(lo, number(&case["interval"][0]), 1e-12, 1e-15, &what);
            assert_close(hi, number(&case["interval"][1]), 1e-12, 1e-15, &what);
        }
        assert!(
            wilson_interval(
                Proportion {
                    events: 0,
                    trials: 0
                },
                0.95
            )
            .0
            .is_nan()
        );
    }

    #[test]
    fn mcnemar_matches_statsmodels() {
        let reference = load_reference("scipy_canary.json");
        for case in reference["mcnemar"].as_array().expect("mcnemar cases") {
            let (b, c) = (count(&case["b"]), count(&case["c"]));
            let test = mcnemar(b, c);
            let exact = case["exact"].as_bool().expect("exact");
            assert_eq!(
                test.method == McNemarMethod::ExactBinomial,
                exact,
                "b={b} c={c}"
            );
            let what = format!("mcnemar b={b} c={c}");
            assert_close(
                test.statistic,
                number(&case["statistic"]),
                1e-12,
                0.0,
                &what,
            );
            assert_close(test.p_value, number(&case["p_value"]), 1e-10, 1e-15, &what);
        }
        assert_eq!(mcnemar(0, 0).p_value, 1.0);
    }
}
