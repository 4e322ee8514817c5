//! Renders a `drift_core::DriftReport` as a terminal table, JSON, Markdown or one HTML page.
//!
//! Every renderer is a pure function from `&DriftReport` to `String`: no I/O, no clock, no
//! environment. Whoever writes the text decides where it goes and, for the table, whether
//! the terminal gets colour ([`TableStyle`]). Depend on it to show drift reports in your
//! own tool; the `monitor` binary's `--format table|json|markdown|html` is built on it.
//!
//! - [`render_json`]: drift-core's serde output, pretty-printed (the stable JSON contract,
//!   `schema_version` 1).
//! - [`render_table`]: aligned columns for people at a terminal; drifted rows bold red and
//!   untested ones dim when colour is on.
//! - [`render_markdown`]: GitHub-flavoured Markdown for CI job summaries and pull-request
//!   comments: the verdict, a table, untested columns, quality findings, unmatched columns.
//!   User strings are backslash-escaped so that a column name cannot break the table.
//! - [`render_html`]: one self-contained page (inline CSS and SVG; no script, font, image
//!   or style sheet from elsewhere) with the verdict, a summary table and a card per
//!   column with its numbers and a plot of both sides. User strings are HTML-escaped.
//!
//! A report with a `multivariate` section (`monitor drift --multivariate`) gets it in every
//! format: a row per whole-row test (MMD, domain classifier, PCA reconstruction error) with
//! a line of settings, and in HTML a plot of PCA's chunk errors against their thresholds.
//!
//! Plots draw each side as shares of its own values, so that a reference of 100 000 rows
//! and a window of 500 compare; histograms overlay both sides on drift-core's shared bins,
//! categories stand side by side with the rest summed into "other". Drawing is a few
//! hundred lines of SVG text rather than a plotting crate or a template engine: the output
//! stays small (5 to 11 KB a column: 108 KB for the 20-column example data) and needs
//! nothing at view time.
//!
//! ```
//! use drift_core::{ColumnData, DatasetInfo, DriftOptions, DriftReport, NamedColumn};
//! use report_render::{TableStyle, render_html, render_markdown, render_table};
//!
//! let column = |values: Vec<f64>| NamedColumn {
//!     name: "latency_ms".into(),
//!     data: ColumnData::Numeric(values.into_iter().map(Some).collect()),
//! };
//! let reference = [column((0..200).map(|i| f64::from(i % 50)).collect())];
//! let current = [column((0..200).map(|i| f64::from(i % 50) + 20.0).collect())];
//! let info = |source: &str| DatasetInfo { source: source.into(), rows: 200 };
//! let report = DriftReport::compute(
//!     (&info("monday.csv"), &reference),
//!     (&info("tuesday.csv"), &current),
//!     &DriftOptions::default(),
//! )?;
//!
//! let markdown = render_markdown(&report);
//! assert!(markdown.contains("**Dataset drift**: 1 of 1 column drifted"));
//! let html = render_html(&report);
//! assert!(html.contains("<title>Drift report: tuesday.csv vs monday.csv</title>"));
//! assert_eq!(html.matches("<svg").count(), 1);
//! let table = render_table(&report, TableStyle { color: false });
//! assert!(table.starts_with("column"));
//! # Ok::<(), drift_core::DriftError>(())
//! ```

mod html;
mod markdown;
mod multivariate;
mod number;
mod plot;
mod table;
mod verdict;

pub use html::render_html;
pub use markdown::render_markdown;
pub use table::{TableStyle, render_table};

use drift_core::DriftReport;

/// The report as pretty-printed JSON and a newline: drift-core's serde output, the stable
/// contract of `monitor drift --format json` (`schema_version` 1).
pub fn render_json(report: &DriftReport) -> String {
    match serde_json::to_string_pretty(report) {
        Ok(text) => text + "\n",
        // unreachable: the report holds only strings, numbers, booleans, lists and structs
        // (no map with non-string keys, no fallible `Serialize`); non-finite numbers become
        // null. Say so in the output rather than panic if that ever changes.
        Err(e) => format!(
            "{{\"error\": {}}}\n",
            serde_json::Value::String(format!("serializing the report: {e}"))
        ),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use drift_core::report::{ColumnDrift, DatasetInfo, DriftReport, UnmatchedColumn};
    use drift_core::summary::{
        CategoricalSummary, CategoryCount, ColumnSummary, Distribution, NumericSummary, Quality,
        Quartiles,
    };
    use drift_core::{ColumnKind, Correction, StatTest};

    fn numeric_summary(shift: f64) -> ColumnSummary {
        ColumnSummary::Numeric(NumericSummary {
            count: 5000,
            missing: 12,
            non_finite: 0,
            unique: 4200,
            mean: Some(50.0 + shift),
            std: Some(10.0),
            min: Some(10.0 + shift),
            max: Some(90.0 + shift),
            quantiles: Some(Quartiles {
                p25: 43.25 + shift,
                p50: 50.0 + shift,
                p75: 56.75 + shift,
            }),
        })
    }

    fn categorical_summary() -> ColumnSummary {
        ColumnSummary::Categorical(CategoricalSummary {
            count: 5000,
            missing: 0,
            unique: 25,
            top: (0..10)
                .map(|i| CategoryCount {
                    value: format!("category_with_a_long_name_{i:02}"),
                    count: 500 - 40 * i,
                })
                .collect(),
        })
    }

    /// A bell of `n` counts over 30 bins centred on `centre`.
    fn bell(centre: f64) -> Vec<u64> {
        (0..30)
            .map(|bin| {
                let z = (f64::from(bin) - centre) / 5.0;
                (1000.0 * (-z * z / 2.0).exp()).round() as u64
            })
            .collect()
    }

    /// A report of `n_columns` built by hand: every 4th column (from 0) a drifted numeric
    /// one with a 30-bin histogram, then a categorical one with 20 categories and "other",
    /// a numeric one whose test failed, and a calm categorical one with new categories and
    /// more missing values.
    pub(crate) fn example_report(n_columns: usize) -> DriftReport {
        let columns: Vec<ColumnDrift> = (0..n_columns)
            .map(|i| {
                let numeric = i % 2 == 0;
                let (drifted, error) = match i % 4 {
                    0 => (true, None),
                    2 => (
                        false,
                        Some(format!(
                            "column \"col_{i}\": the current side has no values (5000 missing)"
                        )),
                    ),
                    _ => (false, None),
                };
                let distribution = if numeric {
                    Distribution::Histogram {
                        edges: (0..=30).map(|b| 10.0 + f64::from(b) * 2.7).collect(),
                        reference: bell(14.0),
                        current: bell(if drifted { 18.5 } else { 14.0 }),
                    }
                } else {
                    Distribution::Categories {
                        categories: (0..20)
                            .map(|c| format!("category_with_a_long_name_{c:02}"))
                            .collect(),
                        reference: (0..20).map(|c| 400 - 15 * c).collect(),
                        current: (0..20).map(|c| 380 - 14 * c + (c % 3) * 9).collect(),
                        other_reference: 230,
                        other_current: 410,
                    }
                };
                let quality = Quality {
                    missing_share_delta: if i % 4 == 3 { 0.05 } else { 0.001 },
                    new_categories: if i % 4 == 3 {
                        vec!["new_a".into(), "new_b".into()]
                    } else {
                        Vec::new()
                    },
                    out_of_range_share: if i % 4 == 3 { 0.012 } else { 0.0 },
                };
                ColumnDrift {
                    name: format!("col_{i}"),
                    kind: if numeric {
                        ColumnKind::Numeric
                    } else {
                        ColumnKind::Categorical
                    },
                    test: if numeric {
                        StatTest::Ks
                    } else {
                        StatTest::ChiSquare
                    },
                    test_selection: "auto".into(),
                    statistic: error
                        .is_none()
                        .then_some(if drifted { 0.21 } else { 0.013 }),
                    p_value: error
                        .is_none()
                        .then_some(if drifted { 1.2e-9 } else { 0.61 }),
                    p_value_adjusted: error.is_none().then_some(if drifted {
                        1.2e-9
                    } else {
                        0.61
                    }),
                    method: None,
                    threshold: 0.05,
                    drifted,
                    error,
                    reference: if numeric {
                        numeric_summary(0.0)
                    } else {
                        categorical_summary()
                    },
                    current: if numeric {
                        numeric_summary(if drifted { 12.0 } else { 0.0 })
                    } else {
                        categorical_summary()
                    },
                    quality,
                    distribution,
                }
            })
            .collect();
        let n_errors = columns.iter().filter(|c| c.error.is_some()).count();
        let n_drifted = columns.iter().filter(|c| c.drifted).count();
        let n_tested = columns.len() - n_errors;
        let drift_share = n_drifted as f64 / n_tested.max(1) as f64;
        DriftReport {
            schema_version: drift_core::report::SCHEMA_VERSION,
            reference: DatasetInfo {
                source: "reference.csv".into(),
                rows: 5012,
            },
            current: DatasetInfo {
                source: "current.csv".into(),
                rows: 5012,
            },
            dataset_drift: drift_share >= 0.3,
            drift_share,
            drift_share_threshold: 0.3,
            n_columns: columns.len(),
            n_drifted,
            n_errors,
            correction: Correction::None,
            unmatched_columns: Vec::<UnmatchedColumn>::new(),
            columns,
            multivariate: None,
        }
    }

    #[test]
    fn json_is_drift_cores_serde_output() {
        let report = example_report(3);
        let text = super::render_json(&report);
        assert!(text.ends_with("}\n"));
        let back: DriftReport = serde_json::from_str(&text).expect("the JSON reads back");
        assert_eq!(back, report);
        assert_eq!(
            text,
            serde_json::to_string_pretty(&report).expect("serializes") + "\n"
        );
    }
}
