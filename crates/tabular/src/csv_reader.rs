//! Streaming CSV reading with per-column kind inference.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use drift_core::{ColumnData, NamedColumn};

use crate::error::ReadError;

/// What to read and how to type it.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Columns forced categorical even when every value is a number.
    pub categorical: HashSet<String>,
    /// Only these columns (all when `None`); each must exist.
    pub columns: Option<Vec<String>>,
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

/// A column being built: numeric while every value parses, categorical after.
enum Builder {
    Numeric(Vec<Option<f64>>),
    Categorical {
        labels: Vec<String>,
        index: HashMap<String, u32>,
        codes: Vec<Option<u32>>,
    },
}

impl Builder {
    fn categorical() -> Self {
        Builder::Categorical {
            labels: Vec::new(),
            index: HashMap::new(),
            codes: Vec::new(),
        }
    }

    fn push(&mut self, field: &str) {
        let field = field.trim();
        let missing = is_missing(field);
        if let Builder::Numeric(values) = self {
            if missing {
                values.push(None);
                return;
            }
            if let Ok(value) = field.parse::<f64>() {
                values.push(Some(value));
                return;
            }
            // the first non-number: this column is categorical, numbers so far become labels
            let previous = std::mem::take(values);
            *self = Builder::categorical();
            for value in previous {
                self.push_label(value.map(|v| v.to_string()).as_deref());
            }
        }
        self.push_label((!missing).then_some(field));
    }

    fn push_label(&mut self, label: Option<&str>) {
        let Builder::Categorical {
            labels,
            index,
            codes,
        } = self
        else {
            unreachable!("labels go to categorical builders")
        };
        codes.push(label.map(|label| {
            if let Some(&code) = index.get(label) {
                return code;
            }
            let code = labels.len() as u32;
            labels.push(label.to_owned());
            index.insert(label.to_owned(), code);
            code
        }));
    }

    fn finish(self) -> ColumnData {
        match self {
            Builder::Numeric(values) => ColumnData::Numeric(values),
            Builder::Categorical { labels, codes, .. } => ColumnData::Categorical { labels, codes },
        }
    }
}

/// Empty cells, `NA` and `null` (any case) are missing values.
fn is_missing(field: &str) -> bool {
    field.is_empty() || field.eq_ignore_ascii_case("na") || field.eq_ignore_ascii_case("null")
}

/// Reads a CSV file with a header row.
///
/// # Errors
/// [`ReadError`] naming the file, and the line where it applies: unreadable, empty, header
/// only, ragged rows, malformed quoting or UTF-8, duplicate or missing columns.
pub fn read_csv(path: &Path, options: &ReadOptions) -> Result<Table, ReadError> {
    let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    read_csv_from(
        std::io::BufReader::new(file),
        &path.display().to_string(),
        options,
    )
}

/// Reads CSV from any reader; `source` names it in errors and in the table.
///
/// # Errors
/// As [`read_csv`].
pub fn read_csv_from<R: Read>(
    reader: R,
    source: &str,
    options: &ReadOptions,
) -> Result<Table, ReadError> {
    let path = PathBuf::from(source);
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut records = csv.byte_records();
    let malformed = |err: csv::Error, path: &PathBuf| match err.kind() {
        csv::ErrorKind::Io(_) => ReadError::Io {
            path: path.clone(),
            source: std::io::Error::other(err.to_string()),
        },
        _ => ReadError::Malformed {
            path: path.clone(),
            line: err.position().map_or(0, |p| p.line()),
            message: err.to_string(),
        },
    };
    let header = match records.next() {
        None => return Err(ReadError::Empty { path }),
        Some(record) => record.map_err(|e| malformed(e, &path))?,
    };
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let name = String::from_utf8_lossy(raw)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_owned();
            if name.is_empty() {
                format!("column_{}", i + 1)
            } else {
                name
            }
        })
        .collect();
    let mut seen = HashSet::new();
    for name in &names {
        if !seen.insert(name) {
            return Err(ReadError::DuplicateColumn {
                path,
                name: name.clone(),
            });
        }
    }
    // which header positions to keep, in output order
    let selected: Vec<usize> = match &options.columns {
        None => (0..names.len()).collect(),
        Some(wanted) => wanted
            .iter()
            .map(|w| {
                names
                    .iter()
                    .position(|n| n == w)
                    .ok_or_else(|| ReadError::MissingColumn {
                        path: path.clone(),
                        name: w.clone(),
                        available: names.join(", "),
                    })
            })
            .collect::<Result<_, _>>()?,
    };
    let mut builders: Vec<Builder> = selected
        .iter()
        .map(|&i| {
            if options.categorical.contains(&names[i]) {
                Builder::categorical()
            } else {
                Builder::Numeric(Vec::new())
            }
        })
        .collect();
    let mut rows = 0usize;
    for record in records {
        let record = record.map_err(|e| malformed(e, &path))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) && names.len() > 1 {
            continue; // a blank line
        }
        if record.len() != names.len() {
            return Err(ReadError::Ragged {
                path,
                line,
                expected: names.len(),
                found: record.len(),
            });
        }
        for (builder, &i) in builders.iter_mut().zip(&selected) {
            let field = std::str::from_utf8(&record[i]).map_err(|_| ReadError::Malformed {
                path: path.clone(),
                line,
                message: format!(
                    "field {} (column \"{}\") is not valid UTF-8",
                    i + 1,
                    names[i]
                ),
            })?;
            builder.push(field);
        }
        rows += 1;
    }
    if rows == 0 {
        return Err(ReadError::HeaderOnly { path });
    }
    let columns = builders
        .into_iter()
        .zip(&selected)
        .map(|(builder, &i)| NamedColumn {
            name: names[i].clone(),
            data: builder.finish(),
        })
        .collect();
    Ok(Table {
        source: source.to_owned(),
        rows,
        columns,
    })
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

    fn read(text: &str) -> Result<Table, ReadError> {
        read_csv_from(text.as_bytes(), "t.csv", &ReadOptions::default())
    }

    #[test]
    fn infers_kinds_and_missing_values() {
        let table = read("a,b,c\n1,x,\n2.5,y,NA\nnull,x,3\n").expect("table");
        assert_eq!(table.rows, 3);
        assert_eq!(
            table.columns[0].data,
            ColumnData::Numeric(vec![Some(1.0), Some(2.5), None])
        );
        assert_eq!(
            table.columns[1].data,
            ColumnData::categorical_from([Some("x"), Some("y"), Some("x")])
        );
        assert_eq!(
            table.columns[2].data,
            ColumnData::Numeric(vec![None, None, Some(3.0)])
        );
    }

    #[test]
    fn a_late_label_turns_a_column_categorical() {
        let table = read("a\n1\n2\nthree\n").expect("table");
        assert_eq!(
            table.columns[0].data,
            ColumnData::categorical_from([Some("1"), Some("2"), Some("three")])
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        assert_eq!(
            read("").unwrap_err().to_string(),
            "t.csv: the file is empty (expected a header row)"
        );
        assert_eq!(
            read("a,b\n").unwrap_err().to_string(),
            "t.csv: the file has a header row but no data rows"
        );
        assert_eq!(
            read("a,b\n1,2\n3\n").unwrap_err().to_string(),
            "t.csv:3: expected 2 fields as in the header, found 1"
        );
        assert_eq!(
            read("a,a\n1,2\n").unwrap_err().to_string(),
            "t.csv:1: column \"a\" appears twice in the header"
        );
    }

    #[test]
    fn selects_and_forces_columns() {
        let options = ReadOptions {
            categorical: ["b".to_owned()].into(),
            columns: Some(vec!["b".into()]),
        };
        let table = read_csv_from("a,b\n1,2\n".as_bytes(), "t.csv", &options).expect("table");
        assert_eq!(table.columns.len(), 1);
        assert_eq!(
            table.columns[0].data,
            ColumnData::categorical_from([Some("2")])
        );
        let missing = ReadOptions {
            columns: Some(vec!["z".into()]),
            ..ReadOptions::default()
        };
        let err = read_csv_from("a,b\n1,2\n".as_bytes(), "t.csv", &missing).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: no column named \"z\" (columns: a, b)"
        );
    }
}
