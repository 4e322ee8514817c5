//! Frequency tests: evidently's `chisquare`, `g_test` and `z`.

use super::frequencies::Frequencies;
use crate::special::{chi2_sf, norm_cdf};

/// A statistic with its p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrequencyTestResult {
    /// The test statistic (chi-square, G or z).
    pub statistic: f64,
    /// Its p-value; NaN where scipy's is (a single category: zero degrees of freedom).
    pub p_value: f64,
}

/// evidently's `chisquare`: Pearson's goodness-of-fit of the current counts against the
/// reference proportions scaled to the current size.
///
/// `f_exp = reference_count * n_current / n_reference`, statistic `Σ (obs - exp)² / exp`,
/// p-value `chi2.sf(statistic, k - 1)` as `scipy.stats.chisquare(f_obs, f_exp)`. A value
/// absent from the reference has `exp = 0`, an infinite statistic and p-value 0.
pub fn chisquare(freq: &Frequencies) -> FrequencyTestResult {
    let k_norm = freq.n_current() as f64 / freq.n_reference() as f64;
    let statistic: f64 = freq
        .reference
        .iter()
        .zip(&freq.current)
        .map(|(&r, &c)| {
            let expected = r as f64 * k_norm;
            let diff = c as f64 - expected;
            diff * diff / expected
        })
        .sum();
    FrequencyTestResult {
        statistic,
        p_value: chi2_sf_or_nan(statistic, freq.keys.len()),
    }
}

/// evidently's `g_test`: the log-likelihood-ratio goodness-of-fit test,
/// `G = 2 Σ obs ln(obs / exp)`, p-value `chi2.sf(G, k - 1)`, as
/// `scipy.stats.power_divergence(f_obs, f_exp, lambda_="log-likelihood")`.
///
/// evidently passes the raw reference counts as `f_exp`, which scipy rejects unless both
/// sides have the same size. We scale them to the current size as `chisquare` does: for
/// equal sizes the scale is exactly 1 and the result is evidently's; for unequal sizes it
/// is the G-test evidently meant, where evidently raises an error.
pub fn g_test(freq: &Frequencies) -> FrequencyTestResult {
    let k_norm = freq.n_current() as f64 / freq.n_reference() as f64;
    let statistic: f64 = freq
        .reference
        .iter()
        .zip(&freq.current)
        .map(|(&r, &c)| {
            let (observed, expected) = (c as f64, r as f64 * k_norm);
            // xlogy: 0 · ln(0 / e) is 0
            if observed == 0.0 {
                0.0
            } else {
                2.0 * observed * (observed / expected).ln()
            }
        })
        .sum();
    FrequencyTestResult {
        statistic,
        p_value: chi2_sf_or_nan(statistic, freq.keys.len()),
    }
}

fn chi2_sf_or_nan(statistic: f64, n_keys: usize) -> f64 {
    if n_keys < 2 {
        // scipy's chi2 with zero degrees of freedom is undefined: NaN
        return f64::NAN;
    }
    chi2_sf(statistic, (n_keys - 1) as f64)
}

/// evidently's `z`: the pooled two-proportion z-test of "first value" against "the rest".
///
/// The first key in ascending order is coded 0 and every other value 1; then
/// `z = (p1 - p2) / sqrt(P (1 - P) (1/n1 + 1/n2))` with the pooled share `P`, and the
/// two-sided p-value `2 (1 - Φ(|z|))`. Both sides holding one and the same value give
/// p-value 1, as in evidently.
pub fn z_test(freq: &Frequencies) -> FrequencyTestResult {
    let (n1, n2) = (freq.n_reference() as f64, freq.n_current() as f64);
    if freq.keys.len() == 1 {
        return FrequencyTestResult {
            statistic: 0.0,
            p_value: 1.0,
        };
    }
    // share of values that are not the first key
    let p1 = (n1 - freq.reference[0] as f64) / n1;
    let p2 = (n2 - freq.current[0] as f64) / n2;
    let pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    let z = (p1 - p2) / (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    FrequencyTestResult {
        statistic: z,
        p_value: 2.0 * norm_cdf(-z.abs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::CategoricalSample;

    fn freq(reference: &[&str], current: &[&str]) -> Frequencies {
        Frequencies::of_categorical(
            &CategoricalSample::from_labels(reference.iter().map(Some)),
            &CategoricalSample::from_labels(current.iter().map(Some)),
        )
    }

    #[test]
    fn identical_samples_have_p_value_one() {
        let f = freq(&["a", "b", "b"], &["a", "b", "b"]);
        assert_eq!(chisquare(&f).statistic, 0.0);
        assert!((chisquare(&f).p_value - 1.0).abs() < 1e-15);
        assert!((g_test(&f).p_value - 1.0).abs() < 1e-15);
        assert!((z_test(&f).p_value - 1.0).abs() < 1e-15);
    }

    #[test]
    fn unseen_category_is_certain_drift_for_chisquare() {
        let f = freq(&["a", "b"], &["a", "c"]);
        assert_eq!(chisquare(&f).p_value, 0.0);
        assert_eq!(g_test(&f).p_value, 0.0);
    }
}
