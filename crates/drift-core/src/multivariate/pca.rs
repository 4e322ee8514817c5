//! PCA reconstruction error, as NannyML's data reconstruction drift.
//!
//! Fit on the reference: standardise every column with the reference's mean and population
//! standard deviation (scikit-learn's `StandardScaler`; a constant column keeps scale 1),
//! then keep the fewest principal components whose cumulative explained-variance ratio
//! exceeds the threshold (65% by default, NannyML's; scikit-learn's rule for a fractional
//! `n_components`). A row's reconstruction error is the Euclidean distance, in the
//! standardised space, between the row and its projection back from the kept components; a
//! chunk's error is the mean over its rows. The reference is cut into chunks of the same
//! size; the thresholds are their mean ± 3 population standard deviations (the lower one
//! limited at 0), and a current chunk alerts outside them.
//!
//! The covariance is `d × d` and diagonalised with cyclic Jacobi rotations, so the cost is
//! O(n · d²) for the fit plus O(d³) and memory O(d²) beyond the inputs.

use super::{Matrix, MultivariateError};

/// Settings of [`pca_drift`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PcaOptions {
    /// Keep the fewest components whose cumulative explained-variance ratio exceeds this
    /// (NannyML's default: 0.65).
    pub variance_explained: f64,
    /// Rows per chunk, for the reference and the current data alike (the last chunk of
    /// each may be shorter).
    pub chunk_size: usize,
    /// Standard deviations of the reference chunks' errors on each side of their mean.
    pub threshold_std: f64,
}

impl Default for PcaOptions {
    fn default() -> Self {
        PcaOptions {
            variance_explained: 0.65,
            chunk_size: 1000,
            threshold_std: 3.0,
        }
    }
}

/// The reconstruction error of one chunk of current data.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChunkError {
    /// The chunk's first row in the current data.
    pub start: usize,
    /// The number of rows in the chunk.
    pub rows: usize,
    /// The mean reconstruction error of its rows.
    pub error: f64,
    /// Whether the error lies outside `[lower, upper]`.
    pub alert: bool,
}

/// The outcome of [`pca_drift`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PcaResult {
    /// The current data's chunks, in order.
    pub chunks: Vec<ChunkError>,
    /// The lower threshold: mean - k std of the reference chunks' errors, at least 0.
    pub lower: f64,
    /// The upper threshold: mean + k std of the reference chunks' errors.
    pub upper: f64,
    /// The reference chunks' errors the thresholds come from.
    pub reference_errors: Vec<f64>,
    /// The number of principal components kept.
    pub n_components: usize,
    /// The share of the reference's variance they explain.
    pub variance_explained: f64,
}

/// A PCA fitted on a standardised reference.
struct Fitted {
    mean: Vec<f64>,
    scale: Vec<f64>,
    /// The standardised reference's mean (zero up to rounding).
    centre: Vec<f64>,
    /// The kept components, each of length `d`.
    components: Vec<Vec<f64>>,
    explained: f64,
}

impl Fitted {
    fn fit(reference: &Matrix, variance_explained: f64) -> Self {
        let (n, d) = (reference.rows(), reference.cols());
        let mut mean = vec![0.0; d];
        for i in 0..n {
            for (m, v) in mean.iter_mut().zip(reference.row(i)) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut scale = vec![0.0; d];
        for i in 0..n {
            for ((s, v), m) in scale.iter_mut().zip(reference.row(i)).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        for s in &mut scale {
            *s = (*s / n as f64).sqrt();
            if *s == 0.0 {
                *s = 1.0;
            }
        }
        let standardise = |row: &[f64]| -> Vec<f64> {
            row.iter()
                .zip(&mean)
                .zip(&scale)
                .map(|((v, m), s)| (v - m) / s)
                .collect()
        };
        let mut centre = vec![0.0; d];
        for i in 0..n {
            for (c, z) in centre.iter_mut().zip(standardise(reference.row(i))) {
                *c += z;
            }
        }
        centre.iter_mut().for_each(|c| *c /= n as f64);
        let mut covariance = vec![vec![0.0; d]; d];
        for i in 0..n {
            let z: Vec<f64> = standardise(reference.row(i))
                .iter()
                .zip(&centre)
                .map(|(z, c)| z - c)
                .collect();
            for (row, za) in covariance.iter_mut().zip(&z) {
                for (c, zb) in row.iter_mut().zip(&z) {
                    *c += za * zb;
                }
            }
        }
        let (values, vectors) = jacobi_eigen(covariance);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
        let mut cumulative = 0.0;
        let mut kept = 0;
        for &k in &order {
            // scikit-learn: searchsorted(cumsum, threshold, side="right") + 1
            kept += 1;
            cumulative += values[k].max(0.0) / total;
            if cumulative > variance_explained {
                break;
            }
        }
        let components = order[..kept]
            .iter()
            .map(|&k| (0..d).map(|a| vectors[a][k]).collect())
            .collect();
        Fitted {
            mean,
            scale,
            centre,
            components,
            explained: cumulative,
        }
    }

    /// The reconstruction error of one raw row.
    fn error(&self, row: &[f64]) -> f64 {
        let z: Vec<f64> = row
            .iter()
            .zip(&self.mean)
            .zip(&self.scale)
            .zip(&self.centre)
            .map(|(((v, m), s), c)| (v - m) / s - c)
            .collect();
        let mut residual = z.clone();
        for component in &self.components {
            let score: f64 = component.iter().zip(&z).map(|(a, b)| a * b).sum();
            for (r, a) in residual.iter_mut().zip(component) {
                *r -= score * a;
            }
        }
        residual.iter().map(|r| r * r).sum::<f64>().sqrt()
    }

    /// `(start, rows, mean error)` of each chunk.
    fn chunk_errors(&self, data: &Matrix, chunk_size: usize) -> Vec<(usize, usize, f64)> {
        (0..data.rows())
            .step_by(chunk_size)
            .map(|start| {
                let end = (start + chunk_size).min(data.rows());
                let sum: f64 = (start..end).map(|i| self.error(data.row(i))).sum();
                (start, end - start, sum / (end - start) as f64)
            })
            .collect()
    }
}

/// Eigenvalues and eigenvectors (as the columns of the returned matrix) of a symmetric
/// matrix, by cyclic Jacobi rotations until the off-diagonal part is negligible.
fn jacobi_eigen(mut a: Vec<Vec<f64>>) -> (Vec<f64>, Vec<Vec<f64>>) {
    let d = a.len();
    let mut v: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..d).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|p| (p + 1..d).map(move |q| (p, q)))
            .map(|(p, q)| a[p][q] * a[p][q])
            .sum();
        let diag: f64 = (0..d).map(|p| a[p][p] * a[p][p]).sum();
        if off <= 1e-30 * diag || off == 0.0 {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                if a[p][q] == 0.0 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (before, from_q) = a.split_at_mut(q);
                for (apk, aqk) in before[p].iter_mut().zip(from_q[0].iter_mut()) {
                    let (x, y) = (*apk, *aqk);
                    *apk = c * x - s * y;
                    *aqk = s * x + c * y;
                }
                for row in v.iter_mut() {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|p| a[p][p]).collect(), v)
}

/// Fits PCA on the standardised `reference` and reports the reconstruction error of each
/// chunk of `current`, with thresholds from the reference's own chunks.
pub fn pca_drift(
    reference: &Matrix,
    current: &Matrix,
    options: &PcaOptions,
) -> Result<PcaResult, MultivariateError> {
    if reference.cols() != current.cols() {
        return Err(MultivariateError::ColumnMismatch {
            reference: reference.cols(),
            current: current.cols(),
        });
    }
    for (what, rows) in [
        ("PCA (reference)", reference.rows()),
        ("PCA (current)", current.rows()),
    ] {
        if rows < 2 {
            return Err(MultivariateError::TooFewRows {
                what,
                needed: 2,
                got: rows,
            });
        }
    }
    let chunk_size = options.chunk_size.max(1);
    let fitted = Fitted::fit(reference, options.variance_explained);
    let reference_errors: Vec<f64> = fitted
        .chunk_errors(reference, chunk_size)
        .into_iter()
        .map(|(_, _, error)| error)
        .collect();
    let k = reference_errors.len() as f64;
    let mean = reference_errors.iter().sum::<f64>() / k;
    let std = (reference_errors
        .iter()
        .map(|e| (e - mean) * (e - mean))
        .sum::<f64>()
        / k)
        .sqrt();
    let lower = (mean - options.threshold_std * std).max(0.0);
    let upper = mean + options.threshold_std * std;
    let chunks = fitted
        .chunk_errors(current, chunk_size)
        .into_iter()
        .map(|(start, rows, error)| ChunkError {
            start,
            rows,
            error,
            alert: error < lower || error > upper,
        })
        .collect();
    Ok(PcaResult {
        chunks,
        lower,
        upper,
        reference_errors,
        n_components: fitted.components.len(),
        variance_explained: fitted.explained,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_diagonalises_a_known_matrix() {
        // eigenvalues of [[2, 1], [1, 2]] are 3 and 1
        let (values, vectors) = jacobi_eigen(vec![vec![2.0, 1.0], vec![1.0, 2.0]]);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        assert!((sorted[0] - 1.0).abs() < 1e-12 && (sorted[1] - 3.0).abs() < 1e-12);
        let dot = vectors[0][0] * vectors[0][1] + vectors[1][0] * vectors[1][1];
        assert!(dot.abs() < 1e-12);
    }

    #[test]
    fn rows_on_the_kept_plane_reconstruct_exactly() {
        // perfectly correlated columns: one component explains everything
        let values: Vec<f64> = (0..50)
            .flat_map(|i| [f64::from(i), 2.0 * f64::from(i) + 1.0])
            .collect();
        let reference = Matrix::new(values.clone(), 50, 2).unwrap();
        let options = PcaOptions {
            chunk_size: 10,
            ..PcaOptions::default()
        };
        let result = pca_drift(&reference, &reference, &options).unwrap();
        assert_eq!(result.n_components, 1);
        assert!(result.chunks.iter().all(|c| c.error < 1e-9));
        let broken: Vec<f64> = (0..50)
            .flat_map(|i| [f64::from(i), 100.0 - 2.0 * f64::from(i)])
            .collect();
        let current = Matrix::new(broken, 50, 2).unwrap();
        let result = pca_drift(&reference, &current, &options).unwrap();
        assert!(result.chunks.iter().all(|c| c.alert && c.error > 0.1));
    }
}
