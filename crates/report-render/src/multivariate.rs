//! The report's `multivariate` section in words, shared by every text renderer: one row
//! per whole-row test and a line of details each.

use drift_core::multivariate::MultivariateReport;

use crate::number::{fixed, percent, significant};

/// Significant digits of numbers in the details.
const DIGITS: usize = 4;

/// Features named in the classifier's details.
const FEATURES_NAMED: usize = 3;

/// One whole-row test, ready to print.
pub(crate) struct MethodRow {
    /// `mmd`, `classifier` or `pca`.
    pub method: &'static str,
    /// What the value is: `MMD²`, `AUC`, `max chunk error`.
    pub statistic: &'static str,
    /// The value, formatted as the table's numbers.
    pub value: String,
    /// The p-value, formatted (`-` for PCA).
    pub p_value: String,
    /// The threshold, or PCA's `lower..upper`.
    pub threshold: String,
    /// Whether the test flagged drift.
    pub drifted: bool,
    /// Method settings in words, user strings (feature names) passed through the escape.
    pub details: String,
}

/// `Multivariate drift` or `No multivariate drift`, and what was compared.
pub(crate) fn headline(section: &MultivariateReport) -> (&'static str, String) {
    (
        if section.drifted {
            "Multivariate drift"
        } else {
            "No multivariate drift"
        },
        format!(
            "{} encoded feature{} from {} column{}, {} reference and {} current rows",
            section.features.len(),
            if section.features.len() == 1 { "" } else { "s" },
            section.columns.len(),
            if section.columns.len() == 1 { "" } else { "s" },
            section.reference_rows,
            section.current_rows,
        ),
    )
}

/// The tests that ran, in the order mmd, classifier, pca; feature names pass through
/// `escape`.
pub(crate) fn rows(
    section: &MultivariateReport,
    escape: impl Fn(&str) -> String,
) -> Vec<MethodRow> {
    let mut rows = Vec::new();
    if let Some(mmd) = &section.mmd {
        let method = match mmd.random_features {
            Some(features) => format!("random Fourier features ({features})"),
            None => mmd.method.clone(),
        };
        rows.push(MethodRow {
            method: "mmd",
            statistic: "MMD²",
            value: fixed(Some(mmd.statistic)),
            p_value: fixed(Some(mmd.p_value)),
            threshold: fixed(Some(mmd.threshold)),
            drifted: mmd.drifted,
            details: format!(
                "{method} ({}), bandwidth {}, {} permutations, {} reference and {} current rows",
                mmd.method_selection,
                significant(mmd.bandwidth, DIGITS),
                mmd.n_permutations,
                mmd.reference_rows,
                mmd.current_rows,
            ),
        });
    }
    if let Some(classifier) = &section.classifier {
        let named: Vec<String> = classifier
            .top_features
            .iter()
            .take(FEATURES_NAMED)
            .map(|f| format!("{} {}", escape(&f.feature), significant(f.importance, 3)))
            .collect();
        rows.push(MethodRow {
            method: "classifier",
            statistic: "AUC",
            value: fixed(Some(classifier.auc)),
            p_value: fixed(Some(classifier.p_value)),
            threshold: fixed(Some(classifier.threshold)),
            drifted: classifier.drifted,
            details: format!(
                "logistic regression, {} folds; leading features: {}",
                classifier.folds,
                if named.is_empty() {
                    "none".into()
                } else {
                    named.join(", ")
                }
            ),
        });
    }
    if let Some(pca) = &section.pca {
        let worst = pca
            .chunks
            .iter()
            .map(|c| c.error)
            .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.max(e))));
        rows.push(MethodRow {
            method: "pca",
            statistic: "max chunk error",
            value: fixed(worst),
            p_value: fixed(None),
            threshold: format!("{}..{}", fixed(Some(pca.lower)), fixed(Some(pca.upper))),
            drifted: pca.drifted,
            details: format!(
                "{} of {} chunks of {} rows outside the reference's mean ± {} sd; {} component{} explain {} of the variance",
                pca.n_alerts,
                pca.chunks.len(),
                pca.chunk_size,
                significant(pca.threshold_std, DIGITS),
                pca.n_components,
                if pca.n_components == 1 { "" } else { "s" },
                percent(pca.variance_explained),
            ),
        });
    }
    rows
}

#[cfg(test)]
pub(crate) mod tests {
    use drift_core::multivariate::{
        ChunkError, ClassifierSection, FeatureImportance, MmdSection, MultivariateReport,
        PcaSection,
    };

    use super::*;

    /// A section with all three tests: MMD and PCA drifted, the classifier calm.
    pub(crate) fn example_section() -> MultivariateReport {
        MultivariateReport {
            columns: vec!["x1".into(), "<color>".into()],
            features: vec!["x1".into(), "<color>=a".into(), "<color>=b".into()],
            reference_rows: 300,
            current_rows: 200,
            drifted: true,
            mmd: Some(MmdSection {
                statistic: 0.0155,
                p_value: 0.0,
                threshold: 0.05,
                drifted: true,
                method: "exact".into(),
                method_selection: "auto".into(),
                random_features: None,
                bandwidth: 2.43651,
                n_permutations: 100,
                seed: 0,
                reference_rows: 300,
                current_rows: 200,
            }),
            classifier: Some(ClassifierSection {
                auc: 0.52,
                p_value: 0.4,
                threshold: 0.05,
                drifted: false,
                folds: 5,
                c: 1.0,
                top_features: vec![
                    FeatureImportance {
                        feature: "<color>=a".into(),
                        importance: 0.3,
                    },
                    FeatureImportance {
                        feature: "x1".into(),
                        importance: 0.1,
                    },
                ],
            }),
            pca: Some(PcaSection {
                drifted: true,
                n_alerts: 2,
                chunk_size: 50,
                threshold_std: 3.0,
                lower: 0.5,
                upper: 1.3,
                n_components: 2,
                variance_explained: 0.72,
                reference_errors: vec![0.9; 6],
                chunks: (0..4)
                    .map(|i| ChunkError {
                        start: i * 50,
                        rows: 50,
                        error: 0.8 + 0.3 * i as f64,
                        alert: i >= 2,
                    })
                    .collect(),
            }),
        }
    }

    #[test]
    fn every_test_that_ran_gets_a_row() {
        let section = example_section();
        let rows = rows(&section, |s| s.replace('<', "&lt;"));
        let methods: Vec<&str> = rows.iter().map(|r| r.method).collect();
        assert_eq!(methods, ["mmd", "classifier", "pca"]);
        assert!(rows[0].details.contains("exact (auto), bandwidth 2.437"));
        assert!(
            rows[1].details.contains("&lt;color>=a 0.3, x1 0.1"),
            "{}",
            rows[1].details
        );
        assert_eq!(rows[2].value, "1.7000");
        assert_eq!(rows[2].threshold, "0.5000..1.3000");
        assert!(rows[2].details.starts_with("2 of 4 chunks of 50 rows"));
        let (headline, detail) = headline(&section);
        assert_eq!(headline, "Multivariate drift");
        assert_eq!(
            detail,
            "3 encoded features from 2 columns, 300 reference and 200 current rows"
        );
    }
}
