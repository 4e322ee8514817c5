//! Reads tabular files (CSV, JSON Lines, Parquet) into drift-core columns.
//!
//! `tabular` is where formats are parsed, so that neither the pure statistics crates nor the
//! `monitor` binary do it. [`read_table`] is the one entry point: it picks the format, reads
//! the file streaming (never holding its whole text), infers each column's kind and returns
//! a [`Table`] of [`drift_core::NamedColumn`]s.
//!
//! # Formats
//!
//! | file name | format |
//! | --- | --- |
//! | `.csv`, `.tsv`, `.txt` | CSV with a header row |
//! | `.jsonl`, `.ndjson` | JSON Lines: one object a line |
//! | any of these + `.gz` | the same, gzip-compressed (several members are fine) |
//! | `.parquet` | Parquet (with the default `parquet` feature) |
//! | anything else | sniffed: `PAR1` is Parquet, `1f 8b` gzip (then sniffed again), a first line starting with `{` JSON Lines, else CSV |
//!
//! **CSV**: a header row names the columns (trimmed; an empty name becomes `column_N`; a
//! name twice is an error). Fields may be quoted (`"a, b"`, `""` for a quote, line breaks
//! inside quotes). The delimiter is [`ReadOptions::delimiter`] or, when `None`, the most
//! frequent of `,` `;` tab `|` in the header line outside quotes (`,` when none occurs);
//! a `.tsv` file is tab-delimited. Blank lines are skipped; every other row has the header's number of
//! fields. A record (a line, or a quoted record spanning lines) is at most
//! [`MAX_RECORD_BYTES`] (16 MiB).
//!
//! **JSON Lines**: one flat or nested object a line; nested objects are flattened with dots
//! (`{"features": {"age": 31}}` gives the column `features.age`). Columns appear in
//! first-seen order; a key first seen on line 500 is missing on the lines before, and a key
//! absent from a line is missing there, as is `null`. Numbers are numbers; strings are read
//! as CSV fields are (trimmed, `NA` missing, numeric when every value of the column parses);
//! booleans are the labels `true` and `false`. An array is an error naming the line and the
//! key (it has no one value to compare), as is a key given twice in one object.
//!
//! **Parquet**: record batches are streamed and only the wanted columns decoded. Integers,
//! floats and decimals are numeric; dates, times, timestamps and durations are numeric in
//! seconds (dates and timestamps since 1970-01-01 UTC); strings, booleans and dictionaries
//! of them are categorical, taken as they are (`NA` is a label: Parquet has real nulls, the
//! missing values). Lists, structs, maps and binary are an error naming the column.
//!
//! # Kinds and missing values
//!
//! A column is numeric when every non-missing value is a number, categorical otherwise:
//! when the first non-number arrives, the numbers before it become labels in their shortest
//! form (`1.50` becomes `1.5`). In text (CSV fields, JSON strings) the empty string, `NA`
//! and `null` (any case) are missing, and `NaN` and `inf` are numbers (non-finite, dropped
//! and counted by drift-core). [`ReadOptions::categorical`] forces a column categorical
//! (`007` stays `007`); [`ReadOptions::numeric`] forces it numeric, and a value in it that
//! is not a number is an error naming the file, line (Parquet: row), column and value. A
//! column of missing values only is read (as numeric) and left to drift-core to report.
//!
//! # Memory and speed
//!
//! A numeric value takes 16 bytes (`Option<f64>`, the type drift-core's
//! [`drift_core::ColumnData`] holds) and a categorical one 8 (`Option<u32>` codes into
//! labels stored once). Columns are sized from the first rows and the file's size, so they
//! are rarely reallocated. CSV fields are parsed from one reused record buffer without a
//! string allocation per field.
//!
//! ```
//! let csv = "age;plan\n31;pro\nNA;free\n";
//! let table = tabular::read_csv_from(csv.as_bytes(), "inline.csv", &tabular::ReadOptions::default())?;
//! assert_eq!(table.rows, 2);
//! assert_eq!(table.columns[0].data.kind(), drift_core::ColumnKind::Numeric);
//! assert_eq!(table.columns[1].data.kind(), drift_core::ColumnKind::Categorical);
//! # Ok::<(), tabular::ReadError>(())
//! ```

mod column;
mod csv_reader;
mod error;
mod input;
mod json_reader;
#[cfg(feature = "parquet")]
mod parquet_reader;
mod table;

pub use csv_reader::{MAX_RECORD_BYTES, read_csv, read_csv_from};
pub use error::{Position, ReadError};
pub use input::read_table;
pub use table::{ProgressFn, ReadOptions, Table, unify_kinds};
