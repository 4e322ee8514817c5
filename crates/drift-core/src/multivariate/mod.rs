//! Multivariate drift: MMD with a Gaussian kernel, PCA reconstruction error, domain classifier.
//!
//! Column-by-column tests miss shifts in how features move together. This module compares
//! whole rows: [`mmd`] (alibi-detect's `MMDDrift`: unbiased MMD² with a Gaussian RBF kernel,
//! median-heuristic bandwidth, permutation p-value, kernel sums in blocks so memory stays
//! O(n)), [`pca`] (NannyML's data reconstruction drift) and [`classifier`] (alibi-detect's
//! `ClassifierDrift` with a logistic regression). Inputs are numeric row-major [`Matrix`]
//! values; [`Encoder`] turns mixed columns into one (imputation, one-hot or frequency
//! encoding, standardisation with the reference's moments). Formulas, choices and measured
//! accuracy are in `docs/multivariate.md`.

pub mod classifier;
pub mod encode;
pub mod mmd;
pub mod pca;

pub use classifier::{ClassifierOptions, ClassifierResult, classifier_drift};
pub use encode::{Encoder, EncoderOptions};
pub use mmd::{MmdMethod, MmdOptions, MmdResult, median_bandwidth, mmd_drift, mmd2_unbiased};
pub use pca::{ChunkError, PcaOptions, PcaResult, pca_drift};

/// A dense numeric matrix stored row-major: row `i` is `values[i * cols..(i + 1) * cols]`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Matrix {
    values: Vec<f64>,
    rows: usize,
    cols: usize,
}

impl Matrix {
    /// A matrix of `rows` rows taken from row-major `values`.
    ///
    /// Fails if `values.len()` is not `rows * cols`, or if a value is NaN or infinite
    /// (impute missing values first, for example with [`Encoder`]).
    pub fn new(values: Vec<f64>, rows: usize, cols: usize) -> Result<Self, MultivariateError> {
        if rows.checked_mul(cols) != Some(values.len()) {
            return Err(MultivariateError::Shape {
                len: values.len(),
                rows,
                cols,
            });
        }
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            return Err(MultivariateError::NotFinite {
                row: index / cols.max(1),
                col: index % cols.max(1),
            });
        }
        Ok(Matrix { values, rows, cols })
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `i` as a slice.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.cols..(i + 1) * self.cols]
    }

    /// All values, row-major.
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

/// A multivariate computation that cannot be carried out on the data it was given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MultivariateError {
    /// The values do not fill the stated shape.
    #[error("{len} values cannot form a {rows} x {cols} matrix")]
    Shape {
        /// The number of values given.
        len: usize,
        /// The stated number of rows.
        rows: usize,
        /// The stated number of columns.
        cols: usize,
    },
    /// A value is NaN or infinite.
    #[error("the value at row {row}, column {col} is not finite")]
    NotFinite {
        /// Its row.
        row: usize,
        /// Its column.
        col: usize,
    },
    /// The reference and current matrices have different numbers of columns.
    #[error("the reference has {reference} columns, the current data {current}")]
    ColumnMismatch {
        /// Columns in the reference.
        reference: usize,
        /// Columns in the current data.
        current: usize,
    },
    /// Too few rows for the method.
    #[error("{what} needs at least {needed} rows, got {got}")]
    TooFewRows {
        /// The method and side that lacks rows.
        what: &'static str,
        /// The minimum.
        needed: usize,
        /// The rows given.
        got: usize,
    },
    /// A column to encode is not the reference's (name, kind or length differs).
    #[error("column \"{column}\" does not match the reference's columns (name, kind or length)")]
    ColumnsDiffer {
        /// The column's name.
        column: String,
    },
    /// The median pairwise distance of the reference is zero, so no bandwidth can be chosen.
    #[error("the reference's median pairwise distance is zero: give a bandwidth explicitly")]
    ZeroBandwidth,
}
