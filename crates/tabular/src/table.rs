//! What a reader is asked for ([`ReadOptions`]) and what it gives back ([`Table`]).

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use drift_core::{ColumnData, NamedColumn};

use crate::column::Forced;
use crate::error::ReadError;

/// Called now and then while a file is read (about every MiB) with the bytes consumed so
/// far and the size of the file on disk when known.
///
/// For a gzip file both count compressed bytes; for Parquet the bytes are an estimate
/// (the share of rows read times the file size).
pub type ProgressFn = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// What to read and how to type it.
#[derive(Clone, Default)]
pub struct ReadOptions {
    /// Columns forced categorical even when every value is a number.
    pub categorical: HashSet<String>,
    /// Columns forced numeric: a value that is not a number (and not missing) is an error
    /// naming the file, the line (or Parquet row), the column and the value.
    pub numeric: HashSet<String>,
    /// Only these columns, in this order (all, in file order, when `None`); each must exist.
    pub columns: Option<Vec<String>>,
    /// The CSV delimiter; `None` detects it from the header line among `,` `;` tab `|`.
    pub delimiter: Option<u8>,
    /// Told how far reading got, about every MiB; see [`ProgressFn`].
    pub progress: Option<ProgressFn>,
}

impl fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOptions")
            .field("categorical", &self.categorical)
            .field("numeric", &self.numeric)
            .field("columns", &self.columns)
            .field("delimiter", &self.delimiter.map(char::from))
            .field("progress", &self.progress.as_ref().map(|_| "<fn>"))
            .finish()
    }
}

impl ReadOptions {
    /// The forced kind of a column, if any.
    pub(crate) fn forced(&self, name: &str) -> Forced {
        if self.categorical.contains(name) {
            Forced::Categorical
        } else if self.numeric.contains(name) {
            Forced::Numeric
        } else {
            Forced::Auto
        }
    }

    /// Refuses a column forced both ways (in sorted order, for a stable message).
    pub(crate) fn check(&self) -> Result<(), ReadError> {
        let mut both: Vec<&String> = self.categorical.intersection(&self.numeric).collect();
        both.sort();
        match both.first() {
            Some(name) => Err(ReadError::ConflictingKinds {
                name: (*name).clone(),
            }),
            None => Ok(()),
        }
    }

    /// Positions in `names` to keep, in output order: all, or the requested columns.
    pub(crate) fn select(&self, path: &Path, names: &[String]) -> Result<Vec<usize>, ReadError> {
        match &self.columns {
            None => Ok((0..names.len()).collect()),
            Some(wanted) => wanted
                .iter()
                .map(|w| {
                    names
                        .iter()
                        .position(|n| n == w)
                        .ok_or_else(|| missing_column(path, w, names))
                })
                .collect(),
        }
    }
}

/// The error for a requested column that the file lacks.
pub(crate) fn missing_column(path: &Path, name: &str, names: &[String]) -> ReadError {
    ReadError::MissingColumn {
        path: path.to_owned(),
        name: name.to_owned(),
        available: names.join(", "),
    }
}

/// A table read into typed columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Where it came from.
    pub source: String,
    /// Data rows read.
    pub rows: usize,
    /// The columns, in header order (or in the requested order).
    pub columns: Vec<NamedColumn>,
}

impl Table {
    /// The table of `path` from its finished builders, one per `selected` position in
    /// `names` (the readers that build columns by header position share this).
    pub(crate) fn from_builders(
        path: &Path,
        rows: usize,
        builders: Vec<crate::column::ColumnBuilder>,
        names: &[String],
        selected: &[usize],
    ) -> Table {
        let columns = builders
            .into_iter()
            .zip(selected)
            .map(|(builder, &i)| NamedColumn {
                name: names[i].clone(),
                data: builder.finish(),
            })
            .collect();
        Table {
            source: path.display().to_string(),
            rows,
            columns,
        }
    }
}

/// Makes a column categorical on both sides when it is categorical on either.
///
/// A column that is all numbers in the reference but has a label in the current data (or
/// the reverse) is compared as categories; numbers become labels in their shortest form.
pub fn unify_kinds(reference: &mut Table, current: &mut Table) {
    let categorical: HashSet<String> = reference
        .columns
        .iter()
        .chain(&current.columns)
        .filter(|c| c.data.kind() == drift_core::ColumnKind::Categorical)
        .map(|c| c.name.clone())
        .collect();
    for column in reference
        .columns
        .iter_mut()
        .chain(current.columns.iter_mut())
    {
        if categorical.contains(&column.name)
            && let ColumnData::Numeric(values) = &column.data
        {
            column.data =
                ColumnData::categorical_from(values.iter().map(|v| v.map(|v| v.to_string())));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_debug_and_conflicts() {
        let options = ReadOptions {
            categorical: ["b".to_owned(), "a".to_owned()].into(),
            numeric: ["b".to_owned(), "a".to_owned()].into(),
            delimiter: Some(b';'),
            progress: Some(Arc::new(|_, _| {})),
            ..ReadOptions::default()
        };
        let debug = format!("{options:?}");
        assert!(debug.contains("delimiter: Some(';')"), "{debug}");
        assert!(debug.contains("progress: Some(\"<fn>\")"), "{debug}");
        assert_eq!(
            options.check().unwrap_err().to_string(),
            "column \"a\" is forced both categorical and numeric"
        );
        assert!(ReadOptions::default().check().is_ok());
    }

    #[test]
    fn unify_makes_both_sides_categorical() {
        let mut reference = Table {
            source: "r".into(),
            rows: 2,
            columns: vec![NamedColumn {
                name: "a".into(),
                data: ColumnData::Numeric(vec![Some(1.0), None].into()),
            }],
        };
        let mut current = Table {
            source: "c".into(),
            rows: 1,
            columns: vec![NamedColumn {
                name: "a".into(),
                data: ColumnData::categorical_from([Some("x")]),
            }],
        };
        unify_kinds(&mut reference, &mut current);
        assert_eq!(
            reference.columns[0].data,
            ColumnData::categorical_from([Some("1"), None])
        );
    }
}
