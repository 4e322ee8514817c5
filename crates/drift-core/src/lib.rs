//! Pure drift statistics: evidently's univariate drift tests with scipy-exact p-values.

pub mod column;
pub mod error;
pub mod rank;
pub mod special;
pub mod stattest;

pub use column::{ColumnData, ColumnKind, NumericSample};
pub use error::{DriftError, TestError};
