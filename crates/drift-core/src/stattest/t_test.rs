//! Two-sample t-test with pooled variance, as scipy.stats.ttest_ind.
//!
//! Matches `scipy.stats.ttest_ind(x, y)` with its defaults (`equal_var=True`,
//! `alternative="two-sided"`, scipy 1.17.1): Student's t with the pooled variance and
//! `n + m - 2` degrees of freedom. evidently's `t_test` returns this p-value as is.

use crate::error::TestError;
use crate::special::student_t_sf;

/// Statistic and p-value of [`t_test_ind`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TTestResult {
    /// `t = (mean(x) - mean(y)) / sqrt(s_p² (1/n + 1/m))`; ±inf or NaN on constant samples
    /// (see [`t_test_ind`]).
    pub statistic: f64,
    /// Two-sided p-value `2 · P(T_{n+m-2} > |t|)`.
    pub p_value: f64,
}

/// Mean of `values - shift` and sum of squared deviations from the mean of one sample.
///
/// Corrected two-pass algorithm: the mean is refined by the mean residual, and the
/// squared deviations are corrected by the square of the residual sum (Chan, Golub &
/// LeVeque). Working on `values - shift`, with the same `shift` for both samples, keeps
/// the difference of the means accurate when both sit on a large common offset. A
/// constant sample gets `value - shift` as its mean and a sum of squares of exactly zero.
fn shifted_mean_and_sum_of_squares(values: &[f64], shift: f64) -> (f64, f64) {
    let first = values[0];
    #[allow(clippy::float_cmp)] // exact: only a truly constant sample takes this path
    let constant = values.iter().all(|&v| v == first);
    if constant {
        return (first - shift, 0.0);
    }
    let n = values.len() as f64;
    let rough = values.iter().map(|&v| v - shift).sum::<f64>() / n;
    let residual: f64 = values.iter().map(|&v| (v - shift) - rough).sum();
    let mean = rough + residual / n;
    let (mut squares, mut sum) = (0.0, 0.0);
    for &v in values {
        let d = (v - shift) - mean;
        squares += d * d;
        sum += d;
    }
    (mean, (squares - sum * sum / n).max(0.0))
}

/// Student's two-sample t-test with pooled variance, as `scipy.stats.ttest_ind(x, y)`.
///
/// `s_p² = (Σ(x - x̄)² + Σ(y - ȳ)²) / (n + m - 2)`, `t = (x̄ - ȳ) / sqrt(s_p² (1/n + 1/m))`,
/// p-value `2 · stdtr(n + m - 2, -|t|)`. Inputs need not be sorted. Means and sums of
/// squares come from a corrected two-pass algorithm on values shifted by `x[0]`; on data
/// with a large common offset this is more accurate than scipy's plain two-pass
/// (`offset_1e6` in the reference cases: scipy is 1.3e-10 off the exact rational `t`).
///
/// Constant samples are a legitimate input for which scipy returns non-finite values, and
/// so does this function: two constant samples with different values give `t = ±inf`,
/// p-value 0; with the same value `t = 0/0`, statistic and p-value NaN (as scipy for
/// exactly representable values; scipy's own mean of, say, seven copies of 0.1 is off by
/// an ulp, which makes it report a finite `t` there, an artefact this function avoids).
///
/// # Errors
/// [`TestError::TooFewValues`] when a side is empty (scipy returns NaN) or when both sides
/// hold a single value, leaving zero degrees of freedom (scipy returns NaN).
pub fn t_test_ind(x: &[f64], y: &[f64]) -> Result<TTestResult, TestError> {
    TestError::require_per_side(x.len(), y.len(), 1)?;
    if x.len() == 1 && y.len() == 1 {
        return Err(TestError::TooFewValues {
            need: 2,
            side: "reference",
            got: 1,
        });
    }
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    // a value of the data as the common shift: differences of nearby values are exact,
    // and a constant sample's shifted mean is exactly 0 or exactly its distance to x[0]
    let shift = x[0];
    let (mean1, ss1) = shifted_mean_and_sum_of_squares(x, shift);
    let (mean2, ss2) = shifted_mean_and_sum_of_squares(y, shift);
    let df = n1 + n2 - 2.0;
    let pooled_variance = (ss1 + ss2) / df;
    let denom = (pooled_variance * (1.0 / n1 + 1.0 / n2)).sqrt();
    let statistic = (mean1 - mean2) / denom;
    let p_value = 2.0 * student_t_sf(statistic.abs(), df);
    Ok(TTestResult { statistic, p_value })
}

#[cfg(test)]
mod tests {
    use super::*;

    use test_support::{assert_close, load_reference, number, numbers, relative_difference};

    #[test]
    #[allow(clippy::print_stderr)] // reports the measured agreement with scipy (--nocapture)
    fn matches_scipy_ttest_ind() {
        let reference = load_reference("scipy_rank_tests.json");
        let (mut worst_stat, mut worst_p, mut worst_exact) = (0.0f64, 0.0f64, 0.0f64);
        for case in reference["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let (x, y) = (numbers(&case["x"]), numbers(&case["y"]));
            let expected = &case["ttest"];
            let (stat, p) = (number(&expected["statistic"]), number(&expected["p_value"]));
            if x.len() == 1 && y.len() == 1 {
                assert!(
                    stat.is_nan() && p.is_nan(),
                    "{name}: scipy gives NaN on 1 v 1"
                );
                assert_eq!(
                    t_test_ind(&x, &y),
                    Err(TestError::TooFewValues {
                        need: 2,
                        side: "reference",
                        got: 1
                    })
                );
                continue;
            }
            let result = t_test_ind(&x, &y).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_close(
                result.statistic,
                stat,
                1e-9,
                0.0,
                &format!("{name} statistic"),
            );
            assert_close(result.p_value, p, 1e-6, 1e-12, &format!("{name} p-value"));
            if let Some(exact) = expected["statistic_exact"].as_f64() {
                // the rational-arithmetic t: tighter than scipy's own agreement with it
                assert_close(
                    result.statistic,
                    exact,
                    1e-12,
                    1e-15,
                    &format!("{name} exact statistic"),
                );
                worst_exact = worst_exact.max(relative_difference(result.statistic, exact));
            }
            if stat.is_finite() {
                worst_stat = worst_stat.max(relative_difference(result.statistic, stat));
            }
            if p.is_finite() {
                worst_p = worst_p.max(relative_difference(result.p_value, p));
            }
        }
        eprintln!(
            "t-test worst relative difference: statistic {worst_stat:e}, p-value {worst_p:e}; \
             statistic against the exact t {worst_exact:e}"
        );
    }

    #[test]
    fn order_does_not_matter_and_empty_sides_are_errors() {
        let a = t_test_ind(&[3.0, 1.0, 2.0], &[5.0, 4.0]).expect("valid");
        let b = t_test_ind(&[1.0, 2.0, 3.0], &[4.0, 5.0]).expect("valid");
        assert_close(a.statistic, b.statistic, 1e-15, 0.0, "statistic");
        assert_eq!(
            t_test_ind(&[], &[1.0]),
            Err(TestError::TooFewValues {
                need: 1,
                side: "reference",
                got: 0
            })
        );
        assert_eq!(
            t_test_ind(&[1.0], &[]),
            Err(TestError::TooFewValues {
                need: 1,
                side: "current",
                got: 0
            })
        );
    }

    #[test]
    fn constant_samples() {
        // scipy: ttest_ind([0.1] * 3, [0.1] * 3) -> (0.0, 1.0) only by luck of rounding;
        // equal constants are 0/0 here, as scipy gives for exactly representable values.
        let same = t_test_ind(&[0.1; 7], &[0.1; 10]).expect("valid");
        assert!(same.statistic.is_nan() && same.p_value.is_nan());
        let diff = t_test_ind(&[0.1; 7], &[0.3; 10]).expect("valid");
        assert!(diff.statistic.is_infinite() && diff.statistic < 0.0);
        assert_close(diff.p_value, 0.0, 0.0, 0.0, "p-value");
    }

    /// Finite values of every magnitude, mixed with small integers for ties.
    fn finite_values(
        len: std::ops::Range<usize>,
    ) -> impl proptest::strategy::Strategy<Value = Vec<f64>> {
        use proptest::prelude::*;
        let value = prop_oneof![
            prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
            (-3i32..4).prop_map(f64::from),
            (-1e3f64..1e3),
        ];
        prop::collection::vec(value, len)
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_finite_input(x in finite_values(0..30), y in finite_values(0..30)) {
            if let Ok(result) = t_test_ind(&x, &y) {
                proptest::prop_assert!(result.p_value.is_nan() || (0.0..=1.0).contains(&result.p_value));
            }
        }
    }
}
