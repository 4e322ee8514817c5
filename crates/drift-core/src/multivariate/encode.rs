//! Turning mixed columns into a numeric [`Matrix`]: imputation, categorical encoding and
//! standardisation, all fitted on the reference.
//!
//! - Numeric columns: missing, NaN and infinite values are replaced by the reference's mean
//!   of its finite values (0 if it has none).
//! - Categorical columns: a missing value is a category of its own (`<missing>`). With at
//!   most [`EncoderOptions::max_one_hot`] reference categories the column becomes one 0/1
//!   column per reference category (a category unseen in the reference is all zeros);
//!   with more it becomes one column holding the category's share of the reference rows
//!   (frequency encoding; unseen categories get 0).
//! - Every encoded column is then standardised with the reference's mean and population
//!   standard deviation (a constant column keeps scale 1), so that distances weigh the
//!   columns alike.

use std::collections::HashMap;

use super::{Matrix, MultivariateError};
use crate::column::ColumnData;
use crate::report::NamedColumn;

/// The label a missing categorical value is encoded under.
pub const MISSING_CATEGORY: &str = "<missing>";

/// Settings of [`Encoder::fit`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EncoderOptions {
    /// The largest number of reference categories (the missing one included) that is
    /// one-hot encoded; above it the column is frequency encoded. Default 10.
    pub max_one_hot: usize,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        EncoderOptions { max_one_hot: 10 }
    }
}

/// How one input column is encoded.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum ColumnCode {
    Numeric { fill: f64 },
    OneHot { categories: Vec<String> },
    Frequency { shares: HashMap<String, f64> },
}

/// An encoding fitted on the reference's columns, applied alike to every side.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Encoder {
    names: Vec<String>,
    codes: Vec<ColumnCode>,
    mean: Vec<f64>,
    scale: Vec<f64>,
}

fn label(data: &ColumnData, row: usize) -> Option<&str> {
    match data {
        ColumnData::Categorical { labels, codes } => Some(match codes[row] {
            Some(code) => labels[code as usize].as_str(),
            None => MISSING_CATEGORY,
        }),
        ColumnData::Numeric(_) => None,
    }
}

fn rows_of(data: &ColumnData) -> usize {
    match data {
        ColumnData::Numeric(values) => values.len(),
        ColumnData::Categorical { codes, .. } => codes.len(),
    }
}

impl Encoder {
    /// Fits the imputation, encoding and standardisation on the reference columns.
    pub fn fit(
        reference: &[NamedColumn],
        options: &EncoderOptions,
    ) -> Result<Self, MultivariateError> {
        let codes = reference
            .iter()
            .map(|column| match &column.data {
                ColumnData::Numeric(values) => {
                    let (sum, count) = values
                        .iter()
                        .flatten()
                        .filter(|v| v.is_finite())
                        .fold((0.0, 0_usize), |(s, c), v| (s + v, c + 1));
                    let fill = if count == 0 { 0.0 } else { sum / count as f64 };
                    ColumnCode::Numeric { fill }
                }
                data @ ColumnData::Categorical { .. } => {
                    let rows = rows_of(data);
                    let mut counts: HashMap<String, usize> = HashMap::new();
                    for row in 0..rows {
                        let name = label(data, row).unwrap_or(MISSING_CATEGORY);
                        *counts.entry(name.to_owned()).or_default() += 1;
                    }
                    if counts.len() <= options.max_one_hot {
                        let mut categories: Vec<String> = counts.into_keys().collect();
                        categories.sort();
                        ColumnCode::OneHot { categories }
                    } else {
                        let shares = counts
                            .into_iter()
                            .map(|(k, c)| (k, c as f64 / rows as f64))
                            .collect();
                        ColumnCode::Frequency { shares }
                    }
                }
            })
            .collect();
        let mut encoder = Encoder {
            names: reference.iter().map(|c| c.name.clone()).collect(),
            codes,
            mean: Vec::new(),
            scale: Vec::new(),
        };
        let raw = encoder.encode(reference)?;
        let (n, d) = (raw.rows(), raw.cols());
        if n == 0 {
            return Err(MultivariateError::TooFewRows {
                what: "the encoder (reference)",
                needed: 1,
                got: 0,
            });
        }
        let mut mean = vec![0.0; d];
        for i in 0..n {
            mean.iter_mut().zip(raw.row(i)).for_each(|(m, v)| *m += v);
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut scale = vec![0.0; d];
        for i in 0..n {
            for ((s, v), m) in scale.iter_mut().zip(raw.row(i)).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        for s in &mut scale {
            *s = (*s / n as f64).sqrt();
            if *s == 0.0 {
                *s = 1.0;
            }
        }
        encoder.mean = mean;
        encoder.scale = scale;
        Ok(encoder)
    }

    /// The names of the encoded columns: `name` for numeric and frequency-encoded columns,
    /// `name=category` for one-hot columns.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for (name, code) in self.names.iter().zip(&self.codes) {
            match code {
                ColumnCode::OneHot { categories } => {
                    names.extend(categories.iter().map(|c| format!("{name}={c}")));
                }
                _ => names.push(name.clone()),
            }
        }
        names
    }

    /// Encodes and standardises `columns`, which must be the reference's columns (same
    /// names, kinds and order) from any side.
    pub fn transform(&self, columns: &[NamedColumn]) -> Result<Matrix, MultivariateError> {
        let raw = self.encode(columns)?;
        let (rows, cols) = (raw.rows(), raw.cols());
        let mut values = raw.values;
        for row in values.chunks_exact_mut(cols.max(1)) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = (*v - m) / s;
            }
        }
        Matrix::new(values, rows, cols)
    }

    /// Imputes and encodes, without standardising.
    fn encode(&self, columns: &[NamedColumn]) -> Result<Matrix, MultivariateError> {
        if columns.len() != self.names.len() {
            return Err(MultivariateError::ColumnMismatch {
                reference: self.names.len(),
                current: columns.len(),
            });
        }
        let rows = columns.first().map_or(0, |c| rows_of(&c.data));
        for (column, (name, code)) in columns.iter().zip(self.names.iter().zip(&self.codes)) {
            let numeric = matches!(column.data, ColumnData::Numeric(_));
            let expected = matches!(code, ColumnCode::Numeric { .. });
            if column.name != *name || numeric != expected || rows_of(&column.data) != rows {
                return Err(MultivariateError::ColumnsDiffer {
                    column: column.name.clone(),
                });
            }
        }
        let width: usize = self
            .codes
            .iter()
            .map(|code| match code {
                ColumnCode::OneHot { categories } => categories.len(),
                _ => 1,
            })
            .sum();
        let mut values = vec![0.0; rows * width];
        let mut offset = 0;
        for (column, code) in columns.iter().zip(&self.codes) {
            match (code, &column.data) {
                (ColumnCode::Numeric { fill }, ColumnData::Numeric(data)) => {
                    for (row, value) in data.iter().enumerate() {
                        values[row * width + offset] =
                            value.filter(|v| v.is_finite()).unwrap_or(*fill);
                    }
                    offset += 1;
                }
                (ColumnCode::OneHot { categories }, data) => {
                    for row in 0..rows {
                        let name = label(data, row).unwrap_or(MISSING_CATEGORY);
                        if let Ok(k) = categories.binary_search_by(|c| c.as_str().cmp(name)) {
                            values[row * width + offset + k] = 1.0;
                        }
                    }
                    offset += categories.len();
                }
                (ColumnCode::Frequency { shares }, data) => {
                    for row in 0..rows {
                        let name = label(data, row).unwrap_or(MISSING_CATEGORY);
                        values[row * width + offset] = shares.get(name).copied().unwrap_or(0.0);
                    }
                    offset += 1;
                }
                (ColumnCode::Numeric { .. }, ColumnData::Categorical { .. }) => {
                    unreachable!("kinds were checked above")
                }
            }
        }
        Matrix::new(values, rows, width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categorical(name: &str, values: &[Option<&str>]) -> NamedColumn {
        let mut labels: Vec<String> = Vec::new();
        let codes = values
            .iter()
            .map(|v| {
                v.map(|v| match labels.iter().position(|l| l == v) {
                    Some(i) => i as u32,
                    None => {
                        labels.push(v.to_owned());
                        (labels.len() - 1) as u32
                    }
                })
            })
            .collect();
        NamedColumn {
            name: name.into(),
            data: ColumnData::Categorical { labels, codes },
        }
    }

    fn numeric(name: &str, values: &[Option<f64>]) -> NamedColumn {
        NamedColumn {
            name: name.into(),
            data: ColumnData::Numeric(values.iter().copied().collect()),
        }
    }

    #[test]
    fn imputes_one_hot_encodes_and_standardises() {
        let reference = [
            numeric("x", &[Some(1.0), None, Some(3.0), Some(f64::NAN)]),
            categorical("c", &[Some("a"), Some("b"), None, Some("a")]),
        ];
        let encoder = Encoder::fit(&reference, &EncoderOptions::default()).unwrap();
        assert_eq!(encoder.feature_names(), ["x", "c=<missing>", "c=a", "c=b"]);
        let matrix = encoder.transform(&reference).unwrap();
        // x imputed with 2: [1, 2, 3, 2] → mean 2, population sd sqrt(0.5)
        let x: Vec<f64> = (0..4).map(|i| matrix.row(i)[0]).collect();
        let sd = 0.5_f64.sqrt();
        assert_eq!(x, [-1.0 / sd, 0.0, 1.0 / sd, 0.0]);
        // c=a is [1, 0, 0, 1]: mean 0.5, sd 0.5
        let a: Vec<f64> = (0..4).map(|i| matrix.row(i)[2]).collect();
        assert_eq!(a, [1.0, -1.0, -1.0, 1.0]);
        // an unseen category is all zeros before standardising
        let current = [numeric("x", &[Some(2.0)]), categorical("c", &[Some("zzz")])];
        let row = encoder.transform(&current).unwrap();
        assert_eq!(row.row(0)[2], -1.0);
    }

    #[test]
    fn many_categories_are_frequency_encoded() {
        let values: Vec<Option<&str>> =
            ["a", "a", "a", "b", "c"].iter().map(|v| Some(*v)).collect();
        let reference = [categorical("c", &values)];
        let options = EncoderOptions { max_one_hot: 2 };
        let encoder = Encoder::fit(&reference, &options).unwrap();
        assert_eq!(encoder.feature_names(), ["c"]);
        let raw = encoder.encode(&reference).unwrap();
        assert_eq!(raw.values(), [0.6, 0.6, 0.6, 0.2, 0.2]);
    }

    #[test]
    fn other_columns_are_refused() {
        let reference = [numeric("x", &[Some(1.0), Some(2.0)])];
        let encoder = Encoder::fit(&reference, &EncoderOptions::default()).unwrap();
        let other = [numeric("y", &[Some(1.0)])];
        assert!(matches!(
            encoder.transform(&other),
            Err(MultivariateError::ColumnsDiffer { .. })
        ));
    }
}
