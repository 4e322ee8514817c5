//! Errors of reading a table, each naming the file and, where it can, the line and column.

use std::path::PathBuf;

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
    /// The file has no header row.
    #[error("{path}: the file is empty (expected a header row)")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file has a header but no data row.
    #[error("{path}: the file has a header row but no data rows")]
    HeaderOnly {
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
    /// A malformed record (bad quoting, invalid UTF-8).
    #[error("{path}:{line}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The parser's reason.
        message: String,
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
