//! The dataset drift report: every column's test, summary and quality, and the verdict.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::column::{CategoricalSample, ColumnData, ColumnKind, NumericSample};
use crate::correction::Correction;
use crate::error::DriftError;
use crate::select::auto_test;
use crate::stattest::{self, PermutationOptions, Samples, StatTest};
use crate::summary::{CategoricalSummary, ColumnSummary, Distribution, NumericSummary, Quality};

/// Version of the report's JSON layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Which test a column gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TestChoice {
    /// evidently's automatic rule (see [`crate::select::auto_test`]).
    #[default]
    Auto,
    /// This test.
    Fixed(StatTest),
}

/// Per-column overrides of the test and threshold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnOptions {
    /// The test for this column, overriding [`DriftOptions::test`].
    pub test: Option<StatTest>,
    /// The threshold for this column, overriding [`DriftOptions::threshold`].
    pub threshold: Option<f64>,
}

/// How a dataset comparison runs; `Default` is evidently's behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftOptions {
    /// The test for every column (default: automatic).
    pub test: TestChoice,
    /// A threshold for every column (default: each test's own).
    pub threshold: Option<f64>,
    /// Overrides by column name.
    pub columns: HashMap<String, ColumnOptions>,
    /// Multiple-testing correction of p-values (default: none, as evidently).
    pub correction: Correction,
    /// Dataset drift when the share of drifted columns is at least this (default 0.5).
    pub drift_share: f64,
    /// Seed and counts of the permutation tests.
    pub permutation: PermutationOptions,
}

impl Default for DriftOptions {
    fn default() -> Self {
        DriftOptions {
            test: TestChoice::Auto,
            threshold: None,
            columns: HashMap::new(),
            correction: Correction::None,
            drift_share: 0.5,
            permutation: PermutationOptions::default(),
        }
    }
}

/// One column of one side, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedColumn {
    /// The column's name.
    pub name: String,
    /// Its values.
    pub data: ColumnData,
}

/// Where a side came from and how many rows it had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// A path, `-`, or a description.
    pub source: String,
    /// Rows read.
    pub rows: usize,
}

/// The drift of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDrift {
    /// The column's name.
    pub name: String,
    /// Its kind.
    pub kind: ColumnKind,
    /// The test applied.
    pub test: StatTest,
    /// How the test was chosen: `auto` or `configured`.
    pub test_selection: String,
    /// The test's statistic or distance (null when the test could not run).
    pub statistic: Option<f64>,
    /// The p-value, for p-value tests.
    pub p_value: Option<f64>,
    /// The p-value after multiple-testing correction (equal to `p_value` without one).
    pub p_value_adjusted: Option<f64>,
    /// How the p-value was obtained, where a test has several ways.
    pub method: Option<String>,
    /// The threshold the score was compared with.
    pub threshold: f64,
    /// Whether the column drifted.
    pub drifted: bool,
    /// Why the test could not run, if it could not; such a column counts as not drifted and
    /// is left out of the drift share.
    pub error: Option<String>,
    /// The reference side, described.
    pub reference: ColumnSummary,
    /// The current side, described.
    pub current: ColumnSummary,
    /// Quality signals of the current side.
    pub quality: Quality,
    /// Both sides' distributions on shared bins or categories, for plots.
    pub distribution: Distribution,
}

/// The dataset drift report (the JSON contract of `monitor drift`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The reference side.
    pub reference: DatasetInfo,
    /// The current side.
    pub current: DatasetInfo,
    /// Whether the share of drifted columns reached the threshold.
    pub dataset_drift: bool,
    /// Drifted columns over tested columns.
    pub drift_share: f64,
    /// The threshold on the drift share.
    pub drift_share_threshold: f64,
    /// Columns compared.
    pub n_columns: usize,
    /// Columns that drifted.
    pub n_drifted: usize,
    /// Columns whose test could not run (see each column's `error`).
    pub n_errors: usize,
    /// The multiple-testing correction applied.
    pub correction: Correction,
    /// Columns present on one side only, with the side.
    pub unmatched_columns: Vec<UnmatchedColumn>,
    /// Every compared column, in the reference's order.
    pub columns: Vec<ColumnDrift>,
    /// Whole-row tests (`monitor drift --multivariate`); absent when none was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multivariate: Option<crate::multivariate::MultivariateReport>,
}

/// A column present on one side only (a quality finding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmatchedColumn {
    /// The column's name.
    pub name: String,
    /// `reference` or `current`: where it is present.
    pub present_in: String,
}

enum Cleaned {
    Numeric(NumericSample, NumericSample),
    Categorical(CategoricalSample, CategoricalSample),
}

impl Cleaned {
    fn samples(&self) -> Samples<'_> {
        match self {
            Cleaned::Numeric(reference, current) => Samples::Numeric { reference, current },
            Cleaned::Categorical(reference, current) => Samples::Categorical { reference, current },
        }
    }
}

fn clean(name: &str, reference: &ColumnData, current: &ColumnData) -> Result<Cleaned, DriftError> {
    match (reference, current) {
        (ColumnData::Numeric(r), ColumnData::Numeric(c)) => Ok(Cleaned::Numeric(
            NumericSample::from_column(r),
            NumericSample::from_column(c),
        )),
        (
            ColumnData::Categorical {
                labels: rl,
                codes: rc,
            },
            ColumnData::Categorical {
                labels: cl,
                codes: cc,
            },
        ) => Ok(Cleaned::Categorical(
            CategoricalSample::from_codes(rl, rc),
            CategoricalSample::from_codes(cl, cc),
        )),
        _ => Err(DriftError::KindMismatch {
            column: name.to_owned(),
            reference: reference.kind(),
            current: current.kind(),
        }),
    }
}

/// The columns of two tables matched by name, in the reference's order.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedColumns<'a> {
    /// Columns on both sides: name, reference data, current data.
    pub pairs: Vec<(&'a str, &'a ColumnData, &'a ColumnData)>,
    /// Columns on one side only.
    pub unmatched: Vec<UnmatchedColumn>,
}

/// Matches two tables' columns by name (see [`MatchedColumns`]).
pub fn match_columns<'a>(
    reference: &'a [NamedColumn],
    current: &'a [NamedColumn],
) -> MatchedColumns<'a> {
    let current_by_name: HashMap<&str, &ColumnData> =
        current.iter().map(|c| (c.name.as_str(), &c.data)).collect();
    let reference_names: std::collections::HashSet<&str> =
        reference.iter().map(|c| c.name.as_str()).collect();
    let mut matched = MatchedColumns {
        pairs: Vec::new(),
        unmatched: Vec::new(),
    };
    for column in reference {
        match current_by_name.get(column.name.as_str()) {
            Some(current_data) => {
                matched
                    .pairs
                    .push((column.name.as_str(), &column.data, current_data))
            }
            None => matched.unmatched.push(UnmatchedColumn {
                name: column.name.clone(),
                present_in: "reference".into(),
            }),
        }
    }
    for column in current
        .iter()
        .filter(|c| !reference_names.contains(c.name.as_str()))
    {
        matched.unmatched.push(UnmatchedColumn {
            name: column.name.clone(),
            present_in: "current".into(),
        });
    }
    matched
}

impl DriftOptions {
    /// Checks the drift share and threshold ranges.
    ///
    /// # Errors
    /// [`DriftError::InvalidParameter`] naming the parameter out of range.
    pub fn validate(&self) -> Result<(), DriftError> {
        if !(0.0..=1.0).contains(&self.drift_share) {
            return Err(DriftError::InvalidParameter {
                name: "drift share",
                expected: "between 0 and 1",
                value: self.drift_share,
            });
        }
        let thresholds = self
            .threshold
            .into_iter()
            .chain(self.columns.values().filter_map(|c| c.threshold));
        for t in thresholds {
            if !t.is_finite() || t < 0.0 {
                return Err(DriftError::InvalidParameter {
                    name: "threshold",
                    expected: "a finite number >= 0",
                    value: t,
                });
            }
        }
        Ok(())
    }
}

impl DriftReport {
    /// Compares every column present on both sides and gives the dataset verdict.
    ///
    /// Columns are matched by name and reported in the reference's order; columns on one
    /// side only are listed in `unmatched_columns`. A column whose test cannot run (an empty
    /// side, too few values, a test that does not take its kind) carries the reason in its
    /// `error` field instead of failing the whole report. This runs the columns one after
    /// the other; a caller with threads can run [`ColumnDrift::compute`] per column itself
    /// and hand the results to [`DriftReport::assemble`].
    ///
    /// # Errors
    /// [`DriftError::NoCommonColumns`] when no column is on both sides,
    /// [`DriftError::KindMismatch`] when a column's sides differ in kind, and
    /// [`DriftError::InvalidParameter`] for a drift share or threshold outside its range.
    pub fn compute(
        reference: (&DatasetInfo, &[NamedColumn]),
        current: (&DatasetInfo, &[NamedColumn]),
        options: &DriftOptions,
    ) -> Result<DriftReport, DriftError> {
        options.validate()?;
        let matched = match_columns(reference.1, current.1);
        let columns = matched
            .pairs
            .iter()
            .map(|&(name, r, c)| ColumnDrift::compute(name, r, c, options))
            .collect::<Result<Vec<_>, _>>()?;
        DriftReport::assemble(reference.0, current.0, columns, matched.unmatched, options)
    }

    /// Builds the report from per-column results: applies the multiple-testing correction
    /// (re-deciding p-value columns) and the dataset verdict.
    ///
    /// # Errors
    /// [`DriftError::NoCommonColumns`] when `columns` is empty, and
    /// [`DriftError::InvalidParameter`] for options out of range.
    pub fn assemble(
        reference: &DatasetInfo,
        current: &DatasetInfo,
        mut columns: Vec<ColumnDrift>,
        unmatched: Vec<UnmatchedColumn>,
        options: &DriftOptions,
    ) -> Result<DriftReport, DriftError> {
        options.validate()?;
        if columns.is_empty() {
            return Err(DriftError::NoCommonColumns);
        }
        apply_correction(&mut columns, options.correction);
        let n_errors = columns.iter().filter(|c| c.error.is_some()).count();
        let n_tested = columns.len() - n_errors;
        let n_drifted = columns.iter().filter(|c| c.drifted).count();
        let drift_share = if n_tested == 0 {
            0.0
        } else {
            n_drifted as f64 / n_tested as f64
        };
        Ok(DriftReport {
            schema_version: SCHEMA_VERSION,
            reference: reference.clone(),
            current: current.clone(),
            dataset_drift: n_tested > 0 && drift_share >= options.drift_share,
            drift_share,
            drift_share_threshold: options.drift_share,
            n_columns: columns.len(),
            n_drifted,
            n_errors,
            correction: options.correction,
            unmatched_columns: unmatched,
            columns,
            multivariate: None,
        })
    }
}

impl ColumnDrift {
    /// The number compared with the threshold: the corrected p-value, else the p-value,
    /// else the statistic (a distance); `None` when the test did not run.
    pub fn score(&self) -> Option<f64> {
        self.p_value_adjusted.or(self.p_value).or(self.statistic)
    }

    /// Tests one column: cleans both sides, picks the test (configured or automatic),
    /// runs it, describes both sides. Test failures land in the `error` field.
    ///
    /// # Errors
    /// [`DriftError::KindMismatch`] when the sides differ in kind.
    pub fn compute(
        name: &str,
        reference: &ColumnData,
        current: &ColumnData,
        options: &DriftOptions,
    ) -> Result<ColumnDrift, DriftError> {
        column_drift(name, clean(name, reference, current)?, options)
    }

    /// [`ColumnDrift::compute`] on columns it takes over: a numeric column's buffer becomes
    /// its sorted view, so testing needs no copy of the values (on 1M rows that saves 8 MB
    /// a side and the time to fault it in).
    ///
    /// # Errors
    /// [`DriftError::KindMismatch`] when the sides differ in kind.
    pub fn compute_owned(
        name: &str,
        reference: ColumnData,
        current: ColumnData,
        options: &DriftOptions,
    ) -> Result<ColumnDrift, DriftError> {
        let cleaned = match (reference, current) {
            (ColumnData::Numeric(r), ColumnData::Numeric(c)) => {
                Cleaned::Numeric(NumericSample::from_owned(r), NumericSample::from_owned(c))
            }
            (reference, current) => clean(name, &reference, &current)?,
        };
        column_drift(name, cleaned, options)
    }
}

fn column_drift(
    name: &str,
    cleaned: Cleaned,
    options: &DriftOptions,
) -> Result<ColumnDrift, DriftError> {
    let overrides = options.columns.get(name);
    let samples = cleaned.samples();
    let (n_reference, n_unique_both) = match &cleaned {
        Cleaned::Numeric(r, _) => (r.len(), samples.n_unique_both()),
        Cleaned::Categorical(r, _) => (r.len(), samples.n_unique_both()),
    };
    let configured = overrides.and_then(|o| o.test).or(match options.test {
        TestChoice::Fixed(test) => Some(test),
        TestChoice::Auto => None,
    });
    let test = configured.unwrap_or_else(|| auto_test(samples.kind(), n_reference, n_unique_both));
    let threshold = overrides
        .and_then(|o| o.threshold)
        .or(options.threshold)
        .unwrap_or(test.default_threshold());
    let (reference_summary, current_summary, quality, distribution, empty) = match &cleaned {
        Cleaned::Numeric(r, c) => (
            ColumnSummary::Numeric(NumericSummary::of(r)),
            ColumnSummary::Numeric(NumericSummary::of(c)),
            Quality::numeric(r, c),
            Distribution::of_numeric(r, c),
            empty_side(
                name,
                r.is_empty(),
                c.is_empty(),
                (r.n_missing, r.n_non_finite),
                (c.n_missing, c.n_non_finite),
            ),
        ),
        Cleaned::Categorical(r, c) => (
            ColumnSummary::Categorical(CategoricalSummary::of(r)),
            ColumnSummary::Categorical(CategoricalSummary::of(c)),
            Quality::categorical(r, c),
            Distribution::of_categorical(r, c),
            empty_side(
                name,
                r.is_empty(),
                c.is_empty(),
                (r.n_missing, 0),
                (c.n_missing, 0),
            ),
        ),
    };
    let outcome = if let Some(err) = empty {
        Err(err)
    } else if configured.is_some() && !test.supports(samples.kind()) {
        Err(DriftError::UnsupportedKind {
            column: name.to_owned(),
            test: test.name(),
            kind: samples.kind(),
            allowed: test.allowed_kinds(),
        })
    } else {
        stattest::run(test, samples, &options.permutation).map_err(|source| DriftError::Test {
            column: name.to_owned(),
            test: test.name(),
            source,
        })
    };
    let mut drift = ColumnDrift {
        name: name.to_owned(),
        kind: samples.kind(),
        test,
        test_selection: if configured.is_some() {
            "configured"
        } else {
            "auto"
        }
        .to_owned(),
        statistic: None,
        p_value: None,
        p_value_adjusted: None,
        method: None,
        threshold,
        drifted: false,
        error: None,
        reference: reference_summary,
        current: current_summary,
        quality,
        distribution,
    };
    match outcome {
        Ok(outcome) if outcome.p_value.unwrap_or(outcome.statistic).is_nan() => {
            // scipy answers NaN on some degenerate inputs (a chi-square over one category,
            // Anderson-Darling on three values); say so rather than print a bare null
            drift.error = Some(format!(
                "column \"{name}\": test \"{}\" is undefined on these values (its score is NaN, as in scipy)",
                test.name()
            ));
        }
        Ok(outcome) => {
            drift.statistic = Some(outcome.statistic);
            drift.p_value = outcome.p_value;
            drift.p_value_adjusted = outcome.p_value;
            drift.method = outcome.method;
            let score = outcome.p_value.unwrap_or(outcome.statistic);
            drift.drifted = test.is_drift(score, threshold);
        }
        Err(err) => drift.error = Some(err.to_string()),
    }
    Ok(drift)
}

fn empty_side(
    name: &str,
    reference_empty: bool,
    current_empty: bool,
    reference_dropped: (usize, usize),
    current_dropped: (usize, usize),
) -> Option<DriftError> {
    let (side, (missing, non_finite)) = if reference_empty {
        ("reference", reference_dropped)
    } else if current_empty {
        ("current", current_dropped)
    } else {
        return None;
    };
    Some(DriftError::EmptySide {
        column: name.to_owned(),
        side,
        missing,
        non_finite,
    })
}

/// Adjusts the p-values of the columns that have one and re-decides their drift.
fn apply_correction(columns: &mut [ColumnDrift], correction: Correction) {
    let with_p: Vec<usize> = (0..columns.len())
        .filter(|&i| columns[i].p_value.is_some())
        .collect();
    let p_values: Vec<f64> = with_p
        .iter()
        .map(|&i| columns[i].p_value.unwrap_or(f64::NAN))
        .collect();
    for (&i, adjusted) in with_p.iter().zip(correction.adjust(&p_values)) {
        let column = &mut columns[i];
        column.p_value_adjusted = Some(adjusted);
        column.drifted = column.test.is_drift(adjusted, column.threshold);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(rows: usize) -> DatasetInfo {
        DatasetInfo {
            source: "memory".into(),
            rows,
        }
    }

    fn numeric(name: &str, values: impl IntoIterator<Item = f64>) -> NamedColumn {
        NamedColumn {
            name: name.into(),
            data: ColumnData::Numeric(values.into_iter().map(Some).collect()),
        }
    }

    #[test]
    fn a_shifted_column_drifts_and_an_identical_one_does_not() {
        let reference = [
            numeric("a", (0..500).map(f64::from)),
            numeric("b", (0..500).map(f64::from)),
        ];
        let current = [
            numeric("a", (0..500).map(|i| f64::from(i) + 200.0)),
            numeric("b", (0..500).map(f64::from)),
        ];
        let report = DriftReport::compute(
            (&info(500), &reference),
            (&info(500), &current),
            &DriftOptions::default(),
        )
        .expect("report");
        assert_eq!(report.n_columns, 2);
        assert_eq!(report.columns[0].test, StatTest::Ks);
        assert!(report.columns[0].drifted);
        assert!(!report.columns[1].drifted);
        assert_eq!(report.drift_share, 0.5);
        assert!(report.dataset_drift);
    }

    #[test]
    fn owned_columns_give_the_same_result_as_borrowed_ones() {
        let options = DriftOptions::default();
        let cases = [
            (
                ColumnData::Numeric(vec![Some(1.0), None, Some(f64::NAN), Some(3.0)].into()),
                ColumnData::Numeric((0..50).map(|i| Some(f64::from(i % 7))).collect()),
            ),
            (
                ColumnData::categorical_from([Some("a"), None, Some("b")]),
                ColumnData::categorical_from([Some("b"), Some("c"), Some("b")]),
            ),
        ];
        for (reference, current) in cases {
            let borrowed = ColumnDrift::compute("x", &reference, &current, &options);
            let owned = ColumnDrift::compute_owned("x", reference, current, &options);
            assert_eq!(owned.expect("owned"), borrowed.expect("borrowed"));
        }
        let mismatch = ColumnDrift::compute_owned(
            "x",
            ColumnData::Numeric(vec![Some(1.0)].into()),
            ColumnData::categorical_from([Some("a")]),
            &options,
        );
        assert!(matches!(mismatch, Err(DriftError::KindMismatch { .. })));
    }

    #[test]
    fn an_empty_side_is_a_column_error_not_a_failure() {
        let reference = [numeric("a", [1.0, 2.0]), numeric("b", [1.0, 2.0])];
        let current = [
            NamedColumn {
                name: "a".into(),
                data: ColumnData::Numeric(vec![None, Some(f64::NAN)].into()),
            },
            numeric("b", [1.0, 2.0]),
        ];
        let report = DriftReport::compute(
            (&info(2), &reference),
            (&info(2), &current),
            &DriftOptions::default(),
        )
        .expect("report");
        let error = report.columns[0].error.as_deref().expect("error");
        assert!(
            error.contains("current side has no usable values (1 missing, 1 not finite)"),
            "{error}"
        );
        assert_eq!((report.n_errors, report.n_drifted), (1, 0));
    }

    #[test]
    fn an_undefined_score_is_a_column_error() {
        // one category on both sides: chi-square has zero degrees of freedom
        let column = |name: &str| NamedColumn {
            name: name.into(),
            data: ColumnData::categorical_from([Some("x"), Some("x"), Some("x")]),
        };
        let options = DriftOptions {
            test: TestChoice::Fixed(StatTest::ChiSquare),
            ..DriftOptions::default()
        };
        let report = DriftReport::compute(
            (&info(3), &[column("c")]),
            (&info(3), &[column("c")]),
            &options,
        )
        .expect("report");
        let error = report.columns[0].error.as_deref().expect("error");
        assert!(error.contains("undefined on these values"), "{error}");
        assert!(!report.columns[0].drifted);
    }

    #[test]
    fn no_common_column_is_an_error() {
        let err = DriftReport::compute(
            (&info(1), &[numeric("a", [1.0])]),
            (&info(1), &[numeric("b", [1.0])]),
            &DriftOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err, DriftError::NoCommonColumns);
    }

    #[test]
    fn a_numeric_test_on_a_categorical_column_is_named() {
        let column = |name: &str| NamedColumn {
            name: name.into(),
            data: ColumnData::categorical_from([Some("x"), Some("y")]),
        };
        let options = DriftOptions {
            test: TestChoice::Fixed(StatTest::Ks),
            ..DriftOptions::default()
        };
        let report = DriftReport::compute(
            (&info(2), &[column("c")]),
            (&info(2), &[column("c")]),
            &options,
        )
        .expect("report");
        assert_eq!(
            report.columns[0].error.as_deref(),
            Some(
                "column \"c\": test \"ks\" does not apply to categorical columns (it takes numeric columns)"
            )
        );
    }
}
