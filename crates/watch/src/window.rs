//! An open window's contents: one column per reference column, typed as the reference
//! says, the variants, latencies, alarms and the predictions awaiting labels. Everything
//! here is bounded by the window's size and serializable for the checkpoint.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use drift_core::{ColumnData, ColumnKind, NamedColumn, NumericValues};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::event::FeatureValue;
use crate::report::Alarm;

/// The most distinct variants a window counts apart; others count as `__other__`.
pub const MAX_VARIANTS: usize = 100;
/// The most names of features the reference lacks a window lists.
pub const MAX_UNMATCHED: usize = 100;

/// One column of a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WindowColumn {
    /// Numbers (`None` missing): a number, or a string that parses as one.
    Numeric(Vec<Option<f64>>),
    /// Labels interned as codes; numbers and booleans become their text.
    Categorical(Categories),
}

/// Interned labels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Categories {
    labels: Vec<String>,
    codes: Vec<Option<u32>>,
    #[serde(skip)]
    index: HashMap<String, u32>,
}

impl Categories {
    fn push(&mut self, label: &str) {
        if self.index.len() != self.labels.len() {
            // restored from a checkpoint: rebuild the index once
            self.index = self
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.clone(), i as u32))
                .collect();
        }
        let code = match self.index.get(label) {
            Some(&code) => code,
            None => {
                let code = self.labels.len() as u32;
                self.labels.push(label.to_owned());
                self.index.insert(label.to_owned(), code);
                code
            }
        };
        self.codes.push(Some(code));
    }
}

impl WindowColumn {
    /// An empty column of `kind`.
    pub fn new(kind: ColumnKind, capacity: usize) -> WindowColumn {
        match kind {
            ColumnKind::Numeric => WindowColumn::Numeric(Vec::with_capacity(capacity)),
            ColumnKind::Categorical => WindowColumn::Categorical(Categories::default()),
        }
    }

    /// Appends a value as the column's kind reads it (a value it cannot read is missing).
    pub fn push(&mut self, value: &FeatureValue<'_>) {
        match self {
            WindowColumn::Numeric(values) => values.push(match value {
                FeatureValue::Number(x) => Some(*x),
                FeatureValue::Text(text) => text.trim().parse().ok(),
                FeatureValue::Bool(b) => Some(f64::from(u8::from(*b))),
                FeatureValue::Missing => None,
            }),
            WindowColumn::Categorical(categories) => match value {
                FeatureValue::Number(x) => categories.push(&x.to_string()),
                FeatureValue::Text(text) => categories.push(text),
                FeatureValue::Bool(b) => categories.push(if *b { "true" } else { "false" }),
                FeatureValue::Missing => categories.codes.push(None),
            },
        }
    }

    /// Appends a missing value.
    pub fn push_missing(&mut self) {
        match self {
            WindowColumn::Numeric(values) => values.push(None),
            WindowColumn::Categorical(categories) => categories.codes.push(None),
        }
    }

    /// The column for a drift test.
    pub fn into_data(self) -> ColumnData {
        match self {
            WindowColumn::Numeric(values) => ColumnData::Numeric(NumericValues::from(values)),
            WindowColumn::Categorical(c) => ColumnData::Categorical {
                labels: c.labels,
                codes: c.codes,
            },
        }
    }
}

/// The predictions of a window that can get a label (they had a request id), and the
/// labels that came.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Labelled {
    /// The predictions, by position.
    pub predictions: Vec<f64>,
    /// The labels, by the same position.
    pub labels: Vec<Option<f64>>,
}

impl Labelled {
    /// `(prediction, label)` of every labelled prediction.
    pub fn pairs(&self) -> Vec<(f64, f64)> {
        self.predictions
            .iter()
            .zip(&self.labels)
            .filter_map(|(&p, l)| Some((p, (*l)?)))
            .collect()
    }
}

/// A window still taking events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenWindow {
    /// 0-based, per model and version.
    pub index: u64,
    /// For time windows: the window's start in milliseconds since the epoch divided by its
    /// length.
    pub bucket: Option<i64>,
    /// First event's time.
    pub first_ts: Timestamp,
    /// Last event's time.
    pub last_ts: Timestamp,
    /// Events.
    pub n: u64,
    /// Events of a time window whose time fell before it.
    pub late_events: u64,
    /// One column per reference column.
    pub columns: Vec<WindowColumn>,
    /// Features the reference lacks (up to [`MAX_UNMATCHED`]).
    pub unmatched: BTreeSet<String>,
    /// Events by variant.
    pub variants: BTreeMap<String, u64>,
    /// The events' latencies, in milliseconds.
    pub latencies: Vec<f64>,
    /// Detector alarms signalled while open.
    pub alarms: Vec<Alarm>,
    /// Predictions awaiting labels.
    pub labelled: Labelled,
}

impl OpenWindow {
    /// An empty window with one column per `schema` entry.
    pub fn new(
        index: u64,
        bucket: Option<i64>,
        ts: Timestamp,
        schema: &[(String, ColumnKind)],
        capacity: usize,
    ) -> OpenWindow {
        OpenWindow {
            index,
            bucket,
            first_ts: ts,
            last_ts: ts,
            n: 0,
            late_events: 0,
            columns: schema
                .iter()
                .map(|(_, kind)| WindowColumn::new(*kind, capacity))
                .collect(),
            unmatched: BTreeSet::new(),
            variants: BTreeMap::new(),
            latencies: Vec::new(),
            alarms: Vec::new(),
            labelled: Labelled::default(),
        }
    }

    /// Counts one event of `variant`.
    pub fn count_variant(&mut self, variant: &str) {
        if let Some(count) = self.variants.get_mut(variant) {
            *count += 1;
        } else if self.variants.len() < MAX_VARIANTS {
            self.variants.insert(variant.to_owned(), 1);
        } else {
            *self.variants.entry("__other__".to_owned()).or_default() += 1;
        }
    }

    /// Notes a feature the reference lacks.
    pub fn note_unmatched(&mut self, name: &str) {
        if self.unmatched.len() < MAX_UNMATCHED && !self.unmatched.contains(name) {
            self.unmatched.insert(name.to_owned());
        }
    }

    /// The columns, named, for the drift report.
    pub fn take_columns(&mut self, schema: &[(String, ColumnKind)]) -> Vec<NamedColumn> {
        std::mem::take(&mut self.columns)
            .into_iter()
            .zip(schema)
            .map(|(column, (name, _))| NamedColumn {
                name: name.clone(),
                data: column.into_data(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn values_are_read_as_the_reference_types_them() {
        let mut numeric = WindowColumn::new(ColumnKind::Numeric, 4);
        let mut categorical = WindowColumn::new(ColumnKind::Categorical, 4);
        for value in [
            FeatureValue::Number(31.0),
            FeatureValue::Text(Cow::Borrowed(" 2.5")),
            FeatureValue::Text(Cow::Borrowed("pro")),
            FeatureValue::Bool(true),
            FeatureValue::Missing,
        ] {
            numeric.push(&value);
            categorical.push(&value);
        }
        numeric.push_missing();
        categorical.push(&FeatureValue::Text(Cow::Borrowed("pro")));
        let ColumnData::Numeric(values) = numeric.into_data() else {
            panic!("numeric");
        };
        let values: Vec<Option<f64>> = values.iter().collect();
        assert_eq!(values, [Some(31.0), Some(2.5), None, Some(1.0), None, None]);
        let ColumnData::Categorical { labels, codes } = categorical.into_data() else {
            panic!("categorical");
        };
        assert_eq!(labels, ["31", " 2.5", "pro", "true"]);
        assert_eq!(codes, [Some(0), Some(1), Some(2), Some(3), None, Some(2)]);
    }

    #[test]
    fn a_restored_column_keeps_interning() {
        let mut column = WindowColumn::new(ColumnKind::Categorical, 2);
        column.push(&FeatureValue::Text(Cow::Borrowed("a")));
        let text = serde_json::to_string(&column).expect("serializes");
        let mut restored: WindowColumn = serde_json::from_str(&text).expect("restores");
        restored.push(&FeatureValue::Text(Cow::Borrowed("a")));
        restored.push(&FeatureValue::Text(Cow::Borrowed("b")));
        let ColumnData::Categorical { labels, codes } = restored.into_data() else {
            panic!("categorical");
        };
        assert_eq!((labels.len(), codes), (2, vec![Some(0), Some(0), Some(1)]));
    }
}
