//! `monitor drift`: read two tables, compare every column, report.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;
use drift_core::{
    Correction, DatasetInfo, DriftOptions, DriftReport, PermutationOptions, StatTest, TestChoice,
};

use crate::exit::{Failure, Outcome};
use crate::output::{self, Format};

/// Arguments of `monitor drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The reference data (CSV with a header row), e.g. the training set.
    #[arg(long)]
    reference: PathBuf,
    /// The current data (CSV with a header row), e.g. today's traffic.
    #[arg(long)]
    current: PathBuf,
    /// The test for every column: `auto` (evidently's rule) or a test name.
    #[arg(long, default_value = "auto")]
    test: String,
    /// Threshold for every column (default: each test's own).
    #[arg(long)]
    threshold: Option<f64>,
    /// Only these columns (comma separated).
    #[arg(long, value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// Treat these columns as categorical even if they hold numbers (comma separated).
    #[arg(long, value_delimiter = ',')]
    categorical: Vec<String>,
    /// Multiple-testing correction of p-values.
    #[arg(long, default_value = "none", value_parser = ["none", "bonferroni", "bh"])]
    correction: String,
    /// Dataset drift when at least this share of columns drifted.
    #[arg(long, default_value_t = 0.5)]
    drift_share: f64,
    /// Seed of the permutation tests (TVD, empirical_mmd).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report here (atomically) instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Exit with status 1 when the dataset drifted.
    #[arg(long)]
    fail_on_drift: bool,
}

/// Runs the command.
pub fn run(args: &DriftArgs) -> Result<Outcome, Failure> {
    let options = drift_options(args).map_err(Failure::Input)?;
    let read_options = tabular::ReadOptions {
        categorical: args.categorical.iter().cloned().collect::<HashSet<_>>(),
        columns: args.columns.clone(),
    };
    let read = |path: &PathBuf| {
        let _span = tracing::info_span!("read", path = %path.display()).entered();
        tabular::read_csv(path, &read_options).map_err(|e| Failure::Input(e.into()))
    };
    let mut reference = read(&args.reference)?;
    let mut current = read(&args.current)?;
    tabular::unify_kinds(&mut reference, &mut current);
    let report = {
        let _span = tracing::info_span!("compare", columns = reference.columns.len()).entered();
        DriftReport::compute(
            (
                &DatasetInfo {
                    source: reference.source.clone(),
                    rows: reference.rows,
                },
                &reference.columns,
            ),
            (
                &DatasetInfo {
                    source: current.source.clone(),
                    rows: current.rows,
                },
                &current.columns,
            ),
            &options,
        )
        .map_err(|e| Failure::Input(e.into()))?
    };
    for column in report.columns.iter().filter(|c| c.error.is_some()) {
        tracing::warn!(column = %column.name, test = %column.test, error = column.error.as_deref(), "test not computed");
    }
    let format = args.format.unwrap_or_else(Format::default_for_stdout);
    let rendered = output::render(&report, format).map_err(Failure::Runtime)?;
    output::emit(&rendered, args.output.as_deref())?;
    Ok(if args.fail_on_drift && report.dataset_drift {
        Outcome::FailOn
    } else {
        Outcome::Clean
    })
}

fn drift_options(args: &DriftArgs) -> anyhow::Result<DriftOptions> {
    let test = match args.test.as_str() {
        "auto" => TestChoice::Auto,
        name => TestChoice::Fixed(StatTest::from_name(name).ok_or_else(|| {
            anyhow!(
                "--test: unknown test \"{name}\" (expected auto or one of: {})",
                StatTest::known_names()
            )
        })?),
    };
    if let Some(t) = args.threshold.filter(|t| !t.is_finite() || *t < 0.0) {
        return Err(anyhow!(
            "--threshold: expected a finite number >= 0, got {t}"
        ));
    }
    if !(0.0..=1.0).contains(&args.drift_share) {
        return Err(anyhow!(
            "--drift-share: expected a number between 0 and 1, got {}",
            args.drift_share
        ));
    }
    let correction = Correction::from_name(&args.correction).ok_or_else(|| {
        anyhow!(
            "--correction: expected none, bonferroni or bh, got \"{}\"",
            args.correction
        )
    })?;
    Ok(DriftOptions {
        test,
        threshold: args.threshold,
        correction,
        drift_share: args.drift_share,
        permutation: PermutationOptions {
            seed: args.seed,
            ..PermutationOptions::default()
        },
        ..DriftOptions::default()
    })
}
