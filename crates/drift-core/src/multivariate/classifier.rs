//! Domain-classifier drift: can a logistic regression tell the current rows from the
//! reference rows?
//!
//! The pooled rows are labelled 0 (reference) and 1 (current) and split into `k` folds by
//! position (pooled row `i` goes to fold `i mod k`; deterministic, and roughly stratified
//! since the reference rows come first). For each fold an L2-regularised logistic
//! regression (scikit-learn's objective with `C`: `½‖w‖² + C Σ log-loss`, intercept not
//! penalised) is fitted by Newton's method on the other folds and scores the held-out rows.
//! The out-of-fold scores give the AUC (0.5: indistinguishable) and a p-value: the one-sided
//! Kolmogorov–Smirnov test between the scores of reference and of current rows, as
//! alibi-detect's `ClassifierDrift` (`ks_2samp(probs_ref, probs_cur, alternative='greater')`):
//! only a classifier that gives the current rows *higher* scores is evidence of drift; one
//! that does worse than chance is not. Feature importance is `|w_j|` of a fit on all rows, on
//! columns the caller standardised (for example with [`super::Encoder`]).
//!
//! Cost O(iterations · n · d²) per fold, memory O(n + d²).

use super::{Matrix, MultivariateError};
use crate::stattest::ks_one_sided::{OneSided, ks_2samp_one_sided};

/// Settings of [`classifier_drift`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassifierOptions {
    /// The number of folds (default 5).
    pub folds: usize,
    /// scikit-learn's inverse regularisation strength `C` (default 1).
    pub c: f64,
    /// The largest number of Newton steps per fit (default 100).
    pub max_iterations: usize,
}

impl Default for ClassifierOptions {
    fn default() -> Self {
        ClassifierOptions {
            folds: 5,
            c: 1.0,
            max_iterations: 100,
        }
    }
}

/// The outcome of [`classifier_drift`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassifierResult {
    /// The out-of-fold AUC of telling current rows from reference rows.
    pub auc: f64,
    /// The one-sided KS p-value of the out-of-fold scores, alibi-detect's: small when the
    /// current rows score higher than the reference rows (`D+ = max (F_reference -
    /// F_current)`, scipy's `alternative='greater'`).
    pub p_value: f64,
    /// `|coefficient|` of each column in a fit on all rows (larger: drives the shift more).
    pub importance: Vec<f64>,
    /// The out-of-fold probability of "current" for every pooled row (reference first).
    pub scores: Vec<f64>,
}

/// A fitted logistic regression: `coefficients[..d]` and the intercept last.
fn fit(rows: &[&[f64]], labels: &[f64], c: f64, max_iterations: usize) -> Vec<f64> {
    let d = rows.first().map_or(0, |r| r.len());
    let p = d + 1;
    let mut w = vec![0.0; p];
    for _ in 0..max_iterations {
        // gradient and Hessian of ½‖w[..d]‖² + C Σ log-loss
        let mut gradient: Vec<f64> = w[..d].iter().copied().chain([0.0]).collect();
        let mut hessian = vec![vec![0.0; p]; p];
        for (a, row) in hessian.iter_mut().enumerate().take(d) {
            row[a] = 1.0;
        }
        for (x, &y) in rows.iter().zip(labels) {
            let z: f64 = x.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + w[d];
            let prob = 1.0 / (1.0 + (-z).exp());
            let weight = c * prob * (1.0 - prob);
            let residual = c * (prob - y);
            for a in 0..p {
                let xa = if a < d { x[a] } else { 1.0 };
                gradient[a] += residual * xa;
                for (b, h) in hessian[a].iter_mut().enumerate() {
                    let xb = if b < d { x[b] } else { 1.0 };
                    *h += weight * xa * xb;
                }
            }
        }
        let step = solve(hessian, gradient);
        let size: f64 = step.iter().map(|s| s.abs()).fold(0.0, f64::max);
        w.iter_mut().zip(&step).for_each(|(w, s)| *w -= s);
        if size < 1e-12 {
            break;
        }
    }
    w
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        let head = a[col].clone();
        if head[col] == 0.0 {
            continue;
        }
        for row in col + 1..n {
            let factor = a[row][col] / head[col];
            for (x, h) in a[row].iter_mut().zip(&head).skip(col) {
                *x -= factor * h;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = if a[row][row] == 0.0 {
            0.0
        } else {
            (b[row] - tail) / a[row][row]
        };
    }
    x
}

/// The AUC of `scores` for `labels` (1 positive), ties counted one half (Mann–Whitney).
fn auc(scores: &[f64], labels: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += order[i..=j].iter().map(|&k| labels[k]).sum::<f64>() * rank;
        i = j + 1;
    }
    let positives: f64 = labels.iter().sum();
    let negatives = labels.len() as f64 - positives;
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

/// alibi-detect's p-value of out-of-fold scores (reference rows first, `n_reference` of
/// them): the one-sided KS test `ks_2samp(reference_scores, current_scores,
/// alternative='greater')`, small only when the current rows score higher.
fn higher_scores_p_value(scores: &[f64], n_reference: usize) -> f64 {
    let mut reference_scores = scores[..n_reference].to_vec();
    let mut current_scores = scores[n_reference..].to_vec();
    reference_scores.sort_by(f64::total_cmp);
    current_scores.sort_by(f64::total_cmp);
    ks_2samp_one_sided(&reference_scores, &current_scores, OneSided::Greater).p_value
}

/// Trains a logistic regression to tell `current` from `reference` and reports its
/// out-of-fold AUC, alibi-detect's one-sided KS p-value of the out-of-fold scores and
/// per-column importance.
///
/// # Errors
/// [`MultivariateError::ColumnMismatch`] when the sides have different column counts, and
/// [`MultivariateError::TooFewRows`] when a side has fewer rows than folds.
pub fn classifier_drift(
    reference: &Matrix,
    current: &Matrix,
    options: &ClassifierOptions,
) -> Result<ClassifierResult, MultivariateError> {
    if reference.cols() != current.cols() {
        return Err(MultivariateError::ColumnMismatch {
            reference: reference.cols(),
            current: current.cols(),
        });
    }
    let folds = options.folds.max(2);
    for (what, rows) in [
        ("the classifier (reference)", reference.rows()),
        ("the classifier (current)", current.rows()),
    ] {
        if rows < folds {
            return Err(MultivariateError::TooFewRows {
                what,
                needed: folds,
                got: rows,
            });
        }
    }
    let rows: Vec<&[f64]> = (0..reference.rows())
        .map(|i| reference.row(i))
        .chain((0..current.rows()).map(|i| current.row(i)))
        .collect();
    let labels: Vec<f64> = (0..rows.len())
        .map(|i| if i < reference.rows() { 0.0 } else { 1.0 })
        .collect();
    let mut scores = vec![0.0; rows.len()];
    for fold in 0..folds {
        let (train, train_labels): (Vec<&[f64]>, Vec<f64>) = (0..rows.len())
            .filter(|i| i % folds != fold)
            .map(|i| (rows[i], labels[i]))
            .unzip();
        let w = fit(&train, &train_labels, options.c, options.max_iterations);
        let d = w.len() - 1;
        for i in (fold..rows.len()).step_by(folds) {
            let z: f64 = rows[i].iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + w[d];
            scores[i] = 1.0 / (1.0 + (-z).exp());
        }
    }
    let all = fit(&rows, &labels, options.c, options.max_iterations);
    Ok(ClassifierResult {
        auc: auc(&scores, &labels),
        p_value: higher_scores_p_value(&scores, reference.rows()),
        importance: all[..all.len() - 1].iter().map(|w| w.abs()).collect(),
        scores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use test_support::{assert_close, load_reference, number, numbers, relative_difference};

    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[0.0, 0.0, 1.0, 1.0]), 0.75);
        assert_eq!(auc(&[0.5, 0.5], &[0.0, 1.0]), 0.5);
    }

    #[test]
    fn only_higher_current_scores_are_evidence_of_drift() {
        // current rows scored higher than every reference row: drift
        let higher: Vec<f64> = (0..30).map(|i| f64::from(i) / 100.0).collect();
        let p = higher_scores_p_value(&higher, 15);
        // exact: C(30, 15)^-1 paths reach D+ = 1
        assert_close(p, 1.0 / 155_117_520.0, 1e-12, 0.0, "higher");
        // current rows scored lower (a classifier worse than chance): no evidence at all,
        // where the two-sided test would call it drift (p = 2 / C(30, 15))
        let lower: Vec<f64> = higher.iter().rev().copied().collect();
        assert_eq!(higher_scores_p_value(&lower, 15), 1.0);
    }

    #[test]
    #[allow(clippy::print_stderr)] // reports the measured agreement with scipy (--nocapture)
    fn p_value_is_alibi_detects_one_sided_ks_on_scikit_learns_scores() {
        let case = &load_reference("multivariate.json")["classifier"];
        let matrix = |rows: &serde_json::Value| {
            let rows: Vec<Vec<f64>> = rows.as_array().expect("rows").iter().map(numbers).collect();
            let cols = rows[0].len();
            Matrix::new(rows.concat(), rows.len(), cols).expect("a rectangular matrix")
        };
        let (reference, current) = (matrix(&case["reference"]), matrix(&case["current"]));
        let options = ClassifierOptions {
            folds: number(&case["folds"]) as usize,
            ..ClassifierOptions::default()
        };
        let result = classifier_drift(&reference, &current, &options).expect("classifier drift");
        // our scores differ from scikit-learn's by ~1e-7 relative but rank the rows alike,
        // so the statistic is the same and the p-value agrees to the KS test's precision
        let expected = number(&case["p_value"]);
        eprintln!(
            "classifier p-value {:e} vs scipy {expected:e}: relative difference {:e}",
            result.p_value,
            relative_difference(result.p_value, expected)
        );
        assert_close(result.p_value, expected, 1e-10, 0.0, "p-value");
        // and scipy's test on scikit-learn's own scores gives the same
        let scores = numbers(&case["scores"]);
        assert_close(
            higher_scores_p_value(&scores, reference.rows()),
            expected,
            1e-10,
            0.0,
            "p-value of scikit-learn's scores",
        );
    }

    #[test]
    fn solve_inverts_a_small_system() {
        let x = solve(vec![vec![0.0, 2.0], vec![3.0, 1.0]], vec![4.0, 5.0]);
        assert!((x[0] - 1.0).abs() < 1e-15 && (x[1] - 2.0).abs() < 1e-15);
    }
}
