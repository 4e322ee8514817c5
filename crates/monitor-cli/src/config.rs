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

use std::path::Path;

use anyhow::{Context, anyhow};
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
