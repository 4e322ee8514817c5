//! `monitor.toml`: per-feature kinds, tests and thresholds, and drift defaults.
//!
//! ```toml
//! [drift]
//! test = "auto"            # or any test name
//! threshold = 0.1          # for every column (default: each test's own)
//! drift_share = 0.5
//! correction = "none"      # none | bonferroni | bh
//! seed = 0
//! multivariate = ["mmd", "pca"]   # whole-row tests: mmd, classifier, pca
//!
//! [[features]]
//! name = "zip_code"
//! kind = "categorical"     # or "numeric"
//! test = "psi"
//! threshold = 0.2
//!
//! [watch]                  # monitor watch: see docs/watch.md
//! reference = "reference.csv"
//! ```
//!
//! Command-line flags override the file. Unknown keys are errors (a typo must not be
//! silently ignored); every error names the file, the line and the key.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, anyhow};
use drift_core::{
    ColumnOptions, Correction, DriftOptions, PermutationOptions, StatTest, TestChoice,
};
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorConfig {
    /// Defaults of `monitor drift`.
    #[serde(default)]
    pub drift: DriftSection,
    /// Per-feature settings.
    #[serde(default)]
    pub features: Vec<Feature>,
    /// `monitor watch` (docs/watch.md); its drift tests come from `[drift]` and
    /// `[[features]]`.
    #[serde(default)]
    pub watch: Option<watch::config::WatchConfig>,
}

/// `[drift]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSection {
    /// `auto` or a test name.
    pub test: Option<String>,
    /// Threshold for every column.
    pub threshold: Option<f64>,
    /// Dataset drift share.
    pub drift_share: Option<f64>,
    /// `none`, `bonferroni` or `bh`.
    pub correction: Option<String>,
    /// Seed of the permutation tests.
    pub seed: Option<u64>,
    /// Whole-row tests to run: `mmd`, `classifier`, `pca`.
    pub multivariate: Option<Vec<String>>,
}

/// One `[[features]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    /// The column's name.
    pub name: String,
    /// `numeric` or `categorical`; inferred when absent.
    pub kind: Option<Kind>,
    /// The test for this column.
    pub test: Option<String>,
    /// The threshold for this column.
    pub threshold: Option<f64>,
}

/// A forced column kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Every value must be a number.
    Numeric,
    /// Values are labels.
    Categorical,
}

impl MonitorConfig {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> anyhow::Result<MonitorConfig> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses config text; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> anyhow::Result<MonitorConfig> {
        toml::from_str(text).map_err(|e| {
            let location = e
                .span()
                .map(|span| {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!(":{line}:{column}")
                })
                .unwrap_or_default();
            anyhow!("{source}{location}: {}", e.message())
        })
    }
}

/// Drift settings given on the command line, each overriding the file's `[drift]` key.
#[derive(Debug, Default, Clone)]
pub struct DriftOverrides<'a> {
    /// `--test`.
    pub test: Option<&'a str>,
    /// `--threshold`.
    pub threshold: Option<f64>,
    /// `--drift-share`.
    pub drift_share: Option<f64>,
    /// `--correction`.
    pub correction: Option<&'a str>,
    /// `--seed`.
    pub seed: Option<u64>,
}

impl MonitorConfig {
    /// The drift options: `overrides`, then `[drift]` and `[[features]]`, then defaults
    /// (what `monitor drift` runs and what `monitor watch` runs on every window).
    pub fn drift_options(&self, overrides: &DriftOverrides<'_>) -> anyhow::Result<DriftOptions> {
        let test = match overrides
            .test
            .or(self.drift.test.as_deref())
            .unwrap_or("auto")
        {
            "auto" => TestChoice::Auto,
            name => TestChoice::Fixed(parse_test(name, "--test / drift.test")?),
        };
        let threshold = overrides.threshold.or(self.drift.threshold);
        if let Some(t) = threshold.filter(|t| !t.is_finite() || *t < 0.0) {
            return Err(anyhow!(
                "--threshold / drift.threshold: expected a finite number >= 0, got {t}"
            ));
        }
        let drift_share = overrides
            .drift_share
            .or(self.drift.drift_share)
            .unwrap_or(0.5);
        if !(0.0..=1.0).contains(&drift_share) {
            return Err(anyhow!(
                "--drift-share / drift.drift_share: expected a number between 0 and 1, got {drift_share}"
            ));
        }
        let correction_name = overrides
            .correction
            .or(self.drift.correction.as_deref())
            .unwrap_or("none");
        let correction = Correction::from_name(correction_name).ok_or_else(|| {
            anyhow!(
                "--correction / drift.correction: expected none, bonferroni or bh, got \"{correction_name}\""
            )
        })?;
        let mut columns = HashMap::new();
        for feature in &self.features {
            let test = feature
                .test
                .as_deref()
                .map(|t| parse_test(t, &format!("feature \"{}\": test", feature.name)))
                .transpose()?;
            if let Some(t) = feature.threshold.filter(|t| !t.is_finite() || *t < 0.0) {
                return Err(anyhow!(
                    "feature \"{}\": threshold: expected a finite number >= 0, got {t}",
                    feature.name
                ));
            }
            columns.insert(
                feature.name.clone(),
                ColumnOptions {
                    test,
                    threshold: feature.threshold,
                },
            );
        }
        Ok(DriftOptions {
            test,
            threshold,
            columns,
            correction,
            drift_share,
            permutation: PermutationOptions {
                seed: overrides.seed.or(self.drift.seed).unwrap_or(0),
                ..PermutationOptions::default()
            },
        })
    }

    /// Columns whose kind `[[features]]` forces to `kind`.
    pub fn forced(&self, kind: Kind) -> HashSet<String> {
        self.features
            .iter()
            .filter(|f| f.kind == Some(kind))
            .map(|f| f.name.clone())
            .collect()
    }
}

/// A test by evidently's name; `what` names the setting in the error.
pub fn parse_test(name: &str, what: &str) -> anyhow::Result<StatTest> {
    StatTest::from_name(name).ok_or_else(|| {
        anyhow!(
            "{what}: unknown test \"{name}\" (expected auto or one of: {})",
            StatTest::known_names()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_features_and_defaults() {
        let config = MonitorConfig::parse(
            "[drift]\ntest = \"psi\"\ndrift_share = 0.3\n\n[[features]]\nname = \"zip\"\nkind = \"categorical\"\nthreshold = 0.2\n",
            "m.toml",
        )
        .expect("valid");
        assert_eq!(config.drift.test.as_deref(), Some("psi"));
        assert_eq!(config.features[0].kind, Some(Kind::Categorical));
        assert_eq!(config.features[0].threshold, Some(0.2));
        let config = MonitorConfig::parse("[drift]\nmultivariate = [\"mmd\", \"pca\"]\n", "m")
            .expect("valid");
        assert_eq!(
            config.drift.multivariate,
            Some(vec!["mmd".to_owned(), "pca".to_owned()])
        );
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let err = MonitorConfig::parse("[drift]\ntest = \"psi\"\ntreshold = 0.1\n", "m.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("m.toml:3:1: unknown field `treshold`"),
            "{err}"
        );
        let err = MonitorConfig::parse("[[features]]\nname = \"a\"\nkind = \"text\"\n", "m.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("m.toml:3:8: unknown variant `text`"),
            "{err}"
        );
    }

    #[test]
    fn reads_the_watch_section_and_names_a_bad_key_with_its_line() {
        let config = MonitorConfig::parse(
            "[drift]\ndrift_share = 0.3\n\n[watch]\nreference = \"ref.csv\"\nwindow = { duration = \"5m\" }\n",
            "m.toml",
        )
        .expect("valid");
        let watch = config.watch.expect("a [watch] section");
        assert_eq!(watch.reference, std::path::Path::new("ref.csv"));
        assert_eq!(
            watch.window,
            watch::config::WindowSpec::Duration(std::time::Duration::from_secs(300))
        );
        let err = MonitorConfig::parse(
            "[watch]\nwindow = { events = 10 }\ntask = \"ranking\"\n",
            "m.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("m.toml:3:8: unknown variant `ranking`"),
            "{err}"
        );
    }
}
