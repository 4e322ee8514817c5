//! Maximum mean discrepancy (MMD) with a Gaussian RBF kernel, as alibi-detect's `MMDDrift`.
//!
//! The statistic is the unbiased MMD² estimate
//! `Σ_{i≠j} k(x_i, x_j) / (n(n-1)) + Σ_{i≠j} k(y_i, y_j) / (m(m-1)) - 2 Σ_{i,j} k(x_i, y_j) / (nm)`
//! with `k(a, b) = exp(-‖a - b‖² / (2σ²))`. The bandwidth σ is alibi-detect's median
//! heuristic on the reference (see [`median_bandwidth`]) unless given. The p-value is the
//! share of permuted statistics at least as large as the observed one (no `+1`, as
//! alibi-detect), from seeded permutations of the pooled rows.
//!
//! Cost. With `z` the 0/1 membership of a split's first set (the observed split or a
//! permutation) and `K` the kernel matrix with a zero diagonal, every statistic needs only
//! `zᵀKz`, `zᵀK1` and `1ᵀK1`: `xx = zᵀKz`, `xy = zᵀK1 − zᵀKz`, `yy = 1ᵀK1 − 2zᵀK1 + zᵀKz`.
//! The exact method forms `K` in 256 × 256 blocks on and above the diagonal (squared
//! distances `‖a‖² + ‖b‖² − 2a·b` by a GEMM, clamped at 0, then `exp`) and multiplies each
//! block by the memberships of its columns with a second GEMM: time O(N² · (d + P)) for
//! `N = n + m` rows and `P` permutations, memory O(N · (d + P)) (a copy of the rows and one
//! byte per row and split) plus one block per thread, never N². [`MmdMethod::RandomFeatures`]
//! replaces the kernel with `D` random Fourier features (Rahimi and Recht), embedded 256 rows
//! at a time and summed per split by a GEMM: time O(N · D · (d + P)), memory O(N · (d + P))
//! plus O(P · D) per thread, never N · D. Both cut their work into tasks by a partition fixed
//! by the data's size and fold the tasks' sums in task order, so the result is bit-identical
//! for any [`MmdOptions::threads`]. Measured on 2 shared cores with 100 permutations and 20
//! columns (`cargo xtask bench multivariate`, `BENCHMARKS.md`): exact, 10k rows per side, about
//! 3 s and 21 MiB; random features (D = 500), 100k rows per side, about 3 s and 100 MiB.

use std::f64::consts::PI;

use super::kernel::{Features, KernelSums, Rows, Splits, exact_sums, feature_sums};
use super::{Matrix, MultivariateError};
use crate::rng::SeededRng;

/// How the MMD statistic is computed.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MmdMethod {
    /// The exact unbiased estimate, kernel sums computed block by block.
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
    /// Threads for the kernel sums; 0 (the default) takes
    /// [`std::thread::available_parallelism`]. The result is bit-identical for any count.
    #[serde(default)]
    pub threads: usize,
}

impl Default for MmdOptions {
    fn default() -> Self {
        MmdOptions {
            bandwidth: None,
            n_permutations: 100,
            seed: 0,
            method: MmdMethod::Exact,
            max_bandwidth_rows: 2000,
            threads: 0,
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
    let splits = pooled.splits(0);
    Ok(exact(&pooled, sigma, &splits, 0)[0])
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
    let mut splits = pooled.splits(options.n_permutations);
    let mut order: Vec<usize> = Vec::with_capacity(pooled.total());
    for permutation in 1..=options.n_permutations {
        order.clear();
        order.extend(0..pooled.total());
        rng.choose_front(&mut order, pooled.n);
        splits.mark(permutation, order[..pooled.n].iter().copied());
    }
    let statistics = match options.method {
        MmdMethod::Exact => exact(&pooled, sigma, &splits, options.threads),
        MmdMethod::RandomFeatures { features } => random_features(
            &pooled,
            sigma,
            features.max(1),
            &mut rng,
            &splits,
            options.threads,
        ),
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

/// The reference rows followed by the current rows, in one row-major buffer.
struct Pooled {
    values: Vec<f64>,
    cols: usize,
    n: usize,
    m: usize,
}

impl Pooled {
    fn new(reference: &Matrix, current: &Matrix) -> Self {
        let mut values = Vec::with_capacity(reference.values().len() + current.values().len());
        values.extend_from_slice(reference.values());
        values.extend_from_slice(current.values());
        Pooled {
            values,
            cols: reference.cols(),
            n: reference.rows(),
            m: current.rows(),
        }
    }

    fn total(&self) -> usize {
        self.n + self.m
    }

    fn rows(&self) -> Rows<'_> {
        Rows {
            values: &self.values,
            cols: self.cols,
            total: self.total(),
        }
    }

    /// The observed split (the reference rows first) and `permutations` empty ones.
    fn splits(&self, permutations: usize) -> Splits {
        let mut splits = Splits::new(self.total(), permutations + 1);
        splits.mark(0, 0..self.n);
        splits
    }

    /// Each split's MMD² from its kernel sums: `xx = zᵀKz` (ordered pairs within the first
    /// set), `xy = zᵀK1 − zᵀKz` (each cross pair once), `yy = 1ᵀK1 − 2zᵀK1 + zᵀKz`.
    fn statistics(&self, sums: &KernelSums) -> Vec<f64> {
        let (n, m) = (self.n as f64, self.m as f64);
        sums.within_first
            .iter()
            .zip(&sums.first_to_all)
            .map(|(&xx, &first_to_all)| {
                let xy = first_to_all - xx;
                let yy = sums.total - 2.0 * first_to_all + xx;
                xx / (n * (n - 1.0)) + yy / (m * (m - 1.0)) - 2.0 * xy / (n * m)
            })
            .collect()
    }
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The statistic of every split (the observed one first) under the exact kernel.
fn exact(pooled: &Pooled, sigma: f64, splits: &Splits, threads: usize) -> Vec<f64> {
    let gamma = 1.0 / (2.0 * sigma * sigma);
    pooled.statistics(&exact_sums(&pooled.rows(), gamma, splits, resolve(threads)))
}

/// `threads`, or the machine's parallelism for 0.
fn resolve(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    } else {
        threads
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
    pooled: &Pooled,
    sigma: f64,
    features: usize,
    rng: &mut SeededRng,
    splits: &Splits,
    threads: usize,
) -> Vec<f64> {
    let weights: Vec<f64> = (0..features * pooled.cols)
        .map(|_| normal(rng) / sigma)
        .collect();
    let offsets: Vec<f64> = (0..features).map(|_| 2.0 * PI * rng.uniform()).collect();
    let features = Features {
        weights: &weights,
        offsets: &offsets,
        scale: (2.0 / features as f64).sqrt(),
    };
    pooled.statistics(&feature_sums(
        &pooled.rows(),
        &features,
        splits,
        resolve(threads),
    ))
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
    fn every_thread_count_gives_the_same_bits() {
        // 700 pooled rows: three kernel blocks, so two and three threads really split work
        let x = matrix(400, 3, 7, 0.0);
        let y = matrix(300, 3, 8, 0.2);
        for method in [MmdMethod::Exact, MmdMethod::RandomFeatures { features: 64 }] {
            let run = |threads| {
                let options = MmdOptions {
                    n_permutations: 20,
                    method,
                    threads,
                    ..MmdOptions::default()
                };
                mmd_drift(&x, &y, &options).unwrap()
            };
            let one = run(1);
            for threads in [2, 3, 0] {
                let other = run(threads);
                assert_eq!(
                    other.statistic.to_bits(),
                    one.statistic.to_bits(),
                    "{method:?}, {threads} threads"
                );
                assert_eq!(other, one, "{method:?}, {threads} threads");
            }
        }
    }

    #[test]
    fn rows_without_columns_are_all_alike() {
        // every distance is 0, so every kernel value is 1 and every statistic 0
        let x = Matrix::new(Vec::new(), 5, 0).unwrap();
        let y = Matrix::new(Vec::new(), 4, 0).unwrap();
        let options = MmdOptions {
            bandwidth: Some(1.0),
            ..MmdOptions::default()
        };
        let result = mmd_drift(&x, &y, &options).unwrap();
        assert!(result.statistic.abs() < 1e-15, "{result:?}");
        assert_eq!(result.p_value, 1.0);
        assert_eq!(mmd2_unbiased(&x, &y, 1.0).unwrap(), naive(&x, &y, 1.0));
        let features = MmdOptions {
            method: MmdMethod::RandomFeatures { features: 16 },
            ..options
        };
        let approx = mmd_drift(&x, &y, &features).unwrap();
        assert!(approx.statistic.abs() < 1e-12, "{approx:?}");
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
