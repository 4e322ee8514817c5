//! The reference every window is compared with: a data file or a profile, read once.
//!
//! A data reference's numeric columns are stored sorted (finite values ascending, the
//! rest after them): the tests are univariate, so row order does not matter, and cleaning
//! a sorted column for each window's test is a linear pass instead of a sort. A column
//! named `label` is not compared (events carry no such feature); with a `prediction`
//! column beside it, it gives the baseline performance instead.

use std::path::Path;

use drift_core::profile::Profile;
use drift_core::report::UnmatchedColumn;
use drift_core::{
    ColumnData, ColumnDrift, ColumnKind, DatasetInfo, DriftOptions, DriftReport, NamedColumn,
};

use crate::config::Task;
use crate::error::WatchError;
use crate::performance::{self, Performance};

/// The column a data reference may hold the ground truth in.
pub const LABEL_COLUMN: &str = "label";
/// The column holding the model's prediction, compared like a feature.
pub const PREDICTION_COLUMN: &str = "prediction";

/// What the reference is made of.
#[derive(Debug, Clone)]
enum Sides {
    /// Raw columns (numeric ones sorted).
    Data(Vec<NamedColumn>),
    /// Sketches.
    Profile(Profile),
}

/// The reference, ready to compare windows with.
#[derive(Debug, Clone)]
pub struct Reference {
    info: DatasetInfo,
    sides: Sides,
    schema: Vec<(String, ColumnKind)>,
    baseline_pairs: Vec<(f64, f64)>,
}

impl Reference {
    /// Reads a profile (`.json`, `.mprf`, or a file starting with the profile magic) or a
    /// data file through `tabular` with `options` (kinds forced by `[[features]]`).
    ///
    /// # Errors
    /// [`WatchError::Reference`] when the file cannot be read or has no column to compare.
    pub fn load(path: &Path, options: &tabular::ReadOptions) -> Result<Reference, WatchError> {
        let fail = |reason: String| WatchError::Reference {
            path: path.to_owned(),
            reason,
        };
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let is_profile = match extension.as_deref() {
            Some("json") | Some("mprf") => true,
            _ => std::fs::File::open(path)
                .and_then(|mut f| {
                    let mut magic = [0u8; 4];
                    std::io::Read::read(&mut f, &mut magic).map(|n| magic[..n] == *b"MPRF")
                })
                .unwrap_or(false),
        };
        let source = path.display().to_string();
        let reference = if is_profile {
            let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
            let profile = if bytes.starts_with(drift_core::profile::BINARY_MAGIC.as_slice()) {
                Profile::from_bytes(&bytes)
            } else {
                Profile::from_json(&String::from_utf8_lossy(&bytes))
            }
            .map_err(|e| fail(e.to_string()))?;
            let schema = profile
                .columns
                .iter()
                .filter(|c| c.name != LABEL_COLUMN)
                .map(|c| (c.name.clone(), c.profile.kind()))
                .collect();
            Reference {
                info: DatasetInfo {
                    source,
                    rows: usize::try_from(profile.n_rows).unwrap_or(usize::MAX),
                },
                sides: Sides::Profile(profile),
                schema,
                baseline_pairs: Vec::new(),
            }
        } else {
            let table = tabular::read_table(path, options).map_err(|e| fail(e.to_string()))?;
            let numbers = |name: &str| {
                table
                    .columns
                    .iter()
                    .find_map(|c| match (&c.data, c.name == name) {
                        (ColumnData::Numeric(values), true) => Some(values),
                        _ => None,
                    })
            };
            let baseline_pairs = match (numbers(PREDICTION_COLUMN), numbers(LABEL_COLUMN)) {
                (Some(p), Some(l)) => p
                    .iter()
                    .zip(l.iter())
                    .filter_map(|(p, l)| Some((p?, l?)))
                    .filter(|(p, l)| p.is_finite() && l.is_finite())
                    .collect(),
                _ => Vec::new(),
            };
            let columns: Vec<NamedColumn> = table
                .columns
                .into_iter()
                .filter(|c| c.name != LABEL_COLUMN)
                .map(|c| NamedColumn {
                    data: sorted(c.data),
                    name: c.name,
                })
                .collect();
            Reference {
                info: DatasetInfo {
                    source,
                    rows: table.rows,
                },
                schema: columns
                    .iter()
                    .map(|c| (c.name.clone(), c.data.kind()))
                    .collect(),
                sides: Sides::Data(columns),
                baseline_pairs,
            }
        };
        if reference.schema.is_empty() {
            return Err(fail("no column to compare windows with".into()));
        }
        Ok(reference)
    }

    /// The compared columns and their kinds, in the reference's order.
    pub fn schema(&self) -> &[(String, ColumnKind)] {
        &self.schema
    }

    /// The reference's name and size.
    pub fn info(&self) -> &DatasetInfo {
        &self.info
    }

    /// The model's performance on the reference, when it holds `prediction` and `label`.
    pub fn baseline(&self, task: Task, threshold: f64) -> Option<Performance> {
        if self.baseline_pairs.is_empty() {
            return None;
        }
        Some(match task {
            Task::Classification => performance::classification(&self.baseline_pairs, threshold),
            Task::Regression => performance::regression(&self.baseline_pairs),
        })
    }

    /// Compares a window's columns (in [`Reference::schema`] order and kinds) with the
    /// reference; `extra` names the window's features the reference lacks.
    ///
    /// # Errors
    /// The reason no report could be made (no column in common, options out of range, a
    /// window that does not profile), in words: it goes into the window's report.
    pub fn compare(
        &self,
        current: &DatasetInfo,
        columns: Vec<NamedColumn>,
        extra: Vec<String>,
        options: &DriftOptions,
    ) -> Result<DriftReport, String> {
        let unmatched = extra.into_iter().map(|name| UnmatchedColumn {
            name,
            present_in: "current".into(),
        });
        match &self.sides {
            Sides::Data(reference) => {
                let drifts = reference
                    .iter()
                    .zip(&columns)
                    .map(|(r, c)| ColumnDrift::compute(&r.name, &r.data, &c.data, options))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                DriftReport::assemble(&self.info, current, drifts, unmatched.collect(), options)
                    .map_err(|e| e.to_string())
            }
            Sides::Profile(reference) => {
                let profile = Profile::from_columns(&columns, &reference.options)
                    .map_err(|e| e.to_string())?;
                let mut report = DriftReport::from_profiles(
                    (&self.info, reference),
                    (current, &profile),
                    options,
                )
                .map_err(|e| e.to_string())?;
                report.unmatched_columns.extend(unmatched);
                Ok(report)
            }
        }
    }
}

/// A numeric column with its finite values first, ascending (see the module docs).
fn sorted(data: ColumnData) -> ColumnData {
    match data {
        ColumnData::Numeric(values) => {
            let mut rows: Vec<Option<f64>> = values.iter().collect();
            rows.sort_by(|a, b| {
                let key = |v: &Option<f64>| v.filter(|x| x.is_finite());
                match (key(a), key(b)) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
            });
            ColumnData::Numeric(rows.into())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn a_csv_reference_compares_without_its_label_and_gives_a_baseline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            dir.path(),
            "ref.csv",
            "age,plan,prediction,label\n30,pro,0.9,1\n40,basic,0.2,0\n35,pro,0.7,0\n50,basic,0.1,0\n",
        );
        let reference = Reference::load(&path, &tabular::ReadOptions::default()).expect("loads");
        let names: Vec<&str> = reference.schema().iter().map(|c| c.0.as_str()).collect();
        assert_eq!(names, ["age", "plan", "prediction"]);
        assert_eq!(reference.schema()[1].1, ColumnKind::Categorical);
        let baseline = reference
            .baseline(Task::Classification, 0.5)
            .expect("baseline");
        assert_eq!(baseline.labelled, 4);
        assert_eq!(baseline.accuracy, Some(0.75));
        assert!(reference.baseline(Task::Regression, 0.5).is_some());
    }

    #[test]
    fn sorting_a_numeric_column_keeps_its_values() {
        let column = ColumnData::Numeric(vec![Some(3.0), None, Some(f64::NAN), Some(-1.0)].into());
        let ColumnData::Numeric(values) = sorted(column) else {
            panic!("numeric");
        };
        let values: Vec<Option<f64>> = values.iter().collect();
        assert_eq!(values[..2], [Some(-1.0), Some(3.0)]);
        assert_eq!(values.iter().filter(|v| v.is_none()).count(), 1);
        assert!(values.iter().any(|v| v.is_some_and(f64::is_nan)));
    }

    #[test]
    fn an_unreadable_reference_names_its_path() {
        let err = Reference::load(Path::new("/nonexistent/ref.csv"), &Default::default())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("reference /nonexistent/ref.csv: "), "{err}");
    }
}
