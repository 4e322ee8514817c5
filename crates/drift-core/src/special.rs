//! Special functions and distribution tails shared by the tests, matched to scipy.special.
//!
//! Documented wrappers so that every test asks for a tail the same way and the accuracy
//! of each is stated in one place. `statrs` supplies the incomplete gamma and beta
//! functions (relative error near 1e-14 in the ranges the tests use). The complementary
//! error function is our own: statrs 0.19's `erfc` carries ~1e-10 relative error (its
//! constants are single-precision literals), which would show in every normal tail.

use statrs::function::{beta, gamma};

/// Standard normal survival function `P(Z > x)`, as `scipy.special.ndtr(-x)`.
///
/// Computed through [`erfc`] so that the far tail keeps its relative precision.
pub fn norm_sf(x: f64) -> f64 {
    // x · (1/√2), as scipy's ndtr, so both round the argument alike
    0.5 * erfc(x * std::f64::consts::FRAC_1_SQRT_2)
}

/// Complementary error function `erfc(x) = 2/√π ∫_x^∞ exp(-t²) dt`, relative error about
/// 1e-14 everywhere it does not underflow.
///
/// Below 2: `1 - erf(x)` with the positive-term series
/// `erf(x) = 2x/√π · exp(-x²) Σ (2x²)ⁿ / (1·3···(2n+1))` (no cancellation inside the sum);
/// from 2 on: the continued fraction `exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))`
/// evaluated by the modified Lentz method. Negative arguments use `erfc(-x) = 2 - erfc(x)`.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x > 27.3 {
        return 0.0; // below the smallest subnormal
    }
    let two_over_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
    if x < 2.0 {
        let x2 = x * x;
        let (mut term, mut sum) = (1.0f64, 1.0f64);
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * x2 / (2.0 * n + 1.0);
            sum += term;
        }
        return 1.0 - two_over_sqrt_pi * x * (-x2).exp() * sum;
    }
    // continued fraction b0 + a1/(b1 + a2/(b2 + ...)) with b_k = x, a_k = k/2
    let tiny = 1e-300;
    let mut f = x;
    let (mut c, mut d) = (x, 0.0);
    for k in 1..500 {
        let a = f64::from(k) / 2.0;
        d = x + a * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = x + a / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    0.5 * two_over_sqrt_pi * exp_minus_square(x) / f
}

/// `exp(-x²)` without the error of rounding `x²` first: `x = m + f` with `m` a multiple of
/// 1/128 (so `m²` is exact), `exp(-x²) = exp(-m²) · exp(-(2m + f) f)`.
fn exp_minus_square(x: f64) -> f64 {
    let m = (x * 128.0).round() / 128.0;
    let f = x - m;
    (-(m * m)).exp() * (-((2.0 * m + f) * f)).exp()
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

    use test_support::{assert_close, load_reference};

    fn rows(name: &str) -> Vec<Vec<f64>> {
        load_reference("scipy_special.json")[name]
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| {
                row.as_array()
                    .expect("row")
                    .iter()
                    .map(|v| v.as_f64().expect("number"))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn norm_sf_matches_scipy_ndtr() {
        for row in rows("norm_sf") {
            assert_close(
                norm_sf(row[0]),
                row[1],
                1e-13,
                1e-300,
                &format!("norm_sf({})", row[0]),
            );
        }
    }

    #[test]
    fn chi2_and_t_tails_match_scipy() {
        for row in rows("chi2_sf") {
            assert_close(
                chi2_sf(row[0], row[1]),
                row[2],
                1e-12,
                1e-300,
                &format!("chi2_sf({}, {})", row[0], row[1]),
            );
        }
        for row in rows("student_t_sf") {
            assert_close(
                student_t_sf(row[0], row[1]),
                row[2],
                1e-11,
                1e-300,
                &format!("t_sf({}, {})", row[0], row[1]),
            );
        }
    }
    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn tails_are_complementary() {
        for &x in &[-3.0, -0.5, 0.0, 0.7, 2.5] {
            assert!(close(norm_sf(x) + norm_cdf(x), 1.0, 1e-15));
            assert!(close(
                student_t_sf(x, 7.0) + student_t_sf(-x, 7.0),
                1.0,
                1e-14
            ));
        }
        assert!(close(chi2_sf(0.0, 3.0), 1.0, 0.0));
    }
}
