//! Reads tabular files into drift-core columns.
//!
//! `tabular` is where formats are parsed, so that neither the pure statistics crates nor the
//! `monitor` binary do it. Today it reads CSV with a header row, streaming, keeping 8 bytes
//! a numeric value and interning categories; JSON Lines and Parquet come with the issue that
//! completes `monitor drift`.
//!
//! A column is numeric when every non-missing value parses as a number, categorical
//! otherwise, unless the caller forces it categorical. Empty cells, `NA` and `null` are
//! missing; `NaN` and `inf` are numbers (non-finite, dropped and counted by drift-core).
//!
//! ```
//! let csv = "age,plan\n31,pro\nNA,free\n";
//! let table = tabular::read_csv_from(csv.as_bytes(), "inline.csv", &tabular::ReadOptions::default())?;
//! assert_eq!(table.rows, 2);
//! assert_eq!(table.columns[0].data.kind(), drift_core::ColumnKind::Numeric);
//! # Ok::<(), tabular::ReadError>(())
//! ```

mod csv_reader;
mod error;

pub use csv_reader::{ReadOptions, Table, read_csv, read_csv_from, unify_kinds};
pub use error::ReadError;
