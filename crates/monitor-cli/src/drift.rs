//! `monitor drift`: read two tables, compare every column (in parallel), report.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use anyhow::anyhow;
use clap::Args;
use drift_core::multivariate::{
    ClassifierOptions, ClassifierSection, Encoder, EncoderOptions, FeatureImportance, Matrix,
    MmdMethod, MmdOptions, MmdSection, MultivariateReport, PcaOptions, PcaSection,
    classifier_drift, mmd_drift, pca_drift,
};
use drift_core::rng::SeededRng;
use drift_core::{
    ColumnData, ColumnDrift, DatasetInfo, DriftError, DriftOptions, DriftReport, NamedColumn,
    Profile, ProfileOptions, match_columns,
};

use crate::config::{DriftOverrides, MonitorConfig};
use crate::exit::{Failure, Outcome};
use crate::input::{self, TableArgs};
use crate::output::{self, Format};
use crate::profile;
use crate::progress::Progress;

/// Arguments of `monitor drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The reference data, e.g. the training set: CSV (header row; `.gz` too), JSON Lines or
    /// Parquet, by extension.
    #[arg(long, required_unless_present = "reference_profile")]
    reference: Option<PathBuf>,
    /// The current data, e.g. today's traffic, in any of the same formats.
    #[arg(long, required_unless_present = "current_profile")]
    current: Option<PathBuf>,
    /// A profile of the reference (from `monitor profile build|merge`) instead of its data.
    #[arg(long, conflicts_with = "reference")]
    reference_profile: Option<PathBuf>,
    /// A profile of the current data instead of its data.
    #[arg(long, conflicts_with = "current")]
    current_profile: Option<PathBuf>,
    #[command(flatten)]
    table: TableArgs,
    /// The test for every column: `auto` (evidently's rule) or a test name [default: auto].
    #[arg(long)]
    test: Option<String>,
    /// Threshold for every column (default: each test's own).
    #[arg(long)]
    threshold: Option<f64>,
    /// Multiple-testing correction of p-values [default: none].
    #[arg(long, value_parser = ["none", "bonferroni", "bh"])]
    correction: Option<String>,
    /// Dataset drift when at least this share of columns drifted [default: 0.5].
    #[arg(long)]
    drift_share: Option<f64>,
    /// Seed of the permutation tests (TVD, empirical_mmd) [default: 0].
    #[arg(long)]
    seed: Option<u64>,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report here (atomically) instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Exit with status 1 when the dataset drifted.
    #[arg(long)]
    fail_on_drift: bool,
    /// Push the drift metrics to this Prometheus Pushgateway when done (job
    /// `monitor_drift`, see docs/metrics.md); a failed push is a warning, not an error.
    #[arg(long, value_name = "URL")]
    push_gateway: Option<String>,
    #[command(flatten)]
    multivariate: MultivariateArgs,
}

/// The flags of the whole-row tests (docs/multivariate.md).
#[derive(Debug, Args)]
struct MultivariateArgs {
    /// Whole-row tests besides the per-column ones, a comma list of `mmd`, `classifier`,
    /// `pca`; needs data on both sides, not profiles [default: none].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    multivariate: Option<Vec<String>>,
    /// p-value threshold of `mmd` and `classifier`.
    #[arg(long, value_name = "F", default_value_t = 0.05)]
    multivariate_threshold: f64,
    /// How MMD is computed: `exact`, `rff` (random Fourier features, linear in the rows) or
    /// `auto` (exact up to 20000 rows on both sides together, rff above).
    #[arg(long, value_enum, default_value_t = MmdChoice::Auto)]
    mmd_method: MmdChoice,
    /// Permutations behind the MMD p-value (alibi-detect's default).
    #[arg(long, value_name = "N", default_value_t = 100)]
    mmd_permutations: usize,
    /// Random Fourier features of `rff` (error of each kernel value about 1/sqrt of this).
    #[arg(long, value_name = "D", default_value_t = 500)]
    mmd_features: usize,
    /// MMD uses at most this many rows of each side (a seeded subsample above it).
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    mmd_max_rows: usize,
    /// Folds of the domain classifier's out-of-fold scores.
    #[arg(long, value_name = "K", default_value_t = 5)]
    classifier_folds: usize,
    /// Rows per PCA chunk [default: a tenth of the reference rows, rounded up: NannyML's
    /// ten chunks].
    #[arg(long, value_name = "N")]
    pca_chunk_size: Option<usize>,
}

/// `--mmd-method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MmdChoice {
    /// Exact up to 20000 rows on both sides together, rff above.
    Auto,
    /// The exact unbiased statistic: quadratic in the rows.
    Exact,
    /// Random Fourier features: linear in the rows.
    Rff,
}

/// `--mmd-method auto` computes MMD exactly up to this many rows (both sides together).
const EXACT_MMD_MAX_ROWS: usize = 20_000;

/// Features the domain classifier's section names.
const TOP_FEATURES: usize = 10;

/// The whole-row tests asked for, and their settings.
#[derive(Debug, Clone)]
struct MultivariatePlan {
    mmd: bool,
    classifier: bool,
    pca: bool,
    threshold: f64,
    mmd_method: MmdChoice,
    mmd_permutations: usize,
    mmd_features: usize,
    mmd_max_rows: usize,
    classifier_folds: usize,
    pca_chunk_size: Option<usize>,
    seed: u64,
}

/// One side of the comparison: data to read, or a profile.
enum Side<'a> {
    Data(&'a Path),
    Profile(&'a Path),
}

impl<'a> Side<'a> {
    fn of(data: Option<&'a PathBuf>, profile: Option<&'a PathBuf>) -> Side<'a> {
        match (data, profile) {
            (_, Some(profile)) => Side::Profile(profile),
            (Some(data), None) => Side::Data(data),
            // clap requires one of the two
            (None, None) => Side::Data(Path::new("-")),
        }
    }
}

/// Runs the command.
pub fn run(args: &DriftArgs) -> Result<Outcome, Failure> {
    let config = args.table.load_config()?;
    let options = drift_options(args, &config).map_err(Failure::Input)?;
    let plan = multivariate_plan(args, &config).map_err(Failure::Input)?;
    let read_options = args.table.read_options(&config);
    let reference = Side::of(args.reference.as_ref(), args.reference_profile.as_ref());
    let current = Side::of(args.current.as_ref(), args.current_profile.as_ref());
    let report = match (reference, current) {
        (Side::Data(reference), Side::Data(current)) => {
            compare_tables(reference, current, read_options, &options, plan.as_ref())?
        }
        (reference, current) => {
            if plan.is_some() {
                return Err(Failure::Input(anyhow!(
                    "--multivariate needs the rows of both sides: a profile \
                     (--reference-profile, --current-profile) has none"
                )));
            }
            compare_profiles(reference, current, &read_options, &options)?
        }
    };
    for column in report.columns.iter().filter(|c| c.error.is_some()) {
        tracing::warn!(column = %column.name, test = %column.test, error = column.error.as_deref(), "test not computed");
    }
    if report.n_errors == report.n_columns {
        let first = report
            .columns
            .iter()
            .find_map(|c| c.error.as_deref())
            .unwrap_or("no column could be tested");
        return Err(Failure::Input(anyhow!(
            "no column could be tested: {first}"
        )));
    }
    let format = args.format.unwrap_or_else(Format::default_for_stdout);
    {
        let _span = tracing::info_span!("report", format = ?format).entered();
        let rendered =
            output::render(&report, format, args.output.is_none()).map_err(Failure::Runtime)?;
        output::emit(&rendered, args.output.as_deref())?;
    }
    if let Some(gateway) = &args.push_gateway {
        push_metrics(gateway, &report);
    }
    let multivariate_drift = report.multivariate.as_ref().is_some_and(|m| m.drifted);
    Ok(
        if args.fail_on_drift && (report.dataset_drift || multivariate_drift) {
            Outcome::FailOn
        } else {
            Outcome::Clean
        },
    )
}

/// The exact report: reads both tables at once, tests the columns in parallel.
fn compare_tables(
    reference: &Path,
    current: &Path,
    read_options: tabular::ReadOptions,
    options: &DriftOptions,
    plan: Option<&MultivariatePlan>,
) -> Result<DriftReport, Failure> {
    let size = |path: &Path| {
        std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    };
    let progress = Progress::for_files(&[size(reference), size(current)]);
    // both files at once: reading is most of the work
    let read = |path: &Path, index: usize| {
        let options = tabular::ReadOptions {
            progress: progress.as_ref().map(|p| p.callback(index)),
            ..read_options.clone()
        };
        input::read_table(path, &options)
    };
    // the other thread's read span belongs to this command's trace too
    let parent = tracing::Span::current();
    let (reference, current) = std::thread::scope(|scope| {
        let current = scope.spawn(|| parent.in_scope(|| read(current, 1)));
        let reference = read(reference, 0);
        (
            reference,
            current
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        )
    });
    if let Some(progress) = &progress {
        progress.finish();
    }
    let (mut reference, mut current) = (reference?, current?);
    tabular::unify_kinds(&mut reference, &mut current);
    let reference_info = DatasetInfo {
        source: reference.source.clone(),
        rows: reference.rows,
    };
    let current_info = DatasetInfo {
        source: current.source.clone(),
        rows: current.rows,
    };
    let _span = tracing::info_span!("compare", columns = reference.columns.len()).entered();
    let matched = match_columns(&reference.columns, &current.columns);
    let names: Vec<String> = matched.pairs.iter().map(|p| p.0.to_owned()).collect();
    let unmatched = matched.unmatched;
    // hand the columns over: each numeric column is cleaned and sorted in its own buffer
    let mut reference = by_name(reference.columns);
    let mut current = by_name(current.columns);
    let pairs: Vec<(String, ColumnData, ColumnData)> = names
        .into_iter()
        .filter_map(|name| {
            let r = reference.remove(&name)?;
            let c = current.remove(&name)?;
            Some((name, r, c))
        })
        .collect();
    // encode before the column tests take the columns over
    let (pairs, encoded) = match plan.filter(|_| !pairs.is_empty()) {
        Some(plan) => {
            let (pairs, encoded) = encode(pairs).map_err(Failure::Input)?;
            (pairs, Some((plan, encoded)))
        }
        None => (pairs, None),
    };
    // the whole-row tests run beside the column tests
    let parent = tracing::Span::current();
    let (columns, multivariate) = std::thread::scope(|scope| {
        let multivariate = encoded.map(|(plan, encoded)| {
            scope.spawn(|| parent.in_scope(|| run_multivariate(plan, encoded)))
        });
        let columns = compute_columns(pairs, options);
        let multivariate = multivariate.map(|handle| {
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (columns, multivariate)
    });
    let columns = columns.map_err(|e| Failure::Input(e.into()))?;
    let multivariate = multivariate.transpose().map_err(Failure::Input)?;
    let mut report =
        DriftReport::assemble(&reference_info, &current_info, columns, unmatched, options)
            .map_err(|e| Failure::Input(e.into()))?;
    report.multivariate = multivariate;
    Ok(report)
}

/// Both sides' matched columns encoded alike (fitted on the reference): the feature
/// names, the input column names and the two matrices. The columns are handed back.
#[allow(clippy::type_complexity)] // the columns go in and come back out unchanged
fn encode(
    pairs: Vec<(String, ColumnData, ColumnData)>,
) -> anyhow::Result<(Vec<(String, ColumnData, ColumnData)>, Encoded)> {
    let _span = tracing::info_span!("encode", columns = pairs.len()).entered();
    let mut reference = Vec::with_capacity(pairs.len());
    let mut current = Vec::with_capacity(pairs.len());
    for (name, r, c) in pairs {
        current.push(NamedColumn {
            name: name.clone(),
            data: c,
        });
        reference.push(NamedColumn { name, data: r });
    }
    let encoded = (|| {
        let encoder = Encoder::fit(&reference, &EncoderOptions::default())?;
        Ok::<_, drift_core::multivariate::MultivariateError>(Encoded {
            columns: reference.iter().map(|c| c.name.clone()).collect(),
            features: encoder.feature_names(),
            reference: encoder.transform(&reference)?,
            current: encoder.transform(&current)?,
        })
    })()
    .map_err(|e| anyhow!("--multivariate: encoding the columns: {e}"))?;
    let pairs = reference
        .into_iter()
        .zip(current)
        .map(|(r, c)| (r.name, r.data, c.data))
        .collect();
    Ok((pairs, encoded))
}

/// The encoded sides of the whole-row tests.
struct Encoded {
    columns: Vec<String>,
    features: Vec<String>,
    reference: Matrix,
    current: Matrix,
}

/// Runs the whole-row tests of `plan`, one after the other, each in its own span.
fn run_multivariate(
    plan: &MultivariatePlan,
    encoded: Encoded,
) -> anyhow::Result<MultivariateReport> {
    let (n, m) = (encoded.reference.rows(), encoded.current.rows());
    let mut report = MultivariateReport {
        columns: encoded.columns.clone(),
        features: encoded.features.clone(),
        reference_rows: n,
        current_rows: m,
        drifted: false,
        mmd: None,
        classifier: None,
        pca: None,
    };
    let parent = tracing::Span::current();
    if plan.mmd {
        let span = method_span(&parent, "mmd");
        let section = span.in_scope(|| run_mmd(plan, &encoded))?;
        record_method(
            &span,
            section.statistic,
            Some(section.p_value),
            section.drifted,
        );
        report.mmd = Some(section);
    }
    if plan.classifier {
        let span = method_span(&parent, "classifier");
        let section = span.in_scope(|| {
            let options = ClassifierOptions {
                folds: plan.classifier_folds,
                ..ClassifierOptions::default()
            };
            let result = classifier_drift(&encoded.reference, &encoded.current, &options)
                .map_err(|e| anyhow!("--multivariate classifier: {e}"))?;
            Ok::<_, anyhow::Error>(ClassifierSection {
                auc: result.auc,
                p_value: result.p_value,
                threshold: plan.threshold,
                drifted: result.p_value < plan.threshold,
                folds: options.folds,
                c: options.c,
                top_features: FeatureImportance::top(
                    &encoded.features,
                    &result.importance,
                    TOP_FEATURES,
                ),
            })
        })?;
        record_method(&span, section.auc, Some(section.p_value), section.drifted);
        report.classifier = Some(section);
    }
    if plan.pca {
        let span = method_span(&parent, "pca");
        let section = span.in_scope(|| {
            let options = PcaOptions {
                chunk_size: plan.pca_chunk_size.unwrap_or(n.div_ceil(10)).max(1),
                ..PcaOptions::default()
            };
            pca_drift(&encoded.reference, &encoded.current, &options)
                .map(|result| PcaSection::new(result, &options))
                .map_err(|e| anyhow!("--multivariate pca: {e}"))
        })?;
        let worst = section
            .chunks
            .iter()
            .map(|c| c.error)
            .fold(f64::NEG_INFINITY, f64::max);
        record_method(&span, worst, None, section.drifted);
        report.pca = Some(section);
    }
    report.drifted = report.mmd.as_ref().is_some_and(|s| s.drifted)
        || report.classifier.as_ref().is_some_and(|s| s.drifted)
        || report.pca.as_ref().is_some_and(|s| s.drifted);
    Ok(report)
}

/// MMD on at most `mmd_max_rows` rows a side, exact or with random features.
fn run_mmd(plan: &MultivariatePlan, encoded: &Encoded) -> anyhow::Result<MmdSection> {
    let reference = subsample(
        &encoded.reference,
        plan.mmd_max_rows,
        plan.seed ^ 0x0052_4546,
    )?;
    let current = subsample(&encoded.current, plan.mmd_max_rows, plan.seed ^ 0x0043_5552)?;
    let (reference, current) = (
        reference.as_ref().unwrap_or(&encoded.reference),
        current.as_ref().unwrap_or(&encoded.current),
    );
    let rows = reference.rows() + current.rows();
    let (method, selection) = match plan.mmd_method {
        MmdChoice::Exact => (MmdMethod::Exact, "configured"),
        MmdChoice::Rff => (
            MmdMethod::RandomFeatures {
                features: plan.mmd_features,
            },
            "configured",
        ),
        MmdChoice::Auto if rows <= EXACT_MMD_MAX_ROWS => (MmdMethod::Exact, "auto"),
        MmdChoice::Auto => (
            MmdMethod::RandomFeatures {
                features: plan.mmd_features,
            },
            "auto",
        ),
    };
    let options = MmdOptions {
        n_permutations: plan.mmd_permutations,
        seed: plan.seed,
        method,
        ..MmdOptions::default()
    };
    let result =
        mmd_drift(reference, current, &options).map_err(|e| anyhow!("--multivariate mmd: {e}"))?;
    let (name, features) = match result.method {
        MmdMethod::Exact => ("exact", None),
        MmdMethod::RandomFeatures { features } => ("random_features", Some(features)),
    };
    Ok(MmdSection {
        statistic: result.statistic,
        p_value: result.p_value,
        threshold: plan.threshold,
        drifted: result.p_value < plan.threshold,
        method: name.into(),
        method_selection: selection.into(),
        random_features: features,
        bandwidth: result.bandwidth,
        n_permutations: result.n_permutations,
        seed: plan.seed,
        reference_rows: reference.rows(),
        current_rows: current.rows(),
    })
}

/// A seeded subsample of `max_rows` rows of `matrix` (in their order), or `None` when it
/// has no more rows than that.
fn subsample(matrix: &Matrix, max_rows: usize, seed: u64) -> anyhow::Result<Option<Matrix>> {
    if matrix.rows() <= max_rows {
        return Ok(None);
    }
    let mut rows: Vec<usize> = (0..matrix.rows()).collect();
    SeededRng::new(seed).choose_front(&mut rows, max_rows);
    rows.truncate(max_rows);
    rows.sort_unstable();
    let values = rows.iter().flat_map(|&i| matrix.row(i)).copied().collect();
    Ok(Some(Matrix::new(values, max_rows, matrix.cols())?))
}

/// The span of one whole-row test; [`record_method`] fills in its result.
fn method_span(parent: &tracing::Span, method: &'static str) -> tracing::Span {
    use tracing::field::Empty;
    tracing::info_span!(parent: parent, "multivariate", method, statistic = Empty,
        p_value = Empty, drifted = Empty)
}

/// Puts a whole-row test's statistic (MMD², AUC, or PCA's largest chunk error), p-value
/// and verdict on its span.
fn record_method(span: &tracing::Span, statistic: f64, p_value: Option<f64>, drifted: bool) {
    span.record("statistic", statistic);
    if let Some(p_value) = p_value {
        span.record("p_value", p_value);
    }
    span.record("drifted", drifted);
}

/// The report from profiles: a side given as data is profiled first, with the other
/// side's sketch options so that both sides are summarised alike.
fn compare_profiles(
    reference: Side<'_>,
    current: Side<'_>,
    read_options: &tabular::ReadOptions,
    options: &DriftOptions,
) -> Result<DriftReport, Failure> {
    let given = [&reference, &current]
        .into_iter()
        .find_map(|side| match side {
            Side::Profile(path) => Some(*path),
            Side::Data(_) => None,
        });
    let sketch_options = match given {
        Some(path) => profile::load(path)?.options,
        None => ProfileOptions::default(),
    };
    let load = |side: &Side<'_>| -> Result<(DatasetInfo, Profile), Failure> {
        let (path, profile) = match side {
            Side::Profile(path) => (*path, profile::load(path)?),
            Side::Data(path) => (
                *path,
                profile::build(&[path], read_options, &sketch_options)?,
            ),
        };
        let info = DatasetInfo {
            source: path.display().to_string(),
            rows: usize::try_from(profile.n_rows).unwrap_or(usize::MAX),
        };
        Ok((info, profile))
    };
    let (reference, current) = (load(&reference)?, load(&current)?);
    let _span = tracing::info_span!("compare profiles").entered();
    DriftReport::from_profiles(
        (&reference.0, &reference.1),
        (&current.0, &current.1),
        options,
    )
    .map_err(|e| Failure::Input(e.into()))
}

/// The columns of a table by name (names are unique: the readers reject duplicates).
fn by_name(columns: Vec<NamedColumn>) -> HashMap<String, ColumnData> {
    columns.into_iter().map(|c| (c.name, c.data)).collect()
}

/// Tests every matched column, spread over the machine's cores; results keep their order.
fn compute_columns(
    pairs: Vec<(String, ColumnData, ColumnData)>,
    options: &DriftOptions,
) -> Result<Vec<ColumnDrift>, DriftError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(pairs.len())
        .max(1);
    let queue = Mutex::new(pairs.into_iter().enumerate());
    // the workers' column spans are children of the caller's (compare) span
    let parent = tracing::Span::current();
    let mut results: Vec<(usize, Result<ColumnDrift, DriftError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                        let Some((i, (name, reference, current))) = next else {
                            break done;
                        };
                        let span = column_span(&parent, &name);
                        let _entered = span.enter();
                        let drift = ColumnDrift::compute_owned(&name, reference, current, options);
                        if let Ok(column) = &drift {
                            record_column(&span, column);
                        }
                        done.push((i, drift));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// The span of one column's test; [`record_column`] fills in its result.
fn column_span(parent: &tracing::Span, name: &str) -> tracing::Span {
    use tracing::field::Empty;
    tracing::info_span!(parent: parent, "column", column = name, test = Empty, statistic = Empty,
        p_value = Empty, threshold = Empty, drifted = Empty, error = Empty)
}

/// Puts a column's test, statistic, p-value, threshold and verdict (or why it has none) on
/// its span.
fn record_column(span: &tracing::Span, column: &ColumnDrift) {
    span.record("test", column.test.name());
    if let Some(statistic) = column.statistic {
        span.record("statistic", statistic);
    }
    if let Some(p_value) = column.p_value {
        span.record("p_value", p_value);
    }
    span.record("threshold", column.threshold);
    span.record("drifted", column.drifted);
    if let Some(error) = &column.error {
        span.record("error", error.as_str());
    }
}

/// Pushes the report's metrics (score and verdict per column, the dataset's verdict and
/// drift share, the time) to a Pushgateway; a failure is logged and the command goes on.
fn push_metrics(gateway: &str, report: &DriftReport) {
    let _span = tracing::info_span!("push", gateway).entered();
    let metrics = telemetry::metrics::Metrics::new();
    for column in report.columns.iter().filter(|c| c.error.is_none()) {
        if let Some(score) = column.score() {
            metrics.record_feature_drift(&column.name, column.test.name(), score, column.drifted);
        }
    }
    metrics.record_dataset_drift(report.dataset_drift, report.drift_share);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    metrics.record_drift_run(now);
    if let Err(error) = telemetry::metrics::push(gateway, "monitor_drift", &metrics) {
        tracing::warn!(%error, "drift metrics were not pushed");
    }
}

/// Options from flags, then the config file, then defaults.
fn drift_options(args: &DriftArgs, config: &MonitorConfig) -> anyhow::Result<DriftOptions> {
    config.drift_options(&DriftOverrides {
        test: args.test.as_deref(),
        threshold: args.threshold,
        drift_share: args.drift_share,
        correction: args.correction.as_deref(),
        seed: args.seed,
    })
}

/// The whole-row tests from `--multivariate` or the config file's `[drift] multivariate`
/// (flags override the file), with their settings; `None` when none is asked for.
fn multivariate_plan(
    args: &DriftArgs,
    config: &MonitorConfig,
) -> anyhow::Result<Option<MultivariatePlan>> {
    let flags = &args.multivariate;
    let Some(names) = flags
        .multivariate
        .as_ref()
        .or(config.drift.multivariate.as_ref())
    else {
        return Ok(None);
    };
    let mut plan = MultivariatePlan {
        mmd: false,
        classifier: false,
        pca: false,
        threshold: flags.multivariate_threshold,
        mmd_method: flags.mmd_method,
        mmd_permutations: flags.mmd_permutations,
        mmd_features: flags.mmd_features,
        mmd_max_rows: flags.mmd_max_rows,
        classifier_folds: flags.classifier_folds,
        pca_chunk_size: flags.pca_chunk_size,
        seed: args.seed.or(config.drift.seed).unwrap_or(0),
    };
    for name in names {
        match name.trim() {
            "mmd" => plan.mmd = true,
            "classifier" => plan.classifier = true,
            "pca" => plan.pca = true,
            other => {
                return Err(anyhow!(
                    "--multivariate: unknown method \"{other}\" (expected mmd, classifier or pca)"
                ));
            }
        }
    }
    if !(plan.mmd || plan.classifier || plan.pca) {
        return Ok(None);
    }
    if !(plan.threshold > 0.0 && plan.threshold < 1.0) {
        return Err(anyhow!(
            "--multivariate-threshold: expected a number between 0 and 1, got {}",
            plan.threshold
        ));
    }
    for (flag, value, least) in [
        ("--mmd-features", plan.mmd_features, 1),
        ("--mmd-max-rows", plan.mmd_max_rows, 2),
        ("--classifier-folds", plan.classifier_folds, 2),
        ("--pca-chunk-size", plan.pca_chunk_size.unwrap_or(1), 1),
    ] {
        if value < least {
            return Err(anyhow!("{flag}: expected at least {least}, got {value}"));
        }
    }
    Ok(Some(plan))
}
