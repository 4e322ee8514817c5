//! Errors of reading a table, each naming the file and, where it can, the line and column.

use std::fmt;
use std::path::PathBuf;

/// Where in a file a value sits: a line of a text file, or a row of a Parquet file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// 1-based line of a text file (CSV, JSON Lines); shown as `file:line`.
    Line(u64),
    /// 1-based data row of a Parquet file; shown as `file: row N`.
    Row(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(line) => write!(f, ":{line}"),
            Position::Row(row) => write!(f, ": row {row}"),
        }
    }
}

/// A table that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file cannot be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The path names a directory (or another thing that is not a regular file).
    #[error("{path}: is a directory, not a file")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// A file named `.gz` (or starting like gzip) that does not decompress.
    #[error("{path}: not a valid gzip file ({source})")]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The decompressor's reason.
        source: std::io::Error,
    },
    /// The file has no header row (CSV) or no object (JSON Lines).
    #[error("{path}: the file is empty (expected {expected})")]
    Empty {
        /// The file.
        path: PathBuf,
        /// What the format starts with: `a header row`, `one JSON object a line`.
        expected: &'static str,
    },
    /// The file has a header but no data row.
    #[error("{path}: the file has a header row but no data rows")]
    HeaderOnly {
        /// The file.
        path: PathBuf,
    },
    /// A Parquet file with a schema and no rows.
    #[error("{path}: the file has no rows")]
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// A JSON Lines file whose objects hold no key at all.
    #[error("{path}: the file has no columns (every object is empty)")]
    NoColumns {
        /// The file.
        path: PathBuf,
    },
    /// A row has a different number of fields than the header.
    #[error("{path}:{line}: expected {expected} fields as in the header, found {found}")]
    Ragged {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// The header names a column twice.
    #[error("{path}:1: column \"{name}\" appears twice in the header")]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The repeated name.
        name: String,
    },
    /// A Parquet schema names a top-level column twice.
    #[error("{path}: column \"{name}\" appears twice in the schema")]
    DuplicateField {
        /// The file.
        path: PathBuf,
        /// The repeated name.
        name: String,
    },
    /// A JSON object gives one column twice (a repeated key, or `"a.b"` beside `"a": {"b"}`).
    #[error("{path}:{line}: key \"{key}\" appears twice in the object")]
    DuplicateKey {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The repeated (flattened) key.
        key: String,
    },
    /// A malformed record (invalid UTF-8).
    #[error("{path}:{line}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The reason.
        message: String,
    },
    /// A line (or a record spanning lines) longer than [`crate::MAX_RECORD_BYTES`].
    #[error("{path}: line {line} is longer than {limit_mib} MiB")]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// 1-based line where the record starts.
        line: u64,
        /// The limit in MiB.
        limit_mib: usize,
    },
    /// A line of a JSON Lines file that is not valid JSON, or not an object.
    #[error("{path}:{line}:{column}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// 1-based column (character position in the line) where the parser stopped.
        column: usize,
        /// The parser's reason.
        message: String,
    },
    /// A JSON value that is an array: not a column value.
    #[error(
        "{path}:{line}: key \"{key}\" holds an array; only numbers, strings, booleans, null \
         and objects (flattened with dots) are read"
    )]
    JsonArray {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The (flattened) key.
        key: String,
    },
    /// A value in a column forced numeric that is not a number.
    #[error("{path}{position}: column \"{column}\" is numeric, but {value:?} is not a number")]
    NotANumber {
        /// The file.
        path: PathBuf,
        /// The line (text files) or row (Parquet).
        position: Position,
        /// The column.
        column: String,
        /// The value (cut at 80 characters).
        value: String,
    },
    /// A column forced both categorical and numeric.
    #[error("column \"{name}\" is forced both categorical and numeric")]
    ConflictingKinds {
        /// The column.
        name: String,
    },
    /// A column with more distinct labels than 32-bit codes can number.
    #[error("{path}: column \"{column}\" has more than 2^32 distinct values")]
    TooManyLabels {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// A file named `.parquet` (or starting with `PAR1`) that cannot be read as Parquet.
    #[error("{path}: not a readable Parquet file ({message})")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The Parquet reader's reason.
        message: String,
    },
    /// A Parquet column of a type that is not compared (lists, structs, maps, binary).
    #[error(
        "{path}: column \"{column}\" has type {data_type}, which is not read (only numbers, \
         decimals, strings, booleans, dates, times and timestamps are)"
    )]
    UnsupportedType {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// The Arrow type, as Arrow prints it.
        data_type: String,
    },
    /// This build leaves out a format (a cargo feature is off).
    #[error(
        "{path}: {format} files are not read by this build (built without the `{feature}` feature)"
    )]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The format's name.
        format: &'static str,
        /// The cargo feature that adds it.
        feature: &'static str,
    },
    /// A requested column is not in the file.
    #[error("{path}: no column named \"{name}\" (columns: {available})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The requested name.
        name: String,
        /// The header's names, comma separated.
        available: String,
    },
}

/// A value for an error message: at most 80 characters, with `…` when cut.
pub(crate) fn excerpt(value: &str) -> String {
    const MAX: usize = 80;
    match value.char_indices().nth(MAX) {
        None => value.to_owned(),
        Some((end, _)) => format!("{}…", &value[..end]),
    }
}
