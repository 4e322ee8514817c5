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
mod kernel;
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

/// The `multivariate` section of a drift report: whole-row tests on the encoded columns
/// (see `docs/multivariate.md` for every field).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MultivariateReport {
    /// The input columns encoded (those on both sides), in the reference's order.
    pub columns: Vec<String>,
    /// The encoded features, the matrices' columns ([`Encoder::feature_names`]).
    pub features: Vec<String>,
    /// Reference rows encoded.
    pub reference_rows: usize,
    /// Current rows encoded.
    pub current_rows: usize,
    /// Whether any of the methods run flagged drift.
    pub drifted: bool,
    /// The MMD test, when requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mmd: Option<MmdSection>,
    /// The domain classifier, when requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifier: Option<ClassifierSection>,
    /// The PCA reconstruction error, when requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pca: Option<PcaSection>,
}

/// [`mmd_drift`]'s outcome with its settings and verdict.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MmdSection {
    /// The unbiased MMD² estimate.
    pub statistic: f64,
    /// The permutation p-value.
    pub p_value: f64,
    /// Drift when the p-value is below this.
    pub threshold: f64,
    /// Whether the p-value is below the threshold.
    pub drifted: bool,
    /// `exact` or `random_features`.
    pub method: String,
    /// How the method was chosen: `auto` (by the number of rows) or `configured`.
    pub method_selection: String,
    /// The number of random Fourier features (`random_features` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_features: Option<usize>,
    /// The kernel bandwidth σ.
    pub bandwidth: f64,
    /// The number of permutations behind the p-value.
    pub n_permutations: usize,
    /// The seed of the permutations, features and subsamples.
    pub seed: u64,
    /// Reference rows the test used (a seeded subsample above the row limit).
    pub reference_rows: usize,
    /// Current rows the test used.
    pub current_rows: usize,
}

/// [`classifier_drift`]'s outcome with its settings, verdict and the leading features.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassifierSection {
    /// The out-of-fold AUC.
    pub auc: f64,
    /// alibi-detect's one-sided KS p-value: small when the current rows' out-of-fold scores
    /// are higher than the reference rows' ([`ClassifierResult::p_value`]).
    pub p_value: f64,
    /// Drift when the p-value is below this.
    pub threshold: f64,
    /// Whether the p-value is below the threshold.
    pub drifted: bool,
    /// The number of folds.
    pub folds: usize,
    /// The inverse regularisation strength `C`.
    pub c: f64,
    /// The features with the largest importance, largest first.
    pub top_features: Vec<FeatureImportance>,
}

/// One encoded feature's importance in the domain classifier.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeatureImportance {
    /// The encoded feature's name.
    pub feature: String,
    /// `|coefficient|` on the standardised feature.
    pub importance: f64,
}

impl FeatureImportance {
    /// The `k` features of largest importance, largest first (ties in feature order).
    pub fn top(features: &[String], importance: &[f64], k: usize) -> Vec<FeatureImportance> {
        let mut all: Vec<FeatureImportance> = features
            .iter()
            .zip(importance)
            .map(|(feature, &importance)| FeatureImportance {
                feature: feature.clone(),
                importance,
            })
            .collect();
        all.sort_by(|a, b| b.importance.total_cmp(&a.importance));
        all.truncate(k);
        all
    }
}

/// [`pca_drift`]'s outcome with its settings and verdict.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PcaSection {
    /// Whether any current chunk lies outside the thresholds.
    pub drifted: bool,
    /// The number of current chunks outside the thresholds.
    pub n_alerts: usize,
    /// Rows per chunk.
    pub chunk_size: usize,
    /// Standard deviations of the reference chunks' errors on each side of their mean.
    pub threshold_std: f64,
    /// The lower threshold (at least 0).
    pub lower: f64,
    /// The upper threshold.
    pub upper: f64,
    /// The number of principal components kept.
    pub n_components: usize,
    /// The share of the reference's variance they explain.
    pub variance_explained: f64,
    /// The reference chunks' errors the thresholds come from.
    pub reference_errors: Vec<f64>,
    /// The current data's chunks, in order.
    pub chunks: Vec<ChunkError>,
}

impl PcaSection {
    /// The section of a [`PcaResult`] computed with `options`.
    pub fn new(result: PcaResult, options: &PcaOptions) -> PcaSection {
        let n_alerts = result.chunks.iter().filter(|c| c.alert).count();
        PcaSection {
            drifted: n_alerts > 0,
            n_alerts,
            chunk_size: options.chunk_size,
            threshold_std: options.threshold_std,
            lower: result.lower,
            upper: result.upper,
            n_components: result.n_components,
            variance_explained: result.variance_explained,
            reference_errors: result.reference_errors,
            chunks: result.chunks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_features_are_the_largest_in_order() {
        let names: Vec<String> = ["a", "b", "c", "d"].map(String::from).into();
        let top = FeatureImportance::top(&names, &[0.1, 2.0, 0.5, 2.0], 3);
        let picked: Vec<&str> = top.iter().map(|f| f.feature.as_str()).collect();
        assert_eq!(picked, ["b", "d", "c"]);
    }

    #[test]
    fn a_pca_section_counts_its_alerts() {
        let chunk = |error: f64, alert: bool| ChunkError {
            start: 0,
            rows: 10,
            error,
            alert,
        };
        let result = PcaResult {
            chunks: vec![chunk(1.0, false), chunk(3.0, true)],
            lower: 0.5,
            upper: 2.0,
            reference_errors: vec![1.0, 1.2],
            n_components: 2,
            variance_explained: 0.7,
        };
        let section = PcaSection::new(result, &PcaOptions::default());
        assert!(section.drifted);
        assert_eq!(section.n_alerts, 1);
        assert_eq!(section.chunk_size, 1000);
    }
}
