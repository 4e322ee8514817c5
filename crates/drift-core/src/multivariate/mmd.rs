//! Maximum mean discrepancy (MMD) with a Gaussian RBF kernel, as alibi-detect's `MMDDrift`.
//!
//! The statistic is the unbiased MMD² estimate
//! `Σ_{i≠j} k(x_i, x_j) / (n(n-1)) + Σ_{i≠j} k(y_i, y_j) / (m(m-1)) - 2 Σ_{i,j} k(x_i, y_j) / (nm)`
//! with `k(a, b) = exp(-‖a - b‖² / (2σ²))`. The bandwidth σ is alibi-detect's median
//! heuristic on the reference (see [`median_bandwidth`]) unless given. The p-value is the
//! share of permuted statistics at least as large as the observed one (no `+1`, as
//! alibi-detect), from seeded permutations of the pooled rows.
//!
//! Kernel sums are formed one pooled row at a time, so memory is O((n + m) · P) for `P`
//! permutations (their index lists), never (n + m)². The exact method costs
//! O((n + m)² · d) for the kernel plus O(P · (n + m) · n) gathered additions for the
//! permutations, all in one pass. [`MmdMethod::RandomFeatures`] replaces the kernel with `D`
//! random Fourier features (Rahimi and Recht): O((n + m) · D · (d + P)) time and
//! O((n + m) · P + D · d) memory.

use std::f64::consts::PI;

use super::{Matrix, MultivariateError};
use crate::rng::SeededRng;

/// How the MMD statistic is computed.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MmdMethod {
    /// The exact unbiased estimate, kernel sums computed row by row.
    Exact,
    /// The unbiased estimate under the random-Fourier-features kernel
    /// `k(a, b) ≈ z(a)·z(b)` with `features` features; linear in the number of rows.
    RandomFeatures {
        /// The number of random features `D` (the approximation error shrinks as 1/√D).
        features: usize,
    },
}

/// Settings of [`mmd_drift`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MmdOptions {
    /// The kernel bandwidth σ; `None` takes [`median_bandwidth`] of the reference.
    pub bandwidth: Option<f64>,
    /// The number of permutations for the p-value (alibi-detect's default: 100).
    pub n_permutations: usize,
    /// The seed of the permutations (and of the random features and bandwidth subsample).
    pub seed: u64,
    /// Exact or approximate.
    pub method: MmdMethod,
    /// The median heuristic uses at most this many reference rows (a seeded subsample
    /// beyond it), bounding its memory to `rows²/2` distances. Default 2000.
    pub max_bandwidth_rows: usize,
}

impl Default for MmdOptions {
    fn default() -> Self {
        MmdOptions {
            bandwidth: None,
            n_permutations: 100,
            seed: 0,
            method: MmdMethod::Exact,
            max_bandwidth_rows: 2000,
        }
    }
}

/// The outcome of [`mmd_drift`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MmdResult {
    /// The unbiased MMD² estimate (can be slightly negative when nothing drifted).
    pub statistic: f64,
    /// The share of permuted statistics `>=` the observed one.
    pub p_value: f64,
    /// The kernel bandwidth σ used.
    pub bandwidth: f64,
    /// The number of permutations behind the p-value.
    pub n_permutations: usize,
    /// How the statistic was computed.
    pub method: MmdMethod,
}

/// alibi-detect's median heuristic on the reference: `σ = sqrt(0.5 · median)` of the
/// squared pairwise distances between distinct rows.
///
/// alibi-detect sorts all `n²` squared distances of the reference with itself (the `n`
/// zeros of the diagonal included) and takes the element at index `n + (n² - n) / 2`;
/// that is the element at index `⌊N/2⌋` of the sorted `N = n(n-1)/2` distinct-pair
/// distances, which this function selects directly. With more than `max_rows` rows a
/// seeded subsample of `max_rows` rows is used.
pub fn median_bandwidth(
    reference: &Matrix,
    max_rows: usize,
    seed: u64,
) -> Result<f64, MultivariateError> {
    let n_all = reference.rows();
    if n_all < 2 {
        return Err(MultivariateError::TooFewRows {
            what: "the median bandwidth (reference)",
            needed: 2,
            got: n_all,
        });
    }
    let mut rows: Vec<usize> = (0..n_all).collect();
    if n_all > max_rows.max(2) {
        let k = max_rows.max(2);
        SeededRng::new(seed ^ 0x6d6d_645f_6277).choose_front(&mut rows, k);
        rows.truncate(k);
        rows.sort_unstable();
    }
    let n = rows.len();
    let mut distances = Vec::with_capacity(n * (n - 1) / 2);
    for (a, &i) in rows.iter().enumerate() {
        for &j in &rows[a + 1..] {
            distances.push(squared_distance(reference.row(i), reference.row(j)));
        }
    }
    let half = distances.len() / 2;
    let (_, median, _) = distances.select_nth_unstable_by(half, f64::total_cmp);
    let sigma = (0.5 * *median).sqrt();
    if sigma > 0.0 {
        Ok(sigma)
    } else {
        Err(MultivariateError::ZeroBandwidth)
    }
}

/// The exact unbiased MMD² of `reference` and `current` under the Gaussian kernel of
/// bandwidth `sigma`, with no permutations.
pub fn mmd2_unbiased(
    reference: &Matrix,
    current: &Matrix,
    sigma: f64,
) -> Result<f64, MultivariateError> {
    check(reference, current)?;
    let pooled = Pooled::new(reference, current);
    Ok(exact(&pooled, sigma, &[])[0])
}

/// Tests whether `current` drifted from `reference` with MMD² and a permutation p-value.
///
/// The first statistic is the observed one; the `n_permutations` others come from
/// seeded random splits of the pooled rows into sets of the original sizes.
pub fn mmd_drift(
    reference: &Matrix,
    current: &Matrix,
    options: &MmdOptions,
) -> Result<MmdResult, MultivariateError> {
    check(reference, current)?;
    let sigma = match options.bandwidth {
        Some(sigma) => sigma,
        None => median_bandwidth(reference, options.max_bandwidth_rows, options.seed)?,
    };
    let pooled = Pooled::new(reference, current);
    let mut rng = SeededRng::new(options.seed);
    let permutations: Vec<Vec<u32>> = (0..options.n_permutations)
        .map(|_| {
            let mut order: Vec<u32> = (0..pooled.total() as u32).collect();
            rng.choose_front(&mut order, pooled.n);
            order.truncate(pooled.n);
            order
        })
        .collect();
    let statistics = match options.method {
        MmdMethod::Exact => exact(&pooled, sigma, &permutations),
        MmdMethod::RandomFeatures { features } => {
            random_features(&pooled, sigma, features.max(1), &mut rng, &permutations)
        }
    };
    let observed = statistics[0];
    let at_least = statistics[1..].iter().filter(|&&s| s >= observed).count();
    let p_value = if options.n_permutations == 0 {
        f64::NAN
    } else {
        at_least as f64 / options.n_permutations as f64
    };
    Ok(MmdResult {
        statistic: observed,
        p_value,
        bandwidth: sigma,
        n_permutations: options.n_permutations,
        method: options.method,
    })
}

fn check(reference: &Matrix, current: &Matrix) -> Result<(), MultivariateError> {
    if reference.cols() != current.cols() {
        return Err(MultivariateError::ColumnMismatch {
            reference: reference.cols(),
            current: current.cols(),
        });
    }
    for (what, rows) in [
        ("MMD (reference)", reference.rows()),
        ("MMD (current)", current.rows()),
    ] {
        if rows < 2 {
            return Err(MultivariateError::TooFewRows {
                what,
                needed: 2,
                got: rows,
            });
        }
    }
    Ok(())
}

/// The reference rows followed by the current rows.
struct Pooled<'a> {
    reference: &'a Matrix,
    current: &'a Matrix,
    n: usize,
    m: usize,
}

impl<'a> Pooled<'a> {
    fn new(reference: &'a Matrix, current: &'a Matrix) -> Self {
        Pooled {
            reference,
            current,
            n: reference.rows(),
            m: current.rows(),
        }
    }

    fn total(&self) -> usize {
        self.n + self.m
    }

    fn row(&self, i: usize) -> &'a [f64] {
        if i < self.n {
            self.reference.row(i)
        } else {
            self.current.row(i - self.n)
        }
    }

    /// MMD² from the sum of kernel values within the first set (`xx`, ordered pairs,
    /// `i ≠ j`), within the second (`yy`) and across (`xy`, each pair once).
    fn combine(&self, xx: f64, yy: f64, xy: f64) -> f64 {
        let (n, m) = (self.n as f64, self.m as f64);
        xx / (n * (n - 1.0)) + yy / (m * (m - 1.0)) - 2.0 * xy / (n * m)
    }
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The observed statistic followed by one per permutation (each given as the pooled
/// indices of its first set), from one pass over the kernel's rows.
fn exact(pooled: &Pooled<'_>, sigma: f64, permutations: &[Vec<u32>]) -> Vec<f64> {
    let total = pooled.total();
    let gamma = 1.0 / (2.0 * sigma * sigma);
    let membership: Vec<Vec<bool>> = permutations
        .iter()
        .map(|first| {
            let mut member = vec![false; total];
            for &j in first {
                member[j as usize] = true;
            }
            member
        })
        .collect();
    // (xx, yy, xy) for the observed split, then for each permutation
    let mut sums = vec![[0.0_f64; 3]; permutations.len() + 1];
    let mut kernel_row = vec![0.0_f64; total];
    for i in 0..total {
        let row = pooled.row(i);
        for (j, k) in kernel_row.iter_mut().enumerate() {
            *k = if j == i {
                0.0
            } else {
                (-gamma * squared_distance(row, pooled.row(j))).exp()
            };
        }
        let row_total: f64 = kernel_row.iter().sum();
        let to_first: f64 = kernel_row[..pooled.n].iter().sum();
        accumulate(&mut sums[0], i < pooled.n, row_total, to_first);
        for ((first, member), sum) in permutations.iter().zip(&membership).zip(&mut sums[1..]) {
            let to_first: f64 = first.iter().map(|&j| kernel_row[j as usize]).sum();
            accumulate(sum, member[i], row_total, to_first);
        }
    }
    sums.iter()
        .map(|&[xx, yy, xy]| pooled.combine(xx, yy, xy))
        .collect()
}

fn accumulate(sum: &mut [f64; 3], in_first: bool, row_total: f64, to_first: f64) {
    if in_first {
        sum[0] += to_first;
        sum[2] += row_total - to_first;
    } else {
        sum[1] += row_total - to_first;
    }
}

/// A standard normal deviate (Box–Muller).
fn normal(rng: &mut SeededRng) -> f64 {
    let u = 1.0 - rng.uniform();
    let v = rng.uniform();
    (-2.0 * u.ln()).sqrt() * (2.0 * PI * v).cos()
}

/// The statistics of [`exact`] under the random-Fourier-features kernel.
fn random_features(
    pooled: &Pooled<'_>,
    sigma: f64,
    features: usize,
    rng: &mut SeededRng,
    permutations: &[Vec<u32>],
) -> Vec<f64> {
    let d = pooled.reference.cols();
    let weights: Vec<f64> = (0..features * d).map(|_| normal(rng) / sigma).collect();
    let offsets: Vec<f64> = (0..features).map(|_| 2.0 * PI * rng.uniform()).collect();
    let scale = (2.0 / features as f64).sqrt();
    let total = pooled.total();
    // z(x) for every pooled row: (n + m) · D values
    let mut embedded = vec![0.0_f64; total * features];
    let mut norms = vec![0.0_f64; total];
    for i in 0..total {
        let row = pooled.row(i);
        let out = &mut embedded[i * features..(i + 1) * features];
        for (k, z) in out.iter_mut().enumerate() {
            let w = &weights[k * d..(k + 1) * d];
            let dot: f64 = w.iter().zip(row).map(|(a, b)| a * b).sum();
            *z = scale * (dot + offsets[k]).cos();
        }
        norms[i] = out.iter().map(|z| z * z).sum();
    }
    let all_sum = column_sums(&embedded, features, 0..total);
    let all_norms: f64 = norms.iter().sum();
    let statistic = |first_sum: &[f64], first_norms: f64| {
        let second: Vec<f64> = all_sum.iter().zip(first_sum).map(|(a, b)| a - b).collect();
        let dot = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(x, y)| x * y).sum() };
        let xx = dot(first_sum, first_sum) - first_norms;
        let yy = dot(&second, &second) - (all_norms - first_norms);
        let xy = dot(first_sum, &second);
        pooled.combine(xx, yy, xy)
    };
    let mut statistics = Vec::with_capacity(permutations.len() + 1);
    let observed = column_sums(&embedded, features, 0..pooled.n);
    statistics.push(statistic(&observed, norms[..pooled.n].iter().sum()));
    for first in permutations {
        let sum = column_sums(&embedded, features, first.iter().map(|&j| j as usize));
        let first_norms: f64 = first.iter().map(|&j| norms[j as usize]).sum();
        statistics.push(statistic(&sum, first_norms));
    }
    statistics
}

fn column_sums(embedded: &[f64], features: usize, rows: impl Iterator<Item = usize>) -> Vec<f64> {
    let mut sum = vec![0.0_f64; features];
    for i in rows {
        for (s, z) in sum
            .iter_mut()
            .zip(&embedded[i * features..(i + 1) * features])
        {
            *s += z;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: usize, cols: usize, seed: u64, shift: f64) -> Matrix {
        let mut rng = SeededRng::new(seed);
        let values = (0..rows * cols).map(|_| normal(&mut rng) + shift).collect();
        Matrix::new(values, rows, cols).unwrap()
    }

    /// The O(n²)-memory textbook formula, for comparison.
    fn naive(x: &Matrix, y: &Matrix, sigma: f64) -> f64 {
        let k = |a: &[f64], b: &[f64]| (-squared_distance(a, b) / (2.0 * sigma * sigma)).exp();
        let (n, m) = (x.rows(), y.rows());
        let mut xx = 0.0;
        let mut yy = 0.0;
        let mut xy = 0.0;
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    xx += k(x.row(i), x.row(j));
                }
            }
            for j in 0..m {
                xy += k(x.row(i), y.row(j));
            }
        }
        for i in 0..m {
            for j in 0..m {
                if i != j {
                    yy += k(y.row(i), y.row(j));
                }
            }
        }
        let (n, m) = (n as f64, m as f64);
        xx / (n * (n - 1.0)) + yy / (m * (m - 1.0)) - 2.0 * xy / (n * m)
    }

    #[test]
    fn row_by_row_sums_equal_the_textbook_formula() {
        let x = matrix(40, 3, 1, 0.0);
        let y = matrix(30, 3, 2, 0.5);
        let got = mmd2_unbiased(&x, &y, 1.3).unwrap();
        let want = naive(&x, &y, 1.3);
        assert!((got - want).abs() <= 1e-12 * want.abs(), "{got} vs {want}");
    }

    #[test]
    fn a_shift_is_detected_and_identical_samples_are_not() {
        let x = matrix(80, 4, 3, 0.0);
        let y = matrix(80, 4, 4, 1.0);
        let drift = mmd_drift(&x, &y, &MmdOptions::default()).unwrap();
        assert_eq!(drift.p_value, 0.0);
        let same = mmd_drift(&x, &x, &MmdOptions::default()).unwrap();
        assert!(same.p_value > 0.5, "{same:?}");
    }

    #[test]
    fn random_features_approach_the_exact_statistic() {
        let x = matrix(150, 3, 5, 0.0);
        let y = matrix(150, 3, 6, 0.7);
        let options = MmdOptions {
            n_permutations: 0,
            ..MmdOptions::default()
        };
        let exact = mmd_drift(&x, &y, &options).unwrap();
        let approx = mmd_drift(
            &x,
            &y,
            &MmdOptions {
                method: MmdMethod::RandomFeatures { features: 4000 },
                ..options
            },
        )
        .unwrap();
        let error = (approx.statistic - exact.statistic).abs();
        assert!(error < 0.02, "{} vs {}", approx.statistic, exact.statistic);
    }

    #[test]
    fn mismatched_columns_are_refused() {
        let x = matrix(5, 3, 1, 0.0);
        let y = matrix(5, 2, 1, 0.0);
        assert!(matches!(
            mmd_drift(&x, &y, &MmdOptions::default()),
            Err(MultivariateError::ColumnMismatch { .. })
        ));
    }
}
