//! Special functions and distribution tails shared by the tests, matched to scipy.special.
//!
//! Thin, documented wrappers so that every test asks for a tail the same way and the
//! accuracy of each is stated in one place. `statrs` supplies the incomplete gamma and beta
//! functions (relative error near 1e-14 in the ranges the tests use); the rest is here.

use statrs::function::{beta, erf, gamma};

/// Standard normal survival function `P(Z > x)`, as `scipy.special.ndtr(-x)`.
///
/// Computed through `erfc` so that the far tail keeps its relative precision.
pub fn norm_sf(x: f64) -> f64 {
    0.5 * erf::erfc(x / std::f64::consts::SQRT_2)
}

/// Standard normal distribution function `P(Z <= x)`, as `scipy.special.ndtr(x)`.
pub fn norm_cdf(x: f64) -> f64 {
    norm_sf(-x)
}

/// Chi-square survival function with `df` degrees of freedom, as `scipy.stats.chi2.sf`.
///
/// `Q(df / 2, x / 2)`, the regularized upper incomplete gamma function. Returns 1 for
/// `x <= 0` and NaN for a non-positive `df`.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if df.is_nan() || df <= 0.0 || x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    gamma::gamma_ur(df / 2.0, x / 2.0)
}

/// Student's t survival function `P(T > t)` with `df` degrees of freedom, as
/// `scipy.stats.t.sf`: `I_{df/(df+t^2)}(df/2, 1/2) / 2` for `t > 0`, mirrored below zero.
pub fn student_t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 0.0 } else { 1.0 };
    }
    let x = df / (df + t * t);
    let tail = 0.5 * beta::beta_reg(df / 2.0, 0.5, x);
    if t > 0.0 { tail } else { 1.0 - tail }
}

/// Natural logarithm of the gamma function for positive `x`, as `scipy.special.gammaln`.
pub fn ln_gamma(x: f64) -> f64 {
    gamma::ln_gamma(x)
}

/// `ln(n choose k)` through `ln_gamma`, for `k <= n`.
pub fn ln_binomial(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Agreement with scipy itself is checked in `tests/reference.rs` through every test
    // that uses these tails; here only identities that need no reference values.
    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn tails_are_complementary() {
        for &x in &[-3.0, -0.5, 0.0, 0.7, 2.5] {
            assert!(close(norm_sf(x) + norm_cdf(x), 1.0, 1e-15));
            assert!(close(student_t_sf(x, 7.0) + student_t_sf(-x, 7.0), 1.0, 1e-14));
        }
        assert!(close(chi2_sf(0.0, 3.0), 1.0, 0.0));
    }
}
