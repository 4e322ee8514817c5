//! Pure drift statistics: evidently's univariate drift tests with scipy-exact p-values.
//!
//! `drift-core` compares a reference sample of a column with a current one and says
//! whether it drifted, with the same tests, default thresholds and drift rules as
//! evidently 0.7, and p-values that agree with scipy to 1e-6 relative. It is a leaf crate:
//! plain data in, plain serializable structs out; no I/O, no clock, no async runtime, no
//! global state; randomness (the permutation tests) takes a seed.
//!
//! Depend on it to judge drift inside your own service; the `monitor` binary builds its
//! reports on it.
//!
//! ```
//! use drift_core::{ColumnData, DatasetInfo, DriftOptions, DriftReport, NamedColumn};
//!
//! let column = |values: Vec<f64>| NamedColumn {
//!     name: "latency".into(),
//!     data: ColumnData::Numeric(values.into_iter().map(Some).collect()),
//! };
//! let reference = [column((0..200).map(|i| f64::from(i % 50)).collect())];
//! let current = [column((0..200).map(|i| f64::from(i % 50) + 20.0).collect())];
//! let info = DatasetInfo { source: "memory".into(), rows: 200 };
//! let report = DriftReport::compute((&info, &reference), (&info, &current), &DriftOptions::default())?;
//! assert_eq!(report.columns[0].test.name(), "ks");
//! assert!(report.dataset_drift);
//! # Ok::<(), drift_core::DriftError>(())
//! ```
//!
//! Layout: [`column`](mod@column) (the column model and cleaning), [`stattest`] (the
//! tests and their registry), [`select`] (evidently's automatic choice), [`correction`] (multiple testing),
//! [`summary`] (column summaries and quality), [`report`] (the dataset report), [`profile`]
//! (mergeable, bounded-size profiles and drift computed from them), [`stream`] (streaming
//! change detectors), [`multivariate`] (MMD, PCA reconstruction error, domain classifier).

pub mod column;
pub mod correction;
pub mod error;
pub mod multivariate;
pub mod profile;
pub mod rank;
pub mod report;
pub mod rng;
pub mod select;
pub mod special;
pub mod stattest;
pub mod stream;
pub mod summary;

pub use column::{CategoricalSample, ColumnData, ColumnKind, NumericSample, NumericValues};
pub use correction::Correction;
pub use error::{DriftError, ProfileError, TestError};
pub use profile::{Profile, ProfileOptions};
pub use report::{
    ColumnDrift, ColumnOptions, DatasetInfo, DriftOptions, DriftReport, MatchedColumns,
    NamedColumn, TestChoice, match_columns,
};
pub use stattest::{PermutationOptions, ScoreKind, StatTest};
